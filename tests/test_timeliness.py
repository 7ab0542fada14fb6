"""Timeliness, prosecution decisions and suspect-focused measures: estimates against hand
calculations and lifelines, censoring respected, the rape / other split adding up, and the
three report sections rendering for a large force, a small one, City of London and England
and Wales with the numbers of the analysis functions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from handmade_cases import make_cases
from report_fixtures import FORCES, small_cases
from statsmodels.stats.proportion import proportion_confint

from soteria_research.analysis import timeliness as tl
from soteria_research.errors import ParameterError

REPORT = "2022-01-01"
EXTRACT = "2024-01-01"  # 730 days after REPORT


def _day(offset: int, start: str = REPORT) -> str:
    return (pd.Timestamp(start) + pd.Timedelta(days=offset)).date().isoformat()


def _ended(days: int, code: str) -> dict:
    row = {"outcome_code": code, "outcome_date": _day(days)}
    if code in ("1", "1A", "15", "16"):
        row["suspect_identified_date"] = REPORT
        row["suspect_id"] = "s"
    if code in ("1", "1A"):
        row["charge_date"] = _day(days)
    return row


def _one(table: pd.DataFrame, measure: str) -> pd.Series:
    return table.set_index("measure").loc[measure]


# --------------------------------------------------------------------------------------------
# Report to any outcome: Kaplan–Meier, open and transferred cases censored
# --------------------------------------------------------------------------------------------
def _any_outcome_cases() -> pd.DataFrame:
    # outcomes on days 10, 40, 50; a transfer on day 20 (censored there); one case still open
    return make_cases([_ended(10, "14"), _ended(20, "20"), _ended(40, "15"), _ended(50, "18"),
                       {}])


def test_median_to_any_outcome_counts_open_cases_as_censored():
    """By hand: S(10) = 4/5; the transfer leaves 3 at risk; S(40) = 4/5 · 2/3 = 0.533;
    S(50) = 0.533 · 1/2 = 0.267, so the median is day 50. The closed cases alone (10, 40, 50)
    would give 40."""
    row = _one(tl.timeliness(_any_outcome_cases()), "report_to_outcome")
    assert row["estimate"] == 50
    assert np.median([10, 40, 50]) != row["estimate"]
    assert (row["n"], row["n_events"], row["method"]) == (5, 3, "kaplan_meier")
    shares = _one(tl.timeliness_shares(_any_outcome_cases(), within_days=45),
                  "report_to_outcome")
    assert shares["estimate"] == pytest.approx(1 - 0.8 * 2 / 3)
    assert (shares["n_events"], shares["n_at_risk"]) == (2, 2)


def test_median_to_any_outcome_equals_statsmodels_on_synthetic_data(synthetic):
    """statsmodels' Kaplan–Meier (``SurvfuncRight``) on a frame built here from the dates."""
    from statsmodels.duration.survfunc import SurvfuncRight

    cases = synthetic[synthetic["force"].eq("durham")]
    extract = cases["extract_date"]
    ended = ~cases["outcome_group"].isin(["open", "transferred"])
    stop = cases["outcome_date"].where(cases["outcome_group"].ne("open"), extract)
    days = (stop - cases["report_date"]).dt.days
    fitter = SurvfuncRight(days.to_numpy(float), ended.to_numpy(int))
    row = _one(tl.timeliness(cases), "report_to_outcome")
    assert row["estimate"] == fitter.quantile(0.5)
    at = np.searchsorted(fitter.surv_times, 365, side="right") - 1
    survival_365 = fitter.surv_prob[at]
    share = _one(tl.timeliness_shares(cases, within_days=365), "report_to_outcome")
    assert share["estimate"] == pytest.approx(1 - survival_365)


# --------------------------------------------------------------------------------------------
# Report to charge: cumulative incidence, other outcomes competing
# --------------------------------------------------------------------------------------------
def _charge_cases() -> pd.DataFrame:
    # charges on days 10, 20, 30, 40; a transfer on day 12; a withdrawal on day 25; one open
    return make_cases([_ended(10, "1"), _ended(12, "20"), _ended(20, "1"), _ended(25, "14"),
                       _ended(30, "1"), _ended(40, "1"), {}])


def test_median_to_charge_from_the_cumulative_incidence_by_hand():
    """By hand (Aalen–Johansen): F(10) = 1/7, S = 6/7; the transfer leaves 5 at risk;
    F(20) = 1/7 + 6/7 · 1/5 = 11/35, S = 24/35; the withdrawal makes S = 18/35;
    F(30) = 11/35 + 18/35 · 1/3 = 17/35 < 0.5; F(40) = 17/35 + 12/35 · 1/2 = 23/35: the median
    is day 40. Charged cases alone (10, 20, 30, 40) would give 25."""
    cases = _charge_cases()
    row = _one(tl.timeliness(cases), "report_to_charge")
    assert row["estimate"] == 40 and bool(row["reached"])
    assert np.median([10, 20, 30, 40]) != row["estimate"]
    assert (row["n"], row["n_events"], row["method"]) == (7, 4, "aalen_johansen")
    share = _one(tl.timeliness_shares(cases, within_days=35), "report_to_charge")
    assert share["estimate"] == pytest.approx(17 / 35)
    assert share["ci_low"] < 17 / 35 < share["ci_high"]


def test_charge_incidence_equals_lifelines_aalen_johansen():
    """lifelines is an optional (benchmark) dependency: skipped where it is not installed."""
    lifelines = pytest.importorskip("lifelines")
    AalenJohansenFitter = lifelines.AalenJohansenFitter

    cases = _charge_cases()
    days = np.array([10, 12, 20, 25, 30, 40, 730])
    event = np.array([1, 0, 1, 2, 1, 1, 0])  # 1 charge, 2 withdrawal, 0 censored
    fitter = AalenJohansenFitter(calculate_variance=False).fit(days, event, event_of_interest=1)
    for day in (15, 22, 35, 45):
        theirs = float(fitter.cumulative_density_.loc[:day].iloc[-1, 0])
        mine = _one(tl.timeliness_shares(cases, within_days=day), "report_to_charge")
        assert mine["estimate"] == pytest.approx(theirs), day


def test_charge_median_not_reached_then_the_share_within_a_year_is_given():
    # one charge in four: the cumulative incidence stops at 1/4
    cases = make_cases([_ended(10, "1"), _ended(20, "14"), _ended(30, "18"), {}])
    row = _one(tl.timeliness(cases), "report_to_charge")
    assert np.isnan(row["estimate"]) and not bool(row["reached"])
    share = _one(tl.timeliness_shares(cases, within_days=365), "report_to_charge")
    assert share["estimate"] == pytest.approx(0.25)


# --------------------------------------------------------------------------------------------
# Referral to decision, suspects
# --------------------------------------------------------------------------------------------
def test_referral_to_decision_with_cases_ending_first_competing():
    """Five files referred on one day: decisions after 10, 30 and 50 days, a case withdrawn
    after 20 days without one, one open. By hand F(10) = 1/5, S = 3/5 after the withdrawal,
    F(30) = 1/5 + 3/5 · 1/3 = 2/5, F(50) = 2/5 + 2/5 · 1/2 = 3/5: median 50 (30 among the
    decided files alone)."""
    referral = "2022-03-01"
    base = {"suspect_identified_date": "2022-02-01", "suspect_id": "s",
            "file_to_cps_date": referral}
    decided = [{**base, "cps_decision_date": _day(d, referral), "cps_decision": "charge"}
               for d in (10, 30, 50)]
    withdrawn = {**base, "outcome_code": "16", "outcome_date": _day(20, referral)}
    cases = make_cases([*decided, withdrawn, base])
    row = _one(tl.timeliness(cases), "referral_to_decision")
    assert (row["estimate"], row["n"], row["n_events"]) == (50, 5, 3)
    assert row["estimate"] != np.median([10, 30, 50])


def _suspect_cases() -> pd.DataFrame:
    identified = "2022-02-01"
    base = {"suspect_identified_date": identified, "suspect_id": "s"}
    rows = [{**base, "arrest_date": _day(d, identified), "interview_date": _day(d, identified)}
            for d in (5, 60, 100)]
    rows += [{**base, "interview_date": _day(d, identified)} for d in (15, 30, 200)]  # voluntary
    rows += [{**base, "outcome_code": "16", "outcome_date": _day(40, identified)}]
    rows += [{**base}] * 2                                            # open, nothing yet
    rows += [{"suspect_identified_date": "2023-12-01", "suspect_id": "s",
              "arrest_date": "2023-12-05", "interview_date": "2023-12-05"}]  # identified late
    rows += [{}]                                                      # no suspect
    return make_cases(rows)


def test_suspects_arrested_within_a_window_among_cases_followed_that_long():
    """The late identification (31 days before the extract) counts in neither window; the
    case without a suspect in none. 90 days: 2 of 9 arrested (days 5 and 60); 365 days: 3 of
    9 (and 100). Intervals are Wilson's (statsmodels)."""
    table = tl.suspects_arrested(_suspect_cases(), within_days=(90, 365)).set_index(
        "within_days")
    assert table.loc[90, ["n", "n_suspects"]].tolist() == [2, 9]
    assert table.loc[365, ["n", "n_suspects"]].tolist() == [3, 9]
    low, high = proportion_confint(3, 9, method="wilson")
    assert table.loc[365, "estimate"] == pytest.approx(3 / 9)
    assert (table.loc[365, "ci_low"], table.loc[365, "ci_high"]) == pytest.approx((low, high))


def test_time_to_arrest_and_interview_from_identification():
    """Ten cases with a suspect, the withdrawal on day 40 competing. Arrests on days 4 (the
    late one), 5, 60 and 100: by hand F(5) = 2/10, the withdrawal leaves S = 7/10, F(60) =
    3/10, F(100) = 4/10, never a half: not reached. Interviews on days 4, 5, 15, 30, 60, 100,
    200: F(30) = 4/10, S = 5/10 after the withdrawal, F(60) = 4/10 + 5/10 · 1/5 = 5/10."""
    table = tl.suspect_timeliness(_suspect_cases()).set_index("measure")
    assert not bool(table.loc["identified_to_arrest", "reached"])
    assert table.loc["identified_to_arrest", ["n", "n_events"]].tolist() == [10, 4]
    # exactly 0.5 at day 60, then a drop at day 100: survfit's rule takes the midpoint
    assert table.loc["identified_to_interview", "estimate"] == 80


def test_prosecution_decisions_place_each_referred_file_a_window_after_referral():
    referral = "2022-03-01"
    base = {"suspect_identified_date": "2022-02-01", "suspect_id": "s",
            "file_to_cps_date": referral}

    def decided(days, decision):
        return {**base, "cps_decision_date": _day(days, referral), "cps_decision": decision}

    rows = [decided(20, "charge"), decided(40, "charge"), decided(60, "no_further_action"),
            decided(80, "further_investigation"), decided(90, "out_of_court"),
            decided(400, "charge"),                                # after the window: awaiting
            {**base, "outcome_code": "16", "outcome_date": _day(50, referral)},
            {**base},                                              # open, no decision
            {**base, "file_to_cps_date": "2023-11-01"}]            # too recent: not counted
    table = tl.prosecution_decisions(make_cases(rows), within_days=365).set_index("decision")
    assert list(table.index) == list(tl.DECISIONS)
    assert table["n"].to_dict() == {"charge": 2, "no_further_action": 1, "out_of_court": 1,
                                    "further_investigation": 1, "closed_without_decision": 1,
                                    "awaiting": 2}
    assert (table["n_files"] == 8).all()
    assert table.loc["charge", "estimate"] == pytest.approx(2 / 8)
    assert table.attrs["referred_by"] == "2023-01-01"


def test_windows_and_levels_are_checked():
    cases = _charge_cases()
    with pytest.raises(ParameterError, match="within_days"):
        tl.timeliness_shares(cases, within_days=0)
    with pytest.raises(ParameterError, match="level"):
        tl.timeliness(cases, level=95)
    with pytest.raises(ParameterError, match="by="):
        tl.suspects_arrested(cases, by="nonsense")


# --------------------------------------------------------------------------------------------
# The rape / other split on synthetic data
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic():
    from soteria_research.data.synthetic import generate_cases

    return generate_cases(forces=["durham", "cumbria"], scale=0.1, seed=5)


def test_rape_and_other_sexual_offences_add_up_to_all(synthetic):
    keys = {"timeliness": ["measure"], "timeliness_shares": ["measure"],
            "suspect_timeliness": ["measure"], "suspects_arrested": ["within_days"],
            "prosecution_decisions": ["decision"]}
    for name, key in keys.items():
        function = getattr(tl, name)
        whole = function(synthetic).set_index(key)
        split = function(synthetic, by="offence_group")
        assert set(split["offence_group"]) == {"rape", "other_sexual"}
        counts = [c for c in ("n", "n_events", "n_suspects", "n_files") if c in whole]
        summed = split.groupby(key)[counts].sum()
        pd.testing.assert_frame_equal(summed.sort_index(), whole[counts].sort_index(),
                                      check_dtype=False, obj=name)


def test_split_medians_equal_each_group_on_its_own(synthetic):
    split = tl.timeliness(synthetic, by="offence_group")
    for group in ("rape", "other_sexual"):
        alone = tl.timeliness(synthetic[synthetic["offence_group"].eq(group)])
        mine = split[split["offence_group"].eq(group)].drop(columns="offence_group")
        pd.testing.assert_frame_equal(mine.reset_index(drop=True), alone)


# --------------------------------------------------------------------------------------------
# The report sections
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shared_run(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("timeliness")
    data = small_cases(folder / "three_forces.csv", scale=0.05)
    return data, folder / "shared"


def _open(shared_run, force: str):
    from soteria_research.reporting.national import open_report
    from soteria_research.reporting.parameters import ReportParameters

    data, shared = shared_run
    return open_report(ReportParameters.validate(force=force, data=str(data),
                                                 shared=str(shared)))


def _sections(report):
    """Run the notebook's cells of the three sections (as papermill would, for this report),
    keeping what they display; then the text views of their protected tables."""
    import ast

    import nbformat
    from IPython.display import Markdown

    from soteria_research.reporting import sections_timeliness as timing
    from soteria_research.settings import NOTEBOOK_DIR

    name = "national_overview" if report.is_national else "force_deep_dive"
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and "timing." in c.source]
    assert len(cells) == 3
    shown = []
    from soteria_research.reporting.national import FUNNEL_PROTECTION, linked_funnel

    # the stage funnel, protected as the notebook's earlier cell does: the timeliness tables
    # publish its quantities as it does (one quantity, one cell)
    funnel = report.protect(linked_funnel(report.cases), name="funnel_national"
                            if report.is_national else "funnel", **FUNNEL_PROTECTION)
    namespace = {"report": report, "cases": report.cases, "params": report.params,
                 "Markdown": Markdown, "display": shown.append, "funnel": funnel}
    for source in cells:
        tree = ast.parse(source)
        last = tree.body[-1]
        tree.body[-1] = ast.Expr(ast.Call(ast.Name("display", ast.Load()), [last.value], []))
        exec(compile(ast.fix_missing_locations(tree), name, "exec"), namespace)  # noqa: S102
    html = [item.to_html() for item in shown if hasattr(item, "to_html")]
    notes = [item.data for item in shown if isinstance(item, Markdown)]
    assert len(html) == 4 and len(notes) == 3
    views = {"timeliness": timing.timeliness_view(namespace["timeliness"],
                                                  namespace["cps_timeliness"]),
             "decisions": timing.decisions_view(namespace["decisions"]),
             "suspects": timing.suspect_view(namespace["suspects"]),
             "arrests": timing.arrests_view(namespace["arrests"])}
    return views, html, notes


@pytest.mark.parametrize("force", [*FORCES, "national"])
def test_sections_render_with_the_analysis_numbers_and_nothing_disclosive(shared_run, force):
    from soteria_research.reporting import sections_timeliness as timing
    from soteria_research.reporting.disclosure import scan_for_disclosive_counts

    report = _open(shared_run, force)
    views, html, notes = _sections(report)
    assert all(note for note in notes)
    assert "Files referred by 2023-04-01" in notes[1]  # a year before the extract date
    assert scan_for_disclosive_counts(html).empty
    findings = scan_for_disclosive_counts([view for view in views.values()])
    assert findings.empty, findings
    # every median shown equals the analysis function's, for all offences and each group
    timing_view = views["timeliness"]
    cases = report.cases
    for group, label in timing.GROUPS.items():
        part = cases if group == "all" else cases[cases["offence_group"].eq(group)]
        expected = tl.timeliness(part).set_index("measure")
        shown = timing_view[timing_view["Offences"].eq(label)].set_index("Measure")
        for measure, words in tl.MEASURES.items():
            if words not in shown.index:
                continue
            text = shown.loc[words, "Median days (95% interval)"]
            if text != "[c]" and measure in expected.index:
                row = expected.loc[measure]
                assert text == timing.median_text(row["estimate"], row["ci_low"],
                                                  row["ci_high"]), (group, measure)
    # measures of one cohort show one count of cases: never hidden in one row, shown in another
    for view, measures in ((timing_view, list(tl.MEASURES.values())[:2]),
                           (views["suspects"], list(tl.SUSPECT_MEASURES.values()))):
        same = view[view["Measure"].isin(measures)].groupby("Offences")["Cases"].nunique()
        assert (same == 1).all(), view
    if force == "city_of_london":
        # so few cases that every count of the decisions and arrests is hidden
        assert (views["decisions"]["Files"] == "[c]").all()
        assert (views["arrests"]["Arrested"] == "[c]").all()
        # the note says why without telling whether its own counts are the small ones (a
        # large force's table can be hidden whole for City of London's in the national line)
        assert "here or in a force whose figures add up with these" in notes[1]
    cells = timing_view.drop(columns=["Offences", "Measure"]).to_numpy().ravel()
    if force == "national":
        # the nation shows most of what it has (it hides what the run-level protection hides
        # in its national line: on three forces, some national figures for City of London's)
        assert (cells == "[c]").mean() < 0.5, timing_view
    if force == "durham":
        # with only three forces, City of London's hidden cells hide some of Durham's too (the
        # national line must not reveal them), but not all
        assert (cells != "[c]").sum() >= 5, timing_view


def test_internal_profile_shows_the_analysis_numbers_exactly(shared_run):
    """Without suppression or rounding, every cell of the views is the analysis result."""
    from soteria_research.reporting import sections_timeliness as timing
    from soteria_research.reporting.disclosure import DisclosureControl

    cases = _open(shared_run, "durham").cases
    dc = DisclosureControl(profile="internal")
    decisions = dc.protect(timing.decisions_table(cases), name="d",
                           counts=timing.DECISION_COUNTS, rates=timing.DECISION_RATES,
                           column_total="n_files")
    view = timing.decisions_view(decisions)
    rape = tl.prosecution_decisions(cases[cases["offence_group"].eq("rape")],
                                    groups=tl.DECISION_GROUPS)
    shown = view[view["Offences"].eq("Rape")].reset_index(drop=True)
    assert shown["Files"].tolist() == [f"{n:,}" for n in rape["n"]]
    assert shown["Share (95% interval)"].tolist() == [
        timing.share_text(e, lo, hi) for e, lo, hi in
        zip(rape["estimate"], rape["ci_low"], rape["ci_high"], strict=True)]
    arrests = dc.protect(timing.arrests_table(cases), name="a", kind="rates",
                         counts=["n", "n_suspects"], rates=timing.ARREST_RATES)
    direct = tl.suspects_arrested(cases)
    shown = timing.arrests_view(arrests)
    shown = shown[shown["Offences"].eq("All sexual offences")]
    assert shown["Arrested"].tolist() == [f"{n:,}" for n in direct["n"]]
    assert "counted together as \"other\"" in timing.decisions_note(decisions, cases)


def test_force_tables_are_protected_with_every_force_so_no_hidden_cell_is_alone(shared_run):
    """The national overview publishes the totals of these tables, so a force's hidden count
    must never be the only hidden one of its line across forces (or it could be worked out by
    subtraction): the force reports use the run's linked pattern, and where one force's count
    is alone in its line the national figure is hidden (``run_pattern.hide_national``)."""
    from soteria_research.reporting import sections_timeliness as timing

    report = _open(shared_run, "cumbria")
    linked = report.disclosure.linked
    assert set(timing.LINKED) <= set(linked.names)
    keys = {"timeliness": [], "cps_timeliness": [], "suspect_timeliness": [],
            "suspects_arrested": ["within_days"], "prosecution_decisions": []}
    for name, key in keys.items():
        whole = linked.table(name)
        counts = [c for c in whole.frame.columns if c.split("__")[-1].startswith("n_")
                  or c.split("__")[-1] == "n"]
        lines = [whole.frame[k] for k in ["offence_group", *key]]
        hidden = whole.mask[counts].groupby(lines).sum()
        national = report.disclosure.run_pattern["national"]["tables"][name]
        theirs = pd.DataFrame(national["mask"], columns=national["columns"]).set_index(
            pd.MultiIndex.from_frame(pd.DataFrame(national["rows"], columns=national[
                "columns"])[["offence_group", *key]]))
        alone = (hidden == 1).stack()
        for (*line, column) in alone[alone].index:
            assert theirs.loc[tuple(line), column], (name, line, column)
    mine = report.protect(timing.timeliness_table(report.cases), name="timeliness")
    assert mine.record.notes[0].startswith("linked")


def _report_of_edited_durham(tmp_path, profile, edit):
    """Durham's report (and Cumbria in the run) on synthetic cases edited by ``edit``, with
    its protected funnel: what a force analyst's export gives the report."""
    from soteria_research.data.synthetic import generate_cases
    from soteria_research.reporting.national import FUNNEL_PROTECTION, linked_funnel, open_report
    from soteria_research.reporting.parameters import ReportParameters

    cases = generate_cases(forces=["durham", "cumbria"], scale=0.2, seed=1)
    edit(cases)
    cases.to_parquet(tmp_path / "cases.parquet", index=False)
    report = open_report(ReportParameters.validate(
        force="durham", data=str(tmp_path / "cases.parquet"), shared=str(tmp_path / "shared"),
        disclosure=profile))
    assert len(report.cases) == (cases["force"] == "durham").sum()  # nothing quarantined
    funnel = report.protect(linked_funnel(report.cases), name="funnel", **FUNNEL_PROTECTION)
    return report, funnel


def _printed_as_its_own(table, column, truth) -> None:
    values = table.frame.set_index("offence_group")[column]
    assert values.notna().any()
    for group in values.index[values.notna()]:
        assert values[group] == truth[group], group  # never the funnel's stage


def _by_group(rows: pd.DataFrame) -> dict:
    return {"all": len(rows), **rows.groupby("offence_group").size().to_dict()}


@pytest.mark.parametrize("profile", ["internal", "partner"])
def test_a_case_charged_without_a_referral_date_is_not_counted_among_the_files(
        tmp_path, profile):
    """A force's export may hold cases charged with no date of referral to the CPS (the
    validator accepts them). The funnel counts them at its referred stage (a case charged got
    past it); the CPS table counts files with a referral date, since its clock starts there.
    Two quantities: each table prints its own. The run had printed the funnel's count as the
    CPS table's files, and Durham's report then stopped ("column 'n' differs from the run's
    linked table")."""
    from soteria_research.reporting import sections_timeliness as timing

    def edit(cases):
        charged = cases.index[cases["force"].eq("durham") & cases["outcome_group"].eq("charge")
                              & cases["file_to_cps_date"].notna()][:6]
        cases.loc[charged, ["file_to_cps_date", "cps_decision_date", "cps_decision"]] = None

    report, funnel = _report_of_edited_durham(tmp_path, profile, edit)
    durham = report.cases
    cps = timing.agree_with_funnel(report.protect(
        timing.cps_table(durham), name="cps_timeliness", **timing.PROTECTION["cps_timeliness"]),
        funnel, "cps_timeliness")
    truth = _by_group(durham[durham["file_to_cps_date"].notna()])
    _printed_as_its_own(cps, "n", truth)
    if profile == "internal":
        referred = funnel.frame.set_index(["stage", "offence_group"])["n"]
        assert referred["referred_to_cps", "all"] == truth["all"] + 6


def test_a_charge_date_under_another_outcome_is_not_counted_among_the_charges(tmp_path):
    """The same for a charge date under a victim's withdrawal: the funnel's charged stage
    holds the case, the timeliness table's cases reaching charge (a charge outcome) do not."""
    from soteria_research.reporting import sections_timeliness as timing

    def edit(cases):
        withdrawn = cases.index[cases["force"].eq("durham")
                                & cases["outcome_group"].eq("victim_withdrawal")
                                & cases["charge_date"].isna()
                                & cases["cps_decision_date"].notna()][:5]
        cases.loc[withdrawn, "charge_date"] = cases.loc[withdrawn, "cps_decision_date"]

    report, funnel = _report_of_edited_durham(tmp_path, "internal", edit)
    durham = report.cases
    timeliness = timing.agree_with_funnel(report.protect(
        timing.timeliness_table(durham), name="timeliness", **timing.PROTECTION["timeliness"]),
        funnel, "timeliness")
    truth = _by_group(durham[durham["outcome_group"].eq("charge")])
    _printed_as_its_own(timeliness, "report_to_charge__n_events", truth)
    charged = funnel.frame.set_index(["stage", "offence_group"])["n"]
    assert charged["charged", "all"] == truth["all"] + 5
