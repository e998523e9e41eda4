"""Shrinking toward one failure signature, and shrinking programs that crash a backend."""

from __future__ import annotations

from types import SimpleNamespace

from conformance.programs.signature import FailureSignature, signature_of

from .conftest import run_cli, write_package


def result(outcome: str, reason: str, facets: list[str]) -> SimpleNamespace:
    return SimpleNamespace(outcome=outcome, reason=reason, facets=facets)


def test_a_signature_targets_the_first_facet_and_the_clause_about_it():
    found = result(
        "fail",
        "calls.0.grads.0.grad_fn: mismatch (grad_fn); calls.0.grads.1.value: mismatch (values)",
        ["values", "graph"],
    )
    signature = signature_of(found)
    assert signature == FailureSignature(
        "fail", "values", None, "calls.#.grads.#.value: mismatch (values)"
    )
    # a candidate that only kept the node-name difference no longer shows it
    drifted = result("fail", "calls.0.grads.0.grad_fn: mismatch (grad_fn)", ["graph"])
    assert not signature.matches(drifted)
    assert signature_of(found, "graph").matches(drifted)


def test_a_signature_names_the_backend_that_raised_or_crashed():
    raised = result(
        "fail", "only torch-compile raised TorchRuntimeError: boom; 2 other(s)", ["error"]
    )
    assert signature_of(raised).backend == "torch-compile"
    assert not signature_of(raised).matches(
        result("fail", "only torch raised RuntimeError: boom", ["error"])
    )
    crashed = result("crash", "torch crashed: signal 11 (SIGSEGV)", ["crash"])
    assert signature_of(crashed) == FailureSignature("crash", "crash", "torch", None)


SEGFAULTING_SIGMOID = """
    import os
    import signal

    import torch
    from torch import *  # noqa: F403

    Tensor = torch.Tensor
    tensor = torch.tensor
    __version__ = "segfaulting-sigmoid"


    def sigmoid(x, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGSEGV)
"""


def test_a_generated_program_that_crashes_a_backend_is_shrunk_in_child_processes(tmp_path):
    write_package(tmp_path, "segv", {"torchlike": SEGFAULTING_SIGMOID})
    done = run_cli(
        *("run", "--area", "generated", "--generated", "40", "--jobs", "1", "--shrink", "1"),
        *("--backends", "torch,module:segv.torchlike", "--out", "r.jsonl", "--fail-on", "crash"),
        cwd=tmp_path,
        extra_path=tmp_path,
        timeout=600,
    )
    crashes = [line for line in done.stdout.splitlines() if line.startswith("CRASH")]
    assert crashes, done.stdout + done.stderr
    assert "module:segv.torchlike crashed: signal 11 (SIGSEGV)" in crashes[0]
    shrunk = sorted((tmp_path / "r.generated").glob("*.min.py"))
    assert len(shrunk) == 1, done.stdout
    script = shrunk[0].read_text()
    original = shrunk[0].with_name(shrunk[0].name.replace(".min", "")).read_text()
    assert "torch.sigmoid(" in script
    assert len(script.splitlines()) < len(original.splitlines())
