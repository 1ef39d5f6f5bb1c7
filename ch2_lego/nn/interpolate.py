"""F.interpolate and nn.Upsample: resizing the spatial dims of (N, C, *S) by nearest neighbour
or (bi/tri)linear interpolation.

Separable: each spatial dim is resized on its own, one after the other. An output index i reads
the source coordinate src(i); nearest takes floor(src), linear blends the two neighbours of src
by its fraction. Both are index_select and arithmetic, so autograd differentiates them.
Shapes: input (N, C, *S) with 1 to 3 spatial dims -> (N, C, *size).
"""

from __future__ import annotations

import math

import numpy as np

from ch2_lego.errors import ArgumentError, ShapeError
from ch2_lego.nn.module import Module
from ch2_lego.tensor import Tensor

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _sizes(input: Tensor, size, scale_factor) -> tuple[list[int], list[float | None]]:
    spatial = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ArgumentError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ArgumentError("either size or scale_factor should be defined")
    if size is not None:
        sizes = list(size) if isinstance(size, tuple | list) else [size] * spatial
        if len(sizes) != spatial:
            raise ArgumentError(f"Input and output must have the same number of spatial "
                                f"dimensions, but got input with spatial dimensions of "
                                f"{list(input.shape[2:])} and output size of {sizes}.")
        return [int(s) for s in sizes], [None] * spatial
    scales = list(scale_factor) if isinstance(scale_factor, tuple | list) \
        else [scale_factor] * spatial
    return [int(math.floor(n * s)) for n, s in zip(input.shape[2:], scales)], scales


def _source(n: int, m: int, scale: float | None, align_corners: bool, nearest: bool):
    """The source coordinate of each of the m outputs in an input of n (torch's rules: a
    given scale_factor sets the step 1/scale, else n/m)."""
    i = np.arange(m, dtype=np.float64)
    if align_corners:
        return i * ((n - 1) / (m - 1) if m > 1 else 0.0)
    step = 1 / scale if scale is not None else n / m
    return i * step if nearest else np.maximum((i + 0.5) * step - 0.5, 0.0)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor=None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims; modes "nearest", "linear", "bilinear", "trilinear"."""
    if input.ndim < 3 or input.ndim > 5:
        raise ShapeError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                         f"{input.ndim}D) for the modes: nearest | linear | bilinear | "
                         f"trilinear (got {mode})")
    if mode != "nearest" and mode not in _LINEAR:
        raise NotImplementedError(f"interpolate: mode={mode!r} is not supported in ch2_lego")
    if mode == "nearest" and align_corners is not None:
        raise ArgumentError("align_corners option can only be set with the interpolating "
                            "modes: linear | bilinear | bicubic | trilinear")
    if mode in _LINEAR and _LINEAR[mode] != input.ndim - 2:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{_LINEAR[mode] + 2}D input")
    sizes, scales = _sizes(input, size, scale_factor)
    if recompute_scale_factor:
        scales = [None] * len(scales)
    out = input
    for k, (m, scale) in enumerate(zip(sizes, scales)):
        d, n = 2 + k, input.shape[2 + k]
        src = _source(n, m, scale, bool(align_corners), mode == "nearest")
        if mode == "nearest":
            index = np.minimum(np.floor(src), n - 1).astype(np.int64)
            out = out.index_select(d, _on(out, index))
            continue
        low = np.minimum(np.floor(src), n - 1).astype(np.int64)
        high = np.minimum(low + 1, n - 1)
        shape = [1] * out.ndim
        shape[d] = m
        frac = _on(out, (src - low).reshape(shape)).to(out.dtype)
        out = out.index_select(d, _on(out, low)) * (1 - frac) + \
            out.index_select(d, _on(out, high)) * frac
    return out


def _on(like: Tensor, a: np.ndarray) -> Tensor:
    """A host array as a tensor on `like`'s device."""
    return like._from_numpy(np.ascontiguousarray(a), like._buf.device)


class Upsample(Module):
    """F.interpolate as a layer: Upsample(scale_factor=2, mode="nearest")."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor=None):
        super().__init__()
        self.size, self.mode, self.align_corners = size, mode, align_corners
        self.scale_factor = tuple(float(s) for s in scale_factor) if isinstance(
            scale_factor, tuple | list) else float(scale_factor) if scale_factor else None
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None \
            else f"size={self.size!r}"
        return f"{what}, mode={self.mode!r}"
