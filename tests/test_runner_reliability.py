"""A report run cannot lie: one run per folder, a code change rebuilds, a killed runner leaves no
process and no stale index, a full disk is one clear message, and mistakes stop at the door."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from report_fixtures import kernel_for_tests, small_cases

from soteria_research.errors import ParameterError
from soteria_research.reporting import provenance
from soteria_research.reporting.runner import check_scheduler, run_reports
from soteria_research.reporting.runner.lock import RunLock


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    return kernel_for_tests(tmp_path_factory.mktemp("kernel"))


@pytest.fixture(scope="module")
def case_file(tmp_path_factory):
    return small_cases(tmp_path_factory.mktemp("data") / "cases.csv")


def _run(case_file, out, kernel, **options):
    return run_reports(case_file, out=out, kernel_name=kernel, progress=False,
                       **{"forces": ["city_of_london"], "national": False, "workers": 1,
                          **options})


# ------------------------------------------------------------------------------------------
# Mistakes stop at the door, before any work
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("options, words", [
    ({"run": "../../elsewhere"}, "not a plain name"),
    ({"run": "a/b"}, "not a plain name"),
    ({"workers": 0}, "at least 1"),
    ({"workers": -1}, "at least 1"),
    ({"cell_timeout": 0}, "at least 1"),
    ({"forces": ""}, "none given"),
    ({"forces": []}, "none given"),
    ({"forces": ["kent"]}, "no cases for Kent"),
])
def test_mistakes_are_refused_before_any_report_runs(tmp_path, case_file, kernel, options, words):
    with pytest.raises(ParameterError, match=words):
        _run(case_file, tmp_path, kernel, **options)
    assert not list(tmp_path.glob("*/forces/*/report.html"))
    assert not (tmp_path.parent / "elsewhere").exists()


def test_an_unreachable_scheduler_is_reported_not_waited_for():
    with pytest.raises(ParameterError, match="no Dask scheduler answered"):
        check_scheduler("tcp://127.0.0.1:1", timeout=2)
    with pytest.raises(ParameterError, match="not a Dask scheduler address"):
        check_scheduler("http://example")


# ------------------------------------------------------------------------------------------
# One run per output folder
# ------------------------------------------------------------------------------------------
def test_a_second_run_into_the_same_folder_is_refused_while_the_first_holds_it(tmp_path,
                                                                               case_file, kernel):
    with RunLock(tmp_path / "cases"):
        with pytest.raises(ParameterError, match="another soteria report run .* is writing"):
            _run(case_file, tmp_path, kernel)
    assert not (tmp_path / "cases" / "forces").exists()
    # Released: the same run now goes ahead.
    assert _run(case_file, tmp_path, kernel).ok


def test_the_lock_is_released_when_its_process_is_killed(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from soteria_research.reporting.runner.lock import RunLock; "
         f"lock = RunLock({str(tmp_path)!r}).acquire(); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ParameterError, match=f"process {holder.pid}"):
            RunLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()
    lock = RunLock(tmp_path).acquire()
    assert lock.previous_unfinished  # the killed holder never finished its run
    lock.release()
    assert not RunLock(tmp_path).acquire().previous_unfinished


# ------------------------------------------------------------------------------------------
# The cache key includes the code
# ------------------------------------------------------------------------------------------
def test_code_fingerprint_changes_when_any_source_file_changes(tmp_path):
    package = tmp_path / "soteria_research" / "analysis"
    package.mkdir(parents=True)
    (package / "attrition.py").write_text("RATE = 0.097\n")
    before = provenance.code_fingerprint(tmp_path)
    assert provenance.code_fingerprint(tmp_path) == before
    (package / "attrition.py").write_text("RATE = 0.032\n")
    assert provenance.code_fingerprint(tmp_path) != before


@pytest.mark.slow
def test_a_code_change_rebuilds_reports_a_rerun_of_the_same_code_skips(tmp_path, case_file,
                                                                      kernel, monkeypatch):
    assert [r.status for r in _run(case_file, tmp_path, kernel).reports] == ["ok"]
    assert [r.status for r in _run(case_file, tmp_path, kernel).reports] == ["skipped"]
    monkeypatch.setattr(provenance, "code_fingerprint", lambda root=None: "changed code")
    assert [r.status for r in _run(case_file, tmp_path, kernel).reports] == ["ok"]


# ------------------------------------------------------------------------------------------
# A full disk
# ------------------------------------------------------------------------------------------
def _disk_full(path):
    return OSError(errno.ENOSPC, "No space left on device", str(path))


def _no_half_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and (
        p.stat().st_size == 0 or p.name.endswith(".tmp") or ".running." in p.name)
        and p.suffix != ".lock" and p.name != ".soteria-run.lock"]


@pytest.mark.slow
def test_a_full_disk_is_one_clear_message_and_leaves_no_half_written_file(tmp_path, case_file,
                                                                         kernel, monkeypatch):
    real = provenance.write_atomic

    def full_for_reports(path, content):
        if Path(path).name == "report.html":
            raise _disk_full(path)
        return real(path, content)

    monkeypatch.setattr(provenance, "write_atomic", full_for_reports)
    result = _run(case_file, tmp_path, kernel)
    assert not result.ok
    (failure,) = result.failed
    assert "no space left on the disk" in failure.error and "\n" not in failure.error
    assert not (result.run_dir / "forces" / "city_of_london" / "report.html").exists()
    assert not (result.run_dir / "forces" / "city_of_london" / "metrics.json").exists()
    record = json.loads((result.run_dir / "run.json").read_text())
    assert record["summary"]["failed"] == 1
    assert not _no_half_files(result.run_dir)
    assert not _no_half_files(result.private_dir)
    assert not list(result.private_dir.rglob("*.failed.ipynb"))


@pytest.mark.slow
def test_when_even_the_record_cannot_be_written_the_summary_still_says_so(tmp_path, case_file,
                                                                         kernel, monkeypatch):
    real = provenance.write_atomic
    calls = {"n": 0}

    def full_after_start(path, content):
        calls["n"] += 1
        if Path(path).name in ("report.html", "index.html") and calls["n"] > 2:
            raise _disk_full(path)
        return real(path, content)

    monkeypatch.setattr(provenance, "write_atomic", full_after_start)
    result = _run(case_file, tmp_path, kernel)
    summary = result.summary()
    assert "FAILED city_of_london: no space left on the disk" in summary
    assert "run record could not be written" in summary


# ------------------------------------------------------------------------------------------
# A killed runner takes its workers and kernels with it
# ------------------------------------------------------------------------------------------
def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc (Linux)")
def test_kill_9_of_the_runner_leaves_no_worker_or_kernel_and_no_stale_index(tmp_path, case_file,
                                                                           kernel):
    out = tmp_path / "out"
    assert _run(case_file, out, kernel, run="r").ok  # a finished earlier run in the folder
    marker = f"SOTERIA_TEST_RUN={uuid.uuid4().hex}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    script = (
        "from soteria_research.reporting.runner import run_reports; "
        f"run_reports({str(case_file)!r}, out={str(out)!r}, run='r', kernel_name={kernel!r}, "
        "forces=['durham', 'cumbria', 'city_of_london'], national=True, workers=2, rerun=True, "
        "progress=False)"
    )
    runner = subprocess.Popen([sys.executable, "-c", script], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(_processes_with(marker)) < 4:
        time.sleep(0.2)  # the runner, two workers and at least one kernel
    assert len(_processes_with(marker)) >= 4, "the run never started its workers"
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _processes_with(marker):
        time.sleep(0.2)
    left = _processes_with(marker)
    for pid in left:  # clean up before failing, so the suite is not left with orphans
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes outlived the runner: {left}"
    record = json.loads((out / "r" / "run.json").read_text())
    assert record["status"] == "running"  # never the earlier run's record
    assert "in progress" in (out / "r" / "index.html").read_text()
    # The next run notices and finishes normally.
    again = _run(case_file, out, kernel, run="r")
    assert again.ok and any("did not finish" in note for note in again.notes)
    shutil.rmtree(out, ignore_errors=True)
