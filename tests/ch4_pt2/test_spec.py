"""Verification (book 4.3): the spec rule sets accept what capture and every lowering pass make,
and name the node when a graph breaks the rules."""

import numpy as np
import pytest

from ch2_lego.dtype import float32, int64
from ch4_pt2.lower import lower
from ch4_pt2.ops import Ops, UOp
from ch4_pt2.plan import buffer_node
from ch4_pt2.schedule import create_schedule
from ch4_pt2.spec import SpecError, kernel_spec, tensor_spec, verify

pytestmark = pytest.mark.sec_4_3


def graphs():
    a = buffer_node(np.ones((8, 16), np.float32), float32)
    b = buffer_node(np.ones((16, 12), np.float32), float32)
    prod = UOp(Ops.MUL, float32, (a.reshape((8, 1, 16)).expand((8, 12, 16)),
                                  b.permute((1, 0)).reshape((1, 12, 16)).expand((8, 12, 16))))
    mm = prod.r(Ops.ADD, (2,)).reshape((8, 12))
    sm = UOp(Ops.SUB, float32, (mm, mm.r(Ops.MAX, (1,)).expand((8, 12))))
    padded = a.movement(Ops.PAD, ((1, 1), (0, 2))).movement(Ops.FLIP, (1,))
    idx = buffer_node(np.array([[0, 3], [7, 1]]), int64)
    gathered = UOp(Ops.GATHER, float32, (a.movement(Ops.SHRINK, ((0, 2), (0, 16))), idx), 1)
    return {"matmul": mm, "softmax-part": sm, "pad-flip": padded, "gather": gathered}


@pytest.mark.parametrize("name", list(graphs()))
def test_every_pass_keeps_the_spec(name):
    root = graphs()[name]
    verify(root, tensor_spec)
    passes = []
    for item in create_schedule([root]):
        lower(item.root, list(item.inputs),
              after_pass=lambda pass_name, ir: (verify(ir.store, kernel_spec),
                                                passes.append(pass_name)))
    assert len(passes) >= 3  # indexing and both passes ran, each checked


def test_mismatched_shapes_are_caught():
    a = buffer_node(np.ones((2, 3), np.float32), float32)
    b = buffer_node(np.ones((3, 2), np.float32), float32)
    with pytest.raises(SpecError, match="ADD"):
        verify(UOp(Ops.ADD, float32, (a, b)), tensor_spec)


def test_a_bad_permutation_is_caught():
    a = buffer_node(np.ones((2, 3), np.float32), float32)
    with pytest.raises(SpecError, match="PERMUTE"):
        verify(UOp(Ops.PERMUTE, float32, (a,), (0, 0)), tensor_spec)


def test_a_float_index_is_caught():
    buf = UOp(Ops.DEFINE_GLOBAL, float32, (), 1)
    bad = UOp(Ops.LOAD, float32, (buf, UOp.const(1.0, float32)))
    with pytest.raises(SpecError, match="LOAD"):
        verify(bad, kernel_spec)
