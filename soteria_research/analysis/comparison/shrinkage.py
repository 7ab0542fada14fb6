"""Shrunken force rates: empirical-Bayes estimates beside the raw ones, with rank intervals, so
that a force sees how uncertain its place among forces is."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from ...errors import ParameterError
from ..attrition import _wilson

__all__ = ["shrunken_rates"]

#: Largest prior concentration fitted: beyond it the forces are, as far as the data can tell,
#: alike, and every estimate is the national one.
_MAX_LOG_CONCENTRATION = np.log(1e9)


def shrunken_rates(
    frame: pd.DataFrame,
    *,
    by: str | Sequence[str] = "force",
    count: str = "count",
    n: str | None = "n",
    expected: str | None = None,
    level: float = 0.95,
    draws: int = 4000,
    seed: int = 0,
) -> pd.DataFrame:
    """Empirical-Bayes force rates with credible intervals and rank intervals.

    A small force's raw rate is noisy: its extreme values are partly luck. Treating the
    forces' true rates as drawn from one distribution, whose spread is estimated from all
    forces, pulls each raw rate towards the national one by as much as its own noise warrants
    (little for a large force, much for a small one). Two conjugate models:

    - proportions (``expected`` None): ``count ~ Binomial(n, p)``, ``p ~ Beta(a, b)``
      (beta-binomial); the posterior is ``Beta(a + count, b + n - count)``.
    - case-mix-adjusted ratios (``expected`` a column): ``count ~ Poisson(theta * expected)``,
      ``theta ~ Gamma(shape, rate)`` (negative binomial); the posterior is ``Gamma(shape +
      count, rate + expected)``. A count of binary outcomes varies a little less than a
      Poisson one, so the shrinkage errs towards the national value.

    ``a, b`` (or ``shape, rate``) maximise the marginal likelihood of all forces' counts
    (scipy ``betabinom`` / ``nbinom`` and ``optimize.minimize``). Ranks (1 = the highest rate)
    are simulated from the posteriors with ``seed``; ``rank_low``/``rank_high`` hold the
    ``level`` interval of a force's rank across the draws.

    Parameters
    ----------
    frame : DataFrame
        One row per force: ``count`` and ``n`` (proportions) or ``count`` and ``expected``
        (ratios), such as one measure of ``headline_figures(..., by="force")`` or
        ``force_effects(...)`` (``count="observed", expected="expected"``).
    by : str or list of str
        Column(s) naming the force.
    count, n, expected : str
        Columns of the count, the cases, and (for ratios) the expected count.
    level : float
        Coverage of the credible and rank intervals.
    draws : int
        Posterior draws behind the rank intervals.
    seed : int
        Seed of the draws; the same seed gives the same intervals.

    Returns
    -------
    DataFrame
        One row per force: ``by…, count, n`` (or ``expected``), ``raw, raw_ci_low,
        raw_ci_high`` (Wilson for a proportion, exact Poisson for a ratio), ``estimate, ci_low,
        ci_high`` (posterior mean and equal-tailed credible interval), ``shrinkage`` (weight on
        the national value, 0 to 1), ``rank, rank_low, rank_high`` and ``n_units``; sorted by
        ``estimate``, highest first. ``attrs`` hold the fitted prior (``prior_mean``,
        ``prior_sd``: the spread of true rates between forces).

    Examples
    --------
    >>> import pandas as pd
    >>> from soteria_research.analysis.comparison import shrunken_rates
    >>> forces = pd.DataFrame({"force": list("abcde"), "count": [2, 30, 41, 80, 9],
    ...                        "n": [10, 200, 300, 400, 30]})
    >>> table = shrunken_rates(forces, seed=1).set_index("force")
    >>> bool(table.loc["e", "raw"] > table.loc["e", "estimate"])  # 9 of 30, pulled down
    True
    """
    by = [by] if isinstance(by, str) else list(by)
    _check(frame, by, count, n, expected, level, draws)
    counts = frame[count].to_numpy(dtype=float)
    if expected is None:
        sizes = frame[n].to_numpy(dtype=float)
        fit = _beta_binomial(counts, sizes)
        a, b = fit["a"], fit["b"]
        post_a, post_b = a + counts, b + sizes - counts
        estimate = post_a / (post_a + post_b)
        tail = (1 - level) / 2
        ci_low, ci_high = stats.beta.ppf([[tail], [1 - tail]], post_a, post_b)
        shrinkage = (a + b) / (a + b + sizes)
        raw, raw_low, raw_high = _wilson(counts, sizes, level)
        rng = np.random.default_rng(seed)
        simulated = rng.beta(post_a, post_b, size=(draws, len(counts)))
        base = {count: counts.astype(np.int64), n: sizes.astype(np.int64)}
        prior = {"prior_mean": a / (a + b),
                 "prior_sd": np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))}
    else:
        means = frame[expected].to_numpy(dtype=float)
        fit = _gamma_poisson(counts, means)
        shape, rate = fit["shape"], fit["rate"]
        post_shape, post_rate = shape + counts, rate + means
        estimate = post_shape / post_rate
        tail = (1 - level) / 2
        ci_low, ci_high = stats.gamma.ppf([[tail], [1 - tail]], post_shape, scale=1 / post_rate)
        shrinkage = rate / (rate + means)
        raw = counts / means
        raw_low = np.where(counts > 0, stats.chi2.ppf(tail, 2 * np.maximum(counts, 1)) / 2, 0.0)
        raw_low = raw_low / means
        raw_high = stats.chi2.ppf(1 - tail, 2 * (counts + 1)) / 2 / means
        rng = np.random.default_rng(seed)
        simulated = rng.gamma(post_shape, 1 / post_rate, size=(draws, len(counts)))
        base = {count: counts.astype(np.int64), expected: means}
        prior = {"prior_mean": shape / rate, "prior_sd": np.sqrt(shape) / rate}
    ranks = stats.rankdata(-simulated, axis=1)
    rank_low, rank_high = np.quantile(ranks, [(1 - level) / 2, 1 - (1 - level) / 2], axis=0,
                                      method="inverted_cdf")
    result = frame[by].copy()
    for column, values in base.items():
        result[column] = values
    result = result.assign(
        raw=raw, raw_ci_low=raw_low, raw_ci_high=raw_high, estimate=estimate,
        ci_low=np.ravel(ci_low), ci_high=np.ravel(ci_high), shrinkage=shrinkage,
        rank=stats.rankdata(-estimate, method="min").astype(np.int64),
        rank_low=rank_low.astype(np.int64), rank_high=rank_high.astype(np.int64),
        n_units=len(result),
    )
    result = result.sort_values(["rank", *by], kind="stable").reset_index(drop=True)
    result.attrs = {}
    result.attrs.update({**prior, "model": fit["model"], "seed": seed, "draws": draws,
                         "level": level})
    return result


def _check(frame, by, count, n, expected, level, draws) -> None:
    needed = [*by, count, expected if expected is not None else n]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ParameterError(f"The frame lacks column(s) {missing} (it has "
                             f"{list(frame.columns)}); name them with by=, count=, n= or "
                             "expected=.")
    if not 0 < level < 1:
        raise ParameterError(f"level={level!r} must be between 0 and 1, such as 0.95.")
    if int(draws) < 100:
        raise ParameterError(f"draws={draws!r} is too few for rank intervals; use 1000 or more.")
    values = frame[needed[1:]].to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < 0).any():
        raise ParameterError(f"{needed[1:]} must be known, non-negative numbers for every force "
                             "(shrink the raw counts, before disclosure control hides any).")
    if len(frame) < 3:
        raise ParameterError("Shrinkage needs at least three forces to estimate how much true "
                             f"rates differ between them; the frame has {len(frame)}.")


def _beta_binomial(counts: np.ndarray, sizes: np.ndarray) -> dict:
    """Maximum marginal likelihood ``Beta(a, b)`` prior of the forces' true proportions."""
    if (counts > sizes).any() or (sizes <= 0).any():
        raise ParameterError("Every force needs cases (n > 0) and a count no larger than n.")
    pooled = counts.sum() / sizes.sum()
    if pooled <= 0 or pooled >= 1:
        raise ParameterError("Shrinkage needs some cases with and some without the outcome.")

    def loss(theta):
        mean = special.expit(theta[0])
        concentration = np.exp(theta[1])
        return -stats.betabinom.logpmf(counts, sizes, mean * concentration,
                                       (1 - mean) * concentration).sum()

    start = np.array([special.logit(pooled), np.log(100.0)])
    best = optimize.minimize(loss, start, method="L-BFGS-B",
                             bounds=[(-20, 20), (np.log(1e-3), _MAX_LOG_CONCENTRATION)])
    mean, concentration = special.expit(best.x[0]), np.exp(best.x[1])
    return {"a": mean * concentration, "b": (1 - mean) * concentration,
            "model": "beta-binomial", "converged": bool(best.success)}


def _gamma_poisson(counts: np.ndarray, means: np.ndarray) -> dict:
    """Maximum marginal likelihood ``Gamma(shape, rate)`` prior of the forces' true ratios."""
    if (means <= 0).any():
        raise ParameterError("Every force needs a positive expected count.")
    pooled = counts.sum() / means.sum()
    if pooled <= 0:
        raise ParameterError("Shrinkage needs at least one observed outcome.")

    def loss(theta):
        ratio, shape = np.exp(theta[0]), np.exp(theta[1])
        return -stats.nbinom.logpmf(counts, shape, shape / (shape + ratio * means)).sum()

    start = np.array([np.log(pooled), np.log(100.0)])
    best = optimize.minimize(loss, start, method="L-BFGS-B",
                             bounds=[(-20, 20), (np.log(1e-3), _MAX_LOG_CONCENTRATION)])
    ratio, shape = np.exp(best.x[0]), np.exp(best.x[1])
    return {"shape": shape, "rate": shape / ratio, "model": "gamma-Poisson",
            "converged": bool(best.success)}
