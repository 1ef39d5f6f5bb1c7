"""Soft float: RV32I instructions per operation, our C routines against GNU libgcc's.

One small C program per operation (a loop of `x = x OP c` on floats or doubles, with volatile
operands so nothing folds), compiled by GNU gcc -O1 for rv32i, so that each operation is a call
to libgcc's name (__adddf3 ...). It is linked twice by GNU ld with our runtime: once with our
soft-float routines (runtime/libc/softfloat_*.c compiled by our compiler at -O1) first, once
with GNU's libgcc.a for rv32i/ilp32 instead, and run on our emulator. The instructions per
operation are the difference between 2N and N iterations, divided by N, so start-up and exit
cancel out (the loop's own few instructions remain in both columns). Both builds must print the
same bits. Skipped, with a note, where riscv64-unknown-elf-gcc is not installed.

    .venv/bin/python bench/appendix_libc.py
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from appendix_ctoriscv import emu
from appendix_ctoriscv.runtime import ASM_FILES, RUNTIME_DIR, compiled_libc

GCC = shutil.which("riscv64-unknown-elf-gcc")
GNU_LD = shutil.which("riscv64-unknown-elf-ld")
FLAGS = ["-march=rv32i", "-mabi=ilp32", "-ffreestanding", "-fno-builtin", "-w"]
N = 500

# (name, C type, the loop's statement, the constant): each keeps x finite and changing
OPERATIONS = [
    ("float add", "float", "x = x + c", "1.25f"),
    ("float mul", "float", "x = x * c", "1.0001f"),
    ("float div", "float", "x = x / c", "1.0001f"),
    ("float < and int->float", "float", "x = (x < c) + (float)k", "3.5f"),
    ("double add", "double", "x = x + c", "1.25"),
    ("double mul", "double", "x = x * c", "1.0001"),
    ("double div", "double", "x = x / c", "1.0001"),
    ("double -> int -> double", "double", "x = (double)(int)(x + c)", "0.75"),
]

PROGRAM = """
int printf(const char *format, ...);
int main(void) {{
    volatile {ty} x = 1.5, c = {const};
    int k;
    for (k = 0; k < {n}; k++)
        {statement};
    {{
        volatile {ty} y = x;
        unsigned *w = (unsigned *)&y;
        printf("%x %x\\n", w[0], sizeof y > 4 ? w[1] : 0);
    }}
    return 0;
}}
"""


def build(tmp: Path, name: str, source: str, with_libgcc: bool) -> bytes:
    """gcc -O1 object + our runtime (crt0, syscalls, the C library) + one soft float."""
    src = tmp / f"{name}.c"
    src.write_text(source)
    objects = [tmp / f"{name}.o"]
    subprocess.run([GCC, *FLAGS, "-O1", "-c", "-o", str(objects[0]), str(src)], check=True)
    runtime = [RUNTIME_DIR / a for a in ASM_FILES] + list(compiled_libc())
    for path in runtime:
        if with_libgcc and path.stem.startswith("softfloat_") and path.stem != "softfloat_wide":
            continue  # libgcc.a provides these names instead
        obj = tmp / f"rt_{path.stem}.o"
        if not obj.exists():
            subprocess.run([GCC, *FLAGS, "-c", "-o", str(obj), str(path)], check=True)
        objects.append(obj)
    libgcc = subprocess.run([GCC, *FLAGS, "-print-libgcc-file-name"], capture_output=True,
                            text=True, check=True).stdout.strip()  # fmt: skip
    exe = tmp / f"{name}.{'gnu' if with_libgcc else 'ours'}"
    # --no-relax: our crt0 does not set up gp. Only the libgcc build sees libgcc.a, so ours
    # cannot quietly take a routine from it
    archive = [libgcc] if with_libgcc else []
    subprocess.run([GNU_LD, "-m", "elf32lriscv", "--no-relax", "-o", str(exe),
                    *map(str, objects), *archive], check=True)  # fmt: skip
    return exe.read_bytes()


def per_operation(tmp: Path, name, ty, statement, const, with_libgcc) -> tuple[float, bytes]:
    runs = []
    for n in (N, 2 * N):
        source = PROGRAM.format(ty=ty, statement=statement, const=const, n=n)
        tag = f"{name.replace(' ', '_').replace('>', '').replace('<', 'lt')}_{n}"
        runs.append(emu.run(build(tmp, tag, source, with_libgcc), max_steps=10**9))
    return (runs[1].steps - runs[0].steps) / N, runs[1].stdout


def measure() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, ty, statement, const in OPERATIONS:
            ours, out_ours = per_operation(Path(tmp), name, ty, statement, const, False)
            gnu, out_gnu = per_operation(Path(tmp), name, ty, statement, const, True)
            if out_ours != out_gnu:
                sys.exit(f"{name}: ours printed {out_ours!r}, libgcc {out_gnu!r}")
            rows.append({"operation": name, "ours": ours, "libgcc": gnu})
    return rows


def main() -> None:
    if not (GCC and GNU_LD):
        print("skipped: riscv64-unknown-elf-gcc and -ld are needed for libgcc's routines")
        return
    version = subprocess.run([GCC, "--version"], capture_output=True, text=True).stdout.split(
        "\n")[0]
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, gcc: {version}")
    print("RV32I instructions per loop iteration (one soft-float operation and the loop)\n")
    print("| operation | ours (C, our -O1) | GNU libgcc | ours / libgcc |")
    print("|---|---|---|---|")
    for r in measure():
        print(f"| {r['operation']} | {r['ours']:.0f} | {r['libgcc']:.0f} | "
              f"{r['ours'] / r['libgcc']:.2f} |")


if __name__ == "__main__":
    main()
