"""The harness can fail: every planted bug in reference_impl is caught by the catalogue, in the
area it belongs to and for the right reason, and the unbroken backend passes the same cases."""

from __future__ import annotations

import pytest

from conformance.backends import load_backend
from conformance.catalogue import load_catalogue
from conformance.mutations import MUTATIONS, get_mutation, run_mutation
from conformance.runner import execute_case


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_planted_bug_is_caught_in_its_area_with_the_right_reason(mutation, catalogue):
    report = run_mutation(mutation, catalogue)
    assert set(mutation.expected_areas) <= report.caught_areas, (
        f"{mutation.name}: caught only in {sorted(report.caught_areas)}"
    )
    in_area = [r for r in report.caught if r.area in mutation.expected_areas]
    assert any(mutation.expected_reason in r.reason for r in in_area), [r.reason for r in in_area]
    assert all(r.outcome == "fail" for r in report.caught)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_mutation_is_undone_after_the_run(mutation, catalogue):
    cases = [c for c in catalogue if c.area in mutation.expected_areas]
    run_mutation(mutation, cases)
    pair = (load_backend("torch"), load_backend("reference"))
    outcomes = {execute_case(c, pair, 0).outcome for c in cases}
    assert outcomes <= {"pass", "unsupported"}


def test_wrong_derivative_failure_names_the_gradient_and_its_difference(catalogue):
    report = run_mutation(get_mutation("wrong_derivative"), catalogue)
    tanh = [r for r in report.caught if r.case_id.startswith("op_derivatives/tanh_")]
    assert tanh, "the tanh op-derivative cases must catch a wrong tanh derivative"
    assert "Greatest absolute difference" in tanh[0].message


def test_unknown_mutation_name_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown mutation 'nope'"):
        get_mutation("nope")
