"""nn.functional activations and elementwise losses with a node of their own in torch.

Each activation is one declaration: ``activation(node name, NumPy forward, VJP)``; both take the
op's keyword parameters (hardtanh's bounds, elu's alpha). The forward saves the input, and the
VJP is ``grad * f'(x)`` written with reference ops (piecewise pieces as constant masks), so
create_graph differentiates it again. The derivatives are the textbook ones; at a kink the side
torch picks is noted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor
from .base import Op, tangent_sum, unbroadcast
from .nn_ops import SoftplusBackward0, _reduce, _reduce_tangent, _scale
from .pointwise import SigmoidBackward0, TanhBackward0, _const, _quietly, mul_scalar, where_const
from .special import ErfBackward0, erf

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
GELU_CUBIC = 0.044715


class _Activation(Op):
    """One floating input and scalar keyword parameters; saves the input."""

    jvp_self_adjoint = True

    fn: Callable[..., np.ndarray]
    vjp: Callable[..., Tensor]

    def forward(self, a: np.ndarray, **params: Any) -> np.ndarray:
        self.params = params
        self.save_input("self", 0)
        return np.asarray(_quietly(type(self).fn, a, **params), dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (type(self).vjp(grad, self.saved("self"), **self.params),)


def activation(name: str, fn: Callable[..., np.ndarray], vjp: Callable[..., Tensor]) -> Any:
    """Declare an elementwise activation node ``name``: ``fn(x, **params)`` in NumPy and
    ``vjp(grad, x, **params)`` from reference ops."""
    doc = f"{name.removesuffix('Backward0')}: elementwise with parameters, saves self."
    namespace = {
        "fn": staticmethod(fn),
        "vjp": staticmethod(vjp),
        "__module__": __name__,
        "__doc__": doc,
    }
    return type(name, (_Activation,), namespace)


def _mask(condition: np.ndarray, grad: Tensor) -> Tensor:
    """grad where the condition holds, 0 elsewhere (a constant mask: linear in grad)."""
    return where_const(condition, grad, 0.0)


def _sigmoid(x: Tensor) -> Tensor:
    out: Tensor = SigmoidBackward0.invoke(x)
    return out


# -- piecewise linear ---------------------------------------------------------------------------


def _hardtanh_vjp(g: Tensor, x: Tensor, min_val: float, max_val: float) -> Tensor:
    a = x._data
    return _mask((a > min_val) & (a < max_val), g)  # the bounds themselves pass nothing


HardtanhBackward0 = activation(
    "HardtanhBackward0",
    lambda a, min_val, max_val: np.clip(a, min_val, max_val),
    _hardtanh_vjp,
)
HardsigmoidBackward0 = activation(
    "HardsigmoidBackward0",
    lambda a: np.clip(a / 6 + 0.5, 0, 1),
    lambda g, x: mul_scalar(_mask((x._data > -3) & (x._data < 3), g), 1 / 6),
)


def _hardswish_vjp(g: Tensor, x: Tensor) -> Tensor:
    # d/dx x (x + 3) / 6 = x / 3 + 1/2 on (-3, 3]; 1 above; 0 below (torch's sides).
    a = x._data
    mid, high = (a >= -3) & (a <= 3), a > 3
    return g * (_const(mid, x) * (mul_scalar(x, 1 / 3) + 0.5) + _const(high, x))


HardswishBackward0 = activation(
    "HardswishBackward0", lambda a: a * np.clip(a + 3, 0, 6) / 6, _hardswish_vjp
)
SoftshrinkBackward0 = activation(
    "SoftshrinkBackward0",
    lambda a, lambd: np.where(a > lambd, a - lambd, np.where(a < -lambd, a + lambd, 0)),
    lambda g, x, lambd: _mask(np.abs(x._data) > lambd, g),
)
HardshrinkBackward0 = activation(
    "HardshrinkBackward0",
    lambda a, lambd: np.where(np.abs(a) > lambd, a, 0),
    lambda g, x, lambd: _mask(np.abs(x._data) > lambd, g),
)


def _threshold(a: np.ndarray, threshold: float, value: float) -> np.ndarray:
    out: np.ndarray = np.where(a > threshold, a, np.asarray(value, dtype=a.dtype))
    return out


ThresholdBackward0 = activation(
    "ThresholdBackward0",
    _threshold,
    lambda g, x, threshold, value: _mask(x._data > threshold, g),
)
LeakyReluBackward0 = activation(
    "LeakyReluBackward0",
    lambda a, negative_slope: np.where(a > 0, a, a * negative_slope),
    lambda g, x, negative_slope: where_const(x._data > 0, g, mul_scalar(g, negative_slope)),
)

# -- exponential family ---------------------------------------------------------------------


def _elu(a: np.ndarray, alpha: float, scale: float, input_scale: float) -> np.ndarray:
    return np.where(a > 0, a * scale, alpha * scale * np.expm1(a * input_scale))


def _elu_vjp(g: Tensor, x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    # x <= 0 takes the exponential branch (torch's elu_backward): alpha s i exp(i x).
    negative = mul_scalar(mul_scalar(x, input_scale).exp(), alpha * scale * input_scale)
    return g * where_const(x._data > 0, _const(np.asarray(scale), x), negative)


EluBackward0 = activation("EluBackward0", _elu, _elu_vjp)
CeluBackward0 = activation(
    "CeluBackward0",
    lambda a, alpha: _elu(a, alpha, 1.0, 1 / alpha),
    lambda g, x, alpha: _elu_vjp(g, x, alpha, 1.0, 1 / alpha),
)

# -- smooth ---------------------------------------------------------------------------------


def _softplus(x: Tensor) -> Tensor:
    out: Tensor = SoftplusBackward0.invoke(x, beta=1.0, threshold=20.0)
    return out


def _np_softplus(a: np.ndarray) -> np.ndarray:
    return np.where(a > 20, a, np.log1p(np.exp(np.minimum(a, 20))))


def _mish_vjp(g: Tensor, x: Tensor) -> Tensor:
    # d/dx x tanh(sp(x)) = tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2).
    t = TanhBackward0.invoke(_softplus(x))
    return g * (t + x * _sigmoid(x) * (1 - t * t))


MishBackward0 = activation("MishBackward0", lambda a: a * np.tanh(_np_softplus(a)), _mish_vjp)


def _silu_vjp(g: Tensor, x: Tensor) -> Tensor:
    s = _sigmoid(x)
    return g * (s * (1 + x * (1 - s)))


SiluBackward0 = activation("SiluBackward0", lambda a: a / (1 + np.exp(-a)), _silu_vjp)
LogSigmoidBackward0 = activation(
    "LogSigmoidBackward0",
    lambda a: -_np_softplus(-a),
    lambda g, x: g * _sigmoid(-x),  # d/dx -log(1 + e^-x) = sigmoid(-x)
)


def _gelu(a: np.ndarray, approximate: str) -> np.ndarray:
    if approximate == "tanh":
        return 0.5 * a * (1 + np.tanh(SQRT_2_OVER_PI * (a + GELU_CUBIC * a**3)))
    return 0.5 * a * (1 + erf(a / math.sqrt(2)))


def _gelu_vjp(g: Tensor, x: Tensor, approximate: str) -> Tensor:
    if approximate == "tanh":
        # u = k (x + c x^3); d/dx x (1 + tanh u) / 2 = (1 + t) / 2 + x (1 - t^2) u' / 2.
        u = mul_scalar(x + mul_scalar(x * x * x, GELU_CUBIC), SQRT_2_OVER_PI)
        t = TanhBackward0.invoke(u)
        du = mul_scalar(mul_scalar(x * x, 3 * GELU_CUBIC) + 1, SQRT_2_OVER_PI)
        return g * (mul_scalar(t + 1, 0.5) + mul_scalar(x * (1 - t * t) * du, 0.5))
    # Phi(x) + x phi(x).
    cdf = mul_scalar(ErfBackward0.invoke(mul_scalar(x, 1 / math.sqrt(2))) + 1, 0.5)
    pdf = mul_scalar(mul_scalar(x * x, -0.5).exp(), 1 / math.sqrt(2 * math.pi))
    return g * (cdf + x * pdf)


GeluBackward0 = activation("GeluBackward0", _gelu, _gelu_vjp)

# -- two inputs -----------------------------------------------------------------------------


class GluBackward0(Op):
    """glu(x, dim) = a * sigmoid(b), a and b the two halves of x along dim."""

    def forward(self, a: np.ndarray, dim: int) -> np.ndarray:
        if a.ndim == 0:
            raise RuntimeError("glu does not support scalars because halving size must be even")
        d = dim % a.ndim
        n = a.shape[d]
        if n % 2:
            raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
        self.dim, self.half = d, n // 2
        self.save_input("self", 0)
        first, second = np.split(a, 2, axis=d)
        return first / (1 + np.exp(-second))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        from .joining import cat

        x = self.saved("self")
        first, second = x.narrow(self.dim, 0, self.half), x.narrow(self.dim, self.half, self.half)
        s = _sigmoid(second)
        return (cat([grad * s, grad * first * s * (1 - s)], dim=self.dim),)

    def jvp(self, t: Tensor) -> Tensor:
        # d(a sigmoid(b)) = da s + a s (1 - s) db, a and b (and their tangents) the halves
        x = self.fw_input()
        first, second = x.narrow(self.dim, 0, self.half), x.narrow(self.dim, self.half, self.half)
        ta, tb = t.narrow(self.dim, 0, self.half), t.narrow(self.dim, self.half, self.half)
        s = _sigmoid(second)
        return ta * s + first * s * (1 - s) * tb


class PreluKernelBackward0(Op):
    """prelu: x where x > 0, weight * x elsewhere (weight already viewed to broadcast)."""

    def forward(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        self.w_shape = w.shape
        self.save_input("self", 0)
        self.save_input("weight", 1)
        return np.where(x > 0, x, w * x)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, w = self.saved("self"), self.saved("weight")
        positive = x._data > 0
        gx = where_const(positive, grad, grad * w) if self.needs_input_grad[0] else None
        gw = None
        if self.needs_input_grad[1]:
            gw = unbroadcast(where_const(positive, 0.0, grad * x), self.w_shape)
        return gx, gw

    def jvp(self, tx: Tensor | None, tw: Tensor | None) -> Tensor | None:
        x, w = self.fw_input(0), self.fw_input(1)
        positive = x._data > 0
        return tangent_sum(
            None if tx is None else where_const(positive, tx, tx * w),
            None if tw is None else where_const(positive, 0.0, x * tw),
        )


# -- elementwise losses with a node of their own ---------------------------------------------


class _PairLoss(Op):
    """loss(input, target) elementwise in d = input - target (broadcast), then reduced.
    ``slope(d)`` is d loss / d d from reference ops; the target's gradient is its negative."""

    param_name = ""

    def forward(
        self, x: np.ndarray, y: np.ndarray, reduction: str = "mean", param: float = 1.0
    ) -> np.ndarray:
        self.reduction, self.param = reduction, param
        self.shapes = (x.shape, y.shape)
        self.save_input("self", 0)
        self.save_input("target", 1)
        return _reduce(np.asarray(self.elementwise(x - y, param), dtype=x.dtype), reduction)

    def elementwise(self, d: np.ndarray, param: float) -> np.ndarray:
        raise NotImplementedError

    def slope(self, d: Tensor) -> Tensor:
        raise NotImplementedError

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        d = self.saved("self") - self.saved("target")
        g = _scale(grad, tuple(d.shape), self.reduction) * self.slope(d)
        gx = unbroadcast(g, self.shapes[0]) if self.needs_input_grad[0] else None
        gy = unbroadcast(-g, self.shapes[1]) if self.needs_input_grad[1] else None
        return gx, gy

    def jvp(self, tx: Tensor | None, ty: Tensor | None) -> Tensor | None:
        diff = tangent_sum(tx, None if ty is None else -ty)
        if diff is None:
            return None
        d = self.fw_input(0) - self.fw_input(1)
        return _reduce_tangent(self.slope(d) * diff, self.reduction)


class SmoothL1LossBackward0(_PairLoss):
    """0.5 d^2 / beta where |d| < beta, |d| - beta / 2 elsewhere (beta = 0: l1)."""

    def elementwise(self, d: np.ndarray, param: float) -> np.ndarray:
        ad = np.abs(d)
        if param == 0:
            return ad
        return np.where(ad < param, 0.5 * d * d / param, ad - 0.5 * param)

    def slope(self, d: Tensor) -> Tensor:
        beta = self.param
        inside = np.abs(d._data) <= beta
        sign = _const(np.sign(d._data), d)
        if beta == 0:
            return sign
        return where_const(inside, mul_scalar(d, 1 / beta), sign)


class HuberLossBackward0(_PairLoss):
    """0.5 d^2 where |d| <= delta, delta (|d| - delta / 2) elsewhere."""

    def elementwise(self, d: np.ndarray, param: float) -> np.ndarray:
        ad = np.abs(d)
        return np.where(ad <= param, 0.5 * d * d, param * (ad - 0.5 * param))

    def slope(self, d: Tensor) -> Tensor:
        inside = np.abs(d._data) <= self.param
        return where_const(inside, d, _const(self.param * np.sign(d._data), d))


class SoftMarginLossBackward0(Op):
    """log(1 + exp(-y x)), reduced; y is a constant target (torch gives it no gradient)."""

    tensor_params = ("target",)

    def forward(self, x: np.ndarray, target: np.ndarray, reduction: str = "mean") -> np.ndarray:
        self.reduction = reduction
        self.save_input("self", 0)
        self.save_param("target", target)
        return _reduce(np.asarray(np.log1p(np.exp(-target * x)), dtype=x.dtype), reduction)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x, y = self.saved("self"), self.saved("target")
        # d/dx log(1 + e^(-y x)) = -y sigmoid(-y x).
        g = _scale(grad, tuple(x.shape), self.reduction)
        return (g * (-y * _sigmoid(-y * x)),)

    def jvp(self, t: Tensor) -> Tensor | None:
        x = self.fw_input()
        y = _const(np.asarray(self.fw_param("target")), x)
        return _reduce_tangent(t * (-y * _sigmoid(-y * x)), self.reduction)
