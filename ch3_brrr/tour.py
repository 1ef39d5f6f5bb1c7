"""Chapter 3's part of `singsys demo`: the kernel ladders here, and a ch2 GPT on our kernels.

tour(out_dir) runs every matmul ladder this machine can (C always; WGSL and CUDA where their
device opens) at a modest size, saves the roofline (roofline.png) into out_dir, then trains the
chapter 2 GPT for a few steps on "cpu" and on each of our devices ("c", "wgpu", "cuda") that is
registered, from the same weights on the same batches, and reports the loss each device reached
and its time per step (the same losses, to rounding, say the devices agree). A few minutes
on 2 cores, most of it the WGSL device on the CPU adapter.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

from ch3_brrr.bench import cpu_peak, draw_roofline, elementwise_rows, run_ladders
from ch3_brrr.ladders.common import Row, measure_bandwidth
from ch3_brrr.runtime import get_device


def ladders(out_dir: Path, size: int) -> tuple[list[Row], dict[str, str]]:
    """Every available ladder at size^3, the roofline saved; summary rows per ladder."""
    rows = run_ladders(["c", "wgsl", "cuda"], size)
    if not rows:  # no compiler, no adapter, no GPU: run_ladders said why
        return rows, {"kernel ladders": "none could run here"}
    if any(r.ladder == "c" for r in rows):
        rows += elementwise_rows(n=1 << 22, rounds=3)
    import matplotlib
    matplotlib.use("Agg")
    draw_roofline(rows, measure_bandwidth(1 << 26), cpu_peak(rows)).savefig(
        out_dir / "roofline.png", dpi=120)
    summary = {"roofline": str(out_dir / "roofline.png")}
    for ladder in dict.fromkeys(r.ladder for r in rows):
        # the rungs proper: not the baseline row, not the memory-bound add
        rungs = [r for r in rows if r.ladder == ladder and r.seconds != r.baseline
                 and r.rung != "add_f32"]
        if rungs:
            best = max(rungs, key=lambda r: r.gflops)
            summary[f"{ladder} matmul, best rung at {size}^3"] = (
                f"{best.rung}: {best.gflops:.1f} GFLOP/s, {best.pct:.0f}% of the baseline")
    return rows, summary


def train_on_devices(steps: int) -> dict[str, str]:
    """The ch2 GPT trained from the same start on "cpu" and on each ch3 device registered."""
    import ch2_lego
    from ch2_lego.data import CharTokenizer, load_names, padded_sequences, split_words
    from ch2_lego.models import gpt
    from ch2_lego.models.train import train_lm

    devices = ["cpu"]
    for name in ("c", "wgpu", "cuda"):
        try:
            importlib.import_module(f"ch3_brrr.device_{name}")
            get_device(name)  # opens the backend: a missing compiler or driver shows here
            devices.append(name)
        except Exception as e:  # a backend that cannot open here: say why, go on
            print(f"device {name!r} skipped: {e}")
    words = load_names()
    tok = CharTokenizer(words)
    x, y = padded_sequences(split_words(words)[0], tok, block_size=16)
    summary = {}
    for device in devices:
        ch2_lego.manual_seed(0)
        model = gpt.GPT(gpt.GPTConfig(block_size=16, vocab_size=tok.vocab_size)).to(device)
        start = time.perf_counter()
        losses = train_lm(model, x, y, steps, batch_size=32, lr=3e-3, warmup=5,
                          desc=f"ch3 GPT on {device}")
        per_step = (time.perf_counter() - start) / steps
        summary[f"ch2 GPT on {device!r}"] = (f"loss {losses[-1]:.4f} after {steps} steps, "
                                            f"{per_step * 1e3:.0f} ms/step")
    return summary


def tour(out_dir: Path, size: int = 512, steps: int = 10) -> dict[str, str]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _, summary = ladders(out_dir, size)
    summary.update(train_on_devices(steps))
    return summary
