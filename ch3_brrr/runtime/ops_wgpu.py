"""The WGSL backend: compute shaders through wgpu-py, on a GPU or on Mesa's llvmpipe CPU adapter.

The adapter is picked by wgpu ("high-performance": a discrete GPU where there is one, else the
CPU adapter); $SINGSYS_WGPU_ADAPTER=cpu forces the CPU adapter. A buffer is a wgpu.GPUBuffer;
a Program is one @compute entry point whose bindings are the buffers in call order, then (if
`vals` is given) a buffer of 32-bit scalars that the kernel reads as a uniform struct or a
storage array<u32>. Pipelines, scalar buffers and bind groups are cached. Launches are recorded
and submitted together (one compute pass per batch: a submit costs a millisecond on llvmpipe),
at the latest when data moves in or out; nothing is read back until copyout. Left out:
timestamps (timing is wall-clock), several queues, mapped memory.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import OrderedDict

import numpy as np
import wgpu

from ch3_brrr.runtime.device import (
    Allocator,
    CompileError,
    Compiler,
    Device,
    DeviceNotFoundError,
    OutOfMemoryError,
    Program,
    timed,
)

INSTALL_HINT = ("install a Vulkan driver: `apt-get install mesa-vulkan-drivers` gives the "
                "llvmpipe CPU adapter (or your GPU vendor's driver), and `pip install wgpu`")
USAGE = wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_SRC | wgpu.BufferUsage.COPY_DST


class LRU(OrderedDict):
    """A dict that forgets its least recently used entry past `size` entries."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def get_or_make(self, key, make):
        if key in self:
            self.move_to_end(key)
            return self[key]
        self[key] = value = make()
        if len(self) > self.size:
            self.popitem(last=False)
        return value


class WGPUAllocator(Allocator):
    """GPUBuffers usable as storage and as copy source and destination."""

    def __init__(self, owner: WGPUDevice):
        self.owner, self.device = owner, owner.gpu

    def alloc(self, nbytes: int) -> wgpu.GPUBuffer:
        limit = self.device.limits["max-storage-buffer-binding-size"]
        if nbytes > limit:
            raise OutOfMemoryError("wgpu", nbytes, f"a binding holds at most {limit} bytes")
        # a binding may not be empty or hold part of a vec4: round up to whole 16-byte units
        try:
            return self.device.create_buffer(size=max(16, -(-nbytes // 16) * 16), usage=USAGE)
        except wgpu.GPUOutOfMemoryError as e:  # the driver's memory is spent
            raise OutOfMemoryError("wgpu", nbytes, str(e)) from None

    def free(self, buf: wgpu.GPUBuffer) -> None:
        buf.destroy()

    def copyin(self, dest: wgpu.GPUBuffer, src: memoryview) -> None:
        data = bytes(src)
        data += b"\0" * (-len(data) % 4)  # write_buffer moves whole 4-byte words
        if data:  # a queue write jumps ahead of launches not yet submitted: submit them first
            self.owner.flush()
            self.device.queue.write_buffer(dest, 0, data)

    def copyout(self, dest: memoryview, src: wgpu.GPUBuffer) -> None:
        n = len(dest)
        if n:  # read_buffer waits for the work submitted before it
            self.owner.flush()
            dest[:] = self.device.queue.read_buffer(src, 0, -(-n // 4) * 4)[:n]


class WGPUCompiler(Compiler):
    """WGSL needs no compile step of ours: compile() validates the source (naga) and returns it.

    The driver turns WGSL into machine code when a pipeline is made, so an on-disk cache of our
    own would store the source itself: cachekey stays None (cache off).
    """

    def __init__(self, device: wgpu.GPUDevice):
        self.device = device

    def compile(self, src: str) -> bytes:
        try:
            self.device.create_shader_module(code=src)
        except Exception as e:  # wgpu raises GPUValidationError (or a plain error) with naga's log
            found = re.search(r":(\d+):(\d+)", str(e))
            raise CompileError("wgpu", str(e), src, int(found[1]) if found else None) from None
        return src.encode()


# --8<-- [start:wgpu_program]
class WGPUProgram(Program):
    """One @compute entry point `name` of the WGSL source `lib`, as a cached compute pipeline.

    `global_size` is the number of workgroups per axis (tinygrad's and CUDA's grid); the
    workgroup's own size is fixed by the kernel's @workgroup_size, so `local_size` is unused.
    """

    def __init__(self, name: str, lib: bytes, device: WGPUDevice):
        super().__init__(name, lib)
        self.dev = device
        module = device.gpu.create_shader_module(code=lib.decode())
        self.pipeline = device.gpu.create_compute_pipeline(
            layout="auto", compute={"module": module, "entry_point": name})
        self.layout = self.pipeline.get_bind_group_layout(0)

    def __call__(self, *bufs, global_size=(1, 1, 1), local_size=(1, 1, 1), vals=(), wait=False):
        if vals:
            bufs = (*bufs, self.dev.scalars(vals))
        key = (self.pipeline.uid, *[b.uid for b in bufs])
        bind_group = self.dev.bind_groups.get_or_make(key, lambda: self.dev.gpu.create_bind_group(
            layout=self.layout,
            entries=[{"binding": i, "resource": {"buffer": b}} for i, b in enumerate(bufs)]))
        grid = (tuple(global_size) + (1, 1))[:3]
        if 0 in grid:
            return 0.0 if wait else None
        return timed(lambda: self.dev.enqueue(self.pipeline, bind_group, grid),
                     self.dev.synchronize, wait)
# --8<-- [end:wgpu_program]


class WGPUDevice(Device):
    """The adapter and its logical device, with the caches every Program shares."""

    def __init__(self):
        force_cpu = os.environ.get("SINGSYS_WGPU_ADAPTER", "").lower() == "cpu"
        if not os.environ.get("XDG_RUNTIME_DIR"):
            # NOTE: Mesa's window-system layer prints an error per adapter probe without one
            # (headless machines, CI); compute needs no windows, so give it an empty folder
            os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="singsys-xdg-")
        try:
            adapter = wgpu.gpu.request_adapter_sync(
                power_preference="high-performance", force_fallback_adapter=force_cpu)
        except Exception as e:  # no Vulkan/Metal/DX12 driver at all
            raise DeviceNotFoundError(f"wgpu found no adapter ({e}); {INSTALL_HINT}") from None
        if adapter is None:
            raise DeviceNotFoundError(f"wgpu found no adapter; {INSTALL_HINT}")
        self.adapter = adapter
        self.gpu = adapter.request_device_sync(required_limits={
            k: adapter.limits[k] for k in ("max-storage-buffer-binding-size", "max-buffer-size")})
        self.scalar_buffers = LRU(1024)  # bytes of the vals -> a buffer holding them
        # (pipeline uid, buffer uids) -> bind group; small, as a bind group keeps its buffers alive
        self.bind_groups = LRU(256)
        self.pending: list[tuple] = []  # launches recorded, not yet submitted
        super().__init__("wgpu", WGPUAllocator(self), WGPUCompiler(self.gpu),
                         lambda name, lib: WGPUProgram(name, lib, self))

    def scalars(self, vals) -> wgpu.GPUBuffer:
        """A uniform/storage buffer with vals as 32-bit words (ints, or float32 for floats),
        padded to 16 bytes as uniform structs need; cached by content."""
        words = np.array([np.float32(v).view(np.uint32) if isinstance(v, float) else v & 0xFFFFFFFF
                          for v in vals] + [0] * (-len(vals) % 4), dtype=np.uint32).tobytes()
        return self.scalar_buffers.get_or_make(words, lambda: self.gpu.create_buffer_with_data(
            data=words, usage=wgpu.BufferUsage.UNIFORM | wgpu.BufferUsage.STORAGE))

    def enqueue(self, pipeline, bind_group, grid) -> None:
        """Record one launch; a batch of 128 is submitted without waiting to be asked."""
        self.pending.append((pipeline, bind_group, grid))
        if len(self.pending) >= 128:
            self.flush()

    def flush(self) -> None:
        """Submit the recorded launches as one compute pass, in order (WebGPU makes each
        dispatch see the writes of those before it)."""
        if not self.pending:
            return
        encoder = self.gpu.create_command_encoder()
        compute_pass = encoder.begin_compute_pass()
        for pipeline, bind_group, grid in self.pending:
            compute_pass.set_pipeline(pipeline)
            compute_pass.set_bind_group(0, bind_group)
            compute_pass.dispatch_workgroups(*grid)
        compute_pass.end()
        self.gpu.queue.submit([encoder.finish()])
        self.pending.clear()

    def synchronize(self) -> None:
        # NOTE: wgpu-py 0.32's on_submitted_work_done_sync is broken; a 4-byte read waits too
        if not hasattr(self, "_fence"):
            self._fence = self.allocator.alloc(4)
        self.flush()
        self.gpu.queue.read_buffer(self._fence, 0, 4)

    def __repr__(self) -> str:
        return f"<Device 'wgpu' on {self.adapter.summary}>"


def open_device() -> Device:
    return WGPUDevice()
