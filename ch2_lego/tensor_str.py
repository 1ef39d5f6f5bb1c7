"""How a tensor prints: `repr(t)` and `str(t)` as PyTorch prints them (torch/_tensor_str.py).

One formatter per tensor picks a style from all the values it will show: integers as `3`,
floats with a fixed 4 decimals, or, when the magnitudes span more than 1000x (or pass 1e8, or
fall under 1e-4), scientific notation; every element is padded to one width so columns line up.
Past `threshold` elements only the `edgeitems` first and last of each dim print, around `...`.
The suffixes name what the values cannot show: a non-default dtype, requires_grad, the grad_fn.
Works on host values (numpy), so printing runs no kernels and records no graph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class PrintOptions:
    precision: int = 4
    threshold: int = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None  # None: chosen from the values


PRINT_OPTS = PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """torch.set_printoptions; profile is "default", "short" or "full"."""
    if profile is not None:
        presets = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
                   "full": (4, math.inf, 3, 80)}
        if profile not in presets:
            raise ValueError(f"set_printoptions: unknown profile {profile!r} (expected "
                             "'default', 'short' or 'full')")
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = presets[profile]
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


# *** 1. the formatter: one style and width for every value shown ***


# --8<-- [start:formatter]
class Formatter:
    """Chooses int, fixed or scientific style, and a width, from the values to be shown."""

    def __init__(self, values: np.ndarray, floating: bool):
        self.floating, self.int_mode, self.sci_mode, self.width = floating, True, False, 1
        flat = values.reshape(-1)
        if not floating:
            self.width = max([1] + [len(str(v)) for v in flat.tolist()])
            return
        shown = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if shown.size == 0:  # only zeros, infs and nans: they print as `0.`, `inf`, `nan`
            return
        big, small = float(np.abs(shown).max()), float(np.abs(shown).min())
        self.int_mode = bool((shown == np.ceil(shown)).all())
        self.sci_mode = big / small > 1000.0 or big > 1.0e8 or small < 1.0e-4
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        if self.sci_mode:
            strings = [f"{v:.{p}e}" for v in shown.tolist()]
        elif self.int_mode:
            strings = [f"{v:.0f}." for v in shown.tolist()]  # the dot says "floating"
        else:
            strings = [f"{v:.{p}f}" for v in shown.tolist()]
        self.width = max(len(s) for s in strings)

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return text.rjust(self.width)
# --8<-- [end:formatter]


# *** 2. nesting: rows of a vector, then brackets and blank lines per dim ***


def _summarized(a: np.ndarray) -> np.ndarray:
    """The values a summarized print shows: the edge items of every dim."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * edge:
        a = np.concatenate([a[:edge], a[-edge:]])
    if a.ndim == 1:
        return a
    return np.stack([_summarized(row) for row in a])


def _vector_str(a: np.ndarray, indent: int, summarize: bool, fmt: Formatter) -> str:
    per_line = max(1, (PRINT_OPTS.linewidth - indent) // (fmt.width + 2))
    edge = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * edge:
        items = ([fmt.format(v) for v in a[:edge].tolist()] + [" ..."]
                 + [fmt.format(v) for v in a[-edge:].tolist()])
    else:
        items = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a: np.ndarray, indent: int, summarize: bool, fmt: Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    edge, n = PRINT_OPTS.edgeitems, a.shape[0]
    rows = range(n) if not (summarize and n > 2 * edge) else [*range(edge), None,
                                                              *range(n - edge, n)]
    parts = ["..." if i is None else _nested_str(a[i], indent + 1, summarize, fmt)
             for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def values_str(a: np.ndarray, floating: bool, indent: int) -> str:
    """The bracketed values of host array `a`, continuation lines indented by `indent`."""
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    fmt = Formatter(_summarized(a) if summarize else a, floating)
    return _nested_str(a, indent, summarize, fmt)


# *** 3. the whole repr: prefix, values, suffixes ***


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """`, suffix` on the same line while it fits the line width, else on a new one."""
    out, line_len = [text], len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            line_len += len(suffix) + 2
    return "".join(out) + ")"


def tensor_repr(t, default_dtypes: tuple, default_float) -> str:
    """repr(t) as torch's: `tensor([...], dtype=..., requires_grad=True)`."""
    prefix = "tensor("
    indent, suffixes = len(prefix), []
    if t._buf.device != "cpu":
        suffixes.append(f"device='{t.device}'")
    if t.numel() == 0:
        if t.ndim != 1:
            suffixes.append(f"size={tuple(t.shape)}")
        if t.dtype is not default_float:  # no values to tell an int tensor by
            suffixes.append(f"dtype={t.dtype}")
        body = "[]"
    else:
        if t.dtype not in default_dtypes:
            suffixes.append(f"dtype={t.dtype}")
        body = values_str(t._values(), t.dtype.is_floating_point, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
