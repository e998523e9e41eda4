"""Triage a campaign's failures: each failing program put in the class of difference it shows.

    python tools/triage.py results.jsonl [--markdown] [--untriaged N]

A campaign of thousands of generated programs against a compiled backend fails in a handful of
ways many times over. Each failing record's *evidence* - what the two sides showed in every
comparison that did not match: the error each raised, the flags of a tensor, or that values
differ - is matched against ``RULES`` in order, and the program counts under the first rule
that matches it (a program failing in two ways counts once, under the more specific rule).
Programs no rule explains are listed with their evidence: they are the new differences, to be
shrunk (``conformance run ... --shrink N --shrink-facet F``) and looked at one by one.

The rules are the triage of docs/findings.md: each names what it matches, the verdict (a
finding, a difference the comparison policy or the tracker explains, or a refusal in another
words), and where it is written up.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.results import CaseResult, read_run


@dataclass(frozen=True)
class Evidence:
    """One comparison that did not match: its name and what each side showed, in words."""

    name: str
    baseline: str
    candidate: str

    def text(self) -> str:
        return f"{self.name}: baseline {self.baseline} | candidate {self.candidate}"


@dataclass(frozen=True)
class Rule:
    """A class of difference: ``baseline`` and ``candidate`` are patterns searched in what each
    side showed (``None``: anything) in one comparison that did not match."""

    label: str
    verdict: str  #: "finding NN", "policy", "tracker", "refusal", "not counted"
    where: str
    baseline: str | None = None
    candidate: str | None = None
    outcome: str = "fail"
    name: str | None = None  #: a pattern the comparison's name must match
    #: What the record as a whole must show besides (the patterns read one comparison each).
    holds: Callable[[CaseResult, Sequence[Evidence]], bool] | None = None

    def explains(self, result: CaseResult, evidence: Sequence[Evidence]) -> bool:
        if result.outcome != self.outcome:
            return False
        if self.outcome == "crash":
            return True
        if self.holds is not None and not self.holds(result, evidence):
            return False
        return any(
            (self.name is None or re.search(self.name, one.name))
            and (self.baseline is None or re.search(self.baseline, one.baseline))
            and (self.candidate is None or re.search(self.candidate, one.candidate))
            for one in evidence
        )


_SECOND_TIME = r"Trying to backward through the graph a second time"
_INPLACE = r"modified by an inplace operation"
_CALL = re.compile(r"^calls\.(\d+)\.")


def failed_partway(result: CaseResult, evidence: Sequence[Evidence]) -> bool:
    """The first call that differs differs only in the grads it left, and raised the same
    error on both sides: what ``.grad`` holds after a backward that raised."""
    calls = [
        (int(found.group(1)), one.name) for one in evidence if (found := _CALL.match(one.name))
    ]
    if not calls:
        return False
    first = min(index for index, _ in calls)
    if any(index == first and ".grads." not in name for index, name in calls):
        return False
    raised = next((c for c in result.comparisons if c.name == f"calls.{first}.result"), None)
    return (
        raised is not None
        and raised.status == "match"
        and isinstance(raised.baseline, dict)
        and raised.baseline.get("kind") == "raised"
    )


RULES: tuple[Rule, ...] = (
    Rule(
        "the backend killed its process",
        "finding 15 (inductor), or new",
        "docs/findings.md#15",
        outcome="crash",
    ),
    Rule(
        "a second backward through one compiled region's shared node",
        "finding 12",
        "docs/findings.md#12-two-outputs-of-one-compiled-function-fail-when-backwarded-one-after-the-other",
        baseline=rf"^(?!.*{_SECOND_TIME})",
        candidate=_SECOND_TIME,
    ),
    Rule(
        "a custom Function's wrong gradient count or type accepted",
        "findings 01-02",
        "docs/findings.md#02-a-custom-functions-backward-returns-two-grads-for-one-input",
        baseline=r"incorrect number of gradients|expected Variable or None",
    ),
    Rule(
        "a custom Function's wrong-shaped gradient refused in eager only",
        "not counted apart: the compiled side skips the check (the family of findings 01-02) "
        "or the node (#92331: a non-leaf in backward(inputs=...), or a leaf no longer "
        "requiring grad); shrink it to tell which",
        "docs/findings.md#seen-but-not-counted",
        baseline=r"returned an invalid gradient at index \d+ - got .* but expected shape",
        candidate=r"^(?!raised)",
    ),
    Rule(
        "a create_graph backward through chained compiled regions refused as a leaf in-place write",
        "finding 17",
        "docs/findings.md#17-backwardcreate_graphtrue-through-two-chained-compiled-functions-raises-a-leaf-in-place-error",
        baseline=r"^(none|tensor|value)",
        candidate=r"a leaf Variable that requires grad is being used in an in-place operation",
    ),
    Rule(
        "the in-place check counts versions differently",
        "findings 03 and 09",
        "docs/findings.md#03-one-in-place-add_-bumps-_version-by-2",
        baseline=_INPLACE,
        candidate=_INPLACE,
    ),
    Rule(
        "an in-place error under compile where eager saved nothing it checks",
        "finding 16",
        "docs/findings.md#16-backward-fails-under-compile-after-an-in-place-write-to-an-input-eager-never-saved",
        baseline=r"^(none|tensor|value)",
        candidate=_INPLACE,
    ),
    Rule(
        "the in-place check missing under compile",
        "finding 09 (a saved view of an input, inductor) or 18 (across graph breaks)",
        "docs/findings.md#09-inductor-loses-the-in-place-check-on-a-saved-view-of-an-input",
        baseline=_INPLACE,
        candidate=r"^(?!raised)",
    ),
    Rule(
        "a refusal raised as another exception (TorchRuntimeError, BackendCompilerFailed)",
        "refusal, not counted (finding 11 where it escapes a try)",
        "docs/findings.md#seen-but-not-counted",
        candidate=r"raised (TorchRuntimeError|BackendCompilerFailed|InternalTorchDynamoError)",
    ),
    Rule(
        "compiled autograd's internal assert on the outputs of a later call",
        "finding 22",
        "docs/findings.md#22-compiled-autograd-fails-an-internal-assert-on-autogradgrad-x-x-allow_unusedtrue-after-a-backward-started-from-the-leaf-x",
        candidate=r"outputs\.size\(\) == output_edges\.size\(\) INTERNAL ASSERT",
    ),
    Rule(
        "a create_graph result that requires grad in eager does not under compile",
        "finding 20 where the program saves through hooks (unpacked tensors lose their place "
        "in the graph); look at it otherwise",
        "docs/findings.md#20-under-compiled-autograd-a-saved-tensor-restored-by-an-unpack-hook-loses-its-place-in-the-graph-a-create_graphtrue-gradient-silently-drops-every-term-through-it",
        baseline=r"requires_grad=True",
        candidate=r"requires_grad=False",
        name=r"\.result\.",
    ),
    Rule(
        "a later backward eager refuses (graph freed) runs under compile",
        "tracker #92331, not counted: eager runs and frees the grad_fn of a non-leaf named in "
        "backward(inputs=...), which compiled code skips",
        "docs/findings.md#seen-but-not-counted",
        baseline=_SECOND_TIME,
        candidate=rf"^(?!.*{_SECOND_TIME})",
    ),
    Rule(
        "a result that is constant in eager requires grad under compile",
        "finding 14",
        "docs/findings.md#14-a-gradient-that-is-a-constant-in-eager-requires-grad-under-compile-create_graphtrue",
        baseline=r"requires_grad=False",
        candidate=r"requires_grad=True",
    ),
    Rule(
        "a saved-tensor hook that changes dtype meets a mask only the compiled graph saves",
        "policy (saved facet: compiled graphs save other tensors); the hook breaks the docs' "
        "same-content rule",
        "docs/findings.md#campaigns",
        candidate=r"expected condition to be a boolean tensor",
    ),
    Rule(
        "a saved-tensor hook that changes dtype meets a mask only eager saves",
        "policy (saved facet), the mirror of the class above",
        "docs/findings.md#campaigns",
        baseline=r"expected condition to be a boolean tensor",
    ),
    Rule(
        "a retained grad of a compiled region's intermediate differs",
        "tracker #91468/#146212 (retain_grad on intermediates under compile), not counted",
        "docs/findings.md#campaigns",
        name=r"\.retained\.",
    ),
    Rule(
        "a retained grad under backward(inputs=...) left None",
        "tracker #92331, not counted",
        "docs/findings.md#seen-but-not-counted",
        baseline=r"^tensor",
        candidate=r"^none",
    ),
    Rule(
        "double backward through a compiled region refused",
        "documented limitation, not counted",
        "docs/findings.md#seen-but-not-counted",
        candidate=r"does not currently support (double|higher order)",
    ),
    Rule(
        "inductor's donated buffers refuse retain_graph/create_graph",
        "documented by its own message, not counted",
        "docs/findings.md#campaigns",
        candidate=r"compiled with non-empty donated buffers",
    ),
    Rule(
        "a backward that raised on both sides left other grads",
        "not counted: eager accumulates the grads of the nodes it ran before the error; a "
        "compiled backward, traced (its saved tensors checked) before any node runs, none",
        "docs/findings.md#seen-but-not-counted",
        holds=failed_partway,
    ),
    Rule(
        "the same refusal in other words",
        "refusal, not counted",
        "docs/findings.md#seen-but-not-counted",
        baseline=r"^raised",
        candidate=r"^raised",
    ),
)


def _shown(summary: Any) -> str:
    """What one side showed in a comparison, in words."""
    if not isinstance(summary, dict):
        return "nothing"
    kind = summary.get("kind")
    if kind == "raised":
        return f"raised {summary.get('type')}: {summary.get('message', '')}"
    if kind == "tensor":
        return (
            f"tensor requires_grad={summary.get('requires_grad')} "
            f"is_leaf={summary.get('is_leaf')} values={summary.get('values')!s:.60}"
        )
    if kind == "value" and summary.get("type") == "none":
        return "none"
    if kind == "container":
        items = summary.get("items") or {}
        return "container " + "; ".join(f"{k}: {_shown(v)}" for k, v in items.items())
    return f"{kind} {summary.get('value', summary.get('values'))!s:.60}"


def evidence_of(result: CaseResult) -> list[Evidence]:
    """Every comparison of ``result`` that did not match (ignored and skipped ones left out)."""
    return [
        Evidence(one.name, _shown(one.baseline), _shown(one.candidate))
        for one in result.comparisons
        if one.status not in ("match", "ignored", "skipped")
    ]


def classify(results: Iterable[CaseResult]) -> tuple[dict[Rule, list[str]], list[str]]:
    """Failing case ids under the first rule explaining each, and the unexplained ones (with
    their evidence)."""
    classes: dict[Rule, list[str]] = {rule: [] for rule in RULES}
    untriaged = []
    for result in results:
        if result.outcome not in ("fail", "crash"):
            continue
        evidence = evidence_of(result)
        rule = next((r for r in RULES if r.explains(result, evidence)), None)
        if rule is None:
            shown = "; ".join(one.text()[:240] for one in evidence[:2]) or result.reason[:240]
            untriaged.append(f"{result.case_id}: {shown}")
        else:
            classes[rule].append(result.case_id)
    return classes, untriaged


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    parser.add_argument("--untriaged", type=int, default=20, help="how many to list")
    args = parser.parse_args(argv)
    headers, results = read_run(args.results)
    outcomes = collections.Counter(r.outcome for r in results)
    classes, untriaged = classify(results)
    backends = ",".join(headers[0].get("backends", ())) if headers else "?"
    print(f"{args.results}: {backends}; {len(results)} cases: {dict(outcomes)}")
    rows = [(rule, ids) for rule, ids in classes.items() if ids]
    if args.markdown:
        print("\n| class | verdict | programs | first |\n|---|---|---:|---|")
        for rule, ids in rows:
            print(f"| {rule.label} | {rule.verdict} | {len(ids)} | {', '.join(ids[:3])} |")
        print(f"| no rule | untriaged | {len(untriaged)} | |")
    else:
        for rule, ids in rows:
            print(f"{len(ids):5d}  {rule.label} [{rule.verdict}]  e.g. {', '.join(ids[:3])}")
        print(f"{len(untriaged):5d}  untriaged")
    for line in untriaged[: args.untriaged]:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
