"""``torch.func.grad`` and ``grad_and_value``: a function's gradient as a function.

torch builds these on functorch's levels; here a call differentiates ``func`` with the ordinary
engine: the chosen arguments are made fresh leaves (or, when they already require grad, views
of themselves, so the gradient stays differentiable with respect to them, as torch's is), and
``autograd.grad`` of the scalar result is returned with the value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._grad_mode import enable_grad, is_grad_enabled
from ._tensor import Tensor
from .autograd import grad as autograd_grad

__all__ = ["grad", "grad_and_value"]


def grad_and_value(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """``(gradient, value)`` of ``func`` with respect to the arguments ``argnums`` names."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        numbers = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        for number in numbers:
            if number >= len(args):
                raise RuntimeError(f"Got argnum={number}, but only {len(args)} positional inputs")
        nested = is_grad_enabled() and any(args[n].requires_grad for n in numbers)
        with enable_grad():
            inner = list(args)
            for number in numbers:
                arg = args[number]
                inner[number] = arg.view_as(arg) if nested else arg.detach().requires_grad_(True)
            out = func(*inner, **kwargs)
            value, aux = out if has_aux else (out, None)
            if not isinstance(value, Tensor) or value.dim() != 0:
                dims = value.dim() if isinstance(value, Tensor) else "no"
                raise RuntimeError(
                    f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, "
                    f"got tensor with {dims} dims. Maybe you wanted to use the vjp or jacrev "
                    "APIs instead?"
                )
            found = autograd_grad(
                value, [inner[n] for n in numbers], create_graph=nested, allow_unused=True
            )
        grads = tuple(
            inner[n].detach() * 0 if g is None else g for n, g in zip(numbers, found, strict=True)
        )
        result = grads[0] if isinstance(argnums, int) else grads
        value = value if nested else value.detach()
        return (result, (value, aux)) if has_aux else (result, value)

    return wrapper


def grad(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The gradient of ``func`` (a scalar) with respect to the arguments ``argnums`` names."""
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gradient, value = both(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper
