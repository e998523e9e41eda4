"""torch.optim.Adagrad with torch 2.13's single-tensor update rule (the CPU default path).

Unlike the other optimizers, torch creates Adagrad's state in the constructor, for every
parameter, grad or not: ``step`` (a 0-dim float tensor) and ``sum`` (filled with
``initial_accumulator_value``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from .._factories import full
from .._tensor import Tensor
from .optimizer import Optimizer, _to_scalar, step_counter


class Adagrad(Optimizer):
    """Per-coordinate learning rates shrinking with the accumulated squared gradients; the
    step size itself decays as ``lr / (1 + (step - 1) * lr_decay)``."""

    group_defaults: ClassVar[dict[str, Any]] = {
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "fused": None,
    }

    def __init__(
        self,
        params: Any,
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not lr_decay >= 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not initial_accumulator_value >= 0.0:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p: Tensor, initial_accumulator_value: float) -> dict[str, Any]:
        state = self.state[p]
        state["step"] = step_counter()
        state["sum"] = full(tuple(p.shape), initial_accumulator_value, dtype=p.dtype)
        return state

    def update(self, p: Tensor, grad: Tensor, group: dict[str, Any]) -> None:
        state = self.state[p]
        if not state:  # a group added after construction
            state = self._init_state(p, self.defaults["initial_accumulator_value"])
        adagrad_update(
            p,
            grad,
            state,
            lr=_to_scalar(group["lr"]),
            weight_decay=group["weight_decay"],
            lr_decay=group["lr_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
        )


def adagrad_update(
    param: Tensor,
    grad: Tensor,
    state: dict[str, Any],
    *,
    lr: float,
    weight_decay: float,
    lr_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """torch's ``_single_tensor_adagrad`` for one dense parameter (addcmul and addcdiv written
    out: ``s + g * g`` and ``p - clr * (g / std)``)."""
    step_t = state["step"]
    step_t.add_(1)
    step = step_t.item()
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum = state["sum"]
    state_sum.add_(grad * grad)
    std = state_sum.sqrt().add_(eps)
    param.add_(grad / std, alpha=-clr)
