"""`singsys bench`: every kernel ladder this machine can run, as tables, and one roofline plot.

    singsys bench [c wgsl cuda] [--device c|wgpu|cuda] [--size N] [--rounds 5] [--out bench_out]
                  [--gpt]

A ladder is a module `ch3_brrr.ladders.matmul_<name>` whose `main(argv) -> list[Row]` checks
its rungs, prints its table and returns its rows; a ladder whose module or device is missing is
reported and skipped. `--device cuda` is the same as naming the ladder `cuda`. The roofline puts
every CPU row at its arithmetic intensity under the CPU's roofs, both measured in this run (memory
bandwidth by a large copy, compute by numpy's matmul); the CUDA rows get a roofline of their own,
under the GPU's roofs measured beside them (a device copy, cuBLAS), in roofline_cuda.png.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import numpy as np

from ch3_brrr.ladders.common import (
    Row,
    format_table,
    measure_bandwidth,
    positive_int,
    time_interleaved,
)
from ch3_brrr.runtime.device import DeviceError

LADDERS = {"c": "ch3_brrr.ladders.matmul_c", "wgsl": "ch3_brrr.ladders.matmul_wgsl",
           "cuda": "ch3_brrr.ladders.matmul_cuda"}
DEVICES = {"c": "c", "wgsl": "wgpu", "cuda": "cuda"}  # the ch2 device of each ladder's backend
DEFAULT_SIZE = {"cuda": 4096}  # a GPU at 1024^3 measures launch overheads; others: 1024


def run_ladders(names: list[str], size: int | None, rounds: int | None = None) -> list[Row]:
    """The rows of each named ladder that can run here; the others print why they cannot.

    Every ladder's main takes --size (size=None: 1024, or DEFAULT_SIZE's for that ladder);
    --rounds is passed only when asked for (rounds=None: each ladder's own default).
    """
    rows: list[Row] = []
    for name in names:
        n = size or DEFAULT_SIZE.get(name, 1024)
        argv = ["--size", str(n)] + (["--rounds", str(rounds)] if rounds is not None else [])
        try:
            module = importlib.import_module(LADDERS[name])
        except ModuleNotFoundError as e:
            if e.name != LADDERS[name]:
                raise
            print(f"\n{name} ladder: not built yet")
            continue
        print(f"\n=== the {name} matmul ladder, {n}x{n}x{n} float32 ===", flush=True)
        try:
            rows += module.main(argv)
        except DeviceError as e:  # no compiler, no adapter, no GPU
            print(f"{name} ladder skipped: {e}")
        except SystemExit:  # its argument parser refused argv and said why
            print(f"{name} ladder skipped: it does not take {' '.join(argv)}")
    return rows


def elementwise_rows(n: int = 1 << 24, rounds: int = 5) -> list[Row]:
    """The memory-bound end of the roofline: c = a + b over n float32, C kernel and numpy."""
    from ch3_brrr import kernels_c

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(n, np.float32), rng.standard_normal(n, np.float32)
    c = np.empty(n, np.float32)
    kernels_c.binary("add", c, a, b)  # compile (or load) it here, not in the timed warm-up
    best = time_interleaved({"numpy": lambda: np.add(a, b, out=c),
                             "add_f32": lambda: kernels_c.binary("add", c, a, b)}, rounds)
    return [Row("c", name, n, best[name], float(n), 12.0 * n, best["numpy"])
            for name in ("add_f32", "numpy")]


def gpt_step_table(devices: list[str], steps: int = 5, rounds: int = 3) -> str:
    """ms per training step of the ch2 GPT (the demo's size) on "cpu" and on each device,
    timed in interleaved rounds of `steps` steps; a markdown table with the ratio to "cpu"."""
    import ch2_lego
    from ch2_lego.data import CharTokenizer, load_names, padded_sequences, split_words
    from ch2_lego.models import gpt
    from ch2_lego.models.train import train_lm

    words = load_names()
    tok = CharTokenizer(words)
    x, y = padded_sequences(split_words(words)[0], tok, block_size=16)
    models = {}
    for device in ["cpu", *devices]:
        if device != "cpu":
            importlib.import_module(f"ch3_brrr.device_{device}")  # registers it with ch2
        ch2_lego.manual_seed(0)
        models[device] = gpt.GPT(gpt.GPTConfig(block_size=16, vocab_size=tok.vocab_size))
        models[device].to(device)
    # every device gets every round: the warm-up (first launches, compiles) is never the time
    best = time_interleaved({d: lambda m=m: train_lm(m, x, y, steps, progress=False)
                             for d, m in models.items()}, rounds, budget_s=float("inf"))
    lines = ["| device | ms per step | x of cpu |", "|---|---:|---:|"]
    lines += [f"| {d} | {best[d] / steps * 1e3:.0f} | {best[d] / best['cpu']:.2f} |"
              for d in models]
    return "\n".join(lines)


def cpu_peak(rows: list[Row]) -> float:
    """The roofline's flat roof: numpy's matmul GFLOP/s in this run, else the fastest row."""
    return max((r.gflops for r in rows if r.ladder == "c" and r.rung == "numpy"),
               default=max(r.gflops for r in rows))


# --8<-- [start:roofline]
def draw_roofline(rows: list[Row], bandwidth_gbs: float, peak_gflops: float):
    """Attainable GFLOP/s = min(peak, intensity * bandwidth), log-log, with every row a point.

    A kernel left of the ridge point (peak / bandwidth flops per byte) is limited by memory,
    one to the right by arithmetic; a point far below its roof leaves speed on the table.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    intensity = np.logspace(-2, 3, 200)
    ax.plot(intensity, np.minimum(peak_gflops, intensity * bandwidth_gbs), "k-",
            label=f"CPU roof: {bandwidth_gbs:.0f} GB/s, {peak_gflops:.0f} GFLOP/s (measured)")
    for row in rows:
        ax.plot(row.intensity, row.gflops, "o")
        ax.annotate(f"{row.ladder} {row.rung}", (row.intensity, row.gflops), fontsize=7,
                    textcoords="offset points", xytext=(5, -3))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (flop per byte of least traffic)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title("kernels on the roofline")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig
# --8<-- [end:roofline]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="singsys bench", description=__doc__.splitlines()[0])
    parser.add_argument("ladders", nargs="*", metavar="LADDER",
                        help=f"some of: {', '.join(LADDERS)} (default: all)")
    parser.add_argument("--device", choices=sorted(set(DEVICES.values())),
                        help="the ladder of one device (c, wgpu or cuda)")
    parser.add_argument("--size", type=positive_int,
                        help="M = N = K (default 1024; cuda: 4096)")
    parser.add_argument("--rounds", type=positive_int,
                        help="timed rounds per rung (default: the ladder's)")
    parser.add_argument("--out", default="bench_out", help="folder for roofline.png")
    parser.add_argument("--gpt", action="store_true",
                        help="also time ch2's GPT training step on cpu and on these devices")
    args = parser.parse_args(argv)
    unknown = [name for name in args.ladders if name not in LADDERS]
    if unknown:
        parser.error(f"unknown ladder {unknown[0]!r} (choose from {', '.join(LADDERS)})")
    by_device = [name for name, dev in DEVICES.items() if dev == args.device]
    names = list(dict.fromkeys(args.ladders + by_device)) or list(LADDERS)
    rows = run_ladders(names, args.size, args.rounds)
    if not rows:
        print("no ladder could run on this machine")
        return 1
    import matplotlib
    matplotlib.use("Agg")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    gpu_rows = [r for r in rows if r.ladder == "cuda"]
    if gpu_rows:
        from ch3_brrr.ladders.common_cuda import draw_roofline as draw_gpu_roofline
        draw_gpu_roofline(gpu_rows, Path(args.out) / "roofline_cuda.png")
        print(f"\nGPU roofline: {Path(args.out) / 'roofline_cuda.png'}")
    cpu_rows = [r for r in rows if r.ladder != "cuda"]
    if cpu_rows:
        peak = cpu_peak(cpu_rows)
        if any(r.ladder == "c" for r in cpu_rows):  # the C ladder ran: the compiler is here
            print("\n=== the memory-bound end: elementwise add of 2^24 float32 ===")
            extra = elementwise_rows(rounds=args.rounds or 5)
            print(format_table(extra))
            cpu_rows += extra
        bandwidth = measure_bandwidth()
        path = Path(args.out) / "roofline.png"
        draw_roofline(cpu_rows, bandwidth, peak).savefig(path, dpi=120)
        print(f"\nmemory bandwidth (copy): {bandwidth:.1f} GB/s; roofline: {path}")
    if args.gpt:
        ran = [DEVICES[name] for name in names if any(r.ladder == name for r in rows)]
        print("\n=== ch2's GPT, one training step (batch 32, 16 tokens) ===")
        print(gpt_step_table(ran))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
