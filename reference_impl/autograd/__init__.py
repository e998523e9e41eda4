"""torch.autograd's public names."""

from __future__ import annotations

from .._grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from .._node import Node
from .._tensor import Tensor
from . import anomaly_mode, forward_ad, function, functional, graph
from ._api import backward, grad
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import gradcheck, gradgradcheck


def Variable(data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # noqa: N802
    """The pre-0.4 wrapper: now a tensor, as in torch."""
    return data.requires_grad_(requires_grad) if requires_grad else data


__all__ = [
    "Function",
    "FunctionCtx",
    "Node",
    "Variable",
    "anomaly_mode",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "forward_ad",
    "function",
    "functional",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "graph",
    "inference_mode",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
]
