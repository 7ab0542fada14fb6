"""Column names of an extract against the dictionary's: exact, near misses, and what is missing.

An optional field whose header is spelled a little differently (``Outcome_Code``, ``Outcome
Date``, ``COURT_OUTCOME``) would otherwise be dropped as an unknown column and read as empty: 30
closed cases silently become open. So a column that is not a field but is close to one — the
same once case, spaces and punctuation are ignored, the same words in another order, one of
the field's ``synonyms`` in the dictionary, or a one-letter typo — stops the file with a message
naming both. A mapping that renames or drops the column settles it.
"""

from __future__ import annotations

import difflib
import re

import pandas as pd

from ..errors import DataValidationError
from .dictionary import DataDictionary

# One changed letter in a field name of 10 or more letters scores above this; different fields
# that share a prefix (victim_name / victim_age: 0.86) score below.
_TYPO_SIMILARITY = 0.9


def header_key(name: str) -> str:
    """A header with case, spaces and punctuation ignored.

    Examples
    --------
    >>> header_key(" Outcome Date "), header_key("COURT_OUTCOME"), header_key("Vuln Alcohol/Drugs")
    ('outcome_date', 'court_outcome', 'vuln_alcohol_drugs')
    """
    return "_".join(re.findall(r"[a-z0-9]+", str(name).lower()))


def _word_set(key: str) -> frozenset[str]:
    return frozenset(key.split("_"))


def near_misses(columns: list[str], dictionary: DataDictionary) -> list[tuple[str, str]]:
    """(column, field) for each column that is not a dictionary field but is close to one.

    Examples
    --------
    >>> from soteria_research.data.dictionary import load_dictionary
    >>> near_misses(["Outcome_Code", "date_recorded", "Disclosure Notes", "Crime Number"], load_dictionary())
    [('Outcome_Code', 'outcome_code'), ('date_recorded', 'recorded_date'), ('Crime Number', 'crime_ref')]
    """
    fields = [f for f in dictionary.fields if not f.derived]
    names = {f.name for f in dictionary.fields}
    spellings: dict[str, str] = {}
    for f in fields:
        for spelling in (f.name, *f.synonyms):
            spellings.setdefault(header_key(spelling), f.name)
    by_words = {_word_set(key): name for key, name in spellings.items()}
    out = []
    for column in columns:
        if column in names:
            continue
        key = header_key(column)
        target = spellings.get(key) or by_words.get(_word_set(key))
        if target is None and len(key) >= 8:
            close = difflib.get_close_matches(key, [f.name for f in fields], n=1, cutoff=_TYPO_SIMILARITY)
            target = close[0] if close else None
        if target is not None:
            out.append((column, target))
    return out


def check_columns(frame: pd.DataFrame, dictionary: DataDictionary, source: str) -> None:
    """Raise one error listing near-miss headers and missing required columns, with the fixes."""
    present = [str(c) for c in frame.columns]
    misses = near_misses(present, dictionary)
    named = {field for _, field in misses}
    missing = [f.name for f in dictionary.fields
               if f.required and not f.derived and f.name not in present and f.name not in named]
    if not misses and not missing:
        return
    lines = []
    for column, field in misses:
        also = (f" (and '{field}' is there too: a second copy?)" if field in present else "")
        lines.append(f"  - column {column!r} looks like the dictionary field '{field}'{also}")
    for name in missing:
        close = _closest_columns(name, present)
        hint = f"closest columns present: {', '.join(close)}" if close else "no similar column present"
        lines.append(f"  - required column '{name}' missing ({hint})")
    fixes = []
    if misses:
        example_column, example_field = misses[0]
        fixes.append(
            "a column that looks like a field is not read until a mapping file says what it is: "
            f"rename it (`columns: {{{example_column!r}: {example_field}}}`) or drop it "
            f"(`drop: [{example_column!r}]`); pass the mapping with mapping=... or --mapping"
        )
    if missing:
        fixes.append("rename the columns to the dictionary's names (data_dictionaries/README.md) "
                     "or give a mapping file (see synthetic_data/rms_export_mapping.yaml)")
        if "extract_date" in missing:
            fixes.append("pass extract_date=... (or --extract-date) if the file has no extract date")
    raise DataValidationError(
        f"{source}: the columns do not match the data dictionary:\n" + "\n".join(lines)
        + "\nFix: " + "; ".join(fixes) + "."
    )


def _closest_columns(name: str, present: list[str]) -> list[str]:
    # Compare word sets as well as spellings, so `date_recorded` is offered for `recorded_date`.
    def words(text: str) -> str:
        return " ".join(sorted(re.split(r"[^a-z0-9]+", text.lower())))

    by_words = {words(column): column for column in present}
    matches = difflib.get_close_matches(words(name), list(by_words), n=3, cutoff=0.6)
    spelled = difflib.get_close_matches(name, present, n=3, cutoff=0.6)
    return list(dict.fromkeys([by_words[m] for m in matches] + spelled))[:3]
