"""Views and index maps (book 4.4): a chain of movement ops folded into one View, or mapped
through reshape_index/movement_index, reads exactly the elements numpy's own ops give."""

import itertools

import numpy as np
import pytest

from ch2_lego.dtype import float32
from ch4_pt2.ops import Ops, UOp, index_dtype
from ch4_pt2.view import View, apply_movement, movement_index, reshape_index

pytestmark = pytest.mark.sec_4_4

# (op, arg, numpy fn) applied one after another to a (2, 3, 4) array
CHAINS = {
    "reshape-merge": [(Ops.RESHAPE, (6, 4), lambda a: a.reshape(6, 4))],
    "permute-reshape": [(Ops.PERMUTE, (1, 0, 2), lambda a: a.transpose(1, 0, 2)),
                        (Ops.RESHAPE, (3, 2, 2, 2), lambda a: a.reshape(3, 2, 2, 2))],
    "expand": [(Ops.RESHAPE, (2, 1, 3, 4), lambda a: a.reshape(2, 1, 3, 4)),
               (Ops.EXPAND, (2, 5, 3, 4), lambda a: np.broadcast_to(a, (2, 5, 3, 4)))],
    "shrink-flip": [(Ops.SHRINK, ((0, 2), (1, 3), (1, 4)), lambda a: a[:, 1:3, 1:4]),
                    (Ops.FLIP, (1, 2), lambda a: a[:, ::-1, ::-1])],
    "pad-shrink": [(Ops.PAD, ((1, 1), (0, 2), (2, 0)), lambda a: np.pad(a, ((1, 1), (0, 2),
                                                                            (2, 0)))),
                   (Ops.SHRINK, ((1, 4), (0, 4), (1, 5)), lambda a: a[1:4, 0:4, 1:5])],
    "flip-permute-pad": [(Ops.FLIP, (0,), lambda a: a[::-1]),
                         (Ops.PERMUTE, (2, 1, 0), lambda a: a.transpose(2, 1, 0)),
                         (Ops.PAD, ((0, 1), (1, 0), (0, 0)),
                          lambda a: np.pad(a, ((0, 1), (1, 0), (0, 0))))],
    "split-last": [(Ops.RESHAPE, (2, 3, 2, 2), lambda a: a.reshape(2, 3, 2, 2))],
}


def ranges_for(shape):
    return tuple(UOp(Ops.RANGE, index_dtype, (), (f"i{k}", n)) for k, n in enumerate(shape))


def read(view: View, base: np.ndarray, evaluate) -> np.ndarray:
    """Every element of the view, read from the flat base through its index expression."""
    idx = ranges_for(view.shape)
    offset, valid = view.to_index(idx)
    out = np.zeros(view.shape)
    for point in itertools.product(*(range(n) for n in view.shape)):
        env = {f"i{k}": v for k, v in enumerate(point)}
        if evaluate(valid, env):
            out[point] = base[evaluate(offset, env)]
    return out


@pytest.mark.parametrize("name", list(CHAINS))
def test_a_folded_view_reads_what_numpy_reads(name, evaluate_ir):
    base = np.arange(24.0) + 1
    want, view = base.reshape(2, 3, 4), View.contiguous((2, 3, 4))
    for op, arg, fn in CHAINS[name]:
        want = fn(want)
        node = UOp(op, float32, (UOp(Ops.BUFFER, float32, (), (0, view.shape)),), arg)
        view = apply_movement(view, node)
        assert view is not None, f"{op} should fold"
    np.testing.assert_array_equal(read(view, base, evaluate_ir), want)


def test_a_reshape_of_a_permuted_view_does_not_fold():
    assert View.contiguous((2, 3, 4)).permute((0, 2, 1)).reshape((2, 12)) is None
    assert View.contiguous((2, 3, 4)).permute((0, 2, 1)).reshape((2, 4, 3)) is not None


@pytest.mark.parametrize("old, new", [((2, 3, 4), (6, 4)), ((6, 4), (2, 3, 4)),
                                      ((2, 3, 4), (4, 6)), ((24,), (2, 1, 12)),
                                      ((2, 1, 12), (3, 8))])
def test_reshape_index_agrees_with_row_major_order(old, new, evaluate_ir):
    idx = ranges_for(new)
    mapped = reshape_index(idx, new, old)
    for point in itertools.product(*(range(n) for n in new)):
        env = {f"i{k}": v for k, v in enumerate(point)}
        flat = np.ravel_multi_index(point, new)
        assert tuple(evaluate_ir(m, env) for m in mapped) == np.unravel_index(flat, old)


def test_pad_index_says_where_the_zeros_are(evaluate_ir):
    x = UOp(Ops.BUFFER, float32, (), (0, (3,)))
    pad = UOp(Ops.PAD, float32, (x,), ((2, 1),))
    (i,) = ranges_for((6,))
    (src,), valid = movement_index(pad, (i,))
    inside = [k for k in range(6) if evaluate_ir(valid, {"i0": k})]
    assert inside == [2, 3, 4] and [evaluate_ir(src, {"i0": k}) for k in inside] == [0, 1, 2]
