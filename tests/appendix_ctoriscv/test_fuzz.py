"""Fuzzing (book section A.5): no input makes the compiler fail with a Python exception.

Thousands of inputs of three kinds: random bytes, token soup (random sequences of C's words and
punctuators, which reach deep into the parser), and the test programs of tests/c, c89 and c89_float
mutated byte by byte and token by token. Each must be compiled or rejected with diagnostics
(CompileError, or a LinkError for a function defined nowhere); what compiles must also survive the
dumps and a short run on the emulator; through the driver, with each of its options, each must end
in an exit status. Then random *valid* programs, in the style of Csmith (functions, globals,
arrays, pointers, loops, switch; only behaviour that C defines, with gcc's -fwrapv), must print the
same as the host's gcc makes them print. Hypothesis runs derandomized, so CI sees the same inputs
every time; a failure prints the input that caused it.
"""

import pathlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appendix_ctoriscv import emu
from appendix_ctoriscv.defs import SourceFile
from appendix_ctoriscv.errors import CompileError, Diagnostics
from appendix_ctoriscv.ir import format_ir
from appendix_ctoriscv.lex import PUNCTUATORS, SOURCE_BYTES
from appendix_ctoriscv.link import LinkError
from appendix_ctoriscv.lower import lower_program
from appendix_ctoriscv.main import compile_executable, deep_recursion, format_ast, main

pytestmark = pytest.mark.sec_a_5
C_DIR = pathlib.Path(__file__).parent / "c"


def fuzz(max_examples: int) -> settings:
    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


# --8<-- [start:compile_or_reject]
def compile_or_reject(text: str) -> None:
    """The property: `text` compiles (and then dumps and runs), or is rejected by name."""
    try:
        result, exe = compile_executable(text, "fuzz.c")
    except CompileError as e:
        assert e.errors, "a CompileError without an error in it"
        str(e)  # rendering the diagnostics must not fail either
        return
    except LinkError:
        return  # a function declared but defined nowhere: the linker says which
    with deep_recursion(SourceFile("fuzz.c", text), Diagnostics()):
        format_ast(result.program)
        format_ir(lower_program(result.program))
    try:
        emu.run(exe, max_steps=20_000)
    except (emu.EmulatorFault, emu.StepLimitExceeded):
        pass
    compile_executable(text, "fuzz.c", opt_level=1)  # what compiles must also optimise
# --8<-- [end:compile_or_reject]


# *** 1. random bytes ***


@fuzz(1500)
@given(st.binary(max_size=120))
def test_random_bytes(data):
    compile_or_reject(data.decode(*SOURCE_BYTES))


# *** 2. token soup ***

WORDS = ("int char short long unsigned signed void static extern register const volatile if else "
         "while for do switch case default break continue return goto sizeof struct typedef "
         "union enum float double __builtin_va_start __builtin_va_arg main x y f p a").split()
LITERALS = ["0", "1", "42", "0x7fffffff", "4294967295u", "'a'", "'\\n'", '"s"', "0777", "1e3",
            "1.5f", ".5e-3", "1e400"]
DIRECTIVES = ["\n#define M(x) x\n", "\n#if 1\n", "\n#endif\n", "\n#include \"nope.h\"\n", "\n#"]
TOKENS = WORDS + LITERALS + PUNCTUATORS + DIRECTIVES


@fuzz(1500)
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_token_soup(tokens):
    compile_or_reject(" ".join(tokens))


@fuzz(400)
@given(st.lists(st.sampled_from(TOKENS), max_size=25))
def test_token_soup_inside_a_function(tokens):
    compile_or_reject("int g(int a);\nint main(void) { int x = 1, y[4]; " + " ".join(tokens)
                      + "\n return 0; }")


# *** 3. mutated test programs ***

# tests/c, and the programs of the rest of C89 (struct, union, enum, typedef, initialisers,
# function pointers, varargs, float and double)
PROGRAMS = [*sorted(C_DIR.glob("*.c")), *sorted((C_DIR.parent / "c89").glob("*.c")),
            *sorted((C_DIR.parent / "c89_float").glob("*.c"))]


def mutate(text: str, rng: random.Random) -> str:
    """A few random edits: delete, duplicate or move a slice, insert a token, flip a byte."""
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(text) + 1)
        j = min(len(text), i + rng.randint(1, 12))
        kind = rng.randrange(5)
        if kind == 0:
            text = text[:i] + text[j:]
        elif kind == 1:
            text = text[:i] + text[i:j] * 2 + text[j:]
        elif kind == 2:
            k = rng.randrange(len(text) + 1)
            piece, rest = text[i:j], text[:i] + text[j:]
            text = rest[:k] + piece + rest[k:]
        elif kind == 3:
            text = text[:i] + f" {rng.choice(TOKENS)} " + text[i:]
        else:
            text = text[:i] + chr(rng.randrange(256)) + text[i + 1 :]
    return text


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_mutated_programs(path):
    # include "test.h" and "macros.h" from tests/c: the mutants compile far enough to matter
    text = path.read_text()
    rng = random.Random(path.stem)
    for _ in range(40 if path.parent == C_DIR else 20):
        mutant = mutate(text, rng)
        mutant = mutant.replace('#include "', f'#include "{path.parent}/')
        compile_or_reject(mutant)


# *** 4. the same through the driver, with its options ***

DRIVER_OPTIONS = [["-S"], ["--dump-tokens"], ["--dump-ast"], ["--dump-ir"], ["--dump-passes"],
                  ["-O", "1", "-S"], ["-std", "c89", "-S"], ["--run", "--max-steps", "20000"],
                  ["-O", "1", "--run", "--max-steps", "20000"]]  # fmt: skip


@fuzz(300)
@given(st.lists(st.sampled_from(TOKENS), max_size=30), st.sampled_from(DRIVER_OPTIONS))
def test_the_driver_returns_a_status_for_any_input(tmp_path_factory, tokens, options):
    """`python -m appendix_ctoriscv` itself: every option ends in an exit status (0, 1 with
    diagnostics, or the program's own under --run), never in an exception."""
    import contextlib
    import io

    folder = tmp_path_factory.mktemp("driver")
    source = folder / "fuzz.c"
    source.write_text("int main(void) { " + " ".join(tokens) + "\n return 0; }")
    out = io.TextIOWrapper(io.BytesIO())
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = main([str(source), "-o", str(folder / "out"), *options])
    assert isinstance(status, int) and 0 <= status <= 255


# *** 5. random valid programs against gcc (Csmith-style) ***

TYPES = ["int", "unsigned", "short", "unsigned short", "unsigned char", "signed char"]


class ProgramGenerator:
    """A random C program whose behaviour C defines: pure functions f0..fN (each may call only
    lower-numbered ones, so there is no recursion), globals and arrays that only `main`
    changes, loops with bounded counters, and a checksum printed at the end. No division by
    zero or of INT_MIN by -1, no shift by 32 or more, every index masked into range."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def expr(self, names: list[str], depth: int, calls: list[str]) -> str:
        rng = self.rng
        if depth == 0 or rng.random() < 0.25:
            leaf = rng.random()
            if leaf < 0.5 and names:
                return rng.choice(names)
            if leaf < 0.7:
                return rng.choice(["ga", "gb"]) + f"[({self.expr(names, 0, [])}) & 7]"
            return rng.choice(["0", "1", "3", "7", "255", "-1", "1000", "65535", "0x7fffffff",
                               "123456", "'z'", "4000000000u"])
        a = self.expr(names, depth - 1, calls)
        kind = rng.random()
        if kind < 0.12:
            return f"{rng.choice(['-', '~', '!'])}({a})"
        if kind < 0.22:
            return f"({rng.choice(TYPES)})({a})"
        if kind < 0.3 and calls:
            return f"{rng.choice(calls)}({a}, {self.expr(names, depth - 1, [])})"
        b = self.expr(names, depth - 1, calls)
        if kind < 0.36:
            return f"(({a}) ? ({b}) : ({self.expr(names, depth - 1, calls)}))"
        op = rng.choice("+ - * / % << >> & | ^ && || == != < <= > >=".split())
        if op in ("/", "%"):
            b = f"(({b}) & 255 | 1)"
        elif op in ("<<", ">>"):
            b = f"(({b}) & 31)"
        return f"({a}) {op} ({b})"

    def stmts(self, targets: list[str], names: list[str], depth: int, count: int,
              calls: list[str]) -> list[str]:  # fmt: skip
        rng, out = self.rng, []
        for _ in range(count):
            kind = rng.random()
            lhs = rng.choice(targets)
            if kind < 0.35:
                out.append(f"{lhs} = {self.expr(names, 3, calls)};")
            elif kind < 0.5:
                op = rng.choice(["+=", "-=", "^=", "|=", "&=", "*="])
                out.append(f"{lhs} {op} {self.expr(names, 2, calls)};")
            elif kind < 0.6:
                out.append(f"{lhs}{rng.choice(['++', '--'])};")
            elif kind < 0.72 and depth < 2:
                then = " ".join(self.stmts(targets, names, depth + 1, 2, calls))
                els = " ".join(self.stmts(targets, names, depth + 1, 2, calls))
                out.append(f"if ({self.expr(names, 2, calls)}) {{ {then} }} else {{ {els} }}")
            elif kind < 0.84 and depth < 2:
                k = f"k{depth}"  # loop counters: read in the body, written only by the loop
                body = " ".join(self.stmts(targets, names + [k], depth + 1, 2, []))
                loop = rng.randrange(3)
                bound = f"(({self.expr(names, 1, [])}) & 7)"
                if loop == 0:
                    out.append(f"for ({k} = 0; {k} < {bound}; {k}++) {{ {body} }}")
                elif loop == 1:
                    out.append(f"{k} = {bound}; while ({k}-- > 0) {{ {body} }}")
                else:
                    out.append(f"{k} = {bound}; do {{ {body} }} while ({k}-- > 0);")
            elif depth < 2:
                cases = " ".join(f"case {i}: {' '.join(self.stmts(targets, names, 2, 1, []))}"
                                 + (" break;" if self.rng.random() < 0.7 else "")
                                 for i in range(3))  # fmt: skip
                out.append(f"switch (({self.expr(names, 2, calls)}) & 3) {{ {cases} "
                           f"default: {lhs} += 5; }}")
        return out

    def function(self, i: int) -> str:
        ret, ta, tb = (self.rng.choice(TYPES) for _ in range(3))
        locals_ = ["a", "b", "l0", "l1"]
        calls = [f"f{j}" for j in range(i)]
        body = " ".join(self.stmts(locals_, locals_, 0, 4, calls))
        return (f"{ret} f{i}({ta} a, {tb} b) {{ int l0 = a, l1 = b; int k0, k1; "
                f"{body} return {self.expr(locals_, 3, calls)}; }}")

    def program(self, n_functions: int = 4) -> str:
        functions = "\n".join(self.function(i) for i in range(n_functions))
        scalars = ["g0", "g1", "g2", "g3"]
        targets = scalars + [f"ga[({self.expr(scalars, 1, [])}) & 7]" for _ in range(2)]
        calls = [f"f{j}" for j in range(n_functions)]
        body = "\n    ".join(self.stmts(targets, scalars, 0, 12, calls))
        checksum = " ".join(f"print_int({g});" for g in scalars)
        return (
            "int putchar(int c);\n"
            "void print_int(int x) { unsigned u = x; if (x < 0) { putchar('-'); u = -u; }\n"
            "  if (u > 9) print_int(u / 10); putchar('0' + u % 10); putchar(' '); }\n"
            "int g0 = 1; unsigned g1 = 2; short g2 = -3; unsigned char g3 = 4;\n"
            "int ga[8] = {1, -2, 3, 0x7fffffff}; unsigned char gb[8] = {200, 1, 2};\n"
            f"{functions}\n"
            f"int main(void) {{\n    int k0, k1;\n    {body}\n    {checksum}\n"
            "    for (k0 = 0; k0 < 8; k0++) print_int(ga[k0] + gb[k0]);\n    return 0;\n}\n"
        )


@pytest.mark.parametrize("seed", range(8))
def test_mutated_random_programs(seed):
    """The generated programs, mutated: every construct of the generator, broken in random
    places (mutants like these found a case label under `switch ((void)x)` raising a
    ValueError)."""
    text = ProgramGenerator(1000 + seed).program(2)
    rng = random.Random(seed)
    for _ in range(25):
        compile_or_reject(mutate(text, rng))


@pytest.mark.parametrize("opt_level", [0, 1], ids=["O0", "O1"])
@pytest.mark.parametrize("seed", range(12))
def test_random_valid_programs_match_gcc(seed, native_run, opt_level):
    source = ProgramGenerator(seed).program()
    code, expected = native_run(source)
    _, exe = compile_executable(source, f"csmith{seed}.c", opt_level=opt_level)
    result = emu.run(exe, max_steps=50_000_000)
    assert (result.exit_code, result.stdout) == (code, expected)
