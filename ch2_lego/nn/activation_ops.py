"""More activation functions for nn.functional: the clipped, shrinking and smooth ones.

Each is a composition of Tensor ops, so autograd differentiates it. Where torch's gradient at a
kink is a convention (hardtanh passes nothing at its bounds, hardswish takes the middle piece's
slope at -3 and 3), the pieces are chosen with `where` so that ours is the same; an exp or a
log that could overflow in the branch not taken is clamped first, since 0 * inf in a gradient
is nan. Shapes: elementwise unless said otherwise; C channels (dim 1).
"""

from ch2_lego.errors import InvalidArgumentError, ShapeError
from ch2_lego.functional import half_in_float32
from ch2_lego.storage import normalize_dim
from ch2_lego.tensor import Tensor

# *** 1. clipped linear units ***


# --8<-- [start:hardtanh]
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val); the gradient is 1 strictly inside the bounds, else 0."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.dtype.name == "bool":
        raise InvalidArgumentError("Bool inputs not supported for hardtanh")
    out = input.where(input > min_val, min_val).where(input < max_val, max_val)
    out = out if out.dtype is input.dtype else out.to(input.dtype)  # an int tensor stays int
    return input.copy_(out) if inplace else out
# --8<-- [end:hardtanh]


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


@half_in_float32
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: a piecewise-linear sigmoid."""
    out = hardtanh(input + 3, 0.0, 6.0) / 6
    return input.copy_(out) if inplace else out


@half_in_float32
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6: 0 up to -3, x from 3, x (x + 3) / 6 between; so the gradient at
    -3 is 0 and at 3 is 1, as torch's."""
    middle = input * (input + 3) / 6
    out = middle.where(input > -3, 0.0).where(input < 3, input)
    return input.copy_(out) if inplace else out


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value."""
    out = input.where(input > threshold, value)
    return input.copy_(out) if inplace else out


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


# *** 2. smooth units ***


@half_in_float32
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (exp(x / alpha) - 1) below: an ELU whose slope at 0 is 1 for any
    alpha."""
    if alpha == 0:
        raise InvalidArgumentError("ZeroDivisionError: alpha cannot be 0 for CELU")
    negative = ((input.clamp(max=0) / alpha).exp() - 1) * alpha
    out = input.where(input > 0, negative)
    return input.copy_(out) if inplace else out


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


@half_in_float32
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the constants that keep unit mean and variance."""
    negative = (input.clamp(max=0).exp() - 1) * (SELU_ALPHA * SELU_SCALE)
    out = (input * SELU_SCALE).where(input > 0, negative)
    return input.copy_(out) if inplace else out


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


@half_in_float32
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    from ch2_lego.functional import softplus

    out = input * softplus(input).tanh()
    return input.copy_(out) if inplace else out


def tanhshrink(input: Tensor) -> Tensor:
    return input - input.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    if lambd < 0:
        raise ValueError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    zero = input * 0
    return (input - lambd).where(input > lambd, (input + lambd).where(input < -lambd, zero))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    return input.where((input > lambd) | (input < -lambd), 0.0)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), a and b the two halves of `dim`. Shapes: (.., 2N, ..) -> (.., N, ..)."""
    if input.ndim == 0:
        raise ShapeError("glu does not support scalars because halving size must be even")
    d = normalize_dim(dim, input.ndim)
    if input.shape[d] % 2:
        raise ShapeError(f"Halving dimension must be even, but dimension {d} is size "
                         f"{input.shape[d]}")
    a, b = input.chunk(2, d)
    return a * b.sigmoid()


def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    return (-input).softmax(dim, dtype)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, weight * x below; a weight of C values applies per channel (dim 1)."""
    if weight.numel() != 1:
        if input.ndim < 2 or weight.numel() != input.shape[1]:
            raise ShapeError(f"Mismatch of parameter numbers and input channel size. Found "
                             f"parameter numbers = {weight.numel()} and channel size = "
                             f"{input.shape[1] if input.ndim >= 2 else 1}.")
        weight = weight.reshape([1, -1] + [1] * (input.ndim - 2))
    return input.where(input > 0, weight * input)


# *** 3. distances ***


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out=None) -> Tensor:
    """x / max(||x||_p, eps) along dim."""
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """<x1, x2> / (max(||x1||, eps) max(||x2||, eps)) along dim, after broadcasting."""
    n1 = (x1 * x1).sum(dim, keepdim=True).sqrt().clamp_min(eps)
    n2 = (x2 * x2).sum(dim, keepdim=True).sqrt().clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim."""
    return (x1 - x2 + eps).norm(p, -1, keepdim)

