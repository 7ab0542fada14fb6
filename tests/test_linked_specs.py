"""The reports' linked tables declared for the run-level engine (``reporting/linked_specs.py``):
their identities link the tables as the reports' hand-written links do, a table that disagrees
is refused, and the run is protected against the attacker under both profiles."""

from __future__ import annotations

import pytest

from soteria_research import DisclosureError
from soteria_research.data.synthetic import generate_cases
from soteria_research.reporting.disclosure import RunProtection, attack, disclosures, get_profile
from soteria_research.reporting.disclosure.spec import describe
from soteria_research.reporting.linked_specs import linked_frames, register_linked

FORCES = ["city_of_london", "durham", "cumbria", "dorset"]


@pytest.fixture(scope="module")
def cases():
    return generate_cases(forces=FORCES, scale=0.3, seed=1)


@pytest.fixture(scope="module")
def frames(cases):
    return {"force": linked_frames(cases, "force"), "national": linked_frames(cases, None)}


def _cell(run, text):
    found = [i for i, q in enumerate(run.system.identities) if describe(q) == text]
    assert len(found) == 1, text
    return found[0]


def test_the_tables_link_through_their_identities(cases, frames):
    run = RunProtection("partner")
    register_linked(run, cases, frames=frames)
    run.solve()
    # one quantity, one cell, wherever it is printed: the crimes recorded are the headline's,
    # the outcome mix's total and the funnel's first stage
    recorded = _cell(run, "force=durham")
    assert run.system.values[recorded] == (cases["force"] == "durham").sum()
    assert set(run.system.sources[recorded]) == {
        "durham/headline_recorded", "durham/headline_still_open", "durham/outcome_mix",
        "durham/funnel"}
    # the headline's cases followed for a year are the trend table's years added up
    followed = _cell(run, "followed=year & force=durham")
    assert "durham/trend_all_years" in run.system.sources[followed]
    assert "durham/headline_charged_within" in run.system.sources[followed]
    # and the figures add up as a reader knows they do: over forces, offence groups,
    # outcomes, the trend table's years and each victim breakdown's categories
    over = {d for k in range(len(run.system.relations)) for d in run.system.over(k)}
    assert {"force", "offence_group", "outcome_group", "within_year", "cohort",
            "victim_age_band", "victim_sex", "victim_ethnicity"} <= over
    years = [k for k in range(len(run.system.relations)) if run.system.over(k) == {"cohort"}]
    members, total = run.system.relations[years[0]]
    assert run.system.values[members].sum() == run.system.values[total]


def test_a_table_that_disagrees_with_another_is_refused(cases, frames):
    # the funnel's recorded stage one more than the headline's crimes recorded: not silently
    # two cells, but an error naming both tables
    edited = {"force": dict(frames["force"]), "national": frames["national"]}
    funnel = edited["force"]["funnel"].copy()
    first = funnel.index[funnel["force"].eq("durham") & funnel["stage"].eq("recorded")
                         & funnel["offence_group"].eq("all")]
    funnel.loc[first, "n"] += 1
    edited["force"]["funnel"] = funnel
    run = RunProtection("partner")
    register_linked(run, cases, frames=edited)
    with pytest.raises(DisclosureError, match="one quantity must be one number") as error:
        run.solve()
    assert "durham/funnel" in str(error.value) and "durham/headline_recorded" in str(error.value)


@pytest.mark.parametrize("profile", ["partner", "publication"])
def test_the_run_protects_the_linked_tables_against_the_attacker(cases, frames, profile):
    run = RunProtection(profile)
    reports = register_linked(run, cases, frames=frames)
    run.solve(leave_to_rounding=("force",))
    found = attack(run)
    zeros = get_profile(profile).zeros_disclosive
    assert disclosures(found, zeros=zeros).empty
    # every small count of every table is hidden (checked on the true tables, not the cells)
    small = get_profile(profile).is_disclosive
    for report, tables in reports.items():
        for name, frame in tables.items():
            protected = run.table(report, name)
            keys = [c for c in frame.columns if frame[c].dtype == object and c != "label"]
            hidden = protected.mask.set_axis(protected.frame.index)
            shown = protected.frame[keys].join(hidden[list(protected.counts)])
            both = frame.merge(shown, on=keys, suffixes=("", "_hidden"), validate="1:1")
            assert len(both) == len(frame), (report, name)  # every true row is published
            for column in protected.counts:
                must = small(both[column].to_numpy(dtype=float))
                assert both[f"{column}_hidden"].to_numpy()[must].all(), (report, name, column)
    # City of London's small headline counts are hidden, a large force's crimes recorded not
    city = run.table("city_of_london", "headline_charged_within")
    assert city.mask["count"].any()
    assert not run.table("durham", "headline_recorded").mask["count"].any()
