"""Kernel counts of fused ch2 programs (book 4.6): the scheduler's promises, read from the count
of kernels each realize runs, with every result checked against torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ch2_lego as lego
import ch2_lego.nn.functional as LF
import ch4_pt2

pytestmark = pytest.mark.sec_4_6


def lazy_and_torch(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    return ([lego.tensor(a, device="lazy") for a in arrays],
            [torch.tensor(a, dtype=torch.float64) for a in arrays])


def kernels_of(t) -> int:
    ch4_pt2.realize(t)
    return ch4_pt2.stats["last_kernels"]


EPS32 = np.finfo(np.float32).eps


def test_softmax_over_the_last_dim_is_at_most_two_kernels():
    (x,), (tx,) = lazy_and_torch((8, 100))
    y = LF.softmax(x, -1)
    assert kernels_of(y) <= 2
    want = TF.softmax(tx, -1).numpy()
    spread = (tx.amax(-1, keepdim=True) - tx.amin(-1, keepdim=True)).numpy()
    assert np.all(np.abs(y.numpy() - want) <= (100 + 4 + 2 * spread) * EPS32 * want)


def test_layernorm_is_at_most_two_kernels():
    (x, w, b), (tx, tw, tb) = lazy_and_torch((6, 64), (64,), (64,))
    y = LF.layer_norm(x, (64,), w, b)
    assert kernels_of(y) <= 2
    want = TF.layer_norm(tx, (64,), tw, tb).numpy()
    # mean and variance of 64 terms in float32, then a few roundings per element
    bound = 200 * EPS32 * (np.abs(want) + np.abs(tb.numpy()) + 1)
    assert np.all(np.abs(y.numpy() - want) <= bound)


def test_ten_elementwise_ops_are_one_kernel(bounds):
    (x,), (tx,) = lazy_and_torch((32, 32))

    def chain(v, lib):
        for k in range(5):
            v = (v * 0.5 + k).tanh()
        return v
    y = chain(x, lego)
    assert kernels_of(y) == 1
    # float32, 3 roundings per step at the magnitude of v*0.5+k (<= 5), then tanh
    # (1-Lipschitz) and the next step's 0.5 shrink the carried error: 16 at that scale
    want = chain(tx, torch).numpy()
    bounds.within(y.numpy(), want, bounds.op(want, "float32", 16, 5.0))


def test_linear_bias_gelu_is_at_most_two_kernels():
    (x, w, b), (tx, tw, tb) = lazy_and_torch((16, 64), (32, 64), (32,))
    y = LF.gelu(LF.linear(x, w, b), approximate="tanh")
    assert kernels_of(y) <= 2
    pre = (tx @ tw.T + tb).numpy()
    bound = 66 * EPS32 * (np.abs(tx.numpy()) @ np.abs(tw.numpy()).T + np.abs(tb.numpy())) * 1.2
    want = TF.gelu(torch.tensor(pre), approximate="tanh").numpy()
    assert np.all(np.abs(y.numpy() - want) <= bound + 8 * EPS32 * np.abs(want))


def test_explain_shows_graph_kernels_reasons_and_source():
    (x, w), _ = lazy_and_torch((4, 8), (8, 8))
    text = ch4_pt2.explain_tensors((x @ w).exp().sum(0))
    assert "graph:" in text and "REDUCE_AXIS" in text
    assert "kernel 0:" in text and "void r_" in text and "acc" in text
