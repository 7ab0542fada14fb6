"""What forces call the case record's fields and codes: header words, value labels, flag words,
placeholders for "not known" and force names, from ``data_dictionaries/synonyms.yaml``.

The mapping assistant guesses with these; the mapping checks use them to suggest the nearest
field for a misspelt one (``crime_number`` -> ``crime_ref``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

import yaml

from ..settings import DICTIONARY_DIR
from .dictionary import load_dictionary

SYNONYMS_FILE = DICTIONARY_DIR / "synonyms.yaml"


@dataclass(frozen=True)
class Synonyms:
    """The vocabulary of ``synonyms.yaml``, with header phrases already split into words."""

    columns: dict[str, tuple[tuple[tuple[str, ...], str], ...]]
    values: dict[str, dict[str, str]]
    open_outcomes: frozenset[str]
    true_words: frozenset[str]
    false_words: frozenset[str]
    missing_tokens: frozenset[str]
    force_name_words: frozenset[str]
    abbreviations: dict[str, str]


@lru_cache(maxsize=1)
def load_synonyms() -> Synonyms:
    """Load ``data_dictionaries/synonyms.yaml`` (cached).

    Examples
    --------
    >>> synonyms = load_synonyms()
    >>> synonyms.values["sexes"]["f"]
    'female'
    """
    raw = yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8"))
    abbreviations = {str(k).lower(): str(v).lower() for k, v in raw["abbreviations"].items()}
    columns = {}
    for name in load_dictionary().field_names:
        phrases = [name.replace("_", " "), *raw["columns"].get(name, [])]
        words = {}
        for phrase in phrases:
            words.setdefault(_words(phrase, abbreviations), str(phrase))
        columns[name] = tuple(words.items())
    values = {codelist: {label_key(label): code for code, labels in table.items()
                         for label in [code, *labels]}
              for codelist, table in raw["values"].items()}
    return Synonyms(
        columns=columns, values=values,
        open_outcomes=frozenset(_fold(v) for v in raw["open_outcomes"]),
        true_words=frozenset(_fold(v) for v in raw["flags"]["true"]),
        false_words=frozenset(_fold(v) for v in raw["flags"]["false"]),
        missing_tokens=frozenset(_fold(v) for v in raw["missing_tokens"]),
        force_name_words=frozenset(_fold(v) for v in raw["force_name_words"]),
        abbreviations=abbreviations,
    )


def _fold(text: object) -> str:
    return " ".join(str(text).casefold().split())


def fold(text: object) -> str:
    """``text`` compared ignoring case and runs of spaces (how labels and tokens are matched).

    Examples
    --------
    >>> fold("  Not   Known ")
    'not known'
    """
    return _fold(text)


def label_key(text: object) -> str:
    """How a code label is compared: ignoring case, punctuation and spacing.

    Examples
    --------
    >>> label_key("Partner / ex-partner") == label_key("partner/ex partner")
    True
    """
    return " ".join(re.split(r"[^0-9a-z]+", str(text).casefold())).strip()


def _stem(word: str) -> str:
    # Crude suffix stripping, applied to both sides alike: "reported", "reports" -> "report".
    for suffix in ("ing", "ed", "es", "s", "e"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _words(text: str, abbreviations: dict[str, str]) -> tuple[str, ...]:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(text))
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    words = []
    for word in re.split(r"[^a-z0-9]+", text.lower()):
        if word in ("", "of", "the", "a", "an", "at", "on", "by", "is", "has", "was"):
            continue
        words.extend(abbreviations.get(word, word).split())
    return tuple(sorted({_stem(w) for w in words}))


def header_words(header: object) -> tuple[str, ...]:
    """The words of a column header, as compared with field names and their synonyms.

    camelCase and punctuation split words, case is ignored, abbreviations are expanded and
    endings stripped, and the order does not matter.

    Examples
    --------
    >>> header_words("DateRecorded") == header_words("recorded_date") == header_words("Date Recorded")
    True
    >>> header_words("Vuln Alcohol/Drugs")
    ('alcohol', 'drug', 'vulnerability')
    """
    return _words(str(header), load_synonyms().abbreviations)


@lru_cache(maxsize=65536)
def _similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Dice overlap of two word sets, a near-identical spelling counting as most of a match."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    matched = 0.0
    rest = list(b)
    for word in a:
        if word in rest:
            matched += 1
            rest.remove(word)
            continue
        close = next((other for other in rest if _near(word, other)), None)
        if close:
            matched += 0.8
            rest.remove(close)
    return 2 * matched / (len(a) + len(b))


@lru_cache(maxsize=65536)
def _near(a: str, b: str) -> bool:
    """Two spellings of one word (``offense``/``offence``): same start, similar letters."""
    if a[0] != b[0] or abs(len(a) - len(b)) > 2 or min(len(a), len(b)) < 4:
        return False
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


@lru_cache(maxsize=4096)
def header_scores(header: object) -> dict[str, tuple[float, str]]:
    """How well ``header`` names each field: ``{field: (score 0-1, the phrase it matched)}``.

    Examples
    --------
    >>> header_scores("Date Recorded")["recorded_date"]
    (1.0, 'recorded date')
    """
    words = header_words(header)
    out = {}
    for name, phrases in load_synonyms().columns.items():
        best_words, best_phrase = max(phrases, key=lambda p: _similarity(words, p[0]))
        out[name] = (_similarity(words, best_words), best_phrase)
    return out


def closest_fields(name: object, candidates=None, *, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """The dictionary fields nearest to ``name`` by spelling or by meaning, best first.

    Examples
    --------
    >>> closest_fields("crime_number")
    ['crime_ref']
    >>> closest_fields("recorded_dte")
    ['recorded_date']
    """
    candidates = list(candidates) if candidates is not None else load_dictionary().field_names
    spelled = difflib.get_close_matches(str(name), candidates, n=n, cutoff=cutoff)
    scores = header_scores(name)
    meant = sorted((f for f in candidates if scores.get(f, (0, ""))[0] >= cutoff),
                   key=lambda f: -scores[f][0])
    return list(dict.fromkeys(meant[:n] + spelled))[:n]


@lru_cache(maxsize=4096)
def force_code(name: object) -> str | None:
    """The force code for a force's name as an export writes it, or None.

    Examples
    --------
    >>> force_code("Cumbria Constabulary"), force_code("METROPOLITAN POLICE SERVICE")
    ('cumbria', 'metropolitan')
    >>> force_code("Avon & Somerset"), force_code("Gotham")
    ('avon_and_somerset', None)
    """
    table = _force_lookup()
    return table.get(_force_key(name))


def _force_key(name: object) -> str:
    ignore = load_synonyms().force_name_words
    words = re.split(r"[^a-z0-9&]+", str(name).casefold().replace("&", " & "))
    return " ".join(w for w in words if w and w not in ignore)


@lru_cache(maxsize=1)
def _force_lookup() -> dict[str, str]:
    forces = load_dictionary().forces
    table = {}
    for code, name in zip(forces["code"], forces["name"]):
        for text in (code, code.replace("_", " "), name):
            table[_force_key(text)] = code
            table[_force_key(text).replace(" and ", " ")] = code
    return table
