"""The report batch: plan → shared national work → one papermill notebook per report → record.

Reports run in warm Jupyter kernels on a local process pool, or on a Dask cluster given a
scheduler. One run per output folder at a time (a lock); a run that dies leaves its folder
marked unfinished, never looking like the previous run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from ...errors import ParameterError
from .. import provenance
from ..parameters import NATIONAL, ReportParameters, plain_name
from . import memory
from .execute import ReportJob, ReportOutcome, execute_job, plain_error
from .executors import check_scheduler, run_dask, run_local
from .html_render import render_html
from .kernels import ReportFailed, WarmKernel
from .lock import RunLock
from .plan import (
    FORCE_NOTEBOOK,
    NATIONAL_NOTEBOOK,
    RunFolders,
    check_numbers,
    forces_to_build,
    plan_jobs,
    requested_forces,
    resolve_kernel,
)
from .record import (
    RunResult,
    mark_failed,
    mark_running,
    published_validation,
    run_record,
    write_record,
)
from .shared_step import prepare_shared

__all__ = [
    "FORCE_NOTEBOOK", "NATIONAL_NOTEBOOK", "ReportFailed", "ReportJob", "ReportOutcome",
    "RunResult", "WarmKernel", "check_scheduler", "execute_job", "render_html",
    "resolve_kernel", "run_reports",
]


def _force_names() -> dict[str, str]:
    from ...data.dictionary import load_dictionary

    table = load_dictionary().forces
    return dict(zip(table["code"], table["name"]))


def run_reports(
    data: str | os.PathLike,
    *,
    forces: str | Sequence[str] = "all",
    out: str | os.PathLike = "reports",
    workers: int | None = None,
    scheduler=None,
    rerun: bool = False,
    run: str | None = None,
    national: bool = True,
    period_start: str | None = None,
    period_end: str | None = None,
    extract_date: str | None = None,
    disclosure: str | None = None,
    seed: int = 0,
    kernel_name: str | None = None,
    cell_timeout: int = 900,
    startup_timeout: int = 120,
    progress: bool = True,
    force_notebook: str | os.PathLike = FORCE_NOTEBOOK,
    national_notebook: str | os.PathLike = NATIONAL_NOTEBOOK,
    mapping: str | os.PathLike | None = None,
    benchmarks: str | os.PathLike | None = None,
    max_memory: float | None = None,
) -> RunResult:
    """Build the deep-dive report of every force asked for, and the national overview.

    National work (validated cases as Parquet, headline figures of every force, peer groups,
    national models, linked disclosure control) runs once; then each report notebook runs with
    papermill in a warm kernel and is rendered to HTML without code. A report whose inputs (data
    hash, parameters, notebook, package code, dictionary) are unchanged since it last built is
    skipped unless ``rerun``. A failing report does not stop the others: check ``result.ok``.

    Parameters
    ----------
    data : path
        Case file (CSV, Parquet, Excel) in the canonical layout.
    forces : "all", a force code, or a list of codes
        ``"all"`` means every force with cases in the data; a force asked for by code must
        have cases in the data for the period.
    out : path
        Output folder; the run goes to ``out/<run>/`` and executed notebooks to
        ``out/<run>-private/`` (never published).
    workers : int, optional
        Local worker processes (default: the number of CPUs, at most the number of reports).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``tcp://host:8786``) or client; the same jobs then run there.
    rerun : bool
        Rebuild every report even when its inputs are unchanged.
    run : str, optional
        Name of the run folder: a plain name (default: the data file's name without suffix).
    national : bool
        Also build the national overview.
    period_start, period_end, extract_date, disclosure, seed
        Report parameters (see :class:`~soteria_research.reporting.parameters.ReportParameters`).
    kernel_name : str, optional
        Jupyter kernel (default ``SOTERIA_KERNEL`` or ``soteria``).
    cell_timeout : int
        Seconds any one notebook cell may run.
    mapping : path, optional
        Mapping YAML of a force's own export (``data`` is then read through it).
    benchmarks : path, optional
        The ``benchmarks.json`` of a national run: the national and most-similar-force figures
        of a report whose data hold one force (``reporting/benchmarks.py``). A run whose data
        hold several forces writes its own ``benchmarks.json`` into the run folder.
    max_memory : float, optional
        Megabytes the run may use at once on this machine (runner, workers and their kernels):
        reports wait to start while the estimates of those running, plus their own, would
        exceed it (``runner/memory.py``); a report over it on its own runs alone. Only the
        order of work changes, never a published figure. Default: no limit. Not used with a
        Dask ``scheduler``, whose workers have memory limits of their own.

    Returns
    -------
    RunResult

    Examples
    --------
    >>> from soteria_research.reporting import run_reports
    >>> result = run_reports("synthetic_data/sample_cases.csv", forces=["durham"])  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    """

    began = time.perf_counter()
    data_path = Path(data).expanduser().resolve()
    if not data_path.is_file():
        raise ParameterError(f"data={str(data)!r}: no such file. Give the path of a case file "
                             f"(CSV, Parquet or Excel), e.g. synthetic_data/sample_cases.csv.")
    check_numbers(workers=workers, cell_timeout=cell_timeout, startup_timeout=startup_timeout,
                  max_memory=max_memory)
    base = ReportParameters.validate(
        force=NATIONAL, data=str(data_path), period_start=period_start or "",
        period_end=period_end or "", extract_date=extract_date or "",
        disclosure=disclosure or "", seed=seed,
        mapping=str(Path(mapping).expanduser().resolve()) if mapping else "",
        benchmarks=str(Path(benchmarks).expanduser().resolve()) if benchmarks else "",
    )
    requested = requested_forces(forces)
    kernel = resolve_kernel(kernel_name)
    if isinstance(scheduler, str):
        check_scheduler(scheduler)
    run_name = plain_name("run", run) or data_path.stem
    folders = RunFolders.under(out, run_name)

    with RunLock(folders.run_dir) as lock:
        try:
            return _locked_run(
                lock=lock, folders=folders, run_name=run_name, base=base, requested=requested,
                kernel=kernel, data_path=data_path, began=began, rerun=rerun, national=national,
                workers=workers, scheduler=scheduler, cell_timeout=cell_timeout,
                startup_timeout=startup_timeout, progress=progress, max_memory=max_memory,
                notebooks={"national": Path(national_notebook), "force": Path(force_notebook)},
            )
        except BaseException as error:
            mark_failed(folders.run_dir, run_name, plain_error(error))
            raise


def _locked_run(*, lock, folders, run_name, base, requested, kernel, data_path, began, rerun,
                national, workers, scheduler, cell_timeout, startup_timeout, progress,
                notebooks, max_memory=None) -> RunResult:
    folders.make()
    mark_running(folders.run_dir, run_name)
    notes = (["the previous run in this folder did not finish; its reports are rebuilt "
              "where their inputs changed"] if lock.previous_unfinished else [])
    inputs = {
        "data": provenance.file_sha256(data_path),
        "code": provenance.code_fingerprint(),
        "package": provenance.package_version(),
        "dictionary": provenance.dictionary_version(),
    }
    for extra in ("mapping", "benchmarks"):  # their contents, not only their paths
        path = getattr(base, extra)
        if path is not None:
            inputs[extra] = provenance.file_sha256(path)
    names = _force_names()
    shared_started = time.perf_counter()
    # the benchmark file reads every force's cases: written in the preparation's process
    shared, benchmark_file = prepare_shared(
        base, folders.shared,
        fingerprint=provenance.fingerprint(parameters=base.to_json(), **inputs),
        rerun=rerun, data_path=data_path, run_dir=folders.run_dir,
    )
    from ..benchmarks import read_sections
    shared_seconds = time.perf_counter() - shared_started
    codes = forces_to_build(requested, shared.forces_present, names)
    if national and len(shared.forces_present) < 2:
        national = False  # one force's file: its "national" figures would be the force's own
        held = ("only one force has cases in the report period" if base.period_start
                or base.period_end else "the data hold one force")
        notes.append(f"{held}, so no national overview was built (give --benchmarks for "
                     "national figures)")
    wanted = ([NATIONAL] if national else []) + codes
    jobs, outcomes = plan_jobs(
        base, wanted, folders, names=names, kernel=kernel, cell_timeout=cell_timeout,
        startup_timeout=startup_timeout, rerun=rerun, inputs_fingerprint=inputs,
        notebooks=notebooks,
    )
    # Largest first, so the longest reports do not start last and leave workers idle.
    sizes = shared.force_sizes
    jobs.sort(key=lambda j: -(sizes.get(j.name, 0) if j.name != NATIONAL else 10**12))
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    if scheduler is not None:
        if max_memory is not None:
            notes.append("--max-memory is not used with a Dask scheduler: its workers have "
                         "memory limits of their own")
        results = run_dask(jobs, scheduler)
    else:
        results = run_local(jobs, n_workers, memory=_memory_estimates(jobs, shared, folders),
                            budget=memory.kernel_budget_mb(max_memory, n_workers))
    outcomes.extend(_with_progress(results, len(jobs), progress))
    order = {name: i for i, name in enumerate(wanted)}
    outcomes.sort(key=lambda o: order.get(o.name, len(order)))

    result = RunResult(folders.run_dir, folders.private_dir, outcomes,
                       time.perf_counter() - began)
    record = run_record(
        run_name=run_name, outcomes=outcomes, result_seconds=result.seconds,
        base_parameters=json.loads(base.to_json()),
        extra_parameters={
            "forces": codes, "national": national, "kernel_name": kernel,
            "cell_timeout": cell_timeout, "rerun": rerun,
            "executor": "dask" if scheduler is not None else "local",
            "workers": None if scheduler is not None else n_workers,
            "max_memory": None if scheduler is not None else max_memory,
        },
        data={"name": Path(data_path).name, "sha256": inputs["data"]},  # no path: published
        validation=published_validation(shared.validation_summary, base.disclosure),
        shared={"seconds": round(shared_seconds, 3), "reused": shared.reused},
        code=inputs["code"],
    )
    for entry, outcome in zip(record["reports"], outcomes):
        publish = folders.run_dir / ("national" if outcome.name == NATIONAL
                                     else f"forces/{outcome.name}")
        entry["empty_sections"] = read_sections(publish)
    record["benchmarks"] = {
        "written": benchmark_file.name if benchmark_file else None,
        "used": ({"name": Path(base.benchmarks).name, "sha256": inputs["benchmarks"]}
                 if base.benchmarks is not None else None),
    }
    provenance.write_json(folders.private_dir / "validation.json", shared.validation_summary)
    notes += write_record(folders.run_dir, record, names)
    result.notes = tuple(notes)
    return result


def _memory_estimates(jobs, shared, folders) -> dict[str, float]:
    """Each job's estimated peak memory (MB), from the cases its notebook reads."""
    import pandas as pd

    path = folders.shared / "peers.parquet"
    table = pd.read_parquet(path) if path.exists() else pd.DataFrame(columns=["force", "peer"])
    peers = table.groupby("force")["peer"].apply(list).to_dict() if len(table) else {}
    return {job.name: memory.report_memory_mb(memory.cases_read(job.name, shared.force_sizes,
                                                                peers))
            for job in jobs}


def _with_progress(results: Iterable[ReportOutcome], total: int, show: bool):
    from tqdm.auto import tqdm

    with tqdm(total=total, desc="reports", unit="report", disable=not show or total == 0,
              dynamic_ncols=True) as bar:
        for outcome in results:
            bar.set_postfix_str(f"{outcome.name}: {outcome.status}", refresh=False)
            bar.update(1)
            yield outcome

