"""torch.amp for ch2_lego: autocast and GradScaler, as no-ops wherever PyTorch's would be.

Mixed precision runs chosen ops in float16/bfloat16 (autocast) and scales the loss so that small
float16 gradients do not flush to zero (GradScaler). ch2 computes in the tensors' own dtypes and
has no autocast, so these exist for scripts that switch them off, or that ask for CUDA on a
machine without it (PyTorch then warns and disables them, and so do we). A script that would
really turn on lower precision gets a NotImplementedError that says so, never other numbers.
"""

import warnings

from ch2_lego.backend import DEVICES

FULL_PRECISION = ("float32", "float64")  # an autocast to these changes no result


def _dtype_name(dtype) -> str:
    return str(dtype).split(".")[-1]


def _missing_device(device_type: str) -> bool:
    return device_type != "cpu" and device_type not in DEVICES


# --8<-- [start:autocast]
class autocast:  # noqa: N801 (torch's name)
    """`with torch.autocast(device_type, dtype=...)`: accepted where it would change nothing.

    That is: enabled=False, a dtype of float32/float64, or a device this machine lacks (PyTorch
    warns and disables autocast then). Works as a context manager and as a decorator.
    """

    _caller = 2  # stack frames up to the script's line, for warnings (subclasses add one)

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if enabled and _missing_device(device_type):
            warnings.warn(f"{device_type.upper()} is not available or torch_xla is imported. "
                          "Disabling autocast.", stacklevel=self._caller)  # PyTorch's words
            enabled = False
        if enabled and (dtype is None or _dtype_name(dtype) not in FULL_PRECISION):
            lower = "bfloat16" if dtype is None else _dtype_name(dtype)
            raise NotImplementedError(
                f"torch.autocast(device_type='{device_type}', dtype={lower}) would run ops in "
                f"{lower}; ch2_lego has no autocast and computes in each tensor's own dtype. "
                "Pass enabled=False (or leave the autocast out) to train in float32.")
        self.device_type, self.enabled = device_type, False

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def __call__(self, fn):
        return fn  # as a decorator: the function runs as it is
# --8<-- [end:autocast]


# --8<-- [start:grad_scaler]
class GradScaler:
    """Loss scaling for float16 training; here always disabled, so each method is the identity.

    `GradScaler(enabled=False)` and one for a device this machine lacks (PyTorch warns and
    disables it) work; scale(loss) is loss and step(optimizer) is optimizer.step().
    """

    _caller = 2  # stack frames up to the script's line, for warnings (subclasses add one)

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        if enabled and _missing_device(device):
            warnings.warn(f"torch.{device}.amp.GradScaler is enabled, but {device.upper()} is "
                          "not available.  Disabling.", stacklevel=self._caller)  # PyTorch's words
            enabled = False
        if enabled:
            raise NotImplementedError(
                f"GradScaler(device='{device}', enabled=True): ch2_lego does no loss scaling; "
                "it trains in float32, where none is needed. Pass enabled=False.")
        self.device, self._enabled = device, False

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer) -> None:
        return None

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        return None

    def get_scale(self) -> float:
        return 1.0  # PyTorch's answer for a disabled scaler

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        return None
# --8<-- [end:grad_scaler]


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast could be enabled for `device_type`: never, in ch2."""
    return False
