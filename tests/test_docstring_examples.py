"""Every example in the package's docstrings runs and gives what it shows.

The examples are documentation an analyst copies from (``help(protect)``, the API pages), so
each must still be true of the code. Every module of ``soteria_research`` is collected, not a
list kept by hand: the four lists this replaced (analysis, comparison, ingest, mapping) ran
383 of the package's 751 examples, and none of disclosure control's, the report builders',
pseudonymisation's or the synthetic world's.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import soteria_research

MODULES = sorted(module.name for module in pkgutil.walk_packages(
    soteria_research.__path__, "soteria_research."))


def test_the_examples_are_collected_from_every_part_of_the_package():
    # a broken walk (a package that fails to import, a renamed folder) would collect nothing
    for part in ("analysis.cox", "analysis.comparison.peers", "data.pseudonymise",
                 "data.synthetic.simulate", "reporting.disclosure.legacy",
                 "reporting.disclosure.suppression", "reporting.runner.lock"):
        assert f"soteria_research.{part}" in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    target = importlib.import_module(module)
    result = doctest.testmod(target, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {module} fail"
