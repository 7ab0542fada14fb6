"""A national-shaped set of report tables with declared specs, for disclosure tests and benchmarks.

Forces of very different sizes (one tiny, like City of London, one of about 6,000 crimes); each
force report and the national overview publish an outcome mix, headline shares (charge and
withdrawal within 365 days, with their denominators) and outcomes by cohort year. Identities
link them: the headline's "recorded" is the total of the outcome mix, the cohort counts add up to
the headline counts, and national figures are sums over forces.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from soteria_research.reporting.disclosure import Count, RunProtection, TableSpec, share_of

OUTCOMES = ("charge", "victim_withdrawal", "evidential_difficulty", "no_suspect",
            "out_of_court", "prevented_or_npi", "transferred", "open")
OUTCOME_SHARES = (0.06, 0.38, 0.30, 0.08, 0.02, 0.04, 0.02, 0.10)
WITHIN = ("charge", "victim_withdrawal", "other", "none")
WITHIN_SHARES = (0.05, 0.35, 0.35, 0.25)
COHORTS = ("2019", "2020", "2021")


def force_sizes(n_forces: int = 43, seed: int = 0) -> dict[str, int]:
    """Crimes per force: one tiny (~10 a year), one ~6,000, the rest log-normal between."""
    rng = np.random.default_rng(seed)
    sizes = np.clip(rng.lognormal(np.log(1500), 0.7, n_forces), 150, 5000).astype(int)
    sizes[0], sizes[1] = 30, 6000
    return {f"force_{i:02d}": int(s) for i, s in enumerate(sizes)}


def force_data(size: int, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """One force's true tables (consistent: cohort cells add up to the headline counts)."""
    mix = rng.multinomial(size, OUTCOME_SHARES)
    eligible = rng.binomial(size, 0.7)
    per_cohort = rng.multinomial(eligible, [1 / len(COHORTS)] * len(COHORTS))
    cohort_rows = []
    for cohort, n_cohort in zip(COHORTS, per_cohort, strict=True):
        for outcome, n in zip(WITHIN, rng.multinomial(n_cohort, WITHIN_SHARES), strict=True):
            cohort_rows.append((cohort, outcome, int(n), int(n_cohort)))
    cohorts = pd.DataFrame(cohort_rows, columns=["cohort", "outcome", "n", "n_cohort"])
    totals = cohorts.groupby("outcome")["n"].sum()
    headline = pd.DataFrame({"measure": ["charge", "victim_withdrawal"],
                             "count": [int(totals["charge"]), int(totals["victim_withdrawal"])],
                             "n": [int(eligible)] * 2})
    return {"outcome_mix": pd.DataFrame({"outcome_group": OUTCOMES, "n": mix}),
            "cohorts": cohorts, "headline": headline,
            "recorded": pd.DataFrame({"n": [size]})}


def with_rates(frame: pd.DataFrame, numerator: str, denominator: str) -> pd.DataFrame:
    share = frame[numerator] / frame[denominator].where(frame[denominator] > 0)
    return frame.assign(estimate=share, ci_low=share * 0.9, ci_high=share * 1.1)


def specs(where: dict) -> dict[str, TableSpec]:
    """The specs of one report's tables (``where``: {"force": code} or {} nationally)."""
    return {
        "outcome_mix": TableSpec(keys=("outcome_group",), counts=("n",), where=where,
                                 categories={"outcome_group": OUTCOMES}),
        "recorded": TableSpec(counts=("n",), where=where, headline=("n",)),
        "headline": TableSpec(
            keys=("measure",), where={**where, "eligible_days": 365},
            counts={"count": Count(), "n": Count(keys=())},
            dimensions={"measure": "outcome_within_365"},
            rates=share_of("count", "n"), headline=("count", "n")),
        "cohorts": TableSpec(
            keys=("cohort", "outcome"), where={**where, "eligible_days": 365},
            counts={"n": Count(), "n_cohort": Count(keys=("cohort",))},
            dimensions={"outcome": "outcome_within_365"},
            categories={"cohort": COHORTS, "outcome": WITHIN},
            rates=share_of("n", "n_cohort")),
    }


def national_run(sizes: dict[str, int], profile: str, seed: int = 0,
                 national: bool = True) -> tuple[RunProtection, dict]:
    """A run registering every force report and the national overview (and the true data)."""
    rng = np.random.default_rng(seed)
    data = {force: force_data(size, rng) for force, size in sizes.items()}
    run = RunProtection(profile)
    forces = tuple(sizes)
    for force, tables in data.items():
        for name, spec in specs({"force": force}).items():
            frame = tables[name]
            if name == "headline":
                frame = with_rates(frame, "count", "n")
            elif name == "cohorts":
                frame = with_rates(frame, "n", "n_cohort")
            run.register(force, name, frame, spec)
    if national:
        nation = {name: _sum_over_forces([t[name] for t in data.values()], name)
                  for name in ("outcome_mix", "cohorts", "headline", "recorded")}
        for name, spec in specs({}).items():
            frame = nation[name]
            if name == "headline":
                frame = with_rates(frame, "count", "n")
            elif name == "cohorts":
                frame = with_rates(frame, "n", "n_cohort")
            run.register("national", name, frame, spec)
    run.declare_dimension("force", forces)
    return run, data


def _sum_over_forces(frames: list[pd.DataFrame], name: str) -> pd.DataFrame:
    if name == "recorded":
        return pd.DataFrame({"n": [sum(int(f["n"].iloc[0]) for f in frames)]})
    keys = {"outcome_mix": ["outcome_group"], "cohorts": ["cohort", "outcome"],
            "headline": ["measure"]}[name]
    total = pd.concat(frames).groupby(keys, sort=False).sum(numeric_only=True).reset_index()
    return total


def greedy_hidden(data: dict, profile: str) -> dict[str, tuple[int, int]]:
    """The previous greedy engine (``legacy.protect_linked``) on the same force × category
    tables: {table: (count cells hidden, count cells)} and the forces losing a headline."""
    from soteria_research.reporting.disclosure.legacy import protect_linked
    from soteria_research.reporting.national import share_of as legacy_share_of

    def stack(name):
        return pd.concat([t[name].assign(force=f) for f, t in data.items()], ignore_index=True)

    headline = with_rates(stack("headline"), "count", "n")
    cohorts = with_rates(stack("cohorts"), "n", "n_cohort")
    recorded = stack("recorded")
    tables = {
        "outcome_mix": (stack("outcome_mix")[["force", "outcome_group", "n"]], {}),
        "recorded": (recorded[["force", "n"]], {"counts": ["n"]}),
        "headline": (headline[["force", "measure", "count", "n", "estimate", "ci_low",
                               "ci_high"]],
                     {"by": ["measure"], "counts": ["count", "n"],
                      "rates": legacy_share_of("count", "n")}),
        "cohorts": (cohorts[["force", "cohort", "outcome", "n", "n_cohort", "estimate",
                             "ci_low", "ci_high"]],
                    {"counts": ["n", "n_cohort"], "rates": legacy_share_of("n", "n_cohort")}),
    }
    linked = protect_linked(tables, profile=profile)
    result = {}
    for name, (_frame, options) in tables.items():
        counts = options.get("counts", ["n"])
        mask = linked.table(name).mask[counts].to_numpy()
        result[name] = (int(mask.sum()), int(mask.size))
    head = linked.table("headline")
    lost = set(head.frame.loc[head.mask[["count", "n"]].any(axis=1), "force"])
    rec = linked.table("recorded")
    lost |= set(rec.frame.loc[rec.mask["n"], "force"])
    result["forces_losing_headline"] = sorted(lost)
    return result


def engine_hidden(run: RunProtection, forces) -> dict:
    """The same summary for a solved run (force reports' tables only, as the greedy pass)."""
    result: dict = {}
    lost = set()
    for force in forces:
        for name in ("outcome_mix", "recorded", "headline", "cohorts"):
            protected = run.table(force, name)
            mask = protected.mask[list(protected.counts)].to_numpy()
            hidden, size = result.get(name, (0, 0))
            result[name] = (hidden + int(mask.sum()), size + int(mask.size))
            if name in ("headline", "recorded") and mask.any():
                lost.add(force)
    result["forces_losing_headline"] = sorted(lost)
    return result
