"""Tables and formatting: every table and figure a report shows passes through
:meth:`ReportTables.protect` / :meth:`ReportTables.show` (disclosure control, one look, the
take-away CSV and workbook), and :meth:`ReportTables.write_outputs` writes the published files.

Part of :class:`~soteria_research.reporting.national.ReportContext` (a mixin: it reads the
attributes ``ReportContext.__init__`` sets: ``params``, ``folder``, ``force``, ``cases``,
``disclosure``, ``takeaway``...). See ``docs/methods.md``, "Adding a section to a report".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..errors import ParameterError
from . import provenance
from .disclosure.profiles import MARKER
from .report_common import (
    CASELOADS,
    CODE_COLUMNS,
    HEADINGS,
    MODELS,
)
from .takeaway import TABLES_DIR, share_mask

__all__ = ["ReportTables"]


class ReportTables:
    """Tables and formatting: every table and figure a report shows passes through (mixin of ``ReportContext``)."""

    def protect(self, frame: pd.DataFrame, *, name: str, kind: str = "counts", **options):
        """Protect an output once (logged); draw figures from ``.frame``, pass it to :meth:`show`.

        An output with nothing in it (too little follow-up in a short period, say) is noted in
        :attr:`empty_outputs` with the sentence :meth:`show` prints instead of a table."""
        from .benchmarks import protect_empty

        if frame.empty:
            return protect_empty(self, frame, name=name, kind=kind, **options)
        return self.disclosure.protect(frame, name=name, kind=kind, **options)

    def show(self, frame, *, name: str | None = None, kind: str = "counts",
             columns: dict[str, str] | None = None, percent: Sequence[str] = (),
             **options):
        """Protect a table (disclosure control, logged), then present it for a police reader.

        ``frame`` is a raw analysis frame (protected here under ``name``) or what
        :meth:`protect` returned (shown as it is). Codes become their plain labels (stages,
        outcome groups), ``columns`` picks and renames columns (``{column: heading}``, in
        order), ``percent`` columns are shown as percentages, and suppressed cells read "[c]".
        Returns a pandas ``Styler``.
        """
        from .benchmarks import empty_sentence, note_withheld
        from .figures import label, term_label

        caption = options.pop("caption", "")
        if isinstance(frame, pd.DataFrame):
            if name is None:
                raise ParameterError("show() needs name= for a table it has to protect.")
            if frame.empty:
                frame = self.protect(frame, name=name, kind=kind, **options)
            else:
                shown = self.disclosure.show(frame, name=name, kind=kind, styled=False,
                                             **options)
                shown = self._hidden_where_hidden_elsewhere(name, shown)
        if not isinstance(frame, pd.DataFrame):
            name = name or frame.record.name
            if frame.frame.empty:  # a table (as callers expect) of the sentence saying why
                return self._styled(pd.DataFrame({"Nothing to show": [empty_sentence(
                    self, frame)]}), name=name)
            shown = frame.display()
            shown.attrs["disclosure"] = {"name": frame.record.name,
                                         "status": frame.record.status}
        note_withheld(self, shown)
        view = shown.copy()
        shares = share_mask(view, percent)
        if "caseload" in view.columns:
            view["caseload"] = view["caseload"].replace(CASELOADS)
        if "model" in view.columns:
            view["model"] = view["model"].replace(MODELS)
        for column in CODE_COLUMNS.intersection(view.columns):
            view[column] = view[column].map(lambda v: label(v) if isinstance(v, str) else v)
        if "term" in view.columns:
            view["term"] = view["term"].map(lambda v: term_label(v) if isinstance(v, str) else v)
        headings = dict(columns) if columns else {
            c: HEADINGS.get(c, c.replace("_", " ").capitalize()) for c in view.columns}
        chosen = [c for c in headings if c in view.columns]
        view = view[chosen].rename(columns=headings)
        return self._styled(view, name=name, caption=caption,
                            shares=shares[chosen].rename(columns=headings))

    def _linked_hidden(self, measure: str) -> bool:
        """Whether the run's linked headline hides this force's ``measure`` count."""
        linked = getattr(self.disclosure, "linked", None)
        if self.is_national or linked is None or not self.disclosure.profile.suppress:
            return False
        if measure == "recorded":
            if "headline_recorded" not in linked.names:
                return False
            return bool(linked.slice("headline_recorded", self.force).mask["count"].any())
        if "headline" not in linked.names:
            return False
        part = linked.slice("headline", self.force)
        return bool(part.mask["count"][part.frame["measure"].eq(measure).to_numpy()].any())

    def _hidden_where_hidden_elsewhere(self, name: str, shown: pd.DataFrame) -> pd.DataFrame:
        """One quantity, one decision (issue 16, item 7): a count that the run's linked tables
        hide (this force's recorded crimes, its open cases; the file's row total beside a
        hidden quarantine total, as the national overview hides it) is hidden here too, or
        printing it elsewhere would undo the secondary suppression."""
        if not self.disclosure.profile.suppress:
            return shown
        shown = shown.copy()
        if name == "data_quality" and {"rows", "n"} <= set(shown.columns):
            from .runner.record import published_validation

            label = shown["rows"].astype(str)
            # The whole file's totals exactly as run.json publishes them: one quantity, one
            # decision in every file of the run.
            totals = published_validation(self.validation, self.params.disclosure)
            for row, key in (("Rows in the file (all forces)", "n_input"),
                             ("Accepted (all forces)", "n_valid")):
                shown.loc[label.eq(row), "n"] = totals[key]
            if self._linked_hidden("recorded"):
                shown.loc[label.str.endswith(f"for {self.name}"), "n"] = MARKER
            quarantined = label.str.startswith("Quarantined for breaking")
            if (shown.loc[quarantined, "n"] == MARKER).any():
                shown.loc[label.eq("Rows in the file (all forces)"), "n"] = MARKER
        if name == "officer_caseload" and {"caseload", "cases"} <= set(shown.columns):
            for key, measure in (("all", "recorded"), ("open", "still_open")):
                if self._linked_hidden(measure):
                    shown.loc[shown["caseload"].eq(key), "cases"] = MARKER
        return shown

    def _styled(self, view: pd.DataFrame, *, name: str, percent: Sequence[str] = (),
                caption: str = "", shares: pd.DataFrame | None = None):
        """Format a protected view the one way every table is formatted (``takeaway``), keep it
        for the CSV and workbook, and return it with its download link; the disclosure rule
        is stated once, in :meth:`title`, not under each table."""
        from .takeaway import text_view

        view = view.reset_index(drop=True)
        if shares is None:
            shares = share_mask(view, percent)
        return self.takeaway.styled(text_view(view, shares), name=name, caption=caption)

    def write_outputs(self) -> list[Path]:
        """Write ``metrics.json`` and ``disclosure.json`` to the run's staging folder."""
        if self.params.output is None:
            return []
        out = Path(self.params.output)
        written = [provenance.write_json(out / "metrics.json", self.metrics())]
        written.append(Path(self.disclosure.write_log(out / "disclosure.json")))
        from .benchmarks import write_sections

        written.append(write_sections(self, out / "sections.json"))
        written += [out / TABLES_DIR / f"{name}.csv" for name in self.takeaway.tables]
        written.append(self.takeaway.write_workbook(self.workbook_notes()))
        return written

    def workbook_notes(self) -> pd.DataFrame:
        """The Notes sheet of ``tables.xlsx`` (``takeaway.workbook_notes``)."""
        from .takeaway import workbook_notes

        return workbook_notes(self, definitions=self.definitions(),
                              captions=self.takeaway.captions, sheets=list(self.takeaway.tables))
