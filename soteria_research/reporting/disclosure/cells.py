"""The run's cell system: one cell per quantity identity, and the additivity readers know.

A quantity P equals the sum of P∪{d=v} over every category v of a dimension d with a complete
category list, whenever all those cells exist; a total that no table publishes becomes a
*latent* cell (unknown to readers, but linking the tables that add up to it). Declared totals
are *known* cells (published elsewhere, exactly); structural zeros are known to be 0. A share
adds its *complement* (denominator minus numerator), which a reader learns as surely as the
numerator.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse

from ...errors import DisclosureError
from .spec import describe

__all__ = ["CellBuilder", "CellSystem"]

SHOWN, LATENT, KNOWN, STRUCTURAL = 1, 2, 4, 8


@dataclass
class CellSystem:
    """Cells (identities, true values, flags) and relations ``sum(members) == total``."""

    identities: list[frozenset]
    values: np.ndarray
    flags: np.ndarray
    headline: np.ndarray
    weight: np.ndarray
    relations: list[tuple[np.ndarray, int]]
    sources: list[list[str]] = field(default_factory=list)
    #: cells to hide and protect like small counts whatever their value: the same quantity is
    #: hidden in a table protected before (``legacy.protect(decided=...)``); None: none
    required: np.ndarray | None = None
    _matrix: sparse.csr_matrix | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.identities)

    @property
    def shown(self) -> np.ndarray:
        return (self.flags & SHOWN) > 0

    @property
    def latent(self) -> np.ndarray:
        return (self.flags & LATENT) > 0

    @property
    def fixed(self) -> np.ndarray:
        """Cells every reader knows exactly whatever is suppressed (declared totals, zeros)."""
        return (self.flags & (KNOWN | STRUCTURAL)) > 0

    def over(self, relation: int) -> set[str]:
        """The dimensions a relation adds up over (in its members' identities, not its
        total's); none for a share's complement (its members are numerator and complement)."""
        members, total = self.relations[relation]
        if any(d == "not" for m in members for d, _ in self.identities[m]):
            return set()
        return {d for d, _ in self.identities[members[0]]} - \
            {d for d, _ in self.identities[total]}

    def dimensions(self) -> set[str]:
        """Every dimension some relation adds up over."""
        return set().union(*(self.over(k) for k in range(len(self.relations))))

    def without_totals_over(self, dimensions) -> CellSystem:
        """The same cells without the relations adding up over ``dimensions``: a reader who
        does not know that a national figure is the sum of the forces' (a relaxation, whose
        pattern the attacker then checks on the whole system)."""
        dropped = set(dimensions)
        keep = [r for k, r in enumerate(self.relations) if not self.over(k) & dropped]
        return replace(self, relations=keep, _matrix=None)

    def matrix(self) -> sparse.csr_matrix:
        """Relations as rows: +1 on members, -1 on the total (each row sums to 0)."""
        if self._matrix is None:
            rows, cols, data = [], [], []
            for k, (members, total) in enumerate(self.relations):
                rows += [k] * (len(members) + 1)
                cols += [*members.tolist(), total]
                data += [1.0] * len(members) + [-1.0]
            self._matrix = sparse.csr_matrix((data, (rows, cols)),
                                             shape=(len(self.relations), len(self)))
        return self._matrix


class CellBuilder:
    """Collects cells from every registered table, then derives relations and latent totals."""

    def __init__(self) -> None:
        self.index: dict[frozenset, int] = {}
        self.identities: list[frozenset] = []
        self.values: list[float | None] = []
        self.flags: list[int] = []
        self.headline: list[bool] = []
        self.weight: list[float] = []
        self.sources: list[list[str]] = []
        self.categories: dict[str, tuple[str, ...]] = {}
        self.category_source: dict[str, str] = {}
        self.complements: list[tuple[int, int]] = []
        self.nested: list[int] = []
        #: ``{dimension: (coarser dimension, {category: coarser category})}``
        self.groupings: dict[str, tuple[str, dict[str, str]]] = {}
        #: ``(predicates, predicates)``: the same cases, counted under two names
        self.equal: list[tuple[frozenset, frozenset]] = []

    def _new(self, quantity: frozenset, value, flag: int, source: str | None) -> int:
        self.index[quantity] = len(self.identities)
        self.identities.append(quantity)
        self.values.append(value)
        self.flags.append(flag)
        self.headline.append(False)
        self.weight.append(1.0)
        self.sources.append([source] if source else [])
        return len(self.identities) - 1

    def add(self, quantity: frozenset, value: float, *, source: str, structural: bool = False,
            headline: bool = False, weight: float = 1.0) -> int:
        """Register one shown cell; the same identity twice must hold the same number."""
        value = float(value)
        cell = self.index.get(quantity)
        if cell is None:
            cell = self._new(quantity, value, SHOWN, source)
        else:
            if self.values[cell] is not None and self.values[cell] != value:
                raise DisclosureError(
                    f"the quantity {describe(quantity)} is {self.values[cell]:g} in "
                    f"{', '.join(self.sources[cell]) or 'a declared total'} but {value:g} in "
                    f"{source}: one quantity must be one number wherever it is published; "
                    "check the tables' identities (TableSpec where=/keys) or how they were built.")
            self.values[cell] = value
            self.flags[cell] = (self.flags[cell] | SHOWN) & ~LATENT
            if source not in self.sources[cell]:
                self.sources[cell].append(source)
        if structural:
            if value != 0:
                raise DisclosureError(
                    f"{source}: {describe(quantity)} is declared a structural zero but holds "
                    f"{value:g}; fix the table or its structural_zeros.")
            self.flags[cell] |= STRUCTURAL
        self.headline[cell] |= headline
        self.weight[cell] = max(self.weight[cell], weight)
        return cell

    def declare_categories(self, dimension: str, categories: tuple[str, ...], source: str):
        """A dimension's complete category list (the same in every table that gives one)."""
        known = self.categories.get(dimension)
        if known is not None and set(known) != set(categories):
            raise DisclosureError(
                f"dimension {dimension!r} has categories {list(known)} in "
                f"{self.category_source[dimension]} but {list(categories)} in {source}: a "
                "complete category list is the code list's, the same in every table.")
        self.categories[dimension] = tuple(categories)
        self.category_source.setdefault(dimension, source)

    def declare_grouping(self, dimension: str, into: str, mapping: dict[str, str],
                         source: str) -> None:
        """The categories of ``dimension`` grouped into those of a coarser dimension
        ``into`` (each outcome is ``ended``, ``open`` or ``transferred``): a quantity with
        ``into=g`` is the sum of the same quantity over the categories of ``dimension`` in
        ``g``, and ``into``'s categories are a complete list."""
        categories = self.categories.get(dimension)
        if categories is None:
            raise DisclosureError(f"{source}: group the categories of {dimension!r} after its "
                                  "complete category list is declared.")
        missing = sorted(set(categories) - set(mapping))
        extra = sorted(set(mapping) - set(categories))
        if missing or extra:
            raise DisclosureError(
                f"{source}: the grouping of {dimension!r} into {into!r} must name every "
                f"category once: {'missing ' + str(missing) if missing else ''}"
                f"{' ' if missing and extra else ''}{'unknown ' + str(extra) if extra else ''}.")
        coarse = tuple(dict.fromkeys(mapping[c] for c in categories))
        self.declare_categories(into, coarse, source)
        self.groupings[dimension] = (into, dict(mapping))

    def declare_equal(self, one: frozenset, other: frozenset) -> None:
        """Quantities with the predicates ``one`` count the same cases as those with
        ``other`` in their place (the funnel's charged stage is the outcome mix's charges
        where no case has a charge date under another outcome): each such pair is one
        number, and a pair that differs is refused."""
        self.equal.append((frozenset(one), frozenset(other)))

    def _equalities(self) -> list[tuple[np.ndarray, int]]:
        relations = []
        for one, other in self.equal:
            for cell, quantity in enumerate(list(self.identities)):
                if one <= quantity:
                    twin = self.index.get((quantity - one) | other)
                    if twin is not None:
                        relations.append((np.array([cell], dtype=np.int64), twin))
        return relations

    def declare_known(self, quantity: frozenset) -> int:
        """A total published elsewhere: every reader knows it exactly."""
        cell = self.index.get(quantity)
        if cell is None:
            cell = self._new(quantity, None, LATENT, None)
        self.flags[cell] |= KNOWN
        return cell

    def add_complement(self, numerator: int, denominator: int, *,
                       nested: bool = False) -> int | None:
        """The cases of a share's denominator not in its numerator, as a latent cell.

        The numerator's identity refines the denominator's (charged cases of a force, of all
        its cases); or, ``nested``, it names another category whose cases are a part of the
        denominator's (the funnel's charged stage, of the referred stage's cases).
        """
        num, den = self.identities[numerator], self.identities[denominator]
        if not (den < num or (nested and num != den)):
            return None
        quantity = den | {("not", describe(num - den))}
        cell = self.index.get(quantity)
        if cell is None:
            cell = self._new(quantity, None, LATENT, None)
        self.complements.append((numerator, cell, denominator))
        if nested:
            self.nested.append(cell)
        return cell

    def build(self) -> CellSystem:
        """Relations from identities (creating latent totals), values of latent cells, checks."""
        relations = self._partitions()
        relations += [(np.array([n, c]), d) for n, c, d in self.complements]
        relations += self._equalities()
        self._structural_sums(relations)
        values = self._fill_values(relations)
        return CellSystem(
            identities=list(self.identities), values=values,
            flags=np.array(self.flags, dtype=np.int64),
            headline=np.array(self.headline, dtype=bool),
            weight=np.array(self.weight, dtype=float), relations=relations,
            sources=[list(s) for s in self.sources])

    def _partitions(self) -> list[tuple[np.ndarray, int]]:
        groups: dict[tuple, dict[str, int]] = defaultdict(dict)
        parts_of: dict[tuple, tuple[str, ...]] = {}
        done: set[tuple] = set()
        relations: list[tuple[np.ndarray, int]] = []
        queue = list(range(len(self.identities)))
        while queue:
            self._partition_cells(queue, groups, parts_of, done, relations)
            queue = self._missing_parts(groups, parts_of, done)
        return relations

    def _missing_parts(self, groups, parts_of, done) -> list[int]:
        """A published whole with every part but one published: the last part is the whole
        less the others, a latent cell a reader knows (the suspects named in one case only,
        of the suspects named and those named in more than one). Returns the new cells."""
        new = []
        for key in sorted(set(groups) - done, key=lambda k: (describe(k[0]), k[1])):
            whole, dimension = key
            parts, group = parts_of[key], groups[key]
            if len(group) == len(parts) - 1 and whole in self.index and \
                    not self.flags[self.index[whole]] & LATENT:
                into = self.groupings.get(dimension, (None,))[0]
                if any(d == into for d, _ in whole):
                    continue  # a coarser category's parts: the finer whole lists them all
                missing = next(p for p in parts if p not in group)
                quantity = whole | {(dimension, missing)}
                if quantity not in self.index:
                    new.append(self._new(quantity, None, LATENT, None))
        return new

    def _partition_cells(self, queue, groups, parts_of, done, relations) -> None:
        while queue:
            cell = queue.pop()
            quantity = self.identities[cell]
            if any(dimension == "not" for dimension, _ in quantity):
                continue  # a complement's only relation is its share's (the rest is implied)
            # in a fixed order: a frozenset's order follows Python's string hashing, which
            # differs between processes, and the order of the latent cells and relations
            # can decide between patterns of equal cost
            for dimension, value in sorted(quantity):
                categories = self.categories.get(dimension)
                if categories is None or value not in categories:
                    continue
                parent = quantity - {(dimension, value)}
                wholes = [(parent, categories)]
                if dimension in self.groupings:
                    # also a part of its coarser category (an outcome of the cases ended)
                    into, mapping = self.groupings[dimension]
                    wholes.append((parent | {(into, mapping[value])},
                                   tuple(c for c in categories if mapping[c] == mapping[value])))
                for whole, parts in wholes:
                    group = groups[(whole, dimension)]
                    parts_of[(whole, dimension)] = parts
                    group[value] = cell
                    if len(group) < len(parts) or (whole, dimension) in done:
                        continue
                    done.add((whole, dimension))
                    total = self.index.get(whole)
                    if total is None:
                        total = self._new(whole, None, LATENT, None)
                        queue.append(total)
                    members = np.array([group[v] for v in parts], dtype=np.int64)
                    relations.append((members, total))

    def _structural_sums(self, relations) -> None:
        """A total whose parts are all structural zeros is one too (the national count of
        withdrawals at the charged stage adds up each force's, each 0 by definition): known to
        every reader, so never a zero the protection must hide."""
        changed = True
        while changed:
            changed = False
            for members, total in relations:
                if not self.flags[total] & STRUCTURAL and all(
                        self.flags[m] & STRUCTURAL for m in members):
                    self.flags[total] |= STRUCTURAL
                    changed = True

    def _fill_values(self, relations) -> np.ndarray:
        values = np.array([np.nan if v is None else v for v in self.values], dtype=float)
        changed = True
        while changed:
            changed = False
            for members, total in relations:
                known = ~np.isnan(values[members])
                if np.isnan(values[total]) and known.all():
                    values[total] = values[members].sum()
                    changed = True
                elif not np.isnan(values[total]) and known.sum() == len(members) - 1 and \
                        (self.flags[members[~known][0]] & LATENT):
                    values[members[~known][0]] = values[total] - values[members[known]].sum()
                    changed = True
        for members, total in relations:
            if np.isnan(values[members]).any() or np.isnan(values[total]):
                continue
            if values[members].sum() != values[total]:
                parts = ", ".join(f"{describe(self.identities[m])} = {values[m]:g}"
                                  for m in members)
                raise DisclosureError(
                    f"the cells {parts} add up to {values[members].sum():g}, but "
                    f"{describe(self.identities[total])} = {values[total]:g} "
                    f"(in {', '.join(self.sources[total]) or 'a declared total'}): a declared "
                    "complete category list, grouping, equality or identity is wrong, or the "
                    "tables were built from different cases.")
        for cell in self.nested:
            if values[cell] < 0:
                numerator, _, denominator = next(c for c in self.complements if c[1] == cell)
                raise DisclosureError(
                    f"{describe(self.identities[numerator])} = {values[numerator]:g} is more "
                    f"than {describe(self.identities[denominator])} = "
                    f"{values[denominator]:g}, the count of the cases it is a part of "
                    f"(in {', '.join(self.sources[numerator])}): a share of the previous row, "
                    "or a row of nested rows, counts a part of another row's cases; check the "
                    "table's row order.")
        if np.isnan(values).any():
            missing = [describe(self.identities[i]) for i in np.flatnonzero(np.isnan(values))]
            raise DisclosureError(f"no value for the declared total(s) {missing[:5]}: a total "
                                  "published elsewhere must add up from registered cells.")
        return values
