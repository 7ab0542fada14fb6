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
* the victim characteristic of a breakdown (``victim_age_band`` ...);
* ``status``: the outcome groups grouped by what they say of a case (``ended``, ``open``,
  ``transferred``; :func:`case_status`), so the timeliness table's cases that reached an
  outcome are the crimes recorded less the open and transferred cases;
* the timeliness sections' own: ``referral`` and ``identification`` (``dated``: a file with a
  referral date, a suspect with an identification date), ``within_days`` (reached within the
  window), ``followed_days`` (a cohort followed that long), ``cps_decision``, ``suspect``
  (arrested, interviewed) and ``decision`` (where a referred file stands, a complete list).
  Two names for the same cases in the run's data, not by definition (the funnel's referred
  stage and the files with a referral date), are declared one number where the data says so
  (:data:`SAME_WHERE_THE_DATA_SAYS`).

:func:`register_linked` computes the tables for a run's forces and its national overview and
registers them; ``tests/test_linked_specs.py`` checks the run against the attacker and beside
the reports' engine. A report run solves them with the own tables (``run_pattern.py``) and
the linked file takes the run's pattern (``docs/methods.md`` §8).
"""

from __future__ import annotations

import pandas as pd

from ..analysis.demographics import DIMENSIONS, SHARE_OUTCOMES
from ..analysis.outcomes import NOT_ENDED
from .disclosure import Count, Rate, RunProtection, TableSpec, share_of
from .sections_timeliness import (
    CPS_MEASURES,
    DECISION_POSITIONS,
    REPORT_MEASURES,
    SUSPECT_MEASURES,
    WITHIN_DAYS,
    arrests_table,
    cps_table,
    decisions_table,
    suspect_table,
    timeliness_table,
)

__all__ = ["OFFENCE_GROUPS", "case_status", "frames_from_linked", "linked_frames", "linked_specs",
           "register_linked"]

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
#: What each count of the timeliness sections' tables counts, beside its offence group: a
#: measure's cases (``n``: the crimes recorded, or the files and suspects with their date),
#: its events a part of them, and ``_WITHIN`` the window of the share within a year.
_WITHIN = {"within_days": WITHIN_DAYS}
_MEASURE_COUNTS = {
    "report_to_charge": {"outcome_group": "charge"},
    "report_to_outcome": {"status": "ended"},
    "referral_to_decision": {"referral": "dated", "cps_decision": "made"},
    "identified_to_arrest": {"identification": "dated", "suspect": "arrested"},
    "identified_to_interview": {"identification": "dated", "suspect": "interviewed"},
}
#: The cases of the CPS and suspect tables: a referral date, an identification date. The
#: funnel's stages count more (a case charged was referred, whatever its dates): the same
#: cases only where the data says so (:data:`SAME_WHERE_THE_DATA_SAYS`).
_REFERRED, _IDENTIFIED = {"referral": "dated"}, {"identification": "dated"}


def case_status(outcome_groups) -> dict[str, str]:
    """Each outcome group's status: ``open``, ``transferred`` (to another body: censored) or
    ``ended`` (every other outcome). The timeliness table's "report to any outcome" counts
    the cases ``ended``.

    Examples
    --------
    >>> case_status(["charge", "open", "transferred"])
    {'charge': 'ended', 'open': 'open', 'transferred': 'transferred'}
    """
    return {g: g if g in NOT_ENDED else "ended" for g in outcome_groups}


def _measures(measures, cases: dict, *, shares: bool) -> tuple[dict, dict]:
    """Counts and rates of a wide timeliness table (``sections_timeliness._wide``): each
    measure's events (and those within the window), its median and interval resting on
    them (values a reader cannot recompute), and its share within the window."""
    counts, rates = {"n": Count(where=cases)}, {}
    for m in measures:
        counts[f"{m}__n_events"] = Count(where={**cases, **_MEASURE_COUNTS[m]})
        rates |= {f"{m}__{c}": Rate(f"{m}__n_events", "n", "value", decimals=0)
                  for c in ("estimate", "ci_low", "ci_high")}
        if shares:
            counts[f"{m}__n_within"] = Count(where={**cases, **_MEASURE_COUNTS[m], **_WITHIN})
            rates |= {f"{m}__{c}": Rate(f"{m}__n_within", "n", "value")
                      for c in ("share", "share_ci_low", "share_ci_high")}
    return counts, rates


def _timeliness_specs(where: dict) -> dict[str, TableSpec]:
    """The timeliness sections' tables (``sections_timeliness.linked_tables``)."""
    specs = {}
    for name, measures, cases, shares in (
            ("timeliness", REPORT_MEASURES, {}, True),
            ("cps_timeliness", CPS_MEASURES, _REFERRED, True),
            ("suspect_timeliness", SUSPECT_MEASURES, _IDENTIFIED, False)):
        counts, rates = _measures(measures, cases, shares=shares)
        specs[name] = TableSpec(keys=("offence_group",), counts=counts, rates=rates,
                                where=where, **_OFFENCE)
    specs["suspects_arrested"] = TableSpec(
        keys=("offence_group", "within_days"), where={**where, **_IDENTIFIED},
        dimensions={"within_days": "followed_days"},
        counts={"n_suspects": Count(), "n": Count(where={"suspect": "arrested_in_window"})},
        rates=share_of("n", "n_suspects"), **_OFFENCE)
    specs["prosecution_decisions"] = TableSpec(
        keys=("offence_group",),
        where={**where, **_REFERRED, "followed_days": WITHIN_DAYS},
        counts={"n_files": Count()} | {f"{d}__n": Count(where={"decision": d})
                                        for d in DECISION_POSITIONS},
        rates={c: r for d in DECISION_POSITIONS for c, r in share_of(
            f"{d}__n", "n_files", estimate=f"{d}__estimate", low=f"{d}__ci_low",
            high=f"{d}__ci_high").items()}, **_OFFENCE)
    return specs


def linked_specs(where: dict, *, outcome_groups: tuple[str, ...], cohorts: tuple[str, ...],
                 breakdowns: dict[str, tuple[str, ...]]) -> dict[str, TableSpec]:
    """The spec of each linked table of one report (``where``: ``{"force": code}``, or ``{}``
    for the national overview). The code lists are the run's (every category, whether or not
    it occurs). The timeliness sections' tables need two run-wide declarations that
    :func:`register_linked` makes: the outcome groups' :func:`case_status`, and the complete
    list of a referred file's positions (``decision``).

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
    specs |= _timeliness_specs(where)
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
                  extract_date=None, *, computed: dict | None = None
                  ) -> dict[str, pd.DataFrame]:
    """The linked tables as the specs name them, by force (``by``) or nationally (None).
    ``computed``: nationally, the tables of ``computed_tables.national_tables`` (which the
    national overview reads), taken rather than computed again."""
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
    if computed is not None and by is not None:
        raise ValueError("computed: the national tables (by=None)")
    computed = computed or {}

    def table(name, function, *args, **kwargs):
        return computed[name].copy() if name in computed else function(*args, **kwargs)

    headline = table("headline", linked_headline, cases, by=by, extract_date=extract_date)
    frames = {"headline_recorded": headline[headline["measure"].eq("still_open")][
        [*keys, "offence_group", "n"]].rename(columns={"n": "count"})}
    for measure in HEADLINE_MEASURES:
        frames[f"headline_{measure}"] = headline[headline["measure"].eq(measure)][
            [*keys, "offence_group", "count", "n", "estimate", "ci_low", "ci_high",
             "design_effect"]]
    mix = table("outcome_mix", linked_outcome_mix, cases, by=by)
    totals = frames["headline_recorded"].rename(columns={"count": "n"}).assign(
        outcome_group="all", label="All outcomes")
    frames["outcome_mix"] = pd.concat([mix, totals], ignore_index=True)
    frames["funnel"] = table("funnel", linked_funnel, cases, by=by).drop(columns="n_previous")
    # the reports' trend table (years of all offences, and the years added up per offence
    # group), split in two: its years add up to the all-years rows, which are the headline's
    # figures within a year; computed apart from them, so a wrong link is refused
    group = by or "_run"
    data = cases if by else cases.assign(_run="all")
    if "cohort_rates" in computed:  # the national table: by one "_run", as computed below
        rates = computed["cohort_rates"].copy()
        rates.insert(0, group, "all")
    else:
        rates = linked_cohort_rates(data, by=group)
    trend = with_all_years(with_year_totals(rates, by=group), data, by=group)
    if not by:
        trend = trend.drop(columns=group)
    years = trend["cohort"].astype(str).ne(ALL_YEARS)
    frames["trend_years"] = trend[years].drop(columns="offence_group").reset_index(drop=True)
    frames["trend_all_years"] = trend[~years][[*keys, "offence_group", "outcome", "n"]] \
        .reset_index(drop=True)
    for dimension in DIMENSIONS:
        frames[f"demographics_{dimension}"] = table(
            f"demographics_{dimension}", outcome_shares, cases, dimension, by=by,
            within_days=WITHIN_DAYS, extract_date=extract_date)
    timing = {"by": by, "extract_date": extract_date}
    for name, function in (("timeliness", timeliness_table), ("cps_timeliness", cps_table),
                           ("suspect_timeliness", suspect_table),
                           ("suspects_arrested", arrests_table),
                           ("prosecution_decisions", decisions_table)):
        frames[name] = table(name, function, cases, **timing)
    return frames


def frames_from_linked(tables: dict) -> dict[str, pd.DataFrame]:
    """:func:`linked_frames` by force, from the tables the national preparation has computed
    for the reports' engine already (``national.protect_linked_tables``: ``{name: (frame,
    options)}``), the same functions on the same cases: computing them again took about 45 s
    on 43 forces. The checks of ``RunProtection.register`` still refuse a table that
    disagrees with another."""
    from ..analysis.demographics import DIMENSIONS
    from .sections_breakdowns import ALL_YEARS

    frame = {name: entry[0] for name, entry in tables.items()}
    keys = ["force", "offence_group"]
    frames = {"headline_recorded": frame["headline_recorded"][[*keys, "count"]]
              .reset_index(drop=True)}
    shares = frame["headline"]
    for measure in HEADLINE_MEASURES:
        frames[f"headline_{measure}"] = shares[shares["measure"].eq(measure)][
            [*keys, "count", "n", "estimate", "ci_low", "ci_high", "design_effect"]
        ].reset_index(drop=True)
    totals = frames["headline_recorded"].rename(columns={"count": "n"}).assign(
        outcome_group="all", label="All outcomes")
    frames["outcome_mix"] = pd.concat([frame["outcome_mix"], totals], ignore_index=True)
    frames["funnel"] = frame["funnel"].drop(columns="n_previous").reset_index(drop=True)
    trend = frame["cohort_trends"]
    years = trend["cohort"].astype(str).ne(ALL_YEARS)
    frames["trend_years"] = trend[years].drop(columns="offence_group").reset_index(drop=True)
    frames["trend_all_years"] = trend[~years][[*keys, "outcome", "n"]].reset_index(drop=True)
    for dimension in DIMENSIONS:
        frames[f"demographics_{dimension}"] = frame[f"demographics_{dimension}"]
    for name in ("timeliness", "cps_timeliness", "suspect_timeliness", "suspects_arrested",
                 "prosecution_decisions"):
        frames[name] = frame[name]
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
    run.declare_dimension("decision", DECISION_POSITIONS)
    run.declare_grouping("outcome_group", "status", case_status(codes["outcome_groups"]))
    for one, other, agree in _same_cases(reports, forces):
        for force in agree:
            mine = {"force": force} if force else {}
            run.declare_equal(one | mine, other | mine)
    return reports


#: Counts of two tables that name the same cases in the synthetic world but not by definition
#: of a real extract: (predicates, predicates, table, column, table, column).
SAME_WHERE_THE_DATA_SAYS = (
    # a charge date or a charge outcome (the funnel) against a charge outcome (the outcome
    # mix): one wherever no case has a charge date under another outcome
    ({"stage": "charged"}, {"outcome_group": "charge"},
     ("funnel", "n", {"stage": "charged"}), ("outcome_mix", "n", {"outcome_group": "charge"})),
    # files with a referral date (the CPS tables) against the funnel's referred stage (also
    # every case charged or convicted): one wherever every case charged has a referral date
    (_REFERRED, {"stage": "referred_to_cps"}, ("cps_timeliness", "n", {}),
     ("funnel", "n", {"stage": "referred_to_cps"})),
    # and so for the suspects identified (a date, or any later stage reached)
    (_IDENTIFIED, {"stage": "suspect_identified"}, ("suspect_timeliness", "n", {}),
     ("funnel", "n", {"stage": "suspect_identified"})),
    # suspects interviewed (the suspect table) against those arrested or interviewed: one
    # wherever every suspect arrested was interviewed
    ({**_IDENTIFIED, "suspect": "interviewed"}, {"stage": "arrested_or_interviewed"},
     ("suspect_timeliness", "identified_to_interview__n_events", {}),
     ("funnel", "n", {"stage": "arrested_or_interviewed"})),
)


def _counts_of(tables: dict, table: str, column: str, rows: dict) -> pd.Series:
    """One report's ``column`` of ``table`` in the rows ``rows`` picks, by offence group."""
    frame = tables[table]
    for key, value in rows.items():
        frame = frame[frame[key].astype(str).eq(value)]
    return frame.set_index("offence_group")[column].astype(float).sort_index()


def _same_cases(reports: dict, forces: tuple[str, ...]):
    """For each pair of :data:`SAME_WHERE_THE_DATA_SAYS`, the reports whose two counts agree
    in every offence group: a reader who knows the definitions sees that they count the same
    cases there, so the run must protect them as one number. ``[None]`` where every report
    agrees (the national figures then agree too); the forces that agree otherwise."""
    for one, other, first, second in SAME_WHERE_THE_DATA_SAYS:
        agree = {report for report, tables in reports.items()
                 if _counts_of(tables, *first).equals(_counts_of(tables, *second))}
        everyone = {*forces, "national"} if "national" in reports else set(forces)
        yield one, other, [None] if agree >= everyone else sorted(agree - {"national"})
