"""The sections of the force and national reports, in report order, and how a report is built.

Each module of this package holds a few related sections (``Section`` objects); ``SECTIONS``
lists them in the order a reader meets them. :func:`build_report` builds every section that
applies to one report into a :class:`~soteria_research.reporting.bundle.Bundle`; a section with
nothing to show says why in a sentence, and never stops the report.
"""

from __future__ import annotations

import logging
import traceback

from ...errors import SoteriaError
from .base import BuildContext, Output, Section, SectionEmpty, SectionResult

__all__ = ["SECTIONS", "BuildContext", "Output", "Section", "SectionEmpty", "SectionResult",
           "build_report", "sections_for"]

log = logging.getLogger(__name__)


def _registry() -> list[Section]:
    from . import data_quality

    modules = [data_quality]
    return [section for module in modules for section in module.SECTIONS]


SECTIONS: list[Section] = _registry()


def sections_for(report: str) -> list[Section]:
    """The sections a report carries, in order (``report`` a force code or ``"national"``)."""
    return [section for section in SECTIONS if section.applies_to(report)]


def build_report(context: BuildContext):
    """Build every section of one report; returns a :class:`Bundle` of unprotected tables.

    A section that raises :class:`SectionEmpty` (or a user-facing :class:`SoteriaError` such
    as a model with too few events) is kept, empty, with its reason. Any other error is a
    fault in the toolkit: the section is marked ``failed`` with the error, the traceback goes
    to the log, and the other sections still build.
    """
    from ..bundle import Bundle

    results = []
    for section in sections_for(context.report):
        try:
            outputs = section.build(context)
        except SectionEmpty as empty:
            results.append(SectionResult(section.key, [], "empty", str(empty)))
            continue
        except SoteriaError as error:
            results.append(SectionResult(section.key, [], "empty", str(error)))
            continue
        except Exception as error:  # noqa: BLE001 (one section's fault must not stop the report)
            log.error("section %s of %s failed: %s\n%s", section.key, context.report, error,
                      traceback.format_exc())
            results.append(SectionResult(section.key, [], "failed",
                                         f"could not be built ({type(error).__name__}: {error})"))
            continue
        results.append(SectionResult(section.key, list(outputs)))
    return Bundle(context.report, results)
