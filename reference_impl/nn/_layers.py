"""The functional forms of the CNN layers (convolution, pooling, normalization, embedding), with
torch's argument handling; ``nn.functional`` re-exports them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._ops import normalization as norm
from .._tensor import Tensor


def _affine(weight: Tensor | None, bias: Tensor | None) -> tuple[tuple[Tensor, ...], Any]:
    params = tuple(t for t in (weight, bias) if t is not None)
    return params, (weight is not None, bias is not None)


def _size_text(shape: Sequence[int]) -> str:
    return f"torch.Size([{', '.join(str(int(s)) for s in shape)}])"


# -- normalization -----------------------------------------------------------------------------


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.ndim - k :]) != shape or input.ndim < k:
        raise RuntimeError(
            "Given normalized_shape=[" + ", ".join(map(str, shape)) + "], expected input with "
            f"shape [*, {', '.join(map(str, shape))}], but got input of size"
            f"{list(input.shape)}"
        )
    params, affine = _affine(weight, bias)
    out: Tensor = norm.NativeLayerNormBackward0.invoke(input, *params, affine=affine, eps=eps, k=k)
    return out


def group_norm(
    input: Tensor,  # noqa: A002
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    if input.shape[1] % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}"
        )
    params, affine = _affine(weight, bias)
    out: Tensor = norm.NativeGroupNormBackward0.invoke(
        input, *params, affine=affine, eps=eps, groups=num_groups
    )
    return out


def batch_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    if training:
        per_channel = input.numel() // input.shape[1] if input.ndim > 1 else input.numel()
        if per_channel == 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{_size_text(input.shape)}"
            )
    elif running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    elif running_var is None:
        raise RuntimeError("running_var must be defined in evaluation mode")
    params, affine = _affine(weight, bias)
    out: Tensor = norm.NativeBatchNormBackward0.invoke(
        input,
        *params,
        affine=affine,
        eps=eps,
        training=training,
        momentum=momentum,
        running_mean=running_mean,
        running_var=running_var,
    )
    return out
