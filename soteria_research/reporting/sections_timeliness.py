"""Report glue for three sections of the force and national reports: timeliness, prosecution
decisions and suspect-focused measures (docs/domain.md §3 and §6, pillar 1).

Each table is the analysis function of :mod:`soteria_research.analysis.timeliness` run for all
sexual offences and split into rape and other sexual offences (``offence_group``), the "all"
row being the total the split adds up to, so that disclosure control knows the structure.
The ``*_table`` functions give the unprotected frame and the ``*_COUNTS``/``*_RATES`` constants
its disclosure structure (the notebook passes both to ``report.protect``); the ``*_view``
functions turn the protected table into the text a reader sees ("[c]" where hidden, "not
reached" where a median is not reached); the ``*_note`` functions say which cases each table
counts. Nothing here computes an estimate of its own.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..analysis import timeliness as analysis
from .disclosure.profiles import MARKER

__all__ = [
    "ARREST_COUNTS", "ARREST_RATES", "DECISION_COUNTS", "DECISION_RATES", "GROUPS",
    "SUSPECT_COUNTS", "SUSPECT_RATES", "TIMELINESS_COUNTS", "TIMELINESS_RATES", "WITHIN_DAYS",
    "LINKED", "arrests_table", "arrests_view", "by_offence_group", "decisions_note", "decisions_table",
    "decisions_view", "linked_tables", "median_text", "share_text", "suspect_note", "suspect_table",
    "suspect_view", "timeliness_note", "timeliness_table", "timeliness_view",
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
    "awaiting": "Still awaiting a decision",
}
NOT_REACHED = "not reached"

_MEDIAN_RATES = {c: ("n_events", "n") for c in ("estimate", "ci_low", "ci_high")}
#: Disclosure structure of :func:`timeliness_table` (``by=["measure"]``).
TIMELINESS_COUNTS = ["n", "n_events", "n_within"]
TIMELINESS_RATES = {**_MEDIAN_RATES,
                    **{c: ("n_within", "n") for c in ("share", "share_ci_low", "share_ci_high")}}
#: Disclosure structure of :func:`suspect_table` (``by=["measure"]``).
SUSPECT_COUNTS = ["n", "n_events"]
SUSPECT_RATES = _MEDIAN_RATES
#: Disclosure structure of :func:`arrests_table` (``kind="rates", by=["within_days"]``).
ARREST_COUNTS = ["n", "n_suspects"]
ARREST_RATES = {c: ("n", "n_suspects") for c in ("estimate", "ci_low", "ci_high")}
#: Disclosure structure of :func:`decisions_table` (``kind="rates"``).
DECISION_COUNTS = ["n", "n_files"]
DECISION_RATES = {c: ("n", "n_files") for c in ("estimate", "ci_low", "ci_high")}


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


def _complete(table: pd.DataFrame, cases: pd.DataFrame, by: str | None, key: str,
              values, counts: list[str]) -> pd.DataFrame:
    """With ``by``, every value of ``by`` in ``cases`` × offence group × ``values`` of
    ``key``, absent rows with zero counts: so the run's linked table holds every row a
    report of one force can have (a force with no referred file has a row of zeros)."""
    if not by:
        return table
    index = pd.MultiIndex.from_product(
        [sorted(cases[by].dropna().unique()), list(GROUPS), list(values)],
        names=[by, "offence_group", key])
    done = table.set_index([by, "offence_group", key]).reindex(index).reset_index()
    done[counts] = done[counts].fillna(0).astype(int)
    done.attrs = dict(table.attrs)
    return done


def timeliness_table(cases: pd.DataFrame, *, within_days: int = WITHIN_DAYS,
                     extract_date: object = None, by: str | None = None) -> pd.DataFrame:
    """Median days (``timeliness``) beside the share by ``within_days`` (``timeliness_shares``)
    for each offence group and measure: ``offence_group, measure, n, n_events, estimate,
    ci_low, ci_high, n_within, share, share_ci_low, share_ci_high`` (``by`` first when
    given)."""
    outer = [by] if by else []
    medians = by_offence_group(analysis.timeliness, cases, by=by, extract_date=extract_date)
    shares = by_offence_group(analysis.timeliness_shares, cases, by=by,
                              within_days=within_days, extract_date=extract_date)
    shares = shares.rename(columns={"n_events": "n_within", "estimate": "share",
                                    "ci_low": "share_ci_low", "ci_high": "share_ci_high"})
    keys = [*outer, "offence_group", "measure"]
    table = medians[[*keys, "n", "n_events", "estimate", "ci_low", "ci_high"]].merge(
        shares[[*keys, "n_within", "share", "share_ci_low", "share_ci_high"]], on=keys,
        how="left", validate="1:1")
    table["n_within"] = table["n_within"].fillna(0).astype(int)
    table = _complete(table, cases, by, "measure", analysis.MEASURES, TIMELINESS_COUNTS)
    table.attrs["within_days"] = within_days
    return table


def suspect_table(cases: pd.DataFrame, *, extract_date: object = None,
                  by: str | None = None) -> pd.DataFrame:
    """Median days from identification to arrest and to interview (``suspect_timeliness``):
    ``offence_group, measure, n, n_events, estimate, ci_low, ci_high``."""
    outer = [by] if by else []
    medians = by_offence_group(analysis.suspect_timeliness, cases, by=by,
                               extract_date=extract_date)
    table = medians[[*outer, "offence_group", "measure", "n", "n_events", "estimate", "ci_low",
                     "ci_high"]]
    return _complete(table, cases, by, "measure", analysis.SUSPECT_MEASURES, SUSPECT_COUNTS)


def arrests_table(cases: pd.DataFrame, *, within_days=ARREST_WINDOWS,
                  extract_date: object = None, by: str | None = None) -> pd.DataFrame:
    """Share of identified suspects arrested within each window (``suspects_arrested``)."""
    outer = [by] if by else []
    table = by_offence_group(analysis.suspects_arrested, cases, by=by, within_days=within_days,
                             extract_date=extract_date)
    table = _complete(table, cases, by, "within_days", sorted(table["within_days"].unique()),
                      ARREST_COUNTS)
    return table.sort_values([*outer, "within_days"], kind="stable").reset_index(drop=True)


def decisions_table(cases: pd.DataFrame, *, within_days: int = WITHIN_DAYS,
                    extract_date: object = None, by: str | None = None) -> pd.DataFrame:
    """Where referred files stand ``within_days`` after referral (``prosecution_decisions``):
    ``offence_group, decision, n, n_files, estimate, ci_low, ci_high``."""
    table = by_offence_group(analysis.prosecution_decisions, cases, by=by,
                             within_days=within_days, extract_date=extract_date)
    out = _complete(table.drop(columns="within_days"), cases, by, "decision",
                    analysis.DECISIONS, DECISION_COUNTS)
    out.attrs = {**table.attrs, "within_days": within_days}
    return out


#: The names of these sections' tables in the force reports, protected once for the run with
#: every force (see :func:`linked_tables`); the national overview's own are named ``…_national``.
LINKED = ("timeliness", "suspect_timeliness", "suspects_arrested", "prosecution_decisions")


def linked_tables(cases: pd.DataFrame, *, extract_date: object = None
                  ) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Every force's tables of these sections, for the run's linked disclosure control
    (``reporting.national``): a force's hidden cell is then never the only hidden one of its
    national line, so the national overview cannot reveal it by subtraction."""
    x = {"extract_date": extract_date, "by": "force"}
    return {
        "timeliness": (timeliness_table(cases, **x),
                       {"counts": TIMELINESS_COUNTS, "rates": TIMELINESS_RATES,
                        "by": ["measure"]}),
        "suspect_timeliness": (suspect_table(cases, **x),
                               {"counts": SUSPECT_COUNTS, "rates": SUSPECT_RATES,
                                "by": ["measure"]}),
        "suspects_arrested": (arrests_table(cases, **x),
                              {"kind": "rates", "counts": ARREST_COUNTS, "rates": ARREST_RATES,
                               "by": ["within_days"]}),
        "prosecution_decisions": (decisions_table(cases, **x),
                                  {"kind": "rates", "counts": DECISION_COUNTS,
                                   "rates": DECISION_RATES}),
    }


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


def timeliness_view(protected, *, within_days: int = WITHIN_DAYS,
                    measures: dict | None = None) -> pd.DataFrame:
    """The protected :func:`timeliness_table` (or :func:`suspect_table`) as text: one row per
    offence group and measure."""
    frame = protected.frame.reset_index(drop=True)
    measures = measures or {**analysis.MEASURES, **analysis.SUSPECT_MEASURES}
    # "not reached" would say something about a hidden count of cases reaching the milestone
    hide_median = _hidden(protected, "estimate") | _hidden(protected, "n_events")
    view = pd.DataFrame({
        "Offences": _labels(frame, "offence_group", GROUPS),
        "Measure": _labels(frame, "measure", measures),
        "Cases": [_count(v, h) for v, h in zip(frame["n"], _hidden(protected, "n"),
                                                strict=True)],
        "Reached the milestone": [_count(v, h) for v, h in zip(
            frame["n_events"], _hidden(protected, "n_events"), strict=True)],
        "Median days (95% interval)": [
            median_text(e, lo, hi, hidden=h) for e, lo, hi, h in zip(
                frame["estimate"], frame["ci_low"], frame["ci_high"], hide_median,
                strict=True)],
    })
    if "share" in frame:
        view[f"Share within {within_days} days (95% interval)"] = [
            share_text(e, lo, hi, hidden=h, missing="not followed long enough")
            for e, lo, hi, h in zip(frame["share"], frame["share_ci_low"],
                                    frame["share_ci_high"],
                                    _hidden(protected, "share") | _hidden(protected, "n_within"),
                                    strict=True)]
    return view


def suspect_view(protected) -> pd.DataFrame:
    """The protected :func:`suspect_table` as text."""
    return timeliness_view(protected, measures=analysis.SUSPECT_MEASURES)


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
    position."""
    frame = protected.frame.reset_index(drop=True)
    return pd.DataFrame({
        "Offences": _labels(frame, "offence_group", GROUPS),
        "Position of the file": _labels(frame, "decision", DECISION_LABELS),
        "Files": [_count(v, h) for v, h in zip(frame["n"], _hidden(protected, "n"),
                                                strict=True)],
        "Files referred": [_count(v, h) for v, h in zip(frame["n_files"],
                                                         _hidden(protected, "n_files"),
                                                         strict=True)],
        "Share (95% interval)": [
            share_text(e, lo, hi, hidden=h) for e, lo, hi, h in zip(
                frame["estimate"], frame["ci_low"], frame["ci_high"],
                _hidden(protected, "estimate"), strict=True)],
    })


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
        f"Cases recorded from {_day(cases['recorded_date'].min())} to "
        f"{_day(cases['recorded_date'].max())}, each followed to the extract date "
        f"({_day(_extract(cases, extract_date))}): cases still open then count for as long as "
        "they were open (censored), never as failures and never dropped. Days run from the "
        "report, or for the CPS from the file's referral to its decision (an action plan "
        "counts as a decision). A case that ended another way first can no longer reach the "
        "milestone (a competing outcome), so each median is read off the cumulative incidence "
        "(Aalen–Johansen; Kaplan–Meier for any outcome): the first day by which half the "
        "cases had reached it. \"Not reached\" means fewer than half had by the end of "
        f"follow-up; the share within {within_days} days is then the figure to read. "
        "Intervals are 95%.")


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


def decisions_note(protected, *, within_days: int = WITHIN_DAYS) -> str:
    """Which files the decision table counts, and how many came back with an action plan
    (from the protected table: "[c]" when hidden)."""
    frame = protected.frame.reset_index(drop=True)
    referred_by = frame.attrs.get("referred_by") or protected.frame.attrs.get("referred_by")
    rows = np.flatnonzero((frame["offence_group"].eq("all")
                           & frame["decision"].eq("further_investigation")).to_numpy())
    returned = (_count(frame["n"].iloc[rows[0]], bool(_hidden(protected, "n")[rows[0]]))
                if len(rows) else "")
    cohort = f"referred by {referred_by}" if referred_by else "referred in the period"
    text = (f"Files {cohort}, so that each has had {within_days} days since its referral, "
            f"placed where they stood {within_days} days after the referral. A decision "
            "recorded later counts as still awaited then. The records hold one decision per "
            "case, so a file returned with an action plan and sent again counts once.")
    if returned:
        text += f" Files returned with an action plan: {returned}."
    return text
