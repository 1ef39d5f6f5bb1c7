"""Random numbers: a seeded Generator and the random creation functions (rand, randn, ...).

Our own stream (numpy's PCG64), seeded deterministically: `manual_seed(0)` makes every run the
same, but the numbers differ from PyTorch's for the same seed. Samples are drawn on the host and
moved to the requested device.
"""

from __future__ import annotations

import numpy as np

from ch2_lego.dtype import float32, get_default_dtype, int64, to_dtype
from ch2_lego.errors import InvalidArgumentError
from ch2_lego.tensor import Tensor
from ch2_lego.tensor_movement import _shape_arg

DEFAULT_SEED = 67280421310721  # PyTorch's default seed; only the number is shared


class Generator:
    """torch.Generator: owns a random stream; pass it as `generator=` to draw from it."""

    def __init__(self, device: str = "cpu"):
        self.device = device
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        return self.manual_seed(int(np.random.SeedSequence().entropy) % 2**63)._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        self._rng.bit_generator.state = state
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def _rng(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator)._rng


def _finish(a: np.ndarray, dtype, device, requires_grad) -> Tensor:
    t = Tensor._from_numpy(a.astype(to_dtype(dtype).np, copy=False), str(device or "cpu"))
    return t.requires_grad_() if requires_grad else t


# *** 1. uniform and normal ***


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    dtype = to_dtype(dtype or get_default_dtype())
    a = _rng(generator).random(_shape_arg(size), dtype=np.float32 if dtype is float32
                               else np.float64)
    return _finish(a, dtype, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal."""
    dtype = to_dtype(dtype or get_default_dtype())
    a = _rng(generator).standard_normal(_shape_arg(size), dtype=np.float32 if dtype is float32
                                        else np.float64)
    return _finish(a, dtype, device, requires_grad)


def rand_like(t: Tensor, dtype=None, **kw) -> Tensor:
    return rand(*t.shape, dtype=dtype or t.dtype, device=kw.get("device", t.device), **{
        k: v for k, v in kw.items() if k != "device"})


def randn_like(t: Tensor, dtype=None, **kw) -> Tensor:
    return randn(*t.shape, dtype=dtype or t.dtype, device=kw.get("device", t.device), **{
        k: v for k, v in kw.items() if k != "device"})


def normal(mean, std, size=None, generator=None) -> Tensor:
    """normal(mean, std, size) with float mean and std, or elementwise with tensors."""
    if size is not None:
        return randn(*_shape_arg((size,)), generator=generator) * std + mean
    shape = mean.shape if isinstance(mean, Tensor) else std.shape
    like = mean if isinstance(mean, Tensor) else std
    return randn(*shape, generator=generator, dtype=like.dtype) * std + mean


def bernoulli(p: Tensor, generator=None) -> Tensor:
    """1 with probability p[i], else 0, in p's dtype."""
    return (rand(*p.shape, generator=generator, dtype=p.dtype) < p).to(p.dtype)


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
    return _finish(_rng(generator).permutation(n), dtype or int64, device, requires_grad)


# --8<-- [start:multinomial]
def multinomial(probs: Tensor, num_samples: int, replacement: bool = False, *,
                generator=None) -> Tensor:
    """Draw class indices with probability proportional to each row of `probs`.

    Shapes: probs (C,) or (N, C) -> (num_samples,) or (N, num_samples), int64. With replacement:
    invert the cumulative distribution at uniform points. Without: the Gumbel top-k trick, the
    k largest of log p + Gumbel noise are a sample without replacement.
    """
    p = np.asarray(probs.detach().to("cpu").numpy(), dtype=np.float64)
    rows = p.reshape(-1, p.shape[-1]) if p.ndim else p.reshape(1, 1)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise InvalidArgumentError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(-1) <= 0).any():
        raise InvalidArgumentError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > rows.shape[-1]:
        raise InvalidArgumentError("cannot sample n_sample > prob_dist.size(-1) samples without "
                                   "replacement")
    rng = _rng(generator)
    if replacement:
        # one searchsorted for all rows: row r's cdf is shifted to [r, r + 1]
        n, c = rows.shape
        shift = np.arange(n)[:, None]
        cdf = np.cumsum(rows, -1) / rows.sum(-1, keepdims=True) + shift
        u = rng.random((n, num_samples)) + shift
        out = np.searchsorted(cdf.ravel(), u.ravel(), side="right").reshape(n, -1) - shift * c
        out = np.minimum(out, c - 1)
    else:
        with np.errstate(divide="ignore"):
            keys = np.log(rows) + rng.gumbel(size=rows.shape)
        out = np.argsort(-keys, axis=-1, kind="stable")[:, :num_samples]
    out = out.reshape(p.shape[:-1] + (num_samples,))
    return Tensor._from_numpy(np.ascontiguousarray(out, np.int64), probs._storage.device)
# --8<-- [end:multinomial]
