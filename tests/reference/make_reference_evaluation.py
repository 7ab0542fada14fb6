"""Reference values for soteria_research.analysis.evaluation: Callaway & Sant'Anna by csdid.

R ``did`` is not packaged for Debian and CRAN is out of reach here, so the oracle is csdid 0.4
(a port of R ``did`` audited against did 2.5.0 / DRDID 1.3.0 to about 1e-9). Three panels:

- ``generator``: synthetic cohort shares (charge within 180 days, quarterly) of ten forces,
  forces that join after the panel ends are never treated within it; unweighted.
- ``weighted``: the same panel, forces weighted by mean cohort size, one anticipation period.
- ``all_join``: a hand-drawn panel where every unit joins within it (no never-treated: the
  last wave becomes the comparison, periods from its joining on are dropped), weighted.

Run from the repository root:  python tests/reference/make_reference_evaluation.py
Writes tests/reference/data/evaluation_panels.csv (the panels) and
tests/reference/data/evaluation_reference.csv (csdid's group-time effects, standard errors and
aggregations, analytic influence-function SEs, bstrap=False), and
tests/reference/versions_evaluation.txt. The tests read only these files.
"""

from __future__ import annotations

import contextlib
import io
import sys
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from soteria_research.analysis.evaluation import cohort_outcomes  # noqa: E402
from soteria_research.analysis.evaluation.exposure import start_dates_for  # noqa: E402
from soteria_research.data.synthetic import generate_cases  # noqa: E402

FORCES = ["avon_and_somerset", "durham", "south_wales", "dorset", "gwent", "wiltshire",
          "cumbria", "lincolnshire", "suffolk", "norfolk"]
#: name -> (weighted, anticipation)
SETTINGS = {"generator": (False, 0), "weighted": (True, 1), "all_join": (True, 0)}


def generator_panel() -> pd.DataFrame:
    cases = generate_cases(forces=FORCES, scale=0.1, seed=11)
    shares = cohort_outcomes(cases, within_days=180, outcomes="charge", medians=False)
    period = pd.PeriodIndex(shares["cohort"], freq="Q").asi8
    first = start_dates_for(cases).dt.to_period("Q").map(lambda p: p.ordinal)
    panel = pd.DataFrame({"unit": shares["force"], "period": period - period.min() + 1,
                          "first_period": shares["force"].map(first) - period.min() + 1,
                          "y": shares["estimate"]})
    panel["weight"] = shares.groupby("force")["n_cohort"].transform("mean").to_numpy()
    # csdid, as R did, codes "not treated within the panel" as 0.
    panel.loc[panel["first_period"] > panel["period"].max(), "first_period"] = 0
    return panel


def all_join_panel(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units, periods = 24, 9
    first = rng.choice([3, 5, 7, 8], size=units)
    unit = np.repeat(np.arange(1, units + 1), periods)
    period = np.tile(np.arange(1, periods + 1), units)
    treated = period >= np.repeat(first, periods)
    y = (rng.normal(size=units)[unit - 1] + 0.05 * period + rng.normal(0, 0.3, unit.size)
         + treated * (0.4 + 0.1 * (period - np.repeat(first, periods))))
    return pd.DataFrame({"unit": unit, "period": period, "first_period": np.repeat(first, periods),
                         "y": y, "weight": np.repeat(rng.uniform(1, 4, units), periods)})


def csdid_values(panel: pd.DataFrame, weighted: bool, anticipation: int) -> pd.DataFrame:
    from csdid.att_gt import ATTgt

    data = panel.assign(id=pd.factorize(panel["unit"])[0] + 1)
    # csdid prints every summary it makes; keep the console for errors.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        fit = ATTgt(yname="y", tname="period", idname="id", gname="first_period", data=data,
                    control_group="notyettreated", weights_name="weight" if weighted else None,
                    anticipation=anticipation).fit(est_method="dr", bstrap=False)
        rows = [dict(kind="group_time", group=g, period=t, estimate=a, se=s) for g, t, a, s in
                zip(fit.results["group"], fit.results["year"], fit.results["att"],
                    fit.results["se"], strict=True)]
        for kind, label in (("dynamic", "event_study"), ("group", "by_group")):
            agg = fit.aggte(typec=kind, bstrap=False).atte
            rows += [dict(kind=label, group=e, estimate=a, se=s) for e, a, s in
                     zip(agg["egt"], agg["att_egt"], np.ravel(agg["se_egt"]), strict=True)]
            rows.append(dict(kind=f"overall_{kind}", estimate=agg["overall_att"],
                             se=agg["overall_se"]))
        agg = fit.aggte(typec="simple", bstrap=False).atte
        rows.append(dict(kind="overall_simple", estimate=agg["overall_att"], se=agg["overall_se"]))
    return pd.DataFrame(rows)


def main() -> None:
    data = HERE / "data"
    panels = {"generator": generator_panel(), "all_join": all_join_panel()}
    panels["weighted"] = panels["generator"]
    stored = pd.concat([p.assign(panel=name) for name, p in panels.items() if name != "weighted"])
    stored.to_csv(data / "evaluation_panels.csv", index=False, float_format="%.17g")
    reference = pd.concat([
        csdid_values(panels[name], weighted, anticipation).assign(panel=name)
        for name, (weighted, anticipation) in SETTINGS.items()])
    reference.to_csv(data / "evaluation_reference.csv", index=False, float_format="%.17g")
    (HERE / "versions_evaluation.txt").write_text(
        f"python {sys.version.split()[0]}\ncsdid {version('csdid')}\ndrdid {version('drdid')}\n"
        f"numpy {np.__version__}\npandas {pd.__version__}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
