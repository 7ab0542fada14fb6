"""Each figure estimates what it says: on small simulated worlds with a known truth (built in
tests/worlds.py, not by the package), the old estimand misses the truth and the new one
covers it. Every test names the old figure it replaces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from worlds import HAZARDS, simulate, simulate_court, true_fy_cif

from soteria_research.analysis import attrition, pillars, prediction
from soteria_research.analysis.cohorts import cohort_incidence, latest_cohorts
from soteria_research.analysis.episodes import episodes
from soteria_research.analysis.survival import cause_specific, cumulative_incidence
from soteria_research.analysis.timeline import time_to_outcome
from soteria_research.errors import ParameterError

Z = 1.959963984540054


def _covers(row, truth: float) -> bool:
    return float(row["ci_low"]) <= truth <= float(row["ci_high"])


# --------------------------------------------------------------------------------------------
# Curves: per financial-year cohort, not pooled over years that differ
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trending():
    # Six financial years; the charge hazard rises by a quarter (log scale) each year.
    return simulate(40_000, seed=3, charge_trend=0.25)


def test_pooled_curve_is_biased_when_outcomes_trend_and_the_cohort_curve_is_not(trending):
    cases = trending.cases
    # Old figure: one Aalen-Johansen curve over every case, read as "charged by day 730".
    pooled = cumulative_incidence(time_to_outcome(cases), times=[730])
    pooled = pooled.set_index("outcome").loc["charge"]
    truth_all = np.mean([trending.true_cif("charge", 730, y) for y in trending.latent["year"]])
    # Its long follow-up comes only from the early, low-charge years: biased low.
    assert pooled["ci_high"] < truth_all
    # New: the latest cohort followed for 730 days, and the estimate covers its truth.
    chosen = latest_cohorts(cases, horizon_days=730)
    assert chosen == ["2020/21"]
    curve = cohort_incidence(cases, times=[730], cohorts=chosen)
    row = curve[curve["outcome"].eq("charge")].iloc[0]
    assert row["complete"] and row["cohort"] == "2020/21"
    assert _covers(row, true_fy_cif(trending, "charge", 730, "2020/21"))
    assert "2020/21" in curve.attrs["note"]


def test_every_cohort_covers_its_own_truth_and_uncovered_days_are_flagged(trending):
    curve = cohort_incidence(trending.cases, times=[365, 730])
    charge = curve[curve["outcome"].eq("charge")]
    complete = charge[charge["complete"]]
    assert len(complete) >= 8  # four cohorts at 730 days, five at 365
    covered = [_covers(r, true_fy_cif(trending, "charge", r["time"], r["cohort"]))
               for _, r in complete.iterrows()]
    assert np.mean(covered) >= 0.85
    # A cohort not yet followed to a day says so (and has no estimate there at all when no
    # case of it has been).
    assert not charge.loc[charge["cohort"].eq("2022/23") & charge["time"].eq(730),
                          "complete"].item()


def test_pooling_cohorts_with_full_follow_up_estimates_their_period(trending):
    chosen = latest_cohorts(trending.cases, horizon_days=730, n=3)
    curve = cohort_incidence(trending.cases, times=[730], cohorts=chosen, pooled=True)
    row = curve[curve["outcome"].eq("charge")].iloc[0]
    assert row["cohort"] == "2018/19 to 2020/21"
    sizes = trending.cases["recorded_date"].pipe(
        lambda d: d.dt.year - (d.dt.month < 4)).value_counts()
    weights = np.array([sizes[int(c[:4])] for c in chosen], dtype=float)
    truth = np.average([true_fy_cif(trending, "charge", 730, c) for c in chosen],
                       weights=weights)
    assert _covers(row, truth)


# --------------------------------------------------------------------------------------------
# Time-varying events: a request with no effect, made while the case is open
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def null_requests():
    return simulate(20_000, seed=5, request_rate=1 / 150)  # request_effect: none at all


def test_immortal_time_baseline_request_is_far_from_one_time_varying_covers_it(null_requests):
    cases = null_requests.cases
    tte = time_to_outcome(cases)
    # Old: "device requested" taken from the extract, used as a baseline covariate.
    baseline = tte.assign(device_requested=cases["device_requested_date"].notna().astype(int))
    old = cause_specific(baseline, "victim_withdrawal",
                         covariates=["device_requested"]).hazard_ratios().iloc[0]
    assert old["ci_high"] < 0.5  # the request looks strongly protective: it is not
    # New: the request counts from its day.
    split = episodes(cases, events={"device_requested": "device_requested_date"})
    new = cause_specific(split, "victim_withdrawal",
                         covariates=["device_requested"]).hazard_ratios().iloc[0]
    assert _covers(new, 1.0)
    assert new["reference"] == "against cases without it"


def test_device_pillar_no_longer_compares_with_and_without_as_if_known_at_recording(
        null_requests):
    cases = null_requests.cases
    # Old figure: withdrawal within a year, cases with a request (by the extract) vs without.
    frame = attrition.model_frame(cases)
    requested = cases.loc[frame.index, "device_requested_date"].notna()
    with_request = frame.loc[requested, "victim_withdrawal"].mean()
    without = frame.loc[~requested, "victim_withdrawal"].mean()
    assert without - with_request > 0.15  # a large "effect" of a request that does nothing
    table = pillars.device_requests(cases).set_index("measure")
    assert _covers(table.loc["withdrawal_hazard_ratio"], 1.0)
    assert {"withdrawal_share_with_request", "withdrawal_share_without_request"}.isdisjoint(
        table.index)


def test_window_after_an_event_starts_at_the_event(null_requests):
    cases = null_requests.cases
    frame = attrition.model_frame(cases, within_days=365, start="device_requested_date")
    start = cases.loc[frame.index, "device_requested_date"]
    # Every case had the request while open, a year before the extract ...
    assert (start <= cases.loc[frame.index, "extract_date"] - pd.Timedelta(days=365)).all()
    ended = cases.loc[frame.index, "outcome_date"]
    assert (ended.isna() | (ended > start)).all()
    # ... and with constant hazards and no request effect, the share withdrawing within a year
    # of the request is the share within a year of recording: lambda_w / L (1 - exp(-365 L)).
    total = sum(HAZARDS.values())
    truth = HAZARDS["victim_withdrawal"] / total * (1 - np.exp(-total * 365))
    share = frame["victim_withdrawal"].mean()
    half = Z * np.sqrt(share * (1 - share) / len(frame))
    assert abs(share - truth) < half


# --------------------------------------------------------------------------------------------
# Stages: conversion from full follow-up or cumulative incidence, never a snapshot
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def court():
    return simulate_court(20_000, seed=1)


def test_snapshot_understates_conversion_and_full_follow_up_covers_the_truth(court):
    snapshot = attrition.funnel(court.cases).set_index("stage")["share_of_previous"]
    # Old figure: "convicted, reached it from the previous stage" = the snapshot share, with
    # cases still at court counted as not convicted. Far below the eventual 64%.
    assert snapshot["convicted"] < court.p_convict - 0.10
    assert snapshot["charged"] < court.p_charge - 0.03
    for method in ("cohort", "incidence"):
        for within_days in (365, 1095):
            table = attrition.stage_conversion(court.cases, within_days=within_days,
                                               method=method).set_index("stage")
            for stage in ("charged", "convicted"):
                assert _covers(table.loc[stage], court.true_conversion(stage, within_days)), (
                    method, within_days, stage)


def test_stage_conversion_counts_only_cases_with_the_whole_window(court):
    table = attrition.stage_conversion(court.cases, within_days=1095).set_index("stage")
    charged = court.cases["charge_date"]
    followed = charged.le(court.cases["extract_date"] - pd.Timedelta(days=1095))
    assert table.loc["convicted", "n_from"] == int(followed.sum())
    assert table.loc["convicted", "from_stage"] == "charged"


# --------------------------------------------------------------------------------------------
# Comparisons: equal follow-up for earlier and later allegations
# --------------------------------------------------------------------------------------------
def test_earlier_allegations_judged_on_equal_follow_up_show_no_difference_when_there_is_none():
    world = simulate(30_000, seed=4)
    cases = world.cases.copy()
    rng = np.random.default_rng(4)
    named = cases["suspect_id"].notna()
    # Suspects assigned at random: a suspect's other cases say nothing about this one.
    pool = int(named.sum() * 0.7)
    cases.loc[named, "suspect_id"] = [f"p{i}" for i in rng.integers(0, pool, int(named.sum()))]
    flags = pillars.earlier_allegations(cases)

    def z(table) -> float:
        a, b = table.loc["earlier"], table.loc["other"]
        p = (a["n"] + b["n"]) / (a["n_total"] + b["n_total"])
        se = np.sqrt(p * (1 - p) * (1 / a["n_total"] + 1 / b["n_total"]))
        return (a["n"] / a["n_total"] - b["n"] / b["n_total"]) / se

    # Old figure: outcomes as at the extract date; earlier allegations are older.
    old = attrition.outcome_mix(cases[named].assign(
        allegation=np.where(flags[named], "earlier", "other")), by="allegation", detail="group")
    old = old[old["outcome_group"].eq("charge")].set_index("allegation")
    assert z(old) > 4
    new = pillars.earlier_allegation_outcomes(cases, within_days=365)
    new = new[new["outcome_group"].eq("charge")].set_index("allegation")
    assert abs(z(new)) < 2
    assert new["within_days"].eq(365).all() and new["cohorts"].iloc[0].startswith("2017/18")


# --------------------------------------------------------------------------------------------
# Withdrawal timing: share of eventual withdrawals, on cases followed long enough
# --------------------------------------------------------------------------------------------
def test_withdrawal_timing_counts_cases_followed_to_the_horizon():
    hazards = {k: 2 * v for k, v in HAZARDS.items()}
    world = simulate(60_000, seed=6, hazards=hazards, years=4)
    cases = world.cases
    total = sum(hazards.values())
    # Whole days: withdrawn within 7 days of the report means before day 8.
    truth = (1 - np.exp(-8 * total)) / (1 - np.exp(-731 * total))
    # Old figure: every withdrawal seen so far; recent cases have had time only for early ones.
    withdrawn = cases[cases["outcome_group"].eq("victim_withdrawal")]
    early = (withdrawn["outcome_date"] - withdrawn["report_date"]).dt.days.le(7)
    share, n = early.mean(), len(early)
    assert share - Z * np.sqrt(share * (1 - share) / n) > truth
    new = pillars.withdrawal_timing(cases, horizon_days=730).set_index("within_days")
    assert _covers(new.loc[7], truth)
    assert new.loc[7, "horizon_days"] == 730


# --------------------------------------------------------------------------------------------
# Drivers: a rate is not a probability
# --------------------------------------------------------------------------------------------
def test_cause_specific_ratio_is_a_rate_and_fine_gray_reads_the_probability():
    from soteria_research.analysis.drivers import drivers

    # Strangers are charged faster while open, but far more stranger cases end with no
    # suspect, so fewer end in charge.
    effects = {"relationship[stranger]": {"charge": 0.3, "no_suspect": 2.5}}
    world = simulate(30_000, seed=7, effects=effects)
    result = drivers(world.cases, outcomes=["charge"], covariates=["relationship"],
                     time_varying={})
    table = result.table.set_index(["model", "term"])
    cs = table.loc[("cause_specific", "relationship[T.stranger]")]
    fg = table.loc[("fine_gray", "relationship[T.stranger]")]
    assert _covers(cs, np.exp(0.3)) and cs["ci_low"] > 1
    rates = dict(HAZARDS)
    total = sum(rates.values())
    stranger = {**rates, "charge": rates["charge"] * np.exp(0.3),
                "no_suspect": rates["no_suspect"] * np.exp(2.5)}
    eventual_reference = rates["charge"] / total
    eventual_stranger = stranger["charge"] / sum(stranger.values())
    assert eventual_stranger < eventual_reference  # the truth: fewer stranger cases charged
    assert fg["ci_high"] < 1  # Fine-Gray says so; the cause-specific ratio (1.35) does not
    assert "rate" in result.meaning["cause_specific"]
    assert "probability" in result.meaning["fine_gray"]


def test_age_bands_recover_a_step_at_eighteen():
    from soteria_research.analysis.drivers import drivers

    world = simulate(30_000, seed=9, effects={"under_18": {"charge": 0.4}})
    table = drivers(world.cases, outcomes=["charge"], covariates=["victim_age_band"],
                    time_varying={}, models=["cause_specific"]).table.set_index("term")
    assert _covers(table.loc["victim_age_band[T.under_18]"], np.exp(0.4))
    for band in ("18_24", "40_plus"):  # no effect beyond the step
        assert _covers(table.loc[f"victim_age_band[T.{band}]"], 1.0)
    assert table["reference"].eq("against 25 to 39").all()


def test_null_device_request_in_the_drivers_covers_one():
    from soteria_research.analysis.drivers import drivers

    world = simulate(20_000, seed=11, request_rate=1 / 150,
                     effects={"third_party_report": {"victim_withdrawal": 0.5}})
    table = drivers(world.cases, covariates=["third_party_report"],
                    models=["cause_specific"]).table.set_index(["outcome", "term"])
    for outcome in ("charge", "victim_withdrawal"):
        assert _covers(table.loc[(outcome, "device_requested")], 1.0)
    assert _covers(table.loc[("victim_withdrawal", "third_party_report")], np.exp(0.5))


# --------------------------------------------------------------------------------------------
# Prediction: temporal validation shows the drift shuffled folds hide; no leaked feature
# --------------------------------------------------------------------------------------------
def test_temporal_validation_shows_drift_that_shuffled_folds_hide():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    effects = {"relationship[stranger]": {"charge": 0.5},
               "under_18": {"charge": 0.4}}
    world = simulate(20_000, seed=8, effects=effects, charge_trend=0.3)
    # Old: shuffled folds over every year; calibration in the large looks perfect.
    frame = attrition.model_frame(world.cases)
    features = pd.get_dummies(frame[["relationship", "victim_under_18"]].astype(
        {"relationship": object}), drop_first=True).astype(float)
    y = frame["charge"].to_numpy()
    p = cross_val_predict(LogisticRegression(max_iter=1000), features, y, method="predict_proba",
                          cv=StratifiedKFold(5, shuffle=True, random_state=0))[:, 1]
    assert abs(y.sum() / p.sum() - 1) < 0.05
    # New: trained on the earlier years, tested on the latest fully followed one.
    check = prediction.predictive_benchmark(world.cases, outcome="charge", n_repeats=1,
                                            importance_rows=500, n_threads=1)
    assert check.test_cohorts == ["2021/22"] and check.train_cohorts[0] == "2017/18"
    metrics = check.metrics.set_index(["model", "metric"])
    logistic = metrics.loc["logistic"]
    assert logistic.loc["observed_expected", "ci_low"] > 1.3  # the drift, seen
    assert logistic.loc["calibration_intercept", "ci_low"] > 0
    assert _covers(logistic.loc["calibration_slope"], 1.0)  # the covariate effects hold
    assert "auc_difference" in metrics.index.get_level_values("metric")


def test_no_feature_known_only_after_the_outcome():
    # "unknown" relationship written in only when no suspect was found: a leak.
    world = simulate(20_000, seed=12, effects={"third_party_report": {}})
    cases = world.cases.copy()
    cases.loc[cases["outcome_group"].eq("no_suspect"), "relationship"] = "unknown"
    check = prediction.predictive_benchmark(cases, outcome="no_suspect", n_repeats=1,
                                            importance_rows=500, n_threads=1)
    auc = check.metrics.set_index(["model", "metric"]).loc[("logistic", "auc")]
    assert _covers(auc, 0.5)  # no feature carries the outcome
    assert not {"device_requested", "device_requested_date", "arrest_date", "charge_date",
                "file_to_cps_date"} & set(prediction.PREDICTORS)


def test_delong_interval_matches_its_definition_pair_by_pair():
    rng = np.random.default_rng(2)
    y = rng.random(60) < 0.4
    a, b = rng.normal(size=60) + y, rng.normal(size=60) + 0.5 * y
    aucs, cov = prediction.delong(y, [a, b])
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)

    def psi(s):  # Mann-Whitney kernel, ties 1/2, straight from the definition
        return (s[pos][:, None] > s[neg][None, :]) + 0.5 * (s[pos][:, None] == s[neg][None, :])

    kernels = [psi(a), psi(b)]
    np.testing.assert_allclose(aucs, [k.mean() for k in kernels])
    v10 = np.array([k.mean(axis=1) for k in kernels])
    v01 = np.array([k.mean(axis=0) for k in kernels])
    expected = np.cov(v10) / len(pos) + np.cov(v01) / len(neg)
    np.testing.assert_allclose(cov, expected, rtol=1e-10)


# --------------------------------------------------------------------------------------------
# Offence clock: refused, because neither way of drawing it holds
# --------------------------------------------------------------------------------------------
def _product_limit(time, cause, entry, t):
    """Aalen-Johansen cumulative incidence of cause 1 by t, with delayed entry (at risk at s:
    entry < s <= time), written out from its definition for comparison only."""
    times = np.unique(time[(cause > 0) & (time <= t)])
    at_risk = (np.searchsorted(np.sort(entry), times, side="left")
               - np.searchsorted(np.sort(time), times, side="left"))
    d_all = np.bincount(np.searchsorted(times, time[(cause > 0) & (time <= t)]),
                        minlength=len(times))
    d_one = np.bincount(np.searchsorted(times, time[(cause == 1) & (time <= t)]),
                        minlength=len(times))
    surv_before = np.concatenate([[1.0], np.cumprod(1 - d_all / at_risk)[:-1]])
    return float(np.sum(surv_before * d_one / at_risk))


def test_offence_clock_both_ways_are_biased_so_it_is_refused():
    rng = np.random.default_rng(13)
    n = 20_000
    recorded = rng.uniform(0, 1826, n)  # five years of recordings, extract at the end
    non_recent = rng.random(n) < 0.3
    delay = np.where(non_recent, rng.uniform(365, 20 * 365, n), rng.exponential(10, n))
    charged = rng.random(n) < np.where(non_recent, 0.06, 0.12)
    # Outcomes run from the recording (front-loaded), not from the offence.
    after = np.where(charged, rng.gamma(2, 200, n), rng.gamma(1.2, 150, n))
    follow = 1826 - recorded
    t = 1826.0
    truth = np.mean(charged & (delay + after <= t))
    entry = np.floor(delay)
    offence_time = entry + np.ceil(np.minimum(after, follow))
    cause = np.where(after <= follow, np.where(charged, 1, 2), 0)
    # At risk from the offence (what origin="offence" used to do): biased low.
    naive = cumulative_incidence(pd.DataFrame({"days": offence_time, "event": cause}),
                                 times=[t], event="event")
    naive = naive[naive["outcome"].eq(1)].iloc[0]
    assert naive["ci_high"] < truth
    # Delayed entry at recording: biased high.
    delayed = _product_limit(offence_time, cause, entry, t)
    assert delayed > truth + 4 * naive["se"]  # (its own error is of the same size)
    with pytest.raises(ParameterError, match="refused"):
        time_to_outcome(simulate(50, seed=1).cases, origin="offence")
