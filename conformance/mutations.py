"""Planted bugs: deliberately broken reference backends that the catalogue must catch.

A conformance harness is only worth trusting if it can fail. Each ``Mutation`` patches
``reference_impl`` in-process (and undoes it afterwards) to break one piece of autograd
semantics the way a real implementation might; ``run_mutation`` runs cases on torch against the
broken backend and reports which cases caught it and why.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.backends import Backend, load_backend
from conformance.case import Case
from conformance.results import CaseResult
from conformance.runner import execute_case


@dataclass(frozen=True)
class Mutation:
    """One planted bug: what it breaks, how to apply it, and the failure it should cause."""

    name: str
    description: str
    #: Substring expected in the ``reason`` of at least one failing case.
    expected_reason: str
    #: Areas where the bug must be caught (at least one failing case in each).
    expected_areas: tuple[str, ...]
    apply: Callable[[], contextlib.AbstractContextManager[None]] = field(repr=False)


@contextlib.contextmanager
def _patched(target: Any, attribute: str, value: Any) -> Iterator[None]:
    original = getattr(target, attribute)
    setattr(target, attribute, value)
    try:
        yield
    finally:
        setattr(target, attribute, original)


@contextlib.contextmanager
def _patched_everywhere(package: str, attribute: str, value: Any) -> Iterator[None]:
    """Patch ``attribute`` in every loaded module of ``package`` that binds the same object, so a
    bug planted in a function still takes effect where another module imported it by name."""
    import sys

    home = sys.modules[package]
    original = getattr(home, attribute)
    holders = [
        module
        for name, module in list(sys.modules.items())
        if (name == package or name.startswith(package.rsplit(".", 1)[0] + "."))
        and getattr(module, attribute, None) is original
    ]
    for module in holders:
        setattr(module, attribute, value)
    try:
        yield
    finally:
        for module in holders:
            setattr(module, attribute, original)


# -- the bugs --------------------------------------------------------------------------------


def _accumulation_overwrites() -> contextlib.AbstractContextManager[None]:
    """Every backward replaces ``.grad`` instead of adding to it."""
    import reference_impl._accumulate  # noqa: F401 - loaded, so it can be patched

    def overwrite(variable: Any, grad: Any) -> None:
        variable._grad = grad.detach().clone()

    return _patched_everywhere("reference_impl._accumulate", "accumulate_into_grad", overwrite)


def _retain_graph_never_frees() -> contextlib.AbstractContextManager[None]:
    """Saved tensors survive every backward, so a second backward silently works."""
    from reference_impl._saved import SavedTensor

    return _patched(SavedTensor, "free", lambda self: None)


def _detach_copies() -> contextlib.AbstractContextManager[None]:
    """``detach()`` copies the data and starts a new version counter."""
    from reference_impl._tensor import Tensor

    def detach(self: Any) -> Any:
        return Tensor._from_array(self._data.copy())

    return _patched(Tensor, "detach", detach)


def _wrong_derivative() -> contextlib.AbstractContextManager[None]:
    """tanh's derivative written as 1 - y instead of 1 - y**2."""
    from reference_impl._ops import pointwise

    def forward(self: Any, g: Any, y: Any) -> Any:
        self.save_input("grad", 0)
        self.save_input("y", 1)
        return g * (1 - y)

    return _patched(pointwise.TanhBackwardBackward0, "forward", forward)


def _different_error_message() -> contextlib.AbstractContextManager[None]:
    """The freed-graph error says something else (same type)."""
    from reference_impl import _saved

    return _patched(_saved, "FREED_GRAPH", "graph already freed; use retain_graph=True")


MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        "accumulation_overwrites",
        "a later backward overwrites .grad instead of accumulating",
        "mismatch (values)",
        ("accumulation",),
        _accumulation_overwrites,
    ),
    Mutation(
        "retain_graph_never_frees",
        "saved tensors are never freed, so a second backward does not raise",
        "mismatch (kind)",
        ("retain_graph",),
        _retain_graph_never_frees,
    ),
    Mutation(
        "detach_copies",
        "detach() copies instead of sharing storage and version counter",
        "mismatch",
        ("detach_no_grad",),
        _detach_copies,
    ),
    Mutation(
        "wrong_derivative",
        "tanh's vector-Jacobian product uses 1 - y instead of 1 - y**2",
        "mismatch (values)",
        ("op_derivatives",),
        _wrong_derivative,
    ),
    Mutation(
        "different_error_message",
        "the freed-graph RuntimeError has another message",
        "mismatch (message)",
        ("retain_graph",),
        _different_error_message,
    ),
)


def get_mutation(name: str) -> Mutation:
    for mutation in MUTATIONS:
        if mutation.name == name:
            return mutation
    raise KeyError(f"unknown mutation {name!r}; known: {', '.join(m.name for m in MUTATIONS)}")


@dataclass
class MutationReport:
    """What a run against one planted bug found."""

    mutation: str
    cases_run: int
    caught: list[CaseResult]

    @property
    def caught_areas(self) -> set[str]:
        return {r.area for r in self.caught}

    def caught_with(self, reason: str) -> list[CaseResult]:
        return [r for r in self.caught if reason in (r.reason or "")]


def broken_pair(mutation: Mutation, baseline: str = "torch") -> tuple[Backend, Backend]:
    """(baseline, the reference named ``reference+<mutation>``); the bug applies only inside
    ``mutation.apply()``."""
    reference = load_backend("reference")
    return load_backend(baseline), dataclasses.replace(reference, name=f"reference+{mutation.name}")


def run_mutation(
    mutation: Mutation, cases: Sequence[Case], run_seed: int = 0, baseline: str = "torch"
) -> MutationReport:
    """Run ``cases`` on ``baseline`` against ``reference_impl`` with ``mutation`` applied."""
    pair = broken_pair(mutation, baseline)
    caught = []
    with mutation.apply():
        for case in cases:
            result = execute_case(case, pair, run_seed)
            if result.outcome == "fail":
                caught.append(result)
    return MutationReport(mutation.name, len(cases), caught)
