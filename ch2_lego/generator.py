"""The random stream: a seeded Generator, and the host-side samplers the tensor methods need.

Our own stream (numpy's PCG64), seeded deterministically: `manual_seed(0)` makes every run the
same, but the numbers differ from PyTorch's for the same seed. Samples are drawn on the host and
uploaded to the tensor's device; random.py builds the public functions (rand, randn, ...) on
this module, and Tensor's uniform_, normal_ and multinomial use it directly.
"""

from __future__ import annotations

import numpy as np

from ch2_lego.dtype import DType, float32
from ch2_lego.errors import InvalidArgumentError

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
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"generator must be a ch2_lego.Generator, not {type(generator).__name__}")
    return (generator or default_generator)._rng


def uniform_array(shape, dtype: DType, generator: Generator | None = None) -> np.ndarray:
    """Uniform on [0, 1), drawn in float32 for float32 (else float64), as a host array."""
    return _rng(generator).random(shape, dtype=np.float32 if dtype is float32 else np.float64)


def normal_array(shape, dtype: DType, generator: Generator | None = None) -> np.ndarray:
    """Standard normal, as a host array."""
    return _rng(generator).standard_normal(shape, dtype=np.float32 if dtype is float32
                                           else np.float64)


# --8<-- [start:multinomial]
def multinomial(probs, num_samples: int, replacement: bool = False, *, generator=None):
    """Draw class indices with probability proportional to each row of `probs`.

    Shapes: probs (C,) or (N, C) -> (num_samples,) or (N, num_samples), int64. With replacement:
    invert the cumulative distribution at uniform points. Without: the Gumbel top-k trick, the
    k largest of log p + Gumbel noise are a sample without replacement.
    """
    if probs.ndim not in (1, 2):
        raise InvalidArgumentError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise InvalidArgumentError("cannot sample n_sample <= 0 samples")
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
    return probs._from_numpy(np.ascontiguousarray(out, np.int64), probs._buf.device)
# --8<-- [end:multinomial]
