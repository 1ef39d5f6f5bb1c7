"""strtod and atof (runtime/libc/strtod.c) against glibc's, bit for bit: one C program reads a
table of strings with strtod and prints each result's bits, where the number ended and whether
errno became ERANGE; compiled by our compiler it runs on the emulator, compiled by the host's
gcc it runs against glibc (whose strtod is correctly rounded: exact multi-precision), and the
two outputs must be equal line for line. Inputs: random doubles of the whole finite range
printed with %.17g and with fewer digits, short decimals, the edges of the subnormal and
overflow ranges, exact midpoints between neighbouring doubles (hundreds of digits; they must
round to even) and their neighbours one unit in the last digit away, and text that is only
partly a number, and hexadecimal floating point."""

import random
import struct
from decimal import Decimal, localcontext

import pytest

from appendix_ctoriscv import emu
from appendix_ctoriscv.main import compile_executable

pytestmark = pytest.mark.sec_a_10


def c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def strtod_program(inputs: list[str]) -> str:
    table = ",\n    ".join(c_string(s) for s in inputs)
    return f"""
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
static const char *inputs[] = {{
    {table}
}};
int main(void) {{
    int i;
    for (i = 0; i < (int)(sizeof inputs / sizeof inputs[0]); i++) {{
        union {{ double d; unsigned w[2]; }} u, v;
        char *end;
        errno = 0;
        u.d = strtod(inputs[i], &end);
        v.d = atof(inputs[i]);
        printf("%08x%08x %d %d %d\\n", u.w[1], u.w[0], (int)(end - inputs[i]), errno == ERANGE,
               u.w[0] == v.w[0] && u.w[1] == v.w[1]);
    }}
    return 0;
}}
"""


def compare_with_glibc(inputs: list[str], native_run) -> None:
    source = strtod_program(inputs)
    native_code, native_out = native_run(source)
    _, exe = compile_executable(source, "strtod_check.c", opt_level=1)
    ours = emu.run(exe, max_steps=2_000_000_000)
    got, want = ours.stdout.decode().splitlines(), native_out.decode().splitlines()
    wrong = [(s, g, w) for s, g, w in zip(inputs, got, want, strict=True) if g != w]
    assert wrong[:5] == []  # the first five wrong lines, if any
    assert ours.exit_code == native_code == 0


def random_double(rng: random.Random) -> float:
    """a finite double of any exponent, subnormals included: uniform random bits"""
    while True:
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if x == x and abs(x) != float("inf"):
            return x


def test_random_doubles_printed_with_17_digits(native_run):
    """17 significant digits name one double exactly: a round trip"""
    rng = random.Random(4)
    compare_with_glibc([f"{random_double(rng):.17g}" for _ in range(150)], native_run)


def test_random_doubles_printed_with_fewer_digits(native_run):
    """1 to 16 digits: most are not the double printed, and must round to the nearest"""
    rng = random.Random(5)
    inputs = [f"{random_double(rng):.{rng.randrange(1, 17)}{rng.choice('eEg')}}"
              for _ in range(150)]  # fmt: skip
    compare_with_glibc(inputs, native_run)


def short_decimal(rng: random.Random) -> str:
    """a decimal of 1 to 12 digits, a point anywhere (or none), maybe an exponent, a sign,
    leading spaces, leading or trailing zeros"""
    digits = str(rng.randrange(1, 10 ** rng.randrange(1, 13))).rjust(rng.randrange(1, 4), "0")
    if rng.random() < 0.3:
        digits += "0" * rng.randrange(1, 6)
    point = rng.randrange(0, len(digits) + 1)
    text = digits[:point] + rng.choice([".", ".", ""]) + digits[point:]
    if rng.random() < 0.5:
        text += f"{rng.choice('eE')}{rng.choice(['', '+', '-'])}{rng.randrange(0, 40)}"
    return rng.choice(["", "", "-", "+", " ", "\t -"]) + text


def test_short_decimals(native_run):
    rng = random.Random(6)
    compare_with_glibc([short_decimal(rng) for _ in range(250)], native_run)


def near_the_edges(rng: random.Random) -> list[str]:
    """17 random digits with exponents where doubles end: about 1e308 (overflow), 2.2e-308
    (subnormals begin), 4.9e-324 (the least subnormal), and beyond both ends"""
    inputs = []
    for exponent in [*range(300, 312), *range(-310, -300), *range(-326, -315)]:
        mantissa = f"{rng.randrange(1, 10)}.{rng.randrange(10**16):016d}"
        inputs.append(f"{mantissa}e{exponent}")
    return inputs + [
        "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
        "-1.797693134862315807937289714053e308", "1.797693134862315807937289714054e308",
        "2.2250738585072014e-308", "2.2250738585072011e-308", "2.2250738585072012e-308",
        "2.2250738585072013e-308", "2.2250738585072009e-308", "4.9406564584124654e-324",
        "2.4703282292062327e-324", "2.4703282292062328e-324", "7.4109846876186982e-324",
        "1e-400", "1e400", "-1e-400", "0e999999", "1e-99999999999", "123e-99999999999999",
        "1e309", "0.000000000000000000000000000001e330",
    ]  # fmt: skip


def test_exponents_at_the_ends_of_the_range(native_run):
    """overflow to infinity and underflow to zero or a subnormal set errno = ERANGE"""
    compare_with_glibc(near_the_edges(random.Random(8)), native_run)


def exact_decimal(value: Decimal) -> str:
    sign, digits, exponent = value.as_tuple()
    return ("-" if sign else "") + "".join(map(str, digits)) + f"e{exponent}"


def midpoints(rng: random.Random) -> list[str]:
    """the exact decimal value halfway between two neighbouring doubles (ties: to even), and
    the same plus or minus one unit in its last digit; normal, subnormal and near DBL_MAX"""
    bits = [rng.getrandbits(63) % 0x7FEFFFFFFFFFFFFF for _ in range(6)]
    bits += [rng.randrange(1, 2**52) for _ in range(3)]  # subnormals
    bits += [0, 0x000FFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFE]  # 0 and 2^-1074, both sides of 2^-1022
    inputs = []
    for b in bits:
        low, high = (struct.unpack("<d", struct.pack("<Q", b + k))[0] for k in (0, 1))
        with localcontext() as exact:
            exact.prec = 2000  # enough for every digit: the sums below are exact
            mid = (Decimal(low) + Decimal(high)) / 2
            unit = Decimal((0, (1,), mid.as_tuple().exponent))
            inputs += [exact_decimal(mid), exact_decimal(mid + unit), exact_decimal(mid - unit)]
    return inputs


def test_midpoints_between_doubles_round_to_even(native_run):
    """exact ties with up to 767 digits, and the numbers one digit away from them"""
    compare_with_glibc(midpoints(random.Random(9)), native_run)


PARTIAL = ["", " ", "-", "+", ".", "-.", "e5", ".e5", "1e", "1e+", "1e-x", "1.5e+7x", "5.", ".5",
           "  -0", "-0.0e-5", "+.5e1", "1..5", "1.2.3", "0x10", "inf", "-INF", "Infinity",
           "infinit", "in", "nan", "-NaN", "nan()", "nan(x_1)", "nan(x", "12abc", "00000001.5",
           "0.000000000000000000000000000000000000000000000000000000000000000000000000001",
           "0x10", "1" + "0" * 400 + "e-400", "0." + "0" * 350 + "1e340",
           "3." + "1415926535" * 90, "9" * 850 + "e-600"]  # fmt: skip


def test_text_that_is_partly_a_number(native_run):
    """where the number ends (end pointer), no number at all, inf and nan in any case, long
    runs of digits (past the 800 kept)"""
    compare_with_glibc(PARTIAL, native_run)


def hexadecimal(rng: random.Random) -> list[str]:
    """C99's hexadecimal floating point: random doubles as Python's float.hex() prints them
    (exact), random runs of hex digits longer than 53 bits with binary exponents over the
    whole range (they round), ties and the ends of the range"""
    inputs = [random_double(rng).hex() for _ in range(40)]
    inputs += [f"0x{rng.getrandbits(rng.randrange(1, 120)):x}p{rng.randrange(-1200, 1100)}"
               for _ in range(40)]  # fmt: skip
    return inputs + [
        "0x1p3", "0x1.8p1", "0X.8P-1", "0x1.fffffffffffff8p1023", "0x1.fffffffffffff7p1023",
        "0x1p-1074", "0x1p-1075", "0x1.0000000000001p-1075", "0x123456789abcdef0123p0", "0x",
        "0xg", "0x.p1", "0x1p", "0x1p+", "-0x0p0", "0x1P-99999999999", "0x1p99999999",
        "0x.000000000000000000000000000000001p0", "0x1.00000000000008p0",
        "0x1.000000000000080000000000000001p0", "0x1.00000000000018p0", " -0x1e3",
        "0x1.ffffffffffffffffffffp-1023",
    ]  # fmt: skip


def test_hexadecimal_floating_point(native_run):
    compare_with_glibc(hexadecimal(random.Random(10)), native_run)


# the classic hard cases: 2.2250738585072011e-308 (which hung PHP and Java), 2^53 + 1 (a tie
# that must go to even), 1e23 (halfway-looking, not a tie), 2^-1075 exactly (a tie with
# zero) and one digit past it, 1 + 2^-53 exactly and one digit either side, and the inputs of
# Paxson's "A Program for Testing IEEE Decimal-Binary Conversion" (1991), tables 1 and 2,
# whose decimal values lie closest to a half-way point between two doubles
with localcontext() as _exact:
    _exact.prec = 1000  # 2^-1075 = 5^1075 / 10^1075 in full: 752 digits
    TIE_1075 = str(Decimal(2) ** -1075)
HARD = [
    "2.2250738585072011e-308", "2.2250738585072012e-308", "9007199254740993",
    "9007199254740993.0000000000000000000000000000001", "9007199254740995", "1e23",
    "8.533e+68", "4.1006e-184", "9.998e+307", "9.9538452227e-280", "6.47660115e-260",
    "7.4e+47", "5.92e+48", "7.35e+66", "8.32116e+55", TIE_1075, TIE_1075.replace("E", "1E"),
    "1.00000000000000011102230246251565404236316680908203125",
    "1.00000000000000011102230246251565404236316680908203124",
    "1.00000000000000011102230246251565404236316680908203126",
    "9e-265", "85e-37", "623e+100", "3571e+263", "81661e+153", "920657e-23", "4603303e-159",
    "6206069e-15", "21652115e-60", "718881e-256", "2002592e-35", "61444431e-37", "9e+252",
    "57e+123", "15e-298", "8e+250", "5e-20", "67e+14", "985e+15", "7693e-42", "55895e-16",
    "996622e-44", "7038531e-32", "60419369e-46", "702990899e-20", "6930161142e-48",
    "25933168707e+13", "596428896559e+20", "3e-23", "57e+18", "789e-35", "2539e-18",
    "76173e+28", "887745e-11", "5382571e-37", "82381273e-35", "750486563e-38",
    "3752006927e-48", "75224575729e-45", "459926601011e+15",
]  # fmt: skip


def test_known_hard_cases(native_run):
    """with long runs of 9s next to powers of ten, which round up across a binade or to
    infinity"""
    nines = ["0." + "9" * 1000, "9" * 309, "9" * 400, "1" + "0" * 308, "9" * 17 + "e-17",
             "9" * 18 + "e290", "0." + "9" * 60 + "e-307"]  # fmt: skip
    compare_with_glibc(HARD + nines, native_run)


# *** strtof (C99; scanf's %f): rounded once to a float, not through a double ***


def strtof_program(inputs: list[str]) -> str:
    """each input's float bits, where the number ended, whether errno became ERANGE, and for
    a text that is all number, whether sscanf's %f gives the same float (where a number is
    cut short, glibc's sscanf departs from C: see test_libc_stdio.py)"""
    table = ",\n    ".join(c_string(s) for s in inputs)
    return f"""
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static const char *inputs[] = {{
    {table}
}};
int main(void) {{
    int i;
    for (i = 0; i < (int)(sizeof inputs / sizeof inputs[0]); i++) {{
        float f, g = 0;
        unsigned u, v;
        char *end;
        errno = 0;
        f = strtof(inputs[i], &end);
        memcpy(&u, &f, 4);
        printf("%08x %d %d", u, (int)(end - inputs[i]), errno == ERANGE);
        if (*end == 0 && end - inputs[i] < 100 && sscanf(inputs[i], "%f", &g) == 1) {{
            memcpy(&v, &g, 4);
            printf(" %d", u == v);
        }}
        printf("\\n");
    }}
    return 0;
}}
"""


def float32_midpoints(rng: random.Random) -> list[str]:
    """exact midpoints between neighbouring floats (normal, subnormal, at FLT_MAX) and the
    decimals one unit in the last digit either side: a double would round those onto the
    midpoint, and a float from that double to even, the wrong way for one of them"""
    bits = [rng.randrange(0x00800000, 0x7F7FFFFF) for _ in range(8)]
    bits += [rng.randrange(1, 0x007FFFFF) for _ in range(3)]
    bits += [0, 0x007FFFFF, 0x3F800000, 0x7F7FFFFE]
    inputs = []
    for b in bits:
        low, high = (struct.unpack("<f", struct.pack("<I", b + k))[0] for k in (0, 1))
        with localcontext() as exact:
            exact.prec = 200
            mid = (Decimal(low) + Decimal(high)) / 2
            unit = Decimal((0, (1,), mid.as_tuple().exponent))
            inputs += [exact_decimal(mid), exact_decimal(mid + unit), exact_decimal(mid - unit)]
    mid_max = (Decimal(struct.unpack("<f", struct.pack("<I", 0x7F7FFFFF))[0]) + 2**128) / 2
    return inputs + [exact_decimal(mid_max), exact_decimal(mid_max - Decimal("1e-10"))]


def test_strtof_rounds_once_like_glibc(native_run):
    rng = random.Random(12)
    inputs = float32_midpoints(rng)
    inputs += [f"{struct.unpack('<f', struct.pack('<I', rng.getrandbits(31)))[0]:.9g}"
               for _ in range(20)]  # fmt: skip
    inputs += [short_decimal(rng) for _ in range(20)] + hexadecimal(rng)[-23:]
    inputs += ["3.4028235e38", "3.4028236e38", "1e39", "1.4e-45", "7e-46", "7.1e-46", "1e-50",
               "1.17549435e-38", "1.1754942e-38", "-0", "inf", "nan", "16777217", "0x1.000001p0",
               "1.000000059604644775390626", "1.00000017881393432617187499", "x"]  # fmt: skip
    source = strtof_program(inputs)
    native_code, native_out = native_run(source)
    _, exe = compile_executable(source, "strtof_check.c", opt_level=1)
    ours = emu.run(exe, max_steps=2_000_000_000)
    got, want = ours.stdout.decode().splitlines(), native_out.decode().splitlines()
    assert [(s, g, w) for s, g, w in zip(inputs, got, want, strict=True) if g != w][:5] == []
