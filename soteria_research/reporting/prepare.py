"""A run's national work, done once before any report is built: the validated cases (one file
per force, so a report reads only its own), the validation summary, and the national artefacts
every report compares with (peers, national models, benchmark figures), each computed once.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ParameterError
from . import provenance
from .parameters import ReportParameters

__all__ = ["ARTEFACTS", "NationalData", "prepare_run", "select_period"]

CASES_DIR = "cases"
VALIDATION = "validation.json"
STAMP = "prepared.json"

#: National artefacts: name -> function(NationalData) -> DataFrame, computed once per run in
#: this order (one at a time, so memory holds one model at once). Sections add theirs with
#: :func:`national_artefact`.
ARTEFACTS: dict[str, Callable[[NationalData], pd.DataFrame]] = {}


def national_artefact(name: str):
    """Register ``function(national) -> DataFrame`` as the national artefact ``name``."""
    def register(function):
        ARTEFACTS[name] = function
        return function
    return register


def select_period(cases: pd.DataFrame, params: ReportParameters) -> pd.DataFrame:
    """The cases recorded in the report period, as the data stood on the extract date."""
    keep = pd.Series(True, index=cases.index)
    if params.period_start is not None:
        keep &= cases["recorded_date"].ge(pd.Timestamp(params.period_start))
    if params.period_end is not None:
        keep &= cases["recorded_date"].le(pd.Timestamp(params.period_end))
    if params.extract_date is not None:
        keep &= cases["recorded_date"].le(pd.Timestamp(params.extract_date))
    return cases.loc[keep].reset_index(drop=True)


@dataclass
class NationalData:
    """What every report of a run reads: cases by force, the validation summary, artefacts.

    Attributes
    ----------
    folder : Path
        The run's private shared folder.
    validation : dict
        Rows read, accepted and quarantined (whole file and per force), reasons per rule, the
        file's name and SHA-256 (and the mapping's, when one was used).
    forces_present : list of str
        Forces with accepted cases in the report period.
    force_sizes : dict
        Cases per force in the report period.
    """

    folder: Path
    validation: dict
    forces_present: list[str]
    force_sizes: dict[str, int]
    reused: bool = False
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, folder: str | os.PathLike) -> NationalData:
        folder = Path(folder)
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
        validation = json.loads((folder / VALIDATION).read_text(encoding="utf-8"))
        return cls(folder, validation, stamp["forces_present"], stamp["force_sizes"])

    def cases(self, forces: Sequence[str] | None = None,
              columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Validated cases in the report period: every force, or only ``forces``."""
        wanted = self.forces_present if forces is None else [f for f in forces
                                                              if f in self.force_sizes]
        parts = [pd.read_parquet(self.folder / CASES_DIR / f"{force}.parquet",
                                 columns=list(columns) if columns else None)
                 for force in wanted]
        if not parts:
            template = pd.read_parquet(next((self.folder / CASES_DIR).glob("*.parquet")),
                                       columns=list(columns) if columns else None)
            return template.iloc[0:0]
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def artefact(self, name: str) -> pd.DataFrame:
        """A national artefact (computed by :func:`prepare_run`; read from disk once)."""
        if name not in self._cache:
            path = self.folder / "artefacts" / f"{name}.parquet"
            if not path.exists():
                raise ParameterError(f"national artefact {name!r} was not prepared for this "
                                     f"run (known: {sorted(ARTEFACTS)}).")
            self._cache[name] = pd.read_parquet(path)
        return self._cache[name]


def _validation_summary(report, cases: pd.DataFrame, source: Path, mapping) -> dict:
    quarantine = getattr(report, "quarantine", None)
    by_force: dict[str, int] = {}
    if quarantine is not None and "force" in quarantine.columns and len(quarantine):
        from ..data.dictionary import load_dictionary

        known = set(load_dictionary().codes("forces"))
        forces = quarantine["force"].where(quarantine["force"].isin(known), "not_recognised")
        by_force = {str(k): int(v) for k, v in forces.value_counts().items()}
    rules = report.rule_counts
    summary = {
        "source_name": source.name,
        "sha256": provenance.file_sha256(source),
        "n_input": int(report.n_input),
        "n_valid": int(report.n_valid),
        "n_quarantined": int(report.n_quarantined),
        "rule_counts": [
            {"rule": str(r.rule), "column": str(r.column), "n_rows": int(r.n_rows)}
            for r in rules.itertuples(index=False)
        ] if len(rules) else [],
        "quarantined_by_force": by_force,
        "valid_by_force": {str(k): int(v) for k, v in cases["force"].value_counts().items()},
        "dictionary_version": str(getattr(report, "dictionary_version", "")),
    }
    if mapping is not None:
        summary["mapping_name"] = Path(mapping).name
        summary["mapping_sha256"] = provenance.file_sha256(mapping)
    return summary


def prepare_run(params: ReportParameters, folder: str | os.PathLike, *,
                fingerprint: str | None = None, rerun: bool = False,
                mapping: str | os.PathLike | None = None) -> NationalData:
    """Do a run's national work once and save it for the reports to read.

    Reads and validates ``params.data`` (through ``mapping`` for a force's own export), keeps
    the report period, writes one Parquet file of cases per force, the validation summary, and
    every registered national artefact. When ``fingerprint`` matches the saved one the folder
    is reused as it is.
    """
    from ..data.ingest import read_cases

    folder = Path(folder)
    stamp = folder / STAMP
    if fingerprint and not rerun and stamp.exists():
        saved = json.loads(stamp.read_text(encoding="utf-8"))
        if saved.get("fingerprint") == fingerprint:
            national = NationalData.open(folder)
            national.reused = True
            return national
    stamp.unlink(missing_ok=True)
    shutil.rmtree(folder / CASES_DIR, ignore_errors=True)
    shutil.rmtree(folder / "artefacts", ignore_errors=True)
    (folder / CASES_DIR).mkdir(parents=True, exist_ok=True)
    (folder / "artefacts").mkdir(parents=True, exist_ok=True)
    cases, report = read_cases(params.data, mapping=mapping, extract_date=params.extract_date)
    cases = select_period(cases, params)
    if cases.empty:
        raise ParameterError(
            f"No valid cases in {params.data} for the period {params.period_start or 'start'} to "
            f"{params.period_end or 'end'}: widen the period or check the file."
        )
    validation = _validation_summary(report, cases, Path(params.data), mapping)
    provenance.write_json(folder / VALIDATION, validation)
    for force, part in cases.groupby("force", sort=True, observed=True):
        _write_parquet(part.reset_index(drop=True), folder / CASES_DIR / f"{force}.parquet")
    sizes = {str(k): int(v) for k, v in cases["force"].value_counts().items()}
    del cases, report
    national = NationalData(folder, validation, sorted(sizes), sizes)
    for name, compute in ARTEFACTS.items():
        _write_parquet(compute(national), folder / "artefacts" / f"{name}.parquet")
    provenance.write_json(stamp, {"fingerprint": fingerprint, "forces_present": sorted(sizes),
                                  "force_sizes": sizes})
    return national


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(temporary, index=False)
    os.replace(temporary, path)
