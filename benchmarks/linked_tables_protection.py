"""Two of the run's linked tables on 43 forces: cells hidden and seconds, as built now and as
they used to be (issue 16).

Usage: python benchmarks/linked_tables_protection.py [--scale 0.1] [--seed 5]

1. The stage funnel. Its rape and other sexual offences rows used to carry a 0 where the first
   stage has no previous stage (``n_previous``; empty in the all-offences rows). That 0 made the
   funnel impossible to protect well: on a run of small forces every force's funnel was
   withheld, and on 43 forces many more cells were hidden, slowly.
2. The trend table (outcomes within a year by financial year). Each year's cases used to be
   left out (assumed known, never protected); now they are a count row of their own
   (``sections_breakdowns.with_year_totals``), so a small year is hidden and protected.

For each, under the publication and partner profiles: whether the table was published, the
seconds ``protect_linked`` took, and the count cells hidden. A measurement, not a test
(``tests/test_breakdowns.py`` holds the tests).
"""

from __future__ import annotations

import argparse
import time

from soteria_research.data.synthetic import generate_cases
from soteria_research.reporting.disclosure import protect_linked
from soteria_research.reporting.national import (
    FUNNEL_PROTECTION,
    linked_cohort_rates,
    linked_funnel,
)
from soteria_research.reporting.sections_breakdowns import TREND_SHARES, with_year_totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    cases = generate_cases(scale=args.scale, seed=args.seed)
    funnel = linked_funnel(cases, by="force")
    before = funnel.copy()
    first = before["stage"].eq("recorded") & ~before["offence_group"].eq("all")
    before["n_previous"] = before["n_previous"].mask(first, 0)
    print(f"{funnel['force'].nunique()} forces, scale {args.scale}, seed {args.seed}: "
          f"{len(funnel)} funnel rows")
    for label, table in (("as it was (a 0 before the first stage)", before), ("now", funnel)):
        for profile in ("publication", "partner"):
            started = time.perf_counter()
            linked = protect_linked({"funnel": (table, FUNNEL_PROTECTION)}, profile=profile)
            seconds = time.perf_counter() - started
            frame, mask = linked._whole("funnel")
            whole = frame["offence_group"].eq("all").to_numpy()
            record = linked.tables["funnel"]["record"]
            print(f"funnel, {label:40s} {profile:12s} {record['status']:10s} "
                  f"{seconds:6.1f} s  hidden {int(mask['n'].sum()):4d} of {len(mask)}  "
                  f"all-offences hidden {int(mask['n'].to_numpy()[whole].sum())}")
    rates = linked_cohort_rates(cases, by="force")
    options = {"counts": ["n"], "rates": dict.fromkeys(TREND_SHARES, ("n", None)),
               "design_effect": "design_effect"}
    for label, table in (("as it was (years' cases left out)", rates.drop(columns="n_cohort")),
                         ("now (each year's cases a count)", with_year_totals(rates, by="force"))):
        for profile in ("publication", "partner"):
            started = time.perf_counter()
            linked = protect_linked({"trends": (table, options)}, profile=profile)
            seconds = time.perf_counter() - started
            frame, mask = linked._whole("trends")
            outcomes = ~frame["outcome"].eq("all").to_numpy()
            record = linked.tables["trends"]["record"]
            print(f"trends, {label:40s} {profile:12s} {record['status']:10s} "
                  f"{seconds:6.1f} s  outcome cells hidden {int(mask['n'].to_numpy()[outcomes].sum())}"
                  f" of {int(outcomes.sum())}, year totals hidden "
                  f"{int(mask['n'].to_numpy()[~outcomes].sum())} of {int((~outcomes).sum())}")


if __name__ == "__main__":
    main()
