"""The C library's costly routines in RV32I instructions, ours against GNU toolchain ones:
soft float per operation against libgcc's, and strtod per call against picolibc's.

One small C program per operation (a loop of `x = x OP c` on floats or doubles, with volatile
operands so nothing folds), compiled by GNU gcc -O1 for rv32i, so that each operation is a call
to libgcc's name (__adddf3 ...). It is linked twice by GNU ld with our runtime: once with our
soft-float routines (runtime/libc/softfloat_*.c compiled by our compiler at -O1) first, once
with GNU's libgcc.a for rv32i/ilp32 instead, and run on our emulator. The instructions per
operation are the difference between 2N and N iterations, divided by N, so start-up and exit
cancel out (the loop's own few instructions remain in both columns). Both builds must print the
same bits. Skipped, with a note, where riscv64-unknown-elf-gcc is not installed.

strtod: one gcc -O1 loop calls strtod(text) N or 2N times; linked with our runtime (our strtod
compiled by our compiler at -O1) or with picolibc's libc.a for rv32i (Debian's C library for
riscv64-unknown-elf-gcc, package picolibc-riscv64-unknown-elf; glibc has no rv32i build) for
strtod and what it needs, our runtime for the rest. Each build's result is checked against
Python's float(), which rounds correctly. Skipped, with a note, without picolibc.

    .venv/bin/python bench/appendix_libc.py
"""

from __future__ import annotations

import platform
import shutil
import struct
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
PICOLIBC = Path("/usr/lib/picolibc/riscv64-unknown-elf/lib/rv32i/ilp32/libc.a")

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


def runtime_object(tmp: Path, path: Path) -> Path:
    """one file of our runtime (assembly, or our compiler's output) assembled by GNU as"""
    obj = tmp / f"rt_{path.stem}.o"
    if not obj.exists():
        subprocess.run([GCC, *FLAGS, "-c", "-o", str(obj), str(path)], check=True)
    return obj


def libgcc() -> str:
    return subprocess.run([GCC, *FLAGS, "-print-libgcc-file-name"], capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip


def build(tmp: Path, name: str, source: str, with_libgcc: bool) -> bytes:
    """gcc -O1 object + our runtime (crt0, syscalls, the C library) + one soft float."""
    src = tmp / f"{name}.c"
    src.write_text(source)
    objects = [tmp / f"{name}.o"]
    subprocess.run([GCC, *FLAGS, "-O1", "-c", "-o", str(objects[0]), str(src)], check=True)
    for path in [RUNTIME_DIR / a for a in ASM_FILES] + list(compiled_libc()):
        if with_libgcc and path.stem.startswith("softfloat_") and path.stem != "softfloat_wide":
            continue  # libgcc.a provides these names instead
        objects.append(runtime_object(tmp, path))
    exe = tmp / f"{name}.{'gnu' if with_libgcc else 'ours'}"
    # --no-relax: our crt0 does not set up gp. Only the libgcc build sees libgcc.a, so ours
    # cannot quietly take a routine from it
    archive = [libgcc()] if with_libgcc else []
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


# *** strtod ***

STRTOD_INPUTS = [
    "1.5",
    "0.1",
    "3.141592653589793",
    "6.02214076e23",
    "1.2345678901234567e300",
    "1.2345678901234567e-300",
    "2.2250738585072011e-308",
    "4.9e-324",
    "1.00000000000000011102230246251565404236316680908203125",  # 1 + 2^-53: a tie, to 1
    "1.00000000000000011102230246251565404236316680908203125000001",  # just above: 1 + 2^-52
]

STRTOD_PROGRAM = """
double strtod(const char *s, char **end);
int printf(const char *format, ...);
int main(void) {{
#ifdef PICOLIBC
    static long tls[64];        /* picolibc's errno is thread-local: tp at a zeroed block */
    __asm__ volatile("mv tp, %0" : : "r"(tls));
#endif
    static const char *volatile text = "{text}";
    volatile double x = 0;
    int k;
    for (k = 0; k < {n}; k++)
        x = strtod(text, 0);
    {{
        volatile double y = x;
        unsigned *w = (unsigned *)&y;
        printf("%x %x\\n", w[1], w[0]);
    }}
    return 0;
}}
"""


def build_strtod(tmp: Path, text: str, n: int, picolibc: bool) -> bytes:
    """the loop + crt0, then archives searched as a C library's are: our runtime without
    strtod and errno (picolibc's errno is thread-local) + picolibc, or all of our runtime"""
    tag = f"strtod_{abs(hash(text))}_{n}_{'pico' if picolibc else 'ours'}"
    src, obj, exe = tmp / f"{tag}.c", tmp / f"{tag}.o", tmp / tag
    src.write_text(STRTOD_PROGRAM.format(text=text, n=n))
    subprocess.run([GCC, *FLAGS, "-O1", *(["-DPICOLIBC"] if picolibc else []), "-c", "-o",
                    str(obj), str(src)], check=True)  # fmt: skip
    library = tmp / f"libours_{'pico' if picolibc else 'all'}.a"
    if not library.exists():
        paths = [RUNTIME_DIR / a for a in ASM_FILES if a != "crt0.s"] + list(compiled_libc())
        if picolibc:
            paths = [p for p in paths if p.stem not in ("strtod", "errno")]
        subprocess.run([shutil.which("riscv64-unknown-elf-ar"), "rcs", str(library),
                        *(str(runtime_object(tmp, p)) for p in paths)], check=True)  # fmt: skip
    archives = [str(library), *([str(PICOLIBC), libgcc()] if picolibc else [])]
    subprocess.run([GNU_LD, "-m", "elf32lriscv", "--no-relax", "-o", str(exe), str(obj),
                    str(runtime_object(tmp, RUNTIME_DIR / "crt0.s")), "--start-group",
                    *archives, "--end-group"], check=True)  # fmt: skip
    return exe.read_bytes()


def strtod_per_call(tmp: Path, text: str, picolibc: bool) -> tuple[float, bool]:
    """instructions per call, and whether the result is the nearest double"""
    runs = [emu.run(build_strtod(tmp, text, n, picolibc), max_steps=10**9) for n in (5, 10)]
    hi, lo = (int(w, 16) for w in runs[1].stdout.split())
    correct = struct.pack("<d", float(text)) == struct.pack("<II", lo, hi)
    return (runs[1].steps - runs[0].steps) / 5, correct


def measure_strtod() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for text in STRTOD_INPUTS:
            ours, ours_ok = strtod_per_call(Path(tmp), text, False)
            pico, pico_ok = strtod_per_call(Path(tmp), text, True)
            rows.append({"input": text, "ours": ours, "picolibc": pico,
                         "ours_ok": ours_ok, "picolibc_ok": pico_ok})  # fmt: skip
    return rows


def print_strtod() -> None:
    if not PICOLIBC.exists():
        print(f"strtod skipped: {PICOLIBC} is not installed (picolibc-riscv64-unknown-elf)")
        return
    print("\nstrtod: RV32I instructions per call (nearest: the result is the double nearest")
    print("to the text, as Python's float() gives it)\n")
    print("| input | ours | picolibc 1.8 | ours / picolibc | nearest: ours, picolibc |")
    print("|---|---|---|---|---|")
    for r in measure_strtod():
        text = r["input"] if len(r["input"]) < 30 else r["input"][:24] + "..." + r["input"][-6:]
        print(f"| `{text}` | {r['ours']:.0f} | {r['picolibc']:.0f} | "
              f"{r['ours'] / r['picolibc']:.1f} | {'yes' if r['ours_ok'] else 'NO'}, "
              f"{'yes' if r['picolibc_ok'] else 'NO'} |")  # fmt: skip


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
    print_strtod()


if __name__ == "__main__":
    main()
