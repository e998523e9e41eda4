"""Elementwise functions of one tensor: inverse trig, hyperbolic, erf family, gamma family,
rounding, logit, nan_to_num.

Each op is one declaration: ``unary(node name, NumPy forward, what it saves, VJP)``. The VJP is
written with reference ops (so create_graph differentiates it again) from the textbook
derivative; the special functions NumPy lacks (erf, lgamma, digamma, polygamma, erfinv) are
computed here from the standard library and classical series.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor
from .base import Op, zeros_like_grad
from .pointwise import Unary, _const, _quietly, mul_scalar, where_const

SQRT_PI = math.sqrt(math.pi)

# -- special functions in NumPy ------------------------------------------------------------------


def _elementwise(fn: Callable[[float], float]) -> Callable[[np.ndarray], np.ndarray]:
    """A float64 array function from a scalar ``math`` function (nan in, nan out)."""

    def guarded(v: float) -> float:
        if math.isnan(v):
            return math.nan
        try:
            return fn(v)
        except ValueError:  # a pole of lgamma
            return math.inf
        except OverflowError:
            return math.inf

    ufunc = np.frompyfunc(guarded, 1, 1)

    def apply(a: np.ndarray) -> np.ndarray:
        return np.asarray(ufunc(np.asarray(a, dtype=np.float64)), dtype=np.float64)

    return apply


erf = _elementwise(math.erf)
erfc = _elementwise(math.erfc)
lgamma = _elementwise(math.lgamma)


def erfinv(y: np.ndarray) -> np.ndarray:
    """Inverse of erf: Winitzki's closed-form start, then Newton steps on erf (or on erfc near
    +-1, where 1 - |y| is exact and erf would lose the digits)."""
    y = np.asarray(y, dtype=np.float64)
    a = 0.147
    w = np.log((1 - y) * (1 + y))
    t = 2 / (np.pi * a) + w / 2
    x = np.sign(y) * np.sqrt(np.sqrt(t * t - w / a) - t)
    ay, ax = np.abs(y), np.abs(x)
    tail = ay > 0.5
    finite = np.isfinite(x)
    for _ in range(4):
        slope = 2 / SQRT_PI * np.exp(-ax * ax)
        # Newton on erfc(x) = 1 - |y| in the tails, on erf(x) = |y| elsewhere.
        delta = np.where(tail, erfc(ax) - (1 - ay), ay - erf(ax)) / np.where(slope > 0, slope, 1)
        ax = np.where(finite & (slope > 0), ax + delta, ax)
    out = np.sign(y) * ax
    out = np.where(ay == 1, np.sign(y) * np.inf, out)
    return np.where(ay > 1, np.nan, out)


# Bernoulli numbers B2, B4, ... for the asymptotic series.
_B2K = np.array([1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510])


def digamma(x: np.ndarray) -> np.ndarray:
    """psi(x): reflection below 1/2, upward recurrence to x >= 10, then the asymptotic series.
    torch's conventions at the poles: psi(+-0) = -+inf, nan at negative integers."""
    x = np.asarray(x, dtype=np.float64)
    reflect = x < 0.5
    z = np.where(reflect, 1 - x, x)
    acc = np.zeros_like(z)
    while True:
        small = z < 10
        if not small.any():
            break
        acc = acc - np.where(small, 1 / np.where(small, z, 1), 0)
        z = np.where(small, z + 1, z)
    inv2 = 1 / (z * z)
    series = np.zeros_like(z)
    power = inv2.copy()
    for k, b in enumerate(_B2K, start=1):
        series = series + b / (2 * k) * power
        power = power * inv2
    out = acc + np.log(z) - 0.5 / z - series
    with np.errstate(all="ignore"):
        out = np.where(reflect, out - np.pi / np.tan(np.pi * x), out)
    out = np.where(reflect & (x == np.floor(x)), np.nan, out)
    return np.where(x == 0, np.copysign(np.inf, -x), out)


def hurwitz_zeta(s: float, q: np.ndarray) -> np.ndarray:
    """zeta(s, q) = sum_k (q + k)^-s for s > 1: direct terms until q + k >= 10, then
    Euler-Maclaurin (integral, half term, Bernoulli corrections)."""
    q = np.asarray(q, dtype=np.float64)
    total = np.zeros_like(q)
    a = q.copy()
    for _ in range(10):
        total = total + a**-s
        a = a + 1
    while (a < 10).any():
        low = a < 10
        total = total + np.where(low, np.where(low, a, 1) ** -s, 0)
        a = np.where(low, a + 1, a)
    total = total + a ** (1 - s) / (s - 1) + 0.5 * a**-s
    rising, fact = s, 2.0
    power = a ** (-s - 1)
    for k, b in enumerate(_B2K, start=1):
        total = total + b / fact * rising * power
        rising = rising * (s + 2 * k - 1) * (s + 2 * k)
        fact = fact * (2 * k + 1) * (2 * k + 2)
        power = power / (a * a)
    return np.where((q <= 0) & (q == np.floor(q)), np.inf, total)


def polygamma(n: int, x: np.ndarray) -> np.ndarray:
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1; digamma for n = 0."""
    if n == 0:
        return digamma(x)
    return (-1) ** (n + 1) * math.factorial(n) * hurwitz_zeta(n + 1.0, x)


# -- the declaration ----------------------------------------------------------------------------

Vjp = Callable[[Tensor, Tensor], Tensor]


def unary(name: str, forward: Callable[..., np.ndarray], saves: str | None, vjp: Any) -> Any:
    """Declare an elementwise op class named ``name`` (torch's node name).

    ``saves`` is "self" (the input), "result" (the output) or None; ``vjp(grad, saved)`` (or
    ``vjp(grad)`` when nothing is saved) returns the input's gradient from reference ops.
    """

    def compute(self: Op, a: np.ndarray) -> np.ndarray:
        if saves == "self":
            self.save_input("self", 0)
        elif saves == "result":
            self.save_result("result")
        return forward(a)

    def backward(self: Op, grad: Tensor) -> tuple[Tensor]:
        return (vjp(grad, self.saved(saves)) if saves else vjp(grad),)

    doc = f"{name.removesuffix('Backward0')}: elementwise, saves {saves or 'nothing'}."
    return type(
        name,
        (Unary,),
        {"compute": compute, "backward": backward, "__module__": __name__, "__doc__": doc},
    )


def _ln(base: float) -> float:
    return math.log(base)


AcosBackward0 = unary("AcosBackward0", np.arccos, "self", lambda g, x: -g * (1 - x * x).rsqrt())
AsinBackward0 = unary("AsinBackward0", np.arcsin, "self", lambda g, x: g * (1 - x * x).rsqrt())
AtanBackward0 = unary("AtanBackward0", np.arctan, "self", lambda g, x: g / (x * x + 1))
AcoshBackward0 = unary("AcoshBackward0", np.arccosh, "self", lambda g, x: g * (x * x - 1).rsqrt())
AsinhBackward0 = unary("AsinhBackward0", np.arcsinh, "self", lambda g, x: g * (x * x + 1).rsqrt())
AtanhBackward0 = unary("AtanhBackward0", np.arctanh, "self", lambda g, x: g / (1 - x * x))
SinhBackward0 = unary("SinhBackward0", np.sinh, "self", lambda g, x: g * CoshBackward0.invoke(x))
CoshBackward0: Any = unary(
    "CoshBackward0", np.cosh, "self", lambda g, x: g * SinhBackward0.invoke(x)
)
TanBackward0 = unary("TanBackward0", np.tan, "result", lambda g, r: g * (r * r + 1))
ErfBackward0 = unary(
    "ErfBackward0", erf, "self", lambda g, x: g * mul_scalar((-x * x).exp(), 2 / SQRT_PI)
)
ErfcBackward0 = unary(
    "ErfcBackward0", erfc, "self", lambda g, x: g * mul_scalar((-x * x).exp(), -2 / SQRT_PI)
)
ErfinvBackward0: Any = unary(
    "ErfinvBackward0",
    erfinv,
    "self",
    lambda g, x: g * mul_scalar(ErfinvBackward0.invoke(x).pow(2).exp(), SQRT_PI / 2),
)
LgammaBackward0 = unary(
    "LgammaBackward0", lgamma, "self", lambda g, x: g * DigammaBackward0.invoke(x)
)
DigammaBackward0: Any = unary(
    "DigammaBackward0", digamma, "self", lambda g, x: g * PolygammaBackward0.invoke(x, n=1)
)
Expm1Backward0 = unary("Expm1Backward0", np.expm1, "result", lambda g, r: g * (r + 1))
Log1PBackward0 = unary("Log1PBackward0", np.log1p, "self", lambda g, x: g / (x + 1))
Log2Backward0 = unary("Log2Backward0", np.log2, "self", lambda g, x: g / mul_scalar(x, _ln(2)))
Log10Backward0 = unary("Log10Backward0", np.log10, "self", lambda g, x: g / mul_scalar(x, _ln(10)))
Exp2Backward0 = unary("Exp2Backward0", np.exp2, "result", lambda g, r: g * mul_scalar(r, _ln(2)))
Deg2RadBackward0 = unary(
    "Deg2RadBackward0", np.deg2rad, None, lambda g: mul_scalar(g, math.pi / 180)
)
Rad2DegBackward0 = unary(
    "Rad2DegBackward0", np.rad2deg, None, lambda g: mul_scalar(g, 180 / math.pi)
)
TruncBackward0 = unary("TruncBackward0", np.trunc, None, zeros_like_grad)
CeilBackward0 = unary("CeilBackward0", np.ceil, None, zeros_like_grad)
FloorBackward0 = unary("FloorBackward0", np.floor, None, zeros_like_grad)
RoundBackward0 = unary("RoundBackward0", np.round, None, zeros_like_grad)
FracBackward0 = unary("FracBackward0", lambda a: a - np.trunc(a), None, lambda g: g)
AngleBackward0 = unary(
    "AngleBackward0",
    lambda a: np.where(a < 0, np.pi, np.where(np.isnan(a), a, 0.0)),
    None,
    zeros_like_grad,
)


def _sinc_vjp(grad: Tensor, x: Tensor) -> Tensor:
    """d/dx sin(pi x)/(pi x) = (pi x cos(pi x) - sin(pi x)) / (pi x^2); 0 at x = 0."""
    px = mul_scalar(x, math.pi)
    slope = (px * px.cos() - px.sin()) / (px * x)
    return grad * where_const(x._data == 0, 0.0, slope)


SincBackward0 = unary("SincBackward0", np.sinc, "self", _sinc_vjp)


class RoundBackward1(Unary):
    """round(decimals=d): round half to even at 10^-d; zero gradient."""

    def forward(self, a: np.ndarray, decimals: int = 0) -> np.ndarray:
        if a.dtype.kind != "f":
            return np.asarray(np.round(a, decimals), dtype=a.dtype)
        if decimals >= 0:
            scale = np.asarray(10.0**decimals, dtype=a.dtype)
            out = _quietly(lambda: np.round(a * scale) / scale)
        else:
            scale = np.asarray(10.0**-decimals, dtype=a.dtype)
            out = _quietly(lambda: np.round(a / scale) * scale)
        return np.asarray(out, dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (zeros_like_grad(grad),)


class PolygammaBackward0(Unary):
    """polygamma(n, x); its derivative is polygamma(n + 1, x)."""

    def forward(self, a: np.ndarray, n: int = 0) -> np.ndarray:
        if n < 0:
            raise RuntimeError("polygamma(n, x) does not support negative n.")
        self.n = n
        self.save_input("self", 0)
        if a.dtype.kind != "f":
            a = a.astype(np.float64)
        return np.asarray(_quietly(polygamma, n, a), dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad * PolygammaBackward0.invoke(self.saved("self"), n=self.n + 1),)


class MvlgammaBackward0(Unary):
    """Multivariate log-gamma of order p: sum_j lgamma(x - j/2) + p(p-1)/4 log(pi)."""

    def forward(self, a: np.ndarray, p: int = 1) -> np.ndarray:
        if p < 1:
            raise RuntimeError("p has to be greater than or equal to 1")
        if a.dtype.kind != "f":
            a = a.astype(np.float64)
        if not (a > (p - 1) / 2).all():
            raise RuntimeError("All elements must be greater than (p-1)/2")
        self.p = p
        self.save_input("self", 0)
        out = sum(lgamma(a - j / 2) for j in range(p)) + p * (p - 1) / 4 * math.log(math.pi)
        return np.asarray(out, dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x = self.saved("self")
        total = DigammaBackward0.invoke(x)
        for j in range(1, self.p):
            total = total + DigammaBackward0.invoke(x - j / 2)
        return (grad * total,)


class LogitBackward0(Unary):
    """log(x / (1 - x)), x clamped to [eps, 1 - eps] when eps is given."""

    def forward(self, a: np.ndarray, eps: float | None = None) -> np.ndarray:
        if a.dtype.kind != "f":
            a = a.astype(np.float64)
        self.eps = eps
        self.save_input("self", 0)
        x = a if eps is None else np.clip(a, eps, 1 - eps)
        return np.asarray(_quietly(lambda: np.log(x / (1 - x))), dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x = self.saved("self")
        slope = grad / (x * (1 - x))
        if self.eps is None:
            outside = (x._data < 0) | (x._data > 1)
            return (where_const(outside, math.nan, slope),)
        outside = (x._data < self.eps) | (x._data > 1 - self.eps)
        return (where_const(outside, 0.0, slope),)


class NanToNumBackward0(Unary):
    """nan -> nan (0), +-inf -> posinf/neginf (the dtype's extremes); gradient where finite."""

    def forward(
        self,
        a: np.ndarray,
        nan: float = 0.0,
        posinf: float | None = None,
        neginf: float | None = None,
    ) -> np.ndarray:
        self.finite = np.isfinite(a)
        if a.dtype.kind != "f":
            return a.copy()
        return np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad * _const(self.finite, grad),)


# -- torch.special's Bessel, normal-distribution and entropy functions (issue 13, round 3) -------


def _bessel_scaled(nu: int, x: np.ndarray) -> np.ndarray:
    """exp(-|x|) I_nu(|x|) for nu in (0, 1): the power series up to |x| = 30, Hankel's
    asymptotic series beyond (both to float64 precision there)."""
    ax = np.abs(np.asarray(x, dtype=np.float64))
    small = np.where(ax <= 30, ax, 0.0)
    half_sq = (small / 2) ** 2
    term = (small / 2) ** nu / math.factorial(nu)
    total = term.copy()
    for k in range(1, 120):
        term = term * half_sq / (k * (k + nu))
        total = total + term
    with np.errstate(all="ignore"):
        series = total * np.exp(-small)
        big = np.where(ax > 30, ax, 31.0)
        mu = 4.0 * nu * nu
        term_a = np.ones_like(big)
        acc = term_a.copy()
        for k in range(1, 30):
            term_a = -term_a * (mu - (2 * k - 1) ** 2) / (k * 8 * big)
            acc = acc + term_a
        hankel = acc / np.sqrt(2 * np.pi * big)
    out = np.where(ax > 30, hankel, series)
    return np.where(np.isnan(ax), np.nan, np.where(np.isinf(ax), 0.0, out))


def i0e(x: np.ndarray) -> np.ndarray:
    return _bessel_scaled(0, x)


def i1e(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * _bessel_scaled(1, x)


def i1(x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.where(np.isinf(x), x, i1e(x) * np.exp(np.abs(x)))


def erfcx(x: np.ndarray) -> np.ndarray:
    """exp(x^2) erfc(x); its asymptotic series past x = 25, where exp(x^2) overflows."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        direct = np.exp(x * x) * erfc(np.where(x > 25, 0.0, x))
        big = np.where(x > 25, x, 26.0)
        inv2 = 1 / (2 * big**2)
        term, series = np.ones_like(big), np.ones_like(big)
        for n in range(1, 10):  # sum (-1)^n (2n - 1)!! / (2 x^2)^n
            term = -term * (2 * n - 1) * inv2
            series = series + term
        tail = series / (big * SQRT_PI)
    return np.where(x > 25, tail, direct)


def log_ndtr(x: np.ndarray) -> np.ndarray:
    """log of the standard normal CDF, without cancellation on either side."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        right = np.log1p(-0.5 * erfc(x / math.sqrt(2)))
        left = np.log(0.5 * erfc(-x / math.sqrt(2)))
    return np.where(x > 0, right, left)


def ndtri(p: np.ndarray) -> np.ndarray:
    """The normal quantile: sqrt(2) erfinv(2p - 1), polished by Newton steps on the CDF written
    with erfc (accurate in the lower tail)."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(all="ignore"):
        x = math.sqrt(2) * erfinv(2 * p - 1)
        for _ in range(3):
            finite = np.isfinite(x)
            cdf = 0.5 * erfc(np.where(finite, -x, 0.0) / math.sqrt(2))
            density = np.exp(-(np.where(finite, x, 0.0) ** 2) / 2) / math.sqrt(2 * math.pi)
            step = np.where(finite & (density > 0), (cdf - p) / density, 0.0)
            x = x - step
    return x


def entr(x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)), 0.0)
    return np.where(x < 0, -np.inf, np.where(np.isnan(x), np.nan, out))


def _reciprocal_or_half(g: Tensor, x: Tensor, fn: Callable[[Tensor], Tensor]) -> Tensor:
    """torch's i1/i1e backward: ``fn(safe x)``, and 0.5 where |x| <= eps (the limit at 0)."""
    eps = float(np.finfo(x._data.dtype).eps) if x._data.dtype.kind == "f" else 2.2e-16
    tiny = np.abs(x._data) <= eps
    safe = where_const(tiny, eps, x)
    return g * where_const(tiny, 0.5, fn(safe))


I0Backward0: Any = unary(
    "I0Backward0", np.i0, "self", lambda g, x: g * SpecialI1Backward0.invoke(x)
)
SpecialI0EBackward0: Any = unary(
    "SpecialI0EBackward0",
    i0e,
    "self",
    lambda g, x: g * (SpecialI1EBackward0.invoke(x) - x.sign() * SpecialI0EBackward0.invoke(x)),
)
SpecialI1Backward0: Any = unary(
    "SpecialI1Backward0",
    i1,
    "self",
    lambda g, x: _reciprocal_or_half(
        g, x, lambda s: I0Backward0.invoke(s) - SpecialI1Backward0.invoke(s) / s
    ),
)
SpecialI1EBackward0: Any = unary(
    "SpecialI1EBackward0",
    i1e,
    "self",
    lambda g, x: _reciprocal_or_half(
        g,
        x,
        lambda s: (
            SpecialI0EBackward0.invoke(s)
            - SpecialI1EBackward0.invoke(s) * (s.sign() + s.reciprocal())
        ),
    ),
)
SpecialErfcxBackward0: Any = unary(
    "SpecialErfcxBackward0",
    erfcx,
    "self",
    lambda g, x: g * (mul_scalar(x * SpecialErfcxBackward0.invoke(x), 2.0) - 2 / SQRT_PI),
)
SpecialLogNdtrBackward0: Any = unary(
    "SpecialLogNdtrBackward0",
    log_ndtr,
    "self",
    lambda g, x: (
        g
        * mul_scalar(
            (-(SpecialLogNdtrBackward0.invoke(x) + mul_scalar(x * x, 0.5))).exp(),
            1 / math.sqrt(2 * math.pi),
        )
    ),
)
SpecialNdtriBackward0 = unary(
    "SpecialNdtriBackward0",
    ndtri,
    "result",
    lambda g, r: g * mul_scalar(mul_scalar(r * r, 0.5).exp(), math.sqrt(2 * math.pi)),
)
SpecialEntrBackward0 = unary("SpecialEntrBackward0", entr, "self", lambda g, x: g * -(x.log() + 1))
