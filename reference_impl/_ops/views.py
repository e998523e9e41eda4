"""View ops: outputs share storage and version counter with their input.

Each view remembers its base and the chain of view ops that made it (``ViewInfo``), which is
what in-place writes through views need (see ``inplace.CopySlices``).
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from .._layout import CONTIGUOUS
from .._node import Node, gradient_edge
from .._size import shape_str
from .._tensor import Tensor, ViewInfo, _wrap_dim
from .._view_guard import ViewGuard
from .base import Op


class ViewOp(Op):
    """An op whose forward returns a NumPy view of its (single) input."""

    jvp_linear = True

    @classmethod
    def invoke(cls, t: Tensor, **params: Any) -> Tensor:
        out: Tensor = super().invoke(t, **params)
        if t._view is None:
            out._view = ViewInfo(t, ((cls, params),))
        else:
            out._view = ViewInfo(t._view.base, (*t._view.steps, (cls, params)))
        out._version_counter = t._version_counter
        out._view_version = t._version_counter.value
        out._is_inference = t._is_inference
        return out


class AsStridedBackward0(Node):
    """A view's history regenerated after its base was written in place."""

    def __init__(self, view: ViewInfo) -> None:
        super().__init__()
        self.steps = view.steps
        base = view.base
        self.base_meta = (tuple(base.shape), base.dtype)
        self._next_edges = (gradient_edge(base),)

    @classmethod
    def rebase_view(cls, t: Tensor, view: ViewInfo) -> None:
        node = cls(view)
        old, old_nr = t._grad_fn, t._output_nr
        t._grad_fn = node
        t._output_nr = node.add_output(t)
        t._view_version = t._version_counter.value
        if t._retains_grad:  # torch moves the retains_grad hook to the regenerated node
            if old is not None:
                old._retains_grad.pop(old_nr, None)
            node._retains_grad[t._output_nr] = weakref.ref(t)

    def apply(self, grads: list[Tensor | None]) -> list[Tensor | None]:
        (grad,) = grads
        if grad is None:
            return [None]
        shape, dtype = self.base_meta
        result = Tensor._from_array(np.zeros(shape, dtype=dtype.numpy))
        ViewInfo(result, self.steps).replay(result).copy_(grad)
        # torch's as_strided_backward returns the storage as_strided to the input's geometry
        # (so a create_graph gradient's node is AsStridedBackward0, after CopySlices)
        return [result.as_strided(shape, _contiguous_strides(shape))]


def _contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def _scatter_back(grad: Tensor, shape: tuple[int, ...], region: Any) -> Tensor:
    """The adjoint of taking ``region`` of a tensor of ``shape``: zeros elsewhere."""
    from .indexing import embed

    return embed(grad, shape, region)


class SelectBackward0(ViewOp):
    def forward(self, a: np.ndarray, dim: int, index: int) -> np.ndarray:
        self.shape = a.shape
        self.region = (slice(None),) * dim + (index,)
        return a[(*self.region, Ellipsis)]  # a view even when the result is 0-d

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (_scatter_back(grad, self.shape, self.region),)


class SliceBackward0(ViewOp):
    def forward(self, a: np.ndarray, dim: int, start: int, stop: int, step: int) -> np.ndarray:
        self.shape = a.shape
        self.region = (slice(None),) * dim + (slice(start, stop, step),)
        return a[self.region]

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (_scatter_back(grad, self.shape, self.region),)


class UnsqueezeBackward0(ViewOp):
    def forward(self, a: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        return np.expand_dims(a, dim)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad.squeeze(self.dim),)


def _unsqueeze_to(grad: Tensor, shape: tuple[int, ...], dims: tuple[int, ...]) -> Tensor:
    """torch's ``unsqueeze_to``: ``grad`` unsqueezed at each of ``dims`` (ascending) where
    ``shape`` has a 1 - one ``UnsqueezeBackward0`` each, and ``grad`` itself when none."""
    for d in sorted(dims):
        if shape[d] == 1:
            grad = grad.unsqueeze(d)
    return grad


class SqueezeBackward0(ViewOp):
    """squeeze() of every size-1 dim."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.shape = a.shape
        return a.reshape(tuple(n for n in a.shape if n != 1))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (_unsqueeze_to(grad, self.shape, tuple(range(len(self.shape)))),)


class SqueezeBackward1(ViewOp):
    """squeeze(dim): a no-op when that dim is not 1."""

    def forward(self, a: np.ndarray, dim: int) -> np.ndarray:
        self.shape = a.shape
        self.dims = (dim % a.ndim,) if a.ndim else ()
        return np.squeeze(a, dim) if a.shape[dim] == 1 else a[...]

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (_unsqueeze_to(grad, self.shape, self.dims),)


class SqueezeBackward2(SqueezeBackward1):
    """squeeze(dims) with a tuple of dims."""

    def forward(self, a: np.ndarray, dim: Any) -> np.ndarray:
        self.shape = a.shape
        self.dims = tuple({d % a.ndim for d in dim}) if a.ndim else ()
        dims = tuple(d for d in dim if a.shape[d] == 1)
        return np.squeeze(a, dims) if dims else a[...]


class SqueezeBackward4(SqueezeBackward2):
    """squeeze(dims) as matmul/linear use it for 1-D operands."""


class ViewBackward0(ViewOp):
    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.shape = a.shape
        return view_array(a, shape)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad.reshape(self.shape),)


class ReshapeAliasBackward0(ViewBackward0):
    """reshape of a viewable but non-contiguous tensor: torch records ``_reshape_alias``."""


def reshape_as_torch(t: Tensor, shape: tuple[int, ...]) -> Tensor:
    """torch's reshape node choice: a view of a contiguous tensor (ViewBackward0), an alias of a
    viewable non-contiguous one (ReshapeAliasBackward0), else a contiguous copy viewed
    (CloneBackward0 + UnsafeViewBackward0)."""
    data = t._data
    if data.flags.c_contiguous:
        return ViewBackward0.invoke(t, shape=shape)
    if can_view(data, shape):
        return ReshapeAliasBackward0.invoke(t, shape=shape)
    from .pointwise import CloneBackward0

    return UnsafeViewBackward0.invoke(
        CloneBackward0.invoke(t, memory_format=CONTIGUOUS), shape=shape
    )


class UnsafeViewBackward0(Op):
    """reshape that had to copy (a non-viewable layout): a copy, not a view."""

    jvp_linear = True

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.shape = a.shape
        return np.reshape(a, shape).copy()

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad.reshape(self.shape),)


class ExpandBackward0(ViewOp):
    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.shape = a.shape
        return np.broadcast_to(a, shape)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        from .base import unbroadcast

        return (unbroadcast(grad, self.shape),)


class TransposeBackward0(ViewOp):
    def forward(self, a: np.ndarray, dim0: int, dim1: int) -> np.ndarray:
        self.dims = (dim0, dim1)
        return np.swapaxes(a, dim0, dim1)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad.transpose(*self.dims),)


class TBackward0(ViewOp):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return a.T

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad.t(),)


class PermuteBackward0(ViewOp):
    def forward(self, a: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        self.inverse = tuple(int(i) for i in np.argsort(dims))
        return np.transpose(a, dims)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad.permute(*self.inverse),)


class AliasBackward0(ViewOp):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return a[...]

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad,)


# -- shape arithmetic shared by view/reshape/flatten ------------------------------------------


def infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """Resolve a single -1 like torch, with torch's error texts."""
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{shape_str(shape)}' is invalid for input of size {numel}")
        return tuple(numel // known if s == -1 else s for s in shape)
    if known != numel:
        raise RuntimeError(f"shape '{shape_str(shape)}' is invalid for input of size {numel}")
    return shape


VIEW_STRIDE_ERROR = (
    "view size is not compatible with input tensor's size and stride (at least one dimension "
    "spans across two contiguous subspaces). Use .reshape(...) instead."
)


def view_array(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A NumPy view with the new shape, or torch's error when the strides do not allow one."""
    try:
        return np.reshape(a, shape, copy=False)
    except ValueError:
        raise RuntimeError(VIEW_STRIDE_ERROR) from None


def can_view(a: np.ndarray, shape: tuple[int, ...]) -> bool:
    try:
        np.reshape(a, shape, copy=False)
    except ValueError:
        return False
    return True


def normalize_dims(dims: Any, ndim: int) -> tuple[int, ...]:
    if isinstance(dims, int):
        dims = (dims,)
    return tuple(_wrap_dim(int(d), ndim) for d in dims)


class _MultiViewOp(Op):
    """split/chunk/unbind: several views of one input from one node.

    torch forbids in-place writes to these outputs when autograd records; each output
    remembers its position for that error (see ``inplace.check_inplace``).
    """

    jvp_linear = True

    @classmethod
    def invoke(cls, t: Tensor, **params: Any) -> tuple[Tensor, ...]:
        outs: tuple[Tensor, ...] = super().invoke(t, **params)
        base = t if t._view is None else t._view.base
        prefix = () if t._view is None else t._view.steps
        for i, (out, step) in enumerate(zip(outs, cls.view_steps(t, **params), strict=True)):
            out._view = ViewInfo(base, (*prefix, step))
            out._version_counter = t._version_counter
            out._view_version = t._version_counter.value
            out._view_guard = ViewGuard(cls.__name__, i, custom_function=False)
        return outs

    @classmethod
    def view_steps(cls, t: Tensor, **params: Any) -> list[tuple[Any, dict[str, Any]]]:
        raise NotImplementedError


class SplitBackward0(_MultiViewOp):
    def forward(self, a: np.ndarray, dim: int, sizes: tuple[int, ...]) -> tuple[np.ndarray, ...]:
        self.dim = dim
        bounds = np.cumsum((0, *sizes))
        return tuple(
            a[(slice(None),) * dim + (slice(int(s), int(e)),)]
            for s, e in zip(bounds[:-1], bounds[1:], strict=True)
        )

    @classmethod
    def view_steps(cls, t: Tensor, dim: int, sizes: tuple[int, ...]) -> list[Any]:
        bounds = np.cumsum((0, *sizes))
        return [
            (SliceBackward0, {"dim": dim, "start": int(s), "stop": int(e), "step": 1})
            for s, e in zip(bounds[:-1], bounds[1:], strict=True)
        ]

    def backward(self, *grads: Tensor | None) -> tuple[Tensor]:
        from .joining import cat

        return (cat(list(grads), self.dim),)


class SplitWithSizesBackward0(SplitBackward0):
    """split with a list of sizes: a separate node class in torch."""


class UnbindBackward0(_MultiViewOp):
    def forward(self, a: np.ndarray, dim: int) -> tuple[np.ndarray, ...]:
        self.dim = dim
        return tuple(a[(slice(None),) * dim + (i, Ellipsis)] for i in range(a.shape[dim]))

    @classmethod
    def view_steps(cls, t: Tensor, dim: int) -> list[Any]:
        return [(SelectBackward0, {"dim": dim, "index": i}) for i in range(t.shape[dim])]

    def backward(self, *grads: Tensor | None) -> tuple[Tensor]:
        from .joining import stack

        return (stack(list(grads), self.dim),)


# -- the *_copy ops: a view op's values in fresh memory (issue 13, round 3) --------------------

_COPY_VARIANTS: dict[tuple[type, str], type[Op]] = {}
_plain_invoke = Op.invoke.__func__  # type: ignore[attr-defined]


def copy_variant(cls: type[Op], name: str | None = None) -> type[Op]:
    """The op torch's ``<view>_copy`` records: ``cls``'s values copied out (no aliasing, no view
    tracking) with ``cls``'s backward, named ``<node>_copy`` (torch's names for them) unless
    ``name`` says otherwise (narrow_copy: NarrowCopyBackward0)."""
    key = (cls, name or f"{cls.__name__}_copy")
    found = _COPY_VARIANTS.get(key)
    if found is None:

        def forward(self: Op, *arrays: np.ndarray, **params: Any) -> Any:
            out = cls.forward(self, *arrays, **params)
            if isinstance(out, tuple):
                return tuple(np.array(o, copy=True) for o in out)
            return np.array(out, copy=True)

        namespace = {
            "forward": forward,
            "invoke": classmethod(_plain_invoke),
            "__module__": __name__,
            "__qualname__": key[1],
            "__doc__": f"{cls.__name__}'s values as a fresh tensor.",
        }
        found = _COPY_VARIANTS[key] = type(key[1], (cls,), namespace)
    return found


#: narrow_copy: a slice of dim copied out.
NarrowCopyBackward0 = copy_variant(SliceBackward0, "NarrowCopyBackward0")
#: unsafe_split / unsafe_chunk: split's pieces as fresh tensors, no view tracking.
UnsafeSplitBackward0 = copy_variant(SplitBackward0, "UnsafeSplitBackward0")
