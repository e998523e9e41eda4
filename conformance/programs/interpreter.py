"""Running a program on any torch-like module, returning the observations a case returns.

Every step runs under ``capture``: an error is recorded (``steps.<n>``) and the slot it would have
produced stays empty, so later steps that need it are skipped identically on both backends. After
each scheduled call, every leaf's ``.grad`` (and every retained grad) is snapshotted, because
later calls accumulate into the same objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from conformance.capture import Raised, capture
from conformance.expressions import call_expression
from conformance.programs.program import (
    APPLY,
    FUNCTIONS,
    INPLACE,
    OPS,
    Backward,
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
    Step,
    leaf_values,
)

_CLASSES: dict[tuple[int, str], Any] = {}


def weights(seed: int, like: Any, torch: Any) -> Any:
    """The ``gradient=`` weights for ``like``: uniform in [-1, 1], two decimals, its dtype."""
    values = np.round(np.random.default_rng(seed).uniform(-1.0, 1.0, tuple(like.shape)), 2)
    return torch.tensor(values.tolist(), dtype=like.dtype)


def snapshot(tensor: Any) -> Any:
    """A grad as it is now: a detached copy and its grad_fn name (None when there is none)."""
    if tensor is None:
        return None
    grad_fn = tensor.grad_fn
    return {
        "value": tensor.detach().clone(),
        "grad_fn": None if grad_fn is None else type(grad_fn).__name__,
    }


def evaluate(expr: str, namespace: dict[str, Any]) -> Any:
    """Evaluate one table expression as a function call (traceable by a compiler)."""
    return call_expression(expr, namespace)


def function_class(torch: Any, name: str) -> Any:
    """The custom Function ``name`` defined against ``torch`` (once per module)."""
    key = (id(torch), name)
    if key not in _CLASSES:
        namespace: dict[str, Any] = {"torch": torch}
        exec(FUNCTIONS[name], namespace)  # noqa: S102 - source from the fixed table
        _CLASSES[key] = namespace[name]
    return _CLASSES[key]


class _Run:
    def __init__(self, program: Program, torch: Any) -> None:
        self.program = program
        self.torch = torch
        self.slots: list[Any] = []
        self.errors: dict[str, Raised] = {}
        self.retained: list[int] = []
        self.counter = 0

    def step(self, key: str, fn: Callable[[], Any], *needs: int) -> Any:
        if any(self.slots[n] is None for n in needs):
            self.errors[key] = Raised("Skipped", "an input of this step was not made")
            return None
        value = capture(fn)
        if isinstance(value, Raised):
            self.errors[key] = value
            return None
        return value

    def run_steps(self, steps: tuple[Step, ...]) -> None:
        torch = self.torch
        for step in steps:
            key = str(self.counter)
            self.counter += 1
            if isinstance(step, GradMode):
                mode = torch.enable_grad() if step.enabled else torch.no_grad()
                with mode:
                    self.run_steps(step.body)
                continue
            value = self.one(key, step)
            if step.produces:
                self.slots.append(value)

    def one(self, key: str, step: Step) -> Any:
        torch, slots = self.torch, self.slots
        if isinstance(step, Op):
            spec = OPS[step.op]
            names = dict(zip("ab", step.args, strict=False))
            return self.step(
                key,
                lambda: evaluate(
                    spec.expr, {"torch": torch, **{k: slots[v] for k, v in names.items()}}
                ),
                *step.args,
            )
        if isinstance(step, Detach):
            return self.step(key, lambda: slots[step.arg].detach(), step.arg)
        if isinstance(step, Custom):
            cls = function_class(torch, step.function)
            return self.step(
                key,
                lambda: evaluate(APPLY[step.function], {"F": cls, "a": slots[step.arg]}),
                step.arg,
            )
        if isinstance(step, InPlace):
            expr = INPLACE[step.op]
            return self.step(key, lambda: evaluate(expr, {"a": slots[step.arg]}), step.arg)
        if isinstance(step, RequiresGrad):
            return self.step(key, lambda: slots[step.arg].requires_grad_(step.flag), step.arg)
        if isinstance(step, RetainGrad):
            done = self.step(key, lambda: slots[step.arg].retain_grad(), step.arg)
            if key not in self.errors and step.arg not in self.retained:
                self.retained.append(step.arg)
            return done
        if isinstance(step, Hook):
            scale = step.scale
            return self.step(
                key, lambda: slots[step.arg].register_hook(lambda g: g * scale), step.arg
            )
        raise TypeError(f"unknown step {step!r}")

    def call(self, call: Backward | ResetGrads) -> dict[str, Any]:
        torch = self.torch
        leaves = self.slots[: len(self.program.leaves)]
        if isinstance(call, ResetGrads):
            for leaf in leaves:
                if call.mode == "none":
                    leaf.grad = None
                elif leaf.grad is not None:
                    leaf.grad.zero_()
            return {"result": None}
        root = self.slots[call.root]
        if root is None:
            return {"result": Raised("Skipped", "the root of this call was not made")}

        def go() -> Any:
            gradient = None if call.weight_seed is None else weights(call.weight_seed, root, torch)
            chosen = list(range(len(leaves))) if call.inputs is None else list(call.inputs)
            targets = [self.slots[i] for i in chosen]
            if call.use_grad:
                return torch.autograd.grad(
                    root,
                    targets,
                    grad_outputs=gradient,
                    retain_graph=call.retain_graph,
                    create_graph=call.create_graph,
                    allow_unused=True,
                )
            kwargs: dict[str, Any] = {"gradient": gradient, "create_graph": call.create_graph}
            if call.retain_graph is not None:
                kwargs["retain_graph"] = call.retain_graph
            if call.inputs is not None:
                kwargs["inputs"] = targets
            root.backward(**kwargs)
            return None

        return {"result": capture(go)}

    def observations(self) -> dict[str, Any]:
        torch = self.torch
        for leaf in self.program.leaves:
            values = leaf_values(leaf)
            dtype = getattr(torch, leaf.dtype)
            self.slots.append(
                torch.tensor(values.tolist(), dtype=dtype, requires_grad=leaf.requires_grad)
            )
        self.run_steps(self.program.steps)
        calls: dict[int, Any] = {}
        for index, call in enumerate(self.program.schedule):
            record = self.call(call)
            record["grads"] = {
                i: snapshot(self.slots[i].grad) for i in range(len(self.program.leaves))
            }
            if self.retained:
                record["retained"] = {i: snapshot(self.slots[i].grad) for i in self.retained}
            calls[index] = record
        return {
            "slots": dict(enumerate(self.slots)),
            "errors": dict(self.errors),
            "calls": calls,
        }


def interpret(program: Program, torch: Any) -> dict[str, Any]:
    """Run ``program`` on the torch-like module ``torch``; never raises for the program's sake.

    Returns ``{"slots": {n: tensor or None}, "errors": {step: Raised}, "calls": {i: {"result":
    None | Raised | tuple of grads, "grads": {leaf: {"value", "grad_fn"} or None},
    "retained": {...}}}}``. Grad mode is restored afterwards.
    """
    with torch.enable_grad():
        return _Run(program, torch).observations()
