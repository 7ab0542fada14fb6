"""Tables declare their structure: nothing is read from column names, nothing is left unlisted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from soteria_research import DisclosureError, ParameterError
from soteria_research.reporting.disclosure import (
    MARKER,
    Count,
    RunProtection,
    TableSpec,
    attack,
    disclosures,
    protect_table,
    share_of,
)
from soteria_research.reporting.disclosure.spec import describe

OUTCOMES = ("charge", "victim_withdrawal", "evidential_difficulty", "no_suspect", "other")
RELATIONSHIPS = ("partner", "acquaintance", "stranger", "family")


def cross_table(values: np.ndarray) -> pd.DataFrame:
    rows = [(r, o, int(values[i, j])) for i, r in enumerate(RELATIONSHIPS[:values.shape[0]])
            for j, o in enumerate(OUTCOMES[:values.shape[1]])]
    return pd.DataFrame(rows, columns=["relationship", "outcome_group", "n"])


def cross_spec(values: np.ndarray, names=("relationship", "outcome_group", "n"), **extra):
    key_a, key_b, count = names
    return TableSpec(keys=(key_a, key_b), counts=(count,),
                     dimensions={key_a: "relationship", key_b: "outcome_group"},
                     categories={key_a: RELATIONSHIPS[:values.shape[0]],
                                 key_b: OUTCOMES[:values.shape[1]]},
                     totals=(key_a, key_b), **extra)


@pytest.mark.parametrize("profile", ["publication", "partner"])
def test_renaming_columns_changes_nothing_that_is_suppressed(profile):
    values = np.array([[3, 50, 20, 0], [15, 12, 30, 7], [40, 60, 45, 22]])
    frame = cross_table(values)
    plain = protect_table(frame, cross_spec(values), profile=profile)
    # names that the old engine read as a rate ("share"), a period ("year") and a label
    renamed_names = ("share_year", "estimate_days", "charge_rate")
    renamed = frame.set_axis(list(renamed_names), axis=1)
    odd = protect_table(renamed, cross_spec(values, renamed_names), profile=profile)
    assert (plain.mask.to_numpy() == odd.mask.to_numpy()).all()
    assert np.array_equal(plain.frame["n"].to_numpy(), odd.frame["charge_rate"].to_numpy(),
                          equal_nan=True)
    assert plain.mask["n"].sum() >= 2  # something was hidden: the comparison means something


def test_every_category_is_listed_and_a_missing_row_never_reads_as_a_zero():
    frame = pd.DataFrame({"stage": ["recorded", "suspect_identified", "charged"],
                          "n": [120, 80, 12]})
    stages = ("recorded", "suspect_identified", "file_referred", "charged")
    spec = TableSpec(keys=("stage",), counts=("n",), categories={"stage": stages})
    shown = protect_table(frame, spec, profile="publication").display()
    assert shown["stage"].tolist() == list(stages)
    assert shown.loc[shown["stage"].eq("file_referred"), "n"].item() == MARKER


def test_structural_zeros_are_shown_as_zero_and_protect_nothing():
    # "no suspect identified" cannot happen among cases with a named suspect: a structural 0.
    frame = pd.DataFrame({"suspect": ["named"] * 3 + ["none"] * 3 + ["several"] * 3,
                          "outcome_group": ["charge", "no_suspect", "other"] * 3,
                          "n": [7, 0, 60, 0, 40, 2, 25, 0, 31]})
    spec = TableSpec(keys=("suspect", "outcome_group"), counts=("n",),
                     categories={"suspect": ("named", "none", "several"),
                                 "outcome_group": ("charge", "no_suspect", "other")},
                     totals=("outcome_group",),  # each suspect row's total is published
                     structural_zeros=({"suspect": "named", "outcome_group": "no_suspect"},
                                       {"suspect": "several", "outcome_group": "no_suspect"},
                                       {"suspect": "none", "outcome_group": "charge"}))
    run = RunProtection("publication")
    run.register("force", "outcomes_by_suspect", frame, spec)
    protected = run.solve().table("force", "outcomes_by_suspect")
    shown = protected.display()["n"].tolist()
    assert shown[1] == shown[3] == shown[7] == 0  # structural zeros published, not [c]
    assert shown[0] == MARKER and shown[5] == MARKER
    found = attack(run)
    assert disclosures(found).empty, found


def test_a_small_count_that_declared_totals_give_away_is_reported():
    # the charge total (7) is published elsewhere and the only other charge cell is a
    # structural zero: no suppression can hide the 7, and the run says so.
    frame = pd.DataFrame({"suspect": ["named", "named", "none", "none"],
                          "outcome_group": ["charge", "other", "charge", "other"],
                          "n": [7, 60, 0, 42]})
    spec = TableSpec(keys=("suspect", "outcome_group"), counts=("n",),
                     categories={"suspect": ("named", "none"),
                                 "outcome_group": ("charge", "other")},
                     totals=("suspect", "outcome_group"),
                     structural_zeros=({"suspect": "none", "outcome_group": "charge"},))
    run = RunProtection("partner")
    run.register("force", "t", frame, spec)
    run.solve()
    assert len(run.suppression.exposed) == 1 and run.notes
    assert run.suppression.exact == run.suppression.exposed  # pinned, not only capped


def test_a_structural_zero_must_hold_zero():
    frame = pd.DataFrame({"outcome_group": ["charge", "no_suspect"], "n": [7, 3]})
    spec = TableSpec(keys=("outcome_group",), counts=("n",),
                     structural_zeros=({"outcome_group": "no_suspect"},))
    with pytest.raises(DisclosureError, match="structural zero"):
        protect_table(frame, spec, profile="publication")


def test_undeclared_columns_and_unknown_categories_are_refused():
    frame = pd.DataFrame({"outcome_group": ["charge", "oops"], "n": [7, 3], "extra": [1, 2]})
    spec = TableSpec(keys=("outcome_group",), counts=("n",))
    with pytest.raises(ParameterError, match="not declared"):
        RunProtection("publication").register("r", "t", frame, spec)
    listed = TableSpec(keys=("outcome_group",), counts=("n",),
                       categories={"outcome_group": ("charge", "other")})
    with pytest.raises(ParameterError, match="oops"):
        RunProtection("publication").register("r", "t", frame.drop(columns="extra"), listed)


def test_one_quantity_is_one_number_wherever_it_is_published():
    run = RunProtection("partner")
    spec = TableSpec(keys=("outcome_group",), counts=("n",), where={"force": "durham"})
    run.register("durham", "a", pd.DataFrame({"outcome_group": ["charge"], "n": [40]}), spec)
    run.register("durham", "b", pd.DataFrame({"outcome_group": ["charge"], "n": [41]}), spec)
    with pytest.raises(DisclosureError, match="one quantity must be one number"):
        run.solve()


def test_tables_registered_after_solving_are_refused():
    run = RunProtection("partner")
    spec = TableSpec(keys=("outcome_group",), counts=("n",))
    run.register("r", "a", pd.DataFrame({"outcome_group": ["charge"], "n": [40]}), spec)
    run.solve()
    with pytest.raises(DisclosureError, match="after the run was solved"):
        run.register("r", "b", pd.DataFrame({"outcome_group": ["charge"], "n": [40]}), spec)


def test_rates_on_zero_or_hidden_denominators_are_hidden_never_blank():
    frame = pd.DataFrame({"stage": ["a", "b", "c"], "n": [0, 30, 44], "n_previous": [0, 60, 80]})
    frame["conversion"] = frame["n"] / frame["n_previous"].where(frame["n_previous"] > 0)
    spec = TableSpec(keys=("stage",), counts={"n": Count(), "n_previous": Count(
        where={"previous": "yes"})}, rates={"conversion": share_of("n", "n_previous")["estimate"]})
    shown = protect_table(frame, spec, profile="partner").display()
    assert shown.loc[0, "conversion"] == MARKER  # 0 of 0: [c], not blank
    assert shown.loc[0, "n"] == 0  # partner publishes the zero itself


def test_shares_are_computed_from_the_published_counts():
    frame = pd.DataFrame({"measure": ["charge", "withdrawal"], "count": [47, 183],
                          "n": [353, 353]})
    frame = frame.assign(estimate=frame["count"] / frame["n"], ci_low=0.0, ci_high=1.0)
    spec = TableSpec(keys=("measure",), counts={"count": Count(), "n": Count(keys=())},
                     rates=share_of("count", "n"))
    protected = protect_table(frame, spec, profile="publication").frame
    assert protected["n"].tolist() == [355, 355]
    assert protected["estimate"].tolist() == [round(45 / 355, 3), round(185 / 355, 3)]
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(45, 355, alpha=0.05, method="wilson")
    assert protected.loc[0, "ci_low"] == round(low, 3)
    assert protected.loc[0, "ci_high"] == round(high, 3)


def test_intervals_at_a_design_effect_are_recomputed_from_the_published_counts_at_it():
    # Cases of one officer are alike: the headline's intervals are Wilson intervals of k/d in
    # n/d cases. Recomputed from the rounded counts without d they would be too narrow; from the
    # true counts they would undo the rounding. The d column is read, never published.
    from statsmodels.stats.proportion import proportion_confint

    from soteria_research.reporting.disclosure import protect

    frame = pd.DataFrame({"measure": ["charge", "withdrawal"], "count": [47, 183],
                          "n": [353, 353], "deff": [1.8, np.nan]})
    d = frame["deff"].fillna(1.0)  # as comparison.headline_figures computes them
    low, high = proportion_confint(frame["count"] / d, frame["n"] / d, method="wilson")
    frame = frame.assign(estimate=frame["count"] / frame["n"], ci_low=low, ci_high=high)
    spec = TableSpec(keys=("measure",), counts={"count": Count(), "n": Count(keys=())},
                     rates=share_of("count", "n", design_effect="deff"))
    protected = protect_table(frame, spec, profile="publication").frame
    assert "deff" not in protected.columns
    for row, (k, n, d) in enumerate(((45, 355, 1.8), (185, 355, 1.0))):
        low, high = proportion_confint(k / d, n / d, alpha=0.05, method="wilson")
        assert protected.loc[row, "ci_low"] == round(low, 3)
        assert protected.loc[row, "ci_high"] == round(high, 3)
    plain_low, plain_high = proportion_confint(45, 355, alpha=0.05, method="wilson")
    assert protected.loc[0, "ci_high"] - protected.loc[0, "ci_low"] > \
        1.2 * (plain_high - plain_low)  # widened by d (the square root of 1.8 is 1.34)
    # the reports' engine publishes the same intervals from the same table
    legacy = protect(frame, name="headline", counts=["count", "n"], by=["measure"],
                     columns_add_up=False, profile="publication", design_effect="deff",
                     rates={c: ("count", "n") for c in ("estimate", "ci_low", "ci_high")},
                     declared=True).frame
    for column in ("estimate", "ci_low", "ci_high"):
        assert np.allclose(legacy[column].round(3), protected[column]), column


def test_a_design_effect_must_be_a_column_of_its_own_and_only_widen_intervals():
    with pytest.raises(ParameterError, match="published column"):
        TableSpec(keys=("measure",), counts=("count", "n"),
                  rates=share_of("count", "n", design_effect="n"))
    with pytest.raises(ParameterError, match="widens an interval"):
        from soteria_research.reporting.disclosure import Rate

        Rate("count", "n", "share", design_effect="deff")
    spec = TableSpec(keys=("measure",), counts=("count", "n"),
                     rates=share_of("count", "n", design_effect="deff"))
    frame = pd.DataFrame({"measure": ["a"], "count": [20], "n": [100], "estimate": [0.2],
                          "ci_low": [0.1], "ci_high": [0.3]})
    with pytest.raises(ParameterError, match="deff"):
        protect_table(frame, spec)


def test_a_share_of_another_row_is_of_that_rows_published_count():
    # The funnel's share of recorded divides each stage by the recorded stage's count, in
    # another row. From the published counts, and hidden with either count: printed beside a
    # hidden count it would give it back (7 of 120 is 5.8%).
    from soteria_research.reporting.disclosure import Rate, protect

    frame = pd.DataFrame({"force": ["a"] * 3 + ["b"] * 3,
                          "stage": ["recorded", "identified", "charged"] * 2,
                          "n": [123, 81, 7, 240, 152, 31]})
    recorded = frame.groupby("force")["n"].transform("first")
    frame["share_of_recorded"] = frame["n"] / recorded
    spec = TableSpec(keys=("force", "stage"), counts=("n",), total_rows={"stage": "recorded"},
                     rates={"share_of_recorded": Rate("n", "n", of_row=("stage", "recorded"))})
    run = RunProtection("publication")
    run.register("run", "funnel", frame, spec)
    protected = run.solve().table("run", "funnel")
    out, hidden = protected.frame, protected.mask
    assert hidden.loc[2, "n"] and hidden.loc[2, "share_of_recorded"]  # 7: hidden, and its share
    assert disclosures(attack(run)).empty  # nor worked out from the rest
    for row in np.flatnonzero(~hidden["share_of_recorded"].to_numpy()):
        base = out.loc[(out["force"] == out.loc[row, "force"]) & (out["stage"] == "recorded"),
                       "n"].iloc[0]
        assert out.loc[row, "share_of_recorded"] == round(out.loc[row, "n"] / base, 3)
    assert out.loc[4, "share_of_recorded"] == round(150 / 240, 3)  # rounded counts: 150 of 240
    # the reports' engine prints the same shares where it prints them
    legacy = protect(frame, name="funnel", counts=["n"], by=["force", "stage"],
                     profile="publication", declared=True,
                     rates={"share_of_recorded": (None, None)},
                     shares_of_row={"share_of_recorded": ("n", "stage", "recorded")})
    both = ~legacy.mask["share_of_recorded"].to_numpy() & ~hidden["share_of_recorded"].to_numpy()
    assert both.sum() >= 3
    assert np.allclose(legacy.frame["share_of_recorded"].to_numpy()[both].round(3),
                       out["share_of_recorded"].to_numpy()[both])


def _funnel(counts: dict[str, list[int]]) -> pd.DataFrame:
    stages = ["recorded", "identified", "referred", "charged"]
    frame = pd.DataFrame({"force": [f for f in counts for _ in stages],
                          "stage": stages * len(counts),
                          "n": [n for values in counts.values() for n in values]})
    previous = frame.groupby("force")["n"].shift(1)
    frame["share_of_previous"] = frame["n"] / previous
    frame["n_previous"] = previous.astype("Int64")
    return frame


def test_a_share_of_the_previous_row_is_of_its_published_count_and_hides_with_it():
    # The funnel's share of the previous stage: each stage's count over the one before. From
    # the published counts, hidden with either, and the cases that did not go on (referred
    # but not charged) are a cell the protection knows: printed beside a hidden count, the
    # share would give it back (7 of 45 is 15.6%).
    from soteria_research.reporting.disclosure import Rate, protect

    frame = _funnel({"a": [123, 81, 45, 7], "b": [240, 152, 96, 31], "c": [400, 262, 171, 64]})
    spec = TableSpec(keys=("force", "stage"), counts=("n",), total_rows={"stage": "recorded"},
                     rates={"share_of_previous": Rate("n", "n", of_previous="stage")})
    run = RunProtection("publication")
    run.register("run", "funnel", frame.drop(columns="n_previous"), spec)
    protected = run.solve().table("run", "funnel")
    out, hidden = protected.frame, protected.mask
    assert hidden.loc[3, "n"] and hidden.loc[3, "share_of_previous"]  # 7: hidden, its share too
    first = out["stage"].eq("recorded")  # no stage before it: blank, not hidden
    assert out.loc[first, "share_of_previous"].isna().all()
    assert not hidden.loc[first, "share_of_previous"].any()
    assert disclosures(attack(run)).empty
    for row in np.flatnonzero(~hidden["share_of_previous"].to_numpy() &
                              out["share_of_previous"].notna().to_numpy()):
        assert not hidden.loc[row - 1, "n"]
        assert out.loc[row, "share_of_previous"] == round(out.loc[row, "n"] /
                                                          out.loc[row - 1, "n"], 3)
    assert out.loc[7, "share_of_previous"] == round(30 / 95, 3)  # 31 of 96, as 30 of 95
    # "referred but not charged" is a cell of the protection, worked out as the run publishes
    cells = {describe(q): v for q, v in zip(run.system.identities, run.system.values,
                                            strict=True)}
    assert cells["force=b & not=stage=charged & stage=referred"] == 96 - 31
    # the reports' engine (n_previous a count column, the same number one row up) prints the
    # same shares where both print them
    legacy = protect(frame, name="funnel", counts=["n", "n_previous"], by=["force", "stage"],
                     profile="publication", declared=True, columns_add_up=False,
                     rates={"share_of_previous": ("n", "n_previous")})
    both = ~legacy.mask["share_of_previous"].to_numpy() & \
        ~hidden["share_of_previous"].to_numpy() & out["share_of_previous"].notna().to_numpy()
    assert both.sum() >= 5
    assert np.allclose(legacy.frame["share_of_previous"].to_numpy()[both].astype(float)
                       .round(3), out["share_of_previous"].to_numpy()[both])


def test_a_share_of_the_previous_row_needs_a_key_and_a_part_of_its_cases():
    from soteria_research.reporting.disclosure import Rate

    with pytest.raises(ParameterError, match="previous 'step', not a key"):
        TableSpec(keys=("stage",), counts=("n",),
                  rates={"share": Rate("n", "n", of_previous="step")})
    with pytest.raises(ParameterError, match="of_previous"):
        Rate("n", "n", of_previous="stage", of_row=("stage", "recorded"))
    # a stage with more cases than the one before: the rows are out of order
    frame = _funnel({"a": [123, 45, 81, 7]}).drop(columns="n_previous")
    spec = TableSpec(keys=("force", "stage"), counts=("n",), total_rows={"stage": "recorded"},
                     rates={"share_of_previous": Rate("n", "n", of_previous="stage")})
    with pytest.raises(DisclosureError, match="stage=referred = 81 is more than .*= 45"):
        protect_table(frame, spec)


def test_a_share_of_another_row_names_a_key():
    from soteria_research.reporting.disclosure import Rate

    with pytest.raises(ParameterError, match="not a key"):
        TableSpec(keys=("stage",), counts=("n",),
                  rates={"share": Rate("n", "n", of_row=("step", "recorded"))})
    with pytest.raises(ParameterError, match="of_row"):
        Rate("n", "n", "value", of_row=("stage", "recorded"))


def _outcomes_and_ended(run: RunProtection, ended: int) -> None:
    spec = TableSpec(keys=("outcome_group",), counts=("n",), where={"force": "a"},
                     categories={"outcome_group": ("charge", "withdrawal", "open")})
    run.register("a", "outcome_mix", pd.DataFrame(
        {"outcome_group": ["charge", "withdrawal", "open"], "n": [60, 3, 50]}), spec)
    run.register("a", "reached", pd.DataFrame({"n": [ended]}),
                 TableSpec(counts={"n": Count(where={"status": "ended"})}, where={"force": "a"}))


def test_a_grouping_ties_a_coarser_count_to_its_categories():
    run = RunProtection("partner")
    _outcomes_and_ended(run, 63)
    run.declare_grouping("outcome_group", "status",
                         {"charge": "ended", "withdrawal": "ended", "open": "open"})
    run.solve()
    ended = [i for i, q in enumerate(run.system.identities) if describe(q) ==
             "force=a & status=ended"]
    relation = [sorted(describe(run.system.identities[m]) for m in members)
                for members, total in run.system.relations if total == ended[0]]
    assert relation == [["force=a & outcome_group=charge", "force=a & outcome_group=withdrawal"]]
    # the coarser categories partition the force's cases, as the finer ones do
    assert {"status", "outcome_group"} <= run.system.dimensions()


def test_a_grouping_that_disagrees_or_leaves_out_a_category_is_refused():
    run = RunProtection("partner")
    _outcomes_and_ended(run, 64)  # one more than the charges and withdrawals
    run.declare_grouping("outcome_group", "status",
                         {"charge": "ended", "withdrawal": "ended", "open": "open"})
    with pytest.raises(DisclosureError, match="add up"):
        run.solve()
    run = RunProtection("partner")
    _outcomes_and_ended(run, 63)
    run.declare_grouping("outcome_group", "status", {"charge": "ended", "open": "open",
                                                     "appeal": "ended"})
    with pytest.raises(DisclosureError, match=r"missing \['withdrawal'\] unknown \['appeal'\]"):
        run.solve()


def test_the_last_part_of_a_published_whole_is_a_cell():
    # 30 suspects named, 28 of them in more than one case: the 2 named once follow, so a
    # reader holding both counts has a small one; the engine knows that part and hides
    spec = TableSpec(counts={"n_suspects": Count(where={"unit": "suspect"}),
                             "n_repeat": Count(where={"unit": "suspect", "repeat": "yes"})},
                     where={"force": "a"})
    run = RunProtection("partner")
    run.register("a", "repeat", pd.DataFrame({"n_suspects": [30], "n_repeat": [28]}), spec)
    run.declare_dimension("repeat", ("yes", "no"))
    run.solve()
    once = [i for i, q in enumerate(run.system.identities)
            if describe(q) == "force=a & repeat=no & unit=suspect"]
    assert len(once) == 1 and run.system.values[once[0]] == 2
    assert run.table("a", "repeat").mask[["n_suspects", "n_repeat"]].to_numpy().any()
    assert disclosures(attack(run), zeros=False).empty


def test_nested_rows_are_parts_of_the_next_and_a_sum_of_structural_zeros_is_one():
    # withdrawals within 7, 30 and 90 days: 5, 6 and 40 (1 between 7 and 30 days follows)
    spec = TableSpec(keys=("within_days",), counts=("n",), where={"force": "a"},
                     dimensions={"within_days": "withdrawn_within"}, nested=("within_days",))
    frame = pd.DataFrame({"within_days": [7, 30, 90], "n": [15, 16, 40]})
    run = RunProtection("partner")
    run.register("a", "timing", frame, spec)
    run.solve()
    assert run.table("a", "timing").mask["n"].to_numpy()[:2].any()
    assert disclosures(attack(run), zeros=False).empty
    with pytest.raises(DisclosureError, match="nested rows"):
        bad = RunProtection("partner")
        bad.register("a", "timing", frame.assign(n=[17, 16, 40]), spec)
        bad.solve()
    # a structural zero in two forces: their sum is one too, known to every reader
    stages = TableSpec(keys=("stage",), counts=("n",), categories={"stage": ("early", "late")},
                       structural_zeros=({"stage": "late"},))
    run = RunProtection("publication")
    for force in ("a", "b"):
        run.register(force, "stages", pd.DataFrame({"stage": ["early", "late"], "n": [40, 0]}),
                     TableSpec(**{**vars(stages), "where": {"force": force}}))
    run.declare_dimension("force", ("a", "b"))
    run.solve()
    view = run.published_view()
    late = [c for c in view["cells"] if c["identity"] == [["stage", "late"]]]
    assert len(late) == 1 and late[0]["exact"] and late[0]["published"] == 0


@pytest.mark.parametrize("seed", range(4))
def test_a_table_with_every_row_is_completed_as_the_grid_lists_it(seed, monkeypatch):
    """A table that already has a row for every combination of its keys is put in the grid's
    order without building the grid (``TableSpec._grid_order``): rows, order, types and
    values must be what completing it through the grid gives, with keys of each kind (a
    force not listed, a numeric year, an outcome listed with its total row), shuffled; and a
    table with a row missing or a key twice still goes through the grid."""
    rng = np.random.default_rng(seed)
    spec = TableSpec(keys=("force", "year", "outcome"), counts=("n",),
                     categories={"year": (2021, 2022), "outcome": OUTCOMES},
                     total_rows={"outcome": "all"}, rates=share_of("n", "n"))
    rows = [(force, year, outcome, int(rng.integers(0, 50)))
            for force in ("kent", "durham", "city_of_london")
            for year in (2021, 2022) for outcome in (*OUTCOMES, "all")]
    frame = pd.DataFrame(rows, columns=["force", "year", "outcome", "n"])
    frame["share"] = frame["n"] / 50
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    frame.attrs = {"estimand": "cases followed a year"}
    found = []
    order = TableSpec._grid_order
    monkeypatch.setattr(TableSpec, "_grid_order",
                        staticmethod(lambda *args: found.append(order(*args)) or found[-1]))
    quick = spec.complete(frame)
    assert len(found) == 1 and found[0] is not None  # put in order, no grid built
    monkeypatch.setattr(TableSpec, "_grid_order", staticmethod(lambda *args: None))
    through_grid = spec.complete(frame)
    pd.testing.assert_frame_equal(quick, through_grid, check_exact=True)
    assert quick.attrs == through_grid.attrs
    monkeypatch.undo()
    assert quick["year"].dtype == frame["year"].dtype and quick["n"].dtype == frame["n"].dtype
    assert TableSpec._grid_order(frame.iloc[1:], ["year"], ["force"], 3, [
        pd.DataFrame({"year": ["2021", "2022"]})]) is None
    twice = pd.concat([frame.iloc[:1], frame.iloc[:-1]], ignore_index=True)
    spelled = twice.assign(year=twice["year"].astype(str))
    assert TableSpec._grid_order(spelled, ["year"], ["force", "outcome"], 18, [
        pd.DataFrame({"year": ["2021", "2022"]})]) is None
