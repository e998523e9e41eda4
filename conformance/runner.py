"""Running a selection of cases: the run as a whole (``run_cases``).

Cases go to an executor (``conformance.executors``: this process, worker processes, a Dask
cluster), which calls ``conformance.execution.execute_case`` for each; a run streams each
result to ``on_result`` as it completes and on SIGINT/SIGTERM returns what finished.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.case import Case
from conformance.execution import (
    CaseTimeout,
    alarm,
    crash_result,
    execute_case,
    exit_description,
    load_pair,
    run_on_backend,
    timeout_result,
)
from conformance.executors import executor_for
from conformance.options import RunOptions
from conformance.results import CaseResult
from conformance.verdict import Outcome


@dataclass
class RunReport:
    """How many cases finished, by outcome, whether the run was cut short, and (only when
    asked to keep them) the results in the order they finished."""

    finished: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    interrupted: bool = False
    #: The signal that cut the run short (SIGINT or SIGTERM), for the exit status.
    signal: int | None = None
    results: list[CaseResult] = field(default_factory=list)


class Terminated(KeyboardInterrupt):
    """SIGTERM, told apart from SIGINT so the command exits 143 rather than 130."""


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_cases(
    cases: Iterable[Case | str],
    options: RunOptions,
    on_result: Callable[[CaseResult], None] | None = None,
    on_start: Callable[[str], None] | None = None,
    *,
    keep: bool = True,
) -> RunReport:
    """Run ``cases`` and call ``on_result`` as each finishes; never holds more than the executor
    has in flight unless ``keep`` asks for the results in the report.

    A list is run in id order; any other iterable (e.g. a lazy stream of generated ids) in the
    order it yields. Cases go to ``executor_for(options)``: worker processes, Dask, or this
    process (``jobs=0``, the only one that can run case objects no worker could look up).
    Returns early, with ``interrupted=True``, on SIGINT or SIGTERM.
    """
    report = RunReport()
    given: dict[str, Case] = {}
    if isinstance(cases, Sequence):
        cases = sorted(cases, key=lambda c: c if isinstance(c, str) else c.id)
        given = {c.id: c for c in cases if not isinstance(c, str)}
    ids = (c if isinstance(c, str) else c.id for c in cases)

    def finish(result: CaseResult) -> None:
        report.finished += 1
        report.outcomes[result.outcome] += 1
        if keep:
            report.results.append(result)
        if on_result is not None:
            on_result(result)

    executor = executor_for(options, given)
    with _sigterm_interrupts():
        try:
            executor.run(ids, options, finish, on_start or (lambda case_id: None))
        except KeyboardInterrupt as stop:
            report.interrupted = True
            report.signal = signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT
    return report


__all__ = [
    "CaseTimeout",
    "Outcome",
    "RunOptions",
    "RunReport",
    "alarm",
    "crash_result",
    "execute_case",
    "exit_description",
    "load_pair",
    "run_cases",
    "run_on_backend",
    "timeout_result",
]
