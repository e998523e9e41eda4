"""What a run sets in the process that runs its cases (a worker, or this process for
``--jobs 0``), so every executor runs cases under the same conditions."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

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
def run_settings(options: RunOptions) -> Iterator[None]:
    """``apply_run_settings`` for the length of a ``with`` block."""
    undo = apply_run_settings(options)
    try:
        yield
    finally:
        undo()
