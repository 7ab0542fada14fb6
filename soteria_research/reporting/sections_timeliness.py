"""Report glue for three sections of the force and national reports: timeliness, prosecution
decisions and suspect-focused measures (docs/domain.md §3 and §6, pillar 1).

Each table is the analysis function of :mod:`soteria_research.analysis.timeliness` run for all
sexual offences and split into rape and other sexual offences (``offence_group``), the "all"
row being the total the split adds up to, so that disclosure control knows the structure.
Measures that count the same cases (report to charge and report to any outcome; arrest and
interview) share one row and one count of cases, so that a count is never hidden in one row
and shown in another. The ``*_table`` functions give the unprotected frame and the
``*_COUNTS``/``*_RATES`` constants its disclosure structure (the notebook passes both to
``report.protect``); the ``*_view`` functions turn protected tables into the text a reader
sees ("[c]" where hidden, "not reached" where a median is not reached); the ``*_note``
functions say which cases each table counts. Nothing here computes an estimate of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ..analysis import timeliness as analysis
from ..analysis.outcomes import NOT_ENDED
from .disclosure.profiles import MARKER

__all__ = [
    "ARREST_COUNTS", "ARREST_RATES", "CPS_COUNTS", "CPS_RATES", "DECISION_COUNTS",
    "DECISION_POSITIONS",
    "DECISION_RATES", "GROUPS", "LINKED", "REACHED_AN_OUTCOME", "SUSPECT_COUNTS",
    "SUSPECT_RATES",
    "TIMELINESS_COUNTS", "TIMELINESS_RATES", "WITHIN_DAYS",
    "arrests_table", "arrests_view", "by_offence_group", "cps_table", "decisions_note",
    "decisions_table", "decisions_view", "linked_tables", "median_text",
    "national_reached_decided", "share_text",
    "suspect_note", "suspect_table", "suspect_view", "timeliness_note", "timeliness_table",
    "timeliness_view",
]

#: Window of the "share within" columns and of the referral cohort of prosecution decisions.
WITHIN_DAYS = 365
#: Windows of the share of identified suspects arrested.
ARREST_WINDOWS = (90, 365)
#: Offence groups in report order: the total first, then the split.
GROUPS = {"all": "All sexual offences", "rape": "Rape", "other_sexual": "Other sexual offences"}
DECISION_LABELS = {
    "charge": "Charge authorised",
    "no_further_action": "No further action",
    "out_of_court": "Out-of-court disposal advised",
    "further_investigation": "Returned with an action plan",
    "closed_without_decision": "Case ended without a decision",
    "other_decision": "Other: action plan, out-of-court disposal or no decision",
    "awaiting": "Still awaiting a decision",
}
NOT_REACHED = "not reached"
#: Measures of one cohort, one table each: the cases, the referred files, the cases with an
#: identified suspect.
REPORT_MEASURES = ("report_to_charge", "report_to_outcome")
CPS_MEASURES = ("referral_to_decision",)
SUSPECT_MEASURES = tuple(analysis.SUSPECT_MEASURES)
_STATISTICS = ("n_events", "estimate", "ci_low", "ci_high")
_SHARES = ("n_within", "share", "share_ci_low", "share_ci_high")


def _structure(measures: Sequence[str], shares: bool) -> tuple[list[str], dict]:
    """Count columns and rates (numerator, denominator) of a wide table of ``measures``."""
    counts, rates = ["n"], {}
    for m in measures:
        counts.append(f"{m}__n_events")
        rates.update({f"{m}__{c}": (f"{m}__n_events", "n") for c in _STATISTICS[1:]})
        if shares:
            counts.append(f"{m}__n_within")
            rates.update({f"{m}__{c}": (f"{m}__n_within", "n") for c in _SHARES[1:]})
    return counts, rates


#: Disclosure structure of :func:`timeliness_table`, :func:`cps_table`, :func:`suspect_table`.
TIMELINESS_COUNTS, TIMELINESS_RATES = _structure(REPORT_MEASURES, shares=True)
CPS_COUNTS, CPS_RATES = _structure(CPS_MEASURES, shares=True)
SUSPECT_COUNTS, SUSPECT_RATES = _structure(SUSPECT_MEASURES, shares=False)
#: Disclosure structure of :func:`arrests_table` (``kind="rates", by=["within_days"]``).
ARREST_COUNTS = ["n", "n_suspects"]
ARREST_RATES = {c: ("n", "n_suspects") for c in ("estimate", "ci_low", "ci_high")}
#: The positions :func:`decisions_table` publishes: the rarest pooled
#: (``analysis.timeliness.DECISION_GROUPS``), so that a force's table is not hidden whole.
DECISION_POSITIONS = tuple(analysis.DECISION_GROUPS)
#: Disclosure structure of :func:`decisions_table` (``column_total="n_files"``): the
#: positions partition the files referred.
DECISION_COUNTS = ["n_files", *[f"{d}__n" for d in DECISION_POSITIONS]]
DECISION_RATES = {f"{d}__{c}": (f"{d}__n", "n_files") for d in DECISION_POSITIONS
                  for c in ("estimate", "ci_low", "ci_high")}


# -- the tables -------------------------------------------------------------------------------
def by_offence_group(function: Callable[..., pd.DataFrame], cases: pd.DataFrame, *,
                     by: str | None = None, **options) -> pd.DataFrame:
    """``function(cases, **options)`` for all cases (``offence_group="all"``) above the same
    by ``offence_group``, within ``by`` (``"force"``, for the run's linked table) when given;
    ``attrs`` of the whole."""
    outer = [by] if by else []
    whole = function(cases, by=outer or None, **options)
    whole.insert(len(outer), "offence_group", "all")
    split = function(cases, by=[*outer, "offence_group"], **options)
    out = pd.concat([whole, split], ignore_index=True)
    order = {group: i for i, group in enumerate(GROUPS)}
    out = out.assign(_group=out["offence_group"].map(order).fillna(len(order)))
    out = out.sort_values([*outer, "_group"], kind="stable").drop(columns="_group")
    out.attrs = dict(whole.attrs)
    return out.reset_index(drop=True)


def _complete(table: pd.DataFrame, cases: pd.DataFrame, by: str | None, keys: Sequence,
              counts: list[str]) -> pd.DataFrame:
    """Every offence group (× every value of ``by`` in ``cases``, × ``keys``: a column and its
    values), absent rows with zero counts: a missing row would read as a zero (a force with no
    referred rape file lost its row), and a report's table and the run's linked table hold
    the same rows."""
    levels = [sorted(cases[by].dropna().unique())] if by else []
    names = [by] if by else []
    levels.append(list(GROUPS))
    names.append("offence_group")
    if keys:
        names.append(keys[0])
        levels.append(list(keys[1]))
    index = (pd.MultiIndex.from_product(levels, names=names) if len(names) > 1
             else pd.Index(levels[0], name=names[0]))
    done = table.set_index(names).reindex(index).reset_index()
    done[counts] = done[counts].fillna(0).astype(int)
    done.attrs = dict(table.attrs)
    return done


def _wide(medians: pd.DataFrame, shares: pd.DataFrame | None, measures: Sequence[str],
          outer: list[str]) -> pd.DataFrame:
    """One row per offence group: the cases (``n``, the same for every measure of one cohort),
    then ``<measure>__n_events, __estimate, __ci_low, __ci_high`` (and ``__n_within, __share,
    __share_ci_low, __share_ci_high``) for each measure."""
    keys = [*outer, "offence_group"]
    long = medians[medians["measure"].isin(measures)]
    if shares is not None:
        extra = shares.rename(columns={"n_events": "n_within", "estimate": "share",
                                       "ci_low": "share_ci_low", "ci_high": "share_ci_high"})
        long = long.merge(extra[[*keys, "measure", *_SHARES]], on=[*keys, "measure"],
                          how="left", validate="1:1")
    cases = long.groupby(keys, sort=False)["n"].agg(["min", "max"])
    if not cases["min"].eq(cases["max"]).all():  # a programming error, never the data's
        raise AssertionError("measures of one table must count the same cases")
    wide = cases["max"].rename("n").reset_index()
    statistics = [*_STATISTICS, *(_SHARES if shares is not None else ())]
    for m in measures:
        part = long.loc[long["measure"].eq(m), [*keys, *statistics]]
        wide = wide.merge(part.rename(columns={c: f"{m}__{c}" for c in statistics}),
                          on=keys, how="left")
    counts = [c for c in wide.columns if c == "n" or c.endswith(("__n_events", "__n_within"))]
    wide[counts] = wide[counts].fillna(0).astype(int)
    return wide


def _measure_table(function, cases, measures, *, shares_function=None, within_days=WITHIN_DAYS,
                   extract_date=None, by=None) -> pd.DataFrame:
    outer = [by] if by else []
    chosen = {"measures": list(measures)} if function is analysis.timeliness else {}
    medians = by_offence_group(function, cases, by=by, extract_date=extract_date, **chosen)
    shares = None if shares_function is None else by_offence_group(
        shares_function, cases, by=by, within_days=within_days, extract_date=extract_date,
        **chosen)
    table = _wide(medians, shares, measures, outer)
    counts = [c for c in table.columns if c == "n" or c.endswith(("__n_events", "__n_within"))]
    table = _complete(table, cases, by, (), counts)
    table.attrs["within_days"] = within_days
    table.attrs["measures"] = list(measures)
    return table


def timeliness_table(cases: pd.DataFrame, *, within_days: int = WITHIN_DAYS,
                     extract_date: object = None, by: str | None = None) -> pd.DataFrame:
    """Report to charge and report to any outcome (``timeliness``, ``timeliness_shares``): one
    row per offence group, ``n`` the cases, then each measure's columns (see ``_wide``)."""
    return _measure_table(analysis.timeliness, cases, REPORT_MEASURES,
                          shares_function=analysis.timeliness_shares, within_days=within_days,
                          extract_date=extract_date, by=by)


def cps_table(cases: pd.DataFrame, *, within_days: int = WITHIN_DAYS,
              extract_date: object = None, by: str | None = None) -> pd.DataFrame:
    """Referral to the CPS to its decision, as :func:`timeliness_table` (``n`` the files)."""
    return _measure_table(analysis.timeliness, cases, CPS_MEASURES,
                          shares_function=analysis.timeliness_shares, within_days=within_days,
                          extract_date=extract_date, by=by)


def suspect_table(cases: pd.DataFrame, *, extract_date: object = None,
                  by: str | None = None) -> pd.DataFrame:
    """Identification to arrest and to interview (``suspect_timeliness``), medians only."""
    return _measure_table(analysis.suspect_timeliness, cases, SUSPECT_MEASURES,
                          extract_date=extract_date, by=by)


def arrests_table(cases: pd.DataFrame, *, within_days=ARREST_WINDOWS,
                  extract_date: object = None, by: str | None = None) -> pd.DataFrame:
    """Share of identified suspects arrested within each window (``suspects_arrested``)."""
    outer = [by] if by else []
    table = by_offence_group(analysis.suspects_arrested, cases, by=by, within_days=within_days,
                             extract_date=extract_date)
    windows = sorted({int(w) for w in np.atleast_1d(within_days)})
    table = table.assign(within_days=table["within_days"].astype(int))
    table = _complete(table, cases, by, ("within_days", windows), ARREST_COUNTS)
    return table.sort_values([*outer, "within_days"], kind="stable").reset_index(drop=True)


def decisions_table(cases: pd.DataFrame, *, within_days: int = WITHIN_DAYS,
                    extract_date: object = None, by: str | None = None) -> pd.DataFrame:
    """Where referred files stand ``within_days`` after referral (``prosecution_decisions``):
    one row per offence group, ``n_files`` (the cohort) then ``<position>__n, __estimate,
    __ci_low, __ci_high`` for each of :data:`DECISION_POSITIONS` (a cross-table whose
    positions add up to ``n_files``, which disclosure control protects far faster than the
    long form)."""
    outer = [by] if by else []
    keys = [*outer, "offence_group"]
    table = by_offence_group(analysis.prosecution_decisions, cases, by=by,
                             within_days=within_days, extract_date=extract_date,
                             groups=analysis.DECISION_GROUPS)
    wide = table.groupby(keys, sort=False)["n_files"].first().reset_index()
    for decision in DECISION_POSITIONS:
        part = table.loc[table["decision"].eq(decision),
                         [*keys, "n", "estimate", "ci_low", "ci_high"]]
        wide = wide.merge(part.rename(columns={c: f"{decision}__{c}" for c in
                                               ("n", "estimate", "ci_low", "ci_high")}),
                          on=keys, how="left")
    wide[DECISION_COUNTS] = wide[DECISION_COUNTS].fillna(0).astype(int)
    out = _complete(wide, cases, by, (), DECISION_COUNTS)
    out.attrs = {**table.attrs, "within_days": within_days}
    return out


#: The names of these sections' tables in the force reports, protected once for the run with
#: every force (see :func:`linked_tables`); the national overview's own are named ``…_national``.
#: How each table of these sections is protected (``report.protect(table, name=...,
#: **PROTECTION[name])``): its declared structure. A measure's cases and those that reached it
#: do not add up to a total (``columns_add_up=False``); the positions of a file do (its total
#: is the files referred).
PROTECTION: dict[str, dict] = {
    "timeliness": {"counts": TIMELINESS_COUNTS, "rates": TIMELINESS_RATES,
                   "columns_add_up": False},
    "cps_timeliness": {"counts": CPS_COUNTS, "rates": CPS_RATES, "columns_add_up": False},
    "suspect_timeliness": {"counts": SUSPECT_COUNTS, "rates": SUSPECT_RATES,
                           "columns_add_up": False},
    "suspects_arrested": {"kind": "rates", "counts": ARREST_COUNTS, "rates": ARREST_RATES,
                          "by": ["within_days"], "columns_add_up": False},
    "prosecution_decisions": {"counts": DECISION_COUNTS, "rates": DECISION_RATES,
                              "column_total": "n_files"},
}

LINKED = ("timeliness", "cps_timeliness", "suspect_timeliness", "suspects_arrested",
          "prosecution_decisions")


def linked_tables(cases: pd.DataFrame, *, extract_date: object = None
                  ) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Every force's tables of these sections, for the run's linked disclosure control
    (``reporting.national``): a force's hidden cell is then never the only hidden one of its
    national line, so the national overview cannot reveal it by subtraction."""
    x = {"extract_date": extract_date, "by": "force"}
    return {
        "timeliness": (timeliness_table(cases, **x), PROTECTION["timeliness"]),
        "cps_timeliness": (cps_table(cases, **x), PROTECTION["cps_timeliness"]),
        "suspect_timeliness": (suspect_table(cases, **x), PROTECTION["suspect_timeliness"]),
        "suspects_arrested": (arrests_table(cases, **x), PROTECTION["suspects_arrested"]),
        "prosecution_decisions": (decisions_table(cases, **x),
                                  PROTECTION["prosecution_decisions"]),
    }


#: The timeliness table's count that is the crimes recorded less the outcome mix's open and
#: transferred cases (every other outcome ends a case; a transfer censors it).
REACHED_AN_OUTCOME = "report_to_outcome__n_events"


def national_reached_decided(table: pd.DataFrame, cases: pd.DataFrame, profile) -> dict:
    """Options for ``report.protect`` of the national overview's timeliness table
    (:func:`timeliness_table` of every case): its cases that reached an outcome protected like
    a small count where the nation's open or transferred cases of the offence group are a
    small count, under a profile of exact counts (``{}`` otherwise).

    Those cases are the crimes recorded less the open and transferred ones, and the national
    overview prints the crimes recorded and, through the forces' outcome mix, the open cases:
    printed, they gave back a national count of 2 transferred rapes that no table prints
    (``tests/test_run_attacker.py``). The force reports' rows are decided with the outcome mix
    in the run's linked tables (``linked_quantities.DECIDED_TOGETHER``). Under rounding the
    difference of three published counts leaves a range wider than the base.
    """
    from .disclosure import get_profile
    from .national import linked_outcome_mix

    profile = get_profile(profile)
    if not profile.suppress or profile.round_base or table.empty:
        return {}
    mix = linked_outcome_mix(cases).pivot_table(index="offence_group", columns="outcome_group",
                                                values="n", aggfunc="sum", fill_value=0)
    censored = mix.reindex(columns=list(NOT_ENDED), fill_value=0)
    recorded = mix.sum(axis=1)
    groups = table["offence_group"].astype(str)
    reached = pd.to_numeric(table[REACHED_AN_OUTCOME]).to_numpy(dtype=float)
    same = reached == (recorded - censored.sum(axis=1)).reindex(groups).to_numpy(dtype=float)
    small = np.zeros(len(table), dtype=bool)
    for column in censored:
        small |= profile.is_disclosive(censored[column].reindex(groups).fillna(0).to_numpy())
    hide = same & small
    if not hide.any():
        return {}
    return {"decided": {REACHED_AN_OUTCOME: (hide, np.zeros(len(table), dtype=bool))},
            "secondary": "optimal"}


#: Counts of the timeliness tables that are funnel stages (``linked_funnel``'s ``n``) under
#: another name: ``{table: {column: stage}}``. Each is published as the funnel publishes it.
FUNNEL_QUANTITIES = {
    "timeliness": {"n": "recorded", "report_to_charge__n_events": "charged"},
    "cps_timeliness": {"n": "referred_to_cps"},
    "suspect_timeliness": {"n": "suspect_identified"},
}
#: The rates of those tables that rest on each count (hidden with it).
FUNNEL_QUANTITY_RATES = {"timeliness": TIMELINESS_RATES, "cps_timeliness": CPS_RATES,
                         "suspect_timeliness": SUSPECT_RATES}
_RATES = FUNNEL_QUANTITY_RATES


def as_in_funnel(frame: pd.DataFrame, mask: pd.DataFrame, funnel: pd.DataFrame,
                 funnel_mask: pd.DataFrame, table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A protected timeliness table (``table``: a key of :data:`FUNNEL_QUANTITIES`) with its
    funnel quantities hidden where the protected funnel hides them (where it prints a
    different number, a different quantity in this data, the table keeps its own), and the
    rates resting on a count it now hides hidden with it (issue 16, item 7)."""
    from .disclosure.linked_shares import as_published_in

    for column, stage in FUNNEL_QUANTITIES.get(table, {}).items():
        frame, mask, _ = as_published_in(
            frame, mask, column=column, source=funnel, source_mask=funnel_mask,
            source_column="n", keys=["force", "offence_group"],
            source_where={"stage": stage}, rates=_RATES[table])
    return frame, mask


def agree_with_funnel(protected, funnel, table: str):
    """:func:`as_in_funnel` on protected tables (what ``report.protect`` returns); a table
    the run protected with the funnel (its linked tables) is unchanged."""
    from .disclosure import ProtectedTable

    if not hasattr(funnel, "mask") or "stage" not in getattr(funnel, "frame", ()):
        raise TypeError("agree_with_funnel() needs the protected stage funnel (what "
                        "report.protect(linked_funnel(...), ...) returned).")
    if protected.frame.empty or funnel.frame.empty:
        return protected
    frame, mask = as_in_funnel(protected.frame.reset_index(drop=True),
                               protected.mask.reset_index(drop=True),
                               funnel.frame.reset_index(drop=True),
                               funnel.mask.reset_index(drop=True), table)
    return ProtectedTable(frame, mask, protected.record, primary=protected.primary,
                          counts=protected.counts)


# -- what a reader sees ----------------------------------------------------------------------
def _hidden(protected, column: str) -> np.ndarray:
    mask = getattr(protected, "mask", None)
    if mask is None or column not in mask:
        return np.zeros(len(protected.frame), dtype=bool)
    return mask[column].to_numpy(dtype=bool)


def _count(value, hidden: bool):
    if hidden:
        return MARKER
    return "" if value is None or pd.isna(value) else f"{value:,.0f}"


def median_text(estimate, low, high, *, hidden: bool = False) -> str:
    """A median in days with its interval: ``"412 (380 to 455)"``, ``"not reached"``, "[c]"."""
    if hidden:
        return MARKER
    if estimate is None or pd.isna(estimate):
        return NOT_REACHED
    ends = ["not reached" if v is None or pd.isna(v) else f"{v:,.0f}" for v in (low, high)]
    return f"{estimate:,.0f} ({ends[0]} to {ends[1]})"


def share_text(estimate, low, high, *, hidden: bool = False, missing: str = "") -> str:
    """A share as a percentage with its interval: ``"5.2% (3.9% to 6.8%)"``."""
    if hidden:
        return MARKER
    if estimate is None or pd.isna(estimate):
        return missing
    if pd.isna(low) or pd.isna(high):
        return f"{estimate:.1%}"
    return f"{estimate:.1%} ({low:.1%} to {high:.1%})"


def _labels(frame: pd.DataFrame, column: str, labels: dict) -> list[str]:
    return [labels.get(v, v) for v in frame[column]]


def timeliness_view(*protected, within_days: int = WITHIN_DAYS) -> pd.DataFrame:
    """Protected :func:`timeliness_table`, :func:`cps_table` or :func:`suspect_table` frames as
    text: one row per offence group and measure."""
    labels = {**analysis.MEASURES, **analysis.SUSPECT_MEASURES}
    order = {m: i for i, m in enumerate(labels)}
    groups = {g: i for i, g in enumerate(GROUPS)}
    rows = []
    for table in protected:
        frame = table.frame.reset_index(drop=True)
        measures = [m for m in labels if f"{m}__estimate" in frame]
        hide_n = _hidden(table, "n")
        for m in measures:
            hide_events = _hidden(table, f"{m}__n_events")
            # "not reached" would say something about a hidden count reaching the milestone
            hide_median = _hidden(table, f"{m}__estimate") | hide_events
            for i, row in frame.iterrows():
                record = {
                    "_sort": (groups.get(row["offence_group"], len(groups)), order[m]),
                    "Offences": GROUPS.get(row["offence_group"], row["offence_group"]),
                    "Measure": labels[m],
                    "Cases": _count(row["n"], hide_n[i]),
                    "Reached the milestone": _count(row[f"{m}__n_events"], hide_events[i]),
                    "Median days (95% interval)": median_text(
                        row[f"{m}__estimate"], row[f"{m}__ci_low"], row[f"{m}__ci_high"],
                        hidden=hide_median[i]),
                }
                if f"{m}__share" in frame:
                    hide_share = (_hidden(table, f"{m}__share")
                                  | _hidden(table, f"{m}__n_within"))[i]
                    record[f"Share within {within_days} days (95% interval)"] = share_text(
                        row[f"{m}__share"], row[f"{m}__share_ci_low"],
                        row[f"{m}__share_ci_high"], hidden=hide_share,
                        missing="not followed long enough")
                rows.append(record)
    view = pd.DataFrame(rows)
    if view.empty:
        return pd.DataFrame({"Offences": [], "Measure": []})
    return view.sort_values("_sort", kind="stable").drop(columns="_sort").reset_index(drop=True)


def suspect_view(protected) -> pd.DataFrame:
    """The protected :func:`suspect_table` as text."""
    return timeliness_view(protected)


def arrests_view(protected) -> pd.DataFrame:
    """The protected :func:`arrests_table` as text."""
    frame = protected.frame.reset_index(drop=True)
    return pd.DataFrame({
        "Offences": _labels(frame, "offence_group", GROUPS),
        "Arrested within (days of identification)": frame["within_days"].astype(int),
        "Suspects identified, followed that long": [
            _count(v, h) for v, h in zip(frame["n_suspects"], _hidden(protected, "n_suspects"),
                                         strict=True)],
        "Arrested": [_count(v, h) for v, h in zip(frame["n"], _hidden(protected, "n"),
                                                  strict=True)],
        "Share arrested (95% interval)": [
            share_text(e, lo, hi, hidden=h) for e, lo, hi, h in zip(
                frame["estimate"], frame["ci_low"], frame["ci_high"],
                _hidden(protected, "estimate"), strict=True)],
    })


def decisions_view(protected) -> pd.DataFrame:
    """The protected :func:`decisions_table` as text: one row per offence group and
    position. Rape and other sexual offences are left out when every one of their figures is
    hidden and those of all sexual offences are not (:func:`decisions_note` says so): eight
    rows of "[c]" under a published total told a reader nothing."""
    frame = protected.frame.reset_index(drop=True)
    hide_files = _hidden(protected, "n_files")
    whole = np.column_stack([_hidden(protected, c) for c in DECISION_COUNTS]).all(axis=1)
    split = frame["offence_group"].ne("all").to_numpy()
    drop = whole & split if not whole[~split].all() else np.zeros(len(frame), dtype=bool)
    rows = []
    for i, row in frame.iterrows():
        if drop[i]:
            continue
        for decision in DECISION_POSITIONS:
            hide_n = _hidden(protected, f"{decision}__n")[i]
            rows.append({
                "Offences": GROUPS.get(row["offence_group"], row["offence_group"]),
                "Position of the file": DECISION_LABELS[decision],
                "Files": _count(row[f"{decision}__n"], hide_n),
                "Files referred": _count(row["n_files"], hide_files[i]),
                "Share (95% interval)": share_text(
                    row[f"{decision}__estimate"], row[f"{decision}__ci_low"],
                    row[f"{decision}__ci_high"],
                    hidden=hide_n or _hidden(protected, f"{decision}__estimate")[i]),
            })
    return pd.DataFrame(rows, columns=["Offences", "Position of the file", "Files",
                                       "Files referred", "Share (95% interval)"])


# -- which cases, in words ---------------------------------------------------------------------
def _day(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _extract(cases: pd.DataFrame, extract_date: object):
    if extract_date:
        return pd.Timestamp(extract_date)
    return cases["extract_date"].max() if len(cases) else None


def timeliness_note(cases: pd.DataFrame, *, within_days: int = WITHIN_DAYS,
                    extract_date: object = None) -> str:
    """Which cases the timeliness table counts and how, in a few sentences."""
    if cases.empty:
        return "No cases in the report period."
    return (
        # the report period, never the first or last case's date (which would single it out)
        "Every case recorded in the report period (named in the title), each followed to the "
        f"extract date ({_day(_extract(cases, extract_date))}): cases still open then count for as long as "
        "they were open (censored), never as failures and never dropped. Days run from the "
        "report, or for the CPS from the file's referral to its decision (an action plan "
        "counts as a decision). A case that ended another way first can no longer reach the "
        "milestone (a competing outcome), so each median is read off the cumulative incidence "
        "(Aalen–Johansen; Kaplan–Meier for any outcome): the first day by which half the "
        "cases had reached it. \"Not reached\" means fewer than half had by the end of "
        f"follow-up; the share within {within_days} days is then the figure to read. "
        "Intervals are 95%. The clocks need their dates: the CPS rows count the files with a "
        "referral date and the charge rows the cases whose outcome is a charge, where the "
        "funnel also counts a case charged without a referral date at its referral stage, "
        "and a charge date under another outcome as charged, so these counts can be lower "
        "than the funnel's.")


def suspect_note(cases: pd.DataFrame, *, extract_date: object = None) -> str:
    """Which cases the suspect tables count, in a few sentences."""
    if cases.empty:
        return "No cases in the report period."
    extract = _extract(cases, extract_date)
    windows = " and ".join(f"{w} days" for w in ARREST_WINDOWS)
    lasts = ", ".join(f"by {_day(extract - pd.Timedelta(days=w))} for {w} days"
                      for w in ARREST_WINDOWS)
    return (
        "Cases with an identified suspect, days counted from the day the suspect was "
        "identified. The medians follow every such case to the extract date "
        f"({_day(extract)}), open cases censored and a case ending first competing. The "
        f"shares arrested within {windows} count only suspects identified early enough to "
        f"have been followed that long ({lasts}), so recent cases do not pull them down. Many "
        "suspects are interviewed voluntarily rather than arrested. Intervals are 95%.")


def decisions_note(protected, cases: pd.DataFrame, *, within_days: int = WITHIN_DAYS,
                   extract_date: object = None) -> str:
    """Which files the decision table counts, which positions are pooled, and (from the
    protected table) which offence groups disclosure control hid whole."""
    frame = protected.frame.reset_index(drop=True)
    extract = _extract(cases, extract_date)
    referred_by = None if extract is None else _day(extract - pd.Timedelta(days=within_days))
    cohort = f"referred by {referred_by}" if referred_by else "referred in the period"
    text = (f"Files {cohort}, so that each has had {within_days} days since its referral, "
            f"placed where they stood {within_days} days after the referral. A decision "
            "recorded later counts as still awaited then. The records hold one decision per "
            "case, so a file returned with an action plan and sent again counts once. A file "
            "returned with an action plan, an out-of-court disposal advised and a case that "
            "ended before any decision are counted together as \"other\", as published "
            "charging statistics pool their smallest categories: apart, they are too few in "
            "most forces to show.")
    hidden = np.column_stack([_hidden(protected, c) for c in DECISION_COUNTS])
    whole = [GROUPS.get(g, g).lower() for g, h in zip(frame["offence_group"], hidden.all(axis=1),
                                                       strict=True) if h]
    if whole and len(whole) == len(frame):
        # the reason is not told apart (this force's small counts, or another force's in
        # the national totals these add up to): which would say whether these are small
        text += (" Every figure of the table is hidden ([c]): too few files were referred, "
                 "here or in a force whose figures add up with these to the national totals, "
                 "to show even the pooled positions safely.")
    elif whole:
        text += (f" Every figure for {' and '.join(whole)} is hidden: split that finely, some "
                 "counts, here or in another force of the national totals, are too small to "
                 "publish, and any one shown would give them away, so the table shows all "
                 "sexual offences only.")
    return text
