"""Results files made from plain records, so report and gate tests need no backend run."""

from __future__ import annotations

from pathlib import Path

from conformance.compare import ObservationComparison, ValueDiff
from conformance.results import CaseResult, ResultWriter, RunHeader

AREAS = ("alpha", "beta", "gamma")


def header(seed: int = 0) -> RunHeader:
    return RunHeader(
        seed=seed,
        backends=["torch", "reference"],
        versions={"torch": "2.13.0+cpu", "reference": "2.13.0+reference"},
        selection={"cases": "no_such_catalogue"},
        started="2026-01-01T00:00:00+00:00",
    )


def tensor_comparison(name: str, ulp: int, dtype: str = "float32") -> ObservationComparison:
    mismatched = int(ulp > 100)
    side = {"kind": "tensor", "dtype": dtype, "shape": [2], "values": [1.0, 2.0]}
    return ObservationComparison(
        name=name,
        status="mismatch" if mismatched else "match",
        kind="tensor",
        reasons=["values"] if mismatched else [],
        message="Tensor-likes are not close!" if mismatched else "",
        diff=ValueDiff(
            numel=2,
            mismatched=mismatched,
            mismatched_fraction=mismatched / 2,
            rtol=1.3e-6,
            atol=1e-5,
            max_abs_diff=ulp * 1.2e-7,
            max_rel_diff=ulp * 6e-8,
            max_ulp=ulp,
        ),
        baseline=side,
        candidate=side | {"values": [1.0, 2.0 + ulp * 1.2e-7]},
    )


def case(
    case_id: str, outcome: str = "pass", ulp: int = 0, reason: str = "", area: str | None = None
) -> CaseResult:
    area = area or case_id.split("/")[0]
    return CaseResult(
        case_id=case_id,
        area=area,
        name=case_id.split("/", 1)[-1],
        tags=["grad"],
        seed=12345,
        backends=["torch", "reference"],
        outcome=outcome,
        reason=reason,
        message=reason,
        comparisons=[tensor_comparison("x.grad", ulp)],
        durations={"torch": 0.001, "reference": 0.002},
    )


def many(count: int) -> list[CaseResult]:
    """``count`` cases over three areas: every 10th fails, every 25th is unsupported."""
    results = []
    for i in range(count):
        outcome = "fail" if i % 10 == 3 else ("unsupported" if i % 25 == 7 else "pass")
        results.append(
            case(
                f"{AREAS[i % 3]}/case_{i:05d}",
                outcome,
                ulp=(i * 7919) % 300 if outcome != "unsupported" else 0,
                reason=f"x.grad: mismatch (values) #{i}" if outcome == "fail" else "",
            )
        )
    return results


def write_results(path: Path, results: list[CaseResult], seed: int = 0) -> Path:
    with ResultWriter(path) as writer:
        writer.write(header(seed))
        for result in results:
            writer.write(result)
    return path
