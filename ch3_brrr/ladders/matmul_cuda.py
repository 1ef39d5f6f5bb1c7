"""The CUDA matmul ladders: SGEMM rungs 1-8 (kernels/cuda/matmul.cu) and the tensor-core GEMMs
(kernels/cuda/matmul_tc.cu, and the Hopper TMA rungs of kernels/cuda/matmul_hopper.cu), each
checked against a float64 reference, then timed against cuBLAS.

Shapes: SGEMM C (M,N) = A (M,K) @ B (K,N); tensor-core GEMMs C = A @ B^T with B (N,K).
`check(dev)` runs every rung on shapes that are not multiples of any tile, outputs poisoned with
NaN first; `autotune(dev, n)` picks rung 8's tile shape by timing candidates; `main(argv)` prints
the ladder at 4096^3 (fp32, cuBLAS without TF32) and the tensor-core rungs (tf32 at 4096^3, bf16
at 8192^3) with % of cuBLAS measured in the same run.
"""

from __future__ import annotations

import argparse

import numpy as np

from ch3_brrr.ladders.common import Row, ceil_div, format_table, matmul_bound, validate
from ch3_brrr.ladders.common_cuda import (
    empty,
    from_bf16,
    kernel_source,
    poison,
    prebuild,
    tensor_map_2d,
    time_gpu,
    to_bf16,
    upload,
)

# *** 1. the rungs and their launch geometry ***

RUNGS = {1: "matmul_v1_naive", 2: "matmul_v2_coalesced", 3: "matmul_v3_smem_tiled",
         4: "matmul_v4_1d_blocktile", 5: "matmul_v5_2d_blocktile", 6: "matmul_v6_vectorized",
         7: "matmul_v7_warptiled", 8: "matmul_v8_autotuned"}
DEFAULT_TILE = dict(WARPS_M=2, WARPS_N=4, LANES_M=8, TM_SUB=2, TN_SUB=2, BK=16, MIN_BLOCKS=1)
# Rung 8's candidates: block tiles from 128x64 to 256x128, thread tiles 8x8 to 16x8, two lane
# layouts, K steps 8 and 16.
CANDIDATES = [dict(DEFAULT_TILE, **c) for c in (
    {}, {"MIN_BLOCKS": 2}, {"BK": 8}, {"BK": 8, "MIN_BLOCKS": 2},
    {"WARPS_M": 4, "WARPS_N": 2, "LANES_M": 4}, {"WARPS_M": 4, "WARPS_N": 2, "LANES_M": 4, "BK": 8},
    {"WARPS_M": 2, "WARPS_N": 2, "TN_SUB": 4}, {"WARPS_M": 2, "WARPS_N": 2, "TN_SUB": 4, "BK": 8},
    {"WARPS_M": 4, "WARPS_N": 2}, {"WARPS_M": 4, "WARPS_N": 2, "BK": 8},
    {"WARPS_M": 2, "WARPS_N": 2}, {"WARPS_M": 2, "WARPS_N": 2, "MIN_BLOCKS": 3},
    {"TN_SUB": 4, "BK": 8}, {"WARPS_M": 4, "WARPS_N": 2, "TN_SUB": 4, "BK": 8},
    {"TM_SUB": 4, "BK": 8})]


def tile_shape(t: dict) -> tuple[int, int, int]:
    """(BM, BN, threads) of a warp-tiled configuration, as matmul.cu's macros compute them."""
    wm, wn = t["LANES_M"] * 4 * t["TM_SUB"], (32 // t["LANES_M"]) * 4 * t["TN_SUB"]
    return wm * t["WARPS_M"], wn * t["WARPS_N"], 32 * t["WARPS_M"] * t["WARPS_N"]


def tile_ok(t: dict) -> bool:
    """Whole float4 loads per thread, and double-buffered tiles within 48 KB of shared memory."""
    bm, bn, nt = tile_shape(t)
    loads_ok = (bm * t["BK"] // 4) % nt == 0 and (bn * t["BK"] // 4) % nt == 0
    return loads_ok and bm * t["BK"] >= 4 * nt and 2 * t["BK"] * (bm + 4 + bn) * 4 <= 48 * 1024


def sgemm_geometry(rung: int, M: int, N: int, tile: dict) -> tuple[tuple, tuple]:
    """(grid, block) of an SGEMM rung."""
    if rung == 1:
        return (ceil_div(M, 32), ceil_div(N, 32)), (32, 32)
    if rung in (2, 3):
        return (ceil_div(N, 32), ceil_div(M, 32)), (32, 32)
    if rung == 4:
        return (ceil_div(N, 64), ceil_div(M, 64)), (512,)
    if rung in (5, 6):
        return (ceil_div(N, 128), ceil_div(M, 128)), (256,)
    bm, bn, nt = tile_shape(tile)
    return (ceil_div(N, bn), ceil_div(M, bm)), (nt,)


def sgemm(dev, rung: int, tile: dict | None = None):
    """A function (A, B, C, M, N, K) -> None launching rung `rung` on GpuArrays."""
    tile = tile if rung == 8 and tile else DEFAULT_TILE  # only rung 8 takes another tile
    src = kernel_source("matmul", tile if rung == 8 else None)
    prog = dev.build(RUNGS[rung], src)

    def run(A, B, C, M, N, K):
        grid, block = sgemm_geometry(rung, M, N, tile)
        prog(A.buf, B.buf, C.buf, global_size=grid, local_size=block, vals=(M, N, K))
    return run


def hopper_shared(stages: int = 4) -> int:
    """matmul_hopper.cu's HP_SHARED: alignment slack, the stages (A 128 and B 256 rows of 128
    bytes each), 2 x stages + 1 mbarriers."""
    return 1024 + stages * (128 + 256) * 128 + (2 * stages + 1) * 8


HOPPER_SHARED = hopper_shared()
TC = {"tf32_wmma": ("matmul_tf32_wmma", 64, 64, 128, 0),
      "tf32_wgmma_tma": ("matmul_tf32_wgmma_tma", 128, 256, 384, HOPPER_SHARED),
      "bf16_mma": ("matmul_bf16_mma", 128, 128, 128, 3 * (128 * 64 + 128 * 64) * 2),
      "bf16_wgmma": ("matmul_bf16_wgmma", 128, 256, 256, 4 * (128 * 64 + 256 * 64) * 2),
      "bf16_wgmma_tma": ("matmul_bf16_wgmma_tma", 128, 256, 384, HOPPER_SHARED)}
TC_FILE = {"tf32_wgmma_tma": "matmul_hopper", "bf16_wgmma_tma": "matmul_hopper"}


def tensor_core_gemm(dev, name: str, stages: int | None = None):
    """A function (A, B, C, M, N, K) -> None for a tensor-core rung; B is (N, K).

    The TMA rungs take A and B as tensor maps (boxes of bm or bn rows x 128 bytes) in device
    memory, made for each new pair of buffers and kept; `stages` overrides their pipeline depth."""
    kernel, bm, bn, threads, shared = TC[name]
    defines = None
    if stages is not None and name in TC_FILE:
        defines, shared = {"HP_STAGES": stages}, hopper_shared(stages)
    prog = dev.build(kernel, kernel_source(TC_FILE.get(name, "matmul_tc"), defines))
    grouped = name != "tf32_wmma"  # the others take a 1-D grid and order tiles themselves
    maps: dict = {}

    def operands(A, B, M, N, K):
        if name not in TC_FILE:
            return A.buf, B.buf
        key = (int(A.buf), int(B.buf), M, N, K)
        if key not in maps:
            box = 128 // A.dtype.itemsize  # one 128-byte swizzled row of K per box row
            both = np.concatenate([tensor_map_2d(int(A.buf), M, K, A.dtype, bm, box),
                                   tensor_map_2d(int(B.buf), N, K, B.dtype, bn, box)])
            maps[key] = upload(dev, both)  # 256-byte aligned: each map at a 64-byte boundary
        buf = int(maps[key].buf)
        return buf, buf + 128

    def run(A, B, C, M, N, K):
        tiles = (ceil_div(N, bn), ceil_div(M, bm))
        grid = (tiles[0] * tiles[1],) if grouped else tiles
        prog(*operands(A, B, M, N, K), C.buf, global_size=grid, local_size=(threads,),
             vals=(M, N, K), shared=shared)
    return run


# *** 2. correctness: float64 truth, poisoned outputs, awkward shapes ***

SHAPES = [(128, 128, 128), (1, 1, 1), (37, 53, 29), (257, 383, 129), (200, 300, 1000),
          (513, 1025, 64)]
TC_SHAPES = [(128, 256, 64), (8, 8, 8), (100, 300, 72), (257, 383, 136), (300, 520, 1000)]
EPS32 = float(np.finfo(np.float32).eps)


def check(dev, rng: np.random.Generator, log=print) -> int:
    """Validate every SGEMM rung (rung 8 in every candidate tile) on every shape; returns the
    number of checks passed, raises common.ValidationError on the first that fails."""
    passed = 0
    prebuild(dev, [kernel_source("matmul"), kernel_source("matmul_tc"),
                   kernel_source("matmul_hopper")]
             + [kernel_source("matmul_hopper", {"HP_STAGES": s}) for s in (3, 2)]
             + [kernel_source("matmul", t) for t in CANDIDATES if tile_ok(t)])
    for M, N, K in SHAPES:
        a, b = rng.standard_normal((M, K), np.float32), rng.standard_normal((K, N), np.float32)
        ref, bound = a.astype(np.float64) @ b, matmul_bound(a, b, EPS32)
        A, B, C = upload(dev, a), upload(dev, b), empty(dev, (M, N))
        for rung in RUNGS:
            for tile in ([DEFAULT_TILE] if rung < 8 else [t for t in CANDIDATES if tile_ok(t)]):
                sgemm(dev, rung, tile)(A, B, poison(C), M, N, K)
                validate(f"{RUNGS[rung]} {tile if rung == 8 else ''} at {(M, N, K)}",
                         C.numpy(), ref, bound)
                passed += 1
    log(f"sgemm: {passed} checks passed")
    return passed


def check_tensor_cores(dev, rng: np.random.Generator, log=print) -> int:
    """Validate the tensor-core rungs on every shape of TC_SHAPES, and the bf16 TMA rung with the
    shallower rings time_tensor_cores times."""
    passed = 0
    for M, N, K in TC_SHAPES:
        a, b = rng.standard_normal((M, K), np.float32), rng.standard_normal((N, K), np.float32)
        for name in TC:
            passed += check_tc(dev, name, a, b)
        for stages in (3, 2):
            passed += check_tc(dev, "bf16_wgmma_tma", a, b, stages)
    log(f"tensor cores: {passed} checks passed")
    return passed


def check_tc(dev, name: str, a: np.ndarray, b: np.ndarray, stages: int | None = None) -> int:
    """One tensor-core rung (a TMA rung with `stages` stages) against float64 on the operands as
    the tensor cores see them."""
    (M, K), N = a.shape, b.shape[0]
    if name.startswith("tf32"):  # fp32 in and out, the products in tf32
        A, B, C = upload(dev, a), upload(dev, b), empty(dev, (M, N))
        tensor_core_gemm(dev, name)(A, B, poison(C), M, N, K)
        ref = a.astype(np.float64) @ b.T.astype(np.float64)
        # WMMA rounds inputs to tf32 (2^-11 relative); wgmma reads the top 19 bits of each word,
        # which PTX leaves unspecified between rounding and truncation (2^-10): both within
        u = 2.0**-11 if name == "tf32_wmma" else 2.0**-10
        bound = (2 * u + K * EPS32) * (np.abs(a) @ np.abs(b.T)).astype(np.float64)
        validate(f"{name} at {(M, N, K)}", C.numpy(), ref, bound)
        return 1
    ab, bb = to_bf16(a), to_bf16(b)  # bf16 in, bf16 out: exact inputs, one output rounding
    A, B, C = upload(dev, ab), upload(dev, bb), empty(dev, (M, N), np.uint16)
    tensor_core_gemm(dev, name, stages)(A, B, poison(C), M, N, K)
    a64, b64 = from_bf16(ab).astype(np.float64), from_bf16(bb).astype(np.float64)
    ref = a64 @ b64.T
    bound = K * EPS32 * (np.abs(a64) @ np.abs(b64.T)) + 2.0**-8 * np.abs(ref)
    validate(f"{name} {stages or 'default'} stages at {(M, N, K)}", from_bf16(C.numpy()), ref,
             bound)
    return 1


# *** 3. autotuning and timing ***


# --8<-- [start:autotune]
def autotune(dev, n: int, rng: np.random.Generator, log=print) -> tuple[dict, list]:
    """Time each valid candidate tile of rung 8 at n^3; returns the fastest and all timings."""
    A, B = upload(dev, rng.standard_normal((n, n), np.float32)), \
        upload(dev, rng.standard_normal((n, n), np.float32))
    C = empty(dev, (n, n))
    results = []
    for tile in (t for t in CANDIDATES if tile_ok(t)):
        run = sgemm(dev, 8, tile)
        s = time_gpu(run, A, B, C, n, n, n)
        results.append((s, tile))
        log(f"  autotune {tile_shape(tile)[:2]} {tile}: {2 * n**3 / s / 1e12:.1f} TFLOP/s")
    best = min(results, key=lambda r: r[0])
    return best[1], results
# --8<-- [end:autotune]


def time_ladder(dev, n: int, tile: dict, rng: np.random.Generator, torch=None) -> list[Row]:
    """Every SGEMM rung at n^3, and cuBLAS SGEMM (TF32 off) through PyTorch when present."""
    a, b = rng.standard_normal((n, n), np.float32), rng.standard_normal((n, n), np.float32)
    A, B, C = upload(dev, a), upload(dev, b), empty(dev, (n, n))
    flops, nbytes = 2.0 * n**3, 3.0 * n * n * 4
    base = float("nan")
    rows = []
    if torch is not None:
        torch.backends.cuda.matmul.allow_tf32 = False
        ta, tb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
        base = time_gpu(torch.matmul, ta, tb)
        rows.append(Row("cuda", "cublas_sgemm", n, base, flops, nbytes, base))
    for rung in RUNGS:
        run = sgemm(dev, rung, tile)
        s = time_gpu(run, A, B, C, n, n, n)
        rows.append(Row("cuda", RUNGS[rung].removeprefix("matmul_"), n, s, flops, nbytes, base))
    return rows


def time_tensor_cores(dev, rng: np.random.Generator, torch=None, n_tf32=4096, n_bf16=8192):
    """The tf32 rungs at n_tf32^3 against cuBLAS TF32, the bf16 rungs at n_bf16^3 against cuBLAS
    bf16; each group's baseline is timed just before its rungs."""
    rows = []
    for bf16, n in ((False, n_tf32), (True, n_bf16)):
        a, b = rng.standard_normal((n, n), np.float32), rng.standard_normal((n, n), np.float32)
        if bf16:
            a, b = to_bf16(a), to_bf16(b)
        A, B = upload(dev, a), upload(dev, b)
        C = empty(dev, (n, n), np.uint16 if bf16 else np.float32)
        base, item = float("nan"), 2 if bf16 else 4
        if torch is not None:
            torch.backends.cuda.matmul.allow_tf32 = not bf16
            ta, tb = (torch.from_numpy(x.view(np.int16) if bf16 else x).cuda() for x in (a, b))
            if bf16:
                ta, tb = ta.view(torch.bfloat16), tb.view(torch.bfloat16)
            base = time_gpu(torch.matmul, ta, tb.t())
            torch.backends.cuda.matmul.allow_tf32 = False
            rows.append(Row("cuda", f"cublas_{'bf16' if bf16 else 'tf32'}", n, base,
                            2.0 * n**3, 3.0 * n * n * item, base))
        for name in (k for k in TC if k.startswith("bf16" if bf16 else "tf32")):
            s = time_gpu(tensor_core_gemm(dev, name), A, B, C, n, n, n)
            rows.append(Row("cuda", name, n, s, 2.0 * n**3, 3.0 * n * n * item, base))
        for stages in (3, 2) if bf16 else ():  # how deep must the pipeline be?
            s = time_gpu(tensor_core_gemm(dev, "bf16_wgmma_tma", stages), A, B, C, n, n, n)
            rows.append(Row("cuda", f"bf16_wgmma_tma_{stages}_stages", n, s, 2.0 * n**3,
                            3.0 * n * n * item, base))
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    """`singsys bench cuda`: check, then time, every CUDA kernel beside its baseline."""
    p = argparse.ArgumentParser(description="the CUDA kernels against cuBLAS and PyTorch")
    p.add_argument("--size", type=int, default=4096, help="SGEMM and tf32 size (bf16: twice)")
    p.add_argument("--no-tune", action="store_true", help="rung 8 with the default tile")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds per kernel (median)")
    args = p.parse_args(argv)
    from ch3_brrr.ladders import attention_cuda, common_cuda, rows_cuda
    from ch3_brrr.runtime.device import get_device
    common_cuda.ROUNDS[0] = args.rounds
    dev = get_device("cuda")
    try:
        import torch
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    check(dev, rng)
    check_tensor_cores(dev, rng)
    rows_cuda.check(dev, rng)
    attention_cuda.check(dev, rng)
    n = args.size
    tile = DEFAULT_TILE if args.no_tune else autotune(dev, n, rng)[0]
    rows = time_ladder(dev, n, tile, rng, torch) + time_tensor_cores(dev, rng, torch, n, 2 * n)
    print(format_table(rows))
    mem = rows_cuda.time_rows(dev, rng, torch)
    print("\n".join(f"| {r.rung} | {r.size} | {r.seconds * 1e3:.3f} ms | "
                    f"{r.bytes / r.seconds / 1e9:.0f} GB/s | {r.pct:.0f}% |" for r in mem))
    attn = attention_cuda.time_attention(dev, rng, torch)
    print(format_table(attn))
    return rows + mem + attn


if __name__ == "__main__":
    main()
