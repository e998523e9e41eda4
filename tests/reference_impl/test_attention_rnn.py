"""Attention and recurrent layers of reference_impl (issue 13), specified without torch.

scaled_dot_product_attention, MultiheadAttention, LSTM, GRU and their cells: values against
direct NumPy formulas, gradients against central finite differences in float64 (``gradcheck``;
``gradgradcheck`` where torch differentiates twice too), parameter names and shapes as torch's
state dicts have them, and the grad_fn names torch 2.13 gives the outputs on CPU. This file
never imports torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import reference_impl as torch
import reference_impl.nn.functional as F
from reference_impl.autograd import gradcheck, gradgradcheck
from reference_impl.nn.modules.attention import multi_head_attention_forward

RNG = np.random.default_rng(13)


def leaf(*shape: int, scale: float = 1.0) -> Any:
    return torch.tensor(RNG.standard_normal(shape) * scale, requires_grad=True)


def name(t: Any) -> str:
    return type(t.grad_fn).__name__


def np_attention(q: Any, k: Any, v: Any, bias: Any = 0.0, scale: float | None = None) -> Any:
    """softmax(q k^T * scale + bias) v, a row masked everywhere giving zeros."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale + bias
    top = np.max(s, -1, keepdims=True)
    e = np.exp(s - np.where(np.isfinite(top), top, 0))
    total = e.sum(-1, keepdims=True)
    return np.where(total > 0, e / np.where(total > 0, total, 1), 0) @ v


def _node_names(t: Any) -> set[str]:
    """The names of every node behind ``t``."""
    names, stack, seen = set(), [t.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.add(type(node).__name__)
        stack.extend(child for child, _ in node.next_functions)
    return names


def values(t: Any) -> Any:
    return t.detach().numpy()


# -- scaled_dot_product_attention ----------------------------------------------------------------

BOOL_MASK = np.array([[True, False, True], [True, True, False]])
FLOAT_MASK = RNG.standard_normal((2, 3))

SDPA_FORMS: dict[str, tuple[dict[str, Any], Any, float | None]] = {
    # label: (keyword arguments, the additive bias they stand for, the explicit scale)
    "plain": ({}, 0.0, None),
    "bool mask": ({"attn_mask": BOOL_MASK}, np.where(BOOL_MASK, 0, -np.inf), None),
    "float mask": ({"attn_mask": FLOAT_MASK}, FLOAT_MASK, None),
    "causal": ({"is_causal": True}, np.where(np.tri(2, 3, dtype=bool), 0, -np.inf), None),
    "scale": ({"scale": 0.3}, 0.0, 0.3),
}


def _sdpa_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


@pytest.mark.parametrize("form", SDPA_FORMS)
@pytest.mark.parametrize("batch", [(1, 2), (2,)], ids=["4-D flash", "3-D math"])
def test_sdpa_values_and_gradients(form: str, batch: tuple[int, ...]) -> None:
    """Both of torch's CPU paths compute softmax(q k^T / sqrt(E) + mask) v; 4-D inputs of one
    head size are one fused node, other ranks a composition."""
    kwargs, bias, scale = SDPA_FORMS[form]
    q, k, v = leaf(*batch, 2, 4), leaf(*batch, 3, 4), leaf(*batch, 3, 4)
    out = F.scaled_dot_product_attention(q, k, v, **_sdpa_kwargs(kwargs))
    expected = np_attention(values(q), values(k), values(v), bias, scale)
    np.testing.assert_allclose(values(out), expected, rtol=1e-12, atol=1e-12)
    fused = len(batch) == 2
    assert (name(out) == "ScaledDotProductFlashAttentionForCpuBackward0") is fused
    fn = lambda a, b, c: F.scaled_dot_product_attention(a, b, c, **_sdpa_kwargs(kwargs))  # noqa: E731
    assert gradcheck(fn, (q, k, v))


def test_sdpa_flash_path_has_no_double_backward() -> None:
    """torch's flash kernel has no derivative of its backward: the gradients hang off a node
    named NotImplemented that raises torch's text."""
    q, k, v = leaf(1, 2, 2, 3), leaf(1, 2, 3, 3), leaf(1, 2, 3, 3)
    out = F.scaled_dot_product_attention(q, k, v)
    (gq,) = torch.autograd.grad(out.sum(), q, create_graph=True)
    assert gq is not None and name(gq) == "NotImplemented"
    with pytest.raises(RuntimeError) as raised:
        gq.sum().backward()
    assert str(raised.value) == (
        "derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward "
        "is not implemented"
    )


@pytest.mark.parametrize(
    "shapes",
    [((2, 2, 4), (2, 3, 4), (2, 3, 4)), ((1, 2, 2, 4), (1, 2, 3, 4), (1, 2, 3, 2))],
    ids=["3-D", "4-D with its own value head size"],
)
def test_sdpa_math_path_differentiates_twice(shapes: tuple[tuple[int, ...], ...]) -> None:
    """Off the flash kernel (other ranks, a value head size unlike the query's) torch composes
    differentiable ops (query and key each scaled by sqrt(scale), a matmul ending in
    _unsafe_view), so second derivatives exist."""
    inputs = tuple(leaf(*shape) for shape in shapes)
    mask = torch.tensor(BOOL_MASK)
    fn = lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=mask)  # noqa: E731
    out = fn(*inputs)
    assert name(out) == "UnsafeViewBackward0"
    (gq,) = torch.autograd.grad(out.sum(), inputs[0], create_graph=True)
    assert gq is not None and name(gq) == "MulBackward1"  # the query times a Scalar factor
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("batch", [(1, 1), (1,)], ids=["4-D flash", "3-D math"])
def test_sdpa_fully_masked_row_gives_zeros(batch: tuple[int, ...]) -> None:
    """A query row that may attend to nothing outputs zeros and passes no gradient (torch's
    _safe_softmax), instead of NaN."""
    q, k, v = leaf(*batch, 2, 3), leaf(*batch, 3, 3), leaf(*batch, 3, 3)
    mask = torch.tensor(np.array([[True, True, False], [False, False, False]]))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert np.all(values(out)[..., 1, :] == 0)
    out.sum().backward()
    assert np.all(q.grad.numpy()[..., 1, :] == 0)
    assert np.all(np.isfinite(k.grad.numpy())) and np.all(np.isfinite(v.grad.numpy()))


def test_sdpa_forward_mode() -> None:
    """Forward-mode AD runs through the math path (the directional derivative, checked by a
    central difference) and is refused by the flash kernel with torch's aten name."""
    fw = torch.autograd.forward_ad
    q_np, t_np = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 3, 4))
    sdpa = lambda a: F.scaled_dot_product_attention(a, a, a)  # noqa: E731
    with fw.dual_level():
        tangent = fw.unpack_dual(sdpa(fw.make_dual(torch.tensor(q_np), torch.tensor(t_np)))).tangent
        eps = 1e-6
        plus, minus = sdpa(torch.tensor(q_np + eps * t_np)), sdpa(torch.tensor(q_np - eps * t_np))
        expected = (values(plus) - values(minus)) / (2 * eps)
        np.testing.assert_allclose(values(tangent), expected, rtol=1e-6, atol=1e-8)
        flash = fw.make_dual(torch.tensor(q_np[None]), torch.tensor(t_np[None]))
        with pytest.raises(NotImplementedError, match="with _scaled_dot_product_flash_attention_"):
            sdpa(flash)


def test_sdpa_flash_output_takes_the_query_layout() -> None:
    """torch's flash kernel allocates its output like the query: MultiheadAttention's
    permute-then-reshape of it is then a view, with no CloneBackward0 in the graph."""
    q = leaf(2, 3, 2, 4).transpose(1, 2)  # (N, H, L, E) stored as (N, L, H, E)
    out = F.scaled_dot_product_attention(q, q, q)
    assert not out.is_contiguous() and out.transpose(1, 2).is_contiguous()


def test_linear_of_a_non_contiguous_input_adds_the_bias_in_place() -> None:
    """torch's linear folds only a contiguous N-D input into one addmm; a transposed one
    (batch_first attention or recurrent inputs) is a matmul, then the bias added in place."""
    x, w, b = leaf(3, 2, 4), leaf(5, 4), leaf(5)
    assert name(F.linear(x.transpose(0, 1), w, b)) == "AddBackward0"
    assert name(F.linear(x.transpose(0, 1).contiguous(), w, b)) == "ViewBackward0"
    assert gradcheck(lambda a, c, d: F.linear(a.transpose(0, 1), c, d), (x, w, b))


def test_sdpa_dropout_is_refused() -> None:
    """Dropout needs torch's random stream, which reference_impl does not share."""
    q = leaf(1, 1, 2, 2)
    with pytest.raises(NotImplementedError, match="dropout_p > 0"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=0.1)


# -- MultiheadAttention --------------------------------------------------------------------------


def _mha(embed: int = 4, heads: int = 2, **kwargs: Any) -> Any:
    mha = torch.nn.MultiheadAttention(embed, heads, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        for p in mha.parameters():
            p.copy_(torch.tensor(RNG.standard_normal(tuple(p.shape)) * 0.5))
    return mha


def np_mha(x: Any, mha: Any, bias: Any = 0.0) -> tuple[Any, Any]:
    """Self-attention of x (L, N, E) per head, from the module's weights, in NumPy."""
    w, b = values(mha.in_proj_weight), values(mha.in_proj_bias)
    length, batch, embed = x.shape
    heads, hd = mha.num_heads, embed // mha.num_heads
    q, k, v = np.split(x @ w.T + b, 3, axis=-1)
    split = lambda t: t.reshape(length, batch, heads, hd).transpose(1, 2, 0, 3)  # noqa: E731
    q, k, v = split(q), split(k), split(v)
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(hd) + bias
    p = np.exp(scores - scores.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    heads_out = (p @ v).transpose(2, 0, 1, 3).reshape(length, batch, embed)
    return heads_out @ values(mha.out_proj.weight).T + values(mha.out_proj.bias), p


def test_mha_parameters_are_torchs() -> None:
    """Names, shapes and state_dict keys as torch's, so weights load across; the packed
    in-projection starts xavier-uniform with zero biases."""
    mha = torch.nn.MultiheadAttention(6, 3, dtype=torch.float64)
    shapes = [(n, tuple(p.shape)) for n, p in mha.named_parameters()]
    assert shapes == [
        ("in_proj_weight", (18, 6)),
        ("in_proj_bias", (18,)),
        ("out_proj.weight", (6, 6)),
        ("out_proj.bias", (6,)),
    ]
    assert list(mha.state_dict()) == [n for n, _ in shapes]
    assert np.all(values(mha.in_proj_bias) == 0) and np.all(values(mha.out_proj.bias) == 0)
    assert np.abs(values(mha.in_proj_weight)).max() <= np.sqrt(6 / (18 + 6))
    assert repr(mha) == (
        "MultiheadAttention(\n"
        "  (out_proj): NonDynamicallyQuantizableLinear(in_features=6, out_features=6, bias=True)\n"
        ")"
    )
    no_bias = torch.nn.MultiheadAttention(6, 3, bias=False)
    assert [n for n, _ in no_bias.named_parameters()] == ["in_proj_weight", "out_proj.weight"]


def test_mha_values_weights_and_masks() -> None:
    """Output and per-head weights from the formula; weights averaged over heads by default;
    a key_padding_mask drops keys like an additive -inf mask; need_weights=False takes the sdpa
    path to the same output and returns None."""
    mha = _mha()
    x_np = RNG.standard_normal((3, 2, 4))
    x = torch.tensor(x_np)
    out, avg = mha(x, x, x)
    expected, p = np_mha(x_np, mha)
    np.testing.assert_allclose(values(out), expected, rtol=1e-12)
    np.testing.assert_allclose(values(avg), p.mean(1), rtol=1e-12)
    _, per_head = mha(x, x, x, average_attn_weights=False)
    np.testing.assert_allclose(values(per_head), p, rtol=1e-12)

    padding = np.array([[False, False, True], [False, True, False]])  # (batch, source)
    out, avg = mha(x, x, x, key_padding_mask=torch.tensor(padding))
    expected, p = np_mha(x_np, mha, np.where(padding, -np.inf, 0)[:, None, None, :])
    np.testing.assert_allclose(values(out), expected, rtol=1e-12)
    assert np.all(values(avg)[padding[:, None, :].repeat(3, 1)] == 0)
    fast, none = mha(x, x, x, key_padding_mask=torch.tensor(padding), need_weights=False)
    assert none is None
    np.testing.assert_allclose(values(fast), expected, rtol=1e-12)


def test_mha_batch_first_and_unbatched_are_views_of_the_same_computation() -> None:
    """batch_first=True takes (N, L, E) and returns it transposed back; a 2-D input is one
    unbatched sequence."""
    mha = _mha()
    x = torch.tensor(RNG.standard_normal((3, 2, 4)))
    out, weights = mha(x, x, x)
    mha.batch_first = True
    xb = x.transpose(0, 1).contiguous()
    out_b, weights_b = mha(xb, xb, xb)
    np.testing.assert_allclose(values(out_b), values(out.transpose(0, 1)), rtol=1e-12)
    np.testing.assert_allclose(values(weights_b), values(weights), rtol=1e-12)
    mha.batch_first = False
    single = x[:, 1].contiguous()
    out_1, weights_1 = mha(single, single, single)
    np.testing.assert_allclose(values(out_1), values(out[:, 1]), rtol=1e-12)
    np.testing.assert_allclose(values(weights_1), values(weights[1]), rtol=1e-12)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_gradients_of_input_and_every_weight(need_weights: bool) -> None:
    """Self-attention (one packed projection) and cross-attention (query apart from a shared
    key/value), with a padding mask; gradcheck over inputs and all four weights."""
    x, memory = leaf(3, 2, 4), leaf(2, 2, 4)
    w_in, b_in, w_out, b_out = leaf(12, 4, scale=0.5), leaf(12), leaf(4, 4, scale=0.5), leaf(4)
    padding = torch.tensor(np.array([[False, True], [False, False]]))

    def attend(query: Any, kv: Any, *weights: Any) -> Any:
        key_mask = None if query is kv else torch.zeros(2, 2).masked_fill(padding, -np.inf)
        w_in, b_in, w_out, b_out = weights
        out, w = multi_head_attention_forward(
            query, kv, kv, 2, w_in, b_in, w_out, b_out, key_mask, need_weights=need_weights
        )
        return out if w is None else (out, w)

    assert gradcheck(lambda a, *w: attend(a, a, *w), (x, w_in, b_in, w_out, b_out))
    assert gradcheck(attend, (x, memory, w_in, b_in, w_out, b_out))


def test_mha_output_grad_fn_names_are_torchs() -> None:
    """The outputs end in the nodes torch 2.13's CPU path ends in."""
    mha = _mha()
    x = leaf(3, 2, 4)
    out, avg = mha(x, x, x)
    assert (name(out), name(avg)) == ("ViewBackward0", "MeanBackward1")
    _, per_head = mha(x, x, x, average_attn_weights=False)
    assert name(per_head) == "ViewBackward0"
    mha.batch_first = True
    out, _ = mha(x, x, x, need_weights=False)
    assert name(out) == "TransposeBackward0"


# -- LSTM and GRU --------------------------------------------------------------------------------


def _sigmoid(a: Any) -> Any:
    return 1 / (1 + np.exp(-a))


def np_lstm_step(x: Any, h: Any, c: Any, w: dict[str, Any], sfx: str) -> tuple[Any, Any]:
    gates = x @ w["weight_ih" + sfx].T + w["bias_ih" + sfx] + h @ w["weight_hh" + sfx].T
    i, f, g, o = np.split(gates + w["bias_hh" + sfx], 4, axis=-1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c), c


def np_gru_step(x: Any, h: Any, w: dict[str, Any], sfx: str) -> Any:
    xr, xz, xn = np.split(x @ w["weight_ih" + sfx].T + w["bias_ih" + sfx], 3, axis=-1)
    hr, hz, hn = np.split(h @ w["weight_hh" + sfx].T + w["bias_hh" + sfx], 3, axis=-1)
    r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h


def np_rnn(
    kind: str, x: Any, h0: Any, c0: Any, w: dict[str, Any], layers: int, dirs: int
) -> tuple[Any, Any, Any]:
    """The textbook equations, layer by layer and direction by direction; x is (L, N, I)."""
    h_n, c_n = [], []
    for layer in range(layers):
        outs: list[Any] = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            h, c = h0[layer * dirs + d], c0[layer * dirs + d]
            steps = range(len(x) - 1, -1, -1) if d else range(len(x))
            seq: list[Any] = [None] * len(x)
            for t in steps:
                if kind == "LSTM":
                    h, c = np_lstm_step(x[t], h, c, w, sfx)
                else:
                    h = np_gru_step(x[t], h, w, sfx)
                seq[t] = h
            outs.append(np.stack(seq))
            h_n.append(h)
            c_n.append(c)
        x = np.concatenate(outs, -1)
    return x, np.stack(h_n), np.stack(c_n)


def _rnn(kind: str, **kwargs: Any) -> Any:
    module = getattr(torch.nn, kind)(2, 3, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.tensor(RNG.standard_normal(tuple(p.shape)) * 0.5))
    return module


def test_rnn_parameter_names_and_shapes_are_torchs() -> None:
    """weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (then the _reverse set) per
    layer; gates stacked on dim 0 (4 for LSTM: i, f, g, o; 3 for GRU: r, z, n); a deeper
    layer reads both directions' hidden states; init U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    lstm = torch.nn.LSTM(2, 3, num_layers=2, bidirectional=True)
    shapes = dict((n, tuple(p.shape)) for n, p in lstm.named_parameters())
    assert list(shapes)[:8] == [
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "weight_ih_l0_reverse",
        "weight_hh_l0_reverse",
        "bias_ih_l0_reverse",
        "bias_hh_l0_reverse",
    ]
    assert len(shapes) == 16 and list(lstm.state_dict()) == list(shapes)
    assert shapes["weight_ih_l0"] == (12, 2) and shapes["weight_ih_l1_reverse"] == (12, 6)
    assert shapes["weight_hh_l1"] == (12, 3) and shapes["bias_hh_l1"] == (12,)
    assert all(np.abs(values(p)).max() <= 1 / np.sqrt(3) for p in lstm.parameters())
    gru = torch.nn.GRU(2, 3, bias=False)
    assert [(n, tuple(p.shape)) for n, p in gru.named_parameters()] == [
        ("weight_ih_l0", (9, 2)),
        ("weight_hh_l0", (9, 3)),
    ]
    assert repr(lstm) == "LSTM(2, 3, num_layers=2, bidirectional=True)"
    assert repr(gru) == "GRU(2, 3, bias=False)"


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize(
    "config",
    [{}, {"num_layers": 2}, {"bidirectional": True}, {"batch_first": True}],
    ids=["one layer", "two layers", "bidirectional", "batch_first"],
)
def test_rnn_values_and_shapes(kind: str, config: dict[str, Any]) -> None:
    """output (L, N, D*H) and h_n (and c_n) (layers*D, N, H) follow the equations, with and
    without an initial state (zeros by default)."""
    module = _rnn(kind, **config)
    layers, dirs = config.get("num_layers", 1), 2 if config.get("bidirectional") else 1
    x_np = RNG.standard_normal((4, 2, 2))
    h0, c0 = RNG.standard_normal((2, layers * dirs, 2, 3))
    w = {n: values(p) for n, p in module.named_parameters()}
    x = torch.tensor(x_np.transpose(1, 0, 2) if config.get("batch_first") else x_np)
    for state in (None, (h0, c0)):
        start = (np.zeros_like(h0), np.zeros_like(c0)) if state is None else state
        expected, h_n, c_n = np_rnn(kind, x_np, *start, w, layers, dirs)
        if state is None:
            out, hidden = module(x)
        elif kind == "LSTM":
            out, hidden = module(x, (torch.tensor(h0), torch.tensor(c0)))
        else:
            out, hidden = module(x, torch.tensor(h0))
        if config.get("batch_first"):
            out = out.transpose(0, 1)
        assert tuple(out.shape) == (4, 2, 3 * dirs)
        np.testing.assert_allclose(values(out), expected, rtol=1e-12, atol=1e-14)
        got_h = hidden[0] if kind == "LSTM" else hidden
        np.testing.assert_allclose(values(got_h), h_n, rtol=1e-12, atol=1e-14)
        if kind == "LSTM":
            np.testing.assert_allclose(values(hidden[1]), c_n, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_rnn_gradients_of_input_state_and_every_weight(kind: str) -> None:
    """gradcheck through a bidirectional two-layer stack: the input, the initial state and
    every weight of both layers and directions."""
    module = _rnn(kind, num_layers=2, bidirectional=True)
    x, h0, c0 = leaf(3, 1, 2), leaf(4, 1, 3), leaf(4, 1, 3)

    def run(a: Any, h: Any, c: Any, *weights: Any) -> Any:
        if kind == "LSTM":
            out, (h_n, c_n) = module(a, (h, c))
            return out, h_n, c_n
        out, h_n = module(a, h)
        return out, h_n

    inputs = (x, h0, c0, *module.parameters()) if kind == "LSTM" else (x, h0, *module.parameters())
    if kind == "GRU":
        assert gradcheck(lambda a, h, *w: run(a, h, None, *w), inputs)
    else:
        assert gradcheck(run, inputs)


def test_rnn_output_grad_fn_names_are_torchs() -> None:
    """torch's CPU kernels stack the steps (StackBackward0), concatenate directions
    (CatBackward0), transpose batch_first output out of place for LSTM but in place for GRU
    (TransposeBackward0 / TransposeBackward1) and stack the final states; the gates are
    unsafe_chunk pieces (UnsafeSplitBackward0, copies that may be activated in place)."""
    x = leaf(2, 3, 2)
    out, (h_n, c_n) = _rnn("LSTM")(x)
    assert (name(out), name(h_n), name(c_n)) == ("StackBackward0",) * 3
    out, _ = _rnn("LSTM", bidirectional=True)(x)
    assert name(out) == "CatBackward0"
    out, _ = _rnn("LSTM", batch_first=True)(x)
    assert name(out) == "TransposeBackward0"
    out, h_n = _rnn("GRU", batch_first=True, bidirectional=True)(x)
    assert (name(out), name(h_n)) == ("TransposeBackward1", "StackBackward0")
    for kind in ("LSTM", "GRU"):
        nodes = _node_names(_rnn(kind)(x)[0])
        assert "UnsafeSplitBackward0" in nodes and "SplitBackward0" not in nodes, kind


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_cells_are_one_step_of_the_layer(kind: str) -> None:
    """LSTMCell/GRUCell hold weight_ih, weight_hh, bias_ih, bias_hh and compute one step of
    the layer with the same weights; a 1-D input is unbatched; first and second derivatives
    check against finite differences."""
    cell = getattr(torch.nn, kind + "Cell")(2, 3, dtype=torch.float64)
    layer = _rnn(kind)
    assert [n for n, _ in cell.named_parameters()] == [
        "weight_ih",
        "weight_hh",
        "bias_ih",
        "bias_hh",
    ]
    with torch.no_grad():
        for n, p in cell.named_parameters():
            p.copy_(getattr(layer, n + "_l0"))
    x, h, c = leaf(1, 2, 2), leaf(1, 2, 3), leaf(1, 2, 3)
    if kind == "LSTM":
        out, (h_n, c_n) = layer(x, (h, c))
        h1, c1 = cell(x[0], (h[0], c[0]))
        np.testing.assert_allclose(values(c1), values(c_n[0]), rtol=1e-14)
        single = cell(x[0, 0], (h[0, 0], c[0, 0]))
        np.testing.assert_allclose(values(single[0]), values(h1[0]), rtol=1e-14)
        assert gradgradcheck(lambda a, s, t: cell(a, (s, t)), (x[0], h[0], c[0]))
    else:
        out, h_n = layer(x, h)
        h1 = cell(x[0], h[0])
        np.testing.assert_allclose(values(cell(x[0, 0], h[0, 0])), values(h1[0]), rtol=1e-14)
        assert gradgradcheck(cell, (x[0], h[0]))
    np.testing.assert_allclose(values(h1), values(h_n[0]), rtol=1e-14)
    np.testing.assert_allclose(values(h1), values(out[0]), rtol=1e-14)


def test_rnn_shape_errors_are_torchs() -> None:
    """A wrong feature size or initial-state shape raises torch's texts."""
    lstm = torch.nn.LSTM(2, 3, dtype=torch.float64)
    with pytest.raises(RuntimeError, match=r"^input.size\(-1\) must be equal to input_size. "):
        lstm(torch.zeros(4, 1, 5, dtype=torch.float64))
    bad = (torch.zeros(1, 1, 3, dtype=torch.float64), torch.zeros(2, 1, 3, dtype=torch.float64))
    with pytest.raises(RuntimeError) as raised:
        lstm(torch.zeros(4, 1, 2, dtype=torch.float64), bad)
    assert str(raised.value) == "Expected hidden[1] size (1, 1, 3), got [2, 1, 3]"
