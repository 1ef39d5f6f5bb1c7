"""Storage and views: a flat buffer, and the (shape, strides, offset) that make it a tensor.

A tensor's element at index (i0, i1, ...) lives at `offset + sum_k ik * strides[k]` of its
storage. Every movement op (view, permute, expand, slicing, squeeze, ...) is a new `View` of the
same storage, computed here with exactly PyTorch's stride rules; no element is copied. Shapes are
tuples of ints; strides count elements, not bytes; dims may be negative and wrap, as in PyTorch.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from ch2_lego.errors import OutOfRangeError, ShapeError

# *** 1. free functions on shapes and strides ***


class Size(tuple):
    """torch.Size: a tuple of ints that prints as `ch2_lego.Size([2, 3])`."""

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"ch2_lego.Size({list(self)})"


def normalize_dim(dim: int, ndim: int) -> int:
    """Wrap a possibly negative dim into [0, ndim); a 0-dim tensor accepts dims 0 and -1."""
    if isinstance(dim, bool) or not hasattr(dim, "__index__"):  # 1.5 or "a": not a dim at all
        raise TypeError(f"argument 'dim' must be int, not {type(dim).__name__}")
    lo, hi = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    if not lo <= dim <= hi:
        raise OutOfRangeError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                              f"but got {dim})")
    return dim % max(ndim, 1)


# --8<-- [start:contiguous_strides]
def contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Row-major strides: the last dim moves by 1, each earlier dim by the size of all later ones.

    Shapes: (2, 3, 4) -> (12, 4, 1). A size-0 dim counts as 1, as in PyTorch, so that strides
    stay positive and distinct.
    """
    # EXERCISE 2.1: walk the dims from last to first, multiplying the running stride
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))
    # END EXERCISE
# --8<-- [end:contiguous_strides]


def index_to_position(index: tuple[int, ...], strides: tuple[int, ...], offset: int = 0) -> int:
    """Where element `index` lives in the storage: offset + sum_k index[k] * strides[k]."""
    return offset + sum(i * s for i, s in zip(index, strides))


def unravel_index(position: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The inverse of index_to_position for contiguous strides: linear position -> index."""
    index = []
    for size in reversed(shape):
        position, i = divmod(position, size)
        index.append(i)
    return tuple(reversed(index))


# --8<-- [start:broadcast_shape]
def broadcast_shape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape two or more operands broadcast to, as in PyTorch and numpy.

    Shapes are aligned on the right; missing leading dims count as 1; in each dim the sizes must
    be equal or 1, and the result takes the other size. (3, 1) and (4,) -> (3, 4).
    """
    # EXERCISE 2.4: align the shapes on the right and pick each dim's size, or raise ShapeError
    ndim = max(len(s) for s in shapes)
    out = [1] * ndim
    for shape in shapes:
        for i, size in enumerate(shape, start=ndim - len(shape)):
            if size == out[i] or size == 1:
                continue
            if out[i] != 1:
                raise ShapeError(f"The size of tensor a ({out[i]}) must match the size of "
                                 f"tensor b ({size}) at non-singleton dimension {i}")
            out[i] = size
    return tuple(out)
    # END EXERCISE
# --8<-- [end:broadcast_shape]


# *** 2. the view: shape, strides, offset ***


@dataclass(frozen=True)
class View:
    """How a tensor reads its storage: element (i0, i1, ...) is at offset + sum_k ik*strides[k]."""

    shape: tuple[int, ...]
    strides: tuple[int, ...]
    offset: int = 0

    @staticmethod
    def contiguous(shape: tuple[int, ...], offset: int = 0) -> View:
        if offset == 0:  # the common case, every fresh tensor: one shared View per shape
            return _contiguous_view(tuple(shape))
        return View(Size(shape), contiguous_strides(shape), offset)

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def is_contiguous(self) -> bool:
        """Row-major dense, as torch's is_contiguous: size-1 dims may have any stride."""
        if self.numel == 0:
            return True
        expected = 1
        for size, stride in zip(reversed(self.shape), reversed(self.strides)):
            if size == 1:
                continue
            if stride != expected:
                return False
            expected *= size
        return True

    # *** 3. movement ops: each one a new View of the same storage ***

    # --8<-- [start:view_permute]
    def permute(self, order: tuple[int, ...]) -> View:
        """Reorder dims: out.shape[k] = shape[order[k]], and the strides travel with them.

        Shapes: (A, B, C) permute (2, 0, 1) -> (C, A, B). Nothing moves in memory.
        """
        return View(Size(self.shape[d] for d in order), tuple(self.strides[d] for d in order),
                    self.offset)
    # --8<-- [end:view_permute]

    # --8<-- [start:view_expand]
    def expand(self, shape: tuple[int, ...]) -> View:
        """Broadcast to `shape` without copying: new and size-1 dims get stride 0.

        Shapes: (3, 1) expand (2, 3, 4) -> (2, 3, 4) with strides (0, s0, 0). A stride of 0 reads
        the same element again and again, which is what broadcasting means.
        """
        # EXERCISE 2.3: leading new dims and expanded size-1 dims read with stride 0
        extra = len(shape) - self.ndim
        strides = [0] * extra
        for i, (size, stride) in enumerate(zip(self.shape, self.strides)):
            strides.append(stride if size == shape[extra + i] else 0)
        return View(Size(shape), tuple(strides), self.offset)
        # END EXERCISE
    # --8<-- [end:view_expand]

    # --8<-- [start:view_reshape]
    def reshape(self, shape: tuple[int, ...]) -> View | None:
        """The view of `shape` over the same elements in row-major order, or None if the strides
        forbid one (then reshape must copy). This is PyTorch's computeStride.

        Old dims are grouped into chunks that are contiguous among themselves (stride[d] ==
        size[d+1] * stride[d+1]); a new shape is a view only if each of its dims falls inside one
        chunk, and then it takes strides from that chunk's base stride.
        """
        if self.numel == 0:
            return View(Size(shape), self.strides if tuple(shape) == self.shape
                        else contiguous_strides(shape), self.offset)
        if self.ndim == 0:
            return View(Size(shape), (1,) * len(shape), self.offset)
        # EXERCISE 2.2: walk old dims right to left, chunk by chunk, giving new dims strides
        new_strides = [0] * len(shape)
        view_d = len(shape) - 1
        chunk_stride, tensor_numel, view_numel = self.strides[-1], 1, 1
        for d in range(self.ndim - 1, -1, -1):
            tensor_numel *= self.shape[d]
            chunk_ends = d == 0 or (self.shape[d - 1] != 1
                                    and self.strides[d - 1] != tensor_numel * chunk_stride)
            if not chunk_ends:
                continue
            while view_d >= 0 and (view_numel < tensor_numel or shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_stride
                view_numel *= shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_stride, tensor_numel, view_numel = self.strides[d - 1], 1, 1
        if view_d != -1:
            return None
        return View(Size(shape), tuple(new_strides), self.offset)
        # END EXERCISE
    # --8<-- [end:view_reshape]

    def unsqueeze(self, dim: int) -> View:
        """Insert a size-1 dim at `dim` (already in [0, ndim]); its stride is PyTorch's choice."""
        stride = self.shape[dim] * self.strides[dim] if dim < self.ndim else 1
        return View(Size(self.shape[:dim] + (1,) + self.shape[dim:]),
                    self.strides[:dim] + (stride,) + self.strides[dim:], self.offset)

    def squeeze(self, dims: tuple[int, ...]) -> View:
        """Drop the size-1 dims among `dims` (already normalized); others stay."""
        keep = [d for d in range(self.ndim) if not (d in dims and self.shape[d] == 1)]
        return View(Size(self.shape[d] for d in keep), tuple(self.strides[d] for d in keep),
                    self.offset)

    # --8<-- [start:view_slice]
    def slice(self, dim: int, start: int, stop: int, step: int = 1) -> View:
        """Keep indices start, start+step, ... < stop of `dim` (bounds already clamped).

        Shapes: size n -> ceil((stop - start) / step). The offset moves to `start`, the stride
        grows by `step`: every other row of a (4, 3) matrix is strides (6, 1).
        """
        size = max(0, -(-(stop - start) // step))
        shape = self.shape[:dim] + (size,) + self.shape[dim + 1:]
        strides = self.strides[:dim] + (self.strides[dim] * step,) + self.strides[dim + 1:]
        return View(Size(shape), strides, self.offset + start * self.strides[dim])
    # --8<-- [end:view_slice]

    def select(self, dim: int, index: int) -> View:
        """Fix `dim` at `index` (bounds checked) and drop it: x[..., index, ...]."""
        size = self.shape[dim]
        if not -size <= index < size:
            raise OutOfRangeError(f"index {index} is out of bounds for dimension {dim} "
                                  f"with size {size}")
        index %= size
        return View(Size(self.shape[:dim] + self.shape[dim + 1:]),
                    self.strides[:dim] + self.strides[dim + 1:],
                    self.offset + index * self.strides[dim])

    def getitem(self, items: tuple) -> View:
        """Basic indexing with ints, slices and None only (Ellipsis already expanded)."""
        view, dim = self, 0
        for item in items:
            if item is None:
                view = view.unsqueeze(dim)
                dim += 1
            elif isinstance(item, slice):
                start, stop, step = _slice_bounds(item, view.shape[dim])
                view = view.slice(dim, start, stop, step)
                dim += 1
            else:
                view = view.select(dim, item)
        return view


@functools.lru_cache(maxsize=4096)
def _contiguous_view(shape: tuple[int, ...]) -> View:
    """A cache, for speed: a View is immutable, and a model allocates the same few dozen shapes
    over and over, so computing their strides once saves work on every op. int() because equal
    keys share the entry: (np.int64(2),) must not leave numpy ints in every later (2,) view."""
    shape = tuple(int(n) for n in shape)
    return View(Size(shape), contiguous_strides(shape), 0)


def _slice_bounds(s: slice, size: int) -> tuple[int, int, int]:
    """Clamp a python slice to [0, size] as PyTorch does; negative steps are not allowed."""
    step = 1 if s.step is None else s.step
    if step <= 0:
        raise ValueError("step must be greater than zero")
    start = 0 if s.start is None else s.start
    stop = size if s.stop is None else s.stop
    start = min(max(start + size if start < 0 else start, 0), size)
    stop = min(max(stop + size if stop < 0 else stop, start), size)
    return start, stop, step


# *** 4. the storage ***


class Storage:
    """A flat buffer of one dtype on one device, shared by every view of it.

    `data` is whatever the device keeps (a 1-D numpy array on "cpu"); `dtype` is the dtype its
    elements mean (a device may keep, say, int64 as int32: data's own type is then int32).
    `version` counts in-place writes, so that autograd can tell that a tensor it saved was
    modified (see autograd.py).
    """

    __slots__ = ("data", "device", "dtype", "version", "__weakref__")

    def __init__(self, data, device: str = "cpu", dtype=None):
        self.data, self.device, self.dtype, self.version = data, device, dtype, 0

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"Storage(device={self.device!r}, size={len(self)}, version={self.version})"
