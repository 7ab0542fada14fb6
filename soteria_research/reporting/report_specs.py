"""A force report's own tables declared for the run-level disclosure engine.

The linked tables (``linked_specs.py``) are those the force reports and the national overview
both publish. A force report also publishes tables of its own, protected today by the
reports' engine as the notebook meets them, with their links to the linked tables declared by
hand (``same_quantity.py``: the withdrawal-stage table's "Out of" is the outcome mix's
withdrawals). Here the first of them get a :class:`~.disclosure.TableSpec` whose identities
say what each count counts, in the vocabulary of ``linked_specs.py`` and these predicates:

* ``furthest_stage``: the furthest funnel stage a withdrawn case had reached, a complete list
  (the funnel's stages); a withdrawal cannot have reached a charge or a conviction (a charge
  is a different outcome), so those two are structural zeros, printed as 0 and known to every
  reader;
* ``followed``: ``730_days`` for the cases of the financial years followed two years (the
  withdrawal-timing table's cohort), with ``withdrawn_within`` the days from report to the
  withdrawal (nested windows: 7, 30, 90 and the horizon, no partition);
* ``unit``: what a count counts when it is not cases: ``suspect`` (a person named as suspect
  in the force's cases) or ``officer`` (an officer in charge of any of them); ``repeat``
  (``yes``: a suspect named in two or more of the force's cases, or a case whose suspect is
  one) and ``suspect_named`` (a case with a named suspect);
* ``allegations_of``: ``year`` for the allegations with a named suspect of the years followed
  for a year, with ``allegation`` (``earlier``: the suspect named again later; ``other``) and
  ``outcome_within_year`` (their outcome group within the year, ``open`` when none came);
* the device-request table's: ``device_request`` (``within_year`` of recording, ``made``,
  ``made_a_year_open``: made while the case was open, a year before the extract),
  ``device`` (``returned`` or ``held``), ``withdrawn_after_request`` and ``episodes`` (the
  withdrawals the hazard ratio's episodes count).

So the withdrawal-stage table's withdrawals add up to the outcome mix's withdrawals, and the
caseload table's cases are the crimes recorded and the outcome mix's open cases, one cell
wherever printed; the cases with a named suspect are the funnel's "suspect identified" stage
where the data says so (:data:`SAME_WHERE_THE_DATA_SAYS`, as ``linked_specs`` does for its
pairs). :func:`register_run` registers a run's linked tables and these.

A report run solves them with the linked tables, and each force report hides in these tables
at least what the run hides (``run_pattern.py``). Not declared yet (``docs/methods.md`` §8):
the driver models, the curves, data quality and the peer tables (pooled peers made the
optimisation far slower).
"""

from __future__ import annotations

import pandas as pd

from ..analysis import pillars
from ..analysis.attrition import STAGES
from ..analysis.outcomes import outcome_groups
from .disclosure import Count, Rate, RunProtection, TableSpec, share_of
from .linked_specs import register_linked

__all__ = ["OWN_TABLES", "SAME_WHERE_THE_DATA_SAYS", "device_wide", "own_frames", "own_specs",
           "register_run", "stack_forces"]

#: The force report's own tables declared here, in the order the notebook prints them.
OWN_TABLES = ("withdrawal_timing", "withdrawal_stage", "repeat_suspects",
              "earlier_allegations", "device_requests", "officer_caseload")
#: The allegation groups of the earlier-allegations table (a complete list).
ALLEGATIONS = ("earlier", "other")
#: What each measure of the device-request table counts: its cases (``n``) and its events.
#: The request share's cases are the headline's cases followed for a year (by definition:
#: ``pillars.device_requests``), the hazard ratio's all the crimes recorded.
DEVICE_MEASURES = {
    "request_share": ({"followed": "year"},
                      {"followed": "year", "device_request": "within_year"}),
    "median_days_held": ({"device_request": "made"},
                         {"device_request": "made", "device": "returned"}),
    "withdrawal_share_after_request": (
        {"device_request": "made_a_year_open"},
        {"device_request": "made_a_year_open", "withdrawn_after_request": "within_year"}),
    "withdrawal_hazard_ratio": ({}, {"episodes": "victim_withdrawal"}),
}
_DEVICE_SHARES = ("request_share", "withdrawal_share_after_request")
#: Measures whose figure the run does not register, only the counts it rests on: a model's
#: estimate, not recomputable from them, whose fit (a Cox model per force) took 12 s of the
#: run's protection on 43 forces. A report hides it wherever the run hides its counts
#: (``run_pattern.hide_own``).
UNFITTED = ("withdrawal_hazard_ratio",)
#: A withdrawal's furthest stage cannot be one of these: the case would have another outcome.
NOT_WITHDRAWN_AT = ("charged", "convicted")
_WITHDRAWN = {"outcome_group": "victim_withdrawal"}


def own_specs(force: str, *, horizon_days: int = 730,
              no_suspect_zero: bool = True) -> dict[str, TableSpec]:
    """The spec of each of a force report's own tables (:data:`OWN_TABLES`).

    ``no_suspect_zero``: the force's allegations with a named suspect that ended "no suspect
    identified" are 0, as they are by definition (outcome 18, ``docs/domain.md``), so a
    structural zero; a real extract may hold such a case (then an ordinary count).

    Examples
    --------
    >>> specs = own_specs("durham")
    >>> sorted(specs["withdrawal_stage"].cell_identity({"stage": "recorded"}, "n_withdrawals"))
    [('force', 'durham'), ('outcome_group', 'victim_withdrawal')]
    >>> sorted(specs["officer_caseload"].cell_identity({"caseload": "open"}, "cases"))
    [('force', 'durham'), ('outcome_group', 'open')]
    """
    where = {"force": force}
    followed = {"followed": f"{horizon_days}_days"}
    return {
        "withdrawal_timing": TableSpec(
            keys=("within_days",), where={**where, **followed},
            dimensions={"within_days": "withdrawn_within"}, nested=("within_days",),
            counts={"n": Count(),
                    "n_withdrawals": Count(where={"withdrawn_within": horizon_days}, keys=())},
            rates=share_of("n", "n_withdrawals", design_effect="design_effect"),
            labels=("cohorts",)),
        "withdrawal_stage": TableSpec(
            keys=("stage",), where={**where, **_WITHDRAWN},
            dimensions={"stage": "furthest_stage"}, categories={"stage": STAGES},
            counts={"n": Count(), "n_withdrawals": Count(keys=())},
            structural_zeros=tuple({"stage": s, "count": "n"} for s in NOT_WITHDRAWN_AT),
            rates={**share_of("n", "n_withdrawals", design_effect="design_effect"),
                   "median_days": Rate("n", None, "value", decimals=0)}),
        "repeat_suspects": TableSpec(
            where=where,
            counts={"n": Count(where={"unit": "suspect", "repeat": "yes"}),
                    "n_suspects": Count(where={"unit": "suspect"}),
                    "n_cases": Count(where={"suspect_named": "yes"}),
                    "n_cases_repeat": Count(where={"suspect_named": "yes", "repeat": "yes"})},
            rates=share_of("n", "n_suspects")),
        # allegations with a named suspect of the years followed for a year (transfers within
        # the year among them, unlike the headline's cases), by whether the suspect was named
        # again later, and their outcome within the year ("open" when none came)
        "earlier_allegations": TableSpec(
            keys=("allegation", "outcome_group"), where={**where, "allegations_of": "year"},
            dimensions={"outcome_group": "outcome_within_year"},
            categories={"allegation": ALLEGATIONS, "outcome_group": tuple(outcome_groups())},
            counts={"n": Count(), "n_total": Count(keys=("allegation",))},
            structural_zeros=({"outcome_group": "no_suspect", "count": "n"},)
            if no_suspect_zero else (),
            rates=share_of("n", "n_total"), labels=("cohorts",)),
        # one row of every measure, each with its own cases (the report prints them as rows)
        "device_requests": _device_spec(where),
        # a caseload of all cases counts the crimes recorded, of open cases the open ones; the
        # officers are every officer in charge of a case (none open counts as a caseload of 0)
        "officer_caseload": TableSpec(
            keys=("caseload",), where=where, dimensions={"caseload": "outcome_group"},
            total_rows={"caseload": "all"},
            counts={"officers": Count(where={"unit": "officer"}, keys=()), "cases": Count()},
            rates={"mean": Rate("cases", "officers", "value", decimals=0),
                   "median": Rate("cases", "officers", "value", decimals=0),
                   "p90": Rate("cases", "officers", "value", decimals=0),
                   "max": Rate("cases", None, "extreme", decimals=0)}),
    }


def _device_spec(where: dict) -> TableSpec:
    counts, rates = {}, {}
    for measure, (cases, events) in DEVICE_MEASURES.items():
        counts[f"{measure}__n"] = Count(where=cases)
        counts[f"{measure}__n_events"] = Count(where=events)
        if measure in _DEVICE_SHARES:
            rates |= share_of(f"{measure}__n_events", f"{measure}__n",
                              estimate=f"{measure}__estimate", low=f"{measure}__ci_low",
                              high=f"{measure}__ci_high",
                              design_effect=f"{measure}__design_effect")
        elif measure not in UNFITTED:  # a median: resting on the counts, not recomputable
            rates |= {f"{measure}__{c}": Rate(f"{measure}__n_events", f"{measure}__n",
                                               "value", decimals=2)
                      for c in ("estimate", "ci_low", "ci_high")}
    return TableSpec(where=where, counts=counts, rates=rates)


def device_wide(table: pd.DataFrame, by: str = "force") -> pd.DataFrame:
    """``pillars.device_requests`` by force, one row per force (``measure__column``), the
    shape the run-level engine reads (each measure's counts have identities of their own);
    the :data:`UNFITTED` measures' counts only."""
    values = ["n", "n_events", "estimate", "ci_low", "ci_high", "design_effect"]
    wide = table.pivot(index=by, columns="measure", values=values)
    wide.columns = [f"{measure}__{column}" for column, measure in wide.columns]
    keep = [f"{m}__{c}" for m in DEVICE_MEASURES for c in values
            if (c != "design_effect" or m in _DEVICE_SHARES)
            and (m not in UNFITTED or c in ("n", "n_events"))]
    wide = wide[keep].reset_index()
    for column in keep:
        if column.endswith(("__n", "__n_events")):
            wide[column] = wide[column].astype("int64")
    return wide


def stack_forces(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Each table's rows of every force (``parts``: one ``{table: frame}`` per force), the
    forces with no row of a table left out (an empty frame's column types would be read as
    missing values)."""
    return {name: pd.concat([part[name] for part in parts if len(part[name])]
                            or [parts[0][name]], ignore_index=True)
            for name in parts[0]}


def own_frames(cases: pd.DataFrame, *, horizon_days: int = 730,
               tables: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """The own tables of every force of ``cases``, by force (a ``force`` column), as the force
    notebook computes each (``notebooks/force_deep_dive.ipynb``: ``pillars`` on the force's
    cases alone, ``computed_tables.compute``, medians and caseload figures to whole days and
    cases). Each force's on its own cases: a suspect named again in another force's case is
    not an earlier allegation in this force's report. ``tables``: one force's own tables
    (``computed_tables.own_tables`` of ``cases``) computed already, which its report reads
    too."""
    from .computed_tables import own_tables

    forces = sorted(map(str, cases["force"].unique()))
    if len(forces) > 1:
        if tables is not None:
            raise ValueError("own_frames: tables are one force's; cases hold several forces")
        return stack_forces([own_frames(cases[cases["force"].astype(str).eq(force)],
                                        horizon_days=horizon_days) for force in forces])
    tables = own_tables(cases) if tables is None else tables
    by = "force"

    def forced(frame: pd.DataFrame) -> pd.DataFrame:  # the report's table, by force
        return frame.assign(**{by: forces[0]})[[by, *frame.columns]]

    timing = (tables["withdrawal_timing"] if horizon_days == 730 else
              pillars.withdrawal_timing(cases, horizon_days=horizon_days))
    timing = forced(timing).drop(columns="horizon_days")
    stage = forced(tables["withdrawal_stage"])
    # every stage of each force, as the spec lists them (charged and convicted: 0, each row
    # with the force's withdrawals, which the report's table repeats on every row)
    grid = pd.MultiIndex.from_product([stage[by].drop_duplicates(), list(STAGES)],
                                      names=[by, "stage"]).to_frame(index=False)
    stage = grid.merge(stage, on=[by, "stage"], how="left")
    stage["n"] = stage["n"].fillna(0).astype(int)
    stage["n_withdrawals"] = stage.groupby(by)["n"].transform("sum")
    return {"withdrawal_timing": timing, "withdrawal_stage": stage,
            "repeat_suspects": forced(tables["repeat_suspects"]),
            "earlier_allegations": forced(tables["earlier_allegations"]).drop(
                columns="within_days"),
            "device_requests": device_wide(forced(tables["device_request_counts"]), by),
            "officer_caseload": forced(tables["officer_caseload"])}


#: Counts that name the same cases in the synthetic world but not by definition of a real
#: extract: (predicates, predicates, (own table, column, rows summed), (linked table, column,
#: row)).
SAME_WHERE_THE_DATA_SAYS = (
    # the withdrawals of the hazard ratio's episodes against the outcome mix's withdrawals:
    # one wherever every withdrawal is dated so that the episodes count it
    ({"episodes": "victim_withdrawal"}, {"outcome_group": "victim_withdrawal"},
     ("device_requests", "withdrawal_hazard_ratio__n_events", {}),
     ("outcome_mix", "n", {"outcome_group": "victim_withdrawal", "offence_group": "all"})),
    # both allegation groups' charges within the year against the headline's charges within
    # a year (and so for evidential difficulties): one wherever every case charged (or ended
    # for evidential difficulties) has a named suspect, as those outcomes need one
    *(({"allegations_of": "year", "outcome_within_year": outcome},
       {"followed": "year", "within_year": outcome},
       ("earlier_allegations", "n", {"outcome_group": outcome}),
       (f"headline_{measure}", "count", {"offence_group": "all"}))
      for outcome, measure in (("charge", "charged_within"),
                               ("evidential_difficulty", "evidential_within"))),
    # a case with a named suspect (the repeat-suspects table) against the funnel's "suspect
    # identified" stage (an identification date, or any later stage reached): one wherever
    # every case with a suspect's id has reached that stage and no other case has
    ({"suspect_named": "yes"}, {"stage": "suspect_identified"},
     ("repeat_suspects", "n_cases", {}), ("funnel", "n", {"stage": "suspect_identified",
                                                          "offence_group": "all"})),
)


def _value(frame: pd.DataFrame, column: str, rows: dict) -> float:
    """The sum of ``column`` over the rows ``rows`` picks (NaN where none)."""
    for key, value in rows.items():
        frame = frame[frame[key].astype(str).eq(value)]
    return float(frame[column].sum()) if len(frame) else float("nan")


def register_run(run: RunProtection, cases: pd.DataFrame, *, extract_date=None,
                 national: bool = True, frames: dict | None = None,
                 horizon_days: int = 730) -> dict[str, dict[str, pd.DataFrame]]:
    """Register a run's linked tables (``linked_specs.register_linked``) and each force
    report's own tables (:data:`OWN_TABLES`) with ``run``; returns ``{report: {table:
    frame}}``.

    ``frames``: as ``register_linked`` takes them, with ``"own"``: :func:`own_frames` (e.g.
    edited to see what the engine refuses).
    """
    frames = dict(frames or {})
    own = frames.pop("own", None)
    if own is None:
        own = own_frames(cases, horizon_days=horizon_days)
    reports = register_linked(run, cases, extract_date=extract_date, national=national,
                              frames=frames or None)
    for force in sorted(map(str, cases["force"].unique())):
        mine = {name: frame[frame["force"].astype(str).eq(force)].drop(columns="force")
                for name, frame in own.items()}
        allegations = mine["earlier_allegations"]
        specs = own_specs(force, horizon_days=horizon_days, no_suspect_zero=not allegations[
            allegations["outcome_group"].eq("no_suspect")]["n"].any())
        for name in OWN_TABLES:
            rows = mine[name]
            if rows.empty:  # no rows of this force (no withdrawals): nothing to publish
                continue
            reports[force][name] = rows.reset_index(drop=True)
            run.register(force, name, reports[force][name], specs[name])
    # a suspect named in one case only is that case: the suspects not named again are the
    # cases whose suspect is not (by definition, in any extract)
    run.declare_dimension("repeat", ("yes", "no"))
    # a device requested is returned or still held: those returned are a part of those asked
    run.declare_dimension("device", ("returned", "held"))
    run.declare_equal({"unit": "suspect", "repeat": "no"}, {"suspect_named": "yes", "repeat": "no"})
    for one, other, (table, column, rows), (linked, linked_column, where) in \
            SAME_WHERE_THE_DATA_SAYS:
        for force, tables in reports.items():
            if force == "national" or table not in tables:
                continue
            if _value(tables[table], column, rows) == _value(tables[linked], linked_column,
                                                             where):
                run.declare_equal(one | {"force": force}, other | {"force": force})
    return reports
