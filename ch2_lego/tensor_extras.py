"""The rest of torch's Tensor API that training scripts reach for, composed from the core methods.

A mixin of Tensor (tensor.py), first in its bases: numpy's names on reductions (`axis=`,
`keepdims=`), small elementwise ops (exp2, hyperbolic functions, lerp, hypot, ...), bit shifts,
linear-algebra conveniences (addmm, diagonal, trace) and shape helpers (tile, rot90, ...). Each is
an hlop over methods that already have gradients, so each is differentiable where torch's is.
Histograms (tensor_functions.py) count on the host: they have no gradient in torch either.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ch2_lego import function_movement as movement
from ch2_lego.autograd import TensorBase
from ch2_lego.dtype import (
    PT_NAMES,
    bfloat16,
    bool_,
    float16,
    int64,
    result_type,
)
from ch2_lego.errors import DTypeError, InvalidArgumentError, ShapeError, UnsupportedOpError
from ch2_lego.generator import uniform_array
from ch2_lego.storage import Size, View, contiguous_strides, normalize_dim
from ch2_lego.tensor_reduce import ReduceMixin

# In annotations only: Tensor (tensor.py) is built from these mixins and TensorBase.
Tensor = TensorBase


# *** 1. numpy's argument names on reductions ***

_REDUCTIONS = ("sum mean prod amax amin max min argmax argmin var std logsumexp all any "
               "cumsum").split()  # not norm: torch's takes no axis= either


def _with_numpy_names(name: str):
    """ReduceMixin.<name>, also taking numpy's `axis=` for dim and `keepdims=` for keepdim."""
    method = getattr(ReduceMixin, name)

    def reduction(self, *args, **kwargs):
        if kwargs:
            for numpy_name, torch_name in (("axis", "dim"), ("keepdims", "keepdim")):
                if numpy_name in kwargs:
                    if torch_name in kwargs:
                        raise TypeError(f"{name}() got both '{torch_name}' and its alias "
                                        f"'{numpy_name}'")
                    kwargs[torch_name] = kwargs.pop(numpy_name)
        return method(self, *args, **kwargs)
    reduction.__name__, reduction.__doc__ = name, method.__doc__
    return reduction


class ExtrasMixin:
    """Aliases and small ops; see the module docstring."""

    __slots__ = ()

    # *** 2. elementwise ***

    def exp2(self) -> Tensor:
        """2^x = e^(f ln 2) * 2^n with n = round(x) and f = x - n, both exact: e^(x ln 2) would
        round x ln 2 first, an error of |x| ulps. 2^n is two exact powers, 2^(n//2) 2^(n - n//2),
        so that neither overflows nor underflows before the product does. The half types
        compute in float32 and round once, as torch's."""
        x = self._as_float()
        if x.dtype in (float16, bfloat16):
            return x.float().exp2().to(x.dtype)
        n = x.detach().clamp(-2000, 2000).round()  # beyond every dtype's range: +-inf stay
        low = (n * 0.5).floor()
        return ((x - n) * math.log(2)).exp() * 2.0 ** low * 2.0 ** (n - low)

    def sinh(self) -> Tensor:
        """(e^x - e^-x) / 2 through expm1: the two terms have opposite signs, so nothing cancels
        near 0 (exp(x) - exp(-x) would lose every digit of sinh(1e-6) but one)."""
        return (self.expm1() - (-self).expm1()) / 2

    def cosh(self) -> Tensor:
        return (self.exp() + (-self).exp()) / 2

    def asinh(self) -> Tensor:
        """log1p(x + x^2 / (1 + sqrt(1 + x^2))) for x >= 0 (log(x + sqrt(x^2 + 1)) rearranged
        so that tiny x keep their digits), log(2x) where x^2 would overflow, and -asinh(-x)
        below 0. Each branch sees only its own inputs (clamped), so none makes a nan gradient."""
        x = self._as_float()
        return _asinh_positive(x.clamp(min=0)).where(x >= 0, -_asinh_positive((-x).clamp(min=0)))

    def acosh(self) -> Tensor:
        """log(x + sqrt(x^2 - 1)) as log1p(t + sqrt(t (t + 2))) with t = x - 1, exact near 1,
        and log(2x) where x^2 would overflow."""
        x = self._as_float()
        t = x.clamp(max=_HUGE) - 1
        near = (t + (t * (t + 2)).sqrt()).log1p()
        return near.where(x < _HUGE, x.clamp(min=_HUGE).log() + math.log(2))

    def atanh(self) -> Tensor:
        """log((1 + x) / (1 - x)) / 2 as log1p(2x / (1 - x)) / 2 for x >= 0, which keeps tiny
        x's digits (and 1 - x is exact near 1), and -atanh(-x) below 0."""
        x = self._as_float()
        def positive(t): return (2 * t / (1 - t)).log1p() / 2  # noqa: E306,E704
        return positive(x.clamp(min=0)).where(x >= 0, -positive((-x).clamp(min=0)))

    def frac(self) -> Tensor:
        return self - self.trunc()

    def fmod(self, other) -> Tensor:
        """The remainder with the dividend's sign (C's fmod), unlike remainder's divisor's."""
        if result_type(self, other).is_floating_point:
            return self - (self / other).trunc() * other
        return self - self.div(other, rounding_mode="trunc") * other

    def lerp(self, end, weight) -> Tensor:
        return self + weight * (end - self)

    def hypot(self, other) -> Tensor:
        return (self * self + other * other).sqrt()

    def logit(self, eps=None) -> Tensor:
        x = self if eps is None else self.clamp(eps, 1 - eps)
        return (x / (1 - x)).log()

    def xlogy(self, other) -> Tensor:
        """x * log(y), 0 where x == 0 (even where log y is -inf or nan)."""
        return (self * other.log() if isinstance(other, TensorBase) else self * math.log(other)
                ).masked_fill(self == 0, 0)

    def signbit(self) -> Tensor:
        if not self.dtype.is_floating_point:
            return self < 0
        return (self < 0) | ((self == 0) & ((1 / self) < 0))  # -0.0 has its sign bit set

    def sgn(self) -> Tensor:
        return self.sign()

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None) -> Tensor:
        if not self.dtype.is_floating_point:
            return self.clone()
        big = np.finfo(np.float32 if self.dtype.itemsize <= 4 else np.float64).max
        out = self.masked_fill(self.isnan(), nan)
        out = out.masked_fill(out == math.inf, big if posinf is None else posinf)
        return out.masked_fill(out == -math.inf, -big if neginf is None else neginf)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
        close = (self == other) | ((self - other).abs() <= atol + rtol * other.abs())
        return close | (self.isnan() & other.isnan()) if equal_nan else close

    def _shift(self, other, left: bool, reverse=False) -> Tensor:
        dtype = result_type(self, other)
        if dtype.is_floating_point or dtype is bool_:
            raise UnsupportedOpError(f'"{"l" if left else "r"}shift_cpu" not implemented for '
                                     f"'{PT_NAMES[dtype.name]}'")
        x, n = (other, self) if reverse else (self, other)
        x = x if isinstance(x, TensorBase) else self._scalar(x, self, dtype)
        scale = 2 ** n if isinstance(n, TensorBase) else 2 ** int(n)
        # x << n == x * 2^n (wrapping as two's complement does); x >> n == floor(x / 2^n)
        return (x * scale).to(dtype) if left else (x // scale).to(dtype)

    def __lshift__(self, other): return self._shift(other, True)  # noqa: E704
    def __rshift__(self, other): return self._shift(other, False)  # noqa: E704
    def __rlshift__(self, other): return self._shift(other, True, reverse=True)  # noqa: E704
    def __rrshift__(self, other): return self._shift(other, False, reverse=True)  # noqa: E704
    bitwise_left_shift, bitwise_right_shift = __lshift__, __rshift__

    def bitwise_and(self, other): return self & other  # noqa: E704
    def bitwise_or(self, other): return self | other  # noqa: E704
    def bitwise_xor(self, other): return self ^ other  # noqa: E704
    def bitwise_not(self): return ~self  # noqa: E704

    def negative(self): return -self  # noqa: E704
    def absolute(self): return self.abs()  # noqa: E704
    def true_divide(self, other): return self / other  # noqa: E704
    def deg2rad(self): return self._as_float() * (math.pi / 180)  # noqa: E704
    def rad2deg(self): return self._as_float() * (180 / math.pi)  # noqa: E704

    def addcmul(self, tensor1, tensor2, *, value=1) -> Tensor:
        return self + value * tensor1 * tensor2

    def addcdiv(self, tensor1, tensor2, *, value=1) -> Tensor:
        return self + value * tensor1 / tensor2

    def fmax(self, other) -> Tensor:
        """maximum that ignores a nan operand (nan only where both are)."""
        return self.maximum(other).where(~other.isnan(), self).where(~self.isnan(), other)

    def fmin(self, other) -> Tensor:
        return self.minimum(other).where(~other.isnan(), self).where(~self.isnan(), other)

    def logaddexp(self, other) -> Tensor:
        """log(e^a + e^b) = max(a, b) + log1p(e^-|a - b|): nothing overflows. Where a == b
        (both infinite, say) the difference is 0, not inf - inf."""
        d = (self - other).masked_fill(self == other, 0)
        return self.maximum(other) + (-d.abs()).exp().log1p()

    def dist(self, other, p=2) -> Tensor:
        return (self - other).norm(p)

    def inner(self, other) -> Tensor:
        """The sum over the last dims: shape self.shape[:-1] + other.shape[:-1]."""
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        n = self.shape[-1]
        flat = self.reshape(-1, n) @ other.reshape(-1, n).t()
        return flat.reshape(*self.shape[:-1], *other.shape[:-1])

    def diff(self, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
        """x[1:] - x[:-1] along dim, n times (!= for bool, as torch)."""
        from ch2_lego.tensor_movement import cat
        d = normalize_dim(dim, self.ndim)
        x = cat([t for t in (prepend, self, append) if t is not None], d) \
            if prepend is not None or append is not None else self
        for _ in range(n):
            m = x.shape[d]
            a, b = x.narrow(d, 1, max(m - 1, 0)), x.narrow(d, 0, max(m - 1, 0))
            x = a != b if x.dtype is bool_ else a - b
        return x

    def cumprod(self, dim: int, *, dtype=None) -> Tensor:
        """Running products along dim, one multiplication per step as torch's loop does: n - 1
        graph nodes, so the gradient is exact even through zeros (where dividing the output by
        x, the usual shortcut, is not)."""
        from ch2_lego.tensor_movement import stack
        x = self.to(dtype) if dtype is not None else \
            self if self.dtype.is_floating_point else self.to(int64)
        if x.ndim == 0:
            return x.clone()
        d = normalize_dim(dim, x.ndim)
        if x.shape[d] == 0:
            return x.clone()
        out = list(x.unbind(d))
        for k in range(1, len(out)):
            out[k] = out[k - 1] * out[k]
        return stack(out, d)

    def equal(self, other) -> bool:
        """The same shape and the same values (torch.equal)."""
        return tuple(self.shape) == tuple(other.shape) and bool((self == other).all())

    def moveaxis(self, source, destination) -> Tensor:
        return self.movedim(source, destination)

    def ravel(self) -> Tensor:
        return self.reshape(-1)

    # *** 3. reductions and linear algebra ***

    def nansum(self, dim=None, keepdim=False, dtype=None) -> Tensor:
        return self.masked_fill(self.isnan(), 0).sum(dim, keepdim, dtype=dtype) \
            if self.dtype.is_floating_point else self.sum(dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False) -> Tensor:
        keep = ~self.isnan()
        return self.nansum(dim, keepdim) / keep.sum(dim, keepdim)

    def count_nonzero(self, dim=None) -> Tensor:
        return (self != 0).sum(dim)

    def aminmax(self, *, dim=None, keepdim=False):
        return self.amin(dim, keepdim), self.amax(dim, keepdim)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
        """beta * self + alpha * (mat1 @ mat2). Shapes: self broadcasts to (M, N)."""
        product = mat1 @ mat2
        product = product * alpha if alpha != 1 else product
        return product if beta == 0 else (self * beta if beta != 1 else self) + product

    def addmv(self, mat, vec, *, beta=1, alpha=1) -> Tensor:
        return self.addmm(mat, vec, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
        return self.addmm(batch1, batch2, beta=beta, alpha=alpha)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """The diagonal of dims dim1, dim2 as the last dim: a view (as_strided), as torch's."""
        d1, d2 = normalize_dim(dim1, self.ndim), normalize_dim(dim2, self.ndim)
        if d1 == d2:
            raise ShapeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        n1, n2 = self.shape[d1], self.shape[d2]
        length = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
        rest = [d for d in range(self.ndim) if d not in (d1, d2)]
        dense = contiguous_strides(self.shape)  # AsStrided reads a contiguous self
        start = offset * dense[d2] if offset >= 0 else -offset * dense[d1]
        where = View(Size([self.shape[d] for d in rest] + [length]),
                     tuple(dense[d] for d in rest) + (dense[d1] + dense[d2],),
                     start if length else 0)
        return movement.AsStrided.apply(self, where)

    def as_strided(self, size, stride, storage_offset=None) -> Tensor:
        """A view with any shape and strides over self's elements, counted as in a contiguous
        self (exactly torch's as_strided for a contiguous tensor; others are copied first)."""
        offset = 0 if storage_offset is None else storage_offset - self.storage_offset()
        return movement.AsStrided.apply(self, View(Size(size), tuple(stride), offset))

    def trace(self) -> Tensor:
        if self.ndim != 2:
            raise ShapeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        return self.diagonal().sum()

    # *** 4. shape helpers ***

    def tile(self, dims) -> Tensor:
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        dims = (1,) * (self.ndim - len(dims)) + dims
        x = self.reshape((1,) * (len(dims) - self.ndim) + tuple(self.shape))
        return x.repeat(*dims)

    def repeat_interleave(self, repeats, dim=None) -> Tensor:
        """Each element `repeats` times in a row. Shapes: (n,) -> (n * repeats,)."""
        x, d = (self.reshape(-1), 0) if dim is None else (self, normalize_dim(dim, self.ndim))
        if isinstance(repeats, TensorBase):
            counts = repeats.tolist()
            counts = counts * x.shape[d] if len(counts) == 1 else counts
            index = np.repeat(np.arange(x.shape[d]), counts)
            return x.index_select(d, self._from_numpy(index.astype(np.int64), self._buf.device))
        return x.unsqueeze(d + 1).expand(*x.shape[:d + 1], int(repeats), *x.shape[d + 1:]) \
            .flatten(d, d + 1)

    def rot90(self, k: int = 1, dims=(0, 1)) -> Tensor:
        k %= 4
        d0, d1 = dims
        if k == 0:
            return self.clone()
        if k == 2:
            return self.flip(dims)
        return self.flip(d1).transpose(d0, d1) if k == 1 else self.transpose(d0, d1).flip(d1)

    def fliplr(self) -> Tensor:
        return self.flip(1)

    def flipud(self) -> Tensor:
        return self.flip(0)

    def masked_select(self, mask) -> Tensor:
        x, m = self, mask
        if tuple(x.shape) != tuple(m.shape):
            shape = np.broadcast_shapes(tuple(x.shape), tuple(m.shape))
            x, m = x.expand(shape), m.expand(shape)
        return x[m]

    def take(self, index) -> Tensor:
        return self.reshape(-1)[index]

    def take_along_dim(self, indices, dim=None) -> Tensor:
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        d = normalize_dim(dim, self.ndim)
        shape = list(np.broadcast_shapes(tuple(self.shape), tuple(indices.shape)))
        shape[d] = self.shape[d]
        ishape = list(shape)
        ishape[d] = indices.shape[d]
        return self.expand(shape).gather(d, indices.expand(ishape))

    def scatter(self, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
        """out = self, then out[.., index[i, j, ..], ..] = src[i, j, ..] along dim (src a
        tensor or a number). Shapes: index no larger than src, nor than self off dim."""
        if reduce is not None:
            raise NotImplementedError("scatter(reduce=...) is not supported; use scatter_add")
        src = value if src is None else src
        d = normalize_dim(dim, self.ndim)
        if index.dtype.is_floating_point or index.dtype.name == "bool":  # .long() would truncate
            raise DTypeError("scatter(): Expected dtype int32/int64 for index")
        if index.ndim != self.ndim:
            raise ShapeError("Index tensor must have the same number of dimensions as self "
                             "tensor")
        index = index.long()
        coords = []
        for k, n in enumerate(index.shape):
            if k == d:
                coords.append(index)
            else:
                shape = [1] * index.ndim
                shape[k] = n
                coords.append(self._iota(n, self._buf.device).reshape(shape))
        if isinstance(src, TensorBase):
            src = src[tuple(slice(0, n) for n in index.shape)].to(self.dtype)
        else:
            src = self._scalar(src, self)
        return self.index_put(tuple(coords), src)

    def scatter_(self, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
        return self._inplace(lambda x: x.scatter(dim, index, src, value=value, reduce=reduce))

    def _order_statistic(self, dim, keepdim: bool, position):
        """Values and indices at sorted `position(n)` along dim (all dims flattened if None)."""
        x, d = (self.reshape(-1), 0) if dim is None else (self, normalize_dim(dim, self.ndim))
        if x.ndim == 0:
            return x.clone(), self._zeros((), int64, self._buf.device)
        n = x.shape[d]
        k = position(n)
        if not 0 <= k < n:
            raise ShapeError(f"kthvalue(): selected number k out of range for dimension {d}")
        order = x.argsort(d, stable=True).narrow(d, k, 1)
        values = x.gather(d, order)
        if dim is None or not keepdim:
            values, order = values.squeeze(d), order.squeeze(d)
        return values, order

    def median(self, dim=None, keepdim: bool = False):
        """The lower median (element (n-1)//2 in sorted order), as torch's; with dim,
        (values, indices)."""
        values, indices = self._order_statistic(dim, keepdim, lambda n: (n - 1) // 2)
        return values if dim is None else _values_indices("median", values, indices)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False):
        """The k-th smallest (1-based) along dim, and its index."""
        return _values_indices("kthvalue", *self._order_statistic(dim, keepdim,
                                                                  lambda n: k - 1))

    def quantile(self, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
        """The q-quantile by linear interpolation between the two nearest sorted elements."""
        if interpolation != "linear":
            raise NotImplementedError("quantile: only interpolation='linear' is supported")
        qs = q if isinstance(q, TensorBase) else None
        scalar_q = not isinstance(q, TensorBase) or q.ndim == 0
        qv = np.atleast_1d(qs._values() if qs is not None else np.asarray(q, np.float64))
        if ((qv < 0) | (qv > 1)).any():
            raise InvalidArgumentError("quantile() q values must be in the range [0, 1]")
        x, d = (self.reshape(-1), 0) if dim is None else (self, normalize_dim(dim, self.ndim))
        ordered = x.sort(d).values
        n = x.shape[d]
        outs = []
        for p in qv.tolist():
            pos = p * (n - 1)
            lo, hi = int(math.floor(pos)), int(math.ceil(pos))
            a, b = ordered.narrow(d, lo, 1), ordered.narrow(d, hi, 1)
            out = a + (b - a) * (pos - lo)
            outs.append(out if keepdim and dim is not None else out.squeeze(d))
        if scalar_q:
            return outs[0]
        from ch2_lego.tensor_movement import stack
        return stack(outs)

    def pin_memory(self, device=None) -> Tensor:
        """Page-locked host memory for faster uploads in torch; our host memory is the cpu's."""
        return self

    def is_pinned(self, device=None) -> bool:
        return False

    def bernoulli(self, p=None, *, generator=None) -> Tensor:
        """1 with probability self (or p), else 0, in self's dtype."""
        prob = self if p is None else p
        _check_probability(prob)
        return (self._random(uniform_array, self.dtype, generator) < prob).to(self.dtype)

    def index_fill(self, dim: int, index, value) -> Tensor:
        d = normalize_dim(dim, self.ndim)
        hit = self._zeros((self.shape[d],), bool_, self._buf.device)
        hit = hit.index_put((index.long().reshape(-1),), self._scalar(True, hit))
        shape = [1] * self.ndim
        shape[d] = self.shape[d]
        return self.masked_fill(hit.reshape(shape), value)


_HUGE = 2.0**28  # past it, x^2 +- 1 is x^2 in float64 (and in float32 long before)


def _asinh_positive(t: Tensor) -> Tensor:
    small = t.clamp(max=_HUGE)
    near = (small + small * small / (1 + (1 + small * small).sqrt())).log1p()
    return near.where(t < _HUGE, t.clamp(min=_HUGE).log() + math.log(2))


for _name in _REDUCTIONS:
    setattr(ExtrasMixin, _name, _with_numpy_names(_name))
del _name


# *** 5. helpers ***


def _check_probability(p) -> None:
    """bernoulli's p must lie in [0, 1] (a tensor or a number)."""
    values = p.detach().to("cpu").numpy() if isinstance(p, TensorBase) else np.asarray(p)
    if not ((values >= 0) & (values <= 1)).all():
        raise InvalidArgumentError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")


def _values_indices(name: str, values, indices):
    return namedtuple(name, ["values", "indices"])(values, indices)
