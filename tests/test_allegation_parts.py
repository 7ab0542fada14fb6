"""The earlier-allegations table's two groups add up to the headline's figures.

Both allegation groups ("earlier": the suspect was accused again; "other") are the headline's
cases followed for a year that have a named suspect, each judged on the same year. A charge
and evidential difficulties (outcome 15) need a named suspect (``docs/domain.md``), so each
group's charges added together are the headline's charges within a year, and so for
evidential difficulties. The table used to be protected as two separate tables
(``by=["allegation"]``): on the suite's run under ``partner`` the headline printed North
Yorkshire's 28 charges, the table its other allegations' 20, and hid the earlier allegations'
8 as a small count, which the difference gave back (``tests/test_run_attacker.py`` found it once
the attacker knew the identity, ``tests/printed_identities.py`` found the identity).

Now the groups are a dimension whose totals a reader is taken to know, and where the run's
headline hides a figure, the two counts are kept from giving it back
(``same_quantity.protect_allegations``). The reader here is written for this test from the
table's meaning (``tests/table_reader.py``): each group's outcomes add up to its printed "Out
of", no outcome is "no suspect identified", and the groups' charges and evidential difficulties
add up to the headline's printed figures.
"""

from __future__ import annotations

import pandas as pd
import pytest
from table_reader import TableReader

from soteria_research.analysis import pillars
from soteria_research.data.synthetic import generate_cases
from soteria_research.reporting.disclosure import get_profile
from soteria_research.reporting.disclosure.legacy import protect
from soteria_research.reporting.national import protect_linked_tables
from soteria_research.reporting.report_common import share_of
from soteria_research.reporting.same_quantity import ALLEGATION_PARTS, protect_allegations

FORCES = ["city_of_london", "cumbria", "dyfed_powys", "north_yorkshire"]
#: What the table was protected with before: two tables, one per allegation group.
APART = {"kind": "rates", "by": ["allegation"], "counts": ["n", "n_total"],
         "rates": share_of("n", "n_total"), "keys": ["within_days"], "columns_add_up": False}


@pytest.fixture(scope="module")
def world():
    """The suite's attacker run's data (``tests/test_run_attacker.py``), each force's
    allegation table, and the headline's figures within a year (all offences)."""
    cases = generate_cases(forces=FORCES, scale=0.05, seed=11)
    tables, _ = protect_linked_tables(cases, get_profile("partner"))
    headline = tables["headline"][0]
    headline = headline[headline["offence_group"].eq("all")].set_index(["force", "measure"])
    allegations = {f: pillars.earlier_allegation_outcomes(cases[cases["force"].eq(f)])
                   for f in FORCES}
    return headline[["count", "n"]], allegations


def _never_hidden(*_args, **_where) -> bool:
    return False


def _partner(frame, **options):
    return protect(frame, profile="partner", declared=True, **options)


def _reader(force: str, table: pd.DataFrame, protected, headline: pd.DataFrame, *,
            known=tuple(ALLEGATION_PARTS.values())) -> TableReader:
    """What a reader knows: each group's outcomes add up to its "Out of" (printed or not), no
    outcome is "no suspect identified", both groups are some of the headline's cases
    followed, and the groups' counts of each outcome of :data:`ALLEGATION_PARTS` add up to the
    headline's figure, printed for the ``known`` measures."""
    mask = protected.mask.reset_index(drop=True)
    table = table.reset_index(drop=True)
    cells = {("allegations", force, row["allegation"], row["outcome_group"]):
             (float(row["n"]), bool(mask.loc[i, "n"])) for i, row in table.iterrows()}
    totals = table.groupby("allegation")["n_total"].first()
    for group, value in totals.items():
        cells[("allegations", force, group, "total")] = (float(value), True)
    cells[("allegations", force, "both", "total")] = (float(totals.sum()), True)
    cells[("headline", force, "all", "followed")] = (
        float(headline.loc[(force, "charged_within"), "n"]), False)
    for outcome in ALLEGATION_PARTS:  # the groups' total, a cell of its own
        parts = [c for c in cells if c[3] == outcome]
        cells[("allegations", force, "both", outcome)] = (sum(cells[c][0] for c in parts), True)
    reader = TableReader(cells)
    for group, rows in table.groupby("allegation"):
        total = ("allegations", force, group, "total")
        reader.equal([("allegations", force, group, o) for o in rows["outcome_group"]], [total])
        if not mask.loc[rows.index, "n_total"].any():  # the printed "Out of"
            reader.equal([total], (), float(rows["n_total"].iloc[0]))
        reader.equal([("allegations", force, group, "no_suspect")])  # a structural zero
    both = ("allegations", force, "both", "total")
    reader.equal([("allegations", force, g, "total") for g in totals.index], [both])
    reader.at_most(both, ("headline", force, "all", "followed"))
    for outcome, measure in ALLEGATION_PARTS.items():
        both = ("allegations", force, "both", outcome)
        reader.equal([c for c in cells if c[3] == outcome and c[2] not in ("both", "total")],
                     [both])
        if measure in known:
            reader.equal([both], (), float(headline.loc[(force, measure), "count"]))
    return reader


def test_the_groups_add_up_to_the_headlines_figures(world):
    """The identity itself, on the package's two tables: the groups' charges and evidential
    difficulties are the headline's within a year, the withdrawals and cases at most its."""
    headline, allegations = world
    for force, table in allegations.items():
        sums = table.groupby("outcome_group")["n"].sum()
        for outcome, measure in ALLEGATION_PARTS.items():
            assert sums[outcome] == headline.loc[(force, measure), "count"], (force, outcome)
        assert sums["victim_withdrawal"] <= headline.loc[(force, "withdrawn_within"), "count"]
        assert table.groupby("allegation")["n_total"].first().sum() <= headline.loc[
            (force, "charged_within"), "n"]
        assert table.groupby("allegation")["n_total"].first().sum() > 0


@pytest.mark.parametrize("force", FORCES)
def test_no_small_count_follows_from_the_headline(world, force):
    headline, allegations = world
    table = allegations[force]
    protected = protect_allegations(table, _partner, _never_hidden)
    assert protected.frame[["allegation", "outcome_group"]].equals(
        table[["allegation", "outcome_group"]].reset_index(drop=True))  # the groups, as before
    reader = _reader(force, table, protected, headline)
    assert not reader.pinned(lambda cell, value: 0 < value < 10 and cell[0] == "allegations"
                             and cell[2] != "both" and cell[3] != "total")


def test_protected_apart_a_small_count_followed(world):
    """The table protected as two tables, as before: North Yorkshire's 8 earlier allegations
    charged follow from the headline's 28 and the other allegations' 20."""
    headline, allegations = world
    table = allegations["north_yorkshire"]
    protected = protect(table, name="earlier_allegations", profile="partner", declared=True,
                        **APART)
    reader = _reader("north_yorkshire", table, protected, headline)
    pinned = reader.pinned(lambda cell, value: 0 < value < 10 and cell[2] != "both")
    assert ("allegations", "north_yorkshire", "earlier", "charge") in pinned


@pytest.mark.parametrize("force", FORCES[1:])
def test_a_figure_the_headline_hides_stays_hidden(world, force):
    """Where the run's headline hides a force's charges within a year (a complement of City
    of London's, say), the two groups' charges do not give the figure back."""
    headline, allegations = world
    table = allegations[force]

    def charges_hidden(linked, column, **where):
        return linked == "headline" and where.get("measure") == "charged_within"

    protected = protect_allegations(table, _partner, charges_hidden)
    reader = _reader(force, table, protected, headline, known=("evidential_within",))
    assert ("allegations", force, "both", "charge") not in reader.pinned(
        lambda cell, value: cell[2] == "both")


def test_without_the_decision_a_hidden_headline_figure_followed(world):
    """The groups a dimension with every total taken as known, but no total row deciding the
    headline's figure: Cumbria's table prints both groups' charges (14 and 18), so had the
    headline hidden its 32 charges within a year, the table gave them back."""
    headline, allegations = world
    table = allegations["cumbria"]
    options = {k: v for k, v in APART.items() if k != "by"}
    undecided = protect(table, name="earlier_allegations", profile="partner", declared=True,
                        secondary="optimal", **options)
    reader = _reader("cumbria", table, undecided, headline, known=("evidential_within",))
    assert ("allegations", "cumbria", "both", "charge") in reader.pinned(
        lambda cell, value: cell[2] == "both")
