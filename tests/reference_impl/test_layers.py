"""The CNN layers of reference_impl (issue 13): convolution, pooling, normalization, embedding.

Each op form is checked against central finite differences in float64, at first order
(``gradcheck``) and second order (``gradgradcheck``), with the shared ``OpCase`` table helpers;
``test_op_gradients.test_every_op_class_is_covered`` counts ``LAYER_CASES`` too. Then the modules:
parameter and buffer names, running statistics in train and eval mode, padding_idx. This file
never imports torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import reference_impl as torch
import reference_impl.nn.functional as F
from reference_impl.autograd import gradcheck, gradgradcheck

from .test_op_gradients import C, OpCase

#: Backward-only op classes, reached only by create_graph gradients.
LAYER_BACKWARD_ONLY = {
    "ConvolutionBackwardBackward0",
    "MaxPool2DWithIndicesBackwardBackward0",
    "AvgPool2DBackwardBackward0",
    "EmbeddingDenseBackwardBackward0",
    "NativeLayerNormBackwardBackward0",
    "NativeBatchNormBackwardBackward0",
}
#: Embedding indices with a repeat and the padding row (1).
IDS = torch.tensor([[1, 0], [4, 1], [3, 3]])
NOT_PAD = torch.tensor(np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])[..., None])


def _bn_train(x: Any, w: Any, b: Any) -> Any:
    stats = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    return F.batch_norm(x, *stats, w, b, training=True)


def _bn_eval(x: Any, w: Any, b: Any) -> Any:
    mean = torch.tensor(np.array([0.2, -0.1, 0.4]))
    var = torch.tensor(np.array([1.5, 0.7, 2.0]))
    return F.batch_norm(x, mean, var, w, b, training=False)


LAYER_CASES: list[OpCase] = [
    # -- convolution -----------------------------------------------------------------------------
    C("conv2d(bias)", lambda x, w, b: F.conv2d(x, w, b), (2, 3, 5, 4), (4, 3, 3, 2), (4,)),
    C(
        "conv2d(stride, padding, dilation, groups)",
        lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
        (1, 4, 6, 5),
        (6, 2, 3, 2),
    ),
    C(
        "conv2d(padding same)",
        lambda x, w: F.conv2d(x, w, padding="same"),
        (1, 2, 4, 4),
        (3, 2, 2, 3),
    ),
    C("conv2d(unbatched)", lambda x, w: F.conv2d(x, w, padding=1), (2, 4, 3), (2, 2, 3, 3)),
    C(
        "conv1d(stride 2, bias)",
        lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1),
        (2, 3, 7),
        (2, 3, 3),
        (2,),
    ),
    # -- pooling (distinct values: no ties for the maximum) --------------------------------------
    C("max_pool2d(2)", lambda x: F.max_pool2d(x, 2), (2, 2, 4, 5), domain="distinct"),
    C("max_pool2d(3, 2, 1)", lambda x: F.max_pool2d(x, 3, 2, 1), (1, 2, 5, 5), domain="distinct"),
    C(
        "max_pool2d(dilation, unbatched)",
        lambda x: F.max_pool2d(x, (2, 2), 1, dilation=(2, 1)),
        (2, 5, 4),
        domain="distinct",
    ),
    C("avg_pool2d(2)", lambda x: F.avg_pool2d(x, 2), (2, 2, 4, 5)),
    C("avg_pool2d(3, 2, 1)", lambda x: F.avg_pool2d(x, 3, 2, 1), (1, 2, 5, 5)),
    C(
        "avg_pool2d(no pad count, unbatched)",
        lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
        (2, 5, 4),
    ),
    # -- embedding -------------------------------------------------------------------------------
    C("embedding", lambda w: F.embedding(IDS, w), (5, 3)),
    # The padding row gets no gradient by design, so its lookups are masked out here (the
    # true derivative is then zero too); test_embedding_padding_row_gets_no_gradient pins it.
    C("embedding(padding_idx)", lambda w: F.embedding(IDS, w, padding_idx=1) * NOT_PAD, (5, 3)),
    # -- normalization ---------------------------------------------------------------------------
    C(
        "layer_norm(last dim, affine)",
        lambda x, w, b: F.layer_norm(x, (4,), w, b),
        (2, 3, 4),
        (4,),
        (4,),
    ),
    C("layer_norm(two dims, no affine)", lambda x: F.layer_norm(x, (3, 4)), (2, 3, 4)),
    C("layer_norm(whole input)", lambda x, w: F.layer_norm(x, (3, 4), w), (3, 4), (3, 4)),
    C(
        "group_norm(2 groups, affine)",
        lambda x, w, b: F.group_norm(x, 2, w, b),
        (2, 4, 3),
        (4,),
        (4,),
    ),
    C("group_norm(1 group, no affine)", lambda x: F.group_norm(x, 1), (2, 2, 2, 2)),
    C("batch_norm(training, affine)", _bn_train, (4, 3, 2), (3,), (3,)),
    C("batch_norm(eval, affine)", _bn_eval, (4, 3, 2), (3,), (3,)),
    C(
        "batch_norm(training, no affine, 2-D)",
        lambda x: F.batch_norm(x, None, None, training=True),
        (5, 3),
    ),
]


def test_layer_case_names_are_unique() -> None:
    names = [c.name for c in LAYER_CASES]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


@pytest.mark.parametrize("case", LAYER_CASES, ids=[c.name for c in LAYER_CASES])
def test_layer_gradients_match_finite_differences(case: OpCase) -> None:
    inputs = case.make_inputs()
    out = case.fn(*inputs)
    assert out.requires_grad, f"{case.name}: output does not require grad"
    assert gradcheck(case.fn, inputs, eps=case.eps, atol=case.atol, rtol=case.rtol)


@pytest.mark.parametrize("case", LAYER_CASES, ids=[c.name for c in LAYER_CASES])
def test_layer_second_derivatives_match_finite_differences(case: OpCase) -> None:
    inputs = case.make_inputs()
    assert gradgradcheck(case.fn, inputs, eps=case.eps, atol=case.atol, rtol=case.rtol)


def _first_gradient(norm: Any) -> Any:
    """x -> d/dx sum(norm(x) ** 3) with create_graph: checking its gradients checks the third
    derivative of the norm, through the fused second-order node's own backward."""

    def fn(x: Any) -> Any:
        (g,) = torch.autograd.grad((norm(x) ** 3).sum(), x, create_graph=True)
        return g

    return fn


@pytest.mark.parametrize(
    "norm",
    [
        lambda x: F.layer_norm(x, (4,)),
        lambda x: F.batch_norm(x, None, None, training=True),
    ],
    ids=["layer_norm", "batch_norm"],
)
def test_fused_norm_gradients_are_differentiable_to_third_order(norm: Any) -> None:
    x = torch.tensor(np.random.default_rng(7).standard_normal((3, 4)), requires_grad=True)
    fn = _first_gradient(norm)
    assert type(fn(x).grad_fn).__name__.startswith("Native")
    assert gradgradcheck(fn, (x,), atol=1e-5, rtol=1e-3)


# -- normalization values and modules -----------------------------------------------------------


def _array(x: Any) -> np.ndarray:
    return np.asarray(x.detach().numpy())


def test_layer_norm_output_has_zero_mean_and_unit_biased_variance() -> None:
    x = torch.tensor(np.arange(12.0).reshape(3, 4) ** 1.5)
    y = _array(F.layer_norm(x, (4,), eps=0.0))
    np.testing.assert_allclose(y.mean(-1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(-1), 1.0, rtol=1e-12)


def test_layer_norm_names_its_node_and_keeps_float32() -> None:
    x = torch.randn(2, 4, requires_grad=True)
    y = torch.nn.LayerNorm(4)(x)
    assert type(y.grad_fn).__name__ == "NativeLayerNormBackward0"
    assert y.dtype == torch.float32


def test_layer_norm_rejects_a_mismatched_trailing_shape() -> None:
    with pytest.raises(RuntimeError, match=r"expected input with shape \[\*, 4\]"):
        F.layer_norm(torch.randn(2, 3), (4,))


def test_norm_modules_register_torchs_parameter_and_buffer_names() -> None:
    assert list(torch.nn.LayerNorm(4).state_dict()) == ["weight", "bias"]
    assert list(torch.nn.GroupNorm(2, 4).state_dict()) == ["weight", "bias"]
    bn = torch.nn.BatchNorm2d(3)
    assert list(bn.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert bn.num_batches_tracked.dtype == torch.int64
    assert list(torch.nn.BatchNorm1d(3, affine=False).state_dict()) == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]


def test_batch_norm_training_updates_running_stats_with_unbiased_variance() -> None:
    bn = torch.nn.BatchNorm1d(2, momentum=0.25).double()
    data = np.array([[1.0, -2.0], [3.0, 0.0], [8.0, 5.0]])
    bn(torch.tensor(data))
    np.testing.assert_allclose(_array(bn.running_mean), 0.25 * data.mean(0))
    np.testing.assert_allclose(_array(bn.running_var), 0.75 + 0.25 * data.var(0, ddof=1))
    assert int(bn.num_batches_tracked.item()) == 1


def test_batch_norm_momentum_none_takes_the_cumulative_average() -> None:
    bn = torch.nn.BatchNorm1d(1, momentum=None).double()
    bn(torch.tensor(np.array([[1.0], [3.0]])))
    bn(torch.tensor(np.array([[5.0], [7.0]])))
    np.testing.assert_allclose(_array(bn.running_mean), [(2.0 + 6.0) / 2])


def test_batch_norm_eval_normalizes_by_running_stats_and_leaves_them_alone() -> None:
    bn = torch.nn.BatchNorm1d(2).double()
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor(np.array([1.0, -1.0])))
        bn.running_var.copy_(torch.tensor(np.array([4.0, 0.25])))
    bn.eval()
    y = _array(bn(torch.tensor(np.array([[3.0, 0.0], [1.0, -1.0]]))))
    np.testing.assert_allclose(y, [[2 / np.sqrt(4 + 1e-5), 1 / np.sqrt(0.25 + 1e-5)], [0, 0]])
    np.testing.assert_allclose(_array(bn.running_mean), [1.0, -1.0])
    assert int(bn.num_batches_tracked.item()) == 0


def test_batch_norm_training_needs_more_than_one_value_per_channel() -> None:
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        torch.nn.BatchNorm1d(3)(torch.randn(1, 3))


def test_batch_norm_running_stats_are_version_checked_after_forward() -> None:
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    mean, var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    y = F.batch_norm(x, mean, var, training=True)
    assert mean._version == 0  # the forward's own update does not bump the version
    mean.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# -- convolution, pooling and embedding values --------------------------------------------------


def _direct_conv2d(x: np.ndarray, w: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """The definition, one output element at a time (the reference the fast path must equal)."""
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    kh, kw = w.shape[2:]
    oh = (xp.shape[2] - kh) // stride + 1
    ow = (xp.shape[3] - kw) // stride + 1
    out = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for n, o, i, j in np.ndindex(*out.shape):
        patch = xp[n, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
        out[n, o, i, j] = (patch * w[o]).sum()
    return out


def test_conv2d_equals_the_sum_over_each_window() -> None:
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    got = F.conv2d(torch.tensor(x), torch.tensor(w), stride=2, padding=1)
    np.testing.assert_allclose(_array(got), _direct_conv2d(x, w, 2, 1), rtol=1e-12)


def test_conv_keeps_float32_and_names_its_nodes() -> None:
    x = torch.randn(1, 2, 5, requires_grad=True)
    w = torch.randn(3, 2, 2, requires_grad=True)
    y = F.conv1d(x, w)
    assert y.dtype == torch.float32
    assert type(y.grad_fn).__name__ == "ConvolutionBackward0"
    (gx,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    assert gx is not None and type(gx.grad_fn).__name__ == "ConvolutionBackwardBackward0"


def test_conv2d_rejects_mismatched_channels_with_torchs_text() -> None:
    with pytest.raises(RuntimeError, match=r"expected input\[2, 5, 8, 8\] to have 3 channels"):
        F.conv2d(torch.randn(2, 5, 8, 8), torch.randn(4, 3, 3, 3))


def test_conv_input_saved_for_backward_is_version_checked() -> None:
    x = torch.randn(1, 2, 5, dtype=torch.float64)
    w = torch.randn(3, 2, 2, dtype=torch.float64, requires_grad=True)
    y = F.conv1d(x, w)
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_max_pool2d_returns_flat_indices_into_each_plane_first_max_on_ties() -> None:
    x = torch.tensor(np.array([[[[1.0, 3.0, 3.0, 0.0], [2.0, 0.0, 5.0, 5.0]]]]))
    values, indices = F.max_pool2d(x, 2, return_indices=True)
    assert values.numpy().tolist() == [[[[3.0, 5.0]]]]
    assert indices.numpy().tolist() == [[[[1, 6]]]]
    assert indices.dtype == torch.int64


def test_max_pool2d_gradient_goes_to_the_maximum_only() -> None:
    x = torch.tensor(np.array([[[[1.0, 4.0], [2.0, 3.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert _array(x.grad).tolist() == [[[[0.0, 1.0], [0.0, 0.0]]]]


def test_avg_pool2d_divisor_counts_padding_unless_told_not_to() -> None:
    x = torch.ones(1, 1, 2, 2, dtype=torch.float64)
    with_pad = _array(F.avg_pool2d(x, 2, 1, 1))
    without = _array(F.avg_pool2d(x, 2, 1, 1, count_include_pad=False))
    assert with_pad[0, 0, 0, 0] == 0.25 and with_pad[0, 0, 1, 1] == 1.0
    np.testing.assert_array_equal(without, np.ones((1, 1, 3, 3)))


def test_embedding_padding_row_gets_no_gradient() -> None:
    w = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    F.embedding(IDS, w, padding_idx=1).sum().backward()
    counts = np.bincount(IDS.numpy().reshape(-1), minlength=5).astype(float)
    counts[1] = 0.0
    np.testing.assert_array_equal(_array(w.grad), np.repeat(counts[:, None], 3, 1))


def test_embedding_scale_grad_by_freq_divides_by_the_count_at_first_order_only() -> None:
    """As torch's embedding_dense_double_backward: the second-order gather is unscaled."""
    w = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    ids = torch.tensor([3, 3, 0])
    (g,) = torch.autograd.grad(F.embedding(ids, w, scale_grad_by_freq=True).sum(), w)
    np.testing.assert_array_equal(_array(g)[:, 0], [1.0, 0.0, 0.0, 1.0, 0.0])
    # The derivative of the scaled scatter w.r.t. its seed would be 1/2 for row 3's two lookups;
    # torch (and so the reference) gathers without the scale: all ones.
    seed = torch.ones(3, 3, dtype=torch.float64, requires_grad=True)
    y = F.embedding(ids, w, scale_grad_by_freq=True)
    (gw,) = torch.autograd.grad(y, w, seed, create_graph=True)
    assert gw is not None
    (g_seed,) = torch.autograd.grad(gw.sum(), seed)
    np.testing.assert_array_equal(_array(g_seed), np.ones((3, 3)))


def test_embedding_rejects_out_of_range_and_float_indices() -> None:
    w = torch.randn(5, 3)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(torch.tensor([5]), w)
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar types"):
        F.embedding(torch.tensor([1.0]), w)


# -- modules ------------------------------------------------------------------------------------


def test_conv_and_embedding_modules_have_torchs_parameter_shapes() -> None:
    conv = torch.nn.Conv2d(4, 6, (3, 2), groups=2)
    assert [(n, tuple(p.shape)) for n, p in conv.named_parameters()] == [
        ("weight", (6, 2, 3, 2)),
        ("bias", (6,)),
    ]
    assert list(torch.nn.Conv1d(2, 3, 3, bias=False).state_dict()) == ["weight"]
    emb = torch.nn.Embedding(5, 3, padding_idx=-1)
    assert emb.padding_idx == 4
    np.testing.assert_array_equal(_array(emb.weight)[4], 0.0)


def test_dropout_is_the_identity_in_eval_mode_and_refuses_training_masks() -> None:
    drop = torch.nn.Dropout(0.3)
    x = torch.randn(4)
    with pytest.raises(NotImplementedError):
        drop(x)
    assert drop.eval()(x) is x


def test_activation_modules_call_their_functional_forms() -> None:
    x = torch.tensor(np.array([-1.5, 0.5, 2.0]))
    pairs = [
        (torch.nn.GELU("tanh"), F.gelu(x, approximate="tanh")),
        (torch.nn.SiLU(), F.silu(x)),
        (torch.nn.LeakyReLU(0.2), F.leaky_relu(x, 0.2)),
        (torch.nn.ELU(0.5), F.elu(x, 0.5)),
    ]
    for module, want in pairs:
        np.testing.assert_array_equal(_array(module(x)), _array(want))
    np.testing.assert_allclose(_array(torch.nn.LeakyReLU(0.2)(x)), [-0.3, 0.5, 2.0])
