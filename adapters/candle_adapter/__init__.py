"""candle-python as a conformance backend: already torch-shaped, so the adapter only says how to
read it.

candle (``pip install candle-python``, module ``candle``) mirrors torch's namespace: ``tensor``
with ``requires_grad``, torch's dtype names, ``autograd.grad``, ``no_grad``, ``grad_fn``,
``is_leaf``. The backend therefore runs cases on ``candle`` itself. What the adapter adds:

- ``to_numpy``: candle's ``detach().numpy()``;
- ``provides``: flags only. Every candle graph node is one generic ``Node`` class, so there are
  no node names to compare with torch's ``MulBackward0``; the graph facet is skipped, not failed;
- ``_version``: candle keeps torch's version counter as ``_version_counter.value``; the adapter
  exposes it under torch's name (the only attribute it adds, and only when candle lacks it).

Install candle with real torch present: its ``.pth`` hook redirects ``import torch`` to candle
only when no real torch is installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from conformance.backends import Backend
from conformance.facets import FLAGS

#: The candle-python release this adapter was written and measured against.
PINNED_VERSION = "0.1.0a1"


def _version(tensor: Any) -> int:
    return int(tensor._version_counter.value)


def expose_version_counter(tensor_type: type) -> None:
    """Give candle's Tensor torch's ``_version`` name for the counter it already keeps."""
    if not hasattr(tensor_type, "_version"):
        tensor_type._version = property(_version)  # type: ignore[attr-defined]


def to_numpy(tensor: Any) -> np.ndarray:
    """Values of a candle tensor (detached, on the CPU) as a NumPy array."""
    return np.asarray(tensor.detach().cpu().numpy())


def backend() -> Backend:
    """The ``candle`` backend: cases run on candle's own torch-like namespace."""
    import candle

    expose_version_counter(candle.Tensor)
    return Backend(
        name="candle",
        module=candle,
        to_numpy=to_numpy,
        is_tensor=lambda value: isinstance(value, candle.Tensor),
        provides=frozenset({FLAGS}),
    )


#: What ``--backends torch,module:adapters.candle_adapter`` looks for.
conformance_backend = backend
