"""torch.autograd.detect_anomaly / set_detect_anomaly: a debugging mode for backward.

With the mode on, the engine runs each node through ``run_node``: a node whose gradients
contain NaN raises torch's error (when ``check_nan``), and any error a node raises is preceded
by torch's "Error detected in <node>" warning. torch prints the forward traceback recorded when
the node was created; nodes here record none, so the warning is the text torch gives for a node
created outside anomaly mode.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from .._node import Node
    from .._tensor import Tensor

__all__ = [
    "detect_anomaly",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "set_anomaly_enabled",
    "set_detect_anomaly",
]

F = TypeVar("F", bound=Callable[..., Any])

ENABLED_WARNING = (
    "Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
    "enabled for debugging."
)


class _State:
    """The process-wide flags (torch keeps them in C++ globals)."""

    enabled = False
    check_nan = True


STATE = _State()


def is_anomaly_enabled() -> bool:
    return STATE.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return STATE.check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    STATE.enabled = bool(enabled)
    STATE.check_nan = bool(check_nan)


class detect_anomaly:  # noqa: N801 - torch's name
    """Context manager (or decorator) turning the mode on; warns once created, as torch."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = STATE.enabled
        self.check_nan = check_nan
        self.prev_check_nan = STATE.check_nan
        warnings.warn(ENABLED_WARNING, UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc: object) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class set_detect_anomaly:  # noqa: N801 - torch's name
    """Set the mode now; used as a context manager, restore the previous mode on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = STATE.enabled
        self.prev_check_nan = STATE.check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


def run_node(
    node: Node,
    run: Callable[[list[Tensor | None]], list[Tensor | None]],
    grads: list[Tensor | None],
    validate: Callable[[Node, list[Tensor | None]], list[Tensor | None]],
) -> list[Tensor | None]:
    """What the engine does instead of ``validate(node, run(grads))`` while the mode is on."""
    try:
        outputs = validate(node, run(grads))
        if STATE.check_nan:
            for i, grad in enumerate(outputs):
                if grad is not None and bool(np.isnan(grad._data).any()):
                    raise RuntimeError(
                        f"Function '{node.name()}' returned nan values in its {i}th output."
                    )
    except Exception:
        _warn_error_in(node)
        raise
    return outputs


def _warn_error_in(node: Node) -> None:
    trace = node.metadata.get("traceback_")
    if trace is None:
        message = (
            f"Error detected in {node.name()}. No forward pass information available. Enable "
            "detect anomaly during forward pass for more information."
        )
    else:
        message = (
            f"Error detected in {node.name()}. Traceback of forward call that caused the "
            f"error:\n{''.join(trace)}"
        )
    warnings.warn(message, UserWarning, stacklevel=2)
