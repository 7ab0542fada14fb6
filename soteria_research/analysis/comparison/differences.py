"""A force against England and Wales without it, and against its peers: differences and ratios
of proportions with intervals, not only figures side by side."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from ...errors import ParameterError

__all__ = ["COMPARATORS", "force_differences"]

#: Comparators: the rest of England and Wales (the force left out), and the force's peers.
COMPARATORS = {
    "rest_of_england_and_wales": "England and Wales without this force",
    "peers": "Most similar forces (together)",
}


def force_differences(
    figures: pd.DataFrame,
    *,
    force: str | Sequence[str] | None = None,
    peers: Sequence[str] | pd.DataFrame | None = None,
    by: str = "force",
    count: str = "count",
    n: str = "n",
    measure: str | None = "measure",
    level: float = 0.95,
) -> pd.DataFrame:
    """A force's proportions against the rest of England and Wales and against its peers.

    The rest of England and Wales leaves the force out, so a large force is not compared with
    itself. Peers are pooled (their counts and cases added). The difference of proportions has
    Newcombe's hybrid score interval and the ratio the log interval with 0.5 added to each count
    (statsmodels ``confint_proportions_2indep``, methods ``"newcomb"`` and ``"log-adjusted"``).

    Parameters
    ----------
    figures : DataFrame
        Per force (and ``measure``) counts and cases, such as ``headline_figures(cases,
        by="force")`` without its ``recorded`` rows. Every force in England and Wales that
        should count towards "the rest" must be there.
    force : str or list of str, optional
        The force(s) to compare; default every force.
    peers : list of str or DataFrame, optional
        Peers of ``force`` (a list, when comparing one force) or ``most_similar(...)`` (its
        ``force, peer`` columns). None: no peer comparison.
    by, count, n : str
        Columns of the force, the count with the outcome and the cases.
    measure : str or None
        Column telling measures apart (each compared separately); None for one measure.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        Tidy, one row per force, measure, comparator and contrast: ``force, measure,
        comparator`` (``rest_of_england_and_wales`` or ``peers``), ``contrast``
        (``difference``: force minus comparator; ``ratio``: force over comparator),
        ``estimate, ci_low, ci_high``, then ``count, n, share`` of the force and
        ``comparator_count, comparator_n, comparator_share, comparator_forces``.

    Examples
    --------
    >>> import pandas as pd
    >>> from soteria_research.analysis.comparison import force_differences
    >>> figures = pd.DataFrame({"force": ["a", "b", "c"], "count": [30, 50, 20],
    ...                         "n": [100, 400, 200]})
    >>> table = force_differences(figures, force="a", peers=["c"], measure=None)
    >>> table.query("contrast == 'difference'")["estimate"].round(3).tolist()
    [0.183, 0.2]
    """
    _check(figures, by, count, n, measure, level)
    keys = [measure] if measure is not None else []
    data = figures.copy()
    if measure is None:
        data["_measure"] = ""
        keys = ["_measure"]
    data[count] = data[count].astype(float)
    data[n] = data[n].astype(float)
    forces = _forces(data, by, force)
    peer_lists = _peer_lists(peers, forces)

    totals = data.groupby(keys, sort=False)[[count, n]].sum()
    rows = []
    for code in forces:  # one to 43 forces
        own = data[data[by].eq(code)].set_index(keys)[[count, n]]
        rest = totals.loc[own.index] - own
        others = data.loc[~data[by].eq(code), by].nunique()
        rows.append(_side(own, rest, code, "rest_of_england_and_wales", others))
        mine = peer_lists.get(code)
        if mine:
            pooled = data[data[by].isin(mine)].groupby(keys, sort=False)[[count, n]].sum()
            pooled = pooled.reindex(own.index, fill_value=0.0)
            rows.append(_side(own, pooled, code, "peers", len(set(mine) & set(data[by]))))
    if not rows:
        return _empty(measure)
    sides = pd.concat(rows, ignore_index=False).reset_index()
    result = _contrasts(sides, count, n, level)
    if measure is None:
        result = result.drop(columns="measure")
    return result


def _check(figures, by, count, n, measure, level) -> None:
    needed = [by, count, n] + ([measure] if measure is not None else [])
    missing = [c for c in needed if c not in figures.columns]
    if missing:
        raise ParameterError(f"The frame lacks column(s) {missing} (it has "
                             f"{list(figures.columns)}); name them with by=, count=, n= or "
                             "measure= (None for a single measure).")
    if not 0 < level < 1:
        raise ParameterError(f"level={level!r} must be between 0 and 1, such as 0.95.")
    keys = [by] + ([measure] if measure is not None else [])
    if figures.duplicated(keys).any():
        raise ParameterError(f"The frame has more than one row per {keys}: pass one measure at a "
                             "time or name the measure column with measure=.")


def _forces(data: pd.DataFrame, by: str, force) -> list[str]:
    present = list(dict.fromkeys(data[by]))
    if force is None:
        return present
    wanted = [force] if isinstance(force, str) else list(force)
    missing = [f for f in wanted if f not in set(present)]
    if missing:
        raise ParameterError(f"force {missing} has no rows in the figures; forces present: "
                             f"{', '.join(map(str, present[:10]))}{'…' if len(present) > 10 else ''}.")
    return wanted


def _peer_lists(peers, forces: list[str]) -> dict[str, list[str]]:
    if peers is None:
        return {}
    if isinstance(peers, pd.DataFrame):
        if not {"force", "peer"} <= set(peers.columns):
            raise ParameterError("peers as a frame needs the force and peer columns of "
                                 "most_similar().")
        return peers.groupby("force")["peer"].agg(list).to_dict()
    if len(forces) != 1:
        raise ParameterError("A list of peers is for one force; for several pass the "
                             "most_similar() frame.")
    return {forces[0]: list(peers)}


def _side(own: pd.DataFrame, other: pd.DataFrame, code: str, comparator: str,
          n_forces: int) -> pd.DataFrame:
    count, n = own.columns
    frame = pd.DataFrame({"force": code, "comparator": comparator,
                          "count": own[count], "n": own[n],
                          "comparator_count": other[count].to_numpy(),
                          "comparator_n": other[n].to_numpy(),
                          "comparator_forces": n_forces}, index=own.index)
    return frame


def _contrasts(sides: pd.DataFrame, count: str, n: str, level: float) -> pd.DataFrame:
    measure = sides.columns[0]
    sides = sides.rename(columns={measure: "measure"})
    x1, n1 = sides["count"].to_numpy(), sides["n"].to_numpy()
    x2, n2 = sides["comparator_count"].to_numpy(), sides["comparator_n"].to_numpy()
    valid = (n1 > 0) & (n2 > 0) & np.isfinite(x1) & np.isfinite(x2)
    share = np.divide(x1, n1, out=np.full(len(x1), np.nan), where=n1 > 0)
    other = np.divide(x2, n2, out=np.full(len(x2), np.nan), where=n2 > 0)
    safe = [np.where(valid, v, d) for v, d in ((x1, 1), (n1, 2), (x2, 1), (n2, 2))]
    alpha = 1 - level
    diff_low, diff_high = confint_proportions_2indep(*safe, method="newcomb", compare="diff",
                                                     alpha=alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_low, ratio_high = confint_proportions_2indep(*safe, method="log-adjusted",
                                                           compare="ratio", alpha=alpha)
        ratio = np.divide(share, other, out=np.full(len(share), np.nan), where=other > 0)
    base = sides.assign(share=share, comparator_share=other)
    columns = ["force", "measure", "comparator", "contrast", "estimate", "ci_low", "ci_high",
               "count", "n", "share", "comparator_count", "comparator_n", "comparator_share",
               "comparator_forces"]
    difference = base.assign(contrast="difference", estimate=share - other,
                             ci_low=np.where(valid, diff_low, np.nan),
                             ci_high=np.where(valid, diff_high, np.nan))
    ratios = base.assign(contrast="ratio", estimate=ratio,
                         ci_low=np.where(valid, ratio_low, np.nan),
                         ci_high=np.where(valid, ratio_high, np.nan))
    result = pd.concat([difference, ratios], ignore_index=True)[columns]
    # Keep the forces and measures in the order given; comparators and contrasts in a fixed one.
    rank = {"rest_of_england_and_wales": 0, "peers": 1, "difference": 0, "ratio": 1}
    result = result.assign(
        _force=pd.factorize(result["force"])[0], _measure=pd.factorize(result["measure"])[0],
        _comparator=result["comparator"].map(rank), _contrast=result["contrast"].map(rank))
    result = result.sort_values(["_force", "_measure", "_comparator", "_contrast"],
                                kind="stable")[columns]
    for column in ("count", "n", "comparator_count", "comparator_n"):
        result[column] = result[column].round().astype(np.int64)
    return result.reset_index(drop=True)


def _empty(measure: str | None) -> pd.DataFrame:
    columns = ["force", "measure", "comparator", "contrast", "estimate", "ci_low", "ci_high",
               "count", "n", "share", "comparator_count", "comparator_n", "comparator_share",
               "comparator_forces"]
    if measure is None:
        columns.remove("measure")
    return pd.DataFrame(columns=columns)
