"""Broadcasting elementwise functions of two tensors beyond arithmetic: atan2, hypot, xlogy,
fmod, remainder, copysign, fmax/fmin, logaddexp(2), lerp, addcmul, addcdiv.

The tensor-tensor forms subclass ``Binary`` (promotion, broadcasting, gradients summed back to
each input's shape); the tensor-scalar forms are the one-edge nodes torch records for a Python
number (``FmodBackward0``, ``CopysignBackward1``, ...).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._layout import ITERATOR
from .._tensor import Tensor
from .base import Op, unbroadcast, zeros_like_grad
from .pointwise import (
    Binary,
    _check_broadcast,
    _const,
    _quietly,
    elementwise_jvp,
    mul_scalar,
    where_const,
)


class Atan2Backward0(Binary):
    floating_result = True

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        self.save_input("other", 1)
        return np.arctan2(a, b)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        # torch unpacks saved tensors in name order (the first stale one is reported)
        b, a = self.saved("other"), self.saved("self")
        scale = grad / (a * a + b * b)
        return scale * b, -scale * a


class HypotBackward0(Binary):
    """Each input's gradient reads only that input (and the result), so torch saves an input
    only when its gradient is wanted: a stale ``other`` that needs none is never checked."""

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.needs_input_grad[0]:
            self.save_input("self", 0)
        if self.needs_input_grad[1]:
            self.save_input("other", 1)
        self.save_result("result")
        return np.hypot(a, b)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        scale = grad / self.saved("result")
        needs = self.needs_input_grad
        return (
            scale * self.saved("self") if needs[0] else None,
            scale * self.saved("other") if needs[1] else None,
        )


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x * log(y), 0 where x == 0 unless y is nan."""
    return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log(y)).astype(np.result_type(x, y))


class XlogyBackward0(Binary):
    floating_result = True

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        self.save_input("other", 1)
        return _xlogy(a, b)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        # torch unpacks saved tensors in name order (the first stale one is reported)
        y, x = self.saved("other"), self.saved("self")
        # d/dx = log(y) (0 where x == 0, as xlogy(x != 0, y)); d/dy = x / y.
        gx = grad * where_const((x._data == 0) & ~np.isnan(y._data), 0.0, y.log())
        return gx, grad * x / y


class XlogyBackward1(Op):
    """xlogy(Python number, tensor)."""

    jvp_self_adjoint = True  # elementwise: a diagonal Jacobian

    def forward(self, b: np.ndarray, self_scalar: Any) -> np.ndarray:
        if b.dtype.kind != "f":
            b = b.astype(dt.get_default_dtype().numpy)
        self.x = self_scalar
        self.save_input("other", 0)
        return np.asarray(_quietly(_xlogy, np.asarray(self_scalar, dtype=b.dtype), b), b.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (mul_scalar(grad, self.x) / self.saved("other"),)


class XlogyBackward2(Op):
    """xlogy(tensor, Python number)."""

    jvp_self_adjoint = True

    def forward(self, a: np.ndarray, other: Any) -> np.ndarray:
        if a.dtype.kind != "f":
            a = a.astype(dt.get_default_dtype().numpy)
        self.other = other
        self.save_input("self", 0)
        return np.asarray(_quietly(_xlogy, a, np.asarray(other, dtype=a.dtype)), a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x = self.saved("self")
        log_y = float(_quietly(np.log, np.float64(self.other)))
        zero = (x._data == 0) & (not math.isnan(log_y))
        return (where_const(zero, 0.0, mul_scalar(grad, log_y)),)


class FmodBackward1(Binary):
    """fmod(a, b) = a - trunc(a / b) * b (the sign of a)."""

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.needs_input_grad[1]:
            self.save_input("self", 0)
            self.save_input("other", 1)
        return np.fmod(a, b)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        if not self.needs_input_grad[1]:
            return grad, None
        quotient = self.saved("self").div(self.saved("other"), rounding_mode="trunc")
        return grad, -grad * quotient


class RemainderBackward1(Binary):
    """remainder(a, b) = a - floor(a / b) * b (Python's %, the sign of b)."""

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.needs_input_grad[1]:
            self.save_input("self", 0)
            self.save_input("other", 1)
        return np.remainder(a, b)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        if not self.needs_input_grad[1]:
            return grad, None
        quotient = self.saved("self").div(self.saved("other"), rounding_mode="floor")
        return grad, -grad * quotient


class _ScalarOther(Op):
    """A tensor op with a Python number as ``other``: one edge, the tensor's dtype kept."""

    jvp_self_adjoint = True

    def forward(self, a: np.ndarray, other: Any) -> np.ndarray:
        assert self._inputs is not None
        self.other = other
        out_dtype = dt.result_type(self._inputs[0], other).numpy
        a = a.astype(out_dtype, copy=False)
        return np.asarray(_quietly(self.compute, a, np.asarray(other, dtype=out_dtype)), out_dtype)

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad,)


class FmodBackward0(_ScalarOther):
    compute = staticmethod(np.fmod)  # type: ignore[assignment]


class RemainderBackward0(_ScalarOther):
    compute = staticmethod(np.remainder)  # type: ignore[assignment]


def _copysign_vjp(grad: Tensor, x: Tensor, result: Tensor) -> Tensor:
    """torch's copysign_tensor_self_backward: grad * result / self, 0 where self == 0."""
    return grad * where_const(x._data == 0, 0.0, result / x)


class CopysignBackward0(Binary):
    floating_result = True

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        self.save_result("result")
        return np.copysign(a, b)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        return _copysign_vjp(grad, self.saved("self"), self.saved("result")), zeros_like_grad(grad)


class CopysignBackward1(Op):
    jvp_self_adjoint = True

    def forward(self, a: np.ndarray, other: Any) -> np.ndarray:
        if a.dtype.kind != "f":
            a = a.astype(dt.get_default_dtype().numpy)
        self.save_input("self", 0)
        self.save_result("result")
        return np.copysign(a, np.asarray(other, dtype=a.dtype))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (_copysign_vjp(grad, self.saved("self"), self.saved("result")),)


class FmaxBackward0(Binary):
    """fmax: the larger, ignoring a nan; ties send the whole gradient to self."""

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        self.save_input("other", 1)
        return self.pick(a, b)

    pick: Any = staticmethod(np.fmax)
    prefer: Any = staticmethod(np.greater_equal)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        # torch unpacks saved tensors in name order (the first stale one is reported)
        b, a = self.saved("other")._data, self.saved("self")._data
        to_self = self.prefer(a, b) | np.isnan(b)
        return where_const(to_self, grad, 0.0), where_const(to_self, 0.0, grad)


class FminBackward0(FmaxBackward0):
    pick: Any = staticmethod(np.fmin)
    prefer: Any = staticmethod(np.less_equal)


class LogaddexpBackward0(Binary):
    """log(e^a + e^b); each input's share is a logistic function of the difference."""

    floating_result = True
    log_base = 1.0
    reduce: Any = staticmethod(np.logaddexp)

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        self.save_input("other", 1)
        return self.reduce(a, b)

    def _share(self, lead: Tensor, other: Tensor) -> Tensor:
        return 1 / (mul_scalar(other - lead, self.log_base).exp() + 1)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.saved("self"), self.saved("other")
        return grad * self._share(a, b), grad * self._share(b, a)


class Logaddexp2Backward0(LogaddexpBackward0):
    log_base = math.log(2)
    reduce: Any = staticmethod(np.logaddexp2)


def _lerp(start: np.ndarray, end: np.ndarray, weight: Any) -> np.ndarray:
    """torch's lerp kernel: from start for |weight| < 0.5, from end otherwise (exact ends)."""
    w = np.asarray(weight)
    return np.where(np.abs(w) < 0.5, start + w * (end - start), end - (end - start) * (1 - w))


class LerpBackward0(Binary):
    """lerp(start, end, Python weight)."""

    floating_result = True

    def compute(self, a: np.ndarray, b: np.ndarray, weight: Any = 0.5) -> np.ndarray:
        self.weight = weight
        return _lerp(a, b, weight)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        return mul_scalar(grad, 1 - self.weight), mul_scalar(grad, self.weight)


class _Ternary(Op):
    """Three broadcasting tensors in their promoted dtype; gradients summed back per input."""

    layout = ITERATOR

    def forward(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, **params: Any) -> np.ndarray:
        assert self._inputs is not None
        _check_broadcast(a, b)
        _check_broadcast(np.broadcast_to(a, np.broadcast_shapes(a.shape, b.shape)), c)
        self.shapes = (a.shape, b.shape, c.shape)
        out_dtype = dt.result_type(*self._inputs).numpy
        arrays = [x.astype(out_dtype, copy=False) for x in (a, b, c)]
        return np.asarray(_quietly(self.compute, *arrays, **params), dtype=out_dtype)

    def compute(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, **params: Any) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        grads = self.vjp(grad)
        return tuple(
            unbroadcast(g, s) if g is not None and need else None
            for g, s, need in zip(grads, self.shapes, self.needs_input_grad, strict=True)
        )

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        raise NotImplementedError

    def jvp(self, *tangents: Tensor | None) -> Tensor | None:
        return elementwise_jvp(self, tangents)


class LerpBackward1(_Ternary):
    """lerp(start, end, weight tensor)."""

    def compute(self, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        self.save_input("end", 1)
        self.save_input("weight", 2)
        return _lerp(a, b, w)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        # torch unpacks saved tensors in name order (the first stale one is reported)
        end, start, w = self.saved("end"), self.saved("self"), self.saved("weight")
        return grad * (1 - w), grad * w, grad * (end - start)


class AddcmulBackward0(_Ternary):
    """self + value * tensor1 * tensor2."""

    def compute(self, a: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: Any = 1) -> np.ndarray:
        self.value = value
        if self.needs_input_grad[1]:
            self.save_input("tensor2", 2)
        if self.needs_input_grad[2]:
            self.save_input("tensor1", 1)
        return a + np.asarray(value, dtype=a.dtype) * t1 * t2

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        scaled = mul_scalar(grad, self.value) if self.value != 1 else grad
        g1 = scaled * self.saved("tensor2") if self.needs_input_grad[1] else None
        g2 = scaled * self.saved("tensor1") if self.needs_input_grad[2] else None
        return grad, g1, g2


class AddcdivBackward0(_Ternary):
    """self + value * tensor1 / tensor2."""

    def compute(self, a: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: Any = 1) -> np.ndarray:
        if t1.dtype.kind in "iub" and t2.dtype.kind in "iub":
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future release "
                "addcdiv will perform a true division of tensor1 and tensor2. The historic "
                "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / "
                "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
                "tensor2) for float inputs. The future addcdiv behavior is just the latter "
                "implementation: (input + value * tensor1 / tensor2), for all dtypes."
            )
        self.value = value
        self.save_input("tensor2", 2)
        if self.needs_input_grad[2]:
            self.save_input("tensor1", 1)
        return a + np.asarray(value, dtype=a.dtype) * t1 / t2

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        scaled = mul_scalar(grad, self.value) if self.value != 1 else grad
        t2 = self.saved("tensor2")
        g1 = scaled / t2 if self.needs_input_grad[1] else None
        g2 = -scaled * self.saved("tensor1") / (t2 * t2) if self.needs_input_grad[2] else None
        return grad, g1, g2


# -- xlog1py, ldexp, nextafter, frexp (issue 13, round 3) ---------------------------------------


class SpecialXlog1PyBackward0(Binary):
    """x * log1p(y), 0 where x == 0 unless y is nan."""

    floating_result = True

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        self.save_input("other", 1)
        return np.where((a == 0) & ~np.isnan(b), 0.0, a * np.log1p(b)).astype(np.result_type(a, b))

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, y = self.saved("self"), self.saved("other")
        # torch: xlog1py(grad, y) masked to 0 where x == 0 and y <= -1; grad * x / (y + 1)
        gx = grad * where_const((x._data == 0) & (y._data <= -1), 0.0, y.log1p())
        return gx, grad * x / (y + 1)


class LdexpBackward0(Binary):
    """self * 2^other (a floating result for an integer exponent too)."""

    floating_result = True

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        self.save_input("other", 1)
        return a * np.exp2(b)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, e = self.saved("self"), self.saved("other")
        scale = mul_scalar(e, math.log(2.0)).exp()
        gx = grad * scale if self.needs_input_grad[0] else None
        ge = grad * x * mul_scalar(scale, math.log(2.0)) if self.needs_input_grad[1] else None
        return gx, ge


class NextafterBackward0(Binary):
    """The next representable value after self towards other; torch passes the gradient to
    self unchanged and gives other none (zeros)."""

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.nextafter(a, b)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        return grad, zeros_like_grad(grad)

    def jvp(self, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        return ta if ta is not None else self.fw_zeros()


class FrexpBackward0(Op):
    """(mantissa, exponent) with self = mantissa * 2^exponent; the int32 exponent has no
    gradient, the mantissa's is grad / 2^exponent."""

    nondifferentiable_outputs = (1,)

    def forward(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if a.dtype.kind != "f":
            raise RuntimeError(
                "torch.frexp() only supports floating-point dtypes, but got "
                f"{np.dtype(a.dtype).name}"
            )
        mantissa, exponent = np.frexp(a)
        self.scale = np.exp2(-exponent.astype(a.dtype))
        return mantissa, exponent.astype(np.int32)

    def backward(self, grad: Tensor, _exponent_grad: Tensor | None = None) -> tuple[Tensor]:
        return (grad * _const(self.scale, grad),)

    def jvp(self, t: Tensor) -> tuple[Tensor, None]:
        return t * _const(self.scale, t), None
