"""The op-breadth additions of issue 13 against central finite differences, in float64.

One ``OpCase`` per op form (the table and its input domains are ``test_op_gradients``'s): first
order (``gradcheck``: the engine's vector-Jacobian products against central differences) and
second order (``gradgradcheck``: the same for the create_graph gradient). The derivatives are
reference_impl's own, written from the math; this file never imports torch. A planted wrong
derivative shows the check can fail, and ``test_op_gradients.test_every_op_class_is_covered``
counts these cases too, so every new op class must appear here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pytest

import reference_impl as torch
from reference_impl._ops import special
from reference_impl.autograd import gradcheck, gradgradcheck

from .test_op_gradients import C, In, OpCase

_RNG = np.random.default_rng(13)


def _uniform(lo: float, hi: float, shape: tuple[int, ...]) -> np.ndarray:
    """An explicit input array (for domains the shared table lacks)."""
    return _RNG.uniform(lo, hi, shape)


def _t(values: Any, dtype: Any = None) -> Any:
    return torch.tensor(values, dtype=dtype)


S = (3, 4)
IDX_GATHER = _t([[0, 3, 3], [1, 1, 0], [2, 0, 1]])
IDX_SCATTER = _t([[0, 2, 2, 1], [0, 2, 1, 1]])  # column-wise repeats: accumulation
IDX_UNIQUE = _t([[0, 2, 1, 1], [2, 0, 0, 2]])  # no repeat within a column

BREADTH_CASES: list[OpCase] = [
    # -- unary: inverse trig and hyperbolic ------------------------------------------------
    C("acos", torch.acos, S, domain="unit"),
    C("asin", torch.asin, S, domain="unit"),
    C("atan", torch.atan, S),
    C("acosh", torch.acosh, _uniform(1.2, 3.0, S)),
    C("asinh", torch.asinh, S),
    C("atanh", torch.atanh, S, domain="unit"),
    C("sinh", torch.sinh, S),
    C("cosh", torch.cosh, S),
    C("tan", torch.tan, S, domain="unit"),
    # -- unary: erf and gamma families -------------------------------------------------------
    C("erf", torch.erf, S),
    C("erfc", torch.erfc, S),
    C("erfinv", torch.erfinv, _uniform(-0.9, 0.9, S)),
    C("lgamma", torch.lgamma, S, domain="positive"),
    C("lgamma[negative non-integers]", torch.lgamma, _uniform(-2.9, -2.1, S)),
    C("digamma", torch.digamma, S, domain="positive"),
    C("digamma[negative]", torch.digamma, _uniform(-0.9, -0.1, S)),
    C("polygamma(1)", lambda x: torch.polygamma(1, x), S, domain="positive"),
    C("polygamma(2) method", lambda x: x.polygamma(2), S, domain="positive"),
    C("mvlgamma(p=3)", lambda x: torch.mvlgamma(x, 3), _uniform(1.5, 3.0, S)),
    # -- unary: exp/log variants -----------------------------------------------------------
    C("expm1", torch.expm1, S),
    C("log1p", torch.log1p, S, domain="positive"),
    C("log2", torch.log2, S, domain="positive"),
    C("log10", torch.log10, S, domain="positive"),
    C("exp2", torch.exp2, S),
    C("sinc", torch.sinc, S),
    C("deg2rad", torch.deg2rad, S),
    C("rad2deg", torch.rad2deg, S),
    C("logit", torch.logit, S, domain="unit"),
    C("logit(eps) clamped", lambda x: torch.logit(x, eps=0.2), _uniform(0.05, 0.95, (12,))),
    C("nan_to_num", torch.nan_to_num, S),
    # -- unary: piecewise constant (zero gradient) and frac ----------------------------------
    C("trunc", torch.trunc, S, domain="offgrid"),
    C("ceil", torch.ceil, S, domain="offgrid"),
    C("floor", torch.floor, S, domain="offgrid"),
    C("round", torch.round, S, domain="offgrid"),
    C("round(decimals=1)", lambda x: torch.round(x, decimals=1), np.array([0.123, -2.471])),
    C("frac", torch.frac, S, domain="offgrid"),
    C("angle", torch.angle, S, domain="away0"),
    C("sgn", torch.sgn, S, domain="away0"),
    # -- binary ---------------------------------------------------------------------------
    C("atan2", torch.atan2, S, (4,)),
    C("hypot", torch.hypot, S, (3, 1)),
    C("xlogy", torch.xlogy, In(S, "real"), In(S, "positive")),
    C("xlogy(scalar, y)", lambda y: torch.xlogy(2.5, y), S, domain="positive"),
    C("xlogy(x, scalar)", lambda x: torch.xlogy(x, 3.0), S),
    C("fmod", torch.fmod, In(S, "real"), In(S, "positive")),
    C("fmod(x, scalar)", lambda x: torch.fmod(x, 0.7), S, domain="offgrid"),
    C("remainder", torch.remainder, In(S, "real"), In(S, "away0")),
    C("remainder(x, scalar)", lambda x: torch.remainder(x, 0.7), S, domain="offgrid"),
    C("x % y", lambda x, y: x % y, In(S, "real"), In(S, "positive")),
    C("copysign", torch.copysign, In(S, "away0"), In(S, "away0")),
    C("copysign(x, scalar)", lambda x: torch.copysign(x, -1.0), S, domain="away0"),
    C("fmax", torch.fmax, In(S, "offgrid"), In(S, "grid")),
    C("fmin", torch.fmin, In(S, "offgrid"), In((4,), "grid")),
    C("logaddexp", torch.logaddexp, S, S),
    C("logaddexp2", torch.logaddexp2, S, (1, 4)),
    C("float_power", torch.float_power, In(S, "positive"), In(S, "real")),
    # -- ternary --------------------------------------------------------------------------
    C("lerp(weight scalar)", lambda a, b: torch.lerp(a, b, 0.3), S, S),
    C("lerp(weight >= 0.5)", lambda a, b: torch.lerp(a, b, 0.8), S, (4,)),
    C("lerp(weight tensor)", torch.lerp, S, S, (4,)),
    C("addcmul", lambda a, b, c: torch.addcmul(a, b, c, value=0.5), S, (4,), (3, 1)),
    C("addcdiv", lambda a, b, c: torch.addcdiv(a, b, c, value=2), S, S, In(S, "away0")),
    # -- gather / scatter (duplicate indices included where the op accumulates) -------------
    C("gather(1)", lambda x: torch.gather(x, 1, IDX_GATHER), S),
    C("scatter_add(0) duplicates", lambda x, s: x.scatter_add(0, IDX_SCATTER, s), S, (2, 4)),
    C("scatter(0) src", lambda x, s: x.scatter(0, IDX_UNIQUE, s), S, (2, 4)),
    C("scatter(0) value", lambda x: x.scatter(0, IDX_UNIQUE, 1.5), S),
    C("index_select(1)", lambda x: x.index_select(1, _t([3, 0, 3])), S),
    C(
        "index_add(0, alpha) duplicates",
        lambda x, s: x.index_add(0, _t([2, 0, 2]), s, alpha=0.5),
        S,
        (3, 4),
    ),
    C("take", lambda x: torch.take(x, _t([[0, 11], [5, 5]])), S),
    # -- rearranging copies ----------------------------------------------------------------
    C("flip(0, 1)", lambda x: torch.flip(x, (0, 1)), S),
    C("fliplr/flipud", lambda x: torch.fliplr(x) * torch.flipud(x), S),
    C("roll(1, 0)", lambda x: torch.roll(x, 1, 0), S),
    C("roll(flat)", lambda x: torch.roll(x, -5), S),
    C("rot90", lambda x: torch.rot90(x, 1, (0, 1)), S),
    C("repeat", lambda x: x.repeat(2, 1, 3), S),
    C("tile", lambda x: torch.tile(x, (2,)), S),
    C("tril(-1)", lambda x: torch.tril(x, -1), S),
    C("triu(1)", lambda x: torch.triu(x, 1), (2, 3, 4)),
    C("diagonal(offset 1, dims 2, 0)", lambda x: torch.diagonal(x, 1, 2, 0), (3, 2, 4)),
    C("diag_embed(offset -1)", lambda x: torch.diag_embed(x, -1), S),
    C("diag(1-D, 2-D)", lambda v, m: torch.diag(v).sum() + torch.diag(m, 1), (3,), S),
    C("trace", torch.trace, S),
    C("movedim", lambda x: torch.movedim(x, (0, 1), (2, 0)), (2, 3, 4)),
    # -- order statistics (distinct values: no ties) ---------------------------------------
    C("sort(descending)", lambda x: torch.sort(x, 1, descending=True).values, S, domain="distinct"),
    C("topk(2, dim 0)", lambda x: torch.topk(x, 2, 0).values, S, domain="distinct"),
    C("topk(smallest)", lambda x: x.topk(2, largest=False).values, S, domain="distinct"),
    C("kthvalue(2)", lambda x: torch.kthvalue(x, 2, 1).values, S, domain="distinct"),
    C("median()", torch.median, S, domain="distinct"),
    C("median(dim, keepdim)", lambda x: x.median(0, True).values, S, domain="distinct"),
    C("nanmedian()", torch.nanmedian, S, domain="distinct"),
    C("nanmedian(dim)", lambda x: torch.nanmedian(x, 1).values, S, domain="distinct"),
    C("cummax", lambda x: torch.cummax(x, 1).values, S, domain="distinct"),
    C("cummin", lambda x: torch.cummin(x, 0).values, S, domain="distinct"),
    # -- running reductions ------------------------------------------------------------------
    C("cumprod", lambda x: torch.cumprod(x, 1), S),
    C(
        "cumprod with zeros",
        lambda x: torch.cumprod(x, 0),
        np.array([[0.5, 0.0], [0.0, 2.0], [1.5, -1.0]]),
    ),
    C("logcumsumexp", lambda x: torch.logcumsumexp(x, 1), S),
    # -- scaled matrix products --------------------------------------------------------------
    C(
        "addmm(beta, alpha)",
        lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2),
        (4,),
        (3, 2),
        (2, 4),
    ),
    C("addmm", torch.addmm, (3, 4), (3, 2), (2, 4)),
    C("addmv", lambda c, m, v: torch.addmv(c, m, v, beta=2, alpha=0.5), (3,), S, (4,)),
    C("addr", lambda c, u, v: torch.addr(c, u, v, alpha=3), (1, 4), (3,), (4,)),
    C("baddbmm", lambda c, a, b: torch.baddbmm(c, a, b, beta=0.5), (2, 3, 4), (2, 3, 2), (2, 2, 4)),
    C("addbmm", lambda c, a, b: torch.addbmm(c, a, b, alpha=-1), (3, 4), (2, 3, 2), (2, 2, 4)),
    # -- reductions over a 0-d tensor (dim 0 and -1 are its one element) --------------------
    C("sum(0) of 0-d", lambda x: x.sum(0), ()),
    C("mean(-1) of 0-d", lambda x: x.mean(-1), ()),
    C("amax(0) of 0-d", lambda x: x.amax(0), ()),
    C("logsumexp(0) of 0-d", lambda x: x.logsumexp(0), ()),
    C("max(0, True) of 0-d", lambda x: x.max(0, True).values, ()),
    C("prod(0) of 0-d", lambda x: x.prod(0), ()),
    C("clamp_min(tensor)", lambda x, lo: x.clamp_min(lo), In(S, "offgrid"), In((4,), "grid")),
    C("clamp_max(tensor)", lambda x, hi: torch.clamp_max(x, hi), In(S, "offgrid"), In(S, "grid")),
]


def _ids(cases: Iterable[OpCase]) -> list[str]:
    return [c.name for c in cases]


def test_breadth_case_names_are_unique() -> None:
    names = _ids(BREADTH_CASES)
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


def _breadth2() -> list[OpCase]:
    from .test_op_breadth2 import BREADTH2_CASES

    return BREADTH2_CASES


#: Every op the breadth work added, both rounds: checked the same way.
ALL_CASES = BREADTH_CASES + _breadth2()


@pytest.mark.parametrize("case", ALL_CASES, ids=_ids(ALL_CASES))
def test_first_order_matches_finite_differences(case: OpCase) -> None:
    inputs = case.make_inputs()
    outs = case.fn(*inputs)
    for out in outs if isinstance(outs, tuple) else (outs,):
        assert out.requires_grad, f"{case.name}: output does not require grad"
    assert gradcheck(case.fn, inputs, eps=case.eps, atol=case.atol, rtol=case.rtol)


@pytest.mark.parametrize("case", ALL_CASES, ids=_ids(ALL_CASES))
def test_second_order_matches_finite_differences(case: OpCase) -> None:
    inputs = case.make_inputs()
    assert gradgradcheck(case.fn, inputs, eps=case.eps, atol=case.atol, rtol=case.rtol)


# -- the check can fail ---------------------------------------------------------------------


class WrongAtan(special.AtanBackward0):  # type: ignore[misc, valid-type]
    """atan with its derivative's 1 + x^2 mistyped as 2 + x^2."""

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad / (self.saved("self") ** 2 + 2),)


def test_a_planted_wrong_derivative_fails_the_check() -> None:
    """Both orders reject the mistyped derivative; the right one passes on the same input."""
    x = torch.tensor(_uniform(-1.0, 1.0, S), requires_grad=True)
    assert not gradcheck(WrongAtan.invoke, (x,), raise_exception=False)
    assert not gradgradcheck(lambda t: WrongAtan.invoke(t) * t, (x,), raise_exception=False)
    assert gradcheck(torch.atan, (x,))


# -- special-function values (the forward the derivatives rest on) ---------------------------


@pytest.mark.parametrize(
    ("fn", "x", "want"),
    [
        (special.digamma, 1.0, -0.5772156649015329),  # -Euler's gamma
        (special.digamma, 0.5, -1.9635100260214235),  # -gamma - 2 ln 2
        (lambda x: special.polygamma(1, x), 1.0, np.pi**2 / 6),  # zeta(2)
        (lambda x: special.polygamma(2, x), 1.0, -2.4041138063191885),  # -2 zeta(3)
        (special.erfinv, 0.5, 0.4769362762044699),
        (special.erfinv, -0.999999, -3.458910737275499),
        (special.lgamma, 0.5, 0.5723649429247001),  # ln sqrt(pi)
    ],
)
def test_special_function_values(fn: Any, x: float, want: float) -> None:
    np.testing.assert_allclose(fn(np.array([x])), [want], rtol=1e-12)


def test_special_function_poles_follow_torch() -> None:
    """digamma(+-0) = -+inf and nan at negative integers; lgamma has +inf at its poles."""
    np.testing.assert_array_equal(
        special.digamma(np.array([0.0, -0.0, -2.0])), [-np.inf, np.inf, np.nan]
    )
    np.testing.assert_array_equal(special.lgamma(np.array([0.0, -1.0])), [np.inf, np.inf])


def test_xlogy_at_x_zero_takes_torchs_zero_subgradient() -> None:
    """xlogy(0, y) is pinned to 0, and so is its x-derivative there (torch's
    ``grad * xlogy(x != 0, y)``), though the limit of x log y would give log y."""
    x = torch.tensor([0.0, 1.5], requires_grad=True)
    y = torch.tensor([2.0, 3.0], requires_grad=True)
    torch.xlogy(x, y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, np.log(3.0)])
    np.testing.assert_allclose(y.grad.numpy(), [0.0, 0.5])


def test_sinc_at_zero_follows_torchs_masked_formula() -> None:
    """sinc's slope at 0 is pinned to 0 by a where(); differentiating that where again divides
    0 by 0, so the second derivative at 0 is nan (torch 2.13 gives [nan, -2.4585])."""
    x = torch.tensor([0.0, 0.3], requires_grad=True)
    (g,) = torch.autograd.grad(torch.sinc(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [0.0, -0.9020], atol=1e-4)
    (gg,) = torch.autograd.grad(g.sum(), x)
    assert np.isnan(gg.numpy()[0])
    np.testing.assert_allclose(gg.numpy()[1], -2.4585, atol=1e-4)


def test_gather_with_an_empty_index_of_other_rank_is_empty() -> None:
    """torch accepts an empty index of any rank: the result is empty, the gradient zero."""
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = torch.gather(x, 0, torch.zeros((2, 0), dtype=torch.int64))
    assert tuple(out.shape) == (2, 0)
    (out.sum() + x.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])
