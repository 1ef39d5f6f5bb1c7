"""nn.functional for ch2_lego: the stateless layer functions that the nn modules call.

Every function here is a composition of Tensor ops, so autograd differentiates it for free: no
layer writes a backward, except layer_norm, one fused Function for speed (function_fused.py).
The core's activations and losses (relu, gelu, softmax, cross_entropy, mse_loss, pad, ...) come
from ch2_lego/functional.py, convolution and pooling from nn/conv_ops.py; both are re-exported,
so this module has torch.nn.functional's names.
Letters legend: B batch, T (query) sequence length, S key length, C channels/features,
H heads, D head size, V vocabulary/embeddings.
"""

import math
import numbers

from ch2_lego.creation import zeros
from ch2_lego.dtype import PT_NAMES, bool_, finfo, float32, float64, int32, int64
from ch2_lego.errors import DTypeError, InvalidArgumentError, OutOfRangeError, ShapeError
from ch2_lego.function_fused import LayerNorm as LayerNormFn
from ch2_lego.function_fused import ScaledDotProductAttention, causal_bias
from ch2_lego.functional import (  # noqa: F401  (the core's activations and losses)
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    elu,
    gelu,
    half_in_float32,
    l1_loss,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mse_loss,
    nll_loss,
    one_hot,
    pad,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from ch2_lego.grad_mode import no_grad
from ch2_lego.nn.activation_ops import (  # noqa: F401  (more activations and distances)
    celu,
    cosine_similarity,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    mish,
    normalize,
    pairwise_distance,
    prelu,
    relu6,
    relu_,
    selu,
    softmin,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
)
from ch2_lego.nn.conv_ops import (  # noqa: F401  (convolution and pooling)
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv3d,
    conv_transpose2d,
    conv_transpose3d,
    max_pool1d,
    max_pool2d,
    unfold,
)
from ch2_lego.nn.errors import LayerArgumentError
from ch2_lego.nn.interpolate import interpolate  # noqa: F401 (re-exported)
from ch2_lego.nn.loss_ops import (  # noqa: F401  (more losses)
    huber_loss,
    kl_div,
    margin_ranking_loss,
    smooth_l1_loss,
)
from ch2_lego.rand import rand
from ch2_lego.storage import broadcast_shape
from ch2_lego.tensor import Tensor
from ch2_lego.tensor_math import where

# *** 1. linear layers ***


# --8<-- [start:linear]
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, applied to the last dimension of x.

    Shapes: input (*,C_in), weight (C_out,C_in), bias (C_out,) -> (*,C_out).
    W is stored (C_out, C_in), PyTorch's layout: row j holds the weights of output feature j.
    The leading dims are flattened first, as PyTorch's addmm path does: one 2-D matmul, whose
    weight gradient is then one matmul too, not a batch of them summed afterwards.
    """
    # EXERCISE 2.21: flatten to (N,C_in), multiply by the transposed weight, restore, add bias
    n = math.prod(input.shape[:-1])  # not -1: with C_in = 0 it could be anything
    out = input.reshape(n, input.shape[-1]) @ weight.T  # (N,C_out)
    out = out.reshape(*input.shape[:-1], weight.shape[0])
    return out if bias is None else out + bias
    # END EXERCISE
# --8<-- [end:linear]


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Row lookup: out[..., :] = weight[input[...], :]; the backward scatters rows back.

    Shapes: input (*) int64, weight (V,C) -> (*,C). The row padding_idx gets no gradient (and
    nn.Embedding starts it at zero).
    """
    if input.dtype not in (int64, int32):
        raise DTypeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.dtype} instead"
        )
    if weight.ndim != 2:
        raise ShapeError("'weight' must be 2-D")
    flat = input.reshape(-1)
    # Unlike x[i], a lookup takes no negative rows: send them past the end, where the kernel's
    # range check (no sync: the values stay on the device) refuses them with the rest
    flat = flat.masked_fill(flat < 0, weight.shape[0])
    try:
        rows = weight.index_select(0, flat)  # (N,C), N = number of indices
    except OutOfRangeError:
        raise OutOfRangeError("index out of range in self") from None
    if padding_idx is not None and rows.requires_grad:
        # the padding row is read as it is but never trained: its lookups pass no gradient
        pad = padding_idx + weight.shape[0] if padding_idx < 0 else padding_idx
        rows = where((flat != pad).unsqueeze(1), rows, rows.detach())
    return rows.reshape(*input.shape, weight.shape[1])


# *** 2. normalization ***


# --8<-- [start:layer_norm]
@half_in_float32
def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the last len(normalized_shape) dims to mean 0 and variance 1, then scale.

    Shapes: input (*, *normalized_shape), weight and bias normalized_shape -> same as input.
    y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance (divide by n).
    """
    normalized_shape = _check_normalized_shape(input, normalized_shape)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise ShapeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                             f"{name} of shape {list(t.shape)} and normalized_shape = "
                             f"{list(normalized_shape)}")
        if t is not None and {t.dtype, input.dtype} == {float32, float64}:  # torch refuses it
            raise DTypeError(f"expected scalar type {PT_NAMES[input.dtype.name]} but found "
                             f"{PT_NAMES[t.dtype.name]}")
    # One fused graph node, as PyTorch's native_layer_norm: the chain of a dozen Tensor ops
    # would cost a dozen nodes, buffers and dispatches each way (ch2_lego/function_fused.py).
    return LayerNormFn.apply(input, weight, bias, len(normalized_shape), eps)
# --8<-- [end:layer_norm]


@half_in_float32
def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """y = x / sqrt(mean(x^2) + eps) * weight: LayerNorm without centring (Zhang and Sennrich).

    Shapes: as layer_norm. eps defaults to the machine epsilon of the dtype computed in (float32
    for the half types, as torch's).
    """
    if eps is None:  # of the dtype computed in: float32 for the half types, as torch's
        eps = finfo(input.dtype).eps
    normalized_shape = _check_normalized_shape(input, normalized_shape)
    dims = tuple(range(-len(normalized_shape), 0))
    out = input * ((input * input).mean(dim=dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


@half_in_float32
def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize each sample over groups of channels (Wu and He): the C channels split into
    num_groups groups, each group's C/G channels and all positions share one mean and variance.

    Shapes: input (N, C, *), weight and bias (C,) -> same as input. Biased variance.
    """
    if input.ndim < 2:
        raise ShapeError(f"Expected at least 2 dimensions for input tensor but received "
                         f"{input.ndim}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise ShapeError(f"Expected number of channels in input to be divisible by num_groups, "
                         f"but got input of shape {list(input.shape)} and num_groups={num_groups}")
    x = input.reshape(n, num_groups, -1)
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) * (x - mean)).mean(-1, keepdim=True)
    out = ((x - mean) / (var + eps).sqrt()).reshape(input.shape)
    per_channel = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    return out if bias is None else out + bias.reshape(per_channel)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel over the batch and spatial dims (training) or with running stats.

    Shapes: input (B,C,*), running stats, weight, bias (C,) -> same as input.
    In training the running stats move towards the batch's: r <- (1 - momentum) r + momentum s,
    with the unbiased variance, as PyTorch does; the output uses the biased one.
    """
    dims = (0, *range(2, len(input.shape)))
    stats_shape = (1, input.shape[1]) + (1,) * (len(input.shape) - 2)
    for name, stat in (("running_mean", running_mean), ("running_var", running_var),
                       ("weight", weight), ("bias", bias)):
        if stat is not None and stat.numel() != input.shape[1]:
            raise ShapeError(f"{name} should contain {input.shape[1]} elements not {stat.numel()}")
    if training:
        n = input.numel() // input.shape[1]
        if n <= 1:
            raise LayerArgumentError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{_size(input.shape)}"
            )
        mean = input.mean(dim=dims, keepdim=True)
        var = ((input - mean) * (input - mean)).mean(dim=dims, keepdim=True)
        if running_mean is not None:
            with no_grad():
                running_mean.mul_(1 - momentum).add_(momentum * mean.reshape(-1))
                running_var.mul_(1 - momentum).add_(momentum * var.reshape(-1) * (n / (n - 1)))
    else:
        mean, var = running_mean.reshape(stats_shape), running_var.reshape(stats_shape)
    out = (input - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(stats_shape)
    return out if bias is None else out + bias.reshape(stats_shape)


# *** 3. regularisation ***


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout).

    Scaling at training time keeps the expected activation unchanged, so eval is the identity.
    """
    return _dropout(input, p, training, inplace, input.shape)


def _dropout(input: Tensor, p: float, training: bool, inplace: bool, mask_shape) -> Tensor:
    """Dropout with one random draw per element of mask_shape, broadcast over the rest."""
    if not 0.0 <= p <= 1.0:
        raise LayerArgumentError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
    else:
        out = input * (rand(*mask_shape, device=input.device) >= p) / (1.0 - p)
    return input.copy_(out) if inplace else out


def _channel_dropout(name: str, spatial: int, input: Tensor, p: float, training: bool,
                     inplace: bool) -> Tensor:
    """Zero whole channels: input (N, C, *S) or (C, *S) with `spatial` dims S; each channel is
    kept or dropped as one (neighbouring pixels are correlated, so single ones carry little)."""
    if spatial == 1 and input.ndim not in (2, 3):  # torch only warns for 2d and 3d
        raise ShapeError(f"{name}: Expected {spatial + 1}D or {spatial + 2}D input, but received "
                         f"a {input.ndim}D input")
    return _dropout(input, p, training, inplace, (*input.shape[:-spatial], *(1,) * spatial))


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    return _channel_dropout("dropout1d", 1, input, p, training, inplace)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    return _channel_dropout("dropout2d", 2, input, p, training, inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    return _channel_dropout("dropout3d", 3, input, p, training, inplace)


# *** 4. attention ***


# --8<-- [start:sdpa]
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T / sqrt(D) + mask) V, over the last two dims; leading dims broadcast.

    Shapes: query (*,Hq,T,D), key (*,Hk,S,D), value (*,Hk,S,Dv), attn_mask broadcasting to
    (*,Hq,T,S) -> (*,Hq,T,Dv); Hk = Hq unless enable_gqa (then Hk divides Hq: grouped-query
    attention). A boolean mask keeps the True positions; a float mask is added to the scores.
    is_causal lets query i see keys 0..i only (top-left aligned, as in PyTorch). One graph
    node, forward and backward: see ScaledDotProductAttention in function_fused.py.
    """
    _check_attention_types(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    groups = _check_attention(query, key, value, attn_mask, dropout_p, is_causal, enable_gqa)
    T, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)  # numpy's too
    bias = None  # added to the scores: 0 where a key is seen, -inf where it is not
    if is_causal:
        bias = causal_bias(T, S, query.dtype, query._buf.device)  # built once, then reused
    elif attn_mask is not None and attn_mask.dtype == bool_:
        bias = zeros((), dtype=query.dtype, device=query.device).masked_fill(
            attn_mask.logical_not(), float("-inf"))
    elif attn_mask is not None:
        bias = attn_mask
    drop = None  # dropout of the weights: 0 or 1 / (1 - p), drawn as F.dropout draws
    if dropout_p > 0.0:
        lead = broadcast_shape(query.shape[:-2], key.shape[:-3] + (query.shape[-3],),
                               value.shape[:-3] + (query.shape[-3],))
        keep = rand(*lead, T, S, device=query.device) >= dropout_p
        drop = keep.to(query.dtype) * (1.0 / (1.0 - dropout_p) if dropout_p < 1.0 else 0.0)
    return ScaledDotProductAttention.apply(query, key, value, bias, drop, scale, groups)
# --8<-- [end:sdpa]


def _check_attention(query, key, value, attn_mask, dropout_p, is_causal,
                     enable_gqa) -> tuple[int, int]:
    """PyTorch's checks of scaled_dot_product_attention's arguments, in its words; returns the
    number of query heads per key head and per value head (1, 1 without grouped-query
    attention)."""
    if min(query.dim(), key.dim(), value.dim()) < 2:
        raise ShapeError(f"Expected query, key, and value to all be  at least 2 dimensional, "
                         f"but got query.dim: {query.dim()} key.dim: {key.dim()} and value.dim: "
                         f"{value.dim()} instead.")
    if not query.dtype == key.dtype == value.dtype:
        raise DTypeError(f"Expected query, key, and value to have the same dtype, but got "
                         f"query.dtype: {_c_name(query.dtype)} key.dtype: {_c_name(key.dtype)} "
                         f"and value.dtype: {_c_name(value.dtype)} instead.")
    if query.dtype not in (float32, float64) and not query.is_floating_point():
        found = {"int64": "Long", "int32": "Int", "bool": "Bool"}.get(query.dtype.name)
        raise DTypeError(f"expected scalar type Float but found {found or query.dtype.name}")
    if dropout_p > 1.0:
        raise InvalidArgumentError(
            f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if attn_mask is not None and is_causal:
        raise InvalidArgumentError("_scaled_dot_product_attention: Explicit attn_mask should not "
                                 "be set when is_causal=True")
    if attn_mask is not None and attn_mask.dtype not in (bool_, float32, query.dtype):
        raise DTypeError(f"Expected attn_mask dtype to be bool or float or to match query "
                         f"dtype, but got attn_mask.dtype: {_c_name(attn_mask.dtype)} and  "
                         f"query.dtype: {_c_name(query.dtype)} instead.")
    rows = math.prod(broadcast_shape(query.shape[:-2], key.shape[:-2], value.shape[:-2])
                     if not enable_gqa else query.shape[:-2])
    for name, got, want in (("batch2", key.shape[-1], query.shape[-1]),
                            ("batch2", value.shape[-2], key.shape[-2])):
        if got != want:  # PyTorch's words are those of the bmm it runs
            raise ShapeError(f"Expected size for first two dimensions of {name} tensor to be: "
                             f"[{rows}, {want}] but got: [{rows}, {got}].")
    groups = (1, 1)
    if enable_gqa and min(query.dim(), key.dim(), value.dim()) >= 3:
        hq = query.shape[-3]
        if hq % key.shape[-3] or hq % value.shape[-3]:
            raise ShapeError("Number of heads in key and value must divide the number of heads "
                             "in query")
        groups = (hq // key.shape[-3], hq // value.shape[-3])
    heads = (query.shape[-3],) if query.dim() >= 3 else ()
    lead = broadcast_shape(query.shape[:-2], key.shape[:-3] + heads if heads else key.shape[:-2],
                           value.shape[:-3] + heads if heads else value.shape[:-2])
    if attn_mask is not None:  # it broadcasts to the scores, not the scores to it
        scores = tuple(lead) + (query.shape[-2], key.shape[-2])
        both = tuple(broadcast_shape(scores, attn_mask.shape))
        if both != scores:
            raise ShapeError(f"output with shape {list(scores)} doesn't match the broadcast "
                             f"shape {list(both)}")
    return groups


def _check_attention_types(query, key, value, attn_mask, dropout_p, is_causal, scale,
                           enable_gqa) -> None:
    """PyTorch's TypeErrors for an argument of the wrong type, in its words."""
    def type_name(x) -> str:  # as Python's C API names it: list, numpy.bool
        t = type(x)
        return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"

    def wrong(name: str, want: str, got) -> TypeError:
        return TypeError(f"scaled_dot_product_attention(): argument '{name}' must be {want}, "
                         f"not {type_name(got)}")
    for position, (name, x) in enumerate((("query", query), ("key", key), ("value", value)), 1):
        if not isinstance(x, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' (position "
                            f"{position}) must be Tensor, not {type_name(x)}")
    if attn_mask is not None and not isinstance(attn_mask, Tensor):
        raise wrong("attn_mask", "Tensor", attn_mask)
    for name, x in (("dropout_p", dropout_p), ("scale", 0.0 if scale is None else scale)):
        if not isinstance(x, numbers.Real):
            raise wrong(name, "float", x)
    for name, flag in (("is_causal", is_causal), ("enable_gqa", enable_gqa)):
        if not isinstance(flag, bool):  # numpy's bool too is refused, as by PyTorch
            raise wrong(name, "bool", flag)


def _c_name(dtype) -> str:
    """The C type name PyTorch's attention errors use: float, double, long int, bool."""
    name = str(dtype).split(".")[-1]
    return {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
            "bool": "bool", "float16": "c10::Half", "bfloat16": "c10::BFloat16"}.get(name, name)


# *** helpers ***

def _check_normalized_shape(input: Tensor, normalized_shape) -> tuple[int, ...]:
    """normalized_shape as a tuple, checked to be the trailing dims of input."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.dim() - len(shape) :]) != shape:
        raise ShapeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}"
        )
    return shape


def _size(shape) -> str:
    return f"torch.Size([{', '.join(str(int(d)) for d in shape)}])"
