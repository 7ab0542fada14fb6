"""Cause-specific Cox models recover the synthetic generator's true log hazard ratios when
events dated after recording (suspect named, arrest or interview, referral, device request, the
programme under the calendar rule) enter as time-varying covariates, on the exact continuous
times and on the whole days an extract records; a device request taken as known at recording
does not (immortal time)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import synthetic_episodes as episodes

from soteria_research.analysis.survival import fit_cox
from soteria_research.data.synthetic import CAUSES, ground_truth, simulate

FORCES = ["cumbria", "durham", "essex", "kent"]  # the first is the reference force
LARGE = 0.3  # a "large" effect: |log HR| >= 0.3 (HR beyond 0.74 or 1.35)
Z = 1.959963984540054


@pytest.fixture(scope="module")
def sim():
    return simulate(forces=FORCES, seed=11, scale=0.8)  # about 70,000 cases over five years


@pytest.fixture(scope="module")
def estimates(sim) -> pd.DataFrame:
    baseline = sim.design.copy()
    for force in FORCES[1:]:
        baseline[f"force[{force}]"] = (sim.cases["force"] == force).to_numpy(float)
    # The random effects are known here, so the model is the true one: their coefficients are
    # the loadings (the log-HR per SD of each random effect).
    baseline["suspect_frailty"] = sim.latent["suspect_effect"].to_numpy()
    baseline["officer_effect"] = sim.latent["officer_effect"].to_numpy()
    rows = []
    for label, split in (("continuous", episodes.continuous), ("days", episodes.whole_days)):
        frame = split(sim)
        data = frame.join(baseline.reset_index(drop=True), on="case")
        for cause in CAUSES:
            risk, terms = episodes.at_risk(data, cause)
            covariates = [c for c in baseline.columns if risk[c].nunique() > 1] + terms
            fit = fit_cox(risk, duration="stop", entry="start", event="y", covariates=covariates)
            assert fit.diagnostics.ok, fit.diagnostics
            rows.append(fit.hazard_ratios().assign(cause=cause, times=label))
    fitted = pd.concat(rows, ignore_index=True)
    return fitted.merge(_truth(), on=["cause", "term"], how="left", validate="many_to_one")


def _truth() -> pd.DataFrame:
    truth = ground_truth().hazard_ratios
    plain = truth[truth["kind"].isin(["covariate", "time_varying", "frailty"])]
    programme = truth[truth["kind"] == "programme"].assign(covariate="programme")
    forces = truth[truth["kind"] == "force"].assign(force=lambda t: t["covariate"].str[6:-1])
    forces = forces[forces["force"].isin(FORCES)]
    # a model with a reference force recovers differences from that force
    reference = forces[forces["force"] == FORCES[0]].set_index("cause")["log_hr"]
    forces = forces.assign(log_hr=forces["log_hr"] - forces["cause"].map(reference))
    forces = forces[forces["force"] != FORCES[0]]
    table = pd.concat([plain, programme, forces])[["cause", "covariate", "log_hr"]]
    return table.rename(columns={"covariate": "term", "log_hr": "true_log_hr"})


def _covered(frame: pd.DataFrame) -> pd.Series:
    low, high = frame["log_hr"] - Z * frame["se"], frame["log_hr"] + Z * frame["se"]
    return (low <= frame["true_log_hr"]) & (frame["true_log_hr"] <= high)


@pytest.mark.parametrize("times", ["continuous", "days"])
def test_ninety_percent_of_intervals_cover_the_truth(estimates, times):
    frame = estimates[estimates["times"] == times]
    assert frame["true_log_hr"].notna().all()  # every term has a known truth
    assert len(frame) > 5 * 25
    assert {"device_requested", "programme", "interviewed", "referred", "suspect_frailty"} <= set(frame["term"])
    assert _covered(frame).mean() >= 0.90


@pytest.mark.parametrize("times", ["continuous", "days"])
def test_every_large_effect_has_the_right_sign(estimates, times):
    frame = estimates[(estimates["times"] == times) & (estimates["true_log_hr"].abs() >= LARGE)]
    assert len(frame) > 20
    assert (np.sign(frame["log_hr"]) == np.sign(frame["true_log_hr"])).all()


#: Whole days blur the order of same-day events (a request and a withdrawal on day 0, say):
#: the effect of a dated event moves by up to this much on the log scale.
SAME_DAY_BLUR = 0.1


@pytest.mark.parametrize("times", ["continuous", "days"])
def test_the_device_effect_is_recovered_as_a_time_varying_covariate(estimates, times):
    device = estimates[(estimates["times"] == times) & (estimates["term"] == "device_requested")]
    error = (device["log_hr"] - device["true_log_hr"]).abs()
    allowed = 3 * device["se"] + (SAME_DAY_BLUR if times == "days" else 0.0)
    assert (error < allowed).all(), device[["cause", "log_hr", "se", "true_log_hr"]]
    withdrawal = device.set_index("cause").loc["victim_withdrawal"]
    assert withdrawal["true_log_hr"] > 0 and withdrawal["log_hr"] - Z * withdrawal["se"] > 0


def test_rounding_to_whole_days_moves_estimates_little(estimates):
    # Whole days tie events and blur the order of same-day events. Baseline terms move by a
    # fraction of a standard error; the effects of dated events by at most SAME_DAY_BLUR.
    paired = estimates.pivot_table(index=["cause", "term"], columns="times", values=["log_hr", "se"])
    shift = (paired["log_hr"]["days"] - paired["log_hr"]["continuous"]).abs()
    se = paired["se"]["continuous"]
    dated = shift.index.get_level_values("term").isin(["device_requested", "interviewed", "referred"])
    assert (shift[~dated] < se[~dated]).all(), (shift / se)[~dated].sort_values().tail()
    assert (shift[~dated] < 0.5 * se[~dated]).mean() > 0.9
    assert (shift[dated] < SAME_DAY_BLUR).all(), shift[dated].sort_values().tail()


def test_a_device_request_taken_as_known_at_recording_is_biased(sim):
    # Immortal time: a request made while the case is open, used as a baseline flag, credits
    # the request with the time before it, when no request-holder could leave.
    latent = sim.latent
    requested = (latent["device_time"] < latent["latent_time"]) & (latent["device_time"] < latent["time"])
    data = sim.design.assign(time=latent["time"].to_numpy(), requested=requested.to_numpy(float),
                             y=(latent["outcome"] == "victim_withdrawal").to_numpy(int))
    fit = fit_cox(data, duration="time", event="y", covariates=list(sim.design.columns) + ["requested"])
    naive = fit.hazard_ratios().set_index("term").loc["requested"]
    true = ground_truth().device.set_index("cause").loc["victim_withdrawal", "log_hr"]
    assert naive["log_hr"] + Z * naive["se"] < true  # far below the truth, outside its interval
