"""Soteria research toolkit: attrition and competing-risks models for RASSO case data.

Data flows one way: ``data`` (read, validate, pseudonymise) -> ``analysis`` (pure functions,
tidy frames out) -> ``reporting`` (disclosure control, figures, papermill reports).

Every function a user calls is here at the top level, ``sr.<name>``, listed by task in
:data:`API` and in the README's "The API" section; ``help(sr.<name>)`` shows its docstring and
an example. The names are imported on first use, so ``import soteria_research`` stays fast.

Examples
--------
>>> import soteria_research as sr
>>> cases, report = sr.read_cases(sr.SAMPLE_CASES)      # doctest: +SKIP
>>> report.n_input == report.n_valid + report.n_quarantined  # doctest: +SKIP
True
>>> "cumulative_incidence" in sr.API["Time to outcome and competing risks"]
True
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version
from types import ModuleType as _ModuleType

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
    __version__ = _version("soteria-research")
except _PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

#: The public API by task: heading -> {name: the module it lives in, below this package}.
#: The README's "The API" section has one line per name under the same headings (a test checks
#: they agree). Names here are imported on first use (module ``__getattr__``), so that
#: ``import soteria_research`` does not pull in pandas, statsmodels or papermill.
API: dict[str, dict[str, str]] = {
    "Read and check data": {
        "read_cases": "data.ingest",
        "validate_cases": "data.ingest",
        "read_cases_in_chunks": "data.chunked",
        "as_extracted": "data.extract_view",
        "ValidationReport": "data.ingest",
        "read_table": "data.reading",
        "case_schema": "data.ingest",
        "load_dictionary": "data.dictionary",
        "suggest_mapping": "data.mapping_assistant",
        "check_mapping": "data.mapping_assistant",
        "load_mapping": "data.mapping",
        "apply_mapping": "data.mapping",
    },
    "Outcomes, codes and the calendar": {
        "outcome_groups": "analysis.outcomes",
        "competing_risks": "analysis.outcomes",
        "outcome_codes": "analysis.outcomes",
        "outcome_label": "analysis.outcomes",
        "event_codes": "analysis.timeline",
        "financial_year": "analysis.timeline",
        "financial_year_bounds": "analysis.timeline",
        "financial_year_labels": "analysis.demographics",
    },
    "Where cases are lost": {
        "funnel": "analysis.attrition",
        "stage_conversion": "analysis.attrition",
        "stage_reached": "analysis.attrition",
        "stage_dates": "analysis.attrition",
        "outcome_mix": "analysis.attrition",
        "cohort_rates": "analysis.attrition",
        "design_effects": "analysis.attrition",
        "rest_design_effects": "analysis.attrition",
        "device_requests": "analysis.pillars",
        "withdrawal_timing": "analysis.pillars",
        "withdrawal_stage": "analysis.pillars",
        "repeat_suspects": "analysis.pillars",
        "earlier_allegation_outcomes": "analysis.pillars",
        "officer_caseload": "analysis.pillars",
        "by_offence_group": "analysis.demographics",
        "outcome_shares": "analysis.demographics",
        "victim_age_band": "analysis.demographics",
        "breakdown_categories": "analysis.demographics",
    },
    "Time to outcome and competing risks": {
        "time_to_outcome": "analysis.timeline",
        "cumulative_incidence": "analysis.competing_risks",
        "gray_test": "analysis.competing_risks",
        "cohort_table": "analysis.cohorts",
        "cohort_incidence": "analysis.cohorts",
        "latest_cohorts": "analysis.cohorts",
        "followed_cohorts": "analysis.cohorts",
        "followed_cases": "analysis.cohorts",
        "transferred_within": "analysis.cohorts",
        "year_followed": "analysis.cohorts",
        "episodes": "analysis.episodes",
        "split_episodes": "analysis.episodes",
        "kaplan_meier": "analysis.kaplan_meier",
        "median_survival": "analysis.kaplan_meier",
    },
    "Timeliness, prosecution decisions and suspects": {
        "timeliness": "analysis.timeliness",
        "timeliness_shares": "analysis.timeliness",
        "prosecution_decisions": "analysis.timeliness",
        "suspect_timeliness": "analysis.timeliness",
        "suspects_arrested": "analysis.timeliness",
    },
    "Models": {
        "cause_specific": "analysis.cox",
        "fit_fine_gray": "analysis.competing_risks",
        "fit_cox": "analysis.cox",
        "drivers": "analysis.drivers",
        "driver_frame": "analysis.drivers",
        "charge_model": "analysis.attrition",
        "withdrawal_model": "analysis.attrition",
        "outcome_model": "analysis.attrition",
        "model_frame": "analysis.attrition",
        "default_formula": "analysis.attrition",
        "reference_levels": "analysis.covariates",
        "with_reference_levels": "analysis.covariates",
        "age_band": "analysis.covariates",
        "delay_band": "analysis.covariates",
        "predictive_benchmark": "analysis.prediction",
        "delong": "analysis.prediction",
    },
    "Comparing forces": {
        "headline_figures": "analysis.comparison",
        "proportion_funnel": "analysis.comparison",
        "force_effects": "analysis.comparison",
        "ratio_funnel": "analysis.comparison",
        "shrunken_rates": "analysis.comparison",
        "most_similar": "analysis.comparison",
        "force_profile": "analysis.comparison",
        "peer_agreement": "analysis.comparison",
        "force_differences": "analysis.comparison",
        "dispersion": "analysis.comparison",
        "exact_limits": "analysis.comparison",
        "random_effects_limits": "analysis.comparison",
        "funnel_limits": "analysis.comparison",
    },
    "Evaluating the programme": {
        "programme_start_dates": "analysis.evaluation",
        "start_dates_for": "analysis.evaluation",
        "in_programme": "analysis.evaluation",
        "cohort_outcomes": "analysis.evaluation",
        "cohort_members": "analysis.evaluation",
        "staggered_did": "analysis.evaluation",
        "evaluate_programme": "analysis.evaluation",
        "staggered_did_panel": "analysis.evaluation",
        "interrupted_time_series": "analysis.evaluation",
        "programme_hazards": "analysis.evaluation",
        "split_at_start": "analysis.evaluation",
    },
    "Pseudonymising": {
        "pseudonymise": "data.pseudonymise",
        "pseudonymise_file": "data.pseudonymise",
        "pseudonymise_preview": "data.pseudonymise",
        "load_key": "data.keys",
        "k_anonymity": "data.k_anonymity",
    },
    "Synthetic data": {
        "generate_cases": "data.synthetic",
        "simulate": "data.synthetic",
        "ground_truth": "data.synthetic",
        "SyntheticConfig": "data.synthetic",
        "write_cases": "data.synthetic",
        "to_export": "data.synthetic",
        "write_export": "data.synthetic",
        "export_mapping": "data.synthetic",
        "export_mapping_yaml": "data.synthetic",
        "export_style": "data.synthetic",
        "calibration_table": "data.synthetic",
        "model_covariates": "data.synthetic",
        "covariate_names": "data.synthetic",
        "baseline_cumulative_hazard": "data.synthetic",
        "draw_world": "data.synthetic",
        "run_course": "data.synthetic",
        "observe": "data.synthetic",
    },
    "Reports and disclosure control": {
        "protect": "reporting.disclosure",
        "run_reports": "reporting.runner",
    },
}

#: Every lazily imported name and its module (the union of :data:`API`'s tasks).
_ENTRY_POINTS: dict[str, str] = {
    name: module for names in API.values() for name, module in names.items()}

#: Imported with the package: the version, the settings, the sample data and the exceptions.
__all__ = [
    "__version__",
    "SAMPLE_CASES",
    "get_settings",
    "API",
    "SoteriaError",
    "DataValidationError",
    "MappingError",
    "ParameterError",
    "ModelError",
    "KeyFileError",
    "DisclosureError",
]
__all__ += list(_ENTRY_POINTS)


def __getattr__(name: str):
    if name in _ENTRY_POINTS:
        from importlib import import_module

        value = getattr(import_module(f".{_ENTRY_POINTS[name]}", __name__), name)
        globals()[name] = value  # the next look-up is an ordinary attribute
        return value
    raise AttributeError(f"module 'soteria_research' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names, the subpackages imported so far and the module's dunders: what tab
    completion in a notebook offers."""
    loaded = {name for name, value in globals().items() if isinstance(value, _ModuleType)}
    dunders = {name for name in globals() if name.startswith("__") and name.endswith("__")}
    return sorted({*__all__, *loaded, *dunders})
