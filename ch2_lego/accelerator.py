"""torch.accelerator for ch2_lego: whether a device other than the CPU is there to use.

An accelerator is a device registered in ch2's dispatcher beside "cpu" under one of PyTorch's
accelerator names (chapter 3 registers "cuda" on a GPU). Without one, as on a laptop, scripts
that ask `torch.accelerator.is_available()` fall back to the CPU.
"""

from ch2_lego.backend import DEVICES
from ch2_lego.tensor import device

ACCELERATOR_TYPES = ("cuda", "mps", "xpu")


def _found() -> list[str]:
    return [name for name in ACCELERATOR_TYPES if name in DEVICES]


def is_available() -> bool:
    return bool(_found())


def device_count() -> int:
    return 1 if _found() else 0  # ch2 registers at most one device of each type


def current_accelerator(check_available: bool = False):
    """The accelerator's torch.device, or None when there is none."""
    found = _found()
    return device(found[0]) if found else None


def synchronize(device=None) -> None:
    """No-op: ch2 has no streams; a result reaches Python only after its kernel has finished."""
