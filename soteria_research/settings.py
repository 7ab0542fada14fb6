"""Settings from `SOTERIA_*` environment variables or a `.env` file, with safe defaults.

Defaults point at the committed synthetic sample, so everything runs with no configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent
DICTIONARY_DIR = PROJECT_ROOT / "data_dictionaries"
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
SYNTHETIC_DIR = PROJECT_ROOT / "synthetic_data"
SAMPLE_CASES = SYNTHETIC_DIR / "sample_cases.csv"

DISCLOSURE_PROFILES = ("publication", "partner", "internal")


@dataclass(frozen=True)
class Settings:
    """Where data, outputs and the pseudonymisation key live, and the disclosure profile.

    Read them with :func:`get_settings`; each field comes from the environment variable named
    in its metadata, then from ``.env`` in the working directory, then the default.
    """

    data_dir: Path = field(default=SYNTHETIC_DIR, metadata={"env": "SOTERIA_DATA_DIR"})
    output_dir: Path = field(default=PROJECT_ROOT / "reports", metadata={"env": "SOTERIA_OUTPUT_DIR"})
    key_file: Path | None = field(default=None, metadata={"env": "SOTERIA_KEY_FILE"})
    disclosure: str = field(default="publication", metadata={"env": "SOTERIA_DISCLOSURE"})
    kernel_name: str = field(default="soteria", metadata={"env": "SOTERIA_KERNEL"})


def get_settings(env_file: str | os.PathLike | None = ".env") -> Settings:
    """Read settings from the environment, falling back to ``env_file`` and the defaults.

    Examples
    --------
    >>> from soteria_research.settings import get_settings
    >>> get_settings().disclosure in ("publication", "partner", "internal")
    True
    """
    from .errors import ParameterError

    file_values = dotenv_values(env_file) if env_file and Path(env_file).is_file() else {}
    values: dict[str, object] = {}
    for name, spec in Settings.__dataclass_fields__.items():
        var = spec.metadata["env"]
        raw = os.environ.get(var, file_values.get(var))
        if raw in (None, ""):
            continue
        values[name] = raw if name in ("disclosure", "kernel_name") else Path(str(raw)).expanduser()
    settings = Settings(**values)
    if settings.disclosure not in DISCLOSURE_PROFILES:
        raise ParameterError(
            f"SOTERIA_DISCLOSURE={settings.disclosure!r} is not a disclosure profile; "
            f"use one of {', '.join(DISCLOSURE_PROFILES)}."
        )
    return settings
