"""Running: worker processes, per-case timeouts, crashed workers, deterministic results, and
an interrupted run that keeps every finished case and can resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conformance.catalogue import load_catalogue
from conformance.results import CASE_LINE_START
from conformance.runner import RunOptions, run_cases

from .conftest import cli_env, spy_on_load_pair, write_package

HANGS = """
    import os
    import time

    from conformance import case


    @case(area="w")
    def a_quick(torch, make):
        return {"x": make.randn(3)}


    @case(area="w")
    def b_hangs(torch, make):
        if torch.__name__ != "torch":
            while True:
                time.sleep(0.05)
        return {"x": 1}


    @case(area="w")
    def c_crashes(torch, make):
        os._exit(7)


    @case(area="w")
    def d_after(torch, make):
        return {"x": make.rand(2, 2)}
"""

FAKE_TORCH = """
    import torch
    from torch import *  # noqa: F403

    Tensor, tensor = torch.Tensor, torch.tensor
"""

SLOW = """
    import time

    from conformance import case

    for index in range(12):
        def slow(torch, make):
            time.sleep(0.4)
            return {"x": make.randn(2)}

        case(area="slow", name=f"case_{index:02d}")(slow)
"""


@pytest.fixture
def hanging_catalogue(tmp_path, monkeypatch, registry):
    write_package(tmp_path, "hangcases", {"cases": HANGS, "faketorch": FAKE_TORCH})
    monkeypatch.syspath_prepend(str(tmp_path))
    return load_catalogue("hangcases")


def test_a_hung_case_times_out_as_an_error_and_the_cases_queued_behind_it_run(hanging_catalogue):
    options = RunOptions(
        backends=("torch", "module:hangcases.faketorch"),
        jobs=1,
        timeout=3,
        cases_package="hangcases",
    )
    hung = [c for c in hanging_catalogue if c.name == "b_hangs"]
    after = [c for c in hanging_catalogue if c.name == "d_after"]
    report = run_cases(hung + after, options)
    # d_after waited in the hung worker's pipe: it runs once, on the worker that replaced it
    assert sorted(r.case_id for r in report.results) == ["w/b_hangs", "w/d_after"]
    outcomes = {r.case_id: (r.outcome, r.reason) for r in report.results}
    assert outcomes["w/b_hangs"] == (
        "error",
        "timed out after 3s while running on module:hangcases.faketorch",
    )
    assert outcomes["w/d_after"] == ("pass", "")
    assert not report.interrupted


def test_a_crashed_worker_is_recorded_and_replaced_and_its_queued_cases_run_once(hanging_catalogue):
    options = RunOptions(backends=("torch", "torch"), jobs=1, timeout=30, cases_package="hangcases")
    report = run_cases(hanging_catalogue, options)
    # every case once, those queued behind the crash included
    assert sorted(r.case_id for r in report.results) == sorted(c.id for c in hanging_catalogue)
    outcomes = {r.case_id: (r.outcome, r.reason) for r in report.results}
    # the process died while the backend ran the case: a finding about that backend
    assert outcomes["w/c_crashes"] == ("crash", "torch crashed: exit code 7")
    assert outcomes["w/a_quick"][0] == outcomes["w/d_after"][0] == "pass"
    assert outcomes["w/b_hangs"][0] == "pass"  # it only hangs off torch


def test_in_process_runs_time_out_with_an_alarm(hanging_catalogue):
    options = RunOptions(
        backends=("torch", "module:hangcases.faketorch"),
        jobs=0,
        timeout=1,
        cases_package="hangcases",
    )
    (result,) = run_cases([c for c in hanging_catalogue if c.name == "b_hangs"], options).results
    assert (result.outcome, result.reason) == ("error", "timed out after 1s")


def test_results_do_not_depend_on_the_number_of_workers(hanging_catalogue):
    chosen = [c for c in hanging_catalogue if c.name in ("a_quick", "d_after")]

    def values(jobs: int) -> dict[str, object]:
        options = RunOptions(backends=("torch", "torch"), jobs=jobs, cases_package="hangcases")
        report = run_cases(chosen, options)
        return {r.case_id: (r.comparisons[0].baseline or {})["values"] for r in report.results}

    assert values(0) == values(1) == values(2)


@pytest.mark.parametrize(("stop", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_midway_leaves_a_valid_file_with_the_finished_cases_and_resume_completes(
    tmp_path, stop, status
):
    write_package(tmp_path, "slowcases", {"cases": SLOW})
    out = tmp_path / "run.jsonl"
    command = [
        sys.executable,
        "-m",
        "conformance",
        "run",
        "--cases",
        "slowcases",
        "--backends",
        "torch,torch",
        "--jobs",
        "1",
        "--out",
        str(out),
    ]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=cli_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if out.exists() and out.read_text().count(CASE_LINE_START) >= 3:
            break
        time.sleep(0.05)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == status, stderr

    records = [json.loads(line) for line in out.read_text().splitlines()]  # every line parses
    finished = [r["case_id"] for r in records if r["record"] == "case"]
    assert records[0]["record"] == "run"
    assert 3 <= len(finished) < 12
    assert all(r["outcome"] == "pass" for r in records[1:])
    assert "interrupted" in stderr

    resumed = subprocess.run(
        command + ["--resume"],
        cwd=tmp_path,
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    case_ids = [
        json.loads(line)["case_id"]
        for line in out.read_text().splitlines()
        if line.startswith(CASE_LINE_START)
    ]
    assert sorted(case_ids) == [f"slow/case_{i:02d}" for i in range(12)]  # none run twice


def test_an_in_process_run_pins_torch_threads_for_its_cases_and_restores_them(registry):
    import torch

    from conformance import case

    seen = []

    @case(area="w")
    def reads_threads(module, make):
        if module.__name__ == "torch":
            seen.append(torch.get_num_threads())
        return {"x": 1}

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        report = run_cases([registry["w/reads_threads"]], RunOptions(jobs=0, threads=1))
        assert report.outcomes == {"pass": 1}
        assert seen == [1]  # --threads 1 holds in this process too, not only in workers
        assert torch.get_num_threads() == 2  # and the caller's setting comes back
    finally:
        torch.set_num_threads(before)


def test_run_settings_freeze_what_exists_for_the_collector_and_their_undo_unfreezes():
    import gc

    from conformance.process_settings import apply_run_settings

    gc.unfreeze()
    undo = apply_run_settings(RunOptions(threads=0))
    assert gc.get_freeze_count() > 0
    undo()
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_paused_turns_the_collector_off_and_restores_it_as_it_was(enabled):
    import gc

    from conformance.process_settings import collector_paused

    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.raises(RuntimeError), collector_paused():
            assert not gc.isenabled()
            raise RuntimeError("a backend that fails to load")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_an_in_process_run_loads_its_backends_with_the_collector_off_and_thaws_after(
    registry, monkeypatch
):
    """Loading torch with the collector on ran full collections over what stays loaded; the
    load happens paused, is frozen before the collector is back, and nothing stays frozen."""
    import gc

    from conformance import case, execution

    loads = spy_on_load_pair(monkeypatch, execution)
    frozen_while_running = []

    @case(area="w")
    def sees_a_frozen_heap(module, make):
        frozen_while_running.append(gc.get_freeze_count() > 0 and gc.isenabled())
        return {"x": 1}

    gc.unfreeze()
    report = run_cases([registry["w/sees_a_frozen_heap"]], RunOptions(jobs=0))
    assert report.outcomes == {"pass": 1}
    assert loads == [(False, 0)]
    assert frozen_while_running == [True, True]  # once per backend
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_the_run_command_loads_its_backends_paused_and_keeps_no_frozen_heap(
    hanging_catalogue, tmp_path, monkeypatch
):
    import gc

    from conformance import cli

    loads = spy_on_load_pair(monkeypatch, cli)
    gc.unfreeze()
    out = tmp_path / "run.jsonl"
    argv = ["run", "--cases", "hangcases", "-k", "a_quick", "--jobs", "1", "--out", str(out)]
    assert cli.main([*argv, "-q", "--shrink", "0"]) == 0
    assert [enabled for enabled, _ in loads] == [False]
    assert gc.isenabled() and gc.get_freeze_count() == 0  # main called in-process: thawed


def test_a_run_without_reports_imports_none_of_their_modules_and_a_bad_suffix_stops_it(
    tmp_path,
):
    out = tmp_path / "run.jsonl"
    script = (
        "import sys; from conformance.cli import main; "
        f"status = main(['run', '--area', 'smoke', '--jobs', '0', '-q', '--out', {str(out)!r}]); "
        "print(status, sorted(m for m in sys.modules if m.split('.')[0] == 'reports'))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], env=cli_env(), capture_output=True, text=True, timeout=300
    )
    assert ran.stdout.splitlines()[-1] == "0 []", ran.stderr

    from conformance import cli

    bad = tmp_path / "bad.jsonl"
    argv = ["run", "--area", "smoke", "--jobs", "0", "--out", str(bad), "--report", "r.txt"]
    assert cli.main(argv) == 2  # refused before the run: nothing written
    assert not bad.exists()


def _stat(pid: int) -> tuple[str, int] | None:
    """``(state, parent pid)`` of process ``pid`` from /proc, or None when it is gone."""
    from pathlib import Path

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def _children(pid: int) -> list[int]:
    """The live (not zombie) processes whose parent is ``pid``."""
    from pathlib import Path

    stats = {int(p.name): _stat(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit()}
    return [c for c, stat in stats.items() if stat and stat[0] != "Z" and stat[1] == pid]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_the_run_is_killed(tmp_path):
    """A run killed outright (SIGKILL, the OOM killer) cannot stop its workers; each held pipe
    ends it inherited, so none saw its pipe close and all waited for a case forever."""
    out = tmp_path / "r.jsonl"
    run = subprocess.Popen(
        [sys.executable, "-m", "conformance", "run", "--area", "generated"]
        + ["--generated", "100000", "--jobs", "2", "-q", "--out", str(out)],
        cwd=tmp_path,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 20_000):
            time.sleep(0.2)
        workers = _children(run.pid)
        assert len(workers) == 2, workers
    finally:
        run.kill()
        run.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.2)
    left = [w for w in workers if _alive(w)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "workers outlived the run"
