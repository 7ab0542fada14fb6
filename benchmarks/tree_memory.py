"""Peak memory of a command and every process it starts (workers, kernels), by sampling.

``/usr/bin/time -v`` reports the largest single process, not the process tree, so a report
run's workers and Jupyter kernels would be missed; this samples the summed resident set size
(RSS) of the tree with psutil. Summed RSS counts pages shared between processes (libraries,
a forked parent's pages) once per process, so it is an upper bound of the memory the tree
needs. The proportional set size (PSS, ``memory_full_info().pss``, Linux) divides each shared
page between the processes that share it, so summed PSS does not double-count: both are
sampled and reported (PSS is None where the system does not give it).

Usage: ``python benchmarks/tree_memory.py COMMAND [ARG ...]`` prints the peaks in MB.
"""

from __future__ import annotations

import subprocess
import sys
import time

import psutil


def _pss(process: psutil.Process) -> int | None:
    try:
        return getattr(process.memory_full_info(), "pss", None)
    except (psutil.AccessDenied, NotImplementedError):
        return None


def tree_memory(root: psutil.Process, parts: list | None = None, *,
                pss: bool = True) -> tuple[int, int | None]:
    """Summed RSS and summed PSS (bytes; PSS None when unavailable or ``pss`` is False) of
    ``root`` and all its descendants that are still alive; with ``parts``, each process's
    (RSS, PSS, command line) is appended there."""
    total_rss, total_pss = 0, 0 if pss else None
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, total_pss
    for process in processes:
        try:
            rss = process.memory_info().rss
            share = _pss(process) if pss else None
            if parts is not None:
                parts.append((rss, share, " ".join(process.cmdline())[:90], process.pid))
        except psutil.Error:
            continue
        total_rss += rss
        if total_pss is not None:
            total_pss = None if share is None else total_pss + share
    return total_rss, total_pss


def tree_rss(root: psutil.Process, parts: list | None = None) -> int:
    """Summed RSS (bytes) of ``root`` and all its descendants that are still alive."""
    return tree_memory(root, parts, pss=False)[0]


#: The processes (RSS bytes, PSS bytes or None, command line) at the last measured RSS peak.
PEAK_PARTS: list = []
#: The peak summed PSS (MB) of the last :func:`run_tree_peak`, None when unavailable.
PEAK_PSS_MB: float | None = None
#: Each process's own peak RSS (bytes) over the last :func:`run_tree_peak`, by (pid, command).
PROCESS_PEAKS: dict = {}


def run_tree_peak(command: list[str], *, interval: float = 0.05, env=None,
                  cwd=None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``command``; return (peak summed RSS of its process tree in MB, seconds, result).
    The peak summed PSS is left in :data:`PEAK_PSS_MB`."""
    global PEAK_PARTS, PEAK_PSS_MB, PROCESS_PEAKS
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=cwd)
    root = psutil.Process(proc.pid)
    peak, peak_pss, have_pss = 0, 0, True
    PEAK_PARTS, PROCESS_PEAKS = [], {}
    while proc.poll() is None:
        parts: list = []
        rss, pss = tree_memory(root, parts, pss=have_pss)
        for part_rss, _, command, pid in parts:
            key = (pid, command)
            PROCESS_PEAKS[key] = max(PROCESS_PEAKS.get(key, 0), part_rss)
        if pss is None and rss:
            have_pss = False
        if rss > peak:
            peak, PEAK_PARTS = rss, parts
        if pss is not None and pss > peak_pss:
            peak_pss = pss
        time.sleep(interval)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    PEAK_PSS_MB = peak_pss / 1e6 if have_pss and peak_pss else None
    return peak / 1e6, seconds, subprocess.CompletedProcess(command, proc.returncode, out, err)


if __name__ == "__main__":
    peak_mb, seconds, result = run_tree_peak(sys.argv[1:])
    sys.stdout.write(result.stdout[-3000:])
    sys.stderr.write(result.stderr[-3000:])
    for rss, pss, command in sorted(PEAK_PARTS, key=lambda part: part[0], reverse=True):
        pss_text = f"{pss / 1e6:7.0f}" if pss is not None else "      -"
        print(f"  {rss / 1e6:7.0f} MB RSS {pss_text} MB PSS  {command}")
    pss_text = f"{PEAK_PSS_MB:.0f}" if PEAK_PSS_MB is not None else "n/a"
    print(f"TREE_PEAK_MB {peak_mb:.0f}  TREE_PEAK_PSS_MB {pss_text}  seconds {seconds:.1f}  "
          f"exit {result.returncode}")
    sys.exit(result.returncode)
