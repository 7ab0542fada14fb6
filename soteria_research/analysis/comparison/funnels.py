"""Funnel plots as Spiegelhalter (2005) recommends: each force's rate or ratio against its
precision, with exact limits for chance alone and, when forces differ by more than chance,
additive random-effects limits (:mod:`.limits`); the choice and its numbers returned as data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import ParameterError
from ..attrition import _wilson
from .limits import (
    LEVELS,
    _check_level,
    _null_variance,
    dispersion,
    exact_limits,
    random_effects_limits,
)

__all__ = ["LIMIT_METHODS", "Funnel", "proportion_funnel", "ratio_funnel"]

#: Kinds of control limit: chance alone with a Poisson or a binomial count, or chance plus the
#: spread between forces (additive random effects).
LIMIT_METHODS = ("poisson", "binomial", "random_effects")


@dataclass(frozen=True)
class Funnel:
    """A funnel plot as data: the forces, the limits, and why these limits.

    Attributes
    ----------
    points : DataFrame
        One row per force: the input columns, then ``estimate, ci_low, ci_high`` (the force's
        own rate or ratio and its interval), ``precision`` (the x axis: cases for a proportion,
        expected count for a ratio), ``target``, ``z`` (standardised against chance alone),
        ``z_winsorised``, ``position`` (``"above"``, ``"below"`` or ``"within"`` the outer
        chosen limits) and ``beyond_level`` (the widest level whose chosen limits the force is
        outside; NaN when inside all).
    limits : DataFrame
        ``method, level, precision, lower, upper`` on a grid of precisions, for every method
        in :data:`LIMIT_METHODS` (draw ``method == funnel.method``).
    dispersion : DataFrame
        One row: ``kind, n_units, target, null, null_share, phi, statistic, df, p,
        overdispersed, tau2, tau, winsor, z_low, z_high, method``.
    flagged : DataFrame
        ``method, level, n_above, n_below, n_outside, chosen``: how many forces each kind of
        limit puts outside, so a report can say what the choice changes.
    method : str
        The limits chosen (one of :data:`LIMIT_METHODS`).
    note : str
        A caption for the figure saying which limits, why, and what they flag.
    """

    points: pd.DataFrame
    limits: pd.DataFrame
    dispersion: pd.DataFrame
    flagged: pd.DataFrame
    method: str
    note: str

    @property
    def chosen_limits(self) -> pd.DataFrame:
        """The rows of :attr:`limits` for the chosen method."""
        return self.limits[self.limits["method"].eq(self.method)].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# The funnels
# --------------------------------------------------------------------------------------------
def proportion_funnel(
    frame: pd.DataFrame,
    *,
    by: str | Sequence[str] = "force",
    count: str = "count",
    n: str = "n",
    target: float | None = None,
    levels: Sequence[float] = LEVELS,
    limits: str = "auto",
    winsor: float = 0.1,
    dispersion_test: float = 0.05,
    points: int = 200,
) -> Funnel:
    """Funnel plot of a proportion (such as the share charged within a year) across forces.

    Under chance alone a force's count is binomial with its number of cases and the national
    proportion; the limits are exact binomial quantiles with Spiegelhalter's interpolation
    (:func:`exact_limits`). When forces differ by more than chance (the over-dispersion test of
    :func:`dispersion` at ``dispersion_test``) the chosen limits are the additive
    random-effects ones, ``p0 ± z sqrt(p0 (1 - p0) / n + tau²)``: a force outside them
    differs from the national rate by more than the usual spread between forces, not only by
    more than chance.

    Parameters
    ----------
    frame : DataFrame
        One row per force with a count and a number of cases, such as the rows of one measure
        of ``headline_figures(cases, by="force")``.
    by : str or list of str
        Column(s) naming the force.
    count, n : str
        Columns of the number with the outcome and the number of cases.
    target : float, optional
        The proportion under chance alone; default the pooled proportion ``sum(count) /
        sum(n)``.
    levels : sequence of float
        Coverage of the inner and outer limits.
    limits : {"auto", "binomial", "poisson", "random_effects"}
        ``"auto"`` chooses random effects when over-dispersed, binomial otherwise. Poisson
        limits are offered for comparison only: a proportion's count is binomial.
    winsor : float
        Share of z-scores winsorised at each end before estimating over-dispersion.
    dispersion_test : float
        Significance level of the over-dispersion test.
    points : int
        Points on the grid of the drawn limits.

    Returns
    -------
    Funnel

    Examples
    --------
    >>> import pandas as pd
    >>> from soteria_research.analysis.comparison import proportion_funnel
    >>> forces = pd.DataFrame({"force": list("abcdef"), "count": [10, 30, 22, 80, 45, 12],
    ...                        "n": [100, 200, 150, 400, 300, 90]})
    >>> funnel = proportion_funnel(forces)
    >>> funnel.method, int(funnel.dispersion["n_units"].iloc[0])
    ('binomial', 6)
    """
    by = [by] if isinstance(by, str) else list(by)
    _require(frame, [*by, count, n])
    counts = frame[count].to_numpy(dtype=float)
    sizes = frame[n].to_numpy(dtype=float)
    usable = np.isfinite(counts) & np.isfinite(sizes) & (sizes > 0)
    if not usable.any():
        raise ParameterError(f"No force has a positive {n!r} and a known {count!r}: a funnel "
                             "needs at least one force with cases.")
    if target is None:
        target = float(counts[usable].sum() / sizes[usable].sum())
    if not 0 < target < 1:
        raise ParameterError(f"The target proportion is {target!r}; a funnel needs one strictly "
                             "between 0 and 1 (some cases with and some without the outcome).")
    estimate = np.where(usable, counts / np.where(usable, sizes, 1.0), np.nan)
    share, low, high = _wilson(np.where(usable, counts, 0), np.where(usable, sizes, 0))
    own = pd.DataFrame({"estimate": estimate, "ci_low": low, "ci_high": high,
                        "precision": sizes}, index=frame.index)
    return _funnel(frame, own, usable, kind="proportion", target=target, null_share=target,
                   levels=levels, limits=limits, winsor=winsor,
                   dispersion_test=dispersion_test, points=points)


def ratio_funnel(
    frame: pd.DataFrame,
    *,
    by: str | Sequence[str] = "force",
    observed: str = "observed",
    expected: str = "expected",
    variance: str | None = "expected_variance",
    levels: Sequence[float] = LEVELS,
    limits: str = "auto",
    winsor: float = 0.1,
    dispersion_test: float = 0.05,
    points: int = 200,
) -> Funnel:
    """Funnel plot of indirectly standardised ratios (observed / expected from case mix).

    ``frame`` is :func:`~.effects.force_effects`: each force's observed count against the count
    a national case-mix model expects. Under chance alone the observed count is a sum of
    binary outcomes with the case-mix probabilities p; its variance is ``sum p (1 - p)``
    (``variance`` column), smaller than the Poisson variance ``sum p`` when outcomes are
    common. The null count is taken as binomial with that mean and the national
    variance-to-mean ratio (success probability ``1 - sum variance / sum expected``, the same
    for every force, so the drawn limits and the flags agree); without a variance column it is
    Poisson, as Spiegelhalter (2005) does for standardised mortality ratios. Limits are exact
    with Spiegelhalter's interpolation; when forces differ by more than chance the chosen limits
    are the additive random-effects ones ``1 ± z sqrt(s² + tau²)``.

    Parameters
    ----------
    frame : DataFrame
        One row per force.
    by : str or list of str
        Column(s) naming the force.
    observed, expected : str
        Columns of the observed and the expected count.
    variance : str or None
        Column of ``sum p (1 - p)``; None (or absent) for Poisson limits.
    levels, limits, winsor, dispersion_test, points
        As :func:`proportion_funnel` (``limits="binomial"`` needs the variance column).

    Returns
    -------
    Funnel

    Examples
    --------
    >>> import pandas as pd
    >>> from soteria_research.analysis.comparison import ratio_funnel
    >>> effects = pd.DataFrame({"force": list("abcd"), "observed": [12, 40, 30, 95],
    ...                         "expected": [10.0, 45.0, 28.0, 94.0],
    ...                         "expected_variance": [9.0, 40.0, 25.0, 84.0]})
    >>> funnel = ratio_funnel(effects)
    >>> funnel.method, funnel.points["position"].tolist()
    ('binomial', ['within', 'within', 'within', 'within'])
    """
    by = [by] if isinstance(by, str) else list(by)
    _require(frame, [*by, observed, expected])
    counts = frame[observed].to_numpy(dtype=float)
    means = frame[expected].to_numpy(dtype=float)
    usable = np.isfinite(counts) & np.isfinite(means) & (means > 0)
    if not usable.any():
        raise ParameterError(f"No force has a positive {expected!r} count: a funnel needs at "
                             "least one force with expected outcomes.")
    null_share = None
    if variance is not None and variance in frame.columns:
        spread = frame[variance].to_numpy(dtype=float)
        null_share = float(1.0 - spread[usable].sum() / means[usable].sum())
        if not 0 < null_share < 1:
            raise ParameterError(f"{variance!r} must be below {expected!r} (a sum of p (1 - p) "
                                 "against a sum of p); check the columns.")
    estimate = np.where(usable, counts / np.where(usable, means, 1.0), np.nan)
    low = np.where(counts > 0, stats.chi2.ppf(0.025, 2 * np.maximum(counts, 1)) / 2, 0.0)
    high = stats.chi2.ppf(0.975, 2 * (np.nan_to_num(counts) + 1)) / 2
    own = pd.DataFrame({"estimate": estimate, "ci_low": np.where(usable, low / means, np.nan),
                        "ci_high": np.where(usable, high / means, np.nan),
                        "precision": means}, index=frame.index)
    return _funnel(frame, own, usable, kind="ratio", target=1.0, null_share=null_share,
                   levels=levels, limits=limits, winsor=winsor,
                   dispersion_test=dispersion_test, points=points)


def _require(frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(f"The frame lacks column(s) {missing} (it has {list(frame.columns)})"
                             "; name the right ones with by=, count=/n= or observed=/expected=.")


def _funnel(frame, own, usable, *, kind, target, null_share, levels, limits, winsor,
            dispersion_test, points) -> Funnel:
    levels = sorted(levels)
    for level in levels:
        _check_level(level)
    chance = "poisson" if null_share is None else "binomial"
    if limits not in ("auto", *LIMIT_METHODS):
        raise ParameterError(f"limits={limits!r}: use 'auto', " +
                             ", ".join(repr(m) for m in LIMIT_METHODS) + ".")
    if limits == "binomial" and null_share is None:
        raise ParameterError("Binomial limits for a ratio need the variance column "
                             "(sum of p (1 - p)) that force_effects returns.")
    precision = own["precision"].to_numpy(dtype=float)
    estimate = own["estimate"].to_numpy(dtype=float)
    variance = _null_variance(np.where(usable, precision, 1.0), target, null_share)
    test = dispersion(estimate[usable], variance[usable], target=target, winsor=winsor)
    overdispersed = bool(test["p"] < dispersion_test) and test["tau2"] > 0
    method = ("random_effects" if overdispersed else chance) if limits == "auto" else limits
    proportion = kind == "proportion"

    def limits_at(x: np.ndarray, how: str) -> pd.DataFrame:
        if how == "random_effects":
            table = random_effects_limits(x, target=target, null_share=null_share,
                                          tau2=test["tau2"], levels=levels)
        else:
            table = exact_limits(x, target=target, levels=levels,
                                 null_share=None if how == "poisson" else null_share)
        return table.assign(method=how)

    # Poisson limits for comparison; binomial only where the count is binomial.
    methods = [m for m in LIMIT_METHODS if m != "binomial" or null_share is not None]
    x_used = precision[usable]
    grid = np.geomspace(max(x_used.min() / 1.5, 0.5), max(x_used.max() * 1.5, 2.0), points)
    if proportion:
        grid = np.unique(np.round(grid))  # a binomial size is a whole number of cases
    drawn = pd.concat([limits_at(grid, m) for m in methods], ignore_index=True)
    drawn = drawn[["method", "level", "precision", "lower", "upper"]]

    at_units = {m: limits_at(x_used, m) for m in methods}
    flagged, beyond, position = _flags(estimate[usable], at_units, method, levels[-1])

    z = np.full(len(frame), np.nan)
    z[usable] = (estimate[usable] - target) / np.sqrt(variance[usable])
    result = frame.copy()
    for column in own.columns:
        result[column] = own[column].to_numpy()
    result["target"] = target
    result["z"] = z
    result["z_winsorised"] = np.clip(z, test["z_low"], test["z_high"])
    result["position"] = pd.Series(pd.NA, index=frame.index, dtype=object)
    result.loc[usable, "position"] = position
    result["beyond_level"] = np.nan
    result.loc[usable, "beyond_level"] = beyond
    summary = pd.DataFrame([{
        "kind": kind, "n_units": test["n_units"], "target": target, "null": chance,
        "null_share": np.nan if null_share is None else null_share, "phi": test["phi"],
        "statistic": test["statistic"], "df": test["df"], "p": test["p"],
        "overdispersed": overdispersed, "tau2": test["tau2"], "tau": np.sqrt(test["tau2"]),
        "winsor": winsor, "z_low": test["z_low"], "z_high": test["z_high"], "method": method,
    }])
    note = _note(summary.iloc[0], flagged, levels, kind)
    return Funnel(points=result.reset_index(drop=True), limits=drawn, dispersion=summary,
                  flagged=flagged, method=method, note=note)


def _flags(estimate: np.ndarray, at_units: dict[str, pd.DataFrame], method: str,
           outer: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Forces outside each kind of limit at each level; for the chosen kind, each force's
    widest level outside and its position against the outer limits."""
    rows = []
    beyond = np.full(len(estimate), np.nan)
    position = np.full(len(estimate), "within", dtype=object)
    for how, table in at_units.items():  # three kinds by two levels
        for level, part in table.groupby("level", sort=True):
            above = estimate > part["upper"].to_numpy()
            below = estimate < part["lower"].to_numpy()
            rows.append({"method": how, "level": level, "n_above": int(above.sum()),
                         "n_below": int(below.sum()), "n_outside": int((above | below).sum()),
                         "chosen": how == method})
            if how == method:
                beyond = np.where(above | below, level, beyond)
                if level == outer:
                    position = np.where(above, "above", np.where(below, "below", "within"))
    return pd.DataFrame(rows), beyond, position


_METHOD_WORDS = {
    "poisson": "exact Poisson limits for chance alone",
    "binomial": "exact binomial limits for chance alone",
    "random_effects": "random-effects limits (chance plus the usual spread between forces)",
}


def _forces(count: int) -> str:
    return f"{count} force" + ("" if count == 1 else "s")


def _note(summary: pd.Series, flagged: pd.DataFrame, levels: list[float], kind: str) -> str:
    """A caption: which limits, why, how many forces each kind of limit flags."""
    outer = levels[-1]
    at_outer = flagged[flagged["level"].eq(outer)].set_index("method")
    chosen = at_outer.loc[summary["method"]]
    scale = "ratio" if kind == "ratio" else "proportion"
    test = (f"dispersion φ = {summary['phi']:.1f} (χ² = {summary['statistic']:.0f} on "
            f"{summary['df']:.0f} df, p {_p(summary['p'])}; z-scores winsorised at "
            f"{summary['winsor']:.0%} each end)")
    if summary["method"] == "random_effects":
        why = (f"The forces differ by more than chance alone: {test}. The limits add the "
               f"between-force spread τ = {summary['tau']:.3f} on the {scale} scale "
               "(DerSimonian–Laird), so a force outside them stands out even among forces that "
               "genuinely differ, and a force inside them may still differ from the national "
               "figure.")
    else:
        why = (f"The forces differ by no more than chance alone would make them: {test}; "
               "a force outside these limits differs from the national figure by more than "
               "chance.")
    counts = [f"Outside the {outer * 100:g}% limits: {_forces(int(chosen['n_outside']))} "
              f"({int(chosen['n_above'])} above, {int(chosen['n_below'])} below)."]
    names = {"poisson": "Poisson", "binomial": "binomial", "random_effects": "random-effects"}
    others = [f"{int(row.n_outside)} with {names[m]} limits"
              for m, row in at_outer.iterrows() if m != summary["method"]]
    if others:
        counts.append(f"Forces outside the {outer * 100:g}% limits of other kinds: "
                      + "; ".join(others) + ".")
    return (f"Limits: {_METHOD_WORDS[summary['method']]}. {why} " + " ".join(counts))


def _p(p: float) -> str:
    if not np.isfinite(p):
        return "not computed"
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"
