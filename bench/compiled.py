"""Compiled backends: generated programs judged per second against eager torch.

A campaign against ``torch.compile`` is limited by how many programs it judges per core-hour,
so each compiled backend runs the same first N generated programs of seed 0 as a whole
``conformance run --backends torch,BACKEND --area generated --jobs 2`` and the figure is
programs per second of wall time, process start-up and every compilation included: what a
campaign of that size costs. A second, smaller run (``N // SMALL_FRACTION`` programs) cancels
the start-up (importing torch and Dynamo, each worker's first compile): (N - n) / (wall(N) -
wall(n)) is the rate of a long campaign, and what the start-up costs is the rest. Backends
whose compilations are reused across programs (``torch-compile-ops``) get faster per program
the longer the run, so their sizes are stated.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.campaign import count_cases
from bench.measure import conformance
from bench.table import Row

#: Programs per second on 2 cores under aot_eager (issue 16).
GOAL_PER_SECOND = 10.0
#: (backend, programs) in the order measured. 300 is the size of the campaign issue 16 timed
#: (6 minutes under torch-compile then); the inductor backends compile slowest and get fewer.
BACKENDS: tuple[tuple[str, int], ...] = (
    ("torch-compile-ops", 300),
    ("torch-compile", 300),
    ("torch-compiled-autograd", 300),
    ("torch-compile-ops:inductor", 50),
    ("torch-compile:inductor", 30),
)
#: Modes the goal applies to: aot_eager is each backend's default.
AOT_EAGER = ("torch-compile-ops", "torch-compile", "torch-compiled-autograd")
#: The start-up-cancelling run has 1/SMALL_FRACTION of the programs.
SMALL_FRACTION = 5


def _judged_and_wall(backend: str, programs: int, jobs: int, tmp: Path) -> tuple[int, float]:
    """(programs judged, wall seconds) of one ``conformance run`` of ``programs`` programs.

    Each run gets an empty inductor cache (``TORCHINDUCTOR_CACHE_DIR``): inductor keeps the
    code it compiled on disk, across processes, and the bench runs the same programs every
    time, so with the machine's cache its rows measured recompiling nothing (4.4 programs/s
    for 30 programs of seed 0, where 300 new programs of seed 3 ran at 1.6/s). A campaign
    meets new programs."""
    name = f"{backend.replace(':', '_')}.{programs}"
    out = Path(tmp) / f"{name}.jsonl"
    args = ["run", "--backends", f"torch,{backend}", "--area", "generated"]
    args += ["--generated", str(programs), "--jobs", str(jobs), "-q", "--shrink", "0"]
    cache = {"TORCHINDUCTOR_CACHE_DIR": str(Path(tmp) / f"{name}.inductor-cache")}
    run = conformance([*args, "--out", str(out)], env=cache)
    return count_cases(out), run.wall_s


def measure_compiled(
    backends: Sequence[tuple[str, int]] = BACKENDS, jobs: int = 2, scale: float = 1.0
) -> list[Row]:
    """Programs per second of ``conformance run --backends torch,B`` for each backend ``B``,
    whole and with the start-up cancelled (``scale`` shrinks every size, for ``--quick``)."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend, size in backends:
            programs = max(2, round(size * scale))
            few = max(1, programs // SMALL_FRACTION)
            judged, wall = _judged_and_wall(backend, programs, jobs, Path(tmp))
            judged_few, wall_few = _judged_and_wall(backend, few, jobs, Path(tmp))
            # (two walls that noise put the wrong way round measure nothing: no rate)
            marginal = (judged - judged_few) / (wall - wall_few) if wall > wall_few else math.nan
            goal = GOAL_PER_SECOND if backend in AOT_EAGER else None
            first = not rows
            rows += [
                Row(
                    f"compiled {backend} ({judged} programs)",
                    judged / wall,
                    "programs/s",
                    goal,
                    ">=",
                    note=(
                        f"conformance run --backends torch,<backend> --area generated --jobs "
                        f"{jobs}: programs / wall seconds, start-up and compilation included"
                    )
                    if first
                    else "",
                ),
                Row(
                    f"compiled {backend}: start-up cancelled",
                    marginal,
                    "programs/s",
                    note=(
                        f"(N - n) / (wall(N) - wall(n)), n = N / {SMALL_FRACTION}: the rate of "
                        "a long campaign"
                    )
                    if first
                    else "",
                ),
            ]
    return rows
