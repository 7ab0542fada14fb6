"""Mappings from a force's own export to the canonical case record: load, check and apply.

A mapping (a YAML file or a dict, format v2: ``data_dictionaries/mapping.md``) says which
export column holds which field, gives constants for fields the file has no column for, how
dates, yes/no flags and "not known" are written, which codes mean what, and which columns to
leave out. :func:`load_mapping` checks it once, naming the line of any mistake;
:func:`apply_mapping` turns a raw export into canonical columns for validation; the ``*_for``
accessors tell the validator how to read each field. Version 1 files (``columns``, ``values``,
``date_format(s)``, ``true_values``, ``false_values``, ``drop``) are valid version 2 files.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa_arrow
import pyarrow.compute as pc

from ..errors import MappingError
from .date_formats import date_part, detect_date_format, has_time, to_uk_dates
from .dictionary import load_dictionary
from .mapping_schema import MAPPING_VERSION, MappingText, mapping_problems, parse_mapping_yaml
from .synonyms import fold

__all__ = ["MAPPING_VERSION", "MappingSpec", "apply_mapping", "date_format_advice",
           "date_formats_for", "flag_words_for", "identifier_columns", "load_mapping",
           "mapped_columns", "mapping_fingerprint"]

_MISSING = object()  # a value that means "not known"
ISO_DATE = "%Y-%m-%d"
_WORD_KEYS = ("missing_values", "true_values", "false_values")


class MappingSpec(dict):
    """A loaded, checked mapping: a plain dict of the format's keys, plus where each key was
    written (for messages). Loading one again returns it unchanged.

    Attributes
    ----------
    source : str
        The mapping file, or ``"mapping"`` for a dict.
    lines : dict
        Key path (``("columns", "Crime Number")``) -> line in the file.
    """

    def __init__(self, *args, source: str = "mapping", lines: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        self.lines = lines or {}

    def where(self, *path) -> str:
        """Where ``path`` was written: ``"mapping.yaml line 7"`` (or the key path for a dict).

        Examples
        --------
        >>> MappingSpec({"columns": {"A": "force"}}).where("columns", "A")
        'mapping key columns > A'
        """
        for cut in range(len(path), 0, -1):
            if tuple(path[:cut]) in self.lines:
                return f"{self.source} line {self.lines[tuple(path[:cut])]}"
        return f"{self.source} key {' > '.join(str(p) for p in path)}"


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
def load_mapping(mapping: str | os.PathLike | dict | None) -> MappingSpec:
    """Read and check a mapping (YAML file or dict); raise :class:`MappingError` naming each mistake.

    Every problem is reported at once, each with its line in the file and, for a misspelt key,
    field or code, the nearest valid one. ``None`` gives an empty mapping.

    Examples
    --------
    >>> spec = load_mapping({"columns": {"Crime Number": "crime_ref"}, "constants": {"force": "cumbria"}})
    >>> spec["mapping_version"], spec["constants"]
    (1, {'force': 'cumbria'})
    >>> load_mapping({"colums": {}})
    Traceback (most recent call last):
    ...
    soteria_research.errors.MappingError: mapping: colums: unknown key 'colums' (did you mean 'columns'?)
    """
    if mapping is None:
        return MappingSpec()
    if isinstance(mapping, MappingSpec):
        return mapping
    if isinstance(mapping, dict):
        source, tree, lines = "mapping", _plain(mapping), {}
    else:
        source = str(mapping)
        try:
            text = Path(mapping).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise MappingError(f"{mapping}: mapping file not found. Check the path.") from None
        except IsADirectoryError:
            raise MappingError(f"{mapping}: is a folder; give the mapping's YAML file.") from None
        except UnicodeDecodeError:
            raise MappingError(f"{mapping}: not a text file; save the mapping as UTF-8 YAML.") from None
        try:
            tree, lines = parse_mapping_yaml(text)
        except MappingText as error:
            raise MappingError(f"{mapping} {error}") from None
    # An empty key (`drop:` with nothing under it) says nothing: as if it were not there.
    tree = {key: value for key, value in tree.items() if value is not None}
    problems = mapping_problems(tree, lines)
    if len(problems) == 1:
        raise MappingError(f"{source}: {problems[0]}")
    if problems:
        raise MappingError(f"{source}: {len(problems)} problems: " + "; ".join(problems))
    return MappingSpec(_normalised(tree), source=source, lines=lines)


def _plain(value):
    """A dict mapping as the YAML reader would give it: text keys, ISO dates."""
    if isinstance(value, dict):
        return {("" if k is None else str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, pd.Timestamp)):
        return pd.Timestamp(value).date().isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _normalised(tree: dict) -> dict:
    out = {"mapping_version": tree.get("mapping_version", 1)}
    for key in ("name", "description", "sheet", "date_format", "date_formats"):
        if tree.get(key) is not None:
            out[key] = tree[key]
    if tree.get("columns"):
        out["columns"] = {column: entry if isinstance(entry, str) else _column_spec(entry)
                          for column, entry in tree["columns"].items()}
    if tree.get("constants"):
        out["constants"] = {name: _text(value) for name, value in tree["constants"].items()}
    if tree.get("drop"):
        out["drop"] = [str(c) for c in tree["drop"]]
    for key in _WORD_KEYS:
        if tree.get(key):
            out[key] = [_text(w) for w in tree[key]]
    if tree.get("values"):
        out["values"] = {name: _recode(table) for name, table in tree["values"].items() if table}
    return out


def _column_spec(entry: dict) -> dict:
    spec = {"field": entry["field"]}
    if entry.get("date_format") is not None:
        spec["date_format"] = entry["date_format"]
    for key in _WORD_KEYS:
        if entry.get(key) is not None:
            spec[key] = [_text(w) for w in entry[key]]
    if entry.get("values"):
        spec["values"] = _recode(entry["values"])
    return spec


def _recode(table: dict) -> dict:
    return {str(k): (None if v is None else _text(v)) for k, v in table.items()}


def mapping_fingerprint(spec: str | os.PathLike | dict | None) -> str:
    """SHA-256 of what a mapping says (its checked content, not its layout or comments).

    Two files that map the same way have the same fingerprint; for provenance, record it
    beside the SHA-256 of the mapping file's bytes.

    Examples
    --------
    >>> a = mapping_fingerprint({"columns": {"Crime Number": "crime_ref"}, "drop": None})
    >>> a == mapping_fingerprint({"columns": {"Crime Number": "crime_ref"}}), len(a)
    (True, 64)
    """
    content = json.dumps(dict(load_mapping(spec)), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# What the mapping says about one field
# --------------------------------------------------------------------------------------------
@dataclass
class FieldSettings:
    """How one canonical field is read under a mapping (built by :func:`field_settings`)."""

    column: str | None = None
    exact: dict[str, object] = field(default_factory=dict)
    folded: dict[str, object] = field(default_factory=dict)
    formats: list[str] = field(default_factory=list)

    @property
    def recodes_or_words(self) -> bool:
        return bool(self.exact or self.folded)

    @property
    def converts_dates(self) -> bool:
        """Whether the values are rewritten as dates (several formats, or times of day)."""
        return len(self.formats) > 1 or any(has_time(f) for f in self.formats)

    @property
    def written_format(self) -> str | None:
        """The format of the field's values after mapping (the date part of a date-time)."""
        if not self.formats:
            return None
        return date_part(self.formats[0]) if self.converts_dates else self.formats[0]


def _column_entry(spec: dict, name: str) -> tuple[str | None, dict]:
    for column, entry in (spec.get("columns") or {}).items():
        target = entry if isinstance(entry, str) else entry.get("field")
        if target == name:
            return column, ({} if isinstance(entry, str) else entry)
    return None, {}


def _formats(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def field_settings(spec: dict, name: str) -> FieldSettings:
    """Recodes, flag words, missing tokens and date formats for field ``name`` under ``spec``.

    Later settings win: file-wide missing tokens, file-wide flag words, the column's missing
    tokens, the column's flag words, then recodes (``values:`` for the field, then the
    column's own).

    Examples
    --------
    >>> spec = load_mapping({"missing_values": ["N/K"], "columns": {"DA": {
    ...     "field": "domestic_abuse", "true_values": ["Y"], "false_values": [""]}}})
    >>> settings = field_settings(spec, "domestic_abuse")
    >>> settings.folded["y"], settings.folded[""], settings.folded["n/k"] is _MISSING
    ('true', 'false', True)
    """
    kind = load_dictionary()[name].type
    column, entry = _column_entry(spec, name)
    folded: dict[str, object] = {}

    def add_words(source: dict) -> None:
        for word in source.get("missing_values") or []:
            folded[fold(word)] = _MISSING
        if kind == "boolean":
            for key, truth in (("true_values", "true"), ("false_values", "false")):
                for word in source.get(key) or []:
                    folded[fold(word)] = truth

    add_words(spec)
    add_words(entry)
    exact: dict[str, object] = {}
    for table in ((spec.get("values") or {}).get(name) or {}, entry.get("values") or {}):
        for raw, target in table.items():
            value = _MISSING if target is None else str(target)
            exact[str(raw).strip()] = value
            folded[fold(raw)] = value
    formats = (_formats(entry.get("date_format")) or _formats((spec.get("date_formats") or {}).get(name))
               or _formats(spec.get("date_format"))) if kind == "date" else []
    return FieldSettings(column=column, exact=exact, folded=folded, formats=formats)


def date_formats_for(spec: dict, date_fields, *, default: str) -> dict[str, str]:
    """The ``strptime`` format of each canonical date field's values after :func:`apply_mapping`.

    The mapping's format for the field; for a date-time format (or a list of formats), the
    date part, since the mapped values are then UK calendar dates written that way.

    Examples
    --------
    >>> spec = load_mapping({"date_format": "%d/%m/%Y", "date_formats": {"recorded_date": "%d/%m/%Y %H:%M"}})
    >>> date_formats_for(spec, ["report_date", "recorded_date", "charge_date"], default="%Y-%m-%d")
    {'report_date': '%d/%m/%Y', 'recorded_date': '%d/%m/%Y', 'charge_date': '%d/%m/%Y'}
    """
    out = {}
    for name in date_fields:
        _, entry = _column_entry(spec, name)
        formats = (_formats(entry.get("date_format")) or _formats((spec.get("date_formats") or {}).get(name))
                   or _formats(spec.get("date_format")))
        out[name] = FieldSettings(formats=formats).written_format or default
    return out


def flag_words_for(spec: dict, field: str) -> tuple[set[str], set[str]]:
    """Extra words (lower case) that mean true and false for boolean ``field`` under ``spec``.

    File-wide words and the field's column's own.

    Examples
    --------
    >>> flag_words_for({"true_values": ["Y"], "false_values": ["N"]}, "domestic_abuse")
    ({'y'}, {'n'})
    """
    _, entry = _column_entry(spec, field)
    true_words = {str(v).lower() for v in [*(spec.get("true_values") or []), *(entry.get("true_values") or [])]}
    false_words = {str(v).lower() for v in [*(spec.get("false_values") or []), *(entry.get("false_values") or [])]}
    return true_words, false_words


# --------------------------------------------------------------------------------------------
# Applying
# --------------------------------------------------------------------------------------------
def apply_mapping(raw: pd.DataFrame, spec: dict, source: str) -> pd.DataFrame:
    """Turn a raw export into the dictionary's columns and values, ready for validation.

    Drops the ``drop`` columns, renames, adds ``constants``, then per field: recodes, flag
    words (to ``true``/``false``), missing tokens (to blank) and date-times (to their UK
    calendar date, written in the date part of the format: see :func:`date_formats_for`).
    A value the mapping cannot read is left as it is, for the validator to quarantine with its
    row. Rows keep their number and order. A file already in the dictionary's columns (a
    pseudonymised export) reads with its export's mapping: a mapped column is not needed when
    its field is there.

    Raises :class:`MappingError` when a mapped column is not in the export (with the closest
    headers), when two columns would become one field, or when no value of a date column
    reads with its format but another common format reads them all.

    Examples
    --------
    >>> raw = pd.DataFrame({"Ref": ["A1", "A2"], "Recorded": ["01/02/2023 10:00", "N/K"],
    ...                     "DA": ["Y", ""], "Name": ["x", "y"]})
    >>> spec = load_mapping({"columns": {"Ref": "crime_ref",
    ...     "Recorded": {"field": "recorded_date", "date_format": "%d/%m/%Y %H:%M"},
    ...     "DA": {"field": "domestic_abuse", "true_values": ["Y"], "false_values": [""]}},
    ...     "missing_values": ["N/K"], "drop": ["Name"], "constants": {"force": "cumbria"}})
    >>> apply_mapping(raw, spec, "export.csv").to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'crime_ref': ['A1', 'A2'], 'recorded_date': ['01/02/2023', nan],
     'domestic_abuse': ['true', 'false'], 'force': ['cumbria', 'cumbria']}
    """
    spec = load_mapping(spec)
    if not spec:
        return raw
    dictionary = load_dictionary()
    frame = _renamed(raw, spec, source)
    written = date_formats_for(spec, dictionary.date_fields, default=ISO_DATE)
    for name, value in (spec.get("constants") or {}).items():
        constant = (dt.date.fromisoformat(value).strftime(written[name])
                    if dictionary[name].type == "date" else value)
        if name in frame.columns:
            given = frame[name].astype(str).str.strip()
            if given.isin([constant, value, "", "nan", "None"]).all():
                continue  # a file already mapped (a pseudonymised export) holds the constant
            raise MappingError(
                f"{source}: the mapping gives {name} as a constant ({spec.where('constants', name)}) "
                f"but the export has a '{name}' column; remove the constant or drop the column."
            )
        frame[name] = pd.Series([constant] * len(frame), index=frame.index, dtype=object)
    constants = set(spec.get("constants") or {})
    for f in dictionary.input_fields:
        if f.name in frame.columns and f.name not in constants:
            settings = field_settings(spec, f.name)
            frame[f.name] = _mapped_values(frame[f.name], f.type, settings, spec, source)
    return frame


def _renamed(raw: pd.DataFrame, spec: MappingSpec, source: str) -> pd.DataFrame:
    headers = [str(c) for c in raw.columns]
    frame = raw.set_axis(headers, axis=1) if list(raw.columns) != headers else raw
    renames: dict[str, str] = {}
    for column, entry in (spec.get("columns") or {}).items():
        actual = _find_header(column, headers)
        target = entry if isinstance(entry, str) else entry["field"]
        if actual is None and target in headers:
            continue  # already named as the field: the file was mapped before
        if actual is None:
            close = difflib.get_close_matches(fold(column), [fold(h) for h in headers], n=3, cutoff=0.5)
            shown = [h for h in headers if fold(h) in close]
            hint = (f"closest headers: {', '.join(repr(h) for h in shown)}" if shown
                    else "no similar header")
            extra = (" For a one-force file with no force column, use `constants: {force: CODE}`."
                     if target == "force" else "")
            raise MappingError(
                f"{source}: has no column {column!r}, which the mapping maps to {target} "
                f"({spec.where('columns', column)}); {hint}. Correct the name in the mapping or "
                f"remove the line.{extra}"
            )
        renames[actual] = entry if isinstance(entry, str) else entry["field"]
    dropped = [h for name in spec.get("drop") or [] if (h := _find_header(name, headers)) is not None]
    kept = [h for h in headers if h not in dropped]
    for actual, target in renames.items():
        clash = [h for h in kept if h == target and h not in renames]
        if clash:
            raise MappingError(
                f"{source}: the mapping maps {actual!r} to {target} "
                f"({spec.where('columns', actual)}), but the export also has a column named "
                f"'{target}'; drop one of them (drop: [{target}]) or map it."
            )
    frame = frame.drop(columns=dropped) if dropped else frame
    return frame.rename(columns=renames) if renames else frame.copy()


def mapped_columns(spec: dict, headers) -> dict[str, str]:
    """Each export header that becomes a field under ``spec``: ``{header: field}``.

    Matched as :func:`apply_mapping` matches them (exactly, else ignoring case and spaces);
    headers already named as a field count as that field unless dropped or renamed over.

    Examples
    --------
    >>> mapped_columns({"columns": {"Crime No": "crime_ref"}}, ["crime no", "victim_id", "Notes"])
    {'crime no': 'crime_ref', 'victim_id': 'victim_id'}
    """
    spec = load_mapping(spec)
    headers = [str(h) for h in headers]
    out = {}
    for column, entry in (spec.get("columns") or {}).items():
        actual = _find_header(column, headers)
        if actual is not None:
            out[actual] = entry if isinstance(entry, str) else entry["field"]
    dropped = {h for name in spec.get("drop") or [] if (h := _find_header(name, headers))}
    fields = set(load_dictionary().field_names)
    for header in headers:
        if header in fields and header not in out and header not in dropped and header not in out.values():
            out[header] = header
    return out


def identifier_columns(spec: dict, headers) -> dict[str, str]:
    """The export headers that hold identifiers (crime, victim, suspect, officer) under ``spec``.

    For pseudonymising an export in its own columns: ``{header: field}``.

    Examples
    --------
    >>> identifier_columns({"columns": {"Crime No": "crime_ref", "Age": "victim_age",
    ...                                 "OIC Ref": "officer_id"}}, ["Crime No", "Age", "OIC Ref"])
    {'Crime No': 'crime_ref', 'OIC Ref': 'officer_id'}
    """
    identifiers = set(load_dictionary().identifier_fields)
    return {h: f for h, f in mapped_columns(spec, headers).items() if f in identifiers}


def _find_header(name: str, headers: list[str]) -> str | None:
    """The export header ``name`` refers to: exactly, else ignoring case and spaces (if unique)."""
    if name in headers:
        return name
    matches = [h for h in headers if fold(h) == fold(name)]
    return matches[0] if len(matches) == 1 else None


def _mapped_values(values: pd.Series, kind: str, settings: FieldSettings, spec: MappingSpec,
                   source: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype) or values.dtype == bool:
        return values  # already typed (Parquet, Excel): nothing to read
    dates = kind == "date" and bool(settings.formats)
    if not settings.recodes_or_words and not dates:
        return values
    if not dates and not settings.exact and "" not in settings.folded:
        quick = _blank_tokens(values, settings.folded)
        if quick is not None:
            return quick
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    mapped = _mapped_distinct(np.asarray(distinct, dtype=object), settings)
    if dates:
        mapped = _read_dates(mapped, codes, settings, spec, source, values.name)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _mapped_distinct(distinct: np.ndarray, settings: FieldSettings) -> np.ndarray:
    """Each distinct value mapped: vectorised for text, value by value for mixed cells (Excel)."""
    if pd.api.types.infer_dtype(distinct, skipna=True) not in ("string", "empty"):
        return np.array([_mapped_value(v, settings) for v in distinct], dtype=object)
    text = pd.Series(distinct, dtype=object).fillna("").str.strip()
    folded = text.str.casefold()
    spaced = folded.str.contains(r"\s\s|[\t\n\r]", regex=True)
    if spaced.any():  # rare: collapse runs of spaces only where there are some
        folded[spaced] = folded[spaced].str.split().str.join(" ")
    result = text.astype(object)
    hit_folded = folded.isin(settings.folded.keys())
    result[hit_folded] = folded[hit_folded].map(settings.folded)
    hit_exact = text.isin(settings.exact.keys())
    result[hit_exact] = text[hit_exact].map(settings.exact)
    out = result.to_numpy(dtype=object)
    missing = np.array([v is _MISSING for v in out], dtype=bool) | (out == "")
    out[missing] = np.nan
    return out


def _mapped_value(value, settings: FieldSettings):
    if hasattr(value, "year") or (isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
                                  and not pd.isna(value)):
        text = _number_text(value) if not hasattr(value, "year") else None
        if text is None:
            return value
    else:
        text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
    if text in settings.exact:
        result = settings.exact[text]
    else:
        result = settings.folded.get(fold(text), text)
    if result is _MISSING or result == "":
        return np.nan
    return result


def _number_text(value) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else str(value)


def _blank_tokens(values: pd.Series, folded: dict) -> pd.Series | None:
    """Blank the missing tokens of a text column in Arrow (ids: a million distinct values)."""
    array = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(array, skipna=True) not in ("string", "empty"):
        return None
    tokens = [word for word, meaning in folded.items() if meaning is _MISSING]
    if len(tokens) != len(folded):
        return None
    arrow = pa_arrow.array(array, type=pa_arrow.string(), from_pandas=True)
    lowered = pc.utf8_lower(pc.utf8_trim_whitespace(arrow))
    hit = pc.fill_null(pc.is_in(lowered, value_set=pa_arrow.array(tokens, type=pa_arrow.string())), False)
    mask = hit.to_numpy(zero_copy_only=False)
    if not mask.any():
        return values
    out = array.copy()
    out[mask] = np.nan
    return pd.Series(out, index=values.index, dtype=object)


def _read_dates(mapped: np.ndarray, codes: np.ndarray, settings: FieldSettings, spec: MappingSpec,
                source: str, name: str) -> np.ndarray:
    formats = list(settings.formats)
    if settings.converts_dates and settings.written_format not in formats:
        # A date-time column also reads its date alone: what it becomes once mapped (and what a
        # pseudonymised copy of the export holds).
        formats.append(settings.written_format)
    dates, unreadable = to_uk_dates(mapped, formats)
    present = ~pd.isna(mapped)
    rows_present, rows_unreadable = int(present[codes].sum()), int(unreadable[codes].sum())
    objects = np.array([hasattr(v, "year") for v in mapped], dtype=bool) if mapped.dtype == object else present
    if rows_unreadable and rows_unreadable == rows_present and rows_present >= 3:
        advice = date_format_advice(mapped[unreadable], settings.formats)
        if advice:
            _, entry = _column_entry(spec, name)
            where = (spec.where("columns", settings.column, "date_format") if "date_format" in entry
                     else spec.where("date_formats", name) if name in (spec.get("date_formats") or {})
                     else spec.where("date_format"))
            column = f"column {settings.column!r} ({name})" if settings.column else f"column '{name}'"
            raise MappingError(
                f"{source}: {column}: no value could be read with the date format "
                f"{_show_formats(settings.formats)} ({where}); {advice}"
            )
    if not settings.converts_dates and not objects.any():
        return mapped  # read later with the mapping's own format, as written
    read = present & ~unreadable
    out = mapped.copy()
    if read.any():
        out[read] = pd.to_datetime(pd.Series(dates[read], dtype=object)).dt.strftime(
            settings.written_format).to_numpy(dtype=object)
    return out


def _is_present(value) -> bool:
    return not (value is None or (isinstance(value, float) and np.isnan(value)))


def _show_formats(formats: list[str]) -> str:
    return repr(formats[0]) if len(formats) == 1 else repr(formats)


def date_format_advice(values, given: str | list[str] | None = None) -> str:
    """A sentence saying which date format reads ``values``, or "" when none does (or ``given`` does).

    For error messages: never suggests the format already given.

    Examples
    --------
    >>> print(date_format_advice(["12/03/2023 14:05", "13/03/2023 09:00"], "%d/%m/%Y"))
    the values look like '%d/%m/%Y %H:%M' (for example '12/03/2023 14:05'): set date_format: "%d/%m/%Y %H:%M"
    """
    given = [given] if isinstance(given, str) else list(given or [])
    guess = detect_date_format(values)
    if not guess.formats or guess.formats == given:
        return ""
    example = next((str(v) for v in values if _is_present(v)), "")
    shown = guess.formats[0] if len(guess.formats) == 1 else guess.formats
    return (f"the values look like {_show_formats(guess.formats)} (for example {example!r}): "
            f"set date_format: {json.dumps(shown, ensure_ascii=False)}")
