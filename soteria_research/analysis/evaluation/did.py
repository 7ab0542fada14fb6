"""Staggered difference-in-differences: did outcomes change when each wave of forces joined?

Callaway & Sant'Anna group-time effects with not-yet-joined forces as the comparison, an event
study with pre-period placebos, by-wave and overall effects, intervals from a wild cluster
bootstrap by force, and the plain-language limits of the design beside every result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ...errors import DataValidationError, ModelError, ParameterError
from .exposure import check_exposure, check_freq, joining_period, start_dates_for
from .group_time import aggregate, group_time_effects
from .inference import (
    check_bootstrap,
    simultaneous_critical_value,
    sup_t_test,
    wild_cluster_bootstrap,
)
from .narrative import design_notes, effect_paragraph
from .panel import OUTCOMES, _check_level, _check_outcomes, _period_ordinals, cohort_outcomes

#: How forces are weighted: each force once, or by its mean number of cases per cohort.
WEIGHTS = ("forces", "cases")


@dataclass(frozen=True)
class ProgrammeEffects:
    """The staggered difference-in-differences of one outcome, with what it can and cannot show.

    Attributes
    ----------
    group_time : DataFrame
        One row per wave (group of forces joining in the same period) and period:
        ``wave, first_period, period, periods_since_joining, kind`` (``placebo`` before
        joining, ``anticipation`` in excluded periods just before, ``effect`` from joining
        on), ``estimate, se, ci_low, ci_high, n_forces, n_comparison``.
    event_study : DataFrame
        By periods since joining: ``periods_since_joining, kind, estimate, se, ci_low,
        ci_high, band_low, band_high`` (a simultaneous band over all rows), ``n_forces,
        n_waves``. Rows below 0 are the pre-period placebos: flat near zero is what parallel
        trends predict.
    by_wave : DataFrame
        The average effect after joining of each wave: ``wave, first_period, estimate, se,
        ci_low, ci_high, n_forces``.
    overall : DataFrame
        ``aggregation`` (``group``: the wave effects averaged by wave size, the headline;
        ``simple``: all post-joining cells averaged; ``dynamic``: the event-study effects
        from 0 on averaged), ``label, estimate, se, ci_low, ci_high, n_forces``.
    placebo_test : dict
        Joint test that every pre-period placebo is zero: ``statistic`` (the largest
        |placebo| / bootstrap se), ``df`` (placebos tested) and the bootstrap ``p``.
    excluded : DataFrame
        ``force, reason`` for each force left out of the estimation.
    notes : tuple of str
        Each limit of the design that applies to these data, in plain language.
    text : str
        A paragraph a report can print as it is: the headline effect, the placebos, the
        limits.
    outcome, within_days, freq, exposure, weights, level : the settings used.

    ``estimate`` is a difference in the share of a cohort with the outcome within
    ``within_days`` days (0.01 = one percentage point); intervals are the wild cluster
    bootstrap's, ``se`` the influence-function standard error clustered by force.
    """

    group_time: pd.DataFrame
    event_study: pd.DataFrame
    by_wave: pd.DataFrame
    overall: pd.DataFrame
    placebo_test: dict
    excluded: pd.DataFrame
    notes: tuple[str, ...]
    text: str
    outcome: str
    within_days: int | None
    freq: str | None
    exposure: str
    weights: str
    level: float

    def summary(self) -> pd.DataFrame:
        """The headline (overall) effect and the by-wave effects in one table."""
        overall = self.overall.assign(wave="all waves")
        return pd.concat([overall, self.by_wave], ignore_index=True)[
            ["wave", "estimate", "ci_low", "ci_high", "n_forces"]]

    def __repr__(self) -> str:
        head = self.overall.iloc[0]
        return (f"<ProgrammeEffects {self.outcome}: {head['estimate']:+.4f} "
                f"[{head['ci_low']:+.4f}, {head['ci_high']:+.4f}], {int(head['n_forces'])} forces>")


def _balanced(panel: pd.DataFrame, unit: str, period: str, outcome: str):
    """Units × periods outcome matrix; units missing any period are returned apart."""
    if panel.duplicated([unit, period]).any():
        raise DataValidationError(
            f"The panel has more than one row for some ({unit}, {period}) pair; give one "
            "outcome per force and period.")
    span = np.arange(int(panel[period].min()), int(panel[period].max()) + 1)
    wide = panel.pivot(index=unit, columns=period, values=outcome).reindex(columns=span)
    gaps = wide.isna().any(axis=1)
    return wide[~gaps], list(wide.index[gaps]), span


def staggered_did_panel(
    panel: pd.DataFrame,
    *,
    outcome: str = "estimate",
    unit: str = "force",
    period: str = "period",
    first_period: str = "first_period",
    weight: str | None = None,
    wave: str | None = None,
    period_labels: Mapping[int, str] | None = None,
    anticipation: int = 0,
    level: float = 0.95,
    n_boot: int = 999,
    seed: int = 0,
    bootstrap_weights: str = "webb",
    context: Mapping[str, object] | None = None,
) -> ProgrammeEffects:
    """Callaway & Sant'Anna on a force × period panel (the engine of :func:`staggered_did`).

    Parameters
    ----------
    panel : DataFrame
        One row per unit and period with an outcome, the unit's first treated period
        (constant within unit; missing for a unit never treated within the panel) and,
        optionally, a time-invariant weight and a wave label.
    outcome, unit, period, first_period, weight, wave : str
        Column names. ``period`` and ``first_period`` hold whole numbers, consecutive
        periods differing by 1 (for example ``pandas.Period.ordinal``).
    period_labels : mapping, optional
        Display label of each period number (``{209: "2022Q2"}``).
    anticipation : int
        Periods just before joining left out of the comparison (R ``did``'s
        ``anticipation``).
    level, n_boot, seed, bootstrap_weights
        Confidence level and the wild cluster bootstrap (see ``inference``).
    context : mapping, optional
        What the caller knows that the panel does not (outcome label, window, exposure);
        used in the text.

    Returns
    -------
    ProgrammeEffects

    Raises
    ------
    ModelError
        When no wave can be compared with forces not yet treated: every force joined in the
        same period, or no wave has a period before joining in the panel.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> first = np.repeat([4, 6, np.nan], 10)
    >>> panel = pd.DataFrame({"force": np.repeat(np.arange(30), 8), "period": np.tile(np.arange(8), 30)})
    >>> panel["first_period"] = np.repeat(first, 8)
    >>> panel["estimate"] = rng.normal(0, 0.1, 240) + 0.5 * (panel["period"] >= panel["first_period"])
    >>> effects = staggered_did_panel(panel, seed=1)
    >>> bool(effects.overall["ci_low"].iloc[0] < 0.5 < effects.overall["ci_high"].iloc[0])
    True
    """
    level = _check_level(level)
    check_bootstrap(n_boot, bootstrap_weights)
    if isinstance(anticipation, bool) or not isinstance(anticipation, (int, np.integer)) \
            or anticipation < 0:
        raise ParameterError(f"anticipation={anticipation!r} must be a whole number >= 0.")
    needed = [c for c in (outcome, unit, period, first_period, weight, wave) if c]
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise DataValidationError(f"The panel lacks column(s) {missing}.")
    labels = dict(period_labels or {})
    excluded: list[dict] = []
    wide, gappy, span = _balanced(panel, unit, period, outcome)
    excluded += [dict(force=u, reason="no cohort with full follow-up in some period of the "
                      "panel (no cases recorded, or too few to keep)") for u in gappy]
    per_unit = panel.drop_duplicates(unit).set_index(unit).reindex(wide.index)
    first = per_unit[first_period].astype(float) - span[0]
    no_pre = first <= anticipation
    excluded += [dict(force=u, reason="joined in or before the first period of the panel: "
                      "no period before joining to compare with") for u in first.index[no_pre]]
    first = first[~no_pre]
    joined_after = sorted(map(str, first.index[first >= len(span)]))
    first = first.where(first < len(span), np.inf).fillna(np.inf)
    wide = wide.loc[first.index]
    if not np.isfinite(first).any():
        raise ModelError(
            "No force joins the programme within the panel after a period before joining, so "
            "there is nothing to compare. Check the start dates and the cohorts kept "
            "(within_days shortens the panel at its end).")
    last_wave_control = None
    if np.isfinite(first).all():
        # No force stays out: as R did, the last wave becomes the comparison, and only the
        # periods before it joins (less anticipation) can be used.
        last = first.max()
        if (first == last).all():
            raise ModelError(
                "Every force joined in the same period, so no force is left untreated to "
                "compare with. Look at each force against its own past instead "
                "(interrupted_time_series), and read it with its caveats.")
        last_wave_control = (int(last), sorted(map(str, first.index[first == last])))
        keep_periods = np.arange(len(span)) < last - anticipation
        wide, span = wide.loc[:, span[keep_periods]], span[keep_periods]
        first = first.where(first != last, np.inf)
    weights = per_unit.loc[first.index, weight].to_numpy(float) if weight else None
    gt = group_time_effects(wide.to_numpy(float), first.to_numpy(float), weights,
                            anticipation=int(anticipation))
    if gt.att.size == 0 or not (gt.group <= gt.period).any():
        raise ModelError("No wave has a period after joining with forces not yet treated to "
                         "compare with; the panel is too short for this design.")
    agg = aggregate(gt)
    # Intervals come from the small-sample influence functions; ``se`` stays the plain
    # influence-function standard error that R did and csdid report.
    small = aggregate(replace(gt, influence=gt.influence_small_sample))
    blocks = [gt.influence_small_sample, small["event_study"][2], small["by_group"][2],
              small["overall"][2]]
    sizes = np.cumsum([0] + [b.shape[1] for b in blocks])
    boot = wild_cluster_bootstrap(np.hstack(blocks), level=level, n_boot=n_boot, seed=seed,
                                  bootstrap_weights=bootstrap_weights)
    boot["se"] = np.concatenate([gt.se] + [np.sqrt((agg[k][2] ** 2).sum(axis=0)) / agg[k][2].shape[0]
                                           for k in ("event_study", "by_group", "overall")])
    in_events = slice(sizes[1], sizes[2])
    event_draws, event_se_boot = boot["draws"][:, in_events], boot["se_boot"][in_events]

    def block(i: int, estimates: np.ndarray) -> pd.DataFrame:
        part = slice(sizes[i], sizes[i + 1])
        half = boot["half_width"][part]
        return pd.DataFrame({"estimate": estimates, "se": boot["se"][part],
                             "ci_low": estimates - half, "ci_high": estimates + half})

    def label(p: float) -> str:
        value = int(p) + int(span[0])
        return labels.get(value, str(value))

    unit_wave = per_unit.loc[first.index, wave] if wave else pd.Series("", index=first.index)
    wave_of = {g: " + ".join(sorted(set(map(str, unit_wave[first == g])))) or f"joined {label(g)}"
               for g in np.unique(gt.group)}
    forces_of = {g: int((first == g).sum()) for g in np.unique(gt.group)}

    def kind(e: np.ndarray) -> np.ndarray:
        return np.where(e >= 0, "effect", np.where(e >= -anticipation, "anticipation", "placebo"))

    group_time = pd.concat([pd.DataFrame({
        "wave": [wave_of[g] for g in gt.group], "first_period": [label(g) for g in gt.group],
        "period": [label(p) for p in gt.period], "periods_since_joining": gt.event_time,
        "kind": kind(gt.event_time)}), block(0, gt.att).assign(
        n_forces=gt.n_treated, n_comparison=gt.n_control)], axis=1)

    events, event_est, _ = agg["event_study"]
    event_study = pd.concat([pd.DataFrame({"periods_since_joining": events,
                                           "kind": kind(events)}), block(1, event_est)], axis=1)
    band = simultaneous_critical_value(event_draws, event_se_boot, level) * event_se_boot
    event_study["band_low"], event_study["band_high"] = event_est - band, event_est + band
    event_study["n_forces"] = [int(sum(forces_of[g] for g in np.unique(gt.group[gt.event_time == e])))
                               for e in events]
    event_study["n_waves"] = [len(np.unique(gt.group[gt.event_time == e])) for e in events]

    groups, group_est, _ = agg["by_group"]
    by_wave = pd.concat([pd.DataFrame({"wave": [wave_of[g] for g in groups],
                                       "first_period": [label(g) for g in groups]}),
                         block(2, group_est), pd.DataFrame({"n_forces": [forces_of[g] for g in groups]})],
                        axis=1)
    n_treated = int(sum(forces_of[g] for g in groups))
    overall = pd.concat([pd.DataFrame({"aggregation": agg["overall"][0], "label": [
        "average effect after joining, waves weighted by size",
        "average of every period after joining, waves weighted by size",
        "average of the event-study effects from joining on"]}),
        block(3, agg["overall"][1]), pd.DataFrame({"n_forces": [n_treated] * 3})], axis=1)

    placebo = kind(events) == "placebo"
    placebo_test = sup_t_test(event_est[placebo], event_draws[:, placebo],
                              event_se_boot[placebo])
    context = dict(context or {})
    notes = design_notes(
        wave_of=wave_of, forces_of=forces_of, last_wave_control=last_wave_control,
        last_label=label(last_wave_control[0]) if last_wave_control else None,
        excluded=excluded, placebo_test=placebo_test, anticipation=anticipation,
        context=context, n_comparison_never=int(np.isinf(first).sum()),
        joined_after=joined_after,
    )
    outcome_name = str(context.get("outcome", outcome))
    text = effect_paragraph(overall.iloc[0], by_wave, placebo_test, notes, level=level,
                            context=context)
    return ProgrammeEffects(
        group_time=group_time, event_study=event_study, by_wave=by_wave, overall=overall,
        placebo_test=placebo_test,
        excluded=pd.DataFrame(excluded, columns=["force", "reason"]), notes=tuple(notes),
        text=text, outcome=outcome_name, within_days=context.get("within_days"),
        freq=context.get("freq"), exposure=str(context.get("exposure", "recorded")),
        weights=str(context.get("weights", "cases" if weight else "forces")), level=level)


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
        bootstrap_weights=bootstrap_weights, extract_date=extract_date)[outcome]


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
                              level=level, medians=False)
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
