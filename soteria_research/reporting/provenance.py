"""Provenance of a report run: what data, code, dictionary and parameters produced each file.

Also the one way report files are written: to a temporary name, then renamed, so they appear whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from ..settings import PROJECT_ROOT

_CHUNK = 1 << 20


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, read in chunks so a large extract needs no memory.

    Examples
    --------
    >>> from soteria_research.reporting.provenance import file_sha256
    >>> from soteria_research.settings import SAMPLE_CASES
    >>> len(file_sha256(SAMPLE_CASES))  # doctest: +SKIP
    64
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def text_sha256(text: str) -> str:
    """SHA-256 of a text (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(**inputs: object) -> str:
    """One hash of everything a report depends on; equal fingerprints mean nothing changed.

    Examples
    --------
    >>> from soteria_research.reporting.provenance import fingerprint
    >>> fingerprint(data="ab", seed=1) == fingerprint(seed=1, data="ab")
    True
    """
    return text_sha256(json.dumps(inputs, sort_keys=True, default=str))


#: What a report's figures depend on besides its data and parameters: the code that computes
#: them, the notebooks that present them and the dictionary that defines the fields.
CODE_GLOBS = ("soteria_research/**/*.py", "notebooks/*.ipynb", "data_dictionaries/*.yaml",
              "data_dictionaries/*.csv", "data_dictionaries/*.json")


def code_fingerprint(root: str | os.PathLike = PROJECT_ROOT) -> str:
    """SHA-256 over the package source, report notebooks and data dictionary under ``root``.

    Part of every report's cache key, so a change to the analysis code rebuilds the reports
    even when the package version was not bumped.

    Examples
    --------
    >>> from soteria_research.reporting.provenance import code_fingerprint
    >>> len(code_fingerprint())
    64
    """
    root = Path(root)
    digest = hashlib.sha256()
    files = sorted({path for pattern in CODE_GLOBS for path in root.glob(pattern)
                    if path.is_file() and "__pycache__" not in path.parts})
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(file_sha256(path).encode("ascii"))
    return digest.hexdigest()


def package_version() -> str:
    """The installed soteria-research version."""
    from .. import __version__

    return __version__


def dictionary_version() -> str:
    """The version of the data dictionary the run validated against."""
    from ..data.dictionary import load_dictionary

    return load_dictionary().version


def git_commit(root: str | os.PathLike = PROJECT_ROOT) -> dict[str, object]:
    """The commit of the source tree and whether it had uncommitted changes.

    Returns ``{"commit": None, ...}`` outside a git checkout or before the first commit, so a
    report run never fails for want of git.
    """
    def _git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def environment() -> dict[str, str]:
    """Python and key library versions, for the methods section and run.json."""
    from importlib.metadata import PackageNotFoundError, version

    libraries = {}
    for name in ("pandas", "numpy", "statsmodels", "scipy", "matplotlib", "papermill", "nbconvert",
                 "acro"):
        try:
            libraries[name] = version(name)
        except PackageNotFoundError:
            continue
    return {"python": platform.python_version(), "platform": sys.platform, **libraries}


def write_atomic(path: str | os.PathLike, content: str | bytes) -> Path:
    """Write a file whole or not at all: a temporary file in the same folder, then a rename.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from soteria_research.reporting.provenance import write_atomic
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> write_atomic(target, "hello").read_text()
    'hello'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def write_json(path: str | os.PathLike, payload: object) -> Path:
    """Write JSON atomically with sorted keys and a final newline (stable bytes for equal data)."""
    text = json.dumps(_json_safe(payload), indent=2, sort_keys=True, default=str) + "\n"
    return write_atomic(path, text)


def _json_safe(value: object) -> object:
    # JSON has no NaN: a missing or suppressed number is written as null.
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return _json_safe(value.item())  # numpy scalars
    return value


def move_atomic(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Move a finished file into place; same filesystem, so the rename is atomic."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    return target
