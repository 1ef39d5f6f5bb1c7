"""The IR node (book 4.2): hash-consing, shapes of the tensor graph against numpy, and the
integer bounds the index rules rely on, checked by enumerating every value."""

import itertools

import numpy as np
import pytest

from ch2_lego.dtype import float32, int64
from ch4_pt2.ops import GroupOp, Ops, UOp, index_dtype

pytestmark = pytest.mark.sec_4_2


def buf(shape, dtype=float32, uid=0):
    return UOp(Ops.BUFFER, dtype, (), (uid, tuple(shape)))


def test_equal_fields_give_the_same_node():
    a = UOp(Ops.ADD, int64, (UOp.const(1), UOp.const(2)))
    b = UOp(Ops.ADD, int64, (UOp.const(1), UOp.const(2)))
    assert a is b
    assert UOp(Ops.ADD, int64, (UOp.const(2), UOp.const(1))) is not a


def test_float_zero_keeps_its_sign():
    assert UOp.const(-0.0, float32) is not UOp.const(0.0, float32)
    assert UOp.const(1, float32).arg == 1.0 and isinstance(UOp.const(1, float32).arg, float)


@pytest.mark.parametrize("op, arg, numpy_fn", [
    (Ops.RESHAPE, (6, 4), lambda a: a.reshape(6, 4)),
    (Ops.PERMUTE, (2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    (Ops.PAD, ((1, 0), (0, 2), (3, 1)), lambda a: np.pad(a, ((1, 0), (0, 2), (3, 1)))),
    (Ops.SHRINK, ((0, 1), (1, 3), (2, 4)), lambda a: a[0:1, 1:3, 2:4]),
    (Ops.FLIP, (0, 2), lambda a: a[::-1, :, ::-1]),
])
def test_movement_shapes_match_numpy(op, arg, numpy_fn):
    x = buf((2, 3, 4))
    assert UOp(op, float32, (x,), arg).shape == numpy_fn(np.zeros((2, 3, 4))).shape


def test_reduce_keeps_axes_and_expand_grows_them():
    x = buf((2, 3, 4))
    r = UOp(Ops.REDUCE_AXIS, float32, (x,), (Ops.ADD, (1,)))
    assert r.shape == np.zeros((2, 3, 4)).sum(1, keepdims=True).shape
    assert UOp(Ops.EXPAND, float32, (r,), (2, 3, 4)).shape == (2, 3, 4)


def rng(name, n):
    return UOp(Ops.RANGE, index_dtype, (), (name, n))


@pytest.mark.parametrize("make", [
    lambda r, s: r * 4 + s,
    lambda r, s: (r * 4 + s) // 3,
    lambda r, s: (r + s) % 5,
    lambda r, s: r - s * 2,
    lambda r, s: r * s,
])
def test_bounds_contain_every_value(make, evaluate_ir):
    r, s = rng("r", 6), rng("s", 4)
    e = make(r, s)
    values = [evaluate_ir(e, {"r": i, "s": j}) for i, j in itertools.product(range(6), range(4))]
    assert e.vmin <= min(values) and max(values) <= e.vmax


def test_toposort_puts_operands_first():
    a, b = buf((2,), uid=1), buf((2,), uid=2)
    c = UOp(Ops.ADD, float32, (a, b))
    d = UOp(Ops.MUL, float32, (c, a))
    order = d.toposort()
    assert order[-1] is d and all(order.index(s) < order.index(n) for n in order for s in n.src)


def test_toposort_handles_deep_chains():
    x = buf((1,), uid=3)
    for _ in range(20000):  # deeper than Python's recursion limit
        x = UOp(Ops.NEG, float32, (x,))
    assert len(x.toposort()) == 20001


def test_groups_cover_the_alu_ops():
    assert GroupOp.ALU == GroupOp.Unary | GroupOp.Binary | GroupOp.Ternary
    assert GroupOp.Comparison <= GroupOp.Binary
