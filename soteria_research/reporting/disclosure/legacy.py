"""LEGACY (to be deleted once the reports register their tables with ``RunProtection``).

The previous engine: ``protect`` hides cells greedily, and guesses counts, keys and rates
from column names unless told ``declared=True`` (the reports' ``DisclosureControl`` is: each
of their tables declares its keys, counts, rates and one person's values, so a renamed column
cannot change what is suppressed; an undeclared numeric column is an error);
``protect_linked``/``LinkedProtection`` protect force × category tables once per run;
``DisclosureControl`` is what the report notebooks call today. Kept only so the current
callers (``reporting/national.py``, the notebooks) keep working and the benchmark can compare
the new optimisation with the old greedy pass. New code uses ``TableSpec`` and
``RunProtection`` (see the package docstring).
Statistical disclosure control: every table, curve, model and figure passes through here.

Suppression (primary and secondary), rounding, survival and model rules, linked tables, and the log.

Notebook API (stable: report notebooks and ``reporting/runner.py`` code against exactly this)
------------------------------------------------------------------------------------------------
::

    from soteria_research.reporting.disclosure import DisclosureControl
    dc = DisclosureControl(profile=None, log_path=None)  # profile None -> SOTERIA_DISCLOSURE
    dc.show(frame, name="outcome_mix")                     # count table -> Styler with [c]
    dc.show(frame, name="charge_rate", kind="rates")       # group…, estimate, ci_*, n
    dc.show(frame, name="charge_rate", rates={"rate": ("n_charged", "n")})
    dc.show(curve, name="cif_charge", kind="curve")        # time, cif, ci_*, n_at_risk[, n_events]
    dc.show(hazard_ratios, name="cox", kind="model", df_resid=512)
    safe = dc.check_figure_data(frame, name="fig_outcomes")   # draw the figure from `safe`
    dc.safe_count(n, name="cases"); dc.safe_rate(r, numerator=a, denominator=b, name="rate")
    dc.write_log("reports/<run>/<force>/disclosure.json")
    dc.appendix()                                          # Markdown str (display(Markdown(...)))

- ``DisclosureControl(profile=None, log_path=None, linked=None, force=None)``:
  ``profile`` is ``"publication"`` (default), ``"partner"`` or ``"internal"``; None reads
  ``get_settings().disclosure`` (``SOTERIA_DISCLOSURE``). ``log_path``: where ``write_log()``
  writes when given no path. ``linked``/``force``: see "Linked tables" below.
- ``show(frame, *, name, kind="counts", counts=None, rates=None, by=None, df_resid=None,
  styled=True, caption=None)`` protects ``frame``, records it in the log and returns what to
  display: a pandas ``Styler`` (``styled=True``; caption states the profile, "[c] = suppressed",
  or "INTERNAL – not for release") or a plain DataFrame with ``"[c]"`` in suppressed cells
  (``styled=False``). ``kind``: ``"counts"`` (count tables, also with rate columns),
  ``"rates"`` (tidy ``group…, estimate, ci_low, ci_high, n`` frames), ``"curve"``
  (survival/incidence curves) or ``"model"`` (tidy coefficient frames with ``n`` per term).
- ``protect(frame, *, name, kind=..., ...)`` -> :class:`ProtectedTable` with ``.frame`` (numeric,
  NaN where suppressed, rounded under publication), ``.mask`` (True = suppressed),
  ``.record`` (the log entry) and ``.display()`` (``"[c]"`` markers). Also logged.
- ``check_figure_data(frame, *, name, kind="counts", **options)`` returns the numeric protected
  frame to draw a figure from (a frame that already came out of ``protect`` passes unchanged).
- ``safe_count(value, *, name)`` -> rounded int or ``"[c]"``; ``safe_rate(value, *, numerator,
  denominator, name)`` -> the rate or ``"[c]"``: for scalars written to ``metrics.json``.
- ``write_log(path=None)`` -> Path of ``disclosure.json``: profile, rules, and per output its
  name, kind, rules applied, cells suppressed (primary/secondary) and rounded, final status
  (``"pass"``, ``"suppressed"``, ``"coarsened"`` (curves), ``"withheld"``, ``"internal"``).
- ``appendix()`` -> a short Markdown disclosure-control appendix; ``summary()`` -> DataFrame.
- Module functions for tests and the runner: :func:`protect`, :func:`protect_curve`,
  :func:`protect_model`, :func:`protect_linked`, :func:`scan_for_disclosive_counts`.

Profiles: ``publication`` (threshold 10, zeros disclosive, rounding to base 5 after suppression,
survival threshold 10, models need residual dof >= 10), ``partner`` (threshold 10, zeros not
disclosive, no rounding), ``internal`` (nothing suppressed; every output labelled
"INTERNAL – not for release").

Why not ACRO as the engine
--------------------------
ACRO (SACRO's checker, PyPI ``acro``) is the independent oracle in the tests, not the engine:
it checks microdata through its own ``crosstab``/``pivot_table``/``surv_func`` calls inside an
output-checking session that writes its own results folder, while the toolkit's analysis
functions already return aggregated tidy frames; its suppression is primary only, with
margins recomputed from the unsuppressed cells, which leaves hidden cells recoverable from
totals published elsewhere (other tables, other forces, the national report); and it has no
rules for rates with denominators or for several forces' reports at once. The tests check
that primary suppression here matches ACRO's on the same data, and that curve steps match its
survival rule. Its defaults (threshold 10, zeros disclosive, rounding base 5, survival
threshold 10, residual dof 10) are the ``publication`` profile's.

Secondary suppression is exact, not "two per line": the published cells and every total a
reader knows (row, column, implied ``by``-group and national totals, repeated group totals,
funnel ``n_previous`` copies) form a linear system, and a hidden cell is safe only when the
system leaves it undetermined (its row of the null space is non-zero). Cells are added
greedily until every hidden cell is safe (``protect``'s default). Linked tables
(``protect_linked``) choose their secondary cells by optimisation instead
(``_secondary_optimal``, the run-level engine's ``suppression.suppress`` on this cell system):
the least value hidden, a total row's figures (a force's all-offences headline) hidden only
when no cheaper complement exists, every small count's range at least the profile's
``protection`` wide. Every key column is taken as a dimension whose
categories add up to a total readers know, unless it is named in ``by`` (separate tables,
e.g. overlapping groups or nested funnel stages, which only over-suppress if left additive).
The ranges a reader can put on a hidden cell (interval disclosure) are widened by preferring
secondary cells at or above the threshold, and by rounding; exact recovery is ruled out.

Linked tables (the design)
--------------------------
A force report's table and the national overview share cells: national total minus the other
forces' published cells would reveal a force's hidden cell. So the runner protects each linked
table ONCE for the whole run, on the force × category table built from all forces, with
:func:`protect_linked` (additivity constraints: within each force along every dimension, and
across forces for every category, i.e. the national totals). It saves the result with
``LinkedProtection.save(run_dir / "linked_disclosure.json")`` before the notebooks start. Each
force notebook then uses ``DisclosureControl(linked=path, force="kent")``: ``show(frame,
name=...)`` for a linked ``name`` checks that the frame's counts equal the force's slice and
applies the shared suppression pattern verbatim (no extra, unshared suppressions, which would
break the national constraint). The national overview uses ``DisclosureControl(linked=path)``
without ``force`` and shows the whole pattern. Tables that are not linked are protected alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from copy import deepcopy
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ...errors import DisclosureError, ParameterError
from .curves import protect_curve
from .models import protect_model
from .profiles import (
    INTERNAL_LABEL,
    MARKER,
    PROFILES,
    DisclosureProfile,
    get_profile,
    round_to_base,
)
from .published_rates import rates_from_published
from .records import WHY, OutputRecord, ProtectedTable
from .records import appendix as _appendix
from .records import caption as _caption
from .records import json_default as _json_default
from .records import summary as _summary
from .records import write_log as _write_log
from .spec import TOTAL_WORDS
from .spec import is_total as _is_total

__all__ = [
    "MARKER",
    "PROFILES",
    "DisclosureControl",
    "DisclosureProfile",
    "LinkedProtection",
    "OutputRecord",
    "ProtectedTable",
    "get_profile",
    "protect",
    "protect_curve",
    "protect_linked",
    "protect_model",
    "round_to_base",
]

# -- recognising columns --------------------------------------------------------------------

_RATE_WORDS = re.compile(
    r"(rate|share|pct|percent|prop|estimate|ci_|_ci|lower|upper|mean|median|days|time|"
    r"ratio|^hr$|^or$|^se$|^p$|p_value|coef|cif|surv|prob|quantile|age|^max|^min|^p\d+$|"
    r"^sd$|std|iqr)", re.IGNORECASE)
_KEY_WORDS = re.compile(r"(year|month|week|quarter|period|cohort|wave|date|^within_|^time$|"
                        r"^days?$|horizon)", re.IGNORECASE)
_DENOMINATOR_NAMES = ("n", "total", "all", "n_total", "denominator", "cases", "n_cases")


def _is_count_like(values: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    finite = numbers[~np.isnan(numbers)]
    return bool(np.all(finite >= 0) and np.all(finite == np.round(finite)))


_EXTREME = re.compile(r"^(max|min|maximum|minimum)($|_)|_(max|min)$", re.IGNORECASE)
_COUNT_NAMES = re.compile(r"(^n$|^n_|_n$|^count|_count$|^num_|^number|^cases$|^events$)",
                          re.IGNORECASE)


def _looks_like_count_name(name: str) -> bool:
    name = str(name)
    return bool(_COUNT_NAMES.search(name)) or not (
        _RATE_WORDS.search(name) or _KEY_WORDS.search(name))


def _default_counts(table: pd.DataFrame, exclude: Iterable[str]) -> list[str]:
    exclude = set(exclude)
    return [c for c in table.columns
            if c not in exclude and _is_count_like(table[c]) and _looks_like_count_name(c)]


def _default_keys(table: pd.DataFrame, numeric_used: Iterable[str]) -> list[str]:
    used = set(numeric_used)
    return [c for c in table.columns if c not in used and (
        not pd.api.types.is_numeric_dtype(table[c]) or pd.api.types.is_bool_dtype(table[c])
        or (_KEY_WORDS.search(str(c)) and not _COUNT_NAMES.search(str(c))))]


def _declared_keys(frame, name: str, counts, rates, by: list[str], keys, extremes: list[str],
                   columns_add_up, column_total) -> list[str]:
    """The key columns of a table whose structure is declared (``protect(declared=True)``):
    the declared ``keys`` and every text or yes/no column; an error for anything guessed."""
    if counts is None:
        raise ParameterError(
            f"protect({name!r}): declare the count columns (counts=[...]): disclosure control "
            "does not guess a table's structure from its column names.")
    counts, keys = list(counts), list(keys or [])
    named = set(counts) | set(rates) | set(by) | set(keys) | set(extremes)
    # counts=[] declares that nothing in the table is a count to check (a layout of tables
    # protected already): nothing is suppressed, so nothing is guessed
    undeclared = [c for c in frame.columns if counts and c not in named
                  and pd.api.types.is_numeric_dtype(frame[c])
                  and not pd.api.types.is_bool_dtype(frame[c])]
    if undeclared:
        raise ParameterError(
            f"protect({name!r}): numeric column(s) {undeclared} are not declared. Name each "
            "in keys= (a category or period), counts=, rates= ({column: (numerator, "
            "denominator)}, None for a part the table does not hold) or extremes= (one "
            "person's value, always hidden); structure is never guessed from column names.")
    if len(counts) >= 2 and columns_add_up is None and column_total is None:
        raise ParameterError(
            f"protect({name!r}): say whether the count columns {counts} partition a total "
            "(columns_add_up=True, or column_total= naming the total column) or not "
            "(columns_add_up=False).")
    return keys + [c for c in frame.columns if c not in named]


def _default_rates(table: pd.DataFrame, counts: list[str], keys: list[str], kind: str,
                   hint: tuple[str, str] | None = None
                   ) -> dict[str, tuple[str | None, str | None]]:
    """Numerator and denominator of every other numeric column, guessed from the names.

    ``hint`` is (numerator, denominator) when the table has one count column and one
    repeated group total (``n`` and ``n_cohort``): every unmatched rate is read as their ratio.
    """
    denominator = hint[1] if hint else next((c for c in _DENOMINATOR_NAMES if c in counts), None)
    rates: dict[str, tuple[str | None, str | None]] = {}
    for column in table.columns:
        if column in counts or column in keys or not pd.api.types.is_numeric_dtype(table[column]):
            continue
        stem = re.sub(r"(_rate|_share|_pct|_percent|_prop(ortion)?)$", "", str(column))
        numerator = next((c for c in (stem, f"n_{stem}") if c != column and c in counts), None)
        if numerator is not None or kind == "rates" or hint:
            rates[column] = (numerator or (hint[0] if hint else None), denominator)
        else:
            rates[column] = (None, None)  # unknown basis: depends on every count in its row
    return rates


# -- the suppression engine -----------------------------------------------------------------

@dataclass
class _CellSystem:
    """Cells (row × column of the count block) and the additivity constraints readers know.

    Each constraint is ``sum(members) == total``: ``total`` is a cell index, or -1 when the
    total is not in the table but assumed public (implied, published elsewhere).
    """

    values: np.ndarray
    constraints: list[tuple[np.ndarray, int]]
    eligible: np.ndarray
    #: lines whose total another table protected before hides (``protect(decided_totals=)``):
    #: (members, protected), not among ``constraints`` (a reader does not know the total);
    #: ``protected``: the total is protected like a small count (False: a helper column's line,
    #: whose total follows from a hidden one, only unknown)
    hidden_totals: list[tuple[np.ndarray, bool]] = field(default_factory=list)

    def matrix(self) -> sparse.csr_matrix:
        if getattr(self, "_matrix", None) is not None:
            return self._matrix
        rows, cols, data = [], [], []
        for i, (members, total) in enumerate(self.constraints):
            rows += [i] * len(members)
            cols += members.tolist()
            data += [1.0] * len(members)
            if total >= 0:
                rows.append(i)
                cols.append(total)
                data.append(-1.0)
        self._matrix = sparse.csr_matrix((data, (rows, cols)),
                                         shape=(len(self.constraints), len(self.values)))
        return self._matrix


@lru_cache(maxsize=1)
def _blas_controller():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    return ThreadpoolController()


def _one_blas_thread(size: int):
    """Run dense algebra on one BLAS thread: for these sizes, threads only thrash a busy CPU.

    Small blocks skip the switch itself, which costs more than their SVD.
    """
    controller = _blas_controller() if size > 100 else None
    if controller is None:
        return nullcontext()
    return controller.limit(limits=1, user_api="blas")


def _pinned(block: np.ndarray) -> np.ndarray:
    """Columns of ``block`` (cells) whose value every solution of ``block x = b`` agrees on.

    null(A) = null(AᵀA): a small symmetric eigenproblem instead of an SVD of A (the entries
    are small integers, so squaring the condition number costs no accuracy here). Row norms
    of an orthonormal null-space basis do not depend on which basis ``eigh`` returned.
    """
    gram = block.T @ block
    with _one_blas_thread(gram.shape[0]):
        eigenvalues, vectors = np.linalg.eigh(gram)
    basis = vectors[:, eigenvalues < 1e-9 * max(1.0, float(eigenvalues.max(initial=0)))]
    return np.linalg.norm(basis, axis=1) < 1e-6 if basis.size else np.ones(block.shape[1], bool)


def _determined(system: _CellSystem, suppressed: np.ndarray) -> np.ndarray:
    """Suppressed cells whose value the published cells and constraints pin down exactly.

    A cell is determined when every solution of the constraints agrees on it, i.e. its row of
    the null space of the constraint matrix restricted to suppressed cells is zero. Small
    systems are solved densely at once; large ones split into independent blocks (connected
    components), each small enough for a dense eigenproblem.
    """
    hidden = np.flatnonzero(suppressed)
    determined = np.zeros(len(suppressed), dtype=bool)
    if len(hidden) == 0:
        return determined
    sub = system.matrix()[:, hidden]
    sub = sub[np.flatnonzero(np.diff(sub.tocsr().indptr)), :].tocsr()
    if sub.shape[0] == 0:
        return determined
    if len(hidden) <= 150:
        determined[hidden[_pinned(sub.toarray())]] = True
        return determined
    n_rows = sub.shape[0]
    graph = sparse.bmat([[None, sub], [sub.T, None]]).tocsr()
    _, labels = connected_components(graph, directed=False)
    row_labels, cell_labels = labels[:n_rows], labels[n_rows:]
    for label in np.unique(cell_labels):
        cells = np.flatnonzero(cell_labels == label)
        rows = np.flatnonzero(row_labels == label)
        if len(rows):
            determined[hidden[cells[_pinned(sub[rows][:, cells].toarray())]]] = True
    return determined


def _secondary(system: _CellSystem, primary: np.ndarray, threshold: float = 0,
               avoid: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """Add secondary suppressions until no suppressed cell can be worked out from the totals.

    Greedy: for each exposed cell, hide a cell sharing one of its constraints, preferring one
    that closes a cycle with an already hidden cell, then one at or above the threshold (a
    hidden pair summing to at least the threshold also blurs the range of the small cell),
    then the smallest (least information lost). Cells alone in a constraint are exposed for
    certain and found cheaply; the null-space test runs only when none is. Cells in
    ``avoid`` (printed in another table) are taken only where no other cell would do. Returns
    the suppression mask and whether every exposed cell could be protected.
    """
    suppressed = primary.copy()
    cells_of = [np.append(members, total) if total >= 0 else members
                for members, total in system.constraints]  # constraint -> its cells
    constraints_of: list[list[int]] = [[] for _ in range(len(suppressed))]
    for k, cells in enumerate(cells_of):
        for cell in cells:
            constraints_of[cell].append(k)
    for _ in range(len(suppressed) + 1):
        hidden_count = np.array([suppressed[c].sum() for c in cells_of], dtype=int)
        lonely_constraints = np.flatnonzero(hidden_count == 1)
        if len(lonely_constraints):
            exposed = np.unique([c for k in lonely_constraints for c in cells_of[k]
                                 if suppressed[c]])
        else:
            exposed = np.flatnonzero(_determined(system, suppressed))
        if len(exposed) == 0:
            return suppressed, True
        touched = np.zeros(len(suppressed), dtype=bool)
        added = False
        lonely = {int(c): [k for k in constraints_of[c] if hidden_count[k] == 1]
                  for c in exposed}
        for cell in sorted(lonely, key=lambda c: (not lonely[c], c)):
            shared = constraints_of[cell]
            around = np.unique(np.concatenate([cells_of[k] for k in shared]))
            if touched[around].any():
                continue
            pool = lonely[cell] or list(shared)
            neighbours = np.unique(np.concatenate([cells_of[k] for k in pool]))
            candidates = neighbours[~suppressed[neighbours] & system.eligible[neighbours]]
            if avoid is not None and (~avoid[candidates]).any():
                candidates = candidates[~avoid[candidates]]
            if len(candidates) == 0:
                continue
            closes = np.array([
                any(suppressed[cells_of[k]].any() for k in constraints_of[c] if k not in pool)
                for c in candidates])
            values = system.values[candidates]
            order = np.lexsort((candidates, values, values < threshold, ~closes))
            suppressed[int(candidates[order[0]])] = True
            touched[around] = True
            added = True
        if not added:
            return suppressed, False
    return suppressed, False


def _as_cell_system(system: _CellSystem, shown: np.ndarray, headline: np.ndarray, *,
                    public_totals: bool, required: np.ndarray | None = None,
                    known: np.ndarray | None = None):
    """The legacy cell system as a :class:`.cells.CellSystem` (see :func:`_secondary_optimal`).

    A total assumed public (``-1``) becomes a cell of its own after the table's cells: known
    (``public_totals``) or latent (a relaxation, for a pattern the attacker then checks).
    ``known`` cells are printed in another table (a reader knows them: never a complement);
    ``required`` ones are hidden there (protected like small counts). The system's
    ``hidden_totals`` come last, each a latent cell protected like a small count.
    """
    from .cells import KNOWN, LATENT, SHOWN, CellSystem

    values = [float(v) for v in system.values]
    flags = np.where(system.eligible & shown, SHOWN,
                     np.where(system.eligible, LATENT, KNOWN)).astype(np.int64)
    if known is not None:
        flags[np.asarray(known, dtype=bool)] = KNOWN
    flags = flags.tolist()
    marks = (np.asarray(headline, dtype=bool) & shown).tolist()
    relations: list[tuple[np.ndarray, int]] = []
    for members, total in system.constraints:
        members = np.asarray(members, dtype=np.int64)
        if total < 0:  # a total assumed public: a cell of its own
            values.append(float(system.values[members].sum()))
            flags.append(KNOWN if public_totals else LATENT)
            marks.append(False)
            total = len(values) - 1
        relations.append((members, int(total)))
    hidden_totals = []
    for members, protected in system.hidden_totals:  # hidden in another table: unknown
        values.append(float(system.values[members].sum()))
        flags.append(LATENT)
        marks.append(False)
        if protected:
            hidden_totals.append(len(values) - 1)
        relations.append((np.asarray(members, dtype=np.int64), len(values) - 1))
    wanted = None
    if (required is not None and np.any(required)) or hidden_totals:
        wanted = np.zeros(len(values), dtype=bool)
        if required is not None:
            wanted[:len(system.values)] = required
        wanted[hidden_totals] = True
    return CellSystem(identities=[frozenset({("cell", i)}) for i in range(len(values))],
                      values=np.array(values), flags=np.array(flags, dtype=np.int64),
                      headline=np.array(marks, dtype=bool), weight=np.ones(len(values)),
                      relations=relations, required=wanted)


def _rounding_protects(cells, hidden: np.ndarray, primary: np.ndarray,
                       profile: DisclosureProfile) -> bool:
    """:func:`.attacker.rounding_protects` on the table's cells (the first ``len(hidden)`` of
    ``cells``; the public totals after them are known cells, exact). The table's shares are
    printed from the rounded counts (``protect``), so they tell a reader nothing more and add
    no constraint."""
    from .attacker import rounding_protects

    extra = len(cells.values) - len(hidden)
    return rounding_protects(cells, np.append(hidden, np.zeros(extra, dtype=bool)),
                             np.append(primary, np.zeros(extra, dtype=bool)), profile)


#: Rounds of the optimisation's cut loop for one linked table (each round one integer programme
#: over the attacker's cuts so far). A count of rounds, not seconds, so that the same data give
#: the same pattern on any machine. It was 12 while the attacker solved a fresh scipy
#: ``linprog`` per cell and direction (all 43 forces at national size, publication: the funnel
#: took 12 rounds and 14 s, 2,422 programmes). With one HiGHS model per linked part
#: (``programmes.Programmes``) the same funnel settles in 11 rounds and 3 s, and the run's
#: linked protection takes 4.8 s (was 28.9 s; partner 2.8 s, was 10.5 s). A run of four small
#: forces needed 15 rounds under publication (``tests/test_linked_suppression_cost.py``); 30
#: leave room. A table that has not settled is finished by the fallback, and the greedy pattern
#: is used instead wherever it loses less.
OPTIMAL_MAX_ROUNDS = 30


def _secondary_optimal(system: _CellSystem, primary: np.ndarray, profile: DisclosureProfile,
                       *, shown: np.ndarray, headline: np.ndarray,
                       derived: list[tuple[np.ndarray, np.ndarray]] = (),
                       protection: int | None = None, trust_rounding: bool = False,
                       decided: np.ndarray | None = None, known: np.ndarray | None = None
                       ) -> tuple[np.ndarray, bool, list[str]]:
    """Secondary suppression by optimisation (cost-based), for the run's linked tables.

    The legacy cell system is handed to :func:`.suppression.suppress` (the Fischetti–Salazar
    integer programme with an attacker's linear programme, as the run-level engine uses):

    * cells of the published count columns (``shown``) are cells a reader sees unless hidden;
    * the helper columns of rates (a share's complement, an implied numerator) are never
      printed: they are latent cells, unknown to the reader except through their relations
      (``count + complement = n``), but protected like any cell when they are small;
    * a total assumed public (a constraint whose total is ``-1``: the national line of a
      linked table, a force's total) becomes a known cell holding the sum of its members;
    * a missing value (not hideable) is a known cell, as the greedy's null-space test takes it.

    The cost of hiding a cell is its value (+1), times ``HEADLINE_FACTOR`` for ``headline``
    cells (a total row: a force's all-offences figure), so a headline figure is hidden only
    when no cheaper complement protects the small cells. The attacker takes published cells
    as exact (one who has undone any rounding) and uses non-negativity and every known total;
    each small count must keep a range reaching ``protection`` above it and
    ``min(protection, value)`` below it (the profile's level unless given; 1, the profiles'
    default: not exactly recoverable).

    ``derived`` lists, per helper column, its cells and the cells they are worked out from
    (``(helpers, sources)``, equal-length arrays): a helper counts as hidden where its source
    is hidden (a reader cannot compute it), as published elsewhere. The result is then checked
    with :func:`_determined` (every hidden cell, small or not): a secondary cell found exactly
    recoverable is shown again (it tells a reader nothing new); a small cell found recoverable
    (a stall) sends the pattern to the greedy pass to be completed: the next cheapest pattern,
    never the whole table withheld. Returns the mask, whether every small cell is protected,
    and notes for the log.

    ``trust_rounding`` (profiles that round only): first try the cheapest pattern that leaves
    the totals assumed public to the rounding (they are latent in the programme), and keep it
    only when :func:`_rounding_protects` (the attacker, each published count known to its
    rounding interval, the public totals exact) finds every hidden cell unknown and every
    small one's range at least the profile's ``protection`` wide; otherwise the pattern above.

    ``decided`` and ``known`` (see :func:`protect`'s ``decided``): cells of ``primary`` that
    are not small but hidden in a table protected before (protected like small counts), and
    cells printed there (known to a reader, so never chosen as complements).
    """
    from .suppression import costs, pinned, suppress

    protection = profile.protection if protection is None else protection
    n = len(system.values)
    shown = np.asarray(shown, dtype=bool)
    cells = _as_cell_system(system, shown, headline, public_totals=True, required=decided,
                            known=known)
    notes: list[str] = []

    def with_helpers(mask: np.ndarray) -> np.ndarray:
        mask = mask.copy()
        mask[~shown] = primary[~shown]
        for helpers, sources in derived:
            mask[helpers] |= mask[sources]
        return mask

    def shown_again(mask: np.ndarray) -> np.ndarray:
        """Beside zeros a public total of 0 pins, the attacker works out more than the
        null-space test sees (counts cannot be negative): a secondary cell it works out
        exactly protects nothing, so it is shown again."""
        hidden_shown = np.zeros(len(cells.values), dtype=bool)
        hidden_shown[:n] = mask & shown
        spare = pinned(cells, hidden_shown, np.flatnonzero(mask & shown & ~primary))
        if not spare:
            return mask
        notes.append(f"secondary suppression: {len(spare)} hidden cell(s) could be worked out "
                     "anyway beside those zeros, so they are shown")
        mask = mask.copy()
        mask[spare] = False
        return with_helpers(mask)

    def printed_again(mask: np.ndarray) -> np.ndarray:
        """A count another linked table prints that the greedy pass hid here (completing a
        pattern, it takes one only where no other cell would do) is printed again where no
        hidden cell of this table then follows from it; one the pattern needs stays hidden
        (and :func:`protect` then chooses again, leaving it to the table like any cell)."""
        if known is None or not (mask & known).any():
            return mask
        before = _determined(system, mask)
        printed = 0
        for cell in np.flatnonzero(mask & known):
            trial = mask.copy()
            trial[cell] = False
            trial = with_helpers(trial)
            after = _determined(system, trial)
            if not (after & trial & ~before).any():
                mask, before, printed = trial, after, printed + 1
        if printed:
            notes.append(f"secondary suppression: {printed} count(s) the greedy pass hid are "
                         "printed in another linked table and protect nothing here: printed")
        return mask

    if trust_rounding and profile.round_base:
        # the totals published elsewhere are rounded too: try the pattern that leaves them to
        # the rounding, and keep it only if the attacker finds it protects every hidden cell
        relaxed = suppress(_as_cell_system(system, shown, headline, public_totals=False,
                                           required=decided, known=known),
                           replace(profile, protection=protection),
                           max_rounds=OPTIMAL_MAX_ROUNDS)
        hidden = with_helpers(primary | (relaxed.hidden[:n] & shown))
        if not relaxed.exact and _rounding_protects(cells, hidden, primary, profile):
            return hidden, True, list(relaxed.notes) + [
                "secondary suppression: the national and other public totals are protected by "
                f"the rounding to base {profile.round_base} (checked by the attacker)"]
        notes.append("secondary suppression: the rounding alone did not protect the public "
                     "totals: published counts taken as exact")
    result = suppress(cells, replace(profile, protection=protection),
                      max_rounds=OPTIMAL_MAX_ROUNDS)
    notes += result.notes
    hidden = with_helpers(primary | (result.hidden[:n] & shown))
    for _ in range(n):
        determined = _determined(system, hidden)
        spare = determined & hidden & shown & ~primary
        if not spare.any():
            break
        hidden = with_helpers(hidden & ~spare)  # recoverable anyway: showing it adds nothing
    # Whatever the protection level, the floor is that no hidden count is exactly recoverable. A
    # count the optimisation could not give room above its value (1 withdrawal of a cohort of
    # 1: a public total its other parts cannot give way to) but which can still be lower is
    # not recoverable, and no pattern gives it more room: it does not make the pattern fail.
    # Only a count the attacker pins exactly does (``result.exact``).
    # A count pinned whatever is hidden (each count of a line whose public total is 0) is not
    # protected by any pattern, the greedy one included (its test ignores that counts cannot
    # be negative): it does not decide between patterns either.
    protectable = not set(result.exact) - set(result.inherent)
    capped = len(result.exposed) - len(result.exact)
    if result.inherent:
        notes.append(f"secondary suppression: {len(result.inherent)} small count(s) follow "
                     "from totals assumed public whatever is hidden (as each count of a national "
                     "line whose total is 0 is 0)")
        hidden = shown_again(hidden)
    if capped:
        notes.append(f"secondary suppression: {capped} small count(s) are as large as a "
                     "published total allows (all of a force's cases in one category), so a "
                     "reader can tell they are no larger; each could be smaller, so none can be "
                     "worked out")
    if (determined & hidden).any():
        hidden, protectable = _secondary(system, hidden, profile.threshold, known)
        notes.append("secondary suppression: the optimal pattern left a hidden cell "
                     "recoverable, so the greedy pass completed it")
    if not result.settled or not protectable or result.exposed:
        # a stall, a pattern that cannot protect every small count (the table would be
        # withheld), or counts the optimisation could not give room on both sides: the greedy
        # pattern (as secondary="greedy" makes it) is the next candidate; of the patterns
        # that protect, the one that loses less is published
        greedy, greedy_ok = _secondary(system, primary, profile.threshold, known)
        if greedy_ok and protectable and known is not None and (greedy & known).any():
            # the greedy pass does not know what another table prints: the optimal pattern,
            # which protects, keeps one number one decision
            greedy_ok = False
            notes.append("secondary suppression: the greedy pattern hides a count another "
                         "linked table prints, so it is not used")
        if greedy_ok:
            # the greedy pass's test does not know counts cannot be negative: the attacker
            # checks its pattern (a hidden 2 beside zeros a national total of 0 pins was exact)
            mask = np.zeros(len(cells.values), dtype=bool)
            mask[:n] = greedy & shown
            inherent = set(result.inherent)
            wanted = [cell for cell in np.flatnonzero(primary) if cell not in inherent]
            if cells.required is not None:  # a total another table hides, too
                wanted += [cell for cell in np.flatnonzero(cells.required[n:]) + n
                           if cell not in inherent]
            if pinned(cells, mask, wanted):
                greedy_ok = False
                notes.append("secondary suppression: the greedy pattern leaves a small count "
                             "exactly recoverable (counts cannot be negative), so it is not used")
            elif inherent:
                greedy = shown_again(greedy)
        cost = costs(cells)[:n]

        def lost(mask: np.ndarray) -> float:
            return float(cost[mask & shown & ~primary].sum())

        if greedy_ok and (not protectable or lost(greedy) < lost(hidden)):
            why = (f"did not settle in {OPTIMAL_MAX_ROUNDS} rounds" if not result.settled
                   else "could not protect every small count" if not protectable
                   else "could not give every small count room on both sides")
            notes.append(f"secondary suppression: the optimisation {why}; the greedy pattern "
                         f"protects them{'' if not protectable else ' and loses less'} (cost "
                         f"{lost(greedy):,.0f} against {lost(hidden):,.0f}) and is used")
            return printed_again(greedy), True, notes
    return printed_again(hidden), protectable, notes


def _decided_cells(decided, counts: list[str], name: str, shape: tuple[int, int]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`protect`'s ``decided`` as two masks over the count block (raveled)."""
    required = np.zeros(shape, dtype=bool)
    printed = np.zeros(shape, dtype=bool)
    for column, (hide, show) in (decided or {}).items():
        if column not in counts:
            raise ParameterError(f"protect({name!r}): decided names {column!r}, which is not "
                                 f"one of its count columns ({counts}).")
        hide, show = np.asarray(hide, dtype=bool), np.asarray(show, dtype=bool)
        if hide.shape != (shape[0],) or show.shape != (shape[0],):
            raise ParameterError(f"protect({name!r}): decided[{column!r}] needs two boolean "
                                 f"arrays of {shape[0]} rows (one per row of the table).")
        j = counts.index(column)
        required[:, j], printed[:, j] = hide, show & ~hide
    return required.ravel(), printed.ravel()


def _decided_lines(decided_totals, frame: _Columns, keys_index: _Keys,
                   groupings: dict[str, list[list[str]]], counts: list[str], name: str,
                   n_columns: int) -> list[np.ndarray]:
    """:func:`protect`'s ``decided_totals`` as lines of the count block (raveled cells): the
    categories of a dimension, within one group of the other keys, whose total is hidden."""
    lines = []
    for column, (dimension, hidden) in (decided_totals or {}).items():
        if column not in counts:
            raise ParameterError(f"protect({name!r}): decided_totals names {column!r}, which "
                                 f"is not one of its count columns ({counts}).")
        if dimension not in groupings:
            raise ParameterError(f"protect({name!r}): decided_totals[{column!r}] adds up along "
                                 f"{dimension!r}, which is not one of its key columns "
                                 f"({sorted(groupings)}).")
        hidden = np.asarray(hidden, dtype=bool)
        if hidden.shape != (keys_index.n_rows,):
            raise ParameterError(f"protect({name!r}): decided_totals[{column!r}] needs a "
                                 f"boolean array of {keys_index.n_rows} rows.")
        is_total = _is_total(frame[dimension])
        j = counts.index(column)
        for rows in keys_index.groups(groupings[dimension][0]):
            members, totals = rows[~is_total[rows]], rows[is_total[rows]]
            if len(members) and hidden[members].all():
                # a total row in the table is the total itself: a cell, hidden like one
                lines.append(totals[:1] * n_columns + j if len(totals)
                             else np.sort(members) * n_columns + j)
    return lines


def _keep_totals_unknown(system: _CellSystem, hidden: np.ndarray, primary: np.ndarray,
                         profile: DisclosureProfile, *, shown: np.ndarray, headline: np.ndarray,
                         derived: list[tuple[np.ndarray, np.ndarray]],
                         known: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
    """A pattern ``hidden`` that also keeps unknown the totals another table hides
    (``system.hidden_totals``, latent cells protected like small counts).

    ``hidden`` protects the table's small counts with every total taken as known (the reader
    of the table that hides a total may still narrow it down). Where it gives such a total
    away (every part of it printed, or worked out), the cheapest further cells that keep it
    unknown are hidden: the pattern only grows, so what protected the small counts still does.
    A total that follows whatever is hidden, or that no pattern keeps unknown, is left as it
    is, with a note (the rules applied after protection then hide its parts).
    """
    from .suppression import pinned

    n = len(system.values)
    cells = _as_cell_system(system, shown, headline, public_totals=True, known=known)
    totals = np.flatnonzero(cells.required[n:]) + n
    published = np.zeros(len(cells.values), dtype=bool)
    published[:n] = hidden & shown
    said = f"{len(totals)} line(s) add up to a total another linked table hides: "
    given_away = pinned(cells, published, totals)
    if not given_away:
        return hidden, [said + "none can be worked out from this table"]
    # a total that follows from the public totals whatever is hidden (the other table's
    # lines resting on its rounding) is not protected by hiding more here
    everything = np.zeros(len(cells.values), dtype=bool)
    everything[:n] = shown
    inherent = set(pinned(cells, everything, given_away))
    if inherent == set(given_away):
        return hidden, [said + f"{len(inherent)} follow whatever is hidden, so none is hidden "
                               "for them"]
    protected = iter(cell not in inherent for cell in totals)
    system = replace(system, hidden_totals=[(members, keep and next(protected))
                                            for members, keep in system.hidden_totals])
    forced = hidden & shown  # hidden already: unknown to a reader, and kept hidden
    grown, ok, notes = _secondary_optimal(system, primary | forced, profile,
                                          shown=shown & ~forced, headline=headline,
                                          derived=derived, known=known)
    grown |= hidden
    published[:n] = grown & shown
    left = set(pinned(cells, published, totals)) - inherent
    added = int((grown & shown & ~hidden).sum())
    notes.append(said + f"{added} more cell(s) hidden so that it cannot be worked out from this "
                 "table" + (f" ({len(inherent)} follow whatever is hidden)" if inherent else "")
                 + (f" ({len(left)} could not be kept unknown)" if left else ""))
    return grown, notes


def _helper_lines(lines: list[np.ndarray], column_groups: list[tuple[list[int], int]],
                  n_columns: int, real: int) -> list[np.ndarray]:
    """The same rows' lines of each helper column (``j >= real``) in a column group with a
    line's column: their totals follow from the line's total."""
    found: dict[tuple, np.ndarray] = {}
    for line in lines:
        rows, column = line // n_columns, int(line[0] % n_columns)
        for members, total in column_groups:
            group = list(members) + ([total] if total >= 0 else [])
            if column not in group:
                continue
            for helper in (j for j in group if j >= real and j != column):
                cells = rows * n_columns + helper
                found.setdefault(tuple(cells.tolist()), cells)
    return list(found.values())


def _greedy_checked(system: _CellSystem, primary: np.ndarray, greedy: np.ndarray,
                    profile: DisclosureProfile, *, shown: np.ndarray, headline: np.ndarray,
                    derived: list[tuple[np.ndarray, np.ndarray]]
                    ) -> tuple[np.ndarray, bool, list[str]]:
    """The greedy pattern of a table protected alone, checked by the optimisation's attacker.

    :func:`_secondary`'s null-space test does not know that counts cannot be negative: beside
    hidden cells that a total of 0 (or a small one) bounds, a hidden count can be pinned
    exactly although no line leaves it alone. :func:`.suppression.pinned` (linear programmes:
    every relation, non-negativity, the totals assumed public) checks the pattern; a small
    count it pins that some pattern could protect (not pinned with every hideable cell hidden:
    each count of a line whose total is 0 is 0 whatever is hidden) sends the table to
    :func:`_secondary_optimal`, whose patterns the same attacker has checked. Returns the
    mask, whether every small cell is protected, and notes for the log.
    """
    from .suppression import pinned

    n = len(system.values)
    if not (system.eligible & shown & ~greedy).any():
        # the greedy pass hid every cell it could: what it leaves pinned is pinned whatever
        # is hidden, so there is nothing to check (a tiny force's table of small counts)
        return greedy, True, []
    cells = _as_cell_system(system, shown, headline, public_totals=True)
    mask = np.zeros(len(cells.values), dtype=bool)
    mask[:n] = greedy & shown
    found = pinned(cells, mask, np.flatnonzero(primary))
    if found:
        everything = np.zeros(len(cells.values), dtype=bool)
        everything[:n] = system.eligible & shown
        inherent = pinned(cells, everything, found)
        found = sorted(set(found) - set(inherent))
    if not found:
        return greedy, True, []
    hidden, protectable, notes = _secondary_optimal(system, primary, profile, shown=shown,
                                                    headline=headline, derived=derived)
    return hidden, protectable, [
        f"secondary suppression: the greedy pattern left {len(found)} small count(s) exactly "
        "recoverable (counts cannot be negative), so the cells were chosen by optimisation",
        *notes]


def _helper_sources(column_groups: list[tuple[list[int], int]], n_rows: int,
                    n_columns: int, real: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each helper column (``j >= real``) and each published cell of its column group
    (numerator, denominator): the helper's cells and that column's cells, row by row. A
    helper is unknown to a reader in a row where any of them is hidden."""
    rows = np.arange(n_rows) * n_columns
    found = []
    for members, total in column_groups:
        group = list(members) + ([total] if total >= 0 else [])
        for helper in (j for j in group if j >= real):
            for source in (j for j in group if j != helper):
                found.append((rows + helper, rows + source))
    return found


def _headline_cells(frame, key_columns: list[str], n_columns: int, real: int) -> np.ndarray:
    """Cells of the published count columns in total rows (a key reads "all"/"total"):
    a force's overall figures, the ones its report leads with."""
    rows = np.zeros(len(frame), dtype=bool)
    for key in key_columns:
        rows |= _is_total(frame[key])
    cells = np.zeros((len(frame), n_columns), dtype=bool)
    cells[:, :real] = rows[:, None]
    return cells.ravel()


class _Keys:
    """The key columns of a table as integer codes, for fast grouping (numpy, no groupby)."""

    def __init__(self, table: pd.DataFrame, columns: list[str]):
        self.n_rows = len(table)
        self.codes = {c: pd.factorize(table[c], use_na_sentinel=False)[0] for c in columns}
        self._ids: dict[tuple, np.ndarray] = {}
        self._determines: dict[tuple, bool] = {}

    def ids(self, columns: Iterable[str]) -> np.ndarray:
        """Group number of each row over ``columns`` (0 for all rows when there are none)."""
        columns = tuple(columns)
        if columns not in self._ids:
            ids = np.zeros(self.n_rows, dtype=np.int64)
            for column in columns:
                codes = self.codes[column]
                ids = ids * (int(codes.max(initial=0)) + 1) + codes
                ids = np.unique(ids, return_inverse=True)[1].ravel()
            self._ids[columns] = ids
        return self._ids[columns]

    def groups(self, columns: Iterable[str]) -> list[np.ndarray]:
        """Row numbers of each group of ``columns``."""
        ids = self.ids(columns)
        order = np.argsort(ids, kind="stable")
        return np.split(order, np.flatnonzero(np.diff(ids[order])) + 1)

    def determines(self, key: str, other: str) -> bool:
        """Whether ``other`` is a function of ``key`` (a label, or a parent category)."""
        if (key, other) not in self._determines:
            self._determines[(key, other)] = bool(
                np.unique(self.ids((key, other))).size == np.unique(self.codes[key]).size)
        return self._determines[(key, other)]

    def constant_within(self, values: np.ndarray, columns: Iterable[str]) -> bool:
        """Whether ``values`` repeat within every group of ``columns`` (some group > 1 row)."""
        ids = self.ids(columns)
        order = np.argsort(ids, kind="stable")
        same_group = ids[order][1:] == ids[order][:-1]
        ordered = values[order]
        equal = (ordered[1:] == ordered[:-1]) | (np.isnan(ordered[1:]) & np.isnan(ordered[:-1]))
        return bool(same_group.any() and equal[same_group].all())


def _groupings(keys_index: _Keys, keys: list[str], by: list[str]) -> dict[str, list[list[str]]]:
    """For each dimension, the column sets whose groups its categories add up within.

    Columns that the dimension determines (its labels, its parent categories) are not
    "other dimensions": a label column beside ``outcome_group`` must not split every line into
    single cells. A parent category adds subtotal lines (codes within their group). A column
    that is one-to-one with an earlier one is the same dimension and adds nothing.
    """
    determines = keys_index.determines
    result: dict[str, list[list[str]]] = {}
    seen: list[str] = []
    for dim in keys:
        if any(determines(dim, k) and determines(k, dim) for k in seen):
            continue
        seen.append(dim)
        dependents = [k for k in keys if k != dim and determines(dim, k)]
        others = [k for k in keys if k != dim and k not in dependents] + by
        result[dim] = [others] + [others + [p] for p in dependents if not determines(p, dim)]
    return result


def _constraints_for(table: pd.DataFrame, keys_index: _Keys,
                     groupings: dict[str, list[list[str]]],
                     column_groups: list[tuple[list[int], int]], n_columns: int,
                     constant: dict[int, set[str]]) -> list[tuple[np.ndarray, int]]:
    """Additivity constraints of a count block laid out row-major (row * n_columns + column).

    ``constant`` names, per column, the dimensions it does not vary along (a repeated group
    total such as ``n_total``): it gets no constraint along those.
    """
    found: dict[tuple, tuple[np.ndarray, int]] = {}
    for dim, column_sets in groupings.items():
        is_total = _is_total(table[dim])
        for others in column_sets:
            for rows in keys_index.groups(others):
                members, totals = rows[~is_total[rows]], rows[is_total[rows]]
                total_row = int(totals[0]) if len(totals) else -1
                if len(members) < (1 if total_row >= 0 else 2):
                    # A lone category with no total in the table: its "total" is itself.
                    continue
                for column in range(n_columns):
                    if dim in constant.get(column, ()):
                        continue
                    cells = members * n_columns + column
                    total = total_row * n_columns + column if total_row >= 0 else -1
                    found[(tuple(cells.tolist()), total)] = (cells, total)
    for row in range(len(table)):
        for member_columns, total_column in column_groups:
            members = np.asarray(member_columns)
            if len(members) < (1 if total_column >= 0 else 2):
                continue
            cells = row * n_columns + members
            total = row * n_columns + total_column if total_column >= 0 else -1
            found[(tuple(cells.tolist()), total)] = (cells, total)
    return list(found.values())


def _ratio_hint(table: pd.DataFrame, counts: list[str], keys_index: _Keys,
                groupings: dict[str, list[list[str]]]) -> tuple[str, str] | None:
    """(numerator, denominator) when exactly one count column is a repeated group total."""
    if len(counts) != 2:
        return None
    repeated = []
    no_dimensions = not any(sets[0] for sets in groupings.values())
    for column in counts:
        values = table[column].to_numpy(dtype=float, na_value=np.nan)
        varies = np.unique(values[~np.isnan(values)]).size > 1
        if any(keys_index.constant_within(values, sets[0]) for sets in groupings.values()) \
                and (varies or no_dimensions):
            repeated.append(column)
    if len(repeated) != 1:
        return None
    denominator = repeated[0]
    numerator = next(c for c in counts if c != denominator)
    return numerator, denominator


def _copied_columns(table: pd.DataFrame, columns: list[str],
                    counts: list[str]) -> dict[str, tuple[str, int]]:
    """Count columns named as earlier values (``n_previous``) that repeat another's.

    Returns ``{copy: (source, lag)}``.

    ``n_previous`` in a funnel is ``n`` one row up: it is not a new cell but the same number
    again, so it is hidden exactly where its source is (and never counts as a second hidden
    cell that would protect it).
    """
    copies: dict[str, tuple[str, int]] = {}
    named = [c for c in columns if re.search(r"(prev|lag|prior|before|last)", c, re.IGNORECASE)]
    if not named:  # parts of a cross-table can repeat each other by chance: names only
        return copies
    values = {c: pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
              for c in dict.fromkeys(named + counts)}
    for copy in named:
        for source in [c for c in counts if c != copy]:
            if source in copies or copy in copies:
                continue
            for lag in (0, 1):
                x, y = values[copy][lag:], values[source][: len(table) - lag]
                both = ~np.isnan(x) & ~np.isnan(y)
                if both.sum() >= 2 and np.array_equal(x[both], y[both]) \
                        and np.unique(x[both]).size > 1:
                    copies[copy] = (source, lag)
                    break
    return copies


def _constant_columns(table: pd.DataFrame, counts: list[str], keys_index: _Keys,
                      groupings: dict[str, list[list[str]]],
                      column_groups: list[tuple[list[int], int]]) -> dict[int, set[str]]:
    """Count columns repeated down a dimension (a group total such as ``n_total``).

    Columns that are parts of a cross-table (a column of zeros is constant too) are cells.
    """
    constant: dict[int, set[str]] = {}
    parts = {j for members, _ in column_groups for j in members}
    if len(counts) < 2:
        return constant
    for j, column in enumerate(counts):
        if j in parts:
            continue
        values = table[column].to_numpy(dtype=float, na_value=np.nan)
        for dim, column_sets in groupings.items():
            if keys_index.constant_within(values, column_sets[0]):
                constant.setdefault(j, set()).add(dim)
    return constant


# -- count and rate tables --------------------------------------------------------------------

RateSpec = Mapping[str, "str | tuple[str | None, str | None] | None"]


def _normalise_rates(rates: RateSpec) -> dict[str, tuple[str | None, str | None]]:
    spec: dict[str, tuple[str | None, str | None]] = {}
    for column, basis in rates.items():
        if basis is None or isinstance(basis, str):
            spec[column] = (basis, None)
        else:
            numerator, denominator = tuple(basis) + (None,) * (2 - len(tuple(basis)))
            spec[column] = (numerator, denominator)
    return spec


def _rules_applied(profile: DisclosureProfile, kind: str) -> list[str]:
    if not profile.suppress:
        return [f"no suppression ({profile.name} profile): labelled '{INTERNAL_LABEL}'"]
    rules = [f"primary suppression: counts below {profile.threshold}"
             + (" and zeros" if profile.zeros_disclosive else "")]
    if kind in ("counts", "rates"):
        rules += ["secondary suppression: no hidden cell recoverable from row, column or "
                  "implied totals",
                  "rates, shares and intervals built on a hidden count hidden",
                  "minimum and maximum values (single records) hidden"]
    if profile.round_base:
        rules.append(f"published counts rounded to base {profile.round_base}")
    return rules


def protect(
    table: pd.DataFrame,
    *,
    name: str = "table",
    kind: str = "counts",
    counts: Iterable[str] | None = None,
    rates: RateSpec | None = None,
    by: str | Iterable[str] | None = None,
    column_total: str | None = None,
    columns_add_up: bool | None = None,
    profile: str | DisclosureProfile | None = None,
    design_effect: str | Mapping[str, str] | None = None,
    secondary: str = "greedy",
    keys: Iterable[str] | None = None,
    extremes: Iterable[str] = (),
    shares_of_row: Mapping[str, tuple[str, str, object]] | None = None,
    declared: bool = False,
    headline_keys: Iterable[str] | None = None,
    decided: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    decided_totals: Mapping[str, tuple[str, np.ndarray]] | None = None,
    **options,
) -> ProtectedTable:
    """Protect a count table, or a table of rates with their denominators.

    Primary suppression hides counts below the threshold (and zeros under ``publication``);
    secondary suppression then hides further cells until no hidden cell can be worked out from
    the row, column or implied totals (a linear-algebra check, not just "two per line"); every
    rate, share or interval whose numerator, denominator or complement is hidden is hidden too;
    under ``publication`` the published counts are then rounded to base 5.

    Parameters
    ----------
    table : DataFrame
        Tidy or wide: key columns (text, or numeric periods such as ``year``), count columns
        (whole numbers) and rate columns. A row whose key is "Total"/"All" is a total row; a
        count column named ``total``/``all`` (or ``column_total``) is a total column.
    name : str
        The output's name in the log.
    kind : {"counts", "rates", "curve", "model"}
        ``"rates"`` treats ``estimate``/``ci_*`` as proportions of ``n`` and checks the implied
        numerator ``estimate × n`` and its complement as counts. ``"curve"`` and ``"model"``
        dispatch to :func:`protect_curve` and :func:`protect_model` (``options`` go there).
    counts : list of str, optional
        Count columns (default: whole-number columns whose names are not rate-like).
    rates : dict, optional
        ``{rate_column: (numerator, denominator)}`` (either may be None, or a bare numerator).
        Columns not named here and not counts depend on every count in their row.
    by : str or list, optional
        Columns splitting the frame into separate tables that do not add up across groups.
        Every other key column is a dimension whose categories add up to a total that readers
        are assumed to know (published elsewhere), even when the frame holds no total row.
    column_total, columns_add_up : optional
        Whether the count columns partition a total (a wide cross-table). Default: yes when a
        total column exists, or when no count column is a denominator such as ``n``.
    profile : str or DisclosureProfile, optional
        ``publication``, ``partner`` or ``internal`` (default: ``SOTERIA_DISCLOSURE``).
    design_effect : str or dict, optional
        Column holding each row's design effect, when the intervals of its rates are Wilson
        intervals at ``n / design_effect`` cases (clustered cases: ``headline_figures``), or
        ``{rate column: design-effect column}`` when the rates of a row have design effects of
        their own (one per outcome: ``demographics.outcome_shares``). Where counts are
        rounded, those bounds are recomputed from the published counts at the same design
        effect. The columns are used, never published: the output does not hold them.
    secondary : {"greedy", "optimal", "optimal_rounding"}
        How secondary cells are chosen: ``"greedy"`` (:func:`_secondary`, the default for a
        table protected alone; its pattern is checked by the optimisation's attacker, and
        where that pins a small count the cells are chosen by optimisation:
        :func:`_greedy_checked`) or ``"optimal"`` (:func:`_secondary_optimal`: the cheapest
        pattern by integer programming, total rows' cells costly; what
        :func:`protect_linked` uses). ``"optimal_rounding"``: as ``"optimal"``, but under a
        rounding profile the totals assumed public may be left to the rounding when the
        attacker confirms it protects every hidden cell (not used by default: a policy
        choice, see ``benchmarks/headline_suppression.py``).
    headline_keys : list of str, optional
        The key columns whose "all"/"total" rows are a force's headline figures, costly to hide
        as complements (``"optimal"``): default every key. The run's trend table names its
        years and outcomes only, so a year's outcome (offence group "all") stays cheap.
    keys : list of str, optional
        Key columns (categories, periods) that are numbers: a text column is always a key.
        Default: guessed from names (``year``, ``within_…``), unless ``declared``.
    extremes : list of str
        Columns holding one person's value (a minimum or maximum): hidden wherever shown.
        Without ``declared``, columns named ``max``/``min``… are taken as extremes too.
    shares_of_row : dict, optional
        ``{rate: (count, key, value)}``: a share of ``count`` in the row of the same group
        whose ``key`` is ``value`` (the funnel's share of the crimes recorded:
        ``("n", "stage", "recorded")``). Computed from the published counts, so it does not
        undo their rounding (issue 16, item 11), and hidden where either count is hidden.
    declared : bool
        The table's structure is declared, never guessed from column names (what the reports
        do, issue 16): ``counts`` must be given (``[]``: nothing to check, a layout of
        tables protected already); every numeric column must be named in
        ``keys``, ``counts``, ``rates``, ``extremes``, ``by`` or ``design_effect``; with two
        or more count columns, ``columns_add_up`` (or ``column_total``) must be given. A
        renamed column then cannot change what is suppressed: an undeclared one is an error.
    decided : dict, optional
        ``{count column: (hidden, printed)}``, two boolean arrays over the table's rows: cells
        holding a quantity that a table protected before hides (``hidden``: hidden here too,
        and protected like a small count) or prints (``printed``: a reader knows it, so it is
        never hidden as a complement). How :func:`protect_linked` decides one quantity once
        in two of the run's linked tables (``reporting/linked_quantities.py``). If the table
        cannot be protected with them, it is protected without them, with a note. Needs
        ``secondary="optimal"`` (or ``"optimal_rounding"``).
    decided_totals : dict, optional
        ``{count column: (dimension, hidden)}``, ``hidden`` a boolean array over the rows: the
        rows whose categories of ``dimension`` add up (in that column) to a total that a table
        protected before hides (the outcome mix's outcomes add up to the crimes recorded the
        headline hides). The table's small counts are protected as without it, every total
        taken as known (a reader of the other table may narrow it down); then each such total
        is kept unknown too, as a latent cell protected like a small count, by hiding the
        cheapest further cells where the pattern gives it away (the pattern only grows). A
        total that follows whatever is hidden, or that cannot be kept unknown, is left so,
        with a note. A line of one category is that total: hidden as ``decided`` hides a cell.
        Like ``decided``, it needs ``secondary="optimal"``.

    Returns
    -------
    ProtectedTable
        ``.frame`` (NaN where hidden), ``.mask``, ``.record``, ``.display()`` with "[c]".

    Examples
    --------
    >>> table = pd.DataFrame({"outcome_group": ["charge", "victim_withdrawal", "no_suspect"],
    ...                       "n": [4, 120, 31]})
    >>> protected = protect(table, profile="publication")
    >>> protected.display()["n"].tolist()
    ['[c]', 120, '[c]']
    """
    profile = get_profile(profile)
    if kind == "curve":
        return protect_curve(table, name=name, profile=profile, **options)
    if kind == "model":
        return protect_model(table, name=name, profile=profile, **options)
    if kind not in ("counts", "rates"):
        raise ParameterError(f"kind={kind!r} is not one of counts, rates, curve, model.")
    if secondary not in ("greedy", "optimal", "optimal_rounding"):
        raise ParameterError(f"secondary={secondary!r} is not one of greedy, optimal, "
                             "optimal_rounding.")
    if options:
        raise ParameterError(f"protect(kind={kind!r}) got unexpected options {sorted(options)}.")
    # A named index holds keys (pd.crosstab output); an unnamed one is only row labels.
    named = any(n is not None for n in table.index.names)
    index_names = list(table.index.names) if named else table.index
    source = table.reset_index() if named else table.reset_index(drop=True)
    source.columns = [str(c) for c in source.columns]
    source.attrs = {}  # pandas deep-copies attrs on every operation: put them back at the end
    deff = None
    if design_effect is not None:
        named = ([design_effect] if isinstance(design_effect, str)
                 else list(dict.fromkeys(design_effect.values())))
        absent = [c for c in named if c not in source.columns]
        if absent:
            raise ParameterError(f"protect({name!r}): design_effect names {absent}, not "
                                 f"columns of the table (columns: {list(source.columns)}).")
        deff = (source[design_effect].to_numpy(dtype=float, na_value=np.nan)
                if isinstance(design_effect, str) else
                {rate: source[column].to_numpy(dtype=float, na_value=np.nan)
                 for rate, column in design_effect.items()})
        source = source.drop(columns=named)
    frame = _Columns(source)
    by = [by] if isinstance(by, str) else list(by or [])
    given_rates = _normalise_rates(rates or {})
    extremes = list(extremes)
    shares_of_row = dict(shares_of_row or {})
    if declared:
        keys = _declared_keys(frame, name, counts, {**given_rates, **shares_of_row}, by, keys,
                              extremes, columns_add_up, column_total)
    counts = list(counts) if counts is not None else _default_counts(
        frame, list(given_rates) + by)
    declared_keys = list(keys or [])
    missing = [c for c in counts + by + list(given_rates) + declared_keys + extremes
               if c not in frame.columns]
    if missing:
        raise ParameterError(f"protect({name!r}): column(s) {missing} not in the table "
                             f"(columns: {list(frame.columns)}).")
    if keys is None:
        keys = _default_keys(frame, counts + list(given_rates) + extremes)
    keys = [k for k in keys if k not in by]
    record = OutputRecord(name=name, kind=kind, profile=profile.name,
                          rules=_rules_applied(profile, kind), n_cells=len(frame) * len(counts))
    mask = {c: np.zeros(len(frame), dtype=bool) for c in frame.columns}
    if not profile.suppress or not counts:
        record.status = "internal" if not profile.suppress else "pass"
        if profile.suppress:
            # a layout of tables protected already (``counts=[]``: text views): the cells
            # those protections hid are counted here too, so disclosure.json says what this
            # output hides
            record.carried_suppressed = sum(
                sum(isinstance(value, str) and MARKER in value for value in column)
                for _, column in source.items()
                if not pd.api.types.is_numeric_dtype(column.dtype))  # numbers hold no marker
            if record.carried_suppressed:
                record.status = "suppressed"
                record.notes.append(f"a layout of tables protected already: "
                                    f"{record.carried_suppressed} cell(s) hidden there")
            else:
                record.notes.append("no count columns found: nothing to check")
        result = _finish(source, pd.DataFrame(mask, index=source.index), record, index_names)
        result.frame.attrs = {**table.attrs, **result.frame.attrs}
        return result

    keys_index = _Keys(frame, keys + by)
    groupings = _groupings(keys_index, keys, by)
    if declared:
        rate_spec = {**dict.fromkeys(extremes, (None, None)), **given_rates}
    else:
        hint = _ratio_hint(frame, counts, keys_index, groupings)
        rate_spec = {**_default_rates(frame, counts, keys + by, kind, hint),
                     **dict.fromkeys(extremes, (None, None)), **given_rates}
    rate_spec = {c: v for c, v in rate_spec.items() if c not in counts and c not in keys + by}
    copies = _copied_columns(frame, counts + [c for c in rate_spec if _is_count_like(frame[c])],
                             counts)
    all_counts, counts = counts, [c for c in counts if c not in copies]
    block, column_groups, depends = _count_block(frame, counts, rate_spec, kind,
                                                 column_total, columns_add_up,
                                                 guess=not declared)
    n_rows, n_columns = block.shape
    values = block.ravel()
    known = ~np.isnan(values)
    primary = profile.is_disclosive(values) & known
    if (decided or decided_totals) and secondary == "greedy":
        raise ParameterError(f"protect({name!r}): decided= needs secondary='optimal' (the "
                             "greedy pass cannot keep a cell printed).")
    required, printed = _decided_cells(decided, counts, name, (n_rows, n_columns))
    lines = _decided_lines(decided_totals, frame, keys_index, groupings, counts, name,
                           n_columns)
    constant: dict[int, set[str]] = {}
    if (primary | required).any() or lines:  # nothing small, nothing to hide: no constraints
        constant = _constant_columns(frame, counts, keys_index, groupings, column_groups)
        constraints = _constraints_for(frame, keys_index, groupings, column_groups, n_columns,
                                       constant)
        # a line whose total another table hides: its total assumed public no longer (a
        # latent cell protected like a small count); a line of one category is its total
        public = {(tuple(m.tolist()), t): k for k, (m, t) in enumerate(constraints)}
        hidden_totals = [(members, True) for members in lines if len(members) > 1
                         and (tuple(members.tolist()), -1) in public]
        for members in lines:
            if len(members) == 1:
                required[members] = True
        # a helper column beside a hidden total (a share's complement: cases followed less
        # an outcome's) has a line total that follows from it: unknown too, not assumed public
        hidden_totals += [(helper, False) for helper in _helper_lines(
            [m for m, _ in hidden_totals], column_groups, n_columns, len(counts))
            if (tuple(helper.tolist()), -1) in public]
        drop = {public[(tuple(m.tolist()), -1)] for m, _ in hidden_totals}
        required &= known & ~primary
        printed &= known & ~primary & ~required
        system = _CellSystem(np.nan_to_num(values), constraints, known)
        shown = np.zeros((n_rows, n_columns), dtype=bool)
        shown[:, :len(counts)] = True
        layout = {"shown": shown.ravel(),
                  "headline": _headline_cells(
                      frame, keys + by if headline_keys is None else
                      [k for k in headline_keys if k in frame.columns], n_columns, len(counts)),
                  "derived": _helper_sources(column_groups, n_rows, n_columns, len(counts))}

        def choose(required: np.ndarray, printed: np.ndarray):
            if secondary != "greedy":
                return _secondary_optimal(system, primary | required, profile, **layout,
                                          trust_rounding=secondary == "optimal_rounding",
                                          decided=required, known=printed)
            chosen, ok = _secondary(system, primary, profile.threshold)
            if not ok:
                return chosen, ok, []
            return _greedy_checked(system, primary, chosen, profile, **layout)

        suppressed, protectable, notes = choose(required, printed)
        needed = printed & suppressed
        if protectable and needed.any():
            # a count printed elsewhere that this table's pattern still needs: left to the
            # table like any other cell (kept out, the pattern grew around it for nothing)
            printed = printed & ~needed
            suppressed, protectable, notes = choose(required, printed)
            notes.append(f"{int(needed.sum())} count(s) printed in another linked table are "
                         "needed by this table's pattern: chosen here as any cell")
        if not protectable and (required.any() or printed.any()):
            suppressed, protectable, notes = choose(np.zeros_like(required),
                                                    np.zeros_like(printed))
            notes.append("the cells decided with another linked table could not be kept: "
                         "this table is protected on its own")
        else:
            if required.any() or printed.any():
                notes.append(f"{int(required.sum())} cell(s) hidden and {int(printed.sum())} "
                             "printed as another linked table has them (the same quantity)")
            if hidden_totals and protectable:
                # the small counts are protected with every total taken as known (a reader of
                # the other table may learn it); then the totals that table hides are kept
                # unknown here too, by hiding more where this pattern gives one away
                suppressed, notes_totals = _keep_totals_unknown(
                    _CellSystem(np.nan_to_num(values),
                                [c for k, c in enumerate(constraints) if k not in drop],
                                known, hidden_totals),
                    suppressed, primary | required, profile, known=printed, **layout)
                notes += notes_totals
        record.notes += notes
    else:
        suppressed, protectable = primary.copy(), True
    suppressed = suppressed.reshape(n_rows, n_columns)
    for j, dims in constant.items():
        # A repeated total is one number: hidden in one row means hidden in all its rows.
        for dim in dims:
            ids = keys_index.ids(groupings[dim][0])
            suppressed[:, j] = np.bincount(ids, weights=suppressed[:, j])[ids] > 0
    primary = primary.reshape(n_rows, n_columns)
    real = len(counts)
    if not protectable:
        suppressed[:] = True
        record.notes.append("some hidden cells could not be protected by secondary "
                            "suppression: the whole table is withheld")
    present = {c: frame[c].notna().to_numpy() for c in list(depends) + list(copies)}
    for column in depends:  # a share of a denominator of 0 is blank, but not by construction:
        inputs = [c for c in rate_spec.get(column, ()) if c in counts]  # hidden with its counts
        if inputs:
            present[column] = present[column] | np.logical_and.reduce(
                [frame[c].notna().to_numpy() for c in inputs])
    for j, column in enumerate(counts):
        mask[column] = suppressed[:, j].copy()
    for column, columns in depends.items():
        mask[column] = suppressed[:, columns].any(axis=1) & present[column]
    for copy, (source_column, lag) in copies.items():
        shifted = np.append(np.zeros(lag, dtype=bool), mask[source_column][: n_rows - lag])
        mask[copy] = mask[copy] | (shifted & present[copy])
    for column in depends:
        for part in rate_spec.get(column, ()):
            if part in copies:
                mask[column] = mask[column] | mask[part]
        if column in extremes or (not declared and _EXTREME.search(column)):
            # a minimum or maximum is one person's value, whatever the cell count
            mask[column] = present[column].copy()
    record.primary_suppressed = int(primary[:, :real].sum())
    record.secondary_suppressed = int((suppressed[:, :real] & ~primary[:, :real]).sum())
    record.derived_suppressed = int(sum(mask[c].sum() for c in list(depends) + list(copies)))
    if (primary[:, real:] & ~suppressed[:, :real].any(axis=1, keepdims=True)).any():
        record.notes.append("implied numerators or complements of rates were small")
    if copies:
        record.notes.append("columns repeating another's counts hidden with them: "
                            + ", ".join(f"{c} ({s})" for c, (s, _) in copies.items()))
    engine_counts = counts
    counts = list(dict.fromkeys(all_counts + list(copies)))  # copies are counts, rounded too
    output = {c: series.array for c, series in frame.series.items()}
    hidden_or_missing = True
    for column in counts:
        numbers = frame[column].to_numpy(dtype=float, na_value=np.nan)
        if profile.round_base:
            record.rounded += int((~mask[column] & ~np.isnan(numbers)).sum())
            numbers = round_to_base(numbers, profile.round_base)
            output[column] = numbers
        hidden_or_missing &= bool((mask[column] | np.isnan(numbers)).all())
    if profile.round_base:  # shares from the rounded counts, so they do not undo the rounding
        output.update(rates_from_published(
            lambda c: frame[c].to_numpy(dtype=float, na_value=np.nan), output, rate_spec,
            counts, design_effect=deff))
    for rate, (count, key, value) in shares_of_row.items():
        output[rate], mask[rate] = _share_of_row(frame, output, mask, keys_index,
                                                 [k for k in keys + by if k != key],
                                                 rate, count, key, value)
    any_hidden = any(m.any() for m in mask.values())
    record.status = "withheld" if hidden_or_missing else "suppressed" if any_hidden else "pass"
    for column, hidden in mask.items():
        if not hidden.any():
            continue
        if pd.api.types.is_numeric_dtype(frame[column]):
            values_out = np.array(output[column], dtype=float, copy=True)
            values_out[hidden] = np.nan
        else:
            values_out = np.array(output[column], dtype=object, copy=True)
            values_out[hidden] = None
        output[column] = values_out
    result = _finish(pd.DataFrame(output, index=source.index),
                     pd.DataFrame(np.column_stack(list(mask.values())), index=source.index,
                                  columns=list(mask)), record, index_names, masked=True)
    result.frame.attrs = {**table.attrs, **result.frame.attrs}
    first = np.zeros((n_rows, len(counts)), dtype=bool)
    for j, column in enumerate(engine_counts):
        first[:, counts.index(column)] = primary[:, j]
    result.primary = pd.DataFrame(first, index=result.frame.index, columns=counts)
    return result


class _Columns:
    """A frame's columns, each fetched once (every DataFrame lookup builds a new Series)."""

    def __init__(self, frame: pd.DataFrame):
        self.series = {c: frame[c] for c in frame.columns}
        self.columns = list(frame.columns)
        self.index = frame.index

    def __getitem__(self, column: str) -> pd.Series:
        return self.series[column]

    def __contains__(self, column: object) -> bool:
        return column in self.series

    def __len__(self) -> int:
        return len(self.index)


def _share_of_row(frame, output, mask, keys_index, group_keys, rate, count, key, value):
    """``rate`` as the published ``count`` over the published ``count`` of its group's row
    whose ``key`` is ``value``; hidden where either is hidden (``protect(shares_of_row=)``)."""
    present = frame[rate].notna().to_numpy()
    numbers = np.array(output[count], dtype=float, copy=True)
    numbers[mask[count]] = np.nan
    group = keys_index.ids(group_keys)
    base = (frame[key] == value).to_numpy()
    total = np.full(int(group.max(initial=0)) + 1, np.nan)
    total[group[base]] = numbers[base]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = numbers / total[group]
    hidden = (mask[rate] | ~np.isfinite(share)) & present
    return np.where(present & ~hidden, share, np.nan), hidden


def _count_block(frame, counts, rate_spec, kind, column_total, columns_add_up, guess=True):
    """The count cells as a rows × columns array, plus hidden helper columns for rates.

    A rate ``a / b`` reveals ``a`` and ``b − a`` too, so each rate with a count denominator adds
    the complement (and, for ``kind="rates"`` without a numerator column, the implied numerator
    ``estimate × n``) as extra columns that must pass the same rules and never get published.
    """
    block = [frame[c].to_numpy(dtype=float) for c in counts]
    position = {c: i for i, c in enumerate(counts)}
    total_name = column_total or (next(
        (c for c in counts if c.strip().lower() in TOTAL_WORDS), None) if guess else None)
    if columns_add_up is None and not guess:
        columns_add_up = total_name is not None  # declared: one count column, or a total
    elif columns_add_up is None:
        denominators = {d for _, d in rate_spec.values() if d}
        columns_add_up = total_name is not None or (
            len(counts) >= 2 and not denominators.intersection(counts)
            and not set(_DENOMINATOR_NAMES).intersection(counts))
    column_groups: list[tuple[list[int], int]] = []
    if columns_add_up:
        members = [position[c] for c in counts if c != total_name]
        column_groups.append((members, position[total_name] if total_name else -1))
    depends: dict[str, list[int]] = {}
    implied: dict[str, list[int]] = {}
    everything = list(range(len(counts)))
    for column, (numerator, denominator) in rate_spec.items():
        if denominator in position and (numerator in position or kind == "rates"):
            key = f"{numerator}/{denominator}"
            if key not in implied:
                den = block[position[denominator]]
                if numerator in position:
                    num_index = position[numerator]
                    num = block[num_index]
                else:
                    estimate = frame["estimate"] if "estimate" in frame else frame[column]
                    estimate = pd.to_numeric(estimate, errors="coerce").to_numpy(dtype=float)
                    scale = 100.0 if np.nanmax(np.append(estimate, 0)) > 1 else 1.0
                    num = np.round(estimate / scale * den)
                    block.append(num)
                    num_index = len(block) - 1
                block.append(den - num)
                column_groups.append(([num_index, len(block) - 1], position[denominator]))
                implied[key] = [num_index, len(block) - 1, position[denominator]]
            depends[column] = implied[key]
        elif numerator in position or denominator in position:
            depends[column] = [position[c] for c in (numerator, denominator) if c in position]
        else:
            depends[column] = everything
    return np.column_stack(block), column_groups, depends


def _finish(frame, mask, record, index_names, masked: bool = False) -> ProtectedTable:
    for column in mask.columns[mask.to_numpy().any(axis=0)] if not masked else ():
        hidden = mask[column].to_numpy()
        if pd.api.types.is_numeric_dtype(frame[column]):
            values = frame[column].to_numpy(dtype=float, na_value=np.nan, copy=True)
            values[hidden] = np.nan
        else:
            values = frame[column].to_numpy(dtype=object, copy=True)
            values[hidden] = None
        frame[column] = values
    if record.profile == "internal":
        frame.attrs["label"] = INTERNAL_LABEL
    frame.attrs["disclosure"] = {"name": record.name, "profile": record.profile,
                                 "status": record.status}
    if isinstance(index_names, pd.Index):
        frame.index = mask.index = index_names
    elif index_names:
        attrs = frame.attrs
        frame = frame.set_index(index_names)
        mask = mask.drop(columns=index_names).set_axis(frame.index, axis=0)
        frame.attrs = attrs
    return ProtectedTable(frame, mask, record)


# -- linked tables: one protection for the whole run ---------------------------------------

@dataclass
class LinkedProtection:
    """The shared suppression pattern of a run's linked tables (force × category, nationally).

    Built once by :func:`protect_linked`, saved to the run folder, and read by every force
    notebook and the national overview, so no report hides a cell another report reveals.
    Only protected values are stored (never the raw small counts).

    A force report reads its own rows and its peers' (:meth:`view`): the run saves each force
    a view of those rows beside the whole file, so a report does not parse and build every
    force's rows. ``dropped`` lists the run's forces a view leaves out: asking a view for one
    of them (or for a whole table) is an error, never an empty answer that would read as
    "nothing hidden".
    """

    by: str
    profile: str
    tables: dict[str, dict] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    _frames: dict = field(
        default_factory=dict, repr=False, compare=False)

    def view(self, forces: Iterable[str]) -> LinkedProtection:
        """The same protection holding only the rows of ``forces`` (the same pattern, values
        and records; a force's slice of a view equals its slice of the whole)."""
        keep = {str(force) for force in forces}
        tables, seen = {}, set(self.dropped)
        for name, entry in self.tables.items():
            at = entry["columns"].index(self.by)
            rows = [i for i, row in enumerate(entry["rows"]) if str(row[at]) in keep]
            seen.update(str(row[at]) for row in entry["rows"])
            tables[name] = {**entry, **{part: [entry[part][i] for i in rows]
                                        for part in ("rows", "mask", "primary")}}
        return LinkedProtection(by=self.by, profile=self.profile, tables=tables,
                                dropped=sorted(seen - keep))

    @property
    def names(self) -> list[str]:
        return list(self.tables)

    def _whole(self, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The protected table and its mask, built from the stored rows once, then reused."""
        if name not in self.tables:
            raise ParameterError(f"no linked table {name!r}; linked tables: {self.names}.")
        if name not in self._frames:
            entry = self.tables[name]
            numeric = set(entry["counts"] + entry["rates"])
            # built column by column in one go (every report of a run reads every table)
            columns = zip(*entry["rows"]) if entry["rows"] else ([] for _ in entry["columns"])
            frame = pd.DataFrame({
                column: (_as_numbers(values) if column in numeric else list(values))
                for column, values in zip(entry["columns"], columns)}, columns=entry["columns"])
            hidden = np.array(entry["mask"], dtype=bool).reshape(len(frame), len(entry["columns"]))
            mask = pd.DataFrame(hidden, columns=entry["columns"])
            self._frames[name] = (frame, mask)
        return self._frames[name]

    def _rows(self, name: str, force: str | None) -> tuple[np.ndarray, dict]:
        """Row positions of ``force`` (all rows when None) and the record of that slice."""
        key = (name, force)
        if key not in self._frames:
            if self.dropped and (force is None or str(force) in self.dropped):
                what = "the whole table" if force is None else f"the rows of {force!r}"
                raise DisclosureError(
                    f"linked table {name!r}: this view of the run's linked tables (a report's "
                    f"own and its peers' rows) leaves out {what}; open the run's whole linked "
                    "file where a report reads other forces' rows.")
            frame, mask = self._whole(name)
            entry = self.tables[name]
            rows = (np.arange(len(frame)) if force is None else
                    np.flatnonzero(frame[self.by].to_numpy(dtype=str) == str(force)))
            if len(rows) == 0:
                raise ParameterError(
                    f"linked table {name!r} has no rows for {self.by}={force!r}.")
            record = {**entry["record"], "name": name}
            # counted from the mask as it stands, for a force's slice and for the whole table
            # alike: the run's links between linked tables hide cells after protection
            # (reporting/linked_quantities.py), which the protection's own record does not
            # count (the national overview's disclosure.json said "pass" beside them)
            hidden = mask.to_numpy()[rows]
            position = {c: k for k, c in enumerate(mask.columns)}
            primary = int(np.asarray(entry["primary"], dtype=bool)[rows].sum())
            counted = int(hidden[:, [position[c] for c in entry["counts"]]].sum())
            record.update(
                n_cells=len(rows) * len(entry["counts"]), primary_suppressed=primary,
                secondary_suppressed=counted - primary,
                derived_suppressed=int(hidden[:, [position[c] for c in entry["rates"]]].sum()))
            if record.get("status") not in ("internal", "withheld"):
                record["status"] = "suppressed" if hidden.any() else "pass"
            record["notes"] = [f"linked: suppression pattern shared by every report of the "
                               f"run ({self.by} × category protected once, national totals "
                               "included)"]
            self._frames[key] = (rows, record)
        return self._frames[key]

    def _keyed(self, name: str, force: str | None, keys: list[str]) -> pd.Index:
        """The row keys of ``force``'s slice on ``keys`` (what a report's rows are matched on)."""
        key = (name, force, tuple(keys))
        if key not in self._frames:
            whole, _ = self._whole(name)
            rows, _ = self._rows(name, force)
            self._frames[key] = pd.Index(_row_keys(whole.iloc[rows], keys))
        return self._frames[key]

    def _array(self, name: str, column: str) -> tuple[np.ndarray, np.ndarray]:
        """One column of the table as (published values, hidden) arrays, made when asked."""
        key = (name, "array", column)
        if key not in self._frames:
            whole, mask = self._whole(name)
            self._frames[key] = (whole[column].to_numpy(), mask[column].to_numpy())
        return self._frames[key]

    def _protected(self, name: str, force: str | None, positions: np.ndarray | None = None,
                   columns: list[str] | None = None) -> ProtectedTable:
        frame, mask = self._whole(name)
        rows, record = self._rows(name, force)
        every = not columns or columns == list(frame.columns)
        if positions is None and every:
            # a whole slice: cut from the table once, then copied out (a report reads its
            # peers' slices of the same tables many times; callers may change what they get)
            key = (name, force, "slice")
            if key not in self._frames:
                self._frames[key] = (frame.iloc[rows].reset_index(drop=True),
                                     mask.iloc[rows].reset_index(drop=True))
            protected, hidden = (part.copy() for part in self._frames[key])
        else:
            take = rows if positions is None else rows[positions]
            where = slice(None) if every else frame.columns.get_indexer(columns)
            protected = frame.iloc[take, where].reset_index(drop=True)
            hidden = mask.iloc[take, where].reset_index(drop=True)
        record = OutputRecord(**{**record, "rules": list(record["rules"]),
                                 "notes": list(record["notes"])})
        protected.attrs["disclosure"] = {"name": name, "profile": self.profile,
                                         "status": record.status, "linked": True}
        return ProtectedTable(protected, hidden, record)

    def table(self, name: str) -> ProtectedTable:
        """The whole protected linked table (for the national overview)."""
        return self._protected(name, None)

    def slice(self, name: str, force: str) -> ProtectedTable:
        """One force's rows of a linked table, with the run's suppression pattern."""
        return self._protected(name, force)

    def apply(self, frame: pd.DataFrame, name: str, force: str | None = None) -> ProtectedTable:
        """Protect ``frame`` with the shared pattern, after checking it is the same table.

        Raises
        ------
        DisclosureError
            When the frame's published counts differ from the linked table's (it was computed
            differently from the table the run protected), or it has rows the run did not see.
        """
        whole, whole_mask = self._whole(name)
        rows, _ = self._rows(name, force)
        entry = self.tables[name]
        named = any(n is not None for n in frame.index.names)
        frame = frame.reset_index() if named else frame.reset_index(drop=True)
        keys = [k for k in entry["keys"] if k in frame.columns]
        order = self._same_rows(frame, whole, rows, keys)
        if order is None:
            theirs = self._keyed(name, force, keys)
            if not theirs.is_unique:
                raise DisclosureError(
                    f"table {name!r} lacks the key column(s) that tell the linked table's rows "
                    f"apart (it has {keys}; the run's table has {entry['keys']}). A table of "
                    "national totals is a different table: give it another name.")
            order = theirs.get_indexer(_row_keys(frame, keys))
            if (order < 0).any():
                raise DisclosureError(
                    f"table {name!r} has rows the run's linked table does not (keys {keys}); "
                    "compute it with the same function and categories as the runner did.")
        base = PROFILES[self.profile].round_base
        for column in entry["counts"]:
            if column not in frame:
                continue
            published, hidden = self._array(name, column)
            shown = ~hidden[rows[order]]
            mine = round_to_base(frame[column].to_numpy(dtype=float), base)[shown]
            theirs_values = published[rows[order]][shown].astype(float)
            if not np.allclose(mine, theirs_values, equal_nan=True):
                raise DisclosureError(
                    f"table {name!r}{'' if force is None else f' for {force}'}: column "
                    f"{column!r} differs from the run's linked table; the report must show the "
                    "same numbers the runner protected (same cases, same function).")
        columns = [c for c in frame.columns if c in whole.columns]
        if entry.get("complete"):
            # every row of the slice, whether or not the report's frame has it: a category
            # missing from a table would read as 0 (issue 16, item 3)
            return self._protected(name, force, None, columns)
        in_order = len(order) == len(rows) and bool((order == np.arange(len(rows))).all())
        return self._protected(name, force, None if in_order else order, columns)

    @staticmethod
    def _same_rows(frame: pd.DataFrame, whole: pd.DataFrame, rows: np.ndarray,
                   keys: list[str]) -> np.ndarray | None:
        """The rows in order (``arange``) when ``frame`` holds the slice's keys row by row and
        no key twice, as a report's table computed like the runner's does; else None (matched
        on text keys instead). Equal keys need no text joined for every row: a report joined
        them for each of its 17 linked tables, a quarter of the time it spent applying the
        run's pattern in a profile (a tenth, timed without one)."""
        if len(frame) != len(rows) or not keys:
            return None
        columns = [frame[key].to_numpy(dtype=object) for key in keys]
        for key, mine in zip(keys, columns):
            try:
                if not (mine == whole[key].to_numpy(dtype=object)[rows]).all():
                    return None
            except (TypeError, ValueError):  # a missing key (pd.NA) compares as neither
                return None
        if len(set(zip(*columns))) < len(frame):
            return None  # a key twice: the slow path says which key columns are missing
        return np.arange(len(rows))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"by": self.by, "profile": self.profile, "tables": self.tables,
                   **({"dropped": self.dropped} if self.dropped else {})}
        # compact: with an indent, json encodes in Python, not C (a run writes 44 of these)
        path.write_text(json.dumps(payload, separators=(",", ":"), default=_json_default),
                        encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> LinkedProtection:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(by=payload["by"], profile=payload["profile"], tables=payload["tables"],
                   dropped=list(payload.get("dropped", [])))


def _as_numbers(values) -> np.ndarray:
    """A stored numeric column as ``pd.to_numeric(..., errors="coerce")`` reads it (None, a
    missing value, as NaN; whole numbers alone stay integers), with numpy reading the stored
    numbers directly: four times faster on the columns a linked file holds."""
    array = np.array(values)
    if len(array) and array.dtype.kind in "iuf":
        return array
    if array.dtype == object:  # numbers and None (a text would be coerced to NaN below)
        try:
            return array.astype(float)
        except (TypeError, ValueError):
            pass
    return pd.to_numeric(np.array(values, dtype=object), errors="coerce")


def _row_keys(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """One text key per row joining the key columns (for matching rows between tables)."""
    joined = np.full(len(frame), "", dtype=object)
    for key in keys:
        joined = joined + "\x1f" + frame[key].astype(str).to_numpy(dtype=object)
    return joined


def protect_linked(
    tables: Mapping[str, pd.DataFrame | tuple[pd.DataFrame, dict]],
    *,
    by: str = "force",
    profile: str | DisclosureProfile | None = None,
    secondary: str = "optimal",
    declared: bool = False,
    decided: Sequence = (),
) -> LinkedProtection:
    """Protect tables that appear per force AND nationally, once, for the whole run.

    Each table holds every force's rows (a ``by`` column). ``by`` is treated as one more
    dimension that adds up, to national totals assumed public, so secondary suppression makes
    sure no force's hidden cell is the only hidden one in its national line.

    Parameters
    ----------
    tables : dict
        ``{name: frame}`` or ``{name: (frame, options)}`` with ``options`` for :func:`protect`
        (``counts=``, ``rates=``, ``kind=``...).
    secondary : {"optimal", "greedy"}
        ``"optimal"`` (default): secondary cells chosen by integer programming at least cost,
        a force's total-row ("all") figures costing ``HEADLINE_FACTOR`` times their value, so
        they are hidden only when no cheaper complement exists (issue 16).
        ``"greedy"``: the previous greedy pass, kept for comparison
        (``benchmarks/headline_suppression.py``). ``"optimal_rounding"``: see :func:`protect`.
    declared : bool
        Every table's structure is declared in its options (:func:`protect`'s ``declared``;
        the ``by`` column is a key): what the report runner does.
    decided : sequence of rules
        Quantities two tables publish, decided once: each rule (``.table``, ``.source``,
        ``.options``, ``.action``: ``reporting.linked_quantities.DECIDED_TOGETHER``) gives its
        ``table``, before it is protected, the cells its ``source`` (listed before it in
        ``tables``) hides or prints: :func:`.linked_shares.decided_cells`, passed to
        :func:`protect` as ``decided``; or the rows whose parts add up to a total the source
        hides (``reporting.linked_quantities.DECIDED_PARTS``,
        :func:`.linked_shares.decided_parts`), passed as ``decided_totals``. The action's
        ``protect_option`` says which.

    Examples
    --------
    >>> table = pd.DataFrame({"force": ["a", "a", "b", "b", "c", "c"],
    ...                       "outcome_group": ["charge", "other"] * 3,
    ...                       "n": [3, 40, 25, 60, 30, 55]})
    >>> linked = protect_linked({"outcome_mix": table}, profile="partner")
    >>> linked.slice("outcome_mix", "a").display()["n"].tolist()
    ['[c]', '[c]']
    """
    profile = get_profile(profile)
    result = LinkedProtection(by=by, profile=profile.name)
    done: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}  # true frame, mask
    for name, spec in tables.items():
        frame, options = spec if isinstance(spec, tuple) else (spec, {})
        if by not in frame:
            raise ParameterError(f"linked table {name!r} needs a {by!r} column.")
        if declared:
            options = {**options, "keys": [by, *options.get("keys", [])]}
        fixed: dict[str, dict] = {"decided": {}, "decided_totals": {}}
        for rule in decided:
            if rule.table != name:
                continue
            for source in rule.named():
                if source != name and source not in done:
                    raise DisclosureError(
                        f"linked table {name!r} is decided with {source!r}, which must be "
                        f"protected before it (listed earlier; the run has {list(tables)}).")
            have = {name: set(frame.columns),
                    **{source: set(done[source][0].columns) for source in rule.named()
                       if source != name}}
            missing = {table: sorted(set(columns) - have[table])
                       for table, columns in rule.named().items() if set(columns) - have[table]}
            if missing:
                raise DisclosureError(
                    f"linked table {name!r} is decided with {rule.source!r} on columns the "
                    f"tables do not have: {missing}. Update the rule to the tables' new names.")
            option = getattr(rule.action, "protect_option", "decided")
            ours = fixed[option]
            # an action that reads a third table (a total) gets every table protected so far
            extra = {"tables": done} if getattr(rule.action, "reads_tables", False) else {}
            for column, (first, second) in rule.action(frame.reset_index(drop=True),
                                                       *done[rule.source],
                                                       **rule.options, **extra).items():
                if column not in ours:
                    ours[column] = (first, second)
                elif option == "decided":  # several rules, one column: hidden or printed
                    ours[column] = (ours[column][0] | first, ours[column][1] | second)
                elif ours[column][0] != first:
                    raise DisclosureError(
                        f"linked table {name!r}: column {column!r} adds up to totals of other "
                        f"tables along both {ours[column][0]!r} and {first!r}; declare one.")
                else:  # parts of totals two tables hide (or one table, two rules)
                    ours[column] = (first, ours[column][1] | second)
        options = {**options, **{option: value for option, value in fixed.items() if value}}
        protected = protect(frame, name=name, profile=profile,
                            **{"secondary": secondary, "declared": declared, **options})
        if any(name in rule.named() and name != rule.table for rule in decided):
            done[name] = (frame.reset_index(drop=True),
                          protected.mask.reset_index(drop=True))
        table = protected.frame.reset_index() if not isinstance(
            protected.frame.index, pd.RangeIndex) else protected.frame
        mask = protected.mask.reset_index(drop=True)
        counts = [c for c in table.columns if c in frame.columns and _is_count_like(frame[c])
                  and not _RATE_WORDS.search(c) and not _KEY_WORDS.search(c)]
        counts = list(options.get("counts", counts))
        numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
        if declared:  # the declared rates, extremes and whatever else is numeric and not a key
            split = options.get("by") or []
            keys_of = {*options["keys"], *([split] if isinstance(split, str) else split)}
            rates = [c for c in numeric if c not in counts and c not in keys_of]
        else:
            rates = [c for c in numeric
                     if c not in counts and c != by and not _KEY_WORDS.search(c)]
        # A declared rate is a rate even when every value is missing (an all-None column is not
        # numeric): as a key it would never match the same table of a report.
        rates += [c for c in options.get("rates", {}) if c in table.columns and c not in rates]
        keys = [c for c in table.columns if c not in counts and c not in rates]
        result.tables[name] = {
            "keys": keys, "counts": counts, "rates": rates, "columns": list(table.columns),
            "rows": table.astype(object).where(table.notna(), None).to_numpy().tolist(),
            "mask": mask.reindex(columns=table.columns, fill_value=False).to_numpy().tolist(),
            "primary": (protected.primary.reindex(columns=counts, fill_value=False)
                        .to_numpy().tolist() if protected.primary is not None
                        else [[False] * len(counts)] * len(table)),
            "record": {k: v for k, v in protected.record.to_dict().items()
                       if k != "cells_suppressed"},
        }
    return result


# -- the notebook-facing object -------------------------------------------------------------

class DisclosureControl:
    """Protects, shows and logs every output of one report: what notebooks call.

    Parameters
    ----------
    profile : str, optional
        ``publication``, ``partner`` or ``internal``; None reads ``SOTERIA_DISCLOSURE``.
    log_path : path, optional
        Where :meth:`write_log` writes ``disclosure.json`` when given no path.
    linked : LinkedProtection or path, optional
        The run's shared protection of linked tables (see the module docstring).
    force : str, optional
        The force this report is about (selects its slice of linked tables).
    declared : bool
        Every count or rate table's structure must be declared (``protect(declared=True)``):
        reports set it; interactive use may leave the structure to be guessed from names.
    run_pattern : dict, optional
        This report's view of the run-level protection (``reporting.run_pattern.
        report_pattern``): its national figures and own declared tables are hidden, after
        this report's own protection, wherever the run hides them
        (``run_pattern.apply_pattern``).

    Examples
    --------
    >>> dc = DisclosureControl(profile="publication")
    >>> table = pd.DataFrame({"outcome_group": ["charge", "no_suspect", "other"],
    ...                       "n": [3, 41, 57]})
    >>> dc.show(table, name="outcome_mix", styled=False)["n"].tolist()
    ['[c]', '[c]', 55]
    >>> dc.summary()[["name", "status", "cells_suppressed"]].values.tolist()
    [['outcome_mix', 'suppressed', 2]]
    """

    def __init__(self, profile: str | None = None, log_path: str | Path | None = None,
                 linked: LinkedProtection | str | Path | None = None,
                 force: str | None = None, declared: bool = False,
                 run_pattern: dict | None = None) -> None:
        self.profile = get_profile(profile)
        self.run_pattern = run_pattern
        #: Every table's structure is declared by its caller (``protect(declared=True)``):
        #: the reports' setting, so a renamed column cannot change what is suppressed.
        self.declared = declared
        self.log_path = Path(log_path) if log_path else None
        if linked is not None and not isinstance(linked, LinkedProtection):
            linked = LinkedProtection.load(linked)
        if linked is not None and linked.profile != self.profile.name:
            raise ParameterError(
                f"the run's linked tables were protected under {linked.profile!r} but this "
                f"report uses {self.profile.name!r}: use one profile for the whole run.")
        self.linked = linked
        self.force = force
        self._records: dict[str, OutputRecord] = {}

    # -- protecting ----------------------------------------------------------------------
    def protect(self, frame: pd.DataFrame, *, name: str, kind: str = "counts",
                **options) -> ProtectedTable:
        """Protect one output (see :func:`protect`) and record it in the log."""
        # An empty slice (a short report period) has nothing to share: it is protected alone.
        if self.linked is not None and name in self.linked.names and kind in ("counts",
                                                                              "rates") \
                and len(frame):
            result = self.linked.apply(frame, name, self.force)
        else:
            if kind in ("counts", "rates"):
                options = {"declared": self.declared, **options}
                if not len(frame):  # no cells: a linked table's empty slice declares none
                    options.setdefault("counts", [])
            result = protect(frame, name=name, kind=kind, profile=self.profile, **options)
        if self.run_pattern is not None and self.profile.suppress and len(frame):
            from ..run_pattern import apply_pattern

            apply_pattern(result, name, self.run_pattern, self.profile,
                          national=self.force is None)
        self._records[name] = result.record
        return result

    def show(self, frame: pd.DataFrame, *, name: str, kind: str = "counts",
             styled: bool = True, caption: str | None = None, **options):
        """The protected output, ready to display: a ``Styler`` (or a DataFrame with "[c]").

        ``options`` go to :func:`protect` (``counts=``, ``rates=``, ``by=``),
        :func:`protect_curve` or :func:`protect_model` (``df_resid=``).
        """
        shown = self.displayed(self.protect(frame, name=name, kind=kind, **options))
        if not styled:
            return shown
        text = " ".join(t for t in (caption, self.caption()) if t)
        styler = shown.style.set_caption(text).format(precision=3, na_rep="", thousands=",")
        if isinstance(shown.index, pd.RangeIndex):
            styler = styler.hide(axis="index")
        return styler

    def displayed(self, result: ProtectedTable) -> pd.DataFrame:
        """A protected output as :meth:`show` presents it (unstyled): "[c]" in hidden cells, a
        line saying so when the whole output is withheld, and what was done in ``.attrs``."""
        shown = result.display()
        if result.record.status == "withheld" and shown.empty:
            said = [n for n in result.record.notes
                    if self.profile.name != "publication" or not n.startswith(WHY)]
            note = said[-1] if said else "withheld"
            shown = pd.DataFrame({"disclosure control": [note]})
        shown.attrs = {"disclosure": {"name": result.record.name, "profile": self.profile.name,
                                      "status": result.record.status}}
        if self.profile.label:
            shown.attrs["label"] = self.profile.label
        return shown

    def check_figure_data(self, frame: pd.DataFrame, *, name: str, kind: str = "counts",
                          **options) -> pd.DataFrame:
        """The frame a figure may be drawn from: protected (NaN where hidden) and logged.

        A frame that already came out of :meth:`protect`/:func:`protect` under this profile
        passes unchanged; anything else is protected now (``options`` as for :meth:`show`).
        """
        info = frame.attrs.get("disclosure")
        if info and info.get("profile") == self.profile.name:
            return frame
        return self.protect(frame, name=name, kind=kind, **options).frame

    def safe_count(self, value, *, name: str):
        """One count for ``metrics.json``: rounded, or "[c]" when it is disclosive.

        A lone count has no table around it, so only primary suppression and rounding apply;
        counts that are also in a table must be taken from that table's protected frame.
        """
        record = OutputRecord(name=name, kind="count", profile=self.profile.name,
                              rules=_rules_applied(self.profile, "count"), n_cells=1)
        if value is None or pd.isna(value):
            self._records[name] = record
            return None
        if self.profile.is_disclosive(np.array([value])).item():
            record.primary_suppressed, record.status = 1, "suppressed"
            self._records[name] = record
            return MARKER
        record.status = "internal" if not self.profile.suppress else "pass"
        if self.profile.round_base:
            record.rounded = 1
        self._records[name] = record
        return int(round_to_base(np.array([value]), self.profile.round_base).item())

    def safe_rate(self, value, *, numerator, denominator, name: str):
        """One rate for ``metrics.json``: hidden ("[c]") when its numerator, denominator or
        their difference is disclosive."""
        record = OutputRecord(name=name, kind="rate", profile=self.profile.name,
                              rules=_rules_applied(self.profile, "rates"), n_cells=1)
        parts = np.array([numerator, denominator, denominator - numerator], dtype=float)
        if self.profile.is_disclosive(parts).any():
            record.derived_suppressed, record.status = 1, "suppressed"
            self._records[name] = record
            return MARKER
        record.status = "internal" if not self.profile.suppress else "pass"
        self._records[name] = record
        return None if value is None or pd.isna(value) else float(value)

    # -- reporting what was done ---------------------------------------------------------
    def caption(self) -> str:
        """The line under every table saying what disclosure control did."""
        return _caption(self.profile)

    @property
    def records(self) -> list[OutputRecord]:
        return list(self._records.values())

    def record(self, name: str) -> OutputRecord | None:
        """The log entry of output ``name`` (None before it is protected)."""
        return self._records.get(name)

    def restore(self, records: Iterable[OutputRecord | None]) -> None:
        """Log again, as they were, records taken from :meth:`record` (an output protected once
        and shown again from a copy); kept as copies, so later changes to either do not reach
        the other."""
        for record in records:
            if record is not None:
                self._records[record.name] = deepcopy(record)

    def summary(self) -> pd.DataFrame:
        """One row per output: name, kind, status, cells suppressed and rounded."""
        return _summary(self.records)

    def write_log(self, path: str | Path | None = None) -> Path:
        """Write ``disclosure.json``: the profile, its rules and every output's record.

        At ``publication`` it says how many cells of each output were hidden, not why.
        """
        path = Path(path) if path else self.log_path
        if path is None:
            raise ParameterError("write_log() needs a path (or DisclosureControl(log_path=)).")
        return _write_log(path, self.profile, self.records, force=self.force,
                          linked_tables=self.linked.names if self.linked else [])

    def appendix(self) -> str:
        """A short Markdown appendix: the rules, and what they did to this report."""
        return _appendix(self.profile, self.records)

    def _repr_markdown_(self) -> str:
        return self.appendix()


