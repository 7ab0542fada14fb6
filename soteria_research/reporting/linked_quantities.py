"""One quantity, one decision, across the run's linked tables: the declared rules.

The run's linked tables (``national._linked_tables``: headline, funnel, outcome mix, trends,
demographics) are each protected for the whole run, but apart. Some of them publish the same
quantity, or its parts: the funnel's "Crime recorded" row *is* the headline's crimes recorded,
the outcome mix's outcomes add up to them, the headline's cases still open *are* the outcome
mix's open cases. Protected apart, two tables can decide differently about the same quantity,
and a count one table hides (often only to protect City of London's) is printed by the other:
on runs of small forces this gave City of London's crimes recorded and Bedfordshire's open
rapes back (issue 16, item 7).

Each such link is declared here (:data:`LINKED_QUANTITIES`), with the function of
``disclosure.linked_shares`` that applies it, the tables and columns it names, and why. The
national preparation applies them in order after protection (:func:`apply_linked_quantities`)
and first checks that every table, column and key they name is in the run's linked tables
(:func:`check_linked_quantities`): a renamed column fails the run, rather than silently
leaving a quantity printed in one table and hidden in the other. The tests check every rule
against the tables the package builds, row values included.

Links that can be decided while a table is protected are declared in
:data:`DECIDED_TOGETHER` instead: the table, protected after its source, takes the source's
decision on the same number into its own secondary suppression, so what it hides is protected
by its own pattern (the funnel's charged stage and the outcome mix's charges). Parts of a
total the source hides (the outcome mix's outcomes, the crimes recorded) are declared in
:data:`DECIDED_PARTS`: the table keeps that total unknown as part of its own pattern.

See ``docs/methods.md`` §8, "The same count under another name is the same cell".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..analysis.demographics import DIMENSIONS, SHARE_OUTCOMES
from ..analysis.outcomes import NOT_ENDED
from ..errors import DisclosureError
from .disclosure.linked_shares import (
    decided_cells,
    decided_parts,
    decided_remainder,
    follow_published,
    hide_parts_of_hidden_totals,
    hide_where_hidden,
    shares_over_published_totals,
    show_where_published,
)
from .sections_timeliness import FUNNEL_QUANTITIES, FUNNEL_QUANTITY_RATES

__all__ = ["DECIDED_PARTS", "DECIDED_TOGETHER", "LINKED_QUANTITIES", "LinkedQuantity",
           "apply_linked_quantities", "check_linked_quantities", "decided_together"]

_KEYS = ("force", "offence_group")
_RATES = ("estimate", "ci_low", "ci_high")

#: The headline's figures within a year (measure, column) and the trend table's outcome whose
#: years together (cohort "all") they are: the outcome's count, and the cases followed.
_WITHIN_YEAR = tuple((measure, column, outcome)
                     for measure, risk in (("charged_within", "charge"),
                                           ("withdrawn_within", "victim_withdrawal"),
                                           ("evidential_within", "evidential_difficulty"))
                     for column, outcome in (("count", risk), ("n", "all")))

# Options of the linked_shares functions that name columns of the table acted on, of the
# other (source or total) table, of both, or rows of either.
_TABLE_COLUMNS = ("column", "numerator", "whole", "with_row", "previous", "dimension")
_SOURCE_COLUMNS = ("source_column", "total_column")
_SOURCE_TABLES = ("source_table", "total_table")
_TABLE_ROWS = ("where", "next_where")


@dataclass(frozen=True)
class LinkedQuantity:
    """A quantity that two of the run's linked tables publish, and how one follows the other.

    Attributes
    ----------
    action : callable
        A function of ``disclosure.linked_shares``, called as
        ``action(linked, table, **options)``.
    table : str
        The linked table it changes.
    options : mapping
        Its keyword arguments (the other table, columns, keys, rows).
    why : str
        What the quantity is and what went wrong without the rule.
    exact_counts_only : bool
        Applied only under a profile without rounding (see the rule's ``why``).
    """

    action: Callable[..., int]
    table: str
    options: Mapping = field(default_factory=dict)
    why: str = ""
    exact_counts_only: bool = False

    @property
    def source(self) -> str:
        """The other linked table the rule reads."""
        return next(self.options[k] for k in _SOURCE_TABLES if k in self.options)

    def named(self) -> dict[str, set[str]]:
        """``{table: columns}`` the rule names (keys in every table): the table it changes, the
        other table, and a third holding a total where it reads one
        (:func:`~.disclosure.linked_shares.decided_remainder`)."""
        table, source = set(), set()
        # a total read in a third table: the dimension is the source's (its categories)
        third = "source_table" in self.options and "total_table" in self.options
        for option in _TABLE_COLUMNS:
            value = self.options.get(option) if not (third and option == "dimension") else None
            table.update([value] if isinstance(value, str) else value or ())
        for option in (*_TABLE_ROWS, "rates"):
            table.update(self.options.get(option) or {})
        for option in _SOURCE_COLUMNS:
            if option in self.options and not (third and option == "total_column"):
                source.add(self.options[option])
        source.update(self.options.get("source_where") or {})
        source.update([self.options["dimension"]] if third else ())
        keys = set(self.options.get("keys", ()))
        named = {self.table: table | keys, self.source: source | keys}
        if third:
            named[self.options["total_table"]] = {self.options["total_column"], *keys}
        return named

    def rows(self) -> dict[str, dict]:
        """``{table: {column: value}}`` the rows the rule picks (for the tests)."""
        picked = {self.table: {}, self.source: dict(self.options.get("source_where") or {})}
        for option in _TABLE_ROWS:
            picked[self.table].update(self.options.get(option) or {})
        return picked


#: The links, applied in this order (a later rule reads what an earlier one decided: the
#: funnel's recorded row first follows the headline, then hides with it).
LINKED_QUANTITIES: tuple[LinkedQuantity, ...] = (
    LinkedQuantity(
        shares_over_published_totals, "outcome_mix",
        {"numerator": "n", "total_table": "headline_recorded", "total_column": "count",
         "keys": _KEYS},
        why="the outcome mix's shares are of the crimes recorded the headline publishes: "
            "computed from the published (rounded) crimes recorded, so that they do not give "
            "the true total back (issue 16, item 11)"),
    LinkedQuantity(
        show_where_published, "funnel",
        {"column": "n", "where": {"stage": "recorded"}, "source_table": "headline_recorded",
         "source_column": "count", "keys": _KEYS, "whole": ("share_of_recorded",)},
        why="the funnel's crimes recorded are the headline's: printed there, hiding them in "
            "the funnel protects nothing and contradicts the headline"),
    LinkedQuantity(
        hide_where_hidden, "funnel",
        {"column": "n", "where": {"stage": "recorded"}, "source_table": "headline_recorded",
         "source_column": "count", "keys": _KEYS, "whole": ("share_of_recorded",),
         "previous": ("n_previous", "share_of_previous"),
         "next_where": {"stage": "suspect_identified"}},
        why="... and hidden where the headline hides them, with the shares that rest on "
            "them: the headline hid Bedfordshire's 263 crimes recorded to protect City of "
            "London's 4, the funnel printed 263, and 4 followed from the national total (nine "
            "small forces, partner)"),
    LinkedQuantity(
        hide_parts_of_hidden_totals, "outcome_mix",
        {"column": "n", "total_table": "headline_recorded", "total_column": "count",
         "keys": _KEYS, "with_row": ("share", "ci_low", "ci_high")},
        why="the outcome mix's outcomes add up to the crimes recorded: where the headline "
            "hides them and the outcome mix printed every outcome, every outcome is hidden "
            "(Wiltshire's eight outcomes gave its hidden 299, and City of London's 3 followed; "
            "seven small forces, partner)"),
    LinkedQuantity(
        hide_where_hidden, "headline",
        {"column": "count", "where": {"measure": "still_open"}, "source_table": "outcome_mix",
         "source_column": "n", "source_where": {"outcome_group": "open"}, "keys": _KEYS,
         "with_row": _RATES},
        exact_counts_only=True,
        why="the headline's cases still open are the outcome mix's open cases: hidden wherever "
            "the outcome mix hides them (the two chose different complements, and Gwent's and "
            "Warwickshire's printed rape shares still open gave Bedfordshire's 9 open rapes "
            "from the national share; nine small forces, partner). Under rounding the "
            "headline's lines rest on the rounding (checked by the attacker of "
            "protect(secondary='optimal_rounding')), and copying the outcome mix's complement "
            "cost Gloucestershire its share still open on 43 forces for nothing"),
    # the headline's counts within a year are the trends' years added up: hidden where the
    # trends hide them (the trends' protection knows the years add up to them)
    *(LinkedQuantity(
        hide_where_hidden, "headline",
        {"column": column, "where": {"measure": measure},
         "source_table": "cohort_trends", "source_column": "n",
         "source_where": {"cohort": "all", "outcome": outcome}, "keys": _KEYS,
         "with_row": _RATES},
        why="the headline's cases followed a year and its outcomes within the year are the "
            "trend table's years added up")
      for measure, column, outcome in _WITHIN_YEAR),
    # the timeliness tables' cases (and cases charged) are funnel stages: published as the
    # funnel publishes them, after the funnel's own links above
    *(LinkedQuantity(
        follow_published, table,
        {"column": column, "source_table": "funnel", "source_column": "n", "keys": _KEYS,
         "source_where": {"stage": stage}, "rates": dict(FUNNEL_QUANTITY_RATES[table])},
        why=f"the {table.replace('_', ' ')} table's {column!r} is the funnel's {stage!r} "
            "stage under another name: a report that hid it in one table and printed it in "
            "the other undid the protection of one of them (6 such quantities under "
            "publication, 9 under partner, on four small forces)")
      for table, columns in FUNNEL_QUANTITIES.items() for column, stage in columns.items()),
    # a victim breakdown's categories add up to the headline's cases followed for a year, and
    # each outcome's counts to the headline's count of it (all sexual offences)
    *(LinkedQuantity(
        hide_parts_of_hidden_totals, f"demographics_{dimension}",
        {"column": column, "total_table": "headline", "total_column": total,
         "source_where": {"measure": measure, "offence_group": "all"}, "keys": ("force",),
         "with_row": with_row},
        why=f"the breakdown by {DIMENSIONS[dimension].lower()} adds up to the "
            f"headline's {'cases followed for a year' if total == 'n' else measure!r}: where "
            "the headline hides it and the breakdown printed every category, their sum gave it "
            "back (and with it the small force's figure it protected)")
      for dimension in DIMENSIONS
      for column, total, measure, with_row in (
          ("n_cohort", "n", "charged_within",
           tuple(f"{o}_{part}" for o in SHARE_OUTCOMES for part in ("share", "low", "high"))),
          *((f"n_{outcome}", "count", measure, tuple(f"{outcome}_{part}" for part in
                                                      ("share", "low", "high")))
            for outcome, measure in (("charge", "charged_within"),
                                     ("victim_withdrawal", "withdrawn_within"),
                                     ("evidential_difficulty", "evidential_within"))))),
)


def _decided(table: str, column: str, where: dict, source_table: str, source_column: str,
             source_where: dict, why: str, exact_counts_only: bool = False) -> LinkedQuantity:
    """A link decided during protection: ``column`` of ``table`` (rows ``where``) holds the
    number ``source_column`` of ``source_table`` (rows ``source_where``) holds, force by force
    and offence group by offence group (:func:`.disclosure.linked_shares.decided_cells`)."""
    return LinkedQuantity(decided_cells, table,
                          {"column": column, "where": where, "source_table": source_table,
                           "source_column": source_column, "source_where": source_where,
                           "keys": _KEYS},
                          why=why, exact_counts_only=exact_counts_only)


#: Quantities decided *during* protection: the table (protected after its source) takes the
#: source's decision on the same number as part of its own secondary suppression
#: (``protect_linked(decided=...)``, :func:`.disclosure.linked_shares.decided_cells`): a cell
#: the source hides is hidden and protected here like a small count, one it prints is known
#: to a reader and never chosen as a complement. Unlike the rules above, applied after
#: protection, what this leaves hidden is protected by the table's own optimisation.
DECIDED_TOGETHER: tuple[LinkedQuantity, ...] = (
    _decided(
        "funnel", "n", {"stage": "recorded"}, "headline_recorded", "count", {},
        exact_counts_only=True,
        why="the funnel's crimes recorded are the headline's. Made to agree only after "
            "protection (the two rules of LINKED_QUANTITIES on the funnel), the funnel's own "
            "pattern had hidden crimes recorded that the headline prints, printed again "
            "afterwards, and printed one the headline hides, hidden afterwards: a pattern the "
            "funnel's optimisation never chose or checked (3 cells on one of four runs of "
            "four small forces, partner). Decided with the headline, those rules find nothing "
            "left to do, and the funnel hides up to 6 fewer cells. With exact counts only: "
            "under rounding the headline's crimes recorded rest on the rounding, and taken as "
            "exact some are the only cells that protect a small funnel count in their line "
            "(a 1 and a 5 on four small forces)"),
    _decided(
        "funnel", "n", {"stage": "charged"}, "outcome_mix", "n", {"outcome_group": "charge"},
        why="the funnel's charged stage (a charge date, or a charge outcome) holds the cases "
            "whose outcome is a charge, and the dictionary gives every charge outcome a charge "
            "date, so the two are one number unless a case has a charge date and another "
            "outcome. Protected apart, the funnel hid Dorset's charged stage (all offences, "
            "49, a complement beside a small conviction count) while the outcome mix printed "
            "its 49 charges; 1 to 4 such pairs on every run of four small forces tried. Where "
            "the two numbers differ, each table protects its own"),
    # the outcome mix's open cases are the headline's cases still open, and the trend
    # table's years together (cohort "all") its cases followed a year and their outcomes:
    # decided with the headline (protected before them), so that the headline keeps its own
    # pattern; the rules of LINKED_QUANTITIES that hid headline figures where these tables
    # hid them then find nothing to do
    _decided(
        "outcome_mix", "n", {"outcome_group": "open"}, "headline", "count",
        {"measure": "still_open"}, exact_counts_only=True,
        why="the outcome mix's open cases are the headline's cases still open. Made to agree "
            "only after protection, the headline lost its shares still open wherever the "
            "outcome mix had taken its open cases as a complement; decided with the headline, "
            "the outcome mix protects its open cases as the headline publishes them. With "
            "exact counts only, as the rule after protection: under rounding the headline's "
            "lines rest on the rounding, which taking its rounded figures as exact undoes"),
    *(_decided(
        "cohort_trends", "n", {"cohort": "all", "outcome": outcome}, "headline", column,
        {"measure": measure}, exact_counts_only=True,
        why="the trend table's years together are the headline's cases followed a year and "
            "their outcomes. Made to agree only after protection, the headline lost figures "
            "wherever the trend table had taken its all-years row as a complement: "
            "Bedfordshire's and Gloucestershire's (24 cells) on 43 forces under partner. "
            "Decided with the headline, the trend table hides year cells instead, and no "
            "headline figure is lost to it. With exact counts only: under rounding the "
            "headline's lines rest on the rounding, and taking its rounded figures as exact "
            "made the trend table's pattern fail the rounding's check (11.5 s, was 0.5 s, on "
            "43 forces) where the rule after protection hid no headline figure")
      for measure, column, outcome in _WITHIN_YEAR),
    # the timeliness tables' cases (and cases charged) are funnel stages, decided with the
    # funnel (protected before them); follow_published in LINKED_QUANTITIES then finds them
    # agreeing already
    *(_decided(
        table, column, {}, "funnel", "n", {"stage": stage},
        why=f"the {table.replace('_', ' ')} table's {column!r} is the funnel's {stage!r} "
            "stage. Made to agree only after protection, counts the table's own pattern hid "
            "as complements were printed again and others hidden that its pattern did not "
            "protect (4 to 14 cells per run of four small forces); decided with the funnel, "
            "the table's own optimisation protects what it hides and never leans on what the "
            "funnel prints")
      for table, columns in FUNNEL_QUANTITIES.items() for column, stage in columns.items()),
    LinkedQuantity(
        decided_remainder, "timeliness",
        {"column": "report_to_outcome__n_events", "where": {}, "source_table": "outcome_mix",
         "source_column": "n", "dimension": "outcome_group", "less": NOT_ENDED,
         "total_table": "headline_recorded", "total_column": "count", "keys": _KEYS},
        exact_counts_only=True,
        why="the timeliness table's cases that reached an outcome (report to any outcome) are "
            "the crimes recorded less the outcome mix's open and transferred cases. Protected "
            "apart, the timeliness table printed them beside the headline's crimes recorded "
            "and the outcome mix's open cases where the outcome mix hid the transferred ones, "
            "and the difference gave the hidden count back: 36 cells on 43 forces at scale "
            "0.3 (Warwickshire's 4 transferred rapes), 12 to 15 on runs of eight small "
            "forces, under partner. Decided with the outcome mix, the number is protected like a small count "
            "wherever a reader cannot work it out from the outcome mix and the headline. With "
            "exact counts only: under rounding the difference of three published counts, each "
            "a range of the base, leaves the hidden count a range wider than the base"),
)

#: Parts of totals decided during protection: the categories of a dimension add up to a total
#: a table protected before publishes (``protect_linked(decided=...)`` with
#: :func:`.disclosure.linked_shares.decided_parts`, ``legacy.protect(decided_totals=...)``).
#: Where that table hides the total, the parts' line takes it as unknown and protects it like
#: a small count, so it never prints every part; where it prints the total, the line's total
#: is known (as the table's protection assumes of any total it does not hold). The rules of
#: LINKED_QUANTITIES that hide every part afterwards (hide_parts_of_hidden_totals) then find
#: nothing to do.
DECIDED_PARTS: tuple[LinkedQuantity, ...] = (
    LinkedQuantity(
        decided_parts, "outcome_mix",
        {"column": "n", "dimension": "outcome_group", "source_table": "headline_recorded",
         "source_column": "count", "keys": _KEYS},
        why="the outcome mix's outcomes add up to the crimes recorded. Made to agree only "
            "after protection, every outcome of a force whose crimes recorded the headline "
            "hides was hidden wherever the outcome mix printed them all (Wiltshire's eight), "
            "a pattern the outcome mix's optimisation never chose or checked; decided with the "
            "headline, the outcome mix hides what its own pattern needs to keep the total "
            "unknown"),
    *(LinkedQuantity(
        decided_parts, f"demographics_{dimension}",
        {"column": column, "dimension": "category", "source_table": "headline",
         "source_column": total, "source_where": {"measure": measure, "offence_group": "all"},
         "keys": ("force",)},
        why=f"the breakdown by {DIMENSIONS[dimension].lower()} adds up to the headline's "
            f"{'cases followed for a year' if total == 'n' else measure!r}: decided with the "
            "headline, so that where the headline hides it the breakdown's own pattern keeps "
            "it unknown (hidden afterwards, every category was)")
      for dimension in DIMENSIONS
      for column, total, measure in (
          ("n_cohort", "n", "charged_within"), ("n_charge", "count", "charged_within"),
          ("n_victim_withdrawal", "count", "withdrawn_within"),
          ("n_evidential_difficulty", "count", "evidential_within"))),
)


def decided_together(*, exact_counts: bool, rules=DECIDED_TOGETHER + DECIDED_PARTS
                     ) -> tuple[LinkedQuantity, ...]:
    """The links decided during protection under a profile (those for exact counts only when
    it publishes exact counts): what ``national._protect_linked`` passes to
    ``protect_linked(decided=...)``, the same numbers (:data:`DECIDED_TOGETHER`) and the parts
    of totals (:data:`DECIDED_PARTS`)."""
    return tuple(rule for rule in rules if exact_counts or not rule.exact_counts_only)


def check_linked_quantities(linked, rules=LINKED_QUANTITIES) -> None:
    """Raise :class:`DisclosureError` if a rule names a linked table or column the run does
    not have: the rule would otherwise do nothing, silently."""
    problems = []
    for number, rule in enumerate(rules, 1):
        for table, columns in rule.named().items():
            if table not in linked.tables:
                problems.append(f"rule {number} ({rule.action.__name__} on {rule.table}) "
                                f"reads linked table {table!r}, which the run does not have "
                                f"(it has {sorted(linked.tables)})")
                continue
            have = set(linked.tables[table]["columns"])
            missing = sorted(columns - have)
            if missing:
                problems.append(f"rule {number} ({rule.action.__name__} on {rule.table}) "
                                f"names column(s) {missing} of linked table {table!r}, which "
                                f"has {sorted(have)}")
    if problems:
        raise DisclosureError(
            "The run's linked tables do not match the declared links between them "
            "(reporting/linked_quantities.py), so a quantity could be hidden in one table and "
            "printed in another: " + "; ".join(problems) + ". Update LINKED_QUANTITIES to the "
            "tables' new names.")


def apply_linked_quantities(linked, *, exact_counts: bool, rules=LINKED_QUANTITIES
                            ) -> dict[int, int]:
    """Check, then apply every rule in order (those for exact counts only when the profile
    publishes exact counts). Returns ``{rule number: cells or groups changed}``."""
    check_linked_quantities(linked, rules)
    return {number: rule.action(linked, rule.table, **rule.options)
            for number, rule in enumerate(rules, 1)
            if exact_counts or not rule.exact_counts_only}
