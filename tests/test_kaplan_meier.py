"""Kaplan–Meier curves, intervals and medians agree with R's survival::survfit to 1e-10."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from soteria_research.analysis.survival import kaplan_meier, median_survival
from soteria_research.errors import ParameterError

DATA = Path(__file__).parent / "reference" / "data"
NUMERIC = ["time", "survival", "ci_low", "ci_high", "std_err"]

CURVES = {
    "lung_by_sex": ("cox_lung.csv", "time", "dead", "sex"),
    "lung": ("cox_lung.csv", "time", "dead", None),
    "veteran_by_celltype": ("cox_veteran.csv", "time", "status", "celltype"),
    "ties_by_region": ("cox_ties.csv", "days", "event", "region"),
    "heavy": ("cox_heavy.csv", "time", "event", None),
}


@pytest.fixture(scope="module")
def reference() -> tuple[pd.DataFrame, pd.DataFrame]:
    curves = pd.read_csv(DATA / "cox_km_reference.csv", keep_default_na=False,
                         na_values={c: [""] for c in NUMERIC}, dtype={"group": str})
    medians = pd.read_csv(DATA / "cox_km_median_reference.csv", keep_default_na=False,
                          na_values={c: [""] for c in ["median", "ci_low", "ci_high"]},
                          dtype={"group": str})
    return curves, medians


def _curve(name: str) -> pd.DataFrame:
    file, duration, event, by = CURVES[name]
    return kaplan_meier(pd.read_csv(DATA / file), duration=duration, event=event, by=by)


@pytest.mark.parametrize("name", list(CURVES))
def test_curve_and_intervals_agree_with_survfit(name, reference):
    ours = _curve(name)
    theirs = reference[0].query("dataset == @name")
    assert len(ours) == len(theirs)
    if CURVES[name][3]:
        assert list(ours[CURVES[name][3]].astype(str)) == list(theirs["group"])
    for column in ["time", "survival", "ci_low", "ci_high"]:
        np.testing.assert_allclose(ours[column].to_numpy(float), theirs[column].to_numpy(float),
                                   rtol=0, atol=1e-10, equal_nan=True, err_msg=column)
    for column in ["n_at_risk", "n_events", "n_censored"]:
        np.testing.assert_array_equal(ours[column].to_numpy(), theirs[column].to_numpy())


@pytest.mark.parametrize("name", list(CURVES))
def test_median_and_its_interval_agree_with_survfit(name, reference):
    ours = median_survival(_curve(name))
    theirs = reference[1].query("dataset == @name")
    for mine, r in [("estimate", "median"), ("ci_low", "ci_low"), ("ci_high", "ci_high")]:
        np.testing.assert_allclose(ours[mine].to_numpy(float), theirs[r].to_numpy(float),
                                   rtol=1e-12, equal_nan=True, err_msg=mine)


def test_curve_reaching_zero_has_no_interval_and_median_at_half_is_a_midpoint():
    data = pd.DataFrame({"days": [1, 2, 3, 4], "event": [1, 1, 1, 1]})
    km = kaplan_meier(data, duration="days", event="event")
    assert km["survival"].iloc[-1] == 0
    assert np.isnan(km["ci_low"].iloc[-1]) and np.isnan(km["ci_high"].iloc[-1])
    # S = 0.5 exactly on [2, 3): survfit reports the midpoint 2.5
    assert median_survival(km)["estimate"].item() == 2.5


def test_groups_from_several_columns_and_bool_events():
    data = pd.DataFrame({"days": [3, 5, 5, 8, 10, 12, 4, 6],
                         "interviewed": [True, True, False, True, False, True, True, False],
                         "force": ["a", "a", "a", "a", "b", "b", "b", "b"],
                         "rape": [1, 1, 0, 0, 1, 1, 0, 0]})
    km = kaplan_meier(data, duration="days", event="interviewed", by=["force", "rape"])
    assert list(km.columns[:2]) == ["force", "rape"]
    assert km.groupby(["force", "rape"]).size().to_dict() == {
        ("a", 0): 2, ("a", 1): 2, ("b", 0): 2, ("b", 1): 2}
    medians = median_survival(km)
    assert len(medians) == 4 and list(medians.columns[:2]) == ["force", "rape"]


def test_bad_input_raises_parameter_error():
    data = pd.DataFrame({"days": [1, 2], "outcome": [2, 3]})
    with pytest.raises(ParameterError, match="cumulative_incidence"):
        kaplan_meier(data, duration="days", event="outcome")
    with pytest.raises(ParameterError, match="not in the data"):
        kaplan_meier(data, duration="days", event="nope")
    with pytest.raises(ParameterError, match=">= 0"):
        kaplan_meier(data.assign(days=[-1, 2], outcome=[1, 0]), duration="days",
                     event="outcome")
