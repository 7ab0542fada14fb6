"""Peak memory of a command and every process it starts (workers, kernels), by sampling.

``/usr/bin/time -v`` reports the largest single process, not the process tree, so a report
run's workers and Jupyter kernels would be missed; this samples the summed resident set size
(RSS) of the tree with psutil. Summed RSS counts pages shared between processes more than once,
so it is an upper bound of the memory the tree needs.

Usage: ``python benchmarks/tree_memory.py COMMAND [ARG ...]`` prints the peak in MB.
"""

from __future__ import annotations

import subprocess
import sys
import time

import psutil


def tree_rss(root: psutil.Process, parts: list | None = None) -> int:
    """Summed RSS (bytes) of ``root`` and all its descendants that are still alive; with
    ``parts``, each process's (RSS, command line) is appended there."""
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for process in processes:
        try:
            rss = process.memory_info().rss
            if parts is not None:
                parts.append((rss, " ".join(process.cmdline())[:90]))
        except psutil.Error:
            continue
        total += rss
    return total


#: The processes (RSS bytes, command line) at the last measured peak.
PEAK_PARTS: list = []


def run_tree_peak(command: list[str], *, interval: float = 0.05, env=None,
                  cwd=None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``command``; return (peak summed RSS of its process tree in MB, seconds, result)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=cwd)
    root = psutil.Process(proc.pid)
    peak = 0
    global PEAK_PARTS
    while proc.poll() is None:
        parts: list = []
        now = tree_rss(root, parts)
        if now > peak:
            peak, PEAK_PARTS = now, parts
        time.sleep(interval)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    return peak / 1e6, seconds, subprocess.CompletedProcess(command, proc.returncode, out, err)


if __name__ == "__main__":
    peak_mb, seconds, result = run_tree_peak(sys.argv[1:])
    sys.stdout.write(result.stdout[-3000:])
    sys.stderr.write(result.stderr[-3000:])
    for rss, command in sorted(PEAK_PARTS, reverse=True):
        print(f"  {rss / 1e6:7.0f} MB  {command}")
    print(f"TREE_PEAK_MB {peak_mb:.0f}  seconds {seconds:.1f}  exit {result.returncode}")
    sys.exit(result.returncode)
