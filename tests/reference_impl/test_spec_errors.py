"""docs/semantics.md §11: every autograd error, its exact type and message text, the check order.

Messages are compared in full (``str(exc) == text``) and the type exactly (``type(exc) is T``),
as observed on torch 2.13. Custom-Function backward errors live in test_spec_custom_function.py.
"""

from __future__ import annotations

import warnings

import pytest

import reference_impl as torch
from tests.helpers import leaf, raises_exactly

FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)
NOT_SCALAR = "grad can be implicitly created only for scalar outputs"
NO_GRAD_0 = "element 0 of tensors does not require grad and does not have a grad_fn"
HINT = (
    " Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
    "with torch.autograd.set_detect_anomaly(True, check_nan=False)."
)
NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If "
    "you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. "
    "See github.com/pytorch/pytorch/pull/30531 for more information."
)


def modified_message(tensor_type, shape, clause, version, expected):
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{tensor_type} {shape}]{clause} is at version {version}; expected version "
        f"{expected} instead." + HINT
    )


# --- freed graph -----------------------------------------------------------------------------


def test_second_backward_without_retain_graph_raises_freed_graph_error():  # semantics §3
    x = leaf(1.0, 2.0)
    y = (x * x).sum()
    y.backward()
    with raises_exactly(RuntimeError, FREED):
        y.backward()


def test_second_autograd_grad_without_retain_graph_raises_freed_graph_error():  # semantics §3
    x = leaf(1.0, 2.0)
    y = x.exp().sum()
    torch.autograd.grad(y, x)
    with raises_exactly(RuntimeError, FREED):
        torch.autograd.grad(y, x)


def test_backward_after_autograd_grad_raises_freed_graph_error():  # semantics §3
    x = leaf(1.0, 2.0)
    y = x.sigmoid().sum()
    torch.autograd.grad(y, x)
    with raises_exactly(RuntimeError, FREED):
        y.backward()


def test_reading_saved_tensors_after_free_raises_freed_graph_error():  # semantics §3
    class Keep(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = leaf(1.0, 2.0)
    y = Keep.apply(x)
    assert y.grad_fn.saved_tensors[0] is x
    y.sum().backward()
    with raises_exactly(RuntimeError, FREED):
        y.grad_fn.saved_tensors  # noqa: B018


def test_retain_graph_allows_a_second_backward():  # semantics §3
    x = leaf(1.0, 2.0)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_freeing_keeps_grad_fn_and_next_functions():  # semantics §3
    x = leaf(1.0, 2.0)
    y = (x * x).sum()
    node = y.grad_fn
    y.backward()
    assert y.grad_fn is node
    assert type(node.next_functions[0][0]).__name__ == "MulBackward0"
    assert node.next_functions[0][0].next_functions[0][0].variable is x


def test_graph_that_saves_nothing_can_be_backwarded_again_and_again():  # semantics §3
    x = leaf(1.0, 2.0)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    y.backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_freed_graph_error_is_raised_lazily_when_the_freed_node_runs():  # semantics §3
    x = leaf(1.0, 2.0)
    h = x.exp()  # ExpBackward0 saves its result
    events = []
    s = h + 1  # AddBackward0 saves nothing
    s.register_hook(lambda g: events.append("s hook"))
    s.sum().backward()
    assert events == ["s hook"]
    with raises_exactly(RuntimeError, FREED):
        s.sum().backward()
    assert events == ["s hook", "s hook"]  # the hook above the freed node still ran


def test_second_root_sharing_a_freed_node_raises():  # semantics §3
    x = leaf(1.0, 2.0)
    h = x.exp()
    h.sum().backward()
    with raises_exactly(RuntimeError, FREED):
        (h * 2).sum().backward()


def test_second_root_not_sharing_saved_state_still_works():  # semantics §3
    x = leaf(1.0, 2.0)
    h = x + 1
    h.exp().sum().backward()
    (h * 3).sum().backward()
    assert x.grad.tolist() == pytest.approx([7.3890562 + 3, 20.085537 + 3])


# --- implicit gradient, outputs without grad, check order ---------------------------------


def test_non_scalar_backward_without_gradient_raises():  # semantics §11
    x = leaf(1.0, 2.0)
    with raises_exactly(RuntimeError, NOT_SCALAR):
        (x * 2).backward()


def test_single_element_output_of_any_shape_counts_as_scalar():  # semantics §11
    x = torch.ones(1, 1, requires_grad=True)
    (x * 3).backward()
    assert x.grad.tolist() == [[3.0]]


def test_backward_of_output_without_grad_raises():  # semantics §11
    with raises_exactly(RuntimeError, NO_GRAD_0):
        torch.tensor(1.0).backward()


def test_backward_of_result_computed_under_no_grad_raises():  # semantics §11
    x = leaf(1.0, 2.0)
    with torch.no_grad():
        y = (x * 2).sum()
    with raises_exactly(RuntimeError, NO_GRAD_0):
        y.backward()


def test_autograd_grad_of_output_without_grad_raises():  # semantics §11
    x = leaf(1.0, 2.0)
    with torch.no_grad():
        y = (x * 2).sum()
    with raises_exactly(RuntimeError, NO_GRAD_0):
        torch.autograd.grad(y, x)


def test_output_without_grad_error_names_its_position():  # semantics §11
    x = leaf(1.0, 2.0)
    with raises_exactly(
        RuntimeError, "element 1 of tensors does not require grad and does not have a grad_fn"
    ):
        torch.autograd.backward([x.sum(), torch.tensor(1.0)])


def test_no_grad_check_comes_before_scalar_check():  # semantics §11
    with raises_exactly(RuntimeError, NO_GRAD_0):
        torch.ones(2).backward()
    with raises_exactly(RuntimeError, NO_GRAD_0):
        torch.tensor([1, 2]).backward()


def test_scalar_check_comes_before_freed_graph_check():  # semantics §3
    x = leaf(1.0, 2.0)
    y = x.exp()
    y.backward(torch.ones(2))
    with raises_exactly(RuntimeError, NOT_SCALAR):
        y.backward()


def test_shape_check_comes_before_freed_graph_check():  # semantics §3
    x = leaf(1.0, 2.0)
    y = x.exp()
    y.backward(torch.ones(2))
    with raises_exactly(
        RuntimeError,
        "Mismatch in shape: grad_output[0] has a shape of torch.Size([3]) and output[0] has a "
        "shape of torch.Size([2]).",
    ):
        y.backward(torch.ones(3))


# --- saved tensor modified in place ----------------------------------------------------------


def test_modified_saved_output_names_its_producer_float():  # semantics §11
    x = leaf(1.0, 2.0)
    y = x.sigmoid()
    y.add_(1)
    with raises_exactly(
        RuntimeError,
        modified_message("torch.FloatTensor", "[2]", ", which is output 0 of Sigmoid,", 1, 0),
    ):
        y.sum().backward()


def test_modified_saved_output_double_and_2d_shape():  # semantics §11
    x = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)
    y = x.exp()
    y.mul_(2)
    with raises_exactly(
        RuntimeError,
        modified_message("torch.DoubleTensor", "[2, 2]", ", which is output 0 of Exp,", 1, 0),
    ):
        y.sum().backward()


def test_modified_saved_output_reports_current_version():  # semantics §11
    x = leaf(1.0, 2.0)
    y = x.exp()
    y.add_(1)
    y.add_(1)
    with raises_exactly(
        RuntimeError,
        modified_message("torch.FloatTensor", "[2]", ", which is output 0 of Exp,", 2, 0),
    ):
        y.sum().backward()


def test_modified_saved_input_names_its_grad_fn_at_backward_time():  # semantics §11
    x = leaf(1.0, 2.0)
    a = x * 1
    y = a * a
    a.add_(1)
    with raises_exactly(
        RuntimeError,
        modified_message("torch.FloatTensor", "[2]", ", which is output 0 of Add,", 1, 0),
    ):
        y.sum().backward()


def test_modified_saved_input_rewritten_by_setitem_names_copyslices():  # semantics §11
    x = leaf(1.0, 2.0)
    a = x * 1
    y = a * a
    a[0] = 5.0
    with raises_exactly(
        RuntimeError,
        modified_message(
            "torch.FloatTensor", "[2]", ", which is output 0 of torch::autograd::CopySlices,", 1, 0
        ),
    ):
        y.sum().backward()


def test_modified_saved_custom_function_output_names_the_function():  # semantics §11
    class Sq(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * x
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * 2 * out.sqrt()

    y = Sq.apply(leaf(1.0, 2.0))
    y.add_(1)
    with raises_exactly(
        RuntimeError,
        modified_message("torch.FloatTensor", "[2]", ", which is output 0 of Sq,", 1, 0),
    ):
        y.sum().backward()


def test_modified_saved_plain_tensor_has_no_output_clause():  # semantics §11
    x = leaf(1.0, 2.0)
    w = torch.tensor([3.0, 4.0])
    y = x * w
    w.add_(1)
    with raises_exactly(RuntimeError, modified_message("torch.FloatTensor", "[2]", "", 1, 0)):
        y.sum().backward()


def test_modified_saved_leaf_has_no_output_clause():  # semantics §11
    x = leaf(1.0, 2.0)
    y = x * x
    with torch.no_grad():
        x.add_(1)
    with raises_exactly(RuntimeError, modified_message("torch.FloatTensor", "[2]", "", 1, 0)):
        y.sum().backward()


# --- in-place on leaves ------------------------------------------------------------------------


def test_inplace_on_leaf_requiring_grad_raises():  # semantics §11
    x = leaf(1.0, 2.0)
    with raises_exactly(
        RuntimeError, "a leaf Variable that requires grad is being used in an in-place operation."
    ):
        x.add_(1)


def test_augmented_assignment_on_leaf_requiring_grad_raises():  # semantics §11
    x = leaf(1.0, 2.0)
    with raises_exactly(
        RuntimeError, "a leaf Variable that requires grad is being used in an in-place operation."
    ):
        x += 1


def test_setitem_on_leaf_requiring_grad_raises_view_of_leaf_error():  # semantics §11
    x = leaf(1.0, 2.0)
    with raises_exactly(
        RuntimeError,
        "a view of a leaf Variable that requires grad is being used in an in-place operation.",
    ):
        x[0] = 5.0


def test_inplace_on_view_of_leaf_requiring_grad_raises():  # semantics §11
    x = leaf(1.0, 2.0)
    v = x[0:1]
    with raises_exactly(
        RuntimeError,
        "a view of a leaf Variable that requires grad is being used in an in-place operation.",
    ):
        v.mul_(2)


def test_inplace_on_leaf_under_no_grad_is_allowed():  # semantics §11
    x = leaf(1.0, 2.0)
    with torch.no_grad():
        x.add_(1)
    assert x.tolist() == [2.0, 3.0]
    assert x._version == 1
    assert x.is_leaf is True
    assert x.requires_grad is True


# --- .grad of a non-leaf ------------------------------------------------------------------------


def test_reading_grad_of_non_leaf_returns_none_with_userwarning():  # semantics §11
    x = leaf(1.0, 2.0)
    y = x * 2
    with pytest.warns(UserWarning) as record:
        assert y.grad is None
    assert len(record) == 1
    text = str(record[0].message)
    assert text[: text.index("for more information.") + len("for more information.")] == (
        NONLEAF_GRAD_WARNING
    )


@pytest.mark.parametrize("case", ["leaf", "retain_grad"])
def test_reading_grad_of_leaf_or_retained_non_leaf_does_not_warn(case):  # semantics §11
    x = leaf(1.0, 2.0)
    t = x if case == "leaf" else x * 2
    if case == "retain_grad":
        t.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert t.grad is None


# --- gradient= / grad_outputs= ----------------------------------------------------------------


def test_wrong_shaped_gradient_argument_raises_mismatch():  # semantics §11
    x = leaf(1.0, 2.0)
    with raises_exactly(
        RuntimeError,
        "Mismatch in shape: grad_output[0] has a shape of torch.Size([3]) and output[0] has a "
        "shape of torch.Size([2]).",
    ):
        (x * 2).backward(torch.ones(3))


def test_wrong_shaped_grad_outputs_raises_mismatch():  # semantics §11
    x = leaf(1.0, 2.0)
    with raises_exactly(
        RuntimeError,
        "Mismatch in shape: grad_output[0] has a shape of torch.Size([3]) and output[0] has a "
        "shape of torch.Size([2]).",
    ):
        torch.autograd.grad(x * 2, x, grad_outputs=torch.ones(3))


def test_gradient_argument_is_never_broadcast():  # semantics §11
    x = leaf(1.0, 2.0)
    with raises_exactly(
        RuntimeError,
        "Mismatch in shape: grad_output[0] has a shape of torch.Size([1]) and output[0] has a "
        "shape of torch.Size([2]).",
    ):
        (x * 2).backward(torch.ones(1))
    with raises_exactly(
        RuntimeError,
        "Mismatch in shape: grad_output[0] has a shape of torch.Size([]) and output[0] has a "
        "shape of torch.Size([2]).",
    ):
        (x * 2).backward(torch.tensor(1.0))


def test_gradient_given_as_list_raises_typeerror():  # semantics §11
    x = leaf(1.0, 2.0)
    with raises_exactly(TypeError, "gradients can be either Tensors or None, but got float"):
        (x * 2).backward([1.0, 1.0])


def test_fewer_grad_outputs_than_outputs_raises():  # semantics §11
    x = leaf(1.0, 2.0)
    with raises_exactly(RuntimeError, "got 2 tensors and 1 gradients"):
        torch.autograd.grad([x * 2, x * 3], [x], grad_outputs=[torch.ones(2)])


def test_extra_grad_outputs_are_silently_ignored():  # semantics §11
    x = leaf(1.0, 2.0)
    (g,) = torch.autograd.grad([x * 2], [x], grad_outputs=[torch.ones(2), torch.ones(2)])
    assert g.tolist() == [2.0, 2.0]


def test_extra_grad_tensors_to_autograd_backward_are_ignored():  # semantics §11
    x = leaf(1.0, 2.0)
    torch.autograd.backward([x * 2], grad_tensors=[torch.ones(2), torch.ones(2)])
    assert x.grad.tolist() == [2.0, 2.0]


# --- requires_grad flags ------------------------------------------------------------------------


def test_integer_tensor_factory_cannot_require_grad():  # semantics §11
    with raises_exactly(
        RuntimeError, "Only Tensors of floating point and complex dtype can require gradients"
    ):
        torch.tensor([1, 2], requires_grad=True)


def test_integer_tensor_requires_grad_method_raises():  # semantics §11
    t = torch.tensor([1, 2])
    with raises_exactly(RuntimeError, "only Tensors of floating point dtype can require gradients"):
        t.requires_grad_()


def test_integer_tensor_requires_grad_attribute_raises():  # semantics §11
    t = torch.tensor([1, 2])
    with raises_exactly(
        RuntimeError, "only Tensors of floating point and complex dtype can require gradients"
    ):
        t.requires_grad = True


def test_non_leaf_requires_grad_false_raises_long_message():  # semantics §11
    y = leaf(1.0, 2.0) * 2
    message = (
        "you can only change requires_grad flags of leaf variables. If you want to use a computed "
        "variable in a subgraph that doesn't require differentiation use var_no_grad = "
        "var.detach()."
    )
    with raises_exactly(RuntimeError, message):
        y.requires_grad_(False)
    with raises_exactly(RuntimeError, message):
        y.requires_grad = False


def test_non_leaf_requires_grad_attribute_true_raises_short_message():  # semantics §11
    y = leaf(1.0, 2.0) * 2
    with raises_exactly(RuntimeError, "you can only change requires_grad flags of leaf variables."):
        y.requires_grad = True


def test_non_leaf_requires_grad_method_true_is_a_no_op_returning_self():  # semantics §11
    y = leaf(1.0, 2.0) * 2
    node = y.grad_fn
    assert y.requires_grad_(True) is y
    assert y.grad_fn is node
    assert y.is_leaf is False


def test_retain_grad_without_grad_raises():  # semantics §11
    with raises_exactly(RuntimeError, "can't retain_grad on Tensor that has requires_grad=False"):
        torch.ones(2).retain_grad()


def test_register_hook_without_grad_raises():  # semantics §11
    with raises_exactly(
        RuntimeError, "cannot register a hook on a tensor that doesn't require gradient"
    ):
        torch.ones(2).register_hook(lambda g: g)


def test_backward_with_empty_inputs_raises():  # semantics §11
    x = leaf(1.0, 2.0)
    with raises_exactly(RuntimeError, "`inputs` argument to `backward()` cannot be empty."):
        (x * 2).sum().backward(inputs=[])


@pytest.mark.parametrize("which", ["leaf", "non-leaf"])
def test_numpy_on_tensor_requiring_grad_raises(which):  # semantics §11
    x = leaf(1.0, 2.0)
    t = x if which == "leaf" else x * 2
    with raises_exactly(
        RuntimeError,
        "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
    ):
        t.numpy()


def test_numpy_after_detach_works():  # semantics §11
    x = leaf(1.0, 2.0)
    assert x.detach().numpy().tolist() == [1.0, 2.0]


# --- detach_ on views, inference tensors (semantics §11) ------------------------------------------

DETACH_VIEW = (
    "Can't detach views in-place. Use detach() instead. If you are using "
    "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, "
    "gradients are views of DDP buckets, and hence detach_() cannot be called on these "
    "gradients. To fix this error, please refer to the Optimizer.zero_grad() function in "
    "torch/optim/optimizer.py as the solution."
)


@pytest.mark.parametrize(
    "make_view",
    [lambda x: (x * 2)[0:1], lambda x: torch.ones(2)[0:1], lambda x: x[0:1]],
    ids=["view of non-leaf", "view of plain tensor", "view of leaf"],
)
def test_detach_in_place_on_a_view_raises(make_view):  # semantics §11
    x = leaf(1.0, 2.0)
    v = make_view(x)
    with raises_exactly(RuntimeError, DETACH_VIEW):
        v.detach_()


def test_inference_tensor_cannot_be_saved_for_backward():  # semantics §11
    with torch.inference_mode():
        it = torch.ones(2)
    w = leaf(1.0, 2.0)
    with raises_exactly(
        RuntimeError,
        "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
        "inference mode in computation tracked by autograd. To work around this, you can make a "
        "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead "
        "of `torch.inference_mode()`.",
    ):
        it * w


def test_inference_tensor_inplace_outside_inference_mode_raises():  # semantics §11
    with torch.inference_mode():
        it = torch.ones(2)
    with raises_exactly(
        RuntimeError,
        "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
        "clone to get a normal tensor before doing inplace update.See "
        "https://github.com/pytorch/rfcs/pull/17 for more details.",
    ):
        it.add_(1)


def test_inference_tensor_requires_grad_outside_inference_mode_raises():  # semantics §11
    with torch.inference_mode():
        it = torch.ones(2)
    with raises_exactly(
        RuntimeError,
        "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.",
    ):
        it.requires_grad_()


def test_inference_tensor_has_no_version_counter():  # semantics §11
    with torch.inference_mode():
        it = torch.ones(2)
    with raises_exactly(RuntimeError, "Inference tensors do not track version counter."):
        it._version  # noqa: B018


def test_float_of_tensor_requiring_grad_warns():  # semantics §11
    x = leaf(1.5)
    with pytest.warns(UserWarning) as record:
        assert float(x) == 1.5
    assert str(record[0].message).startswith(
        "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
        "behavior.\nConsider using tensor.detach() first."
    )


def test_tolist_of_tensor_requiring_grad_does_not_warn():  # semantics §11
    x = leaf(1.0, 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.tolist() == [1.0, 2.0]
