"""Small simulated worlds with a known truth, built here (not by the package), for the estimand
tests: constant cause-specific hazards from recording, so every true probability has a
closed form, plus the one feature each test needs (a trend over recording years, a device
request during the investigation, court delays, repeat suspects, offence-to-recording delays).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from handmade_cases import DEFAULTS

from soteria_research.data.dictionary import load_dictionary

#: Causes simulated, each with the Home Office code it ends with.
CAUSES = ("charge", "victim_withdrawal", "evidential_difficulty", "no_suspect", "other")
CODES = {"charge": "1", "victim_withdrawal": "16", "evidential_difficulty": "15",
         "no_suspect": "18", "other": "21"}
#: Daily hazards from recording (about 9% charged, 40% withdrawn eventually; most cases end
#: within a couple of years).
HAZARDS = {"charge": 0.00025, "victim_withdrawal": 0.0011, "evidential_difficulty": 0.0006,
           "no_suspect": 0.0004, "other": 0.00015}


def canonical(columns: dict, n: int) -> pd.DataFrame:
    """A canonical, validated-looking cases frame of ``n`` rows from arrays (others default)."""
    dictionary = load_dictionary()
    frame = pd.DataFrame({"crime_ref": [f"c{i}" for i in range(n)]})
    for name, value in {**DEFAULTS, **columns}.items():
        frame[name] = value
    frame["offence_group"] = frame["offence_code"].map(dictionary.offence_group_map)
    codes = frame.get("outcome_code", pd.Series(pd.NA, index=frame.index))
    frame["outcome_group"] = codes.map(dictionary.outcome_group_map).fillna("open")
    for f in dictionary.fields:
        if f.name not in frame:
            frame[f.name] = pd.NA
        if f.type == "date":
            frame[f.name] = pd.to_datetime(frame[f.name]).astype("datetime64[ns]")
        elif f.type == "boolean":
            frame[f.name] = frame[f.name].fillna(False).astype(bool)
        elif f.type == "integer":
            frame[f.name] = frame[f.name].astype("Int64")
        else:
            frame[f.name] = frame[f.name].astype(object).where(frame[f.name].notna(), np.nan)
    return frame[dictionary.field_names]


def _days(origin: pd.Series, days: np.ndarray) -> pd.Series:
    return origin + pd.to_timedelta(np.floor(days), unit="D")


@dataclass
class World:
    """Simulated cases and what the tests need to know about how they were made."""

    cases: pd.DataFrame
    hazards: dict
    extract: pd.Timestamp
    start: pd.Timestamp
    latent: pd.DataFrame  # per case: uncensored time and cause, request day, cohort year
    trend: float = 0.0

    def true_cif(self, cause: str, days: float, year: int = 0) -> float:
        """True probability that a case recorded in the ``year``-th year ends in ``cause`` by
        ``days`` (no request effect: constant competing hazards)."""
        rates = {k: v * np.exp(self.trend * year) if k == "charge" else v
                 for k, v in self.hazards.items()}
        total = sum(rates.values())
        return rates[cause] / total * (1 - np.exp(-total * days))


def simulate(n: int, *, seed: int, start: str = "2017-04-01", years: int = 6,
             extract: str | None = None, hazards: dict | None = None, charge_trend: float = 0.0,
             request_rate: float = 0.0, request_effect: dict | None = None,
             effects: dict | None = None) -> World:
    """Cases recorded uniformly over ``years`` financial years from ``start``, each ending in a
    competing outcome at constant daily hazards from recording.

    ``charge_trend`` multiplies the charge hazard by ``exp(charge_trend * y)`` for cases
    recorded in year ``y`` (0, 1, ...). A device request arrives at ``request_rate`` a day while
    the case is open; from then on each hazard is multiplied by ``exp(request_effect[cause])``
    (default: no effect at all). Outcomes and requests after the extract date are unseen.
    ``effects`` (term -> {cause: log hazard ratio}) switches on covariates drawn at random:
    ``relationship[stranger]``, ``relationship[partner_ex_partner]`` (against
    acquaintance_friend; a third each), ``under_18`` (ages uniform 10 to 59: a step at 18) and
    ``third_party_report`` (30%).
    """
    rng = np.random.default_rng(seed)
    hazards = dict(HAZARDS if hazards is None else hazards)
    first = pd.Timestamp(start)
    last = first + pd.DateOffset(years=years) - pd.Timedelta(days=1)
    extract = pd.Timestamp(extract) if extract else last
    span = (last - first).days + 1
    recorded = first + pd.to_timedelta(rng.integers(0, span, n), unit="D")
    year = np.asarray((recorded - first).days // 365.25, dtype=float)
    base = np.column_stack([np.full(n, hazards[c]) for c in CAUSES])
    base[:, 0] *= np.exp(charge_trend * year)
    extra = {}
    if effects:
        levels = np.array(["acquaintance_friend", "stranger", "partner_ex_partner"], dtype=object)
        extra["relationship"] = levels[rng.integers(0, 3, n)]
        extra["victim_age"] = rng.integers(10, 60, n)
        extra["third_party_report"] = rng.random(n) < 0.3
        flags = {"relationship[stranger]": extra["relationship"] == "stranger",
                 "relationship[partner_ex_partner]": extra["relationship"] == "partner_ex_partner",
                 "under_18": extra["victim_age"] < 18,
                 "third_party_report": extra["third_party_report"]}
        for term, by_cause in effects.items():
            for j, cause in enumerate(CAUSES):
                base[:, j] *= np.exp(by_cause.get(cause, 0.0) * flags[term])

    def draw(rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        total = rates.sum(axis=1)
        time = rng.exponential(1 / total)
        cause = (rng.random(n)[:, None] > np.cumsum(rates / total[:, None], axis=1)).sum(axis=1)
        return time, cause

    time, cause = draw(base)
    request = rng.exponential(1 / request_rate, n) if request_rate > 0 else np.full(n, np.inf)
    if request_rate > 0:
        effect = np.array([(request_effect or {}).get(c, 0.0) for c in CAUSES])
        later_time, later_cause = draw(base * np.exp(effect)[None, :])
        switched = request < time  # open on the day of the request: hazards change from then
        time = np.where(switched, request + later_time, time)
        cause = np.where(switched, later_cause, cause)
    recorded_s = pd.Series(recorded)
    outcome_date = _days(recorded_s, time)
    seen = outcome_date.le(extract).to_numpy()
    labels = np.array(CAUSES, dtype=object)[cause]
    code = np.where(seen, pd.Series(labels).map(CODES).to_numpy(), None)
    request_date = _days(recorded_s, np.where(np.isfinite(request), request, 0))
    request_seen = np.isfinite(request) & request_date.le(extract).to_numpy() & (request < time)
    suspect = np.where(labels == "no_suspect", None, [f"s{i}" for i in range(n)])
    columns = {
        "recorded_date": recorded_s, "report_date": recorded_s,
        "offence_start_date": recorded_s - pd.Timedelta(days=3),
        "outcome_code": code,
        "outcome_date": outcome_date.where(seen),
        "charge_date": outcome_date.where(seen & (labels == "charge")),
        "suspect_id": suspect,
        "suspect_identified_date": recorded_s.where(suspect != None),  # noqa: E711
        "device_requested_date": request_date.where(request_seen),
        "extract_date": extract,
    }
    columns.update(extra)
    latent = pd.DataFrame({"time": time, "cause": labels, "request": request, "year": year})
    return World(cases=canonical(columns, n), hazards=hazards, extract=extract, start=first,
                 latent=latent, trend=charge_trend)


def true_fy_cif(world: World, cause: str, days: float, cohort: str) -> float:
    """True probability for a case recorded in financial year ``cohort`` (a mix of the
    simulation's 365.25-day years, weighted by their days in the financial year)."""
    first = world.start
    start, stop = pd.Timestamp(int(cohort[:4]), 4, 1), pd.Timestamp(int(cohort[:4]) + 1, 3, 31)
    days_in = pd.date_range(start, stop)
    years = np.asarray((days_in - first).days // 365.25)
    return float(np.mean([world.true_cif(cause, days, y) for y in years]))


@dataclass
class CourtWorld:
    """Referred cases, charge decisions and trials, with the true conversions."""

    cases: pd.DataFrame
    p_charge: float
    p_convict: float
    decision: tuple[float, float]  # gamma shape, scale of days from referral to decision
    trial: tuple[float, float]     # gamma shape, scale of days from charge to verdict

    def true_conversion(self, stage: str, within_days: float) -> float:
        """True chance of reaching ``stage`` within the window of the stage before it."""
        from scipy import stats

        if stage == "charged":
            shape, scale = self.decision
            return self.p_charge * stats.gamma.cdf(within_days, shape, scale=scale)
        shape, scale = self.trial
        return self.p_convict * stats.gamma.cdf(within_days, shape, scale=scale)


def simulate_court(n: int, *, seed: int, years: int = 6, p_charge: float = 0.636,
                   p_convict: float = 0.64, decision=(2.0, 60.0), trial=(2.0, 250.0)
                   ) -> CourtWorld:
    """Every case referred to the CPS some weeks after recording; charged with probability
    ``p_charge`` (else no further action, outcome 15) after a gamma delay; a charged case
    convicted with probability ``p_convict`` (else acquitted) after a gamma trial delay.
    Recorded uniformly over ``years`` financial years from 2017/18, extract at the end."""
    rng = np.random.default_rng(seed)
    first = pd.Timestamp("2017-04-01")
    extract = first + pd.DateOffset(years=years) - pd.Timedelta(days=1)
    recorded = pd.Series(first + pd.to_timedelta(rng.integers(0, (extract - first).days + 1, n),
                                                 unit="D"))
    referred = _days(recorded, rng.exponential(40, n))
    decided = _days(referred, rng.gamma(*decision, n) + 1)
    charged = rng.random(n) < p_charge
    verdict = _days(decided, rng.gamma(*trial, n) + 1)
    convicted = rng.random(n) < p_convict
    seen_referral = referred.le(extract)
    seen_decision = decided.le(extract)
    seen_verdict = verdict.le(extract) & charged
    columns = {
        "recorded_date": recorded, "report_date": recorded,
        "offence_start_date": recorded - pd.Timedelta(days=3),
        "suspect_id": [f"s{i}" for i in range(n)], "suspect_identified_date": recorded,
        "arrest_date": recorded,
        "file_to_cps_date": referred.where(seen_referral),
        "outcome_code": np.where(seen_decision, np.where(charged, "1", "15"), None),
        "outcome_date": decided.where(seen_decision),
        "charge_date": decided.where(seen_decision & charged),
        "court_outcome": np.where(seen_verdict, np.where(convicted, "convicted", "acquitted"),
                                  None),
        "court_outcome_date": verdict.where(seen_verdict),
        "extract_date": extract,
    }
    return CourtWorld(cases=canonical(columns, n), p_charge=p_charge, p_convict=p_convict,
                      decision=decision, trial=trial)


# --------------------------------------------------------------------------------------------
# The package generator's worlds for the "cases followed for a year" tests
# --------------------------------------------------------------------------------------------
#: Forces of those worlds, and the worlds: the built-in one (data to 31 March 2024, extracted
#: that day) and a force's export that stops mid-year (recorded to 30 September 2023,
#: extracted 15 October 2024: two quarters after the last financial year are followed).
FOLLOWED_FORCES = ["cumbria", "durham", "gwent"]
FOLLOWED_WORLDS = {
    "built-in": {},
    "stops mid-year": {"end": "2023-09-30", "extract_date": "2024-10-15"},
}


def followed_world(name: str) -> pd.DataFrame:
    """The cases of one of :data:`FOLLOWED_WORLDS` (generated by the package)."""
    from soteria_research.data.synthetic import generate_cases

    return generate_cases(forces=FOLLOWED_FORCES, scale=0.1, seed=23, **FOLLOWED_WORLDS[name])
