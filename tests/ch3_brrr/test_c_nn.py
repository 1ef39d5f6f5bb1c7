"""The fused C kernels (softmax, layernorm, cross-entropy, forward and backward) against
float64 numpy formulas and torch's autograd."""

import numpy as np
import pytest
import torch

from ch3_brrr import kernels_c as K

pytestmark = pytest.mark.sec_3_7
EPS32 = float(np.finfo(np.float32).eps)
SHAPES = [(4, 7), (2, 3, 33), (1, 1), (5, 1000)]


def close(out, truth, scale, terms):
    """|out - truth| <= terms * eps32 * scale: a float32 result of `terms` roundings."""
    return np.all(np.abs(out - truth) <= terms * EPS32 * scale)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_softmax_forward_backward(shape):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 5).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yt = torch.softmax(xt, -1)
    yt.backward(torch.tensor(dy, dtype=torch.float64))
    y = K.softmax(x)
    c = shape[-1]
    assert close(y, yt.detach().numpy(), yt.detach().numpy() + 1e-30, 4 * c)
    dx = K.softmax_backward(y, dy)
    scale = y * (np.abs(dy) + np.sum(np.abs(dy * y), -1, keepdims=True))
    assert close(dx, xt.grad.numpy(), scale, 8 * c)


def test_softmax_of_huge_logits_does_not_overflow():
    y = K.softmax(np.array([[1000.0, 1000.0, -np.inf]], np.float32))
    np.testing.assert_array_equal(y, [[0.5, 0.5, 0.0]])


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_layer_norm_forward_backward(shape):
    rng = np.random.default_rng(1)
    c = shape[-1]
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    w, b = rng.standard_normal(c).astype(np.float32), rng.standard_normal(c).astype(np.float32)
    dout = rng.standard_normal(shape).astype(np.float32)
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b)]
    yt = torch.nn.functional.layer_norm(ts[0], (c,), ts[1], ts[2], eps=1e-5)
    yt.backward(torch.tensor(dout, dtype=torch.float64))
    out, mean, rstd = K.layer_norm(x, w, b, 1e-5)
    xhat = np.abs((x - mean[..., None]) * rstd[..., None])
    assert close(out, yt.detach().numpy(), xhat * np.abs(w) + np.abs(b) + 1e-30, 4 * c + 16)
    dx, dw, db = K.layer_norm_backward(dout, x, mean, rstd, w)
    rows = int(np.prod(shape[:-1]))
    g = np.abs(dout * w)
    dx_scale = rstd[..., None] * (g + np.mean(g, -1, keepdims=True) * (1 + xhat * (1 + xhat)))
    assert close(dx, ts[0].grad.numpy(), dx_scale, 8 * c + 16)
    flat = (np.abs(dout) * (1 + xhat)).reshape(-1, c)
    assert close(dw, ts[1].grad.numpy(), flat.sum(0), 8 * (rows + c))
    assert close(db, ts[2].grad.numpy(), np.abs(dout).reshape(-1, c).sum(0), 4 * rows)


@pytest.mark.parametrize("rows,classes", [(6, 5), (64, 65), (1, 1), (3, 5000)])
def test_cross_entropy_forward_backward(rows, classes):
    rng = np.random.default_rng(2)
    logits = (rng.standard_normal((rows, classes)) * 4).astype(np.float32)
    target = rng.integers(0, classes, rows)
    dloss = rng.standard_normal(rows).astype(np.float32)
    lt = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(lt, torch.tensor(target), reduction="none")
    loss_t.backward(torch.tensor(dloss, dtype=torch.float64))
    loss = K.cross_entropy(logits, target)
    scale = np.abs(logits).max(1) + np.log(classes) + 1
    assert close(loss, loss_t.detach().numpy(), scale, 4 * classes + 16)
    dlogits = K.cross_entropy_backward(logits, target, dloss)
    assert close(dlogits, lt.grad.numpy(), np.abs(dloss)[:, None], 4 * classes + 16)


def test_cross_entropy_bad_target_in_torch_words():
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        K.cross_entropy(np.zeros((2, 5), np.float32), np.array([0, 5]))


def test_float64_variants():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 9))
    ref = np.exp(x - x.max(1, keepdims=True))
    ref /= ref.sum(1, keepdims=True)
    assert np.all(np.abs(K.softmax(x) - ref) <= 40 * np.finfo(np.float64).eps * ref)
