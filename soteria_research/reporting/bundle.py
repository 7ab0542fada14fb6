"""A report's tables on disk between the stages of a run: built → protected → presented.

One folder per report: ``bundle.json`` (sections, their status, each output's presentation,
estimand and disclosure structure) and one Parquet file per output frame. The same layout
holds the unprotected tables (private to the run) and the protected ones the notebooks show.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from . import provenance
from .sections.base import Output, SectionResult

__all__ = ["Bundle", "load_bundle", "save_bundle"]

_META = "bundle.json"
_SPECS = "specs.pickle"


@dataclass
class Bundle:
    """Every section of one report, in report order.

    Attributes
    ----------
    report : str
        Force code or ``"national"``.
    sections : list of SectionResult
    masks : dict
        For a protected bundle: ``{output name: DataFrame of booleans}``, True where disclosure
        control hid a cell (shown as ``[c]``).
    notes : dict
        Run-level facts the presentation needs (period, extract date, profile, counts read).
    """

    report: str
    sections: list[SectionResult]
    masks: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: dict = field(default_factory=dict)

    def outputs(self) -> list[Output]:
        return [output for section in self.sections for output in section.outputs]

    def section(self, key: str) -> SectionResult | None:
        return next((s for s in self.sections if s.key == key), None)

    def output(self, name: str) -> Output | None:
        return next((o for o in self.outputs() if o.name == name), None)

    def with_frames(self, frames: dict[str, pd.DataFrame],
                    masks: dict[str, pd.DataFrame]) -> Bundle:
        """A copy whose outputs carry ``frames`` (protected) and ``masks``."""
        sections = [replace(s, outputs=[replace(o, frame=frames[o.name]) for o in s.outputs])
                    for s in self.sections]
        return Bundle(self.report, sections, dict(masks), dict(self.notes))


def _frame_file(folder: Path, name: str, kind: str = "frame") -> Path:
    return folder / f"{name}.{kind}.parquet"


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    # Parquet needs string column names; frames here are tidy tables with named columns.
    frame.reset_index(drop=True).to_parquet(temporary, index=False)
    os.replace(temporary, path)


def save_bundle(bundle: Bundle, folder: str | os.PathLike) -> Path:
    """Write ``bundle`` whole into ``folder`` (replacing what was there) and return it."""
    folder = Path(folder)
    staging = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    meta = {"report": bundle.report, "notes": bundle.notes, "sections": []}
    specs = {}
    for section in bundle.sections:
        entry = {"key": section.key, "status": section.status, "reason": section.reason,
                 "outputs": []}
        for output in section.outputs:
            _write_frame(output.frame, _frame_file(staging, output.name))
            if output.name in bundle.masks:
                _write_frame(bundle.masks[output.name], _frame_file(staging, output.name, "mask"))
            specs[output.name] = output.spec
            entry["outputs"].append({
                "name": output.name, "kind": output.kind,
                "protect_options": dict(output.protect_options), "title": output.title, "columns": dict(output.columns),
                "percent": list(output.percent), "figure": output.figure,
                "figure_options": dict(output.figure_options), "caption": output.caption,
                "estimand": dict(output.estimand) if output.estimand is not None else None,
                "estimand_columns": list(output.estimand_columns), "no_truth": output.no_truth,
                "show_table": output.show_table,
            })
        meta["sections"].append(entry)
    (staging / _SPECS).write_bytes(pickle.dumps(specs))
    provenance.write_json(staging / _META, meta)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(staging, folder)
    return folder


def load_bundle(folder: str | os.PathLike) -> Bundle:
    """Read a bundle written by :func:`save_bundle`."""
    folder = Path(folder)
    meta = json.loads((folder / _META).read_text(encoding="utf-8"))
    specs = pickle.loads((folder / _SPECS).read_bytes())  # written by this run, never input
    sections, masks = [], {}
    for entry in meta["sections"]:
        outputs = []
        for item in entry["outputs"]:
            name = item["name"]
            frame = pd.read_parquet(_frame_file(folder, name))
            mask_path = _frame_file(folder, name, "mask")
            if mask_path.exists():
                masks[name] = pd.read_parquet(mask_path)
            outputs.append(Output(name=name, frame=frame, spec=specs.get(name), **{
                k: item[k] for k in ("kind", "protect_options", "title", "columns", "percent", "figure", "figure_options",
                                     "caption", "estimand", "estimand_columns", "no_truth",
                                     "show_table")}))
        sections.append(SectionResult(entry["key"], outputs, entry["status"], entry["reason"]))
    return Bundle(meta["report"], sections, masks, meta.get("notes", {}))
