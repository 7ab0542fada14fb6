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
import yaml

from ..errors import DataValidationError, MappingError
from .dictionary import DataDictionary, load_dictionary

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
    spec = _load_mapping(mapping)
    raw = _read_table(path)
    raw = _apply_mapping(raw, spec, source=str(path))
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
    frame = frame.reset_index(drop=True)
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

    cases = _derive(typed.loc[accepted].reset_index(drop=True), dictionary)
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
def _read_table(path: Path) -> pd.DataFrame:
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


def _load_mapping(mapping: str | os.PathLike | dict | None) -> dict:
    if mapping is None:
        return {}
    if isinstance(mapping, dict):
        spec = mapping
        where = "mapping"
    else:
        where = str(mapping)
        try:
            spec = yaml.safe_load(Path(mapping).read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise MappingError(f"{mapping}: mapping file not found.") from None
        except yaml.YAMLError as error:
            raise MappingError(f"{mapping}: not valid YAML ({error}).") from None
    allowed = {"columns", "values", "date_format", "date_formats", "true_values", "false_values",
               "drop", "description", "name"}
    unknown = set(spec) - allowed
    if unknown:
        raise MappingError(
            f"{where}: unknown key(s) {sorted(unknown)}; a mapping may have {sorted(allowed)}."
        )
    return spec


def _apply_mapping(raw: pd.DataFrame, spec: dict, source: str) -> pd.DataFrame:
    if not spec:
        return raw
    dictionary = load_dictionary()
    renames = spec.get("columns", {}) or {}
    bad_targets = [t for t in renames.values() if t not in dictionary.field_names]
    if bad_targets:
        raise MappingError(
            f"{source}: the mapping renames to {bad_targets}, which are not dictionary fields "
            f"(see data_dictionaries/README.md)."
        )
    frame = raw.drop(columns=[c for c in spec.get("drop", []) or [] if c in raw.columns])
    frame = frame.rename(columns={str(k): v for k, v in renames.items()})
    for column, recode in (spec.get("values", {}) or {}).items():
        if column in frame.columns:
            recode = {str(k): (None if v is None else str(v)) for k, v in recode.items()}
            as_text = frame[column].astype(str).str.strip()
            frame[column] = as_text.map(recode).where(as_text.isin(recode.keys()), frame[column])
    return frame


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


def _missing(series: pd.Series, missing_values: tuple[str, ...]) -> pd.Series:
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        text = series.astype(object)
        return text.isna() | text.isin(missing_values) | (text.astype(str).str.strip() == "")
    return series.isna()


def _coerce_types(frame, dictionary, mapping, source):
    typed = pd.DataFrame(index=frame.index)
    failures: list[pd.DataFrame] = []
    date_formats = {**{f: mapping.get("date_format", ISO_DATE) for f in dictionary.date_fields},
                    **(mapping.get("date_formats") or {})}
    true_values = TRUE_VALUES | {str(v).lower() for v in mapping.get("true_values", []) or []}
    false_values = FALSE_VALUES | {str(v).lower() for v in mapping.get("false_values", []) or []}
    for f in dictionary.fields:
        if f.name not in frame.columns:
            if not f.derived:  # optional field absent: all missing
                typed[f.name] = pd.Series(
                    pd.NaT if f.type == "date" else (pd.NA if f.type == "integer" else np.nan),
                    index=frame.index, dtype=_PANDERA_DTYPES.get(f.type, object),
                )
            continue
        raw = frame[f.name]
        missing = _missing(raw, dictionary.missing_values)
        if f.type == "date":
            values, bad = _to_dates(raw, missing, date_formats[f.name])
            # Every value unreadable (and enough to tell) means a wrong format, not bad rows.
            if bad.sum() >= 3 and bad.sum() == (~missing).sum():
                example = raw[bad].iloc[0]
                raise DataValidationError(
                    f"{source}: column '{f.name}': no value could be read as a date in the format "
                    f"{date_formats[f.name]!r} (first value: {example!r}). Give the file's date "
                    "format in a mapping file, e.g. `date_format: \"%d/%m/%Y\"` for UK dates."
                )
        elif f.type == "integer":
            values, bad = _to_integers(raw, missing)
        elif f.type == "boolean":
            values, bad = _to_booleans(raw, missing, true_values, false_values)
        else:
            values, bad = _to_codes(raw, missing, f.name)
        if bad.any():
            positions = np.flatnonzero(bad.to_numpy())
            failures.append(_failures(positions, f.name, f"bad_{f.type}", raw.iloc[positions]))
        typed[f.name] = values
    return typed, failures


def _to_dates(raw: pd.Series, missing: pd.Series, fmt: str):
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        values = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) else raw
        return values.astype("datetime64[ns]").dt.normalize(), pd.Series(False, index=raw.index)
    text = raw.astype(object).where(~missing)
    if pd.api.types.infer_dtype(text, skipna=True) in ("string", "empty"):
        values = pd.to_datetime(text.str.strip(), format=fmt, errors="coerce")
    else:  # Excel cells may already hold dates, mixed with text
        is_stamp = text.map(lambda v: hasattr(v, "year"), na_action="ignore").astype("boolean").fillna(False)
        stamps = pd.to_datetime(text.where(is_stamp), errors="coerce")
        parsed = pd.to_datetime(text.where(~is_stamp & ~missing).astype(str).str.strip(), format=fmt, errors="coerce")
        values = stamps.fillna(parsed)
    values = values.astype("datetime64[ns]").dt.normalize()
    return values, values.isna() & ~missing


def _to_integers(raw: pd.Series, missing: pd.Series):
    numbers = pd.to_numeric(raw.where(~missing), errors="coerce")
    whole = numbers.isna() | (numbers == np.round(numbers))
    bad = (numbers.isna() & ~missing) | ~whole
    return numbers.where(~bad).round().astype("Int64"), bad


def _to_booleans(raw: pd.Series, missing: pd.Series, true_values: set, false_values: set):
    if raw.dtype == bool:
        return raw, pd.Series(False, index=raw.index)
    text = raw.astype(str).str.strip().str.lower()
    is_true, is_false = text.isin(true_values), text.isin(false_values)
    bad = ~missing & ~is_true & ~is_false
    # A missing flag is a missing required value (pandera reports it), not False.
    values = pd.Series(np.where(is_true, True, np.where(is_false, False, None)), index=raw.index, dtype=object)
    return values, bad


def _to_codes(raw: pd.Series, missing: pd.Series, name: str):
    text = raw.astype(object).where(~missing)
    if pd.api.types.infer_dtype(text, skipna=True) not in ("string", "empty"):
        # Numbers read from Excel or typed as integers become text codes ("1", not "1.0").
        text = text.map(_code_text, na_action="ignore")
    text = text.str.strip() if text.notna().any() else text
    if name in ("outcome_code", "offence_code"):
        text = _normalise_home_office_code(text)
        if name == "outcome_code":
            text = text.where(text != "0")  # 0 means no outcome yet: open
    return text.astype(object), pd.Series(False, index=raw.index)


def _code_text(value) -> str:
    if isinstance(value, (int, float, np.integer, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _normalise_home_office_code(text: pd.Series) -> pd.Series:
    # Home Office codes are case-insensitive and exports pad them: "01" -> "1", "1a" -> "1A".
    upper = text.str.upper()
    stripped = upper.str.replace(r"^0+(?=\d)", "", regex=True)
    return stripped.where(upper.notna())


# --------------------------------------------------------------------------------------------
# Field rules (pandera) and cross-field rules (masks)
# --------------------------------------------------------------------------------------------
def _field_failures(typed: pd.DataFrame, dictionary: DataDictionary) -> list[pd.DataFrame]:
    schema = case_schema(dictionary)
    # Booleans with a missing value are object; pandera checks the dtype only where complete.
    check_frame = typed.copy()
    for name in dictionary.fields_of_type("boolean"):
        check_frame[name] = check_frame[name].astype("boolean").fillna(False).astype(bool)
    out = []
    try:
        schema.validate(check_frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        cases = cases[cases["index"].notna() & cases["column"].notna()]
        check = cases["check"].astype(str)
        rule = np.select(
            [check.str.startswith("not_nullable"), check.str.startswith("isin"),
             check.str.startswith(("in_range", "greater_than", "less_than"))],
            ["missing_required", "unknown_code", "out_of_range"], default="bad_type",
        )
        out.append(pd.DataFrame({"position": cases["index"].astype(np.int64).to_numpy(),
                                 "column": cases["column"].astype(str).to_numpy(), "rule": rule,
                                 "value": cases["failure_case"].astype(str).to_numpy()}))
    for name in dictionary.fields_of_type("boolean"):  # missing required flags
        field_ = dictionary[name]
        if field_.required:
            positions = np.flatnonzero(typed[name].isna().to_numpy())
            if len(positions):
                out.append(_failures(positions, name, "missing_required", [""] * len(positions)))
    return out


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
