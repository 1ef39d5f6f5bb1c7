"""The WGSL kernels of device "wgpu" against numpy, on strided, broadcast and empty views.

Each launcher gets views of buffers the way ch2 hands them over (offset and strides, stride 0
for broadcasts, negative for flips) and is compared with numpy on the same float32 data, in
float64. Float bounds are the WGSL specification's accuracy limits (section "Floating Point
Accuracy"), which every conforming driver meets; integer results must be exact.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ch3_brrr.runtime import DeviceNotFoundError, get_device

try:
    get_device("wgpu")
except DeviceNotFoundError as e:
    pytest.skip(f"no wgpu adapter here: {e}", allow_module_level=True)

from ch2_lego.backend import Ops  # noqa: E402
from ch3_brrr import device_wgpu as D  # noqa: E402
from ch3_brrr import kernels_wgpu as K  # noqa: E402

pytestmark = pytest.mark.sec_3_10
EPS = float(np.finfo(np.float32).eps)
ULP = EPS  # one unit in the last place, relative


def view_of(base: np.ndarray, v: np.ndarray, dtype: str | None = None) -> K.WGPUView:
    """Upload base; return v (a numpy view into base) as the same view of the device copy."""
    wgsl = "f32" if base.dtype.kind == "f" else "i32"
    data = K.upload(base.reshape(-1), wgsl)
    size = base.itemsize
    offset = (v.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // size
    strides = tuple(s // size for s in v.strides)
    return K.WGPUView(data, v.shape, strides, offset, dtype or str(base.dtype))


def fresh(shape, dtype: str) -> K.WGPUView:
    wgsl = K.WGSL_TYPE[dtype]
    strides = tuple(int(np.prod(shape[d + 1:])) for d in range(len(shape)))
    return K.WGPUView(K.alloc(math.prod(shape), wgsl), tuple(shape), strides, 0, dtype)


def result(v: K.WGPUView) -> np.ndarray:
    flat = K.download(v.data)
    return np.lib.stride_tricks.as_strided(flat[v.offset:], v.shape,
                                           [s * flat.itemsize for s in v.strides]).copy()


def odd_view(rng, shape=(5, 8)):
    """A float32 base and a non-contiguous view of it: flipped rows, every other column,
    transposed."""
    base = rng.standard_normal((shape[0], 2 * shape[1])).astype(np.float32)
    return base, base[::-1, ::2].T


# *** 1. elementwise ***

# WGSL accuracy, as |ours - truth| <= bound(x, truth) for float32 inputs x
UNARY_BOUNDS = {
    Ops.NEG: lambda x, t: 0 * t,
    Ops.ABS: lambda x, t: 0 * t,
    Ops.EXP: lambda x, t: (3 + 2 * np.abs(x)) * ULP * np.abs(t),
    Ops.LOG: lambda x, t: np.where((x >= 0.5) & (x <= 2), 2.0**-21, 3 * ULP * np.abs(t)),
    Ops.SQRT: lambda x, t: 4 * ULP * np.abs(t),  # inherited from 1 / inverseSqrt: 2 + 2 ulp
    Ops.SIN: lambda x, t: 2.0**-11 + 0 * t,  # absolute, on [-pi, pi]
    Ops.COS: lambda x, t: 2.0**-11 + 0 * t,
    # tanh(x) = 1 - 2 / (exp(2x) + 1): exp(2x)'s (3 + 4|x|) ulp, scaled by |d tanh / d log e^2x|
    Ops.TANH: lambda x, t: (3 + 4 * np.abs(x) + 4) * ULP * (1 - t * t) + 2 * ULP,
    # ours: series or the Numerical Recipes fit (1.2e-7), plus ~10 float32 roundings
    Ops.ERF: lambda x, t: 1.2e-7 + 10 * ULP * np.abs(t),
    Ops.FLOOR: lambda x, t: 0 * t, Ops.CEIL: lambda x, t: 0 * t,
    Ops.ROUND: lambda x, t: 0 * t, Ops.SIGN: lambda x, t: 0 * t,
}
UNARY_TRUTH = {
    Ops.NEG: np.negative, Ops.ABS: np.abs, Ops.EXP: np.exp, Ops.LOG: np.log, Ops.SQRT: np.sqrt,
    Ops.SIN: np.sin, Ops.COS: np.cos, Ops.TANH: np.tanh,
    Ops.ERF: np.vectorize(math.erf), Ops.FLOOR: np.floor, Ops.CEIL: np.ceil,
    Ops.ROUND: np.round, Ops.SIGN: np.sign,
}


@pytest.mark.parametrize("op", list(UNARY_TRUTH), ids=lambda op: op.name)
def test_unary_float_on_a_strided_view(op):
    rng = np.random.default_rng(op.value)
    base, x = odd_view(rng)
    if op in (Ops.LOG, Ops.SQRT):
        base = np.abs(base) + 0.01
        x = base[::-1, ::2].T
    if op in (Ops.SIN, Ops.COS):
        base = np.clip(base, -3.1, 3.1)
        x = base[::-1, ::2].T
    if op is Ops.ROUND:
        base[0, :4] = [0.5, 1.5, 2.5, -0.5]  # half to even
    out = fresh(x.shape, "float32")
    D.elementwise_kernel(D.UNARY[op][0])(out, view_of(base, x, "float32"))
    truth = UNARY_TRUTH[op](x.astype(np.float64))
    err = np.abs(result(out) - truth)
    assert np.all(err <= UNARY_BOUNDS[op](x.astype(np.float64), truth)), op


def test_tanh_and_erf_saturate_without_nan():
    x = np.array([-100.0, -20.0, 0.0, 20.0, 100.0, np.nan], np.float32)
    for op, truth in ((Ops.TANH, [-1, -1, 0, 1, 1]), (Ops.ERF, [-1, -1, 0, 1, 1])):
        out = fresh(x.shape, "float32")
        D.elementwise_kernel(D.UNARY[op][0])(out, view_of(x, x, "float32"))
        got = result(out)
        np.testing.assert_allclose(got[:5], truth, atol=2 * ULP)
        assert np.isnan(got[5]) or op is Ops.ERF


BINARY_TRUTH = {
    Ops.ADD: np.add, Ops.SUB: np.subtract, Ops.MUL: np.multiply, Ops.DIV: np.divide,
    Ops.MAX: np.maximum, Ops.MIN: np.minimum, Ops.MOD: np.mod, Ops.FLOORDIV: np.floor_divide,
}


@pytest.mark.parametrize("op", list(BINARY_TRUTH), ids=lambda op: op.name)
def test_binary_float_broadcasts_through_stride_zero(op):
    rng = np.random.default_rng(100 + op.value)
    base, a = odd_view(rng)  # (8, 5), strided
    row = rng.standard_normal(5).astype(np.float32) + 3.0  # broadcast over the 8 rows
    b = np.broadcast_to(row, a.shape)
    out = fresh(a.shape, "float32")
    D.elementwise_kernel(D.BINARY[op][0])(out, view_of(base, a, "float32"),
                                         view_of(row, b, "float32"))
    truth = BINARY_TRUTH[op](a.astype(np.float64), b.astype(np.float64))
    # + - * and max/min round once (0.5 ulp); / is 2.5 ulp; mod and floordiv go through a / b
    bound = {Ops.DIV: 2.5 * ULP * np.abs(truth)}.get(op, 0.5 * ULP * np.abs(truth))
    got = result(out)
    if op is Ops.FLOORDIV:  # floor(a/b) is exact unless a/b (2.5 ulp) rounds across an integer
        q = a.astype(np.float64) / b
        near = np.abs(q - np.round(q)) <= 3 * ULP * np.abs(q)
        assert np.all(got[~near] == truth[~near]) and np.all(np.abs(got - truth) <= 1)
    elif op is Ops.MOD:  # a - b*floor(a/b): the sign follows the divisor, |r| < |b|
        assert np.all(np.sign(got[got != 0]) == np.sign(b[got != 0]))
        np.testing.assert_allclose(got, truth, atol=4 * ULP * np.abs(a).max())
    else:
        assert np.all(np.abs(got - truth) <= bound)


@st.composite
def layouts(draw, nops):
    """A random shape (0-4 dims of 0-5) and per operand a layout of it: dims in a random
    memory order, stepped by 1 or 2, maybe flipped, maybe broadcast (stride 0)."""
    shape = tuple(draw(st.lists(st.integers(0, 5), max_size=4)))
    per_op = [(draw(st.permutations(range(len(shape)))),
               [draw(st.sampled_from([1, 2, -1, -2])) for _ in shape],
               [draw(st.booleans()) for _ in shape]) for _ in range(nops)]
    return shape, per_op, draw(st.integers(0, 2**32 - 1))


def laid_out(base_of, shape, perm, steps, broadcast):
    """(base, view): a contiguous base from base_of(base shape) and the view of it with
    `shape` in the layout (memory order perm, steps, broadcast dims)."""
    sizes = [(1 if b else n) * abs(s) for n, s, b in zip(shape, steps, broadcast)]
    base = base_of(tuple(sizes[p] for p in perm))
    v = base.transpose(np.argsort(perm))[(..., *(slice(None, None, s) for s in steps))]
    return base, np.broadcast_to(v, shape)


EXACT = {  # ops WGSL rounds correctly (or computes exactly) -> numpy's
    Ops.ADD: np.add, Ops.SUB: np.subtract, Ops.MUL: np.multiply, Ops.MAX: np.maximum,
    Ops.MIN: np.minimum, Ops.CMPLT: np.less, Ops.CMPEQ: np.equal,
}


@settings(max_examples=40, deadline=None)
@given(case=layouts(nops=3), op=st.sampled_from(list(EXACT)), wgsl=st.sampled_from(["f32", "i32"]))
def test_binary_on_random_shapes_and_layouts(case, op, wgsl):
    # each operand and out in its own random layout (out is written, so never broadcast)
    shape, (out_layout, *in_layouts), seed = case
    rng = np.random.default_rng(seed)
    dtype = {"f32": "float32", "i32": "int64"}[wgsl]
    values = (lambda s: rng.uniform(-3, 3, s).astype(np.float32)) if wgsl == "f32" else \
        (lambda s: rng.integers(-9, 10, s).astype(np.int32))
    (a_base, a), (b_base, b) = (laid_out(values, shape, *layout) for layout in in_layouts)
    out_dtype = "bool" if op in (Ops.CMPLT, Ops.CMPEQ) else dtype
    out_base, out_host = laid_out(lambda s: np.zeros(s, np.int32 if out_dtype != "float32"
                                                     else np.float32), shape, *out_layout[:2],
                                  [False] * len(shape))
    out = view_of(out_base, out_host, out_dtype)
    D.elementwise_kernel(D.BINARY[op][0])(out, view_of(a_base, a, dtype),
                                         view_of(b_base, b, dtype))
    np.testing.assert_array_equal(result(out), EXACT[op](a, b).astype(out_host.dtype))


def test_max_and_min_propagate_nan():
    a = np.array([1.0, np.nan, 3.0, -np.inf], np.float32)
    b = np.array([np.nan, 2.0, 1.0, 0.0], np.float32)
    for op, truth in ((Ops.MAX, np.maximum(a, b)), (Ops.MIN, np.minimum(a, b))):
        out = fresh(a.shape, "float32")
        D.elementwise_kernel(D.BINARY[op][0])(out, view_of(a, a, "float32"),
                                             view_of(b, b, "float32"))
        np.testing.assert_array_equal(result(out), truth)


def test_integer_ops_are_python_semantics():
    rng = np.random.default_rng(3)
    a = rng.integers(-50, 50, 64).astype(np.int32)
    b = rng.integers(1, 9, 64).astype(np.int32) * rng.choice([-1, 1], 64).astype(np.int32)
    cases = {Ops.FLOORDIV: a // b, Ops.MOD: a % b, Ops.ADD: a + b, Ops.MUL: a * b,
             Ops.MAX: np.maximum(a, b), Ops.SUB: a - b}
    for op, truth in cases.items():
        out = fresh(a.shape, "int64")
        D.elementwise_kernel(D.BINARY[op][0])(out, view_of(a, a, "int64"),
                                             view_of(b, b, "int64"))
        np.testing.assert_array_equal(result(out), truth, err_msg=op.name)
    e = rng.integers(0, 6, 64).astype(np.int32)
    out = fresh(a.shape, "int64")
    D.elementwise_kernel(D.BINARY[Ops.POW][0])(out, view_of(a, a, "int64"),
                                              view_of(e, e, "int64"))
    np.testing.assert_array_equal(result(out), a.astype(np.int64) ** e)


def test_float_pow_follows_torch_for_negative_bases():
    a = np.array([-2.0, -2.0, -2.0, 0.0, 0.0, 0.0, 3.0], np.float32)
    b = np.array([2.0, 3.0, 0.5, -1.0, 0.0, 2.0, 1.5], np.float32)
    out = fresh(a.shape, "float32")
    D.elementwise_kernel(D.BINARY[Ops.POW][0])(out, view_of(a, a, "float32"),
                                              view_of(b, b, "float32"))
    with np.errstate(divide="ignore", invalid="ignore"):
        truth = np.power(a.astype(np.float64), b)  # [4, -8, nan, inf, 1, 0, 5.196...]
    got = result(out)
    ok = np.isfinite(truth)
    np.testing.assert_array_equal(got[~ok], truth[~ok])  # nan and inf exactly
    # WGSL pow is exp2(y log2 x): (3 + 2|y log2 x|) ulp of exp2, plus log2's 3 ulp times |y|
    bound = (3 + 2 * np.abs(b * np.log2(np.abs(a) + (a == 0))) + 3 * np.abs(b)) * ULP
    assert np.all(np.abs(got[ok] - truth[ok]) <= bound[ok] * np.abs(truth[ok]))


def test_comparisons_logic_and_where_give_0_or_1_words():
    rng = np.random.default_rng(4)
    a = rng.integers(-2, 3, (4, 6)).astype(np.float32)
    b = rng.integers(-2, 3, (4, 6)).astype(np.float32)
    cases = {Ops.CMPLT: a < b, Ops.CMPLE: a <= b, Ops.CMPEQ: a == b, Ops.CMPNE: a != b}
    for op, truth in cases.items():
        out = fresh(a.shape, "bool")
        D.elementwise_kernel(D.BINARY[op][0])(out, view_of(a, a, "float32"),
                                             view_of(b, b, "float32"))
        np.testing.assert_array_equal(result(out), truth.astype(np.int32), err_msg=op.name)
    logic = {Ops.AND: np.logical_and, Ops.OR: np.logical_or, Ops.XOR: np.logical_xor}
    for op, fn in logic.items():
        out = fresh(a.shape, "bool")
        expr = D.LOGIC[op].format(z="0.0")
        D.elementwise_kernel({"f32": expr})(out, view_of(a, a, "float32"),
                                            view_of(b, b, "float32"))
        np.testing.assert_array_equal(result(out), fn(a, b).astype(np.int32), err_msg=op.name)
    cond = (a > 0).astype(np.int32)
    out = fresh(a.shape, "float32")
    D.where(out, view_of(cond, cond, "bool"), view_of(a, a, "float32"), D.scalar(9.5, D.float32))
    np.testing.assert_array_equal(result(out), np.where(a > 0, a, 9.5))


def test_copy_casts_like_torch():
    x = np.array([-2.7, -0.5, 0.0, 0.5, 2.7], np.float32)
    to_int = fresh(x.shape, "int64")
    D.copy(to_int, view_of(x, x, "float32"))
    np.testing.assert_array_equal(result(to_int), x.astype(np.int64))  # toward zero
    to_bool = fresh(x.shape, "bool")
    D.copy(to_bool, view_of(x, x, "float32"))
    np.testing.assert_array_equal(result(to_bool), (x != 0).astype(np.int32))
    back = fresh(x.shape, "float32")
    D.copy(back, to_bool)
    np.testing.assert_array_equal(result(back), (x != 0).astype(np.float32))


def test_fill_and_in_place_aliasing():
    out = fresh((3, 4), "float32")
    D.fill(out, 1.25)
    np.testing.assert_array_equal(result(out), np.full((3, 4), 1.25, np.float32))
    # out is also an input, element for element (x *= x): read from a snapshot, same answer
    D.elementwise_kernel(D.BINARY[Ops.MUL][0])(out, out, out)
    np.testing.assert_array_equal(result(out), np.full((3, 4), 1.5625, np.float32))


def test_empty_view_launches_nothing():
    out = fresh((0, 4), "float32")
    D.elementwise_kernel(D.UNARY[Ops.EXP][0])(out, fresh((0, 4), "float32"))
    assert result(out).shape == (0, 4)


# *** 2. reductions ***


@pytest.mark.parametrize("axes", [(0,), (1,), (0, 1), (1, 2), (0, 2)])
def test_sum_over_axes_of_a_strided_view(axes):
    rng = np.random.default_rng(sum(axes))
    base = rng.standard_normal((6, 100, 8)).astype(np.float32)
    x = base[:, ::-1, ::3]  # flipped and stepped
    keep = [n for d, n in enumerate(x.shape) if d not in axes]
    out = fresh(tuple(keep), "float32")
    D.reduce_kernel(D.REDUCE[Ops.SUM])(out, view_of(base, x, "float32"), axes)
    truth = x.astype(np.float64).sum(axes)
    n = math.prod(x.shape[d] for d in axes)
    # 64 strided partial sums of n/64 terms, then a 6-level tree: (n/64 + 6) roundings
    bound = (n / 64 + 7) * EPS * np.abs(x.astype(np.float64)).sum(axes)
    assert np.all(np.abs(result(out) - truth) <= bound)


def test_max_min_prod_any_all():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((7, 130)).astype(np.float32)
    x[3, 17] = np.nan
    cases = {Ops.REDUCE_MAX: np.max(x, 1), Ops.REDUCE_MIN: np.min(x, 1)}
    for op, truth in cases.items():
        out = fresh((7,), "float32")
        D.reduce_kernel(D.REDUCE[op])(out, view_of(x, x, "float32"), (1,))
        np.testing.assert_array_equal(result(out), truth)  # NaN propagates in row 3
    small = (rng.random((4, 5)) + 0.5).astype(np.float32)
    out = fresh((4,), "float32")
    D.reduce_kernel(D.REDUCE[Ops.PROD])(out, view_of(small, small, "float32"), (1,))
    truth = small.astype(np.float64).prod(1)
    assert np.all(np.abs(result(out) - truth) <= 5 * EPS * truth)
    flags = (rng.random((4, 9)) < 0.2).astype(np.float32)
    flags[0] = 0
    flags[1] = 1
    for op, fn in ((Ops.ANY, np.any), (Ops.ALL, np.all)):
        out = fresh((4,), "bool")
        D.reduce_kernel(D.REDUCE[op])(out, view_of(flags, flags, "float32"), (1,))
        np.testing.assert_array_equal(result(out), fn(flags != 0, 1).astype(np.int32))


def test_integer_sum_and_max_are_exact():
    x = np.random.default_rng(6).integers(-1000, 1000, (3, 77)).astype(np.int32)
    out = fresh((3,), "int64")
    D.reduce_kernel(D.REDUCE[Ops.SUM])(out, view_of(x, x, "int64"), (1,))
    np.testing.assert_array_equal(result(out), x.sum(1))
    D.reduce_kernel(D.REDUCE[Ops.REDUCE_MAX])(out, view_of(x, x, "int64"), (1,))
    np.testing.assert_array_equal(result(out), x.max(1))


def test_argmax_first_index_and_nan():
    x = np.array([[1, 5, 5, 2], [0, 0, 0, 0], [3, np.nan, 9, np.nan], [-1, -3, -1, -2]],
                 np.float32)
    out = fresh((4,), "int64")
    D.argmax(out, view_of(x, x, "float32"), (1,))
    np.testing.assert_array_equal(result(out), [1, 0, 1, 0])  # torch.argmax's answers
    wide = np.random.default_rng(8).standard_normal((3, 500)).astype(np.float32)
    col = fresh((500,), "int64")
    D.argmax(col, view_of(wide, wide, "float32"), (0,))
    np.testing.assert_array_equal(result(col), wide.argmax(0))


# *** 3. matmul, index ops, argsort ***


def test_strided_batched_matmul():
    rng = np.random.default_rng(9)
    a_base = rng.standard_normal((2, 37, 19)).astype(np.float32)
    b_base = rng.standard_normal((23, 19)).astype(np.float32)
    a = a_base
    b = np.broadcast_to(b_base.T, (2, 19, 23))  # transposed, batch broadcast (stride 0)
    out = fresh((2, 37, 23), "float32")
    K.matmul(out, view_of(a_base, a, "float32"), view_of(b_base, b, "float32"))
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    bound = 19 * EPS * (np.abs(a64) @ np.abs(b64))
    assert np.all(np.abs(result(out) - a64 @ b64) <= bound)


def test_gather_and_scatter_add():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((4, 7)).astype(np.float32)
    index = rng.integers(0, 7, (4, 3)).astype(np.int32)
    out = fresh((4, 3), "float32")
    K.gather(out, view_of(x, x, "float32"), view_of(index, index, "int64"), 1)
    np.testing.assert_array_equal(result(out), np.take_along_axis(x, index, 1))
    src = rng.standard_normal((4, 5)).astype(np.float32)
    target = rng.integers(0, 7, (4, 3)).astype(np.int32)
    summed = fresh((4, 7), "float32")
    K.scatter_add(summed, view_of(x, x, "float32"), view_of(target, target, "int64"),
                  view_of(src, src, "float32"), 1)
    truth = x.astype(np.float64)
    np.add.at(truth, (np.arange(4)[:, None], target), src[:, :3])
    assert np.all(np.abs(result(summed) - truth) <= 4 * EPS * (np.abs(x).sum() + np.abs(src).sum()))


def test_advanced_index_and_index_put():
    rng = np.random.default_rng(11)
    weight = rng.standard_normal((9, 4)).astype(np.float32)
    tokens = rng.integers(0, 9, (3, 5)).astype(np.int32)  # an embedding lookup
    rows = fresh((3, 5, 4), "float32")
    K.index(rows, view_of(weight, weight, "float32"), view_of(tokens, tokens, "int64"),
            positions=(0,))
    np.testing.assert_array_equal(result(rows), weight[tokens])
    x = rng.standard_normal((3, 6, 4)).astype(np.float32)
    i, j = rng.integers(0, 3, 5).astype(np.int32), rng.integers(-4, 4, 5).astype(np.int32)
    picked = fresh((5, 6), "float32")  # x[i, :, j]: the index dims go first
    K.index(picked, view_of(x, x, "float32"), view_of(i, i, "int64"), view_of(j, j, "int64"),
            positions=(0, 2))
    np.testing.assert_array_equal(result(picked), x[i, :, j])
    # the embedding's backward: zeros[tokens] += grad, duplicates summed
    grad = rng.standard_normal((3, 5, 4)).astype(np.float32)
    zeros = np.zeros((9, 4), np.float32)
    dweight = fresh((9, 4), "float32")
    K.index_put(dweight, view_of(zeros, zeros, "float32"), view_of(grad, grad, "float32"),
                view_of(tokens, tokens, "int64"), positions=(0,), accumulate=True)
    truth = np.zeros((9, 4))
    np.add.at(truth, tokens, grad)
    assert np.all(np.abs(result(dweight) - truth) <= 15 * EPS * np.abs(grad).sum())
    put = fresh((9, 4), "float32")  # without accumulate the last duplicate wins, as in numpy
    K.index_put(put, view_of(zeros, zeros, "float32"), view_of(grad, grad, "float32"),
                view_of(tokens, tokens, "int64"), positions=(0,), accumulate=False)
    truth = zeros.copy()
    truth[tokens] = grad
    np.testing.assert_array_equal(result(put), truth)


def test_an_index_out_of_range_is_flagged_for_the_next_download():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    ones = np.ones((3, 1), np.float32)  # x[:, [7]] += ones

    def gather(out, i):
        K.gather(out, view_of(x, x, "float32"), i, 1)

    def index(out, i):
        K.index(out, view_of(x, x, "float32"), i, positions=(0,))

    def index_put(out, i):
        K.index_put(out, view_of(x, x, "float32"), view_of(ones, ones, "float32"), i,
                    positions=(1,), accumulate=True)

    def scatter_add(out, i):
        K.scatter_add(out, view_of(x, x, "float32"), i, view_of(x, x, "float32"), 1)

    bad = [  # (launch, its indices, out's shape, the fault code, the bad index)
        (gather, [[1], [4], [0]], (3, 1), K.GATHER_FAULT, 4),
        (gather, [[1], [-1], [0]], (3, 1), K.GATHER_FAULT, -1),  # gather takes [0, size)
        (index, [2, -4], (2, 4), K.INDEX_FAULT, -4),  # x[index] takes [-size, size)
        (index_put, [7], (3, 4), K.INDEX_FAULT, 7),
        (scatter_add, [[0], [5], [1]], (3, 4), K.GATHER_FAULT, 5),
    ]
    for launch, index_values, shape, code, wrong in bad:
        index_values = np.array(index_values, np.int32)
        out = fresh(shape, "float32")
        launch(out, view_of(index_values, index_values, "int64"))
        with pytest.raises(K.KernelFault) as info:
            result(out)
        assert (info.value.code, info.value.value) == (code, wrong), launch.__name__
        result(out)  # reported once: the next download is clean


@pytest.mark.parametrize("descending", [False, True])
def test_argsort_is_stable_with_nan_last(descending):
    rng = np.random.default_rng(12)
    x = rng.integers(0, 5, (4, 33)).astype(np.float32)
    x[1, 3] = x[2, 30] = np.nan
    out = fresh(x.shape, "int64")
    K.argsort(out, view_of(x, x, "float32"), 1, descending)
    key = np.where(np.isnan(x), np.inf, x)
    truth = np.argsort(-key if descending else key, axis=1, kind="stable")
    np.testing.assert_array_equal(result(out), truth)


# *** 4. fused row kernels ***


def logits(seed, rows=5, cols=131):
    """Rows with a wide range (|x| up to ~100): a softmax without the max shift overflows."""
    return (np.random.default_rng(seed).standard_normal((rows, cols)) * 30).astype(np.float32)


def exp_terms_bound(x64: np.ndarray) -> np.ndarray:
    """Relative error of sum_c exp(x - m) per row: exp's (3 + 2|x - m|) ulp, the max over the
    row, plus the sum's (C/64 + 7) roundings."""
    spread = (x64 - x64.max(1, keepdims=True)).__abs__().max(1)
    return (3 + 2 * spread + x64.shape[1] / 64 + 7) * EPS


def test_softmax_rows():
    x = logits(20)
    out = fresh(x.shape, "float32")
    K.softmax(out, view_of(x, x, "float32"))
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(1, keepdims=True))
    truth = e / e.sum(1, keepdims=True)
    bound = (2 * exp_terms_bound(x64)[:, None] + 3 * EPS) * truth  # numerator, sum, divide
    tiny = float(np.finfo(np.float32).tiny)  # WGSL may flush subnormal results to zero
    assert np.all(np.abs(result(out) - truth) <= bound + tiny)
    np.testing.assert_allclose(result(out).sum(1), 1, atol=x.shape[1] * EPS)


def test_layernorm_rows():
    rng = np.random.default_rng(21)
    x = (rng.standard_normal((6, 200)) * 3 + 5).astype(np.float32)  # a mean far from 0
    w, b = rng.standard_normal(200).astype(np.float32), rng.standard_normal(200).astype(np.float32)
    out = fresh(x.shape, "float32")
    K.layernorm(out, view_of(x, x, "float32"), view_of(w, w, "float32"),
                view_of(b, b, "float32"), 1e-5)
    x64 = x.astype(np.float64)
    mean, var = x64.mean(1, keepdims=True), x64.var(1, keepdims=True)
    rstd = 1 / np.sqrt(var + 1e-5)
    truth = (x64 - mean) * rstd * w + b
    # the mean's (C/64 + 7) roundings shift every x - mean by up to that times mean|x|; the
    # variance, rsqrt and the products add ~C/64 + 12 ulp of the normalized value
    n_round = 200 / 64 + 12
    bound = (n_round * EPS * (np.abs(x64 - mean) + np.abs(x64).mean(1, keepdims=True)) * rstd
             * np.abs(w) + 2 * EPS * np.abs(b))
    assert np.all(np.abs(result(out) - truth) <= bound)


def test_cross_entropy_rows_and_ignore_index():
    x = logits(22)
    target = np.random.default_rng(22).integers(0, x.shape[1], 5).astype(np.int32)
    target[3] = -100
    loss = fresh((5,), "float32")
    K.cross_entropy(loss, view_of(x, x, "float32"), view_of(target, target, "int64"))
    x64 = x.astype(np.float64)
    m = x64.max(1)
    lse = m + np.log(np.exp(x64 - m[:, None]).sum(1))
    picked = x64[np.arange(5), target % x.shape[1]]
    truth = np.where(target == -100, 0.0, lse - picked)
    bound = exp_terms_bound(x64) * (np.abs(m) + np.abs(lse - m) + np.abs(picked) + 1)
    assert np.all(np.abs(result(loss) - truth) <= bound)
    assert result(loss)[3] == 0.0


def test_row_kernels_refuse_strided_operands():
    x = logits(23, rows=4, cols=6)
    out = fresh((6, 4), "float32")
    with pytest.raises(ValueError, match=r"softmax: operands must be contiguous .* strides "
                                         r"\(1, 6\)"):
        K.softmax(out, view_of(x, x.T, "float32"))
    with pytest.raises(ValueError, match="offset 6"):
        K.softmax(fresh((3, 6), "float32"), view_of(x, x[1:], "float32"))
