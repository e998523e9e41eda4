"""The benchmark's measurement functions at tiny sizes: the rows they give, the table and the
JSON. The figures themselves are machine-dependent; only their shape and sanity are checked."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench import campaign, end_to_end, engine, gradcheck, overhead
from bench.run import QUICK, document
from bench.table import Row, render

from .synthetic import many, write_results


def assert_sane(rows: list[Row]) -> None:
    assert rows
    for row in rows:
        assert row.figure and math.isfinite(row.value), row
        if row.unit in ("x", "us", "ms/case", "ms/sample", "cases/s", "programs/s", "s", "MiB"):
            assert row.value > 0, row


def test_engine_times_both_backends_and_gives_their_ratio_with_its_goal() -> None:
    rows = engine.measure_engine({"small": (2, 1.0)}, repeats=1, block_s=0.001)
    assert [r.figure for r in rows] == [
        "engine small (4 el): torch",
        "engine small (4 el): reference",
        "engine small: reference/torch",
    ]
    assert_sane(rows)
    torch_us, reference_us, ratio = (r.value for r in rows)
    assert ratio == pytest.approx(reference_us / torch_us)
    assert rows[-1].goal == 1.0 and rows[-1].met == (ratio <= 1.0)


def test_engine_graph_backpropagates_into_both_inputs_on_either_module() -> None:
    import torch

    import reference_impl

    for module in (torch, reference_impl):
        x = module.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
        w = module.tensor([[0.1, 0.2], [0.3, -0.4]], requires_grad=True)
        engine.graph(module, x, w)
        assert x.grad is not None and w.grad is not None
        assert tuple(x.grad.shape) == (2, 2) and tuple(w.grad.shape) == (2, 2)


def test_overhead_compares_pipeline_with_bare_runs_for_catalogue_and_generated_cases() -> None:
    rows = overhead.measure_overhead(catalogue_cases=3, generated_cases=1, repeats=1)
    figures = [r.figure for r in rows]
    assert "overhead catalogue: pipeline/bare - 1" in figures
    assert "overhead generated: pipeline/bare - 1" in figures
    assert "overhead generated: of which drawing" in figures
    assert_sane([r for r in rows if r.unit != "%"])
    bare, pipeline, percent = rows[:3]
    assert percent.value == pytest.approx((pipeline.value / bare.value - 1) * 100)
    assert percent.goal == overhead.GOAL_PERCENT


def test_overhead_says_where_the_catalogue_overhead_goes_and_puts_the_pipeline_back() -> None:
    import conformance.execution
    import conformance.results
    import conformance.verdict

    write = conformance.results.ResultWriter.write
    rows = overhead.measure_overhead(catalogue_cases=4, generated_cases=0, repeats=1)
    parts = {r.figure.split(": ", 1)[1]: r for r in rows if "of which" in r.figure}
    assert set(parts) == {
        "of which recording (JSON line, flushed)",
        "of which judging (compare, verdict)",
        "of which observing (reading both sides)",
    }
    assert all(r.unit == "%" and 0 < r.value < 1000 for r in parts.values())
    floor = next(r for r in rows if "floor" in r.figure)
    total = next(r for r in rows if r.figure.endswith("pipeline/bare - 1"))
    assert floor.unit == "%" and floor.value < total.value
    # the probe swapped the pipeline's parts only while it ran
    assert conformance.execution.judge is conformance.verdict.judge
    assert conformance.execution.observe is conformance.observe.observe
    assert conformance.results.ResultWriter.write is write


def test_gradcheck_and_our_check_are_timed_on_the_same_samples() -> None:
    rows = gradcheck.measure_gradcheck(limit=2, repeats=1, cli=False)
    assert len(rows) == 3
    assert rows[0].figure.endswith("(2 samples)")
    assert_sane(rows)
    assert rows[2].value == pytest.approx(rows[1].value / rows[0].value)


def test_report_rendering_gives_time_and_size_of_the_html(tmp_path: Path) -> None:
    results = campaign.synthetic_results(tmp_path / "r.jsonl", 30)
    rows = campaign.measure_report(results, "synthetic")
    assert [r.figure for r in rows] == [
        "report 30 cases (synthetic): time",
        "report 30 cases (synthetic): size",
    ]
    assert_sane(rows)


def test_first_cases_keeps_the_header_and_that_many_cases(tmp_path: Path) -> None:
    source = write_results(tmp_path / "all.jsonl", many(12))
    kept = campaign.first_cases(source, tmp_path / "first.jsonl", 5)
    assert campaign.count_cases(source) == 12
    assert campaign.count_cases(kept) == 5
    assert kept.read_text().startswith('{"record":"run"')


def test_rows_know_whether_their_goal_is_met() -> None:
    assert Row("a", 0.9, "x", 1.0).met is True
    assert Row("a", 1.1, "x", 1.0).met is False
    assert Row("a", 2.0, "x", 1.8, ">=").met is True
    assert Row("a", float("nan"), "x", 1.0).met is False
    assert Row("a", 3.0, "s").met is None


def test_table_has_a_line_per_row_and_json_round_trips_strictly() -> None:
    rows = [
        Row("engine small: reference/torch", 0.8, "x", 1.0, note="how it was measured"),
        Row("speed-up", 1.2, "x", 1.8, ">="),
        Row("report: size", 2.5, "MiB"),
        Row("broken", float("nan"), "x", 1.0),
    ]
    table = render(rows).splitlines()
    assert table[0].split(" | ")[0].strip() == "figure"
    assert "yes" in table[2] and "NO" in table[3] and "[1] how it was measured" in table
    data = json.loads(json.dumps(document(rows, {"cpu": "test"}, QUICK), allow_nan=False))
    assert [r["met"] for r in data["rows"]] == [True, False, None, False]
    assert data["rows"][3]["value"] is None
    assert data["settings"]["memory_sizes"] == list(QUICK.memory_sizes)


@pytest.mark.slow
def test_throughput_and_memory_runs_give_rates_speed_up_and_growth(
    request: pytest.FixtureRequest,
) -> None:
    # ~30 s of child processes; the default run does not deselect `slow`, so ask for it
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("four short `conformance run`s; select with -m slow")
    rows = campaign.measure_throughput(2, selection=["--area", "smoke"], repeats=1)
    assert [r.figure for r in rows][1:] == [
        "throughput --jobs 2",
        "speed-up --jobs 2 / --jobs 1",
        "start-up (a run of one program)",
        "speed-up bound from start-up",
    ]
    assert_sane(rows)
    assert 1.0 <= rows[-1].value <= 2.0  # two workers at best halve what is not start-up
    memory = campaign.measure_memory((2, 4))
    assert memory[-2].figure == "memory growth parent (4 / 2)"
    assert_sane(memory)


@pytest.mark.slow
def test_end_to_end_ratio_is_the_best_of_each_side_taken_in_turns(
    request: pytest.FixtureRequest,
) -> None:
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("four short `conformance run`s; select with -m slow")
    rows = end_to_end.measure_end_to_end(small=1, large=3, repeats=2)
    harness, torch_alone, ratio, draw = rows
    # (two programs' difference of CPU seconds is mostly noise: its sign is not checked)
    assert_sane([torch_alone, draw])
    assert ratio.value == pytest.approx(harness.value / torch_alone.value)
    assert ratio.goal == end_to_end.GOAL_RATIO
    rounds = ratio.note.split("round by round ")[1].split(", ")
    assert len(rounds) == 2 and all(math.isfinite(float(r)) for r in rounds)


@pytest.mark.slow
def test_compiled_backends_are_timed_in_programs_per_second_with_the_aot_eager_goal(
    request: pytest.FixtureRequest,
) -> None:
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("two short compiled `conformance run`s; select with -m slow")
    from bench import compiled

    rows = compiled.measure_compiled((("torch-compile-ops", 2), ("torch-compile:inductor", 2)))
    assert [r.figure for r in rows] == [
        "compiled torch-compile-ops (2 programs)",
        "compiled torch-compile-ops: start-up cancelled",
        "compiled torch-compile:inductor (2 programs)",
        "compiled torch-compile:inductor: start-up cancelled",
    ]
    assert [r.goal for r in rows] == [compiled.GOAL_PER_SECOND, None, None, None]
    assert all(r.value > 0 and r.unit == "programs/s" for r in rows)
    # one more program costs less than one more program and a start-up
    assert rows[1].value > rows[0].value and rows[3].value > rows[2].value


def test_each_compiled_run_starts_with_an_empty_inductor_cache(monkeypatch) -> None:
    """Inductor keeps what it compiled on disk across processes, and the bench runs the same
    programs every time: each run gets a cache directory of its own, empty, or its rate is
    that of recompiling nothing."""
    from types import SimpleNamespace

    from bench import compiled

    caches: list[Path] = []

    def fake_run(args: list[str], env: dict[str, str] | None = None) -> SimpleNamespace:
        assert env is not None
        cache = Path(env["TORCHINDUCTOR_CACHE_DIR"])
        assert not cache.exists()
        cache.mkdir()  # what inductor would fill
        caches.append(cache)
        return SimpleNamespace(wall_s=10.0 if "10" in args else 4.0)

    monkeypatch.setattr(compiled, "conformance", fake_run)
    monkeypatch.setattr(compiled, "count_cases", lambda out: 10 if ".10." in str(out) else 2)
    rows = compiled.measure_compiled((("torch-compile:inductor", 10),))
    assert len(caches) == 2 and len(set(caches)) == 2
    assert rows[0].value == 1.0 and rows[1].value == pytest.approx(8 / 6)
