"""Time-varying covariates: each case split at its dated events into counting-process episodes
``(start, stop]``, so an event that happens during the investigation (a device request, an
arrest, a referral to the CPS) counts only from the day it happened.

Used as a baseline covariate instead, such an event gives the case "immortal time": a case
with a request must have stayed open until the request, so requests look protective against
every outcome even when they change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError, ParameterError
from .outcomes import CENSORED
from .timeline import time_to_outcome

__all__ = ["EVENTS", "episodes", "split_episodes"]

#: The dated events of an investigation analysed as time-varying covariates: covariate name
#: -> the case column holding its date. Each is 0 before the event and 1 from it on.
EVENTS = {
    "device_requested": "device_requested_date",
    "arrested": "arrest_date",
    "referred": "file_to_cps_date",
}

#: A case whose outcome came on the day its clock started gets this much time (days): the
#: interval (0, 0] holds none, and a counting-process model needs start < stop.
DAY_ZERO_LENGTH = 0.5


def split_episodes(
    tte: pd.DataFrame,
    event_days: pd.DataFrame,
    *,
    duration: str = "days",
    entry: str | None = None,
    day_zero_length: float = DAY_ZERO_LENGTH,
) -> pd.DataFrame:
    """Split each row of a time-to-event frame at the days its events happened.

    A case followed over ``(entry, T]`` (entry 0 unless given) with events on days ``d_1..d_k``
    becomes one episode per stretch between them. Covariate ``j`` is 1 on an episode
    ``(s, e]`` when ``d_j <= s`` and 0 otherwise: it changes at ``d_j``, as R's
    ``survival::tmerge(tdc())``. So an event on or before the start of follow-up is 1 throughout,
    an event on the day of the outcome or later (or never: missing) is 0 throughout, and the
    outcome on the day of an event counts before it. Equal event days give one split. The
    outcome (``event``, ``outcome``) sits on the last episode; earlier ones are censored.
    A duration of 0 (an outcome on the first day) becomes ``day_zero_length``.

    Parameters
    ----------
    tte : DataFrame
        One row per case: ``duration``, ``event`` (integer code, 0 censored) and, when present,
        ``outcome`` (label), plus any covariates (carried to every episode of the case).
    event_days : DataFrame
        Same index as ``tte``; one column per time-varying covariate holding the day (on the
        clock of ``duration``) its event happened, missing when it never did.
    duration : str
        Column of follow-up times.
    entry : str, optional
        Column of delayed-entry times; episodes then start there.
    day_zero_length : float
        Follow-up given to a case whose duration is 0.

    Returns
    -------
    DataFrame
        One row per episode: ``case`` (the ``tte`` index label), ``start``, ``stop``, then every
        column of ``tte`` but ``duration`` (``event`` and ``outcome`` censored but on the last
        episode), then one 0/1 (``int8``) column per covariate of ``event_days``. ``attrs``
        keeps ``tte``'s and adds ``time_varying`` (the covariate names). Fit with
        ``fit_cox(frame, duration="stop", entry="start", ...)`` or ``cause_specific``.

    Examples
    --------
    >>> tte = pd.DataFrame({"days": [10.0, 4.0, 0.0], "event": [1, 0, 2]})
    >>> days = pd.DataFrame({"device_requested": [3.0, None, 0.0]})
    >>> split_episodes(tte, days)[["case", "start", "stop", "event", "device_requested"]]
       case  start  stop  event  device_requested
    0     0    0.0   3.0      0                 0
    1     0    3.0  10.0      1                 1
    2     1    0.0   4.0      0                 0
    3     2    0.0   0.5      2                 1
    """
    for column in (duration, "event", *([entry] if entry else [])):
        if column not in tte.columns:
            raise DataValidationError(
                f"The time-to-event frame has no {column!r} column; build it with "
                "timeline.time_to_outcome (or name the column with duration=/entry=).")
    if not event_days.index.equals(tte.index):
        raise ParameterError("event_days must have the same index as the time-to-event frame "
                             "(one row per case, in the same order).")
    clash = [c for c in event_days.columns if c in tte.columns or c in ("case", "start", "stop")]
    if clash:
        raise ParameterError(f"Time-varying covariate name(s) {clash} clash with columns of the "
                             "time-to-event frame; rename them.")
    stop_all = tte[duration].to_numpy(dtype=float, na_value=np.nan)
    first = (tte[entry].to_numpy(dtype=float, na_value=np.nan) if entry
             else np.zeros(len(tte)))
    if np.isnan(stop_all).any() or np.isnan(first).any():
        raise DataValidationError(f"{duration!r} (and {entry!r}) must be known on every row.")
    stop_all = np.where(stop_all > first, stop_all, np.maximum(first, 0) + day_zero_length)
    days = event_days.to_numpy(dtype=float, na_value=np.nan).reshape(len(tte), -1)
    n, k = days.shape

    # Split days strictly inside (first, stop), sorted per case, duplicates removed.
    inside = (days > first[:, None]) & (days < stop_all[:, None])
    splits = np.where(inside, days, np.inf)
    splits.sort(axis=1)
    if k > 1:
        repeat = np.zeros_like(inside)
        repeat[:, 1:] = (splits[:, 1:] == splits[:, :-1]) & np.isfinite(splits[:, 1:])
        rows_repeated = np.flatnonzero(repeat.any(axis=1))
        if len(rows_repeated):  # few cases: re-sort only theirs
            splits[repeat] = np.inf
            splits[rows_repeated] = np.sort(splits[rows_repeated], axis=1)
    n_splits = np.isfinite(splits).sum(axis=1)
    per_case = n_splits + 1
    row = np.repeat(np.arange(n), per_case)
    position = np.arange(len(row)) - np.repeat(np.cumsum(per_case) - per_case, per_case)
    last = position == n_splits[row]
    if k:
        flat = splits.ravel()
        start = np.where(position == 0, first[row], flat[row * k + np.maximum(position - 1, 0)])
        stop = np.where(last, stop_all[row], flat[row * k + np.minimum(position, k - 1)])
    else:
        start, stop = first[row], stop_all[row]

    carried = [c for c in tte.columns if c != duration]
    out = tte[carried].take(row)
    out.index = pd.RangeIndex(len(row))
    out.insert(0, "case", tte.index.to_numpy()[row])
    out.insert(1, "start", start)
    out.insert(2, "stop", stop)
    event = out["event"].to_numpy()
    out["event"] = np.where(last, event, 0).astype(event.dtype)
    if "outcome" in out.columns:
        out["outcome"] = np.where(last, out["outcome"].to_numpy(), CENSORED)
    for j, name in enumerate(event_days.columns):
        out[name] = (days[row, j] <= start).astype(np.int8)
    out.attrs = {**tte.attrs, "time_varying": list(event_days.columns)}
    return out


def episodes(
    cases: pd.DataFrame,
    *,
    events: Mapping[str, str] | Sequence[str] = EVENTS,
    extract_date: object = None,
    tte: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The counting-process frame of validated cases: time to outcome from recording, split at
    the dated events of ``events`` (device request, arrest, referral to the CPS by default).

    An event after the outcome, or after the extract date (or ``extract_date``), is not known
    while the case is followed and changes nothing; an event on or before the recorded date
    counts from the start.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    events : mapping or sequence of str
        Covariate name -> date column (default :data:`EVENTS`), or date columns (the covariate
        is then the column name without ``_date``). Any dated column works.
    extract_date : date-like, optional
        View the data as they stood on this date.
    tte : DataFrame, optional
        A time-to-event frame of these cases already built (same index).

    Returns
    -------
    DataFrame
        As :func:`split_episodes`: ``case, start, stop``, the time-to-event columns, and one
        0/1 column per event.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.1, seed=1)
    >>> split = episodes(cases)
    >>> bool(split.groupby("case")["event"].sum().eq(
    ...     time_to_outcome(cases)["event"]).all())
    True
    """
    if not isinstance(events, Mapping):
        events = {str(c).removesuffix("_date"): c for c in events}
    missing = [c for c in events.values() if c not in cases.columns]
    if missing:
        raise DataValidationError(f"The cases frame has no date column(s) {missing}; give "
                                  f"events= columns it has, such as {list(EVENTS.values())}.")
    if tte is None:
        tte = time_to_outcome(cases, extract_date=extract_date)
    elif not tte.index.equals(cases.index):
        raise ParameterError("tte= must have the index of cases (build it with "
                             "time_to_outcome(cases)).")
    origin = cases["recorded_date"]
    event_days = pd.DataFrame(
        {name: (pd.to_datetime(cases[column]) - origin).dt.days.astype(float)
         for name, column in events.items()}, index=cases.index)
    return split_episodes(tte, event_days)
