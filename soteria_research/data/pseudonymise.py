"""Keyed pseudonymisation of case extracts: HMAC-SHA-256 identifiers, direct identifiers dropped.

This is pseudonymisation, NOT anonymisation: whoever holds the key can re-link the records.

Why keyed hashing. Crime references and victim, suspect and officer ids are replaced by
HMAC-SHA-256 of the value under a secret key. The same key gives the same pseudonym in every
file (so repeat suspects, repeat victims and officer caseloads can still be linked across
extracts and forces), another key gives unrelated pseudonyms, and without the key the
pseudonyms cannot be reversed or recomputed by guessing (a plain hash of a crime reference
could be, by hashing every possible reference). The output is still personal data under UK
GDPR: the key holder can re-identify, and the remaining fields (age, sex, ethnicity, force,
dates) can single people out when combined; ``k_anonymity`` measures that, and disclosure
control (``soteria_research.reporting.disclosure``) protects what reports publish.

Direct identifiers outside the data dictionary (names, addresses, postcodes, dates of birth,
phone numbers, e-mail, national insurance/NHS/PNC numbers, free-text notes) are recognised by
column name and dropped; a date of birth becomes age at report first. Dates can be coarsened to
week or month and ages replaced by bands.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import KeyFileError, ParameterError

__all__ = [
    "AGE_BANDS",
    "KAnonymityReport",
    "MIN_KEY_BYTES",
    "QUASI_IDENTIFIERS",
    "direct_identifier_columns",
    "k_anonymity",
    "key_fingerprint",
    "load_key",
    "pseudonymise",
    "pseudonymise_file",
]

MIN_KEY_BYTES = 32
PSEUDONYM_HEX = 20  # 80 bits: no collision expected among a billion distinct identifiers
KEY_HELP = (
    "Create a key once, keep it outside the project and the data folder, and never share it "
    "with the outputs:\n"
    '    python -c "import secrets; print(secrets.token_hex(32))" > soteria.key\n'
    "then pass --key-file soteria.key or set SOTERIA_KEY_FILE=/path/to/soteria.key."
)

#: Victim and suspect ids share one namespace so a person who is a victim in one case and a
#: suspect in another (one RMS nominal id) stays linked; other fields get their own.
ID_NAMESPACES = {"victim_id": "person", "suspect_id": "person"}

#: Column-name patterns of direct identifiers that never belong in a research extract.
DIRECT_IDENTIFIER_PATTERNS = {
    "name": r"((^|_)(first|fore|sur|last|middle|given|family|full|maiden|nick|victim|suspect|"
            r"officer|person|complainant|offender|witness|oic)_?names?($|_)|^names?$)",
    "address": r"(address|street|postcode|post_code|zip|house|town|addr)",
    "date of birth": r"(^|_)(dob|date_of_birth|birth_?date|d_o_b|born)($|_)",
    "phone": r"(phone|mobile|telephone|tel_no|landline|msisdn|imei)",
    "email": r"(e_?mail)",
    "national number": r"(^|_)(nino|ni_number|national_insurance|nhs_?(number|no)|passport|"
                       r"driving_licen[cs]e|pnc(_id)?|cro(_number)?)($|_)",
    "free text": r"(^|_)(notes?|narrative|comments?|free_?text|description|mo_text|summary)($|_)",
    "network address": r"(^|_)(ip|ip_address|mac_address)($|_)",
}

AGE_BANDS = ((0, 15, "0-15"), (16, 17, "16-17"), (18, 24, "18-24"), (25, 34, "25-34"),
             (35, 44, "35-44"), (45, 54, "45-54"), (55, 64, "55-64"), (65, 200, "65+"))

QUASI_IDENTIFIERS = ("victim_age_band", "victim_sex", "victim_ethnicity", "force",
                     "recorded_month")


# -- the key ---------------------------------------------------------------------------------

def load_key(path: str | os.PathLike | None = None) -> bytes:
    """Read the pseudonymisation key from ``path`` or ``SOTERIA_KEY_FILE``.

    The file holds the key as hex (as ``secrets.token_hex(32)`` writes it) or raw bytes; it must
    give at least 32 bytes.

    Raises
    ------
    KeyFileError
        No key given, file missing or unreadable, or key shorter than 32 bytes; the message
        says how to create one (and never shows the key).

    Examples
    --------
    >>> load_key(None)  # doctest: +SKIP
    Traceback (most recent call last):
    KeyFileError: no pseudonymisation key given...
    """
    if path is None:
        from ..settings import get_settings

        path = get_settings().key_file
    if path is None:
        raise KeyFileError(f"no pseudonymisation key given. {KEY_HELP}")
    path = Path(path).expanduser()
    if not path.is_file():
        raise KeyFileError(f"key file {path} does not exist. {KEY_HELP}")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise KeyFileError(f"key file {path} cannot be read ({error.strerror}).") from None
    return _as_key(raw, source=str(path))


def _as_key(key: bytes | str, source: str = "key") -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray)):
        raise KeyFileError(f"{source}: the key must be bytes or text, not {type(key).__name__}.")
    text = bytes(key).strip()
    try:
        decoded = bytes.fromhex(text.decode("ascii")) if text else b""
    except (UnicodeDecodeError, ValueError):
        decoded = bytes(key)  # not hex: use the raw bytes
    if len(decoded) < MIN_KEY_BYTES:
        raise KeyFileError(
            f"{source}: the key is {len(decoded)} bytes; at least {MIN_KEY_BYTES} are needed "
            f"(64 hex characters). {KEY_HELP}")
    return decoded


def key_fingerprint(key: bytes | str) -> str:
    """First 8 hex characters of SHA-256 of the key: safe to log, tells keys apart.

    Examples
    --------
    >>> len(key_fingerprint("00" * 32))
    8
    """
    return hashlib.sha256(_as_key(key)).hexdigest()[:8]


# -- pseudonymising -------------------------------------------------------------------------

def _hmac_column(values: pd.Series, key: bytes, namespace: str) -> pd.Series:
    """HMAC-SHA-256 of each distinct value, mapped back to the rows.

    Hashing runs once per distinct value (``pd.factorize``), in a comprehension over a prepared
    HMAC object (``copy()`` skips the key set-up): about a microsecond each, so a million
    distinct ids take about a second. hashlib has no vectorised HMAC; numpy cannot do SHA-256.
    """
    text = _id_text(values)
    codes, uniques = pd.factorize(text)
    prepared = hmac.new(key, f"soteria:{namespace}:".encode(), hashlib.sha256)

    def one(value: str) -> str:
        mac = prepared.copy()
        mac.update(value.encode("utf-8"))
        return mac.hexdigest()[:PSEUDONYM_HEX]

    hashed = np.array([one(value) for value in uniques] + [None], dtype=object)
    return pd.Series(hashed[codes], index=values.index, dtype=object)  # -1 -> None (missing)


def _id_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values):
        values = values.astype("Int64")
    text = values.astype("string").str.strip()
    return text.mask(text.isin(["", "nan", "NaN", "None", "NULL", "NA", "<NA>"])).astype(object)


def direct_identifier_columns(columns, dictionary_fields=None) -> dict[str, str]:
    """Columns outside the dictionary whose names mark them as direct identifiers.

    Examples
    --------
    >>> direct_identifier_columns(["force", "victim_surname", "victim_dob", "home_postcode"])
    {'victim_surname': 'name', 'victim_dob': 'date of birth', 'home_postcode': 'address'}
    """
    if dictionary_fields is None:
        from .dictionary import load_dictionary

        dictionary_fields = load_dictionary().field_names
    known = set(dictionary_fields)
    found: dict[str, str] = {}
    for column in columns:
        if column in known:
            continue
        name = re.sub(r"[^a-z0-9]+", "_", str(column).lower()).strip("_")
        for kind, pattern in DIRECT_IDENTIFIER_PATTERNS.items():
            if re.search(pattern, name):
                found[column] = kind
                break
    return found


def _as_dates(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
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
    period = {"week": "W-SUN", "month": "M"}[unit]
    return dates.dt.to_period(period).dt.start_time.where(dates.notna())


def pseudonymise(
    cases: pd.DataFrame,
    *,
    key: bytes | str,
    coarsen_dates: str | None = None,
    age_bands: bool = False,
    identifiers: list[str] | None = None,
) -> pd.DataFrame:
    """Replace identifiers with keyed pseudonyms and drop direct identifiers.

    Keyed hashing is pseudonymisation, not anonymisation: the result is still personal data,
    and whoever holds the key can link it back. Handle and store it as such.

    Parameters
    ----------
    cases : DataFrame
        A canonical ``cases`` frame or a raw extract with the dictionary's column names.
    key : bytes or str
        At least 32 bytes (hex text as written by ``secrets.token_hex(32)`` is decoded).
    coarsen_dates : {"week", "month"}, optional
        Floor every date (but the extract date) to the start of its week (Monday) or month.
    age_bands : bool
        Replace ``victim_age``/``suspect_age`` by ``victim_age_band``/``suspect_age_band``
        (the exact ages are blanked).
    identifiers : list of str, optional
        Columns to hash (default: the dictionary's ``identifier`` fields present).

    Returns
    -------
    DataFrame
        Same rows; ``attrs["pseudonymisation"]`` says what was done (with the key's
        fingerprint, never the key).

    Examples
    --------
    >>> cases = pd.DataFrame({"crime_ref": ["AB/1", "AB/2"], "victim_id": ["V1", "V1"],
    ...                       "victim_surname": ["Smith", "Jones"]})
    >>> out = pseudonymise(cases, key="ab" * 32)
    >>> list(out.columns), out["victim_id"].nunique()
    (['crime_ref', 'victim_id'], 1)
    """
    from .dictionary import load_dictionary

    secret = _as_key(key)
    dictionary = load_dictionary()
    if coarsen_dates not in (None, "week", "month"):
        raise ParameterError(f"coarsen_dates={coarsen_dates!r}: use 'week', 'month' or None.")
    frame = cases.copy()
    identifiers = [c for c in (identifiers or dictionary.identifier_fields) if c in frame]
    for column in identifiers:
        frame[column] = _hmac_column(frame[column], secret, ID_NAMESPACES.get(column, column))

    dropped = direct_identifier_columns(frame.columns, dictionary.field_names)
    derived = _ages_from_birth_dates(frame, dropped)
    frame = frame.drop(columns=list(dropped))

    coarsened = []
    if coarsen_dates:
        for column in [c for c in dictionary.date_fields if c in frame and c != "extract_date"]:
            was_text = not pd.api.types.is_datetime64_any_dtype(frame[column])
            dates = _coarsen(_as_dates(frame[column]), coarsen_dates)
            frame[column] = dates.dt.strftime("%Y-%m-%d").where(dates.notna(), "") \
                if was_text else dates
            coarsened.append(column)
    banded = []
    if age_bands:
        for column in [c for c in ("victim_age", "suspect_age") if c in frame]:
            position = frame.columns.get_loc(column) + 1
            frame.insert(position, f"{column}_band", age_band(frame[column]))
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="Int64") \
                if not frame[column].dtype == object else ""
            banded.append(column)
    frame.attrs["pseudonymisation"] = {
        "method": "HMAC-SHA-256, keyed (pseudonymisation, not anonymisation)",
        "key_fingerprint": key_fingerprint(secret),
        "pseudonym_length_hex": PSEUDONYM_HEX,
        "identifiers_hashed": identifiers,
        "direct_identifiers_dropped": dropped,
        "ages_derived_from_birth_dates": derived,
        "dates_coarsened_to": coarsen_dates,
        "dates_coarsened": coarsened,
        "ages_banded": banded,
        "rows": len(frame),
    }
    return frame


def _ages_from_birth_dates(frame: pd.DataFrame, dropped: dict[str, str]) -> dict[str, str]:
    """Fill victim/suspect age at report from date-of-birth columns before they are dropped."""
    derived: dict[str, str] = {}
    on_column = next((c for c in ("report_date", "recorded_date") if c in frame), None)
    if on_column is None:
        return derived
    on = _as_dates(frame[on_column])
    for column, kind in dropped.items():
        if kind != "date of birth":
            continue
        target = "suspect_age" if "suspect" in column.lower() else "victim_age"
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


# -- k-anonymity ----------------------------------------------------------------------------

@dataclass
class KAnonymityReport:
    """How identifiable rows are from their quasi-identifiers alone.

    ``k`` is the size of the smallest group of rows sharing the same quasi-identifier values:
    a row in a group of 1 is unique (re-identifiable by anyone who knows those facts).
    """

    quasi_identifiers: list[str]
    k: int
    n_rows: int
    n_groups: int
    below: pd.DataFrame = field(repr=False)
    smallest: pd.DataFrame = field(repr=False)

    def summary(self) -> str:
        lines = [f"k-anonymity over {', '.join(self.quasi_identifiers)}: k = {self.k} "
                 f"({self.n_groups} groups, {self.n_rows} rows)"]
        for row in self.below.itertuples():
            lines.append(f"  groups smaller than {row.size_below}: {row.groups} "
                         f"({row.rows} rows, {row.share_of_rows:.1%})")
        lines.append("smallest groups:")
        lines += ["  " + line for line in self.smallest.to_string(index=False).splitlines()]
        return "\n".join(lines)


def k_anonymity(cases: pd.DataFrame, quasi_identifiers=QUASI_IDENTIFIERS, *,
                n_smallest: int = 10) -> KAnonymityReport:
    """k-anonymity of ``cases`` over quasi-identifiers (age band, sex, ethnicity, force, month).

    ``victim_age_band`` is made from ``victim_age`` and ``recorded_month`` from
    ``recorded_date`` when the frame lacks them; missing values form their own group.

    Examples
    --------
    >>> cases = pd.DataFrame({"force": ["a", "a", "b"], "victim_sex": ["F", "F", "M"]})
    >>> k_anonymity(cases, ["force", "victim_sex"]).k
    1
    """
    frame = pd.DataFrame(index=cases.index)
    for column in quasi_identifiers:
        if column in cases:
            frame[column] = cases[column]
        elif column == "victim_age_band" and "victim_age" in cases:
            frame[column] = age_band(cases["victim_age"])
        elif column == "recorded_month" and "recorded_date" in cases:
            frame[column] = _as_dates(cases["recorded_date"]).dt.strftime("%Y-%m")
        else:
            raise ParameterError(f"k_anonymity: no column {column!r} (or what it is made from) "
                                 f"in the cases; columns: {list(cases.columns)}.")
    frame = frame.astype(object).where(frame.notna(), "(missing)")
    sizes = frame.groupby(list(frame.columns), dropna=False).size().rename("rows").reset_index()
    n_rows = len(frame)
    below = pd.DataFrame([
        {"size_below": limit, "groups": int((sizes["rows"] < limit).sum()),
         "rows": int(sizes.loc[sizes["rows"] < limit, "rows"].sum())}
        for limit in (2, 5, 10)])
    below["share_of_rows"] = below["rows"] / max(n_rows, 1)
    smallest = sizes.sort_values("rows", kind="stable").head(n_smallest).reset_index(drop=True)
    return KAnonymityReport(list(frame.columns), int(sizes["rows"].min()) if n_rows else 0,
                            n_rows, len(sizes), below, smallest)


# -- files ----------------------------------------------------------------------------------

def pseudonymise_file(source: str | os.PathLike, target: str | os.PathLike, *,
                      key: bytes | str, coarsen_dates: str | None = None,
                      age_bands: bool = False) -> dict:
    """Pseudonymise one extract file into ``target`` (CSV or Parquet) with a provenance sidecar.

    Identifiers are read as text (never as numbers, which would change ``007`` to ``7``). The
    sidecar ``<target>.pseudonymisation.json`` records what was done and the key fingerprint.
    """
    from .ingest import read_table

    source, target = Path(source), Path(target)
    raw = read_table(source)
    frame = pseudonymise(raw, key=key, coarsen_dates=coarsen_dates, age_bands=age_bands)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() == ".parquet":
        frame.to_parquet(target, index=False)
    elif target.suffix.lower() in (".csv", ".txt"):
        frame.to_csv(target, index=False)
    else:
        raise ParameterError(f"{target}: write the output as .csv or .parquet.")
    log = {**frame.attrs["pseudonymisation"], "source": source.name, "output": target.name,
           "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    sidecar = target.with_name(target.name + ".pseudonymisation.json")
    sidecar.write_text(json.dumps(log, indent=2), encoding="utf-8")
    log["sidecar"] = str(sidecar)
    log["frame"] = frame
    return log
