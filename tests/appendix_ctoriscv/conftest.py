"""Shared helpers for the appendix tests: the host C compiler as an oracle, random expressions.

`native_run` compiles C with the host's gcc as our target would see it (plain char unsigned as
on RISC-V, wrapping signed arithmetic) and runs it; `random_expressions` makes C expressions
whose value C defines (no division by zero, no shift by 32 or more, no INT_MIN / -1).
"""

import importlib.util
import pathlib
import random
import shutil
import subprocess

import pytest

GCC_FLAGS = ["-std=gnu99", "-w", "-O0", "-fwrapv", "-funsigned-char"]


def _native_run(tmp_path, source: str, stdin: bytes = b"", flags=()):
    """Compile `source` with gcc and run it: (exit code, stdout bytes)."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: no native reference to compare with")
    src = tmp_path / "native.c"
    exe = tmp_path / "native"
    src.write_text(source)
    subprocess.run(["gcc", *GCC_FLAGS, *flags, "-o", str(exe), str(src)], check=True,
                   cwd=tmp_path)
    done = subprocess.run([str(exe)], input=stdin, capture_output=True, timeout=20)
    return done.returncode, done.stdout


@pytest.fixture
def native_run(tmp_path):
    return lambda source, stdin=b"", flags=(): _native_run(tmp_path, source, stdin, flags)


BINARY = ["+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "&&", "||", "==", "!=", "<", "<=",
          ">", ">="]
UNARY = ["-", "~", "!", "+"]
CASTS = ["(unsigned)", "(char)", "(signed char)", "(short)", "(unsigned short)", "(int)",
         "(unsigned char)"]  # no (long): it is 64 bits wide on the host
EDGE_VALUES = ["0", "1", "2", "7", "-1", "255", "65535", "2147483647", "0x80000000", "4294967295u",
               "1000000", "-123456", "'a'", "0x7f", "3u"]


def _expression(rng: random.Random, depth: int, leaves: list[str]) -> str:
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(leaves)
    kind = rng.random()
    a = _expression(rng, depth - 1, leaves)
    if kind < 0.15:
        return f"{rng.choice(UNARY)}({a})"
    if kind < 0.3:
        return f"{rng.choice(CASTS)}({a})"
    b = _expression(rng, depth - 1, leaves)
    if kind < 0.35:
        return f"(({a}) ? ({b}) : ({_expression(rng, depth - 1, leaves)}))"
    op = rng.choice(BINARY)
    if op in ("/", "%"):
        b = f"(({b}) & 255 | 1)"  # in 1..255: never zero, never -1
    elif op in ("<<", ">>"):
        b = f"(({b}) & 31)"
    return f"({a}) {op} ({b})"


def random_expressions(seed: int, count: int, leaves=EDGE_VALUES, depth: int = 4) -> list[str]:
    """`count` random C expressions over `leaves`, each with a value C defines."""
    rng = random.Random(seed)
    return [_expression(rng, depth, leaves) for _ in range(count)]


@pytest.fixture
def make_expressions():
    return random_expressions


SCALARS = ["c", "sc", "s", "us", "i", "u"]
PROGRAM_DECLS = ("char c = 7; signed char sc = -3; short s = 1000; unsigned short us = 65000; "
                 "int i = -12345; unsigned u = 4000000000u; int k0, k1, k2; int arr[8]; "
                 "unsigned char carr[8];")
COMPOUND = ["+=", "-=", "*=", "&=", "|=", "^=", "<<=", ">>=", "/=", "%="]


def _lvalue(rng: random.Random, leaves: list[str]) -> str:
    if rng.random() < 0.25:
        index = _expression(rng, 1, leaves)
        return f"{rng.choice(['arr', 'carr'])}[({index}) & 7]"
    return rng.choice(SCALARS)


def _statements(rng: random.Random, depth: int, count: int, leaves: list[str]) -> list[str]:
    out = []
    for _ in range(count):
        kind = rng.random()
        lhs = _lvalue(rng, leaves)
        if kind < 0.3:
            out.append(f"{lhs} = {_expression(rng, 3, leaves)};")
        elif kind < 0.55:
            op = rng.choice(COMPOUND)
            rhs = _expression(rng, 2, leaves)
            if op in ("/=", "%="):
                rhs = f"(({rhs}) & 255 | 1)"
            elif op in ("<<=", ">>="):
                rhs = f"(({rhs}) & 31)"
            out.append(f"{lhs} {op} {rhs};")
        elif kind < 0.65:
            out.append(rng.choice(["{}++;", "++{};", "{}--;", "--{};"]).format(lhs))
        elif kind < 0.75:
            out.append(f"print_int({_expression(rng, 3, leaves)}); putchar(10);")
        elif kind < 0.88 and depth < 2:
            then = " ".join(_statements(rng, depth + 1, 3, leaves))
            els = " ".join(_statements(rng, depth + 1, 2, leaves))
            out.append(f"if ({_expression(rng, 2, leaves)}) {{ {then} }} else {{ {els} }}")
        elif depth < 2:
            k = f"k{depth}"
            body = " ".join(_statements(rng, depth + 1, 3, leaves))
            bound = _expression(rng, 2, leaves)
            out.append(f"for ({k} = 0; {k} < (({bound}) & 7); {k}++) {{ {body} }}")
    return out


def random_program(seed: int, count: int = 40) -> str:
    """A random C program over variables of every integer type, with assignments, compound
    assignments, increments, ifs and bounded loops, that prints its values as it goes. Its
    behaviour is defined (with -fwrapv for signed overflow), so any two compilers must agree."""
    rng = random.Random(seed)
    leaves = SCALARS + ["arr[3]", "carr[5]", "k0", "1", "-1", "7", "255", "0x8000", "100000"]
    body = "\n    ".join(_statements(rng, 0, count, leaves))
    dump = " ".join(f"print_int({v}); putchar(10);" for v in SCALARS)
    dump += " for (k0 = 0; k0 < 8; k0++) { print_int(arr[k0] + carr[k0]); putchar(10); }"
    return (f'#include "test.h"\nint main() {{\n    {PROGRAM_DECLS}\n    {body}\n    {dump}\n'
            "    return 0;\n}\n")


@pytest.fixture
def make_program():
    return random_program


@pytest.fixture(scope="module")
def bench():
    """bench/appendix_emu.py as a module: its plain interpreter and its programs."""
    path = pathlib.Path(__file__).parents[2] / "bench" / "appendix_emu.py"
    spec = importlib.util.spec_from_file_location("appendix_emu_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
