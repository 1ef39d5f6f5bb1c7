"""Creation functions: tensors from data (tensor, as_tensor, from_numpy, from_dlpack) and from
shapes (zeros, ones, full, empty, arange, linspace, eye and the *_like forms).

dtype inference follows PyTorch: python floats give the default dtype (float32), ints int64,
bools bool; numpy arrays keep their dtype. `tensor` always copies; `from_numpy`, `as_tensor`
and `from_dlpack` share memory with the source when they can.
"""

from __future__ import annotations

import math

import numpy as np

from ch2_lego.dtype import get_default_dtype, int64, scalar_dtype, to_dtype
from ch2_lego.errors import InvalidArgumentError, ShapeError
from ch2_lego.tensor import Tensor, _from_data, device_name
from ch2_lego.tensor_movement import _shape_arg


def _finish(t: Tensor, requires_grad: bool) -> Tensor:
    return t.requires_grad_() if requires_grad else t


def _dev(d) -> str:
    return device_name(d)


# *** 1. from data ***


def tensor(data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, numbers, numpy arrays)."""
    return _finish(_from_data(data, dtype, device), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor):
        return data.to(*(x for x in (device, dtype) if x is not None))
    if isinstance(data, np.ndarray) and dtype is None and device in (None, "cpu"):
        return Tensor._from_numpy(data)
    return _from_data(data, dtype, device)


def from_numpy(a: np.ndarray) -> Tensor:
    """A tensor sharing `a`'s memory: writes through either show in both."""
    return Tensor._from_numpy(a)


def from_dlpack(obj) -> Tensor:
    """A tensor sharing the memory of any DLPack producer on the cpu (numpy, torch, ...)."""
    return Tensor._from_numpy(np.from_dlpack(obj))


def scalar_tensor(value, *, dtype=None, device=None) -> Tensor:
    return tensor(value, dtype=dtype or get_default_dtype(), device=device)


# *** 2. from shapes ***


def _sizes(name: str, size) -> tuple[int, ...]:
    shape = _shape_arg(size)
    if any(n < 0 for n in shape):
        raise ShapeError(f"{name}: Dimension size must be non-negative.")
    return shape


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, int | float | np.number | np.bool_):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(fill_value).__name__}")
    dtype = to_dtype(dtype) if dtype is not None else scalar_dtype(fill_value)
    if np.issubdtype(dtype.np, np.signedinteger) and isinstance(fill_value, float | np.floating):
        info = np.iinfo(dtype.np)  # nan, inf or 1e30 would wrap or leak numpy's ValueError
        if not (math.isfinite(fill_value) and info.min <= fill_value <= info.max):
            raise InvalidArgumentError(f"value cannot be converted to type {dtype.name}_t "
                                       "without overflow")
    return _finish(Tensor._full(_sizes("full", (size,)), fill_value, dtype, _dev(device)),
                   requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full(_sizes("zeros", size), 0, dtype=dtype or get_default_dtype(), device=device,
                requires_grad=requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full(_sizes("ones", size), 1, dtype=dtype or get_default_dtype(), device=device,
                requires_grad=requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    t = Tensor._alloc(_sizes("empty", size), to_dtype(dtype or get_default_dtype()), _dev(device))
    return _finish(t, requires_grad)


def _like(fn, t: Tensor, *args, dtype=None, device=None, requires_grad=False) -> Tensor:
    return fn(*args, dtype=dtype or t.dtype, device=device or t._buf.device,
              requires_grad=requires_grad)


def zeros_like(t: Tensor, **kw) -> Tensor:
    return _like(zeros, t, tuple(t.shape), **kw)


def ones_like(t: Tensor, **kw) -> Tensor:
    return _like(ones, t, tuple(t.shape), **kw)


def empty_like(t: Tensor, **kw) -> Tensor:
    return _like(empty, t, tuple(t.shape), **kw)


def full_like(t: Tensor, fill_value, **kw) -> Tensor:
    return _like(full, t, tuple(t.shape), fill_value, **kw)


ARANGE_CHUNK = 1 << 16  # values computed in float64 at a time


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """start, start+step, ... < end; float if any argument is a float."""
    if end is None:
        start, end = 0, start
    for name, v in (("start", start), ("end", end), ("step", step)):
        if isinstance(v, Tensor):
            v = v.item()
        if not isinstance(v, int | float | np.number):
            raise TypeError(f"arange(): argument '{name}' must be Number, not "
                            f"{type(v).__name__}")
    if step == 0:
        raise InvalidArgumentError("step must be nonzero")
    if not all(math.isfinite(v) for v in (start, end, step)):  # ceil(inf) would leak
        raise InvalidArgumentError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise InvalidArgumentError("upper bound and larger bound inconsistent with step sign")
    is_float = any(isinstance(v, float) for v in (start, end, step))
    dtype = to_dtype(dtype) if dtype is not None else get_default_dtype() if is_float else int64
    n = math.ceil((end - start) / step)
    if not is_float and _dev(device) != "cpu":  # made on the device: no upload
        return _finish((Tensor._iota(n, _dev(device)) * step + start).to(dtype), requires_grad)
    # computed in float64 (or exactly in int64) and then cast, as torch's arange does
    work = np.float64 if is_float else np.int64
    if dtype.itemsize == 2:  # the half types are rounded through float32 (_from_host)
        a = start + np.arange(n, dtype=work) * step
        return _finish(Tensor._from_host(a, dtype, _dev(device)), requires_grad)
    out = np.empty(n, dtype=dtype.np)
    for i in range(0, n, ARANGE_CHUNK):  # a float64 copy of 2e8 values would take 1.6 GB
        j = min(i + ARANGE_CHUNK, n)
        out[i:j] = start + np.arange(i, j, dtype=work) * step
    return _finish(Tensor._from_numpy(out, _dev(device)), requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    """`steps` points from start to end inclusive; like torch, the second half is counted back
    from `end` so that both ends are exact."""
    if not isinstance(steps, int | np.integer):  # 2.5 steps would quietly make 3 points
        raise TypeError(f"linspace(): argument 'steps' must be int, not {type(steps).__name__}")
    if steps < 0:
        raise InvalidArgumentError("number of steps must be non-negative")
    dtype = to_dtype(dtype or get_default_dtype())
    i = np.arange(steps, dtype=np.float64)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    if steps == 1:
        end = start
    a = np.where(i < steps // 2, start + i * step, end - (steps - 1 - i) * step)
    return _finish(Tensor._from_host(a, dtype, _dev(device)), requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None,
        requires_grad=False) -> Tensor:
    for name, k in (("n", n), ("m", m)):
        if k is not None and k < 0:
            raise InvalidArgumentError(f"{name} must be greater or equal to 0, got {k}")
    a = np.eye(n, m if m is not None else n)
    return _finish(Tensor._from_host(a, to_dtype(dtype or get_default_dtype()), _dev(device)),
                   requires_grad)


def _check_triangle(row: int, col: int) -> None:
    if row < 0 or col < 0:
        raise InvalidArgumentError(f"{'row' if row < 0 else 'col'} must be non-negative, got"
                                   f"{row if row < 0 else col}")


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, K) row and column indices of the lower triangle of a row x col matrix."""
    _check_triangle(row, col)
    a = np.stack(np.tril_indices(row, offset, col))
    return Tensor._from_host(a, to_dtype(dtype or int64), _dev(device))


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, K) row and column indices of the upper triangle of a row x col matrix."""
    _check_triangle(row, col)
    a = np.stack(np.triu_indices(row, offset, col))
    return Tensor._from_host(a, to_dtype(dtype or int64), _dev(device))

