"""Disclosure control against an outsider holding every published file of a real run
(issue 16): small forces and City of London on synthetic data, under the publication and
partner profiles.

The attacker (``tests/published_run.py``) reads every ``*.html``, ``*.json`` and ``*.csv`` of
the run folder and bounds every quantity it never sees printed by integer programming over
everything that is printed (non-negativity, rounding intervals, shares x denominators, complete
category lists, nested stages, national = sum of forces, the same quantity in every table).
No hidden count of 1-9 (nor, under ``publication``, a hidden 0) may come out exact. The read-off
checks cover items 1-10 of the issue one by one. Expected values come from the case file, never
from the code under test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from published_run import (
    ALLEGATIONS,
    HIDDEN,
    OFFENCES,
    OUTCOMES,
    STAGES,
    build,
    disclosed,
    number,
    read_run,
)
from report_fixtures import kernel_for_tests

from soteria_research.reporting.runner import run_reports
from soteria_research.reporting.takeaway import format_share

pytestmark = pytest.mark.slow

FORCES = ("city_of_london", "cumbria", "dyfed_powys", "north_yorkshire")
PROFILES = ("publication", "partner")
# Columns whose cells are counts of cases or people (and must obey the count rules).
COUNT_COLUMNS = {"Cases", "Cases so far", "Withdrawals", "Out of", "Number", "Officers",
                 "Repeat suspects", "Suspects named", "Cases involving a repeat suspect",
                 "Cases with a named suspect", "With the event", "Observed",
                 "Crimes recorded"}


@pytest.fixture(scope="module")
def cases_file(tmp_path_factory) -> Path:
    from soteria_research.data.synthetic import generate_cases

    path = tmp_path_factory.mktemp("attacker-data") / "cases.csv"
    generate_cases(forces=list(FORCES), scale=0.05, seed=11).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def cases(cases_file) -> pd.DataFrame:
    return pd.read_csv(cases_file, parse_dates=["recorded_date"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory, cases_file) -> dict:
    kernel = kernel_for_tests(tmp_path_factory.mktemp("attacker-kernel"))
    out = tmp_path_factory.mktemp("attacker-runs")
    built = {}
    for profile in PROFILES:
        result = run_reports(cases_file, forces="all", out=out, run=profile, workers=2,
                             kernel_name=kernel, disclosure=profile, progress=False)
        assert result.ok, result.summary()
        built[profile] = read_run(result.run_dir)
    return built


#: A second run of small forces, another seed and scale: the funnel's share of the crimes
#: recorded computed from the true counts showed on this run (no rounded counts gave the
#: national funnel's shares) and not on the first. It is a run of some forces of the file, as
#: an analyst runs the forces they study: Cleveland is in the data and the national overview,
#: with no report (the attacker that took the national figures for the sum of the reports'
#: found them contradictory).
OTHER_FORCES = ("city_of_london", "gwent", "warwickshire", "dyfed_powys", "cleveland")
OTHER_REPORTED = OTHER_FORCES[:-1]


def _profile_runs(folder: Path, generated: dict, forces: list[str], **period) -> dict:
    """Generate a file (``generate_cases(**generated)``) and run the reports of ``forces``
    from it under each profile: ``{profile: read_run(...)}``."""
    from soteria_research.data.synthetic import generate_cases

    path = folder / "cases.csv"
    generate_cases(**generated).to_csv(path, index=False)
    kernel = kernel_for_tests(folder / "kernel")
    built = {}
    for profile in PROFILES:
        result = run_reports(path, forces=forces, out=folder / "runs", run=profile,
                             workers=2, kernel_name=kernel, disclosure=profile,
                             progress=False, **period)
        assert result.ok, result.summary()
        built[profile] = read_run(result.run_dir)
    return built


@pytest.fixture(scope="module")
def other_runs(tmp_path_factory) -> dict:
    return _profile_runs(tmp_path_factory.mktemp("attacker-other"),
                         {"forces": list(OTHER_FORCES), "scale": 0.04, "seed": 23},
                         list(OTHER_REPORTED))


CITY_ALONE = {"forces": ["city_of_london", "dorset", "gwent"], "scale": 0.03, "seed": 37}


@pytest.fixture(scope="module")
def city_alone_runs(tmp_path_factory) -> dict:
    """City of London's report alone from a file of three forces, as a force analyst runs it:
    the national overview adds up all three. On such a run the attacker's first bound on a
    curve called the published figures contradictory (its national curve printed 14.1% for
    32 events of 229 cases, one censored)."""
    return _profile_runs(tmp_path_factory.mktemp("attacker-city"), CITY_ALONE,
                         ["city_of_london"])


#: A force analyst's run of one year of a file that ends mid-year (an export taken at the end of
#: September), two forces of three reported. On such runs the user trials found the
#: case-mix model counting other cases than the headline (Dorset 3,260 observed against 3,080
#: crimes recorded) and the data-quality table counting the period's cases as the file's
#: accepted rows: figures that contradicted each other for the attacker.
PERIOD = {"forces": ["city_of_london", "cumbria", "gwent"], "scale": 0.04, "seed": 41,
          "start": "2019-04-01", "end": "2024-09-30"}
PERIOD_RUN = {"period_start": "2023-04-01", "period_end": "2024-03-31"}


@pytest.fixture(scope="module")
def period_runs(tmp_path_factory) -> dict:
    return _profile_runs(tmp_path_factory.mktemp("attacker-period"), PERIOD,
                         ["city_of_london", "cumbria"], **PERIOD_RUN)


def _base(profile: str) -> int | None:
    return 5 if profile == "publication" else None


def _leaks(run, profile: str) -> dict[str, int]:
    know = build(run, _base(profile))
    found = know.attack()  # structural zeros (item 6) are known to the attacker, not targets
    leaks = disclosed(found, zeros=profile == "publication")
    # Rows of the file set aside by the data checks are published as 0 when none were (they
    # say nothing about anyone; issue 14), so a force's own 0 follows: not a leak. Any other
    # value recovered for them still is.
    return {k: v for k, v in leaks.items() if not (k.endswith("|quarantined") and v == 0)}


# --------------------------------------------------------------------------------------------
# The attacker over everything (items 5, 6, 7, 8, 9 and 11 together)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("profile", PROFILES)
def test_reader_sees_every_force_and_the_tables_it_models(runs, profile):
    run = runs[profile]
    assert set(run.forces) == set(FORCES)
    headings = {t.heading for t in run.tables}
    for needed in ("Headline figures", "Where cases are lost: the stage funnel",
                   "How investigations ended", "Outcome mix by force", "Data quality",
                   "Trends: outcomes within a year, by financial year recorded"):
        assert needed in headings, needed
    know = build(run, _base(profile))
    assert len(know.hidden) > 20  # the small forces do have hidden cells to attack
    # the time-to-outcome figures' data: steps between the table's days are read too
    figures = [t for t in run.tables if t.header == ["Outcome", "Day", "Share (95% interval)"]]
    assert {t.owner for t in figures} >= {"national", "north_yorkshire"}
    between = [name for name in know.index if re.fullmatch(r".*\|curve\|.*\|\d+-\d+", name)
               and not set(map(int, name.rsplit("|", 1)[1].split("-"))) <= {30, 90, 180, 365,
                                                                              730}]
    assert between


@pytest.mark.parametrize("which", ["runs", "other_runs"])
@pytest.mark.parametrize("profile", PROFILES)
def test_no_hidden_small_count_or_zero_is_recoverable_from_all_files(request, which, profile):
    run = request.getfixturevalue(which)[profile]
    assert set(run.forces) == set(FORCES if which == "runs" else OTHER_REPORTED)
    if which == "other_runs":  # the national figures add up Cleveland's, which has no report
        assert "Cleveland|recorded" in build(run, _base(profile)).index
    leaks = _leaks(run, profile)
    assert not leaks, leaks


@pytest.mark.parametrize("profile", PROFILES)
def test_city_of_london_alone_from_a_file_of_three_forces_discloses_nothing(city_alone_runs,
                                                                           profile):
    run = city_alone_runs[profile]
    assert run.forces == ["city_of_london"]
    know = build(run, _base(profile))
    # the national figures add up Dorset's and Gwent's, which have no report in the run
    assert {"Dorset|recorded", "Gwent|recorded"} <= set(know.index)
    assert len(know.hidden) > 5  # City of London's small counts are there to attack
    leaks = _leaks(run, profile)
    assert not leaks, leaks


@pytest.mark.parametrize("profile", PROFILES)
def test_a_years_run_of_a_file_ending_mid_year_discloses_nothing(period_runs, profile):
    run = period_runs[profile]
    assert run.forces == ["city_of_london", "cumbria"]
    know = build(run, _base(profile))
    assert "Gwent|recorded" in know.index  # the national figures add up Gwent's: no report
    assert len(know.hidden) > 5
    leaks = _leaks(run, profile)
    assert not leaks, leaks


@pytest.mark.parametrize("profile", PROFILES)
def test_item4_the_years_counted_are_the_files_not_the_forces_own(city_alone_runs, profile):
    """City of London recorded crimes in November and December 2019 and none in 2020/21 in
    this file. Its headline said "financial years 2019/20, 2021/22, 2022/23" and its
    metrics.json "recorded_from": "2019-11-01": no crime in April to October 2019 nor in
    2020/21, zeros every table hides. The years and dates are the file's, as the national
    overview's."""
    root = city_alone_runs[profile].root
    city = json.loads((root / "forces" / "city_of_london" / "metrics.json").read_text())
    nation = json.loads((root / "national" / "metrics.json").read_text())
    from soteria_research.data.synthetic import generate_cases

    cases = generate_cases(**CITY_ALONE)
    own = cases.loc[cases["force"].eq("city_of_london"), "recorded_date"]
    assert own.min() > pd.Timestamp("2019-10-31")
    assert not own.between("2020-04-01", "2021-03-31").any()  # the zero the text gave away
    for key in ("cohorts", "recorded_from", "recorded_to"):
        assert city[key] == nation[key], key
    assert "financial years 2019/20 to 2022/23" in city["cohorts"]
    assert city["recorded_from"] == cases["recorded_date"].min().strftime("%Y-%m-01")


def _printed_sum(know, names) -> int | None:
    """The sum of printed counts, or None when any of them is not printed."""
    if not names or any(n not in know.values for n in names):
        return None
    return int(sum(know.values[n] for n in names))


def test_cases_followed_a_year_are_one_cohort_in_every_table(runs):
    """Under exact counts the tables that count "cases followed for a year" print the same
    number for a force: the trend table's years together, the programme's cohorts before
    and after joining, the forensics table's cases of the share of requests and each victim
    breakdown's categories together (docs/methods.md section 8). Where two of them differed,
    the difference (cases transferred within the year, days or quarters after the last year)
    would be a count no table prints, and exact. Read off the printed cells."""
    know = build(runs["partner"], None)
    agreeing = 0
    for f in FORCES:
        def named(prefix, suffix="", depth=None):
            return [n for n in know.index if n.startswith(prefix) and n.endswith(suffix)
                    and (depth is None or n.count("|") == depth)]

        printed = {
            "trend years": _printed_sum(know, named(f"{f}|trend|", depth=2)),
            "programme": _printed_sum(know, named(f"{f}|programme|", "|cases")),
            "forensics": _printed_sum(
                know, [f"{f}|forensics|Cases with a victim device requested (share)|cases"]),
        }
        for dimension in {n.split("|")[2] for n in named(f"{f}|victims|", depth=3)}:
            printed[f"victims by {dimension}"] = _printed_sum(
                know, named(f"{f}|victims|{dimension}|", depth=3))
        seen = {k: v for k, v in printed.items() if v is not None}
        assert len(set(seen.values())) <= 1, (f, seen)
        agreeing += len(seen) >= 3
    assert agreeing >= 2  # the check bites: several tables printed in full for most forces


# --------------------------------------------------------------------------------------------
# Read-off checks, items 1-10
# --------------------------------------------------------------------------------------------
def _cells(run, predicate=lambda t: True):
    for t in run.tables:
        if not predicate(t):
            continue
        for row in t.rows:
            for j, cell in enumerate(row):
                yield t, row, t.header[j] if j < len(t.header) else "", cell


@pytest.mark.parametrize("profile", PROFILES)
def test_printed_counts_obey_the_profile(runs, profile):
    """Every count printed anywhere is [c], or >= 10 (and a multiple of 5 under publication);
    0 only under partner, where zeros are not disclosive."""
    bad = []
    for t, row, column, cell in _cells(runs[profile]):
        if column not in COUNT_COLUMNS or cell in (HIDDEN, ""):
            continue
        parsed = number(cell)
        if parsed is None or parsed[2]:
            continue
        value = parsed[0]
        small = 0 < value < 10 or (value == 0 and profile == "publication")
        if small or (profile == "publication" and value % 5):
            bad.append((t.file, t.heading, row[0], column, cell))
    assert not bad, bad


@pytest.mark.parametrize("profile", PROFILES)
def test_item1_blank_is_never_a_hidden_value(runs, profile):
    """A rate is blank only where it is blank by construction (the funnel's first stage has no
    previous stage), never because its hidden denominator is 0."""
    bad = []
    for t in runs[profile].tables:
        if t.header[:1] != ["Stage"]:
            continue
        previous = next((c for c in t.header if c.startswith("Share of the previous")), None)
        if previous is None:
            continue
        j = t.header.index(previous)
        bad += [(t.file, row[0]) for row in t.rows if row[j] == "" and row[0] != STAGES[0]]
    assert not bad, bad


#: Cells blank by construction in every force, whatever its counts: (column, first cell).
BLANK_BY_CONSTRUCTION = (
    (lambda column, label: column.startswith("Share of the previous") and label == STAGES[0]),
    (lambda column, label: column.startswith("More alike") and label.endswith("(this force)")),
    (lambda column, label: column == "Joined (quarter)" and label == "all waves"),
)


@pytest.mark.parametrize("profile", PROFILES)
def test_item1_no_blank_beside_a_hidden_count(runs, profile):
    """In a row with a hidden cell, a blank is a value: a median or share of 0 withdrawals at a
    stage (City of London's withdrawal table: blank medians at three stages, [c] at the fourth,
    so the three hidden counts were 0), or a ratio no model could estimate. Only cells blank by
    construction may be blank there, or beside a printed 0 (under partner: no median of 0
    withdrawals)."""
    bad = []
    for t in runs[profile].tables:
        for row in t.rows:
            if HIDDEN not in row or "0" in row:
                continue
            bad += [(t.file, t.heading, row[0], column) for column, cell in zip(t.header, row)
                    if cell.strip() == "" and not any(
                        allowed(column, row[0]) for allowed in BLANK_BY_CONSTRUCTION)]
    assert not bad, bad


def test_item2_no_true_zero_on_a_curve_or_share(runs):
    """Under publication a printed 0.0% (or an interval from 0.0%) is an exact zero count."""
    bad = []
    for t, row, column, cell in _cells(runs["publication"]):
        if column.startswith(("Difference", "More alike")) or column in ("to",):
            continue
        if re.fullmatch(r"0(\.0+)?%", cell.strip()):
            bad.append((t.file, t.heading, row[0], column, cell))
    assert not bad, bad


@pytest.mark.parametrize("profile", PROFILES)
def test_item3_every_category_is_listed(runs, profile):
    """A missing category row reads as 0: outcome and stage tables list the whole code list."""
    bad = []
    for t in runs[profile].tables:
        h = t.header
        labels = [row[0] for row in t.rows]
        if h[:1] == ["Outcome"] and "Cases" in h and "Share" in h:
            missing = set(OUTCOMES) - set(labels)
        elif h[:2] == ["Stage", "Cases so far"]:
            missing = set(STAGES) - set(labels)
        elif h[:1] == ["Furthest stage reached"]:
            # a withdrawal (outcomes 14, 16) is never charged: those two rows are structural
            missing = set(STAGES[:4]) - set(labels)
        elif h[:2] == ["Allegation", "Outcome"]:
            # both allegation groups: a force without earlier allegations listed only the
            # other group (City of London), which reads as a table of zeros
            missing = set(ALLEGATIONS) - {row[0] for row in t.rows}
            for group in {row[0] for row in t.rows}:
                missing |= {f"{group}: {o}" for o in
                            set(OUTCOMES) - {row[1] for row in t.rows if row[0] == group}}
        elif h[:2] == ["Financial year recorded", "Outcome"]:
            # every year of the national table, for every outcome: a year a force had no
            # cases in was missing from its table (City of London's 2021/22)
            years = {row[0] for n in runs[profile].tables if n.owner == "national"
                     and n.header[:2] == h[:2] for row in n.rows}
            outcomes = {row[1] for row in t.rows}
            missing = {f"{y}: {o}" for y in years for o in outcomes} - {
                f"{row[0]}: {row[1]}" for row in t.rows}
            assert len(years) >= 4 and len(outcomes) == 4, (years, outcomes)
        elif h[:2] == ["Offences", "Measure"]:
            # every offence group for each measure the run shows: a force with no referred
            # rape file had no "Rape: Referral to the CPS" row (City of London)
            measures = {row[1] for n in runs[profile].tables if n.header[:2] == h[:2]
                        and n.file.rsplit("/", 1)[-1] == t.file.rsplit("/", 1)[-1]
                        and n.heading == t.heading for row in n.rows}
            missing = {f"{o}: {m}" for o in OFFENCES for m in measures} - {
                f"{row[0]}: {row[1]}" for row in t.rows}
        elif h[:2] == ["Force", "Outcome"]:
            missing = set()
            for force in {row[0] for row in t.rows}:
                missing |= {f"{force}: {o}" for o in
                            set(OUTCOMES) - {row[1] for row in t.rows if row[0] == force}}
        else:
            continue
        if missing:
            bad.append((t.file, t.heading, sorted(missing)))
    assert not bad, bad


@pytest.mark.parametrize("profile", PROFILES)
def test_item4_free_text_gives_no_case_dates_or_counts(runs, cases, profile):
    """No report names the date of a force's first or last case (the period shown is the one
    asked for), and no model message prints an array shape or an error text."""
    run = runs[profile]
    bad = []
    for force, mine in cases.groupby("force"):
        dates = {mine["recorded_date"].min().date().isoformat(),
                 mine["recorded_date"].max().date().isoformat()}
        period = {cases["recorded_date"].min().date().isoformat(),
                  cases["recorded_date"].max().date().isoformat()}
        for rel, text in [*run.texts.items(),
                          *((k, json.dumps(v)) for k, v in run.json.items())]:
            if f"/{force}/" not in f"/{rel}":
                continue
            bad += [(rel, d) for d in dates - period if d in text]
    for rel, text in run.texts.items():
        for pattern in (r"shape \(\d+", r"Traceback", r"Error\b", r"\[\.\.\.\]"):
            if re.search(pattern, text):
                bad.append((rel, pattern))
    assert not bad, bad


@pytest.mark.parametrize("profile", PROFILES)
def test_item7_one_quantity_is_hidden_everywhere_or_nowhere(runs, profile):
    """The same quantity printed in two tables is hidden in both or in neither."""
    know = build(runs[profile], _base(profile))
    both = {name: (know.hidden[name][:2], know.shown[name][:2])
            for name in set(know.hidden) & set(know.shown)}
    assert not both, both


@pytest.mark.parametrize("profile", PROFILES)
def test_item8_run_json_publishes_no_unprotected_counts(runs, profile):
    """run.json sits in the published folder: no per-force row counts, no small counts."""
    record = runs[profile].json["run.json"]
    validation = record.get("validation") or {}
    assert "valid_by_force" not in validation
    assert "quarantined_by_force" not in validation
    for key in ("n_input", "n_valid", "n_quarantined"):
        value = validation.get(key, HIDDEN)
        # a zero of rows set aside is published under every profile: it says nothing about
        # anyone (issue 14: a real zero that is not disclosive shows as 0)
        assert value == HIDDEN or value >= 10 or (value == 0 and key == "n_quarantined"), \
            (key, value)
        if profile == "publication" and value != HIDDEN:
            assert value % 5 == 0, (key, value)


@pytest.mark.parametrize("profile", PROFILES)
def test_item9_peer_tables_hide_shares_of_forces_whose_counts_are_hidden(runs, profile):
    """A peer table prints a force's case-mix shares only where its recorded count is shown."""
    run = runs[profile]
    recorded = {doc["force"]: doc["figures"]["recorded"]["value"]
                for rel, doc in run.json.items() if rel.endswith("metrics.json")}
    bad = []
    for t in run.tables:
        if t.header[:1] != ["Most similar force"]:
            continue
        for row in t.rows:
            code = run.names.get(row[0])
            if recorded.get(code) != HIDDEN:
                continue
            for j, column in enumerate(t.header):
                if column.endswith(" share") and row[j] != HIDDEN:
                    bad.append((t.file, row[0], column, row[j]))
    assert not bad, bad


def test_item10_disclosure_json_says_nothing_per_cell_at_publication(runs):
    """disclosure.json says which outputs were protected and how, not which cell was small."""
    bad = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("primary", "secondary", "cells", "mask", "reason", "why",
                           "primary_cells", "secondary_cells"):
                    bad.append(f"{path}.{key}")
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    for rel, doc in runs["publication"].json.items():
        if rel.endswith("disclosure.json"):
            walk(doc, rel)
    assert not bad, bad


#: The headline table lays out six protected outputs: the report's own figures, its peers'
#: pooled figures and the nation's (crimes recorded and the shares, each).
HEADLINE_PARTS = tuple(f"headline{part}{suffix}" for suffix in ("", "_peers", "_national")
                       for part in ("", "_recorded"))


@pytest.mark.parametrize("which", ["runs", "other_runs"])
@pytest.mark.parametrize("profile", PROFILES)
def test_disclosure_json_counts_every_cell_a_report_table_hides(request, which, profile):
    """A reader of disclosure.json learns how many cells each output hides: no table of a
    report or of the national overview may print more hidden cells than its entry counts. Counted from the take-away CSV
    of each output (one file per output, named as in the log); a year's "Out of" in the trend
    table is one cell printed beside each of its outcomes, so it counts once. Before the
    declared rules (``same_quantity``), the cells hidden where the run's linked tables hide
    the same quantity (withdrawal stage, forensics, caseload, programme, data quality), the
    text views of linked tables and the trend shares hidden with their year were not
    counted, nor the peers' pooled figures hidden where a peer's own is: the log said "pass"
    beside a table of [c]."""
    root = request.getfixturevalue(which)[profile].root
    under = []
    for folder in [*sorted((root / "forces").iterdir()), root / "national"]:
        log = {entry["name"]: entry for entry in json.loads(
            (folder / "disclosure.json").read_text(encoding="utf-8"))["outputs"]}
        for path in sorted((folder / "tables").glob("*.csv")):
            entry = log.get(path.stem)
            if entry is None:
                continue
            parts = [log[name] for name in HEADLINE_PARTS if name in log] \
                if path.stem == "headline" else [entry]
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
            # the funnel-limit column restates the position of the ratio beside it: one cell
            printed = int(table.drop(columns=["Out of", "Compared with the funnel limits"],
                                     errors="ignore").eq(HIDDEN).to_numpy().sum())
            if "Out of" in table.columns and path.stem.startswith("cohort_trends"):
                printed += table.loc[table["Out of"].eq(HIDDEN)].iloc[:, 0].nunique()
            elif "Out of" in table.columns:
                printed += int(table["Out of"].eq(HIDDEN).sum())
            logged = sum(e["cells_suppressed"] + e["derived_suppressed"] for e in parts)
            if printed > logged:
                under.append((folder.name, path.stem, printed, logged))
            if printed:
                assert {e["status"] for e in parts} & {"suppressed", "withheld"}, (
                    folder.name, parts)
    assert not under, under


def test_share_of_cells_hidden_is_reported(runs, capsys):
    """The number the lead's note quotes: of all count cells printed in the run, the share
    shown as [c] (printed so ``pytest -s`` shows it; asserted only to be a share)."""
    for profile in PROFILES:
        shown = hidden = 0
        for _, _, column, cell in _cells(runs[profile]):
            if column in COUNT_COLUMNS and (cell == HIDDEN or number(cell)):
                hidden += cell == HIDDEN
                shown += cell != HIDDEN
        share = hidden / (hidden + shown)
        with capsys.disabled():
            print(f"\n{profile}: {hidden} of {hidden + shown} count cells hidden ({share:.0%})")
        assert 0 < share < 1


@pytest.mark.parametrize("profile", PROFILES)
def test_item11_outcome_shares_are_of_the_published_crimes_recorded(runs, profile):
    """Each outcome's share in "How investigations ended" is its printed count over the crimes
    recorded that the headline prints for the same offence group, never over the true total:
    10 cases at 58.8% gave City of London's 17 crimes back where the headline printed 15."""
    checked = 0
    for force in FORCES:
        tables = runs[profile].root / "forces" / force / "tables"
        mix = pd.read_csv(tables / "outcome_mix_view.csv", dtype=str)
        headline = pd.read_csv(tables / "headline_by_offence_view.csv", dtype=str)
        recorded = headline.set_index("Measure").loc["Crimes recorded"]
        for group in ("All sexual offences", "Rape", "Other sexual offences"):
            total = number(recorded[group])
            for count, share in zip(mix[f"{group}: cases"], mix[f"{group}: share"]):
                if number(share) is None or number(count) is None:
                    continue
                assert total is not None, (force, group, "share shown, total hidden")
                assert share == format_share(number(count)[0] / total[0]), (
                    force, group, count, share, recorded[group])
                checked += 1
    assert checked > 20


@pytest.mark.parametrize("profile", PROFILES)
def test_no_published_file_holds_a_path_a_traceback_or_a_log(runs, profile):
    """Run logs (paths, parameters, tracebacks) stay in the private folder: nothing in the
    published folder names a file of this machine or carries a Python traceback."""
    root = runs[profile].root
    assert not (root / "logs").exists()
    machine = (str(root.parent), "/tmp/", "/home/", "/work/", "Traceback (most recent call")
    for path in root.rglob("*"):
        if not path.is_file() or path.suffix in (".xlsx", ".png"):
            continue
        assert path.suffix != ".log", path
        text = path.read_text(encoding="utf-8", errors="replace")
        text = text.replace(f"../{root.name}-private/logs/", "")  # run.json's pointer to a log
        for word in machine:
            assert word not in text, (path.relative_to(root), word)


@pytest.mark.parametrize("profile", PROFILES)
def test_differences_use_the_published_figures_of_each_side(runs, profile):
    """"This force" in the differences table is the headline's own share (it printed 6.8% from
    the true counts beside the headline's 7.0%), and "England and Wales without this force"
    is the national overview's published counts less this force's published counts."""
    root = runs[profile].root
    national = json.loads((root / "national" / "metrics.json").read_text())["figures"]
    checked = 0
    for force in FORCES:
        own = json.loads((root / "forces" / force / "metrics.json").read_text())["figures"]
        table = pd.read_csv(root / "forces" / force / "tables" / "differences.csv", dtype=str)
        rest = table[table["Compared with"].eq("England and Wales without this force")]
        for figure in own.values():
            if "n" not in figure:
                continue
            row = rest[rest["Measure"].eq(figure["label"])]
            assert len(row) == 1, (force, figure["label"])
            if figure["count"] == HIDDEN or figure["n"] == HIDDEN:
                assert row["This force"].iloc[0] == HIDDEN
                continue
            assert row["This force"].iloc[0] == format_share(figure["count"] / figure["n"])
            whole = next(f for f in national.values() if f["label"] == figure["label"])
            if HIDDEN not in (whole["count"], whole["n"]):
                expected = (whole["count"] - figure["count"]) / (whole["n"] - figure["n"])
                assert row["Them"].iloc[0] == format_share(expected), (force, figure["label"])
                checked += 1
    assert checked >= 8


@pytest.mark.parametrize("profile", PROFILES)
def test_item7_crimes_recorded_is_one_cell_in_the_funnel_and_the_headline(runs, profile):
    """The funnel's "Crime recorded" row is the headline's crimes recorded: printed in one, it
    is printed (the same number) in the other; Durham's funnel showed [c] under a headline 550."""
    checked = 0
    for force in FORCES:
        tables = runs[profile].root / "forces" / force / "tables"
        funnel = pd.read_csv(tables / "funnel_view.csv", dtype=str).set_index("Stage")
        headline = pd.read_csv(tables / "headline_by_offence_view.csv", dtype=str)
        recorded = headline.set_index("Measure").loc["Crimes recorded"]
        for group in ("All sexual offences", "Rape", "Other sexual offences"):
            in_funnel = funnel.loc["Crime recorded", f"{group}: cases so far"]
            assert (in_funnel == HIDDEN) == (recorded[group] == HIDDEN), (force, group)
            if in_funnel != HIDDEN:
                assert number(in_funnel)[0] == number(recorded[group])[0], (force, group)
                checked += 1
    assert checked >= 6


def test_item7_cases_still_open_are_hidden_in_the_headline_where_the_outcome_mix_hides_them(
        runs, other_runs):
    """The headline's share still open is the outcome mix's open cases over the crimes
    recorded: with exact counts (partner), where the outcome mix hides the open cases the
    headline hides the share. On a run of nine small forces the two chose different
    complements, and the headline's shares gave Bedfordshire's 9 open rapes back from the
    national share. (Under rounding the headline's lines rest on the rounding, and the
    attacker above checks the whole run.)"""
    checked = 0
    for folder in [path for run in (runs["partner"], other_runs["partner"])
                   for path in sorted((run.root / "forces").iterdir())]:
        mix = pd.read_csv(folder / "tables" / "outcome_mix_view.csv", dtype=str)
        mix = mix.set_index("Outcome").loc["Open at the extract date (censored)"]
        headline = pd.read_csv(folder / "tables" / "headline_by_offence_view.csv", dtype=str)
        still = headline.set_index("Measure").loc[
            "Still open at the extract date (share of all recorded)"]
        for group in ("All sexual offences", "Rape", "Other sexual offences"):
            if mix[f"{group}: cases"] == HIDDEN:
                assert still[group] == HIDDEN, (folder.name, group)
                checked += 1
    assert checked >= 1


@pytest.mark.parametrize("which", ["runs", "other_runs"])
def test_item11_every_share_printed_beside_its_counts_is_their_ratio(request, which):
    """Under rounding, a share printed where both its counts are printed is their ratio (to
    the decimals printed): computed from the true counts it gives back what the rounding hid
    (the funnel's share of the crimes recorded did)."""
    know = build(request.getfixturevalue(which)["publication"], _base("publication"))
    checked, bad = 0, []
    for numerator, denominator, text, scale in know.shares:
        if not (isinstance(numerator, str) and isinstance(denominator, str)):
            continue
        k, n, parsed = know.values.get(numerator), know.values.get(denominator), number(text)
        if parsed is None or k is None or not n:
            continue
        value, decimals, percent = parsed
        checked += 1
        if round(k / n * (scale or (100.0 if percent else 1.0)), decimals) != value:
            bad.append((numerator, denominator, text, k, n))
    assert checked > 100 and not bad, bad


def test_the_attacker_finds_a_share_of_the_true_counts_contradicts_the_rounding():
    """The national funnel as it was printed on a run of five small forces: 90 charged, 9.4%
    charged and 3.0% convicted of the crimes recorded (not printed). No rounded counts give
    both shares, so the attacker's model (shares of published counts) is infeasible; with
    shares of published counts (95 of 960 and 30 of 960) it is not."""
    from published_run import Knowledge

    def attack(charged, share_charged, share_convicted):
        know = Knowledge(5)
        know.count("charged", charged, "funnel")
        know.share("charged", "recorded", share_charged)
        know.share("convicted", "recorded", share_convicted)
        know.at_most("convicted", "charged")
        return know.attack()

    with pytest.raises(AssertionError, match="contradict"):
        attack("90", "9.4%", "3.0%")
    found = attack("95", "9.9%", "3.1%")
    # 955 or 960 published, each within 2 of the truth; 30 convicted published
    assert found["recorded"] == (953, 962) and found["convicted"] == (28, 32)


@pytest.mark.parametrize("which", ["runs", "other_runs"])
def test_item11_time_to_outcome_steps_are_shares_of_the_published_cohort(request, which):
    """Under rounding, each step of a time-to-outcome table is a multiple of 5 events over the
    cohort's size rounded to 5: Cumbria's 9.3% charged by day 365 of 2021/22, from the true
    counts, gave back the 11 charges the trend table printed as "10 of 120". The curve's
    cohort is the financial year the report names with the cases transferred within the year
    (censored at their transfer), which the trend table's "Out of" leaves out: a multiple of 5
    from that "Out of" up, the same for every step."""
    root = request.getfixturevalue(which)["publication"].root
    owners = {path.parent: path for path in root.glob("forces/*/report.html")}
    owners[root / "national"] = root / "national" / "overview.html"
    checked = 0
    for folder, page in owners.items():
        year = re.search(r"Cases recorded in (\d{4}/\d{2}), followed", page.read_text())
        steps = pd.read_csv(folder / "tables" / "time_to_outcome.csv", dtype=str)
        days = [c for c in steps.columns if c.startswith("by day ")]
        if not days:
            continue  # too few cases for a curve
        assert year, folder
        trends = next((folder / "tables").glob("cohort_trends*.csv"))
        trend = pd.read_csv(trends, dtype=str)
        out_of = {number(v)[0] for v in trend.loc[trend.iloc[:, 0].eq(year.group(1)), "Out of"]
                  if number(v)}
        assert len(out_of) == 1, (folder, out_of)
        least = out_of.pop()
        shown = [number(text)[:2] for text in steps[days].to_numpy().ravel()
                 if number(text) is not None]

        def fits(cohort, shown=shown):
            return all(round(round(value / 100 * cohort / 5) * 5 / cohort * 100, decimals)
                       == value for value, decimals in shown)

        # the transfers within a year are a few per cent of a year's cases at most
        candidates = range(int(least), int(least * 1.1) + 10, 5)
        assert any(fits(c) for c in candidates), (folder, least, shown)
        checked += len(shown)
    assert checked >= 10


@pytest.mark.parametrize("which", ["runs", "other_runs"])
@pytest.mark.parametrize("profile", PROFILES)
def test_item7_a_curve_shows_nothing_the_trends_hide(request, which, profile):
    """A time-to-outcome curve is its events over the financial year's cases it follows (few
    are censored), and by day 365 it is the trend table's share of that year: where the trends
    hide the year's cases no curve is shown (two steps gave Dyfed-Powys's hidden 56 cases of
    2021/22 back, and City of London's 2 with them), and where they hide an outcome of that
    year the curve's step at day 365 is hidden too."""
    root = request.getfixturevalue(which)[profile].root
    withheld = []
    for folder in sorted(root.glob("forces/*")):
        page = (folder / "report.html").read_text()
        year = re.search(r"Cases recorded in (\d{4}/\d{2}), followed", page)
        steps = pd.read_csv(folder / "tables" / "time_to_outcome.csv", dtype=str)
        trend = pd.read_csv(folder / "tables" / "cohort_trends.csv", dtype=str)
        if year is None or not trend.iloc[:, 0].eq(year.group(1)).any():
            continue
        rows = trend[trend.iloc[:, 0].eq(year.group(1))].set_index("Outcome")
        if (rows["Out of"] == HIDDEN).all():
            assert not any(c.startswith("by day ") for c in steps.columns), folder.name
            if steps.iloc[:, 0].str.startswith("Not shown: the number of cases").any():
                withheld.append(folder.name)  # not "too few cases": withheld for the trends
            continue
        if "by day 365" not in steps.columns:
            continue
        for outcome, cell in steps.set_index("Outcome")["by day 365"].items():
            if outcome in rows.index and rows.loc[outcome, "Cases"] == HIDDEN:
                assert cell == HIDDEN, (folder.name, outcome, cell)
    if which == "other_runs":
        assert withheld  # Dyfed-Powys: its 2021/22 cases are hidden to protect City of London's


# --------------------------------------------------------------------------------------------
# The curves under exact counts
# --------------------------------------------------------------------------------------------
@settings(max_examples=300)
@given(st.lists(st.tuples(st.integers(1, 60), st.sampled_from(["a", "b", "censored"])),
                min_size=1, max_size=40),
       st.integers(1, 60))
@example([(1, "b"), (2, "censored"), (3, "a")], 3)
def test_an_aalen_johansen_step_lies_between_events_and_events_with_the_censored_over_cohort(
        cases, day):
    """What the attacker assumes of a printed step under ``partner``: with ``D`` events of an
    outcome by day ``t`` among ``n`` cases of which ``C`` were censored by then, the
    package's Aalen-Johansen estimate (``competing_risks.cumulative_incidence``, as the
    reports print it) lies between ``D / n`` and ``(D + C) / n``. (Not below ``D / (n - C)``:
    in the example, one "b", one censored, then one "a" alone at risk gives "a" 2/3, not 1/2.
    A first version of the attacker assumed so, and called a run's curves contradictory.)"""
    from soteria_research.analysis.competing_risks import cumulative_incidence

    frame = pd.DataFrame(cases, columns=["days", "outcome"])
    curves = cumulative_incidence(frame, times=[day])
    n = len(frame)
    censored = int((frame["outcome"].eq("censored") & frame["days"].le(day)).sum())
    for outcome in ("a", "b"):
        row = curves[curves["outcome"].eq(outcome)]
        if row.empty or pd.isna(row["cif"].iloc[0]):
            continue
        events = int((frame["outcome"].eq(outcome) & frame["days"].le(day)).sum())
        estimate = float(row["cif"].iloc[0])
        assert events / n - 1e-12 <= estimate <= (events + censored) / n + 1e-12


def test_a_curve_under_exact_counts_bounds_its_events_from_both_sides():
    """A step of 20.0% over a cohort of 100 to 102 cases (the trend's year printed as 100,
    the force's crimes recorded 102): at most 20 events (20.0% of 102 is 20.4), and at least
    19 (20.0% of 102 less its 2 cases censored); by day 365 the trend year's count of that
    outcome is the same number."""
    from published_run import Knowledge, _censored_step

    def step_of(text):
        know = Knowledge(None)
        know.count("trend", "100", "trends")
        know.count("recorded", "102", "headline")
        know.at_most("trend", "cohort")
        know.at_most("cohort", "recorded")
        _censored_step(know, "step", "cohort", "trend", text)
        return know

    know = step_of("20.0% (13.0% to 29.0%)")
    know.total(["step"], "trend|charged")
    found = know.attack(targets=["step", "trend|charged"])
    assert found["step"] == (19, 20) and found["trend|charged"] == (19, 20)
    # a step of 0.0% of at most 102 cases: none
    assert step_of("0.0%").attack(targets=["step"])["step"] == (0, 0)


def test_a_figure_step_and_a_table_day_are_one_curve_to_the_attacker():
    """The flaw of a one-month Lancashire report, as its files would print it under exact
    counts (385 cases of 2022/23, none transferred): the figure's charge curve stepped at day
    260 to 2.6% (10 charges) while the table and the trends printed 15 by day 365 (3.9%). Read
    with the figure's data, the 5 charges between the two days are exact; the table alone
    (day 180 hidden) leaves them unknown. The attacker reads the figure's data as steps of the
    table's curve: one quantity per outcome and day."""
    from published_run import Knowledge, _curve_cohort, _curve_steps

    charged = OUTCOMES[0]

    def attack(figure):
        know = Knowledge(None)
        know.count("f|recorded", "385", "headline")
        know.count("f|trend|2022/23", "385", "trends")
        know.count(f"f|trend|2022/23|{charged}", "15", "trends")
        cohort, trend = _curve_cohort(know, "f", "2022/23", "f|recorded")
        year = [(30, HIDDEN), (90, HIDDEN), (180, HIDDEN), (365, "3.9% (2.4% to 6.3%)")]
        _curve_steps(know, "f", charged, year, cohort, trend)
        _curve_steps(know, "f", charged, figure, cohort, trend)
        return disclosed(know.attack(), zeros=False)

    assert attack([(365, "3.9% (2.4% to 6.3%)")]) == {}
    assert attack([(260, "2.6% (1.4% to 4.7%)"), (365, "3.9% (2.4% to 6.3%)")]) == {
        f"f|curve|{charged}|260-365": 5}


def test_a_rounded_curve_step_is_a_share_of_weighted_events_not_of_the_trends_count():
    """Under rounding, a step is its Aalen-Johansen share times the cohort, rounded, over the
    cohort rounded: the events with the weight the censored passed on, not the events. A
    national curve of four small forces printed 14.5% with evidential difficulties by day 365
    of 2021/22 (187 events, 1.6 more of weight from the year's 12 transfers: 190 of a
    published 1,310) beside the trends' 185 of 1,300; an attacker taking the step for the
    events called these files contradictory. The events by day 365 are still the trends'."""
    from published_run import Knowledge, _curve_cohort, _curve_steps

    evidential = OUTCOMES[2]
    know = Knowledge(5)
    know.count("f|recorded", "2600", "headline")
    know.count("f|trend|2021/22", "1300", "trends")
    know.count(f"f|trend|2021/22|{evidential}", "185", "trends")
    cohort, trend = _curve_cohort(know, "f", "2021/22", "f|recorded")
    _curve_steps(know, "f", evidential, [(365, "14.5% (12.6% to 16.6%)")], cohort, trend)
    found = know.attack(targets=[f"f|curve|{evidential}|365", cohort])
    assert found[f"f|curve|{evidential}|365"] == (183, 187)
    # at least 188 weighted events, published 190 or more, 14.5% of a published 1,310 or
    # more: the cohort is 1,308 cases or more (1,312 in truth), beyond the trends' year
    assert found[cohort][0] == 1308


# --------------------------------------------------------------------------------------------
# The run-level protection governs what the reports print (reporting/run_pattern.py)
# --------------------------------------------------------------------------------------------
#: Each own table of a force report as its take-away CSV prints it: the column(s) naming a
#: row, and the heading of each count the run registered.
OWN_CSV = {
    "withdrawal_stage": (("Furthest stage reached",), {"n": "Withdrawals",
                                                        "n_withdrawals": "Out of"}),
    "withdrawal_timing": (("Withdrew within (days of report)",), {"n": "Withdrawals",
                                                                   "n_withdrawals": "Out of"}),
    "repeat_suspects": ((), {"n": "Repeat suspects", "n_suspects": "Suspects named",
                             "n_cases_repeat": "Cases involving a repeat suspect",
                             "n_cases": "Cases with a named suspect"}),
    "officer_caseload": (("Caseload",), {"officers": "Officers", "cases": "Cases"}),
    "earlier_allegations": (("Allegation", "Outcome"), {"n": "Cases", "n_total": "Out of"}),
    "device_requests": (("Measure",), {"n": "Cases", "n_events": "With the event"}),
}


def _row_label(name: str, key: dict) -> tuple[str, ...]:
    from soteria_research.reporting.figures import label
    from soteria_research.reporting.report_common import ALLEGATIONS, CASELOADS

    if name == "withdrawal_timing":
        return (str(int(key["within_days"])),)
    if name == "officer_caseload":
        return (CASELOADS[key["caseload"]],)
    if name == "earlier_allegations":
        return (ALLEGATIONS[key["allegation"]], label(key["outcome_group"]))
    if name == "device_requests":
        return (label(key["measure"]),)
    return tuple(label(v) for v in key.values())


@pytest.mark.parametrize("profile", PROFILES)
def test_reports_print_no_count_the_run_level_protection_hides(runs, profile):
    """Every count the run-level protection hides in a force report's own tables (its saved
    pattern, ``run_pattern.save_own``) reads "[c]" in the table the report publishes; City of
    London's small counts are among them, so the check is never empty."""
    from soteria_research.reporting.run_pattern import load_own

    root = runs[profile].root
    shared = root.parent / f"{root.name}-private" / "shared"
    checked = 0
    for force in FORCES:
        pattern = load_own(shared, force)
        assert pattern is not None, force
        for name, (row_columns, headings) in OWN_CSV.items():
            entry = pattern["tables"].get(name)
            path = root / "forces" / force / "tables" / f"{name}.csv"
            if entry is None or not path.exists():
                continue
            printed = pd.read_csv(path, dtype=str, keep_default_na=False)
            rows = {tuple(r[c] for c in row_columns): r for _, r in printed.iterrows()}
            for values, mask in zip(entry["rows"], entry["mask"]):
                key = dict(zip(entry["columns"], values))
                hidden = dict(zip(entry["columns"], mask))
                for count, heading in headings.items():
                    if name == "device_requests":
                        measures = {c.split("__")[0] for c in entry["columns"]}
                        cells = [({"measure": m}, f"{m}__{count}") for m in sorted(measures)]
                    else:
                        cells = [({k: key[k] for k in entry["keys"]}, count)]
                    for row_key, column in cells:
                        row = rows.get(_row_label(name, row_key) if row_columns else ())
                        if row is None or not hidden[column]:
                            continue
                        assert row[heading] == "[c]", (force, name, row_key, heading)
                        checked += 1
    assert checked > 10
