"""Outcomes that respect censoring: each force's recording cohorts, before and after joining.

A cohort is the cases one force recorded in one month or quarter; it is kept only when every
case in it has had the full window to reach an outcome (see ``attrition.cohort_rates``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from ...data.dictionary import load_dictionary
from ...errors import DataValidationError, ParameterError
from ..competing_risks import cumulative_incidence
from ..timeline import time_to_outcome
from .exposure import check_exposure, check_freq, start_dates_for

#: The outcomes the evaluation reports by default (the dictionary's competing risks).
OUTCOMES = ("charge", "victim_withdrawal", "evidential_difficulty")

_COLUMNS = ["force", "wave", "cohort", "cohort_start", "cohort_end", "soteria_start",
            "periods_since_joining", "in_programme", "outcome", "n", "n_cohort", "estimate",
            "ci_low", "ci_high", "median_days"]


def _check_outcomes(outcomes: str | Sequence[str]) -> list[str]:
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    known = load_dictionary().competing_risks
    unknown = [o for o in outcomes if o not in known]
    if unknown or not outcomes:
        raise ParameterError(
            f"outcome(s) {unknown or outcomes} are not competing outcomes of the data "
            f"dictionary; use any of {known}, such as 'charge' or 'victim_withdrawal'.")
    return outcomes


def _check_level(level: float) -> float:
    if not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ParameterError(f"level={level!r} must be a confidence level between 0 and 1, "
                             "such as 0.95.")
    return float(level)


_MONTHS_PER_PERIOD = {"M": 1, "Q": 3}


def _period_ordinals(dates: pd.Series, freq: str) -> np.ndarray:
    """``pandas.Period(date, freq).ordinal`` of every date, by integer arithmetic."""
    months = dates.to_numpy("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    return months // _MONTHS_PER_PERIOD[freq]


def _factorize_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes into the sorted distinct values, by hashing (``np.unique`` would sort all rows)."""
    codes, uniques = pd.factorize(values)
    order = np.argsort(np.asarray(uniques), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[codes], np.asarray(uniques)[order]


def _members(cases: pd.DataFrame, *, within_days: int, freq: str,
             outcomes: Sequence[str], extract_date: object = None,
             censor_transfers: bool = False) -> dict:
    """Per case, the rule of :func:`cohort_counts`: its cohort (``cohort_index`` into
    ``cohorts``), whether it counts in a complete cohort (``keep``) and, per outcome, whether
    it had that outcome within the window (``counted``); numpy arrays in the cases' order."""
    if isinstance(within_days, bool) or not isinstance(within_days, (int, np.integer)) \
            or within_days <= 0:
        raise ParameterError(f"within_days={within_days!r} must be a positive whole number "
                             "of days, such as 365.")
    needed = ["force", "recorded_date", "outcome_date", "outcome_group"]
    missing = [c for c in needed if c not in cases.columns]
    if extract_date is None and "extract_date" not in cases.columns:
        missing.append("extract_date")
    if missing:
        raise DataValidationError(f"The cases frame lacks column(s) {missing}; pass the "
                                  "canonical frame returned by read_cases/validate_cases.")
    extract = (cases["extract_date"] if extract_date is None
               else pd.Series(pd.Timestamp(extract_date).normalize(), index=cases.index))
    extract_ns = extract.to_numpy("datetime64[ns]").astype(np.int64)
    ordinal = _period_ordinals(cases["recorded_date"], freq)
    # Hashing, not sorting, the million rows; only the few distinct values are sorted.
    cohort_index, cohorts = _factorize_sorted(ordinal)
    if extract_ns.min() == extract_ns.max():
        last_extract = np.full(len(cohorts), extract_ns[0])
    else:
        last_extract = np.full(len(cohorts), np.iinfo(np.int64).max)
        np.minimum.at(last_extract, cohort_index, extract_ns)
    periods = pd.PeriodIndex.from_ordinals(cohorts, freq=freq)
    starts, ends = periods.start_time, periods.end_time.normalize()
    window_ends = (ends + pd.Timedelta(days=int(within_days))).to_numpy("datetime64[ns]")
    complete = window_ends.astype(np.int64) <= last_extract
    group_codes, groups = pd.factorize(cases["outcome_group"])
    risk_of = pd.Series(groups).map(load_dictionary().competing_risk_map).to_numpy(object)
    recorded_ns = cases["recorded_date"].to_numpy("datetime64[ns]").astype(np.int64)
    outcome_ns = cases["outcome_date"].to_numpy("datetime64[ns]")
    has_outcome = ~np.isnat(outcome_ns)
    outcome_ns = outcome_ns.astype(np.int64)
    day = 86_400 * 10**9
    # Whole days between the two dates, as Series.dt.days gives them for midnight dates.
    within = has_outcome & ((outcome_ns - recorded_ns) // day <= within_days) & (
        outcome_ns <= extract_ns)
    keep = complete[cohort_index]
    if censor_transfers:
        transferred = np.flatnonzero(np.asarray(groups, dtype=object) == "transferred")
        keep = keep & ~(np.isin(group_codes, transferred) & within)
    counted = [np.isin(group_codes, np.flatnonzero(risk_of == o)) & within for o in outcomes]
    return {"cohort_index": cohort_index, "cohorts": cohorts, "starts": starts, "ends": ends,
            "complete": complete, "keep": keep, "counted": counted}


def cohort_members(cases: pd.DataFrame, *, within_days: int = 365, freq: str = "Q",
                   outcomes: str | Sequence[str] = OUTCOMES, extract_date: object = None,
                   censor_transfers: bool = False) -> pd.DataFrame:
    """The cases behind :func:`cohort_outcomes`, one row per case (the cases' index).

    What a case-level model or variance needs beside the cohort counts: each case's cohort,
    whether it counts in a complete cohort, and whether it had each outcome within the window
    (the same rule, so per force and cohort the cases ``counted`` are ``n_cohort`` and those
    also with the outcome are ``n``, as the example checks). The force reports use it for the
    design effect of officers' cases being alike in a force's before/after shares.

    Returns
    -------
    DataFrame
        ``force``, ``cohort`` (label such as ``2022Q1``), ``counted`` (bool), one bool column
        per outcome.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham", "cumbria"], scale=0.1, seed=1)
    >>> members = cohort_members(cases, outcomes="charge")
    >>> counts = cohort_outcomes(cases, outcomes="charge", medians=False)
    >>> mine = members[members["counted"]].groupby(["force", "cohort"])["charge"]
    >>> theirs = counts.set_index(["force", "cohort"])
    >>> bool(mine.sum().eq(theirs["n"]).all() and mine.size().eq(theirs["n_cohort"]).all())
    True
    """
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    freq = check_freq(freq)
    found = _members(cases, within_days=within_days, freq=freq, outcomes=outcomes,
                     extract_date=extract_date, censor_transfers=censor_transfers)
    labels = pd.PeriodIndex.from_ordinals(found["cohorts"], freq=freq).astype(str)
    frame = pd.DataFrame({"force": cases["force"].to_numpy(),
                          "cohort": np.asarray(labels, dtype=object)[found["cohort_index"]],
                          "counted": found["keep"]}, index=cases.index)
    for outcome, flag in zip(outcomes, found["counted"]):
        frame[outcome] = flag
    return frame


def cohort_counts(cases: pd.DataFrame, *, within_days: int, freq: str,
                  outcomes: Sequence[str], extract_date: object = None,
                  censor_transfers: bool = False) -> pd.DataFrame:
    """Cases and outcomes within the window per force and complete recording cohort.

    The rule of :func:`~soteria_research.analysis.attrition.cohort_rates` (a cohort is kept
    when its last day plus ``within_days`` is on or before the earliest extract date of its
    cases; an outcome counts when it came within ``within_days`` of recording and by the
    extract date; transfers are not outcomes, and with ``censor_transfers`` the cases
    transferred within the window are left out of their cohort), in integer arithmetic on the
    columns it needs, so that a national panel of a million cases is built in a fraction of a
    second. The tests check it equals ``cohort_rates``.

    Returns
    -------
    DataFrame
        ``force, cohort, cohort_start, cohort_end, outcome, n, n_cohort``, one row per force,
        complete cohort with cases, and outcome.
    """
    found = _members(cases, within_days=within_days, freq=freq, outcomes=outcomes,
                     extract_date=extract_date, censor_transfers=censor_transfers)
    cohort_index, cohorts, keep = found["cohort_index"], found["cohorts"], found["keep"]
    starts, ends, complete = found["starts"], found["ends"], found["complete"]
    force_index, forces = _factorize_sorted(cases["force"].to_numpy(object))
    cell = force_index[keep] * len(cohorts) + cohort_index[keep]
    size = len(forces) * len(cohorts)
    n_cohort = np.bincount(cell, minlength=size)
    present = np.flatnonzero(n_cohort)
    counts = [np.bincount(cell[flag[keep]], minlength=size) for flag in found["counted"]]
    frame = pd.DataFrame({
        "force": np.repeat(forces[present // len(cohorts)].astype(object), len(outcomes)),
        "cohort_ordinal": np.repeat(cohorts[present % len(cohorts)], len(outcomes)),
        "cohort_start": np.repeat(starts[present % len(cohorts)], len(outcomes)),
        "cohort_end": np.repeat(ends[present % len(cohorts)], len(outcomes)),
        "outcome": np.tile(np.asarray(outcomes, dtype=object), len(present)),
        "n": np.column_stack(counts)[present].ravel() if counts else np.zeros(0, np.int64),
        "n_cohort": np.repeat(n_cohort[present], len(outcomes)),
    })
    frame.insert(1, "cohort", pd.PeriodIndex.from_ordinals(
        frame.pop("cohort_ordinal").to_numpy(), freq=freq).astype(str))
    excluded = [str(p) for p in pd.PeriodIndex.from_ordinals(cohorts[~complete], freq=freq)]
    frame.attrs.update({"within_days": int(within_days), "excluded_cohorts": excluded})
    return frame


def _median_days(cases: pd.DataFrame, cohort: pd.Series, keep: pd.Series, within_days: int,
                 extract_date: object, outcomes: list[str]) -> pd.DataFrame:
    """Days until half of each cohort's within-window outcomes of a kind had happened.

    Read off the Aalen–Johansen cumulative incidence (transfers censor), so it is the median
    days to charge *among cases charged within the window*, the form the Home Office
    publishes, without treating the cases still open as if they never would be charged.
    """
    tte = time_to_outcome(cases.loc[keep], extract_date=extract_date)
    beyond = tte["days"].gt(within_days)
    # Outcomes after the window are not part of the cohort measure: censor at its end.
    tte = tte.assign(days=tte["days"].where(~beyond, float(within_days)),
                     outcome=tte["outcome"].where(~beyond, "censored"),
                     cohort=cohort[keep].astype(str))
    cif = cumulative_incidence(tte[["force", "cohort", "days", "outcome"]],
                               by=["force", "cohort"], event="outcome")
    cif = cif[cif["outcome"].isin(outcomes)]
    keys = ["force", "cohort", "outcome"]
    final = cif.groupby(keys, sort=False)["cif"].transform("max")
    reached = cif[(final > 0) & cif["cif"].ge(final / 2 - 1e-12)]
    return reached.groupby(keys)["time"].min().rename("median_days").reset_index()


def cohort_outcomes(
    cases: pd.DataFrame,
    *,
    within_days: int = 365,
    freq: str = "Q",
    outcomes: str | Sequence[str] = OUTCOMES,
    start_dates: Mapping[str, object] | None = None,
    exposure: str = "recorded",
    extract_date: object = None,
    level: float = 0.95,
    medians: bool = True,
    censor_transfers: bool = False,
) -> pd.DataFrame:
    """Share of each force's recording cohort with each outcome within a window, by joining.

    Parameters
    ----------
    cases : DataFrame
        Canonical, validated cases.
    within_days : int
        The window after recording in which an outcome counts. Only cohorts whose last day
        is at least ``within_days`` before the extract date are kept (full follow-up), so
        recent cohorts never look worse because their cases are simply still open.
    freq : {"Q", "M"}
        Cohorts by quarter or by month of recording.
    outcomes : str or list of str
        Competing outcomes to report (default charge, victim withdrawal, evidential
        difficulty).
    start_dates : mapping of force to date, optional
        As :func:`programme_start_dates`; every force in ``cases`` needs one.
    exposure : {"recorded", "open"}
        Which cohorts count as in the programme. ``"recorded"`` (the main rule): cohorts of
        the period holding the start date and later. ``"open"`` (a sensitivity): also the
        earlier cohorts whose window reaches the start date, part of whose investigation ran
        under the programme.
    extract_date : date-like, optional
        View the data as they stood on this date (see ``timeline.time_to_outcome``).
    level : float
        Confidence level of the Wilson intervals.
    medians : bool
        Add ``median_days`` (days until half of the cohort's within-window outcomes of that
        kind had happened, from the cumulative incidence); False skips this step.
    censor_transfers : bool
        Leave the cases transferred to another body within the window out of their cohort
        (``attrition.cohort_rates``' option of the name), as the headline shares do.

    Returns
    -------
    DataFrame
        One row per force, cohort and outcome: ``force, wave, cohort, cohort_start,
        cohort_end, soteria_start, periods_since_joining`` (0 for the period holding the
        start date, negative before), ``in_programme``, ``outcome, n, n_cohort, estimate,
        ci_low, ci_high, median_days``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> table = cohort_outcomes(cases, outcomes="charge", medians=False)
    >>> table[["cohort", "periods_since_joining", "in_programme"]].iloc[[10, 11]]
    ... # doctest: +NORMALIZE_WHITESPACE
        cohort  periods_since_joining  in_programme
    10  2021Q4                     -1         False
    11  2022Q1                      0          True
    """
    check_freq(freq)
    check_exposure(exposure)
    outcomes = _check_outcomes(outcomes)
    level = _check_level(level)
    start = start_dates_for(cases, start_dates)
    rates = cohort_counts(cases, within_days=within_days, freq=freq, outcomes=outcomes,
                          extract_date=extract_date, censor_transfers=censor_transfers)
    attrs = dict(rates.attrs)
    rates["estimate"] = rates["n"] / rates["n_cohort"]
    first = _period_ordinals(start, freq)
    rates["soteria_start"] = rates["force"].map(start).astype("datetime64[ns]")
    first_ordinal = rates["force"].map(pd.Series(first, index=start.index)).to_numpy()
    rates["periods_since_joining"] = (_period_ordinals(rates["cohort_start"], freq)
                                      - first_ordinal).astype(np.int64)
    if exposure == "recorded":
        rates["in_programme"] = rates["periods_since_joining"].ge(0)
    else:
        window_end = rates["cohort_end"] + pd.Timedelta(days=int(within_days))
        rates["in_programme"] = window_end.ge(rates["soteria_start"])
    low, high = proportion_confint(rates["n"].to_numpy(), rates["n_cohort"].to_numpy(),
                                   alpha=1 - level, method="wilson")
    rates["ci_low"], rates["ci_high"] = low, high
    waves = load_dictionary().forces.set_index("code")["soteria_wave"]
    rates["wave"] = rates["force"].map(waves)
    if medians and len(rates):
        cohort = pd.Series(pd.PeriodIndex.from_ordinals(
            _period_ordinals(cases["recorded_date"], freq), freq=freq), index=cases.index)
        keep = cohort.astype(str).isin(set(rates["cohort"])) & cases["force"].notna()
        found = _median_days(cases, cohort, keep, int(within_days), extract_date, outcomes)
        rates = rates.merge(found, on=["force", "cohort", "outcome"], how="left")
    else:
        rates["median_days"] = np.nan
    out = rates[_COLUMNS].sort_values(["force", "cohort_start", "outcome"], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs.update(attrs)
    return out
