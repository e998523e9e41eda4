"""How to run: the options every part of a run reads (the CLI builds them, executors and workers
receive them), kept apart so none of those modules has to import another to see them."""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.catalogue import DEFAULT_PACKAGE
from conformance.tolerances import ToleranceTable


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
    #: A worker reads its resident memory every this many cases; past ``recycle_growth`` times
    #: its first reading it is replaced after its last result (``conformance.pool``).
    memory_check_every: int = 1000
    recycle_growth: float = 1.05
