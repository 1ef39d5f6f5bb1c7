"""One autograd Function per primitive: the forward runs kernels, the backward is Tensor ops.

Shapes: x, a, b are inputs; g is the gradient of the output, shaped like it. A binary op
broadcasts its inputs by stride-0 views, so its backward sums g back down to each input's shape
(`unbroadcast`). Backward rules use only Tensor ops, so a gradient has a graph of its own when
create_graph is on, and can be differentiated again.
"""

from __future__ import annotations

import math

import numpy as np

from ch2_lego.autograd import Function
from ch2_lego.backend import Ops, run
from ch2_lego.dtype import DType
from ch2_lego.grad_mode import is_grad_enabled
from ch2_lego.storage import broadcast_shape
from ch2_lego.tensor import Tensor

# *** 1. running a kernel ***


def empty(shape, dtype: DType, device: str) -> Tensor:
    """A fresh contiguous tensor; its contents are whatever the allocator returns."""
    return Tensor._alloc(tuple(shape), dtype, device)


def expand_raw(x: Tensor, shape) -> Tensor:
    """x broadcast to `shape` as a stride-0 view, outside autograd (for kernels' operands)."""
    if x.shape == shape:
        return x
    return Tensor._wrap(x._storage, x._view.expand(tuple(shape)), x.dtype)


def run_op(op: Ops, shape, out_dtype: DType, *srcs: Tensor, **arg) -> Tensor:
    """Run primitive `op` on `srcs` (already broadcast to their kernel shapes) into a new tensor."""
    out = empty(shape, out_dtype, srcs[0]._storage.device)
    run(op, (out._storage, out._view), *((s._storage, s._view) for s in srcs),
        dtype=srcs[0].dtype, **arg)
    return out


# --8<-- [start:elementwise]
def elementwise(op: Ops, *srcs: Tensor, out_dtype: DType | None = None) -> Tensor:
    """Broadcast `srcs` to one shape (our broadcast_shape), then run the elementwise `op`."""
    shape = srcs[0].shape
    if any(s.shape != shape for s in srcs):
        shape = broadcast_shape(*(s.shape for s in srcs))
        srcs = tuple(expand_raw(s, shape) for s in srcs)
    return run_op(op, shape, out_dtype or srcs[-1].dtype, *srcs)
# --8<-- [end:elementwise]


# --8<-- [start:unbroadcast]
def unbroadcast(g: Tensor, shape: tuple[int, ...]) -> Tensor:
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


# *** 2. unary ops ***


class Neg(Function):
    def forward(ctx, x):
        return run_op(Ops.NEG, x.shape, x.dtype, x)

    def backward(ctx, g):
        return (-g,)


# --8<-- [start:exp]
class Exp(Function):
    def forward(ctx, x):
        y = run_op(Ops.EXP, x.shape, x.dtype, x)
        ctx.save_for_backward(y)  # d exp(x)/dx = exp(x): keep the output, not the input
        return y

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * y,)
# --8<-- [end:exp]


class Log(Function):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return run_op(Ops.LOG, x.shape, x.dtype, x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / x,)


class Sqrt(Function):
    def forward(ctx, x):
        y = run_op(Ops.SQRT, x.shape, x.dtype, x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g / (2 * y),)


class Sin(Function):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return run_op(Ops.SIN, x.shape, x.dtype, x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * x.cos(),)


class Cos(Function):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return run_op(Ops.COS, x.shape, x.dtype, x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (-g * x.sin(),)


class Tanh(Function):
    def forward(ctx, x):
        y = run_op(Ops.TANH, x.shape, x.dtype, x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * (1 - y * y),)


class Erf(Function):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return run_op(Ops.ERF, x.shape, x.dtype, x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * (2 / math.sqrt(math.pi)) * (-x * x).exp(),)


class Abs(Function):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return run_op(Ops.ABS, x.shape, x.dtype, x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * x.sign(),)


class PiecewiseConstant(Function):
    """sign, floor, ceil, round: flat almost everywhere, so the gradient is zero."""

    def forward(ctx, x, op):
        return run_op(op, x.shape, x.dtype, x)

    def backward(ctx, g):
        return g * 0, None


class Relu(Function):
    def forward(ctx, x):
        y = elementwise(Ops.MAX, x, Tensor._scalar(0, x))
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g.masked_fill(y <= 0, 0),)


class Sigmoid(Function):
    def forward(ctx, x):
        y = 1 / (1 + (-x).exp())  # hlops run unrecorded inside forward
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * y * (1 - y),)


# *** 3. binary ops ***


class Add(Function):
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        return elementwise(Ops.ADD, a, b)

    def backward(ctx, g):
        return unbroadcast(g, ctx.shapes[0]), unbroadcast(g, ctx.shapes[1])


class Sub(Function):
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        return elementwise(Ops.SUB, a, b)

    def backward(ctx, g):
        return unbroadcast(g, ctx.shapes[0]), unbroadcast(-g, ctx.shapes[1])


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
            da = unbroadcast((g * b * a.pow(b - 1)).masked_fill(b == 0, 0), a.shape)
        if ctx.needs_input_grad[1]:  # a^b * log(a); torch gives 0 where a == 0 and b >= 0
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
        wins = (a > b) if ctx.op is Ops.MAX else (a < b)
        share = (a == b).to(g.dtype) * 0.5 + wins.to(g.dtype)
        return unbroadcast(g * share, a.shape), unbroadcast(g * (1 - share), b.shape)


class Minimum(Maximum):
    op = Ops.MIN


class Where(Function):
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        ctx.shapes = a.shape, b.shape
        return elementwise(Ops.WHERE, cond, a, b)

    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        zero = Tensor._scalar(0, g)
        return (None, unbroadcast(g.where(cond, zero), ctx.shapes[0]),
                unbroadcast(zero.where(cond, g), ctx.shapes[1]))


# *** 4. reduce ops ***


def reduced_shape(shape, axes, keepdim):
    if keepdim:
        return tuple(1 if d in axes else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in axes)


def reduce(op: Ops, x: Tensor, axes: tuple[int, ...], keepdim: bool, out_dtype: DType) -> Tensor:
    """Run reduce `op` over `axes`; keepdim is a free reshape of the result."""
    out = run_op(op, reduced_shape(x.shape, axes, False), out_dtype, x, axes=axes)
    return out._reshape_raw(reduced_shape(x.shape, axes, True)) if keepdim else out


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

    op = Ops.RMAX

    def forward(ctx, x, axes, keepdim):
        y = reduce(ctx.op, x, axes, True, x.dtype)
        ctx.save_for_backward(x, y)
        return y if keepdim else y._reshape_raw(reduced_shape(x.shape, axes, False))

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        hit = (x == y).to(g.dtype)
        axes = tuple(d for d in range(x.ndim) if y.shape[d] == 1 and x.shape[d] != 1)
        share = hit / hit.sum(axes, keepdim=True) if axes else hit
        return (g.reshape(y.shape) * share,)


class Amin(Amax):
    op = Ops.RMIN


class Prod(Function):
    def forward(ctx, x, axes, keepdim, dtype):
        y = reduce(Ops.PROD, x, axes, True, dtype)
        ctx.save_for_backward(x, y)
        ctx.axes = axes
        return y if keepdim else y._reshape_raw(reduced_shape(x.shape, axes, False))

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
        return run_op(Ops.CUMSUM, x.shape, dtype, x, axis=dim)

    def backward(ctx, g):
        # out[j] = sum_{i<=j} x[i], so dx[i] = sum_{j>=i} g[j]: a cumsum from the other end
        return (g.flip(ctx.dim).cumsum(ctx.dim).flip(ctx.dim),)


# *** 5. copies, casts and contraction ***


class Copy(Function):
    """clone()/contiguous(): a fresh contiguous copy, optionally into another dtype."""

    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        out = empty(x.shape, dtype, x._storage.device)
        run(Ops.COPY, (out._storage, out._view), (x._storage, x._view), dtype=x.dtype)
        return out

    def backward(ctx, g):
        return (g if g.dtype is ctx.in_dtype else g.to(ctx.in_dtype),)


# --8<-- [start:matmul]
class Matmul(Function):
    """Batched matrix product, out[..., m, n] = sum_k a[..., m, k] * b[..., k, n].

    Shapes: a (..., M, K), b (..., K, N) -> (..., M, N); the batch dims broadcast.
    """

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        batch = broadcast_shape(a.shape[:-2], b.shape[:-2])
        a = expand_raw(a, batch + a.shape[-2:])
        b = expand_raw(b, batch + b.shape[-2:])
        return run_op(Ops.MATMUL, batch + (a.shape[-2], b.shape[-1]), a.dtype, a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # EXERCISE 2.7: da = g b^T and db = a^T g, each summed over broadcast batch dims
        da = unbroadcast(_matmul_like(g, b.mT, a), a.shape) if ctx.needs_input_grad[0] else None
        db = unbroadcast(_matmul_like(a.mT, g, b), b.shape) if ctx.needs_input_grad[1] else None
        return da, db
        # END EXERCISE
# --8<-- [end:matmul]


class ToDevice(Function):
    """Copy to another device through the host; the gradient goes back the same way."""

    def forward(ctx, x, device):
        ctx.src = x._storage.device
        return Tensor._from_numpy(np.array(x.numpy()), device)

    def backward(ctx, g):
        return g.to(ctx.src), None


def _matmul_like(x: Tensor, y: Tensor, like: Tensor) -> Tensor:
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
        # EXERCISE 2.8: subtract the max before exp so that no exp overflows
        m = x.amax(dim, keepdim=True)
        shifted = x - m
        y = shifted - shifted.exp().sum(dim, keepdim=True).log()
        # END EXERCISE
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
        y = elementwise(Ops.SUB, x, x.amax(dim, keepdim=True))
        # NOTE: y is fresh, so exp and the division may overwrite it: two buffers fewer
        run(Ops.EXP, (y._storage, y._view), (y._storage, y._view), dtype=y.dtype)
        total = expand_raw(y.sum(dim, keepdim=True), y.shape)
        run(Ops.DIV, (y._storage, y._view), (y._storage, y._view),
            (total._storage, total._view), dtype=y.dtype)
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if is_grad_enabled():  # create_graph: Tensor ops, so that the gradient has a graph too
            return (y * (g - (g * y).sum(ctx.dim, keepdim=True)), None)
        # a plain backward: the same formula as four kernels writing into one fresh buffer
        dx = elementwise(Ops.MUL, g, y)
        dot = expand_raw(reduce(Ops.SUM, dx, (ctx.dim,), True, dx.dtype), y.shape)
        run(Ops.SUB, (dx._storage, dx._view), (g._storage, g._view), (dot._storage, dot._view),
            dtype=dx.dtype)
        run(Ops.MUL, (dx._storage, dx._view), (dx._storage, dx._view), (y._storage, y._view),
            dtype=dx.dtype)
        return dx, None


# *** 7. the movement and index Functions live in function_movement.py; F.<name> reaches them ***

from ch2_lego.function_movement import (  # noqa: E402, F401
    AsStrided,
    Cat,
    ConstantPad,
    Expand,
    Gather,
    Index,
    IndexPut,
    Permute,
    Reshape,
    ScatterAdd,
    Slice,
    Squeeze,
    Unslice,
    Unsqueeze,
    ViewAssign,
    _index_shape,
)
