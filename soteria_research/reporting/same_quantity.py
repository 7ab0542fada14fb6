"""One quantity, one decision: report tables that print a linked quantity under another name.

The run's linked tables (headline, funnel, outcome mix, trends; ``national._linked_tables``)
are protected once for the whole run, and some of their cells are hidden only to protect
another force's small count (secondary suppression). Other tables of a force report print
some of the same quantities under other names: the driver models' cases of the offence-group
term are that group's crimes recorded, the withdrawal-stage table's "Out of" is the outcome
mix's withdrawals, and so on. Printed there, a hidden quantity undoes the protection of the
count it was hidden for (issue 16, item 7: City of London's counts followed by subtraction
from the national figures under the ``partner`` profile).

Each such column is *declared* here (:data:`SAME_QUANTITIES`): which report table and rows
hold it, which linked cell it is, and which columns give it back (its shares). Protecting a
report table applies the declarations (:func:`hide_same_quantities`, called by
``ReportTables.protect``): the column is hidden wherever the linked cell is, with those
columns, in the protected frame itself, so that tables, figures, text and the take-away files
agree, and the table's record in ``disclosure.json`` counts the cells hidden this way. Three
rules that are not one cell for one cell follow the declarations (:data:`CONSEQUENCES`).

See ``docs/methods.md`` §8, "The same count under another name is the same cell".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .report_common import share_of

__all__ = ["ALLEGATION_PARTS", "ALLEGATION_TOTAL", "SAME_QUANTITIES", "SameQuantity", "hide",
           "hide_same_quantities", "protect_allegations", "record_hidden"]

_RATES = ("estimate", "ci_low", "ci_high")

#: ``is_hidden(linked table, column, **where)``: whether the run's linked ``table`` hides this
#: force's ``column`` in any row matching ``where`` (``ReportTables._linked_cell_hidden``).
LinkedCheck = Callable[..., bool]


@dataclass(frozen=True)
class SameQuantity:
    """A column of a report table that is a linked table's quantity under another name.

    Attributes
    ----------
    table : str
        The report table (the ``name=`` it is protected under).
    column : str
        The column holding the quantity.
    linked, linked_column : str
        The run's linked table and count column holding the same quantity.
    where : tuple of (key, value)
        The linked row(s). Where several rows match (every year of the trends), the report's
        quantity is their sum: hidden if any of them is hidden.
    rows : tuple of (key, value)
        The report table's rows holding the quantity (every row when empty).
    hidden_with : tuple of str
        Columns of those rows that give the quantity back (its shares and intervals).
    why : str
        What the quantity is, for the reader of this module and of ``disclosure.json``.
    """

    table: str
    column: str
    linked: str
    linked_column: str
    where: tuple[tuple[str, str], ...]
    rows: tuple[tuple[str, str], ...] = ()
    hidden_with: tuple[str, ...] = ()
    why: str = ""


def _recorded(group: str) -> tuple[str, str, tuple]:
    return "headline_recorded", "count", (("offence_group", group),)


_WITHDRAWALS = ("outcome_mix", "n", (("offence_group", "all"),
                                    ("outcome_group", "victim_withdrawal")))
# every year of the trends and their sum (cohort "all"): hidden wherever any of them is
_CASES_FOLLOWED = ("cohort_trends", "n", (("offence_group", "all"), ("outcome", "all")))
_CHARGED_WITHIN = ("cohort_trends", "n", (("offence_group", "all"), ("outcome", "charge")))


def _same(table, column, linked, rows=(), hidden_with=(), why=""):
    return SameQuantity(table, column, *linked, rows=tuple(rows), hidden_with=tuple(hidden_with),
                        why=why)


#: Every report column that prints a linked quantity under another name.
SAME_QUANTITIES: tuple[SameQuantity, ...] = (
    *(_same("drivers", "n", _recorded(group), rows=[("term", f"offence_group[T.{group}]")],
            why=f"the cases of the offence-group term ({group}) are that group's crimes "
                "recorded")
      for group in ("rape", "other_sexual")),
    _same("device_requests", "n", _recorded("all"),
          rows=[("measure", "withdrawal_hazard_ratio")],
          why="the withdrawal hazard ratio rests on all the force's cases"),
    _same("device_requests", "n_events", _WITHDRAWALS,
          rows=[("measure", "withdrawal_hazard_ratio")],
          why="the withdrawal hazard ratio's events are the force's withdrawals"),
    _same("device_requests", "n", _CASES_FOLLOWED, rows=[("measure", "request_share")],
          hidden_with=_RATES,
          why="the cases of the share of requests are the trend table's years together "
              "(cohorts.followed_cases): hidden wherever a year is, a part of it"),
    _same("withdrawal_stage", "n_withdrawals", _WITHDRAWALS, hidden_with=_RATES,
          why="'Out of' is the force's withdrawals (each share gives it back with its count)"),
    _same("repeat_suspects", "n_cases", ("funnel", "n", (("offence_group", "all"),
                                                          ("stage", "suspect_identified"))),
          why="cases with a named suspect are the funnel's suspects identified"),
    _same("officer_caseload", "cases", _recorded("all"), rows=[("caseload", "all")],
          why="the cases of all officers are the force's crimes recorded"),
    _same("officer_caseload", "cases", ("headline", "count", (("offence_group", "all"),
                                                              ("measure", "still_open"))),
          rows=[("caseload", "open")], why="the open cases are the headline's still open"),
    _same("programme_force_before_after", "n_cohort", _CASES_FOLLOWED, hidden_with=_RATES,
          why="before and after together are the cases of the trend table's years (its "
              "quarters stop at the last of them: programme_section.followed_years)"),
    _same("programme_force_before_after", "n", _CHARGED_WITHIN, hidden_with=_RATES,
          why="before and after together are those charged within the year, the trend "
              "table's years together"),
)


#: The earlier-allegations table's outcomes whose two allegation groups add up to a headline
#: figure within a year (all offences). Both groups are the headline's cases followed for a
#: year that have a named suspect, each judged on the same year, and a charge or evidential
#: difficulties (outcome 15) needs a named suspect (``docs/domain.md``): the groups' charges
#: *are* the headline's charges within a year. A reader holding the headline's figure and one
#: group's count has the other's (on the suite's run under ``partner``, North Yorkshire's 8
#: earlier allegations charged, a small count the table hid, were its 28 less 20).
ALLEGATION_PARTS = {"charge": "charged_within", "evidential_difficulty": "evidential_within"}
#: The allegation of the rows added while the table is protected: both groups together.
ALLEGATION_TOTAL = "all"


def protect_allegations(frame: pd.DataFrame, protect: Callable, is_hidden: LinkedCheck):
    """Protect the earlier-allegations table (``pillars.earlier_allegation_outcomes``) with
    ``protect`` (``ReportTables.protect``), its groups taken to add up to the headline.

    The table is protected with a row per outcome of both groups together (allegation
    ``"all"``), so that the allegation groups are a dimension with totals, not two tables.
    Where the run's linked headline prints the force's figure (:data:`ALLEGATION_PARTS`), that
    total is a count a reader knows (never a complement); where it hides it (City of London's,
    or another force's hidden to protect it), the total is protected like a small count, so
    the two groups' counts do not give it back. Every other total is taken as known, which
    only protects more. The rows of both groups together are then dropped: the table shows
    the groups, as before, and its record counts the cells it shows.
    """
    options = {"name": "earlier_allegations", "kind": "rates", "counts": ["n", "n_total"],
               "rates": share_of("n", "n_total"), "keys": ["within_days"],
               "columns_add_up": False}
    if frame.empty or not {"allegation", "outcome_group", "n", "n_total"} <= set(frame.columns):
        return protect(frame, **options)
    groups = frame.groupby("allegation", sort=False)["n_total"].first()
    both = frame.groupby("outcome_group", sort=False, observed=True)["n"].sum().reset_index()
    both["allegation"] = ALLEGATION_TOTAL
    both["n_total"] = groups.sum()
    both["estimate"] = both["n"] / both["n_total"] if groups.sum() else np.nan
    both["ci_low"] = both["ci_high"] = both["estimate"]  # never shown: the rows are dropped
    for column in frame.columns.difference(both.columns):
        both[column] = frame[column].iloc[0]
    table = pd.concat([frame, both[frame.columns]], ignore_index=True)
    total = table["allegation"].eq(ALLEGATION_TOTAL).to_numpy()
    outcome = table["outcome_group"].astype(str)
    hidden = np.zeros(len(table), dtype=bool)
    printed = np.zeros(len(table), dtype=bool)
    for group, measure in ALLEGATION_PARTS.items():
        rows = total & outcome.eq(group).to_numpy()
        if is_hidden("headline", "count", offence_group="all", measure=measure):
            hidden |= rows
        else:
            printed |= rows
    protected = protect(table, secondary="optimal", decided={"n": (hidden, printed)},
                        **options)
    protected = _without_rows(protected, total)
    record = protected.record
    record.notes = [note for note in record.notes if "another linked table has them" not in note]
    if record.status != "internal":
        record.notes.append(f"both allegation groups together: {int(printed.sum())} of the "
                            "headline's figures within a year known to a reader, "
                            f"{int(hidden.sum())} kept unknown")
    return protected


def _without_rows(protected, rows: np.ndarray):
    """``protected`` without ``rows`` (rows added only to protect the others), its record
    counting the cells left."""
    keep = ~rows
    protected.frame = protected.frame.loc[keep].reset_index(drop=True)
    protected.mask = protected.mask.loc[keep].reset_index(drop=True)
    record = protected.record
    counts = list(protected.counts) or [c for c in ("n", "n_total") if c in protected.mask]
    if protected.primary is not None:
        protected.primary = protected.primary.loc[keep].reset_index(drop=True)
        primary = protected.primary.reindex(columns=counts, fill_value=False).to_numpy()
        hidden = protected.mask[counts].to_numpy()
        record.primary_suppressed = int((primary & hidden).sum())
        record.secondary_suppressed = int((hidden & ~primary).sum())
        derived = protected.mask.columns.difference(counts)
        record.derived_suppressed = int(protected.mask[derived].to_numpy().sum())
    record.n_cells = int(keep.sum()) * len(counts)
    if record.rounded:  # the published counts rounded, of the rows left
        shown = ~protected.mask[counts].to_numpy() & protected.frame[counts].notna().to_numpy()
        record.rounded = int(shown.sum())
    return protected


def _rows(frame: pd.DataFrame, rows: tuple[tuple[str, str], ...]) -> np.ndarray:
    chosen = np.ones(len(frame), dtype=bool)
    for key, value in rows:
        if key not in frame.columns:
            return np.zeros(len(frame), dtype=bool)
        chosen &= frame[key].astype(str).eq(value).to_numpy()
    return chosen


def hide(protected, rows: np.ndarray, columns) -> None:
    """Hide ``columns`` in ``rows`` of a protected table: NaN in the frame, True in the mask."""
    for column in columns:
        if column in protected.frame.columns and rows.any():
            if protected.frame[column].dtype.kind in "iub":
                protected.frame[column] = protected.frame[column].astype(float)
            protected.frame.loc[rows, column] = np.nan
            protected.mask.loc[rows, column] = True


def _one_count_per_term(protected, _declared_hidden: bool) -> None:
    """Drivers: a term's cases are one count in every model (charge and withdrawal, rate and
    probability): hidden in all rows where any row hides them (item 7's rule for the run)."""
    frame = protected.frame
    if not {"term", "n"} <= set(frame.columns):
        return
    terms = frame["term"].astype(str)
    hidden_terms = set(terms[protected.mask["n"].to_numpy()])
    hide(protected, terms.isin(hidden_terms).to_numpy(), ["n"])


def _largest_stage(protected, declared_hidden: bool) -> None:
    """Withdrawal stage: the stages' counts add up to the withdrawals, so where "Out of" is
    hidden and every stage's count printed, the largest is hidden too (with its median)."""
    if not declared_hidden or "n" not in protected.frame.columns or not len(protected.frame):
        return
    shown = ~protected.mask["n"].to_numpy()
    if shown.all():
        largest = np.zeros(len(shown), dtype=bool)
        largest[int(np.nanargmax(protected.frame["n"].to_numpy(dtype=float)))] = True
        hide(protected, largest, ["n", "median_days"])


#: Rules that follow a table's declarations: ``rule(protected, any_declared_cell_hidden)``.
CONSEQUENCES: dict[str, Callable] = {"drivers": _one_count_per_term,
                                     "withdrawal_stage": _largest_stage}

#: Columns of the consequences that are shares or one person's value, not counts.
_DERIVED = {"median_days", *_RATES}


def hide_same_quantities(protected, name: str, is_hidden: LinkedCheck) -> int:
    """Hide, in ``protected`` (frame and mask), every declared column of table ``name``
    wherever the run's linked tables hide the same quantity, and what follows from it; count
    the cells in the table's record (``disclosure.json``). Returns the number of cells hidden
    here (0 when applied a second time: it is idempotent)."""
    declared = [s for s in SAME_QUANTITIES if s.table == name]
    consequence = CONSEQUENCES.get(name)
    if (not declared and consequence is None) or protected.frame.empty:
        return 0
    before = protected.mask.to_numpy().copy()
    hidden_any, whys = False, []
    for same in declared:
        if same.column not in protected.frame.columns:
            continue
        if is_hidden(same.linked, same.linked_column, **dict(same.where)):
            rows = _rows(protected.frame, same.rows)
            hide(protected, rows, [same.column, *same.hidden_with])
            hidden_any, whys = hidden_any or rows.any(), [*whys, same.why]
    if consequence is not None:
        consequence(protected, hidden_any)
    derived = {*_DERIVED, *(c for s in declared for c in s.hidden_with)}
    reason = "; ".join(dict.fromkeys(whys)) if whys else "one count, hidden in every row"
    return record_hidden(protected, before, derived, reason)


def record_hidden(protected, before: np.ndarray, derived, reason: str,
                  note: str = "hidden where the run's linked tables hide the same quantity"
                  ) -> int:
    """Count, in ``protected.record`` (``disclosure.json``), the cells hidden since ``before``
    (the mask as it was): counts as secondary suppression, ``derived`` columns (shares,
    intervals) as derived. The reason is said except at ``publication``, where the log says
    what was hidden, not why. Returns the number of cells."""
    new = protected.mask.to_numpy() & ~before
    if not new.any():
        return 0
    is_derived = np.array([c in derived for c in protected.mask.columns])
    record = protected.record
    record.secondary_suppressed += int(new[:, ~is_derived].sum())
    record.derived_suppressed += int(new[:, is_derived].sum())
    if record.status == "pass":
        record.status = "suppressed"
    note = f"{int(new.sum())} cell(s) {note}"
    record.notes.append(note if record.profile == "publication" else f"{note} ({reason})")
    return int(new.sum())
