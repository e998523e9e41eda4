"""2-d max and average pooling with torch's node names (``MaxPool2DWithIndicesBackward0``,
``AvgPool2DBackward0``) and their backwards as nodes of their own.

Both backwards are linear in the incoming gradient: max pooling's scatters it to the argmax
positions (its double backward gathers from them), average pooling's spreads it over each window
(its double backward is average pooling again). Inputs are (C, H, W) or (N, C, H, W).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from .base import Op
from .convolution import _crop, _pad, scatter_windows, sliding_windows


def _as_4d(x: np.ndarray) -> np.ndarray:
    return x if x.ndim == 4 else x[None]


def _pads(padding: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    return tuple((p, p) for p in padding)


class MaxPool2DWithIndicesBackward0(Op):
    """(values, indices): each window's maximum (the first one on ties, NaN wins) and its flat
    index into the input's H*W plane. Padding never wins (it is -inf)."""

    nondifferentiable_outputs = (1,)

    def forward(self, x: np.ndarray, **params: Any) -> tuple[np.ndarray, np.ndarray]:
        kernel, stride, padding, dilation = (
            params["kernel_size"],
            params["stride"],
            params["padding"],
            params["dilation"],
        )
        self.params = params
        x4 = _as_4d(x)
        w = x4.shape[3]
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        padded = np.pad(
            x4, [(0, 0), (0, 0)] + list(_pads(padding)), constant_values=np.asarray(fill, x.dtype)
        )
        win = sliding_windows(padded, kernel, stride, dilation)
        flat = win.reshape(*win.shape[:4], -1)
        with np.errstate(invalid="ignore"):
            nan = np.isnan(flat) if x.dtype.kind == "f" else np.zeros(flat.shape, bool)
            arg = np.where(nan.any(-1), np.argmax(nan, -1), np.argmax(flat, -1))
        values = np.take_along_axis(flat, arg[..., None], -1)[..., 0]
        oh, ow = win.shape[2:4]
        kr, kc = np.divmod(arg, kernel[1])
        rows = np.arange(oh)[:, None] * stride[0] - padding[0] + kr * dilation[0]
        cols = np.arange(ow)[None, :] * stride[1] - padding[1] + kc * dilation[1]
        indices = (rows * w + cols).astype(np.int64)
        if x.ndim == 3:
            values, indices = values[0], indices[0]
        self.save_input("self", 0)
        self.save_result("result1", 1)
        return np.asarray(values, dtype=x.dtype), indices

    def jvp(self, t: Tensor) -> tuple[Tensor, None]:
        """The tangent at each window's argmax (piecewise linear: the max picks one input)."""
        indices = self.fw_output(1)
        shape = tuple(indices.shape)
        return t.flatten(-2).gather(-1, indices.flatten(-2)).view(*shape), None

    def backward(self, grad: Tensor, _: Tensor | None = None) -> tuple[Tensor]:
        x, indices = self.saved("self"), self.saved("result1")
        return (MaxPool2DWithIndicesBackwardBackward0.invoke(grad, x, indices=indices),)


class MaxPool2DWithIndicesBackwardBackward0(Op):
    """Scatter-add the gradient to the argmax positions (the indices are a saved parameter).
    Linear in (grad, self) together, self only giving the shape: torch gives it a (zero)
    tangent when only self has one."""

    tensor_params = ("indices",)
    jvp_linear = True

    def forward(self, g: np.ndarray, x: np.ndarray, indices: np.ndarray) -> np.ndarray:
        self.save_param("indices", indices)
        self.x_shape = x.shape
        planes = int(np.prod(x.shape[:-2]))
        out = np.zeros((planes, x.shape[-2] * x.shape[-1]), dtype=g.dtype)
        rows = np.repeat(np.arange(planes), indices.size // planes)
        np.add.at(out, (rows, indices.reshape(-1)), g.reshape(-1))
        return out.reshape(x.shape)

    def backward(self, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
        indices = self.saved("indices")
        shape = tuple(indices.shape)
        grad_g = gg.flatten(-2).gather(-1, indices.flatten(-2)).view(*shape)
        zeros = Tensor._from_array(np.zeros(self.x_shape, dtype=gg._data.dtype))
        return grad_g, zeros if self.needs_input_grad[1] else None


def _divisors(
    shape: tuple[int, ...], params: dict[str, Any], out_hw: tuple[int, int]
) -> np.ndarray:
    """Each window's divisor: the kernel area, the in-bounds count, or ``divisor_override``."""
    if params.get("divisor_override"):
        return np.full(out_hw, float(params["divisor_override"]))
    kernel, stride, padding = params["kernel_size"], params["stride"], params["padding"]
    if params["count_include_pad"]:
        return np.full(out_hw, float(kernel[0] * kernel[1]))
    counts = []
    for axis in (0, 1):
        start = np.arange(out_hw[axis]) * stride[axis] - padding[axis]
        end = np.minimum(start + kernel[axis], shape[axis])
        counts.append(end - np.maximum(start, 0))
    return np.outer(counts[0], counts[1]).astype(np.float64)


class AvgPool2DBackward0(Op):
    """Each window's mean (zero padding counted unless ``count_include_pad=False``)."""

    jvp_linear = True

    def forward(self, x: np.ndarray, **params: Any) -> np.ndarray:
        self.params = params
        self.save_input("self", 0)
        x4 = _as_4d(x)
        padded = _pad(x4, _pads(params["padding"]))
        win = sliding_windows(padded, params["kernel_size"], params["stride"], (1, 1))
        divisor = _divisors(x4.shape[2:], params, win.shape[2:4])
        out = win.sum(axis=(-2, -1)) / divisor
        return np.asarray(out if x.ndim == 4 else out[0], dtype=x.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x = self.saved("self")
        return (AvgPool2DBackwardBackward0.invoke(grad, x, **self.params),)


class AvgPool2DBackwardBackward0(Op):
    """Spread each window's gradient evenly (by its divisor) over the window."""

    def forward(self, g: np.ndarray, x: np.ndarray, **params: Any) -> np.ndarray:
        self.params = params
        self.x_shape = x.shape
        self.save_input("self", 1)
        g4 = _as_4d(g)
        shape4 = _as_4d(x).shape
        pads = _pads(params["padding"])
        scaled = g4 / _divisors(shape4[2:], params, g4.shape[2:4])
        padded_shape = shape4[:2] + tuple(
            s + 2 * p for s, (p, _) in zip(shape4[2:], pads, strict=True)
        )
        acc = scatter_windows(
            lambda offset: scaled,
            params["kernel_size"],
            padded_shape,
            g4.shape,
            params["stride"],
            (1, 1),
            g.dtype,
        )
        return np.asarray(_crop(acc, pads, shape4).reshape(x.shape), dtype=g.dtype)

    def jvp(self, tg: Tensor | None, tx: Tensor | None) -> Tensor | None:
        """Linear in grad; self gives only the shape, so torch's formula reads grad's tangent
        alone (none when only self has one)."""
        if tg is None:
            return None
        out: Tensor = AvgPool2DBackwardBackward0.invoke(tg, self.fw_input(1), **self.params)
        return out

    def backward(self, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
        self.saved("self")
        grad_g = AvgPool2DBackward0.invoke(gg, **self.params)
        zeros = Tensor._from_array(np.zeros(self.x_shape, dtype=gg._data.dtype))
        return grad_g, zeros if self.needs_input_grad[1] else None
