"""Many linear programmes on one feasible set: one HiGHS model, only the objective changed.

An attacker bounds each unknown cell up and down over the same constraints. scipy's
``linprog`` builds and presolves a fresh model for every call; here the model is passed to
HiGHS once (``highspy``, HiGHS's own Python interface) and each objective is solved from the
last optimal basis, which takes a few simplex iterations. Used by the attacker inside
secondary suppression (``suppression._Attacker``) and by the published-output attacker
(``attacker._bound``); both are checked against fresh ``linprog`` programmes in
``tests/test_suppression_programmes.py``.
"""

from __future__ import annotations

import os
import sys

import numpy as np
from scipy import sparse

__all__ = ["MILP_NODE_LIMIT", "Programmes", "milp_limits", "quiet_highs", "solve_lp"]

_BANNER_SHOWN = False

#: Limit of each integer programme, in branch-and-bound nodes: a count, not seconds, so that a
#: programme stopped at its limit is stopped on every machine and the same data give the same
#: pattern (a limit in seconds, 60 until now, would have changed the pattern with the
#: machine's speed). The run-level engine's 84 programmes on the benchmark's 43-force linked
#: tables (partner and publication at protection level 1, partner at 5) each solved at its
#: first node, the longest in 10 s.
MILP_NODE_LIMIT = 10_000


def milp_limits(node_limit: int | None, time_limit: float | None) -> dict:
    """HiGHS options limiting one integer programme: ``MILP_NODE_LIMIT`` nodes unless given;
    seconds only when asked for (a time limit makes the result depend on the machine)."""
    limits = {"node_limit": MILP_NODE_LIMIT if node_limit is None else node_limit}
    if time_limit is not None:
        limits["time_limit"] = time_limit
    return limits


def quiet_highs():
    """A HiGHS instance that prints nothing. The first one in a process prints HiGHS's banner
    on the C-level standard output before any option can be set (a notebook would show it):
    standard output is sent to null while it is made."""
    global _BANNER_SHOWN
    import highspy

    if _BANNER_SHOWN:
        highs = highspy.Highs()
    else:
        if sys.stdout is not None:
            sys.stdout.flush()
        try:
            saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        except OSError:  # no standard output to silence
            highs = highspy.Highs()
        else:
            try:
                os.dup2(null, 1)
                highs = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(null)
        _BANNER_SHOWN = True
    highs.setOptionValue("output_flag", False)
    return highs


class Programmes:
    """``row_lower <= a @ x <= row_upper``, ``lower <= x <= upper``: max of one cell at a time.

    Examples
    --------
    >>> a = sparse.csr_matrix([[1.0, 1.0, -1.0]])  # x0 + x1 = x2
    >>> lp = Programmes(a, np.zeros(1), np.zeros(1), np.zeros(3), np.array([4.0, 9.0, 5.0]))
    >>> lp.maximise(0, 1.0)[0], lp.maximise(1, 1.0)[0], lp.maximise(2, -1.0)[0]
    (4.0, 5.0, -0.0)
    """

    def __init__(self, a: sparse.spmatrix, row_lower: np.ndarray, row_upper: np.ndarray,
                 lower: np.ndarray, upper: np.ndarray):
        import highspy

        self.highs = quiet_highs()
        a = sparse.csc_matrix(a)
        m, n = a.shape
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, m
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.asarray(lower, dtype=float)
        lp.col_upper_ = np.asarray(upper, dtype=float)
        lp.row_lower_ = np.asarray(row_lower, dtype=float)
        lp.row_upper_ = np.asarray(row_upper, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, m
        self.highs.passModel(lp)
        self.status = highspy.HighsModelStatus
        self.last: int | None = None

    def maximise(self, column: int, sign: float):
        """The max of ``sign * x[column]`` as (value, row duals of the min form, x); ``(inf,
        None, None)`` when unbounded; None when there is no solution."""
        if self.last is not None:
            self.highs.changeColCost(self.last, 0.0)
        self.highs.changeColCost(column, -sign)
        self.last = column
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == self.status.kUnbounded:
            return np.inf, None, None
        if status != self.status.kOptimal:
            return None
        solution = self.highs.getSolution()
        return (-self.highs.getInfo().objective_function_value, np.array(solution.row_dual),
                np.array(solution.col_value))


def solve_lp(a: sparse.spmatrix, row_lower, row_upper, lower, upper, cost) -> np.ndarray | None:
    """An optimal solution of min ``cost @ x`` over ``row_lower <= a @ x <= row_upper``,
    ``lower <= x <= upper`` (one HiGHS model, as :class:`Programmes`); None when there is none
    (infeasible, unbounded or stopped).

    Examples
    --------
    >>> a = sparse.csr_matrix([[1.0, 1.0]])  # x0 + x1 <= 3
    >>> solve_lp(a, [-np.inf], [3.0], [0.0, 0.0], [2.0, 2.0], [-2.0, -1.0]).tolist()
    [2.0, 1.0]
    """
    programme = Programmes(a, np.asarray(row_lower, dtype=float),
                           np.asarray(row_upper, dtype=float), lower, upper)
    programme.highs.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32),
                                   np.asarray(cost, dtype=float))
    programme.highs.run()
    if programme.highs.getModelStatus() != programme.status.kOptimal:
        return None
    return np.array(programme.highs.getSolution().col_value)
