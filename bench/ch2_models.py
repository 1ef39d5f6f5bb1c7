"""Benchmark: the chapter-2 language models trained in ch2_lego and in PyTorch, side by side.

Both libraries train the very same model file (models/twin.py runs it on torch), from the same
initial weights (copied), on the same batches in the same order (drawn with numpy), with the
same AdamW, schedule and clipping. Reported: validation loss after the same number of steps
(goal: within 2% of PyTorch's) and training speed, steps/s and its ratio to PyTorch eager
(goal: within 2x).

    .venv/bin/python bench/ch2_models.py [--mlp-steps 2000] [--gpt-steps 300] [--threads 1]
"""

import argparse
import os
import platform
import time

# One BLAS thread, like torch.set_num_threads(1) below: on a small shared CPU, spinning BLAS
# threads slow tiny matmuls down by an order of magnitude. Set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

import ch2_lego  # noqa: E402
from ch2_lego.data import (  # noqa: E402
    CharTokenizer,
    context_windows,
    load_names,
    padded_sequences,
    split_words,
)
from ch2_lego.models.train import evaluate_lm, train_lm  # noqa: E402
from ch2_lego.models.twin import copy_weights, load_with  # noqa: E402


def run_pair(module_name, build, train_xy, val_xy, steps, **train_args):
    """Train the ch2_lego model and its torch twin; returns one result dict per library."""
    ch2_lego.manual_seed(0)
    ours = build(load_with(module_name, ch2_lego))
    ref = build(load_with(module_name, torch))
    copy_weights(ours, ref, torch)
    results = {}
    for lib, model in ((ch2_lego, ours), (torch, ref)):
        start = time.perf_counter()
        losses = train_lm(model, *train_xy, steps=steps, lib=lib,
                          desc=f"{module_name.split('.')[-1]} [{lib.__name__}]", **train_args)
        seconds = time.perf_counter() - start
        results[lib.__name__] = {"val": evaluate_lm(model, *val_xy, lib=lib),
                                 "train": sum(losses[-50:]) / len(losses[-50:]),
                                 "steps_s": steps / seconds, "model": model}
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mlp-steps", type=int, default=2000)
    parser.add_argument("--gpt-steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (numpy's BLAS gets 1 unless "
                             "OPENBLAS_NUM_THREADS says otherwise)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    words = load_names()
    train_words, val_words, _ = split_words(words)
    tok = CharTokenizer(words)

    rows = []
    mlp = run_pair(
        "ch2_lego.models.mlp_lm",
        lambda m: m.MLPLanguageModel(tok.vocab_size, block_size=3, n_embd=16, n_hidden=128),
        context_windows(train_words, tok, 3), context_windows(val_words, tok, 3),
        args.mlp_steps, batch_size=64, lr=1e-2, warmup=100,
    )
    rows.append(("MLP LM (T=3, C=16, H=128)", args.mlp_steps, mlp))
    gpt = run_pair(
        "ch2_lego.models.gpt",
        lambda m: m.GPT(m.GPTConfig(block_size=16, vocab_size=tok.vocab_size, n_layer=2,
                                    n_head=4, n_embd=64)),
        padded_sequences(train_words, tok, 16), padded_sequences(val_words, tok, 16),
        args.gpt_steps, batch_size=32, lr=3e-3, warmup=30,
    )
    rows.append(("GPT (L=2, H=4, C=64, T=16)", args.gpt_steps, gpt))

    print(f"\nmachine: {platform.machine()} CPU, Python {platform.python_version()}, "
          f"torch {torch.__version__} ({args.threads} thread(s))")
    header = ("model", "steps", "val loss lego", "val loss torch", "loss ratio",
              "steps/s lego", "steps/s torch", "time ratio")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, steps, res in rows:
        ours, ref = res["ch2_lego"], res["torch"]
        print(f"| {name} | {steps} | {ours['val']:.4f} | {ref['val']:.4f} | "
              f"{ours['val'] / ref['val']:.3f} | {ours['steps_s']:.1f} | {ref['steps_s']:.1f} | "
              f"{ref['steps_s'] / ours['steps_s']:.2f}x |")

    gen = ch2_lego.Generator().manual_seed(42)
    mlp_mod = load_with("ch2_lego.models.mlp_lm", ch2_lego)
    gpt_mod = load_with("ch2_lego.models.gpt", ch2_lego)
    print("\nMLP LM samples:", ", ".join(
        tok.decode(s) for s in mlp_mod.sample(mlp["ch2_lego"]["model"], 10, generator=gen)))
    print("GPT samples:   ", ", ".join(
        tok.decode(s) for s in gpt_mod.sample(gpt["ch2_lego"]["model"], 10, generator=gen)))


if __name__ == "__main__":
    main()
