"""Descriptive measures for the Soteria pillars, as tidy frames for the force report.

Victim engagement, repeat suspects, digital forensics and investigator caseload
(docs/domain.md section 6), each with a named estimand: windows of equal follow-up, and a
device request analysed from the day it happened.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight

from ..data.dictionary import load_dictionary
from ..errors import ParameterError, SoteriaError
from .attrition import (
    STAGES,
    _by_columns,
    _check_window,
    _extract_dates,
    _wilson,
    design_effects,
    model_frame,
    outcome_mix,
    stage_reached,
)
from .cohorts import describe_cohorts, followed_cases, followed_cohorts

__all__ = [
    "device_requests",
    "earlier_allegation_outcomes",
    "officer_caseload",
    "repeat_suspects",
    "withdrawal_stage",
    "withdrawal_timing",
]


def _grouped(frame: pd.DataFrame, by: list[str]):
    """Group-by over ``by`` (missing values kept as a group), or one group of everything."""
    keys = by if by else np.zeros(len(frame), dtype=np.int8)
    return frame.groupby(keys, dropna=False, observed=True, sort=True)


def _group_columns(key: object, by: list[str]) -> dict:
    if not by:
        return {}
    values = key if isinstance(key, tuple) else (key,)
    return dict(zip(by, values, strict=True))


# --------------------------------------------------------------------------------------------
# Pillar 3: victim engagement
# --------------------------------------------------------------------------------------------
def _design_effects(flag: pd.Series | pd.DataFrame, cases: pd.DataFrame, by: list[str],
                    cluster: str | None, strata: str | None) -> pd.Series | pd.DataFrame:
    """Officer design effect of the share of ``flag`` (indexed like ``cases``) in each ``by``
    group (``attrition.design_effects``; ``strata`` unless grouped by it): index as
    ``flag.groupby(by)``, or 0 for one group; all 1 without the cluster column. A frame of
    flags gives a column each, from one grouping of the cases."""
    rows = cases.loc[flag.index]
    clusters = (rows[cluster] if cluster is not None and cluster in cases.columns else None)
    within = ([rows[strata]] if strata is not None and strata in cases.columns
              and strata not in by else [])
    return design_effects(flag.astype(bool), [rows[c] for c in by], clusters, within)


def _lookup(deffs: pd.Series, key) -> float:
    try:
        value = float(deffs.get(key, 1.0))
    except (TypeError, ValueError):  # a key with a missing value: no design effect known
        return 1.0
    return value if np.isfinite(value) else 1.0


def _withdrawals(cases: pd.DataFrame) -> pd.DataFrame:
    withdrawn = cases["outcome_group"].eq("victim_withdrawal")
    return cases.loc[withdrawn].assign(
        days_from_report=(cases["outcome_date"] - cases["report_date"]).dt.days[withdrawn],
        stage_reached=stage_reached(cases)[withdrawn],
    )


def withdrawal_timing(
    cases: pd.DataFrame,
    *,
    within_days: Sequence[int] = (7, 30, 90),
    horizon_days: int = 730,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    extract_date: object = None,
    cluster: str | None = "officer_id",
    strata: str | None = "force",
) -> pd.DataFrame:
    """How early victims withdraw: the share of withdrawals (outcomes 14 and 16) that came
    within N days of the report, among cases followed long enough to see their withdrawal.

    Counting only the withdrawals seen so far would overstate early ones: recent cases have
    had time only for their early withdrawals. So the estimand is fixed by cohort with full
    follow-up: among cases of the financial years of recording in which every case has been
    followed for ``horizon_days`` (from recording, so at least as long from the report), of
    those whose victim withdrew within ``horizon_days`` of the report, the share who withdrew
    within N days. Withdrawals later than the horizon are rare, so this is close to the share
    of *eventual* withdrawals. docs/domain.md section 3: in one large force about 2 in 5
    withdrawals came within 7 days and 2 in 3 within 30.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    within_days : sequence of int
        Day thresholds, counted from the report date (each at most ``horizon_days``).
    horizon_days : int
        Follow-up every case counted has had, from its report; withdrawals within it form the
        denominator.
    by : str or list of str, optional
        Column(s) to break the shares down by.
    level : float
        Confidence level of the Wilson intervals.
    extract_date : date-like, optional
        View the data as they stood on this date.
    cluster, strata : str or None
        As ``attrition.cohort_rates``: the column of the officer in charge (one officer's
        cases are alike; None: plain Wilson intervals), and that of the strata the officers
        are nested in (the force, unless grouped by it). The same in ``withdrawal_stage`` and
        ``device_requests``.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``within_days``, ``n`` (withdrawals within the threshold),
        ``n_withdrawals`` (within the horizon), ``design_effect`` (officer clustering, as
        ``attrition.design_effects``; 1 with ``cluster=None``), ``estimate`` and its Wilson
        ``ci_low`` / ``ci_high`` at ``n_withdrawals / design_effect`` cases, ``horizon_days``
        and ``cohorts`` (financial years of recording of the cases counted).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> timing = withdrawal_timing(cases)
    >>> timing["within_days"].tolist(), bool(timing["estimate"].is_monotonic_increasing)
    ([7, 30, 90], True)
    >>> timing["cohorts"].iloc[0]  # the years followed for 730 days by the extract date
    '2019/20 to 2021/22'
    """
    by = _by_columns(cases, by)
    horizon_days = _check_window(horizon_days, "horizon_days")
    thresholds = np.asarray(sorted(within_days), dtype=np.int64)
    if len(thresholds) == 0 or thresholds.min() <= 0 or thresholds.max() > horizon_days:
        raise ParameterError(f"within_days={list(within_days)!r} must be positive days, none "
                             f"beyond horizon_days={horizon_days}.")
    as_of = _extract_dates(cases, extract_date)
    followed, cohorts = followed_cohorts(cases, days=horizon_days, extract_date=extract_date)
    days = (cases["outcome_date"] - cases["report_date"]).dt.days
    withdrawn = (followed & cases["outcome_group"].eq("victim_withdrawal")
                 & cases["outcome_date"].le(as_of) & days.le(horizon_days))
    counted = cases.loc[withdrawn]
    early = days[withdrawn].to_numpy()[:, None] <= thresholds[None, :]
    flags = pd.DataFrame(early, columns=thresholds, index=counted.index)
    counts = flags.groupby([counted[c] for c in by] or np.zeros(len(flags), dtype=np.int8),
                           dropna=False, observed=True).agg(["sum", "size"])
    deffs = _design_effects(flags, cases, by, cluster, strata)  # a column per threshold
    rows = []
    for key, row in counts.iterrows():  # one row per group: a handful, not per case
        for threshold in thresholds:
            rows.append({**_group_columns(key, by), "within_days": int(threshold),
                         "n": int(row[(threshold, "sum")]),
                         "n_withdrawals": int(row[(threshold, "size")]),
                         "design_effect": _lookup(deffs[threshold], key)})
    frame = pd.DataFrame(rows, columns=[*by, "within_days", "n", "n_withdrawals",
                                        "design_effect"])
    frame["estimate"], _, _ = _wilson(frame["n"], frame["n_withdrawals"], level)
    deff = frame["design_effect"].to_numpy(float)
    _, frame["ci_low"], frame["ci_high"] = _wilson(frame["n"] / deff,
                                                   frame["n_withdrawals"] / deff, level)
    frame["horizon_days"] = horizon_days
    frame["cohorts"] = describe_cohorts(cohorts)
    return frame


def withdrawal_stage(cases: pd.DataFrame, *, by: str | Sequence[str] | None = None,
                     level: float = 0.95, cluster: str | None = "officer_id",
                     strata: str | None = "force") -> pd.DataFrame:
    """At which investigation stage victims withdrew, and how long after the report.

    The stage is the furthest funnel stage the case had reached (see
    ``attrition.stage_reached``); a withdrawn case reaches no stage after its outcome.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``stage``, ``n`` (withdrawals at that stage), ``n_withdrawals``,
        ``estimate`` (share of withdrawals) with Wilson 95% ``ci_low``/``ci_high`` at the
        effective size over ``design_effect`` (officer clustering; ``cluster=None``: 1), and
        ``median_days`` from report to withdrawal.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> stages = withdrawal_stage(cases)
    >>> bool(stages["n"].sum() == cases["outcome_group"].eq("victim_withdrawal").sum())
    True
    """
    by = _by_columns(cases, by)
    withdrawals = _withdrawals(cases)
    keys = [*by, "stage_reached"]
    # Every stage a withdrawal can be at is listed, with 0 where none occurred (a missing row
    # would read as a zero the disclosure control never saw); charge and conviction follow a
    # different outcome, so they are structural zeros and listed only if they occur.
    table = withdrawals.groupby(keys, dropna=False, observed=False).agg(
        n=("days_from_report", "size"), median_days=("days_from_report", "median")
    ).reset_index().rename(columns={"stage_reached": "stage"})
    table["stage"] = table["stage"].astype(str)
    table = table[~table["stage"].isin(["charged", "convicted"]) | table["n"].gt(0)]
    table["n_withdrawals"] = (table.groupby(by, dropna=False)["n"].transform("sum") if by
                              else table["n"].sum())
    stage = withdrawals["stage_reached"].astype(str)
    deffs = _design_effects(pd.DataFrame({s: stage.eq(s) for s in table["stage"].unique()},
                                         index=stage.index), cases, by, cluster, strata)
    table["design_effect"] = [
        _lookup(deffs[s], (tuple(row) if len(by) > 1 else row[0]) if by else 0)
        for s, row in zip(table["stage"], table[by].itertuples(index=False, name=None)
                          if by else [()] * len(table))]
    deff = table["design_effect"].to_numpy(float)
    table["estimate"], _, _ = _wilson(table["n"], table["n_withdrawals"], level)
    _, table["ci_low"], table["ci_high"] = _wilson(table["n"] / deff,
                                                   table["n_withdrawals"] / deff, level)
    order = table["stage"].map({s: i for i, s in enumerate(STAGES)})
    table = table.assign(_order=order).sort_values([*by, "_order"]).drop(columns="_order")
    return table[[*by, "stage", "n", "n_withdrawals", "estimate", "ci_low", "ci_high",
                  "median_days", "design_effect"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Pillar 2: repeat suspects
# --------------------------------------------------------------------------------------------
def repeat_suspects(cases: pd.DataFrame, *, by: str | Sequence[str] | None = None,
                    level: float = 0.95) -> pd.DataFrame:
    """Share of identified suspects named in more than one case.

    A suspect counts in every group where they have a case; with ``by="force"`` a suspect is
    a repeat suspect in a force when they have two or more cases in it (cases elsewhere not
    counted). Suspect ids never appear in the result.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``n`` (repeat suspects), ``n_suspects``, ``estimate`` with Wilson
        95% ``ci_low``/``ci_high``, ``n_cases`` (cases with a suspect) and
        ``n_cases_repeat`` (cases whose suspect is a repeat suspect).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> table = repeat_suspects(cases)
    >>> bool(0 < table["estimate"].iloc[0] < 1)
    True
    """
    by = _by_columns(cases, by)
    named = cases.loc[cases["suspect_id"].notna(), [*by, "suspect_id"]]
    per_suspect = named.groupby([*by, "suspect_id"], dropna=False, observed=True).size()
    per_suspect = per_suspect.rename("cases").reset_index()
    per_suspect["repeat"] = per_suspect["cases"].gt(1)
    per_suspect["repeat_cases"] = per_suspect["cases"].where(per_suspect["repeat"], 0)
    table = _grouped(per_suspect, by).agg(
        n=("repeat", "sum"), n_suspects=("repeat", "size"), n_cases=("cases", "sum"),
        n_cases_repeat=("repeat_cases", "sum"))
    table = table.reset_index() if by else table.reset_index(drop=True)
    table["estimate"], table["ci_low"], table["ci_high"] = _wilson(table["n"],
                                                                   table["n_suspects"], level)
    return table[[*by, "n", "n_suspects", "estimate", "ci_low", "ci_high", "n_cases",
                  "n_cases_repeat"]]


def earlier_allegations(cases: pd.DataFrame) -> pd.Series:
    """True for each case whose suspect was named in a later case (recorded after it).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> bool(earlier_allegations(cases).any())
    True
    """
    last_recorded = cases.groupby("suspect_id")["recorded_date"].transform("max")
    return (cases["suspect_id"].notna() & cases["recorded_date"].lt(last_recorded)).rename(
        "earlier_allegation")


def earlier_allegation_outcomes(
    cases: pd.DataFrame,
    *,
    within_days: int = 365,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    extract_date: object = None,
) -> pd.DataFrame:
    """Outcomes within ``within_days`` of recording of allegations whose suspect was later
    accused again, against the other allegations with a named suspect.

    An allegation is *earlier* when the same suspect is named in a case recorded after it (any
    force in the data). Earlier allegations are older on average, so comparing outcomes as at
    the extract date would give them more time to be charged. Here every allegation is judged
    on the same window from its own recording, and only allegations of the financial years in
    which every case has been followed for the whole window count. (If outcomes change over recording time, the two groups' mix of years still
    differs; the ``cohorts`` column names the years counted.)

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    within_days : int
        The window after recording in which an outcome counts.
    by : str or list of str, optional
        Column(s) to break the table down by.
    level : float
        Confidence level of the Wilson intervals.
    extract_date : date-like, optional
        View the data as they stood on this date.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``allegation`` (``earlier`` or ``other``: cases with a named
        suspect and no later allegation), ``outcome_group`` (the outcome within the window;
        ``open`` when none came), ``n``, ``n_total``, ``estimate`` (share) with Wilson
        ``ci_low``/``ci_high``, ``within_days`` and ``cohorts``. Every outcome group of both
        allegation groups is listed (``n_total`` 0 and no share for a group without cases).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> table = earlier_allegation_outcomes(cases)
    >>> sorted(table["allegation"].unique())
    ['earlier', 'other']
    """
    by = _by_columns(cases, by)
    within_days = _check_window(within_days)
    as_of = _extract_dates(cases, extract_date)
    known = cases["recorded_date"].le(as_of)
    named = cases.loc[cases["suspect_id"].notna() & known].copy()
    named["allegation"] = np.where(earlier_allegations(named), "earlier", "other")
    followed, cohorts = followed_cohorts(cases, days=within_days, extract_date=extract_date)
    named = named.loc[followed[named.index]]
    seen = (named["outcome_date"] - named["recorded_date"]).dt.days.le(within_days) \
        & named["outcome_date"].le(as_of[named.index])
    named["outcome_group"] = named["outcome_group"].where(seen, "open")
    mix = outcome_mix(named, by=[*by, "allegation"], detail="group", level=level)
    # Both allegation groups are listed for every breakdown in the data, even when one has no
    # case: a missing row would read as a zero (the outcome groups are already all listed).
    groups = load_dictionary().codelists["outcome_groups"]
    groups = groups.loc[groups["competing_risk"].notna(), "code"].tolist()
    combos = (cases[by].drop_duplicates().itertuples(index=False, name=None) if by else [()])
    full = pd.DataFrame([(*c, a, g) for c in combos for a in ("earlier", "other") for g in groups],
                        columns=[*by, "allegation", "outcome_group"])
    mix = full.merge(mix, how="left", on=[*by, "allegation", "outcome_group"])
    mix[["n", "n_total"]] = mix[["n", "n_total"]].fillna(0).astype(np.int64)
    mix = mix.rename(columns={"share": "estimate"})
    mix["within_days"] = within_days
    mix["cohorts"] = describe_cohorts(cohorts)
    return mix[[*by, "allegation", "outcome_group", "n", "n_total", "estimate", "ci_low",
                "ci_high", "within_days", "cohorts"]]


# --------------------------------------------------------------------------------------------
# Pillar 6: digital forensics
# --------------------------------------------------------------------------------------------
def _median_days_held(part: pd.DataFrame) -> tuple[float, float, float, int]:
    requested = part.loc[part["device_requested_date"].notna()]
    if requested.empty:
        return np.nan, np.nan, np.nan, 0
    returned = requested["device_returned_date"].notna()
    end = requested["device_returned_date"].where(returned, requested["extract_date"])
    days = (end - requested["device_requested_date"]).dt.days.to_numpy(dtype=float)
    if not returned.any():
        return np.nan, np.nan, np.nan, len(requested)
    survival = SurvfuncRight(days, returned.to_numpy(dtype=float))
    median = survival.quantile(0.5)
    # The log-log interval divides by log S(t), which is 0 before the first return.
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = survival.quantile_ci(0.5)
    return (float(median) if median is not None else np.nan,
            float(low) if low is not None else np.nan,
            float(high) if high is not None else np.nan, len(requested))


def _withdrawal_hazard_ratio(cases: pd.DataFrame, level: float,
                             extract_date: object) -> tuple[float, ...]:
    """Cause-specific hazard ratio of withdrawal for a device request (time-varying), as the
    driver models estimate it: adjusted for their case mix, within each officer's cases."""
    from .drivers import drivers

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = drivers(cases, outcomes=["victim_withdrawal"], models=["cause_specific"],
                             level=level, extract_date=extract_date)
    except SoteriaError:
        return np.nan, np.nan, np.nan
    row = result.table[result.table["term"].eq("device_requested")]
    if row.empty:
        return np.nan, np.nan, np.nan
    values = row.iloc[0][["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float)
    if not np.isfinite(values).all():  # separation within officers: no ratio to show
        return np.nan, np.nan, np.nan
    return tuple(float(v) for v in values)


def device_requests(
    cases: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    within_days: int = 365,
    level: float = 0.95,
    extract_date: object = None,
    cluster: str | None = "officer_id",
    strata: str | None = "force",
    hazard_ratio: bool = True,
) -> pd.DataFrame:
    """Victim device requests: how often, how long devices are held, and withdrawal after one.

    A request happens while the case is open, so a case with a request has, by then, not
    ended: comparing withdrawal "with and without a request" as if the request were known at
    recording credits the request with that outcome-free time (immortal-time bias) and makes
    it look protective even when it changes nothing. The measures here avoid that:

    - ``request_share``: share of cases with a victim device request within ``within_days``
      of recording, among the cases of the financial years followed that long, less those
      transferred within the window (``cohorts.followed_cases``, the headline's cases).
    - ``median_days_held``: median days from request to return, Kaplan-Meier (statsmodels
      ``SurvfuncRight``) with devices not yet returned censored at the extract date, so long
      holds are not hidden; interval from ``quantile_ci``; ``n`` is the devices requested.
    - ``withdrawal_share_after_request``: of requests made while the case was open and at
      least ``within_days`` before the extract date, the share whose victim withdrew within
      ``within_days`` of the request (the window starts at the request).
    - ``withdrawal_hazard_ratio``: the cause-specific hazard ratio of victim withdrawal after a
      request against before or without one, the request a time-varying covariate (0 until
      its day, 1 from it: :mod:`~soteria_research.analysis.episodes`): a rate ratio among
      open cases, the device term of the withdrawal driver model
      (:func:`~soteria_research.analysis.drivers.drivers`): adjusted for its case mix and
      compared within each officer's cases, since requests are not made at random (officers
      who request sooner also see fewer withdrawals; offence and report delay change how soon
      a request comes). ``hazard_ratio=False`` leaves its estimate and interval empty and
      fits no model: its cases and withdrawals only, for a caller that needs the counts a
      figure rests on (the run-level disclosure control, ``reporting.report_specs``).

    Returns
    -------
    DataFrame
        The ``by`` columns, ``measure``, ``estimate``, ``ci_low``, ``ci_high``, ``n`` (cases
        or devices the estimate rests on), ``n_events`` (cases counted in the numerator, for
        a share; devices returned, for the median; withdrawals, for the hazard ratio),
        ``design_effect`` (for a share: officer clustering, its Wilson interval at
        ``n / design_effect`` cases; else empty).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> device_requests(cases)["measure"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['request_share', 'median_days_held', 'withdrawal_share_after_request',
     'withdrawal_hazard_ratio']
    """
    from .episodes import episodes

    by = _by_columns(cases, by)
    within_days = _check_window(within_days)
    as_of = _extract_dates(cases, extract_date)
    requested = cases["device_requested_date"].where(cases["device_requested_date"].le(as_of))
    # the cases of every "followed a year" table: whole financial years, transfers within
    # the window left out (the headline's, so no two tables differ by an unprinted count)
    followed, _ = followed_cases(cases, days=within_days, extract_date=extract_date)
    early_request = (requested - cases["recorded_date"]).dt.days.le(within_days)
    after = model_frame(cases, within_days=within_days, start="device_requested_date",
                        extract_date=extract_date)
    split = episodes(cases, events={"device_requested": "device_requested_date"},
                     extract_date=extract_date)
    within = None if strata in by else strata  # one group at a time below
    rows = []
    for key, part in _grouped(cases, by):  # one iteration per group (a force, a relationship)
        group = _group_columns(key, by)
        in_window = followed[part.index]
        flag = (early_request[part.index] & in_window)[in_window]
        rows.append({**group, "measure": "request_share", "n": int(in_window.sum()),
                     "n_events": int(flag.sum()),
                     "design_effect": _lookup(_design_effects(flag, cases, [], cluster,
                                                              within), 0)})
        returned = part["device_returned_date"].where(
            part["device_returned_date"].le(as_of[part.index]))
        median, low, high, n_devices = _median_days_held(part.assign(
            device_requested_date=requested[part.index], device_returned_date=returned,
            extract_date=as_of[part.index]))
        rows.append({**group, "measure": "median_days_held", "estimate": median, "ci_low": low,
                     "ci_high": high, "n": n_devices,
                     "n_events": int((requested[part.index].notna() & returned.notna()).sum())})
        window = after.loc[after.index.intersection(part.index)]
        withdrew = window["victim_withdrawal"].astype(bool)
        rows.append({**group, "measure": "withdrawal_share_after_request", "n": len(window),
                     "n_events": int(withdrew.sum()),
                     "design_effect": _lookup(_design_effects(withdrew, cases, [], cluster,
                                                              within), 0)})
        mine = split[split["case"].isin(part.index)]
        estimate, low, high = (_withdrawal_hazard_ratio(part, level, extract_date)
                               if hazard_ratio else (np.nan, np.nan, np.nan))
        rows.append({**group, "measure": "withdrawal_hazard_ratio", "estimate": estimate,
                     "ci_low": low, "ci_high": high, "n": len(part),
                     "n_events": int(mine["outcome"].eq("victim_withdrawal").sum())})
    frame = pd.DataFrame(rows, columns=[*by, "measure", "estimate", "ci_low", "ci_high", "n",
                                        "n_events", "design_effect"])
    shares = frame["measure"].isin(["request_share", "withdrawal_share_after_request"])
    frame["design_effect"] = frame["design_effect"].astype(float).where(shares)
    deff = frame.loc[shares, "design_effect"].to_numpy(float)
    estimate, _, _ = _wilson(frame.loc[shares, "n_events"].astype(float),
                             frame.loc[shares, "n"].astype(float), level)
    _, low, high = _wilson(frame.loc[shares, "n_events"].astype(float) / deff,
                           frame.loc[shares, "n"].astype(float) / deff, level)
    frame[["estimate", "ci_low", "ci_high"]] = frame[["estimate", "ci_low", "ci_high"]].astype(
        float)
    frame.loc[shares, ["estimate", "ci_low", "ci_high"]] = np.column_stack([estimate, low, high])
    frame["n"] = frame["n"].astype(np.int64)
    frame["n_events"] = frame["n_events"].astype("Int64")
    return frame


# --------------------------------------------------------------------------------------------
# Pillar 4: investigator caseload
# --------------------------------------------------------------------------------------------
def officer_caseload(cases: pd.DataFrame, *, by: str | Sequence[str] | None = None
                     ) -> pd.DataFrame:
    """How cases are spread across investigating officers (pseudonymous ids, never shown).

    Two caseloads per group: ``all`` (every case in the data) and ``open`` (cases open at
    the extract date; officers with none count as zero). The all-cases caseload depends on
    the period the data cover, so compare it only between extracts of the same length.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``caseload`` (all or open), ``officers``, ``cases``, ``mean``,
        ``median``, ``p90`` and ``max`` cases per officer.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> officer_caseload(cases)["caseload"].tolist()
    ['all', 'open']
    """
    by = _by_columns(cases, by)
    per_officer = cases.assign(open_case=cases["outcome_group"].eq("open")).groupby(
        [*by, "officer_id"], dropna=False, observed=True).agg(
        all=("open_case", "size"), open=("open_case", "sum"))
    per_officer = per_officer.reset_index().melt(
        id_vars=[*by, "officer_id"], value_vars=["all", "open"], var_name="caseload",
        value_name="cases")
    table = per_officer.groupby([*by, "caseload"], dropna=False, observed=True)["cases"].agg(
        officers="size", cases="sum", mean="mean", median="median",
        p90=lambda x: x.quantile(0.9), max="max").reset_index()
    return table[[*by, "caseload", "officers", "cases", "mean", "median", "p90", "max"]]
