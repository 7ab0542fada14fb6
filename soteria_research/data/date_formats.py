"""How an export writes its dates: check a ``strptime`` format, read values with it as UK
calendar dates, and recognise the format from the values themselves (day or month first).

A force export may write ``12/03/2023``, ``12/03/2023 14:05``, ``2023-03-12T14:05:00Z`` or an
Excel date cell. The case record holds calendar dates as seen in the UK, so a date-time becomes
its date in Europe/London: ``2023-07-01T23:30:00Z`` is 2 July (British Summer Time).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

UK_TIMEZONE = "Europe/London"
ISO_DATE = "%Y-%m-%d"

# Date parts, most usual in UK exports first: a tie goes to the earlier one (day first).
_DATE_PARTS = ("%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d-%m-%Y", "%m-%d-%Y", "%d.%m.%Y",
               "%Y/%m/%d", "%d/%m/%y", "%m/%d/%y", "%d-%b-%Y", "%d %b %Y", "%d %B %Y",
               "%d-%b-%y", "%Y%m%d")
_TIME_PARTS = ("", " %H:%M", " %H:%M:%S", "T%H:%M:%S", "T%H:%M", "T%H:%M:%S%z", " %H:%M:%S%z",
               "T%H:%M:%S.%f", "T%H:%M:%S.%f%z", " %H:%M:%S.%f")
CANDIDATE_FORMATS = tuple(d + t for t in _TIME_PARTS for d in _DATE_PARTS
                          if not (t.startswith("T") and not d.startswith("%Y")))

_TIME_DIRECTIVES = re.compile(r"%[HIMSfpzZXcT]")
_ZONE_DIRECTIVES = re.compile(r"%[zZ]")
_DIRECTIVE = re.compile(r"%.")
# Spreadsheet-style patterns people write instead of strptime codes, longest first.
_PATTERN_WORDS = [("yyyy", "%Y"), ("yy", "%y"), ("mmmm", "%B"), ("mmm", "%b"), ("dd", "%d"),
                  ("hh", "%H"), ("nn", "%M"), ("mi", "%M"), ("ss", "%S")]


def has_time(fmt: str) -> bool:
    """Whether ``fmt`` reads a time of day (or a time zone) as well as a date.

    Examples
    --------
    >>> has_time("%d/%m/%Y %H:%M"), has_time("%d/%m/%Y")
    (True, False)
    """
    return bool(_TIME_DIRECTIVES.search(fmt))


def date_part(fmt: str) -> str:
    """The date alone of a date-time format (how a mapped date-time column is written).

    ISO when the format has no usable date part before its time.

    Examples
    --------
    >>> date_part("%d/%m/%Y %H:%M"), date_part("%Y-%m-%dT%H:%M:%S%z"), date_part("%d/%m/%Y")
    ('%d/%m/%Y', '%Y-%m-%d', '%d/%m/%Y')
    """
    head = re.split(r"[ T]?%[HIMSfpzZXcT]", fmt)[0].rstrip(" T,")
    return head if format_problem(head) is None else ISO_DATE


def translate_pattern(text: str) -> str | None:
    """The ``strptime`` format for a spreadsheet-style pattern such as ``dd/mm/yyyy``.

    ``mm`` is the month unless it follows an hour (``hh:mm``). None when ``text`` already uses
    ``%`` codes or has no date words.

    Examples
    --------
    >>> translate_pattern("dd/mm/yyyy hh:mm")
    '%d/%m/%Y %H:%M'
    >>> translate_pattern("YYYY-MM-DD")
    '%Y-%m-%d'
    """
    if "%" in text:
        return None
    lowered = text.lower()
    out, i, seen_hour = "", 0, False
    while i < len(lowered):
        if lowered.startswith("mm", i):
            out += "%M" if seen_hour else "%m"
            i += 2
            continue
        for word, code in _PATTERN_WORDS:
            if lowered.startswith(word, i):
                out += code
                seen_hour = seen_hour or code == "%H"
                i += len(word)
                break
        else:
            out += text[i]
            i += 1
    return out if "%Y" in out or "%y" in out else None


def format_problem(fmt: object) -> str | None:
    """What is wrong with ``fmt`` as a date format, or None when it can read dates.

    A format must be a ``strptime`` format with a year, a month and a day (or a day of the
    year), and must read back a date it wrote.

    Examples
    --------
    >>> format_problem("%d/%m/%Y") is None
    True
    >>> format_problem("dd/mm/yyyy")
    "'dd/mm/yyyy' is not a strptime format (did you mean '%d/%m/%Y'?)"
    >>> format_problem("%d/%m")
    "'%d/%m' has no year (%Y or %y)"
    """
    if not isinstance(fmt, str) or not fmt.strip():
        return f"{fmt!r} is not a date format (a text such as '%d/%m/%Y')"
    if "%" not in fmt:
        hint = translate_pattern(fmt)
        return f"{fmt!r} is not a strptime format" + (f" (did you mean {hint!r}?)" if hint else
                                                      " (see https://strftime.org)")
    directives = set(_DIRECTIVE.findall(fmt))
    if not directives & {"%Y", "%y", "%G"}:
        return f"{fmt!r} has no year (%Y or %y)"
    if not (directives & {"%m", "%b", "%B"} and "%d" in directives) and "%j" not in directives:
        return f"{fmt!r} needs a month (%m, %b or %B) and a day (%d)"
    sample = dt.datetime(2023, 11, 27, 13, 45, 30, tzinfo=dt.timezone.utc)
    try:
        back = dt.datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as error:
        return f"{fmt!r} cannot be used ({error})"
    if back.date() != sample.date():
        return f"{fmt!r} does not read back the dates it writes"
    return None


def to_uk_dates(values, formats: str | list[str] | tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Read ``values`` as UK calendar dates with the first of ``formats`` that reads each one.

    Text is read strictly with each format in turn; a value with a time zone is converted to
    Europe/London before its date is taken; a value without one is taken to be UK local time.
    Date, datetime and Timestamp objects (Excel cells) are used as they are. Missing values
    stay missing and are not "unreadable".

    Returns
    -------
    dates : ndarray of object
        ``datetime.date`` for each value read, None otherwise.
    unreadable : ndarray of bool
        Values present that no format could read.

    Examples
    --------
    >>> dates, bad = to_uk_dates(["01/07/2023 23:30", "2023-07-01T23:30:00Z", "31/02/2023"],
    ...                          ["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S%z", "%d/%m/%Y"])
    >>> [str(d) for d in dates], bad.tolist()
    (['2023-07-01', '2023-07-02', 'None'], [False, False, True])
    """
    formats = [formats] if isinstance(formats, str) else list(formats)
    values = np.asarray(values, dtype=object)
    out = np.full(len(values), None, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):  # text only: vectorised
        text = pd.Series(values, dtype=object)
        present = (text.notna() & (text.str.strip() != "")).to_numpy(dtype=bool)
        is_object = np.zeros(len(values), dtype=bool)
    else:
        present = np.array([_present(v) for v in values], dtype=bool)
        is_object = np.array([_is_date_object(v) for v in values], dtype=bool)
    for i in np.flatnonzero(is_object):
        out[i] = _object_date(values[i])
    todo = present & ~is_object
    for fmt in formats:
        if not todo.any():
            break
        text = pd.Series(values[todo], dtype=object).astype(str).str.strip()
        if _ZONE_DIRECTIVES.search(fmt):
            parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
            parsed = parsed.dt.tz_convert(UK_TIMEZONE).dt.tz_localize(None)
        else:
            parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        ok = parsed.notna().to_numpy()
        where = np.flatnonzero(todo)[ok]
        out[where] = parsed[ok].dt.date.to_numpy()
        todo[where] = False
    unreadable = present & np.array([d is None for d in out], dtype=bool)
    return out, unreadable


def _is_date_object(value) -> bool:
    return hasattr(value, "year") or isinstance(value, np.datetime64)


def _present(value) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return False
    if isinstance(value, np.datetime64):
        return not np.isnat(value)
    return not (isinstance(value, str) and not value.strip())


def _object_date(value) -> dt.date | None:
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(UK_TIMEZONE)
    return stamp.date()


@dataclass
class DateFormatGuess:
    """The date format(s) that read a column's values, and why.

    Attributes
    ----------
    formats : list of str
        One format, or two when the column mixes (say) dates and date-times; empty when none
        reads most values.
    share : float
        Share of the distinct values present that the formats read.
    evidence : str
        In words, including how day-first was told from month-first.
    ambiguous : bool
        True when no value showed whether the day or the month comes first.
    """

    formats: list[str] = field(default_factory=list)
    share: float = 0.0
    evidence: str = ""
    ambiguous: bool = False


def detect_date_format(values, *, sample: int = 300, minimum_share: float = 0.9) -> DateFormatGuess:
    """Recognise how a column writes its dates, telling ``dd/mm`` from ``mm/dd`` by the values.

    Every candidate format (day-first and month-first, ISO, with and without times and time
    zones) is tried on up to ``sample`` distinct values; the one that reads most wins, and a
    second is added when the column mixes two shapes. When no value has a first or second
    number above 12, day-first (UK) is chosen and the guess is marked ambiguous.

    Examples
    --------
    >>> guess = detect_date_format(["03/04/2023", "25/12/2022", "01/01/2023 10:30"])
    >>> guess.formats, guess.ambiguous
    (['%d/%m/%Y', '%d/%m/%Y %H:%M'], False)
    >>> detect_date_format(["2023-07-01T23:30:00Z"]).formats
    ['%Y-%m-%dT%H:%M:%S%z']
    """
    distinct = pd.unique(np.asarray(values, dtype=object))  # objects stay objects (Excel dates)
    distinct = np.array([v for v in distinct if _present(v)], dtype=object)[:sample]
    if not len(distinct):
        return DateFormatGuess(evidence="no values")
    objects = np.array([_is_date_object(v) for v in distinct], dtype=bool)
    if objects.all():
        return DateFormatGuess(formats=[], share=1.0, evidence="the cells hold dates (a spreadsheet)")
    text = distinct[~objects]
    shapes = {_shape(v) for v in text}
    reads = {}
    for fmt in CANDIDATE_FORMATS:
        if not _format_shapes(fmt) & shapes:
            continue  # cannot read any value: skip the parse
        _, bad = to_uk_dates(text, fmt)
        if (~bad).any():
            reads[fmt] = ~bad
    if not reads:
        return DateFormatGuess(evidence=f"no common date format reads values such as {text[0]!r}")
    best = max(reads, key=lambda f: (reads[f].sum(), -CANDIDATE_FORMATS.index(f)))
    covered = reads[best].copy()
    formats = [best]
    # A second format only for the same date written with or without a time of day: never a
    # day-first and a month-first reading of one column.
    same_date = [f for f in reads if f != best and _date_part(f) == _date_part(best)]
    if not covered.all() and same_date:
        second = max(same_date, key=lambda f: ((reads[f] & ~covered).sum(), -CANDIDATE_FORMATS.index(f)))
        if (reads[second] & ~covered).any():
            formats.append(second)
            covered |= reads[second]
    share = float(covered.mean())
    if share < minimum_share:
        return DateFormatGuess(share=share, evidence=(
            f"the best format {best!r} reads only {share:.0%} of {len(text)} distinct values"))
    evidence, ambiguous = _day_month_evidence(text, formats)
    evidence = f"{share:.0%} of {len(text)} distinct values read as {' or '.join(formats)}; {evidence}"
    return DateFormatGuess(formats=formats, share=share, evidence=evidence, ambiguous=ambiguous)


def _shape(value) -> str:
    """A value's outline: runs of digits as 9, runs of letters as A (``12/03/2023`` -> ``9/9/9``)."""
    return re.sub(r"\d+", "9", re.sub(r"[A-Za-z]+", "A", str(value).strip()))


@cache
def _format_shapes(fmt: str) -> frozenset[str]:
    sample = dt.datetime(2023, 11, 27, 13, 45, 30, 120000)
    written = {sample.strftime(fmt.replace("%z", zone).replace("%Z", zone))
               for zone in ("Z", "+0000", "+00:00", "+01:00")}
    return frozenset(_shape(w) for w in written)


def _date_part(fmt: str) -> str:
    return re.split(r"[ T]%[HI]", fmt)[0]


def _day_month_evidence(text: np.ndarray, formats: list[str]) -> tuple[str, bool]:
    if not any(f.startswith(("%d/%m", "%m/%d", "%d-%m", "%m-%d")) for f in formats):
        return "the order of day and month is fixed by the format", False
    numbers = pd.Series(text).astype(str).str.extract(r"^\s*(\d{1,2})[/-](\d{1,2})[/-]").dropna().astype(int)
    first_big, second_big = int((numbers[0] > 12).sum()), int((numbers[1] > 12).sum())
    if first_big and not second_big:
        return f"{_values(first_big)} a first number above 12, so the day comes first", False
    if second_big and not first_big:
        return f"{_values(second_big)} a second number above 12, so the month comes first", False
    return ("no value has a number above 12 in either place, so day-first (UK) is assumed: check "
            "a date you know"), True


def _values(n: int) -> str:
    return "1 value has" if n == 1 else f"{n:,} values have"
