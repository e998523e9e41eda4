"""tools/triage.py: a campaign's failing programs, each under the first class of difference its
mismatched comparisons show, and the rest listed as untriaged."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from conformance.compare import ObservationComparison

from .synthetic import case

TOOL = Path(__file__).resolve().parents[2] / "tools" / "triage.py"


def _triage() -> ModuleType:
    spec = importlib.util.spec_from_file_location("triage", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["triage"] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def raised(message: str, kind: str = "RuntimeError") -> dict[str, str]:
    return {"kind": "raised", "type": kind, "message": message}


def failing(case_id: str, baseline: dict, candidate: dict, outcome: str = "fail"):
    comparison = ObservationComparison(
        "calls.0.result", "mismatch", "raised", baseline=baseline, candidate=candidate
    )
    matched = ObservationComparison("slots.0", "match", "tensor", baseline={}, candidate={})
    return dataclasses.replace(case(case_id, outcome=outcome), comparisons=[matched, comparison])


SECOND = "Trying to backward through the graph a second time (or directly access ...)"
INPLACE = (
    "one of the variables needed for gradient computation has been modified by an inplace operation"
)


def test_each_failure_counts_once_under_the_first_rule_that_explains_it() -> None:
    triage = _triage()
    results = [
        failing("generated/p1", {"kind": "value", "type": "none"}, raised(SECOND)),
        failing("generated/p2", raised(INPLACE + ": version 2"), raised(INPLACE + ": version 3")),
        failing("generated/p3", {"kind": "value", "type": "none"}, raised(INPLACE)),
        failing("generated/p4", raised("x"), raised("wrapped", "BackendCompilerFailed")),
        failing("generated/p5", {"kind": "value", "type": "none"}, raised("a new error")),
        case("generated/p6"),  # a pass is never triaged
    ]
    classes, untriaged = triage.classify(results)
    by_label = {rule.label: ids for rule, ids in classes.items() if ids}
    assert by_label == {
        "a second backward through one compiled region's shared node": ["generated/p1"],
        "the in-place check counts versions differently": ["generated/p2"],
        "an in-place error under compile where eager saved nothing it checks": ["generated/p3"],
        "a refusal raised as another exception (TorchRuntimeError, BackendCompilerFailed)": [
            "generated/p4"
        ],
    }
    assert len(untriaged) == 1 and untriaged[0].startswith("generated/p5: calls.0.result")
    assert "a new error" in untriaged[0]


def test_a_crash_is_its_own_class_whatever_its_comparisons() -> None:
    triage = _triage()
    crashed = dataclasses.replace(case("generated/p7", outcome="crash"), comparisons=[])
    classes, untriaged = triage.classify([crashed])
    assert [ids for ids in classes.values() if ids] == [["generated/p7"]] and untriaged == []


def test_the_campaign_findings_20_and_22_have_classes_of_their_own() -> None:
    triage = _triage()
    assert_ = "outputs.size() == output_edges.size() INTERNAL ASSERT FAILED at ..."
    lost = dataclasses.replace(
        case("generated/p9", outcome="fail"),
        comparisons=[
            ObservationComparison(
                "calls.0.result.0",
                "mismatch",
                "tensor",
                baseline={"kind": "tensor", "requires_grad": True, "is_leaf": False},
                candidate={"kind": "tensor", "requires_grad": False, "is_leaf": True},
            )
        ],
    )
    classes, untriaged = triage.classify(
        [failing("generated/p8", {"kind": "value", "type": "none"}, raised(assert_)), lost]
    )
    by_verdict = {rule.verdict.split(" ")[1]: ids for rule, ids in classes.items() if ids}
    assert by_verdict == {"22": ["generated/p8"], "20": ["generated/p9"]} and untriaged == []


def grads_left(case_id: str, call_matches: bool, grads_differ_at: int) -> object:
    """A record whose call 0 raised the same error on both sides (or, with ``call_matches``
    False, only on the baseline) and whose grads differ after call ``grads_differ_at``."""
    result = ObservationComparison(
        "calls.0.result",
        "match" if call_matches else "mismatch",
        "raised",
        baseline=raised(INPLACE),
        candidate=None if call_matches else {"kind": "value", "type": "none"},
    )
    grads = ObservationComparison(
        f"calls.{grads_differ_at}.grads.0.value",
        "mismatch",
        "tensor",
        baseline={"kind": "tensor", "requires_grad": False, "is_leaf": True, "values": [0.5]},
        candidate={"kind": "tensor", "requires_grad": False, "is_leaf": True, "values": [0.25]},
    )
    return dataclasses.replace(case(case_id, outcome="fail"), comparisons=[result, grads])


def test_grads_left_by_a_backward_that_raised_on_both_sides_are_a_class_of_their_own() -> None:
    """Eager accumulates what it ran before the error; compiled autograd, nothing. Grads that
    differ after a call that raised on one side only, or after a later call, are not it."""
    triage = _triage()
    wrong_shape = "Function WrongShapeBackward returned an invalid gradient at index 0 - got [] "
    wrong_shape += "but expected shape compatible with [3]"
    classes, untriaged = triage.classify(
        [
            grads_left("generated/p1", call_matches=True, grads_differ_at=0),
            grads_left("generated/p2", call_matches=True, grads_differ_at=1),
            failing("generated/p3", raised(wrong_shape), {"kind": "value", "type": "none"}),
        ]
    )
    by_label = {rule.label: ids for rule, ids in classes.items() if ids}
    assert by_label == {
        "a backward that raised on both sides left other grads": ["generated/p1"],
        "a custom Function's wrong-shaped gradient refused in eager only": ["generated/p3"],
    }
    assert [line.split(":")[0] for line in untriaged] == ["generated/p2"]
    one_sided = grads_left("generated/p4", call_matches=False, grads_differ_at=0)
    assert not triage.failed_partway(one_sided, triage.evidence_of(one_sided))
