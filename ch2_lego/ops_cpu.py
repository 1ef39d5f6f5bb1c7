"""The "cpu" device: numpy buffers, and a kernel for every primitive over strided numpy views
(but the FUSED layers, which run as their decompositions).

An operand is a numpy array made over the storage with ndarray(buffer=..., strides=...), so a
transposed or broadcast (stride 0) input is read in place; numpy runs the inner loops. Kernels
write into `out`, the (usually fresh, contiguous) result view.
"""


import math

import numpy as np

from ch2_lego.backend import FUSED, Device, Ops, register, register_device
from ch2_lego.dtype import (
    ALL_DTYPES,
    HALF_DTYPES,
    bfloat16,
    bfloat16_to_float,
    float16,
    float16_to_float,
    float32,
    float64,
    int32,
    int64,
    to_storage,
)
from ch2_lego.errors import DTypeError, IndexValueError, IntegerDivisionError, OutOfRangeError
from ch2_lego.storage import _contiguous_view

# *** 1. memory ***


# --8<-- [start:cpu_operand]
def operand(storage, view) -> np.ndarray:
    """A numpy view of `view` over the storage's flat array; copies nothing."""
    data = storage.data
    shape = view.shape
    # the common case, a fresh buffer: its whole storage in row-major order (one View object
    # per shape is shared by all of them), which reshape serves at a third of the cost
    if view is _contiguous_view(shape) and data.size == math.prod(shape):
        return data.reshape(shape)
    size = data.itemsize
    if 0 in shape:  # an empty view may start past the end of its storage
        return np.empty(shape, data.dtype)
    return np.ndarray(shape, data.dtype, data, view.offset * size,
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


# erf as C libraries compute it: rational approximations on four ranges of |x|, and for the
# tail erf = 1 - erfc with erfc(a) = exp(-a^2 - 0.5625 + R(1/a^2)/S(1/a^2)) / a. The ranges and
# coefficients (lowest degree first) are those of Sun's fdlibm s_erf.c (1993), each accurate to
# better than 2^-57 relative on its range; the error of the whole is about one ulp.
_ERF_SMALL = ((1.28379167095512558561e-01, -3.25042107247001499370e-01,  # |x| < 0.84375
               -2.84817495755985104766e-02, -5.77027029648944159157e-03,
               -2.37630166566501626084e-05),
              (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02,
               5.08130628187576562776e-03, 1.32494738004321644526e-04,
               -3.96022827877536812320e-06))
_ERF_NEAR_ONE = ((-2.36211856075265944077e-03, 4.14856118683748331666e-01,  # [0.84375, 1.25)
                  -3.72207876035701323847e-01, 3.18346619901161753674e-01,
                  -1.10894694282396677476e-01, 3.54783043256182359371e-02,
                  -2.16637559486879084300e-03),
                 (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01,
                  7.18286544141962662868e-02, 1.26171219808761642112e-01,
                  1.36370839120290507362e-02, 1.19844998467991074170e-02))
_ERFC_MID = ((-9.86494403484714822705e-03, -6.93858572707181764372e-01,  # [1.25, 1/0.35)
              -1.05586262253232909814e+01, -6.23753324503260060396e+01,
              -1.62396669462573470355e+02, -1.84605092906711035994e+02,
              -8.12874355063065934246e+01, -9.81432934416914548592e+00),
             (1.0, 1.96512716674392571292e+01, 1.37657754143519042600e+02,
              4.34565877475229228821e+02, 6.45387271733267880336e+02,
              4.29008140027567833386e+02, 1.08635005541779435134e+02,
              6.57024977031928170135e+00, -6.04244152148580987438e-02))
_ERFC_TAIL = ((-9.86494292470009928597e-03, -7.99283237680523006574e-01,  # [1/0.35, 6)
               -1.77579549177547519889e+01, -1.60636384855821916062e+02,
               -6.37566443368389627722e+02, -1.02509513161107724954e+03,
               -4.83519191608651397019e+02),
              (1.0, 3.03380607434824582924e+01, 3.25792512996573918826e+02,
               1.53672958608443695994e+03, 3.19985821950859553908e+03,
               2.55305040643316442583e+03, 4.74528541206955367215e+02,
               -2.24409524465858183362e+01))
_ERF_ONE = 8.45062911510467529297e-01  # erf(1) rounded to 24 bits: P/Q adds the rest
_ERF_TINY_SLOPE = 1.28379167095512586316e-01  # 2/sqrt(pi) - 1: erf(x) = x + x * this, tiny x


def _ratio(z: np.ndarray, coefs, num: np.ndarray | None = None) -> np.ndarray:
    """P(z) / Q(z) by Horner's rule, in place, into `num` if given (z's shape and dtype);
    coefs = (P's, Q's), lowest degree first."""
    if num is None:
        num = np.empty_like(z)
    num.fill(coefs[0][-1])
    den = np.full_like(z, coefs[1][-1])
    for acc, c in ((num, coefs[0]), (den, coefs[1])):
        for k in c[-2::-1]:
            acc *= z
            acc += k
    return np.divide(num, den, out=num)


# Floats as unsigned integers of their width, and the low mantissa bits that the split
# a = h + (a - h) clears so that h * h is exact (h keeps less than half of the mantissa).
_SPLIT = {np.dtype(np.float64): (np.uint64, np.uint64(0xFFFFFFFF00000000)),
          np.dtype(np.float32): (np.uint32, np.uint32(0xFFFFF000))}


def _erf_small(a, out: np.ndarray | None = None):  # erf(a) = a + a R(a^2)
    r = _ratio(a * a, _ERF_SMALL, out)
    r *= a
    r += a
    return r


def _erf_tail(coefs):
    """erf(a) = 1 - erfc(a), erfc(a) = exp(-a^2 - 0.5625 + R(1/a^2) / S(1/a^2)) / a."""
    def piece(a):
        # exp(-a^2) loses bits if a^2 is rounded: split a = h + (a - h) so h^2 is exact
        uint, high_bits = _SPLIT[a.dtype]
        h = (a.view(uint) & high_bits).view(a.dtype)
        r = np.exp(-h * h - 0.5625) * np.exp((h - a) * (h + a) + _ratio(1.0 / (a * a), coefs))
        return 1.0 - r / a
    return piece


# The ranges of |x| past the first, [2^-28, 0.84375), and the piece of erf on each.
_ERF_PIECES = (
    (0.0, 2.0**-28, lambda a: 0.125 * (8.0 * a + (8.0 * _ERF_TINY_SLOPE) * a)),  # no underflow
    (0.84375, 1.25, lambda a: _ERF_ONE + _ratio(a - 1.0, _ERF_NEAR_ONE)),
    (1.25, 1 / 0.35, _erf_tail(_ERFC_MID)),
    (1 / 0.35, 6.0, _erf_tail(_ERFC_TAIL)),
    (6.0, np.inf, np.ones_like),  # 1 - erf(6) < 2^-53: rounds to 1, and erf(inf) = 1
)


# --8<-- [start:erf]
def _erf(out: np.ndarray, x: np.ndarray) -> None:
    """out = erf(x) to about one ulp, in x's precision (numpy has none), piecewise on |x|.

    Most values of a network's activations lie in the first range, |x| < 0.84375: that piece
    runs on the whole array, clamped into its range (nan stays nan). The few others are
    gathered by index, computed by range, and put back; boolean masks (a[mask]) or np.where
    would be simpler, but their loops branch on every element and cost more than the math.
    Few fresh arrays, each reused in place: a fresh large array costs page faults.
    """
    a = np.abs(x).reshape(-1)
    rest = np.flatnonzero((a >= 0.84375) | (a < 2.0**-28))
    b = a.take(rest)
    np.minimum(a, 0.84375, out=a)
    # straight into out's memory when out is dense (a fresh output) and is not x (erf_)
    y = _erf_small(a, out=None if np.may_share_memory(out, x) else out.reshape(-1))
    if rest.size:
        res = b.copy()
        for lo, hi, piece in _ERF_PIECES:
            index = np.flatnonzero((b >= lo) & ((b < hi) if hi < np.inf else (b == b)))
            if index.size:
                res[index] = piece(b.take(index))
        y[rest] = res
    np.copysign(y.reshape(x.shape), x, out=out)
# --8<-- [end:erf]


def _quiet(kernel):
    """inf from x/0 and exp(1000), -inf from log 0, nan from sqrt(-1) are answers, not errors:
    torch returns them silently, so these kernels silence numpy's RuntimeWarnings."""
    def quiet_kernel(out, *srcs, **arg):
        with np.errstate(all="ignore"):
            kernel(out, *srcs, **arg)
    quiet_kernel.half_aware = getattr(kernel, "half_aware", False)
    return quiet_kernel


def _unary(fn, mixed: bool = False):
    """out = fn(x). Half-precision operands go through in_float32 (section 5); `mixed`: out's
    dtype may differ from x's (logical not), so x is checked too."""
    def raw(out, x):
        fn(x, out=out)

    def kernel(out, x):
        if out.itemsize == 2 or (mixed and x.itemsize == 2):
            return in_float32(raw, out, (x,), {})
        fn(x, out=out)
    kernel.half_aware = True
    return kernel


def _binary(fn, round_numbers: bool = False, mixed: bool = False):
    """out = fn(a, b), as _unary; `mixed`: a comparison, whose bool out says nothing of a, b."""
    def raw(out, a, b):
        fn(a, b, out=out)

    def kernel(out, a, b):
        if out.itemsize == 2 or (mixed and (a.itemsize == 2 or b.itemsize == 2)):
            return in_float32(raw, out, (a, b), {}, round_numbers)
        fn(a, b, out=out)
    kernel.half_aware = True
    return kernel


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


def _remainder(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """torch.remainder: the result has b's sign. For floats as torch computes it: fmod, then b
    added where a nonzero result's sign differs from b's, so a zero keeps a's sign (numpy's mod
    gives it b's: 0.0 % -2.0 is -0.0 there, 0.0 in torch)."""
    if a.dtype.kind != "f":
        np.mod(a, b, out=out)
        return
    np.fmod(a, b, out=out)
    np.add(out, b, out=out, where=(out != 0) & ((b < 0) != (out < 0)))


def _negative(x: np.ndarray, out: np.ndarray) -> None:
    """out = -x. Into a strided `out`, through a fresh array: numpy 2.4's negative loop, given
    an input stepped by 4 elements (4-byte types) or 8 (8-byte types) and an output that is
    not dense, reads the input as if it were dense, a silent wrong answer (numpy 2.4.6, found
    by tests/ch3_brrr/test_c_ops.py). Into a dense out, as every fresh buffer is, it is right."""
    if out.flags.c_contiguous:
        np.negative(x, out=out)
    else:
        out[...] = np.negative(x)


UNARY_KERNELS = {
    Ops.NEG: (_unary(_negative), NUMBERS), Ops.EXP: (_quiet(_unary(np.exp)), FLOATS),
    Ops.LOG: (_quiet(_unary(np.log)), FLOATS),
    Ops.SQRT: (_quiet(_unary(np.sqrt)), FLOATS),
    Ops.SIN: (_unary(np.sin), FLOATS), Ops.COS: (_unary(np.cos), FLOATS),
    Ops.TANH: (_unary(np.tanh), FLOATS), Ops.ABS: (_unary(np.abs), NUMBERS),
    Ops.ERF: (_erf, FLOATS),
    Ops.SIGN: (_unary(np.sign), NUMBERS), Ops.NOT: (_unary(np.logical_not, True), ALL),
    Ops.FLOOR: (_unary(np.floor), FLOATS), Ops.CEIL: (_unary(np.ceil), FLOATS),
    Ops.ROUND: (_unary(np.round), FLOATS),  # half to even, as torch.round
}
BINARY_KERNELS = {
    Ops.ADD: (_binary(np.add, True), ALL), Ops.SUB: (_binary(np.subtract, True), NUMBERS),
    Ops.MUL: (_binary(np.multiply), ALL), Ops.DIV: (_quiet(_binary(np.divide)), FLOATS),
    Ops.POW: (_quiet(_pow), NUMBERS), Ops.MOD: (_quiet(_intdiv_check(_remainder)), NUMBERS),
    Ops.FLOORDIV: (_quiet(_intdiv_check(np.floor_divide)), NUMBERS),
    Ops.MAX: (_binary(np.maximum), ALL), Ops.MIN: (_binary(np.minimum), ALL),
    Ops.CMPLT: (_binary(np.less, mixed=True), ALL),
    Ops.CMPLE: (_binary(np.less_equal, mixed=True), ALL),
    Ops.CMPEQ: (_binary(np.equal, mixed=True), ALL),
    Ops.CMPNE: (_binary(np.not_equal, mixed=True), ALL),
    Ops.AND: (_binary(np.logical_and, mixed=True), ALL),
    Ops.OR: (_binary(np.logical_or, mixed=True), ALL),
    Ops.XOR: (_binary(np.logical_xor, mixed=True), ALL),
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
    return bfloat16_to_float(a) if a.dtype == bfloat16.np else float16_to_float(a)


def in_float32(kernel, out, srcs, arg, round_numbers: bool = False) -> None:
    """Run `kernel` as torch's cpu runs float16 and bfloat16: operands widened to float32, the
    kernel computed in float32, the result rounded once (to nearest even) into `out`.
    `round_numbers`: a python number (a 0-dim float32 here) is first rounded to out's type, as
    torch's add and sub do (its mul and div keep the number in float32)."""
    if round_numbers and out.itemsize == 2:
        srcs = [to_storage(s, _HALF_NP[out.dtype]) if s.ndim == 0 and s.itemsize == 4 else s
                for s in srcs]
    srcs = [_widen(s) if s.itemsize == 2 else s for s in srcs]
    if out.itemsize != 2:
        return kernel(out, *srcs, **arg)
    wide = np.empty(out.shape, np.float32)
    kernel(wide, *srcs, **arg)
    out[...] = to_storage(wide, _HALF_NP[out.dtype])


def half_precision(kernel, mixed: bool):
    """`kernel`, taking float16 and bfloat16 operands through in_float32. Only these types
    have 2-byte elements, so the itemsize tells them apart at no cost. (The elementwise
    kernels, _unary and _binary, make the same check themselves: one call less per op.)"""
    def kernel_any_dtype(out, *srcs, **arg):
        if out.itemsize != 2 and not (mixed and any(s.itemsize == 2 for s in srcs)):
            return kernel(out, *srcs, **arg)  # the common case: no half operand
        in_float32(kernel, out, srcs, arg)
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
        if op is Ops.COPY:
            kernel = _copy
        elif not getattr(kernel, "half_aware", False):
            kernel = half_precision(kernel, op in MIXED)
        register("cpu", op, kernel, dtypes)

# the fused layers run as their decompositions, the compositions of these kernels
assert set(CPU.kernels) == set(Ops) - FUSED, "the cpu device implements every unfused primitive"
