"""Results files made from plain records, so report and gate tests need no backend run."""

from __future__ import annotations

from pathlib import Path

from conformance.compare import ObservationComparison, ValueDiff
from conformance.results import CaseResult, FiniteDifferenceCheck, ResultWriter, RunHeader

AREAS = ("alpha", "beta", "gamma")


PAIR = ["torch", "reference"]


def header(seed: int = 0, backends: list[str] | None = None) -> RunHeader:
    backends = backends or PAIR
    return RunHeader(
        seed=seed,
        backends=list(backends),
        versions={b: {"torch": "2.13.0+cpu"}.get(b, f"2.13.0+{b}") for b in backends},
        selection={"cases": "no_such_catalogue"},
        started="2026-01-01T00:00:00+00:00",
    )


def tensor_comparison(
    name: str, ulp: int, dtype: str = "float32", ratio: float | None = None
) -> ObservationComparison:
    """A float tensor observation ``ulp`` ULPs off; ``ratio``: its tolerance ratio (default:
    what the differences give against rtol/atol)."""
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
            max_tolerance_ratio=ratio if ratio is not None else ulp * 1.2e-7 / (1e-5 + 2.6e-6),
        ),
        baseline=side,
        candidate=side | {"values": [1.0, 2.0 + ulp * 1.2e-7]},
    )


def finite_difference(
    name: str = "x.grad", wrong_side: str | None = None, error: float = 1e-9
) -> FiniteDifferenceCheck:
    """A finite-difference opinion on ``name``; the side(s) it calls wrong are 0.5 off."""
    off = {"baseline": (0.5, error), "candidate": (error, 0.5), "both": (0.5, 0.5)}
    baseline_error, candidate_error = off.get(wrong_side or "", (error, error))
    return FiniteDifferenceCheck(
        name=name,
        estimate=[1.0, 2.0],
        baseline_error=baseline_error,
        candidate_error=candidate_error,
        pair_error=abs(baseline_error - candidate_error),
        wrong_side=wrong_side,
    )


def case(
    case_id: str,
    outcome: str = "pass",
    ulp: int = 0,
    reason: str = "",
    area: str | None = None,
    backends: list[str] | None = None,
) -> CaseResult:
    area = area or case_id.split("/")[0]
    return CaseResult(
        case_id=case_id,
        area=area,
        name=case_id.split("/", 1)[-1],
        tags=["grad"],
        seed=12345,
        backends=list(backends or PAIR),
        outcome=outcome,
        reason=reason,
        message=reason,
        comparisons=[tensor_comparison("x.grad", ulp)],
        durations={"torch": 0.001, "reference": 0.002},
    )


def many(count: int) -> list[CaseResult]:
    """``count`` cases over three areas: every 10th fails, every 25th is unsupported; every
    25th has a finite-difference check, which calls the candidate wrong when the case fails."""
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
        if i % 25 == 3:
            wrong = "candidate" if outcome == "fail" else None
            results[-1].finite_differences = [finite_difference("x.grad", wrong)]
    return results


def write_results(
    path: Path, results: list[CaseResult], seed: int = 0, backends: list[str] | None = None
) -> Path:
    with ResultWriter(path) as writer:
        writer.write(header(seed, backends))
        for result in results:
            writer.write(result)
    return path
