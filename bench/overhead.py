"""Harness overhead: the full pipeline per case against the same case functions run bare.

Pipeline = what a worker does per case: resolve (load a catalogue case, or draw a generated
program), run on both backends with observation, compare and judge, run the finite-difference
oracle where the case has one, and write the JSON record. Bare = the case function called on
both backends with a fresh ``Inputs``, under the backends' state isolation (so one case's
global changes do not leak into the next), nothing observed. Overhead = pipeline/bare - 1.
Both are timed in this process's CPU seconds (torch runs on one thread), so load from other
processes on a shared machine does not enter the figure.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.measure import interleaved_best
from bench.table import Row

GOAL_PERCENT = 25.0


def _bare(cases: Sequence[Any], pair: Sequence[Any], seed: int) -> None:
    from conformance.inputs import Inputs, case_seed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in cases:
            case_seed_ = case_seed(seed, case.id)
            for backend in pair:
                # raising is what some cases pin down
                with backend.isolated(), contextlib.suppress(Exception):
                    case.func(backend.module, Inputs(backend.module, case_seed_))


def _pipeline(case_ids: Sequence[str], pair: Any, seed: int, out: Path) -> None:
    from conformance.programs.generated import draw_program
    from conformance.results import ResultWriter
    from conformance.runner import execute_case
    from conformance.sources import resolve_case

    draw_program.cache_clear()  # generated programs are drawn again, as in a fresh worker
    with ResultWriter(out) as writer:
        for case_id in case_ids:
            writer.write(execute_case(resolve_case(case_id, seed), pair, seed))


def _no_verdict(*args: Any) -> Any:
    from conformance.verdict import Outcome, Verdict

    return Verdict(Outcome.PASS, "", "", [], [])


def _probed_parts() -> tuple[tuple[str, Any, str, Callable[..., Any]], ...]:
    """The pipeline's own parts, timed in place: (row label, owner, attribute, a no-op stand-in)."""
    from conformance import execution, results

    return (
        ("recording (JSON line, flushed)", results.ResultWriter, "write", lambda *a: None),
        ("judging (compare, verdict)", execution, "judge", _no_verdict),
        ("observing (reading both sides)", execution, "observe", lambda *a: []),
    )


def _timed(real: Callable[..., Any], key: str, totals: dict[str, float]) -> Callable[..., Any]:
    """``real``, adding the CPU seconds each call takes to ``totals[key]``."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return real(*args, **kwargs)
        finally:
            totals[key] += time.process_time() - start

    return timed


def _parts(
    case_ids: Sequence[str], pair: Any, seed: int, out: Path, bare: float, repeats: int
) -> list[Row]:
    """Where the catalogue's overhead goes: each part's CPU time timed in place, as a share of
    the bare run (best of ``repeats`` passes, part by part), then the pipeline with all three
    parts made no-ops - the floor that no faster record, judge or observation goes below (it
    also drops what the parts cost outside their own calls: freeing a record, collections)."""
    from conformance.mutations import patched

    parts = _probed_parts()
    best: dict[str, float] = {}
    for _ in range(repeats):
        totals = {label: 0.0 for label, *_ in parts}
        with contextlib.ExitStack() as stack:
            for label, owner, attribute, _ in parts:
                real = getattr(owner, attribute)
                stack.enter_context(patched(owner, attribute, _timed(real, label, totals)))
            _pipeline(case_ids, pair, seed, out)
        best = {key: min(best.get(key, value), value) for key, value in totals.items()}
    with contextlib.ExitStack() as stack:
        for _, owner, attribute, stand_in in parts:
            stack.enter_context(patched(owner, attribute, stand_in))
        floor = interleaved_best(
            {"floor": functools.partial(_pipeline, case_ids, pair, seed, out)},
            repeats,
            clock=time.process_time,
        )["floor"]
    rows = [
        Row(f"overhead catalogue: of which {label}", best[label] / bare * 100, "%")
        for label, *_ in parts
    ]
    rows.append(
        Row(
            "overhead catalogue: floor (those three as no-ops)",
            (floor / bare - 1) * 100,
            "%",
            note="each part's CPU timed in place over bare (best of "
            f"{repeats} passes); floor = the pipeline with recording, judging and observing "
            "all made no-ops, over bare: what the +25% goal leaves them together",
        )
    )
    return rows


def _breakdown(case_ids: Sequence[str], seed: int, out: Path) -> tuple[float, float]:
    """Seconds per generated case spent drawing the program and in the FD oracle. The oracle's
    time is read from ``out``, the results file the last ``_pipeline`` pass wrote, so only the
    drawing is run again."""
    from conformance.programs.generated import draw_program
    from conformance.results import read_case_results
    from conformance.sources import resolve_case

    draw_program.cache_clear()
    start = time.perf_counter()
    for case_id in case_ids:
        resolve_case(case_id, seed)
    drawing = time.perf_counter() - start
    results = read_case_results(out)
    oracle = sum(r.durations.get("finite_differences", 0.0) for r in results)
    return drawing / len(case_ids), oracle / len(case_ids)


def _sample(count: int, generated: bool, seed: int) -> list[Any]:
    from conformance.catalogue import load_catalogue, select
    from conformance.programs.generated import case_for, case_ids

    if generated:
        return [case_for(case_id, seed) for case_id in case_ids(count)]
    catalogue = select(load_catalogue())  # what a run selects: never the opt-in crash cases
    step = max(1, len(catalogue) // max(count, 1))
    return catalogue[::step][:count]  # every area, in proportion to its size


def measure_overhead(
    catalogue_cases: int = 100, generated_cases: int = 50, repeats: int = 3, seed: int = 0
) -> list[Row]:
    """Pipeline and bare seconds per case, and the overhead, for catalogue and generated cases."""
    from conformance.runner import load_pair

    pair = load_pair(("torch", "reference"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.jsonl"
        for label, count, generated in (
            ("catalogue", catalogue_cases, False),
            ("generated", generated_cases, True),
        ):
            if count <= 0:
                continue
            cases = _sample(count, generated, seed)
            ids = [case.id for case in cases]
            best = interleaved_best(
                {
                    "bare": functools.partial(_bare, cases, pair, seed),
                    "pipeline": functools.partial(_pipeline, ids, pair, seed, out),
                },
                repeats,
                clock=time.process_time,  # one thread: its CPU seconds, whatever else runs
            )
            per_case = {name: seconds / len(cases) * 1e3 for name, seconds in best.items()}
            rows += [
                Row(f"overhead {label} ({len(cases)} cases): bare", per_case["bare"], "ms/case"),
                Row(f"overhead {label}: pipeline", per_case["pipeline"], "ms/case"),
                Row(
                    f"overhead {label}: pipeline/bare - 1",
                    (best["pipeline"] / best["bare"] - 1) * 100,
                    "%",
                    GOAL_PERCENT,
                    note=(
                        "pipeline = resolve + execute_case (both backends, observe, compare, "
                        "FD oracle for generated programs) + JSON record; bare = case "
                        "functions on both backends"
                    )
                    if label == "catalogue"
                    else "generated: pipeline also draws the program and runs "
                    "the finite-difference oracle",
                ),
            ]
            if not generated:
                rows += _parts(ids, pair, seed, out, best["bare"], repeats)
            if generated:
                drawing, oracle = _breakdown(ids, seed, out)
                rows += [
                    Row("overhead generated: of which drawing", drawing * 1e3, "ms/case"),
                    Row("overhead generated: of which FD oracle", oracle * 1e3, "ms/case"),
                ]
    return rows
