"""Saved tensors: what a node keeps for its backward, version-checked and freeable.

torch raises lazily: a node whose saved tensors were freed or modified in place only fails when
it runs. The two messages below are torch's, word for word.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._size import shape_str

if TYPE_CHECKING:
    from ._tensor import Tensor

FREED_GRAPH = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)

_ANOMALY_HINT = (
    "Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
    "with torch.autograd.set_detect_anomaly(True, check_nan=False)."
)


def node_short_name(name: str) -> str:
    """``SigmoidBackward0`` -> ``Sigmoid`` but ``PowBackward1`` -> ``Pow1``: torch drops
    "Backward" and an overload number 0 only ("output 0 of Pow1")."""
    return re.sub(r"Backward(0?)(\d*)$", r"\2", name)


def _type_string(t: Tensor) -> str:
    """The type as torch's C++ ``toString`` prints it: a legacy name (``torch.LongTensor``)
    where one exists; bool has none, so it prints as ``CPUBoolType``."""
    return "CPUBoolType" if t.dtype.numpy.kind == "b" else t.dtype.tensor_type


#: The (pack, unpack) pairs of the active ``saved_tensors_hooks``, innermost last.
HOOK_STACK: list[tuple[Callable[[Tensor], Any], Callable[[Any], Any]]] = []

PACK_MODIFIED_INPUT = (
    "A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack "
    "hook cannot be modified by in-place operations as this can lead to unexpected side-effects. "
    "Please open an issue if you need to perform in-place operations on the input to a pack hook."
)


class SavedTensor:
    """A tensor saved by a node, with the version it had when saved.

    Saved for a recording node while ``saved_tensors_hooks`` are active (``hooked=True``), it
    keeps what the innermost pack hook returned instead, and backward gets the unpack hook's
    result: torch checks no version then, since the packed object is the hooks' business.
    """

    __slots__ = (
        "tensor",
        "version",
        "producer",
        "output_nr",
        "freed",
        "packed",
        "unpack_hook",
        "edge",
        "accumulator",
    )

    def __init__(
        self,
        tensor: Tensor,
        producer: str | Callable[[], str] | None = None,
        output_nr: int = 0,
        hooked: bool = False,
    ) -> None:
        self.tensor = tensor
        self.version = tensor._version_counter.value
        # For a saved *output*, the node that produced it (its name goes in the error message).
        self.producer = producer
        self.output_nr = output_nr
        self.freed = False
        self.packed: Any = None
        self.unpack_hook: Callable[[Any], Any] | None = None
        # A wrapped Python number (``x * 2.0``) is kept as it is: torch never packs one.
        if hooked and HOOK_STACK and not tensor._wrapped_number:
            self._pack(*HOOK_STACK[-1])

    def _pack(self, pack: Callable[[Tensor], Any], unpack: Callable[[Any], Any]) -> None:
        from ._grad_mode import no_grad

        with no_grad():  # torch runs both hooks with grad mode off
            self.packed = pack(self.tensor)
        if self.tensor._version_counter.value != self.version:
            raise RuntimeError(PACK_MODIFIED_INPUT)
        self.unpack_hook = unpack
        # torch keeps the saved tensor's place in the graph, not the tensor: what unpack returns
        # is re-attached there (its grad_fn and output number, or a leaf's grad accumulator).
        tensor = self.tensor
        self.edge = (tensor._grad_fn, tensor._output_nr)
        leaf = tensor._grad_fn is None and tensor._requires_grad
        self.accumulator = tensor._grad_accumulator() if leaf else None
        self.tensor = None  # type: ignore[assignment]

    def unpack(self) -> Tensor:
        if self.freed:
            raise RuntimeError(FREED_GRAPH)
        if self.unpack_hook is not None:
            return self._unpack_hooked(self.unpack_hook)
        t = self.tensor
        if t._version_counter.value != self.version:
            raise RuntimeError(self._modified_message(t))
        return t

    def _unpack_hooked(self, unpack: Callable[[Any], Any]) -> Tensor:
        from ._grad_mode import no_grad
        from ._tensor import Tensor

        with no_grad():
            t = unpack(self.packed)
        if not isinstance(t, Tensor):
            raise TypeError(
                "Output of saved tensor unpack_hook expected to be a Tensor but got result of "
                f"type {type(t).__name__}"
            )
        out = Tensor._from_array(t._data)
        out._version_counter = t._version_counter
        grad_fn, output_nr = self.edge
        if grad_fn is not None:
            out._grad_fn, out._output_nr = grad_fn, output_nr
        elif self.accumulator is not None:
            out._requires_grad = True
            out._accumulator = weakref.ref(self.accumulator)
        return out

    def _modified_message(self, t: Tensor) -> str:
        if self.producer is not None:
            producer = self.producer() if callable(self.producer) else self.producer
            origin = f", which is output {self.output_nr} of {node_short_name(producer)},"
        elif t.grad_fn is not None:  # the property: a view's history may be regenerated
            origin = f", which is output {t._output_nr} of {node_short_name(t.grad_fn.name())},"
        else:
            origin = ""
        return (
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{_type_string(t)} {shape_str(t.shape)}]{origin} is at "
            f"version {t._version_counter.value}; expected version {self.version} instead. "
            + _ANOMALY_HINT
        )

    def free(self) -> None:
        self.freed = True
        self.tensor = None  # type: ignore[assignment]
        self.packed = None
