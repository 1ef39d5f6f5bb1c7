"""Benchmark: building and differentiating a chain of n scalar operations, ours against PyTorch.

The graph is the same for both: starting from a leaf x, n operations alternate y = tanh(y) and
y = y * w with one shared leaf w, so the chain is n nodes deep. PyTorch runs it on 0-d float64
tensors, its scalar autograd. Times are wall-clock seconds of one run; ratio = torch / ours, so
a ratio above 1 means ours is faster. Run: .venv/bin/python bench/ch1_backward.py [--sizes ...]
[--pause-gc], the last to time ours with Python's cyclic garbage collector paused, as training
does (ch1_dfdx.train.cycle_collector_paused).
"""

import argparse
import contextlib
import gc
import math
import platform
import time

import torch

from ch1_dfdx.engine import Value
from ch1_dfdx.train import cycle_collector_paused


def chain(x, w, n: int):
    y = x
    for i in range(n):
        y = y * w if i % 2 else y.tanh()
    return y


def time_ours(n: int) -> tuple[float, float, float, float]:
    x, w = Value(0.5), Value(0.999)
    start = time.perf_counter()
    y = chain(x, w, n)
    built = time.perf_counter()
    y.backward()
    done = time.perf_counter()
    return built - start, done - built, x.grad, w.grad


def time_torch(n: int) -> tuple[float, float, float, float]:
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    w = torch.tensor(0.999, dtype=torch.float64, requires_grad=True)
    start = time.perf_counter()
    y = chain(x, w, n)
    built = time.perf_counter()
    y.backward()
    done = time.perf_counter()
    return built - start, done - built, x.grad.item(), w.grad.item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**4, 10**5, 10**6])
    parser.add_argument("--pause-gc", action="store_true", help="pause the cycle collector")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} torch threads, "
          f"cycle collector {'paused' if args.pause_gc else 'on'} for ours")
    header = ("n", "ours build s", "ours backward s", "torch build s", "torch backward s",
              "build ratio", "backward ratio")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for n in args.sizes:
        gc.collect()
        with cycle_collector_paused() if args.pause_gc else contextlib.nullcontext():
            ob, obw, odx, odw = time_ours(n)
        gc.collect()
        tb, tbw, tdx, tdw = time_torch(n)
        # Same graph, same float64 arithmetic: the gradients must agree before times count.
        assert math.isclose(odx, tdx, rel_tol=1e-9, abs_tol=1e-300), (odx, tdx)
        assert math.isclose(odw, tdw, rel_tol=1e-9), (odw, tdw)
        print(f"{n:.0e} | {ob:.3f} | {obw:.3f} | {tb:.3f} | {tbw:.3f} | "
              f"{tb / ob:.2f} | {tbw / obw:.2f}")


if __name__ == "__main__":
    main()
