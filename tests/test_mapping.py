"""Mapping files, format v2: what each key does to an export, and mistakes named by line."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pandas as pd
import pytest
import yaml
from case_factory import case, valid_cases

from soteria_research import read_cases, validate_cases
from soteria_research.data.date_formats import detect_date_format, format_problem, to_uk_dates
from soteria_research.data.mapping import (
    apply_mapping,
    date_formats_for,
    flag_words_for,
    load_mapping,
    mapping_fingerprint,
)
from soteria_research.data.mapping_schema import (
    MARKDOWN_FILE,
    SCHEMA_FILE,
    render_schema_json,
    render_schema_markdown,
)
from soteria_research.errors import MappingError
from soteria_research.settings import SYNTHETIC_DIR

# The committed rms-export mapping as it was written before format v2 (keys of version 1).
V1_MAPPING = """\
name: synthetic force RMS export
columns:
  CrimeNo: crime_ref
  Force: force
  DA_Flag: domestic_abuse
values:
  force: {Durham Constabulary: durham}
date_format: '%d/%m/%Y'
true_values:
- Y
- 'Yes'
false_values:
- N
- 'No'
drop:
- VictimName
"""


def _uk_export(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical text cases written the way the v1 test export was: UK dates, renamed columns."""
    out = frame.rename(columns={"crime_ref": "CrimeNo", "force": "Force", "domestic_abuse": "DA_Flag"})
    for column in out.columns:
        if column.endswith("_date"):
            out[column] = pd.to_datetime(out[column]).dt.strftime("%d/%m/%Y").fillna("")
    out["Force"] = "Durham Constabulary"
    out["DA_Flag"] = out["DA_Flag"].map({"true": "Yes", "false": "N"})
    out["VictimName"] = "Jane Doe"
    return out


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(mapping) -> str:
    with pytest.raises(MappingError) as error:
        load_mapping(mapping)
    return str(error.value)


# -- version 1 files ------------------------------------------------------------------------------
def test_a_version_1_file_still_loads_and_reads_its_export(tmp_path):
    mapping = _write(tmp_path, "v1.yaml", V1_MAPPING)
    spec = load_mapping(mapping)
    assert spec["mapping_version"] == 1
    assert flag_words_for(spec, "domestic_abuse") == ({"y", "yes"}, {"n", "no"})
    _uk_export(valid_cases()).to_csv(tmp_path / "export.csv", index=False)
    cases, report = read_cases(tmp_path / "export.csv", mapping=mapping)
    expected, _ = validate_cases(valid_cases())
    assert report.ok, report.summary()
    pd.testing.assert_frame_equal(cases, expected)


def test_yes_no_and_leading_zeros_stay_as_written_in_yaml(tmp_path):
    # YAML 1.1 would read Yes as true, N/No/off as booleans and 01 as the number 1.
    mapping = _write(tmp_path, "m.yaml", "true_values: [Yes, Y, on]\nfalse_values: [No, N, off]\n"
                                         "values:\n  outcome_code: {01: '1', OPEN: 0}\n")
    spec = load_mapping(mapping)
    assert spec["true_values"] == ["Yes", "Y", "on"] and spec["false_values"] == ["No", "N", "off"]
    assert spec["values"]["outcome_code"] == {"01": "1", "OPEN": "0"}


# -- mistakes: each names its line and the fix --------------------------------------------------
@pytest.mark.parametrize("text, line, phrase", [
    ("colums:\n  Crime Number: crime_ref\n", 1, "unknown key 'colums' (did you mean 'columns'?)"),
    ("columns:\n  Crime Number: crime_ref\nna_values: [N/K]\n", 3,
     "unknown key 'na_values' (did you mean 'missing_values'?)"),
    ("columns:\n  Date Recorded:\n    field: recorded_date\n    format: '%d/%m/%Y'\n", 4,
     "unknown key 'format' (did you mean 'date_format'?)"),
    ("constant:\n  force: cumbria\n", 1, "did you mean 'constants'?"),
])
def test_an_unknown_key_names_its_line_and_the_nearest_valid_key(tmp_path, text, line, phrase):
    message = _error(_write(tmp_path, "m.yaml", text))
    assert f"m.yaml: line {line} " in message and phrase in message
    assert "\n" not in message


@pytest.mark.parametrize("text, line, phrase", [
    ("drop: Victim Name\n", 1, "must be a list, not 'Victim Name'"),
    ("columns:\n  Sex: [victim_sex]\n", 2, "must be a field name or a column spec"),
    ("columns:\n  A: crime_ref\nmissing_values: {N/K: x}\n", 3, "must be a list, not a mapping"),
    ("sheet: [1, 2]\n", 1, "must be a text or a whole number"),
])
def test_a_value_of_the_wrong_type_names_its_line(tmp_path, text, line, phrase):
    message = _error(_write(tmp_path, "m.yaml", text))
    assert f"line {line} " in message and phrase in message


def test_a_rename_to_a_non_field_suggests_the_field_it_meant(tmp_path):
    message = _error(_write(tmp_path, "m.yaml", "columns:\n  Crime Number: crime_number\n"
                                                "  Outcome: outcome_group\n"))
    assert "line 2 " in message and "'crime_number' is not a field" in message
    assert "did you mean 'crime_ref'?" in message
    assert "line 3 " in message and "derived by the loader from outcome_code" in message


@pytest.mark.parametrize("fmt, phrase", [
    ("dd/mm/yyyy", "did you mean '%d/%m/%Y'?"),
    ("%d/%m", "has no year"),
    ("%Y-%m", "needs a month"),
])
def test_a_bad_date_format_is_named_with_its_line(tmp_path, fmt, phrase):
    message = _error(_write(tmp_path, "m.yaml", f"columns:\n  A: crime_ref\ndate_format: '{fmt}'\n"))
    assert "line 3 (date_format)" in message and phrase in message


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    text = ("colums: {}\ncolumns:\n  A: crime_ref\n  B: crime_ref\nconstants:\n  force: Cumbria\n"
            "values:\n  victim_sex: {F: femail}\n")
    message = _error(_write(tmp_path, "m.yaml", text))
    assert message.startswith(f"{tmp_path / 'm.yaml'}: 4 problems: ")
    for phrase in ["line 1 (colums)", "line 4 (columns > B): field 'crime_ref' is also given",
                   "line 6 (constants > force): 'Cumbria' is not a force code (did you mean 'cumbria'?)",
                   "line 8 (values > victim_sex > F): 'femail' is not a code of sexes (did you mean 'female'?)"]:
        assert phrase in message


def test_a_key_given_twice_is_an_error_naming_both_lines(tmp_path):
    message = _error(_write(tmp_path, "m.yaml", "columns:\n  A: crime_ref\n  A: force\n"))
    assert "line 3: columns > A is given twice (also on line 2)" in message


def test_flag_words_on_a_date_and_a_format_on_a_flag_are_refused():
    message = _error({"columns": {"A": {"field": "recorded_date", "true_values": ["Y"]},
                                  "B": {"field": "domestic_abuse", "date_format": "%d/%m/%Y"}}})
    assert "recorded_date holds date values, not yes/no" in message
    assert "domestic_abuse holds boolean values, not dates" in message


def test_unreadable_yaml_and_missing_file_are_mapping_errors(tmp_path):
    assert "line 2: not valid YAML" in _error(_write(tmp_path, "m.yaml", "columns:\n\tA: crime_ref\n"))
    assert "mapping file not found" in _error(tmp_path / "nope.yaml")


# -- what the keys do -------------------------------------------------------------------------------
def _one_force_export() -> pd.DataFrame:
    """Four valid cases as a one-force export: no force or extract column, UK dates and
    date-times, Y/blank flags, N/K and '-' for not known."""
    frame = valid_cases().drop(columns=["force", "extract_date"])
    for column in [c for c in frame.columns if c.endswith("_date")]:
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%d/%m/%Y").fillna("")
    frame["recorded_date"] = frame["recorded_date"] + " 23:15"
    for flag in ["third_party_report", "domestic_abuse", "victim_mental_health", "victim_disability",
                 "victim_substance_use"]:
        frame[flag] = frame[flag].map({"true": "Y", "false": ""})
    blank = frame["suspect_id"] == ""
    frame.loc[blank, ["suspect_id", "suspect_age"]] = ["-", "N/K"]
    frame["relationship"] = frame["relationship"].replace({"unknown": "N/K"})
    return frame


ONE_FORCE_MAPPING = {
    "mapping_version": 2,
    "constants": {"force": "durham", "extract_date": "2024-03-31"},
    "date_format": "%d/%m/%Y",
    "date_formats": {"recorded_date": "%d/%m/%Y %H:%M"},
    "missing_values": ["N/K", "-"],
    "columns": {name: {"field": name, "true_values": ["Y"], "false_values": [""]}
                for name in ["third_party_report", "domestic_abuse", "victim_mental_health",
                             "victim_disability", "victim_substance_use"]},
    "values": {"relationship": {"N/K": "unknown"}},
}


def test_a_one_force_export_reads_with_constants_date_times_blank_flags_and_tokens(tmp_path):
    _one_force_export().to_csv(tmp_path / "export.csv", index=False)
    cases, report = read_cases(tmp_path / "export.csv", mapping=ONE_FORCE_MAPPING)
    expected, _ = validate_cases(valid_cases())
    assert report.ok, report.summary()
    pd.testing.assert_frame_equal(cases, expected)


def test_without_the_blank_false_words_a_y_blank_flag_quarantines_its_rows(tmp_path):
    _one_force_export().to_csv(tmp_path / "export.csv", index=False)
    mapping = {k: v for k, v in ONE_FORCE_MAPPING.items() if k != "columns"}
    _, report = read_cases(tmp_path / "export.csv", mapping=mapping)
    assert report.n_quarantined == 4  # each case has a blank (false) flag somewhere
    assert "missing_required(domestic_abuse)" in " ".join(report.quarantine["reasons"])


def test_a_placeholder_id_is_missing_not_an_id_shared_by_its_cases():
    raw = pd.DataFrame({"Suspect": ["-", "-", "S-9"], "Age": ["N/K", "30", "n/k "]})
    spec = load_mapping({"columns": {"Suspect": "suspect_id", "Age": "suspect_age"},
                         "missing_values": ["-", "N/K"]})
    mapped = apply_mapping(raw, spec, "export.csv")
    assert mapped["suspect_id"].isna().tolist() == [True, True, False]
    assert mapped["suspect_age"].isna().tolist() == [True, False, True]


def test_a_recode_wins_over_a_missing_token_and_a_column_over_the_file():
    raw = pd.DataFrame({"Rel": ["N/K", "Stranger"], "Sex": ["Unknown", "F"], "Flag": ["-", "Y"]})
    spec = load_mapping({
        "missing_values": ["N/K", "Unknown", "-"],
        "columns": {"Rel": "relationship", "Sex": {"field": "victim_sex", "values": {"Unknown": "not_stated"}},
                    "Flag": {"field": "domestic_abuse", "false_values": ["-"]}},
        "values": {"relationship": {"N/K": "unknown", "Stranger": "stranger"}, "victim_sex": {"F": "female"}},
    })
    mapped = apply_mapping(raw, spec, "export.csv")
    assert mapped["relationship"].tolist() == ["unknown", "stranger"]
    assert mapped["victim_sex"].tolist() == ["not_stated", "female"]
    assert mapped["domestic_abuse"].tolist() == ["false", "Y"]


def test_a_utc_date_time_becomes_its_uk_calendar_date():
    # 23:30 UTC on 30 June is 00:30 on 1 July in British Summer Time; in December it is the same day.
    raw = pd.DataFrame({"recorded": ["2023-06-30T23:30:00Z", "2023-12-31T23:30:00Z", "2023-07-01T00:30:00+01:00"]})
    spec = load_mapping({"columns": {"recorded": {"field": "recorded_date",
                                                  "date_format": "%Y-%m-%dT%H:%M:%S%z"}}})
    mapped = apply_mapping(raw, spec, "export.csv")
    assert mapped["recorded_date"].tolist() == ["2023-07-01", "2023-12-31", "2023-07-01"]
    assert date_formats_for(spec, ["recorded_date"], default="") == {"recorded_date": "%Y-%m-%d"}


def test_a_list_of_formats_reads_a_column_of_dates_and_date_times():
    dates, bad = to_uk_dates(["01/02/2023", "01/02/2023 10:00", "2023-02-01"], ["%d/%m/%Y %H:%M", "%d/%m/%Y"])
    assert dates.tolist()[:2] == [dt.date(2023, 2, 1)] * 2 and bad.tolist() == [False, False, True]


def test_a_date_time_column_error_suggests_its_own_format_not_the_one_given(tmp_path):
    frame = valid_cases()
    frame["recorded_date"] = pd.to_datetime(frame["recorded_date"]).dt.strftime("%d/%m/%Y %H:%M")
    frame["report_date"] = pd.to_datetime(frame["report_date"]).dt.strftime("%d/%m/%Y")
    frame.to_csv(tmp_path / "export.csv", index=False)
    mapping = {"date_formats": {"recorded_date": "%d/%m/%Y", "report_date": "%d/%m/%Y"}}
    with pytest.raises(MappingError) as error:
        read_cases(tmp_path / "export.csv", mapping=mapping)
    message = str(error.value)
    assert "recorded_date" in message and 'set date_format: "%d/%m/%Y %H:%M"' in message
    assert 'set date_format: "%d/%m/%Y"' not in message


def test_a_mapped_column_missing_from_the_export_names_the_closest_header(tmp_path):
    path = _write(tmp_path, "m.yaml", "columns:\n  Crime No: crime_ref\n  Force Name: force\n")
    raw = pd.DataFrame({"Crime No": ["A"], "Force": ["durham"]})
    with pytest.raises(MappingError) as error:
        apply_mapping(raw, load_mapping(path), "export.csv")
    message = str(error.value)
    assert "has no column 'Force Name'" in message and "m.yaml line 3" in message
    assert "'Force'" in message and "constants: {force: CODE}" in message


def test_headers_match_ignoring_case_and_spaces_and_a_clash_is_an_error():
    raw = pd.DataFrame({" crime  no ": ["A"], "force": ["durham"], "Force Name": ["Durham"]})
    mapped = apply_mapping(raw, load_mapping({"columns": {"Crime No": "crime_ref"}}), "export.csv")
    assert "crime_ref" in mapped
    with pytest.raises(MappingError, match="also has a column named 'force'"):
        apply_mapping(raw, load_mapping({"columns": {"Force Name": "force"}}), "export.csv")


def test_a_constant_for_a_column_the_export_has_is_an_error_unless_it_holds_the_constant():
    spec = load_mapping({"constants": {"force": "durham"}})
    with pytest.raises(MappingError, match="remove the constant or drop the column"):
        apply_mapping(pd.DataFrame({"force": ["durham", "cumbria"]}), spec, "export.csv")
    assert apply_mapping(pd.DataFrame({"force": ["durham", ""]}), spec, "x.csv")["force"].tolist() == ["durham", ""]


def test_a_file_already_mapped_reads_again_with_its_mapping(tmp_path):
    # A pseudonymised export is in the dictionary's columns with the export's formats.
    _one_force_export().to_csv(tmp_path / "export.csv", index=False)
    spec = {**ONE_FORCE_MAPPING, "columns": {**ONE_FORCE_MAPPING["columns"], "Crime No": "crime_ref"}}
    frame = pd.read_csv(tmp_path / "export.csv", dtype=str, keep_default_na=False)
    mapped = apply_mapping(frame.rename(columns={"crime_ref": "Crime No"}), load_mapping(spec), "export.csv")
    mapped.to_csv(tmp_path / "mapped.csv", index=False)
    cases, report = read_cases(tmp_path / "mapped.csv", mapping=spec)
    expected, _ = validate_cases(valid_cases())
    assert report.ok, report.summary()
    pd.testing.assert_frame_equal(cases, expected)


def test_date_formats_for_follow_column_then_field_then_file_then_default():
    spec = load_mapping({"date_format": "%d/%m/%Y", "date_formats": {"report_date": "%Y%m%d"},
                         "columns": {"Rec": {"field": "recorded_date", "date_format": ["%d/%m/%Y %H:%M", "%d/%m/%Y"]}}})
    formats = date_formats_for(spec, ["recorded_date", "report_date", "charge_date"], default="%Y-%m-%d")
    assert formats == {"recorded_date": "%d/%m/%Y", "report_date": "%Y%m%d", "charge_date": "%d/%m/%Y"}
    assert date_formats_for({}, ["charge_date"], default="%Y-%m-%d") == {"charge_date": "%Y-%m-%d"}


def test_an_empty_key_is_as_if_absent_and_the_fingerprint_ignores_layout(tmp_path):
    one = _write(tmp_path, "one.yaml", "columns: {A: crime_ref}\ndrop:\n")
    two = _write(tmp_path, "two.yaml", "# a comment\ncolumns:\n  A:   crime_ref\n")
    assert mapping_fingerprint(one) == mapping_fingerprint(two)
    assert mapping_fingerprint(one) != mapping_fingerprint({"columns": {"A": "victim_id"}})


# -- dates ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("values, formats, ambiguous", [
    (["13/01/2023", "02/02/2023"], ["%d/%m/%Y"], False),     # a day above 12 comes first
    (["01/13/2023", "02/02/2023"], ["%m/%d/%Y"], False),     # a day above 12 comes second
    (["01/02/2023", "03/04/2023"], ["%d/%m/%Y"], True),      # nothing tells: UK, flagged
    (["2023-07-01T23:30:00Z"], ["%Y-%m-%dT%H:%M:%S%z"], False),
    (["31-Mar-2024"], ["%d-%b-%Y"], False),
])
def test_date_formats_are_recognised_from_values_day_or_month_first(values, formats, ambiguous):
    guess = detect_date_format(values)
    assert guess.formats == formats and guess.ambiguous == ambiguous


def test_a_format_problem_is_none_for_formats_python_reads():
    for fmt in ["%d/%m/%Y", "%Y-%m-%dT%H:%M:%S%z", "%d %B %Y", "%Y%m%d"]:
        assert format_problem(fmt) is None


# -- the schema --------------------------------------------------------------------------------------
def test_the_committed_schema_and_its_page_are_current():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render_schema_json(), "run `soteria mapping schema`"
    assert MARKDOWN_FILE.read_text(encoding="utf-8") == render_schema_markdown(), "run `soteria mapping schema`"


@pytest.mark.parametrize("name", ["rms_export_mapping.yaml", "case_file_export_mapping.yaml",
                                  "warehouse_export_mapping.yaml"])
def test_the_committed_mappings_are_valid_against_the_json_schema(name):
    # jsonschema itself (not our checks) is the oracle that the schema describes real files.
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    document = yaml.safe_load((SYNTHETIC_DIR / name).read_text(encoding="utf-8"))
    document = json.loads(json.dumps(document, default=str))  # YAML dates -> ISO text
    jsonschema.validate(document, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "colums": {}}, schema)


def test_the_schema_page_documents_every_key():
    page = MARKDOWN_FILE.read_text(encoding="utf-8")
    for key in json.loads(SCHEMA_FILE.read_text())["properties"]:
        assert f"| `{key}` |" in page


def test_a_case_with_a_blank_required_flag_still_needs_the_mapping_to_say_blank_is_false():
    frame = pd.DataFrame([case(domestic_abuse="")])
    _, report = validate_cases(frame)
    assert report.n_quarantined == 1


def test_the_example_mapping_in_the_guide_loads(tmp_path):
    guide = (SYNTHETIC_DIR.parent / "docs" / "bringing_your_own_data.md").read_text(encoding="utf-8")
    example = guide.split("## 2. The mapping format, by example")[1].split("```yaml\n")[1].split("```")[0]
    spec = load_mapping(_write(tmp_path, "example.yaml", example))
    assert spec["constants"] == {"force": "cumbria", "extract_date": "2024-03-31"}
    assert spec["columns"]["DOMESTIC_FLAG"]["false_values"] == [""]
    assert spec["values"]["victim_sex"]["Unknown"] == "not_stated" and "Unknown" in spec["missing_values"]
