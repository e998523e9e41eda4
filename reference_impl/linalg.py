"""torch.linalg: vector norms, cross, vecdot, multi_dot, matrix_power, vander, inv, solve and
the determinants."""

from __future__ import annotations

from typing import Any

import numpy as np

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


# -- issue 13, round 3: products, powers, inverses, determinants ------------------------------


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """sum(x * y, dim); two vectors are torch's vdot."""
    from ._functions import sum as sum_
    from ._functions import vdot

    if x.ndim == 1 and y.ndim == 1:
        return vdot(x, y)
    return sum_(x * y, dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: N803
    from ._functions import diagonal as diagonal_

    return diagonal_(A, offset, dim1, dim2)


def _chain_order(dims: list[int]) -> Any:
    """The matrix-chain split table (the cheapest parenthesisation, first split on ties)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = -1
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] == -1 or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors: Any) -> Tensor:
    """A chain of matrix products in the cheapest order, as ATen's multi_dot orders it; a 1-D
    first (last) operand is a row (column) vector, dropped from the result's shape."""
    from ._functions import mm, reshape, unsqueeze

    mats = list(tensors)
    if len(mats) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(mats)}")
    first_1d, last_1d = mats[0].ndim == 1, mats[-1].ndim == 1
    if first_1d:
        mats[0] = unsqueeze(mats[0], 0)
    if last_1d:
        mats[-1] = unsqueeze(mats[-1], -1)
    out_shape = ([] if first_1d else [mats[0].shape[0]]) + ([] if last_1d else [mats[-1].shape[1]])
    if len(mats) == 2:
        product = mm(mats[0], mats[1])
    elif len(mats) == 3:
        a, b, c, d = mats[0].shape[0], mats[1].shape[0], mats[2].shape[0], mats[2].shape[1]
        if a * c * (b + d) > b * d * (a + c):
            product = mm(mats[0], mm(mats[1], mats[2]))
        else:
            product = mm(mm(mats[0], mats[1]), mats[2])
    else:
        split = _chain_order([m.shape[0] for m in mats] + [mats[-1].shape[1]])

        def chain(i: int, j: int) -> Tensor:
            if i == j:
                return mats[i]
            k = split[i][j]
            return mm(chain(i, k), chain(k + 1, j))

        product = chain(0, len(mats) - 1)
    return reshape(product, *out_shape)


def inv_ex(A: Tensor, *, check_errors: bool = False) -> Any:  # noqa: N803
    from collections import namedtuple

    from ._ops.linalg import LinalgInvExBackward0

    linalg_inv_ex = namedtuple("linalg_inv_ex", ["inverse", "info"])  # noqa: PYI024
    return linalg_inv_ex(*LinalgInvExBackward0.invoke(A))


def inv(A: Tensor) -> Tensor:  # noqa: N803
    inverse, info = inv_ex(A)
    if info._data.any():
        raise RuntimeError(
            "linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
            "because the input matrix is singular."
        )
    return inverse


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> Any:  # noqa: N803
    from collections import namedtuple

    from ._ops.linalg import LinalgSolveExBackward0

    if not left:
        raise NotImplementedError("linalg.solve(left=False)")
    linalg_solve_ex = namedtuple("linalg_solve_ex", ["result", "info"])  # noqa: PYI024
    return linalg_solve_ex(*LinalgSolveExBackward0.invoke(A, B))


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:  # noqa: N803
    return solve_ex(A, B, left=left).result


def det(A: Tensor) -> Tensor:  # noqa: N803
    from ._ops.linalg import LinalgDetBackward0

    return LinalgDetBackward0.invoke(A)


def slogdet(A: Tensor) -> Any:  # noqa: N803
    from collections import namedtuple

    from ._ops.linalg import LinalgSlogdetBackward0

    linalg_slogdet = namedtuple("linalg_slogdet", ["sign", "logabsdet"])  # noqa: PYI024
    return linalg_slogdet(*LinalgSlogdetBackward0.invoke(A))


def logdet(A: Tensor) -> Tensor:  # noqa: N803
    """log det(A): nan for a negative determinant (ATen: where(sign == -1, nan, logabsdet))."""
    from ._functions import where

    sign, logabsdet = slogdet(A)
    return where(sign == -1.0, float("nan"), logabsdet)


def matrix_power(A: Tensor, n: int) -> Tensor:  # noqa: N803
    """A^n by ATen's binary decomposition (A^-n: the power of the inverse)."""
    from ._functions import clone, matmul

    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            "linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{A.shape[-2] if A.ndim >= 2 else 1} by {A.shape[-1] if A.ndim else 1} matrices"
        )
    if n == 0:  # ATen: a contiguous clone of A overwritten with the identity (CopyBackwards)
        eye = np.broadcast_to(np.eye(A.shape[-1], dtype=A._data.dtype), tuple(A.shape)).copy()
        return clone(A).copy_(Tensor._from_array(eye))
    a = inv(A) if n < 0 else A
    n = abs(n)
    if n == 1:
        return clone(a)
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    z: Tensor | None = None
    result: Tensor | None = None
    while n > 0:
        bit, n = n % 2, n // 2
        z = a if z is None else matmul(z, z)
        if bit:
            result = z if result is None else matmul(result, z)
    assert result is not None
    return result


def vander(x: Tensor, N: int | None = None) -> Tensor:  # noqa: N803
    """Columns x^0 .. x^(N-1): ones, then the running product of x repeated (as ATen)."""
    from ._functions import cat, cumprod, expand, unsqueeze

    if x.ndim == 0:  # a 0-d x is one point: a 1 x N matrix
        x = unsqueeze(x, 0)
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    column = unsqueeze(x, -1)
    sizes = list(column.shape)
    sizes[-1] = n - 1
    powers = cumprod(expand(column, *sizes), -1)
    ones = Tensor._from_array(np.ones(tuple(column.shape), dtype=x._data.dtype))
    return cat([ones, powers], -1)


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> Any:  # noqa: N803
    from collections import namedtuple

    from ._ops.linalg import LinalgCholeskyExBackward0

    linalg_cholesky_ex = namedtuple("linalg_cholesky_ex", ["L", "info"])  # noqa: PYI024
    return linalg_cholesky_ex(*LinalgCholeskyExBackward0.invoke(A, upper=upper))


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:  # noqa: N803
    factor, info = cholesky_ex(A, upper=upper)
    if info._data.any():
        raise RuntimeError(
            "linalg.cholesky: The factorization could not be completed because the input is not "
            "positive-definite."
        )
    return factor


def matrix_norm(
    A: Tensor,  # noqa: N803
    ord: Any = "fro",  # noqa: A002
    dim: Any = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """The Frobenius norm (the vector 2-norm over the two dims); the spectral and nuclear norms
    need an SVD, which reference_impl lacks."""
    if ord != "fro":
        raise NotImplementedError(f"linalg.matrix_norm(ord={ord!r})")
    return vector_norm(A, 2, tuple(dim), keepdim)
