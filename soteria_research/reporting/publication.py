"""The stages between the national work and the notebooks: build every report's tables, then
protect them all together, so that every number any file of the run shows has passed one
run-level disclosure control before anything is written where a reader can see it.

``build_one`` runs in a worker per report (it reads only that report's cases); ``protect_all``
runs once, over every report's tables; ``publish_standalone`` does the whole of it for a
notebook opened on its own.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import provenance
from .bundle import load_bundle, save_bundle
from .parameters import NATIONAL, ReportParameters

__all__ = ["BUILT_DIR", "PROTECTED_DIR", "RUN_FACTS", "build_one", "protect_all",
           "publish_standalone", "run_facts"]

BUILT_DIR = "built"
PROTECTED_DIR = "protected"
RUN_FACTS = "run_facts.json"


def _names() -> dict[str, str]:
    from ..data.dictionary import load_dictionary

    table = load_dictionary().forces
    return dict(zip(table["code"], table["name"]))


def build_one(parameters: dict, shared: str | os.PathLike, report: str) -> dict:
    """Build one report's tables (unprotected) into ``shared/built/<report>``.

    Runs in a worker process: reads the national data and only this report's cases. Returns
    the status of each section (``built``, ``empty`` with its reason, or ``failed``).
    """
    from .prepare import NationalData
    from .sections import BuildContext, build_report

    shared = Path(shared)
    params = ReportParameters.validate(**{**parameters, "force": report})
    national = NationalData.open(shared)
    cases = national.cases(None if report == NATIONAL else [report])
    context = BuildContext(params=params, report=report, cases=cases, national=national,
                           names=_names())
    bundle = build_report(context)
    save_bundle(bundle, shared / BUILT_DIR / report)
    return {s.key: {"status": s.status, "reason": s.reason} for s in bundle.sections}


def protect_all(shared: str | os.PathLike, reports: list[str], profile: str) -> dict:
    """Protect every report's tables together and write the protected bundles and each
    report's disclosure record. Returns ``{report: record}``."""
    from .disclosure import RunProtection

    shared = Path(shared)
    run = RunProtection(profile=profile)
    bundles = {report: load_bundle(shared / BUILT_DIR / report) for report in reports}
    for report, bundle in bundles.items():
        for output in bundle.outputs():
            if output.kind == "curve":
                run.register_curve(report, output.name, output.frame, **output.protect_options)
            elif output.kind == "model":
                run.register_model(report, output.name, output.frame, **output.protect_options)
            else:
                run.register(report, output.name, output.frame, output.spec)
    solved = run.solve()
    records = {}
    for report, bundle in bundles.items():
        frames, masks = {}, {}
        for output in bundle.outputs():
            table = solved.table(report, output.name)
            frames[output.name], masks[output.name] = table.frame, table.mask
        save_bundle(bundle.with_frames(frames, masks), shared / PROTECTED_DIR / report)
        records[report] = solved.write_log(report, shared / PROTECTED_DIR / report /
                                           "disclosure.json")
    return records


def run_facts(params: ReportParameters, national, *, code: str | None = None) -> dict:
    """What every report's words need about the run (period asked for, never the first and
    last case's dates; extract date; profile; data, mapping and code provenance)."""
    from ..settings import DISCLOSURE_PROFILES  # noqa: F401  (profiles are validated upstream)

    return {
        "period_start": params.period_start.isoformat() if params.period_start else None,
        "period_end": params.period_end.isoformat() if params.period_end else None,
        "extract_date": params.extract_date.isoformat() if params.extract_date else None,
        "disclosure": params.disclosure,
        "seed": params.seed,
        "data_name": national.validation.get("source_name"),
        "data_sha256": national.validation.get("sha256"),
        "mapping_name": national.validation.get("mapping_name"),
        "mapping_sha256": national.validation.get("mapping_sha256"),
        "dictionary_version": national.validation.get("dictionary_version"),
        "package_version": provenance.package_version(),
        "code_sha256": code or provenance.code_fingerprint(),
        "git": provenance.git_commit(),
        "environment": provenance.environment(),
        "forces_present": national.forces_present,
    }


def publish_standalone(params: ReportParameters, folder: Path) -> Path:
    """Prepare, build and protect every report of the data in ``folder`` (one process): what
    a notebook opened on its own reads. Returns ``folder``."""
    from .prepare import prepare_run

    folder.mkdir(parents=True, exist_ok=True)
    base = params.replace(force=NATIONAL, shared="", output="")
    national = prepare_run(base, folder)
    reports = [NATIONAL, *national.forces_present]
    parameters = base.to_notebook()
    for report in reports:
        build_one(parameters, folder, report)
    protect_all(folder, reports, base.disclosure)
    provenance.write_json(folder / RUN_FACTS, run_facts(base, national))
    return folder


def statuses(shared: str | os.PathLike, report: str) -> dict:
    """The section statuses of a built report (for ``run.json``)."""
    meta = json.loads((Path(shared) / BUILT_DIR / report / "bundle.json").read_text("utf-8"))
    return {s["key"]: {"status": s["status"], "reason": s["reason"]} for s in meta["sections"]}
