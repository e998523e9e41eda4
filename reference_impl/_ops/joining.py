"""cat and stack: one node for many inputs; the gradient is split back by slicing."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as dt
from .._layout import CONTIGUOUS
from .._size import shape_str
from .._tensor import Tensor
from .base import Op
from .views import normalize_dims


class CatBackward0(Op):
    layout = CONTIGUOUS  # (torch: channels_last inputs excepted, which this lacks)
    jvp_linear = True

    def forward(self, *arrays: np.ndarray, dim: int = 0) -> np.ndarray:
        assert self._inputs is not None
        if not arrays:
            raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
        ref = next((a for a in arrays if not (a.ndim == 1 and a.shape[0] == 0)), arrays[0])
        (d,) = normalize_dims(dim, ref.ndim)
        for i, a in enumerate(arrays):
            if a.ndim == 1 and a.shape[0] == 0:
                continue
            if a.ndim != ref.ndim:
                raise RuntimeError(
                    f"Tensors must have same number of dimensions: got {ref.ndim} and {a.ndim}"
                )
            for j in range(ref.ndim):
                if j != d and a.shape[j] != ref.shape[j]:
                    raise RuntimeError(
                        f"Sizes of tensors must match except in dimension {d}. Expected size "
                        f"{ref.shape[j]} but got size {a.shape[j]} for tensor number {i} in the "
                        "list."
                    )
        out_dtype = dt.result_type(*self._inputs)
        self.dim = d
        self.sizes = [a.shape[d] if a.ndim == ref.ndim else 0 for a in arrays]
        self.shapes = [a.shape for a in arrays]
        kept = [a.astype(out_dtype.numpy, copy=False) for a in arrays if a.ndim == ref.ndim]
        return np.concatenate(kept, axis=d)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        out: list[Tensor | None] = []
        start = 0
        for size, shape, need in zip(self.sizes, self.shapes, self.needs_input_grad, strict=True):
            if need:
                if len(shape) != grad.ndim:
                    out.append(grad.new_zeros(shape))
                else:
                    out.append(grad.narrow(self.dim, start, size))
            else:
                out.append(None)
            start += size
        return tuple(out)


class StackBackward0(Op):
    layout = CONTIGUOUS  # (torch: channels_last inputs excepted, which this lacks)
    jvp_linear = True

    def forward(self, *arrays: np.ndarray, dim: int = 0) -> np.ndarray:
        assert self._inputs is not None
        if not arrays:
            raise RuntimeError("stack expects a non-empty TensorList")
        for i, a in enumerate(arrays):
            if a.shape != arrays[0].shape:
                raise RuntimeError(
                    f"stack expects each tensor to be equal size, but got "
                    f"{shape_str(arrays[0].shape)} at entry 0 and {shape_str(a.shape)} at entry {i}"
                )
        (d,) = normalize_dims(dim, arrays[0].ndim + 1)
        self.dim = d
        out_dtype = dt.result_type(*self._inputs)
        return np.stack([a.astype(out_dtype.numpy, copy=False) for a in arrays], axis=d)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        return tuple(
            grad.select(self.dim, i) if need else None
            for i, need in enumerate(self.needs_input_grad)
        )


def cat(tensors: Any, dim: int = 0) -> Tensor:
    return CatBackward0.invoke(*tensors, dim=dim)


def stack(tensors: Any, dim: int = 0) -> Tensor:
    return StackBackward0.invoke(*tensors, dim=dim)
