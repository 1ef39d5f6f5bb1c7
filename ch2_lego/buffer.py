# --8<-- [start:buffer_api]
"""Buffer: storage + view + dtype + device, with the small functional API the Functions use.

This is the seam between the front end and the devices, as tinygrad's LazyBuffer sits under its
mlops: Function forwards (function.py) call only these methods. The eager `Buffer` runs a kernel
per call through the dispatcher (backend.run); chapter 4's lazy buffer implements the same
methods by recording a graph, and a device names its buffer class (`Device.buffer_class`).

A second buffer class implements exactly these:
    creation    empty(shape, dtype, device), full(shape, value, dtype, device),
                from_numpy(array, device)                    (classmethods)
    leaving     numpy() -> host array, to(device) -> Buffer on another device
    ALU         alu(op, *srcs, out=None): elementwise op over self and srcs (Buffers or
                python numbers), broadcast; reduce(op, axes, dtype=None, out=None)
    movement    reshape, permute, expand, pad, shrink, flip, as_strided (new Buffers)
    data        cast(dtype), contiguous(), assign(src) (the one in-place write)
    non-ALU     matmul, gather, scatter_add, index, index_put, cumsum, argsort
and the attributes shape, dtype, device, view (a storage.View; its strides are what
Tensor.stride() reports) and storage (with `version`, bumped by in-place writes).
"""
# --8<-- [end:buffer_api]

from __future__ import annotations

import math

import numpy as np

from ch2_lego.backend import COMPARE, DEVICES, NUMBERS, Ops, canonical_device, get_device, run
from ch2_lego.dtype import PT_NAMES, DType, bool_, from_numpy_dtype
from ch2_lego.errors import DTypeError
from ch2_lego.storage import Size, Storage, View, broadcast_shape


def buffer_class(device: str) -> type:
    """The Buffer class of `device`: its own (chapter 4's lazy one) or the eager Buffer."""
    dev = DEVICES.get(device) or get_device(device)
    return dev.buffer_class or Buffer


def empty(shape, dtype: DType, device: str) -> Buffer:
    return buffer_class(device).empty(shape, dtype, device)


def full(shape, value, dtype: DType, device: str) -> Buffer:
    return buffer_class(device).full(shape, value, dtype, device)


def from_numpy(a: np.ndarray, device: str) -> Buffer:
    return buffer_class(device).from_numpy(a, device)


class Buffer:
    """An eager buffer: a View of a Storage, of one dtype, on the storage's device."""

    __slots__ = ("storage", "view", "dtype", "shape", "handle")

    def __init__(self, storage: Storage, view: View, dtype: DType):
        self.storage, self.view, self.dtype = storage, view, dtype
        self.shape: Size = view.shape  # read on every op: an attribute, not a property
        # the kernels' handle of this view (Device.operand), made by the first kernel that
        # reads or writes it and kept: storage and view never change, so neither does it
        self.handle = None

    @property
    def device(self) -> str:
        return self.storage.device

    def __repr__(self) -> str:
        return (f"<Buffer {tuple(self.shape)} {self.dtype.name} on {self.device}, strides "
                f"{self.view.strides}, offset {self.view.offset}>")

    # *** 1. creation: memory from the device, constants by a FILL kernel, data by upload ***

    # --8<-- [start:buffer_creation]
    @classmethod
    def empty(cls, shape, dtype: DType, device: str) -> Buffer:
        """Fresh contiguous memory; the contents are whatever the allocator returns."""
        dev = DEVICES.get(device) or get_device(device)
        data = dev.alloc(math.prod(shape), dev.storage_dtype(dtype))
        return cls(Storage(data, device, dtype), View.contiguous(tuple(shape)), dtype)

    @classmethod
    def full(cls, shape, value, dtype: DType, device: str) -> Buffer:
        out = cls.empty(shape, dtype, device)
        run(Ops.FILL, out, value if type(value) in NUMBERS else value.item())  # numpy: a number
        return out
    # --8<-- [end:buffer_creation]

    @classmethod
    def from_numpy(cls, a: np.ndarray, device: str) -> Buffer:
        """Upload a host array (on "cpu": share its memory when the strides allow)."""
        dtype = from_numpy_dtype(a.dtype)
        if a.dtype != dtype.np or any(s < 0 or s % a.itemsize for s in a.strides):
            a = np.array(a, dtype=dtype.np, order="C")
        if a.flags.c_contiguous:
            flat, strides = a.reshape(-1), None
        else:  # a strided host array: a flat window over all the memory it spans
            extent = 1 + sum((n - 1) * s for n, s in zip(a.shape, a.strides)) // a.itemsize
            flat = np.lib.stride_tricks.as_strided(a, (extent,) if a.size else (0,),
                                                   (a.itemsize,))
            strides = tuple(s // a.itemsize for s in a.strides)
        dev = get_device(device)
        stored = dev.storage_dtype(dtype)
        if stored is not dtype:
            flat = _narrow(flat, dtype, stored, device)
        view = View.contiguous(a.shape) if strides is None else View(Size(a.shape), strides)
        return cls(Storage(dev.from_numpy(flat), device, dtype), view, dtype)

    # *** 2. leaving the device ***

    def numpy(self) -> np.ndarray:
        """The elements as a host array: on "cpu" a view of the same memory, else a download."""
        dev = get_device(self.device)
        if self.device == "cpu":
            return dev.operand(self.storage, self.view)
        src = self if self.view.numel == len(self.storage) else self.contiguous(force=True)
        host = Storage(dev.to_numpy(src.storage.data), "cpu", self.dtype)
        a = get_device("cpu").operand(host, src.view)
        return a if a.dtype == self.dtype.np else a.astype(self.dtype.np)

    def to(self, device: str) -> Buffer:
        """A copy on another device, through the host (same shape, 0-d included)."""
        # NOTE: not np.ascontiguousarray, which turns a 0-d array into shape (1,)
        return from_numpy(np.array(self.numpy(), order="C"), canonical_device(device))

    # *** 3. ALU ops and reductions ***

    # --8<-- [start:buffer_alu]
    def alu(self, op: Ops, *srcs, out: Buffer | None = None) -> Buffer:
        """out = op(self, *srcs), elementwise; srcs are Buffers or python numbers.

        Shapes: the buffers broadcast together (stride-0 views); with `out` (which may be self or
        a src: in place) they broadcast to out's shape. The result is bool for comparisons and
        logic, else the dtype of the values (WHERE: of its second operand).
        """
        if out is None:
            shape = self.shape
            for s in srcs:  # usually all one shape: broadcast only when they differ
                if type(s) not in NUMBERS and s.shape != shape:
                    shape = broadcast_shape(self.shape, *[s.shape for s in srcs
                                                          if type(s) not in NUMBERS])
                    break
            dtype = self.dtype
            if op is Ops.WHERE:  # the values' dtype, not the condition's
                dtype = next((s.dtype for s in srcs if type(s) not in NUMBERS), dtype)
            out = type(self).empty(shape, bool_ if op in COMPARE else dtype,
                                   self.storage.device)
        shape = out.shape
        run(op, out, self if self.shape == shape else self.expand(shape),
            *[s if type(s) in NUMBERS or s.shape == shape else s.expand(shape) for s in srcs])
        return out
    # --8<-- [end:buffer_alu]

    def reduce(self, op: Ops, axes: tuple[int, ...], dtype: DType | None = None,
               out: Buffer | None = None) -> Buffer:
        """Reduce over `axes`, which leave the shape. Shapes: (2, 3, 4) over (1,) -> (2, 4)."""
        if out is None:
            shape = tuple(n for d, n in enumerate(self.shape) if d not in axes)
            out = empty(shape, dtype or self.dtype, self.device)
        run(op, out, self, axes=axes)
        return out

    # *** 4. movement ops: new views of the same storage where the strides allow ***

    # --8<-- [start:buffer_movement]
    def _viewed(self, view: View) -> Buffer:
        return type(self)(self.storage, view, self.dtype)

    def reshape(self, shape) -> Buffer:
        """The same elements in row-major order under `shape`; copies only when the strides
        forbid a view (see View.reshape)."""
        view = self.view.reshape(tuple(shape))
        return self.contiguous(force=True).reshape(shape) if view is None else self._viewed(view)

    def permute(self, order: tuple[int, ...]) -> Buffer:
        return self._viewed(self.view.permute(tuple(order)))

    def expand(self, shape) -> Buffer:
        return self if tuple(shape) == self.shape else self._viewed(self.view.expand(tuple(shape)))

    def shrink(self, bounds: tuple[tuple[int, int], ...]) -> Buffer:
        """Keep [start, stop) of each dim. Shapes: (4, 5) shrink ((1, 3), (0, 5)) -> (2, 5)."""
        view = self.view
        for d, (start, stop) in enumerate(bounds):
            if (start, stop) != (0, view.shape[d]):
                view = view.slice(d, start, stop)
        return self._viewed(view)

    def as_strided(self, shape, strides, offset: int) -> Buffer:
        """Any view of the same storage; `offset` counts from the storage's start."""
        return self._viewed(View(Size(shape), tuple(strides), offset))
    # --8<-- [end:buffer_movement]

    def pad(self, pads: tuple[tuple[int, int], ...], value=0) -> Buffer:
        """A new buffer, `value` around a copy of self. Shapes: (2,) pad ((1, 2),) -> (5,)."""
        shape = tuple(n + lo + hi for n, (lo, hi) in zip(self.shape, pads))
        out = full(shape, value, self.dtype, self.device)
        out.shrink(tuple((lo, lo + n) for n, (lo, _) in zip(self.shape, pads))).assign(self)
        return out

    def flip(self, axes: tuple[int, ...]) -> Buffer:
        """A new buffer with `axes` reversed: a COPY through negative strides."""
        view = self.view
        strides, offset = list(view.strides), view.offset
        for d in axes:
            if view.shape[d] > 0:
                offset += (view.shape[d] - 1) * strides[d]
                strides[d] = -strides[d]
        return self.as_strided(view.shape, strides, offset).contiguous(force=True)

    # *** 5. data: casts, copies and the one in-place write ***

    def cast(self, dtype: DType) -> Buffer:
        out = empty(self.shape, dtype, self.device)
        run(Ops.COPY, out, self)
        return out

    def contiguous(self, force: bool = False) -> Buffer:
        """Self if already dense row-major (unless `force`), else a dense copy."""
        return self if self.view.is_contiguous() and not force else self.cast(self.dtype)

    def assign(self, src) -> Buffer:
        """Write src (a Buffer broadcast to self's shape, or a number) into self's elements,
        casting to self's dtype; the storage's version counts the write."""
        run(Ops.COPY, self, src if type(src) in NUMBERS else src.expand(self.shape))
        self.storage.version += 1
        return self

    # *** 6. the non-ALU primitives ***

    def matmul(self, other: Buffer) -> Buffer:
        """Shapes: (B.., M, K) @ (B.., K, N) -> (B.., M, N), batch dims already equal."""
        out = empty(self.shape[:-1] + other.shape[-1:], self.dtype, self.device)
        run(Ops.MATMUL, out, self, other)
        return out

    def gather(self, axis: int, index: Buffer) -> Buffer:
        out = empty(index.shape, self.dtype, self.device)
        run(Ops.GATHER, out, self, index, axis=axis)
        return out

    def scatter_add(self, axis: int, index: Buffer, src: Buffer, out: Buffer | None = None):
        out = out if out is not None else empty(self.shape, self.dtype, self.device)
        run(Ops.SCATTER_ADD, out, self, index, src, axis=axis)
        return out

    def index(self, shape, positions: tuple[int, ...], *indices: Buffer) -> Buffer:
        """self[.., i0, .., i1, ..] with int buffers at `positions`; `shape` is the result's."""
        out = empty(shape, self.dtype, self.device)
        run(Ops.INDEX, out, self, *indices, positions=positions)
        return out

    def index_put(self, positions, src: Buffer, accumulate: bool, *indices: Buffer,
                  out: Buffer | None = None) -> Buffer:
        out = out if out is not None else empty(self.shape, self.dtype, self.device)
        run(Ops.INDEX_PUT, out, self, src, *indices, positions=positions, accumulate=accumulate)
        return out

    def cumsum(self, axis: int, dtype: DType) -> Buffer:
        out = empty(self.shape, dtype, self.device)
        run(Ops.CUMSUM, out, self, axis=axis)
        return out

    def argsort(self, axis: int, descending: bool, dtype: DType) -> Buffer:
        out = empty(self.shape, dtype, self.device)
        run(Ops.ARGSORT, out, self, axis=axis, descending=descending)
        return out


def _narrow(flat: np.ndarray, dtype: DType, stored: DType, device: str) -> np.ndarray:
    """A host array in the narrower type a device keeps `dtype` in, refusing values that would
    not survive the trip (int64 past int32's range)."""
    if stored.np.kind in "iu" and flat.size:
        info = np.iinfo(stored.np)
        lo, hi = int(flat.min()), int(flat.max())
        if lo < info.min or hi > info.max:
            bad = lo if lo < info.min else hi
            raise DTypeError(f"value {bad} of a '{PT_NAMES[dtype.name]}' tensor does not fit in "
                             f"the {stored.name} that device '{device}' stores it in")
    return flat.astype(stored.np)

