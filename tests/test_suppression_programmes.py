"""The attacker's linear programmes inside secondary suppression, checked against fresh ones.

``suppression._Attacker`` solves each linked part on one HiGHS model (``highspy``), changing
only the objective between targets and starting from the last basis, and skips a target that a
move found earlier already shows to be protected. Neither shortcut may change an answer: each
bound must equal scipy's ``linprog`` solving the same programme from scratch, each cut must
bound the attacker's range under any other pattern (weak duality), and each move it keeps must
be one the attacker cannot rule out. The attacker of published files (``attacker._bound``)
solves its linear programmes on one model too, and must agree with fresh ones the same way.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog

from soteria_research.reporting.disclosure.cells import CellBuilder
from soteria_research.reporting.disclosure.spec import identity
from soteria_research.reporting.disclosure.suppression import _Attacker, _pinned, _violations

PROTECTION = 3.0


def two_way_table(data) -> tuple:
    """A rows x columns table of small counts with its margins (and, maybe, a public total)."""
    n_rows, n_cols = data.draw(st.integers(2, 4)), data.draw(st.integers(2, 4))
    values = data.draw(st.lists(st.integers(0, 12), min_size=n_rows * n_cols,
                                max_size=n_rows * n_cols))
    builder = CellBuilder()
    builder.declare_categories("a", tuple(f"a{i}" for i in range(n_rows)), "t")
    builder.declare_categories("b", tuple(f"b{j}" for j in range(n_cols)), "t")
    for k, value in enumerate(values):
        builder.add(identity(a=f"a{k // n_cols}", b=f"b{k % n_cols}"), value, source="t")
    if data.draw(st.booleans()):
        builder.declare_known(identity())
    system = builder.build()
    return system, np.maximum(system.values, PROTECTION)


def a_pattern(data, system) -> np.ndarray:
    """Hidden cells: a random choice of the shown ones, plus the unpublished (latent) ones."""
    chosen = np.array(data.draw(st.lists(st.booleans(), min_size=len(system),
                                         max_size=len(system))))
    return (chosen & system.shown & ~system.fixed) | (system.latent & ~system.fixed)


def fresh_range(system, caps, hidden, target) -> tuple[float, float]:
    """How far ``target`` can move up and down when ``hidden`` are unknown: scipy's linprog on
    every relation of the system (published cells fixed at their values), from scratch."""
    matrix = system.matrix().toarray()
    unknown = np.flatnonzero(hidden | (np.arange(len(system)) == target))
    box = np.column_stack([-system.values[unknown], caps[unknown]])
    result = []
    for sign in (1.0, -1.0):
        c = np.zeros(len(unknown))
        c[np.searchsorted(unknown, target)] = -sign
        res = linprog(c, A_eq=matrix[:, unknown], b_eq=np.zeros(len(matrix)), bounds=box,
                      method="highs")
        assert res.status == 0
        result.append(-res.fun)
    return result[0], result[1]


@given(st.data())
def test_bounds_equal_a_fresh_linear_programme_and_cuts_hold_under_any_pattern(data):
    system, caps = two_way_table(data)
    hidden = a_pattern(data, system)
    other = a_pattern(data, system)
    attacker = _Attacker(system, system.matrix(), caps)
    for component in attacker.components(hidden):
        found = attacker.bounds(component, component)  # every target on one model, in turn
        for target, (up, down, cut_up, cut_down) in found.items():
            assert np.allclose((up, down), fresh_range(system, caps, hidden, target),
                               atol=1e-6)
            # the cut's coefficients over a pattern's hidden cells bound the range under that
            # pattern (weak duality: any multipliers do); with the optimal multipliers the
            # bound is tight under this pattern (strong duality), so the cut cuts it off
            for cut, best in ((cut_up, up), (cut_down, down)):
                cells, coef = cut
                assert np.isclose(coef[hidden[cells]].sum(), best, atol=1e-6)
            either = other.copy()
            either[target] = True
            up_other, down_other = fresh_range(system, caps, either, target)
            for cut, best in ((cut_up, up_other), (cut_down, down_other)):
                cells, coef = cut
                assert coef[either[cells]].sum() >= best - 1e-6
    # every move the attacker keeps is possible: the relations hold, no count goes negative
    matrix = system.matrix().toarray()
    for cells, move in attacker.seen:
        assert np.allclose(matrix[:, cells] @ move, 0.0, atol=1e-6)
        assert (move >= -system.values[cells] - 1e-6).all() and (move <= caps[cells] + 1e-6).all()


@given(st.data())
def test_cells_pinned_with_moves_remembered_across_patterns_are_the_fresh_ones(data):
    """``pinned`` (the check of a greedy pattern) skips a target that a move found before
    already frees; after an earlier pattern on the same attacker it must still find exactly the
    cells fresh programmes pin (range up plus down under 1)."""
    system, _ = two_way_table(data)
    caps = np.maximum(system.values, 1.0)  # what ``suppression.pinned`` gives its attacker
    attacker = _Attacker(system, system.matrix(), caps)
    # first every cell hidden (moves through every cell), then patterns that publish some of
    # them: a move through a published cell must not free a target
    everything = (system.shown | system.latent) & ~system.fixed
    for hidden in (everything, a_pattern(data, system), a_pattern(data, system)):
        candidates = np.flatnonzero(hidden & system.shown)
        expected = [int(t) for t in candidates
                    if sum(fresh_range(system, caps, hidden, t)) < 1 - 1e-6]
        assert _pinned(attacker, hidden, candidates) == expected


@given(st.data())
def test_skipping_targets_an_earlier_move_protects_finds_the_same_violations(data):
    """The short directions found with moves remembered across patterns are the fresh ones."""
    system, caps = two_way_table(data)
    hidden = a_pattern(data, system)
    small = np.flatnonzero(system.shown & (system.values < 10) & ~system.fixed)
    up_need = {int(t): PROTECTION for t in small}
    down_need = {int(t): min(PROTECTION, float(system.values[t])) for t in small}
    # the attacker first checks a pattern that hides more (as an earlier round of the cut loop
    # may): its moves through cells published now must not count
    attacker = _Attacker(system, system.matrix(), caps)
    _violations(system, attacker, hidden | a_pattern(data, system), small, up_need, down_need)
    found = _violations(system, attacker, hidden, small, up_need, down_need)
    expected = set()
    for target in small.tolist():
        if not hidden[target]:
            continue
        up, down = fresh_range(system, caps, hidden, target)
        if up < up_need[target] - 1e-6:
            expected.add((target, "up"))
        if down_need[target] > 0 and down < down_need[target] - 1e-6:
            expected.add((target, "down"))
    assert {(t, d) for t, d, _ in found} == expected


def test_the_solver_prints_nothing_in_a_fresh_process():
    """HiGHS prints a banner the first time a process makes a model, on the C-level standard
    output that a notebook shows under the cell: a report must not carry it."""
    import subprocess
    import sys

    code = (
        "from soteria_research.reporting.disclosure.cells import CellBuilder\n"
        "from soteria_research.reporting.disclosure.profiles import get_profile\n"
        "from soteria_research.reporting.disclosure.spec import identity\n"
        "from soteria_research.reporting.disclosure.suppression import suppress\n"
        "builder = CellBuilder()\n"
        "builder.declare_categories('outcome', ('a', 'b', 'c'), 't')\n"
        "for outcome, n in zip('abc', (3, 40, 60)):\n"
        "    builder.add(identity(outcome=outcome), n, source='t')\n"
        "builder.declare_known(identity())\n"
        "result = suppress(builder.build(), get_profile('partner'))\n"
        "assert result.hidden[:3].tolist() == [True, True, False], result.hidden\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


@given(st.data())
def test_the_published_output_attackers_bounds_equal_fresh_programmes(data):
    """``attacker._bound`` (the attacker of published files) bounds every cell of a linked part
    on one model; each end must be what a fresh ``linprog`` finds (``attacker._optimum``),
    with rounding intervals as inequalities and cells with no upper bound."""
    from scipy import sparse

    from soteria_research.reporting.disclosure.attacker import _bound, _optimum

    system, caps = two_way_table(data)
    n = len(system)
    hidden = a_pattern(data, system)
    # a published count is known to its rounding interval (±2); a hidden one only from below
    lower = np.where(hidden, 0.0, np.maximum(system.values - 2, 0))
    upper = np.where(hidden, np.inf, system.values + 2)
    equalities = system.matrix()
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                               min_size=1, max_size=3))
    inequalities = sparse.csr_matrix(  # "no more than" rows a reader may know: x_i <= x_j
        (np.r_[np.ones(len(pairs)), -np.ones(len(pairs))],
         (np.r_[np.arange(len(pairs)), np.arange(len(pairs))],
          np.r_[[i for i, _ in pairs], [j for _, j in pairs]])), shape=(len(pairs), n))
    a = sparse.vstack([equalities, inequalities]).tocsr()
    lows = np.r_[np.zeros(equalities.shape[0]), np.full(len(pairs), -np.inf)]
    highs = np.zeros(a.shape[0])
    component = np.arange(n)
    # _bound moves cells outside the component to the right-hand side; with every cell inside,
    # its programmes are these, solved fresh by _optimum
    box = np.column_stack([lower, upper])
    found = _bound(component, component, equalities, inequalities, lower, upper, False, 20.0)
    for aim, low, high, how in found:
        c = np.zeros(n)
        c[aim] = 1.0
        fresh_low = _optimum(c, a, lows, highs, box, False, 20.0)
        fresh_high = -_optimum(-c, a, lows, highs, box, False, 20.0)
        assert how == "lp"
        assert np.isclose(low, fresh_low, atol=1e-6) or low == fresh_low
        assert np.isclose(high, fresh_high, atol=1e-6) or high == fresh_high
    # asked only whether each range is wide enough (the rounding check of the headline tables,
    # ``legacy._rounding_protects``), an aim may get the ends earlier solutions reached: inside
    # its true ends and at least that far apart; the others keep their exact ends
    enough = data.draw(st.sampled_from([1.0, 2.0, 3.0, 6.0]))
    exact = {aim: (low, high) for aim, low, high, _ in found}
    for aim, low, high, how in _bound(component, component, equalities, inequalities, lower,
                                      upper, False, 20.0, enough):
        true_low, true_high = exact[aim]
        if how == "seen":
            assert true_low - 1e-6 <= low and high <= true_high + 1e-6
            assert high - low >= enough
        else:
            assert np.isclose(low, true_low, atol=1e-6) or low == true_low
            assert np.isclose(high, true_high, atol=1e-6) or high == true_high
    # the same under integer programming (the rounding check's parts of up to 400 cells): the
    # ends an aim is given from earlier whole-valued solutions lie inside its integer ends
    whole = {aim: (low, high) for aim, low, high, _ in
             _bound(component, component, equalities, inequalities, lower, upper, True, 20.0)}
    for aim, low, high, how in _bound(component, component, equalities, inequalities, lower,
                                      upper, True, 20.0, enough):
        true_low, true_high = whole[aim]
        if how == "seen":
            assert true_low - 1e-6 <= low and high <= true_high + 1e-6
            assert high - low >= enough and low == np.round(low) and high == np.round(high)
        else:
            assert how == "milp" and (low, high) == (true_low, true_high)


def test_secondary_suppression_warns_nothing_in_a_notebook():
    # An analyst's notebook shows every warning: the integer programme's solver options are
    # HiGHS's own (scipy passes them on with a warning, which must not reach the reader).
    import warnings

    from soteria_research.reporting.disclosure.cells import CellBuilder
    from soteria_research.reporting.disclosure.profiles import get_profile
    from soteria_research.reporting.disclosure.spec import identity
    from soteria_research.reporting.disclosure.suppression import suppress

    builder = CellBuilder()
    builder.declare_categories("outcome", ("a", "b", "c", "d"), "t")
    for outcome, n in zip("abcd", (3, 40, 60, 25)):
        builder.add(identity(outcome=outcome), n, source="t")
    builder.declare_known(identity())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = suppress(builder.build(), get_profile("publication"))
    assert result.hidden[0] and result.hidden[:4].sum() >= 2


@given(st.data())
def test_an_aim_bounded_near_itself_gets_ends_inside_its_true_ones(data):
    """The rounding check bounds a cell of a large part first over the cells near it, the rest
    at their true values (``attacker._local_ends``), and the cells that leaves unsettled all
    together (``attacker._move_together``): the ends it is given that way (``local``, ``joint``,
    and ``seen`` from those points) must lie inside its true ends and be ``enough`` apart; any
    other aim keeps its exact ends. Here every part counts as large and a neighbourhood holds
    from one cell to all of them."""
    from scipy import sparse

    from soteria_research.reporting.disclosure import attacker

    system, _ = two_way_table(data)
    n = len(system)
    hidden = a_pattern(data, system)
    lower = np.where(hidden, 0.0, np.maximum(system.values - 2, 0))
    upper = np.where(hidden, np.inf, system.values + 2)
    equalities, inequalities = system.matrix(), sparse.csr_matrix((0, n))
    component = np.arange(n)
    exact = {aim: (low, high) for aim, low, high, _ in attacker._bound(
        component, component, equalities, inequalities, lower, upper, False, 20.0)}
    enough = data.draw(st.sampled_from([1.0, 2.0, 5.0]))
    saved = attacker.LOCAL_FROM, attacker._LOCAL_CELLS
    attacker.LOCAL_FROM, attacker._LOCAL_CELLS = 0, data.draw(st.integers(1, n))
    try:
        found = attacker._bound(component, component, equalities, inequalities, lower, upper,
                                False, 20.0, enough, truth=system.values.astype(float))
    finally:
        attacker.LOCAL_FROM, attacker._LOCAL_CELLS = saved
    assert sorted(aim for aim, *_ in found) == list(range(n))
    for aim, low, high, how in found:
        true_low, true_high = exact[aim]
        if how in ("seen", "local", "joint"):
            assert true_low - 1e-6 <= low and high <= true_high + 1e-6
            assert high - low >= enough
        else:
            assert how == "lp"
            assert np.isclose(low, true_low, atol=1e-6) or low == true_low
            assert np.isclose(high, true_high, atol=1e-6) or high == true_high


def test_the_rounding_check_decides_a_large_table_as_its_whole_programmes_do():
    """On a table of more than ``attacker.LOCAL_FROM`` cells (150 forces by 6 outcomes and
    their totals) the rounding check, which bounds most cells near themselves, decides as the
    check on whole programmes alone does, for a pattern it passes and one it fails."""
    from soteria_research.reporting.disclosure import attacker
    from soteria_research.reporting.disclosure.profiles import get_profile

    rng = np.random.default_rng(7)
    builder = CellBuilder()
    forces, outcomes = [f"f{i}" for i in range(150)], [f"o{j}" for j in range(6)]
    builder.declare_categories("force", tuple(forces), "t")
    builder.declare_categories("outcome", tuple(outcomes), "t")
    for force in forces:
        for outcome in outcomes:
            value = int(rng.integers(0, 10)) if rng.random() < 0.1 else int(rng.integers(10, 90))
            builder.add(identity(force=force, outcome=outcome), value, source="t")
    system = builder.build()
    assert len(system) > attacker.LOCAL_FROM
    profile = get_profile("publication")
    small = system.shown & (system.values < 10)
    # hidden with a second cell in their force's row (the row's total published, rounded) ...
    pattern = small.copy()
    rows = {}
    for cell, quantity in enumerate(system.identities):
        keys = dict(quantity)
        if set(keys) == {"force", "outcome"}:
            rows.setdefault(keys["force"], []).append(cell)
    for cells in rows.values():
        if small[cells].any():
            others = [c for c in cells if not small[c]]
            pattern[others[0]] = True
    # ... and alone, its force's total and all but one other of its row known exactly: the
    # one left, published to its rounding interval (±2), moves it over 4, less than the 5 the
    # publication profile asks of a count left to the rounding
    for force, cells in rows.items():
        if small[cells].any():
            builder.declare_known(identity(force=force))
            for cell in [c for c in cells if not small[c]][1:]:
                builder.declare_known(system.identities[cell])
    known = builder.build()
    methods: list[str] = []
    original = attacker._bound

    def recorded(*args, **kwargs):
        found = original(*args, **kwargs)
        methods.extend(how for *_, how in found)
        return found

    decisions = []
    for system_, hidden in ((system, pattern), (known, small)):
        attacker._bound = recorded
        try:
            near = attacker.rounding_protects(system_, hidden, small, profile)
        finally:
            attacker._bound = original
        saved, attacker.LOCAL_FROM = attacker.LOCAL_FROM, 10**9
        try:
            whole = attacker.rounding_protects(system_, hidden, small, profile)
        finally:
            attacker.LOCAL_FROM = saved
        decisions.append((near, whole))
    assert decisions == [(True, True), (False, False)]
    assert "local" in methods
