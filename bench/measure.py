"""Timing helpers: interleaved best-of-N timing, and the ``conformance`` CLI run in a child
process whose process tree's resident memory is polled while it runs."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bench.table import ROOT


def interleaved_best(
    candidates: Mapping[str, Callable[[], object]],
    repeats: int,
    iterations: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Seconds per call of each candidate: best of ``repeats`` blocks of ``iterations`` calls.

    The candidates take turns block by block, so a burst of load from elsewhere on the machine
    hits all of them alike; the best block is the least disturbed one. ``clock``:
    ``time.process_time`` measures single-threaded work in this process's CPU seconds, which
    other processes' load does not inflate.
    """
    best = {name: float("inf") for name in candidates}
    for _ in range(repeats):
        for name, call in candidates.items():
            start = clock()
            for _ in range(iterations):
                call()
            best[name] = min(best[name], (clock() - start) / iterations)
    return best


@dataclass(frozen=True)
class CliRun:
    """A finished ``conformance`` command: wall time and peak RSS in MiB.

    ``parent_mib`` is the command's own process; ``worker_mib`` the largest single child
    (a worker process) at any poll.
    """

    wall_s: float
    parent_mib: float
    worker_mib: float


def _child_environment() -> dict[str, str]:
    """This environment less the thread pins ``bench/run.py`` added for its own NumPy, and with
    Python's default bytecode cache: a ``PYTHONDONTWRITEBYTECODE`` set on a build machine would
    otherwise recompile every module of the harness at each start-up, which no installed copy
    does (the first run writes the cache; each figure is the best of two runs or more)."""
    pinned = set(filter(None, os.environ.get("BENCH_PINNED_THREADS", "").split(",")))
    dropped = pinned | {"BENCH_PINNED_THREADS", "PYTHONDONTWRITEBYTECODE"}
    return {k: v for k, v in os.environ.items() if k not in dropped}


def conformance(
    args: Sequence[str], poll_s: float = 0.05, env: Mapping[str, str] | None = None
) -> CliRun:
    """Run ``python -m conformance ARGS`` from the repository root, polling its memory
    (``env``: variables set for this run on top of the bench's environment).

    Exit codes 0 and 1 (some case failed) are normal; anything else raises ``RuntimeError``
    with the command's stderr.
    """
    import psutil

    command = [sys.executable, "-m", "conformance", *args]
    parent_peak = worker_peak = 0
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env={**_child_environment(), **(env or {})},
        )
        watched = psutil.Process(process.pid)
        while process.poll() is None:
            try:
                parent = watched.memory_info().rss
                children = [c.memory_info().rss for c in watched.children(recursive=True)]
            except psutil.Error:  # a process ended between listing and reading it
                children, parent = [], parent_peak
            parent_peak = max(parent_peak, parent)
            worker_peak = max([worker_peak, *children])
            time.sleep(poll_s)
        wall = time.perf_counter() - start
        errors.seek(0)
        stderr = errors.read()
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {stderr[-2000:]}")
    mib = 2**20
    return CliRun(wall, parent_peak / mib, worker_peak / mib)
