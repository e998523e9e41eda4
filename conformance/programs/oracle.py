"""A finite-difference third opinion on a program's first backward call.

When torch and the reference disagree on a gradient, central differences in float64 on the
reference say which side is right. A program qualifies when its first call's gradient is the
plain derivative of ``sum(root * weights)``: no detach, grad-mode region, requires_grad toggle,
hook or planted-mistake Function (each of these makes autograd differ from the math on purpose),
and the first call is a backward/grad over all leaves. Each leaf that gets a gradient gets three
errors: torch vs reference, reference vs FD, torch vs FD (max relative error).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from conformance.programs.interpreter import interpret, weights
from conformance.programs.program import (
    PLANTED,
    Backward,
    Custom,
    Detach,
    GradMode,
    Hook,
    Leaf,
    Program,
    RequiresGrad,
    walk,
)

STEP = 1e-6


@dataclass(frozen=True)
class Opinion:
    """The three errors of one observed gradient (None where a side has no value)."""

    name: str
    torch_vs_reference: float | None
    reference_vs_fd: float | None
    torch_vs_fd: float | None

    def wrong_side(self, tol: float = 1e-3) -> str | None:
        """Which side FD contradicts: 'torch', 'reference', 'both', or None."""
        torch_bad = self.torch_vs_fd is not None and self.torch_vs_fd > tol
        ref_bad = self.reference_vs_fd is not None and self.reference_vs_fd > tol
        if torch_bad and ref_bad:
            return "both"
        return "torch" if torch_bad else "reference" if ref_bad else None


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(1, max |b|); inf when shapes differ or only one side is finite."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return 0.0 if np.array_equal(a, b, equal_nan=True) else float("inf")
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


def differentiable(program: Program) -> bool:
    """Whether the first call's gradients are the mathematical derivative (see module doc)."""
    if not program.schedule or not isinstance(program.schedule[0], Backward):
        return False
    first = program.schedule[0]
    if first.inputs is not None or not any(leaf.requires_grad for leaf in program.leaves):
        return False
    for step, _ in walk(program.steps):
        if isinstance(step, Detach | GradMode | Hook | RequiresGrad):
            return False
        if isinstance(step, Custom) and step.function in PLANTED:
            return False
    return True


def _first_call_only(program: Program) -> Program:
    return replace(program, schedule=program.schedule[:1])


def _root_value(program: Program, values: list[np.ndarray], reference: Any) -> float:
    """sum(root * weights) in float64 with the leaves set to ``values``."""
    from conformance.programs.interpreter import _Run

    call = program.schedule[0]
    assert isinstance(call, Backward)
    run = _Run(program, reference)
    for value in values:
        run.slots.append(reference.tensor(value.tolist(), dtype=reference.float64))
    with reference.no_grad():
        run.run_steps(program.steps)
    root = run.slots[call.root]
    if root is None:
        raise ValueError("the root was not made")
    root = root.double()
    w = 1.0 if call.weight_seed is None else weights(call.weight_seed, root, reference)
    return float((root * w).sum().item())


def finite_differences(program: Program, reference: Any) -> dict[int, np.ndarray]:
    """Central-difference gradient of every grad-requiring leaf, float64, on ``reference``."""
    from conformance.programs.program import leaf_values

    base = [leaf_values(leaf) for leaf in program.leaves]
    grads: dict[int, np.ndarray] = {}
    for index, leaf in enumerate(program.leaves):
        if not leaf.requires_grad:
            continue
        grad = np.zeros(leaf.shape)
        for position in np.ndindex(*leaf.shape):
            values = []
            for sign in (1.0, -1.0):
                moved = [v.copy() for v in base]
                moved[index][position] += sign * STEP
                values.append(_root_value(program, moved, reference))
            grad[position] = (values[0] - values[1]) / (2 * STEP)
        grads[index] = grad
    return grads


def _grads(observed: dict[str, Any], leaves: tuple[Leaf, ...], use_grad: bool) -> dict[int, Any]:
    call = observed["calls"][0]
    if use_grad:
        result = call["result"]
        if not isinstance(result, tuple):
            return {}
        return {i: g for i, g in enumerate(result) if g is not None}
    return {i: s["value"] for i, s in call["grads"].items() if s is not None}


def third_opinion(program: Program, torch: Any, reference: Any) -> list[Opinion] | None:
    """Per leaf gradient of the first call, the three errors; None when not differentiable."""
    if not differentiable(program):
        return None
    first = _first_call_only(program)
    call = first.schedule[0]
    assert isinstance(call, Backward)
    try:
        fd = finite_differences(first, reference)
    except Exception:  # noqa: BLE001 - a program whose forward fails has no FD opinion
        return None
    sides = [
        _grads(interpret(first, module), first.leaves, call.use_grad)
        for module in (torch, reference)
    ]
    numpy = [{i: g.detach().cpu().numpy() for i, g in side.items()} for side in sides]
    opinions = []
    for index, estimate in fd.items():
        t, r = numpy[0].get(index), numpy[1].get(index)
        opinions.append(
            Opinion(
                name=f"calls.0.grads.{index}",
                torch_vs_reference=None if t is None or r is None else relative_error(t, r),
                reference_vs_fd=None if r is None else relative_error(r, estimate),
                torch_vs_fd=None if t is None else relative_error(t, estimate),
            )
        )
    return opinions
