"""Regression tests for silent wrong answers (issue 11): each case once returned a plausible but
wrong result. Every expected value comes from torch run on the same input."""

import importlib
import math
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))


def to_numpy(t) -> np.ndarray:
    return np.array(t.detach().numpy(), copy=True)

pytestmark = pytest.mark.sec_2_11


def _same_memory(a, b) -> bool:
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


# *** 1. results that must not alias their input ***


@pytest.mark.parametrize("shift", [0, 5, -5, 10, 3, -7])
def test_roll_never_aliases(shift):
    ref, x = torch.arange(5.0), lego.arange(5.0)
    out_ref, out = ref.roll(shift), x.roll(shift)
    np.testing.assert_array_equal(to_numpy(out), to_numpy(out_ref))
    assert _same_memory(out, x) == _same_memory(out_ref, ref) is False
    out[0] = 100.0
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize("sizes", [(1,), (1, 1), (2,), (1, 2)])
def test_repeat_always_copies(sizes):
    ref, x = torch.arange(3.0), lego.arange(3.0)
    out = x.repeat(*sizes)
    np.testing.assert_array_equal(to_numpy(out), to_numpy(ref.repeat(*sizes)))
    assert not _same_memory(out, x)


@pytest.mark.parametrize("make", [lambda m: m.arange(12.0),
                                  lambda m: m.arange(24.0).reshape(4, 6).t()[1]],
                         ids=["contiguous", "strided"])
def test_unfold_is_a_view_as_torchs(make):
    ref, x = make(torch), make(lego)
    u_ref, u = ref.unfold(0, 3, 2), x.unfold(0, 3, 2)
    np.testing.assert_array_equal(to_numpy(u), to_numpy(u_ref))
    assert u.stride() == u_ref.stride() and u.storage_offset() == u_ref.storage_offset()
    u_ref[0, 1], u[0, 1] = -1.0, -1.0
    np.testing.assert_array_equal(to_numpy(x), to_numpy(ref))


def test_unfold_of_a_strided_view_has_torchs_gradient():
    base_ref = torch.arange(24.0).reshape(4, 6).requires_grad_()
    base = lego.arange(24.0).reshape(4, 6).requires_grad_()
    for b in (base_ref, base):
        (b.t()[1].unfold(0, 3, 1) * b.new_tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(to_numpy(base.grad), to_numpy(base_ref.grad))


# *** 2. no gradient through integer results ***


@pytest.mark.parametrize("cast", [lambda t: t.long(), lambda t: t.int(), lambda t: t.bool(),
                                  lambda t: t.to(t.new_tensor(0).long().dtype),
                                  lambda t: t.argmax(), lambda t: t > 0],
                         ids=["long", "int", "bool", "to_int64", "argmax", "gt"])
def test_integer_results_do_not_require_grad(cast):
    ref = cast(torch.ones(3, requires_grad=True))
    out = cast(lego.ones(3, requires_grad=True))
    assert out.requires_grad is ref.requires_grad is False
    assert out.grad_fn is None


# *** 3. values ***


@pytest.mark.parametrize("src,dst,shape", [
    ("float32", "int32", (2, 3)), ("int32", "float32", (3,)), ("float32", "float64", (2, 4)),
    ("float64", "float32", (2, 3)), ("int64", "int32", (1, 2)), ("int32", "bool", (2,)),
    ("float64", "int64", ()),
])
def test_view_dtype_reinterprets_bits(src, dst, shape):
    data = np.arange(1, 1 + math.prod(shape) * 2, 2).reshape(shape)
    ref = torch.tensor(data).to(getattr(torch, src))
    x = lego.tensor(data).to(getattr(lego, src))
    out_ref, out = ref.view(getattr(torch, dst)), x.view(getattr(lego, dst))
    assert tuple(out.shape) == tuple(out_ref.shape)
    np.testing.assert_array_equal(to_numpy(out), to_numpy(out_ref))
    out_ref.zero_(), out.zero_()  # a view: writes show in the source
    np.testing.assert_array_equal(to_numpy(x), to_numpy(ref))


@pytest.mark.parametrize("src,dst,make", [
    ("float32", "float64", lambda m, d: m.ones(3, dtype=d)),
    ("float32", "float64", lambda m, d: m.ones(4, 2, dtype=d).t()),
    ("float64", "float32", lambda m, d: m.ones(4, 2, dtype=d).t()),
    ("float32", "float64", lambda m, d: m.ones((), dtype=d)),
    ("float32", "float64", lambda m, d: m.ones(5, dtype=d)[1:]),
], ids=["odd_last_dim", "strided_up", "strided_down", "zero_dim", "odd_offset"])
def test_view_dtype_refusals_follow_torch(src, dst, make):
    with pytest.raises(RuntimeError) as ref:
        make(torch, getattr(torch, src)).view(getattr(torch, dst))
    with pytest.raises(RuntimeError) as ours:
        make(lego, getattr(lego, src)).view(getattr(lego, dst))
    assert str(ours.value).split(" to view")[0] == str(ref.value).split(" to view")[0]


@pytest.mark.parametrize("bound", [{"min": 1.5}, {"max": 2.5}, {"min": 0.5, "max": 2.5}])
def test_clamp_of_ints_with_float_bounds_promotes(bound):
    ref, out = torch.tensor([1, 2, 3]).clamp(**bound), lego.tensor([1, 2, 3]).clamp(**bound)
    assert str(out.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_array_equal(to_numpy(out), to_numpy(ref))


@pytest.mark.parametrize("data,dtype", [([2**63], None), ([2**64], None), (-(2**63) - 1, None),
                                        ([2**63], "int64"), ([2**31], "int32")])
def test_integers_too_big_raise_as_torchs(data, dtype):
    with pytest.raises(Exception) as ref:
        torch.tensor(data, dtype=getattr(torch, dtype) if dtype else None)
    with pytest.raises(type(ref.value)) as ours:
        lego.tensor(data, dtype=getattr(lego, dtype) if dtype else None)
    assert str(ours.value).split(" to type")[0] == str(ref.value).split(" to type")[0]


def test_integers_at_the_edge_are_kept():
    for v in (2**63 - 1, -(2**63)):
        assert lego.tensor([v]).item() == torch.tensor([v]).item() == v


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, 0, math.inf, -math.inf, "fro", -1, -2.5])
@pytest.mark.parametrize("data", [[3.0, 0.5, -2.0], [0.0, 0.0, 0.0], [0.0, -4.0, 0.0]])
def test_norm_values_and_gradients(p, data):
    ref = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    x = lego.tensor(data, dtype=lego.float64, requires_grad=True)
    out_ref, out = ref.norm(p), x.norm(p)
    # a few float64 ulps through pow and sqrt
    np.testing.assert_allclose(to_numpy(out), to_numpy(out_ref), rtol=1e-14)
    out_ref.backward(), out.backward()
    # torch leaves the 0-"norm" (a count) with an undefined gradient, None; ours is zeros
    ref_grad = to_numpy(ref.grad) if ref.grad is not None else np.zeros(3)
    grad = to_numpy(x.grad) if x.grad is not None else np.zeros(3)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-14, atol=1e-300)


def test_norm_over_a_dim_has_zero_gradient_at_zero():
    data = [[0.0, 0.0], [3.0, 4.0]]
    ref = torch.tensor(data, requires_grad=True)
    x = lego.tensor(data, requires_grad=True)
    ref.norm(dim=1).sum().backward(), x.norm(dim=1).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), to_numpy(ref.grad), rtol=1e-6)


@pytest.mark.parametrize("a,b", [
    ([True, False], [3, 1]), ([6, 5], [3, 3]), ([True, False], True), ([-6, 5], 3),
    ([True, True], [False, True]), ([7], [True])])
@pytest.mark.parametrize("op", ["__and__", "__or__", "__xor__"])
def test_bitwise_ops_on_ints_and_bools(a, b, op):
    def run(m):
        y = m.tensor(b) if isinstance(b, list) else b
        return getattr(m.tensor(a), op)(y)
    ref, out = run(torch), run(lego)
    assert str(out.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_array_equal(to_numpy(out), to_numpy(ref))


def test_invert_of_ints():
    np.testing.assert_array_equal(to_numpy(~lego.tensor([0, 5, -3])),
                                  to_numpy(~torch.tensor([0, 5, -3])))


@pytest.mark.parametrize("n,value", [(100_000, 0.1), (30_000, 1 / 3)])
def test_float32_cumsum_accumulates_like_torch(n, value):
    """torch's CPU cumsum of float32 accumulates in double: every prefix is the float64 prefix
    sum rounded once. Bound: that rounding (half an ulp of float32) plus the float64 error."""
    ref = torch.full((n,), value).cumsum(0).double().numpy()
    out = lego.full((n,), value).cumsum(0).numpy().astype(np.float64)
    exact = np.cumsum(np.full(n, np.float32(value), dtype=np.float64))
    bound = np.abs(exact) * (2.0**-24 + n * 2.0**-53)
    assert np.all(np.abs(out - exact) <= bound)
    assert np.all(np.abs(ref - exact) <= bound)


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("mask", [[[True, False, True], [False, True, True]], [False, True]])
def test_index_put_with_a_bool_mask_writes_where_it_is_true(mask, accumulate):
    """index_put((mask,), v) once read the mask as the integer indices 0 and 1."""
    data = [[-2.0, -1.0, 0.0], [1.0, 2.0, 3.0]]
    n = int(np.sum(mask)) if np.ndim(mask) == 2 else 3
    values = [float(v) for v in range(7, 7 + n)]
    ref = torch.tensor(data).index_put((torch.tensor(mask),), torch.tensor(values),
                                       accumulate=accumulate)
    out = lego.tensor(data).index_put((lego.tensor(mask),), lego.tensor(values),
                                      accumulate=accumulate)
    np.testing.assert_array_equal(to_numpy(out), to_numpy(ref))


def test_index_put_with_a_mask_of_the_wrong_shape_raises_torchs_error():
    with pytest.raises(IndexError, match=r"The shape of the mask \[3\] at index 0 does not match"):
        lego.zeros(2, 3).index_put((lego.tensor([True, False, True]),), lego.tensor(1.0))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_remainder_signs_and_infinities_as_torch(dtype):
    """numpy's mod gave 0.0 % -2.0 the divisor's sign (-0.0); torch keeps the dividend's."""
    inf = math.inf
    a = [0.0, -0.0, 0.0, -0.0, 5.0, -5.0, 1.0, 7.5, -7.5, 7.5, -7.5, 1e30, inf, 3.0]
    b = [-2.0, 2.0, 2.0, -2.0, inf, inf, -inf, 2.0, 2.0, -2.0, -2.0, 1e-30, 2.0, -0.0]
    ref = torch.remainder(torch.tensor(a, dtype=getattr(torch, dtype)),
                          torch.tensor(b, dtype=getattr(torch, dtype))).numpy()
    ours = getattr(lego, dtype)
    out = to_numpy(lego.tensor(a, dtype=ours) % lego.tensor(b, dtype=ours))
    np.testing.assert_array_equal(out, ref)  # NaN where torch has NaN
    number = ~np.isnan(ref)
    np.testing.assert_array_equal(np.signbit(out[number]), np.signbit(ref[number]))
