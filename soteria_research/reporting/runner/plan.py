"""Plan a report run: check its inputs at the door, name its folders, and list its jobs.

Nothing is written here except the run's folders; every user mistake (unknown force, a force
with no cases, a run name with a path in it, out-of-range numbers, a missing kernel) stops the
run before any work.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ...errors import ParameterError
from ...settings import NOTEBOOK_DIR, get_settings
from .. import provenance
from ..parameters import NATIONAL, ReportParameters, _as_force
from .execute import ReportJob, ReportOutcome

FORCE_NOTEBOOK = NOTEBOOK_DIR / "force_deep_dive.ipynb"
NATIONAL_NOTEBOOK = NOTEBOOK_DIR / "national_overview.ipynb"


@dataclass(frozen=True)
class RunFolders:
    """Where a run writes: the published folder and its private sibling (never published)."""

    run_dir: Path
    private_dir: Path

    @property
    def shared(self) -> Path:
        return self.private_dir / "shared"

    @property
    def logs(self) -> Path:
        """Run logs: in the private folder, never published (they hold file paths, parameters
        and tracebacks; issue 16)."""
        return self.private_dir / "logs"

    @classmethod
    def under(cls, out: str | os.PathLike, run: str) -> RunFolders:
        run_dir = Path(out).expanduser().resolve() / run
        return cls(run_dir, run_dir.parent / f"{run}-private")

    def make(self) -> None:
        for folder in (self.logs, self.private_dir / "notebooks",
                       self.private_dir / "state"):
            folder.mkdir(parents=True, exist_ok=True)


def resolve_kernel(kernel_name: str | None = None) -> str:
    """The kernel to execute notebooks in: the argument, ``SOTERIA_KERNEL``, else ``soteria``.

    Raises :class:`ParameterError` with the command that installs it when it is missing.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    name = kernel_name or get_settings().kernel_name
    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel as error:
        raise ParameterError(
            f"No Jupyter kernel named {name!r}. Install it from this environment with "
            f"`python -m ipykernel install --user --name {name}` (as `make setup` does), or set "
            f"SOTERIA_KERNEL to an installed kernel (see `jupyter kernelspec list`)."
        ) from error
    return name


def requested_forces(forces: str | Sequence[str]) -> list[str] | str:
    """``"all"``, or the checked list of force codes asked for (unknown codes refused)."""
    if isinstance(forces, str):
        forces = [forces]
    codes = [str(f).strip().lower() for f in forces if str(f).strip()]
    if not codes:
        raise ParameterError("forces: none given; give 'all' or one or more force codes.")
    if codes == ["all"]:
        return "all"
    if "all" in codes:
        raise ParameterError("forces: give 'all' on its own, or a list of force codes.")
    return list(dict.fromkeys(_as_force(code) for code in codes))


def forces_to_build(requested: list[str] | str, present: Sequence[str],
                    names: dict[str, str]) -> list[str]:
    """The forces to report on: every force present for ``"all"``; otherwise the codes asked
    for, each of which must have cases in the data (refused at the door, not in a notebook)."""
    if requested == "all":
        return list(present)
    absent = [code for code in requested if code not in set(present)]
    if absent:
        listed = ", ".join(f"{names.get(code, code)} ({code})" for code in absent)
        raise ParameterError(
            f"no cases for {listed} in the data for this period: check the force code, the "
            "data file and --period-start/--period-end; forces with cases: "
            f"{', '.join(present[:8])}{' …' if len(present) > 8 else ''}."
        )
    return list(requested)


def check_numbers(*, workers: int | None, cell_timeout: int, startup_timeout: int,
                  max_memory: float | None = None) -> None:
    """Refuse worker counts, timeouts and memory limits that cannot work (0, negative)."""
    if max_memory is not None and not max_memory >= 1:
        raise ParameterError(f"max_memory={max_memory}: give a number of megabytes of at least "
                             "1 (or leave it out for no limit).")
    if workers is not None and workers < 1:
        raise ParameterError(f"workers={workers}: give at least 1 (or leave it out for one per CPU).")
    if cell_timeout < 1:
        raise ParameterError(f"cell_timeout={cell_timeout}: give a number of seconds of at least 1.")
    if startup_timeout < 1:
        raise ParameterError(f"startup_timeout={startup_timeout}: give at least 1 second.")


def plan_jobs(base: ReportParameters, wanted: Sequence[str], folders: RunFolders, *,
              names: dict[str, str], kernel: str, cell_timeout: int, startup_timeout: int,
              notebooks: dict[str, Path], inputs_fingerprint: dict[str, str],
              rerun: bool) -> tuple[list[ReportJob], list[ReportOutcome]]:
    """One job per report; a report whose inputs are unchanged since it built is skipped."""
    notebook_sha = {kind: provenance.file_sha256(path) for kind, path in notebooks.items()}
    jobs: list[ReportJob] = []
    skipped: list[ReportOutcome] = []
    for name in wanted:
        kind = "national" if name == NATIONAL else "force"
        publish = folders.run_dir / ("national" if kind == "national" else f"forces/{name}")
        staging = folders.private_dir / "staging" / name
        params = base.replace(force=name, shared=str(folders.shared), output=str(staging))
        # The fingerprint leaves out folders, so a moved run folder still resumes.
        job_fingerprint = provenance.fingerprint(
            parameters=base.replace(force=name).to_json(), notebook=notebook_sha[kind],
            **inputs_fingerprint,
        )
        job = ReportJob(
            name=name, notebook=notebooks[kind], parameters=params.to_notebook(),
            executed=folders.private_dir / "notebooks" / f"{name}.ipynb", staging=staging,
            publish=publish, html_name="overview.html" if kind == "national" else "report.html",
            log=folders.logs / f"{name}.log",
            state=folders.private_dir / "state" / f"{name}.json",
            title=("England and Wales: RASSO national overview" if kind == "national"
                   else f"{names.get(name, name)}: RASSO deep-dive"),
            kernel_name=kernel, cell_timeout=cell_timeout, startup_timeout=startup_timeout,
            fingerprint=job_fingerprint, kernel_log=folders.logs / "kernels.log",
        )
        previous = None if rerun else previous_outcome(job)
        if previous is not None:
            previous.status = "skipped"
            skipped.append(previous)
        else:
            jobs.append(job)
    return jobs, skipped


def previous_outcome(job: ReportJob) -> ReportOutcome | None:
    """The recorded outcome of this job's last build, if it built with the same inputs."""
    if not job.state.exists():
        return None
    try:
        state = json.loads(job.state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if state.get("fingerprint") != job.fingerprint or state.get("status") != "ok":
        return None
    if not all((job.publish / name).exists() for name in state.get("outputs", [job.html_name])):
        return None
    return ReportOutcome(**{k: state.get(k) for k in ReportOutcome.__dataclass_fields__})
