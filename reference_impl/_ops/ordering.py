"""Ops that pick elements by their order: sort, topk, kthvalue, median, nanmedian, cummax,
cummin. Each returns (values, indices); the gradient goes to the picked positions only.

A shared backward: the values' gradient is added into zeros at ``indices`` along the dim (a
scatter_add, the adjoint of the gather that produced the values), so create_graph works.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .._layout import CONTIGUOUS, PRESERVE
from .._tensor import Tensor
from .base import Op
from .gather_scatter import ScatterAddBackward0
from .views import normalize_dims


def _return_type(fn_name: str) -> Any:
    """torch.return_types.<fn_name>: a (values, indices) pair printed as torch prints it."""

    def __repr__(self: Any) -> str:
        return f"torch.return_types.{fn_name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    base = namedtuple(fn_name, ["values", "indices"])  # type: ignore[misc]
    return type(fn_name, (base,), {"__slots__": (), "__repr__": __repr__})


SortResult = _return_type("sort")
TopkResult = _return_type("topk")
KthvalueResult = _return_type("kthvalue")
MedianResult = _return_type("median")
NanmedianResult = _return_type("nanmedian")
CummaxResult = _return_type("cummax")
CumminResult = _return_type("cummin")


def _dim(dim: int, ndim: int) -> int:
    return normalize_dims(dim, max(ndim, 1))[0]


class _Selecting(Op):
    """Values picked along ``self.dim`` at ``self.indices`` (kept with keepdim for backward)."""

    nondifferentiable_outputs = (1,)
    dim: int
    shape: tuple[int, ...]
    indices: np.ndarray  # with the reduced dim kept (size 1 for reductions)
    keepdim: bool = True

    def _of_scalar(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A 0-d input picks itself, at index 0 (every selecting op, as torch)."""
        self.shape = ()
        return a.copy(), np.zeros((), np.int64)

    def backward(self, grad: Tensor, _indices_grad: Tensor | None = None) -> tuple[Tensor]:
        if not self.shape:
            return (grad.reshape(()),)
        if not self.keepdim:
            grad = grad.unsqueeze(self.dim)
        zeros = Tensor._from_array(np.zeros(self.shape, dtype=grad._data.dtype))
        index = Tensor._from_array(self.indices)
        return (ScatterAddBackward0.invoke(zeros, grad, dim=self.dim, index=index),)

    def jvp(self, t: Tensor, *_: Tensor | None) -> tuple[Tensor, None]:
        """The values' tangent is the tangent picked at the same indices (torch's
        ``gather(self_t, dim, indices)``); the indices have none."""
        if not self.shape:
            return t.reshape(()), None
        picked = t.gather(self.dim, Tensor._from_array(self.indices))
        return (picked if self.keepdim else picked.squeeze(self.dim)), None

    def _finish(
        self, a: np.ndarray, idx: np.ndarray, dim: int, keepdim: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Values at idx (same ndim as a); squeeze the dim unless keepdim."""
        self.shape, self.dim, self.keepdim, self.indices = a.shape, dim, keepdim, idx
        values = np.take_along_axis(a, idx, axis=dim)
        if not keepdim:
            values, idx = np.squeeze(values, dim), np.squeeze(idx, dim)
        return values, idx.astype(np.int64)


def _order(a: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Stable argsort with nan last ascending / first descending, as torch sorts."""
    if descending:
        key = np.where(np.isnan(a), -np.inf, -a) if a.dtype.kind == "f" else -a.astype(np.float64)
        nan_first = np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
        order = np.argsort(key, axis=dim, kind="stable")
        # Move nans (which sorted as -inf, among the largest) to the very front.
        nans = np.take_along_axis(nan_first, order, axis=dim)
        return np.take_along_axis(order, np.argsort(~nans, axis=dim, kind="stable"), axis=dim)
    return np.argsort(a, axis=dim, kind="stable")


class SortBackward0(_Selecting):
    layout = PRESERVE

    def forward(
        self, a: np.ndarray, dim: int = -1, descending: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        if a.ndim == 0:
            return self._of_scalar(a)
        d = _dim(dim, a.ndim)
        return self._finish(a, _order(a, d, descending), d, True)


class SortBackward1(SortBackward0):
    """sort with ``stable`` named (torch's sort.stable overload); NumPy's sort is stable anyway."""


class TopkBackward0(_Selecting):
    def forward(
        self,
        a: np.ndarray,
        k: int,
        dim: int = -1,
        largest: bool = True,
        sorted: bool = True,  # noqa: A002
    ) -> tuple[np.ndarray, np.ndarray]:
        d = _dim(dim, a.ndim)
        size = a.shape[d] if a.ndim else 1
        if not 0 <= k <= size:
            raise RuntimeError("selected index k out of range")
        if a.ndim == 0:
            return self._of_scalar(a)
        order = _order(a, d, descending=largest)
        return self._finish(a, np.take(order, np.arange(k), axis=d), d, True)


def _kth(a: np.ndarray, k: int, dim: int) -> np.ndarray:
    """Index (dim kept, size 1) of the k-th smallest (0-based) along dim; nan counts largest."""
    order = np.argsort(a, axis=dim, kind="stable")
    return np.take(order, [k], axis=dim)


class KthvalueBackward0(_Selecting):
    def forward(
        self, a: np.ndarray, k: int, dim: int = -1, keepdim: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        d = _dim(dim, a.ndim)
        if a.ndim == 0:
            return self._of_scalar(a)
        if not 1 <= k <= a.shape[d]:
            raise IndexError(f"kthvalue(): selected number k out of range for dimension {d}")
        return self._finish(a, _kth(a, k - 1, d), d, keepdim)


def _mode_index(a: np.ndarray, dim: int) -> np.ndarray:
    """torch's mode per slice: the most frequent value (the smallest among equally frequent
    ones), at the last position it occurs; the index keeps dim (size 1)."""
    rows = np.moveaxis(a, dim, -1).reshape(-1, a.shape[dim])
    picks = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)  # sorted: ties go to the smallest
        mode = values[int(np.argmax(counts))]
        hits = np.flatnonzero((row == mode) | (np.isnan(row) & np.isnan(mode)))
        picks[r] = hits[-1]
    shape = np.moveaxis(a, dim, -1).shape[:-1]
    return np.expand_dims(picks.reshape(shape), dim)


class ModeBackward0(_Selecting):
    def forward(
        self, a: np.ndarray, dim: int = -1, keepdim: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        if a.ndim == 0:
            return self._of_scalar(a)
        d = _dim(dim, a.ndim)
        if a.shape[d] == 0:
            raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
        return self._finish(a, _mode_index(a, d), d, keepdim)


def _median_index(a: np.ndarray, dim: int, ignore_nan: bool) -> np.ndarray:
    """torch's median: the lower middle element; nan if any (median) or skipping nans
    (nanmedian; an all-nan slice gives nan)."""
    n = a.shape[dim]
    if not ignore_nan:
        has_nan = np.isnan(a).any(axis=dim, keepdims=True)
        order = np.argsort(a, axis=dim, kind="stable")
        mid = np.take(order, [(n - 1) // 2], axis=dim)
        first_nan = np.expand_dims(np.argmax(np.isnan(a), axis=dim), dim)
        return np.where(has_nan, first_nan, mid)
    count = (~np.isnan(a)).sum(axis=dim, keepdims=True)
    order = np.argsort(a, axis=dim, kind="stable")
    pos = np.maximum((count - 1) // 2, 0)
    return np.take_along_axis(order, pos, axis=dim)


class MedianBackward1(_Selecting):
    """median(dim) / nanmedian(dim) -> (values, indices)."""

    ignore_nan = False

    def forward(
        self, a: np.ndarray, dim: int, keepdim: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        d = _dim(dim, a.ndim)
        if a.ndim == 0:
            return self._of_scalar(a)
        if a.shape[d] == 0:
            raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
        return self._finish(a, _median_index(a, d, self.ignore_nan), d, keepdim)


class NanmedianBackward1(MedianBackward1):
    ignore_nan = True


class MedianBackward0(Op):
    """median() of all elements: the gradient is shared by every element equal to it."""

    ignore_nan = False

    def forward(self, a: np.ndarray) -> np.ndarray:
        if a.size == 0:
            return np.asarray(np.nan, dtype=a.dtype)
        flat = a.reshape(-1)
        idx = _median_index(flat, 0, self.ignore_nan)
        self.save_input("self", 0)
        self.save_result("result")
        return np.asarray(flat[idx[0]])

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        from .pointwise import _const

        x, result = self.saved("self")._data, self.saved("result")._data
        mask = (x == result) | (np.isnan(x) & np.isnan(result))
        return (grad * _const(mask / max(int(mask.sum()), 1), grad),)

    def jvp(self, t: Tensor) -> Tensor:
        from .reductions import _partials_jvp

        return _partials_jvp(self, t, None, False)


class NanmedianBackward0(MedianBackward0):
    ignore_nan = True


class CummaxBackward0(_Selecting):
    """Running maximum along dim with the index of its (latest) position."""

    layout = CONTIGUOUS

    better: Any = staticmethod(np.greater_equal)

    def forward(self, a: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
        if a.ndim == 0:
            return self._of_scalar(a)
        d = _dim(dim, a.ndim)
        moved = np.moveaxis(a, d, -1)
        idx = np.zeros(moved.shape, np.int64)
        best = moved[..., 0].copy()
        best_i = np.zeros(best.shape, np.int64)
        for i in range(moved.shape[-1]):
            v = moved[..., i]
            take = self.better(v, best) | np.isnan(v) if i else np.ones(best.shape, bool)
            take &= ~(np.isnan(best) & ~np.isnan(v)) if i else take
            best = np.where(take, v, best)
            best_i = np.where(take, i, best_i)
            idx[..., i] = best_i
        return self._finish(a, np.moveaxis(idx, -1, d), d, True)


class CumminBackward0(CummaxBackward0):
    better: Any = staticmethod(np.less_equal)
