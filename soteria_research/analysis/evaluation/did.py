"""Staggered difference-in-differences: did outcomes change when each wave of forces joined?

Callaway & Sant'Anna group-time effects with not-yet-joined forces as the comparison, an event
study with pre-period placebos, by-wave and overall effects, intervals from a wild cluster
bootstrap by force, and the plain-language limits of the design beside every result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ...errors import ModelError, ParameterError
from .exposure import check_exposure, check_freq, joining_period, start_dates_for
from .inference import check_bootstrap
from .panel import OUTCOMES, _check_level, _check_outcomes, _period_ordinals, cohort_outcomes
from .programme_effects import ProgrammeEffects, staggered_did_panel

#: How forces are weighted: each force once, or by its mean number of cases per cohort.
WEIGHTS = ("forces", "cases")


def _anticipation_for(start: pd.Series, freq: str, within_days: int, exposure: str) -> int:
    """Periods before joining to leave out: none, or (``exposure="open"``) those whose
    window reaches the start date, because part of their follow-up ran under the programme."""
    if exposure == "recorded":
        return 0
    first = joining_period(start, freq)
    spans = []
    for force_start, period in zip(start, first, strict=True):
        k = 0
        while (period - (k + 1)).end_time.normalize() + pd.Timedelta(days=within_days) >= force_start:
            k += 1
        spans.append(k)
    return int(max(spans))


def staggered_did(
    cases: pd.DataFrame,
    *,
    outcome: str = "charge",
    within_days: int = 365,
    freq: str = "Q",
    start_dates: Mapping[str, object] | None = None,
    exposure: str = "recorded",
    weights: str = "forces",
    level: float = 0.95,
    n_boot: int = 999,
    seed: int = 0,
    bootstrap_weights: str = "webb",
    extract_date: object = None,
    censor_transfers: bool = False,
) -> ProgrammeEffects:
    """Did the share of cases with an outcome change when forces joined Operation Soteria?

    Builds each force's cohort shares (:func:`cohort_outcomes`: cohorts with full follow-up
    only), then compares each wave's change from its last period before joining with the
    change, over the same periods, in forces that had not joined yet (Callaway & Sant'Anna
    2021, not-yet-treated comparison, varying base period).

    Parameters
    ----------
    cases : DataFrame
        Canonical, validated cases of several forces with different start dates.
    outcome : str
        A competing outcome: ``charge``, ``victim_withdrawal``, ``evidential_difficulty``...
    within_days : int
        Window after recording (also decides which recent cohorts are complete).
    freq : {"Q", "M"}
        Cohorts by quarter or by month.
    start_dates : mapping of force to date, optional
        As :func:`programme_start_dates`. A force without one is an error.
    exposure : {"recorded", "open"}
        ``"recorded"`` (main): the cohort of the period holding the start date is the first
        after joining. ``"open"`` (sensitivity): the cohorts before joining whose window
        reaches the start date, whose cases were partly investigated under the programme,
        are left out of the comparison (R ``did``'s anticipation periods).
    weights : {"forces", "cases"}
        Each force counts once, or in proportion to its mean cohort size.
    level : float
        Confidence level.
    n_boot, seed, bootstrap_weights
        The wild cluster bootstrap by force (Webb weights by default).
    extract_date : date-like, optional
        View the data as they stood on this date.
    censor_transfers : bool
        Leave the cases transferred to another body within the window out of their cohort
        (:func:`cohort_outcomes`), as the headline shares do.

    Returns
    -------
    ProgrammeEffects
        ``event_study``, ``by_wave``, ``overall``, ``group_time``, ``placebo_test``,
        ``notes`` and the paragraph ``text``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> forces = ["durham", "cumbria", "dorset", "avon_and_somerset", "kent", "essex"]
    >>> cases = generate_cases(forces=forces, scale=0.3, seed=2)
    >>> effects = staggered_did(cases, within_days=180, n_boot=199)
    >>> effects.by_wave["wave"].tolist()
    ['pilot_2021', 'pathfinder_2021', 'expansion_2022']
    >>> "no force left that had not joined" in effects.text
    True
    """
    return evaluate_programme(
        cases, outcomes=[outcome], within_days=within_days, freq=freq, start_dates=start_dates,
        exposure=exposure, weights=weights, level=level, n_boot=n_boot, seed=seed,
        bootstrap_weights=bootstrap_weights, extract_date=extract_date,
        censor_transfers=censor_transfers)[outcome]


def evaluate_programme(
    cases: pd.DataFrame,
    *,
    outcomes: str | Sequence[str] = OUTCOMES,
    within_days: int = 365,
    freq: str = "Q",
    start_dates: Mapping[str, object] | None = None,
    exposure: str = "recorded",
    weights: str = "forces",
    level: float = 0.95,
    n_boot: int = 999,
    seed: int = 0,
    bootstrap_weights: str = "webb",
    extract_date: object = None,
    censor_transfers: bool = False,
) -> dict[str, ProgrammeEffects]:
    """:func:`staggered_did` of several outcomes, building the cohort panel once.

    Parameters are those of :func:`staggered_did`, with ``outcomes`` (default charge, victim
    withdrawal, evidential difficulty) in place of ``outcome``. Every outcome uses the same
    bootstrap seed.

    Returns
    -------
    dict
        Outcome name -> :class:`ProgrammeEffects`.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> forces = ["durham", "cumbria", "dorset", "avon_and_somerset", "kent", "essex"]
    >>> cases = generate_cases(forces=forces, scale=0.3, seed=2)
    >>> sorted(evaluate_programme(cases, within_days=180, n_boot=199))
    ['charge', 'evidential_difficulty', 'victim_withdrawal']
    """
    check_freq(freq)
    check_exposure(exposure)
    outcomes = _check_outcomes(outcomes)
    if weights not in WEIGHTS:
        raise ParameterError(f"weights={weights!r} is not one of {WEIGHTS}: 'forces' counts "
                             "each force once, 'cases' by its mean cohort size.")
    level = _check_level(level)
    check_bootstrap(n_boot, bootstrap_weights)
    start = start_dates_for(cases, start_dates)
    cohorts = cohort_outcomes(cases, within_days=within_days, freq=freq, outcomes=outcomes,
                              start_dates=start.to_dict(), extract_date=extract_date,
                              level=level, medians=False, censor_transfers=censor_transfers)
    if cohorts.empty:
        raise ModelError(f"No cohort has had {within_days} days of follow-up by the extract "
                         "date; shorten within_days or use a later extract.")
    ordinals = _period_ordinals(cohorts["cohort_start"], freq)
    periods = pd.PeriodIndex.from_ordinals(np.unique(ordinals), freq=freq)
    panel = cohorts.assign(period=ordinals)
    first = joining_period(start, freq).map(lambda p: p.ordinal)
    panel["first_period"] = panel["force"].map(first).astype(float)
    panel["cases_weight"] = panel.groupby(["force", "outcome"])["n_cohort"].transform("mean")
    labels = dict(zip(panel["period"], cohorts["cohort"], strict=True))
    last = periods.max()
    for ordinal in first.unique():  # joining periods after the panel still need a label
        labels.setdefault(int(ordinal), str(pd.Period(ordinal=int(ordinal), freq=last.freq)))
    anticipation = _anticipation_for(start, freq, int(within_days), exposure)
    results = {}
    for outcome, part in panel.groupby("outcome", sort=False):
        context = dict(outcome=outcome, within_days=int(within_days), freq=freq,
                       exposure=exposure, weights=weights, start=start, last_period=str(last),
                       first_period=str(periods.min()))
        results[outcome] = staggered_did_panel(
            part, outcome="estimate", unit="force", period="period",
            first_period="first_period",
            weight="cases_weight" if weights == "cases" else None, wave="wave",
            period_labels=labels, anticipation=anticipation, level=level, n_boot=n_boot,
            seed=seed, bootstrap_weights=bootstrap_weights, context=context)
    return {outcome: results[outcome] for outcome in outcomes}
