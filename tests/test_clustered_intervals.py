"""Intervals of shares when cases come in clusters (one officer's cases are alike): the design
effect of ``attrition.design_effects`` against statsmodels' cluster-robust variance, coverage
of the clustered Wilson interval in simulated clustered data where the plain Wilson interval
undercovers, and the headline figures and disclosure control that use them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.proportion import proportion_confint

from soteria_research.analysis.attrition import design_effects
from soteria_research.analysis.comparison import headline_figures
from soteria_research.reporting.disclosure.published_rates import rates_from_published


def _clustered(rng, n_cases=2000, n_officers=40, loading=0.8, intercept=-1.0):
    officer = rng.integers(0, n_officers, n_cases)
    effect = rng.normal(size=n_officers)[officer]
    chance = 1 / (1 + np.exp(-(intercept + loading * effect)))
    return pd.Series(rng.random(n_cases) < chance), officer


def _robust_variance(y: np.ndarray, groups: np.ndarray) -> float:
    """statsmodels: an intercept-only least-squares fit with cluster-robust errors."""
    fit = sm.OLS(y, np.ones(len(y))).fit(cov_type="cluster", cov_kwds={"groups": groups})
    return float(fit.bse[0] ** 2)


def test_design_effect_is_statsmodels_cluster_robust_variance_over_binomial():
    rng = np.random.default_rng(11)
    flag, officer = _clustered(rng, 3000, 60)
    group = pd.Series(rng.choice(["a", "b", "c"], len(flag)))
    found = design_effects(flag, [group], pd.Series(officer))
    for name in ("a", "b", "c"):
        mine = group.eq(name).to_numpy()
        y = flag[mine].to_numpy(float)
        p = y.mean()
        expected = _robust_variance(y, officer[mine]) / (p * (1 - p) / len(y))
        assert found[name] == pytest.approx(expected, rel=1e-10)
        assert expected > 1.5  # the world is clustered: the binomial variance is far too small


def test_design_effect_within_strata_is_the_stratified_estimators_variance():
    # officers nested in two forces of fixed sizes: the pooled share's variance is
    # sum_h (n_h / n)^2 var_h, each var_h statsmodels' cluster-robust variance within force h
    rng = np.random.default_rng(12)
    flag, officer = _clustered(rng, 3000, 60)
    force = officer // 30
    found = design_effects(flag, [], pd.Series(officer), [pd.Series(force)]).iloc[0]
    y = flag.to_numpy(float)
    variance = sum((force == h).mean() ** 2 * _robust_variance(y[force == h], officer[force == h])
                   for h in (0, 1))
    p = y.mean()
    assert found == pytest.approx(variance / (p * (1 - p) / len(y)), rel=1e-10)


def test_several_outcomes_at_once_each_get_the_design_effect_statsmodels_gives():
    # a cohort table passes its outcomes together (one grouping of the cases); each must be
    # the cluster-robust design effect of its own share, within strata, in every group,
    # including a group with a missing key, a case with no officer and an all-zero outcome
    rng = np.random.default_rng(13)
    flag, officer = _clustered(rng, 3000, 60)
    other = pd.Series((flag.to_numpy() & (rng.random(len(flag)) < 0.7)) | (officer % 3 == 0))
    officers = pd.Series(officer, dtype=float)
    officers[:40] = np.nan
    group = pd.Series(rng.choice(["a", "b", None], len(flag), p=[0.5, 0.45, 0.05]))
    force = pd.Series(officer // 30)
    flags = pd.DataFrame({"first": flag, "second": other, "never": False})
    found = design_effects(flags, [group], officers, [force])
    assert list(found.columns) == ["first", "second", "never"]
    assert list(found.index) == ["a", "b"]
    assert (found["never"] == 1.0).all()
    codes = officers.fillna(pd.Series(1000 + np.arange(len(officers)))).to_numpy()
    for column in ("first", "second"):
        for name in ("a", "b"):
            mine = group.eq(name).to_numpy()
            y, n = flags[column][mine].to_numpy(float), mine.sum()
            within = force[mine].to_numpy()
            variance = sum((within == h).sum() ** 2 / n ** 2
                           * _robust_variance(y[within == h], codes[mine][within == h])
                           for h in (0, 1))
            p = y.mean()
            expected = max(1.0, variance / (p * (1 - p) / n))  # never narrower than binomial
            assert found.loc[name, column] == pytest.approx(expected, rel=1e-9)
    assert (found[["first", "second"]] > 1.2).to_numpy().sum() >= 3  # clustered: not floored


def test_no_clusters_or_degenerate_shares_give_design_effect_one():
    flag = pd.Series([True, False, False, True])
    assert design_effects(flag, [], None).iloc[0] == 1.0
    # no officer recorded: clusters of one, the binomial variance up to the small-sample
    # factor G / (G - 1) of the cluster-robust variance
    alone = design_effects(flag, [], pd.Series([np.nan] * 4)).iloc[0]
    assert alone == pytest.approx(4 / 3)
    none = pd.Series([False] * 4)
    assert design_effects(none, [], pd.Series(["a", "a", "b", "b"])).iloc[0] == 1.0


def test_clustered_wilson_interval_covers_at_the_nominal_rate_where_the_plain_one_does_not():
    rng = np.random.default_rng(2026)
    truth_rng = np.random.default_rng(7)  # the truth: the mean chance over officers' effects
    effects = truth_rng.normal(size=2_000_000)
    truth = float(np.mean(1 / (1 + np.exp(-(-1.0 + 0.8 * effects)))))
    plain = clustered = 0
    reps = 400
    for _ in range(reps):
        flag, officer = _clustered(rng, 1500, 30)
        k, n = int(flag.sum()), len(flag)
        deff = design_effects(flag, [], pd.Series(officer)).iloc[0]
        low, high = proportion_confint(k, n, method="wilson")
        plain += low <= truth <= high
        low, high = proportion_confint(k / deff, n / deff, method="wilson")
        clustered += low <= truth <= high
    # 400 draws at 95%: the binomial 99.9% range is about 0.91 to 0.98
    assert 0.91 <= clustered / reps <= 0.99
    assert plain / reps < 0.85


def test_headline_intervals_widen_by_the_design_effect_and_match_wilson_without_clusters():
    from soteria_research.data.synthetic import generate_cases

    cases = generate_cases(forces=["durham"], start="2019-04-01", end="2023-03-31", scale=0.3,
                           seed=4)
    clustered = headline_figures(cases).set_index("measure")
    plain = headline_figures(cases, cluster=None).set_index("measure")
    for measure in ("charged_within", "withdrawn_within"):
        row, base = clustered.loc[measure], plain.loc[measure]
        low, high = proportion_confint(base["count"], base["n"], method="wilson")
        assert (base["ci_low"], base["ci_high"]) == pytest.approx((low, high), rel=1e-12)
        assert base["design_effect"] == 1.0
        assert row["design_effect"] > 1.2  # the generator's officers make cases alike
        assert row["estimate"] == base["estimate"]
        low, high = proportion_confint(row["count"] / row["design_effect"],
                                       row["n"] / row["design_effect"], method="wilson")
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-12)


def test_headline_of_forces_read_one_by_one_and_stacked_equals_the_headline_of_one_frame():
    """An analyst reads each force's extract and concatenates them (pandas keeps each file's
    row numbers, so the index repeats): the figures are those of the same cases in one frame
    (the design effects looked cases up by index label and failed)."""
    from soteria_research.data.synthetic import generate_cases

    forces = ["durham", "cumbria"]
    cases = generate_cases(forces=forces, start="2020-04-01", end="2022-03-31", scale=0.1,
                           seed=6)
    stacked = pd.concat([cases[cases["force"].eq(f)].reset_index(drop=True) for f in forces])
    assert not stacked.index.is_unique
    one = headline_figures(stacked.reset_index(drop=True), by="force")
    pd.testing.assert_frame_equal(headline_figures(stacked, by="force"), one)
    assert one["design_effect"].gt(1).any()  # the clustered path ran


def test_published_intervals_are_recomputed_from_rounded_counts_at_the_same_design_effect():
    k, n, d = np.array([19.0]), np.array([278.0]), np.array([1.8])
    low, high = proportion_confint(k / d, n / d, method="wilson")
    true = {"k": k, "n": n, "share": k / n, "low": low, "high": high}
    out = rates_from_published(true.__getitem__, {"k": np.array([20.0]), "n": np.array([280.0])},
                               {"share": ("k", "n"), "low": ("k", "n"), "high": ("k", "n")},
                               ["k", "n"], design_effect=d)
    pub_low, pub_high = proportion_confint(20 / 1.8, 280 / 1.8, method="wilson")
    assert out["low"][0] == pytest.approx(pub_low, rel=1e-12)
    assert out["high"][0] == pytest.approx(pub_high, rel=1e-12)
    assert out["share"][0] == pytest.approx(20 / 280)


def test_bounds_of_the_same_counts_keep_each_columns_own_design_effect():
    # Two intervals of one share at different design effects (a dict, one per column): each
    # is recomputed from the published counts at its own design effect (statsmodels' Wilson),
    # and a share column between them is the published share.
    k, n = np.array([19.0, 40.0]), np.array([278.0, 90.0])
    d1, d2 = np.array([1.0, 1.3]), np.array([2.5, 1.0])
    true = {"k": k, "n": n, "share": k / n}
    for name, d in (("low1", d1), ("low2", d2)):
        true[name] = proportion_confint(k / d, n / d, method="wilson")[0]
    for name, d in (("high1", d1), ("high2", d2)):
        true[name] = proportion_confint(k / d, n / d, method="wilson")[1]
    k5, n5 = np.array([20.0, 40.0]), np.array([280.0, 90.0])
    spec = {c: ("k", "n") for c in ("low1", "share", "high1", "low2", "high2")}
    out = rates_from_published(true.__getitem__, {"k": k5, "n": n5}, spec, ["k", "n"],
                               design_effect={"low1": d1, "high1": d1, "low2": d2,
                                              "high2": d2})
    for suffix, d in (("1", d1), ("2", d2)):
        low, high = proportion_confint(k5 / d, n5 / d, method="wilson")
        assert out["low" + suffix] == pytest.approx(low, rel=1e-12)
        assert out["high" + suffix] == pytest.approx(high, rel=1e-12)
    assert out["share"] == pytest.approx(k5 / n5)


def test_cohort_rates_pool_outcomes_and_widen_intervals_by_officer_clustering():
    from soteria_research.analysis.attrition import cohort_rates
    from soteria_research.data.synthetic import generate_cases

    cases = generate_cases(forces=["durham"], start="2019-04-01", end="2023-03-31", scale=0.3,
                           seed=4)
    plain = cohort_rates(cases, freq="FY", cluster=None)
    rest = ["no_suspect", "other", "transferred", "open"]
    pooled = cohort_rates(cases, freq="FY", pool={"rest": rest})
    for cohort, part in plain.groupby("cohort"):
        mine = pooled[pooled["cohort"].eq(cohort)].set_index("outcome")
        assert mine.loc["rest", "n"] == part[part["outcome"].isin(rest)]["n"].sum()
        assert set(mine.index) == {"charge", "victim_withdrawal", "evidential_difficulty", "rest"}
    assert (plain["design_effect"] == 1.0).all()
    assert pooled["design_effect"].max() > 1.2
    for row in pooled.itertuples():
        low, high = proportion_confint(row.n / row.design_effect,
                                       row.n_cohort / row.design_effect, method="wilson")
        assert (row.ci_low, row.ci_high) == pytest.approx((low, high), rel=1e-12)
    # the design effect of one row, recomputed from the case-level outcome by statsmodels
    from soteria_research.analysis.attrition import _window_outcome
    from soteria_research.analysis.timeline import financial_year, time_to_outcome

    tte = time_to_outcome(cases)
    year = financial_year(cases["recorded_date"])
    row = pooled[pooled["outcome"].eq("charge")].iloc[0]
    members = year.eq(row["cohort"]).to_numpy()
    y = _window_outcome(tte, 365)[members].eq("charge").to_numpy(float)
    p = y.mean()
    officers = pd.factorize(cases.loc[members, "officer_id"])[0]
    expected = max(1.0, _robust_variance(y, officers) / (p * (1 - p) / len(y)))
    assert row["design_effect"] == pytest.approx(expected, rel=1e-9)
    with pytest.raises(Exception, match="not among"):
        cohort_rates(cases, freq="FY", pool={"x": ["charged"]})


def test_cohort_curve_intervals_widen_by_the_officer_design_effect():
    # A cohort followed for the whole curve: "outcome k by day t" is a share of its cases, so
    # its variance under clustering is the binomial one times statsmodels' cluster-robust
    # variance over the binomial variance of that share (the headline's rule).
    from soteria_research.analysis.cohorts import cohort_incidence, latest_cohorts
    from soteria_research.analysis.timeline import time_to_outcome
    from soteria_research.data.synthetic import generate_cases

    cases = generate_cases(forces=["durham"], scale=0.5, seed=3)
    chosen = latest_cohorts(cases, horizon_days=730)
    plain = cohort_incidence(cases, cohorts=chosen, times=[90, 365, 730])
    clustered = cohort_incidence(cases, cohorts=chosen, times=[90, 365, 730],
                                 cluster="officer_id")
    assert plain["complete"].all()
    np.testing.assert_allclose(clustered["cif"], plain["cif"])  # only the intervals change
    tte = time_to_outcome(cases)
    officer = cases["officer_id"].to_numpy()
    mine = tte["financial_year"].eq(chosen[0]).to_numpy()
    widened = 0
    for row, base in zip(clustered.itertuples(), plain.itertuples(), strict=True):
        y = (tte["outcome"].eq(row.outcome) & tte["days"].le(row.time)).to_numpy(float)[mine]
        p = y.mean()
        if not 0 < p < 1:
            assert row.se == base.se
            continue
        expected = max(_robust_variance(y, officer[mine]) / (p * (1 - p) / len(y)), 1.0)
        assert row.design_effect == pytest.approx(expected, rel=1e-9)
        assert row.se ** 2 == pytest.approx(base.se ** 2 * expected, rel=1e-9)
        assert row.ci_low <= base.ci_low and row.ci_high >= base.ci_high
        widened += expected > 1.2
    assert widened >= 3  # the synthetic world's officers differ: some shares are clustered


def test_a_curve_with_no_event_among_cases_that_all_ended_has_an_exact_upper_limit():
    # Nine cases, every one ended, none charged (another cohort has charges): "charge by day
    # 730" is 0, and the data say only that it is small, not that it is exactly 0.
    from soteria_research.analysis.competing_risks import cumulative_incidence

    tte = pd.DataFrame({
        "days": [10.0 * (i + 1) for i in range(9)] + [50.0, 60.0, 900.0],
        "outcome": ["victim_withdrawal"] * 9 + ["charge", "charge", "censored"],
        "cohort": ["small"] * 9 + ["other"] * 3,
    })
    row = cumulative_incidence(tte, by="cohort", times=[730]).query(
        "cohort == 'small' and outcome == 'charge'").iloc[0]
    assert row["cif"] == 0 and row["ci_low"] == 0
    assert row["ci_high"] == pytest.approx(1 - 0.025 ** (1 / 9))  # Clopper–Pearson, n = 9


def test_a_whole_curve_band_is_clustered_and_agrees_with_the_table_at_its_days():
    # The figure's band (every event time) gets the design effect computed at the table's days
    # and interpolated between them: at those days band and table are the same interval, and
    # between them the band is never narrower than the unclustered one.
    from soteria_research.analysis.cohorts import (
        DESIGN_EFFECT_DAYS,
        cohort_incidence,
        latest_cohorts,
    )
    from soteria_research.data.synthetic import generate_cases

    cases = generate_cases(forces=["durham"], scale=0.5, seed=3)
    chosen = latest_cohorts(cases, horizon_days=730)
    band = cohort_incidence(cases, cohorts=chosen, cluster="officer_id")
    plain = cohort_incidence(cases, cohorts=chosen)
    table = cohort_incidence(cases, cohorts=chosen, times=list(DESIGN_EFFECT_DAYS),
                             cluster="officer_id")
    np.testing.assert_allclose(band["cif"], plain["cif"])
    assert (band["ci_low"] <= plain["ci_low"] + 1e-12).all()
    assert (band["ci_high"] >= plain["ci_high"] - 1e-12).all()
    assert (band["design_effect"] > 1.2).sum() > 100  # clustered over much of the curve
    # the band's design effect is the table's at its days, on the straight line between them
    # (flat before the first), and the variance is the unclustered one times it
    days = list(DESIGN_EFFECT_DAYS)
    for outcome, rows in band.groupby("outcome"):
        at_days = table[table["outcome"].eq(outcome)].set_index("time")["design_effect"]
        expected = np.interp(rows["time"], days, at_days.loc[days].to_numpy())
        np.testing.assert_allclose(rows["design_effect"], expected, rtol=1e-12)
        base = plain.loc[rows.index]
        np.testing.assert_allclose(rows["se"] ** 2, base["se"] ** 2 * expected, rtol=1e-9)


def test_rest_of_england_and_wales_design_effect_is_that_of_the_other_forces_cases():
    # The differences table compares a force with England and Wales without it. That side has
    # no headline row of its own: its design effect (computed for every force in one pass)
    # must equal the design effect of the headline computed on the other forces' cases.
    from soteria_research.analysis.comparison import headline_figures
    from soteria_research.data.synthetic import generate_cases
    from soteria_research.reporting.report_headline import _design_effects

    forces = ["durham", "cumbria", "cleveland"]
    cases = generate_cases(forces=forces, scale=0.3, seed=4)
    headline = headline_figures(cases, by="force")
    clustered = 0
    for force in forces:
        rest = headline_figures(cases[cases["force"].ne(force)]).set_index("measure")
        own = headline[headline["force"].eq(force)].set_index("measure")
        for measure in ("charged_within", "withdrawn_within", "evidential_within"):
            d_own, d_rest = _design_effects(headline, force, measure,
                                            "rest_of_england_and_wales", {})
            assert d_own == own.loc[measure, "design_effect"]
            assert d_rest == pytest.approx(rest.loc[measure, "design_effect"], rel=1e-9)
            clustered += d_rest > 1.05
    assert clustered >= 3  # the comparator is clustered too, so its interval must say so


def test_demographic_shares_widen_by_their_own_design_effect_also_once_published():
    # Outcome shares by victim characteristic pool the financial years followed for a year;
    # each outcome's interval is Wilson at n / deff with deff the cluster-robust one of that
    # pooled share (statsmodels), and publication recomputes it from the rounded counts at the
    # same design effect (statsmodels' Wilson), without printing the design effect.
    from soteria_research.analysis.demographics import outcome_shares
    from soteria_research.analysis.timeline import financial_year, time_to_outcome
    from soteria_research.data.synthetic import generate_cases
    from soteria_research.reporting.disclosure import protect
    from soteria_research.reporting.sections_breakdowns import demographic_options

    cases = generate_cases(forces=["durham"], scale=0.5, seed=3)
    table = outcome_shares(cases, "victim_sex")
    plain = outcome_shares(cases, "victim_sex", cluster=None)
    female = table.set_index("category").loc["female"]
    tte = time_to_outcome(cases)
    # the years followed, less the cases transferred within the year (left out, as in the
    # headline's shares)
    transferred = tte["outcome_group"].eq("transferred") & tte["days"].le(365)
    mine = (financial_year(cases["recorded_date"]).isin(table.attrs["cohorts"])
            & cases["victim_sex"].eq("female") & ~transferred).to_numpy()
    assert transferred.any()
    assert mine.sum() == female["n_cohort"]
    widened = 0
    for outcome in ("charge", "victim_withdrawal"):
        d = female[f"{outcome}_design_effect"]
        y = (tte["outcome"].eq(outcome) & tte["days"].le(365)).to_numpy(float)[mine]
        p = y.mean()
        robust = _robust_variance(y, cases["officer_id"].to_numpy()[mine])
        assert d == pytest.approx(max(robust / (p * (1 - p) / len(y)), 1.0), rel=1e-9)
        low, high = proportion_confint(female[f"n_{outcome}"] / d, female["n_cohort"] / d,
                                       method="wilson")
        assert (female[f"{outcome}_low"], female[f"{outcome}_high"]) == pytest.approx(
            (low, high), rel=1e-9)
        base = plain.set_index("category").loc["female"]
        assert female[f"{outcome}_share"] == base[f"{outcome}_share"]
        widened += d > 1.1
    assert widened >= 1
    published = protect(table, name="demographics", kind="rates", profile="publication",
                        **demographic_options()).frame.set_index("category")
    assert not any(c.endswith("design_effect") for c in published.columns)
    row = published.loc["female"]
    d = female["charge_design_effect"]
    low, high = proportion_confint(row["n_charge"] / d, row["n_cohort"] / d, method="wilson")
    assert row["n_cohort"] % 5 == 0
    assert (row["charge_low"], row["charge_high"]) == pytest.approx((low, high), rel=1e-9)


def test_pillar_shares_widen_by_the_officer_design_effect():
    # The device request share, the withdrawal timing and the withdrawal stage shares are
    # shares of cases handled by officers too: each interval is Wilson at n / deff, deff the
    # cluster-robust variance of that share by officer (statsmodels) over the binomial one.
    from soteria_research.analysis import pillars
    from soteria_research.data.synthetic import generate_cases

    cases = generate_cases(forces=["durham"], scale=0.5, seed=3)
    device = pillars.device_requests(cases).set_index("measure").loc["request_share"]
    # the headline's cases: financial years followed for a year (to 31 March 2023 on this
    # extract), less the cases transferred within the year
    ended = (cases["outcome_date"] - cases["recorded_date"]).dt.days
    transferred = cases["outcome_group"].eq("transferred") & ended.le(365)
    followed = (cases["recorded_date"].le("2023-03-31") & ~transferred).to_numpy()
    assert cases["extract_date"].eq(pd.Timestamp("2024-03-31")).all() and transferred.any()
    asked = ((cases["device_requested_date"] - cases["recorded_date"]).dt.days <= 365)
    y = asked.to_numpy(float)[followed]
    p = y.mean()
    expected = _robust_variance(y, cases["officer_id"].to_numpy()[followed]) / (
        p * (1 - p) / len(y))
    assert device["n"] == len(y) and device["design_effect"] == pytest.approx(expected, rel=1e-9)
    assert expected > 1.2  # officers differ in how soon they ask for a device
    low, high = proportion_confint(device["n_events"] / expected, device["n"] / expected,
                                   method="wilson")
    assert (device["ci_low"], device["ci_high"]) == pytest.approx((low, high), rel=1e-9)
    for table in (pillars.withdrawal_timing(cases), pillars.withdrawal_stage(cases)):
        d = table["design_effect"].to_numpy(float)
        assert (d >= 1).all()
        for row, k, n in zip(table.itertuples(), table["n"] / d, table.filter(
                like="n_withdrawals").iloc[:, 0] / d):
            low, high = proportion_confint(k, n, method="wilson")
            assert (row.ci_low, row.ci_high) == pytest.approx((low, high), rel=1e-9)
    stage = pillars.withdrawal_stage(cases)
    assert (stage["design_effect"] > 1.1).any()
