"""Standalone reproducer scripts: a case as a plain torch program.

The case runs once on the ``torch`` backend to record the values ``make`` produced; its source
is then printed with each ``make.*(...)`` call replaced by a literal tensor of those values
(or, when a call site made several values, with a replay of them in order), preceded by the
helpers it uses and followed by code printing every observation. The script needs only torch
and NumPy.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from conformance.backends import Backend
from conformance.capture import normalise_message
from conformance.case import Case
from conformance.inputs import Inputs, Made, case_seed
from conformance.observe import observe
from conformance.registry import load_backend

HARNESS_NAMES = {
    "case",
    "capture",
    "capture_warnings",
    "Raised",
    "Inputs",
    "normalise_message",
    "call_expression",
}

PRELUDE = '''
from __future__ import annotations

import re
import warnings

import numpy
import torch


class Raised:
    """An exception turned into a value."""

    def __init__(self, type_name, message):
        self.type_name, self.message = type_name, message

    def __repr__(self):
        return f"Raised({self.type_name}: {self.message})"


def call_expression(expr, namespace):
    """Evaluate a table expression as a lambda over its names (as the harness does)."""
    function = eval(f"lambda {', '.join(namespace)}: {expr}")
    return function(*namespace.values())


def capture(fn):
    try:
        return fn()
    except Exception as exc:
        return Raised(type(exc).__name__, str(exc))


def normalise_message(message):
    text = re.sub(r"\\s*\\(?Triggered internally at .*$", "", message, flags=re.DOTALL)
    text = re.sub(r"\\s*Exception raised from .*$", "", text, flags=re.DOTALL)
    return re.sub(r"0x[0-9a-fA-F]+", "0x?", text).strip()


def capture_warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = capture(fn)
    return value, [(w.category.__name__, normalise_message(str(w.message))) for w in caught]
'''

REPORT = '''

def show(name, value):
    if isinstance(value, dict) and value:
        for key, item in value.items():
            show(f"{name}.{key}" if name else str(key), item)
    elif isinstance(value, (list, tuple)) and value and not isinstance(value, torch.Tensor):
        for index, item in enumerate(value):
            show(f"{name}.{index}", item)
    elif isinstance(value, torch.Tensor):
        grad_fn = None if value.grad_fn is None else type(value.grad_fn).__name__
        values = value.detach().cpu().tolist()
        print(f"{name} = tensor {values} dtype={str(value.dtype).replace('torch.', '')} "
              f"shape={list(value.shape)} requires_grad={value.requires_grad} "
              f"is_leaf={value.is_leaf} grad_fn={grad_fn}")
    else:
        print(f"{name} = {value!r}")


class Replay:
    """Hands out the recorded inputs in the order the case asked for them."""

    def __init__(self, values):
        self._values = iter(values)

    def _next(self, *args, **kwargs):
        return next(self._values)

    tensor = randn = rand = uniform = randint = array = _next

'''


def _float_text(value: float, dtype: str) -> str:
    if value != value:
        return "float('nan')"
    if value in (float("inf"), float("-inf")):
        return "float('inf')" if value > 0 else "-float('inf')"
    if dtype in ("float32", "float16", "bfloat16"):
        short = np.format_float_positional(
            np.float32(value) if dtype != "float16" else np.float16(value), unique=True, trim="0"
        )
        if float(np.float32(float(short))) == float(np.float32(value)):
            return short
    return repr(float(value))


def _literal_data(values: np.ndarray, dtype: str) -> str:
    def text(item: Any) -> str:
        if isinstance(item, list):
            return "[" + ", ".join(text(i) for i in item) + "]"
        if isinstance(item, bool):
            return repr(item)
        if isinstance(item, int):
            return repr(item)
        if isinstance(item, complex):
            return f"complex({_float_text(item.real, dtype)}, {_float_text(item.imag, dtype)})"
        return _float_text(float(item), dtype)

    return text(values.tolist())


def literal(made: Made, module_name: str = "torch") -> str:
    """Python source building the value one ``make`` call produced."""
    data = _literal_data(made.values, made.dtype)
    if made.is_array:
        return f"numpy.array({data}, dtype=numpy.{made.values.dtype.name})"
    grad = ", requires_grad=True" if made.requires_grad else ""
    return f"{module_name}.tensor({data}, dtype={module_name}.{made.dtype}{grad})"


def _function_node(source: str) -> ast.FunctionDef:
    tree = ast.parse(source)
    node = tree.body[0]
    if not isinstance(node, ast.FunctionDef):
        raise ValueError("case source is not a function definition")
    return node


def _substitute(case: Case, made: list[Made], module_name: str) -> tuple[str, bool]:
    """The case's source without decorators, with make calls made literal when possible.

    Returns ``(source, literal)``; ``literal`` is False when some call site made more than one
    value or lay outside the case's body, in which case the source is left as it is.
    """
    node = _function_node(case.source)
    lines = case.source.splitlines(keepends=True)
    start = node.lineno - 1  # the `def` line, after the decorators
    offset = (case.lineno or 1) - 1
    indent = len(case.source) - len(case.source.lstrip())  # already dedented: 0
    sites: dict[tuple[int, int, int, int], Made] = {}
    ok = True
    for item in made:
        if item.position is None or item.filename != case.filename or item.position in sites:
            ok = False
            break
        sites[item.position] = item
    if ok:
        original = inspect.getsourcelines(case.func)[0] if case.filename else []
        dedent = len(original[0]) - len(original[0].lstrip()) if original else 0
        for (line, end_line, col, end_col), item in sorted(sites.items(), reverse=True):
            first, last = line - 1 - offset, end_line - 1 - offset
            if not (start <= first <= last < len(lines)):
                ok = False
                break
            head = lines[first].encode()[: col - dedent].decode()
            tail = lines[last].encode()[end_col - dedent :].decode()
            lines[first : last + 1] = [head + literal(item, module_name) + tail]
    if not ok:
        lines = case.source.splitlines(keepends=True)
    del indent
    return "".join(lines[start:]), ok


def _globals_needed(func: Any) -> list[str]:
    names: list[str] = []
    pending = [func.__code__]
    while pending:
        code = pending.pop()
        names.extend(n for n in code.co_names if n not in names)
        pending.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return names


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(k) and _is_plain(v) for k, v in value.items())
    return False


@dataclass
class _Definitions:
    """What a reproducer must define before the case: imports, constants, and helper
    functions or classes of the case's module (with their line, to keep source order)."""

    imports: list[str] = field(default_factory=list)
    constants: list[str] = field(default_factory=list)
    helpers: list[tuple[int, str]] = field(default_factory=list)

    def blocks(self) -> list[str]:
        found = [line for line in self.imports if line not in ("import torch", "import numpy")]
        return found + self.constants + [text for _, text in sorted(self.helpers)]


def _names_used(current: Any) -> tuple[dict[str, Any], list[str]]:
    """The global namespace ``current`` reads and the names it reads there."""
    namespace = getattr(current, "__globals__", None) or vars(
        inspect.getmodule(current) or types.ModuleType("empty")
    )
    names = _globals_needed(current) if hasattr(current, "__code__") else []
    # Dunder globals (__name__, __file__...) belong to the script, not to the case.
    return namespace, [n for n in names if not (n.startswith("__") and n.endswith("__"))]


def _define(name: str, value: Any, home: str, found: _Definitions) -> list[Any]:
    """Record how the script defines ``name``; returns the functions whose own globals must be
    defined too (a helper of the case's module and the methods of a class there)."""
    if isinstance(value, types.ModuleType):
        alias = "" if value.__name__ == name else f" as {name}"
        found.imports.append(f"import {value.__name__}{alias}")
    elif _is_plain(value):
        found.constants.append(f"{name} = {value!r}")
    elif not (inspect.isfunction(value) or inspect.isclass(value)):
        found.constants.append(f"# {name}: a {type(value).__name__}, not reproducible here")
    elif value.__module__ != home:
        found.imports.append(f"from {value.__module__} import {value.__qualname__} as {name}")
    else:
        try:
            source, line = inspect.getsourcelines(value)
        except (OSError, TypeError):
            found.constants.append(f"# {name}: source not available")
            return []
        found.helpers.append((line, textwrap.dedent("".join(source))))
        if inspect.isfunction(value):
            return [value]
        return [v for v in vars(value).values() if inspect.isfunction(v)]
    return []


def _definitions(func: Any, skip: Iterable[str]) -> list[str]:
    """Source for the module-level names the case uses: imports, constants, helpers."""
    skipped = set(skip) | HARNESS_NAMES
    found = _Definitions()
    seen: set[str] = set()
    queue = [func]
    while queue:
        namespace, names = _names_used(queue.pop())
        for name in names:
            if name in seen or name in skipped or name not in namespace:
                continue
            seen.add(name)
            queue.extend(_define(name, namespace[name], func.__module__, found))
    return found.blocks()


def record_inputs(case: Case, seed: int, backend: Backend) -> list[Made]:
    """Run the case on ``backend`` only to learn what its ``make`` calls produced."""
    make = Inputs(backend.module, seed, device=backend.device)
    with backend.isolated():
        try:
            returned = case.func(backend.module, make)
            observe(returned, backend)
        except Exception:  # noqa: BLE001 - the inputs made before the error are what we need
            pass
    return make.made


#: How long a child recording a crashed case's inputs may take before it is given up.
RECORD_TIMEOUT_S = 60.0


def record_inputs_apart(case: Case, seed: int, backend: Backend) -> list[Made] | None:
    """``record_inputs`` in a forked child, for a case that may kill the process running it
    (a crash being saved): None when it did, or hung past ``RECORD_TIMEOUT_S``. The caller's
    process, holding a run's results, must outlive the case."""
    from conformance.forked import run_forked

    _, made = run_forked(lambda: record_inputs(case, seed, backend), RECORD_TIMEOUT_S)
    return made


def build_reproducer(
    case: Case, run_seed: int = 0, backend: Backend | None = None, *, apart: bool = False
) -> str:
    """The reproducer script of ``case`` for the run seed ``run_seed``, its inputs recorded on
    ``backend`` (torch by default). ``apart``: record them in a child process, for a case that
    crashed a backend; if the case kills that one too, on reference_impl, whose ``make`` draws
    the same values whatever the module."""
    if case.reproducer is not None:
        return case.reproducer()
    backend = backend or load_backend("torch")
    seed = case_seed(run_seed, case.id)
    made = record_inputs_apart(case, seed, backend) if apart else record_inputs(case, seed, backend)
    if made is None:  # the case killed (or hung) the child recording it apart
        made = record_inputs(case, seed, load_backend("reference"))
    params = list(inspect.signature(case.func).parameters)
    module_name = params[0] if params else "torch"
    body, literal_ok = _substitute(case, made, module_name)
    name = _function_node(case.source).name
    doc = case.doc.replace('"""', "'''")
    header = (
        f'"""Reproducer for conformance case {case.id} (run seed {run_seed}).\n\n'
        f"{doc}\n\nGenerated by `conformance show`; needs only torch and NumPy.\n"
        '"""\n'
    )
    definitions = _definitions(case.func, skip=params)
    if literal_ok or not made:
        make_line = "make = None  # every input is written out literally above"
    else:
        values = ",\n    ".join(literal(m) for m in made)
        make_line = f"make = Replay([\n    {values},\n])"
    parts = [
        header,
        PRELUDE.strip() + "\n",
        REPORT.rstrip() + "\n",
        *(d.rstrip() + "\n" for d in definitions),
        body.rstrip() + "\n",
        '\nif __name__ == "__main__":\n'
        f"    {make_line.replace(chr(10), chr(10) + '    ')}\n"
        f"    observations = {name}(torch, make)\n"
        '    show("", observations)\n',
    ]
    return "\n\n".join(p.strip("\n") + "\n" for p in parts)


__all__ = ["build_reproducer", "literal", "normalise_message", "record_inputs"]
