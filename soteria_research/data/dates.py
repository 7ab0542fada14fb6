"""Calendar dates from what extracts hold: ISO text, a force's own format, Excel cells, timestamps.

A case record holds calendar dates (docs/domain.md §8). A time of day is dropped. A timestamp
with a time zone (Parquet files usually store UTC) is first converted to UK local time,
Europe/London, because a crime recorded at 23:30 UTC on 30 June 2023 was recorded on 1 July in
England and Wales; a timestamp without a zone is taken as UK local time already.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

UK_TIME_ZONE = "Europe/London"
ISO_DATE = "%Y-%m-%d"

#: Formats a force's export commonly uses, with the words a user recognises them by. When a
#: date column cannot be read in its own format, these are tried to say what the file holds.
COMMON_DATE_FORMATS = {
    "%d/%m/%Y": "day/month/year, as in 31/03/2024 (UK)",
    "%m/%d/%Y": "month/day/year, as in 03/31/2024 (US)",
    "%d-%m-%Y": "day-month-year, as in 31-03-2024",
    "%d.%m.%Y": "day.month.year, as in 31.03.2024",
    "%d/%m/%y": "day/month/two-digit year, as in 31/03/24",
    "%Y/%m/%d": "year/month/day, as in 2024/03/31",
    "%d-%b-%Y": "day-month name-year, as in 31-Mar-2024",
    "%d %b %Y": "day month name year, as in 31 Mar 2024",
    "%d %B %Y": "day full month name year, as in 31 March 2024",
    "%Y%m%d": "yearmonthday digits, as in 20240331",
    "%d/%m/%Y %H:%M": "UK date and time, as in 31/03/2024 14:05",
    "%d/%m/%Y %H:%M:%S": "UK date and time, as in 31/03/2024 14:05:00",
    "%m/%d/%Y %H:%M": "US date and time, as in 03/31/2024 14:05",
    "%m/%d/%Y %I:%M:%S %p": "US date and time, as in 3/31/2024 2:05:00 PM",
}
EXCEL_SERIAL = "excel_serial"
# Excel counts days from 1899-12-30 (it keeps Lotus 1-2-3's leap day in 1900). Numbers between
# these serials are 1940-01-01 .. 2099-12-31: anything else is not a plausible case date.
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_SERIAL_RANGE = (14_611, 73_050)
_ISO_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_HAS_ZONE = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$")


def calendar_dates(values: pd.Series) -> pd.Series:
    """A datetime column as calendar dates: UK local date for zoned times, time of day dropped.

    Examples
    --------
    >>> times = pd.Series(pd.to_datetime(["2023-06-30 23:30", "2023-12-31 23:30"]).tz_localize("UTC"))
    >>> calendar_dates(times).dt.strftime("%Y-%m-%d").tolist()  # summer time moves the first
    ['2023-07-01', '2023-12-31']
    """
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert(UK_TIME_ZONE).dt.tz_localize(None)
    values = values.astype("datetime64[ns]")
    ticks = values.to_numpy().view("i8")[values.notna().to_numpy()]
    if (ticks % (86_400 * 10**9)).any():  # times of day present: keep the calendar date
        values = values.dt.normalize()
    return values


def parse_dates(distinct: np.ndarray, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Read the distinct values of a date column: (datetime64[ns] dates, unreadable mask).

    Text is read in ``fmt``; under the default ISO format, ISO date-times (``2024-03-31T10:00``,
    with or without a zone) are read too. Date and datetime objects (Excel cells, Parquet
    ``date32``) are taken as they are. Missing values (NaN) are not unreadable.

    Examples
    --------
    >>> dates, bad = parse_dates(np.array(["2024-03-31", "2023-06-30T23:30:00Z", "31/03/2024"], dtype=object), ISO_DATE)
    >>> [str(d)[:10] for d in dates], bad.tolist()
    (['2024-03-31', '2023-07-01', 'NaT'], [False, False, True])
    """
    n = len(distinct)
    out = np.full(n, np.datetime64("NaT", "ns"))
    if n == 0:
        return out, np.zeros(0, dtype=bool)
    is_stamp = np.fromiter((isinstance(v, (dt.date, np.datetime64)) for v in distinct), bool, n)
    is_text = np.fromiter((isinstance(v, str) for v in distinct), bool, n)
    if is_text.any():
        text = pd.Series(distinct[is_text], dtype=object)
        if "%z" in fmt:
            parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
            parsed = parsed.dt.tz_convert(UK_TIME_ZONE).dt.tz_localize(None)
        else:
            parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if fmt == ISO_DATE and parsed.isna().any():
            parsed = parsed.fillna(_iso_date_times(text.where(parsed.isna())))
        out[is_text] = parsed.astype("datetime64[ns]").dt.normalize().to_numpy()
    if is_stamp.any():
        out[is_stamp] = _stamps(distinct[is_stamp])
    bad = np.isnat(out) & pd.notna(distinct)
    return out, bad


def _iso_date_times(text: pd.Series) -> pd.Series:
    """ISO 8601 date-times as UK calendar dates; NaT for anything else."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    looks_iso = text.str.match(_ISO_DATE_TIME.pattern, na=False).astype(bool)
    if not looks_iso.any():
        return out
    zoned = looks_iso & text.str.contains(_HAS_ZONE.pattern, na=False).astype(bool)
    if zoned.any():
        times = pd.to_datetime(text[zoned], format="ISO8601", utc=True, errors="coerce")
        out[zoned] = times.dt.tz_convert(UK_TIME_ZONE).dt.tz_localize(None).to_numpy()
    naive = looks_iso & ~zoned
    if naive.any():
        out[naive] = pd.to_datetime(text[naive], format="ISO8601", errors="coerce").to_numpy()
    return out.dt.normalize()


def _stamps(values: np.ndarray) -> np.ndarray:
    # Zoned datetime objects go to UK local time first; naive ones are UK local already.
    out = np.empty(len(values), dtype="datetime64[ns]")
    zoned = np.fromiter((getattr(v, "tzinfo", None) is not None for v in values), bool, len(values))
    if zoned.any():
        times = pd.to_datetime(pd.Series(values[zoned], dtype=object), utc=True, errors="coerce")
        out[zoned] = times.dt.tz_convert(UK_TIME_ZONE).dt.tz_localize(None).dt.normalize().to_numpy()
    if (~zoned).any():
        out[~zoned] = pd.to_datetime(pd.Series(values[~zoned], dtype=object), errors="coerce").dt.normalize().to_numpy()
    return out


def excel_serials(distinct: np.ndarray) -> np.ndarray:
    """Which values look like Excel serial day numbers of a plausible case date (1940–2099).

    Examples
    --------
    >>> excel_serials(np.array(["45382", 45382.0, "2024", "31/03/2024"], dtype=object)).tolist()
    [True, True, False, False]
    """
    numbers = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce").to_numpy(dtype=float)
    low, high = _SERIAL_RANGE
    with np.errstate(invalid="ignore"):
        return (numbers >= low) & (numbers <= high) & (numbers == np.round(numbers))


def excel_serial_date(value) -> str:
    """The ISO date an Excel serial day number stands for (for messages)."""
    return str(_EXCEL_EPOCH + np.timedelta64(int(float(value)), "D"))


def formats_that_read(values: np.ndarray) -> list[str]:
    """The common formats (or ``excel_serial``) in which every one of ``values`` is a date.

    ``values`` are the distinct non-missing values of a column its own format could not read.

    Examples
    --------
    >>> formats_that_read(np.array(["31/03/2024", "01/04/2024"], dtype=object))
    ['%d/%m/%Y']
    >>> formats_that_read(np.array(["01/03/2024", "02/03/2024"], dtype=object))  # both work
    ['%d/%m/%Y', '%m/%d/%Y']
    >>> formats_that_read(np.array(["45382", "45383"], dtype=object))
    ['excel_serial']
    """
    if len(values) == 0:
        return []
    if excel_serials(values).all():
        return [EXCEL_SERIAL]
    text = pd.Series([v for v in values if isinstance(v, str)], dtype=object)
    if len(text) < len(values):
        return []
    return [fmt for fmt in COMMON_DATE_FORMATS
            if pd.to_datetime(text, format=fmt, errors="coerce").notna().all()]


def describe_format(fmt: str) -> str:
    """Plain words for a format name from :func:`formats_that_read`."""
    if fmt == EXCEL_SERIAL:
        return "Excel serial day numbers (45382 is 2024-03-31)"
    return f"{fmt!r}, {COMMON_DATE_FORMATS.get(fmt, fmt)}"
