"""The device contract: a device that implements only the core ops runs every primitive (the rest
decomposed), states its dtypes, may ask for contiguous operands, and gets constants without an
upload. Checked on the test devices of conftest.py against torch in float64 (or exactly)."""

import numpy as np
import pytest
import torch

import ch2_lego as lego
from ch2_lego.backend import CORE, DECOMPOSITIONS, DEVICES, Device, Ops, register, register_device
from ch2_lego.errors import DeviceError, DTypeError

pytestmark = pytest.mark.sec_2_3

EPS = {"float32": float(np.finfo(np.float32).eps), "float64": float(np.finfo(np.float64).eps)}


def on(device, a):
    return lego.tensor(a).to(device)


def back(t) -> np.ndarray:
    return t.to("cpu").numpy()


# *** 1. the core and the decompositions ***


def test_the_core_is_small_and_everything_else_decomposes():
    assert len(CORE) == 26
    assert set(DECOMPOSITIONS) == set(Ops) - CORE


def test_core_device_has_only_core_kernels(core_device):
    assert set(core_device.device.kernels) == set(CORE) and not core_device.device.missing_core()


# exact identities: the decomposed result equals torch's exactly
EXACT = {
    "sub": (lambda a, b: a - b, 2), "min": (lambda a, b: a.minimum(b), 2),
    "le": (lambda a, b: a <= b, 2), "ne": (lambda a, b: a != b, 2),
    "and": (lambda a, b: a.logical_and(b), 2), "or": (lambda a, b: a.logical_or(b), 2),
    "xor": (lambda a, b: a.logical_xor(b), 2), "abs": (lambda a: a.abs(), 1),
    "sign": (lambda a: a.sign(), 1), "not": (lambda a: a.logical_not(), 1),
    "ceil": (lambda a: a.ceil(), 1), "round": (lambda a: a.round(), 1),
    "amin": (lambda a: a.amin(1), 1), "argmin": (lambda a: a.argmin(1), 1),
    "any": (lambda a: a.any(1), 1), "all": (lambda a: a.all(0), 1),
}


@pytest.mark.parametrize("name, dtype", [(n, d) for n in EXACT for d in ("float32", "float64",
                                                                           "int64")
                                          if not (d == "int64" and n in ("ceil", "round"))])
def test_exact_decompositions_match_torch(core_device, name, dtype, rng):
    """(ceil and round of an integer tensor are copies, no kernel: not listed for int64.)"""
    fn, arity = EXACT[name]
    # halves and ties for round, zeros for sign/logic, repeats for argmin
    values = [rng.integers(-4, 5, (5, 6)) / (2 if dtype != "int64" else 1) for _ in range(arity)]
    values = [v.astype(dtype) for v in values]
    ours = fn(*(on("core", v) for v in values))
    ref = fn(*(torch.tensor(v) for v in values))
    np.testing.assert_array_equal(back(ours), ref.numpy())


def test_round_of_large_floats_is_exact(core_device):
    x = np.array([2.0**23 + 1, -(2.0**23) - 3, 2.5, 3.5, -2.5, 1e30], np.float32)
    np.testing.assert_array_equal(back(on("core", x).round()), torch.tensor(x).round().numpy())


def test_integer_remainder_and_floor_division_are_exact(core_device, rng):
    a, b = rng.integers(-50, 50, 40), rng.integers(1, 9, 40) * rng.choice([-1, 1], 40)
    np.testing.assert_array_equal(back(on("core", a) % on("core", b)),
                                  torch.remainder(torch.tensor(a), torch.tensor(b)).numpy())


def test_integer_division_by_zero_still_raises(core_device):
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):  # as torch words it
        on("core", [1, 2]) % on("core", [1, 0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_approximate_decompositions_within_their_error_bounds(core_device, dtype, rng):
    x = rng.normal(0, 2, 200).astype(dtype)
    x64 = torch.tensor(x.astype(np.float64))
    eps, t = EPS[dtype], on("core", x)
    # tanh = 1 - 2/(exp(2x)+1): a few roundings of numbers at most 2 in size
    assert np.abs(back(t.tanh()) - x64.tanh().numpy()).max() <= 8 * eps
    # cos x = sin(x + pi/2): the sum rounds by eps |x + pi/2| / 2, sin adds an eps
    bound = eps * (np.abs(x) + 2) + 2 * eps
    assert (np.abs(back(t.cos()) - x64.cos().numpy()) <= bound).all()
    # erf: Abramowitz and Stegun 7.1.26 has absolute error below 1.5e-7
    assert np.abs(back(t.erf()) - torch.special.erf(x64).numpy()).max() <= 1.5e-7 + 8 * eps
    # remainder of floats: a - floor(a/b) b, off by a few roundings of |a| + |b|
    b = rng.uniform(0.5, 3, 200).astype(dtype)
    ours = back(t % on("core", b))
    ref = torch.remainder(x64, torch.tensor(b.astype(np.float64))).numpy()
    assert (np.abs(ours - ref) <= 4 * eps * (np.abs(x) + b)).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scan_and_product_within_their_error_bounds(core_device, dtype, rng):
    x = rng.normal(0, 1, (3, 37)).astype(dtype)
    x64 = torch.tensor(x.astype(np.float64))
    n, eps = x.shape[1], EPS[dtype]
    # any order of summation: |error| <= n eps sum |x| for each prefix
    bound = n * eps * np.cumsum(np.abs(x), 1)
    assert (np.abs(back(on("core", x).cumsum(1)) - x64.cumsum(1).numpy()) <= bound).all()
    y = rng.uniform(0.5, 1.5, (3, 37)).astype(dtype)
    ref = torch.tensor(y.astype(np.float64)).prod(1).numpy()
    assert (np.abs(back(on("core", y).prod(1)) - ref) <= n * eps * np.abs(ref)).all()


def test_integer_scan_and_product_are_exact(core_device, rng):
    x = rng.integers(-3, 4, (4, 11))
    np.testing.assert_array_equal(back(on("core", x).cumsum(1)), np.cumsum(x, 1))
    np.testing.assert_array_equal(back(on("core", x).prod(0)), np.prod(x, 0))
    assert back(on("core", np.zeros((2, 0), np.int64)).prod(1)).tolist() == [1, 1]


# *** 2. constants, devices by name, dtypes, contiguous operands ***


def test_python_numbers_reach_kernels_without_an_upload(core_device):
    x = on("core", [[1.0, -2.0], [3.0, 0.5]]).requires_grad_()
    core_device.reset()
    y = ((x * 2 + 1) / 3 - 0.5).clamp(-1, 1).masked_fill(x > 2, 0.0).exp()
    y.sum().backward()
    assert core_device.uploads == 0 and core_device.downloads == 0
    ref = torch.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    expected = ((ref * 2 + 1) / 3 - 0.5).clamp(-1, 1).masked_fill(ref > 2, 0.0).exp()
    expected.sum().backward()
    np.testing.assert_allclose(back(y.detach()), expected.detach().numpy(), rtol=4 * EPS["float32"])
    np.testing.assert_allclose(back(x.grad), ref.grad.numpy(), rtol=8 * EPS["float32"])


def test_a_device_name_with_index_zero_is_the_device(core_device):
    x = lego.tensor([1.0, 2.0]).to("core:0")
    assert str(x.device) == "core" and back(x + x).tolist() == [2.0, 4.0]


def test_to_keeps_the_gradient_path(core_device):
    x = lego.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x.to("core") * x.to("core")).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_a_device_may_store_int64_and_bool_as_int32(narrow_device):
    idx = lego.tensor([3, 0, 2]).to("narrow")
    mask = lego.tensor([True, False, True]).to("narrow")
    assert idx.dtype is lego.int64 and mask.dtype is lego.bool
    w = lego.arange(12.0).reshape(4, 3).to("narrow")
    assert back(w[idx].sum(1)).tolist() == [30.0, 3.0, 21.0]
    assert back(mask & (idx > 0)).tolist() == [True, False, True]
    assert back(idx * 2).dtype == np.int64


def test_a_dtype_the_device_cannot_hold_is_a_named_error(narrow_device):
    with pytest.raises(DTypeError, match="'Double' is not supported on device 'narrow'"):
        lego.tensor([1.0], dtype=lego.float64).to("narrow")


def test_contiguous_only_device_gets_dense_operands(dense_device, rng):
    a, b = rng.normal(size=(4, 6)), rng.normal(size=(6, 4))
    x, y = on("dense", a), on("dense", b)
    seen = []

    def check(out, *srcs, **arg):
        seen.append(all(s.flags.c_contiguous for s in (out, *srcs) if isinstance(s, np.ndarray)))
        DEVICES["cpu"].kernels[Ops.ADD][0](out, *srcs, **arg)

    old = DEVICES["dense"].kernels[Ops.ADD]
    register("dense", Ops.ADD, check, old[1])
    try:
        out = x.T + y[:, ::1] + x[:, :4].T.sum(0)  # transposed, sliced, broadcast operands
    finally:
        DEVICES["dense"].kernels[Ops.ADD] = old
    assert seen and all(seen)
    np.testing.assert_array_equal(back(out), a.T + b + a[:, :4].T.sum(0))


@pytest.mark.sec_2_4
def test_a_device_registers_its_own_buffer_class():
    """Chapter 4's way in: a device names the Buffer class its tensors are made of."""
    from ch2_lego.buffer import Buffer

    made = []

    class Recording(Buffer):
        @classmethod
        def empty(cls, shape, dtype, device):
            made.append(tuple(shape))
            return super().empty(shape, dtype, device)

    cpu = DEVICES["cpu"]
    register_device(Device("rec", cpu.alloc, cpu.from_numpy, cpu.to_numpy, cpu.operand,
                           cpu.scalar, buffer_class=Recording))
    DEVICES["rec"].kernels = cpu.kernels
    try:
        y = lego.tensor([1.0, 2.0]).to("rec") * 3
        assert type(y._buf) is Recording and (2,) in made and back(y).tolist() == [3.0, 6.0]
    finally:
        del DEVICES["rec"]


def test_a_storage_knows_the_dtype_its_elements_mean(narrow_device):
    """A device keeping int64 and bool both as int32 tells them apart by Storage.dtype."""
    idx, mask = lego.tensor([1, 2]).to("narrow"), lego.tensor([True, False]).to("narrow")
    assert idx._buf.storage.dtype is lego.int64 and mask._buf.storage.dtype is lego.bool
    assert idx._buf.storage.data.array.dtype == np.int32


def test_an_int64_too_big_for_the_device_is_refused(narrow_device):
    with pytest.raises(DTypeError, match="value 4294967296 of a 'Long' tensor does not fit in "
                                         "the int32 that device 'narrow' stores it in"):
        lego.tensor([1, 2**32]).to("narrow")


# *** 4. moving between devices, and a device not yet registered ***


@pytest.mark.parametrize("value", [2.5, 7, True])
def test_a_0d_tensor_keeps_its_shape_across_devices(core_device, value):
    moved = lego.tensor(value).to("core")
    back_home = moved.to("cpu")
    ref = torch.tensor(value)
    assert moved.shape == back_home.shape == ref.shape == ()
    assert back_home.item() == ref.item()


def test_a_device_not_registered_says_how_devices_register():
    # torch's words first; then why (say, .to("c") before chapter 3's package is imported).
    # "npu": a name no chapter registers, so the test holds whatever else this process imported
    with pytest.raises(DeviceError, match=r"device string: npu:0 \(no device 'npu' is "
                       r"registered; a device registers when the package that defines it is "
                       r"imported\)"):
        lego.tensor(1.0).to("npu:0")
