"""The "cpu" device: numpy buffers, and a kernel for every primitive over strided numpy views.

An operand is a numpy array made over the storage with ndarray(buffer=..., strides=...), so a
transposed or broadcast (stride 0) input is read in place; numpy runs the inner loops. Kernels
write into `out`, the (usually fresh, contiguous) result view.
"""

import math

import numpy as np

from ch2_lego.backend import Device, Ops, register, register_device
from ch2_lego.dtype import (
    ALL_DTYPES,
    HALF_DTYPES,
    bfloat16,
    bfloat16_to_float,
    float16,
    float32,
    float64,
    int32,
    int64,
    to_storage,
)
from ch2_lego.errors import DTypeError, IndexValueError, IntegerDivisionError, OutOfRangeError

# *** 1. memory ***


# --8<-- [start:cpu_operand]
def operand(storage, view) -> np.ndarray:
    """A numpy view of `view` over the storage's flat array; copies nothing."""
    data = storage.data
    size = data.itemsize
    if 0 in view.shape:  # an empty view may start past the end of its storage
        return np.empty(view.shape, data.dtype)
    return np.ndarray(view.shape, data.dtype, data, view.offset * size,
                      tuple([s * size for s in view.strides]))
# --8<-- [end:cpu_operand]


CPU = register_device(Device(
    "cpu",
    alloc=lambda numel, dtype: np.empty(numel, dtype.np),
    from_numpy=lambda a: a,
    to_numpy=lambda data: data,
    operand=operand,
    # a 0-dim array: numpy broadcasts it. A half-precision op computes in float32 (below), so
    # its numbers are float32 too, unrounded, as torch's cpu kernels take them.
    scalar=lambda value, dtype: np.array(value, np.float32 if dtype in HALF_DTYPES else dtype.np),
    dtypes=ALL_DTYPES,
))

# *** 2. elementwise kernels ***

FLOATS, INTS = (float32, float64) + HALF_DTYPES, (int32, int64)
NUMBERS, ALL = FLOATS + INTS, ALL_DTYPES


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to double precision; numpy has none. Series for |x| < 3, continued fraction above."""
    a = np.abs(x).astype(np.float64)
    out = np.empty_like(a)
    small = a < 3.0
    # erf(a) = 2/sqrt(pi) exp(-a^2) sum_n a^(2n+1) 2^n / (1*3*...*(2n+1)): positive terms only
    s = a[small]
    term = s.copy()
    total = s.copy()
    for n in range(1, 80):
        term *= 2 * s * s / (2 * n + 1)
        total += term
    out[small] = 2 / math.sqrt(math.pi) * np.exp(-s * s) * total
    # erfc(a) = exp(-a^2)/sqrt(pi) / (a + 1/2/(a + 1/(a + 3/2/(a + ...)))), evaluated backwards
    b = a[~small]
    frac = np.zeros_like(b)
    for k in range(60, 0, -1):
        frac = (k / 2) / (b + frac)
    out[~small] = 1 - np.exp(-b * b) / math.sqrt(math.pi) / (b + frac)
    return (np.sign(x) * out).astype(x.dtype, copy=False)


def _quiet(kernel):
    """inf from x/0 and exp(1000), -inf from log 0, nan from sqrt(-1) are answers, not errors:
    torch returns them silently, so these kernels silence numpy's RuntimeWarnings."""
    def quiet_kernel(out, *srcs, **arg):
        with np.errstate(all="ignore"):
            kernel(out, *srcs, **arg)
    return quiet_kernel


def _unary(fn):
    return lambda out, x: fn(x, out=out)


def _binary(fn):
    return lambda out, a, b: fn(a, b, out=out)


# NOTE: two checks that need the values, so they live in the kernels, as in PyTorch; numpy
# would silently give 0 or garbage instead.
def _pow(out, a, b):
    if a.dtype.kind in "iu" and (b < 0).any():
        raise DTypeError("Integers to negative integer powers are not allowed.")
    np.power(a, b, out=out)


def _intdiv_check(fn):
    def kernel(out, a, b):
        if a.dtype.kind in "iu" and (b == 0).any():
            raise IntegerDivisionError("ZeroDivisionError")
        fn(a, b, out=out)
    return kernel


UNARY_KERNELS = {
    Ops.NEG: (_unary(np.negative), NUMBERS), Ops.EXP: (_quiet(_unary(np.exp)), FLOATS),
    Ops.LOG: (_quiet(_unary(np.log)), FLOATS),
    Ops.SQRT: (_quiet(_unary(np.sqrt)), FLOATS),
    Ops.SIN: (_unary(np.sin), FLOATS), Ops.COS: (_unary(np.cos), FLOATS),
    Ops.TANH: (_unary(np.tanh), FLOATS), Ops.ABS: (_unary(np.abs), NUMBERS),
    Ops.ERF: (lambda out, x: np.copyto(out, _erf(x)), FLOATS),
    Ops.SIGN: (_unary(np.sign), NUMBERS), Ops.NOT: (_unary(np.logical_not), ALL),
    Ops.FLOOR: (_unary(np.floor), FLOATS), Ops.CEIL: (_unary(np.ceil), FLOATS),
    Ops.ROUND: (_unary(np.round), FLOATS),  # half to even, as torch.round
}
BINARY_KERNELS = {
    Ops.ADD: (_binary(np.add), ALL), Ops.SUB: (_binary(np.subtract), NUMBERS),
    Ops.MUL: (_binary(np.multiply), ALL), Ops.DIV: (_quiet(_binary(np.divide)), FLOATS),
    Ops.POW: (_quiet(_pow), NUMBERS), Ops.MOD: (_quiet(_intdiv_check(np.mod)), NUMBERS),
    Ops.FLOORDIV: (_quiet(_intdiv_check(np.floor_divide)), NUMBERS),
    Ops.MAX: (_binary(np.maximum), ALL), Ops.MIN: (_binary(np.minimum), ALL),
    Ops.CMPLT: (_binary(np.less), ALL), Ops.CMPLE: (_binary(np.less_equal), ALL),
    Ops.CMPEQ: (_binary(np.equal), ALL), Ops.CMPNE: (_binary(np.not_equal), ALL),
    Ops.AND: (_binary(np.logical_and), ALL), Ops.OR: (_binary(np.logical_or), ALL),
    Ops.XOR: (_binary(np.logical_xor), ALL),
}

# *** 3. reductions ***


def _reduce(fn):
    return lambda out, x, axes: fn(x, axis=axes, out=out)


def _sum(out, x, axes):
    np.sum(x, axis=axes, dtype=out.dtype, out=out)


def _prod(out, x, axes):
    np.prod(x, axis=axes, dtype=out.dtype, out=out)


def _arg(fn):
    # numpy reduces one axis at a time; Tensor flattens first when there is no dim
    return lambda out, x, axes: fn(x, axis=axes[0], out=out)


def _argsort(out, x, axis, descending):
    if descending:  # a stable descending sort: sort the reversed axis, then map indices back
        n = x.shape[axis]
        flipped = np.flip(x, axis)
        np.copyto(out, n - 1 - np.flip(np.argsort(flipped, axis=axis, kind="stable"), axis))
    else:
        np.copyto(out, np.argsort(x, axis=axis, kind="stable"))


REDUCE_KERNELS = {
    Ops.SUM: (_sum, ALL), Ops.PROD: (_prod, ALL),
    Ops.REDUCE_MAX: (_reduce(np.max), ALL), Ops.REDUCE_MIN: (_reduce(np.min), ALL),
    Ops.ARGMAX: (_arg(np.argmax), ALL), Ops.ARGMIN: (_arg(np.argmin), ALL),
    Ops.ANY: (_reduce(np.any), ALL), Ops.ALL: (_reduce(np.all), ALL),
    Ops.CUMSUM: (lambda out, x, axis: np.cumsum(x, axis=axis, dtype=out.dtype, out=out), ALL),
    Ops.ARGSORT: (_argsort, ALL),
}

# *** 4. matmul, copies and index ops ***


# NOTE: index ops check their indices here, in the kernel, where the values are: a check in
# the front end would read the index back to the host (a sync on an accelerator).
def _check_index(index: np.ndarray, size: int, dim: int, negative: bool) -> None:
    """gather/scatter take [0, size) (RuntimeError), x[index] [-size, size) (IndexError)."""
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        low = -size if negative else 0
        if lo < low or hi >= size:
            bad = hi if hi >= size else lo
            message = f"index {bad} is out of bounds for dimension {dim} with size {size}"
            raise OutOfRangeError(message) if negative else IndexValueError(message, bad)


def _gather(out, x, index, axis):
    _check_index(index, x.shape[axis], axis, negative=False)
    # torch.gather lets index be smaller than x in the other dims; take_along_axis wants equal
    x = x[tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))]
    np.copyto(out, np.take_along_axis(x, index, axis=axis))


def _where(out, cond, a, b):
    # two passes with no temporary: out = b, then a where cond
    np.copyto(out, b)
    np.copyto(out, a, where=cond)


def _scatter_add(out, x, index, src, axis):
    _check_index(index, x.shape[axis], axis, negative=False)
    np.copyto(out, x)
    # index[i, j, ...] names the position along `axis`; the other coordinates are i, j, ...
    coords = list(np.indices(index.shape, sparse=True))
    coords[axis] = index
    np.add.at(out, tuple(coords), src[tuple(slice(0, n) for n in index.shape)])


def _index(out, x, *indices, positions):
    for p, idx in zip(positions, indices):
        _check_index(idx, x.shape[p], p, negative=True)
    key = [slice(None)] * x.ndim
    for p, idx in zip(positions, indices):
        key[p] = idx
    np.copyto(out, x[tuple(key)])


def _index_put(out, x, src, *indices, positions, accumulate):
    for p, idx in zip(positions, indices):
        _check_index(idx, x.shape[p], p, negative=True)
    np.copyto(out, x)
    key = [slice(None)] * x.ndim
    for p, idx in zip(positions, indices):
        key[p] = idx
    if accumulate:
        np.add.at(out, tuple(key), src)
    else:
        out[tuple(key)] = src


OTHER_KERNELS = {
    Ops.FILL: (lambda out, value: np.copyto(out, value), ALL),
    Ops.MATMUL: (lambda out, a, b: np.matmul(a, b, out=out), NUMBERS),
    Ops.WHERE: (_where, ALL),
    Ops.COPY: (_quiet(lambda out, x: np.copyto(out, x, casting="unsafe")), ALL),  # nan -> int
    Ops.GATHER: (_gather, ALL),
    Ops.SCATTER_ADD: (_scatter_add, ALL),
    Ops.INDEX: (_index, ALL),
    Ops.INDEX_PUT: (_index_put, ALL),
}

# *** 5. half precision: compute in float32, round on store ***

# Ops whose operands may be half precision while `out` is not (casts, comparisons, arg-reductions,
# sums to another dtype); for every other op, out's dtype is the operands' dtype.
MIXED = {Ops.COPY, Ops.CMPLT, Ops.CMPLE, Ops.CMPEQ, Ops.CMPNE, Ops.AND, Ops.OR, Ops.XOR, Ops.NOT,
         Ops.ARGMAX, Ops.ARGMIN, Ops.ARGSORT, Ops.ANY, Ops.ALL, Ops.SUM, Ops.PROD, Ops.CUMSUM}
_HALF_NP = {float16.np: float16, bfloat16.np: bfloat16}  # the storage types (no int16 exists)


# --8<-- [start:cpu_half]
def _widen(a: np.ndarray) -> np.ndarray:
    """A half-precision operand as float32 values (bfloat16: its bits, shifted up)."""
    return bfloat16_to_float(a) if a.dtype == bfloat16.np else a.astype(np.float32)


def half_precision(kernel, mixed: bool, round_numbers: bool = False):
    """`kernel` for float16 and bfloat16 as torch's cpu runs them: operands widened to float32,
    the kernel computed in float32, the result rounded once (to nearest even) into `out`. Only
    these types have 2-byte elements, so the itemsize tells them apart at no cost.
    `round_numbers`: a python number (a 0-dim float32 here) is first rounded to out's type, as
    torch's add and sub do (its mul and div keep the number in float32)."""
    def kernel_any_dtype(out, *srcs, **arg):
        if out.itemsize != 2 and not (mixed and any(s.itemsize == 2 for s in srcs)):
            return kernel(out, *srcs, **arg)  # the common case: no half operand
        if round_numbers and out.itemsize == 2:
            srcs = [to_storage(s, _HALF_NP[out.dtype]) if s.ndim == 0 and s.itemsize == 4
                    else s for s in srcs]
        srcs = [_widen(s) if s.itemsize == 2 else s for s in srcs]
        if out.itemsize != 2:
            return kernel(out, *srcs, **arg)
        wide = np.empty(out.shape, np.float32)
        kernel(wide, *srcs, **arg)
        out[...] = to_storage(wide, _HALF_NP[out.dtype])
    return kernel_any_dtype
# --8<-- [end:cpu_half]


def _copy(out, x):
    # a bfloat16 -> bfloat16 copy moves the bits (its NaNs keep their payload, as torch's)
    if out.dtype == x.dtype:
        np.copyto(out, x)
    else:
        half_copy(out, x)


half_copy = half_precision(OTHER_KERNELS[Ops.COPY][0], mixed=True)
for table in (UNARY_KERNELS, BINARY_KERNELS, REDUCE_KERNELS, OTHER_KERNELS):
    for op, (kernel, dtypes) in table.items():
        register("cpu", op, _copy if op is Ops.COPY else
                 half_precision(kernel, op in MIXED, op in (Ops.ADD, Ops.SUB)), dtypes)

assert set(CPU.kernels) == set(Ops), "the cpu device implements every primitive"
