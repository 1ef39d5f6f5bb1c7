"""Random creation functions (rand, randn, randint, ...) on the seeded stream of generator.py.

Samples are drawn on the host and moved to the requested device. (Not named random.py: a file
of that name would shadow Python's own random module for a script run inside this folder;
`ch2_lego.random` is this module all the same, as `torch.random` is PyTorch's.)
"""

from __future__ import annotations

import numpy as np

from ch2_lego.dtype import get_default_dtype, int64, to_dtype
from ch2_lego.errors import InvalidArgumentError, ShapeError
from ch2_lego.generator import (  # noqa: F401 (torch.random exports these too)
    Generator,
    _rng,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal_array,
    seed,
    set_rng_state,
    uniform_array,
)
from ch2_lego.tensor import Tensor, device_name
from ch2_lego.tensor_movement import _shape_arg


def _finish(a: np.ndarray, dtype, device, requires_grad) -> Tensor:
    t = Tensor._from_host(a, to_dtype(dtype), device_name(device))
    return t.requires_grad_() if requires_grad else t


# *** 1. uniform and normal ***


def _random_shape(size) -> tuple[int, ...]:
    shape = _shape_arg(size)
    for n in shape:
        if n < 0:
            raise ShapeError(f"Trying to create tensor with negative dimension {n}: "
                             f"{list(shape)}")
    return shape


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    dtype = to_dtype(dtype or get_default_dtype())
    a = uniform_array(_random_shape(size), dtype, generator)
    return _finish(a, dtype, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal."""
    dtype = to_dtype(dtype or get_default_dtype())
    a = normal_array(_random_shape(size), dtype, generator)
    return _finish(a, dtype, device, requires_grad)


def rand_like(t: Tensor, dtype=None, **kw) -> Tensor:
    return rand(*t.shape, dtype=dtype or t.dtype, device=kw.get("device", t.device), **{
        k: v for k, v in kw.items() if k != "device"})


def randn_like(t: Tensor, dtype=None, **kw) -> Tensor:
    return randn(*t.shape, dtype=dtype or t.dtype, device=kw.get("device", t.device), **{
        k: v for k, v in kw.items() if k != "device"})


def normal(mean, std, size=None, generator=None) -> Tensor:
    """normal(mean, std, size) with float mean and std, or elementwise with tensors."""
    low = std.detach().to("cpu").numpy().min(initial=0.0) if isinstance(std, Tensor) else std
    if low < 0:
        raise InvalidArgumentError(f"normal expects std >= 0.0, but found std {low:g}")
    if size is not None:
        return randn(*_shape_arg((size,)), generator=generator) * std + mean
    shape = mean.shape if isinstance(mean, Tensor) else std.shape
    like = mean if isinstance(mean, Tensor) else std
    return randn(*shape, generator=generator, dtype=like.dtype) * std + mean


def bernoulli(p: Tensor, generator=None) -> Tensor:
    """1 with probability p[i], else 0, in p's dtype."""
    return p.bernoulli(generator=generator)


# *** 2. integers ***


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Uniform integers in [low, high); randint(high, size) starts at 0."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if low >= high:
        raise InvalidArgumentError(f"random_ expects 'from' to be less than 'to', but got "
                                   f"from={low} >= to={high}")
    a = _rng(generator).integers(low, high, size=_shape_arg((size,)), dtype=np.int64)
    return _finish(a, dtype or int64, device, requires_grad)


def randint_like(t: Tensor, low, high=None, **kw) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(t.shape), dtype=kw.get("dtype", t.dtype))


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0 .. n-1."""
    (n,) = _random_shape((n,))
    return _finish(_rng(generator).permutation(n), dtype or int64, device, requires_grad)
