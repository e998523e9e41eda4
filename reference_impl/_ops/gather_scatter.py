"""Index-driven copies along a dim: gather, scatter, scatter_add, index_select, index_add, take.

Each pair is the other's adjoint: gather's gradient is a scatter_add into zeros, scatter_add's
source gradient is a gather, index_select's is an index_add, take's is an add at flat indices.
Index tensors are ``tensor_params``: saved and version-checked like torch's, never differentiated.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from .base import Op
from .pointwise import _const


def _check_index(index: np.ndarray, op: str) -> None:
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index")


def _along_key(index: np.ndarray, dim: int) -> tuple[np.ndarray, ...]:
    """The advanced-index key that addresses ``x[..., index[i], ...]`` along ``dim``: the index
    itself at ``dim``, open grids (an arange per dim) everywhere else."""
    if index.ndim == 0:
        return (index.reshape(()),)
    grids = np.ogrid[tuple(slice(0, n) for n in index.shape)]
    return tuple(index if d == dim else grids[d] for d in range(index.ndim))


def _wrap(index: np.ndarray, size: int) -> np.ndarray:
    if index.size and (index.min() < -size or index.max() >= size):
        bad = int(index.max() if index.max() >= size else index.min())
        raise RuntimeError(f"index {bad} is out of bounds for dimension with size {size}")
    return np.where(index < 0, index + size, index)


def _zeros_like(t: Tensor) -> Tensor:
    return _const(np.zeros(tuple(t.shape)), t)


class GatherBackward0(Op):
    """out[i][j] = self[index[i][j]][j] (dim 0); index may be smaller than self elsewhere."""

    jvp_linear = True

    tensor_params = ("index",)

    def forward(self, a: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
        _check_index(index, "gather")
        self.dim, self.shape = dim, a.shape
        self.save_param("index", index)
        if index.size == 0:  # an empty index may have any number of dims
            return np.zeros(index.shape, dtype=a.dtype)
        if a.ndim == 0:
            return np.broadcast_to(a, index.shape).copy()
        return np.asarray(a[_along_key(_wrap(index, a.shape[dim]), dim)])

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        index = self.saved("index")
        zeros = Tensor._from_array(np.zeros(self.shape, dtype=grad._data.dtype))
        return (ScatterAddBackward0.invoke(zeros, grad, dim=self.dim, index=index),)


def _index_src(src: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The part of src that index addresses (src may be larger than index)."""
    if src.ndim == 0:
        return np.broadcast_to(src, index.shape)
    return src[tuple(slice(0, n) for n in index.shape)]


class ScatterAddBackward0(Op):
    """self with src[i][j] added at [index[i][j]][j] (dim 0); duplicates accumulate."""

    jvp_linear = True

    tensor_params = ("index",)

    def forward(self, a: np.ndarray, src: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
        _check_index(index, "scatter_add")
        self.dim, self.src_shape = dim, src.shape
        self.save_param("index", index)
        out = np.array(a, copy=True)
        if index.size == 0:
            return out
        if a.ndim == 0:
            return out + _index_src(src, index).sum()
        np.add.at(out, _along_key(_wrap(index, a.shape[dim]), dim), _index_src(src, index))
        return out

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        g_src = None
        if self.needs_input_grad[1]:
            gathered = GatherBackward0.invoke(grad, dim=self.dim, index=self.saved("index"))
            g_src = _fit(gathered, self.src_shape)
        return grad, g_src


def _fit(grad: Tensor, shape: tuple[int, ...]) -> Tensor:
    """A gradient of index's shape placed into zeros of src's (larger) shape."""
    if tuple(grad.shape) == tuple(shape):
        return grad
    from .indexing import embed

    return embed(grad, shape, tuple(slice(0, n) for n in grad.shape))


class ScatterBackward0(Op):
    """self with src[i][j] written at [index[i][j]][j] (dim 0)."""

    jvp_linear = True

    tensor_params = ("index",)

    def forward(self, a: np.ndarray, src: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
        _check_index(index, "scatter")
        self.dim, self.src_shape = dim, src.shape
        self.save_param("index", index)
        out = np.array(a, copy=True)
        if a.ndim == 0:
            return _index_src(src, index).reshape(-1)[-1].copy() if index.size else out
        out[_along_key(_wrap(index, a.shape[dim]), dim)] = _index_src(src, index)
        return out

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        index = self.saved("index")
        g_self = ScatterBackward1.invoke(grad, dim=self.dim, index=index, value=0.0)
        g_src = None
        if self.needs_input_grad[1]:
            g_src = _fit(GatherBackward0.invoke(grad, dim=self.dim, index=index), self.src_shape)
        return g_self, g_src


class ScatterBackward1(Op):
    """self with a Python number written at the indexed places."""

    tensor_params = ("index",)

    def forward(self, a: np.ndarray, dim: int, index: np.ndarray, value: Any) -> np.ndarray:
        _check_index(index, "scatter")
        self.dim = dim
        self.save_param("index", index)
        out = np.array(a, copy=True)
        if a.ndim == 0:
            return np.asarray(value, dtype=a.dtype) if index.size else out
        out[_along_key(_wrap(index, a.shape[dim]), dim)] = value
        return out

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (ScatterBackward1.invoke(grad, dim=self.dim, index=self.saved("index"), value=0.0),)

    def jvp(self, t: Tensor) -> Tensor:
        return ScatterBackward1.invoke(t, **{**self.fw_param_dict(), "value": 0.0})


class IndexSelectBackward0(Op):
    """self's slices at ``index`` along ``dim``."""

    jvp_linear = True

    tensor_params = ("index",)

    def forward(self, a: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
        if index.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        _check_index(index, "index_select")
        self.dim, self.shape = dim, a.shape
        self.save_param("index", index)
        if a.ndim == 0:
            return a.copy()
        return np.take(a, _wrap(index.reshape(-1), a.shape[dim]), axis=dim)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        zeros = Tensor._from_array(np.zeros(self.shape, dtype=grad._data.dtype))
        return (IndexAddBackward0.invoke(zeros, grad, dim=self.dim, index=self.saved("index")),)


class IndexAddBackward0(Op):
    """self + alpha * source added at ``index`` along ``dim`` (duplicates accumulate)."""

    jvp_linear = True

    tensor_params = ("index",)

    def forward(
        self, a: np.ndarray, source: np.ndarray, dim: int, index: np.ndarray, alpha: Any = 1
    ) -> np.ndarray:
        _check_index(index, "index_add")
        self.dim, self.alpha, self.source_shape = dim, alpha, source.shape
        self.save_param("index", index)
        out = np.array(a, copy=True)
        src = source * np.asarray(alpha, dtype=a.dtype) if alpha != 1 else source
        if a.ndim == 0:
            return out + src.sum()
        idx = _wrap(index.reshape(-1), a.shape[dim])
        moved = np.moveaxis(out, dim, 0)
        np.add.at(moved, idx, np.moveaxis(src.reshape(src.shape or (1,)), dim, 0))
        return out

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        g_source = None
        if self.needs_input_grad[1]:
            g_source = IndexSelectBackward0.invoke(grad, dim=self.dim, index=self.saved("index"))
            if self.alpha != 1:
                g_source = g_source * self.alpha
            g_source = g_source.reshape(self.source_shape)
        return grad, g_source


class TakeBackward0(Op):
    """self viewed flat, read at ``index`` (any shape)."""

    jvp_linear = True

    tensor_params = ("index",)

    def forward(self, a: np.ndarray, index: np.ndarray) -> np.ndarray:
        _check_index(index, "take")
        self.shape = a.shape
        self.save_param("index", index)
        return a.reshape(-1)[_wrap(index, max(a.size, 1))].copy()

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        from .indexing import embed

        flat_index = _wrap(self.saved("index")._data, int(np.prod(self.shape)))
        flat = embed(grad.reshape(-1), (int(np.prod(self.shape)),), (flat_index.reshape(-1),))
        return (flat.reshape(self.shape),)
