"""Benchmark: read and validate a 1,000,000-row Parquet file of cases vs pandas reading it alone.

Goal (issues 2 and 17): read_cases at most 3x the bare `pandas.read_parquet` of the same file,
with every check included (near-miss headers, placeholders in every field, control characters,
time zones, the wrong-format rule).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
from _common import best_of, report  # noqa: E402

from soteria_research import read_cases  # noqa: E402
from soteria_research.data.synthetic import generate_cases  # noqa: E402


def main(quick: bool) -> None:
    scale = 0.05 if quick else 1.0
    cases = generate_cases(scale=scale, seed=0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.parquet"
        cases.to_parquet(path, index=False)
        n = len(cases)
        bare = best_of(lambda: pd.read_parquet(path), repeat=3)
        ours = best_of(lambda: read_cases(path), repeat=3)
        _, validation = read_cases(path)
    ratio = ours / bare
    report("ingest", f"read+validate {n:,} rows (parquet)", ours, peer="pandas.read_parquet",
           peer_s=bare, goal="<= 3x bare read", met=ratio <= 3, rows_per_s=n / ours,
           quarantined=validation.n_quarantined)


if __name__ == "__main__":
    main("--quick" in sys.argv)
