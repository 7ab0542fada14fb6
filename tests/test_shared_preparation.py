"""The run's national preparation in bounded memory (batches, per-force files, no identifiers,
one model at a time) gives the artefacts computed directly on the whole validated file."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from soteria_research import read_cases
from soteria_research.analysis import comparison
from soteria_research.data import chunked
from soteria_research.reporting import national
from soteria_research.reporting.national import ReportContext, prepare_national
from soteria_research.reporting.parameters import NATIONAL, ReportParameters


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    from soteria_research.data.synthetic import generate_cases

    folder = tmp_path_factory.mktemp("shared")
    path = folder / "cases.parquet"
    generate_cases(forces=["durham", "cumbria", "city_of_london"], scale=0.08,
                   seed=3).to_parquet(path, index=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(chunked, "CHUNK_ROWS", 400)  # several batches, forces spread over them
        base = ReportParameters.validate(force=NATIONAL, data=str(path))
        artefacts = prepare_national(base, folder / "shared")
    whole, _ = read_cases(path)
    return base, artefacts, whole


def test_artefacts_equal_those_of_the_whole_file(prepared):
    _, artefacts, whole = prepared
    folder = artefacts.folder
    assert len(whole) > 3 * 400
    headline = comparison.headline_figures(whole, within_days=national.WITHIN_DAYS)
    headline.insert(0, "force", NATIONAL)
    by_force = comparison.headline_figures(whole, by="force", within_days=national.WITHIN_DAYS)
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "headline.parquet"),
                                  pd.concat([headline, by_force], ignore_index=True))
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "profile.parquet"),
                                  comparison.force_profile(whole))
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "peers.parquet"),
                                  comparison.most_similar(whole, k=national.N_PEERS))
    effects = pd.read_parquet(folder / "effects.parquet")
    for outcome in national.EFFECT_OUTCOMES:
        direct = comparison.force_effects(whole, outcome=outcome,
                                          within_days=national.WITHIN_DAYS)
        mine = effects[effects["outcome"].eq(outcome)].drop(columns=["outcome", "national_rate"])
        pd.testing.assert_frame_equal(mine.reset_index(drop=True), direct.reset_index(drop=True),
                                      check_exact=False, rtol=1e-9)
    sizes = whole["force"].value_counts()
    assert artefacts.force_sizes == {k: int(v) for k, v in sizes.items()}
    validation = json.loads((folder / "validation.json").read_text())
    assert validation["n_input"] == validation["n_valid"] + validation["n_quarantined"]
    assert validation["n_valid"] == len(whole)


def _as_saved(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame after a Parquet round trip (missing text reads back as None), as the single
    cases file of earlier runs held it, without the identifiers no report reads (a report's
    cases leave them out: ``shared_cases.UNREAD_BY_REPORTS``)."""
    from soteria_research.reporting.shared_cases import UNREAD_BY_REPORTS

    saved = pd.read_parquet(io.BytesIO(frame.to_parquet(index=False)))
    return saved.drop(columns=list(UNREAD_BY_REPORTS))


def test_a_force_report_reads_only_its_own_cases_as_validated(prepared):
    base, artefacts, whole = prepared
    for force in ("durham", "city_of_london"):
        report = ReportContext(base.replace(force=force), artefacts.folder)
        expected = _as_saved(whole[whole["force"].eq(force)].reset_index(drop=True))
        pd.testing.assert_frame_equal(report.cases, expected)
    assert sorted(p.name for p in (artefacts.folder / "cases").iterdir()) == [
        "city_of_london.parquet", "cumbria.parquet", "durham.parquet"]


def test_the_national_report_reads_every_case(prepared):
    base, artefacts, whole = prepared
    report = ReportContext(base, artefacts.folder)
    # Forces in alphabetical order, each force's cases in file order.
    expected = _as_saved(whole.sort_values("force", kind="stable").reset_index(drop=True))
    pd.testing.assert_frame_equal(report.cases, expected)


def test_a_period_runs_data_quality_counts_each_forces_accepted_rows_in_the_whole_file(
        prepared, tmp_path):
    """"Accepted for Durham" is the force's accepted rows of the file, whatever their period;
    its cases in the report's period are the next row. Counted after the period was kept, it
    printed the period's cases twice (50 of Cumbria's 3,275 rows, on a run of a month)."""
    base, _, whole = prepared
    month = base.replace(period_start="2022-06-01", period_end="2022-06-30")
    artefacts = prepare_national(month, tmp_path / "month")
    accepted = whole["force"].value_counts()
    in_month = whole["recorded_date"].between("2022-06-01", "2022-06-30")
    assert in_month.sum() < 0.1 * len(whole)
    report = ReportContext(month.replace(force="durham"), artefacts.folder)
    rows = dict(report.data_quality().itertuples(index=False))
    assert rows["Accepted for Durham"] == accepted["durham"]
    assert rows["In this report's period for Durham"] == int(
        (in_month & whole["force"].eq("durham")).sum())
    assert rows["Accepted (all forces)"] == len(whole)


def test_the_national_overview_reads_the_tables_the_run_protected(prepared, monkeypatch):
    """The national tables the run-level protection registers are computed once, in the
    preparation, and are the tables of the whole file: the overview reads them (computing
    them again took about 20 s of a 43-force run) and prints what the run protected."""
    from soteria_research.reporting import computed_tables

    base, artefacts, whole = prepared
    saved = sorted(p.stem for p in (artefacts.folder / computed_tables.TABLES_DIR).iterdir())
    assert saved == sorted(computed_tables.NATIONAL_NAMES)
    report = ReportContext(base, artefacts.folder)

    def computed_again(*args, **kwargs):
        raise AssertionError("the overview computed a table the preparation saved")

    direct = {name: computed_tables.compute(name, whole) for name in saved}
    monkeypatch.setattr(computed_tables, "compute", computed_again)
    for name in saved:
        table = report.table(name)
        pd.testing.assert_frame_equal(table, direct[name], check_exact=False, rtol=1e-12,
                                      check_dtype=False, check_categorical=False)
        assert table.attrs == direct[name].attrs, name
        table.iloc[:, 0] = None  # a copy: a section's edit does not reach the next reader
        pd.testing.assert_frame_equal(report.table(name), table.__class__(direct[name]),
                                      check_exact=False, rtol=1e-12, check_dtype=False,
                                      check_categorical=False)


def test_the_run_registers_the_national_tables_it_would_compute(prepared):
    """The run-level protection takes the nation's linked tables (the trend table's years
    among them) from the national tables the preparation computed once: each equals the
    table computed from the cases."""
    from soteria_research.reporting import computed_tables
    from soteria_research.reporting.linked_specs import linked_frames

    _, _, whole = prepared
    taken = linked_frames(whole, None, computed=computed_tables.national_tables(whole))
    direct = linked_frames(whole, None)
    assert sorted(taken) == sorted(direct)
    for name, frame in direct.items():
        pd.testing.assert_frame_equal(taken[name], frame, obj=name)


def test_a_force_report_reads_its_own_tables_the_run_protected(prepared, monkeypatch):
    """Each force's own tables (withdrawals, repeat suspects, devices, caseload) are
    computed once, by the run-level protection, and saved: the force's report reads them
    rather than computing them again, and they are the tables ``pillars`` gives on the
    force's cases alone, as the notebook showed them. The device table's hazard ratio (a
    model fit per force) is fitted by the report, on the saved counts."""
    from soteria_research.analysis import pillars
    from soteria_research.reporting import computed_tables

    base, artefacts, whole = prepared
    for force in ("durham", "city_of_london"):
        cases = whole[whole["force"].eq(force)].reset_index(drop=True)
        direct = {"withdrawal_timing": pillars.withdrawal_timing(cases),
                  "withdrawal_stage": pillars.withdrawal_stage(cases).round({"median_days": 0}),
                  "repeat_suspects": pillars.repeat_suspects(cases),
                  "earlier_allegations": pillars.earlier_allegation_outcomes(cases),
                  "device_requests": pillars.device_requests(cases),
                  "officer_caseload": pillars.officer_caseload(cases).round(
                      {"mean": 0, "median": 0, "p90": 0})}
        saved = artefacts.folder / computed_tables.OWN_DIR / force
        assert sorted(p.stem for p in saved.iterdir()) == sorted(computed_tables.OWN_NAMES)
        report = ReportContext(base.replace(force=force), artefacts.folder)
        with monkeypatch.context() as patch:
            for name in ("withdrawal_timing", "withdrawal_stage", "repeat_suspects",
                         "earlier_allegation_outcomes", "device_requests", "officer_caseload"):
                patch.setattr(pillars, name, lambda *a, name=name, **k: pytest.fail(
                    f"the report computed {name} again"))
            tables = {name: report.table(name) for name in direct}
        fitted = direct["device_requests"].set_index("measure").loc[
            "withdrawal_hazard_ratio", "estimate"]
        assert force == "city_of_london" or pd.notna(fitted)  # a ratio that is fitted
        for name, table in tables.items():
            pd.testing.assert_frame_equal(table.reset_index(drop=True),
                                          direct[name].reset_index(drop=True),
                                          check_exact=False, rtol=1e-12, obj=f"{force} {name}")


def test_a_run_that_does_not_suppress_saves_no_national_tables(prepared, tmp_path):
    """Under ``internal`` the run registers nothing, so the preparation computes no
    national tables and the overview computes its own (an earlier run's are removed)."""
    from soteria_research.reporting import computed_tables

    base, artefacts, whole = prepared
    folder = tmp_path / "shared"
    (folder / computed_tables.TABLES_DIR).mkdir(parents=True)
    (folder / computed_tables.TABLES_DIR / "funnel.pickle").write_bytes(b"stale")
    (folder / computed_tables.OWN_DIR / "durham").mkdir(parents=True)
    internal = base.replace(disclosure="internal")
    prepare_national(internal, folder)
    assert not (folder / computed_tables.TABLES_DIR).exists()
    assert not (folder / computed_tables.OWN_DIR).exists()
    funnel = ReportContext(internal, folder).table("funnel")
    pd.testing.assert_frame_equal(funnel, computed_tables.compute("funnel", whole),
                                  check_dtype=False, check_categorical=False)
