"""The pseudonymisation key: where it is read from, the one form it may take, and how strong it must be.

The rule (README, "Pseudonymisation is not anonymisation"): a key is at least 32 random bytes,
kept in a key file as hex. No message, log or output ever shows a key or any part of one, and no
fingerprint of the key is kept anywhere: any value computed from the key alone would let someone
who guesses a key confirm the guess without knowing a single raw identifier.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import KeyFileError

__all__ = ["KEY_HELP", "KEY_RULE", "MAX_KEY_BYTES", "MIN_KEY_BYTES", "as_key",
           "check_key_strength", "key_from_text", "load_key"]

MIN_KEY_BYTES = 32
MAX_KEY_BYTES = 1024
_MAX_FILE_BYTES = 2 * MAX_KEY_BYTES + 2  # the hex digits and one CRLF

KEY_RULE = (
    "A key is at least 32 random bytes, written in its key file as hex: 64 or more hex digits "
    "(0-9, a-f), an even number, on one line. One trailing newline (LF or CRLF) is ignored; "
    "anything else (a space, a second line, a 0x prefix, an odd number of digits, a passphrase) "
    "is an error, never read as text. A key that cannot be random is refused: one that repeats "
    "a pattern (all zeros, abab..., a block written twice), counts (00 01 02 ...), is all "
    "printable characters (a passphrase, hex-encoded or not), or uses fewer different byte "
    "values than half its length (at most 128). A random key fails these checks with a probability "
    "below 1 in 10^13; they cannot tell a random key from a hash of a guessable phrase, so make "
    "the key with a random generator."
)
KEY_HELP = (
    "Create a key once, keep it outside the project and the data folder, and never share it "
    "with the outputs:\n"
    '    python -c "import secrets; print(secrets.token_hex(32))" > soteria.key\n'
    "(or: openssl rand -hex 32 > soteria.key), then pass --key-file soteria.key or set "
    "SOTERIA_KEY_FILE=/path/to/soteria.key."
)

_HEX = re.compile(r"[0-9a-fA-F]+")
# A run of characters a key could be written in (hex, base64, base64url): a path component
# holding one may be the key itself, pasted where the path belongs.
_KEY_LIKE_RUN = re.compile(r"[0-9a-fA-F]{16,}|[A-Za-z0-9+=_-]{24,}")


def load_key(path: str | os.PathLike | None = None, *, option: str | None = None) -> bytes:
    """Read the pseudonymisation key from the key file ``path`` (default ``SOTERIA_KEY_FILE``).

    The file must follow :data:`KEY_RULE`: hex, at least 64 digits, one optional trailing
    newline, and a key that could be random.

    Parameters
    ----------
    path : path, optional
        The key file; when omitted, the file named by ``SOTERIA_KEY_FILE`` (environment or
        ``.env``).
    option : str, optional
        How the user gave the path (``"--key-file"``), for messages; default
        ``"SOTERIA_KEY_FILE"`` when ``path`` is omitted, else ``"key file"``.

    Returns
    -------
    bytes
        The key (the decoded hex).

    Raises
    ------
    KeyFileError
        No key given, no such file, unreadable, not one hex key, or too weak. The message says
        which rule was broken and how to make a key; it never shows the key or any part of it,
        nor a missing "path" that may be the key itself pasted in its place.

    Examples
    --------
    >>> import pathlib, secrets, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "soteria.key"
    >>> _ = path.write_text(secrets.token_hex(32) + "\\n")
    >>> len(load_key(path))
    32
    >>> _ = path.write_text("00" * 32)
    >>> load_key(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    soteria_research.errors.KeyFileError: key file ...: the key repeats a pattern of 1 byte ...
    """
    if path is None:
        from ..settings import get_settings

        path = get_settings().key_file
        option = option or "SOTERIA_KEY_FILE"
    option = option or "key file"
    if path is None or not str(path).strip():
        raise KeyFileError(f"no pseudonymisation key given. {KEY_HELP}")
    path = Path(path).expanduser()
    shown = _shown_path(path)
    if not path.exists():
        raise KeyFileError(
            f"{option}: no file {shown}. {option} must name the file that holds the key, "
            f"never the key itself. {KEY_HELP}")
    if path.is_dir():
        raise KeyFileError(f"{option}: {shown} is a folder; give the key file inside it.")
    try:
        with path.open("rb") as handle:
            content = handle.read(_MAX_FILE_BYTES + 1)
    except OSError as error:
        raise KeyFileError(f"{option}: {shown} cannot be read ({error.strerror}).") from None
    if len(content) > _MAX_FILE_BYTES:
        raise KeyFileError(
            f"{option}: {shown} is longer than a key file can be (at most {2 * MAX_KEY_BYTES} hex "
            "digits and a newline); is it the right file?")
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError:
        raise KeyFileError(
            f"{option}: {shown} is not text. The key file holds the key as hex digits "
            f"(0-9, a-f). {KEY_HELP}") from None
    return key_from_text(_without_final_newline(text), source=f"{option} {shown}")


def _without_final_newline(text: str) -> str:
    """Drop exactly one trailing LF or CRLF: what editors and ``echo``/``print`` add."""
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _shown_path(path: Path) -> str:
    """``path`` as text, or a placeholder when it may be a key pasted where a path belongs.

    A path is shown only when it is plainly a path: a file name with an extension or a folder
    part, the folder exists, and the name holds no space and no long run of hex or base64
    characters.
    """
    text, name = str(path), path.name
    plainly_a_path = ("." in name.strip(".") or os.sep in text
                      or bool(os.altsep and os.altsep in text))
    if plainly_a_path and path.parent.is_dir() and not _KEY_LIKE_RUN.search(name) \
            and not any(ch.isspace() for ch in name):
        return text
    return "(value not shown: it may be a key)"


def key_from_text(text: str, *, source: str = "the key") -> bytes:
    """Decode a key written as hex text (see :data:`KEY_RULE`); nothing is stripped.

    Examples
    --------
    >>> import secrets
    >>> len(key_from_text(secrets.token_hex(32)))
    32
    >>> key_from_text("abc")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    soteria_research.errors.KeyFileError: the key: it has an odd number of hex digits (3); each byte ...
    """
    if not text:
        raise KeyFileError(f"{source}: the key is empty. {KEY_HELP}")
    if not _HEX.fullmatch(text):
        raise KeyFileError(f"{source}: {_why_not_hex(text)} {KEY_RULE} {KEY_HELP}")
    if len(text) % 2:
        raise KeyFileError(
            f"{source}: it has an odd number of hex digits ({len(text)}); each byte is two "
            "digits, so one is missing or extra. It is not read as text instead. Copy the "
            f"whole key again. {KEY_HELP}")
    return check_key_strength(bytes.fromhex(text), source=source)


def _why_not_hex(text: str) -> str:
    # Says what is wrong without quoting a character of the key.
    if text[:2].lower() == "0x":
        return "it starts with 0x; write the hex digits only."
    if _HEX.fullmatch("".join(text.split())):
        return ("it holds spaces, tabs or more than one line; a key file holds the hex digits on "
                "one line (one trailing newline is allowed).")
    return ("it holds characters that are not hex digits (0-9, a-f); a passphrase is not "
            "accepted, since its strength cannot be checked.")


def check_key_strength(key: bytes, *, source: str = "the key") -> bytes:
    """Return ``key`` when it could be random (:data:`KEY_RULE`); otherwise raise.

    Examples
    --------
    >>> import secrets
    >>> len(check_key_strength(secrets.token_bytes(32)))
    32
    >>> check_key_strength(bytes(range(32)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    soteria_research.errors.KeyFileError: the key: the key counts (its bytes go up or down in ...
    """
    n = len(key)
    if n < MIN_KEY_BYTES:
        raise KeyFileError(
            f"{source}: the key is {n} bytes; at least {MIN_KEY_BYTES} are needed "
            f"({2 * MIN_KEY_BYTES} hex digits). {KEY_HELP}")
    if n > MAX_KEY_BYTES:
        raise KeyFileError(f"{source}: the key is {n} bytes; at most {MAX_KEY_BYTES} are used.")
    period = _period(key)
    if period:
        raise KeyFileError(
            f"{source}: the key repeats a pattern of {period} byte{'s' * (period > 1)} (like an "
            f"all-zero key, abab..., or a block written twice), so it is not random. {KEY_HELP}")
    steps = bytes((b - a) % 256 for a, b in zip(key, key[1:]))
    if _period(steps):
        raise KeyFileError(
            f"{source}: the key counts (its bytes go up or down in a repeating pattern, like "
            f"00 01 02 ...), so it is not random. {KEY_HELP}")
    if all(0x20 <= b <= 0x7E or b in b"\r\n\t" for b in key):
        hint = (" If this is the text of a key file, read it with load_key or pass it as str."
                if set(key) <= set(b"0123456789abcdefABCDEF\r\n") else "")
        raise KeyFileError(
            f"{source}: every byte of the key is a printable character, so it is a passphrase "
            f"or other text (perhaps hex-encoded), not random bytes.{hint} {KEY_HELP}")
    distinct, needed = len(set(key)), min(n, 256) // 2
    if distinct < needed:
        raise KeyFileError(
            f"{source}: the key uses only {distinct} different byte values (a random key of "
            f"{n} bytes uses at least {needed}), so it is not random. {KEY_HELP}")
    return key


def _period(data: bytes) -> int:
    """Smallest ``p`` ≤ half the length with ``data[i] == data[i + p]`` for all ``i``; else 0."""
    for p in range(1, len(data) // 2 + 1):
        if data[p:] == data[:-p]:
            return p
    return 0


def as_key(key: bytes | bytearray | str | os.PathLike, *, source: str = "the key") -> bytes:
    """A checked key from what a caller holds: raw ``bytes``, hex text (``str``) or a key file.

    Examples
    --------
    >>> import secrets
    >>> token = secrets.token_hex(32)
    >>> as_key(token) == bytes.fromhex(token)
    True
    """
    if isinstance(key, os.PathLike):
        return load_key(key)
    if isinstance(key, str):
        return key_from_text(key, source=source)
    if isinstance(key, (bytes, bytearray)):
        return check_key_strength(bytes(key), source=source)
    raise KeyFileError(f"{source}: give the key as bytes, hex text or a key file path, "
                       f"not {type(key).__name__}.")
