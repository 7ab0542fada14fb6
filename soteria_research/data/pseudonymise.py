"""Keyed pseudonymisation of case extracts: an allow-list of dictionary fields, identifiers hashed.

This is pseudonymisation, NOT anonymisation: whoever holds the key can re-link the records.

What is written. Only the data dictionary's fields (``data_dictionaries/case_record.yaml``),
after the export's mapping has renamed them: ``identifier: true`` fields are replaced by keyed
pseudonyms, the others are kept as they are or coarsened (dates to week or month, ages to
bands). Every other column is dropped, whatever its name, unless the user names it to keep
(``keep=``) and its name does not mark it as a direct identifier. A file in which no identifier
column is recognised is refused unless the user names its identifier columns or says it has none.
Before anything is written, the output and its sidecar are searched for every original identifier
value (:mod:`soteria_research.data.identifier_leaks`); one found stops the write.

Why keyed hashing. Crime references and victim, suspect and officer ids are replaced by the
first 20 hex digits of HMAC-SHA-256 of ``"soteria:<namespace>:<value>"`` under a secret key
(namespace ``person`` for victim and suspect ids, so one RMS nominal id stays one person;
otherwise the column name). The same key gives the same pseudonym in every file, so repeat
suspects, repeat victims and officer caseloads stay linked across extracts and forces; without
the key they cannot be reversed or recomputed by guessing, as a plain hash of a crime reference
could be. The output is still personal data under UK GDPR: the key holder can re-identify, and
the remaining fields (age, sex, ethnicity, force, dates) can single people out when combined;
:func:`k_anonymity` measures that.

The jobs live apart: the allow-list in :mod:`~soteria_research.data.allow_list`, the key in
:mod:`~soteria_research.data.keys`, the search for raw values in
:mod:`~soteria_research.data.identifier_leaks`, the measure in
:mod:`~soteria_research.data.k_anonymity`; this module maps, hashes, coarsens and writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ParameterError
from .allow_list import (
    ColumnPlan,
    direct_identifier_columns,
    identifier_kind,
    plan_columns,
)
from .identifier_leaks import IdentifierValues, find_identifier_leaks, refuse_leaks
from .k_anonymity import QUASI_IDENTIFIERS, KAnonymityReport, k_anonymity, written_quasi_identifiers
from .keys import KEY_HELP, MIN_KEY_BYTES, as_key, load_key

__all__ = [
    "AGE_BANDS",
    "ColumnPlan",
    "KAnonymityReport",
    "KEY_HELP",
    "MIN_KEY_BYTES",
    "QUASI_IDENTIFIERS",
    "age_band",
    "direct_identifier_columns",
    "identifier_kind",
    "k_anonymity",
    "load_key",
    "plan_columns",
    "pseudonymise",
    "pseudonymise_file",
    "pseudonymise_preview",
    "sidecar_path",
    "written_quasi_identifiers",
]

PSEUDONYM_HEX = 20  # 80 bits: no collision expected among a billion distinct identifiers
METHOD = "HMAC-SHA-256, keyed (pseudonymisation, not anonymisation)"
PSEUDONYM_RULE = "first 20 hex digits of HMAC-SHA-256(key, 'soteria:<namespace>:<value>')"

AGE_BANDS = ((0, 15, "0-15"), (16, 17, "16-17"), (18, 24, "18-24"), (25, 34, "25-34"),
             (35, 44, "35-44"), (45, 54, "45-54"), (55, 64, "55-64"), (65, 200, "65+"))
AGE_FIELDS = ("victim_age", "suspect_age")

#: Written in an identifier column where nothing is known; hashing it would link unrelated
#: cases as one person or crime. The dictionary's own missing values are added to these.
ID_PLACEHOLDERS = ("", "na", "n/a", "#n/a", "null", "none", "nan", "nat", "<na>", "n/k", "nk",
                   "not known", "unknown", "tbc", "none given", "?")


# -- pseudonyms, dates and ages ---------------------------------------------------------------

def _identifier_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each row's position among the distinct identifier texts (``-1`` where missing).

    Identifiers are compared as trimmed text; placeholders (``-``, ``N/K``, ``Unknown``, the
    dictionary's missing values) and text without a letter or digit are missing, never one id
    shared by every case that carries them. Cleaning runs once per distinct value.
    """
    from .dictionary import load_dictionary

    if pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values):
        values = values.astype("Int64")
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    if pd.api.types.infer_dtype(uniques, skipna=True) not in ("string", "empty"):
        # Excel gives whole-number ids as floats: 123.0 is the id "123", as in a CSV.
        uniques = np.array([int(v) if isinstance(v, float) and v.is_integer() else v
                            for v in uniques], dtype=object)
        uniques = np.array([str(v) for v in uniques], dtype=object)
    # Arrow string kernels: the distinct values of a national extract are millions.
    text = pc.utf8_trim_whitespace(pa.array(uniques, type=pa.string()))
    placeholders = {p.lower() for p in load_dictionary().missing_values} | set(ID_PLACEHOLDERS)
    blank = pc.or_(pc.is_in(pc.utf8_lower(text), value_set=pa.array(sorted(placeholders))),
                   pc.invert(pc.match_substring_regex(text, r"[\p{L}\p{N}]")))
    cleaned = pc.if_else(blank, pa.scalar(None, pa.string()), text)
    merged, distinct = pd.factorize(cleaned.to_numpy(zero_copy_only=False), use_na_sentinel=True)
    lookup = np.append(merged, -1)  # code -1 (an empty cell) stays missing
    return lookup[codes], np.asarray(distinct, dtype=object)


def _hmac_column(codes: np.ndarray, distinct: np.ndarray, key: bytes, namespace: str,
                 index: pd.Index) -> pd.Series:
    """HMAC-SHA-256 of each distinct value, mapped back to the rows.

    Hashing runs once per distinct value. HMAC is written out from its definition (RFC 2104:
    SHA-256 of the outer pad and of the inner pad's digest) over two hashlib objects prepared
    once, because ``hmac.HMAC.copy()`` and its Python-level methods cost almost twice as much
    per value; a test checks the result against ``hmac.new`` for short and long keys. About half
    a microsecond each: a million distinct ids take well under a second. hashlib has no
    vectorised HMAC; numpy cannot do SHA-256.
    """
    block = hashlib.sha256().block_size
    secret = hashlib.sha256(key).digest() if len(key) > block else key
    secret = secret.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in secret))
    inner.update(f"soteria:{namespace}:".encode())
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in secret))

    def one(value: str) -> str:
        step = inner.copy()
        step.update(value.encode("utf-8"))
        mac = outer.copy()
        mac.update(step.digest())
        return mac.hexdigest()[:PSEUDONYM_HEX]

    hashed = np.array([one(value) for value in distinct] + [None], dtype=object)
    return pd.Series(hashed[codes], index=index, dtype=object)  # -1 -> None (missing)


def _as_dates(values: pd.Series, date_format: str | None = None) -> pd.Series:
    """Dates from a column: typed as is, text in ``date_format`` (strict) or, without one, ISO
    8601 first and then day-first (a date of birth's format is not in any mapping)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    if date_format:
        return pd.to_datetime(values.astype("string").str.strip(), format=date_format,
                              errors="coerce")
    text = values.astype("string").str.strip()
    dates = pd.to_datetime(text, errors="coerce", format="ISO8601")
    retry = dates.isna() & text.notna() & (text != "")
    if retry.any():
        dates[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed", dayfirst=True)
    return dates


def _age_at(birth: pd.Series, on: pd.Series) -> pd.Series:
    """Whole years from ``birth`` to ``on`` (vectorised; birthdays not yet reached count)."""
    years = on.dt.year - birth.dt.year
    before_birthday = (on.dt.month < birth.dt.month) | (
        (on.dt.month == birth.dt.month) & (on.dt.day < birth.dt.day))
    age = (years - before_birthday.astype(int)).astype("Int64")
    return age.mask((age < 0) | (age > 110))


def age_band(ages: pd.Series) -> pd.Series:
    """Age bands used in reports and the k-anonymity check (0-15, 16-17, 18-24, …, 65+).

    Examples
    --------
    >>> age_band(pd.Series([15, 16, 30, 70], dtype="Int64")).tolist()
    ['0-15', '16-17', '25-34', '65+']
    """
    edges = [low for low, _, _ in AGE_BANDS] + [AGE_BANDS[-1][1] + 1]
    labels = [label for _, _, label in AGE_BANDS]
    numeric = pd.to_numeric(ages, errors="coerce").astype(float)
    return pd.cut(numeric, bins=edges, right=False, labels=labels).astype(object).where(
        numeric.notna(), None)


def _coarsen(dates: pd.Series, unit: str) -> pd.Series:
    # Flooring is monotone, so date order (report <= recorded <= outcome...) still holds.
    period = {"day": "D", "week": "W-SUN", "month": "M"}[unit]
    return dates.dt.to_period(period).dt.start_time.where(dates.notna())


def _date_formats(spec: dict, date_fields: list[str]) -> dict[str, str | None]:
    """Each date field's format under the mapping; ``None`` (ISO 8601) where it gives none."""
    from .mapping import date_formats_for

    formats = date_formats_for(spec, date_fields, default="") if spec else {}
    return {f: formats.get(f) or None for f in date_fields}


def _coarsen_column(values: pd.Series, unit: str, date_format: str | None) -> tuple[pd.Series, int]:
    """Floor a date column to ``unit`` (``day`` keeps the date, dropping any time of day),
    written as ISO dates (YYYY-MM-DD), so the pseudonymised file reads without a mapping.

    Text that is not a date in the column's format is blanked (and counted): it cannot be
    coarsened, and a date written any other way would stay exact.
    """

    dates = _as_dates(values, date_format)
    floored = _coarsen(dates, unit)
    if pd.api.types.is_datetime64_any_dtype(values):
        return floored, 0
    given = values.astype("string").str.strip().fillna("") != ""
    unreadable = int((given & dates.isna()).sum())
    text = floored.dt.strftime("%Y-%m-%d")
    return text.where(floored.notna(), "").astype(object), unreadable


def _ages_from_birth_dates(frame: pd.DataFrame, births: list[str],
                           formats: dict[str, str]) -> dict[str, str]:
    """Fill victim/suspect age at report from date-of-birth columns before they are dropped."""
    derived: dict[str, str] = {}
    on_column = next((c for c in ("report_date", "recorded_date") if c in frame), None)
    if on_column is None:
        return derived
    on = _as_dates(frame[on_column], formats.get(on_column))
    for column in births:
        target = "suspect_age" if "suspect" in str(column).lower() else "victim_age"
        age = _age_at(_as_dates(frame[column]), on)
        if target in frame:
            blank = frame[target].astype(str).str.strip().isin(["", "nan", "<NA>", "None"])
            current = pd.to_numeric(frame[target].where(~blank), errors="coerce")
            filled = current.astype("Int64").fillna(age)
            frame[target] = filled if frame[target].dtype != object else \
                filled.astype("string").fillna("").astype(object)
        else:
            frame[target] = age
        derived[column] = f"{target} (age at {on_column})"
    return derived


# -- the transformation -----------------------------------------------------------------------

@dataclass
class _Result:
    frame: pd.DataFrame
    record: dict
    plan: ColumnPlan
    searched: IdentifierValues = field(repr=False)


def _transform(raw: pd.DataFrame, *, key: bytes | None, mapping, identifiers, no_identifiers,
               keep, coarsen_dates, age_bands, source: str) -> _Result:
    """Map, plan, hash, coarsen; ``key=None`` blanks identifiers (a dry run, never written)."""
    from .dictionary import load_dictionary
    from .mapping import apply_mapping, load_mapping

    if coarsen_dates not in (None, "week", "month"):
        raise ParameterError(f"coarsen_dates={coarsen_dates!r}: use 'week', 'month' or None.")
    dictionary = load_dictionary()
    spec = load_mapping(mapping)
    raw = raw.rename(columns=str)  # Excel headers can be numbers
    mapped = apply_mapping(raw, spec, source=source)
    frame = mapped.copy()
    plan = plan_columns(list(frame.columns), identifiers=identifiers,
                        no_identifiers=no_identifiers, keep=keep, source=source)
    formats = _date_formats(spec, dictionary.date_fields)
    births = [c for c, why in plan.dropped.items() if why == "date of birth"]
    derived = _ages_from_birth_dates(frame, births, formats)
    if derived:
        added = [c for c in AGE_FIELDS if c in frame and c not in plan.columns]
        plan = ColumnPlan(plan.hashed, plan.kept + added, plan.kept_by_request, plan.dropped,
                          plan.columns + added)

    renamed, by_mapping = _removed_by_mapping(raw, mapped, spec, source)
    id_codes = {column: _identifier_codes(frame[column]) for column in plan.hashed}
    searched = _values_to_search(raw, mapped, plan, id_codes, renamed)

    frame = frame[plan.columns].copy()
    for column, namespace in plan.hashed.items():
        frame[column] = (_hmac_column(*id_codes[column], key, namespace, frame.index)
                         if key is not None else pd.Series(None, index=frame.index, dtype=object))
    coarsened, unreadable = [], {}
    # Every date is rewritten as a date (a time of day dropped, unreadable text blanked and
    # counted), coarsened further when asked: raw date text never passes through.
    for column in [c for c in dictionary.date_fields if c in frame]:
        unit = "day" if column == "extract_date" else (coarsen_dates or "day")
        frame[column], unreadable[column] = _coarsen_column(frame[column], unit,
                                                            formats.get(column))
        if unit != "day":
            coarsened.append(column)
    banded = [c for c in AGE_FIELDS if c in frame] if age_bands else []
    for column in banded:
        frame.insert(frame.columns.get_loc(column), f"{column}_band", age_band(frame[column]))
        frame = frame.drop(columns=column)

    record = {
        "method": METHOD,
        "pseudonym": PSEUDONYM_RULE,
        "key": "not recorded: no fingerprint or other value computed from the key is kept, "
               "since one would let a guessed key be confirmed",
        "identifiers_hashed": dict(plan.hashed),
        "fields_kept": [c for c in frame.columns if c not in plan.hashed
                        and c not in plan.kept_by_request],
        "kept_by_request": list(plan.kept_by_request),
        "columns_dropped": {**{c: "; ".join(filter(None, [identifier_kind(c), why]))
                               for c, why in by_mapping.items()}, **plan.dropped},
        "ages_derived_from_birth_dates": derived,
        "dates_coarsened_to": coarsen_dates,
        "dates_coarsened": coarsened,
        "dates_unreadable_blanked": {c: n for c, n in unreadable.items() if n},
        "ages_banded": banded,
        "rows": len(frame),
    }
    return _Result(frame=frame, record=record, plan=plan, searched=searched)


def _values_to_search(raw: pd.DataFrame, mapped: pd.DataFrame, plan: ColumnPlan,
                      id_codes: dict, renamed: set[str]) -> IdentifierValues:
    """The raw values that must not reach the output: every identifier column's, and those of
    direct-identifier columns dropped by the mapping (seen in the export) or by the allow-list."""
    from .dictionary import load_dictionary

    fields = set(load_dictionary().field_names)
    searched = IdentifierValues()
    for column, (_, distinct) in id_codes.items():
        searched.add(column, pd.Series(distinct, dtype=object))
    dropped = {**{c: raw[c] for c in raw.columns}, **{c: mapped[c] for c in mapped.columns}}
    for column, values in dropped.items():
        if column not in plan.columns and column not in renamed and column not in fields \
                and identifier_kind(column):
            searched.add(str(column), values, typed_fields_exempt=True)
    return searched


def _removed_by_mapping(raw: pd.DataFrame, mapped: pd.DataFrame, spec: dict,
                       source: str) -> tuple[set[str], dict[str, str]]:
    """Which of the export's columns the mapping renamed, and which it removed (with why).

    Learnt through the mapping's own interface: a one-row probe whose cells are the column
    names goes through :func:`apply_mapping`, so each renamed column carries its old name.
    """
    from ..errors import SoteriaError
    from .mapping import apply_mapping

    gone = [str(c) for c in raw.columns if c not in mapped.columns]
    if not gone:
        return set(), {}
    probe = pd.DataFrame([[str(c) for c in raw.columns]], columns=raw.columns, dtype=object)
    try:
        carried = {v for v in apply_mapping(probe, spec, source=source).iloc[0] if isinstance(v, str)}
    except (SoteriaError, ValueError, KeyError, TypeError):
        carried = set()
    renamed = {c for c in gone if c in carried}
    new = [c for c in mapped.columns if c not in raw.columns]
    why = ("removed by the mapping (dropped or renamed)" if len(renamed) < len(new)
           else "dropped by the mapping")
    return renamed, {c: why for c in gone if c not in renamed}


def _written_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text written to CSV: ISO dates, whole numbers, ``""`` for missing."""
    text = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in (
                "string", "empty"):
            text[column] = values.where(values.notna(), "")  # text already: no conversion
            continue
        if pd.api.types.is_datetime64_any_dtype(values):
            out = values.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(values) and values.dropna().mod(1).eq(0).all():
            out = values.astype("Int64").astype("string")
        else:
            out = values.astype("string")
        text[column] = out.fillna("").astype(object)
    return pd.DataFrame(text, index=frame.index)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = r"^[=+\-@\t\r]"


def _neutralise_formulas(text: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``'`` to cells (and headers) a spreadsheet would run as a formula (OWASP CSV injection).

    Private stand-in for the shared data-layer function the ingest work adds; swap when it lands.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    out = text.copy()
    for column in out.columns:
        cells = out[column]
        risky = pc.match_substring_regex(pa.array(cells.to_numpy(dtype=object), pa.string()),
                                         _FORMULA_PATTERN).to_numpy(zero_copy_only=False)
        if risky.any():
            out[column] = cells.where(~risky, "'" + cells)
    return out.rename(columns=lambda c: "'" + c if str(c).startswith(_FORMULA_START) else c)


def _typed_fields(columns) -> list[str]:
    from .dictionary import load_dictionary

    fields = set(load_dictionary().field_names) | {f"{c}_band" for c in AGE_FIELDS}
    return [c for c in columns if c in fields]


def pseudonymise(
    cases: pd.DataFrame,
    *,
    key: bytes | str | os.PathLike,
    mapping: str | os.PathLike | dict | None = None,
    identifiers: Iterable[str] | None = None,
    no_identifiers: bool = False,
    keep: Iterable[str] = (),
    coarsen_dates: str | None = None,
    age_bands: bool = False,
) -> pd.DataFrame:
    """Keep the dictionary's fields, replace identifiers with keyed pseudonyms, drop the rest.

    Keyed hashing is pseudonymisation, not anonymisation: the result is still personal data,
    and whoever holds the key can link it back. Handle and store it as such.

    Parameters
    ----------
    cases : DataFrame
        A canonical ``cases`` frame, or a raw extract (with its ``mapping``).
    key : bytes, str or path
        Raw key bytes, the key as hex text, or a key file (see :data:`~soteria_research.data.keys.KEY_RULE`).
    mapping : path or dict, optional
        The export's mapping to dictionary names (as for :func:`~soteria_research.read_cases`).
    identifiers : list of str, optional
        Columns to hash besides the dictionary's identifier fields (named after mapping).
    no_identifiers : bool
        The extract has no identifier column; without this (or ``identifiers``) an extract with
        no recognised identifier column is refused.
    keep : list of str
        Columns outside the dictionary to keep unchanged (never one named like a direct identifier).
    coarsen_dates : {"week", "month"}, optional
        Floor every date (but the extract date) to the start of its week (Monday) or month.
    age_bands : bool
        Replace ``victim_age``/``suspect_age`` by ``victim_age_band``/``suspect_age_band``.

    Returns
    -------
    DataFrame
        Same rows, only the planned columns; ``attrs["pseudonymisation"]`` says what was done
        (never the key, nor anything computed from it).

    Raises
    ------
    KeyFileError, ParameterError, MappingError
        A weak or malformed key; no identifier recognised; a bad mapping.
    DisclosureError
        An original identifier value would remain in the result.

    Examples
    --------
    >>> import secrets
    >>> cases = pd.DataFrame({"crime_ref": ["AB/1", "AB/2"], "victim_id": ["V1", "V1"],
    ...                       "force": ["durham", "durham"], "Nominal ID": ["N7", "N8"]})
    >>> out = pseudonymise(cases, key=secrets.token_bytes(32))
    >>> list(out.columns), out["victim_id"].nunique()
    (['crime_ref', 'victim_id', 'force'], 1)
    """
    result = _transform(cases, key=as_key(key), mapping=mapping, identifiers=identifiers,
                        no_identifiers=no_identifiers, keep=keep, coarsen_dates=coarsen_dates,
                        age_bands=age_bands, source="the extract")
    text = _written_text(result.frame)
    refuse_leaks(find_identifier_leaks(result.searched, text, hashed=result.plan.hashed,
                                       typed=_typed_fields(text.columns)), "the result")
    result.frame.attrs["pseudonymisation"] = result.record
    return result.frame


def pseudonymise_preview(
    source: str | os.PathLike,
    *,
    mapping: str | os.PathLike | dict | None = None,
    identifiers: Iterable[str] | None = None,
    no_identifiers: bool = False,
    keep: Iterable[str] = (),
    coarsen_dates: str | None = None,
    age_bands: bool = False,
) -> tuple[pd.DataFrame, dict]:
    """The table :func:`pseudonymise_file` would write, as text, with identifiers blank (no key).

    For measuring what a file would disclose (``soteria pseudonymise --check`` with no output)
    before a key is at hand; never write it.

    Examples
    --------
    >>> from soteria_research import SAMPLE_CASES
    >>> table, summary = pseudonymise_preview(SAMPLE_CASES)
    >>> set(table["victim_id"]) == {""}  # identifiers blank: no key yet
    True
    """
    from .ingest import read_table

    result = _transform(read_table(source), key=None, mapping=mapping, identifiers=identifiers,
                        no_identifiers=no_identifiers, keep=keep, coarsen_dates=coarsen_dates,
                        age_bands=age_bands, source=Path(source).name)
    return _written_text(result.frame), result.record


# -- files ------------------------------------------------------------------------------------

OUTPUT_SUFFIXES = (".csv", ".parquet", ".pq")


def sidecar_path(target: str | os.PathLike) -> Path:
    """Where the provenance record of ``target`` is written: ``<target>.pseudonymisation.json``."""
    target = Path(target)
    return target.with_name(target.name + ".pseudonymisation.json")


def pseudonymise_file(
    source: str | os.PathLike,
    target: str | os.PathLike,
    *,
    key: bytes | str | os.PathLike,
    mapping: str | os.PathLike | dict | None = None,
    identifiers: Iterable[str] | None = None,
    no_identifiers: bool = False,
    keep: Iterable[str] = (),
    coarsen_dates: str | None = None,
    age_bands: bool = False,
) -> dict:
    """Pseudonymise one extract file into ``target`` (CSV or Parquet) with a provenance sidecar.

    Options as for :func:`pseudonymise`. The output and ``<target>.pseudonymisation.json`` are
    searched for every original identifier value before either is written, then written whole
    or not at all (temporary files, then renames). A CSV neutralises cells a spreadsheet would
    run as formulas (a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a ``'``).
    ``target`` may not be the source, the mapping or the key file.

    Returns
    -------
    dict
        The provenance record (as in the sidecar), plus ``"sidecar"``: its path.

    Examples
    --------
    >>> import secrets, tempfile, pathlib
    >>> from soteria_research.settings import SYNTHETIC_DIR
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "pseudonymised.csv"
    >>> record = pseudonymise_file(SYNTHETIC_DIR / "sample_rms_export.csv", out,
    ...                            key=secrets.token_bytes(32),
    ...                            mapping=SYNTHETIC_DIR / "rms_export_mapping.yaml")
    >>> sorted(record["identifiers_hashed"])
    ['crime_ref', 'officer_id', 'suspect_id', 'victim_id']
    """
    from .ingest import read_table

    source, target = Path(source), Path(target)
    key_file = Path(key) if isinstance(key, os.PathLike) else None
    secret = load_key(key_file) if key_file else as_key(key)
    if target.suffix.lower() not in OUTPUT_SUFFIXES:
        raise ParameterError(f"{target}: write the output as .csv or .parquet.")
    sidecar = sidecar_path(target)
    inputs = [source, mapping if isinstance(mapping, (str, os.PathLike)) else None, key_file]
    for written in (target, sidecar):
        for kept in filter(None, inputs):
            if _same_file(written, Path(kept)):
                raise ParameterError(
                    f"{written} is also an input ({Path(kept).name}): writing it would destroy "
                    "it. Choose a different output file.")

    result = _transform(read_table(source), key=secret, mapping=mapping, identifiers=identifiers,
                        no_identifiers=no_identifiers, keep=keep, coarsen_dates=coarsen_dates,
                        age_bands=age_bands, source=source.name)
    csv = target.suffix.lower() == ".csv"
    text = _written_text(result.frame)
    if csv:
        text = _neutralise_formulas(text)
    record = {**result.record, "source": source.name,
              "mapping": Path(mapping).name if isinstance(mapping, (str, os.PathLike)) else None,
              "output": target.name,
              "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    searched = result.searched
    record["identifier_search"] = {
        "values_searched": len(searched.terms()),
        "values_too_short_to_search": searched.n_too_short,
        "found": 0,
    }
    sidecar_text = json.dumps(record, indent=2) + "\n"
    refuse_leaks(find_identifier_leaks(searched, text, hashed=result.plan.hashed,
                                       typed=_typed_fields(text.columns),
                                       texts={"sidecar": _from_the_input(record)}), str(target))

    def write_table(path: Path) -> None:
        if csv:
            text.to_csv(path, index=False, lineterminator="\n")
        else:
            result.frame.to_parquet(path, index=False)

    _write_together({target: write_table, sidecar: sidecar_text})
    return {**record, "sidecar": str(sidecar)}


def _from_the_input(record: dict) -> str:
    """The sidecar's text that comes from the input (file and column names), to be searched.

    The rest is the toolkit's own fixed wording, which cannot hold a raw value; searching it
    would only find coincidences (a dropped note reading "other" or "person").
    """
    names = [record["source"], record["mapping"], record["output"], *record["fields_kept"],
             *record["kept_by_request"], *record["columns_dropped"],
             *record["identifiers_hashed"],
             *record["ages_derived_from_birth_dates"], *record["dates_coarsened"],
             *record["ages_banded"]]
    return "\n".join(str(name) for name in names if name)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _write_together(files: dict) -> None:
    """Write each file to a temporary file beside it, then rename them all: whole or nothing.

    A value is the text to write or a function that writes to a given path.
    """
    temporary: dict[Path, Path] = {}
    try:
        for path, content in files.items():
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                            dir=path.parent)
            os.close(handle)
            temporary[path] = Path(name)
            if callable(content):
                content(temporary[path])
            else:
                temporary[path].write_text(content, encoding="utf-8")
        for path, partial in temporary.items():
            os.replace(partial, path)
    except BaseException:
        for partial in temporary.values():
            partial.unlink(missing_ok=True)
        raise


