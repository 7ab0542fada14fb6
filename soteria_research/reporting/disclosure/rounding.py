"""Published values: counts rounded, shares and intervals recomputed from the published counts.

A share printed from the true counts beside rounded counts undoes the rounding (47.3% of a
rounded 55 pins the true numerator); so shares and their Wilson intervals are computed from the
counts as published, and a rate whose numerator or denominator is hidden, or whose denominator
is 0, is hidden too ("[c]", never blank).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from .profiles import DisclosureProfile, round_to_base
from .spec import Rate

__all__ = ["publish_counts", "publish_rate", "wilson"]


def wilson(count, nobs, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``count / nobs`` (NaN where ``nobs`` is 0 or missing).

    The closed form, vectorised over a whole run's tables at once (statsmodels'
    ``proportion_confint(method="wilson")`` gives the same numbers and is the tests' oracle,
    but costs a call per table).

    Examples
    --------
    >>> low, high = wilson(np.array([10.0]), np.array([50.0]))
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.1124, 0.3304)
    """
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    z = float(ndtri(0.5 + level / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        usable = ~np.isnan(count) & ~np.isnan(nobs) & (nobs > 0)
        n = np.where(usable, nobs, np.nan)
        p = count / n
        denominator = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return centre - half, centre + half


def publish_counts(values: np.ndarray, hidden: np.ndarray,
                   profile: DisclosureProfile) -> np.ndarray:
    """Counts as printed: NaN where hidden, rounded to the profile's base elsewhere.

    Examples
    --------
    >>> from soteria_research.reporting.disclosure.profiles import get_profile
    >>> publish_counts(np.array([3, 12, 0]), np.array([True, False, False]),
    ...                get_profile("publication")).tolist()
    [nan, 10.0, 0.0]
    """
    published = np.array(values, dtype=float)  # a copy: the run's true values stay intact
    if profile.suppress:
        published = round_to_base(published, profile.round_base)
    published[np.asarray(hidden, dtype=bool)] = np.nan
    return published


def publish_rate(rate: Rate, given: np.ndarray, counts: dict[str, np.ndarray],
                 profile: DisclosureProfile, design_effect: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """One rate column as printed, and its hidden mask.

    ``counts`` holds the *published* count columns (NaN where hidden). Shares and intervals
    are recomputed from them (an interval at each row's ``design_effect`` *d*, the Wilson
    interval of ``k / d`` in ``n / d``, where the rate has one; 1 where *d* is missing);
    ``value`` rates are shown as ``given`` (to ``decimals``) unless a count they rest on is
    hidden; ``extreme`` rates are always hidden.

    Examples
    --------
    >>> from soteria_research.reporting.disclosure.profiles import get_profile
    >>> counts = {"k": np.array([20.0, 20.0]), "n": np.array([100.0, 100.0])}
    >>> low, _ = publish_rate(Rate("k", "n", "lower", design_effect="d"), np.zeros(2), counts,
    ...                       get_profile("partner"), design_effect=np.array([1.0, 2.0]))
    >>> low.tolist()  # the second at 10 of 50: wider
    [0.133, 0.112]
    """
    given = np.asarray(given, dtype=float)
    n = len(given)
    if not profile.suppress:
        return given.copy(), np.zeros(n, dtype=bool)
    if rate.kind == "extreme":
        return np.full(n, np.nan), np.ones(n, dtype=bool)
    parts = [counts[c] for c in rate.counts]
    hidden = np.zeros(n, dtype=bool)
    for part in parts:
        hidden |= np.isnan(part)
    if rate.denominator:
        den = counts[rate.denominator]
        hidden |= ~np.isnan(den) & (den == 0)
    if rate.kind == "value":
        shown = np.round(given, rate.decimals)
    else:
        num, den = counts[rate.numerator], counts[rate.denominator]
        with np.errstate(invalid="ignore", divide="ignore"):
            if rate.kind == "share":
                shown = num / den
            else:
                d = (np.ones(n) if design_effect is None else np.where(
                    np.isfinite(design_effect) & (design_effect > 0), design_effect, 1.0))
                low, high = wilson(num / d, den / d, rate.level)
                shown = low if rate.kind == "lower" else high
        shown = np.round(shown * rate.scale, rate.decimals)
    # nothing to show (no cases, no estimate) reads as hidden, never as a blank
    hidden |= np.isnan(shown)
    shown = np.where(hidden, np.nan, shown)
    return shown, hidden
