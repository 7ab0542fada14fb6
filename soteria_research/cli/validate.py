"""`soteria validate`: check a case file against the data dictionary; quarantine bad rows."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import SoteriaError
from .arguments import fail


def validate(
    path: Path = typer.Argument(..., help="Case file: CSV, Parquet or Excel."),
    mapping: Path | None = typer.Option(None, help="YAML mapping from a force export to canonical columns."),
    extract_date: str | None = typer.Option(None, help="Extract date (YYYY-MM-DD) if the file has none."),
    quarantine: Path | None = typer.Option(None, help="Write rejected rows with their reasons here (CSV)."),
    max_invalid: int = typer.Option(0, help="Exit non-zero when more rows than this are quarantined."),
) -> None:
    """Validate a case file against the data dictionary and summarise what was quarantined."""
    from ..data.ingest import read_cases

    try:
        _, report = read_cases(path, mapping=mapping, extract_date=extract_date)
    except SoteriaError as error:
        fail(error)
    typer.echo(report.summary())
    if quarantine is not None:
        report.write_quarantine(quarantine)
        typer.echo(f"quarantined rows written to {quarantine}")
    if report.n_quarantined > max_invalid:
        raise typer.Exit(1)
