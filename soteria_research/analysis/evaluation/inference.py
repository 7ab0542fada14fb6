"""Intervals for programme effects: a wild cluster bootstrap by force of the influence functions.

Each force's influence function is multiplied by one random weight per draw (the multiplier
bootstrap of Callaway & Sant'Anna 2021, section 4.1, clustered by force), so every estimate of
one run shares the same draws and the event study gets a simultaneous band.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ...errors import ParameterError

#: Multiplier distributions: Webb's six-point (the default, recommended when there are few
#: clusters because it has many more distinct draws than Rademacher), Rademacher (±1), and
#: Mammen's two-point (R ``did``'s choice).
BOOTSTRAP_WEIGHTS = ("webb", "rademacher", "mammen")

_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
_NORMAL_IQR = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)


def check_bootstrap(n_boot: int, bootstrap_weights: str) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 99:
        raise ParameterError(f"n_boot={n_boot!r} must be a whole number of at least 99 "
                             "bootstrap draws, such as 999.")
    if bootstrap_weights not in BOOTSTRAP_WEIGHTS:
        raise ParameterError(f"bootstrap_weights={bootstrap_weights!r} is not one of "
                             f"{BOOTSTRAP_WEIGHTS}; 'webb' suits few forces best.")


def multipliers(n_clusters: int, n_boot: int, kind: str,
                rng: np.random.Generator) -> np.ndarray:
    """``n_clusters × n_boot`` multipliers with mean 0 and variance 1."""
    if kind == "webb":
        return _WEBB[rng.integers(0, 6, size=(n_clusters, n_boot))]
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(n_clusters, n_boot))
    root5 = np.sqrt(5.0)
    low, high = (1 - root5) / 2, (1 + root5) / 2
    p_low = (root5 + 1) / (2 * root5)
    return np.where(rng.random((n_clusters, n_boot)) < p_low, low, high)


def wild_cluster_bootstrap(influence: np.ndarray, *, level: float, n_boot: int, seed: int,
                           bootstrap_weights: str = "webb") -> dict[str, np.ndarray]:
    """Bootstrap standard errors and symmetric intervals for every column of ``influence``.

    Parameters
    ----------
    influence : array, forces × estimates
        Influence functions scaled as R ``did`` does (estimate - truth ≈ mean over forces).
    level : float
        Confidence level.
    n_boot : int
        Number of draws.
    seed : int
        Seed of the ``numpy.random.Generator`` the multipliers come from.
    bootstrap_weights : {"webb", "rademacher", "mammen"}

    Returns
    -------
    dict
        ``se`` (the analytic, influence-function standard error), ``se_boot`` (interquartile
        range of the draws over that of the normal, as R ``did``), ``half_width`` (the
        ``level`` quantile of the absolute draws: the interval is estimate ± half_width) and
        ``band_crit`` (the simultaneous critical value over all columns: estimate ±
        band_crit × se_boot covers every column at once with probability ``level``).

    Examples
    --------
    >>> import numpy as np
    >>> influence = np.random.default_rng(0).normal(size=(40, 2))
    >>> out = wild_cluster_bootstrap(influence, level=0.95, n_boot=999, seed=1)
    >>> bool(np.all(out["half_width"] > 1.5 * out["se"]))
    True
    """
    check_bootstrap(n_boot, bootstrap_weights)
    n = influence.shape[0]
    rng = np.random.default_rng(seed)
    draws = multipliers(n, n_boot, bootstrap_weights, rng).T @ influence / n
    q25, q75 = np.quantile(draws, [0.25, 0.75], axis=0)
    se_boot = (q75 - q25) / _NORMAL_IQR
    half_width = np.quantile(np.abs(draws), level, axis=0)
    band_crit = simultaneous_critical_value(draws, se_boot, level)
    se = np.sqrt((influence**2).sum(axis=0)) / n
    return {"se": se, "se_boot": se_boot, "half_width": half_width,
            "band_crit": np.asarray(band_crit), "draws": draws}


def simultaneous_critical_value(draws: np.ndarray, se_boot: np.ndarray, level: float) -> float:
    """The ``level`` quantile of the largest |draw| / se over columns: estimate ± this × se
    covers every column at once with probability ``level``."""
    usable = se_boot > 0
    if not usable.any():
        return np.nan
    return float(np.quantile((np.abs(draws[:, usable]) / se_boot[usable]).max(axis=1), level))


def sup_t_test(estimates: np.ndarray, draws: np.ndarray, se_boot: np.ndarray) -> dict:
    """Bootstrap test that every estimate is zero: the largest |estimate| / se against the
    largest |draw| / se of each draw. Unlike a Wald test with an estimated covariance it
    keeps its size with many placebos and few forces.

    Examples
    --------
    >>> import numpy as np
    >>> draws = np.random.default_rng(0).normal(size=(999, 3))
    >>> round(sup_t_test(np.zeros(3), draws, np.ones(3))["p"], 2)
    1.0
    """
    usable = se_boot > 0
    if not usable.any():
        return {"statistic": np.nan, "df": 0, "p": np.nan}
    statistic = float(np.max(np.abs(estimates[usable]) / se_boot[usable]))
    null = np.max(np.abs(draws[:, usable]) / se_boot[usable], axis=1)
    return {"statistic": statistic, "df": int(usable.sum()), "p": float(np.mean(null >= statistic))}
