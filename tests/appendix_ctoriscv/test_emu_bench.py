"""The emulator's benchmark, checked (bench/appendix_emu.py; book section A.9).

The bench times three ways of running RV32I: its own plain decode-and-dispatch interpreter,
emu.py with basic blocks only, and emu.py with regions. Here, at small sizes and with every
entry hot at once, the three must agree on the exit code and on the exact number of instructions:
on the bench's four programs (exit codes worked out in Python), and on random loops of ALU
instructions, loads and stores of every width at aligned and misaligned offsets, often to the
same word, and forward branches: what fastpath.py inlines and forwards from a store to a load
(a forwarding that missed a byte store in between fails here).
"""

import random

import pytest

from appendix_ctoriscv import emu
from appendix_ctoriscv.asm import assemble
from appendix_ctoriscv.link import link
from appendix_ctoriscv.main import compile_executable
from appendix_ctoriscv.runtime import runtime_objects

pytestmark = pytest.mark.sec_a_9


def three_ways(monkeypatch, bench, exe: bytes) -> list[tuple[int, int]]:
    """(exit code, instructions) from the plain interpreter, blocks, and regions (all hot)."""
    plain = bench.interpret(exe)
    blocks = emu.run(exe, use_regions=False)
    monkeypatch.setattr(emu, "HOT_ENTRY", 0)
    regions = emu.run(exe)
    return [plain, (blocks.exit_code, blocks.steps), (regions.exit_code, regions.steps)]


def tight_loop(n: int) -> int:
    a = 0
    for t in range(n, 0, -1):
        a = ((a + t) & 0xFFFFFFFF) ^ t
    return a & 255


def mixed(n: int) -> int:
    s1 = 0
    for s0 in range(n, 0, -1):
        s1 = (s1 + s0 * 7) & 0xFFFFFFFF
        s1 = (s1 + s1 % 13) & 0xFFFFFFFF
    return s1 & 255


def c_loops(n: int) -> int:
    a, s = [0] * 1000, 0
    for _ in range(n):
        for i in range(1000):
            a[i] += i
            s += a[i] & 7
    return s & 255


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@pytest.mark.parametrize("name", ["TIGHT", "MIXED", "C_LOOPS", "C_CALLS", "C_LOOPS -O1",
                                  "C_CALLS -O1"])  # fmt: skip
def test_the_bench_programs_run_alike_three_ways(monkeypatch, bench, name):
    name, _, level = name.partition(" -O")
    n, expected = {"TIGHT": (300, tight_loop(300)), "MIXED": (50, mixed(50)),
                   "C_LOOPS": (2, c_loops(2)), "C_CALLS": (12, fib(12) & 255)}[name]  # fmt: skip
    template = getattr(bench, name)
    if name.startswith("C_"):
        exe = compile_executable(template.format(n=n), "bench.c", opt_level=int(level or 0))[1]
    else:
        exe = bench.build(template, n)
    runs = three_ways(monkeypatch, bench, exe)
    assert runs[0][0] == expected
    assert runs[1] == runs[0] and runs[2] == runs[0]


REGS = ["t0", "t1", "t2", "a1", "a2", "a3", "s1", "zero"]  # s2 holds the buffer's address


def random_loop(rng: random.Random) -> str:
    """main: a loop of random instructions over a 48-byte stack buffer at s2, then a checksum
    of the registers and the buffer as the exit code."""
    lines = ["    .globl main", "main:", "    addi sp, sp, -64", "    sw s1, 56(sp)",
             "    sw s2, 52(sp)", "    mv s2, sp", "    li s1, 0",
             f"    li t0, {rng.randrange(-2**31, 2**31)}", f"    li t1, {rng.randrange(2**31)}",
             f"    li a4, {rng.randint(1, 30)}", "1:"]  # fmt: skip
    for _ in range(rng.randint(3, 25)):
        kind, rd, a, b = rng.random(), rng.choice(REGS), rng.choice(REGS), rng.choice(REGS)
        offset = rng.choice([0, 1, 2, 4, 5, 8, rng.randint(0, 44)])  # often the same word
        if kind < 0.3:
            op = rng.choice("add sub sll slt sltu xor srl sra or and".split())
            lines.append(f"    {op} {rd}, {a}, {b}")
        elif kind < 0.45:
            op = rng.choice("addi slti sltiu xori ori andi".split())
            lines.append(f"    {op} {rd}, {a}, {rng.randint(-2048, 2047)}")
        elif kind < 0.5:
            op = rng.choice(["slli", "srli", "srai"])
            lines.append(f"    {op} {rd}, {a}, {rng.randrange(32)}")
        elif kind < 0.55:
            lines.append(f"    lui {rd}, {rng.randrange(1 << 20)}")
        elif kind < 0.75:  # mostly aligned words: what the stack machine does
            op = rng.choice(["sw", "sw", "sh", "sb"])
            aligned = offset & ~3 if op == "sw" and rng.random() < 0.7 else offset
            lines.append(f"    {op} {a}, {aligned}(s2)")
        elif kind < 0.95:
            op = rng.choice(["lw", "lw", "lw", "lh", "lhu", "lb", "lbu"])
            aligned = offset & ~3 if op == "lw" and rng.random() < 0.7 else offset
            lines.append(f"    {op} {rd}, {aligned}(s2)")
        else:
            lines += [f"    beq {a}, {b}, 2f", f"    xori s1, s1, {rng.randrange(2048)}", "2:"]
    checksum = [f"    {op} s1, s1, {r}" for op, r in zip(["add", "xor"] * 3, REGS)]
    for k in (0, 20, 40):
        checksum += [f"    lw t0, {k}(s2)", "    add s1, s1, t0"]
    lines += [*checksum, "    addi a4, a4, -1", "    bnez a4, 1b", "    srli t0, s1, 16",
              "    xor s1, s1, t0", "    srli t0, s1, 8", "    xor a0, s1, t0",
              "    andi a0, a0, 255", "    lw s1, 56(sp)", "    lw s2, 52(sp)",
              "    addi sp, sp, 64", "    ret"]  # fmt: skip
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(60))
def test_random_loops_run_alike_three_ways(monkeypatch, bench, seed):
    exe = link([assemble(random_loop(random.Random(seed)))], library=runtime_objects())
    plain, blocks, regions = three_ways(monkeypatch, bench, exe)
    assert blocks == plain and regions == plain


def test_the_before_column_runs_the_emulator_of_that_revision(bench, tmp_path):
    """bench.emulator_at loads emu.py and its translators as they were at bench.BEFORE (from
    git) into a package of their own: it runs the C bench program to the same exit code and
    instruction count as the emulator now, and its regions.py is the old file, not ours."""
    import subprocess

    if subprocess.run(["git", "cat-file", "-e", f"{bench.BEFORE}^{{commit}}"], cwd=bench.REPO,
                      capture_output=True).returncode:  # fmt: skip
        pytest.skip(f"revision {bench.BEFORE} not in this checkout (a shallow clone?)")
    old = bench.emulator_at(bench.BEFORE, str(tmp_path))
    assert old.regions.__name__ == f"emu_{bench.BEFORE}.regions"
    assert not hasattr(old.regions, "fast_loop")  # the translator before fastpath.py
    exe = compile_executable(bench.C_CALLS.format(n=10), "bench.c")[1]
    then, now = old.run(exe), emu.run(exe)
    assert (then.exit_code, then.steps) == (now.exit_code, now.steps) and then.exit_code == 55
