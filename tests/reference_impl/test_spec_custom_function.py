"""docs/semantics.md §6 (custom ``autograd.Function``): every ctx feature and every error, incl.
the custom-backward return-value errors (§6.4) and old-style Functions, as on torch 2.13.
"""

from __future__ import annotations

import warnings

import pytest

import reference_impl as torch
from tests.helpers import leaf, raises_exactly

Function = torch.autograd.Function


class Sq(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


# --- basics -------------------------------------------------------------------------------------


def test_custom_function_backward_computes_the_grad():  # semantics §6
    x = leaf(1.0, 2.0)
    y = Sq.apply(x)
    assert y.tolist() == [1.0, 4.0]
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_ctx_is_the_grad_fn_node():  # semantics §6
    seen = {}

    class Capture(Function):
        @staticmethod
        def forward(ctx, x):
            seen["ctx"] = ctx
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = Capture.apply(leaf(1.0))
    assert y.grad_fn is seen["ctx"]
    assert type(y.grad_fn).__name__ == "CaptureBackward"


def test_needs_input_grad_has_one_bool_per_forward_argument():  # semantics §6
    seen = []

    class Three(Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen.append(ctx.needs_input_grad)
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return g, g, None

    a = leaf(1.0)
    Three.apply(a, torch.ones(1), 3).sum().backward()
    assert seen == [(True, False, False), (True, False, False)]


def test_forward_runs_with_grad_disabled():  # semantics §6
    modes = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            modes.append(torch.is_grad_enabled())
            inner = x * 2
            modes.append(inner.requires_grad)
            return inner

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Probe.apply(leaf(1.0))
    assert modes == [False, False]


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_runs_with_grad_enabled_only_under_create_graph():  # semantics §6
    modes = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            modes.append(torch.is_grad_enabled())
            return g * 2

    Probe.apply(leaf(1.0)).sum().backward()
    Probe.apply(leaf(1.0)).sum().backward(create_graph=True)
    assert modes == [False, True]


def test_setup_context_style_function():  # semantics §6
    class Scale(Function):
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            _, k = inputs
            ctx.k = k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = leaf(1.0, 2.0)
    y = Scale.apply(x, 3.0)
    assert type(y.grad_fn).__name__ == "ScaleBackward"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_apply_under_no_grad_has_no_grad_fn():  # semantics §6
    with torch.no_grad():
        y = Sq.apply(leaf(1.0, 2.0))
    assert y.requires_grad is False
    assert y.grad_fn is None


def test_apply_with_no_grad_inputs_has_no_grad_fn():  # semantics §6
    y = Sq.apply(torch.tensor([1.0, 2.0]))
    assert y.requires_grad is False
    assert y.grad_fn is None


def test_grad_returned_for_input_that_needs_none_is_dropped():  # semantics §6
    class Mul(Function):
        @staticmethod
        def forward(ctx, w, x, b):
            ctx.save_for_backward(w, x)
            return w * x + b

        @staticmethod
        def backward(ctx, g):
            w, x = ctx.saved_tensors
            return g * x, g * w, g

    x = torch.ones(1)
    w = torch.tensor([0.5], requires_grad=True)
    b = torch.tensor([0.25], requires_grad=True)
    z = Mul.apply(w, x, b)
    assert type(z.grad_fn).__name__ == "MulBackward"
    z.backward()
    assert (x.grad, w.grad.tolist(), b.grad.tolist()) == (None, [1.0], [1.0])


def test_function_without_backward_raises_not_implemented_on_backward():  # semantics §6
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    y = NoBackward.apply(leaf(1.0))
    with raises_exactly(
        NotImplementedError,
        "You must implement either the backward or vjp method for your custom autograd.Function "
        "to use it with backward mode AD.",
    ):
        y.sum().backward()


# --- save_for_backward ---------------------------------------------------------------------------


def test_save_for_backward_accepts_none():  # semantics §6
    class SaveNone(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, None)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            x, nothing = ctx.saved_tensors
            assert nothing is None
            return g * 2

    x = leaf(1.0)
    SaveNone.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0]


def test_save_for_backward_rejects_non_tensors():  # semantics §6
    class SaveInt(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    with raises_exactly(
        TypeError, "save_for_backward can only save variables, but argument 1 is of type int"
    ):
        SaveInt.apply(leaf(1.0))


def test_save_for_backward_twice_keeps_the_last_call():  # semantics §6
    class Twice(Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x)
            ctx.save_for_backward(y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            saved = ctx.saved_tensors
            assert len(saved) == 1
            return g * saved[0], None

    x = leaf(1.0, 2.0)
    Twice.apply(x, torch.tensor([5.0, 6.0])).sum().backward()
    assert x.grad.tolist() == [5.0, 6.0]


def test_saved_input_is_version_checked():  # semantics §6
    x = leaf(1.0, 2.0)
    a = x * 1
    y = Sq.apply(a)
    a.add_(1)
    with pytest.raises(RuntimeError, match="output 0 of Add, is at version 1; expected version 0"):
        y.sum().backward()


def test_saved_tensors_of_the_node_are_readable_before_backward():  # semantics §6
    x = leaf(1.0, 2.0)
    y = Sq.apply(x)
    assert len(y.grad_fn.saved_tensors) == 1
    assert y.grad_fn.saved_tensors[0] is x


def test_ctx_attributes_carry_non_tensor_state():  # semantics §6
    class Pow(Function):
        @staticmethod
        def forward(ctx, x, n):
            ctx.n = n
            ctx.save_for_backward(x)
            return x**n

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ctx.n * x ** (ctx.n - 1), None

    x = leaf(2.0)
    Pow.apply(x, 3).backward()
    assert x.grad.tolist() == [12.0]


def test_saved_variables_is_a_deprecated_alias():  # semantics §6
    seen = []

    class Old(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                seen.append(ctx.saved_variables)
            seen.append([(type(i.message), str(i.message)) for i in w])
            return g * 2

    x = leaf(1.0)
    Old.apply(x).sum().backward()
    assert seen[0][0] is x
    assert seen[1] == [(DeprecationWarning, "'saved_variables' is deprecated; use 'saved_tensors'")]


def test_exception_from_user_backward_propagates_unchanged():  # semantics §6
    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward()
            return x * 2

        @staticmethod
        def backward(ctx, g):
            w, x = ctx.saved_tensors
            return g

    x = leaf(1.0)
    z = Broken.apply(x)
    assert z.grad_fn.saved_tensors == ()
    with raises_exactly(ValueError, "not enough values to unpack (expected 2, got 0)"):
        z.backward()
    assert x.grad is None


# --- mark_dirty -----------------------------------------------------------------------------------


class AddOneInPlace(Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g


def test_mark_dirty_returns_the_input_object_with_new_grad_fn():  # semantics §6
    x = leaf(1.0, 2.0)
    a = x * 1
    out = AddOneInPlace.apply(a)
    assert out is a
    assert type(a.grad_fn).__name__ == "AddOneInPlaceBackward"
    assert a.tolist() == [2.0, 3.0]
    assert a._version == 2  # one bump from add_, one from mark_dirty
    a.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_mark_dirty_on_a_leaf_requiring_grad_raises():  # semantics §6
    with raises_exactly(
        RuntimeError, "a leaf Variable that requires grad has been used in an in-place operation."
    ):
        AddOneInPlace.apply(leaf(1.0, 2.0))


def test_mark_dirty_input_not_returned_raises():  # semantics §6
    class DirtyNotReturned(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with raises_exactly(
        RuntimeError,
        "Some elements marked as dirty during the forward method were not returned as output. "
        "The inputs that are modified inplace must all be outputs of the Function.",
    ):
        DirtyNotReturned.apply(leaf(1.0, 2.0) * 1)


# --- non-differentiable outputs and materialized grads --------------------------------------------


class SortLike(Function):
    @staticmethod
    def forward(ctx, x):
        idx = torch.tensor([1.0, 0.0])
        ctx.mark_non_differentiable(idx)
        return x * 2, idx

    @staticmethod
    def backward(ctx, g, g_idx):
        SortLike.seen = g_idx
        return g * 2


def test_mark_non_differentiable_output_is_a_leaf_without_grad():  # semantics §6
    out, idx = SortLike.apply(leaf(1.0, 2.0))
    assert out.requires_grad is True
    assert idx.requires_grad is False
    assert idx.is_leaf is True
    assert idx.grad_fn is None


def test_grad_for_non_differentiable_output_arrives_as_zeros():  # semantics §6
    x = leaf(1.0, 2.0)
    out, _ = SortLike.apply(x)
    out.sum().backward()
    assert SortLike.seen.tolist() == [0.0, 0.0]
    assert x.grad.tolist() == [2.0, 2.0]


def test_integer_outputs_are_non_differentiable_automatically():  # semantics §6
    class WithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, torch.tensor([0, 1])

        @staticmethod
        def backward(ctx, g, g_idx):
            return g * 2

    out, idx = WithIndex.apply(leaf(1.0, 2.0))
    assert out.requires_grad is True
    assert idx.requires_grad is False
    assert idx.grad_fn is None


class TwoOut(Function):
    materialize = True

    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(TwoOut.materialize)
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g1, g2):
        TwoOut.seen = (g1, g2)
        return g1 * 2 if g1 is not None else None


def test_grad_for_unused_output_arrives_as_zeros():  # semantics §6
    TwoOut.materialize = True
    a, _ = TwoOut.apply(leaf(1.0, 2.0))
    a.sum().backward()
    g1, g2 = TwoOut.seen
    assert g1.tolist() == [1.0, 1.0]
    assert g2.tolist() == [0.0, 0.0]


def test_grad_for_unused_output_is_none_without_materialize_grads():  # semantics §6
    TwoOut.materialize = False
    a, _ = TwoOut.apply(leaf(1.0, 2.0))
    a.sum().backward()
    g1, g2 = TwoOut.seen
    assert g1.tolist() == [1.0, 1.0]
    assert g2 is None


# --- once_differentiable ------------------------------------------------------------------------


class Od(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


def test_once_differentiable_first_order_works():  # semantics §6
    x = leaf(1.0, 2.0)
    Od.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_once_differentiable_raises_when_differentiated_twice():  # semantics §6
    a = leaf(1.0, 2.0)
    y = Od.apply(a)
    (g,) = torch.autograd.grad((y**2).sum(), a, create_graph=True)
    with raises_exactly(
        RuntimeError,
        "trying to differentiate twice a function that was marked with @once_differentiable",
    ):
        g.sum().backward()


def test_once_differentiable_with_constant_incoming_grad_gives_constant_result():
    # semantics §6
    a = leaf(1.0, 2.0)
    (g,) = torch.autograd.grad(Od.apply(a).sum(), a, create_graph=True)
    assert g.requires_grad is False
    assert g.grad_fn is None
    with raises_exactly(
        RuntimeError, "element 0 of tensors does not require grad and does not have a grad_fn"
    ):
        g.sum().backward()


# --- backward return-value errors (semantics §6) --------------------------------------------------


def test_backward_returning_too_many_grads_raises():  # semantics §6
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with raises_exactly(
        RuntimeError,
        "function TooManyBackward returned an incorrect number of gradients (expected 1, got 2)",
    ):
        TooMany.apply(leaf(1.0)).sum().backward()


def test_backward_returning_too_few_grads_raises():  # semantics §6
    class TooFew(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return (g,)

    with raises_exactly(
        RuntimeError,
        "function TooFewBackward returned an incorrect number of gradients (expected 2, got 1)",
    ):
        TooFew.apply(leaf(1.0), leaf(2.0)).sum().backward()


def test_backward_extra_trailing_nones_are_accepted():  # semantics §6
    class ExtraNones(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    x = leaf(1.0)
    ExtraNones.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0]


def test_backward_grad_for_non_tensor_input_raises():  # semantics §6
    class GradForNonTensor(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g  # position is 1-based: the 2nd input (k) is not a tensor

    with raises_exactly(
        RuntimeError,
        "function GradForNonTensorBackward returned a gradient different than None at position 2, "
        "but the corresponding forward input was not a Variable",
    ):
        GradForNonTensor.apply(leaf(1.0), 3.0).sum().backward()


@pytest.mark.parametrize(("value", "type_name"), [(1, "int"), ("list", "list")])
def test_backward_returning_non_tensor_raises_runtimeerror(value, type_name):  # semantics §6
    class BadReturn(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return [g] if value == "list" else value

    with raises_exactly(RuntimeError, f"expected Variable or None (got {type_name})"):
        BadReturn.apply(leaf(1.0)).sum().backward()


def test_backward_returning_wrong_shape_raises():  # semantics §6
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return torch.ones(3)

    with raises_exactly(
        RuntimeError,
        "Function WrongShapeBackward returned an invalid gradient at index 0 - got [3] but "
        "expected shape compatible with [2]",
    ):
        WrongShape.apply(leaf(1.0, 2.0)).sum().backward()


def test_backward_grad_with_leading_one_dim_is_summed_down():  # semantics §6
    class Leading(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return torch.ones(1, 2, 3)

    x = torch.zeros(2, 3, requires_grad=True)
    Leading.apply(x).sum().backward()
    assert x.grad.shape == (2, 3)
    assert x.grad.tolist() == [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]


def test_backward_returning_0d_grad_for_2d_input_raises():  # semantics §6
    class ZeroD(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return torch.tensor(1.0)

    with raises_exactly(
        RuntimeError,
        "Function ZeroDBackward returned an invalid gradient at index 0 - got [] but expected "
        "shape compatible with [2, 3]",
    ):
        ZeroD.apply(torch.zeros(2, 3, requires_grad=True)).sum().backward()


def test_backward_float64_grad_is_cast_to_float32_input():  # semantics §6
    class Wide(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return torch.ones(2, dtype=torch.float64)

    x = leaf(1.0, 2.0)
    Wide.apply(x).sum().backward()
    assert x.grad.dtype == torch.float32
    assert x.grad.tolist() == [1.0, 1.0]
