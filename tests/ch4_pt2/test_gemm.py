"""The library matmul (book 4.7): a kernel that calls numpy's OpenBLAS for its matmul and runs
its generated epilogue in place, against torch in float64, with float32 error bounds.

A float32 dot product of length K is off its float64 value by at most about
K * eps32 * (|A| @ |B|) (the BLAS may add in any order, so no tighter bound holds everywhere).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ch2_lego as lego
import ch2_lego.nn.functional as LF
import ch4_pt2
from ch4_pt2 import gemm
from ch4_pt2.plan import Plan

pytestmark = [pytest.mark.sec_4_7,
              pytest.mark.skipif(not gemm.BLAS, reason="numpy ships no OpenBLAS here")]
EPS32 = np.finfo(np.float32).eps


def arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def plan_of(t) -> Plan:
    return Plan([t._buf.uop])


def check_matmul(got, a, b, extra=0.0):
    """got against float64 a @ b, within the K-term bound (plus `extra` per element)."""
    want = np.asarray(torch.tensor(a, dtype=torch.float64) @ torch.tensor(b, dtype=torch.float64))
    bound = a.shape[-1] * EPS32 * (np.abs(a).astype(np.float64) @ np.abs(b)) + extra
    assert np.all(np.abs(np.asarray(got, np.float64) - want) <= bound)


@pytest.mark.parametrize("case", ["plain", "b_transposed", "a_transposed", "batched",
                                  "broadcast_b", "heads"])
def test_matmul_layouts_call_the_blas(case):
    """Every operand layout a model makes is one library call, with the right answer."""
    if case == "plain":
        a, b = arrays((24, 40), (40, 32))
        x, y = lego.tensor(a, device="lazy"), lego.tensor(b, device="lazy")
    elif case == "b_transposed":  # x @ W.T of a Linear: W read in place, transposed
        a, w = arrays((24, 40), (32, 40))
        b = w.T
        x, y = lego.tensor(a, device="lazy"), lego.tensor(w, device="lazy").T
    elif case == "a_transposed":  # a.T @ g of a weight gradient
        at, b = arrays((40, 24), (40, 32))
        a = at.T
        x, y = lego.tensor(at, device="lazy").T, lego.tensor(b, device="lazy")
    elif case == "batched":
        a, b = arrays((3, 24, 40), (3, 40, 32))
        x, y = lego.tensor(a, device="lazy"), lego.tensor(b, device="lazy")
    elif case == "broadcast_b":  # (B, T, C) @ (C, N): one call with B*T rows
        a, b = arrays((3, 24, 40), (40, 32))
        x, y = lego.tensor(a, device="lazy"), lego.tensor(b, device="lazy")
    else:  # attention's q @ k.T on heads viewed out of (B, T, C)
        q, k = arrays((2, 24, 64), (2, 24, 64))
        a = q.reshape(2, 24, 4, 16).transpose(0, 2, 1, 3)
        b = k.reshape(2, 24, 4, 16).transpose(0, 2, 3, 1)
        x = lego.tensor(q, device="lazy").view(2, 24, 4, 16).transpose(1, 2)
        y = lego.tensor(k, device="lazy").view(2, 24, 4, 16).transpose(1, 2).transpose(-2, -1)
    out = x @ y
    plan = plan_of(out)
    assert plan.kernel_count == 1
    assert "gemm(101," in next(s for s in plan.sources if s)
    check_matmul(out.numpy(), a, b)


def test_linear_bias_gelu_is_one_kernel_with_the_epilogue_after_the_call():
    a, w, bias = arrays((16, 64), (32, 64), (32,))
    x, lw, lb = (lego.tensor(v, device="lazy") for v in (a, w, bias))
    y = LF.gelu(LF.linear(x, lw, lb), approximate="tanh")
    plan = plan_of(y)
    source = next(s for s in plan.sources if s)
    assert plan.kernel_count == 1 and "gemm(101," in source and "tanh_f32" in source
    pre = torch.tensor(a, dtype=torch.float64) @ torch.tensor(w, dtype=torch.float64).T
    pre = pre + torch.tensor(bias, dtype=torch.float64)
    want = TF.gelu(pre, approximate="tanh").numpy()
    # gelu's slope is below 1.13: the matmul's bound carries through, plus the epilogue's own
    bound = 1.13 * (64 * EPS32 * (np.abs(a) @ np.abs(w).T + np.abs(bias))) + \
        8 * EPS32 * (np.abs(want) + 1)
    assert np.all(np.abs(y.numpy() - want) <= bound)


def test_a_transposed_result_falls_back_to_generated_loops():
    """(a @ b).T + c stores element (n, m) of the matmul at (m, n): not in place, so the
    kernel computes its matmul in loops; the value is the same."""
    a, b, c = arrays((24, 40), (40, 32), (32, 24))
    x, y, z = (lego.tensor(v, device="lazy") for v in (a, b, c))
    out = (x @ y).T * 2 + z
    assert "gemm(101," not in "".join(s for s in plan_of(out).sources if s)
    got = out.numpy()
    want = 2 * (a.astype(np.float64) @ b).T + c
    bound = 2 * 40 * EPS32 * (np.abs(a) @ np.abs(b)).T + 4 * EPS32 * (np.abs(want) + 1)
    assert np.all(np.abs(got - want) <= bound)


def test_small_and_integer_matmuls_stay_generated():
    a, b = arrays((4, 8), (8, 4))
    small = lego.tensor(a, device="lazy") @ lego.tensor(b, device="lazy")
    assert "gemm" not in "".join(s for s in plan_of(small).sources if s)
    check_matmul(small.numpy(), a, b)
    ia = np.arange(24 * 40).reshape(24, 40) % 7
    ib = np.arange(40 * 32).reshape(40, 32) % 5
    ints = lego.tensor(ia, device="lazy") @ lego.tensor(ib, device="lazy")
    assert "gemm" not in "".join(s for s in plan_of(ints).sources if s)
    np.testing.assert_array_equal(ints.numpy(), ia @ ib)


def test_float64_calls_dgemm_and_matches_torch():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((24, 40)), rng.standard_normal((40, 32))
    out = lego.tensor(a, device="lazy") @ lego.tensor(b, device="lazy")
    assert "dgemm(101," in next(s for s in plan_of(out).sources if s)
    want = (torch.tensor(a) @ torch.tensor(b)).numpy()
    eps64 = np.finfo(np.float64).eps
    assert np.all(np.abs(out.numpy() - want) <= 2 * 40 * eps64 * (np.abs(a) @ np.abs(b)))


def test_a_compiled_linear_replays_the_library_call():
    a1, a2, w = arrays((16, 64), (16, 64), (32, 64))
    lw = lego.tensor(w, device="lazy")
    f = ch4_pt2.compile(lambda x: (x @ lw.T).relu())
    for a in (a1, a2, a1, a2):
        got = f(lego.tensor(a)).numpy()
        pre = torch.tensor(a, dtype=torch.float64) @ torch.tensor(w, dtype=torch.float64).T
        bound = 64 * EPS32 * (np.abs(a) @ np.abs(w).T)
        assert np.all(np.abs(got - pre.relu().numpy()) <= bound)
    assert f.trace_count == 2
