"""Benchmark: ch2's FUSED ops on device "c", its one-pass kernels (kernels/c/nn.c) against the
decompositions it ran before they were registered, in the same process.

"decomposed" is device "c" with its FUSED kernels taken out of its kernel table, so ch2 runs the
compositions of decompositions.py on the other C kernels: exactly what "c" did before. Each
layer is timed forward and backward on a GPT-sized batch of rows, and then the training step of
the ch2 GPT (the demo's size, as `singsys bench --gpt`), in interleaved rounds, best CPU time of
each:

    .venv/bin/python bench/ch2_fused_ops.py [--rounds 15] [--gpt-rounds 8] [--steps 5]
"""

import argparse
import os
import platform
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import ch2_lego as lego  # noqa: E402
import ch2_lego.nn.functional as F  # noqa: E402
import ch3_brrr.device_c  # noqa: E402, F401  (registers "c")
from ch2_lego.backend import DEVICES, FUSED  # noqa: E402

C = DEVICES["c"]
KERNELS = {op: C.kernels[op] for op in FUSED}


def fused(on: bool):
    """Put the FUSED kernels of "c" in (on) or take them out (the decompositions run)."""
    for op, entry in KERNELS.items():
        if on:
            C.kernels[op] = entry
        else:
            C.kernels.pop(op, None)


def as_contender(fn, on: bool):
    def run():
        fused(on)
        try:
            return fn()
        finally:
            fused(True)
    return run


def best_cpu_seconds(contenders: dict, rounds: int) -> dict[str, float]:
    """Best process CPU time of each contender over interleaved rounds, after a warm-up each:
    CPU time, not wall time, as bench/ch2_step.py, since other jobs share this machine."""
    best = {}
    for fn in contenders.values():
        fn()
    for _ in range(rounds):
        for name, fn in contenders.items():
            start = time.process_time()
            fn()
            best[name] = min(best.get(name, float("inf")), time.process_time() - start)
    return best


def layers(rows: int, cols: int) -> dict:
    """Forward and backward of each layer on (rows, cols) float32 on "c"."""
    rng = np.random.default_rng(0)
    x = lego.tensor(rng.standard_normal((rows, cols)).astype(np.float32), device="c",
                    requires_grad=True)
    w = lego.ones(cols, device="c", requires_grad=True)
    b = lego.zeros(cols, device="c", requires_grad=True)
    target = lego.tensor(rng.integers(0, cols, rows), device="c")
    return {
        "softmax": lambda: F.softmax(x, dim=-1).square().sum().backward(),
        "layer_norm": lambda: F.layer_norm(x, (cols,), w, b).square().sum().backward(),
        "cross_entropy": lambda: F.cross_entropy(x, target).backward(),
    }


def gpt_step(steps: int):
    from ch2_lego.data import CharTokenizer, load_names, padded_sequences, split_words
    from ch2_lego.models import gpt
    from ch2_lego.models.train import train_lm

    words = load_names()
    tok = CharTokenizer(words)
    x, y = padded_sequences(split_words(words)[0], tok, block_size=16)
    lego.manual_seed(0)
    model = gpt.GPT(gpt.GPTConfig(block_size=16, vocab_size=tok.vocab_size)).to("c")
    return lambda: train_lm(model, x, y, steps, progress=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds of each layer")
    parser.add_argument("--gpt-rounds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1024)
    parser.add_argument("--cols", type=int, default=768)
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, best of {args.rounds} "
          f"interleaved rounds ({args.gpt_rounds} for the GPT step), CPU time, one thread\n")
    print("| what | decomposed ms | fused ms | speedup |")
    print("|---|---:|---:|---:|")
    work = {f"{name} fwd+bwd ({args.rows}x{args.cols})": fn
            for name, fn in layers(args.rows, args.cols).items()}
    work[f"GPT training step (demo size), per step of {args.steps}"] = gpt_step(args.steps)
    for what, fn in work.items():
        gpt = what.startswith("GPT")
        best = best_cpu_seconds({"decomposed": as_contender(fn, False),
                                 "fused": as_contender(fn, True)},
                                args.gpt_rounds if gpt else args.rounds)
        per = args.steps if gpt else 1
        d, f = best["decomposed"] / per * 1e3, best["fused"] / per * 1e3
        print(f"| {what} | {d:.1f} | {f:.1f} | {d / f:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
