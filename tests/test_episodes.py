"""Counting-process episodes: the split agrees with R's survival::tmerge, Cox models on it agree
with coxph, and an event counts only from its day."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from handmade_cases import make_cases
from hypothesis import given
from hypothesis import strategies as st

from soteria_research.analysis.episodes import episodes, split_episodes
from soteria_research.analysis.survival import cause_specific, fit_cox
from soteria_research.analysis.timeline import time_to_outcome
from soteria_research.errors import DataValidationError, ParameterError

DATA = Path(__file__).parent / "reference" / "data"


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "episodes_raw.csv")
    frame["outcome"] = frame["status"].map({0: "censored", 1: "cause1", 2: "cause2"})
    return frame.rename(columns={"time": "days", "status": "event"}).set_index("id")


@pytest.fixture(scope="module")
def split(raw) -> pd.DataFrame:
    days = raw[["req", "arr"]].rename(columns={"req": "device_requested", "arr": "arrested"})
    return split_episodes(raw.drop(columns=["req", "arr"]), days)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    ref = pd.read_csv(DATA / "episodes_reference.csv", keep_default_na=False)
    ref["value"] = pd.to_numeric(ref["value"])
    return ref


def test_split_equals_tmerge_row_for_row(split):
    expected = pd.read_csv(DATA / "episodes_split.csv")
    ours = split.rename(columns={"case": "id", "start": "tstart", "stop": "tstop",
                                 "event": "ev"})[expected.columns]
    ours = ours.sort_values(["id", "tstart"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, expected, check_dtype=False)


FITS = {
    "cause1": dict(cause="cause1", covariates=["x1", "grp", "device_requested", "arrested"]),
    "cause2_robust": dict(cause="cause2", covariates=["x1", "grp", "device_requested"],
                          cluster="case"),
    "cause1_breslow": dict(cause="cause1", covariates=["x1", "device_requested"],
                           ties="breslow"),
}


def _values(ref: pd.DataFrame, fit: str, quantity: str) -> np.ndarray:
    return ref.loc[(ref["fit"] == fit) & (ref["quantity"] == quantity), "value"].to_numpy()


@pytest.mark.parametrize("name", list(FITS))
def test_cause_specific_on_episodes_agrees_with_coxph(name, split, reference):
    kwargs = dict(FITS[name])
    fit = cause_specific(split, kwargs.pop("cause"), **kwargs)
    np.testing.assert_allclose(fit.params.to_numpy(), _values(reference, name, "coef"),
                               rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov_params_naive_)),
                               _values(reference, name, "se"), rtol=1e-6)
    robust = _values(reference, name, "robust_se")
    if len(robust):
        np.testing.assert_allclose(fit.bse.to_numpy(), robust, rtol=1e-6)
    assert fit.loglik == pytest.approx(_values(reference, name, "loglik")[0], rel=1e-9)
    assert fit.n_events == _values(reference, name, "n_events")[0]
    zph = fit.check_proportional_hazards()
    np.testing.assert_allclose(zph["chisq"].to_numpy(), _values(reference, name, "zph_chisq"),
                               rtol=1e-6)


def test_rules_at_the_edges():
    tte = pd.DataFrame({"days": [10.0, 10.0, 10.0, 0.0, 10.0, 10.0],
                        "event": [1, 1, 0, 2, 1, 1],
                        "outcome": ["a", "a", "censored", "b", "a", "a"]},
                       index=list("uvwxyz"))
    days = pd.DataFrame({"first": [4.0, 10.0, -3.0, 0.0, np.nan, 4.0],
                         "second": [4.0, np.nan, 12.0, np.nan, np.nan, 7.0]}, index=tte.index)
    out = split_episodes(tte, days).set_index("case")
    # u: two events on day 4 give one split; both 1 from then on.
    assert out.loc["u", ["start", "stop"]].to_numpy().tolist() == [[0, 4], [4, 10]]
    assert out.loc["u", "first"].tolist() == [0, 1] and out.loc["u", "second"].tolist() == [0, 1]
    # v: an event on the day of the outcome comes after it: no split, 0 throughout.
    assert out.loc[["v"], "first"].tolist() == [0]
    # w: before the start, 1 throughout; after the end (censored at 10), never.
    assert out.loc[["w"], ["first", "second"]].to_numpy().tolist() == [[1, 0]]
    # x: an outcome on day 0 gets half a day, and a day-0 event counts from the start.
    assert out.loc[["x"], ["start", "stop", "first", "event"]].to_numpy().tolist() == [
        [0, 0.5, 1, 2]]
    # z: three episodes; the outcome only on the last, the others censored.
    assert out.loc["z", "event"].tolist() == [0, 0, 1]
    assert out.loc["z", "outcome"].tolist() == ["censored", "censored", "a"]
    assert out.loc["z", ["first", "second"]].to_numpy().tolist() == [[0, 0], [1, 0], [1, 1]]


@given(st.lists(st.tuples(st.integers(1, 60), st.integers(0, 2),
                          st.one_of(st.none(), st.integers(-5, 70)),
                          st.one_of(st.none(), st.integers(-5, 70))), min_size=1, max_size=40))
def test_split_keeps_every_case_its_time_and_its_one_outcome(rows):
    tte = pd.DataFrame({"days": [float(r[0]) for r in rows], "event": [r[1] for r in rows]})
    days = pd.DataFrame({"a": [r[2] for r in rows], "b": [r[3] for r in rows]}, dtype=float)
    out = split_episodes(tte, days)
    assert (out["start"] < out["stop"]).all()
    per_case = out.groupby("case")
    assert per_case["stop"].max().tolist() == tte["days"].tolist()
    np.testing.assert_allclose((out["stop"] - out["start"]).groupby(out["case"]).sum(),
                               tte["days"])
    assert per_case["event"].sum().tolist() == tte["event"].tolist()
    # A covariate never switches off, and is 1 exactly from its day on.
    for column in ("a", "b"):
        assert (per_case[column].diff().fillna(0) >= 0).all()
        on_at = out.loc[out[column].eq(1)].groupby("case")["start"].min()
        d = days[column].clip(lower=0)
        np.testing.assert_array_equal(on_at.to_numpy(), d[on_at.index].to_numpy())


def test_splitting_without_a_change_leaves_the_fit_as_it_was(raw):
    # An "event" with no covariate attached splits rows without changing anyone's covariates:
    # the partial likelihood, and so the fit, are exactly those of the unsplit data.
    base = raw.drop(columns=["req", "arr"])
    whole = fit_cox(base, duration="days", event="outcome", cause="cause1",
                    covariates=["x1", "grp"])
    split = split_episodes(base, raw[["req"]].rename(columns={"req": "marker"}))
    assert len(split) > len(base)
    again = cause_specific(split, "cause1", covariates=["x1", "grp"])
    np.testing.assert_allclose(again.params, whole.params, rtol=1e-10)
    np.testing.assert_allclose(again.bse, whole.bse, rtol=1e-10)


def test_episodes_of_cases_ignore_events_after_the_outcome_or_the_extract():
    cases = make_cases([
        {"outcome_code": "16", "outcome_date": "2022-03-01", "suspect_id": "s1",
         "suspect_identified_date": "2022-01-02", "device_requested_date": "2022-02-01"},
        {"outcome_code": "16", "outcome_date": "2022-03-01", "suspect_id": "s2",
         "suspect_identified_date": "2022-01-02", "device_requested_date": "2022-04-01"},
        {"device_requested_date": "2023-06-01"},  # open; request after the as-of date
    ])
    split = episodes(cases, events=["device_requested_date"])
    assert split.groupby("case").size().tolist() == [2, 1, 2]
    as_of = episodes(cases, events=["device_requested_date"], extract_date="2023-01-01")
    assert as_of.groupby("case").size().tolist() == [2, 1, 1]
    assert as_of.loc[as_of["case"].eq(2), "device_requested"].tolist() == [0]
    assert as_of.attrs["time_varying"] == ["device_requested"]
    tte = time_to_outcome(cases)
    assert split.groupby("case")["event"].sum().tolist() == tte["event"].tolist()


def test_mistakes_say_what_to_do():
    cases = make_cases([{}])
    with pytest.raises(DataValidationError, match="no date column"):
        episodes(cases, events={"x": "not_a_date"})
    tte = time_to_outcome(cases)
    with pytest.raises(ParameterError, match="same index"):
        split_episodes(tte, pd.DataFrame({"a": [1.0]}, index=[99]))
    with pytest.raises(ParameterError, match="clash"):
        split_episodes(tte, pd.DataFrame({"force": [1.0]}, index=tte.index))


def test_cause_specific_on_episodes_counts_risk_from_each_start_whether_or_not_named():
    """Naming duration="stop" must not silently drop the episodes' entry times."""
    from soteria_research.analysis.episodes import episodes
    from soteria_research.analysis.survival import cause_specific
    from soteria_research.data.synthetic import generate_cases

    cases = generate_cases(forces=["durham"], start="2021-04-01", end="2022-03-31", scale=0.3,
                           seed=4)
    split = episodes(cases)
    implicit = cause_specific(split, "victim_withdrawal", covariates=["device_requested"])
    named = cause_specific(split, "victim_withdrawal", duration="stop",
                           covariates=["device_requested"])
    assert named.params.to_dict() == pytest.approx(implicit.params.to_dict(), rel=1e-12)
