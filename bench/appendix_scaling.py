"""Inputs that used to take time out of proportion to their size, against gcc in the same run.

Each case is one C program that once was slow for us (issue 15): a 3000-case switch (compiled
twice for its far branches, a 3000-deep chain of compare blocks for -O1's dominator analysis,
150,000 lines for the assembler) and chains of 8000 #defines (every level's hideset copied and
kept alive). We time C source -> linked executable with the runtime (tokenize ... assemble,
link), the least CPU time of REPEAT runs; the baseline is `gcc -c` of the same file for the
host at the same -O level, a whole process (its CPU time: driver, cc1 and as). Run it on an
older checkout (PYTHONPATH=that/tree) for the before.

    .venv/bin/python bench/appendix_scaling.py
"""

from __future__ import annotations

import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from appendix_ctoriscv.main import compile_executable
from appendix_ctoriscv.runtime import runtime_objects

REPEAT = 3


def switch_program(cases: int) -> str:
    body = "".join(f"case {3 * i}: c += {i}; break; " for i in range(cases))
    return ("int big(int c) { switch (c) { " + body + "default: c = 7; } return c; }\n"
            f"int main(void) {{ return big({3 * (cases - 1)}) % 256; }}\n")


def define_chain(n: int, function_like: bool) -> str:
    if function_like:
        lines = ["#define A0(x) (x + 1)"] + [f"#define A{i}(x) A{i - 1}(x)" for i in range(1, n)]
        use = f"A{n - 1}(41)"
    else:
        lines = ["#define A0 42"] + [f"#define A{i} A{i - 1}" for i in range(1, n)]
        use = f"A{n - 1}"
    return "\n".join(lines) + f"\nint main(void) {{ return {use}; }}\n"


CASES = [  # (name, source, -O level)
    ("switch, 3000 cases, -O0", switch_program(3000), 0),
    ("switch, 3000 cases, -O1", switch_program(3000), 1),
    ("8000 #defines in a chain", define_chain(8000, False), 0),
    ("8000 function-like #defines", define_chain(8000, True), 0),
]


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (gcc): on a machine shared with
    other work, wall-clock time measures the neighbours as much as the program."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def best(fn, *args, **kwargs) -> float:
    """The least CPU time of REPEAT runs of fn(*args, **kwargs), in seconds."""
    times = []
    for _ in range(REPEAT):
        start = cpu_seconds()
        fn(*args, **kwargs)
        times.append(cpu_seconds() - start)
    return min(times)


def main() -> None:
    runtime_objects()  # the C library compiles once per process: not part of any timing
    gcc = shutil.which("gcc")
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")  # fmt: skip
    print(f"{'program':<30} {'ours cpu s':>10} {'gcc -c cpu s':>12} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, source, level in CASES:
            ours = best(compile_executable, source, "t.c", opt_level=level)
            theirs = float("nan")
            if gcc is not None:
                path = Path(tmp) / "t.c"
                path.write_text(source)
                command = [gcc, "-c", f"-O{level}", "-w", "-o", str(Path(tmp) / "t.o"), str(path)]
                theirs = best(subprocess.run, command, check=True)
            print(f"{name:<30} {ours:10.2f} {theirs:12.2f} {ours / theirs:7.1f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
