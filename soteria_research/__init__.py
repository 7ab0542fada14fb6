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
    *[
        "generate_cases", "ground_truth", "pseudonymise", "time_to_outcome", "funnel",
        "outcome_mix", "cohort_rates", "charge_model", "withdrawal_model", "cumulative_incidence",
        "kaplan_meier", "fit_cox", "cause_specific", "fit_fine_gray", "protect", "run_reports",
    ],
]


#: Public entry points and the module each lives in; imported on first use so that
#: `import soteria_research` stays fast in a notebook or a worker process.
_ENTRY_POINTS = {
    "read_cases": "data.ingest",
    "validate_cases": "data.ingest",
    "ValidationReport": "data.ingest",
    "load_dictionary": "data.dictionary",
    "generate_cases": "data.synthetic",
    "ground_truth": "data.synthetic",
    "pseudonymise": "data.pseudonymise",
    "time_to_outcome": "analysis.timeline",
    "funnel": "analysis.attrition",
    "outcome_mix": "analysis.attrition",
    "cohort_rates": "analysis.attrition",
    "charge_model": "analysis.attrition",
    "withdrawal_model": "analysis.attrition",
    "cumulative_incidence": "analysis.survival",
    "kaplan_meier": "analysis.survival",
    "fit_cox": "analysis.survival",
    "cause_specific": "analysis.survival",
    "fit_fine_gray": "analysis.survival",
    "protect": "reporting.disclosure",
    "run_reports": "reporting.runner",
}


def __getattr__(name: str):
    if name in _ENTRY_POINTS:
        from importlib import import_module

        return getattr(import_module(f".{_ENTRY_POINTS[name]}", __name__), name)
    raise AttributeError(f"module 'soteria_research' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_ENTRY_POINTS))
