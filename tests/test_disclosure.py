"""Disclosure control: no small count escapes, hidden cells stay hidden, curves and models safe."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from soteria_research import DisclosureError, ParameterError
from soteria_research.reporting.disclosure import (
    INTERNAL_LABEL,
    MARKER,
    DisclosureControl,
    LinkedProtection,
    get_profile,
    protect,
    protect_curve,
    protect_linked,
    protect_model,
    scan_for_disclosive_counts,
)

OUTCOMES = ["charge", "victim_withdrawal", "evidential_difficulty", "no_suspect", "other"]
RELATIONSHIPS = ["partner_ex_partner", "acquaintance", "stranger", "family", "other", "unknown"]

# Counts that mix small (1-9), zero and safe values, as real force tables do.
cell_values = st.one_of(st.integers(0, 9), st.integers(10, 400))


def wide_table(values: np.ndarray) -> pd.DataFrame:
    rows, columns = values.shape
    frame = pd.DataFrame(values, columns=OUTCOMES[:columns])
    frame.insert(0, "relationship", RELATIONSHIPS[:rows])
    return frame


def determined_cells(hidden: np.ndarray, lines: list[np.ndarray]) -> list[int]:
    """Hidden cells that published totals pin down: e_j in the row space of the constraints.

    An independent check (rank test on dense matrices) of the package's null-space method.
    ``lines`` are boolean masks over the cells, one per published total.
    """
    unknown = np.flatnonzero(hidden.ravel())
    if len(unknown) == 0:
        return []
    system = np.array([line.ravel()[unknown] for line in lines], dtype=float)
    system = system[system.any(axis=1)]
    if len(system) == 0:
        return []
    rank = np.linalg.matrix_rank(system)
    return [int(unknown[k]) for k in range(len(unknown))
            if np.linalg.matrix_rank(np.vstack([system, np.eye(len(unknown))[k]])) == rank]


def row_and_column_lines(shape) -> list[np.ndarray]:
    rows, columns = shape
    lines = []
    for r in range(rows):
        line = np.zeros(shape, bool)
        line[r, :] = True
        lines.append(line)
    for c in range(columns):
        line = np.zeros(shape, bool)
        line[:, c] = True
        lines.append(line)
    return lines


# -- primary suppression and rounding ---------------------------------------------------------

@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(np.int64, st.tuples(st.integers(1, 5), st.integers(2, 5)), elements=cell_values))
def test_publication_shows_no_small_count_no_zero_and_only_multiples_of_five(values):
    protected = protect(wide_table(values), profile="publication")
    published = protected.frame[OUTCOMES[:values.shape[1]]].to_numpy(dtype=float)
    shown = published[~np.isnan(published)]
    assert not ((shown >= 0) & (shown < 10)).any()
    assert (shown % 5 == 0).all()
    hidden = np.isnan(published)
    assert hidden[(values < 10)].all()  # every small cell and every zero is hidden
    assert (np.abs(shown - values[~hidden]) <= 2.5).all()  # rounded, not altered


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(np.int64, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=cell_values))
def test_suppressed_cells_cannot_be_recovered_from_row_and_column_totals(values):
    protected = protect(wide_table(values), profile="partner")
    hidden = protected.mask[OUTCOMES[:values.shape[1]]].to_numpy()
    # never alone in a row or column (the row and column totals are public)...
    per_row, per_column = hidden.sum(axis=1), hidden.sum(axis=0)
    assert not (per_row == 1).any() and not (per_column[per_column > 0] == 1).any() or \
        values.shape[0] == 1
    # ...and not pinned down by any combination of totals (linear algebra).
    lines = row_and_column_lines(values.shape)
    if values.shape[0] == 1:
        lines = lines[:1]  # one row: column "totals" are the cells themselves
    assert determined_cells(hidden, lines) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(np.int64, st.tuples(st.integers(2, 5), st.integers(2, 4)), elements=cell_values))
def test_published_total_row_and_column_do_not_reveal_hidden_cells(values):
    frame = wide_table(values)
    columns = OUTCOMES[:values.shape[1]]
    frame["total"] = frame[columns].sum(axis=1)
    frame = pd.concat([frame, pd.DataFrame([["Total", *frame[columns + ["total"]].sum()]],
                                           columns=frame.columns)], ignore_index=True)
    protected = protect(frame, profile="partner")
    hidden = protected.mask[columns + ["total"]].to_numpy()
    # Unknowns are hidden cells of the full table with margins; every line sums to zero
    # (interior minus its total), so hidden totals are unknowns too.
    rows, cols = hidden.shape
    lines = []
    for r in range(rows):
        lines.append(np.zeros(hidden.shape, bool))
        lines[-1][r, :] = True
    for c in range(cols):
        lines.append(np.zeros(hidden.shape, bool))
        lines[-1][:, c] = True
    assert determined_cells(hidden, lines) == []
    # and totals only hidden when they are small or needed
    shown = protected.frame[columns + ["total"]].to_numpy(dtype=float)
    assert not ((shown[~hidden] < 10) & (shown[~hidden] > 0)).any()


def test_two_by_two_rectangle_is_the_minimum_secondary_pattern():
    frame = wide_table(np.array([[3, 50, 20], [15, 12, 30], [40, 60, 45]]))
    protected = protect(frame, profile="partner")
    hidden = protected.mask[OUTCOMES[:3]].to_numpy()
    assert hidden.sum() == 4  # one primary cell needs three partners, no more
    assert protected.record.primary_suppressed == 1
    assert protected.record.secondary_suppressed == 3


def test_tidy_frame_with_two_keys_adds_up_along_both():
    tidy = wide_table(np.array([[3, 50], [15, 12], [40, 60]])).melt(
        "relationship", var_name="outcome", value_name="n")
    protected = protect(tidy, profile="partner")
    hidden = protected.mask["n"].to_numpy().reshape(2, 3).T  # relationship × outcome
    assert determined_cells(hidden, row_and_column_lines(hidden.shape)) == []
    assert hidden[0, 0]


def test_by_groups_are_separate_tables_with_their_own_implied_totals():
    # Two time windows: each window's table adds up, the windows do not add to anything.
    frame = pd.DataFrame({"window": ["2022"] * 3 + ["2023"] * 3,
                          "outcome": ["charge", "withdrawal", "other"] * 2,
                          "n": [4, 30, 40, 50, 60, 70]})
    protected = protect(frame, by="window", profile="partner")
    assert protected.mask["n"].tolist() == [True, True, False, False, False, False]


# -- rates --------------------------------------------------------------------------------------

def test_rates_built_on_hidden_counts_are_hidden():
    frame = pd.DataFrame({"relationship": RELATIONSHIPS[:4], "n_charged": [3, 12, 30, 25],
                          "n": [60, 80, 100, 90]})
    frame["charge_rate"] = frame["n_charged"] / frame["n"]
    protected = protect(frame, rates={"charge_rate": ("n_charged", "n")}, profile="publication")
    hidden = protected.mask
    assert (hidden["charge_rate"] >= hidden["n_charged"]).all()
    assert hidden.loc[0, "n_charged"] and hidden.loc[0, "charge_rate"]
    # the numerator column adds up to a public total, so a second numerator is hidden too
    assert hidden["n_charged"].sum() >= 2
    assert protected.frame["charge_rate"].isna().sum() == hidden["charge_rate"].sum()


@pytest.mark.parametrize("profile", ["publication", "partner"])
def test_a_share_of_a_hidden_denominator_of_0_is_hidden_not_blank(profile):
    # a group without cases has no share. Left blank beside [c] counts, the blank says its
    # denominator is 0 (issue 16, item 1): it is [c] wherever its counts are.
    frame = pd.DataFrame({"relationship": RELATIONSHIPS[:3], "n_charged": [0, 12, 30],
                          "n": [0, 80, 100]})
    frame["charge_rate"] = (frame["n_charged"] / frame["n"]).where(frame["n"].gt(0))
    protected = protect(frame, rates={"charge_rate": ("n_charged", "n")}, profile=profile)
    shown = protected.display()
    hidden = protected.mask.loc[0, "n"]
    assert hidden == (profile == "publication")  # 0 is disclosive only at publication
    if hidden:
        assert shown.loc[0, "n"] == shown.loc[0, "charge_rate"] == MARKER
    else:  # the 0 is printed: a blank share then says nothing more
        assert shown.loc[0, "n"] == 0 and pd.isna(shown.loc[0, "charge_rate"])


def test_rate_names_are_matched_to_their_numerators_by_default():
    frame = pd.DataFrame({"force": ["a", "b", "c"], "charge": [5, 40, 50], "n": [100, 200, 300]})
    frame["charge_share"] = frame["charge"] / frame["n"]
    protected = protect(frame, profile="publication")
    assert protected.mask.loc[0, "charge_share"]


def test_proportions_with_small_complement_are_hidden():
    # 47 of 50 charged reveals that 3 were not: the complement is a small count too.
    frame = pd.DataFrame({"group": ["a", "b", "c"], "estimate": [47 / 50, 0.5, 0.4],
                          "ci_low": [0.85, 0.4, 0.3], "ci_high": [0.99, 0.6, 0.5],
                          "n": [50, 60, 70]})
    protected = protect(frame, kind="rates", profile="publication")
    assert protected.mask.loc[0, ["estimate", "ci_low", "ci_high"]].all()
    # implied numerators add up to the public total, so one more group is hidden with it
    assert protected.mask["estimate"].sum() >= 2
    assert not protected.mask["n"].any()


def test_proportion_with_small_numerator_is_hidden_even_when_n_is_large():
    frame = pd.DataFrame({"group": ["a", "b", "c"], "estimate": [0.04, 0.5, 0.4],
                          "n": [50, 60, 70]})
    shown = protect(frame, kind="rates", profile="partner").display()
    assert shown.loc[0, "estimate"] == MARKER


# -- survival and incidence curves --------------------------------------------------------------

def km_frame(seed: int = 1, n: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    time = np.sort(rng.integers(1, 400, n))
    event = rng.random(n) < 0.6
    frame = pd.DataFrame({"time": time, "event": event}).groupby("time").agg(
        n_events=("event", "sum"), exits=("event", "size")).reset_index()
    frame["n_at_risk"] = n - frame["exits"].cumsum().shift(fill_value=0)
    frame["survival"] = np.cumprod(1 - frame["n_events"] / frame["n_at_risk"])
    return frame.drop(columns="exits")


def test_every_curve_step_rests_on_enough_events_and_curve_stops_before_small_risk_sets():
    curve = km_frame()
    protected = protect_curve(curve, cumulative_events=False, profile="partner").frame
    original = curve.set_index("time")
    cumulative = original["n_events"].cumsum()
    kept = protected["time"].to_numpy()
    steps = np.diff(np.append(0, cumulative.loc[kept].to_numpy()))
    assert (steps >= 10).all()
    assert (protected["n_events"].to_numpy() == steps).all()
    assert (original.loc[kept, "n_at_risk"] >= 10).all()
    last_safe = original.index[original["n_at_risk"] >= 10].max()
    assert kept.max() <= last_safe
    # the estimate at a shown step is the true one, not an approximation
    assert np.allclose(protected["survival"], original.loc[kept, "survival"], atol=5e-4)


def test_cumulative_event_counts_at_chosen_times_are_understood():
    # cumulative_incidence(times=[...]) reports events UP TO each time
    curve = pd.DataFrame({"outcome": "charge", "time": [30, 90, 180, 365, 730],
                          "cif": [0.01, 0.03, 0.06, 0.1, 0.12],
                          "n_at_risk": [900, 700, 500, 300, 9],
                          "n_events": [4, 12, 25, 31, 40]})
    protected = protect_curve(curve, profile="partner")
    # 12 events by day 90 is the first step with 10; 25 - 12 = 13 next; 31 - 25 = 6 too few;
    # day 730 has fewer than 10 at risk
    assert protected.frame["time"].tolist() == [90, 180]
    assert protected.frame["n_events"].tolist() == [12, 25]


def test_curves_for_several_outcomes_are_coarsened_separately():
    one, two = km_frame(1).assign(outcome="charge"), km_frame(2).assign(outcome="withdrawal")
    curve = pd.concat([one, two]).rename(columns={"survival": "cif"})
    protected = protect_curve(curve, cumulative_events=False, profile="publication")
    assert set(protected.frame["outcome"]) == {"charge", "withdrawal"}
    assert (protected.frame["n_at_risk"] % 5 == 0).all()
    assert protected.record.rows_dropped > 0


def test_a_cohort_curve_under_rounding_is_a_share_of_the_published_cohort():
    # A cohort of 119 with no censoring: 11 charges by day 365 is 9.2%, which beside the
    # trend table's rounded "10 of 120" gives the 11 back. Under publication each step is its
    # events rounded to 5 over the cohort rounded to 5 (10 / 120), its interval the Wilson
    # interval of those at the step's design effect; under partner (no rounding) the curve's
    # own value stays.
    from statsmodels.stats.proportion import proportion_confint

    events = np.array([11, 14, 24, 34])
    curve = pd.DataFrame({"outcome": ["charge", "evidential", "withdrawal", "withdrawal"],
                          "time": [365, 180, 30, 365], "cif": events / 119,
                          "ci_low": 0.0, "ci_high": 1.0, "n_at_risk": [22, 55, 93, 22],
                          "n_events": events, "n_cohort": 119,
                          "design_effect": [2.0, 1.0, 1.5, 1.25]})
    shown = protect_curve(curve, profile="publication", decimals=None).frame
    published = np.array([10, 15, 25, 35])
    np.testing.assert_allclose(shown["cif"], published / 120)
    effect = curve["design_effect"].to_numpy()
    low, high = proportion_confint(published / effect, 120 / effect, method="wilson")
    np.testing.assert_allclose(shown["ci_low"], low)
    np.testing.assert_allclose(shown["ci_high"], high)
    assert (shown["n_cohort"] == 120).all()
    partner = protect_curve(curve, profile="partner", decimals=None).frame
    np.testing.assert_allclose(partner["cif"], events / 119)
    assert (partner["ci_high"] == 1.0).all()


def test_curve_with_too_few_events_is_withheld():
    curve = pd.DataFrame({"time": [1, 2, 3], "n_at_risk": [30, 28, 27], "n_events": [1, 1, 2],
                          "survival": [0.97, 0.93, 0.86]})
    protected = protect_curve(curve, profile="publication")
    assert protected.frame.empty and protected.record.status == "withheld"


def test_curve_without_event_counts_follows_acro_survival_rule(tmp_path, monkeypatch):
    acro = pytest.importorskip("acro")
    monkeypatch.chdir(tmp_path)  # ACRO may write its outputs folder here, never in reports/
    rng = np.random.default_rng(3)
    time = rng.exponential(100, 200).round()
    status = (rng.random(200) < 0.7).astype(int)
    checker = acro.ACRO(suppress=True)
    table = checker.surv_func(time, status, output="table")
    frame = pd.DataFrame({"time": table.index, "n_at_risk": table["num at risk"].to_numpy(),
                          "survival": table["Surv prob"].to_numpy()})
    ours = protect_curve(frame.iloc[: int(np.argmax(frame["n_at_risk"] < 10)) or None],
                         events=False, profile="partner")
    rounded = table["rounded_survival_fun"].to_numpy()
    acro_steps = set(table.index[1:][np.diff(rounded) != 0])
    ours_steps = set(ours.frame["time"])
    cut = frame.loc[frame["n_at_risk"] >= 10, "time"].max()
    assert {t for t in acro_steps if t <= cut} <= ours_steps


# -- models ---------------------------------------------------------------------------------

def hazard_ratios() -> pd.DataFrame:
    return pd.DataFrame({"term": ["relationship[stranger]", "relationship[family]",
                                  "victim_age"],
                         "estimate": [1.8, 0.7, 0.99], "ci_low": [1.1, 0.4, 0.98],
                         "ci_high": [2.9, 1.2, 1.0], "p": [0.01, 0.2, 0.3],
                         "n": [7, 240, np.nan]})


def test_model_terms_on_few_cases_are_hidden():
    protected = protect_model(hazard_ratios(), df_resid=400, profile="publication")
    shown = protected.display()
    assert shown.loc[0, ["estimate", "ci_low", "ci_high", "p", "n"]].eq(MARKER).all()
    assert shown.loc[1, "estimate"] == 0.7 and shown.loc[1, "n"] == 240
    assert "fewer than 10" in shown.loc[0, "disclosure"]
    assert shown.loc[2, "estimate"] == 0.99  # continuous covariate: no category count


def test_models_with_too_few_residual_degrees_of_freedom_are_refused():
    withheld = protect_model(hazard_ratios(), df_resid=6, profile="publication")
    assert withheld.record.status == "withheld" and withheld.frame.empty
    with pytest.raises(DisclosureError, match="residual degrees of freedom"):
        protect_model(hazard_ratios(), df_resid=6, on_refuse="raise", profile="partner")
    frame = hazard_ratios()
    frame.attrs["df_resid"] = 3
    assert protect_model(frame, profile="publication").record.status == "withheld"


# -- profiles -------------------------------------------------------------------------------

def test_partner_hides_small_counts_but_shows_zeros_and_does_not_round():
    frame = pd.DataFrame({"outcome": ["a", "b", "c", "d"], "n": [0, 4, 12, 33]})
    shown = protect(frame, profile="partner").display()["n"].tolist()
    assert shown[0] == 0 and shown[1] == MARKER and 33 in shown


def test_internal_suppresses_nothing_and_labels_everything():
    frame = pd.DataFrame({"outcome": ["a", "b"], "n": [0, 4]})
    dc = DisclosureControl(profile="internal")
    shown = dc.show(frame, name="t", styled=False)
    assert shown["n"].tolist() == [0, 4]
    assert shown.attrs["label"] == INTERNAL_LABEL
    assert INTERNAL_LABEL in dc.show(frame, name="t").to_html()
    assert INTERNAL_LABEL in dc.appendix()
    assert dc.summary()["status"].tolist() == ["internal"]


def test_profile_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SOTERIA_DISCLOSURE", "partner")
    assert DisclosureControl().profile.name == "partner"
    monkeypatch.setenv("SOTERIA_DISCLOSURE", "public")
    with pytest.raises(ParameterError, match="publication, partner, internal"):
        get_profile()


# -- agreement with ACRO ----------------------------------------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.integers(0, 10_000), st.integers(40, 400))
def test_primary_suppression_agrees_with_acro(tmp_path_factory, seed, n):
    acro = pytest.importorskip("acro")
    import os

    os.chdir(tmp_path_factory.mktemp("acro"))
    rng = np.random.default_rng(seed)
    microdata = pd.DataFrame({
        "relationship": rng.choice(RELATIONSHIPS[:4], n, p=[0.4, 0.05, 0.45, 0.1]),
        "outcome": rng.choice(OUTCOMES[:3], n, p=[0.05, 0.5, 0.45])})
    checker = acro.ACRO(suppress=True)
    acro_table = checker.crosstab(microdata["relationship"], microdata["outcome"])
    table = pd.crosstab(microdata["relationship"], microdata["outcome"])
    ours = protect(table, profile="publication")
    # ACRO drops rows and columns that are wholly suppressed (and returns an empty frame
    # when everything is): those cells count as hidden.
    acro_hidden = (np.ones(table.shape, bool) if acro_table.empty else
                   acro_table.reindex(index=table.index, columns=table.columns).isna().to_numpy())
    assert (ours.primary.to_numpy() == acro_hidden).all()
    assert (ours.mask.to_numpy() >= acro_hidden).all()  # ours adds secondary suppression


# -- linked tables --------------------------------------------------------------------------

def force_outcome_table(seed: int = 0, forces: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = [f"force_{i}" for i in range(forces)]
    rows = [(f, o, int(rng.choice([rng.integers(0, 10), rng.integers(10, 300)], p=[0.3, 0.7])))
            for f in names for o in OUTCOMES]
    return pd.DataFrame(rows, columns=["force", "outcome_group", "n"])


@pytest.mark.parametrize("seed", range(8))
def test_national_totals_minus_other_forces_cannot_reveal_a_hidden_cell(seed):
    table = force_outcome_table(seed)
    linked = protect_linked({"outcome_mix": table}, profile="publication")
    forces = table["force"].unique()
    hidden = np.vstack([linked.slice("outcome_mix", f).mask["n"].to_numpy() for f in forces])
    assert hidden[table["n"].to_numpy().reshape(hidden.shape) < 10].all()
    # each force's total and each national outcome total are public
    assert determined_cells(hidden, row_and_column_lines(hidden.shape)) == []
    for column in range(hidden.shape[1]):
        assert hidden[:, column].sum() != 1


def test_the_saved_pattern_reads_back_as_the_run_protected_it(tmp_path):
    """A report reads the run's linked tables from the saved file: each force's slice and the
    whole table hold the table's rows with its published counts (rounded to 5, blank where
    hidden), numeric keys as numbers, and a force's record counts the cells hidden in it.
    Asked again, it gives the same, whatever the caller did to the first answer (a report
    reads its peers' slices many times)."""
    table = force_outcome_table(5).assign(year=lambda t: 2020 + t.index % 3)
    table = table.groupby(["force", "outcome_group", "year"], as_index=False)["n"].sum()
    linked = protect_linked({"mix": (table, {"counts": ["n"], "keys": ["year"]})},
                            profile="publication")
    loaded = LinkedProtection.load(linked.save(tmp_path / "linked_disclosure.json"))
    keys = ["force", "outcome_group", "year"]
    for force in (None, "force_0", "force_3", None, "force_0", "force_3"):
        part = loaded.table("mix") if force is None else loaded.slice("mix", force)
        mine = table if force is None else table[table["force"] == force]
        assert part.frame["year"].dtype.kind == "i" and part.frame["n"].dtype.kind == "f"
        both = part.frame.assign(hidden=part.mask["n"].to_numpy()).merge(
            mine, on=keys, suffixes=("", "_true"), validate="one_to_one")
        assert len(both) == len(mine) == len(part.frame)
        assert both["n"].isna().eq(both["hidden"]).all()
        shown = both[~both["hidden"]]
        assert np.array_equal(shown["n"], 5 * np.round(shown["n_true"] / 5))
        assert (both.loc[both["hidden"], "n_true"] >= 0).all()
        counted = part.record.primary_suppressed + part.record.secondary_suppressed
        assert counted == int(both["hidden"].sum())
        assert part.frame.attrs["disclosure"]["linked"]
        # the caller changes what it was given
        part.frame["n"] = -1.0
        part.mask["n"] = ~part.mask["n"]
        part.frame.attrs.clear()
        part.record.notes.append("changed by the caller")


def test_force_reports_read_the_shared_pattern(tmp_path):
    table = force_outcome_table(3)
    path = protect_linked({"outcome_mix": table}, profile="publication").save(
        tmp_path / "linked_disclosure.json")
    assert "force_0" in path.read_text()
    force = "force_1"
    mine = table[table["force"] == force].drop(columns="force").iloc[::-1]
    dc = DisclosureControl(profile="publication", linked=path, force=force)
    shown = dc.protect(mine, name="outcome_mix")
    expected = LinkedProtection.load(path).slice("outcome_mix", force)
    by_outcome = expected.frame.set_index("outcome_group")["n"]
    assert shown.frame["outcome_group"].tolist() == mine["outcome_group"].tolist()
    assert np.allclose(shown.frame["n"], by_outcome.loc[mine["outcome_group"]], equal_nan=True)
    # alone, the force's table might need fewer suppressions: the linked pattern wins
    alone = protect(mine, profile="publication")
    assert shown.mask["n"].sum() >= alone.primary["n"].sum()
    tampered = mine.assign(n=mine["n"] + 100)
    with pytest.raises(DisclosureError, match="differs from the run's linked table"):
        dc.protect(tampered, name="outcome_mix")


def test_linked_file_stores_no_raw_small_counts(tmp_path):
    table = force_outcome_table(5)
    path = protect_linked({"outcome_mix": table}, profile="publication").save(tmp_path / "l.json")
    rows = json.loads(path.read_text())["tables"]["outcome_mix"]["rows"]
    values = [r[2] for r in rows if r[2] is not None]
    assert all(v >= 10 and v % 5 == 0 for v in values)


# -- the notebook-facing object and its log ------------------------------------------------------

def test_show_log_and_appendix(tmp_path):
    dc = DisclosureControl(profile="publication", log_path=tmp_path / "disclosure.json")
    counts = wide_table(np.array([[3, 50, 20], [15, 12, 30], [40, 60, 45]]))
    styled = dc.show(counts, name="outcomes_by_relationship")
    html = styled.to_html()
    assert MARKER in html and "rounded to the nearest 5" in html
    dc.show(hazard_ratios(), name="cox", kind="model", df_resid=5)
    dc.show(km_frame(), name="km", kind="curve")
    assert dc.safe_count(7, name="cases_in_window") == MARKER
    assert dc.safe_count(1234, name="cases") == 1235
    assert dc.safe_rate(0.02, numerator=4, denominator=200, name="charge_rate") == MARKER
    path = dc.write_log()
    log = json.loads(path.read_text())
    assert log["profile"]["name"] == "publication"
    entries = {o["name"]: o for o in log["outputs"]}
    assert entries["outcomes_by_relationship"]["cells_suppressed"] == 4
    assert entries["outcomes_by_relationship"]["status"] == "suppressed"
    assert entries["cox"]["status"] == "withheld"
    assert entries["km"]["rows_dropped"] > 0
    assert all(o["rules"] for o in log["outputs"])
    appendix = dc.appendix()
    assert appendix.startswith("## Disclosure control") and "cox" in appendix


def test_figure_data_is_protected_once():
    dc = DisclosureControl(profile="publication")
    counts = wide_table(np.array([[3, 50, 20], [15, 12, 30]]))
    safe = dc.check_figure_data(counts, name="fig")
    assert safe[OUTCOMES[:3]].isna().to_numpy().sum() >= 2
    assert dc.check_figure_data(safe, name="fig") is safe


def test_scan_finds_small_counts_in_raw_html_but_not_in_protected_html():
    counts = wide_table(np.array([[3, 50, 20], [15, 12, 30], [40, 60, 45]]))
    raw = scan_for_disclosive_counts(counts.to_html())
    assert raw["value"].tolist() == [3]
    dc = DisclosureControl(profile="publication")
    assert scan_for_disclosive_counts(dc.show(counts, name="t").to_html()).empty
    assert scan_for_disclosive_counts(dc.show(counts, name="t", styled=False).to_html()).empty


def test_scan_checks_metrics_json():
    metrics = {"force": "durham", "n_cases": 1234, "groups": [{"n": 4, "rate": 0.1}],
               "charge_rate": 0.02, "seed": 1}
    found = scan_for_disclosive_counts(json.dumps(metrics))
    assert found[["column", "value"]].values.tolist() == [["n", 4]]


# -- the toolkit's own report tables ----------------------------------------------------------

@pytest.fixture(scope="module")
def small_forces():
    from soteria_research.data.synthetic import generate_cases

    return generate_cases(forces=["city_of_london", "durham", "cumbria"], seed=7)


def test_report_tables_of_a_tiny_force_show_no_small_count(small_forces):
    from soteria_research.analysis import attrition, competing_risks, pillars
    from soteria_research.analysis.timeline import time_to_outcome

    cases = small_forces[small_forces["force"] == "city_of_london"]
    dc = DisclosureControl(profile="publication")
    tables = {
        "funnel": attrition.funnel(cases),
        "outcome_mix": attrition.outcome_mix(cases, detail="group"),
        "outcome_codes": attrition.outcome_mix(cases, detail="code"),
        "cohort_rates": attrition.cohort_rates(cases),
        "withdrawal_timing": pillars.withdrawal_timing(cases),
    }
    for name, table in tables.items():
        shown = dc.show(table, name=name, styled=False)
        assert scan_for_disclosive_counts(shown).empty, name
        assert scan_for_disclosive_counts(dc.show(table, name=name).to_html()).empty, name
    curve = competing_risks.cumulative_incidence(time_to_outcome(cases))
    shown = dc.show(curve, name="cif", kind="curve", styled=False)
    assert (shown["n_at_risk"] >= 10).all()
    assert (shown.groupby("outcome")["n_events"].diff().dropna() >= 10).all()
    # the funnel's n_previous repeats n one row up: hidden exactly where n is
    funnel = dc.protect(tables["funnel"], name="funnel")
    assert (funnel.mask["n_previous"].to_numpy()[1:] == funnel.mask["n"].to_numpy()[:-1]).all()


def test_repeated_group_total_and_label_columns(small_forces):
    from soteria_research.analysis import attrition

    mix = attrition.outcome_mix(small_forces, by="force", detail="group")
    linked = protect_linked({"outcome_mix": mix}, profile="publication")
    forces = list(dict.fromkeys(mix["force"]))
    slices = [linked.slice("outcome_mix", f) for f in forces]
    hidden = np.vstack([s.mask["n"].to_numpy() for s in slices])
    # the label column beside outcome_group does not split the lines: force totals and
    # national outcome totals are both respected
    assert determined_cells(hidden, row_and_column_lines(hidden.shape)) == []
    for part in slices:  # n_total is one number per force: shown or hidden as one
        assert part.mask["n_total"].nunique() == 1
        assert (part.mask["share"] >= part.mask["n"]).all()


def test_a_table_whose_last_day_is_past_follow_up_is_still_read_as_cumulative():
    """A cohort not yet followed to day 730 has no estimate there (NaN). That NaN once made the
    events read as events *at* each day, so every day rested on its running total: a
    one-month Lancashire report printed 35.9% and 37.2% of withdrawals by days 180 and 365, a
    step of 5 withdrawals (140 -> 145)."""
    table = pd.DataFrame({"outcome": "victim_withdrawal", "time": [30, 90, 180, 365, 730],
                          "cif": [0.264, 0.331, 0.362, 0.375, np.nan],
                          "n_at_risk": [281, 226, 153, 73, 0],
                          "n_events": [102, 128, 140, 145, 145]})
    protected = protect_curve(table, profile="partner")
    assert protected.frame["time"].tolist() == [30, 90, 180]  # 145 - 140 = 5: not a step
    assert "'n_events' read as cumulative events up to each time" in protected.record.notes


def test_marked_steps_by_hand():
    """The figure stepped at 10 charges (day 260) and the table printed 15 by day 365."""
    from soteria_research.reporting.disclosure.curves import curve_steps, marked_steps

    events = np.array([0, 4, 6, 3, 2, 11, 0, 12])  # cumulative 0 4 10 13 15 26 26 38
    day_365 = np.array([False, False, False, False, True, False, False, False])
    assert curve_steps(events, 10).tolist() == [2, 5, 7]  # 10, 26, 38: 15 falls between
    # the trends print 15 by day 365: no step within 10 of it, and it is a step itself
    assert marked_steps(events, 10, marks=day_365, printed=day_365).tolist() == [4, 5, 7]
    # not printed elsewhere, only a table day: 15 is kept as the table's, 10 is dropped for it
    assert marked_steps(events, 10, marks=day_365).tolist() == [4, 5, 7]
    # rows from the cut on are not kept, but a printed value there still bounds the steps
    late = np.array([False] * 7 + [True])
    assert marked_steps(events, 10, marks=late, printed=late, cut=7).tolist() == [2, 5]  # 38 - 26


@settings(deadline=None)
@given(events=arrays(np.int64, st.integers(1, 40), elements=st.integers(0, 8)),
       marks=st.lists(st.booleans(), min_size=40, max_size=40),
       printed_at=st.one_of(st.none(), st.integers(0, 39)),
       cut=st.integers(0, 40))
def test_marked_steps_keep_every_pair_of_printed_values_apart(events, marks, printed_at, cut):
    """Whatever a table and another table print (one day's value, as the trends print day
    365), the figure's steps, the table's days and that value, in time order, are each at
    least the threshold of events from the last (the first from none), and nothing is kept
    from the cut on."""
    from soteria_research.reporting.disclosure.curves import marked_steps

    n = len(events)
    marks, printed = np.array(marks[:n]), np.zeros(n, dtype=bool)
    if printed_at is not None and printed_at < n:
        marks[printed_at] = printed[printed_at] = True
    kept = marked_steps(events, 10, marks=marks, printed=printed, cut=min(cut, n))
    assert np.all(kept < min(cut, n))
    cumulative = np.cumsum(events)
    shown = np.zeros(n, dtype=bool)
    shown[kept] = True
    # a printed value is published whatever the curve shows, unless it is itself small (the
    # trends hide a count under the threshold)
    published = shown | (printed & (cumulative >= 10))
    values = cumulative[published]
    assert np.all(np.diff(np.append(0, values)) >= 10), (events, marks, printed, kept)


def test_events_column_is_read_per_time_or_cumulative_from_the_curve():
    # one event at each of 40 distinct times (no ties): the curve moves at every row
    per_time = pd.DataFrame({"time": np.arange(1, 41), "n_at_risk": np.arange(100, 60, -1),
                             "n_events": 1, "survival": np.linspace(0.99, 0.6, 40)})
    assert protect_curve(per_time, profile="partner").frame["time"].tolist() == [10, 20, 30, 40]
    # one event in all: a cumulative count stuck at 1, and a curve that never moves again
    stuck = per_time.assign(survival=0.99)
    assert protect_curve(stuck, profile="partner").frame["time"].tolist() == []


def test_minimum_and_maximum_values_are_single_records_and_hidden():
    caseload = pd.DataFrame({"caseload": ["all", "open"], "officers": [297, 297],
                             "cases": [29613, 4309], "median": [88.0, 12.0], "max": [357, 62]})
    protected = protect(caseload, by=["caseload"], counts=["officers", "cases"],
                        profile="partner")
    assert protected.mask["max"].all() and not protected.mask["median"].any()


def test_a_huge_interval_end_is_shown_not_cast_to_a_count():
    """A hazard ratio under separation can have an upper end of 1e21: a float that large is a
    whole number, but no count; the table is shown (it once stopped a report whose shares
    were all empty)."""
    from soteria_research.reporting.disclosure.records import OutputRecord, ProtectedTable

    frame = pd.DataFrame({"measure": ["share", "days", "ratio"],
                          "ci_high": [np.nan, 252.0, 1.431628e21]})
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    shown = ProtectedTable(frame, mask, OutputRecord("t", "rates", "internal")).display()
    assert shown["ci_high"].tolist()[1:] == [252.0, 1.431628e21]
