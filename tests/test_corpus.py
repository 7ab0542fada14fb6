"""A corpus of broken and awkward extracts: each file gets the result written for it by hand.

The files are in tests/corpus/ (made by make_corpus.py), the expected results in
tests/corpus/expectations.yaml. For every file that is read, rows in = accepted + quarantined.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
import yaml

from soteria_research import DataValidationError, read_cases
from soteria_research.data.spreadsheet_safe import FORMULA_STARTS

CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTATIONS = yaml.safe_load((CORPUS / "expectations.yaml").read_text(encoding="utf-8"))
READ = {name: spec for name, spec in EXPECTATIONS.items() if spec["expect"] != "error"}


def _read(name: str):
    spec = EXPECTATIONS[name]
    return read_cases(CORPUS / name, mapping=spec.get("mapping"), extract_date=spec.get("extract_date"),
                      sheet=spec.get("sheet"))


def test_the_corpus_is_large_and_every_file_has_an_expectation():
    files = {p.name for p in CORPUS.iterdir() if p.suffix not in (".py", ".yaml")}
    assert files == set(EXPECTATIONS)
    assert len(files) >= 60
    kinds = {spec["expect"] for spec in EXPECTATIONS.values()}
    assert kinds == {"accept", "quarantine", "error"}


@pytest.mark.parametrize("name", sorted(READ))
def test_rows_in_equal_accepted_plus_quarantined(name):
    cases, report = _read(name)
    spec = READ[name]
    assert report.n_input == spec["rows"], report.summary()
    assert report.n_input == report.n_valid + report.n_quarantined
    assert (len(cases), len(report.quarantine)) == (report.n_valid, report.n_quarantined)
    # A later exact copy of an accepted row is the only row both accepted and quarantined.
    quarantined = report.quarantine.loc[report.quarantine["reasons"] != "duplicate_row(crime_ref)"]
    if "crime_ref" in quarantined:
        assert set(cases["crime_ref"]).isdisjoint(quarantined["crime_ref"].dropna())


@pytest.mark.parametrize("name", sorted(READ))
def test_each_file_is_accepted_or_quarantined_as_expected(name):
    cases, report = _read(name)
    spec = READ[name]
    if spec["expect"] == "accept":
        assert report.ok, report.summary()
    else:
        assert report.n_quarantined == spec["quarantined"], report.summary()
        broken = {f"{r.rule}({r.column})" for r in report.rule_counts.itertuples()}
        assert broken == set(spec["reasons"]), report.summary()
        for reasons in report.quarantine["reasons"]:  # a rule of the whole row has no column
            assert any(reason.removesuffix("((row))") in reasons for reason in spec["reasons"])
    for phrase in spec.get("notes", []):
        assert any(phrase in note for note in report.notes), (phrase, report.notes)
    for check in spec.get("checks", []):
        row = cases.loc[cases["crime_ref"] == check["crime_ref"], check["column"]]
        assert len(row) == 1, f"{check['crime_ref']} not accepted"
        value = row.iloc[0]
        if check["value"] is None:
            assert pd.isna(value)
        elif isinstance(value, pd.Timestamp):
            assert value == pd.Timestamp(check["value"])
        else:
            assert value == check["value"]


@pytest.mark.parametrize("name", sorted(n for n, s in EXPECTATIONS.items() if s["expect"] == "error"))
def test_unusable_files_stop_with_the_expected_message(name):
    with pytest.raises(DataValidationError) as error:
        _read(name)
    message = str(error.value)
    assert EXPECTATIONS[name]["phrase"] in message
    assert str(CORPUS / name) in message  # says which file


def test_the_quarantine_csv_neutralises_formulas_from_the_extract(tmp_path):
    _, report = _read("formula_injection.csv")
    path = report.write_quarantine(tmp_path / "quarantine.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert "'=HYPERLINK(\"http://x.test\",\"CR\")" in cells
    assert "'=cmd|' /C calc'!A0" in cells
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]


def test_a_nul_byte_is_shown_not_written_into_the_quarantine(tmp_path):
    _, report = _read("nul_byte_in_id.csv")
    assert report.quarantine["crime_ref"].tolist() == ["CR-00\\x0002"]
    assert b"\x00" not in report.write_quarantine(tmp_path / "q.csv").read_bytes()


def test_the_quarantine_never_replaces_the_extract(tmp_path):
    extract = tmp_path / "cases.csv"
    extract.write_bytes((CORPUS / "bad_dates.csv").read_bytes())
    _, report = read_cases(extract)
    with pytest.raises(Exception, match="file that was validated"):
        report.write_quarantine(extract)
    assert extract.read_bytes() == (CORPUS / "bad_dates.csv").read_bytes()
