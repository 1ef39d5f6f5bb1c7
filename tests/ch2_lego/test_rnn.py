"""nn.RNN, nn.LSTM, nn.GRU and their cells (book 2.6) against torch's, with torch's weights
loaded through the state_dict: outputs, final states and every gradient, in float64.

Bound: each step is two matmuls of width at most W = I + D*H <= 16 over values below 8 (inputs
normal, weights below 1/sqrt(H), gates in (-1, 1)), so a step adds at most 2 * W * 8 * eps64
of error to each state; the gates contract, so over T steps and L layers the error stays below
T * L * 2 * W * 8 * eps64 on each side, twice that between the two. Gradients run the same
steps backwards and get the same bound.
"""

import importlib
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))
pytestmark = pytest.mark.sec_2_6
T, B, I, H = 5, 3, 4, 6
EPS64 = float(np.finfo(np.float64).eps)


def bound(layers: int, directions: int) -> float:
    width = I + directions * H
    return 2 * T * layers * 2 * width * 8 * EPS64


def twin(spec: str):
    """The same layer in both libraries, in float64, with torch's weights."""
    ref = eval(f"torch.nn.{spec}").double()
    ours = eval(f"lego.nn.{spec}").double()
    ours.load_state_dict({k: lego.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    return ours, ref


def flat(out):
    return list(out) if isinstance(out, tuple) else [out]


def flatten(outs):
    result = []
    for o in outs:
        result += flatten(o) if isinstance(o, tuple) else [o]
    return result


SPECS = ["RNN(4, 6)", "RNN(4, 6, num_layers=2, nonlinearity='relu')", "LSTM(4, 6)",
         "LSTM(4, 6, num_layers=2, bidirectional=True)", "GRU(4, 6, batch_first=True)",
         "GRU(4, 6, num_layers=2, bias=False, bidirectional=True)",
         "LSTM(4, 6, num_layers=2, dropout=0.5)"]


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("with_state", [False, True])
def test_recurrent_layers_match_torch(spec, with_state):
    ours, ref = twin(spec)
    ours.eval(), ref.eval()  # dropout off: the same numbers on both sides
    assert repr(ours) == repr(ref)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    rng = np.random.default_rng(0)
    shape = (B, T, I) if ref.batch_first else (T, B, I)
    x = rng.standard_normal(shape)
    layers, dirs = ref.num_layers, 2 if ref.bidirectional else 1
    h0 = rng.standard_normal((layers * dirs, B, H))
    c0 = rng.standard_normal((layers * dirs, B, H))
    results = []
    for m, layer in ((lego, ours), (torch, ref)):
        xs = m.tensor(x, requires_grad=True)
        state = None
        if with_state:
            state = (m.tensor(h0), m.tensor(c0)) if "LSTM" in spec else m.tensor(h0)
        outs = flatten(layer(xs, state))
        weights = [m.tensor(np.linspace(-1, 1, o.numel()).reshape(tuple(o.shape))) for o in outs]
        sum((o * w).sum() for o, w in zip(outs, weights)).backward()
        grads = [xs.grad] + [p.grad for p in layer.parameters()]
        results.append([np.asarray(t.detach().numpy()) for t in outs + grads])
    for mine, theirs in zip(*results):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=bound(layers, dirs))


@pytest.mark.parametrize("spec", ["RNNCell(4, 6)", "RNNCell(4, 6, nonlinearity='relu')",
                                  "LSTMCell(4, 6)", "GRUCell(4, 6, bias=False)"])
def test_cells_match_torch(spec):
    ours, ref = twin(spec)
    assert repr(ours) == repr(ref)
    x = np.random.default_rng(1).standard_normal((B, I))
    mine = flatten(flat(ours(lego.tensor(x))))
    theirs = flatten(flat(ref(torch.tensor(x))))
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=0,
                                   atol=bound(1, 1))


def test_unbatched_input_and_bad_input_as_torch():
    ours, ref = twin("GRU(4, 6)")
    x = np.random.default_rng(2).standard_normal((T, I))
    out, h = ours(lego.tensor(x))
    tout, th = ref(torch.tensor(x))
    assert tuple(out.shape) == tuple(tout.shape) and tuple(h.shape) == tuple(th.shape)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=0,
                               atol=bound(1, 1))
    with pytest.raises(RuntimeError):
        ref(torch.ones(T, B, I + 1, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="input_size"):
        ours(lego.ones(T, B, I + 1, dtype=lego.float64))
    with pytest.raises(ValueError):
        torch.nn.RNN(4, 6, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="nonlinearity"):
        lego.nn.RNN(4, 6, nonlinearity="sigmoid")
