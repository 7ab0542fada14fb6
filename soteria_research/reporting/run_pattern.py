"""The run-level protection in a report run: what it hides, no report prints.

The run's national preparation registers every declared table of the run with one
:class:`~.disclosure.RunProtection`: the linked tables (``linked_specs.py``) and each force
report's own tables (``report_specs.py``), each count a cell named by what it counts, so the
same quantity is one cell wherever it is printed and the definitions a reader knows (nested
windows, a suspect named once, structural zeros, the last part of a published whole) are
known to the optimisation too. :func:`solve_run` solves it once. Its pattern then governs:

* the linked file every report reads (``national.LINKED_FILE``): each cell the run declares
  takes the run's pattern and published value (:func:`take_run_pattern`); the linked tables'
  hand links (``linked_quantities.py``) are applied after it, so the tables the run does not
  declare (the case-mix-adjusted force effects) follow, and the run's pattern is checked to
  hold after them (:func:`follow_run`);
* the national figures every report prints (``<linked table>_national``: the overview
  protected them alone, as if published, where the run may hide one rather than a second
  force's count in its national line): hidden wherever the run hides them
  (:func:`hide_national`);
* each force report's own declared tables: hidden at least where the run hides them
  (:func:`hide_own`), after the report's own protection.

Each report reads its view (:func:`report_pattern`: its own tables' and the national
figures', saved in :data:`PATTERN_DIR`) through ``DisclosureControl(run_pattern=)``, which
applies it to every table it protects (:func:`apply_pattern`), counted in
``disclosure.json``. Hiding more never gives a count back: a reader holds a subset of what
either pattern alone publishes (``docs/methods.md`` §8). The reports' own engine and the hand
links of ``same_quantity.py`` stay for the tables not declared yet (data quality, the curves,
the models and the peer tables): they protect the chains through those tables, which the
run-level engine does not see.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.attrition import STAGES
from ..errors import DisclosureError, ParameterError

__all__ = ["PATTERN_DIR", "apply_pattern", "follow_run", "hide_in_linked", "hide_national",
           "hide_own", "load_own", "report_pattern", "save_own", "solve_run", "take_run_pattern"]

#: The run folder's directory of each report's view of the run's pattern: a force's own
#: tables (``<force>.json``) and the national figures (``national.json``).
PATTERN_DIR = "run_pattern"
#: The legacy linked tables whose rows are each a row of a run table (the rest, the
#: case-mix-adjusted force effects, follow the hand links).
_TABLE_OF = {"headline": lambda row: f"headline_{row['measure']}",
             "cohort_trends": lambda row: ("trend_all_years" if str(row["cohort"]) == "all"
                                           else "trend_years")}
_NOT_DECLARED = ("force_effects_",)
#: A table without an offence-group column holds all sexual offences (the overview's headline).
_ALL = "all"
#: The linked tables the run declares, by their reports' names (the national overview's are
#: ``<name>_national``).
_LINKED_LAYOUT = ("headline_recorded", "headline", "outcome_mix", "funnel", "cohort_trends",
                  "demographics_victim_age_band", "demographics_victim_sex",
                  "demographics_victim_ethnicity", "timeliness", "cps_timeliness",
                  "suspect_timeliness", "suspects_arrested", "prosecution_decisions")


def solve_run(cases: pd.DataFrame, profile, *, folder: str | Path | None = None,
              extract_date=None, linked_tables: dict | None = None,
              national_tables: dict | None = None):
    """Register the run's declared tables (``report_specs.register_run``) and solve them.

    ``cases``: every force's validated cases of the report period (the national preparation's,
    without identifiers); the own tables are computed on each force's cases as its report
    reads them (``shared_cases.read_cases`` from ``folder``: the repeat-suspect table needs
    the suspects' ids), or on ``cases`` when the folder holds none; from the folder, each
    force's are saved in it for its report to read (``computed_tables.OWN_DIR``). Under a profile that
    rounds, the national totals are left to the rounding where the attacker confirms it
    protects, as the linked headline's are (``RunProtection.solve``). ``linked_tables``: the
    linked tables by force that the national preparation computed already
    (``national.protect_linked_tables``), taken rather than computed again
    (``linked_specs.frames_from_linked``). ``national_tables``: the national overview's
    tables (``computed_tables.national_tables``), likewise.
    """
    from . import computed_tables
    from .disclosure import RunProtection, get_profile
    from .linked_specs import frames_from_linked, linked_frames
    from .report_specs import own_frames, register_run, stack_forces
    from .shared_cases import CASES_DIR, UNREAD_BY_REPORTS, read_cases

    forces = sorted(map(str, cases["force"].unique()))
    if folder is None or not (Path(folder) / CASES_DIR).is_dir():
        if "suspect_id" not in cases.columns:
            raise ParameterError("solve_run needs the cases' suspect ids (the repeat-suspect "
                                 "table), or the run folder holding each force's cases.")
        own = own_frames(cases)
    else:
        parts = []
        for force in forces:
            mine = read_cases(folder, [force], exclude=UNREAD_BY_REPORTS)
            # computed once: saved for the force's report to read (ReportContext.table)
            tables = computed_tables.own_tables(mine)
            computed_tables.save(tables, folder, force)
            parts.append(own_frames(mine, tables=tables))
        own = stack_forces(parts)

    frames = {"force": (linked_frames(cases, "force", extract_date) if linked_tables is None
                        else frames_from_linked(linked_tables)),
              "national": linked_frames(cases, None, extract_date, computed=national_tables),
              "own": own}
    run = RunProtection(profile)
    register_run(run, cases, extract_date=extract_date, frames=frames)
    rounding = ("force",) if get_profile(profile).round_base and len(forces) > 1 else ()
    return run.solve(leave_to_rounding=rounding)


def _canon(value) -> str:
    from .disclosure.spec import canonical

    return canonical(value)


def _run_rows(run, report: str, name: str) -> tuple:
    """A run table's keys, its rows by key, its mask and its published values (``rows``
    empty when not registered). ``run``: the solved :class:`~.disclosure.RunProtection`, or
    one report's saved view (:func:`save_own`: ``{"tables": ...}``)."""
    if isinstance(run, dict):
        entry = run["tables"].get(name)
        if entry is None:
            return (), {}, pd.DataFrame(), pd.DataFrame()
        keys = tuple(entry["keys"])
        published = pd.DataFrame(entry["rows"], columns=entry["columns"])
        mask = pd.DataFrame(entry["mask"], columns=entry["columns"]).astype(bool)
        frame = published
    else:
        spec = run.spec(report, name)
        if spec is None:
            return (), {}, pd.DataFrame(), pd.DataFrame()
        keys = tuple(spec.keys)
        protected = run.table(report, name)
        mask, published = (protected.mask.reset_index(drop=True),
                            protected.frame.reset_index(drop=True))
        frame = run.registered(report, name).reset_index(drop=True)
    rows = {tuple(_canon(frame.at[i, k]) for k in keys): i for i in range(len(frame))}
    return keys, rows, mask, published


def _from_run(run, name: str, frame: pd.DataFrame
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Legacy linked table ``name`` (rows of ``frame``) as the run publishes it: the run's
    published values, where it hides, and which cells it decides (``mapped``). The funnel's
    ``n_previous`` is the run's previous stage; the trend table's rows of all years together
    keep their own shares and intervals, hidden wherever the run hides their count or its
    total (``extra`` in ``hidden`` where not mapped)."""
    values = frame.copy()
    # filled as arrays, a run table's rows a column at a time, then made frames
    hidden = np.zeros(frame.shape, dtype=bool)
    mapped = np.zeros(frame.shape, dtype=bool)
    kinds = [dtype.kind for dtype in values.dtypes]
    cache: dict[tuple[str, str], tuple] = {}
    # the rows of each run table, copied a column at a time below: cell by cell, the 43-force
    # run spent 17 s (profiled) setting single values
    taken: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    missing, special = [], []  # special: the funnel's and the trend table's rows, after
    for i, row in enumerate(frame.to_dict("records")):
        force = str(row["force"])
        table = _TABLE_OF.get(name, lambda _: name)(row)
        if (force, table) not in cache:
            cache[force, table] = _run_rows(run, force, table)
        keys, rows, mask, published = cache[force, table]
        at = rows.get(tuple(_canon(row.get(k, _ALL)) for k in keys)) if rows else None
        if at is None:
            missing.append((force, table, tuple(str(row.get(k, _ALL)) for k in keys)))
            continue
        positions, ats = taken.setdefault((force, table), ([], []))
        positions.append(i)
        ats.append(at)
        if name in ("funnel", "cohort_trends"):
            special.append((i, row, rows, mask, published, at))
    if missing:
        raise DisclosureError(
            f"linked table {name!r}: {len(missing)} row(s) the run-level protection did not "
            f"register ({missing[:3]}); the linked tables and the run's declared tables must "
            "be computed from the same cases (report_specs.register_run).")
    for key, (positions, ats) in taken.items():
        keys, _, mask, published = cache[key]
        for column in frame.columns.intersection(mask.columns).difference([*keys, "force"]):
            at = frame.columns.get_loc(column)
            hidden[positions, at] = mask[column].to_numpy(dtype=bool)[ats]
            source = published[column].to_numpy()[ats]
            if kinds[at] in "iuf" and source.dtype == object:
                source = source.astype(float)  # a hidden value (None) is NaN in a number column
            if kinds[at] in "iu" and np.isnan(source.astype(float)).any():
                values[column] = values[column].astype(float)
                kinds[at] = "f"
            values.iloc[positions, at] = source
            mapped[positions, at] = True
    hidden = pd.DataFrame(hidden, index=frame.index, columns=frame.columns)
    mapped = pd.DataFrame(mapped, index=frame.index, columns=frame.columns)
    for i, row, rows, mask, published, at in special:
        if name == "funnel" and "n_previous" in frame.columns:
            stages = list(STAGES)
            position = stages.index(str(row["stage"]))
            before = rows.get((_canon(row.get("offence_group", _ALL)), stages[position - 1])) \
                if position else None
            if before is not None:
                hidden.iat[i, frame.columns.get_loc("n_previous")] = bool(mask.at[before, "n"])
                values.iat[i, frame.columns.get_loc("n_previous")] = published.at[before, "n"]
                mapped.iat[i, frame.columns.get_loc("n_previous")] = True
        if name == "cohort_trends" and str(row["cohort"]) == "all":
            total = rows.get((_canon(row.get("offence_group", _ALL)), "all"))
            gone = bool(mask.at[at, "n"]) or (total is not None and bool(mask.at[total, "n"]))
            for column in ("estimate", "ci_low", "ci_high"):
                if column in frame.columns:
                    hidden.iat[i, frame.columns.get_loc(column)] = gone
    return values, hidden, mapped


def _declared(linked) -> list[str]:
    return [name for name in linked.tables if not name.startswith(_NOT_DECLARED)
            and linked.tables[name]["rows"]]


def take_run_pattern(linked, run, patterns: dict | None = None) -> dict[str, tuple[int, int]]:
    """Give the run's linked file (``LinkedProtection``) the run-level protection's pattern
    and published values wherever the run declares the cell; returns, by table, the cells
    hidden that the reports' engine printed and those printed that it hid. Hidden values are
    not kept in the file, which holds only published values. ``patterns``: filled with each
    table's cells the run hides, for :func:`hide_in_linked`."""
    from .disclosure.linked_shares import _store, _table

    changed = {}
    for name in _declared(linked):
        frame, mask = _table(linked, name)
        values, hidden, mapped = _from_run(run, name, frame)
        if patterns is not None:
            patterns[name] = (frame.index, frame.columns, hidden)
        new_mask = hidden.where(mapped, mask | hidden)
        values = values.where(mapped, frame).mask(new_mask)
        changed[name] = (int((new_mask & ~mask).to_numpy().sum()),
                         int((mask & ~new_mask).to_numpy().sum()))
        _store(linked, name, values, new_mask)
    return changed


def hide_in_linked(linked, run, patterns: dict | None = None) -> dict[str, int]:
    """Hide, in the run's linked file, every declared cell the run hides that is printed;
    returns the cells newly hidden by table (after the hand links: none, or they undid the
    run's pattern). ``patterns`` (from :func:`take_run_pattern`): the run's hidden cells of a
    table whose rows and columns are unchanged since, not looked up again."""
    from .disclosure.linked_shares import _store, _table

    added = {}
    for name in _declared(linked):
        frame, mask = _table(linked, name)
        index, columns, hidden = (patterns or {}).get(name, (None, None, None))
        if hidden is None or not (index.equals(frame.index) and columns.equals(frame.columns)):
            _, hidden, _ = _from_run(run, name, frame)
        new = hidden & ~mask
        if new.to_numpy().any():
            _store(linked, name, frame.mask(new), mask | hidden)
        added[name] = int(new.to_numpy().sum())
    return added


def follow_run(linked, run, *, exact_counts: bool, rounds: int = 5) -> dict:
    """:func:`take_run_pattern`, then the linked tables' hand links
    (``linked_quantities.apply_linked_quantities``) again, so the tables the run does not
    declare (the force effects) follow it (not the one recomputing the outcome mix's shares:
    the run computes them from the published counts already); then the run's pattern is checked to hold after them, hiding again any
    cell a hand link showed (none is expected: the run hides a quantity in every table
    printing it). Returns what :func:`take_run_pattern` changed, and the cells hidden again.
    """
    from .disclosure.linked_shares import shares_over_published_totals
    from .linked_quantities import LINKED_QUANTITIES, apply_linked_quantities

    # the run computes the outcome mix's shares from the published counts itself
    rules = tuple(r for r in LINKED_QUANTITIES if r.action is not shares_over_published_totals)
    patterns: dict = {}
    changed = take_run_pattern(linked, run, patterns)
    again: dict[str, int] = {}
    for _ in range(rounds):
        apply_linked_quantities(linked, exact_counts=exact_counts, rules=rules)
        added = hide_in_linked(linked, run, patterns)
        if not any(added.values()):
            return {"taken": changed, "hidden_again": again}
        for name, cells in added.items():
            again[name] = again.get(name, 0) + cells
    raise DisclosureError("the linked tables' hand links and the run-level protection did "
                          f"not settle in {rounds} rounds; report this as a bug.")


def _saved(run, report: str, names) -> dict:
    tables = {}
    for name in names:
        spec = run.spec(report, name)
        if spec is None:
            continue
        protected = run.table(report, name)
        frame = protected.frame.reset_index(drop=True)
        tables[name] = {
            "keys": list(spec.keys), "counts": list(spec.counts),
            "columns": list(frame.columns),
            "rows": frame.astype(object).where(frame.notna(), None).to_numpy().tolist(),
            "mask": protected.mask.reset_index(drop=True).to_numpy().tolist()}
    return {"profile": run.profile.name, "tables": tables}


def save_own(run, folder: str | Path, forces) -> list[Path]:
    """Save each force's view of the run's pattern of its own tables (``PATTERN_DIR``), and
    the national overview's of its tables (``national.json``): the published values (never a
    hidden one) and the mask of each table, keyed as registered."""
    from .parameters import NATIONAL
    from .report_specs import OWN_TABLES

    views = Path(folder) / PATTERN_DIR
    shutil.rmtree(views, ignore_errors=True)
    views.mkdir(parents=True)
    paths = []
    national = [name for report, name in run.names if report == NATIONAL]
    for report, names in ((NATIONAL, national), *((force, OWN_TABLES) for force in forces)):
        path = views / f"{report}.json"
        path.write_text(json.dumps(_saved(run, report, names), separators=(",", ":"),
                                   default=str), encoding="utf-8")
        paths.append(path)
    return paths


def report_pattern(folder: str | Path, report: str) -> dict | None:
    """What a report reads of the run's pattern: its own tables' (``own``; none for the
    national overview) and the national figures' (``national``), every report printing some
    of them; None where the run saved none (:func:`load_own`)."""
    from .parameters import NATIONAL

    national = load_own(folder, NATIONAL)
    if national is None:
        return None
    return {"own": None if report == NATIONAL else load_own(folder, report),
            "national": national}


def apply_pattern(protected, name: str, pattern: dict, profile, *, national: bool) -> int:
    """A report's protected table ``name`` hidden wherever the run hides it (``pattern``:
    :func:`report_pattern`): national figures, in the overview or a force report
    (``<linked table>_national``: :func:`hide_national`); a force report's own declared
    tables (:func:`hide_own`); any other table is left as it is. Returns the cells hidden."""
    from .report_specs import OWN_TABLES

    if name.endswith("_national"):
        return hide_national(protected, name, pattern["national"])
    if name in OWN_TABLES and not national:
        return hide_own(protected, name, pattern["own"], profile)
    return 0


def hide_national(protected, name: str, pattern: dict) -> int:
    """Hide, in the national overview's table ``name`` (``<linked table>_national``), every
    cell the run hides in its national figures (``pattern``: :func:`load_own` of
    ``national``); returns the cells newly hidden. The overview's own protection of its
    national figures assumed them published; the run may hide one instead of a second
    force's count in its national line (issue 16: a force's 3 withdrawals followed from the
    national figure less the others'), so it is hidden here."""
    from .same_quantity import hide, record_hidden

    base = name.removesuffix("_national")
    if not name.endswith("_national") or pattern is None or not hasattr(protected, "mask"):
        return 0
    frame = protected.frame
    flat = frame.reset_index() if any(n is not None for n in frame.index.names) else \
        frame.reset_index(drop=True)
    if base not in _LINKED_LAYOUT or flat.empty:
        return 0
    _, hidden, _ = _from_run(pattern, base, flat.assign(force="national"))
    before = protected.mask.to_numpy().copy()
    for column in protected.frame.columns.intersection(hidden.columns):
        hide(protected, hidden[column].to_numpy(dtype=bool), [column])
    rates = [c for c in protected.frame.columns
             if c not in ("n", "count", "n_previous", "n_cohort", "n_files", "n_suspects")
             and not c.startswith("n_") and not c.endswith(("__n", "__n_events", "__n_within"))]
    return record_hidden(protected, before, rates,
                         "the run-level protection of every declared table of the run",
                         note="hidden where the run-level protection hides them")


def load_own(folder: str | Path, force: str) -> dict | None:
    """A force's view saved by :func:`save_own`; None where the run saved none (a run of
    the ``internal`` profile, or a folder from before the run-level protection)."""
    path = Path(folder) / PATTERN_DIR / f"{force}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _cell_columns(name: str, row: pd.Series, columns) -> dict[str, str]:
    """The run table's column of each of the report table's columns in ``row``: the same
    name, except the device table the report prints long (a row per measure) and the run
    reads wide (``measure__column``)."""
    if name == "device_requests":
        return {c: f"{row['measure']}__{c}" for c in columns if c != "measure"}
    return {c: c for c in columns}


def hide_own(protected, name: str, pattern: dict, profile) -> int:
    """Hide, in a force report's protected own table ``name``, every cell the run's pattern
    hides (``pattern``: the force's view, :func:`load_own`); returns the cells newly hidden.

    Raises
    ------
    DisclosureError
        Where a count the run published differs from the report's (the report computed
        another table than the run registered), or a row of the report's is not the run's.
    """
    from .disclosure.rounding import publish_counts
    from .report_specs import UNFITTED
    from .same_quantity import hide, record_hidden

    entry = (pattern or {}).get("tables", {}).get(name)
    if entry is None or not hasattr(protected, "mask"):
        return 0
    theirs = pd.DataFrame(entry["rows"], columns=entry["columns"])
    mask = pd.DataFrame(entry["mask"], columns=entry["columns"]).astype(bool)
    frame = protected.frame
    if any(n is not None for n in frame.index.names):
        raise DisclosureError(f"table {name!r}: the run's pattern is applied to a table "
                              "with its keys as columns, not as its index.")
    keys = [k for k in entry["keys"] if k != "measure"]
    at = {tuple(_canon(theirs.at[i, k]) for k in keys): i for i in range(len(theirs))}
    before = protected.mask.to_numpy().copy()
    for i in range(len(frame)):
        row = frame.iloc[i]
        key = tuple(_canon(row[k]) for k in keys)
        if key not in at:
            if name == "earlier_allegations" and str(row.get("allegation")) == "all":
                continue  # both groups together, protected by the report and never printed
            raise DisclosureError(f"table {name!r}: row {dict(zip(keys, key))} is not in the "
                                  "table the run protected; compute it as the run did "
                                  "(report_specs.own_frames).")
        j = at[key]
        columns = _cell_columns(name, row, frame.columns)
        for mine, run_column in columns.items():
            if run_column not in mask.columns:
                continue
            if run_column in entry["counts"] and not mask.at[j, run_column] \
                    and not protected.mask[mine].iat[i]:
                value = publish_counts(np.array([float(row[mine])]), np.array([False]),
                                       profile)[0]
                if not np.isclose(value, float(theirs.at[j, run_column])):
                    raise DisclosureError(
                        f"table {name!r}, column {mine!r}: the report prints {value:g} where "
                        f"the run protected {theirs.at[j, run_column]}; a report must show the "
                        "numbers registered for it.")
            if mask.at[j, run_column]:
                hide(protected, np.arange(len(frame)) == i, [mine])
    counts = {"n", "n_events"} if name == "device_requests" else set(entry["counts"])
    if name == "device_requests":  # a figure the run does not register (report_specs.UNFITTED)
        # rests on its row's counts: hidden with them
        rests = protected.mask[[c for c in ("n", "n_events") if c in frame.columns]].to_numpy()
        figures = [c for c in frame.columns if c not in counts and c != "measure"]
        hide(protected, rests.any(axis=1) & frame["measure"].isin(UNFITTED).to_numpy(),
             figures)
    return record_hidden(protected, before, [c for c in frame.columns if c not in counts],
                         "the run-level protection of every declared table of the run",
                         note="hidden where the run-level protection hides them")
