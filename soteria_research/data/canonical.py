"""The canonical case file a force's export becomes, with a record of where it came from.

``soteria validate EXPORT --mapping M --write-canonical OUT`` writes the accepted rows in the
dictionary's columns (Parquet or CSV, ISO dates) and beside them ``OUT.provenance.json``: the
SHA-256 of the export and of the mapping, the mapping's fingerprint, the dictionary version,
and the export's own row counts and quarantine reasons, so that a report made from OUT can
still show what happened to the export, and an audit can tie OUT to it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd

from ..errors import ParameterError
from .mapping import load_mapping, mapping_fingerprint

_CHUNK = 1 << 20
FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, read in chunks (an extract needs no memory to hash).

    The data layer's copy of ``reporting.provenance.file_sha256``: data cannot import reporting.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = path.write_bytes(b"abc")
    >>> file_sha256(path)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def export_provenance(export: str | os.PathLike, mapping: str | os.PathLike | dict | None,
                      report) -> dict:
    """Where canonical cases came from: the export, the mapping and what validation did.

    ``report`` is the :class:`~soteria_research.data.ingest.ValidationReport` of reading
    ``export`` with ``mapping``. Counts only, no values: safe to keep beside any output.

    Examples
    --------
    >>> from soteria_research.data.ingest import read_cases
    >>> from soteria_research.settings import SYNTHETIC_DIR
    >>> export, mapping = SYNTHETIC_DIR / "sample_rms_export.csv", SYNTHETIC_DIR / "rms_export_mapping.yaml"
    >>> _, report = read_cases(export, mapping=mapping)
    >>> record = export_provenance(export, mapping, report)
    >>> record["rows"]["read"] == record["rows"]["accepted"] + record["rows"]["quarantined"]
    True
    """
    from .. import __version__

    spec = load_mapping(mapping)
    mapping_record = None
    if mapping is not None:
        mapping_record = {
            "path": None if isinstance(mapping, dict) else str(mapping),
            "sha256": None if isinstance(mapping, dict) else file_sha256(mapping),
            "fingerprint": mapping_fingerprint(spec),
            "mapping_version": spec.get("mapping_version"),
        }
    counts = report.rule_counts
    return {
        "toolkit_version": __version__,
        "dictionary_version": report.dictionary_version,
        "export": {"path": str(export), "sha256": file_sha256(export)},
        "mapping": mapping_record,
        "rows": {"read": int(report.n_input), "accepted": int(report.n_valid),
                 "quarantined": int(report.n_quarantined)},
        "quarantine_reasons": [
            {"rule": str(r.rule), "column": str(r.column), "rows": int(r.n_rows)}
            for r in counts.itertuples(index=False)
        ],
    }


def write_canonical(cases: pd.DataFrame, target: str | os.PathLike, *, provenance: dict) -> tuple[Path, Path]:
    """Write validated ``cases`` to ``target`` (Parquet or CSV by extension) with a sidecar.

    Whole or not at all (written under a temporary name, then renamed). The sidecar
    ``<target>.provenance.json`` holds ``provenance`` (see :func:`export_provenance`) and the
    output's own SHA-256. A CSV has ISO dates and ``True``/``False`` flags, as the
    committed synthetic samples; reading it back gives the same cases.

    Returns
    -------
    (Path, Path)
        The file and its sidecar.
    """
    target = Path(target)
    kind = FORMATS.get(target.suffix.lower())
    if kind is None:
        raise ParameterError(f"Cannot write {target}: use a .parquet or .csv file name.")
    partial = target.with_name(f".{target.name}.partial")
    try:
        if kind == "csv":
            cases.to_csv(partial, index=False, date_format="%Y-%m-%d", lineterminator="\n")
        else:
            cases.to_parquet(partial, index=False)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    record = {**provenance, "output": {"path": str(target), "format": kind, "rows": int(len(cases)),
                                       "sha256": file_sha256(target)}}
    sidecar = target.with_name(target.name + ".provenance.json")
    sidecar.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target, sidecar
