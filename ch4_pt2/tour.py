"""Chapter 4's part of `singsys demo`: chapter 2's GPT compiled into fused C kernels.

tour(out_dir) compiles the GPT's forward pass (batch 16) with ch4_pt2.compile, checks it against
eager ch2, times both (median of a few calls; bench/ch4_gpt.py is the careful, one-thread
measurement against PyTorch too), saves the C source of the fused MLP
kernel to out_dir/fused_mlp_kernel.c and the whole plan to out_dir/plan.txt, and returns summary
rows for the demo's table. A minute or so, most of it the C compiler's first run.
"""

import statistics
import time
from pathlib import Path

import numpy as np

import ch2_lego
import ch4_pt2
from ch2_lego.models.gpt import GPT, GPTConfig
from ch4_pt2.plan import explain_plan


def median_ms(fn, calls: int = 5, rounds: int = 5) -> float:
    fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls * 1e3)
    return statistics.median(times)


def tour(out_dir: Path) -> dict[str, str]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ch2_lego.manual_seed(0)
    config = GPTConfig(block_size=16, vocab_size=27, n_layer=2, n_head=4, n_embd=64)
    eager = GPT(config).eval()
    lazy = GPT(config)
    lazy.load_state_dict(eager.state_dict())
    lazy = lazy.to("lazy").eval()
    forward = ch4_pt2.compile(lambda idx: lazy(idx)[0])
    idx = ch2_lego.randint(0, config.vocab_size, (16, config.block_size))

    print("compiling the GPT's forward pass (the C compiler runs once per kernel)...", flush=True)
    with ch2_lego.no_grad():
        error = np.abs(forward(idx).numpy() - eager(idx)[0].numpy()).max()
        plan = next(iter(forward.traces.values())).plan
        eager_ms = median_ms(lambda: eager(idx))
        compiled_ms = median_ms(lambda: forward(idx))

    fused = next(src for src in plan.sources if src and "tanh_f32(" in src.split("void")[-1])
    (out_dir / "fused_mlp_kernel.c").write_text(fused)
    (out_dir / "plan.txt").write_text(explain_plan(plan))
    print(f"{plan.kernel_count} kernels; eager {eager_ms:.2f} ms, compiled {compiled_ms:.2f} ms")
    return {
        "GPT forward kernels": f"{plan.kernel_count} fused C kernels (batch 16)",
        "GPT forward speed-up": f"{eager_ms / compiled_ms:.2f}x over ch2 eager "
                                f"({compiled_ms:.2f} ms vs {eager_ms:.2f} ms)",
        "max |compiled - eager|": f"{error:.1e}",
        "fused kernel source": str(out_dir / "fused_mlp_kernel.c"),
    }
