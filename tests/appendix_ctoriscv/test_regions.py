"""Region translation (regions.py, book section A.9): many blocks per Python function.

Every entry is made hot at once (emu.HOT_ENTRY = 0), so that regions run everything they can.
References: the host gcc's output for the test programs; instruction counts worked out by hand
from the programs' loops; the step limit's rule (stop before the block that would cross it);
qemu-riscv32 for the benchmark programs built by GNU gcc; the basic-block emulator
(use_regions=False) for random programs, on every observable.
"""

import pathlib
import random
import shutil
import subprocess

import pytest

from appendix_ctoriscv import blocks, emu, fastpath, regions
from appendix_ctoriscv.asm import assemble
from appendix_ctoriscv.link import link
from appendix_ctoriscv.main import compile_executable
from appendix_ctoriscv.runtime import runtime_objects

pytestmark = pytest.mark.sec_a_9
C_DIR = pathlib.Path(__file__).parent / "c"

# 5 instructions a round (add, slli, xor, addi, bnez), n rounds; the rest (crt0, main's two `li`,
# andi and ret, exit in the C library) is the same whatever n is.
TIGHT = """
    .globl main
main:
    li    t0, {n}
    li    a0, 0
1:  add   a0, a0, t0
    slli  t1, a0, 3
    xor   a0, a0, t1
    addi  t0, t0, -1
    bnez  t0, 1b
    andi  a0, a0, 255
    ret
"""


@pytest.fixture
def hot(monkeypatch):
    monkeypatch.setattr(emu, "HOT_ENTRY", 0)


def tight(n: int) -> bytes:
    return link([assemble(TIGHT.format(n=n))], library=runtime_objects())


def expected_tight(n: int) -> int:
    a = 0
    for t in range(n, 0, -1):
        a = (a + t) & 0xFFFFFFFF
        a ^= (a << 3) & 0xFFFFFFFF
    return a & 255


@pytest.mark.parametrize("n", [2, 7, 1000])
def test_a_one_block_loop_counts_every_instruction(hot, n):
    result, once = emu.run(tight(n)), emu.run(tight(1))
    assert (result.exit_code, result.steps - once.steps) == (expected_tight(n), 5 * (n - 1))
    assert once.steps == emu.run(tight(1), use_regions=False).steps


@pytest.mark.parametrize("limit", [5, 13, 100, 4001])
def test_the_step_limit_stops_before_the_block_that_crosses_it(hot, limit):
    machine = emu.Machine(emu.elf.read_executable(tight(1000)), None, None, None)
    with pytest.raises(emu.StepLimitExceeded):
        machine.run(limit)
    assert limit - blocks.MAX_BLOCK < machine.steps <= limit


@pytest.mark.parametrize("path", sorted(C_DIR.glob("*.c")), ids=lambda p: p.stem)
def test_test_programs_match_gcc_with_regions(hot, path, native_run):
    stdin_path = path.with_suffix(".stdin")
    stdin = stdin_path.read_bytes() if stdin_path.exists() else b""
    std = "c89" if path.stem == "c89" else "c99"
    flags = ["-std=c89", "-pedantic-errors", f"-I{C_DIR}"] if std == "c89" else [f"-I{C_DIR}"]
    expected = native_run(path.read_text(), stdin, flags)
    _, exe = compile_executable(path.read_text(), str(path), std=std)
    result = emu.run(exe, stdin=stdin)
    assert (result.exit_code, result.stdout) == expected
    assert result.steps == emu.run(exe, stdin=stdin, use_regions=False).steps


def test_faults_inside_a_region_say_where(hot):
    src = ("int main(void) { int i, s = 0; int *p = (int *)4096;\n"
           "  for (i = 0; i < 100; i++) s += i;\n  return *p + s; }\n")
    _, exe = compile_executable(src, "t.c")
    with pytest.raises(emu.EmulatorFault, match="load of 4 bytes at 0x00001000"):
        emu.run(exe)


def test_a_region_is_the_blocks_that_direct_jumps_reach():
    src = "int f(int n) { int s = 0; while (n) { s += n; n--; } return s; }\n"
    src += "int main(void) { return f(10); }\n"
    _, exe = compile_executable(src, "t.c")
    machine = emu.Machine(emu.elf.read_executable(exe), None, None, None)
    entry = machine.exe.symbols["f"]
    blocks = regions.region_blocks(machine.fetch, entry)
    assert entry in blocks and len(blocks) >= 3  # the entry, the loop test, its body, the exit
    last = [instrs[-1][1].name for instrs in blocks.values()]
    assert "jalr" in last  # `ret` ends the region: where it goes is not known here
    assert emu.run(exe).exit_code == 55


def decoded(asm: str) -> list:
    """The instructions of `asm` (no labels), as region_blocks gives them: [(pc, Decoded)]."""
    words = assemble("    .text\n" + asm).sections[".text"].data
    return [(4 * i, emu.isa.decode(int.from_bytes(words[4 * i : 4 * i + 4], "little")))
            for i in range(len(words) // 4)]  # fmt: skip


FORWARDING = [  # (a block, how many of its loads read back an earlier store of the same block)
    ("addi sp, sp, -4\n sw a0, 0(sp)\n li a0, 5\n lw a1, 0(sp)\n addi sp, sp, 4", 1),
    ("sw a0, -12(s0)\n sw a1, -16(s0)\n lw a2, -12(s0)\n lw a3, -16(s0)", 2),
    ("sw a0, 0(sp)\n sb a1, 1(sp)\n lw a2, 0(sp)", 0),  # the byte store changed the word
    ("sw a0, 0(sp)\n sw a1, 2(sp)\n lw a2, 0(sp)", 0),  # overlapping words
    ("sw a0, 0(sp)\n sw a1, 0(s0)\n lw a2, 0(sp)", 0),  # s0 may point anywhere
    ("sw a0, 0(sp)\n addi sp, sp, 4\n lw a2, 0(sp)", 0),  # another address now
    ("addi s0, sp, 16\n sw a0, -4(s0)\n lw a2, 12(sp)", 1),  # the same word, off sp + 16
    ("sw a0, 0(sp)\n li a0, 3\n lw a1, 0(sp)\n lw a2, 0(sp)", 2),  # a0 changed: a copy kept
]
LAYOUT = fastpath.Layout(0x3800000, 0x4000000, 0x11000, 0x12000, 0x10000, 0x11000)


@pytest.mark.parametrize("asm, forwarded", FORWARDING)
def test_store_to_load_forwarding_only_where_nothing_can_intervene(asm, forwarded):
    """The slow version of the block (no guards) loads through mv or lw() for each load that
    is not forwarded; a forwarded one is a copy from a register or a saved value."""
    instrs = decoded(asm)
    code = fastpath.block_code(instrs, LAYOUT)
    loads = sum(d.name == "lw" for _, d in instrs)
    assert sum(line.count("lw(a & M") for line in code.slow) == loads - forwarded


def test_a_byte_store_between_store_and_load_is_seen(hot):
    src = """
    .globl main
main:
    li    t0, 200
    li    a0, 0
1:  addi  sp, sp, -4
    sw    t0, 0(sp)
    sb    t0, 1(sp)
    lw    t1, 0(sp)
    addi  sp, sp, 4
    add   a0, a0, t1
    addi  t0, t0, -1
    bnez  t0, 1b
    srli  a0, a0, 8
    andi  a0, a0, 255
    ret
"""
    exe = link([assemble(src)], library=runtime_objects())
    # each round loads t | (t & 255) << 8, t < 256: the sum of t * 257 for t = 1..200, >> 8
    assert emu.run(exe).exit_code == (sum(t * 257 for t in range(1, 201)) >> 8) & 255


# A branch whose taken side stays in the region and whose fall-through leaves it (here: to the
# exit's ecall, which no region holds). The region once set pc to the taken side and then ran the
# fall-through's exit as well, returning the ecall's pc: exit(3) after one round. By hand: a0 =
# 3 * 100 = 300, exit code 300 & 255 = 44; 407 instructions: crt0's lw, addi and `call main` (4),
# main's three `li` (3), 99 rounds of addi, addi, bnez, j and a last one of addi, addi, bnez, ecall.
TAKEN_STAYS = """
    .globl main
main:
    li    t0, 100
    li    a0, 0
    li    a7, 93
1:  addi  a0, a0, 3
    addi  t0, t0, -1
    bnez  t0, 2f
    ecall
2:  j     1b
"""


@pytest.mark.parametrize("use_regions", [True, False])
def test_a_branch_taken_inside_the_region_does_not_leave_it(hot, use_regions):
    exe = link([assemble(TAKEN_STAYS)], library=runtime_objects())
    result = emu.run(exe, use_regions=use_regions)
    assert (result.exit_code, result.steps) == (44, 407)


# *** the benchmark programs built by GNU gcc: regions on, off, and qemu agree ***

BENCH_PROGRAMS = sorted((pathlib.Path(__file__).parents[2] / "bench" / "programs").glob("*.c"))
GCC = shutil.which("riscv64-unknown-elf-gcc")
GNU_LD = shutil.which("riscv64-unknown-elf-ld")
QEMU = shutil.which("qemu-riscv32")
GCC_FLAGS = ["-march=rv32i", "-mabi=ilp32", "-ffreestanding", "-fno-builtin", "-w"]


def gcc_executable(path: pathlib.Path, level: int, tmp: pathlib.Path) -> bytes:
    """`path` built by GNU gcc -O<level> for rv32i with our runtime, linked by GNU ld (as
    bench/appendix_codegen.py does): code laid out and scheduled as our compiler never does."""
    from appendix_ctoriscv.runtime import RUNTIME_DIR, RUNTIME_FILES

    objects = []
    for k, source in enumerate([path] + [RUNTIME_DIR / name for name in RUNTIME_FILES]):
        objects.append(tmp / f"{k}.o")
        subprocess.run([GCC, *GCC_FLAGS, f"-O{level}", "-c", "-o", str(objects[-1]),
                        str(source)], check=True)  # fmt: skip
    # --no-relax: our crt0 does not set up gp, which gp-relative addressing would need
    subprocess.run([GNU_LD, "-m", "elf32lriscv", "--no-relax", "-o", str(tmp / "prog"),
                    *map(str, objects)], check=True)  # fmt: skip
    return (tmp / "prog").read_bytes()


@pytest.mark.skipif(None in (GCC, GNU_LD), reason="riscv64-unknown-elf-gcc and -ld not "
                    "installed (Debian: gcc-riscv64-unknown-elf; see the Makefile's system-deps)")
@pytest.mark.parametrize("level", [0, 1, 2])
@pytest.mark.parametrize("path", BENCH_PROGRAMS, ids=lambda p: p.stem)
def test_gcc_builds_run_alike_with_and_without_regions(hot, path, level, tmp_path):
    """Every observable the same with regions on and off: output, exit code, step count; and
    the output and exit code those of qemu-riscv32, where it is installed."""
    elf = gcc_executable(path, level, tmp_path)
    on = emu.run(elf, max_steps=10**9)
    off = emu.run(elf, max_steps=10**9, use_regions=False)
    assert (on.stdout, on.exit_code, on.steps) == (off.stdout, off.exit_code, off.steps)
    if QEMU is not None:
        done = subprocess.run([QEMU, str(tmp_path / "prog")], capture_output=True, timeout=120)
        assert (done.stdout, done.returncode) == (off.stdout, off.exit_code)


# *** differential: random programs, regions on vs off ***

POOL = ["a0", "a1", "a2", "a3", "a4", "a5", "t0", "t1", "t2"]  # never sp, ra, a7, s11
ALU = ["add", "sub", "xor", "or", "and", "sll", "srl", "sra", "slt", "sltu"]
ALU_IMM = ["addi", "xori", "andi", "slti", "sltiu"]
BRANCH = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]


def random_block(rng, k: int, n: int) -> list[str]:
    """Block k of n: a fuel check, random ALU and stack memory operations, and an ending."""
    lines = [f"B{k}:", "    addi  s11, s11, -1", "    blez  s11, done"]
    for _ in range(rng.randint(1, 6)):
        r = lambda: rng.choice(POOL)  # noqa: E731
        kind = rng.random()
        if kind < 0.35:
            lines.append(f"    {rng.choice(ALU)} {r()}, {r()}, {r()}")
        elif kind < 0.55:
            lines.append(f"    {rng.choice(ALU_IMM)} {r()}, {r()}, {rng.randint(-2048, 2047)}")
        elif kind < 0.65:
            lines.append(f"    {rng.choice(['slli', 'srli', 'srai'])} {r()}, {r()}, "
                         f"{rng.randint(0, 31)}")  # fmt: skip
        elif kind < 0.75:
            lines.append(f"    lui   {r()}, {rng.randint(0, 0xFFFFF)}")
        elif kind < 0.9:  # a word in main's 32-byte frame, then perhaps read back at once
            offset = 4 * rng.randint(0, 7)
            lines.append(f"    sw    {r()}, {offset}(sp)")
            if rng.random() < 0.5:
                lines.append(f"    lw    {r()}, {offset}(sp)")
        else:
            offset = rng.randint(0, 31)
            lines.append(f"    {rng.choice(['sb', 'lbu'])}    {r()}, {offset}(sp)")
    kind = rng.random()
    target = f"B{rng.randrange(n)}"
    if kind < 0.15:  # a loop of one block, on the fuel (the next block's check stops it)
        lines += ["    addi  s11, s11, -1", f"    bgtz  s11, B{k}"]
    elif kind < 0.6:
        lines.append(f"    {rng.choice(BRANCH)} {rng.choice(POOL)}, {rng.choice(POOL)}, {target}")
    elif kind < 0.75:
        lines.append(f"    j     {target}")
    if rng.random() < 0.25:  # a system call regions leave to: brk(a0), whatever a0 holds
        lines.append("    ecall")
    return lines


def random_assembly(seed: int, blocks: int = 12, fuel: int = 400) -> str:
    """A random program of `blocks` blocks jumping and branching among themselves until its fuel
    (one unit a block) runs out; then it writes its registers to stdout and exits."""
    rng = random.Random(seed)
    lines = ["    .globl main", "main:", "    addi  sp, sp, -32", f"    li    s11, {fuel}",
             "    li    a7, 214"]  # fmt: skip
    lines += [f"    li    {r}, {rng.randint(-(2**31), 2**31 - 1)}" for r in POOL]
    for k in range(blocks):
        lines += random_block(rng, k, blocks)
    lines += ["    j     B0", "done:"]
    lines += [f"    sw    {r}, {4 * i}(sp)" for i, r in enumerate(POOL[:8])]
    lines += ["    mv    a1, sp", "    li    a0, 1", "    li    a2, 32", "    li    a7, 64",
              "    ecall", "    andi  a0, t2, 255", "    li    a7, 93", "    ecall"]  # fmt: skip
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("max_blocks", [3, regions.MAX_BLOCKS])
@pytest.mark.parametrize("seed", range(25))
def test_random_programs_run_alike_with_and_without_regions(hot, monkeypatch, seed, max_blocks):
    """The basic-block emulator is the reference: every observable (stdout, exit code, step
    count) the same. Small regions (max_blocks=3) leave to blocks outside them more often."""
    monkeypatch.setattr(regions, "MAX_BLOCKS", max_blocks)
    exe = link([assemble(random_assembly(seed))], library=runtime_objects())
    on, off = emu.run(exe), emu.run(exe, use_regions=False)
    assert (on.stdout, on.exit_code, on.steps) == (off.stdout, off.exit_code, off.steps)
    assert len(off.stdout) == 32  # it ran to its end, and wrote its eight registers
