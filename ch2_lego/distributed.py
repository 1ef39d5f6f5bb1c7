"""torch.distributed for ch2_lego: not available, so single-process scripts run as they are.

Training scripts check `torch.distributed.is_available()` or the RANK environment variable and
take the one-process path when there is no process group. ch2 runs in one process on one device;
starting a process group is an error that says so.
"""


class DistributedError(ValueError):
    """A distributed operation, which ch2_lego does not implement (ValueError, as PyTorch raises
    for a missing process group)."""


def is_available() -> bool:
    return False


def is_initialized() -> bool:
    return False


def _unavailable(what: str):
    raise DistributedError(f"torch.distributed.{what}: ch2_lego runs in a single process and has "
                           "no distributed backend (torch.distributed.is_available() is False); "
                           "run the script without torchrun, or with RANK unset")


def init_process_group(*args, **kwargs) -> None:
    _unavailable("init_process_group")


def destroy_process_group(group=None) -> None:
    _unavailable("destroy_process_group")


def get_rank(group=None) -> int:
    _unavailable("get_rank")


def get_world_size(group=None) -> int:
    _unavailable("get_world_size")


def barrier(*args, **kwargs) -> None:
    _unavailable("barrier")


def all_reduce(*args, **kwargs) -> None:
    _unavailable("all_reduce")
