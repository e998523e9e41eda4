"""Saved tensors: what a node keeps for its backward, version-checked and freeable.

torch raises lazily: a node whose saved tensors were freed or modified in place only fails when
it runs. The two messages below are torch's, word for word.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

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


class SavedTensor:
    """A tensor saved by a node, with the version it had when saved."""

    __slots__ = ("tensor", "version", "producer", "output_nr", "freed")

    def __init__(self, tensor: Tensor, producer: str | None = None, output_nr: int = 0) -> None:
        self.tensor = tensor
        self.version = tensor._version_counter.value
        # For a saved *output*, the node that produced it (its name goes in the error message).
        self.producer = producer
        self.output_nr = output_nr
        self.freed = False

    def unpack(self) -> Tensor:
        if self.freed:
            raise RuntimeError(FREED_GRAPH)
        t = self.tensor
        if t._version_counter.value != self.version:
            raise RuntimeError(self._modified_message(t))
        return t

    def _modified_message(self, t: Tensor) -> str:
        if self.producer is not None:
            origin = f", which is output {self.output_nr} of {node_short_name(self.producer)},"
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
