"""What the CUDA ladders share: device arrays, bf16 on the host, poisoning, event timing.

A `GpuArray` is a device buffer with a numpy shape and dtype. bf16 has no numpy dtype, so the
host keeps bf16 as uint16 bit patterns (`to_bf16`, `from_bf16`: round to nearest even, exactly
as the GPU's conversions do). Timing uses CUDA events on the default stream, which PyTorch's
work shares, so a kernel and its cuBLAS/PyTorch baseline are timed the same way in one run.
"""

from __future__ import annotations

import ctypes
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ch3_brrr.runtime.ops_cuda import KERNEL_DIR, CudaError

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


# --8<-- [start:tensor_map]
TMA_DTYPES = {np.dtype(np.uint16): (9, 2), np.dtype(np.float32): (7, 4)}  # bf16 bits, fp32


def tensor_map_2d(ptr: int, rows: int, cols: int, dtype, box_rows: int,
                  box_cols: int) -> np.ndarray:
    """A CUtensorMap (128 bytes) for TMA copies of box_rows x box_cols boxes out of a row-major
    (rows, cols) matrix at device address ptr, 128-byte swizzled, zeros past the edges.

    The driver's cuTensorMapEncodeTiled builds it on the host (pycuda does not wrap it, so it is
    called through ctypes); copy the 128 bytes to device memory, 64-byte aligned, and pass the
    kernel their address.
    dtype: np.uint16 (bf16 bit patterns) or np.float32. Rows must be 16-byte multiples.
    """
    code, item = TMA_DTYPES[np.dtype(dtype)]
    if (cols * item) % 16 or box_cols * item > 128:
        raise ValueError(f"tensor map: rows of {cols} x {item} bytes must be multiples of 16, "
                         f"and a box row ({box_cols} x {item} bytes) at most the 128-byte swizzle")
    u64, u32 = ctypes.c_uint64, ctypes.c_uint32
    raw = np.zeros(128 + 64, np.uint8)  # a CUtensorMap is 64-byte aligned
    at = -raw.ctypes.data % 64
    status = ctypes.CDLL("libcuda.so.1").cuTensorMapEncodeTiled(
        ctypes.c_void_p(raw.ctypes.data + at), code, 2, ctypes.c_void_p(ptr),
        (u64 * 2)(cols, rows), (u64 * 1)(cols * item), (u32 * 2)(box_cols, box_rows),
        (u32 * 2)(1, 1), 0, 3, 3, 0)  # no interleave, 128-byte swizzle, L2 256 B, zero fill
    if status != 0:
        raise CudaError(f"cuTensorMapEncodeTiled({rows}x{cols} {np.dtype(dtype)}, box "
                        f"{box_rows}x{box_cols}): CUresult {status}")
    return raw[at:at + 128].copy()
# --8<-- [end:tensor_map]


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


# *** 5. the GPU's roofline ***


def draw_roofline(rows: list, path: Path) -> None:
    """Every timed kernel at its arithmetic intensity (flops per byte of the least traffic),
    under roofs measured in the same run: the copy's GB/s, and cuBLAS's fp32 and bf16 rates.
    Nothing is drawn without the copy's row (no memory roof)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_name = {r.rung: r for r in rows}
    copy = by_name.get("torch_copy")
    if copy is None:
        return
    bw = copy.bytes / copy.seconds / 1e9
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    x = np.logspace(-2, 4, 300)
    for name, style in (("cublas_sgemm", "k-"), ("cublas_bf16", "k--")):
        if name in by_name:
            peak = by_name[name].flops / by_name[name].seconds / 1e9
            ax.plot(x, np.minimum(peak, x * bw), style,
                    label=f"{name}: {peak / 1e3:.0f} TFLOP/s, copy {bw:.0f} GB/s")
    for r in rows:
        if r.flops > 0 and not r.rung.startswith(("cublas", "torch")):
            ax.plot(r.intensity, r.flops / r.seconds / 1e9, "o")
            ax.annotate(r.rung, (r.intensity, r.flops / r.seconds / 1e9), fontsize=6)
    ax.set(xscale="log", yscale="log", xlabel="arithmetic intensity (FLOP / byte)",
           ylabel="GFLOP/s", title="CUDA kernels on the roofline (measured roofs)")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
