"""Unit tests of the dispatch table: one table of primitives, devices registered from outside."""

import numpy as np
import pytest

import ch2_lego as lego
from ch2_lego.backend import DEVICES, Device, Ops, register, register_device
from ch2_lego.errors import DeviceError, UnsupportedOpError
from ch2_lego.ops_cpu import operand

pytestmark = pytest.mark.sec_2_3


def test_cpu_implements_every_primitive():
    assert set(DEVICES["cpu"].kernels) == set(Ops)


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
