"""Primary and secondary suppression by optimisation over the run's cell system.

Secondary suppression follows the optimal method of the standard tools for official statistics
(τ-ARGUS; Fischetti and Salazar, JASA 2000): choose the cells to hide by an integer programme
that minimises the cost hidden (the cell's value, times a large factor for a force's headline
figures), subject to

* covering: every relation holding a hidden cell holds a second hidden (or latent) cell, and
* protection: for each hidden small count, an attacker's linear programme (every relation,
  non-negativity, structural zeros and known totals; published cells taken as exact, i.e. an
  attacker who has undone any rounding) cannot rule out values ``protection`` above it and
  ``min(protection, value)`` below it. Where it can, the attacker's dual solution gives a cut
  (a capacity constraint) added to the integer programme, which is solved again.

Each connected part of the system is solved on its own. When a requirement cannot be met even
with every cell hidden, it is lowered to what is achievable (and the cell is reported if that
is nothing); when the cut loop stalls, every cell beside a cell still exposed is hidden: the
next cheapest pattern, never the whole table.

HiGHS does the solving: scipy's ``milp`` for the integer programme, and ``highspy`` (HiGHS's
own Python interface) for the attacker, whose programmes on one part differ only in their
objective: one model per part, solved again from the last basis (``programmes.Programmes``),
costs a fraction of a fresh ``linprog`` call each time (measured beside
``legacy.OPTIMAL_MAX_ROUNDS``). No suppression library in Python handles linked tables with a
known-total attacker, so the model is built here.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from .cells import KNOWN, LATENT, STRUCTURAL, CellSystem
from .profiles import DisclosureProfile
from .programmes import Programmes, milp_limits

__all__ = ["HEADLINE_FACTOR", "Suppression", "pinned", "suppress"]

#: Cost multiplier of a headline figure: hidden only when no cheaper complement exists.
HEADLINE_FACTOR = 1000.0
_TOL = 1e-6


@dataclass
class Suppression:
    """The outcome: which shown cells are hidden, which were small, what could not be met."""

    hidden: np.ndarray
    primary: np.ndarray
    sensitive: np.ndarray
    exposed: list[int] = field(default_factory=list)
    #: The exposed cells the attacker pins exactly under the final pattern (it can move them
    #: neither up nor down). An exposed cell not in here misses its required range on one side
    #: only (a count capped by a public total its other parts cannot give way to: 1 of a
    #: cohort of 1), so it is not recoverable.
    exact: list[int] = field(default_factory=list)
    #: The exact cells no pattern can protect: pinned with every hideable cell hidden (each
    #: count of a national line whose published total is 0 is 0, whatever is hidden).
    inherent: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rounds: int = 0
    #: False when the cut loop ran out of rounds and :func:`_fallback` finished the pattern.
    settled: bool = True


def sensitive_cells(system: CellSystem, profile: DisclosureProfile) -> np.ndarray:
    """Cells a reader must not learn: small counts (and zeros where disclosive), and the
    system's ``required`` cells (hidden in another table), not fixed."""
    if not profile.suppress:
        return np.zeros(len(system), dtype=bool)
    small = profile.is_disclosive(system.values)
    if system.required is not None:
        small = small | system.required
    return small & ~system.fixed


def costs(system: CellSystem) -> np.ndarray:
    """What hiding each cell loses: its value (+1, so empty cells are not free), weighted."""
    cost = (system.values + 1.0) * system.weight
    return np.where(system.headline, cost * HEADLINE_FACTOR, cost)


def _informative(system: CellSystem, sensitive: np.ndarray) -> np.ndarray:
    """Relations that can tell a reader something: peel off latent totals used only once.

    A latent (unpublished) cell in a single relation absorbs it: whatever the other cells are,
    the latent one takes up the difference. Dropping both (repeatedly) leaves the same attacker
    bounds on every other cell and far smaller linear programmes. Sensitive latent cells stay.
    """
    matrix = system.matrix().tocsc()
    keep = np.ones(matrix.shape[0], dtype=bool)
    peelable = system.latent & ~system.fixed & ~sensitive
    degree = np.asarray((matrix != 0).sum(axis=0)).ravel()
    queue = list(np.flatnonzero(peelable & (degree <= 1)))
    while queue:
        cell = queue.pop()
        rows = matrix.indices[matrix.indptr[cell]:matrix.indptr[cell + 1]]
        rows = rows[keep[rows]]
        for row in rows:
            keep[row] = False
            members, total = system.relations[row]
            for other in np.append(members, total):
                degree[other] -= 1
                if peelable[other] and degree[other] == 1:
                    queue.append(other)
    return keep


class _Attacker:
    """Linear programmes of the attacker on the hidden part of the system (published exact)."""

    def __init__(self, system: CellSystem, matrix: sparse.csr_matrix, caps: np.ndarray):
        self.system = system
        self.matrix = matrix
        self.columns = matrix.tocsc()
        self.caps = caps
        self.cache: dict[frozenset, dict[tuple[int, float], tuple[float, tuple]]] = {}
        #: Moves the attacker's programmes have found, as (cells, deviations): each is a
        #: solution, so it stays possible under any pattern that hides all its cells.
        self.seen: list[tuple[np.ndarray, np.ndarray]] = []
        #: The last parts' models, each with its last basis: the cut loop asks about the
        #: targets of one part one at a time, and the same part again in the next round.
        self._models: dict[frozenset, Programmes] = {}

    def _model(self, key: frozenset, a_eq, lower: np.ndarray, upper: np.ndarray) -> Programmes:
        if key not in self._models:
            if len(self._models) >= 8:  # parts of earlier patterns are rarely asked again
                self._models.pop(next(iter(self._models)))
            self._models[key] = Programmes(a_eq, np.zeros(a_eq.shape[0]),
                                           np.zeros(a_eq.shape[0]), lower, upper)
        return self._models[key]

    def _remember(self, component: np.ndarray, x) -> None:
        if x is None:
            return
        moved = np.abs(x) > _TOL
        if moved.any():
            self.seen.append((component[moved], np.asarray(x)[moved]))

    def reach(self, hidden: np.ndarray, up: np.ndarray, down: np.ndarray, since: int = 0) -> int:
        """Widen ``up`` and ``down`` (how far each cell is known to move) by the moves found
        from ``since`` on that ``hidden`` allows; returns where to start next time.

        A move the attacker cannot rule out proves a range at least that wide, so a target
        already seen to move as far as it must needs no programme of its own.
        """
        for cells, move in self.seen[since:]:
            if hidden[cells].all():
                up[cells] = np.maximum(up[cells], move)
                down[cells] = np.maximum(down[cells], -move)
        return len(self.seen)

    def components(self, hidden: np.ndarray) -> list[np.ndarray]:
        """Groups of hidden cells linked by relations (published cells are constants)."""
        cells = np.flatnonzero(hidden)
        if len(cells) == 0:
            return []
        sub = self.columns[:, cells]
        rows = np.flatnonzero(np.diff(sub.tocsr().indptr))
        sub = sub.tocsr()[rows]
        graph = sparse.bmat([[None, sub], [sub.T, None]]).tocsr()
        _, labels = connected_components(graph, directed=False)
        labels = labels[len(rows):]
        order = np.argsort(labels, kind="stable")
        return np.split(cells[order], np.flatnonzero(np.diff(labels[order])) + 1)

    def pinned(self, component: np.ndarray, targets: np.ndarray) -> list[int]:
        """The targets whose range (up plus down) is under 1: worked out exactly.

        Reads :meth:`bounds` where it has them; otherwise solves only what the answer needs
        (no cut coefficients; the downward programme only when the target cannot go 1 up).
        """
        found = self.cache.get(frozenset(component.tolist()), {})
        todo = [t for t in targets.tolist() if (t, 1.0) not in found or (t, -1.0) not in found]
        spread = {t: found[t, 1.0][0] + found[t, -1.0][0] for t in targets.tolist()
                  if t not in todo}
        if todo:
            # moves found before (this part's, or an earlier pattern's whose cells are all
            # hidden here) prove most targets free without a programme of their own
            hidden = np.zeros(len(self.system), dtype=bool)
            hidden[component] = True
            up, down = np.zeros(len(self.system)), np.zeros(len(self.system))
            since = self.reach(hidden, up, down)
            todo = [t for t in todo if up[t] + down[t] < 1 - _TOL]
        if todo:
            rows = np.flatnonzero(np.diff(self.columns[:, component].tocsr().indptr))
            a_eq = self.matrix[rows][:, component]
            values = self.system.values[component]
            box = np.column_stack([-values, self.caps[component]])
            position = {c: k for k, c in enumerate(component.tolist())}
            solver = self._model(frozenset(component.tolist()), a_eq, box[:, 0], box[:, 1]) \
                if len(rows) else None
            for target in todo:
                since = self.reach(hidden, up, down, since)
                if up[target] + down[target] >= 1 - _TOL:
                    continue
                reached = {1.0: up[target], -1.0: down[target]}
                for sign in (1.0, -1.0):
                    if solver is None:  # in no relation: bounded only by its own box
                        reached[sign] = box[position[target], 0 if sign < 0 else 1] * sign
                    else:
                        solved = solver.maximise(position[target], sign)
                        reached[sign] = solved[0] if solved is not None else 0.0
                        self._remember(component, None if solved is None else solved[2])
                    if reached[1.0] + reached[-1.0] >= 1 - _TOL:
                        break
                spread[target] = reached[1.0] + reached[-1.0]
        return [int(t) for t in targets.tolist() if spread.get(t, 1.0) < 1 - _TOL]

    def bounds(self, component: np.ndarray, targets: np.ndarray,
               directions=("up", "down")) -> dict:
        """For each target cell: (max up, max down, cut coefficients up, down) over all cells.

        Coefficients ``a`` satisfy ``max deviation <= sum_j a_j x_j`` for every pattern ``x``
        (1 = hidden): weak duality with the optimal relation multipliers of this pattern.
        A direction not in ``directions`` is not solved: its bound is ``inf``, its cut None.
        """
        key = frozenset(component.tolist())
        found = self.cache.setdefault(key, {})
        signs = [s for d, s in (("up", 1.0), ("down", -1.0)) if d in directions]
        todo = [(t, s) for t in targets.tolist() for s in signs if (t, s) not in found]
        if todo:
            rows = np.flatnonzero(np.diff(self.columns[:, component].tocsr().indptr))
            full = self.matrix[rows]
            a_eq = full[:, component]
            values = self.system.values[component]
            lower, upper = -values, self.caps[component]
            position = {c: k for k, c in enumerate(component.tolist())}
            involved = np.unique(full.indices)
            solver = self._model(key, a_eq, lower, upper) if len(rows) else None
            for target, sign in todo:
                if len(rows):
                    solved = solver.maximise(position[target], sign)
                    best, mu, x = solved if solved is not None else (0.0, np.zeros(len(rows)),
                                                                      None)
                    self._remember(component, x)
                else:  # a hidden cell in no relation: bounded only by its own box
                    best = upper[position[target]] if sign > 0 else -lower[position[target]]
                    mu = np.zeros(0)
                full_c = np.zeros(len(self.system))
                full_c[target] = -sign
                reduced = full_c - (full.T @ mu if len(rows) else 0.0)
                cells = np.union1d(involved, [target])
                r = reduced[cells]
                coef = np.where(r > 0, r * self.system.values[cells], -r * self.caps[cells])
                found[target, sign] = (best, (cells, coef))
        unasked = (np.inf, None)  # a direction not asked for: no bound, no cut
        out = {}
        for t in targets.tolist():
            (up, cut_up), (down, cut_down) = (found[t, s] if s in signs else unasked
                                              for s in (1.0, -1.0))
            out[t] = (up, down, cut_up, cut_down)
        return out


def _covering_rows(system, relations, variable, primary, free, n_var, var_of):
    """x_i <= sum of the other hideable cells of each relation (unless a latent cell is there)."""
    rows, cols, data = [], [], []
    pinned: set[int] = set()
    k = 0
    for members, total in relations:
        cells = np.append(members, total)
        if free[cells].any():
            continue
        hideable = cells[variable[cells] | primary[cells]]
        for i in hideable:
            others = hideable[hideable != i]
            if len(others) == 0:
                if primary[i]:
                    pinned.add(int(i))
                continue
            rows += [k] * (len(others) + 1)
            cols += [var_of[i], *var_of[others].tolist()]
            data += [1.0] + [-1.0] * len(others)
            k += 1
    return sparse.csr_matrix((data, (rows, cols)), shape=(k, n_var)), pinned


def suppress(system: CellSystem, profile: DisclosureProfile, *, max_rounds: int = 60,
             node_limit: int | None = None, time_limit: float | None = None) -> Suppression:
    """Hide the small counts and the cheapest cells that protect them, run-wide.

    Each integer programme is limited to ``node_limit`` branch-and-bound nodes
    (``programmes.MILP_NODE_LIMIT`` unless given) and, only if ``time_limit`` is given, to
    seconds; one stopped at its limit adds ``STOPPED_NOTE`` to the notes.

    Examples
    --------
    >>> from soteria_research.reporting.disclosure.cells import CellBuilder
    >>> from soteria_research.reporting.disclosure.profiles import get_profile
    >>> from soteria_research.reporting.disclosure.spec import identity
    >>> builder = CellBuilder()
    >>> builder.declare_categories("outcome", ("a", "b", "c"), "t")
    >>> for outcome, n in zip("abc", (3, 40, 60)):
    ...     _ = builder.add(identity(outcome=outcome), n, source="t")
    >>> _ = builder.declare_known(identity())
    >>> result = suppress(builder.build(), get_profile("partner"))
    >>> result.hidden[:3].tolist()
    [True, True, False]
    """
    n = len(system)
    sensitive = sensitive_cells(system, profile)
    fixed = system.fixed
    free = system.latent & ~fixed
    primary = sensitive & system.shown
    result = Suppression(hidden=primary.copy(), primary=primary.copy(), sensitive=sensitive)
    if not sensitive.any():
        return result
    keep = _informative(system, sensitive)
    matrix = system.matrix()[keep]
    p = float(profile.protection or 1)
    caps = np.maximum(system.values, p)
    variable = system.shown & ~fixed & ~primary
    cost = costs(system)
    attacker = _Attacker(system, matrix, caps)
    # connected parts of the system over cells that can move (fixed cells are constants)
    movable = np.flatnonzero(~fixed)
    sub = matrix[:, movable].tocsr()
    graph = sparse.bmat([[None, sub], [sub.T, None]]).tocsr()
    _, labels = connected_components(graph, directed=False)
    part_of = np.full(n, -1)
    part_of[movable] = labels[matrix.shape[0]:]
    for part in np.unique(part_of[sensitive]):
        cells = np.flatnonzero(part_of == part)
        rows = np.flatnonzero(np.diff(matrix[:, cells].tocsr().indptr))
        relations = [system.relations[r] for r in np.flatnonzero(keep)[rows]]
        _solve_part(system, cells, relations, variable, primary, free, sensitive, cost, caps,
                    p, attacker, result, max_rounds, milp_limits(node_limit, time_limit))
    result.exact = _pinned(attacker, result.hidden | free, result.exposed)
    result.inherent = _pinned(attacker, variable | primary | free, result.exact)
    return result


def _solve_part(system, cells, relations, variable, primary, free, sensitive, cost, caps, p,
                attacker, result, max_rounds, limits: dict) -> None:
    n = len(system)
    var_cells = cells[variable[cells] | primary[cells]]
    var_of = np.full(n, -1)
    var_of[var_cells] = np.arange(len(var_cells))
    covering, pinned = _covering_rows(system, relations, variable, primary, free,
                                      len(var_cells), var_of)
    lower_bound = primary[var_cells].astype(float)
    upper_bound = np.ones(len(var_cells))
    targets = cells[sensitive[cells]]
    up_need = {int(t): p for t in targets}
    down_need = {int(t): min(p, float(system.values[t])) for t in targets}
    cuts: list[tuple[np.ndarray, np.ndarray, int, str]] = []
    hidden = np.zeros(n, dtype=bool)
    for round_ in range(1, max_rounds + 1):
        result.rounds = max(result.rounds, round_)
        chosen, stopped = _choose(cost[var_cells], covering, cuts, var_of, lower_bound,
                                  upper_bound, free, up_need, down_need, limits)
        if stopped and STOPPED_NOTE not in result.notes:
            result.notes.append(STOPPED_NOTE)
        if chosen is None:  # no integer solution within the limit: keep what is needed
            chosen = lower_bound.astype(bool) | _last_choice(hidden, var_cells)
        hidden[:] = False
        hidden[var_cells[chosen]] = True
        violated = _violations(system, attacker, hidden | free, targets, up_need, down_need)
        if not violated:
            break
        for target, direction, (cut_cells, coef) in violated:
            need = up_need if direction == "up" else down_need
            if _cut_is_hopeless(cut_cells, coef, variable | primary, free, need[target]):
                achievable = _achievable(system, attacker, cells, variable | primary, free,
                                         target, direction)
                if achievable < 1 - _TOL:
                    need.pop(target)
                    if direction == "up" and target not in result.exposed:
                        result.exposed.append(target)
                    continue
                need[target] = min(need[target], achievable)
            if coef[(hidden | free)[cut_cells]].sum() >= need[target] - _TOL:
                # the bound does not cut this pattern off (numerics): ask for one more cell
                near = cut_cells[(variable[cut_cells]) & ~hidden[cut_cells]]
                cut_cells, coef = near, np.full(len(near), need[target])
            cuts.append((cut_cells, coef, target, direction))
    else:
        _fallback(system, attacker, cells, variable, hidden, free, targets, up_need,
                  down_need, result)
    result.hidden[cells] |= hidden[cells]
    for cell in pinned:
        if cell not in result.exposed and not _movable(system, attacker, cell, result.hidden
                                                       | free):
            result.exposed.append(cell)


def pinned(system: CellSystem, hidden: np.ndarray, candidates) -> list[int]:
    """The ``candidates`` an attacker pins exactly when ``hidden`` (shown cells) are hidden.

    The attacker of :func:`suppress` (linear programmes: every relation, non-negativity, known
    totals and structural zeros; published cells exact; latent cells unknown), for checking a
    pattern made another way: the greedy pass's null-space test does not know that counts
    cannot be negative, so a hidden 2 that a national total of 0 gives away passes it.

    Examples
    --------
    >>> from soteria_research.reporting.disclosure.cells import CellBuilder
    >>> from soteria_research.reporting.disclosure.spec import identity
    >>> builder = CellBuilder()
    >>> builder.declare_categories("outcome", ("a", "b", "c"), "t")
    >>> for outcome, n in zip("abc", (2, 0, 60)):
    ...     _ = builder.add(identity(outcome=outcome), n, source="t")
    >>> _ = builder.declare_known(identity())  # the total, 62, is public
    >>> system = builder.build()
    >>> pinned(system, np.array([True, True, False, False]), [0])  # a + b = 2: a is 0, 1 or 2
    []
    >>> pinned(system, np.array([True, False, False, False]), [0])  # a = 62 - 0 - 60
    [0]
    """
    hidden = np.asarray(hidden, dtype=bool) | (system.latent & ~system.fixed)
    attacker = _Attacker(system, system.matrix(), np.maximum(system.values, 1.0))
    return _pinned(attacker, hidden, candidates)


def _pinned(attacker: _Attacker, hidden: np.ndarray, candidates) -> list[int]:
    """:func:`pinned` with the attacker given (the unknown cells already in ``hidden``)."""
    candidates = np.asarray(list(candidates), dtype=np.int64)
    if len(candidates) == 0:
        return []
    hidden = np.asarray(hidden, dtype=bool).copy()
    hidden[candidates] = True
    wanted = np.zeros(len(hidden), dtype=bool)
    wanted[candidates] = True
    found: list[int] = []
    for component in attacker.components(hidden):  # each part's programmes solved once
        targets = component[wanted[component]]
        if len(targets):
            found += attacker.pinned(component, targets)
    return sorted(found)


def _last_choice(hidden: np.ndarray, var_cells: np.ndarray) -> np.ndarray:
    return hidden[var_cells]


#: HiGHS's feasibility-jump heuristic finds nothing the root's own heuristics do not on these
#: covering programmes, and took a quarter of their time: off, the national linked protection's
#: 38 integer programmes take 2.1 s instead of 2.8 s, each giving the same pattern (HiGHS 1.16).
_MILP_OPTIONS = {"mip_rel_gap": 1e-3, "disp": False,
                 "mip_heuristic_run_feasibility_jump": False}

#: The log's note when a programme stopped at its limit before proving its pattern the cheapest.
STOPPED_NOTE = ("secondary suppression: an integer programme stopped at its limit before "
                "proving its pattern the cheapest; the best pattern found so far (or, with "
                "none, the cells known to be needed) was used, still checked by the attacker")


def _choose(cost, covering, cuts, var_of, lower_bound, upper_bound, free, up_need, down_need,
            limits: dict) -> tuple[np.ndarray | None, bool]:
    """The cheapest pattern meeting the covering rows and every cut so far (a MILP), and
    whether the programme stopped at its limit (``limits``, HiGHS options) first."""
    n_var = len(cost)
    if n_var == 0:
        return np.zeros(0, dtype=bool), False
    blocks, lows = [covering], [np.full(covering.shape[0], -np.inf)]
    highs = [np.zeros(covering.shape[0])]
    # covering rows are x_i - sum(others) <= 0 (latent cells were dropped with their rows)
    rows, cols, data, rhs = [], [], [], []
    for k, (cut_cells, coef, target, direction) in enumerate(cuts):
        need = (up_need if direction == "up" else down_need).get(target)
        if need is None:
            need = 0.0
        constant = coef[free[cut_cells]].sum()
        use = (var_of[cut_cells] >= 0) & (coef > _TOL)
        rows += [k] * int(use.sum())
        cols += var_of[cut_cells[use]].tolist()
        data += coef[use].tolist()
        rhs.append(need - constant)
    if cuts:
        blocks.append(sparse.csr_matrix((data, (rows, cols)), shape=(len(cuts), n_var)))
        lows.append(np.array(rhs) - _TOL)
        highs.append(np.full(len(cuts), np.inf))
    a = sparse.vstack(blocks).tocsr()
    constraints = [LinearConstraint(a, np.concatenate(lows), np.concatenate(highs))] \
        if a.shape[0] else []
    with warnings.catch_warnings():
        # scipy passes HiGHS options it does not know on, with a warning (an older HiGHS
        # without the option ignores it)
        warnings.filterwarnings("ignore", "Unrecognized options")
        res = milp(cost, integrality=np.ones(n_var), bounds=Bounds(lower_bound, upper_bound),
                   constraints=constraints, options=_MILP_OPTIONS | limits)
    stopped = res.status != 0  # a limit (scipy reports HiGHS's node limit as status 4)
    if res.x is None:
        return None, stopped
    return res.x > 0.5, stopped


def _violations(system, attacker, hidden, targets, up_need, down_need):
    """Sensitive cells whose attacker range is narrower than required, with their cuts.

    A target that an earlier programme's solution already moves as far as required (a move
    still open under this pattern) is protected without a programme of its own; otherwise each
    direction still in doubt is solved on the target's whole linked part.
    """
    found = []
    up_seen, down_seen = np.zeros(len(hidden)), np.zeros(len(hidden))
    since = 0
    # a component's targets, in order: thousands of components a round, most without one
    # (np.intersect1d per component took 7 s of the run's 43 forces)
    is_target = np.zeros(len(hidden), dtype=bool)
    is_target[targets] = True
    for component in attacker.components(hidden):
        hits = component[is_target[component]]
        if not len(hits):
            continue
        mine = [t for t in np.unique(hits).tolist() if t in up_need or t in down_need]
        for target in mine:
            since = attacker.reach(hidden, up_seen, down_seen, since)
            doubt = [d for d, _ in _short(target, up_seen[target], down_seen[target], up_need,
                                          down_need)]
            if not doubt:
                continue
            up, down, cut_up, cut_down = attacker.bounds(component, np.array([target]),
                                                         doubt)[target]
            cuts = {"up": cut_up, "down": cut_down}
            found += [(target, d, cuts[d])
                      for d, _ in _short(target, up, down, up_need, down_need)]
    return found


def _short(target, up, down, up_need, down_need) -> list[tuple[str, dict]]:
    """Directions in which ``target``'s range falls short of its requirement."""
    short = []
    if target in up_need and up < up_need[target] - _TOL:
        short.append(("up", up_need))
    if target in down_need and down_need[target] > 0 and down < down_need[target] - _TOL:
        short.append(("down", down_need))
    return short


def _cut_is_hopeless(cut_cells, coef, hideable, free, need) -> bool:
    """Whether even hiding every hideable cell cannot satisfy this cut."""
    reach = coef[(hideable[cut_cells] | free[cut_cells]) & (coef > 0)].sum()
    return reach < need - _TOL


def _achievable(system, attacker, cells, hideable, free, target, direction) -> float:
    """The protection of ``target`` with every hideable cell of its part hidden."""
    everything = np.zeros(len(system), dtype=bool)
    everything[cells] = hideable[cells] | free[cells]
    everything[target] = True
    for component in attacker.components(everything):
        if target in set(component.tolist()):
            up, down, _, _ = attacker.bounds(component, np.array([target]))[target]
            return up if direction == "up" else down
    return 0.0


def _movable(system, attacker, cell, hidden) -> bool:
    mask = hidden.copy()
    mask[cell] = True
    for component in attacker.components(mask):
        if cell in set(component.tolist()):
            up, down, _, _ = attacker.bounds(component, np.array([cell]))[cell]
            return up + down >= 1 - _TOL
    return False


#: The note of a run whose optimisation stalled (:func:`_fallback`).
STALLED_NOTE = ("secondary suppression: the optimisation did not settle within its rounds, so "
                "cells around the remaining exposed counts were hidden as well, outwards until "
                "the attacker works none out")


def _fallback(system, attacker, cells, variable, hidden, free, targets, up_need, down_need,
              result) -> None:
    """Cut loop stalled: hide every cell sharing a relation with a cell still exposed, then
    those sharing one with them, and so on outwards, until the attacker finds none (a count
    worked out through a chain of tables: the national line, another table's total, the
    force's other outcomes)."""
    matrix, columns = attacker.matrix, attacker.columns
    frontier: dict[int, np.ndarray] = {}
    for _ in range(12):
        violated = _violations(system, attacker, hidden | free, targets, up_need, down_need)
        if not violated:
            break
        for target, _, _ in violated:
            reached = frontier.get(target, np.array([target]))
            rows = np.unique(columns[:, reached].indices)
            near = np.unique(matrix[rows].indices) if len(rows) else reached
            hidden[near[variable[near]]] = True
            frontier[target] = near
    else:
        result.exposed += [t for t, _, _ in violated if t not in result.exposed]
    result.settled = False
    if STALLED_NOTE not in result.notes:
        result.notes.append(STALLED_NOTE)


__all__ += ["costs", "sensitive_cells", "KNOWN", "LATENT", "STRUCTURAL"]
