"""What every kernel ladder shares (llm.c's common.h): random inputs, a float64 check, timing.

A ladder module `ladders/<op>_<backend>.py` has a registry `RUNGS = {1: "name", ...}`,
`check(...)` that validates every rung against a float64 reference with `validate`, and
`main(argv) -> list[Row]` that prints its table and returns the rows; `ch3_brrr.bench` gathers
the rows of every ladder present and draws them on one roofline.
Timing interleaves the contenders round by round (`time_interleaved`), so a machine loaded by
someone else slows every contender alike, and keeps each one's best round.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# *** 1. inputs and the float64 check ***


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def positive_int(text: str) -> int:
    """argparse type for --size and --rounds: an int >= 1 (a size of 0 has no GFLOP/s)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def make_random(shape: tuple[int, ...], rng: np.random.Generator,
                dtype=np.float32) -> np.ndarray:
    """Standard normal entries: signs mix, so sums cancel and errors are not flattered."""
    return rng.standard_normal(shape).astype(dtype)


def matmul_bound(a: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    """The error bound of a float matmul against the exact product: K * eps * (|A| @ |B|).

    Each output is a length-K dot product; summing K rounded terms in any order errs by at most
    about K * eps times the sum of the terms' magnitudes (Higham, Accuracy and Stability, 3.1).
    Shapes: a (M,K), b (K,N) -> (M,N).
    """
    k = a.shape[-1]
    return k * eps * (np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64)))


class ValidationError(AssertionError):
    """A kernel's output that differs from the reference by more than the bound."""


def validate(name: str, out: np.ndarray, ref: np.ndarray, bound: np.ndarray | float) -> None:
    """Raise ValidationError listing the first 5 mismatches if |out - ref| > bound anywhere.

    ref is the float64 truth; NaN in out is always a mismatch.
    """
    if out.shape != ref.shape:
        raise ValidationError(f"{name}: shape {out.shape}, expected {ref.shape}")
    err = np.abs(out.astype(np.float64) - ref)
    bad = ~(err <= bound)  # NaN compares False, so it lands in bad
    if bad.any():
        where = np.argwhere(bad)[:5]
        bound_at = np.broadcast_to(bound, ref.shape)
        lines = [f"  at {tuple(int(i) for i in w)}: got {out[tuple(w)]!r}, "
                 f"want {ref[tuple(w)]!r} (bound {bound_at[tuple(w)]:.3g})" for w in where]
        raise ValidationError(f"{name}: {int(bad.sum())} of {bad.size} values off\n"
                              + "\n".join(lines))


def check_matmul(matmul: Callable, names: dict[int, str], rungs, sizes, seed: int = 0) -> None:
    """Validate each rung's float32 `matmul(rung, a, b)` against the float64 product.

    Shapes: sizes holds (M, N, K) triples; a (M,K), b (K,N). Raises ValidationError.
    """
    rng = np.random.default_rng(seed)
    eps = float(np.finfo(np.float32).eps)
    for m, n, k in sizes:
        a, b = make_random((m, k), rng), make_random((k, n), rng)
        ref = a.astype(np.float64) @ b.astype(np.float64)
        for rung in rungs:
            validate(f"{names[rung]} {m}x{n}x{k}", matmul(rung, a, b), ref, matmul_bound(a, b, eps))


# *** 2. timing ***


def time_interleaved(contenders: dict[str, Callable[[], object]], rounds: int = 5,
                     budget_s: float = 2.0) -> dict[str, float]:
    """Best seconds of each contender over `rounds` round-robin rounds, after one warm-up each.

    A contender whose warm-up alone took more than budget_s runs no further rounds (the naive
    rungs), and keeps its warm-up time.
    """
    best: dict[str, float] = {}
    for name, fn in contenders.items():
        start = time.perf_counter()
        fn()
        best[name] = time.perf_counter() - start
    for _ in range(rounds):
        for name, fn in contenders.items():
            if best[name] > budget_s:
                continue
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


# *** 3. rows, tables ***


@dataclass
class Row:
    """One timed kernel: a rung of a ladder, or the baseline it is compared with."""

    ladder: str  # "c", "wgsl", "cuda"
    rung: str  # "v4_microkernel", or the baseline's name ("numpy")
    size: int  # M = N = K
    seconds: float
    flops: float
    bytes: float  # the least traffic the op needs: inputs read once, output written once
    baseline: float = float("nan")  # the baseline's seconds in the same run

    @property
    def gflops(self) -> float:
        return self.flops / self.seconds / 1e9

    @property
    def pct(self) -> float:
        """This rung's speed as a percentage of the baseline's."""
        return 100.0 * self.baseline / self.seconds

    @property
    def intensity(self) -> float:
        """Arithmetic intensity, flops per byte of the least traffic."""
        return self.flops / self.bytes


def format_table(rows: list[Row]) -> str:
    """The rows as a markdown table: size, time, GFLOP/s, % of the baseline."""
    lines = ["| ladder | rung | size | ms | GFLOP/s | % of baseline |",
             "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.ladder} | {r.rung} | {r.size} | {r.seconds * 1e3:.2f} | "
                     f"{r.gflops:.1f} | {r.pct:.0f}% |")
    return "\n".join(lines)


def measure_bandwidth(nbytes: int = 1 << 27, rounds: int = 3) -> float:
    """Memory bandwidth in GB/s by a large numpy copy (read + write), for the roofline."""
    src = np.ones(nbytes // 4, dtype=np.float32)
    dst = np.empty_like(src)
    best = time_interleaved({"copy": lambda: np.copyto(dst, src)}, rounds)["copy"]
    return 2 * nbytes / best / 1e9
