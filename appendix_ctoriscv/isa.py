"""The RV32I instruction set as data: registers, the six formats, and one row per instruction.

asm.py (text -> words) and emu.py (words -> Python) both read these tables, so each encoding is
written once. Sections cited are those of "The RISC-V Instruction Set Manual, Volume I" (version
20191213): 2.2 formats, 2.3 immediates, 2.4-2.8 instructions, chapter 24 opcode map. Not here:
the C, M and Zicsr extensions, fence.i.
"""

from __future__ import annotations

from typing import NamedTuple

# *** 1. registers (chapter 25, "RISC-V Assembly Programmer's Handbook", table 25.1) ***

ABI_NAMES = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
]  # fmt: skip
# x0..x31 and the ABI names; `fp` is s0's second name (the frame pointer).
REGISTERS = {f"x{i}": i for i in range(32)} | {n: i for i, n in enumerate(ABI_NAMES)} | {"fp": 8}

# *** 2. formats (section 2.2) ***
# Every format keeps opcode in bits 6:0, rd in 11:7, funct3 in 14:12, rs1 in 19:15, rs2 in 24:20
# and funct7 in 31:25; a format is which of those fields it uses. What differs is where the
# immediate's bits go, so that the sign bit is always bit 31 and the register fields never move.

FIELDS = {
    "R": ("rd", "rs1", "rs2"),  # register-register:  add rd, rs1, rs2
    "I": ("rd", "rs1"),  # short immediate:           addi rd, rs1, imm / lw rd, imm(rs1)
    "SH": ("rd", "rs1"),  # shift by constant: I-type whose imm is funct7 | shamt
    "S": ("rs1", "rs2"),  # store:                    sw rs2, imm(rs1)
    "B": ("rs1", "rs2"),  # branch:                   beq rs1, rs2, target
    "U": ("rd",),  # upper immediate:                 lui rd, imm20
    "J": ("rd",),  # jump:                            jal rd, target
}
FIELD_SHIFT = {"rd": 7, "rs1": 15, "rs2": 20}

# --8<-- [start:imm_layout]
# Where each immediate's bits go (section 2.3, figure 2.4): (imm_hi, imm_lo, word_bit) says that
# bits imm_hi..imm_lo of the immediate sit in the instruction word from bit word_bit upwards.
IMM_LAYOUT = {
    "R": [],
    "I": [(11, 0, 20)],
    "SH": [(4, 0, 20)],  # shamt; srai's 0x20 lives in funct7
    "S": [(11, 5, 25), (4, 0, 7)],
    "B": [(12, 12, 31), (10, 5, 25), (4, 1, 8), (11, 11, 7)],  # imm[0] is always 0: not stored
    "U": [(31, 12, 12)],
    "J": [(20, 20, 31), (10, 1, 21), (11, 11, 20), (19, 12, 12)],  # imm[0] is always 0
}
IMM_SIGN_BIT = {"R": 0, "I": 11, "SH": 31, "S": 11, "B": 12, "U": 31, "J": 20}  # SH: never signed
# --8<-- [end:imm_layout]

# *** 3. the instructions (chapter 24, table 24.2) ***


class Op(NamedTuple):
    """One instruction: how to encode it and how to write it in assembly."""

    name: str
    fmt: str  # a key of FIELDS
    opcode: int  # bits 6:0
    funct3: int  # bits 14:12
    funct7: int  # bits 31:25 (R and SH formats only)
    syntax: str  # operand order in assembly text; `imm(rs1)` is a memory operand


def _ops(fmt: str, opcode: int, syntax: str, rows: list[tuple[str, int, int]]) -> list[Op]:
    return [Op(name, fmt, opcode, f3, f7, syntax) for name, f3, f7 in rows]


# opcodes (table 24.1): the major groups
LUI, AUIPC, JAL, JALR = 0b0110111, 0b0010111, 0b1101111, 0b1100111
BRANCH, LOAD, STORE, OP_IMM, OP = 0b1100011, 0b0000011, 0b0100011, 0b0010011, 0b0110011
MISC_MEM, SYSTEM = 0b0001111, 0b1110011

INSTRUCTIONS: dict[str, Op] = {op.name: op for op in [
    *_ops("U", LUI, "rd,imm", [("lui", 0, 0)]),
    *_ops("U", AUIPC, "rd,imm", [("auipc", 0, 0)]),
    *_ops("J", JAL, "rd,target", [("jal", 0, 0)]),
    *_ops("I", JALR, "rd,imm(rs1)", [("jalr", 0, 0)]),
    *_ops("B", BRANCH, "rs1,rs2,target", [
        ("beq", 0, 0), ("bne", 1, 0), ("blt", 4, 0), ("bge", 5, 0), ("bltu", 6, 0), ("bgeu", 7, 0),
    ]),
    *_ops("I", LOAD, "rd,imm(rs1)", [
        ("lb", 0, 0), ("lh", 1, 0), ("lw", 2, 0), ("lbu", 4, 0), ("lhu", 5, 0),
    ]),
    *_ops("S", STORE, "rs2,imm(rs1)", [("sb", 0, 0), ("sh", 1, 0), ("sw", 2, 0)]),
    *_ops("I", OP_IMM, "rd,rs1,imm", [
        ("addi", 0, 0), ("slti", 2, 0), ("sltiu", 3, 0), ("xori", 4, 0), ("ori", 6, 0),
        ("andi", 7, 0),
    ]),
    *_ops("SH", OP_IMM, "rd,rs1,imm", [("slli", 1, 0), ("srli", 5, 0), ("srai", 5, 0x20)]),
    *_ops("R", OP, "rd,rs1,rs2", [
        ("add", 0, 0), ("sub", 0, 0x20), ("sll", 1, 0), ("slt", 2, 0), ("sltu", 3, 0),
        ("xor", 4, 0), ("srl", 5, 0), ("sra", 5, 0x20), ("or", 6, 0), ("and", 7, 0),
    ]),
    # fence's immediate holds the predecessor and successor sets; a single hart can ignore it.
    *_ops("I", MISC_MEM, "", [("fence", 0, 0)]),
    # ecall and ebreak share every field but the immediate: 0 and 1 (section 2.8).
    *_ops("I", SYSTEM, "", [("ecall", 0, 0), ("ebreak", 0, 0)]),
]}  # fmt: skip
SYSTEM_IMM = {"ecall": 0, "ebreak": 1}

# *** 4. encoding and decoding ***


def scatter_imm(fmt: str, imm: int) -> int:
    """The instruction-word bits that hold immediate `imm` in format `fmt`."""
    # EXERCISE A.7: place each bit range of imm where IMM_LAYOUT[fmt] says it goes
    word = 0
    for hi, lo, bit in IMM_LAYOUT[fmt]:
        width = hi - lo + 1
        word |= ((imm >> lo) & ((1 << width) - 1)) << bit
    return word
    # END EXERCISE


def gather_imm(fmt: str, word: int) -> int:
    """The sign-extended immediate that format `fmt` stores in instruction `word`."""
    # EXERCISE A.8: collect the bit ranges back, then sign-extend from IMM_SIGN_BIT[fmt]
    imm = 0
    for hi, lo, bit in IMM_LAYOUT[fmt]:
        width = hi - lo + 1
        imm |= ((word >> bit) & ((1 << width) - 1)) << lo
    sign = IMM_SIGN_BIT[fmt]
    if fmt != "SH" and imm >> sign & 1:
        imm -= 1 << (sign + 1)
    return imm
    # END EXERCISE


# --8<-- [start:encode]
def encode(name: str, rd: int = 0, rs1: int = 0, rs2: int = 0, imm: int = 0) -> int:
    """The 32-bit word of instruction `name`; `imm` must already fit its format (see IMM_RANGE).

    For U-type, `imm` is the value the instruction produces, low 12 bits zero (lui's 0x12345
    is imm=0x12345000); for B and J it is the byte offset from the instruction, an even number.
    """
    op = INSTRUCTIONS[name]
    if op.opcode == SYSTEM:  # no operands: the immediate tells ecall from ebreak
        imm, rd, rs1 = SYSTEM_IMM[name], 0, 0
    word = op.opcode | op.funct3 << 12 | scatter_imm(op.fmt, imm)
    if op.fmt in ("R", "SH"):
        word |= op.funct7 << 25
    regs = {"rd": rd, "rs1": rs1, "rs2": rs2}
    for field in FIELDS[op.fmt]:
        word |= regs[field] << FIELD_SHIFT[field]
    return word
# --8<-- [end:encode]


# The immediates each format can hold, as (lowest, highest, must be a multiple of).
IMM_RANGE = {
    "I": (-2048, 2047, 1), "S": (-2048, 2047, 1), "SH": (0, 31, 1),
    "B": (-4096, 4094, 2), "J": (-(1 << 20), (1 << 20) - 2, 2),
    "U": (-(1 << 31), (1 << 32) - 1, 1 << 12),
}  # fmt: skip


def imm_fits(fmt: str, imm: int) -> bool:
    lo, hi, step = IMM_RANGE.get(fmt, (0, 0, 1))
    return lo <= imm <= hi and imm % step == 0


class Decoded(NamedTuple):
    """One decoded instruction word: register numbers and the sign-extended immediate."""

    name: str
    rd: int
    rs1: int
    rs2: int
    imm: int


# Decoding looks up (opcode, funct3, funct7) first, for R and SH rows, then (opcode, funct3),
# then (opcode,) for U and J rows that have no funct3.
_DECODE: dict[tuple[int, ...], Op] = {}
for _op in INSTRUCTIONS.values():
    if _op.opcode == SYSTEM:
        continue  # told apart by their immediate, below
    key = {"R": 3, "SH": 3, "U": 1, "J": 1}.get(_op.fmt, 2)
    _DECODE[(_op.opcode, _op.funct3, _op.funct7)[:key]] = _op


_SYSTEM_BY_IMM = {imm: name for name, imm in SYSTEM_IMM.items()}


def decode(word: int) -> Decoded | None:
    """Decode one instruction word; None if it is not an RV32I instruction."""
    # EXERCISE A.9: find the Op from opcode, funct3 and funct7, then read its fields
    opcode, funct3, funct7 = word & 0x7F, word >> 12 & 7, word >> 25
    if opcode == SYSTEM:  # every field but the immediate must be zero
        name = _SYSTEM_BY_IMM.get(word >> 20)
        return Decoded(name, 0, 0, 0, 0) if name and word & 0xFFFFF == SYSTEM else None
    op = (_DECODE.get((opcode, funct3, funct7)) or _DECODE.get((opcode, funct3))
          or _DECODE.get((opcode,)))  # fmt: skip
    if op is None or word & 3 != 3:
        return None
    fields = FIELDS[op.fmt]
    rd, rs1, rs2 = (word >> FIELD_SHIFT[f] & 31 if f in fields else 0 for f in FIELD_SHIFT)
    return Decoded(op.name, rd, rs1, rs2, gather_imm(op.fmt, word))
    # END EXERCISE


def disassemble(word: int, pc: int | None = None) -> str:
    """One instruction as assembly text, e.g. `lw a0, 8(sp)`; with pc, jump targets are absolute."""
    d = decode(word)
    if d is None:
        return f".word 0x{word:08x}"
    op = INSTRUCTIONS[d.name]
    if op.fmt == "U":
        imm = f"0x{(d.imm >> 12) & 0xFFFFF:x}"  # as written in assembly: the upper 20 bits
    elif op.fmt in ("B", "J") and pc is not None:
        imm = f"0x{(pc + d.imm) & 0xFFFFFFFF:x}"
    else:
        imm = str(d.imm)
    names = {"rd": ABI_NAMES[d.rd], "rs1": ABI_NAMES[d.rs1], "rs2": ABI_NAMES[d.rs2],
             "imm": imm, "target": imm, "imm(rs1)": f"{imm}({ABI_NAMES[d.rs1]})"}  # fmt: skip
    operands = [names[part] for part in op.syntax.split(",")] if op.syntax else []
    return f"{d.name} {', '.join(operands)}".rstrip()
