"""Facets: which aspect of autograd's behaviour a difference is about.

A failing case is more useful when it says *what* differed: the numbers (``values``), a tensor's
dtype or shape (``meta``), ``requires_grad``/``is_leaf`` (``flags``), graph-node names
(``graph``), a version counter (``version``), how many tensors autograd saved (``saved``: the
count a saved-tensors pack hook sees), an exception (``error``), a feature the candidate
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
SAVED = "saved"
ERROR = "error"
UNSUPPORTED = "unsupported"
CRASH = "crash"

#: Every facet, in the order tables show them.
FACETS = (VALUES, META, FLAGS, GRAPH, VERSION, SAVED, ERROR, UNSUPPORTED, CRASH)

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


#: Observation names that hold graph structure as plain values (a case returning
#: ``type(y.grad_fn).__name__`` or the names along ``next_functions``): a dotted component
#: with one of these words makes a value difference there a ``graph`` one.
GRAPH_WORDS = ("grad_fn", "edges", "next_functions", "next", "node", "nodes")


def _is_version(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return "version" in last


def is_graph_name(name: str) -> bool:
    """``grad_fn``, ``y.grad_fn.next``, ``edges.0.1``, ``node_names.2``: a component that is, or
    starts or ends with, a graph word."""
    for part in name.split("."):
        for word in GRAPH_WORDS:
            if part == word or part.startswith(f"{word}_") or part.endswith(f"_{word}"):
                return True
    return False


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
            facet = ERROR if raised else (GRAPH if is_graph_name(name) else VALUES)
        else:
            facet = _BY_REASON.get(reason, VALUES)
        if facet == VALUES and _is_version(name):
            facet = VERSION
        elif facet == VALUES and name.split(".", 1)[0] == "packed":
            facet = SAVED
        elif facet == VALUES and is_graph_name(name) and _holds_names(baseline, candidate):
            facet = GRAPH
        if facet not in found:
            found.append(facet)
    return found


def _holds_names(*summaries: Any) -> bool:
    """Whether the differing values are names (strings, or None where one side has no node),
    not numbers: only names can be graph structure."""
    kinds = {s.get("type") for s in summaries if s}
    return bool(kinds) and kinds <= {"str", "none"}


def ordered(facets: Iterable[str]) -> list[str]:
    """``facets`` without repeats, in table order."""
    seen = set(facets)
    return [f for f in FACETS if f in seen] + sorted(seen - set(FACETS))
