"""Control limits of a funnel plot: exact limits for chance alone (binomial or Poisson, with
Spiegelhalter's interpolation), additive random-effects limits, and the over-dispersion test
that chooses between them.

Reference: D. J. Spiegelhalter, "Funnel plots for comparing institutional performance",
Statistics in Medicine 24 (2005) 1185-1202 (exact limits with interpolation: appendix;
over-dispersion and random-effects limits: sections 5 and 6).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from ...errors import ParameterError

__all__ = ["LEVELS", "dispersion", "exact_limits", "funnel_limits", "random_effects_limits"]

#: Coverage of the inner and outer limits: "2 and 3 standard deviations".
LEVELS = (0.95, 0.998)


# --------------------------------------------------------------------------------------------
# The count under chance alone
# --------------------------------------------------------------------------------------------
class _RealSizeBinomial:
    """Binomial(size, prob) whose size need not be a whole number.

    The count behind an indirectly standardised ratio is a sum of Bernoulli outcomes with
    different probabilities; a binomial with the same mean and variance has a size
    ``expected / share`` that is rarely whole, which ``scipy.stats.binom`` refuses. The cdf is
    the regularised incomplete beta function, ``P(X <= k) = I_{1-p}(size - k, k + 1)``, which
    equals ``scipy.stats.binom.cdf`` at whole sizes.
    """

    def __init__(self, size: np.ndarray, prob: float):
        self.size = np.asarray(size, dtype=float)
        self.prob = float(prob)

    def cdf(self, k: np.ndarray) -> np.ndarray:
        k = np.floor(np.asarray(k, dtype=float))
        inside = (k >= 0) & (k < self.size)
        value = special.betainc(np.where(inside, self.size - k, 1.0),
                                np.where(inside, k + 1, 1.0), 1.0 - self.prob)
        return np.where(k < 0, 0.0, np.where(k >= self.size, 1.0, value))

    def ppf(self, q: float) -> np.ndarray:
        # Bisection on whole counts: cdf(low) < q <= cdf(high) throughout.
        low = np.full(self.size.shape, -1.0)
        high = np.ceil(self.size)
        while np.any(high - low > 1):
            middle = np.floor((low + high) / 2)
            enough = self.cdf(middle) >= q
            high = np.where(enough, middle, high)
            low = np.where(enough, low, middle)
        return high


def _count_distribution(precision: np.ndarray, target: float, null_share: float | None):
    """The observed count under chance alone, with mean ``precision * target``.

    ``null_share`` None: Poisson. Otherwise binomial with success probability ``null_share``
    and size ``precision * target / null_share`` (for a proportion ``null_share = target``, so
    the size is the number of cases).
    """
    mean = np.asarray(precision, dtype=float) * target
    if null_share is None:
        return stats.poisson(mean)
    size = mean / null_share
    if np.allclose(size, np.round(size), rtol=0, atol=1e-9):
        return stats.binom(np.round(size).astype(np.int64), null_share)
    return _RealSizeBinomial(size, null_share)


def _null_variance(precision: np.ndarray, target: float, null_share: float | None) -> np.ndarray:
    """Variance of ``count / precision`` under chance alone."""
    precision = np.asarray(precision, dtype=float)
    spread = 1.0 if null_share is None else 1.0 - null_share
    return target * spread / precision


def exact_limits(
    precision: Sequence[float] | np.ndarray,
    *,
    target: float,
    null_share: float | None = None,
    levels: Sequence[float] = LEVELS,
) -> pd.DataFrame:
    """Exact control limits for chance alone, interpolated as Spiegelhalter (2005) describes.

    For a tail probability q, let r be the q-quantile of the count (the smallest r with
    P(count <= r) >= q) and ``alpha = (P(count <= r) - q) / (P(count <= r) - P(count <= r-1))``;
    the limit is ``(r - alpha) / precision``. The interpolation draws smooth limits from a
    discrete count, so a force exactly on a limit is at that tail probability.

    Parameters
    ----------
    precision : array of float
        Cases (proportions) or expected counts (ratios) at which to compute the limits.
    target : float
        The rate or ratio under chance alone (the national proportion, or 1 for a ratio).
    null_share : float, optional
        The count is binomial with this success probability (for a proportion, the target
        itself); None for a Poisson count.
    levels : sequence of float
        Two-sided coverage of each pair of limits (0.95 and 0.998 by default: "2 and 3
        standard deviations").

    Returns
    -------
    DataFrame
        ``level, precision, lower, upper``; lower limits below 0 (and proportion limits above
        1) are cut at 0 (1).

    Examples
    --------
    >>> from soteria_research.analysis.comparison import exact_limits
    >>> limits = exact_limits([100], target=0.2, null_share=0.2, levels=[0.95])
    >>> limits[["lower", "upper"]].round(4).values.tolist()
    [[0.1197, 0.2765]]
    """
    precision = np.asarray(precision, dtype=float)
    if (precision <= 0).any() or not np.isfinite(precision).all():
        raise ParameterError("precision must be positive numbers (cases, or expected counts).")
    count = _count_distribution(precision, target, null_share)
    parts = []
    for level in levels:  # two levels: a tiny loop, not over data
        _check_level(level)
        bounds = []
        for q in ((1 - level) / 2, 1 - (1 - level) / 2):
            r = count.ppf(q)
            at_r, below_r = count.cdf(r), count.cdf(r - 1)
            alpha = np.divide(at_r - q, at_r - below_r, out=np.zeros_like(at_r),
                              where=at_r > below_r)
            bounds.append(np.maximum((r - alpha) / precision, 0.0))
        lower, upper = bounds
        if null_share is not None and np.isclose(null_share, target):
            upper = np.minimum(upper, 1.0)
        parts.append(pd.DataFrame({"level": level, "precision": precision, "lower": lower,
                                   "upper": upper}))
    return pd.concat(parts, ignore_index=True)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ParameterError(f"level={level!r} must be between 0 and 1, such as 0.95 or 0.998.")


def random_effects_limits(
    precision: Sequence[float] | np.ndarray,
    *,
    target: float,
    tau2: float,
    null_share: float | None = None,
    levels: Sequence[float] = LEVELS,
) -> pd.DataFrame:
    """Additive random-effects limits ``target ± z sqrt(s² + tau²)`` (Spiegelhalter 2005, §6).

    ``s²`` is the variance of ``count / precision`` under chance alone (as in
    :func:`exact_limits`: binomial with success probability ``null_share``, or Poisson when
    None) and ``tau²`` the variance of true rates between forces (from :func:`dispersion`). A
    force outside these limits differs from the target by more than chance plus the usual
    spread between forces. Lower limits are cut at 0, and proportion limits
    (``null_share == target``) at 1.

    Returns
    -------
    DataFrame
        ``level, precision, lower, upper``.

    Examples
    --------
    >>> from soteria_research.analysis.comparison import random_effects_limits
    >>> limits = random_effects_limits([100], target=0.2, null_share=0.2, tau2=0.0004,
    ...                                levels=[0.95])
    >>> limits[["lower", "upper"]].round(4).values.tolist()
    [[0.1123, 0.2877]]
    """
    precision = np.asarray(precision, dtype=float)
    variance = _null_variance(precision, target, null_share) + tau2
    proportion = null_share is not None and np.isclose(null_share, target)
    parts = []
    for level in levels:
        _check_level(level)
        z = stats.norm.ppf(1 - (1 - level) / 2)
        lower = np.maximum(target - z * np.sqrt(variance), 0.0)
        upper = target + z * np.sqrt(variance)
        if proportion:
            upper = np.minimum(upper, 1.0)
        parts.append(pd.DataFrame({"level": level, "precision": precision, "lower": lower,
                                   "upper": upper}))
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Over-dispersion
# --------------------------------------------------------------------------------------------
def dispersion(
    estimate: Sequence[float] | np.ndarray,
    variance: Sequence[float] | np.ndarray,
    *,
    target: float,
    winsor: float = 0.1,
) -> dict[str, float]:
    """Spiegelhalter's over-dispersion test and the DerSimonian–Laird between-force variance.

    The z-scores ``(y - target) / sqrt(variance)`` are winsorised (those below the ``winsor``
    quantile set to it, those above the ``1 - winsor`` quantile set to that), so that a few
    genuine outliers do not inflate the estimate. ``phi`` is the mean squared winsorised
    z-score; ``I * phi`` is compared with a chi-squared distribution on ``I - 1`` degrees of
    freedom. The between-force variance is ``tau² = max(0, (I phi - (I - 1)) / (sum w - sum w²
    / sum w))`` with ``w = 1 / variance`` (DerSimonian and Laird's moment estimator, computed
    on the winsorised z-scores).

    Returns
    -------
    dict
        ``n_units, phi, statistic, df, p, tau2, z_low, z_high`` (the winsorising bounds).

    Examples
    --------
    >>> from soteria_research.analysis.comparison import dispersion
    >>> result = dispersion([0.1, 0.2, 0.3], [0.01, 0.01, 0.01], target=0.2, winsor=0.0)
    >>> round(result["phi"], 6), round(result["tau2"], 6)
    (0.666667, 0.0)
    """
    y = np.asarray(estimate, dtype=float)
    variance = np.asarray(variance, dtype=float)
    if not 0 <= winsor < 0.5:
        raise ParameterError(f"winsor={winsor!r} must be at least 0 and below 0.5 (0.1 is 10% "
                             "at each end).")
    z = (y - target) / np.sqrt(variance)
    units = len(z)
    if units < 2:
        return {"n_units": units, "phi": np.nan, "statistic": np.nan, "df": 0, "p": np.nan,
                "tau2": 0.0, "z_low": np.nan, "z_high": np.nan}
    z_low, z_high = np.quantile(z, [winsor, 1 - winsor])
    z_w = np.clip(z, z_low, z_high)
    phi = float(np.mean(z_w**2))
    statistic = units * phi
    weight = 1.0 / variance
    tau2 = max(0.0, (statistic - (units - 1))
               / (weight.sum() - (weight**2).sum() / weight.sum()))
    return {"n_units": units, "phi": phi, "statistic": statistic, "df": units - 1,
            "p": float(stats.chi2.sf(statistic, units - 1)), "tau2": float(tau2),
            "z_low": float(z_low), "z_high": float(z_high)}


def funnel_limits(
    expected_max: float, *, expected_min: float = 1.0, levels: Sequence[float] = LEVELS,
    points: int = 200,
) -> pd.DataFrame:
    """Poisson limits of an observed/expected ratio under chance alone, on a grid.

    Kept for callers that draw chance-alone limits by themselves; :func:`ratio_funnel` gives
    the limits a report should draw (binomial, or random effects when forces differ by more
    than chance). Exact Poisson quantiles with Spiegelhalter's interpolation.

    Returns
    -------
    DataFrame
        ``expected, level, lower, upper`` on a log-spaced grid of expected counts.

    Examples
    --------
    >>> from soteria_research.analysis.comparison import funnel_limits
    >>> limits = funnel_limits(100)
    >>> bool((limits["lower"] <= 1).all() and (limits["upper"] >= 1).all())
    True
    """
    grid = np.geomspace(max(expected_min, 0.5), max(expected_max, expected_min * 2), points)
    table = exact_limits(grid, target=1.0, null_share=None, levels=levels)
    return table.rename(columns={"precision": "expected"})[["expected", "level", "lower",
                                                            "upper"]]
