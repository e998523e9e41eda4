"""Pins reference_impl's nn (Parameter, Module, Linear, Sequential, losses, clip_grad) and
optim (Optimizer, SGD) to torch 2.13's observable behaviour.

Every expected value below was printed once by the same program run on real torch 2.13 CPU
and pasted here, so this file never imports torch. Float results are compared with a 1e-6
relative tolerance: torch's CPU ``add(..., alpha=)`` is a fused multiply-add, so
momentum/weight-decay updates can differ from the reference's two-rounding arithmetic in the
last bit.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pytest

import reference_impl as ri
from reference_impl import nn
from reference_impl.nn.utils import clip_grad_norm_, clip_grad_value_

RTOL = 1e-6


def _close(actual: Any, expected: Any, rtol: float = RTOL) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=rtol, atol=0)


def _set(param: ri.Tensor, values: Any) -> None:
    """Weights set by hand, the way conformance programs make both engines start equal."""
    with ri.no_grad():
        param.copy_(ri.tensor(values))


# -- SGD ----------------------------------------------------------------------------------------
GRADS = [[0.5, 1.0], [0.25, -1.0], [1.0, 2.0]]

# p = [1, -2] after each of three steps with GRADS, then the momentum buffer (None: no state).
SGD_CASES: list[tuple[dict[str, Any], list[list[float]], list[float] | None]] = [
    (
        {"lr": 0.1},
        [
            [0.949999988079071, -2.0999999046325684],
            [0.925000011920929, -1.9999998807907104],
            [0.824999988079071, -2.1999998092651367],
        ],
        None,
    ),
    (
        {"lr": 0.1, "momentum": 0.9},
        [
            [0.949999988079071, -2.0999999046325684],
            [0.8799999952316284, -2.0899999141693115],
            [0.7170000076293945, -2.2809998989105225],
        ],
        [1.6299999952316284, 1.909999966621399],
    ),
    (
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
        [
            [0.949999988079071, -2.0999999046325684],
            [0.8924999833106995, -2.1399998664855957],
            [0.7907499670982361, -2.2759997844696045],
        ],
        [1.0174999237060547, 1.3599998950958252],
    ),
    (
        {"lr": 0.1, "momentum": 0.9, "nesterov": True},
        [
            [0.9049999713897705, -2.190000057220459],
            [0.8169999718666077, -2.0810000896453857],
            [0.5702999830245972, -2.4529001712799072],
        ],
        [1.6299999952316284, 1.909999966621399],
    ),
    (
        {"lr": 0.1, "weight_decay": 0.01},
        [
            [0.9490000009536743, -2.0980000495910645],
            [0.9230509996414185, -1.9959020614624023],
            [0.8221279382705688, -2.19390606880188],
        ],
        None,
    ),
    (
        {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01},
        [
            [0.9490000009536743, -2.0980000495910645],
            [0.8771510124206543, -2.084102153778076],
            [0.7116097807884216, -2.269509792327881],
        ],
        [1.6554125547409058, 1.8540769815444946],
    ),
    (
        {"lr": 0.1, "maximize": True},
        [
            [1.0499999523162842, -1.899999976158142],
            [1.0749999284744263, -2.0],
            [1.1749999523162842, -1.7999999523162842],
        ],
        None,
    ),
    (
        {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01, "maximize": True},
        [
            [1.0490000247955322, -1.8980000019073486],
            [1.1170510053634644, -1.9043020009994507],
            [1.2771798372268677, -1.7080694437026978],
        ],
        [-1.6012884378433228, -1.9623249769210815],
    ),
    (
        {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
        [
            [0.8859999775886536, -2.1519999504089355],
            [0.773065984249115, -1.9859119653701782],
            [0.49721112847328186, -2.2880685329437256],
        ],
        [1.868046522140503, 1.3557288646697998],
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "trajectory", "buffer"), SGD_CASES, ids=[str(c[0]) for c in SGD_CASES]
)
def test_sgd_three_step_trajectory_matches_torch(
    kwargs: dict[str, Any], trajectory: list[list[float]], buffer: list[float] | None
) -> None:
    p = ri.tensor([1.0, -2.0], requires_grad=True)
    q = ri.tensor([5.0], requires_grad=True)  # never gets a grad
    opt = ri.optim.SGD([p, q], **kwargs)
    for step, g in enumerate(GRADS):
        p.grad = ri.tensor(g)
        assert opt.step() is None
        _close(p.tolist(), trajectory[step])
        assert p._version == step + 1
        assert p.is_leaf and p.requires_grad and p.grad_fn is None
    assert q.tolist() == [5.0] and q._version == 0
    if buffer is None:
        assert len(opt.state) == 0  # no state entry at all without momentum
    else:
        assert list(opt.state) == [p]
        assert list(opt.state[p]) == ["momentum_buffer"]
        _close(opt.state[p]["momentum_buffer"].tolist(), buffer)
    assert opt.state[q] == {}


def test_sgd_momentum_buffer_is_a_copy_of_the_first_grad() -> None:
    p = ri.tensor([1.0, -2.0], requires_grad=True)
    opt = ri.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    g = ri.tensor([0.5, 1.0])
    p.grad = g
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    assert buf is not g and buf.tolist() == [0.5, 1.0]  # first step: no dampening
    assert not buf.requires_grad
    assert g.tolist() == [0.5, 1.0]  # the grad itself is never modified


def test_sgd_step_runs_closure_with_grad_enabled_and_returns_its_loss() -> None:
    p = ri.tensor([1.0, -2.0], requires_grad=True)
    opt = ri.optim.SGD([p], lr=0.1)

    def closure() -> ri.Tensor:
        assert ri.is_grad_enabled()
        opt.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return loss

    with ri.no_grad():
        loss = opt.step(closure)
    assert repr(loss) == "tensor(5., grad_fn=<SumBackward0>)"
    _close(p.tolist(), [0.800000011920929, -1.600000023841858])


def test_sgd_defaults_and_repr() -> None:
    opt = ri.optim.SGD([ri.zeros(1, requires_grad=True)], lr=0.1)
    assert opt.defaults == {
        "lr": 0.1,
        "momentum": 0,
        "dampening": 0,
        "weight_decay": 0,
        "nesterov": False,
        "maximize": False,
        "foreach": None,
        "differentiable": False,
        "fused": None,
    }
    assert repr(opt) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
        "    foreach: None\n    fused: None\n    lr: 0.1\n    maximize: False\n"
        "    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)"
    )
    assert ri.optim.SGD([ri.zeros(1, requires_grad=True)]).defaults["lr"] == 0.001


def test_sgd_repr_lists_every_group_and_param_names() -> None:
    p, q = ri.zeros(2, requires_grad=True), ri.zeros(1, requires_grad=True)
    opt = ri.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1, momentum=0.9)
    group = (
        "    dampening: 0\n    differentiable: False\n    foreach: None\n    fused: None\n"
        "    lr: {}\n    maximize: False\n    momentum: 0.9\n    nesterov: False\n"
        "    weight_decay: 0\n"
    )
    assert repr(opt) == (
        "SGD (\nParameter Group 0\n"
        + group.format(0.1)
        + "\nParameter Group 1\n"
        + group.format(0.5)
        + ")"
    )
    named = ri.optim.SGD(nn.Linear(2, 1).named_parameters(), lr=0.1)
    assert named.param_groups[0]["param_names"] == ["weight", "bias"]
    assert "    param_names: ['weight', 'bias']\n" in repr(named)


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        (
            {"lr": 0.1, "nesterov": True},
            ValueError,
            "Nesterov momentum requires a momentum and zero dampening",
        ),
        (
            {"lr": 0.1, "momentum": 0.9, "dampening": 0.5, "nesterov": True},
            ValueError,
            "Nesterov momentum requires a momentum and zero dampening",
        ),
        ({"lr": -1}, ValueError, "Invalid learning rate: -1"),
        ({"lr": 0.1, "momentum": -1}, ValueError, "Invalid momentum value: -1"),
        ({"lr": 0.1, "weight_decay": -1}, ValueError, "Invalid weight_decay value: -1"),
        (
            {"lr": 0.1, "fused": True, "differentiable": True},
            RuntimeError,
            "`fused` does not support `differentiable`",
        ),
    ],
)
def test_sgd_rejects_bad_hyperparameters_with_torch_text(
    kwargs: dict[str, Any], error: type[Exception], text: str
) -> None:
    with pytest.raises(error) as info:
        ri.optim.SGD([ri.zeros(1, requires_grad=True)], **kwargs)
    assert str(info.value) == text


def test_optimizer_rejects_bad_params_with_torch_text() -> None:
    p = ri.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        ri.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError) as info:
        ri.optim.SGD(p, lr=0.1)
    assert str(info.value) == (
        "params argument given to the optimizer should be an iterable of Tensors or dicts, "
        "but got torch.FloatTensor"
    )
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        ri.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError) as info:
        ri.optim.SGD([1.0], lr=0.1)
    assert str(info.value) == "optimizer can only optimize Tensors, but one of the params is float"
    with pytest.raises(ValueError, match="^some parameters appear in more than one parameter"):
        ri.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError) as info:
        ri.optim.SGD([p], lr=0.1).add_param_group([p])  # type: ignore[arg-type]
    assert str(info.value) == "param_group must be a dict, but got <class 'list'>"
    with pytest.warns(UserWarning, match="duplicate parameters; in future, this will cause"):
        ri.optim.SGD([p, p], lr=0.1)


def test_add_param_group_fills_missing_hyperparameters_from_defaults() -> None:
    p, q = ri.zeros(2, requires_grad=True), ri.zeros(1, requires_grad=True)
    opt = ri.optim.SGD([p], lr=0.1)
    opt.add_param_group({"params": q, "momentum": 0.5})
    group = opt.param_groups[1]
    assert group["params"][0] is q and group["momentum"] == 0.5 and group["lr"] == 0.1
    assert list(group) == [
        "params",
        "momentum",
        "lr",
        "dampening",
        "weight_decay",
        "nesterov",
        "maximize",
        "foreach",
        "differentiable",
        "fused",
    ]


def test_optimizer_state_dict_packs_params_as_indices_and_shares_state() -> None:
    p, q = ri.tensor([1.0, -2.0], requires_grad=True), ri.tensor([5.0], requires_grad=True)
    opt = ri.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1, momentum=0.9)
    p.grad, q.grad = ri.tensor([1.0, 1.0]), ri.tensor([2.0])
    opt.step()
    sd = opt.state_dict()
    assert list(sd) == ["state", "param_groups"]
    assert sd["state"][0]["momentum_buffer"].tolist() == [1.0, 1.0]
    assert sd["state"][1]["momentum_buffer"].tolist() == [2.0]
    assert sd["param_groups"][1] == {
        "lr": 0.5,
        "momentum": 0.9,
        "dampening": 0,
        "weight_decay": 0,
        "nesterov": False,
        "maximize": False,
        "foreach": None,
        "differentiable": False,
        "fused": None,
        "params": [1],
    }
    with pytest.raises(ValueError, match="different number of parameter groups"):
        ri.optim.SGD([p, q], lr=0.1).load_state_dict(sd)
    p2, q2 = ri.tensor([1.0, -2.0], requires_grad=True), ri.tensor([5.0], requires_grad=True)
    opt2 = ri.optim.SGD([{"params": [p2]}, {"params": [q2]}], lr=0.3, momentum=0.2)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]["lr"] == 0.5 and opt2.param_groups[1]["params"] == [q2]
    # Same dtype: torch's load keeps the very buffer objects of the source optimizer.
    assert opt2.state[p2]["momentum_buffer"] is opt.state[p]["momentum_buffer"]


# -- zero_grad ----------------------------------------------------------------------------------
def test_optimizer_zero_grad_sets_none_by_default() -> None:
    p = ri.tensor([1.0], requires_grad=True)
    opt = ri.optim.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    opt.zero_grad()
    assert p.grad is None


def test_optimizer_zero_grad_without_none_zeroes_in_place_and_detaches() -> None:
    x = ri.tensor([1.0, 2.0], requires_grad=True)
    (g,) = ri.autograd.grad((x**2).sum(), x, create_graph=True)
    x.grad = g  # a grad with history, as backward(create_graph=True) leaves one
    assert g is not None and g.grad_fn is not None
    ri.optim.SGD([x], lr=0.1).zero_grad(set_to_none=False)
    assert x.grad is g
    assert repr(x.grad) == "tensor([0., 0.])" and x.grad.grad_fn is None


def test_module_zero_grad_both_modes() -> None:
    m = nn.Linear(2, 1)
    m(ri.ones(1, 2)).sum().backward()
    grad = m.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is grad and m.weight.grad.tolist() == [[0.0, 0.0]]
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None


# -- clip_grad ----------------------------------------------------------------------------------
def _clip(
    grads: list[list[float] | None], max_norm: float, **kwargs: Any
) -> tuple[ri.Tensor, list[Any]]:
    params = [ri.zeros(2 if g is None else len(g), requires_grad=True) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = None if g is None else ri.tensor(g)
    originals = [p.grad for p in params]
    total = clip_grad_norm_(params, max_norm, **kwargs)
    assert all(p.grad is o for p, o in zip(params, originals, strict=True))  # in place
    return total, [None if p.grad is None else p.grad.tolist() for p in params]


NAN = float("nan")
INF = float("inf")
CLIP_CASES: list[tuple[list[Any], float, dict[str, Any], str, list[Any]]] = [
    ([[3.0, 4.0]], 1.0, {}, "tensor(5.)", [[0.5999999046325684, 0.7999998331069946]]),
    ([[3.0, 4.0]], 10.0, {}, "tensor(5.)", [[3.0, 4.0]]),
    ([[3.0, 0.0], [4.0]], 1.0, {}, "tensor(5.)", [[0.5999999046325684, 0.0], [0.7999998331069946]]),
    # max_norm == norm still scales: the factor 5/(5+1e-6) is applied unconditionally.
    ([[3.0, 4.0]], 5.0, {}, "tensor(5.)", [[2.9999992847442627, 3.9999990463256836]]),
    (
        [[3.0, 4.0]],
        1.0,
        {"norm_type": INF},
        "tensor(4.)",
        [[0.7499998211860657, 0.9999997615814209]],
    ),
    (
        [[3.0, -4.0]],
        1.0,
        {"norm_type": "inf"},
        "tensor(4.)",
        [[0.7499998211860657, -0.9999997615814209]],
    ),
    (
        [[3.0, 4.0]],
        1.0,
        {"norm_type": 1},
        "tensor(7.)",
        [[0.42857134342193604, 0.5714284777641296]],
    ),
    (
        [[0.1, 0.2], [0.3]],
        0.05,
        {"norm_type": 3},
        "tensor(0.3302)",
        [[0.015142626129090786, 0.030285252258181572], [0.04542787745594978]],
    ),
    (
        [[1.0, 2.0, 2.0], [4.0]],
        2.5,
        {},
        "tensor(5.)",
        [[0.49999988079071045, 0.9999997615814209, 0.9999997615814209], [1.9999995231628418]],
    ),
    ([None, None], 1.0, {}, "tensor(0.)", [None, None]),
    ([[3.0, 4.0], None], 1.0, {}, "tensor(5.)", [[0.5999999046325684, 0.7999998331069946], None]),
    ([], 1.0, {}, "tensor(0.)", []),
    ([[0.0, 0.0]], 1.0, {}, "tensor(0.)", [[0.0, 0.0]]),
    ([[NAN, 1.0]], 1.0, {}, "tensor(nan)", [[NAN, NAN]]),
    ([[INF, 1.0]], 1.0, {}, "tensor(inf)", [[NAN, 0.0]]),
]


@pytest.mark.parametrize(
    ("grads", "max_norm", "kwargs", "total", "after"),
    CLIP_CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CLIP_CASES],
)
def test_clip_grad_norm_scales_like_torch(
    grads: list[Any], max_norm: float, kwargs: dict[str, Any], total: str, after: list[Any]
) -> None:
    result, clipped = _clip(grads, max_norm, **kwargs)
    assert repr(result) == total and result.dtype is ri.float32
    for got, want in zip(clipped, after, strict=True):
        if want is None:
            assert got is None
        else:
            _close(got, want)


@pytest.mark.parametrize(("norm_type", "order"), [(2.0, "2.0"), ("inf", "inf")])
def test_clip_grad_norm_non_finite_error_text(norm_type: Any, order: str) -> None:
    with pytest.raises(RuntimeError) as info:
        _clip([[INF, 1.0]], 1.0, norm_type=norm_type, error_if_nonfinite=True)
    assert str(info.value) == (
        f"The total norm of order {order} for gradients from `parameters` is non-finite, so it "
        "cannot be clipped. To disable this error and scale the gradients by the non-finite "
        "norm anyway, set `error_if_nonfinite=False`"
    )


def test_clip_grad_norm_accepts_a_single_tensor_and_float64() -> None:
    p = ri.zeros(2, requires_grad=True)
    p.grad = ri.tensor([3.0, 4.0])
    assert repr(clip_grad_norm_(p, 1.0)) == "tensor(5.)"
    _close(p.grad.tolist(), [0.5999999046325684, 0.7999998331069946])

    p64 = ri.zeros(2, dtype=ri.float64, requires_grad=True)
    p64.grad = ri.tensor([3.0, 4.0], dtype=ri.float64)
    assert repr(clip_grad_norm_([p64], 1.0)) == "tensor(5., dtype=torch.float64)"
    _close(p64.grad.tolist(), [0.599999880000024, 0.799999840000032], rtol=1e-12)


def test_clip_grad_norm_mixed_dtypes_promote_the_total() -> None:
    pa = ri.zeros(2, requires_grad=True)
    pa.grad = ri.tensor([3.0, 4.0])
    pb = ri.zeros(1, dtype=ri.float64, requires_grad=True)
    pb.grad = ri.tensor([12.0], dtype=ri.float64)
    assert repr(clip_grad_norm_([pa, pb], 1.0)) == "tensor(13., dtype=torch.float64)"
    _close(pa.grad.tolist(), [0.23076921701431274, 0.307692289352417])
    _close(pb.grad.tolist(), [0.9230768520710115], rtol=1e-12)


def test_clip_grad_norm_warns_on_an_empty_generator() -> None:
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        assert repr(clip_grad_norm_((p for p in []), 1.0)) == "tensor(0.)"


def test_clip_grad_value_clamps_in_place_and_returns_none() -> None:
    p = ri.zeros(3, requires_grad=True)
    p.grad = ri.tensor([-3.0, 0.5, 2.0])
    g = p.grad
    assert clip_grad_value_([p], 1.0) is None
    assert p.grad is g and p.grad.tolist() == [-1.0, 0.5, 1.0]


# -- Parameter ----------------------------------------------------------------------------------
def test_parameter_is_a_leaf_sharing_storage_and_version() -> None:
    data = ri.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    assert type(p).__name__ == "Parameter" and isinstance(p, ri.Tensor)
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    data.add_(1.0)
    assert p.tolist() == [2.0, 3.0] and p._version == 1
    assert type(p * 2).__name__ == "Tensor" and type(p.detach()).__name__ == "Tensor"
    assert type(p.data).__name__ == "Tensor"
    x = ri.tensor([1.0, 2.0], requires_grad=True)
    assert nn.Parameter(x * 2).is_leaf


def test_parameter_repr() -> None:
    assert repr(nn.Parameter(ri.tensor([1.0, 2.0]))) == (
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    )
    assert str(nn.Parameter(ri.tensor([[1.0, 2.0], [3.0, 4.0]]))) == (
        "Parameter containing:\ntensor([[1., 2.],\n        [3., 4.]], requires_grad=True)"
    )
    assert repr(nn.Parameter(ri.tensor([1.0, 2.0]), requires_grad=False)) == (
        "Parameter containing:\ntensor([1., 2.])"
    )
    assert repr(nn.Parameter()) == "Parameter containing:\ntensor([], requires_grad=True)"
    assert repr(nn.Parameter(ri.tensor([1.0, 2.0], dtype=ri.float64))) == (
        "Parameter containing:\ntensor([1., 2.], dtype=torch.float64, requires_grad=True)"
    )


def test_parameter_of_integers_needs_requires_grad_false() -> None:
    with pytest.raises(RuntimeError) as info:
        nn.Parameter(ri.tensor([1, 2]))
    assert str(info.value) == (
        "Only Tensors of floating point and complex dtype can require gradients"
    )
    assert repr(nn.Parameter(ri.tensor([1, 2]), requires_grad=False)) == (
        "Parameter containing:\ntensor([1, 2])"
    )


# -- Linear -------------------------------------------------------------------------------------
def test_linear_parameters_names_shapes_init_and_repr() -> None:
    ri.manual_seed(0)
    layer = nn.Linear(3, 1)
    named = list(layer.named_parameters())
    assert [(n, tuple(p.shape), type(p).__name__, p.requires_grad) for n, p in named] == [
        ("weight", (1, 3), "Parameter", True),
        ("bias", (1,), "Parameter", True),
    ]
    bound = 3**-0.5
    assert np.all(np.abs(layer.weight.detach().numpy()) <= bound)
    assert np.all(np.abs(layer.bias.detach().numpy()) <= bound)
    assert layer.weight._version == 1 and layer.bias._version == 1  # one in-place init each
    assert repr(layer) == "Linear(in_features=3, out_features=1, bias=True)"
    no_bias = nn.Linear(3, 1, bias=False)
    assert repr(no_bias) == "Linear(in_features=3, out_features=1, bias=False)"
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    wide = nn.Linear(3, 2, dtype=ri.float64)
    assert wide.weight.dtype is ri.float64 and wide.bias.dtype is ri.float64


def test_linear_init_follows_reference_rng_seed() -> None:
    ri.manual_seed(7)
    a = nn.Linear(4, 3)
    ri.manual_seed(7)
    b = nn.Linear(4, 3)
    assert a.weight.tolist() == b.weight.tolist() and a.bias.tolist() == b.bias.tolist()


def test_linear_forward_graph_matches_torch() -> None:
    layer = nn.Linear(3, 2)
    assert layer(ri.ones(2, 3)).grad_fn.name() == "AddmmBackward0"
    out = layer(ri.ones(3))
    assert out.grad_fn.name() == "ViewBackward0" and tuple(out.shape) == (2,)
    out = layer(ri.ones(5, 4, 3))
    assert out.grad_fn.name() == "ViewBackward0" and tuple(out.shape) == (5, 4, 2)
    assert nn.Linear(3, 2, bias=False)(ri.ones(2, 3)).grad_fn.name() == "MmBackward0"


# -- Sequential and Module ----------------------------------------------------------------------
def _nested() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(3, 4),
        nn.Sequential(nn.ReLU(), nn.Linear(4, 2, bias=False)),
        nn.Tanh(),
        nn.Softmax(dim=-1),
    )


def test_sequential_repr_indents_nested_modules() -> None:
    assert repr(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))) == (
        "Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (1): ReLU()\n  (2): Linear(in_features=4, out_features=1, bias=True)\n)"
    )
    assert repr(_nested()) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Linear(in_features=4, out_features=2, bias=False)\n"
        "  )\n"
        "  (2): Tanh()\n"
        "  (3): Softmax(dim=-1)\n"
        ")"
    )
    assert repr(nn.Sequential()) == "Sequential()"


def test_sequential_named_parameters_and_traversal_order() -> None:
    s = _nested()
    assert [(n, tuple(p.shape)) for n, p in s.named_parameters()] == [
        ("0.weight", (4, 3)),
        ("0.bias", (4,)),
        ("1.1.weight", (2, 4)),
    ]
    params = s.parameters()
    assert type(params).__name__ == "generator" and len(list(params)) == 3
    assert [type(m).__name__ for m in s.modules()] == [
        "Sequential",
        "Linear",
        "Sequential",
        "ReLU",
        "Linear",
        "Tanh",
        "Softmax",
    ]
    assert [type(m).__name__ for m in s.children()] == ["Linear", "Sequential", "Tanh", "Softmax"]
    assert [n for n, _ in s.named_modules()] == ["", "0", "1", "1.0", "1.1", "2", "3"]
    assert list(s.state_dict()) == ["0.weight", "0.bias", "1.1.weight"]


def test_sequential_indexing_slicing_and_errors() -> None:
    s = _nested()
    assert len(s) == 4 and s[0] is list(s)[0] and s[-3] is s[1]
    tail = s[1:]
    assert type(tail).__name__ == "Sequential" and list(tail._modules) == ["1", "2", "3"]
    assert repr(s[0:0]) == "Sequential()"
    for bad in (4, -5):
        with pytest.raises(IndexError) as info:
            s[bad]
        assert str(info.value) == f"index {bad} is out of range"
    s.append(nn.Identity())
    assert len(s) == 5 and repr(s[-1]) == "Identity()"


def test_sequential_pop_insert_delete_and_add_renumber() -> None:
    s = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Tanh())
    assert repr(s.pop(1)) == "ReLU()"
    assert repr(s) == (
        "Sequential(\n  (0): Linear(in_features=1, out_features=1, bias=True)\n  (1): Tanh()\n)"
    )
    s.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in s] == ["Sigmoid", "Linear", "Tanh"]
    del s[0]
    assert list(s._modules) == ["0", "1"]
    both = s + nn.Sequential(nn.Identity())
    assert [type(m).__name__ for m in both] == ["Linear", "Tanh", "Identity"]


def test_sequential_forward_chains_modules() -> None:
    s = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Flatten(0))
    with ri.no_grad():
        s[0].weight.copy_(ri.tensor([[1.0, -1.0], [2.0, 0.5]]))
        s[0].bias.copy_(ri.tensor([0.0, -3.0]))
    out = s(ri.tensor([[1.0, 2.0]]))
    assert out.tolist() == [0.0, 0.0] and out.grad_fn.name() == "ViewBackward0"


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.act = nn.ReLU()
        self.head = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())
        self.scale = nn.Parameter(ri.tensor(2.0))

    def forward(self, x: ri.Tensor) -> ri.Tensor:
        return self.head(self.act(self.fc1(x))) * self.scale


def test_custom_module_registration_order_and_repr() -> None:
    net = _Net()
    assert repr(net) == (
        "_Net(\n"
        "  (fc1): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (act): ReLU()\n"
        "  (head): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=1, bias=True)\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        ")"
    )
    # Own parameters come before the submodules' (named_modules is pre-order).
    assert [(n, tuple(p.shape)) for n, p in net.named_parameters()] == [
        ("scale", ()),
        ("fc1.weight", (3, 2)),
        ("fc1.bias", (3,)),
        ("head.0.weight", (1, 3)),
        ("head.0.bias", (1,)),
    ]
    out = net(ri.ones(4, 2))
    assert out.grad_fn.name() == "MulBackward0"
    out.sum().backward()
    assert net.scale.grad is not None


def test_module_attribute_errors_use_torch_text() -> None:
    net = _Net()
    with pytest.raises(AttributeError) as info:
        net.missing  # noqa: B018
    assert str(info.value) == "'_Net' object has no attribute 'missing'"
    with pytest.raises(TypeError) as info:
        net.fc1 = ri.zeros(2)
    assert str(info.value) == (
        "cannot assign 'torch.FloatTensor' as child module 'fc1' (torch.nn.Module or None expected)"
    )
    with pytest.raises(TypeError) as info:
        net.scale = ri.zeros(2)
    assert str(info.value) == (
        "cannot assign 'torch.FloatTensor' as parameter 'scale' "
        "(torch.nn.Parameter or None expected)"
    )
    with pytest.raises(NotImplementedError) as info:
        nn.Module()(1)
    assert str(info.value) == 'Module [Module] is missing the required "forward" function'
    m = nn.Module()
    with pytest.raises(TypeError) as info:
        m.register_parameter("x", ri.zeros(1))
    assert str(info.value) == (
        "cannot assign 'torch.FloatTensor' object to parameter 'x' "
        "(torch.nn.Parameter or None required)"
    )
    with pytest.raises(TypeError, match="^int is not a Module subclass$"):
        m.add_module("y", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^training mode is expected to be boolean$"):
        nn.Linear(2, 1).train(1)  # type: ignore[arg-type]


def test_module_train_eval_requires_grad_and_apply() -> None:
    net = _Net()
    assert net.training and net.eval() is net
    assert not net.training and not net.head[0].training
    assert net.train().head[1].training
    assert not any(p.requires_grad for p in nn.Linear(2, 1).requires_grad_(False).parameters())
    seen: list[str] = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Sigmoid", "Sequential", "_Net"]


def test_module_state_dict_is_detached_aliases() -> None:
    layer = nn.Linear(2, 2)
    sd = layer.state_dict()
    assert type(sd) is OrderedDict and list(sd) == ["weight", "bias"]
    assert all(type(v).__name__ == "Tensor" and not v.requires_grad for v in sd.values())
    sd["weight"].zero_()
    assert layer.weight.tolist() == [[0.0, 0.0], [0.0, 0.0]] and layer.weight._version == 2
    assert layer.state_dict(keep_vars=True)["weight"] is layer.weight


def test_module_load_state_dict_copies_in_place_and_reports_keys() -> None:
    m = nn.Linear(2, 2)
    result = m.load_state_dict({"weight": ri.ones(2, 2), "bias": ri.zeros(2)})
    assert repr(result) == "<All keys matched successfully>"
    assert m.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]] and m.weight._version == 2
    assert m.weight.is_leaf and m.weight.requires_grad
    partial = m.load_state_dict({"weight": ri.ones(2, 2)}, strict=False)
    assert repr(partial) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])"
    with pytest.raises(RuntimeError) as info:
        nn.Linear(2, 2).load_state_dict({"weight": ri.zeros(2, 2)})
    assert str(info.value) == (
        'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". '
    )
    with pytest.raises(RuntimeError) as info:
        nn.Linear(2, 2).load_state_dict(
            {"weight": ri.zeros(2, 3), "bias": ri.zeros(2), "extra": ri.zeros(1)}
        )
    assert str(info.value) == (
        'Error(s) in loading state_dict for Linear:\n\tUnexpected key(s) in state_dict: "extra". '
        "\n\tsize mismatch for weight: copying a param with shape torch.Size([2, 3]) from "
        "checkpoint, the shape in current model is torch.Size([2, 2])."
    )


def test_module_double_converts_parameters_in_place() -> None:
    m = nn.Linear(2, 2)
    w = m.weight
    assert m.double() is m and m.weight is w
    assert w.dtype is ri.float64 and type(w).__name__ == "Parameter"


# -- activations and losses ---------------------------------------------------------------------
def test_activation_and_loss_reprs_ignore_options() -> None:
    reprs = [
        (nn.MSELoss(), "MSELoss()"),
        (nn.MSELoss(reduction="sum"), "MSELoss()"),
        (nn.CrossEntropyLoss(), "CrossEntropyLoss()"),
        (nn.CrossEntropyLoss(label_smoothing=0.1), "CrossEntropyLoss()"),
        (nn.BCEWithLogitsLoss(), "BCEWithLogitsLoss()"),
        (nn.NLLLoss(), "NLLLoss()"),
        (nn.L1Loss(), "L1Loss()"),
        (nn.ReLU(), "ReLU()"),
        (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
        (nn.Sigmoid(), "Sigmoid()"),
        (nn.Tanh(), "Tanh()"),
        (nn.Softmax(dim=1), "Softmax(dim=1)"),
        (nn.Softmax(), "Softmax(dim=None)"),
        (nn.LogSoftmax(dim=1), "LogSoftmax(dim=1)"),
        (nn.Identity(), "Identity()"),
        (nn.Flatten(), "Flatten(start_dim=1, end_dim=-1)"),
    ]
    for module, text in reprs:
        assert repr(module) == text


def test_weighted_loss_registers_weight_as_buffer() -> None:
    ce = nn.CrossEntropyLoss(weight=ri.tensor([1.0, 2.0]))
    assert list(ce.state_dict()) == ["weight"]
    assert nn.CrossEntropyLoss().weight is None


def test_legacy_size_average_maps_to_reduction_with_warning() -> None:
    with pytest.warns(UserWarning) as record:
        m = nn.MSELoss(size_average=False)
    assert m.reduction == "sum"
    assert str(record[0].message) == (
        "size_average and reduce args will be deprecated, please use reduction='sum' instead."
    )


X3 = [[1.0, 2.0, 3.0], [1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]
LOSS_CASES = [
    ("ce", "NllLossBackward0", 0.6379413604736328),
    ("nll", "NllLossBackward0", 0.6379413604736328),
    ("mse", "MseLossBackward0", 1.8611111640930176),
    ("mse_sum", "MseLossBackward0", 16.75),
    ("bce", "BinaryCrossEntropyWithLogitsBackward0", 0.470075398683548),
    ("l1", "MeanBackward0", 1.0555555820465088),
    ("ce_smooth", "AddBackward0", 0.7046080231666565),
]


@pytest.mark.parametrize(("kind", "grad_fn", "value"), LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_loss_modules_grad_fn_and_value(kind: str, grad_fn: str, value: float) -> None:
    x = ri.tensor(X3, requires_grad=True)
    t = ri.tensor([2, 0, 1])
    zeros = ri.zeros(3, 3)
    out = {
        "ce": lambda: nn.CrossEntropyLoss()(x, t),
        "nll": lambda: nn.NLLLoss()(nn.LogSoftmax(dim=1)(x), t),
        "mse": lambda: nn.MSELoss()(x, zeros),
        "mse_sum": lambda: nn.MSELoss(reduction="sum")(x, zeros),
        "bce": lambda: nn.BCEWithLogitsLoss()(x, ri.ones(3, 3)),
        "l1": lambda: nn.L1Loss()(x, zeros),
        "ce_smooth": lambda: nn.CrossEntropyLoss(label_smoothing=0.1)(x, t),
    }[kind]()
    assert out.grad_fn.name() == grad_fn
    _close(out.item(), value, rtol=2e-7)


def test_flatten_and_identity_forward() -> None:
    y = nn.Flatten()(ri.zeros(2, 3, 4))
    assert tuple(y.shape) == (2, 12) and y.grad_fn is None
    i = ri.ones(2)
    assert nn.Identity(5, k=3)(i) is i


# -- training loops -----------------------------------------------------------------------------
X = [[1.0, 2.0, -1.0], [0.5, -1.0, 2.0], [-1.5, 0.5, 1.0], [2.0, 1.0, 0.0]]
Y = [[1.0], [-2.0], [0.5], [3.0]]


def test_linear_mse_sgd_training_loop_matches_torch() -> None:
    model = nn.Linear(3, 1)
    _set(model.weight, [[0.1, -0.2, 0.3]])
    _set(model.bias, [0.05])
    loss_fn = nn.MSELoss()
    opt = ri.optim.SGD(model.parameters(), lr=0.05)
    x, y = ri.tensor(X), ri.tensor(Y)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    _close(
        losses,
        [
            4.918750286102295,
            3.159620761871338,
            2.283576011657715,
            1.8412110805511475,
            1.613386631011963,
        ],
    )
    _close(model.weight.tolist(), [[0.41451600193977356, 0.4706445634365082, -0.20182740688323975]])
    _close(model.bias.tolist(), [0.17529577016830444])
    assert model.weight._version == 7  # init + hand copy + five steps


def test_sequential_nesterov_clipping_closure_loop_matches_torch() -> None:
    net = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    _set(net[0].weight, [[0.2, -0.1, 0.4], [-0.3, 0.25, 0.1]])
    _set(net[0].bias, [0.0, 0.1])
    _set(net[2].weight, [[0.5, -0.6]])
    _set(net[2].bias, [0.2])
    loss_fn = nn.MSELoss()
    opt = ri.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
    x, y = ri.tensor(X), ri.tensor(Y)
    norms: list[float] = []

    def closure() -> ri.Tensor:
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        norms.append(clip_grad_norm_(net.parameters(), 1.0).item())
        return loss

    losses = [opt.step(closure).item() for _ in range(5)]
    _close(
        losses,
        [
            3.732609510421753,
            3.0919573307037354,
            2.4545912742614746,
            1.945519208908081,
            1.5559260845184326,
        ],
    )
    _close(
        norms,
        [
            3.8305888175964355,
            2.9651074409484863,
            2.036250352859497,
            1.431994080543518,
            0.985805869102478,
        ],
    )
    expected = [
        [
            [0.36236467957496643, 0.47604310512542725, 0.04112348333001137],
            [-0.628188967704773, -0.5799471735954285, 0.830449640750885],
        ],
        [0.16062398254871368, 0.042583342641592026],
        [[0.33811962604522705, -1.1606528759002686]],
        [0.477204293012619],
    ]
    for p, want in zip(net.parameters(), expected, strict=True):
        _close(p.tolist(), want)
