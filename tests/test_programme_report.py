"""The reports' "Before and after joining Soteria" section (``reporting/programme_section.py``):
its numbers against the evaluation functions and against counts made here by hand, its
paragraph in the cases a reader meets (no period after joining, a short recent period, one
force's own export), and that it renders for a large force, a small force, City of London and
the national overview."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from report_fixtures import kernel_for_tests  # noqa: E402

from soteria_research.analysis.evaluation import cohort_outcomes, staggered_did  # noqa: E402
from soteria_research.data.synthetic import generate_cases  # noqa: E402
from soteria_research.reporting import figures_programme  # noqa: E402
from soteria_research.reporting import programme_section as ps  # noqa: E402
from soteria_research.reporting.national import open_report  # noqa: E402
from soteria_research.reporting.parameters import ReportParameters  # noqa: E402

FORCES = ["kent", "durham", "cumbria", "city_of_london"]
#: Start dates of data_dictionaries/forces.csv, written out here rather than read from it.
STARTS = {"kent": "2022-10-01", "durham": "2022-01-01", "cumbria": "2023-07-01",
          "city_of_london": "2023-07-01", "avon_and_somerset": "2021-07-01",
          "dorset": "2022-10-01", "essex": "2023-07-01"}


@pytest.fixture(scope="module")
def case_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("programme") / "cases.csv"
    generate_cases(forces=FORCES, scale=0.1, seed=7).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def shared(tmp_path_factory, case_file):
    """The run's national work, done once (as the runner does) for every report below."""
    folder = tmp_path_factory.mktemp("shared")
    open_report(ReportParameters.validate(force="national", data=str(case_file),
                                          shared=str(folder), seed=4))
    return folder


def _report(case_file, shared, force, **extra):
    return open_report(ReportParameters.validate(force=force, data=str(case_file),
                                                 shared=str(shared), seed=4, **extra))


def _by_hand(cases: pd.DataFrame, force: str, extract: pd.Timestamp) -> pd.DataFrame:
    """Charged within 365 days among cases of complete quarters, by hand: a quarter counts when
    its last day is 365 days or more before the extract, and it ends by the last financial
    year (to 31 March) so followed; a case transferred to another body within the 365 days is
    left out (censored, as in the headline's shares and the Trends section's years)."""
    mine = cases[cases["force"].eq(force)].copy()
    quarter = mine["recorded_date"].dt.to_period("Q")
    complete = quarter.map(lambda q: q.end_time.normalize() + pd.Timedelta(days=365) <= extract)
    year_end = pd.Timestamp(year=extract.year, month=3, day=31)
    while year_end + pd.Timedelta(days=365) > extract:
        year_end = pd.Timestamp(year=year_end.year - 1, month=3, day=31)
    days = (mine["outcome_date"] - mine["recorded_date"]).dt.days
    within = days.le(365) & mine["outcome_date"].le(extract)
    transferred = mine["outcome_group"].eq("transferred") & within
    kept = complete & mine["recorded_date"].le(year_end) & ~transferred
    officer = mine["officer_id"].astype(object)
    alone = officer.isna()  # a case with no officer is a cluster of its own
    officer[alone] = [f"alone-{i}" for i in range(int(alone.sum()))]
    return pd.DataFrame({"quarter": quarter[kept].astype(str),
                         "after": mine.loc[kept, "recorded_date"].ge(pd.Timestamp(STARTS[force])),
                         "charged": (mine["outcome_group"].eq("charge") & within)[kept],
                         "officer": officer[kept]})


def _design_effect(charged: pd.Series, officer: pd.Series) -> float:
    """The share's variance when one officer's cases are alike (statsmodels' cluster-robust
    variance of an intercept-only least-squares fit) over the binomial variance, floored at 1."""
    import statsmodels.api as sm

    y = charged.astype(float).to_numpy()
    groups = pd.factorize(officer)[0]
    fit = sm.OLS(y, np.ones((len(y), 1))).fit(cov_type="cluster", cov_kwds={"groups": groups})
    p = y.mean()
    return max(1.0, float(fit.bse[0] ** 2) / (p * (1 - p) / len(y)))


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def staggered_cases():
    forces = ["avon_and_somerset", "durham", "kent", "dorset", "cumbria", "essex"]
    return generate_cases(forces=forces, scale=0.05, seed=2)


def test_national_numbers_are_those_of_staggered_did(staggered_cases):
    section = ps.national_programme(staggered_cases, seed=3)
    # the financial years followed (as the trend table's), transfers within the year left out
    direct = staggered_did(ps.followed_years(staggered_cases), outcome="charge", within_days=365,
                           freq="Q", n_boot=ps.N_BOOT, seed=3, censor_transfers=True)
    assert section.ok
    columns = ["periods_since_joining", "estimate", "ci_low", "ci_high", "band_low", "band_high"]
    pd.testing.assert_frame_equal(section.event_study[columns], direct.event_study[columns])
    assert section.effects["wave"].tolist() == ["all waves", *direct.by_wave["wave"]]
    head = direct.overall[direct.overall["aggregation"].eq("group")].iloc[0]
    np.testing.assert_allclose(section.effects.iloc[0][["estimate", "ci_low", "ci_high"]]
                               .astype(float), head[["estimate", "ci_low", "ci_high"]].astype(float))
    np.testing.assert_allclose(section.effects.iloc[1:][["estimate", "ci_low", "ci_high"]],
                               direct.by_wave[["estimate", "ci_low", "ci_high"]])
    assert section.text == direct.text


def test_event_study_rows_carry_the_joining_forces_cohort_counts(staggered_cases):
    """At quarter 0 the estimate rests on the joining quarter of every force that joined by the
    last complete quarter (2023Q1 here) after a quarter before joining: counted by hand."""
    section = ps.national_programme(staggered_cases, seed=3)
    extract = staggered_cases["extract_date"].max()
    joined = [f for f in STARTS if f in set(staggered_cases["force"])
              and pd.Period(STARTS[f], "Q").end_time + pd.Timedelta(days=365) <= extract]
    assert sorted(joined) == ["avon_and_somerset", "dorset", "durham", "kent"]
    n_cases = n_events = 0
    for force in joined:
        table = _by_hand(staggered_cases, force, extract)
        first = table[table["quarter"].eq(str(pd.Period(STARTS[force], "Q")))]
        n_cases, n_events = n_cases + len(first), n_events + int(first["charged"].sum())
    row = section.event_study.set_index("periods_since_joining").loc[0]
    assert (row["n"], row["n_events"]) == (n_cases, n_events)
    assert section.roles["cumbria"] == "comparison" and section.roles["kent"] == "estimated"


def test_force_section_equals_cohort_outcomes_and_a_count_by_hand(case_file, shared):
    # Kent: none of its years is hidden in the run's trends (Durham's are: next test)
    report = _report(case_file, shared, "kent")
    section = ps.force_section(report)
    direct = cohort_outcomes(ps.followed_years(report.cases), within_days=365, freq="Q",
                             outcomes="charge", medians=False, censor_transfers=True)
    numbers = ["n", "n_cohort", "estimate"]
    raw = section.raw_cohorts
    assert raw["cohort"].tolist() == direct["cohort"].tolist()
    np.testing.assert_allclose(raw[numbers].to_numpy(float), direct[numbers].to_numpy(float))
    shown = section.cohorts.frame  # published: hidden cells NaN, the rest unchanged
    visible = shown["estimate"].notna()
    np.testing.assert_allclose(shown.loc[visible, "estimate"], direct.loc[visible, "estimate"])
    table = _by_hand(report.cases, "kent", report.cases["extract_date"].max())
    # each quarter's interval allows for one officer's cases being alike: a Wilson interval
    # at the effective sample size, the design effect computed here with statsmodels
    for row in raw.itertuples(index=False):
        part = table[table["quarter"].eq(row.cohort)]
        d = _design_effect(part["charged"], part["officer"])
        assert (row.ci_low, row.ci_high) == pytest.approx(_wilson(row.n / d, row.n_cohort / d))
    assert raw["design_effect"].gt(1.0).any()  # officers' cases are alike in this world
    pooled = section.pooled.frame.set_index("phase")
    effects = {}
    for phase, after in (("before joining", False), ("after joining", True)):
        part = table[table["after"].eq(after)]
        k, n = int(part["charged"].sum()), len(part)
        assert k >= 10  # published, rounded to base 5 (publication profile)
        assert (pooled.loc[phase, "n"], pooled.loc[phase, "n_cohort"]) == (5 * round(k / 5),
                                                                            5 * round(n / 5))
        # the share and its interval as published: from the rounded counts (so they do not
        # undo the rounding beside them), at the phase's design effect (an officer's cases
        # span quarters, so it is the phase's own, not the quarters')
        k5, n5 = 5 * round(k / 5), 5 * round(n / 5)
        d = effects[phase] = _design_effect(part["charged"], part["officer"])
        assert pooled.loc[phase, "estimate"] == pytest.approx(k5 / n5)
        assert pooled.loc[phase, ["ci_low", "ci_high"]].tolist() == pytest.approx(
            _wilson(k5 / d, n5 / d))
        assert "design_effect" not in pooled.columns  # used, never published
    assert max(effects.values()) > 1.0
    before, after = (table[table["after"].eq(a)]["charged"].mean() for a in (False, True))
    assert section.difference["estimate"] == pytest.approx(after - before)
    assert section.difference["ci_low"] < after - before < section.difference["ci_high"]
    # wider than the difference of two samples of independent cases
    from statsmodels.stats.proportion import confint_proportions_2indep

    parts = [table[table["after"].eq(a)]["charged"] for a in (True, False)]
    plain = confint_proportions_2indep(parts[0].sum(), len(parts[0]), parts[1].sum(),
                                       len(parts[1]), method="newcomb", compare="diff")
    assert section.difference["ci_high"] - section.difference["ci_low"] > plain[1] - plain[0]
    assert f"{100 * (after - before):+.1f} percentage points" in section.text
    assert "no comparison group" in section.text


def test_before_and_after_hide_the_sum_of_years_the_trends_hide(case_file, shared):
    """Before and after together are the trend table's years together. Durham's charges
    within a year are hidden in some years of the run's trends (to protect City of London's),
    so their sum over the years is hidden here too, with the shares; its cases, none hidden in
    the trends, are published (rounded)."""
    report = _report(case_file, shared, "durham")
    trends = report.disclosure.linked.slice("cohort_trends", "durham")
    hidden = trends.frame.loc[trends.mask["n"].to_numpy(), "outcome"]
    assert "charge" in set(hidden) and "all" not in set(hidden)
    section = ps.force_section(report)
    pooled = section.pooled.frame.set_index("phase")
    table = _by_hand(report.cases, "durham", report.cases["extract_date"].max())
    for phase, after in (("before joining", False), ("after joining", True)):
        n = len(table[table["after"].eq(after)])
        assert pooled.loc[phase, "n_cohort"] == 5 * round(n / 5)
        assert pooled.loc[phase, ["n", "estimate", "ci_low", "ci_high"]].isna().all()
    assert section.difference == {}


def test_the_national_estimate_is_computed_once_per_run_and_read_by_every_report(case_file,
                                                                                   shared):
    saved = ps.load_national_programme(shared)
    assert saved is not None and saved.ok
    report = _report(case_file, shared, "kent")
    assert ps.programme_for(report).event_study.equals(saved.event_study)
    again = ps.national_programme(report.national_cases, seed=4)
    np.testing.assert_allclose(again.effects["estimate"], saved.effects["estimate"])


def test_event_study_rows_on_few_cases_are_hidden_and_counts_rounded(case_file, shared):
    report = _report(case_file, shared, "national")
    rows = dict(kind=["placebo", "effect", "effect"], estimate=[0.01, 0.20, 0.02],
                se=[0.01] * 3, ci_low=[-0.01, 0.1, 0.0], ci_high=[0.03, 0.3, 0.04],
                band_low=[-0.02, 0.0, -0.01], band_high=[0.04, 0.4, 0.05], n_forces=[3, 1, 3],
                n_waves=[2, 1, 2])
    event = pd.DataFrame({"periods_since_joining": [-1, 0, 1], **rows,
                          "n": [400, 6, 402], "n_events": [30, 2, 31]})
    effects = pd.DataFrame({"wave": ["all waves", "pilot_2021"], "first_period": ["", "2021Q3"],
                            "estimate": [0.02, 0.2], "se": [0.01, 0.1], "ci_low": [0.0, 0.0],
                            "ci_high": [0.04, 0.4], "n_forces": [3, 1], "n": [808, 7],
                            "n_events": [61, 3]})
    result = ps.NationalProgramme(event, effects, text="", df_resid=800)
    event_shown, effects_shown = ps.protect_national(report, result)
    frame = event_shown.frame
    assert frame.loc[1, ["estimate", "ci_low", "ci_high", "n", "n_events"]].isna().all()
    assert frame.loc[[0, 2], "n"].tolist() == [400, 400]  # rounded to base 5
    assert frame["quarters_since_joining"].tolist() == ["-1", "0", "1"]  # never hidden
    assert effects_shown.frame.loc[1, ["estimate", "n"]].isna().all()
    assert effects_shown.frame.loc[0, "estimate"] == pytest.approx(0.02)


@pytest.mark.parametrize("force", ["kent", "durham"])
def test_a_hidden_quarter_cannot_be_recovered_from_its_year_or_phase(case_file, shared, force):
    """The Trends section publishes financial-year cohorts and this section the pooled
    before/after shares: within each, a quarter is never the only one hidden."""
    frame = ps.force_section(_report(case_file, shared, force)).cohorts.frame
    assert frame["n"].isna().any()  # small data: some quarters are hidden
    for key in ("financial_year", "phase"):
        hidden = frame["n"].isna().groupby(frame[key]).sum()
        assert not hidden.eq(1).any(), (key, hidden)


# --------------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------------
def test_paragraph_of_a_force_with_no_period_after_joining(case_file, shared):
    """Cumbria joined in July 2023; the last quarter followed for a year is 2023Q1."""
    section = ps.force_section(_report(case_file, shared, "cumbria"))
    assert "no cases recorded after joining can be judged yet" in section.text
    assert "cannot say whether outcomes changed" in section.text
    assert "a difference of" not in section.text
    assert "serves only as a comparison" in section.text
    assert section.difference == {}


def test_paragraph_when_no_quarter_has_full_follow_up():
    text = ps.force_paragraph(
        name="Kent", force="kent", start=pd.Timestamp("2022-10-01"), wave="expansion_2022",
        cohorts=pd.DataFrame(columns=["cohort", "phase", "estimate"]),
        pooled=pd.DataFrame(columns=["phase", "n", "n_cohort", "estimate"]), difference={},
        national=ps._empty_national("No cohort has had 365 days of follow-up."),
        national_effects=pd.DataFrame(), extract_date=pd.Timestamp("2024-03-31"))
    assert "too short or too recent" in text
    assert "could not be estimated from these data: No cohort" in text
    assert "percentage points" not in text


def test_paragraph_never_quotes_a_hidden_share(case_file, shared):
    section = ps.force_section(_report(case_file, shared, "city_of_london"))
    assert section.pooled.frame["estimate"].isna().all()
    assert "too few cases to publish" in section.text
    assert "%" not in section.text.split("The design that can speak")[0]


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------
def _render(report) -> str:
    if report.is_national:
        section = ps.national_section(report)
        figures_programme.plot_programme_event_study(section.event_study.frame,
                                                     message=section.national.error)
        html = report.show(section.effects, columns=ps.EFFECT_COLUMNS,
                           percent=["estimate", "ci_low", "ci_high"]).to_html()
        html += report.show(section.event_study, columns=ps.EVENT_COLUMNS,
                            percent=["estimate", "ci_low", "ci_high"]).to_html()
    else:
        section = ps.force_section(report)
        figures_programme.plot_force_before_after(section.cohorts.frame,
                                                  section.event_study.frame, name=report.name,
                                                  message=section.national.error)
        html = report.show(section.pooled, columns=ps.COHORT_COLUMNS,
                           percent=["estimate", "ci_low", "ci_high"]).to_html()
    plt.close("all")
    assert section.text
    return section.text + html


@pytest.mark.parametrize("force", ["kent", "durham", "city_of_london", "national"])
def test_section_renders_for_large_small_and_tiny_forces_and_nationally(case_file, shared,
                                                                          force):
    text = _render(_report(case_file, shared, force))
    if force == "national":
        assert "Callaway & Sant'Anna" in text and "difference of shares" in text
        # the evaluation's paragraph with names, not codes (seen in a screenshot)
        paragraph = text.split("<")[0]
        assert not any(code in paragraph for code in [*ps.WAVE_LABELS, *FORCES]), paragraph
        assert "p = 0.000" not in paragraph
    else:
        assert "joined Operation Soteria on" in text


@pytest.mark.slow
def test_short_recent_period_renders_a_sentence_in_the_notebook(case_file, tmp_path):
    """A report period with no quarter followed for a year: the whole force notebook runs, and
    the section says why it has nothing to show (the national design cannot run either)."""
    import papermill as pm

    from soteria_research.settings import NOTEBOOK_DIR

    short = tmp_path / "shared"
    national = _report(case_file, short, "national", period_start="2023-06-01")
    assert not ps.programme_for(national).ok
    assert "could not be estimated" in _render(national)
    out = tmp_path / "kent.ipynb"
    pm.execute_notebook(str(NOTEBOOK_DIR / "force_deep_dive.ipynb"), str(out),
                        parameters=dict(force="kent", data=str(case_file), shared=str(short),
                                        period_start="2023-06-01", seed=4),
                        kernel_name=kernel_for_tests(tmp_path / "kernel"), progress_bar=False,
                        cwd=str(tmp_path), execution_timeout=300)
    executed = nbformat.read(out, as_version=4)
    text = "".join(str(o.get("data", {}).get("text/markdown", "")) + o.get("text", "")
                   for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "too short or too recent for this section" in text


def test_one_force_export_renders_a_sentence(tmp_path):
    """A force analyst's own export: one force, so no staggered comparison is possible."""
    path = tmp_path / "durham.csv"
    generate_cases(forces=["durham"], scale=0.1, seed=3).to_csv(path, index=False)
    report = open_report(ReportParameters.validate(force="durham", data=str(path),
                                                   shared=str(tmp_path / "shared")))
    text = _render(report)
    assert "could not be estimated from these data" in text
    assert "Durham joined Operation Soteria on 1 January 2022" in text
    # one force "joined in the same period" as itself: true, and no help to a reader (seen in
    # a screenshot); the reason is that the data hold one force
    assert "same period" not in text
    assert "the data hold Durham's cases alone" in text
    axes = figures_programme.plot_force_before_after(
        ps.force_section(report).cohorts.frame, pd.DataFrame(), name="Durham",
        message=ps.force_section(report).national.error)
    words = " ".join(t.get_text() for t in axes[1].texts)
    assert "Durham's cases alone" in words and "`" not in words
    assert max(map(len, words.split("\n"))) <= 48  # wrapped to its panel
    plt.close("all")


def test_paragraph_passes_on_a_failed_national_placebo_check():
    national = ps.NationalProgramme(
        pd.DataFrame(), pd.DataFrame({"wave": ["all waves"], "estimate": [0.01],
                                      "ci_low": [-0.01], "ci_high": [0.03]}),
        text="", roles={"kent": "estimated"}, placebo_p=0.004)
    words = ps._national_words("Kent", "kent", "expansion_2022", national, national.effects)
    assert "+1.0 percentage points (\u22121.0 to +3.0)" in words
    assert "p = 0.004" in words and "not reliable" in words
    assert "the estimate rests on too few cases to publish" in words  # no wave row published
