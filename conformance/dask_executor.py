"""Cases on a Dask cluster: ``--executor dask`` (``pip install .[dask]``).

With no scheduler address the run starts a ``LocalCluster`` of ``--jobs`` single-threaded worker
processes inside itself; with ``--scheduler tcp://HOST:PORT`` (or ``DASK_SCHEDULER_ADDRESS``) it
submits to a running cluster whose workers have this package and the backends installed.

Tasks carry only a case id and the run options; a worker rebuilds the case with
``resolve_case`` (a generated program is redrawn from its id and the seed) and keeps its backend
pair between tasks. The client keeps at most two tasks per worker thread in flight and writes
each result as it completes, so a million-program campaign holds a few dozen futures at a time.

Dask cannot interrupt a task running in a worker thread: a case past its timeout is recorded as
an ``error`` (timed out) and its future released, but the thread runs on until the case returns.
A case that kills its worker process comes back as an ``error`` once Dask gives up on it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from conformance.errors import ConformanceInputError

if TYPE_CHECKING:
    from conformance.backends import Backend
    from conformance.executors import Finish, Start
    from conformance.options import RunOptions
    from conformance.results import CaseResult

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
IN_FLIGHT_PER_THREAD = 2


#: Backend pairs this worker process has loaded, by what determines them.
_PAIRS: dict[tuple[Any, ...], tuple[Backend, Backend]] = {}


def _worker_pair(options: RunOptions) -> tuple[Backend, Backend]:
    from conformance.pool import prepare_worker

    key = (options.backends, options.cases_package, options.threads)
    if key not in _PAIRS:
        _PAIRS[key] = prepare_worker(options)
    return _PAIRS[key]


def run_case_task(case_id: str, options: RunOptions) -> CaseResult:
    """The Dask task: one case, by id, on this worker's backend pair."""
    from conformance.pool import run_remote

    return run_remote(case_id, _worker_pair(options), options)


def _client(address: str | None, workers: int) -> Any:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConformanceInputError(
            "--executor dask needs Dask: pip install 'autograd-conformance[dask]'"
        ) from None
    address = address or os.environ.get(SCHEDULER_ENV) or None
    if address:
        try:
            return Client(address, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise ConformanceInputError(f"cannot reach Dask scheduler {address}: {exc}") from None
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(cluster)


class DaskExecutor:
    """Submit case ids to a Dask cluster (embedded ``LocalCluster`` when no address is given)."""

    def __init__(self, address: str | None = None, workers: int = 2) -> None:
        self.address = address
        self.workers = workers

    def run(
        self, case_ids: Iterable[str], options: RunOptions, finish: Finish, start: Start
    ) -> None:
        from distributed import as_completed

        from conformance.execution import timeout_result

        client = _client(self.address, self.workers)
        owns_cluster = not (self.address or os.environ.get(SCHEDULER_ENV))
        try:
            threads = max(sum(client.nthreads().values()), 1)
            window = threads * IN_FLIGHT_PER_THREAD
            ids = iter(case_ids)
            deadlines: dict[Any, tuple[str, float]] = {}
            running = as_completed()

            def submit_next() -> bool:
                case_id = next(ids, None)
                if case_id is None:
                    return False
                start(case_id)
                future = client.submit(run_case_task, case_id, options, key=f"case-{case_id}")
                # a task may wait behind one other on its worker thread: allow it two timeouts
                deadline = (
                    time.monotonic() + (options.timeout or float("inf")) * IN_FLIGHT_PER_THREAD
                )
                deadlines[future] = (case_id, deadline)
                running.add(future)
                return True

            while len(deadlines) < window and submit_next():
                pass
            while deadlines:
                done = running.next_batch(block=False) if not running.is_empty() else []
                if not done:
                    time.sleep(0.01)
                for future in done:
                    if future not in deadlines:
                        continue  # released after its timeout
                    case_id, _ = deadlines.pop(future)
                    finish(self._result(future, case_id, options))
                    submit_next()
                now = time.monotonic()
                for future, (case_id, deadline) in list(deadlines.items()):
                    if now > deadline:
                        del deadlines[future]
                        future.release()
                        reason = f"timed out after {options.timeout:g}s on a Dask worker"
                        finish(timeout_result(case_id, options, reason))
                        submit_next()
        finally:
            cluster = client.cluster if owns_cluster else None
            client.close()
            if cluster is not None:
                cluster.close()

    @staticmethod
    def _result(future: Any, case_id: str, options: RunOptions) -> CaseResult:
        from conformance.execution import timeout_result

        try:
            result: CaseResult = future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker is the case's error, not ours
            return timeout_result(
                case_id, options, f"Dask task failed: {type(exc).__name__}: {exc}"
            )
        return result
