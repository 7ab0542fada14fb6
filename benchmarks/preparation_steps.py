"""Where the national preparation's memory peaks: the process's RSS, sampled, step by step.

Runs ``national.prepare_national`` on a case file in this process and prints, for each step
(reading and validating, the headline figures, profile, peers, each outcome's force effects,
the linked tables' protection, the programme evaluation), the RSS when it started and ended
and the highest RSS sampled while it ran. Not a ``bench_*`` script (run_all.py does not run
it): a tool for finding which step holds the peak.

Usage: ``python benchmarks/preparation_steps.py CASES.parquet [--tracemalloc]``; with
``--tracemalloc`` each step's peak of Python-allocated memory (numpy included) is printed too
(slower).
"""

from __future__ import annotations

import functools
import sys
import tempfile
import threading
import time
import tracemalloc

import psutil

PROCESS = psutil.Process()


class Sampler(threading.Thread):
    """Samples this process's RSS every ``interval`` seconds; ``reset()`` starts a new peak."""

    def __init__(self, interval: float = 0.02):
        super().__init__(daemon=True)
        self.interval, self.peak, self.overall = interval, 0, 0

    def reset(self) -> None:
        self.peak = PROCESS.memory_info().rss

    def run(self) -> None:
        while True:
            rss = PROCESS.memory_info().rss
            self.peak = max(self.peak, rss)
            self.overall = max(self.overall, rss)
            time.sleep(self.interval)


SAMPLER = Sampler()
TRACE = "--tracemalloc" in sys.argv
DEPTH = [0]


def watched(module, name: str, label: str | None = None) -> None:
    """Replace ``module.name`` by a wrapper that prints its memory."""
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        DEPTH[0] += 1
        outer_peak = SAMPLER.peak
        start_rss = PROCESS.memory_info().rss
        SAMPLER.reset()
        if TRACE:
            tracemalloc.reset_peak()
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            end_rss = PROCESS.memory_info().rss
            traced = f"  traced peak {tracemalloc.get_traced_memory()[1] / 1e6:7.0f} MB" if TRACE else ""
            print(f"{'  ' * (DEPTH[0] - 1)}{label or name:<34} start {start_rss / 1e6:6.0f}  "
                  f"peak {SAMPLER.peak / 1e6:6.0f}  end {end_rss / 1e6:6.0f} MB  "
                  f"{time.perf_counter() - start:6.1f} s{traced}", flush=True)
            SAMPLER.peak = max(outer_peak, SAMPLER.peak)
            DEPTH[0] -= 1

    setattr(module, name, wrapper)


def main(path: str) -> None:
    from soteria_research.analysis import comparison
    from soteria_research.data import chunked
    from soteria_research.reporting import national, programme_section
    from soteria_research.reporting.parameters import NATIONAL, ReportParameters

    for module, name in ((chunked, "read_cases_in_chunks"), (comparison, "headline_figures"),
                         (comparison, "force_profile"), (comparison, "most_similar"),
                         (national, "_force_effects"), (national, "_linked_tables"),
                         (national, "_protect_linked"),
                         (programme_section, "prepare_programme")):
        watched(module, name)
    SAMPLER.start()
    if TRACE:
        tracemalloc.start()
    print(f"imports done: RSS {PROCESS.memory_info().rss / 1e6:.0f} MB", flush=True)
    params = ReportParameters.validate(data=path, force=NATIONAL)
    with tempfile.TemporaryDirectory(prefix="soteria-steps-") as folder:
        start = time.perf_counter()
        national.prepare_national(params, folder)
        print(f"prepare_national: {time.perf_counter() - start:.1f} s; process peak RSS "
              f"{SAMPLER.overall / 1e6:.0f} MB", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
