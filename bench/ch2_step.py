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


def llama(m, vocab_size: int = VOCAB):
    return m.Llama(m.LlamaConfig(block_size=16, vocab_size=vocab_size, n_layer=2, n_head=4,
                                 n_kv_head=2, n_embd=64, hidden=176))


def mlp(m):
    return m.MLPLanguageModel(VOCAB, block_size=3, n_embd=16, n_hidden=128)


def nanogpt_style(lib):
    """A nanoGPT-style model class written the ordinary way against library `lib` (torch-like):
    exact GELU, fused causal attention, tied embeddings. Shapes: idx (B,T) -> logits (B,T,V)."""
    nn, F = lib.nn, lib.nn.functional

    class Attention(nn.Module):
        def __init__(self, n_embd, n_head):
            super().__init__()
            self.n_head = n_head
            self.c_attn, self.c_proj = nn.Linear(n_embd, 3 * n_embd), nn.Linear(n_embd, n_embd)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.c_attn(x).split(C, dim=2)
            q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                       for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class Block(nn.Module):
        def __init__(self, n_embd, n_head):
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)
            self.attn = Attention(n_embd, n_head)
            self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(),
                                     nn.Linear(4 * n_embd, n_embd))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class NanoGPT(nn.Module):
        def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd):
            super().__init__()
            self.wte = nn.Embedding(vocab_size, n_embd)
            self.wpe = nn.Embedding(block_size, n_embd)
            self.h = nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd)
            self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
            self.lm_head.weight = self.wte.weight  # weight tying, as nanoGPT

        def forward(self, idx, targets):
            pos = lib.arange(idx.shape[1])
            x = self.wte(idx) + self.wpe(pos)
            for block in self.h:
                x = block(x)
            logits = self.lm_head(self.ln_f(x))
            return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))

    return NanoGPT


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
    parser.add_argument("--only", default="", help="run only the models whose name contains this")
    parser.add_argument("--train", type=int, default=0, metavar="STEPS",
                        help="then train the Llama this many steps on the names in both "
                             "libraries and report the validation losses")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)

    def nano(lib):
        return nanogpt_style(lib)(65, 32, n_layer=2, n_head=4, n_embd=64)
    # name: (build from a library, batch shape, target shape, steps per block)
    cases = {
        "GPT (L=2, H=4, C=64, T=16), batch 32":
            (lambda lib: gpt(load_with("ch2_lego.models.gpt", lib)), (32, 16), (32, 16), 1),
        "nanoGPT-style (L=2, H=4, C=64, T=32, exact GELU, SDPA), batch 16":
            (nano, (16, 32), (16, 32), 1),
        "Llama (L=2, H=4, Hkv=2, C=64, F=176, T=16), batch 32":
            (lambda lib: llama(load_with("ch2_lego.models.llama", lib)), (32, 16), (32, 16), 1),
        "MLP LM (T=3, C=16, H=128), batch 64":
            (lambda lib: mlp(load_with("ch2_lego.models.mlp_lm", lib)), (64, 3), (64,), 5),
    }
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"machine: {platform.machine()} CPU ({cpu_name()}), Python {platform.python_version()}, "
          f"torch {torch.__version__}, one thread; ch2_lego from "
          f"{os.path.dirname(ch2_lego.__file__)}; {when}")
    print("| model | ch2_lego ms/step | torch ms/step | ratio |")
    print("|---|---:|---:|---:|")
    for name, (build, shape, target_shape, scale) in cases.items():
        if args.only and args.only.lower() not in name.lower():
            continue
        ch2_lego.manual_seed(0)
        torch.manual_seed(0)
        try:
            ours, ref = build(ch2_lego), build(torch)
        except (ImportError, AttributeError):  # an older ch2_lego, run for a before/after pair
            print(f"| {name} | (not in this version) | | |")
            continue
        copy_weights(ours, ref, torch)
        vocab = ours.lm_head.weight.shape[0] if hasattr(ours, "lm_head") else VOCAB
        x = rng.integers(0, vocab, shape)
        y = rng.integers(0, vocab, target_shape)
        ms = best_ms({"lego": step_fn(ch2_lego, ours, x, y), "torch": step_fn(torch, ref, x, y)},
                     args.blocks, scale * args.steps)
        ratio = ms["lego"] / ms["torch"]
        print(f"| {name} | {ms['lego']:.2f} | {ms['torch']:.2f} | {ratio:.2f} |", flush=True)
    if args.train:
        train_llama(args.train)


def train_llama(steps: int) -> None:
    """Train the Llama in ch2_lego and in torch from the same weights on the same batches of the
    shipped names (as bench/ch2_models.py trains the GPT); print validation losses, samples."""
    from ch2_models import run_pair  # bench/ is the script's directory

    from ch2_lego.data import CharTokenizer, load_names, padded_sequences, split_words

    words = load_names()
    train_words, val_words, _ = split_words(words)
    tok = CharTokenizer(words)
    res = run_pair("ch2_lego.models.llama", lambda m: llama(m, tok.vocab_size),
                   padded_sequences(train_words, tok, 16),
                   padded_sequences(val_words, tok, 16), steps, batch_size=32, lr=3e-3,
                   warmup=30, progress=False)
    ours, ref = res["ch2_lego"], res["torch"]
    print(f"\n| Llama, {steps} steps | val loss ch2_lego | val loss torch | loss ratio |")
    print("|---|---:|---:|---:|")
    print(f"| names, batch 32, AdamW lr 3e-3 | {ours['val']:.4f} | {ref['val']:.4f} | "
          f"{ours['val'] / ref['val']:.3f} |")
    module = load_with("ch2_lego.models.llama", ch2_lego)
    gen = ch2_lego.Generator().manual_seed(42)
    print("\nLlama samples (KV cache):", ", ".join(
        tok.decode(s) for s in module.sample(ours["model"], 10, generator=gen)))


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else the platform's processor string."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"

if __name__ == "__main__":
    main()
