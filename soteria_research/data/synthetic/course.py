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
    targets = rng.exponential(size=(len(TRANSITIONS), n))
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
    total = cumulative[1:] - cumulative[:-1]
    total *= multiplier[:-1]
    for j in range(1, len(total)):  # a running sum down the few segments (cumsum down axis 0 is slow)
        total[j] += total[j - 1]
    # The cumulative hazard never falls, so the segment where it first reaches the target is
    # the number of segments that end below it.
    segment = (total < target).sum(axis=0)
    found = segment < len(total)
    cases = np.arange(target.size)
    segment = np.minimum(segment, len(total) - 1)
    before = np.where(segment > 0, total[np.maximum(segment - 1, 0), cases], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = cumulative[segment, cases] + (target - before) / multiplier[segment, cases]
    time = baseline.inverse(np.where(found, level, 0.0))
    return np.where(found & (time < _NEVER), time, np.inf)


def _locate(bounds: np.ndarray, knots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The knot interval of each bound (>= 0) and how far into it the bound is."""
    index = np.zeros(bounds.shape, dtype=np.int8)
    for knot in knots[1:]:  # a handful of knots: comparisons beat a binary search
        index += bounds >= knot
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


def _steps_reached(steps: np.ndarray, at: np.ndarray) -> np.ndarray:
    """How many of the programme's ramp steps have begun at each bound ``at`` (segments x cases)."""
    reached = np.zeros(at.shape, dtype=np.int8)
    for step in steps:  # a loop over the ramp's few steps
        reached += step <= at
    return reached


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
    """One block of cases: stage times, then the outcome times.

    On each segment a hazard's multiplier is ``exp(linear) x factor[state]``, where the state
    (programme steps begun; named, interviewed, referred, device requested) is coded as a small
    integer and ``factor`` is a lookup table per transition holding the time-varying effects
    and who is at risk: one gather per transition instead of an ``exp`` per segment.
    """
    n = len(named)
    m = steps.shape[0]
    effect = {k: float(config.programme_effect.get(k, 0.0)) for k in TRANSITIONS}
    share = np.arange(m + 1) / max(m, 1)  # share of the effect after q steps
    if config.programme_rule == "calendar":
        change = steps
    else:  # the share a case gets is fixed by its recording date: into the linear predictor
        change = steps[:0]
        fixed = (steps <= 0).sum(axis=0) / max(m, 1)
        linear = linear + np.array([effect[k] for k in TRANSITIONS])[:, None] * fixed
        effect = dict.fromkeys(TRANSITIONS, 0.0)
    row = {k: TRANSITIONS.index(k) for k in TRANSITIONS}
    scale = np.exp(linear)

    def stage(name: str, entry: np.ndarray) -> np.ndarray:
        bounds = _bounds(entry, *change)
        index, offset = _locate(bounds, knots)
        code = _steps_reached(change, bounds) * 2 + (bounds >= entry)
        factor = np.outer(np.exp(effect[name] * share), [0.0, 1.0]).ravel()
        multiplier = factor[code] * scale[row[name]]
        return _first_passage(targets[row[name]], bounds, base[name], index, offset, multiplier)

    interview = stage("interview", named)
    referral = stage("referral", interview)
    device = stage("device_request", np.zeros(n))

    bounds = _bounds(named, interview, referral, device, *change)
    index, offset = _locate(bounds, knots)
    code = _steps_reached(change, bounds).astype(np.int16) * 16
    for bit, when in ((1, named), (2, interview), (4, referral), (8, device)):
        code += bit * (bounds >= when)
    bits = np.arange(16)
    is_named, interviewed, referred, requested = (bits & 1) > 0, (bits & 2) > 0, (bits & 4) > 0, (bits & 8) > 0
    at_risk = {"charge": referred, "victim_withdrawal": np.ones(16, bool), "evidential_difficulty": is_named,
               "no_suspect": ~is_named, "other": is_named}
    times = np.empty((len(CAUSES), n))
    for k, cause in enumerate(CAUSES):  # a loop over the five outcomes
        log_factor = (config.after_interview.get(cause, 0.0) * interviewed
                      + (0.0 if cause == "charge" else config.after_referral.get(cause, 0.0)) * referred
                      + config.device_effect.get(cause, 0.0) * requested)
        factor = (np.exp(effect[cause] * share)[:, None] * np.exp(log_factor) * at_risk[cause]).ravel()
        multiplier = factor[code] * scale[k]
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
    # einsum rather than a BLAS product: BLAS threads fight over busy cores for a tiny gain.
    linear = np.einsum("kc,nc->kn", beta, design)
    linear[: len(CAUSES)] += force_effects.T
    suspect = np.array([config.suspect_frailty.get(k, 0.0) for k in TRANSITIONS])
    officer = np.array([config.officer_effect.get(k, 0.0) for k in TRANSITIONS])
    linear += suspect[:, None] * z_suspect
    linear += officer[:, None] * z_officer
    return linear


# ------------------------------------------------------------------------------------------
# what the course leaves in the records: outcome codes, prosecution, court, devices
# ------------------------------------------------------------------------------------------
#: Text of the integer codes ``outcome_details`` returns; index 0 is "none" (missing).
DECISIONS = ("", "charge", "further_investigation", "out_of_court", "no_further_action")


def code_labels(config: SyntheticConfig) -> tuple[str, ...]:
    """Outcome codes by the integers ``outcome_details`` uses: 0 none (open), 1 transferred."""
    fixed = ("", "20", "1", "1A", "14", "16", "15", "18", "10", "2", "3")
    return fixed + tuple(c for c in config.other_outcome_codes if c not in fixed)


def outcome_details(rng, config: SyntheticConfig, course: dict, named: np.ndarray,
                    suspect_age: np.ndarray) -> dict:
    """Outcome code, arrest, CPS decision, court and device return of each case's full course.

    Codes come as integers: ``code`` indexes :func:`code_labels`, ``decision_result``
    ``DECISIONS``, ``court_outcome`` ``("",) + court outcomes`` (text arrays are slow to build).
    Every draw is made for every case, so the numbers used do not depend on any effect size.
    """
    n = len(named)
    cause, time = course["cause"], course["time"]
    referred = course["referral"] < time
    labels = code_labels(config)
    at = {label: i for i, label in enumerate(labels)}
    charge = np.where(rng.random(n) < config.charge_alternative_share, at["1A"], at["1"])
    withdrawal = np.where(named < time, at["16"], at["14"])
    other_codes = np.array([at[c] for c in config.other_outcome_codes])
    probs = np.asarray(list(config.other_outcome_codes.values()), dtype=float)
    other = other_codes[np.minimum(np.searchsorted(np.cumsum(probs / probs.sum()), rng.random(n),
                                                   side="right"), len(probs) - 1)]
    if "9" in at:
        other = np.where((other == at["9"]) & ~referred, at["10"], other)
    caution = (other == at["2"]) | (other == at["3"])
    other = np.where(caution, np.where((suspect_age >= 0) & (suspect_age < 18), at["2"], at["3"]), other)
    code = np.select([cause == _CHARGE, cause == _WITHDRAWAL, cause == _EVIDENTIAL, cause == _NO_SUSPECT],
                     [charge, withdrawal, at["15"], at["18"]], other)

    arrested = rng.random(n) < config.arrest_share
    same_day = rng.random(n) < config.decision_to_charge_same_day_share
    lag = np.where(cause == _CHARGE, np.where(same_day, 0.0, rng.exponential(5.0, n)),
                   rng.exponential(10.0, n))
    decision = np.maximum(time - lag, course["referral"])
    returned_for_more = rng.random(n) < config.further_investigation_share
    withdrawal_decided = rng.random(n) < config.referred_withdrawal_decision_share
    decided = referred & ((cause != _WITHDRAWAL) | withdrawal_decided)
    out_of_court = np.zeros(len(labels), dtype=bool)
    out_of_court[[at[c] for c in ("2", "3", "4", "8", "22") if c in at]] = True
    result = np.select(
        [cause == _CHARGE, (cause == _EVIDENTIAL) & returned_for_more, (cause == _OTHER) & out_of_court[other]],
        [DECISIONS.index("charge"), DECISIONS.index("further_investigation"), DECISIONS.index("out_of_court")],
        DECISIONS.index("no_further_action"))

    shape = (config.charge_to_verdict_days_mean / config.charge_to_verdict_days_sd) ** 2
    verdict = time + rng.gamma(shape, config.charge_to_verdict_days_mean / shape, n)
    court_probs = np.asarray(list(config.court_outcome.values()), dtype=float)
    court = 1 + np.minimum(np.searchsorted(np.cumsum(court_probs / court_probs.sum()), rng.random(n),
                                           side="right"), len(court_probs) - 1)
    held = rng.lognormal(np.log(config.device_return_days_median), 0.8, n)
    returns = rng.random(n) < config.device_return_share
    device = course["device"]
    requested = device < time
    interviewed = course["interview"] < time
    return dict(
        code=code,
        arrest=np.where(arrested & interviewed, course["interview"], np.inf),
        interview=np.where(interviewed, course["interview"], np.inf),
        referral=np.where(referred, course["referral"], np.inf),
        decision=np.where(decided, decision, np.inf),
        decision_result=result,
        verdict=np.where(cause == _CHARGE, verdict, np.inf),
        court_outcome=court,
        device_requested=np.where(requested, device, np.inf),
        device_returned=np.where(requested & returns, device + held, np.inf),
        named=np.where(named < time, named, np.inf),
    )
