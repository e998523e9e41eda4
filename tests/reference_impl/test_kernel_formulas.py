"""Where two exact formulas round differently, reference_impl computes torch's kernel's.

``sigmoid`` is ``1 / (1 + exp(-x))`` in torch's CPU kernel for every x (half precision in
float32, rounded once). The overflow-free ``e / (1 + e)`` for negative x is as exact, but rounds
differently for about a quarter of negative inputs: each difference an ULP that every campaign
then reports as a precision difference of the reference's own making. The rows are inputs where
the two formulas differ, with the result torch 2.13.0 printed
(``tests/harness/test_kernel_formulas_hold_on_torch.py`` checks them on the torch under test).
"""

from __future__ import annotations

import numpy as np
import pytest

import reference_impl

#: (dtype, x, torch.sigmoid(x)) as float.hex() of the values.
SIGMOID_ROWS = [
    ("float32", "-0x1.fca504p-1", "0x1.14b7aap-2"),
    ("float32", "-0x1.3bbb6ep+2", "0x1.d4a74p-8"),
    ("float32", "-0x1.f3b7ccp+0", "0x1.fd448p-4"),
    ("float32", "-0x1.64p+6", "0x0p+0"),  # -89: exp(89) overflows, where e / (1 + e) is 2e-39
    ("float64", "-0x1.1af109d36f555p+1", "0x1.94bd3144597fdp-4"),
    ("float64", "-0x1.029ec579128f3p+1", "0x1.df852d8d48ee4p-4"),
    ("float64", "-0x1.f5c80e2441938p+2", "0x1.9c7dbbf1d1227p-12"),
    ("float16", "-0x1.648p+0", "0x1.978p-3"),
    ("float16", "-0x1.fa4p+1", "0x1.34p-6"),
    ("float16", "-0x1.324p+1", "0x1.57p-4"),
]


def sigmoid_of(module, dtype: str, x: str) -> float:
    """``module.sigmoid`` of the one-element tensor ``x`` (given as float.hex())."""
    t = module.tensor([float.fromhex(x)], dtype=getattr(module, dtype))
    return float(module.sigmoid(t).detach().numpy()[0])


@pytest.mark.parametrize(("dtype", "x", "expected"), SIGMOID_ROWS)
def test_sigmoid_rounds_as_torchs_kernel(dtype, x, expected):
    assert sigmoid_of(reference_impl, dtype, x) == float.fromhex(expected)


def test_sigmoid_saturates_without_a_warning_where_exp_overflows():
    x = reference_impl.tensor([-1000.0, 0.0, 1000.0], dtype=reference_impl.float32)
    with np.errstate(all="raise"):  # a warning NumPy raised would be an error here
        y = reference_impl.sigmoid(x).numpy()
    assert y.tolist() == [0.0, 0.5, 1.0]
