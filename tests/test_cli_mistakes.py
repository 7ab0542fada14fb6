"""Command-line mistakes as users make them: each is exit code 2 and one line saying what to fix.

No traceback, nothing written outside the output folder, and for `soteria report` nothing run at
all: the runner is replaced by a stand-in that fails the test if it is ever called.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from typer.testing import CliRunner

from soteria_research.cli import app
from soteria_research.cli.arguments import reachable_scheduler
from soteria_research.settings import SAMPLE_CASES


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def _assert_refused(result, *phrases: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


@pytest.fixture
def no_run(monkeypatch):
    """`soteria report` must refuse before the runner starts: calling it fails the test."""
    from soteria_research.reporting import runner

    def refuse(*args, **kwargs):
        raise AssertionError("run_reports was called: the mistake was not caught at the door")

    monkeypatch.setattr(runner, "run_reports", refuse)


def _report(tmp_path, *args: str):
    return _invoke("report", "--data", str(SAMPLE_CASES), "--out", str(tmp_path / "out"),
                   "--forces", "durham", *args)


# -- dates: ISO only -----------------------------------------------------------------------------
@pytest.mark.parametrize("option", ["--extract-date", "--period-start", "--period-end"])
@pytest.mark.parametrize("value", ["01/03/2024", "03/01/2024", "now", "today", "2024-03-01 please",
                                   "2024-03-01T00:00", "2024-13-01", "2024-02-30", "20240301"])
def test_dates_other_than_iso_are_refused(tmp_path, no_run, option, value):
    _assert_refused(_report(tmp_path, option, value), option, "YYYY-MM-DD")


def test_a_period_that_ends_before_it_starts_is_refused(tmp_path, no_run):
    result = _report(tmp_path, "--period-start", "2024-01-01", "--period-end", "2023-01-01")
    _assert_refused(result, "period_start")


# -- names and paths -------------------------------------------------------------------------------
@pytest.mark.parametrize("run", ["../../escaped", "a/b", "..", ".hidden", "/tmp/abs", "x\\y", ""])
def test_a_run_name_is_a_plain_name(tmp_path, no_run, run):
    _assert_refused(_report(tmp_path, "--run", run), "--run")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written anywhere


def test_an_output_folder_that_is_a_file_is_refused(tmp_path, no_run):
    (tmp_path / "out").write_text("not a folder")
    _assert_refused(_report(tmp_path), "--out", "is a file")


def test_a_data_file_that_does_not_exist_is_refused(tmp_path, no_run):
    result = _invoke("report", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out"))
    _assert_refused(result, "--data", "no such file")


def test_a_data_folder_is_refused(tmp_path, no_run):
    result = _invoke("report", "--data", str(tmp_path), "--out", str(tmp_path / "out"))
    _assert_refused(result, "--data", "is a folder")


# -- numbers and lists -----------------------------------------------------------------------------
@pytest.mark.parametrize("option, value", [("--workers", "0"), ("--workers", "-1"), ("--cell-timeout", "0"),
                                           ("--cell-timeout", "-5"), ("--max-memory", "0"),
                                           ("--max-memory", "-100")])
def test_numbers_out_of_range_are_refused(tmp_path, no_run, option, value):
    _assert_refused(_report(tmp_path, option, value), option, "at least 1")


@pytest.mark.parametrize("value", ["", " , ", ","])
def test_forces_naming_nothing_are_refused(tmp_path, no_run, value):
    result = _invoke("report", "--data", str(SAMPLE_CASES), "--out", str(tmp_path / "out"), "--forces", value)
    _assert_refused(result, "--forces", "names nothing")


def test_an_unknown_force_code_is_refused(tmp_path, no_run):
    _assert_refused(_report(tmp_path, "--forces", "durhamm"), "durham")


def test_all_with_other_forces_is_refused(tmp_path, no_run):
    _assert_refused(_report(tmp_path, "--forces", "all,kent"), "'all' on its own")


def test_a_force_with_no_cases_in_the_data_is_refused_before_anything_runs(tmp_path, no_run):
    # The sample holds Cumbria, Durham and City of London only.
    result = _report(tmp_path, "--forces", "wiltshire")
    _assert_refused(result, "wiltshire has no cases", "cumbria, durham")
    assert not (tmp_path / "out").exists()


def test_an_extract_date_after_the_files_own_is_refused_with_the_date_to_give(tmp_path):
    # The sample was extracted on 2024-03-31: it cannot show what happened by 2030.
    result = _report(tmp_path, "--extract-date", "2030-01-01", "--workers", "1")
    _assert_refused(result, "sample_cases.csv", "--extract-date 2030-01-01",
                    "extract date, 2024-03-31 (column extract_date)",
                    "Give --extract-date 2024-03-31 or earlier")


def test_a_bad_disclosure_profile_is_refused(tmp_path, no_run):
    _assert_refused(_report(tmp_path, "--disclosure", "public"), "disclosure")


# -- the scheduler ---------------------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_an_unreachable_scheduler_is_reported_within_seconds(tmp_path, no_run):
    began = time.monotonic()
    result = _report(tmp_path, "--scheduler", f"tcp://127.0.0.1:{_closed_port()}")
    _assert_refused(result, "--scheduler", "no Dask scheduler answers there")
    assert time.monotonic() - began < 10  # a refusal, not the client's 30 s connect timeout


def test_a_server_that_is_not_a_dask_scheduler_is_refused(tmp_path, no_run):
    server = socket.create_server(("127.0.0.1", 0))

    def answer_like_a_web_server():
        connection, _ = server.accept()
        with connection:
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 8)
            time.sleep(0.5)

    threading.Thread(target=answer_like_a_web_server, daemon=True).start()
    try:
        result = _report(tmp_path, "--scheduler", f"tcp://127.0.0.1:{server.getsockname()[1]}")
    finally:
        server.close()
    _assert_refused(result, "not a Dask scheduler")


def test_a_running_scheduler_is_accepted():
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert reachable_scheduler("--scheduler", cluster.scheduler_address) == cluster.scheduler_address


def test_a_scheduler_address_that_is_not_one_is_refused(tmp_path, no_run):
    _assert_refused(_report(tmp_path, "--scheduler", "tcp://host:port"), "tcp://HOST:PORT")


def test_good_options_reach_the_runner_with_iso_dates(tmp_path, monkeypatch):
    from soteria_research.reporting import runner

    seen = {}

    class Result:
        ok = True

        def summary(self):
            return "ok"

    def record(data, **options):
        seen.update(options, data=data)
        return Result()

    monkeypatch.setattr(runner, "run_reports", record)
    result = _report(tmp_path, "--extract-date", "2024-03-01", "--run", "trial-1", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert seen["extract_date"] == "2024-03-01" and seen["run"] == "trial-1" and seen["forces"] == ["durham"]


# -- soteria dictionary ----------------------------------------------------------------------------
def test_dictionary_out_in_a_missing_folder_is_refused(tmp_path):
    _assert_refused(_invoke("dictionary", "--out", str(tmp_path / "missing" / "README.md")),
                    "--out", "does not exist", "mkdir -p")
    assert not (tmp_path / "missing").exists()


def test_dictionary_out_that_is_a_folder_is_refused(tmp_path):
    _assert_refused(_invoke("dictionary", "--out", str(tmp_path)), "--out", "is a folder")


def test_dictionary_writes_where_asked(tmp_path):
    result = _invoke("dictionary", "--out", str(tmp_path / "dictionary.md"))
    assert result.exit_code == 0 and (tmp_path / "dictionary.md").read_text().startswith("# ")
