"""Constants and small helpers shared by the parts of a report (``national.py`` and the
``report_*.py`` modules of :class:`~soteria_research.reporting.national.ReportContext`): the
headline window and what each headline figure estimates, plain headings, and the formatting
of headline cells and ``metrics.json`` figures.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from .takeaway import format_share

#: Follow-up window of the headline outcome shares, in days.
WITHIN_DAYS = 365
#: Time-to-outcome curves show the latest financial-year cohort followed this long.
CURVE_DAYS = 730
#: Days the time-to-outcome table reads the curve at (``ReportContext.incidence_view``).
TABLE_DAYS = (30, 90, 180, 365, 730)
#: Peers shown beside a force.
N_PEERS = 5
#: Outcomes whose case-mix-adjusted force effects are computed nationally.
EFFECT_OUTCOMES = ("charged", "withdrawn")
LINKED_FILE = "linked_disclosure.json"
#: Folder of the run's shared files holding each force report's view of the linked tables
#: (``<force>.json``: its own rows and its peers', ``LinkedProtection.view``).
LINKED_VIEWS = "linked_views"
#: What each headline figure estimates, written beside it in ``metrics.json`` so a reader (or
#: the truth audit, ``reporting/audit.py``) can tell exactly which quantity it is: ``kind``
#: ``share_within_days`` is the share of cases recorded from ``recorded_from`` to
#: ``recorded_to`` (each followed ``within_days`` days, transfers in the window left out) with
#: ``outcome`` within ``within_days`` of recording; ``snapshot`` the share of all recorded cases
#: in that state at the extract date; ``count`` a count of records.
HEADLINE_ESTIMANDS = {
    "recorded": {"kind": "count"},
    "charged_within": {"kind": "share_within_days", "outcome": "charge"},
    "withdrawn_within": {"kind": "share_within_days", "outcome": "victim_withdrawal"},
    "evidential_within": {"kind": "share_within_days", "outcome": "evidential_difficulty"},
    "still_open": {"kind": "snapshot", "outcome": "open"},
}

# A model message's error detail in parentheses, e.g. "(shape mismatch: value array of shape
# (8,) ...)": the shape is a count of cases.
_ERROR_DETAIL = re.compile(r"\s*\((?:[^()]|\([^()]*\))*\)(?=\s*$)")


#: Columns holding codes that a reader should see as labels.
CODE_COLUMNS = frozenset({"stage", "outcome_group", "outcome", "measure"})
CASELOADS = {"all": "All cases in the period", "open": "Cases open at the extract date"}
#: The two groups of ``pillars.earlier_allegation_outcomes`` ("other" is not the outcome group).
ALLEGATIONS = {"earlier": "Earlier allegation (suspect accused again)",
               "other": "Other allegation with a named suspect"}
MODELS = {"cause_specific": "Rate (cause-specific hazard ratio)",
          "fine_gray": "Probability (subdistribution hazard ratio)"}
#: Plain headings for the columns analysis functions return (tables not given ``columns=``).
HEADINGS = {
    "n": "Cases", "n_total": "Out of", "estimate": "Estimate", "ci_low": "95% interval from",
    "ci_high": "to", "share": "Share", "n_withdrawals": "Withdrawals", "median_days": "Median days",
    "n_events": "Events", "n_suspects": "Suspects", "officers": "Officers", "cases": "Cases",
    "mean": "Mean", "median": "Median", "p90": "90th percentile", "max": "Largest",
    "stage": "Stage", "outcome_group": "Outcome", "outcome": "Outcome", "caseload": "Caseload",
    "measure": "Measure", "allegation": "Allegation", "within_days": "Within (days)",
    "label": "Outcome code", "force": "Force", "term": "Factor", "p": "p-value",
    "disclosure": "Disclosure", "comparator": "Compared with", "force_share": "This force",
    "comparator_share": "Them", "difference": "Difference",
}


def _fmt_count(value) -> str:
    return "[c]" if value is None or pd.isna(value) else f"{value:,.0f}"


def _fmt_share(estimate, low, high) -> str:
    if estimate is None or pd.isna(estimate):
        return "[c]"
    if pd.isna(low) or pd.isna(high):
        return format_share(estimate)
    return f"{format_share(estimate)} ({format_share(low)} to {format_share(high)})"


def _recorded_rows(headline: pd.DataFrame) -> pd.DataFrame:
    rows = headline[headline["measure"].eq("recorded")]
    group = ["offence_group"] if "offence_group" in rows.columns else []
    return rows[["force", *group, "count"]].reset_index(drop=True)


def _share_rows(headline: pd.DataFrame) -> pd.DataFrame:
    """The outcome shares of a headline frame, with their design effect (protect them with
    ``design_effect="design_effect"``: it is used to recompute the intervals from the published
    counts, and not published)."""
    rows = headline[~headline["measure"].eq("recorded")]
    group = ["offence_group"] if "offence_group" in rows.columns else []
    deff = ["design_effect"] if "design_effect" in rows.columns else []
    return rows[["force", *group, "measure", "count", "n", "estimate", "ci_low", "ci_high",
                 *deff]].reset_index(drop=True)


def share_of(numerator: str, denominator: str) -> dict[str, tuple[str, str]]:
    """Disclosure ``rates=`` spec: estimate and its interval are ``numerator`` / ``denominator``."""
    return {column: (numerator, denominator) for column in ("estimate", "ci_low", "ci_high")}


def published_figures(protected: pd.DataFrame) -> dict:
    """Protected headline rows as ``metrics.json`` (and ``benchmarks.json``) publish them."""
    figures = {}
    for row in protected.itertuples(index=False):  # five measures
        if row.measure == "recorded":
            figures[row.measure] = {"label": row.label, "value": _published(row.count, 0)}
            continue
        figures[row.measure] = {
            "label": row.label,
            "count": _published(row.count, 0),
            "n": _published(row.n, 0),
            # no more precision than the HTML's 0.1%: four decimals with rounded counts
            # gave the exact counts back (issue 16, item 11)
            "value": _published(row.estimate, 3),
            "ci_low": _published(row.ci_low, 3),
            "ci_high": _published(row.ci_high, 3),
        }
    return figures


def _published(value, digits: int):
    """A protected number for metrics.json: "[c]" where disclosure control hid it."""
    if value is None or pd.isna(value):
        return "[c]"
    return int(round(float(value))) if digits == 0 else round(float(value), digits)


def _headline_cells(frame: pd.DataFrame) -> dict[str, str]:
    cells = {}
    for row in frame.itertuples(index=False):
        if row.measure == "recorded":
            cells[row.measure] = _fmt_count(row.count)
        else:
            cells[row.measure] = _fmt_share(row.estimate, row.ci_low, row.ci_high)
    return cells


def _day(value) -> str:
    if value is None or (not isinstance(value, (str, dt.date)) and pd.isna(value)):
        return ""
    return pd.Timestamp(value).date().isoformat()
