"""Programme evaluation on 1,000,000 cases (43 forces, five years, quarterly cohorts) vs csdid.

Goal (issue 12): the full evaluation no slower than the oracle library on the same panel.
Ours: cases -> censoring-aware force x quarter cohort panel -> Callaway & Sant'Anna with a
999-draw wild cluster bootstrap, for charge, victim withdrawal and evidential difficulty.
csdid (the oracle of the tests) estimates the same three panels with its 999-draw multiplier
bootstrap and the same three aggregations; its time excludes building the panels, which it
cannot do. The two agree on ATT(g, t) (printed), so a fast wrong answer cannot pass.
Also timed, ours only: the cohort table with median days, the survival cross-check and the
interrupted time series of every force.
Usage: python benchmarks/bench_evaluation.py [--quick]   (--quick: 50,000 cases)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import report  # noqa: E402

from soteria_research.analysis.evaluation import (  # noqa: E402
    cohort_outcomes,
    evaluate_programme,
    interrupted_time_series,
    programme_hazards,
    start_dates_for,
)
from soteria_research.data.synthetic import generate_cases  # noqa: E402
from soteria_research.errors import ModelError  # noqa: E402

OUTCOMES = ("charge", "victim_withdrawal", "evidential_difficulty")
WITHIN_DAYS = 365
N_BOOT = 999


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def ours(cases: pd.DataFrame):
    return evaluate_programme(cases, outcomes=OUTCOMES, within_days=WITHIN_DAYS, freq="Q",
                              n_boot=N_BOOT, seed=1)


def csdid_panel(cases: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, int]:
    """The panel ours estimates on, in csdid's coding (never treated within it = 0)."""
    shares = cohort_outcomes(cases, within_days=WITHIN_DAYS, outcomes=outcome, medians=False)
    period = pd.PeriodIndex(shares["cohort"], freq="Q").asi8
    first = start_dates_for(cases).dt.to_period("Q").map(lambda p: p.ordinal)
    panel = pd.DataFrame({"id": pd.factorize(shares["force"])[0] + 1,
                          "period": period - period.min() + 1,
                          "first_period": shares["force"].map(first).to_numpy() - period.min() + 1,
                          "y": shares["estimate"].to_numpy()})
    complete = panel.groupby("id")["period"].transform("size") == panel["period"].nunique()
    panel = panel[complete]  # ours leaves out forces with a missing quarter; so does this
    panel.loc[panel["first_period"] > panel["period"].max(), "first_period"] = 0
    return panel, int(period.min()) - 1


def csdid_fit(panel: pd.DataFrame):
    from csdid.att_gt import ATTgt

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        fit = ATTgt(yname="y", tname="period", idname="id", gname="first_period", data=panel,
                    control_group="notyettreated", biters=N_BOOT).fit(est_method="dr",
                                                                      bstrap=True)
        for kind in ("dynamic", "group", "simple"):
            fit.aggte(typec=kind)
    return fit


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    scale = 0.052 if args.quick else 1.036  # about 50,000 / 1,000,000 cases over five years
    seconds, cases = timed(lambda: generate_cases(scale=scale, seed=12))
    print(f"{len(cases):,} cases generated in {seconds:.1f} s", flush=True)

    ours_s, effects = timed(lambda: ours(cases))
    panels = {o: csdid_panel(cases, o) for o in OUTCOMES}
    try:
        import csdid  # noqa: F401
    except ImportError:
        print("csdid is not installed (pip install csdid): no peer timing")
        peer_s = None
    else:
        peer_s, fits = timed(lambda: {o: csdid_fit(p) for o, (p, _) in panels.items()})
        for outcome in OUTCOMES:
            origin = panels[outcome][1]
            gt = effects[outcome].group_time

            def number(labels, origin=origin):
                return pd.PeriodIndex(labels, freq="Q").asi8 - origin
            ours_gt = pd.DataFrame({"g": number(gt["first_period"]), "t": number(gt["period"]),
                                    "ours": gt["estimate"].to_numpy()})
            peer = pd.DataFrame({"g": np.asarray(fits[outcome].results["group"], int),
                                 "t": np.asarray(fits[outcome].results["year"], int),
                                 "csdid": fits[outcome].results["att"]})
            both = ours_gt.merge(peer, on=["g", "t"])
            print(f"{outcome}: {len(both)} of {len(ours_gt)}/{len(peer)} ATT(g,t) matched, "
                  f"max |ours - csdid| = {np.abs(both['ours'] - both['csdid']).max():.2e}; "
                  f"overall {effects[outcome].overall['estimate'].iloc[0]:+.5f}", flush=True)
    report("evaluation", f"3 outcomes, {len(cases):,} cases: cases->panel->DiD+bootstrap",
           ours_s, peer="csdid 0.4 (panel given)" if peer_s else None, peer_s=peer_s,
           goal="ours <= peer", met=(ours_s <= peer_s) if peer_s else None)

    seconds, _ = timed(lambda: cohort_outcomes(cases, within_days=WITHIN_DAYS))
    report("evaluation", "cohort table, 3 outcomes + median days", seconds)
    seconds, _ = timed(lambda: programme_hazards(cases))
    report("evaluation", "survival cross-check (split, 2 Cox)", seconds)

    def every_force():
        done = 0
        for force in sorted(cases["force"].unique()):
            with contextlib.suppress(ModelError):
                interrupted_time_series(cases, force, within_days=180)
                done += 1
        return done
    seconds, done = timed(every_force)
    report("evaluation", f"interrupted time series, {done} forces", seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
