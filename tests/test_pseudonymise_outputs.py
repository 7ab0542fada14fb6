"""What a pseudonymised file may hold: dictionary fields only, no original identifier value,
never written over an input or the key, never half written, safe to open in a spreadsheet.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pandas as pd
import pytest
from case_factory import case, valid_cases
from typer.testing import CliRunner

from soteria_research import DisclosureError, ParameterError
from soteria_research.cli import app
from soteria_research.data import synthetic
from soteria_research.data.dictionary import load_dictionary
from soteria_research.data.identifier_leaks import IdentifierValues, find_identifier_leaks
from soteria_research.data.mapping import apply_mapping, load_mapping
from soteria_research.data.pseudonymise import (
    identifier_kind,
    plan_columns,
    pseudonymise,
    pseudonymise_file,
)

CORPUS = pd.read_csv(Path(__file__).parent / "pseudonymise_data" / "export_columns.csv",
                     dtype=str, keep_default_na=False)
FIELDS = set(load_dictionary().field_names)
KEY = secrets.token_bytes(32)


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "soteria.key"
    path.write_text(secrets.token_hex(32) + "\n")
    return path


def _appears(value: str, text: str) -> bool:
    """``value`` in ``text`` as whole words (independent of the package's search)."""
    value = value.strip()
    return bool(value) and value in text and bool(
        re.search(rf"(?<![^\W_]){re.escape(value)}(?![^\W_])", text))


def _leaked(values, *texts: str) -> list[str]:
    return sorted({v for v in values for t in texts if _appears(str(v), t)})


# -- the allow-list ------------------------------------------------------------------------------

def test_the_corpus_is_a_real_spread_of_export_columns():
    assert len(CORPUS) >= 30 and CORPUS["column"].is_unique
    assert not set(CORPUS["column"]) & FIELDS


def test_no_export_column_survives_without_being_named(tmp_path):
    extract = valid_cases()
    for column, value in zip(CORPUS["column"], CORPUS["value"]):
        extract[column] = value
    extract.to_csv(tmp_path / "in.csv", index=False)
    record = pseudonymise_file(tmp_path / "in.csv", tmp_path / "out.csv", key=KEY)
    written = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert set(written.columns) <= FIELDS
    assert set(record["columns_dropped"]) == set(CORPUS["column"])
    text = (tmp_path / "out.csv").read_text()
    sidecar = (tmp_path / "out.csv.pseudonymisation.json").read_text()
    assert not _leaked(CORPUS["value"], text, sidecar)


def test_a_named_column_is_kept_and_reported(tmp_path, key_file):
    extract = valid_cases().assign(**{"Review Status": "Reviewed by DS"})
    extract.to_csv(tmp_path / "in.csv", index=False)
    result = CliRunner().invoke(app, ["pseudonymise", str(tmp_path / "in.csv"),
                                      str(tmp_path / "out.csv"), "--key-file", str(key_file),
                                      "--keep", "Review Status"])
    assert result.exit_code == 0, result.output
    assert "kept because named (--keep): Review Status" in result.output
    written = pd.read_csv(tmp_path / "out.csv", dtype=str)
    assert written["Review Status"].tolist() == ["Reviewed by DS"] * 4


@pytest.mark.parametrize("column", ["Nominal ID", "Victim Name", "LSOA", "Latitude",
                                    "Vehicle Registration", "Victim Initials", "School",
                                    "Free Text", "Victim DOB", "Phone Number", "IP Address"])
def test_a_column_named_like_a_direct_identifier_cannot_be_kept(column):
    with pytest.raises(ParameterError, match="direct identifier"):
        plan_columns(["crime_ref", "force", column], keep=[column])


def test_identifier_kinds_of_the_corpus_are_recognised():
    """The deny-list no longer decides what passes, but it decides what may be kept by name."""
    kinds = {c: identifier_kind(c) for c in CORPUS["column"]}
    must = ["Nominal ID", "Custody Ref", "Occurrence Number", "LSOA", "Latitude", "Longitude",
            "Vehicle Registration", "Victim Initials", "School", "Free Text", "OIC Notes",
            "Victim Postcode", "Victim DOB", "Email Address", "NHS Number"]
    assert not [c for c in must if kinds[c] is None]


def test_a_near_spelling_of_a_field_is_dropped_with_the_hint():
    plan = plan_columns(["crime_ref", "Victim ID"])
    assert "Victim ID" not in plan.columns
    assert plan.dropped["Victim ID"] == "reference number"
    plan = plan_columns(["crime_ref", "Victim Sex"])
    assert "like victim_sex" in plan.dropped["Victim Sex"]


# -- never an identifier passed through ----------------------------------------------------------

def _export_styles() -> list[str]:
    """Every style `soteria generate --style` writes with a mapping (the canonical one has none)."""
    registry = getattr(synthetic, "EXPORT_STYLES", None)
    return sorted(registry) if registry else ["rms-export"]


@pytest.fixture(params=_export_styles())
def export(request, tmp_path):
    path = tmp_path / f"{request.param}.csv"
    result = CliRunner().invoke(app, ["generate", "--style", request.param, "--out", str(path),
                                      "--forces", "cumbria", "--scale", "0.1", "--start",
                                      "2023-01-01", "--end", "2023-06-30", "--seed", "3",
                                      "--mapping", str(tmp_path / "mapping.yaml")])
    assert result.exit_code == 0, result.output
    return path, tmp_path / "mapping.yaml"


def _renamed(column: pd.Series, mapped: pd.DataFrame) -> bool:
    """Whether a mapped column is ``column`` renamed (and perhaps recoded one to one)."""
    if column.nunique() == 1:  # any two constant columns pair one to one: compare the value
        value = column.iloc[0].strip().lower()
        return any(mapped[c].astype(str).str.strip().str.lower().eq(value).all()
                   for c in mapped.columns)
    for other in mapped.columns:
        pairs = pd.DataFrame({"raw": column.to_numpy(), "new": mapped[other].astype(str).to_numpy()})
        if pairs.groupby("raw")["new"].nunique().max() == 1 and \
                pairs.groupby("new")["raw"].nunique().max() == 1:
            return True
    return False


def test_each_export_style_with_its_mapping_leaks_no_identifier(export, key_file):
    path, mapping = export
    out = path.with_name("out.csv")
    result = CliRunner().invoke(app, ["pseudonymise", str(path), str(out), "--mapping",
                                      str(mapping), "--key-file", str(key_file)])
    assert result.exit_code == 0, result.output
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    mapped = apply_mapping(raw, load_mapping(mapping), source=str(path))
    ids = load_dictionary().identifier_fields
    assert set(ids) <= set(mapped.columns)  # the style carries every identifier
    id_values = {v for v in mapped[ids].to_numpy().ravel() if isinstance(v, str)} - {""}
    dropped = [c for c in raw.columns if c not in mapped.columns and not _renamed(raw[c], mapped)]
    assert dropped  # each style carries columns that must not be written
    other_values = set(raw[dropped].to_numpy().ravel()) - {""}
    text, sidecar = out.read_text(), Path(f"{out}.pseudonymisation.json").read_text()
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    cells = set(written.to_numpy().ravel())
    assert not (id_values | other_values) & cells  # not one whole cell, of any length
    assert not _leaked([v for v in id_values | other_values if len(v) >= 5], text, sidecar)
    assert not _leaked(id_values, result.output)


def test_each_export_style_without_its_mapping_is_refused(export, key_file):
    path, _ = export
    out = path.with_name("out.csv")
    result = CliRunner().invoke(app, ["pseudonymise", str(path), str(out),
                                      "--key-file", str(key_file)])
    assert result.exit_code == 2
    assert "no identifier column recognised" in result.output and "--mapping" in result.output
    assert not out.exists()


def test_identifiers_named_on_the_command_line_are_hashed(tmp_path, key_file):
    extract = valid_cases().drop(columns=["crime_ref", "victim_id", "suspect_id", "officer_id"])
    extract["Occurrence Number"] = [f"OCC-{i:05d}" for i in range(4)]
    extract.to_csv(tmp_path / "in.csv", index=False)
    runner = CliRunner()
    args = ["pseudonymise", str(tmp_path / "in.csv"), str(tmp_path / "out.csv"),
            "--key-file", str(key_file)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "Occurrence Number" in refused.output
    named = runner.invoke(app, [*args, "--identifier", "Occurrence Number"])
    assert named.exit_code == 0, named.output
    written = pd.read_csv(tmp_path / "out.csv", dtype=str)
    assert written["Occurrence Number"].str.fullmatch(r"[0-9a-f]{20}").all()
    assert written["Occurrence Number"].nunique() == 4
    none = runner.invoke(app, [*args, "--no-identifiers"])
    assert none.exit_code == 0, none.output
    assert "Occurrence Number" not in pd.read_csv(tmp_path / "out.csv").columns


def test_no_identifiers_is_refused_when_identifiers_are_present():
    with pytest.raises(ParameterError, match="--no-identifiers"):
        plan_columns(["crime_ref", "force"], no_identifiers=True)


def test_an_identifier_inside_a_kept_column_stops_the_write(tmp_path, key_file):
    extract = valid_cases()
    extract["Linked Crimes"] = ["see CR-0002", "", "", "CR-0004 and CR-0001"]
    extract.to_csv(tmp_path / "in.csv", index=False)
    result = CliRunner().invoke(app, ["pseudonymise", str(tmp_path / "in.csv"),
                                      str(tmp_path / "out.csv"), "--key-file", str(key_file),
                                      "--keep", "Linked Crimes"])
    assert result.exit_code == 2
    assert "input column 'crime_ref' appears in output column 'Linked Crimes', row 1" \
        in result.output
    assert not _leaked(["CR-0001", "CR-0002", "CR-0004"], result.output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "soteria.key"]


def test_an_identifier_as_a_header_is_found_in_the_header_and_the_sidecar(tmp_path):
    header = valid_cases().assign(**{"V-0003": "x"})  # a victim id where a header belongs
    with pytest.raises(DisclosureError, match="appears in the header"):
        pseudonymise(header, key=KEY, keep=["V-0003"])
    header.to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(DisclosureError, match="appears in the sidecar"):  # listed as dropped
        pseudonymise_file(tmp_path / "in.csv", tmp_path / "out.csv", key=KEY)
    assert not (tmp_path / "out.csv").exists()


def test_coincidences_are_not_leaks():
    """A date of birth equal to an offence date, a 4-digit collar number equal to a year."""
    extract = pd.DataFrame([case(crime_ref=f"CR-{i}", officer_id="2022") for i in range(3)])
    extract["victim_dob"] = extract["offence_start_date"]
    out = pseudonymise(extract, key=KEY)
    assert out["offence_start_date"].tolist() == extract["offence_start_date"].tolist()


def test_dropped_notes_that_read_like_codes_or_wording_are_not_leaks(tmp_path):
    """Words of a dropped free-text column that also occur in typed fields or in the sidecar's
    own wording ("other", "partner" in partner_ex_partner, "person") do not stop the write."""
    extract = valid_cases()
    extract["Offence Description"] = ["Other", "partner", "person", "Fields kept"]
    extract["Victim DOB"] = ["03/05/2022 10:00", "", "", ""]  # equals a report date, as a date-time
    extract.to_csv(tmp_path / "in.csv", index=False)
    record = pseudonymise_file(tmp_path / "in.csv", tmp_path / "out.csv", key=KEY)
    assert record["rows"] == 4


def test_excel_whole_number_ids_are_the_same_ids_as_in_a_csv():
    as_text = pd.DataFrame({"crime_ref": ["123", "124"]})
    as_excel = pd.DataFrame({"crime_ref": [123.0, 124.0]}, dtype=object)
    assert pseudonymise(as_text, key=KEY)["crime_ref"].tolist() == \
        pseudonymise(as_excel, key=KEY)["crime_ref"].tolist()


def test_search_counts_whole_words_only():
    values = IdentifierValues()
    values.add("officer_id", pd.Series(["12345"]))
    pseudonym = "ab12345cd0123456789e"
    cells = pd.DataFrame({"officer_id": [pseudonym], "note": [pseudonym],
                          "text": ["ref:12345."]})
    leaks = find_identifier_leaks(values, cells, hashed=["officer_id"])
    assert [(leak.where, leak.row) for leak in leaks] == [("text", 0)]


# -- outputs -------------------------------------------------------------------------------------

def _cli(*args):
    return CliRunner().invoke(app, ["pseudonymise", *map(str, args)])


def test_output_over_the_input_is_refused_and_the_input_kept(tmp_path, key_file, monkeypatch):
    monkeypatch.chdir(tmp_path)
    valid_cases().to_csv("x.csv", index=False)
    before = Path("x.csv").read_bytes()
    for target in ("x.csv", "./x.csv", tmp_path / "x.csv"):
        result = _cli("x.csv", target, "--key-file", key_file)
        assert result.exit_code == 2 and "also the input" in result.output
    assert Path("x.csv").read_bytes() == before
    with pytest.raises(ParameterError, match="also an input"):
        pseudonymise_file("x.csv", "x.csv", key=KEY)
    assert Path("x.csv").read_bytes() == before


def test_output_over_the_key_file_or_mapping_is_refused(tmp_path, key_file, monkeypatch):
    monkeypatch.chdir(tmp_path)
    valid_cases().to_csv("x.csv", index=False)
    key_file.rename(tmp_path / "soteria.csv")  # a key file that looks like an output
    key, token = tmp_path / "soteria.csv", (tmp_path / "soteria.csv").read_text()
    result = _cli("x.csv", key, "--key-file", key)
    assert result.exit_code == 2 and "key file" in result.output
    monkeypatch.setenv("SOTERIA_KEY_FILE", str(key))
    assert _cli("x.csv", "soteria.csv").exit_code == 2
    assert key.read_text() == token
    with pytest.raises(ParameterError, match="also an input"):
        pseudonymise_file("x.csv", key, key=key)
    assert key.read_text() == token
    mapping = tmp_path / "m.csv"
    mapping.write_text("columns: {}\n")
    assert _cli("x.csv", mapping, "--mapping", mapping).exit_code == 2
    assert mapping.read_text() == "columns: {}\n"


def test_sidecar_over_the_input_is_refused(tmp_path, key_file, monkeypatch):
    monkeypatch.chdir(tmp_path)
    valid_cases().to_csv("out.csv.pseudonymisation.json", index=False)
    result = _cli("out.csv.pseudonymisation.json", "out.csv", "--key-file", key_file)
    assert result.exit_code == 2 and "also the input" in result.output


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    valid_cases().to_csv(tmp_path / "in.csv", index=False)
    (tmp_path / "out.parquet").write_bytes(b"previous output")

    def broken(*_, **__):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(OSError):
        pseudonymise_file(tmp_path / "in.csv", tmp_path / "out.parquet", key=KEY)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.parquet"]
    assert (tmp_path / "out.parquet").read_bytes() == b"previous output"


def test_formulas_are_neutralised_in_the_csv(tmp_path):
    extract = valid_cases()
    formula_header = "=cmd|' /C calc'!A0"
    extract["Review Status"] = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)"]
    extract[formula_header] = "plain"
    extract.to_csv(tmp_path / "in.csv", index=False)
    pseudonymise_file(tmp_path / "in.csv", tmp_path / "out.csv", key=KEY,
                      keep=["Review Status", formula_header])
    written = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert written["Review Status"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3",
                                                 "'@SUM(A1)"]
    assert "'" + formula_header in written.columns
    assert not [c for c in written.columns if c.startswith(("=", "+", "-", "@"))]


def test_a_pseudonymised_export_reads_without_its_mapping_and_keeps_every_row(export, key_file):
    """One mapping file: export -> pseudonymised canonical file -> the same rows accepted and
    quarantined as the export read through its mapping."""
    from soteria_research.data.ingest import read_cases

    path, mapping = export
    out = path.with_name("pseudonymised.csv")
    result = CliRunner().invoke(app, ["pseudonymise", str(path), str(out), "--mapping",
                                      str(mapping), "--key-file", str(key_file)])
    assert result.exit_code == 0, result.output
    original_cases, original = read_cases(path, mapping=mapping)
    cases, report = read_cases(out)  # canonical names and ISO dates: no mapping needed
    assert (report.n_input, report.n_valid, report.n_quarantined) == (
        original.n_input, original.n_valid, original.n_quarantined)
    assert cases["recorded_date"].tolist() == original_cases["recorded_date"].tolist()
    assert cases["outcome_group"].tolist() == original_cases["outcome_group"].tolist()
