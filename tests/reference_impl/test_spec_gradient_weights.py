"""docs/semantics.md §2: the ``gradient=`` / ``grad_outputs=`` / ``grad_tensors=`` weights.

Observed on torch 2.13.
"""

from __future__ import annotations

import pytest

import reference_impl as torch
from tests.helpers import leaf

pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")


def test_gradient_weights_the_vector_jacobian_product():  # semantics §2
    x = leaf(1.0, 2.0, 3.0)
    (x**2).backward(torch.tensor([1.0, 0.0, -1.0]))
    assert x.grad.tolist() == [2.0, 0.0, -6.0]


def test_grad_outputs_weights_autograd_grad():  # semantics §2
    x = leaf(1.0, 2.0, 3.0)
    (g,) = torch.autograd.grad(x**2, x, grad_outputs=torch.tensor([1.0, 0.0, -1.0]))
    assert g.tolist() == [2.0, 0.0, -6.0]


def test_explicit_gradient_for_a_scalar_output():  # semantics §2
    x = leaf(1.0, 2.0)
    (x * 3).sum().backward(torch.tensor(2.0))
    assert x.grad.tolist() == [6.0, 6.0]


def test_gradient_shape_must_match_exactly():  # semantics §2
    x = leaf(1.0, 2.0)
    with pytest.raises(RuntimeError, match=r"^Mismatch in shape: grad_output\[0\]"):
        (x * 2).backward(torch.ones(1, 2))


@pytest.mark.parametrize(
    "gradient",
    [
        lambda: torch.tensor([1.0, 2.0], dtype=torch.float64),
        lambda: torch.tensor([1, 2]),
        lambda: torch.tensor([1, 2], dtype=torch.int32),
        lambda: torch.tensor([True, False]),
    ],
    ids=["float64", "int64", "int32", "bool"],
)
def test_gradient_of_any_real_dtype_is_cast_to_the_output_dtype(gradient):  # semantics §2
    x = leaf(1.0, 2.0)
    g = gradient()
    (x * 3).backward(g)
    assert x.grad.dtype == torch.float32
    assert x.grad.tolist() == [3.0 * float(v) for v in g.tolist()]


def test_float32_gradient_for_float64_output_is_cast():  # semantics §2
    x = leaf(1.0, 2.0, dtype=torch.float64)
    (x * 3).backward(torch.tensor([1.0, 1.0]))
    assert x.grad.dtype == torch.float64
    assert x.grad.tolist() == [3.0, 3.0]


def test_autograd_backward_sums_contributions_of_all_roots():  # semantics §2
    x = leaf(1.0, 2.0)
    s = (x * x).sum()
    v = x * 3
    torch.autograd.backward([s, v], [None, torch.ones(2)])
    assert x.grad.tolist() == [5.0, 7.0]


def test_autograd_backward_accepts_grad_tensors_keyword():  # semantics §2
    x = leaf(1.0, 2.0)
    torch.autograd.backward([x * 2], grad_tensors=[torch.tensor([1.0, 10.0])])
    assert x.grad.tolist() == [2.0, 20.0]


def test_autograd_grad_sums_weighted_outputs():  # semantics §2
    x = leaf(1.0, 2.0)
    (g,) = torch.autograd.grad(
        [x * 2, x * 3], x, grad_outputs=[torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])]
    )
    assert g.tolist() == [2.0, 3.0]


def test_none_grad_output_for_scalar_is_implicitly_one():  # semantics §2
    x = leaf(1.0, 2.0)
    (g,) = torch.autograd.grad([(x * 2).sum()], [x], grad_outputs=[None])
    assert g.tolist() == [2.0, 2.0]


def test_gradient_is_not_modified_by_backward():  # semantics §2
    x = leaf(1.0, 2.0)
    g = torch.tensor([1.0, 2.0])
    (x * 3).backward(g)
    (x * 3).backward(g)
    assert g.tolist() == [1.0, 2.0]
    assert x.grad.tolist() == [6.0, 12.0]


def test_retain_graph_defaults_to_create_graph():  # semantics §2
    x = leaf(1.0, 2.0)
    y = (x**3).sum()
    y.backward(create_graph=True)
    y.backward()  # no freed-graph error: the first call retained the graph
    assert x.grad.tolist() == [6.0, 24.0]


def test_autograd_grad_retain_graph_defaults_to_create_graph():  # semantics §2
    x = leaf(1.0, 2.0)
    y = (x**3).sum()
    torch.autograd.grad(y, x, create_graph=True)
    (g,) = torch.autograd.grad(y, x)
    assert g.tolist() == [3.0, 12.0]


def test_gradient_that_requires_grad_under_create_graph_is_differentiable():  # semantics §2
    x = leaf(1.0, 2.0)
    v = leaf(1.0, 1.0)
    (g,) = torch.autograd.grad(x**2, x, grad_outputs=v, create_graph=True)
    assert g.requires_grad is True
    (gv,) = torch.autograd.grad(g.sum(), v)
    assert gv.tolist() == [2.0, 4.0]
