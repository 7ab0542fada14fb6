"""`soteria pseudonymise`: keyed pseudonymisation of identifiers."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import SoteriaError
from .arguments import fail


def pseudonymise(
    source: Path = typer.Argument(..., help="Extract to pseudonymise: CSV, Parquet or Excel."),
    target: Path | None = typer.Argument(None, help="Output file (.csv or .parquet)."),
    key_file: Path | None = typer.Option(
        None, help="File holding the secret key (64 hex characters); default SOTERIA_KEY_FILE."),
    coarsen_dates: str | None = typer.Option(
        None, help="Floor dates to the start of their 'week' or 'month'."),
    age_bands: bool = typer.Option(False, help="Replace exact ages by age bands."),
    check: bool = typer.Option(
        False, help="Report k-anonymity over age band, sex, ethnicity, force and month."),
) -> None:
    """Replace crime references and victim, suspect and officer ids with keyed pseudonyms.

    Keyed hashing (HMAC-SHA-256) is PSEUDONYMISATION, NOT ANONYMISATION: the output is still
    personal data, and whoever holds the key can re-link it. Names, addresses, dates of birth,
    phone numbers and free text are dropped (a date of birth becomes age at report). The same
    key gives the same pseudonyms in every file; keep the key apart from the data. Create one
    with: python -c "import secrets; print(secrets.token_hex(32))" > soteria.key
    """
    from ..data.pseudonymise import k_anonymity, load_key, pseudonymise_file

    if target is None and not check:
        typer.secho("error: give an output file (or --check to report k-anonymity only).",
                    err=True, fg=typer.colors.RED)
        raise typer.Exit(2)
    try:
        if target is not None:
            log = pseudonymise_file(source, target, key=load_key(key_file),
                                    coarsen_dates=coarsen_dates, age_bands=age_bands)
            frame = log.pop("frame")
            typer.echo(f"wrote {target} ({log['rows']} rows; key fingerprint "
                       f"{log['key_fingerprint']}; provenance in {log['sidecar']})")
            typer.echo(f"hashed: {', '.join(log['identifiers_hashed']) or 'none'}")
            dropped = log["direct_identifiers_dropped"]
            typer.echo("dropped: " + (", ".join(f"{c} ({k})" for c, k in dropped.items())
                                      or "no direct identifiers found"))
            typer.echo("This is pseudonymised, not anonymised, data: handle it as personal data.")
        else:
            from ..data.ingest import read_table

            frame = read_table(source)
        if check:
            typer.echo(k_anonymity(frame).summary())
    except SoteriaError as error:
        fail(error)
