"""One report run per output folder at a time.

The lock is an advisory ``flock`` on a file in the run folder: the operating system releases it
when the runner exits for any reason (even ``kill -9``), so a lock can never be left stale. The
file also records who holds it, so a second run can say which run is in the way, and whether the
previous run in the folder finished.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
from pathlib import Path

from ...errors import ParameterError

LOCK_NAME = ".soteria-run.lock"


class RunLock:
    """Hold the run folder's lock for the life of a run (a context manager).

    Attributes
    ----------
    previous_unfinished : bool
        True when an earlier run in this folder started and never finished (it was killed or
        its machine stopped): its lock file says so, though the lock itself was released.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with RunLock(folder):
    ...     RunLock(folder).acquire()
    Traceback (most recent call last):
    ...
    soteria_research.errors.ParameterError: ...
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._handle = None
        self.previous_unfinished = False

    def acquire(self) -> RunLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = _holder(handle.read())
            handle.close()
            raise ParameterError(
                f"another soteria report run{holder} is writing to {self.folder}: wait for it to "
                "finish, or give this run its own --run name (or --out folder)."
            ) from None
        handle.seek(0)
        self.previous_unfinished = _holder(handle.read()) != ""
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(),
            "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }))
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        """Release the lock and record that this run finished (an empty lock file)."""
        if self._handle is None:
            return
        try:
            self._handle.seek(0)
            self._handle.truncate()
            self._handle.flush()
        except OSError:
            pass  # a full disk: the lock is still released below
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _holder(text: str) -> str:
    try:
        record = json.loads(text)
    except ValueError:
        return ""
    return (f" (process {record.get('pid')} on {record.get('host')}, started "
            f"{record.get('started')})")
