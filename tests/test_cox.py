"""Cox regression agrees with R's survival::coxph, cox.zph and concordance, and says when a fit
is not to be trusted (separation, collinearity, non-convergence) as data, not warnings."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from soteria_research.analysis.survival import cause_specific, fit_cox
from soteria_research.errors import ModelError, ParameterError

DATA = Path(__file__).parent / "reference" / "data"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    ref = pd.read_csv(DATA / "cox_reference.csv", keep_default_na=False)
    ref["value"] = pd.to_numeric(ref["value"])
    return ref


@pytest.fixture(scope="module")
def datasets() -> dict[str, pd.DataFrame]:
    mgus = _read("mgus2.csv")
    mgus["pcm"] = (mgus["event"] == 1).astype(int)
    return {"lung": _read("cox_lung.csv"), "veteran": _read("cox_veteran.csv"), "mgus2": mgus,
            "ties": _read("cox_ties.csv"), "entry": _read("cox_entry.csv"),
            "heavy": _read("cox_heavy.csv")}


# The same models as tests/reference/make_reference_cox.R, fit by fit_cox.
FITS = {
    "lung_efron": ("lung", dict(duration="time", event="dead",
                                covariates=["age", "sex", "ph.ecog"])),
    "lung_breslow": ("lung", dict(duration="time", event="dead",
                                  covariates=["age", "sex", "ph.ecog"], ties="breslow")),
    "lung_strata": ("lung", dict(duration="time", event="dead", covariates=["age", "ph.ecog"],
                                 strata="sex")),
    "veteran_factor": ("veteran", dict(duration="time", event="status",
                                       covariates=["trt", "karno", "celltype"])),
    "mgus2_pcm": ("mgus2", dict(duration="etime", event="pcm",
                                covariates=["age", "sex", "mspike"])),
    "ties_weights": ("ties", dict(duration="days", event="event", covariates=["x1", "x2", "x3"],
                                  weights="weight")),
    "ties_strata": ("ties", dict(duration="days", event="event", covariates=["x1", "x2", "x3"],
                                 strata="region")),
    "ties_robust": ("ties", dict(duration="days", event="event", covariates=["x1", "x2", "x3"],
                                 cluster="id")),
    "ties_all": ("ties", dict(duration="days", event="event", covariates=["x1", "x2", "x3"],
                              strata="region", weights="weight", cluster="id")),
    "entry": ("entry", dict(duration="stop", event="event", covariates=["z1", "z2"],
                            entry="entry")),
    "entry_strata_robust": ("entry", dict(duration="stop", event="event",
                                          covariates=["z1", "z2"], entry="entry",
                                          strata="site", cluster="id")),
    "heavy": ("heavy", dict(duration="time", event="event", covariates=["h1", "h2"])),
    "lung_breslow_robust": ("lung", dict(duration="time", event="dead",
                                         covariates=["age", "sex", "ph.ecog"], ties="breslow",
                                         robust=True)),
    "entry_weights": ("entry", dict(duration="stop", event="event", covariates=["z1", "z2"],
                                    entry="entry", strata="site", weights="w")),
    "entry_weights_breslow": ("entry", dict(duration="stop", event="event",
                                            covariates=["z1", "z2"], entry="entry",
                                            weights="w", ties="breslow", cluster="id")),
}


def _values(ref: pd.DataFrame, fit: str, quantity: str) -> pd.Series:
    rows = ref[(ref["fit"] == fit) & (ref["quantity"] == quantity)]
    return pd.Series(rows["value"].to_numpy(), index=rows["term"].to_numpy())


@pytest.fixture(scope="module")
def fitted(datasets):
    return {name: fit_cox(datasets[data], **kwargs) for name, (data, kwargs) in FITS.items()}


@pytest.mark.parametrize("name", list(FITS))
def test_coefficients_and_standard_errors_agree_with_coxph(name, fitted, reference):
    res = fitted[name]
    coef = _values(reference, name, "coef")
    # our treatment-contrast names "celltype[T.large]" are R's "celltypelarge"
    assert [t.replace("[T.", "").rstrip("]") for t in res.params.index] == list(coef.index)
    np.testing.assert_allclose(res.params.to_numpy(), coef.to_numpy(), rtol=1e-6)
    naive_se = np.sqrt(np.diag(res.cov_params_naive_.to_numpy()))
    np.testing.assert_allclose(naive_se, _values(reference, name, "se").to_numpy(), rtol=1e-6)
    robust = _values(reference, name, "robust_se")
    assert res.robust == (len(robust) > 0)
    if len(robust):
        np.testing.assert_allclose(res.bse.to_numpy(), robust.to_numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", list(FITS))
def test_loglik_counts_and_score_test_agree_with_coxph(name, fitted, reference):
    res = fitted[name]
    assert res.loglik == pytest.approx(_values(reference, name, "loglik").iloc[0], rel=1e-9)
    assert res.loglik_null == pytest.approx(_values(reference, name, "loglik_null").iloc[0],
                                            rel=1e-9)
    assert res.score_test == pytest.approx(_values(reference, name, "score_test").iloc[0],
                                           rel=1e-6)
    assert res.n == _values(reference, name, "n").iloc[0]
    assert res.n_events == _values(reference, name, "n_events").iloc[0]


@pytest.mark.parametrize("name", list(FITS))
def test_concordance_is_harrells_c_as_coxph_reports_it(name, fitted, reference):
    expected = _values(reference, name, "concordance").iloc[0]
    assert fitted[name].concordance == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("name", list(FITS))
def test_proportional_hazards_test_agrees_with_cox_zph(name, fitted, reference):
    table = fitted[name].check_proportional_hazards()
    chisq = _values(reference, name, "zph_chisq")
    df = _values(reference, name, "zph_df")
    assert list(table["term"]) == list(chisq.index)
    np.testing.assert_allclose(table["chisq"].to_numpy(), chisq.to_numpy(), rtol=1e-6)
    np.testing.assert_array_equal(table["df"].to_numpy(), df.to_numpy())
    assert ((table["p"] >= 0) & (table["p"] <= 1)).all()


@pytest.mark.parametrize("transform", ["identity", "rank", "log"])
@pytest.mark.parametrize("name", ["lung_efron", "ties_all", "entry_strata_robust"])
def test_other_time_transforms_agree_with_cox_zph(name, transform, fitted, reference):
    table = fitted[name].check_proportional_hazards(transform=transform)
    expected = _values(reference, name, f"zph_chisq_{transform}")
    np.testing.assert_allclose(table["chisq"].to_numpy(), expected.to_numpy(), rtol=1e-6)


def test_entry_at_an_event_time_is_not_at_risk_then(datasets, fitted, reference):
    # statsmodels' PHReg counts such a subject as at risk; R (and we) do not.
    data = datasets["entry"]
    event_times = set(data.loc[data["event"] == 1, "stop"])
    assert data["entry"].isin(event_times).sum() > 50  # the trap is exercised
    res = fitted["entry"]
    coef = _values(reference, "entry", "coef").to_numpy()
    np.testing.assert_allclose(res.params.to_numpy(), coef, rtol=1e-6)
    # the trap is real on these data: PHReg's risk sets give visibly different estimates
    from statsmodels.duration.hazard_regression import PHReg
    peer = PHReg(data["stop"].to_numpy(), data[["z1", "z2"]].to_numpy(),
                 status=data["event"].to_numpy(), entry=data["entry"].to_numpy(),
                 ties="efron").fit()
    assert np.max(np.abs(np.asarray(peer.params) / coef - 1)) > 1e-3
    # A tiny hand-checkable case: B enters at 2, when A has the event; only A is at risk at 2.
    tiny = pd.DataFrame({"entry": [0, 2, 0], "stop": [2, 5, 4], "event": [1, 1, 0],
                         "x": [0.0, 1.0, 1.0]})
    fit = fit_cox(tiny, duration="stop", event="event", covariates=["x"], entry="entry",
                  max_iter=0)
    # at beta = 0: event at 2 has risk set {A, C} (B not yet), event at 5 has {B}
    assert fit.loglik == pytest.approx(-np.log(2) - np.log(1))


def test_robust_errors_on_tied_data_match_r_not_lifelines(fitted, reference):
    # lifelines' robust errors are 1-3.5% low on tied data; R sums Efron score residuals.
    res = fitted["ties_robust"]
    np.testing.assert_allclose(res.bse.to_numpy(), _values(reference, "ties_robust",
                                                           "robust_se").to_numpy(), rtol=1e-6)
    assert not np.allclose(res.bse.to_numpy(), np.sqrt(np.diag(res.cov_params_naive_)),
                           rtol=1e-3)


def test_formula_gives_the_same_fit_with_term_level_ph_test(datasets, fitted, reference):
    res = fit_cox(datasets["veteran"], duration="time", event="status",
                  formula="trt + karno + C(celltype)")
    np.testing.assert_allclose(res.params.to_numpy(), fitted["veteran_factor"].params,
                               rtol=1e-12)
    assert res.params.index[-1] == "C(celltype)[T.squamous]"
    table = res.check_proportional_hazards()
    assert table.loc[table["term"] == "C(celltype)", "df"].item() == 3
    np.testing.assert_allclose(table["chisq"], _values(reference, "veteran_factor",
                                                       "zph_chisq").to_numpy(), rtol=1e-6)
    # "y ~" on the left is accepted and ignored: the outcome comes from duration/event
    again = fit_cox(datasets["veteran"], duration="time", event="status",
                    formula="status ~ trt + karno + C(celltype)")
    np.testing.assert_allclose(again.params, res.params, rtol=1e-12)


def test_missing_values_are_left_out_and_counted(datasets):
    res = fit_cox(datasets["lung"], duration="time", event="dead",
                  covariates=["age", "sex", "ph.ecog"])
    assert res.n == 227 and res.diagnostics.rows_dropped == 1


def test_whole_number_weights_equal_duplicated_rows(datasets):
    # exactly so with Breslow ties (Efron treats a weight-2 death as one death, as R does)
    data = datasets["ties"].head(300).copy()
    data["times"] = np.where(data.index % 3 == 0, 2, 1)
    weighted = fit_cox(data, duration="days", event="event", covariates=["x1", "x2"],
                       weights="times", ties="breslow")
    duplicated = data.loc[data.index.repeat(data["times"])]
    plain = fit_cox(duplicated, duration="days", event="event", covariates=["x1", "x2"],
                    ties="breslow")
    np.testing.assert_allclose(weighted.params, plain.params, rtol=1e-10)
    np.testing.assert_allclose(weighted.bse, plain.bse, rtol=1e-10)
    assert not weighted.robust  # whole-number weights are frequencies, as in R


def test_breslow_and_efron_agree_without_ties(datasets):
    data = datasets["heavy"]
    assert data["time"].is_unique
    efron = fit_cox(data, duration="time", event="event", covariates=["h1", "h2"])
    breslow = fit_cox(data, duration="time", event="event", covariates=["h1", "h2"],
                      ties="breslow")
    np.testing.assert_allclose(efron.params, breslow.params, rtol=1e-12)


def test_row_order_does_not_change_the_fit(datasets):
    data = datasets["ties"]
    kwargs = dict(duration="days", event="event", covariates=["x1", "x2", "x3"],
                  strata="region", cluster="id")
    a = fit_cox(data, **kwargs)
    b = fit_cox(data.sample(frac=1.0, random_state=1), **kwargs)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10)
    np.testing.assert_allclose(a.bse, b.bse, rtol=1e-10)
    assert a.concordance == pytest.approx(b.concordance, abs=1e-12)


def test_cause_column_and_cause_specific(datasets):
    mgus = datasets["mgus2"]
    by_indicator = fit_cox(mgus, duration="etime", event="pcm", covariates=["age", "sex"])
    by_name = cause_specific(mgus.rename(columns={"etime": "days"}), "pcm",
                             covariates=["age", "sex"])
    by_code = fit_cox(mgus.assign(event=mgus["event"].astype("int8")), duration="etime",
                      event="event", cause=1, covariates=["age", "sex"])
    np.testing.assert_allclose(by_name.params, by_indicator.params, rtol=1e-12)
    np.testing.assert_allclose(by_code.params, by_indicator.params, rtol=1e-12)
    with pytest.raises(ParameterError, match="cause="):
        fit_cox(mgus, duration="etime", event="event", covariates=["age"])
    with pytest.raises(ParameterError, match="does not occur"):
        cause_specific(mgus.rename(columns={"etime": "days"}), "charge", covariates=["age"])


def _separated() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 60
    data = pd.DataFrame({"days": np.arange(1, n + 1), "event": 1,
                         "x": (np.arange(n) < 30).astype(float), "z": rng.normal(size=n)})
    data.loc[data["x"] == 0, "event"] = rng.integers(0, 2, 30)
    return data


def test_separation_is_reported_in_the_result_not_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = fit_cox(_separated(), duration="days", event="event", covariates=["x", "z"])
    assert res.diagnostics.separation == ["x"]
    assert not res.diagnostics.ok
    frame = res.diagnostics.to_frame()
    assert not frame.loc[frame["check"] == "separation", "ok"].item()
    assert "x" in str(res.summary())


def _sparse_force(seed: int, n: int = 60) -> pd.DataFrame:
    """A small force's cases: few events, a seven-level and a five-level category and two
    flags, so that some levels have no event (City of London's model on the benchmarks' data:
    193 cases, eight covariates)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "days": rng.integers(1, 400, n), "event": (rng.random(n) < 0.15).astype(int),
        "relationship": rng.choice(list("abcdefg"), n, p=[.4, .2, .15, .1, .07, .05, .03]),
        "age_band": rng.choice(list("vwxyz"), n), "flag_1": rng.integers(0, 2, n),
        "flag_2": rng.integers(0, 2, n)})


@pytest.mark.parametrize("seed", [1, 22, 24, 43, 46, 80, 150, 289])
def test_a_small_forces_fit_says_what_is_wrong_without_warnings_or_errors(seed):
    # Newton steps toward an infinite coefficient overflowed the risk sets' sums: numpy and
    # scipy warned on the console (overflow, ill-conditioned information), and seed 80 took a
    # step whose log-likelihood was finite but whose information was not, then raised "array
    # must not contain infs or NaNs". Such a step is halved now, like a non-finite one.
    covariates = ["relationship", "age_band", "flag_1", "flag_2"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = fit_cox(_sparse_force(seed), duration="days", event="event",
                      covariates=covariates)
    assert np.isfinite(res.loglik)
    if res.diagnostics.converged and not res.diagnostics.separation:
        assert np.isfinite(res.params).all()  # a trusted fit has finite estimates
    else:
        assert not res.diagnostics.ok


def test_collinear_covariate_is_dropped_and_recorded():
    data = _separated()
    data["z2"] = 2 * data["z"] + 1
    res = fit_cox(data, duration="days", event="event", covariates=["z", "z2"])
    alone = fit_cox(data, duration="days", event="event", covariates=["z"])
    assert res.diagnostics.collinear_dropped == ["z2"]
    assert list(res.params.index) == ["z"]
    np.testing.assert_allclose(res.params, alone.params, rtol=1e-10)


def test_non_convergence_is_reported():
    res = fit_cox(_separated(), duration="days", event="event", covariates=["z"], max_iter=1)
    assert not res.diagnostics.converged
    assert not res.diagnostics.ok
    assert "did not converge" in str(res.diagnostics)


def test_hazard_ratio_table_is_tidy(fitted):
    table = fitted["lung_efron"].hazard_ratios()
    assert list(table.columns) == ["term", "reference", "estimate", "ci_low", "ci_high",
                                   "log_hr", "se", "z", "p", "n", "n_events"]
    assert table.set_index("term")["reference"].to_dict() == {
        "age": "per one unit more", "sex": "per one unit more", "ph.ecog": "per one unit more"}
    assert (table["ci_low"] < table["estimate"]).all()
    assert (table["estimate"] < table["ci_high"]).all()
    np.testing.assert_allclose(np.log(table["estimate"]), table["log_hr"])


def test_user_mistakes_raise_project_errors(datasets):
    lung = datasets["lung"]
    with pytest.raises(ParameterError, match="not in the data"):
        fit_cox(lung, duration="time", event="dead", covariates=["nope"])
    with pytest.raises(ParameterError, match="ties"):
        fit_cox(lung, duration="time", event="dead", covariates=["age"], ties="exact")
    with pytest.raises(ModelError, match="no events"):
        fit_cox(lung.assign(dead=0), duration="time", event="dead", covariates=["age"])
    with pytest.raises(ModelError, match="formula"):
        fit_cox(lung, duration="time", event="dead", formula="age + missing_column")
    with pytest.raises(ParameterError, match="before the stop"):
        fit_cox(lung.assign(start=lung["time"]), duration="time", event="dead",
                covariates=["age"], entry="start")
    with pytest.raises(ParameterError, match="weights"):
        fit_cox(lung.assign(w=-1.0), duration="time", event="dead", covariates=["age"],
                weights="w")


def test_cause_specific_on_the_time_to_event_frame_with_formula_or_columns():
    from soteria_research.analysis.timeline import time_to_outcome
    from soteria_research.data.synthetic import generate_cases

    cases = generate_cases(forces=["durham"], start="2022-04-01", end="2023-03-31", seed=1)
    tte = time_to_outcome(cases)
    tte.loc[tte.index[:7], "victim_age"] = pd.NA  # nullable Int64 ages with gaps
    by_formula = cause_specific(tte, "charge",
                                formula="C(relationship) + victim_age + domestic_abuse")
    by_columns = cause_specific(tte, "charge",
                                covariates=["relationship", "victim_age", "domestic_abuse"])
    np.testing.assert_allclose(by_formula.params.to_numpy(), by_columns.params.to_numpy(),
                               rtol=1e-10)
    assert by_columns.diagnostics.rows_dropped >= 7
    assert by_formula.n == by_columns.n
    assert by_columns.n_events == int(((tte["outcome"] == "charge")
                                       & tte["victim_age"].notna()).sum())
    table = by_formula.check_proportional_hazards()
    assert list(table["term"]) == ["C(relationship)", "victim_age", "domestic_abuse", "GLOBAL"]


def test_results_accessors_are_consistent(fitted):
    res = fitted["ties_robust"]
    ci = res.conf_int(alpha=0.1)
    np.testing.assert_allclose(ci["upper"] - res.params, 1.6448536269514722 * res.bse)
    assert (res.tvalues == res.params / res.bse).all()
    assert res.cov_params().equals(res.cov_params_)
    lr, lr_p = res.likelihood_ratio_test
    assert lr == pytest.approx(2 * (res.loglik - res.loglik_null)) and 0 <= lr_p <= 1
    wald, _ = res.wald_test
    assert wald > 0
    summary = res.summary()
    assert "robust" in str(summary) and "<table" in summary._repr_html_()
    assert res.diagnostics.ok and res.diagnostics.to_frame()["ok"].all()
    assert len(res.linear_predictor_) == res.n


def _brute_force_concordance(data: pd.DataFrame, lp: np.ndarray) -> float:
    """Harrell's C by looking at every pair: slow, obviously right."""
    concordant = discordant = tied = 0.0
    t, start, e = data["stop"].to_numpy(), data["entry"].to_numpy(), data["event"].to_numpy()
    s, w = data["stratum"].to_numpy(), data["w"].to_numpy()
    for i in np.flatnonzero(e == 1):
        at_risk = (s == s[i]) & (start < t[i]) & (t[i] <= t)
        comparable = at_risk & ~((e == 1) & (t == t[i]))
        concordant += w[i] * w[comparable & (lp < lp[i])].sum()
        discordant += w[i] * w[comparable & (lp > lp[i])].sum()
        tied += w[i] * w[comparable & (lp == lp[i])].sum()
    return (concordant + tied / 2) / (concordant + discordant + tied)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_concordance_matches_a_pair_by_pair_count(seed):
    rng = np.random.default_rng(seed)
    n = 160
    data = pd.DataFrame({"entry": rng.integers(0, 5, n).astype(float),
                         "x": rng.integers(0, 3, n).astype(float),  # many tied risk scores
                         "z": rng.normal(size=n), "stratum": rng.integers(0, 3, n),
                         "w": rng.choice([0.5, 1.0, 2.5], n), "event": rng.integers(0, 2, n)})
    data["stop"] = data["entry"] + rng.integers(1, 12, n)  # whole days: many tied times
    fit = fit_cox(data, duration="stop", event="event", covariates=["x", "z"], entry="entry",
                  strata="stratum", weights="w")
    assert fit.concordance == pytest.approx(
        _brute_force_concordance(data, fit.linear_predictor_), abs=1e-12)
    # a model on x alone: its risk scores tie within each level of x
    only_x = fit_cox(data, duration="stop", event="event", covariates=["x"], entry="entry",
                     strata="stratum", weights="w")
    assert only_x.concordance == pytest.approx(
        _brute_force_concordance(data, only_x.linear_predictor_), abs=1e-12)
