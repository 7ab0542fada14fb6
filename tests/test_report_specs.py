"""A force report's own tables declared for the run-level engine (``reporting/report_specs.py``):
their counts are the linked tables' where they count the same cases, what a reader knows of
them by definition (structural zeros, nested windows, suspects named once) the engine knows
too, a table that disagrees is refused, and the run is protected against the attacker."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from test_linked_specs import FORCES, _cell, _taught

from soteria_research import DisclosureError
from soteria_research.analysis import pillars
from soteria_research.reporting.disclosure import RunProtection, attack, disclosures, get_profile
from soteria_research.reporting.linked_specs import linked_frames
from soteria_research.reporting.report_specs import OWN_TABLES, own_frames, register_run


@pytest.fixture(scope="module")
def frames(cases):
    return {"force": linked_frames(cases, "force"), "national": linked_frames(cases, None),
            "own": own_frames(cases)}


@pytest.fixture(scope="module")
def cases():
    from soteria_research.data.synthetic import generate_cases

    return generate_cases(forces=FORCES, scale=0.3, seed=1)


def _solved(cases, frames, profile="partner", **options):
    run = RunProtection(profile)
    reports = register_run(run, cases, frames=copy.copy(frames))
    return run.solve(**options), reports


def test_own_tables_are_the_notebooks_tables(cases, frames):
    # the tables registered are those the force notebook prints, computed on one force
    durham = cases[cases["force"].eq("durham")]
    own = {name: frame[frame["force"].eq("durham")].drop(columns="force").reset_index(drop=True)
           for name, frame in frames["own"].items()}
    mine = pillars.withdrawal_stage(durham).round({"median_days": 0})
    stages = own["withdrawal_stage"].set_index("stage")
    assert stages.loc[mine["stage"], "n"].tolist() == mine["n"].tolist()
    assert stages.loc[["charged", "convicted"], "n"].tolist() == [0, 0]  # listed, never absent
    assert (stages["n_withdrawals"] == durham["outcome_group"].eq("victim_withdrawal").sum()).all()
    timing = pillars.withdrawal_timing(durham)
    assert own["withdrawal_timing"]["n"].tolist() == timing["n"].tolist()
    assert own["repeat_suspects"]["n"].tolist() == pillars.repeat_suspects(durham)["n"].tolist()
    assert own["officer_caseload"]["cases"].tolist() == \
        pillars.officer_caseload(durham)["cases"].tolist()


def test_a_force_with_no_withdrawals_registers_the_zeros_its_report_prints(cases):
    """A force with no withdrawal in the period: its report prints the withdrawal-stage table
    with a row of 0 for each stage, so the run registers those rows (the table grouped by
    force had none for it, and the run protected a table the report never printed)."""
    none = cases[cases["force"].eq("durham")
                 & ~cases["outcome_group"].eq("victim_withdrawal")].reset_index(drop=True)
    printed = pillars.withdrawal_stage(none).round({"median_days": 0})
    assert len(printed) and printed["n"].eq(0).all()
    registered = own_frames(none)["withdrawal_stage"]
    assert registered["force"].eq("durham").all()
    stages = registered.set_index("stage")
    assert stages.loc[printed["stage"], "n"].tolist() == printed["n"].tolist()
    assert stages["n_withdrawals"].eq(0).all()


def test_own_tables_link_to_the_linked_tables(cases, frames):
    run, _ = _solved(cases, frames)
    durham = cases[cases["force"].eq("durham")]
    # the withdrawal-stage table's "Out of" is the outcome mix's withdrawals, and its stages
    # add up to them
    withdrawn = _cell(run, "force=durham & outcome_group=victim_withdrawal")
    assert {"durham/outcome_mix", "durham/withdrawal_stage"} <= set(run.system.sources[withdrawn])
    assert run.system.values[withdrawn] == durham["outcome_group"].eq("victim_withdrawal").sum()
    stages = [members for k, (members, total) in enumerate(run.system.relations)
              if total == withdrawn and run.system.over(k) == {"furthest_stage"}]
    assert len(stages) == 1 and len(stages[0]) == 6
    # the caseload table's cases are the crimes recorded and the outcome mix's open cases
    assert "durham/officer_caseload" in run.system.sources[_cell(run, "force=durham")]
    assert "durham/officer_caseload" in run.system.sources[
        _cell(run, "force=durham & outcome_group=open")]
    # the device requests: the request share's cases are the headline's cases followed for a
    # year, the hazard ratio's the crimes recorded and (so in this data) its withdrawals the
    # outcome mix's; the devices returned are a part of those requested
    followed = _cell(run, "followed=year & force=durham")
    assert {"durham/headline_charged_within", "durham/device_requests"} <= set(
        run.system.sources[followed])
    assert "durham/device_requests" in run.system.sources[_cell(run, "force=durham")]
    episodes = _cell(run, "episodes=victim_withdrawal & force=durham")
    assert any(list(members) == [episodes] and total == withdrawn
               for members, total in run.system.relations)
    requested = _cell(run, "device_request=made & force=durham")
    assert any(total == requested and run.system.over(k) == {"device"}
               for k, (members, total) in enumerate(run.system.relations))
    # the two allegation groups' charges within the year are the headline's (in this data)
    both = _cell(run, "allegations_of=year & force=durham & outcome_within_year=charge")
    assert any(list(members) == [both] and total == _cell(
        run, "followed=year & force=durham & within_year=charge")
        for members, total in run.system.relations)
    # a suspect named once is that suspect's one case: the two differences are one number
    once = _cell(run, "force=durham & repeat=no & unit=suspect")
    cases_once = _cell(run, "force=durham & repeat=no & suspect_named=yes")
    assert any(list(members) == [once] and total == cases_once
               for members, total in run.system.relations)
    named = durham["suspect_id"].dropna().value_counts()
    assert run.system.values[once] == (named == 1).sum()


def test_what_is_zero_by_definition_is_printed_and_known(cases, frames):
    run, _ = _solved(cases, frames, "publication", leave_to_rounding=("force",))
    for force in FORCES:
        table = run.table(force, "withdrawal_stage")
        rows = table.frame["stage"].isin(["charged", "convicted"]).to_numpy()
        assert (table.frame.loc[rows, "n"] == 0).all()
        assert not table.mask["n"].to_numpy()[rows].any()
    # and so is their national sum (known to any reader: never an exact zero given away)
    national = _cell(run, "furthest_stage=charged & outcome_group=victim_withdrawal")
    assert run.published_view()["cells"][national]["exact"]


def test_nested_windows_out_of_order_are_refused(cases, frames):
    edited = dict(frames, own=dict(frames["own"]))
    timing = edited["own"]["withdrawal_timing"].copy()
    rows = timing["force"].eq("durham") & timing["within_days"].eq(7)
    later = timing["force"].eq("durham") & timing["within_days"].eq(30)
    timing.loc[rows, "n"] = int(timing.loc[later, "n"].iloc[0]) + 1
    edited["own"]["withdrawal_timing"] = timing
    with pytest.raises(DisclosureError, match="nested rows") as error:
        _solved(cases, edited)
    assert "durham/withdrawal_timing" in str(error.value)


def test_an_own_table_that_disagrees_with_a_linked_one_is_refused(cases, frames):
    edited = dict(frames, own=dict(frames["own"]))
    stage = edited["own"]["withdrawal_stage"].copy()
    stage.loc[stage["force"].eq("durham"), "n_withdrawals"] += 1
    edited["own"]["withdrawal_stage"] = stage
    with pytest.raises(DisclosureError, match="one quantity must be one number") as error:
        _solved(cases, edited)
    assert "durham/withdrawal_stage" in str(error.value)
    assert "durham/outcome_mix" in str(error.value)


def _taught_own(view: dict) -> dict:
    """What a reader knows of the own tables by definition, written here apart from the
    engine: each window of withdrawals is at most the next (7, 30, 90 days, the horizon);
    suspects named once are their cases; devices returned are some of those requested; the
    cases with a named suspect are the funnel's "suspect identified" stage, the hazard
    ratio's withdrawals the outcome mix's, and the two allegation groups' charges (and
    evidential difficulties) within the year the headline's (all so in the synthetic
    world)."""
    view, _ = _taught(view)
    view = copy.deepcopy(view)
    index = {frozenset(map(tuple, c["identity"])): i for i, c in enumerate(view["cells"])}

    def latent(name):
        view["cells"].append({"identity": [["taught", name]], "published": None,
                              "exact": False, "shown": False})
        return len(view["cells"]) - 1

    for quantity, cell in list(index.items()):
        found = dict(quantity)
        force = frozenset({("force", found["force"])} if "force" in found else ())
        if found.get("followed") == "730_days" and "not" not in found:
            days = [7, 30, 90, 730]
            at = found.get("withdrawn_within")
            if at is not None and int(at) in days[:-1]:
                wider = index.get(quantity - {("withdrawn_within", at)}
                                  | {("withdrawn_within", str(days[days.index(int(at)) + 1]))})
                if wider is not None:  # this window + the days after it = the wider one
                    view["relations"].append([[cell, latent(f"{cell}<{wider}")], wider])
        if found.get("unit") == "suspect" and len(found) == 1 + bool(force):
            repeat = index.get(quantity | {("repeat", "yes")})
            cases_ = index.get(force | {("suspect_named", "yes")})
            cases_repeat = index.get(force | {("suspect_named", "yes"), ("repeat", "yes")})
            if None not in (repeat, cases_, cases_repeat):
                once = latent(f"once {cell}")
                view["relations"] += [[[repeat, once], cell], [[cases_repeat, once], cases_]]
        if quantity == force | {("episodes", "victim_withdrawal")}:
            withdrawn = index.get(force | {("outcome_group", "victim_withdrawal")})
            if withdrawn is not None:
                view["relations"].append([[cell], withdrawn])
        if quantity == force | {("device_request", "made"), ("device", "returned")}:
            requested = index.get(force | {("device_request", "made")})
            if requested is not None:
                view["relations"].append([[cell, latent(f"held {cell}")], requested])
        for outcome in ("charge", "evidential_difficulty"):
            if quantity == force | {("followed", "year"), ("within_year", outcome)}:
                groups = [index.get(force | {("allegations_of", "year"), ("allegation", a),
                                             ("outcome_within_year", outcome)})
                          for a in ("earlier", "other")]
                if None not in groups:
                    view["relations"].append([groups, cell])
        if quantity == force | {("suspect_named", "yes")}:
            stage = index.get(force | {("stage", "suspect_identified")})
            if stage is not None:
                view["relations"].append([[cell], stage])
    return view


def _structural(name: str, frame) -> np.ndarray:
    """Rows whose count is 0 by definition: a withdrawal charged or convicted, an allegation
    with a named suspect that ended "no suspect identified"."""
    if name == "withdrawal_stage":
        return frame["stage"].isin(["charged", "convicted"]).to_numpy()
    if name == "earlier_allegations":
        return frame["outcome_group"].eq("no_suspect").to_numpy()
    return np.zeros(len(frame), dtype=bool)


@pytest.mark.parametrize("profile", ["partner", "publication"])
def test_the_run_protects_the_own_tables_against_the_attacker(cases, frames, profile):
    run, reports = _solved(cases, frames, profile, leave_to_rounding=("force",))
    found = attack(_taught_own(run.published_view()))
    zeros = get_profile(profile).zeros_disclosive
    assert disclosures(found, zeros=zeros).empty
    small = get_profile(profile).is_disclosive
    for force in FORCES:
        for name in OWN_TABLES:
            if name not in reports[force]:
                continue
            frame, protected = reports[force][name], run.table(force, name)
            assert len(protected.frame) == len(frame)  # every row published, in order
            for column in protected.counts:
                values = frame[column].to_numpy(dtype=float)
                structural = _structural(name, frame) & (column == "n")
                must = small(values) & ~structural
                assert protected.mask[column].to_numpy()[must].all(), (force, name, column)
    # one officer in charge of all City of London's cases: the count of officers is hidden,
    # and with it what it would tell (the one officer's caseload: the mean, median and max)
    caseload = run.table("city_of_london", "officer_caseload")
    assert caseload.mask[["officers", "mean", "median", "max"]].to_numpy().all()


@pytest.mark.parametrize(("declared", "found_count"), [
    # not told that a suspect named once is that suspect's one case, the engine leaves the two
    # differences apart; a reader who knows it works out City of London's repeat suspects (and
    # two of its funnel's small steps)
    ("unit", "force=city_of_london & repeat=yes & unit=suspect"),
    # not told that the allegation groups' charges within the year are the headline's here,
    # the engine hides another cell of the table; a reader who adds them up has City of
    # London's charges within a year (19 counts on this run)
    ("allegations_of", "followed=year & force=city_of_london & within_year=charge"),
])
def test_without_each_equality_the_run_gives_small_counts_back(cases, frames, monkeypatch,
                                                               declared, found_count):
    declare = RunProtection.declare_equal
    monkeypatch.setattr(RunProtection, "declare_equal", lambda self, one, other: None
                        if declared in one else declare(self, one, other))
    run, _ = _solved(cases, frames, "partner", leave_to_rounding=("force",))
    found = disclosures(attack(_taught_own(run.published_view())), zeros=False)
    assert found_count in set(found["identity"]), found["identity"].tolist()


@pytest.mark.parametrize("part", ["one force", "one month", "city of london alone"])
def test_a_force_analysts_file_registers_and_is_protected(cases, part):
    # a force's own export (one force, any period): every table registers, the run solves,
    # and the attacker finds no small count under either profile
    pick = {"one force": cases["force"].eq("dorset"),
            "one month": cases["recorded_date"].between("2023-03-01", "2023-03-31"),
            "city of london alone": cases["force"].eq("city_of_london")}[part]
    mine = cases[pick].reset_index(drop=True)
    for profile in ("partner", "publication"):
        run = RunProtection(profile)
        reports = register_run(run, mine)
        run.solve(leave_to_rounding=("force",))
        assert set(reports) == {*mine["force"].unique(), "national"}
        found = attack(_taught_own(run.published_view()))
        assert disclosures(found, zeros=get_profile(profile).zeros_disclosive).empty, profile


def test_a_stalled_optimisation_still_protects_every_small_count(cases, frames):
    # the optimisation stopped after one round (as a run too large for its rounds is): the
    # fallback hides outwards from each count still worked out until the attacker finds
    # none; it had hidden only the cells sharing a relation with it, and 9 of City of
    # London's counts followed through a chain of tables
    run, _ = _solved(cases, frames, "partner", max_rounds=1)
    assert sum("did not settle" in note for note in run.notes) == 1
    found = attack(_taught_own(run.published_view()))
    assert disclosures(found, zeros=False).empty
