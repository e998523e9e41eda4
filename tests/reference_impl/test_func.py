"""torch.func.grad / grad_and_value on reference_impl: the gradient as a function, checked
against central finite differences in float64 (torch is blocked here)."""

from __future__ import annotations

import numpy as np
import pytest

import reference_impl as torch


def _central(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        out[i] = (f(up) - f(down)) / (2 * eps)
    return out


def cubic_mix(x):
    return (x**3 * x.sin()).sum()


def test_grad_matches_finite_differences_and_leaves_its_input_alone():
    values = np.array([0.3, -1.2, 2.0])
    x = torch.tensor(values, dtype=torch.float64)
    found = torch.func.grad(cubic_mix)(x)
    expected = _central(lambda v: float(cubic_mix(torch.tensor(v, dtype=torch.float64))), values)
    np.testing.assert_allclose(found.numpy(), expected, rtol=1e-7)
    assert not x.requires_grad and x.grad is None and not found.requires_grad


def test_argnums_tuple_gives_a_tuple_and_grad_and_value_gives_the_value():
    x, y = torch.ones(2), torch.full((2,), 3.0)
    gx, gy = torch.func.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(x, y)
    assert gx.tolist() == [3.0, 3.0] and gy.tolist() == [1.0, 1.0]
    gradient, value = torch.func.grad_and_value(lambda a: (a**2).sum())(torch.tensor([1.0, 2.0]))
    assert gradient.tolist() == [2.0, 4.0] and value.item() == 5.0


def test_a_non_scalar_result_is_torchs_error():
    with pytest.raises(RuntimeError, match=r"Expected f\(\*args\) to return a scalar Tensor"):
        torch.func.grad(lambda a: a * 2)(torch.ones(2))


def test_the_gradient_of_an_input_that_requires_grad_is_differentiable_again():
    x = torch.tensor([0.5, 2.0], dtype=torch.float64, requires_grad=True)
    first = torch.func.grad(lambda a: (a**3).sum())(x)
    (second,) = torch.autograd.grad(first.sum(), x)
    np.testing.assert_allclose(second.numpy(), 6 * x.detach().numpy())
