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

from conformance.backends import Backend
from conformance.case import Case
from conformance.registry import load_backend
from conformance.results import CaseResult
from conformance.runner import execute_case


@dataclass(frozen=True)
class Mutation:
    """One planted bug: what it breaks, how to apply it, and the failure it must cause."""

    name: str
    description: str
    #: Areas where the bug must be caught (at least one failing case in each).
    expected_areas: tuple[str, ...]
    #: A catalogue case that pins the broken behaviour: it must fail, with ``expected_reason``.
    witness: str
    #: The exact ``reason`` of the witness's failing result: which observations differ and how.
    expected_reason: str
    apply: Callable[[], contextlib.AbstractContextManager[None]] = field(repr=False)


@contextlib.contextmanager
def patched(target: Any, attribute: str, value: Any) -> Iterator[None]:
    """``target.attribute`` set to ``value`` while the block runs, and put back after (a planted
    bug; the bench's probe into the pipeline)."""
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

    return patched(SavedTensor, "free", lambda self: None)


def _detach_copies() -> contextlib.AbstractContextManager[None]:
    """``detach()`` copies the data and starts a new version counter."""
    from reference_impl._tensor import Tensor

    def detach(self: Any) -> Any:
        return Tensor._from_array(self._data.copy())

    return patched(Tensor, "detach", detach)


def _wrong_derivative() -> contextlib.AbstractContextManager[None]:
    """tanh's derivative written as 1 - y instead of 1 - y**2."""
    from reference_impl._ops import pointwise

    def forward(self: Any, g: Any, y: Any) -> Any:
        self.save_input("grad", 0)
        self.save_input("y", 1)
        return g * (1 - y)

    return patched(pointwise.TanhBackwardBackward0, "forward", forward)


def _different_error_message() -> contextlib.AbstractContextManager[None]:
    """The freed-graph error says something else (same type)."""
    from reference_impl import _saved

    return patched(_saved, "FREED_GRAPH", "graph already freed; use retain_graph=True")


def _hook_result_ignored() -> contextlib.AbstractContextManager[None]:
    """Tensor hooks run, but what they return never replaces the gradient."""
    from reference_impl import _engine

    run_hooks = _engine._call_tensor_pre_hooks

    def ignore_results(node: Any, grads: list[Any]) -> list[Any]:
        run_hooks(node, list(grads))
        return grads

    return patched(_engine, "_call_tensor_pre_hooks", ignore_results)


def _custom_backward_count_unchecked() -> contextlib.AbstractContextManager[None]:
    """A custom backward returning too many or too few grads is padded or cut silently."""
    from reference_impl.autograd import function

    user_backward = function._user_backward

    def lenient(cls: Any) -> Any:
        backward = user_backward(cls)
        if backward is None:
            return None

        def padded(ctx: Any, *grads: Any) -> tuple[Any, ...]:
            result = backward(ctx, *grads)
            result = result if isinstance(result, tuple) else (result,)
            expected = len(ctx._is_tensor_input)
            return (*result, *[None] * expected)[:expected]

        return padded

    return patched(function, "_user_backward", lenient)


def _inplace_keeps_version() -> contextlib.AbstractContextManager[None]:
    """In-place writes never move the version counter, so stale saved tensors go unnoticed."""
    from reference_impl._tensor import VersionCounter

    return patched(VersionCounter, "bump", lambda self: None)


def _create_graph_ignored() -> contextlib.AbstractContextManager[None]:
    """Backward never records a graph of its own, so grads of grads are impossible."""
    from reference_impl import _engine

    run_backward = _engine.run_backward

    def without_graph(*args: Any, **kwargs: Any) -> Any:
        return run_backward(*args, **{**kwargs, "create_graph": False})

    return _patched_everywhere("reference_impl._engine", "run_backward", without_graph)


def _gradient_weights_ignored() -> contextlib.AbstractContextManager[None]:
    """``gradient=`` / ``grad_outputs=`` are checked, then every weight is taken to be 1."""
    from reference_impl.autograd import _api

    make_grads = _api._make_grads

    def all_ones(outputs: Any, grads: Any) -> list[Any]:
        return [None if g is None else g.new_ones(g.shape) for g in make_grads(outputs, grads)]

    return patched(_api, "_make_grads", all_ones)


MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        name="accumulation_overwrites",
        description="a later backward overwrites .grad instead of accumulating",
        expected_areas=("accumulation",),
        witness="accumulation/repeated_backward_accumulates",
        expected_reason="x.grad: mismatch (values)",
        apply=_accumulation_overwrites,
    ),
    Mutation(
        name="retain_graph_never_frees",
        description="saved tensors are never freed, so a second backward does not raise",
        expected_areas=("retain_graph",),
        witness="retain_graph/second_backward_after_free_raises",
        expected_reason="second: mismatch (kind); x.grad: mismatch (values)",
        apply=_retain_graph_never_frees,
    ),
    Mutation(
        name="detach_copies",
        description="detach() copies instead of sharing storage and version counter",
        expected_areas=("detach_no_grad",),
        witness="detach_no_grad/detach_shares_storage_and_version",
        expected_reason="x: mismatch (values); x._version: mismatch (value)",
        apply=_detach_copies,
    ),
    Mutation(
        name="wrong_derivative",
        description="tanh's vector-Jacobian product uses 1 - y instead of 1 - y**2",
        expected_areas=("op_derivatives",),
        witness="op_derivatives/tanh_float64",
        expected_reason="grad.x: mismatch (values)",
        apply=_wrong_derivative,
    ),
    Mutation(
        name="different_error_message",
        description="the freed-graph RuntimeError has another message",
        expected_areas=("retain_graph",),
        witness="retain_graph/second_backward_after_free_raises",
        expected_reason="second: mismatch (message)",
        apply=_different_error_message,
    ),
    Mutation(
        name="hook_result_ignored",
        description="a tensor hook's return value does not replace the gradient",
        expected_areas=("hooks",),
        witness="hooks/leaf_hook_return_changes_grad",
        expected_reason="x.grad: mismatch (values)",
        apply=_hook_result_ignored,
    ),
    Mutation(
        name="custom_backward_count_unchecked",
        description="a custom backward returning too many or too few grads is not refused",
        expected_areas=("custom_function",),
        witness="custom_function/too_many_grads_errors",
        expected_reason="backward: mismatch (kind); x.grad: mismatch (kind)",
        apply=_custom_backward_count_unchecked,
    ),
    Mutation(
        name="inplace_keeps_version",
        description="in-place ops do not bump the version counter (stale saves go unnoticed)",
        expected_areas=("inplace_version",),
        witness="inplace_version/saved_sigmoid_output_modified_errors",
        expected_reason="y._version: mismatch (value); backward: mismatch (kind)",
        apply=_inplace_keeps_version,
    ),
    Mutation(
        name="create_graph_ignored",
        description="backward(create_graph=True) records no graph for the grads",
        expected_areas=("higher_order",),
        witness="higher_order/create_graph_implies_retain_graph",
        expected_reason="g1: mismatch (requires_grad, is_leaf, grad_fn)",
        apply=_create_graph_ignored,
    ),
    Mutation(
        name="gradient_weights_ignored",
        description="the gradient= weights are replaced by ones",
        expected_areas=("gradient_weights",),
        witness="gradient_weights/vjp_zero_weights_give_zeros",
        expected_reason="x.grad: mismatch (values)",
        apply=_gradient_weights_ignored,
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
