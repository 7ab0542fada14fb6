"""Export styles: differently shaped force exports, each read back exactly by its true mapping,
with the quarantine equal to the defects put in; and validate --mapping --write-canonical."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from soteria_research import read_cases
from soteria_research.cli import app
from soteria_research.data.synthetic import (
    EXPORT_STYLES,
    export_mapping,
    export_mapping_yaml,
    generate_cases,
    rms_export_mapping,
    to_export,
    to_rms_export,
    write_export,
)
from soteria_research.settings import SYNTHETIC_DIR

ONE_FORCE = dict(forces=["cumbria"], start="2023-01-01", end="2023-06-30", extract_date="2024-03-31")
STYLES = sorted(EXPORT_STYLES)


@pytest.fixture(scope="module")
def cases():
    return generate_cases(seed=21, **ONE_FORCE)


@pytest.fixture(scope="module")
def written(cases, tmp_path_factory):
    folder = tmp_path_factory.mktemp("styles")
    return {style: write_export(cases, folder / f"{style}.csv", style=style, seed=21) for style in STYLES}


def test_there_are_at_least_three_styles():
    assert len(EXPORT_STYLES) >= 3 and "rms-export" in EXPORT_STYLES


@pytest.mark.parametrize("style", STYLES)
def test_each_style_reads_back_to_its_cases_with_the_injected_defects_quarantined(style, cases, written):
    path, mapping, export = written[style]
    loaded, report = read_cases(path, mapping=mapping)
    assert report.n_input == len(export.frame)
    assert report.n_quarantined == export.defects["rows"].sum() > 0
    broken = export.defects.loc[export.defects["kind"] != "duplicate_row", "crime_ref"]
    assert set(report.quarantine["crime_ref"].dropna()) <= set(broken) | set(export.defects["crime_ref"])
    expected = cases[~cases["crime_ref"].isin(broken)].set_index("crime_ref").sort_index()
    got = loaded.set_index("crime_ref").sort_index()
    pd.testing.assert_frame_equal(got[expected.columns], expected)


@pytest.mark.parametrize("style", STYLES)
def test_each_defect_kind_is_what_quarantines_its_rows(style, written):
    _, _, export = written[style]
    path, mapping, _ = written[style]
    _, report = read_cases(path, mapping=mapping)
    reasons = report.quarantine.groupby("crime_ref")["reasons"].agg("; ".join)
    expected_rule = {"bad_date": "bad_date(recorded_date)", "unknown_offence_code": "unknown_code(offence_code)",
                     "outcome_19": "outcome_not_rasso(outcome_code)", "recorded_before_report": "date_order",
                     "conflicting_duplicate": "duplicate_crime_ref", "duplicate_row": "duplicate_row",
                     "unreadable_flag": "bad_boolean(domestic_abuse)"}
    for defect in export.defects.itertuples(index=False):
        if defect.kind == "placeholder_victim_id":  # its id is gone: find it by its reason alone
            assert "missing_required(victim_id)" in " ".join(report.quarantine["reasons"])
            continue
        assert expected_rule[defect.kind] in reasons[defect.crime_ref]


def test_the_styles_differ_as_real_exports_do(written):
    frames = {style: pd.read_csv(written[style][0], dtype=str, keep_default_na=False) for style in STYLES}
    rms, case_file, warehouse = frames["rms-export"], frames["case-file"], frames["warehouse"]
    # different headers for one field
    assert {"Date Recorded", "RECORDED_DTTM", "recordedTimestamp"} <= set(rms) | set(case_file) | set(warehouse)
    # a one-force file: no force and no extract-date column
    assert not {"force", "Force Name", "Extract Date", "extract_date"} & set(case_file)
    # dd/mm/yyyy dates, dd/mm/yyyy HH:MM date-times, ISO UTC date-times
    assert rms["Date Recorded"].str.fullmatch(r"\d\d/\d\d/\d{4}").mean() > 0.99
    assert case_file["RECORDED_DTTM"].str.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d").mean() > 0.99
    assert warehouse["recordedTimestamp"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").mean() > 0.99
    # flag words: Y/N, Y/blank, 1/0
    assert set(rms["DA Flag"]) == {"Y", "N"} and set(case_file["DOMESTIC_FLAG"]) == {"Y", ""}
    assert set(warehouse["isDomesticAbuse"]) == {"1", "0", "2"}  # 2: the injected unreadable flag
    # not known: N/K and '-' in the case file, 'Unknown' in the warehouse
    assert {"N/K"} <= set(case_file["SUSPECT_AGE"]) and "-" in set(case_file["SUSPECT_GENDER"])
    assert "Unknown" in set(warehouse["suspectAgeYears"])


def test_utc_times_are_read_as_uk_dates_not_utc_dates(cases, written):
    # Independently of the mapping code: some UTC times fall on the day before their UK date,
    # and the UK dates are the cases' dates.
    frame = pd.read_csv(written["warehouse"][0], dtype=str, keep_default_na=False)
    frame = frame.drop_duplicates("crimeReference", keep=False)
    stamps = pd.to_datetime(frame["reportedTimestamp"], utc=True)
    uk = stamps.dt.tz_convert("Europe/London").dt.tz_localize(None).dt.normalize()
    utc = stamps.dt.tz_localize(None).dt.normalize()
    assert (uk != utc).sum() > 0
    truth = cases.set_index("crime_ref")["report_date"]
    known = frame["crimeReference"].isin(truth.index)
    assert (uk[known].to_numpy() == truth[frame.loc[known, "crimeReference"]].to_numpy()).mean() > 0.99


def test_a_one_force_style_refuses_cases_of_two_forces():
    two = generate_cases(forces=["cumbria", "durham"], start="2023-01-01", end="2023-01-31", seed=1)
    with pytest.raises(Exception, match="one force"):
        to_export(two, "case-file")


def test_a_small_frame_has_no_defects_in_any_style(cases):
    for style in STYLES:
        export = to_export(cases.head(5), style)
        assert export.defects.empty and len(export.frame) == 5


def test_the_rms_names_still_work(cases):
    assert rms_export_mapping() == export_mapping("rms-export")
    pd.testing.assert_frame_equal(to_rms_export(cases, seed=3).frame, to_export(cases, "rms-export", seed=3).frame)


@pytest.mark.parametrize("style, stem", [("case-file", "case_file"), ("warehouse", "warehouse")])
def test_committed_style_samples_regenerate_byte_for_byte(tmp_path, style, stem):
    out, mapping = tmp_path / "export.csv", tmp_path / "mapping.yaml"
    args = ["generate", "--out", str(out), "--style", style, "--forces", "cumbria", "--start", "2023-01-01",
            "--end", "2023-03-31", "--extract-date", "2024-03-31", "--seed", "2024", "--mapping", str(mapping)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (SYNTHETIC_DIR / f"sample_{stem}_export.csv").read_bytes()
    assert mapping.read_text() == (SYNTHETIC_DIR / f"{stem}_export_mapping.yaml").read_text()


@pytest.mark.parametrize("args, phrase", [
    (["--style", "nope"], "--style must be 'canonical' or one of"),
    (["--style", "case-file", "--forces", "cumbria,durham"], "one force"),
    (["--start", "01/04/2019"], "--start '01/04/2019' is not a date in the form YYYY-MM-DD"),
    (["--extract-date", "now"], "--extract-date 'now' is not a date"),
])
def test_generate_mistakes_are_one_line_errors(tmp_path, args, phrase):
    base = ["generate", "--out", str(tmp_path / "x.csv"), "--start", "2023-01-01", "--end", "2023-01-31"]
    result = CliRunner().invoke(app, base + args)
    assert result.exit_code == 2 and phrase in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


# -- validate --mapping --write-canonical ---------------------------------------------------------
def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_validate_writes_the_canonical_cases_with_their_provenance(tmp_path, written, suffix):
    path, mapping, export = written["case-file"]
    out = tmp_path / f"cases{suffix}"
    result = CliRunner().invoke(app, ["validate", str(path), "--mapping", str(mapping),
                                      "--write-canonical", str(out)])
    assert result.exit_code == 1, result.output  # rows were quarantined
    expected, report = read_cases(path, mapping=mapping)
    again, again_report = read_cases(out)
    assert again_report.ok
    pd.testing.assert_frame_equal(again, expected)
    record = json.loads((tmp_path / f"cases{suffix}.provenance.json").read_text())
    assert record["export"]["sha256"] == _sha256(path)
    assert record["mapping"]["sha256"] == _sha256(mapping)
    assert record["output"]["sha256"] == _sha256(out)
    assert record["rows"] == {"read": len(export.frame), "accepted": len(expected),
                              "quarantined": int(export.defects["rows"].sum())}
    assert sum(r["rows"] for r in record["quarantine_reasons"]) >= record["rows"]["quarantined"]
    assert not any(str(v) in (tmp_path / f"cases{suffix}.provenance.json").read_text()
                   for v in expected["crime_ref"].head(20))  # counts, never values


@pytest.mark.parametrize("target, phrase", [
    ("EXPORT", "is also the input file"),
    ("MAPPING", "is also the input file"),
    ("cases.xlsx", "use a .parquet or .csv file name"),
    ("missing/cases.parquet", "does not exist"),
])
def test_write_canonical_refuses_to_overwrite_its_inputs_and_bad_names(tmp_path, written, target, phrase):
    path, mapping, _ = written["rms-export"]
    out = {"EXPORT": path, "MAPPING": mapping}.get(target, tmp_path / target)
    before = path.read_bytes()
    result = CliRunner().invoke(app, ["validate", str(path), "--mapping", str(mapping),
                                      "--write-canonical", str(out)])
    assert result.exit_code == 2 and phrase in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert path.read_bytes() == before


def test_validate_refuses_a_quarantine_file_that_is_the_export(written):
    path, mapping, _ = written["rms-export"]
    result = CliRunner().invoke(app, ["validate", str(path), "--mapping", str(mapping), "--quarantine", str(path)])
    assert result.exit_code == 2 and "is also the input file" in result.output


def test_validate_with_a_broken_mapping_is_a_one_line_error_naming_the_line(tmp_path, written):
    path, _, _ = written["rms-export"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  Crime Number: crime_number\n")
    result = CliRunner().invoke(app, ["validate", str(path), "--mapping", str(bad)])
    assert result.exit_code == 2 and "line 2" in result.output and "did you mean 'crime_ref'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_mapping_yaml_of_a_one_force_style_names_the_force_and_extract_date(cases):
    text = export_mapping_yaml("case-file", cases)
    assert "force: cumbria" in text and "extract_date: '2024-03-31'" in text


@pytest.mark.parametrize("style", STYLES)
def test_the_identifier_columns_of_each_style_come_from_its_mapping(style, written):
    from soteria_research.data.mapping import identifier_columns

    path, mapping, _ = written[style]
    headers = pd.read_csv(path, nrows=0).columns
    found = identifier_columns(mapping, headers)
    assert sorted(found.values()) == ["crime_ref", "officer_id", "suspect_id", "victim_id"]
    assert all(EXPORT_STYLES[style].columns[h] == f for h, f in found.items())
