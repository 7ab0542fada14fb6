"""Shared test set-up: the tests folder is importable (case_factory), plots never open windows,
and Hypothesis runs under a named profile.

Profiles (README, "Testing"):
- ``ci`` (the default, what `make test` runs, and always when ``CI`` is set): derandomised, so the same examples are
  drawn on every machine and every run; a fixed number of examples; no deadline (a shared CI
  machine is slow at random moments); no example database, so no run depends on an earlier one.
- ``dev`` (``HYPOTHESIS_PROFILE=dev``): random and wider, for looking for new failures locally;
  a failure it finds prints the example to add with ``@example`` so CI keeps checking it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent))

settings.register_profile(
    "ci", derandomize=True, max_examples=30, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=500, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# CI always runs the fixed profile, whatever a developer exported.
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "ci"))
