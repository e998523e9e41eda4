"""Compiled backends: generated programs judged per second against eager torch.

A campaign against ``torch.compile`` is limited by how many programs it judges per core-hour,
so each compiled backend runs the same first N generated programs of seed 0 as a whole
``conformance run --backends torch,BACKEND --area generated --jobs 2`` and the figure is
programs per second of wall time, process start-up and every compilation included: what a
campaign of that size costs. Backends whose compilations are reused across programs
(``torch-compile-ops``) get faster per program the longer the run, so their size is stated.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.campaign import count_cases
from bench.measure import conformance
from bench.table import Row

#: Programs per second on 2 cores under aot_eager (issue 16).
GOAL_PER_SECOND = 10.0
#: (backend, programs) in the order measured; the whole-case backends compile every program
#: from scratch, so they get fewer.
BACKENDS: tuple[tuple[str, int], ...] = (
    ("torch-compile-ops", 300),
    ("torch-compile", 40),
    ("torch-compiled-autograd", 300),
    ("torch-compile-ops:inductor", 50),
    ("torch-compile:inductor", 10),
)
#: Modes the goal applies to: aot_eager is each backend's default.
AOT_EAGER = ("torch-compile-ops", "torch-compile", "torch-compiled-autograd")


def measure_compiled(
    backends: Sequence[tuple[str, int]] = BACKENDS, jobs: int = 2, scale: float = 1.0
) -> list[Row]:
    """Programs per second of ``conformance run --backends torch,B`` for each backend ``B``
    (``scale`` shrinks every size, for ``--quick``)."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend, size in backends:
            programs = max(2, round(size * scale))
            out = Path(tmp) / f"{backend.replace(':', '_')}.jsonl"
            args = ["run", "--backends", f"torch,{backend}", "--area", "generated"]
            args += ["--generated", str(programs), "--jobs", str(jobs), "-q", "--shrink", "0"]
            run = conformance([*args, "--out", str(out)])
            judged = count_cases(out)
            rows.append(
                Row(
                    f"compiled {backend} ({judged} programs)",
                    judged / run.wall_s,
                    "programs/s",
                    GOAL_PER_SECOND if backend in AOT_EAGER else None,
                    ">=",
                    note=(
                        f"conformance run --backends torch,<backend> --area generated --jobs "
                        f"{jobs}: programs / wall seconds, start-up and compilation included"
                    )
                    if not rows
                    else "",
                )
            )
    return rows
