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

import numpy as np
import pandas as pd

from ..errors import ParameterError
from . import provenance
from .disclosure.profiles import MARKER
from .report_common import (
    ALLEGATIONS,
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
        protected = self.disclosure.protect(frame, name=name, kind=kind, **options)
        self._same_quantity_hidden(protected)
        return protected

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
                shown = self.disclosure.displayed(self.protect(frame, name=name, kind=kind,
                                                               **options))
        if not isinstance(frame, pd.DataFrame):
            name = name or frame.record.name
            if frame.frame.empty:  # a table (as callers expect) of the sentence saying why
                return self._styled(pd.DataFrame({"Nothing to show": [empty_sentence(
                    self, frame)]}), name=name)
            self._same_quantity_hidden(frame)  # a no-op where protect() applied it already
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
        if "allegation" in view.columns:
            view["allegation"] = view["allegation"].replace(ALLEGATIONS)
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
        if measure == "recorded":
            return self._linked_cell_hidden("headline_recorded", "count")
        return self._linked_cell_hidden("headline", "count", measure=measure)

    def protect_allegations(self, frame: pd.DataFrame):
        """Protect the earlier-allegations table, whose groups add up to headline figures
        (``same_quantity.protect_allegations``); pass the result to :meth:`show`."""
        from .same_quantity import protect_allegations

        return protect_allegations(frame, self.protect, self._linked_cell_hidden)

    def _linked_cell_hidden(self, table: str, column: str, **where) -> bool:
        """Whether the run's linked ``table`` hides this force's ``column`` in the row ``where``
        names (``offence_group="all"``, say)."""
        linked = getattr(self.disclosure, "linked", None)
        if (self.is_national or linked is None or not self.disclosure.profile.suppress
                or table not in linked.names):
            return False
        try:
            part = linked.slice(table, self.force)
        except ParameterError:  # no rows of this force (a short period: no year followed)
            return False
        rows = np.ones(len(part.frame), dtype=bool)
        for key, value in where.items():
            rows &= part.frame[key].astype(str).eq(value).to_numpy()
        return bool(part.mask[column].to_numpy()[rows].any())

    def _same_quantity_hidden(self, protected) -> None:
        """One quantity, one decision (issue 16, item 7): a count that the run's linked tables
        hide is hidden in every other table that prints it, in the protected frame itself
        (declared in ``same_quantity.SAME_QUANTITIES``: the drivers' offence-group cases, the
        withdrawal stage's "Out of", the cases with a named suspect...), and counted in
        ``disclosure.json``. The data-quality table prints the file's totals exactly as
        ``run.json`` publishes them, and its row total beside a hidden quarantine total is
        hidden, as the national overview hides it."""
        from .same_quantity import hide_same_quantities, record_hidden

        if not self.disclosure.profile.suppress or not hasattr(protected, "mask"):
            return
        name = protected.record.name
        hide_same_quantities(protected, name, self._linked_cell_hidden)
        frame = protected.frame
        if name != "data_quality" or not {"rows", "n"} <= set(frame.columns):
            return
        from .runner.record import published_validation
        from .same_quantity import hide

        before = protected.mask.to_numpy().copy()
        label = frame["rows"].astype(str)
        # The whole file's totals exactly as run.json publishes them: one quantity, one
        # decision in every file of the run.
        totals = published_validation(self.validation, self.params.disclosure)
        for row, key in (("Rows in the file (all forces)", "n_input"),
                         ("Accepted (all forces)", "n_valid")):
            rows = label.eq(row).to_numpy()
            if totals[key] == MARKER:
                hide(protected, rows, ["n"])
            elif rows.any():
                frame["n"] = frame["n"].astype(float)
                frame.loc[rows, "n"] = np.nan if totals[key] is None else float(totals[key])
        if self._linked_hidden("recorded"):
            hide(protected, label.str.endswith(f"for {self.name}").to_numpy(), ["n"])
        quarantined = label.str.startswith("Quarantined for breaking").to_numpy()
        if protected.mask["n"].to_numpy()[quarantined].any():
            hide(protected, label.eq("Rows in the file (all forces)").to_numpy(), ["n"])
        record_hidden(protected, before, (), "the file's totals as run.json publishes them")

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
