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


def harness_seconds_per_program(small: int, large: int, seed: int, tmp: Path) -> float:
    """(cpu(large) - cpu(small)) / (large - small): one run of each size."""
    cpu = {}
    for size in (small, large):
        out = tmp / f"run{size}.jsonl"
        args = ["run", "--area", "generated", "--generated", str(size), "-q"]
        args += ["--jobs", "0", "--shrink", "0", "--seed", str(seed), "--out", str(out)]
        cpu[size] = _child_cpu_seconds(args)
    return (cpu[large] - cpu[small]) / (large - small)


def shown_script(case_id: str, seed: int) -> str:
    """What ``conformance show CASE_ID --seed SEED`` prints (run in this process)."""
    from conformance.cli import main

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        status = main(["show", case_id, "--seed", str(seed)])
    if status != 0:
        raise RuntimeError(f"conformance show {case_id} exited {status}")
    return text.getvalue()


def torch_seconds_per_program(scripts: Sequence[CodeType]) -> float:
    """CPU seconds to exec one compiled script as ``__main__`` (one pass over all)."""
    sink = io.StringIO()
    start = time.process_time()
    with contextlib.redirect_stdout(sink), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as the harness, which records warnings unprinted
        for code in scripts:
            exec(code, {"__name__": "__main__"})  # noqa: S102 - the reproducer under test
    return (time.process_time() - start) / len(scripts)


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
    """The harness/torch ratio for programs ``small..large-1`` of ``seed``, and the draw time.

    The two sides take turns, ``repeats`` rounds of a harness pair of runs then a torch pass,
    and the best of each counts: on a shared machine whose speed drifts by a fifth over
    minutes (two back-to-back readings of the harness side: 1.85 and 2.47 ms a program), a
    ratio of two figures taken minutes apart measured the drift as much as the harness."""
    from conformance.programs.generated import case_id

    scripts = [
        compile(shown_script(case_id(i), seed), f"<p{i:04d}>", "exec") for i in range(small, large)
    ]
    rounds: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            harness_round = harness_seconds_per_program(small, large, seed, Path(tmp))
            rounds.append((harness_round, torch_seconds_per_program(scripts)))
    harness = min(h for h, _ in rounds)
    bare = min(t for _, t in rounds)
    by_round = ", ".join(f"{h / t:.2f}" for h, t in rounds)
    return [
        Row(
            f"end to end generated ({large - small} programs): harness",
            harness * 1e3,
            "ms/program",
            note=(
                f"CPU seconds: conformance run --area generated --jobs 0, cpu({large}) - "
                f"cpu({small}) over {large - small} (start-up cancelled), best of {repeats} "
                "rounds; "
                "torch = the same programs' `conformance show` scripts exec'd in one process"
            ),
        ),
        Row("end to end generated: torch alone", bare * 1e3, "ms/program"),
        Row(
            "end to end generated: harness / torch",
            harness / bare,
            "x",
            GOAL_RATIO,
            note=f"best over best, the two taken in turns; round by round {by_round}",
        ),
        Row(
            "draw one generated program",
            draw_seconds_per_program(large, seed) * 1e3,
            "ms/program",
            GOAL_DRAW_MS,
            note=f"generated.draw_program for programs 0..{large - 1} of seed {seed}, uncached",
        ),
    ]
