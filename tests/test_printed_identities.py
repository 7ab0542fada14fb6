"""Every identity between a run's printed counts is one the test attacker knows.

The attacker of ``tests/test_run_attacker.py`` is only as strong as what it was taught: a count
that is another count, or the sum of others, is a fact a reader of the run can use, and twice a
fact it had not been taught let a reader work out small counts the tables hid (the timeliness
table's cases that reached an outcome; the earlier-allegations table's charges, which add up to
the headline's). ``tests/printed_identities.py`` searches two runs published under
``internal`` (nothing hidden) for counts equal to another or to the sum of two to four others
in every force, and asks the attacker's constraints whether they imply each one. A table that
begins to print a sum of other counts fails here until the attacker is taught it (and the
attacker's tests then say whether the run hides it well).
"""

from __future__ import annotations

import numpy as np
import pytest
from printed_identities import Identity, Implication, candidates, identities, unknown
from published_run import OPEN, OUTCOMES, Knowledge, read_run
from report_fixtures import kernel_for_tests

from soteria_research.reporting.runner import run_reports

pytestmark = pytest.mark.slow

#: The attacker's runs' data (``tests/test_run_attacker.py``): the same forces, scales, seeds.
RUNS = ({"forces": ["city_of_london", "cumbria", "dyfed_powys", "north_yorkshire"],
         "scale": 0.05, "seed": 11, "reported": "all"},
        {"forces": ["city_of_london", "gwent", "warwickshire", "dyfed_powys", "cleveland"],
         "scale": 0.04, "seed": 23,
         "reported": ["city_of_london", "gwent", "warwickshire", "dyfed_powys"]})
EARLIER, OTHER = ("allegations|Earlier allegation (suspect accused again)",
                  "allegations|Other allegation with a named suspect")
#: The two identities the attacker had not been taught, each of which gave small counts back.
MISSED = (
    Identity("recorded", tuple(sorted((f"outcome|{OPEN}", f"outcome|{OUTCOMES[-2]}",
                                       "time|Report to any outcome|reached")))),
    Identity("charged_within", (f"{EARLIER}|{OUTCOMES[0]}", f"{OTHER}|{OUTCOMES[0]}")),
)


@pytest.fixture(scope="module")
def internal_runs(tmp_path_factory) -> list:
    from soteria_research.data.synthetic import generate_cases

    folder = tmp_path_factory.mktemp("identities")
    kernel = kernel_for_tests(folder / "kernel")
    built = []
    for k, spec in enumerate(RUNS):
        path = folder / f"cases{k}.csv"
        generate_cases(forces=spec["forces"], scale=spec["scale"], seed=spec["seed"]).to_csv(
            path, index=False)
        result = run_reports(path, forces=spec["reported"], out=folder / f"runs{k}",
                             run="internal", workers=2, kernel_name=kernel,
                             disclosure="internal", progress=False)
        assert result.ok, result.summary()
        built.append(read_run(result.run_dir))
    return built


@pytest.fixture(scope="module")
def found(internal_runs) -> dict:
    return identities(internal_runs)


def test_every_identity_between_printed_counts_is_known_to_the_attacker(internal_runs, found):
    assert not unknown(internal_runs, found), "\n".join(unknown(internal_runs, found))


def test_the_search_finds_the_identities_that_had_been_missed(found):
    """The search is strong enough to have found both: a sum of three counts, and a sum of
    two counts of one table that is a count of another."""
    for identity in MISSED:
        assert identity in found, identity
    # and it finds the plain ones, each in every force and offence group of both runs
    assert found[Identity("recorded", ("stage|Crime recorded",))] >= 2 * 12


# --------------------------------------------------------------------------------------------
# The search and the implication on values made by hand
# --------------------------------------------------------------------------------------------
def test_the_search_finds_a_planted_sum_and_not_a_coincidence():
    forces = ["a", "b", "c", "d"]
    rng = np.random.default_rng(5)
    x, y = rng.integers(20, 200, 4), rng.integers(20, 200, 4)
    values = {"x": dict(zip([(f, "all") for f in forces], x)),
              "y": dict(zip([(f, "all") for f in forces], y)),
              "sum": dict(zip([(f, "all") for f in forces], x + y)),
              # equal to x in three forces only: not an identity
              "near": dict(zip([(f, "all") for f in forces], [*x[:3], x[3] + 1]))}
    found = candidates(values, forces)
    assert Identity("sum", ("x", "y")) in found
    assert not any("near" in (i.whole, *i.parts) for i in found)


def test_the_implication_says_no_to_what_the_attacker_was_not_taught():
    know = Knowledge(None)
    know.total(["f|x", "f|y"], "f|sum")
    know.at_most("f|x", "f|z")
    check = Implication(know)
    assert check.known(Identity("sum", ("x", "y")), "f")
    assert not check.known(Identity("z", ("x",)), "f")  # only x <= z was taught
    assert not check.known(Identity("sum", ("x",)), "f")


def test_a_reader_of_one_run_would_keep_a_coincidence(internal_runs):
    """Why two runs: some identities between three counts hold in every force of one run by
    chance, and none of them in the other run."""
    one = identities(internal_runs[:1])
    both = identities(internal_runs)
    assert set(both) < set(one)
    assert len(one) - len(both) >= 5
    assert set(MISSED) <= set(both)

