"""ch2's FUSED ops on device "wgpu": softmax and the cross-entropy forward run as the WGSL row
kernels (softmax.wgsl, cross_entropy.wgsl); what they do not take (another axis, a strided
operand) and the ops without a kernel (the backwards, layer norm) run as ch2's decompositions.

Through ch2's API against torch in float64 on the same float32 inputs. A workgroup folds a row
of n in a tree, one rounding per term and level, and exp and log are within a few ulps: every
element is within (n + 16) eps32 of the truth at the tensor's scale (conftest's
bounds.at_scale). The tests count the calls of the registered kernels and of the
decompositions, so they prove which one ran.
"""

import numpy as np
import pytest
import torch

from ch3_brrr.runtime import DeviceNotFoundError, get_device

try:
    get_device("wgpu")
except DeviceNotFoundError as e:
    pytest.skip(f"no wgpu adapter here: {e}", allow_module_level=True)

import ch2_lego as lego  # noqa: E402
import ch2_lego.nn.functional as F  # noqa: E402
import ch3_brrr.device_wgpu  # noqa: E402, F401  (registers "wgpu" with ch2)
from ch2_lego.backend import DEVICES, Ops  # noqa: E402
from ch2_lego.errors import OutOfRangeError  # noqa: E402

pytestmark = pytest.mark.sec_3_11
EPS = float(np.finfo(np.float32).eps)
SHAPE = (4, 5, 6)


@pytest.fixture
def ran(fused_runs):
    """Counts of the kernels of "wgpu" and of the decompositions: ran[kind][op] (conftest)."""
    return fused_runs("wgpu")


def data(shape, seed=0, scale=3.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def pair(a: np.ndarray):
    return (lego.tensor(a, device="wgpu", requires_grad=True),
            torch.tensor(a.astype(np.float64), requires_grad=True))


def host(t) -> np.ndarray:
    assert str(t.device) == "wgpu"
    return t.detach().to("cpu").numpy()


def test_wgpu_registers_the_fused_kernels_it_has():
    assert {Ops.SOFTMAX, Ops.CROSS_ENTROPY} <= set(DEVICES["wgpu"].kernels)


@pytest.mark.parametrize("dim, decomposed", [(-1, {}), (0, {Ops.SOFTMAX: 1})])
def test_softmax_runs_the_row_kernel_along_the_last_dim(bounds, ran, dim, decomposed):
    x, xt = pair(data(SHAPE))
    r = data(SHAPE, seed=1, scale=1.0)
    y = F.softmax(x, dim=dim)
    (y * lego.tensor(r, device="wgpu")).sum().backward()
    yt = torch.softmax(xt, dim)
    (yt * torch.tensor(r.astype(np.float64))).sum().backward()
    n = SHAPE[dim]
    bounds.at_scale(host(y), yt.detach().numpy(), (n + 16) * EPS)
    bounds.at_scale(host(x.grad), xt.grad.numpy(), (2 * n + 16) * EPS)
    assert ran["kernel"] == {Ops.SOFTMAX: 1}  # along dim 0 it declines
    assert ran["decomposition"] == {**decomposed, Ops.SOFTMAX_BACKWARD: 1}


def test_softmax_of_a_strided_input_is_declined_and_decomposed(bounds, ran):
    a = data(SHAPE)
    x = lego.tensor(np.ascontiguousarray(a.transpose(2, 1, 0)), device="wgpu").permute(2, 1, 0)
    y = F.softmax(x, dim=-1)
    bounds.at_scale(host(y), torch.softmax(torch.tensor(a.astype(np.float64)), -1).numpy(),
                    (6 + 16) * EPS)
    assert ran["kernel"] == {Ops.SOFTMAX: 1} and ran["decomposition"] == {Ops.SOFTMAX: 1}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_forward_runs_the_row_kernel(bounds, ran, reduction):
    logits = data((9, 11))
    target = np.random.default_rng(5).integers(0, 11, 9)
    target[2] = -100  # ignored: no loss, no gradient, not counted in the mean
    x, xt = pair(logits)
    loss = F.cross_entropy(x, lego.tensor(target, device="wgpu"), reduction=reduction)
    (loss.sum() if reduction == "none" else loss).backward()
    lt = torch.nn.functional.cross_entropy(xt, torch.tensor(target), reduction=reduction)
    (lt.sum() if reduction == "none" else lt).backward()
    bounds.at_scale(host(loss), lt.detach().numpy(), (11 + 9 + 16) * EPS)
    bounds.at_scale(host(x.grad), xt.grad.numpy(), (2 * 11 + 16) * EPS)
    assert ran["kernel"] == {Ops.CROSS_ENTROPY: 1}
    assert ran["decomposition"] == {Ops.CROSS_ENTROPY_BACKWARD: 1}


def test_a_target_out_of_range_is_reported_at_the_next_read(ran):
    logits = lego.tensor(data((3, 4)), device="wgpu")
    loss = F.cross_entropy(logits, lego.tensor([0, 4, 1], device="wgpu"))
    assert ran["kernel"] == {Ops.CROSS_ENTROPY: 1}
    with pytest.raises(OutOfRangeError, match="Target 4 is out of bounds"):  # torch's words
        loss.item()


@pytest.mark.parametrize("option", ["label_smoothing", "weight"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_weights_or_label_smoothing_decomposes(bounds, ran, cross_entropy_case,
                                                                  reduction, option):
    """Class weights and label smoothing take log_softmax and nll_loss (conftest's case): no
    kernel for LOG_SOFTMAX on "wgpu", so its decomposition runs."""
    loss, grad, loss_t, grad_t = cross_entropy_case("wgpu", np.float32, reduction, option)
    bounds.at_scale(loss, loss_t, (2 * 11 + 9 + 16) * EPS)
    bounds.at_scale(grad, grad_t, (2 * 11 + 9 + 16) * EPS)
    assert ran["kernel"] == {} and ran["decomposition"] == {Ops.LOG_SOFTMAX: 1}
