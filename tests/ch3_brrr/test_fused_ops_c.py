"""ch2's FUSED ops on device "c": softmax, log-softmax, layer norm and cross-entropy run as the
one-pass kernels of kernels/c/nn.c (device_c.py registers them), not as ch2's decompositions.

Through ch2's API (F.softmax, F.log_softmax, F.layer_norm, nn.LayerNorm, F.cross_entropy),
values and gradients against torch in float64 on the same inputs, float32 and float64. The C
kernels sum each row in one loop (float32 exp by a polynomial within a few ulps), so an element
of a row of n is within about (n + 8) eps of the truth at the tensor's scale (conftest's
bounds.at_scale). Each test also counts the calls of the registered kernel and of the
decomposition, so it proves which one ran.
"""

import numpy as np
import pytest
import torch

import ch2_lego as lego
import ch2_lego.nn.functional as F
import ch3_brrr.device_c  # noqa: F401  (registers "c" with ch2)
from ch2_lego import backend
from ch2_lego.backend import Ops
from ch2_lego.errors import DTypeError, OutOfRangeError

pytestmark = pytest.mark.sec_3_7

SHAPE = (4, 5, 6)


@pytest.fixture
def ran(fused_runs):
    """Counts of the kernels of "c" and of the decompositions: ran[kind][op] (conftest)."""
    return fused_runs("c")


def data(shape, dtype, seed=0, scale=3.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def pair(a: np.ndarray):
    return (lego.tensor(a, device="c", requires_grad=True),
            torch.tensor(a.astype(np.float64), requires_grad=True))


def host(t) -> np.ndarray:
    assert str(t.device) == "c"
    return t.detach().to("cpu").numpy()


def eps(dtype) -> float:
    return float(np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_run_the_c_kernels(bounds, ran, name, dim, dtype):
    x, xt = pair(data(SHAPE, dtype))
    r = data(SHAPE, dtype, seed=1, scale=1.0)
    y = getattr(F, name)(x, dim=dim)
    (y * lego.tensor(r, device="c")).sum().backward()
    yt = getattr(torch, name)(xt, dim)
    (yt * torch.tensor(r.astype(np.float64))).sum().backward()
    n = SHAPE[dim]
    bounds.at_scale(host(y), yt.detach().numpy(), (n + 8) * eps(dtype))
    bounds.at_scale(host(x.grad), xt.grad.numpy(), (2 * n + 8) * eps(dtype))
    fused = Ops.SOFTMAX if name == "softmax" else Ops.LOG_SOFTMAX
    assert ran["kernel"][fused] == 1
    if name == "softmax":
        assert ran["kernel"][Ops.SOFTMAX_BACKWARD] == 1
    assert ran["decomposition"] == {}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_dims", [1, 2])
@pytest.mark.parametrize("affine", ["weight_and_bias", "weight", "none"])
def test_layer_norm_runs_the_c_kernels(bounds, ran, affine, n_dims, dtype):
    normalized = SHAPE[-n_dims:]
    x, xt = pair(data(SHAPE, dtype))
    w, wt = pair(data(normalized, dtype, seed=2, scale=1.0))
    b, bt = pair(data(normalized, dtype, seed=3, scale=1.0))
    if affine != "weight_and_bias":
        b = bt = None
    if affine == "none":
        w = wt = None
    r = data(SHAPE, dtype, seed=4, scale=1.0)
    y = F.layer_norm(x, normalized, w, b)
    (y * lego.tensor(r, device="c")).sum().backward()
    yt = torch.nn.functional.layer_norm(xt, normalized, wt, bt)
    (yt * torch.tensor(r.astype(np.float64))).sum().backward()
    m = int(np.prod(normalized))
    bounds.at_scale(host(y), yt.detach().numpy(), (m + 8) * eps(dtype))
    bounds.at_scale(host(x.grad), xt.grad.numpy(), (4 * m + 8) * eps(dtype))
    for ours, theirs in ((w, wt), (b, bt)):
        if ours is not None:  # column sums over the rows
            bounds.at_scale(host(ours.grad), theirs.grad.numpy(),
                            (2 * m + x.numel() // m + 8) * eps(dtype))
    assert ran["kernel"] == {Ops.LAYER_NORM: 1, Ops.LAYER_NORM_BACKWARD: 1}
    assert ran["decomposition"] == {}


def test_nn_layer_norm_on_a_strided_input(bounds, ran):
    layer = lego.nn.LayerNorm(5).to("c")
    with lego.no_grad():
        layer.weight.copy_(lego.tensor(data((5,), np.float32, seed=6), device="c"))
        layer.bias.copy_(lego.tensor(data((5,), np.float32, seed=7), device="c"))
    ref = torch.nn.LayerNorm(5, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(host(layer.weight).astype(np.float64)))
        ref.bias.copy_(torch.tensor(host(layer.bias).astype(np.float64)))
    x, xt = pair(data(SHAPE, np.float32))
    y = layer(x.transpose(1, 2))  # rows of 5 strided by 6: the kernel reads a dense copy
    y.square().sum().backward()
    ref(xt.transpose(1, 2)).square().sum().backward()
    bounds.at_scale(host(y), ref(xt.transpose(1, 2)).detach().numpy(), 13 * eps(np.float32))
    bounds.at_scale(host(x.grad), xt.grad.numpy(), 28 * eps(np.float32))
    bounds.at_scale(host(layer.weight.grad), ref.weight.grad.numpy(), 40 * eps(np.float32))
    assert ran["kernel"] == {Ops.LAYER_NORM: 1, Ops.LAYER_NORM_BACKWARD: 1}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_runs_the_c_kernels(bounds, ran, reduction, dtype):
    logits = data((9, 11), dtype)
    target = np.random.default_rng(5).integers(0, 11, 9)
    target[2] = -100  # ignored: no loss, no gradient, not counted in the mean
    x, xt = pair(logits)
    loss = F.cross_entropy(x, lego.tensor(target, device="c"), reduction=reduction)
    (loss.sum() if reduction == "none" else loss).backward()
    lt = torch.nn.functional.cross_entropy(xt, torch.tensor(target), reduction=reduction)
    (lt.sum() if reduction == "none" else lt).backward()
    bounds.at_scale(host(loss), lt.detach().numpy(), (11 + 9 + 8) * eps(dtype))
    bounds.at_scale(host(x.grad), xt.grad.numpy(), (2 * 11 + 8) * eps(dtype))
    assert ran["kernel"] == {Ops.CROSS_ENTROPY: 1, Ops.CROSS_ENTROPY_BACKWARD: 1}
    assert ran["decomposition"] == {}


def test_a_target_out_of_range_is_torchs_error_on_c():
    logits = lego.tensor(data((3, 4), np.float32), device="c")
    with pytest.raises(OutOfRangeError, match="Target 4 is out of bounds"):
        F.cross_entropy(logits, lego.tensor([0, 4, 1], device="c"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("option", ["label_smoothing", "weight"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_weights_or_label_smoothing_runs_the_log_softmax_kernel(
        bounds, ran, cross_entropy_case, reduction, option, dtype):
    """Class weights and label smoothing take log_softmax and nll_loss (conftest's case)."""
    loss, grad, loss_t, grad_t = cross_entropy_case("c", dtype, reduction, option)
    bounds.at_scale(loss, loss_t, (2 * 11 + 9 + 8) * eps(dtype))
    bounds.at_scale(grad, grad_t, (2 * 11 + 9 + 8) * eps(dtype))
    assert ran["kernel"] == {Ops.LOG_SOFTMAX: 1} and ran["decomposition"] == {}


@pytest.mark.parametrize("option", [{"label_smoothing": 0.2}, {"weight": True}])
@pytest.mark.parametrize("bad", [4, -1])
def test_a_target_out_of_range_with_weights_or_smoothing_is_torchs_error_on_c(option, bad):
    option = dict(option)
    if option.pop("weight", False):
        option["weight"] = lego.ones(4, device="c")
    logits = lego.tensor(data((3, 4), np.float32), device="c")
    with pytest.raises(OutOfRangeError, match=f"Target {bad} is out of bounds"):
        F.cross_entropy(logits, lego.tensor([0, bad, 1], device="c"), **option)


def test_a_weight_of_another_dtype_is_torchs_error_and_the_kernel_declines_it(ran):
    """F.layer_norm refuses a float64 weight on float32 rows as torch does; the kernel, called
    through the contract, declines it (it would read the float64 bytes as float32), and the
    decomposition's C kernels refuse the mixed dtypes."""
    x = lego.tensor(data((3, 4), np.float32), device="c")
    w = lego.ones(4, dtype=lego.float64, device="c")
    with pytest.raises(DTypeError, match="expected scalar type Float but found Double"):
        F.layer_norm(x, (4,), w)
    with pytest.raises(DTypeError, match="expected scalar type Double but found Float"):
        F.layer_norm(x.double(), (4,), None, x[0])
    assert ran["kernel"] == {}
    stats = lego.empty(3, 1, device="c")._buf
    with pytest.raises(TypeError, match="must share a dtype"):
        backend.run(Ops.LAYER_NORM, lego.empty(3, 4, device="c")._buf, stats, stats, x._buf,
                    w._buf, 0, n_dims=1, eps=1e-5)
    assert ran["kernel"] == {Ops.LAYER_NORM: 1} and ran["decomposition"] == {Ops.LAYER_NORM: 1}
