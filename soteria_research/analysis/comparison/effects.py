"""Case-mix-adjusted force effects: observed against expected outcomes (indirect standardisation),
the points of a ratio funnel plot."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import ModelError, ParameterError
from ..attrition import default_formula, model_frame
from ..cohorts import followed_cases

__all__ = ["WINDOW_OUTCOMES", "force_effects"]

#: Outcomes within a window that :func:`force_effects` adjusts (columns of ``model_frame``).
WINDOW_OUTCOMES = ("charged", "withdrawn", "evidential_difficulty", "no_suspect", "other")
#: The model's variance under chance, sum p (1 - p), as a share of its expected count
#: sum p, below which every case's outcome is taken as certain (complete separation).
CERTAIN = 1e-6


def force_effects(
    cases: pd.DataFrame,
    *,
    outcome: str = "charged",
    within_days: int = 365,
    formula: str | None = None,
    extract_date: object = None,
    level: float = 0.95,
    grouped: bool | None = None,
) -> pd.DataFrame:
    """Case-mix-adjusted force effects: observed against expected outcomes, by force.

    A national logistic model of the outcome within ``within_days`` (on case-level covariates
    and the financial year of recording, without force) gives each case its expected
    probability p; a force's expected count is the sum of p over its cases (indirect
    standardisation). ``estimate`` is observed / expected, the indirectly standardised ratio:
    above 1 means more of the outcome than the national pattern predicts for cases like the
    force's, recorded in the same years. The cases are the headline's: those of the whole
    financial years followed ``within_days``, less transfers within the window
    (``cohorts.followed_cases``), so a force's observed count is its headline count within the
    window, never a count of some other cases (a file ending mid-year gave Dorset 3,260
    observed withdrawals beside its headline's 3,080: the difference, a part year's
    withdrawals, was printed nowhere). The interval is the exact (Garwood) Poisson interval
    of the observed count divided by the expected. ``expected_variance`` is the sum of
    p (1 - p), the variance of the observed count if the force were like the nation: a count
    of binary outcomes varies less than a Poisson count, which :func:`~.funnels.ratio_funnel`
    uses.

    What the ratio measures: everything about the force that the model does not hold equal.
    The model holds the recorded case mix (offence, relationship, victim, delay in reporting,
    flags) and, when the cases span more than one financial year, the year of recording (a
    national trend would otherwise favour forces whose volume grew). It does not hold, so the
    ratio includes: the force's own practice; its officers (each force has its own, so their
    average is a difference between forces); when the force joined Operation Soteria (a force
    that started earlier is above 1 while the programme raises charging); and anything a
    suspect or victim brings that is not recorded. Arrests, referrals and device requests
    happen during the investigation, after recording, so they are part of how a force gets its
    outcomes, never case mix. On synthetic data the generator's truth
    (``ground_truth().force_effects``: the force's cases with its own effects against the same
    cases with the effects of a force drawn by national volume) holds the force's officers and
    programme start fixed, so it equals this ratio's target only in a world without officer
    effects and without the programme (tested).

    Parameters
    ----------
    cases : DataFrame
        Canonical, validated cases for many forces.
    outcome : {"charged", "withdrawn", "evidential_difficulty", "no_suspect", "other"}
        The window outcome (columns of ``attrition.model_frame``).
    within_days : int
        Follow-up window.
    formula : str, optional
        Case-mix model (default: every case-level covariate, see ``attrition.default_formula``,
        plus ``C(financial_year)`` when the cases followed span more than one financial year,
        each with and without the outcome; otherwise ``attrs["notes"]`` says why not).
    extract_date : date-like, optional
        View the data as they stood on this date.
    level : float
        Confidence level of the intervals.
    grouped : bool, optional
        Fit the model on the distinct covariate patterns, each with its count of cases with
        and without the outcome (a grouped binomial model: the same likelihood, so the same
        coefficients and expected counts as the model of every case), instead of a design
        matrix with a row per case. Default: grouped for the default formula (every term is
        categorical or 0/1, so the patterns are few), case by case for a formula given.

    Returns
    -------
    DataFrame
        ``force, observed, expected, expected_variance, estimate, ci_low, ci_high, n,
        adjusted_rate`` where ``adjusted_rate`` is the national rate times ``estimate``;
        ``attrs`` hold ``national_rate``, ``formula``, ``converged`` and ``notes``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> from soteria_research.analysis.comparison import force_effects
    >>> cases = generate_cases(forces=["durham", "cumbria", "cleveland"], start="2021-04-01",
    ...                        scale=0.1, seed=1)
    >>> effects = force_effects(cases)
    >>> bool(abs(effects["observed"].sum() - effects["expected"].sum()) < 1e-6)
    True
    """
    import statsmodels.formula.api as smf

    if outcome not in WINDOW_OUTCOMES:
        raise ParameterError(f"outcome={outcome!r} is not a window outcome; use one of "
                             f"{', '.join(repr(o) for o in WINDOW_OUTCOMES)}.")
    frame = model_frame(cases, within_days=within_days, extract_date=extract_date)
    headline, _ = followed_cases(cases, days=within_days, extract_date=extract_date)
    frame = frame[headline.reindex(frame.index, fill_value=False).to_numpy(dtype=bool)]
    frame["force"] = cases.loc[frame.index, "force"]
    events = int(frame[outcome].sum())
    if events == 0 or events == len(frame):
        raise ModelError(f"Cannot adjust {outcome!r} for case mix: {events} of {len(frame)} cases "
                         "with full follow-up have it; the model needs both outcomes.")
    year_notes: list[str] = []
    if grouped is None:
        grouped = formula is None
    if formula is None:
        formula, year_notes = _case_mix_formula(outcome, frame)
    with warnings.catch_warnings(record=True) as caught:  # said in attrs, not scrolled past
        warnings.simplefilter("always")
        if grouped:
            expected_each, converged = _grouped_expected(frame, outcome, formula)
        else:
            fitted = smf.logit(formula, data=frame, missing="drop").fit(disp=0, maxiter=100)
            converged = bool(fitted.mle_retvals.get("converged", True))
            expected_each = pd.Series(np.asarray(fitted.predict(frame)), index=frame.index)
            del fitted  # its design matrix has a row per case
    notes = year_notes + [str(w.message) for w in caught
                          if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    if not converged:
        notes.append("The case-mix model did not converge (a covariate level may have no cases "
                     "with the outcome); expected counts may be unreliable.")
    used = expected_each.notna()
    p = expected_each[used]
    spread = float((p * (1 - p)).sum())
    if spread <= CERTAIN * float(p.sum()):
        # complete separation: the model gives every case its own outcome (a month of 22
        # cases against a dozen covariates), so each force's expected count is its observed
        # one by construction and no difference between forces could show
        raise ModelError(f"Cannot adjust {outcome!r} for case mix: the model predicts every "
                         f"one of the {int(used.sum())} cases' outcomes with certainty (too "
                         "few cases for its covariates), so expected counts equal the observed "
                         "ones by construction; use a longer period or fewer covariates.")
    force = frame.loc[used, "force"]
    by_force = frame.loc[used].groupby("force", observed=True)
    observed = by_force[outcome].sum().astype(np.int64)
    expected = p.groupby(force, observed=True).sum()
    variance = (p * (1 - p)).groupby(force, observed=True).sum()
    n = by_force.size()
    tail = (1 - level) / 2
    low = np.where(observed > 0, stats.chi2.ppf(tail, 2 * observed) / 2, 0.0)
    high = stats.chi2.ppf(1 - tail, 2 * (observed + 1)) / 2
    national_rate = float(frame.loc[used, outcome].mean())
    result = pd.DataFrame(
        {
            "force": observed.index,
            "observed": observed.to_numpy(),
            "expected": expected.to_numpy(),
            "expected_variance": variance.to_numpy(),
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


def _case_mix_formula(outcome: str, frame: pd.DataFrame) -> tuple[str, list[str]]:
    """Every case-level covariate, and the financial year of recording when there are several.

    Outcomes trend nationally (charging rose from 2019 to 2024) and forces' volumes grow at
    different rates, so without the year a growing force's recent cases would be judged
    against the older cases of the nation. A year in which no case (or every case) has the
    outcome cannot be estimated; the year is then left out and a note says so.
    """
    formula = default_formula(outcome, frame)
    by_year = frame.groupby("financial_year", observed=True)[outcome].agg(["sum", "size"])
    if len(by_year) < 2:
        return formula, []
    degenerate = by_year.index[by_year["sum"].eq(0) | by_year["sum"].eq(by_year["size"])]
    if len(degenerate):
        return formula, [f"The year of recording is not adjusted for: in {', '.join(map(str, degenerate))} "
                         f"no case, or every case, has {outcome!r} within the window."]
    return formula + " + C(financial_year)", []


def _formula_columns(formula: str) -> list[str]:
    """The columns of a formula of plain terms and ``C(column)`` terms joined by ``+``."""
    columns = []
    for term in formula.split("~", 1)[1].split("+"):
        term = term.strip()
        if term.startswith("C(") and term.endswith(")"):
            term = term[2:-1]
        if not term.isidentifier():
            raise ParameterError(f"grouped=True needs a formula of plain terms; {term!r} is not.")
        columns.append(term)
    return columns


def grouped_logit(frame: pd.DataFrame, outcome: str, formula: str):
    """The logistic model ``formula`` of the 0/1 column ``outcome``, fitted on the distinct
    covariate patterns of ``frame`` rather than case by case.

    Each pattern of the formula's columns comes in once with the outcome and once without,
    weighted by its number of cases (``statsmodels`` GLM, binomial family, ``freq_weights``):
    the same log-likelihood as the model of every case, so the same maximum-likelihood
    coefficients and standard errors, from a design matrix with a row per pattern instead of
    a row per case. Cases with a missing value in a column of the formula are left out, as
    ``missing="drop"`` leaves them out of the model of every case.

    Returns ``(fitted, ids, patterns)``: the GLM results, each case's pattern number (-1 when
    left out; a Series on ``frame``'s index) and the patterns (one row each, in pattern-number
    order, with the formula's columns).
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    columns = _formula_columns(formula)
    covariates = [c for c in columns if c != outcome]
    keys = frame[covariates]
    complete = keys.notna().all(axis=1).to_numpy() & frame[outcome].notna().to_numpy()
    ids = np.full(len(frame), -1, dtype=np.int64)
    ids[complete] = keys.loc[complete].groupby(covariates, observed=True, sort=False,
                                                dropna=False).ngroup().to_numpy()
    n_patterns = int(ids.max()) + 1 if complete.any() else 0
    first = np.unique(ids[complete], return_index=True)[1]
    patterns = keys.loc[complete].iloc[first].reset_index(drop=True)
    y = frame[outcome].to_numpy()[complete].astype(np.int64)
    events = np.bincount(ids[complete], weights=y, minlength=n_patterns)
    cases = np.bincount(ids[complete], minlength=n_patterns).astype(float)
    counts = pd.concat([patterns.assign(**{outcome: 1}), patterns.assign(**{outcome: 0})],
                       ignore_index=True)
    weights = np.concatenate([events, cases - events])
    keep = weights > 0  # a pattern with no case with (or without) the outcome adds nothing
    counts = counts.loc[keep].reset_index(drop=True)
    fitted = smf.glm(formula, data=counts, family=sm.families.Binomial(),
                     freq_weights=weights[keep]).fit(
        maxiter=100, tol=1e-10, tol_criterion="params")
    return fitted, pd.Series(ids, index=frame.index), patterns


def _grouped_expected(frame: pd.DataFrame, outcome: str,
                      formula: str) -> tuple[pd.Series, bool]:
    """Each case's expected probability (NaN when left out) from :func:`grouped_logit`, and
    whether the fit converged."""
    fitted, ids, patterns = grouped_logit(frame, outcome, formula)
    p = np.asarray(fitted.predict(patterns), dtype=float)
    each = np.full(len(frame), np.nan)
    inside = ids.to_numpy() >= 0
    each[inside] = p[ids.to_numpy()[inside]]
    return pd.Series(each, index=frame.index), bool(fitted.converged)
