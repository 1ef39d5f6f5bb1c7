"""Kernels with several outputs (book 4.6) and the per-row passes of softmax and layer norm
(book 4.7): kernel counts, which nodes share a kernel and which may not, the memory plan of a
kernel with several outputs, and values and gradients against torch in float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ch2_lego as lego
import ch2_lego.nn.functional as LF
import ch4_pt2
from ch2_lego.dtype import float32, float64
from ch4_pt2.ops import Ops, UOp
from ch4_pt2.plan import Plan, buffer_node
from ch4_pt2.schedule import create_schedule, memory_plan

pytestmark = pytest.mark.sec_4_6

EPS32 = np.finfo(np.float32).eps


def arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def layer_norm_fwd_bwd(x, w, b, g):
    """(y, dx, dw, db) of sum(layer_norm(x) * g), in ch2 on "lazy" and in torch float64."""
    lx, lw, lb = (lego.tensor(a, device="lazy", requires_grad=True) for a in (x, w, b))
    y = LF.layer_norm(lx, (x.shape[-1],), lw, lb)
    (y * lego.tensor(g, device="lazy")).sum().backward()
    ch4_pt2.realize(y, lx.grad, lw.grad, lb.grad)
    kernels = ch4_pt2.stats["last_kernels"]
    tx, tw, tb = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    ty = TF.layer_norm(tx, (x.shape[-1],), tw, tb)
    (ty * torch.tensor(g, dtype=torch.float64)).sum().backward()
    ours = [t.detach().numpy() for t in (y, lx.grad, lw.grad, lb.grad)]
    want = [t.detach().numpy() for t in (ty, tx.grad, tw.grad, tb.grad)]
    return kernels, ours, want


def test_layer_norm_forward_and_backward_share_kernels():
    x, w, b, g = arrays((24, 64), (64,), (64,), (24, 64))
    kernels, ours, want = layer_norm_fwd_bwd(x, w, b, g)
    # before kernels had several outputs: 6 (centered input, inverse deviation, normalized
    # value, dx, dgamma, dbeta); now the row statistics and dx share one kernel, dgamma and dbeta
    # (a sum over the rows, another loop nest) the other
    assert kernels <= 2
    y, dx, dw, db = ours
    ty, tdx, tdw, tdb = want
    xhat = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    # a mean and a variance of C = 64 float32 terms: relative error ~ 2C eps on xhat (|xhat|
    # up to sqrt(C)); dx sums C products of those with g * w, dw and db sum N = 24 rows
    c, n = 64, 24
    scale_y = np.abs(xhat) * np.abs(w) + np.abs(b) + 1
    assert np.all(np.abs(y - ty) <= 4 * c * EPS32 * scale_y)
    gw = np.abs(g * w)
    scale_dx = (gw + gw.mean(1, keepdims=True) * (1 + np.abs(xhat) * np.sqrt(c))) / \
        np.sqrt(x.var(1, keepdims=True) + 1e-5)
    assert np.all(np.abs(dx - tdx) <= 8 * c * EPS32 * scale_dx)
    assert np.all(np.abs(dw - tdw) <= 4 * (c + n) * EPS32 * (np.abs(g) * (np.abs(xhat) + 1)).sum(0))
    assert np.all(np.abs(db - tdb) <= 2 * n * EPS32 * np.abs(g).sum(0))


def test_layer_norm_statistics_are_one_kernel_with_three_outputs():
    """Mean, inverse deviation and normalized rows asked for together: one kernel, storing
    the row statistics once per row (trailing axis reduced to 1) beside the rows."""
    (a,) = arrays((5, 33))
    a = a.astype(np.float64)
    x = buffer_node(a, float64)
    n, c = a.shape
    mean = UOp(Ops.MUL, float64, (x.r(Ops.ADD, (1,)), UOp.full(1.0 / c, float64, (n, 1))))
    xc = UOp(Ops.SUB, float64, (x, mean.expand((n, c))))
    var = UOp(Ops.MUL, float64, (UOp(Ops.MUL, float64, (xc, xc)).r(Ops.ADD, (1,)),
                                 UOp.full(1.0 / c, float64, (n, 1))))
    rstd = UOp(Ops.RECIP, float64, (UOp(Ops.SQRT, float64, (var,)),))
    xhat = UOp(Ops.MUL, float64, (xc, rstd.expand((n, c))))
    items = create_schedule([mean, rstd, xhat])
    assert len(items) == 1 and items[0].root is xhat and set(items[0].extra) == {mean, rstd}
    plan = Plan([mean, rstd, xhat])
    got_mean, got_rstd, got_xhat = plan.run()
    want_mean = a.mean(1, keepdims=True)
    want_rstd = 1 / a.std(1, keepdims=True)
    want_xhat = (a - want_mean) * want_rstd
    eps = np.finfo(np.float64).eps
    assert np.all(np.abs(got_mean - want_mean) <= 2 * c * eps * np.abs(a).max(1, keepdims=True))
    assert np.all(np.abs(got_rstd - want_rstd) <= 4 * c * eps * want_rstd)
    assert np.all(np.abs(got_xhat - want_xhat) <= 6 * c * eps * (np.abs(want_xhat) + 1))


def test_a_reduction_read_at_other_elements_keeps_its_own_kernel():
    """colsum (1, 6) is read by every row: (1, 6) is not (4, 6) with trailing axes reduced,
    so it cannot be made once per iteration of an outer loop, and stays a kernel of its own."""
    (a,) = arrays((4, 6))
    x = buffer_node(a.astype(np.float64), float64)
    colsum = x.r(Ops.ADD, (0,))
    out = UOp(Ops.SUB, float64, (x, colsum.expand((4, 6))))
    assert [i.root for i in create_schedule([out])] == [colsum, out]


def test_two_outputs_of_one_loop_nest_share_a_kernel():
    (a,) = arrays((6, 10))
    x = buffer_node(a.astype(np.float64), float64)
    p = UOp(Ops.EXP, float64, (x,))
    c = UOp(Ops.MUL, float64, (p, UOp.full(2.0, float64, (6, 10))))
    items = create_schedule([p, c])
    assert len(items) == 1 and set(items[0].outputs) == {p, c}
    got_p, got_c = Plan([p, c]).run()
    want = np.exp(a.astype(np.float64))
    eps = np.finfo(np.float64).eps
    assert np.all(np.abs(got_p - want) <= 4 * eps * want)
    assert np.all(np.abs(got_c - 2 * want) <= 8 * eps * want)


def test_a_member_read_at_other_elements_is_computed_again_not_loaded():
    """p = exp(x) and c = 2 flip(p) share a kernel: c's element i needs p at another element,
    not yet stored in that loop nest, so c computes it again. A row sum read at another row
    (flipped) would run its reduction twice: it keeps a kernel of its own. Values: numpy."""
    (a,) = arrays((6, 10))
    a = a.astype(np.float64)
    x = buffer_node(a, float64)
    p = UOp(Ops.EXP, float64, (x,))
    c = UOp(Ops.MUL, float64, (p.movement(Ops.FLIP, (0,)), UOp.full(2.0, float64, (6, 10))))
    assert len(create_schedule([p, c])) == 1
    rows = x.r(Ops.ADD, (1,))
    d = UOp(Ops.ADD, float64, (x, rows.movement(Ops.FLIP, (0,)).expand((6, 10))))
    assert len(create_schedule([rows, d])) == 2
    got_p, got_c, got_rows, got_d = Plan([p, c, rows, d]).run()
    eps = np.finfo(np.float64).eps
    want_p, want_rows = np.exp(a), a.sum(1, keepdims=True)
    assert np.all(np.abs(got_p - want_p) <= 4 * eps * want_p)
    assert np.all(np.abs(got_c - 2 * want_p[::-1]) <= 8 * eps * want_p[::-1])
    scale = np.abs(a).sum(1, keepdims=True)
    assert np.all(np.abs(got_rows - want_rows) <= 10 * eps * scale)
    assert np.all(np.abs(got_d - (a + want_rows[::-1])) <= 12 * eps * (np.abs(a) + scale[::-1]))


def test_kernels_that_another_kernel_runs_between_stay_apart():
    """c reads p and q, q reads p and must be a buffer of its own (contiguous): q's kernel runs
    after p's and before c's, so p and c cannot be one kernel."""
    (a,) = arrays((6, 10))
    x = buffer_node(a.astype(np.float64), float64)
    p = UOp(Ops.EXP, float64, (x,))
    q = UOp(Ops.CONTIGUOUS, float64, (UOp(Ops.SIN, float64, (p,)),))
    c = UOp(Ops.ADD, float64, (p, q))
    assert [i.root for i in create_schedule([p, c])] == [p, q, c]
    got_p, got_c = Plan([p, c]).run()
    want_p = np.exp(a.astype(np.float64))
    want_c = want_p + np.sin(want_p)
    eps = np.finfo(np.float64).eps
    assert np.all(np.abs(got_c - want_c) <= 8 * eps * (want_p + 1))


def test_memory_plan_keeps_every_output_of_a_kernel_apart():
    """Four steps of y <- (exp(y/10) - rowsum(y) - colsum(y) + rowsum of the step before / 2)
    / 100: the row sums share y's kernel (several outputs), the column sums (a leading axis)
    are kernels of their own, and only the last y is kept, so slots are reused. No kernel may
    write a slot it reads or give two outputs one slot; the values are numpy's (float64)."""
    (a,) = arrays((16, 32))
    a = a.astype(np.float64)
    shape = a.shape

    def op(o, *src):
        return UOp(o, float64, src)

    def full(v):
        return UOp.full(v, float64, shape)

    y, prev = buffer_node(a, float64), None
    want, want_prev, scale, scale_prev = a, None, np.abs(a), None
    for _ in range(4):
        rows, cols = y.r(Ops.ADD, (1,)), y.r(Ops.ADD, (0,))
        t = op(Ops.SUB, op(Ops.SUB, op(Ops.EXP, op(Ops.MUL, y, full(0.1))), rows.expand(shape)),
               cols.expand(shape))
        new_want = np.exp(want * 0.1) - want.sum(1, keepdims=True) - want.sum(0, keepdims=True)
        new_scale = np.exp(want * 0.1) + scale.sum(1, keepdims=True) + scale.sum(0, keepdims=True)
        if prev is not None:
            t = op(Ops.ADD, t, op(Ops.MUL, prev.expand(shape), full(0.5)))
            new_want, new_scale = new_want + want_prev * 0.5, new_scale + scale_prev * 0.5
        y, prev = op(Ops.MUL, t, full(0.01)), rows
        want_prev, scale_prev = want.sum(1, keepdims=True), scale.sum(1, keepdims=True)
        want, scale = new_want * 0.01, new_scale * 0.01
    items = create_schedule([y])
    assert max(len(i.outputs) for i in items) >= 2
    slots = memory_plan(items, {y})
    assert len(set(slots.values())) < len(slots)  # some slot is reused
    for item in items:
        written = [slots[o] for o in item.outputs]
        assert len(set(written)) == len(written)
        assert not set(written) & {slots.get(i) for i in item.inputs}
    (got,) = Plan([y]).run()
    # each step: sums of 32 and 16 terms and a few roundings, relative to the sums of |terms|
    eps = np.finfo(np.float64).eps
    assert np.all(np.abs(got - want) <= 4 * (32 + 16 + 8) * eps * scale)


def test_softmax_stages_its_exponentials_and_is_right():
    (a,) = arrays((64, 16))
    x = lego.tensor(a, device="lazy")
    y = LF.softmax(x, -1)
    source = ch4_pt2.explain_tensors(y)
    assert "_row[" in source  # the sum's exp(x - max) staged in a vectorized loop
    want = TF.softmax(torch.tensor(a, dtype=torch.float64), -1).numpy()
    spread = a.max(-1, keepdims=True) - a.min(-1, keepdims=True)
    assert np.all(np.abs(y.numpy() - want) <= (16 + 4 + 2 * spread) * EPS32 * want)


def test_a_long_row_reduction_gets_lanes():
    (a,) = arrays((8, 256))
    y = lego.tensor(a, device="lazy").sum(-1)
    source = ch4_pt2.explain_tensors(y)
    assert "[16]" in source  # 16 partial sums per row, then added up
    want = a.astype(np.float64).sum(-1)
    assert np.all(np.abs(y.numpy() - want) <= 256 * EPS32 * np.abs(a).sum(-1))


def sqrt_f32(values: np.ndarray) -> np.ndarray:
    x = buffer_node(values, float32)
    (got,) = Plan([UOp(Ops.SQRT, float32, (x,))]).run()
    return got


def same_bits(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Elementwise: the same float32 bits, or both NaN."""
    return (got.view(np.uint32) == want.view(np.uint32)) | (np.isnan(got) & np.isnan(want))


def test_float32_sqrt_is_correctly_rounded_on_two_whole_binades():
    """sqrt_f32 (c_math.h) against numpy's IEEE sqrt, bit for bit, on every float in [1, 4).
    That covers every positive float: x * 4 raises the double's exponent by 2, so the bit trick's
    first guess, each Newton step and the double result are exactly halved/doubled (no step
    leaves double's range for a float input, subnormals included, as they are normal doubles),
    and a float sqrt is never subnormal, so rounding to float commutes with the scaling."""
    values = np.arange(0x3F800000, 0x40800000, dtype=np.uint32).view(np.float32)
    same = same_bits(sqrt_f32(values), np.sqrt(values))
    assert same.all(), f"{(~same).sum()} differ, e.g. sqrt({values[~same][:3]})"


def test_float32_sqrt_is_correctly_rounded_at_every_exponent():
    """The scaling argument's premises, checked: at every exponent (both signs) the first and
    last 64 mantissas, plus 2^20 random bit patterns (subnormals, negatives, NaNs) and the
    special values, bit for bit against numpy."""
    exponents = np.arange(256, dtype=np.uint32) << 23
    ends = np.concatenate([np.arange(64), 0x7FFFFF - np.arange(64)]).astype(np.uint32)
    edges = (exponents[:, None] | ends[None, :]).ravel()
    edges = np.concatenate([edges, edges | np.uint32(0x80000000)])
    bits = np.random.default_rng(0).integers(0, 2**32, 2**20, dtype=np.uint64).astype(np.uint32)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, 4.0, 2.0, -1.0,
                        np.finfo(np.float32).max, np.finfo(np.float32).tiny,
                        np.finfo(np.float32).smallest_subnormal], np.float32)
    values = np.concatenate([edges.view(np.float32), bits.view(np.float32), special])
    with np.errstate(invalid="ignore"):
        want = np.sqrt(values)
    same = same_bits(sqrt_f32(values), want)
    assert same.all(), f"{(~same).sum()} differ, e.g. sqrt({values[~same][:3]})"


def test_float32_sqrt_of_minus_zero_keeps_the_sign():
    got = sqrt_f32(np.array([-0.0, 0.0], np.float32))
    assert np.signbit(got[0]) and not np.signbit(got[1])


def test_an_activation_squared_is_recomputed_not_stored():
    """x @ w1 -> gelu(tanh) -> @ w2 -> tanh, forward and backward in one graph. Pass 1 measured
    h * h (inside gelu) down to the matmul below h; once pass 2 stored h, h * h is one multiply
    over a buffer (pass 3): the gelu kernel stores its output and tanh, not h * h as well."""
    import ch4_pt2.schedule as schedule

    a, b1, b2 = arrays((64, 32), (32, 48), (48, 16))
    x = lego.tensor(a.astype(np.float64), device="lazy")
    w1, w2 = (lego.tensor(m.astype(np.float64), device="lazy", requires_grad=True)
              for m in (b1, b2))
    z = (LF.gelu(x @ w1, approximate="tanh") @ w2).tanh()
    (z * z).sum().backward()
    items = schedule.create_schedule([w1.grad._buf.uop, w2.grad._buf.uop])
    assert max(len(i.outputs) for i in items) == 2
    tx = torch.tensor(a, dtype=torch.float64)
    t1, t2 = (torch.tensor(m, dtype=torch.float64, requires_grad=True) for m in (b1, b2))
    tz = (TF.gelu(tx @ t1, approximate="tanh") @ t2).tanh()
    (tz * tz).sum().backward()
    eps = np.finfo(np.float64).eps
    # |dz| <= 2, |gelu'| <= 1.13: magnitudes of the backward's sums, 32 + 48 + 16 terms deep
    h = np.abs(a.astype(np.float64) @ b1)
    g2 = 2 * np.abs(b2).sum(1)  # |dz @ w2.T| <= sum_j 2 |w2[i, j]|
    bound1 = 400 * eps * (np.abs(a).T @ (1.2 * np.ones_like(h) * g2)) + 1e-13
    bound2 = 400 * eps * ((h + 1).T @ (2 * np.ones((64, 16))))
    assert np.all(np.abs(w1.grad.numpy() - t1.grad.numpy()) <= bound1)
    assert np.all(np.abs(w2.grad.numpy() - t2.grad.numpy()) <= bound2)


def tanh_f32_error_bound() -> float:
    """tanh_f32's error bound in float32 ulps, derived from its steps (c_math.h), to first order
    in u = 2^-24 (a relative error of c u is at most c ulps). With t = 2|x|, s = 2^k, r = t - k ln2
    (|r| <= ln2/2) and e = s (e^r - 1) + s - 1:
      y = e / (e + 2): the sum and the quotient round once each (2u), and a relative error eta of
        e moves y by 2 / (e + 2) eta (y's condition number in e);
      eta <= u (e's fma) + A eps_p + B dr, where A = s |e^r - 1| / e and B = s e^r / e amplify
        the polynomial's relative error eps_p and the absolute error dr of r;
      eps_p <= u (last fma) + f (1.2u (Horner, six fma over |r| <= 0.35) + u (r * r)), where
        f = |e^r - 1 - r| / |e^r - 1| <= 0.19 is the share of the terms past r;
      dr <= 2^-26 (half an ulp of |r| < 0.5) when k >= 1; for k = 0, r = t exactly.
    The factors are largest together at k = 1, r = -ln2/2 (e = sqrt(2) - 1, smallest for k >= 1).
    Past |x| = 10 (clamped) tanh is 1 in float; for k > 24, s - 1 rounds, but 2/(e+2) < 2^-23."""
    r = -np.log(2) / 2
    s, em1 = 2.0, np.expm1(r)
    e = s * em1 + s - 1
    f = max(abs(np.expm1(q) - q) / abs(np.expm1(q)) for q in (r, -r))
    eps_p = 1 + f * (1.2 + 1)
    k1 = 2 + 2 / (e + 2) * (1 + s * abs(em1) / e * eps_p + s * np.exp(r) / e / 4)
    k0 = 2 + 1 * (1 + 1 * eps_p)  # k = 0: A = 1, no dr, 2 / (e + 2) <= 1
    return max(k0, k1)  # about 5.2 (measured on every float when written: 2.42)


def test_float32_tanh_is_within_its_derived_bound_and_is_1_far_out():
    """tanh_f32 (c_math.h) is e / (e + 2) with e = e^(2|x|) - 1 computed without cancellation:
    within the derived bound of float64 numpy from 1e-30 up (log-spaced, both signs) and on 2^22
    random floats of [0, 10), and exactly +-1 from |x| = 10 on, as numpy's float32 tanh."""
    small = np.geomspace(1e-30, 20.0, 200001)
    dense = np.random.default_rng(0).uniform(0, 10, 2**22)
    far = [10.0, 10.5, 50.0, -12.0]
    x = np.concatenate([small, -small, dense, far]).astype(np.float32)
    (got,) = Plan([UOp(Ops.TANH, float32, (buffer_node(x, float32),))]).run()
    want = np.tanh(x.astype(np.float64))
    spacing = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got - want) / spacing) <= tanh_f32_error_bound()
    np.testing.assert_array_equal(got[-4:], np.tanh(x[-4:]))


def test_a_matmul_summed_by_its_softmax_backward_is_stored_once(bounds):
    """softmax(a @ b) @ v: the backward's dP = g @ v.T is summed over each row (dP * P) by the
    kernel that would run dP's library call as its epilogue; that sum reads dP at other elements
    than the call writes, so dP is stored by a kernel of its own instead of generated again."""
    import ch4_pt2.schedule as schedule

    a, b, v, g = (m.astype(np.float64) for m in arrays((32, 32), (32, 32), (32, 32), (32, 32)))
    la = lego.tensor(a, device="lazy", requires_grad=True)
    lb, lv, lg = (lego.tensor(m, device="lazy") for m in (b, v, g))
    ((LF.softmax(la @ lb, -1) @ lv) * lg).sum().backward()
    reasons = [i.reason for i in schedule.create_schedule([la.grad._buf.uop])]
    assert any("a reduction of its kernel reads" in r for r in reasons), reasons
    ta = torch.tensor(a, requires_grad=True)
    ((torch.softmax(ta @ torch.tensor(b), -1) @ torch.tensor(v)) * torch.tensor(g)).sum().backward()
    # dS = P (dP - rowsum(dP P)), dA = dS @ b.T: sums of 32 terms of magnitude <= |g| |v|
    dp = np.abs(g) @ np.abs(v).T
    scale = (dp + dp.max(1, keepdims=True)) @ np.abs(b).T
    bounds.within(la.grad.numpy(), ta.grad.numpy(), bounds.op(0, "float64", 200, scale))


def test_a_replay_never_writes_an_output_someone_still_holds():
    """Outputs reuse the memory of an earlier run's output only once nobody holds it."""
    (a,) = arrays((64,))
    x = buffer_node(a.astype(np.float64), float64)
    y = UOp(Ops.EXP, float64, (x,))
    plan = Plan([y])
    (first,) = plan.run()
    kept = first.copy()
    (second,) = plan.run({x: np.zeros(64)})
    assert not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, kept)  # the held result is untouched
    np.testing.assert_array_equal(second, np.ones(64))
    addresses = {first.ctypes.data, second.ctypes.data}
    del first, second
    (third,) = plan.run({x: np.zeros(64)})
    np.testing.assert_array_equal(third, np.ones(64))
    assert third.ctypes.data in addresses  # nobody held them: one is used again
