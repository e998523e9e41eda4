"""A finite-difference third opinion on a program's first backward call.

When torch and the reference disagree on a gradient, central differences in float64 on the
reference say which side is right. A program qualifies when its first call's gradient is the
plain derivative of ``sum(root * weights)``: no detach, grad-mode region, requires_grad toggle,
hook or planted-mistake Function (each of these makes autograd differ from the math on purpose),
and the first call is a backward/grad over all leaves. Each grad-requiring leaf gets a
``FiniteDifferenceCheck``: baseline vs estimate, candidate vs estimate, baseline vs candidate.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from conformance.programs.interpreter import cached_weights
from conformance.programs.program import (
    OPS,
    PLANTED,
    Backward,
    Const,
    Custom,
    Detach,
    GradMode,
    Hook,
    InPlace,
    Op,
    Program,
    RequiresGrad,
    RetainGrad,
    SavedHooks,
    Step,
    step_concern,
    walk,
)
from conformance.results import FiniteDifferenceCheck

STEP = 1e-6
#: Relative error against the estimate above which a side is called wrong.
WRONG_SIDE_TOL = 1e-3


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
    return all(keeps_derivative(step) for step, _ in walk(program.steps))


@step_concern
def keeps_derivative(step: Step) -> bool:
    """Whether autograd through ``step`` follows the mathematical derivative."""
    raise NotImplementedError  # never run: step_concern dispatches on the step's type


@keeps_derivative.register
def _(step: Op) -> bool:
    return OPS[step.op].smooth  # a kink, tie or argmax choice is not the plain derivative


@keeps_derivative.register(Const)
@keeps_derivative.register(InPlace)
@keeps_derivative.register(RetainGrad)
@keeps_derivative.register(SavedHooks)  # every pair in SAVED_HOOKS hands back the same values
def _(step: Step) -> bool:
    return True


@keeps_derivative.register
def _(step: Custom) -> bool:
    return step.function not in PLANTED  # a planted mistake is rejected, not differentiated


@keeps_derivative.register(Detach)
@keeps_derivative.register(GradMode)
@keeps_derivative.register(Hook)
@keeps_derivative.register(RequiresGrad)
def _(step: Step) -> bool:
    return False  # each makes autograd differ from the math on purpose


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
    w = 1.0 if call.weight_seed is None else cached_weights(call.weight_seed, root, reference)
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


def _gradient_name(call: Backward, leaf: int) -> str:
    """The observation that holds leaf ``leaf``'s gradient after the first call."""
    return f"calls.0.result.{leaf}" if call.use_grad else f"calls.0.grads.{leaf}.value"


def _values(run: Any, name: str) -> np.ndarray | None:
    for observation in run.observations:
        if observation.name == name:
            return getattr(observation, "values", None)
    return None


def _error(values: np.ndarray | None, estimate: np.ndarray) -> float | None:
    return None if values is None else relative_error(values, estimate)


def opinions(
    program: Program, baseline: Any, candidate: Any, tol: float = WRONG_SIDE_TOL
) -> list[FiniteDifferenceCheck]:
    """The finite-difference check of every leaf gradient of the first call, judged against
    the two backends' runs (``BackendRun``s); empty when the program is not differentiable.

    A side is called wrong when its error against the estimate exceeds ``tol``.
    """
    if not differentiable(program):
        return []
    import reference_impl

    call = program.schedule[0]
    assert isinstance(call, Backward)
    try:
        estimates = finite_differences(_first_call_only(program), reference_impl)
    except Exception:  # noqa: BLE001 - a program whose forward fails has no FD opinion
        return []
    checks = []
    for leaf, estimate in estimates.items():
        name = _gradient_name(call, leaf)
        left, right = _values(baseline, name), _values(candidate, name)
        baseline_error, candidate_error = _error(left, estimate), _error(right, estimate)
        wrong = [
            side
            for side, error in (("baseline", baseline_error), ("candidate", candidate_error))
            if error is not None and error > tol
        ]
        checks.append(
            FiniteDifferenceCheck(
                name=name,
                estimate=estimate.tolist(),
                baseline_error=baseline_error,
                candidate_error=candidate_error,
                pair_error=None if left is None or right is None else relative_error(left, right),
                wrong_side="both" if len(wrong) == 2 else (wrong[0] if wrong else None),
            )
        )
    return checks
