"""Fused Functions: gelu, layer_norm and cross_entropy as one graph node each, as PyTorch's native
kernels (gelu / gelu_backward, native_layer_norm / native_layer_norm_backward, log_softmax + nll).

Composed from Tensor ops, GELU is 10 nodes forward and twice that backward, each allocating and
each paying Python's dispatch cost; here forward and backward are a short list of primitive
kernels writing in place into a few fresh buffers. They are compositions at the backend level
(`run` on raw views), so a device needs no new primitive. When the backward is itself recorded
(create_graph), it is written with Tensor ops instead, so it can be differentiated again.
"""

from __future__ import annotations

import math

import numpy as np

from ch2_lego.autograd import Function
from ch2_lego.backend import BINARY, UNARY, Ops, run
from ch2_lego.function import empty, expand_raw
from ch2_lego.grad_mode import is_grad_enabled
from ch2_lego.tensor import Tensor

# *** 1. kernels on raw tensors ***

ELEMENTWISE = UNARY | BINARY  # the ops whose operands k() broadcasts to the output's shape


def k(op: Ops, out: Tensor, *srcs: Tensor | float, **arg) -> Tensor:
    """Run primitive `op` into `out` (which may be one of `srcs`: in place); numbers broadcast.

    Shapes: every operand is broadcast (stride 0) to out's shape, as elementwise() does.
    """
    views = []
    for s in srcs:
        if not isinstance(s, Tensor):
            s = Tensor._scalar(s, out)
        if op in ELEMENTWISE and s.shape != out.shape:
            s = expand_raw(s, out.shape)
        views.append((s._storage, s._view))
    run(op, (out._storage, out._view), *views, dtype=out.dtype, **arg)
    return out


def fresh(like: Tensor, shape=None) -> Tensor:
    """A new contiguous buffer of like's dtype and device (of like's shape unless given)."""
    return empty(like.shape if shape is None else shape, like.dtype, like._storage.device)


def row_sum(x: Tensor, n_dims: int) -> Tensor:
    """Sum over the last n_dims dims, kept as size-1 dims. Shapes: (*, *D) -> (*, 1, ..)."""
    axes = tuple(range(x.ndim - n_dims, x.ndim))
    out = fresh(x, x.shape[: x.ndim - n_dims])
    k(Ops.SUM, out, x, axes=axes)
    return out._reshape_raw(x.shape[: x.ndim - n_dims] + (1,) * n_dims)


def row_max(x: Tensor) -> Tensor:
    """The max over the last dim, kept as a size-1 dim. Shapes: (*, C) -> (*, 1)."""
    out = fresh(x, x.shape[:-1])
    k(Ops.RMAX, out, x, axes=(x.ndim - 1,))
    return out._reshape_raw(x.shape[:-1] + (1,))


def lead_sum(x: Tensor, n_dims: int) -> Tensor:
    """Sum over all but the last n_dims dims. Shapes: (*, *D) -> D."""
    out = fresh(x, x.shape[x.ndim - n_dims:])
    return k(Ops.SUM, out, x, axes=tuple(range(x.ndim - n_dims)))


# *** 2. GELU ***

SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
GELU_C = 0.044715


# --8<-- [start:gelu_fused]
class Gelu(Function):
    """y = x Phi(x), elementwise; "tanh" approximates Phi(x) by (1 + tanh(u)) / 2 (GPT-2).

    Shapes: x (*) -> (*). With u = sqrt(2/pi) (x + c x^3), t = tanh(u), c = 0.044715:
        tanh: dy/dx = (1 + t) / 2 + x (1 - t^2) sqrt(2/pi) (1 + 3 c x^2) / 2
        none: dy/dx = Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
    Forward keeps t (or Phi(x)) so that the backward need not recompute it.
    """

    def forward(ctx, x, approximate):
        ctx.approximate = approximate
        t = fresh(x)  # fresh buffers are ours to overwrite: one pass each, no temporaries
        if approximate == "tanh":  # t = tanh(x (k + k c x^2)), k = sqrt(2 / pi)
            k(Ops.MUL, t, x, x)
            k(Ops.MUL, t, t, SQRT_2_OVER_PI * GELU_C)
            k(Ops.ADD, t, t, SQRT_2_OVER_PI)
            k(Ops.MUL, t, t, x)
            k(Ops.TANH, t, t)
            y = k(Ops.ADD, fresh(x), t, 1.0)
            k(Ops.MUL, y, y, x)
        else:  # t = Phi(x) = (1 + erf(x / sqrt 2)) / 2
            k(Ops.MUL, t, x, 1 / math.sqrt(2))
            k(Ops.ERF, t, t)
            k(Ops.ADD, t, t, 1.0)
            y = k(Ops.MUL, fresh(x), t, x)  # 2 x Phi(x)
            k(Ops.MUL, t, t, 0.5)
        k(Ops.MUL, y, y, 0.5)
        ctx.save_for_backward(x, t)
        return y

    def backward(ctx, g):
        x, t = ctx.saved_tensors
        if is_grad_enabled():  # create_graph: the same formula in Tensor ops, t recomputed from x
            if ctx.approximate == "tanh":
                t = (SQRT_2_OVER_PI * (x + GELU_C * x * x * x)).tanh()
                du = SQRT_2_OVER_PI * (1 + 3 * GELU_C * x * x)
                return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du), None
            phi = (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
            return g * (0.5 * (1 + (x * (1 / math.sqrt(2))).erf()) + x * phi), None
        d = fresh(x)
        if ctx.approximate == "tanh":
            a = k(Ops.MUL, fresh(x), t, t)
            k(Ops.SUB, a, 1.0, a)  # 1 - t^2
            k(Ops.MUL, d, x, x)
            k(Ops.MUL, d, d, 3 * GELU_C * SQRT_2_OVER_PI)
            k(Ops.ADD, d, d, SQRT_2_OVER_PI)  # du/dx
            k(Ops.MUL, d, d, a)
            k(Ops.MUL, d, d, x)
            k(Ops.ADD, d, d, t)
            k(Ops.ADD, d, d, 1.0)
            k(Ops.MUL, d, d, 0.5)
        else:
            k(Ops.MUL, d, x, x)
            k(Ops.MUL, d, d, -0.5)
            k(Ops.EXP, d, d)
            k(Ops.MUL, d, d, x)
            k(Ops.MUL, d, d, 1 / math.sqrt(2 * math.pi))
            k(Ops.ADD, d, d, t)
        return k(Ops.MUL, d, d, g), None
# --8<-- [end:gelu_fused]


# *** 3. LayerNorm ***


# --8<-- [start:layer_norm_fused]
class LayerNorm(Function):
    """y = xhat w + b, xhat = (x - mean) / sqrt(var + eps) over the last n dims (biased var).

    Shapes: x (*, *D), weight and bias D (or None) -> (*, *D); D has n dims and m elements.
    Backward, with dxhat = g w and the means taken over the normalized dims:
        dx = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / sqrt(var + eps)
        dw = sum over * of g xhat,   db = sum over * of g
    Forward keeps xhat and rstd = 1 / sqrt(var + eps), as native_layer_norm keeps mean and rstd.
    """

    def forward(ctx, x, weight, bias, n_dims, eps):
        m = math.prod(x.shape[x.ndim - n_dims:])
        # EXERCISE 2.25: normalize with the mean and biased variance over dims
        mean = row_sum(x, n_dims)
        k(Ops.DIV, mean, mean, m)
        xhat = k(Ops.SUB, fresh(x), x, mean)
        y = k(Ops.MUL, fresh(x), xhat, xhat)  # y holds the squares until the output overwrites it
        rstd = row_sum(y, n_dims)
        k(Ops.DIV, rstd, rstd, m)  # the biased variance
        k(Ops.ADD, rstd, rstd, eps)
        k(Ops.SQRT, rstd, rstd)
        k(Ops.DIV, rstd, 1.0, rstd)
        k(Ops.MUL, xhat, xhat, rstd)
        # END EXERCISE
        ctx.n_dims, ctx.eps = n_dims, eps
        ctx.save_for_backward(x, weight, xhat, rstd)
        if weight is not None:
            k(Ops.MUL, y, xhat, weight)
        else:
            k(Ops.COPY, y, xhat)  # xhat is saved, so the output must not be it
        return k(Ops.ADD, y, y, bias) if bias is not None else y

    def backward(ctx, g):
        x, weight, xhat, rstd = ctx.saved_tensors
        n, need = ctx.n_dims, ctx.needs_input_grad
        if is_grad_enabled():  # create_graph: the same formulas in Tensor ops, xhat from x
            return layer_norm_backward_graph(g, x, weight, n, ctx.eps, need)
        m = math.prod(xhat.shape[xhat.ndim - n:])
        g_xhat = k(Ops.MUL, fresh(xhat), g, xhat)
        dw = lead_sum(g_xhat, n) if need[1] else None
        db = lead_sum(g, n) if need[2] else None
        if not need[0]:
            return None, dw, db, None, None
        dxhat = k(Ops.MUL, fresh(xhat), g, weight) if weight is not None else g
        if weight is not None:  # without a weight, dxhat * xhat is g_xhat already
            k(Ops.MUL, g_xhat, dxhat, xhat)
        mean_dxhat = row_sum(dxhat, n)
        k(Ops.DIV, mean_dxhat, mean_dxhat, m)
        mean_proj = row_sum(g_xhat, n)
        k(Ops.DIV, mean_proj, mean_proj, m)
        dx = k(Ops.MUL, g_xhat, xhat, mean_proj)  # g_xhat is spent: reuse its buffer
        k(Ops.SUB, dx, dxhat, dx)
        k(Ops.SUB, dx, dx, mean_dxhat)
        k(Ops.MUL, dx, dx, rstd)
        return dx, dw, db, None, None
# --8<-- [end:layer_norm_fused]


def layer_norm_backward_graph(g, x, weight, n_dims: int, eps: float, need) -> tuple:
    """LayerNorm's backward in Tensor ops, recomputing xhat from x: a graph autograd can follow."""
    dims = tuple(range(-n_dims, 0))
    lead = tuple(range(x.ndim - n_dims))
    centered = x - x.mean(dims, keepdim=True)
    rstd = ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()
    xhat = centered * rstd
    dxhat = g * weight if weight is not None else g
    dx = (dxhat - dxhat.mean(dims, keepdim=True)
          - xhat * (dxhat * xhat).mean(dims, keepdim=True)) * rstd
    dw = ((g * xhat).sum(lead) if lead else g * xhat) if need[1] else None
    db = (g.sum(lead) if lead else g) if need[2] else None
    return dx if need[0] else None, dw, db, None, None


# *** 4. cross-entropy: log_softmax and nll_loss in one node ***


# --8<-- [start:cross_entropy_fused]
class CrossEntropy(Function):
    """loss_n = -log softmax(x_n)[t_n], over rows whose target is not ignore_index.

    Shapes: x (N, C) float, target (N,) int64 -> () for "mean" and "sum", (N,) for "none".
    With p = softmax(x) and c_n the weight of row n in the reduction (1 / valid rows for "mean",
    1 for "sum" and "none"; 0 for an ignored row): dx_n = g c_n (p_n - onehot(t_n)).
    The forward keeps log p, from which the backward gets p with one exp.
    """

    def forward(ctx, x, target, ignore_index, reduction, nll_loss):
        # log p with no overflow: (x - max) - log sum exp(x - max), along the class dim
        logp = k(Ops.SUB, fresh(x), x, row_max(x))
        total = row_sum(k(Ops.EXP, fresh(logp), logp), 1)
        k(Ops.SUB, logp, logp, k(Ops.LOG, total, total))
        # the index checks and the reduction are nll_loss's own: short ops on (N,) tensors
        loss = nll_loss(logp, target, None, ignore_index, reduction)
        valid = (target != ignore_index).to(x.dtype)
        ctx.safe_target = target.masked_fill(target == ignore_index, 0).reshape(-1, 1)
        ctx.reduction = reduction
        ctx.save_for_backward(x, logp, valid)
        return loss

    def backward(ctx, g):
        x, logp, valid = ctx.saved_tensors
        # c_n g: the weight of each row in the reduction times the incoming gradient, (N, 1)
        if ctx.reduction == "mean":
            g = g / valid.sum()
        c = (valid * g).reshape(-1, 1)
        if is_grad_enabled():  # create_graph: p from x by Tensor ops, differentiable again
            classes = Tensor._from_numpy(np.arange(x.shape[1]), x._storage.device)
            onehot = (ctx.safe_target == classes).to(x.dtype)
            return (x.softmax(1) - onehot) * c, None, None, None, None
        dx = k(Ops.EXP, fresh(logp), logp)
        k(Ops.MUL, dx, dx, c)
        # subtract c_n at (n, t_n): a scatter-add of -c into column t_n of each row
        k(Ops.SCATTER_ADD, dx, dx, ctx.safe_target, k(Ops.NEG, fresh(c), c), axis=1)
        return dx, None, None, None, None
# --8<-- [end:cross_entropy_fused]
