"""The dispatcher (book 2.7), seen from the outside: every tensor lives on a device, ops keep
it, and each op picks its kernel by dtype the way torch does (integer inputs to floating-point
ops compute in the default float dtype; float32 stays float32). Errors are in test_errors."""

import importlib
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

pytestmark = pytest.mark.sec_2_7


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
def test_floating_ops_pick_torch_result_dtype(op, dtype):
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
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kernels_compute_in_the_tensor_dtype(dtype):
    """float32 inputs give float32 results rounded as float32, not float64 results cast late."""
    a = np.random.default_rng(0).standard_normal((64, 64)).astype(dtype)
    x, xt = lego.tensor(a), torch.tensor(a)
    for fn in (lambda t: (t @ t).sum(0), lambda t: (t * 3 + 1).exp().mean(-1)):
        ours, ref = fn(x), fn(xt)
        assert name(ours.dtype) == dtype
        np.testing.assert_allclose(
            ours.numpy(), ref.numpy(), rtol=2e-5 if dtype == "float32" else 1e-12
        )
