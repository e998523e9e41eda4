"""Embedding lookup (``EmbeddingBackward0``) and its dense backward
(``EmbeddingDenseBackwardBackward0``): rows of the weight picked by integer indices.

The backward scatter-adds the gradient into the picked rows; the ``padding_idx`` row gets none
and ``scale_grad_by_freq`` divides each row by how often it was picked. The indices are a saved
parameter, version-checked like torch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from .base import Op


def _check_indices(indices: np.ndarray, rows: int) -> None:
    if indices.dtype.kind not in "iu":
        from .. import _dtype as dt

        name = dt.from_numpy_dtype(indices.dtype).scalar_name
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got torch.{name}Tensor instead (while checking arguments "
            "for embedding)"
        )
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        raise IndexError("index out of range in self")


class EmbeddingBackward0(Op):
    """weight[indices]: shape indices.shape + (embedding_dim,). Linear in the weight (the
    indices are not differentiable), padding rows included, as torch's forward formula."""

    tensor_params = ("indices",)
    jvp_linear = True

    def forward(self, weight: np.ndarray, indices: np.ndarray, **params: Any) -> np.ndarray:
        _check_indices(indices, weight.shape[0])
        self.params = params
        self.rows = weight.shape[0]
        self.save_param("indices", indices)
        return weight[indices]

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        indices = self.saved("indices")
        return (
            EmbeddingDenseBackwardBackward0.invoke(
                grad, indices=indices, num_weights=self.rows, **self.params
            ),
        )


class EmbeddingDenseBackwardBackward0(Op):
    """Scatter-add the gradient rows into a (num_weights, dim) zero array (linear in grad).

    Its own backward gathers the picked rows (padding rows zero) and, as torch's
    ``embedding_dense_double_backward`` does, leaves out the ``scale_grad_by_freq`` factor.
    """

    tensor_params = ("indices",)
    jvp_linear = True

    def forward(
        self,
        g: np.ndarray,
        indices: np.ndarray,
        num_weights: int,
        padding_idx: int,
        scale_grad_by_freq: bool,
    ) -> np.ndarray:
        self.padding_idx = padding_idx
        self.save_param("indices", indices)
        flat = indices.reshape(-1)
        dim = g.shape[-1]
        rows = g.reshape(-1, dim)
        keep = flat != padding_idx
        if scale_grad_by_freq:
            counts = np.bincount(flat, minlength=num_weights)[flat]
            rows = rows * np.asarray(1.0 / counts, dtype=g.dtype)[:, None]
        out = np.zeros((num_weights, dim), dtype=g.dtype)
        np.add.at(out, flat[keep], rows[keep])
        return out

    def backward(self, gg: Tensor) -> tuple[Tensor]:
        indices = self.saved("indices")
        picked = EmbeddingBackward0.invoke(
            gg, indices=indices, padding_idx=self.padding_idx, scale_grad_by_freq=False
        )
        drop = indices._data == self.padding_idx
        if drop.any():
            picked = picked.masked_fill(Tensor._from_array(drop[..., None]), 0.0)
        return (picked,)
