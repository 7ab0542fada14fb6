"""One report job, in a worker: execute its notebook in a warm kernel, render, publish.

A job never raises for its own failure: the outcome says ``failed`` with a one-line reason, and
nothing half-written is left behind (no zero-byte notebook, no staging JSON, no stale report).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import shutil
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import provenance
from .html_render import render_html
from .kernels import WARM_ENGINE, ReportFailed, worker_kernel

#: Files a notebook leaves in its staging folder that are published beside its HTML.
PUBLISHED_OUTPUTS = ("metrics.json", "disclosure.json", "tables.xlsx", "sections.json")
#: Folder of the report's tables as CSV (``reporting/takeaway.py``), published whole.
PUBLISHED_TABLES = "tables"


@dataclass(frozen=True)
class ReportJob:
    """One notebook to execute and publish (plain data: it crosses process boundaries)."""

    name: str
    notebook: Path
    parameters: dict
    executed: Path
    staging: Path
    publish: Path
    html_name: str
    log: Path
    state: Path
    title: str
    kernel_name: str
    cell_timeout: int
    startup_timeout: int
    fingerprint: str
    kernel_log: Path | None = None


@dataclass
class ReportOutcome:
    """What happened to one report: ``ok``, ``skipped`` (inputs unchanged) or ``failed``."""

    name: str
    status: str
    seconds: float = 0.0
    error: str | None = None
    fingerprint: str | None = None
    finished: str | None = None
    outputs: list[str] = field(default_factory=list)


def now() -> str:
    """The current UTC time, ISO 8601 to the second (for run records)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def plain_error(error: BaseException) -> str:
    """A one-line reason a reader can act on; a full disk says so and what to do."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f" while writing {error.filename}" if error.filename else ""
        return (f"no space left on the disk{where}: free some space (or give --out on another "
                "disk) and run again; reports already built are kept.")
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _job_logger(job: ReportJob) -> tuple[logging.Logger, logging.Handler | None]:
    logger = logging.getLogger(f"soteria.report.{job.name}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        job.log.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler | None = logging.FileHandler(job.log, mode="w", encoding="utf-8")
    except OSError:  # a full disk must not stop the job from reporting why it failed
        handler = None
    handlers = [handler] if handler is not None else [logging.NullHandler()]
    if handler is not None:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.handlers = handlers
    papermill_log = logging.getLogger("papermill")
    papermill_log.handlers = list(handlers)
    papermill_log.setLevel(logging.WARNING)
    papermill_log.propagate = False
    return logger, handler


def _unpublish(job: ReportJob) -> None:
    # A report that failed must not leave an older version looking current.
    for name in (job.html_name, *PUBLISHED_OUTPUTS):
        (job.publish / name).unlink(missing_ok=True)
    shutil.rmtree(job.publish / PUBLISHED_TABLES, ignore_errors=True)
    job.state.unlink(missing_ok=True)
    shutil.rmtree(job.staging, ignore_errors=True)


def _keep_failed_copy(running: Path, failed_copy: Path) -> None:
    """Keep the executed notebook of a failed job for debugging, unless it is empty or partial."""
    source = running if running.exists() else None
    try:
        if source is not None and source.stat().st_size > 0:
            json.loads(source.read_text(encoding="utf-8"))  # a partial write is not valid JSON
            os.replace(source, failed_copy)
    except (OSError, ValueError):
        pass
    finally:
        running.unlink(missing_ok=True)


def _execute_notebook(job: ReportJob, running: Path, logger=None) -> None:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from .memory import peak_mb, reset_peak

    kernel = worker_kernel(job.kernel_name, cwd=job.executed.parent,
                           startup_timeout=job.startup_timeout, log_path=job.kernel_log)
    pid = getattr(getattr(kernel.km, "provisioner", None), "pid", None)
    reset_peak(pid)  # the kernel's peak memory for this report alone (the run's --max-memory)
    try:
        pm.execute_notebook(
            str(job.notebook), str(running), parameters=job.parameters,
            engine_name=WARM_ENGINE, km=kernel.km, kernel_name=job.kernel_name,
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            execution_timeout=job.cell_timeout, start_timeout=job.startup_timeout,
        )
    except PapermillExecutionError as error:
        raise ReportFailed(
            f"cell {error.exec_count} raised {error.ename}: {error.evalue}".strip()
        ) from error
    finally:
        peak = peak_mb(pid)
        if logger is not None and peak is not None:
            logger.info("kernel peak memory %.0f MB", peak)
        try:
            kernel.reset()
        except Exception:  # noqa: BLE001 (a kernel that cannot reset is replaced next job)
            kernel.shutdown()


def _publish(job: ReportJob, html: str) -> list[str]:
    outputs = [job.html_name]
    for name in PUBLISHED_OUTPUTS:
        staged = job.staging / name
        if staged.exists():
            provenance.move_atomic(staged, job.publish / name)
            outputs.append(name)
        elif (job.publish / name).exists():  # a file this run no longer writes
            (job.publish / name).unlink()
    outputs += _publish_tables(job)
    provenance.write_atomic(job.publish / job.html_name, html)
    return outputs


def _publish_tables(job: ReportJob) -> list[str]:
    """Move the staged CSV tables to the report's ``tables/`` folder; a table the report no
    longer shows does not stay behind from an earlier run."""
    staged = job.staging / PUBLISHED_TABLES
    target = job.publish / PUBLISHED_TABLES
    names = sorted(p.name for p in staged.glob("*.csv")) if staged.is_dir() else []
    if target.is_dir():
        for old in target.glob("*.csv"):
            if old.name not in names:
                old.unlink()
    for name in names:
        provenance.move_atomic(staged / name, target / name)
    return [f"{PUBLISHED_TABLES}/{name}" for name in names]


def execute_job(job: ReportJob) -> ReportOutcome:
    """Execute one report notebook in this worker's warm kernel, render and publish it.

    Never raises for a report's own failure: the outcome says ``failed`` with the error, the
    failed notebook is kept beside the executed ones (when it was written whole), and the log
    has the traceback.
    """
    started = time.perf_counter()
    logger, handler = _job_logger(job)
    failed_copy = job.executed.with_name(f"{job.name}.failed.ipynb")
    running = job.executed.with_name(f".{job.name}.running.ipynb")
    try:
        logger.info("report %s: notebook %s, parameters %s", job.name, job.notebook,
                    json.dumps(job.parameters, sort_keys=True))
        shutil.rmtree(job.staging, ignore_errors=True)
        job.staging.mkdir(parents=True)
        job.executed.parent.mkdir(parents=True, exist_ok=True)
        failed_copy.unlink(missing_ok=True)
        _execute_notebook(job, running, logger)
        os.replace(running, job.executed)
        logger.info("executed in %.1f s", time.perf_counter() - started)
        outputs = _publish(job, render_html(job.executed, title=job.title))
        seconds = time.perf_counter() - started
        outcome = ReportOutcome(job.name, "ok", seconds, None, job.fingerprint, now(), outputs)
        # The state file is written last: if anything above is interrupted, the report reruns.
        provenance.write_json(job.state, asdict(outcome))
        shutil.rmtree(job.staging, ignore_errors=True)
        logger.info("published %s in %.1f s", ", ".join(outputs), seconds)
        return outcome
    except Exception as error:  # noqa: BLE001 (one force's failure must not stop the batch)
        try:
            logger.error("report %s failed: %s\n%s", job.name, error, traceback.format_exc())
        except OSError:
            pass
        _keep_failed_copy(running, failed_copy)
        try:
            _unpublish(job)
        except OSError:
            pass
        return ReportOutcome(job.name, "failed", time.perf_counter() - started,
                             plain_error(error), job.fingerprint, now(), [])
    finally:
        if handler is not None:
            handler.close()
        logger.handlers = []
