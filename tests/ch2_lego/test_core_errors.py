"""Errors that only the values can reveal (integer division by zero, negative integer powers,
too-large python ints) and the device-mismatch message, each run on torch and on the
implementation: both must raise the same builtin type with the same key phrase."""

import importlib
import os
import warnings

import pytest
import torch

import ch2_lego
from ch2_lego.backend import DEVICES, Device, Ops, register, register_device
from ch2_lego.errors import DeviceError
from ch2_lego.ops_cpu import operand

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

# (book section, name, bad call on module m, builtin torch raises, key phrase of its message)
CASES = [
    ("2_6", "int_floordiv_zero", lambda m: m.tensor([3, 4]) // m.tensor([1, 0]),
     RuntimeError, "ZeroDivisionError"),
    ("2_6", "int_remainder_zero", lambda m: m.tensor([3, 4]) % m.tensor([0, 1]),
     RuntimeError, "ZeroDivisionError"),
    ("2_6", "int_negative_power", lambda m: m.tensor([2, 3]) ** -1,
     RuntimeError, "Integers to negative integer powers are not allowed"),
    ("2_1", "int_too_big", lambda m: m.tensor([1, 2**70]), ValueError, "Overflow"),
    ("2_1", "scalar_too_big", lambda m: m.tensor(2**70), ValueError, "Overflow"),
    ("2_1", "ragged_list", lambda m: m.tensor([[1, 2], [3]]), ValueError,
     r"expected sequence of length 2 at dim 1 \(got 1\)"),
    ("2_1", "full_of_a_string", lambda m: m.full((2,), "a"), TypeError,
     "'fill_value' .* must be Number, not str"),
    ("2_8", "float_index", lambda m: m.zeros(3)[1.5], IndexError,
     "only integers, slices"),
    ("2_8", "index_tensors_that_do_not_broadcast",
     lambda m: m.zeros(3, 3)[m.tensor([0, 1]), m.tensor([0, 1, 2])], IndexError,
     r"shape mismatch: indexing tensors could not be broadcast together with shapes \[2\], "
     r"\[3\]"),
    ("2_8", "index_put_out_of_range",
     lambda m: m.zeros(3).index_put((m.tensor([4]),), m.tensor(1.0)), IndexError,
     "index 4 is out of bounds for dimension 0 with size 3"),
    ("2_8", "scatter_add_index_dims",
     lambda m: m.zeros(3).scatter_add(0, m.tensor([[0]]), m.ones(1)), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    ("2_7", "clamp_without_bounds", lambda m: m.zeros(3).clamp(), RuntimeError,
     "At least one of 'min' or 'max' must not be None"),
    ("2_10", "reflect_pad_too_big",
     lambda m: importlib.import_module(m.__name__ + ".nn.functional").pad(
         m.ones(1, 2, 2), (3, 3), mode="reflect"), RuntimeError,
     "Padding size should be less than the corresponding input dimension"),
    ("2_10", "one_hot_of_negative_class",
     lambda m: importlib.import_module(m.__name__ + ".nn.functional").one_hot(m.tensor([-1])),
     RuntimeError, "Class values must be non-negative"),
    ("2_1", "unknown_element", lambda m: m.tensor([1, object()]), RuntimeError,
     "Could not infer dtype of object"),
    ("2_7", "amax_of_an_empty_dim", lambda m: m.zeros(5, 0).amax(-1), IndexError,
     r"amax\(\): Expected reduction dim -1 to have non-zero size"),
    ("2_7", "amin_of_empty_dims", lambda m: m.zeros(5, 0).amin((1, 0)), IndexError,
     r"amin\(\): Expected reduction dim 1 to have non-zero size"),
    ("2_7", "amax_of_nothing", lambda m: m.zeros(5, 0).amax(), RuntimeError,
     r"amax\(\): Expected reduction dim to be specified for input.numel\(\) == 0"),
    ("2_7", "max_over_an_empty_dim", lambda m: m.zeros(5, 0).max(-1), IndexError,
     r"max\(\): Expected reduction dim 1 to have non-zero size"),
    ("2_10", "cross_entropy_without_classes",
     lambda m: importlib.import_module(m.__name__ + ".nn.functional").cross_entropy(
         m.zeros(3, 0), m.tensor([0, 0, 0])), IndexError, "Target 0 is out of bounds"),
    ("2_7", "argmax_of_nothing", lambda m: m.zeros(5, 0).argmax(), IndexError,
     r"argmax\(\): Expected reduction dim to be specified for input.numel\(\) == 0"),
]


@pytest.mark.parametrize(
    "call, error, phrase",
    [pytest.param(c, e, p, id=name, marks=getattr(pytest.mark, f"sec_{sec}"))
     for sec, name, c, e, p in CASES],
)
def test_same_error_as_torch(call, error, phrase):
    with pytest.raises(error, match=phrase):
        call(torch)
    with pytest.raises(error, match=phrase):
        call(lego)


@pytest.mark.sec_2_6
def test_float_division_by_zero_is_not_an_error():
    """Only integers refuse: floats give inf and nan, as IEEE 754 and torch say."""
    ours = (lego.tensor([1.0, 0.0]) // lego.tensor([0.0, 0.0])).tolist()
    ref = (torch.tensor([1.0, 0.0]) // torch.tensor([0.0, 0.0])).tolist()
    assert str(ours) == str(ref)


@pytest.mark.sec_2_3
def test_device_mismatch_names_both_devices_and_the_op():
    """torch's message names the op too ("when checking argument for ... in method ...")."""
    register_device(Device("other", alloc=DEVICES["cpu"].alloc, from_numpy=lambda a: a,
                           to_numpy=lambda d: d, operand=operand))
    register("other", Ops.COPY, DEVICES["cpu"].kernels[Ops.COPY][0], [ch2_lego.float32])
    try:
        x = ch2_lego.tensor([1.0]).to("other")
        with pytest.raises(DeviceError, match=r"same device, but found at least two devices, "
                                              r"cpu and other! \(when checking the arguments "
                                              r"of add\)"):
            ch2_lego.tensor([1.0]) + x
    finally:
        del DEVICES["other"]


@pytest.mark.sec_2_7
@pytest.mark.parametrize("name, fn", [
    ("div", lambda m: m.tensor([1.0, -1.0, 0.0]) / 0),
    ("log", lambda m: m.tensor([0.0, -1.0]).log()),
    ("sqrt", lambda m: m.tensor([-1.0]).sqrt()),
    ("exp", lambda m: m.tensor([1000.0]).exp()),
    ("floordiv", lambda m: m.tensor([1.0]) // 0),
    ("pow", lambda m: m.tensor([0.0]) ** -1),
])
def test_ieee_specials_come_back_without_warnings(name, fn):
    """inf and nan are results, as in torch: no numpy RuntimeWarning may leak to the user."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = fn(lego).tolist()
    assert str(ours) == str(fn(torch).tolist())
