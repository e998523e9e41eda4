"""Turning what a case returned into typed observation records, using its backend.

A case returns nested dicts, lists and tuples of tensors, Python values and ``Raised`` records;
this flattens them into dotted names (``"grads.0"``) and reads every tensor through the backend
into NumPy with its dtype, shape and autograd flags, so the two sides can be compared as data.
"""

from __future__ import annotations

import functools
import hashlib
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from math import isfinite
from typing import Any

import numpy as np

from conformance.backends import Backend
from conformance.capture import Raised
from conformance.facets import TENSOR_ATTRIBUTES

#: Name of the observation recording that the case function itself raised.
RAISED_NAME = "<raised>"
#: Tensor values up to this many elements are kept in result records.
VALUES_KEPT = 64
#: Text kept of a string, a message or a repr in a record; the rest is summarised by its length
#: and hash, so one record stays small whatever a case returns.
TEXT_KEPT = 2000
#: Items of a list or tuple observed one by one; a longer list of plain numbers is observed as
#: one array (container ``list``/``tuple``), a longer list of anything else up to this many items
#: plus its length.
ITEMS_WALKED = 1000


@dataclass(slots=True)
class TensorObservation:
    """A tensor (or NumPy array): its values and everything autograd says about it.

    For a NumPy array, ``requires_grad``, ``is_leaf`` and ``grad_fn`` are None and
    ``container`` is ``"ndarray"``.
    """

    name: str
    dtype: str
    shape: tuple[int, ...]
    requires_grad: bool | None
    is_leaf: bool | None
    grad_fn: str | None
    values: np.ndarray = field(repr=False, compare=False)
    container: str = "tensor"
    kind: str = "tensor"
    #: Attributes the backend's reader does not provide (``grad_fn`` on a library without
    #: graph nodes): compared as skipped, never as different.
    skipped: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {"skipped": list(self.skipped)} if self.skipped else {}
        summary["kind"] = self.kind
        summary["container"] = self.container
        summary["dtype"] = self.dtype
        summary["shape"] = list(self.shape)
        summary["requires_grad"] = self.requires_grad
        summary["is_leaf"] = self.is_leaf
        summary["grad_fn"] = self.grad_fn
        summary["values"] = _plain_values(self.values) if self.values.size <= VALUES_KEPT else None
        return summary


@dataclass(slots=True)
class ValueObservation:
    """A plain value: ``type_name`` is none/bool/int/float/complex/str/dtype/empty/object.

    ``dtype`` values hold the dtype's name; ``empty`` values an empty container's type name;
    ``object`` values the class name of something the harness cannot look inside.
    """

    name: str
    type_name: str
    value: Any
    kind: str = "value"

    def summary(self) -> dict[str, Any]:
        value = [self.value.real, self.value.imag] if self.type_name == "complex" else self.value
        if self.type_name == "str":
            value = clip_text(self.value)
        return {"kind": self.kind, "type": self.type_name, "value": _plain(value)}


@dataclass(slots=True)
class RaisedObservation:
    """An exception: raised by the case (name ``<raised>``) or captured with ``capture``."""

    name: str
    type_name: str
    message: str
    not_implemented: bool = False
    kind: str = "raised"
    #: For a wrapper exception (Dynamo's ``TorchRuntimeError``), the error it wraps.
    cause_type: str | None = None
    cause_message: str | None = None
    #: The traceback of an exception that escaped the case body (a broken case, or a candidate
    #: failing where the baseline did not), for the record.
    traceback: str | None = None

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "kind": self.kind,
            "type": self.type_name,
            "message": self.message,
        }
        if self.cause_type is not None:
            summary |= {"cause_type": self.cause_type, "cause_message": self.cause_message}
        if self.traceback is not None:
            summary["traceback"] = self.traceback
        return summary | ({"not_implemented": True} if self.not_implemented else {})


@dataclass(slots=True)
class UnobservableObservation:
    """A value the harness failed to read (the backend raised while it was being read)."""

    name: str
    type_name: str
    error: str
    kind: str = "unobservable"

    def summary(self) -> dict[str, Any]:
        return {"kind": self.kind, "type": self.type_name, "error": self.error}


Observation = TensorObservation | ValueObservation | RaisedObservation | UnobservableObservation


def _plain(value: Any) -> Any:
    """JSON-safe copy: non-finite floats become the strings 'nan', 'inf', '-inf'."""
    kind = type(value)  # exact types first: this runs for every number a record keeps
    if kind is float or (kind is not list and isinstance(value, float)):
        if isfinite(value):
            return value
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    if kind is list or isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, complex):
        return [_plain(value.real), _plain(value.imag)]
    return value


def _plain_values(values: np.ndarray) -> Any:
    """``_plain(values.tolist())``, skipping the walk where no element can need it (integers,
    booleans, finite floats - checked at once where there are many)."""
    kind = values.dtype.kind
    if kind in "biu" or (kind == "f" and values.size > 16 and np.isfinite(values).all()):
        return values.tolist()
    return _plain(values.tolist())


@functools.cache
def _skipped(provides: frozenset[str]) -> tuple[str, ...]:
    """The tensor attributes a reader providing ``provides`` does not read (per backend, once)."""
    return tuple(a for a, facet in TENSOR_ATTRIBUTES.items() if facet not in provides)


def observe_tensor(name: str, tensor: Any, backend: Backend) -> TensorObservation:
    """Read one backend tensor: values through ``backend.to_numpy``, flags from attributes.

    An attribute the backend says it does not provide (``Backend.provides``) is not read and is
    listed in ``skipped``; one it claims but lacks is a reading error, as it should be.
    """
    return _read_tensor(name, tensor, backend, _skipped(backend.provides))


def _read_tensor(
    name: str, tensor: Any, backend: Backend, skipped: tuple[str, ...]
) -> TensorObservation:
    if skipped:
        grad_fn = None if "grad_fn" in skipped else tensor.grad_fn
        requires_grad = None if "requires_grad" in skipped else bool(tensor.requires_grad)
        is_leaf = None if "is_leaf" in skipped else bool(tensor.is_leaf)
    else:
        grad_fn, requires_grad = tensor.grad_fn, bool(tensor.requires_grad)
        is_leaf = bool(tensor.is_leaf)
    return TensorObservation(
        name,
        backend.dtype_of(tensor),
        tuple(map(int, tensor.shape)),
        requires_grad,
        is_leaf,
        None if grad_fn is None else type(grad_fn).__name__,
        np.array(backend.to_numpy(tensor), copy=True),
        "tensor",
        "tensor",
        skipped,
    )


def _observe_other(name: str, value: Any, backend: Backend) -> Observation:
    """A value that is neither a tensor of ``backend``, a ``Raised`` nor a container."""
    if isinstance(value, np.ndarray):
        return TensorObservation(
            name, value.dtype.name, tuple(value.shape), None, None, None, value.copy(), "ndarray"
        )
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return ValueObservation(name, "none", None)
    if isinstance(value, bool | int | float | complex | str):
        return ValueObservation(name, type(value).__name__, value)
    if backend.is_dtype(value):
        return ValueObservation(name, "dtype", backend.dtype_of(_Dtyped(value)))
    if isinstance(value, Mapping | list | tuple) and len(value) == 0:
        return ValueObservation(name, "empty", type(value).__name__)
    return ValueObservation(name, "object", type(value).__name__)


@dataclass(frozen=True)
class _Dtyped:
    dtype: Any


@dataclass(frozen=True)
class Recorded:
    """Observations a backend returns ready-made instead of a case's return value (a replayed
    recording has no tensors to read, only what was read from them then)."""

    observations: tuple[Observation, ...]


def observe(returned: Any, backend: Backend) -> list[Observation]:
    """Flatten a case's return value into observations named by dotted paths.

    A value that fails to be read becomes an ``UnobservableObservation`` instead of an error.
    """
    if isinstance(returned, Recorded):
        return list(returned.observations)
    if not isinstance(returned, Mapping):
        raise TypeError(f"a case must return a dict of observations, got {type(returned).__name__}")
    found: list[Observation] = []
    append = found.append
    is_tensor = backend.tensor_check
    skipped = _skipped(backend.provides)

    def walk(name: str, value: Any) -> None:
        kind = type(value)
        if kind is _NONE:  # the commonest leaf: an absent grad
            append(ValueObservation(name, "none", None))
            return
        mapping, sequence = _container_kind(kind)
        if mapping and value:
            for key, item in value.items():
                walk(f"{name}.{key}" if name else str(key), item)
            return
        try:
            if isinstance(value, Raised):
                append(observe_raised(name, value))
                return
            if is_tensor(value):
                append(_read_tensor(name, value, backend, skipped))
                return
        except Exception as exc:  # noqa: BLE001 - reading a value may fail; that is data
            append(UnobservableObservation(name, kind.__name__, f"{exc!r}"))
            return
        if sequence and value:  # a tensor that is a tuple was read above
            if len(value) > ITEMS_WALKED:
                as_array = _numbers_observation(name, value)
                if as_array is not None:
                    append(as_array)
                    return
                append(ValueObservation(f"{name}.<length>", "int", len(value)))
            for index, item in enumerate(value[:ITEMS_WALKED]):
                walk(f"{name}.{index}", item)
            return
        try:
            append(_observe_other(name, value, backend))
        except Exception as exc:  # noqa: BLE001 - reading a value may fail; that is data
            append(UnobservableObservation(name, kind.__name__, f"{exc!r}"))

    for key, value in returned.items():
        walk(str(key), value)
    return found


_NONE = type(None)
_CONTAINER_KINDS: dict[type, tuple[bool, bool]] = {}


def _container_kind(kind: type) -> tuple[bool, bool]:
    """Whether values of type ``kind`` are mappings, and whether lists or tuples: asked once per
    type, as the ``Mapping`` check runs Python code for every value that is not a dict."""
    found = _CONTAINER_KINDS.get(kind)
    if found is None:
        found = _CONTAINER_KINDS[kind] = (issubclass(kind, Mapping), issubclass(kind, list | tuple))
    return found


def _numbers_observation(name: str, items: list[Any] | tuple[Any, ...]) -> Observation | None:
    """A long list of plain numbers as one array observation (None when it holds anything
    else): ten million floats observed one by one took gigabytes and minutes to compare."""
    if not {type(item) for item in items} <= {bool, int, float}:
        return None
    try:
        array = np.asarray(items)
    except OverflowError:
        return None
    if array.dtype.kind not in "biuf":
        return None
    kind = type(items).__name__
    return TensorObservation(name, array.dtype.name, array.shape, None, None, None, array, kind)


def clip_text(text: str, keep: int = TEXT_KEPT) -> str:
    """``text`` itself, or its first ``keep`` characters and a note of its length and hash."""
    if len(text) <= keep:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{text[:keep]}... [clipped: {len(text):,} characters, sha256 {digest}]"


def observe_raised(name: str, raised: Raised, where: str | None = None) -> RaisedObservation:
    """A captured (or escaped) exception as an observation; ``where``: its traceback."""
    return RaisedObservation(
        name,
        raised.type_name,
        raised.message,
        raised.not_implemented,
        cause_type=raised.cause_type,
        cause_message=raised.cause_message,
        traceback=where,
    )


def raised_observation(exc: BaseException) -> RaisedObservation:
    """The observation recording that the case function itself raised ``exc``, with where."""
    where = "".join(traceback.format_exception(exc, limit=-8))
    return observe_raised(RAISED_NAME, Raised.from_exception(exc), where)
