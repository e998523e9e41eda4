"""Elementwise ops: arithmetic, pow, transcendental functions, activations, clamp, where.

Binary ops broadcast and promote like torch; their backward returns broadcast-shaped gradients
that ``Binary.backward`` reduces with the shared ``unbroadcast`` helper.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as dt
from .._layout import ITERATOR, PRESERVE, lay_out
from .._tensor import Tensor
from .base import Op, tangent_sum, unbroadcast, zeros_like_grad


def _errstate() -> Any:
    """Silence NumPy: torch returns inf/nan without warnings."""
    return np.errstate(all="ignore")


@np.errstate(all="ignore")
def _quietly(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` silenced like ``_errstate``, for the per-op hot path: the
    decorator form skips building and entering a context manager object on every call."""
    return fn(*args, **kwargs)


def _check_broadcast(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape == b.shape:
        return
    for i, (m, n) in enumerate(zip(reversed(a.shape), reversed(b.shape), strict=False)):
        if m != n and m != 1 and n != 1:
            dim = max(a.ndim, b.ndim) - 1 - i
            raise RuntimeError(
                f"The size of tensor a ({m}) must match the size of tensor b ({n}) at "
                f"non-singleton dimension {dim}"
            )


class Binary(Op):
    """Broadcasting binary op computed in torch's promoted dtype."""

    layout = ITERATOR

    #: Whether the result is always floating (true division) even for integer inputs.
    floating_result = False

    def forward(self, a: np.ndarray, b: np.ndarray, **params: Any) -> np.ndarray:
        assert self._inputs is not None
        _check_broadcast(a, b)
        out_dtype = dt.binary_result_type(*self._inputs)
        if self.floating_result and not out_dtype.is_floating_point:
            out_dtype = dt.get_default_dtype()
        self.shapes = (a.shape, b.shape)
        a, b = a.astype(out_dtype.numpy, copy=False), b.astype(out_dtype.numpy, copy=False)
        out = _quietly(self.compute, a, b, **params)
        return np.asarray(out, dtype=out_dtype.numpy)

    def compute(self, a: np.ndarray, b: np.ndarray, **params: Any) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        grads = self.vjp(grad)
        # An input that needs no gradient gets None from ``apply`` anyway: don't reduce for it.
        return tuple(
            unbroadcast(g, shape) if g is not None and need else None
            for g, shape, need in zip(grads, self.shapes, self.needs_input_grad, strict=True)
        )

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        raise NotImplementedError

    def jvp(self, *tangents: Tensor | None) -> Any:
        if self.jvp_linear or self.jvp_multilinear or self.jvp_self_adjoint:
            return super().jvp(*tangents)
        return elementwise_jvp(self, tangents)


def elementwise_jvp(node: Op, tangents: Any) -> Tensor | None:
    """The JVP of a broadcasting elementwise op from its VJP: each input's partial derivative
    is its ``vjp`` for a cotangent of ones (at the output's shape, before the sum back over
    broadcast dims), times its tangent. The VJP runs on a fresh node that saves every input
    (the op's own node saved only what recorded gradients needed), with no pack hooks."""
    from .. import _saved

    assert node._fw is not None
    inputs, outputs, params = node._fw
    fresh: Any = type(node)._prepare(inputs, inplace=False)
    fresh.needs_input_grad = (True,) * len(inputs)
    hooks = list(_saved.HOOK_STACK)
    _saved.HOOK_STACK.clear()
    try:
        fresh.forward(*[t._data for t in inputs], **params)
        for name, index in fresh._save_results:
            fresh._saved[name] = _saved.SavedTensor(outputs[index])
        out = outputs[0]
        ones = Tensor._from_array(np.ones(tuple(out.shape), dtype=out._data.dtype))
        partials = fresh.vjp(ones)
    finally:
        _saved.HOOK_STACK.extend(hooks)
    return tangent_sum(
        *(
            None if t is None or p is None else p * t
            for p, t in zip(partials, tangents, strict=True)
        )
    )


def _fused_multiply_add(a: np.ndarray, b: np.ndarray, alpha: Any) -> np.ndarray:
    """a + alpha * b rounded once, as torch's CPU kernels (an FMA) do for reduced precision."""
    if a.dtype.kind == "f" and a.dtype.itemsize < 8:
        alpha = np.asarray(alpha, dtype=a.dtype).astype(np.float64)
        return (a.astype(np.float64) + b.astype(np.float64) * alpha).astype(a.dtype)
    return a + b * alpha


class AddBackward0(Binary):
    jvp_linear = True

    def compute(self, a: np.ndarray, b: np.ndarray, alpha: Any = 1) -> np.ndarray:
        self.alpha = alpha
        return _fused_multiply_add(a, b, alpha) if alpha != 1 else a + b

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        if not self.needs_input_grad[1]:
            return grad, None
        # torch's maybe_multiply(grad, alpha): a Scalar product (MulBackward1)
        return grad, (mul_scalar(grad, self.alpha) if self.alpha != 1 else grad)


class SubBackward0(Binary):
    jvp_linear = True

    def compute(self, a: np.ndarray, b: np.ndarray, alpha: Any = 1) -> np.ndarray:
        self.alpha = alpha
        return _fused_multiply_add(a, b, -alpha) if alpha != 1 else a - b

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        if not self.needs_input_grad[1]:
            return grad, None
        return grad, (mul_scalar(-grad, self.alpha) if self.alpha != 1 else -grad)


class MulBackward0(Binary):
    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_for_product("self", "other")
        return a * b

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        ga = grad * self.saved("other") if self.needs_input_grad[0] else None
        gb = grad * self.saved("self") if self.needs_input_grad[1] else None
        return ga, gb

    def jvp(self, ta: Tensor | None, tb: Tensor | None) -> Tensor | None:
        return tangent_sum(
            None if ta is None else ta * self.fw_input(1),
            None if tb is None else self.fw_input(0) * tb,
        )


def _times_scalar(a: np.ndarray, other: Any) -> np.ndarray:
    """``a * other`` in ``a``'s dtype; the scalar's cast is inside ``_quietly`` too, since a
    huge Python number overflows to inf with a NumPy warning torch never gives."""
    return a * np.asarray(other, dtype=a.dtype)


class MulBackward1(Op):
    """tensor * Python scalar as torch's C++ formulas write it (one edge)."""

    jvp_linear = True

    def forward(self, a: np.ndarray, other: Any) -> np.ndarray:
        self.other = other
        # Quiet: pow's exponent grad multiplies by log(0) = -inf.
        return np.asarray(_quietly(_times_scalar, a, other), dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (mul_scalar(grad, self.other),)


class DivBackward1(Op):
    """tensor / Python scalar (torch's div.Scalar; one edge)."""

    jvp_linear = True

    def forward(self, a: np.ndarray, other: Any) -> np.ndarray:
        self.other = other
        with _errstate():
            return np.asarray(a / np.asarray(other, dtype=a.dtype), dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (div_scalar(grad, self.other),)


def mul_scalar(t: Tensor, s: Any) -> Tensor:
    return MulBackward1.invoke(t, other=s)


def div_scalar(t: Tensor, s: Any) -> Tensor:
    return DivBackward1.invoke(t, other=s)


class DivBackward0(Binary):
    floating_result = True

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.needs_input_grad[0] or self.needs_input_grad[1]:
            self.save_input("other", 1)
        if self.needs_input_grad[1]:
            self.save_input("self", 0)
        return a / b

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        other = self.saved("other")
        ga = grad / other if self.needs_input_grad[0] else None
        gb = -grad * ((self.saved("self") / other) / other) if self.needs_input_grad[1] else None
        return ga, gb

    def jvp(self, ta: Tensor | None, tb: Tensor | None) -> Tensor | None:
        # d(a / b) = da / b - (a / b) db / b
        b = self.fw_input(1)
        return tangent_sum(
            None if ta is None else ta / b,
            None if tb is None else -(tb * self.fw_output()) / b,
        )


class DivBackward2(Binary):
    """div with rounding_mode: piecewise constant, so its gradient is zero everywhere."""

    def compute(self, a: np.ndarray, b: np.ndarray, rounding_mode: str = "floor") -> np.ndarray:
        _check_integer_divisor(b)
        if a.dtype.kind in "iub":
            if rounding_mode == "floor":
                return np.floor_divide(a, b)
            return (np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))).astype(a.dtype)
        return (np.floor if rounding_mode == "floor" else np.trunc)(a / b)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        return zeros_like_grad(grad), zeros_like_grad(grad)

    def jvp(self, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        return self.fw_zeros()


def _check_integer_divisor(b: np.ndarray) -> None:
    """Integer division by zero: torch's CPU kernels raise this one-word error."""
    if b.dtype.kind in "iu" and not np.all(b):
        raise RuntimeError("ZeroDivisionError")


class NotImplemented(Op):  # noqa: A001 - torch's node name for floor_divide
    """``a // b``: torch records the op but has no derivative for it."""

    def forward(self, a: np.ndarray, *rest: np.ndarray, other: Any = None) -> np.ndarray:
        assert self._inputs is not None
        b = rest[0] if rest else np.asarray(other)
        out_dtype = dt.result_type(*self._inputs, *(() if rest else (other,)))
        if not out_dtype.is_floating_point:
            _check_integer_divisor(b)
        with _errstate():
            return np.asarray(np.floor_divide(a, b), dtype=out_dtype.numpy)

    def backward(self, *grads: Tensor | None) -> tuple[Tensor | None, ...]:
        raise RuntimeError("derivative for aten::floor_divide is not implemented")

    def jvp(self, *tangents: Tensor | None) -> Tensor:
        raise NotImplementedError(
            "Trying to use forward AD with aten::floor_divide that does not support it."
        )


class MaximumBackward0(Binary):
    pick_first: Any = staticmethod(np.greater)

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        self.save_input("other", 1)
        self.promoted = a.dtype  # ``forward`` cast both inputs to it
        return np.maximum(a, b) if self.pick_first is np.greater else np.minimum(a, b)

    def _inputs_compared(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``a`` and ``b`` as torch's ``self == other`` and ``self < other`` see them: in the
        promoted dtype (a float64 0-d input ties with a float32 one when it rounds to it)."""
        return a.astype(self.promoted, copy=False), b.astype(self.promoted, copy=False)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        # torch unpacks saved tensors in name order (the first stale one is reported)
        b, a = self.saved("other")._data, self.saved("self")._data
        a, b = self._inputs_compared(a, b)
        untied = Tensor._from_array(a != b)

        def share(loses: np.ndarray) -> Tensor:
            # derivatives.yaml: where(self == other, grad / 2, grad).masked_fill_(loses, 0),
            # so a create_graph gradient's node is MaskedFillBackward0, as torch's
            return grad.where(untied, grad / 2).masked_fill_(Tensor._from_array(loses), 0)

        return share(self.pick_first(b, a)), share(self.pick_first(a, b))

    def jvp(self, ta: Tensor | None, tb: Tensor | None) -> Tensor | None:
        # the tangent of the larger input; half of each at a tie
        a, b = self._inputs_compared(self.fw_input(0)._data, self.fw_input(1)._data)
        first, tie = self.pick_first(a, b), a == b
        return tangent_sum(
            None if ta is None else ta * _const(np.where(tie, 0.5, first), ta),
            None if tb is None else tb * _const(np.where(tie, 0.5, ~first & ~tie), tb),
        )


class MinimumBackward0(MaximumBackward0):
    pick_first: Any = staticmethod(np.less)


def _const(values: np.ndarray, like: Tensor) -> Tensor:
    """A constant (no-grad) tensor in ``like``'s dtype."""
    return Tensor._from_array(np.asarray(values, dtype=like._data.dtype))


class PowBackward0(Op):
    """tensor ** scalar."""

    def forward(self, a: np.ndarray, exponent: Any) -> np.ndarray:
        self.exponent = exponent
        if a.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if a.dtype.kind in "iub" and isinstance(exponent, float):
            a = a.astype(dt.get_default_dtype().numpy)
        self.save_input("self", 0)
        with _errstate():
            return np.power(
                a, np.asarray(exponent).astype(a.dtype) if a.dtype.kind == "f" else exponent
            )

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x = self.saved("self")
        p = self.exponent
        if p == 0:
            return (zeros_like_grad(grad),)
        return (grad * mul_scalar(x.pow(p - 1), p),)

    def jvp(self, t: Tensor) -> Tensor:
        p = self.exponent
        if p == 0:
            return self.fw_zeros()
        return t * mul_scalar(self.fw_input().pow(p - 1), p)


class PowBackward1(Binary):
    """tensor ** tensor."""

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # torch's codegen saves all three whichever input needs grad (an output is never
        # guarded), so an in-place write to the result fails backward even for self's grad.
        self.save_input("self", 0)
        self.save_input("exponent", 1)
        self.save_result("result")
        return np.power(a, b)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        # torch's generated apply unpacks every saved tensor up front, exponent then self then
        # result, so a version error names the first of those that was modified.
        p, x, result = self.saved("exponent"), self.saved("self"), self.saved("result")
        ga = None
        if self.needs_input_grad[0]:
            # pow_backward_self: where(exponent == 0, 0, grad * (exponent * self.pow(exponent - 1)))
            ga = where_const(p._data == 0, 0.0, grad * (p * x.pow(sub_scalar(p, 1))))
        gb = None
        if self.needs_input_grad[1]:
            # pow_backward_exponent: grad * where(cond, 0, result * self.to(result's dtype).log()),
            # so under create_graph the exponent's grad is a MulBackward0.
            mask = (x._data == 0) & (p._data >= 0)
            gb = grad * where_const(mask, 0.0, result * x.to(result.dtype).log())
        return ga, gb

    def jvp(self, ta: Tensor | None, tb: Tensor | None) -> Tensor | None:
        # d(x^p) = p x^(p-1) dx + x^p log(x) dp (0 where p == 0, resp. x == 0 <= p)
        x, p = self.fw_input(0), self.fw_input(1)
        da = None
        if ta is not None:
            da = ta * where_const(p._data == 0, 0.0, p * x.pow(sub_scalar(p, 1)))
        dp = None
        if tb is not None:
            mask = (x._data == 0) & (p._data >= 0)
            dp = tb * where_const(mask, 0.0, self.fw_output() * x.to(self.fw_output().dtype).log())
        return tangent_sum(da, dp)


class PowBackward2(Op):
    """scalar ** tensor."""

    def forward(self, a: np.ndarray, base: Any) -> np.ndarray:
        assert self._inputs is not None
        self.base = base
        out_dtype = dt.result_type(self._inputs[0], base).numpy
        # torch saves the exponent too though its formula reads only the result: modifying the
        # exponent in place still fails this node's backward.
        self.save_input("exponent", 0)
        self.save_result("result")
        with _errstate():
            return np.asarray(np.power(np.asarray(base, dtype=out_dtype), a.astype(out_dtype)))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        # pow_backward_exponent(grad, Scalar base, exponent, result): grad * (result * log(base))
        # with log(base) a Scalar (MulBackward1); a zero base is 0 where exponent >= 0.
        p = self.saved("exponent")  # unpacked (version-checked) first, as torch's apply does
        result = self.saved("result")
        log_base = float(_quietly(np.log, np.float64(self.base)))
        scaled = mul_scalar(result, log_base)
        if self.base == 0:
            scaled = where_const(p._data >= 0, 0.0, scaled)
        return (grad * scaled,)

    def jvp(self, t: Tensor) -> Tensor:
        # d(c^x) = c^x log(c) dx
        log_base = float(_quietly(np.log, np.float64(self.base)))
        scaled = mul_scalar(self.fw_output(), log_base)
        if self.base == 0:
            scaled = where_const(self.fw_input()._data >= 0, 0.0, scaled)
        return t * scaled


class SubBackward1(Op):
    """tensor - scalar as torch's C++ formulas write it (``exponent - 1``): the Scalar overload,
    which Python's ``t - 1`` never reaches (it wraps the number into a tensor)."""

    def forward(self, a: np.ndarray, other: Any) -> np.ndarray:
        assert self._inputs is not None
        out_dtype = dt.result_type(self._inputs[0], other)
        return np.asarray(_quietly(np.subtract, a, other), dtype=out_dtype.numpy)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad,)

    def jvp(self, t: Tensor) -> Tensor:
        return t


def sub_scalar(t: Tensor, s: Any) -> Tensor:
    return SubBackward1.invoke(t, other=s)


class RsubBackward1(Op):
    """scalar - tensor."""

    def forward(self, a: np.ndarray, other: Any, alpha: Any = 1) -> np.ndarray:
        assert self._inputs is not None
        out_dtype = dt.result_type(self._inputs[0], other)
        self.alpha = alpha
        return np.asarray(other - a * alpha, dtype=out_dtype.numpy)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (mul_scalar(-grad, self.alpha) if self.alpha != 1 else -grad,)

    def jvp(self, t: Tensor) -> Tensor:
        return -t * self.alpha if self.alpha != 1 else -t


# -- unary ---------------------------------------------------------------------------------------


class Unary(Op):
    """Elementwise function of one floating input (integers promote to the default dtype)."""

    jvp_self_adjoint = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        if a.dtype.kind != "f":
            a = a.astype(dt.get_default_dtype().numpy)
        return np.asarray(_quietly(self.compute, a), dtype=a.dtype)

    def compute(self, a: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class NegBackward0(Op):
    jvp_linear = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        if a.dtype == np.bool_:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                "to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return np.negative(a)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (-grad,)


class ExpBackward0(Unary):
    def compute(self, a: np.ndarray) -> np.ndarray:
        self.save_result("result")
        return np.exp(a)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad * self.saved("result"),)


class LogBackward0(Unary):
    def compute(self, a: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        return np.log(a)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad / self.saved("self"),)


class SqrtBackward0(Unary):
    def compute(self, a: np.ndarray) -> np.ndarray:
        self.save_result("result")
        return np.sqrt(a)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad / mul_scalar(self.saved("result"), 2),)


class RsqrtBackward0(Unary):
    def compute(self, a: np.ndarray) -> np.ndarray:
        self.save_result("result")
        return 1 / np.sqrt(a)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        r = self.saved("result")
        return (grad * (r.pow(3) * -0.5),)


class ReciprocalBackward0(Unary):
    def compute(self, a: np.ndarray) -> np.ndarray:
        self.save_result("result")
        return 1 / a

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        r = self.saved("result")
        return (-grad * (r * r),)


class AbsBackward0(Op):
    jvp_self_adjoint = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        return np.abs(a)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad * SgnBackward0.invoke(self.saved("self")),)


class SignBackward0(Op):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.shape_dtype = (a.shape, a.dtype)
        return np.sign(a)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (zeros_like_grad(grad),)

    def jvp(self, t: Tensor) -> Tensor:
        return self.fw_zeros()


class SgnBackward0(SignBackward0):
    """sgn(x): what abs's derivative is written with."""


class SinBackward0(Unary):
    def compute(self, a: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        return np.sin(a)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad * self.saved("self").cos(),)


class CosBackward0(Unary):
    def compute(self, a: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        return np.cos(a)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad * -self.saved("self").sin(),)


class TanhBackward0(Unary):
    def compute(self, a: np.ndarray) -> np.ndarray:
        self.save_result("result")
        return np.tanh(a)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (TanhBackwardBackward0.invoke(grad, self.saved("result")),)


class TanhBackwardBackward0(Op):
    """tanh_backward(grad, y) = grad * (1 - y^2), a primitive so double backward is exact."""

    def forward(self, g: np.ndarray, y: np.ndarray) -> np.ndarray:
        self.save_input("grad", 0)
        self.save_input("y", 1)
        return g * (1 - y * y)

    def backward(self, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
        y = self.saved("y")
        g_grad = gg * (1 - y * y) if self.needs_input_grad[0] else None
        g_y = gg * self.saved("grad") * (y * -2) if self.needs_input_grad[1] else None
        return g_grad, g_y

    def jvp(self, tg: Tensor | None, ty: Tensor | None) -> Tensor | None:
        # d(g (1 - y^2)) = dg (1 - y^2) - 2 g y dy
        g, y = self.fw_input(0), self.fw_input(1)
        return tangent_sum(
            None if tg is None else tg * (1 - y * y), None if ty is None else ty * g * (y * -2)
        )


class SigmoidBackward0(Unary):
    def compute(self, a: np.ndarray) -> np.ndarray:
        self.save_result("result")
        return _sigmoid_kernel(a)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (SigmoidBackwardBackward0.invoke(grad, self.saved("result")),)


def _sigmoid_kernel(a: np.ndarray) -> np.ndarray:
    """torch's CPU sigmoid kernel: ``1 / (1 + exp(-x))`` everywhere (an exp that overflows
    gives 0, as it should), half precision computed in float32 and rounded once. Of 300,000
    normal values times 1, 5 and 30 it equals torch 2.13.0's result for 83% in float32, 97% in
    float64 and all but two in float16, where ``_sigmoid``'s ``e / (1 + e)`` for negative x
    equals it for 72%, 77% and 75%. The caller silences NumPy's overflow warning."""
    x = a.astype(np.float32) if a.itemsize < 4 else a
    return (1 / (1 + np.exp(-x))).astype(a.dtype, copy=False)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """Overflow-free logistic function (inside derivative formulas)."""
    out = np.empty_like(a)
    pos = a >= 0
    out[pos] = 1 / (1 + np.exp(-a[pos]))
    e = np.exp(a[~pos])
    out[~pos] = e / (1 + e)
    return out


class SigmoidBackwardBackward0(Op):
    """sigmoid_backward(grad, y) = grad * y * (1 - y)."""

    def forward(self, g: np.ndarray, y: np.ndarray) -> np.ndarray:
        self.save_input("grad", 0)
        self.save_input("y", 1)
        return g * (1 - y) * y

    def backward(self, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
        y = self.saved("y")
        g_grad = gg * (1 - y) * y if self.needs_input_grad[0] else None
        g_y = gg * self.saved("grad") * (1 - y * 2) if self.needs_input_grad[1] else None
        return g_grad, g_y

    def jvp(self, tg: Tensor | None, ty: Tensor | None) -> Tensor | None:
        # d(g y (1 - y)) = dg y (1 - y) + g (1 - 2 y) dy
        g, y = self.fw_input(0), self.fw_input(1)
        return tangent_sum(
            None if tg is None else tg * (1 - y) * y, None if ty is None else ty * g * (1 - y * 2)
        )


class ReluBackward0(Op):
    jvp_self_adjoint = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.save_result("result")
        return np.maximum(a, 0).astype(a.dtype, copy=False)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (ThresholdBackwardBackward0.invoke(grad, self.saved("result")),)


class ThresholdBackwardBackward0(Op):
    """threshold_backward(grad, y, 0): the gradient passes where y > 0."""

    def forward(self, g: np.ndarray, y: np.ndarray) -> np.ndarray:
        self.mask = y > 0
        return np.where(self.mask, g, 0).astype(g.dtype, copy=False)

    def backward(self, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
        return (gg * _const(self.mask, gg), gg * 0)

    def jvp(self, tg: Tensor | None, ty: Tensor | None) -> Tensor:
        # linear in g with a mask that is piecewise constant in y
        return self.fw_zeros() if tg is None else tg * _const(self.mask, tg)


class ClampBackward1(Op):
    """clamp with scalar bounds; the bounds themselves get gradient (inclusive)."""

    jvp_self_adjoint = True

    def forward(self, a: np.ndarray, min: Any = None, max: Any = None) -> np.ndarray:  # noqa: A002
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        self.save_input("self", 0)
        self.bounds = (min, max)
        out = a
        if min is not None:
            out = np.maximum(out, min)
        if max is not None:
            out = np.minimum(out, max)
        assert self._inputs is not None
        bounds = (b for b in self.bounds if b is not None)
        return np.asarray(out, dtype=dt.result_type(self._inputs[0], *bounds).numpy)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x = self.saved("self")._data
        lo, hi = self.bounds
        mask = np.ones(x.shape, dtype=bool)
        if lo is not None:
            mask &= x >= lo
        if hi is not None:
            mask &= x <= hi
        return (where_const(mask, grad, 0.0),)  # torch: where(min <= x <= max, grad, 0)


class ClampBackward0(Op):
    """clamp with tensor bounds: edges to (self, min, max); ties keep the gradient in self."""

    def forward(
        self, a: np.ndarray, lo: np.ndarray, hi: np.ndarray, has_min: bool, has_max: bool
    ) -> np.ndarray:
        assert self._inputs is not None
        self.flags = (has_min, has_max)
        self.shapes = (a.shape, lo.shape, hi.shape)
        used = [self._inputs[0]] + [
            t for t, f in zip(self._inputs[1:], self.flags, strict=True) if f
        ]
        out_dtype = dt.result_type(*used).numpy
        out = a
        if has_min:
            out = np.maximum(out, lo)
        if has_max:
            out = np.minimum(out, hi)
        self.save_input("self", 0)
        self.save_input("min", 1)
        self.save_input("max", 2)
        return np.asarray(out, dtype=out_dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        x = self.saved("self")._data
        lo, hi = self.saved("min")._data, self.saved("max")._data
        has_min, has_max = self.flags
        # torch's clamp_backward / clamp_backward_min_max (min > max: the output is max).
        keep = np.ones(np.broadcast_shapes(x.shape, lo.shape, hi.shape), bool)
        if has_min:
            keep &= x >= lo
        if has_max:
            keep &= x <= hi
        if has_min and has_max:
            below = (x < lo) & (lo < hi)
            above = (x > hi) | (hi < lo)
        else:
            below, above = (x < lo), (x > hi)
        out: list[Tensor | None] = [where_const(keep, grad, 0.0)]
        out.append(where_const(below, grad, 0.0) if has_min else None)
        out.append(where_const(above, grad, 0.0) if has_max else None)
        return tuple(
            None if g is None else unbroadcast(g, s) for g, s in zip(out, self.shapes, strict=True)
        )

    def jvp(self, tx: Tensor | None, tlo: Tensor | None, thi: Tensor | None) -> Tensor | None:
        # the tangent of whichever of self, min, max the output is (as the VJP routes it)
        x, lo, hi = (self.fw_input(i)._data for i in range(3))
        has_min, has_max = self.flags
        keep = np.ones(np.broadcast_shapes(x.shape, lo.shape, hi.shape), bool)
        if has_min:
            keep &= x >= lo
        if has_max:
            keep &= x <= hi
        if has_min and has_max:
            below, above = (x < lo) & (lo < hi), (x > hi) | (hi < lo)
        else:
            below, above = (x < lo), (x > hi)
        return tangent_sum(
            None if tx is None else where_const(keep, tx, 0.0),
            None if tlo is None or not has_min else where_const(below, tlo, 0.0),
            None if thi is None or not has_max else where_const(above, thi, 0.0),
        )


class ClampMinBackward0(ClampBackward1):
    def forward(self, a: np.ndarray, min: Any = None, max: Any = None) -> np.ndarray:  # noqa: A002
        return super().forward(a, min=min)


class ClampMaxBackward0(ClampBackward1):
    def forward(self, a: np.ndarray, min: Any = None, max: Any = None) -> np.ndarray:  # noqa: A002
        return super().forward(a, max=max)


class WhereBackward0(Binary):
    """where(condition, self, other); the condition is a parameter (it has no gradient)."""

    jvp_linear = True

    tensor_params = ("condition",)

    def compute(self, a: np.ndarray, b: np.ndarray, condition: np.ndarray) -> np.ndarray:
        self.save_param("condition", condition)
        return np.where(condition, a, b)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        condition = self.saved("condition")._data
        if condition.dtype != bool:  # a saved-tensors unpack hook may hand back another dtype
            name = dt.from_numpy_dtype(condition.dtype).scalar_name
            raise RuntimeError(
                "where expected condition to be a boolean tensor, but got a tensor with dtype "
                + name
            )
        zero = _const(np.zeros((), bool), grad)
        ga = where_const(condition, grad, zero) if self.needs_input_grad[0] else None
        gb = where_const(condition, zero, grad) if self.needs_input_grad[1] else None
        return ga, gb


def where_const(condition: np.ndarray, a: Any, b: Any) -> Tensor:
    from .base import as_tensor_arg

    ta, tb = as_tensor_arg(a), as_tensor_arg(b)
    out: Tensor = WhereBackward0.invoke(ta, tb, condition=np.asarray(condition, dtype=bool))
    return out


# -- copies and conversions ------------------------------------------------------------------


class CloneBackward0(Op):
    layout = PRESERVE
    jvp_linear = True

    def forward(self, a: np.ndarray, memory_format: str = PRESERVE) -> np.ndarray:
        return np.array(a, copy=True)

    def laid_out(self, result: Any, inputs: tuple[Tensor, ...], params: dict[str, Any]) -> Any:
        """``clone()`` keeps self's layout; ``contiguous()`` and reshape's copy make it C."""
        return lay_out(params.get("memory_format", PRESERVE), result, [inputs[0]._data])

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad,)


class ToCopyBackward0(Op):
    jvp_linear = True

    def forward(self, a: np.ndarray, dtype: dt.dtype) -> np.ndarray:
        self.source_dtype = dt.from_numpy_dtype(a.dtype)
        return a.astype(dtype.numpy)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad.to(self.source_dtype),)


class CopyBackwards(Op):
    """``self.copy_(src)``: self's old values get no gradient; src gets it, summed to shape."""

    def forward(self, a: np.ndarray, src: np.ndarray) -> np.ndarray:
        try:
            np.broadcast_shapes(src.shape, a.shape)
        except ValueError:
            raise RuntimeError(
                f"The size of tensor a ({a.shape[-1] if a.ndim else 1}) must match the size of "
                f"tensor b ({src.shape[-1] if src.ndim else 1}) at non-singleton dimension "
                f"{max(a.ndim - 1, 0)}"
            ) from None
        self.src_shape = src.shape
        return np.broadcast_to(src, a.shape).astype(a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        g_self = zeros_like_grad(grad) if self.needs_input_grad[0] else None
        g_src = unbroadcast(grad, self.src_shape) if self.needs_input_grad[1] else None
        return g_self, g_src

    def jvp(self, ta: Tensor | None, tsrc: Tensor | None) -> Tensor:
        return self.fw_zeros() if tsrc is None else tsrc


class FillBackward2(Op):
    """fill_(scalar)."""

    def forward(self, a: np.ndarray, value: Any) -> np.ndarray:
        if isinstance(value, float) and a.dtype.kind in "iub":
            value = int(value)
        return np.full(a.shape, value, dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (zeros_like_grad(grad),)

    def jvp(self, t: Tensor) -> Tensor:
        return self.fw_zeros()


class FillBackward3(Op):
    """fill_ with a 0-d tensor value (what ``t[...] = scalar`` records); the value gets the
    summed gradient."""

    def forward(self, a: np.ndarray, value: np.ndarray) -> np.ndarray:
        if value.ndim != 0:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions."
            )
        return np.full(a.shape, value, dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        return (
            zeros_like_grad(grad) if self.needs_input_grad[0] else None,
            grad.sum() if self.needs_input_grad[1] else None,
        )

    def jvp(self, ta: Tensor | None, tv: Tensor | None) -> Tensor:
        return self.fw_zeros() if tv is None else tv.expand(*self.fw_output().shape)


class ZeroBackward0(Op):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.zeros_like(a)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (zeros_like_grad(grad),)

    def jvp(self, t: Tensor) -> Tensor:
        return self.fw_zeros()


class MaskedFillBackward0(Op):
    tensor_params = ("mask",)

    def forward(self, a: np.ndarray, mask: np.ndarray, value: Any) -> np.ndarray:
        self.save_param("mask", mask)
        return np.where(mask, np.asarray(value, dtype=a.dtype), a)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        # torch's formula is grad.masked_fill(mask, 0): create_graph records this node again
        return (MaskedFillBackward0.invoke(grad, mask=self.saved("mask"), value=0.0),)

    def jvp(self, t: Tensor) -> Tensor:
        mask = np.broadcast_to(self.fw_param("mask"), self.fw_output().shape)
        return where_const(mask, 0.0, t)


# -- the node classes torch picks for tensor operands (issue 13, round 3) ---------------------


class RsubBackward0(Binary):
    """rsub(self, other, alpha) = other - alpha * self with both operands tensors."""

    jvp_linear = True

    def compute(self, a: np.ndarray, b: np.ndarray, alpha: Any = 1) -> np.ndarray:
        self.alpha = alpha
        return _fused_multiply_add(b, a, -alpha) if alpha != 1 else b - a

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        if not self.needs_input_grad[0]:
            return None, grad
        return (mul_scalar(-grad, self.alpha) if self.alpha != 1 else -grad), grad


class ClampMinBackward1(Binary):
    """clamp_min(self, min) with a tensor bound: self keeps the gradient where self >= min,
    the bound gets it where self < min."""

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_input("self", 0)
        self.save_input("bound", 1)
        return self.clamp(a, b)

    def clamp(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.maximum(a, b)  # nan in either operand propagates, as in torch

    def masks(self, x: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x >= b, x < b

    def _masks(self, x: Tensor, b: Tensor, shape: tuple[int, ...]) -> tuple[Any, Any]:
        keep, other = self.masks(x._data, b._data)
        return np.broadcast_to(keep, shape), np.broadcast_to(other, shape)

    def vjp(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        keep, other = self._masks(self.saved("self"), self.saved("bound"), tuple(grad.shape))
        return (
            where_const(keep, grad, 0.0) if self.needs_input_grad[0] else None,
            where_const(other, grad, 0.0) if self.needs_input_grad[1] else None,
        )

    def jvp(self, ta: Tensor | None, tb: Tensor | None) -> Tensor | None:
        shape = tuple(self.fw_output().shape)
        keep, other = self._masks(self.fw_input(0), self.fw_input(1), shape)
        return tangent_sum(
            None if ta is None else where_const(keep, ta, 0.0),
            None if tb is None else where_const(other, tb, 0.0),
        )


class ClampMaxBackward1(ClampMinBackward1):
    """clamp_max(self, max) with a tensor bound."""

    def clamp(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.minimum(a, b)

    def masks(self, x: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x <= b, x > b


class FillBackward0(FillBackward2):
    """torch.fill(self, scalar), out of place."""


class FillBackward1(FillBackward3):
    """torch.fill(self, value) with a 0-d tensor value, out of place."""


class MaskedFillBackward1(Op):
    """masked_fill(self, mask, value) with a 0-d tensor value: it gets the gradient summed over
    the filled positions."""

    tensor_params = ("mask",)

    def forward(self, a: np.ndarray, value: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if value.ndim != 0:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        self.shape = a.shape
        self.value_dtype = dt.from_numpy_dtype(value.dtype)
        self.save_param("mask", mask)
        return np.where(mask, value.astype(a.dtype), a)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        mask = np.broadcast_to(self.saved("mask")._data, grad.shape)
        g_self = g_value = None
        if self.needs_input_grad[0]:
            g_self = unbroadcast(where_const(mask, 0.0, grad), self.shape)
        if self.needs_input_grad[1]:
            g_value = where_const(mask, grad, 0.0).sum().to(self.value_dtype)
        return g_self, g_value

    def jvp(self, ta: Tensor | None, tv: Tensor | None) -> Tensor:
        shape = tuple(self.fw_output().shape)
        mask = np.broadcast_to(self.fw_param("mask"), shape)
        filled = where_const(mask, 0.0, ta) if ta is not None else self.fw_zeros()
        return filled if tv is None else filled + where_const(mask, tv, 0.0)
