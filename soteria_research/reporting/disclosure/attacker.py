"""The attacker: integer/linear programming over everything a run publishes.

A motivated outsider holding every file of a run knows: each published count (an interval of
± half the rounding base when rounded), the additivity of the quantities (complete category
lists, so national = sum of forces, all = rape + other...), totals published elsewhere,
structural zeros, non-negativity, integrality, and every published share and interval (a share
printed to d decimals with its denominator bounds the numerator; a printed Wilson interval with
its n bounds k). For each hidden cell this module finds the range of values consistent with all
of it: exact integer bounds by MILP where the linked part is small, LP-relaxation bounds (which
contain them) otherwise.

It works from :meth:`RunProtection.published_view` (what the files hold), never from the hidden
values, so tests can run it on a finished run.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

from .profiles import round_to_base
from .programmes import Programmes, milp_limits, solve_lp
from .rounding import wilson

__all__ = ["attack", "disclosures", "rounding_protects"]


def _view(source) -> dict:
    return source.published_view() if hasattr(source, "published_view") else source


def _count_bounds(view: dict) -> tuple[np.ndarray, np.ndarray]:
    base = view.get("round_base")
    lower, upper = [], []
    for cell in view["cells"]:
        value = cell["published"]
        if value is None:
            lower.append(0.0)
            upper.append(np.inf)
        elif cell["exact"] or not base:
            lower.append(value)
            upper.append(value)
        else:  # rounding half up: v in [value - base/2, value + base/2)
            lower.append(max(0.0, math.ceil(value - base / 2)))
            upper.append(math.ceil(value + base / 2) - 1)
    return np.array(lower, dtype=float), np.array(upper, dtype=float)


def _rate_constraints(view: dict, lower: np.ndarray, upper: np.ndarray):
    """Rows ``a x <= 0`` from shares printed from the true counts; bounds from intervals."""
    rows, cols, data = [], [], []
    k = 0
    for table in view["tables"]:
        if table.get("rates_from") != "true":
            continue  # computed from the published counts: no more than the counts say
        columns = table["columns"]
        cells = np.asarray(table["cells"], dtype=int)
        for column, rate in table["rates"].items():
            if rate["kind"] not in ("share", "lower", "upper") or rate.get("of_row") or \
                    rate.get("of_previous"):
                continue  # (a share of another row: not simulated printed from true counts)
            num_j, den_j = table["counts"].index(rate["numerator"]), \
                table["counts"].index(rate["denominator"])
            position = columns.index(column)
            half = 0.5 * 10.0 ** (-rate["decimals"])
            for i, row in enumerate(table["rows"]):
                printed = row[position]
                if printed is None or (isinstance(printed, float) and np.isnan(printed)):
                    continue
                num, den = int(cells[i, num_j]), int(cells[i, den_j])
                if rate["kind"] == "share":
                    low = (printed - half) / rate["scale"]
                    high = (printed + half) / rate["scale"]
                    rows += [k, k, k + 1, k + 1]
                    cols += [num, den, num, den]
                    data += [1.0, -high, -1.0, low]
                    k += 2
                elif rate.get("design_effect"):
                    continue  # at a design effect the view does not hold: not invertible here
                elif np.isfinite(upper[den]) and upper[den] - lower[den] <= 50:
                    hull = _wilson_hull(printed, rate, lower[den], upper[den])
                    if hull is not None:
                        lower[num] = max(lower[num], hull[0])
                        upper[num] = min(upper[num], hull[1])
    return sparse.csr_matrix((data, (rows, cols)), shape=(k, len(lower)))


def _wilson_hull(printed, rate, den_low, den_high):
    """Smallest and largest k whose Wilson bound prints as ``printed`` for some n in range."""
    found = []
    for n in range(int(den_low), int(den_high) + 1):
        k = np.arange(n + 1, dtype=float)
        low, high = wilson(k, np.full(n + 1, float(n)), rate["level"])
        bound = low if rate["kind"] == "lower" else high
        hits = k[np.round(bound * rate["scale"], rate["decimals"]) == printed]
        if len(hits):
            found += [hits.min(), hits.max()]
    return (min(found), max(found)) if found else None


def attack(source, *, integer: bool = True, targets: str = "hidden",
           max_integer_cells: int = 400, time_limit: float | None = None) -> pd.DataFrame:
    """The range of values an attacker holding every published file can give each cell.

    Parameters
    ----------
    source : RunProtection or dict
        A solved run, or its :meth:`~RunProtection.published_view`.
    integer : bool
        Exact integer bounds (MILP) on linked parts with at most ``max_integer_cells`` unknown
        cells; LP bounds (a superset) elsewhere, and where an integer programme stops at its
        limit (``programmes.MILP_NODE_LIMIT`` nodes; ``time_limit`` seconds only if given,
        which makes the answer depend on the machine).
    targets : {"hidden", "all"}
        Cells to bound: the hidden (and latent) ones, or every cell.

    Returns
    -------
    DataFrame
        One row per target cell: ``cell, identity, shown, hidden, low, high, exact, method``.

    Examples
    --------
    >>> from soteria_research.reporting.disclosure import RunProtection, TableSpec
    >>> run = RunProtection("partner")
    >>> spec = TableSpec(keys=("outcome",), counts=("n",),
    ...                  categories={"outcome": ("a", "b", "c")}, totals=("outcome",))
    >>> run.register("r", "t", pd.DataFrame({"outcome": ["a", "b", "c"], "n": [3, 40, 60]}),
    ...              spec)
    >>> found = attack(run.solve())
    >>> found.loc[found["shown"], ["low", "high"]].values.tolist()
    [[0.0, 43.0], [0.0, 43.0]]
    """
    view = _view(source)
    lower, upper = _count_bounds(view)
    n = len(lower)
    equalities = _relations(view, n)
    inequalities = _rate_constraints(view, lower, upper)
    unknown = lower < upper
    published = np.array([c["published"] is not None for c in view["cells"]])
    wanted = ~published if targets == "hidden" else np.ones(n, dtype=bool)
    rows = []
    for component in _components(equalities, inequalities, unknown):
        aims = component[wanted[component]]
        if len(aims) == 0:
            continue
        bounds = _bound(component, aims, equalities, inequalities, lower, upper,
                        integer and len(component) <= max_integer_cells, time_limit)
        rows += bounds
    pinned = np.flatnonzero(wanted & ~unknown)
    rows += [(int(c), lower[c], upper[c], "known") for c in pinned]
    frame = pd.DataFrame(rows, columns=["cell", "low", "high", "method"]).astype(
        {"cell": int, "low": float, "high": float}).sort_values("cell")
    cells = frame["cell"].to_numpy(dtype=int)
    frame.insert(1, "identity", [" & ".join(f"{d}={v}" for d, v in view["cells"][c]["identity"])
                                 for c in cells])
    frame.insert(2, "shown", [bool(view["cells"][c]["shown"]) for c in cells])
    frame.insert(3, "hidden", ~published[cells])
    frame["exact"] = np.floor(frame["high"] + 1e-6) <= np.ceil(frame["low"] - 1e-6)
    return frame.reset_index(drop=True)


def _relations(view: dict, n: int) -> sparse.csr_matrix:
    rows, cols, data = [], [], []
    for k, (members, total) in enumerate(view["relations"]):
        rows += [k] * (len(members) + 1)
        cols += [*members, total]
        data += [1.0] * len(members) + [-1.0]
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(view["relations"]), n))


def _components(equalities, inequalities, unknown) -> list[np.ndarray]:
    cells = np.flatnonzero(unknown)
    if len(cells) == 0:
        return []
    both = sparse.vstack([equalities, inequalities]).tocsc()[:, cells].tocsr()
    graph = sparse.bmat([[None, both], [both.T, None]]).tocsr()
    _, labels = connected_components(graph, directed=False)
    labels = labels[both.shape[0]:]
    order = np.argsort(labels, kind="stable")
    return np.split(cells[order], np.flatnonzero(np.diff(labels[order])) + 1)


def _bound(component, aims, equalities, inequalities, lower, upper, integer, time_limit,
           enough: float | None = None, truth: np.ndarray | None = None):
    """Min and max of each aim over the component (other cells at their published values).

    ``enough``: an aim that the solutions found for earlier aims already move over at least
    ``enough`` gets the lowest and highest value they give it (``"seen"``: ends inside its true
    ones, far enough apart) instead of programmes of its own. Under integer programming only
    optimal (whole-valued) solutions count: on the national linked tables this skips 11 of the
    rounding check's 14 integer aims.

    ``truth`` (the true value of every cell, with ``enough``; linear programmes only): an aim
    of a component of more than ``LOCAL_FROM`` cells is first bounded over its neighbourhood
    alone, every other cell of the component fixed at its true value (:func:`_local_ends`).
    The true values satisfy every constraint, so each such solution is a point of the whole
    feasible set and its ends lie inside the aim's true ones (``"local"``). The aims their
    neighbourhoods do not move at least ``enough`` are then moved all together over the
    component, a few programmes for all of them (:func:`_move_together`, ``"joint"``); only an
    aim those do not settle gets the component's programmes of its own. On the benchmark's
    43-force run the rounding check spent 16 s in 46 programmes over one component of 10,455
    cells, then 8 s in 26 once neighbourhoods came first; moved together, the 30 aims their
    neighbourhoods leave there are settled by a few programmes of about 0.2 s and none needs
    its own: the check takes 5 s (was 11–14 s) on the pattern the run checks.
    """
    inside = np.zeros(len(lower), dtype=bool)
    inside[component] = True
    blocks = []
    for matrix, is_equality in ((equalities, True), (inequalities, False)):
        touched = np.flatnonzero(np.diff(matrix.tocsc()[:, component].tocsr().indptr))
        if len(touched) == 0:
            continue
        rows = matrix[touched]
        # cells outside the component are exact: move them to the right-hand side
        outside = rows[:, ~inside] @ np.where(inside, 0.0, lower)[~inside]
        blocks.append((rows[:, component], -outside, is_equality))
    a_rows = [b[0] for b in blocks]
    a = sparse.vstack(a_rows).tocsr() if a_rows else sparse.csr_matrix((0, len(component)))
    lows = np.concatenate([b[1] if b[2] else np.full(len(b[1]), -np.inf) for b in blocks]) \
        if blocks else np.zeros(0)
    highs = np.concatenate([b[1] for b in blocks]) if blocks else np.zeros(0)
    box = np.column_stack([lower[component], upper[component]])
    position = {c: k for k, c in enumerate(component.tolist())}
    found = []
    if not integer:  # one model, the objective changed per aim (programmes.Programmes)
        lp = None
        local = truth is not None and enough is not None and len(component) > LOCAL_FROM
        if local:
            a_csc, own = a.tocsc(), truth[component].astype(float)
        # each solution is a point the attacker cannot rule out: the values it gives every
        # cell lie between that cell's true ends
        seen_low = np.full(len(component), np.inf)
        seen_high = np.full(len(component), -np.inf)

        def seen(point):
            np.minimum(seen_low, point, out=seen_low)
            np.maximum(seen_high, point, out=seen_high)

        pending = []  # aims their neighbourhoods do not settle: moved together, then alone
        for aim in aims.tolist():
            k = position[aim]
            if enough is not None and seen_high[k] - seen_low[k] >= enough:
                found.append((aim, float(seen_low[k]), float(seen_high[k]), "seen"))
                continue
            if local:
                (low, high), points = _local_ends(k, a, a_csc, lows, highs, box, own)
                for point in points:
                    seen(point)
                low, high = min(low, seen_low[k]), max(high, seen_high[k])
                if high - low >= enough:
                    found.append((aim, float(low), float(high), "local"))
                else:
                    pending.append(k)
                continue
            if lp is None:
                lp = Programmes(a, lows, highs, box[:, 0], box[:, 1])
            found.append(_ends(lp, aim, k, seen))
        if pending:
            seen(own)
            _move_together(np.array(pending), a, lows, highs, box, own, enough, seen_low,
                           seen_high, seen)
            for k in pending:
                if seen_high[k] - seen_low[k] >= enough:
                    found.append((int(component[k]), float(seen_low[k]), float(seen_high[k]),
                                  "joint"))
                    continue
                if lp is None:
                    lp = Programmes(a, lows, highs, box[:, 0], box[:, 1])
                found.append(_ends(lp, int(component[k]), k, seen))
        return found
    # as above, with the integer points each optimal solution gives (whole values the
    # attacker cannot rule out)
    seen_low = np.full(len(component), np.inf)
    seen_high = np.full(len(component), -np.inf)
    for aim in aims.tolist():
        k = position[aim]
        if enough is not None and seen_high[k] - seen_low[k] >= enough:
            found.append((aim, float(seen_low[k]), float(seen_high[k]), "seen"))
            continue
        ends = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(component))
            c[k] = sign
            point = []
            ends.append(_optimum(c, a, lows, highs, box, integer, time_limit, point) * sign)
            if point:
                np.minimum(seen_low, point[0], out=seen_low)
                np.maximum(seen_high, point[0], out=seen_high)
        found.append((aim, ends[0], ends[1], "milp"))
    return found


def _ends(lp: Programmes, aim: int, k: int, seen) -> tuple:
    """Aim ``aim`` (column ``k`` of ``lp``) bounded over the whole component: its least and
    greatest values; each solution is passed to ``seen``."""
    ends = []
    for sign in (-1.0, 1.0):
        solved = lp.maximise(k, sign)
        ends.append(np.inf if solved is None else float(solved[0]))
        if solved is not None and solved[2] is not None:
            seen(solved[2])
    return (aim, -ends[0], ends[1], "lp")


#: Rounds of :func:`_move_together`, up and down in turn, at most.
_JOINT_ROUNDS = 6


def _move_together(ks: np.ndarray, a, lows, highs, box, truth: np.ndarray, enough: float,
                   seen_low: np.ndarray, seen_high: np.ndarray, seen) -> None:
    """Points moving the cells ``ks`` far enough all at once, each passed to ``seen``.

    A cell ``k`` is settled once two points it has seen give it values ``enough`` apart, so a
    point need only raise it to ``seen_low[k] + enough`` (or lower it to ``seen_high[k] -
    enough``). One linear programme per round asks that of every unsettled cell together:
    maximise ``sum(y)`` over ``lows <= a @ x <= highs``, the box, ``0 <= y_j <= need_j`` and
    ``y_j <= x[k_j] - truth[k_j]`` (up; ``truth[k_j] - x[k_j]`` down). The true values (``y =
    0``) are feasible, and any solution is a point of the feasible set, so the ends it gives
    lie inside each cell's true ends, as an earlier solution's do. Rounds go up, then down,
    until two in a row settle nothing or ``_JOINT_ROUNDS`` have run. On the benchmark's
    43-force run, one round settled 12 of the 13 cells that each took two programmes over the
    component's 10,455 cells (0.2 s in place of 7.9 s).
    """
    n, idle = a.shape[1], 0
    for round_ in range(_JOINT_ROUNDS):
        ks = ks[seen_high[ks] - seen_low[ks] < enough]
        if len(ks) == 0 or idle == 2:
            return
        sign = 1.0 if round_ % 2 == 0 else -1.0
        need = np.where(sign > 0, seen_low[ks] + enough - truth[ks],
                        truth[ks] - (seen_high[ks] - enough))
        m = len(ks)
        link = sparse.csr_matrix(
            (np.r_[np.ones(m), np.full(m, -sign)],
             (np.r_[np.arange(m), np.arange(m)], np.r_[n + np.arange(m), ks])), shape=(m, n + m))
        matrix = sparse.vstack([sparse.hstack([a, sparse.csr_matrix((a.shape[0], m))]), link])
        point = solve_lp(matrix, np.r_[lows, np.full(m, -np.inf)], np.r_[highs, -sign * truth[ks]],
                         np.r_[box[:, 0], np.zeros(m)], np.r_[box[:, 1], np.maximum(need, 0.0)],
                         np.r_[np.zeros(n), -np.ones(m)])
        before = int((seen_high[ks] - seen_low[ks] < enough).sum())
        if point is not None:
            seen(point[:n])
        idle = idle + 1 if (seen_high[ks] - seen_low[ks] < enough).sum() == before else 0


#: Components larger than this are bounded locally first (``_bound``'s ``truth``).
LOCAL_FROM = 1_000
#: A neighbourhood grows from its aim at most ``_LOCAL_DEPTH`` constraints away, until it
#: holds ``_LOCAL_CELLS`` cells.
_LOCAL_DEPTH, _LOCAL_CELLS = 6, 3_000


def _local_ends(k: int, a: sparse.csr_matrix, a_csc: sparse.csc_matrix, lows, highs, box,
                truth: np.ndarray) -> tuple[tuple[float, float], list[np.ndarray]]:
    """The least and greatest value of cell ``k`` over the whole feasible set (``lows <= a @
    x <= highs``, ``box``) when only the cells near it move and every other cell keeps its true
    value (``truth``, a feasible point), and the points where they are reached: ``-inf`` or
    ``inf`` where that is unbounded (so is the whole set), ``inf`` and ``-inf`` (no range)
    where the programme fails.

    Near: the cells reached from ``k`` through the constraints, at most ``_LOCAL_DEPTH``
    constraints away, until ``_LOCAL_CELLS`` are reached; of each step's cells those without
    an upper bound (hidden counts) are taken first, a published count moving only within its
    rounding interval. (Through hidden cells alone, 12 of the benchmark run's 43 aims were
    settled near themselves; through all, 26: a hidden count moves as far as the rounding
    slack of the published counts around it allows.) A constraint that touches the neighbourhood keeps it, with the cells outside at their true
    values on its right-hand side; one that does not is met by the true values. So the ends
    found lie inside ``k``'s ends over the whole set: a check that passes on them passes on
    the whole set.
    """
    free = ~np.isfinite(box[:, 1])
    near = np.zeros(a.shape[1], dtype=bool)
    near[k] = True
    frontier, count = np.array([k]), 1
    for _ in range(_LOCAL_DEPTH):
        rows = np.unique(_gather(a_csc, frontier))
        if len(rows) == 0:
            break
        reached = np.unique(_gather(a, rows))
        new = reached[~near[reached]]
        # unbounded cells first, then the published ones, until the neighbourhood is full
        new = np.concatenate([new[free[new]], new[~free[new]]])[:max(_LOCAL_CELLS - count, 0)]
        near[new] = True
        count += len(new)
        frontier = new
        if len(frontier) == 0:
            break
    cells = np.flatnonzero(near)
    touched = np.flatnonzero(np.diff(a_csc[:, cells].tocsr().indptr))
    rows = a[touched]
    fixed = rows[:, ~near] @ truth[~near]
    programme = Programmes(rows[:, cells], lows[touched] - fixed, highs[touched] - fixed,
                           box[cells, 0], box[cells, 1])
    column = int(np.searchsorted(cells, k))
    ends, points = [np.inf, -np.inf], []
    for end, sign in enumerate((-1.0, 1.0)):
        solved = programme.maximise(column, sign)
        if solved is None:
            continue
        ends[end] = sign * solved[0]
        if solved[2] is not None:
            point = truth.copy()
            point[cells] = solved[2]
            points.append(point)
    return (float(ends[0]), float(ends[1])), points


def _gather(matrix: sparse.csr_matrix | sparse.csc_matrix, items: np.ndarray) -> np.ndarray:
    """The stored indices of rows (CSR) or columns (CSC) ``items`` of ``matrix``, one array.

    Examples
    --------
    >>> m = sparse.csr_matrix([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    >>> _gather(m, np.array([2, 0])).tolist()
    [0, 1, 0, 2]
    """
    starts = matrix.indptr[items]
    counts = matrix.indptr[np.asarray(items) + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=matrix.indices.dtype)
    shift = starts - np.concatenate([[0], np.cumsum(counts)[:-1]])
    return matrix.indices[np.repeat(shift, counts) + np.arange(total)]


def _optimum(c, a, lows, highs, box, integer, time_limit, point: list | None = None) -> float:
    """The minimum of ``c @ x``; with ``point`` (integer programmes), the optimal solution's
    whole values are appended to it (none when the programme fell back to its relaxation)."""
    if integer:
        constraints = [LinearConstraint(a, lows, highs)] if a.shape[0] else []
        res = milp(c, integrality=np.ones(len(c)), bounds=Bounds(box[:, 0], box[:, 1]),
                   constraints=constraints, options=milp_limits(None, time_limit))
        if res.status == 0:
            if point is not None and res.x is not None:
                point.append(np.round(res.x))
            return float(res.fun)
        if res.status == 3:  # unbounded
            return -np.inf
    equal = np.isfinite(lows) & (lows == highs)
    upper_rows = ~equal & np.isfinite(highs)
    lower_rows = ~equal & np.isfinite(lows)
    a_ub = sparse.vstack([a[upper_rows], -a[lower_rows]]) if (upper_rows | lower_rows).any() \
        else None
    b_ub = np.concatenate([highs[upper_rows], -lows[lower_rows]]) if a_ub is not None else None
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a[equal] if equal.any() else None,
                  b_eq=highs[equal] if equal.any() else None,
                  bounds=[(lo, None if np.isinf(hi) else hi) for lo, hi in box],
                  method="highs")
    if res.status == 3:
        return -np.inf
    return float(res.fun) if res.status == 0 else -np.inf


def disclosures(found: pd.DataFrame, threshold: int = 10, *, zeros: bool = True
                ) -> pd.DataFrame:
    """Hidden cells the attacker pins to one value under ``threshold`` (or to 0 when zeros are
    disclosive): what a test requires to be empty.

    Examples
    --------
    >>> found = pd.DataFrame({"hidden": [True, True], "exact": [True, False],
    ...                       "low": [3.0, 0.0], "high": [3.0, 20.0]})
    >>> len(disclosures(found))
    1
    """
    value = found["low"].round()
    small = (value < threshold) & ((value > 0) | zeros)
    return found[found["hidden"] & found["exact"] & small]


def rounding_protects(system, hidden: np.ndarray, protect: np.ndarray, profile) -> bool:
    """Whether rounding protects what a pattern leaves: the attacker (integer programming where
    a linked part is small, as :func:`attack`) finds every cell of ``hidden`` unknown and every
    cell of ``protect`` with a range at least ``profile.protection`` and the rounding base
    wide (as uncertain as a published count), when each published
    count (shown and not hidden) is known only to its rounding interval and known cells and
    structural zeros exactly.

    ``system`` is a :class:`.cells.CellSystem` of true values; ``hidden`` and ``protect`` are
    boolean arrays over its cells (``protect`` may hold latent cells: a small share complement).
    How a pattern that leaves totals to the rounding is checked before it is used
    (``RunProtection.solve(leave_to_rounding=...)``, ``legacy.protect(secondary=
    "optimal_rounding")``).

    Examples
    --------
    >>> from soteria_research.reporting.disclosure.cells import CellBuilder
    >>> from soteria_research.reporting.disclosure.profiles import get_profile
    >>> from soteria_research.reporting.disclosure.spec import identity
    >>> builder = CellBuilder()
    >>> builder.declare_categories("force", ("a", "b"), "t")
    >>> for force, n in zip("ab", (3, 400)):
    ...     _ = builder.add(identity(force=force), n, source="t")
    >>> _ = builder.add(identity(), 403, source="t")  # printed as 405: 3 lies within 0-7
    >>> small = np.array([True, False, False])
    >>> rounding_protects(builder.build(), small, small, get_profile("publication"))
    True
    >>> _ = builder.declare_known(identity())  # 403 exactly: 3 lies within 1-5, too narrow
    >>> rounding_protects(builder.build(), small, small, get_profile("publication"))
    False
    """
    from .cells import KNOWN, STRUCTURAL

    base = profile.round_base
    exact = (system.flags & (KNOWN | STRUCTURAL)) > 0
    published = system.shown & ~hidden
    rounded = round_to_base(system.values, base) if base else system.values
    cells = [{"published": float(system.values[i]) if exact[i] else
              float(rounded[i]) if published[i] else None, "exact": bool(exact[i])}
             for i in range(len(system.values))]
    view = {"cells": cells, "round_base": base, "tables": [],
            "relations": [(members.tolist(), int(total)) for members, total in system.relations]}
    lower, upper = _count_bounds(view)
    equalities = _relations(view, len(lower))
    inequalities = sparse.csr_matrix((0, len(lower)))
    wanted, unknown = np.asarray(hidden | protect, dtype=bool), lower < upper
    if (wanted & ~unknown).any():
        return False  # published exactly (a known total, a structural zero)
    found = {}
    # a count left to the rounding keeps at least the width a published count has (its rounding
    # interval), whatever the profile's protection level (1: not exactly recoverable)
    p = float(max(profile.protection or 1, base or 1))
    # a range at least this wide passes both tests below (two whole values inside it, and the
    # protection), so a cell that earlier solutions already move this far needs no programme
    enough = max(p, 2.0)
    for component in _components(equalities, inequalities, unknown):
        aims = component[wanted[component]]
        if len(aims):
            for cell, low, high, _ in _bound(component, aims, equalities, inequalities, lower,
                                             upper, len(component) <= 400, None, enough,
                                             truth=system.values):
                found[cell] = (low, high)
    for cell in np.flatnonzero(wanted):
        low, high = found[cell]
        if np.floor(high + 1e-6) <= np.ceil(low - 1e-6):
            return False
        if protect[cell] and high - low < p - 1e-6:
            return False
    return True
