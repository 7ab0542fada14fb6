"""Benchmark: generate five national years of synthetic cases (about 900,000 rows).

Prints rows per second and the ratio of generation time to writing the same frame to Parquet
(the cheapest thing one can do with it), measured in the same run (issue 3). Usage:
bench_generate.py [--quick] (--quick: scale 0.05, about 45,000 rows).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import best_of, report  # noqa: E402

from soteria_research.data.synthetic import generate_cases  # noqa: E402


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    scale = 0.05 if quick else 1.0
    generate_cases(forces=["durham"], scale=0.01)  # warm imports and the dictionary cache
    start, cpu = time.perf_counter(), time.process_time()
    cases = generate_cases(scale=scale, seed=0)
    generate_s, generate_cpu = time.perf_counter() - start, time.process_time() - cpu
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "cases.parquet"
        cpu = time.process_time()
        parquet_s = best_of(lambda: cases.to_parquet(target, index=False), repeat=1 if not quick else 3)
        parquet_cpu = (time.process_time() - cpu) / (1 if not quick else 3)
    rows = len(cases)
    # CPU time is printed too: on a shared machine wall time mostly measures the neighbours.
    print(f"generated {rows:,} rows (five national years at scale {scale}) in {generate_s:.2f} s "
          f"({generate_cpu:.2f} s CPU): {rows / generate_s:,.0f} rows/s; writing them to Parquet took "
          f"{parquet_s:.2f} s ({parquet_cpu:.2f} s CPU): generation = {generate_s / parquet_s:.1f}x the "
          f"Parquet write")
    report("generate_cases", f"five national years, {rows:,} rows", generate_s,
           peer="DataFrame.to_parquet (same frame)", peer_s=parquet_s, rows=rows,
           rows_per_s=round(rows / generate_s), cpu_s=round(generate_cpu, 2),
           peer_cpu_s=round(parquet_cpu, 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
