"""Survival and cumulative-incidence curves: each published step rests on enough events.

A curve is cut before the first time with fewer than the survival threshold at risk, and only
steps at which at least the threshold of events has accumulated since the last shown step are
kept (the estimate there is the true one; the steps in between are merged). A curve never starts
with a row resting on no events: "0.0% by day 30" would say that no event happened by then.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ...errors import ParameterError
from .profiles import INTERNAL_LABEL, DisclosureProfile, get_profile, round_to_base
from .records import OutputRecord, ProtectedTable
from .rounding import wilson

__all__ = ["curve_steps", "marked_steps", "protect_curve"]

#: A cohort curve's size (``cohorts.cohort_incidence``): with it, a rounding profile shows each
#: step as a share of the published cohort (:func:`_of_published_cohort`).
COHORT = "n_cohort"
_CURVE_ESTIMATES = ("cif", "estimate", "survival", "surv", "km", "cumulative_incidence")


def curve_steps(events: np.ndarray, threshold: int) -> np.ndarray:
    """Rows where a published step ends: each rests on at least ``threshold`` new events.

    No row before the first such step is kept (not even a leading row with no events).
    ``searchsorted`` on cumulative events: one iteration per published step, not per row.

    Examples
    --------
    >>> curve_steps(np.array([0, 3, 4, 5, 1, 9]), 10).tolist()
    [3, 5]
    """
    cumulative = np.cumsum(events)
    keep: list[int] = []
    target = threshold
    while True:
        position = int(np.searchsorted(cumulative, target, side="left"))
        if position >= len(cumulative):
            return np.asarray(keep, dtype=int)
        keep.append(position)
        target = cumulative[position] + threshold


def marked_steps(events: np.ndarray, threshold: int, *, marks: np.ndarray,
                 printed: np.ndarray | None = None, cut: int | None = None) -> np.ndarray:
    """Rows kept when a table prints the curve at some days too (its "by day 365").

    A table read off a curve at fixed days is a second set of steps. Coarsened apart, the two
    can each rest every step on ``threshold`` events and still print, together, a step on fewer:
    a figure's step at day 260 on 10 charges beside the table's 15 by day 365 says 5 charges
    fell between (seen in a one-month Lancashire report). Here both come from one set of
    steps. ``printed`` rows (a value another table prints whatever this curve shows: the
    trends' count within 365 days) bound every choice; then the ``marks`` rows (the table's
    days), each kept when it rests on ``threshold`` events since the last kept row and leaves
    ``threshold`` before the next printed one; then the other rows, on the same rule with the
    kept marks as further bounds. A ``printed`` row is kept when it rests on ``threshold``.
    Rows from ``cut`` on (too few at risk) are not kept but their printed values still bound.

    Examples
    --------
    Events at each row; row 3 is the table's day 365, which the trends print too:

    >>> events = np.array([0, 10, 0, 5, 12])
    >>> curve_steps(events, 10).tolist()            # alone: steps at 10 and 27 events
    [1, 4]
    >>> marked_steps(events, 10, marks=np.array([False, False, False, True, False]),
    ...              printed=np.array([False, False, False, True, False])).tolist()
    [3, 4]
    """
    cumulative = np.cumsum(np.asarray(events, dtype=float))
    n = len(cumulative)
    cut = n if cut is None else cut
    printed = np.zeros(n, dtype=bool) if printed is None else np.asarray(printed, dtype=bool)
    marks = np.asarray(marks, dtype=bool) & ~printed

    def choose(candidates: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        after = np.full(n, np.inf)  # the next bounding value after each row
        running = np.inf
        for i in range(n - 1, -1, -1):
            after[i] = running
            if bounds[i]:
                running = cumulative[i]
        chosen = np.zeros(n, dtype=bool)
        last = 0.0
        for i in range(n):
            value = cumulative[i]
            if bounds[i]:
                chosen[i] = i < cut and value - last >= threshold
                last = value
            elif candidates[i] and i < cut and value - last >= threshold and \
                    after[i] - value >= threshold:
                chosen[i] = True
                last = value
        return chosen

    shown = choose(marks, printed)  # the table's days, and the printed rows resting on enough
    steps = choose(~marks & ~printed, printed | shown)
    return np.flatnonzero(steps | shown)


def _reads_as_cumulative(frame: pd.DataFrame, events: str, groups: dict,
                         estimates: Iterable[str] | None) -> bool:
    """Whether an events column counts events up to each time rather than at each time.

    Cumulative counts never fall; and where they stay flat the curve cannot move (no new
    event). A per-time column of ones (no tied times) never falls either, but its curve moves
    at every row, which tells the two apart. When in doubt, cumulative: the safe reading.
    """
    values = frame[events].to_numpy(dtype=float)
    names = list(estimates or []) or [c for c in _CURVE_ESTIMATES if c in frame]
    curve = frame[names[0]].to_numpy(dtype=float) if names else None
    for rows in groups.values():
        steps = np.diff(values[rows])
        if np.any(steps < 0):
            return False
        # A day past the cohort's follow-up has no estimate (NaN): that says nothing. Read as
        # a change, it made a table whose last day was NaN read as events *at* each day, every
        # day then resting on its total (a Lancashire step of 5 withdrawals was shown).
        moved = np.diff(curve[rows]) if curve is not None else np.zeros(len(steps))
        if np.any((steps == 0) & np.isfinite(moved) & (moved != 0)):
            return False
    return True


def _of_published_cohort(out: pd.DataFrame, base: int) -> pd.DataFrame:
    """Cumulative incidence as a share of the published cohort (issue 16, item 11).

    A cohort's curve with no censoring before a step is its events over the cohort, so a share
    printed to 0.1% from the true counts gives back counts that are published rounded (a
    cohort's 11 charges within a year, printed as 10 in the trends, came back from 9.3% of a
    published 120). Each step is therefore shown as its events (share × cohort, rounded to the
    base) over the cohort rounded to the base, and its interval is the Wilson interval of those
    published counts at the step's design effect (1 without the column), as every other share
    under a rounding profile.
    """
    out = out.copy()
    cohort = out[COHORT].to_numpy(dtype=float)
    events = out["cif"].to_numpy(dtype=float) * cohort
    events_published = round_to_base(events, base)
    cohort_published = round_to_base(cohort, base)
    effect = (out["design_effect"].to_numpy(dtype=float) if "design_effect" in out
              else np.ones(len(out)))
    effect = np.where(np.isfinite(effect) & (effect > 0), effect, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["cif"] = events_published / cohort_published
        low, high = wilson(events_published / effect, cohort_published / effect)
    for column, values in (("ci_low", low), ("ci_high", high)):
        if column in out:
            out[column] = values
    return out


def _done(frame: pd.DataFrame, record: OutputRecord) -> ProtectedTable:
    frame = frame.reset_index(drop=True)
    if record.profile == "internal":
        frame.attrs["label"] = INTERNAL_LABEL
    frame.attrs["disclosure"] = {"name": record.name, "profile": record.profile,
                                 "status": record.status}
    return ProtectedTable(frame, pd.DataFrame(False, index=frame.index, columns=frame.columns),
                          record)


def protect_curve(
    curve: pd.DataFrame,
    *,
    name: str = "curve",
    time: str = "time",
    at_risk: str = "n_at_risk",
    events: str | bool | None = None,
    cumulative_events: bool | None = None,
    estimates: Iterable[str] | None = None,
    by: Iterable[str] | None = None,
    decimals: int | None = 3,
    profile: str | DisclosureProfile | None = None,
    marks: Iterable[float] = (),
    printed: str | None = None,
) -> ProtectedTable:
    """Coarsen a survival or cumulative-incidence curve so that it rests on enough events.

    Each curve (one per ``by`` group, e.g. group × outcome) is cut before the first time with
    fewer than the survival threshold at risk, and only the steps at which at least the
    threshold of events has accumulated since the last shown step are kept. Without an events
    column the fall in the number at risk (events plus censorings) is used instead, as ACRO's
    ``surv_func`` does. ``n_at_risk`` and the events shown are rounded under ``publication``,
    and the estimates to ``decimals`` (what the report prints, so ``metrics.json`` carries no
    more precision than the HTML).

    Parameters
    ----------
    curve : DataFrame
        Tidy: ``group…, outcome, time, cif, ci_low, ci_high, n_at_risk`` (and ``n_events``).
    time, at_risk, events : str
        Column names (``events`` default: ``n_events`` or ``events`` when present; ``False``
        for none, which applies ACRO's rule on the fall in the number at risk).
    cumulative_events : bool, optional
        Whether ``events`` counts events up to each time rather than at each time. Default:
        cumulative when it never decreases within a curve (the safe reading).
    estimates : list of str, optional
        Estimate columns (default: the usual names, ``cif``, ``survival``...): rounded.
    by : list of str, optional
        Columns identifying separate curves (default: the non-numeric columns).
    marks : sequence of float, optional
        Days a table prints the curve at (its "by day 30 … 365" columns), read from this
        protected curve: the table's days and the figure's steps are chosen together
        (:func:`marked_steps`), so that no two values the two print lie fewer than the threshold
        of events apart. The curve needs a row at each such day (``times=`` of the estimator).
    printed : str, optional
        A boolean column: rows whose value another table prints whatever happens here (a
        cohort's count within 365 days in the trends). Every step keeps the threshold of events
        away from them.

    Examples
    --------
    >>> curve = pd.DataFrame({"time": np.arange(1, 41), "n_at_risk": np.arange(100, 60, -1),
    ...                       "n_events": 1, "survival": np.linspace(0.99, 0.6, 40)})
    >>> protect_curve(curve, profile="publication").frame["time"].tolist()
    [10, 20, 30, 40]
    """
    profile = get_profile(profile)
    marks = list(marks)
    frame = curve.reset_index(drop=True).copy()
    record = OutputRecord(name=name, kind="curve", profile=profile.name, n_cells=len(frame))
    if events is None:
        events = next((c for c in ("n_events", "events") if c in frame), None)
    events = events or None
    for column in [time, at_risk] + ([events] if events else []):
        if column not in frame:
            raise ParameterError(f"protect_curve({name!r}): no column {column!r} in the curve "
                                 f"(columns: {list(frame.columns)}); name it with "
                                 f"time=, at_risk=, events=.")
    by = list(by) if by is not None else [
        c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if not profile.suppress:
        record.rules = [f"no suppression ({profile.name} profile): labelled '{INTERNAL_LABEL}'"]
        record.status = "internal"
        return _done(frame.drop(columns=[printed]) if printed else frame, record)
    threshold = profile.survival_threshold
    record.rules = [f"curve cut where fewer than {threshold} remain at risk",
                    f"each step rests on at least {threshold} "
                    + ("events" if events else "exits (events or censorings: no events column)"),
                    "no step resting on no events (a curve starts at its first safe step)"]
    if profile.round_base:
        record.rules.append(f"numbers at risk and events rounded to base {profile.round_base}")
    if marks or printed:
        record.rules.append("the days a table prints and the figure's steps chosen together, "
                            "with the values other tables print: no two lie fewer than "
                            f"{threshold} events apart")
    frame = frame.sort_values(by + [time], kind="stable").reset_index(drop=True)
    groups = frame.groupby(by, sort=False).indices if by else {(): np.arange(len(frame))}
    if events and cumulative_events is None:
        cumulative_events = _reads_as_cumulative(frame, events, groups, estimates)
    if events and cumulative_events:
        record.notes.append(f"{events!r} read as cumulative events up to each time")
    at_risk_values = frame[at_risk].to_numpy(dtype=float)
    event_values = frame[events].to_numpy(dtype=float) if events else None
    kept_rows, shown_events = [], []
    times = frame[time].to_numpy(dtype=float)
    mark_rows = np.isin(times, np.asarray(list(marks), dtype=float))
    printed_rows = (frame[printed].fillna(False).to_numpy(dtype=bool) if printed
                    else np.zeros(len(frame), dtype=bool))
    for rows in groups.values():
        rows = np.asarray(rows)
        enough = at_risk_values[rows] >= threshold
        cut = int(np.argmin(enough)) if not enough.all() else len(rows)
        if cut == 0:
            continue
        if events and cumulative_events:
            step_events = np.diff(np.append(0.0, np.nan_to_num(event_values[rows])))
        elif events:
            step_events = np.nan_to_num(event_values[rows])
        else:
            step_events = np.append(0.0, -np.diff(at_risk_values[rows]))
        if mark_rows[rows].any() or printed_rows[rows].any():
            steps = marked_steps(step_events, threshold, marks=mark_rows[rows],
                                 printed=printed_rows[rows], cut=cut)
        else:
            steps = curve_steps(step_events[:cut], threshold)
        cumulative = np.cumsum(step_events)
        kept_rows.append(rows[steps])
        shown_events.append(np.diff(np.append(0.0, cumulative[steps])))
    kept = np.concatenate(kept_rows) if kept_rows else np.array([], dtype=int)
    record.rows_dropped = len(frame) - len(kept)
    out = frame.iloc[kept].copy()
    if printed:
        out = out.drop(columns=[printed])
    if events and not cumulative_events:
        out[events] = np.concatenate(shown_events) if shown_events else []
    names = list(estimates or []) or [c for c in frame.columns if c in _CURVE_ESTIMATES
                                      or c in ("ci_low", "ci_high")]
    if profile.round_base and "cif" in out and COHORT in out:
        out = _of_published_cohort(out, profile.round_base)
        record.rules.append("each share is of the cohort as published: its events (share × "
                            f"cohort) and the cohort rounded to base {profile.round_base}, "
                            "with a Wilson interval at the step's design effect")
    if decimals is not None and names:
        out[names] = out[names].astype(float).round(decimals)
    if profile.round_base:
        rounded = [at_risk] + ([events] if events else [])
        rounded += [COHORT] if COHORT in out else []
        out[rounded] = round_to_base(out[rounded].to_numpy(dtype=float), profile.round_base)
        record.rounded = int(out[rounded].notna().to_numpy().sum())
    record.status = "withheld" if out.empty else ("coarsened" if record.rows_dropped else "pass")
    if out.empty:
        record.notes.append(f"fewer than {threshold} events or at risk: nothing can be shown")
    return _done(out, record)
