"""Code quality: RV32I instructions executed by the benchmark programs, ours against GNU gcc.

For each C program of bench/programs/: the instructions the emulator executes to run it to its
exit (the runtime's too: crt0, putchar, the multiply and divide helpers), built four ways: our
compiler at -O0 and -O1, and GNU gcc for rv32i at -O0 and -O1 (assembled and linked by GNU
binutils with our runtime, so every column calls the same helpers). All four must print the
same output, or the table is not printed. gcc's columns are skipped, with a note, where
riscv64-unknown-elf-gcc is not installed (Debian: gcc-riscv64-unknown-elf).
Goals (issue 15): our -O1 below gcc -O0, and at most 1.5x gcc -O1.

    .venv/bin/python bench/appendix_codegen.py
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from appendix_ctoriscv import emu
from appendix_ctoriscv.main import compile_executable
from appendix_ctoriscv.runtime import RUNTIME_DIR, RUNTIME_FILES

PROGRAMS = Path(__file__).resolve().parent / "programs"
GCC = shutil.which("riscv64-unknown-elf-gcc")
GNU_LD = shutil.which("riscv64-unknown-elf-ld")
GCC_FLAGS = ["-march=rv32i", "-mabi=ilp32", "-ffreestanding", "-fno-builtin", "-w"]


def ours(source: str, name: str, level: int) -> emu.RunResult:
    _, elf = compile_executable(source, name, opt_level=level)
    return emu.run(elf, max_steps=10**9)


def gcc(path: Path, level: int, tmp: Path) -> emu.RunResult:
    """Build with GNU gcc -O<level> for rv32i, link with our runtime by GNU ld, and run."""
    objects = [tmp / f"prog{level}.o"]
    subprocess.run([GCC, *GCC_FLAGS, f"-O{level}", "-c", "-o", str(objects[0]), str(path)],
                   check=True)  # fmt: skip
    for name in RUNTIME_FILES:
        objects.append(tmp / f"{Path(name).name}.o")  # names may be absolute paths
        if not objects[-1].exists():
            subprocess.run([GCC, *GCC_FLAGS, "-c", "-o", str(objects[-1]),
                            str(RUNTIME_DIR / name)], check=True)  # fmt: skip
    exe = tmp / f"prog{level}"
    # --no-relax: our crt0 does not set up gp, which relaxed gp-relative addressing would need
    subprocess.run([GNU_LD, "-m", "elf32lriscv", "--no-relax", "-o", str(exe),
                    *map(str, objects)], check=True)  # fmt: skip
    return emu.run(exe.read_bytes(), max_steps=10**9)


def measure() -> list[dict]:
    rows = []
    for path in sorted(PROGRAMS.glob("*.c")):
        source = path.read_text()
        runs = {"ours -O0": ours(source, path.name, 0), "ours -O1": ours(source, path.name, 1)}
        if GCC and GNU_LD:
            with tempfile.TemporaryDirectory() as tmp:
                runs["gcc -O0"] = gcc(path, 0, Path(tmp))
                runs["gcc -O1"] = gcc(path, 1, Path(tmp))
        outputs = {(r.stdout, r.exit_code) for r in runs.values()}
        if len(outputs) != 1:
            sys.exit(f"{path.name}: the builds disagree: "
                     + ", ".join(f"{k}: {r.stdout!r}" for k, r in runs.items()))
        rows.append({"program": path.stem, **{k: r.steps for k, r in runs.items()}})
    return rows


def table(rows: list[dict]) -> str:
    has_gcc = "gcc -O1" in rows[0]
    head = ["program", "ours -O0", "ours -O1"] + (["gcc -O0", "gcc -O1", "O1 / gcc -O0",
                                                   "O1 / gcc -O1"] if has_gcc else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["program"], f"{r['ours -O0']:,}", f"{r['ours -O1']:,}"]
        if has_gcc:
            cells += [f"{r['gcc -O0']:,}", f"{r['gcc -O1']:,}",
                      f"{r['ours -O1'] / r['gcc -O0']:.2f}", f"{r['ours -O1'] / r['gcc -O1']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    if not has_gcc:
        lines.append("\n(gcc columns skipped: riscv64-unknown-elf-gcc is not installed)")
    return "\n".join(lines)


def main() -> None:
    rows = measure()
    version = subprocess.run([GCC, "--version"], capture_output=True, text=True).stdout.split(
        "\n")[0] if GCC else "none"
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, gcc: {version}")
    print("RV32I instructions executed, program start to exit (lower is better)\n")
    print(table(rows))


if __name__ == "__main__":
    main()
