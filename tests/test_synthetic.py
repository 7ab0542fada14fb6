"""The synthetic generator: reproducible, valid, calibrated to the national figures, true to its ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import synthetic_episodes as episodes
from typer.testing import CliRunner

from soteria_research import ParameterError, read_cases, validate_cases
from soteria_research.cli import app
from soteria_research.data.dictionary import load_dictionary
from soteria_research.data.synthetic import (
    CAUSES,
    SyntheticConfig,
    calibration_table,
    generate_cases,
    ground_truth,
    model_covariates,
    rms_export_mapping_yaml,
    simulate,
    to_rms_export,
    write_rms_export,
)
from soteria_research.settings import SYNTHETIC_DIR

SMALL = dict(forces=["durham", "cumbria"], start="2022-04-01", end="2023-03-31", extract_date="2024-03-31")
SAMPLE_ARGS = ["--forces", "durham,cumbria,city_of_london", "--start", "2022-04-01", "--end", "2023-03-31",
               "--extract-date", "2024-03-31", "--seed", "2024"]


@pytest.fixture(scope="module")
def national():
    """A national extract at 2% volume: every force, the default five years."""
    return simulate(scale=0.02, seed=11)


# -- shape and reproducibility ---------------------------------------------------------------
def test_same_seed_same_frame_and_different_seed_different_frame():
    first, again = generate_cases(seed=5, **SMALL), generate_cases(seed=5, **SMALL)
    pd.testing.assert_frame_equal(first, again)
    other = generate_cases(seed=6, **SMALL)
    assert not other.equals(first)
    assert not other["recorded_date"].reset_index(drop=True).equals(first["recorded_date"].reset_index(drop=True))


def test_every_dictionary_field_in_order_with_canonical_dtypes(national):
    cases = national.cases
    dictionary = load_dictionary()
    assert list(cases.columns) == dictionary.field_names
    for f in dictionary.fields:
        kind = str(cases[f.name].dtype)
        expected = {"date": "datetime64[ns]", "boolean": "bool", "integer": "Int64"}.get(f.type, "object")
        assert kind == expected, f.name
        if expected == "object":  # str or NaN only
            values = cases[f.name].dropna()
            assert values.map(type).eq(str).all(), f.name
    # Every dictionary field is filled somewhere, and each code list's codes are legal.
    assert cases.notna().any().all()
    for f in dictionary.fields:
        if f.categories:
            assert set(cases[f.name].dropna()) <= set(f.allowed_values), f.name
    assert cases["extract_date"].nunique() == 1
    assert cases["crime_ref"].is_unique


def test_generated_data_passes_validation_with_nothing_quarantined(national):
    _, report = validate_cases(national.cases)
    assert report.n_quarantined == 0, report.summary()
    sample, report = read_cases(SYNTHETIC_DIR / "sample_cases.csv")
    assert report.n_quarantined == 0 and len(sample) > 2000


@pytest.mark.parametrize("options", [
    dict(forces=["metropolitan"], start="2023-01-01", end="2023-01-31", extract_date="2023-01-31", seed=1),
    dict(forces=["city_of_london", "dyfed_powys"], start="2010-04-01", end="2011-03-31", extract_date="2030-01-01", seed=2),
    dict(forces=["west_midlands"], start="2020-06-15", end="2020-06-15", extract_date="2020-06-16", seed=3),
    dict(forces=["kent"], start="2021-01-01", end="2021-12-31", seed=4,
         config=SyntheticConfig(repeat_suspect_share=0.6, repeat_victim_share=0.3, transfer_rate=0.001)),
])
def test_unusual_windows_and_settings_still_validate(options):
    cases = generate_cases(**options)
    _, report = validate_cases(cases)
    assert report.n_quarantined == 0, report.summary()
    assert len(cases) > 0 and (cases["outcome_date"].dropna() <= cases["extract_date"].iloc[0]).all()


def test_no_cases_gives_an_empty_canonical_frame():
    cases = generate_cases(forces=["city_of_london"], start="2023-01-01", end="2023-01-01", seed=1)
    assert cases.empty and list(cases.columns) == load_dictionary().field_names
    assert calibration_table(cases)["generated"].isna().all()


def test_extract_date_hides_later_outcomes_and_stages_but_changes_nothing_else():
    early = generate_cases(seed=3, **{**SMALL, "extract_date": "2023-06-30"})
    late = generate_cases(seed=3, **SMALL).set_index("crime_ref").loc[early["crime_ref"]]
    early = early.set_index("crime_ref")
    cutoff = pd.Timestamp("2023-06-30")
    for name in load_dictionary().date_fields:
        if name == "extract_date":
            continue
        expected = late[name].where(late[name] <= cutoff)
        pd.testing.assert_series_equal(early[name], expected, check_names=False, obj=name)
    reopened = late["outcome_date"] > cutoff
    assert reopened.any() and early.loc[reopened, "outcome_code"].isna().all()
    assert early.loc[~reopened, "outcome_code"].equals(late.loc[~reopened, "outcome_code"])


def test_volumes_follow_population_and_city_of_london_is_tiny(national):
    counts = national.cases["force"].value_counts()
    assert len(counts) >= 42
    assert counts.idxmax() == "metropolitan"
    one_year = generate_cases(forces=["city_of_london", "durham"], start="2022-04-01", end="2023-03-31", seed=1)
    per_force = one_year["force"].value_counts()
    assert per_force.get("city_of_london", 0) < 100 < per_force["durham"]


def test_rejects_bad_parameters():
    with pytest.raises(ParameterError, match="Unknown force"):
        generate_cases(forces=["gotham"], scale=0.01)
    with pytest.raises(ParameterError, match="extract_date"):
        generate_cases(end="2024-03-31", extract_date="2024-01-01", scale=0.01)
    with pytest.raises(ParameterError, match="scale"):
        generate_cases(scale=0)


# -- people: repeat suspects, repeat victims, officers --------------------------------------
def test_repeat_suspects_span_victims_time_and_forces_and_keep_their_attributes(national):
    cases = national.cases.dropna(subset=["suspect_id"])
    per_suspect = cases.groupby("suspect_id").agg(
        n=("crime_ref", "size"), victims=("victim_id", "nunique"), forces=("force", "nunique"),
        sexes=("suspect_sex", "nunique"), ethnicities=("suspect_ethnicity", "nunique"),
        span=("recorded_date", lambda d: (d.max() - d.min()).days))
    repeat = per_suspect[per_suspect["n"] >= 2]
    assert 0.20 <= len(repeat) / len(per_suspect) <= 0.30
    assert (repeat["victims"] >= 2).mean() > 0.9
    assert (repeat["forces"] >= 2).any() and (repeat["forces"] == 1).mean() > 0.8
    assert repeat["span"].median() > 180
    assert (per_suspect["sexes"] == 1).all() and (per_suspect["ethnicities"] == 1).all()
    victims = national.cases.groupby("victim_id").agg(n=("crime_ref", "size"), sexes=("victim_sex", "nunique"))
    assert 0.03 < (victims["n"] >= 2).mean() < 0.10 and (victims["sexes"] == 1).all()


def test_officer_caseloads_are_realistic(national):
    cases = national.cases
    # Officer numbers scale with volume, so caseloads are realistic at any scale.
    per_officer_year = cases.groupby("officer_id").size() / 5
    assert 10 <= per_officer_year.mean() <= 30  # new RASSO investigations an officer takes a year
    assert per_officer_year.max() > 2 * per_officer_year.median()  # some carry far more
    assert cases.groupby("officer_id")["force"].nunique().eq(1).all()


# -- calibration -------------------------------------------------------------------------------
@pytest.mark.slow
def test_calibration_targets_within_their_source_ranges():
    # A fifth of national volume keeps the narrowest ranges (published charge rates, the CPS
    # charge share) clear of sampling noise; the ranges are the published ones, not widened.
    table = calibration_table(generate_cases(scale=0.2, seed=0), scale=0.2)
    assert len(table) >= 20
    outside = table.loc[~table["within_range"], ["target", "low", "high", "generated"]]
    assert outside.empty, outside.to_string()
    for target in ("rape_charge_share_2019_2022", "rape_outcome_16_share", "rape_median_days_to_charge",
                   "rape_open_12_24_months", "withdrawal_within_7_days", "withdrawal_within_30_days",
                   "female_share", "rape_partner_share", "rape_domestic_abuse_share"):
        assert target in set(table["target"])


def test_calibration_recomputed_independently_on_a_few_targets(national):
    cases = national.cases
    table = calibration_table(cases, scale=0.02).set_index("target")["generated"]
    rape = cases[cases["offence_group"] == "rape"]
    assert table["female_share_rape"] == pytest.approx((rape["victim_sex"] == "female").mean())
    cohort = rape[(rape["recorded_date"] >= "2020-01-01") & (rape["recorded_date"] <= "2020-12-31")]
    open_then = cohort["outcome_date"].isna() | (cohort["outcome_date"] > "2022-01-31")
    assert table["rape_open_12_24_months"] == pytest.approx(open_then.mean())


# -- the ground truth --------------------------------------------------------------------------
def test_ground_truth_is_tidy_and_directions_follow_domain():
    truth = ground_truth()
    hazard_ratios = truth.hazard_ratios
    assert list(hazard_ratios.columns) == ["cause", "covariate", "kind", "log_hr", "hazard_ratio"]
    covariates = hazard_ratios[hazard_ratios["kind"] == "covariate"]
    assert set(covariates["cause"]) == set(load_dictionary().competing_risks) == set(CAUSES)
    assert set(hazard_ratios["kind"]) == {"covariate", "stage", "time_varying", "programme", "force", "frailty"}
    forces = hazard_ratios[hazard_ratios["kind"] == "force"]
    assert forces.groupby("cause").size().eq(43).all()
    effect = hazard_ratios.set_index(["cause", "covariate"])["log_hr"]
    # Directions of effect in docs/domain.md.
    assert effect["victim_withdrawal", "relationship[partner_ex_partner]"] > 0
    assert effect["charge", "relationship[partner_ex_partner]"] < 0
    assert effect["charge", "relationship[stranger]"] > 0
    assert effect["charge", "offence_group[other_sexual]"] > 0
    assert effect["charge", "non_recent"] < 0
    assert truth.device.set_index("cause").loc["victim_withdrawal", "log_hr"] > 0
    assert effect["victim_withdrawal", "device_requested"] == truth.device.set_index("cause").loc[
        "victim_withdrawal", "log_hr"]
    # The force effects come from force_seed alone.
    again = ground_truth(SyntheticConfig(force_seed=1)).hazard_ratios
    assert again.equals(ground_truth(SyntheticConfig(force_seed=1)).hazard_ratios)
    assert not again.equals(hazard_ratios)
    assert truth.forces["force"].tolist() == load_dictionary().forces["code"].tolist()


def test_documented_covariate_coding_is_what_drove_the_hazards(national):
    recoded = model_covariates(national.cases)
    pd.testing.assert_frame_equal(recoded, national.design)
    hazard_ratios = ground_truth().hazard_ratios
    assert list(recoded.columns) == list(hazard_ratios.query("kind == 'covariate'")["covariate"].unique())


@pytest.mark.parametrize("cause", ["victim_withdrawal", "evidential_difficulty"])
def test_cause_specific_cox_recovers_the_true_log_hazard_ratios(national, cause):
    # An independent fitter (statsmodels PHReg) on (start, stop] episodes of the exact times,
    # the dated events as time-varying covariates, force as strata.
    frame = episodes.continuous(national)
    risk, terms = episodes.at_risk(frame, cause)
    design = national.design.reset_index(drop=True).assign(
        suspect_frailty=national.latent["suspect_effect"].to_numpy(),
        officer_effect=national.latent["officer_effect"].to_numpy())
    data = risk.join(design, on="case")
    columns = list(design.columns) + terms
    fit = sm.PHReg(data["stop"].to_numpy(), data[columns].to_numpy(), status=data["y"].to_numpy(),
                   entry=data["start"].to_numpy(),
                   strata=national.cases["force"].to_numpy()[data["case"].to_numpy()]).fit()
    truth = ground_truth().hazard_ratios.query("cause == @cause")
    true = truth.drop_duplicates("covariate").set_index("covariate")["log_hr"][columns].to_numpy()
    z = (fit.params - true) / fit.bse
    informative = fit.bse < 0.5  # rare levels carry no information at 2% volume
    assert np.abs(z[informative]).max() < 4.0
    assert np.mean(z[informative] ** 2) < 2.0


def test_withdrawal_is_front_loaded_in_latent_time(national):
    latent = national.latent
    withdrawn = latent.loc[latent["outcome"] == "victim_withdrawal", "time"]
    assert 0.3 < (withdrawn <= 7).mean() < 0.5 and 0.55 < (withdrawn <= 30).mean() < 0.8


# -- configuration -----------------------------------------------------------------------------
def test_config_round_trips_through_yaml_and_documents_every_field(tmp_path):
    config = SyntheticConfig(repeat_suspect_share=0.3, seasonal_amplitude=0.1)
    path = config.to_yaml(tmp_path / "config.yaml")
    assert SyntheticConfig.from_yaml(path) == config
    described = config.describe()
    assert described["doc"].str.len().gt(10).all()
    assert set(described["kind"]) == {"fact", "setting"}
    assert described.set_index("name").loc["log_hazard_ratios", "kind"] == "setting"
    with pytest.raises(ParameterError, match="Unknown synthetic configuration"):
        SyntheticConfig.from_yaml_text("no_such_field: 1")


def test_readme_documents_every_setting():
    readme = (SYNTHETIC_DIR / "README.md").read_text(encoding="utf-8")
    missing = [name for name in SyntheticConfig().describe()["name"] if f"`{name}`" not in readme]
    assert not missing, f"synthetic_data/README.md does not document {missing}"


def test_config_changes_the_data_it_says_it_changes():
    more = generate_cases(config=SyntheticConfig(repeat_suspect_share=0.5), seed=2, **SMALL)
    share = more["suspect_id"].value_counts().ge(2).mean()
    assert 0.4 < share < 0.6


# -- outputs -------------------------------------------------------------------------------------
def test_committed_sample_regenerates_byte_for_byte(tmp_path):
    out = tmp_path / "sample_cases.csv"
    result = CliRunner().invoke(app, ["generate", "--out", str(out), *SAMPLE_ARGS])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (SYNTHETIC_DIR / "sample_cases.csv").read_bytes()


def test_committed_rms_example_and_mapping_are_current(tmp_path):
    out = tmp_path / "rms.csv"
    args = ["generate", "--out", str(out), "--style", "rms-export", "--forces", "cumbria", "--start",
            "2023-01-01", "--end", "2023-03-31", "--extract-date", "2024-03-31", "--seed", "2024"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (SYNTHETIC_DIR / "sample_rms_export.csv").read_bytes()
    assert (tmp_path / "rms_mapping.yaml").read_text() == rms_export_mapping_yaml()
    assert (SYNTHETIC_DIR / "rms_export_mapping.yaml").read_text() == rms_export_mapping_yaml()


def test_rms_export_loads_back_to_the_same_cases_minus_the_injected_defects(tmp_path):
    cases = generate_cases(seed=9, **SMALL)
    path, mapping, export = write_rms_export(cases, tmp_path / "export.csv", seed=9)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert raw["Date Recorded"].str.match(r"^\d\d/\d\d/\d{4}$").mean() > 0.99
    assert set(raw["DA Flag"]) == {"Y", "N"}
    assert raw.duplicated().sum() == (export.defects["kind"] == "duplicate_row").sum() > 0
    loaded, report = read_cases(path, mapping=mapping)
    assert report.n_quarantined == export.defects["rows"].sum()
    broken = export.defects.loc[export.defects["kind"] != "duplicate_row", "crime_ref"]
    expected = cases[~cases["crime_ref"].isin(broken)].set_index("crime_ref").sort_index()
    got = loaded.set_index("crime_ref").sort_index()
    pd.testing.assert_frame_equal(got[expected.columns], expected)
    assert "Victim Name" not in loaded.columns


def test_rms_export_of_a_tiny_frame_has_no_defects():
    tiny = generate_cases(forces=["city_of_london"], start="2023-01-01", end="2023-03-31", seed=1)
    export = to_rms_export(tiny.head(5))
    assert export.defects.empty and len(export.frame) == len(tiny.head(5))


def test_cli_generate_writes_parquet_and_prints_calibration(tmp_path):
    out = tmp_path / "cases.parquet"
    result = CliRunner().invoke(app, ["generate", "--out", str(out), "--forces", "durham", "--scale", "0.2",
                                      "--start", "2023-04-01", "--end", "2024-03-31", "--calibration"])
    assert result.exit_code == 0, result.output
    assert "female_share" in result.output and "national" in result.output
    assert len(pd.read_parquet(out)) > 100


@pytest.mark.parametrize("args, message", [
    (["--out", "x.txt"], ".csv or .parquet"),
    (["--calibration", "--forces", "gotham"], "Unknown force"),
    (["--out", "x.csv", "--style", "excel"], "--style"),
    ([], "Nothing to do"),
])
def test_cli_generate_explains_mistakes(args, message):
    result = CliRunner().invoke(app, ["generate", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_generate_creates_the_output_folder_and_leaves_no_partial_file(tmp_path):
    from soteria_research.data.synthetic import generate_cases, write_cases

    cases = generate_cases(forces=["cumbria"], start="2023-01-01", end="2023-03-31", seed=1)
    target = tmp_path / "national" / "deeper" / "cases.parquet"
    write_cases(cases, target)
    assert target.is_file()
    assert [p.name for p in target.parent.iterdir()] == ["cases.parquet"]
