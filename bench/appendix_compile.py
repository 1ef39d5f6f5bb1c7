"""Compiler speed and code quality: appendix_ctoriscv against gcc on the test suite's C programs.

For each program of tests/appendix_ctoriscv/c/: the time to compile C to assembly (ours, in
Python, against `gcc -S -O0` for the host, in the same run), the lines of assembly each writes,
and the RV32I instructions our executable runs on the emulator. The baseline is the host's gcc
(x86-64 code, so its line counts compare only roughly): a RISC-V gcc is not assumed.

    .venv/bin/python bench/appendix_compile.py
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from appendix_ctoriscv import emu
from appendix_ctoriscv.main import compile_c, compile_executable

C_DIR = Path(__file__).resolve().parent.parent / "tests" / "appendix_ctoriscv" / "c"
REPEAT = 5


def best_time(fn, *args, **kwargs) -> float:
    """The fastest of REPEAT runs of fn(*args, **kwargs), in seconds: the least disturbed."""
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times)


def gcc_compile(path: Path, out: Path) -> str:
    subprocess.run(["gcc", "-S", "-O0", "-std=gnu99", "-w", f"-I{C_DIR}", "-o", str(out),
                    str(path)], check=True)  # fmt: skip
    return out.read_text()


def main() -> None:
    have_gcc = shutil.which("gcc") is not None
    print(f"{'program':<12} {'ours ms':>8} {'gcc ms':>8} {'ratio':>6} {'our .s':>7} "
          f"{'gcc .s':>7} {'RV32I steps':>12}")  # fmt: skip
    total_ours = total_gcc = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.s"
        for path in sorted(C_DIR.glob("*.c")):
            std = "c89" if path.stem == "c89" else "c99"
            text = path.read_text()
            ours = best_time(compile_c, text, str(path), std=std)
            our_lines = len(compile_c(text, str(path), std=std).splitlines())
            _, exe = compile_executable(text, str(path), std=std)
            stdin_path = path.with_suffix(".stdin")
            stdin = stdin_path.read_bytes() if stdin_path.exists() else b""
            steps = emu.run(exe, stdin=stdin).steps
            if have_gcc:
                theirs = best_time(gcc_compile, path, out)
                gcc_lines = len(gcc_compile(path, out).splitlines())
            else:
                theirs, gcc_lines = float("nan"), 0
            total_ours, total_gcc = total_ours + ours, total_gcc + theirs
            print(f"{path.stem:<12} {ours * 1e3:8.1f} {theirs * 1e3:8.1f} {ours / theirs:6.2f} "
                  f"{our_lines:7d} {gcc_lines:7d} {steps:12,d}")  # fmt: skip
    print(f"{'total':<12} {total_ours * 1e3:8.1f} {total_gcc * 1e3:8.1f} "
          f"{total_ours / total_gcc:6.2f}")  # fmt: skip
    print("ours: tokenize + preprocess + parse + types + codegen, in-process; gcc: a whole "
          "`gcc -S -O0` process for x86-64, start-up included")


if __name__ == "__main__":
    main()
