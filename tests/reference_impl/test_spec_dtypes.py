"""docs/semantics.md §10: grad dtypes and shapes, and torch's type promotion table (§10.3).

Observed on torch 2.13.
"""

from __future__ import annotations

import numpy as np
import pytest

import reference_impl as torch
from tests.helpers import raises_exactly

# --- semantics §10: grads have their leaf's dtype and shape ---------------------------------------


def test_default_dtype_is_float32():  # semantics §10
    assert torch.get_default_dtype() == torch.float32
    assert torch.tensor([1.0]).dtype == torch.float32
    assert torch.ones(2).dtype == torch.float32


def test_each_leaf_gets_a_grad_of_its_own_dtype():  # semantics §10
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    out = a * b
    assert out.dtype == torch.float64
    out.sum().backward()
    assert a.grad.dtype == torch.float32
    assert b.grad.dtype == torch.float64
    assert a.grad.tolist() == [3.0, 4.0]
    assert b.grad.tolist() == [1.0, 2.0]


def test_grad_through_dtype_conversion_comes_back_in_leaf_dtype():  # semantics §10
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.double().sum().backward()
    assert x.grad.dtype == torch.float32


def test_sum_with_float64_dtype_gives_float32_grad_for_float32_leaf():  # semantics §10
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    s = x.sum(dtype=torch.float64)
    assert s.dtype == torch.float64
    s.backward()
    assert x.grad.dtype == torch.float32


def test_float64_leaf_stays_float64_through_float32_scalars():  # semantics §10
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = x * 2.5
    assert y.dtype == torch.float64
    y.sum().backward()
    assert x.grad.dtype == torch.float64


def test_broadcast_grad_is_summed_back_to_a_0d_leaf():  # semantics §10
    s = torch.tensor(2.0, requires_grad=True)
    x = torch.ones(2, 3, requires_grad=True)
    (x * s).sum().backward()
    assert s.grad.shape == ()
    assert s.grad.item() == 6.0


def test_broadcast_grad_keeps_size_one_dims():  # semantics §10
    a = torch.ones(2, 1, requires_grad=True)
    b = torch.ones(1, 3, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (2, 1)
    assert a.grad.tolist() == [[3.0], [3.0]]
    assert b.grad.shape == (1, 3)
    assert b.grad.tolist() == [[2.0, 2.0, 2.0]]


def test_broadcast_grad_is_summed_over_leading_dims():  # semantics §10
    v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = torch.ones(2, 3)
    (m + v).sum().backward()
    assert v.grad.shape == (3,)
    assert v.grad.tolist() == [2.0, 2.0, 2.0]


def test_grad_shape_equals_leaf_shape():  # semantics §10
    x = torch.ones(2, 3, requires_grad=True)
    x.mean().backward()
    assert x.grad.shape == x.shape
    assert type(x.grad.shape).__name__ == "Size"


# --- semantics §10: result dtype of mixed-dtype ops -----------------------------------------------


def f32(*shape):
    return torch.ones(shape)


def f64(*shape):
    return torch.ones(shape, dtype=torch.float64)


def i64(*shape):
    return torch.ones(shape, dtype=torch.int64)


def i32(*shape):
    return torch.ones(shape, dtype=torch.int32)


def b(*shape):
    return torch.ones(shape, dtype=torch.bool)


PROMOTION = [
    ("f32(2) + f64 0-d", lambda: f32(2) + f64(), "float32"),
    ("f32(2) + f64(1)", lambda: f32(2) + f64(1), "float64"),
    ("f32 0-d + f64 0-d", lambda: f32() + f64(), "float64"),
    ("f32 * f64", lambda: f32(2) * f64(2), "float64"),
    ("i64 + 2.5", lambda: i64(2) + 2.5, "float32"),
    ("i64 * 2.5", lambda: i64(2) * 2.5, "float32"),
    ("i32 + 2.5", lambda: i32(2) + 2.5, "float32"),
    ("i64 + 2", lambda: i64(2) + 2, "int64"),
    ("i32 + 1", lambda: i32(2) + 1, "int32"),
    ("i32 + i64", lambda: i32(2) + i64(2), "int64"),
    ("i32 + i64 0-d", lambda: i32(2) + i64(), "int32"),
    ("i64 + f32 0-d", lambda: i64(2) + f32(), "float32"),
    ("i64 + f64 0-d", lambda: i64(2) + f64(), "float64"),
    ("i32 + f32", lambda: i32(2) + f32(2), "float32"),
    ("f32 0-d + i64", lambda: f32() + i64(2), "float32"),
    ("bool + 1", lambda: b(2) + 1, "int64"),
    ("bool + i64", lambda: b(2) + i64(2), "int64"),
    ("bool + bool", lambda: b(2) + b(2), "bool"),
    ("bool * 2.5", lambda: b(2) * 2.5, "float32"),
    ("bool + f32 0-d", lambda: b(2) + f32(), "float32"),
    ("f32 + True", lambda: f32(2) + True, "float32"),
    ("i64 + True", lambda: i64(2) + True, "int64"),
    ("f32 + np.float64", lambda: f32(2) + np.float64(2.0), "float32"),
    ("i64 / i64", lambda: i64(2) / i64(2), "float32"),
    ("i32 / i32", lambda: i32(2) / i32(2), "float32"),
    ("i64 / 2", lambda: i64(2) / 2, "float32"),
    ("bool / bool", lambda: b(2) / b(2), "float32"),
    ("i64 // 2", lambda: i64(2) // 2, "int64"),
    ("div floor", lambda: torch.div(i64(2), i64(2), rounding_mode="floor"), "int64"),
    ("i32.sum()", lambda: i32(2).sum(), "int64"),
    ("bool.sum()", lambda: b(2).sum(), "int64"),
    ("i32.prod()", lambda: i32(2).prod(), "int64"),
    ("i32.cumsum(0)", lambda: i32(2).cumsum(0), "int64"),
    ("i32.sum(dtype=i32)", lambda: i32(2).sum(dtype=torch.int32), "int32"),
    ("i32.max()", lambda: i32(2).max(), "int32"),
    ("f32.sum(dtype=i64)", lambda: f32(2).sum(dtype=torch.int64), "int64"),
    ("i64.mean(dtype=f32)", lambda: i64(2).mean(dtype=torch.float32), "float32"),
    ("i64 ** 2", lambda: i64(2) ** 2, "int64"),
    ("i64 ** 0.5", lambda: i64(2) ** 0.5, "float32"),
    ("2 ** i64", lambda: 2 ** i64(2), "int64"),
    ("2. ** i64", lambda: 2.0 ** i64(2), "float32"),
    ("i64.sqrt()", lambda: i64(2).sqrt(), "float32"),
    ("i64.exp()", lambda: i64(2).exp(), "float32"),
    ("i64.sigmoid()", lambda: i64(2).sigmoid(), "float32"),
    ("bool.sqrt()", lambda: b(2).sqrt(), "float32"),
    ("i64.abs()", lambda: i64(2).abs(), "int64"),
    ("-i64", lambda: -i64(2), "int64"),
    ("where(b, i64, 2.5)", lambda: torch.where(b(2), i64(2), 2.5), "float32"),
    ("where(b, f32, 0)", lambda: torch.where(b(2), f32(2), 0), "float32"),
    ("where(b, f32, f64 0-d)", lambda: torch.where(b(2), f32(2), f64()), "float32"),
    ("cat([f32, f64(1)])", lambda: torch.cat([f32(2), f64(1)]), "float64"),
    ("cat([i64, f32])", lambda: torch.cat([i64(2), f32(2)]), "float32"),
    ("stack([f32, f64])", lambda: torch.stack([f32(2), f64(2)]), "float64"),
    ("maximum(i64, f32)", lambda: torch.maximum(i64(2), f32(2)), "float32"),
    ("i64.clamp(0.5)", lambda: i64(2).clamp(0.5), "float32"),
    ("i64.clamp(min=0)", lambda: i64(2).clamp(min=0), "int64"),
    ("i64 @ i64", lambda: i64(2) @ i64(2), "int64"),
    ("f32.pow(f64 0-d)", lambda: f32(2).pow(f64()), "float32"),
]


@pytest.mark.parametrize(("expr", "make", "expected"), PROMOTION, ids=[c[0] for c in PROMOTION])
def test_result_dtype_follows_torch_promotion(expr, make, expected):  # semantics §10
    assert make().dtype == getattr(torch, expected)


def test_bool_plus_bool_is_logical_or():  # semantics §10
    out = torch.tensor([True, False]) + torch.tensor([False, False])
    assert out.tolist() == [True, False]


FACTORY_DTYPES = [
    ("tensor(3)", lambda: torch.tensor(3), "int64"),
    ("tensor(3.)", lambda: torch.tensor(3.0), "float32"),
    ("tensor([True])", lambda: torch.tensor([True]), "bool"),
    ("tensor([1, 2.5])", lambda: torch.tensor([1, 2.5]), "float32"),
    ("tensor([1, True])", lambda: torch.tensor([1, True]), "int64"),
    ("tensor(np f64 array)", lambda: torch.tensor(np.array([1.0, 2.0])), "float64"),
    ("from_numpy f64", lambda: torch.from_numpy(np.array([1.0, 2.0])), "float64"),
    ("tensor(np.float64)", lambda: torch.tensor(np.float64(1.0)), "float64"),
    ("tensor(np int array)", lambda: torch.tensor(np.array([1, 2])), "int64"),
    ("arange(3)", lambda: torch.arange(3), "int64"),
    ("arange(3.)", lambda: torch.arange(3.0), "float32"),
    ("arange(0,1,0.25)", lambda: torch.arange(0, 1, 0.25), "float32"),
    ("full int", lambda: torch.full((2,), 3), "int64"),
    ("full float", lambda: torch.full((2,), 3.0), "float32"),
    ("full bool", lambda: torch.full((2,), True), "bool"),
    ("linspace", lambda: torch.linspace(0, 1, 3), "float32"),
    ("zeros", lambda: torch.zeros(2), "float32"),
    ("eye", lambda: torch.eye(2), "float32"),
    ("randn", lambda: torch.randn(2), "float32"),
    ("randint", lambda: torch.randint(0, 5, (2,)), "int64"),
]


@pytest.mark.parametrize(
    ("expr", "make", "expected"), FACTORY_DTYPES, ids=[c[0] for c in FACTORY_DTYPES]
)
def test_factory_dtype_matches_torch(expr, make, expected):  # semantics §10
    assert make().dtype == getattr(torch, expected)


def test_tensor_with_mixed_bool_and_int_converts_bools():  # semantics §10
    assert torch.tensor([1, True]).tolist() == [1, 1]
    assert torch.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]


@pytest.mark.parametrize(("dtype", "name"), [("int64", "Long"), ("bool", "Bool")])
def test_mean_of_integer_tensor_raises(dtype, name):  # semantics §10
    t = torch.zeros(2, dtype=getattr(torch, dtype))
    message = (
        "mean(): could not infer output dtype. Input dtype must be either a floating point or "
        f"complex dtype. Got: {name}"
    )
    with raises_exactly(RuntimeError, message):
        t.mean()
    with raises_exactly(RuntimeError, message):
        t.mean(0)


def test_var_and_std_of_integer_tensor_raise():  # semantics §10
    message = "std and var only support floating point and complex dtypes"
    with raises_exactly(RuntimeError, message):
        i64(2).var()
    with raises_exactly(RuntimeError, message):
        i64(2).std()


def test_norm_of_integer_tensor_raises():  # semantics §10
    with raises_exactly(
        RuntimeError,
        "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long",
    ):
        i64(2).norm()


def test_inplace_op_keeps_the_dtype_of_self():  # semantics §10
    t = torch.ones(2)
    t.mul_(torch.tensor([2.0, 3.0], dtype=torch.float64))
    assert t.dtype == torch.float32
    assert t.tolist() == [2.0, 3.0]


def test_inplace_float_into_integer_raises():  # semantics §10
    with raises_exactly(
        RuntimeError, "result type Float can't be cast to the desired output type Long"
    ):
        i64(2).add_(0.5)
