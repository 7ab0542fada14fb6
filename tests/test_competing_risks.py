"""Competing risks: cumulative incidence and Fine–Gray agree with R (cmprsk, survival).

Reference values come from tests/reference/make_reference_competing_risks.R (see its header).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from handmade_cases import make_cases
from hypothesis import given, settings
from hypothesis import strategies as st

from soteria_research.analysis.competing_risks import cumulative_incidence, fit_fine_gray
from soteria_research.analysis.timeline import time_to_outcome
from soteria_research.data.dictionary import load_dictionary
from soteria_research.errors import DataValidationError, ModelError, ParameterError

REFERENCE = Path(__file__).parent / "reference" / "data"


def read_reference(name: str) -> pd.DataFrame:
    # round_trip: pandas' default fast float parser can be one unit in the last place out.
    return pd.read_csv(REFERENCE / name, skipinitialspace=True, float_precision="round_trip")


@pytest.fixture(scope="module")
def mgus2() -> pd.DataFrame:
    return read_reference("mgus2.csv")


@pytest.fixture(scope="module")
def ties() -> pd.DataFrame:
    return read_reference("cr_ties.csv")


@pytest.fixture(scope="module")
def heavy() -> pd.DataFrame:
    return read_reference("cr_heavy_censoring.csv")


@pytest.fixture(scope="module")
def cuminc_reference() -> pd.DataFrame:
    return read_reference("cr_cuminc.csv")


CIF_DATASETS = {
    # reference dataset name: (fixture, duration column, by)
    "mgus2": ("mgus2", "etime", None),
    "mgus2_by_sex": ("mgus2", "etime", "sex"),
    "ties": ("ties", "days", None),
    "ties_by_group": ("ties", "days", "group"),
    "heavy_censoring": ("heavy", "days", None),
}


def merged_with_reference(request, cuminc_reference, name, variance="gray", dtype=None):
    fixture, duration, by = CIF_DATASETS[name]
    data = request.getfixturevalue(fixture).copy()
    if dtype is not None:
        data["event"] = data["event"].astype(dtype)
    ref = cuminc_reference[cuminc_reference["dataset"] == name]
    ours = cumulative_incidence(data, duration=duration, event="event", by=by,
                                times=ref["time"].unique(), variance=variance)
    ours = ours.rename(columns={by: "group"}) if by else ours.assign(group="all")
    merged = ref.merge(ours, left_on=["group", "cause", "time"],
                       right_on=["group", "outcome", "time"], validate="one_to_one")
    assert len(merged) == len(ref)
    return merged


# --- cumulative incidence -------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CIF_DATASETS))
def test_cumulative_incidence_and_variance_match_cmprsk_cuminc(request, cuminc_reference, name):
    m = merged_with_reference(request, cuminc_reference, name)
    # Past a group's last follow-up cuminc says "unknown"; so do we, unless all cases ended.
    assert m.loc[m["cif"].isna(), "cuminc_est"].isna().all()
    m = m.dropna(subset=["cuminc_est"])
    np.testing.assert_allclose(m["cif"], m["cuminc_est"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(m["se"] ** 2, m["cuminc_var"], rtol=1e-8, atol=1e-14)


@pytest.mark.parametrize("name", list(CIF_DATASETS))
def test_cumulative_incidence_matches_survfit_aalen_johansen(request, cuminc_reference, name):
    m = merged_with_reference(request, cuminc_reference, name, variance="jackknife")
    m = m.dropna(subset=["survfit_pstate"])
    np.testing.assert_allclose(m["cif"], m["survfit_pstate"], rtol=1e-8, atol=1e-12)
    # The jackknife option is survfit's infinitesimal-jackknife standard error.
    np.testing.assert_allclose(m["se"], m["survfit_se"], rtol=1e-8, atol=1e-12)


def test_int8_event_codes_give_the_same_answer(request, cuminc_reference, ties):
    # scikit-survival's CIF overflows on int8 codes; here more than 127 events of one cause
    # and more than 127 cases at risk must still count correctly.
    assert (ties["event"] == 2).sum() > 127
    m = merged_with_reference(request, cuminc_reference, "ties", dtype=np.int8)
    np.testing.assert_allclose(m["cif"], m["cuminc_est"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(m["se"] ** 2, m["cuminc_var"], rtol=1e-8, atol=1e-14)
    assert m["n_events"].max() > 127


def test_tied_times_are_not_jittered_and_every_call_agrees(ties):
    # lifelines jitters tied times, so its answer changes from call to call.
    first = cumulative_incidence(ties, event="event")
    second = cumulative_incidence(ties, event="event")
    pd.testing.assert_frame_equal(first, second)
    event_days = np.sort(ties.loc[ties["event"] > 0, "days"].unique())
    for _, curve in first.groupby("outcome"):
        np.testing.assert_array_equal(curve["time"].to_numpy(), event_days)


def test_mgus2_restricted_mean_time_in_state_as_published(mgus2):
    # survival's "compete" vignette, print(mfit2, rmean = 240, scale = 12): years spent in
    # each state within 20 years of diagnosis; for pcm and death that is the area under the
    # cumulative incidence.
    published = {("F", "pcm"): 1.323284, ("M", "pcm"): 1.064693,
                 ("F", "death"): 8.823108, ("M", "death"): 10.260294}
    cif = cumulative_incidence(mgus2, duration="etime", by="sex")
    for (sex, outcome), years in published.items():
        curve = cif[(cif["sex"] == sex) & (cif["outcome"] == outcome)]
        t = np.append(curve["time"].to_numpy(), 240.0)
        keep = t <= 240
        steps = np.diff(t[keep]) * curve["cif"].to_numpy()[keep[:-1]][: keep.sum() - 1]
        assert steps.sum() / 12 == pytest.approx(years, abs=5e-7)


def test_counts_intervals_and_evaluation_times_on_a_small_example():
    tte = pd.DataFrame({
        "days": [2.0, 3.0, 3.0, 3.0, 5.0, 8.0, 8.0, 10.0],
        "outcome": ["charge", "charge", "victim_withdrawal", "censored", "charge",
                    "censored", "victim_withdrawal", "censored"],
    })
    cif = cumulative_incidence(tte, times=[0, 2.5, 3, 9, 11])
    charge = cif[cif["outcome"] == "charge"].set_index("time")
    # By hand: S(3-) = 7/8, 7 at risk on day 3; then S(5-) = 7/8 * 5/7, 4 at risk on day 5.
    assert charge.loc[0.0, "cif"] == 0 and charge.loc[0.0, "n_at_risk"] == 8
    assert charge.loc[2.5, "cif"] == pytest.approx(1 / 8)
    assert charge.loc[3.0, "cif"] == pytest.approx(1 / 8 + 7 / 8 / 7)
    assert charge.loc[9.0, "cif"] == pytest.approx(1 / 8 + 1 / 8 + 5 / 8 / 4)
    assert charge.loc[9.0, "n_at_risk"] == 1 and charge.loc[9.0, "n_events"] == 3
    assert np.isnan(charge.loc[11.0, "cif"])            # past the last follow-up
    assert charge.loc[3.0, "n_at_risk"] == 7            # follow-up of at least 3 days
    # The log(-log) interval: cif ** exp(±1.96 se / (cif log cif)).
    row = charge.loc[9.0]
    k = 1.959963984540054 * row["se"] / (row["cif"] * np.log(row["cif"]))
    assert row["ci_low"] == pytest.approx(row["cif"] ** np.exp(-k))
    assert row["ci_high"] == pytest.approx(row["cif"] ** np.exp(k))
    assert 0 < row["ci_low"] < row["cif"] < row["ci_high"] < 1
    # Outcomes add up with the probability of no outcome yet (the Kaplan–Meier).
    total = cif[cif["time"] == 9.0]["cif"].sum()
    assert total == pytest.approx(1 - (7 / 8) * (5 / 7) * (3 / 4) * (2 / 3))


def test_time_to_outcome_frame_gives_every_competing_risk_in_dictionary_order():
    cases = make_cases([
        {"outcome_code": "1", "outcome_date": "2022-03-01", "suspect_id": "s1",
         "suspect_identified_date": "2022-01-05", "charge_date": "2022-03-01"},
        {"outcome_code": "16", "outcome_date": "2022-01-08", "suspect_id": "s2",
         "suspect_identified_date": "2022-01-05"},
        {"outcome_code": "18", "outcome_date": "2022-02-01"},
        {},
        {"force": "durham", "outcome_code": "16", "outcome_date": "2022-01-03",
         "suspect_id": "s3", "suspect_identified_date": "2022-01-02"},
    ])
    tte = time_to_outcome(cases)
    cif = cumulative_incidence(tte, by="force", times=[30, 365])
    assert list(cif.columns[:3]) == ["force", "outcome", "time"]
    # Every competing risk, in the dictionary's order, in every force: absent ones are 0.
    for force in ("avon_and_somerset", "durham"):
        order = list(dict.fromkeys(cif.loc[cif["force"] == force, "outcome"]))
        assert order == load_dictionary().competing_risks
    durham = cif[cif["force"] == "durham"].set_index(["outcome", "time"])
    assert durham.loc[("victim_withdrawal", 30), "cif"] == 1.0
    assert durham.loc[("charge", 30), "cif"] == 0.0
    avon = cif[cif["force"] == "avon_and_somerset"].set_index(["outcome", "time"])
    assert avon.loc[("evidential_difficulty", 365), "cif"] == 0.0
    assert avon.loc[("charge", 365), "n_events"] == 1


def test_grouping_by_two_columns_estimates_within_each_combination(ties):
    ties = ties.assign(flag=ties["x2"].astype(bool))
    both = cumulative_incidence(ties, event="event", by=["group", "flag"], times=[30])
    one = ties[(ties["group"] == "west") & ties["flag"]]
    alone = cumulative_incidence(one, event="event", times=[30])
    got = both[(both["group"] == "west") & both["flag"]]
    np.testing.assert_allclose(got["cif"].to_numpy(), alone["cif"].to_numpy(), rtol=1e-12)
    assert len(both) == 3 * 2 * 3


def test_bad_input_says_what_and_how():
    tte = pd.DataFrame({"days": [1.0, -2.0], "event": [1, 0]})
    with pytest.raises(DataValidationError, match="negative"):
        cumulative_incidence(tte)
    with pytest.raises(DataValidationError, match="no 'days'"):
        cumulative_incidence(pd.DataFrame({"days": [1.0, np.nan], "event": [1, 0]}))
    with pytest.raises(ParameterError, match="duration column"):
        cumulative_incidence(tte, duration="time")
    with pytest.raises(ParameterError, match="variance"):
        cumulative_incidence(tte.abs(), variance="bootstrap")
    with pytest.raises(ParameterError, match="by="):
        cumulative_incidence(tte.abs(), by="force")


# --- Fine–Gray ------------------------------------------------------------------------------

FG_MODELS = {
    # reference dataset name: (fixture, duration, cause, covariates)
    "mgus2_pcm_sex": ("mgus2", "etime", 1, ["sex"]),
    "mgus2_death_sex": ("mgus2", "etime", 2, ["sex"]),
    "mgus2_pcm_age_sex_mspike": ("mgus2", "etime", 1, ["age", "sex", "mspike"]),
    "mgus2_death_age_sex_mspike": ("mgus2", "etime", 2, ["age", "sex", "mspike"]),
    "mgus2_pcm_age_sex_mspike_breslow": ("mgus2", "etime", 1, ["age", "sex", "mspike"]),
    "ties_cause1": ("ties", "days", 1, ["x1", "x2", "group"]),
    "ties_cause2": ("ties", "days", 2, ["x1", "x2", "group"]),
    "ties_cause1_breslow": ("ties", "days", 1, ["x1", "x2", "group"]),
    "heavy_cause1": ("heavy", "days", 1, ["z1", "z2"]),
    "heavy_cause2": ("heavy", "days", 2, ["z1", "z2"]),
}


@pytest.fixture(scope="module")
def fg_reference():
    coef = read_reference("cr_finegray_coef.csv")
    vcov = read_reference("cr_finegray_vcov.csv")
    return coef, vcov


def reference_model(fg_reference, name):
    coef, vcov = fg_reference
    c = coef[coef["dataset"] == name].reset_index(drop=True)
    v = vcov[vcov["dataset"] == name]
    p = len(c)
    matrices = {k: v[k].to_numpy().reshape(p, p, order="F")
                for k in ("naive_var", "robust_var", "crr_var")}
    return c, matrices


def r_names(names):
    """formulaic's 'sex[T.M]' is R's 'sexM'."""
    return [n.replace("[T.", "").replace("]", "") for n in names]


@pytest.mark.parametrize("name", list(FG_MODELS))
def test_fine_gray_matches_finegray_plus_weighted_coxph(request, fg_reference, name):
    fixture, duration, cause, covariates = FG_MODELS[name]
    c, v = reference_model(fg_reference, name)
    res = fit_fine_gray(request.getfixturevalue(fixture), cause=cause, covariates=covariates,
                        duration=duration, event="event", ties=c["ties"].iloc[0])
    assert r_names(res.params.index) == list(c["term"])
    np.testing.assert_allclose(res.params.to_numpy(), c["coef"], rtol=1e-6)
    assert res.loglik == pytest.approx(c["loglik"].iloc[0], rel=1e-9)
    assert res.loglik_null == pytest.approx(c["loglik_null"].iloc[0], rel=1e-9)
    # Model-based covariance, and the robust one of coxph(..., cluster = id).
    np.testing.assert_allclose(res.cov_params_naive_.to_numpy(), v["naive_var"], rtol=1e-6)
    np.testing.assert_allclose(res.cov_params().to_numpy(), v["robust_var"], rtol=1e-6)
    assert res.robust and res.diagnostics.ok
    assert res.n == c["n_subjects"].iloc[0] and res.n_events == c["n_events"].iloc[0]


@pytest.mark.parametrize("name", ["mgus2_pcm_age_sex_mspike", "mgus2_death_sex", "ties_cause2",
                                  "heavy_cause1", "heavy_cause2"])
def test_fine_gray_matches_cmprsk_crr(request, fg_reference, name):
    fixture, duration, cause, covariates = FG_MODELS[name]
    c, v = reference_model(fg_reference, name)
    data = request.getfixturevalue(fixture).dropna(subset=covariates)  # crr drops them first
    res = fit_fine_gray(data, cause=cause, covariates=covariates, duration=duration,
                        event="event", ties="breslow", censoring="crr", variance="fine_gray")
    # The issue asks for 1e-3; crr's own convergence (gtol 1e-6) limits agreement to ~1e-6.
    np.testing.assert_allclose(res.params.to_numpy(), c["crr_coef"], rtol=1e-5)
    # crr's variance, with the estimation of the censoring distribution.
    np.testing.assert_allclose(res.cov_params().to_numpy(), v["crr_var"], rtol=1e-5)
    # The default sandwich leaves that term out; on these data it changes little.
    plain = fit_fine_gray(data, cause=cause, covariates=covariates, duration=duration,
                          event="event", ties="breslow", censoring="crr")
    np.testing.assert_allclose(plain.bse.to_numpy(), res.bse.to_numpy(), rtol=1e-2)


def test_fine_gray_reproduces_the_compete_vignette(mgus2):
    # Published in survival's "compete" vignette: round(rbind(PCM = coef(fgfit2a),
    # death = coef(fgfit2b)), 3), and summary(fgfit1) for PCM ~ sex.
    pcm = fit_fine_gray(mgus2, cause="pcm", covariates=["age", "sex", "mspike"],
                        duration="etime")
    death = fit_fine_gray(mgus2, cause="death", covariates=["age", "sex", "mspike"],
                          duration="etime")
    np.testing.assert_array_equal(pcm.params.round(3).to_numpy(), [-0.017, -0.213, 0.888])
    np.testing.assert_array_equal(death.params.round(3).to_numpy(), [0.059, 0.369, -0.154])
    sex = fit_fine_gray(mgus2, cause="pcm", covariates=["sex"], duration="etime")
    assert round(float(sex.params.iloc[0]), 4) == -0.2290
    assert round(float(np.sqrt(sex.cov_params_naive_.iloc[0, 0])), 4) == 0.1866
    assert sex.n_events == 115
    assert round(2 * (sex.loglik - sex.loglik_null), 2) == 1.51


def test_formula_gives_the_same_fit_as_covariates(mgus2):
    by_list = fit_fine_gray(mgus2, cause="pcm", covariates=["age", "sex"], duration="etime")
    by_formula = fit_fine_gray(mgus2, cause="pcm", formula="~ age + C(sex)", duration="etime")
    np.testing.assert_allclose(by_formula.params.to_numpy(), by_list.params.to_numpy(),
                               rtol=1e-12)


def test_rows_with_missing_covariates_are_counted_and_still_inform_censoring(mgus2):
    res = fit_fine_gray(mgus2, cause="pcm", covariates=["mspike"], duration="etime")
    assert res.diagnostics.rows_dropped == mgus2["mspike"].isna().sum() == 11
    assert res.n == len(mgus2) - 11


def fail_on_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def test_no_events_of_the_cause_is_a_diagnostic_not_an_error(ties):
    no_charge = ties[ties["event"] != 1]
    res = fail_on_warnings(fit_fine_gray, no_charge, cause=1, covariates=["x1"], event="event")
    assert not res.diagnostics.converged and not res.diagnostics.ok
    assert "no events" in str(res.diagnostics)
    assert res.params.isna().all() and res.n_events == 0


def test_collinear_and_constant_covariates_are_dropped_and_named(ties):
    data = ties.assign(x1_twice=2 * ties["x1"] + 1, constant=1.0)
    res = fail_on_warnings(fit_fine_gray, data, cause=1, event="event",
                           covariates=["x1", "x1_twice", "constant", "x2"])
    assert res.diagnostics.collinear_dropped == ["x1_twice", "constant"]
    assert list(res.params.index) == ["x1", "x2"]
    alone = fit_fine_gray(ties, cause=1, covariates=["x1", "x2"], event="event")
    np.testing.assert_allclose(res.params.to_numpy(), alone.params.to_numpy(), rtol=1e-10)


@pytest.mark.parametrize("seed", [14, 24, 29, 34, 43, 146])
def test_a_small_forces_fit_says_what_is_wrong_without_warnings_or_errors(seed):
    # A small force's cases (60, few of the cause, a seven- and a five-level category, two
    # flags): levels with no event of the cause sent scipy's ill-conditioned warning to the
    # console, and seed 146 took steps whose score and information overflowed, then raised
    # "SVD did not converge". Such a step is halved now, like one that lowers the likelihood.
    rng = np.random.default_rng(seed)
    n = 60
    data = pd.DataFrame({
        "days": rng.integers(1, 400, n), "event": rng.choice([0, 1, 2], n, p=[.6, .15, .25]),
        "relationship": rng.choice(list("abcdefg"), n, p=[.4, .2, .15, .1, .07, .05, .03]),
        "age_band": rng.choice(list("vwxyz"), n), "flag_1": rng.integers(0, 2, n),
        "flag_2": rng.integers(0, 2, n)})
    res = fail_on_warnings(fit_fine_gray, data, cause=1, event="event",
                           covariates=["relationship", "age_band", "flag_1", "flag_2"])
    assert np.isfinite(res.loglik)
    if res.diagnostics.converged and not res.diagnostics.separation:
        assert np.isfinite(res.params).all()
    else:
        assert not res.diagnostics.ok


def test_separation_is_reported(ties):
    # Every case with the cause has the covariate and no other case has: the subdistribution
    # hazard ratio is infinite.
    data = ties.assign(marker=(ties["event"] == 1).astype(float))
    res = fail_on_warnings(fit_fine_gray, data, cause=1, covariates=["marker", "x1"],
                           event="event")
    assert res.diagnostics.separation == ["marker"]
    assert not res.diagnostics.ok


def test_fine_gray_input_errors(ties):
    with pytest.raises(ParameterError, match="exactly one"):
        fit_fine_gray(ties, cause=1, event="event")
    with pytest.raises(ParameterError, match="not in the frame"):
        fit_fine_gray(ties, cause=1, covariates=["x9"], event="event")
    with pytest.raises(ModelError, match="no covariates"):
        fit_fine_gray(ties, cause=1, covariates=[], event="event")
    with pytest.raises(ParameterError, match="ties"):
        fit_fine_gray(ties, cause=1, covariates=["x1"], event="event", ties="exact")


def test_fine_gray_runs_on_the_time_to_outcome_frame():
    rows = []
    for i in range(40):
        outcome = ["1", "16", "18", None][i % 4]
        day = f"2022-{1 + i % 12:02d}-{1 + i % 27:02d}"
        row = {"victim_age": 18 + i, "suspect_id": f"s{i}",
               "suspect_identified_date": "2022-01-01"}
        if outcome:
            row.update(outcome_code=outcome, outcome_date=day)
            if outcome == "1":
                row["charge_date"] = day
        rows.append(row)
    tte = time_to_outcome(make_cases(rows))
    res = fit_fine_gray(tte, cause="charge", covariates=["victim_age"])
    assert res.n == 40 and res.n_events == 10
    table = res.hazard_ratios()
    assert list(table["term"]) == ["victim_age"] and table["estimate"].iloc[0] > 0


def test_other_encodings_of_the_outcome_give_the_same_curves(ties):
    by_code = cumulative_incidence(ties, event="event", times=[30, 90])
    labelled = cumulative_incidence(ties, event="outcome", times=[30, 90])
    names = {1: "charge", 2: "victim_withdrawal", 3: "other"}
    np.testing.assert_array_equal(labelled["outcome"].unique(), sorted(names.values()))
    for code, name in names.items():
        np.testing.assert_array_equal(
            by_code.loc[by_code["outcome"] == code, "cif"].to_numpy(),
            labelled.loc[labelled["outcome"] == name, "cif"].to_numpy())
    # Nullable integer durations and a custom censoring code.
    custom = ties.assign(days=ties["days"].astype("Int64"), event=ties["event"].replace(0, -1))
    recoded = cumulative_incidence(custom, event="event", censored=-1, times=[30, 90])
    pd.testing.assert_frame_equal(recoded, by_code)
    # A True/False indicator is a single outcome; False is censored.
    flag = ties.assign(ended=ties["event"] == 1)
    single = cumulative_incidence(flag, event="ended", times=[30])
    assert list(single["outcome"]) == [1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 3)), min_size=1, max_size=40))
def test_incidences_add_up_to_one_minus_the_product_limit(rows):
    # The outcomes' cumulative incidences sum to the probability of any outcome, 1 - S(t),
    # with S the Kaplan–Meier of "no outcome yet", computed here the slow, obvious way.
    tte = pd.DataFrame(rows, columns=["days", "event"]).astype({"days": float})
    cif = cumulative_incidence(tte, event="event", times=np.arange(0, 13.0))
    for t in range(13):
        at_t = cif[cif["time"] == t]
        if at_t["cif"].isna().any():
            assert t > tte["days"].max()
            continue
        surv = 1.0
        for s in sorted(set(tte["days"])):
            if s <= t:
                at_risk = (tte["days"] >= s).sum()
                ended = ((tte["days"] == s) & (tte["event"] > 0)).sum()
                surv *= 1 - ended / at_risk
        assert at_t["cif"].sum() == pytest.approx(1 - surv, abs=1e-12)
        assert ((at_t["ci_low"] <= at_t["cif"] + 1e-15) & (at_t["cif"] <= at_t["ci_high"] + 1e-15)).all()


def test_censoring_variance_counts_rows_left_out_for_missing_covariates(mgus2):
    # G is estimated from all 1,384 cases, so all of them carry its variability.
    robust = fit_fine_gray(mgus2, cause="pcm", covariates=["age", "mspike"], duration="etime")
    full = fit_fine_gray(mgus2, cause="pcm", covariates=["age", "mspike"], duration="etime",
                         variance="fine_gray")
    np.testing.assert_array_equal(full.params.to_numpy(), robust.params.to_numpy())
    np.testing.assert_allclose(full.bse.to_numpy(), robust.bse.to_numpy(), rtol=0.02)
    assert not np.allclose(full.bse.to_numpy(), robust.bse.to_numpy(), rtol=1e-9, atol=0)


def test_a_misspelt_cause_is_an_error_not_a_fit_of_nothing(ties):
    # It used to return all-NaN estimates; an outcome simply absent stays a diagnostic (above).
    tte = ties
    assert "victim_withdrawal" in set(tte["outcome"])
    with pytest.raises(ParameterError, match="Did you mean victim_withdrawal"):
        fit_fine_gray(tte, cause="withdrawal", covariates=["x1"], event="outcome")
    fit = fit_fine_gray(tte, cause="victim_withdrawal", covariates=["x1"], event="outcome")
    assert fit.diagnostics.converged
    assert fit.n_events == int(tte["outcome"].eq("victim_withdrawal").sum())


def test_fine_gray_levels_are_compared_with_the_project_reference():
    rng = np.random.default_rng(5)
    n = 400
    frame = pd.DataFrame({
        "days": rng.exponential(100, n).round() + 1, "event": rng.integers(0, 3, n),
        "victim_ethnicity": rng.choice(["asian", "black", "white"], n)})
    table = fit_fine_gray(frame, cause=1, covariates=["victim_ethnicity"],
                          event="event").hazard_ratios().set_index("term")
    assert list(table.index) == ["victim_ethnicity[T.asian]", "victim_ethnicity[T.black]"]
    assert table["reference"].eq("against white").all()
    other = fit_fine_gray(frame, cause=1, covariates=["victim_ethnicity"], event="event",
                          reference={"victim_ethnicity": "asian"}).hazard_ratios()
    assert other["reference"].eq("against asian or Asian British").all()


def test_an_outcome_not_seen_yet_has_an_exact_upper_limit_not_a_zero_width_interval():
    """Before an outcome's first event its curve is 0; the log(-log) interval there has zero
    width ([0, 0], as cmprsk reports), which says the chance is exactly 0. The upper limit is
    the Clopper–Pearson one for no event among the cases still followed: the 97.5% quantile of
    Beta(1, n) (scipy's beta, an independent formula)."""
    from scipy.stats import beta

    tte = pd.DataFrame({
        "days": [2.0, 3.0, 3.0, 3.0, 5.0, 8.0, 8.0, 10.0],
        "outcome": ["charge", "charge", "victim_withdrawal", "censored", "charge",
                    "censored", "victim_withdrawal", "censored"],
    })
    cif = cumulative_incidence(tte, times=[0, 2.5, 3])
    withdrawal = cif[cif["outcome"] == "victim_withdrawal"].set_index("time")
    for day, n in ((0.0, 8), (2.5, 7)):  # no withdrawal yet; 8, then 7 cases still followed
        row = withdrawal.loc[day]
        assert row["cif"] == 0 and row["n_at_risk"] == n
        assert row["ci_low"] == 0
        assert row["ci_high"] == pytest.approx(beta.ppf(0.975, 1, n))
    # Once the outcome has been seen, the log(-log) interval as before (not this bound).
    seen = withdrawal.loc[3.0]
    assert 0 < seen["ci_low"] < seen["cif"] < seen["ci_high"] < 1
