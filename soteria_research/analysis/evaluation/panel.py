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
from ...errors import ParameterError
from ..attrition import cohort_rates
from ..competing_risks import cumulative_incidence
from ..timeline import time_to_outcome
from .exposure import check_exposure, check_freq, joining_period, start_dates_for

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
    rates = cohort_rates(cases, within_days=within_days, freq=freq, by="force",
                         extract_date=extract_date)
    attrs = dict(rates.attrs)
    rates = rates[rates["outcome"].isin(outcomes)].reset_index(drop=True)
    periods = pd.PeriodIndex(rates["cohort"], freq=freq)
    first = joining_period(start, freq)
    rates["soteria_start"] = rates["force"].map(start).astype("datetime64[ns]")
    first_ordinal = rates["force"].map(pd.Series(first.map(lambda p: p.ordinal).to_numpy(),
                                                 index=first.index))
    rates["periods_since_joining"] = (periods.asi8 - first_ordinal.to_numpy()).astype(np.int64)
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
        cohort = cases["recorded_date"].dt.to_period(freq)
        keep = cohort.astype(str).isin(set(rates["cohort"])) & cases["force"].notna()
        found = _median_days(cases, cohort, keep, int(within_days), extract_date, outcomes)
        rates = rates.merge(found, on=["force", "cohort", "outcome"], how="left")
    else:
        rates["median_days"] = np.nan
    out = rates[_COLUMNS].sort_values(["force", "cohort_start", "outcome"], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs.update(attrs)
    return out
