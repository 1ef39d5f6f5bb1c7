"""Translation: a basic block of RV32I -> the source of one Python function.

translate_block(fetch, pc) -> (source, instruction count). SEMANTICS gives each instruction one
line of Python over register names; emu.py compiles the source with its memory helpers, and
regions.py reuses the same tables to translate many blocks into one function. Nothing here
touches memory or registers: it only writes Python text.
"""

from __future__ import annotations

from appendix_ctoriscv import isa

M, S = 0xFFFFFFFF, 0x80000000  # register mask; the sign bit

# Registers live in the list X as unsigned 32-bit ints; inside a block, in locals x1..x31. Signed
# comparisons flip the sign bit first: (a ^ S) < (b ^ S) orders unsigned numbers as signed ones.

# --8<-- [start:semantics]
SEMANTICS = {  # one line of Python per instruction; rd, rs1, rs2 name registers, pc is constant
    "lui": "{rd} = {uimm}",
    "auipc": "{rd} = {pc_imm}",
    "addi": "{rd} = ({rs1} + {imm}) & M",
    "slti": "{rd} = 1 if ({rs1} ^ S) < {simm} else 0",
    "sltiu": "{rd} = 1 if {rs1} < {uimm} else 0",
    "xori": "{rd} = {rs1} ^ {uimm}",
    "ori": "{rd} = {rs1} | {uimm}",
    "andi": "{rd} = {rs1} & {uimm}",
    "slli": "{rd} = ({rs1} << {imm}) & M",
    "srli": "{rd} = {rs1} >> {imm}",
    "srai": "{rd} = (({rs1} ^ S) - S) >> {imm} & M",  # arithmetic: shift the signed value
    "add": "{rd} = ({rs1} + {rs2}) & M",
    "sub": "{rd} = ({rs1} - {rs2}) & M",
    "sll": "{rd} = ({rs1} << ({rs2} & 31)) & M",  # only the low 5 bits of rs2 count
    "slt": "{rd} = 1 if ({rs1} ^ S) < ({rs2} ^ S) else 0",
    "sltu": "{rd} = 1 if {rs1} < {rs2} else 0",
    "xor": "{rd} = {rs1} ^ {rs2}",
    "srl": "{rd} = {rs1} >> ({rs2} & 31)",
    "sra": "{rd} = (({rs1} ^ S) - S) >> ({rs2} & 31) & M",
    "or": "{rd} = {rs1} | {rs2}",
    "and": "{rd} = {rs1} & {rs2}",
    "lb": "{rd} = lb(({rs1} + {imm}) & M, {pc})",
    "lh": "{rd} = lh(({rs1} + {imm}) & M, {pc})",
    "lw": "{rd} = lw(({rs1} + {imm}) & M, {pc})",
    "lbu": "{rd} = lbu(({rs1} + {imm}) & M, {pc})",
    "lhu": "{rd} = lhu(({rs1} + {imm}) & M, {pc})",
    "sb": "sb(({rs1} + {imm}) & M, {rs2}, {pc})",
    "sh": "sh(({rs1} + {imm}) & M, {rs2}, {pc})",
    "sw": "sw(({rs1} + {imm}) & M, {rs2}, {pc})",
    "fence": "pass",  # one hart, in order: nothing to wait for
}
BRANCHES = {  # the condition under which each branch is taken
    "beq": "{rs1} == {rs2}",
    "bne": "{rs1} != {rs2}",
    "blt": "({rs1} ^ S) < ({rs2} ^ S)",
    "bge": "({rs1} ^ S) >= ({rs2} ^ S)",
    "bltu": "{rs1} < {rs2}",
    "bgeu": "{rs1} >= {rs2}",
}
# --8<-- [end:semantics]
LOADS = {"lb", "lh", "lw", "lbu", "lhu"}
MAX_BLOCK = 64  # instructions; a block also ends at every jump, branch and ecall


def _reg(n: int) -> str:
    return f"x{n}" if n else "0"  # x0 reads as the constant 0


def _operands(d: isa.Decoded, pc: int) -> dict[str, str]:
    """The names a SEMANTICS line may use, as Python text; constants are folded in now."""
    return {"rd": _reg(d.rd), "rs1": _reg(d.rs1), "rs2": _reg(d.rs2), "imm": str(d.imm),
            "uimm": hex(d.imm & M), "simm": hex((d.imm & M) ^ S), "pc": hex(pc),
            "pc_imm": hex((pc + d.imm) & M)}  # fmt: skip


# --8<-- [start:translate]
def translate_block(fetch, pc: int) -> tuple[str, int]:
    """Python source for the basic block at `pc`, and how many instructions it holds.

    `fetch(pc)` returns the instruction word at pc (None outside the code). The function made
    from the source takes the register list X and returns the next pc; the machine's helpers
    (lw, sw, ecall, ...) are its default arguments, so it finds them as fast local variables.
    """
    # EXERCISE A.10: one SEMANTICS line per instruction until a jump, branch or ecall
    body, written, used = [], set(), set()
    start, n, exit_lines = pc, 0, None
    while exit_lines is None:
        word = fetch(pc)
        d = isa.decode(word) if word is not None else None
        n += 1
        if d is None:  # not an RV32I instruction: fault if execution gets here
            exit_lines = [f"illegal({pc:#x})"]
            break
        f = _operands(d, pc)
        used.update(r for r in (d.rs1, d.rs2) if r)
        if d.rd and (SEMANTICS.get(d.name, "").startswith("{rd}") or d.name in ("jal", "jalr")):
            written.add(d.rd)
        if d.name in SEMANTICS:
            line = SEMANTICS[d.name]
            if not line.startswith("{rd}") or d.rd:
                body.append(line.format(**f))
            elif d.name in LOADS:  # a load into x0 still faults on a bad address
                body.append(line.format(**f | {"rd": "_"}))
        elif d.name in BRANCHES:
            exit_lines = [f"if {BRANCHES[d.name].format(**f)}:", "    STORE",
                          f"    return {f['pc_imm']}", "STORE", f"return {pc + 4:#x}"]  # fmt: skip
        elif d.name in ("jal", "jalr"):  # jalr: the target first, as rd may be rs1
            target = f["pc_imm"] if d.name == "jal" else f"({f['rs1']} + {d.imm}) & 0xFFFFFFFE"
            body.append(f"target = {target}")
            body += [f"{f['rd']} = {pc + 4:#x}"] if d.rd else []
            exit_lines = ["STORE", "return target"]
        elif d.name == "ecall":  # the handler reads X: write the registers back first
            exit_lines = ["STORE", f"return ecall({pc:#x})"]
        elif d.name == "ebreak":
            exit_lines = [f"ebreak({pc:#x})"]
        pc += 4
        if exit_lines is None and (n == MAX_BLOCK or fetch(pc) is None):
            exit_lines = ["STORE", f"return {pc:#x}"]
    # END EXERCISE
    load = [f"x{r} = X[{r}]" for r in sorted(used)]  # a register only written needs no load
    store = [f"X[{r}] = x{r}" for r in sorted(written)]
    lines = [f"def block_{start:x}(X, M=M, S=S, lb=lb, lh=lh, lw=lw, lbu=lbu, lhu=lhu, sb=sb,"
             f" sh=sh, sw=sw, ecall=ecall, ebreak=ebreak, illegal=illegal):"]  # fmt: skip
    lines += ["    " + line for line in load + body]
    for line in exit_lines:  # STORE: write the registers back, at that line's indentation
        indent = line[: len(line) - len(line.lstrip())]
        if line.strip() == "STORE":
            lines += ["    " + indent + s for s in store]
        else:
            lines.append("    " + line)
    return "\n".join(lines), n
# --8<-- [end:translate]
