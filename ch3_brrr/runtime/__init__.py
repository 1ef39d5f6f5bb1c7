"""The device runtimes: the shared base in device.py, one backend per ops_<name>.py."""

from ch3_brrr.runtime.device import (
    Allocator,
    CompileError,
    Compiler,
    Device,
    DeviceError,
    DeviceNotFoundError,
    OutOfMemoryError,
    Program,
    available_devices,
    cache_dir,
    get_device,
)

__all__ = ["Allocator", "CompileError", "Compiler", "Device", "DeviceError",
           "DeviceNotFoundError", "OutOfMemoryError", "Program", "available_devices",
           "cache_dir", "get_device"]
