"""Helpers shared by the test modules: one definition of what a test means by "raises exactly
this", "a leaf" and "the node's name", instead of a copy per file.

Only reference_impl is imported here, so the torch-free tests under tests/reference_impl can use
these helpers without making torch importable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import reference_impl


@contextmanager
def raises_exactly(exc_type: type[BaseException], message: str) -> Iterator[None]:
    """The block raises ``exc_type`` itself (not a subclass) with exactly ``message``: the harness
    compares exception types and full texts, so the tests pin both."""
    with pytest.raises(BaseException) as info:
        yield
    assert info.type is exc_type, f"{info.type.__name__}: {info.value}"
    assert str(info.value) == message


def leaf(*values: float, dtype: Any = None) -> Any:
    """A 1-D leaf of ``values`` that requires grad (float32 unless ``dtype`` says otherwise)."""
    return reference_impl.tensor(list(values), dtype=dtype, requires_grad=True)


def ones_leaf(*shape: int, dtype: Any = None) -> Any:
    """A leaf of ones of ``shape`` that requires grad."""
    return reference_impl.ones(*shape, dtype=dtype, requires_grad=True)


def grad_fn_name(tensor: Any) -> str:
    """The class name of ``tensor.grad_fn`` (``'NoneType'`` for a leaf), as torch users read it."""
    return type(tensor.grad_fn).__name__


def next_names(node: Any) -> tuple[tuple[str | None, int], ...]:
    """``node.next_functions`` as (class name or None, input_nr) pairs."""
    return tuple((None if n is None else type(n).__name__, i) for n, i in node.next_functions)
