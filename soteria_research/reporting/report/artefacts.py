"""Loading what a report shows: its protected bundle and the run's facts about it.

A notebook run by the batch reads the run's shared folder; a notebook opened on its own in
JupyterLab prepares, builds and protects the whole run first (every force in the data), so its
figures are exactly those a batch run would publish.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..bundle import Bundle, load_bundle
from ..parameters import NATIONAL, ReportParameters

__all__ = ["PublishedReport", "open_published"]

#: Columns holding codes that a reader should see as labels.
LABEL_COLUMNS = ("stage", "outcome_group", "outcome", "measure", "allegation", "term",
                 "offence_group", "relationship", "status", "cause")


@dataclass
class PublishedReport:
    """One report's protected tables and the facts its words need.

    Attributes
    ----------
    bundle : Bundle
        Protected tables (NaN where hidden) and their masks.
    report : str
        Force code or ``"national"``.
    name : str
        "England and Wales" or the force's name.
    facts : dict
        The run's facts: requested period, extract date, disclosure profile and its rules,
        data and mapping names and hashes, package version and commit, dictionary version.
    """

    bundle: Bundle
    report: str
    name: str
    facts: dict = field(default_factory=dict)
    label_columns: tuple[str, ...] = LABEL_COLUMNS

    @property
    def is_national(self) -> bool:
        return self.report == NATIONAL


def _force_name(code: str) -> str:
    from ...data.dictionary import load_dictionary

    forces = load_dictionary().forces.set_index("code")["name"]
    return "England and Wales" if code == NATIONAL else str(forces.get(code, code))


def open_published(params: ReportParameters) -> PublishedReport:
    """The protected report for ``params.force`` from ``params.shared`` (prepared here first
    when ``params.shared`` is empty or holds no finished run)."""
    from ..publication import PROTECTED_DIR, RUN_FACTS, publish_standalone

    shared = Path(params.shared) if params.shared else None
    if shared is None or not (shared / RUN_FACTS).exists():
        shared = publish_standalone(params, Path(params.shared) if params.shared
                                    else Path(tempfile.mkdtemp(prefix="soteria-")))
    facts = json.loads((shared / RUN_FACTS).read_text(encoding="utf-8"))
    bundle = load_bundle(shared / PROTECTED_DIR / params.force)
    return PublishedReport(bundle=bundle, report=params.force, name=_force_name(params.force),
                           facts=facts)


def empty_bundle(report: str) -> Bundle:
    """A bundle with no sections (a report that could not be built)."""
    return Bundle(report, [])
