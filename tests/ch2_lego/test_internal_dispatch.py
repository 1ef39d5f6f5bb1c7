"""Unit tests of the dispatch table: one table of primitives, devices registered from outside."""

import numpy as np
import pytest
import torch

import ch2_lego as lego
from ch2_lego.backend import DEVICES, FUSED, Device, Ops, register, register_device
from ch2_lego.errors import DeviceError, UnsupportedOpError
from ch2_lego.ops_cpu import operand

pytestmark = pytest.mark.sec_2_3


def test_cpu_implements_every_primitive_but_the_fused_layers():
    assert set(DEVICES["cpu"].kernels) == set(Ops) - FUSED


@pytest.fixture
def counting_device():
    """A second host device, as chapter 3 would add one: it counts the adds it runs."""
    calls = []
    dev = register_device(Device("fake", alloc=lambda n, dtype: np.empty(n, dtype.np),
                                 from_numpy=lambda a: np.array(a), to_numpy=lambda d: d,
                                 operand=operand))

    def add(out, a, b):
        calls.append("add")
        np.add(a, b, out=out)

    register("fake", Ops.ADD, add, [lego.float32])
    register("fake", Ops.COPY, DEVICES["cpu"].kernels[Ops.COPY][0], [lego.float32])
    yield dev, calls
    del DEVICES["fake"]


def test_a_registered_device_runs_its_own_kernels(counting_device):
    _, calls = counting_device
    x = lego.tensor([1.0, 2.0]).to("fake")
    assert str(x.device) == "fake"
    y = x + x
    assert calls == ["add"] and y.to("cpu").tolist() == [2.0, 4.0]


def test_missing_kernel_names_op_dtype_and_device(counting_device):
    x = lego.tensor([1.0, 2.0]).to("fake")
    with pytest.raises(UnsupportedOpError, match=r"\"mul\" not implemented for 'Float' on "
                                                 r"device 'fake'"):
        x * x
    d = x.double()  # the cast's COPY kernel reads float32: registered
    with pytest.raises(UnsupportedOpError, match="\"add\" not implemented for 'Double' on "
                                                 "device 'fake'"):
        d + d


def test_mixing_devices_is_refused(counting_device):
    with pytest.raises(DeviceError, match="same device"):
        lego.tensor([1.0]).to("fake") + lego.tensor([1.0])


def test_unknown_device_is_refused():
    with pytest.raises(DeviceError, match="nope"):
        lego.zeros(2, device="nope")


@pytest.mark.parametrize("name", ["cpu", "cpu:0", "cpu:3"])
def test_a_cpu_index_is_ignored_as_torch_does(name):
    assert str(lego.zeros(2).to(name).device) == str(torch.zeros(2).to(name).device) == "cpu"


@pytest.mark.parametrize("name", ["cpu:x", "cpu:-1", "cpu:"])
def test_a_malformed_device_index_is_torchs_error(name):
    with pytest.raises(RuntimeError, match="Invalid device string"):
        torch.zeros(2).to(name)
    with pytest.raises(DeviceError, match=f"Invalid device string: '{name}'"):
        lego.zeros(2).to(name)


def test_kernels_for_a_device_not_registered_are_refused():
    with pytest.raises(DeviceError, match=r"register: no device 'nodev' is registered; call "
                                          r"register_device\(Device\('nodev', \.\.\.\)\)"):
        register("nodev", Ops.ADD, lambda out, x, y: None, [])
