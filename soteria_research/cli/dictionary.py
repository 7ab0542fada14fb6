"""`soteria dictionary`: render the data dictionary to Markdown."""

from __future__ import annotations

from pathlib import Path

import typer


def dictionary(
    out: Path = typer.Option(None, help="Markdown file to write (default data_dictionaries/README.md)."),
    check: bool = typer.Option(False, help="Exit non-zero if the committed Markdown is stale."),
) -> None:
    """Render the data dictionary (schema + code lists) to Markdown."""
    from ..data.dictionary import render_dictionary_markdown
    from ..settings import DICTIONARY_DIR

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
