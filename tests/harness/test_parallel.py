"""Parallel runs are correct: serial, ``--jobs 2``, pytest-xdist and Dask runs of one seed write
the same records (everything but timings), and a lazy stream of ids runs in constant memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.programs.generated import is_selected, selected_ids

from .conftest import cli_env, spy_on_load_pair

#: A slice of the catalogue (every kind of observation, errors included) plus generated programs.
SELECTION = [
    "--area",
    "hooks",
    "--area",
    "retain_graph",
    "--area",
    "generated",
    "--generated",
    "40",
]


def records(path: Path) -> dict[str, dict[str, Any]]:
    """Case records by id, without what legitimately differs between runs (timings)."""
    found = {}
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if record.get("record") == "case":
            record.pop("durations", None)
            found[record["case_id"]] = record
    return found


def conformance_run(tmp_path: Path, name: str, *extra: str) -> dict[str, dict[str, Any]]:
    out = tmp_path / f"{name}.jsonl"
    command = [sys.executable, "-m", "conformance", "run", "--out", str(out), "-q"]
    done = subprocess.run(
        [*command, *SELECTION, *extra],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return records(out)


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    found = conformance_run(tmp_path_factory.mktemp("serial"), "serial", "--jobs", "0")
    assert len(found) > 100
    assert {r["outcome"] for r in found.values()} == {"pass"}
    assert sum(r["area"] == "generated" for r in found.values()) == 40
    return found


def test_two_worker_processes_give_the_serial_records(serial, tmp_path):
    assert conformance_run(tmp_path, "jobs2", "--jobs", "2") == serial


def test_an_embedded_two_worker_dask_cluster_gives_the_serial_records(serial, tmp_path):
    pytest.importorskip("distributed")
    assert conformance_run(tmp_path, "dask", "--executor", "dask", "--jobs", "2") == serial


def test_a_running_dask_cluster_named_by_its_address_gives_the_serial_records(serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        found = conformance_run(
            tmp_path, "remote", "--executor", "dask", "--scheduler", cluster.scheduler_address
        )
    assert found == serial


def test_pytest_xdist_workers_merge_into_one_stream_with_the_serial_records(serial, tmp_path):
    pytest.importorskip("xdist")
    out = tmp_path / "xdist.jsonl"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"),
            *("--conformance", "--conformance-generated", "40"),
            *("--conformance-out", str(out), "-k", "hooks or retain_graph or generated"),
        ],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=tmp_path,  # no test files here: only the catalogue is collected
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = records(out)
    assert found.keys() >= serial.keys()  # -k also keeps other areas' cases tagged "hooks"
    assert {k: v for k, v in found.items() if k in serial} == serial


def test_generated_ids_are_selected_from_the_id_alone_in_index_order():
    assert list(selected_ids(12, patterns=["*p001*"])) == [
        "generated/p0010",
        "generated/p0011",
    ]
    assert list(selected_ids(5, areas=["hooks"])) == []
    assert list(selected_ids(3, tags=["generated"])) == [f"generated/p000{i}" for i in range(3)]
    assert is_selected("generated/p0004", 5) and not is_selected("generated/p0005", 5)
    assert not is_selected("hooks/some_case", 5)


def test_a_run_holds_no_results_it_was_not_asked_to_keep(registry):
    from conformance import case
    from conformance.runner import RunOptions, run_cases

    @case(area="flat")
    def one(torch, make):
        return {"x": make.randn(2)}

    seen = []
    report = run_cases(
        iter(["flat/one"] * 50), RunOptions(jobs=0), on_result=seen.append, keep=False
    )
    assert report.finished == 50 and report.outcomes["pass"] == 50
    assert report.results == [] and len(seen) == 50


def test_a_program_draw_does_not_depend_on_what_the_process_imported(tmp_path, monkeypatch):
    """Hypothesis mixes literals from imported project modules into draws by default; a worker
    that imported other modules than the parent must still draw the same program."""
    from conformance.programs.generated import draw_program
    from conformance.programs.program import to_json

    def drawn() -> list[str]:
        draw_program.cache_clear()
        return [to_json(draw_program(0, i)) for i in range(30)]

    before = drawn()
    literals = ", ".join(str(n) for n in range(1000, 1400))
    (tmp_path / "many_constants.py").write_text(f"VALUES = [{literals}]\nNAME = 'x' * 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("many_constants")
    try:
        assert drawn() == before
    finally:
        sys.modules.pop("many_constants", None)
        draw_program.cache_clear()


def test_a_worker_whose_memory_grows_is_replaced_and_no_case_is_lost(monkeypatch):
    from conformance import pool
    from conformance.programs.generated import case_ids
    from conformance.runner import RunOptions, run_cases

    started = []
    original = pool.ProcessPoolExecutor._start

    def counting_start(self, options):
        started.append(1)
        return original(self, options)

    monkeypatch.setattr(pool.ProcessPoolExecutor, "_start", counting_start)
    # a reading every 3rd case; anything past the baseline counts as grown
    options = RunOptions(jobs=2, memory_check_every=3, recycle_growth=0.0)
    report = run_cases(case_ids(40), options, keep=True)
    assert report.finished == 40 and report.outcomes == {"pass": 40}
    assert len(started) >= 40 // 6  # each worker leaves after its 6th case


def test_memory_watch_takes_its_first_reading_as_the_baseline() -> None:
    from conformance.pool import MemoryWatch

    readings = iter([100, 104, 106])
    watch = MemoryWatch(every=2, growth=1.05, read=lambda: next(readings))
    assert [watch.grown() for _ in range(6)] == [False, False, False, False, False, True]


def test_a_worker_loads_its_backends_with_the_collector_off_and_freezes_them(monkeypatch):
    """A spawned worker imports torch in ``prepare_worker``: with the collector on that ran
    full collections over what stays loaded for the worker's life."""
    import gc

    from conformance import execution
    from conformance.options import RunOptions
    from conformance.pool import prepare_worker

    loads = spy_on_load_pair(monkeypatch, execution)
    gc.unfreeze()
    try:
        prepare_worker(RunOptions(threads=0))
        assert [enabled for enabled, _ in loads] == [False]
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_case_handed_to_a_worker_that_has_just_left_is_run_by_its_successor():
    """A worker that outgrew its memory sends its last result and exits; the parent may still
    be busy with the result before, and hand it the next case before reading that last one.
    The send meets a closed pipe: the case stays queued and goes to the worker's successor
    (it used to end the whole run in a ``BrokenPipeError``, on a loaded machine)."""
    import time

    from conformance.pool import ProcessPoolExecutor
    from conformance.programs.generated import case_ids
    from conformance.runner import RunOptions

    finished = []

    def slow_finish(result):
        # the worker runs its next case, finds its memory grown and leaves meanwhile
        time.sleep(0.5)
        finished.append(result.case_id)

    # a reading after every case, and anything past the first counts as grown: each worker
    # leaves after its second case, with its successor's cases already handed to it
    options = RunOptions(jobs=1, memory_check_every=1, recycle_growth=0.0)
    ids = list(case_ids(5))
    ProcessPoolExecutor(1).run(ids, options, slow_finish, lambda case_id: None)
    assert sorted(finished) == ids
