"""The mapping assistant: suggest a mapping from an export, unaided, and check what one does."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from soteria_research import read_cases
from soteria_research.cli import app
from soteria_research.data.mapping import load_mapping
from soteria_research.data.mapping_assistant import check_mapping, suggest_mapping
from soteria_research.data.synthetic import (
    EXPORT_STYLES,
    export_mapping,
    generate_cases,
    to_export,
    write_export,
)

STYLES = sorted(EXPORT_STYLES)


@pytest.fixture(scope="module")
def cases():
    return generate_cases(forces=["cumbria"], start="2023-01-01", end="2023-06-30",
                          extract_date="2024-03-31", seed=8)


@pytest.fixture(scope="module")
def exports(cases, tmp_path_factory):
    # File names without a force in them: the assistant gets no hint from the name.
    folder = tmp_path_factory.mktemp("exports")
    return {style: write_export(cases, folder / f"extract_{i}.csv", style=style, seed=8)
            for i, style in enumerate(STYLES)}


def _true_fields(style: str, cases) -> dict[str, str | None]:
    """Each export column and the field its style's true mapping gives it (None: dropped)."""
    true = export_mapping(style, cases)
    fields = {c: (e if isinstance(e, str) else e["field"]) for c, e in true["columns"].items()}
    return fields | {c: None for c in true["drop"]}


@pytest.mark.parametrize("style", STYLES)
def test_suggest_gets_at_least_nine_in_ten_columns_right_unaided(style, cases, exports):
    path, _, _ = exports[style]
    truth = _true_fields(style, cases)
    suggested = {g.column: g.field for g in suggest_mapping(path).columns}
    assert set(suggested) == set(truth)
    right = sum(suggested[c] == truth[c] for c in truth)
    assert right / len(truth) >= 0.9, {c: (truth[c], suggested[c]) for c in truth if truth[c] != suggested[c]}


@pytest.mark.parametrize("style", STYLES)
def test_the_suggested_mapping_loads_and_reads_the_export_as_the_true_one_does(style, cases, exports):
    path, true_mapping, export = exports[style]
    suggestion = suggest_mapping(path)
    spec = dict(suggestion.mapping())
    assert spec["mapping_version"] == 2
    if "force" not in suggestion.mapped.values():  # what the analyst fills in for a one-force file
        assert any(line.startswith("force:") for line in suggestion.to_fill)
        spec["constants"] = {**spec.get("constants", {}), "force": "cumbria"}
    _, suggested = read_cases(path, mapping=spec, extract_date="2024-03-31")
    _, true = read_cases(path, mapping=true_mapping, extract_date="2024-03-31")
    assert suggested.n_quarantined == true.n_quarantined == export.defects["rows"].sum()


def test_every_guess_carries_a_confidence_and_its_evidence(exports):
    path, _, _ = exports["case-file"]
    suggestion = suggest_mapping(path)
    text = suggestion.to_yaml()
    for guess in suggestion.columns:
        assert 0 <= guess.confidence <= 1 and guess.evidence
    assert "# high confidence (1.00): header 'RECORDED_DTTM'" in text
    assert "day comes first" in text  # the dd/mm evidence
    assert 'date_format: "%d/%m/%Y %H:%M"' in text
    assert "CHECK: a blank is read as 'no'" in text  # Y/blank flags
    assert "N/K: unknown" in text  # the relationship's own word for unknown, not a missing value
    assert "missing_values:" in text and '"-"' in text


def test_what_cannot_be_guessed_is_listed_to_fill_in(exports):
    path, _, _ = exports["case-file"]
    text = suggest_mapping(path).to_yaml()
    fill = text.split("# TO FILL IN")[1]
    assert "force: no column holds the force" in fill and "extract_date" in fill


def test_the_constants_to_fill_in_come_as_a_block_to_uncomment(exports):
    # A one-force export has no force or extract-date column: the analyst uncomments the block
    # the assistant writes at the end, puts in the force's code and the export's date, and the
    # mapping reads the file (before, the hint said "add under constants:" and there was none).
    path, true_mapping, export = exports["case-file"]
    text = suggest_mapping(path).to_yaml()
    block = text.split("# Uncomment and fill in:\n")[1].splitlines()
    assert block[0] == "# constants:" and [b.split(":")[0] for b in block[1:]] == \
        ["#   force", "#   extract_date"]
    filled = text.replace("\n".join(block), "\n".join(line[2:] for line in block))
    filled = filled.replace("CODE", "cumbria").replace("YYYY-MM-DD", "2024-03-31")
    spec = load_mapping(__import__("yaml").safe_load(filled))
    assert spec["constants"] == {"force": "cumbria", "extract_date": "2024-03-31"}
    _, report = read_cases(path, mapping=spec)
    assert report.n_quarantined == export.defects["rows"].sum()


def test_the_force_of_a_one_force_file_can_come_from_its_name(cases, tmp_path):
    path, _, _ = write_export(cases, tmp_path / "Cumbria_RASSO_2023.csv", style="case-file", seed=8)
    suggestion = suggest_mapping(path)
    assert suggestion.constants["force"][0] == "cumbria"
    assert "CHECK" in suggestion.to_yaml()


def test_month_first_dates_are_recognised_and_written_as_such(cases):
    export = to_export(cases, "rms-export", seed=8).frame
    export["Date Recorded"] = pd.to_datetime(export["Date Recorded"], format="%d/%m/%Y",
                                             errors="coerce").dt.strftime("%m/%d/%Y").fillna("31/02/2023")
    guess = next(g for g in suggest_mapping(export, name="us.csv").columns if g.column == "Date Recorded")
    assert guess.field == "recorded_date" and guess.date_formats == ["%m/%d/%Y"]


def test_an_export_with_unknown_labels_lists_them_to_add(cases):
    export = to_export(cases, "rms-export", seed=8).frame
    export.loc[export.index[:3], "Relationship To Victim"] = "Carer (informal)"
    suggestion = suggest_mapping(export, name="x.csv")
    guess = next(g for g in suggestion.columns if g.field == "relationship")
    assert guess.unrecognised == {"Carer (informal)": 3}
    assert "values not recognised: 'Carer (informal)' (3)" in suggestion.to_yaml()


def test_the_suggested_yaml_is_valid_and_round_trips(exports):
    path, _, _ = exports["warehouse"]
    suggestion = suggest_mapping(path)
    assert load_mapping(suggestion.mapping()) == suggestion.mapping()
    assert suggestion.mapped["recordedTimestamp"] == "recorded_date"


# -- check ----------------------------------------------------------------------------------------
def test_check_shows_the_first_rows_before_and_after_and_the_quarantine(exports):
    path, mapping, export = exports["case-file"]
    result = check_mapping(path, mapping, rows=2)
    recorded = result.preview[result.preview["field"] == "recorded_date"]
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)["RECORDED_DTTM"].head(2)
    assert recorded["raw"].tolist() == raw.tolist()
    assert recorded["mapped"].tolist() == raw.str[:10].tolist()  # the UK date of a UK date-time
    assert result.report.n_quarantined == export.defects["rows"].sum()
    text = result.summary()
    assert "RECORDED_DTTM" in text and "first quarantined rows:" in text and "bad_date(recorded_date)" in text


def test_check_advises_a_format_for_unreadable_dates(cases, tmp_path):
    export = to_export(cases, "rms-export", seed=8).frame
    export.loc[export.index[:5], "Date Recorded"] = export.loc[export.index[:5], "Date Recorded"] + " 10:15"
    export.to_csv(tmp_path / "mixed.csv", index=False)
    result = check_mapping(tmp_path / "mixed.csv", export_mapping("rms-export"))
    assert any("%d/%m/%Y %H:%M" in advice and "Date Recorded" in advice for advice in result.advice)


# -- the command line -------------------------------------------------------------------------------
def test_cli_suggest_writes_a_mapping_and_refuses_to_overwrite_it(exports, tmp_path):
    path, _, _ = exports["rms-export"]
    out = tmp_path / "mapping.yaml"
    result = CliRunner().invoke(app, ["mapping", "suggest", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Date Recorded" in result.output and load_mapping(out)["columns"]
    out.write_text(out.read_text() + "# my edits\n")
    again = CliRunner().invoke(app, ["mapping", "suggest", str(path), "--out", str(out)])
    assert again.exit_code == 2 and "--overwrite" in again.output and "# my edits" in out.read_text()
    assert len(again.output.strip().splitlines()) == 1


def test_cli_suggest_prints_the_mapping_without_out(exports):
    path, _, _ = exports["warehouse"]
    result = CliRunner().invoke(app, ["mapping", "suggest", str(path)])
    assert result.exit_code == 0 and "mapping_version: 2" in result.stdout


@pytest.mark.parametrize("args, phrase", [
    (["suggest", "EXPORT", "--out", "EXPORT"], "is also the input file"),
    (["suggest", "nope.csv"], "no such file"),
    (["check", "EXPORT", "nope.yaml"], "mapping file not found"),
    (["check", "EXPORT", "MAPPING", "--rows", "0"], "--rows 0 is out of range"),
    (["check", "EXPORT", "MAPPING", "--extract-date", "31/03/2024"], "YYYY-MM-DD"),
])
def test_cli_mapping_mistakes_are_one_line_errors(exports, tmp_path, args, phrase):
    path, mapping, _ = exports["rms-export"]
    args = [{"EXPORT": str(path), "MAPPING": str(mapping)}.get(a, a) for a in args]
    args = [str(tmp_path / a) if a.startswith("nope") else a for a in args]
    result = CliRunner().invoke(app, ["mapping", *args])
    assert result.exit_code == 2 and phrase in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_cli_check_exit_codes_follow_the_quarantine(exports, cases, tmp_path):
    path, mapping, _ = exports["rms-export"]
    assert CliRunner().invoke(app, ["mapping", "check", str(path), str(mapping)]).exit_code == 1
    clean = tmp_path / "clean.csv"
    to_export(cases.head(10), "rms-export").frame.to_csv(clean, index=False)  # under 12 rows: no defects
    result = CliRunner().invoke(app, ["mapping", "check", str(clean), str(mapping)])
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  Crime Number: crime_ref\nconstants:\n  force: Cumbria\n")
    result = CliRunner().invoke(app, ["mapping", "check", str(clean), str(bad)])
    assert result.exit_code == 2 and "line 4" in result.output and "did you mean 'cumbria'" in result.output


def test_cli_mapping_schema_check_passes_on_the_committed_files():
    result = CliRunner().invoke(app, ["mapping", "schema", "--check"])
    assert result.exit_code == 0, result.output


def test_an_excel_export_with_date_cells_on_a_named_sheet(cases, tmp_path):
    export = to_export(cases, "rms-export", seed=8).frame
    for column in [c for c in export.columns if "Date" in c]:
        export[column] = pd.to_datetime(export[column], format="%d/%m/%Y", errors="coerce")
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as workbook:
        pd.DataFrame({"note": ["read me"]}).to_excel(workbook, sheet_name="Notes", index=False)
        export.to_excel(workbook, sheet_name="RASSO", index=False)
    suggestion = suggest_mapping(path, sheet="RASSO")
    assert suggestion.mapped["Date Recorded"] == "recorded_date"
    assert "the cells hold dates" in " ".join(next(g for g in suggestion.columns
                                                   if g.column == "Date Recorded").evidence)
    assert suggestion.mapping()["sheet"] == "RASSO"
