"""What every `soteria` command shares: the one-line error exit for a user's mistake."""

from __future__ import annotations

import typer

from ..errors import SoteriaError


def fail(error: SoteriaError | str, code: int = 2) -> None:
    """Print ``error`` as one red line on stderr and exit with ``code`` (2: a usage mistake)."""
    typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)
