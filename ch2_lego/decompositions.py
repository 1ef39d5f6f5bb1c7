"""Every primitive outside the core, written with core ops: what a device gets without a kernel.

`backend.run` calls `DECOMPOSITIONS[op](out, *srcs, **arg)` when the device holding `out` has no
kernel for `op`; each function here computes the result with Buffer ops (which end in core
kernels, or in other decompositions, never in a cycle) and copies it into `out`. The "cpu" device
has a kernel for every op but the FUSED layers (section 5: softmax, layer norm, cross-entropy), so
the others run only on devices that implement the core alone. They are exact wherever the
identity is (x - y = x + -y, ceil x = -floor -x); ERF is a polynomial (abs. error < 1.5e-7),
TANH and COS go through EXP and SIN, and CUMSUM adds in a different order.
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


# --8<-- [start:decompose_examples]
@decomposition(Ops.CMPLE)
def cmple(out, a, b):  # a <= b = (a < b) or (a == b): false for nan, as it must be
    write(out, alu(Ops.CMPLT, a, b).alu(Ops.OR, alu(Ops.CMPEQ, a, b)))


@decomposition(Ops.CMPNE)
def cmpne(out, a, b):
    write(out, alu(Ops.CMPEQ, a, b).alu(Ops.CMPEQ, False))
# --8<-- [end:decompose_examples]


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


# --8<-- [start:decompose_cumsum]
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
# --8<-- [end:decompose_cumsum]


# *** 5. the fused layers: the compositions ch2's Functions run where no device fuses them ***
# Each writes its outputs with `out=` (no COPY of a finished result); the arithmetic, op for op,
# is what the Functions did before these ops existed, so "cpu" gives the same bits.


def keep_reduce(op: Ops, x: Buffer, axes: tuple[int, ...]) -> Buffer:
    """Reduce over axes, kept as size-1 dims. Shapes: (2, 3, 4) over (1,) -> (2, 1, 4)."""
    kept = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
    return x.reduce(op, axes).reshape(kept)


def last_dims(x: Buffer, n_dims: int) -> tuple[int, ...]:
    return tuple(range(len(x.shape) - n_dims, len(x.shape)))


# --8<-- [start:decompose_softmax]
@decomposition(Ops.SOFTMAX)
def softmax(out, x, axis):  # exp(x - max) / sum exp(x - max): no exp overflows
    x.alu(Ops.SUB, keep_reduce(Ops.REDUCE_MAX, x, (axis,)), out=out)
    out.alu(Ops.EXP, out=out)
    out.alu(Ops.DIV, keep_reduce(Ops.SUM, out, (axis,)), out=out)
# --8<-- [end:decompose_softmax]


# --8<-- [start:decompose_log_softmax]
@decomposition(Ops.LOG_SOFTMAX)
def log_softmax(out, x, axis):  # (x - max) - log sum exp(x - max)
    # EXERCISE 2.8: subtract the max before exp so that no exp overflows
    shifted = x.alu(Ops.SUB, keep_reduce(Ops.REDUCE_MAX, x, (axis,)))
    total = keep_reduce(Ops.SUM, shifted.alu(Ops.EXP), (axis,))
    shifted.alu(Ops.SUB, total.alu(Ops.LOG), out=out)
    # END EXERCISE
# --8<-- [end:decompose_log_softmax]


@decomposition(Ops.SOFTMAX_BACKWARD)
def softmax_backward(dx, y, dy, axis):  # dx = dy y - y sum(dy y) = y (dy - sum(dy y))
    dy.alu(Ops.MUL, y, out=dx)
    dy.alu(Ops.SUB, keep_reduce(Ops.SUM, dx, (axis,)), out=dx)
    dx.alu(Ops.MUL, y, out=dx)


# --8<-- [start:decompose_layer_norm]
@decomposition(Ops.LAYER_NORM)
def layer_norm(out, mean, rstd, x, w, b, n_dims, eps):
    """out = (x - mean) rstd w + b, rstd = 1 / sqrt(var + eps), biased var, over the last n_dims
    dims. Shapes: x and out (*, *D); mean and rstd (*, 1, ..); w and b D, or python numbers (a
    layer without them passes 1 and 0, which are then skipped)."""
    axes, m = last_dims(x, n_dims), math.prod(x.shape[len(x.shape) - n_dims:])
    # EXERCISE 2.25: normalize with the mean and biased variance over dims
    keep_reduce(Ops.SUM, x, axes).alu(Ops.DIV, m, out=mean)
    xhat = x.alu(Ops.SUB, mean)
    xhat.alu(Ops.MUL, xhat, out=out)  # out holds the squares until the result overwrites it
    keep_reduce(Ops.SUM, out, axes).alu(Ops.DIV, m, out=rstd)  # the biased variance
    rstd.alu(Ops.ADD, eps, out=rstd)
    rstd.alu(Ops.SQRT, out=rstd)
    buffer.full((), 1.0, rstd.dtype, rstd.device).alu(Ops.DIV, rstd, out=rstd)
    xhat.alu(Ops.MUL, rstd, out=xhat)
    # END EXERCISE
    if type(w) not in NUMBERS or w != 1:
        xhat.alu(Ops.MUL, w, out=out)
    else:
        out.assign(xhat)
    if type(b) not in NUMBERS or b != 0:
        out.alu(Ops.ADD, b, out=out)
# --8<-- [end:decompose_layer_norm]


@decomposition(Ops.LAYER_NORM_BACKWARD)
def layer_norm_backward(dx, dw, db, g, x, mean, rstd, w):
    """With xhat = (x - mean) rstd, dxhat = g w and means over the normalized dims D:
    dx = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) rstd; dw, db = sums over * of g xhat, g.
    Shapes: dx, g, x (*, *D); mean, rstd (*, 1, ..); w D or a number; dw, db D."""
    n_dims = len(dw.shape)
    axes, m = last_dims(x, n_dims), math.prod(x.shape[len(x.shape) - n_dims:])
    lead = tuple(range(len(x.shape) - n_dims))
    xhat = x.alu(Ops.SUB, mean)
    xhat.alu(Ops.MUL, rstd, out=xhat)  # op for op the forward's xhat
    g_xhat = g.alu(Ops.MUL, xhat)
    g_xhat.reduce(Ops.SUM, lead, out=dw)
    g.reduce(Ops.SUM, lead, out=db)
    weighted = type(w) not in NUMBERS or w != 1
    dxhat = g.alu(Ops.MUL, w) if weighted else g
    if weighted:  # without a weight, dxhat xhat is g_xhat already
        dxhat.alu(Ops.MUL, xhat, out=g_xhat)
    mean_dxhat = keep_reduce(Ops.SUM, dxhat, axes)
    mean_dxhat.alu(Ops.DIV, m, out=mean_dxhat)
    mean_proj = keep_reduce(Ops.SUM, g_xhat, axes)
    mean_proj.alu(Ops.DIV, m, out=mean_proj)
    xhat.alu(Ops.MUL, mean_proj, out=dx)
    dxhat.alu(Ops.SUB, dx, out=dx)
    dx.alu(Ops.SUB, mean_dxhat, out=dx)
    dx.alu(Ops.MUL, rstd, out=dx)


def log_probs(logits: Buffer) -> Buffer:
    """log softmax over the class dim, as cross-entropy has always computed it. (N, C) -> (N, C)"""
    logp = logits.alu(Ops.SUB, keep_reduce(Ops.REDUCE_MAX, logits, (1,)))
    total = keep_reduce(Ops.SUM, logp.alu(Ops.EXP), (1,))
    return logp.alu(Ops.SUB, total.alu(Ops.LOG, out=total), out=logp)


@decomposition(Ops.CROSS_ENTROPY)
def cross_entropy(loss, logits, target):
    """loss[n] = -log softmax(logits[n])[target[n]]. Shapes: (N, C), (N,) int64 -> (N,)."""
    picked = log_probs(logits).gather(1, target.reshape((target.shape[0], 1)))
    picked.reshape(loss.shape).alu(Ops.NEG, out=loss)


@decomposition(Ops.CROSS_ENTROPY_BACKWARD)
def cross_entropy_backward(dlogits, logits, target, dloss):
    """dlogits[n] = (softmax(logits[n]) - onehot(target[n])) dloss[n]: p scaled, then -dloss[n]
    scattered into column target[n]. Shapes: (N, C), (N,) int64, (N,) -> (N, C)."""
    c = dloss.reshape((dloss.shape[0], 1))
    log_probs(logits).alu(Ops.EXP, out=dlogits)
    dlogits.alu(Ops.MUL, c, out=dlogits)
    dlogits.scatter_add(1, target.reshape(c.shape), c.alu(Ops.NEG), out=dlogits)
