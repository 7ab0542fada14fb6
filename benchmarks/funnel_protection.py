"""The run's linked stage funnel on 43 forces: cells hidden and seconds, as the offence split
builds it and as it used to (issue 16).

Usage: python benchmarks/funnel_protection.py [--scale 0.1] [--seed 5]

The rape and other sexual offences rows of the funnel used to carry a 0 where the first stage
has no previous stage (``n_previous``; empty in the all-offences rows). That 0 made the funnel
impossible to protect well: on a run of small forces every force's funnel was withheld, and on
43 forces many more cells were hidden, slowly. This prints, for the funnel as built now and
with that 0 put back, under the publication and partner profiles: whether the table was
published, the seconds ``protect_linked`` took, the count cells hidden, and the all-offences
cells hidden. A measurement, not a test (``tests/test_breakdowns.py`` holds the tests).
"""

from __future__ import annotations

import argparse
import time

from soteria_research.data.synthetic import generate_cases
from soteria_research.reporting.disclosure import protect_linked
from soteria_research.reporting.national import FUNNEL_PROTECTION, linked_funnel


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
            print(f"{label:40s} {profile:12s} {record['status']:10s} {seconds:6.1f} s  "
                  f"hidden {int(mask['n'].sum()):4d} of {len(mask)}  all-offences hidden "
                  f"{int(mask['n'].to_numpy()[whole].sum())}")


if __name__ == "__main__":
    main()
