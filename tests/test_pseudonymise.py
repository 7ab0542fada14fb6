"""Keyed pseudonymisation: linkage kept under one key, lost under another, raw ids never leak."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections import Counter

import pandas as pd
import pytest
from case_factory import case, valid_cases
from dateutil.relativedelta import relativedelta
from typer.testing import CliRunner

from soteria_research import KeyFileError, validate_cases
from soteria_research.cli import app
from soteria_research.data.dictionary import load_dictionary
from soteria_research.data.pseudonymise import (
    k_anonymity,
    key_fingerprint,
    load_key,
    pseudonymise,
    pseudonymise_file,
)

IDS = load_dictionary().identifier_fields


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
    key = bytes(range(32))
    out = pseudonymise(pd.DataFrame({"victim_id": ["V1"], "suspect_id": ["V1"]}), key=key)
    expected = hmac.new(key, b"soteria:person:V1", hashlib.sha256).hexdigest()[:20]
    # a victim in one case and a suspect in another (one RMS nominal id) stay linked
    assert out.loc[0, "victim_id"] == out.loc[0, "suspect_id"] == expected


def test_different_keys_give_unrelated_pseudonyms():
    cases = _extract("AB")
    one = pseudonymise(cases, key=secrets.token_bytes(32))
    two = pseudonymise(cases, key=secrets.token_bytes(32))
    for column in IDS:
        assert not set(one[column].dropna()) & set(two[column].dropna())
    assert one.attrs["pseudonymisation"]["key_fingerprint"] != \
        two.attrs["pseudonymisation"]["key_fingerprint"]


@pytest.mark.parametrize("content", ["", "abcd", secrets.token_hex(31), "short text key"])
def test_short_keys_are_refused_with_how_to_make_one(tmp_path, content):
    path = tmp_path / "k.key"
    path.write_text(content)
    with pytest.raises(KeyFileError, match=r"secrets\.token_hex\(32\)"):
        load_key(path)


def test_missing_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("SOTERIA_KEY_FILE", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    with pytest.raises(KeyFileError, match="no pseudonymisation key"):
        load_key(None)
    with pytest.raises(KeyFileError, match="does not exist"):
        load_key(tmp_path / "nowhere.key")


def test_key_file_from_environment(tmp_path, key_file, monkeypatch):
    monkeypatch.setenv("SOTERIA_KEY_FILE", str(key_file))
    assert load_key() == bytes.fromhex(key_file.read_text().strip())


def test_raw_identifiers_and_key_never_reach_any_output(tmp_path, key_file):
    raw = _extract("AB")
    raw.to_csv(tmp_path / "in.csv", index=False)
    result = CliRunner().invoke(app, ["pseudonymise", str(tmp_path / "in.csv"),
                                      str(tmp_path / "out.csv"), "--key-file", str(key_file),
                                      "--check"])
    assert result.exit_code == 0, result.output
    assert "not anonymised" in result.output
    secret = key_file.read_text().strip()
    outputs = {p.name: p.read_text() for p in tmp_path.iterdir() if p.name.startswith("out")}
    assert set(outputs) == {"out.csv", "out.csv.pseudonymisation.json"}
    outputs["stdout"] = result.output
    raw_values = set(raw[IDS].to_numpy().ravel()) | set(raw["Victim Surname"]) \
        | set(raw["home_postcode"]) | set(raw["suspect_mobile"]) | {"called the victim"} \
        | set(raw["victim_dob"])
    for name, text in outputs.items():
        assert secret not in text and secret.upper() not in text, name
        leaked = sorted(v for v in raw_values if v and v in text)
        assert not leaked, (name, leaked)
    sidecar = json.loads(outputs["out.csv.pseudonymisation.json"])
    assert sidecar["key_fingerprint"] == key_fingerprint(secret)
    assert set(sidecar["direct_identifiers_dropped"]) == {
        "Victim Surname", "victim_dob", "home_postcode", "suspect_mobile", "oic_notes"}


def test_date_of_birth_becomes_age_at_report():
    raw = _extract("AB").assign(victim_age="")
    out = pseudonymise(raw, key="ab" * 32)
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
    out = pseudonymise(cases, key="cd" * 32)
    assert out["victim_age"].tolist() == [21, 21, 21, 21]  # report date 2022-05-03


def test_pseudonymised_extract_still_validates():
    out = pseudonymise(valid_cases(), key="ef" * 32, coarsen_dates="month")
    cases, report = validate_cases(out)
    assert report.ok and report.n_valid == 4


def test_week_and_month_coarsening_floor_dates_and_keep_their_order():
    cases, _ = validate_cases(valid_cases())
    weekly = pseudonymise(cases, key="ab" * 32, coarsen_dates="week")
    monthly = pseudonymise(cases, key="ab" * 32, coarsen_dates="month")
    dates = weekly["recorded_date"].dropna()
    assert (dates.dt.dayofweek == 0).all()
    assert ((cases["recorded_date"] - weekly["recorded_date"]).dt.days.between(0, 6)).all()
    assert (monthly["outcome_date"].dropna().dt.day == 1).all()
    assert (weekly["report_date"] <= weekly["recorded_date"]).all()
    assert (weekly["extract_date"] == cases["extract_date"]).all()


def test_age_bands_replace_exact_ages():
    cases, _ = validate_cases(valid_cases())
    out = pseudonymise(cases, key="ab" * 32, age_bands=True)
    assert out["victim_age"].isna().all()
    assert out["victim_age_band"].tolist() == ["18-24"] * 4
    assert out["suspect_age_band"].dropna().tolist() == ["25-34"] * 3


def test_k_anonymity_finds_the_smallest_groups():
    rows = ([("durham", "female", 24)] * 5 + [("durham", "male", 30)] * 2
            + [("kent", "female", 70)])
    cases = pd.DataFrame(rows, columns=["force", "victim_sex", "victim_age"])
    report = k_anonymity(cases, ["victim_age_band", "victim_sex", "force"])
    sizes = Counter(rows)
    assert report.k == min(sizes.values()) == 1
    assert report.n_groups == len(sizes)
    below5 = report.below.set_index("size_below").loc[5]
    assert (below5["groups"], below5["rows"]) == (2, 3)
    first = report.smallest.iloc[0]
    assert (first["force"], first["victim_age_band"], first["rows"]) == ("kent", "65+", 1)


def test_cli_check_reports_k_anonymity_on_quasi_identifiers(tmp_path, key_file):
    valid_cases().to_csv(tmp_path / "in.csv", index=False)
    result = CliRunner().invoke(app, ["pseudonymise", str(tmp_path / "in.csv"), "--check"])
    assert result.exit_code == 0, result.output
    assert "k-anonymity over victim_age_band, victim_sex, victim_ethnicity, force, " \
           "recorded_month: k = 4" in result.output


def test_cli_refuses_without_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SOTERIA_KEY_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    valid_cases().to_csv(tmp_path / "in.csv", index=False)
    result = CliRunner().invoke(app, ["pseudonymise", "in.csv", "out.csv"])
    assert result.exit_code == 2
    assert "token_hex(32)" in result.output
    assert not (tmp_path / "out.csv").exists()
