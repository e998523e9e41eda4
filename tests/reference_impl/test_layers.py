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
LAYER_BACKWARD_ONLY: set[str] = set()


def _bn_train(x: Any, w: Any, b: Any) -> Any:
    stats = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    return F.batch_norm(x, *stats, w, b, training=True)


def _bn_eval(x: Any, w: Any, b: Any) -> Any:
    mean = torch.tensor(np.array([0.2, -0.1, 0.4]))
    var = torch.tensor(np.array([1.5, 0.7, 2.0]))
    return F.batch_norm(x, mean, var, w, b, training=False)


LAYER_CASES: list[OpCase] = [
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
