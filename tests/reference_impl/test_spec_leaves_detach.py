"""docs/semantics.md §4: leaves, requires_grad, no_grad / enable_grad / inference_mode, detach.

Observed on torch 2.13 (semantics §4).
"""

from __future__ import annotations

import pytest

import reference_impl as torch
from tests.helpers import leaf

# --- what is a leaf ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: torch.ones(2),
        lambda: leaf(1.0, 2.0),
        lambda: torch.ones(2) * 3,
        lambda: torch.ones(2).exp() + torch.zeros(2),
        lambda: leaf(1.0, 2.0).detach(),
    ],
    ids=[
        "user tensor",
        "user grad tensor",
        "from no-grad tensors",
        "chain of no-grad ops",
        "detach",
    ],
)
def test_leaf_tensors(make):  # semantics §4
    t = make()
    assert t.is_leaf is True
    assert t.grad_fn is None


def test_results_computed_under_no_grad_are_leaves_without_grad():  # semantics §4
    x = leaf(1.0, 2.0)
    with torch.no_grad():
        y = x * 2
    assert y.is_leaf is True
    assert y.requires_grad is False
    assert y.grad_fn is None


def test_parameter_is_a_grad_leaf():  # semantics §4
    p = torch.nn.Parameter(torch.ones(2))
    assert p.is_leaf is True
    assert p.requires_grad is True
    assert type(p).__name__ == "Parameter"


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x * 2,
        lambda x: x.clone(),
        lambda x: x[0],
        lambda x: x[:],
        lambda x: x.view(2),
        lambda x: x.double(),
    ],
    ids=["x*2", "clone", "select view", "slice view", "view", "double"],
)
def test_results_of_ops_on_grad_leaves_are_non_leaves(make):  # semantics §4
    t = make(leaf(1.0, 2.0))
    assert t.is_leaf is False
    assert t.requires_grad is True
    assert t.grad_fn is not None


def test_requires_grad_propagates_from_any_input():  # semantics §4
    x = leaf(1.0, 2.0)
    c = torch.ones(2)
    assert (x * c).requires_grad is True
    assert (c * x).requires_grad is True
    assert (c * c).requires_grad is False


def test_requires_grad_method_on_leaf_returns_self():  # semantics §4
    t = torch.ones(2)
    assert t.requires_grad_() is t
    assert t.requires_grad is True
    assert t.requires_grad_(False) is t
    assert t.requires_grad is False


def test_variable_wrapper_returns_a_plain_tensor():  # semantics §4
    v = torch.autograd.Variable(torch.ones(1), requires_grad=True)
    assert type(v).__name__ == "Tensor"
    assert v.is_leaf is True
    assert v.requires_grad is True


# --- grad modes ---------------------------------------------------------------------------------


def test_no_grad_results_have_no_grad_fn():  # semantics §4
    x = leaf(1.0, 2.0)
    with torch.no_grad():
        assert torch.is_grad_enabled() is False
        y = x.exp() * 2
    assert torch.is_grad_enabled() is True
    assert y.requires_grad is False
    assert y.grad_fn is None


def test_factory_with_requires_grad_inside_no_grad_makes_a_grad_leaf():  # semantics §4
    with torch.no_grad():
        t = torch.ones(2, requires_grad=True)
    assert t.requires_grad is True
    assert t.is_leaf is True
    (t * 2).sum().backward()
    assert t.grad.tolist() == [2.0, 2.0]


def test_enable_grad_inside_no_grad_re_enables_recording():  # semantics §4
    x = leaf(1.0, 2.0)
    with torch.no_grad():
        with torch.enable_grad():
            y = x * 2
        z = x * 2
    assert type(y.grad_fn).__name__ == "MulBackward0"
    assert z.grad_fn is None


def test_set_grad_enabled_false_behaves_like_no_grad():  # semantics §4
    x = leaf(1.0, 2.0)
    with torch.set_grad_enabled(False):
        y = x * 2
    assert y.requires_grad is False
    with torch.set_grad_enabled(True):
        z = x * 2
    assert z.requires_grad is True


def test_set_grad_enabled_called_as_a_function_switches_globally():  # semantics §4
    x = leaf(1.0, 2.0)
    try:
        torch.set_grad_enabled(False)
        y = x * 2
    finally:
        torch.set_grad_enabled(True)
    assert y.requires_grad is False
    assert torch.is_grad_enabled() is True


def test_no_grad_as_decorator():  # semantics §4
    x = leaf(1.0, 2.0)

    @torch.no_grad()
    def f(t):
        return t * 2

    y = f(x)
    assert y.requires_grad is False
    assert torch.is_grad_enabled() is True


def test_no_grad_restores_state_after_an_exception():  # semantics §4
    with pytest.raises(ValueError), torch.no_grad():
        raise ValueError("boom")
    assert torch.is_grad_enabled() is True


def test_inference_mode_results_do_not_require_grad():  # semantics §4
    x = leaf(1.0, 2.0)
    with torch.inference_mode():
        y = x * 2
    assert y.requires_grad is False
    assert y.grad_fn is None
    assert y.is_inference() is True


def test_grad_leaf_created_in_inference_mode_can_be_used_outside():  # semantics §4
    with torch.inference_mode():
        t = torch.ones(2, requires_grad=True)
    assert t.requires_grad is True
    assert t.is_leaf is True
    (t * 2).sum().backward()
    assert t.grad.tolist() == [2.0, 2.0]


def test_ops_on_inference_tensor_outside_inference_mode_make_normal_tensors():  # semantics §4
    with torch.inference_mode():
        it = torch.ones(2)
    assert it.exp().is_inference() is False
    c = it.clone().requires_grad_()
    assert c.requires_grad is True


def test_inference_tensor_not_saved_can_join_a_graph():  # semantics §4
    with torch.inference_mode():
        it = torch.ones(2)
    a = leaf(1.0, 2.0)
    out = a.sigmoid() * 0 + it
    out.sum().backward()
    assert a.grad.tolist() == [0.0, 0.0]


# --- detach ---------------------------------------------------------------------------------------


def test_detach_is_a_leaf_without_grad_sharing_storage():  # semantics §4
    x = leaf(1.0, 2.0)
    y = x * 2
    d = y.detach()
    assert d.is_leaf is True
    assert d.requires_grad is False
    assert d.grad_fn is None
    d[0] = 10.0
    assert y.tolist() == [10.0, 4.0]


def test_detach_shares_the_version_counter():  # semantics §4
    y = leaf(1.0, 2.0) * 2
    d = y.detach()
    d.add_(1)
    assert y._version == 1


def test_detach_in_place_returns_self_and_makes_a_leaf():  # semantics §4
    x = leaf(1.0, 2.0)
    y = x * 2
    assert y.detach_() is y
    assert y.is_leaf is True
    assert y.requires_grad is False
    assert y.grad_fn is None


def test_graph_built_before_detach_in_place_still_backprops():  # semantics §4
    x = leaf(1.0, 2.0)
    a = x * 2
    b = a * 3
    a.detach_()
    b.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


def test_detach_then_requires_grad_is_a_new_leaf_with_its_own_grad():  # semantics §4
    x = leaf(1.0, 2.0)
    d = x.detach().requires_grad_()
    assert d is not x
    assert d.is_leaf is True
    assert d.requires_grad is True
    (d * 3).sum().backward()
    assert d.grad.tolist() == [3.0, 3.0]
    assert x.grad is None
    with torch.no_grad():
        d.add_(1)
    assert x.tolist() == [2.0, 3.0]  # shares storage


def test_gradient_does_not_flow_through_detach():  # semantics §4
    x = leaf(1.0, 2.0)
    y = x * x.detach()
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0]


def test_a_view_with_no_history_of_a_grad_base_is_a_documented_divergence():
    """docs/semantics.md §5.6 and §5.7: torch reports such a view as requiring grad and then drops
    the gradients through it; the page says not to copy that, so here the view requires no grad
    (and the generator never draws such a program)."""
    x = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        under_no_grad = x[:2]
    y = torch.ones(3)
    before = y[:2]
    y.requires_grad_(True)
    assert not under_no_grad.requires_grad and under_no_grad.grad_fn is None
    assert not before.requires_grad and before.grad_fn is None
