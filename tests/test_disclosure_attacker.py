"""The attacker (integer programming over everything published) as an oracle of protection."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from soteria_research.reporting.disclosure import (
    Count,
    RunProtection,
    TableSpec,
    attack,
    disclosures,
    protect_table,
    share_of,
)

ROWS = ("partner", "acquaintance", "stranger", "family")
COLUMNS = ("charge", "victim_withdrawal", "evidential_difficulty", "other")
cell_values = st.one_of(st.integers(0, 9), st.integers(10, 300))


def solved(values: np.ndarray, profile: str) -> RunProtection:
    rows, columns = ROWS[:values.shape[0]], COLUMNS[:values.shape[1]]
    frame = pd.DataFrame([(r, c, int(values[i, j])) for i, r in enumerate(rows)
                          for j, c in enumerate(columns)],
                         columns=["relationship", "outcome_group", "n"])
    spec = TableSpec(keys=("relationship", "outcome_group"), counts=("n",),
                     categories={"relationship": rows, "outcome_group": columns},
                     totals=("relationship", "outcome_group"))
    run = RunProtection(profile)
    run.register("force", "table", frame, spec)
    return run.solve()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(np.int64, st.tuples(st.integers(2, 4), st.integers(2, 4)), elements=cell_values),
       st.sampled_from(["publication", "partner"]))
def test_every_hidden_small_count_has_a_range_wider_than_one_value(values, profile):
    run = solved(values, profile)
    found = attack(run, integer=True)
    assert (found["method"] != "lp").all()  # exact integer bounds on tables this small
    truth = run.system.values[found["cell"].to_numpy()]
    # the true value is always feasible: the attacker is sound
    assert ((found["low"] <= truth + 1e-6) & (truth <= found["high"] + 1e-6)).all()
    small = found["hidden"] & found["shown"] & run.suppression.primary[found["cell"]]
    exposed = set(run.suppression.exposed)
    wide = found["high"] - found["low"] >= 1
    assert (wide | ~small | found["cell"].isin(exposed)).all()
    # what the attacker pins exactly is what the engine says it could not protect
    assert disclosures(found, zeros=profile == "publication")["cell"].isin(
        set(run.suppression.exact)).all()


def test_shares_from_true_counts_with_unrounded_denominators_undo_rounding():
    # what the previous reports did: 4-decimal shares of the true counts, exact "Out of"
    frame = pd.DataFrame({"measure": ["charge", "victim_withdrawal"], "count": [23, 141],
                          "n": [353, 353]})
    frame = frame.assign(estimate=frame["count"] / frame["n"], ci_low=0.0, ci_high=1.0)
    spec = TableSpec(keys=("measure",), counts={"count": Count(), "n": Count(keys=())},
                     rates=share_of("count", "n", decimals=4))
    run = RunProtection("publication")
    run.register("force", "headline", frame, spec)
    view = run.solve().published_view()
    ours = attack(view, targets="all")
    assert not ours.loc[ours["shown"], "exact"].any()  # rounding holds
    leaky = copy.deepcopy(view)
    table = leaky["tables"][0]
    table["rates_from"] = "true"
    position = table["columns"].index("estimate")
    for row, truth in zip(table["rows"], frame["estimate"], strict=True):
        row[position] = round(float(truth), 4)
    n_cell = table["cells"][0][1]
    leaky["cells"][n_cell].update(published=353.0, exact=True)
    theirs = attack(leaky, targets="all")
    assert theirs.loc[theirs["shown"], "exact"].sum() >= 2  # both counts pinned exactly


def test_saved_run_holds_no_hidden_count(tmp_path):
    values = np.array([[3, 50, 20], [15, 12, 30], [40, 60, 45]])
    run = solved(values, "partner")
    path = run.save(tmp_path / "run.json")
    text = path.read_text()
    loaded = RunProtection.load(path)
    assert loaded.table("force", "table").display()["n"].tolist() == \
        run.table("force", "table").display()["n"].tolist()
    payload = json.loads(text)
    published = [c["published"] for c in payload["cells"] if c["published"] is not None]
    assert 3 not in published
    assert disclosures(attack(payload)).empty


def test_primary_suppression_agrees_with_acro(tmp_path, monkeypatch):
    acro = pytest.importorskip("acro")
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(5)
    for _ in range(6):
        n = int(rng.integers(40, 400))
        microdata = pd.DataFrame({
            "relationship": rng.choice(ROWS, n, p=[0.4, 0.05, 0.45, 0.1]),
            "outcome_group": rng.choice(COLUMNS[:3], n, p=[0.05, 0.5, 0.45])})
        checker = acro.ACRO(suppress=True)
        acro_table = checker.crosstab(microdata["relationship"], microdata["outcome_group"])
        table = pd.crosstab(microdata["relationship"], microdata["outcome_group"])
        tidy = table.stack().rename("n").reset_index()
        spec = TableSpec(keys=("relationship", "outcome_group"), counts=("n",))
        ours = protect_table(tidy, spec, profile="publication")
        primary = ours.primary["n"].to_numpy().reshape(table.shape)
        acro_hidden = (np.ones(table.shape, bool) if acro_table.empty else
                       acro_table.reindex(index=table.index, columns=table.columns)
                       .isna().to_numpy())
        assert (primary == acro_hidden).all()
        assert (ours.mask["n"].to_numpy().reshape(table.shape) >= acro_hidden).all()
