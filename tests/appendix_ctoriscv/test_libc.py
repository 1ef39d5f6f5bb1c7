"""The C library (appendix_ctoriscv/runtime/libc), compiled by our compiler: each program in
tests/appendix_ctoriscv/libc/ is run on the emulator and, compiled by the host's gcc against
glibc, natively; both must print the same. Where glibc's answers differ by design (its rand,
64-bit long) the reference is the C standard's formula or a Python computation."""

import errno
import math
import os
import random
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from appendix_ctoriscv import elf, emu
from appendix_ctoriscv.main import compile_executable

pytestmark = pytest.mark.sec_a_10
LIBC_TESTS = Path(__file__).parent / "libc"
LEVELS = pytest.mark.parametrize("opt_level", [0, 1], ids=["O0", "O1"])


def run_ours(source: str, opt_level: int = 1, stdin: bytes = b"", max_steps=200_000_000):
    _, exe = compile_executable(source, "prog.c", opt_level=opt_level)
    return emu.run(exe, stdin=stdin, max_steps=max_steps)


# the library is compiled at -O1 whatever the program's level; malloc_stress runs at -O1 only
# (its checking loops take 10 times the instructions at -O0)
@pytest.mark.parametrize(
    "name, opt_level",
    [
        ("strings", 0),
        ("strings", 1),
        ("stdlib", 0),
        ("stdlib", 1),
        ("sort", 0),
        ("sort", 1),
        ("malloc_stress", 1),
        ("tokens", 0),
        ("tokens", 1),
    ],
)
def test_program_matches_glibc(name, opt_level, native_run):
    source = (LIBC_TESTS / f"{name}.c").read_text()
    native_code, native_out = native_run(source)
    ours = run_ours(source, opt_level)
    assert ours.stdout.decode().splitlines() == native_out.decode().splitlines()
    assert ours.exit_code == native_code == 0


# *** printf against glibc over a table of formats ***

INT_VALUES = ["0", "1", "-1", "42", "-42", "7", "255", "65535", "100000", "123456789",
              "2147483647", "-2147483647 - 1"]  # fmt: skip
FLAG_SETS = ["", "-", "+", " ", "#", "0", "-+", "+0", " 0", "#0", "-#", "- ", "+ ", "-0", "#-+ 0"]


def integer_formats(rng: random.Random, count: int) -> list[str]:
    """Every flag set with each conversion, plus random widths, precisions and lengths."""
    formats = [f"%{flags}{conv}" for flags in FLAG_SETS for conv in "diuxXo"]
    for _ in range(count):
        flags = rng.choice(FLAG_SETS)
        width = rng.choice(["", "1", "5", "12", "*"])
        precision = rng.choice(["", ".", ".0", ".1", ".4", ".11", ".*"])
        length = rng.choice(["", "", "h", "hh", "l"])
        formats.append(f"%{flags}{width}{precision}{length}{rng.choice('diuxXo')}")
    return formats


def c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def printf_program(formats: list[str]) -> str:
    """A program that prints each format with each value; `*` takes 6 (width) and 3
    (precision), or -6 and -1 on odd lines, to test the negative cases too. With `l` the value
    goes as a long (unsigned long for u x X o): x86-64's long is wider, and printing an int
    with %ld is undefined."""
    table = ",\n    ".join(c_string(f"[{f}]\n") for f in formats)
    kinds = ", ".join("0" if "l" not in f else "1" if f[-1] in "di" else "2" for f in formats)
    values = ", ".join(INT_VALUES)
    return f"""
#include <stdio.h>
static const char *formats[] = {{
    {table}
}};
static int kinds[] = {{{kinds}}};
static int values[] = {{{values}}};
#define CALL(x) (stars == 2 ? printf(formats[f], star, star2, x) \\
                 : stars == 1 ? printf(formats[f], one, x) : printf(formats[f], x))
int main(void) {{
    int f, v, k = 0;
    for (f = 0; f < (int)(sizeof formats / sizeof formats[0]); f++) {{
        for (v = 0; v < (int)(sizeof values / sizeof values[0]); v++, k++) {{
            const char *p = formats[f];
            int stars = 0, star = k % 2 ? -6 : 6, star2 = k % 2 ? -1 : 3, one, n;
            for (; *p; p++)
                stars += *p == '*';
            for (p = formats[f]; *p != '*' && *p; p++)
                ;
            one = *p && p[-1] == '.' ? star2 : star;
            n = kinds[f] == 0 ? CALL(values[v]) : kinds[f] == 1 ? CALL((long)values[v])
                : CALL((unsigned long)(unsigned)values[v]);
            printf("%d\\n", n);
        }}
    }}
    return 0;
}}
"""


def test_printf_integers_match_glibc(native_run):
    formats = integer_formats(random.Random(15), 300)
    source = printf_program(formats)
    native_code, native_out = native_run(source)
    ours = run_ours(source)
    got, want = ours.stdout.decode().splitlines(), native_out.decode().splitlines()
    wrong = [(k, g, w) for k, (g, w) in enumerate(zip(got, want)) if g != w]
    assert wrong[:10] == []
    assert len(got) == len(want) and ours.exit_code == native_code == 0


PRINTF_OTHERS = r"""
#include <stdio.h>
int main(void) {
    char buf[40];
    int n, count = -1;
    static const char *strings[] = {"", "a", "hello", "hello, world", 0};
    static const char *formats[] = {"[%s]", "[%10s]", "[%-10s]", "[%.3s]", "[%10.3s]",
                                    "[%-8.0s]", "[%.10s]", "[%.7s]", "[%.5s]"};
    int s, f;
    for (s = 0; s < 5; s++)
        for (f = 0; f < 9; f++) {
            n = printf(formats[f], strings[s]);
            printf(" %d\n", n);
        }
    printf("[%c][%3c][%-3c][%c]\n", 'x', 'y', 'z', 256 + 'A');
    printf("[%%][%5%][%p][%10p][%-10p][%p]\n", (void *)0x1234, (void *)0x10, (void *)0xbeef,
           (void *)0);
    printf("ab%ncd\n", &count);
    printf("count %d\n", count);
    for (n = 0; n < 12; n++) {
        int r = snprintf(buf, n, "%d-%s", 12345, "xyz");
        printf("snprintf %d: %d [%s]\n", n, r, n ? buf : "-");
    }
    n = sprintf(buf, "%5d|%-5x|%s", -3, 255, "end");
    printf("sprintf %d [%s]\n", n, buf);
    fprintf(stdout, "fprintf %s %d\n", "to stdout", 7);
    printf("%d %d %d %d %d %d %d %d %d %d\n", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    printf("[%5s|%-5d|%05u|%x]\n", "many", -1, 42u, 3735928559u);
    printf("%s", "no newline at the end");
    return 0;
}
"""


@LEVELS
def test_printf_strings_chars_pointers_and_snprintf_match_glibc(opt_level, native_run):
    native_code, native_out = native_run(PRINTF_OTHERS)
    ours = run_ours(PRINTF_OTHERS, opt_level)
    assert ours.stdout.decode().splitlines() == native_out.decode().splitlines()
    assert ours.stdout.endswith(b"no newline at the end")  # exit flushed the buffer


def test_long_printf_output_goes_through_malloc(native_run):
    source = r"""
    #include <stdio.h>
    int main(void) {
        printf("%300d|%-400s|\n", 7, "left");
        return 0;
    }"""
    assert run_ours(source).stdout == native_run(source)[1]


# *** what glibc cannot be the reference for ***


def test_rand_is_the_c_standards_example_generator():
    source = r"""
    #include <stdio.h>
    #include <stdlib.h>
    int main(void) {
        int i;
        for (i = 0; i < 5; i++) printf("%d\n", rand());
        srand(2024);
        for (i = 0; i < 5; i++) printf("%d\n", rand());
        srand(1);
        printf("%d\n", rand());
        return 0;
    }"""
    expected, state = [], 1  # C89 4.10.2.2's example: next = next * 1103515245 + 12345
    for seed in (None, 2024, 1):
        state = state if seed is None else seed
        for _ in range(5 if seed != 1 else 1):
            state = (state * 1103515245 + 12345) % 2**32
            expected.append(state // 65536 % 32768)
    assert [int(x) for x in run_ours(source).stdout.split()] == expected


STRTOL_EDGES = [
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "99999999999",
    "4294967295",
    "4294967296",
    "-1",
    "0xffffffff",
    "0x100000000",
    "-0x80000000",
]


def test_strtol_and_strtoul_clamp_at_32_bits():
    """RV32's long is 32 bits (x86-64's glibc cannot say): out of range, strtol gives LONG_MAX
    or LONG_MIN and strtoul ULONG_MAX, with errno = ERANGE (C89 4.10.1.5-6)."""
    calls = "\n".join(f'    show("{s}");' for s in STRTOL_EDGES)
    source = f"""
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
static void show(const char *s) {{
    char *end;
    long v;
    unsigned long u;
    int e1, e2;
    errno = 0;
    v = strtol(s, &end, 0);
    e1 = errno;
    errno = 0;
    u = strtoul(s, 0, 0);
    e2 = errno;
    printf("%ld %d %d %lu %d\\n", v, e1 == ERANGE, (int)(end - s), u, e2 == ERANGE);
}}
int main(void) {{
{calls}
    return 0;
}}"""
    lines = run_ours(source).stdout.decode().splitlines()
    for text, line in zip(STRTOL_EDGES, lines, strict=True):
        value = int(text, 0)
        signed = min(max(value, -(2**31)), 2**31 - 1)
        magnitude = abs(value)
        unsigned = 2**32 - 1 if magnitude > 2**32 - 1 else (value % 2**32)
        assert line.split() == [
            str(signed),
            str(int(signed != value)),
            str(len(text)),
            str(unsigned),
            str(int(magnitude > 2**32 - 1)),
        ], text


def test_assert_reports_on_stderr_and_aborts():
    source = (
        "#include <assert.h>\n#include <stdio.h>\nint main(void) {\n    int x = 3;\n"
        '    printf("before\\n");\n    assert(x == 3);\n    assert(x + 1 == 5);\n'
        "    return 0;\n}\n"
    )
    ours = run_ours(source)
    assert ours.stdout == b"before\n"
    assert ours.stderr == b"prog.c:7: Assertion `x + 1 == 5' failed.\n"
    assert ours.exit_code == 134  # as a shell shows SIGABRT: 128 + 6


@pytest.mark.skipif(sys.platform != "linux", reason="the messages are glibc's (os.strerror)")
def test_perror_writes_the_message_of_errno_on_stderr():
    """perror's format and strerror's words are glibc's, which Python's os.strerror gives"""
    source = r"""
    #include <errno.h>
    #include <stdio.h>
    int main(void) {
        errno = ERANGE; perror("strtod");
        errno = ENOENT; perror("");
        errno = 7777; perror(NULL);
        printf("done\n");
        return 0;
    }"""
    ours = run_ours(source)
    assert ours.stdout == b"done\n"
    messages = [f"strtod: {os.strerror(errno.ERANGE)}", os.strerror(errno.ENOENT),
                os.strerror(7777)]  # fmt: skip
    assert ours.stderr.decode().splitlines() == messages


def test_ndebug_removes_asserts():
    source = "#define NDEBUG\n#include <assert.h>\nint main(void) { assert(0); return 5; }\n"
    assert run_ours(source).exit_code == 5


def test_float_h_describes_ieee_single_and_double():
    """the constants against Python's float (binary64) and numpy's float32, bit for bit"""
    source = r"""
    #include <float.h>
    #include <stdio.h>
    #include <string.h>
    static void bits(double d) {
        unsigned w[2];
        memcpy(w, &d, 8);
        printf("%08x%08x\n", w[1], w[0]);
    }
    int main(void) {
        float f[3];
        unsigned u[3];
        f[0] = FLT_MAX; f[1] = FLT_EPSILON; f[2] = FLT_MIN;
        memcpy(u, f, sizeof f);
        printf("%d %d %d %d %d %d %d %d\n", FLT_RADIX, FLT_ROUNDS, FLT_MANT_DIG, FLT_DIG,
               FLT_MIN_EXP, FLT_MIN_10_EXP, FLT_MAX_EXP, FLT_MAX_10_EXP);
        printf("%08x %08x %08x\n", u[0], u[1], u[2]);
        printf("%d %d %d %d %d %d\n", DBL_MANT_DIG, DBL_DIG, DBL_MIN_EXP, DBL_MIN_10_EXP,
               DBL_MAX_EXP, DBL_MAX_10_EXP);
        bits(DBL_MAX);
        bits(DBL_EPSILON);
        bits(DBL_MIN);
        return 0;
    }"""
    lines = run_ours(source).stdout.decode().splitlines()
    f32, info = np.finfo(np.float32), sys.float_info
    # C's *_MIN_EXP: the least e with 2^(e-1) normal; *_10_EXP: powers of ten in range
    ten_min, ten_max = math.ceil(math.log10(f32.tiny)), math.floor(math.log10(f32.max))
    flt = [2, 1, f32.nmant + 1, f32.precision, f32.minexp + 1, ten_min, f32.maxexp, ten_max]
    assert lines[0].split() == [str(x) for x in flt]
    as_bits = np.array([f32.max, f32.eps, f32.tiny], np.float32).view(np.uint32)
    assert lines[1].split() == [f"{x:08x}" for x in as_bits]
    dbl = [info.mant_dig, info.dig, info.min_exp, info.min_10_exp, info.max_exp, info.max_10_exp]
    assert lines[2].split() == [str(x) for x in dbl]
    assert lines[3:] == [struct.pack(">d", x).hex() for x in (info.max, info.epsilon, info.min)]


# *** malloc's own properties ***

MALLOC_PROPERTIES = r"""
#include <stdio.h>
#include <stdlib.h>
void *sbrk(int increment);
int main(void) {
    char *p[100];
    char *start, *grown, *big;
    int i;
    start = sbrk(0);
    for (i = 0; i < 100; i++)
        p[i] = malloc(100);
    grown = sbrk(0);
    for (i = 0; i < 100; i += 2)        /* free in an order that needs merging both ways */
        free(p[i]);
    for (i = 99; i > 0; i -= 2)
        free(p[i]);
    big = malloc(100 * 100);            /* fits in the merged blocks: the heap stays put */
    printf("%d %d\n", grown - start >= 100 * 100, sbrk(0) == grown);
    printf("%d %d %d\n", malloc(0x7fffffff) == 0, calloc(0x10000, 0x10000) == 0,
           malloc(0x40000000) == 0);
    printf("%d\n", big != 0 && realloc(big, 50) == big);
    return 0;
}
"""


def test_freed_neighbours_merge_and_impossible_requests_are_null():
    assert run_ours(MALLOC_PROPERTIES).stdout == b"1 1\n1 1 1\n1\n"


def test_only_what_a_program_uses_is_linked():
    _, exe = compile_executable('#include <string.h>\nint main(void) { return strlen("ab"); }')
    symbols = elf.read_executable(exe).symbols
    assert "strlen" in symbols and "exit" in symbols
    assert "malloc" not in symbols and "printf" not in symbols and "strcpy" not in symbols


def test_a_program_may_define_its_own_library_function():
    # one function per library file: the program's strcat wins, strcpy still comes from libc
    source = r"""
    #include <stdio.h>
    #include <string.h>
    char *strcat(char *d, const char *s) { return "mine"; }
    int main(void) { char b[8]; strcpy(b, "hi"); printf("%s %s\n", b, strcat(b, b)); return 0; }
    """
    assert run_ours(source).stdout == b"hi mine\n"


# *** printf's floating point conversions against glibc ***

# no %#g: glibc drops digits when rounding carries into a new one (999999.5 gives "1.e+06";
# C89 4.9.6.1 asks for "1.00000e+06"), see test_printf_alternate_g_keeps_its_digits
FLOAT_FORMATS = ["%f", "%.0f", "%.3f", "%#.0f", "%+012.4f", "%e", "%.0e", "%-14.3E", "%.12e",
                 "%g", "%G", "%.3g", "%.10g", "%.17g", "% 10g"]  # fmt: skip
FLOAT_EXTREMES = [
    0x7FEFFFFFFFFFFFFF,
    1,
    0x000FFFFFFFFFFFFF,
    0x0010000000000000,
    0x7FF0000000000000,
    0xFFF0000000000000,
    0x7FF8000000000000,
    1 << 63,
]


def float_values(rng: random.Random, count: int) -> list[int]:
    """double bit patterns: exact ties at several places (x.5, x.125, 2.5e-1 ...), decimal
    fractions that are not exact in binary, and random significands over 2^-40..2^70"""
    values = [0.5, 1.5, 2.5, 0.125, 0.375, 1e21, 1e22, 123456789.0, 0.1, 0.3, 2.0 / 3, 1e-5,
              9.9999996e-5, 999999.5, 0.00001234, 5e-324 * 3]  # fmt: skip
    values += [rng.randrange(1, 10**6) / 10 ** rng.randrange(0, 7) for _ in range(count // 2)]
    values += [rng.random() * 2.0 ** rng.randrange(-40, 70) * rng.choice([1, -1])
               for _ in range(count // 2)]  # fmt: skip
    return [int.from_bytes(struct.pack("<d", v), "little") for v in values]


def float_printf_program(values: list[int], formats: list[str]) -> str:
    """sprintf of each value with each format. Our compiler passes the double as a struct of
    its two words (a variadic double's slot pair: sprintf's third argument, a2:a3, is one);
    gcc passes a double."""
    words = ", ".join(f"{{{v >> 32}u, {v & 0xFFFFFFFF}u}}" for v in values)
    table = ", ".join(c_string(f"[{f}]") for f in formats)
    return f"""
#include <stdio.h>
#include <string.h>
#ifdef HOST
typedef double D;
static D make(unsigned hi, unsigned lo) {{
    unsigned long long u = (unsigned long long)hi << 32 | lo;
    double d;
    memcpy(&d, &u, 8);
    return d;
}}
#else
typedef struct {{ unsigned lo, hi; }} D;
static D make(unsigned hi, unsigned lo) {{ D d; d.hi = hi; d.lo = lo; return d; }}
#endif
static unsigned words[][2] = {{{words}}};
static const char *formats[] = {{{table}}};
int main(void) {{
    char buf[1000];
    int i, f, n;
    for (i = 0; i < (int)(sizeof words / sizeof words[0]); i++) {{
        for (f = 0; f < (int)(sizeof formats / sizeof formats[0]); f++) {{
            n = sprintf(buf, formats[f], make(words[i][0], words[i][1]));
            printf("%s%d", buf, n);
        }}
        printf("\\n");
    }}
    return 0;
}}
"""


@pytest.mark.parametrize("which", ["typical", "extremes"])
def test_printf_floating_point_matches_glibc(which, native_run):
    if which == "typical":
        source = float_printf_program(float_values(random.Random(7), 20), FLOAT_FORMATS)
    else:  # 2^1024 and 2^-1074 take millions of instructions each: three formats
        source = float_printf_program(FLOAT_EXTREMES, ["%e", "%.3g", "%.0f"])
    native_code, native_out = native_run(source, flags=("-DHOST",))
    ours = run_ours(source, max_steps=2_000_000_000)
    assert ours.stdout.decode().splitlines() == native_out.decode().splitlines()


def test_printf_alternate_g_keeps_its_digits():
    """%#g keeps trailing zeros: P = 6 significant digits, hand-derived from C89 4.9.6.1."""
    values = [999999.5, 1.0, 0.0001, 123456789.0]
    source = float_printf_program(
        [int.from_bytes(struct.pack("<d", v), "little") for v in values], ["%#g"]
    )
    lines = run_ours(source).stdout.decode().splitlines()
    assert lines == ["[1.00000e+06]13", "[1.00000]9", "[0.000100000]13", "[1.23457e+08]13"]


STDIO_ECHO = r"""
#include <stdio.h>
#include <string.h>
int main(void) {
    char line[8];
    int lines = 0, c;
    while (fgets(line, sizeof line, stdin) != NULL) {   /* long lines come in pieces */
        lines++;
        fputs("[", stdout);
        fwrite(line, 1, strlen(line), stdout);
        fputc(']', stdout);
        putc('\n', stdout);
        if (lines == 3)
            break;
    }
    while ((c = getc(stdin)) != EOF)
        putchar(c == '\n' ? '|' : c);
    fprintf(stderr, "%d lines\n", lines);
    fflush(stdout);
    puts("");
    return lines;
}
"""


def test_stdio_reads_and_writes_like_glibc(native_run):
    stdin = b"short\na line longer than eight\nthird\nrest\nof it\xff\n"
    native_code, native_out = native_run(STDIO_ECHO, stdin=stdin)
    ours = run_ours(STDIO_ECHO, stdin=stdin)
    assert (ours.stdout, ours.exit_code) == (native_out, native_code)
    assert ours.stderr == b"3 lines\n"


PRINTF_DOUBLES = r"""
#include <stdio.h>
int main(void) {
    double x = 1.0 / 3, y = -2.5e-7, big = 1e300;
    float f = 0.1f;
    int i;
    printf("%d %f %d %e %g\n", 1, x, 3, y, big);
    printf("%.3f %s %8.2e %c %g\n", f, "mid", x * 1e10, 'z', (double)f);
    for (i = 0; i < 5; i++)
        printf("%d:%.*f|%-10.4g|%+.2e\n", i, i, x * i, y * i, big / (i + 1));
    printf("%f %f %f\n", 0.5, 1.5, 2.5);
    return 0;
}
"""


@LEVELS
def test_printf_of_real_doubles_matches_glibc(opt_level, native_run):
    """doubles computed by compiled code (soft float) and passed through `...` at odd and even
    argument positions (a variadic double sits at an 8-byte boundary), floats promoted"""
    native_code, native_out = native_run(PRINTF_DOUBLES)
    ours = run_ours(PRINTF_DOUBLES, opt_level)
    assert (ours.stdout, ours.exit_code) == (native_out, native_code)
