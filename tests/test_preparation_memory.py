"""The national preparation's memory savings change no figure.

* ``force_effects`` fits its case-mix model on the distinct covariate patterns (a grouped
  binomial model) instead of a design matrix with a row per case: same coefficients, standard
  errors, intervals and expected counts as the model of every case.
* ``outcome_shares`` takes a shallow copy of the cases: the caller's frame is unchanged.
* Reports read their cases without the identifiers none of them uses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from soteria_research.analysis.attrition import model_frame
from soteria_research.analysis.comparison import force_effects
from soteria_research.analysis.comparison.effects import _case_mix_formula, grouped_logit
from soteria_research.data.synthetic import generate_cases

FORCES = ["durham", "cumbria", "cleveland", "northumbria"]


@pytest.fixture(scope="module")
def cases() -> pd.DataFrame:
    cases = generate_cases(forces=FORCES, scale=0.6, seed=11)
    # some missing covariates: the case-by-case model drops those cases (missing="drop")
    rng = np.random.default_rng(5)
    cases.loc[rng.random(len(cases)) < 0.03, "victim_age"] = pd.NA
    cases.loc[rng.random(len(cases)) < 0.02, "victim_ethnicity"] = None
    return cases


@pytest.mark.parametrize("outcome", ["charged", "withdrawn", "evidential_difficulty"])
def test_grouped_fit_is_the_case_by_case_fit(cases, outcome):
    frame = model_frame(cases, within_days=365)
    formula, _ = _case_mix_formula(outcome, frame)
    assert "C(financial_year)" in formula and "victim_under_18" in formula
    each = smf.logit(formula, data=frame, missing="drop").fit(disp=0, maxiter=100)
    grouped, ids, patterns = grouped_logit(frame, outcome, formula)
    # far fewer rows in the grouped model than cases
    assert len(patterns) < 0.6 * each.nobs
    assert int((ids >= 0).sum()) == int(each.nobs)
    assert list(grouped.params.index) == list(each.params.index)
    np.testing.assert_allclose(grouped.params, each.params, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(grouped.bse, each.bse, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(grouped.conf_int(), each.conf_int(), rtol=1e-8, atol=1e-8)
    # the fitted probability of every case used
    p_each = np.asarray(each.predict(frame))
    p_grouped = np.asarray(grouped.predict(patterns))[ids[ids >= 0]]
    np.testing.assert_allclose(p_grouped, p_each[ids.to_numpy() >= 0], rtol=1e-8, atol=1e-12)
    assert np.isnan(p_each[ids.to_numpy() < 0]).all()


@pytest.mark.parametrize("outcome", ["charged", "withdrawn"])
def test_force_effects_grouped_equals_case_by_case(cases, outcome):
    each = force_effects(cases, outcome=outcome, grouped=False)
    grouped = force_effects(cases, outcome=outcome)  # the default formula: grouped
    assert grouped["force"].tolist() == each["force"].tolist() == sorted(FORCES)
    for column in ("observed", "n"):
        assert grouped[column].tolist() == each[column].tolist()
    for column in ("expected", "expected_variance", "estimate", "ci_low", "ci_high",
                   "adjusted_rate"):
        np.testing.assert_allclose(grouped[column], each[column], rtol=1e-8, err_msg=column)
    for key in ("national_rate", "formula", "converged", "notes"):
        assert grouped.attrs[key] == each.attrs[key], key


def test_grouped_fit_refuses_a_formula_it_cannot_group(cases):
    frame = model_frame(cases, within_days=365)
    with pytest.raises(Exception, match="plain terms"):
        grouped_logit(frame, "charged", "charged ~ np.log1p(report_delay_years)")
    # a formula given is fitted case by case unless asked
    given = force_effects(cases, formula="charged ~ victim_age_decades + domestic_abuse")
    assert given.attrs["converged"]


def test_outcome_shares_leaves_the_cases_as_they_were():
    from soteria_research.analysis.demographics import outcome_shares

    cases = generate_cases(forces=["durham", "cumbria"], scale=0.2, seed=1)
    cases.loc[cases.index[:50], "victim_sex"] = None
    before = cases.copy()
    for dimension in ("victim_age_band", "victim_sex", "victim_ethnicity"):
        outcome_shares(cases, dimension, by="force")
    pd.testing.assert_frame_equal(cases, before)


def test_read_cases_leaves_out_the_columns_excluded(tmp_path):
    from soteria_research.reporting import shared_cases

    cases = generate_cases(forces=["durham", "cumbria"], scale=0.05, seed=2)
    files = shared_cases.ForceFiles(tmp_path)
    files.write(cases)
    files.close()
    whole = shared_cases.read_cases(tmp_path)
    lean = shared_cases.read_cases(tmp_path, exclude=shared_cases.UNREAD_BY_REPORTS)
    assert list(lean.columns) == [c for c in whole.columns
                                  if c not in shared_cases.UNREAD_BY_REPORTS]
    pd.testing.assert_frame_equal(lean, whole.drop(columns=list(shared_cases.UNREAD_BY_REPORTS)))
    durham = shared_cases.read_cases(tmp_path, ["durham"], columns=["force", "victim_id"],
                                     exclude=["victim_id"])
    assert list(durham.columns) == ["force"] and set(durham["force"]) == {"durham"}
