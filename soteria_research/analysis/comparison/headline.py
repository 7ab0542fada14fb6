"""Headline figures of a force report: volume, charge, withdrawal, evidential difficulty and
still open, for a force, its peers or the nation, each share with its Wilson interval (allowing
for cases that come in clusters: one officer's cases are alike)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..attrition import _wilson, design_effects, model_frame, rest_design_effects
from ..cohorts import followed_cohorts

__all__ = ["HEADLINE_MEASURES", "headline_figures"]

#: Headline measures: name -> plain label (what a chief officer reads).
HEADLINE_MEASURES = {
    "recorded": "Crimes recorded",
    "charged_within": "Charged within {days} days (share of cases with full follow-up)",
    "withdrawn_within": "Victim withdrew within {days} days (share of cases with full follow-up)",
    "evidential_within": "Evidential difficulties within {days} days (share with full follow-up)",
    "still_open": "Still open at the extract date (share of all recorded)",
}


def _group_columns(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def headline_figures(
    cases: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    within_days: int = 365,
    extract_date: object = None,
    cluster: str | None = "officer_id",
    strata: str | None = "force",
) -> pd.DataFrame:
    """The headline figures of a force report: volume, charge, withdrawal, still open.

    Charge, withdrawal and evidential-difficulty shares count outcomes within ``within_days``
    of recording among the cases of the financial years followed that long (cases transferred
    within the window left out: ``cohorts.followed_cases``), so recent, still-open cases do not
    drag them down, and they count the same cases as the trend table's years, the victim
    breakdowns and the forensics table's share of requests. "Still open" is a snapshot at the
    extract date.

    Parameters
    ----------
    cases : DataFrame
        Canonical, validated cases.
    by : str or list of str, optional
        Column(s) to break down by, such as ``"force"``; None gives one national row per measure.
    within_days : int
        Follow-up window for the outcome shares.
    extract_date : date-like, optional
        View the data as they stood on this date.
    cluster : str or None
        Column of the cluster a case belongs to (default the officer in charge,
        ``officer_id``). One officer's cases are alike (how fast, how thorough), so a share
        over a force's cases varies more than a binomial count of independent cases would: the
        interval is the Wilson interval at the effective number of cases ``n / design_effect``,
        the design effect from the cluster-robust variance of the share
        (:func:`~soteria_research.analysis.attrition.design_effects`, never below 1). Cases
        with no officer recorded count as clusters of one. None, or a column the cases do not
        have, gives the plain Wilson interval (design effect 1).
    strata : str or None
        Column whose groups have fixed sizes (default ``force``): a national share is the
        forces' shares weighted by their cases, so only the variation within each force enters
        its interval, not the differences between forces.

    Returns
    -------
    DataFrame
        Tidy: ``group…, measure, label, count, estimate, ci_low, ci_high, n, design_effect``.
        For ``recorded`` the estimate is the count; for shares ``count`` cases of ``n`` had the
        outcome, with a Wilson 95% interval at ``n / design_effect`` cases. With
        ``by="force"``, also ``rest_design_effect``: the design effect of the same share among
        every other force's cases (the comparator "England and Wales without this force";
        ``attrition.rest_design_effects``).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> from soteria_research.analysis.comparison import headline_figures
    >>> cases = generate_cases(forces=["durham"], start="2021-04-01", scale=0.1, seed=1)
    >>> headline_figures(cases)["measure"].tolist()
    ['recorded', 'charged_within', 'withdrawn_within', 'evidential_within', 'still_open']
    """
    by = _group_columns(by)
    if not cases.index.is_unique:  # frames read per force and concatenated: rows by position
        cases = cases.reset_index(drop=True)
    followed = model_frame(cases, within_days=within_days, extract_date=extract_date)
    # whole financial years only (no part-year after the last one: docs/methods.md section 8)
    whole, _ = followed_cohorts(cases, days=int(within_days), extract_date=extract_date)
    followed = followed.loc[whole[followed.index].to_numpy()]
    for column in by:
        if column not in followed.columns:
            followed[column] = cases.loc[followed.index, column]
    open_now = cases["outcome_group"].eq("open")
    if extract_date is not None:
        open_now = open_now | cases["outcome_date"].gt(pd.Timestamp(extract_date))

    clusters = cases[cluster] if cluster is not None and cluster in cases.columns else None

    def counts(frame: pd.DataFrame, flag: pd.Series, clustered: bool = False) -> pd.DataFrame:
        keys = [frame[c] for c in by]
        within = ([cases.loc[frame.index, strata]]
                  if strata is not None and strata in cases.columns and strata not in by else [])
        deff = (design_effects(flag, keys, clusters.loc[frame.index], within)
                if clustered and clusters is not None else None)
        grouped = flag.astype(np.int64).groupby(keys) if by else None
        if grouped is None:
            return pd.DataFrame({"count": [int(flag.sum())], "n": [int(len(flag))],
                                 "design_effect": [1.0 if deff is None else float(deff.iloc[0])]})
        out = pd.DataFrame({"count": grouped.sum(), "n": grouped.size()})
        out["design_effect"] = 1.0 if deff is None else deff.reindex(out.index).fillna(1.0)
        if by == ["force"]:  # the comparator "England and Wales without this force"
            rest = (rest_design_effects(flag, frame["force"], clusters.loc[frame.index])
                    if clustered and clusters is not None else None)
            out["rest_design_effect"] = 1.0 if rest is None else \
                rest.reindex(out.index).fillna(1.0).to_numpy()
        return out.reset_index()

    parts = []
    recorded = counts(cases, pd.Series(True, index=cases.index))
    recorded["measure"] = "recorded"
    parts.append(recorded)
    for measure, column in [("charged_within", "charged"), ("withdrawn_within", "withdrawn"),
                            ("evidential_within", "evidential_difficulty")]:
        part = counts(followed, followed[column].astype(bool), clustered=True)
        part["measure"] = measure
        parts.append(part)
    still_open = counts(cases, open_now)
    still_open["measure"] = "still_open"
    parts.append(still_open)
    frame = pd.concat(parts, ignore_index=True)
    frame["count"] = frame["count"].astype(np.int64)
    frame["n"] = frame["n"].astype(np.int64)
    share = frame["count"].to_numpy() / frame["n"].where(frame["n"] > 0).to_numpy()
    deff = frame["design_effect"].to_numpy(dtype=float)
    _, low, high = _wilson(frame["count"].to_numpy() / deff, frame["n"].to_numpy() / deff)
    is_count = frame["measure"].eq("recorded").to_numpy()
    frame["estimate"] = np.where(is_count, frame["count"], share)
    frame["ci_low"] = np.where(is_count, np.nan, low)
    frame["ci_high"] = np.where(is_count, np.nan, high)
    frame["label"] = frame["measure"].map(HEADLINE_MEASURES).str.replace(
        "{days}", str(within_days), regex=False)
    order = {m: i for i, m in enumerate(HEADLINE_MEASURES)}
    frame = frame.sort_values([*by, "measure"], key=lambda s: s.map(order) if s.name == "measure"
                              else s, kind="stable").reset_index(drop=True)
    rest = ["rest_design_effect"] if "rest_design_effect" in frame.columns else []
    return frame[[*by, "measure", "label", "count", "estimate", "ci_low", "ci_high", "n",
                  "design_effect", *rest]]
