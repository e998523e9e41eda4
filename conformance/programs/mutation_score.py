"""Mutation score of generated programs: how many it takes to find each planted bug.

For each planted bug (``conformance.mutations.MUTATIONS``), generated programs ``0..limit-1`` of
a seed run on torch against the broken reference until one fails. A failure counts only when
the unbroken reference passes that program (a divergence both references share is not the
planted bug's doing; such programs are listed as ``skipped``). The finding program is then
shrunk under the bug, with the unbroken reference as control, and the table reports how small
its reproducer got.

``python -m conformance.programs.mutation_score --seed 0 --limit 200 [--json PATH]`` prints
the Markdown table; it exits 1 when some bug was not found.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.backends import Backend
from conformance.mutations import MUTATIONS, Mutation, broken_pair
from conformance.programs.generated import as_case, case_id, draw_program
from conformance.programs.program import to_dict
from conformance.programs.shrink import (
    DEFAULT_MAX_ATTEMPTS,
    failure_predicate,
    program_lines,
    program_size,
    reproducer_lines,
    shrink_report,
)
from conformance.registry import load_backend
from conformance.runner import execute_case

DEFAULT_LIMIT = 200


@dataclass
class MutationScore:
    """What generated programs of one seed did against one planted bug."""

    mutation: str
    description: str
    seed: int
    limit: int
    #: Programs run until the first failure (index + 1), or None when none of ``limit`` failed.
    programs_until_found: int | None = None
    case_id: str | None = None
    reason: str | None = None
    size: int | None = None
    shrunk_size: int | None = None
    shrunk_reason: str | None = None
    reproducer_lines: int | None = None
    #: Lines of the reproducer's ``program()`` function alone.
    program_lines: int | None = None
    #: The shrunk program as ``program.to_dict`` data.
    shrunk_program: dict[str, Any] | None = None
    shrink_attempts: int = 0
    #: Programs that failed under the bug but also fail without it (not counted as finding it).
    skipped: list[str] = field(default_factory=list)
    seconds_to_find: float = 0.0
    seconds_to_shrink: float = 0.0

    @property
    def found(self) -> bool:
        return self.programs_until_found is not None


def score(
    mutation: Mutation,
    seed: int = 0,
    limit: int = DEFAULT_LIMIT,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> MutationScore:
    """Run programs ``0..limit-1`` of ``seed`` against ``mutation`` until one fails; shrink it."""
    pair = broken_pair(mutation)
    control = (pair[0], load_backend("reference"))
    record = MutationScore(mutation.name, mutation.description, seed, limit)
    start = time.perf_counter()
    for index in range(limit):
        program = draw_program(seed, index)
        case = as_case(index, program, seed)
        with mutation.apply():
            result = execute_case(case, pair, seed)
        if result.outcome != "fail":
            continue
        if execute_case(case, control, seed).outcome == "fail":
            record.skipped.append(case.id)
            continue
        record.seconds_to_find = time.perf_counter() - start
        record.programs_until_found = index + 1
        record.case_id = case_id(index)
        record.reason = result.reason
        record.size = program_size(program)
        _shrink_into(record, program, pair, control, mutation, result.reason, max_attempts)
        return record
    record.seconds_to_find = time.perf_counter() - start
    return record


def _shrink_into(
    record: MutationScore,
    program: Any,
    pair: tuple[Backend, Backend],
    control: tuple[Backend, Backend],
    mutation: Mutation,
    reason: str,
    max_attempts: int,
) -> None:
    seed = record.seed
    predicate = failure_predicate(
        pair, seed, "fail", reason, within=mutation.apply, control=control
    )
    shrunk = shrink_report(program, predicate, max_attempts)
    case = dataclasses.replace(as_case(0, shrunk.program, seed), oracle=None)
    with mutation.apply():
        record.shrunk_reason = execute_case(case, pair, seed).reason
    record.seconds_to_shrink = shrunk.seconds
    record.shrink_attempts = shrunk.attempts
    record.shrunk_size = shrunk.size
    record.reproducer_lines = reproducer_lines(shrunk.program)
    record.program_lines = program_lines(shrunk.program)
    record.shrunk_program = to_dict(shrunk.program)


def scores(
    seed: int = 0,
    limit: int = DEFAULT_LIMIT,
    mutations: Sequence[Mutation] = MUTATIONS,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> list[MutationScore]:
    """``score`` for every planted bug."""
    return [score(m, seed, limit, max_attempts) for m in mutations]


def _cell(text: str | None, width: int = 70) -> str:
    text = (text or "").replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(records: Sequence[MutationScore]) -> str:
    """A Markdown table: bug, programs until found, reason, shrunk size, reproducer lines."""
    lines = [
        "| bug | programs until found | reason (shrunk program) "
        "| shrunk size (leaves+steps+calls) | reproducer lines (program body) |",
        "|---|---:|---|---:|---:|",
    ]
    for r in records:
        if not r.found:
            lines.append(f"| {r.mutation} | not found in {r.limit} | | | |")
            continue
        lines.append(
            f"| {r.mutation} | {r.programs_until_found} ({r.case_id}) "
            f"| {_cell(r.shrunk_reason)} | {r.shrunk_size} (from {r.size}) "
            f"| {r.reproducer_lines} ({r.program_lines}) |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.programs.mutation_score",
        description="How many generated programs it takes to find each planted bug.",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT)
    parser.add_argument("--max-attempts", type=int, default=DEFAULT_MAX_ATTEMPTS)
    parser.add_argument("--json", metavar="PATH", help="also write the records as JSON")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    records = scores(args.seed, args.limit, max_attempts=args.max_attempts)
    print(format_table(records))
    print(f"\nseed {args.seed}, limit {args.limit}: {time.perf_counter() - start:.1f} s")
    for r in records:
        if r.skipped:
            print(f"{r.mutation}: skipped (fail without the bug too): {', '.join(r.skipped)}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump([dataclasses.asdict(r) for r in records], handle, indent=1)
            handle.write("\n")
    return 0 if all(r.found for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
