"""Reading an extract file as it is: CSV (common encodings and delimiters), Excel and Parquet.

Reading is where a file's own problems are found, before any mapping: duplicate headers, spaces
around headers, wholly empty rows, lines with too many fields, text that is not in the file's
encoding, NUL bytes, Excel formulas never calculated, workbooks with data on several sheets,
and Parquet columns of lists. What stops the file raises :class:`DataValidationError`; what
concerns only some rows stays in their cells (as text the validator flags, or as a
:class:`CellProblem`) so those rows are quarantined, and the rest becomes a note for the report.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataValidationError

READERS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".xlsx": "excel", ".xlsm": "excel"}
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars (|)"}
# A valid UTF-8 multi-byte character. Text in Windows-1252 almost never holds one (it would be
# two odd characters such as "Ã©"), so a file that does, yet fails to decode, mixes encodings.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


@dataclass(frozen=True)
class CellProblem:
    """A cell whose value could not be read from the file, with why (a validation rule name).

    It stays in the cell through mapping, so the row is quarantined for the column it ends up in;
    ``str()`` gives the file's own text for the quarantine table.
    """

    rule: str
    text: str = ""
    whole_row: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass
class Extract:
    """An extract as read: raw columns, where each row is in the file, and what reading noticed.

    Attributes
    ----------
    frame : DataFrame
        The file's columns (headers trimmed), cells as text or as the file's own types.
    row_numbers : ndarray
        Each row's place in the file, as a user finds it: the spreadsheet row (header = 1) for
        CSV and Excel, the 0-based row for Parquet.
    notes : list of str
        What reading changed or noticed, for the validation report (no raw values).
    """

    frame: pd.DataFrame
    row_numbers: np.ndarray
    notes: list[str] = field(default_factory=list)


def read_table(path: str | os.PathLike, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a CSV, Parquet or Excel file as it is (no mapping, no validation).

    Raises :class:`DataValidationError` with the file and the fix when it cannot be read.

    Examples
    --------
    >>> from soteria_research import SAMPLE_CASES
    >>> read_table(SAMPLE_CASES).shape[1]
    38
    """
    return read_extract(path, sheet=sheet).frame


def read_extract(path: str | os.PathLike, *, sheet: str | int | None = None,
                 drop: tuple[str, ...] | list[str] = ()) -> Extract:
    """Read a file into an :class:`Extract`; ``sheet`` picks an Excel sheet by name.

    Columns named in ``drop`` (the mapping's) may hold anything: they are not read into cases.
    """
    path = Path(path)
    if not path.exists():
        raise DataValidationError(f"{path}: no such file. Check the path (and SOTERIA_DATA_DIR).")
    if path.is_dir():
        raise DataValidationError(f"{path} is a folder: give the path of a case file inside it.")
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        hint = (" Old .xls workbooks: open in Excel and save as .xlsx." if path.suffix.lower() == ".xls"
                else "")
        raise DataValidationError(
            f"{path}: cannot read files of type '{path.suffix}'. Save the extract as CSV, "
            f"Parquet (.parquet) or Excel (.xlsx).{hint}"
        )
    if path.stat().st_size == 0:
        raise DataValidationError(f"{path}: the file is empty. Re-run the export.")
    notes: list[str] = []
    try:
        if kind == "parquet":
            frame = _read_parquet(path, drop)
        elif kind == "excel":
            frame = _read_excel(path, sheet, notes)
        else:
            frame = _read_csv(path, notes)
    except DataValidationError:
        raise
    except Exception as error:  # pandas/pyarrow/openpyxl raise many types for a corrupt file
        raise DataValidationError(
            f"{path}: could not be read as {kind} ({type(error).__name__}: {error}). Check that "
            f"the file is a complete {kind} export and that its extension matches its content."
        ) from None
    first_row = 0 if kind == "parquet" else 2
    frame, notes_on_headers = tidy_headers(frame, str(path))
    notes += notes_on_headers
    row_numbers = np.arange(first_row, first_row + len(frame))
    frame, row_numbers = _drop_empty_rows(frame, row_numbers, notes)
    return Extract(frame=frame, row_numbers=row_numbers, notes=notes)


def column_values(path: str | os.PathLike, column: str) -> set[str] | None:
    """The distinct values of one column (as trimmed text), reading that column alone.

    ``None`` when the file has no such column or cannot be read this cheaply; a command uses
    it to refuse a request the data cannot meet (a force with no cases) before any work.

    Examples
    --------
    >>> from soteria_research import SAMPLE_CASES
    >>> sorted(column_values(SAMPLE_CASES, "force"))
    ['city_of_london', 'cumbria', 'durham']
    """
    path = Path(path)
    kind = READERS.get(path.suffix.lower())
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            if column not in pq.read_schema(path).names:
                return None
            values = pd.read_parquet(path, columns=[column])[column]
        elif kind == "csv":
            data = path.read_bytes()[:65_536]
            encoding = _declared_encoding(data)
            head = data.decode(encoding, errors="replace").lstrip("\ufeff")
            values = pd.read_csv(path, sep=_delimiter(head), usecols=lambda c: c.strip() == column,
                                 dtype=str, keep_default_na=False, encoding=encoding,
                                 encoding_errors="replace").iloc[:, 0]
        else:
            values = read_table(path)[column]
    except (KeyError, IndexError, ValueError, OSError):
        return None
    text = values.dropna().astype(str).str.strip()
    return set(text[text != ""].unique())


# --------------------------------------------------------------------------------------------
# Headers and empty rows (every format)
# --------------------------------------------------------------------------------------------
def tidy_headers(frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[str]]:
    """Trim spaces (and a stray byte-order mark) around headers; refuse duplicate headers.

    Examples
    --------
    >>> frame, notes = tidy_headers(pd.DataFrame(columns=["crime_ref", " charge_date "]), "x.csv")
    >>> list(frame.columns), notes
    (['crime_ref', 'charge_date'], ["spaces around header(s) removed: ' charge_date ' read as 'charge_date'"])
    """
    given = ["" if c is None else str(c) for c in frame.columns]
    trimmed = [name.replace("\ufeff", "").strip() for name in given]
    check_duplicate_headers(trimmed, source)
    notes = []
    changed = [(a, b) for a, b in zip(given, trimmed) if a != b]
    if changed:
        notes.append("spaces around header(s) removed: "
                     + ", ".join(f"{a!r} read as {b!r}" for a, b in changed))
    if given != list(frame.columns) or changed:
        frame = frame.set_axis(trimmed, axis=1)
    return frame, notes


def check_duplicate_headers(headers: list[str], source: str) -> None:
    """Raise when a header appears twice (after trimming): which copy is right cannot be known."""
    counts = Counter(h for h in headers if h)
    twice = [h for h, n in counts.items() if n > 1]
    if not twice:
        return
    where = "; ".join(
        f"{h!r} in columns " + ", ".join(_column_letter(i) for i, name in enumerate(headers) if name == h)
        for h in twice
    )
    raise DataValidationError(
        f"{source}: header(s) given more than once: {where}. Which copy is right cannot be known: "
        "delete or rename the extra column(s) and export again."
    )


def _column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _drop_empty_rows(frame: pd.DataFrame, row_numbers: np.ndarray, notes: list[str]):
    # Only rows whose first cell is blank can be empty: test those, not every cell of every row.
    if frame.shape[1] == 0 or len(frame) == 0:
        return frame, row_numbers
    first = frame.iloc[:, 0].to_numpy(dtype=object)
    candidates = np.flatnonzero(pd.isna(first) | (first == ""))
    if len(candidates) == 0:
        return frame, row_numbers
    block = frame.iloc[candidates].astype(object)
    blank = block.isna() | block.apply(lambda c: c.astype(str).str.strip() == "")
    empty = candidates[blank.all(axis=1).to_numpy()]
    if len(empty) == 0:
        return frame, row_numbers
    keep = np.ones(len(frame), dtype=bool)
    keep[empty] = False
    notes.append(f"{len(empty):,} wholly empty row(s) skipped ({_row_ranges(row_numbers[empty])})")
    return frame.loc[keep].reset_index(drop=True), row_numbers[keep]


def _row_ranges(rows: np.ndarray, limit: int = 5) -> str:
    """'rows 4, 9-12' for a sorted array of row numbers."""
    runs, start = [], rows[0]
    for previous, current in zip(rows[:-1], rows[1:]):
        if current != previous + 1:
            runs.append((start, previous))
            start = current
    runs.append((start, rows[-1]))
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs[:limit])
    return "rows " + text + (", ..." if len(runs) > limit else "")


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------
def _read_csv(path: Path, notes: list[str]) -> pd.DataFrame:
    data = path.read_bytes()
    encoding = _declared_encoding(data)
    head = data[:65_536].decode(encoding, errors="replace").lstrip("\ufeff")
    delimiter = _delimiter(head)
    if delimiter != ",":
        notes.append(f"fields separated by {_DELIMITER_NAMES[delimiter]}, not commas")
    try:
        header = next(csv.reader(io.StringIO(head), delimiter=delimiter))
    except StopIteration:
        raise DataValidationError(f"{path}: the file has no header and no rows.") from None
    check_duplicate_headers([h.replace("\ufeff", "").strip() for h in header], str(path))
    options = dict(sep=delimiter, dtype=str, keep_default_na=False, na_filter=False)
    # The fast parser ends a value at a NUL byte (silently cutting an id short); the Python
    # parser keeps it, so the validator can quarantine the row.
    engine = "python" if encoding != "utf-16" and b"\x00" in data else "c"
    if encoding == "utf-8":
        try:
            return _parse_csv(data, path, engine, encoding="utf-8", **options)
        except UnicodeDecodeError:
            if _UTF8_SEQUENCE.search(data):
                notes.append("some text is not UTF-8 although the rest is (a Windows-1252 "
                             "character in a UTF-8 file?): those rows are quarantined as "
                             "bad_encoding, their odd bytes shown as \ufffd")
                return _parse_csv(data, path, engine, encoding="utf-8", encoding_errors="replace",
                                  **options)
            notes.append("read as Windows-1252 text (not UTF-8); save as UTF-8 CSV to be sure "
                         "accented names are read as written")
            encoding = "cp1252"
    try:
        return _parse_csv(data, path, engine, encoding=encoding, **options)
    except UnicodeDecodeError as error:
        raise DataValidationError(
            f"{path}: text is neither UTF-8 nor Windows-1252 ({error}). Save it as UTF-8 CSV."
        ) from None


def _declared_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text"
    return "utf-8"


def _delimiter(head: str) -> str:
    first_line = head.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


def _parse_csv(data: bytes, path: Path, engine: str, **options) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.BytesIO(data), engine=engine, **options)
    except pd.errors.EmptyDataError:
        raise DataValidationError(f"{path}: the file has no header and no rows.") from None
    except pd.errors.ParserError:
        frame = _parse_with_long_lines(data, options)
    return frame


def _parse_with_long_lines(data: bytes, options: dict) -> pd.DataFrame:
    # A line with more fields than the header (a comma inside an unquoted value) keeps its place
    # and every cell holds a CellProblem, so its row is quarantined, never shifted into columns.
    long_lines: list[list[str]] = []
    marker = "\x00soteria-long-line-"

    def keep(fields: list[str]) -> list[str]:
        long_lines.append(fields)
        return [f"{marker}{len(long_lines) - 1}"]

    frame = pd.read_csv(io.BytesIO(data), engine="python", on_bad_lines=keep, **options)
    if not long_lines:
        return frame
    first = frame.iloc[:, 0].to_numpy(dtype=object)
    rows = np.flatnonzero(np.char.startswith(first.astype(str), marker))
    width = frame.shape[1]
    delimiter = options.get("sep", ",")
    for row in rows:
        fields = long_lines[int(str(first[row])[len(marker):])]
        cells = fields[: width - 1] + [delimiter.join(fields[width - 1:])]
        problem = [CellProblem("wrong_field_count", text, whole_row=True) for text in cells]
        frame.iloc[row] = pd.Series(problem, index=frame.columns, dtype=object)
    return frame


# --------------------------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------------------------
def _read_excel(path: Path, sheet: str | int | None, notes: list[str]) -> pd.DataFrame:
    import openpyxl

    if not zipfile.is_zipfile(path):
        raise DataValidationError(
            f"{path}: could not be read as excel: it is not an .xlsx workbook (an older .xls, or a "
            "CSV renamed .xlsx?). Open it in Excel and save as .xlsx, or export CSV."
        )
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = {ws.title: [row for row in ws.iter_rows(values_only=True)] for ws in workbook.worksheets}
    finally:
        workbook.close()
    name = _choose_sheet(sheets, sheet, path, notes)
    rows = sheets[name]
    formulas = _uncalculated_formulas(path, name) if _has_formulas(path) else {}
    header = ["" if v is None else str(v) for v in rows[0]] if rows else []
    width = max((len(r) for r in rows), default=0)
    header += [""] * (width - len(header))
    body = [list(r) + [None] * (width - len(r)) for r in rows[1:]]
    for (row, column), formula in formulas.items():
        if 1 <= row < len(rows) and body[row - 1][column] is None:
            body[row - 1][column] = CellProblem("formula_not_calculated", formula)
    if formulas:
        notes.append(
            f"{len(formulas):,} cell(s) hold formulas that were never calculated (the workbook "
            "was written by a program and not opened in Excel), so they have no value: their "
            "rows are quarantined. Open the workbook in Excel, save it, and read it again."
        )
    frame = pd.DataFrame(body, columns=range(width), dtype=object)
    unnamed = [i for i, h in enumerate(header) if not h.strip()]
    empty_unnamed = [i for i in unnamed if frame[i].isna().all()]
    frame = frame.drop(columns=empty_unnamed)
    frame.columns = [header[i] if header[i].strip() else f"(column {_column_letter(i)})"
                     for i in frame.columns]
    return frame


def _choose_sheet(sheets: dict[str, list[tuple]], sheet, path: Path, notes: list[str]) -> str:
    if sheet is not None:
        wanted = str(sheet)
        if wanted not in sheets:
            raise DataValidationError(
                f"{path}: no sheet named {wanted!r}; the workbook has "
                + ", ".join(repr(s) for s in sheets) + ". Correct `sheet:` in the mapping."
            )
        return wanted
    filled = {name: rows for name, rows in sheets.items() if _data_rows(rows)}
    if not filled:
        return next(iter(sheets))
    first = next(iter(filled))
    first_header = _header_set(filled[first])
    with_cases = [name for name, rows in filled.items()
                  if len(_header_set(rows) & first_header) >= max(1, len(first_header) // 2)]
    if len(with_cases) > 1:
        listing = ", ".join(f"{name!r} ({_data_rows(filled[name]):,} rows)" for name in with_cases)
        raise DataValidationError(
            f"{path}: the workbook has case data on {len(with_cases)} sheets: {listing}. Only one "
            "sheet is read, so say which with `sheet: <name>` in the mapping (or --mapping), or "
            "put all rows on one sheet."
        )
    others = [name for name in sheets if name != first]
    if others:
        notes.append(f"read sheet {first!r}; not read: " + ", ".join(repr(s) for s in others)
                     + " (no case data there)")
    return first


def _data_rows(rows: list[tuple]) -> int:
    return sum(1 for row in rows[1:] if any(v is not None and str(v).strip() for v in row))


def _header_set(rows: list[tuple]) -> set[str]:
    return {str(v).strip().lower() for v in rows[0] if v is not None and str(v).strip()} if rows else set()


def _has_formulas(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return any(re.search(rb"<f[ >/]", archive.read(name))
                   for name in archive.namelist()
                   if name.startswith("xl/worksheets/") and name.endswith(".xml"))


def _uncalculated_formulas(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """(row, column) -> formula text, 0-based, of formula cells without a calculated value."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    cached = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        out = {}
        for r, (formula_row, value_row) in enumerate(zip(workbook[sheet].iter_rows(values_only=True),
                                                         cached[sheet].iter_rows(values_only=True))):
            for c, (formula, value) in enumerate(zip(formula_row, value_row)):
                text = formula if isinstance(formula, str) else getattr(formula, "text", None)
                if value is None and isinstance(text, str) and text.startswith("="):
                    out[(r, c)] = text
        return out
    finally:
        workbook.close()
        cached.close()


# --------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------
def _read_parquet(path: Path, drop) -> pd.DataFrame:
    _read_parquet_schema_checks(path, drop)
    return pd.read_parquet(path)


def _read_parquet_schema_checks(path: Path, drop) -> None:
    """Refuse a Parquet file with duplicate headers or nested (list, record) columns."""
    import pyarrow.parquet as pq
    import pyarrow.types as pt

    schema = pq.read_schema(path)
    check_duplicate_headers([n.strip() for n in schema.names], str(path))
    nested = [f"{f.name!r} ({f.type})" for f in schema
              if (pt.is_nested(f.type)) and f.name not in set(drop)]
    if nested:
        raise DataValidationError(
            f"{path}: column(s) {', '.join(nested)} hold lists or records, not one value per "
            "cell. Flatten them to one value per cell (one row per crime per victim), or drop "
            "them in the mapping (`drop: [name]`)."
        )
