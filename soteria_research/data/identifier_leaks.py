"""The last check before a pseudonymised file is written: does any original identifier value remain?

Every distinct raw value of the identifier columns (and of dropped columns whose names mark them
as direct identifiers: names, addresses, dates of birth, reference numbers...) is searched for in
every cell, every header and the provenance sidecar about to be written. A value counts as found
where it stands as whole words: bounded by the start or end of the text or by a character that is
not a letter or digit (so ``CR1234`` is found in ``"ref CR1234."`` but a 5-digit id is not "found"
inside a hex pseudonym that happens to contain its digits). Nothing here ever prints a value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DisclosureError

__all__ = ["IdentifierLeak", "IdentifierValues", "MIN_SEARCH_CHARACTERS", "find_identifier_leaks",
           "refuse_leaks"]

#: Shorter values cannot be told apart from ages, codes and words: they are hashed or dropped
#: like any other, but not searched for. An all-digit value needs one more (4 digits are a year).
MIN_SEARCH_CHARACTERS = 4
#: A longer value (free text) is searched for by its first this-many words.
MAX_SEARCH_WORDS = 8

_WORD = re.compile(r"[^\W_]+")
_EDGES = r"^[\W_]+|[\W_]+$"
_FIRST_WORDS = rf"^((?:[^\W_]+[\W_]+){{{MAX_SEARCH_WORDS - 1}}}[^\W_]+)"
#: Written where nothing was recorded; never an identifier, so never searched for.
PLACEHOLDERS = frozenset({
    "", "na", "n/a", "#n/a", "null", "none", "nan", "nat", "<na>", "n/k", "nk", "not known",
    "unknown", "tbc", "not stated", "not recorded", "redacted", "withheld",
})


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
    identifier columns (``typed_cells_exempt=True``) do not count when they are a whole cell of a
    typed dictionary field: a date of birth that equals some offence date is not a leak of it.

    The object holds raw identifiers: keep it in memory only, never log or pickle it.
    """

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []
        self.n_too_short = 0

    def __repr__(self) -> str:  # never show the values
        return f"<IdentifierValues: {len(self.terms())} values>"

    def add(self, origin: str, values: pd.Series, *, typed_cells_exempt: bool = False) -> None:
        """Add the distinct values of one input column."""
        distinct = pd.Series(pd.unique(values.dropna().astype(str)), dtype=object)
        core = distinct.str.strip().str.replace(_EDGES, "", regex=True)
        core = core[~core.str.lower().isin(PLACEHOLDERS)]
        digits = core.str.fullmatch(r"\d+")
        long_enough = core.str.len() >= MIN_SEARCH_CHARACTERS + digits.astype(int)
        self.n_too_short += int((~long_enough).sum())
        core = core[long_enough]
        words = core.str.count(_WORD.pattern)
        long_text = words > MAX_SEARCH_WORDS
        core = core.where(~long_text, core.str.extract(_FIRST_WORDS, expand=False))
        self._parts.append(pd.DataFrame({
            "term": core.to_numpy(dtype=object), "origin": origin,
            "exempt": typed_cells_exempt, "words": np.minimum(words, MAX_SEARCH_WORDS)}))

    def terms(self) -> pd.DataFrame:
        """One row per distinct term: ``term``, ``origin``, ``exempt`` (exempt only when every
        column holding the term is), ``words``."""
        if not self._parts:
            return pd.DataFrame({"term": [], "origin": [], "exempt": [], "words": []})
        table = pd.concat(self._parts, ignore_index=True).sort_values("exempt", kind="stable")
        return table.drop_duplicates("term").set_index("term")


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
    typed : columns that are typed dictionary fields (dates, codes, ages, flags).
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
    leaks: dict[tuple[str, str], IdentifierLeak] = {}

    def record(found: pd.DataFrame, where: str, rows) -> None:
        for origin, row in zip(found["origin"], rows):
            leaks.setdefault((origin, where), IdentifierLeak(origin, where, row))

    for column in cells.columns:
        text = cells[column]
        if column in hashed:
            hits = text[text.isin(terms.index)]
            record(terms.loc[hits.to_numpy()], column, hits.index.tolist())
            continue
        distinct = pd.unique(text[text != ""])
        spans, owners = _spans(distinct, max_words)
        found = pd.Index(spans).isin(terms.index)
        if not found.any():
            continue
        hit_terms = terms.loc[np.asarray(spans, dtype=object)[found]]
        hit_cells = distinct[np.asarray(owners)[found]]
        if column in typed:  # a whole typed cell equal to a dropped column's value is a coincidence
            cores = pd.Series(hit_cells, dtype=object).str.strip().str.replace(_EDGES, "", regex=True)
            whole = cores.to_numpy() == hit_terms.index.to_numpy()
            keep = ~(hit_terms["exempt"].to_numpy() & whole)
            hit_terms, hit_cells = hit_terms[keep], hit_cells[keep]
        first_row = {cell: row for row, cell in reversed(list(enumerate(text)))} if len(hit_cells) else {}
        record(hit_terms, column, [first_row[cell] for cell in hit_cells])
    extra = {"header": "\n".join(map(str, cells.columns)), **(texts or {})}
    for where, body in extra.items():
        spans, _ = _spans([body], max_words)
        found = pd.Index(spans).isin(terms.index)
        if found.any():
            record(terms.loc[np.asarray(spans, dtype=object)[found]], where,
                   [None] * int(found.sum()))
    return list(leaks.values())


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
