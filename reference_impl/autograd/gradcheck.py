"""Finite-difference gradient checks: the reference engine's own oracle.

Central differences in float64 against the engine's vector-Jacobian products, first order
(``gradcheck``) and second order (``gradgradcheck``). Torch-compatible signatures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._grad_mode import enable_grad
from .._tensor import Tensor
from ._api import grad


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return x if isinstance(x, tuple) else (x,)


def numerical_jacobian(
    fn: Callable[..., Any], inputs: Sequence[Any], eps: float
) -> list[np.ndarray]:
    """d(flattened outputs)/d(each differentiable input), one (n_out, n_in) matrix per input."""
    jacobians = []
    for inp in inputs:
        if not (isinstance(inp, Tensor) and inp.requires_grad):
            continue
        data = inp._data  # perturbed in place, element by element (works for any layout)
        cols = []
        for idx in np.ndindex(data.shape):
            orig = data[idx].copy()
            # Grad mode stays on: gradgradcheck's function itself calls autograd.grad.
            data[idx] = orig + eps
            plus = _flat_outputs(fn(*inputs))
            data[idx] = orig - eps
            minus = _flat_outputs(fn(*inputs))
            data[idx] = orig
            cols.append((plus - minus) / (2 * eps))
        jacobians.append(np.stack(cols, axis=1) if cols else np.zeros((0, 0)))
    return jacobians


def _flat_outputs(out: Any) -> np.ndarray:
    parts = [
        o._data.astype(np.float64).reshape(-1) for o in _as_tuple(out) if isinstance(o, Tensor)
    ]
    return np.concatenate(parts) if parts else np.zeros(0)


def analytical_jacobian(fn: Callable[..., Any], inputs: Sequence[Any]) -> list[np.ndarray]:
    """The same matrices from the engine, one backward per output element."""
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    outputs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    n_out = sum(o.numel() for o in outputs)
    jac = [np.zeros((n_out, t.numel())) for t in diff_inputs]
    row = 0
    for out in outputs:
        if not out.requires_grad:  # a constant output: its rows stay zero
            row += out.numel()
            continue
        for k in range(out.numel()):
            seed = np.zeros(out.numel(), dtype=out._data.dtype)
            seed[k] = 1
            g = Tensor._from_array(seed.reshape(out._data.shape))
            grads = grad(out, diff_inputs, g, retain_graph=True, allow_unused=True)
            for j, gi in enumerate(grads):
                if gi is not None:
                    jac[j][row] = gi._data.reshape(-1)
            row += 1
    return jac


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **_: Any,
) -> bool:
    inputs = _as_tuple(inputs)
    numeric = numerical_jacobian(fn, inputs, eps)
    analytic = analytical_jacobian(fn, inputs)
    for i, (n, a) in enumerate(zip(numeric, analytic, strict=True)):
        if not np.allclose(a, n, atol=atol, rtol=rtol, equal_nan=True):
            if raise_exception:
                raise GradcheckError(
                    f"Jacobian mismatch for output 0 with respect to input {i},\n"
                    f"numerical:{n}\nanalytical:{a}\n"
                )
            return False
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **_: Any,
) -> bool:
    """gradcheck of ``(inputs, grad_outputs) -> grad(fn(inputs), inputs, grad_outputs)``.

    As torch's: the default grad_outputs are random leaves that require grad, so the check also
    covers the derivative w.r.t. the incoming gradient (backward nodes linear in it included).
    """
    inputs = _as_tuple(inputs)
    outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._from_array(
                rng.standard_normal(o._data.shape).astype(o._data.dtype)
            ).requires_grad_()
            for o in outs
        )
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_order(*args: Any) -> tuple[Tensor, ...]:
        fn_args, gos = args[:n_in], args[n_in:]
        diff = [t for t in fn_args if isinstance(t, Tensor) and t.requires_grad]
        # numerical_jacobian evaluates this under no_grad: the inner graph must still be built.
        with enable_grad():
            out = [o for o in _as_tuple(fn(*fn_args)) if isinstance(o, Tensor) and o.requires_grad]
            gs = grad(out, diff, gos, create_graph=True, allow_unused=True)
        return tuple(
            g if g is not None else Tensor._from_array(np.zeros(t._data.shape, t._data.dtype))
            for g, t in zip(gs, diff, strict=True)
        )

    return gradcheck(
        first_order,
        (*inputs, *grad_outputs),
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )


class GradcheckError(RuntimeError):
    pass
