"""Rape against other sexual offences, victim demographics, financial years labelled for the part
the data cover, and the breakdown sections of the reports for a large force, a smaller one,
City of London and the national overview."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from handmade_cases import make_cases  # noqa: E402
from report_fixtures import small_cases  # noqa: E402
from statsmodels.stats.proportion import proportion_confint  # noqa: E402

from soteria_research.analysis.demographics import (  # noqa: E402
    financial_year_labels,
    outcome_shares,
)
from soteria_research.data.synthetic import generate_cases  # noqa: E402
from soteria_research.reporting import figures_breakdowns  # noqa: E402
from soteria_research.reporting import sections_breakdowns as breakdowns  # noqa: E402
from soteria_research.reporting.disclosure import protect_linked  # noqa: E402
from soteria_research.reporting.national import (  # noqa: E402
    FUNNEL_PROTECTION,
    OUTCOME_MIX_PROTECTION,
    ReportContext,
    linked_funnel,
    linked_outcome_mix,
    prepare_national,
)
from soteria_research.reporting.parameters import ReportParameters  # noqa: E402

GROUPS = ["all", "rape", "other_sexual"]


@pytest.fixture(scope="module")
def cases() -> pd.DataFrame:
    return generate_cases(forces=["durham", "cumbria", "city_of_london"], scale=0.1, seed=21)


def _by_group(frame: pd.DataFrame, key: str, value: str) -> pd.DataFrame:
    return frame.pivot_table(index=["force", key], columns="offence_group", values=value,
                             aggfunc="sum")[GROUPS]


# --------------------------------------------------------------------------------------------
# Rape against other sexual offences
# --------------------------------------------------------------------------------------------
def test_outcome_mix_split_adds_up_and_equals_a_direct_count(cases):
    mix = linked_outcome_mix(cases, by="force")
    wide = _by_group(mix, "outcome_group", "n")
    assert (wide["all"] == wide["rape"] + wide["other_sexual"]).all()
    direct = pd.crosstab([cases["force"], cases["outcome_group"]], cases["offence_group"])
    direct = direct.reindex(wide.index, fill_value=0)
    assert (wide["rape"] == direct["rape"]).all()
    assert (wide["other_sexual"] == direct["other_sexual"]).all()
    # every outcome group is listed for every force and offence group, zeros included
    assert mix.groupby(["force", "offence_group"]).size().nunique() == 1
    assert len(mix) == 3 * 3 * mix["outcome_group"].nunique()


def test_funnel_split_adds_up_and_equals_a_direct_count(cases):
    funnel = linked_funnel(cases, by="force")
    wide = _by_group(funnel, "stage", "n")
    assert (wide["all"] == wide["rape"] + wide["other_sexual"]).all()
    recorded = wide.xs("recorded", level="stage")
    direct = pd.crosstab(cases["force"], cases["offence_group"])
    assert (recorded["rape"] == direct["rape"]).all()
    assert (recorded["other_sexual"] == direct["other_sexual"]).all()
    convicted = wide.xs("convicted", level="stage")
    direct = pd.crosstab(cases["force"], cases["offence_group"],
                         values=cases["court_outcome"].eq("convicted"), aggfunc="sum")
    assert (convicted["rape"] == direct["rape"]).all()


def test_the_offence_split_keeps_a_count_the_table_leaves_empty(cases):
    """The funnel's first stage has no previous stage: its ``n_previous`` is empty in the rape
    and other sexual offences rows as in the all-offences rows. As a 0 it made the run's
    funnel impossible to protect, and every force's funnel was withheld on a run of small
    forces (issue 16)."""
    split = linked_funnel(cases, by="force")
    first = split["stage"].eq("recorded")
    assert split.loc[first, "n_previous"].isna().all()
    assert split.loc[~first, "n_previous"].notna().all()
    later = split[~first].set_index(["force", "offence_group", "stage"])["n_previous"]
    assert (later.xs("all", level=1) == later.xs("rape", level=1)
            + later.xs("other_sexual", level=1)).all()


@pytest.mark.parametrize("profile", ["publication", "partner"])
def test_the_runs_funnel_is_protected_not_withheld_beside_a_tiny_force(cases, profile):
    """Issue 16: never the whole table withheld. Beside City of London (a few cases at each
    stage), a larger force's all-offences funnel stays readable down to the referral (with
    three forces one of the two must hide the stages where City of London's counts are small:
    the national line of each is published)."""
    from soteria_research.reporting.disclosure import protect_linked
    from soteria_research.reporting.national import FUNNEL_PROTECTION

    funnel = linked_funnel(cases, by="force")
    linked = protect_linked({"funnel": (funnel, FUNNEL_PROTECTION)}, profile=profile)
    record = linked.tables["funnel"]["record"]
    assert record["status"] == "suppressed", record["notes"]
    true = funnel[funnel["force"].eq("city_of_london")]["n"].to_numpy()
    small = (true < 10) & ((true > 0) | (profile == "publication"))
    assert small.sum() >= 6  # the tiny force has small counts to protect, and they are hidden
    assert linked.slice("funnel", "city_of_london").mask["n"].to_numpy()[small].all()
    readable = []
    for force in ("durham", "cumbria"):
        shown = linked.slice("funnel", force)
        rows = (shown.frame["offence_group"].eq("all")
                & shown.frame["stage"].isin(["recorded", "suspect_identified",
                                             "arrested_or_interviewed", "referred_to_cps"]))
        readable.append(not shown.mask.loc[rows.to_numpy(), "n"].any())
    assert any(readable)


def test_headline_split_adds_up_and_equals_a_direct_count(cases):
    headline = breakdowns.linked_headline(cases, by="force")
    for value in ("count", "n"):
        wide = _by_group(headline, "measure", value)
        assert (wide["all"] == wide["rape"] + wide["other_sexual"]).all(), value
    # charge within 365 days among rapes in Durham, counted here with plain pandas
    extract = cases["extract_date"].max()
    rapes = cases[cases["force"].eq("durham") & cases["offence_group"].eq("rape")]
    days = (rapes["outcome_date"] - rapes["recorded_date"]).dt.days
    followed = (extract - rapes["recorded_date"]).dt.days >= 365
    transferred = rapes["outcome_group"].eq("transferred") & days.le(365)
    base = followed & ~transferred
    charged = (rapes["outcome_group"].eq("charge") & days.le(365))[base].sum()
    row = headline[headline["force"].eq("durham") & headline["offence_group"].eq("rape")
                   & headline["measure"].eq("charged_within")].iloc[0]
    assert (row["count"], row["n"]) == (charged, base.sum())


def test_the_split_is_protected_so_no_hidden_cell_comes_back_by_subtraction(cases):
    """Within a force, all = rape + other; across forces, each line adds up to a national total
    that is published. Neither may hold exactly one hidden cell."""
    tables = {"funnel": (linked_funnel(cases, by="force"), {"counts": ["n"]}),
              "outcome_mix": (linked_outcome_mix(cases, by="force"),
                              {"counts": ["n"], "rates": dict.fromkeys(
                                  ("share", "ci_low", "ci_high"), ("n", None))})}
    linked = protect_linked(tables, profile="publication")
    hidden_somewhere = 0
    for name, key in (("funnel", "stage"), ("outcome_mix", "outcome_group")):
        table = linked.table(name)
        frame = table.frame.assign(hidden=table.mask["n"].to_numpy())
        hidden_somewhere += int(frame["hidden"].sum())
        within_force = frame.groupby(["force", key])["hidden"].sum()
        across_forces = frame.groupby(["offence_group", key])["hidden"].sum()
        assert not within_force.eq(1).any(), within_force[within_force.eq(1)]
        assert not across_forces.eq(1).any(), across_forces[across_forces.eq(1)]
        shown = frame.loc[~frame["hidden"], "n"]
        assert ((shown == 0) | (shown >= 10)).all()  # nothing small is published
    assert hidden_somewhere > 0  # City of London's small counts are hidden: the test bites


# --------------------------------------------------------------------------------------------
# Victim demographics
# --------------------------------------------------------------------------------------------
def _handmade() -> pd.DataFrame:
    """Six cases, extract 1 January 2024: financial year 2021/22 has a full year of follow-up,
    2022/23 has not (its last crimes are followed only until 2024-01-01)."""
    return make_cases([
        {"victim_age": 10, "victim_sex": "female", "victim_ethnicity": "white",
         "recorded_date": "2022-01-01", "outcome_code": "1", "outcome_date": "2022-06-01"},
        {"victim_age": 12, "victim_sex": "male", "victim_ethnicity": "black",
         "recorded_date": "2021-06-01", "outcome_code": "14", "outcome_date": "2021-07-01"},
        {"victim_age": 14, "victim_sex": "female", "victim_ethnicity": "white",
         "recorded_date": "2021-06-01", "outcome_code": "1", "outcome_date": "2022-09-01"},
        {"victim_age": 30, "victim_sex": "female", "victim_ethnicity": "asian",
         "recorded_date": "2021-05-01"},
        {"victim_age": 60, "victim_sex": "female", "victim_ethnicity": "white",
         "recorded_date": "2022-06-01", "outcome_code": "1", "outcome_date": "2022-07-01"},
        {"victim_age": None, "victim_sex": "female", "victim_ethnicity": "white",
         "recorded_date": "2021-10-01", "outcome_code": "15", "outcome_date": "2021-11-01"},
    ])


def test_demographic_shares_equal_hand_counts_and_list_every_category():
    cases = _handmade()
    ages = outcome_shares(cases, "victim_age_band").set_index("category")
    assert ages.index.tolist() == ["0_12", "13_15", "16_17", "18_24", "25_34", "35_49",
                                   "50_plus", "not_recorded"]
    # followed: the five crimes of 2021/22; the 60-year-old's (2022/23) is not yet
    assert ages["n_cohort"].tolist() == [2, 1, 0, 0, 1, 0, 0, 1]
    assert ages["n_charge"].tolist() == [1, 0, 0, 0, 0, 0, 0, 0]  # 14-year-old: after 365 days
    assert ages["n_victim_withdrawal"].tolist() == [1, 0, 0, 0, 0, 0, 0, 0]
    assert ages["n_evidential_difficulty"].tolist() == [0, 0, 0, 0, 0, 0, 0, 1]
    assert ages.loc["0_12", "charge_share"] == 0.5
    assert np.isnan(ages.loc["50_plus", "charge_share"])  # no case: no share, not zero

    sexes = outcome_shares(cases, "victim_sex").set_index("category")
    assert sexes.index.tolist() == ["female", "male", "not_stated"]
    assert sexes["n_cohort"].tolist() == [4, 1, 0]
    low, high = proportion_confint(1, 4, method="wilson")
    assert sexes.loc["female", ["charge_share", "charge_low", "charge_high"]].tolist() == \
        pytest.approx([0.25, low, high])
    assert sexes.loc["male", "victim_withdrawal_share"] == 1.0

    ethnicity = outcome_shares(cases, "victim_ethnicity").set_index("category")
    assert ethnicity.index.tolist() == ["white", "black", "asian", "mixed", "other",
                                        "not_stated"]
    assert ethnicity["n_cohort"].tolist() == [3, 1, 1, 0, 0, 0]
    assert ethnicity.attrs["cohorts"] == ["2021/22"]


# --------------------------------------------------------------------------------------------
# Financial years
# --------------------------------------------------------------------------------------------
def test_trend_rates_equal_a_direct_count_and_pool_the_rest(cases):
    trends = breakdowns.trend_rates(cases, by="force")
    assert trends["outcome"].unique().tolist() == ["charge", "victim_withdrawal",
                                                   "evidential_difficulty", "other_or_open"]
    durham = cases[cases["force"].eq("durham")]
    year = durham[(durham["recorded_date"] >= "2020-04-01")
                  & (durham["recorded_date"] <= "2021-03-31")]
    days = (year["outcome_date"] - year["recorded_date"]).dt.days
    rows = trends[trends["force"].eq("durham") & trends["cohort"].eq("2020/21")]
    by_outcome = rows.set_index("outcome")
    assert by_outcome.loc["charge", "n"] == (year["outcome_group"].eq("charge")
                                             & days.le(365)).sum()
    assert by_outcome.loc["victim_withdrawal", "n"] == (
        year["outcome_group"].eq("victim_withdrawal") & days.le(365)).sum()
    assert rows["n"].sum() == len(year) == rows["n_cohort"].iloc[0]
    assert "2023/24" in trends.attrs["excluded_cohorts"]  # not yet followed for a year


@pytest.mark.parametrize("profile", ["partner", "publication"])
def test_a_years_total_is_a_protected_count_and_its_shares_rest_on_published_counts(
        cases, profile):
    """Issue 16: the four outcomes of a year add up to its cases, and the shares give the
    total back (a share of 0 has no design effect, so its upper bound is z^2 / (n + z^2)).
    City of London's years of 1, 2 and 1 cases came out exactly from its trend table; now each
    year's total is a count cell: hidden below the threshold with every share of that year,
    never the only hidden total of a year (national = sum of forces), every year listed."""
    from statsmodels.stats.proportion import proportion_confint

    from soteria_research.reporting.disclosure import PROFILES, protect_linked
    from soteria_research.reporting.national import linked_cohort_rates

    rates = linked_cohort_rates(cases, by="force")
    table = breakdowns.with_year_totals(rates, by="force")
    totals = table[table["outcome"].eq(breakdowns.YEAR_TOTAL)].set_index(["force", "cohort"])
    direct = rates.groupby(["force", "cohort"])["n"].sum()
    assert (totals["n"].reindex(direct.index) == direct).all()  # a total is its outcomes' sum
    forces, years = rates["force"].unique(), rates["cohort"].unique()
    assert len(totals) == len(forces) * len(years)  # every year for every force
    assert totals.loc[("city_of_london", slice(None)), "n"].max() < 10  # small years exist

    linked = protect_linked({"cohort_trends": (table, {
        "counts": ["n"], "rates": dict.fromkeys(breakdowns.TREND_SHARES, ("n", None)),
        "design_effect": "design_effect"})}, profile=profile)
    profile_ = PROFILES[profile]
    hidden_per_year: dict[str, int] = {}
    for force in forces:
        shown = breakdowns.year_totals_as_column(linked.slice("cohort_trends", force),
                                                 effects=table[table["force"].eq(force)])
        frame, mask = shown.frame, shown.mask
        assert not frame["outcome"].eq(breakdowns.YEAR_TOTAL).any()
        assert sorted(frame["cohort"].unique()) == sorted(years)
        true_total = totals.loc[force, "n"].reindex(frame["cohort"]).to_numpy()
        small = (true_total < profile_.threshold) & (
            (true_total > 0) | profile_.zeros_disclosive)
        assert mask["n_cohort"].to_numpy()[small].all()  # primary on the year's total
        hidden = mask["n_cohort"].to_numpy()
        for column in breakdowns.TREND_SHARES:  # a share never shows beside a hidden total
            assert mask[column].to_numpy()[hidden | mask["n"].to_numpy()].all()
        for year in frame.loc[hidden, "cohort"].unique():
            hidden_per_year[year] = hidden_per_year.get(year, 0) + 1
        # shown shares and intervals: the published counts' (statsmodels' Wilson at the
        # row's design effect), not the true counts'
        ok = ~mask["estimate"].to_numpy() & frame["n_cohort"].gt(0).to_numpy()
        k, n = frame["n"].to_numpy(float)[ok], frame["n_cohort"].to_numpy(float)[ok]
        d = frame["design_effect"].to_numpy(float)[ok]
        low, high = proportion_confint(k / d, n / d, method="wilson")
        assert np.allclose(frame["estimate"].to_numpy(float)[ok], k / n)
        assert np.allclose(frame["ci_low"].to_numpy(float)[ok], low)
        assert np.allclose(frame["ci_high"].to_numpy(float)[ok], high)
    assert hidden_per_year and 1 not in hidden_per_year.values(), hidden_per_year


def test_part_years_are_labelled_for_a_period_starting_mid_year():
    labels = financial_year_labels(["2019/20", "2020/21", "2021/22"],
                                   covered_from="2019-10-15", covered_to="2022-01-31")
    assert labels == {"2019/20": "2019/20 (part)", "2020/21": "2020/21",
                      "2021/22": "2021/22 (part)"}
    whole = financial_year_labels(["2019/20"], covered_from="2019-04-01",
                                  covered_to="2020-03-31")
    assert whole == {"2019/20": "2019/20"}


# --------------------------------------------------------------------------------------------
# The sections, rendered
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One run's national work on three forces, reports from mid-October 2019."""
    folder = tmp_path_factory.mktemp("breakdowns")
    data = small_cases(folder / "cases.csv")
    params = ReportParameters.validate(data=str(data), period_start="2019-10-15")
    prepare_national(params.replace(force="national"), folder / "shared")
    return params, folder / "shared"


def _published(k: float, n: float, d: float = 1.0) -> str:
    """A share and its Wilson interval as published: from the counts rounded to base 5 (so a
    share never undoes the rounding of the counts beside it), the interval at the effective
    size over the design effect ``d``, computed here with statsmodels."""
    from statsmodels.stats.proportion import proportion_confint

    k5, n5 = 5 * round(k / 5), 5 * round(n / 5)
    low, high = proportion_confint(k5 / d, n5 / d, alpha=0.05, method="wilson")
    return f"{k5 / n5:.1%} ({low:.1%} to {high:.1%})"


def _shown_counts(view: pd.DataFrame, columns) -> list[float]:
    values = [v for c in columns for v in view[c] if v not in ("[c]", "–")]
    return [float(str(v).replace(",", "")) for v in values]


@pytest.mark.parametrize("force", ["durham", "cumbria", "city_of_london", "national"])
def test_breakdown_sections_render_with_protected_figures(shared, force):
    params, folder = shared
    report = ReportContext(params.replace(force=force), folder)

    split = breakdowns.headline_by_offence(report)
    assert split.columns.tolist() == ["Measure", "All sexual offences", "Rape",
                                      "Other sexual offences"]
    if force == "durham":  # the rape figure is the analysis function's, formatted
        from soteria_research.analysis.comparison import headline_figures

        rapes = report.cases[report.cases["offence_group"].eq("rape")]
        direct = headline_figures(rapes).set_index("measure").loc["charged_within"]
        cell = split.loc[split["Measure"].str.startswith("Charged"), "Rape"].iloc[0]
        assert cell in ("[c]", _published(direct["count"], direct["n"]))
    recorded = _shown_counts(split.iloc[[0]], split.columns[1:])
    assert all(v >= 10 and v % 5 == 0 for v in recorded)

    name = "funnel_national" if force == "national" else "funnel"
    funnel = report.protect(linked_funnel(report.cases), name=name, **FUNNEL_PROTECTION)
    view = breakdowns.offence_table(funnel, "stage", {"n": "cases"})
    assert len(view) == 6 and view.shape[1] == 4
    assert all(v >= 10 and v % 5 == 0 for v in _shown_counts(view, view.columns[1:]))
    figures_breakdowns.plot_funnel_by_offence(funnel.frame)

    name = "outcome_mix_national" if force == "national" else "outcome_mix"
    mix = report.protect(linked_outcome_mix(report.cases), name=name, **OUTCOME_MIX_PROTECTION)
    figures_breakdowns.plot_outcome_mix_by_offence(mix.frame)

    for dimension, n_categories in (("victim_age_band", 8), ("victim_sex", 3),
                                    ("victim_ethnicity", 6)):
        protected = breakdowns.demographics(report, dimension)
        view = breakdowns.demographics_view(protected, dimension)
        assert len(view) == n_categories  # every category, hidden or not
        shown = _shown_counts(view, ["Cases followed for a year"])
        assert all(v >= 10 and v % 5 == 0 for v in shown), (dimension, shown)
        if force == "national":  # the shares are the analysis function's, formatted
            direct = outcome_shares(report.cases, dimension).set_index("label")
            heading = "Victim withdrawal within 365 days"
            for label, cell in zip(view.iloc[:, 0], view[heading]):
                row = direct.loc[label]
                assert cell in ("[c]", _published(row["n_victim_withdrawal"], row["n_cohort"],
                                                  row["victim_withdrawal_design_effect"])), \
                    (label, cell)
            assert (view[heading] != "[c]").any()
    if force == "city_of_london":
        assert set(view["Cases followed for a year"]) == {"[c]"}

    trends = breakdowns.protected_trends(report)
    labels = breakdowns.year_labels(report, trends.frame)
    assert labels.get("2019/20") == "2019/20 (part)"
    assert labels.get("2020/21") == "2020/21"
    axes = figures_breakdowns.plot_trend_panels(trends.frame, labels=labels,
                                                marks=breakdowns.soteria_marks(report))
    ticks = [t.get_text() for t in axes[0].get_xticklabels()]
    drawn = pd.to_numeric(trends.frame["estimate"], errors="coerce").notna().any()
    if drawn:
        assert "2019/20\n(part)" in ticks
        charge = pd.to_numeric(trends.frame.loc[trends.frame["outcome"].eq("charge"),
                                                "ci_high"], errors="coerce")
        if charge.notna().any():  # the charge panel has its own scale, not the withdrawal one
            assert axes[0].get_ylim()[1] <= charge.max() * 1.2
    if force == "durham" and drawn:  # Soteria from January 2022, inside 2021/22
        assert any(line.get_linestyle() == "--" for line in axes[0].get_lines())
    if force == "cumbria" and drawn:  # from July 2023, after the last year followed
        notes = " ".join(t.get_text() for t in axes[0].figure.texts)
        assert "Outside the years shown: Soteria from Jul 2023" in notes
    plt.close("all")


def test_peers_show_their_outcomes_as_their_own_reports_do(shared):
    params, folder = shared
    durham = ReportContext(params.replace(force="durham"), folder)
    table = durham.peer_table()
    assert table["Force"].iloc[0] == "Durham (this force)"
    assert set(table["Force"].iloc[1:]) == {"Cumbria", "City of London"}
    own = durham.protected_headline().set_index("measure")
    charged = table["Charged within 365 days"].iloc[0]
    row = own.loc["charged_within"]
    assert charged == ("[c]" if pd.isna(row["estimate"]) else
                       f"{row['estimate']:.1%} ({row['ci_low']:.1%} to {row['ci_high']:.1%})")
    cumbria = ReportContext(params.replace(force="cumbria"), folder).protected_headline()
    row = cumbria.set_index("measure").loc["withdrawn_within"]
    assert table.loc[table["Force"].eq("Cumbria"), "Victim withdrew within 365 days"].iloc[0] \
        == ("[c]" if pd.isna(row["estimate"]) else
            f"{row['estimate']:.1%} ({row['ci_low']:.1%} to {row['ci_high']:.1%})")


def test_headline_protected_once_per_report_is_the_same_table_and_record_each_time(shared):
    # A report asks for its headline figures and the differences many times (key messages, the
    # headline view, the differences, metrics.json): each answer, and what disclosure.json says
    # of it, must be what one protection in a fresh report gives, whatever a caller did to an
    # earlier answer.
    params, folder = shared
    names = ["headline_recorded", "headline", "headline_recorded_peers", "headline_peers"]
    fresh = ReportContext(params.replace(force="durham"), folder)
    expected = fresh.protected_headline()
    peers = fresh.peers()
    expected_peers = fresh.peer_headline(peers)
    expected_differences = fresh.differences()
    expected_records = {n: fresh.disclosure.record(n) for n in names}
    # the pooled figures hide a measure because a peer's own figure is hidden: the records
    # are changed after protection, so the check below is not of untouched records
    assert any("pooled figures hidden" in note
               for note in expected_records["headline_peers"].notes)

    report = ReportContext(params.replace(force="durham"), folder)
    for _ in range(2):  # a caller changes the tables it was given, first time and after
        given, given_peers = report.protected_headline(), report.peer_headline(peers)
        given.loc[:, "count"] = -1.0
        given_peers.loc[:, "count"] = -1.0
        given_differences = report.differences()
        given_differences.loc[:, "difference"] = "changed"
    for _ in range(3):
        # between two asks, other pooled figures are protected under the same names (as the
        # national overview does for each force's peers)
        report.peer_headline(["durham"], report.cases)
        pd.testing.assert_frame_equal(report.differences(), expected_differences)
        for name in names:  # the differences alone log their headline records again
            assert report.disclosure.record(name) == expected_records[name], name
        report.peer_headline(["durham"], report.cases)
        pd.testing.assert_frame_equal(report.protected_headline(), expected)
        pd.testing.assert_frame_equal(report.peer_headline(peers), expected_peers)
        for name in names:
            assert report.disclosure.record(name) == expected_records[name], name

    # a different table is protected, not read from the first answer
    headline = report.artefact("headline")
    national = headline[headline["force"].eq("national")].reset_index(drop=True)
    shown = report._protect_headline(national, suffix="_national")
    larger = national.assign(count=national["count"] + 50, n=national["n"] + 100)
    changed = report._protect_headline(larger, suffix="_national")
    other = ReportContext(params.replace(force="durham"), folder)
    pd.testing.assert_frame_equal(changed, other._protect_headline(larger, suffix="_national"))
    assert not changed["count"].equals(shown["count"])


def test_national_outcome_mix_is_wide_with_force_names(shared):
    params, folder = shared
    report = ReportContext(params.replace(force="national"), folder)
    mix = report.protect(report.outcome_mix_by_force(), name="outcome_mix",
                         **OUTCOME_MIX_PROTECTION)
    view = breakdowns.outcome_mix_wide(report, mix)
    assert view["Force"].tolist() == ["City of London", "Cumbria", "Durham"]
    assert "Charged or summonsed" in view.columns and "durham" not in view.to_string()
    assert len(view.columns) == 2 + mix.frame["outcome_group"].nunique()
    figures_breakdowns.plot_outcome_heatmap(mix.frame, names=report.force_names)
    plt.close("all")


def test_differences_allow_for_officer_clustering_on_both_sides(shared):
    # Each side of a difference enters Newcombe's interval at its effective size (count and
    # cases over its design effect), as the shares' own intervals do; the rest of England and
    # Wales has the design effect of its own cases. statsmodels gives the interval here.
    from statsmodels.stats.proportion import confint_proportions_2indep

    params, folder = shared
    report = ReportContext(params.replace(force="durham"), folder)
    headline = report.artefact("headline")
    own = headline[headline["force"].eq("durham")].set_index("label")
    table = report.differences()
    rest = table[table["comparator"].eq("England and Wales without this force")]
    published = report.protected_headline().set_index("label")
    national = report._protect_headline(
        headline[headline["force"].eq("national")].reset_index(drop=True),
        suffix="_national").set_index("label")
    checked = wider = 0
    for row in rest.itertuples():
        if row.difference == "[c]":
            continue
        d1 = max(own.loc[row.measure, "design_effect"], 1.0)
        d2 = max(own.loc[row.measure, "rest_design_effect"], 1.0)
        k1, n1 = published.loc[row.measure, ["count", "n"]]
        k2 = national.loc[row.measure, "count"] - k1
        n2 = national.loc[row.measure, "n"] - n1
        low, high = confint_proportions_2indep(k1 / d1, n1 / d1, k2 / d2, n2 / d2,
                                               method="newcomb", compare="diff")
        assert (row.ci_low, row.ci_high) == pytest.approx((low, high), rel=1e-9)
        plain = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
        assert high - low >= plain[1] - plain[0] - 1e-12
        wider += (d1 > 1.05 or d2 > 1.05) and high - low > plain[1] - plain[0]
        checked += 1
    assert checked >= 2 and wider >= 1


def test_run_coverage_is_every_forces_first_and_last_day_and_follows_the_files(tmp_path):
    # The report's year labels and headline years use the first and last recorded day of all
    # forces' shared cases; read once, but read again when a file of the run changes.
    from soteria_research.reporting.shared_cases import recorded_span

    cases = tmp_path / "cases"
    cases.mkdir()
    assert recorded_span(tmp_path) == (None, None)
    pd.DataFrame({"recorded_date": pd.to_datetime(["2020-05-02", "2021-01-31"])}).to_parquet(
        cases / "a.parquet")
    pd.DataFrame({"recorded_date": pd.to_datetime(["2019-04-03", pd.NaT, "2020-07-01"])}
                 ).to_parquet(cases / "b.parquet")
    assert recorded_span(tmp_path) == (pd.Timestamp("2019-04-03"), pd.Timestamp("2021-01-31"))
    pd.DataFrame({"recorded_date": pd.to_datetime(["2020-05-02", "2022-03-30", "2020-06-01"])}
                 ).to_parquet(cases / "a.parquet")
    assert recorded_span(tmp_path) == (pd.Timestamp("2019-04-03"), pd.Timestamp("2022-03-30"))


def test_an_outcome_mix_chart_whose_shares_are_all_hidden_says_so():
    # A force whose crimes recorded are hidden has every share of its outcome mix hidden: the
    # chart's bars are then only [c] marks, and the reader is told why and where the counts are
    frame = pd.DataFrame({"offence_group": ["all"] * 2 + ["rape"] * 2,
                          "outcome_group": ["charge", "other"] * 2,
                          "n": [np.nan, 40, np.nan, 20],
                          "share": [np.nan, np.nan, np.nan, 0.5]})
    ax = figures_breakdowns.plot_outcome_mix_by_offence(frame)
    label = ax.get_xlabel()
    assert "Every share of all sexual offences is hidden" in label and "table below" in label
    assert "rape" not in label  # one of its shares is printed
    shown = figures_breakdowns.plot_outcome_mix_by_offence(frame.fillna({"share": 0.25}))
    assert "hidden" not in shown.get_xlabel()
    plt.close("all")


def test_a_trend_year_printed_between_hidden_years_still_shows_its_interval():
    # City of London's victim withdrawal: 2019/20 and 2022/23 printed, the years between
    # hidden. A band is drawn between years, so these two points showed no interval at all
    # while the table below printed 40.7% to 76.6%.
    from matplotlib.collections import LineCollection

    cohorts = ["2019/20", "2020/21", "2021/22", "2022/23"]
    frame = pd.DataFrame({"cohort": cohorts * 2,
                          "outcome": ["victim_withdrawal"] * 4 + ["charge"] * 4,
                          "estimate": [0.6, np.nan, np.nan, 0.6, 0.05, 0.06, 0.07, 0.08],
                          "ci_low": [0.407, np.nan, np.nan, 0.405, 0.04, 0.05, 0.06, 0.07],
                          "ci_high": [0.766, np.nan, np.nan, 0.768, 0.06, 0.07, 0.08, 0.09]})
    axes = figures_breakdowns.plot_trend_panels(frame, outcomes=("victim_withdrawal", "charge"))

    def bars(ax):
        return sorted(tuple(map(tuple, np.round(segment, 3))) for c in ax.collections
                      if isinstance(c, LineCollection) for segment in c.get_segments())

    assert bars(axes[0]) == [((0.0, 0.407), (0.0, 0.766)), ((3.0, 0.405), (3.0, 0.768))]
    assert bars(axes[1]) == []  # consecutive years: the band shows their intervals
    # the package's one-panel version (figures.plot_cohort_trends) does the same
    from soteria_research.reporting import figures

    one = figures.plot_cohort_trends(frame, outcomes=("victim_withdrawal", "charge"))
    assert bars(one) == [((0.0, 0.407), (0.0, 0.766)), ((3.0, 0.405), (3.0, 0.768))]
    plt.close("all")


def test_a_curve_of_one_step_still_shows_its_interval():
    # A rare outcome in a small force, coarsened to one step, is drawn as a point (a step
    # curve of one point draws no line), and its band, drawn between steps, was not drawn.
    from matplotlib.collections import LineCollection

    from soteria_research.reporting import figures

    curve = pd.DataFrame({"outcome": ["charge"] + ["victim_withdrawal"] * 3,
                          "time": [200.0, 30.0, 90.0, 365.0], "cif": [0.04, 0.2, 0.3, 0.4],
                          "ci_low": [0.01, 0.15, 0.24, 0.33], "ci_high": [0.11, 0.26, 0.37, 0.47]})
    ax = figures.plot_cumulative_incidence(curve)
    segments = [np.round(s, 3).tolist() for c in ax.collections if isinstance(c, LineCollection)
                for s in c.get_segments()]
    assert segments == [[[200.0, 0.01], [200.0, 0.11]]]  # the one-step curve only
    plt.close("all")
