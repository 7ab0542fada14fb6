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
            shown = self._hidden_where_hidden_elsewhere(name, frame.display())
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
        if measure == "recorded":
            return self._linked_cell_hidden("headline_recorded", "count")
        return self._linked_cell_hidden("headline", "count", measure=measure)

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
        if name == "drivers" and {"term", "n"} <= set(shown.columns):
            # a term's cases are one count in every model (charge and withdrawal, rate and
            # probability): hidden in all where a model hides it (few events there)
            terms = shown["term"].astype(str)
            hidden_terms = set(terms[shown["n"].astype(object).eq(MARKER)])
            if hidden_terms:
                shown["n"] = shown["n"].astype(object)
                shown.loc[terms.isin(hidden_terms), "n"] = MARKER
            # the cases of the offence-group term are that group's crimes recorded (the
            # headline's): Dyfed-Powys's other sexual offences, hidden in its headline to
            # protect City of London's, were printed here, and City's 6 followed from the
            # national total
            for group in ("rape", "other_sexual"):
                if self._linked_cell_hidden("headline_recorded", "count", offence_group=group):
                    shown["n"] = shown["n"].astype(object)
                    shown.loc[shown["term"].astype(str).eq(f"offence_group[T.{group}]"),
                              "n"] = MARKER
        if name == "device_requests" and {"measure", "n", "n_events"} <= set(shown.columns):
            # the withdrawal hazard ratio's cases and events are all the force's cases and its
            # withdrawals: the headline's crimes recorded and the outcome mix's count, which
            # the run hid for Dyfed-Powys (City of London's 2 withdrawals followed)
            ratio = shown["measure"].astype(str).eq("withdrawal_hazard_ratio")
            # the cases of the share of requests are the cases followed a year, the trend
            # table's years together: hidden with its share where the trends hide a year
            if self._linked_cell_hidden("cohort_trends", "n", outcome="all"):
                requests = shown["measure"].astype(str).eq("request_share")
                columns = [c for c in ("n", "estimate", "ci_low", "ci_high")
                           if c in shown.columns]
                shown = shown.astype(dict.fromkeys(columns, object))
                shown.loc[requests, columns] = MARKER
            for column, hidden in (
                    ("n", self._linked_cell_hidden("headline_recorded", "count",
                                                   offence_group="all")),
                    ("n_events", self._linked_cell_hidden(
                        "outcome_mix", "n", offence_group="all",
                        outcome_group="victim_withdrawal"))):
                if hidden:
                    shown[column] = shown[column].astype(object)
                    shown.loc[ratio, column] = MARKER
        if (name == "withdrawal_stage" and {"n", "n_withdrawals"} <= set(shown.columns)
                and len(shown) and self._linked_cell_hidden(
                    "outcome_mix", "n", offence_group="all", outcome_group="victim_withdrawal")):
            # "Out of" is the force's withdrawals, which the outcome mix hides (Dyfed-Powys's
            # 116, printed here, gave City of London's 2): hidden with every share (each
            # gives it back with its count), and with the largest stage's count when every
            # count is printed, since they add up to it
            shown = shown.astype({c: object for c in shown.columns if c != "stage"})
            rates = [c for c in ("estimate", "ci_low", "ci_high") if c in shown.columns]
            shown.loc[:, ["n_withdrawals", *rates]] = MARKER
            counts = pd.to_numeric(shown["n"], errors="coerce")
            if counts.notna().all():
                largest = counts.idxmax()
                shown.loc[largest, [c for c in ("n", "median_days") if c in shown.columns]] = (
                    MARKER)
        if name == "repeat_suspects" and "n_cases" in shown.columns and self._linked_cell_hidden(
                "funnel", "n", offence_group="all", stage="suspect_identified"):
            # cases with a named suspect are the funnel's suspects identified (Dyfed-Powys's
            # 266, hidden there, were printed here)
            shown["n_cases"] = shown["n_cases"].astype(object)
            shown.loc[:, "n_cases"] = MARKER
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
