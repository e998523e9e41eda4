"""torch.nn.Parameter: a leaf Tensor subclass that modules register as trainable state."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor


class Parameter(Tensor):
    """A leaf sharing ``data``'s storage and version counter (torch builds it from a detach).

    Ops on a parameter return plain ``Tensor`` objects, as torch's do, because every op wraps
    its result in a plain ``Tensor`` (``Op._wrap_output``), never in its input's class.
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            data = Tensor._from_array(np.empty((0,), dtype=np.float32))
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter.__init__(): argument 'data' must be Tensor, not {type(data).__name__}"
            )
        Tensor.__init__(self, data._data)
        self._version_counter = data._version_counter
        self._is_inference = data._is_inference
        if requires_grad:
            if not data.dtype.is_floating_point:
                # torch's text for a factory with requires_grad=True (capital "Only").
                raise RuntimeError(
                    "Only Tensors of floating point and complex dtype can require gradients"
                )
            self._requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild_parameter, (self._data.copy(), self._requires_grad))


def _rebuild_parameter(data: np.ndarray, requires_grad: bool) -> Parameter:
    return Parameter(Tensor._from_array(data), requires_grad)
