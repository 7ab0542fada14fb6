"""The run-level protection in a report run (``reporting/run_pattern.py``): the linked file
every report reads carries the run's pattern and published values, a force report hides in its
own tables every cell the run hides, and a table computed otherwise than the run registered it
is refused. That the pattern itself protects is ``test_report_specs.py``'s (the attacker
taught the definitions); that the published files do is ``test_run_attacker.py``'s."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from test_linked_specs import FORCES

from soteria_research import DisclosureError
from soteria_research.analysis import pillars
from soteria_research.reporting.disclosure import DisclosureControl, get_profile
from soteria_research.reporting.disclosure.legacy import LinkedProtection
from soteria_research.reporting.disclosure.linked_shares import _table
from soteria_research.reporting.national import _protect_linked
from soteria_research.reporting.report_common import LINKED_FILE
from soteria_research.reporting.run_pattern import _from_run, hide_own, load_own, solve_run


@pytest.fixture(scope="module")
def cases():
    from soteria_research.data.synthetic import generate_cases

    return generate_cases(forces=FORCES, scale=0.3, seed=1)


@pytest.fixture(scope="module", params=["partner", "publication"])
def prepared(request, cases, tmp_path_factory):
    """The national preparation's linked protection, and the run solved again apart."""
    profile = request.param
    folder = tmp_path_factory.mktemp(f"pattern-{profile}")
    _protect_linked(cases, SimpleNamespace(disclosure=profile, extract_date=None), folder,
                    None, pd.DataFrame())
    return profile, folder, LinkedProtection.load(folder / LINKED_FILE), solve_run(cases, profile)


def test_the_linked_file_is_the_run_levels_pattern(prepared):
    profile, _, linked, run = prepared
    declared = [n for n in linked.names if not n.startswith("force_effects_")]
    assert {"headline", "outcome_mix", "funnel", "cohort_trends", "timeliness"} <= set(declared)
    hidden_by_run = extra = 0
    for name in declared:
        frame, mask = _table(linked, name)
        values, hidden, mapped = _from_run(run, name, frame)
        # every cell the run hides is hidden in the file, its value gone
        assert not (hidden & ~mask).to_numpy().any(), name
        assert frame.where(mask).isna().all().all(), name
        # every cell it prints and the file prints is the run's published number
        both = (mapped & ~mask & ~hidden).to_numpy()
        mine = pd.to_numeric(frame.stack(future_stack=True), errors="coerce").to_numpy()
        theirs = pd.to_numeric(values.stack(future_stack=True), errors="coerce").to_numpy()
        shown = both.ravel() & np.isfinite(theirs)
        assert np.allclose(mine[shown], theirs[shown]), name
        hidden_by_run += int(hidden.to_numpy().sum())
        extra += int((mask & ~hidden & mapped).to_numpy().sum())
    assert hidden_by_run > 0
    # the hand links hide a few more (the parts of a hidden total where all are printed...)
    assert extra <= hidden_by_run


def test_the_run_is_solved_the_same_twice(prepared, cases):
    profile, _, _, run = prepared
    again = solve_run(cases, profile)
    assert (run.suppression.hidden == again.suppression.hidden).all()


def test_each_force_saves_its_own_tables_pattern_and_no_hidden_value(prepared):
    profile, folder, _, run = prepared
    for force in FORCES:
        pattern = load_own(folder, force)
        assert pattern["profile"] == profile
        assert set(pattern["tables"]) >= {"withdrawal_stage", "repeat_suspects",
                                          "officer_caseload"}
        for name, entry in pattern["tables"].items():
            mask = np.array(entry["mask"], dtype=bool)
            assert (mask == run.table(force, name).mask.to_numpy()).all(), (force, name)
            values = np.array(entry["rows"], dtype=object)
            assert all(v is None for v in values[mask]), (force, name)
    assert load_own(folder, "durham_and_elsewhere") is None


def _report_tables(force_cases):
    """Each own table as the force notebook computes it (``force_deep_dive.ipynb``)."""
    return {
        "withdrawal_timing": pillars.withdrawal_timing(force_cases),
        "withdrawal_stage": pillars.withdrawal_stage(force_cases).round({"median_days": 0}),
        "repeat_suspects": pillars.repeat_suspects(force_cases),
        "earlier_allegations": pillars.earlier_allegation_outcomes(force_cases),
        "device_requests": pillars.device_requests(force_cases),
        "officer_caseload": pillars.officer_caseload(force_cases).round(
            {"mean": 0, "median": 0, "p90": 0}),
    }


def test_a_report_hides_in_its_own_tables_every_cell_the_run_hides(prepared, cases):
    profile, folder, _, _ = prepared
    force = "city_of_london"
    pattern = load_own(folder, force)
    control = DisclosureControl(profile=profile)
    hidden_here = 0
    for name, frame in _report_tables(cases[cases["force"].eq(force)]).items():
        protected = control.protect(frame, name=name, kind="rates",
                                    **({"by": ["caseload"], "counts": ["officers", "cases"]}
                                       if name == "officer_caseload" else {}))
        before = protected.mask.to_numpy().sum()
        added = hide_own(protected, name, pattern, get_profile(profile))
        assert protected.mask.to_numpy().sum() == before + added
        entry = pattern["tables"][name]
        theirs = pd.DataFrame(entry["mask"], columns=entry["columns"])
        out = protected.frame
        for i in range(len(out)):
            for column in out.columns:
                run_column = (f"{out.at[i, 'measure']}__{column}"
                              if name == "device_requests" else column)
                if run_column not in theirs.columns:
                    continue
                keys = [k for k in entry["keys"]]
                j = 0 if not keys else next(
                    k for k, row in enumerate(entry["rows"])
                    if all(str(row[entry["columns"].index(c)]) == str(out.at[i, c])
                           for c in keys))
                if theirs.at[j, run_column]:
                    assert protected.mask.at[i, column] and pd.isna(out.at[i, column]), \
                        (name, i, column)
                    hidden_here += 1
        if added:  # counted in disclosure.json; why, except at publication
            notes = " ".join(protected.record.notes)
            assert f"{added} cell(s) hidden where the run-level protection hides them" in notes
            assert ("(the run-level protection" in notes) == (profile != "publication")
    assert hidden_here > 5  # City of London's small counts, at the least


def test_a_report_table_other_than_the_runs_is_refused(prepared, cases):
    profile, folder, _, _ = prepared
    pattern = load_own(folder, "durham")
    durham = cases[cases["force"].eq("durham")]
    frame = pillars.officer_caseload(durham)
    frame.loc[frame["caseload"].eq("all"), "cases"] += 50  # counted some other way
    protected = DisclosureControl(profile="partner").protect(
        frame, name="officer_caseload", by=["caseload"], counts=["officers", "cases"])
    with pytest.raises(DisclosureError, match="officer_caseload.*cases"):
        hide_own(protected, "officer_caseload", pattern, get_profile(profile))
    extra = pd.concat([pillars.withdrawal_timing(durham).head(1).assign(within_days=45),
                       pillars.withdrawal_timing(durham)], ignore_index=True)
    protected = DisclosureControl(profile="partner").protect(extra, name="withdrawal_timing",
                                                             kind="rates")
    with pytest.raises(DisclosureError, match="withdrawal_timing.*not in the table the run"):
        hide_own(protected, "withdrawal_timing", pattern, get_profile(profile))


def test_a_hazard_ratio_is_hidden_wherever_the_run_hides_its_counts(prepared, cases):
    """The run registers the device hazard ratio's counts, not the ratio (a model per force:
    ``report_specs.UNFITTED``); a report hides the ratio with them."""
    profile, folder, _, _ = prepared
    pattern = load_own(folder, "durham")
    entry = pattern["tables"]["device_requests"]
    assert "withdrawal_hazard_ratio__estimate" not in entry["columns"]
    frame = pillars.device_requests(cases[cases["force"].eq("durham")])
    ratio = frame["measure"].eq("withdrawal_hazard_ratio").to_numpy()
    assert np.isfinite(frame.loc[ratio, "estimate"]).all()  # a ratio to hide
    column = entry["columns"].index("withdrawal_hazard_ratio__n_events")
    entry["mask"] = [[j == column or hidden for j, hidden in enumerate(row)]
                     for row in entry["mask"]]  # as if the run hid its withdrawals
    protected = DisclosureControl(profile=profile).protect(frame, name="device_requests",
                                                           kind="rates")
    assert not protected.mask.loc[ratio, ["n_events", "estimate"]].to_numpy().any()
    hide_own(protected, "device_requests", pattern, get_profile(profile))
    for name in ("n_events", "estimate", "ci_low", "ci_high"):
        assert protected.mask.loc[ratio, name].all(), name
        assert protected.frame.loc[ratio, name].isna().all(), name
    # the other measures keep what the run shows
    assert not protected.mask.loc[~ratio, "estimate"].all()


def test_the_national_overview_hides_what_the_run_hides_in_its_national_figures(prepared,
                                                                                 cases):
    """The overview protects its national figures alone, taking them as published; the run
    may hide one instead of a second force's count in its national line (a real run gave a
    force's 3 withdrawals of victims aged 50 and over as the national figure less the other
    forces'), so the overview hides it too."""
    from soteria_research.analysis.demographics import outcome_shares
    from soteria_research.reporting.run_pattern import hide_national
    from soteria_research.reporting.sections_breakdowns import demographic_options

    profile, folder, _, run = prepared
    pattern = load_own(folder, "national")
    assert {"headline_recorded", "funnel", "demographics_victim_age_band"} <= set(
        pattern["tables"])
    frame = outcome_shares(cases, "victim_age_band", within_days=365)
    protected = DisclosureControl(profile=profile).protect(
        frame, name="demographics_victim_age_band_national", **demographic_options())
    hide_national(protected, "demographics_victim_age_band_national", pattern)
    theirs = run.table("national", "demographics_victim_age_band")
    assert theirs.mask[["n_cohort", "n_charge"]].to_numpy().any()  # never a vacuous check
    assert protected.frame["category"].tolist() == theirs.frame["category"].tolist()
    for column in ("n_cohort", "n_charge", "n_victim_withdrawal", "charge_share"):
        assert (protected.mask[column].to_numpy()
                >= theirs.mask[column].to_numpy()).all(), column
    # a table the run does not declare is left as it is
    other = DisclosureControl(profile=profile).protect(frame, name="victims_national",
                                                       **demographic_options())
    assert hide_national(other, "victims_national", pattern) == 0


def test_a_month_of_one_force_with_no_year_followed_is_protected(cases, tmp_path):
    """A force analyst's one-month report: no case is followed for a year, so the trend
    table has no year (its key column empty); the run registers it and the national
    preparation protects the rest (a float key column had stopped the run)."""
    from soteria_research.reporting.linked_specs import linked_frames

    dorset = cases[cases["force"].eq("dorset")]
    last = dorset["recorded_date"].max()
    month = dorset[dorset["recorded_date"] > last - pd.Timedelta(days=30)]
    assert linked_frames(month, "force")["trend_years"].empty
    run = solve_run(month, "partner")
    assert run.table("dorset", "trend_years").frame.empty
    assert not run.table("dorset", "headline_recorded").mask["count"].any()
    _protect_linked(month, SimpleNamespace(disclosure="partner", extract_date=None), tmp_path,
                    None, pd.DataFrame())
    assert set(load_own(tmp_path, "dorset")["tables"]) >= {"officer_caseload"}


def test_the_tables_the_preparation_computed_are_the_run_levels(cases):
    """The run takes the linked tables by force that the national preparation computed for
    the reports' engine (``frames_from_linked``) rather than computing them again: every
    table is the one ``linked_frames`` computes, row for row."""
    from soteria_research.reporting.linked_specs import frames_from_linked, linked_frames
    from soteria_research.reporting.national import protect_linked_tables

    tables, _ = protect_linked_tables(cases, "partner")
    taken, computed = frames_from_linked(tables), linked_frames(cases, "force")
    assert sorted(taken) == sorted(computed)
    for name, frame in computed.items():
        pd.testing.assert_frame_equal(taken[name].reset_index(drop=True)[frame.columns],
                                      frame.reset_index(drop=True), check_dtype=False,
                                      obj=name)
