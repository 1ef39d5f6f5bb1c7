"""The Tensor: autograd state around a Buffer, and the PyTorch front end.

Shapes: a tensor of shape (d0, ..., dn-1) reads storage[offset + sum_k ik * strides[k]] of its
Buffer (buffer.py). Math ops apply autograd Functions (function.py), whose forwards run Buffer
ops; everything else is an hlop composed from those, as tinygrad's tensor.py composes its mlops.
The methods live in mixins, each written against Tensor's own methods: tensor_movement.py
(views), tensor_indexing.py (x[...]), tensor_math.py (elementwise, matmul), tensor_reduce.py,
tensor_inplace.py and tensor_extras.py (aliases and small ops).
"""

from __future__ import annotations

import numpy as np

from ch2_lego import (
    autograd,
    buffer,
    decompositions,  # noqa: F401 (fills the table backend.run falls back on)
    function,
    ops_cpu,  # noqa: F401 (registers the "cpu" device)
    tensor_str,
)
from ch2_lego.autograd import TensorBase
from ch2_lego.backend import Ops, canonical_device, get_device
from ch2_lego.buffer import Buffer
from ch2_lego.dtype import (
    PT_NAMES,
    DType,
    bfloat16,
    bool_,
    dtype_of_name,
    float16,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
    to_dtype,
    to_storage,
)
from ch2_lego.errors import (
    ArgumentError,
    AutogradError,
    DTypeError,
    ShapeError,
)
from ch2_lego.storage import Size, Storage, View, normalize_dim
from ch2_lego.tensor_extras import ExtrasMixin
from ch2_lego.tensor_indexing import IndexingMixin
from ch2_lego.tensor_inplace import InplaceMixin
from ch2_lego.tensor_math import MathMixin
from ch2_lego.tensor_movement import MovementMixin, _shape_arg
from ch2_lego.tensor_reduce import ReduceMixin


class device:
    """torch.device: a device type and an optional index, equal to its string form."""

    def __init__(self, type: str | device = "cpu", index: int | None = None):
        text = str(type)
        self.type, _, idx = text.partition(":")
        self.index = int(idx) if idx else index

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"


def device_name(d) -> str:
    """The device string our buffers use: 'cpu:0' -> 'cpu'; None -> 'cpu'."""
    return "cpu" if d is None else canonical_device(d)


class Tensor(ExtrasMixin, MovementMixin, IndexingMixin, MathMixin, ReduceMixin, InplaceMixin,
             TensorBase):
    """A multi-dimensional array with autograd, like torch.Tensor."""

    __slots__ = ("__dict__", "__weakref__")
    __hash__ = object.__hash__  # tensors are dict keys by identity, though == is elementwise

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        """The legacy constructor: Tensor(2, 3) is a zero float tensor of that shape and
        Tensor(data) a float copy of data; prefer ch2_lego.zeros and ch2_lego.tensor."""
        dtype = dtype or get_default_dtype()
        if args and all(isinstance(a, int) for a in args):
            src = Tensor._full(args, 0, to_dtype(dtype), device_name(device))
        else:
            src = _from_data(args[0] if args else [], dtype, device)
        self._init(src._buf)
        self.requires_grad = requires_grad

    # *** 1. making tensors (internal: the public creation functions are in creation.py) ***

    # --8<-- [start:tensor_wrap]
    def _init(self, buf: Buffer, base: Tensor | None = None):
        self._buf, self.dtype, self._base = buf, buf.dtype, base  # dtype: the buffer's, at hand
        self.requires_grad, self._grad, self.grad_fn = False, None, None
        self._node, self._retains_grad = None, False

    @staticmethod
    def _wrap(buf: Buffer, base: Tensor | None = None) -> Tensor:
        t = Tensor.__new__(Tensor)
        t._init(buf, base)
        return t
    # --8<-- [end:tensor_wrap]

    @staticmethod
    def _alloc(shape, dtype: DType, device: str = "cpu") -> Tensor:
        return Tensor._wrap(buffer.empty(tuple(shape), dtype, device))

    @staticmethod
    def _from_numpy(a: np.ndarray, device: str = "cpu") -> Tensor:
        """Share a host array's memory when its strides allow (cpu), else copy (upload) it."""
        return Tensor._wrap(buffer.from_numpy(a, str(device)))

    @staticmethod
    def _from_host(a: np.ndarray, dtype: DType, device: str = "cpu") -> Tensor:
        """Host values of any numpy dtype as a new tensor of `dtype` (the half types rounded
        through float32, as torch's casts do). bfloat16 is made on the cpu and cast on the
        device, since its storage (uint16) would read as an integer array in from_numpy."""
        if dtype is not bfloat16:
            return Tensor._from_numpy(to_storage(a, dtype), device)
        t = Tensor._from_numpy(np.asarray(a, np.float32), "cpu")
        return t.to(bfloat16).to(device) if device == "cpu" else t.to(device).to(bfloat16)

    @staticmethod
    def _full(shape, value, dtype: DType, device: str = "cpu") -> Tensor:
        """A constant: a FILL kernel on the device, no upload."""
        return Tensor._wrap(buffer.full(tuple(shape), value, dtype, device))

    @staticmethod
    def _iota(n: int, device: str) -> Tensor:
        """0, 1, ..., n-1 as int64 on `device`. On "cpu" host memory is the device's, so numpy
        makes it; elsewhere a cumsum of ones does, with no upload."""
        if device == "cpu":
            return Tensor._from_numpy(np.arange(n, dtype=np.int64), device)
        ones = buffer.full((n,), 1, int64, device)
        return Tensor._wrap(ones.cumsum(0, int64).alu(Ops.SUB, 1))

    @staticmethod
    def _zeros(shape, dtype: DType, device: str = "cpu") -> Tensor:
        return Tensor._full(shape, 0, dtype, device)

    @staticmethod
    def _scalar(value, like: Tensor, dtype: DType | None = None) -> Tensor:
        """A 0-dim tensor on `like`'s device, of `like`'s dtype unless given."""
        return Tensor._full((), value, dtype or like.dtype, like._buf.device)

    @staticmethod
    def _zeros_like(t: Tensor) -> Tensor:
        return Tensor._full(t.shape, 0, t.dtype, t._buf.device)

    @staticmethod
    def _ones_like(t: Tensor) -> Tensor:
        return Tensor._full(t.shape, 1, t.dtype, t._buf.device)

    @staticmethod
    def _full_like(t: Tensor, value) -> Tensor:
        return Tensor._full(t.shape, value, t.dtype, t._buf.device)

    @classmethod
    def _make_subclass(cls, data: Tensor, requires_grad: bool = False) -> Tensor:
        """A `cls` instance sharing data's buffer (how nn.Parameter wraps a tensor)."""
        t = cls.__new__(cls)
        t._init(data._buf)
        t.requires_grad = requires_grad
        return t

    def _view_raw(self, view: View) -> Tensor:
        """Another view of this storage, outside autograd (the Functions record the graph)."""
        return Tensor._wrap(self._buf.as_strided(view.shape, view.strides, view.offset),
                            self._base if self._base is not None else self)

    # *** 2. metadata ***

    @property
    def shape(self) -> Size:
        return self._buf.shape

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[normalize_dim(dim, self.ndim)]

    @property
    def ndim(self) -> int:
        return len(self._buf.view.shape)

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return self._buf.view.numel

    nelement = numel

    def stride(self, dim: int | None = None):
        strides = self._buf.view.strides
        return strides if dim is None else strides[normalize_dim(dim, self.ndim)]

    def storage_offset(self) -> int:
        return self._buf.view.offset

    def is_contiguous(self, memory_format=None) -> bool:
        return self._buf.view.is_contiguous()

    def data_ptr(self) -> int:
        """Address of the first element; equal pointers and storages show shared memory."""
        return self.untyped_storage().data_ptr() + self._buf.view.offset * self.dtype.itemsize

    def untyped_storage(self) -> _StorageRef:
        return _StorageRef(self._buf.storage)

    def element_size(self) -> int:
        return self.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.numel() * self.dtype.itemsize

    @property
    def device(self) -> device:
        return device(self._buf.device)

    @property
    def is_cuda(self) -> bool:
        return self._buf.device.startswith("cuda")

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def _is_view(self) -> bool:
        return self._base is not None

    def type(self, dtype=None):
        if dtype is None:
            return f"ch2_lego.{PT_NAMES[self.dtype.name]}Tensor"
        return self.to(dtype)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self) -> str:
        return tensor_str.tensor_repr(self, (get_default_dtype(), int64, bool_),
                                      get_default_dtype())

    def __format__(self, format_spec: str) -> str:
        """f"{loss:.4f}": a 0-dim tensor formats as its number; others only with no spec."""
        if self.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    # *** 3. leaving the library: numpy, python numbers, dlpack ***

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """A numpy array sharing this tensor's memory on the cpu (a copy elsewhere)."""
        if self.requires_grad and not force:
            raise AutogradError("Can't call numpy() on Tensor that requires grad. Use "
                                "tensor.detach().numpy() instead.")
        if self.dtype is bfloat16:  # numpy has no bfloat16; torch refuses too
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self._buf.numpy()

    def _values(self) -> np.ndarray:
        """The elements as host values (bfloat16's widened to float32), outside autograd."""
        if self.dtype is bfloat16:
            return self.detach().float().numpy()
        return self.detach().numpy()

    def __array__(self, dtype=None, copy=None):
        """np.asarray(t) shares memory; np.array(t) (numpy passes copy=True) copies."""
        a = self._values()
        if dtype is not None:
            return a.astype(dtype, copy=bool(copy))
        return a.copy() if copy else a

    def __dlpack__(self, stream=None, **kwargs):
        return self.detach().numpy().__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.detach().numpy().__dlpack_device__()

    def item(self):
        if self.numel() != 1:
            raise ShapeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                             "Scalar")
        return self._values().reshape(()).item()

    def tolist(self):
        return self._values().tolist()

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise ShapeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __getstate__(self):
        return {"data": np.array(self._values()), "requires_grad": self.requires_grad,
                "dtype": self.dtype.name}

    def __setstate__(self, state):
        dtype = dtype_of_name(state.get("dtype", "float32"))
        self._init(Tensor._from_host(state["data"], dtype)._buf if dtype.itemsize == 2
                   else buffer.from_numpy(state["data"], "cpu"))
        self.requires_grad = state["requires_grad"]

    # *** 4. dtype and device ***

    def to(self, *args, **kwargs) -> Tensor:
        """to(dtype), to(device), to(device, dtype) or to(other): a copy only if anything
        changes."""
        dtype, dev = kwargs.get("dtype"), kwargs.get("device")
        for a in args:
            if isinstance(a, Tensor):
                dtype, dev = a.dtype, a._buf.device
            elif isinstance(a, str | device):
                dev = a
            else:
                dtype = a
        out = self
        if dev is not None and device_name(dev) != out._buf.device:
            if out.dtype is bfloat16:  # its bits move as float32 values, cast on the device
                get_device(device_name(dev)).storage_dtype(bfloat16)  # or a clear DTypeError
                return out.float().to(device_name(dev), dtype or bfloat16)
            out = function.ToDevice.apply(out, device_name(dev))
        if dtype is not None and to_dtype(dtype) is not out.dtype:
            out = function.Copy.apply(out, to_dtype(dtype))
        return out

    def float(self) -> Tensor:
        return self.to(float32)

    def half(self) -> Tensor:
        return self.to(float16)

    def bfloat16(self) -> Tensor:
        return self.to(bfloat16)

    def double(self) -> Tensor:
        return self.to(float64)

    def long(self) -> Tensor:
        return self.to(int64)

    def int(self) -> Tensor:
        return self.to(int32)

    def bool(self) -> Tensor:
        return self.to(bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def _new(self, fill, size, dtype, device, requires_grad) -> Tensor:
        shape = tuple(_shape_arg((size,) if isinstance(size, int) else tuple(size)))
        if any(n < 0 for n in shape):
            raise ShapeError(f"Trying to create tensor with negative dimension "
                             f"{min(shape)}: {list(shape)}")
        t = Tensor._full(shape, fill, to_dtype(dtype or self.dtype),
                         device_name(device) if device is not None else self._buf.device)
        return t.requires_grad_() if requires_grad else t

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return self._new(0, _shape_arg(size), dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return self._new(1, _shape_arg(size), dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None,
                 requires_grad=False) -> Tensor:
        return self._new(fill_value, size, dtype, device, requires_grad)

    new_empty = new_zeros

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
        t = _from_data(data, dtype or self.dtype, device or self._buf.device)
        return t.requires_grad_() if requires_grad else t

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    # *** 5. autograd ***

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        autograd.backward(self, gradient, retain_graph, create_graph, inputs)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf and not requires_grad:
            raise AutogradError("you can only change requires_grad flags of leaf variables. If "
                                "you want to use a computed variable in a subgraph that doesn't "
                                "require differentiation use var_no_grad = var.detach().")
        if requires_grad and not self.dtype.is_floating_point:
            raise AutogradError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep .grad of a non-leaf tensor too (leaves always keep theirs)."""
        if not self.requires_grad:
            raise AutogradError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None and not self._retains_grad:
            self._retains_grad = True
            self.grad_fn.retained.append(self)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook):
        """Call hook(grad) when this tensor's gradient is computed; a returned tensor replaces
        it."""
        if not self.requires_grad:
            raise AutogradError("cannot register a hook on a tensor that doesn't require "
                                "gradient")
        node = self._grad_node()
        node.pre_hooks.append(hook)
        return _RemovableHandle(node.pre_hooks, hook)

    def detach(self) -> Tensor:
        """The same storage, cut out of the graph."""
        return Tensor._wrap(self._buf, self._base)

    def detach_(self) -> Tensor:
        self.grad_fn, self.requires_grad = None, False
        return self

    @property
    def data(self) -> Tensor:
        return self.detach()

    @data.setter
    def data(self, new: Tensor) -> None:
        self._buf, self.dtype = new._buf, new.dtype


# *** 6. helpers: storage identity and hook handles ***


class _StorageRef:
    """t.untyped_storage(): enough of it to compare the memory of two tensors."""

    def __init__(self, storage: Storage):
        self._storage = storage

    def data_ptr(self) -> int:
        data = self._storage.data
        return data.__array_interface__["data"][0] if isinstance(data, np.ndarray) else id(data)

    def nbytes(self) -> int:
        return self._storage.data.nbytes

    def size(self) -> int:
        return len(self._storage)


class _RemovableHandle:
    def __init__(self, hooks: list, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)



_NO_ODD = object()  # "every element is a number" (None may be the odd one)


def _from_data(data, dtype, dev) -> Tensor:
    """A new tensor copied from nested lists, numbers, numpy arrays or tensors."""
    dev = device_name(dev)
    if isinstance(data, Tensor):
        out = data.detach().to(dev).clone()
        return out if dtype is None else out.to(dtype)
    if isinstance(data, list | tuple) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _nested(data)
    if dtype is not None and to_dtype(dtype).itemsize == 2:  # float16, bfloat16
        return Tensor._from_host(np.array(data, np.float64), to_dtype(dtype), dev)
    if dtype is not None:
        try:
            a = np.array(data, dtype=to_dtype(dtype).np)
        except OverflowError:  # an int that the dtype cannot hold: numpy refuses, as torch
            if to_dtype(dtype) is int64:
                raise ArgumentError("Overflow when unpacking long long") from None
            raise DTypeError(f"value cannot be converted to type {to_dtype(dtype).name} "
                             "without overflow") from None
    elif isinstance(data, np.ndarray | np.generic):
        a = np.array(data)
    else:
        a = _array_of(data)
        if a.dtype.kind == "u":  # numpy took ints in [2**63, 2**64) as uint64; int64 wraps
            raise ArgumentError("Overflow when unpacking long long")
        if a.dtype == object:  # numpy found no common type: too big an int, or a stray object
            flat = _flat(data) if isinstance(data, list | tuple) else [data]
            odd = next((x for x in flat if not isinstance(x, int | float)), _NO_ODD)
            if odd is _NO_ODD:
                raise ArgumentError("Overflow when unpacking long long")
            raise DTypeError(f"Could not infer dtype of {type(odd).__name__}")
        if a.dtype.kind == "f" and get_default_dtype().itemsize == 2:  # a half type's storage
            return Tensor._from_host(a, get_default_dtype(), dev)  # is not its values' dtype
        if a.dtype.kind == "f":
            a = a.astype(get_default_dtype().np)
        elif a.dtype.kind in "iu":
            a = a.astype(np.int64)
    return Tensor._from_numpy(np.array(a, order="C", copy=None), dev)


def _array_of(data) -> np.ndarray:
    """np.array(data), with torch's error for a ragged nested list instead of numpy's."""
    try:
        return np.array(data)
    except ValueError:
        level, dim = [data], 0
        while level and all(isinstance(x, list | tuple) for x in level):
            for x in level:
                if len(x) != len(level[0]):
                    raise ArgumentError(f"expected sequence of length {len(level[0])} at dim "
                                     f"{dim} (got {len(x)})") from None
            level, dim = [y for x in level for y in x], dim + 1
        raise


def _flat(data) -> list:
    out = []
    for x in data:
        out += _flat(x) if isinstance(x, list | tuple) else [x]
    return out


def _nested(data):
    return [_nested(x) if isinstance(x, list | tuple) else
            x.item() if isinstance(x, Tensor) else x for x in data]
