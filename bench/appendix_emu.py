"""Emulator speed: emulated instructions per second (MIPS) of emu.py's block translator.

Two programs: a tight loop (4 instructions, one branch) and a mixed one (calls into the
runtime's __mulsi3 and __umodsi3, loads and stores). Baselines timed in the same run: a plain
decode-and-dispatch interpreter over the same isa.py tables (what emu.py would be without
translation), and qemu-riscv32, a JIT to host code, where installed (its time includes start-up).

    .venv/bin/python bench/appendix_emu.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

from appendix_ctoriscv import elf, emu, isa
from appendix_ctoriscv.asm import assemble
from appendix_ctoriscv.link import link
from appendix_ctoriscv.runtime import runtime_objects

# *** 1. the programs ***

TIGHT = """
    .globl main
main:
    li    t0, {n}
    li    a0, 0
1:  add   a0, a0, t0
    xor   a0, a0, t0
    addi  t0, t0, -1
    bnez  t0, 1b
    andi  a0, a0, 255
    ret
"""

MIXED = """
    .globl main
main:
    addi  sp, sp, -16
    sw    ra, 12(sp)
    sw    s0, 8(sp)
    sw    s1, 4(sp)
    li    s0, {n}
    li    s1, 0
1:  mv    a0, s0
    li    a1, 7
    call  __mulsi3
    add   s1, s1, a0
    mv    a0, s1
    li    a1, 13
    call  __umodsi3
    add   s1, s1, a0
    la    t0, buf
    andi  t1, s0, 63
    slli  t1, t1, 2
    add   t0, t0, t1
    lw    t2, 0(t0)
    add   t2, t2, s1
    sw    t2, 0(t0)
    addi  s0, s0, -1
    bnez  s0, 1b
    andi  a0, s1, 255
    lw    ra, 12(sp)
    lw    s0, 8(sp)
    lw    s1, 4(sp)
    addi  sp, sp, 16
    ret
    .bss
buf: .zero 256
"""


def build(template: str, n: int) -> bytes:
    return link([assemble(template.format(n=n))], library=runtime_objects())


# *** 2. the baseline: decode and dispatch, one instruction at a time ***

M, S = emu.M, emu.S
ALU = {  # rd = f(rs1, rs2, imm, pc), the same meanings as emu.SEMANTICS
    "lui": lambda a, b, i, pc: i & M,
    "auipc": lambda a, b, i, pc: (pc + i) & M,
    "addi": lambda a, b, i, pc: (a + i) & M,
    "slti": lambda a, b, i, pc: 1 if (a ^ S) < ((i & M) ^ S) else 0,
    "sltiu": lambda a, b, i, pc: 1 if a < (i & M) else 0,
    "xori": lambda a, b, i, pc: a ^ (i & M),
    "ori": lambda a, b, i, pc: a | (i & M),
    "andi": lambda a, b, i, pc: a & i & M,
    "slli": lambda a, b, i, pc: (a << i) & M,
    "srli": lambda a, b, i, pc: a >> i,
    "srai": lambda a, b, i, pc: ((a ^ S) - S) >> i & M,
    "add": lambda a, b, i, pc: (a + b) & M,
    "sub": lambda a, b, i, pc: (a - b) & M,
    "sll": lambda a, b, i, pc: (a << (b & 31)) & M,
    "slt": lambda a, b, i, pc: 1 if (a ^ S) < (b ^ S) else 0,
    "sltu": lambda a, b, i, pc: 1 if a < b else 0,
    "xor": lambda a, b, i, pc: a ^ b,
    "srl": lambda a, b, i, pc: a >> (b & 31),
    "sra": lambda a, b, i, pc: ((a ^ S) - S) >> (b & 31) & M,
    "or": lambda a, b, i, pc: a | b,
    "and": lambda a, b, i, pc: a & b,
}
TAKEN = {
    "beq": lambda a, b: a == b,
    "bne": lambda a, b: a != b,
    "blt": lambda a, b: (a ^ S) < (b ^ S),
    "bge": lambda a, b: (a ^ S) >= (b ^ S),
    "bltu": lambda a, b: a < b,
    "bgeu": lambda a, b: a >= b,
}


def interpret(exe_bytes: bytes, max_steps: int = 10**9) -> tuple[int, int]:
    """Run with a plain interpreter loop: fetch, decode, dispatch. Returns (exit code, steps)."""
    exe = elf.read_executable(exe_bytes)
    machine = emu.Machine(exe, None, None, None)
    x, mem, pc, steps = machine.x, machine.mem, exe.entry, 0
    loads = {"lb": mem.lb, "lh": mem.lh, "lw": mem.lw, "lbu": mem.lbu, "lhu": mem.lhu}
    stores = {"sb": mem.sb, "sh": mem.sh, "sw": mem.sw}
    while steps < max_steps:
        steps += 1
        name, rd, rs1, rs2, imm = isa.decode(machine.fetch(pc))
        if name in ALU:
            if rd:
                x[rd] = ALU[name](x[rs1], x[rs2], imm, pc)
        elif name in TAKEN:
            if TAKEN[name](x[rs1], x[rs2]):
                pc = (pc + imm - 4) & M
        elif name in loads:
            value = loads[name]((x[rs1] + imm) & M, pc)
            if rd:
                x[rd] = value
        elif name in stores:
            stores[name]((x[rs1] + imm) & M, x[rs2], pc)
        elif name in ("jal", "jalr"):
            target = (pc + imm) & M if name == "jal" else (x[rs1] + imm) & 0xFFFFFFFE
            if rd:
                x[rd] = pc + 4
            pc = target - 4
        elif name == "ecall":
            if x[17] in (emu.SYS_EXIT, emu.SYS_EXIT_GROUP):
                return x[10] & 0xFF, steps
            raise NotImplementedError("the baseline only knows exit")
        pc += 4
    raise emu.StepLimitExceeded(steps)


# *** 3. timing ***


def mips(steps: int, seconds: float) -> float:
    return steps / seconds / 1e6


def main() -> None:
    qemu = shutil.which("qemu-riscv32")
    rows = []
    for name, template, n_fast, n_slow in (("tight loop", TIGHT, 1_000_000, 100_000),
                                           ("mixed", MIXED, 20_000, 2_000)):  # fmt: skip
        fast_exe = build(template, n_fast)
        start = time.perf_counter()
        result = emu.run(fast_exe)
        ours = time.perf_counter() - start
        ours_mips = mips(result.steps, ours)

        slow_exe = build(template, n_slow)
        start = time.perf_counter()
        code, steps = interpret(slow_exe)
        plain = time.perf_counter() - start
        assert code == emu.run(slow_exe).exit_code
        plain_mips = mips(steps, plain)

        qemu_mips = None
        if qemu:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "prog")
                with open(path, "wb") as f:
                    f.write(fast_exe)
                os.chmod(path, 0o755)
                start = time.perf_counter()
                done = subprocess.run([qemu, path], capture_output=True)
                qemu_mips = mips(result.steps, time.perf_counter() - start)
                assert done.returncode == result.exit_code
        rows.append((name, result.steps, ours_mips, plain_mips, qemu_mips))

    print(f"{'program':<12} {'instructions':>12} {'emu.py MIPS':>12} {'plain MIPS':>11} "
          f"{'emu/plain':>10} {'qemu MIPS':>10} {'emu/qemu':>9}")  # fmt: skip
    for name, steps, ours_mips, plain_mips, qemu_mips in rows:
        q = f"{'-':>10} {'-':>9}"  # no qemu
        if qemu_mips:
            q = f"{qemu_mips:10.1f} {ours_mips / qemu_mips:9.3f}"
        print(f"{name:<12} {steps:>12,} {ours_mips:12.2f} {plain_mips:11.3f} "
              f"{ours_mips / plain_mips:9.0f}x {q}")  # fmt: skip


if __name__ == "__main__":
    main()
