"""Forward-mode AD state: the dual level, tangents on tensors, and their propagation.

A tensor's tangent lives in ``Tensor._fw_tangent`` while a dual level is open; leaving the level
drops every tangent set in it. When an op runs with a tangent on any input, ``Op.invoke`` calls
``propagate``: the node's ``jvp(*tangents)`` rule (declared next to its VJP in ``_ops``) maps
the input tangents (``None`` for an input without one, i.e. zero) to the output tangents, using
reference ops on ``node.fw_input(i)`` / ``node.fw_output(i)``. The rule runs with propagation
off (a tangent has no tangent of its own at the one level torch supports), but grad mode is
left alone, so a tangent built from tensors that require grad has backward history, as in
torch. An in-place op writes its new tangent into the existing one (``copy_``), so the
tangent of a view and of its base stay one storage, as torch keeps them.
"""

from __future__ import annotations

import re
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._ops.base import Op
    from ._tensor import Tensor

NO_LEVEL = (
    "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
    "enter_dual_level() first."
)
NESTED = "Nested forward mode AD is not supported at the moment"

_FEATURE_REQUEST = (
    "Please file an issue to PyTorch at "
    "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that we can "
    "prioritize its implementation or submit a PR adding the implementation to derivatives.yaml"
)


def not_implemented_message(aten_name: str) -> str:
    """torch's text for an op whose derivatives.yaml entry has no forward formula."""
    return (
        f"Trying to use forward AD with {aten_name} that does not support it because it has not "
        f"been implemented yet.\n{_FEATURE_REQUEST}"
    )


def aten_name(node_name: str) -> str:
    """``NllLossBackward0`` -> ``nll_loss``: the aten op a node class is named after."""
    stem = re.sub(r"Backward\d*$", "", node_name)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", stem).lower()


class DualLevel:
    """One open level: its index and the tensors given a tangent in it (weakly)."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.tensors: list[weakref.ref[Tensor]] = []


class _State:
    level: DualLevel | None = None
    #: > 0 while a JVP rule runs: its ops compute tangents, they do not propagate them.
    suppressed: int = 0


STATE = _State()


def active() -> bool:
    """Whether ops must look for tangents (a level is open and no rule is running)."""
    return STATE.level is not None and not STATE.suppressed


def enter_level() -> int:
    if STATE.level is not None:
        raise RuntimeError(NESTED)
    STATE.level = DualLevel(0)
    return 0


def exit_level() -> None:
    current = STATE.level
    if current is None:
        raise RuntimeError("Dual level must be a positive number.")
    for ref in current.tensors:
        t = ref()
        if t is not None:
            t._fw_tangent = None
    STATE.level = None


def tangent_of(t: Tensor) -> Tensor | None:
    return t._fw_tangent


def set_tangent(t: Tensor, tangent: Tensor) -> None:
    level = STATE.level
    assert level is not None
    if t._fw_tangent is None:
        level.tensors.append(weakref.ref(t))
    t._fw_tangent = tangent


class _Suppressed:
    def __enter__(self) -> None:
        STATE.suppressed += 1

    def __exit__(self, *exc: object) -> None:
        STATE.suppressed -= 1


class propagating:  # noqa: N801 - a context manager, used like a function
    """Inside a JVP rule: let the ops of a formula propagate tangents themselves (a rule that
    reruns a composite formula on its dual inputs)."""

    def __enter__(self) -> None:
        self.saved = STATE.suppressed
        STATE.suppressed = 0

    def __exit__(self, *exc: object) -> None:
        STATE.suppressed = self.saved


def run_rule(node: Op, inputs: tuple[Tensor, ...], outputs: list[Tensor], params: Any) -> Any:
    """The node's output tangent(s) from its inputs' tangents, or None when none has one."""
    tangents = [t._fw_tangent for t in inputs]
    if all(t is None for t in tangents):
        return None
    node._fw = (inputs, outputs, params)
    try:
        with _Suppressed():
            return node.jvp(*tangents)
    finally:
        node._fw = None


def _fit(tangent: Tensor, like: Tensor) -> Tensor:
    """A rule's tangent in its output's dtype and shape (a broadcast input's tangent is
    materialised at the output's shape)."""
    with _Suppressed():
        if tangent.dtype is not like.dtype:
            tangent = tangent.to(like.dtype)
        if tuple(tangent.shape) != tuple(like.shape):
            tangent = tangent.expand(*like.shape).clone()
    return tangent


def _differentiable(node: Op, outputs: list[Tensor]) -> list[int]:
    return [
        i
        for i, out in enumerate(outputs)
        if i not in node.nondifferentiable_outputs and out.dtype.is_floating_point
    ]


def propagate(node: Op, inputs: tuple[Tensor, ...], outputs: list[Tensor], params: Any) -> None:
    """Give an out-of-place op's outputs their tangents."""
    keep = _differentiable(node, outputs)
    if not keep:
        return
    result = run_rule(node, inputs, outputs, params)
    if result is None:
        return
    results = result if isinstance(result, tuple) else (result,)
    for i in keep:
        tangent = results[i] if i < len(results) else None
        if tangent is not None:
            set_tangent(outputs[i], _fit(tangent, outputs[i]))


def propagate_inplace(
    node: Op, self_tensor: Tensor, inputs: tuple[Tensor, ...], result: np.ndarray, params: Any
) -> Tensor | None:
    """The new tangent of an in-place op's ``self``, computed before ``self`` is overwritten
    (the rule may read ``fw_input(0)``, the old values). Commit it with ``commit_inplace``."""
    from ._tensor import Tensor

    out = Tensor(result)
    if not out.dtype.is_floating_point:
        return None
    tangent = run_rule(node, inputs, [out], params)
    if isinstance(tangent, tuple):
        tangent = tangent[0]
    return None if tangent is None else _fit(tangent, self_tensor)


def commit_inplace(self_tensor: Tensor, tangent: Tensor) -> None:
    """Write ``tangent`` into ``self``'s tangent in place; a view without one first gets a
    zero tangent on its base, viewed the way the view was made, as torch does."""
    with _Suppressed():
        current = self_tensor._fw_tangent
        if current is None and self_tensor._view is not None:
            base = self_tensor._view.base
            base_tangent = base._fw_tangent
            if base_tangent is None:
                base_tangent = base.detach().new_zeros(tuple(base.shape))
                set_tangent(base, base_tangent)
            from ._tensor import ViewInfo

            current = ViewInfo(base_tangent, self_tensor._view.steps).replay(base_tangent)
            set_tangent(self_tensor, current)
        if current is None:
            set_tangent(self_tensor, tangent)
        else:
            current.copy_(tangent)
