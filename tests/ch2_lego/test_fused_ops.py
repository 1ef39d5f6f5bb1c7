"""The optional FUSED ops of the device contract (backend.FUSED): softmax, log-softmax, layer norm
and cross-entropy as one op each way, whose decompositions are the compositions ch2 ran before.

"cpu" has no kernel for them and runs the decompositions (counted here), with values and
gradients checked against torch in float64. A device may register a kernel for some dtypes only,
or decline the operands it gets (return NotImplemented); both then get the decomposition: a probe
device with a numpy softmax kernel shows the three cases, strided and contiguous-only.

Tolerance: a row of n elements goes through a sum of n terms and a handful of roundings more, so
every element is within (n + 8) eps of the float64 truth, at the scale of the largest truth
element (a value that cancels toward 0 keeps the error of the magnitudes it came from).
"""

import numpy as np
import pytest
import torch

import ch2_lego as lego
import ch2_lego.nn.functional as F
from ch2_lego import backend
from ch2_lego.backend import CORE, DECOMPOSITIONS, DEVICES, FUSED, Ops
from ch2_lego.dtype import float32

pytestmark = pytest.mark.sec_2_3

SHAPE = (4, 5, 6)


def within(ours, truth, n: int, dtype) -> None:
    """|ours - truth| <= (n + 8) eps(dtype) max|truth|, elementwise."""
    ours, truth = np.asarray(ours, np.float64), np.asarray(truth, np.float64)
    assert ours.shape == truth.shape, (ours.shape, truth.shape)
    bound = (n + 8) * np.finfo(dtype).eps * max(float(np.abs(truth).max(initial=0)), 1e-300)
    assert np.abs(ours - truth).max(initial=0) <= bound, np.abs(ours - truth).max() / bound


def data(shape, dtype, seed=0, scale=3.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def pair(a: np.ndarray, device="cpu"):
    """The same values as a ch2 tensor on device and a float64 torch tensor, both with grad."""
    return (lego.tensor(a, device=device, requires_grad=True),
            torch.tensor(a.astype(np.float64), requires_grad=True))


def host(t) -> np.ndarray:
    return t.detach().to("cpu").numpy()


@pytest.fixture
def decomposed(monkeypatch):
    """Counts each FUSED op's decomposition runs: {op: calls}."""
    calls: dict = {}
    for op in FUSED:
        def counted(*args, _op=op, _fn=DECOMPOSITIONS[op], **kwargs):
            calls[_op] = calls.get(_op, 0) + 1
            return _fn(*args, **kwargs)
        monkeypatch.setitem(DECOMPOSITIONS, op, counted)
    return calls


def test_the_fused_ops_are_optional_and_each_has_its_decomposition():
    assert FUSED and not FUSED & CORE
    assert FUSED <= set(DECOMPOSITIONS)
    assert not FUSED & set(DEVICES["cpu"].kernels)


# *** on "cpu": the decompositions, against torch ***


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_run_decomposed_on_cpu(decomposed, name, dim, dtype):
    x, xt = pair(data(SHAPE, dtype))
    r = data(SHAPE, dtype, seed=1, scale=1.0)
    y = getattr(F, name)(x, dim=dim)
    (y * lego.tensor(r)).sum().backward()
    yt = getattr(torch, name)(xt, dim)
    (yt * torch.tensor(r.astype(np.float64))).sum().backward()
    n = SHAPE[dim]
    within(host(y), yt.detach().numpy(), n, dtype)
    within(host(x.grad), xt.grad.numpy(), 2 * n, dtype)
    if name == "softmax":
        assert decomposed == {Ops.SOFTMAX: 1, Ops.SOFTMAX_BACKWARD: 1}
    else:  # the backward is Tensor ops of the saved output: no fused op
        assert decomposed == {Ops.LOG_SOFTMAX: 1}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_dims", [1, 2])
@pytest.mark.parametrize("affine", ["weight_and_bias", "weight", "none"])
def test_layer_norm_runs_decomposed_on_cpu(decomposed, affine, n_dims, dtype):
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
    (y * lego.tensor(r)).sum().backward()
    yt = torch.nn.functional.layer_norm(xt, normalized, wt, bt)
    (yt * torch.tensor(r.astype(np.float64))).sum().backward()
    m = int(np.prod(normalized))
    within(host(y), yt.detach().numpy(), m, dtype)
    within(host(x.grad), xt.grad.numpy(), 4 * m, dtype)
    for ours, theirs in ((w, wt), (b, bt)):
        if ours is not None:  # a sum over the 24 / m rows of each column
            within(host(ours.grad), theirs.grad.numpy(), 2 * m + x.numel() // m, dtype)
    assert decomposed == {Ops.LAYER_NORM: 1, Ops.LAYER_NORM_BACKWARD: 1}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_runs_decomposed_on_cpu(decomposed, reduction, dtype):
    logits = data((9, 11), dtype)
    target = np.random.default_rng(5).integers(0, 11, 9)
    target[2] = -100  # ignored: no loss, no gradient, not counted in the mean
    x, xt = pair(logits)
    loss = F.cross_entropy(x, lego.tensor(target), reduction=reduction)
    (loss.sum() if reduction == "none" else loss).backward()
    lt = torch.nn.functional.cross_entropy(xt, torch.tensor(target), reduction=reduction)
    (lt.sum() if reduction == "none" else lt).backward()
    within(host(loss), lt.detach().numpy(), 11 + 9, dtype)
    within(host(x.grad), xt.grad.numpy(), 2 * 11 + 9, dtype)
    assert decomposed == {Ops.CROSS_ENTROPY: 1, Ops.CROSS_ENTROPY_BACKWARD: 1}


def test_nn_layer_norm_module_without_bias_on_cpu(decomposed):
    layer = lego.nn.LayerNorm(6, bias=False)
    with lego.no_grad():
        layer.weight.copy_(lego.tensor(data((6,), np.float32, seed=6)))
    ref = torch.nn.LayerNorm(6, bias=False, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(host(layer.weight).astype(np.float64)))
    x, xt = pair(data(SHAPE, np.float32))
    layer(x).square().sum().backward()
    ref(xt).square().sum().backward()
    within(host(x.grad), xt.grad.numpy(), 4 * 6, np.float32)
    within(host(layer.weight.grad), ref.weight.grad.numpy(), 2 * 6 + 20, np.float32)
    assert decomposed[Ops.LAYER_NORM] == 1


# *** a device's kernel: some dtypes only, and declined operands ***


def numpy_softmax(calls: list):
    """A SOFTMAX kernel that takes only the last axis (it declines the others) and logs calls."""
    def kernel(out, x, axis):
        calls.append(axis)
        if axis != x.ndim - 1:
            return NotImplemented
        e = np.exp(x - x.max(-1, keepdims=True))
        out[...] = e / e.sum(-1, keepdims=True)
    return kernel


@pytest.fixture(scope="module", params=[False, True], ids=["strided", "contiguous_only"])
def probe(request):
    """A device with the cpu's memory and primitive kernels, and a float32-only SOFTMAX kernel
    that logs its calls; contiguous_only also exercises the dispatcher's dense copies."""
    cpu = DEVICES["cpu"]
    name = f"probe{int(request.param)}"
    dev = backend.register_device(backend.Device(
        name, alloc=cpu.alloc, from_numpy=cpu.from_numpy, to_numpy=cpu.to_numpy,
        operand=cpu.operand, scalar=cpu.scalar, dtypes=cpu.dtypes,
        contiguous_only=request.param))
    dev.kernels.update(cpu.kernels)
    calls: list = []
    backend.register(name, Ops.SOFTMAX, numpy_softmax(calls), [float32])
    return name, calls


@pytest.mark.parametrize("dtype, dim, kernel_calls, decompositions", [
    (np.float32, -1, [2], 0),  # the kernel's case: it runs, no decomposition
    (np.float32, 0, [0], 1),   # another axis: called, declines, decomposed
    (np.float64, -1, [], 1),   # a dtype it does not take: never called, decomposed
])
def test_a_fused_kernel_runs_where_it_can_and_the_decomposition_elsewhere(
        probe, decomposed, dtype, dim, kernel_calls, decompositions):
    name, calls = probe
    calls.clear()
    a = data(SHAPE, dtype)
    # a strided view holding a's values (the contiguous_only device copies it dense first)
    x = lego.tensor(np.ascontiguousarray(a.transpose(2, 1, 0)), device=name).permute(2, 1, 0)
    y = F.softmax(x, dim=dim)
    assert calls == kernel_calls
    assert decomposed.get(Ops.SOFTMAX, 0) == decompositions
    within(host(y), torch.softmax(torch.tensor(a.astype(np.float64)), dim).numpy(), 6, dtype)
