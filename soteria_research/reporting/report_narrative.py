"""The words of a report written by code from its figures: title, key messages, the
disclosure notice, notes under figures and the definitions.

Part of :class:`~soteria_research.reporting.national.ReportContext` (a mixin: it reads the
attributes ``ReportContext.__init__`` sets: ``params``, ``folder``, ``force``, ``cases``,
``disclosure``, ``takeaway``...). See ``docs/methods.md``, "Adding a section to a report".
"""

from __future__ import annotations

from .disclosure.text import period_text
from .parameters import NATIONAL
from .report_common import (
    CURVE_DAYS,
    WITHIN_DAYS,
    _day,
)

__all__ = ["ReportNarrative"]


class ReportNarrative:
    """The words of a report written by code from its figures: title, key messages, the (mixin of ``ReportContext``)."""

    def title(self):
        """The report's title block (Markdown): force, period, extract date, safety profile."""
        from IPython.display import Markdown

        from .takeaway import disclosure_rule

        # The period asked for, never the dates of the first and last case (issue 16, item 4).
        period = period_text(self.params.period_start, self.params.period_end)
        heading = ("RASSO national overview: England and Wales" if self.is_national
                   else f"{self.name}: RASSO investigations deep-dive")
        return Markdown(
            f"# {heading}\n\n"
            f"**Crimes recorded:** {period} &nbsp;·&nbsp; **Data extracted:** "
            f"{_day(self.extract_date)} &nbsp;·&nbsp; **Disclosure profile:** "
            f"{self.params.disclosure}\n\n"
            "Rape and serious sexual offence (RASSO) investigations: where cases are lost, how "
            "long they take, and what makes a charge or a victim's withdrawal more likely. "
            "Figures for cases still under investigation are treated as open, not as failures."
            + self.coverage_note()
            + f"\n\n{disclosure_rule(self.disclosure.profile)}\n\n{self.takeaway.links()}"
        )

    def coverage_note(self) -> str:
        """What "England and Wales" means when the data hold only some forces ('' when they
        hold all, or one force's file, whose report has no national figures).

        A warehouse export of two forces printed "England and Wales: 3,120 crimes recorded"
        beside one of them: the two forces together, under the nation's name.
        """
        if self.force_only is not None and not self.is_national:
            return ""
        if self.is_national:
            forces = self.cases["force"].astype(str).unique().tolist()
        else:
            headline = self.artefact("headline")
            forces = ([] if headline.empty else
                      [f for f in headline["force"].astype(str).unique() if f != NATIONAL])
        every = len(self.force_names)
        if not forces or len(forces) >= every:
            return ""
        names = sorted(self.force_names.get(f, f) for f in forces)
        listed = (", ".join(names[:-1]) + " and " + names[-1]) if len(names) > 1 else names[0]
        return (f"\n\n**\"England and Wales\" in this report** means the {len(forces)} of the "
                f"{every} forces whose cases are in the data ({listed}) together, not the whole "
                "of England and Wales.")

    def key_messages(self):
        """Three to six plain findings written by code from this report's protected figures
        (``reporting/key_messages.py``), for the top of the report."""
        from IPython.display import Markdown

        from .key_messages import key_messages_markdown

        return Markdown(key_messages_markdown(self))

    def notice(self):
        """A plain warning when most of this report's tables will be suppressed."""
        from IPython.display import Markdown

        threshold = self.disclosure_threshold
        n = len(self.cases)
        if self.is_national or threshold is None or n >= 20 * threshold:
            return Markdown("")
        return Markdown(
            f"> **Most figures in this report are hidden.** {self.name} recorded very few "
            f"crimes of this kind in the period (fewer than {20 * threshold}), so to protect "
            f"the people involved every table or figure built on fewer than {threshold} cases is "
            f"shown as [c] or left out."
            + ("" if self.force_only is not None and self.force_only.doc is None else
               " The national and most-similar-force figures are still shown for context.")
        )

    def incidence_note(self) -> str:
        """Which cases the time-to-outcome curve describes, in a sentence."""
        frame = self.incidence(times=[0])
        note = frame.attrs.get("note", "")
        return (f"{note} Shaded bands and the table's intervals are 95% intervals that allow "
                "for one officer's cases being alike." if note else note)

    def definitions(self) -> dict[str, str]:
        """What the report's measures mean, in a line each (for the workbook's notes)."""
        return {
            "Outcome shares within a year": (
                f"Outcomes within {WITHIN_DAYS} days of recording, among cases recorded at "
                f"least {WITHIN_DAYS} days before the extract date (open cases never count as "
                "failures); 95% Wilson intervals."),
            "Still open": "Cases with no outcome at the extract date, out of all cases.",
            "Stage funnel": "Cases that had reached each investigation stage by the extract "
                            "date (a snapshot, not the chance of reaching the next stage).",
            "Time to outcome": (
                "Aalen–Johansen cumulative incidence of each competing outcome, open and "
                "transferred cases censored, for the latest financial-year cohort followed for "
                f"{CURVE_DAYS} days."),
            "Trends": f"Outcomes within {WITHIN_DAYS} days by financial year of recording "
                      "(April to March); years without a full year of follow-up left out.",
            "Differences": "This force's share minus the comparator's, in percentage points, "
                           "95% Newcombe interval.",
            "Hazard ratios": "Cause-specific: a rate among open cases; Fine–Gray "
                             "subdistribution: a probability. Associations, not causes.",
            "Observed / expected": "A force's outcomes against those its case mix predicts "
                                   "from the national model.",
            "[c]": "Hidden by disclosure control (see Disclosure control below).",
        }
