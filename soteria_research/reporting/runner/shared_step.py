"""The run's national preparation in a process of its own, so its memory goes when it ends.

The preparation holds the national cases and fits national models; memory a Python process has
used is mostly kept by its allocators after the objects are freed, so a runner that prepared
in its own process would carry that peak through every report it then waits for. A child
process (``concurrent.futures`` with the same spawn context and parent watch as the report
workers) returns it to the system on exit. Small files are prepared here: a child's start-up
(a few seconds of imports) pays off only when the preparation is large.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Data files at least this large (bytes) are prepared in a child process (a Parquet file of
#: about 400,000 cases; a CSV of about 80,000).
CHILD_FROM_BYTES = 16_000_000


def prepare_shared(base, folder: Path, *, fingerprint: str, rerun: bool,
                   data_path: Path, child: bool | None = None):
    """``national.prepare_national(base, folder, ...)``, in a child process for large files."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .. import national
    from .executors import _watch_parent

    if child is None:
        child = data_path.stat().st_size >= CHILD_FROM_BYTES
    if not child:
        return national.prepare_national(base, folder, fingerprint=fingerprint, rerun=rerun)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_watch_parent,
                             initargs=(os.getpid(),)) as pool:
        return pool.submit(national.prepare_national, base, folder, fingerprint=fingerprint,
                           rerun=rerun).result()
