"""The pytest plugin: inert by default; with --conformance every case is a test item whose
failure reads like assert_close."""

from __future__ import annotations

from importlib import metadata

import pytest

from .conftest import BROKEN_TANH, cli_env, write_package

CATALOGUE = """
    from conformance import case


    @case(area="alpha", tags=("grad",))
    def tanh_gradient(torch, make):
        \"\"\"The derivative of tanh is 1 - tanh**2.\"\"\"
        x = make.randn(3, requires_grad=True)
        torch.tanh(x).sum().backward()
        return {"x.grad": x.grad}


    @case(area="beta", tags=("values",))
    def doubled(torch, make):
        return {"y": make.rand(2) * 2}


    @case(area="beta")
    def needs_sigmoid(torch, make):
        return {"y": torch.sigmoid(make.rand(2))}
"""

#: A torch-like module lacking ``sigmoid``.
NO_SIGMOID = """
    import torch

    Tensor, tensor, tanh, float32 = torch.Tensor, torch.tensor, torch.tanh, torch.float32


    def sigmoid(x):
        raise NotImplementedError("sigmoid is not implemented")
"""


def plugin_args() -> list[str]:
    """Load the plugin by module unless it is installed (then pytest11 loads it already)."""
    installed = any(
        ep.value == "conformance.pytest_plugin" for ep in metadata.entry_points(group="pytest11")
    )
    return [] if installed else ["-p", "conformance.pytest_plugin"]


@pytest.fixture
def catalogue(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    write_package(
        pytester.path,
        "pcases",
        {"cases": CATALOGUE, "broken": BROKEN_TANH, "nosigmoid": NO_SIGMOID},
    )
    monkeypatch.setenv("PYTHONPATH", cli_env(pytester.path)["PYTHONPATH"])
    pytester.makepyfile(test_ordinary="def test_ordinary():\n    assert 1 + 1 == 2\n")
    return pytester


def test_without_the_option_nothing_extra_is_collected(catalogue):
    result = catalogue.runpytest_subprocess(*plugin_args(), "--conformance-cases", "pcases")
    result.assert_outcomes(passed=1)


def test_each_case_becomes_a_test_item_named_after_area_and_case(catalogue):
    result = catalogue.runpytest_subprocess(
        *plugin_args(),
        "--conformance",
        "--conformance-cases",
        "pcases",
        "--conformance-backends",
        "torch,torch",
        "--collect-only",
        "-q",
    )
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "test_ordinary.py::test_ordinary",
            "conformance::alpha::tanh_gradient",
            "conformance::beta::doubled",
            "conformance::beta::needs_sigmoid",
        ]
    )


def test_cases_pass_on_identical_backends_and_select_by_keyword(catalogue):
    result = catalogue.runpytest_subprocess(
        *plugin_args(),
        "--conformance",
        "--conformance-cases",
        "pcases",
        "--conformance-backends",
        "torch,torch",
        "-k",
        "values or grad",
    )
    result.assert_outcomes(passed=2, deselected=2)


def test_a_failing_case_reads_like_assert_close(catalogue):
    result = catalogue.runpytest_subprocess(
        *plugin_args(),
        "--conformance",
        "--conformance-cases",
        "pcases",
        "--conformance-backends",
        "torch,module:pcases.broken",
        "-k",
        "alpha",
    )
    result.assert_outcomes(failed=1, deselected=3)
    result.stdout.fnmatch_lines(
        [
            "*alpha/tanh_gradient [[]fail[]]: The derivative of tanh is 1 - tanh**2.",
            "module:pcases.broken differs from torch:",
            "  x.grad: Tensor-likes are not close!",
            "    Mismatched elements: 3 / 3 (100.0%)",
            "    Greatest absolute difference: * at index (*,) (up to 1e-05 allowed)",
            "reproduce: conformance show alpha/tanh_gradient --seed 0",
        ]
    )


def test_an_unsupported_case_is_skipped_with_the_reason(catalogue):
    result = catalogue.runpytest_subprocess(
        *plugin_args(),
        "--conformance",
        "--conformance-cases",
        "pcases",
        "--conformance-backends",
        "torch,module:pcases.nosigmoid",
        "-k",
        "sigmoid",
        "-rs",
    )
    result.assert_outcomes(skipped=1, deselected=3)
    result.stdout.fnmatch_lines(
        [
            "*unsupported: candidate lacks a feature (<raised>): "
            "NotImplementedError: sigmoid is not implemented*"
        ]
    )


def test_an_unknown_backend_is_a_usage_error(catalogue):
    result = catalogue.runpytest_subprocess(
        *plugin_args(), "--conformance", "--conformance-backends", "torch,nonesuch"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*conformance: unknown backend 'nonesuch'*"])


def test_results_can_be_streamed_to_a_file_from_pytest(catalogue):
    out = catalogue.path / "results.jsonl"
    result = catalogue.runpytest_subprocess(
        *plugin_args(),
        "--conformance",
        "--conformance-cases",
        "pcases",
        "--conformance-backends",
        "torch,torch",
        "--conformance-out",
        str(out),
        "-k",
        "beta",
    )
    result.assert_outcomes(passed=2, deselected=2)
    from conformance import load_results

    frame = load_results(out)
    assert list(frame["case_id"]) == ["beta/doubled", "beta/needs_sigmoid"]
