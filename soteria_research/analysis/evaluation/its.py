"""One force against its own past: segmented regression of its monthly cohort shares.

For a force that wants its own before/after, and the only view available for the last wave,
which has no force left that had not joined; its caveats are returned beside the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ...errors import ModelError, ParameterError
from .narrative import _interval, outcome_label
from .panel import _check_level, cohort_outcomes

#: Fewer months than this on either side of joining and the segmented regression is refused.
MIN_MONTHS = 6


@dataclass(frozen=True)
class ForceTimeSeries:
    """An interrupted time series of one force's monthly cohorts.

    Attributes
    ----------
    effects : DataFrame
        ``term, label, estimate, se, ci_low, ci_high, p, n_months``: ``pre_trend`` (change a
        month before joining), ``level_change`` (the step at joining), ``slope_change``
        (extra change a month after joining) and ``change_at_end`` (the modelled difference
        from the projected pre-joining line at the last month with full follow-up).
    series : DataFrame
        By month: ``cohort, periods_since_joining, in_programme, n_cohort, observed, fitted,
        projected`` (the pre-joining line carried on, seasonality included).
    caveats : tuple of str
        What this design cannot rule out, in plain language.
    text : str
        A paragraph for the force's report.
    fit : statsmodels results
        The fitted regression (HAC covariance), for those who want more.
    """

    force: str
    outcome: str
    effects: pd.DataFrame
    series: pd.DataFrame
    caveats: tuple[str, ...]
    text: str
    fit: object


def _design(series: pd.DataFrame, harmonics: int) -> pd.DataFrame:
    month = series["cohort_start"].dt.month.to_numpy()
    time = np.arange(len(series), dtype=float)
    after = series["in_programme"].to_numpy(float)
    since = np.where(after > 0, series["periods_since_joining"].clip(lower=0).to_numpy(float), 0.0)
    columns = {"const": np.ones(len(series)), "pre_trend": time, "level_change": after,
               "slope_change": since}
    for k in range(1, harmonics + 1):
        columns[f"sin{k}"] = np.sin(2 * np.pi * k * month / 12)
        columns[f"cos{k}"] = np.cos(2 * np.pi * k * month / 12)
    return pd.DataFrame(columns, index=series.index)


def interrupted_time_series(
    cases: pd.DataFrame,
    force: str,
    *,
    outcome: str = "charge",
    within_days: int = 180,
    start_dates: Mapping[str, object] | None = None,
    exposure: str = "recorded",
    harmonics: int = 2,
    maxlags: int | None = None,
    level: float = 0.95,
    extract_date: object = None,
) -> ForceTimeSeries:
    """Segmented regression of one force's monthly cohort shares around its start date.

    ``share = a + b·month + c·after + d·months_since_joining + seasonality + error``, fitted
    by least squares with Newey–West (HAC) standard errors, because neighbouring months'
    cohorts share investigators, backlogs and court lists.

    Parameters
    ----------
    cases : DataFrame
        Canonical cases (other forces' rows are ignored).
    force : str
        The force code.
    outcome : str
        A competing outcome: ``charge``, ``victim_withdrawal``, ``evidential_difficulty``...
    within_days : int
        Window after recording; months without full follow-up are left out.
    start_dates, exposure
        As :func:`cohort_outcomes`.
    harmonics : int
        Pairs of Fourier terms for the season of recording (0: none).
    maxlags : int, optional
        HAC lags; default ``floor(4 (months / 100) ** (2 / 9))`` (Newey & West 1994).
    level : float
        Confidence level (t intervals).
    extract_date : date-like, optional
        View the data as they stood on this date.

    Returns
    -------
    ForceTimeSeries

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.5, seed=4)
    >>> its = interrupted_time_series(cases, "durham")
    >>> its.effects["term"].tolist()
    ['pre_trend', 'level_change', 'slope_change', 'change_at_end']
    >>> "no comparison" in its.text
    True
    """
    level = _check_level(level)
    if force not in set(cases["force"].dropna()):
        raise ParameterError(f"force={force!r} has no cases in this frame; use one of "
                             f"{sorted(cases['force'].dropna().unique())[:5]}...")
    if isinstance(harmonics, bool) or not isinstance(harmonics, int) or not 0 <= harmonics <= 6:
        raise ParameterError(f"harmonics={harmonics!r} must be a whole number from 0 to 6.")
    # Only the columns the cohort shares need: copying all forty for one force is most of
    # the cost when a report runs this for every force of a national extract.
    needed = [c for c in ("force", "recorded_date", "outcome_date", "outcome_group",
                          "extract_date") if c in cases.columns]
    own = cases.loc[cases["force"].eq(force).to_numpy(), needed]
    series = cohort_outcomes(own, within_days=within_days, freq="M", outcomes=outcome,
                             start_dates=start_dates, exposure=exposure,
                             extract_date=extract_date, medians=False).reset_index(drop=True)
    before, after = int((~series["in_programme"]).sum()), int(series["in_programme"].sum())
    if before < MIN_MONTHS or after < MIN_MONTHS:
        raise ModelError(
            f"{force} has {before} month(s) before joining and {after} after with "
            f"{within_days} days of follow-up; a segmented regression needs at least "
            f"{MIN_MONTHS} on each side. Shorten within_days or wait for later extracts.")
    X = _design(series, harmonics)
    lags = maxlags if maxlags is not None else int(np.floor(4 * (len(series) / 100) ** (2 / 9)))
    fit = sm.OLS(series["estimate"].to_numpy(float), X).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
    last = X.iloc[-1]
    combo = np.where(X.columns.isin(["level_change", "slope_change"]), last, 0.0)
    rows = []
    for term, weights in [(t, (X.columns == t).astype(float)) for t in
                          ("pre_trend", "level_change", "slope_change")] + [("change_at_end", combo)]:
        test = fit.t_test(np.asarray(weights, dtype=float)[None, :])
        low, high = np.asarray(test.conf_int(alpha=1 - level)).ravel()
        rows.append(dict(term=term, estimate=float(np.ravel(test.effect)[0]),
                         se=float(np.ravel(test.sd)[0]), ci_low=low, ci_high=high,
                         p=float(np.ravel(test.pvalue)[0])))
    effects = pd.DataFrame(rows)
    effects.insert(1, "label", ["change a month before joining", "step at joining",
                                "extra change a month after joining",
                                f"difference from the projected line in {series['cohort'].iloc[-1]}"])
    effects["n_months"] = len(series)
    projected_X = X.assign(level_change=0.0, slope_change=0.0)
    table = series[["cohort", "periods_since_joining", "in_programme", "n_cohort"]].assign(
        observed=series["estimate"], fitted=fit.fittedvalues, projected=fit.predict(projected_X))
    caveats = _caveats(series, force, within_days, lags, harmonics, exposure)
    end = effects.iloc[-1]
    text = (f"In {force}, the share of cases {outcome_label(outcome)} within {within_days} days "
            f"in {series['cohort'].iloc[-1]} differed from the line its own months before "
            f"joining project by {_interval(end)} ({level:.0%} interval; {len(series)} monthly "
            f"cohorts, {before} before joining). " + " ".join(caveats))
    return ForceTimeSeries(force=force, outcome=outcome, effects=effects, series=table,
                           caveats=tuple(caveats), text=text, fit=fit)


def _caveats(series, force, within_days, lags, harmonics, exposure) -> list[str]:
    caveats = [
        "This compares the force only with its own past: there is no comparison group, so "
        "anything else that changed at the same time (national charging trends, prosecution "
        "policy, recording practice, staffing) is counted as the programme's effect.",
        "The months before joining are assumed to follow a straight line that would have "
        "continued; a curve or a turn that happened anyway would be read as an effect.",
        f"Standard errors allow for correlation between neighbouring months (Newey-West, "
        f"{lags} lags)" + (f", and the season of recording is modelled ({harmonics} Fourier "
                           "pairs)." if harmonics else "."),
        f"Only months whose cases have all had {within_days} days to reach an outcome are "
        f"used, so the series ends at {series['cohort'].iloc[-1]}.",
    ]
    small = series["n_cohort"].median()
    if small < 30:
        caveats.append(f"Monthly cohorts are small (median {small:.0f} cases), so single months "
                       "swing widely.")
    if exposure == "open":
        caveats.append("Sensitivity analysis: months before joining whose cases were still open "
                       "on the start date count as in the programme.")
    return caveats
