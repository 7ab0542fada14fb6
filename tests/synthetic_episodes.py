"""Counting-process episodes (start, stop] of simulated cases, for the recovery tests.

Built here with numpy and pandas, independently of the package (whose episode splitter is
another piece of work), so the tests check the generator against a plain construction.
Each case is split at every dated event that changes its hazards: suspect named, first arrest
or interview, referral to the CPS, device request, and the programme's ramp steps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from soteria_research.data.synthetic import CAUSES

EVENTS = ("named", "interviewed", "referred", "device_requested")


def split(stop: np.ndarray, event: np.ndarray, changes: dict[str, np.ndarray],
          programme_steps: np.ndarray) -> pd.DataFrame:
    """One row per episode: ``case, start, stop, event`` and each state at the episode's start.

    Parameters
    ----------
    stop : end of follow-up per case (days since recording).
    event : 0 censored, or 1..5 (the outcome, in the order of CAUSES) at ``stop``.
    changes : per event name, when it happened (inf: not before ``stop``).
    programme_steps : (cases, steps) days at which the programme reaches each ramp step.
    """
    n = len(stop)
    points = np.column_stack([changes[name] for name in EVENTS] + [programme_steps])
    points = np.where((points > 0) & (points < stop[:, None]), points, np.inf)
    points = np.sort(points, axis=1)
    starts = np.column_stack([np.zeros(n), points])
    stops = np.column_stack([points, np.full(n, np.inf)])
    stops = np.minimum(stops, stop[:, None])
    keep = starts < stops
    case = np.broadcast_to(np.arange(n)[:, None], keep.shape)[keep]
    start, end = starts[keep], stops[keep]
    frame = pd.DataFrame({"case": case, "start": start, "stop": end})
    last = end == stop[case]
    frame["event"] = np.where(last, event[case], 0)
    for name in EVENTS:
        frame[name] = (changes[name][case] <= start).astype(float)
    steps = programme_steps[case]
    frame["programme"] = (steps <= start[:, None]).sum(axis=1) / steps.shape[1]
    return frame


#: Who is at risk of each outcome, and the time-varying terms its hazard has.
AT_RISK = {
    "charge": ("referred", 1.0, ["device_requested", "programme"]),
    "victim_withdrawal": (None, None, ["device_requested", "interviewed", "referred", "programme"]),
    "evidential_difficulty": ("named", 1.0, ["device_requested", "interviewed", "referred", "programme"]),
    "no_suspect": ("named", 0.0, ["device_requested", "programme"]),
    "other": ("named", 1.0, ["device_requested", "interviewed", "referred", "programme"]),
}


def at_risk(episodes: pd.DataFrame, cause: str) -> tuple[pd.DataFrame, list[str]]:
    """Episodes at risk of ``cause``, its 0/1 event column ``y``, and its time-varying terms."""
    state, value, terms = AT_RISK[cause]
    rows = episodes if state is None else episodes[episodes[state] == value]
    rows = rows.assign(y=(rows["event"] == CAUSES.index(cause) + 1).astype(int))
    return rows, terms


def continuous(sim) -> pd.DataFrame:
    """Episodes of a simulation from its exact latent times."""
    latent = sim.latent
    time = latent["time"].to_numpy(float)
    reached = latent["latent_time"].to_numpy(float)

    def happened(column: str) -> np.ndarray:
        values = latent[column].to_numpy(float)
        return np.where(values < reached, values, np.inf)

    changes = {"named": happened("named_time"), "interviewed": happened("interview_time"),
               "referred": happened("referral_time"), "device_requested": happened("device_time")}
    ramp = sim.config.programme_ramp()["days_from_start"].to_numpy(float)
    steps = latent["programme_time"].to_numpy(float)[:, None] + ramp[None, :]
    return split(time, latent["event"].to_numpy(), changes, steps)


def whole_days(sim) -> pd.DataFrame:
    """Episodes an analyst can build from the extract's dates (whole days).

    An outcome on day d (days since recording) is put at d + 0.5 and an event dated day d
    (named, interviewed, referred, device requested) at d + 0.25, for every case alike: within a
    day, events come before outcomes (a dated event the extract shows happened while the case
    was open). Dating only the event cases' same-day events earlier would bias their effects
    upwards. The programme's steps start at midnight, so they change the hazard at whole days.
    """
    cases = sim.cases
    recorded = cases["recorded_date"]
    ended = cases["outcome_date"].notna()
    outcome_day = (cases["outcome_date"] - recorded).dt.days.to_numpy(float)
    censor_day = ((cases["extract_date"] - recorded).dt.days + 1).to_numpy(float)
    stop = np.where(ended, outcome_day + 0.5, censor_day)
    codes = {cause: i + 1 for i, cause in enumerate(CAUSES)}
    group = cases["outcome_group"].replace({"out_of_court": "other", "prevented_or_npi": "other"})
    event = group.map(codes).fillna(0).astype(int).to_numpy()

    def dated(column: str) -> np.ndarray:
        day = (cases[column] - recorded).dt.days.to_numpy(float)
        return np.where(np.isnan(day), np.inf, day + 0.25)

    changes = {"named": dated("suspect_identified_date"), "interviewed": dated("interview_date"),
               "referred": dated("file_to_cps_date"), "device_requested": dated("device_requested_date")}
    ramp = sim.config.programme_ramp()["days_from_start"].to_numpy(float)
    start = cases["force"].map(sim.forces.set_index("force")["soteria_start"])
    first = (start - recorded).dt.days.to_numpy(float)
    steps = np.where(np.isnan(first), np.inf, first)[:, None] + ramp[None, :]
    return split(stop, event, changes, steps)
