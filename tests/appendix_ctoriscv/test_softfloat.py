"""The soft-float routines (runtime/libc/softfloat_*.c) bit for bit against IEEE 754 hardware.

Twice: compiled by the host's gcc and checked against the host's floating point unit over
hundreds of thousands of random and edge-case operands per routine (softfloat/host_check.c;
run it with a larger count by hand for millions), and compiled by our compiler, run on the
emulator over a table of operands, against numpy's float32 and Python's float. A NaN result
only has to be a NaN (x86 keeps an operand's NaN payload, RISC-V gives the canonical one)."""

import math
import random
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from appendix_ctoriscv import emu
from appendix_ctoriscv.main import compile_executable

pytestmark = pytest.mark.sec_a_10
HOST_CHECK = Path(__file__).parent / "softfloat" / "host_check.c"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed: no host reference")
def test_host_compiled_routines_match_the_hardware(tmp_path):
    exe = tmp_path / "host_check"
    subprocess.run(["gcc", "-O2", "-ffp-contract=off", "-DWITH_DOUBLE", "-o", str(exe),
                    str(HOST_CHECK), "-lm"], check=True)  # fmt: skip
    done = subprocess.run([str(exe), "300000", "15"], capture_output=True, text=True,
                          timeout=300, check=True)  # fmt: skip
    lines = [line.split() for line in done.stdout.splitlines() if not line.startswith(" ")]
    names = [fields[0] for fields in lines]
    assert names == ["addsf3", "subsf3", "mulsf3", "divsf3", "compare32", "convert32",
                     "adddf3", "subdf3", "muldf3", "divdf3", "compare_convert64"]  # fmt: skip
    assert all(fields[1] == "300000" for fields in lines)
    assert [fields for fields in lines if fields[2] != "0"] == [], done.stdout


# *** on the emulator, compiled by our compiler ***

SPECIAL32 = [0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x00800000, 0x7F7FFFFF,
             0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0x3F800000, 0xBF800000, 0x3F800001,
             0x3F7FFFFF, 0x4B7FFFFF, 0x4F000000, 0xCF000000, 0x34000000]  # fmt: skip
SPECIAL64 = [0, 1 << 63, 1, 0x000FFFFFFFFFFFFF, 0x0010000000000000, 0x7FEFFFFFFFFFFFFF,
             0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0x3FF0000000000000,
             0xBFF0000000000000, 0x3FF0000000000001, 0x41E0000000000000, 0xC1E0000000000000,
             0x3CA0000000000000, 0x47EFFFFFE0000000, 0x36A0000000000000]  # fmt: skip


def operand_pairs(rng: random.Random, special: list[int], bits: int, count: int, n_special: int):
    """n_special pairs of specials, then `count` random pairs: uniform bits, neighbours
    (cancellation and ties), small integers."""
    pairs = rng.sample([(a, b) for a in special for b in special], n_special)
    mask = (1 << bits) - 1
    for _ in range(count):
        a = rng.getrandbits(bits)
        kind = rng.randrange(4)
        if kind == 0:
            b = (a + rng.randrange(-8, 8)) & mask
        elif kind == 1:
            b = (a ^ (1 << (bits - 1))) + rng.randrange(-4, 4) & mask
        elif kind == 2:
            a, b = (to_bits(float(rng.randrange(-999, 999)), bits) for _ in range(2))
        else:
            b = rng.getrandbits(bits)
        pairs.append((a, b))
    return pairs


def to_bits(x: float, bits: int) -> int:
    fmt = "<f" if bits == 32 else "<d"
    return int.from_bytes(struct.pack(fmt, x), "little")


def from_bits(u: int, bits: int) -> float:
    return struct.unpack("<f" if bits == 32 else "<d", u.to_bytes(bits // 8, "little"))[0]


def f32_op(op: str, a: int, b: int) -> int:
    """IEEE single-precision a op b by numpy (float32 arithmetic rounds each result)."""
    x, y = (np.array([u], dtype=np.uint32).view(np.float32)[0] for u in (a, b))
    with np.errstate(all="ignore"):
        z = {"add": x + y, "sub": x - y, "mul": x * y, "div": x / y}[op]
    return int(np.array([z], dtype=np.float32).view(np.uint32)[0])


def f64_op(op: str, a: int, b: int) -> int:
    x, y = from_bits(a, 64), from_bits(b, 64)
    if op == "div" and y == 0:  # Python raises; IEEE says inf with the sign of x*y, or NaN
        z = (
            math.nan
            if x == 0 or math.isnan(x)
            else math.copysign(math.inf, x) * math.copysign(1, y)
        )
    else:
        z = {"add": x + y, "sub": x - y, "mul": x * y, "div": x / y if y else 0}[op]
    return to_bits(z, 64)


def same(got: int, want: int, bits: int) -> bool:
    return got == want or (math.isnan(from_bits(got, bits)) and math.isnan(from_bits(want, bits)))


def emulated(pairs32, pairs64, opt_level):
    """Run every routine on every pair on the emulator; the printed results, parsed."""
    words32 = ", ".join(f"{a}u, {b}u" for a, b in pairs32)
    words64 = ", ".join(f"{{{a & 0xFFFFFFFF}u, {a >> 32}u}}, {{{b & 0xFFFFFFFF}u, {b >> 32}u}}"
                        for a, b in pairs64)  # fmt: skip
    source = f"""
#include <stdio.h>
typedef struct {{ unsigned lo, hi; }} Bits64;
unsigned __addsf3(unsigned, unsigned), __subsf3(unsigned, unsigned);
unsigned __mulsf3(unsigned, unsigned), __divsf3(unsigned, unsigned);
int __ltsf2(unsigned, unsigned), __eqsf2(unsigned, unsigned), __gesf2(unsigned, unsigned);
int __fixsfsi(unsigned);
unsigned __floatsisf(int), __truncdfsf2(Bits64);
Bits64 __adddf3(Bits64, Bits64), __subdf3(Bits64, Bits64);
Bits64 __muldf3(Bits64, Bits64), __divdf3(Bits64, Bits64), __extendsfdf2(unsigned);
Bits64 __floatsidf(int);
int __ltdf2(Bits64, Bits64), __eqdf2(Bits64, Bits64), __gedf2(Bits64, Bits64);
int __fixdfsi(Bits64);
static unsigned w32[] = {{{words32}}};
static Bits64 w64[] = {{{words64}}};
int main(void) {{
    int i;
    for (i = 0; i < {len(pairs32)}; i++) {{
        unsigned a = w32[2 * i], b = w32[2 * i + 1];
        Bits64 e = __extendsfdf2(a);
        printf("%x %x %x %x %x %x %x %x %x %x %x\\n", __addsf3(a, b), __subsf3(a, b),
               __mulsf3(a, b), __divsf3(a, b), __ltsf2(a, b) < 0, __eqsf2(a, b) == 0,
               __gesf2(a, b) >= 0, __fixsfsi(a), __floatsisf((int)b), e.lo, e.hi);
    }}
    for (i = 0; i < {len(pairs64)}; i++) {{
        Bits64 a = w64[2 * i], b = w64[2 * i + 1];
        Bits64 r[5];
        int k;
        r[0] = __adddf3(a, b);
        r[1] = __subdf3(a, b);
        r[2] = __muldf3(a, b);
        r[3] = __divdf3(a, b);
        r[4] = __floatsidf((int)b.lo);
        for (k = 0; k < 5; k++)
            printf("%x %x ", r[k].lo, r[k].hi);
        printf("%x %x %x %x %x\\n", __ltdf2(a, b) < 0, __eqdf2(a, b) == 0, __gedf2(a, b) >= 0,
               __fixdfsi(a), __truncdfsf2(a));
    }}
    return 0;
}}
"""
    _, exe = compile_executable(source, "softfloat.c", opt_level=opt_level)
    result = emu.run(exe, max_steps=500_000_000)
    assert result.exit_code == 0
    return [[int(x, 16) for x in line.split()] for line in result.stdout.decode().splitlines()]


def c_int(x: float) -> int | None:
    """C's (int)x where defined (the truncated value fits), else None."""
    if math.isnan(x) or not -(2**31) - 1 < x < 2**31:
        return None
    return int(x)


# The routines are library code, compiled at -O1 whatever the program's level; -O0 runs a
# smaller table (it checks the program's side of the calls: Bits64 passed and returned in
# register pairs). A double division is about 10,000 instructions.
@pytest.mark.parametrize("opt_level, count", [(0, 30), (1, 120)], ids=["O0", "O1"])
def test_emulated_routines_match_ieee(opt_level, count):
    rng = random.Random(1500 + opt_level)
    pairs32 = operand_pairs(rng, SPECIAL32, 32, 2 * count, n_special=count)
    pairs64 = operand_pairs(rng, SPECIAL64, 64, count, n_special=count)
    lines = emulated(pairs32, pairs64, opt_level)
    assert len(lines) == len(pairs32) + len(pairs64)
    wrong = []
    for (a, b), line in zip(pairs32, lines):
        got = line
        x, y = from_bits(a, 32), from_bits(b, 32)
        for k, op in enumerate(["add", "sub", "mul", "div"]):
            if not same(got[k], f32_op(op, a, b), 32):
                wrong.append((op + "sf", hex(a), hex(b), hex(got[k])))
        signed_b = b - (1 << 32) if b >> 31 else b
        expected = [int(x < y), int(x == y), int(x >= y)]
        if got[4:7] != expected:
            wrong.append(("compare sf", hex(a), hex(b)))
        truncated = c_int(x)
        if truncated is not None and got[7] != truncated & 0xFFFFFFFF:
            wrong.append(("fixsfsi", hex(a)))
        if got[8] != f32_of(float(signed_b)):
            wrong.append(("floatsisf", signed_b, hex(got[8])))
        if not same(got[9] | got[10] << 32, to_bits(x, 64), 64):
            wrong.append(("extendsfdf2", hex(a)))
    for (a, b), line in zip(pairs64, lines[len(pairs32) :]):
        got = line
        words = [got[2 * k] | got[2 * k + 1] << 32 for k in range(5)]
        x, y = from_bits(a, 64), from_bits(b, 64)
        for k, op in enumerate(["add", "sub", "mul", "div"]):
            if not same(words[k], f64_op(op, a, b), 64):
                wrong.append((op + "df", hex(a), hex(b), hex(words[k])))
        low = b & 0xFFFFFFFF
        if words[4] != to_bits(float(low - (1 << 32) if low >> 31 else low), 64):
            wrong.append(("floatsidf", hex(low)))
        if got[10:13] != [int(x < y), int(x == y), int(x >= y)]:
            wrong.append(("compare df", hex(a), hex(b)))
        truncated = c_int(x)
        if truncated is not None and got[13] != truncated & 0xFFFFFFFF:
            wrong.append(("fixdfsi", hex(a)))
        if not same(got[14], f32_of(x), 32):
            wrong.append(("truncdfsf2", hex(a), hex(got[14])))
    assert wrong == []


def f32_of(x: float) -> int:
    """x rounded to float32 by numpy (to nearest even; overflow to infinity)."""
    with np.errstate(all="ignore"):
        return int(np.array([x], dtype=np.float32).view(np.uint32)[0])
