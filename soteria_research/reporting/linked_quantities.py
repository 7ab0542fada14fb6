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

See ``docs/methods.md`` §8, "The same count under another name is the same cell".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..analysis.demographics import DIMENSIONS, SHARE_OUTCOMES
from ..errors import DisclosureError
from .disclosure.linked_shares import (
    follow_published,
    hide_parts_of_hidden_totals,
    hide_where_hidden,
    shares_over_published_totals,
    show_where_published,
)
from .sections_timeliness import FUNNEL_QUANTITIES, FUNNEL_QUANTITY_RATES

__all__ = ["LINKED_QUANTITIES", "LinkedQuantity", "apply_linked_quantities",
           "check_linked_quantities"]

_KEYS = ("force", "offence_group")
_RATES = ("estimate", "ci_low", "ci_high")

# Options of the linked_shares functions that name columns of the table acted on, of the
# other (source or total) table, of both, or rows of either.
_TABLE_COLUMNS = ("column", "numerator", "whole", "with_row", "previous")
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
        """``{table: columns}`` the rule names (keys in both tables)."""
        table, source = set(), set()
        for option in _TABLE_COLUMNS:
            value = self.options.get(option)
            table.update([value] if isinstance(value, str) else value or ())
        for option in (*_TABLE_ROWS, "rates"):
            table.update(self.options.get(option) or {})
        for option in _SOURCE_COLUMNS:
            if option in self.options:
                source.add(self.options[option])
        source.update(self.options.get("source_where") or {})
        keys = set(self.options.get("keys", ()))
        return {self.table: table | keys, self.source: source | keys}

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
      for measure, risk in (("charged_within", "charge"),
                            ("withdrawn_within", "victim_withdrawal"),
                            ("evidential_within", "evidential_difficulty"))
      for column, outcome in (("count", risk), ("n", "all"))),
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
