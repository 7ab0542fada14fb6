"""The foundation: the dictionary is the single source of truth, settings, the CLI, the layout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from case_factory import case, valid_cases
from typer.testing import CliRunner

from soteria_research import ParameterError, get_settings
from soteria_research.cli import app
from soteria_research.data.dictionary import load_dictionary, render_dictionary_markdown

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_committed_dictionary_markdown_is_not_stale():
    committed = (ROOT / "data_dictionaries" / "README.md").read_text(encoding="utf-8")
    assert committed == render_dictionary_markdown(), "run `soteria dictionary` and commit the result"


def test_dictionary_covers_the_domain():
    dd = load_dictionary()
    assert len(dd.forces) == 43 and dd.forces["code"].is_unique
    assert dd.forces.set_index("code").loc["city_of_london", "population_2011"] == 7375
    groups = dd.outcome_group_map
    assert groups["1A"] == "charge" and groups["16"] == "victim_withdrawal" and groups["14"] == "victim_withdrawal"
    assert groups["15"] == "evidential_difficulty" and groups["18"] == "no_suspect" and groups["20"] == "transferred"
    assert dd.competing_risks == ["charge", "victim_withdrawal", "evidential_difficulty", "no_suspect", "other"]
    assert dd.competing_risk_map["transferred"] == "censored"
    for name in ("crime_ref", "offence_end_date", "suspect_id", "device_returned_date",
                 "court_outcome", "officer_id", "extract_date", "cps_decision"):
        assert name in dd.field_names
    assert set(dd.identifier_fields) == {"crime_ref", "victim_id", "suspect_id", "officer_id"}
    major, minor, patch = (int(part) for part in dd.version.split("."))


def test_settings_come_from_environment_then_dotenv(tmp_path, monkeypatch):
    monkeypatch.delenv("SOTERIA_DISCLOSURE", raising=False)
    monkeypatch.delenv("SOTERIA_OUTPUT_DIR", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("SOTERIA_DISCLOSURE=partner\nSOTERIA_OUTPUT_DIR=/srv/out\n")
    assert get_settings(env_file).disclosure == "partner"
    assert get_settings(env_file).output_dir == Path("/srv/out")
    monkeypatch.setenv("SOTERIA_DISCLOSURE", "internal")
    assert get_settings(env_file).disclosure == "internal"
    monkeypatch.setenv("SOTERIA_DISCLOSURE", "everything")
    with pytest.raises(ParameterError, match="publication"):
        get_settings(env_file)


def test_default_settings_point_at_the_synthetic_data(monkeypatch):
    for var in ("SOTERIA_DATA_DIR", "SOTERIA_DISCLOSURE"):
        monkeypatch.delenv(var, raising=False)
    settings = get_settings(None)
    assert settings.data_dir == ROOT / "synthetic_data" and settings.disclosure == "publication"


def test_cli_lists_its_subcommands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("generate", "validate", "pseudonymise", "report", "dictionary"):
        assert command in result.output


def test_console_script_is_installed():
    result = subprocess.run([str(Path(sys.executable).parent / "soteria"), "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "validate" in result.stdout


def test_cli_validate_exits_non_zero_when_rows_are_quarantined(tmp_path):
    good = tmp_path / "good.csv"
    valid_cases().to_csv(good, index=False)
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0 and "quarantined: 0" in result.output

    bad = tmp_path / "bad.csv"
    pd.concat([valid_cases(), pd.DataFrame([case(crime_ref="BAD", force="gotham")])]).to_csv(bad, index=False)
    quarantine = tmp_path / "quarantine.csv"
    result = runner.invoke(app, ["validate", str(bad), "--quarantine", str(quarantine)])
    assert result.exit_code == 1 and "unknown_code" in result.output
    assert "gotham" not in result.output  # raw values only in the quarantine file
    assert "gotham" in quarantine.read_text()
    assert runner.invoke(app, ["validate", str(bad), "--max-invalid", "1"]).exit_code == 0


def test_cli_validate_reports_an_unusable_file_without_a_traceback(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "no such file" in result.output
    assert "Traceback" not in result.output


def test_layout_and_module_names():
    for path in ("README.md", "Makefile", "pyproject.toml", "environment.yml", ".ci/run",
                 "notebooks", "data_dictionaries", "synthetic_data", "reports/README.md", "benchmarks"):
        assert (ROOT / path).exists(), path
    names = {p.stem for p in (ROOT / "soteria_research").rglob("*.py")}
    assert not names & {"utils", "helpers", "misc", "common"}, "name modules for the domain idea they hold"


def test_ci_runs_the_readme_test_command():
    readme_head = "\n".join((ROOT / "README.md").read_text().splitlines()[:15])
    assert "make test" in readme_head and "make reports" in readme_head
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert commands == ["make test"]


def test_public_entry_points_resolve():
    import soteria_research as sr

    for name in sr._ENTRY_POINTS:
        assert callable(getattr(sr, name)), name
    assert set(sr._ENTRY_POINTS) <= set(sr.__all__)
