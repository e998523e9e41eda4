"""A run against a gate baseline, as the report draws it: how each error moved, and why it counts.

The gate (``conformance.gate``) decides pass or fail; this keeps what it compared so people can
see it: per observation present in both, its ULP distance then and now, and the gate's own
findings (new failures, fixed, grown, improved, missing, new cases) counted by case. Judging is
the gate's, with the same ``GateConfig``, so the report and ``conformance gate`` never disagree.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.gate import (
    FIXED,
    GREW,
    IMPROVED,
    MISSING,
    NEW_CASE,
    NEW_FAILURE,
    REGRESSIONS,
    Finding,
    GateConfig,
    case_entry,
    compare,
    environment_of,
    load_baseline,
)
from conformance.results import CaseResult

#: Finding kinds in the order the report lists their counts.
KINDS = (NEW_FAILURE, GREW, MISSING, FIXED, IMPROVED, NEW_CASE)
#: The error figure plotted, of those the baseline keeps per observation.
METRIC = "max_ulp"


@dataclass
class DeltaPoint:
    """One observation in both baseline and run: its error then and now."""

    case_id: str
    observation: str
    before: float
    after: float
    #: ``grew`` / ``improved`` where the gate says so for this observation, ``new failure``
    #: where the case newly fails, else ``steady``.
    movement: str


@dataclass
class BaselineDelta:
    """Everything the report shows about a run against a baseline."""

    baseline: str
    #: Cases per finding kind (every kind of ``KINDS`` present, even at 0).
    counts: dict[str, int]
    #: The gate's own findings, as ``conformance gate`` reports them.
    findings: list[Finding]
    points: list[DeltaPoint]
    compared: int
    #: The gate's growth factor the findings were judged with.
    factor: float
    #: Why part of the report could not be compared (e.g. no entries for its environment).
    notes: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> int:
        return sum(self.counts.get(k, 0) for k in REGRESSIONS)


def _figure(entry: dict[str, Any] | None) -> float | None:
    if not isinstance(entry, dict) or entry.get(METRIC) is None:
        return None
    value = float(entry[METRIC])  # numbers, or 'nan' / 'inf' as the gate writes them
    return None if math.isnan(value) else value


def _points(
    cases: dict[str, Any], results: Sequence[CaseResult], findings: Sequence[Finding]
) -> list[DeltaPoint]:
    moved = {(f.case_id, f.observation): f.kind for f in findings if f.kind in (GREW, IMPROVED)}
    newly_failing = {f.case_id for f in findings if f.kind == NEW_FAILURE}
    points = []
    for result in results:
        before_case = cases.get(result.case_id)
        if not isinstance(before_case, dict):
            continue
        before_observations = before_case.get("observations", {})
        for name, figures in case_entry(result)["observations"].items():
            before, after = _figure(before_observations.get(name)), _figure(figures)
            if before is None or after is None:
                continue
            movement = moved.get((result.case_id, name), "steady")
            if movement == "steady" and result.case_id in newly_failing:
                movement = NEW_FAILURE
            points.append(DeltaPoint(result.case_id, name, before, after, movement))
    return points


def baseline_delta(
    path: str | os.PathLike[str],
    runs: Sequence[tuple[dict[str, Any], Sequence[CaseResult]]],
    config: GateConfig | None = None,
) -> BaselineDelta:
    """Compare each run (its last header, its case results) with ``path``'s entries for the
    run's environment. A corrupt or foreign baseline raises ``ConformanceInputError``; a run
    whose environment the baseline lacks becomes a note, so the rest of the report still shows.
    """
    baseline = load_baseline(path)
    config = config or GateConfig()
    findings: list[Finding] = []
    points: list[DeltaPoint] = []
    notes: list[str] = []
    compared = 0
    for header, results in runs:
        env = environment_of(header)
        section = baseline["environments"].get(env["fingerprint"])
        if section is None:
            versions = ", ".join(f"{b} {v}" for b, v in env["versions"].items()) or "no backends"
            notes.append(
                f"the baseline has no entries for {versions}, seed {env['seed']} "
                f"(fingerprint {env['fingerprint']}): {len(results)} case(s) not compared"
            )
            continue
        found = compare(section["cases"], results, config)
        findings.extend(found)
        points.extend(_points(section["cases"], results, found))
        compared += len(results)
    counts = {kind: len({f.case_id for f in findings if f.kind == kind}) for kind in KINDS}
    return BaselineDelta(
        baseline=str(path),
        counts=counts,
        findings=findings,
        points=points,
        compared=compared,
        factor=config.factor,
        notes=notes,
    )


def largest_moves(points: Sequence[DeltaPoint], count: int = 10) -> list[DeltaPoint]:
    """The points whose error moved most on a log scale, growths first, then improvements."""

    def shift(point: DeltaPoint) -> float:
        return math.log1p(point.after) - math.log1p(point.before)

    grown = sorted((p for p in points if shift(p) > 0), key=shift, reverse=True)[:count]
    improved = sorted((p for p in points if shift(p) < 0), key=shift)[:count]
    return grown + improved
