"""Where results lie in memory (``reference_impl/_layout.py``), against what torch 2.13.0 printed.

Program 7546 of seed 12 showed it: ``scatter_add`` of a transposed tensor, then ``flatten``,
records ``ViewBackward0`` in torch (its result is contiguous) and recorded
``UnsafeViewBackward0`` here (NumPy kept the transposed layout). Each row is an expression on
``a``, a transposed (4, 3) float32 tensor with strides (1, 4), and the strides torch gave its
result; ``tests/harness/test_layout_table_holds_on_torch.py`` checks the rows on torch itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import reference_impl

#: (expression, the strides torch 2.13.0 gave its result).
ROWS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("a * b", (1, 4)),
    ("b * a", (3, 1)),
    ("a + row", (1, 4)),
    ("row + a", (1, 4)),
    ("col * a", (1, 4)),
    ("a - b", (1, 4)),
    ("m.atan2(b, a)", (3, 1)),
    ("m.atan2(a, b)", (1, 4)),
    ("m.maximum(a, b)", (1, 4)),
    ("m.where(mask, a, b)", (3, 1)),
    ("m.where(mask_t, b, a)", (1, 4)),
    ("m.lerp(a, b, 0.5)", (1, 4)),
    ("m.lerp(b, a, w)", (3, 1)),
    ("m.addcmul(a, b, b)", (1, 4)),
    ("m.addcmul(b, a, a)", (3, 1)),
    ("m.addcdiv(a, b, b)", (1, 4)),
    ("a * 2", (1, 4)),
    ("m.hypot(a, b)", (1, 4)),
    ("a.t() * a.t()", (4, 1)),
    ("a * b.t().t()", (1, 4)),
    ("a.tanh()", (1, 4)),
    ("a.abs()", (1, 4)),
    ("a.clamp(0, 1)", (1, 4)),
    ("-a", (1, 4)),
    ("a.sigmoid()", (1, 4)),
    ("a.scatter_add(0, idx, b)", (3, 1)),
    ("a.scatter(0, idx, b)", (3, 1)),
    ("a.scatter(0, idx, 2.0)", (3, 1)),
    ("a.index_add(0, v, b[:2])", (3, 1)),
    ("a.cumsum(0)", (3, 1)),
    ("a.cumsum(1)", (3, 1)),
    ("a.cumprod(0)", (3, 1)),
    ("a.roll(1, 0)", (3, 1)),
    ("a.softmax(0)", (3, 1)),
    ("a.log_softmax(1)", (3, 1)),
    ("a.cummax(0)[0]", (3, 1)),
    ("a.cummin(1)[0]", (3, 1)),
    ("a.repeat(1, 1)", (3, 1)),
    ("a.logcumsumexp(0)", (3, 1)),
    ("a.renorm(2, 0, 1.0)", (3, 1)),
    ("a.scatter_reduce(0, idx, b, 'amax')", (3, 1)),
    ("a.gather(0, idx)", (3, 1)),
    ("a.index_copy(0, v, b[:2])", (3, 1)),
    ("a.masked_fill(mask, 1.0)", (3, 1)),
    ("a.tril()", (3, 1)),
    ("a.triu(1)", (3, 1)),
    ("a.index_select(1, v)", (2, 1)),
    ("m.diag_embed(a)", (9, 3, 1)),
    ("a.kthvalue(1, 0)[0]", (1,)),
    ("a.masked_scatter(mask, b)", (3, 1)),
    ("a.clone()", (1, 4)),
    ("a.flip(0)", (1, 4)),
    ("a.sort(0)[0]", (1, 4)),
    ("a.sort(0)[1]", (1, 4)),
    ("a.index_fill(0, v, 1.0)", (1, 4)),
    ("a.index_put((v,), s)", (1, 4)),
    ("a.put(v, b[0, :2])", (1, 4)),
    ("a.contiguous()", (3, 1)),
    ("a.clone(memory_format=m.contiguous_format)", (3, 1)),
    ("a.double()", (1, 4)),
    ("a.to(m.float64)", (1, 4)),
    ("m.nan_to_num(a)", (1, 4)),
    ("a ** 2", (1, 4)),
    ("a.pow(b)", (1, 4)),
    ("a > b", (1, 4)),
    ("b > a", (3, 1)),
    ("m.where(a > b, a, b)", (1, 4)),
    ("m.cat([a, a])", (3, 1)),
    ("m.stack([a, a])", (12, 3, 1)),
    ("m.cat([a, b], dim=1)", (6, 1)),
)


def operands(m: Any) -> dict[str, Any]:
    """The names the expressions use, made with module ``m`` (torch or reference_impl)."""
    x = m.tensor(np.arange(1.0, 13.0).reshape(3, 4).astype(np.float32))
    return {
        "m": m,
        "a": x.t(),
        "b": m.tensor(np.linspace(0.5, 2, 12).reshape(4, 3).astype(np.float32)),
        "row": m.tensor(np.ones(3, np.float32)),
        "col": m.tensor(np.ones((4, 1), np.float32)),
        "idx": m.tensor(np.array([[0, 1, 2], [3, 1, 0], [1, 1, 1], [2, 0, 3]])),
        "v": m.tensor(np.array([0, 2])),
        "mask": m.tensor(np.array([[True, False, True]] * 4)),
        "mask_t": m.tensor(np.array([[True, False, True, False]] * 3)).t(),
        "w": m.tensor(np.full((4, 3), 0.25, np.float32)),
        "s": m.tensor(np.float32(1.0)),
    }


def strides_of(m: Any, expression: str) -> tuple[int, ...]:
    return tuple(eval(expression, operands(m)).stride())  # noqa: S307 - the table's own text


@pytest.mark.parametrize(("expression", "strides"), ROWS, ids=[row[0] for row in ROWS])
def test_a_result_lies_in_memory_as_torchs_does(expression, strides):
    assert strides_of(reference_impl, expression) == strides


def test_reshaping_a_scatter_add_of_a_transposed_tensor_is_a_view_as_in_torch():
    """Program 7546 of seed 12, reduced: torch's structured kernel makes a contiguous result."""
    x = reference_impl.tensor(np.arange(9.0).reshape(3, 3).astype(np.float32), requires_grad=True)
    a = reference_impl.atan(x.t())
    index = reference_impl.tensor(np.array([[0, 1, 2], [2, 1, 0], [1, 1, 1]]))
    assert type(a.scatter_add(0, index, a).flatten().grad_fn).__name__ == "ViewBackward0"
    assert type((a * x).flatten().grad_fn).__name__ == "UnsafeViewBackward0"  # a's layout


def test_contiguous_and_reshape_copy_into_c_order_while_clone_keeps_the_layout():
    a = reference_impl.tensor(np.ones((2, 3), np.float32), requires_grad=True).t()
    assert a.clone().stride() == (1, 3)
    assert a.contiguous().stride() == (2, 1)
    assert a.clone(memory_format=reference_impl.contiguous_format).stride() == (2, 1)
    assert a.reshape(6).grad_fn.next_functions[0][0].name() == "CloneBackward0"
    with pytest.raises(NotImplementedError, match="memory_format"):
        a.clone(memory_format="torch.channels_last")
