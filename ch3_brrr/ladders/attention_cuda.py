"""Flash attention forward on CUDA: checks and timing of its two rungs.

  flash_attention        kernels/cuda/attention.cu: mma.sync through tile.cuh, 64 queries a block.
  flash_attention_wgmma  kernels/cuda/attention_hopper.cu: a TMA producer warpgroup and two wgmma
                         consumer warpgroups, 128 queries a block (Hopper, sm_90a, only).

Shapes: q, k, v (B, H, T, D) bf16 -> o (B, H, T, D) bf16, lse (B, H, T) fp32. The float64
reference is computed from the bf16 inputs themselves, so the bound covers only what the kernel
rounds: scores in fp32 (D * eps * scale * |q||k|), P rounded to bf16 before P @ V (2^-8 of
sum p |v|), and the bf16 output (2^-8 |o|). The wgmma rung's exponentials (ex2.approx, relative
error about 2^-22) fit in the same bound. Timed against torch's scaled_dot_product_attention
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
    tensor_map_2d,
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


def wgmma_smem_bytes(D: int, stages: int = 2) -> int:
    """attention_hopper.cu's AH_SHARED(D): alignment slack, q (128 rows) and the stages (k and
    v, 128 rows each) in rows of 128 bytes, D / 64 of them side by side, 2 x stages + 1 barriers."""
    return 1024 + D // 64 * 128 * (128 + 2 * stages * 128) + (2 * stages + 1) * 8


# --8<-- [start:attention_maps]
def flash_attention_wgmma(dev, D: int, stages: int = 2):
    """The Hopper rung. q, k and v go in as tensor maps over the (B*H*T, D) matrix of all heads
    (boxes of 128 rows x 64 columns), made once per triple of buffers and kept; `stages` is the
    depth of the K/V ring."""
    defines = None if stages == 2 else {"AH_STAGES": stages}
    prog = dev.build(f"flash_attention_wgmma_d{D}", kernel_source("attention_hopper", defines))
    maps: dict = {}

    def run(q, k, v, o, lse, B, H, T, causal):
        key = (int(q.buf), int(k.buf), int(v.buf), B * H * T)
        if key not in maps:
            three = [tensor_map_2d(int(x.buf), B * H * T, D, np.uint16, 128, 64) for x in (q, k, v)]
            maps[key] = upload(dev, np.concatenate(three))  # each map 64-byte aligned
        prog(maps[key].buf, o.buf, lse.buf, global_size=(ceil_div(T, 128), B * H),
             local_size=(384,), vals=(T, 1.0 / math.sqrt(D), int(causal)),
             shared=wgmma_smem_bytes(D, stages))
    return run
# --8<-- [end:attention_maps]


def rungs(dev) -> dict:
    """name -> builder(dev, D) of the rungs this GPU runs: wgmma needs compute capability 9.0."""
    out = {"flash_attention": flash_attention}
    if tuple(dev.gpu.compute_capability()) == (9, 0):
        out["flash_attention_wgmma"] = flash_attention_wgmma
    return out


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
    """Every rung, D = 64 and 128, causal and not, on shapes off every tile: T = 1, T less than
    a block, T past a block of 64 or 128, and several heads, whose rows the wgmma rung's boxes
    read across (B*H*T rows in one matrix)."""
    passed = 0
    for B, H, T in ((1, 2, 1), (1, 2, 17), (2, 3, 64), (1, 2, 100), (1, 1, 257), (2, 2, 200)):
        for D in (64, 128):
            q, k, v = (to_bf16(rng.standard_normal((B, H, T, D), np.float32)) for _ in range(3))
            Q, K, V = upload(dev, q), upload(dev, k), upload(dev, v)
            O, L = empty(dev, (B, H, T, D), np.uint16), empty(dev, (B, H, T))
            for causal in (False, True):
                refs = [[attention_ref(*(from_bf16(x[b, h]).astype(np.float64) for x in (q, k, v)),
                                       causal) for h in range(H)] for b in range(B)]
                for rung, build in rungs(dev).items():
                    build(dev, D)(Q, K, V, poison(O), poison(L), B, H, T, causal)
                    o, lse = from_bf16(O.numpy()), L.numpy()
                    for b in range(B):
                        for h in range(H):
                            ro, rl, bound, lbound = refs[b][h]
                            name = f"{rung} D={D} causal={causal} at {(B, H, T)} head {(b, h)}"
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
            refs = {(b, h): attention_ref(*(from_bf16(x[b, h]).astype(np.float64)
                                            for x in (q, k, v)), causal)
                    for b, h in ((0, 0), (B - 1, H - 1))}
            flops = 4.0 * B * H * T * T * D / (2 if causal else 1)
            base = float("nan")
            suffix = f"d{D}{'_causal' if causal else ''}"
            if torch is not None:
                base = time_sdpa(torch, tq, tk, tv, causal)
                rows.append(Row("cuda", f"torch_sdpa_{suffix}", T, base, flops, nbytes, base))
            for rung, build in rungs(dev).items():
                run = build(dev, D)
                run(Q, K, V, poison(O), poison(L), B, H, T, causal)
                o = from_bf16(O.numpy())
                for (b, h), (ro, _, bound, _) in refs.items():
                    validate(f"{rung} D={D} causal={causal} full size head {(b, h)}",
                             o[b, h], ro, bound)
                s = time_gpu(run, Q, K, V, O, L, B, H, T, causal)
                rows.append(Row("cuda", f"{rung}_{suffix}", T, s, flops, nbytes, base))
    return rows


def time_stages(dev, rng: np.random.Generator, stages=(2, 3), B=8, H=16, T=2048) -> dict:
    """The wgmma rung with K/V rings of each depth in `stages`, non-causal, checked on head
    (0, 0) against float64 first: {"d64_stages2": seconds, ...} (bench/RESULTS.md's experiment)."""
    out = {}
    for D in (64, 128):
        q, k, v = (to_bf16(rng.standard_normal((B, H, T, D), np.float32)) for _ in range(3))
        Q, K, V = upload(dev, q), upload(dev, k), upload(dev, v)
        O, L = empty(dev, (B, H, T, D), np.uint16), empty(dev, (B, H, T))
        ro, _, bound, _ = attention_ref(*(from_bf16(x[0, 0]).astype(np.float64)
                                          for x in (q, k, v)), False)
        for n in stages:
            run = flash_attention_wgmma(dev, D, n)
            run(Q, K, V, poison(O), poison(L), B, H, T, False)
            validate(f"flash_attention_wgmma D={D} stages={n}", from_bf16(O.numpy())[0, 0], ro,
                     bound)
            out[f"d{D}_stages{n}"] = time_gpu(run, Q, K, V, O, L, B, H, T, False)
    return out
