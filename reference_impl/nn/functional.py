"""torch.nn.functional: activations, linear and the losses autograd programs use."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _functions as F
from .._factories import zeros_like
from .._ops import activations as act
from .._ops import nn_ops
from .._ops.pointwise import mul_scalar
from .._ops.views import SqueezeBackward4, UnsafeViewBackward0
from .._tensor import Tensor
from ._layers import avg_pool2d as avg_pool2d
from ._layers import batch_norm as batch_norm
from ._layers import conv1d as conv1d
from ._layers import conv2d as conv2d
from ._layers import embedding as embedding
from ._layers import group_norm as group_norm
from ._layers import layer_norm as layer_norm
from ._layers import max_pool2d as max_pool2d


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.relu_() if inplace else F.relu(input)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return F.sigmoid(input)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return F.tanh(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    return nn_ops.SoftplusBackward0.invoke(input, beta=beta, threshold=threshold)


def softmax(
    input: Tensor,
    dim: int | None = None,
    _stacklevel: int = 3,  # noqa: A002
    dtype: Any = None,
) -> Tensor:
    x = input if dtype is None else input.to(dtype)
    return nn_ops.SoftmaxBackward0.invoke(x, dim=_implicit_dim(x, dim))


def log_softmax(
    input: Tensor,
    dim: int | None = None,
    _stacklevel: int = 3,  # noqa: A002
    dtype: Any = None,
) -> Tensor:
    x = input if dtype is None else input.to(dtype)
    return nn_ops.LogSoftmaxBackward0.invoke(x, dim=_implicit_dim(x, dim))


def _implicit_dim(x: Tensor, dim: int | None) -> int:
    if dim is not None:
        return dim
    warnings.warn(
        "Implicit dimension choice for softmax has been deprecated. Change the call to include "
        "dim=X as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return 0 if x.ndim in (0, 1, 3) else 1


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """torch's decomposition: addmm for a bias, mm otherwise; 1-D and N-D inputs are viewed."""
    wt = weight.t()
    if input.ndim == 2:
        if bias is None:
            return input.mm(wt)
        return nn_ops.AddmmBackward0.invoke(bias, input, wt)
    if input.ndim == 1:
        if bias is None:
            return SqueezeBackward4.invoke(input.unsqueeze(0).mm(wt), dim=(0,))
        out = nn_ops.AddmmBackward0.invoke(bias, input.view(1, -1), wt)
        return out.view(weight.shape[0])
    if bias is not None and not input.is_contiguous():
        # torch folds only a contiguous input into addmm; otherwise matmul, then bias in place.
        return input.matmul(wt).add_(bias)
    lead = tuple(input.shape[:-1])
    rows = input.reshape(-1, input.shape[-1])
    if bias is None:
        return UnsafeViewBackward0.invoke(rows.mm(wt), shape=(*lead, weight.shape[0]))
    return nn_ops.AddmmBackward0.invoke(bias, rows, wt).view(*lead, weight.shape[0])


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.shape!r}) that is different to the input size "
            f"({input.shape!r}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            UserWarning,
            stacklevel=2,
        )
    reduction = _legacy_reduction(size_average, reduce, reduction)

    return nn_ops.MseLossBackward0.invoke(input, target, reduction=reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,  # noqa: A002
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return nn_ops.BinaryCrossEntropyWithLogitsBackward0.invoke(
        input,
        target,
        weight=weight,
        pos_weight=pos_weight,
        reduction=reduction,
    )


def binary_cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({target.shape!r}) that is different to the input size "
            f"({input.shape!r}) is deprecated. Please ensure they have the same size."
        )
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        weight = weight.expand(*input.shape)
    return nn_ops.BinaryCrossEntropyBackward0.invoke(
        input, target, weight=weight, reduction=reduction
    )


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,  # noqa: A002
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    # ATen's nll_loss_nd: a 4-D (N, C, H, W) input goes to nll_loss2d, a node of its own; 3-D
    # and 5-D+ inputs are viewed as (N, C, 1, -1) for it (and a 'none' result viewed back).
    if input.ndim <= 2:
        return nn_ops.NllLossBackward0.invoke(
            input, target=target, weight=weight, ignore_index=ignore_index, reduction=reduction
        )
    spatial = tuple(input.shape[2:])
    lp, tg = input, target
    if input.ndim != 4 and input.numel() and tuple(target.shape[1:]) == spatial:
        n, c = input.shape[:2]
        lp, tg = input.reshape(n, c, 1, -1), target.reshape(n, 1, -1)
    out = nn_ops.NllLoss2DBackward0.invoke(
        lp, target=tg, weight=weight, ignore_index=ignore_index, reduction=reduction
    )
    if lp is not input and reduction == "none":
        out = out.view(input.shape[0], *spatial)
    return out


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,  # noqa: A002
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    class_dim = 0 if input.ndim == 1 else 1
    lp = log_softmax(input, class_dim)
    if target.dtype.is_floating_point:
        return _soft_cross_entropy(lp, target, weight, reduction, label_smoothing, class_dim)
    nll = nll_loss(lp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    n_classes = input.shape[class_dim]
    mask = target._data == ignore_index
    smooth = -lp if weight is None else -lp * _class_view(weight, lp, class_dim)
    smooth = smooth.sum(class_dim)
    smooth = smooth.masked_fill(Tensor._from_array(mask), 0.0)
    if reduction == "mean":
        if weight is None:
            smooth = smooth.sum() / max(int((~mask).sum()), 0)
        else:
            wt = np.where(mask, 0, weight._data[np.where(mask, 0, target._data)])
            smooth = smooth.sum() / float(wt.sum())
    elif reduction == "sum":
        smooth = smooth.sum()
    eps = label_smoothing
    return mul_scalar(nll, 1 - eps) + mul_scalar(smooth, eps / n_classes)


def _class_view(weight: Tensor, like: Tensor, class_dim: int) -> Tensor:
    shape = [1] * like.ndim
    shape[class_dim] = weight.shape[0]
    return weight.reshape(*shape)


def _soft_cross_entropy(
    lp: Tensor,
    target: Tensor,
    weight: Tensor | None,
    reduction: str,
    label_smoothing: float,
    class_dim: int,
) -> Tensor:
    n_classes = lp.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = lp * target if weight is None else lp * (target * _class_view(weight, lp, class_dim))
    if reduction == "none":
        return -prod.sum(class_dim)
    total = -prod.sum()
    if reduction == "sum":
        return total
    n = lp.numel() // n_classes
    from .._ops.pointwise import div_scalar

    return div_scalar(total, n)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    d = (input - target).abs()
    return d.mean() if reduction == "mean" else d.sum() if reduction == "sum" else d


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    if not training or p == 0:
        return input
    raise NotImplementedError("dropout (needs an RNG shared with torch)")


# -- activations (issue 13, round 2): one node each in reference_impl._ops.activations --------


def hardtanh(
    input: Tensor,  # noqa: A002
    min_val: float = -1.0,
    max_val: float = 1.0,
    inplace: bool = False,
) -> Tensor:
    return act.HardtanhBackward0.invoke(input, min_val=min_val, max_val=max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return act.HardsigmoidBackward0.invoke(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return act.HardswishBackward0.invoke(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return act.MishBackward0.invoke(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return act.SiluBackward0.invoke(input)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return act.EluBackward0.invoke(input, alpha=alpha, scale=1.0, input_scale=1.0)


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return act.EluBackward0.invoke(
        input, alpha=act.SELU_ALPHA, scale=act.SELU_SCALE, input_scale=1.0
    )


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return act.CeluBackward0.invoke(input, alpha=alpha)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    return act.SoftshrinkBackward0.invoke(input, lambd=lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    return act.HardshrinkBackward0.invoke(input, lambd=lambd)


def threshold(
    input: Tensor,  # noqa: A002
    threshold: float,
    value: float,
    inplace: bool = False,
) -> Tensor:
    return act.ThresholdBackward0.invoke(input, threshold=threshold, value=value)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    return act.LeakyReluBackward0.invoke(input, negative_slope=negative_slope)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return act.LogSigmoidBackward0.invoke(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    return act.GeluBackward0.invoke(input, approximate=approximate)


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    return act.GluBackward0.invoke(input, dim=dim)


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """The weight is viewed to broadcast over the channel dim (dim 1), as torch does."""
    if weight.numel() == 1:
        weight = weight.reshape(())
    elif input.ndim >= 2:
        shape = [1] * input.ndim
        shape[1] = weight.numel()
        weight = weight.view(*shape)
    return act.PreluKernelBackward0.invoke(input, weight)


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    return input - input.tanh()


def softmin(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
) -> Tensor:
    x = input if dtype is None else input.to(dtype)
    return nn_ops.SoftmaxBackward0.invoke(-x, dim=_implicit_dim(x, dim))


def normalize(
    input: Tensor,  # noqa: A002
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
    out: Any = None,
) -> Tensor:
    denom = F.norm(input, p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


def pad(input: Tensor, pad: Any, mode: str = "constant", value: Any = None) -> Tensor:  # noqa: A002
    if mode != "constant":
        raise NotImplementedError(f"nn.functional.pad mode {mode!r}")
    return F.constant_pad_nd(input, pad, 0.0 if value is None else value)


# -- distances ---------------------------------------------------------------------------------


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """torch's: each side over its own norm, the norms clamped to eps without gradient."""
    from .._grad_mode import no_grad

    shape = tuple(np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape)))
    a, b = x1.expand(*shape), x2.expand(*shape)
    na = F.norm(a, 2, dim, keepdim=True).clone()
    nb = F.norm(b, 2, dim, keepdim=True).clone()
    with no_grad():
        na.clamp_min_(eps)
        nb.clamp_min_(eps)
    return ((a / na) * (b / nb)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    from .._ops.reductions import NormBackward1

    innermost = max(x1.ndim, x2.ndim) - 1
    return NormBackward1.invoke(x1 - x2 + eps, ord=p, dim=innermost, keepdim=keepdim)


# -- losses (issue 13, round 2) ----------------------------------------------------------------


def _reduced(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def smooth_l1_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return act.SmoothL1LossBackward0.invoke(input, target, reduction=reduction, param=beta)


def huber_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Any = None,
) -> Tensor:
    if weight is not None:
        raise NotImplementedError("huber_loss with a weight")
    return act.HuberLossBackward0.invoke(input, target, reduction=reduction, param=delta)


def soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return act.SoftMarginLossBackward0.invoke(input, target=target, reduction=reduction)


def kl_div(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = F.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduced(loss, reduction)


def poisson_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: Any = None,
    eps: float = 1e-8,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        # Stirling's term target log target - target + log(2 pi target) / 2, where target > 1.
        t = target
        stirling = t * t.log() - t + (t * (2 * np.pi)).log() * 0.5
        loss = loss + stirling.masked_fill(t <= 1, 0.0)
    return _reduced(loss, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduced((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    margin: float = 1.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    zeros = zeros_like(input)
    margin_clamp = (margin - input).clamp_min(0)
    loss = F.where(F.ne(target, 1), margin_clamp, zeros) + F.where(F.ne(target, -1), input, zeros)
    return _reduced(loss, reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    dim = target.ndim
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    denom = (((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)).sqrt()
    cos = prod / denom
    zeros = zeros_like(cos)
    loss = F.where(F.eq(target, 1), 1 - cos, zeros) + F.where(
        F.eq(target, -1), (cos - margin).clamp_min(0), zeros
    )
    return _reduced(loss, reduction)


def multilabel_soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduced(loss, reduction)


pixel_shuffle = F.pixel_shuffle
pixel_unshuffle = F.pixel_unshuffle
channel_shuffle = F.channel_shuffle


# -- attention (issue 13): torch's CPU backend choice lives in reference_impl.nn._sdpa ------------

from ._sdpa import scaled_dot_product_attention as scaled_dot_product_attention  # noqa: E402
