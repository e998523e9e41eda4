"""In-place metadata ops: ``t_``, ``transpose_``, ``unsqueeze_``, ``squeeze_``, ``as_strided_``.

They change a tensor's shape and strides, never its values, yet torch treats them as in-place
ops: the version is bumped, a leaf that requires grad is refused, and the tensor's history gains
a node of the in-place overload's name (``TBackward1``, ``UnsqueezeBackward1``,
``SqueezeBackward3/4/5``, ``TransposeBackward1``, ``AsStridedBackward1``) whose backward undoes
the change. A view keeps
its link to its base: the change is appended to the steps that rebuild it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._grad_mode import is_grad_enabled
from ._node import Node, gradient_edge
from ._tensor import Tensor, ViewInfo, _wrap_dim
from ._unsupported import UnsupportedOp


class _MetadataBackward(Node):
    """Gradient of a metadata change: the incoming gradient with the change undone."""

    def __init__(self, undo: Callable[[Tensor], Tensor]) -> None:
        super().__init__()
        self._undo = undo

    def apply(self, grads: list[Tensor | None]) -> list[Tensor | None]:
        (grad,) = grads
        return [None if grad is None else self._undo(grad)]


class TBackward1(_MetadataBackward):
    pass


class TransposeBackward1(_MetadataBackward):
    pass


class UnsqueezeBackward1(_MetadataBackward):
    pass


class AsStridedBackward1(_MetadataBackward):
    """as_strided_: each element read adds its gradient back where it was read from."""


class SqueezeBackward3(_MetadataBackward):
    """squeeze_() of every size-1 dim."""


class SqueezeBackward4(_MetadataBackward):
    """squeeze_(dim)."""


class SqueezeBackward5(_MetadataBackward):
    """squeeze_(dims)."""


def _apply_inplace(
    t: Tensor,
    node_cls: type[_MetadataBackward],
    array: np.ndarray,
    undo: Callable[[Tensor], Tensor],
    replay: tuple[Any, dict[str, Any]],
) -> Tensor:
    """Give ``t`` the new layout ``array`` (a NumPy view of its data) as an in-place op."""
    from ._ops.inplace import check_inplace

    check_inplace(t)
    edge = gradient_edge(t) if is_grad_enabled() and t.requires_grad else None
    t._data = array
    t._version_counter.bump()
    if t._view is not None:
        t._view = ViewInfo(t._view.base, (*t._view.steps, replay))
        t._view_version = t._version_counter.value
    if edge is not None:
        node = node_cls(undo)
        node._next_edges = (edge,)
        t._grad_fn = node
        t._output_nr = node.add_output(t)
    return t


def t_(self: Tensor) -> Tensor:
    from ._ops import views as vw

    if self.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
    return _apply_inplace(self, TBackward1, self._data.T, lambda g: g.t(), (vw.TBackward0, {}))


def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    from ._ops import views as vw

    d0, d1 = _wrap_dim(dim0, self.ndim), _wrap_dim(dim1, self.ndim)
    return _apply_inplace(
        self,
        TransposeBackward1,
        np.swapaxes(self._data, d0, d1),
        lambda g: g.transpose(d0, d1),
        (vw.TransposeBackward0, {"dim0": d0, "dim1": d1}),
    )


def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    from ._ops import views as vw

    d = _wrap_dim(dim, self.ndim + 1)
    return _apply_inplace(
        self,
        UnsqueezeBackward1,
        np.expand_dims(self._data, d),
        lambda g: g.squeeze(d),
        (vw.UnsqueezeBackward0, {"dim": d}),
    )


def squeeze_(self: Tensor, dim: Any = None) -> Tensor:
    from ._ops import views as vw

    shape = tuple(self.shape)
    if dim is None:
        dims = tuple(i for i, n in enumerate(shape) if n == 1)
        node_cls: type[_MetadataBackward] = SqueezeBackward3
        replay: tuple[Any, dict[str, Any]] = (vw.SqueezeBackward0, {})
    elif isinstance(dim, tuple | list):
        dims = tuple(d for d in vw.normalize_dims(dim, self.ndim) if shape[d] == 1)
        node_cls = SqueezeBackward5
        replay = (vw.SqueezeBackward2, {"dim": vw.normalize_dims(dim, self.ndim)})
    else:
        d = _wrap_dim(dim, self.ndim)
        dims = (d,) if shape and shape[d] == 1 else ()
        node_cls = SqueezeBackward4
        replay = (vw.SqueezeBackward1, {"dim": d})
    return _apply_inplace(
        self, node_cls, np.squeeze(self._data, axis=dims), lambda g: g.reshape(shape), replay
    )


def as_strided_(self: Tensor, size: Any, stride: Any, storage_offset: int | None = None) -> Tensor:
    """Re-stride a contiguous tensor over its own elements. ``storage_offset`` counts from the
    tensor's first element (torch counts from its storage's; the two agree for a tensor that
    starts its storage, and for the default, which keeps the current offset)."""
    from ._factories import zeros
    from ._ops import indexing

    if not self._data.flags["C_CONTIGUOUS"]:
        raise UnsupportedOp("as_strided_ of a non-contiguous tensor")
    size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
    offset = int(storage_offset or 0)
    if offset and self._view is not None:
        raise UnsupportedOp("as_strided_ with a storage_offset on a view")
    read = indexing.strided_positions(self._data, size, stride, offset)
    flat = self._data.reshape(-1)[offset:]
    array = np.lib.stride_tricks.as_strided(
        flat, shape=size, strides=tuple(s * self._data.itemsize for s in stride)
    )
    shape, numel = tuple(self.shape), self._data.size
    where = Tensor._from_array(read.reshape(-1).astype(np.int64))

    def undo(grad: Tensor) -> Tensor:
        return zeros(numel, dtype=grad.dtype).index_add(0, where, grad.reshape(-1)).reshape(shape)

    replay = (indexing.AsStridedBackward0, {"size": size, "stride": stride, "storage_offset": 0})
    return _apply_inplace(self, AsStridedBackward1, array, undo, replay)
