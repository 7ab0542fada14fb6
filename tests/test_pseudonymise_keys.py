"""The pseudonymisation key: one well-formed hex form, weak keys refused, never shown anywhere."""

from __future__ import annotations

import base64
import secrets

import numpy as np
import pytest
from case_factory import valid_cases
from typer.testing import CliRunner

from soteria_research import KeyFileError
from soteria_research.cli import app
from soteria_research.data.keys import as_key, check_key_strength, key_from_text, load_key


def _written(tmp_path, content: str | bytes, name: str = "soteria.key"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("ascii"))  # no newline translation
    return path


def _few_values_key() -> str:
    # 32 bytes drawn from 8 values: neither periodic nor counting, but far from random
    rng = np.random.default_rng(7)
    return bytes(rng.choice([1, 40, 77, 120, 160, 201, 230, 250], size=32).tolist()).hex()


WEAK = {
    "all zero": ("00" * 32, "repeats a pattern of 1 byte"),
    "one byte repeated": ("ff" * 64, "repeats a pattern of 1 byte"),
    "two bytes alternating": ("abcd" * 16, "repeats a pattern of 2 bytes"),
    "a block written twice": ("9f1c2e7d5a3b60481e2f3a4b5c6d7e8f" * 2, "repeats a pattern of 16 bytes"),
    "counting up": (bytes(range(32)).hex(), "counts"),
    "counting down in twos": (bytes(range(255, 191, -2)).hex(), "counts"),
    "few byte values": (_few_values_key(), "different byte values"),
    "hex-encoded passphrase": (b"zebra quokka mango velvet kiwi zephyr".hex(),
                               "printable character"),
    "short": (secrets.token_hex(31), "at least 32 are needed"),
}
MALFORMED = {
    "passphrase": ("zebra quokka mango velvet kiwi zephyr tundra", "not hex digits"),
    "odd hex": (secrets.token_hex(32)[:-1], "odd number of hex digits (63)"),
    "odd hex, one digit extra": (secrets.token_hex(32) + "a", "odd number of hex digits (65)"),
    "0x prefix": ("0x" + secrets.token_hex(32), "starts with 0x"),
    "space inside": (secrets.token_hex(16) + " " + secrets.token_hex(16), "spaces"),
    "two trailing newlines": (secrets.token_hex(32) + "\n\n", "more than one line"),
    "leading space": (" " + secrets.token_hex(32), "spaces"),
    "base64": (base64.b64encode(secrets.token_bytes(32)).decode(), "not hex digits"),
    "empty": ("", "empty"),
}


@pytest.mark.parametrize("content,why", WEAK.values(), ids=WEAK.keys())
def test_weak_keys_are_refused_with_the_rule_and_how_to_make_one(tmp_path, content, why):
    with pytest.raises(KeyFileError, match=r"secrets\.token_hex\(32\)") as error:
        load_key(_written(tmp_path, content + "\n"))
    assert why in str(error.value)


@pytest.mark.parametrize("content,why", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_keys_are_refused_never_read_as_text(tmp_path, content, why):
    with pytest.raises(KeyFileError) as error:
        load_key(_written(tmp_path, content))
    assert why in str(error.value)


def test_binary_and_oversized_key_files_are_refused(tmp_path):
    with pytest.raises(KeyFileError, match="is not text"):
        load_key(_written(tmp_path, secrets.token_bytes(32)))
    with pytest.raises(KeyFileError, match="longer than a key file can be"):
        load_key(_written(tmp_path, secrets.token_hex(5000)))


def test_one_trailing_newline_is_ignored_lf_or_crlf(tmp_path):
    token = secrets.token_hex(32)
    bare = load_key(_written(tmp_path, token, "a.key"))
    assert bare == bytes.fromhex(token)
    assert load_key(_written(tmp_path, token + "\n", "b.key")) == bare
    assert load_key(_written(tmp_path, token + "\r\n", "c.key")) == bare
    assert load_key(_written(tmp_path, token.upper() + "\n", "d.key")) == bare


def test_random_keys_pass_the_strength_checks():
    rng = np.random.default_rng(2026)  # a fixed stream of random keys, of several lengths
    for n in [32] * 3000 + [33, 48, 64, 100, 128, 256, 512, 1024] * 20:
        check_key_strength(rng.bytes(n))


def test_python_callers_get_the_same_rule():
    token = secrets.token_hex(32)
    assert as_key(token) == as_key(bytes.fromhex(token)) == bytes.fromhex(token)
    with pytest.raises(KeyFileError, match="odd number"):
        key_from_text(token[:-1])
    with pytest.raises(KeyFileError, match="pass it as str"):  # the file's text given as bytes
        as_key((token + "\n").encode())
    with pytest.raises(KeyFileError, match="printable"):
        as_key(b"a passphrase of more than 32 bytes, as bytes")


def test_missing_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("SOTERIA_KEY_FILE", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    with pytest.raises(KeyFileError, match="no pseudonymisation key"):
        load_key(None)
    with pytest.raises(KeyFileError, match=f"no file {tmp_path / 'nowhere.key'}"):
        load_key(tmp_path / "nowhere.key")


def test_key_file_from_environment(tmp_path, monkeypatch):
    token = secrets.token_hex(32)
    monkeypatch.setenv("SOTERIA_KEY_FILE", str(_written(tmp_path, token + "\n")))
    assert load_key() == bytes.fromhex(token)


# -- the key never appears in a message ----------------------------------------------------------

def _shows_part_of(text: str, secret: str, width: int = 8) -> list[str]:
    """Every piece of ``width`` characters of ``secret`` found in ``text`` (any case)."""
    low = text.lower()
    return [secret[i:i + width] for i in range(len(secret) - width + 1)
            if secret[i:i + width].lower() in low]


def _run(args, monkeypatch, env_key: str | None = None):
    if env_key is None:
        monkeypatch.delenv("SOTERIA_KEY_FILE", raising=False)
    else:
        monkeypatch.setenv("SOTERIA_KEY_FILE", env_key)
    result = CliRunner().invoke(app, args)
    return result, result.stdout + result.stderr + result.output


PASTED = {
    "hex": secrets.token_hex(32),
    "base64": base64.b64encode(secrets.token_bytes(32)).decode(),
    "base64 with a slash": "ab/" + base64.b64encode(secrets.token_bytes(30)).decode(),
    "passphrase": "zebra quokka mango velvet kiwi zephyr tundra",
}


@pytest.mark.parametrize("secret", PASTED.values(), ids=PASTED.keys())
def test_key_pasted_into_soteria_key_file_is_never_echoed(tmp_path, monkeypatch, secret):
    monkeypatch.chdir(tmp_path)
    valid_cases().to_csv("in.csv", index=False)
    result, shown = _run(["pseudonymise", "in.csv", "out.csv"], monkeypatch, env_key=secret)
    assert result.exit_code == 2
    assert "SOTERIA_KEY_FILE" in shown and "not shown" in shown
    assert not _shows_part_of(shown, secret)
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("secret", PASTED.values(), ids=PASTED.keys())
def test_key_pasted_as_key_file_option_is_never_echoed(tmp_path, monkeypatch, secret):
    monkeypatch.chdir(tmp_path)
    valid_cases().to_csv("in.csv", index=False)
    result, shown = _run(["pseudonymise", "in.csv", "out.csv", "--key-file", secret], monkeypatch)
    assert result.exit_code == 2 and "--key-file" in shown
    assert not _shows_part_of(shown, secret)


@pytest.mark.parametrize("content", [c for c, _ in [*WEAK.values(), *MALFORMED.values()] if c],
                         ids=[k for k, (c, _) in [*WEAK.items(), *MALFORMED.items()] if c])
def test_a_bad_key_file_is_never_echoed(tmp_path, monkeypatch, content):
    monkeypatch.chdir(tmp_path)
    valid_cases().to_csv("in.csv", index=False)
    key = _written(tmp_path, content)
    result, shown = _run(["pseudonymise", "in.csv", "out.csv", "--key-file", str(key)],
                         monkeypatch)
    assert result.exit_code == 2, shown
    assert str(key) in shown  # a real path is shown, to say which file is wrong
    secret = content.strip()
    width = 8 if len(set(secret)) > 2 else len(secret)  # "0000…" pieces would match anything
    assert not _shows_part_of(shown.replace(str(key), ""), secret, width)


def test_a_good_run_never_echoes_the_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    valid_cases().to_csv("in.csv", index=False)
    token = secrets.token_hex(32)
    key = _written(tmp_path, token + "\n")
    result, shown = _run(["pseudonymise", "in.csv", "out.csv", "--key-file", str(key), "--check"],
                         monkeypatch)
    assert result.exit_code == 0, shown
    written = (tmp_path / "out.csv").read_text() + \
        (tmp_path / "out.csv.pseudonymisation.json").read_text()
    assert not _shows_part_of(shown + written, token)
