"""torch.nn.utils.clip_grad: gradient clipping by total norm and by value, as torch 2.13.

Everything runs under no_grad with reference_impl's own tensor ops, so the float32 rounding of
each step (per-tensor norms, their stacked norm, ``max_norm / (total + 1e-6)``, the clamp and
the in-place multiply) is the same sequence torch performs.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterable
from typing import Any, TypeAlias

import numpy as np

from ... import _functions, linalg
from ..._factories import tensor as _tensor
from ..._grad_mode import no_grad
from ..._tensor import Tensor

TensorOrTensors: TypeAlias = Tensor | Iterable[Tensor]


def _as_list(tensors: TensorOrTensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _group_by_dtype(tensors: list[Tensor]) -> dict[Any, list[Tensor]]:
    """torch groups by (device, dtype) in first-seen order; there is one device here."""
    groups: dict[Any, list[Tensor]] = {}
    for t in tensors:
        groups.setdefault(t.dtype, []).append(t)
    return groups


def get_total_norm(
    tensors: TensorOrTensors,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The norm of the per-tensor norms, i.e. the norm of all tensors viewed as one vector."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _tensor(0.0)
    with no_grad():
        norms: list[Tensor] = []
        for group in _group_by_dtype(tensors).values():
            norms.extend(linalg.vector_norm(g, norm_type) for g in group)
        total = linalg.vector_norm(_functions.stack(norms), norm_type)
    if error_if_nonfinite and not bool(np.isfinite(total._data)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total


def clip_grads_with_norm_(
    parameters: TensorOrTensors, max_norm: float, total_norm: Tensor, foreach: bool | None = None
) -> None:
    """Multiply every grad by ``min(max_norm / (total_norm + 1e-6), 1)``.

    There is no ``if``: the factor is applied even when it is 1, and it is slightly below 1
    whenever ``total_norm == max_norm`` (``[3, 4]`` with ``max_norm=5`` is scaled).
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    total: Any = total_norm  # Tensor operators are installed at import time
    with no_grad():
        clip_coef = max_norm / (total + 1e-6)
        clip_coef_clamped = _functions.clamp(clip_coef, max=1.0)
        for group in _group_by_dtype(grads).values():
            for g in group:
                g.mul_(clip_coef_clamped)


def clip_grad_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale grads in place so their total norm is at most ``max_norm``; returns the norm."""
    if isinstance(parameters, Tensor):
        params = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        params = list(parameters)
        if is_generator and not params:
            warnings.warn(
                "`parameters` is an empty generator, no gradient clipping will occur.",
                UserWarning,
                stacklevel=2,
            )
    grads = [p.grad for p in params if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(
    parameters: TensorOrTensors,
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Deprecated alias, kept for old programs (warns like torch)."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(
    parameters: TensorOrTensors, clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every grad in place to ``[-clip_value, clip_value]``."""
    clip_value = float(clip_value)
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    with no_grad():
        for g in grads:
            g.clamp_(min=-clip_value, max=clip_value)
