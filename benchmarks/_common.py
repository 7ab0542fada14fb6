"""Shared helpers for benchmark scripts: timing and the BENCH result line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np


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


#: Cases in five years of national data at generator scale 1.0.
NATIONAL_ROWS_PER_SCALE = 965_000


def national_cases(rows: int, *, seed: int = 0):
    """Exactly ``rows`` synthetic cases of all 43 forces (generated a little over, then a
    random ``rows`` of them kept in their order: the generator's rows come force by force, so
    cutting the tail off would drop the last forces), printing how long the generator took."""
    from soteria_research.data.synthetic import generate_cases

    start = time.perf_counter()
    scale = 1.05 * rows / NATIONAL_ROWS_PER_SCALE
    cases = generate_cases(scale=scale, seed=seed)
    while len(cases) < rows:  # small sizes vary more about their expected count
        scale *= 1.1 * rows / max(len(cases), 1)
        cases = generate_cases(scale=scale, seed=seed)
    keep = np.sort(np.random.default_rng(seed).choice(len(cases), size=rows, replace=False))
    cases = cases.iloc[keep].reset_index(drop=True)
    print(f"generated {len(cases):,} cases in {time.perf_counter() - start:.1f} s", flush=True)
    return cases


def rows_argument(argv: list[str], *, full: int = 1_000_000, quick: int = 50_000) -> int:
    """The ``[--quick] [--rows N]`` options of a benchmark: the number of rows to run at."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help=f"{quick:,} rows")
    parser.add_argument("--rows", type=int, default=None, help=f"default {full:,}")
    args = parser.parse_args(argv)
    return args.rows or (quick if args.quick else full)


def kernel_name() -> str:
    """The Jupyter kernel report benchmarks run in: ``SOTERIA_KERNEL``, ``soteria`` or
    ``python3``, the first installed."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    for name in (os.environ.get("SOTERIA_KERNEL"), "soteria", "python3"):
        if not name:
            continue
        try:
            KernelSpecManager().get_kernel_spec(name)
            return name
        except NoSuchKernel:
            continue
    sys.exit("no Jupyter kernel: run `python -m ipykernel install --user --name soteria`")
