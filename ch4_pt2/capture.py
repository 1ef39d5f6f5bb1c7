"""Capture: a lazy Buffer under ch2's Tensor, which records a graph instead of running kernels.

Device "lazy" (PyTorch's Lazy Tensor Core uses the same name): ch2's Tensor, Functions and
autograd run unchanged on it, and every Buffer method adds UOps to a graph. `numpy()` (so
`item()`, printing, `.to("cpu")`) realizes: schedules, compiles and runs the graph on the C
backend. Like ch2's eager Buffer, a LazyBuffer is a view (shape, strides, offset) of a storage;
here the storage is a cell holding the graph of its current value (lazy_storage.py: the cell,
its pending writes and realize), so an in-place write
(`assign`, `alu(out=...)`: optimizer steps, a KV-cache update) is functionalized: the cell gets a
new value and every view of the storage reads it. Pending writes are realized with the next
realize. An index out of range or an integer division by zero is noted by the kernel and raised
after it, as eager mode's error. Not compiled (run on the host, as inductor's fallback kernels):
argsort, index_put without accumulate or with several index tensors, a scatter_add or
accumulating index_put too large for a masked sum, advanced indexing with several index
tensors, cumsum over more than 1024 elements, and in-place writes through a view that is not a
box of its storage.
"""

from __future__ import annotations

import math

import numpy as np

from ch2_lego import backend as ch2
from ch2_lego import buffer
from ch2_lego.backend import Ops as Ch2Ops
from ch2_lego.buffer import Buffer
from ch2_lego.dtype import DType, bool_, from_numpy_dtype, int64
from ch2_lego.errors import DeviceError, IndexValueError, OutOfRangeError
from ch2_lego.storage import Size, View, broadcast_shape
from ch4_pt2 import gemm
from ch4_pt2 import plan as plans
from ch4_pt2.lazy_storage import (
    LazyStorage,
    base_buffer,
    const,
    expand,
    extern,
    movement,
    realize_storages,
    reshape,
)
from ch4_pt2.ops import GroupOp, Ops, UOp

# *** 1. ch2's primitives in our ops ***

# ch2's primitive -> our ALU op (FLOORDIV is IDIV; the rest share names)
ALU_OPS = {op: Ops[op.name] for op in ch2.ELEMENTWISE if op.name in Ops.__members__}
ALU_OPS[Ch2Ops.FLOORDIV] = Ops.IDIV
REDUCE_OPS = {Ch2Ops.SUM: Ops.ADD, Ch2Ops.PROD: Ops.MUL, Ch2Ops.RMAX: Ops.MAX,
              Ch2Ops.RMIN: Ops.MIN, Ch2Ops.ANY: Ops.MAX, Ch2Ops.ALL: Ops.MIN}
LOGICAL = {Ops.AND, Ops.OR, Ops.XOR, Ops.NOT}
SCATTER_WORK = 1 << 22  # elements x scattered rows up to which scatter_add is a fused kernel

# *** 2. the lazy buffer ***


class LazyBuffer(Buffer):
    """ch2's Buffer API, recording a graph. See ch2_lego/buffer.py for the method contract.

    A subclass, so that ch2's isinstance(x, Buffer) checks hold; it overrides every method.
    """

    __slots__ = ("_uop", "_generation")

    def __init__(self, storage: LazyStorage, view: View, dtype: DType, uop: UOp | None = None):
        self.storage, self.view, self.dtype = storage, view, dtype
        self._uop, self._generation = uop, storage.generation

    @classmethod
    def from_uop(cls, uop: UOp) -> LazyBuffer:
        """A new storage whose whole value is uop (what every op returns)."""
        storage = LazyStorage(reshape(uop, (uop.numel,)))
        return cls(storage, View.contiguous(Size(uop.shape)), uop.dtype, uop)

    @property
    def uop(self) -> UOp:
        """This view's value: the graph it was made from, unless its storage changed since."""
        if self._uop is None or self._generation != self.storage.generation:
            self._uop, self._generation = self._from_storage(), self.storage.generation
        return self._uop

    def _from_storage(self) -> UOp:
        flat, v = self.storage.uop, self.view
        contiguous = View.contiguous(v.shape)
        if v.offset == 0 and v.numel == len(self.storage) and (
                v.strides == contiguous.strides or v.numel <= 1):
            return reshape(flat, v.shape)
        return movement(Ops.AS_STRIDED, flat, (tuple(v.shape), tuple(v.strides), v.offset))

    @property
    def device(self) -> str:
        return "lazy"

    @property
    def shape(self) -> Size:
        return self.view.shape

    def __repr__(self) -> str:
        return f"<LazyBuffer {tuple(self.shape)} {self.dtype.name}, {self.uop.op.name}>"

    # *** creation and leaving ***

    @classmethod
    def empty(cls, shape, dtype: DType, device: str = "lazy") -> LazyBuffer:
        return cls.full(shape, 0, dtype, device)  # defined contents cost nothing here

    @classmethod
    def full(cls, shape, value, dtype: DType, device: str = "lazy") -> LazyBuffer:
        return cls.from_uop(const(value, dtype, tuple(shape)))

    @classmethod
    def from_numpy(cls, a: np.ndarray, device: str = "lazy") -> LazyBuffer:
        dtype = from_numpy_dtype(a.dtype)
        return cls.from_uop(plans.buffer_node(np.array(a, dtype=dtype.np), dtype))

    def realize(self) -> LazyBuffer:
        realize_storages([self.storage])
        return self

    def numpy(self) -> np.ndarray:
        """Realize (with every pending write), then read the elements through this view."""
        self.realize()
        base = base_buffer(self.storage.uop)
        flat = plans.BUFFER_DATA[base.arg[0]].reshape(-1)
        v, size = self.view, flat.itemsize
        return np.lib.stride_tricks.as_strided(flat[v.offset:], tuple(v.shape),
                                               tuple(s * size for s in v.strides))

    def to(self, device: str) -> Buffer:
        return buffer.from_numpy(np.asarray(self.numpy(), order="C"),
                                 ch2.canonical_device(device))

    # *** ALU ops and reductions ***

    def alu(self, op: Ch2Ops, *srcs, out: LazyBuffer | None = None) -> LazyBuffer:
        """out = op(self, *srcs) elementwise, srcs broadcast; into `out` in place if given."""
        operands = (self, *srcs)
        values = srcs if op is Ch2Ops.WHERE else operands
        dtype = next((s.dtype for s in values if isinstance(s, LazyBuffer)), self.dtype)
        shape = out.shape if out is not None else broadcast_shape(
            *(tuple(s.shape) for s in operands if isinstance(s, LazyBuffer)))
        ours = ALU_OPS[op]
        uops = []
        for k, s in enumerate(operands):
            want = bool_ if ours in LOGICAL or (op is Ch2Ops.WHERE and k == 0) else dtype
            u = const(s, want, shape) if isinstance(s, ch2.SCALARS) else expand(value_of(s), shape)
            uops.append(u.cast(want) if u.dtype is not want else u)
        result = UOp(ours, bool_ if op in ch2.COMPARE else dtype, tuple(uops))
        if out is not None:
            return out.assign_uop(result)
        return LazyBuffer.from_uop(result)

    def reduce(self, op: Ch2Ops, axes, dtype: DType | None = None,
               out: LazyBuffer | None = None) -> LazyBuffer:
        """Reduce over axes, which leave the shape: (2, 3, 4) over (1,) -> (2, 4)."""
        axes = tuple(sorted(axes))
        x = self.uop
        if op in (Ch2Ops.ARGMAX, Ch2Ops.ARGMIN):
            result = self._argbest(op, axes[0])
        else:
            if op in (Ch2Ops.ANY, Ch2Ops.ALL):
                x = x.cast(bool_)
            elif dtype is not None:
                x = x.cast(dtype)
            result = UOp(Ops.REDUCE_AXIS, x.dtype, (x,), (REDUCE_OPS[op], axes)) if axes else x
        shape = tuple(n for d, n in enumerate(self.shape) if d not in axes)
        result = reshape(result, shape)
        return out.assign_uop(result) if out is not None else LazyBuffer.from_uop(result)

    def _argbest(self, op: Ch2Ops, axis: int) -> UOp:
        """argmax as a fusable pair of reductions: the least index where x equals its max."""
        x, n = self.uop, self.shape[axis]
        best = UOp(Ops.REDUCE_AXIS, x.dtype, (x,),
                   (Ops.MAX if op is Ch2Ops.ARGMAX else Ops.MIN, (axis,)))
        hit = UOp(Ops.CMPEQ, bool_, (x, expand(best, x.shape)))
        iota = plans.buffer_node(np.arange(n, dtype=np.int64), int64)
        iota = expand(reshape(iota, tuple(n if d == axis else 1 for d in range(len(x.shape)))),
                      x.shape)
        pick = UOp(Ops.WHERE, int64, (hit, iota, const(n, int64, x.shape)))
        return UOp(Ops.REDUCE_AXIS, int64, (pick,), (Ops.MIN, (axis,)))

    # *** movement ops: views of the same storage where ch2's View allows, as in eager ***

    def _viewed(self, view: View, uop: UOp) -> LazyBuffer:
        return LazyBuffer(self.storage, view, self.dtype, uop)

    def reshape(self, shape) -> LazyBuffer:
        shape = tuple(shape)
        view = self.view.reshape(shape)
        if view is None:  # no strides say it: a copy, as in eager (and dense for its readers)
            return self.contiguous(force=True).reshape(shape)
        return self._viewed(view, reshape(self.uop, shape))

    def permute(self, order) -> LazyBuffer:
        order = tuple(order)
        if order == tuple(range(len(order))):
            return self
        return self._viewed(self.view.permute(order), movement(Ops.PERMUTE, self.uop, order))

    def expand(self, shape) -> LazyBuffer:
        shape = tuple(shape)
        return self if shape == tuple(self.shape) else \
            self._viewed(self.view.expand(shape), expand(self.uop, shape))

    def shrink(self, bounds) -> LazyBuffer:
        bounds = tuple(tuple(b) for b in bounds)
        if all(b == (0, n) for b, n in zip(bounds, self.shape)):
            return self
        view = self.view
        for d, (start, stop) in enumerate(bounds):
            if (start, stop) != (0, view.shape[d]):
                view = view.slice(d, start, stop)
        return self._viewed(view, movement(Ops.SHRINK, self.uop, bounds))

    def as_strided(self, shape, strides, offset: int) -> LazyBuffer:
        return LazyBuffer(self.storage, View(Size(shape), tuple(strides), offset), self.dtype)

    def pad(self, pads, value=0) -> LazyBuffer:
        pads = tuple(tuple(p) for p in pads)
        padded = movement(Ops.PAD, self.uop, pads)
        if value != 0:  # PAD fills zeros: choose between the input and `value` by a padded mask
            inside = movement(Ops.PAD, const(True, bool_, self.shape), pads)
            padded = UOp(Ops.WHERE, self.dtype,
                         (inside, padded, const(value, self.dtype, padded.shape)))
        return LazyBuffer.from_uop(padded)

    def flip(self, axes) -> LazyBuffer:
        return LazyBuffer.from_uop(movement(Ops.FLIP, self.uop, tuple(axes)))

    # *** data: casts, copies and the in-place write ***

    def cast(self, dtype: DType) -> LazyBuffer:
        if dtype is self.dtype:  # a copy (clone, contiguous): dense, like the eager one
            return self.contiguous(force=True)
        return LazyBuffer.from_uop(self.uop.cast(dtype))

    def contiguous(self, force: bool = False) -> LazyBuffer:
        """Self if dense already; else a dense copy, a kernel boundary as in tinygrad: its readers
        (x.transpose(1, 2).contiguous().view(B, T, C) feeding a matmul) get rows, not gathers."""
        if self.view.is_contiguous() and not force:
            return self
        if self.view.is_contiguous():
            return LazyBuffer.from_uop(self.uop)  # a copy of a dense value: the value itself
        return LazyBuffer.from_uop(UOp(Ops.CONTIGUOUS, self.dtype, (self.uop,)))

    def assign(self, src) -> LazyBuffer:
        value = const(src, self.dtype, self.shape) if isinstance(src, ch2.SCALARS) \
            else expand(value_of(src), self.shape)
        self.storage.version += 1  # assign counts the write, as the eager Buffer's does
        return self.assign_uop(value.cast(self.dtype))

    # --8<-- [start:assign]
    def assign_uop(self, value: UOp) -> LazyBuffer:
        """Functionalized in-place write: the storage's value becomes a new graph.

        The whole storage: the new value replaces the old. A box of it (a slice, as cat
        writes): where(inside the box, the value padded out, the old value), fused like any
        elementwise op. Any other view: a host scatter into a copy (still a new value).
        """
        value = value.cast(self.dtype)
        v, n, old = self.view, len(self.storage), self.storage.uop
        box = box_of(v, n)
        if box is None:
            new = extern("assign", scatter_into(v), (n,), self.dtype, old, value)
        else:
            parent, bounds = box
            pads = tuple((lo, p - hi) for p, (lo, hi) in zip(parent, bounds))
            part = reshape(value, tuple(hi - lo for lo, hi in bounds))
            if all(p == (0, 0) for p in pads):
                new = reshape(part, (n,))
            else:
                inside = movement(Ops.PAD, const(True, bool_, part.shape), pads)
                new = UOp(Ops.WHERE, self.dtype, (inside, movement(Ops.PAD, part, pads),
                                                  reshape(old, parent)))
                new = reshape(new, (n,))
        self.storage.set(new, write=True)
        self._uop, self._generation = value, self.storage.generation
        return self
    # --8<-- [end:assign]

    # *** the non-ALU primitives ***

    def matmul(self, other: LazyBuffer) -> LazyBuffer:
        """(B.., M, K) @ (B.., K, N): a broadcast multiply and a sum over K, so the scheduler
        can fuse an epilogue (bias, activation) into it. A float matmul large enough is noted
        for the BLAS (gemm.py), which reads b where it lies; else b read across its rows gets a
        dense copy first."""
        a, b = self.uop, value_of(other)
        library = gemm.wants_library(a, b)  # a BLAS call reads b transposed where it lies
        if not library and other.view.strides[-1] != 1 and other.shape[-1] > 1:
            # b read across its rows (x @ W.T): a dense copy first lets the kernel run 64
            # output lanes over b's rows, several times faster than any strided read
            b = UOp(Ops.CONTIGUOUS, b.dtype, (b,))
        *batch, m, k = a.shape
        n = b.shape[-1]
        nb = len(batch)
        a_value = a
        a = expand(reshape(a, (*batch, m, 1, k)), (*batch, m, n, k))
        order = tuple(range(nb)) + (nb + 1, nb)
        bt = reshape(movement(Ops.PERMUTE, b, order), (*batch, 1, n, k))
        prod = UOp(Ops.MUL, self.dtype, (a, expand(bt, (*batch, m, n, k))))
        total = UOp(Ops.REDUCE_AXIS, self.dtype, (prod,), (Ops.ADD, (nb + 2,)))
        if library:
            gemm.register(total, a_value, b)
        return LazyBuffer.from_uop(reshape(total, (*batch, m, n)))

    def gather(self, axis: int, index: LazyBuffer) -> LazyBuffer:
        x = self.uop
        x = movement(Ops.SHRINK, x, tuple((0, n) if d == axis else (0, index.shape[d])
                                          for d, n in enumerate(x.shape)))
        if x.shape == self.uop.shape:
            x = self.uop
        return LazyBuffer.from_uop(UOp(Ops.GATHER, self.dtype, (x, value_of(index)), axis))

    def index(self, shape, positions, *indices: LazyBuffer) -> LazyBuffer:
        """x[.., idx, ..] with one index tensor is a gather (fused); several run on the host."""
        if len(positions) == 1:
            p, idx, x = positions[0], value_of(indices[0]), self.uop
            n = const(x.shape[p], idx.dtype, idx.shape)  # x[-1] is x[n - 1], as in eager
            idx = UOp(Ops.WHERE, idx.dtype, (UOp(Ops.CMPLT, bool_, (idx, const(0, idx.dtype,
                      idx.shape))), UOp(Ops.ADD, idx.dtype, (idx, n)), idx))
            pre, post = x.shape[:p], x.shape[p + 1:]
            ones = (1,) * (len(idx.shape) - 1)
            x = expand(reshape(x, (*pre, x.shape[p], *ones, *post)),
                       (*pre, x.shape[p], *idx.shape[1:], *post))
            at = expand(reshape(idx, (1,) * len(pre) + idx.shape + (1,) * len(post)), shape)
            return LazyBuffer.from_uop(UOp(Ops.GATHER, self.dtype, (x, at), p))

        def take(x, *idx):
            return x[host_key(x, positions, idx)]
        return self._host("index", take, shape, self.dtype, self, *indices)

    def index_put(self, positions, src: LazyBuffer, accumulate: bool, *indices: LazyBuffer,
                  out: LazyBuffer | None = None) -> LazyBuffer:
        """x[.., idx, ..] = src (+= with accumulate). One index tensor, accumulating and small
        enough: scatter_add's masked sum, fused (the backward of x[idx] and of unfold); else
        on the host."""
        if accumulate and len(positions) == 1 and \
                self.view.numel * math.prod(indices[0].shape) <= SCATTER_WORK:
            result = LazyBuffer.from_uop(self._put_sum(positions[0], value_of(src),
                                                       value_of(indices[0])))
            return out.assign(result) if out is not None else result

        def put(x, s, *idx):
            x, key = x.copy(), host_key(x, positions, idx)
            if accumulate:
                np.add.at(x, key, s)
            else:
                x[key] = s
            return x
        result = self._host("index_put", put, self.shape, self.dtype, self, src, *indices)
        return out.assign(result) if out is not None else result

    def scatter_add(self, axis: int, index: LazyBuffer, src: LazyBuffer,
                    out: LazyBuffer | None = None) -> LazyBuffer:
        """out[.., i, ..] = x[.., i, ..] + sum over j of src[.., j, ..] where index[.., j, ..]
        is i: a masked reduction over j, fused (the embedding's and cross-entropy's backward),
        where index spans x in every other dim and the work is small; else on the host."""
        n_j = index.shape[axis] if index.shape else 1
        spans = index.shape and all(index.shape[d] == n for d, n in enumerate(self.shape)
                                    if d != axis)
        if spans and self.view.numel * n_j <= SCATTER_WORK and n_j > 0:
            result = LazyBuffer.from_uop(self._scatter_sum(axis, value_of(index),
                                                           value_of(src)))
            return out.assign(result) if out is not None else result

        def scatter(x, i, s):
            check_host_index(i, x.shape[axis], axis, negative=False)
            x = x.copy()
            coords = list(np.indices(i.shape, sparse=True))
            coords[axis] = i
            np.add.at(x, tuple(coords), s[tuple(slice(0, n) for n in i.shape)])
            return x
        result = self._host("scatter_add", scatter, self.shape, self.dtype, self, index, src)
        return out.assign(result) if out is not None else result

    def _scatter_sum(self, axis: int, index: UOp, src: UOp) -> UOp:
        """x + the masked sum, over a new last axis j: hit[.., i, .., j] = index[.., j, ..] == i.
        The index is read through a gather of iota (its own value where it is in range), so an
        index out of range is noted by the kernel and raised, as eager mode does."""
        x, nd, n_i = self.uop, len(self.shape), self.shape[axis]
        src = movement(Ops.SHRINK, src, tuple((0, n) for n in index.shape)) \
            if src.shape != index.shape else src
        order = tuple(d for d in range(nd) if d != axis) + (axis,)
        lifted = tuple(1 if d == axis else n for d, n in enumerate(x.shape)) + (index.shape[axis],)
        full = tuple(x.shape) + (index.shape[axis],)  # (.., n_i, .., n_j)

        def lift(u: UOp) -> UOp:  # (.., n_j, ..) -> (.., n_i, .., n_j), j moved last
            return u.permute(order).reshape(lifted).expand(full)
        iota = plans.buffer_node(np.arange(n_i, dtype=np.int64), int64)
        iota_i = iota.reshape(tuple(n_i if d == axis else 1 for d in range(nd + 1))).expand(full)
        at = UOp(Ops.GATHER, int64, (iota_i, lift(index).cast(int64)), axis)
        hit = UOp(Ops.CMPEQ, bool_, (at, iota_i))
        picked = UOp(Ops.WHERE, self.dtype, (hit, lift(src).cast(self.dtype),
                                             const(0, self.dtype, full)))
        total = picked.r(Ops.ADD, (nd,)).reshape(x.shape)
        return UOp(Ops.ADD, self.dtype, (x, total))

    def _put_sum(self, p: int, src: UOp, idx: UOp) -> UOp:
        """x[.., idx, ..] += src as a scatter_add along p of idx's elements laid in a row."""
        pre, post, n = self.shape[:p], self.shape[p + 1:], self.shape[p]
        count = math.prod(idx.shape)
        src = src.expand(tuple(pre) + idx.shape + tuple(post)).reshape(
            tuple(pre) + (count,) + tuple(post))
        idx = idx.reshape((count,)).cast(int64)
        idx = UOp(Ops.WHERE, int64, (UOp(Ops.CMPLT, bool_, (idx, const(0, int64, (count,)))),
                                     UOp(Ops.ADD, int64, (idx, const(n, int64, (count,)))), idx))
        idx = idx.reshape((1,) * len(pre) + (count,) + (1,) * len(post)).expand(src.shape)
        return self._scatter_sum(p, idx, src)

    def cumsum(self, axis: int, dtype: DType) -> LazyBuffer:
        """out[.., i, ..] = sum over j <= i of x[.., j, ..]: a reduction of x masked by j <= i,
        summed in the order numpy's cumsum adds (n^2 work: fine for an arange's n)."""
        n = self.shape[axis] if self.shape else 1
        if not self.shape or n > 1024:
            return self._host("cumsum", lambda x: np.cumsum(x, axis, dtype=dtype.np),
                              self.shape, dtype, self)
        order = tuple(d for d in range(len(self.shape)) if d != axis) + (axis,)
        x = self.uop.cast(dtype).permute(order)  # (A.., n): the scanned axis last
        lead = x.shape[:-1]
        iota = plans.buffer_node(np.arange(n, dtype=np.int64), int64)
        below = UOp(Ops.CMPLE, bool_, (iota.reshape((1, n)).expand((n, n)),  # j <= i
                                       iota.reshape((n, 1)).expand((n, n))))
        xj = x.reshape(lead + (1, n)).expand(lead + (n, n))
        masked = UOp(Ops.WHERE, dtype, (below.expand(lead + (n, n)), xj,
                                        const(0, dtype, lead + (n, n))))
        total = masked.r(Ops.ADD, (len(lead) + 1,)).reshape(lead + (n,))
        back = tuple(order.index(d) for d in range(len(order)))
        return LazyBuffer.from_uop(total.permute(back))

    def argsort(self, axis: int, descending: bool, dtype: DType) -> LazyBuffer:
        def order(x):
            x = x.astype(np.float64) if x.dtype == np.bool_ else x
            return np.argsort(-x if descending else x, axis=axis, kind="stable")
        return self._host("argsort", order, self.shape, dtype, self)

    def _host(self, name, fn, shape, dtype, *bufs: LazyBuffer) -> LazyBuffer:
        return LazyBuffer.from_uop(extern(name, fn, tuple(shape), dtype, *map(value_of, bufs)))


def check_host_index(i: np.ndarray, size: int, dim: int, negative: bool) -> None:
    """Eager's check of an index array used on the host: x[i] takes [-size, size) (else an
    IndexError), scatter [0, size) (else a RuntimeError)."""
    low = -size if negative else 0
    if i.dtype.kind in "iu" and i.size and (i.min() < low or i.max() >= size):
        bad = int(i.max()) if i.max() >= size else int(i.min())
        message = f"index {bad} is out of bounds for dimension {dim} with size {size}"
        raise OutOfRangeError(message) if negative else IndexValueError(message, bad)


def host_key(x: np.ndarray, positions, indices) -> tuple:
    """x[.., idx, ..]'s numpy key, each index checked as eager checks it."""
    key = [slice(None)] * x.ndim
    for p, i in zip(positions, indices):
        check_host_index(i, x.shape[p], p, negative=True)
        key[p] = i
    return tuple(key)


def value_of(b: Buffer) -> UOp:
    """A lazy operand's graph; an operand on another device is an error, as in PyTorch."""
    if isinstance(b, LazyBuffer):
        return b.uop
    raise DeviceError(f"Expected all tensors to be on the same device, but found at least two "
                      f"devices, lazy and {b.device}!")


def box_of(v: View, n: int):
    """(parent shape, (start, stop) per dim) if view v is a box of a contiguous tensor of n
    elements: strides nested (each a multiple of the next), the last 1. Else None."""
    dims = [(size, st) for size, st in zip(v.shape, v.strides) if size != 1]
    if not dims:
        return ((n,), ((v.offset, v.offset + 1),)) if 0 <= v.offset < n else None
    if dims[-1][1] != 1 or any(a[1] <= 0 or a[1] % b[1] for a, b in zip(dims, dims[1:])):
        return None
    parent = [n // dims[0][1]] + [a[1] // b[1] for a, b in zip(dims, dims[1:])]
    if parent[0] * dims[0][1] != n:
        return None
    bounds, rest = [], v.offset
    for (size, st), p in zip(dims, parent):
        start = (rest // st) % p if st != dims[0][1] else rest // st
        bounds.append((start, start + size))
    check = sum(lo * st for (lo, _), (_, st) in zip(bounds, dims))
    if check != v.offset or any(hi > p for (_, hi), p in zip(bounds, parent)):
        return None
    return tuple(parent), tuple(bounds)


def scatter_into(v: View):
    """A host function writing `part` through view v of a copy of the flat `old`."""
    def write(old, part):
        out = old.copy()
        np.lib.stride_tricks.as_strided(out[v.offset:], tuple(v.shape),
                                        tuple(s * out.itemsize for s in v.strides))[...] = part
        return out
    return write


# *** 3. the device ***


def _unused(*args, **kwargs):
    raise NotImplementedError("device 'lazy' keeps no eager memory: its tensors are LazyBuffers")


ch2.register_device(ch2.Device("lazy", _unused, _unused, _unused, _unused,
                               buffer_class=LazyBuffer))
assert set(GroupOp.ALU) >= set(ALU_OPS.values()), "every ch2 ALU op has a twin in ours"
