"""`soteria report`: papermill deep-dive reports for forces and the national overview.

Every option is checked at the door, before any data is prepared or notebook run: ISO dates,
a plain run name, numbers in range, forces that have cases in the data, a reachable scheduler.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import ParameterError, SoteriaError
from .arguments import (
    at_least,
    existing_file,
    fail,
    iso_text,
    listed,
    output_folder,
    plain_name,
    reachable_scheduler,
)


def report(
    data: Path | None = typer.Option(None, help="Case file (CSV, Parquet, Excel); default the synthetic sample."),
    forces: list[str] = typer.Option(["all"], help="'all' (every force in the data) or force codes; repeat or comma-separate."),
    out: Path | None = typer.Option(None, help="Output folder (default SOTERIA_OUTPUT_DIR or reports/)."),
    workers: int | None = typer.Option(None, help="Local worker processes, at least 1 (default: CPUs)."),
    max_memory: int | None = typer.Option(None, help="Megabytes the run may use at once (runner, workers, kernels): reports wait while running them side by side would need more (default: no limit)."),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address, e.g. tcp://host:8786."),
    rerun: bool = typer.Option(False, help="Rebuild reports whose inputs are unchanged."),
    run: str | None = typer.Option(None, help="Run folder name inside --out: letters, digits, '.', '_', '-' (default: the data file's name)."),
    national: bool = typer.Option(True, help="Also build the national overview."),
    period_start: str | None = typer.Option(None, help="First recorded date (YYYY-MM-DD)."),
    period_end: str | None = typer.Option(None, help="Last recorded date (YYYY-MM-DD)."),
    extract_date: str | None = typer.Option(None, help="View the data as extracted on this date (YYYY-MM-DD)."),
    disclosure: str | None = typer.Option(None, help="publication, partner or internal (default SOTERIA_DISCLOSURE)."),
    seed: int = typer.Option(0, help="Seed for anything random."),
    kernel: str | None = typer.Option(None, help="Jupyter kernel (default SOTERIA_KERNEL or soteria)."),
    cell_timeout: int = typer.Option(900, help="Seconds any one notebook cell may run (at least 1)."),
    mapping: Path | None = typer.Option(None, help="Mapping YAML of a force's own export (see `soteria mapping suggest`); --data is read through it."),
    benchmarks: Path | None = typer.Option(None, help="benchmarks.json of a national run: the England and Wales and most-similar-force figures for a file of one force's cases."),
) -> None:
    """Build each force's deep-dive report and the national overview (HTML, metrics, provenance)."""
    from ..reporting import runner
    from ..settings import SAMPLE_CASES, get_settings

    try:
        plan = _checked_options(
            data=data or SAMPLE_CASES, forces=forces, out=out or get_settings().output_dir,
            workers=workers, scheduler=scheduler, run=run, period_start=period_start,
            period_end=period_end, extract_date=extract_date, disclosure=disclosure, seed=seed,
            cell_timeout=cell_timeout, mapping=mapping, benchmarks=benchmarks,
            max_memory=max_memory,
        )
        result = runner.run_reports(**plan, rerun=rerun, national=national, seed=seed,
                                    kernel_name=kernel, cell_timeout=cell_timeout,
                                    workers=workers, disclosure=disclosure,
                                    max_memory=max_memory)
    except SoteriaError as error:
        fail(error)
    typer.echo(result.summary())
    if not result.ok:
        raise typer.Exit(1)


def _checked_options(*, data, forces, out, workers, scheduler, run, period_start, period_end,
                     extract_date, disclosure, seed, cell_timeout, mapping=None,
                     benchmarks=None, max_memory=None) -> dict:
    """The options run_reports needs, each checked; raises ParameterError on the first mistake."""
    from ..data.reading import column_values
    from ..reporting.parameters import ReportParameters, _as_force, check_forces_have_cases

    data = existing_file("--data", data)
    mapping = existing_file("--mapping", mapping) if mapping is not None else None
    if benchmarks is not None:
        from ..reporting.benchmarks import load_benchmarks

        benchmarks = existing_file("--benchmarks", benchmarks)
        load_benchmarks(benchmarks)
    codes = listed("--forces", forces)
    if not codes:
        codes = ["all"]
    at_least("--workers", workers, 1)
    at_least("--cell-timeout", cell_timeout, 1)
    at_least("--max-memory", max_memory, 1)
    plain_name("--run", run)
    out = output_folder("--out", out)
    dates = {"period_start": iso_text("--period-start", period_start),
             "period_end": iso_text("--period-end", period_end),
             "extract_date": iso_text("--extract-date", extract_date)}
    ReportParameters.validate(data=str(data), disclosure=disclosure or "", seed=seed,
                              **{k: v or "" for k, v in dates.items()})
    if "all" in [c.lower() for c in codes]:
        if len(codes) > 1:
            raise ParameterError("--forces: give 'all' on its own, or a list of force codes.")
        codes = ["all"]
    else:
        codes = [_as_force(code) for code in codes]
        if mapping is None:  # a mapped export's force column is checked by the run
            check_forces_have_cases(codes, column_values(data, "force"), data)
    if scheduler:
        reachable_scheduler("--scheduler", scheduler)
    return dict(data=data, forces="all" if codes == ["all"] else codes, out=out,
                scheduler=scheduler, run=run, mapping=mapping, benchmarks=benchmarks,
                **dates)
