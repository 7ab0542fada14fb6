"""Read a force extract (CSV, Parquet, Excel), map it to the dictionary, validate, quarantine.

Every input row ends up either in the canonical ``cases`` frame or in the quarantine table with
its reasons: ``n_input == n_valid + n_quarantined``, always.

Field rules (type, required, code list, range) run as a pandera schema built from the data
dictionary (:func:`case_schema`); cross-field rules (date order, outcome/suspect consistency,
duplicates) are vectorised masks named after the dictionary's ``rules``. Both are collected in
one pass, so a user sees every problem of a file at once.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc

from ..errors import DataValidationError
from .dictionary import DataDictionary, load_dictionary
from .mapping import apply_mapping, date_formats_for, flag_words_for, load_mapping

TRUE_VALUES = {"true", "t", "yes", "y", "1"}
FALSE_VALUES = {"false", "f", "no", "n", "0"}
ISO_DATE = "%Y-%m-%d"
READERS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel"}
CSV_ENCODINGS = ("utf-8-sig", "cp1252")  # utf-8-sig reads plain UTF-8 and UTF-8 with BOM

# Outcomes whose meaning says whether a suspect was identified (DOMAIN.md §2).
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
    """

    source: str
    n_input: int
    n_valid: int
    n_quarantined: int
    rule_counts: pd.DataFrame
    quarantine: pd.DataFrame
    extra_columns: list[str] = field(default_factory=list)
    dictionary_version: str = ""

    def __post_init__(self) -> None:
        if self.n_input != self.n_valid + self.n_quarantined:  # the one invariant: never lose a row
            raise AssertionError(
                f"rows in ({self.n_input}) != accepted ({self.n_valid}) + quarantined ({self.n_quarantined})"
            )

    @property
    def ok(self) -> bool:
        return self.n_quarantined == 0

    def summary(self) -> str:
        """A plain-text summary: counts and the rules broken (no raw values)."""
        lines = [
            f"source: {self.source}",
            f"data dictionary: v{self.dictionary_version}",
            f"rows read: {self.n_input:,}  accepted: {self.n_valid:,}  quarantined: {self.n_quarantined:,}",
        ]
        if self.extra_columns:
            lines.append(f"columns not in the dictionary (dropped): {', '.join(self.extra_columns)}")
        if len(self.rule_counts):
            lines.append("rows breaking each rule:")
            for row in self.rule_counts.itertuples(index=False):
                lines.append(f"  {row.rule:<28} {row.column:<26} {row.n_rows:>9,}")
        return "\n".join(lines)

    def write_quarantine(self, path: str | os.PathLike) -> Path:
        """Write the quarantined rows with their reasons (CSV or Parquet by extension)."""
        path = Path(path)
        if path.suffix.lower() in (".parquet", ".pq"):
            self.quarantine.to_parquet(path, index=False)
        else:
            self.quarantine.to_csv(path, index=False)
        return path


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------
def read_cases(
    path: str | os.PathLike,
    *,
    mapping: str | os.PathLike | dict | None = None,
    extract_date: str | pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, ValidationReport]:
    """Read a case file, map it to the dictionary, validate it and quarantine bad rows.

    Parameters
    ----------
    path : path
        CSV (UTF-8, UTF-8 with BOM or Windows-1252), Parquet or Excel.
    mapping : path or dict, optional
        A YAML mapping from a force's own export to the canonical columns (keys ``columns``,
        ``values``, ``date_format`` or ``date_formats``, ``true_values``, ``false_values``,
        ``drop``); see ``synthetic_data/rms_export_mapping.yaml``.
    extract_date : date, optional
        The extract date, for files that do not carry an ``extract_date`` column (it also
        fills blanks in one that does).

    Returns
    -------
    cases : DataFrame
        The accepted rows, typed as the dictionary says.
    report : ValidationReport
        Counts per rule and the quarantined rows with their reasons.

    Examples
    --------
    >>> from soteria_research import read_cases, SAMPLE_CASES
    >>> cases, report = read_cases(SAMPLE_CASES)
    >>> report.n_input == report.n_valid + report.n_quarantined
    True
    """
    path = Path(path)
    spec = load_mapping(mapping)
    raw = read_table(path)
    raw = apply_mapping(raw, spec, source=str(path))
    return validate_cases(raw, extract_date=extract_date, source=str(path), mapping=spec,
                          header_rows=1 if READERS.get(path.suffix.lower()) != "parquet" else 0)


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
    position in ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> from soteria_research import validate_cases, SAMPLE_CASES
    >>> cases, report = validate_cases(pd.read_csv(SAMPLE_CASES, dtype=str))
    >>> report.n_quarantined
    0
    """
    dictionary = load_dictionary()
    mapping = mapping or {}
    if len(frame) == 0:
        raise DataValidationError(
            f"{source}: the file has a header but no rows. Check that the export finished and "
            "that the right sheet or file was chosen."
        )
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        frame = frame.set_axis(pd.RangeIndex(len(frame)), axis=0)
    frame = _fill_extract_date(frame, extract_date, source)
    _check_required_columns(frame, dictionary, source)
    extra = [c for c in frame.columns if c not in dictionary.field_names]

    typed, failures = _coerce_types(frame, dictionary, mapping, source)
    failures += _field_failures(typed, dictionary)
    failures += _cross_field_failures(typed, dictionary)
    failures += _duplicate_failures(typed)

    failed = pd.concat(failures, ignore_index=True) if failures else _empty_failures()
    failed = _drop_consequential(failed)
    bad_positions = np.unique(failed["position"].to_numpy())
    accepted = np.ones(len(typed), dtype=bool)
    accepted[bad_positions] = False

    kept = typed if accepted.all() else typed.loc[accepted].reset_index(drop=True)
    cases = _derive(kept, dictionary)
    quarantine = _quarantine_table(frame, dictionary, failed, bad_positions, header_rows)
    rule_counts = (
        failed.drop_duplicates(["position", "rule", "column"])
        .groupby(["rule", "column"], sort=True).size().rename("n_rows").reset_index()
        .sort_values(["n_rows", "rule"], ascending=[False, True], ignore_index=True)
    )
    report = ValidationReport(
        source=source, n_input=len(frame), n_valid=int(accepted.sum()),
        n_quarantined=int((~accepted).sum()), rule_counts=rule_counts, quarantine=quarantine,
        extra_columns=extra, dictionary_version=dictionary.version,
    )
    return cases, report


def case_schema(dictionary: DataDictionary | None = None) -> pa.DataFrameSchema:
    """The pandera schema of a typed case frame, built from the data dictionary.

    It checks types, required fields, code lists and ranges column by column; the cross-field
    rules live in :func:`validate_cases`. Use it on frames you build yourself::

        case_schema().validate(cases, lazy=True)
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
# Reading and mapping
# --------------------------------------------------------------------------------------------
def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV, Parquet or Excel file as it is (no mapping, no validation).

    Raises :class:`DataValidationError` with the file and the fix when it cannot be read.
    """
    path = Path(path)
    if not path.exists():
        raise DataValidationError(f"{path}: no such file. Check the path (and SOTERIA_DATA_DIR).")
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise DataValidationError(
            f"{path}: cannot read files of type '{path.suffix}'. Save the extract as CSV, "
            "Parquet (.parquet) or Excel (.xlsx)."
        )
    if path.stat().st_size == 0:
        raise DataValidationError(f"{path}: the file is empty. Re-run the export.")
    try:
        if kind == "parquet":
            return pd.read_parquet(path)
        if kind == "excel":
            return pd.read_excel(path, dtype=object)
        return _read_csv(path)
    except DataValidationError:
        raise
    except Exception as error:  # pandas/pyarrow give many exception types for a corrupt file
        raise DataValidationError(
            f"{path}: could not be read as {kind} ({type(error).__name__}: {error}). Check that "
            f"the file is a complete {kind} export and that its extension matches its content."
        ) from None


def _read_csv(path: Path) -> pd.DataFrame:
    last_error: Exception | None = None
    for encoding in CSV_ENCODINGS:
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError as error:
            last_error = error
        except pd.errors.EmptyDataError:
            raise DataValidationError(f"{path}: the file has no header and no rows.") from None
    raise DataValidationError(
        f"{path}: text is neither UTF-8 nor Windows-1252 ({last_error}). Save it as UTF-8 CSV."
    )


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


def _closest_columns(name: str, present: list[str]) -> list[str]:
    # Compare word sets as well as spellings, so `date_recorded` is offered for `recorded_date`.
    def words(text: str) -> str:
        return " ".join(sorted(re.split(r"[^a-z0-9]+", text.lower())))

    by_words = {words(column): column for column in present}
    matches = difflib.get_close_matches(words(name), list(by_words), n=3, cutoff=0.6)
    spelled = difflib.get_close_matches(name, present, n=3, cutoff=0.6)
    return list(dict.fromkeys([by_words[m] for m in matches] + spelled))[:3]


def _check_required_columns(frame: pd.DataFrame, dictionary: DataDictionary, source: str) -> None:
    present = [str(c) for c in frame.columns]
    missing = [f.name for f in dictionary.fields if f.required and not f.derived and f.name not in present]
    if not missing:
        return
    hints = []
    for name in missing:
        close = _closest_columns(name, present)
        hint = f"closest columns present: {', '.join(close)}" if close else "no similar column present"
        hints.append(f"  - {name} ({hint})")
    extra = "; pass extract_date=... (or --extract-date) if the file has no extract date" if "extract_date" in missing else ""
    raise DataValidationError(
        f"{source}: required column(s) missing:\n" + "\n".join(hints) + "\n"
        "Rename the columns to the dictionary's names (data_dictionaries/README.md) or give a "
        f"mapping file (mapping=..., --mapping; see synthetic_data/rms_export_mapping.yaml){extra}."
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


def _distinct_text(raw: pd.Series, missing_values: tuple[str, ...]):
    """Factorise a column and clean only its distinct values (fast: exports repeat a lot).

    Returns (codes, cleaned distinct values as an object array with NaN for missing, the
    distinct values as given). Position i of the column is ``cleaned[codes[i]]``; code -1 means
    the cell was empty (NaN/None).
    """
    codes, uniques = pd.factorize(raw.astype(object), use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    if pd.api.types.infer_dtype(uniques, skipna=True) in ("string", "empty"):
        trimmed = pc.utf8_trim_whitespace(pa_arrow.array(uniques, type=pa_arrow.string()))
        cleaned = np.asarray(trimmed.to_numpy(zero_copy_only=False), dtype=object)
    else:  # Excel cells hold numbers and dates as well as text
        cleaned = np.array([_code_text(v) for v in uniques], dtype=object)
    blank = pd.isna(cleaned) | np.isin(cleaned, list(missing_values) + [""])
    cleaned[blank] = np.nan
    return codes, cleaned, uniques


def _clean_free_text(raw: pd.Series, missing_values: tuple[str, ...]) -> pd.Series | None:
    """Trim a text column and blank its missing-value tokens in Arrow; None if not all text."""
    values = raw.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return None
    arrow = pa_arrow.array(values, type=pa_arrow.string(), from_pandas=True)
    trimmed = pc.utf8_trim_whitespace(arrow)
    blank = pc.is_in(trimmed, value_set=pa_arrow.array(list(missing_values) + [""]))
    dirty = pc.any(pc.or_(pc.not_equal(trimmed, arrow), blank)).as_py()
    if not dirty:  # already clean: keep the column as it is, no new string objects
        return pd.Series(values, index=raw.index, dtype=object).where(pd.notna(values), np.nan)
    cleaned = pc.if_else(blank, pa_arrow.scalar(None, pa_arrow.string()), trimmed)
    out = cleaned.to_numpy(zero_copy_only=False).astype(object)
    out[pd.isna(out)] = np.nan
    return pd.Series(out, index=raw.index, dtype=object)


def _spread(codes: np.ndarray, distinct: np.ndarray, fill) -> np.ndarray:
    # Map per-distinct-value results back to rows; code -1 (empty cell) takes `fill`.
    lookup = np.append(distinct, np.array([fill], dtype=distinct.dtype))
    return lookup[codes]


def _coerce_types(frame, dictionary, mapping, source):
    columns: dict[str, object] = {}
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
            continue
        raw = frame[f.name]
        if _already_typed(raw, f.type):
            columns[f.name] = _typed_as_is(raw, f.type)
            continue
        if f.type == "string" and not f.categories:
            text = _clean_free_text(raw, dictionary.missing_values)
            if text is not None:  # ids: mostly distinct values, cleaned without factorising
                columns[f.name] = text
                continue
        codes, cleaned, given = _distinct_text(raw, dictionary.missing_values)
        if f.type == "date":
            parsed, bad = _parse_dates(cleaned, date_formats[f.name])
            values = pd.Series(_spread(codes, parsed, np.datetime64("NaT", "ns")), index=frame.index)
            # Every value unreadable (and enough to tell) means a wrong format, not bad rows.
            n_bad = int(bad[codes[codes >= 0]].sum())
            if n_bad >= 3 and n_bad == int(pd.notna(cleaned)[codes[codes >= 0]].sum()):
                raise DataValidationError(
                    f"{source}: column '{f.name}': no value could be read as a date in the format "
                    f"{date_formats[f.name]!r} (first value: {given[bad][0]!r}). Give the file's date "
                    "format in a mapping file, e.g. `date_format: \"%d/%m/%Y\"` for UK dates."
                )
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
            values = pd.Series(_spread(codes, truth, None), index=frame.index, dtype=object)
        else:
            if f.name in ("outcome_code", "offence_code"):
                cleaned = _normalise_home_office_code(cleaned, zero_is_missing=f.name == "outcome_code")
            bad = np.zeros(len(cleaned), dtype=bool)
            values = pd.Series(_spread(codes, cleaned, np.nan), index=frame.index, dtype=object)
        if bad.any():
            row_bad = _spread(codes, bad, False)
            positions = np.flatnonzero(row_bad)
            failures.append(_failures(positions, f.name, f"bad_{f.type}", raw.iloc[positions]))
        columns[f.name] = values
    # concat keeps one block per column: consolidating 38 columns of 1,000,000 rows into a few
    # 2-D blocks costs more than all the checks that follow.
    typed = pd.concat([pd.Series(v, index=frame.index, name=k) if not isinstance(v, pd.Series)
                       else v.rename(k) for k, v in columns.items()], axis=1, copy=False)
    assert len(typed) == n
    return typed, failures


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
        values = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) else raw
        values = values.astype("datetime64[ns]")
        ticks = values.to_numpy().view("i8")[values.notna().to_numpy()]
        if (ticks % (86_400 * 10**9)).any():  # times of day present: keep the calendar date
            values = values.dt.normalize()
        return values
    if kind == "integer":
        return raw.astype("Int64")
    return raw


def _parse_dates(cleaned: np.ndarray, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    is_stamp = np.array([hasattr(v, "year") for v in cleaned], dtype=bool) if len(cleaned) else np.zeros(0, bool)
    text = pd.Series(np.where(is_stamp, np.nan, cleaned), dtype=object)
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    if is_stamp.any():  # Excel cells that already hold dates
        parsed = parsed.where(~is_stamp, pd.to_datetime(pd.Series(np.where(is_stamp, cleaned, None)), errors="coerce"))
    parsed = parsed.astype("datetime64[ns]").dt.normalize()
    bad = parsed.isna().to_numpy() & pd.notna(cleaned)
    return parsed.to_numpy(), bad


def _code_text(value) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if hasattr(value, "year"):
        return value  # a date cell: leave for the date parser
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
def _field_failures(typed: pd.DataFrame, dictionary: DataDictionary) -> list[pd.DataFrame]:
    # The same rules as case_schema(), as plain masks: pandera's per-column machinery alone took
    # longer than reading a 1,000,000-row file, and the ingest budget is 3x the bare read.
    out = []
    for f in dictionary.fields:
        if f.derived or f.name not in typed:
            continue
        values = typed[f.name]
        present = values.notna()
        if f.required:
            out.append(_mask_failures(~present, f.name, "missing_required", typed))
        if f.categories:
            distinct = pd.unique(values[present])
            unknown = [v for v in distinct if v not in set(f.allowed_values)]
            if unknown:
                out.append(_mask_failures(values.isin(unknown), f.name, "unknown_code", typed))
        if f.type == "integer":
            low = values < f.minimum if f.minimum is not None else False
            high = values > f.maximum if f.maximum is not None else False
            out.append(_mask_failures(pd.Series(low | high, index=values.index).fillna(False).astype(bool), f.name, "out_of_range", typed))
        if f.type == "date" and f.minimum is not None:
            out.append(_mask_failures(values < pd.Timestamp(f.minimum), f.name, "out_of_range", typed))
    return [frame for frame in out if len(frame)]


def _mask_failures(mask: pd.Series, column: str, rule: str, typed: pd.DataFrame) -> pd.DataFrame:
    positions = np.flatnonzero(mask.fillna(False).to_numpy())
    values = typed[column].iloc[positions] if column in typed.columns else [""] * len(positions)
    return _failures(positions, column, rule, values)


def _drop_consequential(failed: pd.DataFrame) -> pd.DataFrame:
    # A value that could not be read is then missing: report it once, as unreadable.
    unreadable = failed.loc[failed["rule"].str.startswith("bad_"), ["position", "column"]]
    if unreadable.empty:
        return failed
    keys = pd.MultiIndex.from_frame(unreadable)
    echo = (failed["rule"] == "missing_required") & pd.MultiIndex.from_frame(failed[["position", "column"]]).isin(keys)
    return failed.loc[~echo].reset_index(drop=True)


def _cross_field_failures(typed: pd.DataFrame, dictionary: DataDictionary) -> list[pd.DataFrame]:
    out: list[pd.DataFrame] = []
    for earlier, later in dictionary.rule("date_order")["pairs"]:
        out.append(_mask_failures(typed[later] < typed[earlier], later, "date_order", typed))
    extract = typed["extract_date"]
    for name in dictionary.date_fields:
        if name != "extract_date":
            out.append(_mask_failures(typed[name] > extract, name, "date_after_extract", typed))

    outcome = typed["outcome_code"]
    has_outcome = outcome.notna()
    out.append(_mask_failures(has_outcome & typed["outcome_date"].isna(), "outcome_date", "outcome_needs_date", typed))
    out.append(_mask_failures(~has_outcome & typed["outcome_date"].notna(), "outcome_date", "outcome_needs_date", typed))
    identified = typed["suspect_identified_date"].notna()
    out.append(_mask_failures(outcome.isin(NO_SUSPECT_OUTCOMES) & identified, "outcome_code", "outcome_suspect_consistency", typed))
    out.append(_mask_failures(outcome.isin(SUSPECT_OUTCOMES) & ~identified, "outcome_code", "outcome_suspect_consistency", typed))
    out.append(_mask_failures(outcome.isin(CHARGE_OUTCOMES) & typed["charge_date"].isna(), "charge_date", "charge_needs_charge_date", typed))
    invalid = dictionary.outcome_codes.loc[~dictionary.outcome_codes["valid_for_rasso"], "code"]
    out.append(_mask_failures(outcome.isin(invalid), "outcome_code", "outcome_not_rasso", typed))
    out.append(_mask_failures(identified & typed["suspect_id"].isna(), "suspect_id", "suspect_needs_id", typed))
    for stage in SUSPECT_STAGES:
        out.append(_mask_failures(typed[stage].notna() & ~identified, stage, "stage_needs_suspect", typed))
    out.append(_mask_failures(typed["cps_decision_date"].notna() & typed["file_to_cps_date"].isna(), "cps_decision_date", "decision_needs_file", typed))
    out.append(_mask_failures(typed["cps_decision_date"].notna() != typed["cps_decision"].notna(), "cps_decision", "decision_needs_file", typed))
    out.append(_mask_failures(typed["court_outcome"].notna() & typed["charge_date"].isna(), "court_outcome", "court_needs_charge", typed))
    out.append(_mask_failures(typed["court_outcome"].notna() != typed["court_outcome_date"].notna(), "court_outcome_date", "court_needs_charge", typed))
    out.append(_mask_failures(typed["device_returned_date"].notna() & typed["device_requested_date"].isna(), "device_returned_date", "device_return_needs_request", typed))
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
def _derive(cases: pd.DataFrame, dictionary: DataDictionary) -> pd.DataFrame:
    for name in dictionary.fields_of_type("boolean"):
        cases[name] = cases[name].astype(bool)
    cases["offence_group"] = cases["offence_code"].map(dictionary.offence_group_map)
    cases["outcome_group"] = cases["outcome_code"].map(dictionary.outcome_group_map).fillna("open")
    return cases[dictionary.field_names]


def _quarantine_table(frame, dictionary, failed, bad_positions, header_rows) -> pd.DataFrame:
    columns = [c for c in dictionary.field_names if c in frame.columns]
    rows = frame.iloc[bad_positions][columns].copy()
    reasons = (
        failed.drop_duplicates(["position", "rule", "column"])
        .assign(reason=lambda f: f["rule"] + "(" + f["column"] + ")")
        .groupby("position")["reason"].agg("; ".join)
    )
    rows.insert(0, "reasons", reasons.reindex(bad_positions).to_numpy())
    rows.insert(0, "source_row", bad_positions + header_rows + (1 if header_rows else 0))
    return rows.reset_index(drop=True)
