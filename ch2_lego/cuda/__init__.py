"""torch.cuda for ch2_lego: what scripts ask of CUDA, answered for the devices ch2 knows.

ch2 itself computes on the CPU; chapter 3 registers a "cuda" device in the dispatcher when a GPU
and pycuda are there. So `is_available()` says whether a "cuda" device is registered, and on a
machine without one the rest behaves as PyTorch's does without CUDA: no devices, seeding and
cache calls that do nothing, and `amp.GradScaler` that disables itself.
Left out: streams, events, memory statistics, device properties.
"""

from ch2_lego.backend import DEVICES


class CudaUnavailableError(AssertionError):
    """A call that needs a CUDA device, made where none is registered (AssertionError, the class
    PyTorch raises for it)."""


def is_available() -> bool:
    """True when a "cuda" device is registered (chapter 3 registers one)."""
    return "cuda" in DEVICES


def device_count() -> int:
    return 1 if is_available() else 0


def current_device() -> int:
    _require("current_device")
    return 0


def set_device(device) -> None:
    _require("set_device")


def get_device_name(device=None) -> str:
    _require("get_device_name")
    return "cuda (ch3_brrr)"


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: no CUDA device does bfloat16 arithmetic for ch2."""
    return False


def manual_seed(seed: int) -> None:
    """Seed the random numbers of "cuda" tensors. ch2 draws every random number on the host from
    the default generator (a "cuda" tensor is drawn there and moved), so this seeds nothing new:
    PyTorch too ignores it without CUDA. Seeding the CPU stream here would change a script's
    numbers when it seeds both with different values, so we leave it alone."""
    int(seed)  # PyTorch's type check: a seed must be an integer


def manual_seed_all(seed: int) -> None:
    manual_seed(seed)


def seed() -> None:
    """No-op without CUDA (PyTorch's lazy seeding does nothing either)."""


def seed_all() -> None:
    """No-op without CUDA."""


def synchronize(device=None) -> None:
    """Wait for the CUDA device: an error without one (as in PyTorch); with chapter 3's device,
    nothing to wait for, since a result reaches Python only after its kernel has finished."""
    _require("synchronize")


def empty_cache() -> None:
    """No-op: ch2 keeps no cache of device memory (and PyTorch's does nothing without CUDA)."""


def _require(what: str) -> None:
    if not is_available():
        raise CudaUnavailableError(
            f"Torch not compiled with CUDA enabled (torch.cuda.{what}: ch2_lego has no 'cuda' "
            "device registered; chapter 3 registers one on a GPU)")


from ch2_lego.cuda import amp  # noqa: E402,F401 (torch.cuda.amp: GradScaler and autocast)
