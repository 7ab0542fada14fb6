"""Timeliness, prosecution decisions and suspect-focused measures (docs/domain.md §3 and §6,
pillar 1), each an estimand that treats open cases honestly.

Every time here runs from a dated start (the report, the referral to the CPS, the day the
suspect was identified) to a dated milestone. A case that has not reached the milestone by the
extract date is censored there, never dropped; a case that ended (any outcome other than a
transfer) before reaching it can no longer reach it, so that ending is a competing event; a
transferred case is censored on its transfer day. Medians come from the Aalen–Johansen
cumulative incidence of the milestone (:func:`~soteria_research.analysis.competing_risks.
cumulative_incidence`) when other endings compete, or from Kaplan–Meier
(:func:`~soteria_research.analysis.kaplan_meier.kaplan_meier`) when the milestone is any
outcome; no new estimator is written here. Medians of closed cases only would be biased low
(the slow cases are the ones still open), so they are never given.

A median is the first day the estimated share reaching the milestone is at least a half, and
its interval is where the pointwise interval of that share crosses a half (the rule of R's
``survfit``). When the share never reaches a half in the data (charge, for example, ends few
cases) the median is "not reached" (NaN, ``reached`` False); the shares by a given day
(:func:`timeliness_shares`) are the figure to use then.

Shares "within N days" of a start that are not read off a curve (:func:`suspects_arrested`,
:func:`prosecution_decisions`) count only cases whose start is at least N days before the
extract date: a cohort with full follow-up, so recent cases do not pull the share down.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError, ParameterError
from .attrition import _by_columns, _check_window, _extract_dates, _wilson
from .competing_risks import cumulative_incidence
from .kaplan_meier import _first_below_half, kaplan_meier, median_survival
from .outcomes import NOT_ENDED

__all__ = [
    "DECISIONS",
    "DECISION_GROUPS",
    "MEASURES",
    "SUSPECT_MEASURES",
    "prosecution_decisions",
    "suspect_timeliness",
    "suspects_arrested",
    "timeliness",
    "timeliness_shares",
]

#: The case timings of :func:`timeliness`: measure -> plain label.
MEASURES = {
    "report_to_charge": "Report to charge",
    "report_to_outcome": "Report to any outcome",
    "referral_to_decision": "Referral to the CPS to its decision",
}
#: The suspect timings of :func:`suspect_timeliness`: measure -> plain label.
SUSPECT_MEASURES = {
    "identified_to_arrest": "Suspect identified to arrest",
    "identified_to_interview": "Suspect identified to interview",
}
#: Where a file referred to the CPS stands ``within_days`` after the referral
#: (:func:`prosecution_decisions`): the CPS decisions of the data dictionary's
#: ``prosecution_decisions`` code list, then no decision because the case had ended, then
#: still awaiting a decision.
DECISIONS = ("charge", "no_further_action", "out_of_court", "further_investigation",
             "closed_without_decision", "awaiting")
#: The positions the reports publish (``prosecution_decisions(..., groups=DECISION_GROUPS)``):
#: charge, no further action and still awaiting as recorded; the three rarer positions (an
#: action plan, an out-of-court disposal advised, a case ended without a decision) pooled as
#: "other", as published pre-charge decision series pool their small categories. Six
#: positions split by rape and other sexual offences left counts under 10 in most forces, and
#: disclosure control then hid every cell of the table (a force with 379 files referred); with
#: an action plan kept apart, a force of about 260 files still lost its whole table.
DECISION_GROUPS = {
    "charge": ("charge",),
    "no_further_action": ("no_further_action",),
    "other_decision": ("further_investigation", "out_of_court", "closed_without_decision"),
    "awaiting": ("awaiting",),
}

_EVENT, _CLOSED, _CENSORED = "milestone", "closed", "censored"
_MEDIAN_COLUMNS = ["measure", "estimate", "ci_low", "ci_high", "reached", "n", "n_events",
                   "method"]
_SHARE_COLUMNS = ["measure", "within_days", "estimate", "ci_low", "ci_high", "n", "n_events",
                  "n_at_risk"]


def _check_level(level: object) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ParameterError(f"level={level!r} must be a confidence level between 0 and 1, "
                             "such as 0.95.")
    return float(level)


def _need(cases: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in cases.columns]
    if missing:
        raise DataValidationError(
            f"The cases frame lacks column(s) {missing}. Pass the canonical frame returned by "
            "read_cases/validate_cases, which always carries them.")


def _milestone_frame(cases: pd.DataFrame, start: pd.Series, end: pd.Series, by: list[str],
                     extract_date: object) -> pd.DataFrame:
    """One row per case with a start: days to the milestone, to a competing ending or to
    censoring, and which (``milestone``, ``closed``, ``censored``).

    A case that reached the milestone counts it, whatever else happened. One that did not:
    ``closed`` on its outcome day if it ended (not transferred) by the extract date,
    ``censored`` on its transfer day if transferred, else ``censored`` at the extract date.
    Dates after the extract date have not happened yet.
    """
    _need(cases, ["outcome_group", "outcome_date"])
    censor_at = _extract_dates(cases, extract_date)
    start = pd.to_datetime(start)
    end = pd.to_datetime(end)
    keep = start.notna() & (start <= censor_at)
    end = end.where(end <= censor_at)
    outcome_date = cases["outcome_date"].where(cases["outcome_date"] <= censor_at)
    ended = cases["outcome_group"].ne("open") & outcome_date.notna()
    transferred = ended & cases["outcome_group"].eq("transferred")
    reached = end.notna()
    kind = np.select([reached, ended & ~transferred], [_EVENT, _CLOSED], _CENSORED)
    stop = end.where(reached, outcome_date.where(ended, censor_at))
    # a case that ended before its start (bad data) leaves at day 0, not before its origin
    days = (stop - start).dt.days.clip(lower=0).astype(float)
    frame = cases.loc[keep, by].copy()
    frame["days"] = days[keep]
    frame["status"] = pd.Series(kind, index=cases.index)[keep]
    return frame


def _group_rows(frame: pd.DataFrame, by: list[str]):
    if not by:
        return [((), frame)]
    return [((key if isinstance(key, tuple) else (key,)), part)
            for key, part in frame.groupby(by, sort=True, dropna=False, observed=True)]


def _cif_median(frame: pd.DataFrame, level: float) -> tuple[float, float, float]:
    """Median and interval of the milestone's cumulative incidence (endings competing)."""
    if not frame["status"].eq(_EVENT).any():
        return np.nan, np.nan, np.nan
    cif = cumulative_incidence(frame, duration="days", event="status", censored=_CENSORED,
                               level=level)
    curve = cif[cif["outcome"].eq(_EVENT)].sort_values("time")
    t = curve["time"].to_numpy(float)
    # the share reaching the milestone by t is 1 - (the "survival" curve survfit's rule reads)
    return (_first_below_half(1 - curve["cif"].to_numpy(float), t),
            _first_below_half(1 - curve["ci_high"].to_numpy(float), t),
            _first_below_half(1 - curve["ci_low"].to_numpy(float), t))


def _medians(frames: dict[str, tuple[pd.DataFrame, str]], by: list[str],
             level: float) -> pd.DataFrame:
    """Median days of each measure (``{measure: (milestone frame, "cif" | "km")}``)."""
    rows = []
    for measure, (frame, method) in frames.items():
        if method == "km":
            data = frame.assign(ended=frame["status"].ne(_CENSORED).astype(int))
            if len(data):
                km = kaplan_meier(data, duration="days", event="ended", by=by or None,
                                  level=level)
                medians = median_survival(km)
                for row in medians.itertuples(index=False):
                    values = dict(zip(medians.columns, row, strict=True))
                    rows.append({**{c: values[c] for c in by}, "measure": measure,
                                 "estimate": values["estimate"], "ci_low": values["ci_low"],
                                 "ci_high": values["ci_high"], "n": int(values["n"]),
                                 "n_events": int(values["n_events"]), "method": "kaplan_meier"})
            continue
        for key, part in _group_rows(frame, by):
            estimate, low, high = _cif_median(part, level)
            rows.append({**dict(zip(by, key, strict=True)), "measure": measure,
                         "estimate": estimate, "ci_low": low, "ci_high": high, "n": len(part),
                         "n_events": int(part["status"].eq(_EVENT).sum()),
                         "method": "aalen_johansen"})
    out = pd.DataFrame(rows, columns=[*by, *[c for c in _MEDIAN_COLUMNS if c != "reached"]])
    out["reached"] = out["estimate"].notna()
    out = out[[*by, *_MEDIAN_COLUMNS]]
    return out.astype({"n": int, "n_events": int}).reset_index(drop=True)


def _shares(frames: dict[str, tuple[pd.DataFrame, str]], by: list[str], within_days: int,
            level: float) -> pd.DataFrame:
    """The Aalen–Johansen share of each measure's cases past the milestone by ``within_days``
    (with one kind of ending, ``1 -`` Kaplan–Meier), endings competing and open cases
    censored."""
    rows = []
    for measure, (frame, method) in frames.items():
        data = frame.assign(status=frame["status"].replace({_CLOSED: _EVENT})) \
            if method == "km" else frame
        for key, part in _group_rows(data, by):
            estimate = low = high = np.nan
            at_risk = int((part["days"] >= within_days).sum())
            if part["status"].eq(_EVENT).any():
                cif = cumulative_incidence(part, duration="days", event="status",
                                           censored=_CENSORED, times=[within_days],
                                           level=level)
                mine = cif[cif["outcome"].eq(_EVENT)].iloc[0]
                estimate, low, high = mine["cif"], mine["ci_low"], mine["ci_high"]
            elif len(part) and part["days"].max() >= within_days:
                estimate = 0.0  # no milestone at all, and followed that long
            rows.append({**dict(zip(by, key, strict=True)), "measure": measure,
                         "within_days": within_days, "estimate": estimate, "ci_low": low,
                         "ci_high": high, "n": len(part),
                         "n_events": int((part["status"].eq(_EVENT)
                                          & part["days"].le(within_days)).sum()),
                         "n_at_risk": at_risk})
    out = pd.DataFrame(rows, columns=[*by, *_SHARE_COLUMNS])
    return out.astype({"n": int, "n_events": int, "n_at_risk": int}).reset_index(drop=True)


def _measures(measures: Sequence[str] | None) -> list[str]:
    chosen = list(MEASURES) if measures is None else (
        [measures] if isinstance(measures, str) else list(measures))
    unknown = [m for m in chosen if m not in MEASURES]
    if unknown or not chosen:
        raise ParameterError(f"measures={measures!r}: choose from {list(MEASURES)}.")
    return chosen


def _case_frames(cases: pd.DataFrame, by: list[str], extract_date: object,
                 measures: list[str]) -> dict[str, tuple[pd.DataFrame, str]]:
    _need(cases, ["report_date", "file_to_cps_date", "cps_decision_date"])
    charge_day = cases["outcome_date"].where(cases["outcome_group"].eq("charge"))
    outcome_day = cases["outcome_date"].where(~cases["outcome_group"].isin(NOT_ENDED))
    spells = {
        "report_to_charge": (cases["report_date"], charge_day, "cif"),
        "report_to_outcome": (cases["report_date"], outcome_day, "km"),
        "referral_to_decision": (cases["file_to_cps_date"], cases["cps_decision_date"], "cif"),
    }
    return {m: (_milestone_frame(cases, spells[m][0], spells[m][1], by, extract_date),
                spells[m][2]) for m in measures}


def timeliness(
    cases: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    extract_date: object = None,
    measures: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Median days from report to charge, from report to any outcome, and from referral to the
    CPS to its decision, with intervals; open cases censored, other endings competing.

    Cohort: every case in ``cases`` (for a report, those recorded in its period), followed to
    the extract date. ``report_to_charge``: from ``report_date`` to a charge outcome (1, 1A),
    any other outcome competing. ``report_to_outcome``: from ``report_date`` to any outcome
    (Kaplan–Meier; transfers censored). ``referral_to_decision``: among files referred to the
    CPS, from ``file_to_cps_date`` to ``cps_decision_date`` (any decision, an action plan
    included), the case ending without a decision competing. Medians of charge are often not
    reached (few cases are charged); use :func:`timeliness_shares` then.

    Parameters
    ----------
    cases : pandas.DataFrame
        Validated cases (``read_cases``).
    by : str or list of str, optional
        Columns to estimate within, such as ``"offence_group"`` (rape against other sexual
        offences).
    level : float, default 0.95
        Confidence level of the intervals.
    extract_date : date-like, optional
        Censoring date; defaults to each case's ``extract_date``. Dates after it count as not
        yet happened.
    measures : sequence of str, optional
        Some of :data:`MEASURES` (all by default).

    Returns
    -------
    pandas.DataFrame
        One row per group and measure: ``by…, measure, estimate`` (median days; NaN when not
        reached), ``ci_low, ci_high`` (NaN when that end is not reached), ``reached``, ``n``
        (cases with the start), ``n_events`` (cases reaching the milestone) and ``method``
        (``aalen_johansen`` or ``kaplan_meier``).

    Examples
    --------
    >>> import pandas as pd
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> table = timeliness(cases, by="offence_group")
    >>> sorted(table["measure"].unique())
    ['referral_to_decision', 'report_to_charge', 'report_to_outcome']
    >>> bool(table.loc[table["measure"].eq("report_to_charge"), "reached"].any())
    False
    """
    level = _check_level(level)
    by = _by_columns(cases, by)
    return _medians(_case_frames(cases, by, extract_date, _measures(measures)), by, level)


def timeliness_shares(
    cases: pd.DataFrame,
    *,
    within_days: int = 365,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    extract_date: object = None,
    measures: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The share of cases past each milestone of :func:`timeliness` within ``within_days`` of
    its start (charged within 365 days of the report, for example), from the Aalen–Johansen
    cumulative incidence: other endings competing, open cases censored, so cases followed for
    less than ``within_days`` count for as long as they were followed.

    Parameters
    ----------
    cases : pandas.DataFrame
        Validated cases.
    within_days : int, default 365
        The day after the start at which the share is read.
    by, level, extract_date, measures
        As for :func:`timeliness`.

    Returns
    -------
    pandas.DataFrame
        One row per group and measure: ``by…, measure, within_days, estimate, ci_low,
        ci_high, n`` (cases with the start), ``n_events`` (reaching the milestone within the
        window) and ``n_at_risk`` (cases followed at least ``within_days`` without an ending).
        ``estimate`` is NaN past a group's longest follow-up.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> shares = timeliness_shares(cases, within_days=365)
    >>> charged = shares.set_index("measure").loc["report_to_charge", "estimate"]
    >>> bool(0 < charged < 0.2)
    True
    """
    level = _check_level(level)
    within_days = _check_window(within_days)
    by = _by_columns(cases, by)
    return _shares(_case_frames(cases, by, extract_date, _measures(measures)), by, within_days,
                   level)


def suspect_timeliness(
    cases: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    extract_date: object = None,
) -> pd.DataFrame:
    """Median days from a suspect being identified to their arrest, and to their interview,
    with intervals (docs/domain.md §6, pillar 1).

    Cohort: cases with a ``suspect_identified_date`` by the extract date, followed to the
    extract date. The case ending before an arrest (or interview) competes with it (cumulative
    incidence); open cases are censored. Many suspects are interviewed voluntarily and never
    arrested, so the median time to arrest is often not reached: use
    :func:`suspects_arrested` for the share arrested within a window.

    Parameters
    ----------
    cases : pandas.DataFrame
        Validated cases.
    by, level, extract_date
        As for :func:`timeliness`.

    Returns
    -------
    pandas.DataFrame
        As :func:`timeliness`, with measures ``identified_to_arrest`` and
        ``identified_to_interview``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> suspect_timeliness(cases)["measure"].tolist()
    ['identified_to_arrest', 'identified_to_interview']
    """
    level = _check_level(level)
    by = _by_columns(cases, by)
    _need(cases, ["suspect_identified_date", "arrest_date", "interview_date"])
    start = cases["suspect_identified_date"]
    frames = {
        "identified_to_arrest": (_milestone_frame(cases, start, cases["arrest_date"], by,
                                                  extract_date), "cif"),
        "identified_to_interview": (_milestone_frame(cases, start, cases["interview_date"], by,
                                                     extract_date), "cif"),
    }
    return _medians(frames, by, level)


def _check_windows(within_days) -> list[int]:
    windows = [within_days] if isinstance(within_days, (int, np.integer)) else list(within_days)
    if not windows:
        raise ParameterError("within_days is empty: give one or more windows, such as (90, 365).")
    return [_check_window(w) for w in windows]


def suspects_arrested(
    cases: pd.DataFrame,
    *,
    within_days: int | Sequence[int] = (90, 365),
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    extract_date: object = None,
) -> pd.DataFrame:
    """The share of identified suspects arrested within N days of being identified, among
    cases followed for N days, with Wilson intervals.

    Cohort for each window: cases whose suspect was identified at least ``within_days``
    before the extract date (full follow-up), less those transferred to another force within
    the window before an arrest (their arrest could not be seen).

    Parameters
    ----------
    cases : pandas.DataFrame
        Validated cases.
    within_days : int or sequence of int, default (90, 365)
        Windows from identification, in days.
    by, level, extract_date
        As for :func:`timeliness`.

    Returns
    -------
    pandas.DataFrame
        One row per group and window: ``by…, within_days, n`` (arrested within the window),
        ``n_suspects`` (the cohort), ``estimate, ci_low, ci_high``; ``attrs["identified_by"]``
        maps each window to the last identification date counted.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> table = suspects_arrested(cases, within_days=(90, 365))
    >>> table["within_days"].tolist(), bool((table["n"] <= table["n_suspects"]).all())
    ([90, 365], True)
    """
    level = _check_level(level)
    windows = _check_windows(within_days)
    by = _by_columns(cases, by)
    _need(cases, ["suspect_identified_date", "arrest_date", "outcome_group", "outcome_date"])
    censor_at = _extract_dates(cases, extract_date)
    identified = cases["suspect_identified_date"]
    pieces, identified_by = [], {}
    for window in windows:
        limit = identified + pd.Timedelta(days=window)
        arrested = cases["arrest_date"].notna() & (cases["arrest_date"] <= limit) & \
            (cases["arrest_date"] <= censor_at)
        transferred = (cases["outcome_group"].eq("transferred")
                       & (cases["outcome_date"] <= limit) & ~arrested)
        cohort = identified.notna() & (limit <= censor_at) & ~transferred
        frame = cases.loc[cohort, by].assign(arrested=arrested[cohort].astype(int))
        if by:
            grouped = frame.groupby(by, sort=True, dropna=False, observed=True)["arrested"]
            piece = grouped.agg(n="sum", n_suspects="size").reset_index()
        else:
            piece = pd.DataFrame({"n": [int(frame["arrested"].sum())],
                                  "n_suspects": [len(frame)]})
        piece.insert(len(by), "within_days", window)
        estimate, low, high = _wilson(piece["n"], piece["n_suspects"], level)
        piece["estimate"], piece["ci_low"], piece["ci_high"] = estimate, low, high
        pieces.append(piece)
        last = (censor_at - pd.Timedelta(days=window)).min()
        identified_by[window] = None if pd.isna(last) else last.date().isoformat()
    out = pd.concat(pieces, ignore_index=True).astype({"n": int, "n_suspects": int})
    out.attrs["identified_by"] = identified_by
    return out


def prosecution_decisions(
    cases: pd.DataFrame,
    *,
    within_days: int = 365,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    extract_date: object = None,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Where files referred to the CPS stand ``within_days`` after the referral: charged, no
    further action, out-of-court disposal, returned with an action plan, ended without a
    decision, or still awaiting one, each share with a Wilson interval.

    Cohort: files referred (``file_to_cps_date``) at least ``within_days`` before the extract
    date, so every file has had the same time for a decision. The decision is the
    ``cps_decision`` recorded with its ``cps_decision_date`` (code list
    ``data_dictionaries/prosecution_decisions.csv``); a decision dated after the window counts
    as still awaited at its end. The records hold one decision per case, so a file returned
    with an action plan and referred again shows as one action plan: loops beyond the first
    cannot be counted.

    Parameters
    ----------
    cases : pandas.DataFrame
        Validated cases.
    within_days : int, default 365
        Days after the referral at which each file's position is read.
    by, level, extract_date
        As for :func:`timeliness`.
    groups : mapping, optional
        Positions pooled before counting, ``{name: positions of DECISIONS}`` covering every
        position once (:data:`DECISION_GROUPS` is what the reports publish); each pooled share
        gets its own Wilson interval. Default: the six positions of :data:`DECISIONS`.

    Returns
    -------
    pandas.DataFrame
        One row per group and position (:data:`DECISIONS`, or the names of ``groups``, every
        one listed, zeros
        included): ``by…, decision, n, n_files`` (the cohort), ``estimate, ci_low, ci_high,
        within_days``; ``attrs["referred_by"]`` is the last referral date counted. The
        ``n`` of ``further_investigation`` is the number of files returned with an action plan.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> table = prosecution_decisions(cases, within_days=365)
    >>> bool(table["n"].sum() == table["n_files"].iloc[0]), table["decision"].iloc[0]
    (True, 'charge')
    """
    level = _check_level(level)
    within_days = _check_window(within_days)
    by = _by_columns(cases, by)
    _need(cases, ["file_to_cps_date", "cps_decision_date", "cps_decision", "outcome_group",
                  "outcome_date"])
    censor_at = _extract_dates(cases, extract_date)
    referral = cases["file_to_cps_date"]
    limit = referral + pd.Timedelta(days=within_days)
    cohort = referral.notna() & (limit <= censor_at)
    decided = cases["cps_decision_date"].notna() & (cases["cps_decision_date"] <= limit)
    ended = cases["outcome_group"].ne("open") & cases["outcome_date"].notna() & \
        (cases["outcome_date"] <= limit)
    known = cases["cps_decision"].isin(DECISIONS[:4])
    position = np.select([decided & known, decided, ended], [cases["cps_decision"],
                         "awaiting", "closed_without_decision"], "awaiting")
    position = pd.Series(position, index=cases.index)[cohort]
    categories = DECISIONS
    if groups is not None:
        pooled = {member: name for name, members in groups.items() for member in members}
        if sorted(pooled) != sorted(DECISIONS) or len(pooled) != sum(map(len, groups.values())):
            raise ParameterError(
                f"groups must place each of {', '.join(DECISIONS)} in exactly one group; "
                f"got {dict(groups)!r}.")
        position, categories = position.map(pooled), tuple(groups)
    frame = cases.loc[cohort, by].assign(
        decision=pd.Categorical(position, categories=categories))
    if by:
        counts = (frame.groupby([*by, "decision"], sort=True, dropna=False, observed=False)
                  .size().rename("n").reset_index())
        counts = counts[counts.groupby(by, dropna=False, observed=True)["n"]
                        .transform("sum").gt(0)]
        counts["n_files"] = counts.groupby(by, dropna=False, observed=True)["n"] \
            .transform("sum")
    else:
        counts = frame["decision"].value_counts(sort=False).rename("n").reset_index()
        counts["n_files"] = len(frame)
    counts["decision"] = counts["decision"].astype(object)
    estimate, low, high = _wilson(counts["n"], counts["n_files"], level)
    counts["estimate"], counts["ci_low"], counts["ci_high"] = estimate, low, high
    counts["within_days"] = within_days
    out = counts[[*by, "decision", "n", "n_files", "estimate", "ci_low", "ci_high",
                  "within_days"]].astype({"n": int, "n_files": int}).reset_index(drop=True)
    last = (censor_at - pd.Timedelta(days=within_days)).min()
    out.attrs["referred_by"] = None if pd.isna(last) else last.date().isoformat()
    return out
