"""The harness can fail: every catalogue area has a planted bug in reference_impl; each bug is
caught in its area, by its witness case with the exact reason, and the unbroken backend passes
the same cases. The engine's own gradcheck rejects a wrong derivative."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import reference_impl
from conformance.catalogue import load_catalogue, select
from conformance.mutations import MUTATIONS, Mutation, get_mutation, run_mutation
from conformance.registry import load_backend
from conformance.runner import execute_case
from reference_impl.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck

#: The catalogue's areas of autograd behaviour (README, "What is here": `cases/`).
CATALOGUE_AREAS = {
    "accumulation",
    "gradient_weights",
    "retain_graph",
    "detach_no_grad",
    "custom_function",
    "hooks",
    "inplace_version",
    "higher_order",
    "op_derivatives",
}


@pytest.fixture(scope="module")
def catalogue():
    # select() leaves out opt_in cases: a known torch segfault must not run in this process
    return select(load_catalogue())


def in_areas(catalogue, mutation):
    return [c for c in catalogue if c.area in mutation.expected_areas]


def test_every_catalogue_area_has_a_planted_bug(catalogue):
    assert {c.area for c in catalogue} >= CATALOGUE_AREAS
    assert {area for m in MUTATIONS for area in m.expected_areas} == CATALOGUE_AREAS


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_planted_bug_is_caught_by_its_witness_with_the_exact_reason(mutation, catalogue):
    report = run_mutation(mutation, in_areas(catalogue, mutation))
    assert report.caught_areas == set(mutation.expected_areas)
    reasons = {r.case_id: r.reason for r in report.caught}
    assert mutation.witness in reasons, f"{mutation.witness} not caught; caught: {sorted(reasons)}"
    assert reasons[mutation.witness] == mutation.expected_reason


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_mutation_is_undone_and_its_cases_pass_without_it(mutation, catalogue):
    cases = in_areas(catalogue, mutation)
    run_mutation(mutation, cases)
    pair = (load_backend("torch"), load_backend("reference"))
    outcomes = {c.id: execute_case(c, pair, 0).outcome for c in cases}
    assert outcomes[mutation.witness] == "pass"
    assert set(outcomes.values()) <= {"pass", "unsupported"}


def test_a_change_that_breaks_nothing_is_not_reported_as_caught(catalogue):
    harmless = Mutation(
        name="harmless",
        description="patches nothing",
        expected_areas=("hooks",),
        witness="hooks/leaf_hook_return_changes_grad",
        expected_reason="",
        apply=contextlib.nullcontext,
    )
    report = run_mutation(harmless, in_areas(catalogue, harmless))
    assert report.cases_run > 0
    assert report.caught == []


def test_wrong_derivative_failure_names_the_gradient_and_its_difference(catalogue):
    report = run_mutation(get_mutation("wrong_derivative"), catalogue)
    tanh = [r for r in report.caught if r.case_id.startswith("op_derivatives/tanh_")]
    assert tanh, "the tanh op-derivative cases must catch a wrong tanh derivative"
    assert "Greatest absolute difference" in tanh[0].message


def test_unknown_mutation_name_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown mutation 'nope'"):
        get_mutation("nope")


# -- the engine's own gradcheck can fail ------------------------------------------------------


def _input() -> reference_impl.Tensor:
    values = np.random.default_rng(0).uniform(-1.0, 1.0, 5)
    return reference_impl.tensor(values, dtype=reference_impl.float64, requires_grad=True)


def test_gradcheck_rejects_a_planted_wrong_tanh_derivative():
    assert gradcheck(reference_impl.tanh, (_input(),))
    with get_mutation("wrong_derivative").apply():
        assert not gradcheck(reference_impl.tanh, (_input(),), raise_exception=False)
        with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0"):
            gradcheck(reference_impl.tanh, (_input(),))


def test_gradcheck_rejects_a_custom_function_with_a_wrong_backward():
    class CubeWithWrongBackward(reference_impl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * x * grad  # should be 3 * x * x

    assert not gradcheck(CubeWithWrongBackward.apply, (_input(),), raise_exception=False)


def test_gradgradcheck_rejects_a_backward_that_is_right_once_but_not_differentiable():
    class CubeWithDetachedBackward(reference_impl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x.detach() ** 2 * grad  # right value, but hides x from the second order

    assert gradcheck(CubeWithDetachedBackward.apply, (_input(),))
    assert not gradgradcheck(CubeWithDetachedBackward.apply, (_input(),), raise_exception=False)
