"""One protection per run over everything the run publishes.

Every report of a run (each force report, the national overview, the index, metrics.json)
registers each table it will show, with its :class:`TableSpec`, *before anything is written*;
:meth:`RunProtection.solve` protects them all together (the same quantity is one cell wherever
it appears); each report then takes its protected tables with :meth:`RunProtection.table`.
The solved run is saved (only published values, never a hidden count) for report processes.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import DisclosureError, ParameterError
from .attacker import rounding_protects
from .cells import KNOWN, STRUCTURAL, CellBuilder
from .curves import protect_curve
from .models import protect_model
from .profiles import INTERNAL_LABEL, DisclosureProfile, get_profile
from .records import OutputRecord, ProtectedTable, appendix, caption, json_default, write_log
from .rounding import publish_counts, publish_rate
from .spec import Rate, TableSpec, canonical, describe
from .suppression import suppress

__all__ = ["RunProtection", "protect_table"]


@dataclass
class _Entry:
    report: str
    name: str
    kind: str
    frame: pd.DataFrame
    spec: TableSpec | None = None
    options: dict = field(default_factory=dict)
    cells: np.ndarray | None = None  # rows × count columns: cell numbers


def _rules(profile: DisclosureProfile) -> list[str]:
    if not profile.suppress:
        return [f"no suppression ({profile.name} profile): labelled '{INTERNAL_LABEL}'"]
    rules = [f"primary suppression: counts below {profile.threshold}"
             + (" and zeros (except structural zeros)" if profile.zeros_disclosive else ""),
             "secondary suppression by optimisation over every table of the run: no hidden "
             + ("count can be worked out exactly" if profile.protection <= 1 else
                "count can be worked out or narrowed to fewer than "
                f"{profile.protection} values either side")
             + " from everything published",
             "shares and intervals computed from the published counts; hidden with them"]
    if profile.round_base:
        rules.append(f"published counts rounded to base {profile.round_base}")
    return rules


class RunProtection:
    """The run-level registry of published tables, protected together.

    Examples
    --------
    >>> from soteria_research.reporting.disclosure import TableSpec
    >>> run = RunProtection("partner")
    >>> spec = TableSpec(keys=("outcome_group",), counts=("n",), where={"force": "a"},
    ...                  categories={"outcome_group": ("charge", "withdrawal", "other")},
    ...                  totals=("outcome_group",))
    >>> frame = pd.DataFrame({"outcome_group": ["charge", "withdrawal", "other"],
    ...                       "n": [4, 30, 50]})
    >>> run.register("a", "outcome_mix", frame, spec)
    >>> run.solve().table("a", "outcome_mix").display()["n"].tolist()
    ['[c]', '[c]', 50]
    """

    def __init__(self, profile: str | DisclosureProfile | None = None) -> None:
        self.profile = get_profile(profile)
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._dimensions: dict[str, tuple[str, ...]] = {}
        self._groupings: dict[str, tuple[str, dict]] = {}
        self._equal: list[tuple[frozenset, frozenset]] = []
        self._protected: dict[tuple[str, str], ProtectedTable] = {}
        self._view: dict | None = None
        self.system = None
        self.suppression = None
        self.notes: list[str] = []
        self.solved = False

    # -- registering --------------------------------------------------------------------------
    def _add(self, entry: _Entry) -> None:
        if self.solved:
            raise DisclosureError(
                f"{entry.report}/{entry.name} was registered after the run was solved: every "
                "table must be registered before protection runs (and before anything is "
                "written), or it is protected without the others.")
        key = (entry.report, entry.name)
        if key in self._entries:
            raise ParameterError(f"{entry.report}/{entry.name} is registered twice.")
        self._entries[key] = entry

    def register(self, report: str, name: str, frame: pd.DataFrame, spec: TableSpec) -> None:
        """Register a table a report will publish (checked against its spec, completed)."""
        if not isinstance(spec, TableSpec):
            raise ParameterError(f"register({report!r}, {name!r}) needs a TableSpec.")
        frame = frame.reset_index(drop=not any(n is not None for n in frame.index.names))
        spec.check(frame, f"{report}/{name}")
        self._add(_Entry(report, name, "table", spec.complete(frame), spec))

    def declare_dimension(self, dimension: str, categories) -> None:
        """A dimension's complete category list when no table has it as a key (``force``: each
        force report holds it as a predicate, and national figures add up over it)."""
        if self.solved:
            raise DisclosureError("declare_dimension() after solve(): declare it first.")
        self._dimensions[dimension] = tuple(canonical(c) for c in categories)

    def declare_grouping(self, dimension: str, into: str, mapping) -> None:
        """Group the categories of ``dimension`` into a coarser dimension ``into``
        (``{category: coarser category}``, every category once): a count of the coarser
        category is the sum of the finer ones, so a table that counts the cases that reached
        an outcome (``into="status"``, ``"ended"``) is tied to the outcome mix's outcomes.

        Examples
        --------
        The outcome mix hides a force's 3 withdrawals; its open cases (50) would be the
        cheapest complement, but the cases that reached an outcome (63) and the total (113)
        would give them back, and with them the 3:

        >>> from soteria_research.reporting.disclosure import Count, TableSpec
        >>> run = RunProtection("partner")
        >>> mix = TableSpec(keys=("outcome_group",), counts=("n",), where={"force": "a"},
        ...                 categories={"outcome_group": ("charge", "withdrawal", "open")},
        ...                 totals=("outcome_group",))
        >>> run.register("a", "outcome_mix", pd.DataFrame(
        ...     {"outcome_group": ["charge", "withdrawal", "open"], "n": [60, 3, 50]}), mix)
        >>> reached = TableSpec(counts={"n": Count(where={"status": "ended"})},
        ...                     where={"force": "a"})
        >>> run.register("a", "reached", pd.DataFrame({"n": [63]}), reached)
        >>> run.declare_grouping("outcome_group", "status", {"charge": "ended",
        ...                      "withdrawal": "ended", "open": "open"})
        >>> run.solve().table("a", "outcome_mix").display()["n"].tolist()
        ['[c]', '[c]', 50]
        """
        if self.solved:
            raise DisclosureError("declare_grouping() after solve(): declare it first.")
        self._groupings[dimension] = (into, {canonical(k): canonical(v)
                                             for k, v in dict(mapping).items()})

    def declare_equal(self, one: dict, other: dict) -> None:
        """Counts with the predicates ``one`` are the counts with ``other`` in their place:
        two names for the same cases *in this run's data* (the funnel's charged stage, a
        charge date or a charge outcome, and the outcome mix's charges, where no case has a
        charge date under another outcome). A reader who knows the data's definitions takes
        them as one number; declared, the run protects them as one, and refuses the
        declaration where any pair differs.

        Examples
        --------
        >>> from soteria_research.reporting.disclosure import TableSpec
        >>> run = RunProtection("partner")
        >>> funnel = TableSpec(keys=("stage",), counts=("n",), where={"force": "a"})
        >>> run.register("a", "funnel", pd.DataFrame({"stage": ["charged"], "n": [12]}), funnel)
        >>> mix = TableSpec(keys=("outcome_group",), counts=("n",), where={"force": "a"})
        >>> run.register("a", "mix", pd.DataFrame({"outcome_group": ["charge"], "n": [12]}), mix)
        >>> run.declare_equal({"stage": "charged"}, {"outcome_group": "charge"})
        >>> len(run.solve().system.relations)
        1
        """
        if self.solved:
            raise DisclosureError("declare_equal() after solve(): declare it first.")
        self._equal.append((frozenset((k, canonical(v)) for k, v in one.items()),
                            frozenset((k, canonical(v)) for k, v in other.items())))

    def register_curve(self, report: str, name: str, curve: pd.DataFrame, **options) -> None:
        """Register a survival or incidence curve (coarsened by :func:`protect_curve`)."""
        self._add(_Entry(report, name, "curve", curve, options=options))

    def register_model(self, report: str, name: str, model: pd.DataFrame, **options) -> None:
        """Register a model's coefficient table (checked by :func:`protect_model`)."""
        self._add(_Entry(report, name, "model", model, options=options))

    @property
    def names(self) -> list[tuple[str, str]]:
        """(report, name) of every registered output."""
        return list(self._entries)

    def spec(self, report: str, name: str) -> TableSpec | None:
        """The spec a table was registered with; None for an output not registered, or
        registered as a curve or a model."""
        entry = self._entries.get((report, name))
        return entry.spec if entry is not None and entry.kind == "table" else None

    def registered(self, report: str, name: str) -> pd.DataFrame:
        """The frame a table was registered with (completed to every declared category)."""
        return self._entries[(report, name)].frame

    # -- solving ------------------------------------------------------------------------------
    def solve(self, profile: str | DisclosureProfile | None = None, *,
              leave_to_rounding: tuple[str, ...] = (), **options) -> RunProtection:
        """Protect every registered table together; curves and models by their own rules.

        ``leave_to_rounding`` names dimensions (``("force",)``) whose totals a profile that
        rounds may leave to the rounding: the pattern is first chosen as if no reader knew
        that the figures add up over them (a national figure is the sum of the forces'), and
        kept only when :func:`.attacker.rounding_protects` finds every hidden cell unknown
        and every small one protected with each published count known to its rounding
        interval; otherwise the pattern is chosen as without it (published counts taken as
        exact). What the reports' headline tables do under ``publication`` (the rounding of
        42 forces' counts protects City of London's small ones in the national figure): a
        policy choice, off by default (``docs/methods.md`` §8).
        """
        if profile is not None:
            self.profile = get_profile(profile)
        builder = CellBuilder()
        for dimension, categories in self._dimensions.items():
            builder.declare_categories(dimension, categories, "declare_dimension")
        tables = [e for e in self._entries.values() if e.kind == "table"]
        for entry in tables:
            self._cells(builder, entry)
        for dimension, (into, mapping) in self._groupings.items():
            builder.declare_grouping(dimension, into, mapping, "declare_grouping")
        for one, other in self._equal:
            builder.declare_equal(one, other)
        self.system = builder.build()
        self.suppression = self._suppress(tuple(leave_to_rounding), options)
        exact = len(self.suppression.exact)
        if exact:
            self.notes.append(f"{exact} small count(s) could not be protected by suppression "
                              "(their value follows from totals published elsewhere or "
                              "structural zeros)")
        if len(self.suppression.exposed) > exact:
            self.notes.append(f"{len(self.suppression.exposed) - exact} small count(s) are as "
                              "large as a published total allows (a reader can tell they are no "
                              "larger) but could be smaller: not worked out")
        self.notes += self.suppression.notes
        for key, entry in self._entries.items():
            if entry.kind == "table":
                self._protected[key] = self._publish(entry)
            elif entry.kind == "curve":
                self._protected[key] = protect_curve(entry.frame, name=entry.name,
                                                     profile=self.profile, **entry.options)
            else:
                self._protected[key] = protect_model(entry.frame, name=entry.name,
                                                     profile=self.profile, **entry.options)
        self.solved = True
        # the published view is made when first asked for: a report run's protection never
        # asks (3 s of the 43-force run's solve, benchmarks/bench_disclosure.py)
        self._view = None
        return self

    def _suppress(self, dimensions: tuple[str, ...], options: dict):
        """:func:`suppress`, first leaving the totals over ``dimensions`` to the rounding
        where the attacker confirms that protects (see :meth:`solve`)."""
        profile = self.profile
        if dimensions and profile.round_base and profile.suppress:
            unknown = set(dimensions) - set(self.system.dimensions())
            if unknown:
                raise ParameterError(f"leave_to_rounding names {sorted(unknown)}, which no "
                                     "registered table adds up over; the dimensions are "
                                     f"{sorted(self.system.dimensions())}.")
            relaxed = suppress(self.system.without_totals_over(dimensions), profile, **options)
            if not relaxed.exact and rounding_protects(self.system, relaxed.hidden,
                                                       relaxed.sensitive, profile):
                relaxed.notes.append(
                    f"secondary suppression: the totals over {', '.join(dimensions)} are "
                    f"protected by the rounding to base {profile.round_base} (checked by the "
                    "attacker)")
                return relaxed
            result = suppress(self.system, profile, **options)
            result.notes.append("secondary suppression: the rounding alone did not protect the "
                                f"totals over {', '.join(dimensions)}: published counts taken "
                                "as exact")
            return result
        return suppress(self.system, profile, **options)

    def _cells(self, builder: CellBuilder, entry: _Entry) -> None:
        spec, frame = entry.spec, entry.frame
        source = f"{entry.report}/{entry.name}"
        for dimension, categories in spec.dimension_categories().items():
            builder.declare_categories(dimension, categories, source)
        zeros = spec.zero_cells(frame)
        headline = spec.headline_counts()
        keys = frame[list(spec.keys)].to_dict("records") if spec.keys else [{}] * len(frame)
        cells = np.zeros((len(frame), len(spec.counts)), dtype=np.int64)
        for j, column in enumerate(spec.counts):
            values = pd.to_numeric(frame[column]).to_numpy(dtype=float)
            for i, row in enumerate(keys):
                quantity = spec.cell_identity(row, column)
                cells[i, j] = builder.add(quantity, values[i], source=source,
                                          structural=bool(zeros[i, j]),
                                          headline=column in headline, weight=spec.weight)
                for key in spec.totals:
                    if key in (spec.counts[column].keys or spec.keys) and \
                            row[key] != spec.total_rows.get(key):
                        builder.declare_known(quantity - {(spec.dimension(key),
                                                           _canon(row[key]))})
        columns = list(spec.counts)
        for key in spec.nested:  # each row's cases a part of the next row's
            rows = _next_rows(frame, spec, key)
            for j, column in enumerate(columns):
                if key in (spec.counts[column].keys or spec.keys):
                    for i in np.flatnonzero(rows >= 0):
                        builder.add_complement(int(cells[i, j]), int(cells[rows[i], j]),
                                               nested=True)
        for rate in spec.rates.values():
            if rate.kind in ("share", "lower", "upper"):
                num, den = columns.index(rate.numerator), columns.index(rate.denominator)
                rows = _denominator_rows(frame, spec, rate)
                for i in np.flatnonzero(rows >= 0):
                    # a share's cases are a part of its denominator's, whatever their
                    # identities say (withdrawals within 90 days, of those within 730)
                    builder.add_complement(int(cells[i, num]), int(cells[rows[i], den]),
                                           nested=True)
        entry.cells = cells

    def _publish(self, entry: _Entry) -> ProtectedTable:
        spec, frame, cells = entry.spec, entry.frame, entry.cells
        profile, hidden = self.profile, self.suppression.hidden
        record = OutputRecord(name=entry.name, kind="counts", profile=profile.name,
                              rules=_rules(profile), n_cells=int(cells.size))
        # the columns are gathered and each frame made once: assigning them one by one into
        # copies took a quarter of the 43-force run's solve (1,006 tables)
        out = {column: frame[column] for column in frame.columns}
        mask = {column: np.zeros(len(frame), dtype=bool) for column in frame.columns}
        published: dict[str, np.ndarray] = {}
        primary = self.suppression.primary
        for j, column in enumerate(spec.counts):
            cell = cells[:, j]
            published[column] = publish_counts(self.system.values[cell], hidden[cell], profile)
            out[column] = published[column]
            mask[column] = hidden[cell]
            record.primary_suppressed += int(primary[cell].sum())
            record.secondary_suppressed += int((hidden[cell] & ~primary[cell]).sum())
            if profile.round_base and profile.suppress:
                record.rounded += int((~hidden[cell]).sum())
        for column, rate in spec.rates.items():
            deff = (pd.to_numeric(frame[rate.design_effect], errors="coerce").to_numpy(
                dtype=float) if rate.design_effect else None)
            parts, rows = published, _denominator_rows(frame, spec, rate)
            if rate.of_row is not None or rate.of_previous is not None:
                # each row's denominator, as published in its row
                moved = published[rate.denominator][np.maximum(rows, 0)]
                parts = {**published, _OTHER_ROW: np.where(rows >= 0, moved, np.nan)}
                rate = replace(rate, denominator=_OTHER_ROW, of_row=None, of_previous=None)
            values, hidden_rate = publish_rate(rate, pd.to_numeric(frame[column], errors="coerce")
                                               .to_numpy(dtype=float), parts, profile,
                                               design_effect=deff)
            # a row with no denominator row (the first stage: none before it) has no share,
            # in every table alike: blank, not hidden
            values[rows < 0], hidden_rate[rows < 0] = np.nan, False
            out[column] = values
            mask[column] = hidden_rate
            record.derived_suppressed += int(hidden_rate.sum())
        # design effects are read, never published
        kept = [column for column in frame.columns if column not in set(spec.design_effects)]
        attrs = copy.deepcopy(frame.attrs)
        out = pd.DataFrame({column: out[column] for column in kept}, index=frame.index)
        out.attrs.update(attrs)
        mask = pd.DataFrame({column: mask[column] for column in kept}, index=frame.index)
        counts_hidden = mask[list(spec.counts)].to_numpy()
        record.status = ("internal" if not profile.suppress else
                         "withheld" if counts_hidden.size and counts_hidden.all() else
                         "suppressed" if mask.to_numpy().any() else "pass")
        if profile.label:
            out.attrs["label"] = profile.label
        out.attrs["disclosure"] = {"name": entry.name, "profile": profile.name,
                                   "status": record.status, "run": True}
        first = pd.DataFrame(primary[cells], index=frame.index, columns=list(spec.counts))
        return ProtectedTable(out, mask, record, primary=first, counts=tuple(spec.counts))

    # -- reading the result -------------------------------------------------------------------
    def table(self, report: str, name: str, frame: pd.DataFrame | None = None) -> ProtectedTable:
        """The protected table (after :meth:`solve` or :meth:`load`).

        With ``frame``, checks that the report computed the same counts the run protected.
        """
        if not self.solved:
            raise DisclosureError("the run is not solved yet: call solve() once every table "
                                  "of every report is registered.")
        key = (report, name)
        if key not in self._protected:
            raise ParameterError(f"no output {report}/{name} in this run; registered: "
                                 f"{sorted(self._protected)[:20]}.")
        protected = self._protected[key]
        if frame is not None and protected.counts:
            self._check_same(protected, frame, f"{report}/{name}")
        return protected

    def _check_same(self, protected: ProtectedTable, frame: pd.DataFrame, where: str) -> None:
        shown = ~protected.mask[list(protected.counts)].to_numpy()
        mine = publish_counts(frame[list(protected.counts)].to_numpy(dtype=float),
                              np.zeros_like(shown), self.profile) if len(frame) == len(
            protected.frame) else None
        theirs = protected.frame[list(protected.counts)].to_numpy(dtype=float)
        if mine is None or not np.allclose(mine[shown], theirs[shown]):
            raise DisclosureError(f"{where}: the table differs from the one the run protected; "
                                  "a report must show the numbers registered for it.")

    def records(self, report: str) -> list[OutputRecord]:
        """The log records of one report's outputs."""
        return [p.record for (r, _), p in self._protected.items() if r == report]

    def write_log(self, report: str, path: str | Path) -> Path:
        """``disclosure.json`` of one report (at publication: how many hidden, not why)."""
        return write_log(path, self.profile, self.records(report), force=report,
                         linked_tables=[n for r, n in self._protected if r != report][:0])

    def appendix(self, report: str) -> str:
        """The Markdown disclosure appendix of one report."""
        return appendix(self.profile, self.records(report))

    def caption(self) -> str:
        return caption(self.profile)

    def summary(self) -> pd.DataFrame:
        """One row per output: report, name, status, count cells, hidden (all of them)."""
        rows = []
        for (report, name), p in self._protected.items():
            r = p.record
            rows.append({"report": report, "name": name, "kind": r.kind, "status": r.status,
                         "n_cells": r.n_cells, "hidden": r.suppressed,
                         "derived_hidden": r.derived_suppressed})
        return pd.DataFrame(rows)

    # -- the published view: what a reader holds ---------------------------------------------
    def _published_view(self) -> dict:
        system, hidden = self.system, self.suppression.hidden
        shown = system.shown & ~hidden
        known = (system.flags & (KNOWN | STRUCTURAL)) > 0
        published = publish_counts(system.values, ~(shown | known), self.profile)
        published[known] = system.values[known]  # exact: published elsewhere, or impossible
        cells = [{"identity": sorted(map(list, q)), "published": None if np.isnan(v) else v,
                  "exact": bool(k), "shown": bool(s)}
                 for q, v, k, s in zip(system.identities, published, known, system.shown,
                                       strict=True)]
        tables = []
        for (report, name), entry in self._entries.items():
            if entry.kind != "table":
                continue
            protected = self._protected[(report, name)]
            tables.append({
                "report": report, "name": name, "counts": list(entry.spec.counts),
                "cells": entry.cells.tolist(),
                "rates": {c: vars(r) for c, r in entry.spec.rates.items()},
                "rates_from": "published",
                "columns": list(protected.frame.columns),
                "rows": protected.frame.astype(object).where(protected.frame.notna(), None)
                .to_numpy().tolist(),
                "mask": protected.mask.to_numpy().tolist(),
                "record": protected.record.to_dict(),
            })
        return {"profile": self.profile.name, "round_base": self.profile.round_base
                if self.profile.suppress else None, "cells": cells,
                "relations": [[m.tolist(), int(t)] for m, t in system.relations],
                "tables": tables, "notes": list(self.notes),
                "others": {f"{r}\x1f{n}": {"columns": list(p.frame.columns),
                                           "rows": p.frame.astype(object).where(
                                               p.frame.notna(), None).to_numpy().tolist(),
                                           "record": p.record.to_dict()}
                           for (r, n), p in self._protected.items()
                           if self._entries[(r, n)].kind != "table"}}

    def published_view(self) -> dict:
        """Everything a reader of the run's files holds, as data (no hidden value)."""
        if not self.solved:
            raise DisclosureError("the run is not solved yet.")
        if self._view is None:
            self._view = self._published_view()
        return self._view

    def save(self, path: str | Path) -> Path:
        """Write the solved run (published values only) for the report processes."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.published_view(), default=json_default),
                        encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> RunProtection:
        """A solved run saved by :meth:`save`: tables readable, nothing to re-solve."""
        view = json.loads(Path(path).read_text(encoding="utf-8"))
        run = cls(view["profile"])
        for table in view["tables"]:
            frame = pd.DataFrame(table["rows"], columns=table["columns"])
            mask = pd.DataFrame(table["mask"], columns=table["columns"]).astype(bool)
            for column in table["counts"] + list(table["rates"]):
                frame[column] = pd.to_numeric(frame[column], errors="coerce")
            record = OutputRecord(**{k: v for k, v in table["record"].items()
                                     if k != "cells_suppressed"})
            run._protected[(table["report"], table["name"])] = ProtectedTable(
                frame, mask, record, counts=tuple(table["counts"]))
        for key, other in view.get("others", {}).items():
            report, name = key.split("\x1f", 1)
            frame = pd.DataFrame(other["rows"], columns=other["columns"])
            record = OutputRecord(**{k: v for k, v in other["record"].items()
                                     if k != "cells_suppressed"})
            run._protected[(report, name)] = ProtectedTable(
                frame, pd.DataFrame(False, index=frame.index, columns=frame.columns), record)
        run._view = view
        run.notes = list(view.get("notes", []))
        run.solved = True
        return run

    def describe_cell(self, cell: int) -> str:
        """A readable identity of cell ``cell`` and the tables showing it."""
        where = ", ".join(self.system.sources[cell]) or "not shown (latent)"
        return f"{describe(self.system.identities[cell])} [{where}]"


def _canon(value) -> str:
    return canonical(value)


_OTHER_ROW = "\x00denominator of another row"


def _next_rows(frame: pd.DataFrame, spec: TableSpec, key: str) -> np.ndarray:
    """Each row's position of the next row of its group (the rows of the same keys but
    ``key``, in the table's order), -1 for a group's last row."""
    others = [k for k in spec.keys if k != key]
    groups = (frame.groupby(others, sort=False, dropna=False).ngroup().to_numpy()
              if others else np.zeros(len(frame), dtype=np.int64))
    following = pd.Series(np.arange(len(frame))).groupby(groups).shift(-1).to_numpy()
    return np.nan_to_num(following, nan=-1).astype(int)


def _denominator_rows(frame: pd.DataFrame, spec: TableSpec, rate: Rate) -> np.ndarray:
    """Each row's position of the row holding its share's denominator (``Rate.of_row``, the
    previous row of its group with ``Rate.of_previous``; its own row without), -1 where the
    table has no such row."""
    if rate.of_row is None and rate.of_previous is None:
        return np.arange(len(frame))
    key = rate.of_row[0] if rate.of_row is not None else rate.of_previous
    others = [k for k in spec.keys if k != key]
    groups = (frame.groupby(others, sort=False, dropna=False).ngroup().to_numpy()
              if others else np.zeros(len(frame), dtype=np.int64))
    if rate.of_previous is not None:
        rows = np.arange(len(frame))
        previous = pd.Series(rows).groupby(groups).shift(1).to_numpy()
        return np.nan_to_num(previous, nan=-1).astype(int)
    value = rate.of_row[1]
    base = np.flatnonzero(frame[key].map(canonical).eq(canonical(value)).to_numpy())
    row_of_group = np.full(int(groups.max(initial=-1)) + 1, -1)
    row_of_group[groups[base]] = base
    return row_of_group[groups]


def protect_table(frame: pd.DataFrame, spec: TableSpec, *, name: str = "table",
                  profile: str | DisclosureProfile | None = None) -> ProtectedTable:
    """Protect one table on its own (a run of one table): for notebooks and tests.

    Examples
    --------
    >>> spec = TableSpec(keys=("outcome_group",), counts=("n",),
    ...                  categories={"outcome_group": ("charge", "withdrawal", "other")},
    ...                  totals=("outcome_group",))
    >>> frame = pd.DataFrame({"outcome_group": ["charge", "withdrawal", "other"],
    ...                       "n": [4, 30, 52]})
    >>> protect_table(frame, spec, profile="publication").display()["n"].tolist()
    ['[c]', '[c]', 50]
    """
    run = RunProtection(profile)
    run.register("table", name, frame, spec)
    return run.solve().table("table", name)


# ``Rate`` is part of what a saved view describes.
_ = Rate
