"""torch.nn.functional: activations, linear and the losses autograd programs use."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _functions as F
from .._ops import nn_ops
from .._ops.pointwise import mul_scalar
from .._ops.views import SqueezeBackward4, UnsafeViewBackward0
from .._tensor import Tensor


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
    return nn_ops.NllLossBackward0.invoke(
        input,
        target=target,
        weight=weight,
        ignore_index=ignore_index,
        reduction=reduction,
    )


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
