"""torch.* functions composed of Tensor ops: stacking (hstack, vstack, ...), grids (meshgrid),
einsum, diag, searching (searchsorted, bucketize, isin, unique) and histograms.

Each takes tensors and returns tensors, as torch's do. The searching and counting ones work on
the host (numpy), with no gradient, as in torch.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ch2_lego.autograd import TensorBase
from ch2_lego.dtype import (
    PT_NAMES,
    bool_,
    float32,
    float64,
    int64,
)
from ch2_lego.errors import DTypeError, InvalidArgumentError, ShapeError, UnsupportedOpError

# In annotations only: Tensor (tensor.py) is built from these mixins and TensorBase.
Tensor = TensorBase


def exp2(x) -> Tensor:
    return x.exp2()


def argwhere(input) -> Tensor:
    return input.nonzero()


def diag(input, diagonal: int = 0) -> Tensor:
    """A vector -> the square matrix with it on the diagonal; a matrix -> its diagonal."""
    if input.ndim == 2:
        return input.diagonal(diagonal)
    if input.ndim != 1:
        raise ShapeError("diag(): Supports 1D or 2D tensors. Got " f"{input.ndim}D")
    n = input.shape[0] + abs(diagonal)
    out = input._zeros((n, n), input.dtype, input._buf.device)
    rows = input._iota(input.shape[0], input._buf.device) + max(-diagonal, 0)
    return out.index_put((rows, rows + diagonal), input)


def searchsorted(sorted_sequence, input, *, right: bool = False, side=None, out_int32=False,
                 sorter=None) -> Tensor:
    """Where each value would go into the sorted last dim to keep it sorted (numpy's rule)."""
    side = side or ("right" if right else "left")
    seq = sorted_sequence.detach()._values()
    values = input.detach()._values() if isinstance(input, TensorBase) else np.asarray(input)
    if seq.ndim == 1:
        found = np.searchsorted(seq, values, side=side)
    else:
        found = np.stack([np.searchsorted(s, v, side=side) for s, v in
                          zip(seq.reshape(-1, seq.shape[-1]),
                              values.reshape(-1, values.shape[-1]))]).reshape(values.shape)
    dtype = "int32" if out_int32 else "int64"
    return sorted_sequence._from_numpy(np.asarray(found, dtype=dtype),
                                       sorted_sequence._buf.device)


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value among 1-D boundaries: searchsorted with the roles swapped."""
    return searchsorted(boundaries, input, right=right, out_int32=out_int32)


def unique(input, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):
    """The distinct values, sorted (computed on the host; no gradient, as torch's)."""
    if dim is not None:
        raise NotImplementedError("unique(dim=...) is not supported")
    values, inverse, counts = np.unique(input.detach()._values(), return_inverse=True,
                                        return_counts=True)
    dev = input._buf.device
    out = [input._from_host(values, input.dtype, dev)]
    if return_inverse:
        out.append(input._from_numpy(inverse.reshape(input.shape).astype(np.int64), dev))
    if return_counts:
        out.append(input._from_numpy(counts.astype(np.int64), dev))
    return out[0] if len(out) == 1 else tuple(out)


def isin(elements, test_elements, *, invert: bool = False) -> Tensor:
    test = test_elements._values() if isinstance(test_elements, TensorBase) else \
        np.asarray(test_elements)
    hit = np.isin(elements.detach()._values(), test, invert=invert)
    return elements._from_numpy(hit, elements._buf.device)


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. einsum("bij,bjk->bik", a, b): every operand laid out over all
    the equation's letters (size-1 dims where it lacks one), multiplied with broadcasting, and
    summed over the letters the output drops. Shapes: per the equation; `...` is not supported.
    Memory: the broadcast product has every letter's dim (a matmul would not).
    """
    operands = operands[0] if len(operands) == 1 and isinstance(operands[0], list | tuple) \
        else operands
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if "." in equation or len(terms) != len(operands):
        raise InvalidArgumentError(f"einsum(): the equation {equation!r} must name one term per "
                                   f"operand ({len(operands)} given), without '...'")
    if not arrow:  # implicit output: the letters seen once, in alphabetical order
        output = "".join(sorted(c for c in set(inputs) - {","} if inputs.count(c) == 1))
    for c in output:
        if c not in inputs:
            raise InvalidArgumentError(f"einsum(): output subscript {c} does not appear in the "
                                       "equation for any input operand")
        if output.count(c) > 1:
            raise InvalidArgumentError(f"einsum(): output subscript {c} appears more than once "
                                       "in the output")
    letters = sorted(set(inputs) - {","})
    product = None
    for term, x in zip(terms, operands):
        if len(term) != x.ndim:
            raise InvalidArgumentError(f"einsum(): the number of subscripts in the equation "
                                       f"({len(term)}) does not match the number of dimensions "
                                       f"({x.ndim}) for operand {terms.index(term)}")
        if len(set(term)) != len(term):  # a repeated letter is a diagonal: x[i, i]
            raise InvalidArgumentError("einsum(): repeated subscripts in one term are not "
                                       "supported")
        order = sorted(range(len(term)), key=lambda d: letters.index(term[d]))
        shape = [x.shape[term.index(c)] if c in term else 1 for c in letters]
        x = x.permute(order).reshape(shape)
        product = x if product is None else product * x
    summed = tuple(d for d, c in enumerate(letters) if c not in output)
    out = product.sum(summed) if summed else product
    kept = [c for c in letters if c in output]
    return out.permute([kept.index(c) for c in output]) if kept else out


def hstack(tensors) -> Tensor:
    from ch2_lego.tensor_movement import cat
    tensors = [t if t.ndim else t.reshape(1) for t in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    from ch2_lego.tensor_movement import cat
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


def dstack(tensors) -> Tensor:
    from ch2_lego.tensor_movement import cat
    shaped = [t.reshape(1, -1, 1) if t.ndim < 2 else t.unsqueeze(-1) if t.ndim == 2 else t
              for t in tensors]
    return cat(shaped, 2)


def column_stack(tensors) -> Tensor:
    from ch2_lego.tensor_movement import cat
    return cat([t.reshape(-1, 1) if t.ndim < 2 else t for t in tensors], 1)


def meshgrid(*tensors, indexing: str = "ij"):
    tensors = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], list | tuple) \
        else tensors
    if indexing not in ("ij", "xy"):
        raise InvalidArgumentError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", "
                                   f"but received: {indexing}")
    ts = list(tensors)
    if indexing == "xy" and len(ts) >= 2:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    grids = [t.reshape([-1 if i == k else 1 for i in range(len(ts))]).expand(shape)
             for k, t in enumerate(ts)]
    if indexing == "xy" and len(ts) >= 2:  # the first two inputs swapped, and so their grids
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def _check_float(name: str, x) -> None:
    if not x.dtype.is_floating_point:
        raise UnsupportedOpError(f"torch.{name}: input tensor and bins tensors should have the "
                                 f"same dtype, but got input {PT_NAMES[x.dtype.name].lower()}")


histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """(hist, bin_edges): counts of input in equal bins over range (default: min..max), or in
    the given edges; the last bin includes its right edge, as torch's and numpy's."""
    _check_float("histogram", input)
    values = input.detach()._values().reshape(-1).astype(np.float64)
    w = None if weight is None else weight.detach()._values().reshape(-1)
    if isinstance(bins, TensorBase):
        edges = bins.detach()._values().astype(np.float64)
    else:
        if int(bins) <= 0:
            raise InvalidArgumentError(f"torch.histogram(): bins must be > 0, but got {bins}")
        lo, hi = range if range is not None else (
            (float(values.min()), float(values.max())) if values.size else (0.0, 0.0))
        if lo > hi:
            raise InvalidArgumentError(f"torch.histogram(): min should not exceed max, but got "
                                       f"min {lo} max {hi}")
        if lo == hi:  # torch widens an empty range by one on each side
            lo, hi = lo - 1, hi + 1
        edges = np.linspace(lo, hi, int(bins) + 1)
    edges = edges.astype(input.dtype.np if input.dtype.itemsize > 2 else np.float32)
    hist, _ = np.histogram(values, edges.astype(np.float64), weights=w, density=density)
    dev = input._buf.device
    return histogram_result(input._from_host(hist, input.dtype, dev),
                            input._from_host(edges, input.dtype, dev))


def histc(input, bins: int = 100, min=0, max=0) -> Tensor:
    """Counts in `bins` equal bins over [min, max] (both 0: the data's range); values outside
    are ignored."""
    _check_float("histc", input)
    values = input.detach()._values().reshape(-1).astype(np.float64)
    lo, hi = float(min), float(max)
    if lo == hi and values.size:
        lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise InvalidArgumentError(f"torch.histc: max must be larger than min, but got min {lo} "
                                   f"max {hi}")
    inside = values[(values >= lo) & (values <= hi)]
    # the bin of v is floor((v - lo) * bins / (hi - lo)), the top edge in the last bin
    index = np.minimum(((inside - lo) * bins / (hi - lo)).astype(np.int64), bins - 1)
    counts = np.bincount(index, minlength=bins).astype(np.float64)
    return input._from_host(counts, input.dtype, input._buf.device)


def bincount(input, weights=None, minlength: int = 0) -> Tensor:
    if input.ndim != 1 or input.dtype.is_floating_point or input.dtype is bool_:
        raise DTypeError("bincount only supports 1-d non-negative integral inputs.")
    values = input.detach()._values()
    if values.size and values.min() < 0:
        raise InvalidArgumentError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else weights.detach()._values()
    counts = np.bincount(values, w, minlength)
    dtype = int64 if weights is None else weights.dtype if weights.dtype in (float32, float64) \
        else float64  # torch counts integer (and half) weights in double
    return input._from_host(counts, dtype, input._buf.device)


def std_mean(input, dim=None, *, correction=1, keepdim: bool = False):
    """(std, mean) over dim, as torch.std_mean."""
    return (input.std(dim, keepdim=keepdim, correction=correction),
            input.mean(dim, keepdim=keepdim) if dim is not None else input.mean())


def var_mean(input, dim=None, *, correction=1, keepdim: bool = False):
    """(var, mean) over dim, as torch.var_mean."""
    return (input.var(dim, keepdim=keepdim, correction=correction),
            input.mean(dim, keepdim=keepdim) if dim is not None else input.mean())


def _atleast(ndim: int, tensors):
    one = len(tensors) == 1 and not isinstance(tensors[0], list | tuple)
    items = tensors[0] if len(tensors) == 1 and not one else tensors
    out = []
    for t in items:
        if t.ndim < ndim:  # torch: 0-d -> (1,), (n,) -> (1, n), 2-d -> (r, c, 1)
            shape = {0: (1,) * ndim, 1: (1, t.numel()) + (1,) * (ndim - 2),
                     2: (*t.shape, 1)}[t.ndim]
            t = t.reshape(shape)
        out.append(t)
    return out[0] if one else tuple(out)


def atleast_1d(*tensors):
    return _atleast(1, tensors)


def atleast_2d(*tensors):
    return _atleast(2, tensors)


def atleast_3d(*tensors):
    return _atleast(3, tensors)
