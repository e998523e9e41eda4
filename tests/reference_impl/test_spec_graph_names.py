"""docs/semantics.md §12: grad_fn class names, ``name()`` and the ``next_functions`` structure.

Every expectation was observed on torch 2.13 (docs/semantics.md §12).
"""

from __future__ import annotations

import re

import pytest

import reference_impl as torch
from tests.helpers import grad_fn_name, next_names, ones_leaf

F = torch.nn.functional


X = ones_leaf(3, 4)
Y = ones_leaf(3, 4)
V = ones_leaf(4)
W = ones_leaf(4, 5)
A3 = ones_leaf(2, 3, 4)
B3 = ones_leaf(2, 4, 5)


# semantics §12: the op table (type(t.grad_fn).__name__)
SPEC_OP_NAMES = [
    ("x+y", lambda: X + Y, "AddBackward0"),
    ("x+1", lambda: X + 1, "AddBackward0"),
    ("x-y", lambda: X - Y, "SubBackward0"),
    ("x*y", lambda: X * Y, "MulBackward0"),
    ("x*2", lambda: X * 2, "MulBackward0"),
    ("x/y", lambda: X / Y, "DivBackward0"),
    ("-x", lambda: -X, "NegBackward0"),
    ("2-D @", lambda: X @ W, "MmBackward0"),
    ("mm", lambda: torch.mm(X, W), "MmBackward0"),
    ("matrix@vector", lambda: X @ V, "MvBackward0"),
    ("1-D@1-D", lambda: V @ V, "DotBackward0"),
    ("x**2", lambda: X**2, "PowBackward0"),
    ("x.pow(2.5)", lambda: X.pow(2.5), "PowBackward0"),
    ("x**y", lambda: X**Y, "PowBackward1"),
    ("2**x", lambda: 2**X, "PowBackward2"),
    ("mean()", lambda: X.mean(), "MeanBackward0"),
    ("mean(dim)", lambda: X.mean(0), "MeanBackward1"),
    ("sum()", lambda: X.sum(), "SumBackward0"),
    ("sum(dim)", lambda: X.sum(1), "SumBackward1"),
    ("max()", lambda: X.max(), "MaxBackward1"),
    ("sigmoid", lambda: X.sigmoid(), "SigmoidBackward0"),
    ("exp", lambda: X.exp(), "ExpBackward0"),
    ("log", lambda: X.log(), "LogBackward0"),
    ("tanh", lambda: X.tanh(), "TanhBackward0"),
    ("relu", lambda: X.relu(), "ReluBackward0"),
    ("abs", lambda: X.abs(), "AbsBackward0"),
    ("sqrt", lambda: X.sqrt(), "SqrtBackward0"),
    ("where", lambda: torch.where(X > 0, X, Y), "WhereBackward0"),
    (
        "bce_with_logits mean",
        lambda: F.binary_cross_entropy_with_logits(X, torch.zeros(3, 4)),
        "BinaryCrossEntropyWithLogitsBackward0",
    ),
    (
        "bce_with_logits none",
        lambda: F.binary_cross_entropy_with_logits(X, torch.zeros(3, 4), reduction="none"),
        "BinaryCrossEntropyWithLogitsBackward0",
    ),
    ("mse_loss", lambda: F.mse_loss(X, Y), "MseLossBackward0"),
    ("softmax", lambda: F.softmax(X, dim=1), "SoftmaxBackward0"),
    ("log_softmax", lambda: F.log_softmax(X, dim=1), "LogSoftmaxBackward0"),
    ("x[0]", lambda: X[0], "SelectBackward0"),
    ("A[:,0]", lambda: X[:, 0], "SelectBackward0"),
    ("A[0,1]", lambda: X[0, 1], "SelectBackward0"),
    ("x[1:]", lambda: X[1:], "SliceBackward0"),
    ("x[[0,2]]", lambda: X[[0, 2]], "IndexBackward0"),
    ("x[x>0]", lambda: X[X > 0], "IndexBackward0"),
    ("expand", lambda: V.expand(3, 4), "ExpandBackward0"),
    ("view", lambda: X.view(12), "ViewBackward0"),
    ("reshape contiguous", lambda: X.reshape(4, 3), "ViewBackward0"),
    ("A.t()", lambda: X.t(), "TBackward0"),
    ("A.T", lambda: X.T, "PermuteBackward0"),
    ("transpose", lambda: X.transpose(0, 1), "TransposeBackward0"),
    ("unsqueeze", lambda: X.unsqueeze(0), "UnsqueezeBackward0"),
    ("squeeze", lambda: X.unsqueeze(0).squeeze(), "SqueezeBackward0"),
    ("clone", lambda: X.clone(), "CloneBackward0"),
    (".double()", lambda: X.double(), "ToCopyBackward0"),
    (".to(float64)", lambda: X.to(torch.float64), "ToCopyBackward0"),
    ("stack", lambda: torch.stack([X, Y]), "StackBackward0"),
    ("cat", lambda: torch.cat([X, Y]), "CatBackward0"),
]


@pytest.mark.parametrize(
    ("expr", "make", "expected"), SPEC_OP_NAMES, ids=[c[0] for c in SPEC_OP_NAMES]
)
def test_grad_fn_class_name_of_each_op_matches_torch(expr, make, expected):  # semantics §12
    assert grad_fn_name(make()) == expected


# semantics §12: names and edge structure beyond the table of §12.1
PROBE_OP_STRUCTURE = [
    ("2 - x", lambda: 2 - X, "RsubBackward1", (("AccumulateGrad", 0),)),
    ("2 / x", lambda: 2 / X, "MulBackward0", (("ReciprocalBackward0", 0), (None, 0))),
    ("x - 2", lambda: X - 2, "SubBackward0", (("AccumulateGrad", 0), (None, 0))),
    ("x / 2", lambda: X / 2, "DivBackward0", (("AccumulateGrad", 0), (None, 0))),
    ("2 * x", lambda: 2 * X, "MulBackward0", (("AccumulateGrad", 0), (None, 0))),
    ("2 + x", lambda: 2 + X, "AddBackward0", (("AccumulateGrad", 0), (None, 0))),
    (
        "x.sub(y, alpha=2)",
        lambda: X.sub(Y, alpha=2),
        "SubBackward0",
        (("AccumulateGrad", 0), ("AccumulateGrad", 0)),
    ),
    ("x.square()", lambda: X.square(), "PowBackward0", (("AccumulateGrad", 0),)),
    (
        "x.pow(tensor(2.))",
        lambda: X.pow(torch.tensor(2.0)),
        "PowBackward1",
        (("AccumulateGrad", 0), (None, 0)),
    ),
    ("torch.pow(2, x)", lambda: torch.pow(2, X), "PowBackward2", (("AccumulateGrad", 0),)),
    ("x.max()", lambda: X.max(), "MaxBackward1", (("AccumulateGrad", 0),)),
    ("x.min()", lambda: X.min(), "MinBackward1", (("AccumulateGrad", 0),)),
    ("x.max(dim=0).values", lambda: X.max(dim=0).values, "MaxBackward0", (("AccumulateGrad", 0),)),
    (
        "maximum(x, y)",
        lambda: torch.maximum(X, Y),
        "MaximumBackward0",
        (("AccumulateGrad", 0), ("AccumulateGrad", 0)),
    ),
    (
        "x.maximum(const)",
        lambda: X.maximum(torch.tensor(0.0)),
        "MaximumBackward0",
        (("AccumulateGrad", 0), (None, 0)),
    ),
    ("x.prod()", lambda: X.prod(), "ProdBackward0", (("AccumulateGrad", 0),)),
    ("x.prod(0)", lambda: X.prod(0), "ProdBackward1", (("AccumulateGrad", 0),)),
    ("x.norm()", lambda: X.norm(), "LinalgVectorNormBackward0", (("AccumulateGrad", 0),)),
    ("x.var()", lambda: X.var(), "VarBackward0", (("AccumulateGrad", 0),)),
    ("x.std(0)", lambda: X.std(0), "StdBackward0", (("AccumulateGrad", 0),)),
    ("x.logsumexp(0)", lambda: X.logsumexp(0), "LogsumexpBackward0", (("AccumulateGrad", 0),)),
    ("x.amax(0)", lambda: X.amax(0), "AmaxBackward0", (("AccumulateGrad", 0),)),
    (
        "x.sum(dtype=f64)",
        lambda: X.sum(dtype=torch.float64),
        "SumBackward0",
        (("AccumulateGrad", 0),),
    ),
    ("x.mean((0,1))", lambda: X.mean((0, 1)), "MeanBackward1", (("AccumulateGrad", 0),)),
    ("x.clamp(0,1)", lambda: X.clamp(0, 1), "ClampBackward1", (("AccumulateGrad", 0),)),
    (
        "x.clamp(min=y)",
        lambda: X.clamp(min=Y),
        "ClampBackward0",
        (("AccumulateGrad", 0), ("AccumulateGrad", 0), (None, 0)),
    ),
    ("x.clamp_min(0)", lambda: X.clamp_min(0), "ClampMinBackward0", (("AccumulateGrad", 0),)),
    (
        "where(c, x, 0.)",
        lambda: torch.where(X > 0, X, 0.0),
        "WhereBackward0",
        (("AccumulateGrad", 0), (None, 0)),
    ),
    (
        "where(c, 0., x)",
        lambda: torch.where(X > 0, 0.0, X),
        "WhereBackward0",
        ((None, 0), ("AccumulateGrad", 0)),
    ),
    ("reciprocal", lambda: X.reciprocal(), "ReciprocalBackward0", (("AccumulateGrad", 0),)),
    ("sin", lambda: torch.sin(X), "SinBackward0", (("AccumulateGrad", 0),)),
    ("mv", lambda: torch.mv(X, V), "MvBackward0", (("AccumulateGrad", 0), ("AccumulateGrad", 0))),
    (
        "bmm",
        lambda: torch.bmm(A3, B3),
        "BmmBackward0",
        (("AccumulateGrad", 0), ("AccumulateGrad", 0)),
    ),
    ("3-D @ 2-D", lambda: A3 @ W, "UnsafeViewBackward0", (("MmBackward0", 0),)),
    ("1-D @ 2-D", lambda: V @ W, "SqueezeBackward4", (("MmBackward0", 0),)),
    (
        "cat with constant",
        lambda: torch.cat([X, torch.zeros(3, 4)]),
        "CatBackward0",
        (("AccumulateGrad", 0), (None, 0)),
    ),
    ("x[...]", lambda: X[...], "AliasBackward0", (("AccumulateGrad", 0),)),
    ("x[None, 0]", lambda: X[None, 0], "SelectBackward0", (("UnsqueezeBackward0", 0),)),
    ("x[0, 1]", lambda: X[0, 1], "SelectBackward0", (("SelectBackward0", 0),)),
    ("x[1:3, 0]", lambda: X[1:3, 0], "SelectBackward0", (("SliceBackward0", 0),)),
    ("x[0, [1,2]]", lambda: X[0, [1, 2]], "IndexBackward0", (("SelectBackward0", 0),)),
    ("x.mT", lambda: X.mT, "TransposeBackward0", (("AccumulateGrad", 0),)),
    ("x.permute(1, 0)", lambda: X.permute(1, 0), "PermuteBackward0", (("AccumulateGrad", 0),)),
    ("x.t().flatten()", lambda: X.t().flatten(), "UnsafeViewBackward0", (("CloneBackward0", 0),)),
    ("x.t().contiguous()", lambda: X.t().contiguous(), "CloneBackward0", (("TBackward0", 0),)),
    ("x.squeeze(0)", lambda: X.squeeze(0), "SqueezeBackward1", (("AccumulateGrad", 0),)),
    ("x.narrow(0, 0, 2)", lambda: X.narrow(0, 0, 2), "SliceBackward0", (("AccumulateGrad", 0),)),
    ("x.split(2)[0]", lambda: X.split(2)[0], "SplitBackward0", (("AccumulateGrad", 0),)),
    ("x.unbind()[0]", lambda: X.unbind()[0], "UnbindBackward0", (("AccumulateGrad", 0),)),
    (
        "f32.to(f32, copy=True)",
        lambda: X.to(torch.float32, copy=True),
        "ToCopyBackward0",
        (("AccumulateGrad", 0),),
    ),
    (
        "mse_loss constant target",
        lambda: F.mse_loss(X, torch.zeros(3, 4)),
        "MseLossBackward0",
        (("AccumulateGrad", 0), (None, 0)),
    ),
]


@pytest.mark.parametrize(
    ("expr", "make", "expected", "edges"),
    PROBE_OP_STRUCTURE,
    ids=[c[0] for c in PROBE_OP_STRUCTURE],
)
def test_grad_fn_name_and_next_functions_match_torch(expr, make, expected, edges):  # semantics §12
    out = make()
    assert grad_fn_name(out) == expected
    assert next_names(out.grad_fn) == edges


def test_contiguous_of_a_contiguous_leaf_returns_the_leaf_itself():  # semantics §12
    x = ones_leaf(3)
    c = x.contiguous()
    assert c is x
    assert c.grad_fn is None


def test_float_of_float32_and_to_same_dtype_return_the_same_object():  # semantics §12
    x = ones_leaf(3)
    d = ones_leaf(3, dtype=torch.float64)
    assert x.float() is x
    assert x.to(torch.float32) is x
    assert d.double() is d


def test_reshape_to_the_same_shape_is_a_new_view_node():  # semantics §12
    x = ones_leaf(3, 4)
    r = x.reshape(3, 4)
    assert r is not x
    assert grad_fn_name(r) == "ViewBackward0"


def test_flatten_of_a_1d_tensor_returns_it_unchanged():  # semantics §12
    v = ones_leaf(4)
    assert v.flatten() is v


def test_var_mean_outputs_share_one_node():  # semantics §12
    x = ones_leaf(3, 4)
    var, mean = torch.var_mean(x)
    assert grad_fn_name(var) == "VarMeanBackward0"
    assert var.grad_fn is mean.grad_fn


def test_max_with_dim_indices_have_no_grad_fn():  # semantics §12
    x = ones_leaf(3, 4)
    out = x.max(dim=0)
    assert out.indices.dtype == torch.int64
    assert out.indices.grad_fn is None
    assert out.indices.requires_grad is False
    assert out.values.requires_grad is True


def test_argmax_result_does_not_require_grad():  # semantics §12
    x = ones_leaf(3, 4)
    assert x.argmax().grad_fn is None
    assert x.argmax().requires_grad is False


def test_setitem_into_empty_tensor_gives_copyslices_non_leaf():  # semantics §12
    x = ones_leaf(3)
    z = torch.empty(3)
    z[0] = x[0] ** 2
    assert grad_fn_name(z) == "CopySlices"
    assert z.requires_grad is True
    assert z.is_leaf is False
    assert next_names(z.grad_fn) == ((None, 0), ("PowBackward0", 0))


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (lambda w: w.add_(1), "AddBackward0"),
        (lambda w: w.mul_(2), "MulBackward0"),
        (lambda w: w.sigmoid_(), "SigmoidBackward0"),
        (lambda w: w.exp_(), "ExpBackward0"),
        (lambda w: w.relu_(), "ReluBackward0"),
        (lambda w: w.div_(2), "DivBackward0"),
        (lambda w: w.zero_(), "ZeroBackward0"),
        (lambda w: w.fill_(2.0), "FillBackward2"),
        (lambda w: w.neg_(), "NegBackward0"),
        (lambda w: w.pow_(2), "PowBackward0"),
        (lambda w: w.clamp_(0, 1), "ClampBackward1"),
    ],
    ids=[
        "add_",
        "mul_",
        "sigmoid_",
        "exp_",
        "relu_",
        "div_",
        "zero_",
        "fill_",
        "neg_",
        "pow_",
        "clamp_",
    ],
)
def test_inplace_op_on_non_leaf_sets_grad_fn_to_the_op_node(op, expected):  # semantics §12
    x = ones_leaf(3)
    w = x * 1
    op(w)
    assert grad_fn_name(w) == expected


def test_inplace_sub_keeps_edge_to_previous_grad_fn():  # semantics §12
    x = ones_leaf(3)
    w = x * 1
    w.sub_(1)
    assert next_names(w.grad_fn) == (("MulBackward0", 0), (None, 0))


def test_inplace_copy_gives_copybackwards_with_edge_to_source():  # semantics §12
    x = ones_leaf(3)
    y = ones_leaf(3)
    w = x * 1
    w.copy_(y)
    assert grad_fn_name(w) == "CopyBackwards"
    assert next_names(w.grad_fn) == (("MulBackward0", 0), ("AccumulateGrad", 0))


def test_setitem_on_non_leaf_gives_copyslices():  # semantics §12
    x = ones_leaf(3)
    w = x * 1
    w[0] = 5.0
    assert grad_fn_name(w) == "CopySlices"


# semantics §12: index assignment into y = x.clone()
INDEX_ASSIGN = [
    (
        "y[0] = 1.",
        lambda y, v: y.__setitem__(0, 1.0),
        "CopySlices",
        (("CloneBackward0", 0), (None, 0)),
    ),
    (
        "y[[0,2]] = v",
        lambda y, v: y.__setitem__([0, 2], v),
        "IndexPutBackward0",
        (("CloneBackward0", 0), ("AccumulateGrad", 0)),
    ),
    (
        "y[[0,2]] = 0.",
        lambda y, v: y.__setitem__([0, 2], 0.0),
        "IndexPutBackward0",
        (("CloneBackward0", 0), (None, 0)),
    ),
    (
        "y[mask] = 0.",
        lambda y, v: y.__setitem__(torch.tensor([True, False, True, False]), 0.0),
        "IndexPutBackward0",
        (("CloneBackward0", 0), (None, 0)),
    ),
    (
        "y[1:] = v",
        lambda y, v: y.__setitem__(slice(1, None), v),
        "CopySlices",
        (("CloneBackward0", 0), ("ExpandBackward0", 0)),
    ),
    (
        "y[0] = v",
        lambda y, v: y.__setitem__(0, v),
        "CopySlices",
        (("CloneBackward0", 0), ("AccumulateGrad", 0)),
    ),
    (
        "y[0,1] = 2.",
        lambda y, v: y.__setitem__((0, 1), 2.0),
        "CopySlices",
        (("CloneBackward0", 0), (None, 0)),
    ),
    (
        "y[...] = 0.",
        lambda y, v: y.__setitem__(Ellipsis, 0.0),
        "FillBackward3",
        (("CloneBackward0", 0), (None, 0)),
    ),
    (
        "y[:] = 0.",
        lambda y, v: y.__setitem__(slice(None), 0.0),
        "FillBackward3",
        (("CloneBackward0", 0), (None, 0)),
    ),
    (
        "y.masked_fill_(mask, 0.)",
        lambda y, v: y.masked_fill_(y > 0, 0.0),
        "MaskedFillBackward0",
        (("CloneBackward0", 0),),
    ),
    ("y += 1", lambda y, v: y.__iadd__(1), "AddBackward0", (("CloneBackward0", 0), (None, 0))),
]


@pytest.mark.parametrize(
    ("expr", "assign", "expected", "edges"), INDEX_ASSIGN, ids=[c[0] for c in INDEX_ASSIGN]
)
def test_index_assignment_into_a_clone_names_and_versions(expr, assign, expected, edges):
    # semantics §12 (index assignment)
    x = ones_leaf(4, 3)
    v = ones_leaf(3)
    y = x.clone()
    assert y._version == 0
    assign(y, v)
    assert grad_fn_name(y) == expected
    assert next_names(y.grad_fn) == edges
    assert y._version == 1


def test_augmented_assignment_on_a_slice_nests_copyslices_and_bumps_twice():  # semantics §12
    x = ones_leaf(4, 3)
    y = x.clone()
    y[:, 0] += 1
    assert grad_fn_name(y) == "CopySlices"
    assert next_names(y.grad_fn) == (("CopySlices", 0), ("AsStridedBackward0", 0))
    inner = y.grad_fn.next_functions[0][0]
    assert next_names(inner) == (("CloneBackward0", 0), (None, 0))
    assert y._version == 2


def test_grad_value_written_into_plain_tensor_makes_copyslices_with_none_edge():  # semantics §12
    v = ones_leaf(3)
    y = torch.zeros(4, 3)
    y[0] = v
    assert grad_fn_name(y) == "CopySlices"
    assert next_names(y.grad_fn) == ((None, 0), ("AccumulateGrad", 0))
    assert y.requires_grad is True
    assert y.is_leaf is False
    assert y._version == 1


def test_constant_write_into_plain_tensor_leaves_it_a_leaf():  # semantics §12
    y = torch.zeros(4, 3)
    y[0] = 1.0
    assert y.grad_fn is None
    assert y.is_leaf is True
    assert y.requires_grad is False
    assert y._version == 1


def test_leaves_have_no_grad_fn():  # semantics §12
    x = ones_leaf(3)
    assert x.grad_fn is None
    assert torch.ones(3).grad_fn is None


def test_edge_to_a_leaf_is_accumulategrad_with_variable_and_name():  # semantics §12
    x = ones_leaf(3)
    node, nr = (x * 2).grad_fn.next_functions[0]
    assert type(node).__name__ == "AccumulateGrad"
    assert nr == 0
    assert node.variable is x
    assert node.name() == "torch::autograd::AccumulateGrad"


def test_accumulategrad_node_is_the_same_object_in_every_graph():  # semantics §12
    x = ones_leaf(3)
    a = (x * 2).grad_fn.next_functions[0][0]
    b = x.exp().grad_fn.next_functions[0][0]
    c = (x + x).grad_fn.next_functions[1][0]
    assert a is b
    assert b is c


def test_constant_scalar_operand_gets_a_none_edge():  # semantics §12
    x = ones_leaf(3)
    assert next_names((x * 2).grad_fn) == (("AccumulateGrad", 0), (None, 0))


def test_constant_tensor_operand_gets_a_none_edge():  # semantics §12
    x = ones_leaf(3)
    c = torch.ones(3)
    assert next_names((x * c).grad_fn) == (("AccumulateGrad", 0), (None, 0))
    assert next_names((c * x).grad_fn) == ((None, 0), ("AccumulateGrad", 0))


@pytest.mark.parametrize(
    "make",
    [lambda x: x * 2, lambda x: x.exp(), lambda x: x.sum(), lambda x: x[0], lambda x: x.t()],
    ids=["mul", "exp", "sum", "select", "t"],
)
def test_node_name_equals_its_class_name(make):  # semantics §12
    x = ones_leaf(2, 2)
    node = make(x).grad_fn
    assert node.name() == type(node).__name__


def test_copyslices_name_is_qualified():  # semantics §12
    x = ones_leaf(3)
    w = x * 1
    w[0] = 5.0
    assert type(w.grad_fn).__name__ == "CopySlices"
    assert w.grad_fn.name() == "torch::autograd::CopySlices"


def test_custom_function_grad_fn_class_is_name_plus_backward():  # semantics §12
    class Sq(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    y = Sq.apply(ones_leaf(3))
    assert type(y.grad_fn).__name__ == "SqBackward"
    assert next_names(y.grad_fn) == (("AccumulateGrad", 0),)


def test_multi_node_chain_next_functions_point_at_producers():  # semantics §12
    x = ones_leaf(3)
    y = ones_leaf(3)
    out = (x * y).exp().sum()
    assert grad_fn_name(out) == "SumBackward0"
    assert next_names(out.grad_fn) == (("ExpBackward0", 0),)
    exp_node = out.grad_fn.next_functions[0][0]
    assert next_names(exp_node) == (("MulBackward0", 0),)
    mul_node = exp_node.next_functions[0][0]
    assert next_names(mul_node) == (("AccumulateGrad", 0), ("AccumulateGrad", 0))


# semantics §12 and semantics §12: the grad_fn of a first-order grad taken with create_graph=True
def _first_order(f, x):
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    return g


CREATE_GRAPH_NAMES = [
    ("x**3", lambda x: (x**3).sum(), "MulBackward0"),
    ("sigmoid", lambda x: x.sigmoid().sum(), "SigmoidBackwardBackward0"),
    ("tanh", lambda x: x.tanh().sum(), "TanhBackwardBackward0"),
    ("exp", lambda x: x.exp().sum(), "MulBackward0"),
    ("x*x", lambda x: (x * x).sum(), "AddBackward0"),
    ("mean(x*x)", lambda x: (x * x).mean(), "AddBackward0"),
    ("a@a", lambda x: (x @ x).sum(), "AddBackward0"),
    (
        "bce_with_logits mean",
        lambda x: F.binary_cross_entropy_with_logits(x, torch.tensor([[0.0, 1.0], [1.0, 0.0]])),
        "DivBackward1",
    ),
    ("sin", lambda x: torch.sin(x).sum(), "MulBackward0"),
    ("log", lambda x: x.log().sum(), "DivBackward0"),
    ("relu", lambda x: x.relu().sum(), "ThresholdBackwardBackward0"),
    ("softmax", lambda x: x.softmax(1).sum(), "SoftmaxBackwardDataBackward0"),
    ("log_softmax", lambda x: x.log_softmax(1).sum(), "LogSoftmaxBackwardDataBackward0"),
    ("mse_loss", lambda x: F.mse_loss(x, torch.zeros(2, 2)), "MseLossBackwardBackward0"),
    ("x[0]**2", lambda x: (x[0] ** 2).sum(), "SelectBackwardBackward0"),
    ("abs", lambda x: x.abs().sum(), "MulBackward0"),
]


@pytest.mark.parametrize(
    ("expr", "f", "expected"), CREATE_GRAPH_NAMES, ids=[c[0] for c in CREATE_GRAPH_NAMES]
)
def test_create_graph_first_order_grad_has_torch_grad_fn_name(expr, f, expected):
    # semantics §12
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    g = _first_order(f, x)
    assert g.requires_grad is True
    assert grad_fn_name(g) == expected


def test_create_graph_first_order_grad_edges_of_sin_and_exp():  # semantics §12
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert next_names(_first_order(lambda t: torch.sin(t).sum(), x).grad_fn) == (
        (None, 0),
        ("CosBackward0", 0),
    )
    assert next_names(_first_order(lambda t: t.exp().sum(), x).grad_fn) == (
        (None, 0),
        ("ExpBackward0", 0),
    )
    assert next_names(_first_order(lambda t: (t**3).sum(), x).grad_fn) == (
        (None, 0),
        ("MulBackward1", 0),
    )


@pytest.mark.parametrize(
    "f",
    [
        lambda x: (x * 2).sum(),
        lambda x: x.sum(),
        lambda x: x.mean(),
        lambda x: (x / 2).sum(),
        lambda x: (x @ torch.ones(2, 3)).sum(),
        lambda x: x.clamp(0, 1).sum(),
        lambda x: x.max(),
    ],
    ids=["x*2", "sum", "mean", "x/2", "mm const W", "clamp", "max"],
)
def test_create_graph_grad_of_a_linear_function_is_a_constant(f):  # semantics §12
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    g = _first_order(f, x)
    assert g.grad_fn is None
    assert g.requires_grad is False


def test_create_graph_matmul_grad_with_grad_requiring_weight_is_mm():  # semantics §12, §5
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = torch.ones(2, 3, requires_grad=True)
    gx, gw = torch.autograd.grad((x @ w).sum(), (x, w), create_graph=True)
    assert grad_fn_name(gx) == "MmBackward0"
    assert next_names(gx.grad_fn) == ((None, 0), ("TBackward0", 0))
    assert grad_fn_name(gw) == "MmBackward0"
    assert next_names(gw.grad_fn) == (("TBackward0", 0), (None, 0))


def test_node_repr_shows_class_name_and_address():  # semantics §12
    x = ones_leaf(3)
    y = x * 2
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-fA-F]+>", repr(y.grad_fn))
    acc = y.grad_fn.next_functions[0][0]
    assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-fA-F]+>", repr(acc))


def test_tensor_repr_names_its_grad_fn():  # semantics §12
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr((x * 2).sum()) == "tensor(6., grad_fn=<SumBackward0>)"


def test_reshape_of_a_viewable_non_contiguous_tensor_is_a_reshape_alias():
    x = torch.ones(4, 6, requires_grad=True)
    assert x.reshape(24).grad_fn.name() == "ViewBackward0"
    assert x.t().reshape(6, 2, 2).grad_fn.name() == "ReshapeAliasBackward0"
    copied = x.t().reshape(2, 12)
    assert copied.grad_fn.name() == "UnsafeViewBackward0"
    assert copied.grad_fn.next_functions[0][0].name() == "CloneBackward0"
