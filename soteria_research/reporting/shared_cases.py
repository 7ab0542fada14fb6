"""A run's validated cases on disk, one Parquet file per force, so that a force report reads
only its own force and the national preparation never holds the whole file twice.

The national preparation streams each validated batch here (:class:`ForceFiles`); reports read
one force, a few (peers) or all (:func:`read_cases`). pyarrow's ``ParquetWriter`` does the
writing, one writer per force, each batch appended as a row group.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

CASES_DIR = "cases"
#: The single file of all cases that shared folders written before per-force files held.
OLD_CASES_FILE = "cases.parquet"
#: Columns the national work never reads (identifiers): left out of the frame it holds. The
#: officer in charge is kept (as a category): the headline intervals allow for clustering by
#: officer, and the driver models are stratified by officer.
ID_COLUMNS = ("crime_ref", "victim_id", "suspect_id")
#: Identifiers no report reads (repeat suspects and officers' caseloads use the other two):
#: left out of a report's cases. Each is a distinct string in nearly every row, some 70 bytes a
#: case, and held again by every copy of the national frame the national overview makes.
UNREAD_BY_REPORTS = ("crime_ref", "victim_id")

__all__ = ["CASES_DIR", "ForceFiles", "ID_COLUMNS", "UNREAD_BY_REPORTS", "read_cases",
           "recorded_span"]


def _arrow_type(dtype) -> pa.DataType:
    if pd.api.types.is_bool_dtype(dtype):
        return pa.bool_()
    if pd.api.types.is_integer_dtype(dtype):
        return pa.int64()
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return pa.timestamp("ns")
    if pd.api.types.is_float_dtype(dtype):
        return pa.float64()
    return pa.string()


class ForceFiles:
    """Append batches of cases to one Parquet file per force in ``folder/cases/``.

    The schema is fixed from the first batch's column types, so a batch whose column happens
    to be all empty still writes as text, dates or numbers. Files are written under temporary
    names and moved into place by :meth:`close`; :meth:`abort` removes them.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder) / CASES_DIR
        self.folder.mkdir(parents=True, exist_ok=True)
        self.schema: pa.Schema | None = None
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {}

    def _temporary(self, force: str) -> Path:
        return self.folder / f".{force}.parquet.tmp"

    def write(self, cases: pd.DataFrame) -> None:
        """Append ``cases`` (any forces) to their forces' files."""
        if cases.empty:
            return
        if self.schema is None:
            fields = [pa.field(name, _arrow_type(cases[name].dtype)) for name in cases.columns]
            self.schema = pa.Table.from_pandas(cases.iloc[0:0], schema=pa.schema(fields),
                                               preserve_index=False).schema
        for force, part in cases.groupby("force", sort=True, observed=True):
            table = pa.Table.from_pandas(part, schema=self.schema, preserve_index=False)
            force = str(force)
            if force not in self.writers:
                self.writers[force] = pq.ParquetWriter(self._temporary(force), self.schema)
                self.rows[force] = 0
            self.writers[force].write_table(table)
            self.rows[force] += len(part)

    def close(self) -> dict[str, int]:
        """Finish every file; returns cases per force."""
        for force, writer in self.writers.items():
            writer.close()
            os.replace(self._temporary(force), self.folder / f"{force}.parquet")
        self.writers = {}
        return dict(self.rows)

    def abort(self) -> None:
        for force, writer in self.writers.items():
            writer.close()
            self._temporary(force).unlink(missing_ok=True)
        self.writers = {}


def read_cases(folder: str | os.PathLike, forces: Sequence[str] | None = None,
               columns: Sequence[str] | None = None,
               exclude: Sequence[str] = ()) -> pd.DataFrame:
    """The run's validated cases of ``forces`` (all forces when None), forces in the order
    given (all: alphabetical), each force's cases in file order; only ``columns`` when given;
    without the columns in ``exclude``.

    A shared folder written before per-force files (one ``cases.parquet``) is read as it is.
    """
    folder = Path(folder)
    old = folder / OLD_CASES_FILE
    if exclude:
        stored = old if old.exists() else next((folder / CASES_DIR).glob("*.parquet"))
        names = columns if columns is not None else pq.read_schema(stored).names
        columns = [name for name in names if name not in set(exclude)]
    if old.exists():
        return pd.read_parquet(old, columns=None if columns is None else list(columns),
                               filters=None if forces is None
                               else [("force", "in", list(forces))])
    files = (sorted((folder / CASES_DIR).glob("*.parquet")) if forces is None
             else [folder / CASES_DIR / f"{force}.parquet" for force in forces])
    files = [f for f in files if f.exists()]
    if not files:
        template = next((folder / CASES_DIR).glob("*.parquet"))
        return pd.read_parquet(template, columns=None if columns is None
                               else list(columns)).iloc[0:0]
    # split_blocks/self_destruct: the Arrow table is freed column by column as pandas takes it
    # over, instead of both being held in full; then Arrow's allocator hands back what it kept.
    table = pq.read_table(files[0] if len(files) == 1 else [str(f) for f in files],
                          columns=None if columns is None else list(columns))
    cases = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    pa.default_memory_pool().release_unused()
    return cases


def recorded_span(folder: str | os.PathLike) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last recorded date of every force's cases in the run's shared cases (per-force
    files, or the one file of a folder written before them); None without cases.

    Read once per set of files (by path, size and modification time): a report asks ten times
    (year labels, the headline's years), and reading every force's dates took 0.1 s a time."""
    folder = Path(folder)
    old = folder / OLD_CASES_FILE
    files = [old] if old.exists() else sorted((folder / CASES_DIR).glob("*.parquet"))
    stamps = []
    for file in files:
        stat = file.stat()
        stamps.append((str(file), stat.st_size, stat.st_mtime_ns))
    return _span_of(tuple(stamps))


@lru_cache(maxsize=8)
def _span_of(files: tuple[tuple[str, int, int], ...]) -> tuple:
    if not files:
        return None, None
    recorded = pd.concat([pd.read_parquet(path, columns=["recorded_date"])["recorded_date"]
                          for path, _, _ in files], ignore_index=True)
    return (recorded.min(), recorded.max()) if len(recorded) else (None, None)
