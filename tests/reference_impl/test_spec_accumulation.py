"""docs/semantics.md §1: how ``.grad`` is created and accumulated (object identity included).

Observed on torch 2.13 (docs/semantics.md §1; the assignment rules are §1.5).
"""

from __future__ import annotations

import warnings

import pytest

import reference_impl as torch
from tests.helpers import grad_fn_name, leaf, next_names, raises_exactly

pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")


def test_grad_is_none_before_any_backward():  # semantics §1
    assert leaf(1.0, 2.0).grad is None


def test_first_grad_is_a_new_tensor_not_the_gradient_argument():  # semantics §1
    x = leaf(1.0, 2.0)
    g = torch.tensor([5.0, 6.0])
    x.backward(g)
    assert x.grad is not g
    g.add_(100)
    assert x.grad.tolist() == [5.0, 6.0]


def test_first_grad_through_identity_like_node_is_not_an_alias():  # semantics §1
    x = leaf(1.0, 2.0)
    g = torch.tensor([5.0, 6.0])
    x.clone().backward(g)
    assert x.grad is not g
    g.zero_()
    assert x.grad.tolist() == [5.0, 6.0]


def test_first_grad_is_a_plain_leaf_without_grad():  # semantics §1
    x = leaf(1.0, 2.0)
    (x * x).sum().backward()
    assert x.grad.requires_grad is False
    assert x.grad.grad_fn is None
    assert x.grad.is_leaf is True


def test_later_backwards_accumulate_in_place_into_the_same_object():  # semantics §1
    x = leaf(1.0, 2.0)
    (x * 3).sum().backward()
    first = x.grad
    (x * 4).sum().backward()
    assert x.grad is first
    assert first.tolist() == [7.0, 7.0]  # outside references see the update


def test_accumulation_bumps_the_grad_version():  # semantics §1
    x = leaf(1.0, 2.0)
    (x * 3).sum().backward()
    first = x.grad
    v = first._version
    (x * 4).sum().backward()
    assert first._version == v + 1


def test_grads_from_several_paths_are_summed():  # semantics §1
    x = leaf(1.0, 2.0)
    (x * 2 + x * 3 + x).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


def test_create_graph_first_grad_has_copybackwards_grad_fn():  # semantics §1
    x = leaf(1.0, 2.0)
    (x**2).sum().backward(create_graph=True)
    assert x.grad.requires_grad is True
    assert grad_fn_name(x.grad) == "CopyBackwards"
    assert next_names(x.grad.grad_fn) == ((None, 0), ("MulBackward0", 0))
    assert x.grad.tolist() == [2.0, 4.0]


def test_create_graph_accumulation_is_out_of_place_with_addbackward():  # semantics §1
    x = leaf(1.0, 2.0)
    (x**2).sum().backward(create_graph=True)
    first = x.grad
    (x**2).sum().backward(create_graph=True)
    assert x.grad is not first
    assert grad_fn_name(x.grad) == "AddBackward0"
    assert next_names(x.grad.grad_fn) == (("CopyBackwards", 0), ("MulBackward0", 0))
    assert x.grad.tolist() == [4.0, 8.0]
    assert first.tolist() == [2.0, 4.0]


def test_create_graph_constant_grad_is_a_plain_leaf():  # semantics §1
    x = leaf(1.0, 2.0)
    (x * 3).sum().backward(create_graph=True)
    assert x.grad.grad_fn is None
    assert x.grad.requires_grad is False


def test_plain_backward_then_create_graph_backward_accumulates_out_of_place():  # semantics §1
    x = leaf(1.0, 2.0)
    (x**2).sum().backward()
    first = x.grad
    (x**2).sum().backward(create_graph=True)
    assert x.grad is not first
    assert grad_fn_name(x.grad) == "AddBackward0"
    assert first.tolist() == [2.0, 4.0]
    assert x.grad.tolist() == [4.0, 8.0]


def test_create_graph_grad_can_itself_be_differentiated():  # semantics §1
    x = leaf(1.0, 2.0)
    (x**3).sum().backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]


def test_user_assigned_grad_is_used_and_updated_in_place():  # semantics §1
    x = leaf(1.0, 2.0)
    g = torch.tensor([10.0, 20.0])
    x.grad = g
    (x * 2).sum().backward()
    assert x.grad is g
    assert g.tolist() == [12.0, 22.0]


def test_assigning_wrong_shaped_grad_raises():  # semantics §1
    x = leaf(1.0, 2.0)
    with raises_exactly(
        RuntimeError,
        "attempting to assign a gradient of size '[3]' to a tensor of size '[2]'. Please ensure "
        "that the gradient and the tensor are the same size",
    ):
        x.grad = torch.ones(3)


def test_assigning_grad_with_extra_dim_raises():  # semantics §1
    x = leaf(1.0, 2.0)
    with raises_exactly(
        RuntimeError,
        "attempting to assign a gradient of size '[2, 1]' to a tensor of size '[2]'. Please "
        "ensure that the gradient and the tensor are the same size",
    ):
        x.grad = torch.ones(2, 1)


@pytest.mark.parametrize(
    ("value", "dtype_name"),
    [
        (torch.ones(2, dtype=torch.float64), "double"),
        (torch.ones(2, dtype=torch.int64), "long int"),
    ],
    ids=["float64", "int64"],
)
def test_assigning_grad_of_another_dtype_raises(value, dtype_name):  # semantics §1
    x = leaf(1.0, 2.0)
    with raises_exactly(
        RuntimeError,
        f"attempting to assign a gradient with dtype '{dtype_name}' to a tensor with grad_dtype "
        "'Float'. The gradient must match the tensor's grad_dtype (defaults to the tensor's "
        "dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or None to "
        "allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
        "gradient may break downstream systems that assume they match.",
    ):
        x.grad = value


@pytest.mark.parametrize(("value", "type_name"), [([1.0, 2.0], "list"), (1.0, "float")])
def test_assigning_non_tensor_grad_raises_typeerror(value, type_name):  # semantics §1
    x = leaf(1.0, 2.0)
    with raises_exactly(
        TypeError, f"assigned grad expected to be a Tensor or None but got grad of type {type_name}"
    ):
        x.grad = value


def test_assigning_grad_that_requires_grad_keeps_it_as_is():  # semantics §1
    x = leaf(1.0, 2.0)
    y = leaf(3.0, 4.0) * 2
    x.grad = y
    assert x.grad is y
    assert x.grad.requires_grad is True
    assert grad_fn_name(x.grad) == "MulBackward0"


def test_assigning_grad_on_tensor_without_requires_grad_is_allowed():  # semantics §1
    t = torch.ones(2)
    g = torch.zeros(2)
    t.grad = g
    assert t.grad is g


def test_assigning_grad_on_a_non_leaf_is_allowed_and_readable_back():  # semantics §1
    y = leaf(1.0, 2.0) * 2
    g = torch.ones(2)
    y.grad = g
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is g  # no non-leaf warning: the grad is defined


def test_setting_grad_to_none_starts_a_fresh_grad_next_time():  # semantics §1
    x = leaf(1.0, 2.0)
    (x * 2).sum().backward()
    first = x.grad
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad is not first
    assert x.grad.tolist() == [3.0, 3.0]
    assert first.tolist() == [2.0, 2.0]


def test_retain_grad_fills_non_leaf_grad():  # semantics §1
    x = leaf(1.0, 2.0)
    y = x * 2
    y.retain_grad()
    assert y.retains_grad is True
    (y * y).sum().backward()
    assert y.grad.tolist() == [4.0, 8.0]


def test_retain_grad_accumulates_as_a_new_object_each_time():  # semantics §1
    x = leaf(1.0, 2.0)
    y = x * 2
    y.retain_grad()
    s = y.sum()
    s.backward(retain_graph=True)
    first = y.grad
    s.backward()
    assert y.grad is not first
    assert y.grad.tolist() == [2.0, 2.0]
    assert first.tolist() == [1.0, 1.0]


def test_retain_grad_on_leaf_is_a_no_op():  # semantics §1
    x = leaf(1.0, 2.0)
    x.retain_grad()
    assert x.retains_grad is False
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_backward_inputs_with_non_leaf_fills_only_that_grad():  # semantics §1
    x = leaf(1.0, 2.0)
    y = x * 2
    (y * y).sum().backward(inputs=[y])
    assert x.grad is None
    assert y.grad.tolist() == [4.0, 8.0]


def test_reading_non_leaf_grad_filled_by_backward_inputs_does_not_warn():  # semantics §11, §1
    x = leaf(1.0, 2.0)
    y = x * 2
    (y * y).sum().backward(inputs=[y])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad.tolist() == [4.0, 8.0]  # torch warns only while the grad is still None


def test_backward_inputs_restricts_leaves_that_get_grad():  # semantics §1
    x = leaf(1.0, 2.0)
    w = leaf(3.0, 4.0)
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    assert w.grad.tolist() == [1.0, 2.0]


def test_backward_inputs_accepts_a_single_tensor():  # semantics §1
    x = leaf(1.0, 2.0)
    w = leaf(3.0, 4.0)
    (x * w).sum().backward(inputs=x)
    assert x.grad.tolist() == [3.0, 4.0]
    assert w.grad is None


def test_autograd_grad_never_touches_grad():  # semantics §1
    x = leaf(1.0, 2.0)
    (g,) = torch.autograd.grad((x * 3).sum(), x)
    assert g.tolist() == [3.0, 3.0]
    assert x.grad is None


def test_autograd_grad_leaves_an_existing_grad_unchanged():  # semantics §1
    x = leaf(1.0, 2.0)
    existing = torch.tensor([7.0, 7.0])
    x.grad = existing
    torch.autograd.grad((x * 3).sum(), x)
    assert x.grad is existing
    assert existing.tolist() == [7.0, 7.0]


def test_autograd_grad_still_fills_retain_grad_of_non_leaves():  # semantics §1 (probed on torch)
    x = leaf(1.0, 2.0)
    y = x * 2
    y.retain_grad()
    torch.autograd.grad(y.sum(), x)
    assert x.grad is None
    assert y.grad.tolist() == [1.0, 1.0]  # retain_grad's capture is a hook: it runs here too


def test_backward_inside_no_grad_still_works():  # semantics §1
    x = leaf(1.0, 2.0)
    y = (x * x).sum()
    with torch.no_grad():
        y.backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_grad_of_a_leaf_used_directly_as_root():  # semantics §1
    x = torch.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.tolist() == 1.0
