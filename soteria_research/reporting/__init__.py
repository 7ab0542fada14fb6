"""The reporting layer: disclosure control, figures, papermill report runs, HTML and provenance."""

from __future__ import annotations

__all__ = ["ReportParameters", "run_reports"]


def __getattr__(name: str):
    # Lazy, so `import soteria_research.reporting.figures` in a kernel does not pull in papermill.
    if name == "run_reports":
        from .runner import run_reports

        return run_reports
    if name == "ReportParameters":
        from .parameters import ReportParameters

        return ReportParameters
    raise AttributeError(f"module 'soteria_research.reporting' has no attribute {name!r}")
