"""A program as a standalone torch script: the reproducer shown for a failing generated case.

The script writes each leaf out literally and each step as one line of the same expression the
interpreter evaluates (taken from the shared tables), wrapped in ``step(...)`` so an error is
recorded the way the interpreter records it; it prints every observation with the harness's
reproducer ``show``. It needs only torch and NumPy.
"""

from __future__ import annotations

import inspect
import re

from conformance.programs.interpreter import snapshot, weights
from conformance.programs.program import (
    APPLY,
    FUNCTIONS,
    INPLACE,
    OPS,
    SAVED_HOOKS,
    Backward,
    Call,
    Const,
    Custom,
    Detach,
    GradMode,
    Hook,
    InPlace,
    Op,
    Program,
    RequiresGrad,
    ResetGrads,
    RetainGrad,
    SavedHooks,
    Step,
    call_concern,
    const_values,
    leaf_values,
    saved_hooks_factory,
    step_concern,
    to_json,
    walk,
)
from conformance.reproducer import PRELUDE, REPORT

HELPERS = '''
errors = {}


def step(key, fn, *needs):
    """Run one step; record its error (or that an input is missing) like the harness does."""
    if any(n is None for n in needs):
        errors[key] = Raised("Skipped", "an input of this step was not made")
        return None
    value = capture(fn)
    if isinstance(value, Raised):
        errors[key] = value
        return None
    return value
'''


def _expr(template: str, names: dict[str, str]) -> str:
    """Substitute slot names (values of ``names``) for the argument names of a table
    expression (its keys: ``a``, ``F``, an op form's ``x``, ``y``, ``mask``...)."""
    pattern = r"\b(" + "|".join(map(re.escape, names)) + r")\b"
    return re.sub(pattern, lambda m: names[m.group(1)], template)


class _Writer:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.lines: list[str] = []
        self.slot = len(program.leaves)
        self.counter = 0

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def steps(self, steps: tuple[Step, ...], indent: int) -> None:
        for item in steps:
            key = str(self.counter)
            self.counter += 1
            write_step(item, self, key, indent)

    def statement(self, item: Step, key: str, indent: int, expr: str, needs: list[str]) -> None:
        """One step as ``step(key, lambda: expr, *needs)``, bound to a new slot if it makes one."""
        call = f"step({key!r}, lambda: {expr}, {', '.join(needs)})"
        if item.produces:
            self.emit(indent, f"t{self.slot} = {call}")
            self.slot += 1
        else:
            self.emit(indent, call)

    def call(self, index: int, call: Call, leaves: list[str]) -> None:
        self.emit(1, f"# call {index}")
        write_call(call, self, index, leaves)
        grads = ", ".join(f"{i}: snapshot({leaf}.grad)" for i, leaf in enumerate(leaves))
        self.emit(1, f"calls[{index}]['grads'] = {{{grads}}}")

    def body(self) -> str:
        program = self.program
        leaves = [f"t{i}" for i in range(len(program.leaves))]
        self.emit(0, "def program():")
        self.emit(1, "calls, retained, packed = {}, [], {}")
        for name, leaf in zip(leaves, program.leaves, strict=True):
            values = leaf_values(leaf).tolist()
            self.emit(
                1,
                f"{name} = torch.tensor({values!r}, dtype=torch.{leaf.dtype}, "
                f"requires_grad={leaf.requires_grad})",
            )
        self.steps(program.steps, 1)
        retained = _retained(program)
        for index, call in enumerate(program.schedule):
            self.call(index, call, leaves)
            if retained:
                pairs = ", ".join(f"{i}: t{i}" for i in retained)
                self.emit(1, "if retained:")
                self.emit(
                    2,
                    f"calls[{index}]['retained'] = "
                    f"{{k: snapshot(v.grad) for k, v in {{{pairs}}}.items() if k in retained}}",
                )
        slots = ", ".join(f"{i}: t{i}" for i in range(self.slot))
        observed = f"{{'slots': {{{slots}}}, 'errors': dict(errors), 'calls': calls}}"
        if _hooks_used(program):
            observed = observed[:-1] + ", 'packed': packed}"
        self.emit(1, f"return {observed}")
        return "\n".join(self.lines) + "\n"


# -- steps: each one's lines --------------------------------------------------------------------


@step_concern
def write_step(item: Step, writer: _Writer, key: str, indent: int) -> None:
    """Emit ``item``'s lines at ``indent``: the interpreter's expression, wrapped in ``step``."""
    raise NotImplementedError  # never run: step_concern dispatches on the step's type


@write_step.register
def _(item: Op, writer: _Writer, key: str, indent: int) -> None:
    spec = OPS[item.op]
    names = {k: f"t{v}" for k, v in zip(spec.names, item.args, strict=True)}
    expr = _expr(spec.program_expr, names)
    writer.statement(item, key, indent, expr, [f"t{a}" for a in item.args])


@write_step.register
def _(item: Const, writer: _Writer, key: str, indent: int) -> None:
    values = const_values(item).tolist()
    expr = f"torch.tensor({values!r}, dtype=torch.{item.dtype})"
    writer.statement(item, key, indent, expr, [])


@write_step.register
def _(item: Detach, writer: _Writer, key: str, indent: int) -> None:
    writer.statement(item, key, indent, f"t{item.arg}.detach()", [f"t{item.arg}"])


@write_step.register
def _(item: Custom, writer: _Writer, key: str, indent: int) -> None:
    arg = f"t{item.arg}"
    expr = _expr(APPLY[item.function], {"F": item.function, "a": arg})
    writer.statement(item, key, indent, expr, [arg])


@write_step.register
def _(item: InPlace, writer: _Writer, key: str, indent: int) -> None:
    arg = f"t{item.arg}"
    writer.statement(item, key, indent, _expr(INPLACE[item.op], {"a": arg}), [arg])


@write_step.register
def _(item: RequiresGrad, writer: _Writer, key: str, indent: int) -> None:
    arg = f"t{item.arg}"
    writer.statement(item, key, indent, f"{arg}.requires_grad_({item.flag})", [arg])


@write_step.register
def _(item: RetainGrad, writer: _Writer, key: str, indent: int) -> None:
    writer.statement(item, key, indent, f"t{item.arg}.retain_grad()", [f"t{item.arg}"])
    writer.emit(indent, f"if {key!r} not in errors and {item.arg} not in retained:")
    writer.emit(indent + 1, f"retained.append({item.arg})")


@write_step.register
def _(item: Hook, writer: _Writer, key: str, indent: int) -> None:
    arg = f"t{item.arg}"
    expr = f"{arg}.register_hook(lambda g: g * {item.scale!r})"
    writer.statement(item, key, indent, expr, [arg])


@write_step.register
def _(item: GradMode, writer: _Writer, key: str, indent: int) -> None:
    writer.emit(indent, f"with torch.{'enable_grad' if item.enabled else 'no_grad'}():")
    if not item.body:
        writer.emit(indent + 1, "pass")
    writer.steps(item.body, indent + 1)


@write_step.register
def _(item: SavedHooks, writer: _Writer, key: str, indent: int) -> None:
    count = f"packs_{key}"
    writer.emit(indent, f"{count} = []")
    hooks = f"{saved_hooks_factory(item.hooks)}({count})"
    writer.emit(indent, f"with torch.autograd.graph.saved_tensors_hooks(*{hooks}):")
    if not item.body:
        writer.emit(indent + 1, "pass")
    writer.steps(item.body, indent + 1)
    writer.emit(indent, f"packed[{key!r}] = len({count})")


# -- calls: each one's lines, ending in ``calls[index]`` ----------------------------------------


@call_concern
def write_call(call: Call, writer: _Writer, index: int, leaves: list[str]) -> None:
    """Emit the lines that make ``call`` and record its result in ``calls[index]``."""
    raise NotImplementedError  # never run: call_concern dispatches on the call's type


@write_call.register
def _(call: ResetGrads, writer: _Writer, index: int, leaves: list[str]) -> None:
    for leaf in leaves:
        if call.mode == "none":
            writer.emit(1, f"{leaf}.grad = None")
        else:
            writer.emit(1, f"if {leaf}.grad is not None:")
            writer.emit(2, f"{leaf}.grad.zero_()")
    writer.emit(1, f"calls[{index}] = {{'result': None}}")


@write_call.register
def _(call: Backward, writer: _Writer, index: int, leaves: list[str]) -> None:
    root = f"t{call.root}"
    chosen = range(len(leaves)) if call.inputs is None else call.inputs
    targets = "[" + ", ".join(f"t{i}" for i in chosen) + "]"
    gradient = "None" if call.weight_seed is None else f"weights({call.weight_seed}, {root}, torch)"
    if call.use_grad:
        text = (
            f"torch.autograd.grad({root}, {targets}, grad_outputs={gradient}, "
            f"retain_graph={call.retain_graph}, create_graph={call.create_graph}, "
            "allow_unused=True)"
        )
    else:
        args = [f"gradient={gradient}", f"create_graph={call.create_graph}"]
        if call.retain_graph is not None:
            args.append(f"retain_graph={call.retain_graph}")
        if call.inputs is not None:
            args.append(f"inputs={targets}")
        text = f"{root}.backward({', '.join(args)})"
    writer.emit(1, f"calls[{index}] = {{'result': capture(lambda: {text})}}")


def _retained(program: Program) -> list[int]:
    found: list[int] = []
    for item, _ in _walk(program):
        if isinstance(item, RetainGrad) and item.arg not in found:
            found.append(item.arg)
    return found


def render(program: Program, title: str = "a generated program") -> str:
    """The reproducer script of ``program``; it prints the observations and exits."""
    used = sorted({s.function for s, _ in _walk(program) if isinstance(s, Custom)})
    hooks = _hooks_used(program)
    doc = f'"""Reproducer for {title}.\n\nProgram (JSON):\n{to_json(program)}\n"""\n'
    parts = [
        doc,
        PRELUDE.strip() + "\n\nimport numpy as np\n",
        REPORT.strip() + "\n",
        inspect.getsource(weights),
        inspect.getsource(snapshot),
        HELPERS.strip() + "\n",
        *(FUNCTIONS[name].strip() + "\n" for name in used),
        *(SAVED_HOOKS[name].strip() + "\n" for name in hooks),
        _Writer(program).body(),
        'if __name__ == "__main__":\n    show("", program())\n',
    ]
    return "\n\n".join(p.strip("\n") + "\n" for p in parts)


def _hooks_used(program: Program) -> list[str]:
    """The saved-tensor hook pairs ``program`` uses, sorted."""
    return sorted({s.hooks for s, _ in _walk(program) if isinstance(s, SavedHooks)})


def _walk(program: Program) -> list[tuple[Step, bool | None]]:
    return walk(program.steps)
