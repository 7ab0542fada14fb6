"""A report run's ``--extract-date`` views the data as extracted on that date: checked against
the synthetic world observed on that date (the generator knows what an extract would hold)."""

from __future__ import annotations

import pandas as pd
import pytest

from soteria_research.data.extract_view import as_extracted
from soteria_research.data.synthetic import generate_cases
from soteria_research.errors import ParameterError

EARLIER, LATER = "2023-09-30", "2024-03-31"


def _world(extract_date: str) -> pd.DataFrame:
    """One world (the same cases and courses), observed on ``extract_date``."""
    return generate_cases(forces=["durham", "city_of_london"], scale=0.2, seed=2,
                          end=EARLIER, extract_date=extract_date)


@pytest.fixture(scope="module")
def extracts():
    return _world(EARLIER), _world(LATER)


def test_a_later_extract_viewed_at_an_earlier_date_is_the_earlier_extract(extracts):
    earlier, later = extracts
    changed = [c for c in earlier.columns if not earlier[c].equals(later[c])]
    # the later extract holds events the earlier one did not: stages, outcomes, suspects
    assert {"outcome_group", "charge_date", "suspect_identified_date", "suspect_id",
            "court_outcome"} <= set(changed)
    assert later["outcome_group"].eq("open").sum() < earlier["outcome_group"].eq("open").sum()
    pd.testing.assert_frame_equal(as_extracted(later, EARLIER), earlier)
    # viewed at its own date, an extract is unchanged
    pd.testing.assert_frame_equal(as_extracted(earlier, EARLIER), earlier)


def test_a_date_after_the_files_extract_is_refused(extracts):
    earlier, _ = extracts
    with pytest.raises(ParameterError) as error:
        as_extracted(earlier, LATER, source="cases.csv")
    message = str(error.value)
    for part in ("cases.csv", "--extract-date 2024-03-31", "2023-09-30", "column extract_date",
                 "or earlier, or leave it out"):
        assert part in message


def test_a_run_at_an_earlier_date_reports_what_the_earlier_extract_shows(extracts, tmp_path):
    """A run of one financial year of the later file at the earlier date gives the national
    artefacts of a run of the earlier file: every force's headline, the national tables and
    the run-level pattern. Before, the headline counted cases followed a year by the date
    given and the trend table by the file's, and the run stopped on City of London's
    withdrawals ("one quantity must be one number wherever it is published")."""
    from soteria_research.reporting import computed_tables
    from soteria_research.reporting.national import prepare_national
    from soteria_research.reporting.parameters import NATIONAL, ReportParameters
    from soteria_research.reporting.run_pattern import PATTERN_DIR

    saved = {}
    for name, frame in zip(("earlier", "later"), extracts, strict=True):
        path = tmp_path / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        params = ReportParameters.validate(
            force=NATIONAL, data=str(path), period_start="2022-04-01", period_end="2023-03-31",
            extract_date=EARLIER, disclosure="partner")
        saved[name] = prepare_national(params, tmp_path / f"shared-{name}").folder
    earlier, later = saved["earlier"], saved["later"]
    pd.testing.assert_frame_equal(pd.read_parquet(later / "headline.parquet"),
                                  pd.read_parquet(earlier / "headline.parquet"))
    for name in computed_tables.NATIONAL_NAMES:
        pd.testing.assert_frame_equal(computed_tables.load(later, name),
                                      computed_tables.load(earlier, name))
    patterns = sorted(p.name for p in (earlier / PATTERN_DIR).iterdir())
    assert patterns and patterns == sorted(p.name for p in (later / PATTERN_DIR).iterdir())
    for name in patterns:
        assert (later / PATTERN_DIR / name).read_text() == \
            (earlier / PATTERN_DIR / name).read_text(), name
