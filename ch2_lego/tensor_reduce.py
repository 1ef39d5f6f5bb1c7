"""Tensor reductions: sums and means, extremes and their indices, sorting, variance, norms.

A mixin of Tensor (tensor.py), written against Tensor's own methods. `_dims` turns torch's dim
arguments (None, an int, a tuple or list, negative numbers) into a tuple of dims; each reduction
is one Function (function.py) or an hlop over ones that have gradients. Shapes: (..., N, ...)
-> the same with the reduced dims removed, or kept as size 1 with keepdim=True. The half types
reduce in float32 (`_in_float32`, tensor_math.py) and round once, as torch's cpu does.
"""

from __future__ import annotations

import math
from collections import namedtuple

from ch2_lego import function
from ch2_lego.autograd import TensorBase
from ch2_lego.backend import Ops
from ch2_lego.dtype import PT_NAMES, bool_, int64, to_dtype
from ch2_lego.errors import DTypeError, InvalidArgumentError, OutOfRangeError, ShapeError
from ch2_lego.storage import normalize_dim

# In annotations only: Tensor (tensor.py) is built from these mixins and TensorBase.
Tensor = TensorBase

max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])
sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])


class ReduceMixin:
    """Reductions over dims; see the module docstring."""

    __slots__ = ()

    def _dims(self, dim) -> tuple[int, ...]:
        if dim is None or dim == () or dim == []:
            return tuple(range(self.ndim))
        dims = dim if isinstance(dim, tuple | list) else (dim,)
        if self.ndim == 0:  # dims 0 and -1 name the one element: nothing to reduce over
            for d in dims:
                normalize_dim(d, 0)  # raises for any other dim
            return ()
        dims = tuple(normalize_dim(d, self.ndim) for d in dims)
        if len(set(dims)) != len(dims):
            raise ShapeError(f"dim {dims[0]} appears multiple times in the list of dims")
        return dims

    def sum(self, dim=None, keepdim=False, dtype=None) -> Tensor:
        out_dtype = to_dtype(dtype) if dtype is not None else \
            self.dtype if self.dtype.is_floating_point else int64
        x = self if self.dtype is out_dtype or not out_dtype.is_floating_point \
            else self.to(out_dtype)
        return function.Sum.apply(x, self._dims(dim), keepdim, out_dtype)

    def mean(self, dim=None, keepdim=False, dtype=None) -> Tensor:
        x = self.to(dtype) if dtype is not None else self
        if not x.dtype.is_floating_point:
            raise DTypeError("mean(): could not infer output dtype. Input dtype must be either "
                             "a floating point or complex dtype. Got: "
                             f"{PT_NAMES[x.dtype.name]}")
        if x.dtype.itemsize == 2:
            return x._in_float32(ReduceMixin.mean, dim, keepdim)
        dims = x._dims(dim)
        count = math.prod(x.shape[d] for d in dims)
        return x.sum(dims, keepdim) / count if count else x.sum(dims, keepdim) * math.nan

    def prod(self, dim=None, keepdim=False, dtype=None) -> Tensor:
        out_dtype = to_dtype(dtype) if dtype is not None else \
            self.dtype if self.dtype.is_floating_point else int64
        x = self.to(out_dtype) if out_dtype.is_floating_point else self
        return function.Prod.apply(x, x._dims(dim), keepdim, out_dtype)

    def _check_nonempty(self, name: str, dim) -> None:
        """An empty slice has no extreme: torch's errors, naming the dim as the user wrote it."""
        if self.numel() > 0:
            return
        if dim is None:
            raise InvalidArgumentError(f"{name}(): Expected reduction dim to be specified for "
                                       "input.numel() == 0. Specify the reduction dim with "
                                       "the 'dim' argument.")
        for d in (dim,) if isinstance(dim, int) else dim:
            if self.shape[normalize_dim(d, self.ndim)] == 0:
                raise OutOfRangeError(f"{name}(): Expected reduction dim {d} to have non-zero "
                                      "size.")

    def amax(self, dim=None, keepdim=False) -> Tensor:
        dims = self._dims(dim)
        self._check_nonempty("amax", dim)
        return function.Amax.apply(self, dims, keepdim)

    def amin(self, dim=None, keepdim=False) -> Tensor:
        dims = self._dims(dim)
        self._check_nonempty("amin", dim)
        return function.Amin.apply(self, dims, keepdim)

    def _arg(self, op: Ops, dim, keepdim) -> Tensor:
        x = self.detach()
        if dim is None or self.ndim == 0:  # a 0-dim tensor: its one element, index 0
            if dim is not None:
                normalize_dim(dim, 0)
            x, d = x.reshape(-1), 0
        else:
            d = normalize_dim(dim, self.ndim)
        if self.numel() == 0 and dim is None:
            raise OutOfRangeError(f"{op.name.lower()}(): Expected reduction dim to be specified "
                                  "for input.numel() == 0.")
        x._check_nonempty(op.name.lower(), d)
        keep = keepdim and dim is not None and self.ndim > 0
        return self._wrap(function.reduce(op, x._buf, (d,), keep, int64))

    def argmax(self, dim=None, keepdim=False) -> Tensor:
        if self.dtype is bool_:
            raise DTypeError("argmax(): does not support bool input")
        return self._arg(Ops.ARGMAX, dim, keepdim)

    def argmin(self, dim=None, keepdim=False) -> Tensor:
        if self.dtype is bool_:
            raise DTypeError("argmin(): does not support bool input")
        return self._arg(Ops.ARGMIN, dim, keepdim)

    def max(self, dim=None, keepdim=False):
        """max() is a value; max(dim) is (values, indices); max(tensor) is maximum."""
        if isinstance(dim, TensorBase):
            return self.maximum(dim)
        if dim is None:
            self._check_nonempty("max", None)
            return self.amax()
        self._check_nonempty("max", normalize_dim(dim, self.ndim))  # torch names it so
        return max_result(*self._select_by(self._arg(Ops.ARGMAX, dim, True), dim, keepdim))

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, TensorBase):
            return self.minimum(dim)
        if dim is None:
            self._check_nonempty("min", None)
            return self.amin()
        self._check_nonempty("min", normalize_dim(dim, self.ndim))  # torch names it so
        return min_result(*self._select_by(self._arg(Ops.ARGMIN, dim, True), dim, keepdim))

    def _select_by(self, index: Tensor, dim: int, keepdim: bool):
        # values = x.gather(dim, argmax): gather's backward sends g to the chosen index only
        values = self.gather(dim, index) if self.ndim else self.clone()
        if not keepdim and self.ndim:
            values, index = values.squeeze(dim), index.squeeze(dim)
        return values, index

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        d = normalize_dim(dim, self.ndim)
        if self.ndim == 0:
            return self._full((), 0, int64, self._buf.device)
        return self._wrap(self._buf.argsort(d, descending, int64))

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        """(values, indices) along dim; values = x.gather(dim, indices), so grads flow."""
        indices = self.argsort(dim, descending)
        values = self.gather(dim, indices) if self.ndim else self.clone()
        return sort_result(values, indices)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """The k largest (or smallest) along dim, in order, with their indices."""
        d = normalize_dim(dim, self.ndim)
        if not 0 <= k <= (self.shape[d] if self.ndim else 1):
            raise InvalidArgumentError("selected index k out of range")
        indices = self.argsort(d, descending=largest).narrow(d, 0, k)
        return topk_result(self.gather(d, indices), indices)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
        if isinstance(unbiased, int | tuple | list) and not isinstance(unbiased, bool):
            dim, unbiased = unbiased, None  # var(dim) positionally, as torch allows
        correction = correction if correction is not None else \
            (1 if unbiased is None or unbiased else 0)
        if self.dtype.itemsize == 2 and self.dtype.is_floating_point:
            return self._in_float32(ReduceMixin.var, dim, keepdim=keepdim, correction=correction)
        if not self.dtype.is_floating_point:
            raise DTypeError("std and var only support floating point and complex dtypes")
        return function.Var.apply(self, self._dims(dim), correction, keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def logsumexp(self, dim, keepdim=False) -> Tensor:
        if self.dtype.itemsize == 2 and self.dtype.is_floating_point:
            return self._in_float32(ReduceMixin.logsumexp, dim, keepdim)
        dims = self._dims(dim)
        m = self.amax(dims, keepdim=True).detach()
        m = m.masked_fill(m.isinf(), 0)  # all -inf rows give -inf, not nan
        out = (self - m).exp().sum(dims, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dims)

    def cumsum(self, dim, dtype=None) -> Tensor:
        out_dtype = to_dtype(dtype) if dtype is not None else \
            self.dtype if self.dtype.is_floating_point else int64
        x = self.to(out_dtype)
        return function.Cumsum.apply(x, normalize_dim(dim, self.ndim), out_dtype) if self.ndim \
            else x.clone()

    def _logical_reduce(self, op: Ops, dim, keepdim) -> Tensor:
        return self._wrap(function.reduce(op, self._buf, self._dims(dim), keepdim, bool_))

    def all(self, dim=None, keepdim=False): return self._logical_reduce(Ops.ALL, dim, keepdim)  # noqa
    def any(self, dim=None, keepdim=False): return self._logical_reduce(Ops.ANY, dim, keepdim)  # noqa

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
        """The vector p-norm over dim (all dims by default); gradients at a zero norm are 0."""
        x = self.to(dtype) if dtype is not None else self
        if x.dtype.itemsize == 2 and x.dtype.is_floating_point:
            return x._in_float32(ReduceMixin.norm, p, dim, keepdim)
        if not x.dtype.is_floating_point:
            raise DTypeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                             f"input. Got {PT_NAMES[x.dtype.name]}")
        dims = x._dims(dim)
        if p in ("fro", 2):
            return function.Norm2.apply(x, dims, keepdim)
        if not isinstance(p, int | float):
            raise InvalidArgumentError(f"norm(): p must be a number or 'fro', not {p!r}")
        if p == math.inf or p == -math.inf:
            if x.numel() == 0:
                raise InvalidArgumentError("linalg.vector_norm cannot compute the "
                                           f"{'-' if p < 0 else ''}inf norm on an empty tensor "
                                           "because the operation does not have an identity")
            return x.abs().amax(dims, keepdim) if p > 0 else x.abs().amin(dims, keepdim)
        if p == 0:  # the number of nonzeros: sign is flat, so the gradient is 0
            return x.abs().sign().sum(dims, keepdim)
        if p == 1:
            return x.abs().sum(dims, keepdim)
        # 0 ** p and s ** (1/p) have infinite slopes at 0; where() keeps them out of the
        # gradient, which is 0 there, as torch's. For p < 0, 0 ** p is inf: the norm is 0
        a = x.abs()
        zero = a == 0
        powered = (a.masked_fill(zero, 1) ** p).masked_fill(zero, 0 if p > 0 else math.inf)
        powered = powered.sum(dims, keepdim)
        none = powered == 0
        return (powered.masked_fill(none, 1) ** (1 / p)).masked_fill(none, 0)
