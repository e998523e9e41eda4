"""The layout table of ``tests/reference_impl/test_layout.py`` is what the installed torch does:
its rows were printed by torch 2.13.0, and this keeps them honest on the torch under test."""

from __future__ import annotations

import pytest
import torch

from tests.reference_impl.test_layout import ROWS, strides_of


@pytest.mark.parametrize(("expression", "strides"), ROWS, ids=[row[0] for row in ROWS])
def test_torch_lays_the_result_out_as_the_table_says(expression, strides):
    assert strides_of(torch, expression) == strides


def test_torch_reshapes_a_scatter_add_of_a_transposed_tensor_as_a_view():
    x = torch.arange(9.0).reshape(3, 3).requires_grad_()
    a = torch.atan(x.t())
    index = torch.tensor([[0, 1, 2], [2, 1, 0], [1, 1, 1]])
    assert type(a.scatter_add(0, index, a).flatten().grad_fn).__name__ == "ViewBackward0"
    assert type((a * x).flatten().grad_fn).__name__ == "UnsafeViewBackward0"
