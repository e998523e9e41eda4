"""Which node torch.matmul records (mm / mv after folding the batch, or bmm), without torch.

aten's ``_matmul_impl`` folds a >=3-D operand into rows for one mm/mv only when the other
operand requires grad or the big operand's batch is row-contiguous (never for a 2-D left
operand), and squeezes a 3-D operand's unit batch when that operand requires grad. Every row
below is the whole backward graph (pre-order, AccumulateGrad left out) probed on torch 2.13.0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import reference_impl as torch

Operand = tuple[tuple[int, ...], str]

# (left operand, left requires grad, right operand, right requires grad, node names)
ROWS: list[tuple[Operand, bool, Operand, bool, tuple[str, ...]]] = [
    (
        ((2, 3, 4), "contiguous"),
        True,
        ((4, 5), "contiguous"),
        False,
        ("UnsafeViewBackward0", "MmBackward0", "ViewBackward0"),
    ),
    (
        ((2, 3, 4), "contiguous"),
        False,
        ((4, 5), "contiguous"),
        True,
        ("UnsafeViewBackward0", "MmBackward0"),
    ),
    (
        ((2, 3, 4), "contiguous"),
        True,
        ((4, 5), "contiguous"),
        True,
        ("UnsafeViewBackward0", "MmBackward0", "ViewBackward0"),
    ),
    (
        ((2, 3, 4), "transposed"),
        True,
        ((4, 5), "contiguous"),
        False,
        (
            "UnsafeViewBackward0",
            "BmmBackward0",
            "ReshapeAliasBackward0",
            "ExpandBackward0",
            "TransposeBackward0",
        ),
    ),
    (
        ((2, 3, 4), "transposed"),
        False,
        ((4, 5), "contiguous"),
        True,
        ("UnsafeViewBackward0", "MmBackward0"),
    ),
    (
        ((2, 3, 4), "transposed"),
        True,
        ((4, 5), "contiguous"),
        True,
        (
            "UnsafeViewBackward0",
            "MmBackward0",
            "UnsafeViewBackward0",
            "CloneBackward0",
            "TransposeBackward0",
        ),
    ),
    (
        ((2, 3, 4), "expanded"),
        True,
        ((4, 5), "contiguous"),
        False,
        (
            "UnsafeViewBackward0",
            "BmmBackward0",
            "ReshapeAliasBackward0",
            "ExpandBackward0",
            "ExpandBackward0",
        ),
    ),
    (
        ((2, 3, 4), "expanded"),
        False,
        ((4, 5), "contiguous"),
        True,
        ("UnsafeViewBackward0", "MmBackward0"),
    ),
    (
        ((2, 3, 4), "expanded"),
        True,
        ((4, 5), "contiguous"),
        True,
        (
            "UnsafeViewBackward0",
            "MmBackward0",
            "UnsafeViewBackward0",
            "CloneBackward0",
            "ExpandBackward0",
        ),
    ),
    (
        ((2, 3, 4), "contiguous"),
        True,
        ((4,), "contiguous"),
        False,
        ("UnsafeViewBackward0", "MvBackward0", "ViewBackward0"),
    ),
    (
        ((2, 3, 4), "contiguous"),
        False,
        ((4,), "contiguous"),
        True,
        ("UnsafeViewBackward0", "MvBackward0"),
    ),
    (
        ((2, 3, 4), "contiguous"),
        True,
        ((4,), "contiguous"),
        True,
        ("UnsafeViewBackward0", "MvBackward0", "ViewBackward0"),
    ),
    (
        ((2, 3, 4), "transposed"),
        True,
        ((4,), "contiguous"),
        False,
        (
            "UnsafeViewBackward0",
            "SqueezeBackward1",
            "BmmBackward0",
            "ReshapeAliasBackward0",
            "ExpandBackward0",
            "TransposeBackward0",
        ),
    ),
    (
        ((2, 3, 4), "transposed"),
        False,
        ((4,), "contiguous"),
        True,
        ("UnsafeViewBackward0", "MvBackward0"),
    ),
    (
        ((2, 3, 4), "transposed"),
        True,
        ((4,), "contiguous"),
        True,
        (
            "UnsafeViewBackward0",
            "MvBackward0",
            "UnsafeViewBackward0",
            "CloneBackward0",
            "TransposeBackward0",
        ),
    ),
    (
        ((4,), "contiguous"),
        True,
        ((2, 4, 5), "contiguous"),
        False,
        ("UnsafeViewBackward0", "MvBackward0"),
    ),
    (
        ((4,), "contiguous"),
        False,
        ((2, 4, 5), "contiguous"),
        True,
        ("UnsafeViewBackward0", "BmmBackward0", "ViewBackward0", "ExpandBackward0"),
    ),
    (
        ((4,), "contiguous"),
        True,
        ((2, 4, 5), "contiguous"),
        True,
        (
            "UnsafeViewBackward0",
            "MvBackward0",
            "UnsafeViewBackward0",
            "CloneBackward0",
            "TransposeBackward0",
        ),
    ),
    (
        ((4,), "contiguous"),
        True,
        ((2, 4, 5), "transposed"),
        False,
        ("UnsafeViewBackward0", "MvBackward0"),
    ),
    (
        ((4,), "contiguous"),
        False,
        ((2, 4, 5), "transposed"),
        True,
        (
            "UnsafeViewBackward0",
            "MvBackward0",
            "ViewBackward0",
            "TransposeBackward0",
            "TransposeBackward0",
        ),
    ),
    (
        ((4,), "contiguous"),
        True,
        ((2, 4, 5), "transposed"),
        True,
        (
            "UnsafeViewBackward0",
            "MvBackward0",
            "ViewBackward0",
            "TransposeBackward0",
            "TransposeBackward0",
        ),
    ),
    (
        ((3, 4), "contiguous"),
        True,
        ((2, 4, 5), "contiguous"),
        False,
        (
            "CloneBackward0",
            "TransposeBackward0",
            "UnsafeViewBackward0",
            "MmBackward0",
            "TBackward0",
        ),
    ),
    (
        ((3, 4), "contiguous"),
        False,
        ((2, 4, 5), "contiguous"),
        True,
        ("UnsafeViewBackward0", "BmmBackward0", "ViewBackward0", "ExpandBackward0"),
    ),
    (
        ((3, 4), "contiguous"),
        True,
        ((2, 4, 5), "contiguous"),
        True,
        (
            "CloneBackward0",
            "TransposeBackward0",
            "UnsafeViewBackward0",
            "MmBackward0",
            "UnsafeViewBackward0",
            "CloneBackward0",
            "TransposeBackward0",
            "TBackward0",
        ),
    ),
    (
        ((3, 4), "contiguous"),
        True,
        ((2, 4, 5), "transposed"),
        False,
        (
            "CloneBackward0",
            "TransposeBackward0",
            "UnsafeViewBackward0",
            "MmBackward0",
            "TBackward0",
        ),
    ),
    (
        ((3, 4), "contiguous"),
        False,
        ((2, 4, 5), "transposed"),
        True,
        (
            "UnsafeViewBackward0",
            "BmmBackward0",
            "ReshapeAliasBackward0",
            "ExpandBackward0",
            "TransposeBackward0",
        ),
    ),
    (
        ((3, 4), "contiguous"),
        True,
        ((2, 4, 5), "transposed"),
        True,
        (
            "CloneBackward0",
            "TransposeBackward0",
            "UnsafeViewBackward0",
            "MmBackward0",
            "ViewBackward0",
            "TransposeBackward0",
            "TransposeBackward0",
            "TBackward0",
        ),
    ),
    (
        ((2, 3, 4), "contiguous"),
        True,
        ((1, 4, 5), "contiguous"),
        False,
        ("UnsafeViewBackward0", "BmmBackward0", "ViewBackward0", "ExpandBackward0"),
    ),
    (
        ((2, 3, 4), "contiguous"),
        False,
        ((1, 4, 5), "contiguous"),
        True,
        ("UnsafeViewBackward0", "MmBackward0", "SqueezeBackward1"),
    ),
    (
        ((2, 3, 4), "contiguous"),
        True,
        ((1, 4, 5), "contiguous"),
        True,
        ("UnsafeViewBackward0", "MmBackward0", "ViewBackward0", "SqueezeBackward1"),
    ),
    (
        ((1, 3, 4), "contiguous"),
        True,
        ((2, 4, 5), "contiguous"),
        False,
        (
            "CloneBackward0",
            "TransposeBackward0",
            "UnsafeViewBackward0",
            "MmBackward0",
            "TBackward0",
            "SqueezeBackward1",
        ),
    ),
    (
        ((1, 3, 4), "contiguous"),
        False,
        ((2, 4, 5), "contiguous"),
        True,
        ("UnsafeViewBackward0", "BmmBackward0", "ViewBackward0", "ExpandBackward0"),
    ),
    (
        ((1, 3, 4), "contiguous"),
        True,
        ((2, 4, 5), "contiguous"),
        True,
        (
            "CloneBackward0",
            "TransposeBackward0",
            "UnsafeViewBackward0",
            "MmBackward0",
            "UnsafeViewBackward0",
            "CloneBackward0",
            "TransposeBackward0",
            "TBackward0",
            "SqueezeBackward1",
        ),
    ),
    (
        ((1, 3, 4), "contiguous"),
        True,
        ((1, 4, 5), "contiguous"),
        False,
        ("UnsafeViewBackward0", "BmmBackward0", "ViewBackward0", "ExpandBackward0"),
    ),
    (
        ((1, 3, 4), "contiguous"),
        False,
        ((1, 4, 5), "contiguous"),
        True,
        ("UnsafeViewBackward0", "BmmBackward0", "ViewBackward0", "ExpandBackward0"),
    ),
    (
        ((1, 3, 4), "contiguous"),
        True,
        ((1, 4, 5), "contiguous"),
        True,
        (
            "UnsafeViewBackward0",
            "BmmBackward0",
            "ViewBackward0",
            "ExpandBackward0",
            "ViewBackward0",
            "ExpandBackward0",
        ),
    ),
    (
        ((2, 2, 3, 4), "transposed"),
        True,
        ((4, 5), "contiguous"),
        False,
        (
            "UnsafeViewBackward0",
            "BmmBackward0",
            "ReshapeAliasBackward0",
            "ExpandBackward0",
            "TransposeBackward0",
        ),
    ),
    (
        ((2, 2, 3, 4), "transposed"),
        False,
        ((4, 5), "contiguous"),
        True,
        ("UnsafeViewBackward0", "MmBackward0"),
    ),
    (
        ((2, 2, 3, 4), "transposed"),
        True,
        ((4, 5), "contiguous"),
        True,
        (
            "UnsafeViewBackward0",
            "MmBackward0",
            "UnsafeViewBackward0",
            "CloneBackward0",
            "TransposeBackward0",
        ),
    ),
]


def graph_names(t: Any) -> tuple[str, ...]:
    out: list[str] = []

    def walk(fn: Any) -> None:
        if fn is None or type(fn).__name__ == "AccumulateGrad":
            return
        out.append(type(fn).__name__)
        for child, _ in fn.next_functions:
            walk(child)

    walk(t.grad_fn)
    return tuple(out)


def make(shape: tuple[int, ...], layout: str, requires_grad: bool) -> Any:
    """A float64 operand of ``shape``: contiguous, its last two dims transposed, or a batch
    expanded from size 1 (the history of the non-contiguous ones starts at a leaf)."""
    rng = np.random.default_rng(sum(shape))
    if layout == "contiguous":
        return torch.tensor(rng.standard_normal(shape), requires_grad=requires_grad)
    if layout == "transposed":
        swapped = (*shape[:-2], shape[-1], shape[-2])
        leaf = torch.tensor(rng.standard_normal(swapped), requires_grad=requires_grad)
        return leaf.transpose(-1, -2)
    assert layout == "expanded"
    leaf = torch.tensor(rng.standard_normal((1, *shape[1:])), requires_grad=requires_grad)
    return leaf.expand(*shape)


def _id(row: tuple[Any, ...]) -> str:
    (sa, la), ra, (sb, lb), rb, _ = row
    return f"{sa}{la[0]}{'g' if ra else ''}@{sb}{lb[0]}{'g' if rb else ''}"


@pytest.mark.parametrize("row", ROWS, ids=[_id(r) for r in ROWS])
def test_matmul_records_torchs_nodes(row: tuple[Any, ...]) -> None:
    (sa, la), ra, (sb, lb), rb, expected = row
    a, b = make(sa, la, ra), make(sb, lb, rb)
    y = torch.matmul(a, b)
    assert graph_names(y) == expected
    dense = np.matmul(np.array(a.detach()._data), np.array(b.detach()._data))
    np.testing.assert_allclose(y.detach()._data, dense, rtol=1e-12)


def test_folded_and_batched_paths_give_the_same_gradients() -> None:
    """The fold changes the graph, not the numbers: the gradients of a transposed batch times
    a matrix agree whether the matrix requires grad (mm) or not (bmm)."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 4, 3)), rng.standard_normal((4, 5))
    grads, products = [], []
    for weight_grad in (False, True):
        leaf = torch.tensor(x, requires_grad=True)
        y = torch.matmul(leaf.transpose(-1, -2), torch.tensor(w, requires_grad=weight_grad))
        (y**2).sum().backward()
        assert leaf.grad is not None
        grads.append(np.array(leaf.grad._data))
        assert y.grad_fn is not None
        products.append(type(y.grad_fn.next_functions[0][0]).__name__)
    assert products == ["BmmBackward0", "MmBackward0"]
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_a_convolution_output_is_contiguous_so_it_folds() -> None:
    """The fold reads the operand's strides, so an op whose torch output is contiguous must
    produce a C-contiguous array here too (conv's einsum result was not: bmm instead of mm)."""
    rng = np.random.default_rng(1)
    x = torch.tensor(rng.standard_normal((2, 3, 6, 5)), requires_grad=True)
    y = torch.nn.functional.conv2d(x, torch.tensor(rng.standard_normal((4, 3, 3, 3))), padding=1)
    assert y._data.flags.c_contiguous
    z = torch.matmul(y, torch.tensor(rng.standard_normal((5, 2))))
    assert graph_names(z)[:3] == ("UnsafeViewBackward0", "MmBackward0", "ViewBackward0")
