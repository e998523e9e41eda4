"""torch.linalg's vector norms (the ones autograd programs reach for)."""

from __future__ import annotations

from typing import Any

from ._ops.reductions import LinalgVectorNormBackward0
from ._tensor import Tensor


def vector_norm(
    x: Tensor,
    ord: Any = 2,
    dim: Any = None,
    keepdim: bool = False,  # noqa: A002
    *,
    dtype: Any = None,
) -> Tensor:
    return LinalgVectorNormBackward0.invoke(x, ord=ord, dim=dim, keepdim=keepdim)


def norm(x: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    if ord is not None and x.ndim == 2 and dim is None:
        raise NotImplementedError("linalg.norm with a matrix ord")
    return vector_norm(x, 2 if ord is None else ord, dim, keepdim)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:  # noqa: A002
    """Cross product of 3-vectors along ``dim`` (default the last), broadcasting."""
    from ._ops.linalg import LinalgCrossBackward0
    from ._tensor import _wrap_dim

    if input.ndim != other.ndim:
        raise RuntimeError(
            "linalg.cross: inputs must have the same number of dimensions. Got "
            f"{input.ndim} and {other.ndim}"
        )
    return LinalgCrossBackward0.invoke(input, other, dim=_wrap_dim(dim, input.ndim))
