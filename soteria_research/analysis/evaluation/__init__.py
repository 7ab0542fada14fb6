"""Did joining Operation Soteria change outcomes? Staggered programme evaluation.

Cohort outcomes that respect censoring, staggered difference-in-differences (Callaway &
Sant'Anna), per-force interrupted time series and a survival cross-check, each returned with
the plain-language limits of what it can show.
"""

from .did import WEIGHTS, evaluate_programme, staggered_did
from .exposure import EXPOSURES, in_programme, programme_start_dates, start_dates_for
from .its import ForceTimeSeries, interrupted_time_series
from .panel import OUTCOMES, cohort_members, cohort_outcomes
from .programme_effects import ProgrammeEffects, staggered_did_panel
from .survival_view import ProgrammeHazards, programme_hazards, split_at_start

__all__ = [
    "EXPOSURES",
    "ForceTimeSeries",
    "OUTCOMES",
    "ProgrammeEffects",
    "ProgrammeHazards",
    "WEIGHTS",
    "cohort_members",
    "cohort_outcomes",
    "evaluate_programme",
    "in_programme",
    "interrupted_time_series",
    "programme_hazards",
    "programme_start_dates",
    "split_at_start",
    "staggered_did",
    "staggered_did_panel",
    "start_dates_for",
]
