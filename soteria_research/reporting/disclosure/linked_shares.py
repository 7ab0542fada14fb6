"""Shares of a linked table whose denominator is published in another linked table.

The outcome mix prints, for each force and offence group, each outcome's count and its share of
the crimes recorded. The denominator (crimes recorded) is not a column of the outcome mix: it is
the headline's count, published (rounded) there. A share computed from the true counts beside
a rounded count gives the true denominator back (City of London: 10 cases at 58.8% is 10 of
17, where the headline publishes 15; issue 16, item 11), and
:func:`~.published_rates.rates_from_published` cannot recompute it, since the denominator is not
in the table. :func:`shares_over_published_totals` recomputes such shares, and their Wilson
intervals, from the published numerator and the *published* total of the other table, and hides
them wherever either is hidden: the share then says nothing the two published counts do not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .rounding import wilson
from .spec import is_total

__all__ = ["as_published_in", "decided_cells", "decided_parts", "decided_remainder",
           "hide_parts_of_hidden_totals",
           "hide_where_hidden", "shares_over_published_totals", "show_where_published"]


def decided_cells(frame: pd.DataFrame, source: pd.DataFrame, source_hidden: pd.DataFrame, *,
                  column: str, where: dict, source_table: str, source_column: str,
                  source_where: dict, keys: Sequence[str]
                  ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Where the rows ``where`` of a linked table hold, in ``column``, the same number as the
    matching (``keys``) rows ``source_where`` of ``source_table``, protected already: the
    cells to hide there (hidden in the source) and to print (printed there), as
    ``legacy.protect(decided=...)`` takes them. Before protection, so the table's own
    secondary suppression protects what it hides and never leans on what the source prints.

    ``frame`` and ``source`` hold true counts; ``source_hidden`` is the source's mask. Rows
    whose numbers differ are left to the table's own protection (two quantities).

    Examples
    --------
    >>> funnel = pd.DataFrame({"force": ["a", "b"], "stage": "charged", "n": [50, 30]})
    >>> mix = pd.DataFrame({"force": ["a", "b"], "outcome_group": "charge", "n": [50, 28]})
    >>> hidden = pd.DataFrame({"force": False, "outcome_group": False, "n": [False, True]})
    >>> decided = decided_cells(funnel, mix, hidden, column="n", where={"stage": "charged"},
    ...                         source_table="outcome_mix", source_column="n",
    ...                         source_where={"outcome_group": "charge"}, keys=["force"])
    >>> [a.tolist() for a in decided["n"]]
    [[False, False], [True, False]]
    """
    theirs = _source_values(source, source_hidden, source_column, source_where, keys)
    rows = _rows_where(frame, where)
    mine = frame.loc[rows, list(keys)].reset_index(drop=True)
    mine["_own"] = pd.to_numeric(frame.loc[rows, column]).to_numpy(dtype=float)
    matched = mine.merge(theirs, on=list(keys), how="left", validate="many_to_one")
    same = (matched["_own"] == matched["_value"]).to_numpy()
    hidden = matched["_hidden"].eq(True).to_numpy()  # no match (NaN): not hidden
    hide, show = np.zeros(len(frame), dtype=bool), np.zeros(len(frame), dtype=bool)
    hide[np.flatnonzero(rows)[same & hidden]] = True
    show[np.flatnonzero(rows)[same & ~hidden]] = True
    return {column: (hide, show)}


decided_cells.protect_option = "decided"


def decided_remainder(frame: pd.DataFrame, source: pd.DataFrame, source_hidden: pd.DataFrame, *,
                      column: str, where: dict, source_table: str, source_column: str,
                      dimension: str, less: Sequence[str], total_table: str,
                      total_column: str, keys: Sequence[str], tables: dict
                      ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Where the rows ``where`` of a linked table hold, in ``column``, a total of
    ``total_table`` (``total_column``) less the categories ``less`` of ``dimension`` in
    ``source_table`` (``source_column``), all protected already: the cells to hide (a reader
    cannot work the number out from them) and to print (a reader can), as
    ``legacy.protect(decided=...)`` takes them. The timeliness table's cases that reached an
    outcome are the crimes recorded less the outcome mix's open and transferred cases.

    A reader works the number out where the total and every category of ``less`` are
    printed, or every other category of the line is; otherwise it is unknown to them, and the
    table protects it like a small count (printed as it was, the difference gave back a hidden
    category of the outcome mix). ``tables`` holds the protected tables (``{name: (frame,
    mask)}``: true counts and masks) the total is read from. Rows whose numbers differ are
    left to the table's own protection (two quantities).

    Examples
    --------
    >>> timing = pd.DataFrame({"force": ["a", "b"], "n_events": [17, 33]})
    >>> mix = pd.DataFrame({"force": ["a"] * 4 + ["b"] * 4,
    ...                     "outcome_group": ["charge", "withdrawal", "open", "transferred"] * 2,
    ...                     "n": [12, 5, 20, 4, 30, 3, 8, 2]})
    >>> hidden = mix.assign(force=False, outcome_group=False,
    ...                     n=[False, True, False, True, True, True, False, False])
    >>> recorded = pd.DataFrame({"force": ["a", "b"], "count": [41, 43]})
    >>> tables = {"recorded": (recorded, recorded.assign(force=False, count=False))}
    >>> hide, show = decided_remainder(
    ...     timing, mix, hidden, column="n_events", where={}, source_table="mix",
    ...     source_column="n", dimension="outcome_group", less=("open", "transferred"),
    ...     total_table="recorded", total_column="count", keys=["force"],
    ...     tables=tables)["n_events"]
    >>> hide.tolist(), show.tolist()  # a: 41 - 20 - [c] with a part of the rest hidden too
    ([True, False], [False, True])
    """
    parts = ~is_total(source[dimension])  # the categories, not their total row
    dropped = source[dimension].isin(list(less)).to_numpy()
    line = source.loc[parts, list(keys)].assign(
        _less=np.where(dropped[parts], pd.to_numeric(source.loc[parts, source_column]), 0.0),
        _less_hidden=dropped[parts] & source_hidden.loc[parts, source_column].to_numpy(bool),
        _rest_hidden=~dropped[parts] & source_hidden.loc[parts, source_column].to_numpy(bool))
    line = line.groupby(list(keys), sort=False, dropna=False).agg(
        _less=("_less", "sum"), _less_hidden=("_less_hidden", "any"),
        _rest_hidden=("_rest_hidden", "any")).reset_index()
    total, total_hidden = tables[total_table]
    totals = _source_values(total, total_hidden, total_column, None, keys)
    line = line.merge(totals, on=list(keys), how="inner", validate="one_to_one")
    rows = _rows_where(frame, where)
    mine = frame.loc[rows, list(keys)].reset_index(drop=True)
    mine["_own"] = pd.to_numeric(frame.loc[rows, column]).to_numpy(dtype=float)
    matched = mine.merge(line, on=list(keys), how="left", validate="many_to_one")
    same = (matched["_own"] == matched["_value"] - matched["_less"]).to_numpy()
    known = ((~matched["_hidden"].eq(True) & ~matched["_less_hidden"].eq(True))
             | ~matched["_rest_hidden"].eq(True)).to_numpy()
    hide, show = np.zeros(len(frame), dtype=bool), np.zeros(len(frame), dtype=bool)
    hide[np.flatnonzero(rows)[same & ~known]] = True
    show[np.flatnonzero(rows)[same & known]] = True
    return {column: (hide, show)}


decided_remainder.protect_option = "decided"
decided_remainder.reads_tables = True


def decided_parts(frame: pd.DataFrame, source: pd.DataFrame, source_hidden: pd.DataFrame, *,
                  column: str, dimension: str, source_table: str, source_column: str,
                  keys: Sequence[str], source_where: dict | None = None
                  ) -> dict[str, tuple[str, np.ndarray]]:
    """Where the categories of ``dimension`` in a linked table add up, in ``column``, to the
    number the matching (``keys``) rows ``source_where`` of ``source_table`` hide (protected
    already): the rows whose total is hidden, as ``legacy.protect(decided_totals=...)`` takes
    them. Before protection, so the table's own secondary suppression never prints every part
    of a total the source hides (the outcome mix's outcomes add up to the crimes recorded).

    ``frame`` and ``source`` hold true counts (a total row, "all", of ``dimension`` is not a
    part); ``source_hidden`` is the source's mask. A group whose parts add up to another
    number is left to the table's own protection (two quantities).

    Examples
    --------
    >>> mix = pd.DataFrame({"force": ["a", "a", "b", "b"], "outcome_group": ["x", "y"] * 2,
    ...                     "n": [3, 14, 30, 40]})
    >>> recorded = pd.DataFrame({"force": ["a", "b"], "count": [17, 70]})
    >>> hidden = pd.DataFrame({"force": False, "count": [True, False]})
    >>> decided = decided_parts(mix, recorded, hidden, column="n", dimension="outcome_group",
    ...                         source_table="recorded", source_column="count",
    ...                         keys=["force"])
    >>> decided["n"][0], decided["n"][1].tolist()
    ('outcome_group', [True, True, False, False])
    """
    theirs = _source_values(source, source_hidden, source_column, source_where, keys)
    part = ~is_total(frame[dimension])
    mine = frame[list(keys)].assign(_own=pd.to_numeric(frame[column]).where(part))
    mine["_sum"] = mine.groupby(list(keys), sort=False, dropna=False)["_own"].transform("sum")
    matched = mine.merge(theirs, on=list(keys), how="left", validate="many_to_one")
    same = (matched["_sum"] == matched["_value"]).to_numpy()
    hidden = matched["_hidden"].eq(True).to_numpy()  # no match (NaN): not hidden
    return {column: (dimension, same & hidden & part)}


decided_parts.protect_option = "decided_totals"


def _source_values(source: pd.DataFrame, source_hidden: pd.DataFrame, column: str,
                   where: dict | None, keys: Sequence[str]) -> pd.DataFrame:
    """The rows ``where`` of a protected source table: their ``keys``, the true number in
    ``column`` (``_value``) and whether the source hides it (``_hidden``), for matching a
    linked table's rows to them (:func:`decided_cells`, :func:`decided_parts`)."""
    picked = _rows_where(source, where)
    theirs = source.loc[picked, list(keys)].reset_index(drop=True)
    theirs["_value"] = pd.to_numeric(source.loc[picked, column]).to_numpy(dtype=float)
    theirs["_hidden"] = source_hidden.loc[picked, column].to_numpy(dtype=bool)
    return theirs


def shares_over_published_totals(linked, name: str, *, numerator: str, total_table: str,
                                 total_column: str, keys: Sequence[str],
                                 share: str = "share",
                                 interval: tuple[str, str] = ("ci_low", "ci_high"),
                                 level: float = 0.95) -> None:
    """Recompute ``share`` (and ``interval``) of linked table ``name`` in place as published
    ``numerator`` over the published ``total_column`` of ``total_table``, matched on ``keys``.

    A row whose numerator or total is hidden (or missing) has its share and interval hidden.

    Examples
    --------
    >>> from soteria_research.reporting.disclosure import protect_linked
    >>> mix = pd.DataFrame({"force": ["a", "a", "b", "b", "c", "c"],
    ...                     "outcome_group": ["x", "y"] * 3, "n": [11, 6, 30, 40, 52, 53]})
    >>> mix["share"] = mix["n"] / mix.groupby("force")["n"].transform("sum")
    >>> mix["ci_low"], mix["ci_high"] = mix["share"] - 0.1, mix["share"] + 0.1
    >>> recorded = pd.DataFrame({"force": ["a", "b", "c"], "count": [17, 70, 105]})
    >>> rates = dict.fromkeys(("share", "ci_low", "ci_high"), ("n", None))
    >>> linked = protect_linked({"recorded": (recorded, {"counts": ["count"]}),
    ...                          "mix": (mix, {"counts": ["n"], "rates": rates})})
    >>> shares_over_published_totals(linked, "mix", numerator="n", total_table="recorded",
    ...                              total_column="count", keys=["force"])
    >>> c = linked.slice("mix", "c").frame
    >>> c["n"].tolist(), c["share"].round(3).tolist()  # 50 / 105 and 55 / 105, as published
    ([50.0, 55.0], [0.476, 0.524])
    """
    if name not in linked.tables or total_table not in linked.tables:
        return
    frame, mask = _table(linked, name)
    other, other_mask = _table(linked, total_table)
    keys = [k for k in keys if k in frame.columns and k in other.columns]
    other = other[keys].assign(
        _total=pd.to_numeric(other[total_column], errors="coerce")
        .where(~other_mask[total_column]))
    other = other.drop_duplicates(keys)
    total = frame[keys].merge(other, on=keys, how="left")["_total"].to_numpy(dtype=float)
    count = pd.to_numeric(frame[numerator], errors="coerce").to_numpy(dtype=float)
    count[mask[numerator].to_numpy()] = np.nan
    usable = np.isfinite(count) & np.isfinite(total) & (total > 0) & (count <= total)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = {share: count / total}
        low, high = wilson(count, total, level)
    values[interval[0]], values[interval[1]] = low, high
    for column, value in values.items():
        if column not in frame.columns:
            continue
        frame[column] = np.where(usable, value, np.nan)
        mask[column] = ~usable
    _store(linked, name, frame, mask)


def show_where_published(linked, name: str, *, column: str, where: dict, source_table: str,
                         source_column: str, keys: Sequence[str],
                         whole: Sequence[str] = ()) -> int:
    """Show, in linked table ``name``, the cells of ``column`` (rows matching ``where``) that
    are the same quantity as a cell another linked table publishes, with its published value.

    One quantity is one cell wherever it appears (issue 16, item 7): the funnel's "Crime
    recorded" row *is* the headline's count of crimes recorded (per force and offence group).
    When the headline prints it, hiding it in the funnel protects nothing (any reader has it)
    and only makes the report contradict itself ("[c]" under a printed 550). ``whole``: rate
    columns equal to 1 on those rows (a stage's share of itself), shown with them. Returns how
    many cells were shown.
    """
    if name not in linked.tables or source_table not in linked.tables:
        return 0
    frame, mask = _table(linked, name)
    other, other_mask = _table(linked, source_table)
    keys = [k for k in keys if k in frame.columns and k in other.columns]
    _, _, value = _source_cells(frame, other, other_mask, source_column, keys)
    show = _rows_where(frame, where) & mask[column].to_numpy() & np.isfinite(value)
    if not show.any():
        return 0
    frame.loc[show, column] = value[show]
    mask.loc[show, column] = False
    for rate in whole:
        if rate in frame.columns:
            frame.loc[show, rate] = 1.0
            mask.loc[show, rate] = False
    _store(linked, name, frame, mask)
    return int(show.sum())


def hide_where_hidden(linked, name: str, *, column: str, where: dict, source_table: str,
                      source_column: str, keys: Sequence[str], whole: Sequence[str] = (),
                      previous: tuple[str, str] | None = None, next_where: dict | None = None,
                      source_where: dict | None = None, with_row: Sequence[str] = ()) -> int:
    """The other half of :func:`show_where_published`: hide, in linked table ``name``, the
    cells of ``column`` (rows matching ``where``) that are the same quantity as a cell
    ``source_table`` hides, with what gives them back.

    The headline hides some forces' crimes recorded only to protect City of London's (the
    national total less the other forces' would give it); printed as the funnel's "Crime
    recorded" (and so as the timeliness tables' cases, which copy the funnel), Bedfordshire's
    263 gave City of London's 4 (a run of nine small forces, ``partner``; issue 16, item 7).
    ``whole``: rate columns of every row of the same ``keys`` that rest on the cell (a stage's
    share of the crimes recorded), hidden with it. ``previous``: ``(count, rate)`` columns of
    the row whose previous count is the cell (the next stage's ``n_previous`` and its share of
    the previous stage), hidden with it; ``next_where`` says which row of the group that is
    (``{"stage": "suspect_identified"}``), by stage and not by value (a later stage whose
    previous count happens to equal the cell is left alone). ``source_where`` picks the
    source's rows (the outcome mix's open cases are the headline's still open);
    ``with_row``: columns of the same row hidden with the cell (its share and interval).
    Returns how many cells of ``column`` were hidden.
    """
    if previous is not None and not next_where:
        raise ValueError("hide_where_hidden(previous=...) needs next_where=: the row whose "
                         "previous count is the cell, by its keys (say {'stage': ...}).")
    if name not in linked.tables or source_table not in linked.tables:
        return 0
    frame, mask = _table(linked, name)
    other, other_mask = _table(linked, source_table)
    keys = [k for k in keys if k in frame.columns and k in other.columns]
    following = _rows_where(frame, next_where)
    _, hid, _ = _source_cells(frame, other, other_mask, source_column, keys, source_where)
    target = _rows_where(frame, where) & hid & ~mask[column].to_numpy()
    if not target.any():
        return 0
    for row in np.flatnonzero(target):
        group = np.ones(len(frame), dtype=bool)
        for key in keys:
            group &= frame[key].eq(frame[key].iat[row]).to_numpy()
        for rate in whole:
            if rate in frame.columns:
                frame.loc[group, rate] = np.nan
                mask.loc[group, rate] = True
        if previous is not None and previous[0] in frame.columns:
            count, rate = previous
            after = group & following
            for part in (count, rate):
                if part in frame.columns:
                    frame.loc[after, part] = np.nan
                    mask.loc[after, part] = True
    for part in (column, *with_row):
        if part in frame.columns:
            frame.loc[target, part] = np.nan
            mask.loc[target, part] = True
    _store(linked, name, frame, mask)
    return int(target.sum())


def hide_parts_of_hidden_totals(linked, name: str, *, column: str, total_table: str,
                                total_column: str, keys: Sequence[str],
                                with_row: Sequence[str] = (),
                                source_where: dict | None = None) -> int:
    """Hide every part of a total that ``total_table`` hides, where linked table ``name``
    prints all its parts (their sum would give the total back).

    The outcome mix's outcomes add up to the crimes recorded. The headline hid Wiltshire's 299
    crimes recorded to protect City of London's 3, and Wiltshire's outcome mix printed all
    eight of its outcomes, 299 together: City of London's 3 followed from the national total
    (seven small forces, ``partner``; issue 16, item 7). All the parts are hidden, not one: a
    single hidden part would follow from its own national line wherever the small force's
    cell of that line is printed. ``source_where`` picks the total's rows of ``total_table``
    (a victim breakdown's categories add up to the headline's cases followed for a year of all
    sexual offences, one measure of several). Only hides, so it reveals nothing. Returns how
    many key groups were hidden.
    """
    if name not in linked.tables or total_table not in linked.tables:
        return 0
    frame, mask = _table(linked, name)
    other, other_mask = _table(linked, total_table)
    keys = [k for k in keys if k in frame.columns and k in other.columns]
    picked = _rows_where(other, source_where)
    totals = other.loc[picked, keys].assign(
        _hidden=other_mask.loc[picked, total_column].to_numpy(dtype=bool))
    hidden = {tuple(key) for key in totals.loc[totals["_hidden"], keys].itertuples(index=False)}
    groups = 0
    for key, rows in frame.groupby(keys, sort=False).groups.items():
        key = key if isinstance(key, tuple) else (key,)
        if key not in hidden or mask.loc[rows, column].any():
            continue
        for part in (column, *with_row):
            if part in frame.columns:
                frame.loc[rows, part] = np.nan
                mask.loc[rows, part] = True
        groups += 1
    if groups:
        _store(linked, name, frame, mask)
    return groups


def follow_published(linked, name: str, *, column: str, source_table: str,
                     source_column: str, keys: Sequence[str], source_where: dict | None = None,
                     rates: dict | None = None) -> int:
    """:func:`as_published_in` on the run's linked tables: ``column`` of linked table ``name``
    hidden where ``source_table`` hides the same quantity (see :func:`as_published_in`), with
    the ``rates`` resting on a count it now hides. Returns how many cells changed."""
    if name not in linked.tables or source_table not in linked.tables:
        return 0
    frame, mask = _table(linked, name)
    other, other_mask = _table(linked, source_table)
    frame, mask, changed = as_published_in(
        frame, mask, column=column, source=other, source_mask=other_mask,
        source_column=source_column, keys=keys, source_where=source_where, rates=rates)
    _store(linked, name, frame, mask)
    return changed


def _source_cells(frame: pd.DataFrame, source: pd.DataFrame, source_mask: pd.DataFrame,
                  source_column: str, keys: Sequence[str], source_where: dict | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How ``source`` publishes ``source_column`` for each row of ``frame`` (matched on ``keys``;
    ``source_where`` picks the source's rows): whether a source row matched, whether it is
    hidden there (any matching row hidden), and its published value (NaN where hidden). The
    one reading of "the same quantity in another table" that :func:`show_where_published`,
    :func:`hide_where_hidden` and :func:`as_published_in` share."""
    rows = _rows_where(source, source_where)
    hidden = source_mask.loc[rows, source_column].to_numpy(dtype=bool)
    published = source.loc[rows, list(keys)].assign(
        _hidden=hidden,
        _value=pd.to_numeric(source.loc[rows, source_column], errors="coerce")
        .where(~hidden).to_numpy(dtype=float))
    published = published.groupby(list(keys), sort=False, dropna=False).agg(
        _hidden=("_hidden", "any"), _value=("_value", "first")).reset_index()
    found = frame[list(keys)].merge(published, on=list(keys), how="left")
    matched = found["_hidden"].notna().to_numpy()
    hide = found["_hidden"].eq(True).to_numpy()  # unmatched (NaN) rows are not hidden
    value = np.where(hide, np.nan, found["_value"].to_numpy(dtype=float))
    return matched, hide, value


def _rows_where(frame: pd.DataFrame, where: dict | None) -> np.ndarray:
    rows = np.ones(len(frame), dtype=bool)
    for key, value in (where or {}).items():
        rows &= frame[key].eq(value).to_numpy()
    return rows


def _table(linked, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A linked table's stored (protected) values and its mask, as frames."""
    entry = linked.tables[name]
    return (pd.DataFrame(entry["rows"], columns=entry["columns"]),
            pd.DataFrame(entry["mask"], columns=entry["columns"]).astype(bool))


def _store(linked, name: str, frame: pd.DataFrame, mask: pd.DataFrame) -> None:
    """Store changed values and mask back (the cached frames are rebuilt from them)."""
    entry = linked.tables[name]
    entry["rows"] = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    entry["mask"] = mask.to_numpy().tolist()
    linked._frames.clear()


def as_published_in(frame: pd.DataFrame, mask: pd.DataFrame, *, column: str,
                    source: pd.DataFrame, source_mask: pd.DataFrame, source_column: str,
                    keys: Sequence[str], source_where: dict | None = None,
                    rates: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """``column`` of a protected table hidden where another protected table hides the same
    quantity (rows matched on ``keys``; ``source_where`` picks the source's rows). One
    quantity is one cell wherever it appears (issue 16, item 7): the timeliness table's cases
    reaching charge are the funnel's charged cases in the synthetic world, and a report that
    hides one and prints the other undoes the protection of one of them. Where the source
    prints it the table keeps its own state: the same number is then already printed, and a
    different one is a different quantity in this data (a case charged without a referral
    date is in the funnel's referred stage, not among the CPS table's files), never printed
    in its place. It hides only more. ``rates``: ``{rate column: (numerator, denominator)}``;
    a rate resting on a count hidden here is hidden with it. Returns the new frame and mask,
    and how many cells changed.

    Examples
    --------
    >>> frame = pd.DataFrame({"g": ["a", "b", "c"], "n": [12.0, 40.0, 17.0]})
    >>> mask = pd.DataFrame({"g": [False] * 3, "n": [False] * 3})
    >>> source = pd.DataFrame({"g": ["a", "b", "c"], "k": [np.nan, 40.0, 18.0]})
    >>> source_mask = pd.DataFrame({"g": [False] * 3, "k": [True, False, False]})
    >>> out, hidden, changed = as_published_in(frame, mask, column="n", source=source,
    ...     source_mask=source_mask, source_column="k", keys=["g"])
    >>> hidden["n"].tolist(), out["n"].tolist()[1:], changed
    ([True, False, False], [40.0, 17.0], 1)
    """
    keys = [k for k in keys if k in frame.columns and k in source.columns]
    if column not in frame.columns or not keys or source_column not in source.columns:
        return frame, mask, 0
    matched, hide, _ = _source_cells(frame, source, source_mask, source_column, keys,
                                     source_where)
    frame, mask = frame.copy(), mask.copy()
    before = mask[column].to_numpy(dtype=bool).copy()
    old = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    # hidden where the source hides it; where the source prints it, this table keeps its own
    # state: the same number is a no-op, and a different one is another quantity in this
    # data (a file charged without a referral date is in the funnel's referred stage, not in
    # the CPS table's files), never to be printed in its place
    hide = matched & hide
    frame[column] = np.where(hide, np.nan, old)
    mask[column] = hide | before
    changed = int((mask[column].to_numpy(dtype=bool) != before).sum())
    for rate, (numerator, denominator) in (rates or {}).items():
        if rate in frame.columns and column in (numerator, denominator):
            gone = mask[column].to_numpy(dtype=bool)
            frame.loc[gone, rate] = np.nan
            mask.loc[gone, rate] = True
    return frame, mask, changed
