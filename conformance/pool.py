"""The default executor: worker processes on this machine, fed case ids as they free up.

Each worker imports its backends once, sets torch to one thread (``RunOptions.threads``), and
turns each case id it receives into a case with ``resolve_case``, so only ids cross the pipe and
the parent never holds more than ``IN_FLIGHT`` cases per worker: the next id waits in the pipe
while the worker runs the current one, so a worker never idles while the parent (which shares
the cores) writes a result. The parent kills a worker whose case runs past the timeout
(recording an ``error`` outcome) and starts another, and records a crashed worker the same way;
the cases queued behind the one that failed go back to the front of the queue. A worker whose
memory grows (``MemoryWatch``) is replaced after its last result, so long campaigns stay as
small as short ones.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from conformance.errors import ConformanceInputError
from conformance.results import CaseResult
from conformance.sources import prepare_sources

if TYPE_CHECKING:
    from conformance.backends import Backend
    from conformance.executors import Finish, Start
    from conformance.options import RunOptions
    from conformance.results import CaseResult

STARTUP_LIMIT = 300.0  # seconds a worker may take to import its backends
#: Case ids handed to a worker at once: the one it runs and the next, already in its pipe.
IN_FLIGHT = 2
PHASE_BYTES = 64


def resident_bytes() -> int | None:
    """This process's resident set size now (Linux ``/proc``; None elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


@dataclass
class MemoryWatch:
    """Counts a worker's cases and says when it has grown enough to be replaced.

    Every ``every`` cases it reads the resident memory. The first reading is the baseline
    (imports done, caches warm); past ``growth`` times it, the worker hands in its last result
    and exits, and a fresh one takes its place, so a campaign of any length keeps the memory of
    a short one whatever accumulates in torch or the allocator."""

    every: int
    growth: float
    read: Callable[[], int | None] = resident_bytes
    cases: int = 0
    baseline: int | None = None

    def grown(self) -> bool:
        self.cases += 1
        if self.cases % self.every:
            return False
        now = self.read()
        if now is None:
            return False
        if self.baseline is None:
            self.baseline = now
            return False
        return now > self.baseline * self.growth


def prepare_worker(options: RunOptions) -> tuple[Backend, Backend]:
    """What every worker process does once: prepare the case sources (import the catalogue),
    load the backend pair, and enter the run's settings for good (torch's threads pinned so
    workers do not fight over the cores, the imports frozen out of the collector's sight). The
    collector is off until they are frozen: a spawned worker imports torch here."""
    from conformance.execution import load_pair
    from conformance.process_settings import apply_run_settings, collector_paused

    with collector_paused():
        prepare_sources(options.cases_package)
        pair = load_pair(options.backends)
        apply_run_settings(options)  # a worker process lives for its run: never undone
    return pair


def run_remote(
    case_id: str,
    pair: tuple[Backend, Backend],
    options: RunOptions,
    on_phase: Callable[[str], None] | None = None,
) -> CaseResult:
    """What a worker (a pool process or a Dask task) does with a case id: rebuild the case, run
    it, and serialise the result there, so the process writing the stream only copies lines."""
    from conformance.execution import built_case, execute_case
    from conformance.results import encode

    case = built_case(case_id, options)
    if isinstance(case, CaseResult):
        return encode(case)
    return encode(
        execute_case(
            case, pair, options.seed, options.tolerances, on_phase=on_phase, known=options.known
        )
    )


#: How often an idle worker checks that the run's process is still alive. A worker does not see
#: its pipe close when the run dies: each one holds copies of pipe ends it inherited when it was
#: forked (its own pipe's other end among them), so after the run was killed its workers waited
#: for a case forever, 400 MB each.
PARENT_CHECK_S = 1.0


def _worker_main(conn: Connection, phase: Any, options: RunOptions) -> None:
    """Serve case ids from ``conn``. The current phase (backend name, compare, ...) goes into the
    shared ``phase`` buffer rather than the pipe, so the parent wakes once per case, and reads
    the phase only when it has to say where a case timed out or crashed."""

    def on_phase(name: str) -> None:
        phase.value = name.encode()[:PHASE_BYTES]

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        pair = prepare_worker(options)
    except BaseException as exc:  # noqa: BLE001 - tell the parent, which reports it
        conn.send(("fatal", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    memory = MemoryWatch(options.memory_check_every, options.recycle_growth)
    run = os.getppid()
    while True:
        try:
            while not conn.poll(PARENT_CHECK_S):
                if os.getppid() != run:
                    return  # the run's process died: nobody will send or read again
            case_id = conn.recv()
        except EOFError:
            return
        if case_id is None:
            return
        on_phase("start")  # not the phase the case before ended in
        result = run_remote(case_id, pair, options, on_phase)
        if memory.grown():
            conn.send(("last result", result))  # one message: no case is sent to a leaver
            return
        conn.send(("result", result))


@dataclass
class _Worker:
    process: Any
    conn: Connection
    shared_phase: Any
    ready: bool = False
    #: The ids sent and not yet answered, in the order the worker runs them: the first is the
    #: case it is running, the rest wait in its pipe.
    queued: deque[str] = field(default_factory=deque)
    deadline: float | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def case_id(self) -> str | None:
        """The case the worker is running now."""
        return self.queued[0] if self.queued else None

    def hand(self, case_id: str, options: RunOptions) -> None:
        """Send ``case_id``; the timeout runs from now if the worker was idle, else from when
        it finishes the case before."""
        if not self.queued:  # idle: nothing else writes the phase now
            self.shared_phase.value = b"start"
            self._running(options)
        self.queued.append(case_id)
        # A worker that has left refuses it: its last result (or its death) is still unread in
        # the pipe, and the id, kept queued, goes back to the pending ones when that is read.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.conn.send(case_id)

    def answered(self, options: RunOptions) -> None:
        """The running case's result came: the next queued one (if any) is running now."""
        self.queued.popleft()
        self.deadline = None
        if self.queued:
            self._running(options)

    def _running(self, options: RunOptions) -> None:
        self.deadline = time.monotonic() + options.timeout if options.timeout else None

    @property
    def phase(self) -> str:
        return bytes(self.shared_phase.value).decode(errors="replace")

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.close()
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(2)
            if self.process.is_alive():
                self.process.kill()
        self.process.join(2)


def process_context() -> Any:
    """fork where it is safe (no threads yet: fast start, imports inherited), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class _Lookahead:
    """An iterator of case ids that can say whether more are coming without consuming one,
    and take back ids a departed worker never ran (they come out first, in their order)."""

    def __init__(self, ids: Iterable[str]) -> None:
        self._ids: Iterator[str] = iter(ids)
        self._returned: deque[str] = deque()
        self._next: str | None = next(self._ids, None)

    def __bool__(self) -> bool:
        return bool(self._returned) or self._next is not None

    def pop(self) -> str:
        if self._returned:
            return self._returned.popleft()
        current, self._next = self._next, next(self._ids, None)
        assert current is not None
        return current

    def give_back(self, ids: Iterable[str]) -> None:
        self._returned.extendleft(reversed(list(ids)))


class ProcessPoolExecutor:
    """``jobs`` worker processes; results come back in the order they finish."""

    def __init__(self, jobs: int) -> None:
        self.jobs = max(jobs, 1)
        self.context = process_context()
        self.workers: list[_Worker] = []

    def run(self, case_ids: Iterable[str], options: RunOptions, finish: Finish, start: Start):
        pending = _Lookahead(case_ids)
        try:
            for _ in range(self.jobs if pending else 0):
                self._start(options)
            while pending or any(w.queued for w in self.workers):
                for worker in self.workers:
                    while worker.ready and len(worker.queued) < IN_FLIGHT and pending:
                        case_id = pending.pop()
                        start(case_id)
                        worker.hand(case_id, options)
                self._pump(options, finish, pending)
        finally:
            self._close()

    def _start(self, options: RunOptions) -> None:
        parent, child = self.context.Pipe()
        phase = self.context.Array("c", PHASE_BYTES, lock=False)
        process = self.context.Process(
            target=_worker_main,
            args=(child, phase, options),
            daemon=True,
            name="conformance-worker",
        )
        process.start()
        child.close()
        self.workers.append(_Worker(process, parent, phase))

    def _replace(self, worker: _Worker, options: RunOptions) -> None:
        worker.stop()
        self.workers.remove(worker)
        self._start(options)

    def _close(self) -> None:
        for worker in self.workers:
            if worker.ready and not worker.queued:
                with contextlib.suppress(OSError, ValueError):
                    worker.conn.send(None)
        for worker in self.workers:
            worker.stop()
        self.workers.clear()

    def _pump(self, options: RunOptions, finish: Finish, pending: _Lookahead) -> None:
        from conformance.execution import timeout_result

        now = time.monotonic()
        deadlines = [w.deadline for w in self.workers if w.case_id and w.deadline]
        wait_for = max(0.0, min(deadlines) - now) if deadlines else 1.0
        ready = wait([w.conn for w in self.workers], timeout=min(wait_for, 1.0))
        for worker in list(self.workers):
            if worker.conn in ready:
                try:
                    kind, payload = worker.conn.recv()
                except (EOFError, OSError):
                    self._worker_died(worker, options, finish, pending)
                    continue
                if kind == "ready":
                    worker.ready = True
                elif kind in ("result", "last result"):
                    worker.answered(options)
                    finish(payload)
                    if kind == "last result":
                        self._release(worker, options, pending)
                elif kind == "fatal":
                    raise ConformanceInputError(f"worker could not start: {payload}")
            elif worker.case_id and worker.deadline and time.monotonic() > worker.deadline:
                where = f" while running on {worker.phase}" if worker.phase else ""
                reason = f"timed out after {options.timeout:g}s{where}"
                finish(timeout_result(worker.case_id, options, reason))
                worker.queued.popleft()
                worker.stop()
                self._release(worker, options, pending)
            elif not worker.ready and time.monotonic() - worker.started > STARTUP_LIMIT:
                raise ConformanceInputError(f"worker did not start within {STARTUP_LIMIT:g}s")

    def _release(self, worker: _Worker, options: RunOptions, pending: _Lookahead) -> None:
        """A worker that left (it died, timed out, or outgrew its memory after its last
        result): the cases queued behind go back to the front of the queue, and another worker
        starts while cases are pending."""
        pending.give_back(worker.queued)
        worker.queued.clear()
        worker.process.join(5)
        if pending:
            self._replace(worker, options)
        else:
            worker.stop()
            self.workers.remove(worker)

    def _worker_died(
        self, worker: _Worker, options: RunOptions, finish: Finish, pending: _Lookahead
    ) -> None:
        from conformance.execution import crash_result, timeout_result

        worker.process.join(2)
        code = worker.process.exitcode
        if not worker.ready:
            raise ConformanceInputError(f"worker exited while starting (exit code {code})")
        if worker.case_id is not None and worker.phase in options.backends:
            # The backend under test killed the process: a finding about it, not our error.
            finish(crash_result(worker.case_id, options, worker.phase, code))
        elif worker.case_id is not None:
            where = f" while running on {worker.phase}" if worker.phase else ""
            finish(
                timeout_result(worker.case_id, options, f"worker died (exit code {code}){where}")
            )
        if worker.queued:
            worker.queued.popleft()
        self._release(worker, options, pending)
