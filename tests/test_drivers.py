"""Driver models: both ratios with what they mean, one named reference per covariate across every
model, the proportional-hazards test, and outcome names from the data dictionary alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from worlds import simulate

from soteria_research.analysis import attrition, covariates, outcomes
from soteria_research.analysis.drivers import MEANING, driver_frame, drivers
from soteria_research.analysis.episodes import episodes
from soteria_research.analysis.survival import cause_specific, fit_cox, fit_fine_gray
from soteria_research.analysis.timeline import time_to_outcome
from soteria_research.data.dictionary import load_dictionary
from soteria_research.errors import ParameterError

EFFECTS = {"relationship[stranger]": {"charge": 0.3, "no_suspect": 1.5},
           "relationship[partner_ex_partner]": {"victim_withdrawal": 0.4},
           "under_18": {"charge": 0.4},
           "third_party_report": {"victim_withdrawal": 0.5}}


@pytest.fixture(scope="module")
def world():
    return simulate(12_000, seed=21, effects=EFFECTS, request_rate=1 / 200)


@pytest.fixture(scope="module")
def result(world):
    return drivers(world.cases)


def test_table_has_both_models_for_both_outcomes_with_what_they_mean(result):
    table = result.table
    assert list(table.columns) == ["outcome", "model", "term", "reference", "estimate",
                                   "ci_low", "ci_high", "p", "n", "n_events"]
    assert set(zip(table["outcome"], table["model"])) == {
        (o, m) for o in ("charge", "victim_withdrawal") for m in ("cause_specific", "fine_gray")}
    assert table["reference"].str.startswith(("against", "per")).all()
    assert result.meaning == MEANING
    # The request is time-varying, so only in the cause-specific models.
    device = table[table["term"].eq("device_requested")]
    assert set(device["model"]) == {"cause_specific"}
    assert any("cause-specific models only" in note for note in result.notes)
    assert table.attrs["df_resid"] > 0


def test_models_are_the_plain_fits_on_the_same_frames(world, result):
    frame = driver_frame(world.cases)
    split = episodes(world.cases, events={"device_requested": "device_requested_date"},
                     tte=frame)
    used = ["relationship", "offence_group", "domestic_abuse", "victim_mental_health",
            "third_party_report", "victim_age_band", "report_delay_band"]
    used = [c for c in used if frame[c].nunique() > 1]
    direct = cause_specific(split, "victim_withdrawal", covariates=[*used, "device_requested"])
    ours = result.table.query("outcome == 'victim_withdrawal' and model == 'cause_specific'")
    np.testing.assert_allclose(np.log(ours["estimate"].to_numpy()), direct.params.to_numpy(),
                               rtol=1e-10)
    fine_gray = fit_fine_gray(frame, cause="charge", covariates=used)
    ours = result.table.query("outcome == 'charge' and model == 'fine_gray'")
    np.testing.assert_allclose(np.log(ours["estimate"].to_numpy()), fine_gray.params.to_numpy(),
                               rtol=1e-10)


def test_counts_behind_each_term(world, result):
    table = result.table.set_index(["outcome", "model", "term"])
    frame = driver_frame(world.cases)
    stranger = frame["relationship"].eq("stranger")
    row = table.loc[("charge", "fine_gray", "relationship[T.stranger]")]
    assert row["n"] == stranger.sum()
    assert row["n_events"] == (stranger & frame["outcome"].eq("charge")).sum()
    # A time-varying term: cases that had the request while open; outcomes after it.
    requested = world.cases["device_requested_date"]
    split = episodes(world.cases, events={"device_requested": "device_requested_date"})
    after = split[split["device_requested"].eq(1)]
    row = table.loc[("victim_withdrawal", "cause_specific", "device_requested")]
    assert row["n"] == after["case"].nunique() <= requested.notna().sum()
    assert row["n_events"] == after["outcome"].eq("victim_withdrawal").sum()


def test_proportional_hazards_test_comes_with_the_model(result):
    ph = result.ph_tests
    assert set(ph["outcome"]) == {"charge", "victim_withdrawal"}
    assert ph.groupby("outcome")["term"].last().eq("GLOBAL").all()
    assert ph["p"].between(0, 1).all()
    fit = result.fits[("charge", "cause_specific")]
    direct = fit.check_proportional_hazards()
    np.testing.assert_allclose(ph.loc[ph["outcome"].eq("charge"), "chisq"], direct["chisq"])
    assert "proportional-hazards test" in result.ph_summary()


# --------------------------------------------------------------------------------------------
# Reference groups: one per covariate, the same in every model, settable, named
# --------------------------------------------------------------------------------------------
def test_every_model_compares_with_the_same_documented_reference(world):
    cases = world.cases.assign(victim_ethnicity=np.where(
        np.arange(len(world.cases)) % 3 == 0, "asian", "white"))
    tte = time_to_outcome(cases)
    terms = {
        "cause_specific": cause_specific(tte, "charge", covariates=["relationship",
                                                                     "victim_ethnicity"]),
        "fine_gray": fit_fine_gray(tte, cause="charge",
                                   covariates=["relationship", "victim_ethnicity"]),
        "formula": cause_specific(tte, "charge", formula="relationship + victim_ethnicity"),
    }
    for name, fit in terms.items():
        table = fit.hazard_ratios().set_index("term")
        # Not the alphabetical first ("asian"): white, as the logistic models use.
        assert "victim_ethnicity[T.asian]" in table.index, name
        assert table.loc["victim_ethnicity[T.asian]", "reference"] == "against white", name
        assert table.loc["relationship[T.stranger]", "reference"] == (
            "against acquaintance or friend"), name
    logistic = attrition.charge_model(cases, "charge ~ relationship + victim_ethnicity",
                                      cluster=None).odds_ratios().set_index("term")
    assert logistic.loc["victim_ethnicity[T.asian]", "reference"] == "against white"
    assert logistic.loc["relationship[T.stranger]", "reference"] == (
        "against acquaintance or friend")


def test_reference_is_settable_and_checked(world):
    tte = time_to_outcome(world.cases)
    fit = cause_specific(tte, "charge", covariates=["relationship"],
                         reference={"relationship": "stranger"})
    table = fit.hazard_ratios().set_index("term")
    assert list(table.index) == ["relationship[T.acquaintance_friend]",
                                 "relationship[T.partner_ex_partner]"]
    assert table["reference"].eq("against stranger").all()
    flipped = cause_specific(tte, "charge", covariates=["relationship"])
    assert table.loc["relationship[T.acquaintance_friend]", "estimate"] == pytest.approx(
        1 / flipped.hazard_ratios().set_index("term").loc["relationship[T.stranger]",
                                                          "estimate"], rel=1e-8)
    with pytest.raises(ParameterError, match="not a level"):
        cause_specific(tte, "charge", covariates=["relationship"],
                       reference={"relationship": "cousin"})
    result = drivers(world.cases, outcomes=["charge"], covariates=["relationship"],
                     time_varying={}, reference={"relationship": "partner_ex_partner"})
    assert result.table["reference"].eq("against partner or ex-partner").all()


def test_bands_are_documented_with_their_references():
    assert covariates.REFERENCE_LEVELS["victim_age_band"] == "25_39"
    assert covariates.REFERENCE_LEVELS["report_delay_band"] == "under_7_days"
    assert covariates.age_band(pd.Series([17, 18, 24, 25, 39, 40])).tolist() == [
        "under_18", "18_24", "18_24", "25_39", "25_39", "40_plus"]
    # A year or more is non-recent: the cut of the delay bands.
    assert covariates.delay_band(pd.Series([364, 365, 1824, 1825])).tolist() == [
        "7_to_364_days", "1_to_4_years", "1_to_4_years", "5_years_plus"]


# --------------------------------------------------------------------------------------------
# One outcome registry
# --------------------------------------------------------------------------------------------
def test_outcome_names_and_codes_come_from_the_dictionary():
    dictionary = load_dictionary()
    groups = dictionary.codelists["outcome_groups"]
    assert outcomes.competing_risks() == list(dict.fromkeys(
        r for r in groups["competing_risk"].dropna() if r != "censored"))
    codes = dictionary.outcome_codes
    for outcome in outcomes.competing_risks():
        members = groups.loc[groups["competing_risk"].eq(outcome), "code"]
        expected = codes.loc[codes["outcome_group"].isin(members), "code"].tolist()
        assert outcomes.outcome_codes(outcome) == expected
    frame = attrition.model_frame(simulate(2000, seed=1).cases)
    assert set(outcomes.competing_risks()) <= set(frame.columns)


@pytest.mark.parametrize("call", [
    lambda tte, cases: cause_specific(tte, "withdrawal", covariates=["relationship"]),
    lambda tte, cases: fit_fine_gray(tte, cause="withdrawal", covariates=["relationship"]),
    lambda tte, cases: drivers(cases, outcomes=["withdrawal"]),
    lambda tte, cases: attrition.outcome_model(cases, outcome="withdrawal"),
    lambda tte, cases: attrition.predictive_benchmark(cases, outcome="withdrawal"),
    lambda tte, cases: outcomes.outcome_codes("withdrawal"),
], ids=["cause_specific", "fine_gray", "drivers", "outcome_model", "predictive", "codes"])
def test_a_wrong_outcome_name_says_which_one_was_meant(call, world):
    tte = time_to_outcome(world.cases)
    with pytest.raises(ParameterError, match="Did you mean victim_withdrawal"):
        call(tte, world.cases)


def test_parameters_are_spelt_one_way():
    import inspect

    from soteria_research.analysis import cohorts, kaplan_meier, pillars

    for function in (attrition.outcome_mix, attrition.cohort_rates, attrition.stage_conversion,
                     pillars.withdrawal_timing, pillars.earlier_allegation_outcomes,
                     pillars.device_requests, cohorts.cohort_incidence, drivers,
                     kaplan_meier.kaplan_meier, attrition.predictive_benchmark):
        names = set(inspect.signature(function).parameters)
        assert "level" in names and "alpha" not in names, function.__name__
        assert not {"within", "window", "days"} & names, function.__name__
    assert "detail" in inspect.signature(attrition.outcome_mix).parameters
    with pytest.raises(ParameterError, match="level"):
        kaplan_meier.kaplan_meier(pd.DataFrame({"t": [1, 2], "e": [1, 0]}), duration="t",
                                  event="e", level=95)


def test_fit_cox_without_project_covariates_keeps_rs_alphabetical_default():
    data = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 0, 1, 1, 0, 1, 1],
                         "kind": list("bacbacba")})
    fit = fit_cox(data, duration="t", event="e", covariates=["kind"])
    assert list(fit.params.index) == ["kind[T.b]", "kind[T.c]"]
    assert fit.hazard_ratios()["reference"].eq("against a").all()


def test_a_cause_specific_fit_that_did_not_converge_is_a_note_not_a_ratio(world, monkeypatch):
    # A small force's categories with no event send a coefficient off: the fit stops "not
    # converged" (it used to raise), and where it stopped is no estimate. As for Fine-Gray,
    # the table leaves the model out and the notes say why. Forced here with one iteration.
    import functools

    from soteria_research.analysis import drivers as module

    monkeypatch.setattr(module, "fit_cox", functools.partial(fit_cox, max_iter=1))
    small = world.cases.sample(2_000, random_state=1)
    result = drivers(small, outcomes=("charge",), models=("cause_specific",))
    assert ("charge", "cause_specific") not in result.fits
    assert result.table.empty or not result.table["model"].eq("cause_specific").any()
    assert any(note.startswith("charge (cause-specific): ") and "converg" in note
               for note in result.notes)
