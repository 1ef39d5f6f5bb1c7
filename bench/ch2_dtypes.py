"""ch2's half-precision support, timed: what the float32-compute wrapper costs every op, and what
float16/bfloat16 ops cost against float32 ones and against torch's on the same cpu.

1. dispatch overhead: x + y on 16-element float32 tensors with the cpu's registered ADD kernel
   (wrapped by ops_cpu.half_precision) against the same kernel unwrapped, in the same run;
2. elementwise and matmul in float16 / bfloat16 against float32, ours and torch's.

Usage: python bench/ch2_dtypes.py
"""

import time

import numpy as np
import torch

import ch2_lego as lego
from ch2_lego.backend import DEVICES, Ops
from ch2_lego.ops_cpu import BINARY_KERNELS


def best(fn, repeat: int = 5, number: int = 200) -> float:
    """Seconds per call: the best of `repeat` runs of `number` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def dispatch_overhead() -> None:
    """Alternate the two kernels round by round (the machine is shared: load drifts), and take
    each one's best round."""
    x, y = lego.ones(16), lego.ones(16)
    cpu = DEVICES["cpu"]
    entry = cpu.kernels[Ops.ADD]
    raw_entry = (BINARY_KERNELS[Ops.ADD][0], entry[1])  # the numpy kernel, unwrapped
    wrapped, raw = [], []
    try:
        for _ in range(7):
            cpu.kernels[Ops.ADD] = entry
            wrapped.append(best(lambda: x + y, repeat=1, number=5000))
            cpu.kernels[Ops.ADD] = raw_entry
            raw.append(best(lambda: x + y, repeat=1, number=5000))
    finally:
        cpu.kernels[Ops.ADD] = entry
    w, r = min(wrapped), min(raw)
    print("| op | with the half-precision wrapper | raw kernel | ratio |")
    print("|---|---|---|---|")
    print(f"| `x + y`, 16 float32 | {w * 1e6:.2f} us | {r * 1e6:.2f} us | {w / r:.3f} |")


def half_costs() -> None:
    a = np.random.default_rng(0).standard_normal((512, 512)).astype(np.float32)
    print()
    print("| op | dtype | ours / ours float32 | torch / torch float32 | ours / torch |")
    print("|---|---|---|---|---|")
    cases = {"x * y + 1 (512x512)": lambda x: x * x + 1, "exp (512x512)": lambda x: x.exp(),
             "sum (512x512)": lambda x: x.sum(), "x @ x (512x512)": lambda x: x @ x}
    for name, fn in cases.items():
        base = {m: m.tensor(a) for m in (lego, torch)}
        t32 = {m: best(lambda x=base[m], fn=fn: fn(x), number=5) for m in (lego, torch)}
        for dtype in ("float16", "bfloat16"):
            xs = {m: base[m].to(getattr(m, dtype)) for m in (lego, torch)}
            t = {m: best(lambda x=xs[m], fn=fn: fn(x), number=5) for m in (lego, torch)}
            print(f"| {name} | {dtype} | {t[lego] / t32[lego]:.2f} | "
                  f"{t[torch] / t32[torch]:.2f} | {t[lego] / t[torch]:.2f} |")


if __name__ == "__main__":
    torch.set_num_threads(1)
    dispatch_overhead()
    half_costs()
