"""The time-to-event frame: each case as a duration, a competing outcome and its covariates.

Every survival, cohort and model function builds on :func:`time_to_outcome`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dictionary import load_dictionary
from ..errors import DataValidationError, ParameterError

#: Where the clock starts: Home Office time to outcome runs from the recorded date; the report
#: clock serves "within N days of the report" timings (a report is recorded within days).
ORIGINS = {
    "recorded": "recorded_date",
    "report": "report_date",
}
#: Clocks refused, with the reason (see :func:`time_to_outcome`).
REFUSED_ORIGINS = {
    "offence": (
        "origin='offence' is refused: no curve from these data estimates the chance of an "
        "outcome within t days of the offence. A case is only seen from its recording, often "
        "years after the offence for a non-recent report, and its outcome comes on a clock "
        "that runs from the recording. Counting the case at risk from the offence (what this "
        "option used to do) treats the recording delay as outcome-free follow-up and is biased "
        "low; delayed entry at the recording date assumes the chance of an outcome at a given "
        "time since the offence is the same for cases recorded earlier and later, which is "
        "false here, and is biased high. Use origin='recorded' and compare by report delay "
        "(the report_delay_days column, or covariates.delay_band) instead."
    ),
}

#: Case columns carried into the time-to-event frame unchanged, for models and breakdowns.
COVARIATES = (
    "force",
    "offence_group",
    "victim_age",
    "victim_sex",
    "victim_ethnicity",
    "victim_mental_health",
    "victim_disability",
    "victim_substance_use",
    "relationship",
    "domestic_abuse",
    "third_party_report",
)

CENSORED = "censored"

_NEEDED = (
    "recorded_date",
    "report_date",
    "offence_start_date",
    "outcome_group",
    "outcome_date",
    *COVARIATES,
)


def event_codes() -> dict[str, int]:
    """The integer ``event`` code of each outcome: 0 censored, then the competing risks in order.

    Examples
    --------
    >>> from soteria_research.analysis.timeline import event_codes
    >>> event_codes()["censored"], event_codes()["charge"]
    (0, 1)
    """
    risks = load_dictionary().competing_risks
    return {CENSORED: 0, **{risk: code for code, risk in enumerate(risks, start=1)}}


def financial_year(dates: pd.Series) -> pd.Series:
    """The financial year (April to March) of each date, labelled ``"2022/23"``.

    Crime statistics for England and Wales are published by financial year, so cohorts of
    recording are too.

    Examples
    --------
    >>> financial_year(pd.Series(pd.to_datetime(["2022-03-31", "2022-04-01"]))).tolist()
    ['2021/22', '2022/23']
    """
    stamps = pd.to_datetime(dates)
    start_year = stamps.dt.year - (stamps.dt.month < 4).astype(int)
    years = pd.unique(start_year.dropna())
    labels = {int(y): f"{int(y)}/{(int(y) + 1) % 100:02d}" for y in years}
    return start_year.map(labels).astype(object).rename("financial_year")


def financial_year_bounds(label: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a financial year given as ``"2022/23"``.

    Examples
    --------
    >>> [d.date().isoformat() for d in financial_year_bounds("2022/23")]
    ['2022-04-01', '2023-03-31']
    """
    try:
        year = int(str(label).split("/", 1)[0])
    except ValueError as exc:
        raise ParameterError(f"{label!r} is not a financial year such as '2022/23'.") from exc
    return pd.Timestamp(year, 4, 1), pd.Timestamp(year + 1, 3, 31)


def _as_timestamp(extract_date: object) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(extract_date)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"extract_date={extract_date!r} is not a date. Give an ISO date such as '2024-03-31' "
            "or leave it out to use the extract date recorded in the data."
        ) from exc
    if pd.isna(stamp):
        raise ParameterError("extract_date is empty. Give a date such as '2024-03-31' or None.")
    return stamp.normalize()


def time_to_outcome(
    cases: pd.DataFrame,
    *,
    origin: str = "recorded",
    extract_date: object = None,
) -> pd.DataFrame:
    """Turn validated cases into a time-to-event frame with competing outcomes.

    Open cases are right-censored at the extract date and outcome 20 (responsibility
    transferred) is censored at its outcome date; neither is ever dropped or counted as an
    event. Durations are whole calendar days held as floats. An outcome on the day of the
    origin keeps ``days == 0.0``: it happened on that day, and nudging it would invent time.
    Estimators that need strictly positive durations must add their own offset.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame (see ``data.ingest.validate_cases``).
    origin : {"recorded", "report"}
        Where the clock starts: ``recorded_date`` (Home Office time to outcome, the default)
        or ``report_date``. ``"offence"`` is refused with the reason: a case is seen only from
        its recording, so no curve from these data estimates time from the offence (see
        :data:`REFUSED_ORIGINS`).
    extract_date : date-like, optional
        Censoring date. Defaults to each row's ``extract_date`` column. Giving an earlier date
        views the data as they stood then: outcomes after it are treated
        as not yet happened, so those cases are open and censored at that date. Every case must
        have been recorded by then (filter cases on ``recorded_date`` first), and the date may
        not be after the data's own extract date.

    Returns
    -------
    DataFrame
        One row per case, with the index of ``cases``: ``days`` (float), ``outcome_group``
        (the analytic group; ``open`` for cases open at the extract date, ``transferred`` kept),
        ``outcome`` (the competing risk, or ``censored``), ``event`` (int: 0 censored, then
        1.. in the order of ``load_dictionary().competing_risks``: charge, victim_withdrawal,
        evidential_difficulty, no_suspect, other), then the covariates ``force``,
        ``offence_group``, victim age, sex, ethnicity and vulnerability flags,
        ``relationship``, ``domestic_abuse``, ``third_party_report``, ``report_delay_days``
        (offence start to report, in days), ``recorded_date`` and ``financial_year`` (of
        recording, ``"2022/23"``). ``attrs`` records ``origin`` and ``event_codes``.
        Nothing dated after recording (device request, arrest, referral) is here: such events
        are time-varying covariates (see :mod:`soteria_research.analysis.episodes`), never
        baseline ones.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> tte = time_to_outcome(cases)
    >>> len(tte) == len(cases), sorted(tte["event"].unique().tolist())
    (True, [0, 1, 2, 3, 4, 5])
    """
    if origin in REFUSED_ORIGINS:
        raise ParameterError(REFUSED_ORIGINS[origin])
    if origin not in ORIGINS:
        raise ParameterError(
            f"origin={origin!r} is not known. Use one of {sorted(ORIGINS)}: 'recorded' for Home "
            "Office time to outcome, 'report' for time from the report."
        )
    missing = [c for c in _NEEDED if c not in cases.columns]
    if extract_date is None and "extract_date" not in cases.columns:
        missing.append("extract_date")
    if missing:
        raise DataValidationError(
            f"The cases frame lacks column(s) {missing}. Pass the canonical frame returned by "
            "read_cases/validate_cases, which always carries them."
        )

    dictionary = load_dictionary()
    risk_of_group = {**dictionary.competing_risk_map, "open": CENSORED}
    unknown = sorted(set(cases["outcome_group"].dropna()) - set(risk_of_group))
    if unknown or cases["outcome_group"].isna().any():
        raise DataValidationError(
            f"outcome_group holds value(s) {unknown or ['<missing>']} that are not in the data "
            "dictionary's outcome groups. Validate the cases with validate_cases first."
        )

    start = cases[ORIGINS[origin]]
    if extract_date is None:
        censor_at = cases["extract_date"]
    else:
        censor_at = pd.Series(_as_timestamp(extract_date), index=cases.index)
        if "extract_date" in cases.columns and (censor_at > cases["extract_date"]).any():
            raise ParameterError(
                f"extract_date={extract_date!s} is after the data's own extract date "
                f"({cases['extract_date'].min().date()}): nothing is known about the cases "
                "after that. Give an earlier date, or leave extract_date out."
            )
        late = cases["recorded_date"] > censor_at
        if late.any():
            raise ParameterError(
                f"{int(late.sum())} case(s) were recorded after extract_date={extract_date!s} "
                "(first at row index "
                f"{cases.index[late.to_numpy()][0]!r}). Keep only cases recorded by then: "
                "cases[cases['recorded_date'] <= extract_date]."
            )

    outcome_group = cases["outcome_group"].astype(object)
    # An outcome after the censoring date had not happened yet as of that date.
    not_yet = outcome_group.ne("open") & (cases["outcome_date"] > censor_at)
    outcome_group = outcome_group.where(~not_yet, "open")
    outcome = outcome_group.map(risk_of_group)

    # Transferred cases stop being observed at their outcome date; open ones at the extract.
    end = cases["outcome_date"].where(outcome_group.ne("open"), censor_at)
    days = (end - start).dt.days.astype(float)

    codes = event_codes()
    frame = pd.DataFrame(
        {
            "days": days,
            "outcome_group": outcome_group,
            "outcome": outcome,
            "event": outcome.map(codes).astype(np.int64),
        },
        index=cases.index,
    )
    for column in COVARIATES:
        frame[column] = cases[column]
    frame["report_delay_days"] = (
        (cases["report_date"] - cases["offence_start_date"]).dt.days.astype(float)
    )
    frame["recorded_date"] = cases["recorded_date"]
    frame["financial_year"] = financial_year(cases["recorded_date"])
    frame.attrs.update({"origin": origin, "event_codes": codes})
    return frame
