"""Reductions: sum, mean, max/min (full and along a dim), amax/amin, prod, norm, var/std,
logsumexp. Full reductions and dim reductions are distinct node classes, as in torch."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._layout import CONTIGUOUS
from .._tensor import Tensor
from .base import Op
from .pointwise import (
    MaskedFillBackward1,
    SgnBackward0,
    _const,
    _errstate,
    div_scalar,
    mul_scalar,
    where_const,
)
from .views import ExpandBackward0, normalize_dims


class _ReturnType(namedtuple("_ReturnType", ["values", "indices"])):
    """torch.return_types.max / min: a (values, indices) pair printed as torch prints it."""

    __slots__ = ()
    fn_name = "max"

    def __repr__(self) -> str:
        return (
            f"torch.return_types.{self.fn_name}(\nvalues={self.values!r},\n"
            f"indices={self.indices!r})"
        )


class MaxResult(_ReturnType):
    __slots__ = ()
    fn_name = "max"


class MinResult(_ReturnType):
    __slots__ = ()
    fn_name = "min"


def _expand_back(
    grad: Tensor, shape: tuple[int, ...], dims: tuple[int, ...], keepdim: bool
) -> Tensor:
    """Broadcast a reduced gradient back over the reduced dims."""
    if not keepdim:
        for d in sorted(dims):
            grad = grad.unsqueeze(d)
    return grad.expand(shape)


def _dims_or_all(dim: Any, ndim: int) -> tuple[int, ...]:
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    if ndim == 0:
        # A 0-d tensor reduces over dim 0 or -1 (torch treats it as one element): no axes.
        normalize_dims(dim, 1)
        return ()
    return normalize_dims(dim, ndim)


def _sum_dtype(a: np.ndarray, dtype: dt.dtype | None) -> np.dtype:
    if dtype is not None:
        return dtype.numpy
    return np.dtype(np.int64) if a.dtype.kind in "iub" else a.dtype


class SumBackward0(Op):
    jvp_linear = True

    def forward(self, a: np.ndarray, dtype: dt.dtype | None = None) -> np.ndarray:
        self.shape = a.shape
        return np.asarray(a.sum(dtype=_sum_dtype(a, dtype)))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        # the 0-d grad expands to any shape: the op itself, without ``expand``'s argument checks
        return (ExpandBackward0.invoke(grad, shape=self.shape),)


class SumBackward1(Op):
    jvp_linear = True

    def forward(
        self, a: np.ndarray, dim: Any, keepdim: bool = False, dtype: dt.dtype | None = None
    ) -> np.ndarray:
        self.shape = a.shape
        self.dims = _dims_or_all(dim, a.ndim)
        self.keepdim = keepdim
        return np.asarray(a.sum(axis=self.dims, keepdims=keepdim, dtype=_sum_dtype(a, dtype)))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (_expand_back(grad, self.shape, self.dims, self.keepdim),)


def _mean_check(a: np.ndarray, dtype: dt.dtype | None) -> np.dtype:
    if dtype is not None:
        return dtype.numpy
    if a.dtype.kind != "f":
        name = dt.from_numpy_dtype(a.dtype).scalar_name
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {name}"
        )
    return a.dtype


class CumsumBackward0(Op):
    layout = CONTIGUOUS
    jvp_linear = True

    def forward(self, a: np.ndarray, dim: int, dtype: dt.dtype | None = None) -> np.ndarray:
        self.dim = dim
        if a.ndim == 0:
            return np.asarray(a, dtype=_sum_dtype(a, dtype)).copy()
        return np.asarray(np.cumsum(a, axis=dim, dtype=_sum_dtype(a, dtype)))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        # torch's cumsum_backward: grad itself when there is nothing to sum, else
        # reversed_cumsum, grad.flip(dim).cumsum(dim).flip(dim)
        if grad.numel() <= 1 or grad.shape[self.dim] == 1:
            return (grad,)
        return (grad.flip(self.dim).cumsum(self.dim).flip(self.dim),)


class MeanBackward0(Op):
    jvp_linear = True

    def forward(self, a: np.ndarray, dtype: dt.dtype | None = None) -> np.ndarray:
        out_dtype = _mean_check(a, dtype)
        self.shape = a.shape
        with _errstate():
            return np.asarray(a.astype(out_dtype, copy=False).mean(dtype=out_dtype))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (div_scalar(grad.expand(self.shape), int(np.prod(self.shape))),)


class MeanBackward1(Op):
    jvp_linear = True

    def forward(
        self, a: np.ndarray, dim: Any, keepdim: bool = False, dtype: dt.dtype | None = None
    ) -> np.ndarray:
        out_dtype = _mean_check(a, dtype)
        self.shape = a.shape
        self.dims = _dims_or_all(dim, a.ndim)
        self.keepdim = keepdim
        with _errstate():
            return np.asarray(
                a.astype(out_dtype, copy=False).mean(axis=self.dims, keepdims=keepdim)
            )

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        n = int(np.prod([self.shape[d] for d in self.dims]))
        return (div_scalar(_expand_back(grad, self.shape, self.dims, self.keepdim), n),)


class _EvenlyDistributed(Op):
    """Full max/min: the gradient is shared evenly by every element equal to the extremum."""

    reduce: Any = staticmethod(np.max)

    def forward(self, a: np.ndarray) -> np.ndarray:
        if a.size == 0:
            raise RuntimeError(
                f"{self.reduce.__name__}(): Expected reduction dim to be specified for "
                "input.numel() == 0. Specify the reduction dim with the 'dim' argument."
            )
        self.save_input("self", 0)
        self.save_result("result")
        return np.asarray(self.reduce(a))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        # torch's evenly_distribute_backward on the CPU, node for node:
        # grad.new_zeros(input.sizes()).masked_fill_(mask, grad / mask.sum())
        x, result = self.saved("self")._data, self.saved("result")._data
        mask = np.isnan(x) if np.isnan(result) else x == result
        zeros = Tensor._from_array(np.zeros(x.shape, dtype=x.dtype))
        share = grad / Tensor._from_array(np.asarray(mask.sum(), dtype=np.int64))
        return (MaskedFillBackward1.invoke_inplace(zeros, share, mask=Tensor._from_array(mask)),)

    def jvp(self, t: Tensor) -> Tensor:
        return _partials_jvp(self, t, None, False)


class MaxBackward1(_EvenlyDistributed):
    reduce: Any = staticmethod(np.max)


class MinBackward1(_EvenlyDistributed):
    reduce: Any = staticmethod(np.min)


class MaxBackward0(Op):
    """max(dim) -> (values, indices); the gradient goes to the selected index only."""

    nondifferentiable_outputs = (1,)
    arg: Any = staticmethod(np.argmax)

    def forward(
        self, a: np.ndarray, dim: int, keepdim: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        (d,) = normalize_dims(dim, max(a.ndim, 1))
        self.shape, self.dim, self.keepdim = a.shape, d, keepdim
        if a.ndim == 0:
            return a.copy(), np.asarray(0, dtype=np.int64)
        if a.shape[d] == 0:
            raise IndexError(
                f"{'max' if self.arg is np.argmax else 'min'}(): Expected reduction dim {d} to "
                "have non-zero size."
            )
        nan_first = (
            np.where(np.isnan(a), -np.inf if self.arg is np.argmin else np.inf, a)
            if a.dtype.kind == "f" and np.isnan(a).any()
            else a
        )
        idx = np.expand_dims(self.arg(nan_first, axis=d), d)
        values = np.take_along_axis(a, idx, axis=d)
        self.shape, self.dim, self.keepdim = a.shape, d, keepdim
        self.indices = idx
        if not keepdim:
            values, idx = np.squeeze(values, d), np.squeeze(idx, d)
        return values, idx.astype(np.int64)

    def backward(self, grad: Tensor, _indices_grad: Tensor | None = None) -> tuple[Tensor]:
        from .indexing import embed

        if not self.shape:
            return (grad,)
        if self.keepdim:
            grad = grad.squeeze(self.dim)
        key = tuple(
            self.indices.squeeze(self.dim)
            if i == self.dim
            else _arange_along(self.shape, i, self.dim)
            for i in range(len(self.shape))
        )
        return (embed(grad, self.shape, key),)

    def jvp(self, t: Tensor) -> tuple[Tensor, None]:
        return _partials_jvp(self, t, (self.dim,) if self.shape else None, self.keepdim), None


def _arange_along(shape: tuple[int, ...], axis: int, removed: int) -> np.ndarray:
    """Open-grid index for ``axis`` in a tensor of ``shape`` with dim ``removed`` dropped."""
    kept = [n for i, n in enumerate(shape) if i != removed]
    pos = axis if axis < removed else axis - 1
    view = [1] * len(kept)
    view[pos] = shape[axis]
    return np.arange(shape[axis]).reshape(view)


class MinBackward0(MaxBackward0):
    arg: Any = staticmethod(np.argmin)


class AmaxBackward0(Op):
    reduce: Any = staticmethod(np.max)

    def forward(self, a: np.ndarray, dim: Any = (), keepdim: bool = False) -> np.ndarray:
        self.dims = _dims_or_all(dim, a.ndim)
        self.keepdim = keepdim
        self.save_input("self", 0)
        self.save_result("result")
        return np.asarray(self.reduce(a, axis=self.dims, keepdims=keepdim))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x = self.saved("self")._data
        result = self.saved("result")._data
        if not self.keepdim:
            result = np.expand_dims(result, self.dims)
        mask = x == result
        count = mask.sum(axis=self.dims, keepdims=True)
        g = _expand_back(grad, x.shape, self.dims, self.keepdim)
        return (g * _const(mask / count, g),)

    def jvp(self, t: Tensor) -> Tensor:
        return _partials_jvp(self, t, self.dims, self.keepdim)


class AminBackward0(AmaxBackward0):
    reduce: Any = staticmethod(np.min)


def _prod_others(x: np.ndarray, axis: int | None) -> np.ndarray:
    """For each element, the product of the other elements (along ``axis`` or overall)."""
    if axis is None:
        flat = x.reshape(-1)
        return _prod_others(flat, 0).reshape(x.shape)
    moved = np.moveaxis(x, axis, -1)
    ones = np.ones(moved.shape[:-1] + (1,), dtype=x.dtype)
    left = np.concatenate([ones, np.cumprod(moved, axis=-1)[..., :-1]], axis=-1)
    right = np.flip(
        np.concatenate([ones, np.cumprod(np.flip(moved, -1), axis=-1)[..., :-1]], axis=-1), -1
    )
    return np.moveaxis(left * right, -1, axis)


def _prod_others_tensor(x: Tensor, dim: int | None, like: Tensor) -> Tensor:
    """``_prod_others`` of x as a Tensor: a constant, unless create_graph needs it differentiable.

    Under grad mode (create_graph, like torch's prod_safe_zeros_backward) it is built from Tensor
    ops: per element, a row of the other elements (the n x n copy with its diagonal set to 1),
    multiplied out, so second derivatives through zeros are right.
    """
    from .._grad_mode import is_grad_enabled

    single = dim is not None and x.shape[dim] == 1  # no other element: torch's ones, no history
    if single or not (is_grad_enabled() and x.requires_grad):
        return _const(_prod_others(x._data, dim), like)
    if dim is None:
        return _prod_others_tensor(x.reshape(-1), 0, like).reshape(tuple(x.shape))
    n = x.shape[dim]
    order = [i for i in range(x.ndim) if i != dim] + [dim]
    moved = x.permute(*order)
    rows = moved.unsqueeze(-2).expand(*moved.shape[:-1], n, n)
    others = where_const(np.broadcast_to(np.eye(n, dtype=bool), rows.shape), 1.0, rows).prod(-1)
    return others.permute(*(int(i) for i in np.argsort(order)))


class ProdBackward0(Op):
    def forward(self, a: np.ndarray, dtype: dt.dtype | None = None) -> np.ndarray:
        self.save_input("self", 0)
        self.save_result("result")
        return np.asarray(a.prod(dtype=_sum_dtype(a, dtype)))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        """torch's ``prod_backward``: a 0-d input gets ``grad`` itself; with a zero, the
        products of the others over the flattened input, viewed back (``ViewBackward0``)."""
        x = self.saved("self")
        if x.ndim == 0:
            return (grad,)
        if not (x._data == 0).any():
            return (grad * (self.saved("result") / x),)
        flat = x.reshape(-1)
        return ((grad * _prod_others_tensor(flat, 0, grad)).view(tuple(x.shape)),)

    def jvp(self, t: Tensor) -> Tensor:
        return _partials_jvp(self, t, None, False)


class ProdBackward1(Op):
    def forward(
        self, a: np.ndarray, dim: int, keepdim: bool = False, dtype: dt.dtype | None = None
    ) -> np.ndarray:
        (self.dim,) = normalize_dims(dim, max(a.ndim, 1))
        self.keepdim = keepdim
        self.save_input("self", 0)
        self.save_result("result")
        if a.ndim == 0:  # one element: the product is itself
            return np.asarray(a, dtype=_sum_dtype(a, dtype)).copy()
        return np.asarray(a.prod(axis=self.dim, keepdims=keepdim, dtype=_sum_dtype(a, dtype)))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x = self.saved("self")
        if x.ndim == 0:
            return (grad,)
        g = _expand_back(grad, tuple(x.shape), (self.dim,), self.keepdim)
        if not (x._data == 0).any():
            r = _expand_back(self.saved("result"), tuple(x.shape), (self.dim,), self.keepdim)
            return (g * (r / x),)
        return (g * _prod_others_tensor(x, self.dim, g),)

    def jvp(self, t: Tensor) -> Tensor:
        return _partials_jvp(self, t, (self.dim,), self.keepdim)


class LinalgVectorNormBackward0(Op):
    """Vector p-norm over all elements or over ``dim``."""

    def forward(
        self,
        a: np.ndarray,
        ord: Any = 2,
        dim: Any = None,  # noqa: A002
        keepdim: bool = False,
    ) -> np.ndarray:
        if a.dtype.kind != "f":
            raise RuntimeError(
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                + dt.from_numpy_dtype(a.dtype).scalar_name
            )
        self.ord = float(ord)
        self.dims = _dims_or_all(dim, a.ndim)
        self.keepdim = keepdim
        self.save_input("self", 0)
        self.save_result("result")
        x = np.abs(a)
        each = int(np.prod([a.shape[d] for d in self.dims]))  # elements per result
        with _errstate():
            if each == 1 and self.ord != 0:
                # torch's kernel gives |x| itself, raising and rooting nothing: a float32
                # 3.7e22 stays finite where its square overflows (program 25119 of seed 13)
                out = x.sum(axis=self.dims, keepdims=keepdim)
            elif self.ord == np.inf:
                out = x.max(axis=self.dims, keepdims=keepdim)
            elif self.ord == -np.inf:
                out = x.min(axis=self.dims, keepdims=keepdim)
            elif self.ord == 0:
                out = (x != 0).sum(axis=self.dims, keepdims=keepdim).astype(a.dtype)
            elif self.ord == 1:
                out = x.sum(axis=self.dims, keepdims=keepdim)
            elif self.ord == 2:
                out = np.sqrt((x * x).sum(axis=self.dims, keepdims=keepdim))
            else:
                out = (x**self.ord).sum(axis=self.dims, keepdims=keepdim) ** (1 / self.ord)
        return np.asarray(out, dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor | None]:
        x = self.saved("self")
        norm = _expand_back(self.saved("result"), tuple(x.shape), self.dims, self.keepdim)
        g = _expand_back(grad, tuple(x.shape), self.dims, self.keepdim)
        if self.ord == 0:  # torch's norm_backward returns no gradient for the 0-"norm"
            return (None,)
        return (norm_vjp(x, norm, g, self.ord, self.dims),)

    def jvp(self, t: Tensor) -> Tensor:
        if self.ord == 0:
            return self.fw_zeros()
        return _partials_jvp(self, t, self.dims, self.keepdim)


def norm_vjp(x: Tensor, norm: Tensor, g: Tensor, p: float, dims: tuple[int, ...]) -> Tensor:
    """The gradient of the vector p-norm (p != 0) of x over ``dims``, with ``norm`` and the
    incoming ``g`` already broadcast to x's shape (torch's norm_backward)."""
    if p == 1:
        return SgnBackward0.invoke(x) * g
    if p in (np.inf, -np.inf):
        mask = np.abs(x._data) == norm._data
        count = mask.sum(axis=dims, keepdims=True)
        return g * x.sign() * _const(mask / count, g)
    if p == 2:
        return g * (x / norm).masked_fill(_const(norm._data == 0, norm), 0.0)
    if p < 1:  # torch's three forms, in its order: what float32 rounds and overflows follows
        scaled = SgnBackward0.invoke(x) * x.abs().pow(p - 1).masked_fill(_const(x._data == 0, x), 0)
        return scaled * g * norm.pow(1 - p)
    scaled = SgnBackward0.invoke(x) * x.abs().pow(p - 1) if p < 2 else x * x.abs().pow(p - 2)
    return scaled * (g / norm.pow(p - 1)).masked_fill(_const(norm._data == 0, norm), 0)


class NormBackward1(LinalgVectorNormBackward0):
    """norm(self, p, dim, keepdim): ATen's own norm overload, what pairwise_distance records."""


class _Moments(Op):
    """var and std along dims with a correction (Bessel's by default)."""

    def forward(
        self, a: np.ndarray, dim: Any = None, correction: float = 1, keepdim: bool = False
    ) -> np.ndarray:
        if a.dtype.kind != "f":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        self.dims = _dims_or_all(dim, a.ndim)
        self.correction = correction
        self.keepdim = keepdim
        self.n = int(np.prod([a.shape[d] for d in self.dims]))
        self.save_input("self", 0)
        with _errstate():
            centered = a - a.mean(axis=self.dims, keepdims=True)
            sq = (centered * centered).sum(axis=self.dims, keepdims=keepdim)
            var = sq / np.asarray(max(self.n - correction, 0), dtype=a.dtype)
        out = self.finish(np.asarray(var, dtype=a.dtype))
        self.save_result("result")
        return out

    fn_name = "var"

    def finish(self, var: np.ndarray) -> np.ndarray:
        return var

    def _centered(self) -> tuple[Tensor, Tensor]:
        x = self.saved("self")
        return x, x - x.mean(self.dims, keepdim=True)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x, centered = self._centered()
        g = _expand_back(grad, tuple(x.shape), self.dims, self.keepdim)
        return (mul_scalar(g, _dof_ratio(2.0, self.n - self.correction)) * centered,)

    def jvp(self, t: Tensor) -> Tensor:
        return _partials_jvp(self, t, self.dims, self.keepdim)


def _dof_ratio(num: float, dof: float) -> float:
    """num / dof with IEEE semantics: no degrees of freedom gives inf (so nan grads, as torch)."""
    with _errstate():
        return float(np.divide(num, np.float64(dof)))


class VarBackward0(_Moments):
    fn_name = "var"

    def forward(
        self, a: np.ndarray, dim: Any = None, correction: float = 1, keepdim: bool = False
    ) -> np.ndarray:
        out = super().forward(a, dim, correction, keepdim)
        self._save_results.clear()  # var_backward needs self only (std's needs the result)
        return out


class VarMeanBackward0(_Moments):
    """var_mean: one node, two outputs (var, mean)."""

    fn_name = "var"

    def forward(
        self,
        a: np.ndarray,
        dim: Any = None,
        correction: float = 1,
        keepdim: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        var = super().forward(a, dim, correction, keepdim)
        self._save_results.clear()
        mean = np.asarray(a.mean(axis=self.dims, keepdims=keepdim), dtype=a.dtype)
        return var, mean

    def backward(self, grad_var: Tensor, grad_mean: Tensor) -> tuple[Tensor]:
        (from_var,) = super().backward(grad_var)
        shape = tuple(self.saved("self").shape)
        from_mean = div_scalar(
            _expand_back(grad_mean, shape, self.dims, self.keepdim), max(self.n, 1)
        )
        return (from_var + from_mean,)

    def jvp(self, t: Tensor) -> tuple[Tensor, Tensor]:
        var = _partials_jvp(self, t, self.dims, self.keepdim, _Moments.backward)
        return var, t.mean(self.dims, keepdim=self.keepdim)


class StdBackward0(_Moments):
    fn_name = "std"

    def finish(self, var: np.ndarray) -> np.ndarray:
        with _errstate():
            return np.sqrt(var)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x, centered = self._centered()
        std = _expand_back(self.saved("result"), tuple(x.shape), self.dims, self.keepdim)
        g = _expand_back(grad, tuple(x.shape), self.dims, self.keepdim)
        # torch's std_backward: a zero std (a constant slice) gets gradient 0, not 0/0.
        g_std = (g / std).masked_fill(Tensor._from_array(std._data == 0), 0.0)
        return (mul_scalar(g_std, _dof_ratio(1.0, self.n - self.correction)) * centered,)


class LogsumexpBackward0(Op):
    def forward(self, a: np.ndarray, dim: Any, keepdim: bool = False) -> np.ndarray:
        if a.dtype.kind != "f":
            a = a.astype(dt.get_default_dtype().numpy)
        self.dims = _dims_or_all(dim, a.ndim)
        self.keepdim = keepdim
        self.save_input("self", 0)
        with _errstate():
            m = np.max(a, axis=self.dims, keepdims=True) if a.size else np.zeros(())
            m = np.where(np.isfinite(m), m, 0)
            out = np.log(np.sum(np.exp(a - m), axis=self.dims, keepdims=True)) + m
        if not keepdim:
            out = np.squeeze(out, self.dims)
        self.save_result("result")
        return np.asarray(out, dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x = self.saved("self")
        r = _expand_back(self.saved("result"), tuple(x.shape), self.dims, self.keepdim)
        g = _expand_back(grad, tuple(x.shape), self.dims, self.keepdim)
        return (g * (x - r).exp(),)

    def jvp(self, t: Tensor) -> Tensor:
        return _partials_jvp(self, t, self.dims, self.keepdim)


def _moved_rows(x: Tensor, dim: int) -> tuple[Tensor, int]:
    """x with ``dim`` moved last, and that dim's size."""
    return x.movedim(dim, -1), x.shape[dim]


class CumprodBackward0(Op):
    """Running product along dim. Without zeros the gradient is a reversed cumsum of
    grad * result divided by x; with zeros, each input's row of partial products skips it."""

    layout = CONTIGUOUS

    def forward(self, a: np.ndarray, dim: int, dtype: dt.dtype | None = None) -> np.ndarray:
        self.dim = dim
        self.save_input("self", 0)
        self.save_result("result")
        if a.ndim == 0:
            return np.asarray(a, dtype=_sum_dtype(a, dtype)).copy()
        return np.asarray(np.cumprod(a, axis=dim, dtype=_sum_dtype(a, dtype)))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x = self.saved("self")
        if x.ndim == 0:
            return (grad,)
        if not (x._data == 0).any():
            weighted = grad * self.saved("result")
            flipped = weighted.flip(self.dim).cumsum(self.dim).flip(self.dim)
            return (flipped / x,)
        rows, n = _moved_rows(x, self.dim)
        # partial[..., i, j] = prod_{k <= j, k != i} x_k: x with its i-th entry set to 1.
        square = rows.unsqueeze(-2).expand(*rows.shape[:-1], n, n)
        eye = np.broadcast_to(np.eye(n, dtype=bool), square.shape)
        partial = where_const(eye, 1.0, square).cumprod(-1)
        upper = _const(np.broadcast_to(np.triu(np.ones((n, n))), square.shape), grad)
        g_rows, _ = _moved_rows(grad, self.dim)
        out = (partial * upper * g_rows.unsqueeze(-2)).sum(-1)
        return (out.movedim(-1, self.dim),)

    def jvp(self, t: Tensor) -> Tensor:
        # d out_j = sum_{i <= j} t_i prod_{k <= j, k != i} x_k (zeros included)
        x = self.fw_input()
        if x.ndim == 0:
            return t
        rows, n = _moved_rows(x, self.dim)
        square = rows.unsqueeze(-2).expand(*rows.shape[:-1], n, n)
        eye = np.broadcast_to(np.eye(n, dtype=bool), square.shape)
        partial = where_const(eye, 1.0, square).cumprod(-1)
        upper = _const(np.broadcast_to(np.triu(np.ones((n, n))), square.shape), t)
        t_rows, _ = _moved_rows(t, self.dim)
        return (partial * upper * t_rows.unsqueeze(-1)).sum(-2).movedim(-1, self.dim)


class LogcumsumexpBackward0(Op):
    """out_i = log sum_{k <= i} exp(x_k); d out_i / d x_k = exp(x_k - out_i) for k <= i."""

    layout = CONTIGUOUS

    def forward(self, a: np.ndarray, dim: int) -> np.ndarray:
        if a.dtype.kind != "f":
            a = a.astype(dt.get_default_dtype().numpy)
        self.dim = dim
        self.save_input("self", 0)
        self.save_result("result")
        if a.ndim == 0:
            return a.copy()
        with _errstate():
            return np.asarray(np.logaddexp.accumulate(a, axis=dim), dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x = self.saved("self")
        if x.ndim == 0:
            return (grad,)
        xs, n = _moved_rows(x, self.dim)
        outs, _ = _moved_rows(self.saved("result"), self.dim)
        gs, _ = _moved_rows(grad, self.dim)
        # weight[..., i, k] = exp(x_k - out_i) where k <= i, else 0.
        lower = np.broadcast_to(np.tril(np.ones((n, n), dtype=bool)), (*xs.shape[:-1], n, n))
        diff = xs.unsqueeze(-2) - outs.unsqueeze(-1)
        weight = where_const(lower, diff, -np.inf).exp()  # masked before exp: no inf * 0
        return ((gs.unsqueeze(-1) * weight).sum(-2).movedim(-1, self.dim),)

    def jvp(self, t: Tensor) -> Tensor:
        # d out_i = sum_{k <= i} exp(x_k - out_i) t_k
        x = self.fw_input()
        if x.ndim == 0:
            return t
        xs, n = _moved_rows(x, self.dim)
        outs, _ = _moved_rows(self.fw_output(), self.dim)
        ts, _ = _moved_rows(t, self.dim)
        lower = np.broadcast_to(np.tril(np.ones((n, n), dtype=bool)), (*xs.shape[:-1], n, n))
        weight = where_const(lower, xs.unsqueeze(-2) - outs.unsqueeze(-1), -np.inf).exp()
        return (weight * ts.unsqueeze(-2)).sum(-1).movedim(-1, self.dim)


class NansumBackward0(Op):
    """sum with nan counted as zero; the gradient is zero at the nan positions."""

    def forward(
        self, a: np.ndarray, dim: Any = None, keepdim: bool = False, dtype: dt.dtype | None = None
    ) -> np.ndarray:
        self.shape = a.shape
        self.dims = _dims_or_all(dim, a.ndim)
        self.keepdim = keepdim
        self.nan = np.isnan(a)
        out = np.nansum(a, axis=self.dims, keepdims=keepdim, dtype=_sum_dtype(a, dtype))
        return np.asarray(out)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        from .pointwise import where_const

        spread = _expand_back(grad, self.shape, self.dims, self.keepdim)
        return (where_const(self.nan, 0.0, spread),)

    def jvp(self, t: Tensor) -> Tensor:
        return _partials_jvp(self, t, self.dims, self.keepdim)


def _partials_jvp(
    node: Op, t: Tensor, dims: Any, keepdim: bool, vjp: Callable[..., Any] | None = None
) -> Tensor:
    """JVP of a reduction, where each input element reaches one output element: the VJP of a
    cotangent of ones is each element's partial derivative of its own output, so the tangent
    is the sum of ``t * partial`` over the reduced dims."""
    node.save_outputs_for_jvp()
    out = node.fw_output()
    ones = Tensor._from_array(np.ones(out.shape, dtype=out._data.dtype))
    partial = (vjp or type(node).backward)(node, ones)[0]
    weighted = t * partial
    if dims is None:
        return weighted.sum()
    if weighted.ndim == 0 or len(dims) == 0:
        return weighted
    return weighted.sum(tuple(dims), keepdim=keepdim)


# -- two-output reductions with one node each (issue 13, round 3) -----------------------------


def _extremum_share(x: np.ndarray, result: np.ndarray, dims: Any, keepdim: bool) -> np.ndarray:
    """Each element's share of the gradient of an amax/amin result: ties split it evenly."""
    if not keepdim:
        result = np.expand_dims(result, dims)
    mask = x == result
    return mask / mask.sum(axis=dims, keepdims=True)


class AminmaxBackward0(Op):
    """aminmax(self, dim, keepdim) -> (min, max), one node; ties share as amin/amax's do."""

    def forward(
        self, a: np.ndarray, dim: Any = None, keepdim: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        self.dims = _dims_or_all(dim, a.ndim)
        self.keepdim = keepdim
        if a.size == 0:
            raise RuntimeError(
                "aminmax(): Expected reduction dim to be specified for input.numel() == 0."
            )
        self.save_input("self", 0)
        self.save_result("min", 0)
        self.save_result("max", 1)
        lo = np.asarray(np.min(a, axis=self.dims, keepdims=keepdim))
        hi = np.asarray(np.max(a, axis=self.dims, keepdims=keepdim))
        return lo, hi

    def _shares(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[Any, Any]:
        return (
            _extremum_share(x, lo, self.dims, self.keepdim),
            _extremum_share(x, hi, self.dims, self.keepdim),
        )

    def backward(self, g_min: Tensor, g_max: Tensor) -> tuple[Tensor]:
        x = self.saved("self")
        lo, hi = self.saved("min")._data, self.saved("max")._data
        share_lo, share_hi = self._shares(x._data, lo, hi)
        shape = tuple(x.shape)
        gl = _expand_back(g_min, shape, self.dims, self.keepdim)
        gh = _expand_back(g_max, shape, self.dims, self.keepdim)
        return (gl * _const(share_lo, gl) + gh * _const(share_hi, gh),)

    def jvp(self, t: Tensor) -> tuple[Tensor, Tensor]:
        x = self.fw_input()._data
        lo, hi = self.fw_output(0)._data, self.fw_output(1)._data
        share_lo, share_hi = self._shares(x, lo, hi)
        dims = self.dims

        def reduce(weighted: Tensor) -> Tensor:
            if weighted.ndim == 0 or len(dims) == 0:
                return weighted
            return weighted.sum(dims, keepdim=self.keepdim)

        return reduce(t * _const(share_lo, t)), reduce(t * _const(share_hi, t))


class StdMeanBackward0(StdBackward0):
    """std_mean: one node, two outputs (std, mean)."""

    def forward(
        self,
        a: np.ndarray,
        dim: Any = None,
        correction: float = 1,
        keepdim: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        std = super().forward(a, dim, correction, keepdim)
        mean = np.asarray(a.mean(axis=self.dims, keepdims=keepdim), dtype=a.dtype)
        return std, mean

    def backward(self, grad_std: Tensor, grad_mean: Tensor) -> tuple[Tensor]:
        (from_std,) = StdBackward0.backward(self, grad_std)
        shape = tuple(self.saved("self").shape)
        from_mean = div_scalar(
            _expand_back(grad_mean, shape, self.dims, self.keepdim), max(self.n, 1)
        )
        return (from_std + from_mean,)

    def jvp(self, t: Tensor) -> tuple[Tensor, Tensor]:
        std = _partials_jvp(self, t, self.dims, self.keepdim, StdBackward0.backward)
        return std, t.mean(self.dims, keepdim=self.keepdim) if self.dims else t


class DistBackward0(Op):
    """dist(self, other, p): the p-norm of the broadcast difference, one node."""

    def forward(self, a: np.ndarray, b: np.ndarray, p: Any = 2) -> np.ndarray:
        self.p = float(p)
        self.shapes = (a.shape, b.shape)
        self.save_input("self", 0)
        self.save_input("other", 1)
        self.save_result("result")
        diff = np.abs(a - b)
        with _errstate():
            if self.p == np.inf:
                out = diff.max() if diff.size else np.zeros((), a.dtype)
            elif self.p == -np.inf:
                out = diff.min() if diff.size else np.zeros((), a.dtype)
            elif self.p == 0:
                out = (diff != 0).sum()
            else:
                out = (diff**self.p).sum() ** (1 / self.p)
        return np.asarray(out, dtype=np.result_type(a, b))

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        from .base import unbroadcast

        if self.p == 0:
            return None, None
        # torch unpacks saved tensors in name order (the first stale one is reported)
        other = self.saved("other")
        diff = self.saved("self") - other
        shape = tuple(diff.shape)
        norm, g = self.saved("result").expand(*shape), grad.expand(*shape)
        g_diff = norm_vjp(diff, norm, g, self.p, tuple(range(len(shape))))
        return (
            unbroadcast(g_diff, self.shapes[0]) if self.needs_input_grad[0] else None,
            unbroadcast(-g_diff, self.shapes[1]) if self.needs_input_grad[1] else None,
        )

    def jvp(self, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        if self.p == 0:
            return self.fw_zeros()
        a, b = self.fw_input(0), self.fw_input(1)
        diff = a - b
        shape = tuple(diff.shape)
        out = self.fw_output()
        ones = Tensor._from_array(np.ones(shape, dtype=out._data.dtype))
        partial = norm_vjp(diff, out.expand(*shape), ones, self.p, tuple(range(len(shape))))
        total = None
        for t, sign in ((ta, 1.0), (tb, -1.0)):
            if t is not None:
                term = (t.expand(*shape) * partial).sum() * sign
                total = term if total is None else total + term
        return total if total is not None else self.fw_zeros()


class RenormBackward0(Op):
    """renorm(self, p, dim, maxnorm): each slice along dim whose p-norm exceeds maxnorm scaled
    down to it, by factor = maxnorm / (norm + 1e-7) as torch computes it."""

    layout = CONTIGUOUS

    def forward(self, a: np.ndarray, p: Any, dim: int, maxnorm: Any) -> np.ndarray:
        if float(p) <= 0:
            raise RuntimeError("renorm: non-positive-norm not supported")
        self.p, self.maxnorm = float(p), float(maxnorm)
        self.others = tuple(i for i in range(a.ndim) if i != dim)
        self.save_input("self", 0)
        x = np.abs(a)
        with _errstate():
            if self.p == np.inf:
                norm = x.max(axis=self.others, keepdims=True)
            else:
                norm = (x**self.p).sum(axis=self.others, keepdims=True) ** (1 / self.p)
            factor = np.where(norm > self.maxnorm, self.maxnorm / (norm + 1e-7), 1.0)
        return np.asarray(a * factor, dtype=a.dtype)

    def _pieces(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(norm, factor) of x as reference ops (differentiable for double backward)."""
        norm = LinalgVectorNormBackward0.invoke(x, ord=self.p, dim=self.others, keepdim=True)
        over = norm._data > self.maxnorm
        factor = where_const(over, self.maxnorm / (norm + 1e-7), 1.0)
        return norm, factor

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x = self.saved("self")
        norm, factor = self._pieces(x)
        # d factor / d norm = -maxnorm / (norm + 1e-7)^2 where the slice was scaled, else 0
        slope = where_const(norm._data > self.maxnorm, -self.maxnorm / (norm + 1e-7).pow(2), 0.0)
        g_norm = (grad * x).sum(self.others, keepdim=True) * slope  # renorm needs 2-D or more
        shape = tuple(x.shape)
        through_norm = norm_vjp(x, norm.expand(*shape), g_norm.expand(*shape), self.p, self.others)
        return (grad * factor + through_norm,)

    def jvp(self, t: Tensor) -> Tensor:
        x = self.fw_input()
        norm, factor = self._pieces(x)
        shape = tuple(x.shape)
        ones = Tensor._from_array(np.ones(shape, dtype=x._data.dtype))
        d_norm = (norm_vjp(x, norm.expand(*shape), ones, self.p, self.others) * t).sum(
            self.others, keepdim=True
        )
        slope = where_const(norm._data > self.maxnorm, -self.maxnorm / (norm + 1e-7).pow(2), 0.0)
        return t * factor + x * (slope * d_norm)
