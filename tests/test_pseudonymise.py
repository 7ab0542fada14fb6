"""Keyed pseudonymisation: linkage kept under one key, lost under another; dates, ages, k-anonymity.

Keys are in test_pseudonymise_keys.py; the allow-list, identifier search and outputs in
test_pseudonymise_outputs.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections import Counter

import pandas as pd
import pytest
from case_factory import case, valid_cases
from dateutil.relativedelta import relativedelta
from typer.testing import CliRunner

from soteria_research import validate_cases
from soteria_research.cli import app
from soteria_research.data.dictionary import load_dictionary
from soteria_research.data.pseudonymise import (
    k_anonymity,
    load_key,
    pseudonymise,
    pseudonymise_file,
)
from soteria_research.settings import SYNTHETIC_DIR

IDS = load_dictionary().identifier_fields
EXPORT = SYNTHETIC_DIR / "sample_rms_export.csv"
MAPPING = SYNTHETIC_DIR / "rms_export_mapping.yaml"
# A fixed test vector (made once with secrets.token_hex(32)), so the expected HMAC is stable.
VECTOR_KEY = bytes.fromhex("5c1f9a0be27d43c88e6b1f04d9a2735e0c4b8f61a9d3e2075bc6f18a4e9d0c37")


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "soteria.key"
    path.write_text(secrets.token_hex(32) + "\n")
    return path


def _extract(prefix: str, n: int = 6) -> pd.DataFrame:
    """An extract with direct identifiers a force export might carry."""
    rows = [case(crime_ref=f"{prefix}/{i:04d}", victim_id=f"VIC{i:03d}",
                 suspect_id=f"SUS{i % 3:03d}", officer_id=f"PC{i % 2:04d}") for i in range(n)]
    frame = pd.DataFrame(rows)
    frame["Victim Surname"] = [f"Surname{i}" for i in range(n)]
    frame["victim_dob"] = ["1990-06-01", "1998-05-03", "1998-05-04", "2004-02-29",
                           "1950-01-01", ""][:n]
    frame["home_postcode"] = [f"DH{i} 1AB" for i in range(n)]
    frame["suspect_mobile"] = [f"0770090{i:04d}" for i in range(n)]
    frame["oic_notes"] = ["called the victim"] * n
    return frame


def test_same_key_gives_same_pseudonyms_across_files(tmp_path, key_file):
    first, second = _extract("AB"), _extract("CD")  # different crimes, same people
    first.to_csv(tmp_path / "a.csv", index=False)
    second.to_csv(tmp_path / "b.csv", index=False)
    key = load_key(key_file)
    pseudonymise_file(tmp_path / "a.csv", tmp_path / "a_out.csv", key=key)
    pseudonymise_file(tmp_path / "b.csv", tmp_path / "b_out.csv", key=key)
    a = pd.read_csv(tmp_path / "a_out.csv", dtype=str)
    b = pd.read_csv(tmp_path / "b_out.csv", dtype=str)
    for column in ("victim_id", "suspect_id", "officer_id"):
        assert a[column].tolist() == b[column].tolist()
    assert not set(a["crime_ref"]) & set(b["crime_ref"])
    # linkage structure survives: repeat suspects are still repeat suspects
    assert a.groupby("suspect_id").size().sort_values().tolist() == [2, 2, 2]


def test_pseudonym_is_documented_hmac_so_other_tools_can_reproduce_it():
    out = pseudonymise(pd.DataFrame({"victim_id": ["V1"], "suspect_id": ["V1"]}),
                       key=VECTOR_KEY)
    expected = hmac.new(VECTOR_KEY, b"soteria:person:V1", hashlib.sha256).hexdigest()[:20]
    # a victim in one case and a suspect in another (one RMS nominal id) stay linked
    assert out.loc[0, "victim_id"] == out.loc[0, "suspect_id"] == expected


def test_pseudonyms_match_the_standard_hmac_for_keys_longer_than_a_block():
    key = secrets.token_bytes(100)  # over SHA-256's 64-byte block: HMAC hashes the key first
    out = pseudonymise(pd.DataFrame({"crime_ref": ["AB/1", "ÄB/2"]}), key=key)
    expected = [hmac.new(key, f"soteria:crime_ref:{v}".encode(), hashlib.sha256).hexdigest()[:20]
                for v in ("AB/1", "ÄB/2")]
    assert out["crime_ref"].tolist() == expected


def test_hex_text_key_and_its_bytes_give_the_same_pseudonyms():
    frame = pd.DataFrame({"crime_ref": ["AB/1"]})
    assert pseudonymise(frame, key=VECTOR_KEY.hex()).equals(pseudonymise(frame, key=VECTOR_KEY))


def test_different_keys_give_unrelated_pseudonyms():
    cases = _extract("AB")
    one = pseudonymise(cases, key=secrets.token_bytes(32))
    two = pseudonymise(cases, key=secrets.token_bytes(32))
    for column in IDS:
        assert not set(one[column].dropna()) & set(two[column].dropna())


def test_no_value_computed_from_the_key_is_recorded(tmp_path):
    """A fingerprint would let a guessed weak key be confirmed without any raw identifier."""
    key = secrets.token_bytes(32)
    valid_cases().to_csv(tmp_path / "in.csv", index=False)
    record = pseudonymise_file(tmp_path / "in.csv", tmp_path / "out.csv", key=key)
    sidecar = (tmp_path / "out.csv.pseudonymisation.json").read_text()
    digests = {hashlib.sha256(key).hexdigest(), hashlib.sha1(key).hexdigest(),
               hashlib.md5(key).hexdigest(), key.hex()}
    for digest in digests:
        for width in (8, 6):  # any leading part of a digest of the key
            assert digest[:width] not in sidecar
    assert not [name for name in json.loads(sidecar) if "fingerprint" in name]
    assert not [name for name in record if "fingerprint" in name]


def test_placeholder_ids_are_missing_not_one_shared_person():
    frame = pd.DataFrame([case(crime_ref=f"C{i}", suspect_id=s)
                          for i, s in enumerate(["-", "#N/A", "N/K", "Unknown", "S1", "S1"])])
    out = pseudonymise(frame, key=VECTOR_KEY)
    assert out["suspect_id"].isna().tolist() == [True, True, True, True, False, False]


def test_date_of_birth_becomes_age_at_report():
    raw = _extract("AB").assign(victim_age="")
    out = pseudonymise(raw, key=VECTOR_KEY)
    assert "victim_dob" not in out
    report = pd.to_datetime(raw["report_date"])
    for dob, on, age in zip(raw["victim_dob"], report, out["victim_age"]):
        if dob:
            expected = relativedelta(on, pd.Timestamp(dob)).years  # independent calendar maths
            assert int(age) == expected
        else:
            assert age in ("", None) or pd.isna(age)


def test_dob_fills_age_on_canonical_frames_too():
    cases, _ = validate_cases(valid_cases())
    cases["victim_age"] = pd.array([pd.NA] * len(cases), dtype="Int64")
    cases["date_of_birth"] = pd.Timestamp("2000-05-04")
    out = pseudonymise(cases, key=VECTOR_KEY)
    assert out["victim_age"].tolist() == [21, 21, 21, 21]  # report date 2022-05-03
    assert "date_of_birth" not in out


def test_pseudonymised_extract_still_validates():
    out = pseudonymise(valid_cases(), key=VECTOR_KEY, coarsen_dates="month")
    cases, report = validate_cases(out)
    assert report.ok and report.n_valid == 4


def test_week_and_month_coarsening_floor_dates_and_keep_their_order():
    cases, _ = validate_cases(valid_cases())
    weekly = pseudonymise(cases, key=VECTOR_KEY, coarsen_dates="week")
    monthly = pseudonymise(cases, key=VECTOR_KEY, coarsen_dates="month")
    dates = weekly["recorded_date"].dropna()
    assert (dates.dt.dayofweek == 0).all()
    assert ((cases["recorded_date"] - weekly["recorded_date"]).dt.days.between(0, 6)).all()
    assert (monthly["outcome_date"].dropna().dt.day == 1).all()
    assert (weekly["report_date"] <= weekly["recorded_date"]).all()
    assert (weekly["extract_date"] == cases["extract_date"]).all()


def test_coarsened_export_dates_are_written_as_iso_dates(tmp_path):
    """The pseudonymised file has the dictionary's names and ISO dates: it reads without a
    mapping."""
    out = tmp_path / "out.csv"
    pseudonymise_file(EXPORT, out, key=VECTOR_KEY, mapping=MAPPING, coarsen_dates="month")
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    raw = pd.read_csv(EXPORT, dtype=str, keep_default_na=False)
    recorded = written["recorded_date"][written["recorded_date"] != ""]
    assert recorded.str.fullmatch(r"20\d\d-\d\d-01").all()
    # every readable raw date floors to the first of its month (checked by hand-written slicing)
    readable = pd.to_datetime(raw["Date Recorded"], format="%d/%m/%Y", errors="coerce").notna()
    day_month_year = raw.loc[readable, "Date Recorded"].str.split("/")
    assert (written.loc[readable, "recorded_date"]
            == day_month_year.str[2] + "-" + day_month_year.str[1] + "-01").all()
    extract = raw["Extract Date"].str.split("/")
    assert written["extract_date"].tolist() == (
        extract.str[2] + "-" + extract.str[1] + "-" + extract.str[0]).tolist()


def test_age_bands_replace_exact_ages():
    cases, _ = validate_cases(valid_cases())
    out = pseudonymise(cases, key=VECTOR_KEY, age_bands=True)
    assert "victim_age" not in out and "suspect_age" not in out
    assert out["victim_age_band"].tolist() == ["18-24"] * 4
    assert out["suspect_age_band"].dropna().tolist() == ["25-34"] * 3


def test_k_anonymity_finds_the_smallest_groups():
    rows = ([("durham", "female", "18-24")] * 5 + [("durham", "male", "25-34")] * 2
            + [("kent", "female", "65+")])
    cases = pd.DataFrame(rows, columns=["force", "victim_sex", "victim_age_band"])
    report = k_anonymity(cases, ["victim_age_band", "victim_sex", "force"])
    sizes = Counter(rows)
    assert report.k == min(sizes.values()) == 1
    assert report.n_groups == len(sizes)
    assert report.n_unique == sum(1 for n in sizes.values() if n == 1)
    below5 = report.below.set_index("size_below").loc[5]
    assert (below5["groups"], below5["rows"]) == (2, 3)
    first = report.smallest.iloc[0]
    assert (first["force"], first["victim_age_band"], first["rows"]) == ("kent", "65+", 1)


def test_k_anonymity_measures_exact_values_as_given():
    """Exact ages are exact: nothing is banded behind the user's back."""
    cases = pd.DataFrame({"victim_age": ["24", "25"], "force": ["durham", "durham"]})
    assert k_anonymity(cases).k == 1


def _figures(output: str) -> tuple[int, int, int]:
    k = int(re.search(r": k = (\d+) \((\d+) groups", output).group(1))
    groups = int(re.search(r"\((\d+) groups", output).group(1))
    unique = int(re.search(r"unique rows: (\d+) of", output).group(1))
    return k, groups, unique


def _independent_figures(path, columns) -> tuple[int, int, int]:
    written = pd.read_csv(path, dtype=str, keep_default_na=False)
    sizes = written.groupby(columns).size()
    return int(sizes.min()), len(sizes), int((sizes == 1).sum())


QUASI = ["victim_sex", "victim_ethnicity", "suspect_sex", "suspect_ethnicity", "force",
         "offence_start_date", "report_date", "recorded_date"]


def test_check_measures_the_file_written_and_changes_with_coarsening(tmp_path, key_file):
    runner = CliRunner()
    figures = {}
    for name, options in {"exact": [], "coarse": ["--coarsen-dates", "month", "--age-bands"]}.items():
        out = tmp_path / f"{name}.csv"
        result = runner.invoke(app, ["pseudonymise", str(EXPORT), str(out), "--key-file",
                                     str(key_file), "--mapping", str(MAPPING), "--check",
                                     *options])
        assert result.exit_code == 0, result.output
        ages = ["victim_age", "suspect_age"] if name == "exact" else \
            ["victim_age_band", "suspect_age_band"]
        figures[name] = _figures(result.output)
        # the printed figures are those of the file on disk, counted here with plain pandas
        assert figures[name] == _independent_figures(out, ages + QUASI)
        assert f"over {ages[0]}, victim_sex" in result.output
    assert figures["exact"] != figures["coarse"]
    assert figures["coarse"][2] < figures["exact"][2]  # fewer unique rows once coarsened


def test_check_without_output_measures_what_would_be_written(tmp_path, key_file, monkeypatch):
    monkeypatch.delenv("SOTERIA_KEY_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    options = ["--mapping", str(MAPPING), "--coarsen-dates", "week", "--age-bands"]
    dry = runner.invoke(app, ["pseudonymise", str(EXPORT), "--check", *options])
    assert dry.exit_code == 0, dry.output
    assert "nothing written" in dry.output
    assert [p.name for p in tmp_path.iterdir()] == ["soteria.key"]
    real = runner.invoke(app, ["pseudonymise", str(EXPORT), "out.csv", "--check",
                               "--key-file", str(key_file), *options])
    assert real.exit_code == 0, real.output
    assert _figures(dry.output) == _figures(real.output)


def test_cli_refuses_without_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SOTERIA_KEY_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    valid_cases().to_csv(tmp_path / "in.csv", index=False)
    result = CliRunner().invoke(app, ["pseudonymise", "in.csv", "out.csv"])
    assert result.exit_code == 2
    assert "token_hex(32)" in result.output
    assert not (tmp_path / "out.csv").exists()
