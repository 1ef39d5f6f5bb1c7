"""Benchmark: one training step of the chapter-2 models, ch2_lego against PyTorch, by CPU time.

A busy shared machine makes wall-clock rates swing by 2x between runs. This measures what one
process spends: `time.process_time` over blocks of steps, alternating the two libraries block by
block, keeping each library's best block. The step is the real one (forward, cross-entropy,
backward, clipping, AdamW) on a fixed batch, from the same weights (models/twin.py). Run two
versions of ch2_lego side by side (started together, so both see the same load) to compare them:

    .venv/bin/python bench/ch2_step.py [--blocks 8] [--steps 20]
    PYTHONPATH=/path/to/other/checkout .venv/bin/python bench/ch2_step.py
"""

import argparse
import os
import platform
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ch2_lego  # noqa: E402
from ch2_lego.models.twin import copy_weights, load_with  # noqa: E402

VOCAB = 27


def gpt(m):
    return m.GPT(m.GPTConfig(block_size=16, vocab_size=VOCAB, n_layer=2, n_head=4, n_embd=64))


def mlp(m):
    return m.MLPLanguageModel(VOCAB, block_size=3, n_embd=16, n_hidden=128)


def step_fn(lib, model, x, y):
    """A zero-argument training step of `model` on the batch (x, y), in library `lib`."""
    opt = lib.optim.AdamW(model.parameters(), lr=1e-3)
    xb, yb = lib.tensor(x), lib.tensor(y)

    def step():
        _, loss = model(xb, yb)
        opt.zero_grad()
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()
    return step


def best_ms(steps: dict, blocks: int, n: int) -> dict:
    """Per-step CPU milliseconds of each step function: best block of n, blocks interleaved."""
    best = {name: float("inf") for name in steps}
    for step in steps.values():  # warm-up: first calls allocate and build caches
        for _ in range(3):
            step()
    for _ in range(blocks):
        for name, step in steps.items():
            start = time.process_time()
            for _ in range(n):
                step()
            best[name] = min(best[name], (time.process_time() - start) / n * 1e3)
    return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    cases = {"GPT (L=2, H=4, C=64, T=16), batch 32": (gpt, "ch2_lego.models.gpt", (32, 16)),
             "MLP LM (T=3, C=16, H=128), batch 64": (mlp, "ch2_lego.models.mlp_lm", (64, 3))}
    print(f"machine: {platform.machine()} CPU, Python {platform.python_version()}, torch "
          f"{torch.__version__}, one thread; ch2_lego from {os.path.dirname(ch2_lego.__file__)}")
    print("| model | ch2_lego ms/step | torch ms/step | ratio |")
    print("|---|---:|---:|---:|")
    for name, (build, module, shape) in cases.items():
        ch2_lego.manual_seed(0)
        ours, ref = build(load_with(module, ch2_lego)), build(load_with(module, torch))
        copy_weights(ours, ref, torch)
        x = rng.integers(0, VOCAB, shape)
        y = rng.integers(0, VOCAB, shape if module.endswith("gpt") else shape[:1])
        ms = best_ms({"lego": step_fn(ch2_lego, ours, x, y), "torch": step_fn(torch, ref, x, y)},
                     args.blocks, args.steps if module.endswith("gpt") else 5 * args.steps)
        ratio = ms["lego"] / ms["torch"]
        print(f"| {name} | {ms['lego']:.2f} | {ms['torch']:.2f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
