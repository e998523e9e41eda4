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
