"""float and double (issue 15): programs in c89_float/ compiled by us at -O0 and -O1, their
arithmetic calls linked with GNU's libgcc (the soft-float routines of riscv64-unknown-elf-gcc
for rv32i/ilp32) by GNU ld, run on our emulator (and under qemu-riscv32 where installed), and
compared with the same program built by the host's gcc: every value is printed as its IEEE
bits, so the two must agree bit for bit. Constants folded at compile time are compared with
GNU's RISC-V gcc's. The programs are linked with the repository's own soft-float routines
(runtime/libc/softfloat_*.c) too.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from appendix_ctoriscv import emu
from appendix_ctoriscv.main import compile_c, compile_executable

HERE = Path(__file__).parent
PROGRAMS = [pytest.param(p, id=p.stem) for p in sorted((HERE / "c89_float").glob("*.c"))]
LEVELS = pytest.mark.parametrize("opt_level", [0, 1], ids=["O0", "O1"])
RISCV_GCC = shutil.which("riscv64-unknown-elf-gcc")
GNU_AS = shutil.which("riscv64-unknown-elf-as")
GNU_LD = shutil.which("riscv64-unknown-elf-ld")
QEMU = shutil.which("qemu-riscv32")
RISCV_FLAGS = ["-march=rv32i", "-mabi=ilp32"]
NEEDS_GNU = pytest.mark.skipif(None in (RISCV_GCC, GNU_AS, GNU_LD), reason="GNU's RISC-V gcc, "
                               "as and ld (gcc-riscv64-unknown-elf) give the libgcc to link with")

# the least a C program needs without a C library: start, exit, and write to stdout
START = """
    .text
    .globl _start
_start:
    call main
    li a7, 93
    ecall
    .globl write
write:
    li a7, 64
    ecall
    ret
"""


def build_with_libgcc(source: str, filename: str, opt_level: int, tmp_path: Path) -> Path:
    """Our assembly + START, assembled by GNU as and linked by GNU ld with libgcc.a."""
    libgcc = subprocess.run([RISCV_GCC, *RISCV_FLAGS, "-print-libgcc-file-name"],
                            capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / "prog.s").write_text(compile_c(source, filename, opt_level=opt_level))
    (tmp_path / "start.s").write_text(START)
    for name in ("prog", "start"):
        subprocess.run([GNU_AS, *RISCV_FLAGS, "-o", str(tmp_path / f"{name}.o"),
                        str(tmp_path / f"{name}.s")], check=True)  # fmt: skip
    exe = tmp_path / "prog"
    subprocess.run([GNU_LD, "-m", "elf32lriscv", "--no-relax", "-o", str(exe),
                    str(tmp_path / "start.o"), str(tmp_path / "prog.o"), libgcc], check=True)
    return exe


@pytest.mark.sec_a_5
@NEEDS_GNU
@LEVELS
@pytest.mark.parametrize("path", PROGRAMS)
def test_float_program_matches_gcc(path, native_run, opt_level, tmp_path):
    expected = native_run(path.read_text())
    exe = build_with_libgcc(path.read_text(), str(path), opt_level, tmp_path)
    ours = emu.run(exe.read_bytes(), max_steps=10_000_000)
    assert (ours.exit_code, ours.stdout) == expected
    if QEMU is not None:
        done = subprocess.run([QEMU, str(exe)], capture_output=True, timeout=60)
        assert (done.returncode, done.stdout) == expected


@pytest.mark.sec_a_5
@LEVELS
@pytest.mark.parametrize("path", PROGRAMS)
def test_float_program_with_our_runtime(path, native_run, opt_level):
    _, elf = compile_executable(path.read_text(), str(path), opt_level=opt_level)
    ours = emu.run(elf, max_steps=20_000_000)
    assert (ours.exit_code, ours.stdout) == native_run(path.read_text())


CONSTANTS = """
float fs[] = {0.1f, 1e-45f, 1.17549435e-38f, 3.4028235e38f, 1e39f, 16777217.0f, 0.3333333333f,
              1.00000005960464477539062500001f, 1.000000059604644775390625f, -2.5e-3f,
              (float)0.1, 1 / 3.0f, 7 / 2, (float)(1 << 30) + 1, 1e10f * 1e10f, -0.0f};
double ds[] = {0.1, 1e-320, 2.2250738585072014e-308, 1.7976931348623157e308, 5e-324,
               9007199254740993.0, 1.0 / 3, 0.1f, -1e100, 4294967295u, -7, (double)0.1f * 3,
               1e308 * 10, 123456789012345678.0};
int is[] = {(int)2.99, (int)-2.99, (unsigned char)3.7, (int)1e9, (int)(0.1 + 0.2 > 0.3)};
"""


def words_after(asm: str, label: str) -> list[int]:
    lines = asm[asm.index(f"\n{label}:") :].splitlines()[1:]
    values = []
    for line in lines:
        parts = line.split(None, 1)
        if not parts or parts[0] == ".align" or parts[0].endswith(":"):
            continue
        if parts[0] != ".word":
            break
        values += [int(v, 0) & 0xFFFFFFFF for v in parts[1].split(",")]
    return values


@pytest.mark.sec_a_4
@pytest.mark.skipif(RISCV_GCC is None, reason="GNU RISC-V gcc not installed")
def test_floating_constants_match_riscv_gcc(tmp_path):
    """Literals rounded from the decimal (a float once, not via a double) and constant
    expressions folded at compile time: the same bits as GNU's gcc puts in .data."""
    (tmp_path / "k.c").write_text(CONSTANTS)
    gnu = subprocess.run([RISCV_GCC, *RISCV_FLAGS, "-w", "-S", "-o", "-", str(tmp_path / "k.c")],
                         capture_output=True, text=True, check=True).stdout
    ours = compile_c(CONSTANTS, "k.c")
    for label, count in (("fs", 16), ("ds", 28), ("is", 5)):
        assert words_after(ours, label) == words_after(gnu, label)
        assert len(words_after(ours, label)) == count


def random_float_expression(rng, depth: int) -> str:
    """A random expression over float and double variables and int ones, with + - * /,
    negation, casts between the three types, ?: on a comparison; NaN and infinities may come
    out of it (the printer reports a NaN as one word: its sign and payload are the library's)."""
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(["f", "g", "d", "e", "i", "u", "1.5f", "0.1", "3", "-2.75", "1e10",
                           "1e-7f", "65536.0f", "0.0"])  # fmt: skip
    a = random_float_expression(rng, depth - 1)
    kind = rng.random()
    if kind < 0.15:
        return f"-({a})"
    if kind < 0.3:
        return f"({rng.choice(['float', 'double'])})({a})"
    b = random_float_expression(rng, depth - 1)
    if kind < 0.4:
        op = rng.choice(["<", "<=", ">", ">=", "==", "!="])
        c = random_float_expression(rng, depth - 1)
        return f"(({a}) {op} ({b}) ? ({c}) : ({a}))"
    return f"({a}) {rng.choice(['+', '-', '*', '/'])} ({b})"


FLOAT_PRINTER = """
int write(int fd, const void *buf, int n);
static void put_hex(unsigned x) {
    char b[9];
    int i;
    for (i = 7; i >= 0; i--) {
        b[i] = "0123456789abcdef"[x & 15];
        x >>= 4;
    }
    b[8] = '\\n';
    write(1, b, 9);
}
static void pd(double d) {
    union { double d; unsigned u[2]; } v;
    v.d = d;
    if (d != d) {
        put_hex(0x7ff80000);
        return;
    }
    put_hex(v.u[1]);
    put_hex(v.u[0]);
}
"""


@pytest.mark.sec_a_5
@pytest.mark.parametrize("seed", range(3))
def test_random_float_expressions_match_gcc(seed, native_run):
    """Random floating expressions, each converted to double and printed as its bits: the
    usual arithmetic conversions, the casts and every soft-float routine, against gcc."""
    import random

    rng = random.Random(seed)
    body = "\n".join(f"    pd({random_float_expression(rng, 4)});" for _ in range(40))
    source = (FLOAT_PRINTER + "int main(void) {\n    float f = 0.3f, g = -7.5f;\n"
              "    double d = 1.0 / 7, e = 2.5e-3;\n    int i = -3;\n"
              "    unsigned u = 3000000000u;\n"
              f"{body}\n    return 0;\n}}\n")
    expected = native_run(source)
    for opt_level in (0, 1):
        _, elf = compile_executable(source, f"random{seed}.c", opt_level=opt_level)
        ours = emu.run(elf, max_steps=50_000_000)
        assert (ours.exit_code, ours.stdout) == expected


DIVISIONS_BY_ZERO = """
double dz[] = {1.0 / 0, -1.0 / 0, 0.0 / 0, 1 / -0.0, -0.0 / 0 * 0};
float fz[] = {-1.0f / 0, 1 / 0.0f, 0.0f / 0.0f};
int iz[] = {1 / 0.0 > 0, 0.0 / 0 != 0.0 / 0};
"""


@pytest.mark.sec_a_4
@pytest.mark.skipif(RISCV_GCC is None, reason="GNU RISC-V gcc not installed")
def test_floating_division_by_zero_folds_as_gcc(tmp_path):
    """A floating constant divided by zero is an infinity or a NaN, as IEEE says and gcc folds
    it (C89 code spells INFINITY `1.0 / 0`); it was rejected as a division by zero."""
    (tmp_path / "z.c").write_text(DIVISIONS_BY_ZERO)
    gnu = subprocess.run([RISCV_GCC, *RISCV_FLAGS, "-w", "-S", "-o", "-", str(tmp_path / "z.c")],
                         capture_output=True, text=True, check=True).stdout
    ours = compile_c(DIVISIONS_BY_ZERO, "z.c")
    for label, count in (("dz", 10), ("fz", 3), ("iz", 2)):
        assert words_after(ours, label) == words_after(gnu, label)
        assert len(words_after(ours, label)) == count
