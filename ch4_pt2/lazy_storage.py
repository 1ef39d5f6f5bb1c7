"""The lazy storage: a cell holding the graph of a flat buffer's current value, and realize.

capture.py's LazyBuffer is a view (shape, strides, offset) of a LazyStorage, as ch2's eager
Buffer is a view of a Storage. Here the storage's "memory" is a 1-D graph (`uop`); an in-place
write gives the cell a new graph (functionalization), and realizing replaces the graph by a
BUFFER node holding the computed array. This module keeps the bookkeeping that ties cells to
realizes: which storages were written in place and must be realized with the next realize
(PENDING), which are alive (compile realizes them before a trace), which failed, and the
`realize_storages` that schedules, compiles and runs their graphs on the C backend (plan.py).
It also holds the small graph builders that capture uses everywhere (reshape, expand, a constant
tensor, a movement op, a host call), and `box_of`, which tells an in-place write into a box of
its storage (a slice: a masked select) from one through any other view (a SCATTER).
"""

from __future__ import annotations

import itertools
import weakref

from ch2_lego.dtype import DType
from ch2_lego.errors import IndexValueError, IntegerDivisionError, OutOfRangeError
from ch2_lego.storage import View
from ch4_pt2 import plan as plans
from ch4_pt2.ops import Ops, UOp

# *** 1. graph builders: the UOp methods as functions, the words capture.py is written in ***


def reshape(u: UOp, shape) -> UOp:
    return u.reshape(shape)


def expand(u: UOp, shape) -> UOp:
    return u.expand(shape)


def const(value, dtype: DType, shape) -> UOp:
    return UOp.full(value, dtype, tuple(shape))


def movement(op: Ops, u: UOp, arg) -> UOp:
    return u.movement(op, arg)


def extern(name: str, fn, shape, dtype: DType, *srcs: UOp) -> UOp:
    return UOp(Ops.EXTERN, dtype, srcs, plans.ExternCall(name, fn, tuple(shape)))


# *** 2. the storage cell and its pending writes ***


class LazyStorage:
    """A flat buffer's current value as a graph (`uop`, 1-D); `version` counts in-place writes
    as ch2's Storage does (autograd checks it); `generation` also counts realizes."""

    __slots__ = ("uop", "device", "version", "generation", "epoch", "written", "__weakref__")

    def __init__(self, uop: UOp):
        self.uop, self.device, self.version, self.generation = uop, "lazy", 0, 0
        self.epoch = self.written = EPOCH[0]  # the realize count at its birth, at its last write
        ALL.add(self)
        if uop.op is Ops.BUFFER or uop.op is Ops.RESHAPE and uop.src[0].op is Ops.BUFFER:
            STORAGE_OF[base_buffer(uop).arg[0]] = self

    def __len__(self) -> int:
        return self.uop.numel

    @property
    def dtype(self) -> DType:
        return self.uop.dtype

    @property
    def data(self) -> LazyStorage:
        """What ch2's untyped_storage() compares (data_ptr is id(data)): the cell itself."""
        return self

    @property
    def nbytes(self) -> int:
        return len(self) * self.uop.dtype.itemsize

    @property
    def realized(self) -> bool:
        return base_buffer(self.uop) is not None

    def set(self, uop: UOp, write: bool) -> None:
        """Give the storage a new value: an in-place write (write=True), or its realized form."""
        self.uop, self.generation = uop, self.generation + 1
        if write:
            PENDING.add(self)
            self.written = EPOCH[0]
        if self.realized:
            STORAGE_OF[base_buffer(uop).arg[0]] = self

    def __repr__(self) -> str:
        return f"LazyStorage(size={len(self)}, version={self.version})"


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


def base_buffer(u: UOp) -> UOp | None:
    """The BUFFER under u if u is one, or a reshape of one (a realized value), else None."""
    u = u.src[0] if u.op is Ops.RESHAPE else u
    return u if u.op is Ops.BUFFER else None


# A storage written in place after the graph it was born in (parameters, optimizer state) is
# realized with the next realize, so its graph does not grow from step to step; one born and
# written within one graph (a Function's temporary) is just a value of that graph.
PENDING: weakref.WeakSet = weakref.WeakSet()  # storages written in place, not yet realized
ALL: weakref.WeakSet = weakref.WeakSet()  # every live storage (compile realizes them first)
FAILED: weakref.WeakSet = weakref.WeakSet()  # storages whose realize raised (compile skips them)
STORAGE_OF: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # buffer id -> storage
EPOCH = [0]  # how many realizes have run (outside compile's traces)
TRACING = [False]  # inside compile's trace: a realize computes only what was asked for


def realize_storages(storages) -> None:
    """Realize the given storages and every older storage written in place, in one schedule."""
    old_writes = [] if TRACING[0] else [s for s in list(PENDING) if s.written > s.epoch]
    todo = list(dict.fromkeys(itertools.chain(storages, old_writes)))
    todo = [s for s in todo if not s.realized]
    # realize the value under a storage's top-level reshape: the flat view of it is free
    values = [s.uop.src[0] if s.uop.op is Ops.RESHAPE else s.uop for s in todo]
    try:
        nodes = plans.realize(values)
    except (IndexValueError, OutOfRangeError, IntegerDivisionError):  # a kernel's fault:
        FAILED.update(todo)  # these stay graphs, raising again when asked for; no later
        # realize takes them
        PENDING.difference_update(todo)
        raise
    for storage, node in zip(todo, nodes):
        storage.set(reshape(node, (len(storage),)), write=False)
    PENDING.difference_update(todo)
    EPOCH[0] += not TRACING[0]
