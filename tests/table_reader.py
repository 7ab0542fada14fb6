"""A reader of protected force × category tables, written for the tests from the tables'
meaning (not from the package's cell systems): linear relations over the true counts, and each
hidden count bounded by linear programming.

Cells are keyed ``(table, force, offence group, category)`` and hold ``(true count, hidden)``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

GROUPS = ("all", "rape", "other_sexual")


class TableReader:
    """What a reader of the tables knows, as linear equalities (and inequalities) over the
    true counts."""

    def __init__(self, cells: dict[tuple, tuple[float, bool]]):
        self.cells = cells
        self.index = {c: k for k, c in enumerate(cells)}
        self.values = np.array([v for v, _ in cells.values()])
        self.rows: list[np.ndarray] = []
        self.rhs: list[float] = []
        self.below: list[np.ndarray] = []

    def _row(self, plus, minus) -> np.ndarray:
        row = np.zeros(len(self.cells))
        row[[self.index[c] for c in plus]] += 1
        row[[self.index[c] for c in minus]] -= 1
        return row

    def equal(self, plus, minus=(), total: float = 0.0) -> None:
        """sum(plus) - sum(minus) = total."""
        self.rows.append(self._row(plus, minus))
        self.rhs.append(total)

    def at_most(self, smaller, larger) -> None:
        """smaller <= larger (a stage never holds more cases than the one before)."""
        self.below.append(self._row([smaller], [larger]))

    def public_lines(self, kinds) -> None:
        """For each ``(table, category)``: rape and other sexual offences add up to all, per
        force, and every national line (the sum of the forces') is public."""
        forces = sorted({c[1] for c in self.cells})
        for name, category in kinds:
            for force in forces:
                self.equal([(name, force, g, category) for g in GROUPS[1:]],
                           [(name, force, "all", category)])
            for group in GROUPS:
                line = [(name, force, group, category) for force in forces]
                self.equal(line, (), self.values[[self.index[c] for c in line]].sum())

    def pinned(self, wanted, *, everything_hidden: bool = False) -> set[tuple]:
        """The cells ``wanted(cell, value)`` picks among the hidden ones (every one, with
        ``everything_hidden``) that the reader pins exactly, the printed ones known."""
        rows, rhs = list(self.rows), list(self.rhs)
        for cell, (value, hidden) in self.cells.items():
            if not (hidden or everything_hidden):
                rows.append(self._row([cell], ()))
                rhs.append(value)
        problem = {"A_eq": np.array(rows), "b_eq": np.array(rhs), "bounds": (0, None),
                   "method": "highs"}
        if self.below:
            problem.update(A_ub=np.array(self.below), b_ub=np.zeros(len(self.below)))
        found = set()
        for cell, k in self.index.items():
            if not (self.cells[cell][1] or everything_hidden) or not wanted(cell,
                                                                             self.values[k]):
                continue
            aim = np.zeros(len(self.cells))
            aim[k] = 1
            low, high = linprog(aim, **problem), linprog(-aim, **problem)
            assert low.status == 0 and high.status == 0, cell  # the true counts are a solution
            if -high.fun - low.fun < 0.5:
                found.add(cell)
        return found
