"""Convolution and pooling as a strided view plus a matmul (im2col without the copy loop).

A 2-D convolution slides a KH x KW window over the padded input. With strides, every window
position is already addressable: `unfold` turns (B,C,H,W) into a view (B,C,OH,OW,KH,KW) whose
extra dims step through the window, copying nothing. Convolution is then one matmul of those
windows with the weights, pooling a max or mean over the window dims, and conv_transpose2d a
convolution of the zero-stuffed input with the flipped kernel. Autograd handles every backward.
Letters legend: B batch, C in-channels, O out-channels, G groups, H/W input size,
OH/OW output size, KH/KW kernel size.
"""

import math

from ch2_lego.autograd import Function
from ch2_lego.creation import arange, ones, zeros
from ch2_lego.errors import ShapeError
from ch2_lego.functional import pad
from ch2_lego.nn.errors import WindowArgumentError
from ch2_lego.tensor import Tensor
from ch2_lego.tensor_movement import cat, stack

# *** 1. arguments: ints or pairs, as PyTorch accepts them ***


def _pair(value, name: str = "argument") -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    value = tuple(value)
    if len(value) != 2:
        raise WindowArgumentError(
            f"expected {name} to be a single integer value or a list of 2 values"
        )
    return value


def _single(value) -> int:
    """An int, or the one element of a 1-tuple (Conv1d stores its arguments as 1-tuples)."""
    return value[0] if isinstance(value, tuple | list) else value


def _check_window_args(sh: int, sw: int, ph: int, pw: int, dh: int, dw: int) -> None:
    """Reject what would give an empty or undefined window view, in PyTorch's words."""
    if sh <= 0 or sw <= 0:
        raise WindowArgumentError("non-positive stride is not supported")
    if ph < 0 or pw < 0:
        raise WindowArgumentError("negative padding is not supported")
    if dh <= 0 or dw <= 0:
        raise WindowArgumentError(f"dilation should be greater than zero, but got [{dh}, {dw}]")


def _batched(input: Tensor, spatial: int, name: str) -> tuple[Tensor, bool]:
    """Accept an unbatched input, as PyTorch does: (C,*spatial) becomes (1,C,*spatial).

    Returns the batched input and whether a batch dim was added (to be squeezed off again).
    """
    if input.dim() == spatial + 2:
        return input, False
    if input.dim() == spatial + 1:
        return input.unsqueeze(0), True
    raise ShapeError(
        f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {name}, but "
        f"got input of size: {list(input.shape)}"
    )


def _pad2d(x: Tensor, ph: int, pw: int, value: float = 0.0) -> Tensor:
    """Pad the last two dims of x by ph rows and pw columns on each side."""
    if ph == 0 and pw == 0:
        return x
    return pad(x, (pw, pw, ph, ph), value=value)


# *** 2. the strided window view ***


# --8<-- [start:unfold_view]
class Unfold(Function):
    """x.unfold(dim, size, step): every window of `size` along dim, as a new last dim; a view.

    Shapes: dim of length L -> N = (L - size) // step + 1 windows, plus a trailing dim of size.
    Window i starts at element i*step, so dim's stride is multiplied by step, and the new dim
    walks the window with dim's old stride: two numbers, and no element is copied.
    """

    def forward(ctx, x, dim, size, step):
        ctx.in_shape, ctx.dim, ctx.size, ctx.step = x.shape, dim, size, step
        v = x.view
        # EXERCISE 2.24: the window view's shape and strides (step along dim, 1 inside a window)
        n = (v.shape[dim] - size) // step + 1
        shape = v.shape[:dim] + (n,) + v.shape[dim + 1 :] + (size,)
        strides = v.strides[:dim] + (v.strides[dim] * step,) + v.strides[dim + 1 :]
        return x.as_strided(shape, strides + (v.strides[dim],), v.offset)
        # END EXERCISE

    def backward(ctx, g):
        """Fold: add every window's gradient back to the elements it was read from.

        Window i, element k came from position i*step + k; overlapping windows add up.
        """
        dim, size, step = ctx.dim, ctx.size, ctx.step
        n = g.shape[dim]
        order = [*range(dim + 1), g.dim() - 1, *range(dim + 1, g.dim() - 1)]
        rows = g.permute(order)  # (..., N, size, ...): each window next to its dim
        rows = rows.reshape(*rows.shape[:dim], n * size, *rows.shape[dim + 2 :])
        where = (arange(n, device=g.device).unsqueeze(1) * step
                 + arange(size, device=g.device)).reshape(-1)
        dx = zeros(*ctx.in_shape, dtype=g.dtype, device=g.device).index_add(dim, where, rows)
        return dx, None, None, None
# --8<-- [end:unfold_view]


# --8<-- [start:windows]
def windows(x: Tensor, kernel, stride=1, padding=0, dilation=1, pad_value=0.0) -> Tensor:
    """Every KH x KW window of the padded input, as a view: nothing is copied after the pad.

    Shapes: x (B,C,H,W) -> (B,C,OH,OW,KH,KW).
    Unfold (Tensor.unfold in PyTorch) appends a dim of `size` that walks `dim` with the old
    stride and advances `dim` itself by `step` elements. A dilated kernel spans d(k-1)+1
    elements; the [::d] slices then keep every d-th of them:
    out[b,c,i,j,u,v] = x[b, c, i*sh + u*dh, j*sw + v*dw].
    """
    (kh, kw), (sh, sw) = _pair(kernel, "kernel_size"), _pair(stride, "stride")
    (ph, pw), (dh, dw) = _pair(padding, "padding"), _pair(dilation, "dilation")
    _check_window_args(sh, sw, ph, pw, dh, dw)
    x = _pad2d(x, ph, pw, pad_value)
    if x.shape[2] < dh * (kh - 1) + 1 or x.shape[3] < dw * (kw - 1) + 1:
        raise ShapeError(
            f"Calculated padded input size per channel: ({x.shape[2]} x {x.shape[3]}). "
            f"Kernel size: ({dh * (kh - 1) + 1} x {dw * (kw - 1) + 1}). "
            "Kernel size can't be greater than actual input size"
        )
    x = Unfold.apply(x, 2, dh * (kh - 1) + 1, sh)  # (B,C,OH,W,span_h)
    x = Unfold.apply(x, 3, dw * (kw - 1) + 1, sw)  # (B,C,OH,OW,span_h,span_w)
    return x[:, :, :, :, ::dh, ::dw]  # (B,C,OH,OW,KH,KW)
# --8<-- [end:windows]


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """torch.nn.functional.unfold (im2col): the windows as columns, now a real copy.

    Shapes: input (B,C,H,W) -> (B, C*KH*KW, OH*OW).
    """
    b, c = input.shape[:2]
    cols = windows(input, kernel_size, stride, padding, dilation)
    oh, ow, kh, kw = cols.shape[2:]
    return cols.permute(0, 1, 4, 5, 2, 3).reshape(b, c * kh * kw, oh * ow)


# *** 3. convolution ***


# --8<-- [start:conv2d]
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation (what deep learning calls convolution), as one batched matmul.

    Shapes: input (B,C,H,W), weight (O, C/G, KH, KW), bias (O,) -> (B,O,OH,OW); an unbatched
    (C,H,W) input gives (O,OH,OW).
    out[b,o,i,j] = bias[o] + sum_{c,u,v} input[b, g*C/G + c, i*sh + u*dh, j*sw + v*dw]
    * weight[o,c,u,v], with g = o // (O/G): each group of O/G filters sees only its C/G channels.
    """
    input, unbatched = _batched(input, 2, "conv2d")
    if weight.dim() != 4:
        raise ShapeError(
            f"conv2d: expected a 4D weight (out_channels, in_channels/groups, kH, kW), but got "
            f"weight of size {list(weight.shape)}"
        )
    b, c, _, _ = input.shape
    o, c_per_group, kh, kw = weight.shape
    if kh <= 0 or kw <= 0:  # a sum over no taps would be silently 0
        raise ShapeError(f"kernel size should be greater than zero, but got kernel_height: {kh} "
                         f"kernel_width: {kw}")
    if c != c_per_group * groups or o % groups != 0:
        raise ShapeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {c_per_group * groups} channels, but got {c} "
            "channels instead"
        )
    padding = _same_padding(weight, dilation) if padding == "same" else padding
    padding = 0 if padding == "valid" else padding
    cols = windows(input, (kh, kw), stride, padding, dilation)  # (B,C,OH,OW,KH,KW), a view
    oh, ow = cols.shape[2], cols.shape[3]
    # Group the channels, then bring (C/G,KH,KW) last: this reshape is where im2col copies.
    cols = cols.reshape(b, groups, c_per_group, oh, ow, kh, kw)
    cols = cols.permute(0, 1, 3, 4, 2, 5, 6).reshape(b, groups, oh * ow, c_per_group * kh * kw)
    w = weight.reshape(groups, o // groups, c_per_group * kh * kw)
    out = cols @ w.transpose(-2, -1)  # (B,G,OH*OW,O/G): one matmul per batch and group
    out = out.permute(0, 1, 3, 2).reshape(b, o, oh, ow)
    out = out if bias is None else out + bias.reshape(1, o, 1, 1)
    return out.squeeze(0) if unbatched else out
# --8<-- [end:conv2d]


def _same_padding(weight: Tensor, dilation) -> tuple[int, int]:
    """Padding that keeps the size at stride 1; only odd effective kernels are supported."""
    pads = []
    for k, d in zip(weight.shape[2:], _pair(dilation)):
        total = d * (k - 1)
        if total % 2:
            raise NotImplementedError("padding='same' with an even kernel span is not supported")
        pads.append(total // 2)
    return tuple(pads)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution as a 2-D one over a height of 1.

    Shapes: input (B,C,L), weight (O,C/G,K), bias (O,) -> (B,O,OL); (C,L) gives (O,OL).
    """
    input, unbatched = _batched(input, 1, "conv1d")
    if weight.dim() != 3:
        raise ShapeError(
            f"conv1d: expected a 3D weight (out_channels, in_channels/groups, kL), but got "
            f"weight of size {list(weight.shape)}"
        )
    stride, dilation = _single(stride), _single(dilation)
    if padding == "same":
        padding = _same_padding(weight.unsqueeze(2), (1, dilation))[1]
    padding = 0 if padding == "valid" else _single(padding)
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, stride), (0, padding),
                 (1, dilation), groups)
    out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


# --8<-- [start:conv_transpose2d]
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """The adjoint of conv2d (its input gradient), written as a conv2d of a stretched input.

    Shapes: input (B,C,H,W), weight (C, O/G, KH, KW), bias (O,) -> (B,O,OH,OW), with
    OH = (H-1)*sh - 2*ph + dh*(KH-1) + output_padding + 1.
    Insert s-1 zeros between input pixels, pad by d(k-1)-p on each side (plus output_padding
    at the end), and convolve with stride 1 using the kernel flipped in space and with its
    in/out channels swapped per group.
    """
    (sh, sw), (ph, pw) = _pair(stride, "stride"), _pair(padding, "padding")
    (dh, dw), (oph, opw) = _pair(dilation, "dilation"), _pair(output_padding, "output_padding")
    input, unbatched = _batched(input, 2, "conv_transpose2d")
    if weight.dim() != 4 or input.shape[1] != weight.shape[0]:
        raise ShapeError(
            f"conv_transpose2d: expected weight (in_channels={input.shape[1]}, "
            f"out_channels/groups, kH, kW), but got weight of size {list(weight.shape)}"
        )
    c, o_per_group, kh, kw = weight.shape
    x = _stretch(_stretch(input, sh, dim=2), sw, dim=3)
    x = _pad_or_crop(x, 2, dh * (kh - 1) - ph, dh * (kh - 1) - ph + oph)
    x = _pad_or_crop(x, 3, dw * (kw - 1) - pw, dw * (kw - 1) - pw + opw)
    w = weight.reshape(groups, c // groups, o_per_group, kh, kw).transpose(1, 2)
    w = w.reshape(groups * o_per_group, c // groups, kh, kw).flip((2, 3))
    out = conv2d(x, w, bias, 1, 0, (dh, dw), groups)
    return out.squeeze(0) if unbatched else out
# --8<-- [end:conv_transpose2d]


def _stretch(x: Tensor, s: int, dim: int) -> Tensor:
    """Insert s-1 zeros between neighbours along dim: size n becomes (n-1)*s + 1."""
    if s == 1:
        return x
    n = x.shape[dim]
    x = x.unsqueeze(dim + 1)
    pad = zeros(*x.shape[: dim + 1], s - 1, *x.shape[dim + 2 :], dtype=x.dtype, device=x.device)
    x = cat([x, pad], dim=dim + 1)  # each element followed by s-1 zeros
    x = x.reshape(*x.shape[:dim], n * s, *x.shape[dim + 2 :])
    return x.narrow(dim, 0, (n - 1) * s + 1)


def _pad_or_crop(x: Tensor, dim: int, before: int, after: int) -> Tensor:
    """Pad any dim with zeros, or crop it where the amount is negative."""
    if before < 0:
        x, before = x.narrow(dim, -before, x.shape[dim] + before), 0
    if after < 0:
        x, after = x.narrow(dim, 0, x.shape[dim] + after), 0
    if before == 0 and after == 0:
        return x
    return pad(x, (0, 0) * (x.dim() - 1 - dim) + (before, after))


# *** 4. pooling ***


# --8<-- [start:pool2d]
def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """The maximum of each window; padding counts as -inf, so it never wins.

    Shapes: input (B,C,H,W) -> (B,C,OH,OW), or unbatched (C,H,W) -> (C,OH,OW).
    stride defaults to kernel_size.
    """
    if ceil_mode or return_indices:
        raise NotImplementedError("max_pool2d: ceil_mode and return_indices are not supported")
    kh, kw = _pair(kernel_size, "kernel_size")
    stride = _check_pool_args(padding, kh, kw, stride)
    input, unbatched = _batched(input, 2, "max_pool2d")
    cols = windows(input, (kh, kw), stride, padding, dilation, pad_value=float("-inf"))
    out = cols.flatten(-2).max(dim=-1).values
    return out.squeeze(0) if unbatched else out
# --8<-- [end:pool2d]


# --8<-- [start:avg_pool2d]
def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """The mean of each window (padding zeros included unless count_include_pad=False).

    Shapes: input (B,C,H,W) -> (B,C,OH,OW), or unbatched (C,H,W) -> (C,OH,OW).
    stride defaults to kernel_size.
    """
    if ceil_mode:
        raise NotImplementedError("avg_pool2d: ceil_mode is not supported")
    kh, kw = _pair(kernel_size, "kernel_size")
    stride = _check_pool_args(padding, kh, kw, stride)
    input, unbatched = _batched(input, 2, "avg_pool2d")
    sums = windows(input, (kh, kw), stride, padding).sum(dim=(-2, -1))
    if divisor_override is not None:
        out = sums / divisor_override
    elif count_include_pad or _pair(padding) == (0, 0):
        out = sums / (kh * kw)
    else:  # count the real pixels per window by pooling a map of ones through the same windows
        ones_ = ones(1, 1, *input.shape[2:], dtype=input.dtype, device=input.device)
        out = sums / windows(ones_, (kh, kw), stride, padding).sum(dim=(-2, -1))
    return out.squeeze(0) if unbatched else out
# --8<-- [end:avg_pool2d]


def _check_pool_args(padding, kh: int, kw: int, stride) -> tuple[int, int]:
    """Check pooling's padding and stride; returns the stride (kernel_size when not given)."""
    ph, pw = _pair(padding, "padding")
    if ph > kh // 2 or pw > kw // 2:
        raise WindowArgumentError(
            f"pad should be at most half of effective kernel size, but got pad={max(ph, pw)}, "
            f"kernel_size={max(kh, kw)}"
        )
    stride = (kh, kw) if stride is None or stride == [] else _pair(stride, "stride")
    if 0 in stride:
        raise WindowArgumentError("stride should not be zero")
    return stride


# *** 5. three dimensions: the same view and matmul, one more window dim ***


def _triple(value, name: str = "argument") -> tuple[int, int, int]:
    if isinstance(value, int):
        return value, value, value
    value = tuple(value)
    if len(value) != 3:
        raise WindowArgumentError(
            f"expected {name} to be a single integer value or a list of 3 values"
        )
    return value


# --8<-- [start:conv3d]
def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-D convolution (video, volumes): conv2d's window view with a depth dim in front.

    Shapes: input (B,C,D,H,W), weight (O, C/G, KD, KH, KW), bias (O,) -> (B,O,OD,OH,OW); an
    unbatched (C,D,H,W) input gives (O,OD,OH,OW).
    out[b,o,t,i,j] = bias[o] + sum_{c,s,u,v} input[b, g*C/G + c, t*sd + s*dd, i*sh + u*dh,
    j*sw + v*dw] * weight[o,c,s,u,v].
    """
    input, unbatched = _batched(input, 3, "conv3d")
    if weight.dim() != 5:
        raise ShapeError(
            f"conv3d: expected a 5D weight (out_channels, in_channels/groups, kD, kH, kW), but "
            f"got weight of size {list(weight.shape)}"
        )
    b, c = input.shape[:2]
    o, c_per_group, *kernel = weight.shape
    if c != c_per_group * groups or o % groups != 0:
        raise ShapeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {c_per_group * groups} channels, but got {c} "
            "channels instead"
        )
    strides, dilations = _triple(stride, "stride"), _triple(dilation, "dilation")
    if padding == "same":
        padding = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilations))
        if any(d * (k - 1) % 2 for k, d in zip(kernel, dilations)):
            raise NotImplementedError("padding='same' with an even kernel span is not supported")
    pads = _triple(0 if padding == "valid" else padding, "padding")
    _check_window_args(*strides[:2], *pads[:2], *dilations[:2])
    _check_window_args(strides[2], 1, pads[2], 0, dilations[2], 1)
    x = pad(input, (pads[2], pads[2], pads[1], pads[1], pads[0], pads[0])) if any(pads) \
        else input
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilations)]
    if any(n < span for n, span in zip(x.shape[2:], spans)):
        raise ShapeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, x.shape[2:]))}). "
            f"Kernel size: ({' x '.join(map(str, spans))}). Kernel size can't be greater than "
            "actual input size"
        )
    for dim, (span, s) in enumerate(zip(spans, strides), start=2):
        x = Unfold.apply(x, dim, span, s)  # each spatial dim -> (positions, ..., span)
    d0, d1, d2 = dilations
    cols = x[:, :, :, :, :, ::d0, ::d1, ::d2]  # (B,C,OD,OH,OW,KD,KH,KW), still a view
    od, oh, ow = cols.shape[2:5]
    k = c_per_group * math.prod(kernel)
    cols = cols.reshape(b, groups, c_per_group, od, oh, ow, *kernel)
    cols = cols.permute(0, 1, 3, 4, 5, 2, 6, 7, 8).reshape(b, groups, od * oh * ow, k)
    out = cols @ weight.reshape(groups, o // groups, k).transpose(-2, -1)  # (B,G,P,O/G)
    out = out.permute(0, 1, 3, 2).reshape(b, o, od, oh, ow)
    out = out if bias is None else out + bias.reshape(1, o, 1, 1, 1)
    return out.squeeze(0) if unbatched else out
# --8<-- [end:conv3d]


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """The adjoint of conv3d, as conv_transpose2d: a conv3d of the zero-stuffed, padded input
    with the kernel flipped in space and its channels swapped per group.

    Shapes: input (B,C,D,H,W), weight (C, O/G, KD, KH, KW), bias (O,) -> (B,O,OD,OH,OW), with
    OD = (D-1)*sd - 2*pd + dd*(KD-1) + output_padding + 1 (and so for H, W).
    """
    strides, pads = _triple(stride, "stride"), _triple(padding, "padding")
    dilations, extra = _triple(dilation, "dilation"), _triple(output_padding, "output_padding")
    input, unbatched = _batched(input, 3, "conv_transpose3d")
    if weight.dim() != 5 or input.shape[1] != weight.shape[0]:
        raise ShapeError(
            f"conv_transpose3d: expected weight (in_channels={input.shape[1]}, "
            f"out_channels/groups, kD, kH, kW), but got weight of size {list(weight.shape)}"
        )
    c, o_per_group, *kernel = weight.shape
    if any(e >= max(s, d) for e, s, d in zip(extra, strides, dilations)):
        raise ShapeError(f"output padding must be smaller than either stride or dilation, but "
                         f"got output_padding {list(extra)}, stride {list(strides)}, dilation "
                         f"{list(dilations)}")
    x = input
    for dim, (s, p, d, k, e) in enumerate(zip(strides, pads, dilations, kernel, extra), start=2):
        x = _stretch(x, s, dim)
        x = _pad_or_crop(x, dim, d * (k - 1) - p, d * (k - 1) - p + e)
    w = weight.reshape(groups, c // groups, o_per_group, *kernel).transpose(1, 2)
    w = w.reshape(groups * o_per_group, c // groups, *kernel).flip((2, 3, 4))
    out = conv3d(x, w, bias, 1, 0, dilations, groups)
    return out.squeeze(0) if unbatched else out


# *** 6. one-dimensional and adaptive pooling ***


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """max_pool2d over a height of 1. Shapes: (B,C,L) -> (B,C,OL), or (C,L) -> (C,OL)."""
    k = _single(kernel_size)
    s = k if stride is None or stride == [] else _single(stride)
    out = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _single(padding)),
                     (1, _single(dilation)), ceil_mode, return_indices)
    return out.squeeze(-2)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """avg_pool2d over a height of 1. Shapes: (B,C,L) -> (B,C,OL), or (C,L) -> (C,OL)."""
    k = _single(kernel_size)
    s = k if stride is None or stride == [] else _single(stride)
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _single(padding)), ceil_mode,
                     count_include_pad)
    return out.squeeze(-2)


def _adaptive(x: Tensor, dim: int, size: int, reduce) -> Tensor:
    """Pool dim down to `size` cells: cell i covers [floor(i n / size), ceil((i + 1) n / size)),
    torch's split; equal cells (n divisible by size) are one reshape."""
    n = x.shape[dim]
    if size <= 0:
        raise ShapeError(f"adaptive pooling: output size must be positive, but got {size}")
    if n % size == 0:
        shape = list(x.shape[:dim]) + [size, n // size] + list(x.shape[dim + 1:])
        return reduce(x.reshape(shape), dim + 1)
    cells = [reduce(x.narrow(dim, i * n // size, -(-(i + 1) * n // size) - i * n // size), dim)
             for i in range(size)]
    return stack(cells, dim)


def _adaptive_pool(input: Tensor, output_size, spatial: int, reduce, name: str) -> Tensor:
    sizes = (output_size,) * spatial if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != spatial:
        raise ShapeError(f"{name}: output_size must be {spatial} ints, got {output_size}")
    if input.dim() not in (spatial + 1, spatial + 2):
        raise ShapeError(f"{name}(): Expected {spatial + 1}D or {spatial + 2}D tensor, but got "
                         f"{list(input.shape)}")
    out = input
    for k, size in enumerate(sizes):
        dim = input.dim() - spatial + k
        out = out if size is None else _adaptive(out, dim, size, reduce)
    return out


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """The mean of each of `output_size` near-equal cells. Shapes: (B,C,L) -> (B,C,OL)."""
    return _adaptive_pool(input, output_size, 1, lambda x, d: x.mean(d), "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """The mean of each cell of an OH x OW grid over the input; output_size 1 is global
    average pooling. Shapes: (B,C,H,W) -> (B,C,OH,OW)."""
    return _adaptive_pool(input, output_size, 2, lambda x, d: x.mean(d), "adaptive_avg_pool2d")


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False) -> Tensor:
    if return_indices:
        raise NotImplementedError("adaptive_max_pool2d: return_indices is not supported")
    return _adaptive_pool(input, output_size, 2, lambda x, d: x.amax(d), "adaptive_max_pool2d")
