# mypy: disable-error-code="override"
"""torch.nn.functional.scaled_dot_product_attention, with torch 2.13's CPU backend choice.

On CPU torch runs 4-D inputs through its fused flash kernel: the output's grad_fn is one
``ScaledDotProductFlashAttentionForCpuBackward0`` node whose backward is not differentiable
again (its gradients hang off a ``NotImplemented`` node that raises). Other ranks, and a float
mask that itself requires grad, or inputs whose batch, heads or head sizes differ (a value head
size of its own, broadcast batches) take torch's math path, composed from differentiable ops
(query and key each scaled by sqrt(scale), matmul, the mask added, ``_safe_softmax``, matmul),
so double backward works there as in torch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._factories import ones, zeros
from .._ops.base import Op
from .._ops.nn_ops import SoftmaxBackward0
from .._ops.pointwise import mul_scalar
from .._tensor import Tensor

_FLASH_BACKWARD = "_scaled_dot_product_flash_attention_for_cpu_backward"


class SafeSoftmaxBackward0(SoftmaxBackward0):
    """torch's ``_safe_softmax``: a row that is -inf everywhere gives zeros, not NaN."""

    def forward(self, a: np.ndarray, dim: int) -> np.ndarray:
        out = super().forward(a, dim)
        dead = np.all(np.isneginf(a), axis=self.dim, keepdims=True)
        return np.where(dead, 0.0, out).astype(a.dtype)


def _bias(mask: np.ndarray | None, causal: bool, shape: tuple[int, int], dtype: Any) -> Any:
    """The additive score bias: a bool mask keeps True places, a float mask is added."""
    bias = np.zeros(shape, dtype=dtype)
    if causal:
        bias = np.where(np.tri(*shape, dtype=bool), bias, -np.inf)
    if mask is not None:
        bias = np.where(mask, bias, -np.inf) if mask.dtype == np.bool_ else bias + mask
    return bias


def _probabilities(q: np.ndarray, k: np.ndarray, bias: Any, scale: float) -> np.ndarray:
    scores = (q @ np.swapaxes(k, -1, -2)) * scale + bias
    top = np.max(scores, axis=-1, keepdims=True)
    top = np.where(np.isneginf(top), 0.0, top)
    with np.errstate(invalid="ignore"):
        e = np.exp(scores - top)
        total = np.sum(e, axis=-1, keepdims=True)
        return np.where(total > 0, e / np.where(total > 0, total, 1.0), 0.0)


class ScaledDotProductFlashAttentionForCpuBackward0(Op):
    """softmax(q k^T * scale + mask) v as one node; the mask is not differentiated."""

    tensor_params = ("attn_mask",)
    aten_name = "_scaled_dot_product_flash_attention_for_cpu"  # forward AD's refusal names it

    def forward(
        self,
        q: np.ndarray,
        k: np.ndarray,
        v: np.ndarray,
        attn_mask: np.ndarray | None,
        is_causal: bool,
        scale: float,
    ) -> np.ndarray:
        self.bias = _bias(attn_mask, is_causal, (q.shape[-2], k.shape[-2]), q.dtype)
        self.scale = scale
        for i, name in enumerate(("query", "key", "value")):
            self.save_input(name, i)
        p = _probabilities(q, k, self.bias, scale)
        out = np.empty_like(q)  # the kernel's output takes the query's memory layout
        out[...] = p @ v
        return out

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        q, k, v = self.saved("query"), self.saved("key"), self.saved("value")
        return NotImplemented.invoke(grad, q, k, v, bias=self.bias, scale=self.scale)


class NotImplemented(Op):  # noqa: A001 - torch's node name for an op without a derivative
    """The flash backward as a node: its gradients exist, their own derivative does not."""

    def forward(
        self, g: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: Any, scale: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = _probabilities(q, k, bias, scale)
        dv = np.swapaxes(p, -1, -2) @ g
        dp = g @ np.swapaxes(v, -1, -2)
        ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True)) * scale
        dq = ds @ k
        dk = np.swapaxes(ds, -1, -2) @ q
        return dq.astype(q.dtype), dk.astype(k.dtype), dv.astype(v.dtype)

    def backward(self, *grads: Tensor | None) -> tuple[Tensor | None, ...]:
        raise RuntimeError(f"derivative for aten::{_FLASH_BACKWARD} is not implemented")

    def jvp(self, *tangents: Tensor | None) -> Any:
        raise NotImplementedError(
            f"Trying to use forward AD with aten::{_FLASH_BACKWARD} that does not support it."
        )


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    if dropout_p > 0.0:
        raise NotImplementedError(
            "scaled_dot_product_attention with dropout_p > 0 (dropout needs an RNG shared "
            "with torch)"
        )
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention with enable_gqa=True")
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    mask_has_grad = attn_mask is not None and attn_mask.requires_grad
    if _flash_applies(query, key, value) and not mask_has_grad:
        return ScaledDotProductFlashAttentionForCpuBackward0.invoke(
            query, key, value, attn_mask=attn_mask, is_causal=is_causal, scale=factor
        )
    return _math(query, key, value, attn_mask, is_causal, factor)


def _flash_applies(query: Tensor, key: Tensor, value: Tensor) -> bool:
    """torch's CPU flash kernel takes 4-D inputs of one batch, head count and head size."""
    shapes = (tuple(query.shape), tuple(key.shape), tuple(value.shape))
    if any(len(shape) != 4 for shape in shapes):
        return False
    return len({shape[:2] for shape in shapes}) == 1 and len({s[3] for s in shapes}) == 1


def _math(
    query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None, causal: bool, scale: float
) -> Tensor:
    """torch's ``_scaled_dot_product_attention_math``."""
    root = math.sqrt(abs(scale))
    q = mul_scalar(query, -root if scale < 0 else root)  # a Scalar factor: MulBackward1
    shape = (query.shape[-2], key.shape[-2])
    if causal:
        if mask is not None:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                "is_causal=True"
            )
        mask = ones(*shape, dtype=dt.bool).tril()
    attn = q.matmul(mul_scalar(key.transpose(-2, -1), root))
    if mask is not None:
        if mask.dtype == dt.bool:
            mask = zeros(*mask.shape, dtype=query.dtype).masked_fill(mask.logical_not(), -math.inf)
        attn = attn + mask
    return SafeSoftmaxBackward0.invoke(attn, dim=-1).matmul(value)
