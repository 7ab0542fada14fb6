"""The tutorials in notebooks/tutorials/: each runs top to bottom on the test kernel without an
error, each section has a heading, words, a call into the package and a table or figure, and
the command lines they show are ones the `soteria` command accepts."""

from __future__ import annotations

import re
import shlex

import nbformat
import pytest
from report_fixtures import kernel_for_tests
from test_notebooks import NOTEBOOKS

from soteria_research.settings import NOTEBOOK_DIR

TUTORIALS = sorted((NOTEBOOK_DIR / "tutorials").glob("*.ipynb"))
#: Tutorials executed by another test (with its own checks), not again here.
EXECUTED_ELSEWHERE = {"01_getting_started.ipynb":
                      "test_notebooks.py::test_tutorial_runs_top_to_bottom"}
#: Sections that point elsewhere rather than compute.
WITHOUT_CODE = ("Next", "The same on the command line")


def test_the_tutorials_are_there_stored_clean_and_each_is_executed():
    names = [path.name for path in TUTORIALS]
    assert names == ["01_getting_started.ipynb", "02_competing_risks_and_models.ipynb",
                     "03_comparing_forces_and_the_programme.ipynb",
                     "04_bringing_your_own_export.ipynb"]
    # test_notebooks.py checks every notebook it lists is stored without outputs
    assert set(TUTORIALS) <= set(NOTEBOOKS)
    assert set(EXECUTED_ELSEWHERE) <= set(names)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    return kernel_for_tests(tmp_path_factory.mktemp("kernel"))


def _sections(nb) -> list[tuple[str, str, list]]:
    """(heading, words, code cells) for each "## " section of a notebook."""
    sections = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            heading, _, words = cell.source.partition("\n")
            sections.append([heading[3:].strip(), words, []])
        elif sections and cell.cell_type == "markdown":
            sections[-1][1] += "\n" + cell.source
        elif sections and cell.cell_type == "code":
            sections[-1][2].append(cell)
    return [tuple(section) for section in sections]


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in TUTORIALS if p.name not in EXECUTED_ELSEWHERE],
                         ids=lambda p: p.stem)
def test_the_tutorial_runs_top_to_bottom_and_every_section_shows_a_result(path, kernel,
                                                                          tmp_path):
    import papermill as pm

    out = tmp_path / path.name
    # cwd is an empty folder: a tutorial must find its data through the package, and write
    # nothing into the repository
    pm.execute_notebook(str(path), str(out), kernel_name=kernel, progress_bar=False,
                        cwd=str(tmp_path), execution_timeout=300)
    executed = nbformat.read(out, as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                   for o in outputs)
    assert "Traceback" not in text

    sections = _sections(executed)
    assert len(sections) >= 4
    for heading, words, code in sections:
        if heading.endswith(WITHOUT_CODE):
            continue
        assert len(words.split()) >= 15, f"{heading}: needs plain words for the reader"
        assert any("sr." in cell.source for cell in code), f"{heading}: no call into sr"
        shown = [o for cell in code for o in cell.outputs
                 if o.output_type in ("execute_result", "display_data")]
        assert shown, f"{heading}: shows no table or figure"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def _command_lines(path) -> list[str]:
    """`soteria ...` command lines in the fenced code blocks of a notebook's markdown cells."""
    nb = nbformat.read(path, as_version=4)
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for block in re.findall(r"```(?:bash)?\n(.*?)```", cell.source, re.S):
            joined = re.sub(r"\\\n\s*", " ", block)
            lines += [line.partition("#")[0].strip() for line in joined.splitlines()
                      if line.strip().startswith("soteria ")]
    return lines


def test_the_command_lines_in_the_tutorials_are_ones_soteria_accepts():
    import typer

    from soteria_research.cli import app

    root = typer.main.get_command(app)
    seen = 0
    for path in TUTORIALS:
        for line in _command_lines(path):
            words = shlex.split(line)[1:]
            command, path_taken = root, ["soteria"]
            while hasattr(command, "commands"):  # a group: the next word names a command
                command = command.commands[words[0]]
                path_taken.append(words.pop(0))
            known = {opt for param in command.params for opt in param.opts + param.secondary_opts}
            used = {word.partition("=")[0] for word in words if word.startswith("--")}
            assert used <= known, f"{path.name}: {' '.join(path_taken)} has no {used - known}"
            seen += 1
    assert seen >= 6  # the export tutorial shows every step on the command line


def test_make_lab_starts_jupyterlab_on_the_notebooks_also_as_root():
    import os
    import shutil
    import subprocess

    from soteria_research.settings import PROJECT_ROOT

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # -n prints the commands without running them (nothing is installed or started)
    printed = subprocess.run(["make", "-n", "lab"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, check=True).stdout
    command = next(line for line in printed.splitlines() if "jupyter lab" in line)
    assert "--notebook-dir=notebooks" in command
    assert ("--allow-root" in command) == (os.geteuid() == 0)
