"""The C kernels of device "c" against numpy, on random shapes, strided and empty operands.

Exact ops (+, -, *, /, comparisons, copies, floor division) must equal numpy bit for bit;
libm functions must be within a few ulps of the float64 truth of the same inputs.
"""

import numpy as np
import pytest

from ch3_brrr import kernels_c as K

pytestmark = pytest.mark.sec_3_7
FLOATS = [np.float32, np.float64]
ALL = [np.bool_, np.int32, np.int64, np.float32, np.float64]


def random(shape, dtype, rng, low=-3.0, high=3.0):
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-20, 20, shape).astype(dtype)
    return rng.uniform(low, high, shape).astype(dtype)


def views(shape, dtype, rng, **kw):
    """The same logical shape laid out five ways: dense, transposed, stepped, flipped, and
    broadcast along the first dim (stride 0); plus an offset into a bigger array."""
    yield "dense", random(shape, dtype, rng, **kw)
    yield "transposed", random(shape[::-1], dtype, rng, **kw).T
    big = random(tuple(2 * n + 1 for n in shape), dtype, rng, **kw)
    yield "stepped+offset", big[tuple(slice(1, 1 + 2 * n, 2) for n in shape)]
    yield "flipped", random(shape, dtype, rng, **kw)[tuple(slice(None, None, -1) for _ in shape)]
    if shape:
        yield "broadcast", np.broadcast_to(random((1, *shape[1:]), dtype, rng, **kw), shape)


SHAPES = [(7,), (3, 5), (2, 3, 4), (1, 9), (4, 1, 3), (), (0, 3), (70000,)]


def ulps(dtype, n=4):
    return n * float(np.finfo(dtype).eps)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("op,fn,kw", [
    ("exp", np.exp, {}), ("log", np.log, {"low": 0.01}), ("sqrt", np.sqrt, {"low": 0.0}),
    ("sin", np.sin, {}), ("cos", np.cos, {}), ("tanh", np.tanh, {}),
])
@pytest.mark.parametrize("dtype", FLOATS)
def test_unary_libm_within_ulps(op, fn, kw, shape, dtype):
    rng = np.random.default_rng([*op.encode(), *shape])  # (hash() of a str varies per run)
    for name, x in views(shape, dtype, rng, **kw):
        out = np.empty(shape, dtype)
        K.unary(op, out, x)
        truth = fn(x.astype(np.float64))
        bound = ulps(dtype) * np.abs(truth) + np.finfo(dtype).tiny
        assert (np.abs(out - truth) <= bound).all(), name


def test_erf_against_math_erf():
    import math
    x = np.linspace(-5, 5, 1001)
    for dtype in FLOATS:
        out = np.empty(x.shape, dtype)
        K.unary("erf", out, x.astype(dtype))
        truth = np.array([math.erf(float(v)) for v in x.astype(dtype)])
        assert np.all(np.abs(out - truth) <= ulps(dtype) * np.abs(truth) + 1e-300)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("op,fn,dtypes", [
    ("neg", np.negative, ALL[1:]), ("abs", np.abs, ALL[1:]), ("sign", np.sign, ALL[1:]),
    ("floor", np.floor, FLOATS), ("ceil", np.ceil, FLOATS), ("round", np.round, FLOATS),
    ("not", np.logical_not, ALL),
])
def test_unary_exact(op, fn, dtypes, shape):
    rng = np.random.default_rng(len(shape))
    for dtype in dtypes:
        for name, x in views(shape, dtype, rng, low=-5.0, high=5.0):
            ref = fn(x)
            out = np.empty(shape, ref.dtype)
            K.unary(op, out, x)
            np.testing.assert_array_equal(out, ref, err_msg=f"{op} {dtype} {name}")


BINARY_EXACT = [
    ("add", np.add, ALL), ("sub", np.subtract, ALL[1:]), ("mul", np.multiply, ALL),
    ("div", np.divide, FLOATS), ("max", np.maximum, ALL), ("min", np.minimum, ALL),
    ("cmplt", np.less, ALL), ("cmple", np.less_equal, ALL), ("cmpeq", np.equal, ALL),
    ("cmpne", np.not_equal, ALL), ("and", np.logical_and, ALL), ("or", np.logical_or, ALL),
    ("xor", np.logical_xor, ALL),
]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("op,fn,dtypes", BINARY_EXACT, ids=[b[0] for b in BINARY_EXACT])
def test_binary_exact_on_strided_operands(op, fn, dtypes, shape):
    rng = np.random.default_rng(len(shape) + 7)
    for dtype in dtypes:
        bs = list(views(shape, dtype, rng))
        for (na, a), (nb, b) in zip(views(shape, dtype, rng), bs[1:] + bs[:1]):
            ref = fn(a, b)
            out = np.empty(shape, ref.dtype)
            K.binary(op, out, a, b)
            np.testing.assert_array_equal(out, ref, err_msg=f"{op} {dtype} {na} {nb}")


def test_binary_broadcasts_a_python_scalar_and_writes_a_strided_out():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 5)).astype(np.float32)
    big = np.zeros((5, 12), np.float32)
    out = big[:, ::2].T  # (6, 5) with strides (2, 12) elements
    K.binary("mul", out, x, 2.5)
    np.testing.assert_array_equal(out, x * np.float32(2.5))
    assert (big[:, 1::2] == 0).all()  # the elements between were not touched


def test_in_place_aliasing_out_is_an_input():
    x = np.arange(10, dtype=np.float64)
    K.binary("add", x, x, x[::-1].copy())
    np.testing.assert_array_equal(x, np.full(10, 9.0))


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float64, np.float32])
def test_floordiv_and_mod_follow_python(dtype):
    rng = np.random.default_rng(11)
    a = random((4000,), dtype, rng, low=-50, high=50)
    b = random((4000,), dtype, rng, low=-7, high=7)
    b[b == 0] = 3
    for op, fn in (("floordiv", np.floor_divide), ("mod", np.mod)):
        out = np.empty_like(a)
        K.binary(op, out, a, b)
        np.testing.assert_array_equal(out, fn(a, b), err_msg=op)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_overflow_wraps_as_numpy(dtype):
    # C leaves signed overflow undefined (-fwrapv defines it), and x86 traps MIN // -1
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    a = np.array([lo, lo, hi, hi, lo, -7, 7], dtype)
    b = np.array([-1, 1, 1, 2, lo, -1, -1], dtype)
    with np.errstate(all="ignore"):
        for op, fn in (("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
                       ("floordiv", np.floor_divide), ("mod", np.mod)):
            out = np.empty_like(a)
            K.binary(op, out, a, b)
            np.testing.assert_array_equal(out, fn(a, b), err_msg=op)
        for op, fn in (("neg", np.negative), ("abs", np.abs)):
            out = np.empty_like(a)
            K.unary(op, out, a)
            np.testing.assert_array_equal(out, fn(a), err_msg=op)


def test_pow():
    rng = np.random.default_rng(5)
    a, b = rng.uniform(0.1, 4, 500), rng.uniform(-3, 3, 500)
    for dtype in FLOATS:
        out = np.empty(500, dtype)
        K.binary("pow", out, a.astype(dtype), b.astype(dtype))
        truth = np.power(a.astype(dtype).astype(np.float64), b.astype(dtype).astype(np.float64))
        assert np.all(np.abs(out - truth) <= ulps(dtype) * truth)
    ai, bi = rng.integers(-6, 6, 300), rng.integers(0, 9, 300)
    out = np.empty(300, np.int64)
    K.binary("pow", out, ai, bi)
    np.testing.assert_array_equal(out, ai**bi)


def test_ieee_special_values():
    x = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan], np.float32)
    y = np.array([0.0, 1.0, 0.0, np.nan, 2.0, np.inf, 1.0], np.float32)
    with np.errstate(all="ignore"):
        for op, fn in (("div", np.divide), ("max", np.maximum), ("min", np.minimum),
                       ("add", np.add), ("floordiv", np.floor_divide), ("mod", np.mod)):
            out = np.empty(7, np.float32)
            K.binary(op, out, x, y)
            np.testing.assert_array_equal(out, fn(x, y), err_msg=op)
        special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], np.float32)
        out = np.empty(5, np.float32)
        K.unary("sign", out, special)  # sign(-0.0) is +0.0 in numpy and torch
        np.testing.assert_array_equal(out, np.sign(special))
        np.testing.assert_array_equal(np.signbit(out), np.signbit(np.sign(special)))
        for op, fn in (("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt)):
            out = np.empty(5, np.float32)
            K.unary(op, out, special)
            np.testing.assert_array_equal(out, fn(special), err_msg=op)
            if op != "exp":  # outside the domain: nan
                K.unary(op, out[:1], np.array([-1.0], np.float32))
                assert np.isnan(out[0])


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_where(shape):
    rng = np.random.default_rng(2)
    for dtype in ALL:
        for (_, c), (_, a), (_, b) in zip(views(shape, np.bool_, rng), views(shape, dtype, rng),
                                          views(shape, dtype, rng)):
            out = np.empty(shape, dtype)
            K.where(out, c, a, b)
            np.testing.assert_array_equal(out, np.where(c, a, b))


@pytest.mark.parametrize("src", ALL)
@pytest.mark.parametrize("dst", ALL)
def test_copy_casts_like_numpy(src, dst):
    rng = np.random.default_rng(4)
    for name, x in views((5, 6), src, rng, low=-100.0, high=100.0):
        out = np.empty((5, 6), dst)
        K.copy(out, x)
        np.testing.assert_array_equal(out, x.astype(dst), err_msg=name)


def test_fill_is_a_copy_from_a_scalar():
    out = np.empty((3, 4), np.int64)
    K.copy(out, 7)
    np.testing.assert_array_equal(out, np.full((3, 4), 7))


def test_mixed_dtypes_are_refused():
    with pytest.raises(TypeError, match="share a dtype"):
        K.binary("add", np.empty(3, np.float32), np.ones(3, np.float32), np.ones(3))


def test_unsupported_dtype_is_named():
    with pytest.raises(TypeError, match="no kernels for dtype float16"):
        K.unary("neg", np.empty(3, np.float16), np.ones(3, np.float16))


@pytest.mark.parametrize("shape", [(64,), (3, 5, 4), (100000, 2), (0, 4)], ids=str)
def test_layout_merges_dense_dims(shape):
    x = np.zeros(shape, np.float32)
    meta = K.layout(x, x)
    assert meta[0] == 1 and meta[1] == x.size  # one long row
    meta = K.layout(x.T, x.T) if x.ndim > 1 else meta
    assert meta[0] == 1  # transposed in both: walked in memory order, still one row
    if x.ndim > 1 and x.size:
        assert K.layout(x, x.T.copy().T)[0] == x.ndim  # dense + transposed: no merge


def test_kernels_split_among_threads_give_the_same_answer():
    # The suite runs one OpenMP thread; here 3 threads take chunks of rows of big operands.
    import os
    import subprocess
    import sys
    script = (
        "import numpy as np\n"
        "from ch3_brrr import kernels_c as K\n"
        "rng = np.random.default_rng(0)\n"
        "a = rng.standard_normal((700, 1000)).astype(np.float32)\n"
        "b = rng.standard_normal((1000, 700)).astype(np.float32).T\n"
        "out = np.empty((700, 1000), np.float32)\n"
        "K.binary('mul', out, a, b)\n"
        "assert np.array_equal(out, a * b)\n"
        "big = rng.standard_normal(3_000_001)\n"
        "out = np.empty_like(big)\n"
        "K.unary('neg', out, big[::-1])\n"
        "assert np.array_equal(out, -big[::-1])\n"
        "s = np.empty(700, np.float32)\n"
        "K.reduce('max', s, a, (1,))\n"
        "assert np.array_equal(s, a.max(1))\n"
    )
    env = dict(os.environ, OMP_NUM_THREADS="3")
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_float32_exp_and_tanh_polynomials_over_their_whole_range():
    # vmath.h's exp and tanh replace libm for float32: check them far past the random inputs
    eps = float(np.finfo(np.float32).eps)
    x = np.linspace(-110, 95, 400_001).astype(np.float32)
    out = np.empty_like(x)
    K.unary("exp", out, x)
    truth = np.exp(x.astype(np.float64))
    normal = (truth >= np.finfo(np.float32).tiny) & (truth <= np.finfo(np.float32).max)
    assert np.all(np.abs(out[normal] - truth[normal]) <= 2 * eps * truth[normal])
    assert np.all(np.isinf(out[truth > np.finfo(np.float32).max]))
    sub = truth < np.finfo(np.float32).tiny  # subnormal or 0: within one subnormal step
    assert np.all(np.abs(out[sub] - truth[sub]) <= 2.0**-149)
    t = np.concatenate([np.linspace(-12, 12, 200_001), np.logspace(-40, 0, 2000),
                        -np.logspace(-40, 0, 2000)]).astype(np.float32)
    out = np.empty_like(t)
    K.unary("tanh", out, t)
    truth = np.tanh(t.astype(np.float64))
    assert np.all(np.abs(out - truth) <= 2 * eps * np.abs(truth) + 2.0**-149)
    special = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0], np.float32)
    for op, fn in (("exp", np.exp), ("tanh", np.tanh)):
        out = np.empty_like(special)
        K.unary(op, out, special)
        np.testing.assert_array_equal(out, fn(special))
        np.testing.assert_array_equal(np.signbit(out), np.signbit(fn(special)))
