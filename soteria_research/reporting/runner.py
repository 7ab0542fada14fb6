"""The report batch: national work once, then one papermill notebook per force, HTML, provenance.

Reports run in warm Jupyter kernels on a local process pool, or on a Dask cluster given a scheduler.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
import threading
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import ParameterError
from ..settings import NOTEBOOK_DIR, get_settings
from . import provenance
from .parameters import NATIONAL, ReportParameters, _as_force

FORCE_NOTEBOOK = NOTEBOOK_DIR / "force_deep_dive.ipynb"
NATIONAL_NOTEBOOK = NOTEBOOK_DIR / "national_overview.ipynb"
WARM_ENGINE = "soteria-warm-kernel"
#: Files a notebook leaves in its staging folder that are published beside its HTML.
PUBLISHED_OUTPUTS = ("metrics.json", "disclosure.json")

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# What one report job is, and what came of it (both plain data: they cross process boundaries)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportJob:
    """One notebook to execute and publish."""

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


@dataclass
class RunResult:
    """The outcome of :func:`run_reports`: where it went and how each report fared."""

    run_dir: Path
    private_dir: Path
    reports: list[ReportOutcome]
    seconds: float

    @property
    def index(self) -> Path:
        return self.run_dir / "index.html"

    @property
    def failed(self) -> list[ReportOutcome]:
        return [r for r in self.reports if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        """A few plain lines: counts by status, each failure with its error, the index path."""
        counts = {s: sum(r.status == s for r in self.reports) for s in ("ok", "skipped", "failed")}
        lines = [
            f"{len(self.reports)} reports in {self.seconds:.1f} s: {counts['ok']} built, "
            f"{counts['skipped']} unchanged, {counts['failed']} failed."
        ]
        for report in self.failed:
            lines.append(f"  FAILED {report.name}: {report.error}  (log: logs/{report.name}.log)")
        lines.append(f"index: {self.index}")
        return "\n".join(lines)


class ReportFailed(RuntimeError):
    """A report notebook could not be executed or rendered."""


# --------------------------------------------------------------------------------------------
# Warm kernels: one per worker (thread), reused across notebooks
# --------------------------------------------------------------------------------------------
_WORKER = threading.local()


def _register_engine() -> None:
    # Papermill's engine always starts a fresh kernel (a second or two, plus every import
    # again); this engine runs the notebook in a kernel the worker already has running.
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None,
                                     **kwargs):
            client = PapermillNotebookClient(
                nb_man, km=kwargs["km"], timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logging.getLogger("papermill"),
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
            )
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register(WARM_ENGINE, WarmKernelEngine)


_RESET_CODE = """\
%reset -f
import matplotlib.pyplot as _plt
_plt.close("all")
del _plt
"""

_WARM_UP_CODE = """\
import soteria_research.reporting.national  # noqa: F401  (pandas, matplotlib, the package)
import soteria_research.reporting.figures  # noqa: F401
"""


class WarmKernel:
    """A Jupyter kernel started once and reused for many notebooks, with a reset in between."""

    def __init__(self, kernel_name: str, *, cwd: Path | None = None, startup_timeout: int = 60,
                 log: Path | None = None):
        self.kernel_name = kernel_name
        self.cwd = cwd
        self.startup_timeout = startup_timeout
        self.km = None
        self.log = log
        self.start()

    def start(self) -> None:
        from jupyter_client.manager import KernelManager

        last_error: Exception | None = None
        for attempt in (1, 2):  # one retry: a kernel occasionally fails to bind or start
            km = KernelManager(kernel_name=self.kernel_name)
            # The kernel's own chatter (start-up warnings, crashes) goes to the run's kernel log,
            # not the terminal: the batch stays quiet and the log keeps what went wrong.
            output = open(self.log, "a", encoding="utf-8") if self.log else subprocess.DEVNULL
            try:
                # No history database: kernels running side by side would contend for it.
                km.start_kernel(cwd=str(self.cwd) if self.cwd else None, stdout=output,
                                stderr=output, env=_kernel_environment(),
                                extra_arguments=["--HistoryManager.enabled=False"])
                self._run(km, _WARM_UP_CODE)
            except Exception as error:  # noqa: BLE001 (any start failure earns one retry)
                last_error = error
                if output is not subprocess.DEVNULL:
                    output.close()
                log.warning("kernel %s failed to start (attempt %d): %s", self.kernel_name,
                            attempt, error)
                with contextlib.suppress(Exception):
                    km.shutdown_kernel(now=True)
                continue
            if output is not subprocess.DEVNULL:
                output.close()  # the kernel process holds its own copy
            self.km = km
            return
        raise ReportFailed(f"the Jupyter kernel {self.kernel_name!r} did not start twice: {last_error}")

    def _run(self, km, code: str) -> None:
        client = km.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=self.startup_timeout)
            reply = client.execute_interactive(code, timeout=self.startup_timeout,
                                               output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                content = reply["content"]
                raise ReportFailed(f"{content.get('ename')}: {content.get('evalue')}")
        finally:
            client.stop_channels()

    @property
    def alive(self) -> bool:
        return self.km is not None and self.km.is_alive()

    def reset(self) -> None:
        """Forget the last notebook's variables and figures; imported modules stay warm."""
        if not self.alive:
            raise ReportFailed("the kernel died")
        self._run(self.km, _RESET_CODE)

    def shutdown(self) -> None:
        if self.km is not None:
            with contextlib.suppress(Exception):
                self.km.shutdown_kernel(now=True)
            self.km = None


def _kernel_environment() -> dict[str, str]:
    # A caller's MPLBACKEND (Agg in tests and on servers) would stop the kernel drawing inline
    # figures into the notebook, so the kernel chooses its own.
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    return env


_ALL_KERNELS: list[WarmKernel] = []


def _shutdown_kernels() -> None:
    for kernel in _ALL_KERNELS:
        kernel.shutdown()


def _worker_kernel(job: ReportJob) -> WarmKernel:
    kernel = getattr(_WORKER, "kernel", None)
    if kernel is not None and (kernel.kernel_name != job.kernel_name or not kernel.alive):
        kernel.shutdown()
        kernel = None
    if kernel is None:
        if not _ALL_KERNELS:
            atexit.register(_shutdown_kernels)
            _register_engine()
        kernel = WarmKernel(job.kernel_name, cwd=job.executed.parent,
                            startup_timeout=job.startup_timeout, log=job.kernel_log)
        _ALL_KERNELS.append(kernel)
        _WORKER.kernel = kernel
    return kernel


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------
_EXTERNAL_SCRIPT = re.compile(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>\s*', re.I)


def render_html(notebook: str | os.PathLike, *, title: str | None = None) -> str:
    """Render an executed notebook to one self-contained HTML page without code.

    Inputs and prompts are left out (nbconvert's ``--no-input``), cells tagged ``remove-cell``
    are dropped and ``remove-input`` shows only outputs, warnings printed to stderr are left in
    the executed notebook but not shown to readers, and images are embedded. The CDN scripts the
    template links (require.js, MathJax) are removed: a report opened on a secure network must not
    reach out, and nothing in it needs them.

    Examples
    --------
    >>> from soteria_research.reporting.runner import render_html
    >>> html = render_html("reports/_private/durham.ipynb")  # doctest: +SKIP
    """
    import nbformat
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    exporter = _html_exporter()
    tags = TagRemovePreprocessor(remove_cell_tags={"remove-cell"},
                                 remove_input_tags={"remove-input"},
                                 remove_all_outputs_tags={"remove-output"})
    nb, resources = tags.preprocess(nb, {})
    resources["metadata"] = {"name": title or Path(notebook).stem}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return _EXTERNAL_SCRIPT.sub("", body)


def _html_exporter():
    exporter = getattr(_WORKER, "exporter", None)
    if exporter is None:  # building the template environment takes ~0.3 s; keep one per worker
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(template_name="lab", exclude_input=True,
                                exclude_input_prompt=True, exclude_output_prompt=True,
                                embed_images=True)
        _WORKER.exporter = exporter
    return exporter


# --------------------------------------------------------------------------------------------
# One job, in a worker
# --------------------------------------------------------------------------------------------
def _job_logger(job: ReportJob) -> tuple[logging.Logger, logging.Handler]:
    job.log.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(job.log, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger(f"soteria.report.{job.name}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.handlers = [handler]
    papermill_log = logging.getLogger("papermill")
    papermill_log.handlers = [handler]
    papermill_log.setLevel(logging.WARNING)
    papermill_log.propagate = False
    return logger, handler


def _unpublish(job: ReportJob) -> None:
    # A report that failed must not leave an older version looking current.
    for name in (job.html_name, *PUBLISHED_OUTPUTS):
        (job.publish / name).unlink(missing_ok=True)
    job.state.unlink(missing_ok=True)


def execute_job(job: ReportJob) -> ReportOutcome:
    """Execute one report notebook in this worker's warm kernel, render and publish it.

    Never raises for a report's own failure: the outcome says ``failed`` with the error, the
    failed notebook is kept beside the executed ones, and the log has the traceback.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    logger, handler = _job_logger(job)
    failed_copy = job.executed.with_name(f"{job.name}.failed.ipynb")
    running = job.executed.with_name(f".{job.name}.running.ipynb")
    produced = False
    try:
        logger.info("report %s: notebook %s, parameters %s", job.name, job.notebook,
                    json.dumps(job.parameters, sort_keys=True))
        shutil.rmtree(job.staging, ignore_errors=True)
        job.staging.mkdir(parents=True)
        job.executed.parent.mkdir(parents=True, exist_ok=True)
        failed_copy.unlink(missing_ok=True)
        kernel = _worker_kernel(job)
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
            if running.exists():
                os.replace(running, job.executed)
                produced = True
            try:
                kernel.reset()
            except Exception:  # noqa: BLE001 (a kernel that cannot reset is replaced next job)
                kernel.shutdown()
        logger.info("executed in %.1f s", time.perf_counter() - started)
        html = render_html(job.executed, title=job.title)
        outputs = [job.html_name]
        for name in PUBLISHED_OUTPUTS:
            staged = job.staging / name
            if staged.exists():
                provenance.move_atomic(staged, job.publish / name)
                outputs.append(name)
        provenance.write_atomic(job.publish / job.html_name, html)
        seconds = time.perf_counter() - started
        outcome = ReportOutcome(job.name, "ok", seconds, None, job.fingerprint,
                                _now(), outputs)
        # The state file is written last: if anything above is interrupted, the report reruns.
        provenance.write_json(job.state, asdict(outcome))
        logger.info("published %s in %.1f s", ", ".join(outputs), seconds)
        return outcome
    except Exception as error:  # noqa: BLE001 (one force's failure must not stop the batch)
        logger.error("report %s failed: %s\n%s", job.name, error, traceback.format_exc())
        if produced and job.executed.exists():
            os.replace(job.executed, failed_copy)  # kept for debugging, never published
        _unpublish(job)
        message = str(error) or type(error).__name__
        return ReportOutcome(job.name, "failed", time.perf_counter() - started, message,
                             job.fingerprint, _now(), [])
    finally:
        handler.close()
        logger.handlers = []


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------------
# Executors: a local process pool, or Dask
# --------------------------------------------------------------------------------------------
def _run_local(jobs: Sequence[ReportJob], workers: int) -> Iterable[ReportOutcome]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if workers <= 1:
        try:
            for job in jobs:
                yield execute_job(job)
        finally:
            kernel = getattr(_WORKER, "kernel", None)
            if kernel is not None:
                kernel.shutdown()
                _WORKER.kernel = None
        return
    # spawn: a forked copy of a parent holding threads and ZMQ sockets is not safe
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        futures = [pool.submit(execute_job, job) for job in jobs]
        for future in as_completed(futures):
            yield future.result()
    except BaseException:
        # Interrupted (Ctrl-C): drop the queued reports rather than wait for all of them;
        # finished ones are already published, and the next run resumes from there.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _run_dask(jobs: Sequence[ReportJob], scheduler) -> Iterable[ReportOutcome]:
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = client.map(execute_job, list(jobs), pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        if client is not scheduler:
            client.close()


# --------------------------------------------------------------------------------------------
# The batch
# --------------------------------------------------------------------------------------------
def resolve_kernel(kernel_name: str | None = None) -> str:
    """The kernel to execute notebooks in: the argument, ``SOTERIA_KERNEL``, else ``soteria``.

    Raises :class:`ParameterError` with the command that installs it when it is missing.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    name = kernel_name or get_settings().kernel_name
    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel as error:
        raise ParameterError(
            f"No Jupyter kernel named {name!r}. Install it from this environment with "
            f"`python -m ipykernel install --user --name {name}` (as `make setup` does), or set "
            f"SOTERIA_KERNEL to an installed kernel (see `jupyter kernelspec list`)."
        ) from error
    return name


def _force_list(forces: str | Sequence[str], present: Sequence[str]) -> list[str]:
    if isinstance(forces, str):
        forces = [forces]
    codes = [str(f).strip().lower() for f in forces]
    if codes == ["all"]:
        return list(present)
    if "all" in codes:
        raise ParameterError("forces: give 'all' on its own, or a list of force codes.")
    return list(dict.fromkeys(_as_force(code) for code in codes))


def _force_names() -> dict[str, str]:
    from ..data.dictionary import load_dictionary

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
) -> RunResult:
    """Build the deep-dive report of every force asked for, and the national overview.

    National work (validated cases as Parquet, headline figures of every force, peer groups,
    national models, linked disclosure control) runs once; then each report notebook runs with
    papermill in a warm kernel and is rendered to HTML without code. A report whose inputs (data
    hash, parameters, notebook, package version) are unchanged since it last built is skipped
    unless ``rerun``. A failing report does not stop the others: check ``result.ok``.

    Parameters
    ----------
    data : path
        Case file (CSV, Parquet, Excel) in the canonical layout.
    forces : "all", a force code, or a list of codes
        ``"all"`` means every force with cases in the data.
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
        Name of the run folder (default: the data file's name without suffix).
    national : bool
        Also build the national overview.
    period_start, period_end, extract_date, disclosure, seed
        Report parameters (see :class:`~soteria_research.reporting.parameters.ReportParameters`).
    kernel_name : str, optional
        Jupyter kernel (default ``SOTERIA_KERNEL`` or ``soteria``).
    cell_timeout : int
        Seconds any one notebook cell may run.

    Returns
    -------
    RunResult

    Examples
    --------
    >>> from soteria_research.reporting import run_reports
    >>> result = run_reports("synthetic_data/sample_cases.csv", forces=["durham"])  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    """
    from . import national as national_work
    from .html import write_index

    began = time.perf_counter()
    data_path = Path(data).expanduser().resolve()
    if not data_path.is_file():
        raise ParameterError(f"data={str(data)!r}: no such file. Give the path of a case file "
                             f"(CSV, Parquet or Excel), e.g. synthetic_data/sample_cases.csv.")
    base = ReportParameters.validate(
        force=NATIONAL, data=str(data_path), period_start=period_start or "",
        period_end=period_end or "", extract_date=extract_date or "",
        disclosure=disclosure or "", seed=seed,
    )
    kernel = resolve_kernel(kernel_name)
    if isinstance(forces, str) and forces.strip().lower() != "all":
        _force_list(forces, [])  # reject an unknown code before any work
    elif not isinstance(forces, str):
        _force_list(forces, [])

    run_name = run or data_path.stem
    run_dir = Path(out).expanduser().resolve() / run_name
    private_dir = run_dir.parent / f"{run_name}-private"
    for folder in (run_dir / "logs", private_dir / "notebooks", private_dir / "state"):
        folder.mkdir(parents=True, exist_ok=True)

    data_sha = provenance.file_sha256(data_path)
    code_version = provenance.package_version()
    dictionary_version = provenance.dictionary_version()
    shared_dir = private_dir / "shared"
    shared_started = time.perf_counter()
    shared = national_work.prepare_national(
        base, shared_dir,
        fingerprint=provenance.fingerprint(data=data_sha, parameters=base.to_json(),
                                           package=code_version, dictionary=dictionary_version),
        rerun=rerun,
    )
    shared_seconds = time.perf_counter() - shared_started
    names = _force_names()
    codes = _force_list(forces, shared.forces_present)

    jobs: list[ReportJob] = []
    outcomes: list[ReportOutcome] = []
    notebooks = {"national": Path(national_notebook), "force": Path(force_notebook)}
    notebook_sha = {kind: provenance.file_sha256(path) for kind, path in notebooks.items()}
    wanted = ([NATIONAL] if national else []) + codes
    for name in wanted:
        kind = "national" if name == NATIONAL else "force"
        publish = run_dir / ("national" if kind == "national" else f"forces/{name}")
        staging = private_dir / "staging" / name
        params = base.replace(force=name, shared=str(shared_dir), output=str(staging))
        # The fingerprint leaves out folders, so a moved run folder still resumes.
        job_fingerprint = provenance.fingerprint(
            data=data_sha, parameters=base.replace(force=name).to_json(),
            notebook=notebook_sha[kind], package=code_version, dictionary=dictionary_version,
        )
        job = ReportJob(
            name=name, notebook=notebooks[kind], parameters=params.to_notebook(),
            executed=private_dir / "notebooks" / f"{name}.ipynb", staging=staging,
            publish=publish, html_name="overview.html" if kind == "national" else "report.html",
            log=run_dir / "logs" / f"{name}.log", state=private_dir / "state" / f"{name}.json",
            title=("England and Wales: RASSO national overview" if kind == "national"
                   else f"{names.get(name, name)}: RASSO deep-dive"),
            kernel_name=kernel, cell_timeout=cell_timeout, startup_timeout=startup_timeout,
            fingerprint=job_fingerprint, kernel_log=run_dir / "logs" / "kernels.log",
        )
        previous = _previous_outcome(job)
        if previous is not None and not rerun:
            previous.status = "skipped"
            outcomes.append(previous)
        else:
            jobs.append(job)

    # Largest first, so the longest reports do not start last and leave workers idle.
    sizes = shared.force_sizes
    jobs.sort(key=lambda j: -(sizes.get(j.name, 0) if j.name != NATIONAL else 10**12))
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    results = _run_dask(jobs, scheduler) if scheduler is not None else _run_local(jobs, n_workers)
    outcomes.extend(_with_progress(results, len(jobs), progress))
    order = {name: i for i, name in enumerate(wanted)}
    outcomes.sort(key=lambda o: order.get(o.name, len(order)))

    result = RunResult(run_dir, private_dir, outcomes, time.perf_counter() - began)
    run_record = {
        "run": run_name,
        "finished": _now(),
        "package_version": code_version,
        "git": provenance.git_commit(),
        "data": {"path": str(data_path), "sha256": data_sha},
        "dictionary_version": dictionary_version,
        "environment": provenance.environment(),
        "parameters": {
            **json.loads(base.to_json()), "forces": codes, "national": national,
            "kernel_name": kernel, "cell_timeout": cell_timeout, "rerun": rerun,
            "executor": "dask" if scheduler is not None else "local",
            "workers": None if scheduler is not None else n_workers,
        },
        "validation": shared.validation_summary,
        "shared": {"seconds": round(shared_seconds, 3), "reused": shared.reused},
        "reports": [
            {**asdict(o), "seconds": round(o.seconds, 3),
             "kind": "national" if o.name == NATIONAL else "force",
             "log": f"logs/{o.name}.log"}
            for o in outcomes
        ],
        "summary": {s: sum(o.status == s for o in outcomes) for s in ("ok", "skipped", "failed")},
        "total_seconds": round(result.seconds, 3),
    }
    for entry in run_record["parameters"]:
        if entry in ("shared", "output"):
            run_record["parameters"][entry] = None
    provenance.write_json(run_dir / "run.json", run_record)
    write_index(run_dir, run_record, names=names)
    return result


def _previous_outcome(job: ReportJob) -> ReportOutcome | None:
    if not job.state.exists():
        return None
    try:
        state = json.loads(job.state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if state.get("fingerprint") != job.fingerprint or state.get("status") != "ok":
        return None
    if not all((job.publish / name).exists() for name in state.get("outputs", [job.html_name])):
        return None
    return ReportOutcome(**{k: state.get(k) for k in ReportOutcome.__dataclass_fields__})


def _with_progress(results: Iterable[ReportOutcome], total: int, show: bool):
    from tqdm.auto import tqdm

    with tqdm(total=total, desc="reports", unit="report", disable=not show or total == 0,
              dynamic_ncols=True) as bar:
        for outcome in results:
            bar.set_postfix_str(f"{outcome.name}: {outcome.status}", refresh=False)
            bar.update(1)
            yield outcome
