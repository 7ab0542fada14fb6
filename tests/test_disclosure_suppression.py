"""Secondary suppression by optimisation, checked by the attacker over every published table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from disclosure_tables import engine_hidden, force_sizes, greedy_hidden, national_run

from soteria_research.reporting.disclosure import (
    MARKER,
    Count,
    RunProtection,
    TableSpec,
    attack,
    disclosures,
)

OUTCOMES = ("charge", "victim_withdrawal", "evidential_difficulty", "no_suspect", "other")


def mix_spec(force: str) -> TableSpec:
    return TableSpec(keys=("outcome_group",), counts=("n",), where={"force": force},
                     categories={"outcome_group": OUTCOMES}, totals=("outcome_group",))


@pytest.mark.parametrize("profile", ["publication", "partner"])
def test_two_hidden_cells_summing_to_zero_are_not_both_left_alone(profile):
    frame = pd.DataFrame({"outcome_group": OUTCOMES, "n": [0, 0, 45, 60, 80]})
    run = RunProtection(profile)
    run.register("durham", "outcome_mix", frame, mix_spec("durham"))
    run.solve()
    found = attack(run)
    assert disclosures(found, zeros=profile == "publication").empty
    if profile == "publication":  # two zeros and nothing else hidden would give both away
        assert run.table("durham", "outcome_mix").mask["n"].sum() >= 3


def test_the_same_number_in_two_tables_is_one_cell():
    run = RunProtection("publication")
    mix = pd.DataFrame({"outcome_group": OUTCOMES, "n": [12, 6, 45, 60, 80]})
    run.register("durham", "outcome_mix", mix, mix_spec("durham"))
    # withdrawal timing: "Out of" is the outcome mix's withdrawal count, printed on each row
    timing = pd.DataFrame({"within_days": [30, 90, 365], "n": [0, 2, 6],
                           "n_withdrawals": [6, 6, 6]})
    spec = TableSpec(keys=("within_days",), where={"force": "durham",
                                                   "outcome_group": "victim_withdrawal"},
                     counts={"n": Count(where={"withdrew": "yes"}),
                             "n_withdrawals": Count(keys=())})
    run.register("durham", "withdrawal_timing", timing, spec)
    run.solve()
    shown = run.table("durham", "withdrawal_timing").display()
    assert shown["n_withdrawals"].eq(MARKER).all()
    assert run.table("durham", "outcome_mix").display()["n"].tolist()[1] == MARKER
    assert disclosures(attack(run)).empty


@pytest.mark.parametrize("profile", ["partner", "publication"])
def test_national_totals_minus_other_forces_reveal_nothing(profile):
    sizes = dict(list(force_sizes(43).items())[:4])  # the tiny force, the big one, two more
    run, _ = national_run(sizes, profile)
    run.solve()
    found = attack(run)
    assert (found["method"] == "milp").any()
    leaks = disclosures(found, zeros=profile == "publication")
    assert leaks.empty, leaks
    tiny = run.table("force_00", "outcome_mix").mask["n"]
    assert tiny.sum() >= 2


def test_national_figures_are_the_sum_of_the_forces_cells():
    sizes = dict(list(force_sizes(43).items())[:3])
    run, data = national_run(sizes, "partner")
    run.solve()
    national = run.table("national", "outcome_mix").frame.set_index("outcome_group")["n"]
    truth = sum(d["outcome_mix"].set_index("outcome_group")["n"] for d in data.values())
    shown = national.notna()
    assert (national[shown] == truth[shown]).all()


def test_a_hidden_total_hides_its_share_everywhere():
    sizes = dict(list(force_sizes(43).items())[:3])
    run, _ = national_run(sizes, "publication")
    run.solve()
    tiny = run.table("force_00", "headline")
    hidden = tiny.mask["count"] | tiny.mask["n"]
    assert (tiny.mask.loc[hidden, ["estimate", "ci_low", "ci_high"]].all(axis=1)).all()


@pytest.mark.slow
def test_no_large_force_loses_a_headline_figure_on_a_national_run(capsys):
    sizes = force_sizes(43)
    run, data = national_run(sizes, "publication")
    run.solve()
    ours = engine_hidden(run, sizes)
    theirs = greedy_hidden(data, "publication")
    large = {f for f, s in sizes.items() if s > 1000}
    assert not large & set(ours["forces_losing_headline"])
    with capsys.disabled():
        for name in ("outcome_mix", "recorded", "headline", "cohorts"):
            print(f"\n{name}: hidden {ours[name][0]}/{ours[name][1]} (optimisation) vs "
                  f"{theirs[name][0]}/{theirs[name][1]} (previous greedy)")
        print("forces losing a headline figure: optimisation", ours["forces_losing_headline"],
              "greedy", theirs["forces_losing_headline"])
    assert np.isfinite(len(run.suppression.hidden))
