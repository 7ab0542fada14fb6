"""Executed report notebook → one self-contained HTML page without code."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .kernels import _WORKER

_EXTERNAL_SCRIPT = re.compile(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>\s*', re.I)


def render_html(notebook: str | os.PathLike, *, title: str | None = None) -> str:
    """Render an executed notebook to one self-contained HTML page without code.

    Inputs and prompts are left out (nbconvert's ``--no-input``), cells tagged ``remove-cell``
    are dropped and ``remove-input`` shows only outputs, warnings printed to stderr are left in
    the executed notebook but not shown to readers, and images are embedded. The CDN scripts the
    template links (require.js, MathJax) are removed: a report opened on a secure network must not
    reach out, and nothing in it needs them.

    Examples
    --------
    >>> from soteria_research.reporting.runner import render_html
    >>> html = render_html("reports/_private/durham.ipynb")  # doctest: +SKIP
    """
    import nbformat
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    exporter = _html_exporter()
    tags = TagRemovePreprocessor(remove_cell_tags={"remove-cell"},
                                 remove_input_tags={"remove-input"},
                                 remove_all_outputs_tags={"remove-output"})
    nb, resources = tags.preprocess(nb, {})
    resources["metadata"] = {"name": title or Path(notebook).stem}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return _EXTERNAL_SCRIPT.sub("", body)


def _html_exporter():
    exporter = getattr(_WORKER, "exporter", None)
    if exporter is None:  # building the template environment takes ~0.3 s; keep one per worker
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(template_name="lab", exclude_input=True,
                                exclude_input_prompt=True, exclude_output_prompt=True,
                                embed_images=True)
        _WORKER.exporter = exporter
    return exporter


