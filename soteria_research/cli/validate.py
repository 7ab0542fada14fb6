"""`soteria validate`: check a case file against the data dictionary; quarantine bad rows."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import ParameterError, SoteriaError
from .arguments import at_least, fail, iso_date, output_file


def validate(
    path: Path = typer.Argument(..., help="Case file or force export: CSV, Parquet or Excel."),
    mapping: Path | None = typer.Option(None, help="YAML mapping from a force export to canonical columns "
                                                   "(see `soteria mapping suggest`)."),
    extract_date: str | None = typer.Option(None, help="Extract date (YYYY-MM-DD) if the file has none."),
    quarantine: Path | None = typer.Option(None, help="Write rejected rows with their reasons here (CSV)."),
    write_canonical: Path | None = typer.Option(
        None, help="Write the accepted rows as a canonical case file (.parquet or .csv), with a "
                   "provenance sidecar (SHA-256 of the export and the mapping, row counts)."),
    max_invalid: int = typer.Option(0, help="Exit non-zero when more rows than this are quarantined."),
) -> None:
    """Validate a case file against the data dictionary and summarise what was quarantined."""
    from ..data.canonical import FORMATS, export_provenance
    from ..data.canonical import write_canonical as write
    from ..data.chunked import read_cases_in_chunks

    try:
        extract = iso_date("--extract-date", extract_date)
        at_least("--max-invalid", max_invalid, 0)
        inputs = [path, mapping]
        if quarantine is not None:
            output_file("--quarantine", quarantine, inputs=inputs)
        if write_canonical is not None:
            output_file("--write-canonical", write_canonical, inputs=[*inputs, quarantine])
            if write_canonical.suffix.lower() not in FORMATS:
                raise ParameterError(f"--write-canonical {write_canonical}: use a .parquet or .csv file name.")
        # Parquet is validated in batches (bounded memory); the accepted rows are kept only
        # when they are to be written.
        cases, report = read_cases_in_chunks(
            path, mapping=mapping, extract_date=extract,
            on_cases=None if write_canonical is not None else (lambda part: None))
        typer.echo(report.summary())
        if quarantine is not None:
            report.write_quarantine(quarantine)
            typer.echo(f"quarantined rows written to {quarantine}")
        if write_canonical is not None:
            written, sidecar = write(cases, write_canonical,
                                     provenance=export_provenance(path, mapping, report))
            typer.echo(f"wrote {len(cases):,} canonical cases to {written} (provenance in {sidecar})")
    except SoteriaError as error:
        fail(error)
    if report.n_quarantined > max_invalid:
        raise typer.Exit(1)
