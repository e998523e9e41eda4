"""torch.autograd.forward_ad: dual tensors for forward-mode AD (one level, as in torch).

``make_dual(x, v)`` returns a view of ``x`` carrying the tangent ``v``; every op applied to a
dual tensor computes its output's tangent with the op's JVP rule (``Op.jvp``), and
``unpack_dual(y)`` returns ``(primal, tangent)``. Leaving ``dual_level`` drops every tangent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from .. import _forward_ad as fw
from .._size import shape_str
from .._tensor import Tensor

__all__ = [
    "UnpackedDualTensor",
    "dual_level",
    "enter_dual_level",
    "exit_dual_level",
    "make_dual",
    "unpack_dual",
]

F = TypeVar("F", bound=Callable[..., Any])


def _current_level() -> int:
    return -1 if fw.STATE.level is None else fw.STATE.level.index


def enter_dual_level() -> int:
    """Open the (single) forward AD level; returns its index, 0."""
    return fw.enter_level()


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the level, dropping every tangent set in it."""
    current = _current_level()
    if level is None:
        level = current
    if level != current:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. "
            "This is not supported."
        )
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    fw.exit_level()


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` whose tangent is ``tangent`` (kept as is, whatever its dtype)."""
    if level is None:
        level = _current_level()
    if level < 0:
        raise RuntimeError(fw.NO_LEVEL)
    if not tensor.is_floating_point():
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}"
        )
    if not tangent.is_floating_point():
        raise ValueError(
            f"Expected tangent to be floating point or complex, but got: {tangent.dtype}"
        )
    if tensor._fw_tangent is not None:
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the "
            f"same level {level} is not supported."
        )
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {shape_str(tensor.shape)} "
            f"while the given forward gradient is of size {shape_str(tangent.shape)}."
        )
    from .._ops.views import ViewBackward0

    dual: Tensor = ViewBackward0.invoke(tensor, shape=tuple(tensor.shape))
    fw.set_tangent(dual, tangent)
    return dual


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the primal and the tangent (None without one)."""

    primal: Tensor
    tangent: Tensor | None


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """Outside a level: ``(tensor, None)``. Inside: a view of ``tensor`` without tangent, and
    the tangent itself (not a copy)."""
    current = _current_level()
    if level is None:
        level = current
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if level != current:
        raise RuntimeError("Invalid level given to _fw_primal")
    from .._ops.views import AliasBackward0

    with fw._Suppressed():
        primal: Tensor = AliasBackward0.invoke(tensor)
    return UnpackedDualTensor(primal, tensor._fw_tangent)


class dual_level:  # noqa: N801 - torch's name
    """Context manager (or decorator) for the forward AD level: ``with dual_level(): ...``."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with dual_level():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
