"""Recurrent layers: nn.RNN, nn.LSTM, nn.GRU and their one-step cells, as torch lays them out.

A layer reads a sequence one step at a time, carrying a hidden state h (and an LSTM's cell c):
each step is a matmul of the step's input and one of h, a few gates, and the new state. The
input's matmul does not depend on h, so it runs once for the whole sequence; only h @ W_hh is
left inside the loop. Parameters carry torch's names and shapes (weight_ih_l0 (G*H, I),
weight_hh_l0 (G*H, H), bias_ih_l0, bias_hh_l0, "_reverse" for the backward direction), so a
state_dict moves between the two libraries. Autograd differentiates through time.
Letters legend: T time steps, B batch, I input size, H hidden size, G gates (1, 4 or 3),
L layers, D directions (1 or 2).
"""

import math

from ch2_lego.creation import empty, zeros
from ch2_lego.errors import ShapeError
from ch2_lego.nn import functional as F
from ch2_lego.nn import init
from ch2_lego.nn.errors import LayerArgumentError
from ch2_lego.nn.module import Module
from ch2_lego.nn.parameter import Parameter
from ch2_lego.tensor import Tensor
from ch2_lego.tensor_movement import cat, stack

# *** 1. one step of each cell: (gates from x, h) -> new state ***


def rnn_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh, nonlinearity: str) -> Tensor:
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh); xw holds the input's part."""
    pre = xw + F.linear(h, w_hh, b_hh)
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


# --8<-- [start:lstm_step]
def lstm_step(xw: Tensor, state, w_hh: Tensor, b_hh) -> tuple[Tensor, Tensor]:
    """The LSTM cell. Shapes: xw (B, 4H), h and c (B, H).

    i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh) in that order (torch's);
    c' = sigmoid(f) c + sigmoid(i) tanh(g),  h' = sigmoid(o) tanh(c').
    """
    h, c = state
    i, f, g, o = (xw + F.linear(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c
# --8<-- [end:lstm_step]


def gru_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh) -> Tensor:
    """The GRU cell. Shapes: xw (B, 3H), h (B, H). Gates r, z, n in torch's order:
    r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z), n = tanh(x_n + r * h_n),
    h' = (1 - z) n + z h (h_n includes b_hn, so the reset gate scales it too)."""
    x_r, x_z, x_n = xw.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return (1 - z) * n + z * h


# *** 2. the multi-layer, optionally bidirectional layer ***


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, layers, directions, batch_first, dropout."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):
        super().__init__()
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise LayerArgumentError("dropout should be a number in range [0, 1] representing "
                                     "the probability of an element being zeroed")
        if hidden_size <= 0 or num_layers <= 0:
            raise LayerArgumentError(f"hidden_size and num_layers must be greater than 0, but "
                                     f"got hidden_size={hidden_size}, num_layers={num_layers}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, 0
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes = {"weight_ih": (self.gates * hidden_size, width),
                          "weight_hh": (self.gates * hidden_size, hidden_size)}
                if bias:
                    shapes |= {"bias_ih": (self.gates * hidden_size,),
                               "bias_hh": (self.gates * hidden_size,)}
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(empty(*shape, device=device, dtype=dtype)))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias uniform in [-1/sqrt(H), 1/sqrt(H)], as torch's."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def flatten_parameters(self) -> None:
        """cuDNN's contiguous weight buffer in torch; nothing to do here."""

    def _weights(self, layer: int, suffix: str):
        get = lambda kind: getattr(self, f"{kind}_l{layer}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _step(self, xw, state, w_hh, b_hh):
        raise NotImplementedError

    def _initial_state(self, hx, batch: int, like: Tensor):
        shape = (self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size)
        return zeros(*shape, dtype=like.dtype, device=like.device) if hx is None else hx

    def _run_direction(self, x: Tensor, state, layer: int, suffix: str):
        """One layer in one direction over the whole sequence. Shapes: x (T, B, I) ->
        outputs (T, B, H), final state."""
        w_ih, w_hh, b_ih, b_hh = self._weights(layer, suffix)
        xw = F.linear(x, w_ih, b_ih)  # (T, B, G*H): the input's matmul, all steps at once
        steps = range(x.shape[0] - 1, -1, -1) if suffix else range(x.shape[0])
        outputs = [None] * x.shape[0]
        for t in steps:
            state = self._step(xw[t], state, w_hh, b_hh)
            outputs[t] = state[0] if isinstance(state, tuple) else state
        return stack(outputs), state

    def forward(self, input: Tensor, hx=None):
        """Shapes: input (T, B, I) ((B, T, I) if batch_first, or (T, I) unbatched) ->
        output (T, B, D*H) and h_n (L*D, B, H) (an LSTM's: (h_n, c_n))."""
        unbatched = input.dim() == 2
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D instead")
        x = input.unsqueeze(1) if unbatched else input.transpose(0, 1) if self.batch_first \
            else input
        if x.shape[-1] != self.input_size:
            raise ShapeError(f"input.size(-1) must be equal to input_size. Expected "
                             f"{self.input_size}, got {x.shape[-1]}")
        states = self._states(hx, x, unbatched)
        directions = ("", "_reverse") if self.bidirectional else ("",)
        finals = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0:
                x = F.dropout(x, self.dropout, self.training)
            outs = []
            for k, suffix in enumerate(directions):
                out, final = self._run_direction(x, states[layer * len(directions) + k], layer,
                                                 suffix)
                outs.append(out)
                finals.append(final)
            x = outs[0] if len(outs) == 1 else cat(outs, -1)
        output = x.squeeze(1) if unbatched else x.transpose(0, 1) if self.batch_first else x
        return output, self._pack(finals, unbatched)

    def _states(self, hx, x: Tensor, unbatched: bool) -> list:
        h = self._initial_state(hx, x.shape[1], x)
        h = h.unsqueeze(1) if unbatched and hx is not None else h
        return list(h.unbind(0))

    def _pack(self, finals: list, unbatched: bool):
        h = stack(finals)
        return h.squeeze(1) if unbatched else h

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += f", bidirectional={self.bidirectional}"
        return text


class RNN(RNNBase):
    """An Elman RNN: h' = tanh (or relu) of (x W_ih^T + b_ih + h W_hh^T + b_hh)."""

    def __init__(self, *args, nonlinearity: str = "tanh", **kwargs):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__(*args, **kwargs)
        self.nonlinearity = nonlinearity

    def _step(self, xw, h, w_hh, b_hh):
        return rnn_step(xw, h, w_hh, b_hh, self.nonlinearity)


class LSTM(RNNBase):
    """Long short-term memory: a cell state c that the gates add to and forget from."""

    gates = 4

    def _step(self, xw, state, w_hh, b_hh):
        return lstm_step(xw, state, w_hh, b_hh)

    def _states(self, hx, x: Tensor, unbatched: bool) -> list:
        if hx is None:
            h = c = self._initial_state(None, x.shape[1], x)
        else:
            h, c = hx
            h, c = (h.unsqueeze(1), c.unsqueeze(1)) if unbatched else (h, c)
        return list(zip(h.unbind(0), c.unbind(0)))

    def _pack(self, finals: list, unbatched: bool):
        h, c = stack([s[0] for s in finals]), stack([s[1] for s in finals])
        return (h.squeeze(1), c.squeeze(1)) if unbatched else (h, c)


class GRU(RNNBase):
    """Gated recurrent unit: a reset and an update gate around a tanh candidate."""

    gates = 3

    def _step(self, xw, h, w_hh, b_hh):
        return gru_step(xw, h, w_hh, b_hh)


# *** 3. single cells: one step, the parameters without a layer suffix ***


class RNNCellBase(Module):
    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        g = self.gates * hidden_size
        self.weight_ih = Parameter(empty(g, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(empty(g, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(g, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(g, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        bound = 1.0 / math.sqrt(hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _zeros(self, input: Tensor) -> Tensor:
        return zeros(*input.shape[:-1], self.hidden_size, dtype=input.dtype,
                     device=input.device)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (f", nonlinearity={self.nonlinearity}" if self.nonlinearity != "tanh"
                       else "")

    def forward(self, input: Tensor, hx=None) -> Tensor:
        h = self._zeros(input) if hx is None else hx
        return rnn_step(F.linear(input, self.weight_ih, self.bias_ih), h, self.weight_hh,
                        self.bias_hh, self.nonlinearity)


class LSTMCell(RNNCellBase):
    gates = 4

    def forward(self, input: Tensor, hx=None):
        state = (self._zeros(input), self._zeros(input)) if hx is None else hx
        return lstm_step(F.linear(input, self.weight_ih, self.bias_ih), state, self.weight_hh,
                         self.bias_hh)


class GRUCell(RNNCellBase):
    gates = 3

    def forward(self, input: Tensor, hx=None) -> Tensor:
        h = self._zeros(input) if hx is None else hx
        return gru_step(F.linear(input, self.weight_ih, self.bias_ih), h, self.weight_hh,
                        self.bias_hh)

