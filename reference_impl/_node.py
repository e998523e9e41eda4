"""Graph nodes: what ``tensor.grad_fn`` is.

A node is a backward function with edges (``next_functions``) to the nodes that produced its
forward inputs. Each concrete node class carries torch's class name (``MulBackward0``), so
``type(t.grad_fn).__name__`` matches torch. Nodes are numbered at creation: the engine runs ready
nodes latest-created first, as torch does.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._accumulate import accumulate_into_grad

if TYPE_CHECKING:
    from ._tensor import Tensor

Edge = tuple["Node | None", int]
_sequence = itertools.count()
#: AccumulateGrad's sequence number in torch: it outranks every other ready node.
UINT64_MAX = 2**64 - 1


class RemovableHandle:
    """What ``register_hook`` returns: ``remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, registry: dict[int, Any]) -> None:
        self.id = next(self._ids)
        self._hooks = registry

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def add_hook(registry: dict[int, Any], fn: Any) -> RemovableHandle:
    handle = RemovableHandle(registry)
    registry[handle.id] = fn
    return handle


class Node:
    """Base of every grad_fn. Subclasses implement ``apply(grads) -> grads``."""

    # Hook registries and ``metadata``, made on first use: most nodes never get any, and every
    # recorded op makes a node. Until then the class-level None reads as "none registered".
    _pre_hooks: dict[int, Callable[..., Any]] | None = None
    _post_hooks: dict[int, Callable[..., Any]] | None = None
    #: output_nr -> the hooks registered on that output tensor (``Tensor.register_hook``).
    _tensor_pre_hooks: dict[int, dict[int, Callable[..., Any]]] | None = None
    _metadata: dict[str, Any] | None = None

    def __init__(self) -> None:
        self._seq = next(_sequence)
        self._next_edges: tuple[Edge, ...] = ()
        # Shape and dtype of each forward output, to check and cast incoming gradients.
        self._output_meta: list[tuple[tuple[int, ...], Any]] = []
        self._retains_grad: dict[int, weakref.ref[Tensor]] = {}

    @property
    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    @metadata.setter
    def metadata(self, value: dict[str, Any]) -> None:
        self._metadata = value

    # -- torch's public surface -------------------------------------------------------------
    def name(self) -> str:
        return type(self).__name__

    def _sequence_nr(self) -> int:
        return self._seq

    @property
    def next_functions(self) -> tuple[Edge, ...]:
        return self._next_edges

    def register_hook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` after the node ran; may return new grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = {}
        return add_hook(self._post_hooks, fn)

    def register_prehook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad_outputs)`` before the node runs; may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return add_hook(self._pre_hooks, fn)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def _register_hook_dict(self, tensor: Any) -> None:
        """torch internals call this; nothing to do here."""

    def __call__(self, *grads: Any) -> Any:
        out = self.apply(list(grads))
        return out[0] if len(out) == 1 else tuple(out)

    # -- engine interface --------------------------------------------------------------------
    def apply(self, grads: list[Tensor | None]) -> list[Tensor | None]:
        raise NotImplementedError(self.name())

    def apply_for_nothing(self, grads: list[Tensor | None]) -> list[Tensor | None]:
        """Run as a node whose outputs no path needs (an ``inputs=`` tensor's own grad_fn):
        torch still calls it - its hooks fire, its saved tensors are unpacked - but computes
        no gradient. By default, the node simply runs."""
        return self.apply(grads)

    def release_saved(self) -> None:
        """Drop saved tensors after a backward without retain_graph."""

    @property
    def num_outputs(self) -> int:
        return len(self._output_meta)

    def add_output(self, tensor: Tensor) -> int:
        self._output_meta.append((tensor._data.shape, tensor.dtype))
        return len(self._output_meta) - 1


class AccumulateGrad(Node):
    """The edge into a leaf: adds the incoming gradient to ``variable.grad``.

    One per leaf at a time (held weakly by the leaf), so every graph touching the leaf shares it.
    It runs first among ready nodes, like torch's (its sequence number is the largest).
    """

    def __init__(self, variable: Tensor) -> None:
        super().__init__()
        self._seq = UINT64_MAX
        self.variable = variable
        self._output_meta = [(variable._data.shape, variable.dtype)]

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def apply(self, grads: list[Tensor | None]) -> list[Tensor | None]:
        (grad,) = grads
        if grad is not None and self.variable._requires_grad:
            accumulate_into_grad(self.variable, grad)
            if hooks := self.variable._post_accumulate_hooks:
                for hook in list(hooks.values()):
                    returned = hook(self.variable)
                    if returned is not None:
                        raise TypeError(
                            f"expected Variable, but hook returned '{type(returned).__name__}'"
                        )
        return []


def gradient_edge(t: Tensor) -> Edge:
    """Where a gradient for ``t`` must go: its grad_fn, its AccumulateGrad, or nowhere."""
    if t._grad_fn is not None:
        return (t._grad_fn, t._output_nr)
    if t._requires_grad:
        return (t._grad_accumulator(), 0)
    return (None, 0)
