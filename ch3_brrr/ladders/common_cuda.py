"""What the CUDA ladders share: device arrays, bf16 on the host, poisoning, event timing.

A `GpuArray` is a device buffer with a numpy shape and dtype. bf16 has no numpy dtype, so the
host keeps bf16 as uint16 bit patterns (`to_bf16`, `from_bf16`: round to nearest even, exactly
as the GPU's conversions do). Timing uses CUDA events on the default stream, which PyTorch's
work shares, so a kernel and its cuBLAS/PyTorch baseline are timed the same way in one run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ch3_brrr.runtime.ops_cuda import KERNEL_DIR

# *** 1. bf16 on the host ***


def to_bf16(x: np.ndarray) -> np.ndarray:
    """float32 -> bf16 bit patterns (uint16), rounding to nearest even; NaN stays NaN."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return np.where(np.isnan(x), np.uint16(0x7FC0), rounded)


def from_bf16(b: np.ndarray) -> np.ndarray:
    """bf16 bit patterns (uint16) -> float32, exactly."""
    return (b.astype(np.uint32) << 16).view(np.float32)


# *** 2. device arrays ***


@dataclass
class GpuArray:
    """A device buffer holding a C-contiguous array of `shape` and host `dtype` (uint16 = bf16)."""

    dev: object
    buf: object
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * np.dtype(self.dtype).itemsize

    def numpy(self) -> np.ndarray:
        out = np.empty(self.shape, self.dtype)
        if out.nbytes:
            self.dev.allocator.copyout(memoryview(out).cast("B"), self.buf)
        return out

    def fill(self, host: np.ndarray) -> GpuArray:
        host = np.ascontiguousarray(host, dtype=self.dtype)
        if host.nbytes:
            self.dev.allocator.copyin(self.buf, memoryview(host).cast("B"))
        return self


def upload(dev, host: np.ndarray) -> GpuArray:
    host = np.ascontiguousarray(host)
    return GpuArray(dev, dev.allocator.alloc(host.nbytes), host.shape, host.dtype).fill(host)


def empty(dev, shape: tuple[int, ...], dtype=np.float32) -> GpuArray:
    return GpuArray(dev, dev.allocator.alloc(int(np.prod(shape)) * np.dtype(dtype).itemsize),
                    tuple(shape), np.dtype(dtype))


def poison(a: GpuArray) -> GpuArray:
    """Fill with NaN (0xFFFF is a NaN in bf16), so an element the kernel never wrote fails."""
    if a.dtype == np.uint16:
        return a.fill(np.full(a.shape, 0xFFFF, np.uint16))
    return a.fill(np.full(a.shape, np.nan, a.dtype))


# *** 3. kernels: sources, parallel builds ***


def kernel_source(name: str, defines: dict[str, int] | None = None) -> str:
    """kernels/cuda/<name>.cu, with #defines in front (the autotuner's knobs)."""
    head = "".join(f"#define {k} {v}\n" for k, v in (defines or {}).items())
    return head + (KERNEL_DIR / f"{name}.cu").read_text()


def prebuild(dev, sources: list[str], workers: int = 8) -> None:
    """Compile many sources at once (nvcc runs in parallel processes) into the disk cache."""
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(dev.compiler.compile_cached, sources))


def kernel_files() -> list[Path]:
    return sorted(KERNEL_DIR.glob("*.cu"))


# *** 4. timing by CUDA events ***


ROUNDS = [5]  # timed rounds per measurement; `singsys bench --rounds` sets it


def time_gpu(fn, *args, min_ms: float = 30.0, rounds: int | None = None) -> float:
    """Median seconds per call of fn(*args) (which launches GPU work), by CUDA events.

    One warm-up call sizes the batch: each of `rounds` rounds times enough calls to last about
    min_ms; a call slower than 200 ms runs only once more.
    """
    import pycuda.driver as cuda

    start, end = cuda.Event(), cuda.Event()

    def batch(n: int) -> float:
        start.record()
        for _ in range(n):
            fn(*args)
        end.record()
        end.synchronize()
        return start.time_till(end) / 1e3 / n

    first = batch(1)
    if first > 0.2:
        return min(first, batch(1))
    n = max(1, int(min_ms / 1e3 / max(first, 1e-6)))
    return float(np.median([batch(n) for _ in range(rounds or ROUNDS[0])]))
