"""Matrix products: mm, mv, dot, bmm, and matmul's dispatch onto them (as torch does); the
scaled-sum family addmv, addr, baddbmm, addbmm."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as dt
from .._size import shape_str
from .._tensor import Tensor
from .base import Op, tangent_sum, unbroadcast
from .views import SqueezeBackward1, SqueezeBackward4, UnsafeViewBackward0, reshape_as_torch


def _same_dtype(op: str, a: np.ndarray, b: np.ndarray) -> None:
    """torch's per-op texts for operands of different dtypes."""
    if a.dtype == b.dtype:
        return
    da, db = dt.from_numpy_dtype(a.dtype), dt.from_numpy_dtype(b.dtype)
    if op == "mm":
        c_names = {"float32": "float", "float64": "double", "float16": "c10::Half"}
        message = (
            "expected m1 and m2 to have the same dtype, but got: "
            f"{c_names.get(da.name, da.name)} != {c_names.get(db.name, db.name)}"
        )
    elif op == "dot":
        message = (
            f"dot : expected both vectors to have same dtype, but found {da.scalar_name} and "
            f"{db.scalar_name}"
        )
    else:
        message = f"expected scalar type {da.scalar_name} but found {db.scalar_name}"
    raise RuntimeError(message)


class MmBackward0(Op):
    jvp_multilinear = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim != 2:
            raise RuntimeError("self must be a matrix")
        if b.ndim != 2:
            raise RuntimeError("mat2 must be a matrix")
        if a.shape[1] != b.shape[0]:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                f"{b.shape[0]}x{b.shape[1]})"
            )
        _same_dtype("mm", a, b)
        self.save_for_product("self", "mat2")
        return a @ b

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        ga = grad.mm(self.saved("mat2").t()) if self.needs_input_grad[0] else None
        gb = self.saved("self").t().mm(grad) if self.needs_input_grad[1] else None
        return ga, gb


class MvBackward0(Op):
    jvp_multilinear = True

    def forward(self, a: np.ndarray, v: np.ndarray) -> np.ndarray:
        if a.ndim != 2 or v.ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got {1}, {a.ndim}, {v.ndim}")
        if a.shape[1] != v.shape[0]:
            raise RuntimeError(
                f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), vec "
                f"({v.shape[0]})"
            )
        _same_dtype("mv", a, v)
        self.save_for_product("self", "vec")
        return a @ v

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        ga = (
            grad.unsqueeze(1) * self.saved("vec").unsqueeze(0) if self.needs_input_grad[0] else None
        )
        gb = self.saved("self").t().mv(grad) if self.needs_input_grad[1] else None
        return ga, gb


class DotBackward0(Op):
    jvp_multilinear = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim != 1 or b.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
        if a.shape[0] != b.shape[0]:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] "
                "to have the same number of elements, but got "
                f"{a.shape[0]} and {b.shape[0]} elements respectively"
            )
        _same_dtype("dot", a, b)
        self.save_for_product("self", "tensor")
        return np.asarray(a @ b)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        ga = grad * self.saved("tensor") if self.needs_input_grad[0] else None
        gb = grad * self.saved("self") if self.needs_input_grad[1] else None
        return ga, gb


class VdotBackward0(DotBackward0):
    """vdot(a, b): dot with the first operand conjugated, which for real tensors is dot."""


class BmmBackward0(Op):
    jvp_multilinear = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        if b.ndim != 3:
            raise RuntimeError("batch2 must be a 3D tensor")
        if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
            raise RuntimeError(
                f"Expected size for first two dimensions of batch2 tensor to be: "
                f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
            )
        _same_dtype("bmm", a, b)
        self.save_for_product("self", "mat2")
        return a @ b

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        ga = grad.bmm(self.saved("mat2").transpose(1, 2)) if self.needs_input_grad[0] else None
        gb = self.saved("self").transpose(1, 2).bmm(grad) if self.needs_input_grad[1] else None
        return ga, gb


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """torch.matmul's dispatch (aten ``_matmul_impl``): dot, mv, mm; a batch folded into one
    mm/mv (``_should_fold``); else expand + reshape + bmm. The choice shows in the graph's node
    names, so it follows torch's conditions exactly."""
    da, db = a.ndim, b.ndim
    if da == 0 or db == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D"
        )
    if da <= 2 and db <= 2:
        return _matmul_2d(a, b)
    if da == 3 and db == 3:
        a, b = _squeeze_unit_batch(a, b)
    if _should_fold(a, b):
        return _matmul_folded(a, b)
    return _matmul_broadcast(a, b)


def _matmul_2d(a: Tensor, b: Tensor) -> Tensor:
    """Both at most 2-D: dot, mv, a row vector times a matrix (mm then squeeze), or mm."""
    if a.ndim == 1 and b.ndim == 1:
        return a.dot(b)
    if a.ndim == 2 and b.ndim == 1:
        return a.mv(b)
    if a.ndim == 1:
        return SqueezeBackward4.invoke(a.unsqueeze(0).mm(b), dim=(0,))
    return a.mm(b)


def _squeeze_unit_batch(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """3-D @ 3-D where one operand has batch size 1 (the other not) and requires grad: torch
    squeezes that batch dim, so the product folds into one mm and the operand's gradient is
    not a reduction over a materialised (batch, m, n) bmm gradient."""
    if b.shape[0] == 1 and a.shape[0] != 1 and b.requires_grad:
        return a, SqueezeBackward1.invoke(b, dim=0)
    if a.shape[0] == 1 and b.shape[0] != 1 and a.requires_grad:
        return SqueezeBackward1.invoke(a, dim=0), b
    return a, b


def _should_fold(a: Tensor, b: Tensor) -> bool:
    """aten's ``should_fold``: one operand at least 3-D (``t1``, the other's transpose when
    that one is larger), the other 1-D or 2-D. Fold when the small operand requires grad (its
    gradient is then one mm), else only when ``t1`` folds into rows without a copy, and never
    for a 2-D left operand (the transposed result would need a copy)."""
    first_larger = a.ndim >= b.ndim
    t1 = a._data if first_larger else np.swapaxes(b._data, -1, -2)
    small = b if first_larger else a
    if not (t1.ndim >= 3 and small.ndim <= 2):
        return False
    if small.requires_grad:
        return True
    if a.ndim == 2:
        return False
    if t1.size == 0:
        return True
    strides = [s // t1.itemsize for s in t1.strides]
    shape = t1.shape
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(t1.ndim - 2))


def _matmul_folded(a: Tensor, b: Tensor) -> Tensor:
    """The batch folded into the rows: (rows, k) @ matrix or vector, viewed back; a larger
    right operand is transposed first and the result transposed back (a copy)."""
    transpose = b.ndim > a.ndim
    t1 = b.transpose(-1, -2) if transpose else a
    t2 = (a.t() if a.ndim == 2 else a) if transpose else b
    lead = tuple(t1.shape[:-1])
    rows = reshape_as_torch(t1, (int(np.prod(lead)), t1.shape[-1]))
    if t2.ndim == 1:
        return UnsafeViewBackward0.invoke(rows.mv(t2), shape=lead)
    out = UnsafeViewBackward0.invoke(rows.mm(t2), shape=(*lead, t2.shape[1]))
    return out.transpose(-1, -2).contiguous() if transpose else out


def _matmul_broadcast(a: Tensor, b: Tensor) -> Tensor:
    """Both expanded to the broadcast batch and reshaped to 3-D, one bmm, viewed back. A 1-D
    left operand is expanded as a (1, m) row; a 1-D right one becomes a column after the
    reshape (unsqueeze(2)) and the bmm result is squeezed back."""
    n = a.shape[-2] if a.ndim > 1 else 1
    m1 = a.shape[-1]
    m2 = b.shape[-2] if b.ndim > 1 else b.shape[0]
    p = b.shape[-1] if b.ndim > 1 else 1
    batch_a, batch_b = tuple(a.shape[:-2]), tuple(b.shape[:-2])
    try:
        batch = tuple(np.broadcast_shapes(batch_a, batch_b))
    except ValueError:
        raise RuntimeError(_broadcast_error(batch_a, batch_b)) from None
    nb = int(np.prod(batch))
    a3 = reshape_as_torch(a.expand(*batch, n, m1), (nb, n, m1))
    if b.ndim == 1:
        b3 = reshape_as_torch(b.expand(*batch, m2), (nb, m2)).unsqueeze(2)
    else:
        b3 = reshape_as_torch(b.expand(*batch, m2, p), (nb, m2, p))
    shape = batch + ((n,) if a.ndim > 1 else ()) + ((p,) if b.ndim > 1 else ())
    product = a3.bmm(b3)
    if b.ndim == 1:
        product = SqueezeBackward1.invoke(product, dim=2)
    return UnsafeViewBackward0.invoke(product, shape=shape)


def _broadcast_error(x: tuple[int, ...], y: tuple[int, ...]) -> str:
    """torch's ``infer_size`` text, naming the first mismatch from the right."""
    ndim = max(len(x), len(y))
    for i in range(ndim - 1, -1, -1):
        sx = x[i - ndim + len(x)] if i - ndim + len(x) >= 0 else 1
        sy = y[i - ndim + len(y)] if i - ndim + len(y) >= 0 else 1
        if sx != sy and sx != 1 and sy != 1:
            return (
                f"The size of tensor a ({sx}) must match the size of tensor b ({sy}) at "
                f"non-singleton dimension {i}"
            )
    return "shape mismatch"


__all__ = ["BmmBackward0", "DotBackward0", "MmBackward0", "MvBackward0", "matmul", "shape_str"]


class _ScaledProductPlus(Op):
    """beta * input + alpha * product(a, b), the addmv/addr/baddbmm/addbmm family; beta = 0
    ignores input's values (nan included), as torch does."""

    def forward(
        self, c: np.ndarray, a: np.ndarray, b: np.ndarray, beta: Any = 1, alpha: Any = 1
    ) -> np.ndarray:
        self.beta, self.alpha, self.input_shape = beta, alpha, c.shape
        if self.needs_input_grad[1]:
            self.save_input("second", 2)
        if self.needs_input_grad[2]:
            self.save_input("first", 1)
        product = self.product(a, b)
        np.broadcast_shapes(c.shape, product.shape)
        scaled = product * np.asarray(alpha, dtype=product.dtype) if alpha != 1 else product
        if beta == 0:
            return np.broadcast_to(scaled, np.broadcast_shapes(c.shape, scaled.shape)).copy()
        base = c * np.asarray(beta, dtype=c.dtype) if beta != 1 else c
        return np.asarray(base + scaled, dtype=np.result_type(c, product))

    def product(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def product_vjp(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        raise NotImplementedError

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        g_input = None
        if self.needs_input_grad[0]:
            g_input = unbroadcast(grad * self.beta if self.beta != 1 else grad, self.input_shape)
        scaled = grad * self.alpha if self.alpha != 1 else grad
        g_a, g_b = self.product_vjp(scaled)
        return g_input, g_a, g_b

    def jvp(self, tc: Tensor | None, ta: Tensor | None, tb: Tensor | None) -> Tensor | None:
        # d(beta c + alpha a*b) = beta dc + alpha (da*b + a*db): the op with beta = 0 on zeros
        c, a, b = self.fw_input(0), self.fw_input(1), self.fw_input(2)
        zeros = c.detach().new_zeros(tuple(c.shape))
        cls, alpha = type(self), self.alpha
        return tangent_sum(
            None if tc is None else tc * self.beta,
            None if ta is None else cls.invoke(zeros, ta, b, beta=0, alpha=alpha),
            None if tb is None else cls.invoke(zeros, a, tb, beta=0, alpha=alpha),
        )


class AddmvBackward0(_ScaledProductPlus):
    def product(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a @ b

    def product_vjp(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        g_mat = (
            g.unsqueeze(1) * self.saved("second").unsqueeze(0) if self.needs_input_grad[1] else None
        )
        g_vec = self.saved("first").t().mv(g) if self.needs_input_grad[2] else None
        return g_mat, g_vec


class AddrBackward0(_ScaledProductPlus):
    def product(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.outer(a, b)

    def product_vjp(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        g_u = g.mv(self.saved("second")) if self.needs_input_grad[1] else None
        g_v = g.t().mv(self.saved("first")) if self.needs_input_grad[2] else None
        return g_u, g_v


class BaddbmmBackward0(_ScaledProductPlus):
    def product(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a @ b

    def product_vjp(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        g_a = g.bmm(self.saved("second").transpose(1, 2)) if self.needs_input_grad[1] else None
        g_b = self.saved("first").transpose(1, 2).bmm(g) if self.needs_input_grad[2] else None
        return g_a, g_b


class AddbmmBackward0(_ScaledProductPlus):
    """beta * input + alpha * sum over the batch of a_i @ b_i."""

    def product(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.batch = a.shape[0]
        return (a @ b).sum(axis=0)

    def product_vjp(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        batched = g.unsqueeze(0).expand(self.batch, *g.shape)
        g_a = (
            batched.bmm(self.saved("second").transpose(1, 2)) if self.needs_input_grad[1] else None
        )
        g_b = self.saved("first").transpose(1, 2).bmm(batched) if self.needs_input_grad[2] else None
        return g_a, g_b


class LinalgCrossBackward0(Op):
    """cross(self, other, dim) of 3-vectors, broadcasting: bilinear, so its JVP is the sum of
    the op with each tangent in turn."""

    jvp_multilinear = True

    def forward(self, a: np.ndarray, b: np.ndarray, dim: int) -> np.ndarray:
        self.shapes = (a.shape, b.shape)
        a, b = np.broadcast_arrays(a, b)
        if a.shape[dim] != 3 or b.shape[dim] != 3:
            raise RuntimeError(
                f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                f"{a.shape[dim]} and {b.shape[dim]}"
            )
        self.dim = dim
        self.save_for_product("self", "other")
        return np.cross(a, b, axisa=dim, axisb=dim, axisc=dim)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(
                LinalgCrossBackward0.invoke(self.saved("other"), grad, dim=self.dim),
                self.shapes[0],
            )
        if self.needs_input_grad[1]:
            gb = unbroadcast(
                LinalgCrossBackward0.invoke(grad, self.saved("self"), dim=self.dim),
                self.shapes[1],
            )
        return ga, gb


# -- square-matrix functions: inverse, solve, determinants (issue 13, round 3) ------------------


def _mT(t: Tensor) -> Tensor:  # noqa: N802 - torch's name
    return t.transpose(-2, -1)


def _check_square(a: np.ndarray, fn: str) -> None:
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{fn}: A must be batches of square matrices, but they are {a.shape[-2]} by "
            f"{a.shape[-1]} matrices"
        )


class LinalgInvExBackward0(Op):
    """(inverse, info): d inv = -inv dA inv, so the gradient is -inv^T g inv^T."""

    nondifferentiable_outputs = (1,)

    def forward(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _check_square(a, "linalg.inv")
        self.save_result("inverse")
        with np.errstate(all="ignore"):
            try:
                inverse = np.linalg.inv(a) if a.size else np.zeros(a.shape, a.dtype)
                info = np.zeros(a.shape[:-2], np.int32)
            except np.linalg.LinAlgError:
                inverse = np.full(a.shape, np.nan, a.dtype)
                info = np.ones(a.shape[:-2], np.int32)
        return np.asarray(inverse, dtype=a.dtype), info

    def backward(self, grad: Tensor, _info_grad: Tensor | None = None) -> tuple[Tensor]:
        inv_t = _mT(self.saved("inverse"))
        return (-(inv_t.matmul(grad).matmul(inv_t)),)

    def jvp(self, t: Tensor) -> tuple[Tensor, None]:
        inverse = self.fw_output()
        return -(inverse.matmul(t).matmul(inverse)), None


def _vector_rhs(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> bool:
    """torch's rule: B is a (batch of) vector(s) when 1-D or exactly A's shape minus a dim."""
    return len(b_shape) == 1 or (len(b_shape) == len(a_shape) - 1 and b_shape == a_shape[:-1])


class LinalgSolveExBackward0(Op):
    """(X, info) with A X = B: gB = solve(A^T, g), gA = -gB X^T."""

    nondifferentiable_outputs = (1,)

    def forward(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _check_square(a, "linalg.solve")
        self.vector = _vector_rhs(a.shape, b.shape)
        self.shapes = (a.shape, b.shape)
        self.save_input("A", 0)
        self.save_result("result")
        rhs = b[..., None] if self.vector else b
        with np.errstate(all="ignore"):
            try:
                out = (
                    np.linalg.solve(a, rhs)
                    if a.size and rhs.size
                    else np.zeros(
                        np.broadcast_shapes(a.shape[:-2], rhs.shape[:-2]) + rhs.shape[-2:], a.dtype
                    )
                )
            except np.linalg.LinAlgError:
                raise RuntimeError(
                    "torch.linalg.solve: The solver failed because the input matrix is singular."
                ) from None
        out = out[..., 0] if self.vector else out
        return np.asarray(out, dtype=np.result_type(a, b)), np.zeros(a.shape[:-2], np.int32)

    def backward(self, grad: Tensor, _info_grad: Tensor | None = None) -> tuple[Any, Any]:
        a, x = self.saved("A"), self.saved("result")
        g_b, _ = LinalgSolveExBackward0.invoke(_mT(a), grad)
        g_a = None
        if self.needs_input_grad[0]:
            outer = g_b.unsqueeze(-1) * x.unsqueeze(-2) if self.vector else g_b.matmul(_mT(x))
            g_a = -outer
            g_a = unbroadcast(g_a, self.shapes[0])
        g_b = unbroadcast(g_b, self.shapes[1]) if self.needs_input_grad[1] else None
        return g_a, g_b

    def jvp(self, ta: Tensor | None, tb: Tensor | None) -> tuple[Tensor | None, None]:
        a, x = self.fw_input(0), self.fw_output()
        rhs = tb
        if ta is not None:
            moved = (ta.matmul(x.unsqueeze(-1)).squeeze(-1)) if self.vector else ta.matmul(x)
            rhs = -moved if rhs is None else rhs - moved
        if rhs is None:
            return None, None
        return LinalgSolveExBackward0.invoke(a, rhs)[0], None


class LinalgDetBackward0(Op):
    """det(A); its gradient is g det(A) A^-T."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        _check_square(a, "linalg.det")
        self.save_input("A", 0)
        self.save_result("result")
        return np.asarray(np.linalg.det(a) if a.size else np.ones(a.shape[:-2], a.dtype))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        a, det = self.saved("A"), self.saved("result")
        inverse, _ = LinalgInvExBackward0.invoke(a)
        return ((grad * det).unsqueeze(-1).unsqueeze(-1) * _mT(inverse),)

    def jvp(self, t: Tensor) -> Tensor:
        inverse, _ = LinalgInvExBackward0.invoke(self.fw_input())
        trace = (_mT(inverse) * t).sum((-2, -1)) if t.numel() else t.sum((-2, -1))
        return self.fw_output() * trace


class LinalgSlogdetBackward0(Op):
    """(sign, log|det|); only log|det| carries a gradient: g A^-T."""

    def forward(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _check_square(a, "linalg.slogdet")
        self.save_input("A", 0)
        if not a.size:
            ones = np.ones(a.shape[:-2], a.dtype)
            return ones, np.zeros(a.shape[:-2], a.dtype)
        sign, logabs = np.linalg.slogdet(a)
        return np.asarray(sign, dtype=a.dtype), np.asarray(logabs, dtype=a.dtype)

    def backward(self, _sign_grad: Tensor, grad: Tensor) -> tuple[Tensor]:
        inverse, _ = LinalgInvExBackward0.invoke(self.saved("A"))
        return (grad.unsqueeze(-1).unsqueeze(-1) * _mT(inverse),)

    def jvp(self, t: Tensor) -> tuple[Tensor, Tensor]:
        inverse, _ = LinalgInvExBackward0.invoke(self.fw_input())
        return self.fw_zeros(0), (_mT(inverse) * t).sum((-2, -1))


# -- Cholesky (issue 13, round 3) -------------------------------------------------------------


def _tril(t: Tensor, k: int = 0) -> Tensor:
    from .shape_ops import TrilBackward0

    return TrilBackward0.invoke(t, diagonal=k)


class LinalgCholeskyExBackward0(Op):
    """(L, info) with A = L L^T (U^T U for upper). torch's cholesky_backward:
    gA = L^-T P L^-1, P = 0.5 (T + tril(T, -1)^T), T = tril(L^T gL)."""

    nondifferentiable_outputs = (1,)

    def forward(self, a: np.ndarray, upper: bool = False) -> tuple[np.ndarray, np.ndarray]:
        _check_square(a, "linalg.cholesky")
        self.upper = upper
        self.save_result("L")
        info = np.zeros(a.shape[:-2], np.int32)
        if not a.size:
            return np.zeros(a.shape, a.dtype), info
        try:
            lower = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            lower = np.full(a.shape, np.nan, a.dtype)
            info = np.ones(a.shape[:-2], np.int32)
        factor = np.swapaxes(lower, -1, -2) if upper else lower
        return np.ascontiguousarray(factor, dtype=a.dtype), info

    def _lower(self, factor: Tensor, g: Tensor) -> tuple[Tensor, Tensor]:
        return (_mT(factor), _mT(g)) if self.upper else (factor, g)

    def backward(self, grad: Tensor, _info_grad: Tensor | None = None) -> tuple[Tensor]:
        lower, g = self._lower(self.saved("L"), grad)
        t = _tril(_mT(lower).matmul(g))
        p = (t + _mT(_tril(t, -1))) * 0.5
        inverse, _ = LinalgInvExBackward0.invoke(lower)
        return (_mT(inverse).matmul(p).matmul(inverse),)

    def jvp(self, t: Tensor) -> tuple[Tensor, None]:
        # dL = L phi(L^-1 dA L^-T), phi: the lower triangle with its diagonal halved
        lower, _ = self._lower(self.fw_output(), t)
        inverse, _ = LinalgInvExBackward0.invoke(lower)
        inner = inverse.matmul(t).matmul(_mT(inverse))
        phi = _tril(inner, -1) + (_tril(inner) - _tril(inner, -1)) * 0.5
        d_lower = lower.matmul(phi)
        return (_mT(d_lower) if self.upper else d_lower), None


class CholeskyBackward0(LinalgCholeskyExBackward0):
    """torch.cholesky (deprecated): the factor alone."""


def _lower_pair(factor: Tensor, t: Tensor, upper: bool) -> tuple[Tensor, Tensor]:
    """(L, dL) as lower-triangular tensors from a stored factor and its tangent."""
    if upper:  # A = U^T U: L = U^T, U's upper triangle transposed
        return _tril(_mT(factor)), _tril(_mT(t))
    return _tril(factor), _tril(t)


def _triangle(factor: np.ndarray, upper: bool) -> np.ndarray:
    """The lower factor L from a stored factor: its lower triangle, or U's upper one, as L."""
    return np.swapaxes(np.triu(factor), -1, -2) if upper else np.tril(factor)


class CholeskyInverseBackward0(Op):
    """(L L^T)^-1 from the factor L (U^T U for upper)."""

    def forward(self, factor: np.ndarray, upper: bool = False) -> np.ndarray:
        self.upper = upper
        self.save_input("L", 0)
        self.save_result("result")
        if not factor.size:
            return np.zeros(factor.shape, factor.dtype)
        lower = _triangle(factor, upper)  # LAPACK reads only the factor's triangle
        a = lower @ np.swapaxes(lower, -1, -2)
        return np.asarray(np.linalg.inv(a), dtype=factor.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        factor, inverse = self.saved("L"), self.saved("result")
        common = inverse.matmul(grad + _mT(grad)).matmul(inverse)
        return (-(factor.matmul(common)) if self.upper else -(common.matmul(factor)),)

    def jvp(self, t: Tensor) -> Tensor:
        # d (L L^T)^-1 = -R (dL L^T + L dL^T) R, L and dL the factor's triangle (as lower)
        lower, d_lower = _lower_pair(self.fw_input(0), t, self.upper)
        inverse = self.fw_output()
        d_a = d_lower.matmul(_mT(lower))
        return -(inverse.matmul(d_a + _mT(d_a)).matmul(inverse))


class CholeskySolveBackward0(Op):
    """X = (L L^T)^-1 B (U^T U for upper); gB = cholesky_solve(g, L), gL from
    C = gB X^T + X gB^T: -C L (-U C for upper)."""

    def forward(self, b: np.ndarray, factor: np.ndarray, upper: bool = False) -> np.ndarray:
        self.upper = upper
        self.shapes = (b.shape, factor.shape)
        self.save_input("L", 1)
        self.save_result("result")
        if not factor.size or not b.size:
            batch = np.broadcast_shapes(b.shape[:-2], factor.shape[:-2])
            return np.zeros(batch + b.shape[-2:], np.result_type(b, factor))
        lower = _triangle(factor, upper)
        a = lower @ np.swapaxes(lower, -1, -2)
        return np.asarray(np.linalg.solve(a, b), dtype=np.result_type(b, factor))

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        factor, x = self.saved("L"), self.saved("result")
        g_b = CholeskySolveBackward0.invoke(grad, factor, upper=self.upper)
        g_factor = None
        if self.needs_input_grad[1]:
            common = g_b.matmul(_mT(x))
            common = common + _mT(common)
            g_factor = -(factor.matmul(common)) if self.upper else -(common.matmul(factor))
            g_factor = unbroadcast(g_factor, self.shapes[1])
        g_b = unbroadcast(g_b, self.shapes[0]) if self.needs_input_grad[0] else None
        return g_b, g_factor

    def jvp(self, tb: Tensor | None, tf: Tensor | None) -> Tensor:
        # dX = A^-1 (dB - dA X), dA = dL L^T + L dL^T
        factor, x = self.fw_input(1), self.fw_output()
        rhs = tb if tb is not None else x * 0
        if tf is not None:
            lower, d_lower = _lower_pair(factor, tf, self.upper)
            d_a = d_lower.matmul(_mT(lower))
            rhs = rhs - (d_a + _mT(d_a)).matmul(x)
        return CholeskySolveBackward0.invoke(rhs, factor, upper=self.upper)
