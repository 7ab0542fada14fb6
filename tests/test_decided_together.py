"""The funnel's charged stage and the outcome mix's charges: one number, one decision.

Every charge outcome has a charge date (the dictionary's ``charge_needs_charge_date``), so the
funnel's "Charged or summonsed" stage holds the outcome mix's charges, and in the synthetic
world (and any clean extract) the two are the same number. Protected apart, the funnel hid a
force's charged stage as a complement while the outcome mix printed its charges (Dorset, 49:
a reader saw [c] beside 49), and the other way round; a reader who takes them as one number
then works out small counts. ``linked_quantities.DECIDED_TOGETHER`` makes the funnel, protected
after the outcome mix, take the mix's decision as part of its own secondary suppression.

The attacker here is written for this test, from the tables' meaning, not from the package's
cell systems: it reads both tables as a reader of a run does (each offence split adds up to all
offences, each national line is public, outcomes add up to the crimes recorded, a stage never
holds more cases than the one before, and the charged stage is the charges), and bounds every
hidden small count by linear programming.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from table_reader import GROUPS, TableReader

from soteria_research.analysis.attrition import STAGES
from soteria_research.data.synthetic import generate_cases
from soteria_research.reporting.disclosure import get_profile, protect_linked
from soteria_research.reporting.disclosure.linked_shares import decided_cells
from soteria_research.reporting.linked_quantities import DECIDED_TOGETHER, decided_together
from soteria_research.reporting.national import (
    FUNNEL_PROTECTION,
    OUTCOME_MIX_PROTECTION,
    linked_funnel,
    linked_outcome_mix,
)

FOUR = ["city_of_london", "cumbria", "dorset", "warwickshire"]
#: the rule of this test: the funnel's charged stage, decided with the outcome mix's charges
CHARGED = tuple(r for r in DECIDED_TOGETHER if r.options["where"] == {"stage": "charged"})
TABLES = {"funnel": "stage", "outcome_mix": "outcome_group"}


def _tables(scale: float, seed: int) -> dict:
    cases = generate_cases(forces=FOUR, scale=scale, seed=seed)
    return {"outcome_mix": (linked_outcome_mix(cases, by="force"), OUTCOME_MIX_PROTECTION),
            "funnel": (linked_funnel(cases, by="force"), FUNNEL_PROTECTION)}


def _cells(tables: dict, linked) -> dict[tuple, tuple[float, bool]]:
    """(table, force, offence group, stage or outcome) -> (true count, hidden)."""
    cells = {}
    for name, key in TABLES.items():
        frame = tables[name][0].reset_index(drop=True)
        entry = linked.tables[name]
        hidden = pd.DataFrame(entry["mask"], columns=entry["columns"])["n"].to_numpy()
        for i, row in enumerate(frame[["force", "offence_group", key, "n"]].itertuples(
                index=False)):
            cells[(name, *row[:3])] = (float(row[3]), bool(hidden[i]))
    return cells


def _disagreements(cells: dict) -> list[tuple]:
    """(force, offence group) whose charged stage and charges are one number, hidden in one
    table and printed in the other."""
    return [c[1:3] for c in cells if c[0] == "funnel" and c[3] == "charged"
            and cells[c][0] == cells[("outcome_mix", *c[1:3], "charge")][0]
            and cells[c][1] != cells[("outcome_mix", *c[1:3], "charge")][1]]


def _worked_out(cells: dict, disclosive, everything_hidden: bool = False) -> set[tuple]:
    """Hidden disclosive counts a reader of both tables pins exactly (linear programming)."""
    reader = TableReader(cells)
    reader.public_lines([(name, category) for name in TABLES
                         for category in sorted({c[3] for c in cells if c[0] == name})])
    forces = sorted({c[1] for c in cells})
    outcomes = sorted({c[3] for c in cells if c[0] == "outcome_mix"})
    for force in forces:
        for group in GROUPS:
            reader.equal([("outcome_mix", force, group, o) for o in outcomes],
                         [("funnel", force, group, "recorded")])
            reader.equal([("funnel", force, group, "charged")],
                         [("outcome_mix", force, group, "charge")])
            for before, after in zip(STAGES, list(STAGES)[1:]):
                reader.at_most(("funnel", force, group, after), ("funnel", force, group, before))
    return reader.pinned(lambda cell, value: disclosive(value),
                         everything_hidden=everything_hidden)


@pytest.mark.parametrize(("scale", "seed", "profile"),
                         [(0.04, 3, "partner"), (0.04, 3, "publication"),
                          (0.05, 7, "partner"), (0.05, 7, "publication")])
def test_the_charged_stage_and_the_charges_are_one_decision_and_give_nothing_away(
        scale, seed, profile):
    tables = _tables(scale, seed)
    disclosive = lambda value: bool(get_profile(profile).is_disclosive(np.array([value]))[0])  # noqa: E731
    apart = _cells(tables, protect_linked(tables, profile=profile, declared=True))
    together = _cells(tables, protect_linked(tables, profile=profile, declared=True,
                                             decided=CHARGED))
    assert all(apart[c][0] == together[c][0] for c in apart)
    charged = [c for c in together if c[0] == "funnel" and c[3] == "charged"]
    assert all(together[c][0] == together[("outcome_mix", *c[1:3], "charge")][0]
               for c in charged)  # one number in this world
    # protected apart, the two tables disagreed, and a reader worked out small counts
    assert _disagreements(apart)
    inherent = _worked_out(apart, disclosive, everything_hidden=True)  # whatever is hidden
    assert _worked_out(apart, disclosive) - inherent
    # decided together, they agree everywhere and nothing small is worked out
    assert _disagreements(together) == []
    assert _worked_out(together, disclosive) - inherent == set()
    # the outcome mix (protected first) is untouched; the funnel still hides its small counts
    for cell, (value, hidden) in together.items():
        if cell[0] == "outcome_mix":
            assert hidden == apart[cell][1]
        elif disclosive(value) and cell[3] != "recorded":
            assert hidden, cell


def test_decided_cells_take_only_the_same_number_and_the_order_is_checked():
    funnel = pd.DataFrame({"force": ["a", "a", "b", "b", "c", "c"],
                           "stage": ["recorded", "charged"] * 3, "n": [90, 50, 80, 30, 70, 12]})
    mix = pd.DataFrame({"force": ["a", "b", "c"], "outcome_group": "charge", "n": [50, 28, 12]})
    hidden = pd.DataFrame({"force": False, "outcome_group": False, "n": [True, True, False]})
    (rule,) = CHARGED
    options = {**rule.options, "keys": ["force"]}
    hide, show = decided_cells(funnel, mix, hidden, **options)["n"]
    # a: the same 50, hidden there; b: 30 charged stages but 28 charges (two numbers: left
    # to the funnel); c: the same 12, printed there; recorded rows never
    assert hide.tolist() == [False, True, False, False, False, False]
    assert show.tolist() == [False, False, False, False, False, True]
    from soteria_research.errors import DisclosureError

    tables = _tables(0.03, 11)
    with pytest.raises(DisclosureError, match="must be protected before it"):
        protect_linked({"funnel": tables["funnel"], "outcome_mix": tables["outcome_mix"]},
                       profile="partner", declared=True, decided=CHARGED)
    renamed = (tables["outcome_mix"][0].rename(columns={"outcome_group": "outcome"}),
               tables["outcome_mix"][1])
    with pytest.raises(DisclosureError, match=r"'outcome_mix': \['outcome_group'\]"):
        protect_linked({"outcome_mix": renamed, "funnel": tables["funnel"]},
                       profile="partner", declared=True, decided=CHARGED)


def _protected(table: pd.DataFrame, decided=None) -> list[bool]:
    from soteria_research.reporting.disclosure.legacy import protect

    result = protect(table, name="t", profile="partner", secondary="optimal", declared=True,
                     counts=["n"], keys=["force", "group"], decided=decided)
    return result.mask["n"].tolist(), result.record


def test_a_count_printed_elsewhere_is_never_a_complement_and_one_hidden_there_is_protected():
    """Three forces, each rape and other sexual offences (their total and the national lines
    public): force a's 3 rapes are hidden, with the cheapest rectangle (a and b)."""
    table = pd.DataFrame({"force": list("aabbcc"), "group": ["rape", "other"] * 3,
                          "n": [3, 40, 30, 45, 35, 50]})
    none = np.zeros(6, dtype=bool)
    alone, _ = _protected(table)
    assert alone == [True, True, True, True, False, False]
    # b's rapes printed in another table: the rectangle goes through c instead
    printed, record = _protected(table, {"n": (none, np.eye(6, dtype=bool)[2])})
    assert printed == [True, True, False, False, True, True]
    assert "1 printed as another linked table has them" in " ".join(record.notes)
    # c's 50 other offences hidden in another table: hidden here, and not the only hidden
    # cell of any line (so not worked out from its force's total or the national line)
    hidden, record = _protected(table, {"n": (np.eye(6, dtype=bool)[5], none)})
    assert hidden[5]
    frame = table.assign(hidden=hidden)
    for key in ("force", "group"):
        assert (frame.groupby(key)["hidden"].sum() != 1).all(), key
    assert record.primary_suppressed == 1  # the 50 is secondary: hidden for another table


def test_a_count_printed_elsewhere_that_the_pattern_needs_is_left_to_the_table():
    """Two forces: with b's 30 rapes printed elsewhere, a's 2 follow from the national line
    whatever else is hidden, and the greedy pass, completing the pattern, had to take b's 30
    after hiding every other cell around it (the whole table withheld). Kept out, the pattern
    grew for nothing: the 30 is then chosen as any cell, and the table hides what it hides
    protected alone."""
    table = pd.DataFrame({"force": list("aaabbb"), "group": ["all", "rape", "other"] * 2,
                          "n": [42, 2, 40, 75, 30, 45]})
    known = np.eye(6, dtype=bool)[4]
    alone, _ = _protected(table)
    hidden, record = _protected(table, {"n": (np.zeros(6, dtype=bool), known)})
    assert hidden == alone and hidden[4] and not all(hidden)
    assert "needed by this table's pattern: chosen here as any cell" in " ".join(record.notes)


def test_a_required_cell_is_hidden_and_protected_like_a_small_count():
    from soteria_research.reporting.disclosure.cells import CellBuilder
    from soteria_research.reporting.disclosure.spec import identity
    from soteria_research.reporting.disclosure.suppression import suppress

    def system(required=None):
        builder = CellBuilder()
        builder.declare_categories("outcome", ("a", "b", "c"), "t")
        for outcome, n in zip("abc", (3, 40, 60)):
            builder.add(identity(outcome=outcome), n, source="t")
        builder.declare_known(identity())  # the total, 103, is public
        cells = builder.build()
        cells.required = required
        return cells

    partner = get_profile("partner")
    assert suppress(system(), partner).hidden[:3].tolist() == [True, True, False]
    required = np.array([False, False, True, False])
    # the 60 hidden too, and given the profile's room on both sides as a small count is: at
    # level 1 (the profiles') 3 and 60 alone (3 + 60 = 63) leave each unknown, the 60 able to
    # be 3 more or 60 less
    result = suppress(system(required), partner)
    assert result.hidden[:3].tolist() == [True, False, True]
    assert result.exact == [] and result.exposed == []
    # at level 5 that leaves the 60 only 3 above, so the 40 goes too
    result = suppress(system(required), replace(partner, protection=5))
    assert result.hidden[:3].tolist() == [True, True, True]
    assert result.exact == [] and result.exposed == []


@pytest.mark.parametrize(("scale", "seed", "profile"),
                         [(0.05, 7, "publication"), (0.04, 3, "partner"), (0.03, 5, "partner")])
def test_every_quantity_decided_together_agrees_and_the_rules_after_have_nothing_to_do(
        scale, seed, profile):
    """The funnel's crimes recorded (the headline's), the outcome mix's open cases and the
    trend table's years together (the headline's), and the timeliness tables' cases (funnel
    stages), made to agree only after protection, had counts their own pattern hid printed
    again, or hidden outside it (headline figures among them); decided together, every such
    number is hidden in both tables or printed in both, and the rules after protection change
    nothing."""
    from soteria_research.reporting.linked_quantities import LINKED_QUANTITIES
    from soteria_research.reporting.national import _linked_tables
    from soteria_research.reporting.sections_timeliness import linked_tables

    cases = generate_cases(forces=FOUR, scale=scale, seed=seed)
    tables = {name: spec for name, spec in _linked_tables(cases, None, pd.DataFrame()).items()
              if name in ("headline_recorded", "headline", "outcome_mix", "funnel",
                          "cohort_trends")}
    tables.update(linked_tables(cases))
    exact = not get_profile(profile).round_base
    decided = decided_together(exact_counts=exact)
    # the rules after protection on the same quantities: four timeliness counts, and with
    # exact counts the funnel's recorded row both ways, the headline's cases still open and
    # its six figures within a year (under rounding the headline's lines rest on the rounding)
    after = [r for r in LINKED_QUANTITIES if r.action.__name__ in
             ("show_where_published", "hide_where_hidden", "follow_published")
             and any({r.table, r.source} == {d.table, d.source} for d in decided)]
    assert len(after) == (13 if exact else 4)
    assert all(r.table in tables and r.source in tables for r in after)

    def run(rules):
        linked = protect_linked(tables, profile=profile, declared=True, decided=rules)
        return linked, [r.action(linked, r.table, **r.options) for r in after]

    _, changed_before = run(CHARGED)
    linked, changed_together = run(decided)
    assert sum(changed_before) > 0 and changed_together == [0] * len(after)
    for rule in decided:
        if rule.action is not decided_cells:  # parts of totals: tests/test_decided_parts.py
            continue
        options = rule.options
        frame, mask = linked.table(rule.table).frame, linked.table(rule.table).mask
        source = linked.table(rule.source)
        rows = np.logical_and.reduce([frame[k].eq(v).to_numpy()
                                      for k, v in options["where"].items()] or
                                     [np.ones(len(frame), dtype=bool)])
        picked = np.logical_and.reduce([source.frame[k].eq(v).to_numpy()
                                        for k, v in options["source_where"].items()] or
                                       [np.ones(len(source.frame), dtype=bool)])
        keys = list(options["keys"])
        mine = frame.loc[rows, keys].assign(hidden=mask.loc[rows, options["column"]].to_numpy())
        theirs = source.frame.loc[picked, keys].assign(
            hidden=source.mask.loc[picked, options["source_column"]].to_numpy())
        both = mine.merge(theirs, on=keys, validate="many_to_one")
        assert len(both) == len(mine) and len(both), rule.why
        assert (both["hidden_x"] == both["hidden_y"]).all(), rule.why
