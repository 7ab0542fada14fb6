"""The last check before a pseudonymised file is written: does any original identifier value remain?

Every distinct raw value of the identifier columns (and of dropped columns whose names mark them
as direct identifiers: names, addresses, dates of birth, reference numbers...) is searched for in
every cell, every header and the provenance sidecar about to be written. A value counts as found
where it stands as whole words: bounded by the start or end of the text or by a character that is
not a letter, digit or ``_`` (so ``CR1234`` is found in ``"ref CR1234."``, but a 5-digit id is
not "found" inside a hex pseudonym that happens to contain its digits, nor ``partner`` inside the
code ``partner_ex_partner``). Nothing here ever prints a value.

Values of dropped direct-identifier columns are not looked for in typed dictionary fields
(dates, codes, ages, flags): a date of birth equal to some offence date, or a free-text note
reading "Other", is a coincidence of type there, not a leak. Identifier values are looked for
everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DisclosureError

__all__ = ["IdentifierLeak", "IdentifierValues", "MIN_SEARCH_CHARACTERS", "find_identifier_leaks",
           "refuse_leaks"]

#: Shorter values cannot be told apart from ages, codes and words: they are hashed or dropped
#: like any other, but not searched for. An all-digit value needs one more (4 digits are a year).
MIN_SEARCH_CHARACTERS = 4
#: A longer value (free text) is searched for by its first this-many words.
MAX_SEARCH_WORDS = 8

# A word is a run of letters, digits and underscores (so field names and codes such as
# `suspect_id` are one word): the same class in Python's re and in Arrow's RE2.
_WORD = re.compile(r"\w+")
_ARROW_WORD = r"[\p{L}\p{N}_]+"
#: A keyed pseudonym as written (see soteria_research.data.pseudonymise.PSEUDONYM_HEX).
_PSEUDONYM = r"^[0-9a-f]{20}$"
_PSEUDONYM_OR_EMPTY = r"^([0-9a-f]{20})?$"
_ARROW_EDGES = r"^[^\p{L}\p{N}_]+|[^\p{L}\p{N}_]+$"
_ARROW_FIRST_WORDS = (rf"^(?P<first>(?:{_ARROW_WORD}[^\p{{L}}\p{{N}}_]+){{{MAX_SEARCH_WORDS - 1}}}"
                      rf"{_ARROW_WORD})")
#: Written where nothing was recorded; never an identifier, so never searched for.
PLACEHOLDERS = frozenset({
    "", "na", "n/a", "#n/a", "null", "none", "nan", "nat", "<na>", "n/k", "nk", "not known",
    "unknown", "tbc", "not stated", "not recorded", "redacted", "withheld",
})
_PLACEHOLDERS = pa.array(sorted(PLACEHOLDERS), type=pa.string())


@dataclass(frozen=True)
class IdentifierLeak:
    """Where an original identifier value was found (never the value itself).

    ``origin`` is the input column the value came from; ``where`` the output column, ``"header"``
    or ``"sidecar"``; ``row`` the 0-based output row (``None`` outside the table).
    """

    origin: str
    where: str
    row: int | None

    def __str__(self) -> str:
        place = (f"output column {self.where!r}, row {self.row + 1}" if self.row is not None
                 else f"the {self.where}")
        return f"a value of input column {self.origin!r} appears in {place}"


class IdentifierValues:
    """The values to search for, by the input column they come from.

    Values of identifier columns count wherever they are found. Values of dropped direct-
    identifier columns (``typed_fields_exempt=True``) do not count in typed dictionary fields.

    The object holds raw identifiers: keep it in memory only, never log or pickle it.
    """

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []
        self._terms: pd.DataFrame | None = None
        self.n_too_short = 0

    def __repr__(self) -> str:  # never show the values
        return f"<IdentifierValues: {len(self.terms())} values>"

    def add(self, origin: str, values: pd.Series, *, typed_fields_exempt: bool = False) -> None:
        """Add the distinct values of one input column.

        Text work runs in Arrow (RE2) over the distinct values: a million ids take a fraction of
        a second, where Python string methods take seconds.
        """
        values = values.dropna()
        if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            values = values.astype(str)
        distinct = pd.unique(values.to_numpy(dtype=object))
        text = pc.utf8_trim_whitespace(pa.array(distinct, type=pa.string()))
        core = pc.replace_substring_regex(text, pattern=_ARROW_EDGES, replacement="")
        core = core.filter(pc.invert(pc.is_in(pc.utf8_lower(core), value_set=_PLACEHOLDERS)))
        digits = pc.match_substring_regex(core, r"^[0-9]+$")
        needed = pc.add(pc.cast(digits, pa.int32()), MIN_SEARCH_CHARACTERS)
        long_enough = pc.greater_equal(pc.utf8_length(core), needed)
        self.n_too_short += len(core) - pc.sum(long_enough).as_py() if len(core) else 0
        core = core.filter(long_enough)
        words = pc.count_substring_regex(core, _ARROW_WORD).to_numpy(zero_copy_only=False)
        terms = core.to_numpy(zero_copy_only=False).astype(object)
        long_text = words > MAX_SEARCH_WORDS
        if long_text.any():
            first = pc.extract_regex(core.filter(pa.array(long_text)), _ARROW_FIRST_WORDS)
            terms[long_text] = first.field("first").to_pylist()
        self._parts.append(pd.DataFrame({
            "term": terms, "origin": origin, "exempt": typed_fields_exempt,
            "words": np.minimum(words, MAX_SEARCH_WORDS)}))
        self._terms = None

    def terms(self) -> pd.DataFrame:
        """One row per distinct term: ``term``, ``origin``, ``exempt`` (exempt only when every
        column holding the term is), ``words``."""
        if self._terms is None:
            if not self._parts:
                return pd.DataFrame({"origin": [], "exempt": [], "words": []},
                                    index=pd.Index([], name="term"))
            table = pd.concat(self._parts, ignore_index=True)
            table = table.sort_values("exempt", kind="stable").drop_duplicates("term")
            self._terms = table.set_index("term")
        return self._terms


def find_identifier_leaks(
    values: IdentifierValues,
    cells: pd.DataFrame,
    *,
    hashed: Iterable[str] = (),
    typed: Iterable[str] = (),
    texts: Mapping[str, str] | None = None,
) -> list[IdentifierLeak]:
    """Where any of ``values`` appears in ``cells`` (the text to be written), its headers or ``texts``.

    Parameters
    ----------
    values : IdentifierValues
        The raw values searched for.
    cells : DataFrame
        The output as the exact text to be written (one string per cell, ``""`` when empty).
    hashed : columns of ``cells`` holding pseudonyms: compared whole cell by whole cell (a
        pseudonym is one word, so that is the same test, and quicker).
    typed : columns that are typed dictionary fields (dates, codes, ages, flags): values of
        dropped direct-identifier columns are not looked for there.
    texts : other text to be written, by name (``{"sidecar": json_text}``).

    Returns
    -------
    list of IdentifierLeak
        At most one per (origin, where), in the order found; empty when nothing is found.

    Examples
    --------
    >>> found = IdentifierValues()
    >>> found.add("Victim URN", pd.Series(["V00123", "V00124"]))
    >>> out = pd.DataFrame({"victim_id": ["9f3a", "77be"], "notes": ["", "see V00124."]})
    >>> [str(leak) for leak in find_identifier_leaks(found, out, hashed=["victim_id"])]
    ["a value of input column 'Victim URN' appears in output column 'notes', row 2"]
    """
    terms = values.terms()
    if terms.empty:
        return []
    hashed, typed = set(hashed), set(typed)
    max_words = int(terms["words"].max())
    pseudonym_like = pc.match_substring_regex(
        pa.array(terms.index.to_numpy(dtype=object), pa.string()), _PSEUDONYM).to_numpy(
        zero_copy_only=False) if hashed else np.zeros(0, dtype=bool)
    leaks: dict[tuple[str, str], IdentifierLeak] = {}

    def record(found: pd.DataFrame, where: str, rows) -> None:
        for origin, row in zip(found["origin"], rows):
            leaks.setdefault((origin, where), IdentifierLeak(origin, where, row))

    for column in cells.columns:
        text = cells[column]
        if column in hashed:
            if _only_pseudonyms(text) and not pseudonym_like.any():
                continue  # a cell that is a pseudonym can only equal a term shaped like one
            cells_ = text.to_numpy(dtype=object)
            hits = pd.unique(cells_[pd.Index(cells_).isin(terms.index)])
            record(terms.loc[hits], column, [int(np.argmax(cells_ == hit)) for hit in hits])
            continue
        distinct = pd.unique(text[text != ""].to_numpy(dtype=object))
        spans, owners = _spans(distinct, max_words)
        found = _present(spans, terms.index)
        if not found.any():
            continue
        hit_terms = terms.loc[np.asarray(spans, dtype=object)[found]]
        hit_cells = distinct[np.asarray(owners)[found]]
        if column in typed:
            keep = ~hit_terms["exempt"].to_numpy(dtype=bool)
            hit_terms, hit_cells = hit_terms[keep], hit_cells[keep]
        first_row = {cell: row for row, cell in reversed(list(enumerate(text)))} if len(hit_cells) else {}
        record(hit_terms, column, [first_row[cell] for cell in hit_cells])
    extra = {"header": "\n".join(map(str, cells.columns)), **(texts or {})}
    for where, body in extra.items():
        spans, _ = _spans([body], max_words)
        found = _present(spans, terms.index)
        if found.any():
            record(terms.loc[np.asarray(spans, dtype=object)[found]], where,
                   [None] * int(found.sum()))
    return list(leaks.values())


def _only_pseudonyms(cells: pd.Series) -> bool:
    arrow = pa.array(cells.to_numpy(dtype=object), pa.string())
    return bool(pc.all(pc.match_substring_regex(arrow, _PSEUDONYM_OR_EMPTY)).as_py())


def _present(spans: list[str], terms: pd.Index) -> np.ndarray:
    """Which spans are terms. The terms are probed against the spans (hashing the smaller
    side), since a file's identifiers far outnumber the words of its typed fields."""
    if not spans:
        return np.zeros(0, dtype=bool)
    hits = set(terms[terms.isin(spans)])
    if not hits:
        return np.zeros(len(spans), dtype=bool)
    return np.fromiter((span in hits for span in spans), dtype=bool, count=len(spans))


def _spans(texts, max_words: int) -> tuple[list[str], list[int]]:
    """Every run of 1..``max_words`` consecutive words of each text, as it is written there."""
    spans: list[str] = []
    owners: list[int] = []
    for owner, text in enumerate(texts):
        bounds = [match.span() for match in _WORD.finditer(text)]
        for i, (start, _) in enumerate(bounds):
            for _, end in bounds[i:i + max_words]:
                spans.append(text[start:end])
                owners.append(owner)
    return spans, owners


def refuse_leaks(leaks: list[IdentifierLeak], target: str) -> None:
    """Raise :class:`DisclosureError` naming where identifier values were found (not the values)."""
    if not leaks:
        return
    shown = "; ".join(map(str, leaks[:5])) + (f"; and {len(leaks) - 5} more" if len(leaks) > 5 else "")
    raise DisclosureError(
        f"{target} was not written: original identifier values would appear in it ({shown}). "
        "Hash the column that carries them (--identifier COLUMN), or stop keeping it (--keep), "
        "and check the mapping."
    )
