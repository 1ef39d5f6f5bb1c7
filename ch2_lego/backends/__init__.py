"""torch.backends for ch2_lego: the switches scripts set for cuDNN, TF32 and MPS.

Scripts assign `torch.backends.cuda.matmul.allow_tf32 = True` or
`import torch.backends.cudnn as cudnn; cudnn.benchmark = True`, so each of cuda, cudnn, mps,
mkldnn and openmp is a module here as in PyTorch. ch2 keeps each flag so that it reads back as
assigned, and no flag changes a result: ch2 computes float32 in float32 (never TF32), uses no
cuDNN, and has no MPS device. set_float32_matmul_precision stores the precision and keeps
allow_tf32 in step with it, as PyTorch does; use_deterministic_algorithms is recorded the same
way.
"""

import warnings

from ch2_lego.backends import cuda, cudnn, mkldnn, mps, openmp

PRECISIONS = ("highest", "high", "medium")
_deterministic = [False]  # torch.use_deterministic_algorithms(mode)


def set_float32_matmul_precision(precision: str) -> None:
    """'highest' (float32), or 'high'/'medium' (which allow TF32 on an NVIDIA GPU; ch2 still
    computes in float32, so results do not change)."""
    if precision not in PRECISIONS:  # PyTorch warns and keeps the old value
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "set_float32_matmul_precision call has no effect.", stacklevel=2)
        return
    cuda.matmul.precision = precision


def get_float32_matmul_precision() -> str:
    return cuda.matmul.precision


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the mode scripts set for reproducibility; it switches nothing, since ch2 has no
    nondeterministic variant of an op to avoid (its cpu kernels are numpy's: no atomics, no
    autotuning), so the same inputs give the same results run after run either way."""
    if not isinstance(mode, bool):
        raise TypeError("use_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    _deterministic[0] = mode


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic[0]


__all__ = ["are_deterministic_algorithms_enabled", "cuda", "cudnn", "get_float32_matmul_precision",
           "mkldnn", "mps", "openmp", "set_float32_matmul_precision",
           "use_deterministic_algorithms"]
