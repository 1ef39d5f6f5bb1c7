"""The C matmul ladder: check every rung against float64, then time it beside numpy.

    python -m ch3_brrr.ladders.matmul_c [--size 1024] [--rungs 2 4 5] [--rounds 5]

Each rung of kernels/c/matmul.c computes C = A @ B for A (M,K), B (K,N) in float32. numpy's
matmul (OpenBLAS here) is the baseline, timed in the same run, interleaved with the rungs.
"""

from __future__ import annotations

import argparse

import numpy as np

from ch3_brrr.ladders.common import (
    Row,
    check_matmul,
    format_table,
    make_random,
    positive_int,
    time_interleaved,
)
from ch3_brrr.runtime import get_device

RUNGS = {1: "matmul_v1_naive", 2: "matmul_v2_reordered", 3: "matmul_v3_blocked",
         4: "matmul_v4_microkernel", 5: "matmul_v5_threads"}

# sizes that are not multiples of any tile (MR=6, NR=32, KC=256, ...), and a few that are
CHECK_SIZES = [(1, 1, 1), (7, 5, 3), (33, 65, 17), (96, 512, 256), (131, 97, 300),
               (200, 600, 513), (0, 4, 3), (4, 3, 0)]


def matmul(rung: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Run one rung. Shapes: a (M,K), b (K,N) float32 -> (M,N) float32."""
    if rung not in RUNGS:
        raise ValueError(f"no rung {rung} in the C ladder (rungs: {', '.join(map(str, RUNGS))})")
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"the ladder multiplies matrices: got {a.ndim}-d and {b.ndim}-d inputs")
    (m, k), (k2, n) = a.shape, b.shape
    if k != k2:
        raise ValueError(f"mat1 and mat2 shapes cannot be multiplied ({m}x{k} and {k2}x{n})")
    a, b = np.ascontiguousarray(a, np.float32), np.ascontiguousarray(b, np.float32)
    c = np.empty((m, n), np.float32)
    get_device("c").kernel("matmul", RUNGS[rung])(c, a, b, vals=(m, n, k))
    return c


def check(rungs=RUNGS, sizes=CHECK_SIZES, seed: int = 0) -> None:
    """Validate each rung against the float64 product; raises ValidationError."""
    check_matmul(matmul, RUNGS, rungs, sizes, seed)


def run(size: int = 1024, rungs=RUNGS, rounds: int = 5, seed: int = 0) -> list[Row]:
    """Time each rung and numpy at size^3, interleaved; rows in rung order, numpy last."""
    rng = np.random.default_rng(seed)
    a, b = make_random((size, size), rng), make_random((size, size), rng)
    c = np.empty((size, size), np.float32)
    dev = get_device("c")
    contenders = {"numpy": lambda: np.matmul(a, b, out=c)}
    for rung in rungs:
        prog = dev.kernel("matmul", RUNGS[rung])
        contenders[RUNGS[rung]] = lambda prog=prog: prog(c, a, b, vals=(size, size, size))
    best = time_interleaved(contenders, rounds)
    flops, nbytes = 2.0 * size**3, 3.0 * 4 * size**2
    names = [RUNGS[r] for r in rungs] + ["numpy"]
    return [Row("c", name.removeprefix("matmul_"), size, best[name], flops, nbytes, best["numpy"])
            for name in names]


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(prog="matmul_c", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=positive_int, default=1024)
    parser.add_argument("--rungs", type=int, nargs="+", default=list(RUNGS), choices=list(RUNGS))
    parser.add_argument("--rounds", type=positive_int, default=5)
    args = parser.parse_args(argv)
    check(args.rungs)
    print(f"C matmul ladder: every rung matches float64 within K*eps*(|A|@|B|) on "
          f"{len(CHECK_SIZES)} shapes")
    rows = run(args.size, args.rungs, args.rounds)
    print(format_table(rows))
    return rows


if __name__ == "__main__":
    main()
