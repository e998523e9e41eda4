"""Table expressions as real functions, so a compiler can trace them.

The op tables (``cases/op_derivatives.py``, ``conformance/programs/program.py``) write each op
once as a Python expression - the same text the standalone reproducers print. Evaluating that
text with ``eval`` at run time hides the op from ``torch.compile`` (Dynamo cannot trace
``eval``), so each expression is turned once into a ``lambda`` over the names it uses and then
called like any function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_FUNCTIONS: dict[tuple[str, tuple[str, ...]], Callable[..., Any]] = {}


def expression_function(expr: str, names: tuple[str, ...]) -> Callable[..., Any]:
    """``lambda <names>: <expr>``, compiled once per expression and argument names."""
    key = (expr, names)
    function = _FUNCTIONS.get(key)
    if function is None:
        source = f"lambda {', '.join(names)}: {expr}"
        code = compile(source, f"<{expr}>", "eval")
        function = _FUNCTIONS[key] = eval(code, {})  # noqa: S307 - the tables are ours
    return function


def call_expression(expr: str, namespace: Mapping[str, Any]) -> Any:
    """Evaluate ``expr`` over ``namespace`` by calling its function."""
    return expression_function(expr, tuple(namespace))(*namespace.values())
