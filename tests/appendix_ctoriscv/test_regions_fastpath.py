"""The fast paths of fastpath.py and regions.py (book section A.9) against the plain semantics.

References: the bench's plain decode-and-dispatch interpreter (bench/appendix_emu.py, one
instruction at a time over isa.py's tables) and the basic-block emulator (use_regions=False),
which know nothing of guards, origins, hoisted loops or forwarded loads. Every entry is made hot
at once (emu.HOT_ENTRY = 0), so that regions run everything they can. Compared: exit code and
instruction count, or for a program that faults, the fault's pc and address.
"""

import pathlib
import random

import pytest

from appendix_ctoriscv import blocks, emu, fastpath, regions
from appendix_ctoriscv.asm import assemble
from appendix_ctoriscv.link import link
from appendix_ctoriscv.main import compile_executable
from appendix_ctoriscv.runtime import runtime_objects

pytestmark = pytest.mark.sec_a_9
C_DIR = pathlib.Path(__file__).parent / "c"


@pytest.fixture
def hot(monkeypatch):
    monkeypatch.setattr(emu, "HOT_ENTRY", 0)


def outcome(run) -> tuple:
    """("exit", code, steps) or ("fault", pc, address) of a run."""
    try:
        result = run()
    except emu.EmulatorFault as e:
        return ("fault", e.pc, e.address)
    if isinstance(result, tuple):  # the plain interpreter: (exit code, steps)
        return ("exit", *result)
    return ("exit", result.exit_code, result.steps)


# *** random one-block loops: pointers stepping through arrays, counters that may wrap ***

BASES = ["s3", "s4", "sp"]  # s3, s4 step through memory; sp stays
VALUES = ["t1", "t2", "a1", "a2", "a3"]


def random_pointer_loop(rng: random.Random) -> str:
    """main: a loop of one block whose loads and stores go through two pointers that move by
    a constant each round (into the stack or the data, at times off their end into unmapped
    memory or the guard gap), a counter that may wrap around, and random ALU work; then a
    checksum of the registers as the exit code."""
    where = {  # where a pointer starts: inside, near an end, or outside any mapped range
        "stack": "addi {r}, sp, {k}", "data": "la {r}, buf\n    addi {r}, {r}, {k}",
        "data end": "la {r}, buf_end\n    addi {r}, {r}, -{k}",
        "stack bottom": "li {r}, 0x3800000\n    addi {r}, {r}, {k}",
        "unmapped": "li {r}, 0x5000\n    addi {r}, {r}, {k}"}  # fmt: skip
    weights = [6, 6, 3, 1, 1]
    rounds = rng.choice([1, 3, 40, 200])
    lines = ["    .globl main", "main:", "    addi sp, sp, -512", "    sw s3, 508(sp)",
             "    sw s4, 504(sp)", "    sw s5, 500(sp)"]  # fmt: skip
    for r in ("s3", "s4"):
        kind = rng.choices(list(where), weights)[0]
        lines.append("    " + where[kind].format(r=r, k=rng.choice([0, 4, 64, rng.randrange(256)])))
    lines += [f"    li s5, {rng.choice([0, 0xFFFFFFF0, 0x7FFFFFF8, rng.randrange(2**32)])}",
              f"    li t0, {rounds}"] + [f"    li {v}, {rng.randrange(2**32)}" for v in VALUES]
    lines.append("1:")
    for _ in range(rng.randint(2, 12)):
        kind, base, value = rng.random(), rng.choice(BASES), rng.choice(VALUES)
        offset = rng.choice([0, 4, -4, 8, 1, 2, 3, rng.randrange(-64, 64)])
        if base == "sp":
            offset = abs(offset) % 400
        if kind < 0.3:
            op = rng.choice(["lw", "lw", "lbu", "lb", "lh", "lhu"])
            lines.append(f"    {op} {value}, {offset}({base})")
        elif kind < 0.55:
            op = rng.choice(["sw", "sw", "sb", "sh"])
            lines.append(f"    {op} {value}, {offset}({base})")
        elif kind < 0.85:
            op = rng.choice("add sub xor or and sltu slt sll srl sra".split())
            lines.append(f"    {op} {value}, {rng.choice(VALUES)}, {rng.choice(VALUES)}")
        else:
            op = rng.choice(["addi", "xori", "slti", "sltiu", "srai", "slli"])
            imm = rng.randrange(32) if op in ("srai", "slli") else rng.randint(-2048, 2047)
            lines.append(f"    {op} {value}, {rng.choice(VALUES)}, {imm}")
    steps = [rng.choice([4, -4, 8, 0, 1, -1, 12]) for _ in range(2)]
    body = [f"    addi s3, s3, {steps[0]}", f"    addi s4, s4, {steps[1]}", "    addi s5, s5, 1",
            "    addi t0, t0, -1"]  # fmt: skip
    rng.shuffle(body)  # the steps before, between or after the accesses
    at = rng.randint(0, len(lines) - lines.index("1:") - 1)
    lines[len(lines) - at : len(lines) - at] = body
    lines += ["    bnez t0, 1b", "    xor a0, s5, s3", "    add a0, a0, s4"]
    lines += [f"    add a0, a0, {v}" for v in VALUES]
    lines += ["    srli t1, a0, 16", "    xor a0, a0, t1", "    srli t1, a0, 8",
              "    xor a0, a0, t1", "    andi a0, a0, 255", "    lw s3, 508(sp)",
              "    lw s4, 504(sp)", "    lw s5, 500(sp)", "    addi sp, sp, 512", "    ret",
              "    .bss", "buf: .zero 256", "buf_end:"]  # fmt: skip
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(80))
def test_random_pointer_loops_run_alike_three_ways(hot, bench, seed):
    exe = link([assemble(random_pointer_loop(random.Random(seed)))], library=runtime_objects())
    plain = outcome(lambda: bench.interpret(exe))
    basic = outcome(lambda: emu.run(exe, use_regions=False))
    fast = outcome(lambda: emu.run(exe))
    assert basic == plain and fast == plain
    if plain[0] == "exit":  # a limit inside the hoisted loop stops it iff the run would pass it
        steps = plain[2]
        assert outcome(lambda: emu.run(exe, max_steps=steps)) == plain
        for limit in (steps - 1, random.Random(-seed).randrange(1, steps)):
            with pytest.raises(emu.StepLimitExceeded):
                emu.run(exe, max_steps=limit)


def test_a_pointer_loop_is_translated_with_its_guards_hoisted():
    """The loop of the C bench at -O1 steps three pointers and a counter: its region checks
    them once before the loop, the loop's loads and stores are bare subscripts, and its
    pointers are not stepped round by round: their word indices come from the round number."""
    src = ("int a[1000];\nint main(void) { int i, s = 0;\n"
           "  for (i = 0; i < 1000; i++) { a[i] = a[i] + i; s = s + (a[i] & 7); }\n"
           "  return s & 255; }\n")  # fmt: skip
    _, exe = compile_executable(src, "t.c", opt_level=1)
    machine = emu.Machine(emu.elf.read_executable(exe), None, None, None)
    found = []
    for start in regions.region_blocks(machine.fetch, machine.exe.symbols["main"]):
        source, _ = regions.translate_region(machine.fetch, start, machine.mem)
        loop = source.split("for it")[1].split("else:")[0] if "for it" in source else ""
        found.append("safe = min(safe, (" in source and "lw(a & M" not in loop
                     and " = v" in loop and "+ 4\n" not in loop)  # fmt: skip
    assert any(found)
    expected = sum(i & 7 for i in range(1000)) & 255  # a[i] = 0 + i, then s adds its low bits
    assert emu.run(exe).exit_code == expected


@pytest.mark.parametrize("limit", [7, 50, 200, 333])  # the program runs about 400
def test_the_step_limit_stops_a_hoisted_loop_in_time(hot, limit):
    src = """
    .globl main
main:
    la    t0, buf
    li    t1, 60
1:  lw    t2, 0(t0)
    addi  t2, t2, 1
    sw    t2, 0(t0)
    addi  t0, t0, 4
    addi  t1, t1, -1
    bnez  t1, 1b
    li    a0, 0
    ret
    .bss
buf: .zero 240
"""
    exe = link([assemble(src)], library=runtime_objects())
    machine = emu.Machine(emu.elf.read_executable(exe), None, None, None)
    with pytest.raises(emu.StepLimitExceeded):
        machine.run(limit)
    assert limit - blocks.MAX_BLOCK < machine.steps <= limit
    plain = emu.Machine(emu.elf.read_executable(exe), None, None, None, use_regions=False)
    with pytest.raises(emu.StepLimitExceeded):
        plain.run(limit)
    assert machine.steps == plain.steps  # the same blocks: both stop before the same one


# *** guards that fail: the slow version faults where the plain emulator does ***

FAULTS = [  # (C source, the address the first bad access touches)
    ("int main(void) { int *p = (int *)4096; return p[0] + p[1] + p[2]; }", 0x1000),
    ("int main(void) { int *p = (int *)0x3700000; p[3] = 1; p[4] = 2; return 0; }", 0x370000C),
    ("int main(void) { char *p = (char *)0x20; p[1] = 1; return p[2]; }", 0x21),
]


@pytest.mark.parametrize("opt_level", [0, 1])
@pytest.mark.parametrize("source, address", FAULTS, ids=["load", "store", "byte"])
def test_faults_through_a_failed_guard_say_the_same_pc_and_address(hot, bench, source, address,
                                                                   opt_level):  # fmt: skip
    _, exe = compile_executable(source, "t.c", opt_level=opt_level)
    plain = outcome(lambda: bench.interpret(exe))
    assert plain[0] == "fault" and plain[2] == address
    assert outcome(lambda: emu.run(exe)) == plain
    assert outcome(lambda: emu.run(exe, use_regions=False)) == plain


def test_the_stack_guard_gap_faults_with_regions(hot):
    src = "int f(int n) { int big[1000]; big[0] = n; return f(n + 1) + big[0]; }\n"
    src += "int main(void) { return f(0); }\n"
    _, exe = compile_executable(src, "t.c")
    with pytest.raises(emu.EmulatorFault, match="stack overflow") as on:
        emu.run(exe)
    with pytest.raises(emu.EmulatorFault, match="stack overflow") as off:
        emu.run(exe, use_regions=False)
    assert (on.value.pc, on.value.address) == (off.value.pc, off.value.address)


# *** the test programs at -O0 and -O1: regions on and off alike ***


@pytest.mark.parametrize("opt_level", [0, 1])
@pytest.mark.parametrize("path", sorted(C_DIR.glob("*.c")), ids=lambda p: p.stem)
def test_test_programs_run_alike_with_and_without_regions(hot, path, opt_level):
    stdin_path = path.with_suffix(".stdin")
    stdin = stdin_path.read_bytes() if stdin_path.exists() else b""
    std = "c89" if path.stem == "c89" else "c99"
    _, exe = compile_executable(path.read_text(), str(path), std=std, opt_level=opt_level)
    on, off = emu.run(exe, stdin=stdin), emu.run(exe, stdin=stdin, use_regions=False)
    assert (on.stdout, on.exit_code, on.steps) == (off.stdout, off.exit_code, off.steps)


# *** the cheaper forms of arithmetic against the SEMANTICS lines they replace ***

EDGES = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF, 12345, 0xDEADBEEF]


@pytest.mark.parametrize("name", ["add", "sub", "slt", "addi", "slti", "srai"])
def test_cheap_arithmetic_equals_the_plain_semantics(name):
    """Each form alu_lines writes, run on edge values, against blocks.SEMANTICS' line."""
    rng = random.Random(name)
    imms = [0, 1, -1, 2047, -2048, 5, -7] if name != "srai" else list(range(32))
    for a in EDGES + [rng.randrange(2**32) for _ in range(20)]:
        for b in EDGES[:6]:
            for imm in imms if name in ("addi", "slti", "srai") else [0]:
                d = emu.isa.Decoded(name, 5, 6, 7, imm)
                f = blocks._operands(d, 0x1000)
                plain, cheap = {"x6": a, "x7": b}, {"x6": a, "x7": b}
                exec(blocks.SEMANTICS[name].format(**f), {"M": emu.M, "S": emu.S}, plain)
                exec("\n".join(fastpath.alu_lines(d, f)), {"M": emu.M}, cheap)
                assert cheap["x5"] == plain["x5"], (name, hex(a), hex(b), imm)


@pytest.mark.parametrize("name", ["blt", "bge"])
def test_signed_branches_with_constants_equal_the_plain_condition(name):
    """signed_less with a register, zero or a constant on either side (copy propagation puts
    constants there), against BRANCHES' xor form."""
    for a in EDGES:
        for b in EDGES:
            for f in ({"rs1": "p", "rs2": "q"}, {"rs1": hex(a) if a else "0", "rs2": "q"},
                      {"rs1": "p", "rs2": hex(b) if b else "0"}):  # fmt: skip
                d = emu.isa.Decoded(name, 0, 6, 7, 0)
                cheap = eval(fastpath.branch_condition(d, f), {}, {"p": a, "q": b})
                plain = eval(blocks.BRANCHES[name].format(rs1="p", rs2="q"), {"S": emu.S},
                             {"p": a, "q": b})  # fmt: skip
                assert bool(cheap) == bool(plain), (name, f, hex(a), hex(b))
