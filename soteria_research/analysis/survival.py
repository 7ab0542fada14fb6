"""Time to outcome: Kaplan–Meier, Cox and competing-risks models in one public module.

Re-exports the estimators so notebooks import from one place; each is tested against R.
"""

from __future__ import annotations

from soteria_research.analysis.cox import CoxResults, cause_specific, fit_cox
from soteria_research.analysis.kaplan_meier import kaplan_meier, median_survival
from soteria_research.analysis.model_results import FitDiagnostics, HazardModelResults

__all__ = [
    "CoxResults",
    "FitDiagnostics",
    "HazardModelResults",
    "cause_specific",
    "fit_cox",
    "kaplan_meier",
    "median_survival",
]

try:  # the competing-risks estimators live beside this module (written separately)
    from soteria_research.analysis.competing_risks import (  # noqa: F401
        cumulative_incidence,
        fit_fine_gray,
    )
except ImportError:  # pragma: no cover - only while that module is being written
    pass
else:
    __all__ += ["cumulative_incidence", "fit_fine_gray"]

try:  # Gray's test sits beside cumulative_incidence in competing_risks.py
    from soteria_research.analysis.competing_risks import gray_test  # noqa: F401
except ImportError:  # pragma: no cover - only while that module is being written
    pass
else:
    __all__ += ["gray_test"]
