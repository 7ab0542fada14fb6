"""`soteria mapping`: bring a force's own export — suggest a mapping, check it, render its schema."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import ParameterError, SoteriaError
from .arguments import at_least, fail, iso_date, output_file

app = typer.Typer(
    help="Map a force's own export to the data dictionary: suggest a mapping from the export, "
         "check what it does, render the format's schema.",
    no_args_is_help=True,
)


@app.command()
def suggest(
    export: Path = typer.Argument(..., help="The force's export: CSV, Parquet or Excel."),
    out: Path | None = typer.Option(None, help="Mapping file to write (YAML); default: print it."),
    sheet: str | None = typer.Option(None, help="Excel only: the sheet holding the data."),
    overwrite: bool = typer.Option(False, help="Replace --out if it exists (it may hold your edits)."),
) -> None:
    """Guess a mapping from the export's header and values, each guess with its evidence."""
    from ..data.mapping_assistant import suggest_mapping

    try:
        if out is not None:
            output_file("--out", out, inputs=[export])
            if out.exists() and not overwrite:
                raise ParameterError(
                    f"--out {out} exists and may hold your edits: choose another file or add "
                    "--overwrite to replace it."
                )
        suggestion = suggest_mapping(export, sheet=_sheet(sheet))
    except SoteriaError as error:
        fail(error)
    text = suggestion.to_yaml()
    if out is None:
        typer.echo(text, nl=False)
        typer.echo(suggestion.summary(), err=True)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(suggestion.summary())
    typer.echo(f"wrote {out}: check the guesses marked CHECK, fill in what it lists, then run "
               f"soteria mapping check {export} {out}")


@app.command()
def check(
    export: Path = typer.Argument(..., help="The force's export: CSV, Parquet or Excel."),
    mapping: Path = typer.Argument(..., help="The mapping file (YAML)."),
    rows: int = typer.Option(3, help="How many of the first rows to show before and after."),
    extract_date: str | None = typer.Option(None, help="Extract date (YYYY-MM-DD) if neither the "
                                                       "file nor the mapping gives one."),
) -> None:
    """Show what the mapping does to the first rows, and what would be quarantined and why.

    Exit code 0: every row accepted; 1: some rows would be quarantined; 2: the mapping or the
    export cannot be used (the message says where and how to fix it).
    """
    from ..data.mapping_assistant import check_mapping

    try:
        at_least("--rows", rows, 1)
        result = check_mapping(export, mapping, rows=rows,
                               extract_date=iso_date("--extract-date", extract_date))
    except SoteriaError as error:
        fail(error)
    typer.echo(result.summary())
    if result.report.n_quarantined:
        raise typer.Exit(1)


@app.command()
def schema(
    check: bool = typer.Option(False, help="Exit non-zero if the committed schema or its page is stale."),
) -> None:
    """Write data_dictionaries/mapping.schema.json and mapping.md from the data dictionary."""
    from ..data.mapping_schema import (
        MARKDOWN_FILE,
        SCHEMA_FILE,
        render_schema_json,
        render_schema_markdown,
    )

    files = {SCHEMA_FILE: render_schema_json(), MARKDOWN_FILE: render_schema_markdown()}
    if check:
        stale = [str(p) for p, text in files.items()
                 if not p.exists() or p.read_text(encoding="utf-8") != text]
        if stale:
            typer.echo(f"stale: {', '.join(stale)}: run `soteria mapping schema` and commit them.", err=True)
            raise typer.Exit(1)
        typer.echo("the mapping schema and its page are up to date.")
        return
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {path}")


def _sheet(value: str | None) -> str | int | None:
    # A sheet given by position on the command line arrives as text.
    return int(value) if value is not None and value.isdigit() else value
