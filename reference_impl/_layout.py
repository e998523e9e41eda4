"""Where an op's result lies in memory, by torch's rules.

A result's strides are observable: ``stride()``, ``is_contiguous()``, and what ``view`` and
``reshape`` make of it (a view, ``ViewBackward0``; or a copy behind ``UnsafeViewBackward0``).
The reference keeps a tensor's layout in its NumPy array's strides, and NumPy's own choice for a
result (``order='K'``) is torch's for one operand, but not for these (``Op.layout``):

- ``ITERATOR``: an elementwise op of several operands, comparisons included (TensorIterator).
  Unless every operand is contiguous, its dimensions are ordered by the strides of the first
  operand that tells two of them apart (a broadcast or size-1 dimension tells nothing), ties
  to the smaller size first, and the result is dense in that order: ``a.t() * b`` lies like
  ``a.t()``, where NumPy makes it contiguous.
- ``CONTIGUOUS``: structured kernels that allocate their result with no strides given
  (``scatter_add``, ``index_add``, ``cumsum``, ``softmax``, ``roll``, ...), and ``cat`` and
  ``stack``: C order.
- ``PRESERVE``: ops that start from a clone of ``self`` in its own format (``clone``, ``flip``,
  ``sort``, ``index_fill``, ``index_put``, ``put``): ``self``'s order, made dense.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

ITERATOR = "iterator"
CONTIGUOUS = "contiguous"
PRESERVE = "preserve"


def lay_out(layout: str, result: Any, operands: Sequence[Any]) -> Any:
    """``result`` (an array, or a tuple of them) laid out as ``layout`` says for ``operands``
    (the op's tensor operands' arrays, in torch's order; other values are skipped)."""
    if isinstance(result, tuple):
        return tuple(lay_out(layout, r, operands) for r in result)
    if not isinstance(result, np.ndarray) or result.ndim < 2:
        return result
    if layout == CONTIGUOUS:
        return np.ascontiguousarray(result)
    arrays = [a for a in operands if isinstance(a, np.ndarray) and a.ndim]
    if layout == PRESERVE:
        arrays = arrays[:1]
    if all(map(orders_like_c, arrays)):
        return np.ascontiguousarray(result)
    return in_order(result, iterator_order(arrays, result.shape))


def orders_like_c(array: np.ndarray) -> bool:
    """Whether ``array`` orders dimensions as C does, or orders none (broadcast wholly, as an
    expanded grad): operands that all do leave the result in C order."""
    return bool(array.flags.c_contiguous) or not any(array.strides)


def iterator_order(arrays: Sequence[np.ndarray], shape: tuple[int, ...]) -> list[int]:
    """TensorIterator's ``reorder_dimensions``: the dimensions of ``shape``, fastest first."""
    ndim = len(shape)
    strides = [_broadcast_strides(a, shape) for a in arrays]

    def should_swap(dim0: int, dim1: int) -> int:
        for stride in strides:
            s0, s1 = stride[dim0], stride[dim1]
            if s0 == 0 or s1 == 0:  # broadcast (or of size 1): tells nothing
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[dim0] > shape[dim1]:
                return 1
        return 0

    perm = list(range(ndim - 1, -1, -1))  # C order, fastest first
    for i in range(1, ndim):  # insertion sort that leaves ambiguous pairs where they are
        dim1 = i
        for dim0 in range(i - 1, -1, -1):
            comparison = should_swap(perm[dim0], perm[dim1])
            if comparison > 0:
                perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
                dim1 = dim0
            elif comparison < 0:
                break
    return perm


def _broadcast_strides(array: np.ndarray, shape: tuple[int, ...]) -> list[int]:
    """``array``'s strides against the result's ``shape``: 0 where it is broadcast or of
    size 1 (as TensorIterator sees them); NumPy's negative strides by their size."""
    lead = len(shape) - array.ndim
    return [0] * lead + [
        0 if size == 1 else abs(stride)
        for size, stride in zip(array.shape, array.strides, strict=True)
    ]


def in_order(result: np.ndarray, perm: Sequence[int]) -> np.ndarray:
    """``result`` as a dense array whose dimensions lie in ``perm``'s order, fastest first
    (``result`` itself when it already does)."""
    wanted = [0] * result.ndim
    step = result.itemsize
    for dim in perm:
        wanted[dim] = step
        step *= result.shape[dim]
    if all(
        size == 1 or have == want
        for size, have, want in zip(result.shape, result.strides, wanted, strict=True)
    ):
        return result
    slowest_first = list(reversed(perm))
    laid = np.empty([result.shape[d] for d in slowest_first], dtype=result.dtype)
    out = laid.transpose(np.argsort(slowest_first))
    out[...] = result
    return out


class memory_format:  # noqa: N801 - torch's name
    """A memory format, as ``clone`` and ``contiguous`` take it (``torch.contiguous_format``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")


def layout_for(format_: Any) -> str:
    """The layout a ``memory_format`` argument asks for (None: preserve)."""
    name = "preserve_format" if format_ is None else str(format_).rsplit(".", 1)[-1]
    if name == "preserve_format":
        return PRESERVE
    if name == "contiguous_format":
        return CONTIGUOUS
    from ._unsupported import UnsupportedOp

    raise UnsupportedOp(f"memory_format={format_!r}")
