"""Benchmark: chapter 2's GPT compiled by ch4_pt2 (C kernels) against ch2 eager, PyTorch eager
and torch.compile (inductor), all on the CPU, in the same run.

Workloads: inference forward passes at batch 1 and 16 (no grad, eval mode), and a training step
(forward, backward, AdamW) at batch 32. The model is bench/ch2_models.py's GPT
(L=2, H=4, C=64, T=16, 27 symbols), with the same weights in every library. Ours runs through
`ch4_pt2.compile`: traced twice, then its plan replayed; its AdamW is capturable=True (the step
count a tensor, so every step is the same graph), the others' the default (Python numbers).
Reported: median milliseconds per call over interleaved rounds (the process's CPU time unless
--wall: on a shared machine the wall clock also counts other jobs' turns), ratios, and kernel
counts (ours per call; inductor's generated kernels per compiled graph, its matmuls being
library calls; ours are library calls too, counted as kernels since their epilogues run in them).
In the training step torch.compile compiles the model (forward and backward) and torch's AdamW
runs eagerly after it; ours compiles the whole step, so our count includes AdamW's kernels.
Every contender's output is checked against ch2 eager first. One thread everywhere.

    .venv/bin/python bench/ch4_gpt.py [--rounds 7] [--calls 10] [--no-inductor] [--wall]
"""

import argparse
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
from ch2_lego.models.twin import copy_weights, load_with  # noqa: E402

CONFIG = dict(block_size=16, vocab_size=27, n_layer=2, n_head=4, n_embd=64)


def models():
    """ch2 eager, ours (the same weights on "lazy") and the torch twin."""
    ch2_lego.manual_seed(0)
    gpt = load_with("ch2_lego.models.gpt", ch2_lego)
    eager = gpt.GPT(gpt.GPTConfig(**CONFIG))
    lazy = gpt.GPT(gpt.GPTConfig(**CONFIG))
    lazy.load_state_dict(eager.state_dict())
    lazy.to("lazy")
    tgpt = load_with("ch2_lego.models.gpt", torch)
    ref = tgpt.GPT(tgpt.GPTConfig(**CONFIG))
    copy_weights(eager, ref, torch)
    return eager, lazy, ref


def batch(b, seed):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, CONFIG["vocab_size"], (b, CONFIG["block_size"])),
            rng.integers(0, CONFIG["vocab_size"], (b, CONFIG["block_size"])))


def inductor_kernels(fn, *args) -> int:
    """Kernels inductor generates for fn (compiled on this first call)."""
    import torch._inductor.metrics as metrics
    metrics.reset()
    fn(*args)
    return metrics.generated_kernel_count


def forward_contenders(b, inductor):
    eager, lazy, ref = models()
    for m in (eager, lazy, ref):
        m.eval()
    x, _ = batch(b, 0)
    xl, xt = ch2_lego.tensor(x), torch.tensor(x)
    ours = ch4_pt2.compile(lambda idx: lazy(idx)[0])
    with ch2_lego.no_grad(), torch.no_grad():
        want = eager(xl)[0].numpy()
        got = ours(xl).numpy()
        plan = next(iter(ours.traces.values())).plan
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(ref(xt)[0].numpy(), want, rtol=1e-4, atol=1e-5)
    runs = {
        "ch2 eager": lambda: eager(xl),
        "ch4 compiled": lambda: ours(xl),
        "torch eager": lambda: ref(xt),
    }
    counts = {"ch4 compiled": plan.kernel_count}
    if inductor:
        compiled = torch.compile(ref)
        with torch.no_grad():
            counts["torch.compile"] = inductor_kernels(compiled, xt)
            np.testing.assert_allclose(compiled(xt)[0].numpy(), want, rtol=1e-4, atol=1e-5)
        runs["torch.compile"] = lambda: compiled(xt)
    return runs, counts


def train_contenders(b, inductor):
    eager, lazy, ref = models()
    x, y = batch(b, 1)
    opts = {name: lib.optim.AdamW(m.parameters(), lr=1e-3, **kw) for name, lib, m, kw in
            (("eager", ch2_lego, eager, {}), ("lazy", ch2_lego, lazy, {"capturable": True}),
             ("torch", torch, ref, {}))}

    def step(model, opt, xs, ys):
        opt.zero_grad()
        _, loss = model(xs, ys)
        loss.backward()
        opt.step()
        return loss

    xl, yl, xt, yt = ch2_lego.tensor(x), ch2_lego.tensor(y), torch.tensor(x), torch.tensor(y)
    # one uncompiled step each creates the moments; compile from the second on
    losses = [step(eager, opts["eager"], xl, yl).item(),
              step(lazy, opts["lazy"], xl.to("lazy"), yl.to("lazy")).item(),
              step(ref, opts["torch"], xt, yt).item()]
    ours = ch4_pt2.compile(lambda xs, ys: step(lazy, opts["lazy"], xs, ys))
    losses += [step(eager, opts["eager"], xl, yl).item(), ours(xl, yl).item()]
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)
    np.testing.assert_allclose(losses[2], losses[0], rtol=1e-4)
    np.testing.assert_allclose(losses[4], losses[3], rtol=1e-4)
    for _ in range(2):  # the second trace (equal to the first) makes later calls replay
        ours(xl, yl)
    traced = next(iter(ours.traces.values()))
    assert traced.checked, "the compiled AdamW step is replayed, not traced every call"
    plan = traced.plan
    runs = {
        "ch2 eager": lambda: step(eager, opts["eager"], xl, yl),
        "ch4 compiled": lambda: ours(xl, yl),
        "torch eager": lambda: step(ref, opts["torch"], xt, yt),
    }
    counts = {"ch4 compiled": plan.kernel_count}
    if inductor:
        compiled = torch.compile(ref)
        counts["torch.compile"] = inductor_kernels(
            lambda: step(compiled, opts["torch"], xt, yt))
        runs["torch.compile"] = lambda: step(compiled, opts["torch"], xt, yt)
    return runs, counts


def time_rounds(runs: dict, rounds: int, calls: int, clock=time.process_time) -> dict:
    """Median ms per call; contenders interleaved round by round (the machine's load drifts).

    The clock is the process's CPU time by default: everything runs on one thread, so it is
    the work done, without the time other jobs of a shared machine hold the core."""
    for fn in runs.values():
        fn()  # warm
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            start = clock()
            for _ in range(calls):
                fn()
            times[name].append((clock() - start) / calls * 1e3)
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--no-inductor", action="store_true")
    parser.add_argument("--wall", action="store_true",
                        help="time by the wall clock, not the process's CPU time")
    args = parser.parse_args(argv)
    clock = time.perf_counter if args.wall else time.process_time
    torch.set_num_threads(1)
    inductor = not args.no_inductor
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__}, one thread, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"load average {os.getloadavg()[0]:.1f}, {'wall' if args.wall else 'CPU'} time")
    header = "| workload | ch2 eager ms | ch4 compiled ms | torch eager ms |"
    header += " torch.compile ms |" if inductor else ""
    header += " ch4 speed-up over ch2 eager | ch4 time / torch eager |"
    header += " ch4 time / inductor | kernels ch4 / inductor |" if inductor else " kernels ch4 |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name, make in (("forward, batch 1", lambda: forward_contenders(1, inductor)),
                       ("forward, batch 16", lambda: forward_contenders(16, inductor)),
                       ("training step, batch 32", lambda: train_contenders(32, inductor))):
        runs, counts = make()
        grad = "training" in name
        with torch.set_grad_enabled(grad), ch2_lego.set_grad_enabled(grad):
            ms = time_rounds(runs, args.rounds, args.calls, clock)
        row = [name, ms["ch2 eager"], ms["ch4 compiled"], ms["torch eager"]]
        row += [ms["torch.compile"]] if inductor else []
        ratios = [f"{ms['ch2 eager'] / ms['ch4 compiled']:.2f}x",
                  f"{ms['ch4 compiled'] / ms['torch eager']:.2f}x"]
        if inductor:
            ratios.append(f"{ms['ch4 compiled'] / ms['torch.compile']:.2f}x")
            ratios.append(f"{counts['ch4 compiled']} / {counts['torch.compile']}")
        else:
            ratios.append(str(counts["ch4 compiled"]))
        cells = [row[0]] + [f"{v:.3f}" for v in row[1:]] + ratios
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
