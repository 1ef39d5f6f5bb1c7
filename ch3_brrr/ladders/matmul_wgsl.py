"""The WGSL matmul ladder: check every rung against float64, then time it beside the C backend.

    python -m ch3_brrr.ladders.matmul_wgsl [--size 1024] [--rungs 1 3] [--rounds 3]

Each rung of kernels/wgsl/matmul.wgsl computes C = A @ B for A (M,K), B (K,N) in float32 on
the wgpu device (a GPU, or llvmpipe on the CPU). The rows' baseline is the C backend's best rung
on the same machine, timed in the same run, interleaved with the rungs; the naive WGSL rung is
the other yardstick (`x naive` in the printout).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ch3_brrr.ladders.common import (
    Row,
    ceil_div,
    check_matmul,
    format_table,
    make_random,
    time_interleaved,
)
from ch3_brrr.runtime import get_device

SOURCE = Path(__file__).resolve().parent.parent / "kernels" / "wgsl" / "matmul.wgsl"
RUNGS = {1: "matmul_v1_naive", 2: "matmul_v2_tiled", 3: "matmul_v3_reg_tiled",
         4: "matmul_v4_reg_direct"}
BLOCK = {1: (16, 16), 2: (16, 16), 3: (64, 128), 4: (64, 128)}  # (rows, columns) of C per workgroup
VEC4 = {3, 4}  # rungs that read rows as vec4: their rows are zero-padded to a multiple of 4

# sizes that are not multiples of any tile (16, 64, the vec4 width), and a few that are
CHECK_SIZES = [(1, 1, 1), (7, 5, 3), (33, 65, 17), (64, 64, 64), (70, 130, 45), (0, 4, 3),
               (4, 3, 0)]


def pad_columns(x: np.ndarray, multiple: int) -> np.ndarray:
    """x with zero columns appended up to a multiple of `multiple`. Shapes: (R,C) -> (R,C')."""
    out = np.zeros((x.shape[0], ceil_div(x.shape[1], multiple) * multiple), np.float32)
    out[:, :x.shape[1]] = x
    return out


def as_bytes(x: np.ndarray) -> memoryview:
    """A flat byte view of the contiguous array x (empty arrays included)."""
    return memoryview(x.reshape(-1).view(np.uint8))


class MatmulLaunch:
    """One rung bound to device buffers for A (M,K) and B (K,N): call it to run, `result()`
    to read C (M,N) back."""

    def __init__(self, rung: int, a: np.ndarray, b: np.ndarray):
        (m, k), (_, n) = a.shape, b.shape
        self.dev, self.shape = get_device("wgpu"), (m, n)
        if rung in VEC4:
            a, b = pad_columns(a, 4), pad_columns(b, 4)
        self.cols = ceil_div(n, 4) * 4 if rung in VEC4 else n  # C's row length in memory
        alloc = self.dev.allocator
        self.bufs = [alloc.alloc(x.nbytes) for x in (a, b)] + [alloc.alloc(4 * m * self.cols)]
        for buf, x in zip(self.bufs, (a, b)):
            alloc.copyin(buf, as_bytes(np.ascontiguousarray(x, np.float32)))
        self.prog = self.dev.build(RUNGS[rung], SOURCE.read_text())
        rows, cols = BLOCK[rung]
        self.grid, self.vals = (ceil_div(n, cols), ceil_div(m, rows), 1), (m, n, k)

    def __call__(self, wait: bool = True) -> float | None:
        return self.prog(*self.bufs, global_size=self.grid, vals=self.vals, wait=wait)

    def result(self) -> np.ndarray:
        m, n = self.shape
        out = np.empty((m, self.cols), np.float32)
        self.dev.allocator.copyout(as_bytes(out), self.bufs[2])
        return out[:, :n]


def matmul(rung: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Run one rung. Shapes: a (M,K), b (K,N) float32 -> (M,N) float32."""
    (m, k), (k2, n) = a.shape, b.shape
    if k != k2:
        raise ValueError(f"mat1 and mat2 shapes cannot be multiplied ({m}x{k} and {k2}x{n})")
    launch = MatmulLaunch(rung, a.astype(np.float32), b.astype(np.float32))
    launch(wait=False)
    return launch.result()


def check(rungs=RUNGS, sizes=CHECK_SIZES, seed: int = 0) -> None:
    """Validate each rung against the float64 product; raises ValidationError."""
    check_matmul(matmul, RUNGS, rungs, sizes, seed)


def c_contender(a: np.ndarray, b: np.ndarray):
    """(name, launch) of the C backend's best rung on a and b, or None where C cannot run."""
    try:
        from ch3_brrr.ladders import matmul_c
        dev = get_device("c")
    except Exception:  # no C compiler here, or the C ladder is absent: WGSL rows stand alone
        return None
    best = max(matmul_c.RUNGS)
    prog, c = dev.kernel("matmul", matmul_c.RUNGS[best]), np.empty((a.shape[0], b.shape[1]),
                                                                   np.float32)
    m, k, n = a.shape[0], a.shape[1], b.shape[1]
    return "c_" + matmul_c.RUNGS[best], lambda: prog(c, a, b, vals=(m, n, k))


def run(size: int = 1024, rungs=RUNGS, rounds: int = 3, seed: int = 0) -> list[Row]:
    """Time each rung and the C baseline at size^3, interleaved; rows in rung order, C last.

    Each rung is timed from dispatch to completion (the inputs already on the device)."""
    rng = np.random.default_rng(seed)
    a, b = make_random((size, size), rng), make_random((size, size), rng)
    contenders = {RUNGS[r]: MatmulLaunch(r, a, b) for r in rungs}
    baseline = c_contender(a, b)
    if baseline is not None:
        contenders[baseline[0]] = baseline[1]
    # every contender gets the same rounds (a naive rung timed once would be judged on its
    # luckiest or unluckiest moment of a loaded machine), unless one round passes 10 s
    best = time_interleaved(contenders, rounds, budget_s=10.0)
    base = best[baseline[0]] if baseline else float("nan")
    flops, nbytes = 2.0 * size**3, 3.0 * 4 * size**2
    return [Row("wgsl", name.removeprefix("matmul_"), size, best[name], flops, nbytes, base)
            for name in contenders]


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(prog="matmul_wgsl", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--rungs", type=int, nargs="+", default=list(RUNGS), choices=list(RUNGS))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    dev = get_device("wgpu")
    check(args.rungs)
    print(f"WGSL matmul ladder on {dev.adapter.summary}: every rung matches float64 within "
          f"K*eps*(|A|@|B|) on {len(CHECK_SIZES)} shapes")
    rows = run(args.size, args.rungs, args.rounds)
    print(format_table(rows))
    naive = {r.rung: r.seconds for r in rows}.get("v1_naive")
    if naive is not None:
        print(" | ".join(f"{r.rung}: {naive / r.seconds:.1f}x naive" for r in rows))
    return rows


if __name__ == "__main__":
    main()
