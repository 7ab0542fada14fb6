"""Hand-made, valid case records for tests: each is a dict of text, as a CSV export holds them."""

from __future__ import annotations

import pandas as pd

BASE = {
    "crime_ref": "CR-0001",
    "force": "durham",
    "offence_code": "19C",
    "offence_start_date": "2022-05-01",
    "offence_end_date": "",
    "report_date": "2022-05-03",
    "recorded_date": "2022-05-04",
    "third_party_report": "false",
    "domestic_abuse": "true",
    "victim_id": "V-0001",
    "victim_age": "24",
    "victim_sex": "female",
    "victim_ethnicity": "white",
    "victim_mental_health": "false",
    "victim_disability": "false",
    "victim_substance_use": "false",
    "suspect_id": "S-0001",
    "suspect_age": "31",
    "suspect_sex": "male",
    "suspect_ethnicity": "white",
    "relationship": "partner_ex_partner",
    "suspect_identified_date": "2022-05-04",
    "arrest_date": "2022-05-10",
    "interview_date": "2022-05-11",
    "file_to_cps_date": "2022-09-01",
    "cps_decision_date": "2022-12-01",
    "cps_decision": "charge",
    "charge_date": "2022-12-05",
    "officer_id": "O-01",
    "device_requested_date": "2022-05-05",
    "device_returned_date": "2022-06-05",
    "outcome_code": "1",
    "outcome_date": "2022-12-05",
    "court_outcome": "convicted",
    "court_outcome_date": "2023-11-20",
    "extract_date": "2024-03-31",
}

OPEN = {
    "crime_ref": "CR-0002", "victim_id": "V-0002", "suspect_id": "S-0002",
    "file_to_cps_date": "", "cps_decision_date": "", "cps_decision": "", "charge_date": "",
    "outcome_code": "", "outcome_date": "", "court_outcome": "", "court_outcome_date": "",
    "device_requested_date": "", "device_returned_date": "",
}

WITHDRAWN_NO_SUSPECT = {
    "crime_ref": "CR-0003", "victim_id": "V-0003", "suspect_id": "", "suspect_age": "",
    "suspect_sex": "", "suspect_ethnicity": "", "relationship": "unknown",
    "suspect_identified_date": "", "arrest_date": "", "interview_date": "",
    "file_to_cps_date": "", "cps_decision_date": "", "cps_decision": "", "charge_date": "",
    "outcome_code": "14", "outcome_date": "2022-05-20", "court_outcome": "",
    "court_outcome_date": "", "domestic_abuse": "false",
}

EVIDENTIAL = {
    "crime_ref": "CR-0004", "victim_id": "V-0004", "suspect_id": "S-0004", "offence_code": "20A",
    "cps_decision": "no_further_action", "charge_date": "", "outcome_code": "15",
    "outcome_date": "2023-01-10", "court_outcome": "", "court_outcome_date": "",
}


def case(**overrides: str) -> dict:
    """One valid charged case, with fields replaced by `overrides`."""
    return {**BASE, **overrides}


def valid_cases() -> pd.DataFrame:
    """Four valid cases (charged, open, withdrawn without suspect, evidential difficulty), as text."""
    return pd.DataFrame([case(), case(**OPEN), case(**WITHDRAWN_NO_SUSPECT), case(**EVIDENTIAL)])
