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
from collections.abc import Sequence
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
            if generated:
                drawing, oracle = _breakdown(ids, seed, out)
                rows += [
                    Row("overhead generated: of which drawing", drawing * 1e3, "ms/case"),
                    Row("overhead generated: of which FD oracle", oracle * 1e3, "ms/case"),
                ]
    return rows
