"""Each force report reads its own view of the run's linked tables (its rows and its peers').

A force report parsed and built every force's rows of the run's linked file, though it reads
only its own and its most similar forces' (a tenth of City of London's disclosure control,
``benchmarks/bench_disclosure.py``). The run now saves each force a view of those rows
(``LinkedProtection.view``, ``national.save_linked_views``). A view must read exactly as the
whole file does for the forces it holds, and refuse, loudly, what it leaves out: a report that
caught the error of a missing slice would take a hidden cell for a shown one
(``ReportTables._linked_cell_hidden`` reads "no rows" as "nothing hidden").
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from test_disclosure import force_outcome_table

from soteria_research.errors import DisclosureError, ParameterError
from soteria_research.reporting.disclosure import (
    DisclosureControl,
    LinkedProtection,
    protect_linked,
)


def _linked():
    table = force_outcome_table(3, forces=8).assign(year=lambda t: 2020 + t.index % 3)
    table = table.groupby(["force", "outcome_group", "year"], as_index=False)["n"].sum()
    return table, protect_linked({"mix": (table, {"counts": ["n"], "keys": ["year"]})},
                                 profile="publication")


def test_a_view_reads_as_the_whole_file_for_its_forces_and_refuses_the_rest(tmp_path):
    table, linked = _linked()
    whole = LinkedProtection.load(linked.save(tmp_path / "whole.json"))
    held = ["force_2", "force_5", "force_0"]
    view = LinkedProtection.load(linked.view(held).save(tmp_path / "view.json"))
    forces = sorted(table["force"].unique())
    assert view.dropped == sorted(set(forces) - set(held))
    for force in held:  # the same slice: values, pattern, dtypes and record
        mine, theirs = view.slice("mix", force), whole.slice("mix", force)
        pd.testing.assert_frame_equal(mine.frame, theirs.frame)
        pd.testing.assert_frame_equal(mine.mask, theirs.mask)
        assert mine.record == theirs.record
        assert mine.mask.to_numpy().any() or theirs.frame["n"].notna().all()
    # a force left out, or the whole table, is an error a report cannot take for "not hidden"
    for ask in (lambda: view.slice("mix", "force_1"), lambda: view.table("mix")):
        with pytest.raises(DisclosureError, match="leaves out") as caught:
            ask()
        assert not isinstance(caught.value, ParameterError)
    # a force not in the run is what it was with the whole file
    for source in (whole, view):
        with pytest.raises(ParameterError, match="has no rows for force='kent'"):
            source.slice("mix", "kent")
    # a report protecting its own table gets the same from either file
    mine = table[table["force"] == "force_5"].drop(columns="force").iloc[::-1]
    shown = {}
    for name in ("whole.json", "view.json"):
        control = DisclosureControl(profile="publication", linked=tmp_path / name,
                                    force="force_5")
        shown[name] = control.protect(mine, name="mix")
    pd.testing.assert_frame_equal(shown["whole.json"].frame, shown["view.json"].frame)
    pd.testing.assert_frame_equal(shown["whole.json"].mask, shown["view.json"].mask)
    # the saved view holds no other force's rows
    text = (tmp_path / "view.json").read_text()
    assert not any(f'"{force}"' in text.split('"dropped"')[0] for force in view.dropped)


def _cells(html: str) -> list[str]:
    """What a reader sees in the report's tables: each cell's text."""
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, flags=re.S)]


@pytest.mark.slow
def test_a_report_built_from_its_view_publishes_what_the_whole_file_gives(tmp_path,
                                                                          monkeypatch):
    """City of London's report in a run of eight small forces (five are its peers, two are
    left out of its view), built from its view and, with no views saved, from the whole file:
    every published table, metrics.json, disclosure.json and the report's table cells are
    the same."""
    from report_fixtures import kernel_for_tests

    from soteria_research.data.synthetic import generate_cases
    from soteria_research.reporting import national
    from soteria_research.reporting.runner import run_reports

    forces = ["city_of_london", "cleveland", "cumbria", "dorset", "dyfed_powys", "gwent",
              "warwickshire", "wiltshire"]
    path = tmp_path / "cases.csv"
    generate_cases(forces=forces, scale=0.02, seed=41).to_csv(path, index=False)
    kernel = kernel_for_tests(tmp_path / "kernel")
    built = {}
    for how in ("view", "whole"):
        if how == "whole":
            monkeypatch.setattr(national, "save_linked_views", lambda *args, **kwargs: [])
        result = run_reports(path, forces=["city_of_london"], out=tmp_path / how, run="r",
                             workers=1, national=False, kernel_name=kernel, progress=False)
        assert result.ok, result.summary()
        built[how] = tmp_path / how / "r" / "forces" / "city_of_london"
    views = tmp_path / "view" / "r-private" / "shared" / national.LINKED_VIEWS
    view = json.loads((views / "city_of_london.json").read_text())
    assert len(view["dropped"]) == 2 and "city_of_london" not in view["dropped"]
    assert not (tmp_path / "whole" / "r-private" / "shared" / national.LINKED_VIEWS).exists()
    files = sorted(p.relative_to(built["view"]) for p in built["view"].rglob("*")
                   if p.suffix in (".csv", ".json"))
    assert len(files) > 10
    assert files == sorted(p.relative_to(built["whole"]) for p in built["whole"].rglob("*")
                           if p.suffix in (".csv", ".json"))
    for name in files:
        assert (built["view"] / name).read_bytes() == (built["whole"] / name).read_bytes(), name
    cells = {how: _cells((folder / "report.html").read_text()) for how, folder in built.items()}
    assert len(cells["view"]) > 100 and cells["view"] == cells["whole"]
    assert np.any([c == "[c]" for c in cells["view"]])  # a report with hidden cells


def test_a_force_report_opens_its_view_and_the_national_overview_the_whole_file(tmp_path):
    from report_fixtures import small_cases

    from soteria_research.reporting.national import (
        LINKED_FILE,
        LINKED_VIEWS,
        ReportContext,
        prepare_national,
    )
    from soteria_research.reporting.parameters import ReportParameters

    data = small_cases(tmp_path / "cases.csv")
    params = ReportParameters.validate(data=str(data))
    folder = tmp_path / "shared"
    prepare_national(params.replace(force="national"), folder)
    saved = {p.stem for p in (folder / LINKED_VIEWS).glob("*.json")}
    present = set(pd.read_csv(data, usecols=["force"])["force"])
    assert saved == present
    whole = LinkedProtection.load(folder / LINKED_FILE)
    for force in sorted(present):
        report = ReportContext(params.replace(force=force), folder)
        peers = report.artefact("peers")
        expected = {force, *peers.loc[peers["force"].eq(force), "peer"]}
        for name in whole.names:
            entry = report.disclosure.linked.tables[name]
            at = entry["columns"].index("force")
            held = {row[at] for row in entry["rows"]}
            assert held == expected & set(whole.table(name).frame["force"]), (force, name)
    overview = ReportContext(params.replace(force="national"), folder)
    assert overview.disclosure.linked.dropped == []
    assert set(overview.disclosure.linked.table("headline").frame["force"]) == present
    # three forces are each other's peers, so every view holds them all: a view cut to the
    # force alone shows that the report opens its view, and the overview the whole file
    whole.view(["durham"]).save(folder / LINKED_VIEWS / "durham.json")
    report = ReportContext(params.replace(force="durham"), folder)
    assert report.disclosure.linked.dropped == sorted(present - {"durham"})
    with pytest.raises(DisclosureError, match="leaves out"):
        report.disclosure.linked.slice("headline", "cumbria")
    overview = ReportContext(params.replace(force="national"), folder)
    assert set(overview.disclosure.linked.table("headline").frame["force"]) == present


def test_a_reports_table_takes_the_runs_pattern_row_by_row_in_any_order():
    """A report's table is matched to the run's slice on its keys: in the slice's own order
    (what a report computed like the runner's gives, taken without joining text keys) and in
    any other it reads the same cells; a row the run did not protect, or a table lacking the
    key that tells the slice's rows apart, is refused."""
    table, linked = _linked()
    mine = table[table["force"] == "force_5"].drop(columns="force").reset_index(drop=True)
    same = linked.apply(mine, "mix", "force_5")
    pd.testing.assert_frame_equal(same.frame, linked.slice("mix", "force_5").frame
                                  .drop(columns="force"), check_like=True)
    assert same.mask["n"].any() or same.frame["n"].notna().all()
    shuffled = mine.sample(frac=1, random_state=3)
    reordered = linked.apply(shuffled, "mix", "force_5")
    hidden = dict(zip(zip(reordered.frame["outcome_group"], reordered.frame["year"]),
                      reordered.mask["n"]))
    assert hidden == dict(zip(zip(same.frame["outcome_group"], same.frame["year"]),
                              same.mask["n"]))
    assert list(zip(reordered.frame["outcome_group"], reordered.frame["year"])) == \
        list(zip(shuffled["outcome_group"], shuffled["year"]))
    foreign = mine.assign(year=mine["year"].where(mine.index != 0, 1999))
    with pytest.raises(DisclosureError, match="has rows the run's linked table does not"):
        linked.apply(foreign, "mix", "force_5")
    with pytest.raises(DisclosureError, match="lacks the key column"):
        linked.apply(mine.drop(columns="outcome_group"), "mix", "force_5")
