"""The `soteria` command line: generate, validate, pseudonymise, report, dictionary, mapping.

Typer, because its commands are plain typed functions (the same style as the package's API),
help text comes from the signatures, and it is a small, well-kept dependency. Each command
lives in its own module of this package.
"""

from __future__ import annotations

import typer

from .dictionary import dictionary
from .generate import generate
from .mapping import app as mapping_app
from .pseudonymise import pseudonymise
from .report import report
from .validate import validate

app = typer.Typer(
    help="Soteria research toolkit: RASSO attrition and time-to-outcome research, safely.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for command in (generate, validate, pseudonymise, report, dictionary):
    app.command()(command)
app.add_typer(mapping_app, name="mapping")

__all__ = ["app"]
