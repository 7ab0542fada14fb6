"""Read a force extract (CSV, Parquet, Excel), map it to the dictionary, validate, quarantine.

Every input row ends up either in the canonical ``cases`` frame or in the quarantine table with
its reasons: ``n_input == n_valid + n_quarantined``, always (wholly empty rows are skipped
and counted in the report's notes).

Reading (:mod:`.reading`) finds a file's own problems; column names are checked against the
dictionary (:mod:`.column_names`), so a header spelled a little differently is never silently
dropped. Field rules (type, required, code list, range, placeholders, characters that cannot be
right) and cross-field rules (date order, outcome/suspect consistency, duplicates) are
vectorised over distinct values and collected in one pass, so a user sees every problem of a
file at once. The same rules exist as a pandera schema (:func:`case_schema`) for frames built
by hand.

A date column none of whose values (at least three) can be read in its format is a wrong
format — raised for the whole file — only when one other common format reads every value; the
error names that format. Otherwise its unreadable values quarantine their rows.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc

from ..errors import DataValidationError, ParameterError
from .column_names import check_columns
from .dates import (
    EXCEL_SERIAL,
    ISO_DATE,
    calendar_dates,
    describe_format,
    excel_serial_date,
    excel_serials,
    formats_that_read,
    parse_dates,
)
from .dictionary import DataDictionary, load_dictionary
from .mapping import apply_mapping, date_formats_for, flag_words_for, load_mapping
from .reading import CellProblem, read_extract, read_table, tidy_headers
from .spreadsheet_safe import write_csv

__all__ = ["ValidationReport", "case_schema", "read_cases", "read_table", "validate_cases"]

TRUE_VALUES = {"true", "t", "yes", "y", "1"}
FALSE_VALUES = {"false", "f", "no", "n", "0"}
#: Excel's error values other than #N/A (which means "not available", a missing value): each is
#: a formula that broke, so the true value is not known and the row is quarantined.
SPREADSHEET_ERRORS = ("#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
                      "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!")
# C0 and C1 control characters (NUL included) and the DEL character: never part of a code, an id
# or a date; C1 characters are also what Windows-1252 text read as Latin-1 turns into.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Rules a file's row breaks as a whole rather than in one column.
ROW_COLUMN = "(row)"
#: Per-cell rules for values that cannot be read at all (besides ``bad_<type>``); the cell then
#: counts as empty, and is not reported again as a missing required value.
VALUE_RULES = ("control_character", "bad_encoding", "spreadsheet_error", "formula_not_calculated",
               "excel_serial_date", "wrong_field_count")

# Outcomes whose meaning says whether a suspect was identified (docs/domain.md §2).
NO_SUSPECT_OUTCOMES = ("14", "18")
SUSPECT_OUTCOMES = ("1", "1A", "15", "16")
CHARGE_OUTCOMES = ("1", "1A")
SUSPECT_STAGES = ("arrest_date", "interview_date", "file_to_cps_date", "charge_date")


# --------------------------------------------------------------------------------------------
# The validation report
# --------------------------------------------------------------------------------------------
@dataclass
class ValidationReport:
    """What happened to every input row.

    Attributes
    ----------
    source : str
        The file (or ``"<DataFrame>"``) that was validated.
    n_input, n_valid, n_quarantined : int
        Rows read, accepted and quarantined; ``n_input == n_valid + n_quarantined``.
    rule_counts : DataFrame
        One row per (rule, column): how many rows broke it. Counts only, safe to show.
    quarantine : DataFrame
        Each rejected row (dictionary columns as given) with ``source_row`` and ``reasons``.
        It holds raw values: keep it with the raw data, never in a report.
    extra_columns : list of str
        Input columns that are not in the dictionary; they were dropped.
    notes : list of str
        What reading changed or noticed (headers trimmed, empty rows skipped, encoding,
        delimiter, formulas, other date formats). No raw values.
    """

    source: str
    n_input: int
    n_valid: int
    n_quarantined: int
    rule_counts: pd.DataFrame
    quarantine: pd.DataFrame
    extra_columns: list[str] = field(default_factory=list)
    dictionary_version: str = ""
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.n_input != self.n_valid + self.n_quarantined:  # the one invariant: never lose a row
            raise AssertionError(
                f"rows in ({self.n_input}) != accepted ({self.n_valid}) + quarantined ({self.n_quarantined})"
            )

    @property
    def ok(self) -> bool:
        return self.n_quarantined == 0

    def summary(self) -> str:
        """A plain-text summary: counts, notes and the rules broken (no raw values)."""
        lines = [
            f"source: {self.source}",
            f"data dictionary: v{self.dictionary_version}",
            f"rows read: {self.n_input:,}  accepted: {self.n_valid:,}  quarantined: {self.n_quarantined:,}",
        ]
        lines += [f"note: {note}" for note in self.notes]
        if self.extra_columns:
            lines.append(f"columns not in the dictionary (dropped): {', '.join(self.extra_columns)}")
        if len(self.rule_counts):
            lines.append("rows breaking each rule:")
            for row in self.rule_counts.itertuples(index=False):
                lines.append(f"  {row.rule:<28} {row.column:<26} {row.n_rows:>9,}")
        return "\n".join(lines)

    def write_quarantine(self, path: str | os.PathLike) -> Path:
        """Write the quarantined rows with their reasons (CSV or Parquet by extension).

        The CSV is safe to open in a spreadsheet (see
        :func:`~soteria_research.data.spreadsheet_safe.write_csv`). The validated file itself
        is never overwritten.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from soteria_research import read_cases, SAMPLE_CASES
        >>> _, report = read_cases(SAMPLE_CASES)
        >>> report.write_quarantine(pathlib.Path(tempfile.mkdtemp()) / "quarantine.csv").name
        'quarantine.csv'
        >>> report.write_quarantine(SAMPLE_CASES)
        Traceback (most recent call last):
        ...
        soteria_research.errors.ParameterError: ...is the file that was validated: ...
        """
        path = Path(path)
        source = Path(self.source)
        if source.exists() and path.exists() and os.path.samefile(source, path):
            raise ParameterError(
                f"{path} is the file that was validated: writing the quarantine there would "
                f"replace the data. Choose another file, e.g. {source.stem}_quarantine.csv."
            )
        if path.is_dir():
            raise ParameterError(f"{path} is a folder: give a file name for the quarantine.")
        if not path.parent.is_dir():
            raise ParameterError(f"{path}: the folder {path.parent} does not exist; create it first.")
        if path.suffix.lower() in (".parquet", ".pq"):
            self.quarantine.to_parquet(path, index=False)
        else:
            write_csv(self.quarantine, path)
        return path


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------
def read_cases(
    path: str | os.PathLike,
    *,
    mapping: str | os.PathLike | dict | None = None,
    extract_date: str | pd.Timestamp | None = None,
    sheet: str | None = None,
) -> tuple[pd.DataFrame, ValidationReport]:
    """Read a case file, map it to the dictionary, validate it and quarantine bad rows.

    Parameters
    ----------
    path : path
        CSV (UTF-8, UTF-8 with BOM, UTF-16 or Windows-1252; commas, semicolons, tabs or bars),
        Parquet or Excel (.xlsx).
    mapping : path or dict, optional
        A YAML mapping from a force's own export to the canonical columns (keys such as
        ``columns``, ``values``, ``date_format``, ``drop``, ``sheet``); see
        ``synthetic_data/rms_export_mapping.yaml``.
    extract_date : date, optional
        The extract date, for files that do not carry an ``extract_date`` column (it also
        fills blanks in one that does).
    sheet : str, optional
        The Excel sheet to read (default the mapping's ``sheet``; without one, a workbook with
        case data on more than one sheet is refused rather than half read).

    Returns
    -------
    cases : DataFrame
        The accepted rows, typed as the dictionary says.
    report : ValidationReport
        Counts per rule, the quarantined rows with their reasons, and notes on the file.

    Examples
    --------
    >>> from soteria_research import read_cases, SAMPLE_CASES
    >>> cases, report = read_cases(SAMPLE_CASES)
    >>> report.n_input == report.n_valid + report.n_quarantined
    True
    """
    path = Path(path)
    spec = load_mapping(mapping)
    extract = read_extract(path, sheet=sheet if sheet is not None else spec.get("sheet"),
                           drop=tuple(spec.get("drop") or ()))
    raw = apply_mapping(extract.frame, spec, source=str(path))
    return _validate(raw, extract_date=extract_date, source=str(path), mapping=spec,
                     row_numbers=extract.row_numbers, notes=extract.notes, owned=True)


def validate_cases(
    frame: pd.DataFrame,
    *,
    extract_date: str | pd.Timestamp | None = None,
    source: str = "<DataFrame>",
    mapping: dict | None = None,
    header_rows: int = 0,
) -> tuple[pd.DataFrame, ValidationReport]:
    """Validate a DataFrame that already has the canonical column names.

    Same result as :func:`read_cases`; ``source_row`` in the quarantine is the 0-based
    position in ``frame`` (plus ``header_rows`` + 1 when ``header_rows`` is given).

    Examples
    --------
    >>> import pandas as pd
    >>> from soteria_research import validate_cases, SAMPLE_CASES
    >>> cases, report = validate_cases(pd.read_csv(SAMPLE_CASES, dtype=str))
    >>> report.n_quarantined
    0
    """
    first = header_rows + 1 if header_rows else 0
    return _validate(frame, extract_date=extract_date, source=source, mapping=mapping,
                     row_numbers=np.arange(first, first + len(frame)), notes=[])


def _validate(frame, *, extract_date, source, mapping, row_numbers, notes, duplicates=None,
              date_checks=None, owned=False):
    # ``duplicates`` (failures found over the whole file) and ``date_checks`` (a list that
    # collects the wrong-format rule's counts instead of applying it) let :mod:`.chunked`
    # validate a file part by part and apply the whole-file rules once. ``owned``: ``frame``
    # was read here from a file, so the cases may share its data (no defensive copy).
    dictionary = load_dictionary()
    mapping = mapping or {}
    frame, header_notes = tidy_headers(frame, source)
    notes = list(notes) + header_notes
    if len(frame) == 0:
        raise DataValidationError(
            f"{source}: the file has a header but no rows. Check that the export finished and "
            "that the right sheet or file was chosen."
        )
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        frame = frame.set_axis(pd.RangeIndex(len(frame)), axis=0)
    frame = _fill_extract_date(frame, extract_date, source)
    check_columns(frame, dictionary, source)
    extra = [c for c in frame.columns if c not in dictionary.field_names]

    typed, failures = _coerce_types(frame, dictionary, mapping, source, notes, date_checks)
    failures += _field_failures(typed, dictionary)
    failures += _cross_field_failures(typed, dictionary)
    failures += _duplicate_failures(typed.frame) if duplicates is None else [duplicates]

    failed = pd.concat(failures, ignore_index=True) if failures else _empty_failures()
    failed = _drop_consequential(failed)
    bad_positions = np.unique(failed["position"].to_numpy())
    accepted = np.ones(len(frame), dtype=bool)
    accepted[bad_positions] = False

    cases = _derive(typed, accepted, dictionary, owned=owned)
    quarantine = _quarantine_table(frame, dictionary, failed, bad_positions, row_numbers)
    rule_counts = (
        failed.drop_duplicates(["position", "rule", "column"])
        .groupby(["rule", "column"], sort=True).size().rename("n_rows").reset_index()
        .sort_values(["n_rows", "rule"], ascending=[False, True], ignore_index=True)
    )
    report = ValidationReport(
        source=source, n_input=len(frame), n_valid=int(accepted.sum()),
        n_quarantined=int((~accepted).sum()), rule_counts=rule_counts, quarantine=quarantine,
        extra_columns=extra, dictionary_version=dictionary.version, notes=notes,
    )
    return cases, report


def case_schema(dictionary: DataDictionary | None = None) -> pa.DataFrameSchema:
    """The pandera schema of a typed case frame, built from the data dictionary.

    It checks types, required fields, code lists and ranges column by column; the cross-field
    rules live in :func:`validate_cases`. Use it on frames you build yourself::

        case_schema().validate(cases, lazy=True)

    Examples
    --------
    >>> schema = case_schema()
    >>> "outcome_code" in schema.columns
    True
    """
    dictionary = dictionary or load_dictionary()
    columns = {}
    for f in dictionary.fields:
        checks = []
        if f.categories:
            checks.append(pa.Check.isin(list(f.allowed_values), name="unknown_code"))
        if f.type == "integer" and (f.minimum is not None or f.maximum is not None):
            checks.append(pa.Check.in_range(f.minimum, f.maximum, name="out_of_range"))
        if f.type == "date" and f.minimum is not None:
            checks.append(pa.Check.ge(pd.Timestamp(f.minimum), name="out_of_range"))
        columns[f.name] = pa.Column(
            _PANDERA_DTYPES[f.type], checks=checks, nullable=not f.required,
            required=not f.derived, coerce=False,
        )
    return pa.DataFrameSchema(columns, strict=False, ordered=False)


_PANDERA_DTYPES = {"string": object, "date": "datetime64[ns]", "integer": "Int64", "boolean": bool}


# --------------------------------------------------------------------------------------------
# Checks that stop the whole file
# --------------------------------------------------------------------------------------------
def _fill_extract_date(frame: pd.DataFrame, extract_date, source: str) -> pd.DataFrame:
    if extract_date is None:
        return frame
    try:
        stamp = pd.Timestamp(extract_date)
    except (ValueError, TypeError):
        raise DataValidationError(
            f"{source}: extract_date {extract_date!r} is not a date; give it as YYYY-MM-DD."
        ) from None
    frame = frame.copy()
    if "extract_date" not in frame.columns:
        frame["extract_date"] = stamp
    else:
        blank = frame["extract_date"].isna() | (frame["extract_date"].astype(str).str.strip() == "")
        frame["extract_date"] = frame["extract_date"].astype(object).where(~blank, stamp.strftime(ISO_DATE))
    return frame


def _wrong_date_format(source: str, name: str, fmt: str, formats: list[str], example) -> DataValidationError:
    if formats == [EXCEL_SERIAL]:
        return DataValidationError(
            f"{source}: column '{name}': every value is a number such as {example!r}, which is how "
            f"Excel stores a date (it is {excel_serial_date(example)}) when the cell is not formatted "
            "as a date. In Excel, format the column as Date (or export the dates as text, "
            "YYYY-MM-DD) and read the file again."
        )
    reads = " and ".join(describe_format(f) for f in formats)
    choose = (" Both read every value, so check which the export uses (UK systems write the day "
              "first) and give that one." if len(formats) > 1 else "")
    return DataValidationError(
        f"{source}: column '{name}': no value is a date in the format {fmt!r} (first value: "
        f"{example!r}), but every value reads as {reads}.{choose} Give the file's date format in "
        f"a mapping file: `date_format: \"{formats[0]}\"` (all date columns) or "
        f"`date_formats: {{{name}: \"{formats[0]}\"}}` (this column only)."
    )


# --------------------------------------------------------------------------------------------
# Typing: text -> dictionary types, recording what could not be read
# --------------------------------------------------------------------------------------------
def _failures(positions: np.ndarray, column: str, rule: str, values) -> pd.DataFrame:
    return pd.DataFrame({
        "position": positions.astype(np.int64),
        "column": column,
        "rule": rule,
        "value": pd.Series(values, dtype=object).astype(str).to_numpy() if len(positions) else [],
    })


def _empty_failures() -> pd.DataFrame:
    return _failures(np.array([], dtype=np.int64), "", "", [])


_NO_FAILURES = _empty_failures()


def _placeholders(tokens: tuple[str, ...]) -> list[str]:
    """The dictionary's missing-value tokens as written, lower, UPPER and Capitalised."""
    variants = {v for t in tokens for v in (t, t.lower(), t.upper(), t[:1].upper() + t[1:].lower())}
    return sorted(variants | {""})


def _text_problem(value) -> str | None:
    """Why a cell's value cannot be right, whatever the field, or None."""
    if isinstance(value, CellProblem):
        return value.rule
    if not isinstance(value, str):
        return None
    if "\ufffd" in value:  # a byte the file's encoding could not read
        return "bad_encoding"
    if _CONTROL.search(value):
        return "control_character"
    if value in _SPREADSHEET_ERRORS:
        return "spreadsheet_error"
    return None


_SPREADSHEET_ERRORS = frozenset(SPREADSHEET_ERRORS) | {e.lower() for e in SPREADSHEET_ERRORS}


def _distinct_text(raw: pd.Series, missing_values: list[str], column: str, source: str):
    """Factorise a column and clean only its distinct values (fast: exports repeat a lot).

    Returns (codes, cleaned distinct values as an object array with NaN for missing and for
    problems, the distinct values as given, the problem rule of each distinct value or None).
    Position i of the column is ``cleaned[codes[i]]``; code -1 means the cell was empty.
    """
    try:
        codes, uniques = pd.factorize(raw.astype(object), use_na_sentinel=True)
    except TypeError:  # lists, dicts or arrays in cells: not one value per cell
        raise DataValidationError(
            f"{source}: column '{column}' holds lists or records, not one value per cell. "
            "Flatten it to one value per cell (one row per crime per victim)."
        ) from None
    uniques = np.asarray(uniques, dtype=object)
    if pd.api.types.infer_dtype(uniques, skipna=True) in ("string", "empty"):
        trimmed = pc.utf8_trim_whitespace(pa_arrow.array(uniques, type=pa_arrow.string()))
        cleaned = np.asarray(trimmed.to_numpy(zero_copy_only=False), dtype=object)
    else:  # Excel cells hold numbers and dates as well as text
        cleaned = np.array([_code_text(v) for v in uniques], dtype=object)
    problems = np.array([_text_problem(v) for v in cleaned], dtype=object)
    blank = pd.isna(cleaned) | np.isin(cleaned, missing_values) | pd.notna(problems)
    cleaned[blank] = np.nan
    return codes, cleaned, uniques, problems


def _clean_free_text(raw: pd.Series, missing_values: list[str]):
    """Trim an id column, blank its placeholders and find odd characters, in Arrow.

    Returns (cleaned column, {rule: row positions}, not-missing mask) or None when the column
    is not all text.
    Ids are mostly distinct, so this avoids factorising them.
    """
    values = raw.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return None
    arrow = pa_arrow.array(values, type=pa_arrow.string(), from_pandas=True)
    trimmed = pc.utf8_trim_whitespace(arrow)
    blank = pc.fill_null(pc.is_in(trimmed, value_set=pa_arrow.array(missing_values + sorted(_SPREADSHEET_ERRORS))), False)
    odd = pc.fill_null(pc.invert(pc.ascii_is_printable(trimmed)), False)
    problems: dict[str, np.ndarray] = {}
    if pc.any(blank).as_py() or pc.any(odd).as_py():
        suspects = np.flatnonzero(np.logical_or(blank.to_numpy(zero_copy_only=False),
                                                odd.to_numpy(zero_copy_only=False)))
        texts = pc.take(trimmed, pa_arrow.array(suspects)).to_pylist()
        rules = np.array([_text_problem(t) for t in texts], dtype=object)
        for rule in {r for r in rules if r is not None}:
            problems[rule] = suspects[rules == rule]
        if problems:
            flagged = np.zeros(len(values), dtype=bool)
            flagged[np.concatenate(list(problems.values()))] = True
            blank = pc.or_(blank, pa_arrow.array(flagged))
    dirty = pc.any(pc.or_(pc.not_equal(trimmed, arrow), blank)).as_py()
    if not dirty:  # already clean: keep the column as it is, no new string objects
        present = arrow.is_valid().to_numpy(zero_copy_only=False)
        out = values if present.all() else np.where(present, values, np.nan)
        return pd.Series(out, index=raw.index, dtype=object), problems, present
    cleaned = pc.if_else(blank, pa_arrow.scalar(None, pa_arrow.string()), trimmed)
    present = cleaned.is_valid().to_numpy(zero_copy_only=False)
    # Keep the given strings and make new ones only where trimming changed a value: turning
    # the whole Arrow column back into Python strings cost ~0.3 s a column on 1,000,000 rows.
    out = np.where(present, values, np.nan)
    changed = np.flatnonzero(present & pc.fill_null(pc.not_equal(trimmed, arrow), False)
                             .to_numpy(zero_copy_only=False))
    if len(changed):
        out[changed] = np.asarray(pc.take(trimmed, pa_arrow.array(changed)).to_pylist(), dtype=object)
    return pd.Series(out, index=raw.index, dtype=object), problems, present


def _spread(codes: np.ndarray, distinct: np.ndarray, fill) -> np.ndarray:
    # Map per-distinct-value results back to rows; code -1 (empty cell) takes `fill`.
    lookup = np.append(distinct, np.array([fill], dtype=distinct.dtype))
    return lookup[codes]


def _problem_failures(raw: pd.Series, column: str, codes, problems) -> list[pd.DataFrame]:
    out = []
    for rule in {p for p in problems if p is not None}:
        rows = np.flatnonzero(np.isin(codes, np.flatnonzero(problems == rule)))
        whole_row = rule == "wrong_field_count"
        out.append(_failures(rows, ROW_COLUMN if whole_row else column, rule, raw.iloc[rows]))
    return out


@dataclass
class _TypedCases:
    """Typed columns plus what typing already knows, so the rules need not work it out again.

    ``present`` holds each column's not-missing mask and ``factors`` the (codes, distinct
    values) of factorised columns: on a million rows, ``notna`` and ``isin`` over object columns
    cost more than all the rules together.
    """

    frame: pd.DataFrame
    present: dict[str, np.ndarray]
    factors: dict[str, tuple[np.ndarray, np.ndarray]]

    def __getitem__(self, name: str) -> pd.Series:
        return self.frame[name]

    def has(self, name: str) -> np.ndarray:
        if name not in self.present:
            self.present[name] = self.frame[name].notna().to_numpy()
        return self.present[name]

    def isin(self, name: str, values) -> np.ndarray:
        if name in self.factors:
            codes, distinct = self.factors[name]
            return _spread(codes, np.isin(distinct, list(values)), False)
        return self.frame[name].isin(list(values)).to_numpy()

    def mapped(self, name: str, table: dict, rows: np.ndarray | None = None) -> np.ndarray:
        """``name`` mapped through ``table`` (NaN where absent), for ``rows`` (a mask) or all."""
        codes, distinct = self.factors[name]
        looked_up = np.array([table.get(v, np.nan) if isinstance(v, str) else np.nan
                              for v in distinct], dtype=object)
        return _spread(codes if rows is None else codes[rows], looked_up, np.nan)


def _coerce_types(frame, dictionary, mapping, source, notes,
                  date_checks=None) -> tuple[_TypedCases, list[pd.DataFrame]]:
    columns: dict[str, object] = {}
    present: dict[str, np.ndarray] = {}
    factors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    failures: list[pd.DataFrame] = []
    date_formats = date_formats_for(mapping, dictionary.date_fields, default=ISO_DATE)
    n = len(frame)
    for f in dictionary.fields:
        if f.name not in frame.columns:
            if not f.derived:  # optional field absent: all missing
                columns[f.name] = pd.Series(
                    pd.NaT if f.type == "date" else (pd.NA if f.type == "integer" else np.nan),
                    index=frame.index, dtype=_PANDERA_DTYPES.get(f.type, object),
                )
                present[f.name] = np.zeros(n, dtype=bool)
            continue
        raw = frame[f.name]
        if _already_typed(raw, f.type):
            columns[f.name] = _typed_as_is(raw, f.type)
            continue
        missing_values = _placeholders(dictionary.missing_values_for(f.name))
        if f.type == "string" and not f.categories:
            text = _clean_free_text(raw, missing_values)
            if text is not None:  # ids: mostly distinct values, cleaned without factorising
                columns[f.name], problems, present[f.name] = text
                for rule, rows in problems.items():
                    failures.append(_failures(rows, f.name, rule, raw.iloc[rows]))
                continue
        codes, cleaned, given, problems = _distinct_text(raw, missing_values, f.name, source)
        failures += _problem_failures(raw, f.name, codes, problems)
        rule = f"bad_{f.type}"
        if f.type == "date":
            parsed, bad = parse_dates(cleaned, date_formats[f.name])
            values = pd.Series(_spread(codes, parsed, np.datetime64("NaT", "ns")), index=frame.index)
            _check_date_format(f.name, date_formats[f.name], codes, cleaned, given, bad, source, notes,
                               date_checks)
            serial = bad & excel_serials(cleaned)
            if serial.any():
                row_serial = _spread(codes, serial, False)
                failures.append(_failures(np.flatnonzero(row_serial), f.name, "excel_serial_date",
                                          raw[row_serial]))
                bad = bad & ~serial
        elif f.type == "integer":
            numbers = pd.to_numeric(pd.Series(cleaned, dtype=object), errors="coerce").to_numpy(dtype=float)
            bad = (np.isnan(numbers) & pd.notna(cleaned)) | (~np.isnan(numbers) & (numbers != np.round(numbers)))
            numbers[bad] = np.nan
            values = pd.Series(_spread(codes, numbers, np.nan), index=frame.index).astype("Int64")
        elif f.type == "boolean":
            true_values, false_values = flag_words_for(mapping, f.name)
            true_values, false_values = TRUE_VALUES | true_values, FALSE_VALUES | false_values
            lowered = np.array([str(v).lower() for v in cleaned], dtype=object)
            truth = np.where(np.isin(lowered, list(true_values)), True,
                             np.where(np.isin(lowered, list(false_values)), False, None)).astype(object)
            truth[pd.isna(cleaned)] = None  # a missing flag is a missing value (reported), not False
            bad = pd.notna(cleaned) & pd.isna(truth)
            # Flags are kept as bool; a missing one is False here and absent in `present`, which
            # the required-field rule reads, so it is quarantined, never read as False.
            present[f.name] = _spread(codes, pd.notna(truth), False)
            values = pd.Series(_spread(codes, truth == True, False), index=frame.index, dtype=bool)  # noqa: E712
        else:
            if f.name in ("outcome_code", "offence_code"):
                cleaned = _normalise_home_office_code(cleaned, zero_is_missing=f.name == "outcome_code")
            bad = np.zeros(len(cleaned), dtype=bool)
            values = pd.Series(_spread(codes, cleaned, np.nan), index=frame.index, dtype=object)
            present[f.name] = _spread(codes, pd.notna(cleaned), False)
            factors[f.name] = (codes, cleaned)
        if bad.any():
            row_bad = _spread(codes, bad, False)
            positions = np.flatnonzero(row_bad)
            failures.append(_failures(positions, f.name, rule, raw.iloc[positions]))
        columns[f.name] = values
    # concat keeps one block per column: consolidating 38 columns of 1,000,000 rows into a few
    # 2-D blocks costs more than all the checks that follow.
    typed = pd.concat([pd.Series(v, index=frame.index, name=k) if not isinstance(v, pd.Series)
                       else v.rename(k, copy=False) for k, v in columns.items()], axis=1, copy=False)
    assert len(typed) == n
    return _TypedCases(typed, present, factors), failures


def _check_date_format(name, fmt, codes, cleaned, given, bad, source, notes,
                       date_checks=None) -> None:
    """The wrong-format rule: raise, note another format, or leave the rows to quarantine.

    With ``date_checks`` (a list) the counts are appended there and the rule is left to the
    caller, which sees the whole file (:func:`apply_date_format_rule`).
    """
    if not bad.any() and date_checks is None:
        return
    used = np.bincount(codes[codes >= 0], minlength=len(cleaned))
    n_bad = int(used[bad].sum())
    n_present = int(used[pd.notna(cleaned)].sum())
    formats = formats_that_read(cleaned[bad])
    if date_checks is not None:
        date_checks.append({"name": name, "fmt": fmt, "n_bad": n_bad, "n_present": n_present,
                            "formats": formats, "example": given[bad][0] if bad.any() else None})
        return
    apply_date_format_rule(name, fmt, n_bad, n_present, formats,
                           given[bad][0], source, notes)


def apply_date_format_rule(name, fmt, n_bad, n_present, formats, example, source, notes) -> None:
    """Raise for a wrong format (every value unreadable, another format reads them all), or
    note the other format; see the module docstring."""
    if n_bad == 0:
        return
    if n_bad >= 3 and n_bad == n_present and formats:
        raise _wrong_date_format(source, name, fmt, formats, example)
    if formats:
        notes.append(f"{n_bad:,} unreadable {name} value(s) would all read as "
                     f"{' or '.join(describe_format(f) for f in formats)}: a second date format "
                     "in the file? Their rows are quarantined.")


def _already_typed(raw: pd.Series, kind: str) -> bool:
    if kind == "date":
        return pd.api.types.is_datetime64_any_dtype(raw.dtype)
    if kind == "boolean":
        return raw.dtype == bool
    if kind == "integer":
        return pd.api.types.is_integer_dtype(raw.dtype)
    return False


def _typed_as_is(raw: pd.Series, kind: str) -> pd.Series:
    if kind == "date":
        return calendar_dates(raw)
    if kind == "integer":
        return raw.astype("Int64")
    return raw


def _code_text(value) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, CellProblem) or hasattr(value, "year"):
        return value  # a problem to report, or a date cell for the date parser
    if isinstance(value, (int, float, np.integer, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _normalise_home_office_code(cleaned: np.ndarray, *, zero_is_missing: bool) -> np.ndarray:
    # Home Office codes are case-insensitive and exports pad them: "01" -> "1", "1a" -> "1A".
    text = pd.Series(cleaned, dtype=object)
    upper = text.str.upper().str.replace(r"^0+(?=\d)", "", regex=True)
    if zero_is_missing:
        upper = upper.where(upper != "0")  # 0 means no outcome yet: open
    return upper.where(text.notna()).to_numpy(dtype=object)


# --------------------------------------------------------------------------------------------
# Field rules (pandera) and cross-field rules (masks)
# --------------------------------------------------------------------------------------------
def _field_failures(typed: _TypedCases, dictionary: DataDictionary) -> list[pd.DataFrame]:
    # The same rules as case_schema(), as plain masks: pandera's per-column machinery alone took
    # longer than reading a 1,000,000-row file, and the ingest budget is 3x the bare read.
    out = []
    for f in dictionary.fields:
        if f.derived or f.name not in typed.frame:
            continue
        values = typed[f.name]
        if f.required:
            out.append(_mask_failures(~typed.has(f.name), f.name, "missing_required", typed))
        if f.categories and f.name in typed.factors:
            codes, distinct = typed.factors[f.name]
            unknown = pd.notna(distinct) & ~np.isin(distinct, list(f.allowed_values))
            if unknown.any():
                out.append(_mask_failures(_spread(codes, unknown, False), f.name, "unknown_code", typed))
        elif f.categories:
            unknown = typed.has(f.name) & ~values.isin(list(f.allowed_values)).to_numpy()
            out.append(_mask_failures(unknown, f.name, "unknown_code", typed))
        if f.type == "integer":
            low = values < f.minimum if f.minimum is not None else False
            high = values > f.maximum if f.maximum is not None else False
            out.append(_mask_failures(pd.Series(low | high, index=values.index).fillna(False).astype(bool), f.name, "out_of_range", typed))
        if f.type == "date" and f.minimum is not None:
            out.append(_mask_failures(values < pd.Timestamp(f.minimum), f.name, "out_of_range", typed))
    return [frame for frame in out if len(frame)]


def _mask_failures(mask, column: str, rule: str, typed: _TypedCases) -> pd.DataFrame:
    if isinstance(mask, pd.Series):
        mask = mask.fillna(False).to_numpy(dtype=bool)
    positions = np.flatnonzero(mask)
    if len(positions) == 0:  # the usual case: skip building a frame (most rules pass)
        return _NO_FAILURES
    values = typed[column].iloc[positions] if column in typed.frame else [""] * len(positions)
    return _failures(positions, column, rule, values)


def _drop_consequential(failed: pd.DataFrame) -> pd.DataFrame:
    # A value that could not be read is then missing: report it once, as unreadable.
    unreadable = failed.loc[failed["rule"].str.startswith("bad_") | failed["rule"].isin(VALUE_RULES),
                            ["position", "column"]]
    if unreadable.empty:
        return failed
    keys = pd.MultiIndex.from_frame(unreadable)
    whole_rows = unreadable.loc[unreadable["column"] == ROW_COLUMN, "position"]
    echo = (failed["rule"] == "missing_required") & (
        pd.MultiIndex.from_frame(failed[["position", "column"]]).isin(keys)
        | failed["position"].isin(whole_rows))
    return failed.loc[~echo].reset_index(drop=True)


def _cross_field_failures(typed: _TypedCases, dictionary: DataDictionary) -> list[pd.DataFrame]:
    out: list[pd.DataFrame] = []
    # Dates compared as datetime64 arrays (NaT compares False, as in pandas): pandas' own
    # comparison re-checks NaT and builds a Series each time, ~3x slower over 29 comparisons.
    dates = {name: typed[name].to_numpy() for name in dictionary.date_fields}
    for earlier, later in dictionary.rule("date_order")["pairs"]:
        out.append(_mask_failures(dates[later] < dates[earlier], later, "date_order", typed))
    extract = dates["extract_date"]
    for name in dictionary.date_fields:
        if name != "extract_date":
            out.append(_mask_failures(dates[name] > extract, name, "date_after_extract", typed))

    has = typed.has
    has_outcome = has("outcome_code")
    out.append(_mask_failures(has_outcome & ~has("outcome_date"), "outcome_date", "outcome_needs_date", typed))
    out.append(_mask_failures(~has_outcome & has("outcome_date"), "outcome_date", "outcome_needs_date", typed))
    identified = has("suspect_identified_date")
    out.append(_mask_failures(typed.isin("outcome_code", NO_SUSPECT_OUTCOMES) & identified, "outcome_code", "outcome_suspect_consistency", typed))
    out.append(_mask_failures(typed.isin("outcome_code", SUSPECT_OUTCOMES) & ~identified, "outcome_code", "outcome_suspect_consistency", typed))
    out.append(_mask_failures(typed.isin("outcome_code", CHARGE_OUTCOMES) & ~has("charge_date"), "charge_date", "charge_needs_charge_date", typed))
    invalid = dictionary.outcome_codes.loc[~dictionary.outcome_codes["valid_for_rasso"], "code"]
    out.append(_mask_failures(typed.isin("outcome_code", invalid), "outcome_code", "outcome_not_rasso", typed))
    out.append(_mask_failures(identified & ~has("suspect_id"), "suspect_id", "suspect_needs_id", typed))
    for stage in SUSPECT_STAGES:
        out.append(_mask_failures(has(stage) & ~identified, stage, "stage_needs_suspect", typed))
    out.append(_mask_failures(has("cps_decision_date") & ~has("file_to_cps_date"), "cps_decision_date", "decision_needs_file", typed))
    out.append(_mask_failures(has("cps_decision_date") != has("cps_decision"), "cps_decision", "decision_needs_file", typed))
    out.append(_mask_failures(has("court_outcome") & ~has("charge_date"), "court_outcome", "court_needs_charge", typed))
    out.append(_mask_failures(has("court_outcome") != has("court_outcome_date"), "court_outcome_date", "court_needs_charge", typed))
    out.append(_mask_failures(has("device_returned_date") & ~has("device_requested_date"), "device_returned_date", "device_return_needs_request", typed))
    return [f for f in out if len(f)]


def _duplicate_failures(typed: pd.DataFrame) -> list[pd.DataFrame]:
    refs = typed["crime_ref"]
    shared = refs.duplicated(keep=False) & refs.notna()
    if not shared.any():
        return []
    subset = typed.loc[shared]
    exact_copy = subset.duplicated(keep="first")  # a later copy of an identical row
    distinct = subset.loc[~exact_copy]
    conflicting_refs = distinct["crime_ref"][distinct["crime_ref"].duplicated(keep=False)].unique()
    conflicting = subset["crime_ref"].isin(conflicting_refs)
    out = []
    copies = exact_copy & ~conflicting
    if copies.any():
        out.append(_failures(np.flatnonzero(shared.to_numpy())[copies.to_numpy()], "crime_ref", "duplicate_row", subset["crime_ref"][copies]))
    if conflicting.any():
        out.append(_failures(np.flatnonzero(shared.to_numpy())[conflicting.to_numpy()], "crime_ref", "duplicate_crime_ref", subset["crime_ref"][conflicting]))
    return out


# --------------------------------------------------------------------------------------------
# Derived fields and the quarantine table
# --------------------------------------------------------------------------------------------
def _derive(typed: _TypedCases, accepted: np.ndarray, dictionary: DataDictionary, *,
            owned: bool = False) -> pd.DataFrame:
    # ``owned``: typed.frame shares no data with a caller's frame (read_cases read it from a
    # file), so with every row accepted its columns can be handed back without copying them.
    everything = bool(accepted.all())
    if everything:
        cases = typed.frame
    else:
        # take() copies each column once and keeps one block per column; the former
        # .loc[accepted].reset_index(drop=True) copied the frame twice and consolidated its
        # 38 blocks (~1 s on 1,000,000 rows).
        cases = typed.frame.take(np.flatnonzero(accepted))
        cases.index = pd.RangeIndex(len(cases))
    rows = None if everything else accepted
    for name, table in (("offence_group", dictionary.offence_group_map),
                        ("outcome_group", dictionary.outcome_group_map)):
        source = name.replace("_group", "_code")
        if source in typed.factors:  # map the distinct codes, not every row
            groups = typed.mapped(source, table, rows)
        else:
            groups = cases[source].map(table).to_numpy(dtype=object)
        if name == "outcome_group":
            groups[pd.isna(groups)] = "open"  # no outcome code: the case is open
        cases[name] = pd.Series(groups, index=cases.index, dtype=object)
    for name in dictionary.fields_of_type("boolean"):
        if cases[name].dtype != bool:
            cases[name] = cases[name].astype(bool)
    if everything and not owned:  # a copy: the cases never share data with the caller's frame
        return cases[dictionary.field_names]
    # In the dictionary's order without copying (cases[field_names] would copy every column).
    return pd.DataFrame({name: cases[name] for name in dictionary.field_names}, copy=False)


def _quarantine_table(frame, dictionary, failed, bad_positions, row_numbers) -> pd.DataFrame:
    columns = [c for c in dictionary.field_names if c in frame.columns]
    rows = frame.iloc[bad_positions][columns].copy()
    for column in columns:
        if rows[column].dtype == object:
            rows[column] = rows[column].map(_visible, na_action="ignore")
    reasons = (
        failed.drop_duplicates(["position", "rule", "column"])
        .assign(reason=lambda f: f["rule"].where(f["column"] == ROW_COLUMN,
                                                 f["rule"] + "(" + f["column"] + ")"))
        .groupby("position")["reason"].agg("; ".join)
    )
    rows.insert(0, "reasons", reasons.reindex(bad_positions).to_numpy())
    rows.insert(0, "source_row", np.asarray(row_numbers)[bad_positions])
    return rows.reset_index(drop=True)


def _visible(value):
    """A quarantined cell as text a person can read: control characters as \\xNN escapes."""
    if isinstance(value, CellProblem):
        value = str(value)
    if isinstance(value, str) and _CONTROL.search(value):
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value
