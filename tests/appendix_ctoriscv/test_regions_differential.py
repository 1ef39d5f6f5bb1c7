"""Random programs of many blocks through every fast path of fastpath.py and regions.py, against
the bench's plain interpreter (book section A.9).

test_regions_fastpath.py runs random loops of one block; these programs have an outer loop of
several blocks with forward branches into the middle of later code, calls to leaf functions and
`ret`, system calls (write from, read into the stack or the data; brk), inner loops of one
block, loads and stores into x0 and from x0, sub-word and unaligned accesses, stores read back
in the same block after their register changed or after another store to the same place, and
base registers that alias one another: sp, s0 = sp + k (addi), s1 = sp + t0 (add: not an
origin the first block can follow), s4 loaded from memory, the data, and s3 anywhere: a copy
of s0 or s1, the data's end, the bottom of the stack, the guard gap below it, the heap that brk
grew, an unaligned address, unmapped memory or NULL. Reference: the bench's decode-and-dispatch
interpreter, which knows nothing of translation; compared: exit code, steps and output, or a
fault's pc and address; and for programs that exit, step limits at and below their count.
"""

import io
import random

import pytest

from appendix_ctoriscv import emu
from appendix_ctoriscv.asm import assemble
from appendix_ctoriscv.link import link
from appendix_ctoriscv.runtime import runtime_objects

pytestmark = pytest.mark.sec_a_9

VALUES = ["a1", "a2", "a3", "a4", "a5", "t1", "t2", "t3"]
POINTERS = ["sp", "s0", "s1", "s2", "s3", "s4"]
SAVED = ["ra", "s0", "s1", "s2", "s3", "s4", "s5"]
S3_STARTS = {  # where s3 points, with the weight of each choice
    "mv s3, s0": 6, "mv s3, s1": 6, "addi s3, sp, {k}": 4, "li s3, 0x3FFFFF0": 2,
    "la s3, buf_end\n    addi s3, s3, -{k}": 4, "li s3, 0x3800000\n    addi s3, s3, {k}": 2,
    "li s3, 0x37FFFF8": 1, "li s3, 0x5000": 1, "li s3, 0": 1, "addi s3, s0, {u}": 3,
    "la s3, buf\n    addi s3, s3, {u}": 3, "brk": 3,
}  # fmt: skip
HEAP = ["    li a0, 0", "    li a7, 214", "    ecall", "    mv s3, a0", "    li t0, {grow}",
        "    add a0, a0, t0", "    li a7, 214", "    ecall", "    addi s3, s3, {k}"]  # fmt: skip


def access(rng: random.Random) -> str:
    """A load or store through one of the base registers, an ALU instruction, or an immediate
    one; destinations include x0."""
    value, dest = rng.choice(VALUES), rng.choice(VALUES + ["zero"])
    base = rng.choice(POINTERS)
    offsets = [12, 16, 20, 40, 101, 102, 200] if base == "sp" else [0, 4, 8, -4, 12, 1, 2, 3, 100]
    kind = rng.random()
    if kind < 0.3:
        op = rng.choice(["lw", "lw", "lw", "lbu", "lb", "lh", "lhu"])
        return f"{op} {dest}, {rng.choice(offsets)}({base})"
    if kind < 0.6:
        op = rng.choice(["sw", "sw", "sw", "sb", "sh"])
        return f"{op} {rng.choice(VALUES + ['zero'])}, {rng.choice(offsets)}({base})"
    if kind < 0.85:
        op = rng.choice("add sub xor or and sltu slt sll srl sra".split())
        return f"{op} {dest}, {value}, {rng.choice(VALUES + ['zero'])}"
    op = rng.choice(["addi", "xori", "slti", "sltiu", "srai", "slli", "andi", "ori", "srli"])
    shift = op in ("srai", "slli", "srli")
    imm = rng.randrange(32) if shift else rng.choice([0, 1, -1, 2047, -2048, rng.randint(-99, 99)])
    return f"{op} {dest}, {value}, {imm}"


def segment(rng: random.Random, k: int, labels: list[str]) -> list[str]:
    """A few instructions, then one of: a forward branch to a label placed later, a call, a
    write or read system call, a pointer step, a store read back, an inner loop of one block."""
    lines = []
    for _ in range(rng.randint(1, 8)):
        lines.append("    " + access(rng))
        if labels and rng.random() < 0.3:
            lines.append(f"{labels.pop()}:")  # a branch lands in the middle of straight code
    kind, base = rng.random(), rng.choice(["sp", "s0", "s1", "s2"])
    if kind < 0.3:
        labels.append(f"L{k}")
        op = rng.choice(["beq", "bne", "blt", "bge", "bltu", "bgeu"])
        a, b = rng.choice(VALUES + ["zero"]), rng.choice(VALUES + ["zero"])
        lines.append(f"    {op} {a}, {b}, L{k}")
    elif kind < 0.45:
        lines.append(f"    call {rng.choice(['leaf', 'leaf2'])}")
    elif kind < 0.55:
        fd, number, base = rng.choice([(1, 64, base), (0, 63, rng.choice(["s3", base]))])
        lines += [f"    li a0, {fd}", f"    addi a1, {base}, {rng.choice([0, 1, 3, 16])}",
                  f"    li a2, {rng.choice([5, 12])}", f"    li a7, {number}",
                  "    ecall"]  # fmt: skip
    elif kind < 0.62:
        r = rng.choice(["s1", "s2", "s3"])
        lines.append(f"    addi {r}, {r}, {rng.choice([4, -4, 8, 1])}")
    elif kind < 0.8:  # a store read back, its register changed or the place stored again between
        base, value = rng.choice(POINTERS), rng.choice(VALUES)
        offset = rng.choice([0, 4, 16, 20])
        lines.append(f"    sw {value}, {offset}({base})")
        between = [f"addi {value}, {value}, 3", f"mv {rng.choice(VALUES)}, {value}",
                   f"sw {rng.choice(VALUES)}, {offset + rng.choice([0, 2, 4])}({base})",
                   f"sw {rng.choice(VALUES)}, {offset}({rng.choice(['sp', 's0', 's1'])})",
                   f"sb {value}, {offset + rng.choice([0, 1, 3])}({base})",
                   access(rng)]  # fmt: skip
        lines += ["    " + rng.choice(between) for _ in range(rng.randint(0, 3))]
        lines.append(f"    lw {rng.choice(VALUES + ['zero'])}, {offset}({base})")
    else:  # an inner loop of one block: a pointer t5 and a counter t4 step
        body = [access(rng).replace("(s1)", "(t5)") for _ in range(rng.randint(1, 5))]
        body += [f"addi t5, t5, {rng.choice([4, -4, 8, 1, 0])}", "addi t4, t4, -1"]
        rng.shuffle(body)
        lines += [f"    li t4, {rng.choice([1, 2, 7, 33])}",
                  f"    addi t5, {rng.choice(['sp', 's0', 's2', 's3'])}, {rng.choice([0, 4, 16])}",
                  f"2:  {body[0]}", *("    " + s for s in body[1:]), "    bnez t4, 2b"]  # fmt: skip
    return lines


def random_program(rng: random.Random) -> str:
    """main: set up the base registers, run an outer loop of random segments, then write the
    registers, the frame and the data to stdout; two leaf functions that use the stack too."""
    lines = ["    .globl main", "main:", "    addi sp, sp, -1024",
             *(f"    sw {r}, {1020 - 4 * k}(sp)" for k, r in enumerate(SAVED)),
             f"    addi s0, sp, {rng.choice([0, 16, 64, 128, 400])}",
             f"    li t0, {rng.choice([0, 4, 32, 200, 512])}", "    add s1, sp, t0",
             "    la s2, buf", f"    addi s2, s2, {rng.choice([0, 4, 8, 64])}"]  # fmt: skip
    start = rng.choices(list(S3_STARTS), list(S3_STARTS.values()))[0]
    k, u = rng.choice([0, 4, 64, 252]), rng.choice([1, 2, 3, 5])
    if start == "brk":
        lines += [s.format(grow=rng.choice([4096, 64, 0x100000]), k=rng.choice([0, 8, 60, -8]))
                  for s in HEAP]  # fmt: skip
    else:
        lines.append("    " + start.format(k=k, u=u))
    lines += ["    sw s0, 8(sp)", "    lw s4, 8(sp)"]  # s4: a pointer loaded from memory
    edges = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, rng.randrange(2**32)]
    lines += [f"    li {v}, {rng.choice(edges)}" for v in VALUES]
    lines += [f"    li s5, {rng.choice([1, 2, 5, 30, 70])}", "loop:"]
    labels: list[str] = []
    for k in range(rng.randint(1, 6)):
        lines += segment(rng, k, labels)
    lines += [f"{label}:" for label in labels]
    lines += ["    addi s5, s5, -1", "    bnez s5, loop",
              *(f"    sw {v}, {100 + 4 * k}(sp)" for k, v in enumerate(VALUES)),
              "    li a0, 1", "    mv a1, sp", "    li a2, 1000", "    li a7, 64", "    ecall",
              "    li a0, 1", "    la a1, buf", "    li a2, 256", "    li a7, 64", "    ecall",
              *(f"    lw {r}, {1020 - 4 * k}(sp)" for k, r in enumerate(SAVED)),
              "    add a0, a1, a2", "    andi a0, a0, 255", "    addi sp, sp, 1024",
              "    ret"]  # fmt: skip
    lines += ["leaf:", "    addi sp, sp, -16", "    sw a1, 12(sp)", "    sw a2, 8(sp)",
              "    lw a3, 12(sp)", "    add a3, a3, a2", "    sb a3, 5(sp)", "    lw a4, 4(sp)",
              "    sw a4, 0(s1)", "    lhu a5, 6(sp)", "    addi sp, sp, 16", "    ret",
              "leaf2:", "    sw a1, -4(sp)", "    lw t1, -4(sp)", "    sh a2, -6(sp)",
              "    lw t2, -8(sp)", "    sw t1, 4(s0)", "    lw a5, 4(s4)", "    ret",
              "    .data", "buf: .zero 256", "buf_end:"]  # fmt: skip
    return "\n".join(lines) + "\n"


def plain(bench, exe: bytes, stdin: bytes, limit: int) -> tuple:
    out = io.BytesIO()
    try:
        code, steps = bench.interpret(exe, limit, stdin, out)
    except emu.EmulatorFault as e:
        return ("fault", e.pc, e.address)
    except emu.StepLimitExceeded:
        return ("limit",)
    return ("exit", code, steps, out.getvalue())


def emulated(exe: bytes, stdin: bytes, limit: int, use_regions: bool = True) -> tuple:
    try:
        result = emu.run(exe, stdin=stdin, max_steps=limit, use_regions=use_regions)
    except emu.EmulatorFault as e:
        return ("fault", e.pc, e.address)
    except emu.StepLimitExceeded:
        return ("limit",)
    return ("exit", result.exit_code, result.steps, result.stdout)


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_run_alike_three_ways(monkeypatch, bench, seed):
    monkeypatch.setattr(emu, "HOT_ENTRY", 0)  # regions for every entry at once
    rng = random.Random(seed)
    exe = link([assemble(random_program(rng))], library=runtime_objects())
    stdin = bytes(rng.randrange(256) for _ in range(200))
    reference = plain(bench, exe, stdin, 10**7)
    assert emulated(exe, stdin, 10**7, use_regions=False) == reference
    assert emulated(exe, stdin, 10**7) == reference
    if reference[0] == "exit":  # the step limit: a run stops iff it would go past it
        steps = reference[2]
        for limit in (steps, steps - 1, rng.randrange(1, steps), rng.randrange(1, steps)):
            assert emulated(exe, stdin, limit) == (("limit",) if limit < steps else reference)


def test_the_programs_reach_the_fast_paths(monkeypatch):
    """The generator is worth running only if regions translate its code with guards passed
    to bare subscripts, hoisted loops and forwarded stores: count them in the sources."""
    from appendix_ctoriscv import regions

    monkeypatch.setattr(emu, "HOT_ENTRY", 0)
    sources = []
    translate = regions.translate_region

    def recording(*args, **kwargs):
        translated = translate(*args, **kwargs)
        sources.append(translated[0] if translated else "")
        return translated

    monkeypatch.setattr(regions, "translate_region", recording)
    for seed in range(10):
        rng = random.Random(seed)
        exe = link([assemble(random_program(rng))], library=runtime_objects())
        emulated(exe, bytes(200), 10**7)
    text = "\n".join(sources)
    for feature in ("stk[w", "mv[w", "safe = min(", " = f", "_ = "):
        assert feature in text, feature
