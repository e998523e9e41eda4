"""docs/semantics.md §9: higher-order derivatives and ``autograd.grad``.

Observed on torch 2.13 (semantics §9).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import reference_impl as torch
from tests.helpers import leaf, raises_exactly

CYCLE_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter "
    "and its gradient which can cause a memory leak. We recommend using autograd.grad when "
    "creating the graph to avoid this. If you have to use this function, make sure to reset the "
    ".grad fields of your parameters to None after use to break the cycle and avoid the leak."
)


def test_three_chained_grads_of_cube():  # semantics §9
    x = leaf(1.0, 2.0)
    (g1,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    assert g1.tolist() == [3.0, 12.0]
    (g2,) = torch.autograd.grad(g1.sum(), x, create_graph=True)
    assert g2.tolist() == [6.0, 12.0]
    (g3,) = torch.autograd.grad(g2.sum(), x, create_graph=True)
    assert g3.tolist() == [6.0, 6.0]


def test_grad_without_create_graph_is_a_constant():  # semantics §9
    x = leaf(1.0, 2.0)
    (g,) = torch.autograd.grad((x**3).sum(), x)
    assert g.requires_grad is False
    assert g.grad_fn is None


def test_grad_with_create_graph_requires_grad():  # semantics §9
    x = leaf(1.0, 2.0)
    (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad is True
    assert g.is_leaf is False


def test_second_derivative_of_sin_is_minus_sin():  # semantics §9
    x = leaf(0.5, 1.0)
    (g,) = torch.autograd.grad(torch.sin(x).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    assert h.tolist() == pytest.approx([-math.sin(0.5), -math.sin(1.0)], rel=1e-6)


def test_second_derivative_of_sigmoid():  # semantics §9
    x = leaf(0.0, 1.0)
    (g,) = torch.autograd.grad(x.sigmoid().sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    s = 1 / (1 + math.exp(-1.0))
    assert h.tolist() == pytest.approx([0.0, s * (1 - s) * (1 - 2 * s)], abs=1e-6)


def test_mixed_second_derivative():  # semantics §9
    x = leaf(2.0)
    y = leaf(3.0)
    (gx,) = torch.autograd.grad((x * x * y).sum(), x, create_graph=True)
    (gxy,) = torch.autograd.grad(gx.sum(), y)
    assert gx.tolist() == [12.0]
    assert gxy.tolist() == [4.0]


def test_backward_of_create_graph_grad_accumulates_second_derivative():  # semantics §9
    x = leaf(1.0, 2.0)
    (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    g.sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]


_WARN_SCRIPT = """
import warnings
import {module} as torch
counts = []
for _ in range(2):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (x ** 2).sum().backward(create_graph=True)
    counts.append([(w.category.__name__, str(w.message)) for w in caught])
print(json.dumps(counts))
"""


def test_backward_create_graph_warns_about_reference_cycle_once_per_process():
    # semantics §9; torch emits it once per process (C++ TORCH_WARN_ONCE), so the check
    # runs in a fresh interpreter
    script = "import json\n" + _WARN_SCRIPT.format(module=torch.__name__)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    first, second = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(first) == 1
    category, message = first[0]
    assert category == "UserWarning"
    assert message.startswith(CYCLE_WARNING)
    assert second == []


def test_autograd_grad_with_create_graph_does_not_warn():  # semantics §9
    x = leaf(1.0, 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.autograd.grad((x**2).sum(), x, create_graph=True)


def test_autograd_grad_returns_a_tuple():  # semantics §9
    x = leaf(1.0, 2.0)
    result = torch.autograd.grad((x * 2).sum(), x)
    assert type(result) is tuple
    assert len(result) == 1


def test_autograd_grad_with_several_inputs_returns_one_grad_each():  # semantics §9
    x = leaf(1.0, 2.0)
    w = leaf(3.0, 4.0)
    gx, gw = torch.autograd.grad((x * w).sum(), [x, w])
    assert gx.tolist() == [3.0, 4.0]
    assert gw.tolist() == [1.0, 2.0]


def test_autograd_grad_sums_over_multiple_outputs():  # semantics §9
    x = leaf(1.0, 2.0)
    (g,) = torch.autograd.grad([(x * 2).sum(), (x * x).sum()], x)
    assert g.tolist() == [4.0, 6.0]


def test_autograd_grad_with_respect_to_a_non_leaf():  # semantics §9
    x = leaf(1.0, 2.0)
    h = x * 2
    (g,) = torch.autograd.grad((h * h).sum(), h)
    assert g.tolist() == [4.0, 8.0]
    assert x.grad is None


def test_unused_input_raises():  # semantics §9
    x = leaf(1.0, 2.0)
    unused = leaf(3.0)
    with raises_exactly(
        RuntimeError,
        "The differentiated Tensor at index 1 appears to not have been used in the graph. Set "
        "allow_unused=True if this is the desired behavior.",
    ):
        torch.autograd.grad((x * 2).sum(), [x, unused])


def test_allow_unused_gives_none_for_unused_input():  # semantics §9
    x = leaf(1.0, 2.0)
    unused = leaf(3.0)
    gx, gu = torch.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0]
    assert gu is None


def test_materialize_grads_gives_zeros_for_unused_input():  # semantics §9
    x = leaf(1.0, 2.0)
    unused = leaf(3.0, 4.0, 5.0)
    _, gu = torch.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    assert gu.tolist() == [0.0, 0.0, 0.0]


def test_input_that_does_not_require_grad_raises():  # semantics §9
    x = leaf(1.0, 2.0)
    c = torch.ones(2)
    with raises_exactly(RuntimeError, "One of the differentiated Tensors does not require grad"):
        torch.autograd.grad((x * c).sum(), [x, c])


def test_connected_zero_graph_gives_zero_grad():  # semantics §9
    x = leaf(1.0, 2.0)
    (g,) = torch.autograd.grad(x.sum() * 0 + torch.ones(()), x)
    assert g.tolist() == [0.0, 0.0]


def test_grad_of_grad_through_non_scalar_with_grad_outputs():  # semantics §9
    x = leaf(1.0, 2.0)
    y = x**2
    (g,) = torch.autograd.grad(y, x, grad_outputs=torch.ones(2), create_graph=True)
    (h,) = torch.autograd.grad(g, x, grad_outputs=torch.ones(2))
    assert g.tolist() == [2.0, 4.0]
    assert h.tolist() == [2.0, 2.0]


def test_create_graph_grad_can_be_used_again_thanks_to_retained_graph():  # semantics §9
    x = leaf(1.0, 2.0)
    y = (x**3).sum()
    (g1,) = torch.autograd.grad(y, x, create_graph=True)
    (g2,) = torch.autograd.grad(y, x, create_graph=True)
    assert g1.tolist() == g2.tolist() == [3.0, 12.0]
    assert g1 is not g2


def test_second_order_graph_is_freed_after_use():  # semantics §9
    x = leaf(1.0, 2.0)
    (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    s = (g * g).sum()
    torch.autograd.grad(s, x)
    with pytest.raises(RuntimeError, match=r"^Trying to backward through the graph a second time"):
        torch.autograd.grad(s, x)


def test_hessian_vector_product_via_double_grad():  # semantics §9
    x = leaf(1.0, 2.0)
    v = torch.tensor([1.0, 0.5])
    (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    (hv,) = torch.autograd.grad((g * v).sum(), x)
    assert hv.tolist() == [6.0, 6.0]  # diag(6x) @ v
