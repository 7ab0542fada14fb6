"""The truth audit (``reporting/audit.py``) on a small world: three forces at scale 0.1, the
reports built by the runner (internal profile), every figure of every ``metrics.json`` and the
report tables with a truth counterpart checked against the generator's truth.

Tolerances. If every figure estimated its truth without bias and its interval were right, each
standardised error would be about N(0, 1): the mean of n of them has a standard deviation of
at least 1/sqrt(n) (more, since figures share cases: a force and the nation, the days of one
curve), so the issue's ±0.2 on the mean is a three-standard-deviation bound only from n = 225
figures on; with fewer the bound is 3/sqrt(n). Coverage of 1 by the null hazard ratios is
checked against the 99th percentile of misses for n intervals at 95% (binomial), since with a
dozen intervals "close to nominal" cannot be asked more tightly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from report_fixtures import kernel_for_tests
from scipy import stats

from soteria_research.reporting.audit import AuditWorld, truth_audit

WORLD = AuditWorld(forces=("durham", "cumbria", "northumbria"), scale=0.1, seed=5,
                   truth_scale=1.0, truth_n_sim=1)


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    kernel = kernel_for_tests(tmp_path_factory.mktemp("kernel"))
    result = truth_audit(WORLD, out=tmp_path_factory.mktemp("audit"), kernel_name=kernel,
                         workers=2)
    print(result.render())  # the table, for the log of a failing run
    return result


def _mean_z_bound(n: int) -> float:
    return max(0.2, 3 / math.sqrt(n))


@pytest.mark.slow
def test_every_report_built_and_every_metrics_share_is_audited(audit):
    assert not audit.notes, audit.notes
    metrics = audit.table[audit.table["source"].eq("metrics.json")]
    audited = set(zip(metrics["report"], metrics["figure"]))
    for report in ("national", *WORLD.forces):
        for figure in ("charged_within", "withdrawn_within", "evidential_within"):
            assert (report, figure) in audited, (report, figure)
    # The truth is weighted by exactly the cases the share counts (counted from raw columns).
    assert (metrics["n"] == metrics["n_check"]).all(), metrics[["report", "figure", "n", "n_check"]]


@pytest.mark.slow
def test_published_figures_agree_with_the_truth(audit):
    table = audit.table
    assert len(table) >= 100  # metrics.json shares, cohort trends, time-to-outcome table
    assert table["covered"].mean() >= 0.90, audit.summary()
    scored = table.dropna(subset=["z"])
    assert abs(scored["z"].mean()) <= _mean_z_bound(len(scored)), audit.summary()
    worst = scored.loc[scored["z"].abs() > 4]
    assert worst.empty, worst.to_string()
    for source, part in scored.groupby("source"):
        assert abs(part["z"].mean()) <= _mean_z_bound(len(part)), (source, audit.summary())


@pytest.mark.slow
def test_metrics_json_figures_alone_agree_with_the_truth(audit):
    metrics = audit.table[audit.table["source"].eq("metrics.json")]
    assert len(metrics) == 12
    assert metrics["covered"].mean() >= 0.90
    assert abs(metrics["z"].mean()) <= _mean_z_bound(len(metrics))  # 0.87 for 12 figures
    assert (metrics["z"].abs() <= 4).all()


@pytest.mark.slow
def test_no_effect_world_gives_hazard_ratios_that_cover_one(audit):
    null = audit.null_ratios
    reports = {"national", *WORLD.forces}
    assert set(null["report"]) == reports
    assert len(null) == 3 * len(reports)  # drivers: charge, withdrawal; device table: withdrawal
    allowed = int(stats.binom.ppf(0.99, len(null), 0.05))
    assert (~null["covers_one"]).sum() <= allowed, null.to_string()
    assert (null["z"].abs() <= 4).all(), null.to_string()


@pytest.mark.slow
def test_unmatched_figures_each_have_a_reason(audit):
    unmatched = audit.unmatched
    assert unmatched["reason"].str.len().gt(20).all(), unmatched.to_string()
    from_metrics = unmatched[unmatched["source"].eq("metrics.json")]
    # Only the count of records and the extract-date snapshot lack a truth counterpart.
    assert set(from_metrics["figure"]) == {"recorded", "still_open"}, from_metrics.to_string()


@pytest.mark.slow
def test_no_interval_of_zero_width_misses_its_truth(audit):
    degenerate = audit.table[audit.table["degenerate"]]
    assert degenerate["covered"].all(), degenerate.to_string()


def test_standardised_error_counts_the_printed_precision_of_metrics_json():
    # metrics.json prints shares to 0.001: a printed 0.142 is the estimate to within 0.0005,
    # uniform, so its variance 0.001**2 / 12 joins the interval's and the truth's.
    from soteria_research.reporting.audit import METRICS_QUANTUM, _row

    row = _row({}, outcome="evidential_difficulty", cohorts="", within_days=365,
               estimate=0.142, low=0.141, high=0.143, truth=0.1405, truth_se=0.0002, n=1000,
               quantum=METRICS_QUANTUM)
    se = 0.002 / (2 * 1.959963984540054)
    assert row["z"] == pytest.approx(0.0015 / math.sqrt(se**2 + 0.001**2 / 12 + 0.0002**2))
    unrounded = _row({}, outcome="evidential_difficulty", cohorts="", within_days=365,
                     estimate=0.142, low=0.141, high=0.143, truth=0.1405, truth_se=0.0002, n=1000)
    assert abs(unrounded["z"]) > abs(row["z"])
    assert row["covered"] is False and row["se"] == pytest.approx(se)


def test_expected_coverage_allows_for_a_truth_known_only_by_simulation():
    # A correct 95% interval contains an exact truth 95% of the time; a truth whose own Monte
    # Carlo error equals the estimate's is inside it only P(|N(0, 2)| <= 1.96) of the time
    # (83%). The audit prints that beside the coverage it finds, and checks it by simulation.
    from statistics import NormalDist

    from soteria_research.reporting.audit import Z95, _row

    def row(truth_se, estimate=0.30, truth=0.30):
        return _row({}, outcome="charge", cohorts="", within_days=365, estimate=estimate,
                    low=estimate - Z95 * 0.01, high=estimate + Z95 * 0.01, truth=truth,
                    truth_se=truth_se, n=1000)

    assert row(0.0)["expected"] == pytest.approx(0.95, abs=1e-9)
    exact = 2 * NormalDist().cdf(Z95 / math.sqrt(2)) - 1
    assert row(0.01)["expected"] == pytest.approx(exact, rel=1e-9)
    rng = np.random.default_rng(5)  # simulated: estimate and truth both drawn about 0.3
    estimates, truths = rng.normal(0.3, 0.01, 20_000), rng.normal(0.3, 0.01, 20_000)
    covered = np.mean([row(0.01, e, t)["covered"] for e, t in zip(estimates, truths)])
    assert covered == pytest.approx(exact, abs=0.01)
