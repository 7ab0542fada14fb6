"""The result of a staggered difference-in-differences, and its engine on a force × period panel.

:func:`staggered_did_panel` runs Callaway & Sant'Anna on any balanced panel; the cases-level
functions in :mod:`.did` build that panel from cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ...errors import DataValidationError, ModelError, ParameterError
from .group_time import aggregate, group_time_effects
from .inference import (
    check_bootstrap,
    simultaneous_critical_value,
    sup_t_test,
    wild_cluster_bootstrap,
)
from .narrative import design_notes, effect_paragraph
from .panel import _check_level


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
        """The headline effect (all waves) and each wave's, in one table."""
        headline = self.overall[self.overall["aggregation"] == "group"].assign(
            wave="all waves", first_period="")
        return pd.concat([headline, self.by_wave], ignore_index=True)[
            ["wave", "first_period", "estimate", "ci_low", "ci_high", "n_forces"]]

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
    missing = [c for c in (outcome, unit, period, first_period, weight, wave)
               if c and c not in panel.columns]
    if missing:
        raise DataValidationError(f"The panel lacks column(s) {missing}.")
    design = _design(panel, outcome=outcome, unit=unit, period=period,
                     first_period=first_period, anticipation=int(anticipation))
    weights = design.per_unit[weight].to_numpy(float) if weight else None
    gt = group_time_effects(design.wide.to_numpy(float), design.first.to_numpy(float), weights,
                            anticipation=int(anticipation))
    if gt.att.size == 0 or not (gt.group <= gt.period).any():
        raise ModelError("No wave has a period after joining with forces not yet treated to "
                         "compare with; the panel is too short for this design.")
    labels = dict(period_labels or {})

    def label(p: float) -> str:
        value = int(p) + int(design.span[0])
        return labels.get(value, str(value))

    unit_wave = (design.per_unit[wave] if wave
                 else pd.Series("", index=design.first.index))
    groups = np.unique(gt.group)
    wave_of = {g: " + ".join(sorted(set(map(str, unit_wave[design.first == g]))))
               or f"joined {label(g)}" for g in groups}
    forces_of = {g: int((design.first == g).sum()) for g in groups}
    tables = _tables(gt, level=level, n_boot=n_boot, seed=seed,
                     bootstrap_weights=bootstrap_weights, label=label, wave_of=wave_of,
                     forces_of=forces_of)
    context = dict(context or {})
    last = design.last_wave_control
    notes = design_notes(
        wave_of=wave_of, forces_of=forces_of, last_wave_control=last,
        last_label=label(last[0]) if last else None, excluded=design.excluded,
        placebo_test=tables["placebo_test"], anticipation=anticipation, context=context,
        n_comparison_never=int(np.isinf(design.first).sum()),
        joined_after=design.joined_after)
    text = effect_paragraph(tables["overall"].iloc[0], tables["by_wave"], tables["placebo_test"],
                            notes, level=level, context=context)
    return ProgrammeEffects(
        **tables, excluded=pd.DataFrame(design.excluded, columns=["force", "reason"]),
        notes=tuple(notes), text=text, outcome=str(context.get("outcome", outcome)),
        within_days=context.get("within_days"), freq=context.get("freq"),
        exposure=str(context.get("exposure", "recorded")),
        weights=str(context.get("weights", "cases" if weight else "forces")), level=level)


@dataclass(frozen=True)
class _Design:
    wide: pd.DataFrame  # forces × periods used
    first: pd.Series  # first treated period index (0 = first period used); inf = comparison
    per_unit: pd.DataFrame
    span: np.ndarray  # the period numbers used
    excluded: list[dict]
    joined_after: list[str]
    last_wave_control: tuple[int, list[str]] | None


def _design(panel: pd.DataFrame, *, outcome: str, unit: str, period: str, first_period: str,
            anticipation: int) -> _Design:
    """Which forces and periods the design can use, and why any are left out."""
    wide, gappy, span = _balanced(panel, unit, period, outcome)
    excluded = [dict(force=u, reason="no cohort with full follow-up in some period of the "
                     "panel (no cases recorded, or too few to keep)") for u in gappy]
    per_unit = panel.drop_duplicates(unit).set_index(unit).reindex(wide.index)
    first = per_unit[first_period].astype(float) - span[0]
    no_pre = first <= anticipation
    excluded += [dict(force=u, reason="joined in or before the first period of the panel: "
                      "no period before joining to compare with") for u in first.index[no_pre]]
    first = first[~no_pre]
    joined_after = sorted(map(str, first.index[first >= len(span)]))
    first = first.where(first < len(span), np.inf).fillna(np.inf)
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
        span = span[np.arange(len(span)) < last - anticipation]
        first = first.where(first != last, np.inf)
    return _Design(wide=wide.loc[first.index, span], first=first,
                   per_unit=per_unit.loc[first.index], span=span, excluded=excluded,
                   joined_after=joined_after, last_wave_control=last_wave_control)


def _kind(event_time: np.ndarray, anticipation: int) -> np.ndarray:
    return np.where(event_time >= 0, "effect",
                    np.where(event_time >= -anticipation, "anticipation", "placebo"))


def _tables(gt, *, level, n_boot, seed, bootstrap_weights, label, wave_of, forces_of) -> dict:
    """The tidy tables of a fit: estimates, analytic se and wild-cluster-bootstrap intervals."""
    agg = aggregate(gt)
    # Intervals come from the small-sample influence functions; ``se`` stays the plain
    # influence-function standard error that R did and csdid report.
    small = aggregate(replace(gt, influence=gt.influence_small_sample))
    keys = ("event_study", "by_group", "overall")
    blocks = [gt.influence_small_sample] + [small[k][2] for k in keys]
    sizes = np.cumsum([0] + [b.shape[1] for b in blocks])
    boot = wild_cluster_bootstrap(np.hstack(blocks), level=level, n_boot=n_boot, seed=seed,
                                  bootstrap_weights=bootstrap_weights)
    se = np.concatenate([gt.se] + [np.sqrt((agg[k][2] ** 2).sum(axis=0)) / agg[k][2].shape[0]
                                   for k in keys])

    def block(i: int, estimates: np.ndarray) -> pd.DataFrame:
        part = slice(sizes[i], sizes[i + 1])
        half = boot["half_width"][part].astype(float)
        spread = se[part].astype(float)
        # With one joining force and one comparison force every influence function is zero:
        # the data say nothing about the estimate's uncertainty, which is not "none". Such an
        # estimate gets no interval (NaN), and the text says why, rather than a zero-width one.
        unknown = ~(spread > 0) | ~(half > 0)
        spread[unknown], half[unknown] = np.nan, np.nan
        return pd.DataFrame({"estimate": estimates, "se": spread,
                             "ci_low": estimates - half, "ci_high": estimates + half})

    anticipation = gt.anticipation
    group_time = pd.concat([pd.DataFrame({
        "wave": [wave_of[g] for g in gt.group], "first_period": [label(g) for g in gt.group],
        "period": [label(p) for p in gt.period], "periods_since_joining": gt.event_time,
        "kind": _kind(gt.event_time, anticipation)}), block(0, gt.att).assign(
        n_forces=gt.n_treated, n_comparison=gt.n_control)], axis=1)

    events, event_est, _ = agg["event_study"]
    in_events = slice(sizes[1], sizes[2])
    draws, se_boot = boot["draws"][:, in_events], boot["se_boot"][in_events]
    event_study = pd.concat([pd.DataFrame({"periods_since_joining": events,
                                           "kind": _kind(events, anticipation)}),
                             block(1, event_est)], axis=1)
    band = simultaneous_critical_value(draws, se_boot, level) * se_boot
    event_study["band_low"], event_study["band_high"] = event_est - band, event_est + band
    waves_at = [np.unique(gt.group[gt.event_time == e]) for e in events]
    event_study["n_forces"] = [sum(forces_of[g] for g in gs) for gs in waves_at]
    event_study["n_waves"] = [len(gs) for gs in waves_at]

    groups, group_est, _ = agg["by_group"]
    by_wave = pd.concat([pd.DataFrame({"wave": [wave_of[g] for g in groups],
                                       "first_period": [label(g) for g in groups]}),
                         block(2, group_est)], axis=1)
    by_wave["n_forces"] = [forces_of[g] for g in groups]
    overall = pd.concat([pd.DataFrame({"aggregation": agg["overall"][0], "label": [
        "average effect after joining, waves weighted by size",
        "average of every period after joining, waves weighted by size",
        "average of the event-study effects from joining on"]}),
        block(3, agg["overall"][1])], axis=1)
    overall["n_forces"] = int(sum(forces_of[g] for g in groups))
    placebo = _kind(events, anticipation) == "placebo"
    placebo_test = sup_t_test(event_est[placebo], draws[:, placebo], se_boot[placebo])
    return {"group_time": group_time, "event_study": event_study, "by_wave": by_wave,
            "overall": overall, "placebo_test": placebo_test}


