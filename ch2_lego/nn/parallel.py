"""torch.nn.parallel for ch2_lego: DistributedDataParallel, importable but never constructed.

Scripts import DDP at the top and wrap the model only when a process group is running. ch2 has
no process groups (see ch2_lego/distributed.py), so constructing one is PyTorch's error for a
missing process group.
"""

from ch2_lego.distributed import DistributedError
from ch2_lego.nn.module import Module


class DistributedDataParallel(Module):
    """Data-parallel training over processes; unavailable in ch2 (one process, one device)."""

    def __init__(self, module, device_ids=None, *args, process_group=None, **kwargs):
        raise DistributedError(
            "Default process group has not been initialized, please make sure to call "
            "init_process_group. (ch2_lego has no distributed backend: train the module itself)")


class DataParallel(Module):
    """Single-process multi-GPU parallelism; unavailable in ch2 (one device)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        raise NotImplementedError("nn.DataParallel: ch2_lego computes on one device; "
                                  "use the module itself")
