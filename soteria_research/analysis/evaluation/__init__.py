"""Did joining Operation Soteria change outcomes? Staggered programme evaluation.

Cohort outcomes that respect censoring, staggered difference-in-differences (Callaway &
Sant'Anna), per-force interrupted time series and a survival cross-check, each returned with
the plain-language limits of what it can show.
"""

from .did import (
    WEIGHTS,
    ProgrammeEffects,
    evaluate_programme,
    staggered_did,
    staggered_did_panel,
)
from .exposure import EXPOSURES, in_programme, programme_start_dates, start_dates_for
from .its import ForceTimeSeries, interrupted_time_series
from .panel import OUTCOMES, cohort_outcomes
from .survival_view import ProgrammeHazards, programme_hazards, split_at_start

__all__ = [
    "WEIGHTS",
    "ProgrammeEffects",
    "staggered_did",
    "staggered_did_panel",
    "EXPOSURES",
    "OUTCOMES",
    "ForceTimeSeries",
    "ProgrammeHazards",
    "cohort_outcomes",
    "evaluate_programme",
    "interrupted_time_series",
    "programme_hazards",
    "split_at_start",
    "in_programme",
    "programme_start_dates",
    "start_dates_for",
]
