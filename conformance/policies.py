"""Comparison policies: what a backend pair may legitimately differ in, declared in one place.

Eager torch and a compiled torch build different graphs on purpose (one
``CompiledFunctionBackward`` node where eager has ``MulBackward0``) and Dynamo wraps the
exceptions it meets (``TorchRuntimeError`` around a ``RuntimeError``). A policy names those
differences so they stop drowning real ones; it is shown in the report, the differences it
ignores are still recorded and counted, and it can never ignore values, gradients or flags.
"""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass

from conformance.errors import ConformanceInputError
from conformance.facets import GRAPH, SAVED

#: Facets a policy may ignore: how the graph is built (node names, how many tensors it saves),
#: never values, meta, flags, versions, errors or crashes.
IGNORABLE = frozenset({GRAPH, SAVED})


@dataclass(frozen=True)
class ComparisonPolicy:
    """How one backend pair is compared.

    ``ignore``: facets whose differences are recorded as ``ignored`` instead of failing the case.
    ``unwrap_errors``: an exception that wraps another (``raise Wrapper(...) from cause``, as
    Dynamo does) is compared as the exception it wraps.
    """

    name: str
    ignore: tuple[str, ...] = ()
    unwrap_errors: bool = False
    why: str = ""

    def __post_init__(self) -> None:
        hidden = set(self.ignore) - IGNORABLE
        if hidden:
            raise ConformanceInputError(
                f"policy {self.name!r} may not ignore {', '.join(sorted(hidden))}: "
                "a policy never hides a value, gradient, flag or error difference"
            )

    def describe(self) -> str:
        parts = [f"ignores {', '.join(self.ignore)} differences"] if self.ignore else []
        if self.unwrap_errors:
            parts.append("compares wrapped exceptions as the exception they wrap")
        return "; ".join(parts) or "compares every facet"


STRICT = ComparisonPolicy("strict", why="the same program on two eager engines: every facet")

COMPILED = ComparisonPolicy(
    "compiled",
    ignore=(GRAPH, SAVED),
    unwrap_errors=True,
    why=(
        "a compiled graph replaces eager nodes by CompiledFunctionBackward (and compiled autograd "
        "by its own nodes) and saves what its partitioner chooses (saved-tensor hooks pack fewer "
        "tensors), and Dynamo raises TorchRuntimeError/BackendCompilerFailed from the error eager "
        "torch raises"
    ),
)

#: (baseline pattern, candidate pattern, policy): the first match applies, in either order.
POLICIES: tuple[tuple[str, str, ComparisonPolicy], ...] = (
    ("torch*", "torch-compile*", COMPILED),
    ("torch*", "torch-compiled-autograd*", COMPILED),
    ("reference", "torch-compile*", COMPILED),
    ("reference", "torch-compiled-autograd*", COMPILED),
)


@functools.cache  # asked once per case; the table is a constant
def policy_for(baseline: str, candidate: str) -> ComparisonPolicy:
    """The policy for a pair of backend names (``STRICT`` when none is declared)."""
    for left, right, policy in POLICIES:
        for a, b in ((baseline, candidate), (candidate, baseline)):
            if fnmatch.fnmatchcase(a, left) and fnmatch.fnmatchcase(b, right):
                return policy
    return STRICT
