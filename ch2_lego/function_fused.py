"""Fused Functions: gelu, layer_norm and cross_entropy as one graph node each, as PyTorch's native
kernels (gelu / gelu_backward, native_layer_norm / native_layer_norm_backward, log_softmax + nll).

Composed from Tensor ops, GELU is 10 nodes forward and twice that backward, each allocating and
each paying Python's dispatch cost; here forward and backward are a short list of Buffer ops
writing in place (`out=`) into a few fresh buffers. They are compositions of primitives, so a
device needs no new kernel; layer_norm and cross_entropy call the optional FUSED ops, whose
decompositions are such compositions, so that a device with a one-pass kernel runs its own.
When the backward is itself recorded (create_graph), it is written with Tensor ops instead, so
it can be differentiated again.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ch2_lego.autograd import Function
from ch2_lego.backend import Ops, run
from ch2_lego.buffer import Buffer, empty, from_numpy
from ch2_lego.grad_mode import is_grad_enabled
from ch2_lego.storage import broadcast_shape

# *** 1. reductions that keep their dims, on buffers ***


def row_sum(x: Buffer, n_dims: int) -> Buffer:
    """Sum over the last n_dims dims, kept as size-1 dims. Shapes: (*, *D) -> (*, 1, ..)."""
    lead = x.shape[: len(x.shape) - n_dims]
    return x.reduce(Ops.SUM, tuple(range(len(lead), len(x.shape)))).reshape(lead + (1,) * n_dims)


def row_max(x: Buffer) -> Buffer:
    """The max over the last dim, kept as a size-1 dim. Shapes: (*, C) -> (*, 1)."""
    return x.reduce(Ops.REDUCE_MAX, (len(x.shape) - 1,)).reshape(x.shape[:-1] + (1,))


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
        # each op writes into a buffer of ours (out=): one pass each, no temporaries
        if approximate == "tanh":  # t = tanh(x (k + k c x^2)), k = sqrt(2 / pi)
            t = x.alu(Ops.MUL, x)
            t.alu(Ops.MUL, SQRT_2_OVER_PI * GELU_C, out=t)
            t.alu(Ops.ADD, SQRT_2_OVER_PI, out=t)
            t.alu(Ops.MUL, x, out=t)
            t.alu(Ops.TANH, out=t)
            y = t.alu(Ops.ADD, 1.0)
            y.alu(Ops.MUL, x, out=y)
        else:  # t = Phi(x) = (1 + erf(x / sqrt 2)) / 2
            t = x.alu(Ops.MUL, 1 / math.sqrt(2))
            t.alu(Ops.ERF, out=t)
            t.alu(Ops.ADD, 1.0, out=t)
            y = t.alu(Ops.MUL, x)  # 2 x Phi(x)
            t.alu(Ops.MUL, 0.5, out=t)
        y.alu(Ops.MUL, 0.5, out=y)
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
        x, t = x._buf, t._buf
        d = x.alu(Ops.MUL, x)
        if ctx.approximate == "tanh":
            a = t.alu(Ops.MUL, t)
            a.alu(Ops.NEG, out=a)
            a.alu(Ops.ADD, 1.0, out=a)  # 1 - t^2
            d.alu(Ops.MUL, 3 * GELU_C * SQRT_2_OVER_PI, out=d)
            d.alu(Ops.ADD, SQRT_2_OVER_PI, out=d)  # du/dx
            d.alu(Ops.MUL, a, out=d)
            d.alu(Ops.MUL, x, out=d)
            d.alu(Ops.ADD, t, out=d)
            d.alu(Ops.ADD, 1.0, out=d)
            d.alu(Ops.MUL, 0.5, out=d)
        else:
            d.alu(Ops.MUL, -0.5, out=d)
            d.alu(Ops.EXP, out=d)
            d.alu(Ops.MUL, x, out=d)
            d.alu(Ops.MUL, 1 / math.sqrt(2 * math.pi), out=d)
            d.alu(Ops.ADD, t, out=d)
        return g._wrap(d.alu(Ops.MUL, g._buf, out=d)), None
# --8<-- [end:gelu_fused]


# *** 3. LayerNorm ***


# --8<-- [start:layer_norm_fused]
class LayerNorm(Function):
    """y = xhat w + b, xhat = (x - mean) / sqrt(var + eps) over the last n dims (biased var).

    Shapes: x (*, *D), weight and bias D (or None) -> (*, *D); D has n dims and m elements.
    Backward, with dxhat = g w and the means taken over the normalized dims:
        dx = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / sqrt(var + eps)
        dw = sum over * of g xhat,   db = sum over * of g
    Forward keeps mean and rstd = 1 / sqrt(var + eps), as native_layer_norm does; both ways are
    one fused op (LAYER_NORM, LAYER_NORM_BACKWARD), a device's kernel or decompositions.py's.
    """

    def forward(ctx, x, weight, bias, n_dims, eps):
        stats = tuple(x.shape[: len(x.shape) - n_dims]) + (1,) * n_dims  # mean's and rstd's
        y = empty(x.shape, x.dtype, x.device)
        mean, rstd = empty(stats, x.dtype, x.device), empty(stats, x.dtype, x.device)
        # one fused op: a device's kernel, or decompositions.layer_norm (E2.25); a missing
        # weight or bias is the constant 1 or 0, which the decomposition skips
        run(Ops.LAYER_NORM, y, mean, rstd, x, 1 if weight is None else weight,
            0 if bias is None else bias, n_dims=n_dims, eps=eps)
        ctx.n_dims, ctx.eps = n_dims, eps
        ctx.save_for_backward(x, weight, mean, rstd)
        return y

    def backward(ctx, g):
        x, weight, mean, rstd = ctx.saved_tensors
        n, need = ctx.n_dims, ctx.needs_input_grad
        if is_grad_enabled():  # create_graph: the same formulas in Tensor ops, xhat from x
            return layer_norm_backward_graph(g, x, weight, n, ctx.eps, need)
        wrap, g, x = g._wrap, g._buf, x._buf
        normalized = tuple(x.shape[len(x.shape) - n:])
        dx = empty(x.shape, x.dtype, x.device)
        dw, db = empty(normalized, x.dtype, x.device), empty(normalized, x.dtype, x.device)
        run(Ops.LAYER_NORM_BACKWARD, dx, dw, db, g, x, mean._buf, rstd._buf,
            1 if weight is None else weight._buf)
        return (wrap(dx) if need[0] else None, wrap(dw) if need[1] else None,
                wrap(db) if need[2] else None, None, None)
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
    Forward and backward are one fused op each (CROSS_ENTROPY, CROSS_ENTROPY_BACKWARD): a
    device's kernel, or the composition in decompositions.py, which recomputes log p.
    """

    def forward(ctx, x, target, ignore_index, reduction):
        # ignored rows: any class (0) for the fused op, then a weight of 0
        valid = target.alu(Ops.CMPNE, ignore_index)
        safe_target = valid.alu(Ops.WHERE, target, 0)
        weight = valid.cast(x.dtype)
        loss = empty(target.shape, x.dtype, x.device)
        run(Ops.CROSS_ENTROPY, loss, x, safe_target)  # a kernel, or log_softmax and a gather
        loss.alu(Ops.MUL, weight, out=loss)
        if reduction != "none":
            loss = loss.reduce(Ops.SUM, (0,))
        if reduction == "mean":
            loss.alu(Ops.DIV, weight.reduce(Ops.SUM, (0,)), out=loss)
        ctx.safe_target, ctx.reduction = safe_target, reduction
        ctx.save_for_backward(x, weight)
        return loss

    def backward(ctx, g):
        x, valid = ctx.saved_tensors
        # c_n g: the weight of each row in the reduction times the incoming gradient, (N,)
        if ctx.reduction == "mean":
            g = g / valid.sum()
        c = valid * g
        if is_grad_enabled():  # create_graph: p from x by Tensor ops, differentiable again
            classes = x._from_numpy(np.arange(x.shape[1]), x._buf.device)
            target = x._wrap(ctx.safe_target.reshape((x.shape[0], 1)))
            onehot = (target == classes).to(x.dtype)
            return (x.softmax(1) - onehot) * c.reshape(-1, 1), None, None, None
        xb = x._buf
        dx = empty(xb.shape, xb.dtype, xb.device)
        run(Ops.CROSS_ENTROPY_BACKWARD, dx, xb, ctx.safe_target, c._buf)
        return x._wrap(dx), None, None, None
# --8<-- [end:cross_entropy_fused]


# *** 5. scaled dot-product attention ***


def sum_to(x: Buffer, shape: tuple[int, ...]) -> Buffer:
    """Sum a gradient of a broadcast operand back to the operand's shape (unbroadcast, on
    buffers). Shapes: (2, 3, 4) to (3, 1) -> (3, 1)."""
    shape = tuple(shape)
    if tuple(x.shape) == shape:
        return x
    extra = len(x.shape) - len(shape)
    axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape)
                                       if n == 1 and x.shape[extra + i] != 1)
    return x.reduce(Ops.SUM, axes).reshape(shape) if axes else x.reshape(shape)


def repeat_heads(x: Buffer, groups: int) -> Buffer:
    """Each head of x repeated `groups` times in place (repeat_interleave on dim -3), for
    grouped-query attention. Shapes: (*, Hk, S, D) -> (*, Hk * groups, S, D)."""
    if groups == 1:
        return x
    *lead, heads, s, d = x.shape
    wide = x.reshape((*lead, heads, 1, s, d)).expand((*lead, heads, groups, s, d))
    return wide.reshape((*lead, heads * groups, s, d))  # a copy: stride-0 dims do not merge


def unrepeat_heads(g: Buffer, groups: int) -> Buffer:
    """The gradient of repeat_heads: sum each group of heads. (*, Hk * G, S, D) -> (*, Hk, S, D)."""
    if groups == 1:
        return g
    *lead, heads, s, d = g.shape
    grouped = g.reshape((*lead, heads // groups, groups, s, d))
    return grouped.reduce(Ops.SUM, (len(lead) + 1,))


def wide_shape(shape: tuple[int, ...], groups: int) -> tuple[int, ...]:
    """The shape of repeat_heads's result. (*, Hk, S, D) -> (*, Hk * groups, S, D)."""
    if groups == 1:
        return tuple(shape)
    return tuple(shape[:-3]) + (shape[-3] * groups,) + tuple(shape[-2:])


def last_two_swapped(x: Buffer) -> Buffer:
    """The transpose of the last two dims, a view. Shapes: (*, M, N) -> (*, N, M)."""
    n = len(x.shape)
    return x.permute(tuple(range(n - 2)) + (n - 1, n - 2))


@functools.lru_cache(maxsize=32)
def causal_bias(t: int, s: int, dtype, device: str) -> Buffer:
    """The additive mask of is_causal, built once per (T, S, dtype, device) and kept: 0 where
    query i may see key j (j <= i, top-left aligned as in PyTorch), -inf above. Shapes: (T, S).
    Nothing writes into it: the attention adds it to its scores."""
    half = dtype.itemsize == 2  # float16, bfloat16: made in float32, then cast on the device
    mask = np.triu(np.full((t, s), -np.inf, dtype=np.float32 if half else dtype.np), k=1)
    return from_numpy(mask, device).cast(dtype) if half else from_numpy(mask, device)


# --8<-- [start:sdpa_fused]
class ScaledDotProductAttention(Function):
    """y = P' v, P' = P * drop, P = softmax(q k^T * scale + bias) over the keys; one graph node.

    Shapes: q (*, Hq, T, D), k (*, Hk, S, D), v (*, Hv, S, Dv), Hk and Hv dividing Hq (each
    key head serves groups[0] = Hq / Hk query heads, each value head groups[1]); bias
    broadcasts to the scores (*, Hq, T, S): 0 where a key is seen, -inf where not, or any
    float mask; drop (*, Hq, T, S) is 0 or 1/(1-p) (dropout)
    or None -> y (*, Hq, T, Dv). The leading dims broadcast. A row that sees no key gets P = 0
    (PyTorch's safe softmax), not nan. Backward, with dS the gradient of the scores:
        dv = P'^T g,   dP = (g v^T) * drop,   dS = P * (dP - rowsum(dP * P)),
        dq = scale dS k,   dk = scale dS^T q,   dbias = dS (summed to bias's shape)
    Forward keeps P, from which the backward needs no exp.
    """

    def forward(ctx, q, k, v, bias, drop, scale, groups):
        kg, vg = groups  # query heads per key head, per value head
        lead = broadcast_shape(q.shape[:-2], k.shape[:-3] + (k.shape[-3] * kg,),
                               v.shape[:-3] + (v.shape[-3] * vg,)) if kg * vg > 1 else \
            broadcast_shape(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        qx = q.expand(lead + q.shape[-2:])
        kx = repeat_heads(k, kg).expand(lead + k.shape[-2:])
        vx = repeat_heads(v, vg).expand(lead + v.shape[-2:])
        # EXERCISE 2.26: scores from q and k, plus the bias; a softmax over the keys; weight v
        scores = qx.matmul(last_two_swapped(kx))  # (*, T, S)
        scores.alu(Ops.MUL, scale, out=scores)
        if bias is not None:
            scores.alu(Ops.ADD, bias, out=scores)
        if scores.shape[-1]:  # no keys (S = 0): nothing to normalize, y is 0
            peak = row_max(scores)
            # a row that sees no key has peak -inf: subtract 0 instead, so each exp is 0, not nan
            peak.alu(Ops.CMPEQ, -math.inf).alu(Ops.WHERE, 0.0, peak, out=peak)
            scores.alu(Ops.SUB, peak, out=scores)
        p = scores.alu(Ops.EXP, out=scores)
        total = row_sum(p, 1)
        total.alu(Ops.MAX, 1.0, out=total)  # the peak's exp(0) = 1 is in every seen row's sum
        p.alu(Ops.DIV, total, out=p)
        weights = p if drop is None else p.alu(Ops.MUL, drop)
        y = weights.matmul(vx)
        # END EXERCISE
        ctx.scale, ctx.groups = scale, groups
        ctx.save_for_backward(q, k, v, bias, drop, p)
        return y

    def backward(ctx, g):
        q, k, v, bias, drop, p = ctx.saved_tensors
        scale, (kg, vg), need = ctx.scale, ctx.groups, ctx.needs_input_grad
        if is_grad_enabled():  # create_graph: the same formulas in Tensor ops, P from q and k
            return sdpa_backward_graph(g, q, k, v, bias, drop, scale, (kg, vg), need)
        wrap, g, p = g._wrap, g._buf, p._buf
        q, k, v = q._buf, k._buf, v._buf
        drop = None if drop is None else drop._buf
        lead = g.shape[:-2]
        dq = dk = dv = dbias = None
        if need[2]:  # dv = P'^T g
            weights = p if drop is None else p.alu(Ops.MUL, drop)
            dv_wide = last_two_swapped(weights).matmul(g)
            dv = wrap(unrepeat_heads(sum_to(dv_wide, wide_shape(v.shape, vg)), vg))
        if not (need[0] or need[1] or need[3]):
            return dq, dk, dv, dbias, None, None, None
        vx = repeat_heads(v, vg).expand(lead + v.shape[-2:])
        ds = g.matmul(last_two_swapped(vx))  # dP', then dP
        if drop is not None:
            ds.alu(Ops.MUL, drop, out=ds)
        proj = row_sum(ds.alu(Ops.MUL, p), 1)
        ds.alu(Ops.SUB, proj, out=ds)
        ds.alu(Ops.MUL, p, out=ds)  # dS
        if need[3]:  # a copy: ds is scaled in place next
            dbias = sum_to(ds, bias.shape)
            dbias = wrap(dbias.contiguous(force=dbias.storage is ds.storage))
        ds.alu(Ops.MUL, scale, out=ds)
        if need[0]:
            kx = repeat_heads(k, kg).expand(lead + k.shape[-2:])
            dq = wrap(sum_to(ds.matmul(kx), q.shape))
        if need[1]:
            dk_wide = last_two_swapped(ds).matmul(q.expand(lead + q.shape[-2:]))
            dk = wrap(unrepeat_heads(sum_to(dk_wide, wide_shape(k.shape, kg)), kg))
        return dq, dk, dv, dbias, None, None, None
# --8<-- [end:sdpa_fused]


def sdpa_backward_graph(g, q, k, v, bias, drop, scale: float, groups: tuple[int, int],
                        need) -> tuple:
    """The attention backward in Tensor ops, recomputing P from q and k: a graph autograd can
    follow again (double backward)."""
    from ch2_lego.function import unbroadcast

    def repeat(x, groups):  # (*, Hk, S, D) -> (*, Hk * groups, S, D), differentiably
        if groups == 1:
            return x
        *lead, heads, s, d = x.shape
        wide = x.unsqueeze(-3).expand(*lead, heads, groups, s, d)
        return wide.reshape(*lead, heads * groups, s, d)

    kx, vx = repeat(k, groups[0]), repeat(v, groups[1])
    scores = q @ kx.transpose(-2, -1) * scale
    if bias is not None:
        scores = scores + bias
    p = scores.softmax(-1)
    p = p.masked_fill(p.isnan(), 0.0)  # rows that see no key, as the forward
    weights = p if drop is None else p * drop
    dv = unbroadcast(weights.transpose(-2, -1) @ g, vx.shape) if need[2] else None
    dp = g @ vx.transpose(-2, -1)
    if drop is not None:
        dp = dp * drop
    ds = p * (dp - (dp * p).sum(-1, keepdim=True))
    dbias = unbroadcast(ds, bias.shape) if need[3] else None
    dq = unbroadcast(ds @ kx, q.shape) * scale if need[0] else None
    dk = unbroadcast(ds.transpose(-2, -1) @ q, kx.shape) * scale if need[1] else None

    def unrepeat(d, like, groups):
        if d is None or groups == 1:
            return d
        return d.reshape(*like.shape[:-3], like.shape[-3], groups, *like.shape[-2:]).sum(-3)
    return (dq, unrepeat(dk, k, groups[0]), unrepeat(dv, v, groups[1]), dbias,
            None, None, None)
