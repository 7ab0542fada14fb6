"""Benchmark: peak memory of a report run over all 43 forces on 1,000,000 rows (issue 17).

The whole process tree is measured (runner, the preparation's child process, report workers,
their Jupyter kernels), sampled with psutil (``tree_memory.py``): the summed resident set size
(RSS, which counts pages that processes share once per process) and the summed proportional
set size (PSS, which divides them; Linux). The peer, measured in the same run, is the peak of
a bare ``pandas.read_parquet`` of the same file in its own process. Goal: under 2 GB for the
whole tree. Nothing is asserted; figures vary with the machine's load.

The run is given ``--max-memory`` (default the goal, 2,000 MB): reports wait to start while
running them side by side would need more, by the runner's estimate (``runner/memory.py``);
``--max-memory 0`` runs without a limit, as before. Each process's own peak is printed too:
the kernels' peaks are what the estimate's constants were fitted to.

Usage: ``python benchmarks/bench_national_memory.py [--quick] [--rows N] [--workers N]
[--max-memory MB]`` (default 1,000,000 rows, --quick 50,000; 2 workers). The case file is
generated once (``_common.national_cases``) and kept in ``benchmarks/_data/``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import tree_memory  # noqa: E402
from _common import kernel_name, national_cases, report  # noqa: E402
from bench_scale import environment  # noqa: E402

DATA = HERE / "_data"
CLI = "import sys; from soteria_research.cli import app; sys.argv[0] = 'soteria'; app()"
GOAL_MB = 2000


def case_file(rows: int) -> Path:
    path = DATA / f"national_{rows}.parquet"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        national_cases(rows).to_parquet(path, index=False)
    return path


def tree_peak(arguments: list[str]) -> tuple[float, float | None, float]:
    """(peak summed RSS MB, peak summed PSS MB or None, seconds) of ``python ARGUMENTS``."""
    peak, seconds, result = tree_memory.run_tree_peak([sys.executable, *arguments],
                                                      env=environment())
    if result.returncode != 0:
        raise RuntimeError(f"{arguments[:4]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return peak, tree_memory.PEAK_PSS_MB, seconds


def report_peaks(out: Path, data: Path) -> dict[str, tuple[float, float, int]]:
    """Each report's kernel peak (MB, from its log), the runner's estimate of it (MB) and the
    cases it reads."""
    import re

    import pandas as pd

    from soteria_research.reporting.runner import memory

    run_dir = next(folder for folder in out.iterdir() if folder.name.endswith("-private"))
    sizes = pd.read_parquet(data, columns=["force"])["force"].value_counts().to_dict()
    peers_path = run_dir / "shared" / "peers.parquet"
    table = pd.read_parquet(peers_path) if peers_path.exists() else pd.DataFrame(columns=["force", "peer"])
    peers = table.groupby("force")["peer"].apply(list).to_dict() if len(table) else {}
    found = {}
    for log in (run_dir / "logs").glob("*.log"):
        peaks = re.findall(r"kernel peak memory (\d+) MB", log.read_text())
        if peaks:
            cases = memory.cases_read(log.stem, sizes, peers)
            found[log.stem] = (float(peaks[-1]), memory.report_memory_mb(cases), cases)
    return found


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="50,000 rows")
    parser.add_argument("--rows", type=int, default=None, help="default 1,000,000")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-memory", type=int, default=GOAL_MB, help="MB; 0: no limit")
    args = parser.parse_args(argv)
    limit = ["--max-memory", str(args.max_memory)] if args.max_memory else []
    rows = args.rows or (50_000 if args.quick else 1_000_000)
    path = case_file(rows)
    bare_mb, bare_pss, bare_s = tree_peak(["-c", f"import pandas as pd; pd.read_parquet({str(path)!r})"])
    with tempfile.TemporaryDirectory(prefix="soteria-national-memory-") as out:
        run_mb, run_pss, run_s = tree_peak(["-c", CLI, "report", "--data", str(path), "--forces",
                                            "all", "--out", out, "--kernel", kernel_name(),
                                            "--workers", str(args.workers), "--rerun",
                                            *limit])
        fitted = report_peaks(Path(out), path)
    parts = sorted(tree_memory.PEAK_PARTS, key=lambda part: part[0], reverse=True)
    kernels = sorted(((rss, pid) for (pid, command), rss in tree_memory.PROCESS_PEAKS.items()
                      if "ipykernel" in command), reverse=True)
    pss_text = f"{run_pss:,.0f} MB" if run_pss is not None else "n/a"
    print(f"{rows:,} rows, all forces, {args.workers} worker(s): tree peak RSS {run_mb:,.0f} MB, "
          f"PSS {pss_text} (goal < {GOAL_MB:,} MB), {run_s:.0f} s; bare read_parquet peak "
          f"{bare_mb:,.0f} MB ({bare_s:.1f} s); ratio {run_mb / bare_mb:.2f}; --max-memory "
          f"{args.max_memory or 'none'}", flush=True)
    print("  kernels' own peaks: " + ", ".join(f"{rss / 1e6:,.0f} MB" for rss, _ in kernels))
    print("  report: kernel peak MB / estimate MB / cases read")
    rows_text = [f"{name} {peak:,.0f}/{estimate:,.0f}/{cases:,}" for name, (peak, estimate, cases)
                 in sorted(fitted.items(), key=lambda item: -item[1][0])]
    for start in range(0, len(rows_text), 4):
        print("    " + "; ".join(rows_text[start:start + 4]))
    under = sum(peak <= estimate for peak, estimate, _ in fitted.values())
    print(f"  estimates at or above the kernel's peak: {under} of {len(fitted)} reports")
    for rss, pss, command, _ in parts:
        print(f"  at the peak: {rss / 1e6:6.0f} MB RSS  "
              f"{'' if pss is None else f'{pss / 1e6:6.0f} MB PSS'}  {command}")
    full = rows >= 900_000
    report("national_memory", f"43-force run peak, {rows:,} rows", None,
           peer="pandas.read_parquet peak", ratio=run_mb / bare_mb,
           goal=f"< {GOAL_MB} MB tree peak" if full else None,
           met=(run_mb < GOAL_MB) if full else None,
           peak_mb=round(run_mb), peak_pss_mb=None if run_pss is None else round(run_pss),
           bare_read_peak_mb=round(bare_mb),
           bare_read_peak_pss_mb=None if bare_pss is None else round(bare_pss),
           workers=args.workers, max_memory_mb=args.max_memory or None,
           seconds=round(run_s, 1), kb_per_row=round(run_mb * 1e3 / rows, 3))


if __name__ == "__main__":
    main(sys.argv[1:])
