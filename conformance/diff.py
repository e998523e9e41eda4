"""What changed between two recorded runs, case by case: the question of a torch upgrade.

Each run file holds, per case, what both backends were observed to do. ``diff_runs`` rebuilds
those observations (``conformance.replay``) and compares run A's with run B's, side by side
(baseline with baseline, candidate with candidate), within the default tolerances of each
dtype, so a changed value, flag, node name or message is named where it changed, next to the
case's change of outcome.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from conformance.compare import MATCH, compare_observations
from conformance.observe import Observation, TensorObservation, ValueObservation
from conformance.replay import SIDES, side_observations
from conformance.results import CaseResult, read_run
from conformance.tolerances import ToleranceTable, resolve


@dataclass
class ObservationChange:
    """One observation of one side that differs between run A and run B."""

    side: str  #: "baseline" or "candidate" (named by the backend in ``line``)
    name: str
    reasons: list[str]
    message: str


@dataclass
class CaseChange:
    """How one case differs between two runs: ``changed``, ``added`` (only in B) or
    ``removed`` (only in A)."""

    case_id: str
    kind: str
    outcome_before: str | None
    outcome_after: str | None
    observations: list[ObservationChange] = field(default_factory=list)

    def line(self, backends: dict[str, str]) -> str:
        if self.kind != "changed":
            state = self.outcome_after if self.kind == "added" else self.outcome_before
            return f"{self.case_id}: {self.kind} ({state})"
        parts = []
        if self.outcome_before != self.outcome_after:
            parts.append(f"outcome {self.outcome_before} -> {self.outcome_after}")
        for change in self.observations:
            who = backends.get(change.side, change.side)
            parts.append(f"{who} {change.name}: {', '.join(change.reasons)}")
        return f"{self.case_id}: " + "; ".join(parts)


@dataclass
class RunDiff:
    """Every change between run A and run B, and the environments they were recorded in."""

    before: dict[str, Any]
    after: dict[str, Any]
    changes: list[CaseChange]
    compared: int

    def counts(self) -> Counter[str]:
        return Counter(c.kind for c in self.changes)


def _tolerances(observation: Observation, table: ToleranceTable) -> tuple[float, float]:
    if isinstance(observation, TensorObservation):
        return resolve(observation.name, observation.dtype, table)
    if isinstance(observation, ValueObservation) and observation.type_name in ("float", "complex"):
        return resolve(observation.name, "python_float", table)
    return (0.0, 0.0)


def _side_changes(before: CaseResult, after: CaseResult, table: ToleranceTable) -> list[Any]:
    changes = []
    for side in SIDES:
        old = {o.name: o for o in side_observations(before.comparisons, side)}
        new = {o.name: o for o in side_observations(after.comparisons, side)}
        for name in list(old) + [n for n in new if n not in old]:
            reference = old.get(name) or new[name]
            rtol, atol = _tolerances(reference, table)
            found = compare_observations(name, old.get(name), new.get(name), rtol, atol)
            if found.status != MATCH:
                changes.append(ObservationChange(side, name, found.reasons, found.message))
    return changes


def diff_results(
    before: list[CaseResult], after: list[CaseResult], table: ToleranceTable | None = None
) -> tuple[list[CaseChange], int]:
    """Changes from ``before`` to ``after`` (the last record of a case wins), by case id."""
    table = table or ToleranceTable()
    old = {r.case_id: r for r in before}
    new = {r.case_id: r for r in after}
    changes: list[CaseChange] = []
    for case_id in sorted(old.keys() | new.keys()):
        a, b = old.get(case_id), new.get(case_id)
        if a is None or b is None:
            kind = "added" if a is None else "removed"
            changes.append(
                CaseChange(case_id, kind, a and a.outcome, b and b.outcome)  # type: ignore[arg-type]
            )
            continue
        observed = _side_changes(a, b, table)
        if observed or a.outcome != b.outcome:
            changes.append(CaseChange(case_id, "changed", a.outcome, b.outcome, observed))
    return changes, len(old.keys() & new.keys())


def diff_runs(before: str | os.PathLike[str], after: str | os.PathLike[str]) -> RunDiff:
    """The changes between two results files (their last headers name the environments)."""
    headers_a, results_a = read_run(before)
    headers_b, results_b = read_run(after)
    changes, compared = diff_results(results_a, results_b)
    return RunDiff(
        headers_a[-1] if headers_a else {},
        headers_b[-1] if headers_b else {},
        changes,
        compared,
    )


def _environment(header: dict[str, Any]) -> str:
    versions = header.get("versions", {})
    return ", ".join(f"{b} {versions.get(b) or '?'}" for b in header.get("backends", []))


def diff_lines(found: RunDiff, verbose: bool = False) -> list[str]:
    """The report ``conformance diff`` prints: environments, one line per change, a count."""
    backends = {
        side: found.after.get("backends", ["baseline", "candidate"])[i]
        for i, side in enumerate(SIDES)
    }
    lines = [f"A: {_environment(found.before)}", f"B: {_environment(found.after)}"]
    for change in found.changes:
        lines.append(change.line(backends))
        if verbose:
            for observation in change.observations:
                lines.append("    " + observation.message.replace("\n", "\n    "))
    counts = found.counts()
    lines.append(
        f"diff: {found.compared} case(s) in both runs, {counts['changed']} changed, "
        f"{counts['added']} only in B, {counts['removed']} only in A"
    )
    return lines
