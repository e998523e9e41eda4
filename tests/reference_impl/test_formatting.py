"""Pins reference_impl's tensor text to what torch 2.13 prints, character for character.

Every expected string below was produced once by ``repr()`` of the matching torch tensor (with
``str()`` checked to be identical) and pasted here, so this file never imports torch. The value
factories use only exactly-rounded NumPy arithmetic, so the inputs are bit-identical everywhere.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

_MODULE_PATH = Path(__file__).resolve().parents[2] / "reference_impl" / "_formatting.py"


def _load_formatting() -> ModuleType:
    """Import the module normally, or by path while the package has no ``__init__`` yet."""
    try:
        return importlib.import_module("reference_impl._formatting")
    except ModuleNotFoundError as exc:
        if exc.name not in ("reference_impl", "reference_impl._formatting"):
            raise
        spec = importlib.util.spec_from_file_location("_formatting_under_test", _MODULE_PATH)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


fmt = _load_formatting()


@dataclass(frozen=True)
class Case:
    """One tensor and the exact text torch prints for it."""

    name: str
    make: Callable[[], object]
    expected: str
    dtype: str = "float32"
    default: str = "float32"
    requires_grad: bool = False
    grad_fn_name: str | None = None
    prefix: str = "tensor("

    def render(self) -> str:
        """Format the case's values the way the engine's Tensor.__repr__ will."""
        values = np.asarray(self.make(), dtype=np.dtype(self.dtype))
        return fmt.format_tensor(
            values,
            dtype_name=f"torch.{self.dtype}",
            default_dtype_name=f"torch.{self.default}",
            requires_grad=self.requires_grad,
            grad_fn_name=self.grad_fn_name,
            prefix=self.prefix,
        )


CASES = [
    Case(
        "scalar_integer_valued_float_prints_trailing_dot",
        lambda: np.array(27.0),
        expected="tensor(27.)",
    ),
    Case(
        "scalar_fraction_prints_four_decimals",
        lambda: np.array(3.14159),
        expected="tensor(3.1416)",
    ),
    Case(
        "scalar_int64_has_no_dtype_suffix",
        lambda: np.array(5),
        dtype="int64",
        expected="tensor(5)",
    ),
    Case(
        "scalar_int32_shows_dtype",
        lambda: np.array(-7),
        dtype="int32",
        expected="tensor(-7, dtype=torch.int32)",
    ),
    Case(
        "scalar_bool",
        lambda: np.array(True),
        dtype="bool",
        expected="tensor(True)",
    ),
    Case(
        "scalar_float64_shows_dtype",
        lambda: np.array(2.5),
        dtype="float64",
        expected="tensor(2.5000, dtype=torch.float64)",
    ),
    Case(
        "scalar_requires_grad_leaf",
        lambda: np.array(27.0),
        requires_grad=True,
        expected="tensor(27., requires_grad=True)",
    ),
    Case(
        "scalar_grad_fn_replaces_requires_grad",
        lambda: np.array(6.5),
        grad_fn_name="SumBackward0",
        expected="tensor(6.5000, grad_fn=<SumBackward0>)",
    ),
    Case(
        "scalar_nan",
        lambda: np.array(np.nan),
        expected="tensor(nan)",
    ),
    Case(
        "scalar_negative_inf",
        lambda: np.array(-np.inf),
        expected="tensor(-inf)",
    ),
    Case(
        "scalar_tiny_uses_scientific",
        lambda: np.array(1e-5),
        expected="tensor(1.0000e-05)",
    ),
    Case(
        "scalar_zero",
        lambda: np.array(0.0),
        expected="tensor(0.)",
    ),
    Case(
        "scalar_negative_zero_keeps_sign",
        lambda: np.array(-0.0),
        expected="tensor(-0.)",
    ),
    Case(
        "scalar_complex64",
        lambda: np.array(1.5 - 2j),
        dtype="complex64",
        expected="tensor(1.5000-2.j)",
    ),
    Case(
        "vector_integer_valued_floats",
        lambda: np.array([1.0, 2.0, 3.0]),
        expected="tensor([1., 2., 3.])",
    ),
    Case(
        "vector_fractions_fixed_point",
        lambda: np.array([769.4481, 488.8492, 887.1036]),
        expected="tensor([769.4481, 488.8492, 887.1036])",
    ),
    Case(
        "vector_ratio_over_1000_uses_scientific",
        lambda: np.array([102.4, 1024.0, 0.1024]),
        expected="tensor([1.0240e+02, 1.0240e+03, 1.0240e-01])",
    ),
    Case(
        "vector_ratio_exactly_1000_stays_fixed",
        lambda: np.array([1.0, 1000.0]),
        expected="tensor([   1., 1000.])",
    ),
    Case(
        "vector_ratio_just_over_1000_uses_scientific",
        lambda: np.array([1.0, 1001.0]),
        expected="tensor([1.0000e+00, 1.0010e+03])",
    ),
    Case(
        "vector_max_over_1e8_uses_scientific",
        lambda: np.array([2e8, 3e8]),
        expected="tensor([2.0000e+08, 3.0000e+08])",
    ),
    Case(
        "vector_max_exactly_1e8_stays_int_mode",
        lambda: np.array([1e8, 2e5]),
        expected="tensor([100000000.,    200000.])",
    ),
    Case(
        "vector_min_under_1e_4_uses_scientific",
        lambda: np.array([5e-5, 9e-5]),
        expected="tensor([5.0000e-05, 9.0000e-05])",
    ),
    Case(
        "vector_float32_1e_4_rounds_below_threshold",
        lambda: np.array([1e-4, 2e-4]),
        expected="tensor([1.0000e-04, 2.0000e-04])",
    ),
    Case(
        "vector_float64_1e_4_stays_fixed",
        lambda: np.array([1e-4, 2e-4]),
        dtype="float64",
        expected="tensor([0.0001, 0.0002], dtype=torch.float64)",
    ),
    Case(
        "vector_negative_values_align",
        lambda: np.array([-1.5, 2.25, -30.125]),
        expected="tensor([ -1.5000,   2.2500, -30.1250])",
    ),
    Case(
        "vector_negative_integer_valued_align",
        lambda: np.array([-1.0, 10.0, -100.0]),
        expected="tensor([  -1.,   10., -100.])",
    ),
    Case(
        "vector_rounds_to_four_decimals",
        lambda: np.array([0.1, 0.12345678, 2.0 / 3.0]),
        expected="tensor([0.1000, 0.1235, 0.6667])",
    ),
    Case(
        "vector_nan_inf_with_fractions_pad_to_width",
        lambda: np.array([1.5, np.nan, np.inf, -np.inf]),
        expected="tensor([1.5000,    nan,    inf,   -inf])",
    ),
    Case(
        "vector_nan_inf_in_int_mode_have_no_dot",
        lambda: np.array([1.0, 10.0, np.nan, np.inf]),
        expected="tensor([ 1., 10., nan, inf])",
    ),
    Case(
        "vector_nan_wider_than_int_column",
        lambda: np.array([1.0, np.nan, -np.inf]),
        expected="tensor([1., nan, -inf])",
    ),
    Case(
        "vector_all_nan",
        lambda: np.array([np.nan, np.nan]),
        expected="tensor([nan, nan])",
    ),
    Case(
        "vector_zero_with_fraction",
        lambda: np.array([0.0, 0.5]),
        expected="tensor([0.0000, 0.5000])",
    ),
    Case(
        "vector_all_zeros",
        lambda: np.zeros(4),
        expected="tensor([0., 0., 0., 0.])",
    ),
    Case(
        "vector_zeros_ignored_for_scientific_ratio",
        lambda: np.array([0.0, 1e-5, 1.0]),
        expected="tensor([0.0000e+00, 1.0000e-05, 1.0000e+00])",
    ),
    Case(
        "vector_scientific_negative_mixed",
        lambda: np.array([-1e-5, 1e5, 3.0]),
        expected="tensor([-1.0000e-05,  1.0000e+05,  3.0000e+00])",
    ),
    Case(
        "vector_scientific_nan_is_padded",
        lambda: np.array([1e-5, np.nan, 1.0]),
        expected="tensor([1.0000e-05,        nan, 1.0000e+00])",
    ),
    Case(
        "vector_int_mode_scientific_above_1e8",
        lambda: np.array([1e9, -2e9, 3.0e10]),
        expected="tensor([ 1.0000e+09, -2.0000e+09,  3.0000e+10])",
    ),
    Case(
        "vector_large_integer_valued_below_1e8",
        lambda: np.array([12345678.0, 1.0e5]),
        expected="tensor([12345678.,   100000.])",
    ),
    Case(
        "vector_float16_shows_dtype",
        lambda: np.array([1.5, 2.0, -0.25]),
        dtype="float16",
        expected="tensor([ 1.5000,  2.0000, -0.2500], dtype=torch.float16)",
    ),
    Case(
        "vector_float16_scientific",
        lambda: np.array([1e-3, 60000.0]),
        dtype="float16",
        expected="tensor([1.0004e-03, 6.0000e+04], dtype=torch.float16)",
    ),
    Case(
        "vector_float64_shows_dtype",
        lambda: np.array([1.0, 2.0]) / 3.0,
        dtype="float64",
        expected="tensor([0.3333, 0.6667], dtype=torch.float64)",
    ),
    Case(
        "vector_int64_negative_width",
        lambda: np.array([-100, 5, 20]),
        dtype="int64",
        expected="tensor([-100,    5,   20])",
    ),
    Case(
        "vector_int32_shows_dtype",
        lambda: np.array([1, 22, 333]),
        dtype="int32",
        expected="tensor([  1,  22, 333], dtype=torch.int32)",
    ),
    Case(
        "vector_uint8_shows_dtype",
        lambda: np.array([0, 128, 255]),
        dtype="uint8",
        expected="tensor([  0, 128, 255], dtype=torch.uint8)",
    ),
    Case(
        "vector_int16_shows_dtype",
        lambda: np.array([-3, 4]),
        dtype="int16",
        expected="tensor([-3,  4], dtype=torch.int16)",
    ),
    Case(
        "vector_int64_extreme_values",
        lambda: np.array([2**62, -(2**62), 0]),
        dtype="int64",
        expected="tensor([ 4611686018427387904, -4611686018427387904,                    0])",
    ),
    Case(
        "vector_bool_true_padded_to_false_width",
        lambda: np.array([True, False, True]),
        dtype="bool",
        expected="tensor([ True, False,  True])",
    ),
    Case(
        "vector_bool_all_true_unpadded",
        lambda: np.array([True, True]),
        dtype="bool",
        expected="tensor([True, True])",
    ),
    Case(
        "vector_complex64_default_complex_no_dtype",
        lambda: np.array([1 + 2j, -3.5 - 0.5j, 0j]),
        dtype="complex64",
        expected="tensor([ 1.0000+2.0000j, -3.5000-0.5000j,  0.0000+0.0000j])",
    ),
    Case(
        "vector_complex128_shows_dtype",
        lambda: np.array([1e-5 + 1j, 2 - 3j]),
        dtype="complex128",
        expected="tensor([1.0000e-05+1.j, 2.0000e+00-3.j], dtype=torch.complex128)",
    ),
    Case(
        "matrix_integer_valued",
        lambda: np.array([[1.0, 2.0], [3.0, 4.0]]),
        expected="tensor([[1., 2.],\n        [3., 4.]])",
    ),
    Case(
        "matrix_fractions_with_negatives",
        lambda: np.array([[0.5, -1.25, 3.0], [-10.5, 7.75, 0.0]]),
        expected=(
            "tensor([[  0.5000,  -1.2500,   3.0000],\n        [-10.5000,   7.7500,   0.0000]])"
        ),
    ),
    Case(
        "tensor3d_blank_line_between_blocks",
        lambda: np.arange(24.0).reshape(2, 3, 4),
        expected=(
            "tensor([[[ 0.,  1.,  2.,  3.],\n"
            "         [ 4.,  5.,  6.,  7.],\n"
            "         [ 8.,  9., 10., 11.]],\n"
            "\n"
            "        [[12., 13., 14., 15.],\n"
            "         [16., 17., 18., 19.],\n"
            "         [20., 21., 22., 23.]]])"
        ),
    ),
    Case(
        "tensor4d_two_blank_lines",
        lambda: np.arange(16).reshape(2, 2, 2, 2),
        dtype="int64",
        expected=(
            "tensor([[[[ 0,  1],\n"
            "          [ 2,  3]],\n"
            "\n"
            "         [[ 4,  5],\n"
            "          [ 6,  7]]],\n"
            "\n"
            "\n"
            "        [[[ 8,  9],\n"
            "          [10, 11]],\n"
            "\n"
            "         [[12, 13],\n"
            "          [14, 15]]]])"
        ),
    ),
    Case(
        "matrix_transposed_view",
        lambda: np.arange(6.0).reshape(2, 3).T,
        expected="tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]])",
    ),
    Case(
        "tensor3d_single_elements",
        lambda: np.array([[[1.5, -2.0, 3.0]]]),
        expected="tensor([[[ 1.5000, -2.0000,  3.0000]]])",
    ),
    Case(
        "vector_wide_row_wraps",
        lambda: np.arange(30.0) * 1.5,
        expected=(
            "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
            "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n"
            "        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n"
            "        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000])"
        ),
    ),
    Case(
        "vector_int_wraps_at_linewidth",
        lambda: np.arange(100),
        dtype="int64",
        expected=(
            "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
            "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n"
            "        36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,\n"
            "        54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,\n"
            "        72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89,\n"
            "        90, 91, 92, 93, 94, 95, 96, 97, 98, 99])"
        ),
    ),
    Case(
        "matrix_wide_rows_wrap_with_indent",
        lambda: (np.arange(40.0).reshape(2, 20) * 7919 % 1000 - 500) / 37,
        expected=(
            "tensor([[-13.5135,  11.3243,   9.1351,   6.9459,   4.7568,   2.5676,   0.3784,\n"
            "          -1.8108,  -4.0000,  -6.1892,  -8.3784, -10.5676, -12.7568,  12.0811,\n"
            "           9.8919,   7.7027,   5.5135,   3.3243,   1.1351,  -1.0541],\n"
            "        [ -3.2432,  -5.4324,  -7.6216,  -9.8108, -12.0000,  12.8378,  10.6486,\n"
            "           8.4595,   6.2703,   4.0811,   1.8919,  -0.2973,  -2.4865,  -4.6757,\n"
            "          -6.8649,  -9.0541, -11.2432, -13.4324,  11.4054,   9.2162]])"
        ),
    ),
    Case(
        "tensor3d_wide_rows_wrap_with_deeper_indent",
        lambda: (np.arange(60.0).reshape(2, 2, 15) * 7919 % 1000) / 7,
        dtype="float64",
        expected=(
            "tensor([[[  0.0000, 131.2857, 119.7143, 108.1429,  96.5714,  85.0000,  73.4286,\n"
            "           61.8571,  50.2857,  38.7143,  27.1429,  15.5714,   4.0000, 135.2857,\n"
            "          123.7143],\n"
            "         [112.1429, 100.5714,  89.0000,  77.4286,  65.8571,  54.2857,  42.7143,\n"
            "           31.1429,  19.5714,   8.0000, 139.2857, 127.7143, 116.1429, 104.5714,\n"
            "           93.0000]],\n"
            "\n"
            "        [[ 81.4286,  69.8571,  58.2857,  46.7143,  35.1429,  23.5714,  12.0000,\n"
            "            0.4286, 131.7143, 120.1429, 108.5714,  97.0000,  85.4286,  73.8571,\n"
            "           62.2857],\n"
            "         [ 50.7143,  39.1429,  27.5714,  16.0000,   4.4286, 135.7143, 124.1429,\n"
            "          112.5714, 101.0000,  89.4286,  77.8571,  66.2857,  54.7143,  43.1429,\n"
            "           31.5714]]], dtype=torch.float64)"
        ),
    ),
    Case(
        "vector_1000_elements_not_summarised",
        lambda: np.arange(1000) % 10,
        dtype="int64",
        expected=(
            "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n"
            "        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n"
            "        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n"
            "        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n"
            "        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n"
            "        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n"
            "        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n"
            "        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n"
            "        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n"
            "        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n"
            "        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n"
            "        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n"
            "        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n"
            "        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n"
            "        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n"
            "        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n"
            "        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n"
            "        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n"
            "        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n"
            "        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n"
            "        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n"
            "        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n"
            "        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n"
            "        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n"
            "        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n"
            "        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n"
            "        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n"
            "        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n"
            "        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n"
            "        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n"
            "        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n"
            "        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n"
            "        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n"
            "        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n"
            "        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n"
            "        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n"
            "        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n"
            "        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n"
            "        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n"
            "        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n"
            "        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n"
            "        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"
        ),
    ),
    Case(
        "summarised_vector_2000_float_uses_edge_values",
        lambda: np.arange(2000.0),
        expected=(
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
            "        1.9990e+03])"
        ),
    ),
    Case(
        "summarised_vector_1001_int",
        lambda: np.arange(1001) - 500,
        dtype="int64",
        expected="tensor([-500, -499, -498,  ...,  498,  499,  500])",
    ),
    Case(
        "summarised_matrix_100x100",
        lambda: (np.arange(10000.0).reshape(100, 100) * 7919 % 10007) / 101,
        expected=(
            "tensor([[ 0.0000, 78.4059, 57.7327,  ..., 75.3564, 54.6832, 34.0099],\n"
            "        [13.3366, 91.7426, 71.0693,  ..., 88.6931, 68.0198, 47.3465],\n"
            "        [26.6733,  6.0000, 84.4059,  ...,  2.9505, 81.3564, 60.6832],\n"
            "        ...,\n"
            "        [ 5.6238, 84.0297, 63.3564,  ..., 80.9802, 60.3069, 39.6337],\n"
            "        [18.9604, 97.3663, 76.6931,  ..., 94.3168, 73.6436, 52.9703],\n"
            "        [32.2970, 11.6238, 90.0297,  ...,  8.5743, 86.9802, 66.3069]])"
        ),
    ),
    Case(
        "summarised_hidden_extreme_value_ignored",
        lambda: np.concatenate([np.ones(3), np.full(1994, 1e10), np.ones(3) * 2.5]),
        expected="tensor([1.0000, 1.0000, 1.0000,  ..., 2.5000, 2.5000, 2.5000])",
    ),
    Case(
        "summarised_tensor3d",
        lambda: np.arange(2000).reshape(10, 10, 20),
        dtype="int32",
        expected=(
            "tensor([[[   0,    1,    2,  ...,   17,   18,   19],\n"
            "         [  20,   21,   22,  ...,   37,   38,   39],\n"
            "         [  40,   41,   42,  ...,   57,   58,   59],\n"
            "         ...,\n"
            "         [ 140,  141,  142,  ...,  157,  158,  159],\n"
            "         [ 160,  161,  162,  ...,  177,  178,  179],\n"
            "         [ 180,  181,  182,  ...,  197,  198,  199]],\n"
            "\n"
            "        [[ 200,  201,  202,  ...,  217,  218,  219],\n"
            "         [ 220,  221,  222,  ...,  237,  238,  239],\n"
            "         [ 240,  241,  242,  ...,  257,  258,  259],\n"
            "         ...,\n"
            "         [ 340,  341,  342,  ...,  357,  358,  359],\n"
            "         [ 360,  361,  362,  ...,  377,  378,  379],\n"
            "         [ 380,  381,  382,  ...,  397,  398,  399]],\n"
            "\n"
            "        [[ 400,  401,  402,  ...,  417,  418,  419],\n"
            "         [ 420,  421,  422,  ...,  437,  438,  439],\n"
            "         [ 440,  441,  442,  ...,  457,  458,  459],\n"
            "         ...,\n"
            "         [ 540,  541,  542,  ...,  557,  558,  559],\n"
            "         [ 560,  561,  562,  ...,  577,  578,  579],\n"
            "         [ 580,  581,  582,  ...,  597,  598,  599]],\n"
            "\n"
            "        ...,\n"
            "\n"
            "        [[1400, 1401, 1402,  ..., 1417, 1418, 1419],\n"
            "         [1420, 1421, 1422,  ..., 1437, 1438, 1439],\n"
            "         [1440, 1441, 1442,  ..., 1457, 1458, 1459],\n"
            "         ...,\n"
            "         [1540, 1541, 1542,  ..., 1557, 1558, 1559],\n"
            "         [1560, 1561, 1562,  ..., 1577, 1578, 1579],\n"
            "         [1580, 1581, 1582,  ..., 1597, 1598, 1599]],\n"
            "\n"
            "        [[1600, 1601, 1602,  ..., 1617, 1618, 1619],\n"
            "         [1620, 1621, 1622,  ..., 1637, 1638, 1639],\n"
            "         [1640, 1641, 1642,  ..., 1657, 1658, 1659],\n"
            "         ...,\n"
            "         [1740, 1741, 1742,  ..., 1757, 1758, 1759],\n"
            "         [1760, 1761, 1762,  ..., 1777, 1778, 1779],\n"
            "         [1780, 1781, 1782,  ..., 1797, 1798, 1799]],\n"
            "\n"
            "        [[1800, 1801, 1802,  ..., 1817, 1818, 1819],\n"
            "         [1820, 1821, 1822,  ..., 1837, 1838, 1839],\n"
            "         [1840, 1841, 1842,  ..., 1857, 1858, 1859],\n"
            "         ...,\n"
            "         [1940, 1941, 1942,  ..., 1957, 1958, 1959],\n"
            "         [1960, 1961, 1962,  ..., 1977, 1978, 1979],\n"
            "         [1980, 1981, 1982,  ..., 1997, 1998, 1999]]], dtype=torch.int32)"
        ),
    ),
    Case(
        "summarised_bool",
        lambda: np.arange(2000) % 3 == 0,
        dtype="bool",
        expected="tensor([ True, False, False,  ..., False,  True, False])",
    ),
    Case(
        "summarised_only_dims_longer_than_six_are_elided",
        lambda: np.arange(1002).reshape(2, 501) % 7,
        dtype="int64",
        expected="tensor([[0, 1, 2,  ..., 1, 2, 3],\n        [4, 5, 6,  ..., 5, 6, 0]])",
    ),
    Case(
        "summarised_million_elements",
        lambda: np.arange(1e6).reshape(1000, 1000) / 3,
        expected=(
            "tensor([[0.0000e+00, 3.3333e-01, 6.6667e-01,  ..., 3.3233e+02, 3.3267e+02,\n"
            "         3.3300e+02],\n"
            "        [3.3333e+02, 3.3367e+02, 3.3400e+02,  ..., 6.6567e+02, 6.6600e+02,\n"
            "         6.6633e+02],\n"
            "        [6.6667e+02, 6.6700e+02, 6.6733e+02,  ..., 9.9900e+02, 9.9933e+02,\n"
            "         9.9967e+02],\n"
            "        ...,\n"
            "        [3.3233e+05, 3.3233e+05, 3.3233e+05,  ..., 3.3267e+05, 3.3267e+05,\n"
            "         3.3267e+05],\n"
            "        [3.3267e+05, 3.3267e+05, 3.3267e+05,  ..., 3.3300e+05, 3.3300e+05,\n"
            "         3.3300e+05],\n"
            "        [3.3300e+05, 3.3300e+05, 3.3300e+05,  ..., 3.3333e+05, 3.3333e+05,\n"
            "         3.3333e+05]])"
        ),
    ),
    Case(
        "summarised_column_vector",
        lambda: np.arange(2000.0).reshape(2000, 1) - 0.5,
        expected=(
            "tensor([[-5.0000e-01],\n"
            "        [ 5.0000e-01],\n"
            "        [ 1.5000e+00],\n"
            "        ...,\n"
            "        [ 1.9965e+03],\n"
            "        [ 1.9975e+03],\n"
            "        [ 1.9985e+03]])"
        ),
    ),
    Case(
        "summarised_with_grad_fn",
        lambda: np.arange(2000.0) / 4,
        grad_fn_name="MulBackward0",
        expected=(
            "tensor([0.0000e+00, 2.5000e-01, 5.0000e-01,  ..., 4.9925e+02, 4.9950e+02,\n"
            "        4.9975e+02], grad_fn=<MulBackward0>)"
        ),
    ),
    Case(
        "empty_vector",
        lambda: np.zeros(0),
        expected="tensor([])",
    ),
    Case(
        "empty_matrix_shows_size",
        lambda: np.zeros((0, 3)),
        expected="tensor([], size=(0, 3))",
    ),
    Case(
        "empty_int64_shows_dtype",
        lambda: np.zeros(0, dtype=np.int64),
        dtype="int64",
        expected="tensor([], dtype=torch.int64)",
    ),
    Case(
        "empty_bool_shows_size_and_dtype",
        lambda: np.zeros((2, 0), dtype=bool),
        dtype="bool",
        expected="tensor([], size=(2, 0), dtype=torch.bool)",
    ),
    Case(
        "empty_requires_grad",
        lambda: np.zeros(0),
        requires_grad=True,
        expected="tensor([], requires_grad=True)",
    ),
    Case(
        "empty_float64_under_float64_default",
        lambda: np.zeros((0, 2)),
        dtype="float64",
        default="float64",
        expected="tensor([], size=(0, 2))",
    ),
    Case(
        "float32_shows_dtype_under_float64_default",
        lambda: np.array([1.5, 2.0]),
        default="float64",
        expected="tensor([1.5000, 2.0000], dtype=torch.float32)",
    ),
    Case(
        "float64_hidden_under_float64_default",
        lambda: np.array([1.5, 2.0]),
        dtype="float64",
        default="float64",
        expected="tensor([1.5000, 2.0000])",
    ),
    Case(
        "complex128_hidden_under_float64_default",
        lambda: np.array([1.5 + 1j]),
        dtype="complex128",
        default="float64",
        expected="tensor([1.5000+1.j])",
    ),
    Case(
        "vector_requires_grad_leaf",
        lambda: np.array([1.0, 2.0, 3.0]),
        requires_grad=True,
        expected="tensor([1., 2., 3.], requires_grad=True)",
    ),
    Case(
        "vector_grad_fn_add",
        lambda: np.array([0.5, 1.5]),
        grad_fn_name="AddBackward0",
        expected="tensor([0.5000, 1.5000], grad_fn=<AddBackward0>)",
    ),
    Case(
        "matrix_grad_fn_after_last_line",
        lambda: np.array([[1.0, 2.0], [3.0, 4.0]]),
        grad_fn_name="MulBackward0",
        expected="tensor([[1., 2.],\n        [3., 4.]], grad_fn=<MulBackward0>)",
    ),
    Case(
        "float64_dtype_then_requires_grad",
        lambda: np.array([1.0, 2.0]),
        dtype="float64",
        requires_grad=True,
        expected="tensor([1., 2.], dtype=torch.float64, requires_grad=True)",
    ),
    Case(
        "suffix_wraps_when_line_too_long",
        lambda: np.arange(8.0) + 0.125,
        dtype="float64",
        requires_grad=True,
        expected=(
            "tensor([0.1250, 1.1250, 2.1250, 3.1250, 4.1250, 5.1250, 6.1250, 7.1250],\n"
            "       dtype=torch.float64, requires_grad=True)"
        ),
    ),
    Case(
        "both_suffixes_wrap_together",
        lambda: np.arange(7.0) + 0.125,
        dtype="float64",
        grad_fn_name="AddBackward0",
        expected=(
            "tensor([0.1250, 1.1250, 2.1250, 3.1250, 4.1250, 5.1250, 6.1250],\n"
            "       dtype=torch.float64, grad_fn=<AddBackward0>)"
        ),
    ),
    Case(
        "second_suffix_wraps_alone",
        lambda: np.arange(4.0) + 0.125,
        dtype="float64",
        requires_grad=True,
        expected=(
            "tensor([0.1250, 1.1250, 2.1250, 3.1250], dtype=torch.float64,\n"
            "       requires_grad=True)"
        ),
    ),
    Case(
        "suffix_wraps_early_from_overestimated_line_length",
        lambda: np.ones(13),
        requires_grad=True,
        expected=(
            "tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],\n"
            "       requires_grad=True)"
        ),
    ),
    Case(
        "suffix_fits_one_element_shorter",
        lambda: np.ones(12),
        requires_grad=True,
        expected="tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.], requires_grad=True)",
    ),
    Case(
        "suffix_wraps_after_wrapped_rows",
        lambda: (np.arange(22.0) * 7919 % 1000) / 3,
        dtype="float64",
        requires_grad=True,
        expected=(
            "tensor([  0.0000, 306.3333, 279.3333, 252.3333, 225.3333, 198.3333, 171.3333,\n"
            "        144.3333, 117.3333,  90.3333,  63.3333,  36.3333,   9.3333, 315.6667,\n"
            "        288.6667, 261.6667, 234.6667, 207.6667, 180.6667, 153.6667, 126.6667,\n"
            "         99.6667], dtype=torch.float64, requires_grad=True)"
        ),
    ),
    Case(
        "subclass_prefix_sets_indent",
        lambda: np.array([[1.5, 2.0], [3.0, 4.0]]),
        prefix="MyTensor(",
        expected="MyTensor([[1.5000, 2.0000],\n          [3.0000, 4.0000]])",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_repr_matches_torch(case: Case) -> None:
    assert case.render() == case.expected


def test_case_names_are_unique() -> None:
    assert len({c.name for c in CASES}) == len(CASES)


def test_str_is_the_same_text_as_repr() -> None:
    # torch.Tensor defines no __str__, so str(t) falls back to repr(t).
    values = np.array([[0.5, -1.0], [2.0, 3.25]], dtype=np.float32)
    assert fmt.format_tensor_str(values, dtype_name="torch.float32") == fmt.format_tensor(
        values, dtype_name="torch.float32"
    )


def test_float64_input_is_rounded_to_float32_storage() -> None:
    # 1e-4 held as float32 is 9.99999974e-05 < 1e-4, so torch switches to scientific notation.
    values = np.array([1e-4, 2e-4], dtype=np.float64)
    text = fmt.format_tensor(values, dtype_name="torch.float32")
    assert text == "tensor([1.0000e-04, 2.0000e-04])"


def test_list_input_is_accepted() -> None:
    assert fmt.format_tensor([1, 2, 3], dtype_name="torch.int64") == "tensor([1, 2, 3])"


def test_formatting_module_imports_only_numpy_and_stdlib() -> None:
    # The module must stand alone: no torch, and nothing else from reference_impl.
    tree = ast.parse(_MODULE_PATH.read_text())
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative imports would pull in reference_impl"
            roots.add((node.module or "").split(".")[0])
    assert roots <= {"__future__", "collections", "math", "numpy"}


def test_formatting_module_never_imports_torch() -> None:
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('m', {str(_MODULE_PATH)!r})\n"
        "m = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(m)\n"
        "m.format_tensor(m.np.arange(2000.0), dtype_name='torch.float64')\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
