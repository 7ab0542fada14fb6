"""How a table declares its structure to disclosure control: keys, counts, rates, totals, zeros.

Nothing is guessed from column names. Each count cell gets a *quantity identity*: the set of
``dimension=value`` predicates describing the cases it counts (``force=durham``,
``outcome_group=charge``, ``within_days=365``...). The same identity in two tables (or two
reports) is one cell; additivity comes from identities and complete category lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from ...errors import ParameterError

__all__ = ["Count", "Identity", "Rate", "TableSpec", "canonical", "identity", "describe",
           "is_total"]

#: A quantity identity: the predicates (dimension, value) that define the cases a count counts.
Identity = frozenset


def canonical(value) -> str:
    """One spelling per value: ``365``, ``365.0`` and ``"365"`` are the same category.

    Examples
    --------
    >>> canonical(365.0), canonical("charge"), canonical(np.int64(2021))
    ('365', 'charge', '2021')
    """
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def identity(**predicates) -> frozenset:
    """A quantity identity from ``dimension=value`` predicates.

    Examples
    --------
    >>> sorted(identity(force="durham", within_days=365))
    [('force', 'durham'), ('within_days', '365')]
    """
    return frozenset((str(k), canonical(v)) for k, v in predicates.items())


def describe(quantity: frozenset) -> str:
    """A readable, stable spelling of an identity (``force=durham & outcome_group=charge``).

    Examples
    --------
    >>> describe(identity(outcome_group="charge", force="durham"))
    'force=durham & outcome_group=charge'
    """
    return " & ".join(f"{k}={v}" for k, v in sorted(quantity)) or "(everything)"


TOTAL_WORDS = frozenset({"total", "all", "overall"})


def is_total(values: pd.Series) -> np.ndarray:
    """Which values of a key read as a total row ("all", "Total ", ...), in tables that do
    not declare their total rows (``TableSpec.total_rows``): each distinct value's text is
    read once (a report protects some ninety tables, most of a few rows, and pandas' string
    methods cost a fixed tenth of a millisecond or so per call whatever the length).

    >>> is_total(pd.Series(["All", "16-17", " total ", None])).tolist()
    [True, False, True, False]
    """
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    words = np.array([str(value).strip().lower() in TOTAL_WORDS for value in distinct],
                     dtype=bool)
    return words[codes] if len(words) else np.zeros(len(codes), dtype=bool)


def _frozen(mapping) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Count:
    """A count column: the predicates its cells add, and which key columns identify them.

    ``keys=None`` means every key of the table. A repeated group total such as ``n_cohort``
    (one number per cohort, printed on every outcome row) names only the keys it varies with,
    ``Count(keys=("cohort",))``, so its rows are one cell, not several.

    Examples
    --------
    >>> Count(where={"outcome_group": "charge"}).where["outcome_group"]
    'charge'
    """

    where: Mapping[str, object] = field(default_factory=dict)
    keys: tuple[str, ...] | None = None

    def __post_init__(self):
        object.__setattr__(self, "where", _frozen(self.where))
        if self.keys is not None:
            object.__setattr__(self, "keys", tuple(self.keys))


RATE_KINDS = ("share", "lower", "upper", "value", "extreme")


@dataclass(frozen=True)
class Rate:
    """A column computed from counts of the same row.

    kind
        ``"share"``: numerator / denominator, recomputed from the *published* counts (so a
        share never undoes rounding). ``"lower"``/``"upper"``: the Wilson interval of that
        share at ``level``, recomputed the same way. ``"value"``: a figure resting on the
        counts that cannot be recomputed (a median, a hazard ratio, a cumulative incidence):
        shown as given, to ``decimals``, and hidden with its counts. ``"extreme"``: a minimum
        or maximum, one person's value: always hidden.
    scale
        1 for proportions, 100 for percentages.
    decimals
        Decimals printed (of the value as stored, after ``scale``); the attacker uses them.
    design_effect
        ``"lower"``/``"upper"`` only: a column holding each row's design effect *d*, when the
        interval is the Wilson interval of ``k / d`` events in ``n / d`` cases (clustered
        cases: cases of one officer are alike, ``comparison.headline_figures``). Recomputed
        from the published counts at the same *d*; the column is read, never published.
    of_row
        ``(key, value)``: the denominator is read in another row, the one of the same other
        keys whose ``key`` is ``value`` (the funnel's share of recorded: each stage's count
        over the recorded stage's, ``("stage", "recorded")``). Declare that row a total row
        (``TableSpec.total_rows``) when the other rows count a part of its cases, so the
        difference is a cell the protection knows.
    of_previous
        A key: the denominator is read in the row before, among the rows of the same other
        keys in the table's order (the funnel's share of the previous stage: each stage's
        count over the one before, ``"stage"``). The row's cases are a part of the previous
        row's (a case charged was referred), so the difference is a cell the protection knows
        (the cases referred but not charged). The first row of each group has no share.
    """

    numerator: str | None = None
    denominator: str | None = None
    kind: str = "share"
    level: float = 0.95
    scale: float = 1.0
    decimals: int = 3
    design_effect: str | None = None
    of_row: tuple[str, object] | None = None
    of_previous: str | None = None

    def __post_init__(self):
        if self.kind not in RATE_KINDS:
            raise ParameterError(f"Rate(kind={self.kind!r}) is not one of {RATE_KINDS}.")
        if self.kind in ("share", "lower", "upper") and not (self.numerator and self.denominator):
            raise ParameterError(f"a {self.kind!r} rate needs numerator= and denominator= "
                                 "count columns.")
        if self.of_row is not None:
            if self.kind not in ("share", "lower", "upper") or len(self.of_row) != 2:
                raise ParameterError(f"of_row=(key, value) names the row of a share's "
                                     f"denominator: not for a {self.kind!r} rate, and two "
                                     f"items, not {self.of_row!r}.")
            object.__setattr__(self, "of_row", (str(self.of_row[0]), self.of_row[1]))
        if self.of_previous is not None:
            if self.kind not in ("share", "lower", "upper") or self.of_row is not None:
                raise ParameterError(f"of_previous= names the key whose previous row holds a "
                                     f"share's denominator: not for a {self.kind!r} rate, nor "
                                     "with of_row=.")
            object.__setattr__(self, "of_previous", str(self.of_previous))
        if self.design_effect and self.kind not in ("lower", "upper"):
            raise ParameterError(f"design_effect= widens an interval: a {self.kind!r} rate "
                                 "has none (give it to the 'lower' and 'upper' rates).")

    @property
    def counts(self) -> tuple[str, ...]:
        return tuple(c for c in (self.numerator, self.denominator) if c)


def share_of(numerator: str, denominator: str, *, estimate: str = "estimate",
             low: str | None = "ci_low", high: str | None = "ci_high", level: float = 0.95,
             decimals: int = 3, design_effect: str | None = None) -> dict[str, Rate]:
    """Rates of a share and its Wilson interval (the toolkit's ``estimate, ci_low, ci_high``),
    the interval at a design effect held in column ``design_effect`` if given.

    Examples
    --------
    >>> sorted(share_of("n", "n_total"))
    ['ci_high', 'ci_low', 'estimate']
    >>> share_of("count", "n", design_effect="deff")["ci_low"].design_effect
    'deff'
    """
    rates = {estimate: Rate(numerator, denominator, "share", level, decimals=decimals)}
    if low:
        rates[low] = Rate(numerator, denominator, "lower", level, decimals=decimals,
                          design_effect=design_effect)
    if high:
        rates[high] = Rate(numerator, denominator, "upper", level, decimals=decimals,
                           design_effect=design_effect)
    return rates


@dataclass(frozen=True)
class TableSpec:
    """The structure of one published table.

    Parameters
    ----------
    keys : tuple of str
        Key columns (one row per combination).
    counts : dict or tuple
        Count columns: ``{column: Count(...)}``, or a tuple of names (each ``Count()``).
    rates : dict
        ``{column: Rate(...)}`` for every other numeric column shown.
    where : dict
        Predicates shared by every cell of the table (``force``, ``cohort``, ``within_days``).
    dimensions : dict
        ``{key column: dimension name}`` where they differ (a column ``Outcome`` holding
        ``outcome_group`` codes). Default: the column name.
    categories : dict
        ``{key column: complete list of its categories}``: every category of the code list,
        whether or not it occurs. Missing rows are added with a count of 0 (so a missing row
        never reads as a zero) and the categories add up to the quantity without that
        predicate. Keys without a list (overlapping windows, labels) do not add up.
    totals : tuple of str
        Key columns whose total (sum over the categories) is published elsewhere: readers know
        it, exactly.
    total_rows : dict
        ``{key column: value}`` of a row holding the total over that key (e.g. ``"all"``).
    structural_zeros : tuple of dict
        Cells that can only be 0 (dictionary rules): ``{key column: value, ...}`` and
        optionally ``"count": column`` (default every count column of the row). Shown as 0,
        and known to every reader.
    nested : tuple of str
        Key columns whose rows, in the table's order, count nested sets of cases, each row's
        a part of the next row's among the rows of the same other keys (withdrawals within 7,
        30 and 90 days): a reader knows each count is at most the next, and so does the
        protection (the difference is a cell of it, never negative).
    headline : tuple of str
        Count (or rate) columns that are a report's headline figures: expensive to hide.
    labels : tuple of str
        Text columns carried along (plain labels of a key); not keys, never suppressed.
    weight : float
        Multiplies the cost of hiding this table's cells.

    Examples
    --------
    >>> spec = TableSpec(keys=("outcome_group",), counts=("n",),
    ...                  where={"force": "durham"},
    ...                  categories={"outcome_group": ("charge", "other")})
    >>> sorted(spec.cell_identity({"outcome_group": "charge"}, "n"))
    [('force', 'durham'), ('outcome_group', 'charge')]
    """

    keys: tuple[str, ...] = ()
    counts: Mapping[str, Count] = field(default_factory=dict)
    rates: Mapping[str, Rate] = field(default_factory=dict)
    where: Mapping[str, object] = field(default_factory=dict)
    dimensions: Mapping[str, str] = field(default_factory=dict)
    categories: Mapping[str, tuple] = field(default_factory=dict)
    totals: tuple[str, ...] = ()
    total_rows: Mapping[str, object] = field(default_factory=dict)
    structural_zeros: tuple[Mapping[str, object], ...] = ()
    nested: tuple[str, ...] = ()
    headline: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    weight: float = 1.0

    def __post_init__(self):
        counts = self.counts
        if isinstance(counts, str):
            counts = (counts,)
        if not isinstance(counts, Mapping):
            counts = {c: Count() for c in counts}
        counts = {c: (v if isinstance(v, Count) else Count(**dict(v))) for c, v in counts.items()}
        set_ = object.__setattr__
        set_(self, "keys", tuple(self.keys))
        set_(self, "counts", _frozen(counts))
        set_(self, "rates", _frozen(self.rates))
        set_(self, "where", _frozen({k: canonical(v) for k, v in self.where.items()}))
        set_(self, "dimensions", _frozen(self.dimensions))
        set_(self, "categories", _frozen({k: tuple(canonical(v) for v in values)
                                          for k, values in self.categories.items()}))
        set_(self, "totals", tuple(self.totals))
        set_(self, "total_rows", _frozen({k: canonical(v) for k, v in self.total_rows.items()}))
        set_(self, "structural_zeros", tuple(_frozen(z) for z in self.structural_zeros))
        set_(self, "nested", tuple(self.nested))
        set_(self, "headline", tuple(self.headline))
        set_(self, "labels", tuple(self.labels))
        self._check_names()

    def _check_names(self) -> None:
        problems = []
        for column, count in self.counts.items():
            for key in count.keys or ():
                if key not in self.keys:
                    problems.append(f"count {column!r} names key {key!r}, not one of the keys")
        for column, rate in self.rates.items():
            for part in rate.counts:
                if part not in self.counts:
                    problems.append(f"rate {column!r} rests on {part!r}, not a count column")
            if rate.of_row is not None and rate.of_row[0] not in self.keys:
                problems.append(f"rate {column!r} reads its denominator in the row whose "
                                f"{rate.of_row[0]!r} is {rate.of_row[1]!r}, not a key")
            if rate.of_previous is not None and rate.of_previous not in self.keys:
                problems.append(f"rate {column!r} reads its denominator in the previous "
                                f"{rate.of_previous!r}, not a key")
            if rate.design_effect in {*self.keys, *self.counts, *self.rates, *self.labels}:
                problems.append(f"rate {column!r} reads its design effect from "
                                f"{rate.design_effect!r}, a published column")
        for name, what in ((self.categories, "categories"), (self.total_rows, "total_rows"),
                           (self.dimensions, "dimensions"), (self.nested, "nested")):
            problems += [f"{what} names {k!r}, not a key" for k in name if k not in self.keys]
        problems += [f"totals names {k!r}, which has no complete category list"
                     for k in self.totals if k not in self.categories]
        problems += [f"headline names {c!r}, not a count or rate column"
                     for c in self.headline if c not in self.counts and c not in self.rates]
        if problems:
            raise ParameterError("TableSpec: " + "; ".join(problems) + ".")

    @property
    def design_effects(self) -> tuple[str, ...]:
        """Columns holding design effects: read by the rates, never published."""
        return tuple(dict.fromkeys(r.design_effect for r in self.rates.values()
                                   if r.design_effect))

    # -- identities ---------------------------------------------------------------------------
    def dimension(self, key: str) -> str:
        """The dimension a key column holds (its name unless ``dimensions`` says otherwise)."""
        return self.dimensions.get(key, key)

    def cell_identity(self, row: Mapping[str, object], column: str) -> frozenset:
        """The quantity identity of one count cell (``row`` maps key columns to values)."""
        count = self.counts[column]
        predicates = dict(self.where)
        predicates.update({k: canonical(v) for k, v in count.where.items()})
        for key in self.keys if count.keys is None else count.keys:
            value = canonical(row[key])
            if key in self.total_rows and value == self.total_rows[key]:
                continue
            predicates[self.dimension(key)] = value
        return frozenset(predicates.items())

    def headline_counts(self) -> set[str]:
        """Count columns whose hiding loses a headline figure (a headline rate's parts too)."""
        found = {c for c in self.headline if c in self.counts}
        for column in self.headline:
            if column in self.rates:
                found.update(self.rates[column].counts)
        return found

    def dimension_categories(self) -> dict[str, tuple[str, ...]]:
        """``{dimension: complete categories}`` declared by this table."""
        return {self.dimension(k): v for k, v in self.categories.items()}

    # -- the frame ------------------------------------------------------------------------------
    def check(self, frame: pd.DataFrame, name: str = "table") -> None:
        """Raise a ParameterError naming what the frame lacks or holds that the spec forbids."""
        columns = set(frame.columns)
        missing = [c for c in (*self.keys, *self.counts, *self.rates, *self.labels,
                               *self.design_effects) if c not in columns]
        if missing:
            raise ParameterError(
                f"table {name!r}: column(s) {missing} declared in its TableSpec are not in the "
                f"frame (columns: {list(frame.columns)}).")
        undeclared = [c for c in frame.columns if c not in
                      {*self.keys, *self.counts, *self.rates, *self.labels,
                       *self.design_effects}]
        if undeclared:
            raise ParameterError(
                f"table {name!r}: column(s) {undeclared} are not declared in its TableSpec; "
                "declare each as a key, count, rate or label, or drop it before registering.")
        for key, values in self.categories.items():
            allowed = set(values) | ({self.total_rows[key]} if key in self.total_rows else set())
            found = {canonical(v) for v in pd.unique(frame[key])}
            stray = sorted(found - allowed)
            if stray:
                raise ParameterError(
                    f"table {name!r}: key {key!r} holds {stray}, not in its declared complete "
                    f"category list {list(values)}.")
        duplicated = frame.duplicated(list(self.keys)).any() if self.keys else len(frame) > 1
        if duplicated:
            raise ParameterError(f"table {name!r}: more than one row per key {list(self.keys)}.")
        for column in self.counts:
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            if np.any(values[~np.isnan(values)] < 0) or np.any(
                    values[~np.isnan(values)] != np.round(values[~np.isnan(values)])):
                raise ParameterError(f"table {name!r}: count column {column!r} holds values "
                                     "that are not whole numbers >= 0.")

    def complete(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame with a row for every combination of declared categories (counts 0).

        Keys without a category list keep the values they have. Added rows have counts 0
        and rates left empty (they are recomputed or hidden at publication).
        """
        if not self.categories or not self.keys:
            return frame.reset_index(drop=True)
        listed = [k for k in self.keys if k in self.categories]
        others = [k for k in self.keys if k not in self.categories]
        # as text (an empty frame's key column, a year followed in a short period, is float)
        spelled = frame.assign(**{k: frame[k].map(canonical).astype(object) for k in listed})
        grids = [pd.DataFrame({k: pd.Series(list(self.categories[k]) + (
            [self.total_rows[k]] if k in self.total_rows else []), dtype=object)})
                 for k in listed]
        grid = spelled[others].drop_duplicates() if others else pd.DataFrame(index=[0])
        order = self._grid_order(spelled, listed, others, len(grid), grids)
        if order is not None:  # every combination there already: the rows in the grid's order
            full = spelled.take(order).reset_index(drop=True)
            if grids:  # as the grid's cross merge leaves it (pandas keeps no attrs there)
                full.attrs = {}
        else:
            for part in grids:
                grid = grid.merge(part, how="cross")
            full = grid.merge(spelled, on=list(self.keys), how="left")
        for column in self.counts:
            full[column] = full[column].fillna(0)
        for key in listed:  # keep the frame's own types (a year stays a number)
            if pd.api.types.is_numeric_dtype(frame[key]):
                full[key] = pd.to_numeric(full[key]).astype(frame[key].dtype)
        return full[list(frame.columns)].reset_index(drop=True)

    @staticmethod
    def _grid_order(spelled: pd.DataFrame, listed: list, others: list, n_others: int,
                    grids: list[pd.DataFrame]) -> np.ndarray | None:
        """Where ``spelled`` holds each combination of its ``others`` keys' values (in order of
        first appearance) and the ``listed`` keys' categories exactly once, the positions that
        put its rows in the order :meth:`complete`'s grid lists them; otherwise None (rows to
        add). The merges that build the grid took 2 s of the 43-force run's registration
        (about 1,000 tables, nearly all complete already)."""
        sizes = [len(part) for part in grids]
        if len(spelled) != n_others * int(np.prod(sizes)) or any(
                isinstance(spelled[k].dtype, pd.CategoricalDtype) for k in others):
            return None
        code = (spelled.groupby(others, sort=False, dropna=False).ngroup().to_numpy()
                if others else np.zeros(len(spelled), dtype=np.int64))
        for key, part, size in zip(listed, grids, sizes):
            position = spelled[key].map({v: i for i, v in enumerate(part[key])})
            if position.isna().any():
                return None
            code = code * size + position.to_numpy(dtype=np.int64)
        if len(np.unique(code)) != len(code):
            return None
        return np.argsort(code, kind="stable")

    def zero_cells(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean rows × counts array: True where a declared structural zero sits."""
        result = np.zeros((len(frame), len(self.counts)), dtype=bool)
        columns = list(self.counts)
        for zero in self.structural_zeros:
            rows = np.ones(len(frame), dtype=bool)
            for key, value in zero.items():
                if key == "count":
                    continue
                rows &= frame[key].map(canonical).eq(canonical(value)).to_numpy()
            targets = [zero["count"]] if "count" in zero else columns
            for column in targets:
                result[:, columns.index(column)] |= rows
        return result


def spec_from(keys: Iterable[str], counts, **options) -> TableSpec:
    """Shorthand: ``spec_from(["outcome_group"], ["n"], where={...})``."""
    return TableSpec(keys=tuple(keys), counts=counts, **options)
