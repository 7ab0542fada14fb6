"""`soteria dictionary`: render the data dictionary to Markdown."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import ParameterError, SoteriaError
from .arguments import fail, output_file


def dictionary(
    out: Path = typer.Option(None, help="Markdown file to write (default data_dictionaries/README.md)."),
    check: bool = typer.Option(False, help="Exit non-zero if the committed Markdown is stale."),
) -> None:
    """Render the data dictionary (schema + code lists) to Markdown."""
    from ..data.dictionary import render_dictionary_markdown
    from ..settings import DICTIONARY_DIR

    target = out or DICTIONARY_DIR / "README.md"
    try:
        text = render_dictionary_markdown()
        if check:
            current = target.read_text(encoding="utf-8") if target.is_file() else ""
            if current != text:
                typer.echo(f"{target} is stale: run `soteria dictionary` and commit it.", err=True)
                raise typer.Exit(1)
            typer.echo(f"{target} is up to date.")
            return
        output_file("--out", target)
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as error:
            raise ParameterError(f"--out {target}: could not be written ({error.strerror}).") from None
    except SoteriaError as error:
        fail(error)
    typer.echo(f"wrote {target}")
