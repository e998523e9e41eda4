"""Case outcomes: pass, fail with the reason, unsupported, error; expectations per backend."""

from __future__ import annotations

import numpy as np
import torch

from conformance import capture, case
from conformance.backends import Backend
from conformance.observe import TensorObservation
from conformance.runner import execute_case
from conformance.verdict import Outcome, check_expectation


def test_identical_backends_pass_and_still_record_numeric_diffs(registry, torch_pair):
    @case(area="t")
    def doubled(torch, make):
        x = make.randn(3, requires_grad=True)
        (x * 2).sum().backward()
        return {"x.grad": x.grad}

    result = execute_case(registry["t/doubled"], torch_pair, run_seed=0)
    assert result.outcome == Outcome.PASS and result.reason == ""
    (comparison,) = result.comparisons
    assert comparison.diff is not None and comparison.diff.max_abs_diff == 0.0
    assert comparison.diff.max_ulp == 0 and comparison.diff.numel == 3


def test_a_wrong_derivative_fails_naming_the_observation(
    registry, torch_backend, broken_tanh_backend
):
    @case(area="t")
    def tanh_gradient(torch, make):
        x = make.randn(4, requires_grad=True)
        torch.tanh(x).sum().backward()
        return {"x.grad": x.grad}

    result = execute_case(registry["t/tanh_gradient"], (torch_backend, broken_tanh_backend), 0)
    assert result.outcome == Outcome.FAIL
    assert result.reason == "x.grad: mismatch (values)"
    assert "broken-tanh differs from torch:" in result.message
    assert "Mismatched elements: 4 / 4 (100.0%)" in result.message


def test_an_exception_escaping_the_case_body_on_both_sides_is_a_broken_case_not_a_pass(
    registry, torch_pair
):
    @case(area="t")
    def always_raises(torch, make):
        return {"x": {}["missing key"]}

    @case(area="t")
    def typo_in_make(torch, make):
        return {"x": make.tensorr([1.0])}

    for name, error in (("always_raises", "KeyError"), ("typo_in_make", "AttributeError")):
        result = execute_case(registry[f"t/{name}"], torch_pair, 0)
        assert result.outcome == Outcome.ERROR
        assert result.reason.startswith(f"broken case: {error}: ")
        assert "escaped the case body on torch" in result.reason
        assert "Traceback" in result.message  # where it escaped, for the case's author


def test_a_typo_in_a_tensor_attribute_on_both_sides_is_a_broken_case(registry, torch_pair):
    @case(area="t")
    def reads_grd(torch, make):
        x = make.tensor([1.0], requires_grad=True)
        return {"g": capture(lambda: x.grd)}

    result = execute_case(registry["t/reads_grd"], torch_pair, 0)
    assert result.outcome == Outcome.ERROR
    assert result.reason == (
        "broken case: g raised AttributeError: 'Tensor' object has no attribute 'grd' "
        "on both backends"
    )


def test_a_missing_method_or_keyword_on_the_candidate_alone_is_unsupported(registry, torch_backend):
    case(area="t", name="lacks_method")(
        only_on("lacking", AttributeError("'Tensor' object has no attribute 'logaddexp'"))
    )
    case(area="t", name="lacks_keyword")(
        only_on("lacking", TypeError("sum() got an unexpected keyword argument 'dtype'"))
    )
    for name in ("lacks_method", "lacks_keyword"):
        result = execute_case(registry[f"t/{name}"], (torch_backend, renamed("lacking")), 0)
        assert result.outcome == Outcome.UNSUPPORTED, result.reason
        assert result.facets == ["unsupported"]


def test_any_other_exception_escaping_on_the_candidate_alone_is_an_error_difference(
    registry, torch_backend
):
    case(area="t", name="candidate_raises")(only_on("lacking", ValueError("bad shape")))
    result = execute_case(registry["t/candidate_raises"], (torch_backend, renamed("lacking")), 0)
    assert result.outcome == Outcome.FAIL
    assert result.reason.startswith("only lacking raised ValueError: bad shape")
    assert result.facets == ["error"]


def only_on(backend_name: str, exc: Exception):
    """A case body that raises ``exc`` on the named backend and returns a value elsewhere."""

    def body(torch_module, make):
        if torch_module.__name__ == backend_name:
            raise exc
        return {"v": 1}

    return body


def renamed(module_name: str) -> Backend:
    import types

    module = types.ModuleType(module_name)
    module.__dict__.update({"Tensor": torch.Tensor, "tensor": torch.tensor})
    return Backend.from_module(module_name, module)


def test_not_implemented_on_one_side_is_unsupported(registry, torch_backend):
    case(area="t", name="lacks_op")(only_on("lacking", NotImplementedError("no bmm yet")))
    result = execute_case(registry["t/lacks_op"], (torch_backend, renamed("lacking")), 0)
    assert result.outcome == Outcome.UNSUPPORTED
    assert result.reason == "candidate lacks a feature (<raised>): NotImplementedError: no bmm yet"


def test_a_missing_module_attribute_is_unsupported(registry, torch_backend):
    @case(area="t")
    def uses_sigmoid(torch, make):
        return {"r": torch.sigmoid(make.randn(2))}

    result = execute_case(registry["t/uses_sigmoid"], (torch_backend, renamed("lacking")), 0)
    assert result.outcome == Outcome.UNSUPPORTED
    assert "AttributeError: module 'lacking' has no attribute" in result.reason


def test_the_same_not_implemented_error_on_both_sides_is_agreement(registry, torch_pair):
    @case(area="t")
    def no_backward(torch, make):
        class NoBackward(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

        x = make.randn(2, requires_grad=True)
        return {"err": capture(lambda: NoBackward.apply(x).sum().backward())}

    result = execute_case(registry["t/no_backward"], torch_pair, 0)
    assert result.outcome == Outcome.PASS
    assert result.comparisons[0].baseline["type"] == "NotImplementedError"


def test_a_malformed_case_is_an_error_of_the_harness_not_a_pass(registry, torch_pair):
    @case(area="t")
    def returns_a_list(torch, make):
        return [1, 2]

    @case(area="t")
    def misuses_make(torch, make):
        return {"x": make.randn(2, dtype="int64")}

    for name in ("returns_a_list", "misuses_make"):
        result = execute_case(registry[f"t/{name}"], torch_pair, 0)
        assert result.outcome == Outcome.ERROR
        assert result.reason.startswith("malformed case:")


def test_expectations_are_checked_on_each_backend_separately(registry, torch_pair):
    @case(area="t", expect={"x.grad": [3.0, 3.0], "second": "RuntimeError"})
    def scaled(torch, make):
        x = make.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x * 1.5).sum()
        y.backward()
        return {"x.grad": x.grad, "second": capture(y.backward)}

    result = execute_case(registry["t/scaled"], torch_pair, 0)
    assert result.outcome == Outcome.FAIL
    assert result.reason == "expect x.grad on torch; expect x.grad on torch"
    failing = [e for e in result.expectations if not e.ok]
    assert [e.detail for e in failing] == ["expected [3.0, 3.0], got [3.0, 6.0]"] * 2


def test_expectations_tolerate_expect_atol():
    obs = TensorObservation("g", "float32", (2,), False, True, None, np.array([0.99999, 2.0]))
    assert check_expectation("torch", "g", [1.0, 2.0], obs, atol=5e-5).ok
    assert not check_expectation("torch", "g", [1.0, 2.0], obs, atol=1e-6).ok
    assert not check_expectation("torch", "g", [1.0, 2.0], None, atol=1.0).ok


def test_a_per_case_tolerance_turns_a_small_difference_into_a_pass(
    registry, torch_backend, broken_tanh_backend
):
    @case(area="t", atol={"x.grad": 1.0})
    def tanh_loose(torch, make):
        x = make.uniform(4, low=-0.1, high=0.1, requires_grad=True)
        torch.tanh(x).sum().backward()
        return {"x.grad": x.grad}

    result = execute_case(registry["t/tanh_loose"], (torch_backend, broken_tanh_backend), 0)
    assert result.outcome == Outcome.PASS
    assert result.comparisons[0].diff.max_abs_diff > 0


def test_an_empty_container_against_items_is_one_length_mismatch(registry, torch_backend):
    @case(area="t")
    def warns_only_off_torch(torch, make):
        found = [] if torch.__name__ == "torch" else [("UserWarning", "careful")]
        return {"warnings": found}

    result = execute_case(
        registry["t/warns_only_off_torch"], (torch_backend, renamed("elsewhere")), 0
    )
    assert result.reason == "warnings: mismatch (length)"
    (comparison,) = result.comparisons
    assert comparison.message.splitlines()[0] == (
        "The baseline has an empty list, the candidate has 2 observation(s) there: "
        "warnings.0.0, warnings.0.1."
    )


def test_a_case_that_raises_on_one_side_only_says_so_first(registry, torch_backend):
    case(area="t", name="raises_elsewhere")(only_on("elsewhere", TypeError("bad call\ndetail")))
    result = execute_case(registry["t/raises_elsewhere"], (torch_backend, renamed("elsewhere")), 0)
    assert result.outcome == Outcome.FAIL
    assert result.reason == (
        "only elsewhere raised TypeError: bad call; 1 other observation(s) differ as a result"
    )


def test_a_subclass_of_not_implemented_error_is_unsupported_too(registry, torch_backend):
    class UnsupportedOp(NotImplementedError, AttributeError):
        pass

    case(area="t", name="lacks_op_subclass")(only_on("lacking", UnsupportedOp("no cumprod")))
    result = execute_case(registry["t/lacks_op_subclass"], (torch_backend, renamed("lacking")), 0)
    assert result.outcome == Outcome.UNSUPPORTED
    assert result.reason.endswith("UnsupportedOp: no cumprod")
