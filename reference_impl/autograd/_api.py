"""``autograd.backward`` and ``autograd.grad``: argument checks as torch does them, then the
engine. The checks and their order (and messages) are torch's ``_make_grads``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._engine import run_backward
from .._node import gradient_edge
from .._tensor import Tensor
from .._warn import warn_once

CREATE_GRAPH_CYCLE_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using autograd.grad "
    "when creating the graph to avoid this. If you have to use this function, make sure to reset "
    "the .grad fields of your parameters to None after use to break the cycle and avoid the leak."
)


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if isinstance(value, Tensor):
        return (value,)
    return tuple(value)


def _grads_tuple(grads: Any, n: int) -> tuple[Any, ...]:
    if grads is None:
        return (None,) * n
    if isinstance(grads, Tensor):
        return (grads,)
    return tuple(grads)


def _matching_grads(grads: Any, n: int) -> tuple[Any, ...]:
    """One gradient per output; torch rejects too few and silently ignores extras."""
    given = _grads_tuple(grads, n)
    if len(given) < n:
        raise RuntimeError(f"got {n} tensors and {len(given)} gradients")
    return given[:n]


def _make_grads(outputs: Sequence[Tensor], grads: Sequence[Any]) -> list[Tensor | None]:
    new: list[Tensor | None] = []
    for out, grad in zip(outputs, grads, strict=True):
        if isinstance(grad, Tensor):
            if tuple(grad.shape) != tuple(out.shape):
                # torch finds the positions with list.index, i.e. with tensor ==: an earlier
                # tensor of another shape makes that comparison raise first. Same here.
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{list(grads).index(grad)}] has a shape of "
                    f"{grad.shape!r} and output[{list(outputs).index(out)}] has a shape of "
                    f"{out.shape!r}."
                )
            new.append(grad if grad.dtype is out.dtype else grad.to(out.dtype))
        elif grad is None:
            if out.requires_grad:
                if out.numel() != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if not out.dtype.is_floating_point:
                    raise RuntimeError(
                        "grad can be implicitly created only for real scalar outputs but got "
                        f"{out.dtype}"
                    )
                new.append(Tensor._from_array(np.ones(tuple(out.shape), dtype=out.dtype.numpy)))
            else:
                new.append(None)
        else:
            raise TypeError(
                f"gradients can be either Tensors or None, but got {type(grad).__name__}"
            )
    return new


def _root_edges(outputs: Sequence[Tensor]) -> list[Any]:
    edges = []
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        edges.append(gradient_edge(out))
    return edges


def _check_inputs(inputs: Sequence[Tensor], retain: bool = False) -> None:
    """Inputs must require grad. backward(inputs=...) also retains their grads (torch calls
    ``retain_grad()`` on each, so a non-leaf input's ``.grad`` fills and stays retained)."""
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element of inputs, got {type(t).__name__}")
        if retain:
            t.retain_grad()
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables: Any = None,
    inputs: Any = None,
) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves (or of ``inputs``)."""
    if grad_variables is not None:
        grad_tensors = grad_variables
    outputs = _as_tuple(tensors)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if len(inputs) == 0:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    grads_in = _matching_grads(grad_tensors, len(outputs))
    grads = _make_grads(outputs, grads_in)
    if retain_graph is None:
        retain_graph = create_graph
    edges = _root_edges(outputs)
    if inputs is not None:
        _check_inputs(inputs, retain=True)
    if create_graph:  # torch's TORCH_WARN_ONCE: once per process unless warn-always
        warn_once(CREATE_GRAPH_CYCLE_WARNING, stacklevel=3)
    run_backward(
        edges,
        grads,
        keep_graph=retain_graph,
        create_graph=create_graph,
        inputs=inputs,
        accumulate=True,
    )


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` w.r.t. ``inputs``; never touches ``.grad``."""
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
            "allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    grads_in = _matching_grads(grad_outputs, len(outs))
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        result = _batched_grads(outs, ins, grads_in, retain_graph, create_graph)
    else:
        grads = _make_grads(outs, grads_in)
        edges = _root_edges(outs)
        _check_inputs(ins)
        result = run_backward(
            edges,
            grads,
            keep_graph=retain_graph,
            create_graph=create_graph,
            inputs=ins,
            accumulate=False,
        )
    final: list[Tensor | None] = []
    for i, (g, inp) in enumerate(zip(result, ins, strict=True)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                g = Tensor._from_array(np.zeros(tuple(inp.shape), dtype=inp.dtype.numpy))
        final.append(g)
    return tuple(final)


def _check_batched_shapes(outputs: Sequence[Tensor], grads: Sequence[Any]) -> None:
    """Each grad_output's first dim is the batch; the rest must match its output."""
    for out, grad in zip(outputs, grads, strict=True):
        if not isinstance(grad, Tensor):
            continue
        first = grad[0]
        if tuple(first.shape) != tuple(out.shape):
            # torch prints the shape of grad[0] without its first dim.
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{list(grads).index(grad)}] has a shape of "
                f"{first.shape[1:]!r} and output[{list(outputs).index(out)}] has a shape of "
                f"{out.shape!r}. If you only want some tensors in `grad_output` to be "
                "considered batched, consider using vmap."
            )


def _batched_grads(
    outputs: tuple[Tensor, ...],
    inputs: tuple[Tensor, ...],
    grads_in: tuple[Any, ...],
    retain_graph: bool,
    create_graph: bool,
) -> list[Tensor | None]:
    """``is_grads_batched=True``: one backward per slice of the grad_outputs' first dim, the
    gradients stacked along a new first dim (torch vmaps that one backward instead)."""
    from .._functions import stack

    _check_batched_shapes(outputs, grads_in)
    grads = _make_grads(outputs, [g[0] if isinstance(g, Tensor) else g for g in grads_in])
    for g, given in zip(grads, grads_in, strict=True):
        if given is None and g is not None and g.ndim == 0:
            raise ValueError(
                "vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some input, but that "
                "input is a Tensor of dimensionality 0 so expected in_dim to satisfy "
                "0 <= in_dim < 0."
            )
    edges = _root_edges(outputs)
    _check_inputs(inputs)
    sizes = [g.shape[0] for g in grads_in if isinstance(g, Tensor)]
    batch = sizes[0] if sizes else 1
    per_slice = []
    for b in range(batch):
        slice_grads = [
            given[b].to(out.dtype) if isinstance(given, Tensor) else made
            for given, made, out in zip(grads_in, grads, outputs, strict=True)
        ]
        per_slice.append(
            run_backward(
                edges,
                slice_grads,
                keep_graph=retain_graph or b < batch - 1,
                create_graph=create_graph,
                inputs=inputs,
                accumulate=False,
            )
        )
    stacked: list[Tensor | None] = []
    for i in range(len(inputs)):
        column = [result[i] for result in per_slice]
        stacked.append(None if column[0] is None else stack(column, dim=0))
    return stacked
