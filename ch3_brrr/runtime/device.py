"""The runtime every backend shares: Allocator, Compiler, Program and Device (tinygrad's names).

A backend lives in `runtime/ops_<name>.py` and subclasses the three parts: an Allocator (device
memory and the copies in and out of it), a Compiler (kernel source -> loadable bytes, cached on
disk) and a Program (one loaded kernel, launched over buffers). A Device joins them under a name
("c", "wgpu", "cuda"); `get_device(name)` imports the module and opens the device once.
Left out: streams, events, graphs of launches, multi-device. ch2's Buffer holds what alloc returns.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# *** 1. named errors ***


class DeviceError(RuntimeError):
    """Base of the runtime's errors."""


class DeviceNotFoundError(DeviceError):
    """A backend that cannot open here; the message names what to install."""


class CompileError(DeviceError):
    """A kernel that failed to compile: the compiler's message and the offending source line."""

    def __init__(self, backend: str, log: str, src: str, lineno: int | None = None):
        self.backend, self.log, self.src, self.lineno = backend, log, src, lineno
        where = ""
        lines = src.splitlines()
        if lineno is not None and 1 <= lineno <= len(lines):
            where = f"\n  at line {lineno}: {lines[lineno - 1].strip()}"
        super().__init__(f"{backend} kernel failed to compile:\n{log.strip()}{where}")


class OutOfMemoryError(DeviceError):
    """An allocation the device could not satisfy (PyTorch: torch.OutOfMemoryError)."""

    def __init__(self, device: str, nbytes: int, detail: str = ""):
        self.device, self.nbytes = device, nbytes
        extra = f" ({detail})" if detail else ""
        super().__init__(f"{device} out of memory. Tried to allocate {nbytes} bytes{extra}")


# *** 2. Allocator: the memory behind ch2's Storage ***


class Allocator:
    """Device memory: alloc/free opaque handles, copy bytes in from and out to the host.

    Subclasses implement all four. A handle is whatever the backend likes (a ctypes buffer, a
    wgpu.GPUBuffer, a pycuda DeviceAllocation); only its own Program and Allocator look inside.
    """

    def alloc(self, nbytes: int) -> Any:
        """A new uninitialised buffer of nbytes; raise OutOfMemoryError if it cannot be had."""
        raise NotImplementedError

    def free(self, buf: Any) -> None:
        """Give buf back; the handle is dead afterwards."""
        raise NotImplementedError

    def copyin(self, dest: Any, src: memoryview) -> None:
        """Host -> device: fill dest's first len(src) bytes from src."""
        raise NotImplementedError

    def copyout(self, dest: memoryview, src: Any) -> None:
        """Device -> host: fill dest from src's first len(dest) bytes (waits for pending work)."""
        raise NotImplementedError

    def as_buffer(self, buf: Any) -> memoryview:
        """A zero-copy host view of buf, for backends whose memory the CPU can see (C only)."""
        raise NotImplementedError(f"{type(self).__name__} memory is not visible to the host")


# *** 3. Compiler: source -> bytes, with an on-disk cache ***


def cache_dir() -> Path:
    """Where compiled kernels are kept: $SINGSYS_CACHE, else $XDG_CACHE_HOME/singsys, else
    ~/.cache/singsys."""
    if os.environ.get("SINGSYS_CACHE"):
        return Path(os.environ["SINGSYS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "singsys"


def atomic_write(path: Path, data: bytes) -> None:
    """Write data to path so no reader ever sees half a file: a temp file, then os.replace.

    Two processes compiling the same kernel both write the same bytes; the last rename wins and
    either copy is correct, so no lock is needed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --8<-- [start:compiler]
class Compiler:
    """Turns kernel source into the bytes a Program loads.

    Subclasses implement `compile(src)` and set `cachekey`: a string naming everything besides
    the source that changes the output (compiler version, flags, target CPU or GPU). Callers use
    `compile_cached(src)`, which looks under cache_dir()/<backend>/<sha256 of key+src>.
    `cachekey = None` turns the cache off.
    """

    cachekey: str | None = None
    hits = misses = 0  # counted per instance: tests read them to see the cache work

    def compile(self, src: str) -> bytes:
        """Compile src; raise CompileError with the compiler's message on failure."""
        raise NotImplementedError

    def cache_path(self, src: str) -> Path | None:
        """The file that holds (or will hold) the compiled src, or None with the cache off."""
        if self.cachekey is None:
            return None
        digest = hashlib.sha256(f"{self.cachekey}\0{src}".encode()).hexdigest()
        backend = self.cachekey.split(":", 1)[0]
        return cache_dir() / backend / digest

    def compile_cached(self, src: str) -> bytes:
        """compile(src), reusing an earlier result for the same key and source."""
        path = self.cache_path(src)
        if path is not None and path.exists():
            self.hits += 1
            return path.read_bytes()
        lib = self.compile(src)
        self.misses += 1
        if path is not None:
            atomic_write(path, lib)
        return lib
# --8<-- [end:compiler]


# *** 4. Program: one loaded kernel ***


class Program:
    """A kernel `name` loaded from the compiler's bytes `lib`, launched over device buffers.

    `prog(*bufs, global_size=(gx,gy,gz), local_size=(lx,ly,lz), vals=(ints...), wait=False)`:
    bufs are Allocator handles in the kernel's parameter order, vals its scalar int arguments.
    With wait=True the call blocks until the kernel is done and returns its time in seconds.
    """

    def __init__(self, name: str, lib: bytes):
        self.name, self.lib = name, lib

    def __call__(self, *bufs: Any, global_size: tuple[int, ...] = (1, 1, 1),
                 local_size: tuple[int, ...] = (1, 1, 1), vals: tuple[int, ...] = (),
                 wait: bool = False) -> float | None:
        raise NotImplementedError


def timed(launch: Callable[[], Any], synchronize: Callable[[], Any], wait: bool) -> float | None:
    """Run launch(); with wait, synchronize and return the seconds it took (a helper for
    Programs whose device has no timer of its own)."""
    start = time.perf_counter()
    launch()
    if not wait:
        return None
    synchronize()
    return time.perf_counter() - start


# *** 5. Device: the three parts under a name ***


class Device:
    """A backend: `allocator`, `compiler` and `program` (the Program class), plus helpers.

    `dev.build(name, src)` compiles (cached) and loads one kernel. Subclasses pass their parts
    to __init__ and raise DeviceNotFoundError from it when the backend cannot run here.
    """

    def __init__(self, name: str, allocator: Allocator, compiler: Compiler,
                 program: type[Program]):
        self.name, self.allocator, self.compiler, self.program = name, allocator, compiler, program
        self._programs: dict[tuple[str, str], Program] = {}

    def build(self, name: str, src: str) -> Program:
        """Kernel `name` out of `src`, compiled once per process and cached on disk."""
        key = (name, src)
        if key not in self._programs:
            self._programs[key] = self.program(name, self.compiler.compile_cached(src))
        return self._programs[key]

    def synchronize(self) -> None:
        """Wait for all launched work (the C backend runs synchronously: nothing to do)."""

    def __repr__(self) -> str:
        return f"<Device {self.name!r}>"


# the backends this chapter knows: name -> module under ch3_brrr.runtime
BACKENDS = {"c": "ops_c", "wgpu": "ops_wgpu", "cuda": "ops_cuda"}
_opened: dict[str, Device] = {}


def get_device(name: str) -> Device:
    """The Device called name, opened once per process.

    The module `ch3_brrr.runtime.ops_<name>` must define `open_device() -> Device`.
    Raises DeviceNotFoundError for an unknown name or a backend that cannot run here.
    """
    if name in _opened:
        return _opened[name]
    if name not in BACKENDS:
        raise DeviceNotFoundError(f"unknown device {name!r}; known: {', '.join(BACKENDS)}")
    try:
        module = importlib.import_module(f"ch3_brrr.runtime.{BACKENDS[name]}")
    except ModuleNotFoundError as e:
        if e.name != f"ch3_brrr.runtime.{BACKENDS[name]}":
            raise DeviceNotFoundError(f"device {name!r} needs the Python package {e.name!r} "
                                      f"(pip install {e.name})") from e
        raise DeviceNotFoundError(f"device {name!r} is not built yet") from e
    _opened[name] = module.open_device()
    return _opened[name]


def available_devices() -> list[str]:
    """Names of the backends that open on this machine."""
    found = []
    for name in BACKENDS:
        try:
            get_device(name)
            found.append(name)
        except DeviceNotFoundError:
            pass
    return found
