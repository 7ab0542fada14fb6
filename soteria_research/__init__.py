"""Soteria research toolkit: attrition and competing-risks models for RASSO case data.

Data flows one way: ``data`` (read, validate, pseudonymise) -> ``analysis`` (pure functions,
tidy frames out) -> ``reporting`` (disclosure control, figures, papermill reports).

Examples
--------
>>> import soteria_research as sr
>>> cases, report = sr.read_cases(sr.SAMPLE_CASES)      # doctest: +SKIP
>>> report.n_input == report.n_valid + report.n_quarantined  # doctest: +SKIP
True
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .errors import (
    DataValidationError,
    DisclosureError,
    KeyFileError,
    MappingError,
    ModelError,
    ParameterError,
    SoteriaError,
)
from .settings import SAMPLE_CASES, get_settings

try:
    __version__ = version("soteria-research")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__",
    "SAMPLE_CASES",
    "DataValidationError",
    "DisclosureError",
    "KeyFileError",
    "MappingError",
    "ModelError",
    "ParameterError",
    "SoteriaError",
    "get_settings",
    "load_dictionary",
    "read_cases",
    "validate_cases",
    "ValidationReport",
]


def __getattr__(name: str):
    # Lazy re-exports keep `import soteria_research` fast (no pandera import until needed).
    if name in ("read_cases", "validate_cases", "ValidationReport"):
        from .data import ingest

        return getattr(ingest, name)
    if name == "load_dictionary":
        from .data.dictionary import load_dictionary

        return load_dictionary
    raise AttributeError(f"module 'soteria_research' has no attribute {name!r}")
