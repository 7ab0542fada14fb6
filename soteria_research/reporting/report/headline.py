"""``metrics.json``: a report's published figures for machines — the index page, the truth
audit, a force's own dashboards — with no more precision than the HTML shows.

Each estimate carries its estimand (what it estimates: kind, cohort, window, clock, group), so
a reader (or the audit) knows exactly which quantity it is.
"""

from __future__ import annotations

import math

import pandas as pd

from .artefacts import PublishedReport
from .tables import DISPLAY_DECIMALS

__all__ = ["HEADLINE_OUTPUT", "estimates", "metrics"]

#: The output whose rows are the report's headline figures (``measure`` column).
HEADLINE_OUTPUT = "headline"
_SHARE_DIGITS = DISPLAY_DECIMALS + 2  # a share of 0.123 shows as 12.3%


def _published(value, *, hidden: bool, share: bool):
    if hidden or value is None or (isinstance(value, float) and math.isnan(value)):
        return "[c]" if hidden else None
    value = float(value)
    return round(value, _SHARE_DIGITS) if share else (int(value) if value.is_integer()
                                                      else round(value, 2))


def estimates(published: PublishedReport) -> list[dict]:
    """Every published row that estimates something, with its estimand and interval."""
    found = []
    for output in published.bundle.outputs():
        if output.estimand is None or "estimate" not in output.frame.columns:
            continue
        frame = output.frame
        mask = published.bundle.masks.get(output.name)
        share = "estimate" in output.percent
        for i, row in frame.reset_index(drop=True).iterrows():
            hidden = mask is not None and bool(mask.iloc[i].get("estimate", False))
            estimand = {**dict(output.estimand),
                        **{c: _plain(row[c]) for c in output.estimand_columns}}
            entry = {"output": output.name, "estimand": estimand}
            for column in ("estimate", "ci_low", "ci_high", "n"):
                if column in frame.columns:
                    cell_hidden = mask is not None and bool(mask.iloc[i].get(column, False))
                    entry[column] = _published(row[column], hidden=hidden or cell_hidden,
                                               share=share and column != "n")
            found.append(entry)
    return found


def _plain(value):
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def metrics(published: PublishedReport) -> dict:
    """The content of ``metrics.json`` (headline figures first, then every estimate)."""
    facts = published.facts
    figures = {}
    headline = published.bundle.output(HEADLINE_OUTPUT)
    if headline is not None and "measure" in headline.frame.columns:
        mask = published.bundle.masks.get(HEADLINE_OUTPUT)
        for i, row in headline.frame.reset_index(drop=True).iterrows():
            entry = {"label": row.get("label", row["measure"])}
            for column in ("count", "n", "estimate", "ci_low", "ci_high"):
                if column in headline.frame.columns:
                    hidden = mask is not None and bool(mask.iloc[i].get(column, False))
                    entry["value" if column == "estimate" else column] = _published(
                        row[column], hidden=hidden, share=column.startswith(("est", "ci")))
            figures[str(row["measure"])] = entry
    return {
        "report": published.report,
        "name": published.name,
        "disclosure_profile": facts.get("disclosure"),
        "period_start": facts.get("period_start"),
        "period_end": facts.get("period_end"),
        "extract_date": facts.get("extract_date"),
        "figures": figures,
        "sections": {s.key: {"status": s.status, "reason": s.reason}
                     for s in published.bundle.sections},
        "estimates": estimates(published),
    }
