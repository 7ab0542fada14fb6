"""Pillar measures (victim engagement, repeat suspects, digital forensics, caseload) by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from handmade_cases import make_cases
from statsmodels.stats.proportion import proportion_confint

from soteria_research.analysis import pillars
from soteria_research.data.synthetic import generate_cases
from soteria_research.errors import ParameterError


def _withdrawn(days: int, **extra) -> dict:
    date = (pd.Timestamp("2022-01-01") + pd.Timedelta(days=days)).date().isoformat()
    return {"suspect_id": "s9", "suspect_identified_date": "2022-01-01", "outcome_code": "16",
            "outcome_date": date, **extra}


@pytest.fixture
def cases() -> pd.DataFrame:
    return make_cases(
        [
            _withdrawn(0),
            _withdrawn(5, arrest_date="2022-01-03"),
            _withdrawn(20),
            _withdrawn(60, force="durham"),
            {"outcome_code": "14", "outcome_date": "2022-08-01", "relationship": "unknown"},  # 212
            {},  # open: not a withdrawal
            {"suspect_id": "s1", "suspect_identified_date": "2022-01-01", "charge_date": "2022-09-01",
             "outcome_code": "1", "outcome_date": "2022-09-01"},
        ]
    )


def test_withdrawal_timing_counts_from_the_report(cases):
    # the financial year 2021/22 (to 31 March 2022) has been followed for the 730 days of the
    # horizon on 30 March 2024: a later extract than the handmade one
    cases = cases.assign(extract_date=pd.Timestamp("2024-04-01"))
    table = pillars.withdrawal_timing(cases)
    assert table["within_days"].tolist() == [7, 30, 90]
    assert table["n"].tolist() == [2, 3, 4]
    assert (table["n_withdrawals"] == 5).all()
    low, high = proportion_confint(table["n"], table["n_withdrawals"], method="wilson")
    assert np.allclose(table["ci_low"], low) and np.allclose(table["ci_high"], high)
    by_force = pillars.withdrawal_timing(cases, by="force", within_days=(30,))
    assert by_force.set_index("force")["n_withdrawals"].to_dict() == {
        "avon_and_somerset": 4, "durham": 1}


def test_withdrawal_stage_uses_the_furthest_stage(cases):
    table = pillars.withdrawal_stage(cases).set_index("stage")
    # every stage a withdrawal can be at is listed, 0 where none was (issue 16, item 3)
    assert table["n"].to_dict() == {"recorded": 1, "suspect_identified": 3,
                                    "arrested_or_interviewed": 1, "referred_to_cps": 0}
    assert table.loc["recorded", "median_days"] == 212
    assert table["estimate"].sum() == pytest.approx(1.0)


@pytest.fixture
def suspects() -> pd.DataFrame:
    named = {"suspect_identified_date": "2022-01-01"}
    rows = [
        {"suspect_id": "s1", "recorded_date": "2021-01-01", "report_date": "2021-01-01",
         "suspect_identified_date": "2021-01-01", "outcome_code": "16",
         "outcome_date": "2021-02-01"},
        {"suspect_id": "s1", "recorded_date": "2021-06-01", "report_date": "2021-06-01",
         "suspect_identified_date": "2021-06-01", "outcome_code": "15",
         "outcome_date": "2021-09-01", "force": "durham"},
        {"suspect_id": "s1", **named},  # latest: open
        {"suspect_id": "s2", **named, "outcome_code": "16", "outcome_date": "2022-02-01"},
        {"suspect_id": "s3", "recorded_date": "2021-03-01", "report_date": "2021-03-01",
         "suspect_identified_date": "2021-03-01", "outcome_code": "16",
         "outcome_date": "2021-04-01"},
        {"suspect_id": "s3", **named},
        {"relationship": "unknown"},  # no suspect
    ]
    return make_cases(rows)


def test_repeat_suspects_share(suspects):
    table = pillars.repeat_suspects(suspects)
    row = table.iloc[0]
    assert (row["n"], row["n_suspects"], row["n_cases"], row["n_cases_repeat"]) == (2, 3, 6, 5)
    low, high = proportion_confint(2, 3, method="wilson")
    assert row["ci_low"] == pytest.approx(low) and row["ci_high"] == pytest.approx(high)
    # Within a force, s1's single Durham case does not make them a repeat suspect there.
    by_force = pillars.repeat_suspects(suspects, by="force").set_index("force")
    assert by_force.loc["durham", "n"] == 0 and by_force.loc["avon_and_somerset", "n"] == 2
    assert "suspect_id" not in table.columns


def test_earlier_allegation_outcomes(suspects):
    flags = pillars.earlier_allegations(suspects)
    assert flags.tolist() == [True, True, False, False, True, False, False]
    table = pillars.earlier_allegation_outcomes(suspects)
    earlier = table[table["allegation"] == "earlier"].set_index("outcome_group")
    assert earlier.loc["victim_withdrawal", "n"] == 2
    assert earlier.loc["evidential_difficulty", "n"] == 1
    assert earlier["n_total"].eq(3).all()
    other = table[table["allegation"] == "other"].set_index("outcome_group")
    assert other.loc["open", "n"] == 2 and other["n_total"].eq(3).all()


def test_earlier_allegation_outcomes_list_a_group_without_cases(suspects):
    # no suspect named twice: no earlier allegation. A missing "earlier" group would read as a
    # table of zeros, so it is listed with a total of 0 and no share.
    alone = suspects.assign(suspect_id=suspects["suspect_id"].where(
        suspects["suspect_id"].isna(), [f"x{i}" for i in range(len(suspects))]))
    assert not pillars.earlier_allegations(alone).any()
    table = pillars.earlier_allegation_outcomes(alone)
    earlier = table[table["allegation"] == "earlier"]
    assert set(earlier["outcome_group"]) == set(table.loc[table["allegation"] == "other",
                                                          "outcome_group"])
    assert len(earlier) == 8 and earlier[["n", "n_total"]].eq(0).all().all()
    assert earlier["estimate"].isna().all() and earlier["ci_low"].isna().all()
    other = table[table["allegation"] == "other"]
    assert other["n"].sum() == other["n_total"].iloc[0] == alone["suspect_id"].notna().sum()


def test_device_requests(cases):
    cases["device_requested_date"] = pd.to_datetime(
        ["2022-01-02", "2022-01-02", "2022-01-02", None, None, None, None])
    cases["device_returned_date"] = pd.to_datetime(
        ["2022-01-12", "2022-01-22", "2022-02-01", None, None, None, None])
    table = pillars.device_requests(cases).set_index("measure")
    # Every case has a year of follow-up (extract 2024-01-01); three had a request within it.
    assert table.loc["request_share", "n_events"] == 3 and table.loc["request_share", "n"] == 7
    # Every device came back: the Kaplan-Meier median is the plain median (20 days).
    assert table.loc["median_days_held", "estimate"] == 20
    assert table.loc["median_days_held", ["n", "n_events"]].tolist() == [3, 3]  # 3 returned
    # The window starts at the request, and only requests made while the case was open count:
    # case 0 had already ended (withdrawal on the recorded day) when its request came.
    assert table.loc["withdrawal_share_after_request", "n"] == 2
    assert table.loc["withdrawal_share_after_request", "n_events"] == 2
    # The hazard ratio rests on every case and every withdrawal (outcomes 14 and 16).
    assert table.loc["withdrawal_hazard_ratio", "n"] == 7
    assert table.loc["withdrawal_hazard_ratio", "n_events"] == 5
    assert "withdrawal_share_with_request" not in table.index


def test_device_hold_median_counts_devices_not_yet_returned():
    # Held 10, 20 days, and two still held after ~700 days: the median is not 15.
    cases = make_cases([
        {"device_requested_date": "2022-01-01", "device_returned_date": "2022-01-11"},
        {"device_requested_date": "2022-01-01", "device_returned_date": "2022-01-21"},
        {"device_requested_date": "2022-01-01"},
        {"device_requested_date": "2022-01-01"},
    ])
    table = pillars.device_requests(cases).set_index("measure")
    median = table.loc["median_days_held", "estimate"]
    assert np.isnan(median) or median > 20
    assert table.loc["median_days_held", ["n", "n_events"]].tolist() == [4, 2]  # returned: 2


def test_officer_caseload(cases):
    cases["officer_id"] = ["o1", "o1", "o1", "o2", "o2", "o3", "o3"]
    table = pillars.officer_caseload(cases).set_index("caseload")
    assert table.loc["all", "officers"] == 3 and table.loc["all", "cases"] == 7
    assert table.loc["all", "max"] == 3 and table.loc["all", "median"] == 2
    assert table.loc["open", "cases"] == 1 and table.loc["open", "max"] == 1
    assert "officer_id" not in table.columns


def test_pillars_run_on_synthetic_data_without_identifiers():
    cases = generate_cases(forces=["durham", "gwent"], scale=0.3, seed=2)
    identifiers = set(cases["suspect_id"].dropna()) | set(cases["officer_id"])
    for table in [pillars.withdrawal_timing(cases, by="force"),
                  pillars.withdrawal_stage(cases),
                  pillars.repeat_suspects(cases, by="force"),
                  pillars.earlier_allegation_outcomes(cases),
                  pillars.device_requests(cases, by="force"),
                  pillars.officer_caseload(cases, by="force")]:
        assert len(table) > 0
        values = set(table.select_dtypes(include="object").stack().astype(str))
        assert not values & identifiers
    shares = pillars.withdrawal_timing(cases)["estimate"]
    assert shares.is_monotonic_increasing


def test_withdrawal_timing_leaves_out_cases_not_followed_to_the_horizon(cases):
    # Reported 2023-06-01, withdrawn two days later: counting it (as every withdrawal "seen so
    # far" would) tilts the shares towards early withdrawal. On the extract date, 2024-10-18,
    # its financial year (2023/24, to 31 March 2024) has been followed for 201 days, 2021/22
    # for more than 730.
    recent = make_cases([_withdrawn(2, report_date="2023-06-01", recorded_date="2023-06-01",
                                    offence_start_date="2023-05-01")
                         | {"outcome_date": "2023-06-03"}])
    both = pd.concat([cases, recent], ignore_index=True).assign(
        extract_date=pd.Timestamp("2024-10-18"))
    table = pillars.withdrawal_timing(both, horizon_days=730)
    assert table["n"].tolist() == [2, 3, 4] and (table["n_withdrawals"] == 5).all()
    assert table["cohorts"].eq("2021/22").all()
    shorter = pillars.withdrawal_timing(both, within_days=(7,), horizon_days=200)
    assert shorter["n"].tolist() == [3] and shorter["n_withdrawals"].tolist() == [5]
    with pytest.raises(ParameterError, match="horizon_days"):
        pillars.withdrawal_timing(both, within_days=(7, 800), horizon_days=730)


def test_earlier_allegations_are_judged_within_the_same_window(suspects):
    # Within 60 days of recording: s1's earlier allegations ended in 31 and 92 days; s3's in 31.
    table = pillars.earlier_allegation_outcomes(suspects, within_days=60)
    earlier = table[table["allegation"] == "earlier"].set_index("outcome_group")
    assert earlier.loc["victim_withdrawal", "n"] == 2
    assert earlier.loc["evidential_difficulty", "n"] == 0 and earlier.loc["open", "n"] == 1
    assert earlier["n_total"].eq(3).all() and table["within_days"].eq(60).all()
