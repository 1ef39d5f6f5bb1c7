"""torch.nn.functional's core: activations, softmax, losses, padding and one_hot.

Shapes: N batch, C classes (or channels), D features. Each function is composed from Tensor ops
(so autograd comes for free) except softmax and log_softmax, Functions of their own to keep them
stable in both directions, and gelu and (N, C) cross_entropy, fused Functions for speed
(function_fused.py). nn/functional.py re-exports these and adds the layers' functions (linear,
embedding, layer_norm, dropout, attention, convolution).
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from ch2_lego import function_movement as movement
from ch2_lego.dtype import PT_NAMES, int64
from ch2_lego.errors import (
    ArgumentError,
    DTypeError,
    IndexValueError,
    InvalidArgumentError,
    OutOfRangeError,
    ShapeError,
    TargetError,
)
from ch2_lego.function_fused import CrossEntropy, Gelu
from ch2_lego.tensor import Tensor
from ch2_lego.tensor_math import where


def half_in_float32(fn):
    """fn(x, ...), for a float16 or bfloat16 x, computed in float32 and rounded once at the end,
    as torch's cpu kernels do. Step by step in the half type each op would round on its own:
    gelu's 1 + erf(x) cancels to nothing for x < -3, thousands of ulps. An `inplace=True` call
    writes the rounded result into x."""
    signature = inspect.signature(fn)
    first = next(iter(signature.parameters))

    @functools.wraps(fn)
    def in_float32(x, *args, **kwargs):
        if not (isinstance(x, Tensor) and x.dtype.itemsize == 2 and x.dtype.is_floating_point):
            return fn(x, *args, **kwargs)
        call = signature.bind(x, *args, **kwargs)
        inplace = call.arguments.pop("inplace", False)
        call.arguments[first] = x.float()
        out = fn(*call.args, **call.kwargs).to(x.dtype)
        return x.copy_(out) if inplace else out
    return in_float32


# *** 1. activations ***


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    return x.relu_() if inplace else x.relu()


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


# --8<-- [start:gelu]
@half_in_float32
def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF; "tanh" is GPT-2's approximation of Phi."""
    if approximate not in ("none", "tanh"):
        raise InvalidArgumentError(f"approximate argument must be either none or tanh, got "
                                   f"{approximate!r}")
    return Gelu.apply(x, approximate)  # one fused node: see function_fused.py
# --8<-- [end:gelu]


@half_in_float32
def silu(x: Tensor, inplace: bool = False) -> Tensor:
    return x * x.sigmoid()


@half_in_float32
def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (no overflow)."""
    bx = x * beta
    safe = bx.clamp(max=threshold)  # exp of the clamped value cannot overflow
    return where(bx > threshold, x, (safe.exp() + 1).log() / beta)


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return where(x > 0, x, x * negative_slope)


@half_in_float32
def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return where(x > 0, x, (x.clamp(max=0).exp() - 1) * alpha)


@half_in_float32
def logsigmoid(x: Tensor) -> Tensor:
    return -softplus(-x)


# *** 2. softmax ***


def softmax(x: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along dim, computed after subtracting the max."""
    return x.softmax(dim, dtype=dtype)


def log_softmax(x: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """x_i - logsumexp(x) along dim, without computing softmax first (no log of 0)."""
    return x.log_softmax(dim, dtype=dtype)


# *** 3. losses ***


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ArgumentError(f"{reduction} is not a valid value for reduction")


def _classes_last(x: Tensor, target: Tensor) -> tuple[Tensor, Tensor, tuple]:
    """(N, C, d1, ...) logits and (N, d1, ...) targets as (M, C) and (M,)."""
    if x.ndim == 1:  # one sample, no batch dim
        return x.unsqueeze(0), target.reshape(1) if target.ndim == 0 else target.unsqueeze(0), ()
    out_shape = (x.shape[0],) + tuple(x.shape[2:])
    if x.ndim > 2:
        x = x.movedim(1, -1).reshape(-1, x.shape[1])
        target = target.reshape(-1) if target.dtype is int64 or not target.is_floating_point() \
            else target.movedim(1, -1).reshape(-1, target.shape[1])
    return x, target, out_shape


# --8<-- [start:nll_loss]
def nll_loss(logp: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean",
             label_smoothing: float = 0.0) -> Tensor:
    """Negative log-likelihood of class indices: loss_n = -w[t_n] * logp[n, t_n].

    Shapes: logp (N, C), target (N,) int64 -> () or (N,). Targets equal to ignore_index add
    nothing and do not count in the mean. With label smoothing e, the target distribution puts
    1 - e on the class and e / C on every class.
    """
    x, t, out_shape = _classes_last(logp, target)
    n_classes = x.shape[1]
    valid = t != ignore_index
    safe = t.masked_fill(~valid, 0)
    try:  # the gather kernel checks the targets' range: no sync here
        picked = x.gather(1, safe.unsqueeze(1)).squeeze(1)
    except IndexValueError as e:
        raise OutOfRangeError(f"Target {e.index} is out of bounds.") from None
    w = weight[safe] if weight is not None else x._full(safe.shape, 1, x.dtype, x._buf.device)
    w = w * valid
    loss = -picked * w
    if label_smoothing > 0:
        per_class = x * weight if weight is not None else x
        smooth = -per_class.sum(1) * valid
        loss = (1 - label_smoothing) * loss + (label_smoothing / n_classes) * smooth
    if reduction == "mean":
        return loss.sum() / w.sum()
    if reduction == "none" and out_shape:
        return loss.reshape(out_shape)
    return _reduce(loss.reshape(()) if not out_shape else loss, reduction)
# --8<-- [end:nll_loss]


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over the class dim (1, or 0 for an unbatched input), then nll_loss; a float
    target of the input's shape is a probability distribution over classes instead."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise InvalidArgumentError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                                   f"{label_smoothing:g}")
    if (input.ndim == 2 and target.dtype is int64 and weight is None and label_smoothing == 0
            and reduction in ("mean", "sum", "none")):
        return _fused_cross_entropy(input, target, ignore_index, reduction)
    if input.ndim == 0:
        raise ShapeError("cross_entropy: input must have a class dim, (C,) or (N, C, ...), not "
                         "a 0-d tensor")
    logp = log_softmax(input, 1 if input.ndim > 1 else 0)
    if target.dtype.is_floating_point:
        x, t, out_shape = _classes_last(logp, target)
        n_classes = x.shape[1]
        if label_smoothing > 0:
            t = t * (1 - label_smoothing) + label_smoothing / n_classes
        per_class = x * weight if weight is not None else x
        loss = -(per_class * t).sum(1)
        if reduction == "none":
            return loss.reshape(out_shape) if out_shape else loss.reshape(())
        return loss.sum() / x.shape[0] if reduction == "mean" else loss.sum()
    if target.dtype is not int64:
        raise DTypeError(f"expected target dtype to be Long or Byte, but got "
                         f"{PT_NAMES[target.dtype.name]}")
    n_input, n_target = (input.shape[0] if input.ndim > 1 else 1,
                         target.shape[0] if target.ndim else 1)
    if n_input != n_target:
        raise TargetError(f"Expected input batch_size ({n_input}) to match target batch_size "
                          f"({n_target}).")
    return nll_loss(logp, target.long(), weight, ignore_index, reduction, label_smoothing)


def _fused_cross_entropy(input: Tensor, target: Tensor, ignore_index: int,
                         reduction: str) -> Tensor:
    """The common case, (N, C) logits and class indices: one graph node (function_fused.py)."""
    x, _ = input._softmax_input(1, None)
    if target.ndim != 1 or target.shape[0] != x.shape[0]:
        raise TargetError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                          f"({target.shape[0] if target.ndim else 1}).")
    if x.shape[1] == 0 and x.shape[0]:  # no class at all: every target is out of range
        raise OutOfRangeError(f"Target {int(target[0].item())} is out of bounds.")
    try:  # the gather kernel checks the targets' range: no sync here
        return CrossEntropy.apply(x, target, ignore_index, reduction)
    except IndexValueError as e:
        raise OutOfRangeError(f"Target {e.index} is out of bounds.") from None


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean") -> Tensor:
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean") -> Tensor:
    return _reduce((input - target).abs(), reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    _same_size(input, target, "Using a target size ({t}) that is different to the input size "
               "({i}) is deprecated. Please ensure they have the same size.")
    for name, t in (("input", input), ("target", target)):  # a log of p < 0 would be nan
        if t.numel() and not bool(((t >= 0) & (t <= 1)).all()):
            raise InvalidArgumentError(f"all elements of {name} should be between 0 and 1")
    # torch clamps the logs at -100 so that p = 0 or 1 gives a finite loss
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(
        min=-100))
    return _reduce(loss * weight if weight is not None else loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight=None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    _same_size(input, target, "Target size ({t}) must be the same as input size ({i})")
    # log(1 + exp(-|x|)) + max(x, 0) - x t, stable for any x; max(x, 0) as (x + |x|) / 2, so
    # that the gradient at x = 0 is sigmoid(0) - t = 1/2 - t, as torch's (clamp's would be 1 - t)
    loss = (input + input.abs()) / 2 - input * target + (-(input.abs())).exp().log1p()
    return _reduce(loss * weight if weight is not None else loss, reduction)


def _same_size(input: Tensor, target: Tensor, message: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        def size(t):
            return f"torch.Size([{', '.join(str(n) for n in t.shape)}])"
        raise TargetError(message.format(t=size(target), i=size(input)))


# *** 4. shapes: pad and one_hot ***


def pad(input: Tensor, pad: tuple[int, ...], mode: str = "constant", value=None) -> Tensor:
    """Pad (or crop, for negative amounts) the last len(pad) // 2 dims; `pad` lists
    (before, after) pairs starting from the LAST dim, as torch.nn.functional.pad."""
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ShapeError("Padding length must be divisible by 2 and at most twice the number "
                         "of dimensions of the input")
    pads = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        pads[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    x = input
    for d, (lo, hi) in enumerate(pads):  # negative pads crop first
        if lo < 0 or hi < 0:
            x = x.narrow(d, -min(lo, 0), x.shape[d] + min(lo, 0) + min(hi, 0))
    pads = [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
    if mode == "constant":
        return movement.ConstantPad.apply(x, tuple(pads), 0 if value is None else value)
    for d, (lo, hi) in enumerate(pads):  # the other modes are a gather of source positions
        if lo or hi:
            n = x.shape[d]
            i = np.arange(-lo, n + hi)
            if mode == "replicate":
                i = np.clip(i, 0, n - 1)
            elif mode == "reflect":
                if lo >= n or hi >= n:
                    raise ShapeError(f"Padding size should be less than the corresponding input "
                                     f"dimension, but got: padding ({lo}, {hi}) at dimension "
                                     f"{d} of input {list(x.shape)}")
                period = 2 * (n - 1)
                i = np.abs((i + period) % period if period else i * 0)
                i = np.where(i >= n, period - i, i)
            elif mode == "circular":
                i = i % n
            else:
                raise ArgumentError(f"unsupported padding mode {mode!r}")
            x = x.index_select(d, x._from_numpy(i.astype(np.int64), x._buf.device))
    return x


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    if tensor.dtype is not int64:
        raise ShapeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() and int(tensor.min()) < 0:
        raise IndexValueError("Class values must be non-negative.")
    n = int(tensor.max()) + 1 if num_classes == -1 else num_classes
    if tensor.numel() and int(tensor.max()) >= n:  # == n would give a row of zeros
        raise IndexValueError("Class values must be smaller than num_classes.")
    classes = tensor._from_numpy(np.arange(n, dtype=np.int64), tensor._buf.device)
    return (tensor.unsqueeze(-1) == classes).long()
