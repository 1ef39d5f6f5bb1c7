"""The dispatcher (book 2.7), seen from the outside: every tensor lives on a device, ops keep
it, and each op picks its kernel by dtype the way torch does (integer inputs to floating-point
ops compute in the default float dtype; float32 stays float32). Errors are in test_errors."""

import importlib
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

pytestmark = pytest.mark.sec_2_3


def name(dtype):
    return str(dtype).split(".")[-1]


def test_tensors_live_on_the_cpu_device():
    x = lego.ones(2, 3)
    assert x.device.type == "cpu" and str(x.device) == "cpu"
    assert x.device == lego.device("cpu")
    assert x.cpu() is x and x.to("cpu") is x and x.to(lego.device("cpu")) is x
    assert (x + 1).device == x.device and (x @ x.T).sum().device == x.device
    assert not x.is_cuda


def test_to_with_device_and_dtype():
    x = lego.ones(2)
    y = x.to("cpu", lego.float64)
    assert y.dtype == lego.float64 and y.device.type == "cpu"
    z = x.to(device="cpu", dtype=lego.int64)
    assert z.dtype == lego.int64


FLOAT_OPS = {
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "sin": lambda x: x.sin(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "rsqrt": lambda x: x.rsqrt(),
    "softmax": lambda x: x.softmax(-1),
}


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool", "float32", "float64"])
@pytest.mark.parametrize("op", list(FLOAT_OPS))
def test_floating_ops_pick_torch_result_dtype(op, dtype, bounds):
    data = [[1, 2, 3], [4, 5, 6]] if dtype != "bool" else [[True, False, True]] * 2
    if op == "softmax" and dtype in ("int32", "int64", "bool"):
        # torch has no integer softmax kernel: both must refuse
        with pytest.raises((RuntimeError, NotImplementedError)):
            FLOAT_OPS[op](torch.tensor(data, dtype=getattr(torch, dtype)))
        with pytest.raises((RuntimeError, NotImplementedError)):
            FLOAT_OPS[op](lego.tensor(data, dtype=getattr(lego, dtype)))
        return
    ours = FLOAT_OPS[op](lego.tensor(data, dtype=getattr(lego, dtype)))
    ref = FLOAT_OPS[op](torch.tensor(data, dtype=getattr(torch, dtype)))
    assert name(ours.dtype) == name(ref.dtype)
    # inputs <= 6, a few roundings per value (a 3-term sum or softmax at most)
    bounds.check(ours.numpy(), ref.numpy(), bounds.op(ref.numpy(), ref.dtype, 8, scale=6.0))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kernels_compute_in_the_tensor_dtype(dtype):
    """Results of the input's dtype, within that dtype's rounding-error bound of the float64
    truth; for float32, visibly rounded as float32 (a float64 result cast late would sit within
    half an ulp of the truth everywhere)."""
    a = np.random.default_rng(0).standard_normal((64, 64)).astype(dtype)
    a64 = a.astype(np.float64)
    eps = float(np.finfo(dtype).eps)
    # (a @ a).sum(0): a length-64 dot product, then a sum of 64 rows: (K + M) eps sum |a||a|
    truth = (a64 @ a64).sum(0)
    bound = (64 + 64) * eps * (np.abs(a64) @ np.abs(a64)).sum(0)
    # exp(3a + 1).mean(-1): each element rounds 3a, + 1 and exp (the error in the argument is
    # multiplied by exp), then a mean of 64 terms adds 64 eps of the mean of |terms|
    e = np.exp(3 * a64 + 1)
    truth2 = e.mean(-1)
    bound2 = (e * eps * (2 * np.abs(3 * a64) + 3)).mean(-1) + 64 * eps * e.mean(-1)
    if dtype == "float64":  # no truth finer than float64 here: compare with torch, both bounds
        truth, truth2 = (torch.tensor(a) @ torch.tensor(a)).sum(0).numpy(), \
            (torch.tensor(a) * 3 + 1).exp().mean(-1).numpy()
        bound, bound2 = 2 * bound, 2 * bound2
    x = lego.tensor(a)
    for ours, expected, err in (((x @ x).sum(0), truth, bound),
                                ((x * 3 + 1).exp().mean(-1), truth2, bound2)):
        assert name(ours.dtype) == dtype
        assert (np.abs(ours.numpy() - expected) <= err).all()
        if dtype == "float32":
            assert (np.abs(ours.numpy() - expected) > eps / 2 * np.abs(expected)).any()
