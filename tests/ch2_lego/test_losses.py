"""Losses and numerically stable softmax (book 2.10): softmax, log_softmax, cross_entropy (class
indices, ignore_index, label smoothing, reductions) and mse_loss against torch, values and
gradients, including logits large enough to overflow a naive exp."""

import importlib
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

# torch raises any of these for bad input; the message is what we check
ERRORS = (RuntimeError, IndexError, ValueError, TypeError)

pytestmark = pytest.mark.sec_2_10


# *** 1. softmax and log_softmax ***


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_methods(check_op, name, dim):
    check_op([(3, 4, 5)], lambda x: getattr(x, name)(dim), layout="transposed")
    check_op(
        [(3, 4, 5)],
        lambda x: getattr(torch, name)(x, dim),
        lambda x: getattr(lego, name)(x, dim),
        layout="sliced",
    )


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_functional(check_op, F, name):
    check_op(
        [(4, 6)], lambda x: getattr(TF, name)(x, dim=-1), lambda x: getattr(F, name)(x, dim=-1)
    )


@pytest.mark.parametrize("scale", [1e2, 1e4, 1e6])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_is_stable_for_large_logits(check_op, name, scale):
    check_op(
        [(3, 5)], lambda x: getattr(x, name)(-1), low=-scale, high=scale, rtol=1e-6, atol=1e-12
    )


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_float32_large_logits_stay_finite(name, bounds):
    a = np.array([[1000.0, 999.0, -1000.0], [-500.0, -501.0, -499.0]], dtype=np.float32)
    ours = getattr(lego.tensor(a), name)(-1)
    ref = getattr(torch.tensor(a), name)(-1)
    assert ours.dtype == lego.float32
    assert np.isfinite(ours.numpy()).all()
    # x - max - log(sum exp): roundings at the logits' magnitude (1000); softmax is <= 1
    scale = 1.0 if name == "softmax" else 1000.0
    bounds.check(ours.numpy(), ref.numpy(), bounds.op(ref.numpy(), "float32", 8, scale))


def test_softmax_rows_sum_to_one():
    x = lego.tensor(np.random.default_rng(0).standard_normal((4, 7)))
    np.testing.assert_allclose(x.softmax(-1).sum(-1).numpy(), np.ones(4), rtol=1e-12)


# *** 2. cross_entropy ***


def ce_inputs(n=6, c=5, seed=0, scale=3.0, extra=()):
    rng = np.random.default_rng(seed)
    logits = rng.uniform(-scale, scale, (n, c, *extra))
    target = rng.integers(0, c, (n, *extra))
    return logits, target


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"reduction": "sum"},
        {"reduction": "none"},
        {"ignore_index": 2},
        {"ignore_index": 2, "reduction": "sum"},
        {"ignore_index": 2, "reduction": "none"},
        {"label_smoothing": 0.1},
        {"label_smoothing": 0.25, "reduction": "sum"},
        {"label_smoothing": 0.1, "reduction": "none"},
        {"label_smoothing": 0.1, "ignore_index": 1},
    ],
    ids=str,
)
def test_cross_entropy(F, kwargs):
    logits, target = ce_inputs()
    target[0] = 2
    target[3] = 1  # make sure ignored classes occur
    x, xt = lego.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    out = F.cross_entropy(x, lego.tensor(target), **kwargs)
    ref = TF.cross_entropy(xt, torch.tensor(target), **kwargs)
    assert tuple(out.shape) == tuple(ref.shape) and out.dtype == lego.float64
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10)
    g = np.random.default_rng(1).standard_normal(tuple(ref.shape))
    out.backward(lego.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("layout", ["transposed", "sliced", "expanded"])
@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.2, "ignore_index": 0}], ids=str)
def test_cross_entropy_non_contiguous_logits(check_op, F, layout, kwargs):
    target = np.array([0, 2, 1, 4, 0, 3])
    check_op(
        [(6, 5)],
        lambda x: TF.cross_entropy(x, torch.tensor(target), **kwargs),
        lambda x: F.cross_entropy(x, lego.tensor(target), **kwargs),
        layout=layout,
    )


def test_cross_entropy_with_extra_dims(F):
    """Input (N, C, d) and target (N, d), as a language model's (B, C, T) would be."""
    logits, target = ce_inputs(n=2, c=4, extra=(3,))
    x, xt = lego.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    out = F.cross_entropy(x, lego.tensor(target))
    ref = TF.cross_entropy(xt, torch.tensor(target))
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-10)
    out.backward()
    ref.backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-9)


def test_cross_entropy_on_a_view_of_logits(F):
    """The usual language-model call: logits.view(-1, C) of a (B, T, C) tensor, sliced."""
    rng = np.random.default_rng(3)
    logits, target = rng.standard_normal((2, 5, 4)), rng.integers(0, 4, (2, 4))
    results = []
    for m, f in ((lego, F), (torch, TF)):
        x = m.tensor(logits, requires_grad=True)
        loss = f.cross_entropy(x[:, :-1].reshape(-1, 4), m.tensor(target).view(-1))
        loss.backward()
        results.append((loss.item(), x.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-10)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-9)


def test_cross_entropy_is_stable_for_large_logits(F):
    logits, target = ce_inputs(scale=1e4)
    x, xt = lego.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    out = F.cross_entropy(x, lego.tensor(target))
    ref = TF.cross_entropy(xt, torch.tensor(target))
    assert np.isfinite(out.item())
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-10)
    out.backward()
    ref.backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-14)


def test_cross_entropy_float32(F, bounds):
    logits, target = ce_inputs()
    out = F.cross_entropy(lego.tensor(logits, dtype=lego.float32), lego.tensor(target))
    ref = TF.cross_entropy(torch.tensor(logits), torch.tensor(target))
    assert out.dtype == lego.float32
    # a mean of N log-sum-exps over C logits: about N + C + 8 roundings at the logits' scale
    n, c = logits.shape
    scale = float(np.abs(logits).max()) + abs(ref.item())
    bounds.check(out.item(), ref.item(), bounds.op(ref.item(), "float32", n + c + 8, scale))


def test_cross_entropy_of_uniform_logits_is_log_c(F, bounds):
    out = F.cross_entropy(lego.zeros(4, 10), lego.tensor([0, 3, 9, 1]))
    # log of a 10-term sum of ones, then a mean of 4: a handful of float32 roundings
    bounds.check(out.item(), np.log(10), bounds.op(np.log(10), "float32", 8))


def test_cross_entropy_target_out_of_range_raises(F):
    with pytest.raises(ERRORS, match="out of bounds"):
        F.cross_entropy(lego.zeros(2, 3), lego.tensor([0, 3]))


# *** 3. mse_loss ***


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(check_op, F, reduction):
    check_op(
        [(3, 4), (3, 4)],
        lambda a, b: TF.mse_loss(a, b, reduction=reduction),
        lambda a, b: F.mse_loss(a, b, reduction=reduction),
        layout="transposed",
    )
