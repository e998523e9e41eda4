"""torch.optim.RMSprop with torch 2.13's single-tensor update rule (the CPU default path).

State per parameter, created at a parameter's first step with a grad, in torch's key order:
``step`` (a 0-dim float tensor), ``square_avg`` and, when used, ``momentum_buffer`` and
``grad_avg`` (centered).
"""

from __future__ import annotations

from typing import Any, ClassVar

from .._factories import zeros
from .._tensor import Tensor
from .optimizer import Optimizer, _to_scalar, step_counter


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of recent gradients (centered: by
    their running standard deviation), optionally with momentum."""

    group_defaults: ClassVar[dict[str, Any]] = {
        "momentum": 0,
        "centered": False,
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "capturable": False,
    }

    def __init__(
        self,
        params: Any,
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not momentum >= 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not alpha >= 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _state_of(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        if not state:
            state["step"] = step_counter()
            state["square_avg"] = zeros(*p.shape, dtype=p.dtype)
            if group["momentum"] > 0:
                state["momentum_buffer"] = zeros(*p.shape, dtype=p.dtype)
            if group["centered"]:
                state["grad_avg"] = zeros(*p.shape, dtype=p.dtype)
        return state

    def update(self, p: Tensor, grad: Tensor, group: dict[str, Any]) -> None:
        rmsprop_update(
            p,
            grad,
            self._state_of(p, group),
            lr=_to_scalar(group["lr"]),
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=group["momentum"],
            centered=group["centered"],
            maximize=group["maximize"],
        )


def rmsprop_update(
    param: Tensor,
    grad: Tensor,
    state: dict[str, Any],
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> None:
    """torch's ``_single_tensor_rmsprop`` for one parameter (lerp, addcmul and addcdiv written
    out: ``a + w * (b - a)``, ``a + v * g * g`` and ``a + v * (g / d)``)."""
    if maximize:
        grad = -grad
    state["step"].add_(1)
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    square_avg = state["square_avg"]
    square_avg.mul_(alpha).add_(grad * grad, alpha=1 - alpha)
    if centered:
        grad_avg = state["grad_avg"]
        grad_avg.add_(grad - grad_avg, alpha=1 - alpha)
        avg = square_avg.add(grad_avg * grad_avg, alpha=-1).sqrt_()
    else:
        avg = square_avg.sqrt()
    avg = avg.add_(eps)
    if momentum > 0:
        buf = state["momentum_buffer"]
        buf.mul_(momentum).add_(grad / avg)
        param.add_(buf, alpha=-lr)
    else:
        param.add_(grad / avg, alpha=-lr)
