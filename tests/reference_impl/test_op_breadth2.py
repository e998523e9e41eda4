"""The second round of issue 13's op breadth against central finite differences, in float64.

nn activations and elementwise losses, padding, unfold, scatters into a region, index_fill /
index_copy, masked_select / masked_scatter, block_diag, nansum, and the composites built from
existing ops (stacks, splits, kron, cross, tensordot, trapezoid, ...). One ``OpCase`` per form,
checked at first order (``gradcheck``) and second order (``gradgradcheck``) with the shared
table helpers; inputs keep clear of every kink. This file never imports torch.
``test_op_gradients.test_every_op_class_is_covered`` counts these cases too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import reference_impl as torch
import reference_impl.nn.functional as F

from .test_op_gradients import C, In, OpCase

S = (3, 4)
#: Away from hardsigmoid / hardswish's kinks at -3 and 3.
WIDE = np.array([[-4.2, -2.5, -0.7], [0.4, 2.2, 3.6]])
MASK = torch.tensor(
    [[True, False, True, False], [False, False, True, True], [True, True, False, False]]
)
TARGET = torch.tensor(np.linspace(-1.3, 1.2, 12).reshape(S))
SIGNS = torch.tensor(
    np.array([[1.0, -1.0, 1.0, 1.0], [-1.0, -1.0, 1.0, -1.0], [1.0, 1.0, -1.0, 1.0]])
)
NAN_X = np.array([[0.3, np.nan, -1.2], [np.nan, 0.8, 2.0]])


def _nan_input(x: Any) -> Any:
    """x with nan planted at fixed positions (a constant added, so x stays the leaf)."""
    return x + torch.tensor(np.where(np.isnan(NAN_X), np.nan, 0.0))


BREADTH2_CASES: list[OpCase] = [
    # -- activations with a node of their own -------------------------------------------------
    C("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.0), S, domain="offgrid"),
    C("relu6", lambda x: F.relu6(x * 4), S, domain="offgrid"),
    C("hardsigmoid", F.hardsigmoid, WIDE),
    C("hardswish", F.hardswish, WIDE),
    C("softshrink", lambda x: F.softshrink(x, 0.5), S, domain="offgrid"),
    C("hardshrink", lambda x: F.hardshrink(x, 0.5), S, domain="offgrid"),
    C("threshold", lambda x: F.threshold(x, 0.5, -2.0), S, domain="offgrid"),
    C("leaky_relu", lambda x: F.leaky_relu(x, 0.2), S, domain="offgrid"),
    C("elu", lambda x: F.elu(x, 0.7), S, domain="offgrid"),
    C("selu", F.selu, S, domain="offgrid"),
    C("celu", lambda x: F.celu(x, 1.5), S, domain="offgrid"),
    C("mish", F.mish, S),
    C("silu", F.silu, S),
    C("logsigmoid", F.logsigmoid, S),
    C("gelu", F.gelu, S),
    C("gelu(tanh)", lambda x: F.gelu(x, approximate="tanh"), S),
    C("glu(dim 1)", lambda x: F.glu(x, 1), S),
    C("prelu(per channel)", F.prelu, In((2, 3, 4), "offgrid"), In((3,), "positive")),
    C("prelu(one weight)", F.prelu, In(S, "offgrid"), In((1,), "positive")),
    C("softsign", F.softsign, S, domain="away0"),
    C("tanhshrink", F.tanhshrink, S),
    C("softmin", lambda x: F.softmin(x, 1), S),
    # -- losses ---------------------------------------------------------------------------------
    C("smooth_l1_loss", lambda x, y: F.smooth_l1_loss(x, y, beta=0.5), S, S),
    C(
        "smooth_l1_loss(sum, broadcast)",
        lambda x, y: F.smooth_l1_loss(x, y, reduction="sum"),
        S,
        (4,),
    ),
    C("huber_loss(none)", lambda x, y: F.huber_loss(x, y, reduction="none", delta=0.7), S, S),
    C("soft_margin_loss", lambda x: F.soft_margin_loss(x, SIGNS), S),
    C("kl_div", lambda x, y: F.kl_div(x, y, reduction="batchmean"), In(S, "real"), In(S, "unit")),
    C("kl_div(log_target)", lambda x, y: F.kl_div(x, y, log_target=True), S, S),
    C("poisson_nll_loss", lambda x: F.poisson_nll_loss(x, TARGET.abs() * 2, full=True), S),
    C(
        "poisson_nll_loss(no log input)",
        lambda x: F.poisson_nll_loss(x, TARGET.abs(), log_input=False),
        S,
        domain="positive",
    ),
    C("margin_ranking_loss", lambda a, b: F.margin_ranking_loss(a, b, SIGNS[0], 0.1), (4,), (4,)),
    C("hinge_embedding_loss", lambda x: F.hinge_embedding_loss(x, SIGNS, 0.5), S, domain="offgrid"),
    C("cosine_embedding_loss", lambda a, b: F.cosine_embedding_loss(a, b, SIGNS[:, 0]), S, S),
    C(
        "multilabel_soft_margin_loss",
        lambda x: F.multilabel_soft_margin_loss(x, (SIGNS > 0).double()),
        S,
    ),
    C("cosine_similarity", F.cosine_similarity, S, S),
    C("pairwise_distance", F.pairwise_distance, S, S),
    C("normalize", lambda x: F.normalize(x, dim=0), S),
    # -- padding, windows, region scatters --------------------------------------------------
    C("pad(constant, crop)", lambda x: F.pad(x, (1, -1, 2, 0), value=0.5), S),
    C("unfold(overlapping)", lambda x: x.unfold(1, 3, 1), S),
    C("unfold(strided)", lambda x: torch.unfold_copy(x, 0, 2, 1), S),
    C("select_scatter", lambda x, s: torch.select_scatter(x, s, 1, 2), S, (3,)),
    C("slice_scatter(step)", lambda x, s: torch.slice_scatter(x, s, 1, 0, 4, 2), S, (3, 2)),
    C("diagonal_scatter(offset)", lambda x, s: torch.diagonal_scatter(x, s, 1), S, (3,)),
    C("block_diag", torch.block_diag, S, (2,), ()),
    C("index_fill", lambda x: x.index_fill(1, torch.tensor([0, 2]), -1.0), S),
    C("index_fill(tensor value)", lambda x, v: x.index_fill(0, torch.tensor([1]), v), S, ()),
    C("index_copy", lambda x, s: x.index_copy(1, torch.tensor([3, 0]), s), S, (3, 2)),
    C("masked_select(broadcast)", lambda x: x.masked_select(MASK), (4,)),
    C("masked_scatter", lambda x, s: x.masked_scatter(MASK, s), S, (8,)),
    C("masked_fill(tensor value)", lambda x, v: x.masked_fill(MASK, v), S, ()),
    C("nansum(dim)", lambda x: torch.nansum(_nan_input(x), 1), (2, 3)),
    C("nanmean", lambda x: torch.nanmean(_nan_input(x)), (2, 3)),
    # -- composites ---------------------------------------------------------------------------
    C(
        "hstack/vstack/dstack",
        lambda a, b: torch.hstack([a, b]).sum() + torch.vstack([a, b]) + torch.dstack([a, b]).sum(),
        (4,),
        (4,),
    ),
    C("column_stack", lambda a, b: torch.column_stack([a, b]), (3,), S),
    C("atleast_3d", lambda a: torch.atleast_3d(a) * 2, (3,)),
    C("tensor_split", lambda x: torch.tensor_split(x, 3, 1)[1] * 3, S),
    C("hsplit/vsplit", lambda x: x.hsplit(2)[1].sum() + torch.vsplit(x, [1])[1], S),
    C("unflatten/ravel", lambda x: x.unflatten(1, (2, 2)).ravel(), S),
    C(
        "broadcast_tensors",
        lambda a, b: torch.broadcast_tensors(a, b)[0] * torch.broadcast_to(b, S),
        (4,),
        (3, 1),
    ),
    C(
        "meshgrid(xy)/cartesian_prod",
        lambda a, b: torch.meshgrid(a, b, indexing="xy")[0] * 2 + torch.cartesian_prod(a, b).sum(),
        (2,),
        (3,),
    ),
    C("kron", torch.kron, (2, 3), (3, 2)),
    C("cross", lambda a, b: torch.cross(a, b, dim=1), (2, 3), (2, 3)),
    C("vdot/inner", lambda a, b: torch.vdot(a[0], b[0]) + torch.inner(a, b), S, S),
    C("tensordot", lambda a, b: torch.tensordot(a, b, ([1, 0], [0, 2])), (3, 2, 4), (2, 5, 3)),
    C("diff(prepend)", lambda x, p: torch.diff(x, 2, 1, prepend=p), S, (3, 1)),
    C("diagflat", lambda x: torch.diagflat(x, -1), (2, 2)),
    C("take_along_dim", lambda x: torch.take_along_dim(x, torch.tensor([[2], [0], [1]]), 1), S),
    C(
        "trapezoid(x)/cumulative_trapezoid",
        lambda y, x: torch.trapezoid(y, x) + torch.cumulative_trapezoid(y, dx=0.5).sum(-1),
        S,
        (4,),
    ),
    C(
        "aminmax",
        lambda x: torch.aminmax(x, dim=1).max - torch.aminmax(x).min,
        S,
        domain="distinct",
    ),
    C(
        "std_mean(correction)",
        lambda x: torch.std_mean(x, 1, correction=0)[0] * torch.std_mean(x, 1)[1],
        S,
    ),
    C("dist(p=3)", lambda a, b: torch.dist(a, b, 3), S, S),
    C("renorm", lambda x: x.renorm(2, 0, 1.0), S),
    C("repeat_interleave", lambda x: x.repeat_interleave(torch.tensor([1, 3, 2]), 0), S),
    C(
        "pixel_shuffle/unshuffle",
        lambda x: F.pixel_shuffle(x, 2) * 2 + F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).sum(),
        (1, 4, 2, 3),
    ),
    C("channel_shuffle", lambda x: F.channel_shuffle(x, 2), (1, 4, 3)),
    C("as_strided(overlapping)", lambda x: x.as_strided((3, 3), (2, 1), 1), S),
    C("fill(tensor)", lambda x, v: torch.fill(x, v) * x, S, ()),
    C("squeeze/transpose of 0-d", lambda x: x.squeeze(0).transpose(0, -1) * 3, ()),
    C("sum_to_size", lambda x: x.sum_to_size(1, 4), S),
    C("H/mH", lambda x: x.H * x.mH.mH.T, S),
]


def test_breadth2_case_names_are_unique() -> None:
    names = [c.name for c in BREADTH2_CASES]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


# -- forward values at known points (what the derivatives rest on) ---------------------------


@pytest.mark.parametrize(
    ("fn", "x", "want"),
    [
        (F.hardswish, [-3.5, 1.0, 4.0], [0.0, 2 / 3, 4.0]),
        (F.hardsigmoid, [-3.5, 0.0, 4.0], [0.0, 0.5, 1.0]),
        (lambda t: F.softshrink(t, 0.5), [-1.0, 0.2, 2.0], [-0.5, 0.0, 1.5]),
        (
            F.selu,
            [-1.0, 2.0],
            [1.0507009873554805 * 1.6732632423543772 * np.expm1(-1.0), 2.1014019747109610],
        ),
        (F.gelu, [1.0], [0.8413447460685429]),  # x Phi(x)
        (F.logsigmoid, [0.0], [-np.log(2.0)]),
    ],
)
def test_activation_values(fn: Any, x: list[float], want: list[float]) -> None:
    got = fn(torch.tensor(np.array(x))).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_kinks_take_torchs_side() -> None:
    """hardtanh passes nothing at its bounds; elu at 0 takes the exponential branch."""
    x = torch.tensor(np.array([-1.0, 0.0, 1.0]), requires_grad=True)
    F.hardtanh(x).sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])
    y = torch.tensor(np.array([0.0]), requires_grad=True)
    F.elu(y, 0.5).sum().backward()
    assert y.grad is not None
    np.testing.assert_allclose(y.grad.numpy(), [0.5])
