"""Benchmark: the index ops that graph mode once ran on the host, now kernels (ch4_pt2's SCATTER
and SCAN, and x[i, j] as one gather), against ch2 eager (numpy) and PyTorch eager, in one run.

Workloads (float32): a cumsum over rows of 65536; a scatter_add of 8192 rows of 64 into 1000
(an embedding's backward, past the masked sum's size); x[idx] = v replacing 100k of 1M elements;
x[i, j] reading 100k elements of a 1000 x 1000 matrix. Ours runs through `ch4_pt2.compile`
(traced twice, then its plan replayed: no Python per op). Reported: median milliseconds per
call over interleaved rounds (the process's CPU time unless --wall), the ratios, and our kernel
and host-call counts per call. Outputs are checked against ch2 eager first. One thread.

    .venv/bin/python bench/ch4_indexed.py [--rounds 7] [--calls 20] [--wall]
"""

import argparse
import functools
import os
import platform
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ch2_lego  # noqa: E402
import ch4_pt2  # noqa: E402
from ch4_pt2.ops import Ops  # noqa: E402


def workloads(rng):
    """name -> (fn of a module's tensors, the input arrays)."""
    rows = rng.integers(0, 1000, 8192)
    return {
        "cumsum (16, 65536) dim 1": (lambda x: x.cumsum(1),
                                     [rng.standard_normal((16, 65536)).astype(np.float32)]),
        "scatter_add 8192x64 rows into 1000": (
            lambda x, i, s: x.scatter_add(0, i, s),
            [np.zeros((1000, 64), np.float32), np.repeat(rows[:, None], 64, 1),
             rng.standard_normal((8192, 64)).astype(np.float32)]),
        "x[idx] = v, 100k of 1M": (
            put, [rng.standard_normal(1_000_000).astype(np.float32),
                  rng.permutation(1_000_000)[:100_000],
                  rng.standard_normal(100_000).astype(np.float32)]),
        "x[i, j], 100k of 1000x1000": (
            lambda x, i, j: x[i, j],
            [rng.standard_normal((1000, 1000)).astype(np.float32),
             rng.integers(0, 1000, 100_000), rng.integers(0, 1000, 100_000)]),
    }


def put(x, idx, v):
    x = x * 1  # a copy, written in place
    x[idx] = v
    return x


def run_numpy(fn, inputs):
    return fn(*inputs).numpy()


def clock(wall: bool) -> float:
    return time.perf_counter() if wall else time.process_time()


def per_call_ms(fn, calls: int, wall: bool) -> float:
    start = clock(wall)
    for _ in range(calls):
        fn()
    return (clock(wall) - start) / calls * 1e3


def kernels_of(fn, arrays) -> tuple[int, int]:
    """Our kernels and host calls for one call of fn (its plan, as graph mode realizes it)."""
    out = fn(*(ch2_lego.tensor(a, device="lazy") for a in arrays))
    plan = ch4_pt2.plan.Plan([out._buf.uop])
    return plan.kernel_count, sum(item.root.op is Ops.EXTERN for item in plan.items)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--wall", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, load "
          f"{os.getloadavg()[0]:.1f}; ms per call ({'wall' if args.wall else 'CPU time'}), "
          f"median of {args.rounds} rounds of {args.calls} calls")
    print("| workload | ch2 eager | ours | torch eager | ch2 / ours | torch / ours | "
          "our kernels | host calls |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (fn, arrays) in workloads(np.random.default_rng(0)).items():
        eager_in = [ch2_lego.tensor(a) for a in arrays]
        torch_in = [torch.tensor(a) for a in arrays]
        compiled = ch4_pt2.compile(fn)
        for _ in range(3):  # traced twice, then replayed
            ours = compiled(*eager_in)
        want = fn(*eager_in).numpy()
        np.testing.assert_allclose(ours.numpy(), want, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(fn(*torch_in).numpy(), want, rtol=1e-4, atol=1e-4)
        contenders = {"ch2": functools.partial(run_numpy, fn, eager_in),
                      "ours": functools.partial(run_numpy, compiled, eager_in),
                      "torch": functools.partial(run_numpy, fn, torch_in)}
        times = {k: [] for k in contenders}
        for _ in range(args.rounds):  # interleaved, so a busy moment hits all alike
            for key, run in contenders.items():
                times[key].append(per_call_ms(run, args.calls, args.wall))
        ms = {k: statistics.median(v) for k, v in times.items()}
        kernels, host = kernels_of(fn, arrays)
        print(f"| {name} | {ms['ch2']:.3f} | {ms['ours']:.3f} | {ms['torch']:.3f} | "
              f"{ms['ch2'] / ms['ours']:.2f}x | {ms['torch'] / ms['ours']:.2f}x | {kernels} | "
              f"{host} |")


if __name__ == "__main__":
    main()
