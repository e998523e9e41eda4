"""torch.nn.LSTM, GRU, LSTMCell and GRUCell, following torch 2.13's CPU kernels in RNN.cpp.

The layers replay torch's CPU decomposition: the input projection of a whole layer is one
``linear`` unbound into time steps, each step adds the hidden projection and applies the gates,
a layer's outputs are stacked (both directions concatenated on the last dim) and the final
hidden states stacked over layers; the gates are ``unsafe_chunk`` pieces activated in place.
So the whole graph behind output, h_n and c_n has torch's node names. Dropout between layers
and proj_size are not covered.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import _dtype as dt
from ... import _functions as F_ops
from ..._factories import zeros
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

Weights = tuple[Tensor, Tensor, Tensor | None, Tensor | None]
LSTMState = tuple[Tensor, Tensor]


def _parameter(shape: tuple[int, ...], dtype: dt.dtype | None) -> Parameter:
    target = dtype or dt.get_default_dtype()
    return Parameter(Tensor._from_array(np.zeros(shape, dtype=target.numpy)))


def _ih(x: Tensor, w: Weights) -> Tensor:
    return F.linear(x, w[0], w[2])


def _hh(h: Tensor, w: Weights) -> Tensor:
    return F.linear(h, w[1], w[3])


def lstm_cell(x_proj: Tensor, state: LSTMState, w: Weights) -> LSTMState:
    """One step from an already projected input: i, f, g, o gates in torch's order, with
    torch's in-place additions and activations on the unsafe_chunk pieces."""
    h, c = state
    i, f, g, o = _hh(h, w).add_(x_proj).unsafe_chunk(4, 1)
    i, f, g, o = i.sigmoid_(), f.sigmoid_(), g.tanh_(), o.sigmoid_()
    c_next = f.mul(c).add_(i.mul(g))
    return o.mul(c_next.tanh()), c_next


def gru_cell(x_proj: Tensor, h: Tensor, w: Weights) -> Tensor:
    """One step: reset r, update z, new n = tanh(x_n + r * h_n), h' = (h - n) * z + n, in
    torch's order of in-place operations."""
    x_r, x_z, x_n = x_proj.unsafe_chunk(3, 1)
    h_r, h_z, h_n = _hh(h, w).unsafe_chunk(3, 1)
    r = h_r.add_(x_r).sigmoid_()
    z = h_z.add_(x_z).sigmoid_()
    n = x_n.add(h_n.mul_(r)).tanh_()
    return (h - n).mul_(z).add_(n)


class RNNBase(Module):
    """Parameters per layer and direction in torch's order, names and uniform init."""

    mode: str = ""
    gates: int = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: dt.dtype | None = None,
    ) -> None:
        if dropout != 0 and num_layers > 1:
            raise NotImplementedError(f"{self.mode} with dropout between layers")
        if proj_size != 0:
            raise NotImplementedError(f"{self.mode} with proj_size")
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = self.gates * hidden_size
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes: dict[str, tuple[int, ...]] = {
                    "weight_ih": (gate_size, layer_input),
                    "weight_hh": (gate_size, hidden_size),
                }
                if bias:
                    shapes |= {"bias_ih": (gate_size,), "bias_hh": (gate_size,)}
                for name, shape in shapes.items():
                    setattr(self, name + suffix, _parameter(shape, dtype))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _weights(self, layer: int, direction: int) -> Weights:
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        get = self._parameters.get
        w_ih, w_hh = get("weight_ih" + suffix), get("weight_hh" + suffix)
        assert w_ih is not None and w_hh is not None
        return w_ih, w_hh, get("bias_ih" + suffix), get("bias_hh" + suffix)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- the shared driver -----------------------------------------------------------------------
    def _prepare(self, input: Tensor) -> tuple[Tensor, bool, int]:  # noqa: A002
        batched = input.ndim == 3
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{self.mode}: Expected input to be 2D or 3D, got {input.ndim}D tensor instead"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {input.shape[-1]}"
            )
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
        return input, batched, int(input.shape[batch_dim])

    def _check_hidden(self, hx: Tensor, batch: int, index: str = "") -> None:
        expected = (self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size)
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected hidden{index} size {expected}, got {list(hx.shape)}")

    def _run(self, input: Tensor, hidden: list[Any]) -> tuple[Tensor, list[Any]]:  # noqa: A002
        """Each layer over the whole (time-major) sequence; ``hidden[k]``: layer k's states."""
        x = input.transpose(0, 1) if self.batch_first else input
        finals: list[Any] = []
        directions = 2 if self.bidirectional else 1
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                weights = self._weights(layer, direction)
                steps = list(_ih(x, weights).unbind(0))
                if direction == 1:
                    steps.reverse()
                state = hidden[layer * directions + direction]
                step_outputs = []
                for step in steps:
                    state = self._cell(step, state, weights)
                    step_outputs.append(state[0] if isinstance(state, tuple) else state)
                if direction == 1:
                    step_outputs.reverse()
                outputs.append(F_ops.stack(step_outputs, 0))
                finals.append(state)
            x = outputs[0] if directions == 1 else F_ops.cat(outputs, outputs[0].ndim - 1)
        return x, finals

    def _cell(self, step: Tensor, state: Any, weights: Weights) -> Any:
        raise NotImplementedError


class LSTM(RNNBase):
    """Returns ``(output, (h_n, c_n))``; h_0 and c_0 default to zeros."""

    mode = "LSTM"
    gates = 4

    def _cell(self, step: Tensor, state: Any, weights: Weights) -> Any:
        return lstm_cell(step, state, weights)

    def forward(
        self,
        input: Tensor,  # noqa: A002
        hx: LSTMState | None = None,
    ) -> tuple[Tensor, LSTMState]:
        x, batched, batch = self._prepare(input)
        layers = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            h0 = zeros(layers, batch, self.hidden_size, dtype=input.dtype)
            hx = (h0, zeros(layers, batch, self.hidden_size, dtype=input.dtype))
        elif not batched:
            hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self._check_hidden(hx[0], batch, "[0]")
        self._check_hidden(hx[1], batch, "[1]")
        states = list(zip(hx[0].unbind(0), hx[1].unbind(0), strict=True))
        output, finals = self._run(x, states)
        if self.batch_first:
            output = output.transpose(0, 1)
        h_n = F_ops.stack([h for h, _ in finals], 0)
        c_n = F_ops.stack([c for _, c in finals], 0)
        if not batched:
            return output.squeeze(0 if self.batch_first else 1), (h_n.squeeze(1), c_n.squeeze(1))
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Returns ``(output, h_n)``; h_0 defaults to zeros."""

    mode = "GRU"
    gates = 3

    def _cell(self, step: Tensor, state: Any, weights: Weights) -> Any:
        return gru_cell(step, state, weights)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        x, batched, batch = self._prepare(input)
        layers = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            hx = zeros(layers, batch, self.hidden_size, dtype=input.dtype)
        elif not batched:
            hx = hx.unsqueeze(1)
        self._check_hidden(hx, batch)
        output, finals = self._run(x, list(hx.unbind(0)))
        if self.batch_first:
            output = output.transpose_(0, 1)  # in place, as torch's GRU kernel does
        h_n = F_ops.stack(finals, 0)
        if not batched:
            return output.squeeze(0 if self.batch_first else 1), h_n.squeeze(1)
        return output, h_n


class RNNCellBase(Module):
    """weight_ih, weight_hh, bias_ih, bias_hh with torch's uniform init."""

    gates: int = 1
    weight_ih: Parameter
    weight_hh: Parameter
    bias_ih: Parameter | None
    bias_hh: Parameter | None

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: dt.dtype | None = None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = _parameter((self.gates * hidden_size, input_size), dtype)
        self.weight_hh = _parameter((self.gates * hidden_size, hidden_size), dtype)
        if bias:
            self.bias_ih = _parameter((self.gates * hidden_size,), dtype)
            self.bias_hh = _parameter((self.gates * hidden_size,), dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        stdv = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _weights(self) -> Weights:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        return s if self.bias is True else s + f", bias={self.bias}"

    def _batched(self, input: Tensor) -> tuple[Tensor, bool]:  # noqa: A002
        if input.ndim not in (1, 2):
            raise ValueError(
                f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.ndim}D instead"
            )
        return (input, True) if input.ndim == 2 else (input.unsqueeze(0), False)


class LSTMCell(RNNCellBase):
    """One LSTM step: ``(h', c') = cell(x, (h, c))``."""

    gates = 4

    def forward(self, input: Tensor, hx: LSTMState | None = None) -> LSTMState:  # noqa: A002
        x, batched = self._batched(input)
        if hx is None:
            empty = zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
            hx = (empty, empty)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = lstm_cell(_ih(x, self._weights()), hx, self._weights())
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: ``h' = cell(x, h)``."""

    gates = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, batched = self._batched(input)
        if hx is None:
            hx = zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
        elif not batched:
            hx = hx.unsqueeze(0)
        h = gru_cell(_ih(x, self._weights()), hx, self._weights())
        return h if batched else h.squeeze(0)
