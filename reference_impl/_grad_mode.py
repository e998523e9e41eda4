"""Grad mode: whether ops record a graph. Context managers double as decorators, as in torch."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    enabled: bool = True
    inference: bool = False


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _GradModeContext:
    """Base for no_grad/enable_grad/set_grad_enabled: saves and restores the flag."""

    _target: bool = True

    def __enter__(self) -> None:
        self._prev = _state.enabled
        _state.enabled = self._target

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._prev

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def clone(self) -> _GradModeContext:
        return type(self)()


class _NoParamDecorator(_GradModeContext):
    """Also a bare decorator, as torch's: ``@no_grad`` without parentheses wraps the function."""

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecorator):  # noqa: N801
    _target = False


class enable_grad(_NoParamDecorator):  # noqa: N801
    _target = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Takes effect when constructed (like torch), so it also works as a plain function call."""

    def __init__(self, mode: bool) -> None:
        self._prev = _state.enabled
        self._target = bool(mode)
        _state.enabled = self._target

    def __enter__(self) -> None:
        pass

    def clone(self) -> _GradModeContext:
        ctx = _GradModeContext()
        ctx._target = self._target
        return ctx


class inference_mode(_GradModeContext):  # noqa: N801
    """Like no_grad; tensors made inside are inference tensors (``is_inference()``)."""

    def __new__(cls, mode: Any = True) -> Any:
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # bare @inference_mode

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        self._prev = _state.enabled
        self._prev_inf = _state.inference
        # Like torch's InferenceMode guard: grad mode is the opposite of the inference flag,
        # so inference_mode(False) nested in inference_mode() turns grad back on.
        _state.enabled = not self.mode
        _state.inference = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._prev
        _state.inference = self._prev_inf

    def clone(self) -> _GradModeContext:
        return inference_mode(self.mode)
