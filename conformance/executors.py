"""Where cases run: this process, a pool of worker processes, or a Dask cluster.

Every executor takes case *ids* (a case travels as its id plus the run seed; whoever runs it
rebuilds it with ``resolve_case``), calls ``start(case_id)`` as it hands a case out and
``finish(result)`` as each ``CaseResult`` comes back, and holds nothing else per case: the run's
memory does not grow with the number of cases. Results arrive in completion order; the results
file is keyed by case id, so serial and parallel runs of one seed hold the same records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from conformance.errors import ConformanceInputError

if TYPE_CHECKING:
    from conformance.case import Case
    from conformance.options import RunOptions
    from conformance.results import CaseResult

Finish = Callable[["CaseResult"], None]
Start = Callable[[str], None]

#: ``--executor`` choices.
EXECUTORS = ("process", "dask")


class Executor(Protocol):
    def run(
        self, case_ids: Iterable[str], options: RunOptions, finish: Finish, start: Start
    ) -> None: ...


class InProcessExecutor:
    """Cases run one after another in this process (``--jobs 0``): for debugging and for cases
    that are not registered anywhere a worker could find them. Timeouts rely on SIGALRM and
    cannot stop a case stuck inside C code."""

    def __init__(self, cases: dict[str, Case] | None = None) -> None:
        self.cases = cases or {}

    def run(
        self, case_ids: Iterable[str], options: RunOptions, finish: Finish, start: Start
    ) -> None:
        from conformance.case import Case
        from conformance.execution import (
            CaseTimeout,
            alarm,
            built_case,
            execute_case,
            load_pair,
            timeout_result,
        )
        from conformance.process_settings import apply_run_settings, collector_paused

        with collector_paused():  # the imports frozen before the collector sees them
            pair = load_pair(options.backends)
            undo = apply_run_settings(options)
        try:
            for case_id in case_ids:
                start(case_id)
                case = self.cases.get(case_id) or built_case(case_id, options)
                if not isinstance(case, Case):  # it could not be built: its error record
                    finish(case)
                    continue
                try:  # the alarm may go off as soon as it is armed, or while it is disarmed
                    with alarm(options.timeout):
                        result = execute_case(
                            case, pair, options.seed, options.tolerances, known=options.known
                        )
                except CaseTimeout as exc:  # raised between the case's own guards
                    result = timeout_result(case, options, str(exc))
                finish(result)
        finally:
            undo()


def executor_for(options: RunOptions, cases: dict[str, Case] | None = None) -> Executor:
    """The executor ``options`` ask for: ``dask``, else worker processes (``jobs >= 1``), else
    this process."""
    if options.executor == "dask":
        from conformance.dask_executor import DaskExecutor

        return DaskExecutor(options.scheduler, workers=max(options.jobs, 1))
    if options.executor != "process":
        raise ConformanceInputError(
            f"unknown executor {options.executor!r}; choose one of {', '.join(EXECUTORS)}"
        )
    if options.jobs <= 0:
        return InProcessExecutor(cases)
    from conformance.pool import ProcessPoolExecutor

    return ProcessPoolExecutor(options.jobs)
