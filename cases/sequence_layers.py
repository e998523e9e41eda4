"""Attention and recurrent layers, and a transformer block trained end to end (issue 13).

Covered: ``F.scaled_dot_product_attention`` on both of torch's CPU paths (4-D inputs of one
head size take the fused flash kernel, whose gradients cannot be differentiated again; other
ranks are a composition), ``nn.MultiheadAttention``, ``nn.LSTM``/``nn.GRU`` and their cells,
and a small transformer block trained for three Adam steps. Every module's weights are copied
from ``make`` so both backends start alike. Besides the outputs' own grad_fn names, the
attention and recurrent cases compare every node name behind the outputs (depth first): the
reference replays torch's CPU decompositions (packed in-projection, unsafe_chunk gates
activated in place, stacked steps), so the graphs agree node for node.
"""

from conformance import Inputs, capture, case

AREA = "sequence_layers"


def _fill(torch, module, make: Inputs, scale: float = 0.5):
    """Every parameter from ``make``, in registration order (the same on both backends)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(make.randn(*p.shape, dtype=torch.float64) * scale)
    return module


def _node_names(tensor):
    """Every node behind ``tensor``, depth first in next_functions order, each once."""
    names, stack, seen = [], [tensor.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.append(type(node).__name__)
        stack.extend(child for child, _ in reversed(node.next_functions))
    return names


def _grads(*tensors):
    return tuple(t.grad for t in tensors)


# -- scaled_dot_product_attention ------------------------------------------------------------------


@case(area=AREA, tags=("attention", "sdpa"))
def sdpa_masks_causal_and_scale_on_the_flash_path(torch, make: Inputs):
    """4-D query/key/value of one head size: no mask, a bool mask (True attends), a float mask
    (added to the scores), is_causal (top-left aligned when L != S) and an explicit scale; the
    output is one ScaledDotProductFlashAttentionForCpuBackward0 node; a query row that attends
    to nothing gives zeros."""
    F = torch.nn.functional
    out = {}
    bool_mask = make.rand(3, 4) > 0.3
    forms = {
        "plain": {},
        "bool mask": {"attn_mask": bool_mask},
        "float mask": {"attn_mask": make.randn(3, 4, dtype=torch.float64)},
        "causal": {"is_causal": True},
        "scale 0.3": {"scale": 0.3},
        "masked row": {"attn_mask": torch.tensor([[True] * 4, [False] * 4, [True, False] * 2])},
    }
    for label, kwargs in forms.items():
        q = make.randn(2, 2, 3, 5, dtype=torch.float64, requires_grad=True)
        k = make.randn(2, 2, 4, 5, dtype=torch.float64, requires_grad=True)
        v = make.randn(2, 2, 4, 5, dtype=torch.float64, requires_grad=True)
        y = F.scaled_dot_product_attention(q, k, v, **kwargs)
        (y * make.randn(2, 2, 3, 5, dtype=torch.float64)).sum().backward()
        out[label] = {"y": y, "grads": _grads(q, k, v)}
    return out


@case(area=AREA, tags=("attention", "sdpa", "higher_order", "errors"))
def sdpa_math_path_and_flash_double_backward(torch, make: Inputs):
    """3-D inputs, and 4-D ones whose value head size differs, take torch's math path (a
    composition, differentiable twice and in forward mode); the flash path's gradient hangs off
    a NotImplemented node whose backward raises torch's error, and forward mode refuses it;
    dropout_p = 0 is accepted."""
    F = torch.nn.functional
    q = make.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    k = make.randn(2, 5, 4, dtype=torch.float64, requires_grad=True)
    v = make.randn(2, 5, 4, dtype=torch.float64, requires_grad=True)
    mask = make.rand(3, 5) > 0.4
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.0)
    gq, gk, gv = torch.autograd.grad((y**2).sum(), (q, k, v), create_graph=True)
    second = torch.autograd.grad((gq**2).sum() + (gk * gv).sum(), (q, k, v))

    q4 = make.randn(1, 2, 3, 4, dtype=torch.float64, requires_grad=True)
    k4 = make.randn(1, 2, 5, 4, dtype=torch.float64, requires_grad=True)
    v4 = make.randn(1, 2, 5, 3, dtype=torch.float64, requires_grad=True)
    own_value_size = F.scaled_dot_product_attention(q4, k4, v4, is_causal=True)

    v_same = make.randn(1, 2, 5, 4, dtype=torch.float64, requires_grad=True)
    flash = F.scaled_dot_product_attention(q4, k4, v_same)
    (flash_gq,) = torch.autograd.grad(flash.sum(), q4, create_graph=True)

    fwAD = torch.autograd.forward_ad

    def forward_mode(query):
        with fwAD.dual_level():
            dual = fwAD.make_dual(query.detach(), torch.ones_like(query))
            y = F.scaled_dot_product_attention(dual, dual, dual)
            return fwAD.unpack_dual(y).tangent

    return {
        "3-D y": y,
        "3-D first": (gq, gk, gv),
        "3-D second": second,
        "4-D, own value size": own_value_size,
        "flash gq": flash_gq,
        "flash double backward": capture(lambda: flash_gq.sum().backward()),
        "3-D forward AD tangent": forward_mode(q),
        "flash forward AD": capture(lambda: forward_mode(q4)),
    }


# -- MultiheadAttention ----------------------------------------------------------------------------


@case(area=AREA, tags=("attention", "module"))
def multihead_attention_forward_and_grads(torch, make: Inputs):
    """Self-attention with a key_padding_mask (bool, True drops the key), attention weights
    averaged over heads and per head, need_weights=False (the sdpa path), batch_first and
    cross-attention; gradients of the inputs and all four parameters; torch's state_dict
    keys; the whole graph behind the outputs has torch's node names."""
    mha = _fill(torch, torch.nn.MultiheadAttention(4, 2, dtype=torch.float64), make)
    x = make.randn(3, 2, 4, dtype=torch.float64, requires_grad=True)
    memory = make.randn(5, 2, 4, dtype=torch.float64, requires_grad=True)
    padding = torch.tensor([[False, False, True], [False, True, False]])
    y, weights = mha(x, x, x, key_padding_mask=padding)
    _, per_head = mha(x, x, x, average_attn_weights=False)
    fast, none = mha(x, x, x, key_padding_mask=padding, need_weights=False)
    cross, cross_weights = mha(x, memory, memory, attn_mask=make.randn(3, 5, dtype=torch.float64))
    loss = (y * make.randn(3, 2, 4, dtype=torch.float64)).sum() + (weights**2).sum()
    loss = loss + (per_head**2).sum() + (fast * cross).sum() + cross_weights.sum()
    loss.backward()
    mha.batch_first = True
    batch_first, _ = mha(x, x, x)
    return {
        "y": y,
        "graph": _node_names(y),
        "graph need_weights=False": _node_names(fast),
        "graph batch_first": _node_names(batch_first),
        "weights": weights,
        "per head": per_head,
        "need_weights=False": (fast, none),
        "cross": (cross, cross_weights),
        "batch_first": batch_first,
        "x.grad": x.grad,
        "memory.grad": memory.grad,
        "parameter grads": {name: p.grad for name, p in mha.named_parameters()},
        "state_dict keys": list(mha.state_dict()),
        "repr": repr(mha),
    }


# -- LSTM and GRU ----------------------------------------------------------------------------------


def _recurrent(torch, make: Inputs, kind: str, **config):
    """Forward with an initial state, then gradients of input, state and every weight."""
    module = _fill(torch, getattr(torch.nn, kind)(3, 4, dtype=torch.float64, **config), make)
    directions = 2 if config.get("bidirectional") else 1
    layers = config.get("num_layers", 1) * directions
    shape = (2, 5, 3) if config.get("batch_first") else (5, 2, 3)
    x = make.randn(*shape, dtype=torch.float64, requires_grad=True)
    h0 = make.randn(layers, 2, 4, dtype=torch.float64, requires_grad=True)
    c0 = make.randn(layers, 2, 4, dtype=torch.float64, requires_grad=True)
    if kind == "LSTM":
        y, (h_n, c_n) = module(x, (h0, c0))
        finals = {"h_n": h_n, "c_n": c_n}
    else:
        y, h_n = module(x, h0)
        finals = {"h_n": h_n}
    loss = (y * make.randn(*y.shape, dtype=torch.float64)).sum()
    for final in finals.values():
        loss = loss + (final * make.randn(*final.shape, dtype=torch.float64)).sum()
    loss.backward()
    default_state, _ = module(x)
    return {
        "y": y,
        **finals,
        "graph": {name: _node_names(t) for name, t in {"y": y, **finals}.items()},
        "zero initial state y": default_state,
        "x.grad": x.grad,
        "h0.grad": h0.grad,
        "c0.grad": c0.grad,
        "weight grads": {name: p.grad for name, p in module.named_parameters()},
        "parameter shapes": [(n, tuple(p.shape)) for n, p in module.named_parameters()],
        "repr": repr(module),
    }


@case(area=AREA, tags=("recurrent", "module"))
def lstm_forward_and_grads(torch, make: Inputs):
    """A two-layer LSTM: output (StackBackward0), h_n and c_n (stacked over layers), and the
    gradients of the input, h_0, c_0 and all eight weights."""
    return _recurrent(torch, make, "LSTM", num_layers=2)


@case(area=AREA, tags=("recurrent", "module"))
def lstm_bidirectional_batch_first_forward_and_grads(torch, make: Inputs):
    """A bidirectional LSTM without biases, batch_first: directions concatenated on the last
    dim, the output transposed back (TransposeBackward0)."""
    return _recurrent(torch, make, "LSTM", bidirectional=True, batch_first=True, bias=False)


@case(area=AREA, tags=("recurrent", "module"))
def gru_forward_and_grads(torch, make: Inputs):
    """A two-layer bidirectional GRU: output (CatBackward0), h_n, and the gradients of the
    input, h_0 and all sixteen weights (c0 takes no part: its grad stays None)."""
    return _recurrent(torch, make, "GRU", num_layers=2, bidirectional=True)


@case(area=AREA, tags=("recurrent", "module"))
def gru_batch_first_transposes_in_place(torch, make: Inputs):
    """torch's GRU kernel transposes a batch_first output in place (TransposeBackward1)."""
    return _recurrent(torch, make, "GRU", batch_first=True)


@case(area=AREA, tags=("recurrent", "module", "higher_order"))
def lstm_and_gru_cells(torch, make: Inputs):
    """LSTMCell and GRUCell: one step from (h, c) / h, batched and unbatched, zero state by
    default; first and second derivatives of the input and weights."""
    out = {}
    for kind in ("LSTMCell", "GRUCell"):
        cell = _fill(torch, getattr(torch.nn, kind)(3, 4, dtype=torch.float64), make)
        x = make.randn(2, 3, dtype=torch.float64, requires_grad=True)
        h = make.randn(2, 4, dtype=torch.float64, requires_grad=True)
        c = make.randn(2, 4, dtype=torch.float64, requires_grad=True)
        state = (h, c) if kind == "LSTMCell" else h
        step = cell(x, state)
        first = step[0] + step[1] if kind == "LSTMCell" else step
        grads = torch.autograd.grad((first**2).sum(), (x, cell.weight_hh), create_graph=True)
        second = torch.autograd.grad(sum((g**2).sum() for g in grads), (x, h))
        out[kind] = {
            "step": step,
            "graph": _node_names(first),
            "unbatched": cell(x[0]),
            "first": grads,
            "second": second,
            "names": [n for n, _ in cell.named_parameters()],
        }
    return out


@case(area=AREA, tags=("recurrent", "attention", "forward_ad"))
def forward_mode_through_recurrent_and_attention_layers(torch, make: Inputs):
    """Forward-mode AD through LSTM, GRU and MultiheadAttention with need_weights=True (all
    compositions); with need_weights=False attention meets the flash node, which refuses."""
    fwAD = torch.autograd.forward_ad
    x = make.randn(3, 2, 4, dtype=torch.float64)
    tangent = make.randn(3, 2, 4, dtype=torch.float64)
    layers = {
        "LSTM": torch.nn.LSTM(4, 3, dtype=torch.float64),
        "GRU": torch.nn.GRU(4, 3, bidirectional=True, dtype=torch.float64),
        "MHA": torch.nn.MultiheadAttention(4, 2, dtype=torch.float64),
    }
    out = {}
    for label, layer in layers.items():
        _fill(torch, layer, make)
        with fwAD.dual_level():
            dual = fwAD.make_dual(x, tangent)
            y = layer(dual, dual, dual)[0] if label == "MHA" else layer(dual)[0]
            out[label] = fwAD.unpack_dual(y).tangent
    with fwAD.dual_level():
        dual = fwAD.make_dual(x, tangent)
        attn = layers["MHA"]
        out["MHA need_weights=False"] = capture(lambda: attn(dual, dual, dual, need_weights=False))
    return out


# -- a transformer block trained end to end --------------------------------------------------------


@case(area=AREA, tags=("attention", "module", "optim", "training"))
def small_transformer_block_trains_for_three_steps(torch, make: Inputs):
    """x -> self-attention (MultiheadAttention, batch_first, need_weights=False) + residual ->
    LayerNorm -> Linear/GELU/Linear + residual -> LayerNorm -> mean over the sequence -> MSE
    against a target, three Adam steps: the losses, the last step's gradients and the final
    weights of every parameter, and the node names of the whole graph behind the last loss."""
    F = torch.nn.functional

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            kw = {"dtype": torch.float64}
            self.attn = torch.nn.MultiheadAttention(4, 2, batch_first=True, **kw)
            self.norm1 = torch.nn.LayerNorm(4, **kw)
            self.ff1 = torch.nn.Linear(4, 8, **kw)
            self.ff2 = torch.nn.Linear(8, 4, **kw)
            self.norm2 = torch.nn.LayerNorm(4, **kw)

        def forward(self, x):
            attended, _ = self.attn(x, x, x, need_weights=False)
            h = self.norm1(x + attended)
            return self.norm2(h + self.ff2(F.gelu(self.ff1(h))))

    block = _fill(torch, Block(), make)
    with torch.no_grad():
        for norm in (block.norm1, block.norm2):
            norm.weight.add_(1.0)
    x = make.randn(2, 3, 4, dtype=torch.float64)
    target = make.randn(2, 4, dtype=torch.float64)
    opt = torch.optim.Adam(block.parameters(), lr=0.05)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = F.mse_loss(block(x).mean(dim=1), target)
        loss.backward()
        opt.step()
        losses.append(loss)
    return {
        "losses": losses,
        "last grads": {name: p.grad for name, p in block.named_parameters()},
        "final weights": dict(block.named_parameters()),
        "output after training": block(x),
        "graph": _node_names(losses[-1]),
    }
