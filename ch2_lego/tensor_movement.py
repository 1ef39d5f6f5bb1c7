"""Tensor's movement methods: views, flip/roll/repeat, cat and stack (x[...], gather and
scatter: tensor_indexing.py).

A mixin of Tensor (tensor.py), written against Tensor's own methods. Shapes: x is the tensor,
dims wrap as in PyTorch. Every view op checks its arguments with PyTorch's messages, then records
one movement Function (function_movement.py) whose forward is a Buffer movement op, a new View
of the same storage, and whose backward moves the gradient back.
"""

from __future__ import annotations

import math

import numpy as np

from ch2_lego import function
from ch2_lego import function_movement as movement
from ch2_lego.autograd import TensorBase
from ch2_lego.dtype import (
    PT_NAMES,
    result_type,
    to_dtype,
)
from ch2_lego.errors import (
    ArgumentError,
    DTypeError,
    ShapeError,
)
from ch2_lego.generator import multinomial
from ch2_lego.storage import (
    Size,
    Storage,
    View,
    broadcast_shape,
    contiguous_strides,
    normalize_dim,
)

# In annotations only: Tensor (tensor.py) is built from these mixins and TensorBase.
Tensor = TensorBase

def _shape_arg(shape) -> tuple[int, ...]:
    """Accept f(2, 3), f((2, 3)) and f([2, 3]) alike."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list | Size):
        shape = shape[0]
    for i, n in enumerate(shape):  # int(2.5) would quietly make 2: torch refuses floats
        if not isinstance(n, int | np.integer) and not (
                isinstance(n, TensorBase) and n.ndim == 0 and not n.dtype.is_floating_point):
            raise TypeError(f"size must be tuple of ints, but found element of type "
                            f"{type(n).__name__} at pos {i}")
    return tuple(int(n) for n in shape)


def _infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """Replace one -1 in a view/reshape shape by what makes the element count match."""
    known = math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1:
        raise ShapeError("only one dimension can be inferred")
    if -1 in shape and known != 0 and numel % known == 0:
        shape = tuple(numel // known if n == -1 else n for n in shape)
    if -1 in shape or math.prod(shape) != numel:
        raise ShapeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class MovementMixin:
    """View ops, indexing and the hlops built from them (flip, roll, tril, repeat, ...)."""

    __slots__ = ()

    # *** 1. movement ops (views) ***

    def view(self, *shape) -> Tensor:
        if len(shape) == 1 and not isinstance(shape[0], tuple | list | Size | int | float):
            return _view_as_dtype(self, to_dtype(shape[0]))
        shape = _infer_shape(_shape_arg(shape), self.numel())
        if self._buf.view.reshape(shape) is None:
            raise ShapeError("view size is not compatible with input tensor's size and stride "
                             "(at least one dimension spans across two contiguous subspaces). "
                             "Use .reshape(...) instead.")
        return movement.Reshape.apply(self, shape)

    def reshape(self, *shape) -> Tensor:
        shape = _infer_shape(_shape_arg(shape), self.numel())
        return movement.Reshape.apply(self, shape)

    def view_as(self, other: Tensor) -> Tensor:
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def permute(self, *dims) -> Tensor:
        dims = _shape_arg(dims)
        if len(dims) != self.ndim:
            raise ShapeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                             f"not match the length of the desired ordering of dimensions i.e. "
                             f"input.dim() = {self.ndim} is not equal to len(dims) = {len(dims)}")
        dims = tuple(normalize_dim(d, self.ndim) for d in dims)
        if len(set(dims)) != len(dims):
            raise ShapeError("permute(): duplicate dims are not allowed.")
        return movement.Permute.apply(self, dims)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        order = list(range(self.ndim))
        d0, d1 = normalize_dim(dim0, self.ndim), normalize_dim(dim1, self.ndim)
        order[d0], order[d1] = order[d1], order[d0]
        return movement.Permute.apply(self, tuple(order)) if self.ndim > 1 else self

    swapaxes = swapdims = transpose

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                             f"{self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def T(self) -> Tensor:
        return self.permute(tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> Tensor:
        if self.ndim < 2:
            raise ShapeError("tensor.mT is only supported on matrices or batches of matrices. "
                             f"Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    def expand(self, *sizes) -> Tensor:
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise ShapeError(f"expand({self.type()}{{{list(self.shape)}}}, size={list(sizes)}): "
                             f"the number of sizes provided ({len(sizes)}) must be greater or "
                             f"equal to the number of dimensions in the tensor ({self.ndim})")
        extra = len(sizes) - self.ndim
        shape = []
        for i, n in enumerate(sizes):
            if i < extra:
                if n < 0:
                    raise ShapeError(f"The expanded size of the tensor ({n}) isn't allowed in a "
                                     f"leading, non-existing dimension {i}")
                shape.append(n)
                continue
            old = self.shape[i - extra]
            if n < -1:
                raise ShapeError(f"expand: size {n} at dim {i} is invalid: sizes must be "
                                 f"non-negative, or -1 to keep a dim. Target sizes: {list(sizes)}")
            n = old if n == -1 else n
            if old != 1 and n != old:
                raise ShapeError(f"The expanded size of the tensor ({n}) must match the existing "
                                 f"size ({old}) at non-singleton dimension {i}.  Target sizes: "
                                 f"{list(sizes)}.  Tensor sizes: {list(self.shape)}")
            shape.append(n)
        shape = tuple(shape)
        return self if shape == self.shape else movement.Expand.apply(self, shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    broadcast_to = expand

    def squeeze(self, dim=None) -> Tensor:
        if dim is None:
            dims = tuple(range(self.ndim))
        else:
            dims = tuple(normalize_dim(d, self.ndim) for d in (dim if isinstance(dim, tuple | list)
                                                              else (dim,)))
            for d in dims:
                if dims.count(d) > 1:
                    raise ShapeError(f"dim {d} appears multiple times in the list of dims")
        if self.ndim == 0 or not any(self.shape[d] == 1 for d in dims):
            return self
        return movement.Squeeze.apply(self, dims)

    def unsqueeze(self, dim: int) -> Tensor:
        return movement.Unsqueeze.apply(self, normalize_dim(dim, self.ndim + 1))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        s, e = normalize_dim(start_dim, self.ndim), normalize_dim(end_dim, self.ndim)
        if s > e:
            raise ShapeError("flatten() has invalid args: start_dim cannot come after end_dim")
        return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1:]) if s < e else self

    def unflatten(self, dim: int, sizes) -> Tensor:
        d = normalize_dim(dim, self.ndim)
        if -1 not in sizes and math.prod(sizes) != self.shape[d]:
            raise ShapeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                             f"size of dim {dim} ({self.shape[d]}) in the input tensor")
        sizes = _infer_shape(tuple(sizes), self.shape[d])
        return self.view(self.shape[:d] + sizes + self.shape[d + 1:])

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        d = normalize_dim(dim, self.ndim)
        if length < 0:
            raise ShapeError("narrow(): length must be non-negative.")
        start = start + self.shape[d] if start < 0 else start
        if start + length > self.shape[d]:
            raise ShapeError(f"start ({start}) + length ({length}) exceeds dimension size "
                             f"({self.shape[d]}).")
        return movement.Slice.apply(self, (slice(None),) * d + (slice(start, start + length),))

    def unfold(self, dim: int, size: int, step: int) -> Tensor:
        """All windows of `size` along dim, `step` apart, as a new last dim: a view of self, as
        torch's. Shapes: dim of length L -> N =
        (L - size) // step + 1 windows, and a last dim of `size`."""
        d = normalize_dim(dim, self.ndim)
        length = self.shape[d] if self.ndim else 1
        if size > length:
            raise ShapeError(f"maximum size for tensor at dimension {d} is {length} but size is "
                             f"{size}")
        if step <= 0:
            raise ShapeError(f"step is {step} but must be > 0")
        if self.ndim == 0:  # torch: a 0-dim tensor has one window of one element
            return self.reshape(1)
        shape = self.shape[:d] + ((length - size) // step + 1,) + self.shape[d + 1:] + (size,)

        def windows(strides, offset):
            return View(Size(shape), strides[:d] + (strides[d] * step,) + strides[d + 1:]
                        + (strides[d],), offset)
        return movement.Unfold.apply(self, windows(contiguous_strides(self.shape), 0),
                                     windows(self.stride(), self.storage_offset()))

    def movedim(self, source, destination) -> Tensor:
        """Move dims `source` (an int or a sequence) to positions `destination`; the others
        keep their order in the remaining places."""
        src = [source] if isinstance(source, int) else list(source)
        dst = [destination] if isinstance(destination, int) else list(destination)
        if len(src) != len(dst):
            raise ShapeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                             f"should contain the same number of dims as destination ({dst} "
                             "dims)")
        src = [normalize_dim(d, self.ndim) for d in src]
        dst = [normalize_dim(d, self.ndim) for d in dst]
        for name, dims in (("source", src), ("destination", dst)):
            if len(set(dims)) != len(dims):
                raise ShapeError(f"movedim: repeated dim in `{name}` ({dims})")
        order = [None] * self.ndim
        for s, d in zip(src, dst):
            order[d] = s
        rest = iter(d for d in range(self.ndim) if d not in src)
        return self.permute([d if d is not None else next(rest) for d in order])

    def contiguous(self, memory_format=None) -> Tensor:
        return self if self.is_contiguous() else function.Copy.apply(self, self.dtype)

    def clone(self, memory_format=None) -> Tensor:
        return function.Copy.apply(self, self.dtype)

    def split(self, split_size, dim: int = 0) -> tuple[Tensor, ...]:
        d = normalize_dim(dim, self.ndim)
        n = self.shape[d]
        if isinstance(split_size, int):
            if split_size < 0 or (split_size == 0 and n != 0):
                raise ShapeError(f"split_size can only be 0 if dimension size is 0, but got "
                                 f"dimension size of {n}" if split_size == 0 else
                                 f"split expects split_size be non-negative, but got "
                                 f"split_size={split_size}")
            sizes = [min(split_size, n - i) for i in range(0, n, split_size)] if n else [0]
        else:
            sizes = list(split_size)
            if sum(sizes) != n:
                raise ShapeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                                 f"(input tensor's size at dimension {d}), but got "
                                 f"split_sizes={sizes}")
        starts = np.cumsum([0] + sizes[:-1])
        return tuple(self.narrow(d, int(s), k) for s, k in zip(starts, sizes))

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        if chunks <= 0:
            raise ShapeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        n = self.shape[normalize_dim(dim, self.ndim)]
        return self.split(max(1, -(-n // chunks)), dim)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        d = normalize_dim(dim, self.ndim)
        return tuple(self.select(d, i) for i in range(self.shape[d]))

    def select(self, dim: int, index: int) -> Tensor:
        d = normalize_dim(dim, self.ndim)
        return movement.Slice.apply(self, (slice(None),) * d + (int(index),))

    # *** 2. shape-changing hlops ***

    def flip(self, *dims, **kwargs) -> Tensor:
        """Reverse the order along dims: flip(0, 1), flip((0, 1)), flip([0]) and
        flip(dims=(0, 1)) alike."""
        if set(kwargs) - {"dims"} or (dims and kwargs):
            raise TypeError(f"flip() got an unexpected keyword argument or a second 'dims': "
                            f"{sorted(kwargs)}")
        dims = (kwargs["dims"],) if kwargs else dims
        if not dims:
            raise TypeError('flip() missing 1 required positional arguments: "dims"')
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], tuple | list) else dims
        return movement.Flip.apply(self, self._dims(dims)) if len(dims) else self.clone()

    def roll(self, shifts, dims=None) -> Tensor:
        if dims is None:
            return self.flatten().roll(shifts, 0).view(self.shape)
        shifts = shifts if isinstance(shifts, tuple | list) else (shifts,)
        dims = dims if isinstance(dims, tuple | list) else (dims,)
        out = self
        for s, d in zip(shifts, dims):
            d = normalize_dim(d, self.ndim)
            n = self.shape[d]
            s %= max(n, 1)
            if s:
                out = cat([out.narrow(d, n - s, s), out.narrow(d, 0, n - s)], d)
        return out if out is not self else self.clone()  # a new tensor, even for no shift

    def _tri(self, diagonal: int, upper: bool) -> Tensor:
        if self.ndim < 2:
            raise ShapeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 "
                             "dimensions")
        rows, cols = self.shape[-2], self.shape[-1]
        device = self._buf.device
        i = self._iota(rows, device).reshape(rows, 1)
        j = self._iota(cols, device).reshape(1, cols)
        drop = (j - i < diagonal) if upper else (j - i > diagonal)  # made where self lives
        return self.masked_fill(drop, 0)

    def tril(self, diagonal: int = 0) -> Tensor:
        return self._tri(diagonal, upper=False)

    def triu(self, diagonal: int = 0) -> Tensor:
        return self._tri(diagonal, upper=True)

    def repeat(self, *sizes) -> Tensor:
        if not sizes:
            raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise ShapeError("Number of dimensions of repeat dims can not be smaller than number "
                             "of dimensions of tensor")
        if any(r < 0 for r in sizes):
            raise ShapeError(f"Trying to create tensor with negative dimension: {list(sizes)}")
        x = self.reshape((1,) * (len(sizes) - self.ndim) + tuple(self.shape))
        expanded = []
        for n, r in zip(x.shape, sizes):
            expanded += [r, n]
        interleaved = x.reshape(tuple(v for n in x.shape for v in (1, n))).expand(expanded)
        out = interleaved.reshape(tuple(n * r for n, r in zip(x.shape, sizes)))
        # repeats of 1 make the reshape a view: torch's repeat always copies
        return out.clone() if out._buf.storage is self._buf.storage else out

    def multinomial(self, num_samples, replacement=False, generator=None) -> Tensor:
        return multinomial(self, num_samples, replacement, generator=generator)


# *** 3. joining tensors, and checks shared by the methods above ***


def _tensor_list(op: str, tensors) -> None:
    """cat/stack take a sequence of tensors: name the wrong argument, as torch does."""
    if isinstance(tensors, TensorBase) or not isinstance(tensors, list | tuple):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, TensorBase):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")


def _view_as_dtype(t: Tensor, dtype) -> Tensor:
    """x.view(dtype): the same bytes read as another dtype (no conversion), with torch's rules
    when the element sizes differ: the last dim, contiguous, is split or merged."""
    old, new = t.dtype.itemsize, dtype.itemsize
    what = (f"to view {PT_NAMES.get(t.dtype.name, t.dtype.name)} as "
            f"{PT_NAMES.get(dtype.name, dtype.name)} (different element sizes)")
    if old != new:
        if t.ndim == 0:
            raise ShapeError(f"self.dim() cannot be 0 {what}")
        if t.stride(-1) != 1:
            raise ShapeError(f"self.stride(-1) must be 1 {what}, but got {t.stride(-1)}")
        ratio = new // old
        if new > old:
            if t.shape[-1] % ratio:
                raise ShapeError(f"self.size(-1) must be divisible by {ratio} {what}, but got "
                                 f"{t.shape[-1]}")
            if t.storage_offset() % ratio:
                raise ShapeError(f"self.storage_offset() must be divisible by {ratio} {what}, "
                                 f"but got {t.storage_offset()}")
            for i, s in enumerate(t.stride()[:-1]):
                if s % ratio:
                    raise ShapeError(f"self.stride({i}) must be divisible by {ratio} {what}, "
                                     f"but got {s}")
    if t._buf.device != "cpu":
        raise DTypeError(f"view(dtype) reinterprets host memory; it runs on the cpu only, not on "
                         f"'{t._buf.device}'")
    # numpy reinterprets the same memory; the result is a view of t (not differentiable).
    # bfloat16's storage is uint16, which from_numpy would read as an integer type: its bits
    # go in as float16 (also 2 bytes) and the buffer is then labelled bfloat16.
    bits = t._buf.numpy().view(np.float16 if dtype.name == "bfloat16" else dtype.np)
    out = type(t)._from_numpy(bits)
    if dtype.name == "bfloat16":
        b = out._buf
        storage = Storage(b.storage.data.view(np.uint16), "cpu", dtype)
        out = type(t)._wrap(type(b)(storage, b.view, dtype))
    out._base = t._base if t._base is not None else t
    return out


def _broadcast_into(src_shape, shape) -> tuple[int, ...]:
    """Check that src broadcasts to exactly `shape` (an output that cannot grow)."""
    out = broadcast_shape(tuple(src_shape), tuple(shape))
    if out != tuple(shape):
        raise ShapeError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                         f"{list(out)}")
    return out


def cat(tensors, dim: int = 0) -> Tensor:
    """Concatenate along an existing dim; all other sizes must match."""
    _tensor_list("cat", tensors)
    tensors = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or list(tensors)[:1]
    if not tensors:
        raise ArgumentError("torch.cat(): expected a non-empty list of Tensors")
    ref = tensors[0]
    d = normalize_dim(dim, ref.ndim)
    if ref.ndim == 0:
        raise ShapeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    dtype = result_type(*tensors) if len({t.dtype for t in tensors}) > 1 else ref.dtype
    for i, t in enumerate(tensors):
        if t.ndim != ref.ndim:
            raise ShapeError(f"Tensors must have same number of dimensions: got {ref.ndim} and "
                             f"{t.ndim}")
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise ShapeError(f"Sizes of tensors must match except in dimension {d}. Expected "
                                 f"size {ref.shape[k]} but got size {t.shape[k]} for tensor "
                                 f"number {i} in the list.")
    return movement.Cat.apply(d, *(t.to(dtype) for t in tensors))


def stack(tensors, dim: int = 0) -> Tensor:
    """Join along a new dim; all shapes must be equal."""
    _tensor_list("stack", tensors)
    tensors = list(tensors)
    if not tensors:
        raise ShapeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ShapeError(f"stack expects each tensor to be equal size, but got "
                             f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at entry "
                             f"{i}")
    d = normalize_dim(dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(d) for t in tensors], d)
