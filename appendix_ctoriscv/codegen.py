"""Code generation: the IR of each function -> RV32I assembly text for GNU `as` (and for asm.py).

One translation for both levels: every temporary has a *location*, a register or a word of the
frame. At -O0 no temporary has a register (one frame slot each: each instruction loads its
operands into t0 and t1, computes, and stores its result); at -O1 regalloc.py gives most of them
registers, and a compare feeding a branch becomes one compare-and-branch. Calls follow the ILP32
calling convention, so the output links with code from gcc; RV32I has no multiply or divide, so
`mul`, `div` and `rem` call the runtime's helpers with libgcc's names.
"""

from __future__ import annotations

from appendix_ctoriscv.defs import Obj, TypeKind
from appendix_ctoriscv.ir import Block, Instr, IRFunction, signed32

# *** 1. the ABI tables ***

# --8<-- [start:registers]
# The registers, by their ILP32 ABI names, and what this code generator uses them for:
#   a0-a7  arguments and return value (a0); caller-saved
#   t0-t2  scratch: operands that live in the frame are loaded into t0 and t1, t2 addresses
#          a frame slot too far from s0 for a 12-bit offset
#   t3-t6  temporaries that no call crosses (caller-saved: a call may change them)
#   s1-s11 temporaries that live across calls (callee-saved: saved in the prologue if used)
#   s0     frame pointer (callee-saved): the stack pointer at entry
#   sp     stack pointer, 16-byte aligned at every call
#   ra     return address, saved in the frame because every function may call
ARG_REGS = [f"a{i}" for i in range(8)]
CALLER_SAVED = ["t3", "t4", "t5", "t6"]
CALLEE_SAVED = [f"s{i}" for i in range(1, 12)]
STACK_ALIGN = 16
# --8<-- [end:registers]

# The frame of a function, from the caller's stack pointer (s0) downward:
#   s0+4*k   stack arguments 9, 10, ... of this function (the caller put them there)
#   s0-4     saved ra
#   s0-8     saved s0 of the caller
#   s0-12..  saved callee-saved registers, then local variables, then temporaries in the frame
#   sp+4*k   outgoing stack arguments 9, 10, ... of the calls this function makes
SAVED_AREA = 8
PROBE_INTERVAL = 1 << 16  # less than emu.py's 1 MiB guard gap below the stack

# A conditional branch reaches +-4 KiB, 1024 words: a function longer than this many words
# (each pseudo-instruction counted as two) gets far branches, which jump over a `j` (+-1 MiB).
NEAR_FUNCTION = 1000

# --8<-- [start:instruction_tables]
# IR op -> RV32I instruction on two registers, and the form with a 12-bit immediate
R_TYPE = {"add": "add", "sub": "sub", "and": "and", "or": "or", "xor": "xor", "shl": "sll",
          "shr": "sra", "shru": "srl", "lt": "slt", "ltu": "sltu"}  # fmt: skip
I_TYPE = {"add": "addi", "and": "andi", "or": "ori", "xor": "xori", "shl": "slli",
          "shr": "srai", "shru": "srli", "lt": "slti", "ltu": "sltiu"}  # fmt: skip
# libgcc's names for the arithmetic that RV32I lacks
RUNTIME_HELPERS = {"mul": "__mulsi3", "div": "__divsi3", "divu": "__udivsi3", "rem": "__modsi3",
                   "remu": "__umodsi3"}  # fmt: skip
LOAD = {"i8": "lb", "u8": "lbu", "i16": "lh", "u16": "lhu", "i32": "lw"}
STORE = {"i8": "sb", "u8": "sb", "i16": "sh", "u16": "sh", "i32": "sw"}
CONVERT = {  # truncate to the width, then extend the way the type does
    "conv.i8": ["slli {rd}, {rs}, 24", "srai {rd}, {rd}, 24"], "conv.u8": ["andi {rd}, {rs}, 255"],
    "conv.i16": ["slli {rd}, {rs}, 16", "srai {rd}, {rd}, 16"],
    "conv.u16": ["slli {rd}, {rs}, 16", "srli {rd}, {rd}, 16"],
}  # fmt: skip
# compare-and-branch for `br (a op b)`; (a <= b) is (b >= a), so `le` swaps its operands
BRANCH = {"eq": ("beq", False), "ne": ("bne", False), "lt": ("blt", False),
          "ltu": ("bltu", False), "le": ("bge", True), "leu": ("bgeu", True)}  # fmt: skip
INVERSE_BRANCH = {"beq": "bne", "bne": "beq", "blt": "bge", "bge": "blt", "bltu": "bgeu",
                  "bgeu": "bltu", "beqz": "bnez", "bnez": "beqz"}  # fmt: skip
# --8<-- [end:instruction_tables]
DATA_DIRECTIVE = {1: ".byte", 2: ".half", 4: ".word"}


SAVE_AREA = 32  # a variadic function stores a0-a7 here, just below its stack arguments
UNROLL_COPY = 64  # a struct copy up to this many bytes is straight-line loads and stores


def clobbers_caller_saved(ins: Instr) -> bool:
    """A call, an operator that calls a runtime helper, or a long copy (a loop using a0)."""
    long_copy = ins.op == "memcpy" and ins.args[2] > UNROLL_COPY
    return ins.op == "call" or ins.op in RUNTIME_HELPERS or long_copy


def needs_register(ins: Instr, k: int) -> bool:
    """Does operand k of `ins`, a constant, take an `li` into a scratch register?"""
    value, op = ins.args[k], ins.op
    if not isinstance(value, int) or value == 0:  # 0 is the register `zero`
        return False
    if op in BRANCH or ins.kind in ("load", "store"):
        return True
    if op in R_TYPE or op in RUNTIME_HELPERS:
        if k == 0:
            return True
        if op == "sub":
            return not fits_imm12(-value)
        return op not in I_TYPE or not (op.startswith("sh") or fits_imm12(value))
    return False


def align_to(n: int, align: int) -> int:
    return (n + align - 1) // align * align


def fits_imm12(value: int) -> bool:
    return -2048 <= value < 2048


# *** 2. the code generator ***


class CodeGen:
    def __init__(self, far_branches: bool = False, fuse_branches: bool = False):
        self.far_branches = far_branches
        self.fuse_branches = fuse_branches  # -O1: `br (a < b)` is one blt
        self.lines: list[str] = []
        self.count = 0
        self.where: dict[str, str | int] = {}  # temporary -> register, or frame offset from s0
        self.slot_offset: dict[str, int] = {}  # frame slot `$x` -> offset from s0
        # the frame is addressed from s0, or at -O1 from sp: offset(s0) is (offset + bias)(sp)
        self.base, self.bias = "s0", 0

    def emit(self, line: str) -> None:
        self.lines.append(f"\t{line}")

    def label(self, name: str) -> None:
        self.lines.append(f"{name}:")

    def new_label(self, what: str) -> str:
        self.count += 1
        return f".L.{what}.{self.count}"

    def branch(self, op: str, operands: str, target: str) -> None:
        """`op operands, target`, e.g. `beqz a0, .L.else.1`, in reach of any target if far."""
        if not self.far_branches:
            self.emit(f"{op} {operands}, {target}")
            return
        skip = self.new_label("skip")
        self.emit(f"{INVERSE_BRANCH[op]} {operands}, {skip}")
        self.emit(f"j {target}")
        self.label(skip)

    # -- locations: registers and frame slots --

    def frame_operand(self, offset: int, scratch: str) -> str:
        """The memory operand `offset(s0)`, via `scratch` if the offset needs more than 12 bits."""
        offset += self.bias
        if fits_imm12(offset):
            return f"{offset}({self.base})"
        self.emit(f"li {scratch}, {offset}")
        self.emit(f"add {scratch}, {self.base}, {scratch}")
        return f"0({scratch})"

    # --8<-- [start:read_write]
    def read(self, operand, scratch: str) -> str:
        """The register that holds `operand`: its own, or `scratch` after a load or `li`."""
        if isinstance(operand, int):
            if operand == 0:
                return "zero"
            self.emit(f"li {scratch}, {operand}")
            return scratch
        place = self.where[operand]
        if isinstance(place, str):
            return place
        self.emit(f"lw {scratch}, {self.frame_operand(place, scratch)}")
        return scratch

    def result_reg(self, dst: str | None) -> str:
        """The register to compute `dst` into: its own, or t0 if it lives in the frame."""
        place = self.where.get(dst)
        return place if isinstance(place, str) else "t0"

    def write(self, dst: str | None, reg: str) -> None:
        """Put the value in `reg` where `dst` lives."""
        place = self.where.get(dst)
        if place is None:
            return  # never read: regalloc.py gave it no location
        if isinstance(place, str):
            if place != reg:
                self.emit(f"mv {place}, {reg}")
        else:
            self.emit(f"sw {reg}, {self.frame_operand(place, 't2')}")
    # --8<-- [end:read_write]

    # -- instructions --

    # --8<-- [start:gen_binary]
    def gen_binary(self, op: str, rd: str, lhs: str, rhs) -> None:
        """rd = lhs op rhs; lhs is a register, rhs a register or (for I_TYPE ops) a constant."""
        # EXERCISE A.5: one IR operator as RV32I instructions: a table entry or a short sequence
        if isinstance(rhs, int):
            self.emit(f"{I_TYPE[op]} {rd}, {lhs}, {rhs}")
        elif op in R_TYPE:
            self.emit(f"{R_TYPE[op]} {rd}, {lhs}, {rhs}")
        elif op in ("eq", "ne"):  # a == b is (a ^ b) == 0
            self.emit(f"xor {rd}, {lhs}, {rhs}")
            self.emit(f"{'seqz' if op == 'eq' else 'snez'} {rd}, {rd}")
        elif op in ("le", "leu"):  # a <= b is !(b < a)
            self.emit(f"{'slt' if op == 'le' else 'sltu'} {rd}, {rhs}, {lhs}")
            self.emit(f"xori {rd}, {rd}, 1")
        elif op in RUNTIME_HELPERS:  # RV32I has no multiply or divide
            self.emit(f"mv a0, {lhs}")
            self.emit(f"mv a1, {rhs}")
            self.emit(f"call {RUNTIME_HELPERS[op]}")
            self.emit(f"mv {rd}, a0")
        else:
            raise AssertionError(f"invalid binary operator {op}")
        # END EXERCISE
    # --8<-- [end:gen_binary]

    def immediate(self, op: str, rhs):
        """`rhs` as an immediate of op's I-type form, if it has one and rhs fits; else None."""
        if not isinstance(rhs, int) or op not in I_TYPE:
            return None
        if op in ("shl", "shr", "shru"):
            return rhs & 31
        return rhs if fits_imm12(rhs) else None

    def gen_instr(self, ins: Instr) -> None:
        op, args = ins.op, ins.args
        rd = self.result_reg(ins.dst)
        if op == "sub" and isinstance(args[1], int) and fits_imm12(-args[1]):
            op, args = "add", [args[0], -args[1]]  # x - c is x + (-c): addi
        if op == "mul" and isinstance(args[1], int) and args[1] > 0 and not args[1] & args[1] - 1:
            op, args = "shl", [args[0], args[1].bit_length() - 1]  # x * 2^n: array indexing
        if op in R_TYPE or op in I_TYPE or op in RUNTIME_HELPERS or op in ("eq", "ne", "le", "leu"):
            imm = self.immediate(op, args[1])
            lhs = self.read(args[0], "t0")
            self.gen_binary(op, rd, lhs, imm if imm is not None else self.read(args[1], "t1"))
        elif op in ("neg", "not", "bitnot", "mov"):
            if op == "mov" and isinstance(args[0], int):
                self.emit(f"li {rd}, {args[0]}")
            else:
                form = {"neg": "neg {}, {}", "not": "seqz {}, {}", "bitnot": "not {}, {}",
                        "mov": "mv {}, {}"}[op]  # fmt: skip
                src = self.read(args[0], "t0")
                if op != "mov" or src != rd:
                    self.emit(form.format(rd, src))
        elif op in CONVERT:
            src = self.read(args[0], "t0")
            for line in CONVERT[op]:
                self.emit(line.format(rd=rd, rs=src))
        elif op == "addr":
            self.gen_addr(rd, args[0])
        elif ins.kind == "load":
            address = self.read(args[0], "t0")
            self.emit(f"{LOAD[op.split('.')[1]]} {rd}, 0({address})")
        elif ins.kind == "store":
            address, value = self.read(args[0], "t0"), self.read(args[1], "t1")
            self.emit(f"{STORE[op.split('.')[1]]} {value}, 0({address})")
            return
        elif op == "call":
            self.gen_call(args[0], args[1:])
            if not self.uses.get(ins.dst):
                return  # the result is never read
            rd = "a0"
        elif op == "memzero":
            self.gen_memzero(args[0], args[1])
            return
        elif op == "memcpy":
            self.gen_memcpy(*args)
            return
        elif op == "callhi":  # the second word of the result of the call just before
            rd = "a1"
        else:
            raise AssertionError(f"cannot generate {ins}")
        self.write(ins.dst, rd)

    def gen_addr(self, rd: str, name: str) -> None:
        """rd = the address of frame slot `$x` or global `@x`."""
        if name.startswith("$"):
            offset = self.slot_offset[name] + self.bias
            if fits_imm12(offset):
                self.emit(f"addi {rd}, {self.base}, {offset}")
            else:
                self.emit(f"li {rd}, {offset}")
                self.emit(f"add {rd}, {self.base}, {rd}")
        else:
            self.emit(f"lui {rd}, %hi({name[1:]})")
            self.emit(f"addi {rd}, {rd}, %lo({name[1:]})")

    # --8<-- [start:gen_call]
    def gen_call(self, name, args: list) -> None:
        """Arguments 1-8 go in a0-a7, the rest in the frame's outgoing area at 0(sp), 4(sp)...
        `name` is a function's name, or a temporary holding its address (a function pointer)."""
        for i, arg in enumerate(args[len(ARG_REGS) :]):
            self.emit(f"sw {self.read(arg, 't0')}, {4 * i}(sp)")
        for reg, arg in zip(ARG_REGS, args):
            src = self.read(arg, reg)
            if src != reg:
                self.emit(f"mv {reg}, {src}")
        if isinstance(name, str) and not name.startswith("%"):
            self.emit(f"call {name}")
        else:  # through a pointer: no temporary lives in a0-a7 across a call, so t1 is free
            self.emit(f"jalr {self.read(name, 't1')}")
    # --8<-- [end:gen_call]

    # --8<-- [start:gen_memcpy]
    def gen_memcpy(self, dst, src, size: int, align: int) -> None:
        """Copy a struct: by words if both ends are word-aligned, else by halves or bytes;
        straight-line up to UNROLL_COPY bytes, else a loop (in a0, a1: regalloc.py keeps no
        temporary there across a long copy, as across a call)."""
        unit = 4 if align >= 4 and size % 4 == 0 else 2 if align >= 2 and size % 2 == 0 else 1
        load, store = {4: ("lw", "sw"), 2: ("lhu", "sh"), 1: ("lbu", "sb")}[unit]
        if size <= UNROLL_COPY:
            to, frm = self.read(dst, "t0"), self.read(src, "t1")
            for k in range(0, size, unit):
                self.emit(f"{load} t2, {k}({frm})")
                self.emit(f"{store} t2, {k}({to})")
            return
        self.emit(f"mv a0, {self.read(dst, 't0')}")
        self.emit(f"mv a1, {self.read(src, 't1')}")
        self.emit(f"li t0, {size // unit}")
        loop = self.new_label("memcpy")
        self.label(loop)
        self.emit(f"{load} t2, 0(a1)")
        self.emit(f"{store} t2, 0(a0)")
        self.emit(f"addi a0, a0, {unit}")
        self.emit(f"addi a1, a1, {unit}")
        self.emit("addi t0, t0, -1")
        self.emit(f"bnez t0, {loop}")
    # --8<-- [end:gen_memcpy]

    def gen_memzero(self, name: str, size: int) -> None:
        size, offset = align_to(size, 4), self.slot_offset[name] + self.bias
        if size <= 64 and fits_imm12(offset) and fits_imm12(offset + size):
            for i in range(0, size, 4):
                self.emit(f"sw zero, {offset + i}({self.base})")
            return
        loop = self.new_label("memzero")
        self.gen_addr("t0", name)
        self.emit(f"li t1, {size // 4}")
        self.label(loop)
        self.emit("sw zero, 0(t0)")
        self.emit("addi t0, t0, 4")
        self.emit("addi t1, t1, -1")
        self.emit(f"bnez t1, {loop}")

    # -- control flow --

    def gen_terminator(self, ins: Instr, fused: Instr | None, next_block: str | None) -> None:
        """br, jmp and ret; a jump to the block that comes next in the layout is left out."""
        label = self.block_label
        if ins.op == "jmp":
            if ins.args[0] != next_block:
                self.emit(f"j {label(self.returns_at_once.get(ins.args[0], ins.args[0]))}")
            return
        if ins.op == "ret":
            if len(ins.args) == 2:  # a struct of two words: a0 and a1
                low = self.read(ins.args[0], "t0")
                if low == "a1":
                    self.emit("mv t0, a1")
                    low = "t0"
                high = self.read(ins.args[1], "a1")
                if high != "a1":
                    self.emit(f"mv a1, {high}")
                if low != "a0":
                    self.emit(f"mv a0, {low}")
            elif ins.args:
                src = self.read(ins.args[0], "a0")
                if src != "a0":
                    self.emit(f"mv a0, {src}")
            if next_block is not None:
                self.emit(f"j {self.return_label}")
            return
        cond, then, els = ins.args
        then, els = self.returns_at_once.get(then, then), self.returns_at_once.get(els, els)
        if fused is not None:  # -O1: `br (a < b)` is `blt a, b`
            op, swap = BRANCH[fused.op]
            a, b = self.read(fused.args[0], "t0"), self.read(fused.args[1], "t1")
            operands = f"{b}, {a}" if swap else f"{a}, {b}"
        elif isinstance(cond, int):
            self.emit(f"j {label(then if cond else els)}")
            return
        else:
            op, operands = "bnez", self.read(cond, "t0")
        if then == next_block:  # fall into `then`, branch to `else` on the inverse condition
            self.branch(INVERSE_BRANCH[op], operands, label(els))
            return
        self.branch(op, operands, label(then))
        if els != next_block:
            self.emit(f"j {label(els)}")

    def fusable(self, block: Block, uses: dict[str, int]) -> Instr | None:
        """The compare just before `br` if the branch is its only use (-O1 only)."""
        if not self.fuse_branches or len(block.instrs) < 2:
            return None
        cmp, br = block.instrs[-2], block.instrs[-1]
        if br.op == "br" and cmp.op in BRANCH and br.args[0] == cmp.dst and uses[cmp.dst] == 1:
            return cmp
        return None

    def block_label(self, name: str) -> str:
        """The parser's labels (`.L.break.3`) are unique in the program; lower.py's per function."""
        if name == self.return_label:
            return name
        return name if name.startswith(".L.") else f".L.{self.fn.name}.{name}"

    # -- functions and data --

    def layout_frame(self, fn: IRFunction, saved: list[str]) -> int:
        """Give each frame slot and each temporary without a register an offset from s0; the
        frame's size below s0, a multiple of 16."""
        offset = SAVED_AREA + 4 * len(saved)
        above = SAVE_AREA if fn.varargs_at is not None else 0
        for i, name in enumerate(fn.params[len(ARG_REGS) :]):
            self.slot_offset[name] = above + 4 * i  # stack parameters stay where they are
        if fn.varargs_at is not None:
            self.slot_offset["$.varargs"] = fn.varargs_at
        for name, (size, align) in fn.slots.items():
            if name in self.slot_offset:
                continue
            offset = align_to(offset + align_to(size, 4), align)
            self.slot_offset[name] = -offset
        for temp in list(self.where):
            if self.where[temp] is None:
                offset += 4
                self.where[temp] = -offset
        stack_args = [len(i.args) - 1 - len(ARG_REGS) for i in fn.instructions() if i.op == "call"]
        return align_to(offset + 4 * max([0, *stack_args]), STACK_ALIGN)

    def grow_stack(self, nbytes: int) -> None:
        """sp -= nbytes, touching a word every PROBE_INTERVAL bytes on the way down (gcc's
        -fstack-clash-protection): a frame larger than the guard gap below the stack must not
        jump over it into the heap, it must fault in it, as a stack overflow does on Linux."""
        probes, rest = divmod(nbytes, PROBE_INTERVAL)
        if probes:
            self.emit(f"li t0, {probes}")
            self.emit(f"li t1, {PROBE_INTERVAL}")
            self.emit("1:")
            self.emit("sub sp, sp, t1")
            self.emit("sw zero, 0(sp)")
            self.emit("addi t0, t0, -1")
            self.emit("bnez t0, 1b")
        if rest:
            self.emit(f"li t0, {rest}")
            self.emit("sub sp, sp, t0")

    # --8<-- [start:gen_function]
    def gen_function(self, fn: IRFunction, registers: dict[str, str]) -> None:
        """Assembly for `fn`; `registers` maps temporaries to registers, the rest live in the
        frame."""
        self.fn, self.return_label = fn, f".L.return.{fn.name}"
        self.slot_offset = {}
        temps = {t for i in fn.instructions() for t in [i.dst, *i.uses()] if t}
        temps |= {p for p in fn.params if p.startswith("%")}
        self.where = {t: registers.get(t) for t in sorted(temps, key=lambda t: int(t[1:]))}
        saved = sorted({r for r in registers.values() if r in CALLEE_SAVED}, key=CALLEE_SAVED.index)
        frame_size = self.layout_frame(fn, saved)
        for name, offset in self.slot_offset.items():  # for the book's picture of the frame
            if name in fn.frame_objects:
                fn.frame_objects[name].offset = offset
        self.frame_size = frame_size
        self.lines.append("")
        self.emit(".text")
        if not fn.is_static:
            self.emit(f".globl {fn.name}")
        self.emit(".align 2")
        self.label(fn.name)
        leaf = not any(clobbers_caller_saved(i) for i in fn.instructions())
        if self.fuse_branches and frame_size < 2048:  # -O1: no frame pointer
            self.gen_function_without_frame_pointer(fn, saved, leaf)
            return
        self.base, self.bias = "s0", 0
        self.spill_arguments(fn)
        # EXERCISE A.6: the prologue: save ra and s0, point s0 at the frame, make room below it
        self.emit("addi sp, sp, -16")
        self.emit("sw ra, 12(sp)")
        self.emit("sw s0, 8(sp)")
        self.emit("addi s0, sp, 16")
        if frame_size > 16:
            if frame_size - 16 < 2048:
                self.emit(f"addi sp, sp, -{frame_size - 16}")
            else:
                self.grow_stack(frame_size - 16)
        # END EXERCISE
        for i, reg in enumerate(saved):
            self.emit(f"sw {reg}, {-SAVED_AREA - 4 * (i + 1)}(s0)")
        self.gen_body(fn)
        self.label(self.return_label)
        for i, reg in enumerate(saved):
            self.emit(f"lw {reg}, {-SAVED_AREA - 4 * (i + 1)}(s0)")
        self.emit("addi sp, s0, -16")
        self.emit("lw ra, 12(sp)")
        self.emit("lw s0, 8(sp)")
        self.emit("addi sp, sp, 16")
        self.free_save_area(fn)
        self.emit("ret")
    # --8<-- [end:gen_function]

    # --8<-- [start:save_area]
    def spill_arguments(self, fn: IRFunction) -> None:
        """A variadic function first stores a0-a7 just below the stack arguments, so that all
        its arguments lie in memory one after another, where va_arg can walk them."""
        if fn.varargs_at is None:
            return
        self.emit(f"addi sp, sp, -{SAVE_AREA}")
        for i, reg in enumerate(ARG_REGS):
            self.emit(f"sw {reg}, {4 * i}(sp)")

    def free_save_area(self, fn: IRFunction) -> None:
        if fn.varargs_at is not None:
            self.emit(f"addi sp, sp, {SAVE_AREA}")
    # --8<-- [end:save_area]

    def gen_function_without_frame_pointer(self, fn: IRFunction, saved: list[str], leaf: bool):
        """-O1's frame: addressed from sp, which does not move inside the function; ra saved
        only if the function calls, and no frame at all if nothing needs one."""
        size = self.frame_size
        if leaf and not saved and not fn.slots and all(isinstance(p, str) for p in
                                                       self.where.values()):  # fmt: skip
            size = 0  # every temporary in a register: nothing to keep in memory
        self.base, self.bias, self.frame_size = "sp", size, size
        self.spill_arguments(fn)
        if size:
            self.emit(f"addi sp, sp, -{size}")
        if not leaf:
            self.emit(f"sw ra, {size - 4}(sp)")
        for i, reg in enumerate(saved):
            self.emit(f"sw {reg}, {size - SAVED_AREA - 4 * (i + 1)}(sp)")
        self.gen_body(fn)
        self.label(self.return_label)
        if not leaf:
            self.emit(f"lw ra, {size - 4}(sp)")
        for i, reg in enumerate(saved):
            self.emit(f"lw {reg}, {size - SAVED_AREA - 4 * (i + 1)}(sp)")
        if size:
            self.emit(f"addi sp, sp, {size}")
        self.free_save_area(fn)
        self.emit("ret")

    def gen_body(self, fn: IRFunction) -> None:
        """The parameters to their places, then the blocks in layout order."""
        for i, param in enumerate(fn.params):  # from a0-a7 and the caller's frame to their places
            if param.startswith("$"):  # a frame slot
                if i < len(ARG_REGS):
                    store = {1: "sb", 2: "sh"}.get(fn.slots[param][0], "sw")
                    slot = self.frame_operand(self.slot_offset[param], "t2")
                    self.emit(f"{store} {ARG_REGS[i]}, {slot}")
            elif i < len(ARG_REGS):
                self.write(param, ARG_REGS[i])
            elif self.where.get(param) is not None:
                self.emit(f"lw t0, {self.frame_operand(4 * (i - len(ARG_REGS)), 't0')}")
                self.write(param, "t0")
        uses: dict[str, int] = {}
        for ins in fn.instructions():
            for t in ins.uses():
                uses[t] = uses.get(t, 0) + 1
        self.uses = uses
        # -O1: a branch to a block that only returns goes to the epilogue directly
        self.returns_at_once = {b.name: self.return_label for b in fn.blocks if self.fuse_branches
                                and len(b.instrs) == 1 and b.instrs[0].op == "ret"
                                and not b.instrs[0].args}  # fmt: skip
        # ... and those blocks go last, out of the way of the fall-through paths
        blocks = fn.blocks[:1] + [b for b in fn.blocks[1:] if b.name not in self.returns_at_once]
        blocks += [b for b in fn.blocks[1:] if b.name in self.returns_at_once]
        for n, block in enumerate(blocks):
            self.label(self.block_label(block.name))
            fused = self.fusable(block, uses)
            for ins in block.instrs[:-1]:
                if ins is not fused:
                    self.gen_instr(ins)
            following = blocks[n + 1].name if n + 1 < len(blocks) else None
            self.gen_terminator(block.terminator, fused, following)

    def gen_data(self, var: Obj) -> None:
        self.lines.append("")
        if var.init_data is None:
            self.emit(".bss")
        elif var.name.startswith(".L.."):  # string literals are read-only
            self.emit(".section .rodata")
        else:
            self.emit(".data")
        if not var.is_static:
            self.emit(f".globl {var.asm_name}")
        self.emit(f".align {max(var.ty.align, 1).bit_length() - 1}")
        self.label(var.asm_name)
        if var.init_data is None:
            self.emit(f".zero {max(var.ty.size, 1)}")
            return
        elem = var.ty
        while elem.kind == TypeKind.ARRAY:
            elem = elem.base
        # words for an array of ints, bytes for chars and for structs (whose members differ)
        size = elem.size if elem.size in DATA_DIRECTIVE and elem.kind not in (
            TypeKind.STRUCT, TypeKind.UNION) else 4 if elem.kind == TypeKind.DOUBLE else 1
        relocations = {offset: (label, addend) for offset, label, addend in var.relocations}
        data, pending, pos = var.init_data, [], 0
        while pos < len(data):
            if pos in relocations:  # an address: a word the linker fills in
                label, addend = relocations[pos]
                self.flush_data(pending, size)
                self.emit(f".word {label}{addend:+d}" if addend else f".word {label}")
                pos += 4
            else:
                pending.append(signed32(int.from_bytes(data[pos : pos + size], "little")))
                pos += size
        self.flush_data(pending, size)

    def flush_data(self, values: list[int], size: int) -> None:
        """Emit values of `size` bytes each, 12 to a line; empties `values`."""
        shown = [v & 0xFF for v in values] if size == 1 else values
        for i in range(0, len(shown), 12):
            self.emit(f"{DATA_DIRECTIVE[size]} " + ", ".join(str(v) for v in shown[i : i + 12]))
        values.clear()



# *** 3. the entry point ***


def codegen(program: list[Obj], functions: list[IRFunction], registers=None,
            far_branches: bool | None = None, fuse_branches: bool = False) -> str:
    """The assembly for a whole translation unit: the globals of `program`, then `functions`.

    registers: function name -> {temporary: register} from regalloc.py; None puts every
    temporary in the frame (-O0). far_branches: True or False for every function; None chooses
    for each function by its length, so that no branch is out of reach and short functions keep
    short branches.
    """
    gen = CodeGen(bool(far_branches), fuse_branches)
    objs = {o.asm_name: o for o in program if o.ty.kind == TypeKind.FUNC}
    for var in program:
        if var.ty.kind != TypeKind.FUNC and var.is_definition:
            gen.gen_data(var)
    for fn in functions:
        regs = (registers or {}).get(fn.name, {})
        start = len(gen.lines)
        gen.gen_function(fn, regs)
        instructions = sum(line[:1] == "\t" and line[:2] != "\t." for line in gen.lines[start:])
        if far_branches is None and 2 * instructions > NEAR_FUNCTION:
            del gen.lines[start:]  # again, with far branches
            gen.far_branches = True
            gen.gen_function(fn, regs)
            gen.far_branches = False
        if fn.name in objs:
            objs[fn.name].stack_size = gen.frame_size - 16  # below the 16 bytes of ra and s0
    return "\n".join(gen.lines).lstrip("\n") + "\n"
