"""The crime and its victim: who reports, their age and sex, the relationship to the suspect,
flags, the offence-to-report delay and the Home Office offence code. Forces differ in case mix
by known log-odds shifts (``force_table``'s ``mix_*`` columns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import RELATIONSHIPS, SyntheticConfig
from .people import ETHNICITIES, choice, choice_of, group_people, row_choice


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _shift_probability(p: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """``p`` with its log-odds moved by ``shift`` (0 and 1 stay put)."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore"):
        logit = np.log(p) - np.log1p(-p)
    return np.where((p > 0) & (p < 1), _expit(logit + shift), p)


def female_probability(config: SyntheticConfig) -> tuple[float, float]:
    """P(victim female) for rape and for other sexual offences, so that both published shares hold."""
    rape = sum(config.recorded_per_year["rape"].values())
    other = sum(config.recorded_per_year["other_sexual"].values())
    rape_share = rape / (rape + other)
    p_other = (config.female_share - rape_share * config.female_share_rape) / (1 - rape_share)
    return config.female_share_rape, float(np.clip(p_other, 0.0, 1.0))


def age_band_table(config: SyntheticConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper age of each band, which bands are children, and P(band) per offence group."""
    bands = list(config.victim_age_bands["rape"])
    low = np.array([int(b.split("-")[0]) for b in bands])
    high = np.array([int(b.split("-")[1]) for b in bands])
    probs = np.array([[config.victim_age_bands[g].get(b, 0.0) for b in bands]
                      for g in ("rape", "other_sexual")], dtype=float)
    return low, high, high < 18, probs / probs.sum(axis=1, keepdims=True)


def draw_crimes(rng, config: SyntheticConfig, force_table: pd.DataFrame, force_index: np.ndarray,
                recorded: np.ndarray, rape: np.ndarray) -> dict:
    """Victims and the crime for each case (arrays aligned with ``force_index``)."""
    n = force_index.size
    mix = {item: force_table[f"mix_{item}"].to_numpy(float)[force_index]
           for item in ("child_victim", "partner", "domestic_abuse", "non_recent")}

    # Sex by offence group; repeat victims are grouped within force and sex, so keep their sex.
    p_female_rape, p_female_other = female_probability(config)
    not_stated = rng.random(n) < config.sex_not_stated_share
    p_female = np.where(rape, p_female_rape, p_female_other) / (1 - config.sex_not_stated_share)
    female = rng.random(n) < p_female
    sex = np.where(not_stated, 2, np.where(female, 0, 1))
    victim = group_people(rng, force_index * 3 + sex, config.repeat_victim_share, config.repeat_extra_mean)
    _, victim = np.unique(victim, return_inverse=True)
    n_victims = int(victim.max()) + 1 if n else 0
    first_key = np.full(n_victims, np.iinfo(np.int64).max)
    np.minimum.at(first_key, victim, recorded.astype(np.int64) * n + np.arange(n))
    first_row, first_seen = first_key % max(n, 1), first_key // max(n, 1)

    # A victim's age at their first case follows that case's offence group and force.
    low, high, child_band, probs = age_band_table(config)
    weights = probs[np.where(rape[first_row], 0, 1)] * np.exp(
        np.outer(mix["child_victim"][first_row], child_band))
    band = row_choice(rng, weights)
    first_age = low[band] + rng.random(n_victims) * (high[band] - low[band] + 1)
    ethnicity = choice_of(rng, config.victim_ethnicity, ETHNICITIES, n_victims, "victim_ethnicity")
    mental_health = rng.random(n_victims) < config.mental_health_share
    disability = rng.random(n_victims) < config.disability_share
    age_exact = first_age[victim] + (recorded - first_seen[victim]) / 365.25
    age = np.floor(age_exact).astype(np.int64)

    # Relationship: adult tables by offence group, children under 16 their own; the force's
    # partner shift changes the odds of a partner or ex-partner.
    tables = np.array([[getattr(config, name).get(r, 0.0) for r in RELATIONSHIPS]
                       for name in ("relationship_rape", "relationship_other", "relationship_child")])
    partner, family = RELATIONSHIPS.index("partner_ex_partner"), RELATIONSHIPS.index("family")
    table_index = np.where(age < 16, 2, np.where(rape, 0, 1))
    weights = tables[table_index]
    weights[:, partner] *= np.exp(mix["partner"])
    relationship = row_choice(rng, weights)
    relationship = np.where((relationship == partner) & (age < 13), family, relationship)
    da_prob = np.array([config.domestic_abuse_by_relationship.get(r, 0.0) for r in RELATIONSHIPS])
    domestic_abuse = rng.random(n) < _shift_probability(da_prob[relationship], mix["domestic_abuse"])
    third_party = rng.random(n) < np.where(age < 18, config.third_party_share_child,
                                           config.third_party_share_adult)

    # Offence-to-report delay: non-recent reports need the victim old enough at the offence.
    p_non_recent = np.where(age >= 18, config.non_recent_share_adult,
                            np.where(age >= 5, config.non_recent_share_child, 0.0))
    non_recent = rng.random(n) < _shift_probability(p_non_recent, mix["non_recent"])
    years = np.minimum(rng.exponential(config.non_recent_delay_years_mean, n), np.maximum(age - 5, 0))
    years = np.minimum(years, 45.0)
    non_recent_days = 366 + np.floor(years * 365.25)
    recent_days = np.where(rng.random(n) < config.recent_same_day_share, rng.integers(0, 2, n),
                           np.minimum(1 + np.floor(rng.exponential(config.recent_delay_days_mean, n)), 364))
    delay = np.where(non_recent, non_recent_days, recent_days).astype(np.int64)
    ongoing = (rng.random(n) < config.ongoing_abuse_share) & (delay >= 7)
    ongoing_days = np.floor(rng.random(n) * np.minimum(delay, 3 * 365)).astype(np.int64)
    report_lag = np.where(rng.random(n) < config.report_same_day_share, 0,
                          1 + np.minimum(np.floor(rng.exponential(config.report_lag_days_mean, n)), 60)
                          ).astype(np.int64)
    age_at_offence = age_exact - delay / 365.25 - report_lag / 365.25

    return dict(
        n=n, victim=victim, victim_sex=sex, victim_age=age, victim_age_exact=age_exact,
        victim_age_missing=rng.random(n) < config.victim_age_missing_share,
        victim_ethnicity=ethnicity[victim], victim_mental_health=mental_health[victim],
        victim_disability=disability[victim],
        victim_substance_use=rng.random(n) < config.substance_use_share,
        rape=rape, relationship=relationship, domestic_abuse=domestic_abuse,
        third_party_report=third_party, non_recent=non_recent, delay=delay, ongoing=ongoing,
        ongoing_days=ongoing_days, report_lag=report_lag, age_at_offence=age_at_offence,
        offence_code=offence_codes(rng, config, rape, sex, age_at_offence),
    )


#: Offence codes the generator assigns, indexed by the integer codes ``offence_codes`` builds.
_CODES = ("19C", "19D", "19E", "19F", "19G", "19H", "17A", "17B", "20A", "20B", "21", "22A", "22B",
          "23", "70", "71", "73", "88A", "88E")


def offence_codes(rng, config: SyntheticConfig, rape, sex, age_at_offence) -> np.ndarray:
    """Home Office offence code from the offence group, the victim's sex and age at the offence."""
    c = {code: i for i, code in enumerate(_CODES)}
    male = sex == 1
    under13, under16, under18 = age_at_offence < 13, age_at_offence < 16, age_at_offence < 18
    # Integer codes throughout (string arrays are slow); text only at the end.
    rape_code = np.where(male, np.where(under13, c["19H"], np.where(under16, c["19G"], c["19F"])),
                         np.where(under13, c["19E"], np.where(under16, c["19D"], c["19C"])))
    assault = np.where(male, np.where(under13, c["17B"], c["17A"]), np.where(under13, c["20B"], c["20A"]))
    kinds = list(config.other_offence_types)
    kind = choice(rng, config.other_offence_types, rape.size)
    by_kind = {
        "child_activity": np.where(under13, c["21"], np.where(under16, c["22B"], assault)),
        "causing": c["22A"], "incest": c["23"], "mental_disorder": c["70"],
        "exploitation": np.where(under18, c["71"], c["22A"]),
        "trust": np.where(under18 & ~under13, c["73"], assault),
        "grooming": np.where(under16, c["88A"], c["88E"]), "exposure": c["88E"],
    }
    other = assault
    for i, name in enumerate(kinds):  # a loop over the kinds of offence, not cases
        if name in by_kind:
            other = np.where(kind == i, by_kind[name], other)
    return np.asarray(_CODES, dtype=object)[np.where(rape, rape_code, other)]
