"""The CUDA row kernels: softmax (4 rungs), layernorm (2 rungs), fused cross-entropy.

Shapes: x (N, C) float32 rows. Each kernel is checked against float64 on rows that are not
multiples of the block or the float4 width, outputs poisoned first, and timed at 8192 x 8192
against PyTorch and a device-to-device copy (the floor: the same bytes read and written).
Bounds: an fp32 softmax output errs by about eps * (|x - m| + C + a few) relative (the rounding
of x - m, amplified by exp, and the length-C sum); layernorm's by about (C + a few) * eps times
the magnitudes it combines.
"""

from __future__ import annotations

import numpy as np

from ch3_brrr.ladders.common import Row, ceil_div, validate
from ch3_brrr.ladders.common_cuda import empty, kernel_source, poison, time_gpu, upload

EPS32 = float(np.finfo(np.float32).eps)
ROW_CAP = 256 * 8 * 4  # rows the register-cached rungs hold (256 threads x 8 float4)
SOFTMAX = {1: "softmax_v1_naive", 2: "softmax_v2_block", 3: "softmax_v3_online",
           4: "softmax_v4_registers"}
LAYERNORM = {1: "layernorm_v1_block", 2: "layernorm_v2_registers"}

# *** 1. launchers ***


def softmax(dev, rung: int):
    prog = dev.build(SOFTMAX[rung], kernel_source("softmax"))

    def run(x, y, N, C):
        if rung == 4 and C > ROW_CAP:  # the row does not fit the registers: rung 3
            return softmax(dev, 3)(x, y, N, C)
        grid, block = ((ceil_div(N, 128),), (128,)) if rung == 1 else ((N,), (256,))
        prog(x.buf, y.buf, global_size=grid, local_size=block, vals=(N, C))
    return run


def layernorm(dev, rung: int):
    prog = dev.build(LAYERNORM[rung], kernel_source("layernorm"))

    def run(x, w, b, y, mean, rstd, N, C, eps=1e-5):
        if rung == 2 and C > ROW_CAP:
            return layernorm(dev, 1)(x, w, b, y, mean, rstd, N, C, eps)
        prog(x.buf, w.buf, b.buf, y.buf, mean.buf, rstd.buf, global_size=(N,),
             local_size=(256,), vals=(N, C, float(eps)))
    return run


def cross_entropy(dev):
    prog = dev.build("cross_entropy_fused", kernel_source("cross_entropy"))

    def run(logits, targets, loss, dlogits, N, V, dloss, ignore_index=-100):
        prog(logits.buf, targets.buf, loss.buf, dlogits.buf if dlogits is not None else 0,
             global_size=(N,), local_size=(256,),
             vals=(N, V, float(dloss), np.int64(ignore_index)))
    return run


# *** 2. float64 references and checks ***

SHAPES = [(1, 1), (7, 33), (64, 1000), (33, 8192), (17, 4099), (5, 8195), (3, 20000)]


def softmax_ref(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """softmax in float64, and the error bound of an fp32 computation of it."""
    x64 = x.astype(np.float64)
    m = x64.max(axis=1, keepdims=True)
    e = np.exp(x64 - m)
    y = e / e.sum(axis=1, keepdims=True)
    return y, y * EPS32 * (np.abs(x64 - m) + x.shape[1] + 8)


def layernorm_ref(x, w, b, eps=1e-5):
    x64 = x.astype(np.float64)
    mu = x64.mean(axis=1, keepdims=True)
    r = 1 / np.sqrt(((x64 - mu) ** 2).mean(axis=1, keepdims=True) + eps)
    y = (x64 - mu) * r * w + b
    bound = (x.shape[1] + 8) * EPS32 * ((np.abs(x64) + np.abs(mu)) * r * np.abs(w) + np.abs(b))
    return y, mu[:, 0], r[:, 0], bound


def check(dev, rng: np.random.Generator, log=print) -> int:
    passed = 0
    for N, C in SHAPES:
        x = (3 * rng.standard_normal((N, C))).astype(np.float32)
        X, Y = upload(dev, x), empty(dev, (N, C))
        ref, bound = softmax_ref(x)
        for rung in SOFTMAX:
            softmax(dev, rung)(X, poison(Y), N, C)
            validate(f"{SOFTMAX[rung]} at {(N, C)}", Y.numpy(), ref, bound)
            passed += 1
        w, b = rng.standard_normal(C).astype(np.float32), rng.standard_normal(C).astype(np.float32)
        W, Bb, M, R = upload(dev, w), upload(dev, b), empty(dev, (N,)), empty(dev, (N,))
        y, mu, r, bound = layernorm_ref(x, w, b)
        for rung in LAYERNORM:
            layernorm(dev, rung)(X, W, Bb, poison(Y), poison(M), poison(R), N, C)
            validate(f"{LAYERNORM[rung]} y at {(N, C)}", Y.numpy(), y, bound)
            validate(f"{LAYERNORM[rung]} mean", M.numpy(), mu, (C + 8) * EPS32 * np.abs(x).mean(1))
            validate(f"{LAYERNORM[rung]} rstd", R.numpy(), r, (C + 8) * EPS32 * r)
            passed += 1
        passed += check_cross_entropy(dev, x, rng)
    log(f"rows: {passed} checks passed")
    return passed


def check_cross_entropy(dev, x: np.ndarray, rng: np.random.Generator) -> int:
    N, V = x.shape
    t = rng.integers(0, V, N).astype(np.int64)
    t[::3] = -100  # every third row ignored, as PyTorch's ignore_index
    kept = t != -100
    dloss = 1.0 / max(int(kept.sum()), 1)  # mean over the rows not ignored
    p, pbound = softmax_ref(x)
    rows = np.arange(N)
    tt = np.where(kept, t, 0)
    loss = np.where(kept, -np.log(p[rows, tt]), 0.0)
    grad = (p - (np.arange(V) == tt[:, None])) * dloss * kept[:, None]
    X, T = upload(dev, x), upload(dev, t)
    L, G = empty(dev, (N,)), empty(dev, (N, V))
    cross_entropy(dev)(X, T, poison(L), poison(G), N, V, dloss)
    x64 = x.astype(np.float64)
    lbound = (V + 8) * EPS32 * (np.abs(x64).max(axis=1) + np.abs(loss) + 1)
    validate(f"cross_entropy loss at {(N, V)}", L.numpy(), loss, lbound)
    # p * dloss - dloss at the target rounds once more: eps * |grad| on top of p's own error
    gbound = pbound * dloss + 2 * EPS32 * np.abs(grad) + 1e-12
    validate(f"cross_entropy dlogits at {(N, V)}", G.numpy(), grad, gbound)
    return 1


# *** 3. timing at 8192 x 8192 ***


def time_rows(dev, rng: np.random.Generator, torch=None, n: int = 8192) -> list[Row]:
    """GB/s of every rung against torch.softmax / layer_norm / cross_entropy and a copy."""
    x = rng.standard_normal((n, n), np.float32)
    X, Y = upload(dev, x), empty(dev, (n, n))
    nbytes = 2.0 * n * n * 4  # read x, write y
    rows, base = [], {}
    if torch is not None:
        tx = torch.from_numpy(x).cuda()
        ty = torch.empty_like(tx)
        tw, tb = torch.ones(n, device="cuda"), torch.zeros(n, device="cuda")
        tt = torch.randint(0, n, (n,), device="cuda")
        tl = tx.clone().requires_grad_()
        base["copy"] = time_gpu(ty.copy_, tx)
        base["softmax"] = time_gpu(torch.softmax, tx, 1)
        base["layernorm"] = time_gpu(torch.nn.functional.layer_norm, tx, (n,), tw, tb)

        def torch_ce():
            loss = torch.nn.functional.cross_entropy(tl, tt)
            return torch.autograd.grad(loss, tl)
        base["cross_entropy"] = time_gpu(torch_ce)
        for name, s in base.items():
            rows.append(Row("cuda", f"torch_{name}", n, s, 0.0, nbytes, s))
    for rung in SOFTMAX:
        run = softmax(dev, rung)
        rows.append(Row("cuda", SOFTMAX[rung], n, time_gpu(run, X, Y, n, n),
                        0.0, nbytes, base.get("softmax", float("nan"))))
    W, Bb = upload(dev, np.ones(n, np.float32)), upload(dev, np.zeros(n, np.float32))
    M, R = empty(dev, (n,)), empty(dev, (n,))
    for rung in LAYERNORM:
        run = layernorm(dev, rung)
        rows.append(Row("cuda", LAYERNORM[rung], n,
                        time_gpu(run, X, W, Bb, Y, M, R, n, n), 0.0, nbytes,
                        base.get("layernorm", float("nan"))))
    T = upload(dev, rng.integers(0, n, n).astype(np.int64))
    L = empty(dev, (n,))
    ce = cross_entropy(dev)
    rows.append(Row("cuda", "cross_entropy_fused", n,
                    time_gpu(ce, X, T, L, Y, n, n, 1.0 / n), 0.0, nbytes,
                    base.get("cross_entropy", float("nan"))))
    return rows
