"""Warm Jupyter kernels: one per worker, started once and reused for many report notebooks.

Papermill's own engine starts a fresh kernel for every notebook (a second or two, and every
import again); the engine registered here runs a notebook in the worker's running kernel.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import subprocess
import threading
from pathlib import Path

WARM_ENGINE = "soteria-warm-kernel"

log = logging.getLogger(__name__)


class ReportFailed(RuntimeError):
    """A report notebook could not be executed or rendered."""


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
import gc as _gc
_gc.collect()
import pyarrow as _pa
_pa.default_memory_pool().release_unused()  # what Arrow's allocator kept of the last report
import ctypes as _ct
try:  # and what glibc's malloc kept (the national overview's frames): back to the system
    _ct.CDLL("libc.so.6").malloc_trim(0)
except (OSError, AttributeError):  # not glibc
    pass
del _gc, _pa, _ct
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


def worker_kernel(kernel_name: str, *, cwd: Path | None, startup_timeout: int,
                  log_path: Path | None) -> WarmKernel:
    """This worker's warm kernel for ``kernel_name``: started on first use, replaced if it died."""
    kernel = getattr(_WORKER, "kernel", None)
    if kernel is not None and (kernel.kernel_name != kernel_name or not kernel.alive):
        kernel.shutdown()
        kernel = None
    if kernel is None:
        if not _ALL_KERNELS:
            atexit.register(_shutdown_kernels)
            _register_engine()
        kernel = WarmKernel(kernel_name, cwd=cwd, startup_timeout=startup_timeout, log=log_path)
        _ALL_KERNELS.append(kernel)
        _WORKER.kernel = kernel
    return kernel


def shutdown_worker_kernel() -> None:
    """Stop this worker's kernel (end of a sequential batch, or the worker is leaving)."""
    kernel = getattr(_WORKER, "kernel", None)
    if kernel is not None:
        kernel.shutdown()
        _WORKER.kernel = None


def shutdown_all_kernels() -> None:
    """Stop every kernel this process started (the runner is going away)."""
    _shutdown_kernels()
