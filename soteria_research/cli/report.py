"""`soteria report`: papermill deep-dive reports for forces and the national overview."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import SoteriaError
from .arguments import fail


def report(
    data: Path | None = typer.Option(None, help="Case file (CSV, Parquet, Excel); default the synthetic sample."),
    forces: list[str] = typer.Option(["all"], help="'all' (every force in the data) or force codes; repeat or comma-separate."),
    out: Path | None = typer.Option(None, help="Output folder (default SOTERIA_OUTPUT_DIR or reports/)."),
    workers: int | None = typer.Option(None, help="Local worker processes (default: CPUs)."),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address, e.g. tcp://host:8786."),
    rerun: bool = typer.Option(False, help="Rebuild reports whose inputs are unchanged."),
    run: str | None = typer.Option(None, help="Run folder name (default: the data file's name)."),
    national: bool = typer.Option(True, help="Also build the national overview."),
    period_start: str | None = typer.Option(None, help="First recorded date (YYYY-MM-DD)."),
    period_end: str | None = typer.Option(None, help="Last recorded date (YYYY-MM-DD)."),
    extract_date: str | None = typer.Option(None, help="View the data as extracted on this date."),
    disclosure: str | None = typer.Option(None, help="publication, partner or internal (default SOTERIA_DISCLOSURE)."),
    seed: int = typer.Option(0, help="Seed for anything random."),
    kernel: str | None = typer.Option(None, help="Jupyter kernel (default SOTERIA_KERNEL or soteria)."),
    cell_timeout: int = typer.Option(900, help="Seconds any one notebook cell may run."),
) -> None:
    """Build each force's deep-dive report and the national overview (HTML, metrics, provenance)."""
    from ..reporting.runner import run_reports
    from ..settings import SAMPLE_CASES, get_settings

    codes = [c.strip() for item in forces for c in item.split(",") if c.strip()]
    try:
        result = run_reports(
            data or SAMPLE_CASES, forces=codes if codes != ["all"] else "all",
            out=out or get_settings().output_dir, workers=workers, scheduler=scheduler,
            rerun=rerun, run=run, national=national, period_start=period_start,
            period_end=period_end, extract_date=extract_date, disclosure=disclosure, seed=seed,
            kernel_name=kernel, cell_timeout=cell_timeout,
        )
    except SoteriaError as error:
        fail(error)
    typer.echo(result.summary())
    if not result.ok:
        raise typer.Exit(1)
