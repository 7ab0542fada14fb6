"""The synthetic generator's true Operation Soteria effect, read in one place for the tests.

The generator's programme multiplies each transition's hazard by ``exp(programme_effect[k])``.
Its default rule is ``calendar`` (every open case of a force from the start date, reached over a
ramp); the difference-in-differences design's primary exposure rule is ``recorded`` (a case
counts as after joining when it is recorded on or after the start). :func:`programme_config`
builds the world in which that rule is the truth (``programme_rule="recorded"``, no ramp), so
a recovery test asks whether the estimator finds the effect the design defines, not whether
two different estimands happen to be close.

The true effect on a cohort *share* is its paired counterfactual: the same seed with the
programme switched off (``SyntheticConfig.counterfactual(programme=False)``) draws the same
latent times for every case, so the difference in each force × cohort share is the exact
effect on those very cases.
"""

from __future__ import annotations

import pandas as pd

from soteria_research.analysis.evaluation import cohort_outcomes
from soteria_research.data.synthetic import SyntheticConfig, generate_cases


def programme_config(scale_effect: float = 1.0, *, rule: str = "recorded") -> SyntheticConfig:
    """The default world with its programme log hazard ratios multiplied by ``scale_effect``.

    ``rule="recorded"`` (default): the programme acts on cases recorded on or after the
    force's start, at full size at once (the difference-in-differences estimand).
    ``rule="calendar"``: it acts on every open case from the start date (the survival view's
    time-varying estimand), also at full size at once.
    """
    config = SyntheticConfig()
    effects = {k: scale_effect * v for k, v in config.programme_effect.items()}
    return SyntheticConfig(programme_effect=effects, programme_rule=rule, programme_ramp_days=0.0)


def true_log_hazard_ratio(cause: str, config: SyntheticConfig | None = None) -> float:
    """The generator's true log hazard ratio of being in the programme, for one cause."""
    config = config or programme_config()
    return float(config.programme_effect.get(cause, 0.0))


def true_cohort_effects(*, config: SyntheticConfig, outcome: str, within_days: int,
                        freq: str = "Q", **generate) -> pd.DataFrame:
    """Per force and cohort: the observed share, and its true programme effect.

    Columns ``force, cohort, periods_since_joining, estimate`` (the share in the data made
    with ``config``) and ``true_effect`` (that share minus the share of the same cases with
    no programme effect; exactly 0 before joining under the ``recorded`` rule).
    """
    shares = [
        cohort_outcomes(generate_cases(config=c, **generate), within_days=within_days, freq=freq,
                        outcomes=outcome, medians=False)
        for c in (config, config.counterfactual(programme=False))]
    keys = ["force", "cohort"]
    merged = shares[0].merge(shares[1][[*keys, "estimate"]], on=keys, suffixes=("", "_none"))
    merged["true_effect"] = merged["estimate"] - merged["estimate_none"]
    if config.programme_rule == "recorded":
        before = merged["periods_since_joining"] < 0
        assert (merged.loc[before, "true_effect"].abs() < 1e-12).all(), "counterfactual not paired"
    return merged[[*keys, "periods_since_joining", "estimate", "true_effect"]]
