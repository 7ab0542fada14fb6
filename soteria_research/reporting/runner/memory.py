"""How many reports may run side by side within a memory limit (``soteria report --max-memory``).

Each report runs in a Jupyter kernel of its own, and a kernel's memory grows with the cases its
notebook reads: a force report reads its own cases and its most similar forces' (the peer
comparison), the national overview every force's. Before a report starts, its memory is
estimated from those cases (:func:`report_memory_mb`); a report starts only while the estimates
of the reports already running, plus its own, plus the runner and its worker processes, stay
within the limit. A report estimated above the limit on its own still runs, alone.

The estimate is a straight line in the cases read, fitted to the peak resident memory of
report kernels on synthetic data of all 43 forces (``benchmarks/bench_national_memory.py``
prints each report's kernel peak beside its estimate and the cases it read). It is
deliberately on the high side: on 1,000,000 rows of 43 forces it was at or above the measured
peak for all 44 reports (a force report by 13 to 135 MB, the national overview by 800 MB).
It decides only which reports wait, never what a report computes, so the published files are
the same with or without a limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..parameters import NATIONAL

__all__ = ["KERNEL_MB", "MB_PER_1000_CASES", "RUNNER_MB", "WORKER_MB", "cases_read", "fits",
           "kernel_budget_mb", "peak_mb", "report_memory_mb", "reset_peak"]

#: A report kernel with the package, pandas, statsmodels, matplotlib and papermill loaded and a
#: small force's work done (MB, resident).
KERNEL_MB = 520.0
#: Memory a kernel adds per 1,000 cases its notebook reads (MB).
MB_PER_1000_CASES = 1.45
#: The runner process once the national preparation (in a process of its own) has ended (MB).
RUNNER_MB = 250.0
#: Each local worker process, which drives one kernel (MB).
WORKER_MB = 180.0


def cases_read(name: str, sizes: Mapping[str, int], peers: Mapping[str, Sequence[str]]) -> int:
    """Cases report ``name`` reads: every force's for the national overview; otherwise its
    own and its most similar forces'."""
    if name == NATIONAL:
        return int(sum(sizes.values()))
    return int(sizes.get(name, 0) + sum(sizes.get(peer, 0) for peer in peers.get(name, ())))


def report_memory_mb(cases: int) -> float:
    """Estimated peak memory (MB) of a report kernel whose notebook reads ``cases`` cases.

    >>> round(report_memory_mb(0)), round(report_memory_mb(1_000_000))
    (520, 1970)
    """
    return KERNEL_MB + MB_PER_1000_CASES * cases / 1000


def kernel_budget_mb(max_memory_mb: float | None, workers: int) -> float | None:
    """Memory left for report kernels under ``max_memory_mb`` (None: no limit) once the runner
    and its ``workers`` worker processes are counted.

    >>> kernel_budget_mb(2000, 2)
    1390.0
    >>> kernel_budget_mb(None, 2) is None
    True
    """
    if max_memory_mb is None:
        return None
    return float(max_memory_mb) - RUNNER_MB - WORKER_MB * max(int(workers), 1)


def fits(running: Sequence[float], estimate: float, budget: float | None) -> bool:
    """Whether a report estimated at ``estimate`` MB may start beside reports estimated at
    ``running``: always when nothing runs or there is no limit.

    >>> fits([], 5000, 1000), fits([600], 500, 1000), fits([400], 500, 1000)
    (True, False, True)
    """
    if budget is None or not running:
        return True
    return sum(running) + estimate <= budget


def reset_peak(pid: int | None) -> None:
    """Start measuring process ``pid``'s peak resident memory afresh (Linux: ``clear_refs``);
    nothing where the system does not allow it."""
    if pid is None:
        return
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def peak_mb(pid: int | None) -> float | None:
    """Process ``pid``'s peak resident memory (MB) since :func:`reset_peak` (Linux ``VmHWM``),
    None where the system does not say."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
