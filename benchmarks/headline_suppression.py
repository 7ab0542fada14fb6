"""Which forces lose a headline figure to disclosure control on national data (issue 16).

Usage: python benchmarks/headline_suppression.py [--scale 1.0]

Generates all 43 forces at ``--scale`` (1.0: about 900,000 cases, five years), protects the
run's linked headline tables (crimes recorded, and the outcome shares within a year, for all
sexual offences, rape and other sexual offences) as a report run does, under the publication and
partner profiles, and prints each force that loses an all-offences headline figure, with its
number of cases, and the share of headline cells hidden. A measurement, not a test: the goal
(no force with more than 1,000 cases loses a headline figure) is printed as met or not.
"""

from __future__ import annotations

import argparse
import time

from soteria_research.data.synthetic import generate_cases
from soteria_research.reporting.disclosure import protect_linked
from soteria_research.reporting.national import _recorded_rows, _share_rows, share_of
from soteria_research.reporting.sections_breakdowns import linked_headline


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    cases = generate_cases(scale=args.scale, seed=0)
    sizes = cases.groupby("force").size()
    headline = linked_headline(cases, by="force")
    tables = {"headline_recorded": (_recorded_rows(headline), {"counts": ["count"]}),
              "headline": (_share_rows(headline), {"by": ["measure"], "counts": ["count", "n"],
                                                   "rates": share_of("count", "n")})}
    print(f"{len(cases):,} cases, 43 forces, scale {args.scale}")
    for profile in ("publication", "partner"):
        start = time.perf_counter()
        linked = protect_linked(tables, profile=profile)
        seconds = time.perf_counter() - start
        lost = {}
        for force in sizes.index:
            part = linked.slice("headline", force)
            rows = part.frame["offence_group"].eq("all").to_numpy()
            hidden = (part.mask["count"].to_numpy() | part.mask["n"].to_numpy()) & rows
            if hidden.any():
                lost[force] = part.frame.loc[hidden, "measure"].tolist()
        whole = linked.table("headline")
        cells = whole.mask[["count", "n"]].to_numpy()
        large = [f for f in lost if sizes[f] > 1000 * args.scale]
        print(f"{profile}: {cells.sum()} of {cells.size} headline cells hidden "
              f"({cells.mean():.1%}), protected in {seconds:.1f} s")
        for force, measures in lost.items():
            print(f"  {force} ({sizes[force]:,} cases) loses {', '.join(measures)}")
        print(f"  goal (no force with more than {1000 * args.scale:,.0f} cases loses a headline "
              f"figure): {'met' if not large else 'NOT met: ' + ', '.join(large)}")


if __name__ == "__main__":
    main()
