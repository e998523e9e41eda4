"""Running cases on a backend pair: one case (``execute_case``) and a whole run (``run_cases``).

Each case runs on the baseline then the candidate backend; it is judged, checked by its oracle
when it has one, and becomes a finished ``CaseResult``. Where cases run (this process, worker
processes, a Dask cluster) is the executor's business (``conformance.executors``); a run streams
each result to ``on_result`` as it completes and on SIGINT/SIGTERM returns what finished.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.backends import Backend, load_backend
from conformance.case import Case
from conformance.catalogue import DEFAULT_PACKAGE
from conformance.errors import CaseDefinitionError, ConformanceInputError
from conformance.executors import executor_for
from conformance.inputs import Inputs, case_seed
from conformance.known import load_known
from conformance.observe import Observation, observe, raised_observation
from conformance.policies import policy_for
from conformance.results import CaseResult, FiniteDifferenceCheck
from conformance.sources import resolve_case
from conformance.tolerances import ToleranceTable
from conformance.verdict import (
    BackendRun,
    Outcome,
    Verdict,
    crash_verdict,
    harness_error,
    judge,
)


@dataclass(frozen=True)
class RunOptions:
    """How to run: which backends (baseline first), seed, workers, per-case timeout."""

    backends: tuple[str, str] = ("torch", "reference")
    seed: int = 0
    jobs: int = 1
    timeout: float | None = 60.0
    cases_package: str = DEFAULT_PACKAGE
    tolerances: ToleranceTable = field(default_factory=ToleranceTable)
    #: ``process`` (worker processes; ``jobs=0``: this process) or ``dask``.
    executor: str = "process"
    #: Dask scheduler address; None starts a LocalCluster (or reads DASK_SCHEDULER_ADDRESS).
    scheduler: str | None = None
    #: torch intra-op threads per worker (0 leaves torch's default).
    threads: int = 1
    #: Folder of known-differences lists (``conformance.known``); None: ``./known`` if present.
    known: str | None = None


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
            returned = backend.call(case, backend.module, make)
        except CaseDefinitionError:
            raise
        except Exception as exc:  # noqa: BLE001 - what a case raises is an observation
            observations = [raised_observation(exc)]
        else:
            try:
                observations = observe(returned, backend)
            except TypeError as exc:
                raise CaseDefinitionError(f"{case.id}: {exc}") from None
    stats = backend.run_stats(observations) if backend.run_stats is not None else {}
    return BackendRun(backend.name, observations, time.perf_counter() - start, stats)


def _result(
    case: Case,
    names: Sequence[str],
    seed: int,
    verdict: Verdict,
    durations: dict[str, float],
    finite_differences: list[FiniteDifferenceCheck] | None = None,
    stats: dict[str, dict[str, Any]] | None = None,
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
        facets=list(verdict.facets),
        ignored=list(verdict.ignored),
        stats=stats or {},
    )


def execute_case(
    case: Case,
    backends: tuple[Backend, Backend],
    run_seed: int,
    tolerances: ToleranceTable | None = None,
    on_phase: Callable[[str], None] | None = None,
    known: str | None = None,
) -> CaseResult:
    """Run ``case`` on both backends and judge it; never raises for a case's sake.

    A malformed case or a failure of the harness itself gives an ``error`` outcome.
    """
    seed = case_seed(run_seed, case.id)
    names = [b.name for b in backends]
    durations: dict[str, float] = {}
    stats: dict[str, dict[str, Any]] = {}
    checks: list[FiniteDifferenceCheck] = []
    try:
        runs = []
        for backend in backends:
            if on_phase is not None:
                on_phase(backend.name)
            run = run_on_backend(case, backend, seed)
            durations[backend.name] = run.duration
            if run.stats:
                stats[backend.name] = run.stats
            runs.append(run)
        if on_phase is not None:
            on_phase("compare")
        compared = [b.compares_as or b.name for b in backends]
        policy = policy_for(*compared)
        verdict = judge(case, runs[0], runs[1], tolerances, policy)
        verdict = load_known(known, *compared).apply(case.id, verdict)
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
    return _result(case, names, seed, verdict, durations, checks, stats)


def exit_description(code: int | None) -> str:
    """A dead process's exit code in words: ``signal 11 (SIGSEGV)`` or ``exit code 3``."""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown signal"
        return f"signal {-code} ({name})"
    return f"exit code {code}"


def crash_result(
    case: Case | str, options: RunOptions, backend: str, code: int | None
) -> CaseResult:
    """The ``crash`` record of a case during which ``backend`` killed its worker process."""
    if isinstance(case, str):
        case = resolve_case(case, options.seed)
    seed = case_seed(options.seed, case.id)
    verdict = crash_verdict(backend, exit_description(code))
    verdict = load_known(options.known, *options.backends).apply(case.id, verdict)
    return _result(case, options.backends, seed, verdict, {})


def timeout_result(case: Case | str, options: RunOptions, reason: str) -> CaseResult:
    """The ``error`` record of a case whose worker was killed (timeout) or died."""
    if isinstance(case, str):
        case = resolve_case(case, options.seed)
    seed = case_seed(options.seed, case.id)
    return _result(case, options.backends, seed, harness_error(reason), {})


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


__all__ = ["Outcome", "RunOptions", "RunReport", "execute_case", "run_cases", "run_on_backend"]
