"""dtypes mirroring torch's: objects that print as ``torch.float32`` and promote like torch.

Type promotion follows torch's three-tier rule (dimensioned tensors, zero-dim tensors, Python
scalars): a lower tier only matters when it is of a higher *category* (bool < int < float).
"""

from __future__ import annotations

import functools
from builtins import bool as _bool
from builtins import int as _int
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ._tensor import Tensor


class dtype:  # noqa: N801 - mirrors torch.dtype
    """A scalar type. Instances are singletons; compare with ``is`` or ``==``."""

    __slots__ = ("name", "numpy", "is_floating_point", "is_signed", "itemsize", "tensor_type")

    def __init__(self, name: str, np_dtype: type, tensor_type: str) -> None:
        self.name = name
        self.numpy = np.dtype(np_dtype)
        self.is_floating_point = self.numpy.kind == "f"
        self.is_signed = self.numpy.kind in "fi"
        self.itemsize = self.numpy.itemsize
        self.tensor_type = tensor_type

    @property
    def category(self) -> _int:
        """0 bool, 1 integer, 2 floating: the order torch promotes across."""
        return 2 if self.is_floating_point else (0 if self.numpy.kind == "b" else 1)

    @property
    def scalar_name(self) -> str:
        """torch's ScalarType name, as error messages print it: Float, Double, Long..."""
        return self.tensor_type.removeprefix("torch.").removesuffix("Tensor")

    @property
    def is_complex(self) -> _bool:
        return False

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    __str__ = __repr__

    def __reduce__(self) -> str:
        return self.name


float16 = half = dtype("float16", np.float16, "torch.HalfTensor")
float32 = float = dtype("float32", np.float32, "torch.FloatTensor")  # noqa: A001
float64 = double = dtype("float64", np.float64, "torch.DoubleTensor")
uint8 = dtype("uint8", np.uint8, "torch.ByteTensor")
int8 = dtype("int8", np.int8, "torch.CharTensor")
int16 = short = dtype("int16", np.int16, "torch.ShortTensor")
int32 = int = dtype("int32", np.int32, "torch.IntTensor")  # noqa: A001
int64 = long = dtype("int64", np.int64, "torch.LongTensor")
bool = dtype("bool", np.bool_, "torch.BoolTensor")  # noqa: A001

ALL_DTYPES = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_BY_NUMPY = {d.numpy: d for d in ALL_DTYPES}

_default_dtype = float32


def get_default_dtype() -> dtype:
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    global _default_dtype
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_dtype = d


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    found = _BY_NUMPY.get(np_dtype)  # an array's dtype (the hot case): no conversion needed
    if found is None:  # a scalar type or a name, or a dtype we lack (a foreign byte order)
        converted = np.dtype(np_dtype)
        found = _BY_NUMPY.get(converted)
        if found is None:
            raise TypeError(f"can't convert np.ndarray of type {converted}")
    return found


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types for the dtypes we have (NumPy agrees on these pairs but int/float)."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return from_numpy_dtype(np.promote_types(a.numpy, b.numpy))


def scalar_dtype(value: object) -> dtype:
    """The dtype a Python scalar takes as a wrapped number (floats take the default dtype)."""
    if isinstance(value, (np.bool_,)) or value is True or value is False:
        return bool
    if isinstance(value, (np.integer, _int)):  # `int` here is the dtype
        return int64
    return _default_dtype


def _wrapped_dtype(category: _int) -> dtype:
    return (bool, int64, _default_dtype)[category]


@functools.cache
def _tensor_class() -> type[Tensor]:
    """``Tensor``, whose module imports this one: imported once, on first use (an import in
    a function reruns the import machinery, about a microsecond, on every call)."""
    from ._tensor import Tensor

    return Tensor


def result_type(*operands: object) -> dtype:
    """torch.result_type over tensors and Python scalars."""
    tensor = _tensor_class()
    if len(operands) == 2:
        a, b = operands
        if isinstance(a, tensor) and isinstance(b, tensor):
            return binary_result_type(a, b)
    return _tier_walk(operands)


def binary_result_type(a: Tensor, b: Tensor) -> dtype:
    """``result_type(a, b)`` for two tensors: what every binary op asks, so it comes first."""
    common = _binary_shortcut(a, b)
    return _tier_walk((a, b)) if common is None else common


def _tier_walk(operands: tuple[object, ...]) -> dtype:
    """The general rule: promote within each tier, then let a lower tier in only when it is of
    a higher category."""
    tensor = _tensor_class()
    tiers: list[dtype | None] = [None, None, None]  # dimensioned, zero-dim, scalar
    for op in operands:
        if isinstance(op, tensor) and not op._wrapped_number:
            tier, d = (0 if op.ndim else 1), op.dtype
        elif isinstance(op, tensor):
            tier, d = 2, _wrapped_dtype(op.dtype.category)
        else:
            tier, d = 2, scalar_dtype(op)
        current = tiers[tier]
        tiers[tier] = d if current is None else promote_types(current, d)
    result = _combine(tiers[0], _combine(tiers[1], tiers[2]))
    return _default_dtype if result is None else result


def _binary_shortcut(a: Tensor, b: Tensor) -> dtype | None:
    """The two cases nearly every binary op meets, answered without the tier walk (the walk
    gives the same answer): two plain tensors of one dtype give that dtype; a plain *floating*
    tensor beside a wrapped number gives the tensor's dtype (a float of a higher tier wins)."""
    if a._wrapped_number:
        a, b = b, a
    if a._wrapped_number:
        return None
    if not b._wrapped_number:
        return a.dtype if a._data.dtype == b._data.dtype else None
    d = a.dtype
    return d if d.is_floating_point else None


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher
