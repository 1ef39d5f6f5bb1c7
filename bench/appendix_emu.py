"""Emulator speed: emulated instructions per second (MIPS), basic blocks against regions.

Six programs: a tight loop (4 instructions, one branch), a mixed one (calls into the runtime's
__mulsi3 and __umodsi3, loads and stores), and two compiled by our compiler at -O0 and at -O1:
nested loops over an array (loop-heavy), and a recursive Fibonacci (call-heavy). Timed in the
same run: a plain decode-and-dispatch interpreter over the same isa.py tables (what emu.py would
be without translation), emu.py with basic blocks only (use_regions=False), emu.py with regions
as it was at git revision BEFORE (loaded from git into a temporary package: "before"), emu.py
with regions as it is ("regions"), and qemu-riscv32, a JIT to host code, where installed (its
time includes start-up). Each time is CPU time (this process's, or qemu's), the least of three
runs: on a shared machine, wall-clock time would also count the waits for a core.

    .venv/bin/python bench/appendix_emu.py [--before REV]
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile

from appendix_ctoriscv import elf, emu, isa
from appendix_ctoriscv.asm import assemble
from appendix_ctoriscv.link import link
from appendix_ctoriscv.main import compile_executable
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


# Compiled by our compiler (-O0 stack-machine code, the emulator's everyday input, and -O1
# register-allocated code, with fewer loads and stores): loops over an array, and a recursive
# function, call-heavy.
C_LOOPS = """int a[1000];
int main(void) {{ int i, j, s = 0;
  for (j = 0; j < {n}; j++) for (i = 0; i < 1000; i++) {{ a[i] = a[i] + i; s = s + (a[i] & 7); }}
  return s & 255; }}
"""
C_CALLS = """int fib(int n) {{ if (n < 2) return n; return fib(n - 1) + fib(n - 2); }}
int main(void) {{ return fib({n}) & 255; }}
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


def interpret(exe_bytes: bytes, max_steps: int = 10**9, stdin: bytes = b"",
              stdout: io.BytesIO | None = None) -> tuple[int, int]:  # fmt: skip
    """Run with a plain interpreter loop: fetch, decode, dispatch. Returns (exit code, steps);
    what the program writes to fd 1 goes to `stdout` if given. System calls go to the
    emulator's own handlers; a bad access, fetch or instruction raises emu.EmulatorFault with
    its pc and address, as the emulator does (the tests compare them)."""
    exe = elf.read_executable(exe_bytes)
    out = stdout if stdout is not None else io.BytesIO()
    machine = emu.Machine(exe, io.BytesIO(stdin), out, io.BytesIO())
    x, mem, pc, steps = machine.x, machine.mem, exe.entry, 0
    loads = {"lb": mem.lb, "lh": mem.lh, "lw": mem.lw, "lbu": mem.lbu, "lhu": mem.lhu}
    stores = {"sb": mem.sb, "sh": mem.sh, "sw": mem.sw}
    while steps < max_steps:
        steps += 1
        word = machine.fetch(pc)
        if word is None:
            raise emu.EmulatorFault(f"instruction fetch from 0x{pc:08x}", pc, pc)
        decoded = isa.decode(word)
        if decoded is None or decoded.name == "ebreak":
            raise emu.EmulatorFault("illegal instruction or ebreak", pc)
        name, rd, rs1, rs2, imm = decoded
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
        elif name == "ecall":  # the emulator's own system calls
            try:
                machine.ecall(pc)
            except emu.ProgramExit as e:
                return e.code, steps
        pc += 4
    raise emu.StepLimitExceeded(steps)


# *** 3. timing ***


def mips(steps: int, seconds: float) -> float:
    return steps / seconds / 1e6


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (qemu): on a shared machine it
    counts only the time the work itself ran, where wall-clock time also counts the waits."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best_time(run, repeat: int) -> tuple[float, object]:
    """The least CPU time of `repeat` runs, and the last run's result."""
    times = []
    for _ in range(repeat):
        start = cpu_seconds()
        result = run()
        times.append(cpu_seconds() - start)
    return min(times), result


def qemu_mips(exe: bytes, steps: int, code: int, repeat: int) -> float | None:
    qemu = shutil.which("qemu-riscv32")
    if qemu is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "prog")
        with open(path, "wb") as f:
            f.write(exe)
        os.chmod(path, 0o755)
        seconds, done = best_time(lambda: subprocess.run([qemu, path], capture_output=True),
                                  repeat)  # fmt: skip
        assert done.returncode == code
        return mips(steps, seconds)


def programs() -> list[tuple[str, bytes, bytes]]:
    """(name, the executable timed, a smaller one for the slow plain interpreter)."""
    out = []
    for name, template, n_fast, n_slow in (("tight loop", TIGHT, 1_000_000, 100_000),
                                           ("mixed", MIXED, 20_000, 2_000)):  # fmt: skip
        out.append((name, build(template, n_fast), build(template, n_slow)))
    for name, template, level, n_fast, n_slow in (
            ("C loops -O0", C_LOOPS, 0, 200, 10), ("C loops -O1", C_LOOPS, 1, 1000, 50),
            ("C calls -O0", C_CALLS, 0, 24, 16), ("C calls -O1", C_CALLS, 1, 26, 18)):
        out.append((name, compile_executable(template.format(n=n_fast), "bench.c",
                                             opt_level=level)[1],
                    compile_executable(template.format(n=n_slow), "bench.c", opt_level=level)[1]))
    return out


# *** 4. the emulator as it was at another revision, for the "before" column ***

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEFORE = "43b594d"  # regions.py before fastpath.py (issue 15's 10-23 MIPS)
EMULATOR_MODULES = ("blocks", "regions", "fastpath", "emu")


def emulator_at(revision: str, directory: str):
    """emu.py and the modules it translates with, as they were at `revision` (git show), in a
    package `emu_<revision>` under `directory`; imports of them are pointed there."""
    package = f"emu_{revision}"
    os.mkdir(os.path.join(directory, package))
    open(os.path.join(directory, package, "__init__.py"), "w").close()
    for name in EMULATOR_MODULES:
        shown = subprocess.run(["git", "show", f"{revision}:appendix_ctoriscv/{name}.py"],
                               capture_output=True, text=True, cwd=REPO)  # fmt: skip
        if shown.returncode:
            continue  # not there yet at that revision
        modules = "|".join(EMULATOR_MODULES)
        text = re.sub(rf"appendix_ctoriscv\.({modules})\b", rf"{package}.\1", shown.stdout)
        text = re.sub(r"from appendix_ctoriscv import ([\w, ]+)",
                      lambda m: split_import(m[1], package), text)  # fmt: skip
        with open(os.path.join(directory, package, f"{name}.py"), "w") as f:
            f.write(text)
    sys.path.insert(0, directory)
    return importlib.import_module(f"{package}.emu")


def split_import(names: str, package: str) -> str:
    """`from appendix_ctoriscv import a, b` with the emulator's modules taken from `package`."""
    names = [n.strip() for n in names.split(",")]
    ours = [n for n in names if n in EMULATOR_MODULES]
    rest = [n for n in names if n not in EMULATOR_MODULES]
    lines = [f"from appendix_ctoriscv import {', '.join(rest)}"] if rest else []
    return "\n".join(lines + ([f"from {package} import {', '.join(ours)}"] if ours else []))


def main(repeat: int = 3, before: str = BEFORE) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        old = emulator_at(before, tmp)
        rows = [measure(name, exe, small, old, repeat) for name, exe, small in programs()]
    print(f"{'program':<12} {'instructions':>12} {'plain':>6} {'blocks':>7} {'before':>7} "
          f"{'regions':>8} {'reg/before':>10} {'reg/plain':>9} {'qemu':>6} {'reg/qemu':>8}"
          f"   (MIPS; before: regions at {before})")  # fmt: skip
    for name, steps, plain, blocks, old_mips, regs, qemu in rows:
        q = f"{qemu:6.0f} {regs / qemu:8.3f}" if qemu else f"{'-':>6} {'-':>8}"
        print(f"{name:<12} {steps:>12,} {plain:6.2f} {blocks:7.2f} {old_mips:7.2f} {regs:8.2f} "
              f"{regs / old_mips:9.2f}x {regs / plain:8.0f}x {q}")  # fmt: skip


def measure(name: str, exe: bytes, small: bytes, old, repeat: int) -> tuple:
    """One row: (name, instructions, then MIPS of plain, blocks, before, regions, qemu)."""
    blocks_s, blocks = best_time(lambda: emu.run(exe, use_regions=False, max_steps=10**9), repeat)
    old_s, old_result = best_time(lambda: old.run(exe, max_steps=10**9), repeat)
    regions_s, result = best_time(lambda: emu.run(exe, max_steps=10**9), repeat)
    for other in (blocks, old_result):  # every way, the same run
        assert (result.exit_code, result.steps) == (other.exit_code, other.steps), name
    plain_s, (code, plain_steps) = best_time(lambda: interpret(small), 1)
    assert code == emu.run(small).exit_code
    return (name, result.steps, mips(plain_steps, plain_s), mips(result.steps, blocks_s),
            mips(result.steps, old_s), mips(result.steps, regions_s),
            qemu_mips(exe, result.steps, result.exit_code, repeat))  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="git revision of the 'before' column")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    main(args.repeat, args.before)
