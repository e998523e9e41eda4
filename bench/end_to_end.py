"""End to end, from the outside: the harness's seconds per generated program over torch's own.

Harness = ``conformance run --area generated --generated N -q --jobs 0`` in a child process;
start-up (imports, loading the backends) is cancelled by differencing two run sizes, so the
figure is the marginal cost of one more program: draw it, run it on both backends, observe,
compare, judge, the finite-difference oracle, the JSON record. Torch = the same programs'
standalone scripts (the text ``conformance show generated/pNNNN`` prints) exec'd one after
another in this process, compiled beforehand, their printout discarded. Nothing here needs the
harness's internals, so the figure means the same whatever the pipeline becomes.

Both sides are timed in CPU seconds (the child's from ``getrusage``, this process's from
``process_time``), best of a few runs: on a shared machine, wall time is mostly other people's
load, and differencing two wall times doubles that noise.
"""

from __future__ import annotations

import contextlib
import io
import resource
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import CodeType

from bench.measure import conformance
from bench.table import Row

#: Harness seconds per program over torch's: the harness also runs the reference and compares,
#: so about 2x is the floor.
GOAL_RATIO = 4.0
#: One program drawn (``generated.draw_program``, nothing cached).
GOAL_DRAW_MS = 1.0


def _child_cpu_seconds(args: Sequence[str]) -> float:
    """CPU seconds (user + system) of ``conformance ARGS`` run to its end in a child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    conformance(args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def harness_seconds_per_program(small: int, large: int, seed: int, repeats: int) -> float:
    """(cpu(large) - cpu(small)) / (large - small), each the best of ``repeats`` runs."""
    best = {small: float("inf"), large: float("inf")}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            for size in best:
                out = Path(tmp) / f"run{size}.jsonl"
                args = ["run", "--area", "generated", "--generated", str(size), "-q"]
                args += ["--jobs", "0", "--shrink", "0", "--seed", str(seed), "--out", str(out)]
                best[size] = min(best[size], _child_cpu_seconds(args))
    return (best[large] - best[small]) / (large - small)


def shown_script(case_id: str, seed: int) -> str:
    """What ``conformance show CASE_ID --seed SEED`` prints (run in this process)."""
    from conformance.cli import main

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        status = main(["show", case_id, "--seed", str(seed)])
    if status != 0:
        raise RuntimeError(f"conformance show {case_id} exited {status}")
    return text.getvalue()


def torch_seconds_per_program(scripts: Sequence[CodeType], repeats: int) -> float:
    """CPU seconds to exec one compiled script as ``__main__`` (best pass of ``repeats``)."""
    best = float("inf")
    for _ in range(repeats):
        sink = io.StringIO()
        start = time.process_time()
        with contextlib.redirect_stdout(sink), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # as the harness, which records warnings unprinted
            for code in scripts:
                exec(code, {"__name__": "__main__"})  # noqa: S102 - the reproducer under test
        best = min(best, time.process_time() - start)
    return best / len(scripts)


def draw_seconds_per_program(count: int, seed: int) -> float:
    """CPU seconds to draw one program, the drawer's cache emptied first (as in a fresh
    worker)."""
    from conformance.programs.generated import draw_program

    draw_program.cache_clear()
    start = time.process_time()
    for index in range(count):
        draw_program(seed, index)
    seconds = (time.process_time() - start) / count
    draw_program.cache_clear()
    return seconds


def measure_end_to_end(
    small: int = 200, large: int = 600, seed: int = 0, repeats: int = 3
) -> list[Row]:
    """The harness/torch ratio for programs ``small..large-1`` of ``seed``, and the draw time."""
    from conformance.programs.generated import case_id

    harness = harness_seconds_per_program(small, large, seed, repeats)
    scripts = [
        compile(shown_script(case_id(i), seed), f"<p{i:04d}>", "exec") for i in range(small, large)
    ]
    bare = torch_seconds_per_program(scripts, repeats)
    return [
        Row(
            f"end to end generated ({large - small} programs): harness",
            harness * 1e3,
            "ms/program",
            note=(
                f"CPU seconds: conformance run --area generated --jobs 0, cpu({large}) - "
                f"cpu({small}) over {large - small} (start-up cancelled), best of {repeats}; "
                "torch = the same programs' `conformance show` scripts exec'd in one process"
            ),
        ),
        Row("end to end generated: torch alone", bare * 1e3, "ms/program"),
        Row("end to end generated: harness / torch", harness / bare, "x", GOAL_RATIO),
        Row(
            "draw one generated program",
            draw_seconds_per_program(large, seed) * 1e3,
            "ms/program",
            GOAL_DRAW_MS,
            note=f"generated.draw_program for programs 0..{large - 1} of seed {seed}, uncached",
        ),
    ]
