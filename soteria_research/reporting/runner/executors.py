"""Where report jobs run: in this process, on a local process pool, or on a Dask cluster.

Workers never outlive the runner: each pool worker watches its parent and, when the runner is
gone (killed, even with ``kill -9``), stops its kernel and exits, so no orphan goes on to publish
reports that no run will record. Kernels in turn watch their worker (ipykernel's parent poller).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlparse

from ...errors import ParameterError
from .execute import ReportJob, ReportOutcome, execute_job
from .kernels import shutdown_all_kernels, shutdown_worker_kernel

#: Seconds a worker waits between checks that its runner is still alive.
_PARENT_POLL_SECONDS = 0.5
#: Seconds to wait for a Dask scheduler to accept a connection before giving up.
SCHEDULER_TIMEOUT = 5.0


def _watch_parent(parent_pid: int) -> None:
    """Pool-worker initializer: exit (after stopping the kernel) once the runner has gone."""

    def watch() -> None:
        while True:
            time.sleep(_PARENT_POLL_SECONDS)
            if os.getppid() != parent_pid:
                with contextlib.suppress(Exception):
                    shutdown_all_kernels()
                os._exit(1)

    threading.Thread(target=watch, name="soteria-parent-watch", daemon=True).start()


def run_sequential(jobs: Sequence[ReportJob]) -> Iterable[ReportOutcome]:
    """Run the jobs one after another in this process (one warm kernel)."""
    try:
        for job in jobs:
            yield execute_job(job)
    finally:
        shutdown_worker_kernel()


def run_local(jobs: Sequence[ReportJob], workers: int,
              memory: Mapping[str, float] | None = None,
              budget: float | None = None) -> Iterable[ReportOutcome]:
    """Run the jobs on ``workers`` local processes (sequentially when ``workers`` is 1).

    With ``memory`` (each job's estimated peak MB, by name) and ``budget`` (MB for all
    kernels at once), a job starts only while the running jobs' estimates plus its own stay
    within the budget (``memory.fits``), the first such job in the given order; a job over
    the budget on its own runs alone. Outcomes are yielded as jobs finish.
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from .memory import fits

    if workers <= 1:
        yield from run_sequential(jobs)
        return
    # spawn: a forked copy of a parent holding threads and ZMQ sockets is not safe
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_watch_parent, initargs=(os.getpid(),))
    estimate = (lambda job: 0.0) if memory is None else (lambda job: memory.get(job.name, 0.0))
    pending, running = list(jobs), {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                job = next((j for j in pending
                            if fits([estimate(r) for r in running.values()], estimate(j),
                                    budget)), None)
                if job is None:
                    break
                pending.remove(job)
                running[pool.submit(execute_job, job)] = job
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                running.pop(future)
                yield future.result()
    except BaseException:
        # Interrupted (Ctrl-C): drop the queued reports rather than wait for all of them;
        # finished ones are already published, and the next run resumes from there.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def check_scheduler(address: str, timeout: float = SCHEDULER_TIMEOUT) -> None:
    """Refuse, within ``timeout`` seconds, a Dask scheduler address that cannot be reached.

    Examples
    --------
    >>> check_scheduler("tcp://127.0.0.1:1", timeout=1)
    Traceback (most recent call last):
    ...
    soteria_research.errors.ParameterError: --scheduler tcp://127.0.0.1:1: no Dask scheduler answered within 1 s (connection refused). Start one (dask scheduler) or check the address; leave --scheduler out to run on this machine.
    """
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    if parsed.scheme not in ("tcp", "tls", "ws", "wss") or not parsed.hostname or not parsed.port:
        raise ParameterError(
            f"--scheduler {address}: not a Dask scheduler address; write it as "
            "tcp://HOST:PORT (for example tcp://127.0.0.1:8786)."
        )
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=timeout):
            return
    except OSError as error:
        reason = "connection refused" if isinstance(error, ConnectionRefusedError) else (
            "timed out" if isinstance(error, TimeoutError) else str(error))
        raise ParameterError(
            f"--scheduler {address}: no Dask scheduler answered within {timeout:g} s "
            f"({reason}). Start one (dask scheduler) or check the address; leave --scheduler "
            "out to run on this machine."
        ) from None


def run_dask(jobs: Sequence[ReportJob], scheduler) -> Iterable[ReportOutcome]:
    """Run the jobs on a Dask cluster (an address or a ``distributed.Client``)."""
    from distributed import Client, as_completed

    if isinstance(scheduler, str):
        check_scheduler(scheduler)
    client = scheduler if isinstance(scheduler, Client) else Client(
        scheduler, timeout=f"{SCHEDULER_TIMEOUT}s")
    try:
        futures = client.map(execute_job, list(jobs), pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        # Each worker keeps a warm kernel for the next report; a Dask worker outlives the
        # run, so its kernel (hundreds of MB, holding the last report's data) is stopped here.
        with contextlib.suppress(Exception):
            client.run(shutdown_all_kernels)
        if client is not scheduler:
            client.close()
