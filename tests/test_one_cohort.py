"""One cohort of "cases followed for a year" (docs/methods.md section 8).

The headline's shares, the trend table's financial years, the victim breakdowns, the
forensics table's share of requests and the programme's cohorts before and after joining each
print how many cases they count. If two of them count different cases, the difference is a
count of cases no table prints (the cases transferred within the year; the days or quarters
followed after the last complete financial year), and under exact counts it comes out by
subtraction. Each is checked here against the cohort counted by hand: the financial years
whose 31 March is 365 days or more before the extract date, less the cases transferred to
another body within 365 days of recording (and by the extract date).

Two worlds: the built-in one (data to 31 March 2024, extracted that day: 1 April 2023 is
followed for a year, its financial year is not), and a force's export that stops mid-year
(recorded to 30 September 2023, extracted 15 October 2024: two quarters after the last
financial year are followed for a year).
"""

from __future__ import annotations

import pandas as pd
import pytest
from worlds import FOLLOWED_FORCES, FOLLOWED_WORLDS, followed_world

from soteria_research.analysis import pillars
from soteria_research.analysis.comparison import headline_figures
from soteria_research.analysis.demographics import outcome_shares
from soteria_research.data.synthetic import generate_cases
from soteria_research.reporting import programme_section as ps
from soteria_research.reporting.sections_breakdowns import trend_rates

FORCES = FOLLOWED_FORCES


@pytest.fixture(scope="module", params=list(FOLLOWED_WORLDS))
def world(request):
    return request.param, followed_world(request.param)


def _by_hand(cases: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per force: the cases followed for a year as defined above, and the cases transferred
    within the year among the years' cases."""
    extract = cases["extract_date"].min()
    year_end = pd.Timestamp(year=extract.year, month=3, day=31)
    while year_end + pd.Timedelta(days=365) > extract:
        year_end = pd.Timestamp(year=year_end.year - 1, month=3, day=31)
    days = (cases["outcome_date"] - cases["recorded_date"]).dt.days
    transferred = (cases["outcome_group"].eq("transferred") & days.le(365)
                   & cases["outcome_date"].le(extract))
    years = cases["recorded_date"].le(year_end)
    counted = (years & ~transferred).groupby(cases["force"]).sum()
    return counted, (years & transferred).groupby(cases["force"]).sum()


def test_the_worlds_have_what_would_tell_the_cohorts_apart(world):
    """Without transfers within the year, or cases followed a year after the last financial
    year, every cohort would agree whatever the code did."""
    name, cases = world
    _, transfers = _by_hand(cases)
    assert (transfers > 0).all(), transfers
    extract = cases["extract_date"].min()
    if name == "stops mid-year":  # cases, and two quarters, followed a year after the year
        followed_after = cases["recorded_date"].gt("2023-03-31") & (
            (extract - cases["recorded_date"]).dt.days.ge(365))
        assert followed_after.groupby(cases["force"]).sum().gt(0).all()
        complete = cases["recorded_date"].dt.to_period("Q").map(
            lambda q: q.end_time.normalize() + pd.Timedelta(days=365) <= extract)
        assert cases.loc[complete, "recorded_date"].max() > pd.Timestamp("2023-09-01")


def test_every_followed_a_year_table_counts_the_same_cases(world):
    _, cases = world
    expected, _ = _by_hand(cases)
    headline = headline_figures(cases, by="force")
    charged = headline[headline["measure"].eq("charged_within")].set_index("force")["n"]
    trends = trend_rates(cases, by="force")
    years = trends.groupby(["force", "cohort"])["n_cohort"].first().groupby("force").sum()
    victims = outcome_shares(cases, "victim_sex", by="force").groupby("force")["n_cohort"].sum()
    device = pillars.device_requests(cases, by="force")
    requests = device[device["measure"].eq("request_share")].set_index("force")["n"]
    programme = pd.Series({f: ps.force_cohorts(cases, f)["n_cohort"].sum() for f in FORCES})
    for name, found in {"headline": charged, "trend years": years, "victim breakdown": victims,
                        "forensics": requests, "programme": programme}.items():
        assert found.reindex(FORCES).astype(int).to_dict() == \
            expected.reindex(FORCES).astype(int).to_dict(), name


# --------------------------------------------------------------------------------------------
# One protection of the headline's figures and the trend table's years
# --------------------------------------------------------------------------------------------
MEASURES = {"charged_within": "charge", "withdrawn_within": "victim_withdrawal",
            "evidential_within": "evidential_difficulty"}


@pytest.fixture(scope="module")
def linked_run():
    from soteria_research.reporting.national import _linked_tables

    cases = generate_cases(forces=["city_of_london", "cumbria", "dyfed_powys",
                                   "north_yorkshire"], scale=0.05, seed=11)
    return cases, _linked_tables(cases, None, pd.DataFrame())


def test_the_trend_tables_all_years_rows_are_the_headline_figures(linked_run):
    """The run's trend table adds its years up (``cohort`` "all") for all offences, rape and
    other sexual offences: those are the headline's counts within a year and its cases
    followed, offence group by offence group."""
    _, tables = linked_run
    trends = tables["cohort_trends"][0]
    headline = tables["headline"][0]
    sums = trends[trends["cohort"].eq("all")].set_index(["force", "offence_group", "outcome"])["n"]
    years = trends[~trends["cohort"].eq("all")]
    by_year = years.groupby(["force", "outcome"])["n"].sum()
    checked = 0
    for row in headline[headline["measure"].isin(list(MEASURES))].itertuples(index=False):
        key = (row.force, row.offence_group)
        assert sums[(*key, MEASURES[row.measure])] == row.count, row
        assert sums[(*key, "all")] == row.n, row
        if row.offence_group == "all":
            assert by_year[(row.force, MEASURES[row.measure])] == row.count, row
            assert by_year[(row.force, "all")] == row.n, row
        checked += 1
    assert checked == 4 * 3 * 3


@pytest.mark.parametrize("profile", ["partner", "publication"])
def test_the_headline_hides_what_the_trend_tables_all_years_rows_hide(linked_run, profile):
    from soteria_research.reporting.disclosure import protect_linked
    from soteria_research.reporting.linked_quantities import (
        LINKED_QUANTITIES,
        apply_linked_quantities,
    )

    _, tables = linked_run
    names = ("headline", "headline_recorded", "cohort_trends", "outcome_mix", "funnel")
    linked = protect_linked({n: tables[n] for n in names}, profile=profile, declared=True)
    rules = [r for r in LINKED_QUANTITIES if r.table in names and r.source in names]
    apply_linked_quantities(linked, exact_counts=profile == "partner", rules=rules)
    trends, headline = linked.table("cohort_trends"), linked.table("headline")
    sums = trends.frame.assign(hidden=trends.mask["n"].to_numpy())
    sums = sums[sums["cohort"].eq("all")].set_index(["force", "offence_group", "outcome"])
    hidden_sums = 0
    for i, row in enumerate(headline.frame.itertuples(index=False)):
        if row.measure not in MEASURES:
            continue
        key = (row.force, row.offence_group)
        for column, outcome in (("count", MEASURES[row.measure]), ("n", "all")):
            if sums.loc[(*key, outcome), "hidden"]:
                hidden_sums += 1
                assert headline.mask[column].iat[i], (row, column)
                assert headline.mask["estimate"].iat[i], row
    assert hidden_sums > 0  # City of London's small figures at least
