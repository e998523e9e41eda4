"""N-d convolution (conv1d, conv2d) as torch records it: one ``ConvolutionBackward0`` node whose
backward is one ``ConvolutionBackwardBackward0`` node (torch's ``convolution_backward``).

Convolution is bilinear in (input, weight), so every derivative is a convolution or one of its
two adjoints: the backward of ``ConvolutionBackwardBackward0`` calls these same two ops again,
and gradients of any order keep torch's node names. Forwards use NumPy sliding windows and
einsum; stride, asymmetric zero padding, dilation and groups are supported. Forward-mode rules
follow from the same bilinearity (the product rule over the two operands).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor
from .base import Op, tangent_sum

_OUT = "pqr"  # einsum letters for output positions
_KER = "xyz"  # and for kernel offsets

Pads = tuple[tuple[int, int], ...]


def sliding_windows(
    padded: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]
) -> np.ndarray:
    """Windows over the trailing ``len(kernel)`` dims: shape (..., *out, *kernel), a view."""
    nd = len(kernel)
    span = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation, strict=True))
    axes = tuple(range(padded.ndim - nd, padded.ndim))
    view = np.lib.stride_tricks.sliding_window_view(padded, span, axis=axes)
    index = (
        (Ellipsis,)
        + tuple(slice(None, None, s) for s in stride)
        + tuple(slice(None, None, d) for d in dilation)
    )
    return view[index]


def scatter_windows(
    contribution: Callable[[tuple[int, ...]], np.ndarray],
    kernel: tuple[int, ...],
    padded_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    dtype: Any,
) -> np.ndarray:
    """The adjoint of ``sliding_windows``: ``contribution(offset)`` is the (..., *out) array
    sent back from each kernel offset; they are summed into a zero array of ``padded_shape``."""
    acc = np.zeros(padded_shape, dtype=dtype)
    nd = len(stride)
    for offset in itertools.product(*(range(k) for k in kernel)):
        index = (Ellipsis,) + tuple(
            slice(o * d, o * d + s * (n - 1) + 1, s)
            for o, d, s, n in zip(offset, dilation, stride, out_shape[-nd:], strict=True)
        )
        acc[index] += contribution(offset)
    return acc


def _pad(x: np.ndarray, pads: Pads) -> np.ndarray:
    if not any(lo or hi for lo, hi in pads):
        return x
    return np.pad(x, [(0, 0)] * (x.ndim - len(pads)) + list(pads))


def _crop(x: np.ndarray, pads: Pads, shape: tuple[int, ...]) -> np.ndarray:
    nd = len(pads)
    index = (Ellipsis,) + tuple(
        slice(lo, lo + n) for (lo, _), n in zip(pads, shape[-nd:], strict=True)
    )
    return x[index]


class _Geometry:
    """stride, padding, dilation and groups of one convolution, and the shapes they give."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.stride: tuple[int, ...] = params["stride"]
        self.pads: Pads = params["pads"]
        self.dilation: tuple[int, ...] = params["dilation"]
        self.groups: int = params["groups"]

    def params(self) -> dict[str, Any]:
        return {
            "stride": self.stride,
            "pads": self.pads,
            "dilation": self.dilation,
            "groups": self.groups,
        }

    def grouped_windows(self, x: np.ndarray, kernel: tuple[int, ...]) -> np.ndarray:
        """(N, G, C/G, *out, *kernel) windows of the padded input."""
        n, c = x.shape[:2]
        padded = _pad(x, self.pads)
        xg = padded.reshape(n, self.groups, c // self.groups, *padded.shape[2:])
        return sliding_windows(xg, kernel, self.stride, self.dilation)

    def letters(self, nd: int) -> tuple[str, str]:
        return _OUT[:nd], _KER[:nd]


def _conv(x: np.ndarray, w: np.ndarray, geo: _Geometry) -> np.ndarray:
    nd = w.ndim - 2
    g = geo.groups
    out_c = w.shape[0]
    win = geo.grouped_windows(x, tuple(w.shape[2:]))
    wg = w.reshape(g, out_c // g, *w.shape[1:])
    o, k = geo.letters(nd)
    y = np.einsum(f"ngc{o}{k},gmc{k}->ngm{o}", win, wg, optimize=True)
    return y.reshape(x.shape[0], out_c, *y.shape[3:])


def _input_grad(gy: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...], geo: _Geometry) -> Any:
    nd = w.ndim - 2
    g = geo.groups
    n, c = x_shape[:2]
    out_c = w.shape[0]
    gyg = gy.reshape(n, g, out_c // g, *gy.shape[2:])
    wg = w.reshape(g, out_c // g, *w.shape[1:])
    o, _ = geo.letters(nd)
    padded = (n, g, c // g) + tuple(
        s + lo + hi for s, (lo, hi) in zip(x_shape[2:], geo.pads, strict=True)
    )

    def contribution(offset: tuple[int, ...]) -> np.ndarray:
        index: Any = (Ellipsis, *offset)
        return np.einsum(f"ngm{o},gmc->ngc{o}", gyg, wg[index], optimize=True)

    dtype = np.result_type(gy, w)
    acc = scatter_windows(
        contribution, tuple(w.shape[2:]), padded, gy.shape, geo.stride, geo.dilation, dtype
    )
    return _crop(acc, geo.pads, x_shape).reshape(x_shape)


def _weight_grad(gy: np.ndarray, x: np.ndarray, w_shape: tuple[int, ...], geo: _Geometry) -> Any:
    nd = len(w_shape) - 2
    g = geo.groups
    out_c = w_shape[0]
    win = geo.grouped_windows(x, tuple(w_shape[2:]))
    gyg = gy.reshape(gy.shape[0], g, out_c // g, *gy.shape[2:])
    o, k = geo.letters(nd)
    gw = np.einsum(f"ngm{o},ngc{o}{k}->gmc{k}", gyg, win, optimize=True)
    return gw.reshape(w_shape)


class ConvolutionBackward0(Op):
    """conv(input, weight) + bias; inputs are (input, weight) or (input, weight, bias)."""

    def forward(self, x: np.ndarray, w: np.ndarray, *bias: np.ndarray, **params: Any) -> Any:
        self.geo = _Geometry(params)
        self.has_bias = bool(bias)
        self.save_input("input", 0)  # torch saves both, whichever gradient is wanted
        self.save_input("weight", 1)
        y = _conv(x, w, self.geo)
        if bias:
            y = y + bias[0].reshape((1, -1) + (1,) * (y.ndim - 2))
        # contiguous, as torch's output: a layout-dependent consumer (matmul's fold) reads it
        return np.ascontiguousarray(y, dtype=np.result_type(x, w))

    def jvp(self, tx: Tensor | None, tw: Tensor | None, *tb: Tensor | None) -> Tensor | None:
        """Bilinear in (input, weight), plus the bias: conv(tx, w) + conv(x, tw) + tb."""
        x, w = self.fw_input(0), self.fw_input(1)
        params = self.geo.params()
        terms = [
            None if tx is None else ConvolutionBackward0.invoke(tx, w, **params),
            None if tw is None else ConvolutionBackward0.invoke(x, tw, **params),
        ]
        if tb and tb[0] is not None:
            terms.append(tb[0].reshape(1, -1, *(1,) * (x.ndim - 2)))
        return tangent_sum(*terms)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        need = self.needs_input_grad
        x, w = self.saved("input"), self.saved("weight")
        mask = (need[0], need[1], self.has_bias and need[2])
        gx, gw, gb = ConvolutionBackwardBackward0.invoke(
            grad, x, w, output_mask=mask, **self.geo.params()
        )
        out = (gx if mask[0] else None, gw if mask[1] else None)
        return (*out, gb if mask[2] else None) if self.has_bias else out


class ConvolutionBackwardBackward0(Op):
    """(grad_input, grad_weight, grad_bias) of a convolution from (grad_output, input, weight).

    Each output is linear in the incoming gradient and in one of input/weight, so the vjp is:
    grad_output <- conv(gg_input, weight, gg_bias) + conv(input, gg_weight);
    input <- grad_input with gg_weight as weight; weight <- grad_weight with gg_input as input.
    """

    def forward(self, gy: np.ndarray, x: np.ndarray, w: np.ndarray, **params: Any) -> Any:
        mask = params.pop("output_mask")
        self.geo = _Geometry(params)
        self.mask = mask
        self.save_input("grad_output", 0)
        self.save_input("input", 1)
        self.save_input("weight", 2)
        dtype = np.result_type(gy, x, w)
        gx = _input_grad(gy, w, x.shape, self.geo) if mask[0] else np.zeros(x.shape, dtype)
        gw = _weight_grad(gy, x, w.shape, self.geo) if mask[1] else np.zeros(w.shape, dtype)
        gb = gy.sum(axis=(0, *range(2, gy.ndim))) if mask[2] else np.zeros(w.shape[0], dtype)
        return (
            np.ascontiguousarray(gx, dtype=dtype),
            np.ascontiguousarray(gw, dtype=dtype),
            np.ascontiguousarray(gb, dtype=dtype),
        )

    def jvp(
        self, tgy: Tensor | None, tx: Tensor | None, tw: Tensor | None
    ) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        """Each output is bilinear: grad_input in (grad_output, weight), grad_weight in
        (grad_output, input), grad_bias linear in grad_output. As torch's formulas, an output
        whose operands have no tangent gets none."""
        gy, x, w = self.fw_input(0), self.fw_input(1), self.fw_input(2)
        params = self.geo.params()

        def part(i: int, *args: Tensor) -> Tensor:
            mask = tuple(j == i for j in range(3))
            out: Tensor = ConvolutionBackwardBackward0.invoke(*args, output_mask=mask, **params)[i]
            return out

        gx = gw = gb = None
        if self.mask[0]:
            gx = tangent_sum(
                None if tgy is None else part(0, tgy, x, w),
                None if tw is None else part(0, gy, x, tw),
            )
        if self.mask[1]:
            gw = tangent_sum(
                None if tgy is None else part(1, tgy, x, w),
                None if tx is None else part(1, gy, tx, w),
            )
        if self.mask[2] and tgy is not None:
            gb = part(2, tgy, x, w)
        return gx, gw, gb

    def backward(
        self, gg_x: Tensor, gg_w: Tensor, gg_b: Tensor
    ) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        gy, x, w = self.saved("grad_output"), self.saved("input"), self.saved("weight")
        params = self.geo.params()
        need = self.needs_input_grad
        grad_gy = grad_x = grad_w = None
        if need[0]:
            terms = []
            if self.mask[0]:
                terms.append(ConvolutionBackward0.invoke(gg_x, w, **params))
            if self.mask[1]:
                terms.append(ConvolutionBackward0.invoke(x, gg_w, **params))
            if self.mask[2]:
                shape = (1, -1) + (1,) * (gy.ndim - 2)
                terms.append(gg_b.reshape(*shape).expand(*gy.shape))
            grad_gy = terms[0]
            for t in terms[1:]:
                grad_gy = grad_gy + t
        if need[1] and self.mask[1]:
            grad_x = ConvolutionBackwardBackward0.invoke(
                gy, x, gg_w, output_mask=(True, False, False), **params
            )[0]
        if need[2] and self.mask[0]:
            grad_w = ConvolutionBackwardBackward0.invoke(
                gy, gg_x, w, output_mask=(False, True, False), **params
            )[1]
        return grad_gy, grad_x, grad_w
