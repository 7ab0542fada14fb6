"""The conda environment.yml declares the same dependencies as pyproject.toml."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
# pip names whose conda-forge package is spelled differently or split in two.
CONDA_NAMES = {"dask[distributed]": ["dask", "distributed"]}


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+(?:\[[^\]]+\])?)\s*(.*)$", requirement)
    return match.group(1).lower(), match.group(2).replace(" ", "")


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    out = {}
    for requirement in requirements:
        name, spec = _split(requirement)
        for conda_name in CONDA_NAMES.get(name, [name]):
            out[conda_name] = spec
    return out


def _environment_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for item in env["dependencies"]:
        entries = item["pip"] if isinstance(item, dict) else [item]
        for entry in entries:
            if entry.startswith("-e"):
                continue
            name, spec = _split(entry)
            out[name] = spec
    return out


def test_environment_yml_matches_pyproject():
    expected, declared = _pyproject_requirements(), _environment_requirements()
    missing = sorted(set(expected) - set(declared))
    assert not missing, f"environment.yml lacks {missing}: add them with pyproject's ranges"
    differing = {n: (expected[n], declared[n]) for n in expected if expected[n] != declared[n]}
    assert not differing, f"ranges differ (pyproject, environment.yml): {differing}"
    extra = sorted(set(declared) - set(expected) - {"python", "pip"})
    assert not extra, f"environment.yml has {extra}, which pyproject.toml does not declare"


def test_environment_installs_the_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    assert "-e ." in pip_section


def test_every_dependency_has_a_compatible_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        _, spec = _split(requirement)
        assert ">=" in spec and "<" in spec, f"{requirement}: give a lower and an upper bound"
