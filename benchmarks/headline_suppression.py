"""Which forces lose a headline figure to disclosure control on national data (issue 16).

Usage: python benchmarks/headline_suppression.py [--scale 1.0]

Generates all 43 forces at ``--scale`` (1.0: about 900,000 cases, five years), protects the
run's linked headline tables (crimes recorded, and the outcome shares within a year, for all
sexual offences, rape and other sexual offences) as a report run does, under the publication and
partner profiles, with the secondary suppression ``protect_linked`` uses (``optimal``: cost-based,
``legacy._secondary_optimal``) beside the previous greedy pass (``greedy``, ``legacy._secondary``).
For each it prints the headline cells hidden (count and n), the value they hold, the share of
cells hidden, each force that loses an all-offences headline figure with its number of cases,
and whether the goal (no force with more than 1,000 cases, scaled, loses a headline figure) is
met. A loss that no pattern can avoid is marked: the national line of that figure (published
elsewhere, exactly) holds another force's small count, and every other cell of the line is a
force's headline figure, so one of them must be hidden; the line's smallest is the cheapest.
A measurement, not a test.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from soteria_research.data.synthetic import generate_cases
from soteria_research.reporting.disclosure import protect_linked
from soteria_research.reporting.national import _recorded_rows, _share_rows, share_of
from soteria_research.reporting.sections_breakdowns import linked_headline

COLUMNS = ["count", "n"]


def _losses(linked, raw, sizes):
    """{force: [(measure, column, value, forced_by)]} for hidden all-offences headline cells."""
    whole = linked.table("headline")
    primary = np.asarray(linked.tables["headline"]["primary"], dtype=bool)
    counts = linked.tables["headline"]["counts"]
    frame = whole.frame
    is_all = frame["offence_group"].eq("all").to_numpy()
    lost: dict[str, list] = {}
    for j, column in enumerate(COLUMNS):
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    cases = generate_cases(scale=args.scale, seed=0)
    sizes = cases.groupby("force").size()
    headline = linked_headline(cases, by="force")
    tables = {"headline_recorded": (_recorded_rows(headline), {"counts": ["count"]}),
              "headline": (_share_rows(headline), {"by": ["measure"], "counts": COLUMNS,
                                                   "rates": share_of("count", "n")})}
    raw = tables["headline"][0].reset_index(drop=True)
    limit = 1000 * args.scale
    print(f"{len(cases):,} cases, {len(sizes)} forces, scale {args.scale}")
    for profile in ("publication", "partner"):
        print(f"{profile}:")
        for method in ("optimal", "greedy"):
            start = time.perf_counter()
            linked = protect_linked(tables, profile=profile, secondary=method)
            seconds = time.perf_counter() - start
            mask = linked.table("headline").mask[COLUMNS].to_numpy()
            value = int((raw[COLUMNS].to_numpy() * mask).sum())
            lost = _losses(linked, raw, sizes)
            large = [f for f in lost if sizes[f] > limit]
            unavoidable = [f for f in large if all(entry[3] for entry in lost[f])]
            print(f"  {method:8s} {mask.sum()} of {mask.size} headline cells hidden "
                  f"({mask.mean():.1%}), value hidden {value:,}, protected in {seconds:.1f} s")
            for force, entries in lost.items():
                parts = []
                for measure, column, number, forced_by in entries:
                    why = (f"; unavoidable: {', '.join(forced_by)} is small in that line and "
                           f"{number:,} is the line's smallest other figure"
                           if forced_by else "")
                    parts.append(f"{measure} {column} ({number:,}{why})")
                print(f"    {force} ({sizes[force]:,} cases) loses {'; '.join(parts)}")
            verdict = "met" if not large else "NOT met: " + ", ".join(large)
            if large and unavoidable == large:
                verdict += " (no pattern can avoid it: see 'unavoidable')"
            print(f"    goal (no force with more than {limit:,.0f} cases loses a headline "
                  f"figure): {verdict}")


if __name__ == "__main__":
    main()
