"""The synthetic world shows what it should: published volumes, the 2020 dip, forces that differ,
a programme that starts when forces.csv says, device requests while a case is open, people whose
cases are alike, realistic ages; every effect switched off is exactly null; the truth's
probabilities are what the data show."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from soteria_research.data.dictionary import load_dictionary
from soteria_research.data.synthetic import (
    CAUSES,
    SyntheticConfig,
    ground_truth,
    simulate,
)

#: ONS police recorded crime, England and Wales, per financial year: rape, all sexual offences.
PUBLISHED_RAPE = {2019: 59_104, 2020: 55_000, 2021: 70_330, 2022: 70_000, 2023: 68_000}
PUBLISHED_ALL_SEXUAL = {2019: 163_244, 2021: 194_683}
SCALE = 0.05
ONE_YEAR = dict(start="2021-04-01", end="2022-03-31")


@pytest.fixture(scope="module")
def national():
    """Every force, five years, 5% of national volume (about 45,000 cases)."""
    return simulate(scale=SCALE, seed=5)


def _financial_year(dates: pd.Series) -> pd.Series:
    return dates.dt.year - (dates.dt.month < 4)


# -- volumes over time ------------------------------------------------------------------------
def test_yearly_totals_follow_the_published_series(national):
    cases = national.cases
    year = _financial_year(cases["recorded_date"])
    rapes = year[cases["offence_group"] == "rape"].value_counts() / SCALE
    for fy, published in PUBLISHED_RAPE.items():
        assert abs(rapes[fy] / published - 1) < 0.10, (fy, rapes[fy], published)
    everything = year.value_counts() / SCALE
    for fy, published in PUBLISHED_ALL_SEXUAL.items():
        assert abs(everything[fy] / published - 1) < 0.10, (fy, everything[fy], published)
    # The series rose: 2021/22 well above 2019/20, as published (+19% rape).
    assert rapes[2021] > 1.1 * rapes[2019]


def test_spring_2020_lockdown_dip_and_a_summer_peak(national):
    daily = national.cases.groupby("recorded_date").size()
    daily = daily.reindex(pd.date_range("2019-04-01", "2024-03-31"), fill_value=0)

    def mean(first, last):
        return daily[first:last].mean()

    dip = mean("2020-04-01", "2020-06-30")
    assert dip < 0.85 * mean("2019-04-01", "2019-06-30")
    assert dip < 0.85 * mean("2020-07-01", "2021-03-31")
    assert dip < 0.75 * mean("2021-04-01", "2021-06-30")
    summer = daily[daily.index.month.isin([6, 7, 8]) & (daily.index.year != 2020)].mean()
    winter = daily[daily.index.month.isin([12, 1, 2])].mean()
    assert summer > 1.08 * winter


def test_forces_grow_at_different_rates(national):
    cases = national.cases
    table = pd.crosstab(cases["force"], _financial_year(cases["recorded_date"]))
    chi2, _, dof, _ = stats.chi2_contingency(table)
    assert chi2 > 1.5 * dof  # each force's share of the national total drifts, at its own rate
    growth = national.forces.set_index("force")["growth_per_year"]
    share_change = np.log((table[2023] + 1) / table[2023].sum()) - np.log((table[2019] + 1) / table[2019].sum())
    big = table.sum(axis=1) > 1000
    assert stats.spearmanr(growth[big.index[big]], share_change[big]).statistic > 0.7


# -- forces differ ----------------------------------------------------------------------------------
def _partner(cases: pd.DataFrame) -> pd.Series:
    return cases["relationship"] == "partner_ex_partner"


@pytest.mark.parametrize("item, flag, within", [
    ("rape_share", lambda c: c["offence_group"] == "rape", None),
    ("domestic_abuse", lambda c: c["domestic_abuse"], _partner),  # a recording practice
    ("partner", _partner, None),
    ("child_victim", lambda c: c["victim_age"].lt(18).fillna(False), None),
    ("non_recent", lambda c: (c["report_date"] - c["offence_start_date"]).dt.days >= 365, None),
])
def test_forces_differ_in_case_mix_far_beyond_chance(national, item, flag, within):
    cases = national.cases
    table = pd.crosstab(cases["force"], flag(cases).astype(bool))
    chi2, _, dof, _ = stats.chi2_contingency(table)
    assert dof == 42 and chi2 > 5 * dof, chi2
    # ...in the direction of each force's known shift (for the flag, among like cases).
    like = cases if within is None else cases[within(cases)]
    table = pd.crosstab(like["force"], flag(like).astype(bool))
    share = table[True] / table.sum(axis=1)
    shift = national.forces.set_index("force")[f"mix_{item}"]
    big = table.sum(axis=1) >= (500 if within is None else 150)
    assert stats.spearmanr(shift[big.index[big]], share[big]).statistic > 0.6


def test_national_mix_stays_calibrated_while_forces_differ(national):
    rape = national.cases[national.cases["offence_group"] == "rape"]
    assert 0.28 <= (rape["relationship"] == "partner_ex_partner").mean() <= 0.38
    assert 0.30 <= rape["domestic_abuse"].mean() <= 0.37


# -- the programme --------------------------------------------------------------------------------------
def test_forces_csv_dates_the_programme_as_published():
    forces = load_dictionary().forces.set_index("code")
    start = pd.to_datetime(forces["soteria_start"], format="ISO8601")
    assert start.notna().all() and forces["soteria_start_basis"].str.len().gt(20).all()
    assert start["avon_and_somerset"].year == 2021  # the pilot
    for force in ("metropolitan", "durham", "west_midlands", "south_wales"):  # pathfinders 2021-22
        assert pd.Timestamp("2021-01-01") <= start[force] <= pd.Timestamp("2022-12-31")
    expansion = forces.index[forces["soteria_wave"] == "expansion_2022"]
    assert 11 <= len(expansion) <= 14 and (start[expansion] >= pd.Timestamp("2022-10-01")).all()
    assert (start <= pd.Timestamp("2023-07-31")).all()  # all on the National Operating Model


@pytest.fixture(scope="module")
def truth():
    """Monte Carlo truth of a small world: three forces of different waves, four years."""
    return ground_truth(forces=["avon_and_somerset", "durham", "cumbria"], start="2020-04-01",
                        end="2024-03-31", scale=1.0, seed=3)


def test_programme_effect_truth_follows_the_calendar_rule(truth):
    effect = truth.programme_effect
    charge = effect[(effect["outcome"] == "charge") & effect["force"].isin(["avon_and_somerset", "durham"])
                    & (effect["period"] != "after_start")]
    # A case recorded more than a year before the start cannot be touched within 365 days.
    early = charge[charge["quarters_since_start"] <= -5]
    assert len(early) > 0 and (early["difference"] == 0).all()
    # Open cases recorded shortly before the start are touched (calendar rule)...
    just_before = charge[charge["quarters_since_start"].between(-2, -1)]
    assert (just_before["difference"] > 0).all()
    # ...and after the start the programme raises charging clearly.
    after = effect.query("force == 'treated' and period == 'after_start' and outcome == 'charge'").iloc[0]
    assert after["difference"] > 4 * after["mc_se"] and after["ratio"] > 1.2


def test_the_recorded_rule_touches_only_cases_recorded_after_the_start():
    config = SyntheticConfig(programme_rule="recorded", programme_ramp_days=0)
    effect = ground_truth(config, forces=["durham"], start="2021-01-01", end="2022-12-31", scale=1.0,
                          seed=4).programme_effect
    rows = effect[(effect["force"] == "durham") & (effect["period"] != "after_start")]
    assert (rows.loc[rows["quarters_since_start"] < 0, "difference"] == 0).all()
    assert (rows.loc[(rows["quarters_since_start"] >= 0) & (rows["outcome"] == "charge"), "difference"] > 0).all()


def test_programme_off_is_exactly_null_and_equals_never_starting():
    off = SyntheticConfig().counterfactual(programme=False)
    never = SyntheticConfig().counterfactual(soteria_start={f: None for f in ("durham", "cumbria")})
    world = dict(forces=["durham", "cumbria"], seed=8, scale=0.5, complete_follow_up=True, **ONE_YEAR)
    a, b = simulate(config=off, **world), simulate(config=never, **world)
    pd.testing.assert_frame_equal(a.latent.drop(columns="programme_time"), b.latent.drop(columns="programme_time"))
    effect = ground_truth(off, forces=["durham"], scale=0.5, seed=1, **ONE_YEAR).programme_effect
    assert (effect["difference"] == 0).all() and (effect["mc_se"] == 0).all()
    assert (ground_truth(off).programme["log_hr"] == 0).all()


# -- time-varying events ---------------------------------------------------------------------------
def test_device_requests_happen_only_while_the_case_is_open(national):
    latent = national.latent
    made = latent["device_time"] < latent["latent_time"]
    assert 0.3 < made.mean() < 0.6
    assert (latent.loc[made, "device_time"] > 0).all()
    cases = national.cases
    requested = cases["device_requested_date"].notna()
    assert (cases.loc[requested, "device_requested_date"] >= cases.loc[requested, "recorded_date"]).all()
    closed = requested & cases["outcome_date"].notna()
    assert (cases.loc[closed, "device_requested_date"] <= cases.loc[closed, "outcome_date"]).all()
    # No request is dated after the case ended: every one is inside (recording, outcome].
    seen = latent["device_time"] < latent["time"]
    assert requested.sum() == seen.sum()
    # The request's date does not depend on the outcome: requests keep coming months in.
    days = (cases.loc[requested, "device_requested_date"] - cases.loc[requested, "recorded_date"]).dt.days
    assert (days > 90).mean() > 0.02 and (days <= 7).mean() > 0.5


def test_referral_and_arrest_come_before_the_outcome_and_drive_it(national):
    cases = national.cases
    charged = cases["outcome_group"] == "charge"
    assert cases.loc[charged, "file_to_cps_date"].notna().all()  # charge only after referral
    assert (cases.loc[charged, "file_to_cps_date"] <= cases.loc[charged, "charge_date"]).all()
    assert (cases.loc[charged, "interview_date"] <= cases.loc[charged, "file_to_cps_date"]).all()
    ended = cases["outcome_date"].notna()
    for column in ("arrest_date", "interview_date", "file_to_cps_date"):
        both = ended & cases[column].notna()
        assert (cases.loc[both, column] <= cases.loc[both, "outcome_date"]).all(), column
    assert (cases["arrest_date"].dropna() >= cases.loc[cases["arrest_date"].notna(), "suspect_identified_date"]).all()


def test_device_effect_off_is_exactly_null():
    world = dict(forces=["durham"], seed=2, scale=1.0, complete_follow_up=True, **ONE_YEAR)
    off = SyntheticConfig().counterfactual(device=False)
    rare = SyntheticConfig().counterfactual(device=False)
    rare.baseline_hazard["device_request"] = [r * 1e-6 for r in rare.baseline_hazard["device_request"]]
    a, b = simulate(config=off, **world), simulate(config=rare, **world)
    # Without an effect, whether and when devices are requested changes no outcome.
    assert (a.latent["device_time"] < a.latent["latent_time"]).mean() > 0.3
    assert (b.latent["device_time"] < b.latent["latent_time"]).mean() < 0.001
    pd.testing.assert_series_equal(a.latent["latent_time"], b.latent["latent_time"])
    pd.testing.assert_series_equal(a.latent["latent_cause"], b.latent["latent_cause"])
    effect = ground_truth(off, forces=["durham"], scale=0.5, seed=1, **ONE_YEAR).device_effect
    assert (effect["difference"] == 0).all()


def test_force_effects_off_are_exactly_null():
    config = SyntheticConfig().counterfactual(force_effects=False)
    table = ground_truth(config, forces=["durham", "essex"], scale=0.5, seed=1, **ONE_YEAR).force_effects
    assert np.allclose(table["ratio"].dropna(), 1.0) and (table["p_own"] == table["p_national_mix"]).all()
    assert (ground_truth(config).hazard_ratios.query("kind == 'force'")["log_hr"] == 0).all()


def test_counterfactual_worlds_share_their_random_numbers():
    world = dict(forces=["cumbria"], seed=9, scale=1.0, complete_follow_up=True, **ONE_YEAR)
    base = simulate(**world)
    other = simulate(config=SyntheticConfig().counterfactual(programme=False, device=False,
                                                              force_effects="national_mix"), **world)
    same = ["crime_ref", "recorded_date", "victim_id", "suspect_id", "relationship", "offence_code"]
    pd.testing.assert_frame_equal(base.cases[same].drop(columns="suspect_id"),
                                  other.cases[same].drop(columns="suspect_id"))
    assert base.latent["named_time"].equals(other.latent["named_time"])
    assert not base.latent["latent_time"].equals(other.latent["latent_time"])
    # Most cases end the same way: the switch changes outcomes only where it acts.
    assert (base.latent["latent_cause"] == other.latent["latent_cause"]).mean() > 0.8


def test_complete_follow_up_shows_every_case_to_its_end():
    from soteria_research import validate_cases

    sim = simulate(forces=["durham"], seed=6, complete_follow_up=True, **ONE_YEAR)
    cases, latent = sim.cases, sim.latent
    _, report = validate_cases(cases)
    assert report.n_quarantined == 0, report.summary()
    assert cases["outcome_code"].notna().all() and (latent["event"] > 0).mean() > 0.98
    ended = latent["event"] > 0
    days = (cases["outcome_date"] - cases["recorded_date"]).dt.days
    assert (days[ended] == np.floor(latent.loc[ended, "latent_time"])).all()
    assert cases["extract_date"].iloc[0] >= cases[load_dictionary().date_fields].max().max()


# -- people -----------------------------------------------------------------------------------------------
def _pairs(sim) -> pd.DataFrame:
    """The first two cases of each suspect with two or more: eventual charge of each, stratum."""
    cases = sim.cases.assign(charged=(sim.latent["latent_cause"] == "charge").to_numpy())
    named = cases.dropna(subset=["suspect_id"])
    named = named.assign(order=named.groupby("suspect_id").cumcount(),
                         stratum=named["force"] + "/" + named["relationship"])
    first = named[named["order"] == 0].set_index("suspect_id")
    second = named[named["order"] == 1].set_index("suspect_id")
    return pd.DataFrame({"first": first["charged"].reindex(second.index), "second": second["charged"],
                         "stratum": first["stratum"].reindex(second.index)})


def _log_odds_ratio(first: np.ndarray, second: np.ndarray) -> float:
    table = np.array([[np.sum(~first & ~second), np.sum(~first & second)],
                      [np.sum(first & ~second), np.sum(first & second)]]) + 0.5
    return float(np.log(table[0, 0] * table[1, 1] / (table[0, 1] * table[1, 0])))


def _beyond_force_and_relationship(pairs: pd.DataFrame, draws: int = 400) -> tuple[float, np.ndarray]:
    """The pairs' log odds ratio, and its distribution when second cases are shuffled between
    suspects of the same force and relationship (what sharing those alone would give)."""
    rng = np.random.default_rng(0)
    first, second = pairs["first"].to_numpy(bool), pairs["second"].to_numpy(bool)
    groups = [np.flatnonzero(pairs["stratum"].to_numpy() == s) for s in pairs["stratum"].unique()]
    shuffled = np.empty(draws)
    for i in range(draws):  # a permutation test: a loop over draws, not cases
        permuted = second.copy()
        for rows in groups:
            permuted[rows] = second[rng.permutation(rows)]
        shuffled[i] = _log_odds_ratio(first, permuted)
    return _log_odds_ratio(first, second), shuffled


def test_a_suspects_cases_are_alike():
    # Two years at half national volume: about 29,000 suspects with two or more cases.
    world = dict(seed=4, scale=0.5, complete_follow_up=True, start="2021-04-01", end="2023-03-31")
    pairs = _pairs(simulate(**world))
    charged = pd.concat([pairs["first"], pairs["second"]]).mean()
    assert pairs.loc[pairs["first"], "second"].mean() > 1.2 * charged  # the issue measured 9.2% vs 9.3%
    observed, shuffled = _beyond_force_and_relationship(pairs, draws=200)
    assert observed > np.quantile(shuffled, 0.99)
    # With the suspect frailty off, little is left beyond what the force, the relationship and
    # the years shared by a suspect's cases give.
    frailty_off = SyntheticConfig(suspect_frailty={k: 0.0 for k in SyntheticConfig().suspect_frailty})
    observed_off, shuffled_off = _beyond_force_and_relationship(
        _pairs(simulate(config=frailty_off, **world)), draws=200)
    assert observed_off - np.median(shuffled_off) < 0.5 * (observed - np.median(shuffled))


def test_officers_differ_by_their_known_effect(national):
    latent = national.latent
    referred = latent["referral_time"] < latent["latent_time"]
    per_officer = pd.DataFrame({"officer": national.cases["officer_id"], "force": national.cases["force"],
                                "z": latent["officer_effect"], "referred": referred}).groupby("officer").agg(
        z=("z", "first"), referred=("referred", "mean"), n=("z", "size"))
    per_officer = per_officer[per_officer["n"] >= 30]
    assert stats.spearmanr(per_officer["z"], per_officer["referred"]).statistic > 0.2


# -- ages ---------------------------------------------------------------------------------------------------------
def test_child_offence_codes_give_children_at_the_offence(national):
    cases = national.cases.dropna(subset=["victim_age"])
    delay_years = (cases["report_date"] - cases["offence_start_date"]).dt.days / 365.25
    age_at_offence = cases["victim_age"].astype(float) - delay_years
    offences = load_dictionary().codelists["offence_codes"].set_index("code")["label"]
    for limit in (13, 16):
        codes = offences.index[offences.str.contains(f"under {limit}")]
        rows = cases["offence_code"].isin(codes)
        assert rows.sum() > 50
        assert (age_at_offence[rows] < limit + 1).all(), limit  # whole years: within a year
    adult = cases["offence_code"].isin(["19C", "19F"])
    assert (age_at_offence[adult] >= 15).all()


def test_victim_age_differs_by_offence_group(national):
    cases = national.cases.dropna(subset=["victim_age"])
    young = cases["victim_age"] < 13
    rape = cases["offence_group"] == "rape"
    table = pd.crosstab(rape, young)
    _, p, _, _ = stats.chi2_contingency(table)
    assert p < 1e-6 and young[rape].mean() < young[~rape].mean()


def test_suspect_age_follows_victim_age_and_relationship(national):
    cases = national.cases.dropna(subset=["victim_age", "suspect_age"])
    partner = cases[cases["relationship"] == "partner_ex_partner"]
    assert np.corrcoef(partner["victim_age"].astype(float), partner["suspect_age"].astype(float))[0, 1] > 0.6
    teenagers = partner[partner["victim_age"].between(13, 15)]
    assert len(teenagers) > 20 and teenagers["suspect_age"].median() < 21
    trust = cases[cases["relationship"] == "position_of_trust"]
    assert trust["suspect_age"].median() > 30
    assert (cases["suspect_age"] >= 10).all()


# -- the truth is what the data show ------------------------------------------------------------------------------
def test_true_probabilities_match_an_independent_world(truth):
    # The truth's Monte Carlo world and an independent one (another seed) of the same forces
    # and years agree within their Monte Carlo errors.
    other = simulate(forces=["avon_and_somerset", "durham", "cumbria"], start="2020-04-01", end="2024-03-31",
                     scale=1.0, seed=99, complete_follow_up=True)
    latent, cases = other.latent, other.cases
    cohort = _financial_year(cases["recorded_date"])
    probabilities = truth.outcome_probabilities.set_index(
        ["force", "cohort", "offence_group", "outcome", "within_days"])
    checked = 0
    for fy in (2020, 2022):
        label = f"{fy}/{(fy + 1) % 100:02d}"
        in_cohort = (cohort == fy).to_numpy()
        for cause in ("charge", "victim_withdrawal", "evidential_difficulty"):
            for days in (90, 365, np.inf):
                hit = (latent["latent_cause"] == cause) & (latent["latent_time"] <= days)
                observed = hit[in_cohort].mean()
                row = probabilities.loc[("all", label, "all", cause, float(days))]
                se = np.hypot(row["mc_se"], np.sqrt(observed * (1 - observed) / in_cohort.sum()))
                assert abs(observed - row["probability"]) < 4 * se, (label, cause, days)
                checked += 1
    assert checked == 18


def test_outcome_probabilities_are_complete_and_coherent(truth):
    table = truth.outcome_probabilities
    assert {"all", "avon_and_somerset", "durham", "cumbria"} == set(table["force"])
    assert {"2020/21", "2023/24", "all"} <= set(table["cohort"])
    eventually = table[(table["within_days"] == np.inf) & table["outcome"].isin(CAUSES)]
    totals = eventually.groupby(["force", "cohort", "offence_group"])["probability"].sum()
    assert np.allclose(totals, 1.0)
    charge = table[(table["outcome"] == "charge") & (table["force"] == "all") & (table["cohort"] == "all")
                   & (table["offence_group"] == "all")].set_index("within_days")["probability"]
    assert charge.is_monotonic_increasing and charge[30] < charge[365] < charge[np.inf]
    other = table[table["outcome"].isin(["out_of_court", "prevented_or_npi"])].groupby(
        ["force", "cohort", "offence_group", "within_days"])["probability"].sum()
    whole = table[table["outcome"] == "other"].set_index(["force", "cohort", "offence_group", "within_days"])
    assert np.allclose(other, whole["probability"].reindex(other.index))


def test_force_effect_truth_follows_the_forces_known_effects(truth):
    table = truth.force_effects[truth.force_effects["outcome"] == "charge"].set_index("force")
    log_hr = truth.forces.set_index("force")["log_hr_charge"]
    order = table["ratio"].sort_values().index
    assert list(order) == list(log_hr[order].sort_values().index)
    assert (table["ratio_se"] < 0.1).all()
