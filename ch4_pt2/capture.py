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
after it, as eager mode's error. The index primitives (gather, x[i], index_put, scatter_add,
cumsum) are graphs built in indexing.py: fused gathers, and SCATTER and SCAN kernels for
writes at loaded indices and long running sums. Not compiled (run on the host, as inductor's
fallback kernels): argsort alone (its docstring says why).
"""

from __future__ import annotations

import math

import numpy as np

from ch2_lego import backend as ch2
from ch2_lego import buffer
from ch2_lego.backend import Ops as Ch2Ops
from ch2_lego.buffer import Buffer
from ch2_lego.dtype import DType, bool_, from_numpy_dtype, int64
from ch2_lego.errors import DeviceError, DTypeError
from ch2_lego.storage import Size, View, broadcast_shape
from ch4_pt2 import gemm, indexing
from ch4_pt2 import plan as plans
from ch4_pt2.lazy_storage import (
    LazyStorage,
    base_buffer,
    box_of,
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
REDUCE_OPS = {Ch2Ops.SUM: Ops.ADD, Ch2Ops.PROD: Ops.MUL, Ch2Ops.REDUCE_MAX: Ops.MAX,
              Ch2Ops.REDUCE_MIN: Ops.MIN, Ch2Ops.ANY: Ops.MAX, Ch2Ops.ALL: Ops.MIN}
LOGICAL = {Ops.AND, Ops.OR, Ops.XOR, Ops.NOT}

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
        if uop.dtype not in LAZY.dtypes:  # float16: ch2's DTypeError now, not the renderer's
            LAZY.storage_dtype(uop.dtype)  # KeyError at realize (C has no portable half type)
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
        if ours is Ops.POW and dtype.category == 1 and isinstance(srcs[0], ch2.SCALARS) and \
                srcs[0] < 0:  # as torch; a tensor exponent is not checked (torch does not)
            raise DTypeError("Integers to negative integer powers are not allowed.")
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
        """argmax as a fusable pair of reductions: the least index where x equals its max.
        A NaN is the max (and min), as in torch: MAX propagates it, and NaN != NaN, so a NaN
        (x != x) is a hit too; with one in the row, the best is NaN and only NaNs hit."""
        x, n = self.uop, self.shape[axis]
        best = UOp(Ops.REDUCE_AXIS, x.dtype, (x,),
                   (Ops.MAX if op is Ch2Ops.ARGMAX else Ops.MIN, (axis,)))
        hit = UOp(Ops.CMPEQ, bool_, (x, expand(best, x.shape)))
        if x.dtype.is_floating_point:
            hit = UOp(Ops.OR, bool_, (hit, UOp(Ops.CMPNE, bool_, (x, x))))
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
        elementwise op. Any other view (a diagonal, a strided slice of a transposed tensor): a
        SCATTER kernel storing the value at the view's offsets (still a new value).
        """
        value = value.cast(self.dtype)
        v, n, old = self.view, len(self.storage), self.storage.uop
        box = box_of(v, n)
        if box is None:
            new = indexing.write_view(old, v.shape, v.strides, v.offset, value)
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
        if a.shape[-1] == 0:  # a sum of no products
            return LazyBuffer.from_uop(const(0, self.dtype, (*a.shape[:-1], b.shape[-1])))
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
        at = value_of(index)
        return LazyBuffer.from_uop(UOp(Ops.GATHER, self.dtype, (x, at),
                                       (axis, indexing.fault_kind("gather", at))))

    def index(self, shape, positions, *indices: LazyBuffer) -> LazyBuffer:
        """x[.., i0, .., i1, ..]: one GATHER, fused into its readers (indexing.py)."""
        at = [value_of(i) for i in indices]
        out = indexing.index(self.uop, positions, at, indexing.fault_kind("index", *at))
        assert out.shape == tuple(shape), (out.shape, shape)
        return LazyBuffer.from_uop(out)

    def index_put(self, positions, src: LazyBuffer, accumulate: bool, *indices: LazyBuffer,
                  out: LazyBuffer | None = None) -> LazyBuffer:
        """x[.., idx, ..] = src (+= with accumulate). One index tensor, accumulating and small
        enough: scatter_add's masked sum, fused (the backward of x[idx] and of unfold); else
        a SCATTER kernel."""
        x, value, at = self.uop, value_of(src), [value_of(i) for i in indices]
        kind = indexing.fault_kind("index", *at)  # an embedding's backward: its forward's
        if accumulate and len(positions) == 1 and \
                self.view.numel * math.prod(indices[0].shape) <= indexing.SCATTER_WORK:
            result = indexing.put_sum(x, positions[0], value, at[0], kind)
        elif any(i.view.numel == 0 for i in indices):
            result = x  # nothing to write
        else:
            result = indexing.index_put(x, positions, value, accumulate, at, kind)
        result = LazyBuffer.from_uop(result)
        return out.assign(result) if out is not None else result

    def scatter_add(self, axis: int, index: LazyBuffer, src: LazyBuffer,
                    out: LazyBuffer | None = None) -> LazyBuffer:
        """out[.., index[j], ..] = x + src[j]: a fused masked sum, or a SCATTER kernel."""
        at = value_of(index)  # a loss's backward: its forward's kind (indexing.fault_kind)
        result = LazyBuffer.from_uop(indexing.scatter_add(
            self.uop, axis, at, value_of(src), indexing.fault_kind("gather", at)))
        return out.assign(result) if out is not None else result

    def cumsum(self, axis: int, dtype: DType) -> LazyBuffer:
        return LazyBuffer.from_uop(indexing.cumsum(self.uop, axis, dtype))

    # --8<-- [start:argsort]
    def argsort(self, axis: int, descending: bool, dtype: DType) -> LazyBuffer:
        """The one op left on the host (an EXTERN node: the plan calls numpy between kernels).
        A sort's comparisons decide where each element goes, which our loop nests (each store
        at an index known from the loop variables or a loaded index) cannot say without a
        sorting network per row; it is rarely on a hot path, and inductor falls back to
        aten's sort as well."""
        def order(x):
            x = x.astype(np.float64) if x.dtype == np.bool_ else x
            return np.argsort(-x if descending else x, axis=axis, kind="stable")
        return LazyBuffer.from_uop(extern("argsort", order, self.shape, dtype, self.uop))
    # --8<-- [end:argsort]


def value_of(b: Buffer) -> UOp:
    """A lazy operand's graph; an operand on another device is an error, as in PyTorch."""
    if isinstance(b, LazyBuffer):
        return b.uop
    raise DeviceError(f"Expected all tensors to be on the same device, but found at least two "
                      f"devices, lazy and {b.device}!")


# *** 3. the device ***


def _unused(*args, **kwargs):
    raise NotImplementedError("device 'lazy' keeps no eager memory: its tensors are LazyBuffers")


LAZY = ch2.Device("lazy", _unused, _unused, _unused, _unused, buffer_class=LazyBuffer)
ch2.register_device(LAZY)
assert set(GroupOp.ALU) >= set(ALU_OPS.values()), "every ch2 ALU op has a twin in ours"
