"""Cause-specific Cox models recover the synthetic generator's true log hazard ratios, on its
exact continuous times and on the whole days an extract records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from soteria_research.analysis.survival import fit_cox
from soteria_research.analysis.timeline import time_to_outcome
from soteria_research.data.synthetic import CAUSES, ground_truth, simulate

FORCES = ["cumbria", "durham", "essex", "kent"]  # the first is the reference force
LARGE = 0.3  # a "large" effect: |log HR| >= 0.3 (HR beyond 0.74 or 1.35)


@pytest.fixture(scope="module")
def estimates() -> pd.DataFrame:
    sim = simulate(forces=FORCES, seed=11)  # about 88,000 cases over five years
    tte = time_to_outcome(sim.cases)
    assert tte.index.equals(sim.cases.index)
    design = sim.design.copy()
    for force in FORCES[1:]:
        design[f"force[{force}]"] = (sim.cases["force"] == force).to_numpy(float)
    covariates = list(design.columns)
    outcomes = {
        "continuous": (sim.latent["time"].to_numpy(float), sim.latent["event"].to_numpy()),
        "days": (tte["days"].to_numpy(float), tte["event"].to_numpy()),
    }
    rows = []
    for label, (times, events) in outcomes.items():
        for code, cause in enumerate(CAUSES, start=1):
            data = design.assign(time=times, event=(events == code).astype(int))
            fit = fit_cox(data, duration="time", event="event", covariates=covariates)
            assert fit.diagnostics.ok, fit.diagnostics
            rows.append(fit.hazard_ratios().assign(cause=cause, times=label))
    fitted = pd.concat(rows, ignore_index=True)
    return fitted.merge(_truth(), on=["cause", "term"], how="left", validate="many_to_one")


def _truth() -> pd.DataFrame:
    truth = ground_truth()
    covariates = truth[truth["kind"] == "covariate"][["cause", "covariate", "log_hr"]]
    forces = truth[truth["kind"] == "force"].assign(force=lambda t: t["covariate"].str[6:-1])
    forces = forces[forces["force"].isin(FORCES)]
    # a model with a reference force recovers differences from that force
    reference = forces[forces["force"] == FORCES[0]].set_index("cause")["log_hr"]
    forces = forces.assign(log_hr=forces["log_hr"] - forces["cause"].map(reference))
    forces = forces[forces["force"] != FORCES[0]][["cause", "covariate", "log_hr"]]
    return (pd.concat([covariates, forces])
            .rename(columns={"covariate": "term", "log_hr": "true_log_hr"}))


def _covered(frame: pd.DataFrame) -> pd.Series:
    low = frame["log_hr"] - 1.959963984540054 * frame["se"]
    high = frame["log_hr"] + 1.959963984540054 * frame["se"]
    return (low <= frame["true_log_hr"]) & (frame["true_log_hr"] <= high)


@pytest.mark.parametrize("times", ["continuous", "days"])
def test_ninety_percent_of_intervals_cover_the_truth(estimates, times):
    frame = estimates[estimates["times"] == times]
    assert frame["true_log_hr"].notna().all()  # every term has a known truth
    assert len(frame) == 5 * 27
    assert _covered(frame).mean() >= 0.90


@pytest.mark.parametrize("times", ["continuous", "days"])
def test_every_large_effect_has_the_right_sign(estimates, times):
    frame = estimates[(estimates["times"] == times) & (estimates["true_log_hr"].abs() >= LARGE)]
    assert len(frame) > 20
    assert (np.sign(frame["log_hr"]) == np.sign(frame["true_log_hr"])).all()


def test_rounding_to_whole_days_moves_estimates_far_less_than_their_error(estimates):
    # Whole days tie many events, which biases coefficients slightly towards zero; here the
    # shift is a small fraction of a standard error, so the day-level inference stands.
    paired = estimates.pivot_table(index=["cause", "term"], columns="times",
                                   values=["log_hr", "se"])
    shift = (paired["log_hr"]["days"] - paired["log_hr"]["continuous"]).abs()
    assert (shift < 0.25 * paired["se"]["continuous"]).all()
