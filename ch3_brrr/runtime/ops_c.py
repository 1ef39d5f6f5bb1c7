"""The C backend: kernels in C, compiled by the system compiler with OpenMP, loaded by ctypes.

Memory is host memory (numpy byte arrays, 64-byte aligned), so a kernel runs on the very bytes
ch2's tensors hold: no copies through Python. Kernel arguments: numpy arrays pass their data
pointer (strides and offsets are the caller's business), Python ints pass as int64_t, floats
as double. Compile flags: -O3 -march=native -fopenmp; -ffp-contract=fast (a * b + c may be
one FMA instruction, which -std=c11 would forbid); -fwrapv (signed integer overflow wraps, as
in numpy and torch; C leaves it undefined). Never -ffast-math, which would let the compiler
assume no NaN or inf (tests check both). Left out: a JIT of its own, async launches.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
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
    DeviceNotFoundError,
    OutOfMemoryError,
    Program,
    atomic_write,
    cache_dir,
    timed,
)

KERNEL_DIR = Path(__file__).resolve().parent.parent / "kernels" / "c"
ALIGN = 64  # a cache line, and an AVX-512 register


class CAllocator(Allocator):
    """Host memory as numpy uint8 arrays whose first byte sits on a 64-byte boundary."""

    def alloc(self, nbytes: int) -> np.ndarray:
        if nbytes < 0:
            raise ValueError(f"alloc: nbytes must be >= 0, got {nbytes}")
        try:
            raw = np.empty(nbytes + ALIGN, dtype=np.uint8)
        except MemoryError as e:
            raise OutOfMemoryError("c", nbytes, "host memory") from e
        start = (-raw.ctypes.data) % ALIGN
        return raw[start:start + nbytes]

    def free(self, buf: np.ndarray) -> None:
        pass  # numpy frees the memory when the last view of it goes

    def copyin(self, dest: np.ndarray, src: memoryview) -> None:
        dest[:len(src)] = np.frombuffer(src, dtype=np.uint8)

    def copyout(self, dest: memoryview, src: np.ndarray) -> None:
        np.frombuffer(dest, dtype=np.uint8)[:] = src[:len(dest)]

    def as_buffer(self, buf: np.ndarray) -> memoryview:
        return memoryview(buf)


def cpu_model() -> str:
    """What -march=native depends on: the CPU's name and feature flags (Linux), else the arch."""
    try:
        info = Path("/proc/cpuinfo").read_text()
        model = re.search(r"^model name\s*:\s*(.*)$", info, re.M)
        flags = re.search(r"^flags\s*:\s*(.*)$", info, re.M)
        return f"{model[1] if model else ''}|{flags[1] if flags else ''}"
    except OSError:
        return platform.machine()


NO_OPENMP = ("\n{cc} has no OpenMP: install gcc (apt-get install gcc), or OpenMP for clang "
             "(apt-get install libomp-dev), or point $CC at a compiler that has it")


# --8<-- [start:c_compile]
class CCompiler(Compiler):
    """C source -> shared library bytes, by `$CC` (default cc)."""

    flags = ["-O3", "-march=native", "-fopenmp", "-ffp-contract=fast", "-fwrapv", "-shared",
             "-fPIC", "-std=c11", "-Wall"]

    def __init__(self, cc: str | None = None):
        self.cc = cc or os.environ.get("CC", "cc")
        if shutil.which(self.cc) is None:
            raise DeviceNotFoundError(f"device 'c' needs a C compiler with OpenMP, and {self.cc!r}"
                                      " is not on PATH: install gcc (apt-get install gcc)")
        version = subprocess.run([self.cc, "--version"], capture_output=True, text=True).stdout
        cpu = hashlib.sha256(cpu_model().encode()).hexdigest()[:16]
        self.cachekey = f"c:{version.splitlines()[0] if version else self.cc}:" \
                        f"{' '.join(self.flags)}:{cpu}"

    def compile(self, src: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix="singsys-cc-") as tmp:
            c_file, so_file = Path(tmp) / "kernel.c", Path(tmp) / "kernel.so"
            c_file.write_text(src)
            proc = subprocess.run([self.cc, *self.flags, str(c_file), "-o", str(so_file), "-lm"],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                m = re.search(r"kernel\.c:(\d+):(?:\d+:)? (?:fatal )?error", proc.stderr)
                log = proc.stderr + (NO_OPENMP.format(cc=self.cc) if "omp.h" in proc.stderr
                                     else "")
                raise CompileError(self.cc, log, src, int(m[1]) if m else None)
            return so_file.read_bytes()
# --8<-- [end:c_compile]


_loaded: dict[str, ctypes.CDLL] = {}  # sha256 of the library -> the loaded library


def load_library(lib: bytes) -> ctypes.CDLL:
    """dlopen needs a file: keep each library once under cache_dir()/c/, named by its hash."""
    digest = hashlib.sha256(lib).hexdigest()
    if digest not in _loaded:
        path = cache_dir() / "c" / f"lib-{digest}.so"
        if not path.exists():
            atomic_write(path, lib)
        _loaded[digest] = ctypes.CDLL(str(path))
    return _loaded[digest]


# --8<-- [start:c_program]
def c_type(x):
    """The C type of one kernel argument: an array passes its data pointer, an int an int64_t,
    a float a double."""
    if isinstance(x, np.ndarray):
        return ctypes.c_void_p
    if isinstance(x, (bool, int, np.integer)):
        return ctypes.c_int64
    if isinstance(x, (float, np.floating)):
        return ctypes.c_double
    raise TypeError(f"a C kernel argument must be an ndarray, int or float, got {type(x).__name__}")


class CProgram(Program):
    """A function of a loaded library. global_size/local_size are ignored: C kernels loop over
    their own index space and split it across threads with OpenMP."""

    def __init__(self, name: str, lib: bytes):
        super().__init__(name, lib)
        try:
            self.fn = getattr(load_library(lib), name)
        except AttributeError:
            raise CompileError("c", f"no function named {name!r} in the compiled source",
                               "") from None
        self.fn.restype, self.types = None, ()

    def __call__(self, *bufs, global_size=(1, 1, 1), local_size=(1, 1, 1), vals=(), wait=False):
        args = (*bufs, *vals)
        types = tuple(c_type(x) for x in args)
        if types != self.types:  # declared once: ctypes then converts each argument
            self.fn.argtypes = self.types = types
        raw = [x.ctypes.data if isinstance(x, np.ndarray) else int(x) if t is ctypes.c_int64
               else x for x, t in zip(args, types)]
        return timed(lambda: self.fn(*raw), lambda: None, wait)
# --8<-- [end:c_program]


def kernel_source(name: str) -> str:
    """kernels/c/<name>.c with its local `#include "x.h"` lines inlined, so the cache key (a hash
    of the source) changes when a header does."""
    def inline(match: re.Match) -> str:
        return (KERNEL_DIR / match[1]).read_text()
    return re.sub(r'^#include "([\w.]+)"$', inline, (KERNEL_DIR / f"{name}.c").read_text(),
                  flags=re.M)


class CDevice(Device):
    """Device "c": the host CPU, all its cores through OpenMP."""

    def __init__(self, cc: str | None = None):
        super().__init__("c", CAllocator(), CCompiler(cc), CProgram)
        self._kernels: dict[tuple[str, str], CProgram] = {}

    def kernel(self, file: str, name: str) -> CProgram:
        """Function `name` of kernels/c/<file>.c, compiled (cached) and loaded once: the file is
        read on the first call only, as every op of device "c" comes through here."""
        if (file, name) not in self._kernels:
            self._kernels[file, name] = self.build(name, kernel_source(file))
        return self._kernels[file, name]


def open_device() -> CDevice:
    return CDevice()
