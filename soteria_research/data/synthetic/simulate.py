"""Calibrated synthetic RASSO case data for all 43 forces, with a documented ground truth.

Each case is a continuous-time competing-risks process with cause-specific proportional hazards.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import ParameterError
from ..dictionary import load_dictionary
from .config import CAUSES, SyntheticConfig

_DAY_NS = np.int64(86_400 * 10**9)
_RELATIONSHIPS = ("partner_ex_partner", "family", "acquaintance_friend", "online_contact",
                  "position_of_trust", "stranger", "unknown")
_ETHNICITIES = ("white", "black", "asian", "mixed", "other", "not_stated")
_SEXES = ("female", "male", "not_stated")
_TREND_ORIGIN = pd.Timestamp("2019-04-01")
_TRANSFERRED = len(CAUSES)  # index of the censoring "cause" among latent times


# ------------------------------------------------------------------------------------------
# the ground truth
# ------------------------------------------------------------------------------------------
def covariate_names(config: SyntheticConfig | None = None) -> list[str]:
    """Names of the covariates that drive the hazards, in design-matrix order."""
    config = config or SyntheticConfig()
    return list(config.log_hazard_ratios)


def ground_truth(config: SyntheticConfig | None = None) -> pd.DataFrame:
    """The true log hazard ratios of the generator: one row per cause × covariate, and force.

    Every cause-specific hazard is ``h_k(t | x) = h0_k(t) * exp(x @ beta_k + force_k)`` with a
    piecewise-constant baseline ``h0_k`` (time in days since ``recorded_date``). The covariates
    are coded from the canonical ``cases`` columns exactly as :func:`model_covariates` does:

    - ``offence_group[other_sexual]``: 1 for other sexual offences; reference ``rape``.
    - ``relationship[<code>]`` for ``partner_ex_partner``, ``family``, ``online_contact``,
      ``position_of_trust``, ``stranger``, ``unknown``; reference ``acquaintance_friend``.
    - ``domestic_abuse``, ``third_party_report``, ``victim_mental_health``,
      ``victim_disability``, ``victim_substance_use``: the boolean columns as 0/1.
    - ``non_recent``: 1 when ``report_date - offence_start_date >= 365`` days.
    - ``victim_under_18``: 1 when ``victim_age < 18`` (a missing age counts as 0).
    - ``victim_sex[male]``, ``victim_sex[not_stated]``; reference ``female``.
    - ``victim_ethnicity[<code>]`` for black, asian, mixed, other, not_stated; reference white.
    - ``device_requested``: 1 when ``device_requested_date`` is present.
    - ``recorded_years_since_2019``: ``(recorded_date - 2019-04-01).days / 365.25`` (a
      national trend in charging, negative before April 2019).
    - ``soteria_active``: 1 when ``recorded_date`` is on or after the force's Soteria start
      (``config.soteria_start`` by the force's ``soteria_wave``).
    - ``force[<code>]`` (``kind == "force"``): the force's log hazard ratio against the national
      baseline (0). A model with a reference force recovers differences between these values.

    Causes are the competing risks of the dictionary (charge, victim_withdrawal,
    evidential_difficulty, no_suspect, other). Transfers (outcome 20) are independent
    censoring with no covariate effects. Values are settings, not findings (DOMAIN.md §4 gives
    only directions).

    Parameters
    ----------
    config : SyntheticConfig, optional
        Defaults to ``SyntheticConfig()``.

    Returns
    -------
    DataFrame
        Columns ``cause, covariate, kind (covariate|force), log_hr, hazard_ratio``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import ground_truth
    >>> truth = ground_truth()
    >>> row = truth.query("cause == 'charge' and covariate == 'relationship[stranger]'")
    >>> bool(row["log_hr"].iloc[0] > 0)
    True
    """
    config = config or SyntheticConfig()
    rows = [
        dict(cause=cause, covariate=covariate, kind="covariate", log_hr=float(effects[cause]))
        for covariate, effects in config.log_hazard_ratios.items()
        for cause in CAUSES
    ]
    forces = config.force_table(load_dictionary().forces)
    rows += [
        dict(cause=cause, covariate=f"force[{code}]", kind="force", log_hr=float(value))
        for cause in CAUSES
        for code, value in zip(forces["force"], forces[f"log_hr_{cause}"])
    ]
    truth = pd.DataFrame(rows)
    truth["hazard_ratio"] = np.exp(truth["log_hr"])
    return truth


def baseline_cumulative_hazard(days, cause: str, config: SyntheticConfig | None = None) -> np.ndarray:
    """The true baseline cumulative hazard ``H0_k(t)`` of one cause at ``days`` since recording."""
    config = config or SyntheticConfig()
    knots = np.asarray(config.baseline_knots, dtype=float)
    rates = np.asarray(config.baseline_hazard[cause], dtype=float)
    at_knots = np.concatenate([[0.0], np.cumsum(rates[:-1] * np.diff(knots))])
    days = np.asarray(days, dtype=float)
    index = np.clip(np.searchsorted(knots, days, side="right") - 1, 0, len(knots) - 1)
    return at_knots[index] + rates[index] * (days - knots[index])


def _inverse_cumulative_hazard(target: np.ndarray, knots: np.ndarray, rates: np.ndarray) -> np.ndarray:
    # H0 is piecewise linear, so its inverse is too: find the interval, then solve linearly.
    at_knots = np.concatenate([[0.0], np.cumsum(rates[:-1] * np.diff(knots))])
    index = np.searchsorted(at_knots, target, side="right") - 1
    return knots[index] + (target - at_knots[index]) / rates[index]


def model_covariates(cases: pd.DataFrame, config: SyntheticConfig | None = None) -> pd.DataFrame:
    """The covariates of :func:`ground_truth`, coded from a canonical ``cases`` frame.

    One float column per covariate name of ``ground_truth`` (kind ``covariate``), indexed like
    ``cases``. Fit cause-specific Cox models on these columns (plus force dummies) to check
    recovery of the true log hazard ratios.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases, model_covariates
    >>> cases = generate_cases(forces=["durham"], start="2022-04-01", end="2023-03-31", seed=1)
    >>> design = model_covariates(cases)
    >>> set(design["device_requested"].unique()) <= {0.0, 1.0}
    True
    """
    config = config or SyntheticConfig()
    columns = {}
    for name in config.log_hazard_ratios:
        if "[" in name:
            field, level = name[:-1].split("[", 1)
            columns[name] = cases[field].eq(level)
        elif name == "non_recent":
            columns[name] = (cases["report_date"] - cases["offence_start_date"]).dt.days.ge(365)
        elif name == "victim_under_18":
            columns[name] = cases["victim_age"].lt(18).fillna(False)
        elif name == "device_requested":
            columns[name] = cases["device_requested_date"].notna()
        elif name == "recorded_years_since_2019":
            columns[name] = (cases["recorded_date"] - _TREND_ORIGIN).dt.days / 365.25
        elif name == "soteria_active":
            forces = config.force_table(load_dictionary().forces).set_index("force")
            columns[name] = cases["recorded_date"].ge(cases["force"].map(forces["soteria_start"]))
        else:
            columns[name] = cases[name].astype(bool)
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in columns.items()}, index=cases.index)


# ------------------------------------------------------------------------------------------
# simulation
# ------------------------------------------------------------------------------------------
@dataclass
class Simulation:
    """A simulated extract with what a real one never shows.

    Attributes
    ----------
    cases : DataFrame
        The canonical cases frame (what :func:`generate_cases` returns).
    latent : DataFrame
        Per case, aligned with ``cases``: ``crime_ref``; ``latent_cause`` (the cause with the
        earliest latent time) and ``latent_time`` (its continuous days since recording, also
        beyond the extract); ``transfer_time``; ``censor_time`` (the end of the extract day, in
        days since recording); ``time`` = min of the three and ``event`` (0 censored, 1..5 in
        the order of ``CAUSES``) and ``outcome`` (cause name or ``censored``): the exact
        continuous-time data before rounding to days.
    design : DataFrame
        The covariates as the hazards used them (equals ``model_covariates(cases)``).
    forces : DataFrame
        The force table: rate multiplier, Soteria start and true force log hazard ratios.
    config : SyntheticConfig
    """

    cases: pd.DataFrame
    latent: pd.DataFrame
    design: pd.DataFrame
    forces: pd.DataFrame
    config: SyntheticConfig


def generate_cases(
    *,
    forces: list[str] | tuple[str, ...] | None = None,
    start: str = "2019-04-01",
    end: str = "2024-03-31",
    extract_date: str | None = None,
    scale: float = 1.0,
    seed: int = 0,
    config: SyntheticConfig | None = None,
) -> pd.DataFrame:
    """Generate a canonical synthetic ``cases`` frame (one row per recorded RASSO crime).

    Parameters
    ----------
    forces : list of force codes, optional
        Forces to generate (``None``: all 43). Each keeps its national share of volume.
    start, end : str
        First and last recorded date (ISO).
    extract_date : str, optional
        When the extract is taken (default ``end``); later outcomes and stages are not seen.
    scale : float
        Volume multiplier: 1.0 gives about 193,000 crimes a year nationally.
    seed : int
        Seed of the one ``numpy.random.Generator`` used for every case-level draw.
    config : SyntheticConfig, optional
        Every number of the generator (defaults reproduce DOMAIN.md §4).

    Returns
    -------
    DataFrame
        Dictionary columns in dictionary order, with derived ``offence_group`` and
        ``outcome_group``. Use :func:`simulate` for the continuous latent times too.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham", "city_of_london"], scale=0.1, seed=3)
    >>> counts = cases["force"].value_counts()
    >>> bool(counts["durham"] > counts.get("city_of_london", 0))
    True
    """
    return simulate(forces=forces, start=start, end=end, extract_date=extract_date, scale=scale,
                    seed=seed, config=config).cases


def simulate(
    *,
    forces: list[str] | tuple[str, ...] | None = None,
    start: str = "2019-04-01",
    end: str = "2024-03-31",
    extract_date: str | None = None,
    scale: float = 1.0,
    seed: int = 0,
    config: SyntheticConfig | None = None,
) -> Simulation:
    """Like :func:`generate_cases`, also returning the exact continuous times and the design.

    Examples
    --------
    >>> from soteria_research.data.synthetic import simulate
    >>> sim = simulate(forces=["cumbria"], start="2022-04-01", end="2023-03-31", seed=2)
    >>> bool((sim.latent["time"] > 0).all())
    True
    """
    config = config or SyntheticConfig()
    config.check()
    dictionary = load_dictionary()
    start_ts, end_ts, extract_ts = _check_dates(start, end, extract_date)
    if not np.isfinite(scale) or scale <= 0:
        raise ParameterError(f"scale must be a positive number, got {scale!r}.")
    force_table = config.force_table(dictionary.forces)
    selected = _select_forces(force_table, forces)
    rng = np.random.default_rng(seed)
    n_days = (end_ts - start_ts).days + 1
    extract_offset = (extract_ts - start_ts).days

    # --- volumes: national total shared by population x rate multiplier ------------------
    weight = (force_table["population_2011"] * force_table["rate_multiplier"]).to_numpy(float)
    share = weight / weight.sum()
    expected = config.annual_cases * scale * n_days / 365.25 * share[selected]
    counts = rng.multinomial(int(round(expected.sum())), expected / expected.sum())
    force_index = np.repeat(selected, counts)
    recorded = rng.integers(0, n_days, size=force_index.size)
    order = np.lexsort((recorded, force_index))
    force_index, recorded = force_index[order], recorded[order]
    n = force_index.size

    cases = _draw_cases(rng, config, force_index, recorded)
    soteria_offset = ((force_table["soteria_start"] - start_ts).dt.days).to_numpy()
    cases["soteria_active"] = recorded >= soteria_offset[force_index]
    cases["recorded_years_since_2019"] = (recorded + (start_ts - _TREND_ORIGIN).days) / 365.25
    design = _design(cases, config)

    # --- latent competing times ------------------------------------------------------------
    beta = np.array([[config.log_hazard_ratios[c][k] for k in CAUSES] for c in design.columns])
    force_effect = force_table[[f"log_hr_{k}" for k in CAUSES]].to_numpy(float)[force_index]
    linear = design.to_numpy() @ beta + force_effect
    knots = np.asarray(config.baseline_knots, dtype=float)
    latent_times = np.empty((n, len(CAUSES) + 1))
    for k, cause in enumerate(CAUSES):
        target = rng.exponential(size=n) * np.exp(-linear[:, k])
        latent_times[:, k] = _inverse_cumulative_hazard(
            target, knots, np.asarray(config.baseline_hazard[cause], dtype=float))
    latent_times[:, _TRANSFERRED] = rng.exponential(1.0 / config.transfer_rate, size=n)
    cause = latent_times[:, : len(CAUSES)].argmin(axis=1)
    t_cause = latent_times[np.arange(n), cause]
    t_transfer = latent_times[:, _TRANSFERRED]
    censor = (extract_offset - recorded + 1).astype(float)  # the end of the extract day
    horizon = np.minimum(t_transfer, censor)  # what the extract can see of each case

    # --- suspects and stages -------------------------------------------------------------
    suspect_time = _suspect_identification(rng, config, cases, cause, t_cause)
    # Suspects are linked across the whole simulated course, so a later extract of the same
    # seed shows the same people; the extract only hides what has not happened yet.
    named = (suspect_time <= t_cause) & (suspect_time < t_transfer)
    identified = named & (suspect_time < censor)
    people = _people_for_suspects(rng, config, force_index, recorded, named)
    people["seen"] = identified
    outcome_code = _outcome_codes(rng, config, cause, suspect_time, t_cause, people["suspect_age"])
    stages = _stages(rng, config, cause, outcome_code, suspect_time, t_cause)

    def seen(times: np.ndarray) -> np.ndarray:
        return np.isfinite(times) & (times < horizon)

    seen_outcome = t_cause < horizon
    seen_transfer = (t_transfer < censor) & (t_transfer <= t_cause)
    code = np.where(seen_outcome, outcome_code, np.where(seen_transfer, "20", ""))
    outcome_time = np.where(seen_outcome, t_cause, np.where(seen_transfer, t_transfer, np.nan))
    charge_seen = seen_outcome & (cause == 0)
    verdict = np.where(charge_seen, stages["verdict"], np.nan)

    device = _device(rng, config, cases, np.minimum(np.minimum(t_cause, horizon), censor - 1e-6))

    dates = {
        "suspect_identified_date": np.where(identified, suspect_time, np.nan),
        "arrest_date": np.where(seen(stages["arrest"]), stages["arrest"], np.nan),
        "interview_date": np.where(seen(stages["interview"]), stages["interview"], np.nan),
        "file_to_cps_date": np.where(seen(stages["file"]), stages["file"], np.nan),
        "cps_decision_date": np.where(seen(stages["decision"]), stages["decision"], np.nan),
        "charge_date": np.where(charge_seen, t_cause, np.nan),
        "device_requested_date": device["requested"],
        "device_returned_date": np.where(device["returned"] < censor, device["returned"], np.nan),
        "outcome_date": outcome_time,
        "court_outcome_date": np.where(verdict < censor, verdict, np.nan),
    }
    decision = np.where(np.isfinite(dates["cps_decision_date"]), stages["decision_result"], "")
    court = np.where(np.isfinite(dates["court_outcome_date"]), stages["court_outcome"], "")
    officers = _officers(rng, config, force_index, force_table, n_days)

    frame = _assemble(
        dictionary, config, start_ts, extract_ts, force_table, force_index, recorded, cases,
        people, dates, code, decision, court, officers, rng)

    event = np.where(t_cause < np.minimum(t_transfer, censor), cause + 1, 0)
    latent = pd.DataFrame({
        "crime_ref": frame["crime_ref"].to_numpy(),
        "latent_cause": np.asarray(CAUSES, dtype=object)[cause],
        "latent_time": t_cause,
        "transfer_time": t_transfer,
        "censor_time": censor,
        "time": np.minimum(t_cause, np.minimum(t_transfer, censor)),
        "event": event,
        "outcome": np.asarray(("censored",) + CAUSES, dtype=object)[event],
    })
    design.index = frame.index
    return Simulation(cases=frame, latent=latent, design=design,
                      forces=force_table.iloc[selected].reset_index(drop=True), config=config)


def _check_dates(start, end, extract_date):
    try:
        start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
        extract_ts = pd.Timestamp(extract_date if extract_date is not None else end).normalize()
    except (ValueError, TypeError) as error:
        raise ParameterError(f"start, end and extract_date must be ISO dates (YYYY-MM-DD): {error}") from None
    if end_ts < start_ts:
        raise ParameterError(f"end ({end_ts.date()}) is before start ({start_ts.date()}).")
    if extract_ts < end_ts:
        raise ParameterError(
            f"extract_date ({extract_ts.date()}) is before end ({end_ts.date()}): nothing can be "
            "recorded after the extract; set end on or before the extract date.")
    if start_ts < pd.Timestamp("2000-01-01"):
        raise ParameterError("start must be on or after 2000-01-01 (the dictionary's minimum).")
    return start_ts, end_ts, extract_ts


def _select_forces(force_table: pd.DataFrame, forces) -> np.ndarray:
    codes = force_table["force"].tolist()
    if forces is None:
        return np.arange(len(codes))
    if isinstance(forces, str):
        forces = [forces]
    unknown = [f for f in forces if f not in codes]
    if unknown:
        raise ParameterError(
            f"Unknown force code(s) {unknown}; use codes from data_dictionaries/forces.csv such "
            "as 'durham', 'city_of_london', 'metropolitan'.")
    if not forces:
        raise ParameterError("forces is empty: give at least one force code, or None for all 43.")
    return np.array(sorted({codes.index(f) for f in forces}))


def _choice(rng, table: dict, size: int) -> np.ndarray:
    """Indices into ``table``'s keys, drawn with its (normalised) values as probabilities."""
    probs = np.asarray(list(table.values()), dtype=float)
    return rng.choice(len(probs), size=size, p=probs / probs.sum())


def _choice_of(rng, table: dict, levels: tuple[str, ...], size: int, name: str) -> np.ndarray:
    """Indices into ``levels`` drawn from ``table`` (level -> weight), whatever its key order."""
    unknown = sorted(set(table) - set(levels))
    if unknown:
        raise ParameterError(f"SyntheticConfig.{name} has unknown levels {unknown}; use {list(levels)}.")
    return _choice(rng, {level: table.get(level, 0.0) for level in levels}, size)


def _group_people(rng, groups: np.ndarray, share: float, extra_mean: float) -> np.ndarray:
    """Person index per element: within each group, ``share`` of people own 2+ elements."""
    person = np.empty(groups.size, dtype=np.int64)
    next_id = 0
    for group in np.unique(groups):  # a loop over forces, not cases
        members = np.flatnonzero(groups == group)
        m = members.size
        repeat = rng.random(m) < share
        extra = rng.geometric(1.0 / (1.0 + extra_mean), size=m) - 1
        multiplicity = np.where(repeat, 2 + extra, 1)
        ends = np.cumsum(multiplicity)
        slot = np.searchsorted(ends, np.arange(m), side="right")
        person[rng.permutation(members)] = next_id + slot
        next_id += int(slot.max()) + 1 if m else 0
    return person


def _draw_cases(rng, config: SyntheticConfig, force_index, recorded) -> dict:
    n = force_index.size
    victim = _group_people(rng, force_index, config.repeat_victim_share, config.repeat_extra_mean)
    _, victim = np.unique(victim, return_inverse=True)
    n_victims = victim.max() + 1 if n else 0
    first_seen = np.full(n_victims, np.iinfo(np.int64).max)
    np.minimum.at(first_seen, victim, recorded)

    # Per-victim attributes, so a repeat victim keeps sex, ethnicity and birth date.
    not_stated = rng.random(n_victims) < config.sex_not_stated_share
    female = (rng.random(n_victims) < config.female_share / (1 - config.sex_not_stated_share)) & ~not_stated
    sex = np.where(not_stated, 2, np.where(female, 0, 1))
    bands = list(config.victim_age_bands)
    band = _choice(rng, config.victim_age_bands, n_victims)
    low = np.array([int(b.split("-")[0]) for b in bands])[band]
    high = np.array([int(b.split("-")[1]) for b in bands])[band]
    first_age = low + rng.random(n_victims) * (high - low + 1)
    ethnicity = _choice_of(rng, config.victim_ethnicity, _ETHNICITIES, n_victims, "victim_ethnicity")
    mental_health = rng.random(n_victims) < config.mental_health_share
    disability = rng.random(n_victims) < config.disability_share

    age_exact = first_age[victim] + (recorded - first_seen[victim]) / 365.25
    age = np.floor(age_exact).astype(np.int64)
    sex_case = sex[victim]
    is_female = sex_case == 0
    p_rape = np.where(
        is_female, config.rape_share * config.female_share_rape / config.female_share,
        config.rape_share * (1 - config.female_share_rape) / (1 - config.female_share))
    rape = rng.random(n) < p_rape

    # Relationship: adult tables by offence group; children under 16 their own table.
    child = age < 16
    relationship = np.where(
        rape, _choice_of(rng, config.relationship_rape, _RELATIONSHIPS, n, "relationship_rape"),
        _choice_of(rng, config.relationship_other, _RELATIONSHIPS, n, "relationship_other"))
    relationship = np.where(
        child, _choice_of(rng, config.relationship_child, _RELATIONSHIPS, n, "relationship_child"), relationship)
    partner, family = _RELATIONSHIPS.index("partner_ex_partner"), _RELATIONSHIPS.index("family")
    relationship = np.where((relationship == partner) & (age < 13), family, relationship)
    da_prob = np.array([config.domestic_abuse_by_relationship.get(r, 0.0) for r in _RELATIONSHIPS])
    domestic_abuse = rng.random(n) < da_prob[relationship]
    third_party = rng.random(n) < np.where(age < 18, config.third_party_share_child,
                                           config.third_party_share_adult)

    # Offence-to-report delay: non-recent reports need the victim old enough at the offence.
    p_non_recent = np.where(age >= 18, config.non_recent_share_adult,
                            np.where(age >= 5, config.non_recent_share_child, 0.0))
    non_recent = rng.random(n) < p_non_recent
    years = np.minimum(rng.exponential(config.non_recent_delay_years_mean, n), np.maximum(age - 5, 0))
    years = np.minimum(years, 45.0)
    non_recent_days = 366 + np.floor(years * 365.25)
    recent_days = np.where(rng.random(n) < config.recent_same_day_share, rng.integers(0, 2, n),
                           np.minimum(1 + np.floor(rng.exponential(config.recent_delay_days_mean, n)), 364))
    delay = np.where(non_recent, non_recent_days, recent_days).astype(np.int64)
    ongoing = (rng.random(n) < config.ongoing_abuse_share) & (delay >= 7)
    ongoing_days = np.floor(rng.random(n) * np.minimum(delay, 3 * 365)).astype(np.int64)
    report_lag = np.where(rng.random(n) < config.report_same_day_share, 0,
                          1 + np.minimum(np.floor(rng.exponential(config.report_lag_days_mean, n)), 60)).astype(np.int64)
    age_at_offence = age_exact - delay / 365.25 - report_lag / 365.25

    return dict(
        n=n, victim=victim, victim_sex=sex_case, victim_age=age, victim_age_exact=age_exact,
        victim_age_missing=rng.random(n) < config.victim_age_missing_share,
        victim_ethnicity=ethnicity[victim], victim_mental_health=mental_health[victim],
        victim_disability=disability[victim],
        victim_substance_use=rng.random(n) < config.substance_use_share,
        rape=rape, relationship=relationship, domestic_abuse=domestic_abuse,
        third_party_report=third_party, non_recent=non_recent, delay=delay, ongoing=ongoing,
        ongoing_days=ongoing_days, report_lag=report_lag, age_at_offence=age_at_offence,
        offence_code=_offence_codes(rng, config, rape, sex_case, age_at_offence),
        device=rng.random(n) < np.where(rape, config.device_request_share["rape"],
                                        config.device_request_share["other_sexual"]),
    )


def _offence_codes(rng, config, rape, sex, age_at_offence) -> np.ndarray:
    male = sex == 1
    under13, under16, under18 = age_at_offence < 13, age_at_offence < 16, age_at_offence < 18
    rape_code = np.where(male, np.select([under13, under16], ["19H", "19G"], "19F"),
                         np.select([under13, under16], ["19E", "19D"], "19C"))
    assault = np.where(male, np.where(under13, "17B", "17A"), np.where(under13, "20B", "20A"))
    kinds = list(config.other_offence_types)
    kind = np.asarray(kinds)[_choice(rng, config.other_offence_types, rape.size)]
    other = np.select(
        [kind == "child_activity", kind == "causing", kind == "incest", kind == "mental_disorder",
         kind == "exploitation", kind == "trust", kind == "grooming", kind == "exposure"],
        [np.select([under13, under16], ["21", "22B"], assault), "22A", "23", "70",
         np.where(under18, "71", "22A"), np.where(under18 & ~under13, "73", assault),
         np.where(under16, "88A", "88E"), "88E"],
        assault)
    return np.where(rape, rape_code, other)


def _design(cases: dict, config: SyntheticConfig) -> pd.DataFrame:
    age_seen = ~cases["victim_age_missing"]
    values = {
        "offence_group[other_sexual]": ~cases["rape"],
        "non_recent": cases["non_recent"],
        "victim_under_18": age_seen & (cases["victim_age"] < 18),
        "device_requested": cases["device"],
        "soteria_active": cases["soteria_active"],
        "recorded_years_since_2019": cases["recorded_years_since_2019"],
    }
    for name in ("domestic_abuse", "third_party_report", "victim_mental_health",
                 "victim_disability", "victim_substance_use"):
        values[name] = cases[name]
    levels = {"relationship": _RELATIONSHIPS, "victim_sex": _SEXES, "victim_ethnicity": _ETHNICITIES}
    columns = {}
    for name in config.log_hazard_ratios:
        if name in values:
            columns[name] = values[name]
        elif "[" in name and name.split("[")[0] in levels:
            field, level = name[:-1].split("[", 1)
            columns[name] = cases[field] == levels[field].index(level)
        else:
            raise ParameterError(
                f"log_hazard_ratios has covariate {name!r} that the generator cannot code; "
                f"known: {sorted(values)} and relationship/victim_sex/victim_ethnicity[level].")
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in columns.items()})


def _suspect_identification(rng, config, cases, cause, t_cause) -> np.ndarray:
    """Continuous days from recording to the suspect being named (inf: never), by outcome."""
    n = cause.size
    table = np.array([config.suspect_identification[r] for r in _RELATIONSHIPS], dtype=float)
    p_ever, p_same_day, mean_days = table[cases["relationship"]].T
    ever = rng.random(n) < p_ever
    same_day = rng.random(n) < p_same_day
    natural = np.where(same_day, rng.random(n), 1.0 + rng.exponential(1.0, n) * mean_days)
    natural = np.where(ever, natural, np.inf)
    # Charges, evidential-difficulty and "other" outcomes need a named suspect first; a
    # no-suspect outcome means none was named; a withdrawal keeps the natural course (14 or 16).
    needs = np.isin(cause, [0, 2, 4])
    forced = np.where(natural < t_cause, natural, t_cause * rng.random(n))
    suspect = np.where(needs, forced, natural)
    return np.where(cause == 3, np.inf, suspect)


def _people_for_suspects(rng, config, force_index, recorded, identified) -> dict:
    n = force_index.size
    rows = np.flatnonzero(identified)
    suspect = np.full(n, -1, dtype=np.int64)
    if rows.size:
        person = _group_people(rng, force_index[rows], config.repeat_suspect_share, config.repeat_extra_mean)
        person = _cross_force_swaps(rng, person, config.cross_force_share)
        _, person = np.unique(person, return_inverse=True)
        suspect[rows] = person
    n_people = int(suspect.max()) + 1 if n else 0
    first_seen = np.full(max(n_people, 0), np.iinfo(np.int64).max)
    np.minimum.at(first_seen, suspect[rows], recorded[rows])
    first_age = np.minimum(12 + rng.gamma(2.5, 10.0, n_people), 95)
    sex_draw = rng.random(n_people)
    sex = np.where(sex_draw < config.suspect_male_share, 1, np.where(sex_draw < 0.99, 0, 2))
    ethnicity = _choice_of(rng, config.suspect_ethnicity, _ETHNICITIES, n_people, "suspect_ethnicity")
    person = np.where(suspect >= 0, suspect, 0)
    age = np.where(suspect >= 0, np.floor(first_age[person] + (recorded - first_seen[person]) / 365.25), -1)
    return dict(suspect=suspect, suspect_age=age.astype(np.int64), suspect_sex=sex[person],
                suspect_ethnicity=ethnicity[person])


def _cross_force_swaps(rng, person: np.ndarray, share: float) -> np.ndarray:
    # Swap one case of some repeat suspects with a one-case suspect elsewhere: the repeat share
    # is unchanged and those suspects now span forces.
    counts = np.bincount(person)
    repeaters = np.flatnonzero(counts >= 2)
    singles = np.flatnonzero(counts[person] == 1)
    k = min(int(round(share * repeaters.size)), singles.size)
    if k == 0:
        return person
    chosen = rng.choice(repeaters, size=k, replace=False)
    # One case of each chosen repeater: its first position in a random order.
    shuffled = rng.permutation(person.size)
    _, first = np.unique(person[shuffled], return_index=True)
    case_of = np.full(counts.size, -1)
    case_of[person[shuffled][first]] = shuffled[first]
    repeat_rows = case_of[chosen]
    single_rows = rng.choice(singles, size=k, replace=False)
    person = person.copy()
    person[repeat_rows], person[single_rows] = person[single_rows], person[repeat_rows].copy()
    return person


def _outcome_codes(rng, config, cause, suspect_time, t_cause, suspect_age) -> np.ndarray:
    n = cause.size
    charge = np.where(rng.random(n) < config.charge_alternative_share, "1A", "1")
    withdrawal = np.where(suspect_time <= t_cause, "16", "14")
    other_codes = np.asarray(list(config.other_outcome_codes), dtype=object)
    other = other_codes[_choice(rng, config.other_outcome_codes, n)]
    caution = np.isin(other, ["2", "3"])
    other = np.where(caution, np.where((suspect_age >= 0) & (suspect_age < 18), "2", "3"), other)
    return np.select([cause == 0, cause == 1, cause == 2, cause == 3],
                     [charge, withdrawal, "15", "18"], other).astype(object)


def _stages(rng, config, cause, outcome_code, suspect_time, t_cause) -> dict:
    """Stage times (continuous days from recording) of each case's full course to its outcome."""
    n = cause.size
    named = np.isfinite(suspect_time) & (suspect_time <= t_cause)
    s = np.where(named, suspect_time, 0.0)
    span = np.where(named, t_cause - s, 0.0)
    interview_p = np.array([config.interview_share[c] for c in CAUSES])[cause]
    file_p = np.array([config.file_share[c] for c in CAUSES])[cause]
    cps_npi = outcome_code == "9"
    interviewed = named & ((rng.random(n) < interview_p) | cps_npi)
    filed = interviewed & ((rng.random(n) < file_p) | cps_npi)
    interview = s + span * 0.5 * rng.beta(1.0, 2.0, n)
    arrested = rng.random(n) < config.arrest_share
    arrest = np.where(rng.random(n) < 0.6, interview, s + (interview - s) * rng.random(n))
    # Not interviewed: a few are still arrested before the case closes.
    arrest_only = named & ~interviewed & (rng.random(n) < 0.10)
    arrest = np.where(interviewed, arrest, s + span * 0.3 * rng.random(n))
    arrested = np.where(interviewed, arrested, arrest_only)
    is_charge = cause == 0
    lag = np.where(is_charge,
                   np.where(rng.random(n) < config.decision_to_charge_same_day_share, 0.0,
                            rng.exponential(5.0, n)),
                   rng.exponential(10.0, n))
    decision = np.maximum(t_cause - lag, interview)
    gap = rng.gamma(2.0, config.file_to_decision_days_mean / 2.0, n)
    file = np.maximum(decision - gap, interview)
    result_ed = np.where(rng.random(n) < 0.85, "no_further_action", "further_investigation")
    result_other = np.where(np.isin(outcome_code, ["2", "3", "4", "8", "22"]), "out_of_court",
                            "no_further_action")
    result = np.select([cause == 0, cause == 2, cause == 4], ["charge", result_ed, result_other],
                       "no_further_action").astype(object)
    decided = filed & ((cause != 1) | (rng.random(n) < 0.5))
    verdict_shape = (config.charge_to_verdict_days_mean / config.charge_to_verdict_days_sd) ** 2
    verdict = t_cause + rng.gamma(verdict_shape, config.charge_to_verdict_days_mean / verdict_shape, n)
    courts = np.asarray(list(config.court_outcome), dtype=object)
    return dict(
        arrest=np.where(named & arrested, arrest, np.inf),
        interview=np.where(interviewed, interview, np.inf),
        file=np.where(filed, file, np.inf),
        decision=np.where(decided, decision, np.inf),
        decision_result=result,
        verdict=np.where(is_charge, verdict, np.inf),
        court_outcome=courts[_choice(rng, config.court_outcome, n)],
    )


def _device(rng, config, cases, latest) -> dict:
    n = cases["n"]
    requested = -cases["report_lag"] + rng.exponential(config.device_request_days_mean, n)
    requested = np.maximum(np.minimum(requested, latest), -cases["report_lag"])
    returned = requested + rng.lognormal(np.log(config.device_return_days_median), 0.8, n)
    returns = rng.random(n) < config.device_return_share
    return dict(
        requested=np.where(cases["device"], requested, np.nan),
        returned=np.where(cases["device"] & returns, returned, np.inf),
    )


def _officers(rng, config, force_index, force_table, n_days) -> np.ndarray:
    """Officer number (global) per case: each force's cases shared unevenly among its officers."""
    officer = np.empty(force_index.size, dtype=np.int64)
    next_id = 0
    years = n_days / 365.25
    for force in np.unique(force_index):  # a loop over forces, not cases
        members = np.flatnonzero(force_index == force)
        n_officers = max(1, int(np.ceil(members.size / (config.officer_cases_per_year * years))))
        weight = rng.gamma(config.officer_caseload_shape, 1.0, n_officers)
        officer[members] = next_id + rng.choice(n_officers, size=members.size, p=weight / weight.sum())
        next_id += n_officers
    return officer


def _pseudonyms(prefix: str, numbers: np.ndarray, rng, width: int = 9) -> np.ndarray:
    # A bijective affine scramble of 0..10**width-1: unique, and not in recording order.
    modulus = 10**width
    offset = int(rng.integers(0, modulus))
    if numbers.size and numbers.max() + 1 < numbers.size:  # fewer people than cases: label once
        return _scrambled_labels(prefix, np.arange(numbers.max() + 1), offset, width)[numbers]
    return _scrambled_labels(prefix, numbers, offset, width)


def _scrambled_labels(prefix: str, numbers: np.ndarray, offset: int, width: int) -> np.ndarray:
    modulus = 10**width
    scrambled = (numbers.astype(np.int64) * 387_420_489 + offset) % modulus
    # Build the ASCII bytes arithmetically: string formatting per element would be a loop.
    digits = np.empty((numbers.size, width), dtype=np.uint8)
    rest = scrambled.astype(np.uint32)  # below 10**9 < 2**32, and 32-bit division is faster
    for place in range(width - 1, -1, -1):  # a loop over digit places, not cases
        rest, digit = np.divmod(rest, np.uint32(10))
        digits[:, place] = digit + ord("0")
    head = np.broadcast_to(np.frombuffer(prefix.encode("ascii"), dtype=np.uint8), (numbers.size, len(prefix)))
    raw = np.ascontiguousarray(np.hstack([head, digits]))
    return raw.view(f"S{len(prefix) + width}").ravel().astype(f"U{len(prefix) + width}").astype(object)


def _assemble(dictionary, config, start_ts, extract_ts, force_table, force_index, recorded, cases,
              people, dates, code, decision, court, officers, rng) -> pd.DataFrame:
    n = cases["n"]
    base = np.datetime64(start_ts.date(), "D")

    def day(offsets) -> np.ndarray:
        offsets = np.asarray(offsets, dtype=float)
        whole = np.where(np.isfinite(offsets), np.floor(offsets), 0).astype(np.int64)
        values = (base + whole.astype("timedelta64[D]")).astype("datetime64[ns]")
        return np.where(np.isfinite(offsets), values, np.datetime64("NaT"))

    def text(values, missing) -> np.ndarray:
        values = np.asarray(values, dtype=object)
        return np.where(missing, np.nan, values)

    report = recorded - cases["report_lag"]
    offence_start = report - cases["delay"]
    offence_end = np.where(cases["ongoing"], offence_start + cases["ongoing_days"], np.nan)
    has_suspect = people["seen"]
    sexes = np.asarray(_SEXES, dtype=object)
    ethnicities = np.asarray(_ETHNICITIES, dtype=object)
    relationships = np.asarray(_RELATIONSHIPS, dtype=object)
    victim_age = pd.arrays.IntegerArray(cases["victim_age"].astype(np.int64), cases["victim_age_missing"].copy())
    suspect_age = pd.arrays.IntegerArray(np.maximum(people["suspect_age"], 0).astype(np.int64), ~has_suspect)
    code_missing = code == ""
    outcome_groups = pd.Series(code, dtype=object).map(dictionary.outcome_group_map).fillna("open")

    # Dates live relative to the recording day; shift to the calendar.
    rel = {name: values + recorded for name, values in dates.items()}
    columns = {
        "crime_ref": _pseudonyms("CR", np.arange(n), rng),
        "force": force_table["force"].to_numpy(dtype=object)[force_index],
        "offence_code": cases["offence_code"].astype(object),
        "offence_group": np.where(cases["rape"], "rape", "other_sexual").astype(object),
        "offence_start_date": day(offence_start),
        "offence_end_date": day(offence_end),
        "report_date": day(report),
        "recorded_date": day(recorded),
        "third_party_report": cases["third_party_report"],
        "domestic_abuse": cases["domestic_abuse"],
        "victim_id": _pseudonyms("V", cases["victim"], rng),
        "victim_age": victim_age,
        "victim_sex": sexes[cases["victim_sex"]],
        "victim_ethnicity": ethnicities[cases["victim_ethnicity"]],
        "victim_mental_health": cases["victim_mental_health"],
        "victim_disability": cases["victim_disability"],
        "victim_substance_use": cases["victim_substance_use"],
        "suspect_id": text(_pseudonyms("S", np.maximum(people["suspect"], 0), rng), ~has_suspect),
        "suspect_age": suspect_age,
        "suspect_sex": text(sexes[people["suspect_sex"]], ~has_suspect),
        "suspect_ethnicity": text(ethnicities[people["suspect_ethnicity"]], ~has_suspect),
        "relationship": relationships[cases["relationship"]],
        "officer_id": _pseudonyms("OF", officers, rng, width=7),
    }
    for name, offsets in rel.items():
        columns[name] = day(offsets)
    columns["cps_decision"] = text(decision, decision == "")
    columns["outcome_code"] = text(code, code_missing)
    columns["outcome_group"] = outcome_groups.to_numpy(dtype=object)
    columns["court_outcome"] = text(court, court == "")
    columns["extract_date"] = np.full(n, np.datetime64(extract_ts.date(), "D")).astype("datetime64[ns]")
    # copy=False keeps one block per column: consolidating 40 columns would double the time.
    return pd.DataFrame({name: columns[name] for name in dictionary.field_names}, copy=False)


# ------------------------------------------------------------------------------------------
# calibration
# ------------------------------------------------------------------------------------------
# Each target: (name, how the source measured it, DOMAIN.md §4 wording, kind, low, high).
# Where the source gives one value ("about X") the range is X +/- about 10%, stated here.
CALIBRATION_TARGETS = (
    ("recorded_rapes_per_year", "rapes recorded a year, FY2022/23-2023/24, divided by scale",
     "about 68,000-71,000 (2022-2024)", "fact", 68_000, 71_000),
    ("rape_share", "rape share of all RASSO crimes recorded", "rape about 36% of sexual offences",
     "fact", 0.34, 0.38),
    ("rape_charge_share_2019_2022", "rapes recorded FY2019/20-2021/22, charged by 30 June after "
     "the year (as published, with cases still open)", "1.3-1.6% (2019-2022)", "fact", 0.013, 0.016),
    ("rape_charge_share_2022_2023", "rapes recorded FY2022/23, charged by 30 June 2023",
     "about 2-2.7% (2022-2024)", "fact", 0.020, 0.027),
    ("rape_outcome_16_share", "outcome 16 among outcomes assigned by the extract, rapes recorded "
     "FY2019/20-2020/21", "41-48% (2018-2021)", "fact", 0.41, 0.48),
    ("rape_outcome_15_share", "outcome 15, same cohort and denominator", "about 20-30% (setting)",
     "setting", 0.20, 0.30),
    ("rape_outcome_14_18_share", "outcomes 14 and 18, same cohort and denominator",
     "about 5-15% (setting)", "setting", 0.05, 0.15),
    ("rape_open_12_24_months", "rapes recorded in 2020 with no outcome by 31 January 2022",
     "about 1 in 8", "fact", 0.10, 0.15),
    ("rape_median_days_to_charge", "median days recorded -> charge, rape charges assigned in "
     "FY2022/23", "381-467 (2018/19-2022/23)", "fact", 381, 467),
    ("rape_median_days_to_outcome", "median days recorded -> any outcome, rape outcomes assigned "
     "in FY2022/23", "about 98 (2019/20)", "fact", 88, 108),
    ("withdrawal_within_7_days", "withdrawals (14, 16) within 7 days of the report, all RASSO "
     "recorded FY2019/20-2021/22", "roughly 2 in 5", "fact", 0.35, 0.45),
    ("withdrawal_within_30_days", "withdrawals within 30 days of the report, same cohort",
     "about 2 in 3", "fact", 0.60, 0.72),
    ("female_share", "victims recorded female, all RASSO", "about 84%", "fact", 0.82, 0.86),
    ("female_share_rape", "victims recorded female, rape", "about 90%", "fact", 0.88, 0.92),
    ("rape_domestic_abuse_share", "rapes flagged domestic abuse", "about a third", "fact", 0.30, 0.37),
    ("rape_partner_share", "rapes by a partner or ex-partner", "roughly a third", "fact", 0.28, 0.38),
    ("rape_stranger_share", "rapes by a stranger", "about 7-10%", "fact", 0.07, 0.10),
    ("rape_acquaintance_lead", "acquaintance/friend share minus the next largest relationship "
     "(rape; positive = largest group)", "acquaintance/friend the largest group", "fact", 0.0, 1.0),
    ("repeat_suspect_share", "suspect ids with two or more cases, among suspect ids",
     "about a quarter (setting)", "setting", 0.20, 0.30),
    ("vulnerability_share", "victims with a mental-health, disability or substance flag",
     "about a third (setting)", "setting", 0.30, 0.37),
    ("cps_charge_share_2023", "CPS decisions in 2023 that authorised charge", "about 70-73% (2023)",
     "fact", 0.70, 0.73),
    ("cps_mean_days_file_to_decision", "mean days file -> CPS decision, decisions in 2023",
     "about 166 (2023)", "fact", 150, 182),
    ("conviction_rate", "court outcomes that are convictions", "57-71%", "fact", 0.57, 0.71),
    ("charge_to_verdict_mean_days", "mean days charge -> court outcome, outcomes in FY2023/24",
     "about 450", "fact", 405, 495),
)


def calibration_table(cases: pd.DataFrame, *, scale: float = 1.0) -> pd.DataFrame:
    """Each national calibration target of DOMAIN.md §4 against its value in ``cases``.

    Every target is computed the way its source measured it, on the cohort it describes:
    published charge rates count charges assigned by the publication date (so cases still
    open), "open 12-24 months" checks the 2020 cohort in January 2022, time to outcome uses
    outcomes assigned in a year. Run it on a national extract covering 2019-04-01..2024-03-31
    (the default of :func:`generate_cases`); a target whose cohort is absent is NaN.

    Parameters
    ----------
    cases : DataFrame
        Canonical cases.
    scale : float
        The ``scale`` the cases were generated at (volumes are divided by it).

    Returns
    -------
    DataFrame
        ``target, measure, source, kind, low, high, generated, within_range, n``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases, calibration_table
    >>> table = calibration_table(generate_cases(scale=0.01, seed=1), scale=0.01)
    >>> list(table.columns[:2])
    ['target', 'measure']
    """
    values = _calibration_values(cases, scale)
    rows = []
    for name, measure, source, kind, low, high in CALIBRATION_TARGETS:
        generated, n = values.get(name, (np.nan, 0))
        within = bool(low <= generated <= high) if np.isfinite(generated) else False
        rows.append(dict(target=name, measure=measure, source=source, kind=kind, low=low, high=high,
                         generated=float(generated), within_range=within, n=int(n)))
    return pd.DataFrame(rows)


def _share(mask: pd.Series, within: pd.Series) -> tuple[float, int]:
    n = int(within.sum())
    return (float((mask & within).sum() / n) if n else np.nan), n


def _calibration_values(cases: pd.DataFrame, scale: float) -> dict:
    ts = pd.Timestamp
    rape = cases["offence_group"].eq("rape")
    recorded, outcome_date = cases["recorded_date"], cases["outcome_date"]
    code = cases["outcome_code"]

    def between(dates, first, last):
        return dates.ge(ts(first)) & dates.le(ts(last))

    out = {}
    recent = between(recorded, "2022-04-01", "2024-03-31")
    years = (min(recorded.max(), ts("2024-03-31")) - ts("2022-04-01")).days / 365.25 if recent.any() else 0
    out["recorded_rapes_per_year"] = (
        ((rape & recent).sum() / years / scale if years > 1.9 else np.nan), int((rape & recent).sum()))
    out["rape_share"] = _share(rape, pd.Series(True, index=cases.index))
    charged = code.isin(["1", "1A"])
    fy_end = _financial_year_end(recorded)
    published = outcome_date.le(fy_end + pd.DateOffset(months=3))
    out["rape_charge_share_2019_2022"] = _share(
        charged & published, rape & between(recorded, "2019-04-01", "2022-03-31"))
    out["rape_charge_share_2022_2023"] = _share(
        charged & published, rape & between(recorded, "2022-04-01", "2023-03-31"))
    assigned = rape & between(recorded, "2019-04-01", "2021-03-31") & code.notna() & code.ne("20")
    out["rape_outcome_16_share"] = _share(code.eq("16"), assigned)
    out["rape_outcome_15_share"] = _share(code.eq("15"), assigned)
    out["rape_outcome_14_18_share"] = _share(code.isin(["14", "18"]), assigned)
    still_open = outcome_date.isna() | outcome_date.gt(ts("2022-01-31"))
    out["rape_open_12_24_months"] = _share(still_open, rape & between(recorded, "2020-01-01", "2020-12-31"))
    days = (outcome_date - recorded).dt.days
    in_fy = between(outcome_date, "2022-04-01", "2023-03-31")
    charge_days = days[rape & charged & in_fy]
    out["rape_median_days_to_charge"] = (charge_days.median(), charge_days.size)
    outcome_days = days[rape & in_fy & code.notna()]
    out["rape_median_days_to_outcome"] = (outcome_days.median(), outcome_days.size)
    withdrawn = code.isin(["14", "16"]) & between(recorded, "2019-04-01", "2022-03-31")
    from_report = (outcome_date - cases["report_date"]).dt.days
    out["withdrawal_within_7_days"] = _share(from_report.le(7), withdrawn)
    out["withdrawal_within_30_days"] = _share(from_report.le(30), withdrawn)
    everyone = pd.Series(True, index=cases.index)
    female = cases["victim_sex"].eq("female")
    out["female_share"] = _share(female, everyone)
    out["female_share_rape"] = _share(female, rape)
    out["rape_domestic_abuse_share"] = _share(cases["domestic_abuse"], rape)
    relationship = cases.loc[rape, "relationship"].value_counts(normalize=True)
    none = np.nan if relationship.empty else 0.0
    out["rape_partner_share"] = (relationship.get("partner_ex_partner", none), int(rape.sum()))
    out["rape_stranger_share"] = (relationship.get("stranger", none), int(rape.sum()))
    others = relationship.drop("acquaintance_friend", errors="ignore")
    out["rape_acquaintance_lead"] = (
        relationship.get("acquaintance_friend", none) - (others.max() if len(others) else 0.0), int(rape.sum()))
    per_suspect = cases["suspect_id"].value_counts()
    out["repeat_suspect_share"] = (float(per_suspect.ge(2).mean()) if len(per_suspect) else np.nan,
                                   len(per_suspect))
    flagged = cases["victim_mental_health"] | cases["victim_disability"] | cases["victim_substance_use"]
    out["vulnerability_share"] = _share(flagged, everyone)
    decided_2023 = between(cases["cps_decision_date"], "2023-01-01", "2023-12-31")
    out["cps_charge_share_2023"] = _share(cases["cps_decision"].eq("charge"), decided_2023)
    file_days = (cases["cps_decision_date"] - cases["file_to_cps_date"]).dt.days[decided_2023]
    out["cps_mean_days_file_to_decision"] = (file_days.mean(), file_days.size)
    court = cases["court_outcome"]
    out["conviction_rate"] = _share(court.eq("convicted"), court.notna())
    verdict_fy = between(cases["court_outcome_date"], "2023-04-01", "2024-03-31")
    verdict_days = (cases["court_outcome_date"] - cases["charge_date"]).dt.days[verdict_fy]
    out["charge_to_verdict_mean_days"] = (verdict_days.mean(), verdict_days.size)
    return out


def _financial_year_end(dates: pd.Series) -> pd.Series:
    """31 March ending the financial year (April-March) of each date."""
    year = dates.dt.year + (dates.dt.month >= 4).astype(int)
    return pd.to_datetime(year.astype(str) + "-03-31", errors="coerce")


def write_cases(cases: pd.DataFrame, path: str | Path) -> Path:
    """Write canonical cases to Parquet or CSV (ISO dates, empty for missing) by extension.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from soteria_research.data.synthetic import generate_cases, write_cases
    >>> cases = generate_cases(forces=["cumbria"], start="2023-01-01", end="2023-03-31", seed=1)
    >>> write_cases(cases, pathlib.Path(tempfile.mkdtemp()) / "cases.csv").name
    'cases.csv'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv"):
        raise ParameterError(f"Cannot write {path}: use a .csv or .parquet file name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Whole or not at all: an interrupted run must not leave a half-written file that make
    # (or a later session) would take for the finished data set.
    partial = path.with_name(f".{path.name}.partial")
    if suffix == ".csv":
        cases.to_csv(partial, index=False, date_format="%Y-%m-%d", lineterminator="\n")
    else:
        cases.to_parquet(partial, index=False)
    os.replace(partial, path)
    return path
