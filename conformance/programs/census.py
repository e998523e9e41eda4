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
    Custom,
    Detach,
    Hook,
    InPlace,
    Program,
    RequiresGrad,
    ResetGrads,
    RetainGrad,
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
    walked = walk(program.steps)  # regions flattened, each step with the grad mode around it
    steps = [step for step, _ in walked]
    calls = [c for c in program.schedule if isinstance(c, Backward)]
    found = set()
    if sum(not c.use_grad for c in calls) >= 2:
        found.add("accumulation")
    if any(c.weight_seed is not None for c in calls):
        found.add("gradient_weights")
    if len(calls) >= 2 or any(c.retain_graph for c in calls):
        found.add("retain_graph")
    if any(isinstance(s, Detach) or mode is False for s, mode in walked):
        found.add("detach_no_grad")
    checks = {
        "custom_function": Custom,
        "hooks": Hook | RetainGrad,
        "inplace_version": InPlace,
        "requires_grad_toggles": RequiresGrad,
    }
    found |= {area for area, kind in checks.items() if any(isinstance(s, kind) for s in steps)}
    if any(c.create_graph for c in calls):
        found.add("higher_order")
    if any(c.use_grad for c in calls):
        found.add("autograd.grad")
    if any(c.inputs is not None and not c.use_grad for c in calls):
        found.add("backward(inputs=)")
    if any(isinstance(c, ResetGrads) for c in program.schedule):
        found.add("reset .grad between calls")
    return found


def census(run_seed: int, count: int) -> Counter[str]:
    """How many of programs ``0..count-1`` of ``run_seed`` exercise each area."""
    counts: Counter[str] = Counter()
    for index in range(count):
        counts.update(areas_of(draw_program(run_seed, index)))
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
