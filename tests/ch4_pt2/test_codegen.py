"""Lowering and the C renderer (book 4.7-4.8) on five canonical graphs: an elementwise chain, a
reduction, a matmul with an epilogue, softmax and a broadcast. Each runs on the C backend and is
compared with numpy in float64 (for float32: within the error bound of the computation); the
generated source must also compile cleanly under gcc -Wall -Werror."""

import shutil
import subprocess

import numpy as np
import pytest

from ch2_lego.dtype import float32, float64, int64
from ch4_pt2.ops import Ops, UOp
from ch4_pt2.plan import Plan, buffer_node

pytestmark = pytest.mark.sec_4_7
EPS32 = np.finfo(np.float32).eps


def run(*outputs):
    plan = Plan(list(outputs))
    return plan, [np.array(a) for a in plan.run()]


def chain10(x: UOp) -> UOp:
    """Ten elementwise ops: ((tanh(2x+1) * x - 0.5) exp ...)."""
    def c(v):
        return UOp.full(v, x.dtype, x.shape)
    y = UOp(Ops.MUL, x.dtype, (x, c(2.0)))
    y = UOp(Ops.ADD, x.dtype, (y, c(1.0)))
    y = UOp(Ops.TANH, x.dtype, (y,))
    y = UOp(Ops.MUL, x.dtype, (y, x))
    y = UOp(Ops.SUB, x.dtype, (y, c(0.5)))
    y = UOp(Ops.EXP, x.dtype, (y,))
    y = UOp(Ops.SQRT, x.dtype, (y,))
    y = UOp(Ops.NEG, x.dtype, (y,))
    y = UOp(Ops.MAX, x.dtype, (y, x))
    return UOp(Ops.SIN, x.dtype, (y,))


def chain10_numpy(x):
    return np.sin(np.maximum(-np.sqrt(np.exp(np.tanh(2 * x + 1) * x - 0.5)), x))


def test_elementwise_chain_is_one_kernel(bounds):
    a = np.random.default_rng(0).uniform(-1, 1, (5, 7))
    plan, (out,) = run(chain10(buffer_node(a, float64)))
    assert plan.kernel_count == 1
    # ten ops of a few ulp each, on values of magnitude <= 1.7, condition numbers O(1)
    want = chain10_numpy(a)
    bounds.within(out, want, bounds.op(want, "float64", 4 * 10, 2.0))


@pytest.mark.parametrize("op, numpy_fn", [(Ops.ADD, np.sum), (Ops.MAX, np.max),
                                          (Ops.MIN, np.min), (Ops.MUL, np.prod)])
@pytest.mark.parametrize("axes", [(1,), (0, 2), (0, 1, 2)])
def test_reductions(op, numpy_fn, axes, bounds):
    a = np.random.default_rng(1).uniform(0.5, 1.5, (3, 4, 5))
    plan, (out,) = run(buffer_node(a, float64).r(op, axes))
    want = numpy_fn(a, axis=axes, keepdims=True)
    # a sum of n positive terms or a product of n: n roundings relative; max and min exact
    n = int(np.prod([a.shape[d] for d in axes])) if op in (Ops.ADD, Ops.MUL) else 0
    bounds.within(out, want, bounds.op(want, "float64", n))


def test_integer_reductions_start_from_the_right_identity():
    a = np.array([[-5, -9, -2], [7, 3, 11]], dtype=np.int64)
    x = buffer_node(a, int64)
    _, (mx, mn) = run(x.r(Ops.MAX, (1,)), x.r(Ops.MIN, (1,)))
    np.testing.assert_array_equal(mx[:, 0], a.max(1))
    np.testing.assert_array_equal(mn[:, 0], a.min(1))


def matmul(a: UOp, b: UOp) -> UOp:
    """(M,K) @ (K,N) as the lazy buffer records it: broadcast multiply, sum over K."""
    (m, k), n = a.shape, b.shape[1]
    prod = UOp(Ops.MUL, a.dtype, (a.reshape((m, 1, k)).expand((m, n, k)),
                                  b.permute((1, 0)).reshape((1, n, k)).expand((m, n, k))))
    return prod.r(Ops.ADD, (2,)).reshape((m, n))


@pytest.mark.parametrize("m, k, n", [(8, 32, 16), (5, 7, 3), (1, 64, 48), (4, 48, 8)])
@pytest.mark.parametrize("weight", ["(K,N)", "(N,K) transposed"])
def test_matmul_with_bias_and_tanh_is_one_kernel(m, k, n, weight):
    rng = np.random.default_rng(2)
    a, b, bias = (rng.standard_normal(s).astype(np.float32) for s in ((m, k), (k, n), (n,)))
    b_node = buffer_node(b, float32) if weight == "(K,N)" else \
        buffer_node(np.ascontiguousarray(b.T), float32).permute((1, 0))  # a Linear's W.T
    mm = matmul(buffer_node(a, float32), b_node)
    out = UOp(Ops.TANH, float32, (UOp(Ops.ADD, float32, (mm, buffer_node(bias, float32)
                                                         .expand((m, n)))),))
    plan, (got,) = run(out)
    assert plan.kernel_count == 1
    pre = a.astype(np.float64) @ b.astype(np.float64) + bias
    # a length-k float32 dot product, summed in any order, is within k*eps*(|a|@|b|);
    # tanh is 1-Lipschitz
    bound = (k + 2) * EPS32 * (np.abs(a) @ np.abs(b) + np.abs(bias)) + 2 * EPS32
    assert np.all(np.abs(got - np.tanh(pre)) <= bound)


def softmax(x: UOp) -> UOp:
    shape = x.shape
    m = x.r(Ops.MAX, (1,)).expand(shape)
    e = UOp(Ops.EXP, x.dtype, (UOp(Ops.SUB, x.dtype, (x, m)),))
    return UOp(Ops.DIV, x.dtype, (e, e.r(Ops.ADD, (1,)).expand(shape)))


def test_softmax_is_one_kernel():
    x = np.random.default_rng(3).standard_normal((6, 50)).astype(np.float32)
    plan, (got,) = run(softmax(buffer_node(x, float32)))
    assert plan.kernel_count == 1
    x64 = x.astype(np.float64)
    want = np.exp(x64 - x64.max(1, keepdims=True))
    want /= want.sum(1, keepdims=True)
    # a positive sum of C terms, each exp off by |x - max| * eps at most
    spread = (x64.max(1, keepdims=True) - x64.min(1, keepdims=True))
    np.testing.assert_array_less(np.abs(got - want), (50 + 4 + 2 * spread) * EPS32 * want)


def test_broadcast_of_a_column_and_a_row(bounds):
    rng = np.random.default_rng(4)
    col, row = rng.standard_normal((4, 1)), rng.standard_normal((1, 6))
    out = UOp(Ops.MUL, float64, (buffer_node(col, float64).expand((4, 6)),
                                 buffer_node(row, float64).expand((4, 6))))
    plan, (got,) = run(out)
    assert plan.kernel_count == 1
    bounds.within(got, col * row, bounds.op(col * row, "float64", 1))  # one rounding


def test_pad_reads_zeros_and_never_out_of_bounds(bounds):
    a = np.arange(6.0).reshape(2, 3)
    padded = buffer_node(a, float64).movement(Ops.PAD, ((1, 2), (3, 0)))
    out = UOp(Ops.EXP, float64, (padded,))  # exp(0) = 1 where padded
    _, (got,) = run(out)
    want = np.exp(np.pad(a, ((1, 2), (3, 0))))
    bounds.within(got, want, bounds.op(want, "float64", 4))  # C's exp and numpy's, ~2 ulp each


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_generated_source_compiles_without_warnings(tmp_path):
    a = buffer_node(np.ones((8, 16), np.float32), float32)
    b = buffer_node(np.ones((16, 16), np.float32), float32)
    ia = buffer_node(np.arange(-8, 8), int64)
    fault_checks = UOp(Ops.GATHER, float32, (a.reshape((128,)), ia.alu(Ops.IDIV, ia)), 0)
    plan = Plan([softmax(matmul(a, b)), chain10(a), fault_checks])
    assert any("long* restrict fault" in src for src in plan.sources)
    for k, src in enumerate(plan.sources):
        path = tmp_path / f"k{k}.c"
        path.write_text(src)
        proc = subprocess.run(["gcc", "-std=c11", "-fopenmp", "-Wall", "-Wextra", "-Werror",
                               "-c", str(path), "-o", str(tmp_path / f"k{k}.o")],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_matmul_source_has_the_schedule_transformations():
    a = buffer_node(np.ones((128, 128), np.float32), float32)
    plan = Plan([matmul(a, a)])
    (src,) = plan.sources
    assert "#pragma omp parallel for" in src  # parallelize the outer loop (2M multiply-adds)
    assert "acc" in src and "[64]" in src  # split n by 64 lanes, k moved outside them
    assert "#pragma omp simd" in src  # the lanes vectorized


def test_a_linear_layer_splits_its_reduction_into_lanes():
    # x @ W.T reads W[n, k]: dense along k, strided along n, so the lanes go along k
    a = buffer_node(np.ones((8, 64), np.float32), float32)
    w = buffer_node(np.ones((32, 64), np.float32), float32)
    plan = Plan([matmul(a, w.permute((1, 0)))])
    (src,) = plan.sources
    assert "[16]" in src and "#pragma GCC unroll 16" in src  # 16 partial sums, then added up
    (got,) = plan.run()
    np.testing.assert_array_equal(got, np.full((8, 32), 64.0, np.float32))


def ulp_error(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in units of float32's spacing at want (want in float64)."""
    spacing = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    return np.abs(got.astype(np.float64) - want) / spacing


@pytest.mark.sec_4_8
@pytest.mark.parametrize("op, ref, max_ulp", [(Ops.EXP, np.exp, 3), (Ops.TANH, np.tanh, 3)])
def test_float32_exp_and_tanh_are_within_a_few_ulp(op, ref, max_ulp):
    # dense grids over the interesting ranges, checked against float64 numpy
    x = np.concatenate([np.linspace(-87, 88.7, 400001), np.linspace(-1, 1, 200001),
                        np.linspace(-0.6, 0.6, 100001)]).astype(np.float32)
    (got,) = Plan([UOp(op, float32, (buffer_node(x, float32),))]).run()
    want = ref(x.astype(np.float64))
    assert ulp_error(got, want).max() <= max_ulp


@pytest.mark.sec_4_8
def test_float32_exp_and_tanh_special_values():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 89.0, -104.5, 1e-30, -1e-30], np.float32)
    node = buffer_node(x, float32)
    exp, tanh = Plan([UOp(Ops.EXP, float32, (node,)), UOp(Ops.TANH, float32, (node,))]).run()
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(exp, np.exp(x))  # inf, 0, nan, 1, 1, inf, 0, 1, 1
    np.testing.assert_array_equal(tanh, np.tanh(x))
    assert np.signbit(tanh[4]) and np.signbit(tanh[8])  # tanh(-0) = -0


@pytest.mark.sec_4_8
def test_float32_exp_reaches_the_subnormals():
    x = np.linspace(-103.9, -87.5, 20001).astype(np.float32)
    (got,) = Plan([UOp(Ops.EXP, float32, (buffer_node(x, float32),))]).run()
    want = np.exp(x.astype(np.float64))
    # below 2^-126 float32 has a fixed spacing of 2^-149; allow two of them
    assert np.all(np.abs(got - want) <= np.maximum(3 * np.spacing(want.astype(np.float32)),
                                                   2 * 2.0 ** -149))


def test_a_gather_out_of_range_raises_after_its_kernel_and_reads_no_foreign_memory():
    x = buffer_node(np.arange(1.0, 5.0), float64)  # [1, 2, 3, 4]
    idx = buffer_node(np.array([2, 3, 0, 1, 0]), int64)
    plan = Plan([UOp(Ops.GATHER, float64, (x, idx), 0)])
    assert "checked(" in plan.sources[0] and "long* restrict fault" in plan.sources[0]
    np.testing.assert_array_equal(plan.run()[0], [3.0, 4.0, 1.0, 2.0, 1.0])
    # far out of range: a read there would fault the process; the gated load reads nothing
    with pytest.raises(IndexError, match="index 1000000 is out of bounds for dimension 0 "
                                         "with size 4"):
        plan.run({idx: np.array([2, -1, 4, 1000000, 0])})
    np.testing.assert_array_equal(plan.run()[0], [3.0, 4.0, 1.0, 2.0, 1.0])  # word cleared
