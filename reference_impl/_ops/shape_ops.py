"""Copies that rearrange or select elements by position: flip, roll, rot90, repeat, tril/triu,
diagonal, diag_embed, trace.

Each backward is the adjoint rearrangement (flip again, roll back, rotate back, sum the repeats,
mask the same triangle, embed the diagonal), written with reference ops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from .base import Op
from .pointwise import _const


class FlipBackward0(Op):
    def forward(self, a: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        self.dims = dims
        return np.flip(a, dims).copy() if dims else a.copy()

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (FlipBackward0.invoke(grad, dims=self.dims),)


class RollBackward0(Op):
    """roll by ``shifts`` along ``dims`` (no dims: over the flattened tensor)."""

    def forward(self, a: np.ndarray, shifts: tuple[int, ...], dims: tuple[int, ...]) -> np.ndarray:
        self.shifts, self.dims = shifts, dims
        if not dims:
            return np.roll(a.reshape(-1), shifts[0]).reshape(a.shape)
        return np.roll(a, shifts, dims)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        back = tuple(-s for s in self.shifts)
        return (RollBackward0.invoke(grad, shifts=back, dims=self.dims),)


class Rot90Backward0(Op):
    def forward(self, a: np.ndarray, k: int, dims: tuple[int, int]) -> np.ndarray:
        self.k, self.dims = k, dims
        return np.rot90(a, k, axes=dims).copy()

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (Rot90Backward0.invoke(grad, k=-self.k, dims=self.dims),)


class RepeatBackward0(Op):
    """Tile the input ``repeats`` times per dim (extra leading repeats add dims)."""

    def forward(self, a: np.ndarray, repeats: tuple[int, ...]) -> np.ndarray:
        if len(repeats) < a.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than number of dimensions "
                "of tensor"
            )
        self.shape, self.repeats = a.shape, repeats
        padded = a.reshape((1,) * (len(repeats) - a.ndim) + a.shape)
        return np.tile(padded, repeats)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        padded = (1,) * (len(self.repeats) - len(self.shape)) + tuple(self.shape)
        # Split each dim into (repeat, size) and sum over the repeat axes.
        split: list[int] = []
        for r, n in zip(self.repeats, padded, strict=True):
            split += [r, n]
        summed = grad.reshape(*split).sum(tuple(range(0, 2 * len(padded), 2)))
        return (summed.reshape(*self.shape),)


class TrilBackward0(Op):
    lower = True

    def forward(self, a: np.ndarray, diagonal: int = 0) -> np.ndarray:
        if a.ndim < 2:
            name = "tril" if self.lower else "triu"
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        self.diagonal = diagonal
        return (np.tril if self.lower else np.triu)(a, diagonal)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (type(self).invoke(grad, diagonal=self.diagonal),)


class TriuBackward0(TrilBackward0):
    lower = False


def _diagonal_key(
    shape: tuple[int, ...], offset: int, dim1: int, dim2: int
) -> tuple[tuple[np.ndarray, ...], tuple[int, ...]]:
    """Index arrays addressing diagonal(offset, dim1, dim2) of ``shape`` in its output order
    (the other dims, then the diagonal), and that output's shape."""
    n1, n2 = shape[dim1], shape[dim2]
    start1, start2 = max(-offset, 0), max(offset, 0)
    length = max(min(n1 - start1, n2 - start2), 0)
    others = [d for d in range(len(shape)) if d not in (dim1, dim2)]
    out_shape = tuple(shape[d] for d in others) + (length,)
    grids = np.ogrid[tuple(slice(0, n) for n in out_shape)] if out_shape else []
    key: list[Any] = [None] * len(shape)
    for pos, d in enumerate(others):
        key[d] = grids[pos]
    diag = grids[-1] if grids else np.arange(length)
    key[dim1], key[dim2] = diag + start1, diag + start2
    return tuple(key), out_shape


class DiagonalBackward0(Op):
    """diagonal(offset, dim1, dim2), as a copy (reference_impl does not alias it)."""

    def forward(self, a: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
        if dim1 == dim2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        self.shape, self.offset, self.dims = a.shape, offset, (dim1, dim2)
        key, out_shape = _diagonal_key(a.shape, offset, dim1, dim2)
        return np.asarray(a[key]).reshape(out_shape)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        from .indexing import embed

        key, _ = _diagonal_key(self.shape, self.offset, *self.dims)
        return (embed(grad, self.shape, key),)


class DiagEmbedBackward0(Op):
    """Place the last dim of the input on a diagonal of two new dims (offset, dim1, dim2)."""

    def forward(self, a: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
        self.offset, self.dims = offset, (dim1, dim2)
        n = a.shape[-1] + abs(offset)
        ndim = a.ndim + 1
        rest = iter(a.shape[:-1])
        shape = tuple(n if d in (dim1, dim2) else next(rest) for d in range(ndim))
        out = np.zeros(shape, dtype=a.dtype)
        key, _ = _diagonal_key(shape, offset, dim1, dim2)
        out[key] = a
        return out

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        dim1, dim2 = self.dims
        return (DiagonalBackward0.invoke(grad, offset=self.offset, dim1=dim1, dim2=dim2),)


class TraceBackward0(Op):
    def forward(self, a: np.ndarray) -> np.ndarray:
        if a.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
        self.shape = a.shape
        return np.asarray(np.trace(a))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad * _const(np.eye(*self.shape), grad),)
