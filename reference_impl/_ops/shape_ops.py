"""Copies that rearrange or select elements by position: flip, roll, rot90, repeat, tril/triu,
diagonal, diag_embed, trace.

Each backward is the adjoint rearrangement (flip again, roll back, rotate back, sum the repeats,
mask the same triangle, embed the diagonal), written with reference ops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._layout import CONTIGUOUS, PRESERVE
from .._tensor import Tensor
from .base import Op
from .pointwise import _const


class FlipBackward0(Op):
    layout = PRESERVE
    jvp_linear = True

    def forward(self, a: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        self.dims = dims
        return np.flip(a, dims).copy() if dims else a.copy()

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (FlipBackward0.invoke(grad, dims=self.dims),)


class RollBackward0(Op):
    """roll by ``shifts`` along ``dims`` (no dims: over the flattened tensor)."""

    layout = CONTIGUOUS

    jvp_linear = True

    def forward(self, a: np.ndarray, shifts: tuple[int, ...], dims: tuple[int, ...]) -> np.ndarray:
        self.shifts, self.dims = shifts, dims
        if not dims:
            return np.roll(a.reshape(-1), shifts[0]).reshape(a.shape)
        return np.roll(a, shifts, dims)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        back = tuple(-s for s in self.shifts)
        return (RollBackward0.invoke(grad, shifts=back, dims=self.dims),)


class Rot90Backward0(Op):
    jvp_linear = True

    def forward(self, a: np.ndarray, k: int, dims: tuple[int, int]) -> np.ndarray:
        self.k, self.dims = k, dims
        return np.rot90(a, k, axes=dims).copy()

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (Rot90Backward0.invoke(grad, k=-self.k, dims=self.dims),)


class RepeatBackward0(Op):
    """Tile the input ``repeats`` times per dim (extra leading repeats add dims)."""

    layout = CONTIGUOUS

    jvp_linear = True

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
    jvp_linear = True
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

    jvp_linear = True

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

    jvp_linear = True

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
    jvp_linear = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        if a.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
        self.shape = a.shape
        return np.asarray(np.trace(a))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (grad * _const(np.eye(*self.shape), grad),)


# -- padding, windows and scatters into a region (issue 13, round 2) ----------------------------


class ConstantPadNdBackward0(Op):
    """Pad the last dims by (left, right) pairs, last dim first; negative pads crop. The
    adjoint is the opposite padding (crop what was added, zero-pad what was cropped)."""

    def forward(self, a: np.ndarray, pad: tuple[int, ...], value: Any = 0) -> np.ndarray:
        if len(pad) % 2 or len(pad) // 2 > a.ndim:
            raise RuntimeError(
                f"Length of pad must be even but instead it equals {len(pad)}"
                if len(pad) % 2
                else "Padding length too large"
            )
        self.pad = tuple(pad)
        out = a
        for i in range(len(pad) // 2):
            dim = a.ndim - 1 - i
            left, right = pad[2 * i], pad[2 * i + 1]
            n = out.shape[dim]
            out = out[(slice(None),) * dim + (slice(max(-left, 0), n - max(-right, 0)),)]
            widths = [(0, 0)] * a.ndim
            widths[dim] = (max(left, 0), max(right, 0))
            out = np.pad(out, widths, constant_values=value)
        return np.array(out, dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (ConstantPadNdBackward0.invoke(grad, pad=tuple(-p for p in self.pad)),)

    def jvp(self, t: Tensor) -> Tensor:
        # the padding value is a constant: its tangent is zero
        return ConstantPadNdBackward0.invoke(t, pad=self.pad, value=0)


def _unfold_key(
    shape: tuple[int, ...], dim: int, size: int, step: int
) -> tuple[tuple[np.ndarray, ...], tuple[int, ...]]:
    """Index arrays reading the windows of unfold(dim, size, step), and the output shape."""
    windows = (shape[dim] - size) // step + 1
    out_shape = shape[:dim] + (windows,) + shape[dim + 1 :] + (size,)
    grids = np.indices(out_shape, sparse=True)
    key = list(grids[:-1])
    key[dim] = key[dim] * step + grids[-1]
    return tuple(key), out_shape


class UnfoldBackward0(Op):
    """unfold(dim, size, step): the windows along dim as a new last dim (a copy here). Windows
    overlap when step < size, so the adjoint adds (an advanced-index scatter)."""

    jvp_linear = True

    def forward(self, a: np.ndarray, dim: int, size: int, step: int) -> np.ndarray:
        n = a.shape[dim] if a.ndim else 1
        if size > n:
            raise RuntimeError(
                f"maximum size for tensor at dimension {dim} is {n} but size is {size}"
            )
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        self.shape = a.shape
        self.key, out_shape = _unfold_key(a.shape or (1,), dim, size, step)
        out = np.asarray(a.reshape(a.shape or (1,))[self.key])
        return out.reshape(out_shape if a.ndim else (size,))

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        from .indexing import EmbedBackward

        if not self.shape:
            return (grad.reshape(()),)
        return (EmbedBackward.invoke(grad, shape=tuple(self.shape), key=self.key),)


class _ScatterInto(Op):
    """``src`` written over a region of a copy of ``input``: the input's gradient is zero on the
    region, the source's is the region of the gradient."""

    jvp_linear = True

    def region(self, shape: tuple[int, ...]) -> Any:
        raise NotImplementedError

    def take(self, grad: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, a: np.ndarray, src: np.ndarray, **params: Any) -> np.ndarray:
        self.params = params
        key = self.region(a.shape)
        out = a.copy()
        if np.shape(out[key]) != src.shape:
            raise RuntimeError(
                f"expected src to have a size equal to the slice of self. src size = "
                f"{list(src.shape)}, slice size = {list(np.shape(out[key]))}"
            )
        out[key] = src
        self.mask = np.zeros(a.shape, dtype=bool)
        self.mask[key] = True
        return out

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        from .pointwise import where_const

        g_in = where_const(self.mask, 0.0, grad) if self.needs_input_grad[0] else None
        g_src = self.take(grad) if self.needs_input_grad[1] else None
        return g_in, g_src


class SelectScatterBackward0(_ScatterInto):
    def region(self, shape: tuple[int, ...]) -> Any:
        return (slice(None),) * self.params["dim"] + (self.params["index"],)

    def take(self, grad: Tensor) -> Tensor:
        return grad.select(self.params["dim"], self.params["index"])


class SliceScatterBackward0(_ScatterInto):
    def region(self, shape: tuple[int, ...]) -> Any:
        p = self.params
        return (slice(None),) * p["dim"] + (slice(p["start"], p["end"], p["step"]),)

    def take(self, grad: Tensor) -> Tensor:
        from .views import SliceBackward0

        p = self.params
        n = grad.shape[p["dim"]]
        start, stop, step = slice(p["start"], p["end"], p["step"]).indices(n)
        return SliceBackward0.invoke(grad, dim=p["dim"], start=start, stop=stop, step=step)


class DiagonalScatterBackward0(_ScatterInto):
    def region(self, shape: tuple[int, ...]) -> Any:
        p = self.params
        key, _ = _diagonal_key(shape, p["offset"], p["dim1"], p["dim2"])
        return key

    def take(self, grad: Tensor) -> Tensor:
        p = self.params
        return DiagonalBackward0.invoke(grad, offset=p["offset"], dim1=p["dim1"], dim2=p["dim2"])


class BlockDiagBackward0(Op):
    """The inputs (each viewed as 2-D) along the diagonal of a zero matrix."""

    jvp_linear = True

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        assert self._inputs is not None
        from .. import _dtype as dt

        mats = [a.reshape(1, -1) if a.ndim < 2 else a for a in arrays]
        mats = [m.reshape(1, 1) if a.ndim == 0 else m for m, a in zip(mats, arrays, strict=True)]
        self.shapes = [a.shape for a in arrays]
        self.offsets = []
        rows = sum(m.shape[0] for m in mats)
        cols = sum(m.shape[1] for m in mats)
        dtype = dt.result_type(*self._inputs).numpy if arrays else np.float32
        out = np.zeros((rows, cols), dtype=dtype)
        r = c = 0
        for m in mats:
            out[r : r + m.shape[0], c : c + m.shape[1]] = m
            self.offsets.append((r, c, m.shape))
            r, c = r + m.shape[0], c + m.shape[1]
        return out

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        out: list[Tensor | None] = []
        for (r, c, (h, w)), shape, need in zip(
            self.offsets, self.shapes, self.needs_input_grad, strict=True
        ):
            block = grad.narrow(0, r, h).narrow(1, c, w) if need else None
            out.append(block.reshape(shape) if block is not None else None)
        return tuple(out)


# -- index_fill / index_copy / masked_select / masked_scatter -----------------------------------


def _along(dim: int, index: np.ndarray) -> tuple[Any, ...]:
    return (slice(None),) * dim + (index,)


class IndexFillBackward0(Op):
    """Positions ``index`` along dim set to a scalar: their gradient is zero."""

    layout = PRESERVE

    def forward(self, a: np.ndarray, dim: int, index: np.ndarray, value: Any) -> np.ndarray:
        self.dim, self.index = dim, index.reshape(-1)
        out = a.copy()
        if a.ndim:
            out[_along(dim, self.index)] = value
        elif self.index.size:
            out[...] = value
        return out

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (IndexFillBackward0.invoke(grad, dim=self.dim, index=self.index, value=0.0),)

    def jvp(self, t: Tensor) -> Tensor:
        return IndexFillBackward0.invoke(t, **{**self.fw_param_dict(), "value": 0})


class IndexFillBackward1(Op):
    """index_fill with a 0-d tensor value: the value gets the gradient summed over the filled
    positions (each position once, as torch's unique indices)."""

    layout = PRESERVE

    def forward(self, a: np.ndarray, value: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
        if value.ndim != 0:
            raise RuntimeError(
                "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        self.dim, self.index = dim, index.reshape(-1)
        self.value_dtype = value.dtype
        out = a.copy()
        if a.ndim:
            out[_along(dim, self.index)] = value
        elif self.index.size:
            out[...] = value
        return out

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        g_self = g_value = None
        if self.needs_input_grad[0]:
            g_self = IndexFillBackward0.invoke(grad, dim=self.dim, index=self.index, value=0.0)
        if self.needs_input_grad[1]:
            unique = Tensor._from_array(np.unique(self.index % max(_size(grad, self.dim), 1)))
            picked = grad.index_select(self.dim, unique) if grad.ndim else grad
            g_value = picked.sum()
            if g_value._data.dtype != self.value_dtype:
                from .. import _dtype as dt

                g_value = g_value.to(dt.from_numpy_dtype(self.value_dtype))
        return g_self, g_value

    def jvp(self, ta: Tensor | None, tv: Tensor | None) -> Tensor:
        params = {"dim": self.fw_param("dim"), "index": self.fw_param("index")}
        base = ta if ta is not None else self.fw_zeros()
        value = tv if tv is not None else _zeros_like_0d(self.fw_input(1))
        return IndexFillBackward1.invoke(base, value, **params)


def _size(t: Tensor, dim: int) -> int:
    return int(t.shape[dim]) if t.ndim else 1


def _zeros_like_0d(t: Tensor) -> Tensor:
    return Tensor._from_array(np.zeros((), dtype=t._data.dtype))


class IndexCopyBackward0(Op):
    """Slices of ``source`` copied to positions ``index`` along dim."""

    jvp_linear = True

    def forward(self, a: np.ndarray, src: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
        self.dim, self.index = dim, index.reshape(-1)
        out = a.copy()
        if a.ndim:
            out[_along(dim, self.index)] = src if src.ndim == a.ndim else src.reshape(-1)
        else:
            out[...] = src
        return out

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        g_in = g_src = None
        if self.needs_input_grad[0]:
            g_in = IndexFillBackward0.invoke(grad, dim=self.dim, index=self.index, value=0.0)
        if self.needs_input_grad[1]:
            if grad.ndim == 0:
                g_src = grad
            else:
                from .. import _functions as F

                g_src = F.index_select(grad, self.dim, Tensor._from_array(self.index))
        return g_in, g_src


class MaskedSelectBackward0(Op):
    """The elements where the (broadcast) mask holds, as a 1-D copy."""

    jvp_linear = True

    tensor_params = ("mask",)

    def forward(self, a: np.ndarray, mask: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(a.shape, mask.shape)
        self.shape, self.full = a.shape, shape
        self.key = np.nonzero(np.broadcast_to(mask, shape).reshape(shape or (1,)))
        return np.array(np.broadcast_to(a, shape).reshape(shape or (1,))[self.key])

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        from .base import unbroadcast
        from .indexing import EmbedBackward

        full = EmbedBackward.invoke(grad, shape=tuple(self.full) or (1,), key=self.key)
        return (unbroadcast(full.reshape(self.full), tuple(self.shape)),)


class MaskedScatterBackward0(Op):
    """Positions where the mask holds take ``source``'s leading elements in order."""

    jvp_linear = True

    tensor_params = ("mask",)

    def forward(self, a: np.ndarray, src: np.ndarray, mask: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(a.shape, mask.shape)
        self.shape = a.shape
        mask = np.broadcast_to(mask, shape).reshape(shape or (1,))
        a = np.broadcast_to(a, shape).reshape(shape or (1,))
        self.key = np.nonzero(mask)
        self.count, self.src_shape = int(mask.sum()), src.shape
        if self.count > src.size:
            raise RuntimeError("masked_scatter: expected source to have at least as many elements")
        out = a.copy()
        out[self.key] = src.reshape(-1)[: self.count]
        return out.reshape(shape)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        from .indexing import EmbedBackward, IndexBackward0
        from .pointwise import where_const

        g_in = g_src = None
        from .base import unbroadcast

        flat_shape = tuple(grad.shape) or (1,)
        g = grad.reshape(flat_shape)
        if self.needs_input_grad[0]:
            mask = np.zeros(flat_shape, dtype=bool)
            mask[self.key] = True
            g_in = unbroadcast(where_const(mask, 0.0, g).reshape(grad.shape), self.shape)
        if self.needs_input_grad[1]:
            picked = IndexBackward0.invoke(g, key=self.key)
            size = int(np.prod(self.src_shape))
            flat = EmbedBackward.invoke(picked, shape=(size,), key=(np.arange(self.count),))
            g_src = flat.reshape(self.src_shape)
        return g_in, g_src


# -- pixel and channel shuffles as one node each (issue 13, round 3) ----------------------------


def _pixel_shuffle(a: np.ndarray, r: int) -> np.ndarray:
    *lead, c, h, w = a.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    n = len(lead)
    x = a.reshape(*lead, c // (r * r), r, r, h, w)
    x = np.transpose(x, (*range(n), n, n + 3, n + 1, n + 4, n + 2))
    return x.reshape(*lead, c // (r * r), h * r, w * r).copy()


def _pixel_unshuffle(a: np.ndarray, r: int) -> np.ndarray:
    *lead, c, h, w = a.shape
    if h % r or w % r:
        raise RuntimeError(
            "pixel_unshuffle expects height and width to be divisible by downscale_factor, but "
            f"input.size(-2)={h} and input.size(-1)={w} are not"
        )
    n = len(lead)
    x = a.reshape(*lead, c, h // r, r, w // r, r)
    x = np.transpose(x, (*range(n), n, n + 2, n + 4, n + 1, n + 3))
    return x.reshape(*lead, c * r * r, h // r, w // r).copy()


class PixelShuffleBackward0(Op):
    """(*, C r^2, H, W) -> (*, C, H r, W r); its adjoint is pixel_unshuffle."""

    jvp_linear = True

    def forward(self, a: np.ndarray, upscale_factor: int) -> np.ndarray:
        self.r = upscale_factor
        return _pixel_shuffle(a, upscale_factor)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (PixelUnshuffleBackward0.invoke(grad, downscale_factor=self.r),)


class PixelUnshuffleBackward0(Op):
    """(*, C, H r, W r) -> (*, C r^2, H, W); its adjoint is pixel_shuffle."""

    jvp_linear = True

    def forward(self, a: np.ndarray, downscale_factor: int) -> np.ndarray:
        self.r = downscale_factor
        return _pixel_unshuffle(a, downscale_factor)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (PixelShuffleBackward0.invoke(grad, upscale_factor=self.r),)


class ChannelShuffleBackward0(Op):
    """(N, g k, *) -> channels regrouped as (k, g); its adjoint is the shuffle with k groups."""

    jvp_linear = True

    def forward(self, a: np.ndarray, groups: int) -> np.ndarray:
        n, c, *rest = a.shape
        if groups <= 0 or c % groups:
            raise RuntimeError(
                "Number of channels must be divisible by groups. Got "
                f"{c} channels and {groups} groups."
            )
        self.inverse_groups = c // groups
        x = a.reshape(n, groups, c // groups, *rest)
        return np.swapaxes(x, 1, 2).reshape(a.shape).copy()

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (ChannelShuffleBackward0.invoke(grad, groups=self.inverse_groups),)
