"""Benchmark: competing risks — cumulative incidence of all causes and Fine–Gray — vs peers.

Goals (issue 6): cumulative incidence with variance of all causes on 1,000,000 rows at least as
fast as statsmodels; Fine–Gray on 100,000 rows under 10 s in bounded memory (no expansion),
printed beside R's finegray + coxph on 10,000 rows. Usage: bench_competing_risks.py [--quick].
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import best_of, peak_memory_mb, report  # noqa: E402

from soteria_research.analysis.competing_risks import (  # noqa: E402
    cumulative_incidence,
    fit_fine_gray,
)

COVARIATES = [f"x{i}" for i in range(8)]


def make_data(n: int, seed: int = 0) -> pd.DataFrame:
    """Three competing causes driven by 8 covariates, censoring, times in whole days."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8))
    x[:, 4:] = (x[:, 4:] > 0.5).astype(float)       # half the covariates are flags
    effects = np.array([[0.4, -0.3, 0.2, 0.0, 0.5, -0.4, 0.0, 0.3],
                        [-0.2, 0.3, 0.0, 0.1, -0.5, 0.2, 0.4, 0.0],
                        [0.0, 0.0, 0.1, -0.2, 0.0, 0.0, 0.2, 0.1]])
    base = np.array([1 / 900, 1 / 300, 1 / 600])
    latent = rng.exponential(1 / (base * np.exp(x @ effects.T)))
    censor = rng.uniform(30, 1500, n)
    first = latent.min(axis=1)
    frame = pd.DataFrame(x, columns=COVARIATES)
    frame["days"] = np.ceil(np.minimum(first, censor))
    frame["event"] = np.where(first <= censor, latent.argmin(axis=1) + 1, 0).astype(np.int64)
    return frame


def timed(fn, repeat: int = 1) -> float:
    return best_of(fn, repeat=repeat)


def run_r(script: str, folder: Path) -> dict | None:
    """Run an R script that prints one JSON line; None when R is not installed or fails."""
    if shutil.which("Rscript") is None:
        return None
    path = folder / "bench.R"
    path.write_text(script)
    proc = subprocess.run(["Rscript", str(path)], capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        print("R failed:", proc.stderr[-2000:])
        return None
    return json.loads(lines[-1])


R_CUMINC = """
suppressPackageStartupMessages(library(cmprsk))
d <- read.csv("{path}")
t <- system.time(fit <- cuminc(d$days, d$event, cencode = 0))[["elapsed"]]
cat(sprintf('{{"seconds": %.6f}}\\n', t))
"""

R_FINEGRAY = """
suppressPackageStartupMessages(library(survival))
d <- read.csv("{path}")
d$id <- seq_len(nrow(d))
d$status <- factor(d$event, levels = 0:3)
invisible(gc(reset = TRUE))
t <- system.time({{
  fg <- finegray(Surv(days, status) ~ x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + id, data = d,
                 etype = "1", id = id)
  fit <- coxph(Surv(fgstart, fgstop, fgstatus) ~ x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7,
               data = fg, weights = fgwt, cluster = id)
}})[["elapsed"]]
mem <- sum(gc()[, ncol(gc())])
cat(sprintf('{{"seconds": %.6f, "max_mb": %.1f, "rows_expanded": %d, "coef": [%s]}}\\n',
            t, mem, nrow(fg), paste(sprintf("%.12g", coef(fit)), collapse = ",")))
"""


def bench_cumulative_incidence(n: int, n_lifelines: int, folder: Path, repeat: int) -> None:
    data = make_data(n, seed=1)
    label = f"CIF 3 causes + variance, {n:,} rows"
    ours = timed(lambda: cumulative_incidence(data, event="event"), repeat)
    print(f"ours: {ours:.3f} s")

    from statsmodels.duration.survfunc import CumIncidenceRight
    peer = timed(lambda: CumIncidenceRight(data["days"], data["event"]), repeat)
    report("competing_risks", label, ours, peer="statsmodels CumIncidenceRight",
           peer_s=peer, goal="<= statsmodels", met=ours <= peer)
    # Same estimates: statsmodels reports each cause at every distinct time.
    sm = CumIncidenceRight(data["days"], data["event"])
    mine = cumulative_incidence(data, event="event", times=sm.times)
    gap = max(np.nanmax(np.abs(mine.loc[mine["outcome"] == k + 1, "cif"].to_numpy() - c))
              for k, c in enumerate(sm.cinc))
    print(f"max |ours - statsmodels| cif: {gap:.2e}")

    from sksurv.nonparametric import cumulative_incidence_competing_risks
    peer = timed(lambda: cumulative_incidence_competing_risks(
        data["event"].to_numpy(), data["days"].to_numpy(), conf_type="log-log"), repeat)
    report("competing_risks", label, ours, peer="scikit-survival (log-log CI)", peer_s=peer)

    csv = folder / "cif.csv"
    data[["days", "event"]].to_csv(csv, index=False)
    r = run_r(R_CUMINC.format(path=csv), folder)
    if r is not None:
        report("competing_risks", label, ours, peer="R cmprsk::cuminc", peer_s=r["seconds"])

    small = data.iloc[:n_lifelines]
    small_label = f"CIF 3 causes + variance, {n_lifelines:,} rows"
    ours_small = timed(lambda: cumulative_incidence(small, event="event"), repeat)
    from lifelines import AalenJohansenFitter

    def lifelines_all_causes():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # it warns that it jitters the tied times
            for cause in (1, 2, 3):
                AalenJohansenFitter(seed=0).fit(small["days"], small["event"],
                                                event_of_interest=cause)

    peer = timed(lifelines_all_causes, 1)
    report("competing_risks", small_label, ours_small, peer="lifelines AalenJohansenFitter",
           peer_s=peer, note="lifelines only at small n: it is slow and jitters ties")


def bench_fine_gray(n: int, n_r: int, folder: Path) -> None:
    data = make_data(n, seed=2)

    def fit():
        return fit_fine_gray(data, cause=1, covariates=COVARIATES, event="event")

    start = time.perf_counter()
    result = fit()
    ours = time.perf_counter() - start
    peak = peak_memory_mb(fit)
    report("competing_risks", f"Fine-Gray, 8 covariates, {n:,} rows", ours, goal="< 10 s",
           met=ours < 10, peak_mb=round(peak, 1), iterations=result.diagnostics.iterations)
    print(f"Fine-Gray on {n:,} rows: {ours:.2f} s, peak {peak:.0f} MB (tracemalloc)")

    small = data.iloc[:n_r]
    start = time.perf_counter()
    small_fit = fit_fine_gray(small, cause=1, covariates=COVARIATES, event="event")
    ours_small = time.perf_counter() - start
    csv = folder / "fg.csv"
    small.to_csv(csv, index=False)
    r = run_r(R_FINEGRAY.format(path=csv), folder)
    if r is None:
        report("competing_risks", f"Fine-Gray, 8 covariates, {n_r:,} rows", ours_small,
               note="R not installed: no peer")
        return
    gap = float(np.max(np.abs(small_fit.params.to_numpy() - np.array(r["coef"]))
                       / np.abs(np.array(r["coef"]))))
    report("competing_risks", f"Fine-Gray, 8 covariates, {n_r:,} rows", ours_small,
           peer="R finegray + coxph", peer_s=r["seconds"], peer_max_mb=r["max_mb"],
           peer_rows_expanded=r["rows_expanded"], max_rel_coef_gap=gap)
    print(f"R finegray + coxph on {n_r:,} rows: {r['seconds']:.2f} s, R max memory "
          f"{r['max_mb']:.0f} MB, {r['rows_expanded']:,} expanded rows; "
          f"coefficients agree to {gap:.1e} relative")


def main(quick: bool) -> None:
    n_cif, n_lifelines, n_fg, n_r = ((50_000, 2_000, 10_000, 2_000) if quick
                                     else (1_000_000, 20_000, 100_000, 10_000))
    repeat = 1 if quick else 3
    with tempfile.TemporaryDirectory() as folder:
        bench_cumulative_incidence(n_cif, n_lifelines, Path(folder), repeat)
        bench_fine_gray(n_fg, n_r, Path(folder))


if __name__ == "__main__":
    main("--quick" in sys.argv)
