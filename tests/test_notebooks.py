"""The notebooks in the repository: stored clean, parameterised the same way, tables only through
disclosure control, and the tutorial runs top to bottom."""

from __future__ import annotations

import ast

import nbformat
import pytest
from report_fixtures import kernel_for_tests

from soteria_research.settings import NOTEBOOK_DIR, PROJECT_ROOT

NOTEBOOKS = sorted(p for p in PROJECT_ROOT.rglob("*.ipynb")
                   if not any(part.startswith(".") or part in ("reports", ".venv")
                              for part in p.relative_to(PROJECT_ROOT).parts))
REPORTS = [NOTEBOOK_DIR / "force_deep_dive.ipynb", NOTEBOOK_DIR / "national_overview.ipynb"]
#: Calls whose value may be the displayed result of a report cell: all protect first.
SAFE_DISPLAYS = {"show", "headline_view", "incidence_view", "effects_view", "title", "notice",
                 "provenance", "key_messages",
                 "Markdown", "plt.show"}


def test_the_report_notebooks_are_in_the_repository():
    assert set(REPORTS) <= set(NOTEBOOKS)
    assert NOTEBOOK_DIR / "tutorials" / "01_getting_started.ipynb" in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_notebook_in_the_repository_holds_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell holds outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"
        assert "papermill" not in cell.metadata


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_report_notebooks_start_with_literal_parameters_then_validate_them(path):
    nb = nbformat.read(path, as_version=4)
    first, second = nb.cells[0], nb.cells[1]
    assert "parameters" in first.metadata.get("tags", [])
    tree = ast.parse(first.source)
    names = []
    for node in tree.body:
        assert isinstance(node, ast.AnnAssign), "parameters are annotated assignments only"
        assert isinstance(node.value, ast.Constant), "parameters are literals"
        names.append(node.target.id)
    assert names == ["force", "data", "period_start", "period_end", "extract_date",
                     "disclosure", "seed", "shared", "output"]
    assert "ReportParameters.validate(" in second.source


def _displayed_calls(source: str) -> list[str]:
    """Names of what a cell displays: display(...) arguments and its last expression."""
    tree = ast.parse(source)
    shown = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "display":
            shown.extend(node.args)
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr) and not (isinstance(last.value, ast.Call) and
                                           getattr(last.value.func, "id", None) == "display"):
        shown.append(last.value)
    names = []
    for value in shown:
        if not isinstance(value, ast.Call):
            names.append(ast.unparse(value))  # a bare name or attribute: a raw object
            continue
        func = value.func
        names.append(func.attr if isinstance(func, ast.Attribute) and
                     ast.unparse(func) != "plt.show" else ast.unparse(func))
    return names


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_report_notebooks_display_tables_only_through_disclosure_control(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells[2:]:
        if cell.cell_type != "code":
            continue
        for shown in _displayed_calls(cell.source):
            assert shown in SAFE_DISPLAYS | {"write_outputs"}, (
                f"{path.name}: a cell displays {shown!r} without disclosure control:\n"
                f"{cell.source}")


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_report_sections_have_a_heading_and_plain_words_and_hide_code(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            heading, _, words = cell.source.partition("\n")
            if "Methods" not in heading:
                assert len(words.split()) >= 8, f"{heading}: needs a sentence for the reader"
        if cell.cell_type == "code":
            tags = set(cell.metadata.get("tags", []))
            assert tags & {"remove-input", "remove-cell"}, cell.source
            logic = (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.If, ast.ListComp,
                     ast.DictComp, ast.GeneratorExp, ast.Lambda)
            assert not any(isinstance(node, logic) for node in ast.walk(ast.parse(cell.source))), \
                f"analysis logic belongs in the package:\n{cell.source}"


@pytest.mark.slow
def test_tutorial_runs_top_to_bottom(tmp_path):
    import papermill as pm

    kernel = kernel_for_tests(tmp_path / "kernel")
    out = tmp_path / "tutorial.ipynb"
    pm.execute_notebook(str(NOTEBOOK_DIR / "tutorials" / "01_getting_started.ipynb"), str(out),
                        kernel_name=kernel, progress_bar=False, cwd=str(tmp_path),
                        execution_timeout=300)
    executed = nbformat.read(out, as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert "rows read" in text  # the validation summary
