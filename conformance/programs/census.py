"""What generated programs exercise, counted in the catalogue's areas.

A program belongs to every area whose semantics it touches (one program with a hook and two
backward calls counts in ``hooks`` and in ``accumulation``), so the shares say how often each
kind of autograd state a run checks, not a partition. ``python -m conformance.programs.census
--seed 0 --count 1000`` prints the table.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence

from conformance.programs.generated import draw_program
from conformance.programs.program import (
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
    step_concern,
    walk,
)

#: Areas in the order of the catalogue, then the schedule features generated programs add.
AREAS = (
    "accumulation",
    "gradient_weights",
    "retain_graph",
    "detach_no_grad",
    "custom_function",
    "hooks",
    "inplace_version",
    "higher_order",
    "requires_grad_toggles",
    "autograd.grad",
    "backward(inputs=)",
    "reset .grad between calls",
)


def areas_of(program: Program) -> set[str]:
    """The areas ``program`` exercises (see the module docstring)."""
    found = set().union(*(step_areas(step, mode) for step, mode in walk(program.steps)))
    found |= set().union(*(call_areas(call) for call in program.schedule))
    backward_calls = [c for c in program.schedule if isinstance(c, Backward)]
    if sum(not c.use_grad for c in backward_calls) >= 2:
        found.add("accumulation")
    if len(backward_calls) >= 2:
        found.add("retain_graph")
    return found


@step_concern
def step_areas(step: Step, mode: bool | None) -> set[str]:
    """The areas one step exercises, run under grad mode ``mode`` (None: outside a region)."""
    raise NotImplementedError  # never run: step_concern dispatches on the step's type


@step_areas.register(Op)
@step_areas.register(Const)
@step_areas.register(GradMode)
def _(step: Step, mode: bool | None) -> set[str]:
    return _under(mode)


@step_areas.register
def _(step: Detach, mode: bool | None) -> set[str]:
    return {"detach_no_grad"}


@step_areas.register
def _(step: Custom, mode: bool | None) -> set[str]:
    return {"custom_function"} | _under(mode)


@step_areas.register(Hook)
@step_areas.register(RetainGrad)
@step_areas.register(SavedHooks)
def _(step: Step, mode: bool | None) -> set[str]:
    return {"hooks"} | _under(mode)


@step_areas.register
def _(step: InPlace, mode: bool | None) -> set[str]:
    return {"inplace_version"} | _under(mode)


@step_areas.register
def _(step: RequiresGrad, mode: bool | None) -> set[str]:
    return {"requires_grad_toggles"} | _under(mode)


def _under(mode: bool | None) -> set[str]:
    """A step inside a no_grad region exercises detach_no_grad."""
    return {"detach_no_grad"} if mode is False else set()


@call_concern
def call_areas(call: Call) -> set[str]:
    """The areas one scheduled call exercises on its own (counts of calls are in ``areas_of``)."""
    raise NotImplementedError  # never run: call_concern dispatches on the call's type


@call_areas.register
def _(call: Backward) -> set[str]:
    features = {
        "gradient_weights": call.weight_seed is not None,
        "retain_graph": bool(call.retain_graph),
        "higher_order": call.create_graph,
        "autograd.grad": call.use_grad,
        "backward(inputs=)": call.inputs is not None and not call.use_grad,
    }
    return {area for area, present in features.items() if present}


@call_areas.register
def _(call: ResetGrads) -> set[str]:
    return {"reset .grad between calls"}


def census(run_seed: int, count: int) -> Counter[str]:
    """How many of programs ``0..count-1`` of ``run_seed`` exercise each area."""
    counts: Counter[str] = Counter()
    for index in range(count):
        counts.update(areas_of(draw_program(run_seed, index)))
    return counts


def op_counts(run_seed: int, count: int) -> Counter[str]:
    """How many ops of each vocabulary form programs ``0..count-1`` of ``run_seed`` hold (a
    form never drawn is a form no run checks in a program)."""
    counts: Counter[str] = Counter()
    for index in range(count):
        program = draw_program(run_seed, index)
        counts.update(step.op for step, _ in walk(program.steps) if isinstance(step, Op))
    return counts


def format_table(counts: Counter[str], count: int) -> str:
    lines = ["| area | programs | share |", "|---|---:|---:|"]
    lines += [f"| {a} | {counts[a]} | {counts[a] / max(count, 1):.0%} |" for a in AREAS]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.programs.census")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args(argv)
    print(format_table(census(args.seed, args.count), args.count))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
