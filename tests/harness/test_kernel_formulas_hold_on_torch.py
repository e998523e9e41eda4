"""The kernel-formula rows of ``tests/reference_impl/test_kernel_formulas.py`` are what the
installed torch computes: they were printed by torch 2.13.0, and this keeps them honest."""

from __future__ import annotations

import pytest
import torch

from tests.reference_impl.test_kernel_formulas import SIGMOID_ROWS, sigmoid_of


@pytest.mark.parametrize(("dtype", "x", "expected"), SIGMOID_ROWS)
def test_torch_sigmoid_gives_the_tables_result(dtype, x, expected):
    assert sigmoid_of(torch, dtype, x) == float.fromhex(expected)
