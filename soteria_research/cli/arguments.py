"""What every `soteria` command shares: reading its options strictly and failing in one line.

A user's mistake on the command line (a date in the wrong form, an output over an input, a path
in a run name, a number out of range) is one red line on stderr and exit code 2, never a
traceback and never a silently different reading.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
from collections.abc import Iterable
from pathlib import Path

import typer

from ..errors import ParameterError, SoteriaError

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def fail(error: SoteriaError | str, code: int = 2) -> None:
    """Print ``error`` as one red line on stderr and exit with ``code`` (2: a usage mistake)."""
    typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def iso_date(option: str, value: str | None) -> dt.date | None:
    """``value`` as a date when written ``YYYY-MM-DD``; ``None`` when empty; otherwise an error.

    Only ISO dates are accepted on the command line: ``01/03/2024`` means 1 March in the UK and
    3 January in the US, so the toolkit refuses to guess.

    Examples
    --------
    >>> iso_date("--extract-date", "2024-03-01")
    datetime.date(2024, 3, 1)
    >>> iso_date("--extract-date", "01/03/2024")
    Traceback (most recent call last):
    ...
    soteria_research.errors.ParameterError: --extract-date '01/03/2024' is not a date in the form YYYY-MM-DD (for example 2024-03-31); dates on the command line are ISO only, so 01/03/2024 cannot be misread.
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if _ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise ParameterError(
        f"{option} {value!r} is not a date in the form YYYY-MM-DD (for example 2024-03-31); "
        "dates on the command line are ISO only, so 01/03/2024 cannot be misread."
    )


def iso_text(option: str, value: str | None) -> str | None:
    """:func:`iso_date` as the ``YYYY-MM-DD`` text the package's functions take."""
    date = iso_date(option, value)
    return date.isoformat() if date else None


def at_least(option: str, value: int | float | None, minimum: int | float) -> None:
    """Refuse ``value`` below ``minimum`` (``None`` means the option was not given).

    Examples
    --------
    >>> at_least("--workers", 0, 1)
    Traceback (most recent call last):
    ...
    soteria_research.errors.ParameterError: --workers 0 is out of range: give a number of at least 1.
    """
    if value is not None and value < minimum:
        raise ParameterError(f"{option} {value} is out of range: give a number of at least {minimum}.")


def listed(option: str, values: Iterable[str] | None) -> list[str]:
    """Items of a repeatable, comma-separated option; refused when it names nothing at all.

    Examples
    --------
    >>> listed("--forces", ["durham,kent", " wiltshire "])
    ['durham', 'kent', 'wiltshire']
    >>> listed("--forces", [""])
    Traceback (most recent call last):
    ...
    soteria_research.errors.ParameterError: --forces '' names nothing: give one or more values, comma-separated or repeated.
    """
    given = list(values or [])
    items = [item.strip() for value in given for item in str(value).split(",") if item.strip()]
    if given and not items:
        raise ParameterError(
            f"{option} {','.join(given)!r} names nothing: give one or more values, comma-separated "
            "or repeated."
        )
    return items


def existing_file(option: str, path: Path) -> Path:
    """``path`` when it is a file that exists; otherwise a one-line error with the fix."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ParameterError(f"{option} {path} is a folder: give the path of a file inside it.")
    if not path.is_file():
        raise ParameterError(f"{option} {path}: no such file. Check the path.")
    return path


def reachable_scheduler(option: str, address: str, *, timeout: float = 3.0) -> str:
    """Refuse, within ``timeout`` seconds, a Dask scheduler address nothing listens on.

    A TCP connection is tried before any work starts, so a typo or a stopped cluster is one
    line, not a 30-second hang and a traceback from deep inside the run. Addresses other than
    ``tcp://`` and ``tls://`` (``inproc://``, ``ucx://``) are passed on unchecked.

    Examples
    --------
    >>> reachable_scheduler("--scheduler", "tcp://127.0.0.1:1", timeout=1)
    Traceback (most recent call last):
    ...
    soteria_research.errors.ParameterError: --scheduler tcp://127.0.0.1:1: no Dask scheduler answers there (...). Start one (`dask scheduler`), check the host and port, or leave out --scheduler to run on this machine.
    """
    scheme, _, rest = address.rpartition("://")
    if (scheme or "tcp") not in ("tcp", "tls"):
        return address
    host, _, port_text = rest.rpartition(":")
    if not host:  # no port given: the scheduler's default
        host, port_text = rest, "8786"
    host = host.strip("[]")  # IPv6 literals are written in brackets
    if not host or not port_text.isdigit():
        raise ParameterError(
            f"{option} {address!r} is not a scheduler address: write it as tcp://HOST:PORT, "
            "for example tcp://10.0.0.5:8786."
        )
    try:
        with socket.create_connection((host, int(port_text)), timeout=timeout):
            pass
        reason = _dask_handshake(address, timeout)
    except OSError as error:
        reason = (f"no answer in {timeout:g} s" if isinstance(error, TimeoutError)
                  else error.strerror or type(error).__name__)
    if reason is None:
        return address
    raise ParameterError(
        f"{option} {address}: no Dask scheduler answers there ({reason}). Start one "
        f"(`dask scheduler`), check the host and port, or leave out {option} to run on this "
        "machine."
    )


def _dask_handshake(address: str, timeout: float) -> str | None:
    """None when a Dask scheduler completes a handshake at ``address``; else why not.

    Only the comm handshake, not a Client: a Client that failed to start lingers and complains
    when it is collected.
    """
    import asyncio

    from distributed.comm import connect

    async def shake() -> None:
        comm = await connect(address, timeout=timeout)
        await comm.close()

    try:
        asyncio.run(asyncio.wait_for(shake(), timeout + 1))
    except Exception as error:  # noqa: BLE001 (a non-Dask server makes the handshake fail in many ways)
        return f"something listens there but is not a Dask scheduler: {type(error).__name__}"
    return None


def plain_name(option: str, value: str | None) -> str | None:
    """A folder or run name with no path in it (no ``/``, ``\\``, ``..`` or leading dot)."""
    if value is None:
        return None
    if not _PLAIN_NAME.fullmatch(value) or ".." in value:
        raise ParameterError(
            f"{option} {value!r} is not a plain name: use letters, digits, '.', '_' and '-' only "
            "(no folders or '..'); the run is always written inside --out."
        )
    return value


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def output_file(option: str, target: Path, *, inputs: Iterable[Path | None] = (),
                protected: Iterable[Path | None] = ()) -> Path:
    """Check that ``target`` can be written as a new output file, and return it.

    Refused, each with the fix: a target that is an existing folder; a target whose folder does
    not exist or cannot be written; a target that is one of ``inputs`` (it would replace the
    data it is made from) or one of ``protected`` (such as the key file).
    """
    target = Path(target)
    for source in inputs:
        if source is not None and (Path(source).resolve() == target.resolve()
                                   or _same_file(Path(source), target)):
            raise ParameterError(
                f"{option} {target} is also the input file: writing it would replace the data it "
                "is made from. Choose a different output file."
            )
    for keep in protected:
        if keep is not None and (Path(keep).resolve() == target.resolve()
                                 or _same_file(Path(keep), target)):
            raise ParameterError(
                f"{option} {target} is the key file: writing it would destroy the key. Choose a "
                "different output file."
            )
    if target.is_dir():
        raise ParameterError(f"{option} {target} is a folder: give a file name inside it.")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ParameterError(
            f"{option} {target}: the folder {folder} does not exist. Create it first "
            f"(mkdir -p {folder}) or choose another path."
        )
    if not os.access(folder, os.W_OK):
        raise ParameterError(f"{option} {target}: the folder {folder} cannot be written to.")
    return target


def output_folder(option: str, target: Path) -> Path:
    """Check that ``target`` is, or can be made, a writable folder, and return it."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ParameterError(f"{option} {target} is a file: give a folder.")
    existing = target
    while not existing.exists():
        existing = existing.parent
    if not os.access(existing, os.W_OK):
        raise ParameterError(f"{option} {target}: {existing} cannot be written to.")
    return target
