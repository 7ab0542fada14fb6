"""A force's own export, end to end, for any period; and national figures for a force on its own.

Each export style (``soteria generate --style``, with its true mapping) goes export →
``validate --mapping`` → ``report --data EXPORT --mapping`` → HTML, the data-quality section
showing the export's own quarantine count (equal to the injected defects). Each style's run
uses one of the short periods (a month, a quarter, a period after the last full financial
year); a fourth run covers ten years. A multi-force run writes ``benchmarks.json``; a
one-force file's report shows its national figures with the file, and without it has no
"England and Wales" column and says why (``reporting/benchmarks.py``).

Expected numbers are counted here from the synthetic cases with plain pandas, not taken from
the code under test.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from report_fixtures import kernel_for_tests
from typer.testing import CliRunner

from soteria_research.cli import app
from soteria_research.data.synthetic import EXPORT_STYLES, generate_cases
from soteria_research.reporting.takeaway import format_share

FORCES = ["durham", "cumbria", "city_of_london"]
SPAN = dict(start="2019-04-01", end="2024-09-30", extract_date="2024-09-30")
EXTRACT = pd.Timestamp("2024-09-30")
#: Style -> the period its report covers (first day, last day or None).
PERIODS = {
    "rms-export": ("2024-01-01", "2024-01-31"),  # one month
    "case-file": ("2023-10-01", "2023-12-31"),   # one quarter
    "warehouse": ("2024-04-01", None),          # after the last full financial year (2023/24)
}
TEN_YEARS = ("2014-10-01", "2024-09-30")
HEADLINE = "Headline figures"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kernel(tmp_path_factory) -> str:
    return kernel_for_tests(tmp_path_factory.mktemp("kernel"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("force_exports")


@pytest.fixture(scope="module")
def national_cases(folder) -> pd.DataFrame:
    cases = generate_cases(forces=FORCES, scale=0.05, seed=5, **SPAN)
    cases.to_csv(folder / "national.csv", index=False)
    return cases


CLI = "from soteria_research.cli import app; app(prog_name='soteria')"


def _start(*args) -> subprocess.Popen:
    """``soteria ARGS`` in its own process (several run at once)."""
    return subprocess.Popen([sys.executable, "-c", CLI, *map(str, args)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _finish(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=900)
    assert process.returncode == 0, output[-3000:]
    return output


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def _text(path: Path) -> str:
    """A report's HTML as the words a reader sees (no tags, no embedded images)."""
    page = re.sub(r'src="data:[^"]+"', "", path.read_text(encoding="utf-8"))
    words = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", words)


def _headline_table(path: Path) -> pd.DataFrame:
    """The first table after the "Headline figures" heading, as text."""
    page = path.read_text(encoding="utf-8")
    start = page.index(HEADLINE)
    table = page[page.index("<table", start):page.index("</table>", start) + len("</table>")]
    from bs4 import BeautifulSoup

    rows = [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
            for row in BeautifulSoup(table, "html.parser").find_all("tr")]
    header = next(row for row in rows if row)
    return pd.DataFrame([row for row in rows[rows.index(header) + 1:] if row], columns=header)


def _report(run: Path, force: str) -> dict:
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    return next(r for r in record["reports"] if r["name"] == force)


# --------------------------------------------------------------------------------------------
# The national run and its benchmark file
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def runs(folder, national_cases, kernel):
    """Every run of this module, as a user types it, started together to save time: a
    national run (several forces: it writes benchmarks.json, and the national overview to
    compare with), each style's export (generated with its true mapping, validated, reported
    for its period), then one force's file for ten years with the national run's benchmarks.
    """
    out = folder / "out"
    national = _start("report", "--data", folder / "national.csv", "--forces", "city_of_london",
                      "--out", out, "--run", "national", "--workers", "2", "--kernel", kernel)
    styles = {}
    for style, (start, end) in PERIODS.items():
        export = folder / f"{style}.csv"
        mapping = folder / f"{style}_mapping.yaml"
        said = _cli("generate", "--style", style, "--forces", "cumbria", "--scale", "0.05",
                    "--seed", "5", "--start", SPAN["start"], "--end", SPAN["end"],
                    "--extract-date", SPAN["extract_date"], "--out", export,
                    "--mapping", mapping)
        defects = int(re.search(r"(\d+) rows a validator should quarantine", said).group(1))
        canonical = folder / f"{style}_canonical.parquet"
        checked = CliRunner().invoke(app, ["validate", str(export), "--mapping", str(mapping),
                                           "--write-canonical", str(canonical)])
        assert checked.exit_code == 1 and f"{defects}" in checked.output  # rows quarantined
        assert canonical.exists()
        period = ["--period-start", start] + (["--period-end", end] if end else [])
        styles[style] = (_start("report", "--data", export, "--mapping", mapping, "--out", out,
                                "--run", style, *period, "--disclosure", "internal",
                                "--workers", "1", "--kernel", kernel), defects)
    _finish(national)
    durham = folder / "durham.csv"
    national_cases[national_cases["force"].eq("durham")].to_csv(durham, index=False)
    ten_years = _start("report", "--data", durham, "--benchmarks",
                       out / "national" / "benchmarks.json", "--out", out,
                       "--run", "durham-ten-years", "--period-start", TEN_YEARS[0],
                       "--period-end", TEN_YEARS[1], "--workers", "1", "--kernel", kernel)
    same_period = _start("report", "--data", durham, "--benchmarks",
                         out / "national" / "benchmarks.json", "--out", out,
                         "--run", "durham-same-period", "--workers", "1", "--kernel", kernel)
    for process, _ in styles.values():
        _finish(process)
    _finish(ten_years)
    _finish(same_period)
    return {"national": out / "national", "durham": out / "durham-ten-years",
            "durham_same": out / "durham-same-period",
            **{style: (out / style, defects) for style, (_, defects) in styles.items()}}


@pytest.fixture(scope="module")
def national_run(runs):
    return runs["national"]


@pytest.fixture(scope="module")
def style_runs(runs):
    return {style: runs[style] for style in PERIODS}


def _published(count: int) -> int:
    return 5 * round(count / 5)


def test_national_run_writes_benchmarks_equal_to_its_national_figures(national_run,
                                                                      national_cases):
    bench = json.loads((national_run / "benchmarks.json").read_text())
    national = json.loads((national_run / "national" / "metrics.json").read_text())
    assert bench["national"]["figures"] == national["figures"]
    assert bench["period"]["extract_date"] == "2024-09-30"
    assert bench["disclosure"]["profile"] == "publication"
    assert set(bench["definitions"]) == set(bench["national"]["figures"])
    # Against a direct count: every case, and a year's charges among cases followed a year.
    cases = national_cases
    figures = bench["national"]["figures"]
    assert figures["recorded"]["value"] == _published(len(cases))
    days = (cases["outcome_date"] - cases["recorded_date"]).dt.days
    # the financial years followed for a year: to 31 March 2023 (2023/24 ends 31 March 2024,
    # less than 365 days before the extract)
    followed = cases["recorded_date"].le("2023-03-31")
    base = followed & ~(cases["outcome_group"].eq("transferred") & days.le(365))
    charged = (cases["outcome_group"].eq("charge") & days.le(365))[base].sum()
    assert figures["charged_within"]["n"] == _published(base.sum())
    assert figures["charged_within"]["count"] == _published(charged)
    # Every force has its peer group, its peers the run's own most similar forces.
    assert set(bench["peer_groups"]) == set(FORCES)
    assert "durham" not in bench["peer_groups"]["durham"]["peers"]
    # Nothing but published numbers: no case-level field names in the file.
    text = json.dumps(bench)
    for field in ("crime_ref", "victim_id", "suspect_id", "officer_id"):
        assert field not in text


def test_force_only_run_takes_its_national_figures_from_the_benchmark_file(
        runs, national_run, national_cases):
    """Ten years of one force's file, with the national run's benchmark file."""
    run = runs["durham"]
    assert not (run / "national").exists()  # one force: no national overview of itself
    assert not (run / "benchmarks.json").exists()  # and no benchmark file of its own
    headline = _headline_table(run / "forces" / "durham" / "report.html")
    assert list(headline.columns) == ["Measure", "Durham", "Most similar forces (together)",
                                      "England and Wales"]
    national = json.loads((national_run / "national" / "metrics.json").read_text())
    column = headline.set_index("Measure")["England and Wales"]
    for figure in national["figures"].values():
        if "count" not in figure:  # crimes recorded
            assert column[figure["label"]] == f"{figure['value']:,}"
        elif figure["value"] != "[c]":
            assert column[figure["label"]] == (f"{format_share(figure['value'])} ("
                                               f"{format_share(figure['ci_low'])} to "
                                               f"{format_share(figure['ci_high'])})")
    # Durham's own column is Durham's, not the nation's.
    assert headline.set_index("Measure").loc["Crimes recorded", "Durham"] == \
        f"{_published((national_cases['force'] == 'durham').sum()):,}"
    words = _text(run / "forces" / "durham" / "report.html")
    assert "come from a benchmark file (the national run on national.csv" in words
    record = json.loads((run / "run.json").read_text())
    assert record["benchmarks"]["used"]["sha256"]
    assert _report(run, "durham")["status"] == "ok"


def test_force_only_differences_are_with_the_rest_of_england_and_wales(runs, national_run):
    """Same period as the national run: the differences compare Durham with England and Wales
    less Durham (the file's national counts less Durham's own), never with a total that
    includes Durham; Durham's side is its published headline figure."""
    run = runs["durham_same"]
    bench = json.loads((national_run / "benchmarks.json").read_text())
    own = json.loads((run / "forces" / "durham" / "metrics.json").read_text())["figures"]
    table = pd.read_csv(run / "forces" / "durham" / "tables" / "differences.csv")
    rest = table[table.iloc[:, 1].astype(str).str.startswith("England and Wales")]
    assert len(rest) and rest.iloc[:, 1].eq(
        "England and Wales excluding this force (benchmark file)").all()
    checked = 0
    for figure in own.values():
        if "count" not in figure or "[c]" in (figure["count"], figure["n"]):
            continue
        national = next(f for f in bench["national"]["figures"].values()
                        if f["label"] == figure["label"])
        row = rest[rest.iloc[:, 0].eq(figure["label"])]
        assert len(row) == 1, figure["label"]
        expected_rest = (national["count"] - figure["count"]) / (national["n"] - figure["n"])
        assert row.iloc[0, 3] == format_share(expected_rest), (figure["label"], row)
        assert row.iloc[0, 2] == format_share(figure["count"] / figure["n"])
        checked += 1
    assert checked >= 2


def test_force_only_differences_need_the_same_period(runs):
    """Ten years asked for, the benchmark file from the data's own years: the shares count
    different recording days, so no difference is shown and the report says why."""
    words = _text(runs["durham"] / "forces" / "durham" / "report.html")
    assert "The benchmark file's shares count cases recorded 2019-04-01 to" in words
    assert "this report's count cases recorded 2014-10-01 to" in words
    assert "none is shown" in words


# --------------------------------------------------------------------------------------------
# Each export style, each short period
# --------------------------------------------------------------------------------------------
def test_there_are_three_styles_to_try():
    assert set(PERIODS) == set(EXPORT_STYLES)


@pytest.mark.parametrize("style", sorted(PERIODS))
def test_each_style_reports_from_its_export_with_its_own_quarantine(style, style_runs):
    run, defects = style_runs[style]
    assert defects > 0
    page = run / "forces" / "cumbria" / "report.html"
    assert page.stat().st_size > 0
    words = _text(page)
    assert "Cumbria: RASSO investigations deep-dive" in words
    assert f"Set aside for breaking a data rule (all forces) {defects:,} " in words
    assert json.loads((run / "run.json").read_text())["validation"]["n_quarantined"] == defects
    private = json.loads((run.parent / f"{style}-private" / "validation.json").read_text())
    assert private["n_quarantined"] == defects
    assert private["mapping_name"] == f"{style}_mapping.yaml"


@pytest.mark.parametrize("style", sorted(PERIODS))
def test_each_short_period_builds_and_says_why_a_section_is_empty(style, style_runs):
    run, _ = style_runs[style]
    report = _report(run, "cumbria")
    assert report["status"] == "ok", report.get("error")
    empty = {entry["output"]: entry["reason"] for entry in report["empty_sections"]
             if entry["status"] == "empty"}
    words = _text(run / "forces" / "cumbria" / "report.html")
    for output, reason in empty.items():
        assert reason.strip(), output
        assert reason.replace("`", "")[:120] in words, output
    # No financial year of recording in these periods has a full year of follow-up by
    # 2024-09-30, so the trend by year is empty, and says so.
    assert empty["cohort_trends"].startswith("Not enough follow-up yet")
    start = pd.Timestamp(PERIODS[style][0])
    if (EXTRACT - start).days < 365:  # the month, the quarter and the recent period
        assert "Not enough follow-up yet for outcome shares" in words


def test_force_only_run_without_benchmarks_has_no_england_and_wales_column(style_runs):
    run, _ = style_runs["case-file"]
    page = run / "forces" / "cumbria" / "report.html"
    headline = _headline_table(page)
    assert list(headline.columns) == ["Measure", "Cumbria"]
    words = _text(page)
    assert ("This file holds only Cumbria's cases, so there are no national or "
            "most-similar-force figures to compare with") in words
    assert not (run / "national").exists()


def test_a_file_that_is_not_a_benchmark_file_is_refused_at_the_door(tmp_path):
    cases = tmp_path / "cases.csv"
    generate_cases(forces=["durham"], start="2023-01-01", end="2023-03-31", scale=0.05,
                   seed=1).to_csv(cases, index=False)
    wrong = tmp_path / "metrics.json"
    wrong.write_text(json.dumps({"force": "durham", "figures": {}}))
    result = CliRunner().invoke(app, ["report", "--data", str(cases), "--benchmarks", str(wrong),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "is not a benchmark file" in result.output
    assert not (tmp_path / "out" / "cases").exists()  # refused before any work
