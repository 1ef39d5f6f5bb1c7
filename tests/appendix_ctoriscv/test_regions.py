"""Region translation (regions.py, book section A.9): many blocks per Python function.

Every entry is made hot at once (emu.HOT_ENTRY = 0), so that regions run everything they can.
References: the host gcc's output for the test programs; instruction counts worked out by hand
from the programs' loops; the step limit's rule (stop before the block that would cross it).
"""

import pathlib

import pytest

from appendix_ctoriscv import blocks, emu, regions
from appendix_ctoriscv.asm import assemble
from appendix_ctoriscv.link import link
from appendix_ctoriscv.main import compile_executable
from appendix_ctoriscv.runtime import runtime_objects

pytestmark = pytest.mark.sec_a_9
C_DIR = pathlib.Path(__file__).parent / "c"

# 5 instructions a round, n rounds; 12 more: crt0's lw, addi and `call main` (auipc, jalr);
# main's two `li` (one addi each for n < 2048), andi and ret; `call exit` (2); exit's li, ecall
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


@pytest.mark.parametrize("n", [1, 2, 7, 1000])
def test_a_one_block_loop_counts_every_instruction(hot, n):
    result = emu.run(tight(n))
    assert (result.exit_code, result.steps) == (expected_tight(n), 5 * n + 12)


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


FORWARDING = [  # (a block, the loads that read back an earlier store: load index -> store index)
    ("addi sp, sp, -4\n sw a0, 0(sp)\n li a0, 5\n lw a1, 0(sp)\n addi sp, sp, 4", {3: 1}),
    ("sw a0, -12(s0)\n sw a1, -16(s0)\n lw a2, -12(s0)\n lw a3, -16(s0)", {2: 0, 3: 1}),
    ("sw a0, 0(sp)\n sb a1, 1(sp)\n lw a2, 0(sp)", {}),  # the byte store changed the word
    ("sw a0, 0(sp)\n sw a1, 2(sp)\n lw a2, 0(sp)", {}),  # overlapping words
    ("sw a0, 0(sp)\n sw a1, 0(s0)\n lw a2, 0(sp)", {}),  # s0 may point anywhere
    ("sw a0, 0(sp)\n addi sp, sp, 4\n lw a2, 0(sp)", {}),  # another address now
]


@pytest.mark.parametrize("asm, expected", FORWARDING)
def test_store_to_load_forwarding_only_where_nothing_can_intervene(asm, expected):
    assert regions.forwarded_loads(decoded(asm)) == expected


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
