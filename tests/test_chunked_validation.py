"""Validating a Parquet file in batches gives the one-shot result: same accepted rows, same
quarantine (rows, reasons, row numbers), same rule counts and notes, rows in = accepted +
quarantined — including the rules that need the whole file (duplicates across batches, the
wrong-format rule)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from soteria_research import read_cases
from soteria_research.data.chunked import read_cases_in_chunks
from soteria_research.errors import DataValidationError

CHUNK = 37  # small, so every rule's rows fall in several batches


@pytest.fixture(scope="module")
def messy_file(tmp_path_factory):
    """A small canonical file, as text, with known defects spread over the batches."""
    from soteria_research.data.synthetic import generate_cases

    cases = generate_cases(forces=["durham", "cumbria"], scale=0.05, seed=5).head(300)
    text = cases.astype(object).where(cases.notna(), None)
    for column in text.columns:
        if pd.api.types.is_datetime64_any_dtype(cases[column]):
            text[column] = cases[column].dt.strftime("%Y-%m-%d").where(cases[column].notna(), None)
        else:
            text[column] = text[column].map(lambda v: None if v is None else str(v))
    rows = text.to_dict("records")
    rows[5]["victim_age"] = "not an age"                    # bad_integer
    rows[6]["recorded_date"] = "31/02/2021"                 # unreadable date
    rows[50]["force"] = "atlantis"                          # unknown_code
    rows[80]["crime_ref"] = "  " + rows[81]["crime_ref"]     # conflicting duplicate (trimmed)
    rows.append(dict(rows[3]))                              # exact copy, far from its first
    rows.insert(120, {k: None for k in rows[0]})            # a wholly empty row
    rows[200]["suspect_id"] = "#N/A"                         # placeholder id
    rows[250]["report_date"] = "2099-01-01"                 # after the extract date
    frame = pd.DataFrame(rows, columns=list(text.columns))
    path = tmp_path_factory.mktemp("chunked") / "messy.parquet"
    frame.to_parquet(path, index=False)
    return path, frame


def test_batches_give_the_one_shot_result(messy_file):
    path, frame = messy_file
    whole, whole_report = read_cases(path)
    parts, parts_report = read_cases_in_chunks(path, chunk_rows=CHUNK)

    pd.testing.assert_frame_equal(parts, whole)
    pd.testing.assert_frame_equal(parts_report.quarantine, whole_report.quarantine)
    pd.testing.assert_frame_equal(parts_report.rule_counts, whole_report.rule_counts)
    assert parts_report.notes == whole_report.notes
    assert (parts_report.n_input, parts_report.n_valid, parts_report.n_quarantined) == (
        whole_report.n_input, whole_report.n_valid, whole_report.n_quarantined)
    # Counted by hand from the fixture: one empty row skipped, every other row in.
    assert parts_report.n_input == len(frame) - 1
    assert parts_report.n_input == len(parts) + len(parts_report.quarantine)
    assert any("wholly empty" in note for note in parts_report.notes)


def test_duplicates_are_found_across_batches(messy_file):
    path, frame = messy_file
    _, report = read_cases_in_chunks(path, chunk_rows=CHUNK)
    reasons = report.quarantine.set_index("source_row")["reasons"]
    # The copy of row 3 is the file's last row (in its own batch): only the later copy goes.
    last = len(frame) - 1
    assert reasons[last] == "duplicate_row(crime_ref)"
    assert 3 not in reasons.index
    # Rows 80 and 81 share a reference (once trimmed) with different contents: both go.
    assert "duplicate_crime_ref(crime_ref)" in reasons[80]
    assert "duplicate_crime_ref(crime_ref)" in reasons[81]


def test_streamed_batches_hold_every_accepted_row(messy_file):
    path, _ = messy_file
    whole, _ = read_cases(path)
    seen: list[pd.DataFrame] = []
    nothing, report = read_cases_in_chunks(path, chunk_rows=CHUNK, on_cases=seen.append)
    assert nothing is None
    assert len(seen) > 3
    pd.testing.assert_frame_equal(pd.concat(seen, ignore_index=True), whole)
    assert report.n_valid == len(whole)


def test_wrong_format_rule_sees_the_whole_file(tmp_path):
    """Every recorded date day-first: an error for the file, as in one go, even though no
    batch alone decides it; a few day-first dates among ISO ones: a note and their rows
    quarantined, as in one go, even when one batch holds nothing but them."""
    from soteria_research.data.synthetic import generate_cases

    cases = generate_cases(forces=["durham"], scale=0.05, seed=2).head(60)
    wrong = cases.copy()
    wrong["recorded_date"] = wrong["recorded_date"].dt.strftime("%d/%m/%Y")
    wrong.to_parquet(tmp_path / "wrong.parquet", index=False)
    with pytest.raises(DataValidationError, match="recorded_date") as one_go:
        read_cases(tmp_path / "wrong.parquet")
    with pytest.raises(DataValidationError, match="recorded_date") as batches:
        read_cases_in_chunks(tmp_path / "wrong.parquet", chunk_rows=7)
    assert str(batches.value) == str(one_go.value)

    mixed = cases.copy()
    mixed["recorded_date"] = mixed["recorded_date"].dt.strftime("%Y-%m-%d")
    day_first = np.arange(7)  # exactly the first batch of 7
    mixed.loc[day_first, "recorded_date"] = cases.loc[day_first, "recorded_date"].dt.strftime("%d/%m/%Y")
    mixed.to_parquet(tmp_path / "mixed.parquet", index=False)
    whole, whole_report = read_cases(tmp_path / "mixed.parquet")
    parts, parts_report = read_cases_in_chunks(tmp_path / "mixed.parquet", chunk_rows=7)
    assert parts_report.notes == whole_report.notes
    assert parts_report.n_quarantined == whole_report.n_quarantined >= 7
    pd.testing.assert_frame_equal(parts, whole)


def test_other_files_are_read_in_one_go(tmp_path):
    from soteria_research.settings import SAMPLE_CASES

    whole, whole_report = read_cases(SAMPLE_CASES)
    parts, parts_report = read_cases_in_chunks(SAMPLE_CASES, chunk_rows=10)  # a CSV
    pd.testing.assert_frame_equal(parts, whole)
    assert parts_report.n_input == whole_report.n_input
