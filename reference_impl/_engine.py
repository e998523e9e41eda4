"""The backward pass, readable on one screen.

1. Count, for every node reachable from the roots, how many edges lead into it.
2. Seed the roots' input buffers with their gradients.
3. Pop the ready node with the highest sequence number (latest created; AccumulateGrad first),
   run its tensor hooks, pre-hooks and backward, drop its saved tensors unless retain_graph,
   and add each result into the buffer of the node it feeds. A node is ready once all its
   incoming edges have delivered.

With ``inputs`` given, only nodes on a path to an input run; autograd.grad captures the
gradients arriving at the inputs, backward(inputs=...) runs the input nodes too and lets
AccumulateGrad / retain_grad fill ``.grad``. An input's own grad_fn that feeds nothing needed
runs as torch runs it: hooks fire, saved tensors are unpacked, no gradient is computed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from . import _forward_ad as fw
from ._accumulate import accumulate_retained
from ._grad_mode import _state as _grad_state
from ._grad_mode import set_grad_enabled
from ._node import AccumulateGrad, Edge, Node, gradient_edge
from ._ops.base import is_expandable_to, unbroadcast
from ._size import shape_str
from ._tensor import Tensor
from .autograd import anomaly_mode


def run_backward(
    root_edges: Sequence[Edge],
    root_grads: Sequence[Tensor | None],
    *,
    keep_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
    accumulate: bool = True,
) -> list[Tensor | None]:
    """Run the graph backwards. Returns the gradients arriving at ``inputs`` when not
    accumulating (autograd.grad); otherwise fills ``.grad`` fields."""
    dependencies = _count_dependencies(root_edges)
    input_edges = [gradient_edge(t) for t in inputs] if inputs is not None else None
    runnable = _nodes_to_run(root_edges, input_edges, accumulate) if input_edges else None
    # Without ``inputs`` every reachable node runs and nothing is captured: the loop below skips
    # the filtering (and capture) steps then.
    filtered = runnable is not None
    # id(node) -> [(output_nr, index into inputs)] for gradients captured on arrival.
    captures: dict[int, list[tuple[int, int]]] = {}
    for i, (node, nr) in enumerate(input_edges or ()):
        if node is not None and not accumulate:
            captures.setdefault(id(node), []).append((nr, i))
    captured: list[Tensor | None] = [None] * len(input_edges or ())

    def should_run(node: Node) -> bool:
        return runnable is None or id(node) in runnable or id(node) in captures

    buffers: dict[Node, list[Tensor | None]] = {}
    # Highest sequence number first; ties (several AccumulateGrad) in the order they got ready.
    ready: list[tuple[int, int, Node]] = []
    pushed = itertools.count()
    with set_grad_enabled(create_graph):
        # Roots are always queued: even off every path to ``inputs`` their tensor hooks (and
        # retain_grad) see the root gradient, as in torch; only runnable nodes then execute.
        for (node, nr), grad in zip(root_edges, root_grads, strict=True):
            if node is None or grad is None:
                continue
            _add_to_buffer(buffers, node, nr, grad)
            if dependencies.get(node, 0) == 0 and not any(n is node for *_, n in ready):
                heappush(ready, (-node._seq, next(pushed), node))

        while ready:
            node = heappop(ready)[2]
            arrived = buffers.pop(node, None) or [None] * max(node.num_outputs, 1)
            # Tensor hooks and retain_grad (a leaf's tensor hooks live on its variable): most
            # nodes have none, and then what arrived goes on as it is.
            if (
                node._tensor_pre_hooks
                or node._retains_grad
                or (isinstance(node, AccumulateGrad) and node.variable._hooks)
            ):
                grads = _call_tensor_pre_hooks(node, arrived)
            else:
                grads = arrived
            if runnable is not None:  # ``filtered``
                runs = id(node) in runnable
                # torch's capture: a node that also runs hands over what arrived (its tensor
                # hooks run as part of running it); a node that only feeds the capture, the
                # hooked grads.
                for nr, index in captures.get(id(node), ()):
                    captured[index] = (arrived if runs else grads)[nr]
                if not runs:
                    continue
            if node._pre_hooks:
                grads = _call_node_pre_hooks(node, grads)
            feeds_nothing = filtered and _feeds_nothing(node, should_run)
            run = node.apply_for_nothing if feeds_nothing else node.apply  # an input's grad_fn
            if anomaly_mode.STATE.enabled:  # autograd.detect_anomaly: NaN checks, warnings
                outputs = anomaly_mode.run_node(node, run, grads, _validate_outputs)
            else:
                outputs = run(grads)
                if outputs or node._next_edges:  # a leaf's AccumulateGrad has neither
                    outputs = _validate_outputs(node, outputs)
            if node._post_hooks:
                outputs = _call_node_post_hooks(node, outputs, grads)
            if not keep_graph:
                node.release_saved()
            # One validated gradient per edge (indexing, as ``zip(strict=...)`` is slow to call).
            for i, (next_node, nr) in enumerate(node._next_edges):
                if next_node is None or (filtered and not should_run(next_node)):
                    continue
                grad = outputs[i]
                if grad is not None:  # ``_add_to_buffer``, inline
                    buf = buffers.get(next_node)
                    if buf is None:
                        buf = buffers[next_node] = [None] * max(len(next_node._output_meta), nr + 1)
                    previous = buf[nr]
                    buf[nr] = grad if previous is None else _sum_gradients(previous, grad)
                waiting = dependencies[next_node] - 1
                dependencies[next_node] = waiting
                if waiting == 0:
                    heappush(ready, (-next_node._seq, next(pushed), next_node))
    return captured


def _nodes_to_run(
    root_edges: Sequence[Edge], input_edges: Sequence[Edge], accumulate: bool
) -> set[int]:
    """With ``inputs``: the nodes on a path to an input. For backward(inputs=...) the input
    nodes run too (torch marks them needed): leaves accumulate, non-leaf grad_fns run (and free
    their saved tensors) while retain_grad fills the input's ``.grad``."""
    runnable = _needed_nodes(root_edges, input_edges)
    if accumulate:
        runnable.update(id(n) for n, _ in input_edges if n is not None)
    return runnable


def _feeds_nothing(node: Node, should_run: Any) -> bool:
    """Whether no edge out of ``node`` leads anywhere the run needs (a leaf accumulates)."""
    if isinstance(node, AccumulateGrad) or not node._next_edges:
        return False
    return not any(child is not None and should_run(child) for child, _ in node._next_edges)


def _count_dependencies(root_edges: Sequence[Edge]) -> dict[Node, int]:
    """Number of edges into each reachable node (iterative: no recursion limit)."""
    deps: dict[Node, int] = {}
    seen: set[Node] = set()
    stack: list[Node] = []
    for node, _ in root_edges:  # the same root may be given twice: count its edges once
        if node is not None and node not in seen:
            seen.add(node)
            stack.append(node)
    while stack:
        for child, _ in stack.pop()._next_edges:
            if child is None:
                continue
            if child in deps:
                deps[child] += 1
                continue
            deps[child] = 1
            if child not in seen:  # a root reached again is not walked twice
                seen.add(child)
                stack.append(child)
    return deps


def _needed_nodes(root_edges: Sequence[Edge], input_edges: Sequence[Edge]) -> set[int]:
    """Nodes that lie on a path from a root to an input node (they must run)."""
    targets = {id(node) for node, _ in input_edges if node is not None}
    needed: set[int] = set()
    # Post-order walk without recursion: a node is needed if any child is a target or needed.
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(n, False) for n, _ in root_edges if n is not None]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child, _ in node._next_edges if child is not None)
    for node in order:
        if any(
            child is not None and (id(child) in targets or id(child) in needed)
            for child, _ in node._next_edges
        ):
            needed.add(id(node))
    return needed


def _add_to_buffer(
    buffers: dict[Node, list[Tensor | None]], node: Node, nr: int, grad: Tensor
) -> None:
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * max(len(node._output_meta), nr + 1)  # num_outputs
    old = buf[nr]
    buf[nr] = grad if old is None else _sum_gradients(old, grad)


#: dtypes whose NumPy sum is the AddBackward0 forward's bit for bit (one correctly rounded add;
#: float16's NumPy add rounds twice, through float32).
_PLAIN_SUM_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _sum_gradients(old: Tensor, grad: Tensor) -> Tensor:
    """Two gradients for one input: ``old + grad`` (torch's InputBuffer::accumulate). With no
    graph to record (grad mode off) and no tangent to carry (no forward AD), the op's result
    is the plain sum of two same-shaped float arrays, computed here without dispatching it."""
    a, b = old._data, grad._data
    if (
        not _grad_state.enabled
        and not fw.active()
        and type(old) is type(grad) is Tensor
        and a.dtype is b.dtype
        and a.dtype in _PLAIN_SUM_DTYPES
        and a.shape == b.shape
    ):
        return Tensor._from_array(_quiet_add(a, b))
    return old + grad


@np.errstate(all="ignore")  # torch gives inf/nan without a warning
def _quiet_add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a + b


def _call_tensor_pre_hooks(node: Node, grads: list[Tensor | None]) -> list[Tensor | None]:
    """Tensor hooks (a leaf's live on its AccumulateGrad), then retain_grad captures (a hook
    too: autograd.grad fills them as well), in torch's order."""
    grads = list(grads)
    if node._tensor_pre_hooks:
        for nr, hooks in node._tensor_pre_hooks.items():
            for hook in list(hooks.values()):
                current = grads[nr]
                if current is None:
                    continue
                new = hook(current)
                if new is not None:
                    _check_hook_result(hook, current, new)
                    grads[nr] = new
    if node._retains_grad:
        for nr, ref in node._retains_grad.items():
            tensor, arrived = ref(), grads[nr]
            if tensor is not None and arrived is not None and tensor._grad_fn is node:
                accumulate_retained(tensor, arrived)
    if isinstance(node, AccumulateGrad) and node.variable._hooks and grads[0] is not None:
        for hook in list(node.variable._hooks.values()):
            new = hook(grads[0])
            if new is not None:
                _check_hook_result(hook, grads[0], new)
                grads[0] = new
    return grads


def _call_node_pre_hooks(node: Node, grads: list[Tensor | None]) -> list[Tensor | None]:
    for hook in list((node._pre_hooks or {}).values()):
        new = hook(tuple(grads))
        if new is not None:
            grads = _checked_hook_tuple(hook, grads, new)
    return grads


def _call_node_post_hooks(
    node: Node, outputs: list[Tensor | None], grads: list[Tensor | None]
) -> list[Tensor | None]:
    for hook in list((node._post_hooks or {}).values()):
        new = hook(tuple(outputs), tuple(grads))
        if new is not None:
            outputs = _checked_hook_tuple(hook, outputs, new)
    return outputs


def _checked_hook_tuple(hook: Any, old: Sequence[Any], new: Any) -> list[Any]:
    """A node hook must return a tuple of the same length, with same-shaped tensors."""
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(new, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(new).__name__}'")
    if len(new) != len(old):
        raise RuntimeError(
            f"hook '{name}' has returned an incorrect number of values (got {len(new)}, but "
            f"expected {len(old)})"
        )
    for o, n in zip(old, new, strict=True):
        if o is not None and n is not None and tuple(o.shape) != tuple(n.shape):
            raise RuntimeError(f"hook '{name}' has changed the size of value")
    return list(new)


def _check_hook_result(hook: Any, old: Tensor, new: Any) -> None:
    from ._tensor import Tensor

    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
    if tuple(new.shape) != tuple(old.shape):
        raise RuntimeError(f"hook '{name}' has changed the size of value")


def _validate_outputs(node: Node, outputs: list[Tensor | None]) -> list[Tensor | None]:
    """Check each gradient against the input it is for: sum broadcast grads down, cast dtype."""
    edges = node._next_edges
    if len(outputs) != len(edges):
        raise RuntimeError(
            f"invalid number of gradients - expected {len(edges)}, but got {len(outputs)}"
        )
    result = list(outputs)
    for i, (next_node, nr) in enumerate(edges):
        grad = result[i]
        if grad is None:
            continue
        if next_node is None:
            result[i] = None
            continue
        shape, dtype = next_node._output_meta[nr]
        data = grad._data
        if data.shape == shape and data.dtype is dtype.numpy:  # the usual case: nothing to do
            continue
        if data.shape != shape:
            if not is_expandable_to(shape, grad._data.shape):
                raise RuntimeError(
                    f"Function {node.name()} returned an invalid gradient at index {i} - got "
                    f"{shape_str(grad.shape)} but expected shape compatible with {shape_str(shape)}"
                )
            grad = unbroadcast(grad, shape)
        if grad.dtype is not dtype:
            grad = grad.to(dtype)
        result[i] = grad
    return result
