"""Cox regression on 1,000,000 rows, 8 covariates: ours against lifelines, statsmodels PHReg,
scikit-survival and R's coxph, with tied (whole-day) and untied times; peak memory of ours.

Usage: python benchmarks/bench_cox.py [--quick] [--rows N] [--peer-rows-untied N]
Every tool fits the same data once (Efron ties); coefficients are compared with ours so a fast
wrong answer cannot pass. Python peers that take minutes on untied times (lifelines,
statsmodels, scikit-survival) run at --peer-rows-untied rows (default 100,000), beside ours
at that size; R runs at the full size. --quick uses 50,000 rows throughout.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_memory_mb, report  # noqa: E402

from soteria_research.analysis.survival import fit_cox  # noqa: E402

COVARIATES = [f"x{i}" for i in range(8)]
TIMEOUT_S = 420


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    """Four continuous and four binary covariates, exponential times, uniform censoring."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 8))
    X[:, 4:] = X[:, 4:] > 0.3
    beta = np.array([0.4, -0.3, 0.2, -0.1, 0.5, -0.5, 0.3, 0.0])
    latent = rng.exponential(1 / (0.004 * np.exp(X @ beta)))
    censor = rng.uniform(0, 900, n)
    data = pd.DataFrame(X, columns=COVARIATES)
    data["time"] = np.minimum(latent, censor) + 1e-6  # continuous: untied
    data["days"] = np.ceil(data["time"])               # whole days: heavily tied
    data["event"] = (latent <= censor).astype(int)
    return data


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def ours(data: pd.DataFrame, duration: str):
    seconds, fit = timed(lambda: fit_cox(data, duration=duration, event="event",
                                         covariates=COVARIATES))
    return seconds, fit.params.to_numpy()


def lifelines_fit(data: pd.DataFrame, duration: str):
    from lifelines import CoxPHFitter
    frame = data[COVARIATES + [duration, "event"]]
    seconds, fit = timed(lambda: CoxPHFitter().fit(frame, duration_col=duration,
                                                   event_col="event"))
    return seconds, fit.params_.to_numpy()


def statsmodels_fit(data: pd.DataFrame, duration: str):
    from statsmodels.duration.hazard_regression import PHReg
    X = data[COVARIATES].to_numpy()
    seconds, fit = timed(lambda: PHReg(data[duration].to_numpy(), X,
                                       status=data["event"].to_numpy(), ties="efron").fit())
    return seconds, np.asarray(fit.params)


def sksurv_fit(data: pd.DataFrame, duration: str):
    from sksurv.linear_model import CoxPHSurvivalAnalysis
    from sksurv.util import Surv
    y = Surv.from_arrays(data["event"].to_numpy(bool), data[duration].to_numpy())
    X = data[COVARIATES].to_numpy()
    seconds, fit = timed(lambda: CoxPHSurvivalAnalysis(ties="efron").fit(X, y))
    return seconds, np.asarray(fit.coef_)


def r_fit(data: pd.DataFrame, duration: str):
    """coxph in Rscript on the same numbers (passed as raw doubles; only the fit is timed)."""
    if shutil.which("Rscript") is None:
        return None
    columns = COVARIATES + [duration, "event"]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "data.bin"
        np.ascontiguousarray(data[columns].to_numpy(float).T).tofile(raw)
        script = f"""
suppressPackageStartupMessages(library(survival))
n <- {len(data)}; k <- {len(columns)}
m <- matrix(readBin("{raw}", "double", n * k), ncol = k)
d <- as.data.frame(m); names(d) <- c({", ".join(f'"{c}"' for c in columns)})
tm <- system.time(f <- coxph(Surv({duration}, event) ~ {" + ".join(COVARIATES)}, data = d))
cat(sprintf("%.6f", tm[["elapsed"]]), sprintf("%.17g", coef(f)), "\\n")
"""
        out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True,
                             timeout=TIMEOUT_S)
    if out.returncode != 0:
        print("R failed:", out.stderr[-500:])
        return None
    values = [float(v) for v in out.stdout.split()]
    return values[0], np.array(values[1:])


PEERS = {"lifelines 0.30": lifelines_fit, "statsmodels PHReg": statsmodels_fit,
         "scikit-survival": sksurv_fit, "R survival::coxph": r_fit}


def run_peer(name, fn, data, duration, ours_s, ours_params, label, rows):
    try:
        result = fn(data, duration)
    except Exception as exc:  # a peer failing is a result to print, not a crash
        print(f"{name} failed on {label}: {exc!r}")
        return None
    if result is None:
        return None
    seconds, params = result
    agree = float(np.max(np.abs(params - ours_params)))
    report("cox_fit", f"{label}, {rows:,} rows", ours_s, peer=name, peer_s=seconds,
           goal="<= fastest peer", met=None, max_abs_coef_diff=agree)
    print(f"  {name:<20} {label:<7} {rows:>9,} rows: {seconds:8.2f} s "
          f"(ours {ours_s:.2f} s, ratio {ours_s / seconds:.2f}), max |coef diff| {agree:.1e}",
          flush=True)
    return seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--peer-rows-untied", type=int, default=100_000)
    parser.add_argument("--skip", nargs="*", default=[], help="peers to skip (name prefixes)")
    args = parser.parse_args(argv)
    rows = 50_000 if args.quick else args.rows
    peer_rows_untied = rows if args.quick else min(args.peer_rows_untied, rows)
    data = make_data(rows)
    print(f"{rows:,} rows, 8 covariates, {data['event'].mean():.0%} events, "
          f"{data['days'].nunique():,} distinct days", flush=True)

    for label, duration in [("tied", "days"), ("untied", "time")]:
        ours_s, ours_params = ours(data, duration)
        print(f"ours {label}: {ours_s:.2f} s at {rows:,} rows", flush=True)
        fastest = None
        for name, fn in PEERS.items():
            if any(name.startswith(s) for s in args.skip):
                continue
            n_peer = rows if (label == "tied" or name.startswith("R ")) else peer_rows_untied
            if n_peer == rows:
                peer_data, o_s, o_p = data, ours_s, ours_params
            else:
                peer_data = data.iloc[:n_peer]
                o_s, o_p = ours(peer_data, duration)
            seconds = run_peer(name, fn, peer_data, duration, o_s, o_p, label, n_peer)
            if seconds is not None and n_peer == rows:
                fastest = seconds if fastest is None else min(fastest, seconds)
        if fastest is not None:
            report("cox_fit", f"{label}, {rows:,} rows vs fastest peer", ours_s,
                   peer="fastest at full size", peer_s=fastest, goal="<= fastest peer",
                   met=ours_s <= fastest)
        memory = peak_memory_mb(lambda d=duration: fit_cox(data, duration=d, event="event",
                                                           covariates=COVARIATES))
        report("cox_fit", f"{label}, {rows:,} rows: peak {memory:.0f} MB", None,
               goal="< 1000 MB", met=memory < 1000, peak_mb=memory)
        print(f"ours {label}: peak memory {memory:.0f} MB (tracemalloc)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
