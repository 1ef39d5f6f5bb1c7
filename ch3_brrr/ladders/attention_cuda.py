"""Flash attention forward on CUDA (kernels/cuda/attention.cu): checks and timing.

Shapes: q, k, v (B, H, T, D) bf16 -> o (B, H, T, D) bf16, lse (B, H, T) fp32. The float64
reference is computed from the bf16 inputs themselves, so the bound covers only what the kernel
rounds: scores in fp32 (D * eps * scale * |q||k|), P rounded to bf16 before P @ V (2^-8 of
sum p |v|), and the bf16 output (2^-8 |o|). Timed against torch's scaled_dot_product_attention
at B=8, H=16, T=2048 (FLOPs: 4 B H T^2 D, half of it when causal).
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from ch3_brrr.ladders.common import Row, ceil_div, validate
from ch3_brrr.ladders.common_cuda import (
    empty,
    from_bf16,
    kernel_source,
    poison,
    time_gpu,
    to_bf16,
    upload,
)

EPS32 = float(np.finfo(np.float32).eps)


def smem_bytes(D: int) -> int:
    """sizeof(AttnSmem<D>): q (64 x D) and two buffers each of k and v (64 x D), in bf16."""
    return 5 * 64 * D * 2


def flash_attention(dev, D: int):
    prog = dev.build(f"flash_attention_d{D}", kernel_source("attention"))

    def run(q, k, v, o, lse, B, H, T, causal):
        prog(q.buf, k.buf, v.buf, o.buf, lse.buf, global_size=(ceil_div(T, 64), B * H),
             local_size=(128,), vals=(T, 1.0 / math.sqrt(D), int(causal)), shared=smem_bytes(D))
    return run


def attention_ref(q, k, v, causal):
    """float64 attention of one (T, D) head; returns o, lse, and o's error bound."""
    T, D = q.shape
    scale = 1 / math.sqrt(D)
    s = (q @ k.T) * scale
    if causal:
        s = np.where(np.tril(np.ones((T, T), bool)), s, -np.inf)
    m = s.max(axis=1, keepdims=True)
    p = np.exp(s - m)
    l = p.sum(axis=1, keepdims=True)
    o = p @ v / l
    lse = (m + np.log(l))[:, 0]
    score_err = D * EPS32 * scale * np.abs(q).max() * np.abs(k).max() * 2
    spread = (p @ np.abs(v)) / l
    bound = 2.0**-8 * np.abs(o) + (2.0**-7 + 2 * score_err) * spread
    return o, lse, bound, score_err + T * EPS32


def check(dev, rng: np.random.Generator, log=print) -> int:
    passed = 0
    for B, H, T in ((1, 2, 1), (1, 2, 17), (2, 3, 64), (1, 2, 100), (1, 1, 257)):
        for D in (64, 128):
            q, k, v = (to_bf16(rng.standard_normal((B, H, T, D), np.float32)) for _ in range(3))
            Q, K, V = upload(dev, q), upload(dev, k), upload(dev, v)
            O, L = empty(dev, (B, H, T, D), np.uint16), empty(dev, (B, H, T))
            for causal in (False, True):
                flash_attention(dev, D)(Q, K, V, poison(O), poison(L), B, H, T, causal)
                o, lse = from_bf16(O.numpy()), L.numpy()
                for b in range(B):
                    for h in range(H):
                        args = (from_bf16(x[b, h]).astype(np.float64) for x in (q, k, v))
                        ro, rl, bound, lbound = attention_ref(*args, causal)
                        name = f"flash_attention D={D} causal={causal} at {(B, H, T)} head {(b, h)}"
                        validate(name, o[b, h], ro, bound)
                        validate(name + " lse", lse[b, h], rl, lbound)
                passed += 1
    log(f"attention: {passed} checks passed")
    return passed


def time_sdpa(torch, q, k, v, causal: bool) -> float:
    """torch's scaled_dot_product_attention at its best: the fastest of the backends that take
    these inputs (flash, cuDNN, memory-efficient) and of torch's own choice, each timed here.
    (torch's own choice alone, D=64, differed by half between two processes on one H100.)"""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    sdpa = partial(torch.nn.functional.scaled_dot_product_attention, is_causal=causal)
    best = time_gpu(sdpa, q, k, v)
    for backend in (SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION,
                    SDPBackend.EFFICIENT_ATTENTION):
        try:
            with sdpa_kernel(backend):
                best = min(best, time_gpu(sdpa, q, k, v))
        except RuntimeError:  # this backend does not take these inputs on this GPU
            continue
    return best


def time_attention(dev, rng: np.random.Generator, torch=None, B=8, H=16, T=2048) -> list[Row]:
    """Each (D, causal) against torch SDPA; the (0, 0) and last heads checked at this size too."""
    rows = []
    for D in (64, 128):
        q, k, v = (to_bf16(rng.standard_normal((B, H, T, D), np.float32)) for _ in range(3))
        Q, K, V = upload(dev, q), upload(dev, k), upload(dev, v)
        O, L = empty(dev, (B, H, T, D), np.uint16), empty(dev, (B, H, T))
        tq = tk = tv = None
        if torch is not None:
            tq, tk, tv = (torch.from_numpy(x.view(np.int16)).cuda().view(torch.bfloat16)
                          for x in (q, k, v))
        nbytes = 4.0 * B * H * T * D * 2
        for causal in (False, True):
            run = flash_attention(dev, D)
            run(Q, K, V, poison(O), poison(L), B, H, T, causal)
            o = from_bf16(O.numpy())
            for b, h in ((0, 0), (B - 1, H - 1)):
                args = (from_bf16(x[b, h]).astype(np.float64) for x in (q, k, v))
                ro, _, bound, _ = attention_ref(*args, causal)
                validate(f"flash_attention D={D} causal={causal} full size head {(b, h)}",
                         o[b, h], ro, bound)
            flops = 4.0 * B * H * T * T * D / (2 if causal else 1)
            base = float("nan")
            if torch is not None:
                base = time_sdpa(torch, tq, tk, tv, causal)
                rows.append(Row("cuda", f"torch_sdpa_d{D}{'_causal' if causal else ''}", T,
                                base, flops, nbytes, base))
            s = time_gpu(run, Q, K, V, O, L, B, H, T, causal)
            rows.append(Row("cuda", f"flash_attention_d{D}{'_causal' if causal else ''}", T, s,
                            flops, nbytes, base))
    return rows
