"""Benchmark disclosure control's share of a force report's build time, and pseudonymisation.

1. Report: every DisclosureControl call of the force notebook (its construction, which reads
   the run's linked protection, included) and every LinkedProtection call of the report's code,
   timed while its code runs in a process of its own for each force (as bench_reports' floor
   does; the median of five runs), plus the force's share of the run's one-off linked
   protection (a 43rd of the disclosure work of ``national._protect_linked`` on the national
   data: protecting the linked tables, applying the declared links between them, saving them
   and each force's view of them; the median of three runs); against the report's real build
   time by the runner (papermill in a warm kernel, HTML; the median of three builds). Goal:
   disclosure <= 5% of the build. The share of the plain in-process run (no kernel, papermill
   or HTML: a floor) is printed too, as an upper bound, and the run-level protection's part of
   the linked protection (``run_pattern``: its own tables computed, solved, followed, saved)
   with the share the report would have without it.
2. Tables: the report's tables computed by the analysis functions vs protected (per table).
3. Run: the run-level protection of a national-shaped run (43 force reports and the national
   overview, one optimisation: ``RunProtection.solve``) beside the previous greedy pass
   (``legacy.protect_linked``) on the same force × category tables: seconds, share of count cells
   hidden, forces losing a headline figure, and its time per force.
4. Linked: the reports' own linked tables (``reporting/linked_specs.py``) of every force and
   the nation in one run-level optimisation, beside the reports' engine on the same tables
   (``--only linked``; ``--protection 5`` runs both at that level); then the same run with
   each force report's own tables declared so far (``reporting/report_specs.py``) beside them,
   timed against the linked tables alone; then the linked file as a report run writes it,
   the run-level pattern in place of the reports' engine's (``reporting/run_pattern.py``).
   ``make bench`` runs all five parts; ``--only`` runs one.
5. Pseudonymise: keyed HMAC of the four identifier columns of a 1M-row extract (--quick: 100k).
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, report  # noqa: E402

DATA = Path(__file__).resolve().parent / "_data"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # disclosure_tables
FORCES = {"quick": ["durham", "city_of_london"], "full": ["durham", "kent", "city_of_london"]}
RUNS = 5  # in-process runs of each force notebook timed; their median is reported
BUILDS = 3  # builds of each report by the runner timed; their median is reported
LINKED_RUNS = 3  # runs of the run's linked protection timed; their median is reported
# The reports timed. In full mode the data hold all 43 forces at real volumes, as a national run
# does, so each report's share of the run's one-off linked protection is a 43rd of it; the quick
# data hold only the two forces timed, so each pays half of it (an upper bound, not the goal's
# figure). A force report's own work depends only on its own cases and the linked tables' size.


class DisclosureTimer:
    """Wraps the disclosure methods a notebook calls, timing only the outermost call.

    ``DisclosureControl``'s (its construction reads the run's linked protection) and the
    ``LinkedProtection`` methods report code calls directly (the peers' and the national
    rows of the linked tables).
    """

    METHODS = {"DisclosureControl": ("__init__", "protect", "show", "check_figure_data",
                                     "safe_count", "safe_rate", "write_log", "appendix",
                                     "caption"),
               "LinkedProtection": ("slice", "table", "apply")}

    def __init__(self):
        from soteria_research.reporting import disclosure

        self.classes = {"DisclosureControl": disclosure.DisclosureControl,
                        "LinkedProtection": disclosure.LinkedProtection}
        self.seconds, self.depth, self.calls, self.originals = 0.0, 0, 0, {}

    def __enter__(self):
        for owner, names in self.METHODS.items():
            cls = self.classes[owner]
            for name in names:
                original = cls.__dict__[name]
                self.originals[cls, name] = original
                setattr(cls, name, self._wrap(original))
        return self

    def _wrap(self, original):
        timer = self

        def timed(*args, **kwargs):
            timer.depth += 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timer.depth -= 1
                if timer.depth == 0:
                    timer.seconds += time.perf_counter() - start
                    timer.calls += 1
        return timed

    def __exit__(self, *exc):
        for (cls, name), original in self.originals.items():
            setattr(cls, name, original)


def built_seconds(data: Path, forces: list[str]) -> dict[str, float]:
    """Each force report's real build time (papermill in a warm kernel, HTML) by the runner:
    the median of ``BUILDS`` runs (one build of City of London varied by 0.15 s, 4% of it)."""
    from bench_reports import kernel_name

    from soteria_research.reporting.runner import run_reports

    out = Path(tempfile.mkdtemp(prefix="soteria-bench-disclosure-run-"))
    # the first report also pays for starting the kernel: build one first, then the others
    run_reports(data, forces=forces[:1], out=out / "warm", workers=1, national=False,
                kernel_name=kernel_name(), progress=False)
    seconds: dict[str, list[float]] = {}
    for number in range(BUILDS):
        result = run_reports(data, forces=forces, out=out / f"run{number}", workers=1,
                             national=False, kernel_name=kernel_name(), progress=False)
        for outcome in result.reports:
            if outcome.status == "ok":
                seconds.setdefault(outcome.name, []).append(outcome.seconds)
    return {name: statistics.median(values) for name, values in seconds.items()}


def _timed(function, seconds: list[float]):
    """``function``, appending the seconds of each call to ``seconds``."""
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - start)
    return timed


def _notebook_runs(parameters: str) -> list[tuple[float, float, int]]:
    """The force notebook run once to warm imports and caches, then timed ``RUNS`` times:
    (seconds in disclosure calls, seconds of the whole run, disclosure calls) of each."""
    from bench_reports import plain_execute

    from soteria_research.reporting.runner import FORCE_NOTEBOOK

    plain_execute(str(FORCE_NOTEBOOK), parameters)
    runs = []  # the median of a few runs: one garbage collection can double a run's time
    for _ in range(RUNS):
        with DisclosureTimer() as timer:
            start = time.perf_counter()
            plain_execute(str(FORCE_NOTEBOOK), parameters)
            runs.append((timer.seconds, time.perf_counter() - start, timer.calls))
    return runs


def linked_protection_seconds(params, shared: Path
                              ) -> tuple[list[float], list[float], list[float]]:
    """The national preparation run once, and its linked protection ``LINKED_RUNS`` times in all:
    seconds of each run's disclosure work (``national._protect_linked`` less computing the
    tables the reports read: the linked tables, and the national overview's tables
    (``computed_tables.national_tables``, which the overview reads rather than computing them
    again) and each force's own tables (``computed_tables.own_tables``, which its report
    reads likewise); protecting them, applying the declared links, saving the file and each force's
    view of it), of writing the views alone, and of the run-level protection within it
    (``run_pattern``: computing the tables only it needs, less each force's own, solving, the linked
    file following it, each report's view). One run of it took 3.7 s and another 4.5 s with
    the same code, which alone moved City of London's share by 0.4 points."""
    from soteria_research.reporting import (
        computed_tables,
        national,
        run_pattern,
        sections_timeliness,
    )

    originals = {(national, "_protect_linked"): national._protect_linked,
                 (national, "_linked_tables"): national._linked_tables,
                 (sections_timeliness, "linked_tables"): sections_timeliness.linked_tables,
                 (national, "save_linked_views"): national.save_linked_views,
                 (computed_tables, "national_tables"): computed_tables.national_tables,
                 (computed_tables, "own_tables"): computed_tables.own_tables,
                 **{(run_pattern, name): getattr(run_pattern, name)
                    for name in ("solve_run", "follow_run", "save_own")}}
    whole, tables, views, calls, run_level, overview, own = [], [], [], [], [], [], []

    def capture(*args, **kwargs):
        calls.append((args, kwargs))
        return originals[national, "_protect_linked"](*args, **kwargs)

    national._protect_linked = _timed(capture, whole)
    national._linked_tables = _timed(originals[national, "_linked_tables"], tables)
    sections_timeliness.linked_tables = _timed(
        originals[sections_timeliness, "linked_tables"], tables)
    national.save_linked_views = _timed(originals[national, "save_linked_views"], views)
    computed_tables.national_tables = _timed(originals[computed_tables, "national_tables"],
                                             overview)
    computed_tables.own_tables = _timed(originals[computed_tables, "own_tables"], own)
    for name in ("solve_run", "follow_run", "save_own"):
        setattr(run_pattern, name, _timed(originals[run_pattern, name], run_level))
    try:
        national.prepare_national(params, shared)
        args, kwargs = calls[0]
        for _ in range(LINKED_RUNS - 1):
            national._protect_linked(*args, **kwargs)
    finally:
        for (module, name), original in originals.items():
            setattr(module, name, original)
    forces = len(own) // max(len(whole), 1)  # each force's own tables, in each run
    computing = [tables[2 * i] + tables[2 * i + 1] + (overview[i] if overview else 0.0)
                 + sum(own[forces * i:forces * (i + 1)]) for i in range(len(whole))]
    parts = len(run_level) // max(len(whole), 1)  # the run-level calls of each run (3, or 0)
    run_seconds = [sum(run_level[parts * i:parts * (i + 1)])
                   - sum(own[forces * i:forces * (i + 1)]) for i in range(len(whole))]
    return [w - c for w, c in zip(whole, computing, strict=True)], views, run_seconds


def report_share(data: Path, forces: list[str], built: dict[str, float]) -> None:
    """Disclosure time inside each force notebook (the notebook's own code run plainly, in a
    process of its own per force) plus its share of the run's linked protection, against the report's real build
    time and against the plain run (a floor: the share there is an upper bound)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    import pandas as pd

    from soteria_research.reporting.parameters import ReportParameters

    shared = Path(tempfile.mkdtemp(prefix="soteria-bench-disclosure-"))
    params = ReportParameters.validate(force="national", data=str(data), shared=str(shared))
    linked_seconds, view_seconds, run_seconds = linked_protection_seconds(params, shared)
    # the preparation saves each force's cases apart (cases/<force>.parquet)
    per_force = sorted((shared / "cases").glob("*.parquet"))
    linked_per_force = statistics.median(linked_seconds) / max(len(per_force), 1)
    for force in forces:
        parameters = {"force": force, "data": str(data), "shared": str(shared),
                      "output": str(shared / "out" / force), "disclosure": "publication"}
        # each force in a fresh process: timed in one process after Kent's runs, City of
        # London's median rose by a sixth and one of its five runs spent 385 ms in disclosure
        # calls (the others about 100 ms), the earlier reports' heap, not its own code
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            runs = pool.submit(_notebook_runs, json.dumps(parameters)).result()
        seconds, plain = (statistics.median(run[k] for run in runs) for k in (0, 1))
        ours = seconds + linked_per_force
        build = built.get(force)
        share = ours / build if build else None
        report("disclosure", f"share of the {force} report build", ours,
               peer="report build (runner: papermill + HTML)", peer_s=build,
               goal="<= 5% of build", met=None if share is None else share <= 0.05,
               share=None if share is None else round(share, 4),
               share_of_plain_run=round(ours / (plain + linked_per_force), 4),
               plain_run_s=round(plain, 3), calls=runs[0][2],
               in_notebook_s=round(seconds, 3), linked_share_s=round(linked_per_force, 3),
               in_notebook_runs_s=[round(run[0], 3) for run in runs],
               linked_total_s=round(statistics.median(linked_seconds), 3),
               linked_runs_s=[round(value, 3) for value in linked_seconds],
               linked_views_s=round(statistics.median(view_seconds), 3),
               # of linked_total_s: the run-level protection (run_pattern), and its share of
               # this build on its own
               run_level_total_s=round(statistics.median(run_seconds), 3),
               run_level_share=None if not build else round(
                   statistics.median(run_seconds) / max(len(per_force), 1) / build, 4),
               share_without_run_level=None if not build else round(
                   (ours - statistics.median(run_seconds) / max(len(per_force), 1)) / build,
                   4),
               cases=len(pd.read_parquet(shared / "cases" / f"{force}.parquet")))


def table_share(data: Path, force: str) -> None:
    """Computing a force's report tables vs protecting them (analysis functions only)."""
    import pandas as pd

    from soteria_research.analysis import attrition, competing_risks, pillars
    from soteria_research.analysis.timeline import time_to_outcome
    from soteria_research.reporting.disclosure import DisclosureControl

    cases = pd.read_parquet(data)
    cases = cases[cases["force"] == force]

    def compute():
        tte = time_to_outcome(cases)
        return {
            "funnel": (attrition.funnel(cases), {"counts": ["n"]}),
            "outcome_mix": (attrition.outcome_mix(cases, detail="group"), {}),
            "outcome_codes": (attrition.outcome_mix(cases, detail="code"), {}),
            "cohort_trends": (attrition.cohort_rates(cases, within_days=365, freq="Y"),
                              {"kind": "rates", "by": ["cohort"]}),
            "curve": (competing_risks.cumulative_incidence(tte), {"kind": "curve"}),
            "withdrawal_timing": (pillars.withdrawal_timing(cases), {}),
            "repeat_suspects": (pillars.repeat_suspects(cases), {}),
            "device_requests": (pillars.device_requests(cases), {"kind": "rates"}),
            "officer_caseload": (pillars.officer_caseload(cases),
                                 {"by": ["caseload"], "counts": ["officers", "cases"]}),
        }

    tables = compute()

    def protect_all():
        dc = DisclosureControl(profile="publication")
        for name, (table, options) in tables.items():
            dc.protect(table, name=name, **options)
        return dc

    compute_s, protect_s = best_of(compute, 3), best_of(protect_all, 3)
    report("disclosure", f"protect {len(tables)} report tables of {force} ({len(cases)} cases)",
           protect_s, peer="computing those tables", peer_s=compute_s,
           goal="context for the report share", met=None)


def pseudonymise_speed(rows: int) -> None:
    import numpy as np
    import pandas as pd

    from soteria_research.data.pseudonymise import pseudonymise

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "crime_ref": [f"CR/{i:08d}" for i in range(rows)],
        "victim_id": [f"V{i:08d}" for i in rng.integers(0, rows * 0.9, rows)],
        "suspect_id": [f"S{i:08d}" for i in rng.integers(0, rows * 0.6, rows)],
        "officer_id": [f"O{i:05d}" for i in rng.integers(0, 20_000, rows)],
    })
    key = secrets.token_bytes(32)
    seconds = best_of(lambda: pseudonymise(frame, key=key), 1)
    report("pseudonymise", f"HMAC-SHA-256 of 4 identifier columns, {rows:,} rows", seconds,
           goal="1M rows in seconds (< 10 s)", met=seconds < 10 * rows / 1_000_000)


def run_protection(profile: str, quick: bool) -> float:
    """One optimisation over every table of a national-shaped run, beside the greedy pass."""
    from disclosure_tables import engine_hidden, force_sizes, greedy_hidden, national_run

    sizes = force_sizes(12 if quick else 43)
    run, data = national_run(sizes, profile)
    start = time.perf_counter()
    run.solve()
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = greedy_hidden(data, profile)
    greedy_s = time.perf_counter() - start
    ours = engine_hidden(run, sizes)
    names = ("outcome_mix", "recorded", "headline", "cohorts")

    def share(result):
        hidden = sum(result[n][0] for n in names)
        return round(hidden / sum(result[n][1] for n in names), 4)

    large = sorted(f for f, s in sizes.items() if s > 1000)
    report("disclosure", f"run-level protection, {len(sizes)} forces + national ({profile})",
           ours_s, peer="previous greedy pass (force x category tables only)", peer_s=greedy_s,
           goal="no force with > 1,000 cases loses a headline figure",
           met=not set(large) & set(ours["forces_losing_headline"]),
           cells=len(run.system), shown_cells=int(run.system.shown.sum()),
           rounds=run.suppression.rounds, exposed=len(run.suppression.exposed),
           share_hidden=share(ours), share_hidden_greedy=share(theirs),
           per_table={n: [ours[n][0], theirs[n][0], ours[n][1]] for n in names},
           large_forces_losing_headline=sorted(set(large) & set(ours["forces_losing_headline"])),
           large_forces_losing_headline_greedy=sorted(
               set(large) & set(theirs["forces_losing_headline"])),
           per_force_s=round(ours_s / len(sizes), 3))
    return ours_s / len(sizes)


def linked_protection(data: Path, profile: str, protection: int | None = None) -> None:
    """The reports' linked tables (``linked_specs``: headline, outcome mix, funnel, trend table,
    victim breakdowns of every force and the nation) protected by the run-level engine in one
    optimisation, beside the reports' engine on the same tables (``legacy.protect_linked`` with
    the declared links, as ``national._protect_linked``), both at the profile's protection
    level or at ``protection``: seconds, the share of the force
    reports' count cells hidden, and the forces with more than 1,000 cases losing an
    all-offences headline figure."""
    from dataclasses import replace

    import pandas as pd

    from soteria_research.reporting.disclosure import get_profile, protect_linked
    from soteria_research.reporting.linked_quantities import (
        apply_linked_quantities,
        decided_together,
    )
    from soteria_research.reporting.linked_specs import linked_frames, register_linked
    from soteria_research.reporting.national import _linked_tables
    from soteria_research.reporting.sections_timeliness import LINKED as TIMELINESS
    from soteria_research.reporting.sections_timeliness import linked_tables as timeliness_tables

    profile_name = profile
    # both engines at the same protection level (the profile's unless given)
    profile = get_profile(profile)
    if protection is not None:
        profile = replace(profile, protection=protection)
    cases = pd.read_parquet(data)
    sizes = cases["force"].astype(str).value_counts()
    large = set(sizes[sizes > 1000].index)
    frames = {"force": linked_frames(cases, "force"), "national": linked_frames(cases, None)}
    run, ours_s = _timed_solve(profile, register_linked, cases, frames)
    hidden = cells = 0
    ours_lost = set()
    for (report_, name), protected in run._protected.items():
        if report_ == "national":
            continue
        mask = protected.mask[list(protected.counts)]
        hidden, cells = hidden + int(mask.to_numpy().sum()), cells + mask.size
        if name.startswith("headline"):
            rows = protected.frame["offence_group"].eq("all").to_numpy()
            if mask.to_numpy()[rows].any():
                ours_lost.add(report_)
    tables = _linked_tables(cases, None, pd.DataFrame())
    # the timeliness tables, protected with the others as a run does; both engines hold them
    # (the run-level one ties them to the funnel and the outcome mix through its identities)
    tables.update(timeliness_tables(cases))
    compared = ("headline", "outcome_mix", "funnel", "cohort_trends", "demographics",
                *TIMELINESS)
    exact = not profile.round_base
    start = time.perf_counter()
    linked = protect_linked(tables, profile=profile, declared=True,
                            decided=decided_together(exact_counts=exact))
    apply_linked_quantities(linked, exact_counts=exact)
    theirs_s = time.perf_counter() - start
    their_hidden = their_cells = 0
    theirs_lost = set()
    for name, entry in linked.tables.items():
        counts = [c for c in tables[name][1].get("counts", []) if c in entry["columns"]]
        if not counts or not name.startswith(compared):
            continue
        at = [entry["columns"].index(c) for c in counts]
        force_at = entry["columns"].index("force")
        for row, mask in zip(entry["rows"], entry["mask"], strict=True):
            if str(row[force_at]) in ("all", "national", "All forces"):
                continue
            flags = [bool(mask[j]) for j in at]
            their_hidden, their_cells = their_hidden + sum(flags), their_cells + len(flags)
            if name.startswith("headline") and any(flags) and \
                    row[entry["columns"].index("offence_group")] == "all":
                theirs_lost.add(str(row[force_at]))
    report("disclosure", f"reports' linked tables, one optimisation ({profile_name}, protection "
           f"{profile.protection})", ours_s,
           peer="reports' engine, same tables", peer_s=theirs_s,
           goal="no force with > 1,000 cases loses a headline figure",
           met=not large & ours_lost, cells=len(run.system),
           share_hidden=round(hidden / cells, 4),
           share_hidden_reports_engine=round(their_hidden / their_cells, 4),
           large_forces_losing_headline=sorted(large & ours_lost),
           large_forces_losing_headline_reports_engine=sorted(large & theirs_lost),
           forces_losing_headline=sorted(ours_lost),
           forces_losing_headline_reports_engine=sorted(theirs_lost), notes=run.notes)
    own_tables_protection(cases, profile, profile_name, frames, ours_s, large)
    if protection is None:
        linked_file(cases, profile_name, sizes)


def _timed_solve(profile, register, cases, frames):
    """A run-level protection of the tables ``register`` registers, and its solve's seconds
    (the national overview's totals left to the rounding where it protects, as the reports)."""
    from soteria_research.reporting.disclosure import RunProtection

    run = RunProtection(profile)
    register(run, cases, frames=frames)
    start = time.perf_counter()
    run.solve(leave_to_rounding=("force",))
    return run, time.perf_counter() - start


def own_tables_protection(cases, profile, profile_name: str, frames: dict,
                          linked_s: float, large: set) -> None:
    """The same run with each force report's own tables declared so far
    (``report_specs.OWN_TABLES``) registered beside the linked tables, in one optimisation:
    seconds against the linked tables alone (the peer), the cells, and the share of the own
    tables' count cells hidden."""
    from soteria_research.reporting.report_specs import OWN_TABLES, own_frames, register_run

    run, seconds = _timed_solve(profile, register_run, cases,
                                {**frames, "own": own_frames(cases)})
    hidden = cells = 0
    lost = set()
    for (report_, name), protected in run._protected.items():
        mask = protected.mask[list(protected.counts)].to_numpy()
        if name in OWN_TABLES:
            hidden, cells = hidden + int(mask.sum()), cells + mask.size
        elif report_ != "national" and name.startswith("headline") and \
                mask[protected.frame["offence_group"].eq("all").to_numpy()].any():
            lost.add(report_)
    report("disclosure", f"linked and own tables, one optimisation ({profile_name}, protection "
           f"{profile.protection})", seconds, peer="the linked tables alone, same engine",
           peer_s=linked_s, goal="no force with > 1,000 cases loses a headline figure",
           met=not large & lost, cells=len(run.system), own_tables=list(OWN_TABLES),
           share_of_own_cells_hidden=round(hidden / max(cells, 1), 4),
           large_forces_losing_headline=sorted(large & lost), notes=run.notes)


def linked_file(cases, profile_name: str, sizes) -> None:
    """The linked file as a report run writes it (``national._protect_linked``): the reports'
    engine's pattern, and the run-level protection's (``run_pattern``: its solve with the own
    tables, its tables computed, and its pattern taken by the file) in its place: seconds,
    the share of the file's count cells hidden, forces with more than 1,000 cases losing an
    all-offences headline figure, and national headline figures hidden."""
    from soteria_research.reporting import run_pattern
    from soteria_research.reporting.disclosure.linked_shares import _table
    from soteria_research.reporting.national import protect_linked_tables

    def counted(linked):
        hidden = cells = 0
        for name in linked.names:
            _, mask = _table(linked, name)
            counts = mask[linked.tables[name]["counts"]].to_numpy()
            hidden, cells = hidden + int(counts.sum()), cells + counts.size
        frame, mask = _table(linked, "headline")
        lost = frame.loc[mask["count"].to_numpy() & frame["offence_group"].eq("all").to_numpy()
                         & frame["force"].map(sizes).gt(1000).to_numpy(), "force"]
        return round(hidden / cells, 4), sorted(set(lost))

    start = time.perf_counter()
    _, linked = protect_linked_tables(cases, profile_name)
    theirs_s = time.perf_counter() - start
    theirs, theirs_lost = counted(linked)
    start = time.perf_counter()
    run = run_pattern.solve_run(cases, profile_name)
    run_pattern.follow_run(linked, run, exact_counts=not run.profile.round_base)
    ours_s = time.perf_counter() - start
    ours, lost = counted(linked)
    national = [m for m in ("charged_within", "withdrawn_within", "evidential_within",
                            "still_open")
                if run.table("national", f"headline_{m}").mask["count"].any()]
    report("disclosure", f"the run's linked file, run-level pattern ({profile_name})", ours_s,
           peer="reports' engine (the file before)", peer_s=theirs_s,
           goal="no force with > 1,000 cases loses a headline figure", met=not lost,
           share_hidden=ours, share_hidden_reports_engine=theirs,
           large_forces_losing_headline=lost,
           large_forces_losing_headline_reports_engine=theirs_lost,
           national_headline_figures_hidden=national, notes=run.notes)


def case_file(quick: bool, forces: list[str]) -> Path:
    """Synthetic cases (full: every force at real volumes; quick: the timed forces, a tenth)."""
    from soteria_research.data.synthetic import generate_cases

    path = DATA / f"disclosure_cases{'_quick' if quick else '_national'}.parquet"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        generate_cases(forces=forces if quick else None, scale=0.1 if quick else 1.0,
                       seed=0).to_parquet(path, index=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, for a smoke run")
    parser.add_argument("--only", choices=["run", "linked", "report", "pseudonymise"],
                        help="run one part only")
    parser.add_argument("--protection", type=int, default=None,
                        help="linked: both engines at this protection level (default: the "
                             "profile's)")
    args = parser.parse_args()
    forces = FORCES["quick" if args.quick else "full"]
    if args.only in (None, "report"):
        data = case_file(args.quick, forces)
        table_share(data, forces[0])
        report_share(data, forces, built_seconds(data, forces))
    if args.only in (None, "run"):  # the measure: printed by ``make bench`` too
        for profile in ("publication", "partner"):
            run_protection(profile, args.quick)
    if args.only in (None, "linked"):
        data = case_file(args.quick, forces)
        for profile in ("publication", "partner"):
            linked_protection(data, profile, args.protection)
    if args.only in (None, "pseudonymise"):
        pseudonymise_speed(100_000 if args.quick else 1_000_000)


if __name__ == "__main__":
    main()
