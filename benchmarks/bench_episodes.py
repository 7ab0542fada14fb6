"""Counting-process episodes on 1,000,000 synthetic cases with three dated events (device
request, arrest, referral to the CPS), beside a bare pandas melt of the same dates.

Usage: python benchmarks/bench_episodes.py [--quick] [--rows N]
The peer only reshapes the three date columns to long form (one row per case and event), the
first step any episode split needs; ours also sorts each case's days, drops those outside
follow-up, builds the (start, stop] rows with the outcome on the last, carries every
time-to-event column (about 20, a dozen of them text) to each of ~1.6 million episodes and
codes the three time-varying covariates; copying those columns is most of its time, hence a
goal of 5x the melt. --quick uses 50,000 rows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, national_cases, peak_memory_mb, report, rows_argument  # noqa: E402,I001

from soteria_research.analysis.episodes import EVENTS, episodes, split_episodes  # noqa: E402
from soteria_research.analysis.timeline import time_to_outcome  # noqa: E402



def bare_melt(cases: pd.DataFrame) -> pd.DataFrame:
    return cases[list(EVENTS.values())].melt(ignore_index=False).dropna()


def main(argv: list[str]) -> None:
    rows = rows_argument(argv)
    repeat = 3
    cases = national_cases(rows)
    label = f"{len(cases):,} cases, 3 dated events"
    tte = time_to_outcome(cases)
    days = pd.DataFrame({name: (cases[column] - cases["recorded_date"]).dt.days.astype(float)
                         for name, column in EVENTS.items()}, index=cases.index)

    peer = best_of(lambda: bare_melt(cases), repeat)
    split = split_episodes(tte, days)
    ours = best_of(lambda: split_episodes(tte, days), repeat)
    report("episodes.split_episodes", f"split, {label}", ours, peer="pandas melt of the dates",
           peer_s=peer, goal="<= 5x peer", met=ours <= 5 * peer, episodes=len(split),
           columns=split.shape[1])
    ours = best_of(lambda: episodes(cases), repeat)
    # Informational: most of this is building the time-to-event frame from raw cases.
    report("episodes.episodes", f"from cases (timeline included), {label}", ours,
           peer="pandas melt of the dates", peer_s=peer)
    memory = peak_memory_mb(lambda: split_episodes(tte, days))
    report("episodes.split_episodes", f"peak memory MB, {label}", None,
           memory_mb=round(memory, 1),
           result_mb=round(split.memory_usage(deep=False).sum() / 1e6, 1))


if __name__ == "__main__":
    main(sys.argv[1:])
