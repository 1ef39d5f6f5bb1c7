"""Every primitive outside the core, written with core ops: what a device gets without a kernel.

`backend.run` calls `DECOMPOSITIONS[op](out, *srcs, **arg)` when the device holding `out` has no
kernel for `op`; each function here computes the result with Buffer ops (which end in core
kernels, or in other decompositions, never in a cycle) and copies it into `out`. The "cpu" device
has a kernel for every op, so these run only on devices that implement the core alone. They are
exact wherever the identity is (x - y = x + -y, ceil x = -floor -x); ERF is a polynomial (abs.
error < 1.5e-7), TANH and COS go through EXP and SIN, and CUMSUM adds in a different order.
"""

from __future__ import annotations

import math

from ch2_lego import buffer
from ch2_lego.backend import NUMBERS, Ops, decomposition, run
from ch2_lego.buffer import Buffer
from ch2_lego.dtype import bool_, int32

# *** 1. helpers: python numbers beside buffers, and writing the result into `out` ***


def alu(op: Ops, a, *srcs) -> Buffer:
    """op(a, *srcs) where `a` may be a python number too (it becomes a 0-dim buffer)."""
    if type(a) in NUMBERS:
        like = next(s for s in srcs if type(s) not in NUMBERS)
        a = buffer.full((), a, like.dtype, like.device)
    return a.alu(op, *srcs)


def neg(x):
    return -x if type(x) in NUMBERS else x.alu(Ops.NEG)


def truthy(x):
    """x != 0 as bool (a bool buffer is itself), with CMPEQ only."""
    if type(x) in NUMBERS:
        return bool(x)
    return x if x.dtype is bool_ else x.alu(Ops.CMPEQ, 0).alu(Ops.CMPEQ, False)


def write(out: Buffer, result) -> None:
    run(Ops.COPY, out, result if type(result) in NUMBERS else result.expand(out.shape))


# *** 2. unary ops ***


@decomposition(Ops.COS)
def cos(out, x):  # cos x = sin(x + pi/2)
    write(out, x.alu(Ops.ADD, math.pi / 2).alu(Ops.SIN))


@decomposition(Ops.TANH)
def tanh(out, x):  # tanh x = 1 - 2 / (exp(2x) + 1): no overflow, exp(inf) gives 1
    e = x.alu(Ops.MUL, 2).alu(Ops.EXP)
    e.alu(Ops.ADD, 1, out=e)
    write(out, alu(Ops.DIV, 2, e).alu(Ops.NEG).alu(Ops.ADD, 1))


# Abramowitz and Stegun 7.1.26: erf x = 1 - t (a1 + t (a2 + ...)) exp(-x^2), t = 1 / (1 + p x)
ERF_P, ERF_A = 0.3275911, (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


@decomposition(Ops.ERF)
def erf(out, x):
    a = x.alu(Ops.MAX, x.alu(Ops.NEG))
    t = alu(Ops.DIV, 1, a.alu(Ops.MUL, ERF_P).alu(Ops.ADD, 1))
    poly = t.alu(Ops.MUL, ERF_A[4])
    for coef in reversed(ERF_A[:4]):
        poly.alu(Ops.ADD, coef, out=poly)
        poly.alu(Ops.MUL, t, out=poly)
    y = a.alu(Ops.MUL, a).alu(Ops.NEG).alu(Ops.EXP).alu(Ops.MUL, poly)
    y = y.alu(Ops.NEG).alu(Ops.ADD, 1)  # erf |x|
    write(out, x.alu(Ops.CMPLT, 0).alu(Ops.WHERE, y.alu(Ops.NEG), y))


@decomposition(Ops.ABS)
def abs_(out, x):  # |x| = max(x, -x)
    write(out, x.alu(Ops.MAX, x.alu(Ops.NEG)))


@decomposition(Ops.SIGN)
def sign(out, x):  # -1 below 0, 1 above, x itself at 0 and nan
    above = alu(Ops.CMPLT, 0, x).alu(Ops.WHERE, 1, x)
    write(out, x.alu(Ops.CMPLT, 0).alu(Ops.WHERE, -1, above))


@decomposition(Ops.NOT)
def not_(out, x):  # not x = (x == 0)
    write(out, x.alu(Ops.CMPEQ, 0))


@decomposition(Ops.CEIL)
def ceil(out, x):  # ceil x = -floor(-x)
    write(out, x.alu(Ops.NEG).alu(Ops.FLOOR).alu(Ops.NEG))


@decomposition(Ops.ROUND)
def round_(out, x):
    """Half to even: floor(x + 1/2), minus 1 where x was a tie and that landed on an odd number.
    Past 2^(mantissa bits) every float is an integer, and x + 1/2 would round: keep x there."""
    r = x.alu(Ops.ADD, 0.5).alu(Ops.FLOOR)
    tie = r.alu(Ops.SUB, x).alu(Ops.CMPEQ, 0.5)
    odd = r.alu(Ops.MOD, 2).alu(Ops.CMPEQ, 1)
    r = tie.alu(Ops.AND, odd).alu(Ops.WHERE, r.alu(Ops.SUB, 1), r)
    big = 2.0 ** (23 if x.dtype.itemsize == 4 else 52)
    write(out, x.alu(Ops.ABS).alu(Ops.CMPLT, big).alu(Ops.WHERE, r, x))


# *** 3. binary ops ***


@decomposition(Ops.SUB)
def sub(out, a, b):  # a - b = a + (-b)
    write(out, alu(Ops.ADD, a, neg(b)))


@decomposition(Ops.MOD)
def mod(out, a, b):  # a - floor(a / b) * b: the sign follows the divisor, as python's %
    write(out, alu(Ops.SUB, a, alu(Ops.FLOORDIV, a, b).alu(Ops.MUL, b)))


@decomposition(Ops.MIN)
def minimum(out, a, b):  # min(a, b) = -max(-a, -b); for bools, a and b
    if out.dtype is bool_:
        write(out, alu(Ops.AND, a, b))
    else:
        write(out, alu(Ops.MAX, neg(a), neg(b)).alu(Ops.NEG))


@decomposition(Ops.CMPLE)
def cmple(out, a, b):  # a <= b = (a < b) or (a == b): false for nan, as it must be
    write(out, alu(Ops.CMPLT, a, b).alu(Ops.OR, alu(Ops.CMPEQ, a, b)))


@decomposition(Ops.CMPNE)
def cmpne(out, a, b):
    write(out, alu(Ops.CMPEQ, a, b).alu(Ops.CMPEQ, False))


@decomposition(Ops.AND)
def and_(out, a, b):  # b where a, else false
    write(out, alu(Ops.WHERE, truthy(a), truthy(b), False))


@decomposition(Ops.OR)
def or_(out, a, b):  # true where a, else b
    write(out, alu(Ops.WHERE, truthy(a), True, truthy(b)))


@decomposition(Ops.XOR)
def xor(out, a, b):
    write(out, alu(Ops.CMPNE, truthy(a), truthy(b)))


# *** 4. reductions and the scan ***


def rows(x: Buffer, axes: tuple[int, ...]) -> Buffer:
    """x with `axes` moved last and merged into one. Shapes: (A, B, C) axes (0, 2) -> (B, A*C)."""
    keep = [d for d in range(len(x.shape)) if d not in axes]
    n = math.prod(x.shape[d] for d in axes)
    return x.permute(tuple(keep) + tuple(axes)).reshape(tuple(x.shape[d] for d in keep) + (n,))


@decomposition(Ops.PROD)
def prod(out, x, axes):
    """Multiply halves together until one column is left: log2(n) MULs."""
    y = rows(x.cast(out.dtype), axes)
    n = y.shape[-1]
    if n == 0:
        return write(out, 1)
    while n > 1:
        half = n // 2
        lead = tuple((0, k) for k in y.shape[:-1])
        folded = y.shrink(lead + ((0, half),)).alu(Ops.MUL, y.shrink(lead + ((half, 2 * half),)))
        if n % 2:  # the odd one out joins the first column
            first = folded.shrink(lead + ((0, 1),))
            first.alu(Ops.MUL, y.shrink(lead + ((n - 1, n),)), out=first)
        y, n = folded, half
    write(out, y.reshape(out.shape))


@decomposition(Ops.REDUCE_MIN)
def rmin(out, x, axes):  # min = -max(-x); for bools, all
    if x.dtype is bool_:
        return run(Ops.ALL, out, x, axes=axes)
    write(out, x.alu(Ops.NEG).reduce(Ops.REDUCE_MAX, axes).alu(Ops.NEG))


@decomposition(Ops.ARGMIN)
def argmin(out, x, axes):  # the first index of the max of -x
    run(Ops.ARGMAX, out, x.alu(Ops.NEG), axes=axes)


@decomposition(Ops.ANY)
def any_(out, x, axes):  # at least one true: 0 < the count of trues (0 for an empty axis)
    count = truthy(x).cast(int32).reduce(Ops.SUM, axes)
    write(out, alu(Ops.CMPLT, 0, count))


@decomposition(Ops.ALL)
def all_(out, x, axes):  # all = not any(not x)
    run(Ops.ANY, out, x.alu(Ops.NOT), axes=axes)
    out.alu(Ops.NOT, out=out)


@decomposition(Ops.CUMSUM)
def cumsum(out, x, axis):
    """A log-step scan (Hillis and Steele): after the step of shift s, y[i] holds the sum of the
    2s elements ending at i."""
    y = x.cast(out.dtype)
    n, shift = y.shape[axis], 1
    while shift < n:
        hi = tuple((shift, n) if d == axis else (0, k) for d, k in enumerate(y.shape))
        lo = tuple((0, n - shift) if d == axis else (0, k) for d, k in enumerate(y.shape))
        total = y.shrink(hi).alu(Ops.ADD, y.shrink(lo))  # read all before writing any
        run(Ops.COPY, y.shrink(hi), total)
        shift *= 2
    write(out, y)
