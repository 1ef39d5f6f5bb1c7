"""The appendix's part of `singsys demo`: compile C programs and run them on the RV32I emulator.

tour(out_dir) compiles a prime sieve, runs it, then times recursive fib(n) for growing n in
emulated instructions at -O0 and -O1 and plots those counts (they grow as the golden ratio to
the n). Returns the rows of the demo's summary table. CPU only, a few seconds.
"""

from __future__ import annotations

import pathlib
import time

from appendix_ctoriscv import emu
from appendix_ctoriscv.main import compile_executable

SIEVE = r"""
int putchar(int c);
char composite[100];

void print_number(int n) {
    if (n >= 10)
        print_number(n / 10);
    putchar('0' + n % 10);
}

int main() {
    int i, j, count = 0;
    for (i = 2; i < 100; i++) {
        if (composite[i])
            continue;
        count++;
        print_number(i);
        putchar(' ');
        for (j = i * i; j < 100; j += i)
            composite[j] = 1;
    }
    putchar('\n');
    return count;
}
"""

FIB = r"""
int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int main() { return fib(N) & 255; }
"""


def tour(out_dir: pathlib.Path) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    _, elf = compile_executable(SIEVE, "sieve.c")
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    sieve = emu.run(elf)
    run_s = time.perf_counter() - start

    ns, steps, steps_o1 = list(range(1, 23)), [], []
    for n in tqdm(ns, desc="appendix: fib(n) on the emulator"):
        _, elf = compile_executable(FIB.replace("N", str(n)), "fib.c")
        start = time.perf_counter()
        steps.append(emu.run(elf).steps)
        fib_s = time.perf_counter() - start
        _, elf = compile_executable(FIB.replace("N", str(n)), "fib.c", opt_level=1)
        steps_o1.append(emu.run(elf).steps)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(ns, steps, "o-", label="-O0")
    ax.semilogy(ns, steps_o1, "s-", label="-O1")
    ax.legend()
    ax.set_xlabel("n")
    ax.set_ylabel("RV32I instructions executed")
    ax.set_title("recursive fib(n), compiled by appendix_ctoriscv")
    fig.tight_layout()
    fig.savefig(out_dir / "appendix_fib_steps.png", dpi=120)
    plt.close(fig)

    return {
        "program output": " ".join(sieve.stdout.decode().split()[:16]) + " ...",
        "primes below 100 (exit code)": str(sieve.exit_code),
        "emulated instructions": f"{sieve.steps:,}",
        "compile / run time": f"{compile_s * 1000:.0f} ms / {run_s * 1000:.0f} ms",
        "fib(22) instructions": f"{steps[-1]:,} (x{steps[-1] / steps[-2]:.2f} per n)",
        "fib(22) instructions at -O1": f"{steps_o1[-1]:,} ({steps_o1[-1] / steps[-1]:.2f}x -O0)",
        "emulator speed on fib(22)": f"{steps[-1] / fib_s / 1e6:.1f} M instructions/s",
    }
