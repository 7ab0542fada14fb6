"""The course of an investigation: a multistate process in days since recording.

While a case is open, a suspect may be named, arrested or interviewed, the file referred to the
CPS, and the victim's device requested; each event has its own hazard, and each changes the
hazards of the competing outcomes from the moment it happens. Every hazard is piecewise
constant: a baseline by days since recording, times ``exp`` of a linear predictor that changes
at the case's own event times and at the programme's start (and ramp) dates.

Every random number is drawn up front (exponential targets for each transition's cumulative
hazard), in an order no effect size changes; the times then follow deterministically. So a
counterfactual world (programme off, device effect off, other force effects) simulated with
the same seed reuses the same random numbers, and the difference is a causal effect.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import CAUSES, RELATIONSHIPS, TRANSITIONS, SyntheticConfig

_CHUNK = 200_000  # cases per block of the (segments x cases) arrays: bounds memory
_NEVER = 1e12  # days: a change that never happens (finite, so no inf - inf arithmetic)
_CHARGE, _WITHDRAWAL, _EVIDENTIAL, _NO_SUSPECT, _OTHER = range(len(CAUSES))


@dataclass
class Baseline:
    """A piecewise-constant hazard: its cumulative hazard and the inverse, vectorised."""

    knots: np.ndarray
    rates: np.ndarray

    def __post_init__(self):
        self.knots = np.asarray(self.knots, dtype=float)
        self.rates = np.asarray(self.rates, dtype=float)
        self.at_knots = np.concatenate([[0.0], np.cumsum(self.rates[:-1] * np.diff(self.knots))])

    def cumulative(self, days) -> np.ndarray:
        days = np.asarray(days, dtype=float)
        index = np.clip(np.searchsorted(self.knots, days, side="right") - 1, 0, len(self.knots) - 1)
        return self.at_knots[index] + self.rates[index] * (days - self.knots[index])

    def inverse(self, target) -> np.ndarray:
        target = np.asarray(target, dtype=float)
        index = np.clip(np.searchsorted(self.at_knots, target, side="right") - 1, 0, len(self.knots) - 1)
        return self.knots[index] + (target - self.at_knots[index]) / self.rates[index]


def baselines(config: SyntheticConfig) -> dict[str, Baseline]:
    """The baseline hazard of every transition."""
    return {k: Baseline(config.baseline_knots, config.baseline_hazard[k]) for k in TRANSITIONS}


@dataclass
class LatentDraws:
    """The random numbers behind each case's course, drawn once per case."""

    targets: np.ndarray   # (transitions, n) unit-exponential cumulative-hazard targets
    transfer: np.ndarray  # unit exponential of the transfer time
    naming: np.ndarray    # (n, 3) uniforms and exponential for the naming time


def draw_latent(rng, n: int) -> LatentDraws:
    targets = np.ascontiguousarray(rng.exponential(size=(n, len(TRANSITIONS))).T)
    transfer = rng.exponential(size=n)
    naming = np.column_stack([rng.random(n), rng.random(n), rng.random(n), rng.exponential(size=n)])
    return LatentDraws(targets=targets, transfer=transfer, naming=naming)


def naming_times(config: SyntheticConfig, relationship: np.ndarray, draws: LatentDraws) -> np.ndarray:
    """Days from recording until a suspect is named if the case stays open (inf: never)."""
    table = np.array([config.suspect_identification[r] for r in RELATIONSHIPS], dtype=float)
    p_ever, p_same_day, mean_days = table[relationship].T
    ever, same_day, within_day, further = draws.naming.T
    natural = np.where(same_day < p_same_day, within_day, 1.0 + further * mean_days)
    return np.where(ever < p_ever, natural, np.inf)


def _first_passage(target: np.ndarray, bounds: np.ndarray, baseline: Baseline, index: np.ndarray,
                   offset: np.ndarray, multiplier: np.ndarray) -> np.ndarray:
    """First time the cumulative hazard reaches ``target`` (inf: never).

    ``bounds`` (segments x cases, sorted down each column, first row 0, last row ``_NEVER``)
    delimit the segments on which the hazard is ``baseline x multiplier[j]``. ``index`` and
    ``offset`` locate each bound among the baseline's knots (shared by all transitions).
    Arrays are laid out segments x cases so that every step runs over contiguous cases.
    """
    cumulative = baseline.rates[index]
    cumulative *= offset
    cumulative += baseline.at_knots[index]
    increment = cumulative[1:] - cumulative[:-1]
    increment *= multiplier[:-1]
    total = np.cumsum(increment, axis=0)
    hit = total >= target
    segment = hit.argmax(axis=0)
    cases = np.arange(target.size)
    found = hit[segment, cases]
    before = np.where(segment > 0, total[np.maximum(segment - 1, 0), cases], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = cumulative[segment, cases] + (target - before) / multiplier[segment, cases]
    time = baseline.inverse(np.where(found, level, 0.0))
    return np.where(found & (time < _NEVER), time, np.inf)


def _locate(bounds: np.ndarray, knots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    index = np.searchsorted(knots, bounds, side="right") - 1
    return index, bounds - knots[index]


def _bounds(*rows: np.ndarray) -> np.ndarray:
    """Segment bounds (segments x cases): 0, the change times sorted, then ``_NEVER``.

    A change at or before 0 starts at 0; one that never happens sits at ``_NEVER``.
    """
    stacked = np.empty((len(rows) + 2, len(rows[0])))
    stacked[0] = 0.0
    stacked[-1] = _NEVER
    for j, row in enumerate(rows, start=1):  # a loop over a handful of change times
        np.clip(row, 0.0, _NEVER, out=stacked[j])
    stacked.sort(axis=0)
    return stacked


def _fraction(steps: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Share of the programme's effect in force at each bound ``at`` (segments x cases)."""
    fraction = np.zeros_like(at)
    for step in steps:  # a loop over the ramp's few steps
        fraction += step <= at
    return fraction / max(len(steps), 1)


def simulate_course(config: SyntheticConfig, draws: LatentDraws, named: np.ndarray,
                    linear: np.ndarray, steps: np.ndarray) -> dict:
    """Latent times of every stage and outcome, followed without censoring.

    Parameters
    ----------
    named : days until a suspect is named (inf: never).
    linear : (transitions, n) baseline linear predictor of each transition (covariates, force
        effect, suspect and officer effects).
    steps : (ramp steps, n) days since recording at which the programme reaches each ramp
        step (negative: before recording; inf: never).

    Returns
    -------
    dict
        ``interview``, ``referral``, ``device`` (latent: they happen only if before ``time``),
        ``cause_times`` (causes, n), ``cause`` (index into CAUSES), ``time``, ``transfer``.
    """
    n = len(named)
    out = {name: np.empty(n) for name in ("interview", "referral", "device")}
    out["cause_times"] = np.empty((len(CAUSES), n))
    base = baselines(config)
    knots = np.asarray(config.baseline_knots, dtype=float)
    for first in range(0, n, _CHUNK):  # a loop over blocks of cases, to bound memory
        block = slice(first, min(first + _CHUNK, n))
        result = _course_block(config, base, knots, draws.targets[:, block], named[block],
                               linear[:, block], steps[:, block])
        for name, values in result.items():
            out[name][..., block] = values
    out["cause"] = out["cause_times"].argmin(axis=0) if n else np.zeros(0, dtype=np.int64)
    out["time"] = out["cause_times"].min(axis=0) if n else np.zeros(0)
    out["transfer"] = draws.transfer / config.transfer_rate
    return out


def _course_block(config, base, knots, targets, named, linear, steps) -> dict:
    n = len(named)
    effect = {k: float(config.programme_effect.get(k, 0.0)) for k in TRANSITIONS}
    if config.programme_rule == "calendar":
        change, constant = steps, 0.0
    else:  # the share of the effect a case gets is fixed by its recording date
        change, constant = steps[:0], (steps <= 0).mean(axis=0)
    row = {k: TRANSITIONS.index(k) for k in TRANSITIONS}

    def stage(name: str, entry: np.ndarray) -> np.ndarray:
        bounds = _bounds(entry, *change)
        index, offset = _locate(bounds, knots)
        log_rate = linear[row[name]] + effect[name] * (_fraction(change, bounds) + constant)
        multiplier = np.exp(log_rate)
        multiplier *= bounds >= entry
        return _first_passage(targets[row[name]], bounds, base[name], index, offset, multiplier)

    interview = stage("interview", named)
    referral = stage("referral", interview)
    device = stage("device_request", np.zeros(n))

    bounds = _bounds(named, interview, referral, device, *change)
    index, offset = _locate(bounds, knots)
    is_named = bounds >= named
    interviewed = bounds >= interview
    referred = bounds >= referral
    requested = bounds >= device
    fraction = _fraction(change, bounds) + constant
    at_risk = {"charge": referred, "victim_withdrawal": None, "evidential_difficulty": is_named,
               "no_suspect": ~is_named, "other": is_named}
    times = np.empty((len(CAUSES), n))
    for k, cause in enumerate(CAUSES):  # a loop over the five outcomes
        log_rate = linear[k] + effect[cause] * fraction
        for coefficient, state in ((config.after_interview.get(cause, 0.0), interviewed),
                                   (0.0 if cause == "charge" else config.after_referral.get(cause, 0.0), referred),
                                   (config.device_effect.get(cause, 0.0), requested)):
            if coefficient:
                log_rate += coefficient * state
        multiplier = np.exp(log_rate)
        if at_risk[cause] is not None:
            multiplier *= at_risk[cause]
        times[k] = _first_passage(targets[k], bounds, base[cause], index, offset, multiplier)
    return dict(interview=interview, referral=referral, device=device, cause_times=times)


def linear_predictors(config: SyntheticConfig, design: np.ndarray, covariates: list[str],
                      force_effects: np.ndarray, z_suspect: np.ndarray, z_officer: np.ndarray) -> np.ndarray:
    """Baseline linear predictor of every transition: (transitions, n)."""
    beta = np.zeros((len(TRANSITIONS), len(covariates)))
    for i, name in enumerate(covariates):
        for k, cause in enumerate(CAUSES):
            beta[k, i] = config.log_hazard_ratios[name][cause]
        for stage_name, value in config.stage_log_hazard_ratios.get(name, {}).items():
            beta[TRANSITIONS.index(stage_name), i] = value
    linear = beta @ design.T
    linear[: len(CAUSES)] += force_effects.T
    suspect = np.array([config.suspect_frailty.get(k, 0.0) for k in TRANSITIONS])
    officer = np.array([config.officer_effect.get(k, 0.0) for k in TRANSITIONS])
    linear += suspect[:, None] * z_suspect
    linear += officer[:, None] * z_officer
    return linear


# ------------------------------------------------------------------------------------------
# what the course leaves in the records: outcome codes, prosecution, court, devices
# ------------------------------------------------------------------------------------------
def outcome_details(rng, config: SyntheticConfig, course: dict, named: np.ndarray,
                    suspect_age: np.ndarray) -> dict:
    """Outcome code, arrest, CPS decision, court and device return of each case's full course.

    Every draw is made for every case, so the numbers used do not depend on any effect size.
    """
    n = len(named)
    cause, time = course["cause"], course["time"]
    referred = course["referral"] < time
    charge = np.where(rng.random(n) < config.charge_alternative_share, "1A", "1")
    withdrawal = np.where(named < time, "16", "14")
    other_codes = np.asarray(list(config.other_outcome_codes), dtype=object)
    probs = np.asarray(list(config.other_outcome_codes.values()), dtype=float)
    other = other_codes[np.minimum(np.searchsorted(np.cumsum(probs / probs.sum()), rng.random(n),
                                                   side="right"), len(probs) - 1)]
    other = np.where((other == "9") & ~referred, "10", other)
    caution = np.isin(other, ["2", "3"])
    other = np.where(caution, np.where((suspect_age >= 0) & (suspect_age < 18), "2", "3"), other)
    code = np.select([cause == _CHARGE, cause == _WITHDRAWAL, cause == _EVIDENTIAL, cause == _NO_SUSPECT],
                     [charge, withdrawal, "15", "18"], other).astype(object)

    arrested = rng.random(n) < config.arrest_share
    same_day = rng.random(n) < config.decision_to_charge_same_day_share
    lag = np.where(cause == _CHARGE, np.where(same_day, 0.0, rng.exponential(5.0, n)),
                   rng.exponential(10.0, n))
    decision = np.maximum(time - lag, course["referral"])
    returned_for_more = rng.random(n) < config.further_investigation_share
    withdrawal_decided = rng.random(n) < config.referred_withdrawal_decision_share
    decided = referred & ((cause != _WITHDRAWAL) | withdrawal_decided)
    out_of_court = np.isin(other, ["2", "3", "4", "8", "22"])
    result = np.select(
        [cause == _CHARGE, (cause == _EVIDENTIAL) & returned_for_more, (cause == _OTHER) & out_of_court],
        ["charge", "further_investigation", "out_of_court"], "no_further_action").astype(object)

    shape = (config.charge_to_verdict_days_mean / config.charge_to_verdict_days_sd) ** 2
    verdict = time + rng.gamma(shape, config.charge_to_verdict_days_mean / shape, n)
    courts = np.asarray(list(config.court_outcome), dtype=object)
    court_probs = np.asarray(list(config.court_outcome.values()), dtype=float)
    court = courts[np.minimum(np.searchsorted(np.cumsum(court_probs / court_probs.sum()), rng.random(n),
                                              side="right"), len(courts) - 1)]
    held = rng.lognormal(np.log(config.device_return_days_median), 0.8, n)
    returns = rng.random(n) < config.device_return_share
    device = course["device"]
    requested = device < time
    return dict(
        code=code,
        arrest=np.where(arrested & (course["interview"] < time), course["interview"], np.inf),
        interview=np.where(course["interview"] < time, course["interview"], np.inf),
        referral=np.where(referred, course["referral"], np.inf),
        decision=np.where(decided, decision, np.inf),
        decision_result=result,
        verdict=np.where(cause == _CHARGE, verdict, np.inf),
        court_outcome=court,
        device_requested=np.where(requested, device, np.inf),
        device_returned=np.where(requested & returns, device + held, np.inf),
        named=np.where(named < time, named, np.inf),
    )

