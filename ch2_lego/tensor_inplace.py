"""Tensor's in-place methods: add_, mul_, zero_, copy_, ... and the version counter they bump.

A mixin of Tensor (tensor.py), written against Tensor's own methods. Outside autograd an
in-place op writes into the tensor's own storage. When the graph is recording, the op runs out
of place and its result becomes the tensor's new value and history (`_adopt`); for a view, the
history of its base changes too, as PyTorch's CopySlices does. Every write bumps the storage's
version, which autograd checks.
"""

from __future__ import annotations

import numpy as np

from ch2_lego import function_movement as movement
from ch2_lego.autograd import TensorBase
from ch2_lego.backend import Ops
from ch2_lego.dtype import PT_NAMES, DType, bool_, can_cast, get_default_dtype, result_type
from ch2_lego.errors import AutogradError, DTypeError, InvalidArgumentError, ShapeError
from ch2_lego.generator import normal_array, uniform_array
from ch2_lego.grad_mode import is_grad_enabled, no_grad
from ch2_lego.storage import View
from ch2_lego.tensor_math import MathMixin
from ch2_lego.tensor_movement import _broadcast_into

# In annotations only: Tensor (tensor.py) is built from these mixins and TensorBase.
Tensor = TensorBase


class InplaceMixin:
    """In-place ops, recorded for autograd when needed, and the checks that keep them safe."""

    __slots__ = ()

    # *** 1. the machinery: record, write, adopt ***

    def _recording(self, *others) -> bool:
        return is_grad_enabled() and (self.requires_grad or any(
            isinstance(o, TensorBase) and o.requires_grad for o in others))

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
        where = View(self.shape, self.stride(), self._buf.view.offset - base._buf.view.offset)
        new_base = movement.ViewAssign.apply(base, result, where)
        self._write(result.detach())
        base.grad_fn, base.requires_grad = new_base.grad_fn, True
        self.grad_fn, self.requires_grad = movement.AsStrided.apply(base, where).grad_fn, True
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
        _check_castable(src.dtype, self.dtype)
        self._buf.assign(src._buf)

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
        if isinstance(other, np.number | np.bool_):
            other = other.item()
        rtype = result_type(self, other)
        if not can_cast(rtype, self.dtype) or (op is Ops.DIV and not rtype.is_floating_point):
            return self._inplace(fn, other)  # raises the cast error or computes in float
        self._check_writable()
        o = other
        if isinstance(other, TensorBase):
            o = other.to(self.dtype)._buf
            if o.shape != self.shape:
                o = o.expand(_broadcast_into(o.shape, self.shape))
        self._buf.alu(op, o, out=self._buf)  # out aliases the input: the contract allows it
        self._buf.storage.version += 1
        return self
    # --8<-- [end:inplace_binary]

    # *** 2. the in-place ops ***

    def add_(self, other, alpha=1) -> Tensor:
        other = other * alpha if alpha != 1 else other
        return self._inplace_binary(Ops.ADD, MathMixin.add, other)

    def sub_(self, other, alpha=1) -> Tensor:
        other = other * alpha if alpha != 1 else other
        return self._inplace_binary(Ops.SUB, MathMixin.sub, other)

    def mul_(self, other) -> Tensor:
        return self._inplace_binary(Ops.MUL, MathMixin.mul, other)

    def div_(self, other) -> Tensor:
        return self._inplace_binary(Ops.DIV, MathMixin.div, other)

    def pow_(self, other) -> Tensor:
        return self._inplace(MathMixin.pow, other)

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
        # not x * 0 + value: x may be uninitialized memory (empty()), and nan * 0 is nan. A
        # where() that never picks x still links the graph, with a zero gradient for x.
        return self._inplace(lambda x: x.masked_fill(x._full(x.shape, True, bool_, x._buf.device),
                                                     value) if x.requires_grad
                             else x._full_like(x, value))

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def copy_(self, src: Tensor, non_blocking=False) -> Tensor:
        src = src if isinstance(src, TensorBase) else self._scalar(src, self)
        src = src.to(self._buf.device)
        return self._inplace(lambda x, s: s.to(x.dtype).expand(x.shape), src)

    def index_put_(self, indices, values, accumulate=False) -> Tensor:
        return self._inplace(lambda x, v: x.index_put(indices, v, accumulate), values)

    def index_add_(self, dim, index, source, alpha=1) -> Tensor:
        return self._inplace(lambda x, s: x.index_add(dim, index, s, alpha), source)

    def scatter_add_(self, dim, index, src) -> Tensor:
        return self._inplace(lambda x, s: x.scatter_add(dim, index, s), src)

    def exp_(self) -> Tensor:
        return self._inplace(MathMixin.exp)

    def neg_(self) -> Tensor:
        return self._inplace(MathMixin.neg)

    def sqrt_(self) -> Tensor:
        return self._inplace(MathMixin.sqrt)

    def relu_(self) -> Tensor:
        return self._inplace(MathMixin.relu)

    def _random(self, sample, dtype, generator) -> Tensor:
        """A tensor of self's shape and device, drawn on the host by `sample` (generator.py)."""
        a = sample(tuple(self.shape), dtype, generator)
        return self._from_host(a, dtype, self._buf.device)

    def uniform_(self, a=0.0, b=1.0, generator=None) -> Tensor:
        if a > b:
            raise InvalidArgumentError(f"uniform_ expects to return a [from, to) range, but "
                                       f"found from={a:g} > to={b:g}")
        return self._inplace(lambda x: x._random(uniform_array, x.dtype, generator) * (b - a) + a)

    def normal_(self, mean=0.0, std=1.0, generator=None) -> Tensor:
        if std < 0:
            raise InvalidArgumentError(f"normal expects std >= 0.0, but found std {std:g}")
        return self._inplace(lambda x: x._random(normal_array, x.dtype, generator) * std + mean)

    def bernoulli_(self, p=0.5, generator=None) -> Tensor:
        if not isinstance(p, TensorBase) and not 0 <= p <= 1:
            raise InvalidArgumentError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
        if isinstance(p, TensorBase) and not ((p >= 0) & (p <= 1)).all():
            raise InvalidArgumentError("Expected p_in >= 0 && p_in <= 1 to be true, but got "
                                       "false.")
        return self._inplace(lambda x: (x._random(uniform_array, get_default_dtype(), generator)
                                        < p).to(x.dtype))

    def _inplace_integer(self, fn, other) -> Tensor:
        """A bitwise op or shift in place. torch checks the result type first: an int tensor
        &= 1.5 is the cast error, not the kernel's missing float version."""
        _check_castable(result_type(self, other), self.dtype)
        return self._inplace(fn, other)

    def floor_divide_(self, other) -> Tensor:
        return self._inplace(MathMixin.__floordiv__, other)

    def remainder_(self, other) -> Tensor:
        return self._inplace(MathMixin.remainder, other)

    def bitwise_and_(self, other) -> Tensor:
        return self._inplace_integer(lambda x, o: x & o, other)

    def bitwise_or_(self, other) -> Tensor:
        return self._inplace_integer(lambda x, o: x | o, other)

    def bitwise_xor_(self, other) -> Tensor:
        return self._inplace_integer(lambda x, o: x ^ o, other)

    def bitwise_left_shift_(self, other) -> Tensor:
        return self._inplace_integer(lambda x, o: x << o, other)

    def bitwise_right_shift_(self, other) -> Tensor:
        return self._inplace_integer(lambda x, o: x >> o, other)

    def abs_(self) -> Tensor:
        return self._inplace(MathMixin.abs)

    def sigmoid_(self) -> Tensor:
        return self._inplace(MathMixin.sigmoid)

    def tanh_(self) -> Tensor:
        return self._inplace(MathMixin.tanh)

    def log_(self) -> Tensor:
        return self._inplace(MathMixin.log)

    def floor_(self) -> Tensor:
        return self._inplace(MathMixin.floor)

    def ceil_(self) -> Tensor:
        return self._inplace(MathMixin.ceil)

    def round_(self) -> Tensor:
        return self._inplace(MathMixin.round)

    def trunc_(self) -> Tensor:
        return self._inplace(MathMixin.trunc)

    def reciprocal_(self) -> Tensor:
        return self._inplace(MathMixin.reciprocal)

    def square_(self) -> Tensor:
        return self._inplace(MathMixin.square)

    def clamp_min_(self, min) -> Tensor:
        return self.clamp_(min=min)

    def clamp_max_(self, max) -> Tensor:
        return self.clamp_(max=max)

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_
    __ifloordiv__, __imod__, __ipow__ = floor_divide_, remainder_, pow_
    __iand__, __ior__, __ixor__ = bitwise_and_, bitwise_or_, bitwise_xor_
    __ilshift__, __irshift__ = bitwise_left_shift_, bitwise_right_shift_


def _check_castable(src: DType, dst: DType) -> None:
    """An in-place op's result must fit the tensor's dtype, as torch's (no float -> int)."""
    if not can_cast(src, dst):
        raise DTypeError(f"result type {PT_NAMES[src.name]} can't be cast to the desired output "
                         f"type {PT_NAMES[dst.name]}")
