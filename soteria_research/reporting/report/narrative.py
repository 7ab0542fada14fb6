"""The words of a report, written by code from protected figures: the title block, the notice
for small forces, the key messages, methods and provenance, and the disclosure appendix.

Nothing here computes a new number from cases: every figure quoted is a cell of a protected
table of the same report, formatted the way its table shows it.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ..disclosure import MARKER, get_profile
from .artefacts import PublishedReport

__all__ = ["MESSAGES", "key_message", "key_messages", "key_messages_markdown",
           "methods_markdown", "small_numbers_notice", "title_block", "workbook_notes"]

#: Key-message writers, in priority order: ``function(published) -> str | None``. Sections
#: register theirs with :func:`key_message`; a writer returns None when its figures are hidden
#: or missing, so a message never quotes a number the report does not show.
MESSAGES: list[Callable[[PublishedReport], str | None]] = []
MAX_MESSAGES = 6


def key_message(function: Callable[[PublishedReport], str | None]):
    """Register a key-message writer (a decorator)."""
    MESSAGES.append(function)
    return function


def key_messages(published: PublishedReport) -> list[str]:
    """Up to six plain findings, each built from protected figures of this report."""
    found = []
    for writer in MESSAGES:
        message = writer(published)
        if message:
            found.append(message)
        if len(found) == MAX_MESSAGES:
            break
    return found


def key_messages_markdown(published: PublishedReport) -> str:
    messages = key_messages(published)
    if not messages:
        return ("## Key messages\n\nToo few figures in this report can be shown safely to draw "
                "conclusions; see the national overview for context.")
    return "## Key messages\n\n" + "\n".join(f"- {m}" for m in messages)


def _period(facts: dict) -> str:
    start, end = facts.get("period_start"), facts.get("period_end")
    if start and end:
        return f"recorded {start} to {end}"
    if start:
        return f"recorded from {start}"
    if end:
        return f"recorded up to {end}"
    return "all crimes in the data"


def title_block(published: PublishedReport) -> str:
    """Heading, the requested period (never the first or last case's date), extract date,
    and the disclosure rule, stated once for the whole report."""
    facts = published.facts
    heading = ("RASSO national overview: England and Wales" if published.is_national
               else f"{published.name}: RASSO investigations deep-dive")
    profile = facts.get("disclosure", "publication")
    extract = facts.get("extract_date") or "as given in the data"
    return (
        f"# {heading}\n\n"
        f"**Crimes:** {_period(facts)} &nbsp;·&nbsp; **Data extracted:** {extract} "
        f"&nbsp;·&nbsp; **Disclosure profile:** {profile}\n\n"
        "Rape and serious sexual offence (RASSO) investigations: where cases are lost, how "
        "long they take, and what makes a charge or a victim's withdrawal more likely. Cases "
        "still under investigation are treated as open, never as failures.\n\n"
        f"{disclosure_rule(profile)}"
    )


def disclosure_rule(profile: str) -> str:
    """The disclosure rule in one paragraph, stated once per report and referred to."""
    rules = get_profile(profile)
    if not rules.threshold:
        return "**INTERNAL – not for release.** No figure in this report is suppressed."
    rounding = (f" Counts are rounded to the nearest {rules.rounding_base}, and shares are "
                "worked out from the rounded counts." if rules.rounding_base else "")
    return (f"**Disclosure control.** {MARKER} marks a figure hidden to protect the people "
            f"involved: any count under {rules.threshold}, and other figures that would let it "
            f"be worked out.{rounding} A dash (–) means not applicable. See the appendix.")


def small_numbers_notice(published: PublishedReport) -> str:
    """A warning when most of this report's figures are hidden (a very small force)."""
    if published.is_national:
        return ""
    masks = published.bundle.masks
    cells = sum(int(m.to_numpy().size) for m in masks.values())
    hidden = sum(int(m.to_numpy().sum()) for m in masks.values())
    if cells == 0 or hidden < 0.5 * cells:
        return ""
    return (f"> **Most figures in this report are hidden.** {published.name} recorded very "
            "few crimes of this kind in the period, so to protect the people involved most "
            f"tables show {MARKER}. The national overview gives the context.")


def methods_markdown(published: PublishedReport) -> str:
    """Methods, caveats and provenance of the run."""
    facts = published.facts
    git = facts.get("git") or {}
    env = facts.get("environment") or {}
    mapping = (f", read through the mapping {facts['mapping_name']} (SHA-256 "
               f"`{str(facts.get('mapping_sha256'))[:16]}…`)" if facts.get("mapping_name") else "")
    return (
        "**Methods.** Shares within a window count outcomes within that many days of recording "
        "among cases recorded at least that long before the extract date, so open cases never "
        "count as failures; each table names its cohorts. Time to outcome is the Aalen–Johansen "
        "cumulative incidence of each competing outcome (charge, victim withdrawal, evidential "
        "difficulty, no suspect, other), with open and transferred cases censored. Hazard "
        "ratios describe how fast an outcome happens among cases still open (a rate); "
        "subdistribution hazard ratios describe how likely it is to happen at all (a "
        "probability). Events dated after recording (device request, arrest, referral) enter "
        "models only from their date. All describe associations, not causes.\n\n"
        "**Caveats.** Recorded crime reflects recording practice as well as offending; small "
        "numbers make estimates uncertain (see the intervals); synthetic data, when used, are "
        "not real cases.\n\n"
        f"**Provenance.** soteria-research {facts.get('package_version')} (commit "
        f"{git.get('commit') or 'not recorded'}, code SHA-256 "
        f"`{str(facts.get('code_sha256'))[:16]}…`), data dictionary "
        f"v{facts.get('dictionary_version')}, data {facts.get('data_name')} (SHA-256 "
        f"`{str(facts.get('data_sha256'))[:16]}…`){mapping}, Python {env.get('python')}, pandas "
        f"{env.get('pandas')}, statsmodels {env.get('statsmodels')}; seed {facts.get('seed')}."
    )


def disclosure_appendix(published: PublishedReport) -> str:
    """What disclosure control did to this report, in words (never which cell or why)."""
    masks = published.bundle.masks
    hidden = {name: int(mask.to_numpy().sum()) for name, mask in masks.items()}
    touched = sorted(name for name, n in hidden.items() if n)
    profile = published.facts.get("disclosure", "publication")
    lines = [f"## Disclosure control\n\n{disclosure_rule(profile)}\n",
             f"{len(masks)} tables were checked together with every other report of this run, "
             "so that no hidden figure can be worked out from totals published elsewhere."]
    if touched:
        lines.append(f"Figures were hidden in {len(touched)} of them.")
    return "\n\n".join(lines)


def workbook_notes(published: PublishedReport) -> pd.DataFrame:
    """The Notes sheet of the report's workbook: what the tables are and how they were made."""
    facts = published.facts
    rows = [
        ("Report", published.name),
        ("Crimes", _period(facts)),
        ("Data extracted", facts.get("extract_date") or "as given in the data"),
        ("Disclosure profile", facts.get("disclosure")),
        ("Disclosure rule", disclosure_rule(facts.get("disclosure", "publication"))),
        ("Package", f"soteria-research {facts.get('package_version')}"),
        ("Data", f"{facts.get('data_name')} (SHA-256 {facts.get('data_sha256')})"),
        ("Data dictionary", f"v{facts.get('dictionary_version')}"),
    ]
    for output in published.bundle.outputs():
        if output.show_table:
            rows.append((f"Table {output.name}", output.caption or output.title))
    return pd.DataFrame(rows, columns=["Item", "Note"])
