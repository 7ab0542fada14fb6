"""The time-to-event frame: censoring, event codes, clocks and covariates on hand-made cases."""

from __future__ import annotations

import pandas as pd
import pytest
from handmade_cases import make_cases

from soteria_research.analysis.timeline import time_to_outcome
from soteria_research.data.dictionary import load_dictionary
from soteria_research.errors import DataValidationError, ParameterError

SUSPECT = {"suspect_id": "s1", "suspect_identified_date": "2022-01-05"}


@pytest.fixture
def cases() -> pd.DataFrame:
    return make_cases(
        [
            {},  # open
            {**SUSPECT, "outcome_code": "1", "outcome_date": "2022-07-20", "charge_date": "2022-07-20"},
            {**SUSPECT, "outcome_code": "16", "outcome_date": "2022-01-08"},
            {**SUSPECT, "outcome_code": "15", "outcome_date": "2022-11-01"},
            {"outcome_code": "18", "outcome_date": "2022-03-01", "relationship": "unknown"},
            {**SUSPECT, "outcome_code": "8", "outcome_date": "2022-02-01"},
            {"outcome_code": "20", "outcome_date": "2022-01-31"},
            {"outcome_code": "14", "outcome_date": "2022-01-01"},  # same day as recorded
        ]
    )


def test_one_row_per_case_and_open_cases_kept(cases):
    tte = time_to_outcome(cases)
    assert len(tte) == len(cases)
    assert tte.index.equals(cases.index)
    open_row = tte.iloc[0]
    assert open_row["outcome_group"] == "open"
    assert open_row["event"] == 0 and open_row["outcome"] == "censored"
    # Censored at the extract date (2024-01-01), counted from the recorded date.
    assert open_row["days"] == (pd.Timestamp("2024-01-01") - pd.Timestamp("2022-01-01")).days


def test_event_codes_follow_the_dictionary_order(cases):
    tte = time_to_outcome(cases)
    risks = load_dictionary().competing_risks
    expected_outcomes = ["censored", "charge", "victim_withdrawal", "evidential_difficulty",
                         "no_suspect", "other", "censored", "victim_withdrawal"]
    assert tte["outcome"].tolist() == expected_outcomes
    expected_events = [0 if o == "censored" else risks.index(o) + 1 for o in expected_outcomes]
    assert tte["event"].tolist() == expected_events
    assert tte["event"].dtype.kind == "i"


def test_transferred_is_censored_at_its_outcome_date(cases):
    row = time_to_outcome(cases).iloc[6]
    assert row["outcome_group"] == "transferred"
    assert row["event"] == 0
    assert row["days"] == 30.0


def test_day_zero_outcome_stays_zero(cases):
    row = time_to_outcome(cases).iloc[7]
    assert row["days"] == 0.0 and row["event"] == 2


def test_durations_are_floats_and_never_negative(cases):
    tte = time_to_outcome(cases)
    assert tte["days"].dtype == float
    assert (tte["days"] >= 0).all()


@pytest.mark.parametrize("origin, extra_days", [("recorded", 0), ("report", 0)])
def test_other_clocks_add_the_delay_before_recording(cases, origin, extra_days):
    recorded = time_to_outcome(cases)
    other = time_to_outcome(cases, origin=origin)
    assert (other["days"] - recorded["days"]).eq(extra_days).all()
    assert other.attrs["origin"] == origin


def test_offence_clock_is_refused_and_says_why(cases):
    # Neither at risk from the offence nor delayed entry at recording estimates time from the
    # offence (tests/test_estimands.py shows both biased); the error says so and what to do.
    with pytest.raises(ParameterError) as error:
        time_to_outcome(cases, origin="offence")
    message = str(error.value)
    assert "biased low" in message and "biased high" in message
    assert "origin='recorded'" in message and "report delay" in message


def test_report_origin_counts_from_report_date():
    cases = make_cases([{"report_date": "2021-12-20", "recorded_date": "2022-01-01",
                         "outcome_code": "14", "outcome_date": "2022-01-10"}])
    assert time_to_outcome(cases, origin="report")["days"].item() == 21.0
    assert time_to_outcome(cases)["days"].item() == 9.0


def test_earlier_extract_date_reopens_later_outcomes(cases):
    tte = time_to_outcome(cases, extract_date="2022-06-30")
    charge = tte.iloc[1]  # charged 2022-07-20, after the as-of date
    assert charge["outcome_group"] == "open" and charge["event"] == 0
    assert charge["days"] == (pd.Timestamp("2022-06-30") - pd.Timestamp("2022-01-01")).days
    assert tte.iloc[2]["event"] == 2  # withdrawal on 2022-01-08 is already known


def test_extract_date_before_recording_is_refused(cases):
    with pytest.raises(ParameterError, match="recorded after"):
        time_to_outcome(cases, extract_date="2021-06-30")


def test_covariates_are_carried_along_and_nothing_dated_later(cases):
    cases.loc[3, "device_requested_date"] = pd.Timestamp("2022-02-01")
    tte = time_to_outcome(cases)
    for column in ["force", "offence_group", "victim_age", "victim_sex", "victim_ethnicity",
                   "victim_mental_health", "victim_disability", "victim_substance_use",
                   "relationship", "domestic_abuse", "third_party_report", "recorded_date"]:
        assert tte[column].equals(cases[column]), column
    assert tte["report_delay_days"].eq(31.0).all()
    assert tte["financial_year"].eq("2021/22").all()  # recorded 2022-01-01
    # A device request comes during the investigation: never a baseline covariate here.
    assert not any(column.startswith("device") for column in tte.columns)


def test_bad_origin_and_bad_frames_raise_project_errors(cases):
    with pytest.raises(ParameterError, match="origin"):
        time_to_outcome(cases, origin="charge")
    with pytest.raises(DataValidationError, match="outcome_date"):
        time_to_outcome(cases.drop(columns="outcome_date"))
    with pytest.raises(ParameterError, match="not a date"):
        time_to_outcome(cases, extract_date="yesterday-ish")


def test_works_on_frames_from_validate_cases():
    from case_factory import valid_cases

    from soteria_research.data.ingest import validate_cases

    cases, report = validate_cases(valid_cases())
    tte = time_to_outcome(cases)
    assert len(tte) == report.n_valid == 4
    assert tte["outcome"].tolist() == ["charge", "censored", "victim_withdrawal",
                                       "evidential_difficulty"]
    # The open case is censored at the extract date (2024-03-31), recorded 2022-05-04.
    assert tte["days"].iloc[1] == (pd.Timestamp("2024-03-31") - pd.Timestamp("2022-05-04")).days


def test_extract_date_after_the_data_is_refused(cases):
    # Censoring later than the extract would invent follow-up nobody observed.
    with pytest.raises(ParameterError, match="after the data's own extract date"):
        time_to_outcome(cases, extract_date="2025-01-01")


# --------------------------------------------------------------------------------------------
# Financial-year cohorts and time to outcome per cohort
# --------------------------------------------------------------------------------------------
def test_financial_years_run_april_to_march():
    from soteria_research.analysis.timeline import financial_year, financial_year_bounds

    dates = pd.Series(pd.to_datetime(["2019-04-01", "2020-03-31", "2020-04-01", "2000-01-15"]))
    assert financial_year(dates).tolist() == ["2019/20", "2019/20", "2020/21", "1999/00"]
    assert financial_year_bounds("1999/00") == (pd.Timestamp("1999-04-01"),
                                                pd.Timestamp("2000-03-31"))
    with pytest.raises(ParameterError, match="financial year"):
        financial_year_bounds("last year")


@pytest.fixture
def two_years() -> pd.DataFrame:
    # Extract 2024-01-01. 2021/22: four cases, all closed within 100 days; 2022/23: two.
    early = [{"recorded_date": d, "report_date": d, "outcome_code": code, "outcome_date": end,
              "suspect_id": "s", "suspect_identified_date": d}
             for d, code, end in [("2021-05-01", "1", "2021-06-01"),
                                  ("2021-06-01", "16", "2021-06-11"),
                                  ("2022-03-31", "16", "2022-04-10"),
                                  ("2021-12-01", "15", "2022-02-01")]]
    late = [{"recorded_date": "2023-03-01", "report_date": "2023-03-01"},
            {"recorded_date": "2022-04-01", "report_date": "2022-04-01", "outcome_code": "1",
             "outcome_date": "2022-05-01", "suspect_id": "t",
             "suspect_identified_date": "2022-04-01"}]
    return make_cases(early + late)


def test_cohort_table_and_the_latest_cohorts_followed_long_enough(two_years):
    from soteria_research.analysis.cohorts import cohort_table, describe_cohorts, latest_cohorts

    table = cohort_table(two_years).set_index("cohort")
    assert table["n"].to_dict() == {"2021/22": 4, "2022/23": 2}
    # Last case of 2021/22 recorded 2022-03-31: 641 days before the extract.
    assert table.loc["2021/22", "follow_up_days"] == 641
    assert latest_cohorts(two_years, horizon_days=365) == ["2021/22"]
    assert latest_cohorts(two_years, horizon_days=300, n=2) == ["2021/22", "2022/23"]
    assert latest_cohorts(two_years, horizon_days=700) == []
    assert describe_cohorts(["2022/23", "2021/22"]) == "2021/22 to 2022/23"
    assert describe_cohorts(["2019/20", "2021/22"]) == "2019/20, 2021/22"


def test_cohort_incidence_by_hand(two_years):
    from soteria_research.analysis.cohorts import cohort_incidence

    curve = cohort_incidence(two_years, times=[30, 365], cohorts=["2021/22"])
    at = curve.set_index(["outcome", "time"])["cif"]
    # 2021/22, no censoring before day 365: charged on day 31; withdrawals on days 10, 10.
    assert at[("charge", 30)] == 0 and at[("charge", 365)] == pytest.approx(0.25)
    assert at[("victim_withdrawal", 30)] == pytest.approx(0.5)
    assert at[("evidential_difficulty", 365)] == pytest.approx(0.25)
    assert curve["n_cohort"].eq(4).all() and curve["complete"].all()
    pooled = cohort_incidence(two_years, times=[365], pooled=True)
    assert pooled["cohort"].unique().tolist() == ["2021/22 to 2022/23"]
    assert not pooled["complete"].any()  # 2022/23 has cases followed less than 365 days
    with pytest.raises(ParameterError, match="not financial years"):
        cohort_incidence(two_years, cohorts=["2030/31"])
