"""Forward-mode AD of the layer ops (issue 13) without torch: convolution, max / average
pooling, batch / layer / group normalization and embedding, and the nodes their backwards
record (forward over reverse).

Each form's tangent is held to ``test_forward_ad``'s two checks: central finite differences
along the input tangents, and the VJP (``<jvp(v), u> == <v, vjp(u)>``), in float64. Forward
over reverse: the tangent of a gradient against finite differences of that gradient. Which
outputs get a tangent at all, and group_norm's refusal without create_graph, are torch 2.13's
(probed there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import reference_impl as torch
import reference_impl.autograd.forward_ad as fwAD
from reference_impl._ops.convolution import ConvolutionBackward0

from .test_forward_ad import check_jvp, planted
from .test_op_gradients import C, OpCase

F = torch.nn.functional


def _const(*shape: int, seed: int = 0, shift: float = 0.0) -> Any:
    """A fixed tensor without tangent (a closed-over operand)."""
    return torch.tensor(np.random.default_rng(seed).standard_normal(shape) + shift)


IDS = torch.tensor([[0, 2, 3], [3, 3, 1]])
RUNNING_MEAN, RUNNING_VAR = _const(3, seed=1), _const(3, seed=2).abs() + 0.5
WEIGHT = _const(4, 3, 3, 2, seed=3)

CASES: list[OpCase] = [
    C(
        "conv2d stride padding bias",
        lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0)),
        (2, 3, 6, 5),
        (4, 3, 3, 2),
        (4,),
    ),
    C(
        "conv2d dilation groups",
        lambda x, w: F.conv2d(x, w, dilation=(2, 1), groups=2),
        (1, 4, 6, 5),
        (6, 2, 2, 2),
    ),
    C("conv2d input only", lambda x: F.conv2d(x, WEIGHT, padding=1), (2, 3, 5, 4)),
    C("conv2d bias only", lambda b: F.conv2d(_const(1, 3, 4, 4), WEIGHT, b), (4,)),
    C("conv1d unbatched", lambda x, w: F.conv1d(x, w, stride=2, padding=1), (3, 9), (2, 3, 3)),
    C("max_pool2d padding", lambda x: F.max_pool2d(x, 3, 2, 1), (2, 3, 6, 5)),
    C("max_pool2d dilation 3-d", lambda x: F.max_pool2d(x, 2, 1, dilation=(2, 1)), (3, 6, 5)),
    C(
        "avg_pool2d no pad count",
        lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
        (2, 3, 6, 5),
    ),
    C("avg_pool2d divisor", lambda x: F.avg_pool2d(x, (2, 3), divisor_override=4), (3, 6, 6)),
    C(
        "batch_norm train affine",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        (4, 3, 3, 2),
        (3,),
        (3,),
    ),
    C("batch_norm train 2-d", lambda x: F.batch_norm(x, None, None, training=True), (5, 3)),
    C(
        "batch_norm eval affine",
        lambda x, w, b: F.batch_norm(x, RUNNING_MEAN, RUNNING_VAR, w, b),
        (4, 3, 3, 2),
        (3,),
        (3,),
    ),
    C(
        "layer_norm affine",
        lambda x, w, b: F.layer_norm(x, (4, 3), w, b),
        (2, 4, 3),
        (4, 3),
        (4, 3),
    ),
    C("layer_norm bias only", lambda x, b: F.layer_norm(x, (5,), None, b), (3, 5), (5,)),
    C("layer_norm weight only", lambda w: F.layer_norm(_const(3, 5), (5,), w), (5,)),
    C("group_norm affine", lambda x, w, b: F.group_norm(x, 2, w, b), (3, 4, 3, 2), (4,), (4,)),
    C("group_norm plain", lambda x: F.group_norm(x, 3, eps=1e-3), (2, 6, 5)),
    C("embedding", lambda w: F.embedding(IDS, w), (5, 3)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_jvp_matches_finite_differences_and_vjp(case: OpCase) -> None:
    check_jvp(case)


def test_embedding_tangent_picks_padding_rows_too() -> None:
    """torch's forward formula is embedding(tangent, indices): the padding row's tangent is
    picked like any other, though backward gives that row no gradient (and scale_grad_by_freq
    scales only the gradient), so here the VJP is deliberately not the JVP's adjoint."""
    rng = np.random.default_rng(5)
    w, v = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    with fwAD.dual_level():
        dual = fwAD.make_dual(torch.tensor(w, requires_grad=True), torch.tensor(v))
        y = F.embedding(IDS, dual, padding_idx=3, scale_grad_by_freq=True)
        tangent = fwAD.unpack_dual(y).tangent
    assert tangent is not None
    np.testing.assert_array_equal(tangent._data, v[IDS._data])
    (grad,) = torch.autograd.grad(y, dual, torch.ones(2, 3, 3, dtype=torch.float64))
    assert grad is not None
    assert not grad._data[3].any() and grad._data[0].all()


def test_max_pool2d_indices_have_no_tangent() -> None:
    x = _const(1, 2, 4, 4)
    with fwAD.dual_level():
        values, indices = F.max_pool2d(fwAD.make_dual(x, x * 2), 2, return_indices=True)
        assert fwAD.unpack_dual(indices).tangent is None
        tangent = fwAD.unpack_dual(values).tangent
    assert tangent is not None
    np.testing.assert_array_equal(tangent._data, 2 * values._data)  # a gather of x * 2


def test_a_conv_rule_missing_the_weight_term_is_caught() -> None:
    case = CASES[0]

    def input_term_only(self: Any, tx: Any, tw: Any, *tb: Any) -> Any:
        return ConvolutionBackward0.invoke(tx, self.fw_input(1), **self.geo.params())

    with planted(ConvolutionBackward0, input_term_only), pytest.raises(AssertionError):
        check_jvp(case)


# -- forward over reverse: the tangents of gradients ----------------------------------------------


def _gradients(fn: Callable[..., Any], arrays: list[np.ndarray], u: np.ndarray) -> list[Any]:
    """The VJP of ``fn`` at plain leaves (no tangents), for finite differences of it."""
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    return list(torch.autograd.grad(fn(*leaves), leaves, torch.tensor(u)))


REVERSE: list[tuple[str, Callable[..., Any], tuple[tuple[int, ...], ...], tuple[bool, ...]]] = [
    # (name, fn, input shapes, which gradients torch gives a tangent)
    (
        "conv2d",
        lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1),
        ((2, 3, 5, 4), (4, 3, 2, 2), (4,)),
        (True, True, False),  # the bias gradient, sum(grad), has no operand with a tangent
    ),
    ("max_pool2d", lambda x: F.max_pool2d(x, 2), ((2, 3, 4, 4),), (True,)),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 3, 2, 1), ((2, 3, 5, 5),), (False,)),
    (
        "batch_norm train",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        ((4, 3, 2, 2), (3,), (3,)),
        (True, True, False),
    ),
    (
        "batch_norm eval",
        lambda x, w, b: F.batch_norm(x, RUNNING_MEAN, RUNNING_VAR, w, b),
        ((4, 3, 2, 2), (3,), (3,)),
        (True, True, False),
    ),
    (
        "layer_norm",
        lambda x, w, b: F.layer_norm(x, (3, 2), w, b),
        ((4, 3, 2), (3, 2), (3, 2)),
        (True, True, False),
    ),
    ("embedding", lambda w: F.embedding(IDS, w), ((5, 3),), (False,)),
]


def _tangent_of(gradient: Any) -> Any:
    assert gradient is not None
    return fwAD.unpack_dual(gradient).tangent


@pytest.mark.parametrize("create_graph", [True, False])
@pytest.mark.parametrize("form", REVERSE, ids=[r[0] for r in REVERSE])
def test_gradient_tangents_match_finite_differences(form: Any, create_graph: bool) -> None:
    name, fn, shapes, has_tangent = form
    rng = np.random.default_rng(len(name))
    xs = [rng.standard_normal(s) for s in shapes]
    vs = [rng.standard_normal(s) for s in shapes]
    with torch.no_grad():
        u = rng.standard_normal(tuple(fn(*[torch.tensor(x) for x in xs]).shape))
    with fwAD.dual_level():
        duals = [
            fwAD.make_dual(torch.tensor(x, requires_grad=True), torch.tensor(v))
            for x, v in zip(xs, vs, strict=True)
        ]
        grads = torch.autograd.grad(fn(*duals), duals, torch.tensor(u), create_graph=create_graph)
        tangents = [_tangent_of(g) for g in grads]
    assert tuple(t is not None for t in tangents) == has_tangent
    h = 1e-6
    plus = _gradients(fn, [x + h * v for x, v in zip(xs, vs, strict=True)], u)
    minus = _gradients(fn, [x - h * v for x, v in zip(xs, vs, strict=True)], u)
    for t, p, m in zip(tangents, plus, minus, strict=True):
        expected = (p._data - m._data) / (2 * h)
        got = np.zeros_like(expected) if t is None else t._data
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


def test_group_norm_gradient_tangents_need_create_graph() -> None:
    """Without create_graph torch runs the fused native_group_norm_backward, which has no
    forward formula; with it, differentiable ops whose tangents match finite differences."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 4, 3)), rng.standard_normal(4)
    vx, vw = rng.standard_normal((2, 4, 3)), rng.standard_normal(4)
    u = rng.standard_normal((2, 4, 3))

    def fn(a: Any, b: Any) -> Any:
        return F.group_norm(a, 2, b)

    with fwAD.dual_level():
        duals = [
            fwAD.make_dual(torch.tensor(a, requires_grad=True), torch.tensor(v))
            for a, v in ((x, vx), (w, vw))
        ]
        with pytest.raises(NotImplementedError) as refused:
            torch.autograd.grad(fn(*duals), duals, torch.tensor(u))
        grads = torch.autograd.grad(fn(*duals), duals, torch.tensor(u), create_graph=True)
        tangents = [_tangent_of(g) for g in grads]
    assert str(refused.value) == (
        "Trying to use forward AD with aten::native_group_norm_backward that does not support it."
    )
    h = 1e-6
    plus = _gradients(fn, [x + h * vx, w + h * vw], u)
    minus = _gradients(fn, [x - h * vx, w - h * vw], u)
    for t, p, m in zip(tangents, plus, minus, strict=True):
        assert t is not None
        np.testing.assert_allclose(t._data, (p._data - m._data) / (2 * h), rtol=1e-4, atol=1e-6)
