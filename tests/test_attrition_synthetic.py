"""Attrition models and rates against the synthetic generator's known ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from soteria_research.analysis import attrition
from soteria_research.data.synthetic import (
    CAUSES,
    generate_cases,
    ground_truth,
)

WINDOW = 365
#: A true effect smaller than this on the log-odds of the outcome within the window is
#: negligible: too small to tell its sign reliably at test scale.
NEGLIGIBLE = 0.2


def true_window_log_odds_ratios(within_days: int) -> pd.DataFrame:
    """True log odds ratio of each outcome within the window, one covariate switched on.

    The generator's truth is cause-specific log hazard ratios. A logistic model of "charged
    within a year" estimates the effect on the cumulative incidence instead, which under
    competing risks can have the opposite sign (a stranger case has a higher charge hazard
    once referred, but a suspect is seldom named, so fewer charges). So the truth is carried to
    that scale by the generator itself: every case of a simulated world set to the covariate's
    level and to its reference, with the same random numbers (``covariate_effects``).
    """
    truth = ground_truth(start="2019-04-01", end="2023-03-31", scale=0.05, seed=1)
    effects = truth.covariate_effects(within_days).pivot(index="covariate", columns="outcome",
                                                          values="log_odds_ratio")
    hazard = truth.hazard_ratios.query("kind == 'covariate'").pivot(index="covariate", columns="cause",
                                                                     values="log_hr")
    return effects[list(CAUSES)].join(hazard, rsuffix="_log_hr")


@pytest.fixture(scope="module")
def national() -> pd.DataFrame:
    # Five years, all forces, a fifth of national volume: about 190,000 cases.
    return generate_cases(scale=0.2, seed=7)


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return true_window_log_odds_ratios(WINDOW)


def _estimated_log_odds(fit: attrition.OutcomeModelResults) -> pd.Series:
    ratios = fit.odds_ratios().set_index("term")["estimate"]
    ratios.index = ratios.index.str.replace("[T.", "[", regex=False)
    return np.log(ratios)


@pytest.mark.parametrize("model, cause", [(attrition.charge_model, "charge"),
                                          (attrition.withdrawal_model, "victim_withdrawal")])
def test_odds_ratios_have_the_sign_of_the_ground_truth(national, truth, model, cause):
    fit = model(national, within_days=WINDOW)
    estimated = _estimated_log_odds(fit)
    true = truth[cause]
    checked = [term for term in estimated.index if term in true.index and abs(true[term]) >= NEGLIGIBLE]
    assert len(checked) >= 8, "too few non-negligible effects to make the check meaningful"
    wrong = {term: (round(true[term], 3), round(estimated[term], 3)) for term in checked
             if np.sign(estimated[term]) != np.sign(true[term])}
    assert not wrong, f"odds ratios with the wrong sign (true, estimated): {wrong}"
    # Where the hazard ratio and the window effect point the same way, that is the sign of the
    # generator's log hazard ratio too.
    same_way = [t for t in checked if np.sign(truth.loc[t, f"{cause}_log_hr"]) == np.sign(true[t])]
    assert all(np.sign(estimated[t]) == np.sign(truth.loc[t, f"{cause}_log_hr"]) for t in same_way)


def test_models_use_cluster_robust_errors_by_force(national):
    fit = attrition.charge_model(national)
    assert fit.cov_type == "cluster" and fit.n_clusters == 43
    assert fit.result_.cov_type == "cluster"
    # Full follow-up only: nobody recorded within a year of the extract is in the fit.
    frame = attrition.model_frame(national)
    assert (frame["recorded_date"] <= pd.Timestamp("2024-03-31") - pd.Timedelta(days=365)).all()
    table = fit.odds_ratios()
    assert list(table.columns) == ["term", "reference", "estimate", "ci_low", "ci_high", "p",
                                   "n"]
    assert (table["ci_low"] < table["estimate"]).all() and (table["estimate"] < table["ci_high"]).all()
    assert np.allclose(np.exp(fit.conf_int().drop(index="Intercept")).to_numpy(),
                       table[["ci_low", "ci_high"]].to_numpy())
    assert "Logit" in str(fit.summary())


def test_single_force_falls_back_and_says_so():
    cases = generate_cases(forces=["durham"], scale=0.5, seed=3)
    fit = attrition.withdrawal_model(cases,
                                     "victim_withdrawal ~ relationship + third_party_report")
    assert fit.cov_type == "HC1" and fit.n_clusters == 1
    assert any("cluster-robust" in note for note in fit.notes)
    assert fit.result_.cov_type == "HC1"


def test_same_period_rate_understates_and_cohort_rate_does_not():
    # Three years recorded, outcomes followed for eight more: the final picture is known.
    as_of = pd.Timestamp("2022-03-31")
    cases = generate_cases(scale=0.05, seed=11, start="2019-04-01", end=str(as_of.date()),
                           extract_date="2030-03-31")
    charged = cases["outcome_group"].eq("charge")

    # A dashboard's same-period rate for the last year, read at the as-of date...
    recent = cases["recorded_date"] > as_of - pd.Timedelta(days=365)
    same_period = (charged & cases["outcome_date"].le(as_of))[recent].mean()
    # ...against the share of those same cases eventually charged.
    final_low, _ = proportion_confint(charged[recent].sum(), recent.sum(), method="wilson")
    assert same_period < final_low

    # The cohort rate read at the as-of date keeps only cohorts with a full year of follow-up,
    # and for those it already equals the final share charged within a year.
    early = attrition.cohort_rates(cases, within_days=365, extract_date=as_of)
    assert early.attrs["excluded_cohorts"] == ["2021Q2", "2021Q3", "2021Q4", "2022Q1"]
    early = early[early["outcome"] == "charge"].set_index("cohort")
    cohort = cases["recorded_date"].dt.to_period("Q").astype(str)
    within_year = charged & (cases["outcome_date"] - cases["recorded_date"]).dt.days.le(365)
    final_within_year = within_year.groupby(cohort).mean()
    assert np.allclose(early["estimate"], final_within_year[early.index])
    late = attrition.cohort_rates(cases, within_days=365)
    late = late[late["outcome"] == "charge"].set_index("cohort")
    assert np.allclose(late.loc[early.index, "estimate"], early["estimate"])


def test_funnel_on_synthetic_data_never_rises_and_matches_plain_counts(national):
    table = attrition.funnel(national, by="force")
    assert (table.groupby("force")["n"].diff().dropna() <= 0).all()
    charged = table[table["stage"] == "charged"].set_index("force")["n"]
    plain = national.groupby("force")["charge_date"].count()
    assert charged.equals(plain.reindex(charged.index).astype(charged.dtype))


def test_predictive_benchmark_is_reproducible_and_sane():
    # Kept small: boosting is the slowest thing in this file.
    cases = generate_cases(forces=["durham"], scale=0.5, seed=5)
    # One thread: OpenMP threads fighting over two busy cores can take ten times as long.
    settings = dict(outcome="victim_withdrawal", seed=1, n_repeats=1, importance_rows=1000,
                    n_threads=1)
    first = attrition.predictive_benchmark(cases, **settings)
    second = attrition.predictive_benchmark(cases, **settings)
    pd.testing.assert_frame_equal(first.metrics, second.metrics)
    pd.testing.assert_frame_equal(first.importance, second.importance)
    # Trained on the earlier financial years, tested on the latest with full follow-up.
    assert first.train_cohorts == ["2019/20", "2020/21", "2021/22"]
    assert first.test_cohorts == ["2022/23"]
    auc = first.metrics[first.metrics["metric"] == "auc"].set_index("model")
    assert (auc["estimate"] > 0.6).all() and (auc["estimate"] < 1).all()
    assert (auc["ci_low"] < auc["estimate"]).all() and (auc["estimate"] < auc["ci_high"]).all()
    brier = first.metrics[first.metrics["metric"] == "brier"]["estimate"]
    assert (brier < 0.25).all()  # better than a coin flip on a roughly even outcome
    calibration = first.calibration
    assert calibration.groupby("model")["n"].sum().eq(first.n).all()
    assert set(first.importance["feature"]) >= {"relationship", "third_party_report"}
