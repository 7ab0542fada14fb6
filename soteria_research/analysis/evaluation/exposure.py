"""When each force joined Operation Soteria, and which cases count as "after joining".

Every evaluation function takes its start dates and its exposure rule from here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ...data.dictionary import load_dictionary
from ...errors import DataValidationError, ParameterError

#: The exposure rules. ``"recorded"``: a case counts as after joining when it was recorded on
#: or after its force's start date (the main analysis). ``"open"``: cases recorded before the
#: start but still open on it count too, because part of their investigation ran under the
#: programme (a sensitivity analysis, stated as such in every result that uses it).
EXPOSURES = ("recorded", "open")

#: Period lengths the evaluation works in: calendar months or quarters of recording.
FREQUENCIES = {"M": "month", "Q": "quarter"}


def _wave_dates() -> dict[str, pd.Timestamp]:
    # Until the dictionary carries each force's own start date, the wave dates of the
    # synthetic generator's configuration are the only documented source; one place holds them.
    from ...data.synthetic import SyntheticConfig

    return {wave: pd.Timestamp(day) for wave, day in SyntheticConfig().soteria_start.items()}


def programme_start_dates(start_dates: Mapping[str, object] | None = None) -> pd.Series:
    """Each force's Operation Soteria start date, as a Series indexed by force code.

    Parameters
    ----------
    start_dates : mapping of force code to date, optional
        Explicit start dates (ISO strings, dates or Timestamps). A force mapped to ``None``
        has no start date. By default the data dictionary's ``soteria_start`` column of
        ``forces.csv`` when it has one, else the date of the force's ``soteria_wave``
        (pilot 2021-07-01, pathfinder 2022-01-01, expansion 2022-10-01, national
        2023-07-01).

    Returns
    -------
    pandas.Series
        ``datetime64`` values named ``soteria_start``; NaT for a force with no date.

    Examples
    --------
    >>> from soteria_research.analysis.evaluation import programme_start_dates
    >>> str(programme_start_dates()["durham"].date())
    '2022-01-01'
    >>> programme_start_dates({"durham": "2022-03-15"})["durham"].month
    3
    """
    if start_dates is not None:
        if not isinstance(start_dates, Mapping):
            raise ParameterError(
                f"start_dates must map force codes to dates, such as {{'durham': '2022-01-01'}}; "
                f"got {type(start_dates).__name__}.")
        try:
            values = pd.to_datetime(pd.Series(dict(start_dates), dtype=object))
        except (TypeError, ValueError) as exc:
            raise ParameterError(
                f"start_dates holds a value that is not a date ({exc}). Give ISO dates such "
                "as '2022-01-01'.") from exc
        return values.dt.normalize().rename("soteria_start")
    forces = load_dictionary().forces
    if "soteria_start" in forces.columns:
        values = pd.to_datetime(forces["soteria_start"], errors="coerce")
    else:
        values = forces["soteria_wave"].map(_wave_dates())
    return pd.Series(values.to_numpy(), index=forces["code"].to_numpy(),
                     name="soteria_start").astype("datetime64[ns]")


def start_dates_for(cases: pd.DataFrame,
                    start_dates: Mapping[str, object] | None = None) -> pd.Series:
    """The start date of every force present in ``cases``; a clear error when one has none.

    Examples
    --------
    >>> import pandas as pd
    >>> cases = pd.DataFrame({"force": ["durham", "cumbria"]})
    >>> start_dates_for(cases).sort_index().dt.year.tolist()
    [2023, 2022]
    """
    if "force" not in cases.columns:
        raise DataValidationError(
            "The cases frame has no 'force' column; pass the canonical frame returned by "
            "read_cases/validate_cases.")
    dates = programme_start_dates(start_dates)
    present = [force for force in pd.unique(cases["force"]) if not pd.isna(force)]
    found = dates.reindex(present)
    missing = sorted(map(str, found.index[found.isna()]))
    if missing:
        raise ParameterError(
            f"No Operation Soteria start date for force(s) {missing}. Give one with "
            f"start_dates={{'{missing[0]}': 'YYYY-MM-DD', ...}}, or leave those forces out of "
            "cases; an evaluation cannot place a force without a start date before or after "
            "joining.")
    return found


def check_exposure(exposure: str) -> str:
    """Return ``exposure`` when it is one of :data:`EXPOSURES`, else raise ParameterError."""
    if exposure not in EXPOSURES:
        raise ParameterError(
            f"exposure={exposure!r} is not known. Use 'recorded' (cases recorded on or after "
            "the start date count as after joining) or 'open' (cases still open on the start "
            "date count too, a sensitivity analysis).")
    return exposure


def check_freq(freq: str) -> str:
    """Return ``freq`` when it is ``"M"`` or ``"Q"``, else raise ParameterError."""
    if freq not in FREQUENCIES:
        raise ParameterError(
            f"freq={freq!r} is not a period length the evaluation uses: give 'Q' (quarters "
            "of recording) or 'M' (months).")
    return freq


def in_programme(cases: pd.DataFrame, *, start_dates: Mapping[str, object] | None = None,
                 exposure: str = "recorded") -> pd.Series:
    """Whether each case counts as after its force joined, under the exposure rule.

    Parameters
    ----------
    cases : DataFrame
        Canonical cases (``force``, ``recorded_date``; ``outcome_date`` and ``extract_date``
        for ``exposure="open"``).
    start_dates : mapping, optional
        As :func:`programme_start_dates`.
    exposure : {"recorded", "open"}
        ``"recorded"``: recorded on or after the start date. ``"open"``: also cases recorded
        earlier that had no outcome before the start date (still open on it).

    Returns
    -------
    pandas.Series of bool, indexed like ``cases``.

    Examples
    --------
    >>> import pandas as pd
    >>> cases = pd.DataFrame({"force": ["durham"] * 3,
    ...     "recorded_date": pd.to_datetime(["2021-06-01", "2021-12-01", "2022-02-01"]),
    ...     "outcome_date": pd.to_datetime(["2021-07-01", None, None])})
    >>> in_programme(cases).tolist(), in_programme(cases, exposure="open").tolist()
    ([False, False, True], [False, True, True])
    """
    check_exposure(exposure)
    start = cases["force"].map(start_dates_for(cases, start_dates))
    after = cases["recorded_date"].ge(start)
    if exposure == "open":
        still_open = cases["outcome_date"].isna() | cases["outcome_date"].ge(start)
        after = after | (cases["recorded_date"].lt(start) & still_open)
    return after.astype(bool).rename("in_programme")


def joining_period(start: pd.Series, freq: str) -> pd.Series:
    """The period of recording that holds each force's start date (its first treated period).

    A start date inside a period (not on its first day) makes that period's cohort a mix of
    cases from before and after joining; it still counts as the first period after joining,
    which pulls the first effect towards zero rather than contaminating the periods before.
    """
    return start.dt.to_period(freq)


def starts_mid_period(start: pd.Series, freq: str) -> list[str]:
    """Forces whose start date is not the first day of a period."""
    first_day = start.dt.to_period(freq).dt.start_time
    return sorted(map(str, start.index[np.asarray(first_day != start)]))
