"""Tensor's math methods: elementwise ops with dtype promotion, and matmul (reductions: in
tensor_reduce.py).

A mixin of Tensor (tensor.py), written against Tensor's own methods (`self._wrap`, `self._buf`,
...). Each method promotes its operands (dtype.result_type), then applies one autograd Function
(function.py) or composes others: an hlop. A python number stays a number down to the kernel.
Comparisons and logical ops return bool tensors and carry no gradient.
"""

from __future__ import annotations

import math

import numpy as np

from ch2_lego import function
from ch2_lego.autograd import TensorBase
from ch2_lego.backend import Ops
from ch2_lego.dtype import (
    PT_NAMES,
    DType,
    bool_,
    get_default_dtype,
    result_type,
    to_dtype,
)
from ch2_lego.errors import (
    DTypeError,
    InvalidArgumentError,
    ShapeError,
    UnsupportedOpError,
)
from ch2_lego.storage import normalize_dim

# In annotations only: Tensor (tensor.py) is built from these mixins and TensorBase.
Tensor = TensorBase

class MathMixin:
    """Elementwise math, comparisons, reductions and matmul."""

    __slots__ = ()
    __array_priority__ = 1000  # numpy's scalars defer to us: np.float64(2) * x is x.__rmul__

    # *** 1. elementwise math: promote dtypes, then one Function each ***

    # --8<-- [start:tensor_binary]
    def _binary(self, fn, other, reverse=False) -> Tensor:
        if isinstance(other, TensorBase) and other.dtype is self.dtype:
            dtype = self.dtype  # a fast path for the common case: this runs for every op
        else:
            dtype = result_type(self, other)
        a, b = _as_dtype(self, dtype, self), _as_dtype(other, dtype, self)
        return fn(b, a) if reverse else fn(a, b)
    # --8<-- [end:tensor_binary]

    def _as_float(self) -> Tensor:
        return self if self.dtype.is_floating_point else self.to(get_default_dtype())

    def _float_unary(self, op: Ops) -> Tensor:
        return function.Unary.apply(self._as_float(), op)

    def add(self, other, alpha=1) -> Tensor:
        return self._binary(function.Add.apply, other * alpha if alpha != 1 else other)

    def mul(self, other) -> Tensor:
        return self._binary(function.Mul.apply, other)

    def div(self, other, rounding_mode=None) -> Tensor:
        if rounding_mode == "floor":
            return self._binary(_floordiv, other)
        q = self._binary(_truediv, other)
        if rounding_mode == "trunc":
            q = q.trunc()
            return q if self.dtype.is_floating_point else q.to(result_type(self, other))
        return q

    def __truediv__(self, other):
        return self.div(other)

    def __rtruediv__(self, other):
        return self._binary(_truediv, other, reverse=True)

    def __floordiv__(self, other):
        return self._binary(_floordiv, other)

    def __rfloordiv__(self, other):
        return self._binary(_floordiv, other, reverse=True)

    def remainder(self, other) -> Tensor:
        # x - floor(x / y) * y; the sign follows the divisor, as python's %
        return self._binary(_remainder, other)

    def __rmod__(self, other):
        return self._binary(_remainder, other, reverse=True)

    def pow(self, exponent) -> Tensor:
        return self._binary(function.Pow.apply, exponent)

    def __rpow__(self, other):
        return self._binary(function.Pow.apply, other, reverse=True)

    def maximum(self, other) -> Tensor:
        _need_tensor("maximum", other, 1)
        return self._binary(function.Maximum.apply, other)

    def minimum(self, other) -> Tensor:
        _need_tensor("minimum", other, 1)
        return self._binary(function.Minimum.apply, other)

    def __add__(self, other): return self.add(other)  # noqa: E704
    def __radd__(self, other): return self._binary(function.Add.apply, other, reverse=True)  # noqa: E704
    def __sub__(self, other): return self.sub(other)  # noqa: E704
    def __rsub__(self, other): return _check_bool_sub(self, other) or self._binary(function.Sub.apply, other, reverse=True)  # noqa: E501,E704
    def __mul__(self, other): return self.mul(other)  # noqa: E704
    def __rmul__(self, other): return self._binary(function.Mul.apply, other, reverse=True)  # noqa: E704
    def __pow__(self, other): return self.pow(other)  # noqa: E704
    def __mod__(self, other): return self.remainder(other)  # noqa: E704
    def __neg__(self): return self.neg()  # noqa: E704
    def __pos__(self): return self  # noqa: E704
    def __abs__(self): return self.abs()  # noqa: E704
    # a list or number: NotImplemented makes Python raise its TypeError for @, as torch's
    def __matmul__(self, other): return self.matmul(other) if isinstance(other, TensorBase) else NotImplemented  # noqa: E501,E704
    def __rmatmul__(self, other): return other.matmul(self) if isinstance(other, TensorBase) else NotImplemented  # noqa: E501,E704

    # comparisons and logic: no gradient, the result is bool
    def _compare(self, op: Ops, other, reverse=False) -> Tensor:
        a, b = (other, self) if reverse else (self, other)
        dtype = result_type(a, b)
        return self._wrap(function.elementwise(op, _buf_of(_as_dtype(a, dtype, self)),
                                        _buf_of(_as_dtype(b, dtype, self))))

    def eq(self, other): return self._compare(Ops.CMPEQ, other)  # noqa: E704
    def ne(self, other): return self._compare(Ops.CMPNE, other)  # noqa: E704
    def lt(self, other): return self._compare(Ops.CMPLT, other)  # noqa: E704
    def le(self, other): return self._compare(Ops.CMPLE, other)  # noqa: E704
    def gt(self, other): return self._compare(Ops.CMPLT, other, reverse=True)  # noqa: E704
    def ge(self, other): return self._compare(Ops.CMPLE, other, reverse=True)  # noqa: E704
    __eq__, __ne__, __lt__, __le__, __gt__, __ge__ = eq, ne, lt, le, gt, ge

    def logical_and(self, other): return self._logic(Ops.AND, other)  # noqa: E704
    def logical_or(self, other): return self._logic(Ops.OR, other)  # noqa: E704
    def logical_xor(self, other): return self._logic(Ops.XOR, other)  # noqa: E704

    def _logic(self, op: Ops, other) -> Tensor:
        other = _buf_of(other.to(self.dtype)) if isinstance(other, TensorBase) else other
        return self._wrap(self._buf.alu(op, other))

    def logical_not(self) -> Tensor:
        return self._wrap(self._buf.alu(Ops.NOT))

    def _bitwise(self, op: Ops, other) -> Tensor:
        other = other.item() if isinstance(other, np.generic) else other  # np.bool_ -> bool
        other_bool = other.dtype is bool_ if isinstance(other, TensorBase) else \
            isinstance(other, bool | np.bool_)
        if self.dtype is bool_ and other_bool:
            return self._logic(op, other)
        return _integer_bitwise(op, self, other)

    def __and__(self, other): return self._bitwise(Ops.AND, other)  # noqa: E704
    def __or__(self, other): return self._bitwise(Ops.OR, other)  # noqa: E704
    def __xor__(self, other): return self._bitwise(Ops.XOR, other)  # noqa: E704
    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self):
        if self.dtype is bool_:
            return self.logical_not()
        if self.dtype.is_floating_point:
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                            "tensors")
        return -self - 1  # two's complement: ~x == -x - 1 for every integer

    def isnan(self) -> Tensor:
        return self != self

    def isinf(self) -> Tensor:
        return self.abs() == math.inf

    def isfinite(self) -> Tensor:
        return (self == self) & (self.abs() != math.inf)

    def sub(self, other, alpha=1) -> Tensor:
        _check_bool_sub(self, other)
        return self._binary(function.Sub.apply, other * alpha if alpha != 1 else other)

    def neg(self) -> Tensor:
        if self.dtype is bool_:
            raise DTypeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                             "you are trying to invert a mask, use the `~` or `logical_not()` "
                             "operator instead.")
        return function.Unary.apply(self, Ops.NEG)

    def exp(self): return self._float_unary(Ops.EXP)  # noqa: E704
    def log(self): return self._float_unary(Ops.LOG)  # noqa: E704
    def sqrt(self): return self._float_unary(Ops.SQRT)  # noqa: E704
    def sin(self): return self._float_unary(Ops.SIN)  # noqa: E704
    def cos(self): return self._float_unary(Ops.COS)  # noqa: E704
    def tanh(self): return self._float_unary(Ops.TANH)  # noqa: E704
    def erf(self): return self._float_unary(Ops.ERF)  # noqa: E704
    def abs(self): return function.Unary.apply(self, Ops.ABS) if self.dtype is not bool_ else self  # noqa
    def sigmoid(self): return function.Sigmoid.apply(self._as_float())  # noqa: E704
    def relu(self): return function.Relu.apply(self)  # noqa: E704
    def rsqrt(self): return 1 / self.sqrt()  # noqa: E704
    def tan(self): return self.sin() / self.cos()  # noqa: E704
    def log2(self): return self.log() / math.log(2)  # noqa: E704
    def log10(self): return self.log() / math.log(10)  # noqa: E704
    def square(self): return self * self  # noqa: E704
    def reciprocal(self): return 1 / self  # noqa: E704

    def log1p(self) -> Tensor:
        """log(1 + x), accurate for tiny x, where log(u) of the rounded u = 1 + x is not (it
        gives 0 for x = 1e-8). Goldberg's trick: log(u) * x / (u - 1) cancels the rounding of
        u, to a few ulps; where u == 1 the answer is x itself."""
        x = self._as_float()
        if x.dtype.itemsize == 2:
            return x._in_float32(MathMixin.log1p)
        u = x + 1
        xd, ud = x.detach(), u.detach()
        plain = (ud == 1) | ud.isinf()
        c = (xd / (ud - 1).masked_fill(plain, 1)).masked_fill(plain, 1)
        return _corrected(u.log(), (ud.log() * c).where(ud != 1, xd))

    def expm1(self) -> Tensor:
        """e^x - 1, accurate for tiny x, where exp(x) - 1 cancels. Kahan's trick: with u =
        exp(x) rounded, (u - 1) * x / log(u) is within a few ulps; where u == 1 it is x. From
        |x| >= 1 on nothing cancels, and log(u) of a subnormal u would lose digits: u - 1."""
        x = self._as_float()
        if x.dtype.itemsize == 2:
            return x._in_float32(MathMixin.expm1)
        u = x.exp()
        xd, ud = x.detach(), u.detach()
        plain = (ud == 1) | (xd.abs() >= 1)
        c = (xd / ud.log().masked_fill(plain, 1)).masked_fill(plain, 1)
        return _corrected(u - 1, ((ud - 1) * c).where(ud != 1, xd))

    def _softmax_input(self, dim, dtype) -> tuple[Tensor, int]:
        if dim is None:
            raise InvalidArgumentError("softmax needs an explicit dim in ch2_lego")
        x = self.to(to_dtype(dtype)) if dtype is not None else self
        if not x.dtype.is_floating_point:
            raise UnsupportedOpError(f'"softmax" not implemented for '
                                     f"'{PT_NAMES[x.dtype.name]}'")
        return x, normalize_dim(dim, x.ndim)

    def _in_float32(self, method, *args, **kwargs) -> Tensor:
        """A composite op on float16/bfloat16 computed in float32 and rounded once at the end,
        as torch's cpu kernels do (each half-precision step would round on its own)."""
        return method(self.float(), *args, **kwargs).to(self.dtype)

    def softmax(self, dim=None, dtype=None) -> Tensor:
        """exp(x_i) / sum_j exp(x_j) along dim, computed after subtracting the max."""
        x, d = self._softmax_input(dim, dtype)
        if x.dtype.itemsize == 2:
            return x._in_float32(MathMixin.softmax, d)
        if x.numel() == 0:  # nothing to normalize (and no max of an empty dim): torch's empty
            return x * 0
        return function.Softmax.apply(x, d) if x.ndim else x * 0 + 1

    def log_softmax(self, dim=None, dtype=None) -> Tensor:
        """x_i - logsumexp(x) along dim, without computing softmax first (no log of 0)."""
        x, d = self._softmax_input(dim, dtype)
        if x.dtype.itemsize == 2:
            return x._in_float32(MathMixin.log_softmax, d)
        return function.LogSoftmax.apply(x, d) if x.ndim and x.numel() else x * 0

    def _piecewise_constant(self, op: Ops) -> Tensor:
        if self.dtype is bool_ or (op is not Ops.SIGN and not self.dtype.is_floating_point):
            return self.clone()
        y = function.Unary.apply(self, op)
        # torch.sign(nan) is 0
        return y.masked_fill(y != y, 0) if op is Ops.SIGN and self.dtype.is_floating_point else y

    def sign(self): return self._piecewise_constant(Ops.SIGN)  # noqa: E704
    def floor(self): return self._piecewise_constant(Ops.FLOOR)  # noqa: E704
    def ceil(self): return self._piecewise_constant(Ops.CEIL)  # noqa: E704
    def round(self): return self._piecewise_constant(Ops.ROUND)  # noqa: E704

    def trunc(self) -> Tensor:
        return self.floor().where(self >= 0, self.ceil())

    def where(self, condition: Tensor, other) -> Tensor:
        return where(condition, self, other)

    # --8<-- [start:clamp]
    def clamp(self, min=None, max=None) -> Tensor:
        """Limit to [min, max]; the gradient passes where min <= x <= max, as torch's."""
        if min is None and max is None:
            raise InvalidArgumentError("torch.clamp: At least one of 'min' or 'max' must not be "
                                       "None")
        out = self
        if min is not None:
            out = where(out < min, min, out)
        if max is not None:
            out = where(out > max, max, out)
        return out
    # --8<-- [end:clamp]

    clip = clamp

    def clamp_min(self, min): return self.clamp(min=min)  # noqa: E704
    def clamp_max(self, max): return self.clamp(max=max)  # noqa: E704

    # *** 2. matmul ***

    # --8<-- [start:tensor_matmul]
    def matmul(self, other: Tensor) -> Tensor:
        """Matrix product with PyTorch's rules: a 1-D operand is a row (left) or a column
        (right) vector that disappears from the result; leading batch dims broadcast.

        Shapes: (K,) @ (K,) -> (); (M, K) @ (K,) -> (M,); (B, M, K) @ (K, N) -> (B, M, N).
        """
        a, b = self, other
        _need_tensor("matmul", b)
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"both arguments to matmul need to be at least 1D, but they are "
                             f"{a.ndim}D and {b.ndim}D")
        if a.dtype is not b.dtype:
            raise DTypeError(f"expected m1 and m2 to have the same dtype, but got: "
                             f"{PT_NAMES[a.dtype.name].lower()} != "
                             f"{PT_NAMES[b.dtype.name].lower()}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else -1]:
            if a.ndim == 1 and b.ndim == 1:
                raise ShapeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and "
                                 f"src [{b.shape[0]}] to have the same number of elements, but "
                                 f"got {a.shape[0]} and {b.shape[0]} elements respectively")
            left = "x".join(map(str, a.shape[-2:] if a.ndim > 1 else (1,) + a.shape))
            right = "x".join(map(str, b.shape[-2:] if b.ndim > 1 else b.shape + (1,)))
            raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({left} and {right})")
        out = function.Matmul.apply(a.unsqueeze(0) if a.ndim == 1 else a,
                             b.unsqueeze(-1) if b.ndim == 1 else b)
        if b.ndim == 1:
            out = out.squeeze(-1)
        if a.ndim == 1:
            out = out.squeeze(-2 if b.ndim > 1 else -1)
        return out
    # --8<-- [end:tensor_matmul]

    def mm(self, other: Tensor) -> Tensor:
        _need_tensor("mm", other)
        if self.ndim != 2 or other.ndim != 2:
            raise ShapeError("self must be a matrix")
        return self.matmul(other)

    def bmm(self, other: Tensor) -> Tensor:
        _need_tensor("bmm", other)
        if self.ndim != 3 or other.ndim != 3:
            raise ShapeError("batch1 must be a 3D tensor")
        return self.matmul(other)

    def dot(self, other: Tensor) -> Tensor:
        _need_tensor("dot", other)
        if self.ndim != 1 or other.ndim != 1:
            raise ShapeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D "
                             "tensors")
        return self.matmul(other)

    def mv(self, vec: Tensor) -> Tensor:
        _need_tensor("mv", vec)
        return self.matmul(vec)

    def outer(self, other: Tensor) -> Tensor:
        _need_tensor("outer", other)
        for name, v in (("self", self), ("vec2", other)):
            if v.ndim != 1:
                raise ShapeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
        return self.unsqueeze(1) * other.unsqueeze(0)


# *** 3. helpers: python numbers, division and where ***

NUMBERS = (bool, int, float)


def _as_dtype(x, dtype: DType, like: Tensor):
    """A tensor operand in `dtype`; a python number stays a number (the kernel gets it)."""
    if isinstance(x, TensorBase):
        return x if x.dtype is dtype else x.to(dtype)
    if isinstance(x, np.number | np.bool_):  # first: np.float64 is a float, yet no kernel's
        return x.item()
    if isinstance(x, NUMBERS):
        return x
    raise TypeError(f"unsupported operand type: {type(x).__name__}")


def _corrected(plain: Tensor, value: Tensor) -> Tensor:
    """`value` (computed without gradient) carrying the gradient of `plain`, the naive formula
    of the same function: plain + a constant, so every derivative is the formula's."""
    correction = value - plain.detach()
    return plain + correction.masked_fill(value == plain.detach(), 0)  # inf - inf is no nan


def _buf_of(x):
    return x._buf if isinstance(x, TensorBase) else x


def _tensor_of(a, b) -> Tensor:
    return a if isinstance(a, TensorBase) else b


def _no_grad_op(op: Ops, a, b) -> Tensor:
    """A non-differentiable elementwise op on tensors and numbers."""
    return _tensor_of(a, b)._wrap(function.elementwise(op, _buf_of(a), _buf_of(b)))


def _truediv(a, b) -> Tensor:
    if not _tensor_of(a, b).dtype.is_floating_point:  # int / int is float, as in python 3
        a, b = _as_dtype(a, get_default_dtype(), a), _as_dtype(b, get_default_dtype(), b)
    return function.Div.apply(a, b)


def _floordiv(a, b) -> Tensor:
    return _no_grad_op(Ops.FLOORDIV, a, b)


def _remainder(a, b) -> Tensor:
    t = _tensor_of(a, b)
    grad = any(isinstance(x, TensorBase) and x.requires_grad for x in (a, b))
    if t.dtype.is_floating_point and grad:
        return a - _floordiv(a, b) * b  # differentiable: d/da = 1, d/db = -floor(a/b)
    return _no_grad_op(Ops.MOD, a, b)


def _integer_bitwise(op: Ops, a: Tensor, b) -> Tensor:
    """a & b, a | b, a ^ b on integers (bools promote), bit by bit, computed by numpy on the host:
    the device ops AND/OR/XOR are logical (bool) ops."""
    dtype = result_type(a, b)
    if dtype.is_floating_point:
        raise UnsupportedOpError(f'"bitwise_{op.name.lower()}_cpu" not implemented for '
                                 f"'{PT_NAMES.get(dtype.name, dtype.name)}'")
    fn = {Ops.AND: np.bitwise_and, Ops.OR: np.bitwise_or, Ops.XOR: np.bitwise_xor}[op]
    x = a.detach().to("cpu").to(dtype).numpy()
    y = b.detach().to("cpu").to(dtype).numpy() if isinstance(b, TensorBase) else \
        np.array(b, dtype=dtype.np)
    return a._from_numpy(np.asarray(fn(x, y), dtype=dtype.np)).to(a._buf.device)


def _check_bool_sub(a: Tensor, b) -> None:
    """torch refuses a - b where either side is bool (a tensor or a python bool)."""
    a_bool = a.dtype is bool_
    b_bool = getattr(b, "dtype", None) is bool_ or isinstance(b, bool | np.bool_)
    if a_bool and b_bool:
        raise DTypeError("Subtraction, the `-` operator, with two bool tensors is not "
                         "supported. Use the `^` or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise DTypeError("Subtraction, the `-` operator, with a bool tensor is not supported. If "
                         "you are trying to invert a mask, use the `~` or `logical_not()` "
                         "operator instead.")


def _need_tensor(op: str, x, position: int = 2) -> None:
    if not isinstance(x, TensorBase):
        raise TypeError(f"{op}(): argument 'other' (position {position}) must be Tensor, not "
                        f"{type(x).__name__}")


def where(condition, input=None, other=None) -> Tensor:
    """input where condition is true, else other; the three broadcast together. With the
    condition alone it is condition.nonzero(as_tuple=True), as torch.where."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    like = input if isinstance(input, TensorBase) else other
    if not isinstance(condition, TensorBase):
        if not isinstance(like, TensorBase):
            raise TypeError("where(): argument 'condition' must be Tensor, not "
                            f"{type(condition).__name__}")
        condition = like._from_numpy(np.array(condition, np.bool_), like._buf.device)
    if condition.dtype is not bool_:
        raise DTypeError(f"where expected condition to be a boolean tensor, but got a tensor "
                         f"with dtype {PT_NAMES[condition.dtype.name]}")
    dtype = result_type(input, other)
    if not isinstance(like, TensorBase):  # two numbers: the result needs a dtype of its own
        input = condition._full((), input, dtype, condition._buf.device)
    return function.Where.apply(condition, _as_dtype(input, dtype, like),
                                _as_dtype(other, dtype, like))
