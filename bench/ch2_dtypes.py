"""ch2's half-precision support, timed: what the float32-compute wrapper costs every op, and what
float16/bfloat16 ops cost against float32 ones and against torch's on the same cpu.

1. dispatch overhead: the cpu's ADD kernel, which checks for half-precision operands, against
   numpy's add called as the kernel did before, on 16-element float32 operands;
2. elementwise and matmul in float16 / bfloat16 against float32, ours and torch's.

Usage: python bench/ch2_dtypes.py
"""

import time

import numpy as np
import torch

import ch2_lego as lego
from ch2_lego.backend import DEVICES, Ops


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
    """The wrapper's cost per call, kernel against kernel on the same numpy operands (a tight
    loop, so the shared machine's load matters little), next to a whole `x + y`."""
    out, a, b = np.empty(16, np.float32), np.ones(16, np.float32), np.ones(16, np.float32)
    wrapped_kernel = DEVICES["cpu"].kernels[Ops.ADD][0]

    fn = np.add
    raw_kernel = lambda out, a, b: fn(a, b, out=out)  # noqa: E731 (the kernel before halves)
    wrapped, raw = [], []
    for _ in range(9):  # alternate, keep each one's best round
        wrapped.append(best(lambda: wrapped_kernel(out, a, b), repeat=1, number=20000))
        raw.append(best(lambda: raw_kernel(out, a, b), repeat=1, number=20000))
    x, y = lego.ones(16), lego.ones(16)
    whole = best(lambda: x + y, repeat=9, number=2000)
    w, r = min(wrapped), min(raw)
    print("| 16 float32, x + y | wrapped kernel | raw kernel | added per op | whole op |")
    print("|---|---|---|---|---|")
    print(f"| cpu ADD | {w * 1e6:.2f} us | {r * 1e6:.2f} us | {(w - r) * 1e6:.2f} us "
          f"({(w - r) / whole:.1%} of the op) | {whole * 1e6:.2f} us |")


def half_costs() -> None:
    a = np.random.default_rng(0).standard_normal((512, 512)).astype(np.float32)
    print()
    print("| op | dtype | ours / ours float32 | torch / torch float32 | ours / torch |")
    print("|---|---|---|---|---|")
    cases = {"x * y + 1 (512x512)": lambda x: x * x + 1, "exp (512x512)": lambda x: x.exp(),
             "sum (512x512)": lambda x: x.sum(), "x @ x (512x512)": lambda x: x @ x}
    for name, fn in cases.items():
        base = {m: m.tensor(a) for m in (lego, torch)}
        t32 = {m: best(lambda x=base[m], fn=fn: fn(x), 9, 10) for m in (lego, torch)}
        for dtype in ("float16", "bfloat16"):
            xs = {m: base[m].to(getattr(m, dtype)) for m in (lego, torch)}
            t = {m: best(lambda x=xs[m], fn=fn: fn(x), 9, 10) for m in (lego, torch)}
            print(f"| {name} | {dtype} | {t[lego] / t32[lego]:.2f} | "
                  f"{t[torch] / t32[torch]:.2f} | {t[lego] / t[torch]:.2f} |")


if __name__ == "__main__":
    torch.set_num_threads(1)
    dispatch_overhead()
    half_costs()
