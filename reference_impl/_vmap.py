"""``torch.func.vmap`` by looping: the function runs once per entry of the mapped dimension
and the results are stacked along ``out_dims``.

torch batches with BatchedTensors instead, but what a program observes for pure functions is
the same: values, shapes, errors for mismatched batch sizes or bad ``in_dims``, and gradients
(each entry is a ``select`` view of its input, so backward reaches the caller's tensors).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ._functions import stack
from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten
from ._tensor import Tensor

__all__ = ["vmap"]


def _name(func: Callable[..., Any]) -> str:
    return getattr(func, "__name__", repr(func))


def vmap(
    func: Callable[..., Any],
    in_dims: Any = 0,
    out_dims: Any = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """``func`` mapped over dimension ``in_dims`` of its inputs (None: not mapped; a tuple: one
    entry per positional argument, possibly nested like the argument)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
        if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
            raise ValueError(
                f"{where}: expected `in_dims` to be int or a (potentially nested) tuple "
                f"matching the structure of inputs, got: {type(in_dims)}."
            )
        leaves, spec = tree_flatten(args)
        dims = broadcast_prefix(in_dims, spec)
        if dims is None:
            raise ValueError(
                f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims "
                f"has structure {tree_flatten(in_dims)[1]} but inputs has structure {spec}."
            )
        size = _batch_size(leaves, dims, where)
        results = []
        for b in range(size):
            picked = [
                leaf if d is None else leaf.select(d, b)
                for leaf, d in zip(leaves, dims, strict=True)
            ]
            results.append(func(*tree_unflatten(picked, spec), **kwargs))
        return _stack_outputs(func, results, out_dims)

    return wrapper


def _batch_size(leaves: list[Any], dims: list[Any], where: str) -> int:
    """The common size of the mapped dimensions; torch's errors for the ways it can fail."""
    sizes = []
    for leaf, d in zip(leaves, dims, strict=True):
        if d is None:
            continue
        if not isinstance(leaf, Tensor):
            raise ValueError(
                f"{where}: Got in_dim={d} for an input but the input is of type {type(leaf)}. "
                "We cannot vmap over non-Tensor arguments, please use None as the respective "
                "in_dim"
            )
        n = leaf.dim()
        if not isinstance(d, int) or not -n <= d < n:
            raise ValueError(
                f"{where}: Got in_dim={d} for some input, but that input is a Tensor of "
                f"dimensionality {n} so expected in_dim to satisfy -{n} <= in_dim < {n}."
            )
        sizes.append(leaf.shape[d])
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if len(set(sizes)) > 1:
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension"
        )
    return int(sizes[0])


def _stack_outputs(func: Callable[..., Any], results: list[Any], out_dims: Any) -> Any:
    """Stack each output leaf over the batch at its ``out_dims`` entry (None: take it as is)."""
    per_call = [tree_flatten(r) for r in results]
    spec = per_call[0][1]
    dims = broadcast_prefix(out_dims, spec)
    if dims is None:
        raise ValueError(
            f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
            f"compatible with the structure of `outputs`. out_dims has structure "
            f"{tree_flatten(out_dims)[1]} but outputs has structure {spec}."
        )
    stacked = []
    for k, d in enumerate(dims):
        column = [leaves[k] for leaves, _ in per_call]
        if d is None:
            stacked.append(column[0])
            continue
        if not isinstance(column[0], Tensor):
            raise ValueError(
                f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type "
                f"{type(column[0])}. Did you mean to set out_dims= to None for output?"
            )
        stacked.append(stack(column, dim=d))
    return tree_unflatten(stacked, spec)
