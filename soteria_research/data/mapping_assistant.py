"""The mapping assistant: guess a mapping from an export's header and values, with a confidence
and the evidence for each guess (``suggest_mapping``), and show what a mapping does to an
export (``check_mapping``).

A guess combines what a column is called (its words against the field names and the synonyms
in ``data_dictionaries/synonyms.yaml``) with what it holds: dates (and their format, day or
month first), yes/no words, ages, Home Office offence and outcome codes, force names, sex,
ethnicity, relationship and decision labels, identifiers. What it cannot guess (the force of a
one-force file without a force column, the extract date) it lists for the analyst to fill in.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .date_formats import ISO_DATE, detect_date_format, to_uk_dates
from .dictionary import load_dictionary
from .mapping import MAPPING_VERSION, apply_mapping, load_mapping
from .synonyms import fold, force_code, header_scores, label_key, load_synonyms

SAMPLE_ROWS = 5000
ACCEPT = 0.5  # least combined score for a guess
# Fields whose values alone say what they are (a column of offence codes is the offence code).
VALUE_IDENTIFIED = {"force", "offence_code", "outcome_code", "relationship", "cps_decision",
                    "court_outcome"}
_CODELIST_FIELDS = {"victim_sex": "sexes", "suspect_sex": "sexes",
                    "victim_ethnicity": "ethnicity_groups", "suspect_ethnicity": "ethnicity_groups",
                    "relationship": "relationships", "cps_decision": "prosecution_decisions",
                    "court_outcome": "court_outcomes"}
_ID_PATTERN = re.compile(r"^[A-Za-z]{0,6}[-/]?\d{3,}[A-Za-z0-9/-]*$")
_OUTCOME_PATTERN = re.compile(r"^\s*(?:[A-Za-z]{1,8}\s*[-:.]?\s*)?0*(\d{1,2}[A-Za-z]?)(?=$|[\s:.-])")


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
@dataclass
class ColumnGuess:
    """What one export column is guessed to hold, how sure, and why."""

    column: str
    field: str | None
    confidence: float
    evidence: list[str] = field(default_factory=list)
    date_formats: list[str] = field(default_factory=list)
    true_words: list[str] = field(default_factory=list)
    false_words: list[str] = field(default_factory=list)
    recodes: dict[str, str] = field(default_factory=dict)
    unrecognised: dict[str, int] = field(default_factory=dict)
    check: list[str] = field(default_factory=list)

    @property
    def level(self) -> str:
        """``high``, ``medium`` or ``low`` confidence."""
        return "high" if self.confidence >= 0.85 else "medium" if self.confidence >= 0.65 else "low"


@dataclass
class MappingSuggestion:
    """A suggested mapping for one export, guess by guess.

    Attributes
    ----------
    source : str
        The export.
    n_rows : int
        Rows in the export.
    columns : list of ColumnGuess
        One per export column, in file order; ``field`` None means "drop".
    constants : dict
        Field -> (value, confidence, evidence) for fields guessed without a column.
    date_format, true_values, false_values, missing_values
        File-wide settings, with their evidence in ``notes``.
    to_fill : list of str
        What could not be guessed: lines for the analyst to complete.
    """

    source: str
    n_rows: int
    columns: list[ColumnGuess]
    constants: dict[str, tuple[str, float, str]] = field(default_factory=dict)
    date_format: list[str] = field(default_factory=list)
    true_values: list[str] = field(default_factory=list)
    false_values: list[str] = field(default_factory=list)
    missing_values: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    to_fill: list[str] = field(default_factory=list)
    sheet: str | int | None = None

    @property
    def mapped(self) -> dict[str, str]:
        """Export column -> guessed field, for the columns given a field."""
        return {g.column: g.field for g in self.columns if g.field}

    def mapping(self) -> dict:
        """The suggested mapping as a dict (what :meth:`to_yaml` writes, without the comments)."""
        return load_mapping(_parse_suggestion(self.to_yaml()))

    def to_yaml(self) -> str:
        """The suggested mapping file, each guess with its confidence and evidence as comments."""
        return _render_yaml(self)

    def summary(self) -> str:
        """A table of the guesses for the terminal."""
        width = max([len(g.column) for g in self.columns] + [6])
        lines = [f"{'column':<{width}}  {'field':<24} confidence"]
        for g in self.columns:
            lines.append(f"{g.column:<{width}}  {(g.field or '(drop)'):<24} {g.confidence:.2f} {g.level}")
        mapped = sum(1 for g in self.columns if g.field)
        lines.append(f"{mapped} of {len(self.columns)} columns mapped; "
                     f"{len(self.to_fill)} thing(s) to fill in.")
        return "\n".join(lines)


def _parse_suggestion(text: str) -> dict:
    from .mapping_schema import parse_mapping_yaml

    return parse_mapping_yaml(text)[0]


# --------------------------------------------------------------------------------------------
# Suggest
# --------------------------------------------------------------------------------------------
def suggest_mapping(export: str | os.PathLike | pd.DataFrame, *, sheet: str | int | None = None,
                    name: str | None = None) -> MappingSuggestion:
    """Guess the mapping of an export from its header and values.

    Parameters
    ----------
    export : path or DataFrame
        The export (CSV, Parquet or Excel), or its frame read as text.
    sheet : str or int, optional
        Excel only: the sheet to read.
    name : str, optional
        What to call the export in the mapping (default: the file name).

    Returns
    -------
    MappingSuggestion
        Write it with ``.to_yaml()``; every guess carries a confidence and its evidence.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Crime No": ["CR1001", "CR1002", "CR1003"],
    ...                     "Date Recorded": ["13/01/2023", "02/02/2023", "03/02/2023"],
    ...                     "HO Class": ["19C", "020A", "88E"], "DV": ["Y", "", "Y"]})
    >>> suggestion = suggest_mapping(raw, name="example")
    >>> suggestion.mapped
    {'Crime No': 'crime_ref', 'Date Recorded': 'recorded_date', 'HO Class': 'offence_code', 'DV': 'domestic_abuse'}
    >>> suggestion.date_format
    ['%d/%m/%Y']
    """
    if isinstance(export, pd.DataFrame):
        raw, source = export, name or "export"
    else:
        raw, source = _read_export(export, sheet), str(export)
    sample = raw.iloc[np.linspace(0, len(raw) - 1, min(len(raw), SAMPLE_ROWS)).astype(int)] if len(raw) else raw
    profiles = [_profile(str(c), sample[c], raw[c]) for c in raw.columns]
    guesses = _assign(profiles)
    suggestion = MappingSuggestion(source=source, n_rows=len(raw), columns=guesses, sheet=sheet)
    _settle_values(suggestion, profiles)
    _settle_dates(suggestion, profiles)
    _settle_flags(suggestion, profiles)
    _settle_constants(suggestion, profiles, name or Path(source).name)
    return suggestion


def _read_export(path, sheet) -> pd.DataFrame:
    from .ingest import read_table

    path = Path(path)
    if sheet is not None and path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(path, sheet_name=sheet, dtype=object)
    return read_table(path)


@dataclass
class _Profile:
    column: str
    n: int
    counts: pd.Series          # distinct data values (blanks and tokens removed) -> rows
    tokens: dict[str, int]     # "not known" tokens as written -> rows
    blanks: int
    unique: bool
    header: dict[str, tuple[float, str]]
    kinds: dict[str, tuple[float, str]] = field(default_factory=dict)
    date_guess: object = None


def _cell(value) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if hasattr(value, "year"):
        return value
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value).strip()


def _profile(column: str, sample: pd.Series, full: pd.Series) -> _Profile:
    synonyms = load_synonyms()
    codes, distinct = pd.factorize(sample.to_numpy(dtype=object), use_na_sentinel=False)
    rows = np.bincount(codes, minlength=len(distinct))
    cells = [_cell(v) for v in distinct]
    tally: dict[object, int] = {}
    for cell, n in zip(cells, rows):  # distinct values, not rows
        tally[cell] = tally.get(cell, 0) + int(n)
    blanks = tally.pop("", 0)
    tokens = {c: n for c, n in tally.items() if isinstance(c, str) and fold(c) in synonyms.missing_tokens}
    counts = pd.Series({c: n for c, n in tally.items() if c not in tokens}, dtype=int)
    counts = counts.sort_values(ascending=False, kind="stable") if len(counts) else pd.Series(dtype=int)
    present = full.notna() & (full.astype(str).str.strip() != "")
    unique = bool(present.sum()) and full[present].is_unique
    profile = _Profile(column=column, n=len(sample), counts=counts, tokens=tokens, blanks=blanks,
                       unique=unique, header=header_scores(column))
    profile.kinds = _value_kinds(profile)
    return profile


@lru_cache(maxsize=1)
def _code_lookup() -> dict[str, dict[str, str]]:
    """Codelist -> folded label/synonym/code -> code."""
    dictionary = load_dictionary()
    out = {}
    for codelist, table in load_synonyms().values.items():
        lookup = dict(table)
        frame = dictionary.codelists[codelist]
        for code, label in zip(frame["code"], frame["label"]):
            for text in (code, label):
                lookup.setdefault(label_key(text), code)
        out[codelist] = lookup
    return out


def _value_kinds(p: _Profile) -> dict[str, tuple[float, str]]:
    """What the values look like: kind -> (share of rows it explains, evidence)."""
    if p.counts.empty:
        return {}
    values = p.counts.index.to_numpy(dtype=object)
    weights = p.counts.to_numpy(dtype=float)
    total = weights.sum()
    text = np.array([v if isinstance(v, str) else "" for v in values], dtype=object)
    kinds: dict[str, tuple[float, str]] = {}
    examples = ", ".join(repr(str(v)) for v in values[:3])

    def share(mask) -> float:
        return float(weights[np.asarray(mask, dtype=bool)].sum() / total)

    # dates
    date_like = np.array([hasattr(v, "year") or bool(re.search(r"\d", str(v))) and len(str(v)) <= 40
                          for v in values])
    if share(date_like) >= 0.5:
        guess = detect_date_format(values)
        p.date_guess = guess
        if guess.formats or guess.share == 1.0:
            kinds["date"] = (guess.share, guess.evidence)
    synonyms = load_synonyms()
    folded = np.array([fold(v) for v in text], dtype=object)
    # yes/no flags (a stray value or two is a bad row, not a different kind of column)
    flag = np.isin(folded, list(synonyms.true_words | synonyms.false_words))
    if share(flag) >= 0.95 and len(values) - flag.sum() <= 3 and flag.sum() <= 2:
        shown = ", ".join(repr(str(v)) for v in values[flag])
        kinds["flag"] = (share(flag), f"the values are {shown}" + (" or blank" if p.blanks else ""))
    # whole numbers
    numbers = pd.to_numeric(pd.Series(text), errors="coerce")
    whole = numbers.notna().to_numpy() & (numbers.fillna(0) % 1 == 0).to_numpy()
    if share(whole) >= 0.95:
        low, high = numbers[whole].min(), numbers[whole].max()
        kinds["integer"] = (share(whole), f"whole numbers from {low:.0f} to {high:.0f}")
    # codes and labels
    if len(values) > 200:  # code lists, forces and flags have few values: an id, date or number
        return kinds | _id_kind(p, text, share, examples)
    keys = np.array([label_key(v) for v in text], dtype=object)
    for codelist, lookup in _code_lookup().items():
        hits = np.array([k in lookup for k in keys])
        if hits.any():
            kinds[codelist] = (share(hits), f"{share(hits):.0%} of rows are {codelist.replace('_', ' ')} "
                                            f"labels ({examples})")
    offences = set(load_dictionary().codes("offence_codes"))
    normal = [re.sub(r"^0+(?=\d)", "", str(t).upper()) for t in text]
    hits = np.array([c in offences for c in normal])
    if hits.any():
        kinds["offence_code"] = (share(hits), f"{share(hits):.0%} of rows are Home Office offence "
                                              f"codes ({examples})")
    parsed = [_outcome_code(t) for t in text]
    hits = np.array([c is not None for c in parsed])
    if hits.any():
        kinds["outcome_code"] = (share(hits), f"{share(hits):.0%} of rows are Home Office outcome "
                                              f"codes or open markers ({examples})")
    hits = np.array([bool(t) and force_code(t) is not None for t in text])
    if hits.any():
        kinds["force"] = (share(hits), f"{share(hits):.0%} of rows are force names ({examples})")
    return kinds | _id_kind(p, text, share, examples)


def _id_kind(p: _Profile, text: np.ndarray, share, examples: str) -> dict[str, tuple[float, str]]:
    ids = np.array([bool(_ID_PATTERN.match(t)) for t in text])
    if share(ids) < 0.9:
        return {}
    return {"id": (share(ids), f"identifiers such as {examples}" + (", each row its own" if p.unique else ""))}


@lru_cache(maxsize=1)
def _outcome_codes() -> frozenset[str]:
    return frozenset(load_dictionary().codes("outcome_codes"))


def _outcome_code(text: str) -> str | None:
    outcomes = _outcome_codes()
    if fold(text) in load_synonyms().open_outcomes:
        return "0"
    match = _OUTCOME_PATTERN.match(text)
    if match and match.group(1).upper() in outcomes:
        return match.group(1).upper()
    return None


def _value_score(p: _Profile, name: str) -> tuple[float | None, str]:
    """How well the column's values fit field ``name`` (None: no values to judge)."""
    if p.counts.empty:
        return None, "the column is empty"
    f = load_dictionary()[name]
    kinds = p.kinds
    if f.type == "date":
        return kinds.get("date", (0.0, "the values are not dates"))
    if f.type == "boolean":
        return kinds.get("flag", (0.0, "the values are not yes/no words"))
    if f.type == "integer":
        score, evidence = kinds.get("integer", (0.0, "the values are not whole numbers"))
        numbers = pd.to_numeric(pd.Series(p.counts.index), errors="coerce").dropna()
        if len(numbers) and (numbers.min() < (f.minimum or 0) or numbers.max() > (f.maximum or 150)):
            score *= 0.6
        if set(numbers.unique()) <= {0, 1}:
            score *= 0.3  # a 1/0 flag, not an age
        return score, evidence
    if name in _CODELIST_FIELDS:
        return kinds.get(_CODELIST_FIELDS[name], (0.0, "no value is a known label"))
    if name in ("offence_code", "outcome_code", "force"):
        return kinds.get(name, (0.0, f"no value is a {name.replace('_', ' ')}"))
    if f.identifier:
        score, evidence = kinds.get("id", (0.0, "the values do not look like identifiers"))
        if name == "crime_ref":
            score = score if p.unique or len(p.counts) >= 0.95 * p.n else score * 0.7
        return score, evidence
    return 0.5, ""


def _assign(profiles: list[_Profile]) -> list[ColumnGuess]:
    fields = [f.name for f in load_dictionary().input_fields]
    scored = []
    for p in profiles:
        for name in fields:
            header, phrase = p.header[name]
            value, value_evidence = _value_score(p, name)
            score = _combined(header, value, name)
            if score >= ACCEPT:
                scored.append((score, p.column, name, header, phrase, value, value_evidence))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    taken_columns: dict[str, ColumnGuess] = {}
    taken_fields: set[str] = set()
    for score, column, name, header, phrase, _value, value_evidence in scored:
        if column in taken_columns or name in taken_fields:
            continue
        evidence = []
        if header >= 0.5:
            evidence.append(f"header {column!r} ~ '{phrase}'" + ("" if header == 1 else f" ({header:.2f})"))
        if value_evidence:
            evidence.append(value_evidence)
        taken_columns[column] = ColumnGuess(column, name, round(score, 2), evidence)
        taken_fields.add(name)
    out = []
    for p in profiles:
        guess = taken_columns.get(p.column)
        if guess is None:
            best = max(p.header.items(), key=lambda kv: kv[1][0])
            why = (f"the nearest field, {best[0]}, is taken or does not fit ({best[1][0]:.2f})"
                   if best[1][0] >= 0.6 else "no field has a name like it")
            guess = ColumnGuess(p.column, None, 0.0, [f"not a dictionary field: {why}"])
        out.append(guess)
    return out


def _combined(header: float, value: float | None, name: str) -> float:
    """One score from the header's and the values' evidence.

    A name like the field's is needed unless the values alone say what the column is; values
    that contradict the field (dates for an age) rule it out; values partly recognised (a
    label not in the synonyms) lower the score without ruling the field out.
    """
    if value is None:
        return 0.8 * header if header >= 0.6 else 0.0
    if name in VALUE_IDENTIFIED and value >= 0.9:
        return max(0.6 * header + 0.4 * value, 0.5 + 0.4 * value)
    if header < 0.5 or value == 0:
        return 0.0
    return 0.6 * header + 0.4 * value


# -- settings that follow from the guesses ------------------------------------------------------
def _settle_values(s: MappingSuggestion, profiles: list[_Profile]) -> None:
    """Recodes per field, and which "not known" tokens are missing everywhere."""
    by_column = {p.column: p for p in profiles}
    missing: dict[str, int] = {}
    where: dict[str, set] = {}
    for g in s.columns:
        p = by_column[g.column]
        recoded_codes: set[str] = set()
        if g.field in _CODELIST_FIELDS or g.field in ("force", "outcome_code"):
            g.recodes, g.unrecognised = _recodes(g.field, p.counts)
            recoded_codes = set(g.recodes.values()) | {v for v in p.counts.index if isinstance(v, str)}
            lookup = _code_lookup().get(_CODELIST_FIELDS.get(g.field, ""), {})
            for token in list(p.tokens):
                code = lookup.get(label_key(token))
                if code and code not in recoded_codes:
                    g.recodes[token] = code  # this column's word for the code, not "not known"
                    recoded_codes.add(code)
            if g.unrecognised:
                shown = ", ".join(f"{v!r} ({n})" for v, n in list(g.unrecognised.items())[:5])
                g.check.append(f"values not recognised: {shown}: add them under values")
        for token, rows in p.tokens.items():
            if token not in g.recodes and g.field is not None:
                missing[token] = missing.get(token, 0) + rows
                where.setdefault(token, set()).add(g.column)
    s.missing_values = sorted(missing, key=lambda t: -missing[t])
    if missing:
        s.notes["missing_values"] = "seen in the sample: " + ", ".join(
            f"{t!r} in {len(where[t])} column(s), {missing[t]:,} rows" for t in s.missing_values)


def _recodes(name: str, counts: pd.Series) -> tuple[dict[str, str], dict[str, int]]:
    dictionary = load_dictionary()
    recodes, unknown = {}, {}
    if name == "force":
        codes = set(dictionary.forces["code"])
        for raw, rows in counts.items():
            if raw not in codes:
                code = force_code(raw)
                if code:
                    recodes[str(raw)] = code
                else:
                    unknown[str(raw)] = int(rows)
        return recodes, unknown
    if name == "outcome_code":
        codes = set(dictionary.codes("outcome_codes"))
        for raw, rows in counts.items():
            normal = re.sub(r"^0+(?=\d)", "", str(raw).upper())
            if normal in codes:
                continue
            code = _outcome_code(str(raw))
            if code:
                recodes[str(raw)] = code
            else:
                unknown[str(raw)] = int(rows)
        return recodes, unknown
    codelist = _CODELIST_FIELDS[name]
    codes = set(dictionary.codes(codelist))
    lookup = _code_lookup()[codelist]
    for raw, rows in counts.items():
        if raw in codes:
            continue
        code = lookup.get(label_key(raw))
        if code:
            recodes[str(raw)] = code
        else:
            unknown[str(raw)] = int(rows)
    return recodes, unknown


def _settle_dates(s: MappingSuggestion, profiles: list[_Profile]) -> None:
    """One file-wide date format (the commonest, with evidence pooled over its columns) and a
    column's own format where it differs."""
    by_column = {p.column: p for p in profiles}
    dictionary = load_dictionary()
    dated = [(g, by_column[g.column]) for g in s.columns
             if g.field and dictionary[g.field].type == "date" and by_column[g.column].date_guess]
    tally: dict[tuple, int] = {}
    for _, p in dated:
        key = tuple(p.date_guess.formats)
        if key:
            tally[key] = tally.get(key, 0) + 1
    if not tally:
        return
    common = max(tally, key=lambda k: (tally[k], k == (ISO_DATE,)))
    pooled = pd.concat([p.counts.index.to_series() for g, p in dated if tuple(p.date_guess.formats) == common])
    guess = detect_date_format(pooled.to_numpy(dtype=object))
    s.date_format = list(guess.formats) or list(common)
    s.notes["date_format"] = f"{tally[common]} date column(s): {guess.evidence}"
    for g, p in dated:
        formats = list(p.date_guess.formats)
        if formats and formats != s.date_format:
            g.date_formats = formats
        if guess.ambiguous and formats == s.date_format:
            g.check.append("day or month first? no value told them apart")


def _settle_flags(s: MappingSuggestion, profiles: list[_Profile]) -> None:
    """File-wide yes/no words, and a blank read as false where a column has only a yes word."""
    synonyms = load_synonyms()
    by_column = {p.column: p for p in profiles}
    dictionary = load_dictionary()
    true_words: dict[str, int] = {}
    false_words: dict[str, int] = {}
    for g in s.columns:
        if not g.field or dictionary[g.field].type != "boolean":
            continue
        p = by_column[g.column]
        yes = [str(v) for v in p.counts.index if fold(v) in synonyms.true_words]
        no = [str(v) for v in p.counts.index if fold(v) in synonyms.false_words]
        for word in yes:
            true_words[word] = true_words.get(word, 0) + 1
        for word in no:
            false_words[word] = false_words.get(word, 0) + 1
        if yes and not no and p.blanks:
            g.true_words, g.false_words = yes, [""]
            g.check.append("a blank is read as 'no': is it 'no', or 'not recorded'?")
            g.confidence = round(min(g.confidence, 0.8), 2)
    s.true_values = sorted(true_words, key=lambda w: -true_words[w])
    s.false_values = sorted(false_words, key=lambda w: -false_words[w])
    if true_words or false_words:
        s.notes["flags"] = (f"yes/no columns use {', '.join(map(repr, s.true_values)) or 'no yes word'} "
                            f"and {', '.join(map(repr, s.false_values)) or 'a blank'}")


def _settle_constants(s: MappingSuggestion, profiles: list[_Profile], file_name: str) -> None:
    dictionary = load_dictionary()
    mapped = set(s.mapped.values())
    if "force" not in mapped:
        code = _force_in_name(file_name)
        if code:
            s.constants["force"] = (code, 0.6, f"no force column; the file name {file_name!r} names "
                                                f"{code}: check it is this force's file")
        else:
            s.to_fill.append("force: no column holds the force. For one force's file, add under "
                             "constants:  force: CODE  (a code from data_dictionaries/forces.csv, "
                             "e.g. cumbria)")
    if "extract_date" not in mapped:
        latest = _latest_date(s, profiles)
        hint = f"; the latest date in the file is {latest}" if latest else ""
        s.to_fill.append("extract_date: no column holds the extract date. Add under constants:  "
                         f"extract_date: YYYY-MM-DD  (the day the export was run{hint}), or give "
                         "--extract-date")
    for f in dictionary.input_fields:
        if f.required and f.name not in mapped and f.name not in s.constants and \
                f.name not in ("force", "extract_date"):
            s.to_fill.append(f"{f.name}: required, and no column was recognised as {f.title.lower()}: "
                             "add the export's column under columns")


def _force_in_name(file_name: str) -> str | None:
    words = re.split(r"[^a-z0-9]+", file_name.casefold())
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            code = force_code(" ".join(words[i:i + size]))
            if code:
                return code
    return None


def _latest_date(s: MappingSuggestion, profiles: list[_Profile]) -> str | None:
    by_column = {p.column: p for p in profiles}
    latest = None
    for g in s.columns:
        p = by_column[g.column]
        if g.field and load_dictionary()[g.field].type == "date" and p.date_guess and p.date_guess.formats:
            dates, _ = to_uk_dates(p.counts.index.to_numpy(dtype=object), g.date_formats or s.date_format)
            known = [d for d in dates if d is not None]
            if known:
                latest = max(latest or known[0], max(known))
    return latest.isoformat() if isinstance(latest, dt.date) else None


# --------------------------------------------------------------------------------------------
# Writing the suggestion
# --------------------------------------------------------------------------------------------
_RESERVED = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~", ""}


def _scalar(value) -> str:
    text = str(value)
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9 _/().&'-]*", text) and not text.endswith(" ")
    if plain and fold(text) not in _RESERVED and ": " not in text and " #" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def _words(words: list[str]) -> str:
    return "[" + ", ".join(_scalar(w) for w in words) + "]"


#: The constants a one-force export usually lacks, as a commented block the analyst fills in.
_CONSTANT_TEMPLATE = ("force: CODE        # this force's code, from data_dictionaries/forces.csv",
                      "extract_date: YYYY-MM-DD   # the day the export was run")


def _comment(lines: list[str], indent: str) -> list[str]:
    return [f"{indent}# {line}" for line in lines]


def _render_yaml(s: MappingSuggestion) -> str:
    out = [f"# Mapping suggested by `soteria mapping suggest` for {Path(s.source).name} "
           f"({s.n_rows:,} rows).",
           "# Each guess has a confidence (0-1) and its evidence. Check the ones marked CHECK,",
           "# fill in what is listed at the end, then see what the mapping does with",
           f"#   soteria mapping check {Path(s.source).name} THIS_FILE",
           f"mapping_version: {MAPPING_VERSION}",
           f"name: {_scalar('mapping for ' + Path(s.source).name)}"]
    if s.sheet is not None:
        out.append(f"sheet: {s.sheet if isinstance(s.sheet, int) else json.dumps(s.sheet)}")
    out.append("columns:")
    mapped = [g for g in s.columns if g.field]
    if not mapped:
        out[-1] = "columns: {}"
    for g in mapped:
        notes = [f"{g.level} confidence ({g.confidence:.2f}): " + "; ".join(g.evidence)]
        notes += [f"CHECK: {c}" for c in g.check]
        out += _comment(notes, "  ")
        if g.date_formats or g.true_words or g.false_words:
            out.append(f"  {_scalar(g.column)}:")
            out.append(f"    field: {g.field}")
            if g.date_formats:
                shown = g.date_formats[0] if len(g.date_formats) == 1 else g.date_formats
                out.append(f"    date_format: {json.dumps(shown, ensure_ascii=False)}")
            if g.true_words or g.false_words:
                out.append(f"    true_values: {_words(g.true_words)}")
                out.append(f"    false_values: {_words(g.false_words)}")
        else:
            out.append(f"  {_scalar(g.column)}: {g.field}")
    if s.constants:
        out.append("constants:")
        for name, (value, confidence, evidence) in s.constants.items():
            out += _comment([f"CHECK ({confidence:.2f}): {evidence}"], "  ")
            out.append(f"  {name}: {_scalar(value)}")
    if s.date_format:
        out += _comment([s.notes.get("date_format", "")], "")
        shown = s.date_format[0] if len(s.date_format) == 1 else s.date_format
        out.append(f"date_format: {json.dumps(shown, ensure_ascii=False)}")
    if s.true_values or s.false_values:
        out += _comment([s.notes.get("flags", "")], "")
        if s.true_values:
            out.append(f"true_values: {_words(s.true_values)}")
        if s.false_values:
            out.append(f"false_values: {_words(s.false_values)}")
    if s.missing_values:
        out += _comment(["values meaning 'not known', " + s.notes.get("missing_values", "")], "")
        out.append(f"missing_values: {_words(s.missing_values)}")
    recoded = [g for g in mapped if g.recodes]
    if recoded:
        out.append("values:")
        for g in recoded:
            out.append(f"  {g.field}:")
            for raw, code in g.recodes.items():
                out.append(f"    {_scalar(raw)}: {_scalar(code)}")
    dropped = [g for g in s.columns if not g.field]
    if dropped:
        out += ["# Columns left out: not dictionary fields, or not recognised. Map any that holds",
                "# a field (under columns); the rest are dropped.", "drop:"]
        for g in dropped:
            out += _comment(g.evidence, "  ")
            out.append(f"  - {_scalar(g.column)}")
    if s.to_fill:
        out += ["", "# TO FILL IN: what could not be guessed."]
        out += _comment(s.to_fill, "")
        template = [line for line in _CONSTANT_TEMPLATE
                    if line.split(":")[0] in {f.split(":")[0] for f in s.to_fill}]
        if template and not s.constants:  # no constants block yet: one to uncomment and fill
            out += ["# Uncomment and fill in:", "# constants:"]
            out += _comment([f"  {line}" for line in template], "")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# Check
# --------------------------------------------------------------------------------------------
@dataclass
class MappingCheck:
    """What a mapping does to an export: the first rows before and after, and the validation.

    Attributes
    ----------
    preview : DataFrame
        One row per (export row, mapped field): ``row`` (spreadsheet row), ``column`` (the
        export's), ``field``, ``raw`` and ``mapped`` values (text).
    report : ValidationReport
        The validation of the whole export under the mapping.
    status : DataFrame
        The previewed rows: ``row``, ``accepted``, ``reasons``.
    advice : list of str
        Suggestions for problems a mapping change would fix (a date format that reads the
        unreadable values, columns neither mapped nor dropped).
    """

    preview: pd.DataFrame
    report: object
    status: pd.DataFrame
    advice: list[str]

    def summary(self) -> str:
        """Plain text for the terminal: the preview, the validation summary and the advice."""
        lines = [f"What the mapping does to the first {self.status['row'].nunique()} rows:"]
        for row, block in self.preview.groupby("row", sort=True):
            state = self.status.set_index("row").loc[row]
            verdict = "accepted" if state["accepted"] else f"QUARANTINED: {state['reasons']}"
            lines.append(f"  row {row}: {verdict}")
            for item in block.itertuples(index=False):
                arrow = "" if item.raw == item.mapped else f"  ->  {item.mapped!r}"
                lines.append(f"    {item.column:<28} {item.field:<24} {item.raw!r}{arrow}")
        lines += ["", self.report.summary()]
        if len(self.report.quarantine):
            lines.append("first quarantined rows:")
            for item in self.report.quarantine.head(10).itertuples(index=False):
                lines.append(f"  row {item.source_row}: {item.reasons}")
        if self.advice:
            lines += ["", "advice:"] + [f"  - {a}" for a in self.advice]
        return "\n".join(lines)


def check_mapping(export: str | os.PathLike, mapping: str | os.PathLike | dict, *, rows: int = 5,
                  extract_date: str | None = None) -> MappingCheck:
    """Show what ``mapping`` does to the first ``rows`` rows of ``export``, and validate it all.

    Raises :class:`~soteria_research.errors.MappingError` or
    :class:`~soteria_research.errors.DataValidationError` when the mapping or the export cannot
    be used at all (with the line, column and fix).

    Examples
    --------
    >>> from soteria_research.settings import SYNTHETIC_DIR
    >>> check = check_mapping(SYNTHETIC_DIR / "sample_rms_export.csv",
    ...                       SYNTHETIC_DIR / "rms_export_mapping.yaml", rows=2)
    >>> sorted(check.preview.columns)
    ['column', 'field', 'mapped', 'raw', 'row']
    >>> check.report.n_input == check.report.n_valid + check.report.n_quarantined
    True
    """
    from .ingest import read_cases

    spec = load_mapping(mapping)
    export = Path(export)
    header_rows = 0 if export.suffix.lower() in (".parquet", ".pq") else 1
    cases, report = read_cases(export, mapping=spec, extract_date=extract_date)
    raw = _read_export(export, spec.get("sheet"))
    head = raw.head(rows)
    # The whole export, then its first rows: a format is judged on every value, not a few.
    mapped = apply_mapping(raw, spec, source=str(export)).head(rows)
    sources = _field_sources(spec, head.columns)
    preview = []
    for i in range(len(head)):
        row = i + header_rows + (1 if header_rows else 0)
        for name in mapped.columns:
            column = sources.get(name, name)
            raw_value = head.iloc[i][column] if column in head.columns else "(constant)"
            preview.append(dict(row=row, column=str(column), field=name,
                                raw=_show(raw_value), mapped=_show(mapped.iloc[i][name])))
    quarantined = report.quarantine.set_index("source_row")["reasons"] if len(report.quarantine) else pd.Series(dtype=object)
    status = pd.DataFrame({"row": [i + header_rows + (1 if header_rows else 0) for i in range(len(head))]})
    status["accepted"] = ~status["row"].isin(quarantined.index)
    status["reasons"] = status["row"].map(quarantined).fillna("")
    return MappingCheck(preview=pd.DataFrame(preview, columns=["row", "column", "field", "raw", "mapped"]),
                        report=report, status=status, advice=_advice(raw, spec, report, str(export)))


def _field_sources(spec: dict, headers) -> dict[str, str]:
    out = {}
    for column, entry in (spec.get("columns") or {}).items():
        target = entry if isinstance(entry, str) else entry["field"]
        match = [h for h in headers if str(h) == column] or [h for h in headers if fold(h) == fold(column)]
        if match:
            out[target] = match[0]
    return out


def _show(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _advice(raw: pd.DataFrame, spec: dict, report, source: str) -> list[str]:
    out = []
    quarantine = report.quarantine
    sources = _field_sources(spec, raw.columns)
    for name in load_dictionary().date_fields:
        if f"bad_date({name})" not in " ".join(quarantine.get("reasons", pd.Series(dtype=str)).astype(str)):
            continue
        column = sources.get(name, name)
        if column not in raw.columns:
            continue
        bad = quarantine.loc[quarantine["reasons"].str.contains(f"bad_date({name})", regex=False), name]
        guess = detect_date_format(bad.to_numpy(dtype=object), minimum_share=0.5)
        if guess.formats:
            out.append(f"{column} ({name}): {guess.share:.0%} of its {len(bad)} unreadable value(s) "
                       f"read as {' or '.join(guess.formats)}: if they are right, add it to the "
                       "column's date_format (a list of formats is tried in order)")
    known = set(load_dictionary().field_names)
    mapped = set(spec.get("columns") or {})
    dropped = set(spec.get("drop") or [])
    leftover = [c for c in raw.columns if str(c) not in mapped | dropped | known]
    if leftover:
        out.append("columns neither mapped nor dropped (they are left out): "
                   + ", ".join(repr(str(c)) for c in leftover) + ". Add them to drop to say so.")
    return out
