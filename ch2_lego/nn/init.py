"""nn.init: fill parameters in place with PyTorch's initial distributions.

Every layer's reset_parameters() calls these, so a fresh ch2_lego.nn.Linear draws its weights
from the same distribution as torch.nn.Linear (not the same numbers: the generators differ).
fan_in/fan_out count the inputs/outputs of one unit: for a weight (O, I, *kernel) they are
I * prod(kernel) and O * prod(kernel).
"""

import math
import warnings

from ch2_lego.grad_mode import no_grad
from ch2_lego.nn.errors import LayerArgumentError
from ch2_lego.rand import rand, randn
from ch2_lego.tensor import Tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through `nonlinearity`."""
    linear_like = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                   "conv_transpose2d", "conv_transpose3d", "sigmoid")
    if nonlinearity in linear_like:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise LayerArgumentError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.dim() < 2:
        raise LayerArgumentError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = 1
    for size in tensor.shape[2:]:
        receptive *= size
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


# *** 1. fill with a constant or a distribution ***


@no_grad()
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with U(a, b)."""
    return tensor.copy_(rand(*tensor.shape, dtype=tensor.dtype, device=tensor.device,
                             generator=generator) * (b - a) + a)


@no_grad()
def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2)."""
    return tensor.copy_(randn(*tensor.shape, dtype=tensor.dtype, device=tensor.device,
                              generator=generator) * std + mean)


@no_grad()
def constant_(tensor: Tensor, val: float) -> Tensor:
    return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


# *** 2. scaled by fan-in and fan-out ***


# --8<-- [start:kaiming_uniform]
def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """Fill with U(-bound, bound), bound = gain * sqrt(3 / fan) (He et al. 2015).

    A uniform on [-b, b] has variance b^2/3, so this gives std = gain / sqrt(fan). Linear and
    Conv call it with a = sqrt(5): gain = sqrt(2 / 6), hence bound = 1 / sqrt(fan_in).
    """
    if tensor.numel() == 0:  # a zero-sized layer: nothing to fill, and fan may be 0
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)
# --8<-- [end:kaiming_uniform]


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """Fill with N(0, std^2), std = gain / sqrt(fan)."""
    if tensor.numel() == 0:  # a zero-sized layer: nothing to fill, and fan may be 0
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Fill with U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Fill with N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)
