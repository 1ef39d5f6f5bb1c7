"""Inputs that used to take time out of proportion to their size (issue 15), and the behaviour
of the code that fixed them, against the host's gcc.

No test here times anything: each counts work (instructions executed, tokens produced, blocks
walked) and compares it with a bound derived by hand, and each program's output is gcc's.
"""

import importlib.util
import pathlib

import pytest

from appendix_ctoriscv import emu
from appendix_ctoriscv.main import compile_executable

pytestmark = pytest.mark.sec_a_5

# a switch on each kind of controlling value, sparse and dense, negative and above 2^31,
# with and without default and with fall-through; main prints which case each input took
SWITCHES = r"""
#include <stdio.h>
int on_int(int x) {
    switch (x) {
    case -2147483647 - 1: return 1; case -70000: return 2; case -5: return 3; case -1: return 4;
    case 0: return 5; case 3: case 4: return 6; case 9: x += 100;  /* falls through */
    case 10: return x; case 77: return 8; case 1000: return 9; case 65536: return 10;
    case 2147483647: return 11; default: return -x;
    }
}
unsigned on_unsigned(unsigned x) {
    switch (x) {
    case 0u: return 1; case 1u: return 2; case 100u: return 3; case 0x7fffffffu: return 4;
    case 0x80000000u: return 5; case 0x80000001u: return 6; case 3000000000u: return 7;
    case 0xfffffffeu: return 8; case 0xffffffffu: return 9;
    }
    return 0;
}
int on_char(unsigned char c) {
    int n = 0;
    switch (c) {
    case 'a': n += 1; case 'b': n += 2; break; case 200: n = 3; break; case 255: n = 4; break;
    case 0: n = 5; break; case '0': n = 6; break; default: n = 7;
    }
    return n;
}
int on_short(short s) {
    switch (s) { case -32768: return 1; case -1: return 2; case 1: return 3; case 32767: return 4;
                 case 12: return 5; case -12: return 6; }
    return 0;
}
int main(void) {
    static const int ints[] = {-2147483647 - 1, -70001, -70000, -69999, -6, -5, -4, -1, 0, 1, 3,
                               4, 9, 10, 11, 77, 999, 1000, 65536, 2147483646, 2147483647};
    static const unsigned uns[] = {0u, 1u, 2u, 100u, 0x7fffffffu, 0x80000000u, 0x80000001u,
                                   3000000000u, 0xfffffffdu, 0xfffffffeu, 0xffffffffu, 5u};
    static const short shorts[] = {-32768, -32767, -12, -1, 0, 1, 12, 32767, 100};
    int i;
    for (i = 0; i < (int)(sizeof ints / sizeof ints[0]); i++) printf("%d ", on_int(ints[i]));
    for (i = 0; i < (int)(sizeof uns / sizeof uns[0]); i++) printf("%u ", on_unsigned(uns[i]));
    for (i = 0; i < 256; i++) printf("%d", on_char((unsigned char)i));
    for (i = 0; i < (int)(sizeof shorts / sizeof shorts[0]); i++)
        printf(" %d", on_short(shorts[i]));
    printf("\n");
    return 0;
}
"""


@pytest.mark.parametrize("opt_level", [0, 1])
def test_switches_take_the_case_gcc_takes(native_run, opt_level):
    """Switches of more than a few cases find their case by binary search: signed and unsigned
    order, the extremes of each type, fall-through and default as gcc runs them."""
    _, exe = compile_executable(SWITCHES, "t.c", opt_level=opt_level)
    assert emu.run(exe).stdout == native_run(SWITCHES)[1]


def big_switch(cases: int) -> str:
    """A switch over `cases` values -4000, -3997, ...; main switches on the value that stdin's
    first byte picks from a table."""
    body = "".join(f"case {3 * i - 4000}: c += {i}; break; " for i in range(cases))
    last = 3 * (cases - 1) - 4000
    return ("int getchar(void);\n"
            "int big(int c) { switch (c) { " + body + "default: c = 7; } return c; }\n"
            f"int main(void) {{ static const int values[] = {{-4000, {last}, 1}};\n"
            "  return big(values[getchar() - '0']) % 256; }\n")


@pytest.mark.parametrize("opt_level", [0, 1])
def test_a_3000_case_switch_tests_logarithmically_many_times(opt_level):
    """A chain of compares ran up to 3000 of them, and its 3000-deep chain of blocks made the
    dominator analysis of -O1 quadratic (15 s for this function). Binary search compares about
    log2(3000) = 12 times: the last case must cost about what the first costs, not 3000 more
    compares, and the runs' exit codes are worked out by hand."""
    _, exe = compile_executable(big_switch(3000), "t.c", opt_level=opt_level)
    last = 3 * 2999 - 4000
    steps = []
    for stdin, expected in [(b"0", -4000), (b"1", last + 2999), (b"2", 7)]:
        run = emu.run(exe, stdin=stdin)
        assert run.exit_code == expected % 256
        steps.append(run.steps)
    # a chain would differ by at least 2 instructions a compare, 6000 in all
    assert max(steps) - min(steps) < 200


def load_bench():
    """bench/appendix_scaling.py, whose `define_chain(n, function_like)` writes the chains."""
    path = pathlib.Path(__file__).parents[2] / "bench" / "appendix_scaling.py"
    spec = importlib.util.spec_from_file_location("appendix_scaling_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# `#define A1 A0` ... `#define A{n-1} A{n-2}` (or `A1(x) A0(x)`), used once
macro_chain = load_bench().define_chain


@pytest.mark.parametrize("function_like", [False, True])
def test_a_chain_of_macros_takes_memory_linear_in_its_length(function_like):
    """Each level of a chain of macros adds a name to the hideset of what it expands to. Every
    token kept a link to the use it came from, with that use's hideset, so a chain of n macros
    kept n sets of up to n names (and spent most of its time building them): the peak memory
    of preprocessing must about double when the chain does, not quadruple."""
    import tracemalloc

    from appendix_ctoriscv.defs import SourceFile
    from appendix_ctoriscv.errors import Diagnostics
    from appendix_ctoriscv.lex import tokenize
    from appendix_ctoriscv.preprocess import preprocess

    def peak(n: int) -> int:
        diag = Diagnostics()
        tokens = tokenize(SourceFile("t.c", macro_chain(n, function_like)), diag)
        tracemalloc.start()
        try:
            out = preprocess(tokens, diag)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert not diag.errors and [t.text for t in out][5:7] != []

    small, large = peak(1500), peak(3000)
    assert large < 2.6 * small  # the sets alone would make it about 4x
    for n in (1, 2, 3000):
        _, exe = compile_executable(macro_chain(n, function_like), "t.c")
        assert emu.run(exe).exit_code == 42
