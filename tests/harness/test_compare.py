"""Comparison records: numeric differences, ULP distance, NaN/inf placement, tolerances,
exception normalisation, and how each kind of mismatch is reported."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conformance.capture import normalise_message
from conformance.compare import (
    EXTRA,
    MATCH,
    MISMATCH,
    MISSING,
    compare_observations,
    ulp_distance,
    value_diff,
)
from conformance.observe import RaisedObservation, TensorObservation, ValueObservation
from conformance.tolerances import DEFAULT_TOLERANCES, ToleranceTable, resolve


def tensor_obs(values, dtype="float32", name="t", **flags) -> TensorObservation:
    array = np.asarray(values, dtype=dtype)
    attrs = {"requires_grad": False, "is_leaf": True, "grad_fn": None} | flags
    return TensorObservation(name, dtype, tuple(array.shape), values=array, **attrs)


def test_adjacent_float32_values_are_one_ulp_apart():
    one = np.float32(1.0)
    after = np.nextafter(one, np.float32(2.0))
    assert ulp_distance(np.array([one]), np.array([after]), "float32").tolist() == [1]


def test_ulp_distance_counts_representable_values_across_zero():
    smallest = np.float32(np.finfo(np.float32).smallest_subnormal)
    distance = ulp_distance(np.array([-smallest]), np.array([smallest]), "float32")
    assert distance.tolist() == [2]
    assert ulp_distance(np.array([-0.0]), np.array([0.0]), "float32").tolist() == [0]


def test_ulp_distance_is_exact_for_float64_far_from_zero():
    big = np.float64(1e300)
    after = np.nextafter(np.nextafter(big, np.inf), np.inf)
    assert ulp_distance(np.array([big]), np.array([after]), "float64").tolist() == [2]


def test_ulp_distance_is_measured_in_the_baseline_dtype():
    # 1 + 2**-30 is exactly representable in float64 but rounds to 1.0 in float32.
    assert ulp_distance(np.array([1.0]), np.array([1.0 + 2**-30]), "float32").tolist() == [0]
    assert ulp_distance(np.array([1.0]), np.array([1.0 + 2**-30]), "float64").tolist() == [2**22]


def test_ulp_distance_spans_the_whole_float64_range_without_overflow():
    largest = np.finfo(np.float64).max
    distance = ulp_distance(np.array([-largest]), np.array([largest]), "float64")
    assert int(distance[0]) == 2 * (0x7FEFFFFFFFFFFFFF)


def test_ulp_distance_is_undefined_for_integers():
    assert ulp_distance(np.array([1]), np.array([2]), "int64") is None


def test_value_diff_reports_greatest_differences_and_where():
    diff = value_diff(
        np.array([[1.0, 2.0], [3.0, 4.0]]),
        np.array([[1.0, 2.5], [3.0, 4.0]]),
        "float32",
        rtol=1.3e-6,
        atol=1e-5,
    )
    assert (diff.numel, diff.mismatched, diff.mismatched_fraction) == (4, 1, 0.25)
    assert diff.max_abs_diff == 0.5 and diff.max_abs_index == [0, 1]
    assert diff.max_rel_diff == 0.25 and diff.max_rel_index == [0, 1]
    assert diff.max_ulp == 2**21 and diff.max_ulp_index == [0, 1]


def test_nan_in_the_same_place_matches_but_a_moved_nan_is_reported():
    nan = float("nan")
    same = value_diff(np.array([1.0, nan]), np.array([1.0, nan]), "float32", 0.0, 0.0)
    assert same.mismatched == 0 and same.nan_mismatched == 0
    moved = value_diff(np.array([nan, 1.0, 2.0]), np.array([1.0, nan, 2.0]), "float32", 0, 0)
    assert moved.mismatched == 2
    assert moved.nan_mismatched == 2 and moved.first_nan_mismatch_index == [0]


def test_infinities_match_only_with_the_same_sign_in_the_same_place():
    inf = float("inf")
    assert value_diff(np.array([inf, -inf]), np.array([inf, -inf]), "float64", 0, 0).mismatched == 0
    flipped = value_diff(np.array([inf, 1.0]), np.array([-inf, 1.0]), "float64", 1.0, 1.0)
    assert flipped.mismatched == 1 and flipped.inf_mismatched == 1
    assert flipped.first_inf_mismatch_index == [0]


def test_default_tolerances_are_assert_closes_table():
    table = ToleranceTable()
    assert table.for_dtype("float32") == (1.3e-6, 1e-5)
    assert table.for_dtype("float64") == (1e-7, 1e-7)
    assert table.for_dtype("float16") == (1e-3, 1e-5)
    assert table.for_dtype("int64") == (0.0, 0.0)
    assert table.for_dtype("bool") == (0.0, 0.0)


def test_a_difference_inside_float32_tolerance_matches_and_outside_does_not():
    inside = compare_observations("t", tensor_obs([1.0]), tensor_obs([1.0 + 5e-6]), 1.3e-6, 1e-5)
    outside = compare_observations("t", tensor_obs([1.0]), tensor_obs([1.0 + 5e-5]), 1.3e-6, 1e-5)
    assert inside.status == MATCH and inside.diff is not None and inside.diff.max_abs_diff > 0
    assert outside.status == MISMATCH and outside.reasons == ["values"]


def test_integers_must_be_equal_exactly():
    result = compare_observations("t", tensor_obs([1, 2], "int64"), tensor_obs([1, 3], "int64"))
    assert result.status == MISMATCH
    assert "Tensor-likes are not equal!" in result.message


def test_case_tolerances_override_the_table_per_observation_name():
    table = ToleranceTable({"float32": (1e-3, 1e-3)})
    assert resolve("x.grad", "float32", table) == (1e-3, 1e-3)
    assert resolve("x.grad", "float32", table, rtol=0.5) == (0.5, 1e-3)
    assert resolve("x.grad", "float32", table, atol={"x.*": 0.25}) == (1e-3, 0.25)
    assert resolve("y", "float32", table, atol={"x.*": 0.25}) == (1e-3, 1e-3)
    assert resolve("f", "python_float", ToleranceTable()) == DEFAULT_TOLERANCES["python_float"]


def test_failure_message_reads_like_assert_close():
    expected, actual = torch.tensor([1.0, 2.5, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    with pytest.raises(AssertionError) as torch_error:
        torch.testing.assert_close(actual, expected)
    ours = compare_observations(
        "t", tensor_obs(expected.numpy()), tensor_obs(actual.numpy()), 1.3e-6, 1e-5
    )
    theirs = str(torch_error.value).splitlines()
    assert ours.message.splitlines()[:4] == theirs[:4]
    # torch divides in float32 (0.20000000298...); the harness divides in float64.
    assert ours.message.splitlines()[4] == (
        "Greatest relative difference: 0.2 at index (1,) (up to 1.3e-06 allowed)"
    )
    assert "Greatest ULP distance: 2097152 at index (1,)" in ours.message


def test_zero_dimensional_mismatch_reads_like_assert_close_scalars():
    ours = compare_observations("t", tensor_obs(1.0), tensor_obs(1.5), 1.3e-6, 1e-5)
    assert ours.message.splitlines()[:5] == [
        "Scalars are not close!",
        "",
        "Expected 1.0 but got 1.5.",
        "Absolute difference: 0.5 (up to 1e-05 allowed)",
        "Relative difference: 0.5 (up to 1.3e-06 allowed)",
    ]


def test_shape_dtype_and_flags_are_compared_exactly_with_values_still_measured():
    baseline = tensor_obs([1.0, 2.0], requires_grad=True, is_leaf=False, grad_fn="MulBackward0")
    candidate = tensor_obs([1.0, 2.0], "float64", requires_grad=False, is_leaf=True)
    result = compare_observations("y", baseline, candidate)
    assert result.reasons == ["dtype", "requires_grad", "is_leaf", "grad_fn"]
    assert (
        "The values for attribute 'grad_fn' do not match: MulBackward0 != None." in result.message
    )
    assert result.diff is not None and result.diff.mismatched == 0


def test_different_shapes_are_a_mismatch_without_element_differences():
    result = compare_observations("y", tensor_obs([1.0, 2.0]), tensor_obs([1.0]))
    assert result.reasons == ["shape"] and result.diff is None


def test_exception_messages_are_normalised_before_comparing():
    raw = "bad thing at 0x7f3a2c1b90d0\n(Triggered internally at /pytorch/aten/src/x.cpp:12.)"
    assert normalise_message(raw) == "bad thing at 0x?"
    baseline = RaisedObservation("e", "RuntimeError", "node <X object at 0x7f00aa> failed")
    candidate = RaisedObservation("e", "RuntimeError", "node <X object at 0x1234> failed")
    assert compare_observations("e", baseline, candidate).status == MATCH


def test_a_message_mismatch_is_reported_apart_from_a_type_mismatch():
    baseline = RaisedObservation("e", "RuntimeError", "one")
    assert compare_observations(
        "e", baseline, RaisedObservation("e", "RuntimeError", "two")
    ).reasons == ["message"]
    assert compare_observations(
        "e", baseline, RaisedObservation("e", "ValueError", "one")
    ).reasons == ["type"]
    assert compare_observations(
        "e", baseline, RaisedObservation("e", "ValueError", "two")
    ).reasons == ["type", "message"]


def test_missing_and_extra_observations_are_reported_by_name():
    missing = compare_observations("a", tensor_obs([1.0]), None)
    extra = compare_observations("b", None, ValueObservation("b", "int", 3))
    assert (missing.status, extra.status) == (MISSING, EXTRA)
    assert "missing on the candidate" in missing.message


def test_plain_values_compare_by_type_and_value():
    def pair(a, b, rtol=0.0, atol=0.0):
        left = ValueObservation("v", type(a).__name__, a)
        right = ValueObservation("v", type(b).__name__, b)
        return compare_observations("v", left, right, rtol, atol)

    assert pair(True, True).status == MATCH
    assert pair(True, 1).reasons == ["kind"]
    assert pair("AddBackward0", "MulBackward0").reasons == ["value"]
    assert pair(0.1 + 0.2, 0.3).reasons == ["values"]
    assert pair(0.1 + 0.2, 0.3, *DEFAULT_TOLERANCES["python_float"]).status == MATCH
    assert pair(1.0, 1.1, *DEFAULT_TOLERANCES["python_float"]).reasons == ["values"]


def test_a_value_where_an_exception_was_expected_is_a_kind_mismatch():
    result = compare_observations(
        "second",
        RaisedObservation("second", "RuntimeError", "freed"),
        ValueObservation("second", "none", None),
    )
    assert result.reasons == ["kind"]
    assert "expected raised RuntimeError: freed, got none None" in result.message


@pytest.mark.parametrize(
    "array",
    [
        np.array([1.5, -2.25, 0.0], dtype=np.float32),
        np.array([[1.0, 2.0], [3.0, 4.0]]),
        np.array(7.0),
        np.array([], dtype=np.float64),
        np.array([np.nan, 1.0, np.inf]),
        np.array([3, -4, 5], dtype=np.int64),
        np.array([True, False]),
        np.array([1 + 2j, -3j]),
        np.array([[np.nan, np.nan]], dtype=np.float32),
    ],
    ids=["float32", "float64-2d", "0-d", "empty", "nan-inf", "int", "bool", "complex", "all-nan"],
)
def test_a_reading_alike_on_both_sides_gets_value_diffs_own_figures(array):
    """compare_tensors skips value_diff for readings with the same bits: the figures it writes
    must be the ones value_diff computes, NaN and infinity placement included."""
    dtype = str(array.dtype)
    baseline = tensor_obs(array.copy(), dtype, "x")
    candidate = tensor_obs(array.copy(), dtype, "x")
    compared = compare_observations("x", baseline, candidate, 1e-5, 1e-8)
    assert compared.status == "match"
    assert compared.diff == value_diff(array, array.copy(), dtype, 1e-5, 1e-8)
