"""One autograd Function per primitive: the forward runs Buffer ops, the backward is Tensor ops.

Shapes: x, a, b are inputs; g is the gradient of the output, shaped like it. A forward receives
each tensor argument as its Buffer (buffer.py) and python numbers as they are; a binary op
broadcasts its inputs by stride-0 views, so its backward sums g back down to each input's shape
(`unbroadcast`). Backward rules use only Tensor methods of the gradients and saved tensors they
receive, so a gradient has a graph of its own when create_graph is on, and can be
differentiated again; this module never imports tensor.py.
"""

from __future__ import annotations

import math

from ch2_lego import buffer
from ch2_lego.autograd import Function
from ch2_lego.backend import NUMBERS, Ops, run
from ch2_lego.buffer import Buffer
from ch2_lego.dtype import float64
from ch2_lego.grad_mode import is_grad_enabled
from ch2_lego.storage import broadcast_shape

# *** 1. helpers on buffers, and unbroadcast on gradients ***


def const(value, like: Buffer, shape=()) -> Buffer:
    """A python number as a buffer of like's dtype and device: a FILL kernel, no upload."""
    return buffer.full(shape, value, like.dtype, like.device)


COMMUTATIVE = {Ops.ADD, Ops.MUL, Ops.MAX, Ops.MIN, Ops.CMPEQ, Ops.CMPNE, Ops.AND, Ops.OR, Ops.XOR}


# --8<-- [start:elementwise]
def elementwise(op: Ops, a, *srcs) -> Buffer:
    """op(a, *srcs) elementwise over Buffers and python numbers; Buffer.alu broadcasts them.

    A number in first place goes second for a commutative op, else becomes a 0-dim buffer.
    """
    if type(a) in NUMBERS:
        if op in COMMUTATIVE and len(srcs) == 1:
            return srcs[0].alu(op, a)
        a = const(a, next(s for s in srcs if type(s) not in NUMBERS))
    return a.alu(op, *srcs)
# --8<-- [end:elementwise]


def shape_of(x) -> tuple[int, ...]:
    """A buffer's shape; a python number is 0-dim."""
    return () if type(x) in NUMBERS else x.shape


# --8<-- [start:unbroadcast]
def unbroadcast(g, shape: tuple[int, ...]):
    """Sum a gradient of a broadcast result back down to the shape of the input.

    Shapes: g (2, 3, 4), shape (3, 1) -> (3, 1). The input was read again for every new leading
    dim and along every size-1 dim, so its gradient is the sum over those dims.
    """
    if tuple(g.shape) == tuple(shape):
        return g
    # EXERCISE 2.6: sum over the leading dims broadcasting added and the size-1 dims it stretched
    extra = g.ndim - len(shape)
    dims = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape)
                                       if n == 1 and g.shape[extra + i] != 1)
    return g.sum(dims, keepdim=True).reshape(shape) if dims else g.reshape(shape)
    # END EXERCISE
# --8<-- [end:unbroadcast]


# *** 2. unary ops: one Function, and a table of derivatives (as PyTorch's derivatives.yaml) ***

# --8<-- [start:unary]
# op: (what backward needs, dx from g and it); "x" the input, "y" the output
DERIVATIVES = {
    Ops.NEG: ("x", lambda g, x: -g),
    Ops.EXP: ("y", lambda g, y: g * y),  # d exp(x)/dx = exp(x): keep the output, not the input
    Ops.LOG: ("x", lambda g, x: g / x),
    Ops.SQRT: ("y", lambda g, y: g / (2 * y)),
    Ops.SIN: ("x", lambda g, x: g * x.cos()),
    Ops.COS: ("x", lambda g, x: -g * x.sin()),
    Ops.TANH: ("y", lambda g, y: g * (1 - y * y)),
    Ops.ERF: ("x", lambda g, x: g * (2 / math.sqrt(math.pi)) * (-x * x).exp()),
    Ops.ABS: ("x", lambda g, x: g * x.sign()),
    # sign, floor, ceil, round: flat almost everywhere, so the gradient is zero
    Ops.SIGN: ("x", lambda g, x: g * 0),
    Ops.FLOOR: ("x", lambda g, x: g * 0),
    Ops.CEIL: ("x", lambda g, x: g * 0),
    Ops.ROUND: ("x", lambda g, x: g * 0),
}


class Unary(Function):
    """y = op(x) elementwise; DERIVATIVES[op] gives dx."""

    def forward(ctx, x, op):
        y = x.alu(op)
        ctx.op = op
        ctx.save_for_backward(y if DERIVATIVES[op][0] == "y" else x)
        return y

    def backward(ctx, g):
        (saved,) = ctx.saved_tensors
        return DERIVATIVES[ctx.op][1](g, saved), None

    def name(self) -> str:
        return f"{self.op.name.capitalize()}Backward0"
# --8<-- [end:unary]


class Relu(Function):
    def forward(ctx, x):
        y = x.alu(Ops.MAX, 0)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g.masked_fill(y <= 0, 0),)


class Sigmoid(Function):
    def forward(ctx, x):
        e = x.alu(Ops.NEG)
        e.alu(Ops.EXP, out=e)
        e.alu(Ops.ADD, 1, out=e)
        y = const(1, x).alu(Ops.DIV, e)  # 1 / (1 + exp(-x))
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * y * (1 - y),)


# *** 3. binary ops: an operand may be a python number, which gets no gradient ***


class Add(Function):
    def forward(ctx, a, b):
        ctx.shapes = shape_of(a), shape_of(b)
        return elementwise(Ops.ADD, a, b)

    def backward(ctx, g):
        return unbroadcast(g, ctx.shapes[0]), unbroadcast(g, ctx.shapes[1])


class Sub(Function):
    def forward(ctx, a, b):
        ctx.shapes = shape_of(a), shape_of(b)
        return elementwise(Ops.SUB, a, b)

    def backward(ctx, g):
        db = unbroadcast(-g, ctx.shapes[1]) if ctx.needs_input_grad[1] else None
        return unbroadcast(g, ctx.shapes[0]), db


# --8<-- [start:mul]
class Mul(Function):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return elementwise(Ops.MUL, a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da = unbroadcast(g * b, a.shape) if ctx.needs_input_grad[0] else None
        db = unbroadcast(g * a, b.shape) if ctx.needs_input_grad[1] else None
        return da, db
# --8<-- [end:mul]


class Div(Function):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return elementwise(Ops.DIV, a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da = unbroadcast(g / b, a.shape) if ctx.needs_input_grad[0] else None
        db = unbroadcast(-g * a / (b * b), b.shape) if ctx.needs_input_grad[1] else None
        return da, db


class Pow(Function):
    def forward(ctx, a, b):
        y = elementwise(Ops.POW, a, b)
        ctx.save_for_backward(a, b, y)
        return y

    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        da = db = None
        if ctx.needs_input_grad[0]:  # b * a^(b-1); torch gives 0 where b == 0, even at a == 0
            if type(b) in NUMBERS:
                da = g * b * a.pow(b - 1) if b != 0 else g * 0
            else:
                da = unbroadcast((g * b * a.pow(b - 1)).masked_fill(b == 0, 0), a.shape)
        if ctx.needs_input_grad[1]:  # a^b * log(a); torch gives 0 where a == 0 and b >= 0
            if type(a) in NUMBERS:
                db = g * y * math.log(a) if a != 0 else g * 0 * (b < 0)
            else:
                db = unbroadcast((g * y * a.log()).masked_fill((a == 0) & (b >= 0), 0), b.shape)
        return da, db


class Maximum(Function):
    """maximum/minimum: the larger (smaller) input gets the gradient; ties split it in half."""

    op = Ops.MAX

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return elementwise(ctx.op, a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        if type(a) in NUMBERS:  # keep the tensor first: a number has no gradient anyway
            (db, _) = _minmax_grads(g, b, a, ctx.op)
            return None, db
        da, db = _minmax_grads(g, a, b, ctx.op)
        return da, db if ctx.needs_input_grad[1] else None


def _minmax_grads(g, a, b, op):
    wins = (a > b) if op is Ops.MAX else (a < b)
    share = (a == b).to(g.dtype) * 0.5 + wins.to(g.dtype)
    db = unbroadcast(g * (1 - share), b.shape) if type(b) not in NUMBERS else None
    return unbroadcast(g * share, a.shape), db


class Minimum(Maximum):
    op = Ops.MIN


class Where(Function):
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        ctx.shapes = shape_of(a), shape_of(b)
        if type(cond) in NUMBERS:
            cond = const(cond, a if type(b) in NUMBERS else b)
        return cond.alu(Ops.WHERE, a, b)

    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        da = unbroadcast(g.where(cond, 0.0), ctx.shapes[0]) if ctx.needs_input_grad[1] else None
        db = unbroadcast(g.masked_fill(cond, 0.0), ctx.shapes[1]) \
            if ctx.needs_input_grad[2] else None
        return None, da, db


# *** 4. reduce ops ***


def reduced_shape(shape, axes, keepdim):
    if keepdim:
        return tuple(1 if d in axes else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in axes)


def reduce(op: Ops, x: Buffer, axes: tuple[int, ...], keepdim: bool, dtype=None) -> Buffer:
    """Run reduce `op` over `axes`; keepdim is a free reshape of the result."""
    out = x.reduce(op, axes, dtype)
    return out.reshape(reduced_shape(x.shape, axes, True)) if keepdim else out


# --8<-- [start:sum]
class Sum(Function):
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.in_shape, ctx.kept = x.shape, reduced_shape(x.shape, axes, True)
        return reduce(Ops.SUM, x, axes, keepdim, dtype)

    def backward(ctx, g):
        # every input element fed the sum once: broadcast g back (the reverse of expand)
        return (g.reshape(ctx.kept).expand(ctx.in_shape),)
# --8<-- [end:sum]


class Amax(Function):
    """amax/amin over axes; the gradient is shared evenly among tied extremes, as torch's."""

    op = Ops.REDUCE_MAX

    def forward(ctx, x, axes, keepdim):
        y = reduce(ctx.op, x, axes, True)
        ctx.save_for_backward(x, y)
        return y if keepdim else y.reshape(reduced_shape(x.shape, axes, False))

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        hit = (x == y).to(g.dtype)
        axes = tuple(d for d in range(x.ndim) if y.shape[d] == 1 and x.shape[d] != 1)
        share = hit / hit.sum(axes, keepdim=True) if axes else hit
        return (g.reshape(y.shape) * share,)


class Amin(Amax):
    op = Ops.REDUCE_MIN


class Prod(Function):
    def forward(ctx, x, axes, keepdim, dtype):
        y = reduce(Ops.PROD, x, axes, True, dtype)
        ctx.save_for_backward(x, y)
        ctx.axes = axes
        return y if keepdim else y.reshape(reduced_shape(x.shape, axes, False))

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        g = g.reshape(y.shape)
        # d prod / d x_i = product of the others; with a zero among them, divide-free forms
        zero = x == 0
        zeros = zero.sum(ctx.axes, keepdim=True)
        others = x.masked_fill(zero, 1).prod(ctx.axes, keepdim=True)
        safe = x.masked_fill(zero, 1)
        dx = (y / safe).where(zeros == 0, others.where(zero & (zeros == 1), 0.0))
        return (g * dx,)


class Cumsum(Function):
    def forward(ctx, x, dim, dtype):
        ctx.dim = dim
        if dtype.name == "float32" and x.device == "cpu":
            # a running float32 sum loses digits as it grows (1e5 times 0.1 gives 9998.6);
            # torch's CPU scan accumulates in double, and so do we
            return x.cumsum(dim, float64).cast(dtype)
        return x.cumsum(dim, dtype)

    def backward(ctx, g):
        # out[j] = sum_{i<=j} x[i], so dx[i] = sum_{j>=i} g[j]: a cumsum from the other end
        return (g.flip(ctx.dim).cumsum(ctx.dim).flip(ctx.dim),)


CHUNK = 1 << 16  # elements per piece of a chunked full reduction


def sum_of_squares(x: Buffer, center: Buffer | None = None) -> Buffer:
    """sum((x - center)^2) over all of x, as a 0-dim buffer. Shapes: x any, center 0-dim.

    Done in pieces of CHUNK elements through one reused scratch buffer, so that a norm or a
    variance of a huge tensor takes CHUNK elements of temporaries, not a copy of x.
    """
    n = math.prod(x.shape)
    flat = x.contiguous().reshape((n,))
    scratch = buffer.empty((min(n, CHUNK),), x.dtype, x.device)
    starts = range(0, n, CHUNK)
    partials = buffer.full((max(len(starts), 1),), 0, x.dtype, x.device)
    for i, start in enumerate(starts):
        stop = min(start + CHUNK, n)
        piece, tmp = flat.shrink(((start, stop),)), scratch.shrink(((0, stop - start),))
        if center is not None:
            piece = piece.alu(Ops.SUB, center, out=tmp)
        piece.alu(Ops.MUL, piece, out=tmp)
        tmp.reduce(Ops.SUM, (0,), out=partials.shrink(((i, i + 1),)).reshape(()))
    return partials.reduce(Ops.SUM, (0,))


def sum_of_squares_over(x: Buffer, axes: tuple[int, ...], center: Buffer | None = None) -> Buffer:
    """sum((x - center)^2) over `axes`, kept as size-1 dims. Shapes: x any, center the result's.

    Done in slabs along the first kept dim, about CHUNK elements each (at least one slice),
    through one reused scratch buffer: temporaries of a slab, not two copies of x.
    """
    kept = reduced_shape(x.shape, axes, True)
    d0 = next(d for d in range(len(x.shape)) if d not in axes)
    rows = x.shape[d0]
    step = max(1, CHUNK // max(math.prod(x.shape) // rows, 1))
    scratch = buffer.empty(tuple(min(step, n) if d == d0 else n for d, n in enumerate(x.shape)),
                           x.dtype, x.device)
    out = buffer.empty(kept, x.dtype, x.device)
    for start in range(0, rows, step):
        size = min(step, rows - start)
        piece, tmp = _slab(x, d0, start, size), _slab(scratch, d0, 0, size)
        if center is not None:
            piece = piece.alu(Ops.SUB, _slab(center, d0, start, size), out=tmp)
        piece.alu(Ops.MUL, piece, out=tmp)
        sums = _slab(out, d0, start, size).reshape(reduced_shape(tmp.shape, axes, False))
        tmp.reduce(Ops.SUM, axes, out=sums)
    return out


def _slab(b: Buffer, dim: int, start: int, size: int) -> Buffer:
    """The view b[..., start:start + size, ...] along dim."""
    return b.shrink(tuple((start, start + size) if d == dim else (0, n)
                          for d, n in enumerate(b.shape)))


class Norm2(Function):
    """The 2-norm over axes, sqrt(sum x^2). Its gradient x / norm is 0 where the norm is 0 (as
    torch's), not 0/0; a full reduction runs in pieces (sum_of_squares)."""

    def forward(ctx, x, axes, keepdim):
        kept = reduced_shape(x.shape, axes, True)
        if len(axes) == len(x.shape):
            squares = sum_of_squares(x).reshape(kept)
        elif math.prod(x.shape):
            squares = sum_of_squares_over(x, axes)
        else:
            squares = reduce(Ops.SUM, x.alu(Ops.MUL, x), axes, True)
        ctx.save_for_backward(x)
        ctx.axes = axes
        y = squares.alu(Ops.SQRT)
        return y if keepdim else y.reshape(reduced_shape(x.shape, axes, False))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        y = Norm2.apply(x, ctx.axes, True)  # recomputed with Tensor ops: double backward works
        return g.reshape(y.shape) * x / y.masked_fill(y == 0, 1), None, None


class Var(Function):
    """sum((x - mean)^2) / (n - correction) over axes; a full reduction runs in pieces."""

    def forward(ctx, x, axes, correction, keepdim):
        n = math.prod(x.shape[d] for d in axes)
        ctx.axes, ctx.denominator = axes, max(n - correction, 0)
        total = reduce(Ops.SUM, x, axes, True)
        mean = total.alu(Ops.DIV, n) if n else total.alu(Ops.MUL, math.nan)
        if len(axes) == len(x.shape):
            squares = sum_of_squares(x, mean.reshape(())).reshape(mean.shape)
        elif math.prod(x.shape):
            squares = sum_of_squares_over(x, axes, mean)
        else:
            centered = x.alu(Ops.SUB, mean)
            squares = reduce(Ops.SUM, centered.alu(Ops.MUL, centered), axes, True)
        ctx.save_for_backward(x)
        # n <= correction: 0/0 is nan and x/0 is inf, as torch gives (without numpy's warning)
        y = squares.alu(Ops.DIV, ctx.denominator) if ctx.denominator else \
            squares.alu(Ops.MUL, math.inf)
        return y if keepdim else y.reshape(reduced_shape(x.shape, axes, False))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        centered = x - x.mean(ctx.axes, keepdim=True)
        kept = reduced_shape(x.shape, ctx.axes, True)
        return g.reshape(kept) * 2 * centered / ctx.denominator, None, None, None


# *** 5. copies, casts and contraction ***


class Copy(Function):
    """clone()/contiguous()/to(dtype): a fresh contiguous copy, optionally into another dtype."""

    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.cast(dtype)

    def backward(ctx, g):
        return (g if g.dtype is ctx.in_dtype else g.to(ctx.in_dtype)), None


# --8<-- [start:matmul]
class Matmul(Function):
    """Batched matrix product, out[..., m, n] = sum_k a[..., m, k] * b[..., k, n].

    Shapes: a (..., M, K), b (..., K, N) -> (..., M, N); the batch dims broadcast.
    """

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        batch = broadcast_shape(a.shape[:-2], b.shape[:-2])
        return a.expand(batch + a.shape[-2:]).matmul(b.expand(batch + b.shape[-2:]))

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # EXERCISE 2.7: da = g b^T and db = a^T g, each summed over broadcast batch dims
        da = unbroadcast(_matmul_like(g, b.mT, a), a.shape) if ctx.needs_input_grad[0] else None
        db = unbroadcast(_matmul_like(a.mT, g, b), b.shape) if ctx.needs_input_grad[1] else None
        return da, db
        # END EXERCISE
# --8<-- [end:matmul]


class ToDevice(Function):
    """Copy to another device; the gradient goes back the same way."""

    def forward(ctx, x, device):
        ctx.src = x.device
        return x.to(device)

    def backward(ctx, g):
        return g.to(ctx.src), None


def _matmul_like(x, y, like):
    """x @ y, laid out like `like`: for a transposed operand (w.T in a linear layer) compute
    (y^T x^T)^T, so that its gradient comes out with w's own contiguous layout, as PyTorch's
    mm_mat2_backward does; otherwise a transposing copy would follow in AccumulateGrad."""
    if like.ndim >= 2 and not like.is_contiguous() and like.mT.is_contiguous():
        return (y.mT @ x.mT).mT
    return x @ y


# *** 6. softmax and log-softmax: their own backward, for stability ***


# --8<-- [start:log_softmax]
class LogSoftmax(Function):
    """log_softmax(x)_i = x_i - log sum_j exp(x_j) along `dim`, without overflow."""

    def forward(ctx, x, dim):
        # one fused op: a device's kernel, or the composition in decompositions.py (E2.8)
        y = buffer.empty(x.shape, x.dtype, x.device)
        run(Ops.LOG_SOFTMAX, y, x, axis=dim)
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        # dx = g - softmax(x) * sum(g): each output depends on every input through the log-sum
        return (g - y.exp() * g.sum(ctx.dim, keepdim=True), None)
# --8<-- [end:log_softmax]


class Softmax(Function):
    def forward(ctx, x, dim):
        y = buffer.empty(x.shape, x.dtype, x.device)
        run(Ops.SOFTMAX, y, x, axis=dim)  # a device's kernel, or decompositions.softmax
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if is_grad_enabled():  # create_graph: Tensor ops, so that the gradient has a graph too
            return (y * (g - (g * y).sum(ctx.dim, keepdim=True)), None)
        # a plain backward: one fused op (decompositions.softmax_backward: four kernels)
        yb = y._buf
        dx = buffer.empty(yb.shape, yb.dtype, yb.device)
        run(Ops.SOFTMAX_BACKWARD, dx, yb, g._buf, axis=ctx.dim)
        return g._wrap(dx), None
