"""Attrition on 1,000,000 synthetic cases: funnel, outcome mix and the charge model, each against
the bare pandas group-by or statsmodels call it rests on, plus cohort rates, stage conversion
(beside the snapshot funnel) and peak memory.

Usage: python benchmarks/bench_attrition.py [--quick] [--rows N]
The peers compute the same numbers with nothing around them (no cumulative stages, no Wilson
intervals, no tidy reshaping, no model frame), so the ratio is the price of the extras.
--quick uses 50,000 rows.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, national_cases, peak_memory_mb, report, rows_argument  # noqa: E402,I001

from soteria_research.analysis import attrition  # noqa: E402

STAGE_COLUMNS = ["suspect_identified_date", "arrest_date", "interview_date", "file_to_cps_date",
                 "charge_date"]


def bare_funnel(cases: pd.DataFrame) -> pd.DataFrame:
    stages = cases[STAGE_COLUMNS].notna()
    stages["convicted"] = cases["court_outcome"].eq("convicted")
    return stages.groupby(cases["force"]).sum()


def bare_outcome_mix(cases: pd.DataFrame) -> pd.Series:
    return cases.groupby(["force", "outcome_group", "outcome_code"], dropna=False).size()


def main(argv: list[str]) -> None:
    rows = rows_argument(argv)
    repeat = 3
    cases = national_cases(rows)
    label = f"{len(cases):,} rows"

    ours = best_of(lambda: attrition.funnel(cases, by="force"), repeat)
    peer = best_of(lambda: bare_funnel(cases), repeat)
    report("attrition.funnel", f"by force, {label}", ours, peer="pandas groupby.sum",
           peer_s=peer, goal="<= 3x peer", met=ours <= 3 * peer)

    ours = best_of(lambda: attrition.outcome_mix(cases, by="force"), repeat)
    peer = best_of(lambda: bare_outcome_mix(cases), repeat)
    report("attrition.outcome_mix", f"by force and code, {label}", ours,
           peer="pandas groupby.size", peer_s=peer, goal="<= 3x peer", met=ours <= 3 * peer)

    ours = best_of(lambda: attrition.cohort_rates(cases, by="force"), repeat)
    report("attrition.cohort_rates", f"by force and quarter, {label}", ours)

    # Conversion from full-follow-up cohorts beside the snapshot funnel it replaces as the
    # estimand of "reached it from the previous stage".
    snapshot = best_of(lambda: attrition.funnel(cases, by="force"), repeat)
    for method in ("cohort", "incidence"):
        ours = best_of(lambda m=method: attrition.stage_conversion(cases, by="force", method=m),
                       repeat)
        report("attrition.stage_conversion", f"{method}, by force, {label}", ours,
               peer="attrition.funnel (snapshot)", peer_s=snapshot)

    import statsmodels.formula.api as smf

    start = time.perf_counter()
    frame = attrition.model_frame(cases)
    frame_s = time.perf_counter() - start
    formula = attrition.default_formula("charge", frame)

    def bare_logit():
        model = smf.logit(formula, data=frame, missing="drop")
        groups = pd.factorize(frame.loc[model.data.row_labels, "force"])[0]
        return model.fit(disp=0, maxiter=100, cov_type="cluster", cov_kwds={"groups": groups})

    fits = {}
    ours = best_of(lambda: fits.setdefault("ours", attrition.charge_model(cases)), 1)
    peer = best_of(lambda: fits.setdefault("peer", bare_logit()), 1)
    same = np.allclose(fits["ours"].params, fits["peer"].params) and np.allclose(
        fits["ours"].bse, fits["peer"].bse)
    # Ours starts from raw cases (window outcomes, follow-up filter, covariates); the peer is
    # handed the finished model frame, so the ratio includes building it (model_frame_s).
    report("attrition.charge_model", f"logit, cluster SEs, {label}", ours,
           peer="statsmodels logit.fit", peer_s=peer, goal="same fit, <= peer + frame",
           met=bool(same and ours <= 1.1 * (peer + frame_s)), terms=len(fits["ours"].params),
           nobs=fits["ours"].nobs, same_estimates=bool(same), model_frame_s=round(frame_s, 2))

    memory = peak_memory_mb(lambda: attrition.funnel(cases, by="force"))
    report("attrition.funnel", f"peak memory MB, {label}", None, memory_mb=round(memory, 1),
           frame_mb=round(cases.memory_usage(deep=False).sum() / 1e6, 1))


if __name__ == "__main__":
    main(sys.argv[1:])
