"""Did joining Operation Soteria change outcomes? Staggered programme evaluation.

Cohort outcomes that respect censoring, staggered difference-in-differences (Callaway &
Sant'Anna), per-force interrupted time series and a survival cross-check, each returned with
the plain-language limits of what it can show.
"""

from .did import WEIGHTS, ProgrammeEffects, staggered_did, staggered_did_panel
from .exposure import EXPOSURES, in_programme, programme_start_dates, start_dates_for
from .panel import OUTCOMES, cohort_outcomes

__all__ = [
    "WEIGHTS",
    "ProgrammeEffects",
    "staggered_did",
    "staggered_did_panel",
    "EXPOSURES",
    "OUTCOMES",
    "cohort_outcomes",
    "in_programme",
    "programme_start_dates",
    "start_dates_for",
]
