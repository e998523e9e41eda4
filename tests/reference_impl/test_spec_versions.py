"""docs/semantics.md §8: version counters and in-place operations.

``t._version`` is an int that every in-place write bumps by one; views and ``detach()`` share the
counter, ``.data`` does not. Values observed on torch 2.13.
"""

from __future__ import annotations

import pytest

import reference_impl as torch
from tests.helpers import leaf


def plain(*values):
    return torch.tensor(list(values))


def test_new_tensor_starts_at_version_zero():  # semantics §8
    assert plain(1.0, 2.0)._version == 0
    assert leaf(1.0, 2.0)._version == 0
    assert (leaf(1.0, 2.0) * 2)._version == 0


@pytest.mark.parametrize(
    ("op", "bumps"),
    [
        (lambda t: t.add_(1), 1),
        (lambda t: t.__setitem__(0, 5.0), 1),
        (lambda t: t.copy_(torch.ones(2)), 1),
        (lambda t: t.mul_(2).add_(1), 2),
        (lambda t: t.zero_(), 1),
        (lambda t: t.requires_grad_(), 0),
        (lambda t: t.add(1), 0),
        (lambda t: t.exp().sum(), 0),
    ],
    ids=["add_", "setitem", "copy_", "mul_.add_", "zero_", "requires_grad_", "add", "exp"],
)
def test_version_after_each_op(op, bumps):  # semantics §8
    t = plain(1.0, 2.0)
    op(t)
    assert t._version == bumps


def test_augmented_assignment_bumps_version_once():  # semantics §8
    t = plain(1.0, 2.0)
    before = t
    t += 1
    assert t is before
    assert t._version == 1


def test_out_argument_bumps_version_once():  # semantics §8
    out = torch.zeros(2)
    torch.add(plain(1.0, 2.0), plain(3.0, 4.0), out=out)
    assert out.tolist() == [4.0, 6.0]
    assert out._version == 1


def test_views_share_the_version_counter():  # semantics §8
    base = plain(1.0, 2.0, 3.0)
    view = base[1:]
    view.add_(1)
    assert base._version == 1
    assert view._version == 1
    base.mul_(2)
    assert view._version == 2


def test_detach_shares_storage_and_version_counter():  # semantics §8
    x = leaf(1.0, 2.0)
    d = x.detach()
    d.add_(1)
    assert x.tolist() == [2.0, 3.0]
    assert x._version == 1
    assert d._version == 1


def test_data_has_its_own_version_counter():  # semantics §8
    x = leaf(1.0, 2.0)
    x.data.add_(1)
    assert x.tolist() == [2.0, 3.0]
    assert x._version == 0


def test_changes_through_data_are_never_detected():  # semantics §8
    x = leaf(1.0, 2.0)
    y = x.exp()  # saves its result
    y.data.mul_(0)
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]  # backward read the modified saved value, silently


def test_modification_through_detach_is_detected():  # semantics §8
    x = leaf(1.0, 2.0)
    y = x.exp()
    y.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_mul_with_constant_saves_only_the_constant():  # semantics §8
    x = leaf(1.0, 2.0)
    w = plain(3.0, 4.0)
    a = x.clone()
    y = a * w  # only a requires grad: w is saved, a is not
    a.add_(10)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_modifying_the_saved_constant_is_detected():  # semantics §8
    x = leaf(1.0, 2.0)
    w = plain(3.0, 4.0)
    y = x * w
    w.add_(1)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0 instead"):
        y.sum().backward()


def test_add_saves_nothing_so_inputs_may_change():  # semantics §8
    x = leaf(1.0, 2.0)
    a = x * 1
    b = x * 1
    y = a + b
    a.add_(1)
    b.mul_(3)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_inplace_on_view_rebases_base_onto_copyslices():  # semantics §8
    x = leaf(1.0, 2.0, 3.0)
    base = x * 1
    view = base[1:]
    view.mul_(2)
    assert type(base.grad_fn).__name__ == "CopySlices"
    assert base._version == 1
    assert view._version == 1
    base.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 2.0]


def test_view_grad_fn_is_refreshed_after_inplace_on_base():  # semantics §8
    x = leaf(1.0, 2.0, 3.0)
    base = x * 1
    view = base[1:]
    base.mul_(2)
    assert type(view.grad_fn).__name__ == "AsStridedBackward0"
    view.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 2.0]


def test_chained_inplace_ops_are_valid():  # semantics §8
    x = leaf(1.0, 2.0)
    a = x * 1
    a.mul_(3)
    a.pow_(2)
    assert type(a.grad_fn).__name__ == "PowBackward0"
    assert a._version == 2
    a.sum().backward()
    assert x.grad.tolist() == [18.0, 36.0]  # d/dx (3x)^2 = 18x


def test_writing_grad_value_into_plain_tensor_slice_makes_it_a_non_leaf():  # semantics §8
    x = leaf(1.0, 2.0)
    y = torch.zeros(2)
    y[0:1] = x[0:1]
    assert y.requires_grad is True
    assert y.is_leaf is False
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0]


def test_inplace_add_of_grad_value_into_plain_tensor_makes_it_a_non_leaf():  # semantics §8
    x = leaf(1.0, 2.0)
    y = torch.zeros(2)
    y.add_(x)
    assert y.requires_grad is True
    assert y.is_leaf is False
    assert type(y.grad_fn).__name__ == "AddBackward0"
    assert y._version == 1


def test_setitem_then_augmented_assignment_on_slice_bumps_twice():  # semantics §8
    y = leaf(1.0, 2.0, 3.0).clone()
    y[0] *= 2
    assert y._version == 2


def test_inplace_keeps_same_tensor_object():  # semantics §8
    x = leaf(1.0, 2.0)
    a = x * 1
    assert a.add_(1) is a
    assert a.mul_(2) is a


def test_version_counter_keeps_counting_across_backward():  # semantics §8
    x = leaf(1.0, 2.0)
    a = x * 1
    a.add_(1)
    a.sum().backward()
    a.add_(1)
    assert a._version == 2


def test_backward_checks_the_version_of_each_saved_tensor_independently():  # semantics §8
    x = leaf(1.0, 2.0)
    a = x * 1
    y = a.exp()  # saves y, not a
    a.add_(1)
    y.sum().backward()
    assert x.grad.tolist() == pytest.approx([2.7182817, 7.3890562])


@pytest.mark.parametrize(
    ("name", "op", "reported"),
    [
        ("maximum", lambda a, b: torch.maximum(a, b), "other"),
        ("fmin", lambda a, b: torch.fmin(a, b), "other"),
        ("atan2", lambda a, b: torch.atan2(a, b), "other"),
        ("xlogy", lambda a, b: torch.xlogy(a, b), "other"),
        ("dist", lambda a, b: torch.dist(a, b), "other"),
        ("lerp", lambda a, b: torch.lerp(a, b, b), "other"),
        ("hypot", lambda a, b: torch.hypot(a, b), "self"),  # other is not saved for self's grad
        ("mul", lambda a, b: a * b, "other"),
    ],
)
def test_of_two_stale_saved_tensors_the_first_in_torchs_unpack_order_is_reported(
    name, op, reported
):
    """torch unpacks a node's saved tensors in name order ("end" < "other" < "self"): when two
    share a version counter, the error names the first - and only a tensor with history says
    "which is output 0 of ..."."""
    x = torch.tensor([0.5], requires_grad=True)
    a = x * 1.5 + 1  # requires grad: reported with "which is output 0 of AddBackward0"
    b = a.detach()  # shares a's version counter, has no history
    y = op(a, b)
    a.detach().mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as raised:
        y.sum().backward()
    assert ("which is output 0 of" in str(raised.value)) == (reported == "self")
