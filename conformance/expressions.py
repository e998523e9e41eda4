"""Table expressions as real functions, so a compiler can trace them.

The op tables (``cases/op_derivatives.py``, ``conformance/programs/program.py``) write each op
once as a Python expression - the same text the standalone reproducers print. Evaluating that
text with ``eval`` at run time hides the op from ``torch.compile`` (Dynamo cannot trace
``eval``), so each expression is turned once into a ``lambda`` over the names it uses and then
called like any function.

A backend may wrap those functions while a case runs (``wrapped_by``): ``torch-compile-ops``
compiles each op expression once and reuses it across cases and programs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

_FUNCTIONS: dict[tuple[str, tuple[str, ...]], Callable[..., Any]] = {}
#: Wrappers in force (innermost last), and what each made of each function.
_WRAPPERS: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = []
_WRAPPED: dict[tuple[int, str, tuple[str, ...]], Callable[..., Any]] = {}


def expression_function(expr: str, names: tuple[str, ...]) -> Callable[..., Any]:
    """``lambda <names>: <expr>``, compiled once per expression and argument names."""
    key = (expr, names)
    function = _FUNCTIONS.get(key)
    if function is None:
        source = f"lambda {', '.join(names)}: {expr}"
        code = compile(source, f"<{expr}>", "eval")
        function = _FUNCTIONS[key] = eval(code, {})  # noqa: S307 - the tables are ours
    return function


@contextlib.contextmanager
def wrapped_by(wrapper: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Iterator[None]:
    """Call every expression through ``wrapper(function)`` (made once per wrapper and
    expression) while the block runs."""
    _WRAPPERS.append(wrapper)
    try:
        yield
    finally:
        _WRAPPERS.pop()


def call_expression(expr: str, namespace: Mapping[str, Any]) -> Any:
    """Evaluate ``expr`` over ``namespace`` by calling its function (wrapped, in a
    ``wrapped_by`` block)."""
    names = tuple(namespace)
    function = expression_function(expr, names)
    if _WRAPPERS:
        wrapper = _WRAPPERS[-1]
        key = (id(wrapper), expr, names)
        wrapped = _WRAPPED.get(key)
        if wrapped is None:
            wrapped = _WRAPPED[key] = wrapper(function)
        function = wrapped
    return function(*namespace.values())
