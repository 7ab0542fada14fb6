"""Cohorts of recording: which financial years have been followed long enough, and time to
outcome estimated per cohort, so a curve never mixes early, fully followed cases with recent,
cut-short ones when outcomes change over time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError, ParameterError
from .competing_risks import cumulative_incidence
from .timeline import financial_year, financial_year_bounds, time_to_outcome

__all__ = [
    "DESIGN_EFFECT_DAYS",
    "cohort_incidence",
    "cohort_table",
    "describe_cohorts",
    "followed_cases",
    "followed_cohorts",
    "latest_cohorts",
    "transferred_within",
    "year_followed",
]

#: Days at which a whole curve's design effect is computed (those of the reports'
#: time-to-outcome table); between them it is interpolated (:func:`cohort_incidence`).
DESIGN_EFFECT_DAYS = (30, 90, 180, 365, 730)


def _extract(cases: pd.DataFrame, extract_date: object) -> pd.Series:
    if extract_date is not None:
        return pd.Series(pd.Timestamp(extract_date).normalize(), index=cases.index)
    if "extract_date" not in cases.columns:
        raise DataValidationError("The cases frame lacks the extract_date column. Pass the "
                                  "canonical frame from read_cases/validate_cases, or give "
                                  "extract_date=.")
    return cases["extract_date"]


def cohort_table(cases: pd.DataFrame, *, extract_date: object = None) -> pd.DataFrame:
    """One row per financial-year cohort of recording, with how long it has been followed.

    Returns
    -------
    DataFrame
        ``cohort`` (``"2022/23"``), ``n`` (cases), ``first_recorded``, ``last_recorded`` and
        ``follow_up_days``: days from the cohort's last recorded case to the extract date, the
        follow-up every case in the cohort has had.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.1, seed=1)
    >>> print(cohort_table(cases)[["cohort", "follow_up_days"]].tail(2).to_string(index=False))
     cohort  follow_up_days
    2022/23             368
    2023/24               0
    """
    extract = _extract(cases, extract_date)
    cohort = financial_year(cases["recorded_date"])
    grouped = pd.DataFrame({"cohort": cohort, "recorded": cases["recorded_date"],
                            "extract": extract}).groupby("cohort", sort=True)
    table = grouped.agg(n=("recorded", "size"), first_recorded=("recorded", "min"),
                        last_recorded=("recorded", "max"), extract=("extract", "min"))
    table["follow_up_days"] = (table["extract"] - table["last_recorded"]).dt.days.astype(
        np.int64)
    return table.drop(columns="extract").reset_index()


def latest_cohorts(cases: pd.DataFrame, *, horizon_days: int, n: int = 1,
                   extract_date: object = None) -> list[str]:
    """The ``n`` latest financial-year cohorts in which every case has been followed for at
    least ``horizon_days`` (oldest first; fewer when fewer qualify).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.1, seed=1)
    >>> latest_cohorts(cases, horizon_days=730, n=2)
    ['2020/21', '2021/22']
    """
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, (int, np.integer)) \
            or horizon_days < 0:
        raise ParameterError(f"horizon_days={horizon_days!r} must be a whole number of days "
                             ">= 0, such as 730.")
    table = cohort_table(cases, extract_date=extract_date)
    followed = table.loc[table["follow_up_days"] >= horizon_days, "cohort"].tolist()
    return followed[-n:] if n > 0 else []


def followed_cohorts(cases: pd.DataFrame, *, days: int, extract_date: object = None
                     ) -> tuple[pd.Series, list[str]]:
    """The cases of every financial-year cohort followed for at least ``days`` from recording,
    and those cohorts.

    A cohort counts when its last day (31 March) plus ``days`` is on or before the earliest
    extract date of its cases: the rule of ``attrition.cohort_rates`` and
    ``evaluation.cohort_counts``, so every table of "cases followed for a year" counts the
    same years. Keeping whole cohorts (rather than each case recorded ``days`` before the
    extract) makes the estimand a set of named financial years, with no part-year at the end;
    and the rule rests on the calendar, never on the date of the last case recorded.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.1, seed=1)
    >>> keep, cohorts = followed_cohorts(cases, days=365)
    >>> cohorts, bool(keep.sum() < len(cases))
    (['2019/20', '2020/21', '2021/22', '2022/23'], True)
    """
    if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days < 0:
        raise ParameterError(f"days={days!r} must be a whole number of days >= 0, such as 365.")
    extract = _extract(cases, extract_date)
    cohort = financial_year(cases["recorded_date"])
    last_extract = extract.groupby(cohort).min()
    chosen = sorted(str(year) for year, seen in last_extract.items()
                    if year_followed(year, days=int(days), extract=seen))
    return cohort.isin(chosen), chosen


def year_followed(year: str, *, days: int, extract: object) -> bool:
    """Whether financial year ``year`` (``"2022/23"``) is followed for ``days`` days by the
    extract date: its 31 March plus ``days`` is on or before it (the calendar rule of
    :func:`followed_cohorts`).

    Examples
    --------
    >>> year_followed("2022/23", days=365, extract="2024-03-31")
    True
    >>> year_followed("2023/24", days=365, extract="2024-03-31")
    False
    """
    return bool(financial_year_bounds(year)[1] + pd.Timedelta(days=int(days))
                <= pd.Timestamp(extract))


def followed_cases(cases: pd.DataFrame, *, days: int, extract_date: object = None
                   ) -> tuple[pd.Series, list[str]]:
    """The cohort every table of "cases followed for ``days`` days" counts: the cases of the
    financial years of :func:`followed_cohorts`, less those transferred to another body within
    ``days`` of recording (and by the extract date). A transfer ends the force's follow-up, not
    the case: its outcome is not the force's, so it is censored, left out of every share of
    outcomes within the window (docs/domain.md).

    The headline's shares, the trend table's years, the victim breakdowns, the programme's
    cohorts and the forensics table's share of requests all count these cases, so no two of
    them differ by a count no table prints (docs/methods.md section 8).

    Returns
    -------
    (Series of bool, list of str)
        Which cases are in the cohort, and its financial years.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.1, seed=1)
    >>> keep, years = followed_cases(cases, days=365)
    >>> whole, _ = followed_cohorts(cases, days=365)
    >>> bool(keep.sum() <= whole.sum()), bool((keep & ~whole).any())
    (True, False)
    """
    whole, chosen = followed_cohorts(cases, days=days, extract_date=extract_date)
    return whole & ~transferred_within(cases, days=days, extract_date=extract_date), chosen


def transferred_within(cases: pd.DataFrame, *, days: int, extract_date: object = None
                       ) -> pd.Series:
    """Cases transferred to another body within ``days`` of recording, by the extract date:
    censored, left out of every share of outcomes within ``days`` (:func:`followed_cases`).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.1, seed=1)
    >>> moved = transferred_within(cases, days=365)
    >>> bool(cases.loc[moved, "outcome_group"].eq("transferred").all())
    True
    """
    extract = _extract(cases, extract_date)
    ended = cases["outcome_date"]
    return (cases["outcome_group"].eq("transferred") & ended.notna()
            & ended.le(extract) & (ended - cases["recorded_date"]).dt.days.le(days))


def describe_cohorts(cohorts: Sequence[str]) -> str:
    """Cohort labels in words: ``"2019/20 to 2021/22"``, or the one year.

    Examples
    --------
    >>> describe_cohorts(["2019/20", "2020/21", "2021/22"]), describe_cohorts(["2021/22"])
    ('2019/20 to 2021/22', '2021/22')
    """
    cohorts = sorted(cohorts)
    if not cohorts:
        return "no cohort"
    if len(cohorts) == 1:
        return cohorts[0]
    years = [int(c.split("/")[0]) for c in cohorts]
    span = f"{cohorts[0]} to {cohorts[-1]}"
    return span if years == list(range(years[0], years[-1] + 1)) else ", ".join(cohorts)


def cohort_incidence(
    cases: pd.DataFrame,
    *,
    times: Sequence[float] | None = None,
    cohorts: Sequence[str] | None = None,
    pooled: bool = False,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    variance: str = "gray",
    extract_date: object = None,
    cluster: str | None = None,
    strata: str | None = None,
) -> pd.DataFrame:
    """Time to outcome for cases recorded in each financial year: cumulative incidence of each
    competing outcome by day t after recording, one set of curves per cohort.

    When outcomes change over recording time, a curve pooled over every case is biased: its
    early days rest on every cohort and its late days only on the early cohorts, which have had
    the time to get there. Estimated per cohort, each curve describes one cohort of crimes
    (Aalen–Johansen within the cohort, open and transferred cases censored). With ``pooled``,
    the chosen cohorts form one curve: the estimand is then the probability for a case recorded
    in that period, which is unbiased where every chosen cohort is followed beyond ``t`` (see
    the ``complete`` column); choose them with :func:`latest_cohorts`.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    times : sequence of float, optional
        Days at which to report; default every event time.
    cohorts : sequence of str, optional
        Financial years (``"2021/22"``) to estimate; default every cohort in the data.
    pooled : bool
        One curve over the chosen cohorts together instead of one each.
    by : str or list of str, optional
        Further columns (of the time-to-event frame) to estimate within, such as ``"force"``.
    level, variance
        As :func:`~soteria_research.analysis.competing_risks.cumulative_incidence`.
    extract_date : date-like, optional
        View the data as they stood on this date.
    cluster : str, optional
        Column of ``cases`` whose cases are alike (the officer in charge, ``"officer_id"``).
        Each interval where the cohort is followed beyond the day (``complete``) allows for
        it, as the headline shares' do: the variance is multiplied by the design effect of
        "had this outcome by this day" (``attrition.design_effects``, Kish), which there is
        the share of cases the curve estimates. With ``times`` the design effect is computed
        at each of them; without (every event time, a figure's band) it is computed at the
        days of :data:`DESIGN_EFFECT_DAYS` the cohort is followed beyond and interpolated
        linearly between them (held flat before the first and after the last), so the band
        agrees with the table at those days; a band keeps the last such design effect beyond
        the cohort's full follow-up. Elsewhere, or when the column is absent, the design
        effect is 1.
    strata : str, optional
        Column of ``cases`` within which clusters are nested and whose sizes are fixed (the
        force, for a national curve).

    Returns
    -------
    DataFrame
        The ``by`` columns, ``cohort`` (a financial year, or the span when pooled), then the
        columns of ``cumulative_incidence`` (``outcome, time, cif, se, ci_low, ci_high,
        n_at_risk, n_events``), ``n_cohort`` (cases in the cohort), ``follow_up_days`` (the
        follow-up every case in the cohort has had), ``complete`` (``time <=
        follow_up_days``: the estimate there rests on every case of the cohort) and
        ``design_effect`` (1 without ``cluster``). ``attrs``
        holds ``cohorts`` and ``note`` (the estimand in words).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> chosen = latest_cohorts(cases, horizon_days=730)
    >>> curve = cohort_incidence(cases, times=[365, 730], cohorts=chosen)
    >>> curve["cohort"].unique().tolist(), bool(curve["complete"].all())
    (['2021/22'], True)
    """
    by = [by] if isinstance(by, str) else list(by or [])
    tte = time_to_outcome(cases, extract_date=extract_date)
    clustered = (cluster is not None and cluster in cases.columns and len(tte) == len(cases))
    if clustered:  # one time-to-event row per case, in the cases' order
        tte = tte.assign(_cluster=cases[cluster].to_numpy(),
                         _stratum=(cases[strata].to_numpy() if strata in cases.columns
                                   else 0))
    missing = [c for c in by if c not in tte.columns]
    if missing:
        raise ParameterError(f"by={by!r} names column(s) {missing} that the time-to-event "
                             f"frame does not have; use some of {list(tte.columns)}.")
    table = cohort_table(cases, extract_date=extract_date).set_index("cohort")
    chosen = list(table.index) if cohorts is None else list(cohorts)
    unknown = [c for c in chosen if c not in table.index]
    if unknown:
        raise ParameterError(f"cohorts {unknown} are not financial years of these cases; they "
                             f"hold {list(table.index)} (labels such as '2021/22').")
    if not chosen:
        raise ParameterError("cohorts= is empty: no cohort to estimate. latest_cohorts() "
                             "returns none when no cohort has been followed long enough; "
                             "give a shorter horizon_days.")
    tte = tte[tte["financial_year"].isin(chosen)]
    label = describe_cohorts(chosen)
    if pooled:
        tte = tte.assign(cohort=label)
        sizes = pd.Series({label: int(table.loc[chosen, "n"].sum())})
        follow_up = pd.Series({label: int(table.loc[chosen, "follow_up_days"].min())})
    else:
        tte = tte.assign(cohort=tte["financial_year"])
        sizes, follow_up = table["n"], table["follow_up_days"]
    curve = cumulative_incidence(tte, by=[*by, "cohort"], times=times, level=level,
                                 variance=variance)
    curve["n_cohort"] = curve["cohort"].map(sizes).astype(np.int64)
    curve["follow_up_days"] = curve["cohort"].map(follow_up).astype(np.int64)
    curve["complete"] = curve["time"].to_numpy(float) <= curve["follow_up_days"].to_numpy(float)
    curve["design_effect"] = 1.0
    if clustered and len(curve):
        curve = _clustered_intervals(curve, tte, [*by, "cohort"], level,
                                     anchors=None if times is not None else DESIGN_EFFECT_DAYS)
    # The note's follow-up runs from the end of the latest financial year, not from its last
    # case: "at least 859 days" gave away the day a small force's last case of the year was
    # recorded. It is still a true lower bound (no case was recorded after its year's end).
    extract = _extract(cases, extract_date).min()
    guaranteed = min((extract - financial_year_bounds(year)[1]).days for year in chosen)
    followed = (f", followed for at least {guaranteed} days after recording" if guaranteed > 0
                else ", followed to the extract date")
    curve.attrs.update({
        "cohorts": sorted(chosen),
        "note": (f"Cases recorded in {label}"
                 + (" (pooled)" if pooled and len(chosen) > 1 else "")
                 + followed + "; time counts from the recorded date."
                 if len(curve) else f"No cases recorded in {label}."),
    })
    return curve


def _clustered_intervals(curve: pd.DataFrame, tte: pd.DataFrame, keys: list[str],
                         level: float, anchors: Sequence[float] | None = None) -> pd.DataFrame:
    """``curve`` with each complete row's interval widened by the design effect of its share
    (``tte`` carries ``_cluster`` and ``_stratum``); see :func:`cohort_incidence`. With
    ``anchors``, the design effect is computed at those days only (the ones within each
    group's follow-up) and interpolated to the curve's rows."""
    from scipy import stats

    from .attrition import design_effects
    from .competing_risks import _log_log_interval

    def deff_at(part: pd.DataFrame, outcome, day: float) -> float:
        flag = part["outcome"].eq(outcome) & (part["days"] <= day)
        return float(design_effects(flag, [], part["_cluster"], [part["_stratum"]]).iloc[0])

    curve = curve.copy()
    groups = tte.groupby(keys, sort=False, dropna=False, observed=True).indices
    # A table's rows are widened where they are shares of the cohort (complete); a band's
    # everywhere, at the design effect of its last table day beyond the full follow-up (a
    # band that narrowed there would claim a precision the later days do not have).
    usable = np.isfinite(curve["cif"].to_numpy(float))
    shown = curve[usable & (curve["complete"].to_numpy() if anchors is None else True)]
    for key, rows in shown.groupby([*keys, "outcome"], sort=False, dropna=False,
                                      observed=True).groups.items():
        members = groups.get(key[:-1] if len(keys) > 1 else key[0])
        if members is None:
            continue
        part, outcome = tte.iloc[members], key[-1]
        days = curve.loc[rows, "time"].to_numpy(float)
        if anchors is None:
            curve.loc[rows, "design_effect"] = [deff_at(part, outcome, d) for d in days]
            continue
        follow_up = float(curve.loc[rows, "follow_up_days"].iloc[0])
        points = [d for d in anchors if d <= follow_up] or [follow_up]
        values = [deff_at(part, outcome, d) for d in points]
        curve.loc[rows, "design_effect"] = np.interp(days, points, values)
    widened = curve["design_effect"].to_numpy(float) > 1
    if widened.any():
        z = float(stats.norm.ppf(0.5 + level / 2))
        deff = curve.loc[widened, "design_effect"].to_numpy(float)
        se = curve.loc[widened, "se"].to_numpy(float) * np.sqrt(deff)
        low, high = _log_log_interval(curve.loc[widened, "cif"].to_numpy(float), se, z,
                                      curve.loc[widened, "n_at_risk"].to_numpy(float) / deff)
        curve.loc[widened, "se"] = se
        curve.loc[widened, "ci_low"] = low
        curve.loc[widened, "ci_high"] = high
    return curve
