"""Kaplan–Meier survival curves and median times, as R's ``survival::survfit`` gives them.

For single-event questions only (time until suspect interview); competing outcomes need
cumulative incidence instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from soteria_research.errors import ParameterError

__all__ = ["kaplan_meier", "median_survival"]

# survmean's tolerance for "the curve is exactly 0.5 here"
_HALF_TOLERANCE = np.sqrt(np.finfo(float).eps)


def _group_columns(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def kaplan_meier(data: pd.DataFrame, *, duration: str, event: str,
                 by: str | Sequence[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier estimate with Greenwood log-transformed intervals (survfit's default).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject.
    duration : str
        Column of follow-up times (>= 0).
    event : str
        Column of event indicators (1/True = the event happened, 0/False = censored).
    by : str or list of str, optional
        Columns to estimate a separate curve for each group of.
    level : float
        Confidence level of the pointwise intervals (0.95).

    Returns
    -------
    pandas.DataFrame
        One row per group and distinct time (events and censorings, as
        ``summary(survfit(...), censored=TRUE)``): ``group…, time, survival, ci_low, ci_high,
        n_at_risk, n_events, n_censored``. Intervals are ``exp(log S ± z se)`` with Greenwood's
        variance, capped at 1, and missing where the estimate reaches 0.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"days": [3, 5, 5, 8, 10, 12], "interviewed": [1, 1, 0, 1, 0, 1]})
    >>> kaplan_meier(data, duration="days", event="interviewed")[["time", "survival"]]
       time  survival
    0     3  0.833333
    1     5  0.666667
    2     8  0.444444
    3    10  0.444444
    4    12  0.000000
    """
    groups = _group_columns(by)
    missing = [c for c in [duration, event, *groups] if c not in data.columns]
    if missing:
        raise ParameterError(f"Column(s) {missing} are not in the data; available columns: "
                             f"{list(data.columns)}.")
    frame = data[[*groups, duration, event]].dropna(subset=[duration, event])
    times = pd.to_numeric(frame[duration], errors="coerce")
    if times.isna().any() or (times < 0).any():
        raise ParameterError(f"Column {duration!r} must hold numeric times >= 0.")
    values = frame[event]
    if not set(pd.unique(values)) <= {0, 1}:  # True == 1 and False == 0 in a set
        raise ParameterError(f"Column {event!r} must hold 0/1 (or True/False) event indicators; "
                             "for competing outcomes use cumulative_incidence instead.")
    work = frame[groups].copy()
    work["time"] = times.to_numpy()
    work["n_events"] = values.astype(float).astype(int).to_numpy()
    work["n_censored"] = 1 - work["n_events"]
    counts = (work.groupby([*groups, "time"], sort=True, observed=True, dropna=False)
              [["n_events", "n_censored"]].sum().reset_index())
    leaving = counts["n_events"] + counts["n_censored"]
    per_group = (counts.groupby(groups, sort=False, observed=True, dropna=False).ngroup()
                 .to_numpy() if groups else np.zeros(len(counts), dtype=np.int64))
    # at risk at t: everyone in the group who leaves at t or later (rows are time-sorted)
    by_group = leaving.groupby(per_group, sort=False)
    counts["n_at_risk"] = by_group.transform("sum") - by_group.cumsum() + leaving

    d = counts["n_events"].to_numpy(float)
    n = counts["n_at_risk"].to_numpy(float)
    with np.errstate(divide="ignore"):
        step_log = np.log1p(-d / n)  # -inf where everyone at risk has the event
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood_step = np.where(d > 0, d / (n * (n - d)), 0.0)
    cum_log = pd.Series(step_log).groupby(per_group, sort=False).cumsum().to_numpy()
    cum_var = pd.Series(greenwood_step).groupby(per_group, sort=False).cumsum().to_numpy()
    survival = np.exp(cum_log)
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ParameterError(f"level={level!r} must be a confidence level between 0 and 1, "
                             "such as 0.95.")
    z = stats.norm.ppf(0.5 + level / 2)
    se = np.sqrt(cum_var)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.where(survival > 0, np.log(np.where(survival > 0, survival, 1.0)), np.nan)
        ci_low = np.exp(log_s - z * se)
        ci_high = np.minimum(np.exp(log_s + z * se), 1.0)
    out = counts[groups].copy()
    out["time"] = counts["time"].to_numpy()
    out["survival"] = survival
    out["ci_low"] = ci_low
    out["ci_high"] = ci_high
    out["n_at_risk"] = counts["n_at_risk"].to_numpy().astype(int)
    out["n_events"] = counts["n_events"].to_numpy().astype(int)
    out["n_censored"] = counts["n_censored"].to_numpy().astype(int)
    return out.reset_index(drop=True)


def _first_below_half(curve: np.ndarray, time: np.ndarray) -> float:
    """survfit's rule: the first time the curve is <= 0.5; if it sits exactly at 0.5, the
    midpoint between that time and the next drop."""
    keep = ~np.isnan(curve) & (curve < 0.5 + _HALF_TOLERANCE)
    if not keep.any():
        return np.nan
    y, x = curve[keep], time[keep]
    if abs(y[0] - 0.5) < _HALF_TOLERANCE and (y < y[0]).any():
        return float((x[0] + x[np.argmax(y < y[0])]) / 2)
    return float(x[0])


def median_survival(km: pd.DataFrame) -> pd.DataFrame:
    """Median time and its interval from a :func:`kaplan_meier` frame, as survfit prints.

    The interval ends are where the lower and upper pointwise limits cross 0.5; either can be
    missing (NaN) when a limit never falls that far.

    Parameters
    ----------
    km : pandas.DataFrame
        Output of :func:`kaplan_meier` (its group columns are those before ``time``).

    Returns
    -------
    pandas.DataFrame
        ``group…, estimate, ci_low, ci_high, n, n_events`` (one row per group).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"days": [3, 5, 5, 8, 10, 12], "interviewed": [1, 1, 0, 1, 0, 1]})
    >>> median_survival(kaplan_meier(data, duration="days", event="interviewed"))["estimate"]
    0    8.0
    Name: estimate, dtype: float64
    """
    groups = list(km.columns[: list(km.columns).index("time")])

    def one(curve: pd.DataFrame) -> pd.Series:
        t = curve["time"].to_numpy(float)
        return pd.Series({
            "estimate": _first_below_half(curve["survival"].to_numpy(float), t),
            "ci_low": _first_below_half(curve["ci_low"].to_numpy(float), t),
            "ci_high": _first_below_half(curve["ci_high"].to_numpy(float), t),
            "n": int(curve["n_at_risk"].iloc[0]),
            "n_events": int(curve["n_events"].sum()),
        })

    if not groups:
        return one(km).to_frame().T.astype({"n": int, "n_events": int})
    # one row per curve: a loop over groups (few), never over rows
    rows = [pd.concat([pd.Series(dict(zip(groups, key if isinstance(key, tuple) else (key,),
                                          strict=True))), one(curve)])
            for key, curve in km.groupby(groups, sort=False, observed=True, dropna=False)]
    return pd.DataFrame(rows).astype({"n": int, "n_events": int}).reset_index(drop=True)
