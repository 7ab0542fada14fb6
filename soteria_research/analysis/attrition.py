"""Attrition: where cases are lost — stage funnel and conversion, outcome mix, cohort rates and
outcome models.

Open cases are handled honestly: rates, conversions and models use cohorts with full follow-up
(or cumulative incidence); the funnel is a snapshot at the extract date and says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from ..data.dictionary import load_dictionary
from ..errors import DataValidationError, ModelError, ParameterError
from .covariates import REFERENCE_LEVELS as _PROJECT_REFERENCE_LEVELS
from .covariates import term_references, with_reference_levels
from .model_results import _check_level
from .outcomes import check_outcome, competing_risks
from .timeline import financial_year, financial_year_bounds, time_to_outcome

__all__ = [
    "STAGES",
    "OutcomeModelResults",
    "charge_model",
    "cohort_rates",
    "default_formula",
    "design_effects",
    "rest_design_effects",
    "funnel",
    "model_frame",
    "outcome_mix",
    "outcome_model",
    "stage_conversion",
    "stage_dates",
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

#: Categorical covariates of the model frame, each with its reference level (the project's one
#: list, ``covariates.REFERENCE_LEVELS``).
CATEGORICAL_COVARIATES = ("relationship", "offence_group", "victim_sex", "victim_ethnicity")
REFERENCE_LEVELS = {c: _PROJECT_REFERENCE_LEVELS[c] for c in CATEGORICAL_COVARIATES}
#: Numeric covariates the model frame offers (not in the default formula, which uses the flags).
NUMERIC_COVARIATES = (
    "victim_age_decades",
    "report_delay_years",
)
#: 0/1 covariates of the default formula, all known when the crime is recorded.
#: ``victim_under_18`` is missing when the age is; ``non_recent`` means reported a year or more
#: after the offence (docs/domain.md section 1). Nothing dated after recording (a device
#: request, an arrest) is here: a model of the outcome from recording cannot use it.
FLAG_COVARIATES = (
    "victim_under_18",
    "non_recent",
    "victim_mental_health",
    "victim_disability",
    "victim_substance_use",
    "domestic_abuse",
    "third_party_report",
)
#: Window-outcome columns of the model frame under older names, kept while callers move to
#: the registry's names (``charge``, ``victim_withdrawal``).
_OUTCOME_ALIASES = {"charged": "charge", "withdrawn": "victim_withdrawal"}


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


def _wilson(count: np.ndarray, nobs: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, ...]:
    """Proportion and Wilson interval, NaN where there is no denominator."""
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    has = nobs > 0
    safe_nobs = np.where(has, nobs, 1.0)
    count = np.where(has, count, 0.0)
    low, high = proportion_confint(count, safe_nobs, alpha=1 - _check_level(level),
                                   method="wilson")
    share = count / safe_nobs
    return tuple(np.where(has, values, np.nan) for values in (share, low, high))


def _cluster_codes(cluster: pd.Series) -> np.ndarray:
    """Integer cluster per case; a case with no cluster recorded is a cluster of its own."""
    codes, _ = pd.factorize(cluster.to_numpy())
    alone = codes < 0
    codes = codes.astype(np.int64)
    codes[alone] = codes.max(initial=-1) + 1 + np.arange(int(alone.sum()))
    return codes


def _stratum_sandwich(y: np.ndarray, codes: np.ndarray, stratum: np.ndarray,
                      p_stratum: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per stratum ``G / (G - 1) * sum_c (sum_{i in c} (y_i - p))**2`` over its ``G`` clusters
    (0 with fewer than two), and ``G``: the terms of the cluster-robust variance."""
    width = int(codes.max(initial=0)) + 1
    pair, inverse = np.unique(stratum * width + codes, return_inverse=True)
    of_pair = pair // width
    residual = np.bincount(inverse, weights=y) - p_stratum[of_pair] * np.bincount(inverse)
    spread = np.bincount(of_pair, weights=residual**2, minlength=size)
    clusters = np.bincount(of_pair, minlength=size).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(clusters > 1, clusters / (clusters - 1) * spread, 0.0), clusters


def design_effects(flag: pd.Series | pd.DataFrame, keys: Sequence[pd.Series],
                   cluster: pd.Series | None,
                   strata: Sequence[pd.Series] = ()) -> pd.Series | pd.DataFrame:
    """Design effect of the share of ``flag`` in each group of ``keys`` when cases come in
    clusters (the officer in charge: one officer's cases are alike).

    The design effect is the cluster-robust variance of the share over the binomial variance
    ``p (1 - p) / n``. The cluster-robust variance is the usual sandwich for a mean,
    ``sum_h G_h / (G_h - 1) * sum_{c in h} (sum_{i in c} (y_i - p_h))**2 / n**2`` over the
    ``G_h`` clusters of each stratum ``h`` of the group (without strata, one stratum: what an
    intercept-only least-squares fit with ``cov_type="cluster"`` gives). Strata are parts of a
    group whose sizes are fixed, not drawn (the forces of a national share: the share is a
    mean of the forces' shares weighted by their cases), so only the variation within them
    counts. It is floored at 1 (an interval is never narrower than the binomial one) and is 1
    where it cannot be estimated: fewer than two clusters, or a share of 0 or 1. A case with no
    cluster is a cluster of its own. Used with the Wilson interval at the effective sample size
    ``n / deff`` (Kish's effective sample size, as survey statistics give a proportion's
    interval under clustering).

    Parameters
    ----------
    flag : Series of bool, or DataFrame of them
        The outcome per case; a frame of several outcomes of the same cases gives each its
        design effects from one grouping of the cases (the groups, strata and clusters are
        found once: a cohort table's seven outcomes took seven times as long one by one).
    keys : list of Series
        Group columns aligned with ``flag`` (empty: one group).
    cluster : Series or None
        Cluster per case (NaN: a cluster of its own). None: every design effect is 1.
    strata : list of Series
        Strata columns within groups (clusters nested in them), aligned with ``flag``.

    Returns
    -------
    Series
        One design effect per group, indexed as ``flag.groupby(keys).sum()`` (a single value
        under index 0 when ``keys`` is empty); a DataFrame with a column per outcome when
        ``flag`` is a frame.

    Examples
    --------
    >>> flag = pd.Series([1, 1, 1, 0, 0, 0, 1, 0], dtype=bool)
    >>> officer = pd.Series(["a", "a", "a", "b", "b", "b", "c", "c"])
    >>> round(float(design_effects(flag, [], officer).iloc[0]), 3)
    3.375
    """
    keys, strata = list(keys), list(strata)
    flags = flag.to_frame() if isinstance(flag, pd.Series) else flag
    first = flags.iloc[:, 0] if flags.shape[1] else pd.Series(False, index=flags.index)
    index = (first.astype(np.int64).groupby(keys).sum().index if keys
             else pd.RangeIndex(1))

    def result(deff: np.ndarray) -> pd.Series | pd.DataFrame:
        frame = pd.DataFrame(deff, index=index, columns=flags.columns)
        return frame.iloc[:, 0].rename(None) if isinstance(flag, pd.Series) else frame

    if cluster is None or len(flags) == 0:
        return result(np.ones((len(index), flags.shape[1])))
    codes = _cluster_codes(cluster)
    grouped = first.groupby(keys, observed=True) if keys else None
    group = (grouped.ngroup().to_numpy() if grouped is not None
             else np.zeros(len(flags), dtype=np.int64))
    stratum = (first.groupby(keys + strata, observed=True).ngroup().to_numpy()
               if strata else group)
    # a case with a missing key is in no group (ngroup gives it NaN, the rest as floats)
    kept = (group >= 0) & (stratum >= 0)
    codes = codes[kept]
    group, stratum = group[kept].astype(np.int64), stratum[kept].astype(np.int64)
    n_groups, n_strata = int(group.max(initial=-1)) + 1, int(stratum.max(initial=-1)) + 1
    group_of_stratum = np.zeros(n_strata, dtype=np.int64)
    group_of_stratum[stratum] = group
    count = np.bincount(group, minlength=n_groups).astype(float)
    count_stratum = np.bincount(stratum, minlength=n_strata).astype(float)
    # ngroup numbers the observed groups in the order of groupby's (sorted) result
    observed = grouped.size().index if grouped is not None else None
    deffs = []
    for column in flags.columns:
        y = flags[column].to_numpy(dtype=float)[kept]
        n = count
        p = np.bincount(group, weights=y, minlength=n_groups) / np.where(n > 0, n, 1)
        p_stratum = (np.bincount(stratum, weights=y, minlength=n_strata)
                     / np.where(count_stratum > 0, count_stratum, 1))
        corrected, clusters = _stratum_sandwich(y, codes, stratum, p_stratum, n_strata)
        with np.errstate(invalid="ignore", divide="ignore"):
            robust = np.bincount(group_of_stratum, weights=corrected, minlength=n_groups) / n**2
            usable = (np.bincount(group_of_stratum, weights=clusters, minlength=n_groups) > 1) \
                & (p > 0) & (p < 1)
            deff = np.where(usable, np.maximum(1.0, robust / (p * (1 - p) / n)), 1.0)
        if observed is None:
            deffs.append(deff[:1] if n_groups else np.ones(1))
        else:
            deffs.append(pd.Series(deff, index=observed).reindex(index, fill_value=1.0)
                         .to_numpy())
    return result(np.column_stack(deffs) if deffs else np.ones((len(index), 0)))


def rest_design_effects(flag: pd.Series, group: pd.Series, cluster: pd.Series | None) -> pd.Series:
    """Per group, the design effect of the share of ``flag`` among the cases of every *other*
    group, those groups as strata (England and Wales without one force, for each force).

    The same estimator as :func:`design_effects` with ``keys=[]`` and ``strata=[group]`` on the
    cases outside the group, for every group in one pass: the stratified cluster-robust
    variance is a sum over strata, so the rest's is the whole sum less the group's own term.

    Examples
    --------
    >>> flag = pd.Series([1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0], dtype=bool)
    >>> force = pd.Series(["a"] * 4 + ["b"] * 4 + ["c"] * 4)
    >>> officer = pd.Series(list("xxyyzzwwvvuu"))
    >>> rest = rest_design_effects(flag, force, officer)
    >>> direct = design_effects(flag[force.ne("a")], [], officer[force.ne("a")],
    ...                         [force[force.ne("a")]]).iloc[0]
    >>> bool(np.isclose(rest["a"], direct))
    True
    """
    groups = pd.Index(pd.unique(group.dropna())).sort_values()
    if cluster is None or len(flag) == 0:
        return pd.Series(1.0, index=groups)
    codes = _cluster_codes(cluster)
    stratum = groups.get_indexer(group.to_numpy())
    kept = stratum >= 0
    y, codes, stratum = flag.to_numpy(dtype=float)[kept], codes[kept], stratum[kept]
    size = len(groups)
    n_h = np.bincount(stratum, minlength=size).astype(float)
    k_h = np.bincount(stratum, weights=y, minlength=size)
    p_h = k_h / np.where(n_h > 0, n_h, 1)
    term, g_h = _stratum_sandwich(y, codes, stratum, p_h, size)
    with np.errstate(invalid="ignore", divide="ignore"):
        n, k = n_h.sum() - n_h, k_h.sum() - k_h
        p = k / np.where(n > 0, n, 1)
        robust = (term.sum() - term) / np.where(n > 0, n, 1) ** 2
        usable = (g_h.sum() - g_h > 1) & (p > 0) & (p < 1)
        deff = np.where(usable, np.maximum(1.0, robust / (p * (1 - p) / n)), 1.0)
    return pd.Series(deff, index=groups)


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


def _check_window(within_days: object, name: str = "within_days") -> int:
    if isinstance(within_days, bool) or not isinstance(within_days, (int, np.integer)) or (
        within_days <= 0
    ):
        raise ParameterError(
            f"{name}={within_days!r} must be a positive whole number of days, such as 365."
        )
    return int(within_days)


# --------------------------------------------------------------------------------------------
# Funnel: the state at the extract date
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
    """The state at the extract date: how many cases have reached each investigation stage so far.

    Stages, in order: recorded, suspect identified, suspect arrested or interviewed, file
    referred to the prosecution service, charged (a charge date or a charge outcome, 1/1A),
    convicted (court outcome ``convicted``). Stages are cumulative: a case that reached a stage
    counts as having reached every earlier one, even when an earlier date is missing (say, a
    charge with no file-to-CPS date keyed in). So counts never rise from one stage to the next.

    This is a **snapshot**, not a conversion rate: cases still under investigation or at court
    are counted at the stage they have reached by the extract date, so recent cases look less
    advanced than they will be and ``share_of_previous`` understates how many cases go on to
    the next stage. It has no interval, because it estimates nothing beyond this date. For the
    chance that a case at one stage reaches the next, use :func:`stage_conversion`.

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
        One row per group and stage: the ``by`` columns, ``stage``, ``n`` (cases that have
        reached it by the extract date), ``share_of_recorded``, ``share_of_previous`` (of the
        previous stage's cases, at the extract date) and ``n_previous``. The recorded stage has
        no previous stage: its ``share_of_previous`` and ``n_previous`` are missing.
        ``attrs["estimand"]`` says what the numbers are.

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
    with np.errstate(divide="ignore", invalid="ignore"):
        share_of_previous = np.where(previous > 0, n / np.where(previous > 0, previous, 1),
                                     np.nan)
        share_of_recorded = np.where(n[:, [0]] > 0, n / np.maximum(n[:, [0]], 1), np.nan)

    groups = _group_frame(counts.index, by)
    frame = groups.loc[groups.index.repeat(n_stages)].reset_index(drop=True)
    frame["stage"] = np.tile(list(STAGES), n_groups)
    frame["n"] = n.ravel()
    frame["share_of_recorded"] = share_of_recorded.ravel()
    frame["share_of_previous"] = share_of_previous.ravel()
    n_previous = pd.array(previous.ravel().astype(np.int64), dtype="Int64")
    n_previous[frame["stage"].eq("recorded").to_numpy()] = pd.NA
    frame["n_previous"] = n_previous
    frame.attrs["estimand"] = (
        "State at the extract date: cases that have reached each stage so far. Cases still "
        "open or at court count at the stage reached by then, so this is not a conversion "
        "rate (see stage_conversion).")
    return frame


# --------------------------------------------------------------------------------------------
# Stage conversion: from cohorts with full follow-up, or cumulative incidence
# --------------------------------------------------------------------------------------------
def _stage_own_dates(cases: pd.DataFrame) -> pd.DataFrame:
    charged_on = cases["charge_date"].where(cases["charge_date"].notna(),
                                            cases["outcome_date"].where(
                                                cases["outcome_group"].eq("charge")))
    arrested = cases[["arrest_date", "interview_date"]].min(axis=1)
    convicted = cases["court_outcome_date"].where(cases["court_outcome"].eq("convicted"))
    return pd.DataFrame({
        "recorded": cases["recorded_date"],
        "suspect_identified": cases["suspect_identified_date"],
        "arrested_or_interviewed": arrested,
        "referred_to_cps": cases["file_to_cps_date"],
        "charged": charged_on,
        "convicted": convicted,
    }, index=cases.index).astype("datetime64[ns]")


def stage_dates(cases: pd.DataFrame, *, extract_date: object = None) -> pd.DataFrame:
    """The date each case reached each funnel stage (``NaT``: not reached by the extract date).

    A stage's own date is used (arrested or interviewed: the earlier of the two; charged: the
    charge date, else the date of a charge outcome; convicted: the court outcome date). A stage
    implied by a later one but never dated takes the earliest later date (the case must have
    passed it by then), and no stage is dated after a later one. With ``extract_date``, stages
    after that date have not happened yet.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.1, seed=1)
    >>> dates = stage_dates(cases)
    >>> list(dates.columns) == list(STAGES)
    True
    """
    own = _stage_own_dates(cases)
    if extract_date is not None:
        as_of = pd.Timestamp(extract_date).normalize()
        own = own.where(own.le(as_of))
    # Earliest of own and every later stage's date: a reverse running minimum over whole days
    # (exact as floats, unlike nanoseconds), missing dates ignored.
    day = np.timedelta64(1, "D").astype("timedelta64[ns]").astype(np.int64)
    missing = own.isna().to_numpy()
    days = (own.to_numpy(dtype="datetime64[ns]").view(np.int64) // day).astype(float)
    days[missing] = np.nan
    earliest = np.fmin.accumulate(days[:, ::-1], axis=1)[:, ::-1]
    gone = np.isnan(earliest)
    stamps = np.where(gone, 0, earliest).astype(np.int64) * day
    stamps = stamps.view("datetime64[ns]")
    stamps[gone] = np.datetime64("NaT")
    return pd.DataFrame(stamps, index=cases.index, columns=own.columns)


def _endings(cases: pd.DataFrame, as_of: pd.Series) -> dict[bool, tuple[pd.Series, pd.Series]]:
    """When a case stopped being able to reach a stage (NaT if it still can), and whether its
    follow-up was cut there instead (transferred): for investigation stages (False) and for
    conviction (True)."""
    group = cases["outcome_group"]
    closed = ~group.isin(["open", "charge"]) & cases["outcome_date"].le(as_of)
    investigation = (cases["outcome_date"].where(closed), group.eq("transferred") & closed)
    verdict = cases["court_outcome"].isin(["acquitted", "discontinued"]) \
        & cases["court_outcome_date"].le(as_of)
    court = (cases["court_outcome_date"].where(verdict), pd.Series(False, index=cases.index))
    return {False: investigation, True: court}


def stage_conversion(
    cases: pd.DataFrame,
    *,
    within_days: int = 365,
    method: str = "cohort",
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    extract_date: object = None,
) -> pd.DataFrame:
    """The chance that a case at one funnel stage reaches the next within ``within_days`` of
    reaching it: charged from referred, convicted from charged, and so on.

    Unlike the snapshot of :func:`funnel`, a case still on its way (under investigation, or
    waiting for its trial) never counts as failing to convert:

    - ``method="cohort"``: only cases that reached the stage at least ``within_days`` before
      the extract date, so every one has had the whole window; the estimate is the share that
      reached the next stage within it, with a Wilson interval. Cases transferred to another
      body within the window are left out (their outcome is unknown).
    - ``method="incidence"``: every case that reached the stage, on a clock that starts on the
      stage's own date: the Aalen–Johansen cumulative incidence of reaching the next stage by
      ``within_days``, with ending without it (a non-charge outcome; for conviction an
      acquittal or discontinuance) competing and open cases censored, and its log-log interval.

    Stage dates are those of :func:`stage_dates`.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    within_days : int
        The window after reaching a stage. Court cases take long: for conviction from charge,
        two or three years (730, 1095) give most of the eventual conversion.
    method : {"cohort", "incidence"}
        Full-follow-up cohorts, or cumulative incidence from the stage's own date.
    by : str or list of str, optional
        Column(s) of ``cases`` to break the conversion down by.
    level : float
        Confidence level of the intervals.
    extract_date : date-like, optional
        View the data as they stood on this date.

    Returns
    -------
    DataFrame
        One row per group and stage after the first: the ``by`` columns, ``stage`` (reached),
        ``from_stage``, ``within_days``, ``method``, ``n`` (cases that reached ``stage`` within
        the window; for ``incidence``, those seen to), ``n_from`` (cases at ``from_stage`` the
        estimate rests on), ``estimate``, ``ci_low``, ``ci_high``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> table = stage_conversion(cases, within_days=365)
    >>> table["stage"].tolist()[-2:], table["from_stage"].tolist()[-1]
    (['charged', 'convicted'], 'charged')
    """
    from .competing_risks import cumulative_incidence

    within_days = _check_window(within_days)
    if method not in ("cohort", "incidence"):
        raise ParameterError(f"method={method!r} must be 'cohort' (cases with full follow-up) "
                             "or 'incidence' (cumulative incidence from the stage's date).")
    level = _check_level(level)
    by = _by_columns(cases, by)
    as_of = _extract_dates(cases, extract_date)
    dates = stage_dates(cases, extract_date=extract_date)
    endings = _endings(cases, as_of)
    stages = list(STAGES)
    rows = []
    for previous, stage in zip(stages[:-1], stages[1:], strict=True):  # five transitions
        start = dates[previous]
        at_stage = start.notna()
        reached = dates[stage]
        ended, transferred = endings[stage == "convicted"]
        stop = reached.where(reached.notna(), ended).where(lambda d: d.notna(), as_of)
        days = (stop - start).dt.days.clip(lower=0).astype(float)
        status = np.where(reached.notna(), "reached",
                          np.where(ended.notna() & ~transferred, "ended", "censored"))
        frame = pd.DataFrame({"days": days, "outcome": status}, index=cases.index)[at_stage]
        for column in by:
            frame[column] = cases.loc[at_stage, column]
        if method == "cohort":
            followed = (as_of - start).dt.days.ge(within_days)[at_stage]
            cut_short = frame["outcome"].eq("censored") & frame["days"].lt(within_days)
            kept = frame[followed & ~cut_short]
            success = (kept["outcome"].eq("reached") & kept["days"].le(within_days)).astype(int)
            if by:
                grouped = success.groupby([kept[c] for c in by], dropna=False, observed=True)
                counts = grouped.agg(["sum", "size"]).reset_index()
            else:
                counts = pd.DataFrame({"sum": [int(success.sum())], "size": [len(success)]})
            estimate, low, high = _wilson(counts["sum"], counts["size"], level)
            part = counts[by].copy() if by else pd.DataFrame(index=counts.index)
            part["n"], part["n_from"] = counts["sum"].astype(np.int64), counts["size"].astype(
                np.int64)
            part["estimate"], part["ci_low"], part["ci_high"] = estimate, low, high
        else:
            curve = cumulative_incidence(frame, by=by or None, times=[within_days],
                                         level=level, censored="censored")
            curve = curve[curve["outcome"].eq("reached")]
            sizes = (frame.groupby(by, dropna=False, observed=True).size().rename("n_from")
                     .reset_index() if by else pd.DataFrame({"n_from": [len(frame)]}))
            part = curve[[*by, "n_events", "cif", "ci_low", "ci_high"]].rename(
                columns={"n_events": "n", "cif": "estimate"})
            part = part.merge(sizes, on=by, how="left") if by else part.assign(
                n_from=sizes["n_from"].iloc[0] if len(sizes) else 0)
        part.insert(len(by), "stage", stage)
        part.insert(len(by) + 1, "from_stage", previous)
        rows.append(part)
    table = pd.concat(rows, ignore_index=True)
    table["within_days"] = within_days
    table["method"] = method
    table["n"] = table["n"].astype(np.int64)
    table["n_from"] = table["n_from"].astype(np.int64)
    order = [*by, "stage", "from_stage", "within_days", "method", "n", "n_from", "estimate",
             "ci_low", "ci_high"]
    if by:
        table = table.sort_values(by, kind="stable")
    return table[order].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Outcome mix
# --------------------------------------------------------------------------------------------
def outcome_mix(
    cases: pd.DataFrame, *, by: str | Sequence[str] | None = None, detail: str = "code",
    level: float = 0.95,
) -> pd.DataFrame:
    """Counts and shares of cases by outcome code (or outcome group), open cases included.

    A snapshot at the extract date: recent cases are more often still open.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    by : str or list of str, optional
        Column(s) to break the mix down by; shares are within each group.
    detail : {"code", "group"}
        ``"code"``: one row per Home Office outcome code present, with its analytic group
        (open cases are one row, group ``open`` with an empty code). ``"group"``: one row per
        analytic outcome group, every group listed (zero counts included) so groups line up
        across forces.
    level : float
        Confidence level of the Wilson intervals.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``outcome_group``, (``outcome_code``, when ``detail="code"``),
        ``label``, ``n``, ``share`` (of all cases in the group, open ones included),
        ``ci_low``/``ci_high`` (Wilson) and ``n_total``, ordered as the dictionary's code
        lists.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> mix = outcome_mix(cases, detail="group")
    >>> bool(mix["n"].sum() == len(cases)), mix["outcome_group"].iloc[-1]
    (True, 'open')
    """
    if isinstance(level, str):  # the old spelling of ``detail``, before ``level`` meant confidence
        warnings.warn("outcome_mix(level='code'|'group') is now detail=; level= is the "
                      "confidence level.", FutureWarning, stacklevel=2)
        detail, level = level, 0.95
    if detail not in ("code", "group"):
        raise ParameterError(f"detail={detail!r} must be 'code' or 'group'.")
    by = _by_columns(cases, by)
    dictionary = load_dictionary()
    groups = dictionary.codelists["outcome_groups"]
    groups = groups[groups["competing_risk"].notna()]
    group_order = groups["code"].tolist()
    keys = [cases[c] for c in by]
    if detail == "group":
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
    frame["share"], frame["ci_low"], frame["ci_high"] = _wilson(frame["n"], frame["n_total"],
                                                                level)
    id_columns = [*by, "outcome_group", *(["outcome_code"] if detail == "code" else []), "label"]
    return frame[[*id_columns, "n", "share", "ci_low", "ci_high", "n_total"]]


# --------------------------------------------------------------------------------------------
# Cohort rates
# --------------------------------------------------------------------------------------------
def _window_outcome(tte: pd.DataFrame, within_days: int,
                    start_day: pd.Series | None = None) -> pd.Series:
    """The outcome each case had within the window (from ``start_day``, default day 0): a
    competing risk, transferred, or open."""
    days = tte["days"] if start_day is None else tte["days"] - start_day
    within = days.le(within_days)
    outcome = pd.Series("open", index=tte.index, dtype=object)
    outcome = outcome.mask(within & tte["event"].gt(0), tte["outcome"])
    return outcome.mask(within & tte["outcome_group"].eq("transferred"), "transferred")


def _cohorts(recorded: pd.Series, freq: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Each case's cohort label, and the first and last day of its cohort."""
    if freq == "FY":
        label = financial_year(recorded)
        years = pd.unique(label.dropna())
        # looked up once per year, not per case (a lambda per case took 2 s of 9 on 10 forces)
        bounds = [pd.Series([financial_year_bounds(y)[i] for y in years], index=years,
                            dtype="datetime64[ns]") for i in (0, 1)]
        return (label, *(pd.Series(b.reindex(label).to_numpy(), index=label.index)
                         for b in bounds))
    try:
        period = recorded.dt.to_period(freq)
    except (ValueError, TypeError) as exc:
        raise ParameterError(
            f"freq={freq!r} is not a cohort length. Use 'FY' (financial years, April to "
            "March), 'Q', 'M' or 'Y'."
        ) from exc
    return (period.astype(str), period.dt.start_time.astype("datetime64[ns]"),
            period.dt.end_time.dt.normalize().astype("datetime64[ns]"))


def cohort_rates(
    cases: pd.DataFrame,
    *,
    within_days: int = 365,
    freq: str = "Q",
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    extract_date: object = None,
    pool: Mapping[str, Sequence[str]] | None = None,
    cluster: str | None = "officer_id",
    strata: str | None = "force",
    pool_cohorts: bool = False,
    censor_transfers: bool = False,
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
        Cohort length: ``"FY"`` financial years (April to March, labelled ``"2022/23"``), or a
        pandas period alias: ``"Q"`` quarters, ``"M"`` months, ``"Y"`` calendar years.
    by : str or list of str, optional
        Column(s) to break the rates down by.
    level : float
        Confidence level of the Wilson intervals.
    extract_date : date-like, optional
        View the data as they stood on this date (see ``timeline.time_to_outcome``).
    pool : mapping, optional
        ``{name: outcomes}``: outcomes counted together as one row named ``name`` (after the
        outcomes not pooled), such as the rare outcomes of a report's trend.
    cluster : str or None
        Column of the cluster of a case (default the officer in charge): intervals are Wilson
        intervals at ``n_cohort / design_effect`` cases (:func:`design_effects`, the
        ``design_effect`` column), as the headline figures' are. None, or a column the cases
        do not have: plain Wilson intervals.
    strata : str or None
        Column whose groups have fixed sizes (default ``force``, unless it is in ``by``): only
        the variation within them enters the design effect, as for the headline figures.
    pool_cohorts : bool
        One row per group and outcome over every cohort kept, together (``cohort`` is then
        their span, such as ``"2019/20 to 2022/23"``, and ``attrs["cohorts"]`` lists them):
        each case counts once, and the design effect is that of the pooled share (one
        officer's cases in different cohorts are alike too).
    censor_transfers : bool
        Leave the cases transferred to another body within the window out of their cohort
        (censored: their outcome is not the force's, docs/domain.md), as the headline shares
        do (``cohorts.followed_cases``); there is then no ``transferred`` row. False (the
        default) counts a transfer as an outcome of its own.

    Returns
    -------
    DataFrame
        One row per group, cohort and outcome: the ``by`` columns, ``cohort`` (period label
        such as ``"2022Q1"`` or ``"2022/23"``), ``cohort_start``, ``cohort_end``, ``outcome``
        (charge, victim_withdrawal, evidential_difficulty, no_suspect, other, transferred, or
        open when no outcome came within the window), ``n``, ``n_cohort``, ``estimate`` (``n /
        n_cohort``), its Wilson ``ci_low``/``ci_high`` and their ``design_effect``. ``attrs`` holds
        ``excluded_cohorts``, ``within_days``, ``extract_date`` and ``note``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> rates = cohort_rates(cases, within_days=365)
    >>> rates.attrs["excluded_cohorts"]
    ['2023Q2', '2023Q3', '2023Q4', '2024Q1']
    >>> cohort_rates(cases, within_days=365, freq="FY")["cohort"].unique().tolist()
    ['2019/20', '2020/21', '2021/22', '2022/23']
    """
    within_days = _check_window(within_days)
    by = _by_columns(cases, by)
    cohort, cohort_start, cohort_end = _cohorts(cases["recorded_date"], freq)
    tte = time_to_outcome(cases, extract_date=extract_date)
    extract = _extract_dates(cases, extract_date)
    outcome = _window_outcome(tte, within_days)

    last_extract = extract.groupby(cohort).transform("min")
    complete = (cohort_end + pd.Timedelta(days=within_days)).le(last_extract)
    excluded = sorted(str(p) for p in cohort[~complete].unique())
    kept = sorted(str(p) for p in cohort[complete].unique())
    if pool_cohorts and kept:
        span = kept[0] if len(kept) == 1 else f"{kept[0]} to {kept[-1]}"
        cohort = cohort.astype(object).where(~complete, span)
        cohort_start = cohort_start.where(~complete, cohort_start[complete].min())
        cohort_end = cohort_end.where(~complete, cohort_end[complete].max())

    categories = [*competing_risks(), *([] if censor_transfers else ["transferred"]), "open"]
    counted = complete & ~(outcome.eq("transferred") & censor_transfers)
    for name, members in (pool or {}).items():
        unknown = [m for m in members if m not in categories]
        if unknown:
            raise ParameterError(f"pool={{{name!r}: ...}} names outcomes {unknown} that are not "
                                 f"among {categories}.")
        outcome = outcome.where(~outcome.isin(list(members)), name)
        categories = [c for c in categories if c not in members] + [name]
    keys = [cases.loc[counted, c] for c in by] + [cohort[counted].rename("cohort")]
    counts = (
        outcome[counted].rename("outcome")
        .groupby(keys, dropna=False, observed=True).value_counts()
        .unstack("outcome", fill_value=0)
        .reindex(columns=categories, fill_value=0)
    )
    counts.columns.name = "outcome"
    n_cohort = counts.sum(axis=1).to_numpy()
    long = counts.stack().rename("n").reset_index()
    long["n_cohort"] = np.repeat(n_cohort, len(categories))
    starts = cohort_start.groupby(cohort).first()
    ends = cohort_end.groupby(cohort).first()
    long["cohort_start"] = long["cohort"].map(starts).astype("datetime64[ns]")
    long["cohort_end"] = long["cohort"].map(ends).astype("datetime64[ns]")
    long["cohort"] = long["cohort"].astype(str)
    long["n"] = long["n"].astype(np.int64)
    long["n_cohort"] = long["n_cohort"].astype(np.int64)
    long["design_effect"] = 1.0
    if cluster is not None and cluster in cases.columns and counted.any():
        group_keys = [*by, "cohort"]
        clusters = cases.loc[counted, cluster]
        within = ([cases.loc[counted, strata]]
                  if strata is not None and strata in cases.columns and strata not in by else [])
        flags = pd.DataFrame({category: outcome[counted].eq(category).to_numpy()
                              for category in categories}, index=outcome[counted].index)
        found = design_effects(flags, keys, clusters, within)  # every outcome, one grouping
        parts = []
        for category in categories:  # a handful of outcomes
            deff = found[category].rename("design_effect").reset_index()
            deff.columns = [*group_keys, "design_effect"]
            parts.append(deff.assign(outcome=category))
        deffs = pd.concat(parts, ignore_index=True)
        deffs["cohort"] = deffs["cohort"].astype(str)
        merged = long[[*group_keys, "outcome"]].merge(deffs, on=[*group_keys, "outcome"],
                                                      how="left")
        long["design_effect"] = merged["design_effect"].fillna(1.0).to_numpy()
    deff = long["design_effect"].to_numpy(dtype=float)
    _, long["ci_low"], long["ci_high"] = _wilson(long["n"] / deff, long["n_cohort"] / deff,
                                                 level)
    long["estimate"] = long["n"] / long["n_cohort"].where(long["n_cohort"] > 0)
    frame = long[[*by, "cohort", "cohort_start", "cohort_end", "outcome", "n", "n_cohort",
                  "estimate", "ci_low", "ci_high", "design_effect"]]
    frame.attrs.update(
        {
            "within_days": within_days,
            "extract_date": str(extract.min().date()) if len(extract) else None,
            "excluded_cohorts": excluded,
            "cohorts": kept,
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
    cases: pd.DataFrame,
    *,
    within_days: int = 365,
    start: str | None = None,
    reference: Mapping[str, object] | None = None,
    extract_date: object = None,
) -> pd.DataFrame:
    """Cases with full follow-up, their window outcomes and model-ready covariates.

    By default the window starts at recording: cases recorded at least ``within_days`` before
    the extract date, minus those transferred to another body within the window (their outcome
    is unknown). With ``start`` (a date column of ``cases``, such as
    ``"device_requested_date"``) the window starts at that event instead: only cases that had
    it while still open (no outcome on or before that day), at least ``within_days`` before the
    extract date, so a later event is never used as if it were known at recording.

    Adds 0/1 columns named by the outcome registry, each meaning "this outcome within the
    window": ``charge``, ``victim_withdrawal``, ``evidential_difficulty``, ``no_suspect`` and
    ``other`` (``charged`` and ``withdrawn`` repeat the first two under older names, for
    callers not yet moved); ``victim_age_decades``; ``report_delay_years``; the flags of
    :data:`FLAG_COVARIATES` as 0/1 (``victim_under_18`` is a float, missing when the age is);
    ``financial_year`` of recording; and the categorical covariates as pandas categoricals
    whose first level is the reference (``covariates.REFERENCE_LEVELS``, or ``reference``).
    ``attrs["n_transferred"]``, ``attrs["n_short_follow_up"]`` (and, with ``start``,
    ``attrs["n_without_event"]``) count the cases left out.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.2, seed=1)
    >>> frame = model_frame(cases, within_days=365)
    >>> int(frame["charge"].sum()) == int(frame["charged"].sum())
    True
    """
    within_days = _check_window(within_days)
    tte = time_to_outcome(cases, extract_date=extract_date)
    extract = _extract_dates(cases, extract_date)
    if start is None:
        start_date, start_day = cases["recorded_date"], None
        has_event = pd.Series(True, index=cases.index)
    else:
        if start not in cases.columns:
            raise ParameterError(f"start={start!r} is not a date column of the cases frame; "
                                 "give one such as 'device_requested_date' or 'arrest_date'.")
        start_date = pd.to_datetime(cases[start]).dt.normalize()
        start_day = (start_date - cases["recorded_date"]).dt.days.clip(lower=0).astype(float)
        # The event must come while the case is open: after its start, before any outcome.
        has_event = start_date.notna() & start_date.le(extract) & (
            tte["event"].eq(0) & tte["outcome_group"].ne("transferred")
            | tte["days"].gt(start_day))
    followed = has_event & (extract - start_date).dt.days.ge(within_days)
    outcome = _window_outcome(tte, within_days, start_day)
    transferred = outcome.eq("transferred")
    keep = followed & ~transferred
    frame = tte.loc[keep].copy()
    outcome = outcome[keep]
    for risk in competing_risks():
        frame[risk] = outcome.eq(risk).astype(np.int64)
    for alias, risk in _OUTCOME_ALIASES.items():
        frame[alias] = frame[risk]
    frame["victim_age_decades"] = frame["victim_age"].astype("Float64").astype(float) / 10
    frame["report_delay_years"] = frame["report_delay_days"] / 365.25
    frame["victim_under_18"] = (frame["victim_age_decades"] < 1.8).astype(float).where(
        frame["victim_age_decades"].notna())
    frame["non_recent"] = frame["report_delay_days"].ge(365)
    for column in FLAG_COVARIATES:
        if column != "victim_under_18":
            frame[column] = frame[column].astype(np.int64)
    frame = with_reference_levels(frame, CATEGORICAL_COVARIATES, reference)
    frame.attrs.update(
        {
            "within_days": within_days,
            "start": start or "recorded_date",
            "n_short_follow_up": int((has_event & ~followed).sum()),
            "n_transferred": int((followed & transferred).sum()),
            **({"n_without_event": int((~has_event).sum())} if start else {}),
        }
    )
    return frame


def default_formula(outcome: str = "charge", frame: pd.DataFrame | None = None) -> str:
    """The default model formula: every case-level covariate known at recording.

    Categorical covariates whose reference level is the only one present in ``frame`` (say,
    a single force with no male victims) are left out, since they cannot be estimated.

    Examples
    --------
    >>> default_formula("victim_withdrawal").split(" ~ ")[0]
    'victim_withdrawal'
    """
    terms = [
        column
        for column in CATEGORICAL_COVARIATES
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
    references : dict
        What each term is compared against, in words ("against acquaintance or friend").
    """

    def __init__(self, result, *, formula: str, outcome: str, within_days: int,
                 cluster: str | None, cov_type: str, n_clusters: int, notes: list[str],
                 references: dict[str, str] | None = None):
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
        self.references = dict(references or {})

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
        """Wald confidence intervals of ``params`` (log-odds scale), columns 0 and 1
        (statsmodels' accessor, with its ``alpha``; tidy tables take ``level``)."""
        return self.result_.conf_int(alpha)

    def summary(self):
        """statsmodels' summary table, with this fit's notes appended."""
        summary = self.result_.summary()
        if self.notes:
            summary.add_extra_txt(self.notes)
        return summary

    def odds_ratios(self, level: float = 0.95) -> pd.DataFrame:
        """Tidy odds ratios, one row per term (the intercept left out).

        Columns ``term, reference, estimate, ci_low, ci_high, p, n``: ``reference`` says what
        the term is compared against, the interval is at ``level``, ``n`` is the rows used.
        """
        ci = self.conf_int(1 - _check_level(level))
        terms = [t for t in self.params.index if t != "Intercept"]
        return pd.DataFrame(
            {
                "term": terms,
                "reference": [self.references.get(t, "") for t in terms],
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
                       within_days: int, cluster: str | None, extract_date: object = None,
                       reference: Mapping[str, object] | None = None) -> OutcomeModelResults:
    import statsmodels.formula.api as smf

    outcome = check_outcome(outcome)
    frame = model_frame(cases, within_days=within_days, extract_date=extract_date,
                        reference=reference)
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
            "(see attrition.model_frame), such as 'charge ~ relationship + victim_age_decades'."
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
    terms = [t for t in result.params.index if t != "Intercept"]
    return OutcomeModelResults(result, formula=formula, outcome=outcome, within_days=within_days,
                               cluster=cluster, cov_type=cov_type, n_clusters=n_clusters,
                               notes=notes, references=term_references(frame, terms))


def outcome_model(
    cases: pd.DataFrame,
    formula: str | None = None,
    *,
    outcome: str = "charge",
    within_days: int = 365,
    cluster: str | None = "force",
    reference: Mapping[str, object] | None = None,
    extract_date: object = None,
) -> OutcomeModelResults:
    """Logistic regression of one outcome within ``within_days`` of recording.

    Its odds ratios compare the *probability* of the outcome within the window (a cumulative
    incidence: competing outcomes take cases out of reach of it). Only cases with full
    follow-up are used (recorded at least ``within_days`` before the extract date), so
    still-open recent cases do not count as failures; cases transferred within the window are
    left out. Covariates are those known at recording. Standard errors are cluster-robust by
    ``cluster`` (force); with fewer than about 10 clusters (a single force) they fall back to
    HC1 and ``notes`` says so.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    formula : str, optional
        A statsmodels (patsy) formula over the columns of :func:`model_frame`, for example
        ``"charge ~ relationship + offence_group + report_delay_years"``. Defaults to
        :func:`default_formula` (every case-level covariate known at recording).
    outcome : str
        An outcome of the registry: ``charge``, ``victim_withdrawal``,
        ``evidential_difficulty``, ``no_suspect`` or ``other``.
    within_days : int
        The window after the recorded date.
    cluster : str or None
        Column whose values form the clusters; None for HC1 standard errors.
    reference : mapping, optional
        Reference level per categorical covariate, over ``covariates.REFERENCE_LEVELS``.
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
    >>> fit = outcome_model(cases, "no_suspect ~ relationship", outcome="no_suspect")
    >>> fit.odds_ratios()["reference"].unique().tolist()
    ['against acquaintance or friend']
    """
    return _fit_outcome_model(cases, outcome, formula, within_days=within_days,
                              cluster=cluster, extract_date=extract_date, reference=reference)


def charge_model(
    cases: pd.DataFrame,
    formula: str | None = None,
    *,
    within_days: int = 365,
    cluster: str | None = "force",
    reference: Mapping[str, object] | None = None,
    extract_date: object = None,
) -> OutcomeModelResults:
    """Logistic regression of charge within ``within_days`` of recording
    (:func:`outcome_model` with ``outcome="charge"``).

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
        ``"charge ~ relationship + offence_group + report_delay_years"``. Defaults to
        :func:`default_formula` (every case-level covariate known at recording; reference
        levels in ``covariates.REFERENCE_LEVELS``).
    within_days : int
        The window after the recorded date.
    cluster : str or None
        Column whose values form the clusters; None for HC1 standard errors.
    reference : mapping, optional
        Reference level per categorical covariate.
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
    ['term', 'reference', 'estimate', 'ci_low', 'ci_high', 'p', 'n']
    """
    return _fit_outcome_model(cases, "charge", formula, within_days=within_days,
                              cluster=cluster, extract_date=extract_date, reference=reference)


def withdrawal_model(
    cases: pd.DataFrame,
    formula: str | None = None,
    *,
    within_days: int = 365,
    cluster: str | None = "force",
    reference: Mapping[str, object] | None = None,
    extract_date: object = None,
) -> OutcomeModelResults:
    """Logistic regression of victim withdrawal (outcomes 14 and 16) within the window.

    Same design as :func:`charge_model`; the modelled column is ``victim_withdrawal``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(scale=0.02, seed=1)  # all 43 forces, about 19,000 cases
    >>> fit = withdrawal_model(cases, "victim_withdrawal ~ relationship + third_party_report")
    >>> bool(fit.odds_ratios().set_index("term").loc["third_party_report", "estimate"] > 1)
    True
    """
    return _fit_outcome_model(cases, "victim_withdrawal", formula, within_days=within_days,
                              cluster=cluster, extract_date=extract_date, reference=reference)


def __getattr__(name: str):
    # The predictive benchmark lives in analysis.prediction (which builds on this module) and
    # is offered here as before, loaded on first use.
    if name in ("PredictiveBenchmark", "predictive_benchmark"):
        from . import prediction

        return getattr(prediction, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
