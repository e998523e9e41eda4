"""How gradients land in ``.grad``: torch's accumulation contract in one place.

- the first gradient becomes a new tensor (never an alias of the caller's ``gradient``);
- later ones are added in place (outside references see the update);
- under create_graph (grad mode on) both steps are out of place and recorded in the graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._grad_mode import is_grad_enabled

if TYPE_CHECKING:
    from ._tensor import Tensor


def accumulate_into_grad(variable: Tensor, grad: Tensor) -> None:
    old = variable._grad
    if old is None:
        if is_grad_enabled():
            from ._functions import copy_for_grad

            variable._grad = copy_for_grad(grad)
        else:
            variable._grad = _fresh_copy(grad)
    elif is_grad_enabled():
        variable._grad = old + grad
    else:
        old._inplace_accumulate(grad)


def _fresh_copy(grad: Tensor) -> Tensor:
    """``grad.detach().clone()`` with grad mode off, without running an op: a new C-ordered
    array in a new tensor (clone's ``forward``), with no history and no tangent."""
    return grad._from_array(np.array(grad._data, copy=True, order="C"))


def accumulate_retained(tensor: Tensor, grad: Tensor) -> None:
    """retain_grad() and backward(inputs=[non_leaf]): always a new object, never in place."""
    old = tensor._grad
    new = grad if is_grad_enabled() else grad.detach()
    tensor._grad = new.clone() if old is None else old + new
