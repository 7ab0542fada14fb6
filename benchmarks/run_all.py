"""Run every benchmark script in this folder and print one table of results.

Each `bench_*.py` script prints result lines of the form ``BENCH {json}`` with the keys
``benchmark``, ``measure``, ``ours_s``, ``peer``, ``peer_s``, ``ratio``, ``goal``, ``met``
(``peer``/``peer_s``/``ratio``/``goal``/``met`` may be null) and anything else on other lines.
Memory benchmarks (``bench_scale.py``: peak memory of the whole process tree per row;
``bench_national_memory.py``: a 43-force run on 1,000,000 rows against the 2 GB goal; both
against a bare ``read_parquet`` of the same file) leave ``ours_s`` null and give ``peak_mb``
(and ``peak_pss_mb`` where the system gives PSS), shown last.
Usage: ``python benchmarks/run_all.py [--quick] [name-filter]``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    filters = [a for a in argv if not a.startswith("--")]
    scripts = sorted(HERE.glob("bench_*.py"))
    if filters:
        scripts = [s for s in scripts if any(f in s.name for f in filters)]
    rows, failed = [], []
    for script in scripts:
        start = time.perf_counter()
        cmd = [sys.executable, str(script)] + (["--quick"] if quick else [])
        print(f"running {script.name} ...", flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            if line.startswith("BENCH "):
                rows.append(json.loads(line[6:]))
        if proc.returncode != 0:
            failed.append(script.name)
            print(proc.stdout[-2000:], proc.stderr[-4000:], sep="\n")
        print(f"  {script.name}: {time.perf_counter() - start:.1f} s", flush=True)
    header = f"{'benchmark':<34} {'measure':<34} {'ours (s)':>9} {'peer':<26} {'peer (s)':>9} {'ratio':>7} {'goal':<14} met"
    print("\n" + header + "\n" + "-" * len(header))
    for r in rows:
        def num(x):
            return f"{x:9.3f}" if isinstance(x, (int, float)) else f"{'':>9}"
        ratio = f"{r['ratio']:7.2f}" if isinstance(r.get("ratio"), (int, float)) else f"{'':>7}"
        met = {True: "yes", False: "NO", None: ""}[r.get("met")]
        memory = f"  peak {r['peak_mb']:,} MB" if r.get("peak_mb") is not None else ""
        if r.get("peak_pss_mb") is not None:
            memory += f" (PSS {r['peak_pss_mb']:,} MB)"
        print(f"{r['benchmark']:<34} {r['measure']:<34} {num(r.get('ours_s'))} "
              f"{str(r.get('peer') or ''):<26} {num(r.get('peer_s'))} {ratio} {str(r.get('goal') or ''):<14} {met}{memory}")
    if failed:
        print(f"\nfailed scripts: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
