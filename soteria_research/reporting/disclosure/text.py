"""Free text under the same rules as tables: titles, notes and model messages.

A title giving "Crimes recorded: 3 May 2021 to 9 June 2021" dates the first and last case (for
a tiny force, single cases); a note saying a cause "does not occur" or "holds 3 events" prints a
count the tables hide. The period shown is the one the user asked for, and any small count or
unrequested date left in a message is replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from .profiles import MARKER, DisclosureProfile, get_profile

__all__ = ["period_text", "safe_text"]

_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_NUMBER = re.compile(r"(?<![\w.\-/])(\d+)(?![\w.\-/]|\.\d)")


def period_text(start=None, end=None) -> str:
    """The report period as the user requested it, never the dates of the first or last case.

    Examples
    --------
    >>> period_text("2021-04-01", "2024-03-31")
    '2021-04-01 to 2024-03-31'
    >>> period_text(None, "2024-03-31")
    'all crimes recorded up to 2024-03-31'
    >>> period_text()
    'all crimes recorded in the extract'
    """
    def day(value):
        return None if value in (None, "") or pd.isna(value) else \
            pd.Timestamp(value).date().isoformat()

    start, end = day(start), day(end)
    if start and end:
        return f"{start} to {end}"
    if start:
        return f"all crimes recorded from {start}"
    if end:
        return f"all crimes recorded up to {end}"
    return "all crimes recorded in the extract"


def safe_text(text: str, *, profile: str | DisclosureProfile | None = None,
              allowed_dates: Iterable[str] = ()) -> str:
    """``text`` with small counts (and zeros where disclosive) and unrequested dates replaced.

    Whole numbers from 1 to the threshold - 1 (and 0 under ``publication``) become "[c]";
    ISO dates other than ``allowed_dates`` (the requested period, the extract date) become
    "[date]". Years (four digits) and numbers inside words or decimals are left alone.

    Examples
    --------
    >>> safe_text("Cause 'charge' holds 3 events; 120 cases from 2021-05-03.",
    ...           profile="publication")
    "Cause 'charge' holds [c] events; 120 cases from [date]."
    """
    profile = get_profile(profile)
    if not profile.suppress:
        return text
    allowed = set(allowed_dates)
    text = _DATE.sub(lambda m: m.group(0) if m.group(0) in allowed else "[date]", text)

    def scrub(match: re.Match) -> str:
        value = int(match.group(1))
        small = 0 < value < profile.threshold or (value == 0 and profile.zeros_disclosive)
        return MARKER if small else match.group(0)

    return _NUMBER.sub(scrub, text)
