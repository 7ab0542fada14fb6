"""Attrition: where cases are lost — stage funnel, outcome mix, cohort rates and outcome models.

Open cases are handled honestly: cohort rates and models use only cases with full follow-up.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from ..data.dictionary import load_dictionary
from ..errors import DataValidationError, ModelError, ParameterError
from .timeline import time_to_outcome

__all__ = [
    "STAGES",
    "OutcomeModelResults",
    "PredictiveBenchmark",
    "charge_model",
    "cohort_rates",
    "default_formula",
    "funnel",
    "model_frame",
    "outcome_mix",
    "predictive_benchmark",
    "stage_reached",
    "withdrawal_model",
]

#: The funnel stages, in order, with the plain label a report shows.
STAGES = {
    "recorded": "Crime recorded",
    "suspect_identified": "Suspect identified",
    "arrested_or_interviewed": "Suspect arrested or interviewed",
    "referred_to_cps": "File referred to the prosecution service",
    "charged": "Charged or summonsed",
    "convicted": "Convicted",
}

#: Fewer clusters than this and cluster-robust standard errors are not trustworthy.
MIN_CLUSTERS = 10

#: Reference levels of the default model: the largest or most neutral group of each.
REFERENCE_LEVELS = {
    "relationship": "acquaintance_friend",
    "offence_group": "rape",
    "victim_sex": "female",
    "victim_ethnicity": "white",
}
#: Numeric covariates the model frame offers (not in the default formula, which uses the flags).
NUMERIC_COVARIATES = (
    "victim_age_decades",
    "report_delay_years",
)
#: 0/1 covariates of the default formula. ``victim_under_18`` is missing when the age is;
#: ``non_recent`` means reported a year or more after the offence (DOMAIN.md section 1).
FLAG_COVARIATES = (
    "victim_under_18",
    "non_recent",
    "victim_mental_health",
    "victim_disability",
    "victim_substance_use",
    "domestic_abuse",
    "third_party_report",
    "device_requested",
)


# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------
def _by_columns(cases: pd.DataFrame, by: str | Sequence[str] | None) -> list[str]:
    columns = [] if by is None else [by] if isinstance(by, str) else list(by)
    missing = [c for c in columns if c not in cases.columns]
    if missing:
        raise ParameterError(
            f"by={by!r} names column(s) {missing} that the cases frame does not have. "
            f"Use any of its columns, such as 'force' or 'relationship'."
        )
    return columns


def _wilson(count: np.ndarray, nobs: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, ...]:
    """Proportion and Wilson interval, NaN where there is no denominator."""
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    has = nobs > 0
    safe_nobs = np.where(has, nobs, 1.0)
    count = np.where(has, count, 0.0)
    low, high = proportion_confint(count, safe_nobs, alpha=alpha, method="wilson")
    share = count / safe_nobs
    return tuple(np.where(has, values, np.nan) for values in (share, low, high))


def _group_frame(index: pd.Index, by: list[str]) -> pd.DataFrame:
    """The group columns of a group-by result, as a plain frame (empty when not grouped)."""
    if not by:
        return pd.DataFrame(index=range(len(index)))
    return index.to_frame(index=False, name=by) if isinstance(index, pd.MultiIndex) else (
        pd.DataFrame({by[0]: index.to_numpy()})
    )


def _extract_dates(cases: pd.DataFrame, extract_date: object) -> pd.Series:
    if extract_date is not None:
        return pd.Series(pd.Timestamp(extract_date).normalize(), index=cases.index)
    if "extract_date" not in cases.columns:
        raise DataValidationError(
            "The cases frame lacks the extract_date column. Pass the canonical frame returned "
            "by read_cases/validate_cases, or give extract_date=."
        )
    return cases["extract_date"]


def _check_window(within_days: object) -> int:
    if isinstance(within_days, bool) or not isinstance(within_days, (int, np.integer)) or (
        within_days <= 0
    ):
        raise ParameterError(
            f"within_days={within_days!r} must be a positive whole number of days, such as 365."
        )
    return int(within_days)


# --------------------------------------------------------------------------------------------
# Funnel
# --------------------------------------------------------------------------------------------
def _stages_reached(cases: pd.DataFrame) -> pd.DataFrame:
    own = np.column_stack(
        [
            np.ones(len(cases), dtype=bool),
            cases["suspect_identified_date"].notna().to_numpy(),
            (cases["arrest_date"].notna() | cases["interview_date"].notna()).to_numpy(),
            cases["file_to_cps_date"].notna().to_numpy(),
            (cases["charge_date"].notna() | cases["outcome_group"].eq("charge")).to_numpy(),
            cases["court_outcome"].eq("convicted").to_numpy(),
        ]
    )
    # A later stage implies the earlier ones even when an earlier date was never keyed in.
    reached = np.logical_or.accumulate(own[:, ::-1], axis=1)[:, ::-1]
    return pd.DataFrame(reached, index=cases.index, columns=list(STAGES))


def stage_reached(cases: pd.DataFrame) -> pd.Series:
    """The furthest funnel stage each case has reached, as an ordered categorical.

    Uses the same cumulative rule as :func:`funnel`. For a closed case it is the stage at
    which the case ended (for a withdrawal, the stage it had reached when the victim withdrew).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> charged = stage_reached(cases) >= "charged"
    >>> bool(charged.sum() == cases["charge_date"].notna().sum())
    True
    """
    reached = _stages_reached(cases)
    furthest = reached.sum(axis=1).to_numpy() - 1
    return pd.Series(
        pd.Categorical.from_codes(furthest, categories=list(STAGES), ordered=True),
        index=cases.index,
        name="stage_reached",
    )


def funnel(cases: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Count the cases reaching each investigation stage, with conversion between stages.

    Stages, in order: recorded, suspect identified, suspect arrested or interviewed, file
    referred to the prosecution service, charged (a charge date or a charge outcome, 1/1A),
    convicted (court outcome ``convicted``). Stages are cumulative: a case that reached a stage
    counts as having reached every earlier one, even when an earlier date is missing (say, a
    charge with no file-to-CPS date keyed in). So counts never rise from one stage to the next.
    Cases still open are counted at the stage they have reached by the extract date; the funnel
    is a snapshot, so recent cases look less advanced than they will be.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    by : str or list of str, optional
        Column(s) to break the funnel down by, such as ``"force"`` or ``"relationship"``.
        Missing values form their own group.

    Returns
    -------
    DataFrame
        One row per group and stage: the ``by`` columns, ``stage``, ``n`` (cases reaching it),
        ``share_of_recorded``, ``conversion`` (share of the previous stage's cases that reached
        this one), ``ci_low``/``ci_high`` (Wilson 95% interval of the conversion) and
        ``n_previous`` (the previous stage's count). The recorded stage has no previous stage:
        its conversion, interval and ``n_previous`` are missing.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> table = funnel(cases, by="relationship")
    >>> bool(table.groupby("relationship")["n"].is_monotonic_decreasing.all())
    True
    """
    by = _by_columns(cases, by)
    reached = _stages_reached(cases)
    if by:
        counts = reached.groupby([cases[c] for c in by], dropna=False, observed=True).sum()
    else:
        counts = reached.sum().to_frame().T
    n = counts.to_numpy(dtype=np.int64)
    n_groups, n_stages = n.shape
    previous = np.column_stack([np.zeros(n_groups), n[:, :-1]]).astype(float)
    conversion, ci_low, ci_high = _wilson(n, previous)
    share_of_recorded = _wilson(n, n[:, [0]] * np.ones((1, n_stages)))[0]

    groups = _group_frame(counts.index, by)
    frame = groups.loc[groups.index.repeat(n_stages)].reset_index(drop=True)
    frame["stage"] = np.tile(list(STAGES), n_groups)
    frame["n"] = n.ravel()
    frame["share_of_recorded"] = share_of_recorded.ravel()
    frame["conversion"] = conversion.ravel()
    frame["ci_low"] = ci_low.ravel()
    frame["ci_high"] = ci_high.ravel()
    n_previous = pd.array(previous.ravel().astype(np.int64), dtype="Int64")
    n_previous[frame["stage"].eq("recorded").to_numpy()] = pd.NA
    frame["n_previous"] = n_previous
    return frame


# --------------------------------------------------------------------------------------------
# Outcome mix
# --------------------------------------------------------------------------------------------
def outcome_mix(
    cases: pd.DataFrame, *, by: str | Sequence[str] | None = None, level: str = "code"
) -> pd.DataFrame:
    """Counts and shares of cases by outcome code (or outcome group), open cases included.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    by : str or list of str, optional
        Column(s) to break the mix down by; shares are within each group.
    level : {"code", "group"}
        ``"code"``: one row per Home Office outcome code present, with its analytic group
        (open cases are one row, group ``open`` with an empty code). ``"group"``: one row per
        analytic outcome group, every group listed (zero counts included) so groups line up
        across forces.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``outcome_group``, (``outcome_code``, when ``level="code"``),
        ``label``, ``n``, ``share`` (of all cases in the group, open ones included),
        ``ci_low``/``ci_high`` (Wilson 95%) and ``n_total``, ordered as the dictionary's code
        lists.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> mix = outcome_mix(cases, level="group")
    >>> bool(mix["n"].sum() == len(cases)), mix["outcome_group"].iloc[-1]
    (True, 'open')
    """
    if level not in ("code", "group"):
        raise ParameterError(f"level={level!r} must be 'code' or 'group'.")
    by = _by_columns(cases, by)
    dictionary = load_dictionary()
    groups = dictionary.codelists["outcome_groups"]
    groups = groups[groups["competing_risk"].notna()]
    group_order = groups["code"].tolist()
    keys = [cases[c] for c in by]
    if level == "group":
        counts = cases.groupby([*keys, cases["outcome_group"]], dropna=False, observed=True).size()
        if by:
            by_groups = counts.index.droplevel(-1).unique()
            full = pd.MultiIndex.from_tuples(
                [(*(g if isinstance(g, tuple) else (g,)), o) for g in by_groups for o in group_order],
                names=[*by, "outcome_group"],
            )
        else:
            full = pd.Index(group_order, name="outcome_group")
        counts = counts.reindex(full, fill_value=0)
        frame = counts.rename("n").reset_index()
        frame["label"] = frame["outcome_group"].map(groups.set_index("code")["label"])
        order = frame["outcome_group"].map({g: i for i, g in enumerate(group_order)})
    else:
        code = cases["outcome_code"].astype(object)
        counts = cases.groupby(
            [*keys, cases["outcome_group"], code], dropna=False, observed=True
        ).size()
        frame = counts.rename("n").reset_index()
        codes = dictionary.outcome_codes
        labels = codes.set_index("code")["label"]
        frame["label"] = frame["outcome_code"].map(labels).where(
            frame["outcome_code"].notna(), "Open at the extract date"
        )
        # Open cases sort last, after every outcome code.
        order = frame["outcome_code"].map({c: i for i, c in enumerate(codes["code"])}).fillna(
            len(codes)
        )
    frame = frame.assign(_order=order.to_numpy()).sort_values([*by, "_order"], kind="stable")
    frame = frame.drop(columns="_order").reset_index(drop=True)
    frame["n_total"] = (
        frame.groupby(by, dropna=False, observed=True)["n"].transform("sum")
        if by
        else frame["n"].sum()
    ).astype(np.int64)
    frame["share"], frame["ci_low"], frame["ci_high"] = _wilson(frame["n"], frame["n_total"])
    id_columns = [*by, "outcome_group", *(["outcome_code"] if level == "code" else []), "label"]
    return frame[[*id_columns, "n", "share", "ci_low", "ci_high", "n_total"]]


# --------------------------------------------------------------------------------------------
# Cohort rates
# --------------------------------------------------------------------------------------------
def _window_outcome(tte: pd.DataFrame, within_days: int) -> pd.Series:
    """The outcome each case had within the window: a competing risk, transferred, or open."""
    within = tte["days"].le(within_days)
    outcome = pd.Series("open", index=tte.index, dtype=object)
    outcome = outcome.mask(within & tte["event"].gt(0), tte["outcome"])
    return outcome.mask(within & tte["outcome_group"].eq("transferred"), "transferred")


def cohort_rates(
    cases: pd.DataFrame,
    *,
    within_days: int = 365,
    freq: str = "Q",
    by: str | Sequence[str] | None = None,
    extract_date: object = None,
) -> pd.DataFrame:
    """Share of each recording cohort with each outcome within a fixed window of recording.

    Unlike a same-period rate (outcomes in a period over crimes recorded in it), every case
    in a cohort has had the same time to reach an outcome, so recent cohorts are not made to
    look worse by cases that are simply still open. A cohort (the crimes recorded in one
    period) is kept only when its last day plus ``within_days`` is on or before the extract
    date; the cohorts left out are listed in ``frame.attrs["excluded_cohorts"]`` and
    explained in ``frame.attrs["note"]``.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    within_days : int
        The window after the recorded date in which an outcome counts.
    freq : str
        Cohort length as a pandas period alias: ``"Q"`` quarters, ``"M"`` months, ``"Y"``
        years.
    by : str or list of str, optional
        Column(s) to break the rates down by.
    extract_date : date-like, optional
        View the data as they stood on this date (see ``timeline.time_to_outcome``).

    Returns
    -------
    DataFrame
        One row per group, cohort and outcome: the ``by`` columns, ``cohort`` (period label
        such as ``"2022Q1"``), ``cohort_start``, ``cohort_end``, ``outcome`` (charge,
        victim_withdrawal, evidential_difficulty, no_suspect, other, transferred, or open when
        no outcome came within the window), ``n``, ``n_cohort``, ``estimate`` (``n /
        n_cohort``) and its Wilson 95% ``ci_low``/``ci_high``. ``attrs`` holds
        ``excluded_cohorts``, ``within_days``, ``extract_date`` and ``note``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> rates = cohort_rates(cases, within_days=365)
    >>> rates.attrs["excluded_cohorts"]
    ['2023Q2', '2023Q3', '2023Q4', '2024Q1']
    """
    within_days = _check_window(within_days)
    by = _by_columns(cases, by)
    try:
        cohort = cases["recorded_date"].dt.to_period(freq)
    except (ValueError, TypeError) as exc:
        raise ParameterError(
            f"freq={freq!r} is not a period length pandas knows. Use 'Q', 'M' or 'Y'."
        ) from exc
    tte = time_to_outcome(cases, extract_date=extract_date)
    extract = _extract_dates(cases, extract_date)
    outcome = _window_outcome(tte, within_days)

    cohort_end = cohort.dt.end_time.dt.normalize()
    last_extract = extract.groupby(cohort).transform("min")
    complete = (cohort_end + pd.Timedelta(days=within_days)).le(last_extract)
    excluded = sorted(str(p) for p in cohort[~complete].unique())

    categories = [*load_dictionary().competing_risks, "transferred", "open"]
    keys = [cases.loc[complete, c] for c in by] + [cohort[complete].rename("cohort")]
    counts = (
        outcome[complete].rename("outcome")
        .groupby(keys, dropna=False, observed=True).value_counts()
        .unstack("outcome", fill_value=0)
        .reindex(columns=categories, fill_value=0)
    )
    counts.columns.name = "outcome"
    n_cohort = counts.sum(axis=1).to_numpy()
    long = counts.stack().rename("n").reset_index()
    long["n_cohort"] = np.repeat(n_cohort, len(categories))
    periods = pd.PeriodIndex(long["cohort"], freq=cohort.dt.freq)
    long["cohort_start"] = periods.start_time
    long["cohort_end"] = periods.end_time.normalize()
    long["cohort"] = long["cohort"].astype(str)
    long["n"] = long["n"].astype(np.int64)
    long["n_cohort"] = long["n_cohort"].astype(np.int64)
    long["estimate"], long["ci_low"], long["ci_high"] = _wilson(long["n"], long["n_cohort"])
    frame = long[[*by, "cohort", "cohort_start", "cohort_end", "outcome", "n", "n_cohort",
                  "estimate", "ci_low", "ci_high"]]
    frame.attrs.update(
        {
            "within_days": within_days,
            "extract_date": str(extract.min().date()) if len(extract) else None,
            "excluded_cohorts": excluded,
            "note": (
                f"Cohorts left out because they have had less than {within_days} days of "
                f"follow-up by the extract date: {', '.join(excluded)}."
                if excluded
                else "Every cohort has full follow-up."
            ),
        }
    )
    return frame


# --------------------------------------------------------------------------------------------
# Outcome models
# --------------------------------------------------------------------------------------------
def model_frame(
    cases: pd.DataFrame, *, within_days: int = 365, extract_date: object = None
) -> pd.DataFrame:
    """Cases with full follow-up, their window outcomes and model-ready covariates.

    Keeps cases recorded at least ``within_days`` before the extract date, minus those
    transferred to another body within the window (their outcome is unknown). Adds 0/1
    columns ``charged``, ``withdrawn`` (victim withdrawal), ``evidential_difficulty``,
    ``no_suspect`` and ``other``, each meaning "this outcome within the window";
    ``victim_age_decades``; ``report_delay_years``; the flags of :data:`FLAG_COVARIATES` as
    0/1 (``victim_under_18`` is a float, missing when the age is); and the categorical
    covariates as pandas categoricals whose first level is the reference
    (:data:`REFERENCE_LEVELS`). ``attrs["n_transferred"]`` and ``attrs["n_short_follow_up"]``
    count the cases left out.
    """
    within_days = _check_window(within_days)
    tte = time_to_outcome(cases, extract_date=extract_date)
    extract = _extract_dates(cases, extract_date)
    followed = (extract - cases["recorded_date"]).dt.days.ge(within_days)
    outcome = _window_outcome(tte, within_days)
    transferred = outcome.eq("transferred")
    keep = followed & ~transferred
    frame = tte.loc[keep].copy()
    outcome = outcome[keep]
    for column, risk in [("charged", "charge"), ("withdrawn", "victim_withdrawal"),
                         ("evidential_difficulty", "evidential_difficulty"),
                         ("no_suspect", "no_suspect"), ("other", "other")]:
        frame[column] = outcome.eq(risk).astype(np.int64)
    frame["victim_age_decades"] = frame["victim_age"].astype("Float64").astype(float) / 10
    frame["report_delay_years"] = frame["report_delay_days"] / 365.25
    frame["victim_under_18"] = (frame["victim_age_decades"] < 1.8).astype(float).where(
        frame["victim_age_decades"].notna())
    frame["non_recent"] = frame["report_delay_days"].ge(365)
    for column in FLAG_COVARIATES:
        if column != "victim_under_18":
            frame[column] = frame[column].astype(np.int64)
    for column, reference in REFERENCE_LEVELS.items():
        present = pd.unique(frame[column].dropna())
        levels = [reference] * (reference in present) + sorted(v for v in present if v != reference)
        frame[column] = pd.Categorical(frame[column], categories=levels)
    frame.attrs.update(
        {
            "within_days": within_days,
            "n_short_follow_up": int((~followed).sum()),
            "n_transferred": int((followed & transferred).sum()),
        }
    )
    return frame


def default_formula(outcome: str = "charged", frame: pd.DataFrame | None = None) -> str:
    """The default model formula: every case-level covariate of the dictionary.

    Categorical covariates whose reference level is the only one present in ``frame`` (say,
    a single force with no male victims) are left out, since they cannot be estimated.

    Examples
    --------
    >>> default_formula("withdrawn").split(" ~ ")[0]
    'withdrawn'
    """
    terms = [
        column
        for column in REFERENCE_LEVELS
        if frame is None or frame[column].dropna().nunique() > 1
    ]
    terms += [
        column
        for column in FLAG_COVARIATES
        if frame is None or frame[column].dropna().nunique() > 1
    ]
    return f"{outcome} ~ " + " + ".join(terms)


class OutcomeModelResults:
    """A fitted logistic model of an outcome within a window, with statsmodels' names.

    Attributes
    ----------
    result_ : statsmodels LogitResults
        The underlying statsmodels fit (everything statsmodels offers is there).
    formula, outcome : str
        The model formula and the 0/1 column it models.
    within_days : int
        The follow-up window.
    cov_type : str
        ``"cluster"`` (cluster-robust by ``cluster``) or ``"HC1"`` (heteroskedasticity-robust)
        when there were too few clusters; see ``notes``.
    n_clusters : int
        Distinct values of the cluster column among the rows used.
    nobs, n_events : int
        Rows used and cases with the outcome among them.
    notes : list of str
        What was left out, fallbacks taken and fitting warnings, in plain words.
    """

    def __init__(self, result, *, formula: str, outcome: str, within_days: int,
                 cluster: str | None, cov_type: str, n_clusters: int, notes: list[str]):
        self.result_ = result
        self.formula = formula
        self.outcome = outcome
        self.within_days = within_days
        self.cluster = cluster
        self.cov_type = cov_type
        self.n_clusters = n_clusters
        self.nobs = int(result.nobs)
        self.n_events = int(np.asarray(result.model.endog).sum())
        self.notes = notes

    @property
    def params(self) -> pd.Series:
        """Log odds ratios (and the intercept), by term."""
        return self.result_.params

    @property
    def bse(self) -> pd.Series:
        """Standard errors of ``params`` (cluster-robust unless ``cov_type`` says otherwise)."""
        return self.result_.bse

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided Wald p-values of ``params``."""
        return self.result_.pvalues

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald confidence intervals of ``params`` (log-odds scale), columns 0 and 1."""
        return self.result_.conf_int(alpha)

    def summary(self):
        """statsmodels' summary table, with this fit's notes appended."""
        summary = self.result_.summary()
        if self.notes:
            summary.add_extra_txt(self.notes)
        return summary

    def odds_ratios(self, alpha: float = 0.05) -> pd.DataFrame:
        """Tidy odds ratios, one row per term (the intercept left out).

        Columns ``term, estimate, ci_low, ci_high, p, n``; ``n`` is the rows used.
        """
        ci = self.conf_int(alpha)
        terms = [t for t in self.params.index if t != "Intercept"]
        return pd.DataFrame(
            {
                "term": terms,
                "estimate": np.exp(self.params[terms].to_numpy()),
                "ci_low": np.exp(ci.loc[terms, 0].to_numpy()),
                "ci_high": np.exp(ci.loc[terms, 1].to_numpy()),
                "p": self.pvalues[terms].to_numpy(),
                "n": self.nobs,
            }
        )

    def __repr__(self) -> str:
        return (f"<OutcomeModelResults: {self.outcome} within {self.within_days} days, "
                f"n={self.nobs}, events={self.n_events}, se={self.cov_type}>")


def _fit_outcome_model(cases: pd.DataFrame, outcome: str, formula: str | None, *,
                       within_days: int, cluster: str | None,
                       extract_date: object = None) -> OutcomeModelResults:
    import statsmodels.formula.api as smf

    frame = model_frame(cases, within_days=within_days, extract_date=extract_date)
    notes = []
    if frame.attrs["n_short_follow_up"]:
        notes.append(f"{frame.attrs['n_short_follow_up']} cases recorded less than "
                     f"{within_days} days before the extract date left out (no full follow-up).")
    if frame.attrs["n_transferred"]:
        notes.append(f"{frame.attrs['n_transferred']} cases transferred to another body within "
                     "the window left out (outcome unknown).")
    if cluster is not None and cluster not in frame.columns:
        if cluster not in cases.columns:
            raise ParameterError(f"cluster={cluster!r} is not a column of the cases frame. "
                                 "Use 'force' (the default), another column, or None.")
        frame[cluster] = cases.loc[frame.index, cluster]
    events = int(frame[outcome].sum()) if len(frame) else 0
    if events == 0 or events == len(frame):
        raise ModelError(
            f"Cannot model {outcome!r} within {within_days} days: {len(frame)} cases have full "
            f"follow-up and {events} of them have the outcome. A model needs both outcomes; "
            "use more data, an earlier cohort or a shorter within_days."
        )
    formula = formula or default_formula(outcome, frame)
    try:
        model = smf.logit(formula, data=frame, missing="drop")
    except Exception as exc:  # patsy/formulaic raise many types for a bad formula
        raise ModelError(
            f"The formula {formula!r} cannot be used: {exc}. Name columns of the model frame "
            "(see attrition.model_frame), such as 'charged ~ relationship + victim_age_decades'."
        ) from exc
    rows = model.data.row_labels
    if len(rows) < len(frame):
        notes.append(f"{len(frame) - len(rows)} cases with a missing covariate left out.")
    n_clusters = int(frame.loc[rows, cluster].nunique()) if cluster else 0
    if cluster and n_clusters >= MIN_CLUSTERS:
        cov_type = "cluster"
        cov_kwds = {"groups": pd.factorize(frame.loc[rows, cluster])[0]}
    else:
        cov_type, cov_kwds = "HC1", {}
        notes.append(
            f"Only {n_clusters} distinct value(s) of {cluster!r}: cluster-robust standard errors "
            f"need about {MIN_CLUSTERS} or more, so heteroskedasticity-robust (HC1) ones are "
            "used; they ignore correlation within clusters."
            if cluster
            else "No cluster column: heteroskedasticity-robust (HC1) standard errors."
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = model.fit(disp=0, maxiter=100, cov_type=cov_type, cov_kwds=cov_kwds)
        except np.linalg.LinAlgError as exc:
            raise ModelError(
                f"The model {formula!r} cannot be fitted: its covariates are collinear or a "
                "level has no cases. Drop or merge the offending terms."
            ) from exc
    notes += [f"statsmodels warned: {w.message}" for w in caught
              if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    if not result.mle_retvals.get("converged", True):
        notes.append("The fit did not converge; estimates may be unreliable.")
    return OutcomeModelResults(result, formula=formula, outcome=outcome, within_days=within_days,
                               cluster=cluster, cov_type=cov_type, n_clusters=n_clusters,
                               notes=notes)


def charge_model(
    cases: pd.DataFrame,
    formula: str | None = None,
    *,
    within_days: int = 365,
    cluster: str | None = "force",
    extract_date: object = None,
) -> OutcomeModelResults:
    """Logistic regression of charge within ``within_days`` of recording.

    Only cases with full follow-up are used (recorded at least ``within_days`` before the
    extract date), so still-open recent cases do not count as failures; cases transferred
    within the window are left out. Standard errors are cluster-robust by ``cluster`` (force);
    with fewer than about 10 clusters (a single force) they fall back to HC1 and ``notes``
    says so.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    formula : str, optional
        A statsmodels (patsy) formula over the columns of :func:`model_frame`, for example
        ``"charged ~ relationship + offence_group + report_delay_years"``. Defaults to
        :func:`default_formula` (every case-level covariate; reference levels in
        :data:`REFERENCE_LEVELS`).
    within_days : int
        The window after the recorded date.
    cluster : str or None
        Column whose values form the clusters; None for HC1 standard errors.
    extract_date : date-like, optional
        View the data as they stood on this date.

    Returns
    -------
    OutcomeModelResults
        ``params``, ``bse``, ``conf_int()``, ``summary()``, ``odds_ratios()``, ``notes``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(scale=0.02, seed=1)  # all 43 forces, about 19,000 cases
    >>> fit = charge_model(cases)
    >>> fit.cov_type, fit.n_clusters
    ('cluster', 43)
    >>> fit.odds_ratios().columns.tolist()
    ['term', 'estimate', 'ci_low', 'ci_high', 'p', 'n']
    """
    return _fit_outcome_model(cases, "charged", formula, within_days=within_days,
                              cluster=cluster, extract_date=extract_date)


def withdrawal_model(
    cases: pd.DataFrame,
    formula: str | None = None,
    *,
    within_days: int = 365,
    cluster: str | None = "force",
    extract_date: object = None,
) -> OutcomeModelResults:
    """Logistic regression of victim withdrawal (outcomes 14 and 16) within the window.

    Same design as :func:`charge_model`; the modelled column is ``withdrawn``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(scale=0.02, seed=1)  # all 43 forces, about 19,000 cases
    >>> fit = withdrawal_model(cases, "withdrawn ~ relationship + third_party_report")
    >>> bool(fit.odds_ratios().set_index("term").loc["third_party_report", "estimate"] > 1)
    True
    """
    return _fit_outcome_model(cases, "withdrawn", formula, within_days=within_days,
                              cluster=cluster, extract_date=extract_date)


# --------------------------------------------------------------------------------------------
# Predictive benchmark
# --------------------------------------------------------------------------------------------
@dataclass
class PredictiveBenchmark:
    """Cross-validated comparison of the logistic model with gradient boosting.

    Attributes
    ----------
    metrics : DataFrame
        ``model, metric, estimate, fold_sd, ci_low, ci_high, n``: out-of-fold AUC and Brier
        score; the interval is the normal approximation over folds.
    calibration : DataFrame
        ``model, bin, mean_predicted, observed, ci_low, ci_high, n``: out-of-fold predictions
        in (up to) ten equal-size bins, with the observed share and its Wilson interval.
    importance : DataFrame
        ``model, feature, estimate, sd``: permutation importance (drop in AUC when a feature
        is shuffled), averaged over folds.
    outcome : str
    n, n_events : int
    notes : list of str
    """

    metrics: pd.DataFrame
    calibration: pd.DataFrame
    importance: pd.DataFrame
    outcome: str
    n: int
    n_events: int
    notes: list[str] = field(default_factory=list)


_OUTCOME_COLUMNS = {"charge": "charged", "charged": "charged",
                    "victim_withdrawal": "withdrawn", "withdrawal": "withdrawn",
                    "withdrawn": "withdrawn"}


def predictive_benchmark(
    cases: pd.DataFrame,
    *,
    outcome: str = "charge",
    within_days: int = 365,
    seed: int = 0,
    n_splits: int = 5,
    n_repeats: int = 5,
    importance_rows: int = 20_000,
    n_threads: int | None = None,
) -> PredictiveBenchmark:
    """Research check: how much does a flexible model predict that the logistic model misses?

    This is a research check on the interpretable model, **never a tool to score individual
    cases**: a prediction about one victim's case must not steer how it is investigated, and
    nothing here is validated for that. Both models see the same covariates (those of
    :func:`default_formula`, plus victim age and report delay as numbers, where non-linear
    effects would hide) among cases with full follow-up (:func:`model_frame`): a
    logistic regression (one-hot categories, standardised numbers, median-imputed ages) and a
    scikit-learn ``HistGradientBoostingClassifier`` (native categories and missing values).
    Stratified ``n_splits``-fold cross-validation gives out-of-fold AUC, Brier score and a
    calibration table; permutation importance (AUC drop, ``n_repeats`` shuffles) is measured
    on each held-out fold (at most ``importance_rows`` of its rows) and averaged. A large AUC
    gap says the logistic model misses interactions or non-linearity worth modelling.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    outcome : {"charge", "victim_withdrawal"}
        The outcome within the window.
    within_days : int
        The follow-up window.
    seed : int
        Seeds the folds, the boosting and the permutations; same seed, same numbers.
    n_splits, n_repeats, importance_rows : int
        Folds; shuffles per feature; held-out rows per fold used for importance.
    n_threads : int, optional
        Cap on OpenMP/BLAS threads inside the models (None: the libraries' default). On a
        busy shared machine, 1 can be several times faster than oversubscribed threads.

    Returns
    -------
    PredictiveBenchmark
        ``metrics``, ``calibration`` and ``importance`` frames.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.5, seed=1)
    >>> check = predictive_benchmark(cases, outcome="victim_withdrawal", n_splits=3,
    ...                              n_repeats=1, importance_rows=500, n_threads=1)
    >>> check.metrics["metric"].unique().tolist()
    ['auc', 'brier']
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.inspection import permutation_importance
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
    from threadpoolctl import threadpool_limits

    if outcome not in _OUTCOME_COLUMNS:
        raise ParameterError(f"outcome={outcome!r} must be 'charge' or 'victim_withdrawal'.")
    target = _OUTCOME_COLUMNS[outcome]
    frame = model_frame(cases, within_days=within_days)
    y = frame[target].to_numpy()
    n_events = int(y.sum())
    if min(n_events, len(y) - n_events) < n_splits:
        raise ModelError(
            f"Too few cases to cross-validate {outcome!r}: {n_events} of {len(y)} cases with full "
            f"follow-up have it. Each of the {n_splits} folds needs both outcomes."
        )
    categorical = [c for c in REFERENCE_LEVELS if frame[c].dropna().nunique() > 1]
    numeric = [c for c in (*FLAG_COVARIATES, *NUMERIC_COVARIATES)
               if frame[c].dropna().nunique() > 1]
    features = frame[categorical + numeric].copy()
    for column in categorical:
        features[column] = features[column].astype(object)

    logistic = make_pipeline(
        ColumnTransformer([
            ("categories", OneHotEncoder(handle_unknown="ignore", drop="first"), categorical),
            ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
             numeric),
        ]),
        LogisticRegression(max_iter=1000),
    )
    boosting = make_pipeline(
        ColumnTransformer(
            [("categories", OrdinalEncoder(handle_unknown="use_encoded_value",
                                           unknown_value=np.nan, encoded_missing_value=np.nan),
              categorical),
             ("numbers", "passthrough", numeric)],
        ),
        HistGradientBoostingClassifier(
            categorical_features=list(range(len(categorical))), random_state=seed
        ),
    )
    models = {"logistic": logistic, "gradient_boosting": boosting}
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    predicted = {name: np.empty(len(y)) for name in models}
    fold_scores, importances = [], []
    rng = np.random.default_rng(seed)
    with threadpool_limits(limits=n_threads):
        for fold, (train, test) in enumerate(folds.split(features, y)):
            shown = test if len(test) <= importance_rows else rng.choice(
                test, importance_rows, replace=False)
            for name, model in models.items():
                model.fit(features.iloc[train], y[train])
                p = model.predict_proba(features.iloc[test])[:, 1]
                predicted[name][test] = p
                fold_scores += [(name, "auc", fold, roc_auc_score(y[test], p)),
                                (name, "brier", fold, brier_score_loss(y[test], p))]
                result = permutation_importance(
                    model, features.iloc[shown], y[shown], scoring="roc_auc",
                    n_repeats=n_repeats, random_state=seed + fold)
                importances.append(pd.DataFrame({"model": name, "feature": features.columns,
                                                 "fold": fold,
                                                 "importance": result.importances_mean}))
    scores = pd.DataFrame(fold_scores, columns=["model", "metric", "fold", "value"])
    metric_rows = []
    for name in models:
        for metric, pooled in [("auc", roc_auc_score(y, predicted[name])),
                               ("brier", brier_score_loss(y, predicted[name]))]:
            values = scores.loc[scores["model"].eq(name) & scores["metric"].eq(metric), "value"]
            half = 1.96 * values.std(ddof=1) / np.sqrt(len(values))
            metric_rows.append((name, metric, pooled, values.std(ddof=1), pooled - half,
                                pooled + half, len(y)))
    metrics = pd.DataFrame(metric_rows, columns=["model", "metric", "estimate", "fold_sd",
                                                 "ci_low", "ci_high", "n"])
    calibration = pd.concat(
        [_calibration_table(name, p, y) for name, p in predicted.items()], ignore_index=True)
    importance = (pd.concat(importances).groupby(["model", "feature"], sort=False)["importance"]
                  .agg(estimate="mean", sd="std").reset_index()
                  .sort_values(["model", "estimate"], ascending=[True, False], kind="stable")
                  .reset_index(drop=True))
    notes = [f"{frame.attrs['n_short_follow_up']} cases without {within_days} days of "
             "follow-up left out.",
             "A research check on the logistic model; never a tool to score individual cases."]
    return PredictiveBenchmark(metrics=metrics, calibration=calibration, importance=importance,
                               outcome=outcome, n=len(y), n_events=n_events, notes=notes)


def _calibration_table(name: str, predicted: np.ndarray, observed: np.ndarray,
                       bins: int = 10) -> pd.DataFrame:
    ranks = pd.Series(predicted).rank(method="first")
    bin_of = pd.qcut(ranks, q=min(bins, len(predicted)), labels=False)
    table = pd.DataFrame({"bin": bin_of, "p": predicted, "y": observed}).groupby("bin").agg(
        mean_predicted=("p", "mean"), events=("y", "sum"), n=("y", "size")).reset_index()
    table["observed"], table["ci_low"], table["ci_high"] = _wilson(table["events"], table["n"])
    table.insert(0, "model", name)
    table["bin"] = table["bin"].astype(np.int64) + 1
    return table[["model", "bin", "mean_predicted", "observed", "ci_low", "ci_high", "n"]]
