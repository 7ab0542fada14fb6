"""The `soteria` command line: generate, validate, pseudonymise, report, dictionary.

Typer, because its commands are plain typed functions (the same style as the package's API),
help text comes from the signatures, and it is a small, well-kept dependency.
"""

from __future__ import annotations

from pathlib import Path

import typer

from .errors import SoteriaError

app = typer.Typer(
    help="Soteria research toolkit: RASSO attrition and time-to-outcome research, safely.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(error: SoteriaError, code: int = 2) -> None:
    typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


@app.command()
def dictionary(
    out: Path = typer.Option(None, help="Markdown file to write (default data_dictionaries/README.md)."),
    check: bool = typer.Option(False, help="Exit non-zero if the committed Markdown is stale."),
) -> None:
    """Render the data dictionary (schema + code lists) to Markdown."""
    from .data.dictionary import render_dictionary_markdown
    from .settings import DICTIONARY_DIR

    target = out or DICTIONARY_DIR / "README.md"
    text = render_dictionary_markdown()
    if check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            typer.echo(f"{target} is stale: run `soteria dictionary` and commit it.", err=True)
            raise typer.Exit(1)
        typer.echo(f"{target} is up to date.")
        return
    target.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {target}")


@app.command()
def validate(
    path: Path = typer.Argument(..., help="Case file: CSV, Parquet or Excel."),
    mapping: Path | None = typer.Option(None, help="YAML mapping from a force export to canonical columns."),
    extract_date: str | None = typer.Option(None, help="Extract date (YYYY-MM-DD) if the file has none."),
    quarantine: Path | None = typer.Option(None, help="Write rejected rows with their reasons here (CSV)."),
    max_invalid: int = typer.Option(0, help="Exit non-zero when more rows than this are quarantined."),
) -> None:
    """Validate a case file against the data dictionary and summarise what was quarantined."""
    from .data.ingest import read_cases

    try:
        _, report = read_cases(path, mapping=mapping, extract_date=extract_date)
    except SoteriaError as error:
        _fail(error)
    typer.echo(report.summary())
    if quarantine is not None:
        report.write_quarantine(quarantine)
        typer.echo(f"quarantined rows written to {quarantine}")
    if report.n_quarantined > max_invalid:
        raise typer.Exit(1)
