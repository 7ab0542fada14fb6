"""Cohort shares with the cases transferred within the window left out (``censor_transfers``).

A case transferred to another body leaves the force's hands: its outcome is not the force's, so
docs/domain.md censors it, and the headline's shares leave out the cases transferred within
their year. ``attrition.cohort_rates``, the programme panel's fast ``cohort_counts`` and the
evaluation functions built on it can do the same. Checked here against counts made by hand and
against each other, in the built-in world and in a force's export that stops mid-year (so
that quarters after the last financial year are complete).
"""

from __future__ import annotations

import pandas as pd
import pytest
from worlds import FOLLOWED_WORLDS, followed_world

from soteria_research.analysis import attrition
from soteria_research.analysis.evaluation import staggered_did
from soteria_research.analysis.evaluation.panel import cohort_counts
from soteria_research.data.synthetic import generate_cases


@pytest.fixture(scope="module", params=list(FOLLOWED_WORLDS))
def cases(request):
    return followed_world(request.param)


def _transferred_within(cases: pd.DataFrame, days: int = 365) -> pd.Series:
    ended = cases["outcome_date"]
    return (cases["outcome_group"].eq("transferred") & ended.le(cases["extract_date"])
            & (ended - cases["recorded_date"]).dt.days.le(days))


def test_censored_cohorts_are_the_complete_quarters_less_the_transfers_by_hand(cases):
    rates = attrition.cohort_rates(cases, within_days=365, freq="Q", by="force",
                                   censor_transfers=True, cluster=None)
    assert "transferred" not in set(rates["outcome"])
    extract = cases["extract_date"].min()
    quarter = cases["recorded_date"].dt.to_period("Q")
    complete = quarter.map(lambda q: q.end_time.normalize() + pd.Timedelta(days=365) <= extract)
    moved = _transferred_within(cases)
    assert (moved & complete).groupby(cases["force"]).sum().gt(0).all()  # the check bites
    kept = complete & ~moved
    by_hand = kept.groupby([cases["force"], quarter.astype(str)]).sum()
    by_hand = by_hand[by_hand.gt(0)]
    found = rates.groupby(["force", "cohort"])["n_cohort"].first()
    found = found[found.gt(0)]
    assert found.to_dict() == {k: int(v) for k, v in by_hand.items()}
    # the outcomes counted are unchanged: a transfer is no charge
    plain = attrition.cohort_rates(cases, within_days=365, freq="Q", by="force", cluster=None)
    keys = ["force", "cohort", "outcome"]
    charge = [r[r["outcome"].eq("charge")].set_index(keys)["n"] for r in (rates, plain)]
    pd.testing.assert_series_equal(*charge)


@pytest.mark.parametrize("censor", [False, True])
@pytest.mark.parametrize("freq", ["Q", "M"])
def test_cohort_counts_equal_cohort_rates(cases, censor, freq):
    """The programme panel's fast counts (integer arithmetic) are ``cohort_rates``'."""
    fast = cohort_counts(cases, within_days=365, freq=freq,
                         outcomes=["charge", "victim_withdrawal"], censor_transfers=censor)
    slow = attrition.cohort_rates(cases, within_days=365, freq=freq, by="force",
                                  censor_transfers=censor, cluster=None)
    assert censor != slow["outcome"].eq("transferred").any()
    slow = slow[slow["outcome"].isin(["charge", "victim_withdrawal"]) & slow["n_cohort"].gt(0)]
    keys = ["force", "cohort", "outcome"]
    fast = fast.set_index(keys)[["n", "n_cohort"]].sort_index().astype(int)
    slow = slow.set_index(keys)[["n", "n_cohort"]].sort_index().astype(int)
    pd.testing.assert_frame_equal(fast, slow)


def test_staggered_did_with_transfers_censored_is_the_design_without_those_cases():
    """Leaving the transfers out of each cohort is the same as handing the design data without
    them: the same estimates, by two routes."""
    forces = ["avon_and_somerset", "durham", "kent", "dorset", "cumbria", "essex"]
    data = generate_cases(forces=forces, scale=0.05, seed=2)
    censored = staggered_did(data, n_boot=99, seed=1, censor_transfers=True)
    dropped = staggered_did(data[~_transferred_within(data)], n_boot=99, seed=1)
    plain = staggered_did(data, n_boot=99, seed=1)
    columns = ["periods_since_joining", "estimate", "ci_low", "ci_high"]
    pd.testing.assert_frame_equal(censored.event_study[columns], dropped.event_study[columns])
    assert not censored.event_study["estimate"].equals(plain.event_study["estimate"])
