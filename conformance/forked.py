"""Running a function in a forked child that may kill its process: what it returned, or how
the child ended.

A plain ``os.fork``, not ``multiprocessing``: callers may themselves run in a daemonic
multiprocessing child (the shrinker does), which multiprocessing does not let have children.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable
from typing import Any


def run_forked(function: Callable[[], Any], timeout: float) -> tuple[int, Any]:
    """``(exit code, value)`` of ``function()`` called in a forked child given ``timeout``
    seconds (then SIGALRM ends it): code 0 and its value when it returned, 1 when it raised,
    minus the signal number when a signal killed it; the value is None unless it returned."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: call, send the value, and leave without cleaning up
        os.close(read)
        code = 0
        try:
            signal.alarm(max(1, int(timeout)))
            payload = pickle.dumps(function())
            with os.fdopen(write, "wb") as out:
                out.write(payload)
        except BaseException:  # noqa: BLE001 - any way of failing is "did not return"
            code = 1
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as source:  # read before waiting: a large value fills the pipe
        payload = source.read()
    _, status = os.waitpid(pid, 0)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    return code, pickle.loads(payload) if code == 0 and payload else None
