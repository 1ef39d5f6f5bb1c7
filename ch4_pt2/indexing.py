"""ch2's index primitives as graphs: gathers, indexed stores and scans (capture.py calls these).

x[i] is a GATHER, fused into its readers like any load. x[i0, i1] with several index tensors is
one GATHER too, into x with the indexed dims moved first and merged into one (P = n0 * n1),
at i0 * n1 + i1. Writes (index_put, scatter_add, a write through a strided view) are one
SCATTER kernel (lower_indexed.py); an accumulating write small enough is still a masked sum, a
reduction that fuses into the kernels around it. cumsum over a short axis is a masked sum too,
a longer one a SCAN kernel. Only argsort runs on the host (see capture.py).

Index errors: every index is checked in the kernel that reads it, and the plan raises the
error eager mode raises for the op. ch2 words some of them at the call site: embedding() and
nll_loss()/cross_entropy() catch the index op's error and raise their own ("index out of range
in self", "Target 7 is out of bounds."). Eager mode raises inside that call; graph mode raises
later, outside it, so capture notes the caller when it records the gather (`fault_kind`). The
backward of such a call reads the same index again (a scatter of the gradient), and a realize
of the gradients alone runs only its check: it gets the kind its index got in the forward, whose
error eager mode raised before any backward ran.
Shapes follow numpy's rule, as ch2's Index does: the broadcast shape I of the index tensors
replaces the indexed dims, in place when they are adjacent, else first.
"""

from __future__ import annotations

import math
import sys
import weakref

import numpy as np

from ch2_lego.dtype import bool_, float32, float64, int64
from ch4_pt2 import plan as plans
from ch4_pt2.lazy_storage import const
from ch4_pt2.ops import Ops, UOp

SCATTER_WORK = 1 << 22  # elements x scattered rows up to which scatter_add is a masked sum
SCAN_FUSED = 64  # cumsum over at most this many elements is a masked sum (fused, n^2 work)


# *** 1. which error an index fault raises ***


def rewording_callers() -> dict:
    """ch2's functions that catch an index op's error and raise their own words instead."""
    from ch2_lego import functional
    from ch2_lego.nn import functional as nn_functional
    return {nn_functional.embedding.__code__: "embedding",
            functional.nll_loss.__code__: "target",
            functional._fused_cross_entropy.__code__: "target"}


CALLERS: dict = {}
CALLER_DEPTH = 12  # frames between such a caller and the buffer method (Tensor, Function, ..)
KIND_OF_INDEX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # index UOp -> its kind


def fault_kind(default: str, *indices: UOp) -> str:
    """The INDEX_FAULTS kind for an index op recorded now, reading `indices`: its caller's if
    ch2 rewords it (remembered for the indices), else the one an index was read with before
    (a backward's scatter reads its forward's index), else `default`."""
    if not CALLERS:
        CALLERS.update(rewording_callers())
    frame = sys._getframe(1)
    for _ in range(CALLER_DEPTH):
        if frame is None:
            break
        if (kind := CALLERS.get(frame.f_code)) is not None:
            for i in indices:
                KIND_OF_INDEX.setdefault(i, kind)
            return kind
        frame = frame.f_back
    return next((KIND_OF_INDEX[i] for i in indices if i in KIND_OF_INDEX), default)


# *** 2. index values ***


def iota(n: int) -> UOp:
    """(n,) int64: 0, 1, .., n - 1, a constant buffer."""
    return plans.buffer_node(np.arange(n, dtype=np.int64), int64)


def wrap_negative(idx: UOp, n: int) -> UOp:
    """x[-1] is x[n - 1], as in eager."""
    idx = idx.cast(int64)
    below = UOp(Ops.CMPLT, bool_, (idx, const(0, int64, idx.shape)))
    return UOp(Ops.WHERE, int64, (below, UOp(Ops.ADD, int64, (idx, const(n, int64, idx.shape))),
                                  idx))


def checked(idx: UOp, n: int, dim: int, kind: str) -> UOp:
    """idx (int64, >= 0 expected) read through a gather of 0..n-1: the kernel checks it against
    [0, n) and a bad one is noted with kind's error for dim (and reads 0, a safe place)."""
    flat = idx.reshape((idx.numel,))
    return UOp(Ops.GATHER, int64, (iota(n), flat), (0, kind, dim)).reshape(idx.shape)


def merged_index(shape, positions, indices: list[UOp], kind: str) -> UOp:
    """One index into the indexed dims merged in positions' order (row-major), each index
    wrapped, checked against its own dim and broadcast: (I..) int64."""
    ishape = np.broadcast_shapes(*(i.shape for i in indices))
    total = None
    for p, i in zip(positions, indices):
        part = checked(wrap_negative(i.expand(ishape), shape[p]), shape[p], p, kind)
        total = part if total is None else UOp(Ops.ADD, int64, (
            UOp(Ops.MUL, int64, (total, const(shape[p], int64, ishape))), part))
    return total


def indexed_first(x: UOp, positions) -> tuple[UOp, tuple]:
    """x with its indexed dims moved first and merged: (P, *rest), and the order it used."""
    rest = [d for d in range(len(x.shape)) if d not in positions]
    order = tuple(positions) + tuple(rest)
    merged = math.prod(x.shape[p] for p in positions)
    return x.permute(order).reshape((merged, *(x.shape[d] for d in rest))), order


def result_order(positions, n_index: int, n_rest: int) -> tuple[int, ...]:
    """The permutation of (I.., rest..) into the numpy rule's result layout."""
    adjacent = list(positions) == list(range(positions[0], positions[0] + len(positions)))
    at = positions[0] if adjacent else 0
    rest = list(range(n_index, n_index + n_rest))
    return tuple(rest[:at] + list(range(n_index)) + rest[at:])


# *** 3. reads: x[.., i, ..] ***


def gather_rows(x: UOp, at: UOp, kind: str) -> UOp:
    """x (P, rest..) read at rows at (I..) >= 0: (I.., rest..), one fused GATHER along 0."""
    rest = x.shape[1:]
    grown = x.reshape((x.shape[0], *(1,) * (len(at.shape) - 1), *rest)).expand(
        (x.shape[0], *at.shape[1:], *rest))
    at = at.reshape(at.shape + (1,) * len(rest)).expand(at.shape + rest)
    return UOp(Ops.GATHER, x.dtype, (grown, at), (0, kind))


def index(x: UOp, positions, indices: list[UOp], kind: str) -> UOp:
    """x[.., i0, .., i1, ..] (numpy's rule for the result's shape)."""
    if len(positions) == 1:  # x itself along p, the kernel's gather checks the index
        p, idx = positions[0], wrap_negative(indices[0], x.shape[positions[0]])
        pre, post = x.shape[:p], x.shape[p + 1:]
        ones = (1,) * (len(idx.shape) - 1)
        x = x.reshape((*pre, x.shape[p], *ones, *post)).expand(
            (*pre, x.shape[p], *idx.shape[1:], *post))
        at = idx.reshape((1,) * len(pre) + idx.shape + (1,) * len(post)).expand(
            (*pre, *idx.shape, *post))
        return UOp(Ops.GATHER, x.dtype, (x, at), (p, kind))
    at = merged_index(x.shape, positions, indices, kind)
    rows, _ = indexed_first(x, positions)
    out = gather_rows(rows, at, kind)
    return out.permute(result_order(positions, len(at.shape), len(x.shape) - len(positions)))


# *** 4. writes: index_put, scatter_add, a strided view ***


def scatter(x: UOp, axis: int, index: UOp, value: UOp, accumulate: bool, kind: str,
            dim: int | None = None) -> UOp:
    """The SCATTER kernel (lower_indexed.py): index and value (J..), len(J) == len(x.shape).
    Its check names `dim` (if given: the user's dim, where x is a merged view) or axis."""
    arg = (axis, accumulate, kind) + (() if dim is None else (dim,))
    node = UOp(Ops.SCATTER, x.dtype, (x, index.cast(int64), value.cast(x.dtype)), arg)
    return UOp(Ops.CONTIGUOUS, x.dtype, (node,))


def index_put(x: UOp, positions, value: UOp, accumulate: bool, indices: list[UOp],
              kind: str = "index") -> UOp:
    """x with x[.., i0, .., i1, ..] = value (+= if accumulate): value has numpy's result shape.
    The indexed dims merged first, the value's rows are scattered along them in order. One index
    tensor is checked by the scatter itself; several, each against its own dim first."""
    if len(positions) == 1:
        at, dim = wrap_negative(indices[0], x.shape[positions[0]]), positions[0]
    else:
        at, dim = merged_index(x.shape, positions, indices, kind), None
    rows, order = indexed_first(x, positions)
    rest = rows.shape[1:]
    back = result_order(positions, len(at.shape), len(rest))
    value = value.permute(tuple(back.index(d) for d in range(len(back))))  # (I.., rest..)
    count = at.numel
    value = value.reshape((count, *rest))
    at = at.reshape((count,) + (1,) * len(rest)).expand((count, *rest))
    out = scatter(rows, 0, at, value, accumulate, kind, dim)
    out = out.reshape(tuple(x.shape[d] for d in order))
    return out.permute(tuple(order.index(d) for d in range(len(order))))


def scatter_sum(x: UOp, axis: int, index: UOp, src: UOp, kind: str = "gather") -> UOp:
    """x + the masked sum, over a new last axis j: hit[.., i, .., j] = index[.., j, ..] == i.
    The index is read through a gather of iota (its own value where it is in range), so an
    index out of range is noted by the kernel and raised, as eager mode does. For an index that
    spans x in every dim but axis; n_i * n_j work. Repeats are summed first, then added to x:
    the same values as np.add.at's (x + v0) + v1 .., rounded in another order."""
    nd, n_i = len(x.shape), x.shape[axis]
    order = tuple(d for d in range(nd) if d != axis) + (axis,)
    lifted = tuple(1 if d == axis else n for d, n in enumerate(x.shape)) + (index.shape[axis],)
    full = tuple(x.shape) + (index.shape[axis],)  # (.., n_i, .., n_j)

    def lift(u: UOp) -> UOp:  # (.., n_j, ..) -> (.., n_i, .., n_j), j moved last
        return u.permute(order).reshape(lifted).expand(full)
    iota_i = iota(n_i).reshape(tuple(n_i if d == axis else 1 for d in range(nd + 1))).expand(full)
    at = UOp(Ops.GATHER, int64, (iota_i, lift(index).cast(int64)), (axis, kind))
    hit = UOp(Ops.CMPEQ, bool_, (at, iota_i))
    picked = UOp(Ops.WHERE, x.dtype, (hit, lift(src).cast(x.dtype), const(0, x.dtype, full)))
    total = picked.r(Ops.ADD, (nd,)).reshape(x.shape)
    return UOp(Ops.ADD, x.dtype, (x, total))


def scatter_add(x: UOp, axis: int, index: UOp, src: UOp, kind: str = "gather") -> UOp:
    """out = x; out[.., index[j], ..] += src[j] (torch.scatter_add: index may be smaller than
    x in every dim, src at least index's size). A masked sum where that is small and index
    spans x, else a SCATTER kernel."""
    if src.shape != index.shape:
        src = src.movement(Ops.SHRINK, tuple((0, n) for n in index.shape))
    n_j = index.shape[axis] if index.shape else 1
    spans = all(index.shape[d] == n for d, n in enumerate(x.shape) if d != axis)
    if index.numel == 0:
        return x
    if spans and x.numel * n_j <= SCATTER_WORK:
        return scatter_sum(x, axis, index, src, kind)
    return scatter(x, axis, index, src, True, kind)


def put_sum(x: UOp, p: int, value: UOp, idx: UOp, kind: str = "index") -> UOp:
    """x[.., idx, ..] += value as a masked scatter_add along p of idx's elements in a row."""
    pre, post, n = x.shape[:p], x.shape[p + 1:], x.shape[p]
    count = idx.numel
    value = value.reshape(tuple(pre) + (count,) + tuple(post))
    idx = wrap_negative(idx.reshape((count,)), n)
    idx = idx.reshape((1,) * len(pre) + (count,) + (1,) * len(post)).expand(value.shape)
    return scatter_sum(x, p, idx, value, kind)


def write_view(old: UOp, shape, strides, offset: int, value: UOp) -> UOp:
    """The flat storage `old` with `value` written through a strided view of it: a SCATTER at
    the view's offsets, offset + sum(i_d * stride_d), computed from iotas in the kernel."""
    at = const(offset, int64, shape)
    for d, (n, st) in enumerate(zip(shape, strides)):
        if n > 1 and st:
            i = iota(n).reshape(tuple(n if e == d else 1 for e in range(len(shape))))
            at = UOp(Ops.ADD, int64, (at, UOp(Ops.MUL, int64, (i.expand(shape),
                                                               const(st, int64, shape)))))
    count = math.prod(shape)
    return scatter(old, 0, at.reshape((count,)), value.reshape((count,)), False, "index")


# *** 5. cumsum ***


def cumsum(x: UOp, axis: int, dtype) -> UOp:
    """out[.., i, ..] = sum over j <= i of x[.., j, ..], added in order. float32 accumulates in
    float64, rounding each output once, as torch's CPU scan and eager ch2 do (1e5 times 0.1 in
    float32 steps gives 9998.6). A short axis: a reduction of x masked by j <= i, which fuses;
    a long one: a SCAN kernel, O(n) per row."""
    wide = float64 if dtype is float32 else dtype
    x = x.cast(wide)
    if not x.shape:
        return x.cast(dtype)
    n = x.shape[axis]
    if n > SCAN_FUSED:  # a reduction in x: a kernel before the scan's (lower_indexed.py)
        if any(u.op is Ops.REDUCE_AXIS for u in x.toposort()):
            x = UOp(Ops.CONTIGUOUS, wide, (x,))
        return UOp(Ops.CONTIGUOUS, dtype, (UOp(Ops.SCAN, dtype, (x,), axis),))
    order = tuple(d for d in range(len(x.shape)) if d != axis) + (axis,)
    x = x.permute(order)  # (A.., n): the scanned axis last
    lead = x.shape[:-1]
    ramp = iota(n)
    below = UOp(Ops.CMPLE, bool_, (ramp.reshape((1, n)).expand((n, n)),  # j <= i
                                   ramp.reshape((n, 1)).expand((n, n))))
    xj = x.reshape(lead + (1, n)).expand(lead + (n, n))
    masked = UOp(Ops.WHERE, wide, (below.expand(lead + (n, n)), xj,
                                   const(0, wide, lead + (n, n))))
    total = masked.r(Ops.ADD, (len(lead) + 1,)).reshape(lead + (n,)).cast(dtype)
    return total.permute(tuple(order.index(d) for d in range(len(order))))
