"""In-place writes: torch's leaf checks, dtype/shape rules, version bumps and view rebasing.

Writing into a view changes its base, so the base's history becomes a ``CopySlices`` node that
routes the gradient of the written region through the in-place op and the rest of it to the
base's old history; the view itself gets an ``AsStridedBackward0`` into that node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import _dtype as dt
from .._grad_mode import is_grad_enabled, is_inference_mode_enabled
from .._node import Node, gradient_edge
from .._saved import FREED_GRAPH
from .._size import shape_str
from .._tensor import Tensor, ViewInfo

if TYPE_CHECKING:
    from .base import Op

LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
LEAF_DIRTY = "a leaf Variable that requires grad has been used in an in-place operation."
VIEW_OF_LEAF_INPLACE = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)
INFERENCE_INPLACE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
    "clone to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details."
)
OVERLAPPING_WRITE = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation."
)


def check_inplace(t: Tensor, others: tuple[Tensor, ...] = ()) -> None:
    """Refuse in-place writes torch refuses: into grad leaves (or their views) under grad mode.

    torch's ``check_inplace`` asks whether the *view* requires grad and its base is a leaf, not
    whether the base requires grad: a view taken before ``base.requires_grad_(False)`` keeps its
    grad_fn, so writing into it is still refused.
    """
    if not is_grad_enabled():
        return
    grad_fn = t.grad_fn  # a property (it may regenerate a view's history): read it once
    requires_grad = t._requires_grad or grad_fn is not None  # Tensor.requires_grad, inlined
    if not (requires_grad or any(o.requires_grad for o in others)):
        return
    if t._view_guard is not None:
        raise t._view_guard.modified_inplace()
    if t._view is not None and requires_grad and t._view.base.grad_fn is None:
        raise RuntimeError(VIEW_OF_LEAF_INPLACE)
    if requires_grad and grad_fn is None:
        raise RuntimeError(LEAF_INPLACE)


def inference_refusal(t: Tensor) -> RuntimeError | None:
    """The error for writing an inference tensor outside inference_mode.

    torch raises it only *after* the kernel wrote the values, so callers write, then raise.
    """
    if t._is_inference and not is_inference_mode_enabled():
        return RuntimeError(INFERENCE_INPLACE)
    return None


def commit_inplace(t: Tensor, result: np.ndarray) -> None:
    """Write ``result`` into ``t``'s storage with torch's casting and shape rules."""
    target = t._data
    if result.shape != target.shape:
        broadcast = np.broadcast_shapes(result.shape, target.shape)
        if broadcast != target.shape:
            raise RuntimeError(
                f"output with shape {shape_str(target.shape)} doesn't match the broadcast shape "
                f"{shape_str(broadcast)}"
            )
    if _category(result.dtype) > _category(target.dtype):
        raise RuntimeError(
            f"result type {dt.from_numpy_dtype(result.dtype).scalar_name} can't be cast to the "
            f"desired output type {dt.from_numpy_dtype(target.dtype).scalar_name}"
        )
    if not target.flags.writeable or _has_overlap(target):
        raise RuntimeError(OVERLAPPING_WRITE)
    target[...] = result
    t._version_counter.bump()


def _category(np_dtype: np.dtype) -> int:
    return 2 if np_dtype.kind == "f" else (0 if np_dtype.kind == "b" else 1)


def _has_overlap(a: np.ndarray) -> bool:
    return any(s == 0 and n > 1 for s, n in zip(a.strides, a.shape, strict=True))


def set_history_inplace(t: Tensor, node: Op) -> None:
    """Make ``node`` the producer of ``t`` after an in-place op (rebasing views)."""
    view = t._view
    if view is None:
        t._grad_fn = node
        t._output_nr = node.add_output(t)
        _move_retains_grad(t)
        return
    base = view.base
    copy_slices = CopySlices(base, view, node)
    base._grad_fn = copy_slices
    base._output_nr = copy_slices.add_output(base)
    _move_retains_grad(base)  # a base that retains its grad keeps doing so through CopySlices
    from .views import AsStridedBackward0

    AsStridedBackward0.rebase_view(t, view)  # which moves t's retain_grad along


def _move_retains_grad(t: Tensor) -> None:
    """retain_grad follows the tensor to its new history, as torch moves the hook."""
    if t._retains_grad and t._grad_fn is not None:
        import weakref

        t._grad_fn._retains_grad[t._output_nr] = weakref.ref(t)


class CopySlices(Node):
    """The base's history after an in-place write through one of its views."""

    def __init__(self, base: Tensor, view: ViewInfo, fn: Op) -> None:
        super().__init__()
        self.fn: Op | None = fn
        self.steps = view.steps
        self._next_edges = (gradient_edge(base), *fn._next_edges[1:])

    def name(self) -> str:
        return "torch::autograd::CopySlices"

    def apply(self, grads: list[Tensor | None]) -> list[Tensor | None]:
        (grad,) = grads
        if grad is None:
            return [None] * len(self._next_edges)
        if self.fn is None:  # released by an earlier backward, checked after the None grad
            raise RuntimeError(FREED_GRAPH)
        result = grad.clone()
        region = ViewInfo(result, self.steps).replay(result)
        res = self.fn.apply([region.clone()])
        if res[0] is not None:
            region.copy_(res[0])
        else:
            region.zero_()
        return [result, *res[1:]]

    def release_saved(self) -> None:
        """torch's ``release_variables`` drops the wrapped node itself (``fn = nullptr``), so a
        later backward through this node fails even where ``fn`` saved nothing."""
        if self.fn is not None:
            self.fn.release_saved()
        self.fn = None
