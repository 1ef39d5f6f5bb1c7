"""Interop with numpy and DLPack (book 2.1): numpy(), __array__, from_numpy and DLPack share
memory with the tensor's storage where the layouts allow it, strides included."""

import importlib
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

pytestmark = pytest.mark.sec_2_1


def test_numpy_shares_memory():
    x = lego.zeros(2, 3, dtype=lego.float64)
    a = x.numpy()
    a[0, 1] = 5.0
    assert x[0, 1].item() == 5.0
    x.add_(1)
    assert a[1, 2] == 1.0


def test_numpy_of_a_view_has_its_strides():
    x = lego.tensor(np.arange(12.0).reshape(3, 4))
    v = x.t()[::2]
    a = v.numpy()
    ref = torch.tensor(np.arange(12.0).reshape(3, 4)).t()[::2].numpy()
    assert a.strides == ref.strides
    a[0, 0] = -1.0
    assert x[0, 0].item() == -1.0


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's own __array__, in oracle mode
def test_array_protocol():
    x = lego.tensor([[1, 2], [3, 4]], dtype=lego.int32)
    a = np.asarray(x)
    assert a.dtype == np.int32 and a.tolist() == [[1, 2], [3, 4]]
    assert np.array(x, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(np.add(x, 1), [[2, 3], [4, 5]])
    assert np.shares_memory(np.asarray(x), x.numpy())


def test_from_numpy_shares_memory():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = lego.from_numpy(a)
    assert x.dtype == lego.float32 and tuple(x.shape) == (2, 3)
    a[1, 1] = 100.0
    assert x[1, 1].item() == 100.0
    assert lego.as_tensor(a)[1, 1].item() == 100.0


@pytest.mark.parametrize(
    "view",
    [lambda x: x, lambda x: x.t(), lambda x: x[1:, ::2], lambda x: x[0]],
    ids=["whole", "transposed", "sliced", "row"],
)
def test_torch_from_dlpack_shares_memory(view):
    x = lego.tensor(np.arange(12.0).reshape(3, 4))
    v = view(x)
    t = torch.from_dlpack(v)
    assert tuple(t.shape) == tuple(v.shape) and tuple(t.stride()) == tuple(v.stride())
    np.testing.assert_array_equal(t.numpy(), v.numpy())
    t.mul_(-1)
    np.testing.assert_array_equal(v.numpy(), t.numpy())
    assert x.sum().item() != 66.0


def test_numpy_from_dlpack():
    x = lego.tensor([1.0, 2.0, 3.0], dtype=lego.float32)
    a = np.from_dlpack(x)
    assert a.dtype == np.float32
    x[0] = 9.0
    assert a[0] == 9.0


def test_from_dlpack_of_a_torch_tensor():
    t = torch.arange(6.0).reshape(2, 3)
    x = lego.from_dlpack(t)
    assert tuple(x.shape) == (2, 3) and x.dtype == lego.float32
    t[0, 0] = 42.0
    assert x[0, 0].item() == 42.0
