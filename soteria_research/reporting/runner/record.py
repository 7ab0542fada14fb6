"""Record a report run: ``run.json`` (provenance of every report) and the ``index.html`` page.

A run that starts marks its folder as running first, so a run that dies half way can never
leave an index or record that describes the previous run as if it were this one.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import provenance
from ..parameters import NATIONAL
from .execute import ReportOutcome, now, plain_error


@dataclass
class RunResult:
    """The outcome of :func:`run_reports`: where it went and how each report fared."""

    run_dir: Path
    private_dir: Path
    reports: list[ReportOutcome]
    seconds: float
    notes: tuple[str, ...] = ()

    @property
    def index(self) -> Path:
        return self.run_dir / "index.html"

    @property
    def failed(self) -> list[ReportOutcome]:
        return [r for r in self.reports if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        """A few plain lines: counts by status, each failure with its error, the index path."""
        counts = {s: sum(r.status == s for r in self.reports) for s in ("ok", "skipped", "failed")}
        lines = [
            f"{len(self.reports)} reports in {self.seconds:.1f} s: {counts['ok']} built, "
            f"{counts['skipped']} unchanged, {counts['failed']} failed."
        ]
        lines += [f"  note: {note}" for note in self.notes]
        for report in self.failed:
            lines.append(f"  FAILED {report.name}: {report.error}  "
                         f"(log: {self.private_dir / 'logs' / f'{report.name}.log'})")
        lines.append(f"index: {self.index}")
        return "\n".join(lines)


def mark_running(run_dir: Path, run_name: str) -> None:
    """Replace the folder's record and index with a 'run in progress' notice."""
    (run_dir / "run.json").unlink(missing_ok=True)
    provenance.write_json(run_dir / "run.json", {"run": run_name, "status": "running",
                                                 "started": now()})
    provenance.write_atomic(run_dir / "index.html", (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Run in progress"
        f"</title></head><body><h1>Report run {run_name!s}: in progress</h1><p>This run has "
        "not finished. If no run is going on, the last one was stopped before it finished: "
        "run it again.</p></body></html>\n"))


def mark_failed(run_dir: Path, run_name: str, reason: str) -> None:
    """Record that the run stopped before any report could be built, and why (best effort)."""
    try:
        provenance.write_json(run_dir / "run.json", {"run": run_name, "status": "failed",
                                                     "finished": now(), "error": reason})
    except OSError:
        pass


def published_file_count(value, profile: str | None):
    """A count of rows of the input file as any published output prints it.

    Suppressed (``[c]``) when small under the profile, else rounded like any count. A zero is
    printed as 0: no row broke a data rule, which says nothing about anyone (issue 14: "a real
    zero that is not disclosive shown as 0").

    Examples
    --------
    >>> [published_file_count(v, "publication") for v in (0, 3, 1234)]
    [0, '[c]', 1235]
    """
    from ..disclosure.profiles import MARKER, get_profile, round_to_base

    rules = get_profile(profile or None)
    if value is None or not rules.suppress:
        return value
    if value == 0:
        return 0
    if rules.is_disclosive([value])[0]:
        return MARKER
    return int(round_to_base([value], rules.round_base)[0])


def published_validation(validation: dict, profile: str | None) -> dict:
    """The validation summary as ``run.json`` (in the published folder) may carry it.

    ``run.json`` is published beside the reports, so its counts follow the run's disclosure
    profile like any other output (issue 16, item 8: per-force row counts printed here gave City
    of London's recorded crimes exactly). Only the whole file's totals are kept, as
    :func:`published_file_count` prints them (and as every report's data-quality section
    prints them); per-force and per-rule counts stay in the private folder
    (``<run>-private/validation.json``).
    """
    from ..disclosure.profiles import MARKER

    totals = {key: published_file_count(validation.get(key), profile)
              for key in ("n_input", "n_valid", "n_quarantined")}
    if totals["n_quarantined"] == MARKER:  # else rows - accepted gives it back, as in reports
        totals["n_input"] = MARKER
    return {
        "dictionary_version": validation.get("dictionary_version"),
        **totals,
        "detail": "per-force and per-rule counts: validation.json in the private folder",
    }


def run_record(*, run_name: str, outcomes: list[ReportOutcome], result_seconds: float,
               base_parameters: dict, extra_parameters: dict, data: dict, validation: dict,
               shared: dict, code: str) -> dict:
    """The ``run.json`` content: provenance, parameters, and every report's outcome."""
    parameters = {**base_parameters, **extra_parameters}
    for entry in ("shared", "output"):
        if entry in parameters:
            parameters[entry] = None
    # input files by name only: a published record names no folder of this machine (the
    # sha256 of each input, in "data" and "benchmarks", says which file it was)
    for entry in ("data", "mapping", "benchmarks"):
        if parameters.get(entry):
            parameters[entry] = Path(str(parameters[entry])).name
    return {
        "run": run_name,
        "status": "finished",
        "finished": now(),
        "package_version": provenance.package_version(),
        "code_sha256": code,
        "git": provenance.git_commit(),
        "data": data,
        "dictionary_version": provenance.dictionary_version(),
        "environment": provenance.environment(),
        "parameters": parameters,
        "validation": validation,
        "shared": shared,
        "reports": [
            {**asdict(o), "seconds": round(o.seconds, 3),
             "kind": "national" if o.name == NATIONAL else "force",
             # beside the published folder, in the private one (never published)
             "log": f"../{run_name}-private/logs/{o.name}.log"}
            for o in outcomes
        ],
        "summary": {s: sum(o.status == s for o in outcomes) for s in ("ok", "skipped", "failed")},
        "total_seconds": round(result_seconds, 3),
    }


def write_record(run_dir: Path, record: dict, names: dict[str, str]) -> list[str]:
    """Write ``run.json`` and ``index.html``; a failure (a full disk) is returned as a note.

    The batch summary is still printed by the caller, so a user always learns how the run went.
    """
    from ..html import write_index

    notes = []
    try:
        provenance.write_json(run_dir / "run.json", record)
        write_index(run_dir, record, names=names)
    except OSError as error:
        notes.append(f"the run record could not be written: {plain_error(error)}")
        print(json.dumps(record["summary"]), file=sys.stderr)
    return notes
