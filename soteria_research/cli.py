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
def generate(
    out: Path | None = typer.Option(None, help="File to write: .csv or .parquet (by extension)."),
    forces: list[str] | None = typer.Option(None, help="Force codes (repeat or comma-separate); default all 43."),
    scale: float = typer.Option(1.0, help="Volume multiplier: 1.0 is about 193,000 crimes a year nationally."),
    seed: int = typer.Option(0, help="Random seed: the same seed gives the same file, byte for byte."),
    start: str = typer.Option("2019-04-01", help="First recorded date (YYYY-MM-DD)."),
    end: str = typer.Option("2024-03-31", help="Last recorded date (YYYY-MM-DD)."),
    extract_date: str | None = typer.Option(None, help="Extract date (YYYY-MM-DD); default END."),
    style: str = typer.Option("canonical", help="'canonical' (dictionary columns, ISO dates) or 'rms-export' (a force records-system file plus its mapping YAML)."),
    calibration: bool = typer.Option(False, help="Print each national calibration target, its source range and the generated value."),
    config: Path | None = typer.Option(None, help="SyntheticConfig YAML overriding the defaults (see synthetic_data/README.md)."),
    mapping: Path | None = typer.Option(None, help="With --style rms-export: where to write the mapping YAML (default OUT stem + '_mapping.yaml')."),
) -> None:
    """Generate synthetic RASSO case data calibrated to national figures, with a known ground truth."""
    from .data.synthetic import (
        SyntheticConfig,
        calibration_table,
        generate_cases,
        write_cases,
        write_rms_export,
    )
    from .errors import ParameterError

    try:
        if style not in ("canonical", "rms-export"):
            raise ParameterError(f"--style must be 'canonical' or 'rms-export', not {style!r}.")
        if out is None and not calibration:
            raise ParameterError("Nothing to do: give --out PATH (.csv or .parquet) and/or --calibration.")
        if out is not None and out.suffix.lower() not in (".csv", ".parquet", ".pq"):
            raise ParameterError(f"Cannot write {out}: use a .csv or .parquet file name.")
        codes = [code.strip() for item in forces or [] for code in item.split(",") if code.strip()] or None
        settings = SyntheticConfig.from_yaml(config) if config else None
        cases = generate_cases(forces=codes, start=start, end=end, extract_date=extract_date,
                               scale=scale, seed=seed, config=settings)
        if out is not None and style == "canonical":
            write_cases(cases, out)
            typer.echo(f"wrote {len(cases):,} cases to {out}")
        elif out is not None:
            path, mapping_path, export = write_rms_export(cases, out, seed=seed, mapping_path=mapping)
            typer.echo(f"wrote {len(export.frame):,} export rows to {path} "
                       f"({len(export.defects)} injected duplicates/invalid rows) and its mapping to {mapping_path}")
    except SoteriaError as error:
        _fail(error)
    if calibration:
        table = calibration_table(cases, scale=scale)
        if codes is not None:
            typer.echo("note: calibration targets are national; a subset of forces will not match them.")
        shown = table[["target", "source", "low", "high", "generated", "within_range"]]
        typer.echo(shown.to_string(index=False, float_format=lambda v: f"{v:,.0f}" if abs(v) >= 100 else f"{v:.4g}"))


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


@app.command()
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
    from .data.pseudonymise import k_anonymity, load_key, pseudonymise_file

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
            from .data.ingest import read_table

            frame = read_table(source)
        if check:
            typer.echo(k_anonymity(frame).summary())
    except SoteriaError as error:
        _fail(error)


@app.command()
def report(
    data: Path | None = typer.Option(None, help="Case file (CSV, Parquet, Excel); default the synthetic sample."),
    forces: list[str] = typer.Option(["all"], help="'all' (every force in the data) or force codes; repeat or comma-separate."),
    out: Path | None = typer.Option(None, help="Output folder (default SOTERIA_OUTPUT_DIR or reports/)."),
    workers: int | None = typer.Option(None, help="Local worker processes (default: CPUs)."),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address, e.g. tcp://host:8786."),
    rerun: bool = typer.Option(False, help="Rebuild reports whose inputs are unchanged."),
    run: str | None = typer.Option(None, help="Run folder name (default: the data file's name)."),
    national: bool = typer.Option(True, help="Also build the national overview."),
    period_start: str | None = typer.Option(None, help="First recorded date (YYYY-MM-DD)."),
    period_end: str | None = typer.Option(None, help="Last recorded date (YYYY-MM-DD)."),
    extract_date: str | None = typer.Option(None, help="View the data as extracted on this date."),
    disclosure: str | None = typer.Option(None, help="publication, partner or internal (default SOTERIA_DISCLOSURE)."),
    seed: int = typer.Option(0, help="Seed for anything random."),
    kernel: str | None = typer.Option(None, help="Jupyter kernel (default SOTERIA_KERNEL or soteria)."),
    cell_timeout: int = typer.Option(900, help="Seconds any one notebook cell may run."),
) -> None:
    """Build each force's deep-dive report and the national overview (HTML, metrics, provenance)."""
    from .reporting.runner import run_reports
    from .settings import SAMPLE_CASES, get_settings

    codes = [c.strip() for item in forces for c in item.split(",") if c.strip()]
    try:
        result = run_reports(
            data or SAMPLE_CASES, forces=codes if codes != ["all"] else "all",
            out=out or get_settings().output_dir, workers=workers, scheduler=scheduler,
            rerun=rerun, run=run, national=national, period_start=period_start,
            period_end=period_end, extract_date=extract_date, disclosure=disclosure, seed=seed,
            kernel_name=kernel, cell_timeout=cell_timeout,
        )
    except SoteriaError as error:
        _fail(error)
    typer.echo(result.summary())
    if not result.ok:
        raise typer.Exit(1)
