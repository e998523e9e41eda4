"""Capturing raised errors and warnings as plain values.

A difference in what a backend raises or warns is data to compare, so cases turn exceptions and
warnings into values (``Raised`` records, ``(category, message)`` pairs) instead of letting them
propagate and end the case.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_TRIGGERED = re.compile(r"\s*\(?Triggered internally at .*$", re.DOTALL)
_CPP_TRACE = re.compile(r"\s*Exception raised from .*$", re.DOTALL)


def normalise_message(message: str) -> str:
    """Remove what one build of a library changes but another does not.

    Object addresses become ``0x?``; a trailing ``Triggered internally at <file>:<line>`` part and a
    C++ ``Exception raised from ...`` trace are cut; surrounding whitespace is stripped.
    """
    text = _TRIGGERED.sub("", message)
    text = _CPP_TRACE.sub("", text)
    text = _ADDRESS.sub("0x?", text)
    return text.strip()


#: Modules whose exceptions wrap the error they met (Dynamo's ``TorchRuntimeError`` around the
#: ``RuntimeError`` an op raised while tracing): their cause is recorded with them.
WRAPPER_MODULES = ("torch._dynamo", "torch._inductor")
#: How Dynamo names the wrapped error in its message when it does not chain it:
#: ``... got RuntimeError('a leaf Variable that requires grad ...')``.
_WRAPPED_IN_MESSAGE = re.compile(r"""got (\w+)\((['"])(.*?)\2\)""", re.DOTALL)
#: What Dynamo appends to the message of an error it met while tracing: where in the user's code.
_USER_CODE = re.compile(r"\n\nfrom user code:\n.*\Z", re.DOTALL)


def wrapped_cause(exc: BaseException) -> tuple[str, str] | None:
    """``(type name, message)`` of the exception a wrapper exception stands for, or None."""
    if not type(exc).__module__.startswith(WRAPPER_MODULES):
        return None
    inner = getattr(exc, "inner_exception", None) or exc.__cause__ or _rewrapped(exc)
    if isinstance(inner, BaseException):
        return wrapped_cause(inner) or (type(inner).__name__, _USER_CODE.sub("", str(inner)))
    found = _WRAPPED_IN_MESSAGE.search(str(exc))
    if found is None:
        return None
    return found.group(1), found.group(3).encode().decode("unicode_escape", errors="replace")


def _rewrapped(exc: BaseException) -> BaseException | None:
    """The error Dynamo "rewrapped for clarity": an unexpected error of its own tracing raised
    again as ``InternalTorchDynamoError(f"{type}: {message}") from None``, which keeps the
    original only as the context it suppresses."""
    context = exc.__context__
    if not (exc.__suppress_context__ and isinstance(context, BaseException)):
        return None
    return context if str(exc) == f"{type(context).__qualname__}: {context}" else None


@dataclass(frozen=True)
class Raised:
    """An exception turned into a value: its class name and its message (``str(exc)``), and for
    a wrapper exception the type and message of the error it wraps."""

    type_name: str
    message: str
    #: Whether the exception is a ``NotImplementedError`` (whatever its class name).
    not_implemented: bool = False
    cause_type: str | None = None
    cause_message: str | None = None

    @classmethod
    def from_exception(cls, exc: BaseException) -> Raised:
        cause = wrapped_cause(exc)
        return cls(
            type(exc).__name__,
            str(exc),
            isinstance(exc, NotImplementedError),
            None if cause is None else cause[0],
            None if cause is None else cause[1],
        )

    def __str__(self) -> str:
        return f"{self.type_name}: {self.message}"


def capture(fn: Callable[[], T]) -> T | Raised:
    """Run ``fn`` and return its value, or a ``Raised`` record of the exception it raised."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - every exception is an observation here
        return Raised.from_exception(exc)


def capture_warnings(fn: Callable[[], T]) -> tuple[T | Raised, list[tuple[str, str]]]:
    """Run ``fn`` recording every warning it emits.

    Returns ``(value, [(category name, normalised message), ...])``; the value is a ``Raised``
    record when ``fn`` raised. Warnings are always recorded, even ones already shown once.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value: Any = capture(fn)
    found = [(w.category.__name__, normalise_message(str(w.message))) for w in caught]
    return value, found
