"""The synthetic generator's true Operation Soteria effect, read in one place for the tests.

Today's ``ground_truth()`` gives the true ``soteria_active`` log hazard ratio per cause (cases
recorded on or after the force's wave date). The true effect on a cohort *share* is its paired
counterfactual: the same seed with that log hazard ratio set to 0 draws the same latent times
for every case, so the difference in each force × cohort share is the exact effect on those
very cases. When ``ground_truth()`` gains a ``.programme`` frame (a per-force × period true
ATT), point :func:`true_cohort_effects` at it and the tests follow.
"""

from __future__ import annotations

import pandas as pd

from soteria_research.analysis.evaluation import cohort_outcomes
from soteria_research.data.synthetic import CAUSES, SyntheticConfig, generate_cases, ground_truth


def programme_config(scale_effect: float = 1.0) -> SyntheticConfig:
    """The default configuration with the programme's log hazard ratios multiplied."""
    config = SyntheticConfig()
    effects = dict(config.log_hazard_ratios)
    effects["soteria_active"] = {c: scale_effect * v for c, v in effects["soteria_active"].items()}
    return SyntheticConfig(log_hazard_ratios=effects)


def true_log_hazard_ratio(cause: str, config: SyntheticConfig | None = None) -> float:
    """The generator's true log hazard ratio of being in the programme, for one cause."""
    truth = ground_truth(config)
    row = truth[(truth["covariate"] == "soteria_active") & (truth["cause"] == cause)]
    return float(row["log_hr"].iloc[0])


def true_cohort_effects(*, config: SyntheticConfig, outcome: str, within_days: int,
                        freq: str = "Q", **generate) -> pd.DataFrame:
    """Per force and cohort: the observed share, and its true programme effect.

    Columns ``force, cohort, periods_since_joining, estimate`` (the share in the data made
    with ``config``) and ``true_effect`` (that share minus the share of the same cases with
    no programme effect; exactly 0 before joining).
    """
    without = dict(config.log_hazard_ratios)
    without["soteria_active"] = {c: 0.0 for c in CAUSES}
    shares = [
        cohort_outcomes(generate_cases(config=c, **generate), within_days=within_days, freq=freq,
                        outcomes=outcome, medians=False)
        for c in (config, SyntheticConfig(**{**config.to_dict(), "log_hazard_ratios": without}))]
    keys = ["force", "cohort"]
    merged = shares[0].merge(shares[1][[*keys, "estimate"]], on=keys, suffixes=("", "_none"))
    merged["true_effect"] = merged["estimate"] - merged["estimate_none"]
    before = merged["periods_since_joining"] < 0
    assert (merged.loc[before, "true_effect"].abs() < 1e-12).all(), "counterfactual not paired"
    return merged[[*keys, "periods_since_joining", "estimate", "true_effect"]]
