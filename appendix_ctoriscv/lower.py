"""Lowering: the typed AST of each function -> an IRFunction (three-address code in basic blocks).

This is the compiler's only walk from the tree to code. Every local variable gets a frame slot
and is read and written by `load` and `store`, as clang writes LLVM IR before its mem2reg pass:
the temporaries are each defined once, the variables are memory. ssa.py later turns the scalar
variables into temporaries. Widths and signedness are decided here, once: `load.u8`,
`conv.i16`, `divu`, `shr` or `shru`, so no later stage looks at C types again.
"""

from __future__ import annotations

from appendix_ctoriscv.defs import Node, NodeKind, Obj, Type, TypeKind
from appendix_ctoriscv.ir import Block, Instr, IRFunction, signed32
from appendix_ctoriscv.lower_float import FloatLowering, is_float
from appendix_ctoriscv.type import DOUBLE, INT

# *** 1. operators and conversions as tables ***

BINARY_OPS = {
    NodeKind.ADD: "add", NodeKind.SUB: "sub", NodeKind.MUL: "mul", NodeKind.BITAND: "and",
    NodeKind.BITOR: "or", NodeKind.BITXOR: "xor", NodeKind.SHL: "shl", NodeKind.EQ: "eq",
    NodeKind.NE: "ne",
}  # fmt: skip
# these depend on the signedness of the operands: (signed, unsigned)
SIGNED_OPS = {
    NodeKind.DIV: ("div", "divu"), NodeKind.MOD: ("rem", "remu"), NodeKind.SHR: ("shr", "shru"),
    NodeKind.LT: ("lt", "ltu"), NodeKind.LE: ("le", "leu"),
}  # fmt: skip
SWITCH_CHAIN = 4  # a switch with more cases than this finds its case by binary search
UNARY_OPS = {NodeKind.NEG: "neg", NodeKind.NOT: "not", NodeKind.BITNOT: "bitnot"}

# --8<-- [start:cast_table]
# Integer conversions as a table, as chibicc's cast_table. A value in a temporary is always its
# type's value extended to 32 bits, so only a conversion to a narrower type, or to a narrow type
# of the other signedness, needs an instruction.
I8, U8, I16, U16 = "conv.i8", "conv.u8", "conv.i16", "conv.u16"
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


def width(ty: Type) -> str:
    """The suffix of a load or a store: i8, u8, i16, u16 or i32."""
    if ty.kind in (TypeKind.CHAR, TypeKind.SHORT):
        return f"{'u' if ty.is_unsigned else 'i'}{8 * ty.size}"
    return "i32"


# their value is their address: arrays and functions decay to it, and a struct is copied
# from it as a whole by `memcpy`
AGGREGATE = (TypeKind.ARRAY, TypeKind.FUNC, TypeKind.STRUCT, TypeKind.UNION, TypeKind.DOUBLE)
RETURN_SLOT = "$.result"  # the hidden parameter: where to write a struct result over 8 bytes
VARARGS = "$.varargs"  # a variadic function's unnamed arguments (codegen places it)
IN_REGISTERS = 8  # the ILP32 ABI passes and returns a struct of up to 8 bytes in registers
ARGUMENT_REGISTERS = 8  # a0-a7; the words after them go on the stack


def in_memory(ty: Type) -> bool:
    """A struct, a union or a double: its value is the address of its bytes."""
    return ty.kind in (TypeKind.STRUCT, TypeKind.UNION, TypeKind.DOUBLE)


def words(ty: Type) -> int:
    """How many 4-byte registers a struct of at most 8 bytes takes."""
    return (ty.size + 3) // 4


def skips_a_word(ty: Type, position: int, unnamed: bool) -> bool:
    """Whether an 8-aligned argument of two words (a double, a struct holding one) leaves the
    word at `position` empty: the psABI starts it at an even register when it is a variadic
    argument, and at an 8-aligned stack word when it lies wholly on the stack."""
    aligned_pair = ty.align == 8 and ty.size <= IN_REGISTERS
    return aligned_pair and position % 2 == 1 and (unnamed or position >= ARGUMENT_REGISTERS)

# *** 2. the lowering ***


class Lowering(FloatLowering):
    """Appends instructions to the current block; a label or a jump starts a new one."""

    double_ty, int_ty = DOUBLE, INT

    def __init__(self, fn: Obj):
        self.ir = IRFunction(fn.asm_name, [], [], {}, is_static=fn.is_static)
        self.current = self.new_block("entry")
        self.labels = 0
        # each local gets a unique slot name: `$x`, then `$x.1` for a second `x` in an inner block
        self.slot_of: dict[Obj, str] = {}  # the inverse of ir.frame_objects
        # a struct parameter over 8 bytes arrives as a pointer to the caller's copy
        self.by_reference = {p for p in fn.params if in_memory(p.ty) and p.ty.size > IN_REGISTERS}
        self.return_ty = fn.ty.return_ty
        for var in fn.locals:
            name = self.new_slot(var.name or "tmp", max(var.ty.size, 1), var.ty.align)
            if var in self.by_reference:
                self.ir.slots[name] = (4, 4)
            self.slot_of[var] = name
            self.ir.frame_objects[name] = var
        if fn.ty.is_variadic:  # the unnamed arguments, in memory: see codegen.py
            self.ir.slots[VARARGS] = (32, 4)

    def new_slot(self, name: str, size: int, align: int) -> str:
        """A frame slot `$name` (`$name.1` if taken: a second `x` in an inner block)."""
        slot, n = f"${name}", 0
        while slot in self.ir.slots:
            n += 1
            slot = f"${name}.{n}"
        self.ir.slots[slot] = (size, align)
        return slot

    def temp_slot(self, ty: Type) -> str:
        """A frame slot for a struct value in transit (an argument, a result), 4-aligned so that
        its words can be loaded and stored as words."""
        return self.new_slot(".struct", (ty.size + 3) // 4 * 4, max(ty.align, 4))

    # -- blocks and instructions --

    def new_block(self, name: str) -> Block:
        block = Block(name)
        self.ir.blocks.append(block)
        return block

    def new_label(self, what: str) -> str:
        self.labels += 1
        return f"{what}.{self.labels}"

    def emit(self, op: str, *args, dst: bool = True) -> str | None:
        name = self.ir.new_temp() if dst else None
        self.current.instrs.append(Instr(op, name, list(args)))
        if op in ("br", "jmp", "ret"):  # what follows is unreachable until the next label
            self.current = self.new_block(self.new_label("dead"))
        return name

    def label(self, name: str) -> None:
        """Start block `name`; the block before falls through into it."""
        self.emit("jmp", name, dst=False)
        self.current.name = name  # the fresh block after the jump becomes `name`

    def slot(self, var: Obj) -> str:
        return self.slot_of[var] if var.is_local else f"@{var.asm_name}"

    # -- expressions --

    # --8<-- [start:lower_addr]
    def addr(self, node: Node) -> str:
        """The temporary that holds the address of an lvalue (or of a struct value)."""
        if node.kind == NodeKind.VAR:
            address = self.emit("addr", self.slot(node.var))
            if node.var in self.by_reference:  # the slot holds the address of the struct
                return self.emit("load.i32", address)
            return address
        if node.kind == NodeKind.DEREF:
            return self.expr(node.lhs)
        if node.kind == NodeKind.MEMBER:
            base = self.addr(node.lhs)
            offset = node.member.offset
            return self.emit("add", base, offset) if offset else base
        if node.kind == NodeKind.COMMA:
            self.expr(node.lhs)
            return self.addr(node.rhs)
        if in_memory(node.ty):  # f().x, (c ? a : b).x: a struct value is its address
            return self.expr(node)
        raise AssertionError(f"not an lvalue: {node.kind}")  # add_type reported it
    # --8<-- [end:lower_addr]

    # --8<-- [start:lower_expr]
    def expr(self, node: Node):
        """Lower an expression; the operand (a temporary or a constant) that holds its value."""
        k = node.kind
        if k == NodeKind.NUM:
            return self.float_constant(node) if is_float(node.ty) else signed32(node.val)
        if k in (NodeKind.VAR, NodeKind.DEREF, NodeKind.MEMBER):
            address = self.addr(node)
            if node.ty.kind in AGGREGATE:
                return address  # an array's value is its address: arrays decay to pointers here
            return self.emit(f"load.{width(node.ty)}", address)
        if k == NodeKind.ADDR:
            return self.addr(node.lhs)
        if k == NodeKind.ASSIGN:
            address = self.addr(node.lhs)
            value = self.expr(node.rhs)  # add_type made it the left side's type
            if in_memory(node.ty):  # a struct is copied, and its value is its address
                self.emit("memcpy", address, value, node.ty.size, node.ty.align, dst=False)
                return address
            self.emit(f"store.{width(node.ty)}", address, value, dst=False)
            return value
        if k == NodeKind.COMMA:
            self.expr(node.lhs)
            return self.expr(node.rhs)
        if k == NodeKind.CAST and (is_float(node.ty) or is_float(node.lhs.ty)):
            return self.float_cast(node) if node.ty.kind != TypeKind.VOID else self.expr(node.lhs)
        if k == NodeKind.CAST:
            value = self.expr(node.lhs)
            if TypeKind.VOID in (node.ty.kind, node.lhs.ty.kind):
                return value
            conversion = CAST_TABLE[type_id(node.lhs.ty)][type_id(node.ty)]
            return self.emit(conversion, value) if conversion else value
        if k == NodeKind.MEMZERO:
            self.emit("memzero", self.slot(node.var), node.var.ty.size, dst=False)
            return 0
        if k in UNARY_OPS and is_float(node.lhs.ty):
            return self.float_expr(node)
        if k in UNARY_OPS:
            return self.emit(UNARY_OPS[k], self.expr(node.lhs))
        if k == NodeKind.FUNCALL:
            return self.call(node)
        if k == NodeKind.VA_START:
            return self.emit("addr", VARARGS)
        if k in (NodeKind.COND, NodeKind.LOGAND, NodeKind.LOGOR):
            return self.control_expr(node)
        if is_float(node.lhs.ty):  # arithmetic and comparisons: calls to the runtime
            return self.float_expr(node)
        lhs, rhs = self.expr(node.lhs), self.expr(node.rhs)
        if k in BINARY_OPS:
            return self.emit(BINARY_OPS[k], lhs, rhs)
        # operands have one type after the conversions; pointers compare as unsigned
        unsigned = node.lhs.ty.is_unsigned or node.lhs.ty.kind == TypeKind.ARRAY
        return self.emit(SIGNED_OPS[k][unsigned], lhs, rhs)
    # --8<-- [end:lower_expr]

    # --8<-- [start:lower_call]
    def call(self, node: Node):
        """A call, in the ILP32 ABI's terms: each argument in one register (a0-a7, then the
        stack), a struct of up to 8 bytes in one or two, a larger one as the address of a copy;
        a struct result of up to 8 bytes comes back in a0 and a1, a larger one is written
        where a hidden first argument points."""
        callee = node.func_name or self.expr(node.lhs)  # a name, or a function pointer
        args, result, ret = [], None, node.ty
        if in_memory(ret):
            result = self.temp_slot(ret)
            if ret.size > IN_REGISTERS:
                args.append(self.emit("addr", result))
        for i, arg in enumerate(node.args):
            value = self.expr(arg)
            if not in_memory(arg.ty):
                args.append(value)
                continue
            unnamed = node.func_ty.is_variadic and i >= len(node.func_ty.params)
            if skips_a_word(arg.ty, len(args), unnamed):  # va_arg, or the callee, finds it
                args.append(0)  # at an 8-byte boundary
            if arg.ty.kind == TypeKind.DOUBLE:  # two words
                args += self.double_words(value)
                continue
            copy = self.temp_slot(arg.ty)  # a copy: the callee may change its parameter
            address = self.emit("addr", copy)
            self.emit("memcpy", address, value, arg.ty.size, arg.ty.align, dst=False)
            if arg.ty.size > IN_REGISTERS:
                args.append(address)
            else:
                args += [self.load_word(address, 4 * i) for i in range(words(arg.ty))]
        low = self.emit("call", callee, *args)
        if result is None:
            return low
        # a1 must be read at once, before any other instruction may use it
        high = self.emit("callhi", low) if ret.size <= IN_REGISTERS and words(ret) == 2 else None
        address = self.emit("addr", result)
        if ret.size <= IN_REGISTERS:  # a0, and a1 if it takes two words
            self.emit("store.i32", address, low, dst=False)
            if high is not None:
                self.emit("store.i32", self.emit("add", address, 4), high, dst=False)
        return address
    # --8<-- [end:lower_call]

    def narrow(self, value, to: Type):
        """An int's value converted to the integer type `to` (a no-op unless `to` is narrower)."""
        conversion = CAST_TABLE[type_id(INT)][type_id(to)]
        return self.emit(conversion, value) if conversion else value

    def load_word(self, address: str, offset: int) -> str:
        return self.emit("load.i32", self.emit("add", address, offset) if offset else address)

    def return_value(self, node: Node) -> list:
        """The operands of `ret`: a scalar, or a struct in registers or through the hidden
        pointer (which is returned too, as gcc does)."""
        value = self.expr(node)
        if not in_memory(self.return_ty):
            return [value]
        ty = self.return_ty
        if ty.size > IN_REGISTERS:
            target = self.emit("load.i32", self.emit("addr", RETURN_SLOT))
            self.emit("memcpy", target, value, ty.size, ty.align, dst=False)
            return [target]
        copy = self.emit("addr", self.temp_slot(ty))  # word-aligned, for the word loads
        self.emit("memcpy", copy, value, ty.size, ty.align, dst=False)
        return [self.load_word(copy, 4 * i) for i in range(words(ty))]

    def control_expr(self, node: Node):
        """?:, && and ||: two paths that join in one value, passed through a frame slot of its
        own (ssa.py turns it into a phi)."""
        result = f"$.cond.{self.labels}"
        self.ir.slots[result] = (4, 4)
        then, els, end = self.new_label("then"), self.new_label("else"), self.new_label("end")
        cond = self.truth(node.cond if node.kind == NodeKind.COND else node.lhs)
        self.emit("br", cond, then, els, dst=False)
        for branch in (then, els):
            self.label(branch)
            if node.kind == NodeKind.COND:
                value = self.expr(node.then if branch == then else node.els)
            elif (node.kind == NodeKind.LOGAND) == (branch == then):
                value = self.emit("ne", self.truth(node.rhs), 0)
            else:
                value = int(node.kind == NodeKind.LOGOR)  # decided by the left side
            if node.ty.kind != TypeKind.VOID:
                self.emit("store.i32", self.emit("addr", result), value, dst=False)
            self.emit("jmp", end, dst=False)
        self.label(end)
        if node.ty.kind == TypeKind.VOID:
            return 0
        return self.emit("load.i32", self.emit("addr", result))

    # -- statements --

    # --8<-- [start:lower_stmt]
    def stmt(self, node: Node) -> None:
        k = node.kind
        if k == NodeKind.IF:
            then, els, end = self.new_label("then"), self.new_label("else"), self.new_label("end")
            self.emit("br", self.truth(node.cond), then, els, dst=False)
            self.label(then)
            self.stmt(node.then)
            self.emit("jmp", end, dst=False)
            self.label(els)
            if node.els is not None:
                self.stmt(node.els)
            self.label(end)
        elif k in (NodeKind.FOR, NodeKind.DO):
            self.loop(node)
        elif k == NodeKind.SWITCH:
            value = self.expr(node.cond)  # an integer: parse_stmt.py checked
            default = node.default_case.unique_label if node.default_case else node.brk_label
            cases = sorted(node.cases, key=lambda case: case.val)  # wrapped to the value's type
            self.dispatch(value, cases, default, node.cond.ty.is_unsigned)
            self.stmt(node.then)
            self.label(node.brk_label)
        elif k in (NodeKind.CASE, NodeKind.LABEL):
            self.label(node.unique_label)
            self.stmt(node.lhs)
        elif k == NodeKind.BLOCK:
            for s in node.body:
                self.stmt(s)
        elif k == NodeKind.GOTO:
            self.emit("jmp", node.unique_label, dst=False)
        elif k == NodeKind.RETURN:
            args = self.return_value(node.lhs) if node.lhs is not None else []
            self.emit("ret", *args, dst=False)
        elif k == NodeKind.EXPR_STMT:
            self.expr(node.lhs)
        elif k != NodeKind.NULL_STMT:
            raise AssertionError(f"invalid statement {k}")
    # --8<-- [end:lower_stmt]

    # --8<-- [start:switch_dispatch]
    def dispatch(self, value: str, cases: list[Node], default: str, unsigned: bool) -> None:
        """Jump to the case label whose value `value` equals, else to `default`. A few cases
        are a chain of compares; more are a binary search over the sorted values, as gcc does
        for a sparse switch: a 3000-case switch tests about 12 times, not up to 3000, and
        leaves no chain 3000 blocks deep for the dominator analysis to walk."""
        if len(cases) <= SWITCH_CHAIN:
            for case in cases:
                nxt = self.new_label("case")
                self.emit("br", self.emit("eq", value, signed32(case.val)), case.unique_label,
                          nxt, dst=False)
                self.label(nxt)
            self.emit("jmp", default, dst=False)
            return
        mid = len(cases) // 2
        low, high = self.new_label("low"), self.new_label("high")
        below = self.emit("ltu" if unsigned else "lt", value, signed32(cases[mid].val))
        self.emit("br", below, low, high, dst=False)
        self.label(low)
        self.dispatch(value, cases[:mid], default, unsigned)
        self.label(high)
        self.dispatch(value, cases[mid:], default, unsigned)
    # --8<-- [end:switch_dispatch]

    def loop(self, node: Node) -> None:
        """for (init; cond; inc) then, and do then while (cond). The test is at the bottom of
        both, so that a trip round the loop costs one branch; a `for` jumps to it first, as gcc
        does."""
        body, test = self.new_label("body"), self.new_label("test")
        if node.init is not None:
            self.stmt(node.init)
        if node.kind == NodeKind.FOR:
            self.emit("jmp", test, dst=False)
        self.label(body)
        self.stmt(node.then)
        self.label(node.cont_label)
        if node.inc is not None:
            self.expr(node.inc)
        self.label(test)
        cond = self.truth(node.cond) if node.cond is not None else 1
        self.emit("br", cond, body, node.brk_label, dst=False)
        self.label(node.brk_label)


    def parameters(self, fn: Obj) -> list[str]:
        """The slots the arguments arrive in, one per register: the hidden result pointer,
        then each parameter, a struct of up to 8 bytes as one or two words that the entry
        copies into the struct's own slot."""
        params = []
        if in_memory(self.return_ty) and self.return_ty.size > IN_REGISTERS:
            self.ir.slots[RETURN_SLOT] = (4, 4)
            params.append(RETURN_SLOT)
        for p in fn.params:
            slot = self.slot(p)
            if not in_memory(p.ty) or p in self.by_reference:
                params.append(slot)
                continue
            if skips_a_word(p.ty, len(params), unnamed=False):  # an empty stack word
                params.append(self.new_slot(f"{slot[1:]}.skip", 4, 4))
            parts = [self.new_slot(f"{slot[1:]}.word", 4, 4) for _ in range(words(p.ty))]
            target = self.emit("addr", slot)
            for i, part in enumerate(parts):
                address = self.emit("add", target, 4 * i) if i else target
                self.emit("store.i32", address, self.load_word(self.emit("addr", part), 0),
                          dst=False)
            params += parts
        if fn.ty.is_variadic:
            self.ir.varargs_at = 4 * len(params)  # where the first unnamed argument lies
        return params


# *** 3. entry points ***


def remove_unreachable(fn: IRFunction) -> None:
    """Drop the blocks no path from the entry reaches (the code after a return, say)."""
    by_name = {b.name: b for b in fn.blocks}
    seen, todo = {fn.blocks[0].name}, [fn.blocks[0].name]
    while todo:
        for succ in by_name[todo.pop()].successors():
            if succ not in seen:
                seen.add(succ)
                todo.append(succ)
    fn.blocks = [b for b in fn.blocks if b.name in seen]


# --8<-- [start:lower_function]
def lower_function(fn: Obj) -> IRFunction:
    lowering = Lowering(fn)
    lowering.ir.params = lowering.parameters(fn)  # the arguments arrive in slots
    lowering.stmt(fn.body)
    # falling off the end: C99 makes main return 0; another function returns garbage
    lowering.emit("ret", *([0] if fn.name == "main" else []), dst=False)
    remove_unreachable(lowering.ir)
    return lowering.ir
# --8<-- [end:lower_function]


def lower_program(program: list[Obj]) -> list[IRFunction]:
    return [lower_function(o) for o in program if o.ty.kind == TypeKind.FUNC and o.is_definition]
