"""What a run sets in the process that runs its cases (a worker, or this process for
``--jobs 0``), so every executor runs cases under the same conditions."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from conformance.options import RunOptions


def apply_run_settings(options: RunOptions) -> Callable[[], None]:
    """Set what a run needs in the process that runs its cases, and return what undoes it:
    torch's intra-op threads pinned to ``options.threads`` (on two cores a second thread made
    a tiny op 100x slower under load), and every object alive now (the imports: torch, NumPy,
    the catalogue) frozen out of the garbage collector's sight, so its full collections walk
    only what the cases create."""
    torch = sys.modules.get("torch") if options.threads else None
    before = torch.get_num_threads() if torch is not None else 0
    if torch is not None:
        torch.set_num_threads(options.threads)
    gc.freeze()

    def undo() -> None:
        gc.unfreeze()
        if torch is not None:
            torch.set_num_threads(before)

    return undo


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The garbage collector off for a block that loads what stays alive for the run (the
    backends' modules), and back as it was after. Importing torch with it on ran two full
    collections and dozens of younger ones, 0.12-0.15 s of CPU in the serial start-up
    (profiled: ``gc.callbacks`` around ``load_pair``). Freeze what the block loaded before it
    ends (``apply_run_settings``, ``frozen``): an unfrozen heap re-enabled would be walked at
    the next allocation instead, which only moves the cost."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def frozen() -> Callable[[], None]:
    """Freeze every object alive now out of the collector's sight; return what undoes it (for
    a process that outlives the run: ``main`` called in-process keeps no frozen heap)."""
    gc.freeze()
    return gc.unfreeze


def exit_now(status: int) -> NoReturn:
    """End the process with ``status`` the way the ``conformance`` command ends: everything
    alive frozen out of the collector's sight, the cleanup handlers run (``atexit``: temporary
    files, child processes, logging), every stream flushed, Python's and C's - and then, when
    no other thread is running, ``os._exit``, without tearing the interpreter down.

    With torch loaded the teardown (the final collection over all of torch's objects, then
    unloading every module and library) took 0.3 s and then 0.15 s of a one-program run's
    1.45 s, at the end of every command, and saved nothing the handlers had not. A thread
    still running gets Python's normal exit, which waits for it."""
    gc.freeze()
    if threading.active_count() > 1:
        sys.exit(status)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a reader that left (`| head`) is no error now
            stream.flush()
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).fflush(None)  # what C code wrote to a buffered stdout
    os._exit(status)
