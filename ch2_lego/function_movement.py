"""The Functions that move data: views (reshape, permute, expand, slicing), the index ops that
embeddings and advanced indexing need (gather, scatter_add, index, index_put), cat and pad.

Shapes: x is the input, g the gradient of the output. A view's forward is a Buffer movement op
(a new View of the same storage); its backward moves g back through the inverse movement. An
index op's backward is its adjoint index op (gather <-> scatter_add, index <-> index_put with
accumulation).
"""

from __future__ import annotations

import math

from ch2_lego import buffer
from ch2_lego.autograd import Function
from ch2_lego.dtype import int64
from ch2_lego.errors import OutOfRangeError, ShapeError
from ch2_lego.function import unbroadcast
from ch2_lego.storage import View, broadcast_shape

# *** 1. movement ops: views of the same storage ***


class Reshape(Function):
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    def backward(ctx, g):
        return (g.reshape(ctx.in_shape),)


class Permute(Function):
    def forward(ctx, x, order):
        ctx.order = order
        return x.permute(order)

    def backward(ctx, g):
        inverse = [0] * len(ctx.order)
        for i, d in enumerate(ctx.order):
            inverse[d] = i
        return (g.permute(inverse),)


class Expand(Function):
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.expand(shape)

    def backward(ctx, g):
        return (unbroadcast(g, ctx.in_shape),)


class Squeeze(Function):
    def forward(ctx, x, dims):
        ctx.in_shape = x.shape
        return _as_view(x, x.view.squeeze(dims))

    def backward(ctx, g):
        return (g.reshape(ctx.in_shape),)


class Unsqueeze(Function):
    def forward(ctx, x, dim):
        ctx.in_shape = x.shape
        return _as_view(x, x.view.unsqueeze(dim))

    def backward(ctx, g):
        return (g.reshape(ctx.in_shape),)


class Slice(Function):
    """Basic indexing (ints, slices with steps, None): a view; backward writes g into zeros."""

    def forward(ctx, x, items):
        ctx.in_shape, ctx.items = x.shape, items
        return _as_view(x, x.view.getitem(items))

    def backward(ctx, g):
        return (Unslice.apply(g, ctx.in_shape, ctx.items), None)


class Unslice(Function):
    """The adjoint of Slice: zeros of the input's shape with g written where x[items] was."""

    def forward(ctx, g, shape, items):
        ctx.items = items
        out = buffer.full(shape, 0, g.dtype, g.device)
        _as_view(out, out.view.getitem(items)).assign(g)  # the slice's place in a contiguous x
        return out

    def backward(ctx, gg):
        return (gg[ctx.items], None, None)


class Flip(Function):
    """Reverse the order along `dims`: a copy (through negative strides); its own adjoint."""

    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.flip(dims)

    def backward(ctx, g):
        return g.flip(ctx.dims), None


class AsStrided(Function):
    """x read through `where`, a view relative to a contiguous x (torch.as_strided). Its
    elements may overlap (unfold's windows): the backward adds up what each position fed."""

    def forward(ctx, x, where):
        ctx.in_shape, ctx.where = x.shape, where
        x = x.contiguous()
        return x.as_strided(where.shape, where.strides, x.view.offset + where.offset)

    def backward(ctx, g):
        # the position in a contiguous x that each element of the view reads:
        # offset + sum_k i_k * stride_k, built one dim at a time on g's device
        where, device = ctx.where, g._buf.device
        position = g._full((), where.offset, int64, device)
        for n, stride in zip(where.shape, where.strides):
            position = position.unsqueeze(-1) + g._iota(n, device) * stride
        flat = g.new_zeros(math.prod(ctx.in_shape))
        dx = flat.index_put((position.reshape(-1),), g.reshape(-1), accumulate=True)
        return dx.reshape(ctx.in_shape), None


class Unfold(AsStrided):
    """unfold's windows as a view of x itself, whatever x's strides (as torch's): `actual` reads
    x's storage; the backward is AsStrided's, through `where`, the same windows of a contiguous
    x."""

    def forward(ctx, x, where, actual):
        ctx.in_shape, ctx.where = x.shape, where
        return x.as_strided(actual.shape, actual.strides, actual.offset)

    def backward(ctx, g):
        return AsStrided.backward(ctx, g)[0], None, None


class ViewAssign(Function):
    """A copy of `base` whose elements under the view `where` are replaced by src: an in-place
    write into a view, said out of place so that autograd can differentiate it."""

    def forward(ctx, base, src, where):
        ctx.where = where
        out = base.contiguous(force=True)
        _as_view(out, where).assign(src)
        return out

    def backward(ctx, g):
        g = g.contiguous()
        zeros = g.new_zeros(ctx.where.shape)
        dbase = ViewAssign.apply(g, zeros, ctx.where) if ctx.needs_input_grad[0] else None
        dsrc = AsStrided.apply(g, ctx.where) if ctx.needs_input_grad[1] else None
        return dbase, dsrc, None


# *** 2. index ops ***


class Gather(Function):
    """out[i][j] = x[i][index[i][j]] for dim 1 (torch.gather); the embedding lookup."""

    def forward(ctx, x, dim, index):
        ctx.in_shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(index)
        return x.gather(dim, index)

    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        zeros = g.new_zeros(ctx.in_shape)
        return (ScatterAdd.apply(zeros, ctx.dim, index, g), None, None)


class ScatterAdd(Function):
    """out = x, then out[i][index[i][j]] += src[i][j] for dim 1 (torch.scatter_add)."""

    def forward(ctx, x, dim, index, src):
        ctx.dim, ctx.src_shape = dim, src.shape
        ctx.save_for_backward(index)
        return x.scatter_add(dim, index, src)

    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        dsrc = Gather.apply(g, ctx.dim, index) if ctx.needs_input_grad[3] else None
        if dsrc is not None and dsrc.shape != ctx.src_shape:  # src may be larger than index
            dsrc = Unslice.apply(dsrc, ctx.src_shape, tuple(slice(0, n) for n in index.shape))
        return g, None, None, dsrc


class Index(Function):
    """Advanced indexing: out = x[..., idx0, idx1, ...] with int tensors at `positions`."""

    def forward(ctx, x, positions, *indices):
        ctx.in_shape, ctx.positions = x.shape, positions
        ctx.save_for_backward(*indices)
        shape = _index_shape(x.shape, positions, [i.shape for i in indices])
        return x.index(shape, positions, *indices)

    def backward(ctx, g):
        indices = ctx.saved_tensors
        zeros = g.new_zeros(ctx.in_shape)
        return (IndexPut.apply(zeros, ctx.positions, g, True, *indices), None,
                *(None for _ in indices))


class IndexPut(Function):
    """out = x with out[indices] = src (or += src when accumulate); src broadcasts."""

    def forward(ctx, x, positions, src, accumulate, *indices):
        ctx.positions, ctx.accumulate, ctx.src_shape = positions, accumulate, src.shape
        ctx.save_for_backward(*indices)
        shape = _index_shape(x.shape, positions, [i.shape for i in indices])
        src = src.expand(broadcast_shape(src.shape, shape))
        return x.index_put(positions, src, accumulate, *indices)

    def backward(ctx, g):
        indices = ctx.saved_tensors
        dx = g
        if not ctx.accumulate:  # overwritten elements got their value from src, not x
            zero = g.new_zeros(())
            dx = IndexPut.apply(g, ctx.positions, zero, False, *indices)
        dsrc = unbroadcast(Index.apply(g, ctx.positions, *indices), ctx.src_shape)
        return (dx, None, dsrc, None, *(None for _ in indices))


def _index_shape(shape, positions, index_shapes):
    """numpy's rule: broadcast index shapes replace the indexed dims, in place when adjacent."""
    try:
        ishape = broadcast_shape(*index_shapes)
    except ShapeError:
        raise OutOfRangeError("shape mismatch: indexing tensors could not be broadcast together "
                              "with shapes " + ", ".join(str(list(s)) for s in index_shapes)
                              ) from None
    rest = [n for d, n in enumerate(shape) if d not in positions]
    adjacent = list(positions) == list(range(positions[0], positions[0] + len(positions)))
    at = positions[0] if adjacent else 0
    return tuple(rest[:at]) + tuple(ishape) + tuple(rest[at:])


# *** 3. joining and padding ***


class Cat(Function):
    def forward(ctx, dim, *xs):
        ctx.dim, ctx.sizes = dim, [x.shape[dim] for x in xs]
        shape = list(xs[0].shape)
        shape[dim] = sum(ctx.sizes)
        out = buffer.empty(shape, xs[0].dtype, xs[0].device)
        start = 0
        for x in xs:
            bounds = [(0, n) for n in shape]
            bounds[dim] = (start, start + x.shape[dim])
            out.shrink(tuple(bounds)).assign(x)
            start += x.shape[dim]
        return out

    def backward(ctx, g):
        return (None, *g.split(ctx.sizes, ctx.dim))


class ConstantPad(Function):
    """Pad with a constant; `pads` holds (before, after) for every dim, all >= 0."""

    def forward(ctx, x, pads, value):
        ctx.items = tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape, pads))
        return x.pad(tuple(pads), value)

    def backward(ctx, g):
        return (g[ctx.items], None, None)


def _as_view(x, view: View):
    """x read through another View of its storage (the ones Buffer's movement ops don't name:
    squeeze, unsqueeze and basic indexing keep PyTorch's strides this way)."""
    return x.as_strided(view.shape, view.strides, view.offset)
