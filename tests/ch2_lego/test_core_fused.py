"""The fused Functions (gelu, layer_norm, cross_entropy of class indices, softmax's backward)
against torch in float64: values, first gradients for every input, strided (non-contiguous)
inputs and, through create_graph, second derivatives. SINGSYS_ORACLE=torch runs them with torch
on both sides."""

import importlib
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))
LF = lego.nn.functional

pytestmark = pytest.mark.sec_2_10


def pair(a: np.ndarray, transpose: bool = False):
    """The same float64 leaf in both libraries; transposed, it is a non-contiguous view."""
    x, xt = lego.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    return (x, xt, x.mT, xt.mT) if transpose else (x, xt, x, xt)


def check(ours, ref, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("transpose", [False, True])
def test_gelu_values_and_grads(approximate, transpose):
    a = np.random.default_rng(0).normal(0, 2, (5, 7))
    x, xt, xv, xvt = pair(a, transpose)
    y = LF.gelu(xv, approximate=approximate)
    yt = torch.nn.functional.gelu(xvt, approximate=approximate)
    check(y, yt)
    g = np.random.default_rng(1).normal(size=yt.shape)
    y.backward(lego.tensor(g))
    yt.backward(torch.tensor(g))
    check(x.grad, xt.grad)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_double_backward(approximate):
    a = np.random.default_rng(2).normal(0, 2, (4, 3))
    x, xt, _, _ = pair(a)
    (g,) = lego.autograd.grad(LF.gelu(x, approximate=approximate).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(torch.nn.functional.gelu(xt, approximate=approximate).sum(), xt,
                                create_graph=True)
    check(g, gt)
    (g * g).sum().backward()
    (gt * gt).sum().backward()
    check(x.grad, xt.grad, rtol=1e-9)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape,normalized", [((6, 8), (8,)), ((2, 3, 4, 5), (4, 5))])
def test_layer_norm_values_and_grads(affine, shape, normalized):
    rng = np.random.default_rng(3)
    x, xt, _, _ = pair(rng.normal(1, 3, shape))
    w, wt, _, _ = pair(rng.normal(size=normalized))
    b, bt, _, _ = pair(rng.normal(size=normalized))
    args, targs = ((w, b), (wt, bt)) if affine else ((None, None), (None, None))
    y = LF.layer_norm(x, normalized, *args)
    yt = torch.nn.functional.layer_norm(xt, normalized, *targs)
    check(y, yt, rtol=1e-9)
    g = rng.normal(size=shape)
    y.backward(lego.tensor(g))
    yt.backward(torch.tensor(g))
    check(x.grad, xt.grad, rtol=1e-8, atol=1e-10)
    if affine:
        check(w.grad, wt.grad, rtol=1e-9)
        check(b.grad, bt.grad, rtol=1e-9)


def test_layer_norm_non_contiguous_input_and_grad():
    rng = np.random.default_rng(4)
    x, xt, xv, xvt = pair(rng.normal(size=(5, 6)), transpose=True)  # normalizes strided rows
    w, wt, _, _ = pair(rng.normal(size=(5,)))
    y = LF.layer_norm(xv, (5,), w, None)
    yt = torch.nn.functional.layer_norm(xvt, (5,), wt, None)
    check(y, yt, rtol=1e-9)
    g = rng.normal(size=(5, 6))  # g arrives transposed too
    y.backward(lego.tensor(g).mT)
    yt.backward(torch.tensor(g).mT)
    check(x.grad, xt.grad, rtol=1e-8, atol=1e-10)
    check(w.grad, wt.grad, rtol=1e-9)


def test_layer_norm_double_backward():
    rng = np.random.default_rng(5)
    x, xt, _, _ = pair(rng.normal(size=(3, 4)))
    w, wt, _, _ = pair(rng.normal(size=(4,)))
    b, bt, _, _ = pair(rng.normal(size=(4,)))
    out = (LF.layer_norm(x, (4,), w, b) ** 3).sum()
    out_t = (torch.nn.functional.layer_norm(xt, (4,), wt, bt) ** 3).sum()
    gx, gw = lego.autograd.grad(out, (x, w), create_graph=True)
    gxt, gwt = torch.autograd.grad(out_t, (xt, wt), create_graph=True)
    check(gx, gxt, rtol=1e-9)
    check(gw, gwt, rtol=1e-9)
    (gx.sum() + (gw * gw).sum()).backward()
    (gxt.sum() + (gwt * gwt).sum()).backward()
    check(x.grad, xt.grad, rtol=1e-8, atol=1e-10)
    check(w.grad, wt.grad, rtol=1e-8, atol=1e-10)


def test_layer_norm_float32_matches_torch(bounds):
    a = np.random.default_rng(6).normal(size=(4, 16)).astype(np.float32)
    y = LF.layer_norm(lego.tensor(a), (16,))
    yt = torch.nn.functional.layer_norm(torch.tensor(a), (16,))
    assert y.dtype == lego.float32
    # two sums of 16 terms and a few roundings; x - mean cancels, so its error is at the scale
    # of |x| / std, not of the result
    a64 = a.astype(np.float64)
    scale = np.abs(a64).max(1, keepdims=True) / a64.std(1, keepdims=True)
    ref = yt.numpy()
    bounds.check(y.numpy(), ref, bounds.op(ref, "float32", 2 * 16 + 8, scale))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("transpose", [False, True])
def test_cross_entropy_values_and_grads(reduction, transpose):
    rng = np.random.default_rng(7)
    x, xt, xv, xvt = pair(rng.normal(0, 3, (5, 6) if transpose else (6, 5)), transpose)
    target = np.array([0, 4, -100, 2, 4, 1])  # one row ignored
    loss = LF.cross_entropy(xv, lego.tensor(target), reduction=reduction)
    loss_t = torch.nn.functional.cross_entropy(xvt, torch.tensor(target), reduction=reduction)
    check(loss, loss_t)
    g = rng.normal(size=loss_t.shape)
    loss.backward(lego.tensor(g))
    loss_t.backward(torch.tensor(g))
    check(x.grad, xt.grad)


def test_cross_entropy_double_backward():
    rng = np.random.default_rng(8)
    x, xt, _, _ = pair(rng.normal(size=(4, 3)))
    target = np.array([2, 0, 1, 1])
    loss = LF.cross_entropy(x, lego.tensor(target), ignore_index=1)
    loss_t = torch.nn.functional.cross_entropy(xt, torch.tensor(target), ignore_index=1)
    (g,) = lego.autograd.grad(loss, x, create_graph=True)
    (gt,) = torch.autograd.grad(loss_t, xt, create_graph=True)
    check(g, gt)
    (g * g).sum().backward()
    (gt * gt).sum().backward()
    check(x.grad, xt.grad, rtol=1e-9)


def test_cross_entropy_keeps_nll_loss_errors():
    x = lego.tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        LF.cross_entropy(x, lego.tensor([0, 3]))
    with pytest.raises(ValueError, match="batch_size"):
        LF.cross_entropy(x, lego.tensor([0, 1, 2]))


@pytest.mark.parametrize("dim", [0, -1])
def test_softmax_backward_on_strided_input_and_double_backward(dim):
    rng = np.random.default_rng(9)
    x, xt, xv, xvt = pair(rng.normal(0, 3, (4, 6)), transpose=True)
    y, yt = lego.softmax(xv, dim), torch.softmax(xvt, dim)
    check(y, yt)
    g = rng.normal(size=(6, 4))
    (gx,) = lego.autograd.grad(y, x, lego.tensor(g), create_graph=True)
    (gxt,) = torch.autograd.grad(yt, xt, torch.tensor(g), create_graph=True)
    check(gx, gxt)
    (gx * gx).sum().backward()
    (gxt * gxt).sum().backward()
    check(x.grad, xt.grad, rtol=1e-9)
    x.grad = xt.grad = None
    lego.softmax(xv, dim).backward(lego.tensor(g))  # the plain backward: the kernel path
    torch.softmax(xvt, dim).backward(torch.tensor(g))
    check(x.grad, xt.grad)


@pytest.mark.parametrize("shape, dim", [((3, 0), 1), ((3, 0), 0), ((0, 4), 1), ((0,), 0)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_an_empty_tensor_is_empty(shape, dim, name):
    x, xt = lego.zeros(*shape, requires_grad=True), torch.zeros(*shape, requires_grad=True)
    y, yt = getattr(x, name)(dim), getattr(xt, name)(dim)
    assert tuple(y.shape) == tuple(yt.shape) and str(y.dtype).split(".")[-1] == "float32"
    y.sum().backward()
    yt.sum().backward()
    assert tuple(x.grad.shape) == tuple(xt.grad.shape)
