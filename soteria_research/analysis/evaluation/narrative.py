"""The words that go beside every programme effect: what it shows and what it cannot.

Pure text from numbers; the report prints these paragraphs as they are.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ...data.dictionary import load_dictionary

#: Below this many forces a wave's own interval is called descriptive.
FEW_FORCES = 5

PARALLEL_TRENDS = (
    "The comparison rests on an assumption no data can prove: that without Soteria the "
    "joining forces' shares would have moved like those of the forces not yet in it. The "
    "placebo estimates before joining can only fail to contradict it.")


def outcome_label(outcome: str) -> str:
    """The dictionary's plain label of an outcome, in lower case ('charged or summonsed')."""
    labels = load_dictionary().codelists["outcome_groups"].set_index("code")["label"]
    label = str(labels.get(outcome, outcome.replace("_", " ")))
    return label[0].lower() + label[1:]


def _points(value: float) -> str:
    return f"{100 * value:+.1f}"


def _forces(k: int) -> str:
    return f"{k} force{'s' if k != 1 else ''}"


def _interval(row: pd.Series) -> str:
    if not (np.isfinite(row["ci_low"]) and np.isfinite(row["ci_high"])):
        return (f"{_points(row['estimate'])} percentage points (no interval: too few forces "
                "to estimate its uncertainty)")
    return f"{_points(row['estimate'])} percentage points ({_points(row['ci_low'])} to " \
           f"{_points(row['ci_high'])})"


def design_notes(*, wave_of: Mapping, forces_of: Mapping, last_wave_control, last_label,
                 excluded: list[dict], placebo_test: dict, anticipation: int,
                 context: Mapping, n_comparison_never: int,
                 joined_after: list[str] | None = None) -> list[str]:
    """Each limit of a staggered difference-in-differences that applies to these data."""
    notes = [
        "Each wave is compared with the forces that had not yet joined, over the same "
        "periods (Callaway & Sant'Anna). " + PARALLEL_TRENDS]
    if last_wave_control:
        _, forces = last_wave_control
        notes.append(
            f"Once every force has joined there is no force left that had not joined: the "
            f"last wave ({_forces(len(forces))}, joined {last_label}) serves only as the "
            f"comparison for the earlier waves, in the periods before {last_label}. Its own "
            "change can be seen only against its own past (interrupted_time_series) and "
            "beside the earlier waves' event study; neither rules out anything else that "
            "changed at the same time.")
    if joined_after:
        within = context.get("within_days")
        notes.append(
            f"{_forces(len(joined_after))} joined after the last cohort with {within} days of "
            f"follow-up ({context.get('last_period', 'the end of the panel')}): they serve "
            "as not-yet-joined comparisons throughout, and their own effect cannot be "
            "estimated from these data until later cohorts complete their window.")
    for g, k in forces_of.items():
        if k < FEW_FORCES:
            notes.append(
                f"The {wave_of[g]} wave is {k} force{'s' if k > 1 else ''}. The wild cluster "
                "bootstrap by force is used, but with so few forces the wave's own interval "
                "mostly reflects the comparison forces' variation, not its own ups and downs"
                + (" (one force's own noise cannot be told apart from its effect)" if k == 1
                   else "") + "; read its estimate as descriptive.")
    if excluded:
        listed = ", ".join(f"{e['force']} ({e['reason']})" for e in excluded)
        notes.append(f"Left out of the estimation: {listed}.")
    if anticipation:
        notes.append(
            f"Sensitivity analysis (cases open at the start count as exposed): the "
            f"{anticipation} periods before joining whose cases could still be open on the "
            "start date are left out of every comparison.")
    start = context.get("start")
    freq = context.get("freq")
    if isinstance(start, pd.Series) and freq:
        mid = start[start.dt.to_period(freq).dt.start_time != start]
        if len(mid):
            notes.append(
                f"{len(mid)} force(s) joined part-way through a period; that period counts as "
                "after joining, which pulls the first effect towards zero.")
    if context.get("weights") == "cases":
        notes.append("Forces are weighted by their mean cohort size, so large forces dominate.")
    if np.isfinite(placebo_test.get("p", np.nan)):
        if placebo_test["p"] < 0.05:
            notes.append(
                f"Warning: before joining, the placebo estimates differ from zero (joint "
                f"test p = {placebo_test['p']:.3f}): the joining forces were already changing "
                "differently, so the effects after joining are not reliable.")
        else:
            notes.append(
                f"Before joining, the placebo estimates are compatible with zero (joint test "
                f"p = {placebo_test['p']:.2f}), as parallel trends predict.")
    return notes


def effect_paragraph(head: pd.Series, by_wave: pd.DataFrame, placebo_test: dict,
                     notes: list[str], *, level: float, context: Mapping) -> str:
    """The plain-language paragraph of a staggered difference-in-differences."""
    outcome = str(context.get("outcome", "the outcome"))
    within = context.get("within_days")
    what = (f"the share of cases {outcome_label(outcome)} within {within} days"
            if within else f"the {outcome}")
    waves = "; ".join(f"{row['wave']}: {_interval(row)}" for _, row in by_wave.iterrows())
    exposure = context.get("exposure", "recorded")
    lead = (f"After joining Operation Soteria, {what} changed by {_interval(head)} compared "
            f"with what the forces not yet in the programme suggest ({level:.0%} interval; "
            f"{int(head['n_forces'])} forces in {len(by_wave)} waves; cases count as after "
            + ("joining when recorded on or after the start date). " if exposure == "recorded"
               else "joining when recorded after, or still open on, the start date). "))
    return lead + f"By wave: {waves}. " + " ".join(notes)
