"""What readers saw in the screenshots of the reports (issue 14), each fixed and pinned here on
small synthetic data: a force-only run, the prosecution decisions of a mid-sized force, and the
labels and number formats of the tables."""

from __future__ import annotations

import pandas as pd
import pytest

from soteria_research.analysis import timeliness as tl


@pytest.fixture(scope="module")
def one_force():
    """One mid-sized force alone, as in a force-only run (a few hundred files referred)."""
    from soteria_research.data.synthetic import generate_cases

    return generate_cases(forces=["durham"], scale=0.2, seed=5)


def _round5(n: int) -> str:
    return f"{int(5 * round(n / 5)):,}"


def test_prosecution_decisions_of_a_force_alone_are_published_not_all_hidden(one_force):
    """A force-only run hid every cell of the decisions table (six positions by rape and other
    sexual offences left counts under 10; the table was withheld whole). With the three rarer
    positions pooled as "other", the all-offences row is published under the unchanged
    publication rule, each count the six-position analysis count (pooled by hand) rounded to
    5; the note says the split rows are hidden whole."""
    from soteria_research.reporting import sections_timeliness as timing
    from soteria_research.reporting.disclosure import protect_linked

    table, options = timing.linked_tables(one_force)["prosecution_decisions"]
    linked = protect_linked({"prosecution_decisions": (table, options)}, profile="publication")
    shown = linked.slice("prosecution_decisions", "durham").display()
    shown = shown.set_index("offence_group").loc["all"]

    fine = tl.prosecution_decisions(one_force).set_index("decision")["n"]
    assert fine.sum() >= 150  # enough files that hiding them all served no one
    expected = {"n_files": fine.sum(), "charge__n": fine["charge"],
                "no_further_action__n": fine["no_further_action"],
                "other_decision__n": fine["further_investigation"] + fine["out_of_court"]
                + fine["closed_without_decision"],
                "awaiting__n": fine["awaiting"]}
    published = {column: f"{shown[column]:,}" for column in expected}
    assert published == {column: _round5(n) for column, n in expected.items()}

    protected = linked.slice("prosecution_decisions", "durham")
    cells = protected.display().set_index("offence_group")[timing.DECISION_COUNTS]
    hidden_groups = [g for g in ("rape", "other_sexual") if cells.loc[g].eq("[c]").all()]
    note = timing.decisions_note(protected, one_force)
    assert ("Every figure for rape" in note) == bool(hidden_groups)
    # the view leaves the wholly hidden groups out, and keeps the published total
    view = timing.decisions_view(protected)
    shown = {timing.GROUPS[g] for g in ("all", "rape", "other_sexual") if g not in hidden_groups}
    assert set(view["Offences"]) == shown
    assert len(view) == len(shown) * len(timing.DECISION_POSITIONS)


def test_pooled_decisions_add_up_and_refuse_a_position_left_out(one_force):
    pooled = tl.prosecution_decisions(one_force, groups=tl.DECISION_GROUPS).set_index("decision")
    fine = tl.prosecution_decisions(one_force).set_index("decision")["n"]
    assert list(pooled.index) == list(tl.DECISION_GROUPS)
    assert pooled.loc["other_decision", "n"] == fine["further_investigation"] + \
        fine["out_of_court"] + fine["closed_without_decision"]
    assert pooled["n"].sum() == fine.sum() == pooled["n_files"].iloc[0]
    from soteria_research.errors import ParameterError

    with pytest.raises(ParameterError, match="exactly one group"):
        tl.prosecution_decisions(one_force, groups={"charge": ("charge",)})


def test_force_cohort_panel_says_whether_quarters_are_missing_or_hidden():
    """The left panel said "no quarter with 365 days of follow-up, or every quarter's figure
    is hidden" beside a paragraph describing 11 quarters: it now says which."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from soteria_research.reporting.figures_programme import plot_force_cohorts

    hidden = pd.DataFrame({"periods_since_joining": [-2, -1, 0], "phase": ["before joining"] * 2
                           + ["after joining"], "estimate": [np.nan] * 3,
                           "ci_low": [np.nan] * 3, "ci_high": [np.nan] * 3})
    words = " ".join(t.get_text() for t in plot_force_cohorts(hidden, name="Durham").texts)
    assert "too few cases or charges" in words and "follow-up" not in words
    words = " ".join(t.get_text() for t in plot_force_cohorts(hidden.iloc[0:0]).texts)
    assert "follow-up" in words and "hidden" not in words
    plt.close("all")


def test_largest_loss_is_read_off_the_all_offences_funnel(one_force):
    """Every force report said "which stage loses most cases cannot be shown: some stages are
    hidden" beside a fully published funnel: the rape and other-offence funnels' first rows
    (no previous stage) were read as hidden stages. Nothing is hidden here (the protection is
    the identity), so the message names the stage with the smallest share of the previous
    one, as the six-stage funnel computed here gives it."""
    from types import SimpleNamespace

    from soteria_research.analysis.attrition import funnel
    from soteria_research.reporting import key_messages
    from soteria_research.reporting.computed_tables import compute
    from soteria_research.reporting.figures import label

    report = SimpleNamespace(is_national=False, cases=one_force,
                             table=lambda name: compute(name, one_force),
                             protect=lambda frame, **_: SimpleNamespace(frame=frame))
    stages = funnel(one_force).reset_index(drop=True)
    worst = int(stages["n"].div(stages["n"].shift()).iloc[1:].idxmin())
    message = key_messages.largest_loss(report)
    assert "cannot be shown" not in message
    assert (f"between \"{label(stages.loc[worst - 1, 'stage'])}\" and "
            f"\"{label(stages.loc[worst, 'stage'])}\"") in message


def test_signs_and_p_values_read_as_the_other_sections_print_them():
    """Seen in the screenshots: a difference of "−0.0%" in the comparison table, "joint test
    p = 0.000" and "-2.1 percentage points (-6.4 to +2.1)" with hyphens where every other
    section prints a minus sign."""
    from soteria_research.reporting import programme_section as ps
    from soteria_research.reporting.takeaway import MINUS, format_share

    assert format_share(-0.0004) == "0.0%" and format_share(-0.0006) == f"{MINUS}0.1%"
    national = ps.NationalProgramme(
        pd.DataFrame(), pd.DataFrame({"wave": ["all waves"], "estimate": [-0.021],
                                      "ci_low": [-0.064], "ci_high": [0.021]}),
        text="", roles={"kent": "comparison"}, placebo_p=0.00002)
    words = ps._national_words("Kent", "kent", "expansion_2022", national, national.effects)
    assert f"{MINUS}2.1 percentage points ({MINUS}6.4 to +2.1)" in words
    assert "p < 0.001" in words and "p = 0.000" not in words


@pytest.mark.filterwarnings("error::FutureWarning")
def test_hidden_point_note_is_not_written_over_the_legend():
    """The note "Points not drawn are hidden..." sat at a fixed height and was printed over
    the second row of the event study's legend (seen in a screenshot). One point per phase
    is drawn without pandas' deprecation of float() on a one-row Series (matplotlib calls it
    on what it is given: a later pandas raises)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from soteria_research.reporting.figures_programme import plot_force_before_after

    cohorts = pd.DataFrame({"periods_since_joining": [-1, 0], "phase": ["before joining",
                            "after joining"], "estimate": [0.05, np.nan],
                            "ci_low": [0.03, np.nan], "ci_high": [0.08, np.nan]})
    event = pd.DataFrame({"quarters_since_joining": ["-2", "-1", "0"],
                          "kind": ["placebo", "placebo", "effect"],
                          "estimate": [np.nan, 0.06, -0.01], "ci_low": [np.nan, 0.02, -0.04],
                          "ci_high": [np.nan, 0.10, 0.03], "band_low": [np.nan, 0.0, -0.05],
                          "band_high": [np.nan, 0.12, 0.04]})
    axes = plot_force_before_after(cohorts, event, name="Kent")
    figure = axes[0].figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for ax in axes:
        legend = ax.get_legend().get_window_extent(renderer)
        (note,) = [t for t in ax.texts if t.get_text().startswith("Points not drawn")]
        box = note.get_window_extent(renderer)
        assert box.y1 <= legend.y0 + 1, (box, legend)  # below the legend, not across it
    plt.close("all")


def test_time_to_outcome_note_does_not_give_away_a_case_date():
    """City of London's caption read "followed for at least 859 days": the extract date less
    the day its last case of 2021/22 was recorded. The note now counts from the end of the
    financial year (31 March 2022 to the extract, 31 March 2024: 731 days), whatever the
    cases' own dates."""
    from soteria_research.analysis.cohorts import cohort_incidence
    from soteria_research.data.synthetic import generate_cases

    cases = generate_cases(forces=["city_of_london"], scale=0.1, seed=3)
    in_year = cases[cases["recorded_date"].between("2021-04-01", "2022-03-31")]
    assert in_year["recorded_date"].max() < pd.Timestamp("2022-03-01")  # an early last case
    note = cohort_incidence(cases, times=[30], cohorts=["2021/22"],
                            extract_date="2024-03-31").attrs["note"]
    assert "followed for at least 731 days" in note


def test_hidden_panels_say_hidden_rather_than_draw_an_empty_axis():
    """City of London: the rape and other-offence funnels were an axis of 0 to 1.2 cases
    under a column of [c], and the trend figure said "no full year of follow-up, or every
    figure hidden" beside four years of [c]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from soteria_research.reporting.figures_breakdowns import (
        plot_funnel_by_offence,
        plot_trend_panels,
    )

    stages = ["recorded", "suspect_identified", "charged"]
    funnel = pd.DataFrame({"offence_group": ["all"] * 3 + ["rape"] * 3,
                           "stage": stages * 2, "n": [15, np.nan, np.nan] + [np.nan] * 3,
                           "share_of_recorded": [1.0, np.nan, np.nan] + [np.nan] * 3})
    first, rape = plot_funnel_by_offence(funnel)
    assert len(first.get_xticks()) > 0 and len(rape.get_xticks()) == 0
    assert any("Every stage hidden" in t.get_text() for t in rape.texts)
    trends = pd.DataFrame({"cohort": ["2019/20", "2020/21"], "outcome": ["charge"] * 2,
                           "estimate": [np.nan] * 2, "ci_low": [np.nan] * 2,
                           "ci_high": [np.nan] * 2})
    words = " ".join(t.get_text() for t in plot_trend_panels(trends)[0].texts)
    assert "hidden by disclosure control" in words and "follow-up" not in words
    words = " ".join(t.get_text() for t in plot_trend_panels(trends.iloc[0:0])[0].texts)
    assert "follow-up" in words and "hidden" not in words
    plt.close("all")


@pytest.mark.parametrize("years", [2, 5, 10])
def test_trend_panels_year_labels_do_not_overlap(years):
    """A ten-year export's trend panels printed '2014/152015/162016/17...' as one run of text
    (seen in a screenshot of a Durham report from ten years of data)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from soteria_research.reporting.figures_breakdowns import plot_trend_panels

    cohorts = [f"{2014 + i}/{(15 + i) % 100:02d}" for i in range(years)]
    trends = pd.DataFrame({"cohort": cohorts, "outcome": "charge", "estimate": 0.04,
                           "ci_low": 0.03, "ci_high": 0.05})
    axes = plot_trend_panels(trends, labels={cohorts[-1]: f"{cohorts[-1]} (part)"})
    figure = axes[0].figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for ax in axes:
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        assert len(boxes) == years
        for left, right in zip(boxes, boxes[1:]):
            assert not left.overlaps(right), (years, left, right)
    plt.close("all")


def test_a_curve_of_one_step_is_drawn_as_a_point():
    """A one-month Lancashire report's charge curve, coarsened to its one step at day 365,
    drew nothing: the legend named a curve no one could see."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from soteria_research.reporting.figures import plot_cumulative_incidence

    curve = pd.DataFrame({"outcome": ["charge"] + ["victim_withdrawal"] * 3,
                          "time": [365, 30, 90, 365], "cif": [0.038, 0.25, 0.33, 0.37]})
    lines = {line.get_label(): line for line in plot_cumulative_incidence(curve).get_lines()}
    one = next(line for name, line in lines.items() if name.startswith("Charged"))
    assert one.get_marker() == "o" and list(one.get_xdata()) == [365]
    several = next(line for name, line in lines.items() if name.startswith("Victim"))
    assert several.get_marker() in (None, "None", "")
    plt.close("all")


def test_force_funnel_axis_reads_as_plain_numbers_and_names_its_outcome():
    """The national overview's two funnels had the same title and an x axis of 10^0, 10^1,
    10^2 (seen in a screenshot)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from soteria_research.analysis.comparison import ratio_funnel
    from soteria_research.reporting.figures import plot_force_funnel

    effects = pd.DataFrame({"force": list("abcd"), "observed": [2, 40, 30, 95],
                            "expected": [1.5, 45.0, 28.0, 94.0]})
    funnel = ratio_funnel(effects)
    ax = plot_force_funnel(funnel.points, funnel.limits, method=funnel.method,
                           outcome="victim withdrew within a year")
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and not any("^" in t or "$" in t for t in ticks), ticks
    assert {"10", "100"} <= set(ticks)
    assert ax.get_title().endswith("victim withdrew within a year")
    plt.close("all")


def test_driver_factors_are_named_as_the_data_dictionary_names_them():
    """The drivers' figure and table read "relationship: partner ex partner", "victim age band:
    18 24" and "offence group: other sexual" beside a "Compared with" column in plain words."""
    from soteria_research.reporting.figures import term_label

    assert term_label("relationship[T.partner_ex_partner]") == \
        "relationship: partner or ex-partner"
    assert term_label("victim_age_band[T.18_24]") == "victim age band: 18 to 24"
    assert term_label("relationship[T.stranger]") == "relationship: stranger"
    assert term_label("C(offence_group)[T.other_sexual]").startswith(
        "offence group: other sexual offence")
    assert term_label("device_requested") == "device requested"


def test_benchmark_caption_does_not_repeat_the_cohort_sentence():
    """A force-only report's headline caption said "Outcome shares count cases recorded up to
    2023-04-01 (...)" and then "There: Outcome shares count cases recorded up to 2023-04-01
    (...)" again (seen in a screenshot); the file's cohorts are said only when they differ."""
    from types import SimpleNamespace

    from soteria_research.reporting.benchmarks import ForceOnly

    mine = "Outcome shares count cases recorded up to 2023-04-01, each followed for 365 days."
    other = "Outcome shares count cases recorded up to 2022-04-01, each followed for 365 days."
    context = SimpleNamespace(name="Durham", force="durham", headline_cohorts=lambda: mine)

    def doc(cohorts):
        return {"data": {"name": "cases.csv"}, "disclosure": {"profile": "publication"},
                "peer_groups": {}, "period": {"start": None, "end": None,
                                              "extract_date": "2024-03-31", "cohorts": cohorts}}

    assert mine not in ForceOnly(context, doc(mine)).sentence()
    differs = ForceOnly(context, doc(other)).sentence()
    assert f"The file's figures: {other}" in differs
    assert differs.count(other) == 1 and "not the same recording days" in differs


def test_peer_table_of_a_force_alone_says_why_instead_of_listing_the_force():
    """A force-only report's "most similar forces" table held one row: the force itself."""
    from types import SimpleNamespace

    from soteria_research.reporting.sections_breakdowns import peer_outcomes

    report = SimpleNamespace(
        is_national=False, force="durham", name="Durham",
        force_only=SimpleNamespace(peers=lambda: ["cumbria"]),
        force_names={"durham": "Durham", "cumbria": "Cumbria"},
        disclosure=SimpleNamespace(linked=SimpleNamespace(names=["headline"])),
        artefact=lambda name: pd.DataFrame(columns=["force", "peer", "rank", "similarity"]))
    table = peer_outcomes(report)
    assert list(table.columns) == ["Most similar forces"] and len(table) == 1
    assert "Durham's cases alone" in table.iloc[0, 0]
    assert "benchmark file (Cumbria)" in table.iloc[0, 0]


def test_key_messages_compare_a_force_alone_with_its_benchmark_file():
    """A force-only report with a benchmark file had no "against other forces" message: its
    comparison rows are named "England and Wales (benchmark file)"."""
    from types import SimpleNamespace

    from soteria_research.reporting import key_messages as km

    headline = pd.DataFrame({"measure": ["charged_within"], "label": ["Charged"],
                             "estimate": [0.053]})
    differences = pd.DataFrame({
        "measure": ["Charged"], "comparator": ["England and Wales (benchmark file)"],
        "force_share": [0.053], "comparator_share": [0.042], "difference": [0.011],
        "ci_low": [0.002], "ci_high": [0.020]})
    report = SimpleNamespace(name="Durham", protected_headline=lambda: headline,
                             differences=lambda: differences)
    text = km.charge_against_others(report)
    assert text and "1.1 percentage points higher than England and Wales as the benchmark" in text
    assert "(95% interval 0.2 to 2.0 points)" in text


def test_hidden_charge_share_is_not_blamed_on_too_few_cases():
    """Cumbria, 1,110 crimes, read "too few cases to show it safely": its share was hidden to
    protect City of London's counts (secondary suppression), not for its own size."""
    from types import SimpleNamespace

    import numpy as np

    from soteria_research.reporting import key_messages as km

    headline = pd.DataFrame({"measure": ["recorded", "charged_within"], "label": ["", ""],
                             "count": [1110, np.nan], "estimate": [np.nan, np.nan]})
    text = km.charge_share(SimpleNamespace(name="Cumbria", protected_headline=lambda: headline))
    assert "too few cases" not in text and "another figure" in text


@pytest.mark.parametrize(("start", "end", "words"), [
    ("2021-04-01", "2023-03-31", "Crimes recorded: <strong>2021-04-01 to 2023-03-31</strong>"),
    ("", "", "Crimes recorded: <strong>all crimes recorded in the extract</strong>"),
])
def test_the_index_names_the_period_its_counts_cover(tmp_path, start, end, words):
    """An analyst's run of two financial years out of five printed its index's crimes
    recorded with no period (a warehouse export of Durham, --period-start 2021-04-01)."""
    from soteria_research.reporting.html import render_index

    record = {"run": "r", "reports": [], "parameters": {"period_start": start,
                                                         "period_end": end,
                                                         "disclosure": "publication"}}
    html = render_index(tmp_path, record, names={})
    assert words in html
