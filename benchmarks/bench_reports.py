"""Benchmark the report batch (43 forces + national) against its floor and a naive papermill loop.

Floor: the national work once, plus the same notebook code run in one plain Python process per
report (no kernel, papermill or nbconvert), divided by the workers. Goal: batch <= 1.3x floor.
Naive: `papermill` then `jupyter nbconvert --no-input`, one report after another. Goal: >= 2x.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import kernel_name, report  # noqa: E402

DATA = Path(__file__).resolve().parent / "_data"
QUICK_FORCES = ["durham", "cumbria", "city_of_london", "gwent"]
BIN = Path(sys.executable).parent


def case_file(quick: bool) -> Path:
    """The national synthetic set (generated once and kept in benchmarks/_data)."""
    from soteria_research.data.synthetic import generate_cases

    path = DATA / ("quick_cases.parquet" if quick else "national_cases.parquet")
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        cases = generate_cases(forces=QUICK_FORCES if quick else None,
                               scale=0.1 if quick else 1.0, seed=0)
        cases.to_parquet(path, index=False)
    return path


def plain_execute(notebook: str, parameters: str) -> None:
    """Run a notebook's code cells in this process: what a report costs without Jupyter."""
    import matplotlib

    matplotlib.use("Agg")
    import IPython.display
    import matplotlib.pyplot as plt
    import nbformat

    IPython.display.display = lambda *args, **kwargs: None
    namespace: dict = {"__name__": "__main__"}
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, notebook, "exec"), namespace)  # noqa: S102
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(json.loads(parameters))
        plt.close("all")


def _jobs(run_dir: Path, private: Path) -> list[tuple[str, str, dict]]:
    """(name, notebook, parameters) of every report the batch built, read from its run.json."""
    from soteria_research.reporting.runner import FORCE_NOTEBOOK, NATIONAL_NOTEBOOK

    record = json.loads((run_dir / "run.json").read_text())
    base = {k: (v if v is not None else "") for k, v in record["parameters"].items()
            if k in ("data", "period_start", "period_end", "extract_date", "disclosure", "seed")}
    jobs = []
    for entry in record["reports"]:
        name = entry["name"]
        notebook = NATIONAL_NOTEBOOK if name == "national" else FORCE_NOTEBOOK
        jobs.append((name, str(notebook), {**base, "force": name, "shared": str(private / "shared"),
                                           "output": str(private / "bench-staging" / name)}))
    return jobs


def floor(run_dir: Path, private: Path, workers: int) -> tuple[float, float]:
    """National work (as the batch measured it) + plain per-report processes / workers."""
    record = json.loads((run_dir / "run.json").read_text())
    shared = record["shared"]["seconds"]
    total = 0.0
    for _, notebook, params in _jobs(run_dir, private):
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--plain", notebook, json.dumps(params)],
                       check=True, capture_output=True)
        total += time.perf_counter() - start
    return shared + total / workers, shared


def naive_loop(run_dir: Path, private: Path, kernel: str, shared_seconds: float) -> float:
    """`papermill` then `jupyter nbconvert --to html --no-input`, one report after another."""
    folder = Path(tempfile.mkdtemp(prefix="soteria-naive-"))
    start = time.perf_counter()
    for name, notebook, params in _jobs(run_dir, private):
        executed = folder / f"{name}.ipynb"
        command = [str(BIN / "papermill"), notebook, str(executed), "-k", kernel, "--no-progress-bar"]
        for key, value in params.items():
            command += ["-p" if not isinstance(value, str) else "-r", key, str(value)]
        subprocess.run(command, check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(executed)], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    shutil.rmtree(folder, ignore_errors=True)
    return shared_seconds + seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="four forces on small data")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-naive", action="store_true", help="leave out the slow naive loop")
    parser.add_argument("--plain", nargs=2, metavar=("NOTEBOOK", "PARAMS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain:
        plain_execute(*args.plain)
        return

    from soteria_research.reporting.runner import run_reports

    data = case_file(args.quick)
    kernel = kernel_name()
    out = Path(tempfile.mkdtemp(prefix="soteria-bench-"))
    start = time.perf_counter()
    result = run_reports(data, out=out, workers=args.workers, kernel_name=kernel, rerun=True,
                         progress=False)
    batch = time.perf_counter() - start
    if not result.ok:
        sys.exit(result.summary())
    n_reports = len(result.reports)
    size = f"{n_reports} reports ({'quick' if args.quick else '43 forces + national'})"
    floor_s, shared_s = floor(result.run_dir, result.private_dir, args.workers)
    report("reports", f"batch vs floor, {size}, {args.workers} workers", batch,
           peer="plain Python per report / workers", peer_s=floor_s, goal="<= 1.3x floor",
           met=batch <= 1.3 * floor_s, shared_s=round(shared_s, 2))
    if not args.skip_naive:
        naive_s = naive_loop(result.run_dir, result.private_dir, kernel, shared_s)
        report("reports", f"batch vs naive papermill loop, {size}", batch,
               peer="papermill + nbconvert CLI, sequential", peer_s=naive_s,
               goal=">= 2x faster", met=naive_s >= 2 * batch,
               speedup=round(naive_s / batch, 2))
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
