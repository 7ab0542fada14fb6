"""The run's linked tables declared for the run-level disclosure engine.

The reports protect the tables that force reports and the national overview both publish
(headline, outcome mix, funnel, trend table, victim breakdowns) with the reports' engine, once
per run, and declare by hand which of their quantities are the same number
(``linked_quantities.py``). Here each of those tables gets a :class:`TableSpec` whose cell
identities say what each number counts, so that the run-level engine
(:class:`~.disclosure.RunProtection`) finds those links itself: the outcome mix adds up to the
headline's crimes recorded, the funnel's recorded stage *is* them, the trend table's years add
up to the headline's cases followed for a year and their outcomes, and so on. A wrong
identity is an error, not a silent gap: the engine refuses one quantity holding two numbers,
and categories that do not add up to their total.

The vocabulary of identities (each a predicate of the cases counted):

* ``force``, and ``offence_group`` (rape, other sexual offences; ``all`` is their total);
* ``outcome_group``: the outcome mix's outcome groups, a complete code list;
* ``stage``: the funnel's stages, nested (no partition; ``recorded`` is all the crimes);
* ``followed``: ``year`` for the cases followed for a year (the headline's shares, the trend
  table and the victim breakdowns), with ``within_year`` their outcome within it (charge,
  victim withdrawal, evidential difficulty, the rest) and ``cohort`` the financial year;
* the victim characteristic of a breakdown (``victim_age_band`` ...).

:func:`register_linked` computes the tables for a run's forces and its national overview and
registers them; ``tests/test_linked_specs.py`` checks the run against the attacker and beside
the reports' engine. Reports do not use it yet (``docs/methods.md`` §8).
"""

from __future__ import annotations

import pandas as pd

from ..analysis.demographics import DIMENSIONS, SHARE_OUTCOMES
from .disclosure import Count, Rate, RunProtection, TableSpec, share_of

__all__ = ["OFFENCE_GROUPS", "linked_frames", "linked_specs", "register_linked"]

#: Offence groups of the linked tables; ``all`` is their total.
OFFENCE_GROUPS = ("rape", "other_sexual")
#: The outcomes within a year of the headline, the trend table and the breakdowns.
WITHIN_YEAR = ("charge", "victim_withdrawal", "evidential_difficulty", "other_or_open")
#: The headline's measures: (count's predicates, n's predicates).
HEADLINE_MEASURES = {
    "charged_within": ({"followed": "year", "within_year": "charge"}, {"followed": "year"}),
    "withdrawn_within": ({"followed": "year", "within_year": "victim_withdrawal"},
                         {"followed": "year"}),
    "evidential_within": ({"followed": "year", "within_year": "evidential_difficulty"},
                          {"followed": "year"}),
    "still_open": ({"outcome_group": "open"}, {}),
}
_OFFENCE = {"categories": {"offence_group": OFFENCE_GROUPS},
            "total_rows": {"offence_group": "all"}}


def linked_specs(where: dict, *, outcome_groups: tuple[str, ...], cohorts: tuple[str, ...],
                 breakdowns: dict[str, tuple[str, ...]]) -> dict[str, TableSpec]:
    """The spec of each linked table of one report (``where``: ``{"force": code}``, or ``{}``
    for the national overview). The code lists are the run's (every category, whether or not
    it occurs).

    Examples
    --------
    >>> specs = linked_specs({"force": "durham"}, outcome_groups=("charge", "open"),
    ...                      cohorts=("2021/22",), breakdowns={"victim_sex": ("female", "male")})
    >>> sorted(specs["funnel"].cell_identity({"offence_group": "all", "stage": "recorded"}, "n"))
    [('force', 'durham')]
    >>> sorted(specs["headline_recorded"].cell_identity({"offence_group": "all"}, "count"))
    [('force', 'durham')]
    >>> sorted(specs["headline_still_open"].cell_identity({"offence_group": "rape"}, "count"))
    [('force', 'durham'), ('offence_group', 'rape'), ('outcome_group', 'open')]
    """
    specs = {
        "headline_recorded": TableSpec(keys=("offence_group",), counts=("count",), where=where,
                                       headline=("count",), **_OFFENCE),
        "outcome_mix": TableSpec(
            keys=("offence_group", "outcome_group"), counts=("n",), where=where,
            categories={"offence_group": OFFENCE_GROUPS, "outcome_group": outcome_groups},
            total_rows={"offence_group": "all", "outcome_group": "all"}, labels=("label",),
            rates={c: Rate("n", "n", kind, of_row=("outcome_group", "all"))
                   for c, kind in (("share", "share"), ("ci_low", "lower"),
                                   ("ci_high", "upper"))}),
        "funnel": TableSpec(
            keys=("offence_group", "stage"), counts=("n",), where=where,
            categories={"offence_group": OFFENCE_GROUPS},
            total_rows={"offence_group": "all", "stage": "recorded"},
            rates={"share_of_recorded": Rate("n", "n", of_row=("stage", "recorded")),
                   "share_of_previous": Rate("n", "n", of_previous="stage")}),
        "trend_years": TableSpec(
            keys=("cohort", "outcome"), counts=("n",), where={**where, "followed": "year"},
            dimensions={"outcome": "within_year"},
            categories={"cohort": cohorts, "outcome": WITHIN_YEAR},
            total_rows={"outcome": "all"},
            rates={c: Rate("n", "n", kind, of_row=("outcome", "all"),
                           design_effect=None if kind == "share" else "design_effect")
                   for c, kind in (("estimate", "share"), ("ci_low", "lower"),
                                   ("ci_high", "upper"))}),
        "trend_all_years": TableSpec(
            keys=("offence_group", "outcome"), counts=("n",),
            where={**where, "followed": "year"}, dimensions={"outcome": "within_year"},
            categories={"offence_group": OFFENCE_GROUPS, "outcome": WITHIN_YEAR},
            total_rows={"offence_group": "all", "outcome": "all"}),
    }
    for measure, (count, n) in HEADLINE_MEASURES.items():
        specs[f"headline_{measure}"] = TableSpec(
            keys=("offence_group",), counts={"count": Count(where=count), "n": Count(where=n)},
            where=where, headline=("estimate",), **_OFFENCE,
            rates=share_of("count", "n", design_effect="design_effect"))
    for dimension, categories in breakdowns.items():
        counts = {"n_cohort": Count()} | {f"n_{o}": Count(where={"within_year": o})
                                          for o in SHARE_OUTCOMES}
        rates = {}
        for outcome in SHARE_OUTCOMES:
            for part, kind in (("share", "share"), ("low", "lower"), ("high", "upper")):
                rates[f"{outcome}_{part}"] = Rate(
                    f"n_{outcome}", "n_cohort", kind,
                    design_effect=None if kind == "share" else f"{outcome}_design_effect")
        specs[f"demographics_{dimension}"] = TableSpec(
            keys=("category",), counts=counts, rates=rates, labels=("label",),
            where={**where, "followed": "year"}, dimensions={"category": dimension},
            categories={"category": categories})
    return specs


def linked_frames(cases: pd.DataFrame, by: str | None = "force",
                  extract_date=None) -> dict[str, pd.DataFrame]:
    """The linked tables as the specs name them, by force (``by``) or nationally (None)."""
    from ..analysis.demographics import outcome_shares
    from .national import linked_cohort_rates, linked_funnel, linked_outcome_mix
    from .sections_breakdowns import (
        ALL_YEARS,
        WITHIN_DAYS,
        linked_headline,
        with_all_years,
        with_year_totals,
    )

    keys = [by] if by else []
    headline = linked_headline(cases, by=by, extract_date=extract_date)
    frames = {"headline_recorded": headline[headline["measure"].eq("still_open")][
        [*keys, "offence_group", "n"]].rename(columns={"n": "count"})}
    for measure in HEADLINE_MEASURES:
        frames[f"headline_{measure}"] = headline[headline["measure"].eq(measure)][
            [*keys, "offence_group", "count", "n", "estimate", "ci_low", "ci_high",
             "design_effect"]]
    mix = linked_outcome_mix(cases, by=by)
    totals = frames["headline_recorded"].rename(columns={"count": "n"}).assign(
        outcome_group="all", label="All outcomes")
    frames["outcome_mix"] = pd.concat([mix, totals], ignore_index=True)
    frames["funnel"] = linked_funnel(cases, by=by).drop(columns="n_previous")
    # the reports' trend table (years of all offences, and the years added up per offence
    # group), split in two: its years add up to the all-years rows, which are the headline's
    # figures within a year; computed apart from them, so a wrong link is refused
    group = by or "_run"
    data = cases if by else cases.assign(_run="all")
    trend = with_all_years(with_year_totals(linked_cohort_rates(data, by=group), by=group),
                           data, by=group)
    if not by:
        trend = trend.drop(columns=group)
    years = trend["cohort"].astype(str).ne(ALL_YEARS)
    frames["trend_years"] = trend[years].drop(columns="offence_group").reset_index(drop=True)
    frames["trend_all_years"] = trend[~years][[*keys, "offence_group", "outcome", "n"]] \
        .reset_index(drop=True)
    for dimension in DIMENSIONS:
        frames[f"demographics_{dimension}"] = outcome_shares(
            cases, dimension, by=by, within_days=WITHIN_DAYS, extract_date=extract_date)
    return frames


def register_linked(run: RunProtection, cases: pd.DataFrame, *, extract_date=None,
                    national: bool = True, frames: dict | None = None
                    ) -> dict[str, dict[str, pd.DataFrame]]:
    """Register every force report's linked tables (and the national overview's) with
    ``run``, and declare the forces; returns ``{report: {table: frame}}``.

    ``frames``: the tables already computed (``{"force": linked_frames(cases, "force"),
    "national": linked_frames(cases, None)}``), e.g. edited to see what the engine refuses.
    """
    from ..analysis.outcomes import outcome_groups

    if frames is None:
        frames = {"force": linked_frames(cases, "force", extract_date)}
        if national:
            frames["national"] = linked_frames(cases, None, extract_date)
    by_force = frames["force"]
    forces = tuple(sorted(map(str, cases["force"].unique())))
    cohorts = tuple(sorted(map(str, by_force["trend_years"]["cohort"].unique())))
    breakdowns = {d: tuple(map(str, by_force[f"demographics_{d}"]["category"].unique()))
                  for d in DIMENSIONS}
    codes = dict(outcome_groups=tuple(outcome_groups()), cohorts=cohorts,
                 breakdowns=breakdowns)
    reports: dict[str, dict[str, pd.DataFrame]] = {}
    for force in forces:
        specs = linked_specs({"force": force}, **codes)
        reports[force] = {}
        for name, frame in by_force.items():
            rows = frame[frame["force"].astype(str).eq(force)].drop(columns="force")
            reports[force][name] = rows.reset_index(drop=True)
            run.register(force, name, reports[force][name], specs[name])
    if national and "national" in frames:
        specs = linked_specs({}, **codes)
        reports["national"] = frames["national"]
        for name, frame in reports["national"].items():
            run.register("national", name, frame, specs[name])
    run.declare_dimension("force", forces)
    return reports
