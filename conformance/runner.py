"""Running cases on a backend pair, in worker processes, with timeouts, streaming results.

Each case runs on the baseline then the candidate backend in one worker; the worker compares and
sends back a finished ``CaseResult``. The parent hands out cases in id order, kills a worker whose
case runs past the timeout (recording an ``error`` outcome) and starts another, records a crashed
worker the same way, and on SIGINT/SIGTERM stops the workers and returns what finished.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from conformance.backends import Backend, load_backend
from conformance.case import Case
from conformance.catalogue import DEFAULT_PACKAGE, load_catalogue, resolve_case
from conformance.errors import CaseDefinitionError, ConformanceInputError
from conformance.inputs import Inputs, case_seed
from conformance.observe import Observation, observe, raised_observation
from conformance.results import CaseResult, FiniteDifferenceCheck
from conformance.tolerances import ToleranceTable
from conformance.verdict import BackendRun, Outcome, Verdict, harness_error, judge

STARTUP_LIMIT = 300.0  # seconds a worker may take to import its backends


@dataclass(frozen=True)
class RunOptions:
    """How to run: which backends (baseline first), seed, workers, per-case timeout."""

    backends: tuple[str, str] = ("torch", "reference")
    seed: int = 0
    jobs: int = 1
    timeout: float | None = 60.0
    cases_package: str = DEFAULT_PACKAGE
    tolerances: ToleranceTable = field(default_factory=ToleranceTable)
    #: How many generated programs (area ``generated``) the run includes.
    generated: int = 0


@dataclass
class RunReport:
    """The results of a run, in the order they finished, and whether it was cut short."""

    results: list[CaseResult] = field(default_factory=list)
    interrupted: bool = False


class CaseTimeout(BaseException):
    """Raised inside an in-process case that ran past its timeout (not an ``Exception``, so
    ``capture`` and the case's own handlers cannot swallow it)."""


# -- one case ----------------------------------------------------------------------------


def run_on_backend(case: Case, backend: Backend, seed: int) -> BackendRun:
    """Run ``case`` once on ``backend``; an exception from the case becomes ``<raised>``.

    Warnings the case does not capture itself are ignored, so every run sees the same thing.
    ``CaseDefinitionError`` (the case misuses ``make``) propagates.
    """
    make = Inputs(backend.module, seed, device=backend.device)
    observations: list[Observation]
    start = time.perf_counter()
    with backend.isolated(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            returned = case.func(backend.module, make)
        except CaseDefinitionError:
            raise
        except Exception as exc:  # noqa: BLE001 - what a case raises is an observation
            observations = [raised_observation(exc)]
        else:
            try:
                observations = observe(returned, backend)
            except TypeError as exc:
                raise CaseDefinitionError(f"{case.id}: {exc}") from None
    return BackendRun(backend.name, observations, time.perf_counter() - start)


def _result(
    case: Case,
    names: Sequence[str],
    seed: int,
    verdict: Verdict,
    durations: dict[str, float],
    finite_differences: list[FiniteDifferenceCheck] | None = None,
) -> CaseResult:
    return CaseResult(
        case_id=case.id,
        area=case.area,
        name=case.name,
        tags=list(case.tags),
        seed=seed,
        backends=list(names),
        outcome=str(verdict.outcome),
        reason=verdict.reason,
        message=verdict.message,
        doc=case.doc,
        comparisons=verdict.comparisons,
        expectations=verdict.expectations,
        durations=durations,
        finite_differences=finite_differences or [],
    )


def execute_case(
    case: Case,
    backends: tuple[Backend, Backend],
    run_seed: int,
    tolerances: ToleranceTable | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> CaseResult:
    """Run ``case`` on both backends and judge it; never raises for a case's sake.

    A malformed case or a failure of the harness itself gives an ``error`` outcome.
    """
    seed = case_seed(run_seed, case.id)
    names = [b.name for b in backends]
    durations: dict[str, float] = {}
    checks: list[FiniteDifferenceCheck] = []
    try:
        runs = []
        for backend in backends:
            if on_phase is not None:
                on_phase(backend.name)
            run = run_on_backend(case, backend, seed)
            durations[backend.name] = run.duration
            runs.append(run)
        if on_phase is not None:
            on_phase("compare")
        verdict = judge(case, runs[0], runs[1], tolerances)
        if case.oracle is not None:
            if on_phase is not None:
                on_phase("finite differences")
            start = time.perf_counter()
            checks = case.oracle(runs[0], runs[1])
            durations["finite_differences"] = time.perf_counter() - start
    except CaseTimeout as exc:
        verdict = harness_error(str(exc))
    except CaseDefinitionError as exc:
        verdict = harness_error(f"malformed case: {exc}")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - the harness failed; say where, keep going
        where = traceback.extract_tb(exc.__traceback__)[-1]
        verdict = harness_error(
            f"harness error: {type(exc).__name__}: {exc} ({where.filename}:{where.lineno})"
        )
    return _result(case, names, seed, verdict, durations, checks)


def timeout_result(case: Case, names: Sequence[str], run_seed: int, reason: str) -> CaseResult:
    """The ``error`` record of a case whose worker was killed (timeout) or died."""
    return _result(case, names, case_seed(run_seed, case.id), harness_error(reason), {})


@contextlib.contextmanager
def alarm(seconds: float | None) -> Iterator[None]:
    """Raise ``CaseTimeout`` in this (main) thread after ``seconds``; no-op where impossible."""
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return
    assert seconds is not None

    def expire(signum: int, frame: Any) -> None:
        raise CaseTimeout(f"timed out after {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load_pair(names: Sequence[str]) -> tuple[Backend, Backend]:
    """The two backends named (baseline first); ``ConformanceInputError`` when not two."""
    if len(names) != 2:
        raise ConformanceInputError(f"--backends needs exactly two names, got {len(names)}")
    return load_backend(names[0]), load_backend(names[1])


# -- worker processes --------------------------------------------------------------------


def _worker_main(conn: Connection, options: RunOptions) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        load_catalogue(options.cases_package)
        pair = load_pair(options.backends)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(1)
    except BaseException as exc:  # noqa: BLE001 - tell the parent, which reports it
        conn.send(("fatal", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            case_id = conn.recv()
        except EOFError:
            return
        if case_id is None:
            return
        result = execute_case(
            resolve_case(case_id, options.seed),
            pair,
            options.seed,
            options.tolerances,
            on_phase=lambda phase: conn.send(("phase", phase)),
        )
        conn.send(("result", result))


@dataclass
class _Worker:
    process: Any
    conn: Connection
    ready: bool = False
    case_id: str | None = None
    phase: str = ""
    deadline: float | None = None
    started: float = field(default_factory=time.monotonic)

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.close()
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(2)
            if self.process.is_alive():
                self.process.kill()
        self.process.join(2)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class _Pool:
    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.context = _context()
        self.workers: list[_Worker] = []

    def start(self) -> _Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main, args=(child, self.options), daemon=True, name="conformance-worker"
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        return worker

    def replace(self, worker: _Worker) -> None:
        worker.stop()
        self.workers.remove(worker)
        self.start()

    def close(self) -> None:
        for worker in self.workers:
            if worker.ready and worker.case_id is None:
                with contextlib.suppress(OSError, ValueError):
                    worker.conn.send(None)
        for worker in self.workers:
            worker.stop()
        self.workers.clear()


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_cases(
    cases: Sequence[Case],
    options: RunOptions,
    on_result: Callable[[CaseResult], None] | None = None,
    on_start: Callable[[Case], None] | None = None,
) -> RunReport:
    """Run ``cases`` (in id order) and call ``on_result`` as each finishes.

    ``options.jobs`` worker processes; ``jobs=0`` runs in this process (timeouts then rely on
    SIGALRM and cannot stop a case stuck inside C code). Returns early, with
    ``interrupted=True``, on SIGINT or SIGTERM.
    """
    report = RunReport()
    ordered = sorted(cases, key=lambda c: c.id)

    def finish(result: CaseResult) -> None:
        report.results.append(result)
        if on_result is not None:
            on_result(result)

    with _sigterm_interrupts():
        try:
            if options.jobs <= 0:
                _run_in_process(ordered, options, finish, on_start)
            else:
                _run_in_workers(ordered, options, finish, on_start)
        except KeyboardInterrupt:
            report.interrupted = True
    return report


def _run_in_process(
    cases: Sequence[Case],
    options: RunOptions,
    finish: Callable[[CaseResult], None],
    on_start: Callable[[Case], None] | None,
) -> None:
    pair = load_pair(options.backends)
    for case in cases:
        if on_start is not None:
            on_start(case)
        with alarm(options.timeout):
            try:
                result = execute_case(case, pair, options.seed, options.tolerances)
            except CaseTimeout as exc:  # raised between the case's own guards
                result = timeout_result(case, options.backends, options.seed, str(exc))
        finish(result)


def _run_in_workers(
    cases: Sequence[Case],
    options: RunOptions,
    finish: Callable[[CaseResult], None],
    on_start: Callable[[Case], None] | None,
) -> None:
    pending = deque(cases)
    by_id = {c.id: c for c in cases}
    pool = _Pool(options)
    try:
        for _ in range(min(options.jobs, max(len(cases), 1))):
            pool.start()
        while pending or any(w.case_id is not None for w in pool.workers):
            for worker in pool.workers:
                if worker.ready and worker.case_id is None and pending:
                    case = pending.popleft()
                    if on_start is not None:
                        on_start(case)
                    worker.case_id, worker.phase = case.id, "start"
                    if options.timeout:
                        worker.deadline = time.monotonic() + options.timeout
                    worker.conn.send(case.id)
            _pump(pool, by_id, options, finish, pending)
    finally:
        pool.close()


def _pump(
    pool: _Pool,
    by_id: dict[str, Case],
    options: RunOptions,
    finish: Callable[[CaseResult], None],
    pending: deque[Case],
) -> None:
    now = time.monotonic()
    deadlines = [w.deadline for w in pool.workers if w.case_id and w.deadline]
    wait_for = max(0.0, min(deadlines) - now) if deadlines else 1.0
    ready = wait([w.conn for w in pool.workers], timeout=min(wait_for, 1.0))
    for worker in list(pool.workers):
        if worker.conn in ready:
            try:
                kind, payload = worker.conn.recv()
            except (EOFError, OSError):
                _worker_died(pool, worker, by_id, options, finish, pending)
                continue
            if kind == "ready":
                worker.ready = True
            elif kind == "phase":
                worker.phase = payload
            elif kind == "result":
                worker.case_id, worker.deadline = None, None
                finish(payload)
            elif kind == "fatal":
                raise ConformanceInputError(f"worker could not start: {payload}")
        elif worker.case_id and worker.deadline and time.monotonic() > worker.deadline:
            case = by_id[worker.case_id]
            where = f" while running on {worker.phase}" if worker.phase else ""
            finish(
                timeout_result(
                    case,
                    options.backends,
                    options.seed,
                    f"timed out after {options.timeout:g}s{where}",
                )
            )
            pool.replace(worker)
        elif not worker.ready and time.monotonic() - worker.started > STARTUP_LIMIT:
            raise ConformanceInputError(f"worker did not start within {STARTUP_LIMIT:g}s")


def _worker_died(
    pool: _Pool,
    worker: _Worker,
    by_id: dict[str, Case],
    options: RunOptions,
    finish: Callable[[CaseResult], None],
    pending: deque[Case],
) -> None:
    worker.process.join(2)
    code = worker.process.exitcode
    if not worker.ready:
        raise ConformanceInputError(f"worker exited while starting (exit code {code})")
    if worker.case_id is not None:
        where = f" while running on {worker.phase}" if worker.phase else ""
        finish(
            timeout_result(
                by_id[worker.case_id],
                options.backends,
                options.seed,
                f"worker died (exit code {code}){where}",
            )
        )
    worker.case_id = None
    if pending:
        pool.replace(worker)
    else:
        worker.stop()
        pool.workers.remove(worker)


__all__ = ["Outcome", "RunOptions", "RunReport", "execute_case", "run_cases", "run_on_backend"]
