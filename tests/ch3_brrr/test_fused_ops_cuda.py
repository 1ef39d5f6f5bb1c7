"""ch2's FUSED ops on device "cuda": softmax, the layer norm forward and cross-entropy (forward
and backward) run as chapter 3's row kernels (softmax.cu, layernorm.cu, cross_entropy.cu);
float64, another axis and the layer norm backward run as ch2's decompositions.

Through ch2's API against torch in float64 on the same float32 inputs. A block reduces a row of
n in a tree and expf/logf/rsqrtf are within a few ulps: every element is within (n + 16) eps32
of the truth at the tensor's scale (conftest's bounds.at_scale). The tests count the calls of
the registered kernels and of the decompositions, so they prove which one ran. Skipped without
a CUDA GPU.
"""

import numpy as np
import pytest
import torch

pytest.importorskip("pycuda", reason="pycuda not installed: the CUDA kernels run only with it")

from ch3_brrr.runtime.device import DeviceNotFoundError, get_device  # noqa: E402

try:
    get_device("cuda")
except DeviceNotFoundError as e:
    pytest.skip(f"no CUDA GPU here: {e}", allow_module_level=True)

import ch2_lego as lego  # noqa: E402
import ch2_lego.nn.functional as F  # noqa: E402
import ch3_brrr.device_cuda  # noqa: E402, F401  (registers "cuda" with ch2)
from ch2_lego.backend import Ops  # noqa: E402
from ch2_lego.errors import OutOfRangeError  # noqa: E402

pytestmark = pytest.mark.sec_3_13
EPS = float(np.finfo(np.float32).eps)
SHAPE = (4, 5, 6)


@pytest.fixture
def ran(fused_runs):
    """Counts of the kernels of "cuda" and of the decompositions: ran[kind][op] (conftest)."""
    return fused_runs("cuda")


def data(shape, seed=0, scale=3.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def pair(a: np.ndarray):
    return (lego.tensor(a, device="cuda", requires_grad=True),
            torch.tensor(a.astype(np.float64), requires_grad=True))


def host(t) -> np.ndarray:
    assert str(t.device).startswith("cuda")
    return t.detach().to("cpu").numpy()


@pytest.mark.parametrize("shape", [SHAPE, (3, 9000)])  # a row past the register rung's 8192
def test_softmax_runs_the_row_kernel(bounds, ran, shape):
    x, xt = pair(data(shape))
    r = data(shape, seed=1, scale=1.0)
    y = F.softmax(x, dim=-1)
    (y * lego.tensor(r, device="cuda")).sum().backward()
    yt = torch.softmax(xt, -1)
    (yt * torch.tensor(r.astype(np.float64))).sum().backward()
    n = shape[-1]
    bounds.at_scale(host(y), yt.detach().numpy(), (n + 16) * EPS)
    bounds.at_scale(host(x.grad), xt.grad.numpy(), (2 * n + 16) * EPS)
    assert ran["kernel"] == {Ops.SOFTMAX: 1}
    assert ran["decomposition"] == {Ops.SOFTMAX_BACKWARD: 1}


def test_softmax_along_another_axis_and_float64_decompose(bounds, ran):
    a = data(SHAPE)
    y = F.softmax(lego.tensor(a, device="cuda"), dim=0)
    z = F.softmax(lego.tensor(a.astype(np.float64), device="cuda"), dim=-1)
    truth = torch.tensor(a.astype(np.float64))
    bounds.at_scale(host(y), torch.softmax(truth, 0).numpy(), (SHAPE[0] + 16) * EPS)
    bounds.at_scale(host(z), torch.softmax(truth, -1).numpy(),
                    (SHAPE[-1] + 16) * float(np.finfo(np.float64).eps))
    assert ran["kernel"] == {Ops.SOFTMAX: 1}  # dim 0: called, declined; float64: not called
    assert ran["decomposition"] == {Ops.SOFTMAX: 2}


@pytest.mark.parametrize("n_dims, affine", [(1, "weight_and_bias"), (2, "weight"), (1, "none")])
def test_layer_norm_forward_runs_the_row_kernel(bounds, ran, n_dims, affine):
    normalized = SHAPE[-n_dims:]
    x, xt = pair(data(SHAPE))
    w, wt = pair(data(normalized, seed=2, scale=1.0))
    b, bt = pair(data(normalized, seed=3, scale=1.0))
    if affine != "weight_and_bias":
        b = bt = None
    if affine == "none":
        w = wt = None
    r = data(SHAPE, seed=4, scale=1.0)
    y = F.layer_norm(x, normalized, w, b)
    (y * lego.tensor(r, device="cuda")).sum().backward()
    yt = torch.nn.functional.layer_norm(xt, normalized, wt, bt)
    (yt * torch.tensor(r.astype(np.float64))).sum().backward()
    m = int(np.prod(normalized))
    bounds.at_scale(host(y), yt.detach().numpy(), (m + 16) * EPS)
    bounds.at_scale(host(x.grad), xt.grad.numpy(), (4 * m + 16) * EPS)
    if w is not None:
        bounds.at_scale(host(w.grad), wt.grad.numpy(), (2 * m + x.numel() // m + 16) * EPS)
    assert ran["kernel"] == {Ops.LAYER_NORM: 1}
    assert ran["decomposition"] == {Ops.LAYER_NORM_BACKWARD: 1}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_runs_the_fused_kernel_both_ways(bounds, ran, reduction):
    logits = data((9, 11))
    target = np.random.default_rng(5).integers(0, 11, 9)
    target[2] = -100  # ignored: no loss, no gradient, not counted in the mean
    x, xt = pair(logits)
    loss = F.cross_entropy(x, lego.tensor(target, device="cuda"), reduction=reduction)
    (loss.sum() if reduction == "none" else loss).backward()
    lt = torch.nn.functional.cross_entropy(xt, torch.tensor(target), reduction=reduction)
    (lt.sum() if reduction == "none" else lt).backward()
    bounds.at_scale(host(loss), lt.detach().numpy(), (11 + 9 + 16) * EPS)
    bounds.at_scale(host(x.grad), xt.grad.numpy(), (2 * 11 + 16) * EPS)
    assert ran["kernel"] == {Ops.CROSS_ENTROPY: 1, Ops.CROSS_ENTROPY_BACKWARD: 1}
    assert ran["decomposition"] == {}


def test_a_target_out_of_range_is_torchs_error_on_cuda():
    logits = lego.tensor(data((3, 4)), device="cuda")
    with pytest.raises(OutOfRangeError, match="Target 4 is out of bounds"):
        F.cross_entropy(logits, lego.tensor([0, 4, 1], device="cuda"))


@pytest.mark.parametrize("option", ["label_smoothing", "weight"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_weights_or_label_smoothing_decomposes(bounds, ran, cross_entropy_case,
                                                                  reduction, option):
    """Class weights and label smoothing take log_softmax and nll_loss (conftest's case): no
    kernel for LOG_SOFTMAX on "cuda", so its decomposition runs."""
    loss, grad, loss_t, grad_t = cross_entropy_case("cuda", np.float32, reduction, option)
    bounds.at_scale(loss, loss_t, (2 * 11 + 9 + 16) * EPS)
    bounds.at_scale(grad, grad_t, (2 * 11 + 9 + 16) * EPS)
    assert ran["kernel"] == {} and ran["decomposition"] == {Ops.LOG_SOFTMAX: 1}


@pytest.mark.parametrize("shape", [(7, 3), (3, 9000)])  # a short row; one past 8192 (v1_block)
def test_layer_norm_forward_rows_of_any_length(bounds, ran, shape):
    x, xt = pair(data(shape))
    w, wt = pair(data(shape[-1:], seed=2, scale=1.0))
    b, bt = pair(data(shape[-1:], seed=3, scale=1.0))
    y = F.layer_norm(x, shape[-1:], w, b)
    yt = torch.nn.functional.layer_norm(xt, shape[-1:], wt, bt)
    bounds.at_scale(host(y), yt.detach().numpy(), (shape[-1] + 16) * EPS)
    assert ran["kernel"] == {Ops.LAYER_NORM: 1}


@pytest.mark.parametrize("bad", [-1, 4])
@pytest.mark.parametrize("op", ["gather", "scatter_add", "weighted_cross_entropy"])
def test_a_bad_index_raises_as_on_cpu(op, bad):
    """gather and scatter_add take [0, size) as torch: -1 once wrapped to the last element on
    "cuda" (a weighted cross-entropy with target -1 returned a wrong loss without an error)."""
    def call(device):
        x = lego.tensor(data((3, 4)), device=device)
        index = lego.tensor([[0, bad], [1, 2], [3, 0]], device=device)
        if op == "gather":
            return x.gather(1, index)
        if op == "scatter_add":
            return x.scatter_add(1, index, lego.ones(3, 2, device=device))
        weight = lego.tensor([1.0, 2.0, 0.5, 1.5], device=device)
        return F.cross_entropy(x, lego.tensor([0, bad, 1], device=device), weight=weight)

    with pytest.raises(Exception) as on_cpu:
        call("cpu")
    with pytest.raises(type(on_cpu.value)) as on_cuda:
        call("cuda")
    assert str(on_cuda.value) == str(on_cpu.value)
