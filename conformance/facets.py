"""Facets: which aspect of autograd's behaviour a difference is about.

A failing case is more useful when it says *what* differed: the numbers (``values``), a tensor's
dtype or shape (``meta``), ``requires_grad``/``is_leaf`` (``flags``), graph-node names
(``graph``), a version counter (``version``), an exception (``error``), a feature the candidate
lacks (``unsupported``) or a backend that killed its process (``crash``). Summaries, reports and
comparison policies all speak in these names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

VALUES = "values"
META = "meta"
FLAGS = "flags"
GRAPH = "graph"
VERSION = "version"
ERROR = "error"
UNSUPPORTED = "unsupported"
CRASH = "crash"

#: Every facet, in the order tables show them.
FACETS = (VALUES, META, FLAGS, GRAPH, VERSION, ERROR, UNSUPPORTED, CRASH)

#: The facet of each reason ``conformance.compare`` gives for a difference.
_BY_REASON = {
    "values": VALUES,
    "value": VALUES,
    "container": META,
    "shape": META,
    "dtype": META,
    "requires_grad": FLAGS,
    "is_leaf": FLAGS,
    "grad_fn": GRAPH,
    "type": ERROR,
    "message": ERROR,
}

#: The tensor attributes a backend's reader may not provide, by facet.
TENSOR_ATTRIBUTES = {
    "requires_grad": FLAGS,
    "is_leaf": FLAGS,
    "grad_fn": GRAPH,
}


def _is_version(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return "version" in last


def facets_of_difference(
    name: str, reasons: Iterable[str], baseline: Any = None, candidate: Any = None
) -> list[str]:
    """The facets one differing observation touches, from its comparison's reasons.

    ``baseline``/``candidate`` are the summaries: an observation missing, extra or of another
    kind is an ``error`` difference when either side raised, else a ``values`` one.
    """
    sides = [s for s in (baseline, candidate) if s]
    raised = any(s.get("kind") == "raised" for s in sides)
    found: list[str] = []
    for reason in reasons:
        if reason in ("missing", "extra", "kind", "unobservable", "length"):
            facet = ERROR if raised else VALUES
        else:
            facet = _BY_REASON.get(reason, VALUES)
        if facet == VALUES and _is_version(name):
            facet = VERSION
        if facet not in found:
            found.append(facet)
    return found


def ordered(facets: Iterable[str]) -> list[str]:
    """``facets`` without repeats, in table order."""
    seen = set(facets)
    return [f for f in FACETS if f in seen] + sorted(seen - set(FACETS))
