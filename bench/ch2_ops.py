"""Time common tensor ops and an MLP training step in ch2_lego against PyTorch eager on the CPU.

Both libraries run the same code in the same process (the library is a parameter), on the same
float32 data and with the same number of threads (BENCH_THREADS, default 1, so that a busy
machine hurts neither side more); each row is the best of several timed repeats after a warm-up.
The ratio is ch2_lego's time over PyTorch's: chapter 2's goal is under 2 for the MLP step.

    BENCH_THREADS=1 .venv/bin/python bench/ch2_ops.py [--repeat N]
"""

import os

# Thread pools read these once, when numpy and torch load: set them before the imports.
THREADS = os.environ.get("BENCH_THREADS", "1")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = THREADS

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ch2_lego  # noqa: E402

torch.set_num_threads(int(THREADS))

# *** 1. the workloads: each takes a library and returns a zero-argument step ***


def elementwise(lib, op):
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal(1 << 20).astype(np.float32))
    b = lib.tensor(rng.standard_normal(1 << 20).astype(np.float32))
    return (lambda: a + b) if op == "add" else (lambda: a * b)


def reduce_sum(lib):
    a = lib.tensor(np.random.default_rng(0).standard_normal((1024, 1024)).astype(np.float32))
    return lambda: a.sum()


def matmul(lib, n):
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((n, n)).astype(np.float32))
    b = lib.tensor(rng.standard_normal((n, n)).astype(np.float32))
    return lambda: a @ b


def softmax(lib):
    a = lib.tensor(np.random.default_rng(0).standard_normal((1024, 1024)).astype(np.float32))
    return lambda: a.softmax(-1)


def mlp_step(lib, batch=256, width=1024, depth=4, classes=10):
    """Forward and backward of a `depth`-layer ReLU MLP with a cross-entropy loss.

    Shapes: x (B, W), hidden (B, W), logits (B, classes); B = batch, W = width.
    """
    rng = np.random.default_rng(0)
    sizes = [width] * depth + [classes]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        w = (rng.uniform(-1, 1, (fan_out, fan_in)) / np.sqrt(fan_in)).astype(np.float32)
        params += [lib.tensor(w, requires_grad=True), lib.zeros(fan_out, requires_grad=True)]
    x = lib.tensor(rng.standard_normal((batch, width)).astype(np.float32))
    y = lib.tensor(rng.integers(0, classes, (batch, 1)))

    def step():
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i].T + params[i + 1]
            if i + 2 < len(params):
                h = h.relu()
        loss = -h.log_softmax(-1).gather(1, y).mean()
        for p in params:
            p.grad = None
        loss.backward()
        return loss

    return step


WORKLOADS = {
    "add 1M float32": lambda lib: elementwise(lib, "add"),
    "mul 1M float32": lambda lib: elementwise(lib, "mul"),
    "sum 1024x1024": reduce_sum,
    "matmul 512": lambda lib: matmul(lib, 512),
    "matmul 1024": lambda lib: matmul(lib, 1024),
    "softmax 1024x1024": softmax,
    "MLP fwd+bwd (4x1024, B=256)": mlp_step,
}


# *** 2. timing ***


def time_ms(step, repeat):
    """Best wall time of `step()` in milliseconds over `repeat` calls, after two warm-ups."""
    step()
    step()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return min(times)


def check(name, ours, ref):
    """Refuse to time a wrong answer: results agree to float32 accuracy."""
    ours, ref = ours.detach().numpy(), ref.detach().numpy()
    if ours.shape != ref.shape or not np.allclose(ours, ref, rtol=1e-3, atol=1e-3):
        raise SystemExit(f"{name}: ch2_lego disagrees with torch")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.machine()}, Python {platform.python_version()}, torch "
        f"{torch.__version__}, {THREADS} thread(s) for numpy and torch"
    )
    print(f"| {'workload':<28} | {'ch2_lego ms':>11} | {'torch ms':>9} | {'ratio':>6} |")
    print(f"|{'-' * 30}|{'-' * 12}:|{'-' * 10}:|{'-' * 7}:|")
    for name, make in WORKLOADS.items():
        ours_step, ref_step = make(ch2_lego), make(torch)
        check(name, ours_step(), ref_step())
        ours, ref = time_ms(ours_step, args.repeat), time_ms(ref_step, args.repeat)
        print(f"| {name:<28} | {ours:>11.3f} | {ref:>9.3f} | {ours / ref:>6.2f} |")


if __name__ == "__main__":
    main()
