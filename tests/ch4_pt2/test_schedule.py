"""The scheduler and the memory planner (book 4.6): which nodes become kernels and why, the
order of kernels, and slots shared only by buffers whose lifetimes do not overlap."""

import numpy as np
import pytest

from ch2_lego.dtype import float32, float64
from ch4_pt2.ops import Ops, UOp
from ch4_pt2.plan import Plan, buffer_node
from ch4_pt2.schedule import create_schedule, memory_plan, trailing_expand

pytestmark = pytest.mark.sec_4_6


def x_of(shape, seed=0, dtype=float64):
    return buffer_node(np.random.default_rng(seed).standard_normal(shape), dtype)


def layernorm(x: UOp) -> UOp:
    n, c = x.shape
    inv_c = UOp.full(1.0 / c, x.dtype, (n, 1))
    mean = UOp(Ops.MUL, x.dtype, (x.r(Ops.ADD, (1,)), inv_c))
    xc = UOp(Ops.SUB, x.dtype, (x, mean.expand((n, c))))
    var = UOp(Ops.MUL, x.dtype, (UOp(Ops.MUL, x.dtype, (xc, xc)).r(Ops.ADD, (1,)), inv_c))
    rstd = UOp(Ops.RECIP, x.dtype, (UOp(Ops.SQRT, x.dtype, (
        UOp(Ops.ADD, x.dtype, (var, UOp.full(1e-5, x.dtype, (n, 1)))),)),))
    return UOp(Ops.MUL, x.dtype, (xc, rstd.expand((n, c))))


def test_layernorm_is_one_kernel_and_right(bounds):
    a = np.random.default_rng(0).standard_normal((5, 33))
    plan = Plan([layernorm(buffer_node(a, float64))])
    (got,) = plan.run()
    assert plan.kernel_count <= 2
    std = np.sqrt(a.var(1, keepdims=True) + 1e-5)
    want = (a - a.mean(1, keepdims=True)) / std
    # two sums of 33 terms, then a few roundings; x - mean cancels, so its error is at the
    # scale of |x| / std, not of the result
    scale = np.abs(a).max(1, keepdims=True) / std
    bounds.within(got, want, bounds.op(want, "float64", 2 * 33 + 8, scale))


def test_trailing_expands():
    col = x_of((4, 1))
    assert trailing_expand(col.expand((4, 6)))  # (4,1) -> (4,6): the row's value is reused
    row = x_of((1, 6), 1)
    assert not trailing_expand(row.expand((4, 6)))  # (1,6) -> (4,6): re-read per row


def test_a_reduction_read_through_a_leading_broadcast_is_realized(bounds):
    a = np.random.default_rng(5).standard_normal((4, 6))
    x = buffer_node(a, float64)
    colsum = x.r(Ops.ADD, (0,))  # (1, 6), broadcast back over the rows
    out = UOp(Ops.SUB, float64, (x, colsum.expand((4, 6))))
    items = create_schedule([out])
    assert [i.root for i in items] == [colsum, out]
    assert "broadcast" in items[0].reason
    plan = Plan([out])
    (got,) = plan.run()
    # a sum of 4 terms, then a subtraction that may cancel: error at the terms' scale
    want = a - a.sum(0, keepdims=True)
    bounds.within(got, want, bounds.op(want, "float64", 5, np.abs(a).sum(0, keepdims=True)))


def test_a_matmul_operand_that_needs_arithmetic_is_stored_once():
    a, b = x_of((8, 16)), x_of((16, 4), 1)
    act = UOp(Ops.EXP, float64, (UOp(Ops.TANH, float64, (UOp(Ops.SIN, float64, (a,)),)),))
    prod = UOp(Ops.MUL, float64, (act.reshape((8, 1, 16)).expand((8, 4, 16)),
                                  b.permute((1, 0)).reshape((1, 4, 16)).expand((8, 4, 16))))
    out = prod.r(Ops.ADD, (2,))
    items = create_schedule([out])
    assert [i.root for i in items] == [act, out], [i.reason for i in items]


def test_kernels_come_in_dependency_order():
    x = x_of((3, 5))
    a = UOp(Ops.CONTIGUOUS, float64, (UOp(Ops.EXP, float64, (x,)),))
    b = UOp(Ops.CONTIGUOUS, float64, (UOp(Ops.NEG, float64, (a,)),))
    c = UOp(Ops.ADD, float64, (a, b))
    order = [i.root for i in create_schedule([c])]
    assert order == [a, b, c]
    for k, item in enumerate(create_schedule([c])):
        assert all(order.index(i) < k for i in item.inputs if i in order)


def lifetimes(items):
    """(first kernel, last kernel) that touches each kernel output."""
    span = {}
    for k, item in enumerate(items):
        span[item.root] = (k, k)
        for x in item.inputs:
            if x in span:
                span[x] = (span[x][0], k)
    return span


def test_memory_plan_reuses_only_dead_buffers():
    x = x_of((64,))
    nodes, y = [], x
    for _ in range(8):  # a chain of 8 kernels: each output dies after the next kernel
        y = UOp(Ops.CONTIGUOUS, float64, (UOp(Ops.EXP, float64, (y,)),))
        nodes.append(y)
    items = create_schedule([y])
    slots = memory_plan(items, {y})
    assert len(set(slots.values())) < len(items)  # something was reused
    span = lifetimes(items)
    for a in slots:
        for b in slots:
            if a is not b and slots[a] == slots[b]:
                (a0, a1), (b0, b1) = span[a], span[b]
                assert a1 < b0 or b1 < a0, "two live buffers share a slot"
    for item in items:  # a kernel never writes where it reads (the C code says restrict)
        assert all(slots.get(i) != slots[item.root] for i in item.inputs)


def test_memory_plan_keeps_outputs_apart():
    x = x_of((16,))
    a = UOp(Ops.CONTIGUOUS, float64, (UOp(Ops.EXP, float64, (x,)),))
    b = UOp(Ops.CONTIGUOUS, float64, (UOp(Ops.SIN, float64, (x,)),))
    items = create_schedule([a, b])
    slots = memory_plan(items, {a, b})
    assert slots[a] != slots[b]


def test_realized_outputs_are_right_after_reuse(bounds):
    a = np.linspace(-1, 1, 64)
    y = buffer_node(a, float64)
    want = a.copy()
    for _ in range(6):
        y = UOp(Ops.CONTIGUOUS, float64, (UOp(Ops.SIN, float64, (y,)),))
        want = np.sin(want)
    (got,) = Plan([y]).run()
    # six sines of C's libm against numpy's, each within an ulp or two; |x cot x| <= 1 here
    bounds.within(got, want, bounds.op(want, "float64", 2 * 6))


def test_float32_inputs_stay_float32():
    x = x_of((4,), dtype=float32)
    (got,) = Plan([UOp(Ops.EXP, float32, (x,))]).run()
    assert got.dtype == np.float32
