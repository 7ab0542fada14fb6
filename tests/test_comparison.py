"""Fair comparison between forces: funnel limits against scipy and hand calculations,
over-dispersion against statsmodels' meta-analysis, flags and shrinkage against the synthetic
generator's known force effects, stable peers, Newcombe differences, Gray's test against
cmprsk, and the figures."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from soteria_research.analysis import comparison
from soteria_research.analysis.comparison.limits import _RealSizeBinomial
from soteria_research.analysis.survival import gray_test
from soteria_research.data.synthetic import SyntheticConfig, generate_cases, ground_truth, simulate
from soteria_research.data.synthetic.config import CAUSES, TRANSITIONS
from soteria_research.errors import ParameterError

REFERENCE = Path(__file__).parent / "reference" / "data"


# --------------------------------------------------------------------------------------------
# The generator's truth, in one place
# --------------------------------------------------------------------------------------------
#: A cohort recorded over one financial year, followed for a year after its last case.
ONE_COHORT = dict(start="2021-04-01", end="2022-03-31", extract_date="2023-03-31")
#: Two cohorts, each case followed for at least a year.
TWO_COHORTS = dict(start="2021-04-01", end="2023-03-31", extract_date="2024-03-31")
#: Forces whose Monte Carlo truth needs a world of their own (about 25 crimes a year).
TINY = ("city_of_london",)


def true_force_figures(config: SyntheticConfig, *, start: str, end: str, scale: float = 1.0,
                       within_days: int = 365, cause: str = "charge",
                       shares: bool = False) -> pd.DataFrame:
    """Per force, from ``ground_truth(config)`` for cases recorded from ``start`` to ``end``:

    - ``true_ratio``, ``ratio_se``: the truth of the indirectly standardised ratio of ``cause``
      within the window (``.force_effects``: the force's cases with its own effects against
      the same cases with the effects of a force drawn by national volume) and its Monte Carlo
      error;
    - with ``shares``, ``true_share``, ``share_se``: the true probability of ``cause`` within
      the window for the force's cases (``.outcome_probabilities``);
    - ``log_hr_<outcome>``: the force's true log hazard ratios (``.forces``).

    The Monte Carlo world is ``scale`` times national volume; the tiny forces get their own,
    200 times larger, so that their truth is as precise as a small force's.
    """
    parts = []
    for forces, size in ((None, scale), (list(TINY), 200 * scale)):
        truth = ground_truth(config, forces=forces, start=start, end=end, scale=size,
                             force_window=within_days)
        effects = truth.force_effects
        part = (effects[effects["outcome"].eq(cause)].set_index("force")[["ratio", "ratio_se"]]
                .rename(columns={"ratio": "true_ratio"}))
        if shares:
            p = truth.outcome_probabilities
            share = p[p["cohort"].eq("all") & p["offence_group"].eq("all") & p["outcome"].eq(cause)
                      & p["within_days"].eq(within_days)].set_index("force")
            part["true_share"] = share["probability"]
            part["share_se"] = share["mc_se"]
        parts.append(part.drop(index=list(TINY)) if forces is None else part.loc[list(TINY)])
    log_hr = truth.forces.set_index("force")[[f"log_hr_{k}" for k in CAUSES]]
    return pd.concat(parts).join(log_hr)


def _world(**settings) -> SyntheticConfig:
    """A world where forces differ only by their case mix and their force effects.

    Two things that are not case mix are switched off, because the force-effect truth holds
    them fixed while an observed/expected ratio counts them (``force_effects`` says so): the
    programme, which starts on different dates in different forces (its own test below), and
    the officers' random effects (each force has its own officers, so their average is a real
    difference between forces). Suspects' random effects stay: a force's many suspects average
    out like the rest of its cases.
    """
    config = SyntheticConfig(officer_effect=dict.fromkeys(TRANSITIONS, 0.0), **settings)
    return config.counterfactual(programme=False)


def _mean_squared_error(estimate: pd.Series, truth: pd.Series, truth_se: pd.Series) -> float:
    """Mean squared error against the truth, less the truth's own Monte Carlo variance (which
    the squared differences include, for raw and shrunken estimates alike)."""
    return float(((estimate - truth) ** 2 - truth_se**2).mean())


#: Four forces with strong true charge effects (two up, two down); every other force has none.
STRONG = {"west_yorkshire": 0.9, "merseyside": 0.9, "thames_valley": -0.9, "kent": -0.9}


@pytest.fixture(scope="module")
def sparse_world():
    config = _world(force_effect_sd=dict.fromkeys(CAUSES, 0.0),
                    force_log_hr={f: {"charge": v} for f, v in STRONG.items()})
    sim = simulate(scale=0.2, seed=5, config=config, **TWO_COHORTS)
    truth = true_force_figures(config, start=TWO_COHORTS["start"], end=TWO_COHORTS["end"],
                               scale=0.25)
    return comparison.force_effects(sim.cases), truth


@pytest.fixture(scope="module")
def varied_world():
    """Every force with its own case mix and true effects (the generator's default spreads)."""
    config = _world()
    sim = simulate(scale=0.2, seed=6, config=config, **ONE_COHORT)
    truth = true_force_figures(config, start=ONE_COHORT["start"], end=ONE_COHORT["end"],
                               shares=True)
    return sim, comparison.force_effects(sim.cases), truth


@pytest.fixture(scope="module")
def differing_world():
    """Forces whose charge effects spread wider (SD 0.4 on the log hazard scale), at twice the
    volume: over-dispersion beyond doubt."""
    spread = {**SyntheticConfig().force_effect_sd, "charge": 0.4}
    config = _world(force_effect_sd=spread)
    sim = simulate(scale=0.4, seed=6, config=config, **ONE_COHORT)
    truth = true_force_figures(config, start=ONE_COHORT["start"], end=ONE_COHORT["end"],
                               scale=0.5)
    return comparison.force_effects(sim.cases), truth


# --------------------------------------------------------------------------------------------
# Exact limits
# --------------------------------------------------------------------------------------------
def _spiegelhalter_limit(distribution, quantile: float, precision: float) -> float:
    """The appendix formula, written out with scipy's quantile and cdf."""
    r = distribution.ppf(quantile)
    alpha = (distribution.cdf(r) - quantile) / (distribution.cdf(r) - distribution.cdf(r - 1))
    return max((r - alpha) / precision, 0.0)


@pytest.mark.parametrize("n,p", [(20, 0.1), (100, 0.2), (537, 0.041), (5000, 0.4), (3, 0.5)])
def test_binomial_limits_equal_scipy_quantiles_interpolated(n, p):
    limits = comparison.exact_limits([n], target=p, null_share=p, levels=(0.95, 0.998))
    for level, row in limits.set_index("level").iterrows():
        tail = (1 - level) / 2
        assert row["lower"] == pytest.approx(
            _spiegelhalter_limit(stats.binom(n, p), tail, n), abs=1e-12)
        assert row["upper"] == pytest.approx(
            min(_spiegelhalter_limit(stats.binom(n, p), 1 - tail, n), 1.0), abs=1e-12)


def test_binomial_limit_by_hand():
    # n = 100, p = 0.2, lower 95% limit: P(X <= 12) = 0.025329 is the first cdf >= 0.025, and
    # P(X <= 11) = 0.012575, so alpha = (0.025329 - 0.025) / (0.025329 - 0.012575) and the
    # limit is (12 - alpha) / 100.
    def cdf(k):
        return sum(math.comb(100, i) * 0.2**i * 0.8 ** (100 - i) for i in range(k + 1))

    assert cdf(11) < 0.025 <= cdf(12)
    alpha = (cdf(12) - 0.025) / (cdf(12) - cdf(11))
    limits = comparison.exact_limits([100], target=0.2, null_share=0.2, levels=[0.95])
    assert limits["lower"].iloc[0] == pytest.approx((12 - alpha) / 100, rel=1e-10)
    assert limits["lower"].iloc[0] == pytest.approx(0.119742, abs=1e-6)


@pytest.mark.parametrize("expected", [0.7, 4.0, 31.5, 820.0])
def test_poisson_ratio_limits_equal_scipy_quantiles_interpolated(expected):
    limits = comparison.exact_limits([expected], target=1.0, null_share=None, levels=[0.998])
    row = limits.iloc[0]
    assert row["lower"] == pytest.approx(
        _spiegelhalter_limit(stats.poisson(expected), 0.001, expected), abs=1e-12)
    assert row["upper"] == pytest.approx(
        _spiegelhalter_limit(stats.poisson(expected), 0.999, expected), abs=1e-12)


def test_ratio_limits_with_a_whole_binomial_size_equal_scipy():
    # expected 30 with success probability 0.3: a binomial with 100 trials.
    limits = comparison.exact_limits([30.0], target=1.0, null_share=0.3, levels=[0.95])
    assert limits["upper"].iloc[0] == pytest.approx(
        _spiegelhalter_limit(stats.binom(100, 0.3), 0.975, 30.0), abs=1e-12)


@pytest.mark.parametrize("size,p", [(7, 0.3), (100, 0.05), (2500, 0.45)])
def test_real_size_binomial_equals_scipy_at_whole_sizes(size, p):
    ours = _RealSizeBinomial(np.array([float(size)]), p)
    k = np.arange(-1, size + 2)
    np.testing.assert_allclose(ours.cdf(k), stats.binom.cdf(k, size, p), atol=1e-12)
    for q in (0.001, 0.025, 0.5, 0.975, 0.999):
        assert ours.ppf(q)[0] == stats.binom.ppf(q, size, p)


def test_limits_narrow_as_forces_grow_and_contain_the_target():
    limits = comparison.exact_limits(np.geomspace(5, 5000, 30), target=0.3, null_share=0.3)
    for _, part in limits.groupby("level"):
        width = (part["upper"] - part["lower"]).to_numpy()
        assert (np.diff(width) < 1e-9).all()
        assert ((part["lower"] <= 0.3) & (part["upper"] >= 0.3)).all()


# --------------------------------------------------------------------------------------------
# Over-dispersion
# --------------------------------------------------------------------------------------------
def test_dispersion_without_winsorising_is_dersimonian_laird_of_statsmodels():
    from statsmodels.stats.meta_analysis import combine_effects

    forces = pd.DataFrame({"force": list("abcdefgh"),
                           "count": [12, 40, 25, 90, 8, 60, 33, 150],
                           "n": [100, 210, 260, 400, 90, 350, 150, 900]})
    funnel = comparison.proportion_funnel(forces, winsor=0.0)
    result = funnel.dispersion.iloc[0]
    p0 = forces["count"].sum() / forces["n"].sum()
    share = forces["count"] / forces["n"]
    variance = p0 * (1 - p0) / forces["n"]
    # Weights proportional to n make the pooled proportion the fixed-effect mean, so Spiegelhalter's
    # I * phi is Cochran's Q and his tau² is DerSimonian and Laird's.
    oracle = combine_effects(share.to_numpy(), variance.to_numpy(), method_re="chi2")
    assert result["statistic"] == pytest.approx(oracle.q, rel=1e-10)
    assert result["tau2"] == pytest.approx(max(oracle.tau2, 0.0), rel=1e-10)
    assert result["p"] == pytest.approx(stats.chi2.sf(oracle.q, 7), rel=1e-10)


def test_winsorising_clips_z_scores_at_the_tenth_and_ninetieth_percentiles_by_hand():
    # Ten forces of 100 cases at target 0.5 (variance 0.0025, so z = (y - 0.5) / 0.05).
    z = np.array([-3.0, -1.0, -0.5, 0.0, 0.2, 0.4, 0.6, 1.0, 1.5, 6.0])
    result = comparison.dispersion(0.5 + 0.05 * z, np.full(10, 0.0025), target=0.5, winsor=0.1)
    # Linear-interpolation percentiles of 10 sorted values: 10th = z1 + 0.9 (z2 - z1).
    low, high = -3.0 + 0.9 * 2.0, 1.5 + 0.1 * 4.5
    clipped = np.clip(z, low, high)
    assert result["z_low"] == pytest.approx(low) and result["z_high"] == pytest.approx(high)
    assert result["phi"] == pytest.approx(np.mean(clipped**2))
    weights = np.full(10, 400.0)
    tau2 = (10 * np.mean(clipped**2) - 9) / (weights.sum() - (weights**2).sum() / weights.sum())
    assert result["tau2"] == pytest.approx(max(tau2, 0.0))


def test_random_effects_limits_add_tau_squared_to_the_binomial_variance():
    forces = pd.DataFrame({"force": [f"f{i}" for i in range(12)],
                           "count": [10, 60, 20, 95, 14, 70, 40, 150, 5, 88, 30, 45],
                           "n": [100, 210, 260, 400, 90, 350, 150, 900, 60, 300, 200, 180]})
    funnel = comparison.proportion_funnel(forces)
    assert funnel.method == "random_effects"
    d = funnel.dispersion.iloc[0]
    limits = funnel.limits.query("method == 'random_effects' and level == 0.998")
    p0, tau2 = d["target"], d["tau2"]
    by_hand = p0 + stats.norm.ppf(0.999) * np.sqrt(p0 * (1 - p0) / limits["precision"] + tau2)
    np.testing.assert_allclose(limits["upper"], np.minimum(by_hand, 1.0))
    # Every force's flag agrees with the limits at its own size.
    chosen = funnel.points
    upper = p0 + stats.norm.ppf(0.999) * np.sqrt(p0 * (1 - p0) / chosen["n"] + tau2)
    assert (chosen["position"].eq("above") == (chosen["estimate"] > upper)).all()


def test_funnel_returns_its_choice_and_counts_as_data():
    forces = pd.DataFrame({"force": list("abcdef"), "count": [10, 30, 22, 80, 45, 12],
                           "n": [100, 200, 150, 400, 300, 90]})
    funnel = comparison.proportion_funnel(forces)
    assert set(funnel.flagged["method"]) == {"poisson", "binomial", "random_effects"}
    assert funnel.flagged["chosen"].sum() == 2  # one method, two levels
    assert {"phi", "tau2", "winsor", "p", "method"} <= set(funnel.dispersion.columns)
    assert "Outside the 99.8% limits" in funnel.note
    with pytest.raises(ParameterError, match="lacks column"):
        comparison.proportion_funnel(forces, count="charged")


# --------------------------------------------------------------------------------------------
# Against the generator's truth
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_forces_without_a_true_effect_are_flagged_at_about_the_nominal_rate(sparse_world):
    effects, truth = sparse_world
    no_effect = truth.index[truth.filter(like="log_hr_").eq(0).all(axis=1)]
    assert len(no_effect) == 39
    funnel = comparison.ratio_funnel(effects, limits="binomial")
    null = funnel.points[funnel.points["force"].isin(no_effect)]
    outside_95 = null["beyond_level"].ge(0.95).mean()
    assert outside_95 <= 0.13  # nominal 5% of 39 forces: about 2
    assert null["beyond_level"].ge(0.998).sum() <= 1  # nominal 0.2%
    # Calibrated, not merely conservative: the z-scores of null forces have variance near 1.
    assert 0.6 < float((null["z"] ** 2).mean()) < 1.6


@pytest.mark.slow
def test_forces_with_the_strongest_true_effects_are_flagged_in_their_direction(sparse_world):
    effects, truth = sparse_world
    strongest = truth["log_hr_charge"].abs().nlargest(4).index
    assert set(strongest) == set(STRONG)
    funnel = comparison.ratio_funnel(effects)
    # Four outliers among 43 are winsorised away: chance alone explains the rest.
    assert funnel.method == "binomial"
    flagged = funnel.points.set_index("force").loc[strongest]
    expected = np.where(truth.loc[strongest, "true_ratio"] > 1, "above", "below")
    assert (flagged["position"].to_numpy() == expected).all()


@pytest.mark.slow
def test_a_world_where_every_force_differs_gets_random_effects_limits(differing_world):
    effects, truth = differing_world
    funnel = comparison.ratio_funnel(effects)
    assert funnel.method == "random_effects"
    chance = funnel.flagged.query("method == 'binomial' and level == 0.998")["n_outside"].item()
    chosen = funnel.flagged.query("chosen and level == 0.998")["n_outside"].item()
    assert chosen < chance
    # Forces outside the random-effects limits are truly away from 1 in that direction.
    points = funnel.points.set_index("force").join(truth)
    outside = points[points["beyond_level"].ge(0.95)]
    assert len(outside) >= 2
    assert (np.sign(outside["estimate"] - 1) == np.sign(outside["true_ratio"] - 1)).all()
    above = points[points["position"].eq("above")]
    below = points[points["position"].eq("below")]
    assert (above["true_ratio"] > 1).all() and (below["true_ratio"] < 1).all()


@pytest.mark.slow
def test_shrunken_ratios_are_closer_to_the_truth_than_raw_ones(varied_world):
    _, effects, truth = varied_world
    table = comparison.shrunken_rates(effects, count="observed", expected="expected", seed=3)
    table = table.set_index("force").join(truth)
    raw = _mean_squared_error(table["raw"], table["true_ratio"], table["ratio_se"])
    shrunk = _mean_squared_error(table["estimate"], table["true_ratio"], table["ratio_se"])
    assert shrunk < 0.7 * raw
    without_tiny = table.drop(index=list(TINY))
    assert _mean_squared_error(without_tiny["estimate"], without_tiny["true_ratio"],
                               without_tiny["ratio_se"]) < _mean_squared_error(
        without_tiny["raw"], without_tiny["true_ratio"], without_tiny["ratio_se"])


@pytest.mark.slow
def test_shrunken_proportions_are_closer_to_the_truth_than_raw_ones(varied_world):
    sim, _, truth = varied_world
    figures = comparison.headline_figures(sim.cases, by="force")
    charged = figures[figures["measure"].eq("charged_within")]
    table = comparison.shrunken_rates(charged, seed=3).set_index("force").join(truth)
    raw = _mean_squared_error(table["raw"], table["true_share"], table["share_se"])
    shrunk = _mean_squared_error(table["estimate"], table["true_share"], table["share_se"])
    assert shrunk < 0.7 * raw


@pytest.mark.slow
def test_the_ratio_counts_when_a_force_joined_soteria_which_case_mix_does_not():
    # Forces differ only by their programme start: the force-effect truth is exactly 1 for
    # every force, yet a force that started earlier charges more than its case mix predicts,
    # by the programme's true effect on its cases against the nation's.
    config = SyntheticConfig(officer_effect=dict.fromkeys(TRANSITIONS, 0.0)).counterfactual(
        force_effects=False)
    truth = ground_truth(config, start=ONE_COHORT["start"], end=ONE_COHORT["end"], scale=0.5)
    assert (truth.force_effects["p_own"] == truth.force_effects["p_national_mix"]).all()
    programme = truth.programme_effect
    programme = programme[programme["outcome"].eq("charge")
                          & programme["force"].str.startswith("wave:")
                          & programme["period"].str.contains("Q")]
    cases = programme.assign(with_=programme["p_treated"] * programme["n"],
                             without=programme["p_untreated"] * programme["n"])
    per_wave = cases.groupby("force")[["with_", "without"]].sum()
    true_ratio = (per_wave["with_"] / per_wave["without"]) / (
        per_wave["with_"].sum() / per_wave["without"].sum())
    sim = simulate(scale=0.2, seed=3, config=config, **ONE_COHORT)
    effects = comparison.force_effects(sim.cases)
    wave = "wave:" + effects["force"].map(truth.forces.set_index("force")["soteria_wave"])
    pooled = effects.groupby(wave)[["observed", "expected", "expected_variance"]].sum()
    estimate = pooled["observed"] / pooled["expected"]
    se = np.sqrt(pooled["expected_variance"]) / pooled["expected"]  # of log(observed / expected)
    z = (np.log(estimate) - np.log(true_ratio.reindex(estimate.index))) / se
    assert (z.abs() < 3).all()
    assert estimate["wave:pathfinder_2021"] > 1 and estimate["wave:national_2023"] < 1


@pytest.mark.slow
def test_a_force_recorded_only_recently_is_not_credited_with_the_national_trend():
    # Charging rises steeply from year to year; half the forces have cases from the second
    # year only (as if they joined the data late). No force differs, so every ratio's truth
    # is 1: the case-mix model must compare each case with cases of its own year.
    stages = {k: dict(v) for k, v in SyntheticConfig().stage_log_hazard_ratios.items()}
    stages["recorded_years_since_2019"].update(interview=0.5, referral=0.5)
    config = _world(stage_log_hazard_ratios=stages).counterfactual(force_effects=False)
    sim = simulate(scale=0.2, seed=4, config=config, **TWO_COHORTS)
    cases = sim.cases
    late = sorted(cases["force"].unique())[1::2]
    first_year = cases["recorded_date"].lt("2022-04-01")
    cases = cases[~(cases["force"].isin(late) & first_year)].reset_index(drop=True)
    adjusted = comparison.force_effects(cases)
    assert "C(financial_year)" in adjusted.attrs["formula"]
    z = (adjusted["observed"] - adjusted["expected"]) / np.sqrt(adjusted["expected_variance"])
    assert (z.abs() < 3.5).all() and 0.5 < float((z**2).mean()) < 1.6
    # Without the year the late forces would look better than their case mix predicts.
    unadjusted = comparison.force_effects(
        cases, formula=adjusted.attrs["formula"].replace(" + C(financial_year)", ""))
    late_rows = unadjusted[unadjusted["force"].isin(late)]
    pooled_z = ((late_rows["observed"].sum() - late_rows["expected"].sum())
                / np.sqrt(late_rows["expected_variance"].sum()))
    assert pooled_z > 3


def test_rank_intervals_hold_the_rank_and_depend_only_on_the_seed():
    forces = pd.DataFrame({"force": [f"f{i}" for i in range(10)],
                           "count": [5, 30, 41, 80, 9, 22, 60, 14, 3, 50],
                           "n": [40, 200, 300, 400, 30, 180, 320, 100, 25, 260]})
    one = comparison.shrunken_rates(forces, seed=7)
    assert one.equals(comparison.shrunken_rates(forces, seed=7))
    assert ((one["rank_low"] <= one["rank"]) & (one["rank"] <= one["rank_high"])).all()
    assert ((one["ci_low"] <= one["estimate"]) & (one["estimate"] <= one["ci_high"])).all()
    # A small force is pulled further towards the national value than a large one.
    shrink = one.set_index("force")["shrinkage"]
    assert shrink["f8"] > shrink["f3"]


def test_shrinkage_pools_fully_when_forces_do_not_differ():
    forces = pd.DataFrame({"force": list("abcdef"), "count": [20, 20, 20, 20, 20, 20],
                           "n": [100] * 6})
    table = comparison.shrunken_rates(forces)
    np.testing.assert_allclose(table["estimate"], 0.2, atol=1e-3)


# --------------------------------------------------------------------------------------------
# Peers
# --------------------------------------------------------------------------------------------
def _populations() -> pd.Series:
    from soteria_research.data.dictionary import load_dictionary

    return load_dictionary().forces.set_index("code")["population_2011"].astype(float)


def test_peers_are_the_same_across_three_seeds():
    tables = [comparison.most_similar(generate_cases(start="2023-04-01", scale=0.2, seed=s))
              for s in (0, 1, 2)]
    agreement = comparison.peer_agreement(tables)
    assert len(agreement) == 43
    assert (agreement["n_common"] >= 4).all()


def test_peers_follow_a_case_mix_on_which_forces_truly_differ_when_asked():
    from soteria_research.data.dictionary import load_dictionary

    codes = sorted(load_dictionary().forces["code"])
    fewer, more = codes[0::2], codes[1::2]  # alphabetical: unrelated to size
    config = SyntheticConfig(force_case_mix={**{c: {"rape_share": -0.5} for c in fewer},
                                             **{c: {"rape_share": 0.5} for c in more}})
    truth = ground_truth(config).forces.set_index("force")["rape_share"]
    assert truth[fewer].max() < truth[more].min()  # about a quarter against a half
    cases = generate_cases(start="2023-04-01", scale=0.2, seed=1, config=config)
    peers = comparison.most_similar(
        cases, features=(*comparison.PEER_FEATURES, *comparison.CASE_MIX_FEATURES))
    same_half = peers["force"].isin(fewer) == peers["peer"].isin(fewer)
    assert same_half.mean() > 0.9


def test_case_mix_peers_are_nearer_in_true_case_mix_and_size_peers_nearer_in_size():
    # The generator's forces differ in case mix (their true log-odds shifts, ground_truth);
    # peers matched on it are nearer in that truth than peers by size, which are nearer in
    # size: the trade the default makes for stability (see most_similar).
    truth = ground_truth().forces.set_index("force")
    shifts = truth[["mix_rape_share", "mix_partner", "mix_child_victim", "mix_non_recent"]]
    shifts = (shifts - shifts.mean()) / shifts.std()
    size = np.log(truth["population_2011"])
    cases = generate_cases(start="2023-04-01", scale=0.2, seed=3)

    def apart(peers: pd.DataFrame) -> tuple[float, float]:
        own, other = peers["force"].to_numpy(), peers["peer"].to_numpy()
        mix = np.sqrt(((shifts.loc[own].to_numpy() - shifts.loc[other].to_numpy()) ** 2)
                      .sum(axis=1)).mean()
        return float(mix), float(np.abs(size[own].to_numpy() - size[other].to_numpy()).mean())

    mix_by_size, size_by_size = apart(comparison.most_similar(cases))
    mix_by_mix, size_by_mix = apart(comparison.most_similar(
        cases, features=(*comparison.PEER_FEATURES, *comparison.CASE_MIX_FEATURES)))
    assert mix_by_mix < 0.75 * mix_by_size
    assert size_by_size < 0.5 * size_by_mix


def test_peers_count_size_once_and_say_how_similar():
    # Volume and population carry the same size (the generator's expected volumes against the
    # dictionary's populations): only population is a peer feature.
    forces = ground_truth().forces
    assert np.corrcoef(np.log(forces["expected_per_year"]),
                       np.log(forces["population_2011"]))[0, 1] > 0.9
    assert "log_recorded_per_year" not in comparison.PEER_FEATURES
    cases = generate_cases(start="2023-04-01", scale=0.05, seed=4)
    peers = comparison.most_similar(cases, k=5)
    assert peers["similarity"].between(0, 1).all()
    assert (peers.groupby("force")["similarity"].diff().dropna() <= 0).all()
    # By hand from the dictionary's populations: the nearest forces in log population, and the
    # share of all pairs of forces that are further apart than each force and its peer.
    size = np.log(_populations()[sorted(cases["force"].unique())])
    gaps = np.abs(size.to_numpy()[:, None] - size.to_numpy()[None, :])
    pairs = gaps[np.triu_indices(len(size), 1)]
    durham = (size - size["durham"]).abs().drop("durham").nsmallest(2).index.tolist()
    assert durham == ["bedfordshire", "gloucestershire"]  # 618,806; 615,061; 596,984
    assert comparison.most_similar(cases, force="durham", k=2)["peer"].tolist() == durham
    gap = (size[peers["force"]].to_numpy() - size[peers["peer"]].to_numpy())
    further = (pairs[None, :] > np.abs(gap)[:, None] + 1e-12).mean(axis=1)
    np.testing.assert_allclose(peers["similarity"], further)


# --------------------------------------------------------------------------------------------
# Differences
# --------------------------------------------------------------------------------------------
def test_newcombe_interval_of_a_difference_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 against 48/80,
    # hybrid score interval 0.0524 to 0.3339.
    figures = pd.DataFrame({"force": ["a", "b"], "count": [56, 48], "n": [70, 80]})
    row = comparison.force_differences(figures, force="a", measure=None).query(
        "contrast == 'difference'").iloc[0]
    assert row["estimate"] == pytest.approx(0.2)
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (0.0524, 0.3339)


def _wilson(x, n, z=stats.norm.ppf(0.975)):
    p = x / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return p, centre - half, centre + half


def test_a_force_is_compared_with_england_and_wales_without_itself_and_with_its_peers():
    figures = pd.DataFrame({
        "force": ["a", "b", "c", "d"] * 2,
        "measure": ["charged"] * 4 + ["withdrawn"] * 4,
        "count": [30, 50, 20, 100, 40, 160, 90, 300],
        "n": [100, 400, 200, 800, 100, 400, 200, 800],
    })
    table = comparison.force_differences(figures, force="a", peers=["c", "d"])
    rest = table.query("measure == 'charged' and comparator == 'rest_of_england_and_wales'")
    assert rest["comparator_count"].iloc[0] == 170 and rest["comparator_n"].iloc[0] == 1400
    # Newcombe's hybrid score interval by hand from the two Wilson intervals.
    p1, l1, u1 = _wilson(30, 100)
    p2, l2, u2 = _wilson(170, 1400)
    difference = rest.query("contrast == 'difference'").iloc[0]
    assert difference["ci_low"] == pytest.approx(p1 - p2 - math.hypot(p1 - l1, u2 - p2))
    assert difference["ci_high"] == pytest.approx(p1 - p2 + math.hypot(u1 - p1, p2 - l2))
    ratio = rest.query("contrast == 'ratio'").iloc[0]
    assert ratio["estimate"] == pytest.approx(0.3 / (170 / 1400))
    assert ratio["ci_low"] < ratio["estimate"] < ratio["ci_high"]
    peers = table.query("measure == 'withdrawn' and comparator == 'peers'").iloc[0]
    assert (peers["comparator_count"], peers["comparator_n"]) == (390, 1000)
    assert set(table["comparator"]) == {"rest_of_england_and_wales", "peers"}


def test_every_force_against_the_rest_with_the_peers_frame():
    cases = generate_cases(forces=["durham", "cumbria", "cleveland", "kent"],
                           start="2022-04-01", scale=0.1, seed=2)
    figures = comparison.headline_figures(cases, by="force")
    figures = figures[~figures["measure"].eq("recorded")]
    table = comparison.force_differences(figures, peers=comparison.most_similar(cases, k=2))
    assert set(table["force"]) == {"durham", "cumbria", "cleveland", "kent"}
    assert table.groupby(["force", "measure", "comparator"]).size().eq(2).all()


# --------------------------------------------------------------------------------------------
# Gray's test
# --------------------------------------------------------------------------------------------
_GRAY_CASES = {
    "mgus2_by_sex": ("mgus2.csv", "etime", "sex", None, 0),
    "mgus2_by_sex_rho1": ("mgus2.csv", "etime", "sex", None, 1),
    "ties_by_group": ("cr_ties.csv", "days", "group", None, 0),
    "ties_by_group_strata_x2": ("cr_ties.csv", "days", "group", "x2", 0),
    "groups": ("gray_groups.csv", "days", "group", None, 0),
    "groups_strata": ("gray_groups.csv", "days", "group", "stratum", 0),
    "groups_rho_minus1": ("gray_groups.csv", "days", "group", None, -1),
    "groups_rho2_strata": ("gray_groups.csv", "days", "group", "stratum", 2),
}


@pytest.mark.parametrize("case", sorted(_GRAY_CASES))
def test_gray_test_agrees_with_cmprsk(case):
    reference = pd.read_csv(REFERENCE / "gray_test.csv", skipinitialspace=True)
    reference = reference[reference["case"].eq(case)]
    data, duration, by, strata, rho = _GRAY_CASES[case]
    tte = pd.read_csv(REFERENCE / data)
    ours = gray_test(tte, by=by, strata=strata, rho=rho, duration=duration, event="event")
    np.testing.assert_allclose(ours["statistic"], reference["statistic"], rtol=1e-9)
    np.testing.assert_allclose(ours["p"], reference["p"], rtol=1e-7, atol=1e-15)
    assert ours["df"].tolist() == reference["df"].tolist()


def test_gray_test_on_a_time_to_outcome_frame_names_outcomes_and_rejects_one_group():
    from soteria_research.analysis.timeline import time_to_outcome

    cases = generate_cases(forces=["durham", "cumbria"], start="2022-04-01", scale=0.1, seed=3)
    tte = time_to_outcome(cases)
    table = gray_test(tte, by="force")
    assert "charge" in set(table["outcome"]) and (table["df"] == 1).all()
    with pytest.raises(ParameterError, match="two or more"):
        gray_test(tte[tte["force"].eq("durham")], by="force")


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------
@pytest.fixture
def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_cumulative_incidence_by_group_draws_one_rising_curve_per_group_and_outcome(pyplot):
    from soteria_research.analysis.survival import cumulative_incidence
    from soteria_research.analysis.timeline import time_to_outcome
    from soteria_research.reporting import figures

    cases = generate_cases(forces=["durham", "cumbria"], start="2022-04-01", scale=0.1, seed=3)
    curve = cumulative_incidence(time_to_outcome(cases), by="force", times=range(0, 400, 30))
    curve = curve[curve["outcome"].isin(["charge", "victim_withdrawal"])]
    tests = gray_test(time_to_outcome(cases), by="force")
    ax = figures.plot_cumulative_incidence(curve, tests=tests)
    lines = ax.get_lines()
    assert len(lines) == 4
    assert any(t.get_text().startswith("Gray's test") for t in ax.texts)
    for line in lines:  # no zig-zag between groups: time and incidence only go up
        x, y = line.get_xdata(), line.get_ydata()
        assert (np.diff(x) >= 0).all() and (np.diff(y[np.isfinite(y)]) >= -1e-12).all()


def test_funnel_figure_draws_the_chosen_limits_and_chance_alone_beside_them(pyplot):
    from soteria_research.reporting import figures

    forces = pd.DataFrame({"force": [f"f{i}" for i in range(12)],
                           "count": [10, 60, 20, 95, 14, 70, 40, 150, 5, 88, 30, 45],
                           "n": [100, 210, 260, 400, 90, 350, 150, 900, 60, 300, 200, 180]})
    funnel = comparison.proportion_funnel(forces)
    ax = figures.plot_force_funnel(funnel.points, funnel.limits, method=funnel.method,
                                   note=funnel.note)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "99.8% random-effects limits" in labels
    assert "99.8% limits for chance alone" in labels
    assert any("Limits: random-effects" in t.get_text() for t in ax.texts)
    with pytest.raises(ParameterError, match="method="):
        figures.plot_force_funnel(funnel.points, funnel.limits)


def test_caterpillar_shows_every_force_with_its_rank_interval(pyplot):
    from soteria_research.reporting import figures

    forces = pd.DataFrame({"force": list("abcdef"), "count": [2, 30, 41, 80, 9, 15],
                           "n": [10, 200, 300, 400, 30, 100]})
    table = comparison.shrunken_rates(forces, seed=1)
    table.loc[table["force"].eq("a"), ["estimate", "ci_low", "ci_high"]] = np.nan  # hidden
    ax = figures.plot_caterpillar(table)
    texts = [t.get_text() for t in ax.texts]
    assert len(ax.get_yticklabels()) == 6
    assert "[c]" in texts and sum(t.startswith("ranks ") for t in texts) == 5


def test_force_effects_refuse_a_model_that_knows_every_outcome():
    """A month of 22 cases against the case-mix model's dozen covariates: the model gives each
    case its own outcome (complete separation), so each force's expected withdrawals equal its
    observed ones by construction. The national overview's funnel then stopped the run
    ("'expected_variance' must be below 'expected'"); now the effects say why there are none."""
    from soteria_research.errors import ModelError

    cases = generate_cases(forces=["city_of_london", "cumbria", "dyfed_powys",
                                   "north_yorkshire"], scale=0.05, seed=11)
    month = cases[cases["recorded_date"].between("2022-01-01", "2022-01-31")]
    with pytest.raises(ModelError, match="with certainty"):
        comparison.force_effects(month, outcome="withdrawn")
    # the same model on the whole file: expected counts differ from the observed
    effects = comparison.force_effects(cases, outcome="withdrawn")
    assert (effects["expected_variance"] > 0).all()
    assert not np.allclose(effects["observed"], effects["expected"])


def test_force_effects_count_the_headlines_cases_when_the_data_end_mid_year():
    """A file ending in September: the headline follows whole financial years, and so does the
    case-mix model, so no force's observed count is more than its headline count within a year
    (the model leaves out only cases it cannot use). Counting the part year too, Dorset's
    observed withdrawals exceeded its headline's, a difference printed nowhere."""
    cases = generate_cases(forces=["dorset", "city_of_london", "durham"], start="2019-04-01",
                           end="2024-09-30", scale=0.3, seed=3)
    headline = comparison.headline_figures(cases, by="force", within_days=365).set_index(
        ["measure", "force"])
    for outcome, measure in (("withdrawn", "withdrawn_within"), ("charged", "charged_within")):
        effects = comparison.force_effects(cases, outcome=outcome).set_index("force")
        mine = headline.loc[measure].loc[effects.index]
        assert (effects["observed"] <= mine["count"]).all(), outcome
        assert (effects["n"] <= mine["n"]).all(), outcome
        # the cases the model could not use are few: the same cohort, not a subset of it
        assert (effects["n"] >= 0.9 * mine["n"]).all(), outcome
