"""Every elementwise kernel of device "cpu" over strided and offset views, against numpy.

The kernels write into `out`, which the device contract lets be any view (an in-place op on a
slice, chapter 3's devices checked against these kernels), and read operands in any layout. Each
test builds the layouts by hand, Buffer.as_strided over a flat storage, and compares the
elements the view selects with numpy's op on dense copies of the same elements. It also checks
that the storage around `out` is untouched. numpy 2.4's negative, given an input stepped by 4
elements and a stepped output, read its input as dense: a silent wrong answer these catch.
"""

import numpy as np
import pytest
import torch

from ch2_lego.backend import BINARY, DEVICES, UNARY, Ops
from ch2_lego.buffer import Buffer
from ch2_lego.dtype import bool_, float16, float32, float64, int32, int64

pytestmark = pytest.mark.sec_2_3
CPU = DEVICES["cpu"]
SHAPE = (4, 9)  # 9 columns: longer than a vector register of float64 or float32 lanes
# name: (strides, offset) in elements, for SHAPE; numpy's loops differ by stride: 1, 2, 4, 8,
# a transposed (inner stride = rows), a flipped one and nonzero offsets
LAYOUTS = {
    "dense": ((9, 1), 0), "offset": ((9, 1), 5), "transposed": ((1, 4), 0),
    "step 2": ((18, 2), 1), "step 4": ((36, 4), 3), "step 8": ((72, 8), 0),
    "transposed step 4": ((4, 16), 2), "flipped": ((-9, -1), 35 + 3),
    "rows flipped, step 4": ((-36, 4), 3 * 36 + 1),
}
BROADCAST = {"row broadcast": ((0, 1), 2), "scalar broadcast": ((0, 0), 4)}  # operands only
# ops whose float results come from libm (or our erf): compared with torch's float64 in ulps
LIBM = {Ops.EXP: torch.exp, Ops.LOG: torch.log, Ops.SIN: torch.sin, Ops.COS: torch.cos,
        Ops.TANH: torch.tanh, Ops.ERF: torch.erf, Ops.POW: torch.pow}
NUMPY = {Ops.NEG: np.negative, Ops.SQRT: np.sqrt, Ops.ABS: np.abs, Ops.SIGN: np.sign,
         Ops.NOT: np.logical_not, Ops.FLOOR: np.floor, Ops.CEIL: np.ceil, Ops.ROUND: np.round,
         Ops.ADD: np.add, Ops.SUB: np.subtract, Ops.MUL: np.multiply, Ops.DIV: np.divide,
         Ops.MOD: np.mod, Ops.FLOORDIV: np.floor_divide, Ops.MAX: np.maximum,
         Ops.MIN: np.minimum, Ops.CMPLT: np.less, Ops.CMPLE: np.less_equal, Ops.CMPEQ: np.equal,
         Ops.CMPNE: np.not_equal, Ops.AND: np.logical_and, Ops.OR: np.logical_or,
         Ops.XOR: np.logical_xor}
TO_BOOL = {Ops.NOT, Ops.CMPLT, Ops.CMPLE, Ops.CMPEQ, Ops.CMPNE, Ops.AND, Ops.OR, Ops.XOR}
DTYPES = (bool_, int32, int64, float16, float32, float64)  # numpy has each of these
SENTINEL = 77


def extent(strides, offset) -> int:
    """The storage length a view of SHAPE needs; asserts it starts inside the storage."""
    low = offset + sum((n - 1) * s for n, s in zip(SHAPE, strides) if s < 0)
    assert low >= 0
    return offset + sum((n - 1) * s for n, s in zip(SHAPE, strides) if s > 0) + 1


def strided(flat: np.ndarray, layout) -> tuple[Buffer, np.ndarray]:
    """A Buffer viewing `flat` (a copy of it becomes its storage) in `layout`, and the same
    elements picked by numpy index arithmetic (not through the device's operand)."""
    strides, offset = layout
    rows, cols = np.indices(SHAPE)
    picked = flat[offset + rows * strides[0] + cols * strides[1]]
    base = Buffer.from_numpy(flat.copy(), "cpu")
    return base.as_strided(SHAPE, strides, offset), picked


def values(dtype, op, n: int, rng) -> np.ndarray:
    if dtype is bool_:
        return rng.random(n) < 0.5
    if dtype in (int32, int64):
        if op is Ops.POW:
            return rng.integers(0, 5, n).astype(dtype.np)
        low = 1 if op in (Ops.FLOORDIV, Ops.MOD) else -9  # no integer division by zero
        return rng.integers(low, 10, n).astype(dtype.np)
    low = 0.1 if op in (Ops.LOG, Ops.SQRT, Ops.POW) else -3.0
    x = rng.uniform(low, 3.0, n)
    if op not in (Ops.LOG, Ops.SQRT, Ops.POW):
        x[::7] = np.round(x[::7])  # some whole numbers and ties for ROUND, FLOOR, ties of MAX
    return x.astype(dtype.np)


def expected(op, dtype, *dense) -> tuple[np.ndarray, np.ndarray | None]:
    """(what the kernel must give exactly, or None; a float64 truth for the libm ops, or None).
    float16 computes in float32 and rounds once, as torch's cpu kernels do."""
    if op in LIBM and dtype.is_floating_point:
        args = [torch.from_numpy(np.asarray(d, np.float64)) for d in dense]
        return None, LIBM[op](*args).numpy()
    if op in LIBM:  # integer POW: exact
        return np.power(*dense), None
    wide = [d.astype(np.float32) if dtype is float16 else d for d in dense]
    with np.errstate(all="ignore"):  # x / 0 and float16 overflow: inf, as the kernels give
        out = NUMPY[op](*wide)
        return (out if op in TO_BOOL else out.astype(dtype.np)), None


def check(op, dtype, out_layout, srcs) -> None:
    """Run op's cpu kernel into `out_layout` over srcs [(flat, layout)] (the second may be a
    python number, as the Functions pass constants), check it."""
    out_np = np.bool_ if op in TO_BOOL else dtype.np
    out_flat = np.full(extent(*LAYOUTS[out_layout]), SENTINEL, out_np)
    out, _ = strided(out_flat, LAYOUTS[out_layout])
    buffers, dense = zip(*[(src, np.array(src, dtype.np)) if isinstance(src, int) else
                           strided(*src) for src in srcs])
    buffers[0].alu(op, *buffers[1:], out=out)
    got = out.numpy()
    exact, truth = expected(op, dtype, *dense)
    where = f"{op.name} {dtype.name} into {out_layout}"
    if exact is not None:
        np.testing.assert_array_equal(got, exact, err_msg=where)
    else:  # libm (and our erf) within 4 ulps of the truth, which is within 1
        bound = 4 * float(np.finfo(dtype.np).eps) * np.abs(truth) + np.finfo(dtype.np).tiny
        assert np.all(np.abs(got.astype(np.float64) - truth) <= bound), where
    # nothing outside the view was written
    mask = np.ones(out_flat.size, bool)
    strides, offset = LAYOUTS[out_layout]
    rows, cols = np.indices(SHAPE)
    mask[offset + rows * strides[0] + cols * strides[1]] = False
    untouched = out.storage.data[mask]
    assert np.all(untouched == np.array(SENTINEL, out_np)), f"{where}: wrote outside the view"


def op_dtypes(op):
    return [d for d in DTYPES if d in CPU.kernels[op][1]]


def by_name(ops):
    return sorted(ops, key=lambda o: o.name)


@pytest.mark.parametrize("op", by_name(UNARY), ids=lambda o: o.name)
def test_unary_kernel_over_every_layout_of_out_and_input(op):
    rng = np.random.default_rng(op.value)
    in_layouts = {**LAYOUTS, **BROADCAST}
    for dtype in op_dtypes(op):
        for out_layout in LAYOUTS:
            for layout in in_layouts.values():
                flat = values(dtype, op, extent(*layout), rng)
                check(op, dtype, out_layout, [(flat, layout)])


@pytest.mark.parametrize("op", by_name(BINARY), ids=lambda o: o.name)
def test_binary_kernel_over_every_layout_of_out_and_operands(op):
    rng = np.random.default_rng(op.value)
    in_layouts = list({**LAYOUTS, **BROADCAST}.values())
    for dtype in op_dtypes(op):
        for out_layout in LAYOUTS:
            # each layout of a against two of b: the pairs cover every layout on each side
            for i, a in enumerate(in_layouts):
                for b in (in_layouts[(i + 3) % len(in_layouts)], a):
                    srcs = [(values(dtype, op, extent(*lay), rng), lay) for lay in (a, b)]
                    check(op, dtype, out_layout, srcs)
                check(op, dtype, out_layout, [srcs[0], 2])  # a python number on the right


def test_negative_into_a_stepped_view_of_a_stepped_input():
    # the case chapter 3's test found, by hand: out (2, 2) stepped by 2 in both dims, x the
    # transpose of a (4, 2) array stepped by 2: -x, not the negated first elements of storage
    x = Buffer.from_numpy(np.arange(1.0, 9.0, dtype=np.float32), "cpu")
    x = x.as_strided((2, 2), (1, 4), 0)  # [[1, 5], [2, 6]]
    out = Buffer.from_numpy(np.zeros(16, np.float32), "cpu").as_strided((2, 2), (8, 2), 0)
    x.alu(Ops.NEG, out=out)
    np.testing.assert_array_equal(out.numpy(), [[-1.0, -5.0], [-2.0, -6.0]])
