"""The cases as an extract taken on an earlier date would have shown them.

A report run's ``--extract-date`` means "view the data as extracted on this date". A file
that has its own, later, extract dates (the ``extract_date`` column) still holds what
happened after it: the stages reached, decisions, charges, outcomes and suspects identified
since. :func:`as_extracted` takes all of that out once, before anything is computed, so
that every table of the run sees the same data. Before, only the functions given the date
used it: the headline counted a case followed a year by the date given, the trend table by
the file's, and a run of one financial year at an earlier date stopped on the two
disagreeing ("one quantity must be one number wherever it is published").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError

__all__ = ["as_extracted"]

#: Each event's date, and the columns that record what the event found (blank with it).
_EVENTS = {
    "suspect_identified_date": ("suspect_id", "suspect_age", "suspect_sex",
                                "suspect_ethnicity"),
    "arrest_date": (),
    "interview_date": (),
    "file_to_cps_date": (),
    "cps_decision_date": ("cps_decision",),
    "charge_date": (),
    "device_requested_date": (),
    "device_returned_date": (),
    "outcome_date": ("outcome_code",),
    "court_outcome_date": ("court_outcome",),
}


def as_extracted(cases: pd.DataFrame, extract_date, *, source: str = "the data"
                 ) -> pd.DataFrame:
    """``cases`` as an extract taken on ``extract_date`` would hold them.

    Cases recorded after it are not in such an extract (the report period leaves them out
    already). Every event dated after it has not happened yet: its date is blank, and so is
    what it recorded (a suspect's details with their identification, the CPS decision, the
    outcome: the case is open again, ``outcome_group`` ``open``). ``extract_date`` becomes the
    date given. A date after a row's own extract date is refused: the file does not know
    what happened after it was extracted, and a case counted as followed past it would have
    its later outcomes missed.

    Examples
    --------
    >>> import pandas as pd
    >>> cases = pd.DataFrame({
    ...     "recorded_date": pd.to_datetime(["2023-01-10"]),
    ...     "charge_date": pd.to_datetime(["2023-09-01"]),
    ...     "outcome_date": pd.to_datetime(["2023-09-01"]), "outcome_code": ["1"],
    ...     "outcome_group": ["charge"], "extract_date": pd.to_datetime(["2024-03-31"])})
    >>> seen = as_extracted(cases, "2023-06-30")
    >>> seen[["charge_date", "outcome_code", "outcome_group"]].iloc[0].tolist()
    [NaT, nan, 'open']
    """
    date = pd.Timestamp(extract_date).normalize()
    if "extract_date" in cases.columns:
        own = pd.to_datetime(cases["extract_date"], errors="coerce")
        earlier = own.lt(date)
        if earlier.any():
            first = own[earlier].min()
            raise ParameterError(
                f"{source}: --extract-date {date.date()} is after the file's own extract "
                f"date, {first.date()} (column extract_date): the file cannot show what "
                "happened after it was extracted. Give "
                f"--extract-date {first.date()} or earlier, or leave it out.")
    out = cases.copy()
    for column, found in _EVENTS.items():
        if column not in out.columns:
            continue
        later = pd.to_datetime(out[column], errors="coerce").gt(date).to_numpy()
        if not later.any():
            continue
        out.loc[later, column] = pd.NaT
        for other in found:
            if other in out.columns:
                out.loc[later, other] = pd.NA if str(out[other].dtype) == "Int64" else np.nan
        if column == "outcome_date" and "outcome_group" in out.columns:
            out.loc[later, "outcome_group"] = "open"
    if "extract_date" in out.columns:
        kind = out["extract_date"].dtype
        out["extract_date"] = (pd.Series(date, index=out.index).astype(kind)
                               if pd.api.types.is_datetime64_any_dtype(kind)
                               else date.strftime("%Y-%m-%d"))
    return out
