"""The API surface of issue 13, on reference_impl alone (torch is blocked here).

Each test states what torch 2.13 does (probed with the same program) and checks reference_impl
does it too; gradients with a derivative are checked against central differences in float64.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import reference_impl as torch
import reference_impl.nn.functional as F

MODIFIED = re.escape(
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: "
)


def leaf(*shape: int, seed: int = 0) -> torch.Tensor:
    values = np.random.default_rng(seed).standard_normal(shape)
    return torch.tensor(values.tolist(), dtype=torch.float64, requires_grad=True)


# -- every saved tensor is version-checked, differentiable or not ----------------------------------


def test_where_condition_written_in_place_fails_backward():
    x, y = leaf(3), leaf(3, seed=1)
    condition = torch.tensor([True, False, True])
    z = torch.where(condition, x, y)
    condition.zero_()
    message = MODIFIED + re.escape("[CPUBoolType [3]] is at version 1; expected version 0")
    with pytest.raises(RuntimeError, match=message):
        z.sum().backward()


def test_masked_fill_mask_written_through_a_view_fails_backward():
    x = leaf(3)
    base = torch.tensor([[True, False, True], [False, False, True]])
    a = x * 1
    a.masked_fill_(base[0], 0.0)
    base[1].zero_()  # shares the saved mask's version counter
    with pytest.raises(RuntimeError, match=MODIFIED + re.escape("[CPUBoolType [3]]")):
        a.sum().backward()


def test_nll_loss_checks_self_then_target_then_weight():
    x = leaf(2, 3)
    scores, target, weight = x * 1, torch.tensor([0, 2]), torch.rand(3)
    loss = F.nll_loss(scores, target, weight=weight)
    target.add_(0)
    weight.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED + re.escape("[torch.LongTensor [2]]")):
        loss.backward()
    loss = F.nll_loss(scores, target, weight=weight)
    weight.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED + re.escape("[torch.FloatTensor [3]]")):
        loss.backward()


def test_bce_with_logits_weight_is_version_checked():
    x = leaf(3)
    weight = torch.rand(3)
    loss = F.binary_cross_entropy_with_logits(x, torch.rand(3, dtype=torch.float64), weight)
    weight.mul_(2)
    with pytest.raises(RuntimeError, match=MODIFIED + re.escape("[torch.FloatTensor [3]]")):
        loss.backward()


def test_an_unmodified_mask_still_gives_the_masked_gradient():
    x = leaf(4)
    mask = torch.tensor([True, False, False, True])
    (x.masked_fill(mask, 7.0) * 3).sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 3.0, 0.0]


# -- torch.autograd.functional ---------------------------------------------------------------------

AF = torch.autograd.functional


def central_jacobian(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f / d x by central differences (f: float64 array -> array), shaped f.shape + x.shape."""
    columns = []
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = eps
        step = step.reshape(x.shape)
        columns.append((f(x + step) - f(x - step)) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(*np.shape(f(x)), *x.shape)


def as_np(fn):
    """A reference_impl function of one tensor as a NumPy function."""
    return lambda arr: fn(torch.tensor(arr.tolist(), dtype=torch.float64)).detach().numpy()


def test_jacobian_matches_central_differences_and_is_detached():
    x = leaf(3).detach()
    f = lambda t: t.sin() * t.sum()  # noqa: E731
    jac = AF.jacobian(f, x)
    assert tuple(jac.shape) == (3, 3) and not jac.requires_grad
    np.testing.assert_allclose(jac.numpy(), central_jacobian(as_np(f), x.numpy()), atol=1e-8)


def test_jacobian_nests_outputs_then_inputs_and_fills_unused_with_zeros():
    a, b = leaf(2).detach(), leaf(3, seed=1).detach()
    (j_aa, j_ab), (j_ba, j_bb) = AF.jacobian(lambda x, y: (x * 2, y.sum()), (a, b))
    assert [tuple(t.shape) for t in (j_aa, j_ab, j_ba, j_bb)] == [(2, 2), (2, 3), (2,), (3,)]
    assert j_ab.abs().sum().item() == 0 and j_ba.abs().sum().item() == 0
    assert j_bb.tolist() == [1.0, 1.0, 1.0]


def test_hessian_matches_central_differences_of_the_gradient():
    x = leaf(3).detach()
    f = lambda t: (t**3 * t.sum()).sum()  # noqa: E731
    grad_f = lambda t: AF.vjp(f, t)[1]  # noqa: E731
    hess = AF.hessian(f, x)
    np.testing.assert_allclose(hess.numpy(), central_jacobian(as_np(grad_f), x.numpy()), atol=1e-6)


def test_products_agree_with_the_jacobian_and_hessian():
    x, v = leaf(3).detach(), leaf(3, seed=2).detach()
    f = lambda t: t.exp() * t  # noqa: E731
    s = lambda t: (t.exp() * t).sum() * t[0]  # noqa: E731
    jac, hess = AF.jacobian(f, x), AF.hessian(s, x)
    np.testing.assert_allclose(AF.vjp(f, x, v)[1].numpy(), v.numpy() @ jac.numpy())
    np.testing.assert_allclose(AF.jvp(f, x, v)[1].numpy(), jac.numpy() @ v.numpy())
    np.testing.assert_allclose(AF.vhp(s, x, v)[1].numpy(), v.numpy() @ hess.numpy())
    np.testing.assert_allclose(AF.hvp(s, x, v)[1].numpy(), hess.numpy() @ v.numpy())
    assert AF.vjp(f, x, v)[0].tolist() == f(x).tolist()


def test_create_graph_results_reach_the_callers_leaf():
    x = leaf(3)
    jac = AF.jacobian(lambda t: t**4, x, create_graph=True)
    (third,) = torch.autograd.grad(jac.sum(), x)
    np.testing.assert_allclose(third.numpy(), 12 * x.detach().numpy() ** 2)
    assert x.grad is None


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda a: AF.jacobian(lambda x: x, [a]), TypeError, "but the given inputs has type"),
        (lambda a: AF.vjp(lambda x: x * 2, a), RuntimeError, "The vector v can only be None"),
        (lambda a: AF.hessian(lambda x: x**3, a), RuntimeError, "should contain a single element"),
        (
            lambda a: AF.jacobian(lambda x, y: x * 2, (a, a.clone()), strict=True),
            RuntimeError,
            "Output 0 of the user-provided function is independent of input 1",
        ),
        (
            lambda a: AF.hvp(lambda x: x.sum(), a, a, strict=True),
            RuntimeError,
            "found that the jacobian of the user-provided function with respect to input 0",
        ),
    ],
    ids=["list", "no v", "vector hessian", "strict unused", "strict linear"],
)
def test_functional_errors_are_torchs(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call(leaf(2).detach())


# -- autograd.grad(is_grads_batched=True) ----------------------------------------------------------


def test_batched_grad_outputs_give_one_gradient_per_row():
    x = leaf(3)
    y = x.sin() * x
    (rows,) = torch.autograd.grad(y, x, torch.eye(3, dtype=torch.float64), is_grads_batched=True)
    np.testing.assert_allclose(rows.numpy(), AF.jacobian(lambda t: t.sin() * t, x).numpy())
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        torch.autograd.grad(y, x, torch.ones(3, dtype=torch.float64))


def test_batched_grad_outputs_of_the_wrong_shape_name_the_shape_torch_prints():
    x = leaf(2)
    with pytest.raises(RuntimeError, match=re.escape("has a shape of torch.Size([])")):
        torch.autograd.grad(x * 2, x, torch.ones(2, 3), is_grads_batched=True)


# -- saved_tensors_hooks ---------------------------------------------------------------------------


def test_pack_sees_inputs_then_outputs_and_unpack_feeds_backward():
    log = []
    x = leaf(3)

    def pack(t):
        log.append(("pack", None if t.grad_fn is None else t.grad_fn.name()))
        return t.detach() * 2  # backward will see twice the saved values

    def unpack(t):
        log.append(("unpack", torch.is_grad_enabled()))
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = (x.sin() * 1.0).exp()  # sin saves x; `* 1.0` packs no scalar; exp saves its result
    y.sum().backward()
    assert log == [("pack", None), ("pack", "ExpBackward0"), ("unpack", False), ("unpack", False)]
    values = x.detach().numpy()
    expected = 2 * np.exp(np.sin(values)) * np.cos(2 * values)
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_hooked_tensors_skip_the_version_check_and_unpack_must_return_a_tensor():
    x = leaf(3)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        w = x * 1
        u = w.sin()
    w.add_(1)
    u.sum().backward()  # no "modified by an inplace operation": torch checks no version here
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: None):
        v = x.exp().sum()
    with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor but got result of"):
        v.backward()


def test_pack_hook_writing_its_input_is_refused():
    def writes(t):
        t.add_(1)
        return t

    x = leaf(3).detach().requires_grad_()
    y = x * 1
    hooks = torch.autograd.graph.saved_tensors_hooks(writes, lambda t: t)
    with hooks, pytest.raises(RuntimeError, match="pack hook is modifying its input in place"):
        y.exp()


# -- module hooks ----------------------------------------------------------------------------------


class Double(torch.nn.Module):
    def forward(self, x):
        return x * 2


def test_module_hooks_run_in_torchs_order_and_may_replace_values():
    log = []
    module = Double()
    module.register_forward_pre_hook(lambda m, args: log.append("pre") or (args[0] + 1,))
    module.register_forward_hook(lambda m, args, out: log.append("fwd") or out * 3)
    module.register_forward_hook(lambda m, args, out: log.append("fwd first"), prepend=True)
    module.register_full_backward_pre_hook(lambda m, go: log.append("bwd pre") or (go[0] * 5,))
    module.register_full_backward_hook(lambda m, gi, go: log.append("bwd") or (gi[0] * 7,))
    x = leaf(3)
    out = module(x)
    assert out.grad_fn.name() == "BackwardHookFunctionBackward"
    np.testing.assert_allclose(out.detach().numpy(), (x.detach().numpy() + 1) * 6)
    out.sum().backward()
    assert log == ["pre", "fwd first", "fwd", "bwd pre", "bwd"]
    assert x.grad.tolist() == [5 * 6 * 7.0] * 3


def test_full_backward_hook_without_input_grads_fires_at_the_outputs_with_a_warning():
    seen = []
    module = torch.nn.Linear(2, 1)
    module.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go[0].shape)))
    with pytest.warns(UserWarning, match="since no inputs require gradients"):
        module(torch.ones(1, 2)).sum().backward()
    assert seen == [((None,), (1, 1))]


def test_removed_module_hooks_leave_a_plain_call():
    module = Double()
    handle = module.register_full_backward_hook(lambda m, gi, go: None)
    handle.remove()
    assert module(leaf(2)).grad_fn.name() == "MulBackward0"


def test_backward_hook_returning_the_wrong_number_of_grads_is_refused():
    module = Double()
    module.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but expected 1"):
        module(leaf(2)).sum().backward()


# -- optim.Adam / AdamW ----------------------------------------------------------------------------


def adam_reference(theta, grads, lr, beta1=0.9, beta2=0.999, eps=1e-8, decay=0.0, decoupled=False):
    """The Adam/AdamW update written from the paper, in float64 NumPy."""
    m = v = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        if decoupled:
            theta = theta * (1 - lr * decay)
        elif decay:
            g = g + decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


@pytest.mark.parametrize(
    ("cls", "kwargs", "decoupled"),
    [
        (torch.optim.Adam, {"lr": 0.1}, False),
        (torch.optim.Adam, {"lr": 0.1, "weight_decay": 0.3}, False),
        (torch.optim.AdamW, {"lr": 0.1, "weight_decay": 0.3}, True),
    ],
    ids=["adam", "adam weight decay", "adamw"],
)
def test_adam_matches_the_update_rule_on_a_fixed_gradient_sequence(cls, kwargs, decoupled):
    start = np.array([1.0, -2.0, 0.5])
    grads = [np.array([0.3, -1.0, 2.0]) * k for k in (1.0, -0.5, 2.0)]
    p = torch.nn.Parameter(torch.tensor(start.tolist(), dtype=torch.float64))
    opt = cls([p], **kwargs)
    for g in grads:
        p.grad = torch.tensor(g.tolist(), dtype=torch.float64)
        opt.step()
    expected = adam_reference(
        start, grads, kwargs["lr"], decay=kwargs.get("weight_decay", 0.0), decoupled=decoupled
    )
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12)
    assert list(opt.state[p]) == ["step", "exp_avg", "exp_avg_sq"]
    assert opt.state[p]["step"].item() == 3.0


def test_adamw_defaults_to_decoupled_weight_decay():
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.ones(1))])
    assert opt.defaults["weight_decay"] == 1e-2 and opt.defaults["decoupled_weight_decay"]
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        torch.optim.Adam([torch.nn.Parameter(torch.ones(1))], betas=(0.9, 1.0))


# -- softplus and binary cross entropy -------------------------------------------------------------


def test_softplus_is_linear_above_the_threshold_and_smooth_below():
    x = torch.tensor([-2.0, 0.3, 1.2, 3.0], dtype=torch.float64, requires_grad=True)
    y = torch.nn.Softplus(beta=2.0, threshold=4.0)(x)
    values = x.detach().numpy()
    expected = np.where(2 * values > 4, values, np.log1p(np.exp(2 * values)) / 2)
    np.testing.assert_allclose(y.detach().numpy(), expected)
    assert y.grad_fn.name() == "SoftplusBackward0"
    assert torch.autograd.gradcheck(lambda t: torch.nn.functional.softplus(t, 2.0, 4.0), (x,))
    assert torch.autograd.gradgradcheck(lambda t: torch.nn.functional.softplus(t), (x,))


def test_binary_cross_entropy_values_and_gradients():
    p = torch.tensor([0.1, 0.4, 0.8], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.0, 0.7, 1.0], dtype=torch.float64, requires_grad=True)
    loss = torch.nn.BCELoss()(p, t)
    pv, tv = p.detach().numpy(), t.detach().numpy()
    expected = -(tv * np.log(pv) + (1 - tv) * np.log(1 - pv)).mean()
    np.testing.assert_allclose(loss.item(), expected)
    bce = torch.nn.functional.binary_cross_entropy
    assert torch.autograd.gradcheck(lambda a, b: bce(a, b, reduction="sum"), (p, t))
    assert torch.autograd.gradgradcheck(lambda a, b: bce(a, b), (p, t))


def test_binary_cross_entropy_clamps_log_at_minus_100():
    p = torch.tensor([0.0, 1.0], dtype=torch.float64)
    t = torch.tensor([1.0, 0.0], dtype=torch.float64)
    assert torch.nn.functional.binary_cross_entropy(p, t, reduction="none").tolist() == [
        100.0,
        100.0,
    ]
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        torch.nn.functional.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))


# -- small names users reach for -------------------------------------------------------------------


def test_init_eye_writes_the_identity_without_history():
    p = torch.nn.Parameter(torch.zeros(2, 3))
    assert torch.nn.init.eye_(p) is p
    assert p.tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert p._version == 1 and p.grad_fn is None
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        torch.nn.init.eye_(torch.zeros(2))


def test_all_any_and_isinf():
    flags = torch.tensor([[True, False], [True, True]])
    assert flags.all().item() is False and flags.any().item() is True
    assert flags.all(dim=1).tolist() == [False, True]
    assert flags.any(0, keepdim=True).shape == (1, 2)
    assert torch.tensor([1, 2], dtype=torch.uint8).all().dtype == torch.uint8
    assert torch.tensor([]).all().item() is True
    special = torch.tensor([1.0, float("inf"), -float("inf"), float("nan")])
    assert torch.isinf(special).tolist() == [False, True, True, False]


@pytest.mark.parametrize(
    ("op", "node", "shape"),
    [
        (lambda a: a.t_(), "TBackward1", (3, 2)),
        (lambda a: a.transpose_(1, 0), "TransposeBackward1", (3, 2)),
        (lambda a: a.unsqueeze_(-1), "UnsqueezeBackward1", (2, 3, 1)),
        (lambda a: a.unsqueeze(1).squeeze_(), "SqueezeBackward3", (2, 3)),
        (lambda a: a.unsqueeze(1).squeeze_(1), "SqueezeBackward4", (2, 3)),
        (lambda a: a.unsqueeze(1).squeeze_((1, 0)), "SqueezeBackward5", (2, 3)),
    ],
    ids=["t_", "transpose_", "unsqueeze_", "squeeze_", "squeeze_(dim)", "squeeze_(dims)"],
)
def test_inplace_metadata_ops_keep_the_object_and_undo_the_change_in_backward(op, node, shape):
    x = leaf(2, 3)
    changed = op(x * 1)
    assert tuple(changed.shape) == shape and changed.grad_fn.name() == node
    assert changed._version == 1
    weight = np.random.default_rng(1).standard_normal(shape)
    (changed * torch.tensor(weight.tolist(), dtype=torch.float64)).sum().backward()
    transposed = node in ("TBackward1", "TransposeBackward1")
    np.testing.assert_allclose(x.grad.numpy(), weight.T if transposed else weight.reshape(2, 3))


def test_as_strided_in_place_adds_each_reads_gradient_back_where_it_was_read():
    x = leaf(6)
    a = x * 1
    assert a.as_strided_((2, 2), (1, 2), 1) is a
    assert a.grad_fn.name() == "AsStridedBackward1" and a._version == 1
    assert a.tolist() == (x.detach().numpy()[[[1, 3], [2, 4]]]).tolist()
    a.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 1, 1, 0])
    b = leaf(3)
    c = b * 1
    c.as_strided_((4,), (0,))  # four reads of c[0]
    c.sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [4, 0, 0])


def test_as_strided_in_place_out_of_bounds_is_refused_with_torchs_error():
    with pytest.raises(RuntimeError, match=r"setStorage: sizes \[3\], strides \[2\]"):
        torch.arange(4.0).as_strided_((3,), (2,))


def test_inplace_metadata_ops_return_the_same_object():
    a = leaf(2, 3) * 1
    assert a.t_() is a and a.unsqueeze_(0) is a and a.squeeze_() is a and a.transpose_(0, 1) is a
    assert a._version == 4


def test_inplace_metadata_op_on_a_grad_leaf_is_refused():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf(2, 3).t_()
    with pytest.raises(RuntimeError, match=re.escape("t_() expects a tensor with <= 2 dimensions")):
        torch.ones(2, 2, 2).t_()


def test_bare_no_grad_and_enable_grad_decorators():
    @torch.no_grad
    def doubled(t):
        return t * 2

    @torch.enable_grad
    def enabled():
        return torch.is_grad_enabled()

    assert doubled(leaf(2)).requires_grad is False and doubled.__name__ == "doubled"
    with torch.no_grad():
        assert enabled() is True
    assert torch.is_grad_enabled()


@pytest.mark.parametrize(
    "divide",
    [
        lambda i: i // 0,
        lambda i: 7 // i,
        lambda i: torch.floor_divide(i, torch.tensor([1, 0, 2])),
        lambda i: torch.div(i, 0, rounding_mode="trunc"),
    ],
    ids=["// 0", "reflected", "floor_divide", "div trunc"],
)
def test_integer_division_by_zero_raises_torchs_error(divide):
    with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
        divide(torch.tensor([5, -3, 0]))
    assert (torch.tensor([1.0, -1.0]) // 0).tolist() == [float("inf"), -float("inf")]
