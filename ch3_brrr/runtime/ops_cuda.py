"""The CUDA backend: kernels in CUDA C, compiled by nvcc for this GPU, launched through pycuda.

pycuda opens the device's primary context (the one PyTorch and CuPy use), so a kernel can run on
memory any of them allocated: a Program takes our Allocator's handles or raw device pointers
(ints). Scalar arguments: Python ints pass as int32, floats as float32, numpy scalars as their
own type. Every launch names its grid and block; `wait=True` times it with CUDA events. Every
CUDA error comes back as a CudaError naming the call. Left out: streams, graphs, multi-GPU.
"""

from __future__ import annotations

import atexit
import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ch3_brrr.runtime.device import (
    Allocator,
    CompileError,
    Compiler,
    Device,
    DeviceError,
    DeviceNotFoundError,
    OutOfMemoryError,
    Program,
)

KERNEL_DIR = Path(__file__).resolve().parent.parent / "kernels" / "cuda"


class CudaError(DeviceError):
    """A CUDA driver call or kernel launch that failed; the message names the call."""


def _cuda():
    try:
        import pycuda.driver as cuda
    except ImportError as e:
        raise DeviceNotFoundError("device 'cuda' needs pycuda (pip install pycuda) and an "
                                  "NVIDIA driver") from e
    return cuda


class CUDAAllocator(Allocator):
    """Device memory from cuMemAlloc, as pycuda DeviceAllocation handles.

    Copies synchronize with the GPU, so a fault of an earlier kernel (launches do not wait for
    it) surfaces in the next copy: its CudaError says so."""

    def __init__(self, cuda):
        self.cuda = cuda

    def _call(self, what: str, fn, *args):
        try:
            return fn(*args)
        except self.cuda.Error as e:
            raise CudaError(f"{what}: {e} (an earlier kernel's fault shows up at the next "
                            "call that waits for the GPU)") from e

    def alloc(self, nbytes: int):
        try:
            return self.cuda.mem_alloc(max(nbytes, 1))
        except self.cuda.MemoryError as e:
            raise OutOfMemoryError("cuda", nbytes, str(e)) from e
        except self.cuda.Error as e:
            raise CudaError(f"cuMemAlloc of {nbytes} bytes: {e}") from e

    def free(self, buf) -> None:
        self._call("cuMemFree", buf.free)

    def copyin(self, dest, src: memoryview) -> None:
        self._call(f"cuMemcpyHtoD of {src.nbytes} bytes", self.cuda.memcpy_htod, dest,
                   np.frombuffer(src, dtype=np.uint8))

    def copyout(self, dest: memoryview, src) -> None:
        self._call(f"cuMemcpyDtoH of {dest.nbytes} bytes", self.cuda.memcpy_dtoh,
                   np.frombuffer(dest, dtype=np.uint8), src)


def headers_digest() -> str:
    """A hash of the shared headers (tile.cuh, reduce.cuh): a kernel that includes them must be
    recompiled when they change, though its own source did not."""
    h = hashlib.sha256()
    for p in sorted(KERNEL_DIR.glob("*.cuh")):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def nvcc_arch(major: int, minor: int) -> str:
    """nvcc's target for compute capability major.minor; Hopper's 'a' variant enables wgmma."""
    arch = f"{major}{minor}a" if (major, minor) == (9, 0) else f"{major}{minor}"
    return f"-gencode=arch=compute_{arch},code=sm_{arch}"


class CUDACompiler(Compiler):
    """CUDA C -> cubin by nvcc, for one GPU architecture; includes resolve in kernels/cuda."""

    def __init__(self, arch_flag: str, nvcc: str | None = None):
        self.nvcc = nvcc or shutil.which("nvcc")
        if self.nvcc is None:
            raise DeviceNotFoundError("device 'cuda' needs nvcc, the CUDA compiler (install the "
                                      "CUDA toolkit)")
        self.flags = ["-cubin", "-O3", arch_flag, "-I", str(KERNEL_DIR), "-std=c++17"]
        version = subprocess.run([self.nvcc, "--version"], capture_output=True, text=True).stdout
        self.cachekey = f"cuda:{version.strip().splitlines()[-1]}:{' '.join(self.flags[:3])}:" \
                        f"{headers_digest()}"

    def compile(self, src: str) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            cu, out = Path(tmp) / "kernel.cu", Path(tmp) / "kernel.cubin"
            cu.write_text(src)
            res = subprocess.run([self.nvcc, *self.flags, "-o", str(out), str(cu)],
                                 capture_output=True, text=True)
            if res.returncode != 0:
                m = re.search(r"kernel\.cu\((\d+)\): error", res.stderr)
                raise CompileError("cuda", res.stderr, src, int(m[1]) if m else None)
            return out.read_bytes()


def _arg(x):
    """A kernel argument as pycuda passes it: handles as is, ints as int32, floats as float32."""
    if isinstance(x, (bool, np.bool_)):
        return np.int32(x)
    if isinstance(x, int):
        return np.int32(x)
    if isinstance(x, float):
        return np.float32(x)
    return x


# --8<-- [start:cuda_program]
class CUDAProgram(Program):
    """One kernel of a cubin. Call: prog(*bufs, global_size=grid (in blocks), local_size=block,
    vals=scalars, shared=dynamic shared-memory bytes, wait=True -> seconds by CUDA events)."""

    def __init__(self, name: str, lib: bytes):
        super().__init__(name, lib)
        cuda = self.cuda = _cuda()
        try:
            self.fn = cuda.module_from_buffer(lib).get_function(name)
        except cuda.Error as e:
            raise CudaError(f"loading kernel {name!r}: {e}") from e
        self.max_shared = 48 * 1024

    def __call__(self, *bufs, global_size=(1, 1, 1), local_size=(1, 1, 1), vals=(), shared=0,
                 wait=False):
        cuda = self.cuda
        grid, block = tuple(global_size) + (1,) * (3 - len(global_size)), tuple(local_size)
        block = block + (1,) * (3 - len(block))
        args = [np.uintp(b) if isinstance(b, int) else b for b in bufs] + [_arg(v) for v in vals]
        try:
            if shared > self.max_shared:  # more than 48 KB must be asked for explicitly
                attr = cuda.function_attribute.MAX_DYNAMIC_SHARED_SIZE_BYTES
                self.fn.set_attribute(attr, shared)
                self.max_shared = shared
            if not wait:
                self.fn(*args, grid=grid, block=block, shared=shared)
                return None
            start, end = cuda.Event(), cuda.Event()
            start.record()
            self.fn(*args, grid=grid, block=block, shared=shared)
            end.record()
            end.synchronize()
            return start.time_till(end) / 1e3
        except cuda.Error as e:
            raise CudaError(f"launching {self.name} grid={grid} block={block} "
                            f"shared={shared}: {e}") from e
# --8<-- [end:cuda_program]


class CUDADevice(Device):
    """GPU 0 through its primary context, shared with PyTorch and CuPy."""

    def __init__(self):
        cuda = _cuda()
        try:
            cuda.init()
            if cuda.Device.count() == 0:
                raise DeviceNotFoundError("device 'cuda': the NVIDIA driver sees no GPU")
            self.gpu = cuda.Device(0)
            self.context = self.gpu.retain_primary_context()
            self.context.push()
            atexit.register(self.context.pop)
        except cuda.Error as e:
            raise DeviceNotFoundError(f"device 'cuda' did not open: {e}") from e
        self.gpu_name = self.gpu.name()
        arch = nvcc_arch(*self.gpu.compute_capability())
        super().__init__("cuda", CUDAAllocator(cuda), CUDACompiler(arch), CUDAProgram)

    def synchronize(self) -> None:
        try:
            self.context.synchronize()
        except _cuda().Error as e:
            raise CudaError(f"synchronize: {e}") from e


def open_device() -> Device:
    return CUDADevice()
