"""The report notebooks, written from the section registry: a literal parameters cell, a cell
that checks them and opens the report, then per section a Markdown heading with its plain
introduction and one call that shows it.

``soteria notebooks`` (or ``make notebooks``) rewrites ``notebooks/force_deep_dive.ipynb`` and
``notebooks/national_overview.ipynb``; a test fails when the committed ones are stale, so the
sections and the notebooks never drift apart.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from ..settings import NOTEBOOK_DIR
from .parameters import NATIONAL

__all__ = ["NOTEBOOKS", "report_notebook", "write_notebooks"]

NOTEBOOKS = {"force": NOTEBOOK_DIR / "force_deep_dive.ipynb",
             "national": NOTEBOOK_DIR / "national_overview.ipynb"}

_PARAMETERS = '''\
force: str = "{force}"  # force code from data_dictionaries/forces.csv ("national" for all forces)
data: str = ""  # case file (CSV, Parquet, Excel); empty means the committed synthetic sample
mapping: str = ""  # mapping YAML for a force's own export; empty means canonical columns
benchmarks: str = ""  # national benchmark file from a national run, for a one-force file
period_start: str = ""  # first recorded date included, YYYY-MM-DD; empty means from the first case
period_end: str = ""  # last recorded date included, YYYY-MM-DD; empty means to the last case
extract_date: str = ""  # view the data as extracted on this date, YYYY-MM-DD; empty means as given
disclosure: str = "publication"  # disclosure profile: publication, partner or internal
seed: int = 0  # seed for anything random
shared: str = ""  # folder of this run's protected tables (set by the runner); empty means build here
output: str = ""  # folder for metrics.json, CSV and Excel (set by the runner); empty means none'''

_OPEN = '''\
from IPython.display import display

from soteria_research.reporting import figures
from soteria_research.reporting.parameters import ReportParameters
from soteria_research.reporting.report import open_report

params = ReportParameters.validate(
    force=force, data=data, mapping=mapping, benchmarks=benchmarks, period_start=period_start,
    period_end=period_end, extract_date=extract_date, disclosure=disclosure, seed=seed,
    shared=shared, output=output,
)
report = open_report(params)
figures.use_report_style()'''


def _code(source: str, *tags: str):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    return cell


def report_notebook(kind: str) -> nbformat.NotebookNode:
    """The notebook of a ``"force"`` or ``"national"`` report, from the section registry."""
    from .sections import sections_for

    report = "durham" if kind == "force" else NATIONAL
    cells = [
        _code(_PARAMETERS.format(force=report), "parameters", "remove-cell"),
        _code(_OPEN, "remove-cell"),
        _code("display(report.title())\ndisplay(report.notice())\n"
              "display(report.key_messages())", "remove-input"),
    ]
    for section in sections_for(report):
        cells.append(nbformat.v4.new_markdown_cell(f"## {section.title}\n{section.intro}"))
        cells.append(_code(f'report.show("{section.key}")', "remove-input"))
    cells += [
        nbformat.v4.new_markdown_cell("## Methods, caveats and provenance"),
        _code("display(report.methods())\ndisplay(report.appendix())", "remove-input"),
        _code("report.write_outputs();", "remove-cell"),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata.update({
        "kernelspec": {"display_name": "Python (soteria)", "language": "python",
                       "name": "soteria"},
        "language_info": {"name": "python"},
    })
    for cell in notebook.cells:  # stable bytes: ids from position, not random
        cell["id"] = f"{kind}-{notebook.cells.index(cell):02d}"
    return notebook


def notebook_text(kind: str) -> str:
    """The exact text of a report notebook as committed."""
    return nbformat.writes(report_notebook(kind)) + "\n"


def write_notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """Rewrite both report notebooks in ``folder``."""
    written = []
    for kind, path in NOTEBOOKS.items():
        target = Path(folder) / path.name
        target.write_text(notebook_text(kind), encoding="utf-8")
        written.append(target)
    return written
