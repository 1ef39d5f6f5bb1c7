"""Fused WGSL row kernels against the same ops composed from ch2's primitives on "wgpu".

    python -m ch3_brrr.ladders.rows_wgsl [--rows 2048] [--cols 256] [--rounds 5]

softmax, layer norm and cross-entropy over rows of a (R, C) float32 matrix, three ways, timed
interleaved in one run: the fused kernel (kernels/wgsl/softmax.wgsl etc.: one launch, the row
read a few times from one workgroup); chapter 2's Tensor op on device "wgpu" with the device's
kernels for ch2's FUSED ops taken out of its table, so that ch2 runs their decompositions (the
baseline: one launch per primitive, each reading and writing the whole matrix); numpy on the
CPU. Every fused result is checked against float64 first. The gap is what chapter 4's fusion
is for.
"""

from __future__ import annotations

import argparse

import numpy as np

import ch2_lego as lego
import ch3_brrr.device_wgpu  # noqa: F401  (registers "wgpu" with ch2)
from ch2_lego import backend
from ch3_brrr import kernels_wgpu as K
from ch3_brrr.ladders.common import Row, format_table, make_random, time_interleaved
from ch3_brrr.runtime import get_device


def view(a: np.ndarray, dtype: str = "float32") -> K.WGPUView:
    """A contiguous host array as a fresh device view."""
    wgsl = K.WGSL_TYPE[dtype]
    return K.WGPUView(K.upload(a.reshape(-1), wgsl), a.shape,
                      tuple(s // a.itemsize for s in a.strides), 0, dtype)


def empty(shape) -> K.WGPUView:
    strides = tuple(int(np.prod(shape[d + 1:])) for d in range(len(shape)))
    return K.WGPUView(K.alloc(int(np.prod(shape)), "f32"), tuple(shape), strides, 0, "float32")


def check(x, w, b, target) -> None:
    """The fused kernels against float64, loosely: a sanity check before timing (the tests,
    tests/ch3_brrr/test_wgsl_kernels.py, hold the bounds derived from the error analysis)."""
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(1, keepdims=True))
    out = empty(x.shape)
    K.softmax(out, view(x))
    got = K.download(out.data).reshape(x.shape)
    assert np.all(np.abs(got - e / e.sum(1, keepdims=True)) <= 1e-5 * (e / e.sum(1, keepdims=True))
                  + 1e-37), "fused softmax"
    K.layernorm(out, view(x), view(w), view(b), 1e-5)
    ref = (x64 - x64.mean(1, keepdims=True)) / np.sqrt(x64.var(1, keepdims=True) + 1e-5) * w + b
    assert np.all(np.abs(K.download(out.data).reshape(x.shape) - ref) <= 1e-4 * (np.abs(ref) + 1))
    loss = empty((x.shape[0],))
    K.cross_entropy(loss, view(x), view(target, "int64"))
    lse = np.log(e.sum(1)) + x64.max(1)
    ref = lse - x64[np.arange(len(target)), target]
    assert np.all(np.abs(K.download(loss.data) - ref) <= 1e-5 * (np.abs(lse) + 1)), "fused CE"


def decomposed(fn):
    """fn, run with the FUSED kernels of "wgpu" out of its table: ch2's composition of
    primitives, not the row kernels the device registers for softmax and cross-entropy."""
    kernels = backend.DEVICES["wgpu"].kernels

    def run():
        held = {op: kernels.pop(op) for op in backend.FUSED if op in kernels}
        try:
            return fn()
        finally:
            kernels.update(held)
    return run


def run(rows: int = 2048, cols: int = 256, rounds: int = 5, seed: int = 0) -> list[Row]:
    """Time each op three ways, interleaved; rows: per op fused, composed (the baseline), numpy."""
    rng = np.random.default_rng(seed)
    x = make_random((rows, cols), rng)
    w, b = make_random((cols,), rng), make_random((cols,), rng)
    target = rng.integers(0, cols, rows).astype(np.int64)
    check(x, w, b, target.astype(np.int32))
    dev = get_device("wgpu")
    xv, wv, bv, tv = view(x), view(w), view(b), view(target.astype(np.int32), "int64")
    out, loss = empty(x.shape), empty((rows,))
    xt, wt, bt, tt = (lego.tensor(a).to("wgpu") for a in (x, w, b, target))
    F = lego.nn.functional

    def synced(fn):
        return lambda: (fn(), dev.synchronize())

    def softmax_np():
        e = np.exp(x - x.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    def layernorm_np():
        mean = x.mean(1, keepdims=True)
        return (x - mean) / np.sqrt(x.var(1, keepdims=True) + 1e-5) * w + b

    def cross_entropy_np():
        m = x.max(1)
        return m + np.log(np.exp(x - m[:, None]).sum(1)) - x[np.arange(rows), target]

    ops = {  # name: (fused WGSL kernel, ch2's ops on "wgpu", numpy)
        "softmax": (lambda: K.softmax(out, xv), lambda: xt.softmax(-1), softmax_np),
        "layernorm": (lambda: K.layernorm(out, xv, wv, bv, 1e-5),
                      lambda: F.layer_norm(xt, (cols,), wt, bt), layernorm_np),
        "cross_entropy": (lambda: K.cross_entropy(loss, xv, tv),
                          lambda: F.cross_entropy(xt, tt, reduction="none"), cross_entropy_np),
    }
    contenders = {}
    for name, (fused, composed, host) in ops.items():
        contenders[f"{name}_fused"] = synced(fused)
        contenders[f"{name}_ch2_ops"] = synced(decomposed(composed))
        contenders[f"{name}_numpy"] = host
    best = time_interleaved(contenders, rounds)
    n = rows * cols
    return [Row("wgsl-rows", f"{name}_{how}", rows, best[f"{name}_{how}"], 5.0 * n, 8.0 * n,
                best[f"{name}_ch2_ops"])
            for name in ops for how in ("fused", "ch2_ops", "numpy")]


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(prog="rows_wgsl", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2048)
    parser.add_argument("--cols", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    rows = run(args.rows, args.cols, args.rounds)
    print(f"fused row kernels on {get_device('wgpu').adapter.summary}, {args.rows}x{args.cols} "
          "float32; baseline: the same op from ch2's primitives on 'wgpu' (size = rows)")
    print(format_table(rows))
    return rows


if __name__ == "__main__":
    main()
