"""Shared helpers for benchmark scripts: timing and the BENCH result line."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Median wall time of `repeat` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def peak_memory_mb(fn: Callable[[], object]) -> float:
    """Peak Python-allocated memory (tracemalloc, numpy included) during one call, in MB."""
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def report(benchmark: str, measure: str, ours_s: float | None, *, peer: str | None = None,
           peer_s: float | None = None, goal: str | None = None, met: bool | None = None,
           ratio: float | None = None, **extra) -> None:
    """Print one result line for benchmarks/run_all.py to collect."""
    if ratio is None and ours_s is not None and peer_s:
        ratio = ours_s / peer_s
    row = dict(benchmark=benchmark, measure=measure, ours_s=ours_s, peer=peer, peer_s=peer_s,
               ratio=ratio, goal=goal, met=met, **extra)
    print("BENCH " + json.dumps(row), flush=True)
