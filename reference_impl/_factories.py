"""Tensor factories: ``tensor``, ``zeros``, ``ones``, ... and the module's own RNG.

Values that must be identical on torch and the reference come from the harness, not from
``rand``/``randn`` here: this generator is NumPy's, not torch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _dtype as dt
from ._tensor import Tensor

_rng = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    global _rng
    _rng = np.random.default_rng(int(seed))
    return _rng


def _shape(size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _finish(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._from_array(data)
    if requires_grad:
        if not t.dtype.is_floating_point:
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        t._requires_grad = True
    return t


def _infer_dtype(data: Any) -> dt.dtype:
    """torch.tensor's inference: bool < int < float over every element, floats default."""
    if isinstance(data, np.ndarray):
        return dt.from_numpy_dtype(data.dtype)
    if isinstance(data, np.generic):
        return dt.from_numpy_dtype(data.dtype)
    if isinstance(data, Tensor):
        return data.dtype
    flat = list(_flatten(data))
    if not flat:
        return dt.get_default_dtype()
    if any(isinstance(v, (float, np.floating)) for v in flat):
        return dt.get_default_dtype()
    if all(isinstance(v, (bool, np.bool_)) for v in flat):
        return dt.bool
    return dt.int64


def _flatten(data: Any) -> Any:
    if isinstance(data, (list, tuple)):
        for item in data:
            yield from _flatten(item)
    elif isinstance(data, Tensor):
        yield from data._data.reshape(-1).tolist() if data.ndim else [data.item()]
    else:
        yield data


def _check_nested(data: Any, dim: int = 0) -> None:
    """torch's ragged-list error."""
    if isinstance(data, (list, tuple)) and data and isinstance(data[0], (list, tuple)):
        n = len(data[0])
        for item in data:
            if not isinstance(item, (list, tuple)) or len(item) != n:
                got = len(item) if isinstance(item, (list, tuple)) else 0
                raise ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {got})")
            _check_nested(item, dim + 1)


def tensor(
    data: Any,
    dtype: dt.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A new leaf tensor holding a copy of ``data``."""
    if isinstance(data, Tensor):
        data = data._data
    elif isinstance(data, (list, tuple)):
        _check_nested(data)
        data = [d._data if isinstance(d, Tensor) else d for d in data]
    target = dtype or _infer_dtype(data)
    arr = np.array(data, dtype=target.numpy, copy=True)
    return _finish(arr, requires_grad)


def as_tensor(data: Any, dtype: dt.dtype | None = None, device: Any = None) -> Tensor:
    if isinstance(data, Tensor) and (dtype is None or dtype is data.dtype):
        return data
    return tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    return Tensor._from_array(array)


def _filled(fill: Any) -> Any:
    def factory(
        *size: Any,
        dtype: dt.dtype | None = None,
        device: Any = None,
        requires_grad: bool = False,
        **_: Any,
    ) -> Tensor:
        target = dtype or dt.get_default_dtype()
        return _finish(fill(_shape(size), dtype=target.numpy), requires_grad)

    return factory


zeros = _filled(np.zeros)
ones = _filled(np.ones)
empty = _filled(np.zeros)


def full(
    size: Any,
    fill_value: Any,
    *,
    dtype: dt.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    target = dtype or (
        dt.scalar_dtype(fill_value) if not isinstance(fill_value, float) else dt.get_default_dtype()
    )
    return _finish(np.full(_shape((size,)), fill_value, dtype=target.numpy), requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: dt.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    target = dtype or dt.get_default_dtype()
    return _finish(np.eye(n, m, dtype=target.numpy), requires_grad)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: dt.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = dt.get_default_dtype() if is_float else dt.int64
    n = max(int(np.ceil((end - start) / step)), 0)
    data = (start + np.arange(n, dtype=np.float64) * step).astype(dtype.numpy)
    return _finish(data, requires_grad)


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: dt.dtype | None = None,
    requires_grad: bool = False,
) -> Tensor:
    target = dtype or dt.get_default_dtype()
    return _finish(np.linspace(start, end, steps).astype(target.numpy), requires_grad)


def _like(factory: Any) -> Any:
    def like(
        input: Tensor,
        *,
        dtype: dt.dtype | None = None,
        device: Any = None,  # noqa: A002
        requires_grad: bool = False,
        memory_format: Any = None,
    ) -> Tensor:
        return factory(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)

    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: dt.dtype | None = None,  # noqa: A002
    requires_grad: bool = False,
) -> Tensor:
    return full(
        tuple(input.shape), fill_value, dtype=dtype or input.dtype, requires_grad=requires_grad
    )


def rand(
    *size: Any,
    dtype: dt.dtype | None = None,
    requires_grad: bool = False,
    generator: Any = None,
    **_: Any,
) -> Tensor:
    target = dtype or dt.get_default_dtype()
    return _finish(_rng.random(_shape(size)).astype(target.numpy), requires_grad)


def randn(
    *size: Any,
    dtype: dt.dtype | None = None,
    requires_grad: bool = False,
    generator: Any = None,
    **_: Any,
) -> Tensor:
    target = dtype or dt.get_default_dtype()
    return _finish(_rng.standard_normal(_shape(size)).astype(target.numpy), requires_grad)


def randint(
    low: int, high: Any = None, size: Any = None, *, dtype: dt.dtype | None = None, **_: Any
) -> Tensor:
    if size is None:
        low, high, size = 0, low, high
    return Tensor._from_array(
        _rng.integers(low, high, _shape((size,))).astype((dtype or dt.int64).numpy)
    )


def rand_like(
    input: Tensor, *, dtype: dt.dtype | None = None, requires_grad: bool = False
) -> Tensor:  # noqa: A002
    return rand(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(
    input: Tensor, *, dtype: dt.dtype | None = None, requires_grad: bool = False
) -> Tensor:  # noqa: A002
    return randn(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)
