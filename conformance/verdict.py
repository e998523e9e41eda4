"""A case's outcome from its two runs: pass, fail (with the reason), unsupported, error or crash.

``error`` means the harness itself failed or the case is broken (an exception escaped its body
on the baseline, which is the reference, or on both sides); ``unsupported`` that the candidate
lacks what the case needs (``NotImplementedError``, a missing module or tensor attribute, an
unexpected keyword) where the baseline did not; ``fail`` that some observation or expectation
differs; ``crash`` that a backend killed its process. Every non-pass outcome names the facets
that differed (``conformance.facets``); differences only in facets the pair's comparison policy
ignores are recorded as ``ignored``, never dropped. The failure message lists each differing
observation in assert_close style.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from conformance.case import Case
from conformance.compare import (
    EXTRA,
    IGNORED,
    MATCH,
    MISMATCH,
    MISSING,
    ObservationComparison,
    compare_observations,
)
from conformance.facets import (
    CRASH,
    ERROR,
    GRAPH,
    UNSUPPORTED,
    VALUES,
    facets_of_difference,
    is_graph_name,
    ordered,
)
from conformance.observe import (
    RAISED_NAME,
    Observation,
    RaisedObservation,
    TensorObservation,
    ValueObservation,
)
from conformance.policies import STRICT, ComparisonPolicy
from conformance.tolerances import ToleranceTable, resolve


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNSUPPORTED = "unsupported"
    ERROR = "error"
    CRASH = "crash"
    #: A failure or crash whose every differing facet a reviewed known-differences list names
    #: (``conformance.known``): reported, but not a failure of the run.
    KNOWN = "known"


@dataclass
class ExpectationCheck:
    """One ``expect`` entry checked against one backend's observation."""

    backend: str
    name: str
    ok: bool
    detail: str = ""


@dataclass
class BackendRun:
    """What one backend produced for a case (observations are not serialised)."""

    backend: str
    observations: list[Observation] = field(default_factory=list)
    duration: float = 0.0
    #: What the backend measured about this run (``Backend.run_stats``).
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class Verdict:
    outcome: Outcome
    reason: str
    message: str
    comparisons: list[ObservationComparison]
    expectations: list[ExpectationCheck]
    #: Facets that differed (``conformance.facets``), in table order.
    facets: list[str] = field(default_factory=list)
    #: Facets that differed only where the comparison policy ignores them.
    ignored: list[str] = field(default_factory=list)


_MISSING_ATTRIBUTE = re.compile(r"^(module '[\w.]+'|'\w+' object) has no attribute '\w+'")
_MISSING_KEYWORD = re.compile(r"got an unexpected keyword argument '\w+'")


def lacks_feature(observation: Observation | None) -> bool:
    """Whether an observation says its backend lacks a feature rather than behaving differently:
    ``NotImplementedError``, a missing module or object attribute, an unexpected keyword."""
    if not isinstance(observation, RaisedObservation):
        return False
    if observation.not_implemented or observation.type_name == "NotImplementedError":
        return True
    if observation.type_name == "AttributeError":
        return bool(_MISSING_ATTRIBUTE.match(observation.message))
    return observation.type_name == "TypeError" and bool(
        _MISSING_KEYWORD.search(observation.message)
    )


def _same_raise(a: Observation | None, b: Observation | None) -> bool:
    return (
        isinstance(a, RaisedObservation)
        and isinstance(b, RaisedObservation)
        and a.type_name == b.type_name
    )


def _unsupported(
    baseline: Mapping[str, Observation], candidate: Mapping[str, Observation]
) -> str | None:
    for runs, other, side in (
        (candidate, baseline, "candidate"),
        (baseline, candidate, "baseline"),
    ):
        for name, observation in runs.items():
            if lacks_feature(observation) and not _same_raise(observation, other.get(name)):
                assert isinstance(observation, RaisedObservation)
                first = observation.message.splitlines()[0] if observation.message else ""
                return f"{side} lacks a feature ({name}): {observation.type_name}: {first}"
    return None


def _first_line(observation: RaisedObservation) -> str:
    return f"{observation.type_name}: {(observation.message.splitlines() or [''])[0]}"


def broken_case(baseline: BackendRun, candidate: BackendRun) -> Verdict | None:
    """The verdict on a case whose body let an exception escape where it may not.

    The baseline is the reference: an exception escaping the case body there is a bug of the
    case (a typo such as ``make.tensorr``, a ``KeyError``), whatever the candidate did, and so is
    a missing attribute or keyword on both sides. Errors a case expects are captured
    (``capture``) and compared as observations instead.
    """
    return _broken_case(baseline, _by_name(baseline), _by_name(candidate))


def _by_name(run: BackendRun) -> dict[str, Observation]:
    return {o.name: o for o in run.observations}


def _broken_case(
    baseline: BackendRun, left: Mapping[str, Observation], right: Mapping[str, Observation]
) -> Verdict | None:
    """``broken_case`` given each side's observations by name."""
    escaped = left.get(RAISED_NAME)
    if isinstance(escaped, RaisedObservation):
        where = f"\n{escaped.traceback}" if escaped.traceback else ""
        reason = f"broken case: {_first_line(escaped)} escaped the case body on {baseline.backend}"
        return harness_error(reason, reason + where)
    for name, observation in left.items():
        if (
            isinstance(observation, RaisedObservation)
            and observation.type_name in ("AttributeError", "TypeError")
            and lacks_feature(observation)
            and _same_raise(observation, right.get(name))
        ):
            reason = f"broken case: {name} raised {_first_line(observation)} on both backends"
            return harness_error(reason)
    return None


def _tolerances(
    case: Case,
    observation: Observation,
    table: ToleranceTable,
    known: dict[str, tuple[float, float]] | None = None,
) -> tuple[float, float]:
    """(rtol, atol) for ``observation``; ``known`` keeps them by dtype for a case whose
    tolerances do not depend on the observation's name (one table lookup per dtype)."""
    if isinstance(observation, TensorObservation):
        dtype = observation.dtype
    elif isinstance(observation, ValueObservation) and observation.type_name in (
        "float",
        "complex",
    ):
        dtype = "python_float"
    else:
        return (0.0, 0.0)
    if known is None:
        return resolve(observation.name, dtype, table, case.rtol, case.atol)
    found = known.get(dtype)
    if found is None:
        found = known[dtype] = resolve(observation.name, dtype, table, case.rtol, case.atol)
    return found


def check_expectation(
    backend: str, name: str, expected: Any, observation: Observation | None, atol: float
) -> ExpectationCheck:
    """Check one plain expected value (numbers, nested lists, str, bool, None) on one backend.

    Tensors and floats match within ``atol``; a string expected for a raised exception matches
    its type name or a part of its message.
    """
    if observation is None:
        return ExpectationCheck(backend, name, False, "no such observation")
    if isinstance(observation, RaisedObservation):
        if isinstance(expected, str) and (
            expected == observation.type_name or expected in observation.message
        ):
            return ExpectationCheck(backend, name, True)
        return ExpectationCheck(
            backend,
            name,
            False,
            f"expected {expected!r}, raised {observation.type_name}: {observation.message}",
        )
    if isinstance(observation, TensorObservation):
        actual: Any = observation.values
    elif isinstance(observation, ValueObservation):
        actual = observation.value
    else:
        return ExpectationCheck(backend, name, False, f"unreadable: {observation.error}")
    ok = _matches(expected, actual, atol)
    detail = "" if ok else f"expected {expected!r}, got {_show(actual)}"
    return ExpectationCheck(backend, name, ok, detail)


def _show(value: Any) -> str:
    return repr(value.tolist()) if isinstance(value, np.ndarray) else repr(value)


def _matches(expected: Any, actual: Any, atol: float) -> bool:
    if expected is None or isinstance(expected, str) or isinstance(actual, str):
        return bool(expected == actual)
    if isinstance(expected, bool) and not isinstance(actual, np.ndarray):
        return isinstance(actual, bool) and actual == expected
    try:
        want = np.asarray(expected, dtype=np.float64)
        got = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return bool(expected == actual)
    if want.shape != got.shape and want.size != 1:
        return False
    both_nan = np.isnan(want) & np.isnan(got)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.abs(got - want) <= atol
    same_inf = np.isinf(want) & (want == got)
    return bool(np.all(both_nan | close | same_inf))


def judge(
    case: Case,
    baseline: BackendRun,
    candidate: BackendRun,
    table: ToleranceTable | None = None,
    policy: ComparisonPolicy = STRICT,
) -> Verdict:
    """Compare two runs of ``case`` under the pair's ``policy`` and decide its outcome: a broken
    case, a missing feature, a pass, or a failure naming what differed."""
    left, right = _by_name(baseline), _by_name(candidate)  # each side's observations by name
    broken = _broken_case(baseline, left, right)
    if broken is not None:
        return broken
    comparisons = _compare_all(case, left, right, table or ToleranceTable(), policy)
    expectations = _check_expectations(case, (baseline.backend, left), (candidate.backend, right))
    unmet, waived = _unmet(expectations, policy, candidate.backend)
    ignored = ordered(
        [f for c in comparisons if c.status != MATCH for f in _facets(c) if f in policy.ignore]
        + ([GRAPH] if waived else [])
    )
    unsupported = _unsupported(left, right)
    if unsupported is not None:
        return Verdict(
            Outcome.UNSUPPORTED, unsupported, "", comparisons, expectations, [UNSUPPORTED], ignored
        )
    differing = [c for c in comparisons if c.status not in (MATCH, IGNORED)]
    if not differing and not unmet:
        return Verdict(Outcome.PASS, "", "", comparisons, expectations, [], ignored)
    reasons, facets = _failure_reasons(differing, unmet, baseline, candidate, policy)
    message = failure_message(differing, unmet, baseline.backend, candidate.backend)
    return Verdict(
        Outcome.FAIL, "; ".join(reasons), message, comparisons, expectations, facets, ignored
    )


def _check_expectations(
    case: Case, *sides: tuple[str, Mapping[str, Observation]]
) -> list[ExpectationCheck]:
    """Every ``expect`` entry of the case, checked on each backend (name, observations by
    name) separately."""
    return [
        check_expectation(backend, name, expected, observations.get(name), case.expect_atol)
        for backend, observations in sides
        for name, expected in (case.expect or {}).items()
    ]


def _unmet(
    expectations: list[ExpectationCheck], policy: ComparisonPolicy, candidate: str
) -> tuple[list[ExpectationCheck], list[ExpectationCheck]]:
    """Unmet expectations, and those the policy waives: a node name ('MulBackward0') the
    candidate was expected to show is graph structure, which a policy may ignore."""
    unmet = [e for e in expectations if not e.ok]
    if GRAPH not in policy.ignore:
        return unmet, []
    waived = [e for e in unmet if e.backend == candidate and is_graph_name(e.name)]
    return [e for e in unmet if e not in waived], waived


def _failure_reasons(
    differing: list[ObservationComparison],
    unmet: list[ExpectationCheck],
    baseline: BackendRun,
    candidate: BackendRun,
    policy: ComparisonPolicy,
) -> tuple[list[str], list[str]]:
    """The reason clauses of a failure and the facets it is about. When only one side raised
    from the case body, that is the reason: what else differs follows from it stopping early."""
    facets = ordered(
        [f for c in differing for f in _facets(c) if f not in policy.ignore]
        + ([VALUES] if unmet else [])
    )
    reasons = [f"{c.name}: {c.status} ({', '.join(c.reasons)})" for c in differing]
    raised = next(
        (c for c in differing if c.name == RAISED_NAME and c.status in (MISSING, EXTRA)), None
    )
    if raised is not None:
        side, summary = (
            (candidate.backend, raised.candidate)
            if raised.status == EXTRA
            else (baseline.backend, raised.baseline)
        )
        assert summary is not None
        first = (summary.get("message") or "").splitlines()[:1]
        reasons = [f"only {side} raised {summary.get('type')}: {''.join(first)}"]
        facets = [ERROR]
        if len(differing) > 1:
            reasons.append(f"{len(differing) - 1} other observation(s) differ as a result")
    return reasons + [f"expect {e.name} on {e.backend}" for e in unmet], facets


def _facets(comparison: ObservationComparison) -> list[str]:
    return facets_of_difference(
        comparison.name, comparison.reasons, comparison.baseline, comparison.candidate
    )


def _compare_all(
    case: Case,
    left: Mapping[str, Observation],
    right: Mapping[str, Observation],
    table: ToleranceTable,
    policy: ComparisonPolicy,
) -> list[ObservationComparison]:
    """Every observation name of either side (baseline ``left``, candidate ``right``, by name)
    compared, in the baseline's order; differences only in facets ``policy`` ignores are
    marked ``ignored``."""
    names = list(left) + [n for n in right if n not in left]
    by_name = any(t is not None and not isinstance(t, int | float) for t in (case.rtol, case.atol))
    known: dict[str, tuple[float, float]] | None = None if by_name else {}
    comparisons = []
    for name in names:
        reference = left.get(name) or right[name]
        rtol, atol = _tolerances(case, reference, table, known)
        comparisons.append(
            compare_observations(
                name, left.get(name), right.get(name), rtol, atol, policy.unwrap_errors
            )
        )
    comparisons = merge_containers(comparisons)
    if policy.ignore:
        for comparison in comparisons:
            facets = _facets(comparison)
            if comparison.status != MATCH and facets and set(facets) <= set(policy.ignore):
                comparison.status = IGNORED
    return comparisons


def merge_containers(comparisons: list[ObservationComparison]) -> list[ObservationComparison]:
    """Report an empty container on one side against items on the other as one mismatch.

    Without this, ``warnings: []`` against ``[("UserWarning", "...")]`` would read as one
    missing and two extra observations.
    """
    merged: list[ObservationComparison] = []
    absorbed: set[str] = set()
    for comparison in comparisons:
        side = comparison.baseline if comparison.status == MISSING else comparison.candidate
        if comparison.status not in (MISSING, EXTRA) or not side or side.get("type") != "empty":
            continue
        opposite = EXTRA if comparison.status == MISSING else MISSING
        prefix = comparison.name + "."
        items = [c for c in comparisons if c.status == opposite and c.name.startswith(prefix)]
        if not items:
            continue
        absorbed.update(c.name for c in items)
        absorbed.add(comparison.name)
        where = "candidate" if opposite == EXTRA else "baseline"
        names = ", ".join(c.name for c in items)
        combined = ObservationComparison(
            comparison.name,
            MISMATCH,
            "container",
            ["length"],
            f"The {'baseline' if where == 'candidate' else 'candidate'} has an empty "
            f"{side.get('value')}, the {where} has {len(items)} observation(s) there: {names}.\n"
            + "\n".join(f"{c.name}: {c.message}" for c in items),
        )
        side_items = {c.name: (c.candidate if where == "candidate" else c.baseline) for c in items}
        if where == "candidate":
            combined.baseline, combined.candidate = side, {"kind": "container", "items": side_items}
        else:
            combined.baseline, combined.candidate = {"kind": "container", "items": side_items}, side
        merged.append(combined)
    by_name = {c.name: c for c in merged}
    result = []
    for comparison in comparisons:
        if comparison.name in by_name:
            result.append(by_name[comparison.name])
        elif comparison.name not in absorbed:
            result.append(comparison)
    return result


def failure_message(
    differing: Sequence[ObservationComparison],
    unmet: Sequence[ExpectationCheck],
    baseline: str,
    candidate: str,
) -> str:
    """Readable text for a failed case: each differing observation, then unmet expectations."""
    blocks = [f"{candidate} differs from {baseline}:"] if differing else []
    for comparison in differing:
        body = comparison.message.replace("\n", "\n    ")
        blocks.append(f"  {comparison.name}: {body}")
    for check in unmet:
        blocks.append(f"  expectation {check.name!r} not met on {check.backend}: {check.detail}")
    return "\n".join(blocks)


def harness_error(reason: str, message: str | None = None) -> Verdict:
    """The verdict when the harness could not run or compare the case, or the case is broken."""
    return Verdict(Outcome.ERROR, reason, reason if message is None else message, [], [])


def crash_verdict(backend: str, detail: str) -> Verdict:
    """The verdict when ``backend`` killed the process running the case (a signal, an abort):
    a finding about that backend, not an error of the harness."""
    reason = f"{backend} crashed: {detail}"
    return Verdict(Outcome.CRASH, reason, reason, [], [], [CRASH])


__all__ = [
    "RAISED_NAME",
    "BackendRun",
    "ExpectationCheck",
    "Outcome",
    "Verdict",
    "broken_case",
    "check_expectation",
    "crash_verdict",
    "judge",
]
