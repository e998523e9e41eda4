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


# -- convolution -------------------------------------------------------------------------------


def _tuple(value: int | Sequence[int], n: int, name: str = "") -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    out = tuple(int(v) for v in value)
    return out * n if len(out) == 1 else out


def _conv_pads(
    padding: str | int | Sequence[int],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[tuple[int, int], ...]:
    """Per spatial dim (before, after): 'same' puts the odd extra pad after, as torch does."""
    if padding == "valid":
        return tuple((0, 0) for _ in kernel)
    if padding == "same":
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return tuple((t // 2, t - t // 2) for t in total)
    if isinstance(padding, str):
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    return tuple((p, p) for p in _tuple(padding, len(kernel)))


def _convolution(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
    nd: int,
) -> Tensor:
    from .._ops.convolution import ConvolutionBackward0

    unbatched = input.ndim == nd + 1
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to conv{nd}d, but got "
            f"input of size: {list(input.shape)}"
        )
    x = input.unsqueeze(0) if unbatched else input
    kernel = tuple(int(k) for k in weight.shape[2:])
    strides, dilations = _tuple(stride, nd), _tuple(dilation, nd)
    pads = _conv_pads(padding, kernel, strides, dilations)
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
            f"input{list(x.shape)} to have {weight.shape[1] * groups} channels, but got "
            f"{x.shape[1]} channels instead"
        )
    padded = [s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads, strict=True)]
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilations, strict=True)]
    if any(p < k for p, k in zip(padded, spans, strict=True)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, spans))}). Kernel size can't be greater than "
            "actual input size"
        )
    args = (x, weight) if bias is None else (x, weight, bias)
    out: Tensor = ConvolutionBackward0.invoke(
        *args, stride=strides, pads=pads, dilation=dilations, groups=groups
    )
    return out.squeeze(0) if unbatched else out


def conv1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2)


# -- pooling -----------------------------------------------------------------------------------


def _pool_params(kernel_size: Any, stride: Any, padding: Any) -> dict[str, Any]:
    kernel = _tuple(kernel_size, 2)
    strides = kernel if stride is None or stride == [] or stride == () else _tuple(stride, 2)
    pads = _tuple(padding, 2)
    if any(2 * p > k for p, k in zip(pads, kernel, strict=True)):
        raise RuntimeError(
            "pad should be at most half of effective kernel size, but got "
            f"pad={pads[0]}, kernel_size={kernel[0]} and dilation=1"
        )
    return {"kernel_size": kernel, "stride": strides, "padding": pads}


def _check_pool_input(input: Tensor, ceil_mode: bool) -> None:  # noqa: A002
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"non-empty 3D or 4D (batch mode) tensor expected for input, but got {input.ndim}D"
        )
    if ceil_mode:
        raise NotImplementedError("pooling with ceil_mode=True")


def max_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    from .._ops.pooling import MaxPool2DWithIndicesBackward0

    _check_pool_input(input, ceil_mode)
    params = _pool_params(kernel_size, stride, padding)
    values, indices = MaxPool2DWithIndicesBackward0.invoke(
        input, dilation=_tuple(dilation, 2), **params
    )
    return (values, indices) if return_indices else values


def avg_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    from .._ops.pooling import AvgPool2DBackward0

    _check_pool_input(input, ceil_mode)
    params = _pool_params(kernel_size, stride, padding)
    out: Tensor = AvgPool2DBackward0.invoke(
        input, count_include_pad=count_include_pad, divisor_override=divisor_override, **params
    )
    return out


# -- embedding ---------------------------------------------------------------------------------


def embedding(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` at ``input``; the ``padding_idx`` row (negative counts from the end)
    gets no gradient."""
    from .._ops.embedding import EmbeddingBackward0

    if max_norm is not None or sparse:
        raise NotImplementedError("embedding with max_norm or sparse gradients")
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx + rows if padding_idx < 0 else padding_idx
    out: Tensor = EmbeddingBackward0.invoke(
        weight,
        indices=input,
        padding_idx=-1 if padding_idx is None else padding_idx,
        scale_grad_by_freq=scale_grad_by_freq,
    )
    return out
