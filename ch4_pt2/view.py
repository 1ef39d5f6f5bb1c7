"""Views: a chain of movement ops over a buffer folded into one strided layout, and index maps.

A `View(shape, strides, offset, mask)` says where element `idx` of a movement-op chain lives in
its base buffer: `offset + sum(idx[i] * strides[i])`, valid only inside `mask` (PAD's zeros lie
outside it). Folding a chain into a View turns reshape/permute/expand/... into one index
expression with no division. A reshape a View cannot absorb (of a permuted tensor, say) falls
back to `reshape_index`, which maps indices through div and mod.
Shapes: idx is one index expression (a UOp) per dim of the view's shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ch2_lego.dtype import bool_
from ch4_pt2.ops import Ops, UOp


def contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step if n != 1 else 0)
        step *= n
    return tuple(reversed(strides))


# *** 1. the View and its movement ops ***


# --8<-- [start:view]
@dataclass(frozen=True)
class View:
    """Element idx lives at offset + sum(idx * strides), if mask[i][0] <= idx[i] < mask[i][1]."""

    shape: tuple[int, ...]
    strides: tuple[int, ...]
    offset: int = 0
    mask: tuple[tuple[int, int], ...] | None = None

    @staticmethod
    def contiguous(shape) -> View:
        return View(tuple(shape), contiguous_strides(tuple(shape)))

    def permute(self, order) -> View:
        mask = tuple(self.mask[i] for i in order) if self.mask else None
        return View(tuple(self.shape[i] for i in order), tuple(self.strides[i] for i in order),
                    self.offset, mask)

    def expand(self, shape) -> View:
        strides = tuple(0 if old != new else s for old, new, s in
                        zip(self.shape, shape, self.strides))
        mask = None
        if self.mask:
            mask = tuple(m if old == new else ((0, new) if m[1] > m[0] else (0, 0))
                         for m, old, new in zip(self.mask, self.shape, shape))
        return View(tuple(shape), strides, self.offset, mask)

    def shrink(self, bounds) -> View:
        offset = self.offset + sum(s * st for (s, _), st in zip(bounds, self.strides))
        mask = None
        if self.mask:
            mask = tuple((max(0, lo - s), max(0, min(e, hi) - s))
                         for (lo, hi), (s, e) in zip(self.mask, bounds))
        return View(tuple(e - s for s, e in bounds), self.strides, offset, mask)

    def pad(self, widths) -> View:
        old = self.mask or tuple((0, n) for n in self.shape)
        mask = tuple((lo + b, hi + b) for (lo, hi), (b, _) in zip(old, widths))
        offset = self.offset - sum(b * st for (b, _), st in zip(widths, self.strides))
        shape = tuple(n + b + a for n, (b, a) in zip(self.shape, widths))
        return View(shape, self.strides, offset, mask)

    def flip(self, axes) -> View:
        offset = self.offset + sum((self.shape[i] - 1) * self.strides[i] for i in axes)
        strides = tuple(-s if i in axes else s for i, s in enumerate(self.strides))
        mask = None
        if self.mask:
            mask = tuple((n - hi, n - lo) if i in axes else (lo, hi)
                         for i, ((lo, hi), n) in enumerate(zip(self.mask, self.shape)))
        return View(self.shape, strides, offset, mask)

    def as_strided(self, arg) -> View | None:
        """Any strided view of a 1-D contiguous input (a storage): torch.as_strided."""
        if self.mask is not None or len(self.shape) != 1 or \
                (self.shape[0] > 1 and self.strides[0] != 1):
            return None
        shape, strides, offset = arg
        return View(tuple(shape), tuple(strides), self.offset + offset)

    def reshape(self, shape) -> View | None:
        """The same elements under a new shape, or None if no strides can say it (no copy)."""
        shape = tuple(shape)
        if self.mask is not None:
            return None
        old = [(n, s) for n, s in zip(self.shape, self.strides) if n != 1]
        new = [n for n in shape if n != 1]
        new_strides, o, k = [], 0, 0
        while k < len(new):  # match a run of new dims to a run of old dims of equal product
            k_end, o_end, pn, po = k + 1, o + 1, new[k], old[o][0]
            while pn != po:
                if pn < po:
                    pn, k_end = pn * new[k_end], k_end + 1
                else:
                    po, o_end = po * old[o_end][0], o_end + 1
            run = old[o:o_end]
            if any(run[i][1] != run[i + 1][0] * run[i + 1][1] for i in range(len(run) - 1)):
                return None  # the old dims of this run are not laid out as one block
            stride, group = run[-1][1], []
            for n in reversed(new[k:k_end]):
                group.append(stride)
                stride *= n
            new_strides += reversed(group)
            k, o = k_end, o_end
        it = iter(new_strides)
        return View(shape, tuple(0 if n == 1 else next(it) for n in shape), self.offset)

    def to_index(self, idx: tuple[UOp, ...]) -> tuple[UOp, UOp]:
        """(offset expression, valid expression) of element idx."""
        offset = UOp.const(self.offset)
        for i, st in zip(idx, self.strides):
            if st != 0:
                offset = offset + i * st
        valid = UOp.const(True, bool_)
        for i, (lo, hi), n in zip(idx, self.mask or (), self.shape):
            if lo > 0:
                valid = valid.alu(Ops.AND, i.ge(lo))
            if hi < n:
                valid = valid.alu(Ops.AND, i.lt(hi))
        return offset, valid
# --8<-- [end:view]


def apply_movement(view: View, node: UOp) -> View | None:
    """view with node's movement op applied on top, or None if a View cannot express it."""
    if node.op is Ops.RESHAPE:
        return view.reshape(node.arg)
    return {Ops.AS_STRIDED: view.as_strided, Ops.PERMUTE: view.permute, Ops.EXPAND: view.expand,
            Ops.SHRINK: view.shrink, Ops.PAD: view.pad, Ops.FLIP: view.flip}[node.op](node.arg)


# *** 2. index maps: one movement op, from its output index to its input index ***


def reshape_index(idx: tuple[UOp, ...], new: tuple[int, ...], old: tuple[int, ...]):
    """Input index of a reshape old -> new, group by group of dims with equal products.

    A group with one old dim needs no division: (b, t) of a (B*T,) tensor is just b*T + t.
    """
    pairs = [(i, n) for i, n in zip(idx, new) if n != 1]
    olds = [k for k, n in enumerate(old) if n != 1]
    out = [UOp.const(0)] * len(old)
    p = o = 0
    while p < len(pairs):
        p_end, o_end, pn, po = p + 1, o + 1, pairs[p][1], old[olds[o]]
        while pn != po:
            if pn < po:
                pn, p_end = pn * pairs[p_end][1], p_end + 1
            else:
                po, o_end = po * old[olds[o_end]], o_end + 1
        linear = UOp.const(0)
        for i, n in pairs[p:p_end]:
            linear = linear * n + i
        stride = math.prod(old[k] for k in olds[o:o_end])
        for k in olds[o:o_end]:
            stride //= old[k]
            out[k] = linear if o_end - o == 1 else (linear // stride) % old[k]
        p, o = p_end, o_end
    return tuple(out)


def movement_index(node: UOp, idx: tuple[UOp, ...]) -> tuple[tuple[UOp, ...], UOp | None]:
    """(index into node.src[0], validity or None) for element idx of movement op `node`."""
    src_shape, arg = node.src[0].shape, node.arg
    if node.op is Ops.RESHAPE:
        return reshape_index(idx, node.shape, src_shape), None
    if node.op is Ops.AS_STRIDED:  # a flat position in the 1-D input
        shape, strides, offset = arg
        flat = UOp.const(offset)
        for i, st in zip(idx, strides):
            flat = flat + i * st
        return (flat,), None
    if node.op is Ops.PERMUTE:
        out = [None] * len(idx)
        for i, axis in enumerate(arg):
            out[axis] = idx[i]
        return tuple(out), None
    if node.op is Ops.EXPAND:
        return tuple(UOp.const(0) if n == 1 else i for i, n in zip(idx, src_shape)), None
    if node.op is Ops.SHRINK:
        return tuple(i + s for i, (s, _) in zip(idx, arg)), None
    if node.op is Ops.FLIP:
        return tuple(UOp.const(n - 1) - i if k in arg else i
                     for k, (i, n) in enumerate(zip(idx, src_shape))), None
    # PAD: element idx is the input's idx - before, where that lies inside the input
    valid = UOp.const(True, bool_)
    for i, (b, _), n in zip(idx, arg, src_shape):
        valid = valid.alu(Ops.AND, i.ge(b)).alu(Ops.AND, i.lt(b + n))
    return tuple(i - b for i, (b, _) in zip(idx, arg)), valid
