"""What a report section is: the tables it publishes, each with its disclosure structure, its
presentation and the estimand it reports.

A section is built once per report, before anything is shown or written (``build``), so that
one disclosure control can protect every number of every report of a run together; the
report notebook then only presents protected tables (``reporting.report``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from ..parameters import NATIONAL, ReportParameters

__all__ = ["BuildContext", "Output", "Section", "SectionEmpty", "SectionResult"]


class SectionEmpty(Exception):
    """A section has nothing it can show for this report; the message says why, in a sentence
    a reader understands ("Not enough follow-up yet: ...")."""


@dataclass
class Output:
    """One table a report publishes, and the figure drawn from it.

    Attributes
    ----------
    name : str
        Unique within the report (also the CSV file name and the Excel sheet).
    frame : DataFrame
        The tidy analysis result, unprotected.
    spec : TableSpec or None
        The table's declared disclosure structure (keys, counts, rates with numerator and
        denominator, totals, structural zeros, quantity identities); None for a curve or a
        model, which are protected by their own rules (``kind``, ``protect_options``).
    kind : str
        ``"table"``, ``"curve"`` (cumulative incidence: cut and coarsened where few remain at
        risk) or ``"model"`` (coefficients: terms on few cases hidden).
    title : str
        A heading for the table and its sheet.
    columns : mapping
        ``{column: heading}`` in display order; columns not named are not shown.
    percent : sequence of str
        Columns shown as percentages.
    figure : str, optional
        The function of :mod:`soteria_research.reporting.figures` that draws the protected
        frame, with ``figure_options``.
    caption : str
        The estimand in words: which cases (cohort), which window, which clock.
    estimand : mapping, optional
        A machine-readable description of what each row estimates (``kind`` plus fixed keys);
        ``estimand_columns`` name the frame's columns that complete it row by row. ``None``
        when the output has no truth counterpart; ``no_truth`` then says why.
    """

    name: str
    frame: pd.DataFrame
    spec: Any = None
    kind: str = "table"
    protect_options: Mapping[str, Any] = field(default_factory=dict)
    title: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    percent: Sequence[str] = ()
    figure: str | None = None
    figure_options: Mapping[str, Any] = field(default_factory=dict)
    caption: str = ""
    estimand: Mapping[str, Any] | None = None
    estimand_columns: Sequence[str] = ()
    no_truth: str = ""
    show_table: bool = True


@dataclass
class SectionResult:
    """What one section produced for one report: its outputs, or why there are none."""

    key: str
    outputs: list[Output] = field(default_factory=list)
    status: str = "built"  # built | empty | failed
    reason: str = ""


@dataclass(frozen=True)
class Section:
    """A section of a report: heading, plain introduction, and how to build its tables.

    ``build(context)`` returns the section's outputs, or raises :class:`SectionEmpty` with a
    sentence saying why there is nothing to show (too little follow-up, too few cases).
    ``scope`` says which reports carry it (``"force"``, ``"national"`` or both).
    """

    key: str
    title: str
    intro: str
    build: Callable[[BuildContext], list[Output]]
    scope: tuple[str, ...] = ("force", "national")

    def applies_to(self, report: str) -> bool:
        return ("national" if report == NATIONAL else "force") in self.scope


@dataclass
class BuildContext:
    """Everything a section may read while it is built for one report.

    Attributes
    ----------
    params : ReportParameters
    report : str
        The force code, or ``"national"``.
    cases : DataFrame
        This report's validated cases in the report period (all forces for the national one).
    national : object
        The run's national artefacts (all forces' cases on demand, peers, national models,
        benchmark figures for a force-only run): see ``reporting.prepare``.
    """

    params: ReportParameters
    report: str
    cases: pd.DataFrame
    national: Any
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_national(self) -> bool:
        return self.report == NATIONAL

    @property
    def name(self) -> str:
        return "England and Wales" if self.is_national else self.names.get(self.report,
                                                                           self.report)

    @cached_property
    def extract_date(self) -> pd.Timestamp | None:
        if self.params.extract_date:
            return pd.Timestamp(self.params.extract_date)
        if self.cases.empty:
            return None
        return pd.Timestamp(self.cases["extract_date"].max())
