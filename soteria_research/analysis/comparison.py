"""Comparing forces: headline figures beside the national ones, most-similar forces, and
case-mix-adjusted force effects (observed against expected) for funnel plots.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..data.dictionary import load_dictionary
from ..errors import ModelError, ParameterError
from .attrition import _wilson, default_formula, model_frame

__all__ = [
    "HEADLINE_MEASURES",
    "PEER_FEATURES",
    "force_effects",
    "force_profile",
    "funnel_limits",
    "headline_figures",
    "most_similar",
]

#: Headline measures: name -> plain label (what a chief officer reads).
HEADLINE_MEASURES = {
    "recorded": "Crimes recorded",
    "charged_within": "Charged within {days} days (share of cases with full follow-up)",
    "withdrawn_within": "Victim withdrew within {days} days (share of cases with full follow-up)",
    "evidential_within": "Evidential difficulties within {days} days (share with full follow-up)",
    "still_open": "Still open at the extract date (share of all recorded)",
}

#: Force features used to find most-similar forces: volume, population and case mix.
PEER_FEATURES = (
    "log_recorded_per_year",
    "log_population",
    "rape_share",
    "domestic_abuse_share",
    "partner_share",
    "child_victim_share",
    "non_recent_share",
)


def _group_columns(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def headline_figures(
    cases: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    within_days: int = 365,
    extract_date: object = None,
) -> pd.DataFrame:
    """The headline figures of a force report: volume, charge, withdrawal, still open.

    Charge, withdrawal and evidential-difficulty shares count outcomes within ``within_days``
    of recording among cases with that much follow-up (cases transferred within the window left
    out), so recent, still-open cases do not drag them down. "Still open" is a snapshot at the
    extract date.

    Parameters
    ----------
    cases : DataFrame
        Canonical, validated cases.
    by : str or list of str, optional
        Column(s) to break down by, such as ``"force"``; None gives one national row per measure.
    within_days : int
        Follow-up window for the outcome shares.
    extract_date : date-like, optional
        View the data as they stood on this date.

    Returns
    -------
    DataFrame
        Tidy: ``group…, measure, label, count, estimate, ci_low, ci_high, n``. For ``recorded``
        the estimate is the count; for shares ``count`` cases of ``n`` had the outcome, with a
        Wilson 95% interval.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> from soteria_research.analysis.comparison import headline_figures
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)   # doctest: +SKIP
    >>> headline_figures(cases)[["measure", "estimate"]]               # doctest: +SKIP
    """
    by = _group_columns(by)
    followed = model_frame(cases, within_days=within_days, extract_date=extract_date)
    for column in by:
        if column not in followed.columns:
            followed[column] = cases.loc[followed.index, column]
    open_now = cases["outcome_group"].eq("open")
    if extract_date is not None:
        open_now = open_now | cases["outcome_date"].gt(pd.Timestamp(extract_date))

    def counts(frame: pd.DataFrame, flag: pd.Series) -> pd.DataFrame:
        grouped = flag.astype(np.int64).groupby([frame[c] for c in by]) if by else None
        if grouped is None:
            return pd.DataFrame({"count": [int(flag.sum())], "n": [int(len(flag))]})
        return pd.DataFrame({"count": grouped.sum(), "n": grouped.size()}).reset_index()

    parts = []
    recorded = counts(cases, pd.Series(True, index=cases.index))
    recorded["measure"] = "recorded"
    parts.append(recorded)
    for measure, column in [("charged_within", "charged"), ("withdrawn_within", "withdrawn"),
                            ("evidential_within", "evidential_difficulty")]:
        part = counts(followed, followed[column].astype(bool))
        part["measure"] = measure
        parts.append(part)
    still_open = counts(cases, open_now)
    still_open["measure"] = "still_open"
    parts.append(still_open)
    frame = pd.concat(parts, ignore_index=True)
    frame["count"] = frame["count"].astype(np.int64)
    frame["n"] = frame["n"].astype(np.int64)
    share, low, high = _wilson(frame["count"].to_numpy(), frame["n"].to_numpy())
    is_count = frame["measure"].eq("recorded").to_numpy()
    frame["estimate"] = np.where(is_count, frame["count"], share)
    frame["ci_low"] = np.where(is_count, np.nan, low)
    frame["ci_high"] = np.where(is_count, np.nan, high)
    frame["label"] = frame["measure"].map(HEADLINE_MEASURES).str.replace(
        "{days}", str(within_days), regex=False)
    order = {m: i for i, m in enumerate(HEADLINE_MEASURES)}
    frame = frame.sort_values([*by, "measure"], key=lambda s: s.map(order) if s.name == "measure"
                              else s, kind="stable").reset_index(drop=True)
    return frame[[*by, "measure", "label", "count", "estimate", "ci_low", "ci_high", "n"]]


def force_profile(cases: pd.DataFrame) -> pd.DataFrame:
    """Per force: volume, population and case mix, the features most-similar forces are found by.

    Returns one row per force present, columns ``force, recorded, years, population`` and
    :data:`PEER_FEATURES`.
    """
    forces = load_dictionary().forces.set_index("code")
    grouped = cases.groupby("force", observed=True)
    years = grouped["recorded_date"].agg(lambda d: max((d.max() - d.min()).days, 1) / 365.25)
    delay_days = (cases["recorded_date"] - cases["offence_start_date"]).dt.days
    flags = pd.DataFrame(
        {
            "rape_share": cases["offence_group"].eq("rape"),
            "domestic_abuse_share": cases["domestic_abuse"].astype(bool),
            "partner_share": cases["relationship"].eq("partner_ex_partner"),
            "child_victim_share": cases["victim_age"].astype("Float64").lt(18).fillna(False)
            .astype(bool),
            "non_recent_share": delay_days.gt(365),
        },
        index=cases.index,
    ).groupby(cases["force"], observed=True).mean()
    profile = pd.DataFrame({"recorded": grouped.size(), "years": years}).join(flags)
    profile["population"] = forces["population_2011"].reindex(profile.index).astype(float)
    profile["log_recorded_per_year"] = np.log(profile["recorded"] / profile["years"])
    profile["log_population"] = np.log(profile["population"])
    profile.index.name = "force"
    return profile.reset_index()[["force", "recorded", "years", "population", *PEER_FEATURES]]


def most_similar(
    cases: pd.DataFrame,
    *,
    force: str | None = None,
    k: int = 5,
    features: Sequence[str] = PEER_FEATURES,
) -> pd.DataFrame:
    """The ``k`` forces most like each force in volume, population and case mix.

    Each feature is standardised across forces (mean 0, standard deviation 1) and forces are
    ranked by Euclidean distance, so no single feature's units dominate. This is the idea
    behind the Home Office's "most similar groups", on the case mix this data holds.

    Parameters
    ----------
    cases : DataFrame
        Canonical, validated cases for several forces.
    force : str, optional
        Only this force's peers; default every force's.
    k : int
        Peers per force (fewer when the data hold fewer other forces).
    features : sequence of str
        Columns of :func:`force_profile` to compare on.

    Returns
    -------
    DataFrame
        ``force, peer, rank, distance`` (rank 1 = most similar).

    Examples
    --------
    >>> peers = most_similar(cases, force="durham", k=3)   # doctest: +SKIP
    """
    unknown = set(features) - set(PEER_FEATURES)
    if unknown:
        raise ParameterError(f"features {sorted(unknown)} are not force features; use some of "
                             f"{', '.join(PEER_FEATURES)}.")
    profile = force_profile(cases).set_index("force")
    if force is not None and force not in profile.index:
        raise ParameterError(f"force={force!r} has no cases in the data, so it has no peers.")
    values = profile[list(features)].astype(float)
    spread = values.std(ddof=0).replace(0, 1.0)
    z = ((values - values.mean()) / spread).fillna(0.0).to_numpy()
    distance = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(distance, np.inf)
    codes = profile.index.to_numpy()
    k = max(0, min(k, len(codes) - 1))
    order = np.argsort(distance, axis=1, kind="stable")[:, :k]
    frame = pd.DataFrame(
        {
            "force": np.repeat(codes, k),
            "peer": codes[order.ravel()],
            "rank": np.tile(np.arange(1, k + 1), len(codes)),
            "distance": np.take_along_axis(distance, order, axis=1).ravel(),
        }
    )
    if force is not None:
        frame = frame[frame["force"].eq(force)].reset_index(drop=True)
    return frame


def force_effects(
    cases: pd.DataFrame,
    *,
    outcome: str = "charged",
    within_days: int = 365,
    formula: str | None = None,
    extract_date: object = None,
) -> pd.DataFrame:
    """Case-mix-adjusted force effects: observed against expected outcomes, by force.

    A national logistic model of the outcome within ``within_days`` (on case-level covariates,
    without force) gives each case its expected probability; a force's expected count is the sum
    over its cases (indirect standardisation). ``estimate`` is observed / expected: above 1 means
    more of the outcome than the force's case mix predicts. The 95% interval is the exact
    Poisson interval of the observed count divided by the expected. Plot it against ``expected``
    with :func:`funnel_limits` to see which forces differ by more than chance.

    Parameters
    ----------
    cases : DataFrame
        Canonical, validated cases for many forces.
    outcome : {"charged", "withdrawn", "evidential_difficulty", "no_suspect", "other"}
        The window outcome (columns of ``attrition.model_frame``).
    within_days : int
        Follow-up window.
    formula : str, optional
        Case-mix model (default: every case-level covariate, see ``attrition.default_formula``).

    Returns
    -------
    DataFrame
        ``force, observed, expected, estimate, ci_low, ci_high, n, adjusted_rate`` where
        ``adjusted_rate`` is the national rate times ``estimate``; ``attrs["national_rate"]``.

    Examples
    --------
    >>> effects = force_effects(cases)   # doctest: +SKIP
    """
    import statsmodels.formula.api as smf

    frame = model_frame(cases, within_days=within_days, extract_date=extract_date)
    if outcome not in ("charged", "withdrawn", "evidential_difficulty", "no_suspect", "other"):
        raise ParameterError(f"outcome={outcome!r} is not a window outcome; use 'charged', "
                             "'withdrawn', 'evidential_difficulty', 'no_suspect' or 'other'.")
    frame["force"] = cases.loc[frame.index, "force"]
    events = int(frame[outcome].sum())
    if events == 0 or events == len(frame):
        raise ModelError(f"Cannot adjust {outcome!r} for case mix: {events} of {len(frame)} cases "
                         "with full follow-up have it; the model needs both outcomes.")
    formula = formula or default_formula(outcome, frame)
    with warnings.catch_warnings(record=True) as caught:  # said in attrs, not scrolled past
        warnings.simplefilter("always")
        fitted = smf.logit(formula, data=frame, missing="drop").fit(disp=0, maxiter=100)
    notes = [str(w.message) for w in caught
             if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    converged = bool(fitted.mle_retvals.get("converged", True))
    if not converged:
        notes.append("The case-mix model did not converge (a covariate level may have no cases "
                     "with the outcome); expected counts may be unreliable.")
    expected_each = pd.Series(np.asarray(fitted.predict(frame)), index=frame.index)
    used = expected_each.notna()
    grouped = frame.loc[used].groupby("force", observed=True)
    observed = grouped[outcome].sum().astype(np.int64)
    expected = expected_each[used].groupby(frame.loc[used, "force"], observed=True).sum()
    n = grouped.size()
    # Exact (Garwood) Poisson limits for the observed count.
    low = np.where(observed > 0, stats.chi2.ppf(0.025, 2 * observed) / 2, 0.0)
    high = stats.chi2.ppf(0.975, 2 * (observed + 1)) / 2
    national_rate = float(frame.loc[used, outcome].mean())
    result = pd.DataFrame(
        {
            "force": observed.index,
            "observed": observed.to_numpy(),
            "expected": expected.to_numpy(),
            "estimate": observed.to_numpy() / expected.to_numpy(),
            "ci_low": low / expected.to_numpy(),
            "ci_high": high / expected.to_numpy(),
            "n": n.to_numpy().astype(np.int64),
        }
    )
    result["adjusted_rate"] = result["estimate"] * national_rate
    result.attrs.update({"national_rate": national_rate, "outcome": outcome,
                         "within_days": within_days, "formula": formula,
                         "converged": converged, "notes": notes})
    return result


def funnel_limits(
    expected_max: float, *, expected_min: float = 1.0, levels: Sequence[float] = (0.95, 0.998),
    points: int = 200,
) -> pd.DataFrame:
    """Control limits of an observed/expected ratio under chance alone, for a funnel plot.

    For an expected count E the ratio O/E has exact Poisson limits; a force outside the 99.8%
    limits differs from the national case-mix-adjusted rate by more than chance would explain
    (Spiegelhalter 2005).

    Returns
    -------
    DataFrame
        ``expected, level, lower, upper`` on a log-spaced grid of expected counts.

    Examples
    --------
    >>> from soteria_research.analysis.comparison import funnel_limits
    >>> limits = funnel_limits(100)
    >>> bool((limits["lower"] <= 1).all() and (limits["upper"] >= 1).all())
    True
    """
    grid = np.geomspace(max(expected_min, 0.5), max(expected_max, expected_min * 2), points)
    parts = []
    for level in levels:  # two or three levels: a tiny loop, not over data
        tail = (1 - level) / 2
        lower = stats.poisson.ppf(tail, grid) / grid
        upper = stats.poisson.ppf(1 - tail, grid) / grid
        parts.append(pd.DataFrame({"expected": grid, "level": level, "lower": lower,
                                   "upper": upper}))
    return pd.concat(parts, ignore_index=True)
