"""Parts of a total another linked table hides: decided while the parts' table is protected.

The outcome mix's outcomes add up to the crimes recorded the headline publishes, and each
victim breakdown's categories to the headline's cases followed for a year and their outcomes.
Where the headline hides such a total (often to protect City of London's), a table printing
every part gives it back. Applied only after protection, the rule was to hide every part
(``hide_parts_of_hidden_totals``): cells the table's own optimisation never chose or checked.
``linked_quantities.DECIDED_PARTS`` makes the table, protected after the headline, keep the
hidden total unknown as part of its own secondary suppression, after protecting its small
counts as before (with every total taken as known), so the pattern only grows.

The attacker here is written for this test from the tables' meaning (not from the package's
cell systems): the parts add up to their total, each national line is public, rape and other
sexual offences add up to all, the totals the headline prints are known, counts are not
negative; it bounds each hidden total by linear programming.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from soteria_research.data.synthetic import generate_cases
from soteria_research.reporting.disclosure import get_profile, protect_linked
from soteria_research.reporting.disclosure.legacy import protect
from soteria_research.reporting.linked_quantities import (
    DECIDED_PARTS,
    DECIDED_TOGETHER,
    LINKED_QUANTITIES,
    decided_together,
)
from soteria_research.reporting.national import _linked_tables

FOUR = ["city_of_london", "cumbria", "dorset", "warwickshire"]
PART_TABLES = sorted({rule.table for rule in DECIDED_PARTS})
#: the rules applied after protection that the decided parts replace
AFTER = [r for r in LINKED_QUANTITIES if r.action.__name__ == "hide_parts_of_hidden_totals"]


def _tables(scale: float, seed: int) -> dict:
    cases = generate_cases(forces=FOUR, scale=scale, seed=seed)
    return {name: spec for name, spec in _linked_tables(cases, None, pd.DataFrame()).items()
            if name in ("headline_recorded", "headline", *PART_TABLES)}


def _rows(frame: pd.DataFrame, where: dict | None) -> np.ndarray:
    rows = np.ones(len(frame), dtype=bool)
    for key, value in (where or {}).items():
        rows &= frame[key].eq(value).to_numpy()
    return rows


def _totals_worked_out(tables: dict, linked, rule, everything_hidden: bool = False
                       ) -> set[tuple]:
    """The totals the source hides that a reader of the table and the source pins exactly."""
    o = rule.options
    keys, column, dimension = list(o["keys"]), o["column"], o["dimension"]
    frame = tables[rule.table][0].reset_index(drop=True)
    entry = linked.tables[rule.table]
    hidden = pd.DataFrame(entry["mask"], columns=entry["columns"])[column].to_numpy(bool)
    hidden = hidden | everything_hidden
    source = tables[rule.source][0].reset_index(drop=True)
    source_entry = linked.tables[rule.source]
    source_hidden = pd.DataFrame(source_entry["mask"], columns=source_entry["columns"])[
        o["source_column"]].to_numpy(bool)
    picked = _rows(source, o.get("source_where"))
    totals = source.loc[picked, keys].assign(
        value=source.loc[picked, o["source_column"]].to_numpy(float),
        hidden=source_hidden[picked]).reset_index(drop=True)
    n_cells = len(frame)
    index_of_total = {tuple(row): n_cells + k for k, row in
                      enumerate(totals[keys].itertuples(index=False))}
    n = n_cells + len(totals)
    values = np.concatenate([frame[column].to_numpy(float), totals["value"].to_numpy()])
    rows, rhs = [], []

    def equal(plus, minus=(), total=0.0):
        row = np.zeros(n)
        row[list(plus)] += 1
        row[list(minus)] -= 1
        rows.append(row)
        rhs.append(total)

    for k in np.flatnonzero(~hidden):
        equal([k], (), values[k])
    for k, row in totals.iterrows():
        if not row["hidden"]:
            equal([n_cells + k], (), row["value"])
    for key, group in frame.groupby(keys, sort=False):  # the parts add up to the total
        key = key if isinstance(key, tuple) else (key,)
        equal(group.index, [index_of_total[key]])
    others = [k for k in keys if k != "force"] + [dimension]
    for _, line in frame.groupby(others, sort=False):  # national lines are public
        equal(line.index, (), values[line.index].sum())
    if "offence_group" in keys:  # rape and other sexual offences add up to all
        for _, group in frame.groupby(["force", dimension], sort=False):
            by = dict(zip(group["offence_group"], group.index))
            equal([by["rape"], by["other_sexual"]], [by["all"]])
        for force in totals["force"].unique():
            equal([index_of_total[(force, "rape")], index_of_total[(force, "other_sexual")]],
                  [index_of_total[(force, "all")]])
    problem = {"A_eq": np.array(rows), "b_eq": np.array(rhs), "bounds": (0, None),
               "method": "highs"}
    pinned = set()
    for key, cell in index_of_total.items():
        if not totals.loc[cell - n_cells, "hidden"]:
            continue
        aim = np.zeros(n)
        aim[cell] = 1
        low, high = linprog(aim, **problem), linprog(-aim, **problem)
        assert low.status == 0 and high.status == 0, key  # the true counts are a solution
        if -high.fun - low.fun < 0.5:
            pinned.add((rule.table, column, key))
    return pinned


def _hidden_counts(linked, name: str) -> np.ndarray:
    entry = linked.tables[name]
    mask = np.array(entry["mask"], dtype=bool)
    return mask[:, [entry["columns"].index(c) for c in entry["counts"]]]


@pytest.mark.parametrize(("scale", "seed", "profile", "given_away"),
                         [(0.05, 7, "partner", True), (0.06, 11, "partner", True),
                          (0.05, 7, "publication", False)])
def test_a_total_the_headline_hides_is_kept_unknown_by_the_parts_own_pattern(
        scale, seed, profile, given_away):
    tables = _tables(scale, seed)
    exact = not get_profile(profile).round_base
    apart = protect_linked(tables, profile=profile, declared=True,
                           decided=decided_together(exact_counts=exact, rules=DECIDED_TOGETHER))
    together = protect_linked(tables, profile=profile, declared=True,
                              decided=decided_together(exact_counts=exact))
    rules = [rule for rule in DECIDED_PARTS if rule.table in tables]
    assert len(rules) == 13
    inherent = set().union(*(_totals_worked_out(tables, apart, rule, everything_hidden=True)
                             for rule in rules))
    # protected apart, a table printed every part of a total the headline hides (on these
    # runs under partner), and the rule after protection had to hide them all
    worked_out = set().union(*(_totals_worked_out(tables, apart, rule) for rule in rules))
    assert bool(worked_out - inherent) == given_away
    # decided together: no such total follows from the table, nothing left to the rule after
    for rule in rules:
        assert _totals_worked_out(tables, together, rule) - inherent == set(), rule.why
    # the tables' own patterns (small counts protected with every total known) only grew
    for name in PART_TABLES:
        before, after = _hidden_counts(apart, name), _hidden_counts(together, name)
        assert ((after | before) == after).all(), name
    assert _hidden_counts(together, "headline").tolist() == \
        _hidden_counts(apart, "headline").tolist()
    assert [r.action(together, r.table, **r.options) for r in AFTER] == [0] * len(AFTER)
    assert sum(r.action(apart, r.table, **r.options) for r in AFTER) == int(given_away)


def _mix(hidden_forces: str, profile: str = "partner"):
    """Three forces' outcomes; the totals of ``hidden_forces`` hidden in another table."""
    table = pd.DataFrame({"force": list("aaabbbccc"), "outcome_group": list("xyz") * 3,
                          "n": [30, 14, 41, 30, 40, 25, 52, 53, 60]})
    hidden = table["force"].isin(list(hidden_forces)).to_numpy()
    return table, protect(table, name="mix", profile=profile, secondary="optimal",
                          declared=True, counts=["n"], keys=["force", "outcome_group"],
                          decided_totals={"n": ("outcome_group", hidden)})


def test_a_hidden_total_hides_a_part_in_its_line_and_its_national_lines():
    """Nothing small: alone, the table prints everything. Two forces' totals hidden elsewhere
    (they add up to a public figure, so neither follows from the other): each loses a part,
    and each part hidden has a partner in its national line."""
    table, protected = _mix("ab")
    hidden = protected.mask["n"].to_numpy()
    frame = table.assign(hidden=hidden)
    assert frame.groupby("force")["hidden"].sum().to_dict() == {"a": 1, "b": 1, "c": 0}
    assert (frame.groupby("outcome_group")["hidden"].sum() != 1).all()
    assert protected.record.primary_suppressed == 0
    assert "2 line(s) add up to a total another linked table hides" in \
        " ".join(protected.record.notes)


def test_a_hidden_total_that_follows_whatever_is_hidden_is_said_and_costs_nothing():
    """One force's total hidden elsewhere while the other forces' totals and the national
    lines are public: it follows from them whatever this table hides, so nothing is hidden
    for it, and the note says so."""
    _, protected = _mix("a")
    assert not protected.mask["n"].any()
    assert "1 follow whatever is hidden" in " ".join(protected.record.notes)


def test_decided_totals_are_checked():
    from soteria_research.errors import ParameterError

    table = pd.DataFrame({"force": list("aabb"), "outcome_group": list("xy") * 2,
                          "n": [3, 40, 30, 45]})
    options = {"name": "mix", "profile": "partner", "declared": True, "counts": ["n"],
               "keys": ["force", "outcome_group"]}
    hidden = np.array([True, True, False, False])
    with pytest.raises(ParameterError, match="needs secondary='optimal'"):
        protect(table, decided_totals={"n": ("outcome_group", hidden)}, **options)
    with pytest.raises(ParameterError, match="not one of its key columns"):
        protect(table, secondary="optimal", decided_totals={"n": ("outcome", hidden)},
                **options)
    with pytest.raises(ParameterError, match="not one of its count columns"):
        protect(table, secondary="optimal", decided_totals={"m": ("outcome_group", hidden)},
                **options)
