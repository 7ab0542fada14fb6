"""Reports on a force analyst's exports, as tried in a browser: a one-month export's
time-to-outcome figure and table are one published curve (issue 16) and its sentences name one
financial year as one; a file of two forces says whose "England and Wales" it prints.

A force analyst's one-month export of Lancashire (January 2023, extracted June 2024) showed a
figure whose charge curve stepped at day 260 on 10 charges beside a table printing 15 by day
365: each was coarsened so that every step rested on 10 events, and together they printed a
step on 5. These tests read what a report publishes: the curve the figure draws, the table's
days and the trends' count within 365 days.
"""

from __future__ import annotations

import numpy as np
import pytest

from soteria_research.reporting.disclosure import get_profile
from soteria_research.reporting.figures_breakdowns import TREND_OUTCOMES
from soteria_research.reporting.report_common import TABLE_DAYS, WITHIN_DAYS


@pytest.fixture(scope="module")
def month_file(tmp_path_factory):
    from soteria_research.data.synthetic import generate_cases

    cases = generate_cases(forces=["lancashire"], start="2023-01-01", end="2023-01-31",
                           extract_date="2024-06-30", seed=0)
    path = tmp_path_factory.mktemp("month") / "lancashire_month.csv"
    cases.to_csv(path, index=False)
    return path


def _open(path, profile):
    from soteria_research.reporting.national import open_report
    from soteria_research.reporting.parameters import ReportParameters

    return open_report(ReportParameters.validate(force="lancashire", data=str(path),
                                                 disclosure=profile))


@pytest.mark.parametrize("profile", ["publication", "partner"])
def test_no_two_printed_values_of_a_curve_lie_fewer_than_the_threshold_apart(month_file,
                                                                             profile):
    report = _open(month_file, profile)
    threshold = get_profile(profile).survival_threshold
    curve = report.incidence_curve()
    assert len(curve), "the month's curve should show something"
    times = sorted(set(curve["time"]) | {WITHIN_DAYS})
    raw = report.incidence(times=times).set_index(["cohort", "outcome", "time"])["n_events"]
    checked = 0
    for (cohort, outcome), part in curve.groupby(["cohort", "outcome"]):
        published = {float(t): int(raw[(cohort, outcome, t)]) for t in part["time"]}
        within_year = int(raw[(cohort, outcome, WITHIN_DAYS)])
        if outcome in TREND_OUTCOMES and within_year >= threshold:  # the trends print it
            published[float(WITHIN_DAYS)] = within_year
        values = [published[t] for t in sorted(published)]
        steps = np.diff(np.append(0, values))
        assert np.all(steps >= threshold), (outcome, sorted(published.items()))
        checked += len(values)
    assert checked >= 10


@pytest.mark.parametrize("profile", ["publication", "partner"])
def test_the_table_prints_the_figures_curve_at_its_days(month_file, profile):
    from soteria_research.reporting.report_common import _fmt_share

    report = _open(month_file, profile)
    curve = report.incidence_curve()
    table = report.incidence_view().data
    from soteria_research.reporting.figures import label

    shown = 0
    for row in curve[curve["time"].isin(TABLE_DAYS)].itertuples(index=False):
        cell = table.loc[table["Outcome"].eq(label(row.outcome)), f"by day {row.time:g}"]
        assert cell.tolist() == [_fmt_share(row.cif, row.ci_low, row.ci_high)]
        shown += 1
    assert shown >= 5
    # every other cell of the table is hidden, not made up
    cells = table.drop(columns="Outcome").to_numpy().ravel()
    assert (cells == "[c]").sum() == cells.size - shown


@pytest.mark.parametrize("profile", ["publication", "partner"])
def test_the_figures_data_is_every_step_it_draws(month_file, profile):
    """The figure's data (``tables/time_to_outcome_figure.csv``) holds exactly the steps the
    drawn figure shows, read off its lines, and agrees with the table at the table's days."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from soteria_research.reporting.figures import plot_cumulative_incidence

    report = _open(month_file, profile)
    report.incidence_figure_data()
    data = report.takeaway.tables["time_to_outcome_figure"]
    listed = {(outcome, int(day), share.split(" (")[0]) for outcome, day, share in
              zip(data["Outcome"], data["Day"], data["Share (95% interval)"])}
    ax = plot_cumulative_incidence(report.incidence_curve(), by="cohort")
    drawn = set()
    for line in ax.get_lines():
        outcome = line.get_label().rsplit(": ", 1)[0]  # "<outcome>: <cohort>"
        drawn |= {(outcome, int(x), f"{100 * y:.1f}%")
                  for x, y in zip(line.get_xdata(), line.get_ydata()) if np.isfinite(y)}
    plt.close(ax.figure)
    assert len(listed) >= 10 and listed == drawn
    table = report.incidence_view().data.set_index("Outcome")
    for column in table.columns:
        day = int(column.removeprefix("by day "))
        for outcome, cell in table[column].items():
            if cell != "[c]":
                assert (outcome, day, cell.split(" (")[0]) in listed, (outcome, day, cell)


def test_the_old_separate_coarsening_would_have_printed_a_step_of_five(month_file):
    """The independent check that the world holds the case: coarsened alone, the figure's
    charge curve has a step whose events, with the trends' count within 365 days, leave fewer
    than 10 between them."""
    from soteria_research.reporting.disclosure import protect_curve

    report = _open(month_file, "partner")
    full = report.incidence()
    alone = protect_curve(full[full["outcome"].eq("charge")], profile="partner").frame
    before = alone.loc[alone["time"] < WITHIN_DAYS, "n_events"]
    raw = report.incidence(times=[WITHIN_DAYS])
    by_year = int(raw.loc[raw["outcome"].eq("charge"), "n_events"].iloc[0])
    assert len(before) and 0 < by_year - int(before.iloc[-1]) < 10


def test_one_financial_year_is_named_as_one(month_file):
    words = _open(month_file, "publication").headline_cohorts()
    assert "(financial year 2022/23)" in words, words


@pytest.mark.parametrize("period", [None, ("2023-01-10", "2023-01-20")])
def test_the_headline_cohort_ends_where_the_data_or_the_period_end(month_file, period):
    """A one-month report (Dorset, January 2022) said its outcome shares counted "cases
    recorded from 2022-01-01 to 2022-03-31": the financial year's end, past the period's. The
    sentence and metrics.json's ``recorded_to`` give the last day whose cases are counted:
    the period's end, or without a period the last day of the file's last recorded month."""
    import pandas as pd

    from soteria_research.reporting.national import open_report
    from soteria_research.reporting.parameters import ReportParameters

    recorded = pd.to_datetime(pd.read_csv(month_file, usecols=["recorded_date"])
                              ["recorded_date"])
    start, end = period or ("2023-01-01", "2023-01-31")
    extra = {"period_start": start, "period_end": end} if period else {}
    report = open_report(ReportParameters.validate(force="lancashire", data=str(month_file),
                                                   **extra))
    if period:  # the period leaves out cases of the file's month on both sides
        assert recorded.min() < pd.Timestamp(start) and pd.Timestamp(end) < recorded.max()
    assert report.headline_range() == {"recorded_from": start, "recorded_to": end}
    words = report.headline_cohorts()
    assert f"to {end} (" in words or f"up to {end} (" in words, words
    assert report.metrics()["recorded_to"] == end


def test_a_file_of_two_forces_says_whose_england_and_wales_it_is(tmp_path):
    """A warehouse export of Cumbria and Durham printed "England and Wales" for the two
    together, with nothing saying so."""
    from soteria_research.data.synthetic import generate_cases
    from soteria_research.reporting.national import open_report
    from soteria_research.reporting.parameters import ReportParameters

    cases = generate_cases(forces=["cumbria", "durham"], start="2022-04-01", end="2023-03-31",
                           extract_date="2024-06-30", scale=0.05, seed=2)
    path = tmp_path / "two.csv"
    cases.to_csv(path, index=False)
    shared = tmp_path / "shared"
    words = {}
    for force in ("durham", "national"):
        report = open_report(ReportParameters.validate(force=force, data=str(path),
                                                       shared=str(shared)))
        words[force] = report.coverage_note()
    for text in words.values():
        assert "means the 2 of the 43 forces whose cases are in the data (Cumbria and " \
               "Durham) together" in text, text


def test_a_file_of_one_force_or_all_has_no_such_sentence(month_file):
    assert _open(month_file, "publication").coverage_note() == ""
