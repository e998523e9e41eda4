"""The engine's fast paths give exactly what the general code they short-cut gives.

Each shortcut exists for speed on small graphs; these tests pin that it is only a shortcut:
the same dtype, shape or value as the slow path, over every case the shortcut accepts.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import reference_impl as torch
from reference_impl import _dtype as dt
from reference_impl._ops.base import as_tensor_arg
from reference_impl._size import Size
from reference_impl._tensor import Tensor


def _operands() -> list[Tensor]:
    """Every dtype as a dimensioned tensor and as a 0-d tensor, plus the three wrapped numbers."""
    out = []
    for d in dt.ALL_DTYPES:
        out.append(Tensor._from_array(np.zeros((2,), dtype=d.numpy)))
        out.append(Tensor._from_array(np.zeros((), dtype=d.numpy)))
    out += [as_tensor_arg(True), as_tensor_arg(3), as_tensor_arg(2.5)]
    return out


@pytest.mark.parametrize("default", [dt.float32, dt.float64])
def test_result_type_shortcut_agrees_with_the_tier_walk_for_every_pair(default: dt.dtype) -> None:
    previous = dt.get_default_dtype()
    dt.set_default_dtype(default)
    try:
        pairs = list(itertools.product(_operands(), repeat=2))
        for a, b in pairs:
            expected = dt._tier_walk((a, b))
            assert dt.result_type(a, b) is expected, (a._data, b._data)
            assert dt.binary_result_type(a, b) is expected, (a._data, b._data)
    finally:
        dt.set_default_dtype(previous)


def test_result_type_shortcut_is_taken_for_same_dtype_and_float_with_scalar() -> None:
    x = Tensor._from_array(np.zeros((2,), np.float16))
    assert dt._binary_shortcut(x, x) is dt.float16
    assert dt._binary_shortcut(as_tensor_arg(1.5), x) is dt.float16
    assert dt._binary_shortcut(Tensor._from_array(np.zeros(2, np.int32)), as_tensor_arg(2)) is None


def test_shape_is_a_size_of_python_ints_equal_to_the_converting_constructor() -> None:
    t = torch.zeros(2, 3, 1)
    assert type(t.shape) is Size
    assert t.shape == Size([2, 3, 1]) and repr(t.shape) == "torch.Size([2, 3, 1])"
    assert all(type(n) is int for n in t.shape)


def test_from_numpy_dtype_still_refuses_a_foreign_byte_order() -> None:
    with pytest.raises(TypeError, match="can't convert np.ndarray of type >f4"):
        dt.from_numpy_dtype(np.dtype(">f4"))
    assert dt.from_numpy_dtype(np.float32) is dt.float32  # a scalar type, not a dtype
