"""`soteria generate`: synthetic case data (canonical or a force-RMS-style export)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import SoteriaError
from .arguments import fail, iso_date, output_file


def generate(
    out: Path | None = typer.Option(None, help="File to write: .csv or .parquet (by extension)."),
    forces: list[str] | None = typer.Option(None, help="Force codes (repeat or comma-separate); default all 43."),
    scale: float = typer.Option(1.0, help="Volume multiplier: 1.0 is about 193,000 crimes a year nationally."),
    seed: int = typer.Option(0, help="Random seed: the same seed gives the same file, byte for byte."),
    start: str = typer.Option("2019-04-01", help="First recorded date (YYYY-MM-DD)."),
    end: str = typer.Option("2024-03-31", help="Last recorded date (YYYY-MM-DD)."),
    extract_date: str | None = typer.Option(None, help="Extract date (YYYY-MM-DD); default END."),
    style: str = typer.Option("canonical", help="'canonical' (dictionary columns, ISO dates), or a force records-system export plus its mapping YAML: 'rms-export' (dd/mm/yyyy, Y/N, force names), 'case-file' (one force, no force or extract column, date-times, Y/blank, N/K and '-'), 'warehouse' (camelCase, ISO and UTC date-times, 1/0, 'Unknown')."),
    calibration: bool = typer.Option(False, help="Print each national calibration target, its source range and the generated value."),
    config: Path | None = typer.Option(None, help="SyntheticConfig YAML overriding the defaults (see synthetic_data/README.md)."),
    mapping: Path | None = typer.Option(None, help="With an export --style: where to write the mapping YAML (default OUT stem + '_mapping.yaml')."),
) -> None:
    """Generate synthetic RASSO case data calibrated to national figures, with a known ground truth."""
    from ..data.synthetic import (
        EXPORT_STYLES,
        SyntheticConfig,
        calibration_table,
        generate_cases,
        write_cases,
        write_export,
    )
    from ..errors import ParameterError

    try:
        if style != "canonical" and style not in EXPORT_STYLES:
            raise ParameterError(f"--style must be 'canonical' or one of {', '.join(EXPORT_STYLES)}, "
                                 f"not {style!r}.")
        start, end = iso_date("--start", start).isoformat(), iso_date("--end", end).isoformat()
        extract = iso_date("--extract-date", extract_date)
        extract_date = extract.isoformat() if extract else None
        if out is None and not calibration:
            raise ParameterError("Nothing to do: give --out PATH (.csv or .parquet) and/or --calibration.")
        if out is not None and out.suffix.lower() not in (".csv", ".parquet", ".pq"):
            raise ParameterError(f"Cannot write {out}: use a .csv or .parquet file name.")
        if mapping is not None and out is not None:
            output_file("--mapping", mapping, inputs=[out])
        codes = [code.strip() for item in forces or [] for code in item.split(",") if code.strip()] or None
        settings = SyntheticConfig.from_yaml(config) if config else None
        cases = generate_cases(forces=codes, start=start, end=end, extract_date=extract_date,
                               scale=scale, seed=seed, config=settings)
        if out is not None and style == "canonical":
            write_cases(cases, out)
            typer.echo(f"wrote {len(cases):,} cases to {out}")
        elif out is not None:
            path, mapping_path, export = write_export(cases, out, style=style, seed=seed, mapping_path=mapping)
            typer.echo(f"wrote {len(export.frame):,} export rows to {path} ({len(export.defects)} "
                       f"injected defects: {export.defects['rows'].sum()} rows a validator should "
                       f"quarantine) and its mapping to {mapping_path}")
    except SoteriaError as error:
        fail(error)
    if calibration:
        table = calibration_table(cases, scale=scale)
        if codes is not None:
            typer.echo("note: calibration targets are national; a subset of forces will not match them.")
        shown = table[["target", "source", "low", "high", "generated", "within_range"]]
        typer.echo(shown.to_string(index=False, float_format=lambda v: f"{v:,.0f}" if abs(v) >= 100 else f"{v:.4g}"))
