"""Benchmark: a report run at 10,000,000 rows on a Dask cluster of local workers (issue 17).

Starts a Dask scheduler and ``--workers`` worker processes (``dask scheduler``, ``dask
worker``, one thread each) and runs ``soteria report --scheduler ADDRESS --forces
durham,city_of_london --rerun`` on a file of ``--rows`` cases, measuring the whole process tree
(scheduler, workers, the runner and its preparation child, the workers' Jupyter kernels) by
sampling (``tree_memory.py``). Each process's own peak is printed: the figure that says whether
one machine's process would fit is the largest single process, not the tree.

The case file is built once in ``benchmarks/_data/``: the 1,000,000-row national world
(``_common.national_cases``) written ``rows / 1,000,000`` times with the identifiers (crime
reference, victim, suspect, officer) prefixed by the copy's number, one copy at a time with
``pyarrow.parquet.ParquetWriter`` so that building it never holds more than one copy; a
10,000,000-row world generated in memory would need about 21 GB. Nothing is asserted.

It is not named ``bench_*``: ``run_all.py`` (``make bench``) does not run it; it takes about an
hour at 10,000,000 rows on two cores.

Usage: ``python benchmarks/dask_scale.py [--rows N] [--quick] [--workers N]`` (default
10,000,000 rows, --quick 2,000,000; 2 workers).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import tree_memory  # noqa: E402
from _common import kernel_name, report  # noqa: E402
from bench_national_memory import case_file as national_file  # noqa: E402
from bench_scale import environment  # noqa: E402

DATA = HERE / "_data"
TILE = 1_000_000
IDENTIFIERS = ("crime_ref", "victim_id", "suspect_id", "officer_id")
FORCES = "durham,city_of_london"


def tiled_file(rows: int) -> Path:
    """``rows`` cases (a multiple of 1,000,000): copies of the 1M world with distinct ids."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if rows % TILE:
        sys.exit(f"--rows must be a multiple of {TILE:,}")
    path = DATA / f"tiled_{rows}.parquet"
    if path.exists():
        return path
    tile = pq.read_table(national_file(TILE))
    partial = path.with_suffix(".partial")
    with pq.ParquetWriter(partial, tile.schema) as writer:
        for copy in range(rows // TILE):
            table = tile
            for name in IDENTIFIERS:
                column = table[name]
                prefixed = pc.if_else(pc.is_null(column), column,
                                      pc.binary_join_element_wise(f"t{copy}", column, "-"))
                table = table.set_column(table.schema.get_field_index(name), name, prefixed)
            writer.write_table(table, row_group_size=250_000)
    partial.rename(path)
    return path


def cluster_script(data: Path, out: str, workers: int) -> str:
    """A shell script: start a scheduler and workers, run the report against them, stop them."""
    python = shlex.quote(sys.executable)
    cli = ("import sys; from soteria_research.cli import app; sys.argv[0] = 'soteria'; app()")
    file = shlex.quote(f"{out}/scheduler.json")
    return f"""
set -e
{python} -m distributed.cli.dask_scheduler --scheduler-file {file} --port 0 --no-dashboard \\
    >{shlex.quote(out)}/scheduler.log 2>&1 &
SCHEDULER=$!
{python} -m distributed.cli.dask_worker --scheduler-file {file} --nworkers {workers} \\
    --nthreads 1 --no-dashboard >{shlex.quote(out)}/workers.log 2>&1 &
WORKERS=$!
trap 'kill $WORKERS $SCHEDULER 2>/dev/null; wait' EXIT
for _ in $(seq 600); do [ -s {file} ] && break; sleep 0.1; done
ADDRESS=$({python} -c "import json; print(json.load(open('{out}/scheduler.json'))['address'])")
{python} -c {shlex.quote(cli)} report --data {shlex.quote(str(data))} --forces {FORCES} \\
    --out {shlex.quote(out)}/reports --kernel {kernel_name()} --scheduler "$ADDRESS" --rerun
"""


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2,000,000 rows")
    parser.add_argument("--rows", type=int, default=None, help="default 10,000,000")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    rows = args.rows or (2 * TILE if args.quick else 10 * TILE)
    path = tiled_file(rows)
    with tempfile.TemporaryDirectory(prefix="soteria-dask-scale-") as out:
        peak, seconds, result = tree_memory.run_tree_peak(
            ["bash", "-c", cluster_script(path, out, args.workers)], env=environment())
        if result.returncode != 0:
            logs = "".join((Path(out) / name).read_text()[-2000:]
                           for name in ("scheduler.log", "workers.log")
                           if (Path(out) / name).exists())
            raise SystemExit(f"the run failed:\n{result.stdout[-2000:]}\n"
                             f"{result.stderr[-3000:]}\n{logs}")
    largest = sorted(((rss, command) for (_, command), rss in tree_memory.PROCESS_PEAKS.items()),
                     reverse=True)
    pss = tree_memory.PEAK_PSS_MB
    print(f"{rows:,} rows, {FORCES} on a Dask cluster of {args.workers} local worker(s): "
          f"completed in {seconds:.0f} s, tree peak RSS {peak:,.0f} MB, PSS "
          f"{'n/a' if pss is None else f'{pss:,.0f} MB'}", flush=True)
    print(result.stdout[-1500:])
    for rss, command in largest[:8]:
        print(f"  process peak {rss / 1e6:7,.0f} MB  {command[:110]}")
    report("dask_scale", f"{FORCES} report on Dask, {rows:,} rows", seconds,
           peak_mb=round(peak), peak_pss_mb=None if pss is None else round(pss),
           largest_process_mb=round(largest[0][0] / 1e6) if largest else None,
           workers=args.workers, kb_per_row=round(peak * 1e3 / rows, 3))


if __name__ == "__main__":
    main(sys.argv[1:])
