"""Failure signatures: *which* failure a shrinker must keep while a program gets smaller.

A program that differs between eager and compiled torch often differs in several ways at once:
its values, and on the way a node name or a message. Shrinking on "fails the same way" alone
can drift from the difference that matters to an incidental one. A signature pins the one that
matters - the outcome, the facet that differed (``conformance.facets``), the backend it is
about (the one that raised, or crashed), and the class of the reason
(``reason_class``) - and a candidate program still fails only when its result has all
of them. A crash is checked in a child process per candidate: the candidate is expected to kill
whatever runs it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from conformance.facets import CRASH, FACETS

#: ``<backend> crashed: signal 11 (SIGSEGV)`` / ``only <backend> raised <Type>: ...``
_CRASHED = re.compile(r"^(?P<backend>\S+) crashed: (?P<how>.*)$")
_ONLY_RAISED = re.compile(r"^only (?P<backend>\S+) raised ")


def reason_class(reason: str) -> str:
    """The kind of failure a reason names: its first clause with numbers replaced by ``#``.

    ``only <backend> raised <Type>: <message>`` keeps ``only <backend> raised <Type>`` (the
    message may name shapes or values that shrinking changes).
    """
    first = reason.split("; ", 1)[0].strip()
    if first.startswith("only "):
        return first.split(":", 1)[0]
    return re.sub(r"\d+", "#", first)


def reason_classes(reason: str) -> set[str]:
    """The class of every clause of ``reason``."""
    return {reason_class(clause) for clause in reason.split("; ") if clause.strip()}


@dataclass(frozen=True)
class FailureSignature:
    """What a shrunk program must still show: an outcome, and optionally a facet, a backend and
    a reason class (``None``: anything)."""

    outcome: str
    facet: str | None = None
    backend: str | None = None
    reason_class: str | None = None

    def matches(self, result: Any) -> bool:
        """Whether a ``CaseResult`` (or anything with outcome, facets and reason) shows it."""
        if result.outcome != self.outcome:
            return False
        if self.facet is not None and self.facet not in result.facets:
            return False
        if self.backend is not None and _backend_named(result.reason) != self.backend:
            return False
        return self.reason_class is None or self.reason_class in reason_classes(result.reason)

    def describe(self) -> str:
        parts = [self.outcome] + [
            f"{k}={v}" for k, v in (("facet", self.facet), ("backend", self.backend)) if v
        ]
        return " ".join(parts) + (f" ({self.reason_class})" if self.reason_class else "")


def _backend_named(reason: str) -> str | None:
    first = reason.split("; ", 1)[0]
    for pattern in (_CRASHED, _ONLY_RAISED):
        found = pattern.match(first)
        if found:
            return found.group("backend")
    return None


def signature_of(result: Any, facet: str | None = None) -> FailureSignature:
    """The signature of a failing result, targeting ``facet`` (default: its first facet in
    table order, so values before graph names) and the clause of the reason about it."""
    if facet is not None and facet not in FACETS:
        raise ValueError(f"unknown facet {facet!r} (one of {', '.join(FACETS)})")
    chosen = facet or (result.facets[0] if result.facets else None)
    if result.outcome == "crash":
        return FailureSignature("crash", CRASH, _backend_named(result.reason))
    clauses = [c for c in result.reason.split("; ") if c.strip()]
    about = _clause_about(clauses, chosen) if chosen else None
    return FailureSignature(
        result.outcome,
        chosen,
        _backend_named(result.reason),
        reason_class(about or result.reason),
    )


#: Reasons of ``compare`` each facet shows up under in a reason clause (``x: mismatch (values)``).
_FACET_WORDS = {
    "values": ("values", "value"),
    "meta": ("shape", "dtype", "container"),
    "flags": ("requires_grad", "is_leaf"),
    "graph": ("grad_fn",),
    "version": ("values", "value"),
    "error": ("type", "message", "raised", "missing", "extra"),
}


def _clause_about(clauses: list[str], facet: str) -> str | None:
    words = _FACET_WORDS.get(facet, ())
    for clause in clauses:
        if facet == "version" and "version" not in clause.split(":", 1)[0]:
            continue
        if any(re.search(rf"\b{w}\b", clause) for w in words):
            return clause
    return None


def crash_predicate(backend_name: str, run_seed: int, how: str, timeout: float = 60.0) -> Any:
    """``still_fails`` for a program that crashed ``backend_name`` (``how``: ``signal 11
    (SIGSEGV)``): each candidate runs on that backend in a forked child, which must die the
    same way (``run_forked``: the shrinker itself runs in a daemonic child process)."""

    def still_fails(candidate: Any) -> bool:
        from conformance.execution import exit_description
        from conformance.forked import run_forked

        code, _ = run_forked(lambda: _run_candidate(candidate, backend_name, run_seed), timeout)
        return exit_description(code) == how

    return still_fails


def _run_candidate(program: Any, backend_name: str, run_seed: int) -> None:
    from conformance.execution import run_on_backend
    from conformance.programs.generated import as_case
    from conformance.registry import load_backend

    case = dataclasses.replace(as_case(0, program, run_seed), oracle=None)
    run_on_backend(case, load_backend(backend_name), run_seed)
