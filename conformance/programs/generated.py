"""Generated programs as harness cases: drawn deterministically from the run seed.

``generate(seed, count)`` draws ``count`` programs with Hypothesis from a fixed seed (generation
phase only, no database), so the same seed always gives the same programs and a case id
``generated/p0042`` names the same program in every process. A failing one is saved as program
JSON plus a reproducer script next to the results file.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings

from conformance.case import REGISTRY, Case
from conformance.inputs import Inputs
from conformance.programs.interpreter import interpret
from conformance.programs.program import Program, hits_quirk, to_json
from conformance.programs.render import render
from conformance.programs.strategies import programs

AREA = "generated"
#: Every generated program by case id, in the process that registered it.
PROGRAMS: dict[str, Program] = {}


@functools.lru_cache(maxsize=4)
def generate(run_seed: int, count: int) -> tuple[Program, ...]:
    """``count`` distinct programs drawn from ``run_seed``; the same for the same arguments."""
    drawn: list[Program] = []
    attempt = 0
    while len(drawn) < count:

        @seed(run_seed * 1000 + attempt)
        @settings(
            max_examples=count - len(drawn),
            database=None,
            phases=[Phase.generate],
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(programs())
        def collect(program: Program) -> None:
            if not hits_quirk(program) and len(drawn) < count:
                drawn.append(program)

        collect()
        attempt += 1
    return tuple(drawn)


def case_id(index: int) -> str:
    return f"{AREA}/p{index:04d}"


def as_case(index: int, program: Program) -> Case:
    """A ``Case`` running ``program`` through the interpreter; its source is the reproducer."""

    def run(torch: Any, make: Inputs) -> Mapping[str, Any]:
        return interpret(program, torch)

    return Case(
        id=case_id(index),
        area=AREA,
        name=f"p{index:04d}",
        tags=("generated",),
        func=run,
        doc=f"Generated autograd program {index} (Hypothesis).",
        source=render(program, f"generated program {index}"),
        module=__name__,
        filename=None,
        lineno=None,
    )


def register_generated(run_seed: int, count: int) -> list[Case]:
    """Register ``count`` generated cases for ``run_seed`` (idempotent) and return them."""
    cases = []
    for index, program in enumerate(generate(run_seed, count)):
        cid = case_id(index)
        if cid not in REGISTRY or PROGRAMS.get(cid) != program:
            REGISTRY[cid] = as_case(index, program)
            PROGRAMS[cid] = program
        cases.append(REGISTRY[cid])
    return cases


def save_failure(case_id_: str, results_path: str | Path) -> Path | None:
    """Write ``<results dir>/generated/<name>.json`` and ``.py`` for a generated case."""
    program = PROGRAMS.get(case_id_)
    if program is None:
        return None
    folder = Path(results_path).parent / AREA
    folder.mkdir(parents=True, exist_ok=True)
    name = case_id_.split("/", 1)[1]
    (folder / f"{name}.json").write_text(to_json(program) + "\n")
    (folder / f"{name}.py").write_text(render(program, case_id_))
    return folder / f"{name}.py"
