"""Which forces lose a headline figure to disclosure control on national data (issue 16).

Usage: python benchmarks/headline_suppression.py [--scale 1.0]

Generates all 43 forces at ``--scale`` (1.0: about 900,000 cases, five years), protects the
run's linked headline tables (crimes recorded, and the outcome shares within a year, for all
sexual offences, rape and other sexual offences) as a report run does, under the publication and
partner profiles, with the secondary suppression ``protect_linked`` uses by default (``optimal``:
cost-based, ``legacy._secondary_optimal``) beside the previous greedy pass (``greedy``,
``legacy._secondary``) and, under publication, ``optimal_rounding`` (the national totals left to
the rounding when the attacker confirms it protects every hidden cell), which is what a report
run uses for the two headline tables (``national._linked_tables``); under partner, with no
rounding, ``optimal_rounding`` is ``optimal``.
For each it prints the headline cells hidden (count and n), the value they hold, the share of
cells hidden, each force that loses an all-offences headline figure with its number of cases,
and whether the goal (no force with more than 1,000 cases, scaled, loses a headline figure) is
met. A loss that no pattern can avoid is marked: the national line of that figure (published
elsewhere, exactly) holds another force's small count, and every other cell of the line is a
force's headline figure, so one of them must be hidden; the line's smallest is the cheapest.
Every pattern is then given to the attacker (``attack``: integer programming over a view of
each measure built here from the table, rounded counts as intervals under publication), which
reports how many hidden cells it recovers exactly and the narrowest range it leaves a small
count; for each unavoidable loss it is also asked what the small count's range would be without
that complement. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from soteria_research.data.synthetic import generate_cases
from soteria_research.reporting.disclosure import PROFILES, attack, protect_linked
from soteria_research.reporting.national import _recorded_rows, _share_rows, share_of
from soteria_research.reporting.sections_breakdowns import linked_headline

COLUMNS = ["count", "n"]


def _losses(linked, raw):
    """{force: [(measure, column, value, forced_by)]} for hidden all-offences headline cells."""
    whole = linked.table("headline")
    primary = np.asarray(linked.tables["headline"]["primary"], dtype=bool)
    counts = linked.tables["headline"]["counts"]
    frame = whole.frame
    is_all = frame["offence_group"].eq("all").to_numpy()
    lost: dict[str, list] = {}
    for column in COLUMNS:
        hidden = whole.mask[column].to_numpy()
        small = primary[:, counts.index(column)]
        values = raw[column].to_numpy()
        for row in np.flatnonzero(hidden & is_all):
            force, measure = frame["force"].iat[row], frame["measure"].iat[row]
            line = is_all & frame["measure"].eq(measure).to_numpy()
            others = line & (frame["force"] != force).to_numpy()
            # one small cell in the line, of another force: it needs a second hidden cell there
            forced_by = [frame["force"].iat[r] for r in np.flatnonzero(others & small)]
            smallest = values[line & ~small].min() if (line & ~small).any() else None
            forced = len(forced_by) == 1 and (line & small).sum() == 1 \
                and values[row] == smallest
            lost.setdefault(force, []).append(
                (measure, column, int(values[row]), forced_by if forced else []))
    return lost


def _view(raw, mask, measure: str, base: int | None) -> tuple[dict, dict]:
    """What a reader of one measure's headline lines knows, as ``attack`` takes it.

    Built from the table itself, not from the suppression engine: per force and offence group
    the count, n (rounded under ``base``, an interval to the attacker; hidden: unknown) and
    the complement n - count (never printed); relations all = rape + other (each column),
    count + complement = n, and each national total over forces (known exactly, as published
    elsewhere). Shares are printed from the published counts under rounding (nothing more)
    and hidden with their count otherwise, so they add no constraint. Returns the view and
    the cell number of each (row, column).
    """
    rows = np.flatnonzero(raw["measure"].eq(measure).to_numpy())
    cells, where, relations = [], {}, []

    def cell(published, exact, identity, shown=True):
        cells.append({"published": published, "exact": exact, "identity": identity,
                      "shown": shown})
        return len(cells) - 1

    for row in rows:
        force, group = raw["force"].iat[row], raw["offence_group"].iat[row]
        for column in COLUMNS:
            value = float(raw[column].iat[row])
            shown = None if mask[row, COLUMNS.index(column)] else (
                float(np.floor(value / base + 0.5) * base) if base else value)
            where[(row, column)] = cell(shown, not base, [("force", force),
                                                          ("group", group), ("c", column)])
        where[(row, "rest")] = cell(None, False, [("force", force), ("group", group),
                                                  ("c", "rest")], shown=False)
        relations.append(([where[(row, "count")], where[(row, "rest")]], where[(row, "n")]))
    frame = raw.iloc[rows]
    for column in COLUMNS + ["rest"]:
        for force in frame["force"].unique():
            mine = {g: r for r, f, g in zip(rows, frame["force"], frame["offence_group"])
                    if f == force}
            if {"all", "rape", "other_sexual"} <= set(mine):
                relations.append(([where[(mine["rape"], column)],
                                   where[(mine["other_sexual"], column)]],
                                  where[(mine["all"], column)]))
        for group in frame["offence_group"].unique():
            members = [r for r, g in zip(rows, frame["offence_group"]) if g == group]
            values = raw.loc[members, "n"].to_numpy() - raw.loc[members, "count"].to_numpy() \
                if column == "rest" else raw.loc[members, column].to_numpy()
            total = cell(float(values.sum()), True, [("group", group), ("c", column)])
            relations.append(([where[(r, column)] for r in members], total))
    return {"cells": cells, "relations": relations, "round_base": base, "tables": []}, where


def _rounding_check(raw, mask, measure, small_force, complements, base):
    """The optimal pattern of ``measure`` without ``complements``' hidden cells: the range the
    attacker (integer programming over rounded intervals, non-negativity, every national
    total) leaves each of ``small_force``'s hidden counts. Returns [(group, true, low, high)]."""
    mask = mask.copy()
    forces = raw["force"].to_numpy()
    in_measure = raw["measure"].eq(measure).to_numpy()
    mask[np.isin(forces, complements) & in_measure] = False
    view, where = _view(raw, mask, measure, base)
    found = attack(view, integer=True).set_index("cell")
    result = []
    for row in np.flatnonzero(in_measure & (forces == small_force) & mask[:, 0]):
        low, high = found.loc[where[(row, "count")], ["low", "high"]]
        result.append((raw["offence_group"].iat[row], int(raw["count"].iat[row]), low, high))
    return result


def _attack_pattern(raw, mask, base) -> tuple[int, str]:
    """The attacker on a whole pattern, measure by measure: how many hidden count or n cells
    it pins to one value, and the narrowest range it leaves a hidden count below 10."""
    exact, narrowest = 0, None
    for measure in raw["measure"].unique():
        view, where = _view(raw, mask, measure, base)
        found = attack(view, integer=True).set_index("cell")
        for (row, column), number in where.items():
            if column == "rest" or not mask[row, COLUMNS.index(column)]:
                continue
            low, high = found.loc[number, ["low", "high"]]
            exact += int(np.floor(high + 1e-6) <= np.ceil(low - 1e-6))
            value = int(raw[column].iat[row])
            if value < 10 and (narrowest is None or high - low < narrowest[0]):
                narrowest = (high - low, f"{raw['force'].iat[row]} {measure} "
                             f"{raw['offence_group'].iat[row]} {column} {value} in "
                             f"[{low:g}, {high:g}]")
    return exact, narrowest[1] if narrowest else "-"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    cases = generate_cases(scale=args.scale, seed=0)
    sizes = cases.groupby("force").size()
    headline = linked_headline(cases, by="force")
    tables = {"headline_recorded": (_recorded_rows(headline), {"counts": ["count"]}),
              "headline": (_share_rows(headline), {"by": ["measure"], "counts": COLUMNS,
                                                   "rates": share_of("count", "n"),
                                                   "design_effect": "design_effect"})}
    raw = tables["headline"][0].reset_index(drop=True)
    limit = 1000 * args.scale
    print(f"{len(cases):,} cases, {len(sizes)} forces, scale {args.scale}")
    for profile in ("publication", "partner"):
        print(f"{profile}:")
        methods = ("optimal", "greedy") + (
            ("optimal_rounding",) if PROFILES[profile].round_base else ())
        for method in methods:
            start = time.perf_counter()
            linked = protect_linked(tables, profile=profile, secondary=method)
            seconds = time.perf_counter() - start
            mask = linked.table("headline").mask[COLUMNS].to_numpy()
            value = int((raw[COLUMNS].to_numpy() * mask).sum())
            lost = _losses(linked, raw)
            large = [f for f in lost if sizes[f] > limit]
            unavoidable = [f for f in large if all(entry[3] for entry in lost[f])]
            print(f"  {method:16s} {mask.sum()} of {mask.size} headline cells hidden "
                  f"({mask.mean():.1%}), value hidden {value:,}, protected in {seconds:.1f} s")
            for force, entries in lost.items():
                parts = []
                for measure, column, number, forced_by in entries:
                    why = (f"; unavoidable with exact counts: {', '.join(forced_by)} is small "
                           "in that line and "
                           f"{number:,} is the line's smallest other figure"
                           if forced_by else "")
                    parts.append(f"{measure} {column} ({number:,}{why})")
                print(f"    {force} ({sizes[force]:,} cases) loses {'; '.join(parts)}")
            exact, narrowest = _attack_pattern(raw, mask, PROFILES[profile].round_base)
            print(f"    attacker on this pattern: {exact} hidden count or n recovered exactly; "
                  f"narrowest range of a hidden small count {narrowest}")
            verdict = "met" if not large else "NOT met: " + ", ".join(large)
            if large and unavoidable == large:
                verdict += (" (no pattern can avoid it while published counts are taken as "
                            "exact: see 'unavoidable')")
            print(f"    goal (no force with more than {limit:,.0f} cases loses a headline "
                  f"figure): {verdict}")
            if method != "optimal" or not unavoidable:
                continue
            # would rounding alone protect the small count in the national line? ask the attacker
            whole_mask = linked.table("headline").mask[COLUMNS].to_numpy()
            pairs = {(m, by[0]): [] for f in unavoidable for m, _, _, by in lost[f] if by}
            for f in unavoidable:
                for m, _, _, by in lost[f]:
                    if by:
                        pairs[(m, by[0])].append(f)
            base = PROFILES[profile].round_base
            for (measure, small_force), complements in pairs.items():
                ranges = _rounding_check(raw, whole_mask, measure, small_force, complements,
                                         base)
                shown = ", ".join(f"{g} {v} in [{lo:g}, {hi:g}]" for g, v, lo, hi in ranges)
                print(f"    attacker, {measure} without {', '.join(complements)}'s cells hidden"
                      f" ({'rounded to ' + str(base) if base else 'exact'} counts): "
                      f"{small_force}'s {shown}")


if __name__ == "__main__":
    main()
