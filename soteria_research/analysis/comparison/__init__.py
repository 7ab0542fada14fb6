"""Comparing forces fairly: headline figures, case-mix-adjusted effects, funnel plots with
over-dispersion, shrunken rates with rank intervals, most-similar forces, and differences with
intervals against the rest of England and Wales and against peers.

Modules: ``headline`` (figures of a report), ``effects`` (observed against expected),
``funnels`` and ``limits`` (Spiegelhalter's funnel plots), ``shrinkage`` (empirical Bayes), ``peers``
(most-similar forces), ``differences`` (a force against the others).
"""

from .differences import COMPARATORS, force_differences
from .effects import WINDOW_OUTCOMES, force_effects
from .funnels import LIMIT_METHODS, Funnel, proportion_funnel, ratio_funnel
from .headline import HEADLINE_MEASURES, headline_figures
from .limits import LEVELS, dispersion, exact_limits, funnel_limits, random_effects_limits
from .peers import (
    CASE_MIX_FEATURES,
    FORCE_FEATURES,
    PEER_FEATURES,
    force_profile,
    most_similar,
    peer_agreement,
)
from .shrinkage import shrunken_rates

__all__ = [
    "CASE_MIX_FEATURES",
    "COMPARATORS",
    "FORCE_FEATURES",
    "HEADLINE_MEASURES",
    "LEVELS",
    "LIMIT_METHODS",
    "PEER_FEATURES",
    "WINDOW_OUTCOMES",
    "Funnel",
    "dispersion",
    "exact_limits",
    "force_differences",
    "force_effects",
    "force_profile",
    "funnel_limits",
    "headline_figures",
    "most_similar",
    "peer_agreement",
    "proportion_funnel",
    "random_effects_limits",
    "ratio_funnel",
    "shrunken_rates",
]
