"""The run's national preparation in a process of its own, so its memory goes when it ends.

The preparation holds the national cases and fits national models; memory a Python process has
used is mostly kept by its allocators after the objects are freed, so a runner that prepared
in its own process would carry that peak through every report it then waits for. A child
process (``concurrent.futures`` with the same spawn context and parent watch as the report
workers) returns it to the system on exit. The run's ``benchmarks.json`` (which reads every
force's cases and the national report's figures) is written in the same child, after the
preparation, for the same reason. Small files are prepared here: a child's start-up (a few
seconds of imports) pays off only when the preparation is large.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Data files at least this large (bytes) are prepared in a child process (a Parquet file of
#: about 400,000 cases; a CSV of about 80,000).
CHILD_FROM_BYTES = 16_000_000


def release_memory() -> None:
    """Collect garbage and hand memory the allocators keep back to the system (glibc's
    ``malloc_trim``, Arrow's pool), where they can."""
    import ctypes
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def _prepare(base, folder: Path, fingerprint: str, rerun: bool, run_dir: Path | None):
    """The preparation, then the run's benchmark file; returns (artefacts, benchmark path)."""
    from .. import national
    from ..benchmarks import write_run_benchmarks

    shared = national.prepare_national(base, folder, fingerprint=fingerprint, rerun=rerun)
    if run_dir is None:
        return shared, None
    release_memory()  # the preparation's frames are gone: give their pages back first
    return shared, write_run_benchmarks(base, folder, run_dir, shared.forces_present)


def prepare_shared(base, folder: Path, *, fingerprint: str, rerun: bool,
                   data_path: Path, child: bool | None = None, run_dir: Path | None = None):
    """``national.prepare_national(base, folder, ...)``, in a child process for large files.

    With ``run_dir``, the run's ``benchmarks.json`` is written there too (by
    ``benchmarks.write_run_benchmarks``) and ``(artefacts, benchmark path or None)`` is
    returned; without, the artefacts alone.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .executors import _watch_parent

    if child is None:
        child = data_path.stat().st_size >= CHILD_FROM_BYTES
    if not child:
        result = _prepare(base, folder, fingerprint, rerun, run_dir)
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_watch_parent,
                                 initargs=(os.getpid(),)) as pool:
            result = pool.submit(_prepare, base, folder, fingerprint, rerun, run_dir).result()
    return result if run_dir is not None else result[0]
