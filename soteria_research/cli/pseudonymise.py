"""`soteria pseudonymise`: keep the dictionary's fields, hash identifiers, drop everything else."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import ParameterError, SoteriaError
from .arguments import fail, output_file


def pseudonymise(
    source: Path = typer.Argument(..., metavar="EXTRACT",
                                  help="Extract to pseudonymise: CSV, Parquet or Excel."),
    target: Path | None = typer.Argument(
        None, metavar="OUTPUT", help="Output file (.csv or .parquet); never the extract, the mapping or the key file."),
    key_file: Path | None = typer.Option(
        None, help="File holding the secret key: 64 or more hex digits, one optional trailing "
                   "newline; default SOTERIA_KEY_FILE."),
    mapping: Path | None = typer.Option(
        None, help="The export's mapping (YAML) to dictionary names, as for `soteria validate`."),
    identifier: list[str] | None = typer.Option(
        None, "--identifier", help="A column to hash besides the dictionary's identifier fields "
                                   "(name after mapping; repeat for more)."),
    no_identifiers: bool = typer.Option(
        False, "--no-identifiers", help="Say that the file has no identifier column at all "
                                        "(otherwise such a file is refused)."),
    keep: list[str] | None = typer.Option(
        None, "--keep", help="A column outside the data dictionary to keep unchanged (repeat for "
                             "more); never one named like a direct identifier."),
    coarsen_dates: str | None = typer.Option(
        None, help="Floor dates (but the extract date) to the start of their 'week' or 'month'."),
    age_bands: bool = typer.Option(False, help="Replace exact ages by age bands."),
    check: bool = typer.Option(
        False, help="Measure k-anonymity of the file written (or, with no OUTPUT, of the file "
                    "these options would write) over its quasi-identifiers as written."),
) -> None:
    """Write a pseudonymised copy of an extract: dictionary fields only, identifiers keyed-hashed.

    Keyed hashing (HMAC-SHA-256) is PSEUDONYMISATION, NOT ANONYMISATION: the output is still
    personal data, and whoever holds the key can re-link it.

    Only data-dictionary fields are written (after --mapping renames the export's columns):
    crime references and victim, suspect and officer ids become keyed pseudonyms, the others
    are kept or coarsened (--coarsen-dates, --age-bands). Every other column is dropped and
    listed, unless named with --keep. A file with no recognised identifier column is refused
    unless --identifier or --no-identifiers says what it holds. The output and its
    provenance file are searched for every original identifier value before they are written.

    The same key gives the same pseudonyms in every file; keep the key apart from the data. No
    fingerprint of the key is written. Create a key with:
    python -c "import secrets; print(secrets.token_hex(32))" > soteria.key
    """
    from ..data import pseudonymise as pseudo
    from ..data.ingest import read_table
    from ..settings import get_settings

    options = dict(mapping=mapping, identifiers=identifier or None,
                   no_identifiers=no_identifiers, keep=keep or (), coarsen_dates=coarsen_dates,
                   age_bands=age_bands)
    try:
        if coarsen_dates not in (None, "week", "month"):
            raise ParameterError(f"--coarsen-dates {coarsen_dates!r}: use 'week' or 'month'.")
        if target is None:
            if not check:
                raise ParameterError(
                    "give an OUTPUT file (or --check alone to measure what would be written).")
            table, record = pseudo.pseudonymise_preview(source, **options)
            _print_plan(record, dry_run=True)
            typer.echo("nothing written (no OUTPUT): figures are for the file these options "
                       "would write.")
            typer.echo(pseudo.k_anonymity(table, _measured(table, record)).summary())
            return
        if target.suffix.lower() not in pseudo.OUTPUT_SUFFIXES:
            raise ParameterError(f"OUTPUT {target}: write the output as .csv or .parquet.")
        key_path = key_file if key_file is not None else get_settings().key_file
        for path in (target, pseudo.sidecar_path(target)):
            output_file("OUTPUT", path, inputs=[source, mapping], protected=[key_path])
        key = pseudo.load_key(key_path, option="--key-file" if key_file else None)
        record = pseudo.pseudonymise_file(source, target, key=key, **options)
        typer.echo(f"wrote {target} ({record['rows']} rows); provenance in {record['sidecar']}")
        _print_plan(record)
        typer.echo("This is pseudonymised, not anonymised, data: handle it as personal data.")
        if check:
            written = read_table(target)
            typer.echo(f"measured on the file written ({target.name}):")
            typer.echo(pseudo.k_anonymity(written, _measured(written, record)).summary())
    except SoteriaError as error:
        fail(error)


def _measured(table, record: dict) -> list[str]:
    """Every quasi-identifier the file carries, and any column kept by request (it may be one)."""
    from ..data.pseudonymise import written_quasi_identifiers

    return written_quasi_identifiers(table.columns) + [
        c for c in record["kept_by_request"] if c in table.columns]


def _print_plan(record: dict, *, dry_run: bool = False) -> None:
    typer.echo(f"{'would hash' if dry_run else 'hashed'}: {', '.join(record['identifiers_hashed']) or 'none (--no-identifiers)'}")
    if record["kept_by_request"]:
        typer.echo(f"kept because named (--keep): {', '.join(record['kept_by_request'])}")
    coarsened = []
    if record["dates_coarsened"]:
        coarsened.append(f"dates to {record['dates_coarsened_to']}")
    if record["ages_banded"]:
        coarsened.append("ages to bands")
    if coarsened:
        typer.echo(f"coarsened: {', '.join(coarsened)}")
    for column, n in record["dates_unreadable_blanked"].items():
        typer.echo(f"blanked: {n} value(s) of {column} that are not dates in its format")
    dropped = record["columns_dropped"]
    typer.echo("dropped: " + ("; ".join(f"{c} ({why})" for c, why in dropped.items())
                              or "nothing (every column is a dictionary field)"))
