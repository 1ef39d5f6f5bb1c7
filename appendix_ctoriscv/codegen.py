"""Code generation: the parsed program -> RV32I assembly text for GNU `as` (and for asm.py).

A stack machine, as in chibicc: every expression leaves its value in a0; a binary operator
evaluates its left operand, pushes it, evaluates the right one, pops the left into a0 again and
combines the two. `depth` counts the pushed words and is back to 0 after every statement.
Calls follow the ILP32 calling convention, so the output links with code from gcc; RV32I has no
multiply or divide, so `*`, `/` and `%` call the runtime's helpers with libgcc's names.
"""

from __future__ import annotations

from appendix_ctoriscv.defs import Node, NodeKind, Obj, Type, TypeKind

# *** 1. the ABI tables ***

# The registers this code generator uses, by their ILP32 ABI names:
#   a0-a7  arguments and return value (a0); a0 also holds the value of the current expression
#   t0, t1 scratch (caller-saved), for addresses and constants
#   s0     frame pointer (callee-saved): the stack pointer at entry
#   sp     stack pointer, 16-byte aligned at every call
#   ra     return address, saved in the frame because every function may call
# The other callee-saved registers s1-s11 are never touched, so there is nothing to save.
ARG_REGS = [f"a{i}" for i in range(8)]
STACK_ALIGN = 16

# The frame of a function, from the caller's stack pointer (s0) downward:
#   s0+4*k   stack arguments 9, 10, ... of this function (the caller pushed them)
#   s0-4     saved ra
#   s0-8     saved s0 of the caller
#   s0-8-... local variables and parameters, each at its `offset` from s0
#   sp       16-byte aligned; the stack machine pushes below it
SAVED_AREA = 8
PROBE_INTERVAL = 1 << 16  # less than emu.py's 1 MiB guard gap below the stack

# A conditional branch reaches +-4 KiB, 1024 words: a function longer than this many words
# (each pseudo-instruction counted as two) gets far branches, which jump over a `j` (+-1 MiB).
NEAR_FUNCTION = 1000

# libgcc's names for the arithmetic that RV32I lacks, (signed, unsigned)
RUNTIME_HELPERS = {
    NodeKind.MUL: ("__mulsi3", "__mulsi3"),
    NodeKind.DIV: ("__divsi3", "__udivsi3"),
    NodeKind.MOD: ("__modsi3", "__umodsi3"),
}

# Binary operators that are one instruction on a0 and a1.
SIMPLE_BINARY = {NodeKind.ADD: "add", NodeKind.SUB: "sub", NodeKind.BITAND: "and"}
SIMPLE_BINARY |= {NodeKind.BITOR: "or", NodeKind.BITXOR: "xor", NodeKind.SHL: "sll"}

# (size, is_unsigned) -> the load that extends a value to 32 bits the way its type does
LOAD = {
    (1, False): "lb", (1, True): "lbu",
    (2, False): "lh", (2, True): "lhu",
    (4, False): "lw", (4, True): "lw",
}  # fmt: skip
STORE = {1: "sb", 2: "sh", 4: "sw"}
DATA_DIRECTIVE = {1: ".byte", 2: ".half", 4: ".word"}
AGGREGATE = (TypeKind.ARRAY, TypeKind.FUNC)  # their value is their address

# --8<-- [start:cast_table]
# Integer conversions as a table, as chibicc's cast_table. A value in a register is always its
# type's value extended to 32 bits, so only a conversion to a narrower type, or to a narrow type
# of the other signedness, needs instructions.
I8 = ["slli a0, a0, 24", "srai a0, a0, 24"]
U8 = ["andi a0, a0, 255"]
I16 = ["slli a0, a0, 16", "srai a0, a0, 16"]
U16 = ["slli a0, a0, 16", "srli a0, a0, 16"]
CAST_TABLE = [
    # to: i8   u8    i16   u16   i32   u32
    [None, U8, None, U16, None, None],  # from i8
    [I8, None, None, None, None, None],  # from u8
    [I8, U8, None, U16, None, None],  # from i16
    [I8, U8, I16, None, None, None],  # from u16
    [I8, U8, I16, U16, None, None],  # from i32
    [I8, U8, I16, U16, None, None],  # from u32
]
# --8<-- [end:cast_table]


def type_id(ty: Type) -> int:
    """The row or column of `ty` in CAST_TABLE; pointers and arrays are u32."""
    if ty.kind in (TypeKind.PTR, TypeKind.ARRAY, TypeKind.FUNC):
        return 5
    base = {TypeKind.CHAR: 0, TypeKind.SHORT: 2, TypeKind.INT: 4, TypeKind.LONG: 4}[ty.kind]
    return base + int(ty.is_unsigned)


def signed32(value: int) -> int:
    """The 32-bit pattern of `value` as a signed number, for `li`."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def align_to(n: int, align: int) -> int:
    return (n + align - 1) // align * align


def is_power_of_two_num(node: Node) -> bool:
    return node.kind == NodeKind.NUM and node.val > 0 and node.val & (node.val - 1) == 0


# *** 2. the code generator ***


# A conditional branch reaches +-4 KiB; `far` code jumps over a `j` (+-1 MiB) instead.
INVERSE_BRANCH = {"beqz": "bnez", "bnez": "beqz", "beq": "bne"}


class CodeGen:
    def __init__(self, far_branches: bool = False):
        self.far_branches = far_branches
        self.lines: list[str] = []
        self.depth = 0  # words pushed by the stack machine
        self.count = 0
        self.fn: Obj | None = None

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

    # -- the stack machine --

    # --8<-- [start:push_pop]
    def push(self) -> None:
        self.emit("addi sp, sp, -4")
        self.emit("sw a0, 0(sp)")
        self.depth += 1

    def pop(self, reg: str) -> None:
        self.emit(f"lw {reg}, 0(sp)")
        self.emit("addi sp, sp, 4")
        self.depth -= 1
    # --8<-- [end:push_pop]

    def add_sp(self, nbytes: int) -> None:
        if nbytes:
            self.emit(f"addi sp, sp, {nbytes}")

    def call(self, name: str) -> None:
        """`call name` with sp aligned to 16 bytes, as the ABI requires at every call."""
        pad = (-self.depth) % (STACK_ALIGN // 4) * 4
        self.add_sp(-pad)
        self.emit(f"call {name}")
        self.add_sp(pad)

    # -- loads, stores and conversions --

    # --8<-- [start:load_store]
    def load(self, ty: Type) -> None:
        """Replace the address in a0 by the value it points to."""
        if ty.kind in (TypeKind.ARRAY, TypeKind.FUNC):
            return  # an array's value is its address: this is where arrays decay to pointers
        self.emit(f"{LOAD[(ty.size, ty.is_unsigned)]} a0, 0(a0)")

    def store(self, ty: Type) -> None:
        """Store a0 at the address on top of the stack."""
        self.pop("a1")
        self.emit(f"{STORE[ty.size]} a0, 0(a1)")

    def cast(self, frm: Type, to: Type) -> None:
        if to.kind == TypeKind.VOID or frm.kind == TypeKind.VOID:
            return
        for instruction in CAST_TABLE[type_id(frm)][type_id(to)] or []:
            self.emit(instruction)
    # --8<-- [end:load_store]

    def local_slot(self, offset: int) -> str:
        """The operand `offset(s0)` of a load or store, via t0 when the offset is too large."""
        if -2048 <= offset < 2048:
            return f"{offset}(s0)"
        self.local_address("t0", offset)
        return "0(t0)"

    def local_address(self, reg: str, offset: int) -> None:
        """reg = s0 + offset, for any offset (addi takes only 12 bits)."""
        if -2048 <= offset < 2048:
            self.emit(f"addi {reg}, s0, {offset}")
        else:
            self.emit(f"li {reg}, {offset}")
            self.emit(f"add {reg}, s0, {reg}")

    # -- expressions --

    # --8<-- [start:gen_addr]
    def gen_addr(self, node: Node) -> None:
        """a0 = the address of an lvalue."""
        if node.kind == NodeKind.VAR:
            if node.var.is_local:
                self.local_address("a0", node.var.offset)
            else:
                self.emit(f"lui a0, %hi({node.var.asm_name})")
                self.emit(f"addi a0, a0, %lo({node.var.asm_name})")
        elif node.kind == NodeKind.DEREF:
            self.gen_expr(node.lhs)
        elif node.kind == NodeKind.COMMA:
            self.gen_expr(node.lhs)
            self.gen_addr(node.rhs)
        else:
            raise AssertionError(f"not an lvalue: {node.kind}")  # add_type reported it
    # --8<-- [end:gen_addr]

    # --8<-- [start:gen_expr_values]
    def gen_expr(self, node: Node) -> None:
        """a0 = the value of the expression `node`."""
        k = node.kind
        if k == NodeKind.NUM:
            self.emit(f"li a0, {signed32(node.val)}")
        elif k == NodeKind.VAR and node.var.is_local and node.ty.kind not in AGGREGATE:
            load = LOAD[(node.ty.size, node.ty.is_unsigned)]
            self.emit(f"{load} a0, {self.local_slot(node.var.offset)}")  # one instruction
        elif k == NodeKind.VAR:
            self.gen_addr(node)
            self.load(node.ty)
        elif k == NodeKind.DEREF:
            self.gen_expr(node.lhs)
            self.load(node.ty)
        elif k == NodeKind.ADDR:
            self.gen_addr(node.lhs)
        elif k == NodeKind.ASSIGN and node.lhs.kind == NodeKind.VAR and node.lhs.var.is_local:
            self.gen_expr(node.rhs)  # a local's address is s0 + offset: no need to push it
            self.emit(f"{STORE[node.ty.size]} a0, {self.local_slot(node.lhs.var.offset)}")
        elif k == NodeKind.ASSIGN:
            self.gen_addr(node.lhs)
            self.push()
            self.gen_expr(node.rhs)
            self.store(node.ty)
        # --8<-- [end:gen_expr_values]
        # --8<-- [start:gen_expr_control]
        elif k == NodeKind.COMMA:
            self.gen_expr(node.lhs)
            self.gen_expr(node.rhs)
        elif k == NodeKind.CAST:
            self.gen_expr(node.lhs)
            self.cast(node.lhs.ty, node.ty)
        elif k == NodeKind.MEMZERO:
            self.gen_memzero(node.var)
        elif k == NodeKind.NEG:
            self.gen_expr(node.lhs)
            self.emit("neg a0, a0")
        elif k == NodeKind.NOT:
            self.gen_expr(node.lhs)
            self.emit("seqz a0, a0")
        elif k == NodeKind.BITNOT:
            self.gen_expr(node.lhs)
            self.emit("not a0, a0")
        elif k == NodeKind.COND:
            els, end = self.new_label("else"), self.new_label("end")
            self.gen_expr(node.cond)
            self.branch("beqz", "a0", els)
            self.gen_expr(node.then)
            self.emit(f"j {end}")
            self.label(els)
            self.gen_expr(node.els)
            self.label(end)
        elif k in (NodeKind.LOGAND, NodeKind.LOGOR):
            self.gen_logical(node)
        elif k == NodeKind.FUNCALL:
            self.gen_funcall(node)
        else:
            self.gen_binary(node)
    # --8<-- [end:gen_expr_control]

    def gen_logical(self, node: Node) -> None:
        """&& and || evaluate the right operand only when the left one does not decide."""
        is_and = node.kind == NodeKind.LOGAND
        done = self.new_label("and" if is_and else "or")
        self.gen_expr(node.lhs)
        self.emit("snez a0, a0")
        self.branch("beqz" if is_and else "bnez", "a0", done)
        self.gen_expr(node.rhs)
        self.emit("snez a0, a0")
        self.label(done)

    # --8<-- [start:gen_binary]
    def gen_binary(self, node: Node) -> None:
        """a0 = lhs op rhs, with the left operand evaluated first."""
        # EXERCISE A.5: generate a binary operator: lhs into a0 and rhs into a1, then combine
        k = node.kind
        if k == NodeKind.MUL and is_power_of_two_num(node.rhs):
            self.gen_expr(node.lhs)  # x * 2^n is a shift: array indexing is cheap
            self.emit(f"slli a0, a0, {node.rhs.val.bit_length() - 1}")
            return
        self.gen_expr(node.lhs)
        self.push()
        self.gen_expr(node.rhs)
        self.emit("mv a1, a0")
        self.pop("a0")
        # operands have one type after the conversions; pointers compare as unsigned
        unsigned = node.lhs.ty.is_unsigned or node.lhs.ty.kind == TypeKind.ARRAY
        if k in SIMPLE_BINARY:
            self.emit(f"{SIMPLE_BINARY[k]} a0, a0, a1")
        elif k in RUNTIME_HELPERS:
            self.call(RUNTIME_HELPERS[k][unsigned])
        elif k == NodeKind.SHR:
            self.emit(f"{'srl' if unsigned else 'sra'} a0, a0, a1")
        elif k == NodeKind.EQ:
            self.emit("xor a0, a0, a1")
            self.emit("seqz a0, a0")
        elif k == NodeKind.NE:
            self.emit("xor a0, a0, a1")
            self.emit("snez a0, a0")
        elif k == NodeKind.LT:
            self.emit(f"{'sltu' if unsigned else 'slt'} a0, a0, a1")
        elif k == NodeKind.LE:  # a <= b is !(b < a)
            self.emit(f"{'sltu' if unsigned else 'slt'} a0, a1, a0")
            self.emit("xori a0, a0, 1")
        else:
            raise AssertionError(f"invalid expression {k}")
        # END EXERCISE
    # --8<-- [end:gen_binary]

    # --8<-- [start:gen_funcall]
    def gen_funcall(self, node: Node) -> None:
        """Arguments 1-8 go in a0-a7, the rest on the stack at 0(sp), 4(sp), ... at the call."""
        nargs = len(node.args)
        on_stack = max(0, nargs - len(ARG_REGS))
        pad = (-(self.depth + on_stack)) % (STACK_ALIGN // 4)
        self.add_sp(-4 * pad)
        self.depth += pad
        for arg in reversed(node.args):  # pushed last to first, so the first is on top
            self.gen_expr(arg)
            self.push()
        for i in range(nargs - on_stack):
            self.pop(ARG_REGS[i])
        self.emit(f"call {node.func_name}")
        self.add_sp(4 * (on_stack + pad))
        self.depth -= on_stack + pad
    # --8<-- [end:gen_funcall]

    def gen_memzero(self, var: Obj) -> None:
        size = align_to(var.ty.size, 4)
        if size <= 64:
            for i in range(0, size, 4):
                self.emit(f"sw zero, {self.local_slot(var.offset + i)}")
            return
        loop = self.new_label("memzero")
        self.local_address("t0", var.offset)
        self.emit(f"li t1, {size // 4}")
        self.label(loop)
        self.emit("sw zero, 0(t0)")
        self.emit("addi t0, t0, 4")
        self.emit("addi t1, t1, -1")
        self.emit(f"bnez t1, {loop}")

    # -- statements --

    def gen_stmt(self, node: Node) -> None:
        k = node.kind
        if k == NodeKind.IF:
            els, end = self.new_label("else"), self.new_label("end")
            self.gen_expr(node.cond)
            self.branch("beqz", "a0", els)
            self.gen_stmt(node.then)
            self.emit(f"j {end}")
            self.label(els)
            if node.els is not None:
                self.gen_stmt(node.els)
            self.label(end)
        elif k == NodeKind.FOR:
            begin = self.new_label("begin")
            if node.init is not None:
                self.gen_stmt(node.init)
            self.label(begin)
            if node.cond is not None:
                self.gen_expr(node.cond)
                self.branch("beqz", "a0", node.brk_label)
            self.gen_stmt(node.then)
            self.label(node.cont_label)
            if node.inc is not None:
                self.gen_expr(node.inc)
            self.emit(f"j {begin}")
            self.label(node.brk_label)
        elif k == NodeKind.DO:
            begin = self.new_label("begin")
            self.label(begin)
            self.gen_stmt(node.then)
            self.label(node.cont_label)
            self.gen_expr(node.cond)
            self.branch("bnez", "a0", begin)
            self.label(node.brk_label)
        elif k == NodeKind.SWITCH:
            self.gen_expr(node.cond)
            for case in node.cases:
                self.emit(f"li t0, {signed32(case.val)}")
                self.branch("beq", "a0, t0", case.unique_label)
            default = node.default_case.unique_label if node.default_case else node.brk_label
            self.emit(f"j {default}")
            self.gen_stmt(node.then)
            self.label(node.brk_label)
        elif k == NodeKind.CASE:
            self.label(node.unique_label)
            self.gen_stmt(node.lhs)
        elif k == NodeKind.BLOCK:
            for stmt in node.body:
                self.gen_stmt(stmt)
        elif k == NodeKind.GOTO:
            self.emit(f"j {node.unique_label}")
        elif k == NodeKind.LABEL:
            self.label(node.unique_label)
            self.gen_stmt(node.lhs)
        elif k == NodeKind.RETURN:
            if node.lhs is not None:
                self.gen_expr(node.lhs)
            self.emit(f"j .L.return.{self.fn.asm_name}")
        elif k == NodeKind.EXPR_STMT:
            self.gen_expr(node.lhs)
        elif k != NodeKind.NULL_STMT:
            raise AssertionError(f"invalid statement {k}")
        assert self.depth == 0, f"stack machine depth {self.depth} after {k}"

    # -- functions and data --

    def assign_lvar_offsets(self, fn: Obj) -> None:
        """Give each local a slot below the saved registers; stack parameters stay where the
        caller put them."""
        offset = SAVED_AREA
        stack_params = fn.params[len(ARG_REGS) :]
        for i, param in enumerate(stack_params):
            param.offset = 4 * i
        for var in fn.locals:
            if var in stack_params:
                continue
            offset = align_to(offset + align_to(var.ty.size, 4), var.ty.align)
            var.offset = -offset
        fn.stack_size = align_to(offset - SAVED_AREA, STACK_ALIGN)

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
    def gen_function(self, fn: Obj) -> None:
        self.fn = fn
        self.assign_lvar_offsets(fn)
        self.lines.append("")
        self.emit(".text")
        if not fn.is_static:
            self.emit(f".globl {fn.asm_name}")
        self.emit(".align 2")
        self.label(fn.asm_name)
        # EXERCISE A.6: the prologue: save ra and s0, point s0 at the frame, make room for locals
        self.emit("addi sp, sp, -16")
        self.emit("sw ra, 12(sp)")
        self.emit("sw s0, 8(sp)")
        self.emit("addi s0, sp, 16")
        if fn.stack_size:
            if fn.stack_size < 2048:
                self.emit(f"addi sp, sp, -{fn.stack_size}")
            else:
                self.grow_stack(fn.stack_size)
        # END EXERCISE
        for reg, param in zip(ARG_REGS, fn.params):
            self.emit(f"{STORE[param.ty.size]} {reg}, {self.local_slot(param.offset)}")
        self.gen_stmt(fn.body)
        if fn.asm_name == "main":
            self.emit("li a0, 0")  # C99: reaching the end of main returns 0
        self.label(f".L.return.{fn.asm_name}")
        self.emit("addi sp, s0, -16")
        self.emit("lw ra, 12(sp)")
        self.emit("lw s0, 8(sp)")
        self.emit("addi sp, sp, 16")
        self.emit("ret")
    # --8<-- [end:gen_function]

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
        size = elem.size if elem.size in DATA_DIRECTIVE else 1
        relocations = {offset: (label, addend) for offset, label, addend in var.relocations}
        data, pending = var.init_data, []
        for pos in range(0, len(data), size):
            if pos in relocations:
                label, addend = relocations[pos]
                self.flush_data(pending, size)
                self.emit(f".word {label}{addend:+d}" if addend else f".word {label}")
            else:
                pending.append(signed32(int.from_bytes(data[pos : pos + size], "little")))
        self.flush_data(pending, size)

    def flush_data(self, values: list[int], size: int) -> None:
        """Emit values of `size` bytes each, 12 to a line."""
        if size == 1:
            values = [v & 0xFF for v in values]
        for i in range(0, len(values), 12):
            self.emit(f"{DATA_DIRECTIVE[size]} " + ", ".join(str(v) for v in values[i : i + 12]))
        values.clear()


# *** 3. the entry point ***


def codegen(program: list[Obj], far_branches: bool | None = None) -> str:
    """The assembly for a whole translation unit: data first, then the functions.

    far_branches: True or False for every function; None chooses for each function by its
    length, so that no branch is out of reach and short functions keep short branches.
    """
    gen = CodeGen(bool(far_branches))
    for var in program:
        if var.ty.kind != TypeKind.FUNC and var.is_definition:
            gen.gen_data(var)
    for fn in program:
        if fn.ty.kind == TypeKind.FUNC and fn.is_definition:
            start = len(gen.lines)
            gen.gen_function(fn)
            instructions = sum(line[:1] == "\t" and line[:2] != "\t." for line in gen.lines[start:])
            if far_branches is None and 2 * instructions > NEAR_FUNCTION:
                del gen.lines[start:]  # again, with far branches
                gen.far_branches = True
                gen.gen_function(fn)
                gen.far_branches = False
    return "\n".join(gen.lines).lstrip("\n") + "\n"
