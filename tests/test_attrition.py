"""Attrition: funnel, outcome mix, cohort rates and the outcome models, on hand-made cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from handmade_cases import make_cases
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from soteria_research.analysis import attrition
from soteria_research.analysis.attrition import STAGES, cohort_rates, funnel, outcome_mix
from soteria_research.errors import ModelError, ParameterError

SUSPECT = {"suspect_id": "s1", "suspect_identified_date": "2022-01-05"}
CHARGED = {**SUSPECT, "arrest_date": "2022-01-06", "file_to_cps_date": "2022-03-01",
           "charge_date": "2022-06-01", "outcome_code": "1", "outcome_date": "2022-06-01"}


@pytest.fixture
def cases() -> pd.DataFrame:
    return make_cases(
        [
            {},  # open, no suspect yet
            {**SUSPECT},  # open, suspect named
            {**SUSPECT, "interview_date": "2022-01-10"},  # open, interviewed
            {**CHARGED, "court_outcome": "convicted", "court_outcome_date": "2023-06-01"},
            {**CHARGED, "force": "durham", "court_outcome": "acquitted",
             "court_outcome_date": "2023-06-01"},
            # charged with no file-to-CPS or arrest date keyed in: still counts as referred
            {**SUSPECT, "charge_date": "2022-05-01", "outcome_code": "1A",
             "outcome_date": "2022-05-01", "force": "durham"},
            {**SUSPECT, "outcome_code": "16", "outcome_date": "2022-02-01", "force": "durham"},
            {"outcome_code": "18", "outcome_date": "2022-02-01", "relationship": "unknown"},
        ]
    )


# --------------------------------------------------------------------------------------------
# funnel
# --------------------------------------------------------------------------------------------
def test_funnel_counts_stages_cumulatively(cases):
    table = funnel(cases)
    assert table["stage"].tolist() == list(STAGES)
    # Counted by hand from the fixture above.
    assert table["n"].tolist() == [8, 6, 4, 3, 3, 1]
    assert table["share_of_recorded"].tolist() == pytest.approx([1, 6 / 8, 4 / 8, 3 / 8, 3 / 8,
                                                                 1 / 8])
    assert table["n_previous"].iloc[1:].tolist() == [8, 6, 4, 3, 3]
    assert pd.isna(table["n_previous"].iloc[0]) and np.isnan(table["share_of_previous"].iloc[0])


def test_funnel_is_a_snapshot_without_intervals(cases):
    # A share of the previous stage at the extract date is not a conversion rate: it has no
    # interval, and the frame says what it is.
    table = funnel(cases, by="force").dropna(subset=["share_of_previous"])
    assert not {"ci_low", "ci_high", "conversion"} & set(table.columns)
    assert np.allclose(table["share_of_previous"], table["n"] / table["n_previous"].astype(float))
    assert "extract date" in table.attrs["estimand"]


def test_funnel_by_groups_add_up_and_keep_missing_values(cases):
    cases.loc[0, "victim_ethnicity"] = np.nan
    whole = funnel(cases).set_index("stage")["n"]
    for by in ["force", ["force", "relationship"], "victim_ethnicity"]:
        parts = funnel(cases, by=by).groupby("stage")["n"].sum()
        assert parts.reindex(whole.index).equals(whole)
    assert funnel(cases, by="victim_ethnicity")["victim_ethnicity"].isna().any()


def test_funnel_rejects_unknown_by_column(cases):
    with pytest.raises(ParameterError, match="not_a_column"):
        funnel(cases, by="not_a_column")


STAGE_DATES = ["suspect_identified_date", "arrest_date", "interview_date", "file_to_cps_date",
               "charge_date"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(*[st.booleans()] * 6, st.sampled_from(["a", "b"])),
                min_size=1, max_size=25))
def test_funnel_counts_never_rise(rows):
    # Any pattern of stage dates, consistent or not: the cumulative funnel never rises.
    records = []
    for *present, group in rows:
        record = {column: "2022-02-01" for column, keep in zip(STAGE_DATES, present[:5]) if keep}
        record["court_outcome"] = "convicted" if present[5] else None
        record["relationship"] = group
        records.append(record)
    table = funnel(make_cases(records), by="relationship")
    steps = table.groupby("relationship")["n"].diff().dropna()
    assert (steps <= 0).all()
    assert table.loc[table["stage"] == "recorded", "n"].sum() == len(rows)
    assert table["share_of_previous"].dropna().between(0, 1).all()


# --------------------------------------------------------------------------------------------
# outcome mix
# --------------------------------------------------------------------------------------------
def test_outcome_mix_by_code_counts_every_case_with_open_its_own_row(cases):
    mix = outcome_mix(cases)
    assert mix["n"].sum() == len(cases)
    assert mix["share"].sum() == pytest.approx(1.0)
    assert mix["outcome_code"].tolist()[:-1] == ["1", "1A", "16", "18"]
    open_row = mix.iloc[-1]
    assert open_row["outcome_group"] == "open" and pd.isna(open_row["outcome_code"])
    assert open_row["n"] == 3
    low, high = proportion_confint(mix["n"], mix["n_total"], method="wilson")
    assert np.allclose(mix["ci_low"], low) and np.allclose(mix["ci_high"], high)


def test_outcome_mix_by_group_lists_every_group_for_every_force(cases):
    mix = outcome_mix(cases, by="force", detail="group")
    groups = ["charge", "victim_withdrawal", "evidential_difficulty", "no_suspect",
              "out_of_court", "prevented_or_npi", "transferred", "open"]
    for _, part in mix.groupby("force"):
        assert part["outcome_group"].tolist() == groups
        assert part["share"].sum() == pytest.approx(1.0)
    durham = mix[mix["force"].eq("durham")].set_index("outcome_group")["n"]
    assert durham["charge"] == 2 and durham["victim_withdrawal"] == 1 and durham["open"] == 0
    assert mix["n"].sum() == len(cases)


# --------------------------------------------------------------------------------------------
# cohort rates
# --------------------------------------------------------------------------------------------
@pytest.fixture
def cohorts() -> pd.DataFrame:
    # Extract 2024-01-01: quarters ending by 2023-01-01 have 365 days of follow-up.
    return make_cases(
        [
            {"recorded_date": "2022-10-01", "report_date": "2022-10-01", **SUSPECT,
             "suspect_identified_date": "2022-10-02", "outcome_code": "16",
             "outcome_date": "2022-11-01"},
            {"recorded_date": "2022-12-31", "report_date": "2022-12-31", **SUSPECT,
             "suspect_identified_date": "2023-01-01", "charge_date": "2023-12-30",
             "outcome_code": "1", "outcome_date": "2023-12-30"},  # charged on day 364
            {"recorded_date": "2022-11-15", "report_date": "2022-11-15", **SUSPECT,
             "suspect_identified_date": "2022-11-15", "charge_date": "2023-12-01",
             "outcome_code": "1", "outcome_date": "2023-12-01"},  # charged on day 381: late
            {"recorded_date": "2022-11-20", "report_date": "2022-11-20", "outcome_code": "20",
             "outcome_date": "2022-12-01"},
            {"recorded_date": "2023-01-01", "report_date": "2023-01-01"},  # 2023Q1: too recent
            {"recorded_date": "2023-09-01", "report_date": "2023-09-01", "outcome_code": "18",
             "outcome_date": "2023-09-02", "relationship": "unknown"},
        ]
    )


def test_cohort_rates_leave_out_cohorts_without_full_follow_up(cohorts):
    rates = cohort_rates(cohorts, within_days=365)
    assert rates["cohort"].unique().tolist() == ["2022Q4"]
    assert rates.attrs["excluded_cohorts"] == ["2023Q1", "2023Q3"]
    assert "2023Q1" in rates.attrs["note"]
    shares = rates.set_index("outcome")
    assert shares.loc["charge", "n"] == 1  # the day-381 charge is outside the window
    assert shares.loc["victim_withdrawal", "n"] == 1
    assert shares.loc["transferred", "n"] == 1
    assert shares.loc["open", "n"] == 1
    assert (shares["n_cohort"] == 4).all()
    assert shares["estimate"].sum() == pytest.approx(1.0)
    low, high = proportion_confint(rates["n"], rates["n_cohort"], method="wilson")
    assert np.allclose(rates["ci_low"], low) and np.allclose(rates["ci_high"], high)


def test_cohort_rates_shorter_window_and_months(cohorts):
    rates = cohort_rates(cohorts, within_days=90, freq="M")
    assert "2023-09" in rates["cohort"].tolist()  # 2023-09-30 + 90 days is before the extract
    assert rates.attrs["excluded_cohorts"] == []
    assert (rates.groupby("cohort")["estimate"].sum() - 1).abs().max() < 1e-12


def test_cohort_rates_reject_bad_parameters(cohorts):
    with pytest.raises(ParameterError, match="within_days"):
        cohort_rates(cohorts, within_days=0)
    with pytest.raises(ParameterError, match="freq"):
        cohort_rates(cohorts, freq="fortnightly")


def test_cohort_rates_with_nothing_complete_is_empty_and_says_so(cohorts):
    rates = cohort_rates(cohorts, within_days=5000)
    assert rates.empty
    assert rates.attrs["excluded_cohorts"] == ["2022Q4", "2023Q1", "2023Q3"]
    assert {"cohort", "outcome", "estimate", "ci_low", "ci_high", "n"} <= set(rates.columns)


# --------------------------------------------------------------------------------------------
# outcome models (data-independent behaviour; the synthetic checks are in test_attrition_synthetic)
# --------------------------------------------------------------------------------------------
def test_models_refuse_outcomes_nobody_had(cases):
    with pytest.raises(ModelError, match="needs both outcomes"):
        attrition.charge_model(cases.assign(extract_date=pd.Timestamp("2022-03-01")),
                               within_days=30)


def test_default_formula_names_covariates_known_at_recording():
    formula = attrition.default_formula("charge")
    assert formula.startswith("charge ~ relationship + offence_group")
    for term in ["non_recent", "victim_under_18", "domestic_abuse"]:
        assert term in formula
    # Dated after recording: a window model from recording must not use it.
    assert "device" not in formula


def test_predictive_benchmark_docstring_warns_against_scoring_cases():
    doc = " ".join(attrition.predictive_benchmark.__doc__.split())
    assert "never a tool to score individual cases" in doc


# --------------------------------------------------------------------------------------------
# stage conversion (the funnel's estimand with a window; hand counts from the fixture)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["cohort", "incidence"])
def test_stage_conversion_by_hand(cases, method):
    table = attrition.stage_conversion(cases, within_days=365, method=method)
    assert table["stage"].tolist() == list(STAGES)[1:]
    assert table["from_stage"].tolist() == list(STAGES)[:-1]
    # Everything was recorded on 2022-01-01 and is followed to 2024-01-01: no case is cut
    # short, so both methods count the same cases. The charge with no arrest or referral date
    # (case 5) reached both on its charge date. Case 3 was convicted 365 days after its charge
    # (inside the window); case 4 acquitted; case 5 is still waiting: not converted.
    assert table["n"].tolist() == [6, 4, 3, 3, 1]
    assert table["n_from"].tolist() == [8, 6, 4, 3, 3]
    assert np.allclose(table["estimate"], table["n"] / table["n_from"])
    if method == "cohort":
        low, high = proportion_confint(table["n"], table["n_from"], method="wilson")
        assert np.allclose(table["ci_low"], low) and np.allclose(table["ci_high"], high)


def test_stage_conversion_waits_for_the_window(cases):
    # Seen on 2022-12-31, charges (2022-05/06) have not had 365 days to reach a verdict: the
    # cohort method has nobody to judge and says nothing rather than "0% convicted".
    table = attrition.stage_conversion(cases, within_days=365, extract_date="2022-12-31")
    convicted = table.set_index("stage").loc["convicted"]
    assert convicted["n_from"] == 0 and np.isnan(convicted["estimate"])
    by_force = attrition.stage_conversion(cases, within_days=365, by="force")
    assert set(by_force["force"]) == {"avon_and_somerset", "durham"}
    with pytest.raises(ParameterError, match="method"):
        attrition.stage_conversion(cases, method="snapshot")


def test_stage_dates_fill_undated_stages_from_later_ones(cases):
    dates = attrition.stage_dates(cases)
    charged_only = dates.iloc[5]  # charged 2022-05-01 with no arrest or referral keyed in
    assert charged_only["arrested_or_interviewed"] == pd.Timestamp("2022-05-01")
    assert charged_only["referred_to_cps"] == pd.Timestamp("2022-05-01")
    assert dates.iloc[3]["convicted"] == pd.Timestamp("2023-06-01")
    assert pd.isna(dates.iloc[4]["convicted"])  # acquitted
    reached = attrition.funnel(cases).set_index("stage")["n"]
    assert (dates.notna().sum() == reached).all()


def test_cohort_rates_by_financial_year(cohorts):
    rates = cohort_rates(cohorts, within_days=365, freq="FY")
    # 2022/23 runs to 2023-03-31: not followed for a year by 2024-01-01; 2022-10..12 are in it.
    assert rates.empty and rates.attrs["excluded_cohorts"] == ["2022/23", "2023/24"]
    rates = cohort_rates(cohorts, within_days=90, freq="FY")
    assert rates["cohort"].unique().tolist() == ["2022/23"]
    assert rates["cohort_start"].iloc[0] == pd.Timestamp("2022-04-01")
    assert rates["cohort_end"].iloc[0] == pd.Timestamp("2023-03-31")


def test_outcome_mix_old_level_spelling_still_works_with_a_warning(cases):
    with pytest.warns(FutureWarning, match="detail"):
        old = outcome_mix(cases, level="group")
    pd.testing.assert_frame_equal(old, outcome_mix(cases, detail="group"))
    narrow = outcome_mix(cases, detail="group", level=0.5)
    assert (narrow["ci_high"] - narrow["ci_low"] < old["ci_high"] - old["ci_low"] + 1e-12).all()


def test_model_frame_window_from_a_later_event():
    frame_cases = make_cases([
        # request on day 31, withdrawal 30 days later: in the window from the request
        {"device_requested_date": "2022-02-01", "outcome_code": "16", "suspect_id": "s1",
         "suspect_identified_date": "2022-01-02", "outcome_date": "2022-03-03"},
        # request after the case had ended: not a request made while open
        {"device_requested_date": "2022-05-01", "outcome_code": "16", "suspect_id": "s2",
         "suspect_identified_date": "2022-01-02", "outcome_date": "2022-03-03"},
        # request too recent for a year of follow-up from it (extract 2024-01-01)
        {"device_requested_date": "2023-06-01"},
        {},  # no request
    ])
    frame = attrition.model_frame(frame_cases, within_days=365, start="device_requested_date")
    assert frame.index.tolist() == [0]
    assert frame["victim_withdrawal"].tolist() == [1] and frame["withdrawn"].tolist() == [1]
    assert frame.attrs["n_without_event"] == 2 and frame.attrs["n_short_follow_up"] == 1
    with pytest.raises(ParameterError, match="start="):
        attrition.model_frame(frame_cases, start="not_a_column")
