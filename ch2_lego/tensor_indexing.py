"""Tensor's indexing methods: x[...] read and written, gather/scatter, index_select/index_put,
nonzero and masked_fill.

A mixin of Tensor (tensor.py), written against Tensor's own methods. A key is split into basic
items (ints, slices, None, Ellipsis: one View of the same storage, movement.Slice) and advanced
indices (int tensors, bool masks, lists and ranges: a gather, movement.Index) applied after it,
as PyTorch does. Shapes: x[i] drops a dim, x[None] adds one, x[idx] with an int tensor idx of
shape S puts S where the indexed dim was (several broadcast together).
"""

from __future__ import annotations

import numpy as np

from ch2_lego import function
from ch2_lego import function_movement as movement
from ch2_lego.autograd import TensorBase
from ch2_lego.dtype import PT_NAMES, bool_, int32, int64
from ch2_lego.errors import (
    AutogradError,
    DTypeError,
    InvalidArgumentError,
    OutOfRangeError,
    ShapeError,
)
from ch2_lego.storage import View, normalize_dim
from ch2_lego.tensor_movement import _broadcast_into

# In annotations only: Tensor (tensor.py) is built from these mixins and TensorBase.
Tensor = TensorBase


class IndexingMixin:
    """x[...], gather and scatter; see the module docstring."""

    __slots__ = ()

    def _parse_index(self, key):
        """Split a key into basic items (a view) and advanced indices applied after it."""
        key = key if isinstance(key, tuple) else (key,)
        items = []
        for k in key:
            if isinstance(k, range):  # x[range(2, 5)] is x[[2, 3, 4]]
                k = self._from_numpy(np.asarray(k, np.int64), self._buf.device)
            if isinstance(k, list | np.ndarray | bool):
                k = self._from_numpy(np.asarray(k), self._buf.device)
            if isinstance(k, TensorBase) and k.ndim == 0 and not k.dtype.is_floating_point \
                    and k.dtype is not bool_:
                k = int(k.item())
            if isinstance(k, TensorBase) and k.dtype.is_floating_point:
                raise OutOfRangeError("tensors used as indices must be long, int, byte or bool "
                                      "tensors")
            items.append(k)
        consumed = sum(k.ndim if isinstance(k, TensorBase) and k.dtype is bool_ else
                       0 if k is None or k is Ellipsis else 1 for k in items)
        if consumed > self.ndim:
            raise OutOfRangeError(f"too many indices for tensor of dimension {self.ndim}")
        if sum(k is Ellipsis for k in items) > 1:
            raise OutOfRangeError("an index can only have a single ellipsis ('...')")
        if any(k is Ellipsis for k in items):
            i = next(i for i, k in enumerate(items) if k is Ellipsis)
            items[i:i + 1] = [slice(None)] * (self.ndim - consumed)
        basic, advanced, dim, out_dim = [], [], 0, 0
        for k in items:
            if k is None:
                basic.append(None)
                out_dim += 1
            elif isinstance(k, slice):
                basic.append(k)
                dim, out_dim = dim + 1, out_dim + 1
            elif isinstance(k, TensorBase) and k.dtype is bool_ and k.ndim == 0:
                # x[True] adds a dim of size 1, x[False] one of size 0 (an empty index into it)
                basic.append(None)
                if not k.item():
                    advanced.append((out_dim, self._zeros((0,), int64, self._buf.device)))
                out_dim += 1
            elif isinstance(k, TensorBase) and k.dtype is bool_:
                check_mask(k, self.shape, dim)
                for idx in np.nonzero(k.detach().numpy()):
                    advanced.append((out_dim, self._from_numpy(idx.astype(np.int64),
                                                               self._buf.device)))
                    basic.append(slice(None))
                    out_dim += 1
                dim += k.ndim
            elif isinstance(k, TensorBase):  # its range is checked by the kernel
                advanced.append((out_dim, k if k.dtype is int64 else k.long()))
                basic.append(slice(None))
                dim, out_dim = dim + 1, out_dim + 1
            elif isinstance(k, int | np.integer):
                basic.append(int(k))
                dim += 1
            else:  # a float, a string, ...: never silently truncated to an int
                raise OutOfRangeError("only integers, slices (`:`), ellipsis (`...`), None and "
                                      "long or byte Variables are valid indices (got "
                                      f"{type(k).__name__})")
        return tuple(basic), advanced

    # --8<-- [start:getitem]
    def __getitem__(self, key) -> Tensor:
        basic, advanced = self._parse_index(key)
        out = self
        if any(not (isinstance(b, slice) and b == slice(None)) for b in basic) or not advanced:
            out = movement.Slice.apply(self, basic)
        if advanced:
            positions = tuple(p for p, _ in advanced)
            out = movement.Index.apply(out, positions, *(i for _, i in advanced))
        return out
    # --8<-- [end:getitem]

    def __setitem__(self, key, value) -> None:
        basic, advanced = self._parse_index(key)
        value = value if isinstance(value, TensorBase) else self._scalar(value, self)
        _check_no_partial_overlap(self._buf.view.getitem(basic), self, value)
        if value.ndim and value.shape[0] == 1:  # torch drops a value's leading size-1 dims
            ones = next((k for k, n in enumerate(value.shape) if n != 1), value.ndim)
            value = value.reshape(value.shape[ones:])
        if self._recording(value):
            if advanced and any(b != slice(None) for b in basic):
                raise AutogradError("ch2_lego: in-place indexed assignment mixing slices and "
                                    "tensor indices is not differentiable; use index_put")
            if advanced:
                positions = tuple(p for p, _ in advanced)
                self._adopt(movement.IndexPut.apply(self._saved_self(), positions,
                                                    value.to(self.dtype), False,
                                                    *(i for _, i in advanced)))
            else:
                mask = movement.Unslice.apply(self._ones_like(self[basic]), self.shape, basic)
                part = movement.Unslice.apply(value.to(self.dtype).expand(self[basic].shape),
                                       self.shape, basic)
                self._adopt(self._saved_self() * (1 - mask) + part)
            return
        target = self._view_raw(self._buf.view.getitem(basic))
        target._check_writable()
        value = value.detach().to(self.dtype)._buf
        buf = target._buf
        if advanced:
            positions = tuple(p for p, _ in advanced)
            shape = movement._index_shape(target.shape, positions, [i.shape for _, i in advanced])
            src = value.expand(_broadcast_into(value.shape, shape))
            buf.index_put(positions, src, False, *(i._buf for _, i in advanced), out=buf)
            buf.storage.version += 1
        else:
            buf.assign(value.expand(_broadcast_into(value.shape, target.shape)))

    def gather(self, dim: int, index: Tensor) -> Tensor:
        d = normalize_dim(dim, self.ndim)
        if index.ndim != self.ndim:
            raise ShapeError("Index tensor must have the same number of dimensions as input "
                             "tensor")
        if index.dtype not in (int32, int64):
            raise DTypeError("gather(): Expected dtype int32/int64 for index")
        for k in range(self.ndim):
            if k != d and index.shape[k] > self.shape[k]:
                raise ShapeError(f"Size does not match at dimension {k} expected index "
                                 f"{list(index.shape)} to be smaller than self "
                                 f"{list(self.shape)} apart from dimension {d}")
        return movement.Gather.apply(self, d, index.long())

    def scatter_add(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        d = normalize_dim(dim, self.ndim)
        if index.dtype.is_floating_point or index.dtype.name == "bool":  # .long() would truncate
            raise DTypeError("scatter(): Expected dtype int32/int64 for index")
        if index.ndim != self.ndim or src.ndim != self.ndim:
            raise ShapeError("Index tensor must have the same number of dimensions as self "
                             "tensor")
        for k in range(self.ndim):
            if index.shape[k] > src.shape[k] or (k != d and index.shape[k] > self.shape[k]):
                raise ShapeError(f"Expected index {list(index.shape)} to be smaller than self "
                                 f"{list(self.shape)} apart from dimension {d} and to be "
                                 f"smaller size than src {list(src.shape)}")
        return movement.ScatterAdd.apply(self, d, index.long(), src)

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        d = normalize_dim(dim, self.ndim)
        if index.dtype.is_floating_point or index.dtype.name == "bool":  # torch: int32/int64
            raise DTypeError("index_select(): Expected dtype int32 or int64 for index")
        if index.ndim > 1:
            raise OutOfRangeError("index_select(): Index is supposed to be a vector")
        return self[(slice(None),) * d + (index.long().reshape(-1),)]

    def index_add(self, dim: int, index: Tensor, source: Tensor, alpha=1) -> Tensor:
        d = normalize_dim(dim, self.ndim)
        if index.numel() != (source.shape[d] if source.ndim else 1):
            raise ShapeError(f"index_add_(): Number of indices ({index.numel()}) should be equal "
                             f"to source.size(dim): ({source.shape[d]}), for dim: {dim}")
        source = source * alpha if alpha != 1 else source
        return movement.IndexPut.apply(self, (d,), source, True, index.long())

    def index_put(self, indices, values: Tensor, accumulate: bool = False) -> Tensor:
        """A copy with `values` written (or added) at `indices`, one index tensor per leading
        dim; a bool mask stands for the coordinates of its True elements, one per dim it covers,
        as in `x[mask] = values`."""
        flat = []
        for i in indices:
            if i.dtype is bool_:
                check_mask(i, self.shape, len(flat))
                flat.extend(i.nonzero(as_tuple=True))
            else:
                flat.append(i.long())
        indices = tuple(flat)
        return movement.IndexPut.apply(self, tuple(range(len(indices))), values, accumulate,
                                       *indices)

    def nonzero(self, *, as_tuple: bool = False):
        """Coordinates of the nonzero elements: (N, ndim) int64, or one tensor per dim."""
        coords = np.nonzero(self.detach().to("cpu")._values())
        dev = self._buf.device
        if as_tuple:
            return tuple(self._from_numpy(c.astype(np.int64), dev) for c in coords)
        return self._from_numpy(np.stack(coords, -1).astype(np.int64).reshape(-1, self.ndim), dev)

    def masked_fill(self, mask: Tensor, value) -> Tensor:
        if mask.dtype is not bool_:
            raise DTypeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                             f"{PT_NAMES[mask.dtype.name].lower()}")
        if not isinstance(value, TensorBase | int | float | bool | np.number | np.bool_):
            raise TypeError(f"masked_fill(): argument 'value' must be a Number or a Tensor, not "
                            f"{type(value).__name__}")
        if isinstance(value, TensorBase):
            value = value.to(self.dtype)
        elif isinstance(value, np.number | np.bool_):
            value = value.item()  # a python number reaches the kernel as it is: no buffer
        return function.Where.apply(mask, value, self)


# *** checks ***


def _span(view: View) -> tuple[int, int] | None:
    """The lowest and highest storage positions a view reads, or None when it is empty."""
    if view.numel == 0:
        return None
    lo = view.offset + sum((n - 1) * s for n, s in zip(view.shape, view.strides) if s < 0)
    hi = view.offset + sum((n - 1) * s for n, s in zip(view.shape, view.strides) if s > 0)
    return lo, hi


def _check_no_partial_overlap(target: View, dst: Tensor, src: Tensor) -> None:
    """x[...] = y where y reads memory the write changes: the result would depend on the order
    of the copy, so torch refuses it (the same view exactly is fine)."""
    if src._buf.storage is not dst._buf.storage or src._buf.view == target:
        return
    a, b = _span(target), _span(src._buf.view)
    if a is not None and b is not None and a[0] <= b[1] and b[0] <= a[1]:
        raise InvalidArgumentError("unsupported operation: some elements of the input tensor "
                                   "and the written-to tensor refer to a single memory location. "
                                   "Please clone() the tensor before performing the operation.")


def check_mask(mask: Tensor, shape: tuple[int, ...], dim: int) -> None:
    """A bool mask used as an index must have the shape of the dims it covers, from `dim` on."""
    mask_shape, here = tuple(mask.shape), tuple(shape[dim:dim + mask.ndim])
    if mask_shape != here:
        j = next((j for j, (a, b) in enumerate(zip(mask_shape, here)) if a != b), len(here))
        raise OutOfRangeError(f"The shape of the mask {list(mask_shape)} at index {j} does not "
                              f"match the shape of the indexed tensor {list(shape)} at index "
                              f"{dim + j}")
