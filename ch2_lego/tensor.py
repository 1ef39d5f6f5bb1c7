"""The Tensor: a strided view of a Storage, with dtype, device and autograd state.

Shapes: a tensor of shape (d0, ..., dn-1) reads storage[offset + sum_k ik * strides[k]]. Movement
ops return views (see storage.View); math ops build new tensors through autograd Functions
(function.py), which run primitive kernels through the device table (backend.py). Everything
else here is an hlop: composed from those, as tinygrad's tensor.py composes its mlops.
"""

from __future__ import annotations

import math

import numpy as np

from ch2_lego import ops_cpu  # noqa: F401 (registers the "cpu" device)
from ch2_lego.backend import DEVICES, Ops, get_device, run
from ch2_lego.dtype import (
    PT_NAMES,
    DType,
    bool_,
    can_cast,
    float32,
    float64,
    from_numpy_dtype,
    get_default_dtype,
    int32,
    int64,
    result_type,
    to_dtype,
)
from ch2_lego.errors import (
    AutogradError,
    DTypeError,
    ShapeError,
)
from ch2_lego.grad_mode import is_grad_enabled, no_grad
from ch2_lego.storage import Size, Storage, View, normalize_dim
from ch2_lego.tensor_math import MathMixin
from ch2_lego.tensor_movement import MovementMixin, _broadcast_into, _shape_arg


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


_SCALAR_VIEW = View(Size(()), (), 0)  # 0-dim: no dims, so no strides


class Tensor(MovementMixin, MathMixin):
    """A multi-dimensional array with autograd, like torch.Tensor."""

    __slots__ = ("_storage", "_view", "dtype", "requires_grad", "grad", "grad_fn", "_base",
                 "_node", "_retains_grad", "__dict__", "__weakref__")
    __hash__ = object.__hash__  # tensors are dict keys by identity, though == is elementwise

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        """The legacy constructor: Tensor(2, 3) is a zero float tensor of that shape and
        Tensor(data) a float copy of data; prefer ch2_lego.zeros and ch2_lego.tensor."""
        dtype = dtype or get_default_dtype()
        if args and all(isinstance(a, int) for a in args):
            src = Tensor._zeros(args, to_dtype(dtype), str(device or "cpu"))
        else:
            src = creation._from_data(args[0] if args else [], dtype, device)
        self._init(src._storage, src._view, src.dtype)
        self.requires_grad = requires_grad

    # *** 1. making tensors (internal: the public creation functions are in creation.py) ***

    def _init(self, storage: Storage, view: View, dtype: DType, base: Tensor | None = None):
        self._storage, self._view, self.dtype, self._base = storage, view, dtype, base
        self.requires_grad, self.grad, self.grad_fn = False, None, None
        self._node, self._retains_grad = None, False

    @staticmethod
    def _wrap(storage: Storage, view: View, dtype: DType, base: Tensor | None = None) -> Tensor:
        t = Tensor.__new__(Tensor)
        t._init(storage, view, dtype, base)
        return t

    @staticmethod
    def _alloc(shape, dtype: DType, device: str = "cpu") -> Tensor:
        dev = DEVICES[device]
        return Tensor._wrap(Storage(dev.alloc(math.prod(shape), dtype), device),
                            View.contiguous(shape), dtype)

    @staticmethod
    def _from_numpy(a: np.ndarray, device: str = "cpu") -> Tensor:
        """Share a host array's memory when its strides allow (cpu), else copy it."""
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
        data = get_device(device).from_numpy(flat)
        view = View.contiguous(a.shape) if strides is None else View(Size(a.shape), strides)
        return Tensor._wrap(Storage(data, str(device)), view, dtype)

    @staticmethod
    def _full(shape, value, dtype: DType, device: str = "cpu") -> Tensor:
        return Tensor._from_numpy(np.full(shape, value, dtype.np), device)

    @staticmethod
    def _zeros(shape, dtype: DType, device: str = "cpu") -> Tensor:
        return Tensor._full(shape, 0, dtype, device)

    @staticmethod
    def _scalar(value, like: Tensor, dtype: DType | None = None) -> Tensor:
        """A 0-dim tensor on `like`'s device, of `like`'s dtype unless given: a python number
        entering an op. The short path matters: `x * 2` makes one per call."""
        dtype, device = dtype or like.dtype, like._storage.device
        data = DEVICES[device].from_numpy(np.array((value,), dtype.np))
        return Tensor._wrap(Storage(data, device), _SCALAR_VIEW, dtype)

    @staticmethod
    def _zeros_like(t: Tensor) -> Tensor:
        return Tensor._zeros(t.shape, t.dtype, t._storage.device)

    @staticmethod
    def _ones_like(t: Tensor) -> Tensor:
        return Tensor._full(t.shape, 1, t.dtype, t._storage.device)

    @staticmethod
    def _full_like(t: Tensor, value) -> Tensor:
        return Tensor._full(t.shape, value, t.dtype, t._storage.device)

    @classmethod
    def _make_subclass(cls, data: Tensor, requires_grad: bool = False) -> Tensor:
        """A `cls` instance sharing data's storage (how nn.Parameter wraps a tensor)."""
        t = cls.__new__(cls)
        t._init(data._storage, data._view, data.dtype)
        t.requires_grad = requires_grad
        return t

    def _view_raw(self, view: View) -> Tensor:
        """Another view of this storage, outside autograd (the Functions record the graph)."""
        return Tensor._wrap(self._storage, view, self.dtype,
                            self._base if self._base is not None else self)

    def _reshape_raw(self, shape) -> Tensor:
        view = self._view.reshape(tuple(shape))
        if view is None:  # the strides forbid a view: copy to contiguous first, as reshape does
            return self.contiguous()._reshape_raw(shape)
        return self._view_raw(view)

    # *** 2. metadata ***

    @property
    def shape(self) -> Size:
        return self._view.shape

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[normalize_dim(dim, self.ndim)]

    @property
    def ndim(self) -> int:
        return len(self._view.shape)

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return self._view.numel

    nelement = numel

    def stride(self, dim: int | None = None):
        strides = self._view.strides
        return strides if dim is None else strides[normalize_dim(dim, self.ndim)]

    def storage_offset(self) -> int:
        return self._view.offset

    def is_contiguous(self, memory_format=None) -> bool:
        return self._view.is_contiguous()

    def data_ptr(self) -> int:
        """Address of the first element; equal pointers and storages show shared memory."""
        return self.untyped_storage().data_ptr() + self._view.offset * self.dtype.itemsize

    def untyped_storage(self) -> _StorageRef:
        return _StorageRef(self._storage)

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
        return device(self._storage.device)

    @property
    def is_cuda(self) -> bool:
        return self._storage.device.startswith("cuda")

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        return self._storage.version

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
        body = np.array2string(self.detach().numpy(), separator=", ", prefix="tensor(",
                               threshold=1000, edgeitems=3)
        extra = ""
        if self.dtype not in (get_default_dtype(), int64, bool_):
            extra += f", dtype={self.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.name()}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # *** 3. leaving the library: numpy, python numbers, dlpack ***

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """A numpy array sharing this tensor's memory on the cpu (a copy elsewhere)."""
        if self.requires_grad and not force:
            raise AutogradError("Can't call numpy() on Tensor that requires grad. Use "
                                "tensor.detach().numpy() instead.")
        dev = get_device(self._storage.device)
        if self._storage.device == "cpu":
            return ops_cpu.operand(self._storage, self._view)
        host = Storage(dev.to_numpy(self._storage.data))
        return ops_cpu.operand(host, self._view)

    def __array__(self, dtype=None, copy=None):
        """np.asarray(t) shares memory; np.array(t) (numpy passes copy=True) copies."""
        a = self.detach().numpy()
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
        return self.detach().numpy().reshape(()).item()

    def tolist(self):
        return self.detach().numpy().tolist()

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
        return {"data": np.array(self.detach().numpy()), "requires_grad": self.requires_grad}

    def __setstate__(self, state):
        src = Tensor._from_numpy(state["data"])
        self._init(src._storage, src._view, src.dtype)
        self.requires_grad = state["requires_grad"]

    # *** 4. dtype and device ***

    def to(self, *args, **kwargs) -> Tensor:
        """to(dtype), to(device), to(device, dtype) or to(other): a copy only if anything
        changes."""
        dtype, dev = kwargs.get("dtype"), kwargs.get("device")
        for a in args:
            if isinstance(a, Tensor):
                dtype, dev = a.dtype, a._storage.device
            elif isinstance(a, str | device):
                dev = a
            else:
                dtype = a
        out = self
        if dev is not None and str(device(dev)) != out._storage.device:
            out = F.ToDevice.apply(out, str(device(dev)))
        if dtype is not None and to_dtype(dtype) is not out.dtype:
            out = F.Copy.apply(out, to_dtype(dtype))
        return out

    def float(self) -> Tensor:
        return self.to(float32)

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
        t = Tensor._full(tuple(_shape_arg((size,) if isinstance(size, int) else tuple(size))),
                         fill, to_dtype(dtype or self.dtype),
                         str(device) if device is not None else self._storage.device)
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
        t = creation._from_data(data, dtype or self.dtype, device or self._storage.device)
        return t.requires_grad_() if requires_grad else t

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    # *** 5. autograd ***

    def _grad_node(self):
        """The graph node gradient for this tensor flows into: grad_fn, or a leaf's
        AccumulateGrad."""
        if self.grad_fn is not None:
            return self.grad_fn
        if self._node is None:
            self._node = autograd.AccumulateGrad(self)
        return self._node

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
        return Tensor._wrap(self._storage, self._view, self.dtype, self._base)

    def detach_(self) -> Tensor:
        self.grad_fn, self.requires_grad = None, False
        return self

    @property
    def data(self) -> Tensor:
        return self.detach()

    @data.setter
    def data(self, new: Tensor) -> None:
        self._storage, self._view, self.dtype = new._storage, new._view, new.dtype

    # *** 6. in-place ops: write into the storage, bump its version ***

    def _recording(self, *others) -> bool:
        return is_grad_enabled() and (self.requires_grad or any(
            isinstance(o, Tensor) and o.requires_grad for o in others))

    def _saved_self(self) -> Tensor:
        """The old value of self as a graph input: a copy, since self is about to change."""
        if self.requires_grad and self.is_leaf:
            raise AutogradError("a leaf Variable that requires grad is being used in an in-place "
                                "operation.")
        return self.clone() if self.requires_grad else self

    # --8<-- [start:adopt]
    def _adopt(self, result: Tensor) -> Tensor:
        """Make `result` (computed out of place) the new value and history of self.

        For a view, the history of its base changes too, as PyTorch's CopySlices does: the new
        base is "the old base with the view's elements replaced", and the view reads from it.
        """
        if self._base is None:
            self._write(result.detach())
            self.grad_fn, self.requires_grad = result.grad_fn, result.requires_grad
            return self
        base = self._base
        if base.requires_grad and base.is_leaf:
            raise AutogradError("a view of a leaf Variable that requires grad is being used in "
                                "an in-place operation.")
        if not base.is_contiguous():
            raise AutogradError("ch2_lego: in-place ops on views of a non-contiguous tensor are "
                                "not differentiable; apply them to a clone")
        where = View(self.shape, self.stride(), self._view.offset - base._view.offset)
        new_base = F.ViewAssign.apply(base, result, where)
        self._write(result.detach())
        base.grad_fn, base.requires_grad = new_base.grad_fn, True
        self.grad_fn, self.requires_grad = F.AsStrided.apply(base, where).grad_fn, True
        return self
    # --8<-- [end:adopt]

    def _check_writable(self) -> None:
        if any(stride == 0 and size > 1 for size, stride in zip(self.shape, self.stride())):
            raise AutogradError("unsupported operation: more than one element of the written-to "
                                "tensor refers to a single memory location. Please clone() the "
                                "tensor before performing the operation.")

    def _write(self, src: Tensor) -> None:
        self._check_writable()
        if tuple(src.shape) != tuple(self.shape):
            raise ShapeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                             f"shape {list(src.shape)}")
        if not can_cast(src.dtype, self.dtype):
            raise DTypeError(f"result type {PT_NAMES[src.dtype.name]} can't be cast to the "
                             f"desired output type {PT_NAMES[self.dtype.name]}")
        run(Ops.COPY, (self._storage, self._view), (src._storage, src._view), dtype=src.dtype)
        self._storage.version += 1

    def _inplace(self, fn, *others) -> Tensor:
        """self = fn(self, *others), recorded when autograd is on."""
        if self._recording(*others):
            result = fn(self._saved_self(), *others)
            if result.dtype is not self.dtype:
                result = result.to(self.dtype) if can_cast(result.dtype, self.dtype) else result
            return self._adopt(result)
        with no_grad():
            self._write(fn(self, *others))
        return self

    # --8<-- [start:inplace_binary]
    def _inplace_binary(self, op: Ops, fn, other) -> Tensor:
        """The fast path of add_, mul_, ...: the kernel writes straight into self's storage."""
        if self._recording(other):
            return self._inplace(fn, other)
        o = other if isinstance(other, Tensor) else Tensor._scalar(other, self)
        rtype = result_type(self, other)
        if not can_cast(rtype, self.dtype) or (op is Ops.DIV and not rtype.is_floating_point):
            return self._inplace(fn, other)  # raises the cast error or computes in float
        self._check_writable()
        o = o.detach().to(self.dtype)
        if o.shape != self.shape:
            o = F.expand_raw(o, _broadcast_into(o.shape, self.shape))
        run(op, (self._storage, self._view), (self._storage, self._view), (o._storage, o._view),
            dtype=self.dtype)
        self._storage.version += 1
        return self
    # --8<-- [end:inplace_binary]

    def add_(self, other, alpha=1) -> Tensor:
        other = other * alpha if alpha != 1 else other
        return self._inplace_binary(Ops.ADD, Tensor.add, other)

    def sub_(self, other, alpha=1) -> Tensor:
        other = other * alpha if alpha != 1 else other
        return self._inplace_binary(Ops.SUB, Tensor.sub, other)

    def mul_(self, other) -> Tensor:
        return self._inplace_binary(Ops.MUL, Tensor.mul, other)

    def div_(self, other) -> Tensor:
        return self._inplace_binary(Ops.DIV, Tensor.div, other)

    def pow_(self, other) -> Tensor:
        return self._inplace(Tensor.pow, other)

    def addcmul_(self, t1, t2, value=1) -> Tensor:
        return self.add_(t1 * t2 * value)

    def addcdiv_(self, t1, t2, value=1) -> Tensor:
        return self.add_(t1 / t2 * value)

    def lerp_(self, end, weight) -> Tensor:
        return self.add_((end - self) * weight)

    def clamp_(self, min=None, max=None) -> Tensor:
        return self._inplace(lambda x: x.clamp(min, max))

    def masked_fill_(self, mask, value) -> Tensor:
        return self._inplace(lambda x, m: x.masked_fill(m, value), mask)

    def fill_(self, value) -> Tensor:
        return self._inplace(lambda x: x * 0 + value if x.requires_grad
                             else Tensor._full_like(x, value))

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def copy_(self, src: Tensor, non_blocking=False) -> Tensor:
        src = src if isinstance(src, Tensor) else Tensor._scalar(src, self)
        src = src.to(self._storage.device)
        return self._inplace(lambda x, s: s.to(x.dtype).expand(x.shape), src)

    def index_put_(self, indices, values, accumulate=False) -> Tensor:
        return self._inplace(lambda x, v: x.index_put(indices, v, accumulate), values)

    def index_add_(self, dim, index, source, alpha=1) -> Tensor:
        return self._inplace(lambda x, s: x.index_add(dim, index, s, alpha), source)

    def scatter_add_(self, dim, index, src) -> Tensor:
        return self._inplace(lambda x, s: x.scatter_add(dim, index, s), src)

    def exp_(self) -> Tensor:
        return self._inplace(Tensor.exp)

    def neg_(self) -> Tensor:
        return self._inplace(Tensor.neg)

    def sqrt_(self) -> Tensor:
        return self._inplace(Tensor.sqrt)

    def relu_(self) -> Tensor:
        return self._inplace(Tensor.relu)

    def uniform_(self, a=0.0, b=1.0, generator=None) -> Tensor:
        return self._inplace(lambda x: random.rand(*x.shape, dtype=x.dtype,
                                                   generator=generator) * (b - a) + a)

    def normal_(self, mean=0.0, std=1.0, generator=None) -> Tensor:
        return self._inplace(lambda x: random.randn(*x.shape, dtype=x.dtype,
                                                    generator=generator) * std + mean)

    def bernoulli_(self, p=0.5, generator=None) -> Tensor:
        return self._inplace(lambda x: (random.rand(*x.shape, generator=generator) < p)
                             .to(x.dtype))

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_


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


# *** 7. the layers above this one: they import Tensor, so they load after it ***

from ch2_lego import (  # noqa: E402
    autograd,  # noqa: F401 (Tensor.backward calls it)
    creation,
    functional,
    random,
    tensor_math,
    tensor_movement,
)
from ch2_lego import function as F  # noqa: E402

# The mixins' methods call these layers too; hand them over now that they exist.
for _mixin in (tensor_math, tensor_movement):
    _mixin.Tensor, _mixin.F = Tensor, F
    _mixin.functional, _mixin.random, _mixin.creation = functional, random, creation
