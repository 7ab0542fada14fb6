"""People behind the cases: repeat victims and suspects, suspects' ages, officers, and the random
effects (suspect frailty, officer effect) that make one person's cases alike.
"""

from __future__ import annotations

import numpy as np

from .config import RELATIONSHIPS, SyntheticConfig

ETHNICITIES = ("white", "black", "asian", "mixed", "other", "not_stated")
SEXES = ("female", "male", "not_stated")


def choice(rng, table: dict, size: int) -> np.ndarray:
    """Indices into ``table``'s keys, drawn with its (normalised) values as probabilities."""
    probs = np.asarray(list(table.values()), dtype=float)
    return rng.choice(len(probs), size=size, p=probs / probs.sum())


def choice_of(rng, table: dict, levels: tuple[str, ...], size: int, name: str) -> np.ndarray:
    """Indices into ``levels`` drawn from ``table`` (level -> weight), whatever its key order."""
    from ...errors import ParameterError

    unknown = sorted(set(table) - set(levels))
    if unknown:
        raise ParameterError(f"SyntheticConfig.{name} has unknown levels {unknown}; use {list(levels)}.")
    return choice(rng, {level: table.get(level, 0.0) for level in levels}, size)


def row_choice(rng, weights: np.ndarray) -> np.ndarray:
    """One index per row of ``weights`` (rows need not sum to one): inverse CDF, vectorised."""
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(weights.shape[0]) * cumulative[:, -1]
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), weights.shape[1] - 1)


def group_people(rng, groups: np.ndarray, share: float, extra_mean: float) -> np.ndarray:
    """Person index per element: within each group, ``share`` of people own 2+ elements."""
    person = np.empty(groups.size, dtype=np.int64)
    next_id = 0
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    for members in np.split(order, bounds):  # a loop over groups (forces x strata), not cases
        m = members.size
        if m == 0:
            continue
        repeat = rng.random(m) < share
        extra = rng.geometric(1.0 / (1.0 + extra_mean), size=m) - 1
        multiplicity = np.where(repeat, 2 + extra, 1)
        ends = np.cumsum(multiplicity)
        slot = np.searchsorted(ends, np.arange(m), side="right")
        person[rng.permutation(members)] = next_id + slot
        next_id += int(slot.max()) + 1
    return person


def cross_force_swaps(rng, person: np.ndarray, share: float) -> np.ndarray:
    """Swap one case of some repeat suspects with a one-case suspect elsewhere.

    The repeat share is unchanged and those suspects now span forces.
    """
    counts = np.bincount(person)
    repeaters = np.flatnonzero(counts >= 2)
    singles = np.flatnonzero(counts[person] == 1)
    k = min(int(round(share * repeaters.size)), singles.size)
    if k == 0:
        return person
    chosen = rng.choice(repeaters, size=k, replace=False)
    shuffled = rng.permutation(person.size)
    _, first = np.unique(person[shuffled], return_index=True)
    case_of = np.full(counts.size, -1)
    case_of[person[shuffled][first]] = shuffled[first]
    repeat_rows = case_of[chosen]
    single_rows = rng.choice(singles, size=k, replace=False)
    person = person.copy()
    person[repeat_rows], person[single_rows] = person[single_rows], person[repeat_rows].copy()
    return person


def suspects(rng, config: SyntheticConfig, force_index: np.ndarray, recorded: np.ndarray,
             relationship: np.ndarray, victim_age_exact: np.ndarray, identifiable: np.ndarray) -> dict:
    """Suspect person per case (-1: none can be identified), with sex, ethnicity and age.

    Repeat suspects are grouped within force and relationship (a domestic abuser's cases are
    against partners), then some cases swap to another force. A suspect's age at their first
    case follows the victim's age and the relationship (``suspect_age``); later cases add the
    years between.
    """
    n = force_index.size
    rows = np.flatnonzero(identifiable)
    suspect = np.full(n, -1, dtype=np.int64)
    if rows.size:
        strata = force_index[rows] * len(RELATIONSHIPS) + relationship[rows]
        person = group_people(rng, strata, config.repeat_suspect_share, config.repeat_extra_mean)
        person = cross_force_swaps(rng, person, config.cross_force_share)
        _, person = np.unique(person, return_inverse=True)
        suspect[rows] = person
    n_people = int(suspect.max()) + 1 if rows.size else 0
    # Each suspect's first case: the earliest recorded (then the first row).
    first_key = np.full(n_people, np.iinfo(np.int64).max)
    np.minimum.at(first_key, suspect[rows], recorded[rows].astype(np.int64) * n + rows)
    first_row, first_seen = first_key % max(n, 1), first_key // max(n, 1)
    table = np.array([config.suspect_age[r] for r in RELATIONSHIPS], dtype=float)
    weight, added, sd = table[relationship[first_row]].T if n_people else np.empty((3, 0))
    victim_then = victim_age_exact[first_row] if n_people else np.empty(0)
    first_age = np.clip(weight * victim_then + added + sd * rng.standard_normal(n_people), 10.0, 95.0)
    sex_draw = rng.random(n_people)
    sex = np.where(sex_draw < config.suspect_male_share, 1, np.where(sex_draw < 0.99, 0, 2))
    ethnicity = choice_of(rng, config.suspect_ethnicity, ETHNICITIES, n_people, "suspect_ethnicity")
    person = np.where(suspect >= 0, suspect, 0)
    if n_people:
        age = np.where(suspect >= 0, np.floor(first_age[person] + (recorded - first_seen[person]) / 365.25), -1)
        sex, ethnicity = sex[person], ethnicity[person]
    else:
        age, sex, ethnicity = np.full(n, -1), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    return dict(suspect=suspect, suspect_age=np.minimum(age, 110).astype(np.int64), suspect_sex=sex,
                suspect_ethnicity=ethnicity, n_people=n_people)


def officers(rng, config: SyntheticConfig, force_index: np.ndarray, n_days: int) -> np.ndarray:
    """Officer number (global) per case: each force's cases shared unevenly among its officers."""
    officer = np.empty(force_index.size, dtype=np.int64)
    next_id = 0
    years = n_days / 365.25
    order = np.argsort(force_index, kind="stable")
    bounds = np.flatnonzero(np.diff(force_index[order])) + 1
    for members in np.split(order, bounds) if force_index.size else []:  # a loop over forces
        n_officers = max(1, int(np.ceil(members.size / (config.officer_cases_per_year * years))))
        weight = rng.gamma(config.officer_caseload_shape, 1.0, n_officers)
        officer[members] = next_id + rng.choice(n_officers, size=members.size, p=weight / weight.sum())
        next_id += n_officers
    return officer


def random_effects(rng, suspect: np.ndarray, officer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal suspect and officer effects per case (shared within person and officer).

    A case whose suspect can never be identified has a suspect effect of its own.
    """
    n = suspect.size
    own = rng.standard_normal(n)
    per_suspect = rng.standard_normal(int(suspect.max()) + 1 if n and suspect.max() >= 0 else 0)
    z_suspect = np.where(suspect >= 0, per_suspect[np.maximum(suspect, 0)] if per_suspect.size else 0.0, own)
    per_officer = rng.standard_normal(int(officer.max()) + 1 if n else 0)
    return z_suspect, per_officer[officer] if n else np.empty(0)
