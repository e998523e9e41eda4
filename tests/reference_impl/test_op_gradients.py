"""Every differentiable op form of reference_impl against central finite differences.

The table ``CASES`` holds one ``OpCase`` per op *form* (``x + y`` broadcasting, ``x + 2.5``,
``2 - x``, ``x.max(dim)``, ``matmul`` 3-D @ 2-D, writes through a view, ...). Each case is run
through our own ``gradcheck`` (first order: the engine's vector-Jacobian products against central
differences) and ``gradgradcheck`` (second order: the same for the create_graph gradient), all in
float64 with values from ``numpy.random.default_rng`` seeded per case, kept away from the kinks
of abs/relu/clamp/max. The kinks themselves are pinned separately (``KINKS``) to the subgradient
values torch 2.13 returns (docs/semantics.md §13).

``test_every_op_class_is_covered`` introspects the op classes in ``reference_impl._ops`` and fails
listing any that no case's graph contains; classes only built by backward formulas are checked
against the create_graph gradients' graphs instead. This file never imports torch.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import reference_impl as torch
import reference_impl._ops as ops_pkg
import reference_impl.nn.functional as F
from reference_impl._ops.base import Op
from reference_impl.autograd import gradcheck, gradgradcheck

# -- the table -------------------------------------------------------------------------------

#: Input domains (how a shape's values are drawn). Kinks are at 0 and at multiples of 0.5, so
#: "offgrid" keeps at least 0.1 away from all of them and "grid" sits exactly on them: pairing
#: the two (maximum, clamp with tensor bounds) can never tie.
DOMAINS: dict[str, Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]] = {
    "real": lambda rng, s: rng.standard_normal(s),
    "positive": lambda rng, s: rng.uniform(0.5, 2.0, s),
    "away0": lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.5, 1.5, s),
    "unit": lambda rng, s: rng.uniform(0.1, 0.9, s),
    "offgrid": lambda rng, s: 0.5 * rng.integers(-3, 3, s) + rng.uniform(0.1, 0.4, s),
    "grid": lambda rng, s: 0.5 * rng.integers(-2, 3, s).astype(np.float64),
    # Pairwise gaps >= 0.2, so no ties for max/min/amax/sort-like ops.
    "distinct": lambda rng, s: (
        (rng.permutation(int(np.prod(s))) * 0.3 - 0.15 * np.prod(s)).reshape(s)
        + rng.uniform(-0.05, 0.05, s)
    ),
    # Distinct magnitudes with random signs (inf-norm: no ties in |x|).
    "distinct_abs": lambda rng, s: (
        rng.choice([-1.0, 1.0], s) * ((rng.permutation(int(np.prod(s))) + 1) * 0.3).reshape(s)
        + rng.uniform(-0.05, 0.05, s)
    ),
}


@dataclass(frozen=True)
class In:
    """One differentiable input: a shape drawn from a domain."""

    shape: tuple[int, ...]
    domain: str


Spec = tuple[int, ...] | In | np.ndarray


@dataclass(frozen=True)
class OpCase:
    """One op form: ``fn(*inputs)`` with every input a float64 leaf requiring grad.

    ``inputs`` entries are a shape (drawn from ``domain``), an ``In`` (its own domain) or an
    explicit array. Non-differentiable arguments (targets, masks, indices) are closed over in fn.
    """

    name: str
    fn: Callable[..., Any]
    inputs: tuple[Spec, ...]
    domain: str = "real"
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3

    def make_inputs(self) -> tuple[Any, ...]:
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))  # fixed seed per case
        out = []
        for spec in self.inputs:
            if isinstance(spec, np.ndarray):
                arr = np.array(spec, dtype=np.float64)
            elif isinstance(spec, In):
                arr = DOMAINS[spec.domain](rng, spec.shape)
            else:
                arr = DOMAINS[self.domain](rng, tuple(spec))
            arr = np.array(arr, dtype=np.float64, order="C")  # keeps 0-d shapes
            out.append(torch.tensor(arr, requires_grad=True))
        return tuple(out)


def C(
    name: str, fn: Callable[..., Any], *inputs: Spec, domain: str = "real", **tol: float
) -> OpCase:
    return OpCase(name, fn, tuple(inputs), domain, **tol)


def _t(values: Any, dtype: Any = None) -> Any:
    return torch.tensor(values, dtype=dtype)


# Non-differentiable arguments shared by several cases.
MASK_34 = _t([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
COND_34 = _t([[True, False, False, True], [False, True, True, False], [True, True, False, True]])
IDX_0 = _t([2, 0, 1])
CLASSES_3 = _t([2, 0, 1, 2])
SOFT_T = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
W3 = _t([1.0, 2.0, 3.0], torch.float64)
BCE_T = _t(np.array([[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.25, 0.75], [1.0, 1.0, 0.0, 0.5]]))
BCE_W = _t(np.array([0.5, 1.0, 2.0, 1.5]))
BCE_PW = _t(np.array([2.0, 0.5, 1.0, 3.0]))


class Cube(torch.autograd.Function):
    """A custom Function with its own (differentiable) backward."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2


class ScaledMul(torch.autograd.Function):
    """forward/setup_context style, two tensors and a non-tensor argument."""

    @staticmethod
    def forward(x: Any, y: Any, scale: float) -> Any:
        return x * y * scale

    @staticmethod
    def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
        x, y, scale = inputs
        ctx.save_for_backward(x, y)
        ctx.scale = scale

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, y = ctx.saved_tensors
        return grad * y * ctx.scale, grad * x * ctx.scale, None


def _setitem(key: Any, value: Callable[[Any], Any]) -> Callable[..., Any]:
    def fn(x: Any, *w: Any) -> Any:
        y = x.clone()
        y[key] = value(*w)
        return y

    return fn


def _inplace(*steps: Callable[..., Any]) -> Callable[..., Any]:
    """``y = x * 1`` (a non-leaf), then each step ``step(y, *others)`` in place."""

    def fn(x: Any, *others: Any) -> Any:
        y = x * 1
        for step in steps:
            step(y, *others)
        return y

    return fn


def _view_write_then_read(x: Any) -> Any:
    y = x * 1
    v = y[1]  # a view whose history must be regenerated after the base is written
    y.mul_(2)
    return v * 3


def _view_of_view_write(x: Any, w: Any) -> Any:
    y = x * 1
    y[1:][0].add_(w)
    y[:, 1:].mul_(2)
    return y


def _t_view_write(x: Any, w: Any) -> Any:
    y = x * 1
    y.t().mul_(w)
    return y


def _mlp_tanh(x: Any, w1: Any, b1: Any, w2: Any, b2: Any) -> Any:
    h = F.linear(x, w1, b1).tanh()
    return F.cross_entropy(F.linear(h, w2, b2), CLASSES_3)


def _mlp_relu(x: Any, w1: Any, b1: Any, w2: Any) -> Any:
    h = F.relu(F.linear(x, w1, b1))
    return F.mse_loss(F.linear(h, w2), _t(np.linspace(-1, 1, 8).reshape(4, 2)))


def _attention(q: Any, k: Any, v: Any) -> Any:
    scores = q @ k.transpose(-2, -1) / 2.0
    return (F.softmax(scores, dim=-1) @ v).sum(dim=1)


def _normalize(x: Any) -> Any:
    mu = x.mean(dim=1, keepdim=True)
    sd = x.var(dim=1, keepdim=True, correction=0).add(1e-3).sqrt()
    return (x - mu) / sd


CASES: list[OpCase] = [
    # -- arithmetic (broadcasting, scalars, reflected forms) ---------------------------------
    C("add[(3,1)+(1,4)]", lambda x, y: x + y, (3, 1), (1, 4)),
    C("add[(2,3)+(3,)]", lambda x, y: x + y, (2, 3), (3,)),
    C("add[x+2.5]", lambda x: x + 2.5, (3, 4)),
    C("add[2.5+x]", lambda x: 2.5 + x, (3, 4)),
    C("add[alpha=2]", lambda x, y: torch.add(x, y, alpha=2), (2, 3), (2, 3)),
    C("add[0-d+(3,)]", lambda x, y: x + y, (), (3,)),
    C("sub[(2,3)-(3,)]", lambda x, y: x - y, (2, 3), (3,)),
    C("sub[alpha=2]", lambda x, y: x.sub(y, alpha=2), (2, 3), (2, 3)),
    C("sub[x-2]", lambda x: x - 2, (3, 4)),
    C("rsub[2-x]", lambda x: 2 - x, (3, 4)),
    C("mul[(3,1)*(1,4)]", lambda x, y: x * y, (3, 1), (1, 4)),
    C("mul[x*3]", lambda x: x * 3, (3, 4)),
    C("mul[x*x]", lambda x: x * x, (3, 4)),
    C("div[x/y]", lambda x, y: x / y, In((2, 3), "real"), In((2, 3), "away0")),
    C("div[(2,3)/(3,)]", lambda x, y: x / y, In((2, 3), "real"), In((3,), "away0")),
    C("div[x/2]", lambda x: x / 2, (3, 4)),
    # piecewise constant: the gradient is zero (values kept off the steps)
    C(
        "div[rounding_mode=floor] + x",
        lambda x: torch.div(x, 2.5, rounding_mode="floor") + x,
        (3, 4),
    ),
    C("rdiv[2/x]", lambda x: 2 / x, (3, 4), domain="away0"),
    C("neg", lambda x: -x, (3, 4)),
    C("pow[x**3]", lambda x: x**3, (3, 4)),
    C("pow[x**2.5]", lambda x: x**2.5, (3, 4), domain="positive"),
    C("pow[x**-1.5]", lambda x: x.pow(-1.5), (3, 4), domain="positive"),
    C("pow[x**0]", lambda x: x**0 + x, (3, 4)),
    C("square", lambda x: x.square(), (3, 4)),
    C("pow[x**y]", lambda x, y: x**y, In((2, 3), "positive"), In((2, 3), "real")),
    C("pow[(2,3)**(3,)]", lambda x, y: x.pow(y), In((2, 3), "positive"), In((3,), "real")),
    C("pow[2**x]", lambda x: 2**x, (3, 4)),
    C("pow[torch.pow(0.5, x)]", lambda x: torch.pow(0.5, x), (3, 4)),
    # -- unary -----------------------------------------------------------------------------
    C("exp", torch.exp, (3, 4)),
    C("log", torch.log, (3, 4), domain="positive"),
    C("sqrt", torch.sqrt, (3, 4), domain="positive"),
    C("rsqrt", torch.rsqrt, (3, 4), domain="positive"),
    C("reciprocal", torch.reciprocal, (3, 4), domain="away0"),
    C("abs", torch.abs, (3, 4), domain="offgrid"),
    C("sign", lambda x: x.sign() * x, (3, 4), domain="offgrid"),
    C("sin", torch.sin, (3, 4)),
    C("cos", torch.cos, (3, 4)),
    C("tanh", torch.tanh, (3, 4)),
    C("sigmoid", torch.sigmoid, (3, 4)),
    C("relu", torch.relu, (3, 4), domain="offgrid"),
    C("F.relu", F.relu, (3, 4), domain="offgrid"),
    C("F.sigmoid", F.sigmoid, (3, 4)),
    C("F.tanh", F.tanh, (3, 4)),
    # -- clamp / where / maximum -----------------------------------------------------------
    C("clamp[-0.5,0.5]", lambda x: x.clamp(-0.5, 0.5), (3, 4), domain="offgrid"),
    C("clamp[min=0]", lambda x: torch.clamp(x, min=0), (3, 4), domain="offgrid"),
    C("clamp[max=0.5]", lambda x: x.clamp(max=0.5), (3, 4), domain="offgrid"),
    C("clip[-1,1]", lambda x: x.clip(-1, 1), (3, 4), domain="offgrid"),
    C("clamp_min", lambda x: x.clamp_min(0.5), (3, 4), domain="offgrid"),
    C("clamp_max", lambda x: x.clamp_max(-0.5), (3, 4), domain="offgrid"),
    # lo - 2 < -0.5 <= hi + 0.5: the bounds never meet (min == max is a kink of its own).
    C(
        "clamp[tensor min,max]",
        lambda x, lo, hi: x.clamp(lo - 2, hi + 0.5),
        In((3, 4), "offgrid"),
        In((3, 4), "grid"),
        In((3, 4), "grid"),
    ),
    C(
        "clamp[tensor min]",
        lambda x, lo: torch.clamp(x, min=lo),
        In((3, 4), "offgrid"),
        In((4,), "grid"),
    ),
    C(
        "clamp[tensor max]",
        lambda x, hi: torch.clamp(x, max=hi),
        In((3, 4), "offgrid"),
        In((3, 1), "grid"),
    ),
    C("where", lambda x, y: torch.where(COND_34, x, y), (3, 4), (4,)),
    C("where[x,0.]", lambda x: torch.where(COND_34, x, 0.0), (3, 4)),
    C("where[0.,x]", lambda x: torch.where(COND_34, 0.0, x), (3, 4)),
    C("maximum", torch.maximum, In((3, 4), "offgrid"), In((3, 4), "grid")),
    C("maximum[bcast]", lambda x, y: x.maximum(y), In((3, 4), "grid"), In((4,), "offgrid")),
    C("max[x,y]", torch.max, In((3, 4), "offgrid"), In((3, 4), "grid")),
    C("minimum", torch.minimum, In((3, 4), "offgrid"), In((3, 4), "grid")),
    C("min[x,y]", lambda x, y: x.min(y), In((3, 4), "grid"), In((3, 4), "offgrid")),
    C("masked_fill", lambda x: x.masked_fill(MASK_34, 0.5), (3, 4)),
    # -- reductions ------------------------------------------------------------------------
    C("sum", lambda x: x.sum(), (3, 4)),
    C("sum[dim]", lambda x: x.sum(1), (3, 4)),
    C("sum[dim,keepdim]", lambda x: x.sum(0, keepdim=True), (3, 4)),
    C("sum[dims]", lambda x: torch.sum(x, dim=(0, 2)), (2, 3, 2)),
    C("sum[-1]", lambda x: x.sum(dim=-1), (2, 3, 2)),
    C("mean", lambda x: x.mean(), (3, 4)),
    C("mean[dim]", lambda x: x.mean(0), (3, 4)),
    C("mean[dim,keepdim]", lambda x: x.mean(dim=1, keepdim=True), (3, 4)),
    C("mean[dims]", lambda x: torch.mean(x, (0, 2)), (2, 3, 2)),
    C("max[]", lambda x: x.max(), (3, 4), domain="distinct"),
    C("min[]", lambda x: torch.min(x), (3, 4), domain="distinct"),
    C("max[dim]", lambda x: x.max(dim=1).values, (3, 4), domain="distinct"),
    C("max[dim,keepdim]", lambda x: torch.max(x, 0, keepdim=True)[0], (3, 4), domain="distinct"),
    C("min[dim]", lambda x: x.min(0).values, (3, 4), domain="distinct"),
    C("min[dim=-1,3-D]", lambda x: x.min(-1).values, (2, 3, 2), domain="distinct"),
    C("amax[]", lambda x: x.amax(), (3, 4), domain="distinct"),
    C("amax[dim]", lambda x: x.amax(1), (3, 4), domain="distinct"),
    C(
        "amax[dims,keepdim]",
        lambda x: torch.amax(x, (0, 2), keepdim=True),
        (2, 3, 2),
        domain="distinct",
    ),
    C("amin[dim]", lambda x: x.amin(0), (3, 4), domain="distinct"),
    C("prod", lambda x: x.prod(), (3, 4), domain="away0"),
    C("prod[dim]", lambda x: x.prod(1), (3, 4), domain="away0"),
    C("prod[dim,keepdim]", lambda x: torch.prod(x, 0, keepdim=True), (3, 4), domain="away0"),
    C("prod[one zero]", lambda x: x.prod(), np.array([[0.7, -1.2, 0.0], [1.1, 0.9, -0.8]])),
    C(
        "prod[dim, one zero]",
        lambda x: x.prod(0),
        np.array([[0.7, -1.2, 0.0], [1.1, 0.0, -0.8], [1.3, 0.6, 0.9]]),
    ),
    C("prod[two zeros]", lambda x: x.prod(), np.array([[0.7, 0.0, 1.2], [0.0, 0.9, -0.8]])),
    C("prod[dim, two zeros]", lambda x: x.prod(1), np.array([[0.0, 0.0, 1.2], [0.6, 0.9, -0.8]])),
    C("norm", lambda x: x.norm(), (3, 4)),
    C("norm[p=2,dim]", lambda x: x.norm(p=2, dim=1), (3, 4)),
    C("norm[dim,keepdim]", lambda x: torch.norm(x, dim=0, keepdim=True), (3, 4)),
    C("norm[p=1]", lambda x: x.norm(p=1), (3, 4), domain="offgrid"),
    C("norm[p=1,dim]", lambda x: x.norm(1, dim=0), (3, 4), domain="offgrid"),
    C("norm[p=3]", lambda x: x.norm(p=3), (3, 4), domain="away0"),
    C("norm[p=3,dim]", lambda x: x.norm(3, dim=1), (3, 4), domain="away0"),
    C("norm[inf]", lambda x: x.norm(p=float("inf")), (3, 4), domain="distinct_abs"),
    C("norm[inf,dim]", lambda x: x.norm(float("inf"), dim=1), (3, 4), domain="distinct_abs"),
    C("linalg.vector_norm", lambda x: torch.linalg.vector_norm(x, 2, dim=(0, 1)), (3, 4)),
    C("linalg.norm", lambda x: torch.linalg.norm(x), (5,)),
    C("var", lambda x: x.var(), (3, 4)),
    C("var[dim]", lambda x: x.var(1), (3, 4)),
    C("var[dim,correction=0]", lambda x: x.var(0, correction=0), (3, 4)),
    C("var[unbiased=False,keepdim]", lambda x: x.var(1, unbiased=False, keepdim=True), (3, 4)),
    C("std", lambda x: x.std(), (3, 4)),
    C("std[dim]", lambda x: x.std(0), (3, 4)),
    C("std[dim,correction=0]", lambda x: torch.std(x, 1, correction=0), (3, 4)),
    C("std[dims,keepdim]", lambda x: x.std((0, 2), keepdim=True), (2, 3, 2)),
    C("var_mean", lambda x: torch.var_mean(x), (3, 4)),
    C(
        "var_mean[dim,correction=0,keepdim]",
        lambda x: torch.var_mean(x, 1, correction=0, keepdim=True),
        (3, 4),
    ),
    C("logsumexp[dim]", lambda x: x.logsumexp(1), (3, 4)),
    C("logsumexp[dim,keepdim]", lambda x: torch.logsumexp(x, 0, keepdim=True), (3, 4)),
    C("logsumexp[dims]", lambda x: x.logsumexp((0, 2)), (2, 3, 2)),
    C("cumsum[dim 1]", lambda x: x.cumsum(1), (3, 4)),
    C("cumsum[dim 0, scaled]", lambda x: torch.cumsum(x * x, 0), (3, 2)),
    # -- matrix products -------------------------------------------------------------------
    C("mm", torch.mm, (2, 3), (3, 4)),
    C("mv", torch.mv, (2, 3), (3,)),
    C("dot", torch.dot, (4,), (4,)),
    C("bmm", torch.bmm, (2, 2, 3), (2, 3, 2)),
    C("outer", torch.outer, (3,), (2,)),
    C("matmul[1-D@1-D]", lambda a, b: a @ b, (3,), (3,)),
    C("matmul[2-D@1-D]", lambda a, b: a @ b, (2, 3), (3,)),
    C("matmul[1-D@2-D]", lambda a, b: a @ b, (3,), (3, 2)),
    C("matmul[2-D@2-D]", torch.matmul, (2, 3), (3, 2)),
    C("matmul[3-D@3-D]", lambda a, b: a @ b, (2, 2, 3), (2, 3, 2)),
    C("matmul[3-D@3-D bcast]", lambda a, b: a @ b, (2, 2, 3), (1, 3, 2)),
    C("matmul[4-D@3-D bcast]", lambda a, b: a.matmul(b), (2, 1, 2, 3), (2, 3, 2)),
    C("matmul[3-D@2-D]", lambda a, b: a @ b, (2, 2, 3), (3, 2)),
    C("matmul[3-D@1-D]", lambda a, b: a @ b, (2, 2, 3), (3,)),
    C("matmul[2-D@3-D]", lambda a, b: a @ b, (2, 3), (2, 3, 2)),
    C("matmul[1-D@3-D]", lambda a, b: a @ b, (3,), (2, 3, 2)),
    # -- shape and view ops ----------------------------------------------------------------
    C("t", lambda x: x.t(), (2, 3)),
    C("t[1-D]", lambda x: torch.t(x) * 2, (3,)),
    C("T", lambda x: x.T, (2, 3)),
    C("mT", lambda x: x.mT, (2, 2, 3)),
    C("transpose", lambda x: x.transpose(0, 2), (2, 3, 2)),
    C("swapaxes", lambda x: torch.swapaxes(x, -1, 0), (2, 3)),
    C("permute", lambda x: x.permute(2, 0, 1), (2, 3, 2)),
    C("view", lambda x: x.view(4, 3), (3, 4)),
    C("view[-1]", lambda x: x.view(-1), (3, 4)),
    C("view_as", lambda x, y: x.view_as(y) * y, (3, 4), (4, 3)),
    C("reshape[contiguous]", lambda x: x.reshape(2, 6), (3, 4)),
    C("reshape[non-contiguous]", lambda x: x.t().reshape(-1), (3, 4)),
    C("flatten", lambda x: x.flatten(), (2, 3, 2)),
    C("flatten[1]", lambda x: torch.flatten(x, 1), (2, 3, 2)),
    C("flatten[non-contiguous]", lambda x: x.transpose(0, 1).flatten(), (2, 3, 2)),
    C("contiguous", lambda x: x.t().contiguous(), (2, 3)),
    C("expand", lambda x: x.expand(3, 4), (4,)),
    C("expand[-1]", lambda x: x.expand(2, -1, 4), (3, 1)),
    C("expand_as", lambda x, y: x.expand_as(y) * y, (3, 1), (3, 4)),
    C("squeeze", lambda x: x.squeeze(), (1, 3, 1)),
    C("squeeze[dim]", lambda x: x.squeeze(0), (1, 3, 2)),
    C("squeeze[no-op dim]", lambda x: x.squeeze(1), (2, 3)),
    C("squeeze[dims]", lambda x: x.squeeze((0, 2)), (1, 3, 1)),
    C("unsqueeze", lambda x: x.unsqueeze(1), (2, 3)),
    C("unsqueeze[-1]", lambda x: torch.unsqueeze(x, -1), (2, 3)),
    C("select", lambda x: x.select(1, -1), (2, 3)),
    C("narrow", lambda x: x.narrow(1, 1, 2), (2, 4)),
    C("unbind", lambda x: x.unbind(1), (2, 3)),
    C("split", lambda x: x.split(2), (5, 2)),
    C("split[sections,dim=1]", lambda x: torch.split(x, [1, 3], dim=1), (2, 4)),
    C("chunk", lambda x: torch.chunk(x, 2, dim=1), (2, 4)),
    C("clone", lambda x: x.clone(), (2, 3)),
    C("cat", lambda x, y: torch.cat([x, y]), (2, 3), (1, 3)),
    C("cat[dim=1,3 inputs]", lambda x, y, z: torch.cat((x, y, z), dim=1), (2, 1), (2, 3), (2, 2)),
    C("cat[dim=-1]", lambda x, y: torch.cat([x, y], -1), (2, 2, 1), (2, 2, 2)),
    C("stack", lambda x, y: torch.stack([x, y]), (2, 3), (2, 3)),
    C("stack[dim=1]", lambda x, y, z: torch.stack([x, y, z], dim=1), (2, 3), (2, 3), (2, 3)),
    C("stack[dim=-1]", lambda x, y: torch.stack([x, y], -1), (3,), (3,)),
    # -- indexing --------------------------------------------------------------------------
    C("index[int]", lambda x: x[1], (3, 4)),
    C("index[-1]", lambda x: x[-1], (3, 4)),
    C("index[:,int]", lambda x: x[:, 2], (3, 4)),
    C("index[slice step]", lambda x: x[::2], (5, 2)),
    C("index[slices]", lambda x: x[1:, ::2], (3, 4)),
    C("index[None]", lambda x: x[None], (3, 4)),
    C("index[:,None]", lambda x: x[:, None], (3, 4)),
    C("index[...,int]", lambda x: x[..., 1], (2, 3, 2)),
    C("index[...]", lambda x: x[...], (2, 3)),
    C("index[list]", lambda x: x[[0, 2]], (3, 4)),
    C("index[list dup]", lambda x: x[[0, 0, 2]], (3, 4)),
    C("index[tensor]", lambda x: x[IDX_0], (3, 4)),
    C("index[:,list]", lambda x: x[:, [3, 0]], (3, 4)),
    C("index[bool mask]", lambda x: x[MASK_34], (3, 4)),
    C("index[row mask]", lambda x: x[_t([True, False, True])], (3, 4)),
    C("index[0,[1,2]]", lambda x: x[0, [1, 2]], (3, 4)),
    C("index[[0,1],[1,2]]", lambda x: x[[0, 1], [1, 2]], (3, 4)),
    C("index[chain]", lambda x: x[1:][0][::2], (3, 4)),
    # -- index assignment on a clone -------------------------------------------------------
    C("setitem[1:]=w*2", _setitem(slice(1, None), lambda w: w * 2), (3, 4), (2, 4)),
    C("setitem[1:]=w bcast", _setitem(slice(1, None), lambda w: w), (3, 4), (4,)),
    C("setitem[[0,2]]=w", _setitem([0, 2], lambda w: w), (3, 4), (2, 4)),
    C("setitem[:,1]=w", _setitem((slice(None), 1), lambda w: w.exp()), (3, 4), (3,)),
    C("setitem[0]=0.5", _setitem(0, lambda: 0.5), (3, 4)),
    C("setitem[mask]=w", _setitem(MASK_34, lambda w: w), (3, 4), (6,)),
    C(
        "index_put_[accumulate]",
        lambda x, w: x.clone().index_put_((_t([0, 0, 2]),), w, accumulate=True),
        (3, 4),
        (3, 4),
    ),
    C("index_put[out of place]", lambda x, w: torch.index_put(x, (IDX_0[:2],), w), (3, 4), (4,)),
    # -- in-place on a non-leaf --------------------------------------------------------------
    C(
        "inplace[mul_,add_]",
        _inplace(lambda y, w: y.mul_(w), lambda y, w: y.add_(1)),
        (3, 4),
        (3, 4),
    ),
    C("inplace[sigmoid_]", _inplace(lambda y: y.sigmoid_()), (3, 4)),
    C("inplace[view mul_]", _inplace(lambda y: y[0].mul_(3)), (3, 4)),
    C("inplace[view mul_ w]", _inplace(lambda y, w: y[:, 1:].mul_(w)), (3, 4), (3, 3)),
    C("inplace[view of view]", _view_of_view_write, (3, 4), (4,)),
    C("inplace[t() view]", _t_view_write, (3, 4), (4, 3)),
    C("inplace[view read after base write]", _view_write_then_read, (3, 4)),
    C(
        "inplace[sub_ alpha,div_]",
        _inplace(lambda y, w, v: y.sub_(w, alpha=2), lambda y, w, v: y.div_(v)),
        In((3, 4), "real"),
        In((3, 4), "real"),
        In((4,), "away0"),
    ),
    C(
        "inplace[operators]",
        _inplace(
            lambda y, w: y.__iadd__(w),
            lambda y, w: y.__imul__(w),
            lambda y, w: y.__isub__(1),
            lambda y, w: y.__itruediv__(2),
        ),
        (3, 4),
        (4,),
    ),
    # Each op that saves its input or result comes last, or is followed only by ops that need
    # nothing saved (neg_, add_ of a constant): torch would raise the version error otherwise.
    C("inplace[neg_,exp_]", _inplace(lambda y: y.neg_(), lambda y: y.exp_()), (3, 4)),
    C("inplace[tanh_]", _inplace(lambda y: y.tanh_()), (3, 4)),
    C("inplace[sin_]", _inplace(lambda y: y.sin_(), lambda y: y.add_(1)), (3, 4)),
    C("inplace[cos_]", _inplace(lambda y: y.cos_(), lambda y: y.neg_()), (3, 4)),
    C("inplace[pow_ scalar]", _inplace(lambda y: y.pow_(3)), (3, 4)),
    C(
        "inplace[pow_ tensor]",
        _inplace(lambda y, w: y.pow_(w)),
        In((3, 4), "positive"),
        In((3, 4), "real"),
    ),
    C("inplace[sqrt_]", _inplace(lambda y: y.sqrt_()), (3, 4), domain="positive"),
    C("inplace[log_]", _inplace(lambda y: y.log_()), (3, 4), domain="positive"),
    C("inplace[reciprocal_]", _inplace(lambda y: y.reciprocal_()), (3, 4), domain="away0"),
    C("inplace[abs_]", _inplace(lambda y: y.abs_(), lambda y: y.sub_(1)), (3, 4), domain="offgrid"),
    C("inplace[relu_]", _inplace(lambda y: y.relu_()), (3, 4), domain="offgrid"),
    C("inplace[F.relu inplace]", lambda x: F.relu(x * 1, inplace=True), (3, 4), domain="offgrid"),
    C("inplace[clamp_]", _inplace(lambda y: y.clamp_(-0.5, 0.5)), (3, 4), domain="offgrid"),
    C(
        "inplace[clamp_min_,clamp_max_]",
        _inplace(lambda y: y.clamp_min_(-1.0), lambda y: y.clamp_max_(0.5)),
        (3, 4),
        domain="offgrid",
    ),
    C("inplace[copy_ bcast]", _inplace(lambda y, w: y[1:].copy_(w)), (3, 4), (4,)),
    C("inplace[zero_]", _inplace(lambda y: y[1].zero_()), (3, 4)),
    C("inplace[fill_ scalar]", _inplace(lambda y: y[1].fill_(2.0)), (3, 4)),
    C("inplace[fill_ tensor]", _inplace(lambda y, v: y[:, 0].fill_(v)), (3, 4), ()),
    C("inplace[masked_fill_]", _inplace(lambda y: y.masked_fill_(MASK_34, -1.0)), (3, 4)),
    # -- nn.functional ---------------------------------------------------------------------
    C("F.softmax[dim=1]", lambda x: F.softmax(x, dim=1), (3, 4)),
    C("F.softmax[dim=0]", lambda x: F.softmax(x, 0), (3, 4)),
    C("F.softmax[3-D,-1]", lambda x: F.softmax(x, dim=-1), (2, 2, 3)),
    C("F.log_softmax[dim=1]", lambda x: F.log_softmax(x, dim=1), (3, 4)),
    C("F.log_softmax[dim=0]", lambda x: F.log_softmax(x, dim=0), (3, 4)),
    C("F.linear[2-D,bias]", F.linear, (2, 3), (4, 3), (4,)),
    C("F.linear[2-D]", F.linear, (2, 3), (4, 3)),
    C("F.linear[1-D,bias]", F.linear, (3,), (2, 3), (2,)),
    C("F.linear[1-D]", F.linear, (3,), (2, 3)),
    C("F.linear[3-D,bias]", F.linear, (2, 2, 3), (2, 3), (2,)),
    C("F.linear[3-D]", F.linear, (2, 2, 3), (2, 3)),
    C("F.mse_loss[mean]", F.mse_loss, (3, 4), (3, 4)),
    C("F.mse_loss[sum]", lambda x, y: F.mse_loss(x, y, reduction="sum"), (3, 4), (3, 4)),
    C("F.mse_loss[none]", lambda x, y: F.mse_loss(x, y, reduction="none"), (3, 4), (3, 4)),
    C("F.mse_loss[const target]", lambda x: F.mse_loss(x, BCE_T), (3, 4)),
    C("F.bce_logits[mean]", lambda x: F.binary_cross_entropy_with_logits(x, BCE_T), (3, 4)),
    C("F.softplus", lambda x: F.softplus(x), (3, 4)),
    C("F.softplus[beta,threshold]", lambda x: F.softplus(x, 2.0, 1.0), (3, 4), domain="offgrid"),
    C("F.bce[mean]", lambda p: F.binary_cross_entropy(p, BCE_T), (3, 4), domain="unit"),
    C(
        "F.bce[weight,sum,target grad]",
        lambda p, t: F.binary_cross_entropy(p, t, weight=BCE_W, reduction="sum"),
        (3, 4),
        (3, 4),
        domain="unit",
    ),
    C(
        "F.bce[none]",
        lambda p, t: F.binary_cross_entropy(p, t, reduction="none"),
        (3, 4),
        (3, 4),
        domain="unit",
    ),
    C(
        "F.bce_logits[sum]",
        lambda x: F.binary_cross_entropy_with_logits(x, BCE_T, reduction="sum"),
        (3, 4),
    ),
    C(
        "F.bce_logits[none]",
        lambda x: F.binary_cross_entropy_with_logits(x, BCE_T, reduction="none"),
        (3, 4),
    ),
    C(
        "F.bce_logits[weight]",
        lambda x: F.binary_cross_entropy_with_logits(x, BCE_T, weight=BCE_W),
        (3, 4),
    ),
    C(
        "F.bce_logits[pos_weight]",
        lambda x: F.binary_cross_entropy_with_logits(x, BCE_T, pos_weight=BCE_PW),
        (3, 4),
    ),
    C(
        "F.bce_logits[weight,pos_weight,sum]",
        lambda x: F.binary_cross_entropy_with_logits(
            x, BCE_T, weight=BCE_W, pos_weight=BCE_PW, reduction="sum"
        ),
        (3, 4),
    ),
    C(
        "F.bce_logits[target grad]",
        F.binary_cross_entropy_with_logits,
        In((3, 4), "real"),
        In((3, 4), "unit"),
    ),
    C(
        "F.bce_logits[target grad,pos_weight]",
        lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=BCE_PW),
        In((3, 4), "real"),
        In((3, 4), "unit"),
    ),
    C("F.nll_loss[mean]", lambda x: F.nll_loss(x, CLASSES_3), (4, 3)),
    C("F.nll_loss[sum]", lambda x: F.nll_loss(x, CLASSES_3, reduction="sum"), (4, 3)),
    C("F.nll_loss[none]", lambda x: F.nll_loss(x, CLASSES_3, reduction="none"), (4, 3)),
    C("F.nll_loss[weight]", lambda x: F.nll_loss(x, CLASSES_3, weight=W3), (4, 3)),
    C("F.nll_loss[ignore_index]", lambda x: F.nll_loss(x, CLASSES_3, ignore_index=2), (4, 3)),
    C("F.nll_loss[1-D]", lambda x: F.nll_loss(x, _t(1)), (3,)),
    C("F.nll_loss[K-dim]", lambda x: F.nll_loss(x, _t([[0, 2], [1, 1]])), (2, 3, 2)),
    C("F.cross_entropy", lambda x: F.cross_entropy(x, CLASSES_3), (4, 3)),
    C("F.cross_entropy[sum]", lambda x: F.cross_entropy(x, CLASSES_3, reduction="sum"), (4, 3)),
    C("F.cross_entropy[none]", lambda x: F.cross_entropy(x, CLASSES_3, reduction="none"), (4, 3)),
    C("F.cross_entropy[weight]", lambda x: F.cross_entropy(x, CLASSES_3, weight=W3), (4, 3)),
    C(
        "F.cross_entropy[ignore_index]",
        lambda x: F.cross_entropy(x, CLASSES_3, ignore_index=0),
        (4, 3),
    ),
    C(
        "F.cross_entropy[label_smoothing]",
        lambda x: F.cross_entropy(x, CLASSES_3, label_smoothing=0.1),
        (4, 3),
    ),
    C(
        "F.cross_entropy[label_smoothing,weight]",
        lambda x: F.cross_entropy(x, CLASSES_3, weight=W3, label_smoothing=0.2),
        (4, 3),
    ),
    C(
        "F.cross_entropy[label_smoothing,ignore,none]",
        lambda x: F.cross_entropy(
            x, CLASSES_3, ignore_index=0, label_smoothing=0.1, reduction="none"
        ),
        (4, 3),
    ),
    C("F.cross_entropy[1-D]", lambda x: F.cross_entropy(x, _t(2)), (3,)),
    C("F.cross_entropy[probs]", lambda x: F.cross_entropy(x, _t(SOFT_T)), (4, 3)),
    C(
        "F.cross_entropy[probs,sum]",
        lambda x: F.cross_entropy(x, _t(SOFT_T), reduction="sum"),
        (4, 3),
    ),
    C(
        "F.cross_entropy[probs,none]",
        lambda x: F.cross_entropy(x, _t(SOFT_T), reduction="none"),
        (4, 3),
    ),
    C(
        "F.cross_entropy[probs,label_smoothing,weight]",
        lambda x: F.cross_entropy(x, _t(SOFT_T), weight=W3, label_smoothing=0.1),
        (4, 3),
    ),
    C(
        "F.cross_entropy[probs,target grad]",
        F.cross_entropy,
        In((4, 3), "real"),
        In((4, 3), "unit"),
    ),
    # -- dtype conversion ------------------------------------------------------------------
    C("to[float64,copy=True]", lambda x: x.to(torch.float64, copy=True), (3, 4)),
    C("double[no-op]", lambda x: x.double() * 1.5, (3, 4)),
    C(
        "to[float32 and back]",
        lambda x: (x.float() * 2).to(torch.float64),
        (3, 4),
        eps=1e-3,
        atol=1e-4,
        rtol=1e-3,
    ),
    C(
        "type_as[float32]",
        lambda x, y: x.type_as(y.float()).double() * y,
        (3, 4),
        (3, 4),
        eps=1e-3,
        atol=1e-4,
        rtol=1e-3,
    ),
    # -- custom autograd.Function ----------------------------------------------------------
    C("Function[Cube]", Cube.apply, (3, 4)),
    C("Function[Cube] composed", lambda x: Cube.apply(x.sin()).sum(0), (3, 4)),
    C("Function[setup_context]", lambda x, y: ScaledMul.apply(x, y, 1.5), (3, 4), (3, 4)),
    # -- composites ------------------------------------------------------------------------
    C("MLP[tanh, cross_entropy]", _mlp_tanh, (4, 3), (5, 3), (5,), (3, 5), (3,)),
    C("MLP[relu, mse]", _mlp_relu, (4, 3), (5, 3), (5,), (2, 5)),
    C("attention", _attention, (2, 2, 3), (2, 3, 3), (2, 3, 2)),
    C("normalize", _normalize, (3, 4)),
    C("x/x.sum()", lambda x: x / x.sum(), (3, 4), domain="positive"),
]


# -- first and second order --------------------------------------------------------------------


def _ids(cases: Iterable[Any]) -> list[str]:
    return [c.name for c in cases]


def test_case_names_are_unique() -> None:
    names = _ids(CASES)
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_gradcheck(case: OpCase) -> None:
    inputs = case.make_inputs()
    outs = case.fn(*inputs)
    for out in outs if isinstance(outs, tuple) else (outs,):
        assert out.requires_grad, f"{case.name}: output does not require grad"
    assert gradcheck(case.fn, inputs, eps=case.eps, atol=case.atol, rtol=case.rtol)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_gradgradcheck(case: OpCase) -> None:
    inputs = case.make_inputs()
    assert gradgradcheck(case.fn, inputs, eps=case.eps, atol=case.atol, rtol=case.rtol)


# -- coverage of the op classes ---------------------------------------------------------------

#: Op classes that no forward program creates: backward formulas build them, so they only live
#: in the graphs of create_graph gradients. gradgradcheck differentiates through exactly those
#: graphs, which is what covers them; the coverage test checks each one really appears there.
BACKWARD_ONLY = {
    "SgnBackward0",  # abs's derivative, grad * sgn(x)
    "SubBackward1",  # tensor ** tensor's derivative, exponent - 1 (sub.Scalar)
    "ThresholdBackwardBackward0",  # relu's derivative
    "TanhBackwardBackward0",  # tanh's derivative
    "SigmoidBackwardBackward0",  # sigmoid's derivative
    "SoftmaxBackwardDataBackward0",  # softmax's derivative
    "LogSoftmaxBackwardDataBackward0",  # log_softmax's derivative
    "MseLossBackwardBackward0",  # mse_loss's derivative
    "NllLossBackwardBackward0",  # nll_loss's derivative
    "SoftplusBackwardBackward0",  # softplus's derivative
    "BinaryCrossEntropyBackwardBackward0",  # binary_cross_entropy's derivative
    "SelectBackwardBackward0",  # the adjoint of select / int indexing (and max(dim))
    "SliceBackwardBackward0",  # the adjoint of slicing
    "EmbedBackward",  # the adjoint of advanced indexing (scatter-add)
}

#: Torch's node names end in Backward<N>/Backwards; other Op subclasses are helper bases.
_NODE_NAME = re.compile(r"Backwards?\d*$")


def _op_classes() -> dict[str, type]:
    for mod in pkgutil.iter_modules(ops_pkg.__path__):
        importlib.import_module(f"{ops_pkg.__name__}.{mod.name}")
    found: dict[str, type] = {}
    todo = list(Op.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith(ops_pkg.__name__) and _NODE_NAME.search(cls.__name__):
            found[cls.__name__] = cls
    return found


def _graph_node_names(roots: Sequence[Any]) -> set[str]:
    """Class names of every node reachable from the roots' grad_fns through next_functions.

    A CopySlices node (an in-place write through a view) wraps the op that did the write in
    ``.fn``; that op is counted too.
    """
    seen: set[int] = set()
    names: set[str] = set()
    stack = [r.grad_fn for r in roots if r is not None and r.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.add(type(node).__name__)
        inner = getattr(node, "fn", None)
        if inner is not None and hasattr(inner, "next_functions"):
            stack.append(inner)
        stack.extend(n for n, _ in node.next_functions)
    return names


def _case_coverage(case: OpCase) -> tuple[set[str], set[str]]:
    """(node names in the forward graph, node names in the create_graph gradients' graph)."""
    inputs = case.make_inputs()
    outs = case.fn(*inputs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    forward = _graph_node_names(outs)
    # Seeds that require grad, as gradgradcheck's: backward nodes linear in the incoming
    # gradient (SelectBackwardBackward0, ...) are only recorded then.
    seeds = [torch.ones_like(o).requires_grad_() for o in outs]
    grads = torch.autograd.grad(outs, inputs, seeds, create_graph=True, allow_unused=True)
    return forward, _graph_node_names(grads)


def test_every_op_class_is_covered() -> None:
    classes = _op_classes()
    assert set(classes) >= BACKWARD_ONLY, sorted(BACKWARD_ONLY - set(classes))
    forward_cover: dict[str, list[str]] = {}
    backward_cover: dict[str, list[str]] = {}
    from .test_layers import LAYER_BACKWARD_ONLY, LAYER_CASES  # the CNN layers
    from .test_op_breadth import BREADTH_CASES  # the op-breadth table (issue 13)
    from .test_op_breadth2 import BREADTH2_CASES  # its second round
    from .test_op_breadth3 import BREADTH3_CASES  # its third round

    backward_only = BACKWARD_ONLY | LAYER_BACKWARD_ONLY
    for case in (*CASES, *BREADTH_CASES, *BREADTH2_CASES, *BREADTH3_CASES, *LAYER_CASES):
        fwd, bwd = _case_coverage(case)
        for name in fwd:
            forward_cover.setdefault(name, []).append(case.name)
        for name in bwd:
            backward_cover.setdefault(name, []).append(case.name)
    uncovered = sorted(n for n in classes if n not in backward_only and n not in forward_cover)
    assert not uncovered, f"op classes no table entry reaches: {uncovered}"
    stale = sorted(n for n in backward_only if n not in backward_cover)
    assert not stale, f"backward-only classes absent from every create_graph graph: {stale}"


# -- kinks: the subgradients torch picks ------------------------------------------------------

INF, NAN = float("inf"), float("nan")


@dataclass(frozen=True)
class Kink:
    """``fn(*inputs)``; backward of its sum; expected output and gradient per input."""

    name: str
    fn: Callable[..., Any]
    inputs: tuple[Any, ...]
    out: Any
    grads: tuple[Any, ...]


def K(name: str, fn: Callable[..., Any], inputs: Sequence[Any], out: Any, *grads: Any) -> Kink:
    return Kink(name, fn, tuple(inputs), out, tuple(grads))


_PROD_SHARE = [[1, 5], [3, 5], [3, 2]]

KINKS: list[Kink] = [
    K("max() ties", lambda x: x.max(), [[1, 3, 3]], 3, [0, 0.5, 0.5]),
    K("max() all equal", lambda x: x.max(), [[3, 3, 3]], 3, [1 / 3] * 3),
    K("min() ties", lambda x: x.min(), [[1, 1, 3]], 1, [0.5, 0.5, 0]),
    K("amax() ties", lambda x: x.amax(), [[1, 3, 3]], 3, [0, 0.5, 0.5]),
    K("amin() ties", lambda x: x.amin(), [[1, 1, 3]], 1, [0.5, 0.5, 0]),
    K(
        "amax(0) ties per slice",
        lambda x: x.amax(0),
        [_PROD_SHARE],
        [3, 5],
        [[0, 0.5], [0.5, 0.5], [0.5, 0]],
    ),
    K(
        "max(dim) first index",
        lambda x: x.max(dim=0).values,
        [_PROD_SHARE],
        [3, 5],
        [[0, 1], [1, 0], [0, 0]],
    ),
    K("min(dim) first index", lambda x: x.min(0).values, [[1, 1, 3]], 1, [1, 0, 0]),
    K("maximum ties", torch.maximum, [[1, 2, 3], [1, 5, 0]], [1, 5, 3], [0.5, 0, 1], [0.5, 1, 0]),
    K("minimum ties", torch.minimum, [[1, 2, 3], [1, 5, 0]], [1, 2, 0], [0.5, 1, 0], [0.5, 0, 1]),
    K("abs at 0", torch.abs, [[-1, 0, 1]], [1, 0, 1], [-1, 0, 1]),
    K("relu at 0", torch.relu, [[-1, 0, 1]], [0, 0, 1], [0, 0, 1]),
    K(
        "clamp(0,1) inclusive",
        lambda x: x.clamp(0, 1),
        [[-0.5, 0, 0.5, 1, 1.5]],
        [0, 0, 0.5, 1, 1],
        [0, 1, 1, 1, 0],
    ),
    K("clamp(min=0) at 0", lambda x: x.clamp(min=0), [[0]], [0], [1]),
    K("clamp(max=1) at 1", lambda x: x.clamp(max=1), [[1]], [1], [1]),
    K("clamp_min(0) at 0", lambda x: x.clamp_min(0), [[0]], [0], [1]),
    K("clamp_max(1) at 1", lambda x: x.clamp_max(1), [[1]], [1], [1]),
    K("clamp(1,0) min>max", lambda x: x.clamp(1, 0), [[-1, 0.5, 2]], [0, 0, 0], [0, 0, 0]),
    K(
        "clamp tensor bounds, ties go to x",
        lambda x, lo, hi: x.clamp(min=lo, max=hi),
        [[-1, 0, 0.5, 1, 2], [0] * 5, [1] * 5],
        [0, 0, 0.5, 1, 1],
        [0, 1, 1, 1, 0],
        [1, 0, 0, 0, 0],
        [0, 0, 0, 0, 1],
    ),
    K(
        "clamp tensor bounds, min>max",
        lambda x, lo, hi: x.clamp(min=lo, max=hi),
        [[-1, 0.5, 2], [1] * 3, [0] * 3],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [1, 1, 1],
    ),
    K("norm at 0", lambda x: x.norm(), [[0, 0, 0]], 0, [0, 0, 0]),
    K("norm(p=3) at 0", lambda x: x.norm(p=3), [[0, 0, 0]], 0, [0, 0, 0]),
    K(
        "norm(dim=0) zero column",
        lambda x: x.norm(dim=0),
        [[[0, 3], [0, 4]]],
        [0, 5],
        [[0, 0.6], [0, 0.8]],
    ),
    K("norm(p=1) at 0", lambda x: x.norm(p=1), [[0, 1, -2]], 3, [0, 1, -1]),
    K(
        "norm(inf) ties",
        lambda x: torch.linalg.vector_norm(x, ord=INF),
        [[1, -3, 3]],
        3,
        [0, -0.5, 0.5],
    ),
    K("norm [0,3]", lambda x: x.norm(), [[0, 3]], 3, [0, 1]),
    K("prod one zero", lambda x: x.prod(), [[2, 0, 3]], 0, [0, 6, 0]),
    K("prod two zeros", lambda x: x.prod(), [[2, 0, 0]], 0, [0, 0, 0]),
    K("prod no zero", lambda x: x.prod(), [[2, 4, 3]], 24, [12, 6, 8]),
    K(
        "prod(0) zeros",
        lambda x: x.prod(0),
        [[[2, 0], [0, 0], [3, 1]]],
        [0, 0],
        [[0, 0], [6, 0], [0, 0]],
    ),
    K("sqrt at 0", torch.sqrt, [[0]], [0], [INF]),
    K("sqrt at -1", torch.sqrt, [[-1]], [NAN], [NAN]),
    K("x**0.5 at 0", lambda x: x**0.5, [[0]], [0], [INF]),
    K("rsqrt at 0", torch.rsqrt, [[0]], [INF], [-INF]),
    K("reciprocal at 0", torch.reciprocal, [[0]], [INF], [-INF]),
    K("1/x at 0", lambda x: 1 / x, [[0]], [INF], [-INF]),
    K("log at 0", torch.log, [[0, -1]], [-INF, NAN], [INF, -1]),
    K("x**0 at 0", lambda x: x.pow(0.0), [[0, 2]], [1, 1], [0, 0]),
    K("x**2 at 0", lambda x: x**2, [[0]], [0], [0]),
    K("x**-1. at 0", lambda x: x**-1.0, [[0]], [INF], [-INF]),
    K("x**y at (0,2)", torch.pow, [[0], [2]], [0], [0], [0]),
    K("x**y at (0,0)", torch.pow, [[0], [0]], [1], [0], [0]),
    K("x**y at (0,0.5)", torch.pow, [[0], [0.5]], [0], [INF], [0]),
    K("x**y at (0,-1)", torch.pow, [[0], [-1]], [INF], [-INF], [-INF]),
    K("x**y at (-2,2)", torch.pow, [[-2], [2]], [4], [-4], [NAN]),
    K("x**y at (-2,0.5)", torch.pow, [[-2], [0.5]], [NAN], [NAN], [NAN]),
    K("0.**y", lambda y: torch.pow(0.0, y), [[0, 1, 2]], [1, 0, 0], [0, 0, 0]),
    K("2.**y", lambda y: torch.pow(2.0, y), [[0, 1]], [1, 2], [np.log(2), 2 * np.log(2)]),
    K(
        "logsumexp with -inf",
        lambda x: x.logsumexp(0),
        [[-INF, 0, 1]],
        1.31326168751822,
        [0, 0.2689414213699951, 0.7310585786300049],
    ),
    K("logsumexp all -inf", lambda x: x.logsumexp(0), [[-INF, -INF]], -INF, [NAN, NAN]),
    K("logsumexp with inf", lambda x: x.logsumexp(0), [[INF, 0]], INF, [NAN, 0]),
    K("std of a constant", lambda x: x.std(), [[2, 2, 2]], 0, [0, 0, 0]),
    K(
        "std(0) zero column",
        lambda x: x.std(0),
        [[[1, 2], [1, 4]]],
        [0, np.sqrt(2)],
        [[0, -np.sqrt(0.5)], [0, np.sqrt(0.5)]],
    ),
    K("var of one element", lambda x: x.var(), [[2]], NAN, [NAN]),
    K("std of one element", lambda x: x.std(), [[2]], NAN, [NAN]),
    K("std of one element, correction=0", lambda x: x.std(correction=0), [[2]], 0, [0]),
    K("var of [1,3]", lambda x: x.var(), [[1, 3]], 2, [-2, 2]),
    K("x*0 at inf", lambda x: x * 0, [[INF]], [NAN], [0]),
    K("x/x at 0", lambda x: x / x, [[0]], [NAN], [NAN]),
]


@pytest.mark.parametrize("kink", KINKS, ids=_ids(KINKS))
def test_kink_subgradients_match_torch(kink: Kink) -> None:
    inputs = [
        torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in kink.inputs
    ]
    out = kink.fn(*inputs)
    np.testing.assert_allclose(
        out.detach().numpy(), np.asarray(kink.out, dtype=np.float64), rtol=1e-6, atol=1e-12
    )
    (out if out.ndim == 0 else out.sum()).backward()
    assert len(kink.grads) == len(inputs)
    for i, (x, want) in enumerate(zip(inputs, kink.grads, strict=True)):
        assert x.grad is not None, f"input {i} got no gradient"
        np.testing.assert_allclose(
            x.grad.numpy(),
            np.asarray(want, dtype=np.float64),
            rtol=1e-6,
            atol=1e-12,
            err_msg=f"gradient of input {i}",
        )
