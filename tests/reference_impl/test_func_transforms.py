"""torch.func's vjp, jvp, jacrev, jacfwd, hessian and vmap on reference_impl, checked against
central finite differences in float64 and against plain loops (torch is blocked here)."""

from __future__ import annotations

import numpy as np
import pytest

import reference_impl as torch

F = torch.func


def _fd_jacobian(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f / d x by central differences, shaped f(x).shape + x.shape."""
    out_shape = np.shape(f(x))
    jac = np.zeros(out_shape + x.shape)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        jac[(..., *i)] = (np.asarray(f(up)) - np.asarray(f(down))) / (2 * eps)
    return jac


def vector_fn(t):
    return t.sin() * t.sum() + t**3


def _np(f):
    return lambda v: f(torch.tensor(v, dtype=torch.float64)).numpy()


X = np.array([0.3, -1.2, 2.0])


@pytest.mark.parametrize("transform", [F.jacrev, F.jacfwd], ids=["jacrev", "jacfwd"])
def test_jacobians_match_finite_differences(transform):
    found = transform(vector_fn)(torch.tensor(X, dtype=torch.float64))
    np.testing.assert_allclose(found.numpy(), _fd_jacobian(_np(vector_fn), X), rtol=1e-7)


def test_jacobians_of_two_inputs_have_shape_out_plus_in_per_input():
    a = torch.tensor(X, dtype=torch.float64)
    b = torch.tensor([[0.5, 1.5], [2.0, -1.0]], dtype=torch.float64)
    f = lambda u, v: (u[:2] * v).sin() * u.sum()  # noqa: E731
    rev = F.jacrev(f, argnums=(0, 1))(a, b)
    fwd = F.jacfwd(f, argnums=(0, 1))(a, b)
    assert tuple(rev[0].shape) == (2, 2, 3) and tuple(rev[1].shape) == (2, 2, 2, 2)
    for r, w in zip(rev, fwd, strict=True):
        np.testing.assert_allclose(r.numpy(), w.numpy(), rtol=1e-12, atol=1e-15)


def test_hessian_matches_finite_differences_of_the_gradient():
    f = lambda t: (t**3 * t.sin()).sum()  # noqa: E731
    found = F.hessian(f)(torch.tensor(X, dtype=torch.float64))
    gradient = _np(lambda t: F.grad(f)(t))
    np.testing.assert_allclose(found.numpy(), _fd_jacobian(gradient, X), rtol=1e-6)
    np.testing.assert_allclose(found.numpy(), found.numpy().T, rtol=1e-12)


def test_vjp_is_the_cotangent_times_the_jacobian_and_can_be_called_twice():
    x = torch.tensor(X, dtype=torch.float64)
    v = np.array([1.0, -2.0, 0.5])
    out, vjp_fn = F.vjp(vector_fn, x)
    jac = _fd_jacobian(_np(vector_fn), X)
    for _ in range(2):
        (found,) = vjp_fn(torch.tensor(v, dtype=torch.float64))
        np.testing.assert_allclose(found.numpy(), v @ jac, rtol=1e-7)
    assert not out.requires_grad and not x.requires_grad


def test_jvp_is_the_jacobian_times_the_tangent():
    x = torch.tensor(X, dtype=torch.float64)
    v = np.array([1.0, -2.0, 0.5])
    out, tangent = F.jvp(vector_fn, (x,), (torch.tensor(v, dtype=torch.float64),))
    np.testing.assert_allclose(out.numpy(), vector_fn(x).numpy())
    np.testing.assert_allclose(tangent.numpy(), _fd_jacobian(_np(vector_fn), X) @ v, rtol=1e-7)


def test_jvp_wants_tuples_of_primals():
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        F.jvp(vector_fn, torch.ones(2), torch.ones(2))


def test_vmap_equals_a_loop_over_the_mapped_dimension():
    x = torch.tensor(np.arange(12.0).reshape(3, 4) / 7, dtype=torch.float64)
    w = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    found = F.vmap(lambda col, s: col.sin() * s, in_dims=(1, None))(x, w)
    expected = np.stack([np.sin(x.numpy()[:, j]) * w.numpy() for j in range(4)])
    np.testing.assert_allclose(found.numpy(), expected)
    moved = F.vmap(lambda row: row * 2, out_dims=1)(x)
    np.testing.assert_allclose(moved.numpy(), (x.numpy() * 2).T)


def test_vmap_of_jacrev_gives_per_sample_jacobians():
    batch = np.array([[0.1, 0.2, 0.3], [-1.0, 0.5, 2.0]])
    found = F.vmap(F.jacrev(vector_fn))(torch.tensor(batch, dtype=torch.float64))
    for i, row in enumerate(batch):
        np.testing.assert_allclose(found[i].numpy(), _fd_jacobian(_np(vector_fn), row), rtol=1e-7)


def test_vmap_refuses_mismatched_batch_sizes_with_torchs_text():
    with pytest.raises(ValueError, match=r"got sizes \[4, 5\] for the mapped dimension"):
        F.vmap(lambda a, b: a + b)(torch.ones(4, 2), torch.ones(5, 2))
