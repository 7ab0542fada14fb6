"""Descriptive measures for the Soteria pillars, as tidy frames for the force report.

Victim engagement, repeat suspects, digital forensics and investigator caseload (DOMAIN.md §6).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight

from .attrition import STAGES, _by_columns, _wilson, model_frame, stage_reached

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
def _withdrawals(cases: pd.DataFrame) -> pd.DataFrame:
    withdrawn = cases["outcome_group"].eq("victim_withdrawal")
    return cases.loc[withdrawn].assign(
        days_from_report=(cases["outcome_date"] - cases["report_date"]).dt.days[withdrawn],
        stage_reached=stage_reached(cases)[withdrawn],
    )


def withdrawal_timing(
    cases: pd.DataFrame,
    *,
    within: Sequence[int] = (7, 30, 90),
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Share of victim withdrawals (outcomes 14 and 16) that came within N days of the report.

    Counts only withdrawals recorded by the extract date, so the shares describe how early
    withdrawals happen, not how many cases end in withdrawal. DOMAIN.md section 3: in one large
    force about 2 in 5 withdrawals came within 7 days and 2 in 3 within 30.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    within : sequence of int
        Day thresholds, counted from the report date.
    by : str or list of str, optional
        Column(s) to break the shares down by.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``within_days``, ``n`` (withdrawals within the threshold),
        ``n_withdrawals``, ``estimate`` and its Wilson 95% ``ci_low``/``ci_high``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> timing = withdrawal_timing(cases)
    >>> timing["within_days"].tolist(), bool(timing["estimate"].is_monotonic_increasing)
    ([7, 30, 90], True)
    """
    by = _by_columns(cases, by)
    withdrawals = _withdrawals(cases)
    thresholds = np.asarray(sorted(within), dtype=np.int64)
    early = withdrawals["days_from_report"].to_numpy()[:, None] <= thresholds[None, :]
    flags = pd.DataFrame(early, columns=thresholds, index=withdrawals.index)
    counts = flags.groupby([withdrawals[c] for c in by] or np.zeros(len(flags), dtype=np.int8),
                           dropna=False, observed=True).agg(["sum", "size"])
    rows = []
    for key, row in counts.iterrows():  # one row per group: a handful, not per case
        for threshold in thresholds:
            rows.append({**_group_columns(key, by), "within_days": int(threshold),
                         "n": int(row[(threshold, "sum")]),
                         "n_withdrawals": int(row[(threshold, "size")])})
    frame = pd.DataFrame(rows, columns=[*by, "within_days", "n", "n_withdrawals"])
    frame["estimate"], frame["ci_low"], frame["ci_high"] = _wilson(frame["n"],
                                                                   frame["n_withdrawals"])
    return frame


def withdrawal_stage(cases: pd.DataFrame, *, by: str | Sequence[str] | None = None
                     ) -> pd.DataFrame:
    """At which investigation stage victims withdrew, and how long after the report.

    The stage is the furthest funnel stage the case had reached (see
    ``attrition.stage_reached``); a withdrawn case reaches no stage after its outcome.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``stage``, ``n`` (withdrawals at that stage), ``n_withdrawals``,
        ``estimate`` (share of withdrawals) with Wilson 95% ``ci_low``/``ci_high``, and
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
    table = withdrawals.groupby(keys, dropna=False, observed=True).agg(
        n=("days_from_report", "size"), median_days=("days_from_report", "median")
    ).reset_index().rename(columns={"stage_reached": "stage"})
    table["stage"] = table["stage"].astype(str)
    table["n_withdrawals"] = (table.groupby(by, dropna=False)["n"].transform("sum") if by
                              else table["n"].sum())
    table["estimate"], table["ci_low"], table["ci_high"] = _wilson(table["n"],
                                                                   table["n_withdrawals"])
    order = table["stage"].map({s: i for i, s in enumerate(STAGES)})
    table = table.assign(_order=order).sort_values([*by, "_order"]).drop(columns="_order")
    return table[[*by, "stage", "n", "n_withdrawals", "estimate", "ci_low", "ci_high",
                  "median_days"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Pillar 2: repeat suspects
# --------------------------------------------------------------------------------------------
def repeat_suspects(cases: pd.DataFrame, *, by: str | Sequence[str] | None = None
                    ) -> pd.DataFrame:
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
                                                                   table["n_suspects"])
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


def earlier_allegation_outcomes(cases: pd.DataFrame, *, by: str | Sequence[str] | None = None
                                ) -> pd.DataFrame:
    """Outcome mix of allegations whose suspect was later accused again, against the rest.

    An allegation is *earlier* when the same suspect is named in a case recorded after it
    (any force in the data). Outcomes are as at the extract date, not as they stood when the
    later allegation was made.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``allegation`` (``earlier`` or ``other``: cases with a named
        suspect and no later allegation), ``outcome_group``, ``n``, ``n_total``, ``estimate``
        (share) with Wilson 95% ``ci_low``/``ci_high``. Every outcome group is listed.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> table = earlier_allegation_outcomes(cases)
    >>> sorted(table["allegation"].unique())
    ['earlier', 'other']
    """
    from .attrition import outcome_mix

    by = _by_columns(cases, by)
    named = cases.loc[cases["suspect_id"].notna()].copy()
    named["allegation"] = np.where(earlier_allegations(named), "earlier", "other")
    mix = outcome_mix(named, by=[*by, "allegation"], level="group")
    mix = mix.rename(columns={"share": "estimate"})
    return mix[[*by, "allegation", "outcome_group", "n", "n_total", "estimate", "ci_low",
                "ci_high"]]


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


def device_requests(
    cases: pd.DataFrame, *, by: str | Sequence[str] | None = None, within_days: int = 365
) -> pd.DataFrame:
    """Victim device requests: how often, how long devices are held, and withdrawal with/without.

    Measures (one row each, per group):

    - ``request_share``: share of cases with a victim device request.
    - ``median_days_held``: median days from request to return, Kaplan-Meier (statsmodels
      ``SurvfuncRight``) with devices not yet returned censored at the extract date, so long
      holds are not hidden; interval from ``quantile_ci``; ``n`` is the devices requested.
    - ``withdrawal_share_with_request`` / ``withdrawal_share_without_request``: share of
      cases with full ``within_days`` follow-up that ended in victim withdrawal within the
      window (see ``attrition.model_frame``). Descriptive only: it says nothing about cause.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``measure``, ``estimate``, ``ci_low``, ``ci_high``, ``n`` (cases
        the estimate rests on), ``n_events`` (cases counted in the numerator, where a share).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> device_requests(cases)["measure"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['request_share', 'median_days_held', 'withdrawal_share_with_request',
     'withdrawal_share_without_request']
    """
    by = _by_columns(cases, by)
    followed = model_frame(cases, within_days=within_days)
    rows = []
    for key, part in _grouped(cases, by):  # one iteration per group (a force, a relationship)
        group = _group_columns(key, by)
        requested = int(part["device_requested_date"].notna().sum())
        rows.append({**group, "measure": "request_share", "n": len(part), "n_events": requested})
        median, low, high, n_devices = _median_days_held(part)
        rows.append({**group, "measure": "median_days_held", "estimate": median, "ci_low": low,
                     "ci_high": high, "n": n_devices, "n_events": pd.NA})
        window = followed.loc[followed.index.intersection(part.index)]
        for label, mask in [("with", window["device_requested"].eq(1)),
                            ("without", window["device_requested"].eq(0))]:
            rows.append({**group, "measure": f"withdrawal_share_{label}_request",
                         "n": int(mask.sum()), "n_events": int(window.loc[mask, "withdrawn"].sum())})
    frame = pd.DataFrame(rows, columns=[*by, "measure", "estimate", "ci_low", "ci_high", "n",
                                        "n_events"])
    shares = frame["measure"].ne("median_days_held")
    estimate, low, high = _wilson(frame.loc[shares, "n_events"].astype(float),
                                  frame.loc[shares, "n"].astype(float))
    frame.loc[shares, ["estimate", "ci_low", "ci_high"]] = np.column_stack([estimate, low, high])
    frame[["estimate", "ci_low", "ci_high"]] = frame[["estimate", "ci_low", "ci_high"]].astype(
        float)
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
