"""Benchmark: peak memory of `soteria validate` and of a 3-force `soteria report` at two sizes.

Memory is the peak summed RSS of the whole process tree (runner, workers, Jupyter kernels),
sampled with psutil (``tree_memory.py``), per input row, against two peers measured in the same
run: the Parquet file's size on disk and the peak of a bare ``pandas.read_parquet`` of the same
file in its own process. Growth is linear when the peak per row stays flat between the sizes.
Goal (issue 17): a report run on 1,000,000 rows under 2 GB for the whole tree (the issue's
target is 43 forces; this runs three: Durham, Wiltshire and the Metropolitan Police, the
largest; ``bench_national_memory.py`` runs all 43). Nothing is asserted; figures vary with the
machine's load.

Usage: ``python benchmarks/bench_scale.py [--quick]``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import kernel_name, report  # noqa: E402
from tree_memory import run_tree_peak  # noqa: E402

DATA = HERE / "_data"
FORCES = "durham,wiltshire,metropolitan"
CLI = "import sys; from soteria_research.cli import app; sys.argv[0] = 'soteria'; app()"


def case_file(scale: float) -> Path:
    """Synthetic national cases at ``scale`` (1.0 is about 900,000 rows), kept in _data/."""
    path = DATA / f"scale_{scale:g}.parquet"
    if not path.exists():
        from soteria_research.data.synthetic import generate_cases

        DATA.mkdir(parents=True, exist_ok=True)
        generate_cases(scale=scale, seed=1).to_parquet(path, index=False)
    return path


def environment() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
    return env


def tree_peak(arguments: list[str]) -> tuple[float, float]:
    peak, seconds, result = run_tree_peak([sys.executable, *arguments], env=environment())
    if result.returncode != 0:
        raise RuntimeError(f"{arguments[:4]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return peak, seconds


def measure(scale: float, kernel: str) -> dict:
    import pyarrow.parquet as pq

    path = case_file(scale)
    rows = pq.ParquetFile(path).metadata.num_rows
    file_mb = path.stat().st_size / 1e6
    bare_mb, bare_s = tree_peak(["-c", f"import pandas as pd; pd.read_parquet({str(path)!r})"])
    validate_mb, validate_s = tree_peak(["-c", CLI, "validate", str(path)])
    with tempfile.TemporaryDirectory(prefix="soteria-scale-") as out:
        report_mb, report_s = tree_peak(["-c", CLI, "report", "--data", str(path), "--forces",
                                         FORCES, "--out", out, "--kernel", kernel, "--rerun"])
    label = f"{rows:,} rows"
    print(f"{label}: file {file_mb:.0f} MB; bare read_parquet peak {bare_mb:.0f} MB ({bare_s:.1f} s); "
          f"validate peak {validate_mb:.0f} MB ({validate_s:.1f} s); 3-force report peak "
          f"{report_mb:.0f} MB ({report_s:.1f} s)", flush=True)
    for name, peak_mb, seconds in (("validate", validate_mb, validate_s),
                                   ("report 3+national", report_mb, report_s)):
        report("scale", f"{name} peak, {label}", None,
               peer="pandas.read_parquet peak", ratio=peak_mb / bare_mb,
               goal="< 2000 MB tree peak" if name.startswith("report") and rows >= 900_000 else None,
               met=(peak_mb < 2000) if name.startswith("report") and rows >= 900_000 else None,
               peak_mb=round(peak_mb), bare_read_peak_mb=round(bare_mb),
               kb_per_row=round(peak_mb * 1e3 / rows, 3), file_mb=round(file_mb, 1),
               ratio_to_file=round(peak_mb / file_mb, 2), seconds=round(seconds, 1))
    return {"rows": rows, "validate": validate_mb, "report": report_mb, "bare": bare_mb}


def main(quick: bool) -> None:
    kernel = kernel_name()
    scales = (0.02, 0.08) if quick else (0.26, 1.115)  # quick: ~18k and ~72k; full: ~230k and ~1M
    small, large = (measure(scale, kernel) for scale in scales)
    for name in ("validate", "report"):
        # Linear growth: the extra memory per extra row, against the small run's memory per row.
        marginal = (large[name] - small[name]) / (large["rows"] - small["rows"]) * 1e3
        print(f"{name}: {small[name] * 1e3 / small['rows']:.2f} KB/row at {small['rows']:,} rows, "
              f"{large[name] * 1e3 / large['rows']:.2f} KB/row at {large['rows']:,}; "
              f"marginal {marginal:.2f} KB/row", flush=True)
        report("scale", f"{name}: KB per extra row", None, kb_per_row_small=round(
            small[name] * 1e3 / small["rows"], 3), kb_per_row_large=round(
            large[name] * 1e3 / large["rows"], 3), marginal_kb_per_row=round(marginal, 3))


if __name__ == "__main__":
    main("--quick" in sys.argv)
