"""Executing one case on a backend pair: the one place that does it.

``execute_case`` runs the case on the baseline then the candidate backend (each runs it its own
way: ``Backend.call``), judges the two runs under the pair's comparison policy and
known-differences list, asks the case's oracle when it has one, and returns a finished
``CaseResult`` - never raising for a case's sake. Executors (this process, worker processes, a
Dask cluster) only schedule: they call this, or build the records of a case whose process timed
out (``timeout_result``) or was killed by a backend (``crash_result``).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from conformance.backends import Backend
from conformance.case import Case
from conformance.errors import CaseDefinitionError, ConformanceInputError
from conformance.inputs import Inputs, case_seed
from conformance.known import load_known
from conformance.observe import Observation, observe, raised_observation
from conformance.options import RunOptions
from conformance.policies import policy_for
from conformance.registry import load_backend
from conformance.results import CaseResult, FiniteDifferenceCheck
from conformance.sources import resolve_case, source_of
from conformance.tolerances import ToleranceTable
from conformance.verdict import (
    BackendRun,
    Outcome,
    Verdict,
    crash_verdict,
    harness_error,
    judge,
)


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


def built_case(case_id: str, options: RunOptions) -> Case | CaseResult:
    """The case ``case_id`` names, or - when building it fails (a source's data it cannot
    read, an entry that cannot be encoded) - the ``error`` record saying so: one case that
    cannot be built must not end the run."""
    try:
        return resolve_case(case_id, options.seed)
    except ConformanceInputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a case the source cannot build is its record
        source = source_of(case_id)
        area, tags = source.keywords(case_id) if source else (case_id.split("/")[0], ())
        reason = f"case could not be built: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        return CaseResult(
            case_id=case_id,
            area=area,
            name=case_id.split("/", 1)[-1],
            tags=list(tags),
            seed=case_seed(options.seed, case_id),
            backends=list(options.backends),
            outcome=str(Outcome.ERROR),
            reason=reason,
            message=reason,
        )


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
