"""The object a report notebook uses: it presents the run's protected tables, and only those.

Every number a reader sees has passed the run's disclosure control before the notebook starts
(``reporting.publication``); this package turns protected tables into figures, HTML tables,
downloadable CSV files, one Excel workbook, key messages and ``metrics.json``.

Examples
--------
>>> from soteria_research.reporting.parameters import ReportParameters
>>> from soteria_research.reporting.report import open_report
>>> report = open_report(ReportParameters.validate(force="durham"))   # doctest: +SKIP
>>> report.show("funnel")                                              # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..parameters import ReportParameters
from .artefacts import PublishedReport, open_published
from .tables import displayed, html_table, write_csv, write_workbook

__all__ = ["Report", "open_report"]


class Report:
    """One report's protected tables, shown section by section.

    Attributes
    ----------
    params : ReportParameters
    published : PublishedReport
        The protected bundle, the run's facts (period, extract date, profile, provenance).
    """

    def __init__(self, params: ReportParameters, published: PublishedReport):
        self.params = params
        self.published = published
        self.bundle = published.bundle
        self._shown: dict[str, pd.DataFrame] = {}

    # -- presenting -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.published.name

    def table(self, name: str) -> pd.DataFrame:
        """A protected table as numbers (NaN where hidden), for a reader's own analysis."""
        output = self.bundle.output(name)
        if output is None:
            raise KeyError(f"no table {name!r} in this report; tables: "
                           f"{[o.name for o in self.bundle.outputs()]}")
        return output.frame

    def view(self, name: str) -> pd.DataFrame:
        """A protected table as text, exactly as the report shows it (``[c]`` where hidden)."""
        output = self.bundle.output(name)
        return displayed(output.frame, self.bundle.masks.get(name), columns=output.columns,
                         percent=output.percent, label_columns=self.published.label_columns)

    def show(self, key: str) -> None:
        """Display one section: its figures and tables, or the sentence saying why it is empty."""
        from IPython.display import HTML, Markdown, display

        section = self.bundle.section(key)
        if section is None:
            display(Markdown(f"*This section is not part of the {self.name} report.*"))
            return
        if section.status != "built" or not section.outputs:
            display(Markdown(f"> {section.reason or 'Nothing to show for this period.'}"))
            return
        for output in section.outputs:
            if output.figure:
                self._figure(output)
            if output.show_table:
                view = self.view(output.name)
                self._shown[output.name] = view
                display(HTML(html_table(view, caption=output.caption,
                                        download=f"tables/{output.name}.csv")))

    def _figure(self, output) -> None:
        import matplotlib.pyplot as plt

        from .. import figures

        draw = getattr(figures, output.figure)
        draw(output.frame, **dict(output.figure_options))
        plt.show()

    # -- words ------------------------------------------------------------------------------
    def title(self):
        """The title block: report, requested period, extract date and the disclosure rule."""
        from IPython.display import Markdown

        from .narrative import title_block

        return Markdown(title_block(self.published))

    def notice(self):
        """A plain warning when most of this report's figures are hidden."""
        from IPython.display import Markdown

        from .narrative import small_numbers_notice

        return Markdown(small_numbers_notice(self.published))

    def key_messages(self):
        """Three to six plain findings written from this report's protected figures."""
        from IPython.display import Markdown

        from .narrative import key_messages_markdown

        return Markdown(key_messages_markdown(self.published))

    def methods(self):
        """Methods, caveats and provenance (Markdown) for the end of the report."""
        from IPython.display import Markdown

        from .narrative import methods_markdown

        return Markdown(methods_markdown(self.published))

    def appendix(self):
        """The disclosure-control appendix: the rules, once, and what was hidden."""
        from IPython.display import Markdown

        from .narrative import disclosure_appendix

        return Markdown(disclosure_appendix(self.published))

    # -- files ------------------------------------------------------------------------------
    def write_outputs(self) -> list[Path]:
        """Write ``metrics.json``, every table as CSV and the Excel workbook to the staging
        folder (the runner publishes them beside the HTML)."""
        from .headline import metrics
        from .narrative import workbook_notes

        if self.params.output is None:
            return []
        out = Path(self.params.output)
        from .. import provenance

        written = [provenance.write_json(out / "metrics.json", metrics(self.published))]
        views = {o.name: self.view(o.name) for o in self.bundle.outputs() if o.show_table}
        for name, view in views.items():
            written.append(write_csv(view, out / "tables" / f"{name}.csv"))
        written.append(write_workbook(views, workbook_notes(self.published),
                                      out / "tables.xlsx"))
        return written


def open_report(params: ReportParameters) -> Report:
    """Open a report: the run's protected tables, or — when a notebook runs on its own
    (``params.shared`` empty) — a run prepared here, in a folder beside nothing else."""
    return Report(params, open_published(params))
