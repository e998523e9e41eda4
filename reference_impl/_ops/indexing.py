"""``t[key]`` and ``t[key] = value`` as torch decomposes them.

Basic indices (ints, slices, None, Ellipsis) become a chain of view ops (SelectBackward0,
SliceBackward0, UnsqueezeBackward0) applied left to right; what remains of advanced indices
(lists, integer or boolean tensors and arrays) becomes one IndexBackward0 (a copy).
Assignment writes through the basic view with ``copy_``/``fill_`` (so the base gets CopySlices)
and uses ``index_put_`` for advanced indices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._layout import PRESERVE
from .._tensor import Tensor
from .base import Op, as_tensor_arg
from .views import SelectBackward0, SliceBackward0, UnsqueezeBackward0


class IndexBackward0(Op):
    """Advanced indexing (a gather): a copy whose gradient scatters back, adding duplicates."""

    jvp_linear = True

    def forward(self, a: np.ndarray, key: Any) -> np.ndarray:
        self.shape = a.shape
        self.key = key
        return np.array(a[key])

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (embed(grad, self.shape, self.key),)


def strided_positions(
    a: np.ndarray, size: tuple[int, ...], stride: tuple[int, ...], storage_offset: int
) -> np.ndarray:
    """The flat positions in ``a`` (its elements in C order) that ``as_strided(size, stride,
    storage_offset)`` reads, after torch's checks of the lengths and the storage bounds."""
    if len(size) != len(stride):
        raise RuntimeError(
            f"mismatch in length of strides and shape ({len(stride)} != {len(size)})"
        )
    itemsize = a.dtype.itemsize
    span = (
        0
        if 0 in size
        else itemsize * (1 + sum((n - 1) * s for n, s in zip(size, stride, strict=True)))
    )
    needed = storage_offset * itemsize + span
    if span and needed > a.size * itemsize:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
            f"{storage_offset}, and itemsize {itemsize} requiring a storage size of {needed} "
            f"are out of bounds for storage of size {a.size * itemsize}"
        )
    flat = np.asarray(storage_offset, dtype=np.int64)
    for g, s in zip(np.indices(size, sparse=True) if size else [], stride, strict=True):
        flat = flat + g * s
    return np.broadcast_to(flat, size)


class AsStridedBackward0(IndexBackward0):
    """as_strided(size, stride, storage_offset) over the input's elements in C order (its own
    storage here): a gather whose gradient adds back overlapping reads."""

    def forward(
        self, a: np.ndarray, size: tuple[int, ...], stride: tuple[int, ...], storage_offset: int
    ) -> np.ndarray:
        positions = strided_positions(a, size, stride, storage_offset)
        self.input_shape = a.shape
        return super().forward(a.reshape(-1), (positions,))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        (flat,) = super().backward(grad)
        return (flat.reshape(self.input_shape),)


class IndexPutBackward0(Op):
    """``t[indices] = values`` (``index_put_``), optionally accumulating."""

    layout = PRESERVE

    jvp_linear = True

    def forward(self, a: np.ndarray, values: np.ndarray, key: Any, accumulate: bool) -> np.ndarray:
        self.key = key
        self.accumulate = accumulate
        self.values_shape = values.shape
        out = a.copy()
        vals = values.astype(a.dtype, copy=False)
        if accumulate:
            np.add.at(out, key, np.broadcast_to(vals, out[key].shape))
        else:
            out[key] = vals
        return out

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        from .base import unbroadcast

        grad_self = None
        if self.needs_input_grad[0]:
            grad_self = grad if self.accumulate else grad.index_put((self.key,), 0.0)
        grad_values = None
        if self.needs_input_grad[1]:
            grad_values = unbroadcast(IndexBackward0.invoke(grad, key=self.key), self.values_shape)
        return grad_self, grad_values


class EmbedBackward(Op):
    """Zeros of ``shape`` with ``grad`` added at ``key``: the adjoint of indexing."""

    jvp_linear = True

    def forward(self, g: np.ndarray, shape: tuple[int, ...], key: Any) -> np.ndarray:
        self.key = key
        out = np.zeros(shape, dtype=g.dtype)
        if _is_basic(key):
            out[key] = g
        else:
            np.add.at(out, key, g)
        return out

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (IndexBackward0.invoke(grad, key=self.key),)


class SelectBackwardBackward0(EmbedBackward):
    pass


class SliceBackwardBackward0(EmbedBackward):
    pass


def embed(grad: Tensor, shape: tuple[int, ...], key: Any) -> Tensor:
    """Scatter ``grad`` into zeros of ``shape`` at ``key`` (named as torch names the op)."""
    cls: type[EmbedBackward]
    if _is_basic(key):
        cls = SliceBackwardBackward0 if isinstance(key[-1], slice) else SelectBackwardBackward0
    else:
        cls = EmbedBackward
    return cls.invoke(grad, shape=tuple(shape), key=key)


def _is_basic(key: Any) -> bool:
    return all(isinstance(k, (int, slice, type(None), type(Ellipsis))) for k in key)


# -- key parsing ---------------------------------------------------------------------------------


def _as_index_array(k: Any) -> np.ndarray:
    if isinstance(k, Tensor):
        return k._data
    arr = np.asarray(k)
    if arr.dtype.kind not in "biu":
        if arr.size == 0:
            return arr.astype(np.int64)
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return arr


def _is_int_scalar(k: Any) -> bool:
    if isinstance(k, (bool, np.bool_)):
        return False
    if isinstance(k, (int, np.integer)):
        return True
    return isinstance(k, Tensor) and k.ndim == 0 and k.dtype.category == 1


def _consumed(k: Any) -> int:
    """How many input dims an index entry consumes."""
    if k is None or k is Ellipsis:
        return 0
    if isinstance(k, (int, np.integer, slice)) or _is_int_scalar(k):
        return 1
    arr = _as_index_array(k)
    return arr.ndim if arr.dtype == np.bool_ else 1


def _normalize_key(t: Tensor, key: Any) -> tuple[Any, ...]:
    if not isinstance(key, tuple):
        key = (key,)
    used = sum(_consumed(k) for k in key)
    if used > t.ndim:
        raise IndexError(f"too many indices for tensor of dimension {t.ndim}")
    if Ellipsis in [k for k in key if k is Ellipsis]:
        i = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:i] + (slice(None),) * (t.ndim - used) + key[i + 1 :]
    return key


def apply_basic(
    t: Tensor, key: tuple[Any, ...], skip_full_slices: bool = False
) -> tuple[Tensor, list[tuple[int, np.ndarray]]]:
    """Apply the basic part of ``key``; return the view and the pending advanced indices.

    Assignment skips full slices (``t[:, 0] = v`` selects from ``t`` directly), as torch does.
    """
    result = t
    dim = 0
    advanced: list[tuple[int, np.ndarray]] = []
    for k in key:
        if k is None:
            result = UnsqueezeBackward0.invoke(result, dim=dim)
            dim += 1
        elif _is_int_scalar(k):
            size = result.shape[dim]
            i = int(k)
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")
            result = SelectBackward0.invoke(result, dim=dim, index=i % size)
        elif isinstance(k, slice):
            if k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero")
            start, stop, step = k.indices(result.shape[dim])
            stop = max(stop, start)
            if skip_full_slices and (start, stop, step) == (0, result.shape[dim], 1):
                dim += 1
                continue
            result = SliceBackward0.invoke(result, dim=dim, start=start, stop=stop, step=step)
            dim += 1
        else:
            arr = _as_index_array(k)
            if arr.dtype == np.bool_:
                _check_mask(arr, result.shape, dim)
                for j, idx in enumerate(np.nonzero(arr)):
                    advanced.append((dim + j, idx))
                dim += arr.ndim
            else:
                size = result.shape[dim]
                bad = arr[(arr >= size) | (arr < -size)]
                if bad.size:
                    raise IndexError(
                        f"index {int(bad.flat[0])} is out of bounds for dimension {dim} with size "
                        f"{size}"
                    )
                advanced.append((dim, arr.astype(np.int64)))
                dim += 1
    return result, advanced


def _check_mask(mask: np.ndarray, shape: tuple[int, ...], dim: int) -> None:
    for j, n in enumerate(mask.shape):
        if shape[dim + j] != n:
            raise IndexError(
                f"The shape of the mask {list(mask.shape)} at index {j} does not match the shape "
                f"of the indexed tensor {list(shape)} at index {dim + j}"
            )


def _advanced_key(ndim: int, advanced: list[tuple[int, np.ndarray]]) -> tuple[Any, ...]:
    key: list[Any] = [slice(None)] * (max(d for d, _ in advanced) + 1)
    for d, idx in advanced:
        key[d] = idx
    return tuple(key)


def getitem(t: Tensor, key: Any) -> Tensor:
    result, advanced = apply_basic(t, _normalize_key(t, key))
    if not advanced:
        return result
    return IndexBackward0.invoke(result, key=_advanced_key(result.ndim, advanced))


def setitem(t: Tensor, key: Any, value: Any) -> None:
    """torch's ``copy_to``: full slices are skipped, so ``t[:] = 1.`` fills ``t`` itself."""
    region, advanced = apply_basic(t, _normalize_key(t, key), skip_full_slices=True)
    if advanced:
        region.index_put_(_advanced_key(region.ndim, advanced), value)
        return
    from .pointwise import FillBackward3

    value = value if isinstance(value, Tensor) else _value_tensor(value, t)
    if tuple(value.shape) == tuple(region.shape):
        region.copy_(value)
    elif value.ndim == 0:
        FillBackward3.invoke_inplace(region, value)
    else:
        # torch views the value without its leading 1-dims, then expands it to the region.
        shape = tuple(value.shape)
        while shape and shape[0] == 1:
            shape = shape[1:]
        region.copy_(value.view(*shape).expand(*region.shape))


def _value_tensor(value: Any, like: Tensor) -> Tensor:
    """A Python scalar on the right of ``t[k] = v`` becomes a 0-d tensor of ``t``'s dtype."""
    return Tensor._from_array(np.asarray(value, dtype=like._data.dtype))


def index_put(
    t: Tensor, indices: Any, values: Any, accumulate: bool = False, inplace: bool = False
) -> Tensor:
    key = tuple(i._data if isinstance(i, Tensor) else i for i in indices)
    if len(key) == 1 and isinstance(key[0], tuple):
        key = key[0]
    vals = as_tensor_arg(values)
    if inplace:
        return IndexPutBackward0.invoke_inplace(t, vals, key=key, accumulate=accumulate)
    out: Tensor = IndexPutBackward0.invoke(t, vals, key=key, accumulate=accumulate)
    return out
