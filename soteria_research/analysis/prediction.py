"""Predictive benchmark: does a flexible model predict what the logistic model misses? Trained on
earlier recording cohorts and tested on later ones, with features known at recording only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ModelError, ParameterError
from .attrition import FLAG_COVARIATES, NUMERIC_COVARIATES, _wilson, model_frame
from .cohorts import cohort_table, describe_cohorts
from .model_results import _check_level
from .outcomes import check_outcome

__all__ = ["PREDICTORS", "PredictiveBenchmark", "delong", "predictive_benchmark"]

#: Features of the benchmark, all known when the crime is recorded. In ``relationship`` the
#: level "unknown" (or missing) is replaced by a random draw from the relationships recorded
#: in the training cohorts (seeded), so it carries no information: in police records "not
#: known" is mostly what is left when no suspect was ever identified, which is an outcome, not
#: something known at recording.
#: Nothing dated after recording is a feature (no device request, arrest, referral or stage
#: date).
PREDICTORS = ("relationship", "offence_group", "victim_sex", "victim_ethnicity",
              *FLAG_COVARIATES, *NUMERIC_COVARIATES)


@dataclass
class PredictiveBenchmark:
    """Temporal validation of the logistic model beside gradient boosting.

    Attributes
    ----------
    metrics : DataFrame
        ``model, metric, estimate, ci_low, ci_high, n`` on the test cohorts: ``auc`` (DeLong
        interval), ``brier`` (normal interval of the mean squared error), ``observed_expected``
        (observed over predicted events; exact Poisson interval of the observed count),
        ``calibration_intercept`` (calibration in the large: the intercept of a logistic
        regression of the outcome with the model's log-odds as offset; 0 is perfect) and
        ``calibration_slope`` (the slope on the model's log-odds; 1 is perfect, below 1 means
        predictions too extreme), and for model ``gradient_boosting - logistic`` the
        ``auc_difference`` with its paired DeLong interval.
    calibration : DataFrame
        ``model, bin, mean_predicted, observed, ci_low, ci_high, n``: test predictions in
        (up to) ten equal-size bins, with the observed share and its Wilson interval.
    importance : DataFrame
        ``model, feature, estimate, sd``: permutation importance (drop in test AUC when a
        feature is shuffled).
    outcome : str
    train_cohorts, test_cohorts : list of str
        Financial years of recording trained and tested on.
    n_train, n, n_events : int
        Training cases; test cases and events among them.
    notes : list of str
    """

    metrics: pd.DataFrame
    calibration: pd.DataFrame
    importance: pd.DataFrame
    outcome: str
    train_cohorts: list[str]
    test_cohorts: list[str]
    n_train: int
    n: int
    n_events: int
    notes: list[str] = field(default_factory=list)


def delong(y: np.ndarray, scores: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Areas under the ROC curve and their covariance matrix, by DeLong's method.

    DeLong, DeLong & Clarke-Pearson (1988), computed with midranks as Sun & Xu (2014) do
    (O(n log n)). scikit-learn gives the AUC but no variance; the covariance makes both each
    model's interval and the paired test of two models on the same cases.

    Examples
    --------
    >>> aucs, cov = delong(np.array([0, 0, 1, 1]), [np.array([0.1, 0.4, 0.35, 0.8])])
    >>> float(aucs[0])
    0.75
    """
    y = np.asarray(y).astype(bool)
    m, n = int(y.sum()), int((~y).sum())
    if m == 0 or n == 0:
        raise ModelError("The AUC needs cases with and without the outcome.")
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    positive, negative = scores[:, y], scores[:, ~y]
    tx = stats.rankdata(positive, axis=1)
    ty = stats.rankdata(negative, axis=1)
    tz = stats.rankdata(np.hstack([positive, negative]), axis=1)
    aucs = tz[:, :m].sum(axis=1) / (m * n) - (m + 1) / (2 * n)
    v01 = (tz[:, :m] - tx) / n
    v10 = 1 - (tz[:, m:] - ty) / m
    cov = np.atleast_2d(np.cov(v01)) / m + np.atleast_2d(np.cov(v10)) / n
    return aucs, cov


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-8, 1 - 1e-8)
    return np.log(p / (1 - p))


def _calibration_fits(y: np.ndarray, p: np.ndarray, z: float) -> list[tuple]:
    """Calibration intercept (offset model) and slope, with Wald intervals."""
    import statsmodels.api as sm

    lp = _logit(p)
    family = sm.families.Binomial()
    ones = np.ones((len(y), 1))
    large = sm.GLM(y, ones, family=family, offset=lp).fit()
    slope = sm.GLM(y, np.column_stack([ones, lp]), family=family).fit()
    rows = []
    for metric, fit, j in (("calibration_intercept", large, 0), ("calibration_slope", slope, 1)):
        est, se = float(fit.params[j]), float(fit.bse[j])
        rows.append((metric, est, est - z * se, est + z * se))
    return rows


def _calibration_table(name: str, predicted: np.ndarray, observed: np.ndarray, level: float,
                       bins: int = 10) -> pd.DataFrame:
    ranks = pd.Series(predicted).rank(method="first")
    bin_of = pd.qcut(ranks, q=min(bins, len(predicted)), labels=False)
    table = pd.DataFrame({"bin": bin_of, "p": predicted, "y": observed}).groupby("bin").agg(
        mean_predicted=("p", "mean"), events=("y", "sum"), n=("y", "size")).reset_index()
    table["observed"], table["ci_low"], table["ci_high"] = _wilson(table["events"], table["n"],
                                                                   level)
    table.insert(0, "model", name)
    table["bin"] = table["bin"].astype(np.int64) + 1
    return table[["model", "bin", "mean_predicted", "observed", "ci_low", "ci_high", "n"]]


def _split(frame: pd.DataFrame, cases: pd.DataFrame, within_days: int,
           test_cohorts: Sequence[str] | None, extract_date) -> tuple[list[str], list[str]]:
    """Test: the given cohorts, else the latest fully followed one; train: every earlier one."""
    table = cohort_table(cases, extract_date=extract_date)
    complete = table.loc[table["follow_up_days"] >= within_days, "cohort"].tolist()
    if test_cohorts is None:
        if len(complete) < 2:
            raise ModelError(
                f"Temporal validation needs two financial years followed for {within_days} "
                f"days; these cases have {len(complete)} ({describe_cohorts(complete)}). Use "
                "a shorter within_days or a longer extract.")
        test = complete[-1:]
    else:
        test = list(test_cohorts)
        unknown = [c for c in test if c not in complete]
        if unknown:
            raise ParameterError(
                f"test_cohorts {unknown} are not financial years followed for {within_days} "
                f"days; those are {complete}.")
    train = [c for c in complete if c < min(test)]
    if not train:
        raise ModelError(f"No financial year before {min(test)} to train on.")
    return train, test


def predictive_benchmark(
    cases: pd.DataFrame,
    *,
    outcome: str = "charge",
    within_days: int = 365,
    test_cohorts: Sequence[str] | None = None,
    seed: int = 0,
    n_repeats: int = 5,
    importance_rows: int = 20_000,
    level: float = 0.95,
    n_threads: int | None = None,
    extract_date: object = None,
) -> PredictiveBenchmark:
    """Research check: how much does a flexible model predict that the logistic model misses,
    and does either predict the next year as well as the years it learnt from?

    This is a research check on the interpretable model, **never a tool to score individual
    cases**: a prediction about one victim's case must not steer how it is investigated, and
    nothing here is validated for that.

    Both models learn from earlier financial-year cohorts and are tested on later ones
    (temporal validation: shuffled folds mix the years, so a drift in outcomes over time
    cannot show and calibration looks perfect when it is not). Each cohort is one with full
    ``within_days`` follow-up (:func:`~soteria_research.analysis.attrition.model_frame`); the
    outcome is the outcome within the window. The features (:data:`PREDICTORS`) are all
    known at recording. A logistic regression (one-hot categories, standardised numbers,
    median-imputed ages) and a scikit-learn ``HistGradientBoostingClassifier`` (native
    categories and missing numbers; a missing category takes the most common one) are
    compared on the test cohorts: AUC with its DeLong
    interval and the paired DeLong interval of the difference, Brier score, observed over
    expected, calibration intercept and slope, a calibration table, and permutation
    importance (AUC drop, ``n_repeats`` shuffles, on at most ``importance_rows`` test rows).

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    outcome : str
        An outcome of the registry (``charge``, ``victim_withdrawal``, ...).
    within_days : int
        The follow-up window.
    test_cohorts : sequence of str, optional
        Financial years to test on (default: the latest one with full follow-up); the model
        trains on every fully followed year before them.
    seed : int
        Seeds the boosting, the draws that blank out "unknown" relationships, the importance
        rows and the permutations; same seed, same numbers.
    n_repeats, importance_rows : int
        Shuffles per feature; test rows used for importance.
    level : float
        Confidence level of the intervals.
    n_threads : int, optional
        Cap on OpenMP/BLAS threads inside the models (None: the libraries' default). On a
        busy shared machine, 1 can be several times faster than oversubscribed threads.
    extract_date : date-like, optional
        View the data as they stood on this date.

    Returns
    -------
    PredictiveBenchmark
        ``metrics``, ``calibration`` and ``importance`` frames, and the cohorts used.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.5, seed=1)
    >>> check = predictive_benchmark(cases, outcome="victim_withdrawal", n_repeats=1,
    ...                              importance_rows=500, n_threads=1)
    >>> check.train_cohorts, check.test_cohorts
    (['2019/20', '2020/21', '2021/22'], ['2022/23'])
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.inspection import permutation_importance
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
    from threadpoolctl import threadpool_limits

    outcome = check_outcome(outcome)
    z = float(stats.norm.ppf(0.5 + _check_level(level) / 2))
    frame = model_frame(cases, within_days=within_days, extract_date=extract_date)
    train_cohorts, test_cohorts = _split(frame, cases, within_days, test_cohorts, extract_date)
    train = frame["financial_year"].isin(train_cohorts).to_numpy()
    test = frame["financial_year"].isin(test_cohorts).to_numpy()
    y = frame[outcome].to_numpy()
    for name, part in (("training", train), ("test", test)):
        events = int(y[part].sum())
        if min(events, int(part.sum()) - events) < 2:
            raise ModelError(f"Too few cases to benchmark {outcome!r}: the {name} cohorts have "
                             f"{events} of {int(part.sum())} cases with it; each needs both "
                             "outcomes.")

    rng = np.random.default_rng(seed)
    features = frame[list(PREDICTORS)].copy()
    relationship = features["relationship"].astype(object).to_numpy()
    unknown = pd.isna(relationship) | (relationship == "unknown")
    levels, counts = np.unique(relationship[train & ~unknown].astype(str), return_counts=True)
    if len(levels):
        relationship[unknown] = rng.choice(levels, size=int(unknown.sum()),
                                           p=counts / counts.sum())
    features["relationship"] = relationship
    categorical = [c for c in ("relationship", "offence_group", "victim_sex", "victim_ethnicity")
                   if features.loc[train, c].dropna().nunique() > 1]
    numeric = [c for c in (*FLAG_COVARIATES, *NUMERIC_COVARIATES)
               if features.loc[train, c].dropna().nunique() > 1]
    features = features[categorical + numeric]
    for column in categorical:
        features[column] = features[column].astype(object)

    logistic = make_pipeline(
        ColumnTransformer([
            ("categories", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                         OneHotEncoder(handle_unknown="ignore", drop="first")),
             categorical),
            ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
             numeric),
        ]),
        LogisticRegression(max_iter=1000),
    )
    boosting = make_pipeline(
        ColumnTransformer(
            [("categories", make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)),
              categorical),
             ("numbers", "passthrough", numeric)],
        ),
        HistGradientBoostingClassifier(
            categorical_features=list(range(len(categorical))), random_state=seed
        ),
    )
    models = {"logistic": logistic, "gradient_boosting": boosting}
    test_rows = np.flatnonzero(test)
    shown = test_rows if len(test_rows) <= importance_rows else np.sort(
        rng.choice(test_rows, importance_rows, replace=False))
    y_test = y[test]
    predicted, importances = {}, []
    with threadpool_limits(limits=n_threads):
        for name, model in models.items():
            model.fit(features.loc[train], y[train])
            predicted[name] = model.predict_proba(features.loc[test])[:, 1]
            result = permutation_importance(model, features.iloc[shown], y[shown],
                                            scoring="roc_auc", n_repeats=n_repeats,
                                            random_state=seed)
            importances.append(pd.DataFrame({"model": name, "feature": features.columns,
                                             "estimate": result.importances_mean,
                                             "sd": result.importances_std}))
    aucs, cov = delong(y_test, [predicted[name] for name in models])
    n_test, observed = len(y_test), int(y_test.sum())
    rows = []
    for k, name in enumerate(models):
        p = predicted[name]
        se = float(np.sqrt(cov[k, k]))
        rows.append((name, "auc", aucs[k], aucs[k] - z * se, aucs[k] + z * se))
        squared = (p - y_test) ** 2
        half = z * squared.std(ddof=1) / np.sqrt(n_test)
        rows.append((name, "brier", squared.mean(), squared.mean() - half, squared.mean() + half))
        expected = float(p.sum())
        low = stats.chi2.ppf((1 - level) / 2, 2 * observed) / 2 if observed else 0.0
        high = stats.chi2.ppf(0.5 + level / 2, 2 * (observed + 1)) / 2
        rows.append((name, "observed_expected", observed / expected, low / expected,
                     high / expected))
        rows += [(name, *row) for row in _calibration_fits(y_test, p, z)]
    difference = aucs[1] - aucs[0]
    se = float(np.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0)))
    rows.append(("gradient_boosting - logistic", "auc_difference", difference,
                 difference - z * se, difference + z * se))
    metrics = pd.DataFrame(rows, columns=["model", "metric", "estimate", "ci_low", "ci_high"])
    metrics["n"] = n_test
    calibration = pd.concat([_calibration_table(name, p, y_test, level)
                             for name, p in predicted.items()], ignore_index=True)
    importance = (pd.concat(importances, ignore_index=True)
                  .sort_values(["model", "estimate"], ascending=[True, False], kind="stable")
                  .reset_index(drop=True))
    notes = [f"Trained on cases recorded in {describe_cohorts(train_cohorts)}, tested on "
             f"{describe_cohorts(test_cohorts)}; outcome within {within_days} days of recording, "
             "cases with full follow-up only.",
             f"{frame.attrs['n_short_follow_up']} cases without {within_days} days of "
             "follow-up left out.",
             "A research check on the logistic model; never a tool to score individual cases."]
    return PredictiveBenchmark(metrics=metrics, calibration=calibration, importance=importance,
                               outcome=outcome, train_cohorts=train_cohorts,
                               test_cohorts=test_cohorts, n_train=int(train.sum()), n=n_test,
                               n_events=observed, notes=notes)
