"""Validate a large Parquet case file part by part, in bounded memory, with the same result as
:func:`~soteria_research.data.ingest.read_cases`.

A file is read in record batches (``pyarrow.parquet.ParquetFile.iter_batches``) and each batch
goes through the same typing, field and cross-field rules as a whole file. The two rules that
need the whole file are applied once, over it:

- **duplicates**: a first pass reads the ``crime_ref`` column alone, finds the references
  that occur more than once, types only those rows and applies the duplicate rules to them
  (the same function as for a whole file), so a copy in another batch is still a copy;
- **the wrong-format rule** (a date column none of whose values reads): each batch counts its
  unreadable and present values and the formats that would read them; the rule is applied to
  the sums.

Memory then holds one batch's working set (the raw batch, its typed columns and masks) plus
what the caller keeps of the accepted rows, instead of the whole file several times over.
Only Parquet files without a mapping are read this way: CSV and Excel need their whole-file
checks (encoding, delimiter, sheets), and a mapping its whole-column date-time rule, so
:func:`read_cases_in_chunks` reads those in one go. Batches use pyarrow's own reader rather
than anything written here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import DataValidationError
from .dictionary import load_dictionary
from .ingest import (
    ValidationReport,
    _coerce_types,
    _duplicate_failures,
    _empty_failures,
    _fill_extract_date,
    _validate,
    apply_date_format_rule,
    read_cases,
)
from .reading import (
    READERS,
    _drop_empty_rows,
    _read_parquet_schema_checks,
    _row_ranges,
    tidy_headers,
)

__all__ = ["CHUNK_ROWS", "read_cases_in_chunks"]

#: Rows per batch: large enough that per-batch overheads vanish, small enough that a batch's
#: working set (about 1 KB a row) stays near 250 MB.
CHUNK_ROWS = 250_000


def read_cases_in_chunks(
    path: str | os.PathLike,
    *,
    extract_date: str | pd.Timestamp | None = None,
    mapping=None,
    chunk_rows: int = CHUNK_ROWS,
    on_cases: Callable[[pd.DataFrame], None] | None = None,
) -> tuple[pd.DataFrame | None, ValidationReport]:
    """Read and validate a case file batch by batch; same rows, quarantine and counts as
    :func:`~soteria_research.data.ingest.read_cases`.

    Parameters
    ----------
    path : path
        The case file. Parquet without a ``mapping`` is read in batches; anything else in one
        go (then ``on_cases`` is called once with every accepted row).
    extract_date : date, optional
        As for ``read_cases``.
    chunk_rows : int
        Rows per batch.
    on_cases : callable, optional
        Called with each batch's accepted rows, in file order. When given, the accepted rows are
        not kept and ``None`` is returned in their place (stream them to disk this way).

    Returns
    -------
    cases : DataFrame or None
        The accepted rows (``None`` with ``on_cases``).
    report : ValidationReport

    Examples
    --------
    >>> from soteria_research.data.chunked import read_cases_in_chunks
    >>> cases, report = read_cases_in_chunks("cases.parquet", chunk_rows=100_000)  # doctest: +SKIP
    >>> report.n_input == report.n_valid + report.n_quarantined                      # doctest: +SKIP
    True
    """
    path = Path(path)
    parquet = _open_parquet(path) if not mapping else None
    if parquet is None:
        cases, report = read_cases(path, mapping=mapping, extract_date=extract_date)
        if on_cases is None:
            return cases, report
        on_cases(cases)
        return None, report
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    source = str(path)
    _read_parquet_schema_checks(path, ())
    duplicates = _whole_file_duplicates(parquet, source, extract_date, chunk_rows)

    dictionary = load_dictionary()
    kept: list[pd.DataFrame] = []
    quarantines: list[pd.DataFrame] = []
    template = None
    counts: list[pd.DataFrame] = []
    date_checks: list[dict] = []
    skipped: list[np.ndarray] = []
    header_notes: list[str] = []
    extra: list[str] = []
    n_input = n_valid = 0
    offset = 0
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        frame, row_numbers, notes = _batch_frame(batch, offset, source, skipped)
        offset += batch.num_rows
        if offset == batch.num_rows:  # the first batch: header notes, once
            header_notes = notes
        if len(frame) == 0:
            continue
        mine = duplicates[duplicates["file_row"].isin(row_numbers)]
        local = mine.assign(position=np.searchsorted(row_numbers, mine["file_row"].to_numpy()))
        cases, report = _validate(
            frame, extract_date=extract_date, source=source, mapping={},
            row_numbers=row_numbers, notes=[], date_checks=date_checks,
            duplicates=local.drop(columns="file_row").reset_index(drop=True),
        )
        del frame
        n_input += report.n_input
        n_valid += report.n_valid
        extra = extra or report.extra_columns
        if template is None:
            template = report.quarantine.iloc[0:0]
        if len(report.quarantine):
            quarantines.append(report.quarantine)
        counts.append(report.rule_counts)
        if on_cases is not None:
            on_cases(cases)
        else:
            kept.append(cases)
        del cases, report
        pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed batches

    if n_input == 0:
        raise DataValidationError(
            f"{source}: the file has a header but no rows. Check that the export finished and "
            "that the right sheet or file was chosen."
        )
    notes = list(header_notes)
    empty = np.concatenate(skipped) if skipped else np.array([], dtype=np.int64)
    if len(empty):
        notes.append(f"{len(empty):,} wholly empty row(s) skipped ({_row_ranges(empty)})")
    _apply_date_rules(date_checks, source, notes)

    quarantine = pd.concat(quarantines, ignore_index=True) if quarantines else template
    report = ValidationReport(
        source=source, n_input=n_input, n_valid=n_valid, n_quarantined=n_input - n_valid,
        rule_counts=_sum_rule_counts(counts), quarantine=quarantine, extra_columns=extra,
        dictionary_version=dictionary.version, notes=notes,
    )
    if on_cases is not None:
        return None, report
    cases = pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0]
    return cases, report


def _open_parquet(path: Path):
    """The file as a ``pyarrow.parquet.ParquetFile``, or None when it is not a readable Parquet
    file (the one-shot reader then explains what is wrong with it)."""
    import pyarrow.parquet as pq

    if READERS.get(path.suffix.lower()) != "parquet" or not path.is_file():
        return None
    try:
        return pq.ParquetFile(path)
    except Exception:  # noqa: BLE001 (read_cases reports a corrupt or empty file plainly)
        return None


def _batch_frame(batch, offset: int, source: str, skipped: list):
    """A record batch as the one-shot reader would see it: headers tidied, empty rows out."""
    frame = batch.to_pandas()
    frame, notes = tidy_headers(frame, source)
    row_numbers = np.arange(offset, offset + len(frame))
    before = row_numbers
    frame, row_numbers = _drop_empty_rows(frame, row_numbers, [])
    if len(row_numbers) < len(before):
        skipped.append(np.setdiff1d(before, row_numbers))
    return frame, row_numbers, notes


def _whole_file_duplicates(parquet, source: str, extract_date, chunk_rows: int) -> pd.DataFrame:
    """The duplicate rules over the whole file, as failures keyed by ``file_row``.

    Only rows whose reference (trimmed) occurs more than once can break them; those rows are
    read in full, typed as in a batch, and passed to the same function the one-shot reader uses.
    """
    names = {name.replace("\ufeff", "").strip(): name for name in parquet.schema_arrow.names}
    column = names.get("crime_ref")
    none = _empty_failures().assign(file_row=np.array([], dtype=np.int64))
    if column is None:
        return none
    refs = parquet.read(columns=[column]).column(0).to_pandas()
    text = refs.astype("string").str.strip()
    text = text.where(text.ne(""))
    shared = text.duplicated(keep=False) & text.notna()
    del refs, text
    rows = np.flatnonzero(shared.to_numpy())
    if len(rows) == 0:
        return none
    parts, offset = [], 0
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        mine = rows[(rows >= offset) & (rows < offset + batch.num_rows)] - offset
        if len(mine):
            parts.append(pa.Table.from_batches([batch]).take(pa.array(mine)))
        offset += batch.num_rows
    frame, _ = tidy_headers(pa.concat_tables(parts).to_pandas(), source)
    frame = _fill_extract_date(frame, extract_date, source)
    # The wrong-format rule is applied over the whole file by the caller, not on these rows.
    typed, _ = _coerce_types(frame, load_dictionary(), {}, source, [], date_checks=[])
    failures = _duplicate_failures(typed.frame)
    if not failures:
        return none
    found = pd.concat(failures, ignore_index=True)
    return found.assign(file_row=rows[found["position"].to_numpy()])


def _apply_date_rules(checks: list[dict], source: str, notes: list[str]) -> None:
    """The wrong-format rule on each date column's counts summed over the batches."""
    by_column: dict[str, dict] = {}
    for check in checks:
        total = by_column.setdefault(check["name"], {"fmt": check["fmt"], "n_bad": 0,
                                                     "n_present": 0, "formats": None,
                                                     "example": None})
        total["n_bad"] += check["n_bad"]
        total["n_present"] += check["n_present"]
        if check["n_bad"]:
            # Every unreadable value of the file reads in a format only when every batch's do.
            total["formats"] = (list(check["formats"]) if total["formats"] is None else
                                [f for f in total["formats"] if f in check["formats"]])
            if total["example"] is None:
                total["example"] = check["example"]
    for name, total in by_column.items():
        apply_date_format_rule(name, total["fmt"], total["n_bad"], total["n_present"],
                               total["formats"] or [], total["example"], source, notes)


def _sum_rule_counts(counts: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [c for c in counts if len(c)]
    if not frames:
        return counts[0] if counts else pd.DataFrame(columns=["rule", "column", "n_rows"])
    summed = (pd.concat(frames, ignore_index=True)
              .groupby(["rule", "column"], sort=True)["n_rows"].sum().reset_index())
    # The same ordering as the one-shot reader's (most rows first, then rule).
    return summed.sort_values(["n_rows", "rule"], ascending=[False, True], ignore_index=True)
