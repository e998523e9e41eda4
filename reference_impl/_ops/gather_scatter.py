"""Index-driven copies along a dim: gather, scatter, scatter_add, index_select, index_add, take.

Each pair is the other's adjoint: gather's gradient is a scatter_add into zeros, scatter_add's
source gradient is a gather, index_select's is an index_add, take's is an add at flat indices.
Index tensors are ``tensor_params``: saved and version-checked like torch's, never differentiated.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._layout import CONTIGUOUS, PRESERVE
from .._tensor import Tensor
from .base import Op
from .pointwise import _const, where_const


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
        self.save_input("self", 0)  # torch's gather_backward takes self: a write to it is seen
        self.save_param("index", index)
        if index.size == 0:  # an empty index may have any number of dims
            return np.zeros(index.shape, dtype=a.dtype)
        if a.ndim == 0:
            return np.broadcast_to(a, index.shape).copy()
        return np.asarray(a[_along_key(_wrap(index, a.shape[dim]), dim)])

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        self.saved("self")  # unpacked, as torch's gather_backward(grad, self, ...): version-checked
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

    layout = CONTIGUOUS

    jvp_linear = True

    tensor_params = ("index",)

    def forward(self, a: np.ndarray, src: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
        _check_index(index, "scatter_add")
        self.dim, self.src_shape = dim, src.shape
        if self.needs_input_grad[1]:  # torch keeps index only for src's gradient
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

    layout = CONTIGUOUS

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

    layout = CONTIGUOUS

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

    layout = CONTIGUOUS

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


# -- scatter_reduce / index_reduce (issue 13, round 3) --------------------------------------------

_REDUCE_NAMES = ("sum", "prod", "mean", "amax", "amin")
_REDUCE_UFUNCS = {
    "sum": (np.add, 0.0),
    "mean": (np.add, 0.0),
    "prod": (np.multiply, 1.0),
    "amax": (np.maximum, -np.inf),
    "amin": (np.minimum, np.inf),
}


class ScatterReduceBackward0(Op):
    """self with src reduced into it at index along dim (sum, prod, mean, amax or amin), self's
    own values included or not. Gradients are torch's scatter_reduce_backward: a gather of the
    output's gradient (divided by the counts for mean, by the ties for amax/amin, times the
    other factors for prod); without include_self, self gets none where src was reduced.
    A 0-d self is handled as one element."""

    tensor_params = ("index",)

    def forward(
        self,
        a: np.ndarray,
        src: np.ndarray,
        dim: int,
        index: np.ndarray,
        reduce: str,
        include_self: bool = True,
    ) -> np.ndarray:
        if reduce not in _REDUCE_NAMES:
            raise RuntimeError(
                f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
            )
        _check_index(index, "scatter_reduce")
        self.dim, self.reduce, self.include_self = dim, reduce, include_self
        self.shapes = (a.shape, src.shape)
        self.save_param("index", index)
        a1 = a.reshape(a.shape or (1,))
        index1 = index.reshape(index.shape or (1,))
        vals = _index_src(src.reshape(src.shape or (1,)), index1)
        key = _along_key(_wrap(index1, a1.shape[dim]), dim) if index1.size else None
        scattered = np.zeros(a1.shape, bool)
        if key is not None:
            scattered[key] = True
        self.scattered, self.key, self.vals, self.index1 = scattered, key, vals, index1
        ufunc, identity = _REDUCE_UFUNCS[reduce]
        out = np.where(scattered & (not include_self), identity, a1).astype(a.dtype)
        if key is not None:
            ufunc.at(out, key, vals)
        counts = np.where(scattered & (not include_self), 0.0, 1.0)
        if key is not None:
            np.add.at(counts, key, 1.0)
        self.counts = np.where(counts == 0, 1.0, counts)
        if reduce == "mean":
            out = np.where(scattered, out / self.counts, out).astype(a.dtype)
        if reduce in ("prod", "amax", "amin"):
            self.save_input("self", 0)
            self.save_input("src", 1)
            self.save_result("result")
        if reduce in ("amax", "amin"):
            self_is = (a1 == out) & ~(scattered & (not include_self))
            src_is = vals == (out[key] if key is not None else vals)
            ties = self_is.astype(a.dtype)
            if key is not None:
                np.add.at(ties, key, src_is.astype(a.dtype))
            self.ties = (self_is, src_is, np.where(ties == 0, 1.0, ties))
        return out.reshape(a.shape)

    # -- helpers on tensors of self's (1-d for a 0-d self) shape ------------------------------
    def _flat(self, t: Tensor, shape: tuple[int, ...]) -> Tensor:
        return t.reshape(*(shape or (1,)))

    def _gather(self, t: Tensor) -> Tensor:
        index = self.saved("index")
        return GatherBackward0.invoke(t, dim=self.dim, index=index.reshape(*(index.shape or (1,))))

    def _to_src(self, g: Tensor) -> Tensor:
        shape = self.shapes[1]
        return _fit(g, shape or (1,)).reshape(*shape)

    def _src_part(self, src: Tensor) -> Tensor:
        flat = self._flat(src, self.shapes[1])
        index_shape = self.vals.shape
        if tuple(flat.shape) == tuple(index_shape):
            return flat
        return flat[tuple(slice(0, n) for n in index_shape)]

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        g = self._flat(grad, self.shapes[0])
        reduce = self.reduce
        if reduce == "sum":
            g_self, g_src = g, self._gather(g)
        elif reduce == "mean":
            scaled = g / _const(self.counts, g)
            g_self, g_src = scaled, self._gather(scaled)
        elif reduce == "prod":
            x, result = self._flat(self.saved("self"), self.shapes[0]), self.saved("result")
            weighted = g * self._flat(result, self.shapes[0])
            g_self = weighted / x
            g_src = self._gather(weighted) / self._src_part(self.saved("src"))
        else:
            self.saved("self")
            self.saved("src")
            self_is, src_is, ties = self.ties
            shared = g / _const(ties, g)
            g_self = shared * _const(self_is, g)
            g_src = self._gather(shared) * _const(src_is, g)
        if not self.include_self:
            g_self = where_const(self.scattered, 0.0, g_self)
        return (
            g_self.reshape(*self.shapes[0]) if self.needs_input_grad[0] else None,
            self._to_src(g_src) if self.needs_input_grad[1] else None,
        )

    def jvp(self, ts: Tensor | None, tsrc: Tensor | None) -> Tensor:
        a, src = self.fw_input(0), self.fw_input(1)
        ts = ts if ts is not None else _zeros_like(a)
        tsrc = tsrc if tsrc is not None else _zeros_like(src)
        params = self.fw_param_dict()
        if self.reduce in ("sum", "mean"):  # linear in (self, src) together
            return type(self).invoke(ts, tsrc, **params)
        shape = self.shapes[0]
        t1 = self._flat(ts, shape)
        tv = self._src_part(tsrc)
        keep = np.logical_not(self.scattered & (not self.include_self))
        if self.reduce == "prod":  # d prod = prod * sum(t / x) (no zeros)
            x1 = self._flat(a, shape)
            per_self = where_const(keep, t1 / x1, 0.0)
            per_src = tv / self._src_part(src)
            result = self._flat(self.fw_output(), shape)
            index = self._index1()
            total = ScatterAddBackward0.invoke(per_self, per_src, dim=self.dim, index=index)
            return (result * total).reshape(*shape)
        self_is, src_is, ties = self.ties
        picked_self = t1 * _const(self_is, t1)
        picked = ScatterAddBackward0.invoke(
            picked_self, tv * _const(src_is, tv), dim=self.dim, index=self._index1()
        )
        return (picked / _const(ties, picked)).reshape(*shape)

    def _index1(self) -> np.ndarray:
        return self.index1


class IndexReduceBackward0(ScatterReduceBackward0):
    """index_reduce(self, dim, index, source, reduce): source's slices reduced into self at the
    1-D index along dim, i.e. scatter_reduce with the index spread over source's shape."""

    def forward(
        self,
        a: np.ndarray,
        source: np.ndarray,
        dim: int,
        index: np.ndarray,
        reduce: str,
        include_self: bool = True,
    ) -> np.ndarray:
        if reduce not in ("prod", "mean", "amax", "amin"):
            raise RuntimeError(
                f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
                f"{reduce}."
            )
        if index.ndim > 1:
            raise IndexError("index_reduce_(): Index is supposed to be a vector")
        src_shape = source.shape or (1,)
        spread = np.expand_dims(
            index.reshape(-1), tuple(d for d in range(len(src_shape)) if d != dim)
        )
        full = np.broadcast_to(spread, src_shape).copy()
        # What is saved is the spread index (an array), not the caller's 1-D tensor.
        self._param_tensors = {k: v for k, v in self._param_tensors.items() if k != "index"}
        return super().forward(a, source, dim, full, reduce, include_self)


class PutBackward0(Op):
    """self viewed flat with source written (or, accumulating, added) at index; torch's
    gradients: self's is grad with the written positions zeroed (all of grad when
    accumulating), source's is grad taken at index."""

    layout = PRESERVE

    jvp_linear = True

    tensor_params = ("index",)

    def forward(
        self, a: np.ndarray, source: np.ndarray, index: np.ndarray, accumulate: bool = False
    ) -> np.ndarray:
        _check_index(index, "put")
        if index.size != source.size:
            raise RuntimeError(
                "put_(): Expected source and index to have the same number of elements, but got "
                f"source.numel() = {source.size}, index.numel() = {index.size}"
            )
        self.shape, self.source_shape, self.accumulate = a.shape, source.shape, accumulate
        self.save_param("index", index)
        flat_index = _wrap(index.reshape(-1), max(a.size, 1))
        self.written = np.zeros(a.size, bool)
        self.written[flat_index] = True
        out = np.array(a, copy=True).reshape(-1)
        values = source.reshape(-1).astype(a.dtype)
        if accumulate:
            np.add.at(out, flat_index, values)
        else:
            out[flat_index] = values
        return out.reshape(a.shape)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        index = self.saved("index")
        g_self = g_source = None
        if self.needs_input_grad[0]:
            if self.accumulate:
                g_self = grad
            else:
                g_self = where_const(self.written.reshape(self.shape), 0.0, grad)
        if self.needs_input_grad[1]:
            g_source = TakeBackward0.invoke(grad, index=index).reshape(*self.source_shape)
        return g_self, g_source
