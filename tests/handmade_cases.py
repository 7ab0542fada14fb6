"""Small hand-made canonical `cases` frames for unit tests of the analysis layer.

Dtypes follow the canonical contract: dates datetime64[ns], codes object, flags bool, ages Int64.
"""

from __future__ import annotations

import pandas as pd

from soteria_research.data.dictionary import load_dictionary

DEFAULTS = {
    "force": "avon_and_somerset",
    "offence_code": "19C",
    "offence_start_date": "2021-12-01",
    "report_date": "2022-01-01",
    "recorded_date": "2022-01-01",
    "third_party_report": False,
    "domestic_abuse": False,
    "victim_id": "v",
    "victim_age": 30,
    "victim_sex": "female",
    "victim_ethnicity": "white",
    "victim_mental_health": False,
    "victim_disability": False,
    "victim_substance_use": False,
    "relationship": "acquaintance_friend",
    "officer_id": "o1",
    "extract_date": "2024-01-01",
}


def make_cases(rows: list[dict]) -> pd.DataFrame:
    """Build a canonical cases frame from partial rows (unspecified fields take DEFAULTS)."""
    dictionary = load_dictionary()
    records = []
    for number, row in enumerate(rows):
        record = {**DEFAULTS, "crime_ref": f"c{number}", **row}
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    frame["offence_group"] = frame["offence_code"].map(dictionary.offence_group_map)
    codes = frame.get("outcome_code", pd.Series(pd.NA, index=frame.index))
    frame["outcome_group"] = codes.map(dictionary.outcome_group_map).fillna("open")
    for f in dictionary.fields:
        if f.name not in frame:
            frame[f.name] = pd.NA
        if f.type == "date":
            frame[f.name] = pd.to_datetime(frame[f.name]).astype("datetime64[ns]")
        elif f.type == "boolean":
            frame[f.name] = frame[f.name].fillna(False).astype(bool)
        elif f.type == "integer":
            frame[f.name] = frame[f.name].astype("Int64")
        else:
            frame[f.name] = frame[f.name].astype(object).where(frame[f.name].notna(), float("nan"))
    return frame[dictionary.field_names]
