"""Take-away data, one look and key messages, on one small report run (Durham and the national
overview, on small synthetic data of three forces).

Every CSV and workbook sheet is read back and compared with the HTML table it mirrors (parsed
from the published page, not taken from the code that wrote it), and scanned for disclosive
counts like the page; key messages may only quote numbers that a table of the same report
shows; shares look the same everywhere.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from report_fixtures import kernel_for_tests, small_cases

from soteria_research.reporting.disclosure import scan_for_disclosive_counts
from soteria_research.reporting.runner import run_reports

#: One force (its tables are partly hidden: it is linked with City of London's tiny counts in
#: the national tables) and the national overview; two reports keep the run short.
REPORTS = {"durham": "forces/durham/report.html", "national": "national/overview.html"}
MINUS = "\u2212"


@pytest.fixture(scope="module")
def case_file(tmp_path_factory) -> Path:
    return small_cases(tmp_path_factory.mktemp("takeaway_data") / "three_forces.csv")


@pytest.fixture(scope="module")
def run(tmp_path_factory, case_file):
    kernel = kernel_for_tests(tmp_path_factory.mktemp("takeaway_kernel"))
    result = run_reports(case_file, forces=["durham"],
                         out=tmp_path_factory.mktemp("takeaway_reports"), workers=2,
                         kernel_name=kernel, progress=False)
    assert result.ok, result.summary()
    return result.run_dir


def _page(run: Path, report: str) -> str:
    return (run / REPORTS[report]).read_text(encoding="utf-8")


def _html_tables(html: str) -> dict[str, pd.DataFrame]:
    """Every table of a page by its name (``data-table``), cells as the text shown."""
    names = re.findall(r'<table[^>]*data-table="([^"]+)"', html)
    assert len(names) == len(set(names)), names
    tables = {}
    for name in names:
        (table,) = pd.read_html(io.StringIO(html), attrs={"data-table": name}, thousands=None,
                                keep_default_na=False)
        tables[name] = table.astype(str)
    return tables


def _cell(value):
    """A cell as a reader reads it: numbers compared as numbers (``1,270`` = 1270,
    ``0.40`` = 0.4, ``−1.6`` = -1.6), text as text without a formula-guarding quote."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value).strip()
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    plain = text.replace(",", "").replace(MINUS, "-")
    try:
        return round(float(plain), 6)
    except ValueError:
        return text


def _same(table: pd.DataFrame, html: pd.DataFrame, where: str) -> None:
    assert [_cell(c) for c in table.columns] == [_cell(c) for c in html.columns], where
    assert table.shape == html.shape, where
    got = table.map(_cell).to_numpy().tolist()
    want = html.map(_cell).to_numpy().tolist()
    assert got == want, where


def _workbook(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet as a reader sees it in Excel: a percentage-formatted number as its
    percentage ("0.0%" → "36.0%"); asserts that percentages are numbers, not text."""
    from openpyxl import load_workbook

    sheets = {}
    for sheet in load_workbook(path).worksheets:
        rows = []
        for row in sheet.iter_rows():
            cells = []
            for cell in row:
                value = cell.value
                if isinstance(value, str) and sheet.title != "Notes":
                    assert not re.fullmatch(r"[-\u2212]?\d+\.\d%", value), (sheet.title, value)
                if cell.number_format == "0.0%" and isinstance(value, (int, float)):
                    value = f"{100 * value:.1f}%".replace("-", MINUS)
                cells.append(value)
            rows.append(cells)
        sheets[sheet.title] = pd.DataFrame(rows[1:], columns=rows[0])
    return sheets


@pytest.mark.slow
@pytest.mark.parametrize("report", sorted(REPORTS))
def test_every_table_has_a_csv_and_a_sheet_equal_to_it(run, report):
    html = _page(run, report)
    tables = _html_tables(html)
    folder = (run / REPORTS[report]).parent
    assert len(tables) >= 8, sorted(tables)
    # beside the tables shown, the time-to-outcome figure's data (drawn, not shown as a table)
    figure = {"time_to_outcome_figure"}
    assert {p.stem for p in (folder / "tables").glob("*.csv")} == set(tables) | figure
    sheets = _workbook(folder / "tables.xlsx")
    assert list(sheets)[0] == "Notes"
    assert set(sheets) - {"Notes"} == set(tables) | figure
    for name, shown in tables.items():
        assert f'href="tables/{name}.csv"' in html, name  # linked from the table
        csv = pd.read_csv(folder / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)
        _same(csv, shown, f"{report}/{name}.csv")
        _same(sheets[name], shown, f"{report}/tables.xlsx[{name}]")
    assert html.count("Download this table (CSV)") == len(tables)
    for name in figure:  # linked under the figure; the file and the sheet hold the same cells
        assert f'href="tables/{name}.csv"' in html, name
        csv = pd.read_csv(folder / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)
        _same(sheets[name], csv, f"{report}/tables.xlsx[{name}]")
    assert 'href="tables.xlsx"' in html


@pytest.mark.slow
def test_files_pass_the_same_disclosure_scan_as_the_page(run):
    """No count under 10 and no zero about people in any CSV or sheet; hidden cells are [c]."""
    hidden = 0
    for report in REPORTS:
        folder = (run / REPORTS[report]).parent
        assert scan_for_disclosive_counts(folder / Path(REPORTS[report]).name).empty
        for path in sorted((folder / "tables").glob("*.csv")):
            frame = pd.read_csv(path)
            findings = scan_for_disclosive_counts(frame)
            assert findings.empty, (path.name, findings.to_string())
            hidden += int(frame.astype(str).eq("[c]").to_numpy().sum())
        for name, sheet in pd.read_excel(folder / "tables.xlsx", sheet_name=None).items():
            if name != "Notes":
                assert scan_for_disclosive_counts(sheet).empty, (report, name)
    assert hidden > 10  # hidden figures are [c] in the files too


@pytest.mark.slow
def test_a_planted_small_count_in_a_csv_would_be_caught(run):
    """The scan above can fail: a small count written into a table's copy is found."""
    folder = run / "forces" / "durham" / "tables"
    frame = pd.read_csv(folder / "funnel_view.csv")
    count = next(c for c in frame.columns if "cases so far" in c.lower())
    frame.loc[0, count] = 3
    assert not scan_for_disclosive_counts(frame).empty


@pytest.mark.slow
def test_notes_sheet_has_definitions_disclosure_rules_and_provenance(run, case_file):
    import soteria_research

    notes = pd.read_excel(run / "forces" / "durham" / "tables.xlsx", sheet_name="Notes",
                          dtype=str)
    items = {(s, i): n for s, i, n in notes[["Section", "Item", "Note"]].itertuples(index=False)}
    assert items[("Provenance", "Data SHA-256")] == hashlib.sha256(
        case_file.read_bytes()).hexdigest()
    assert items[("Provenance", "Package")].endswith(soteria_research.__version__)
    assert ("Provenance", "Commit") in items
    assert items[("Parameter", "force")] == "durham"
    assert items[("Parameter", "disclosure")] == "publication"
    assert items[("Disclosure control", "Threshold")] == "10"
    assert "[c]" in items[("Disclosure control", "Rule")]
    assert sum(s == "Definition" for s, _ in items) >= 5
    tables = {i for s, i in items if s == "Table"}
    assert tables == {p.stem for p in (run / "forces" / "durham" / "tables").glob("*.csv")}


def _messages(html: str) -> list[str]:
    start = html.index('id="Key-messages"')
    end = html.index("<h2", start)
    items = re.findall(r"<li>(.*?)</li>", html[start:end], flags=re.S)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in items]


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?%?")


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


@pytest.mark.slow
@pytest.mark.parametrize("report", sorted(REPORTS))
def test_every_number_in_the_key_messages_is_in_a_protected_table(run, report):
    html = _page(run, report)
    messages = _messages(html)
    assert 3 <= len(messages) <= 6
    shown: set[str] = set()
    for table in _html_tables(html).values():
        for value in table.to_numpy().ravel():
            shown |= _numbers(str(value))
    for message in messages:
        quoted = _numbers(message.replace("95% interval", ""))
        for number in quoted:
            assert number in shown or number + "%" in shown, (number, message)
    assert "95% interval" in " ".join(messages)  # a share is given with its interval


@pytest.mark.slow
def test_key_message_share_is_the_headline_cell(run):
    """The charge share quoted first is the force's cell of the headline table, interval too."""
    html = _page(run, "durham")
    headline = _html_tables(html)["headline"]
    cell = headline.loc[headline["Measure"].str.startswith("Charged"), "Durham"].item()
    share, low, high = re.findall(r"\d+\.\d%", cell)
    assert f"{share} of crimes recorded in Durham" in _messages(html)[0]
    assert f"95% interval {low} to {high}" in _messages(html)[0]


@pytest.mark.slow
@pytest.mark.parametrize("report", sorted(REPORTS))
def test_shares_look_the_same_everywhere(run, report):
    """Every percentage has one decimal; every share column (and every share row of a mixed
    table) is a percentage, never a bare 0.36."""
    share_heading = re.compile(r"(share|^this force$|^them$|^difference$|^by day)", re.I)
    for name, table in _html_tables(_page(run, report)).items():
        for value in table.to_numpy().ravel():
            for percent in re.findall(r"[\d.]+%", value):
                assert re.fullmatch(r"\d+\.\d%", percent), (name, value)
        columns = [c for c in table.columns if share_heading.search(c)]
        if "Measure" in table.columns and "Estimate" in table.columns:
            rows = table["Measure"].str.contains("share", case=False)
            for column in ("Estimate", "95% interval from", "to"):
                cells = table.loc[rows, column]
                assert cells.isin(["[c]", ""]).all() or cells.str.endswith("%").all(), name
        for column in columns:
            cells = table[column][~table[column].isin(["[c]", "", "nan"])]
            assert cells.str.endswith("%").all() or cells.str.contains(r"%", regex=False).all(), \
                (name, column, cells.tolist())


@pytest.mark.slow
def test_disclosure_rule_stated_once_and_a_real_zero_shown(run, case_file):
    import soteria_research

    html = _page(run, "durham")
    assert html.count("in a table marks a figure hidden") == 1
    assert "cells that would reveal them are shown as" not in html  # no per-table caption
    raw = len(pd.read_csv(case_file))
    valid, _ = soteria_research.read_cases(case_file)
    durham_raw = int(pd.read_csv(case_file, usecols=["force"])["force"].eq("durham").sum())
    durham_valid = int(valid["force"].eq("durham").sum())
    checks = _html_tables(html)["data_checks"]
    counts = dict(zip(checks["Data check"], checks["Rows set aside"]))
    assert counts["Set aside for breaking a data rule (all forces)"] == f"{raw - len(valid):,}"
    assert counts["Set aside for Durham"] == f"{durham_raw - durham_valid:,}"
    assert "0" in counts.values()  # the synthetic file breaks no rule: 0, not [c]


# --------------------------------------------------------------------------------------------
# The message writers on hand-made protected figures (no report run)
# --------------------------------------------------------------------------------------------
class _Report:
    """What the message writers read from a ``ReportContext``: protected figures only."""

    name, is_national = "Testshire", False

    def __init__(self, headline: pd.DataFrame, differences: pd.DataFrame | None = None):
        self._headline = headline
        self._differences = differences if differences is not None else pd.DataFrame()

    def protected_headline(self):
        return self._headline

    def differences(self):
        return self._differences


def _headline(estimate, low, high):
    return pd.DataFrame({"measure": ["charged_within"], "label": ["Charged within 365 days"],
                         "count": [40.0], "n": [400.0], "estimate": [estimate],
                         "ci_low": [low], "ci_high": [high]})


def test_a_hidden_share_is_never_quoted():
    from soteria_research.reporting import key_messages as km

    hidden = km.charge_share(_Report(_headline(float("nan"), float("nan"), float("nan"))))
    assert "[c]" in hidden and "%" not in hidden
    shown = km.charge_share(_Report(_headline(0.1, 0.0731, 0.1352)))
    assert "10.0% of crimes" in shown and "95% interval 7.3% to 13.5%" in shown


def test_difference_message_says_whether_chance_could_explain_it():
    from soteria_research.reporting import key_messages as km

    differences = pd.DataFrame({
        "measure": ["Charged within 365 days"] * 2,
        "comparator": ["England and Wales without this force", "Most similar forces (together)"],
        "force_share": [0.1, 0.1], "comparator_share": [0.05, "[c]"],
        "difference": [0.05, "[c]"], "ci_low": [0.02, "[c]"], "ci_high": [0.08, "[c]"]})
    text = km.charge_against_others(_Report(_headline(0.1, 0.07, 0.13), differences))
    assert "5.0 percentage points higher than the rest of England and Wales" in text
    assert "(95% interval 2.0 to 8.0 points)" in text and "more than chance" in text
    assert "similar" not in text  # the peers' figure is hidden: not mentioned
    # a difference the table prints as 0.0 is neither "0.0 points higher" nor "lower"
    tiny = differences.assign(difference=[-0.0004, 0.0004], comparator_share=[0.0504, 0.0996],
                              ci_low=[-0.005, -0.004], ci_high=[0.004, 0.006])
    text = km.charge_against_others(_Report(_headline(0.05, 0.04, 0.06), tiny))
    assert "about the same as the rest of England and Wales" in text
    assert "about the same as its most similar forces together" in text
    assert "higher" not in text and "lower" not in text and "0.0 percentage" not in text


@pytest.mark.parametrize("later, words", [((0.20, 0.17, 0.23), "rose"),
                                          ((0.03, 0.02, 0.05), "fell"),
                                          ((0.11, 0.08, 0.14), "no clear change")])
def test_trend_direction_only_when_the_intervals_part(monkeypatch, later, words):
    from soteria_research.reporting import key_messages as km

    trends = pd.DataFrame({"cohort": ["2019/20", "2020/21", "2022/23"],
                           "outcome": ["charge"] * 3, "n": [40.0, float("nan"), 40.0],
                           "n_cohort": [400.0, 400.0, 400.0],
                           "estimate": [0.10, float("nan"), later[0]],
                           "ci_low": [0.07, float("nan"), later[1]],
                           "ci_high": [0.13, float("nan"), later[2]]})
    monkeypatch.setattr(km, "_protected_trends", lambda report: trends)
    text = km.trend(_Report(_headline(0.1, 0.07, 0.13)))
    assert words in text and "2019/20" in text and "2022/23" in text
    monkeypatch.setattr(km, "_protected_trends",
                        lambda report: trends.assign(estimate=float("nan")))
    assert "[c]" in km.trend(_Report(_headline(0.1, 0.07, 0.13)))


def test_largest_loss_only_when_every_stage_is_shown(monkeypatch):
    from soteria_research.reporting import key_messages as km

    funnel = pd.DataFrame({"stage": ["recorded", "suspect_identified", "referred_to_cps"],
                           "n": [1000.0, 800.0, 200.0], "share_of_recorded": [1.0, 0.8, 0.2],
                           "share_of_previous": [float("nan"), 0.8, 0.25]})
    monkeypatch.setattr(km, "_protected_funnel", lambda report: funnel)
    text = km.largest_loss(_Report(_headline(0.1, 0.07, 0.13)))
    # the numbers the funnel table prints: counts and shares of recorded crimes
    assert "800 crimes had reached the first and 200 the second" in text
    assert "(80.0% and 20.0% of those recorded)" in text
    funnel.loc[1, "share_of_previous"] = float("nan")
    assert "cannot be shown" in km.largest_loss(_Report(_headline(0.1, 0.07, 0.13)))
