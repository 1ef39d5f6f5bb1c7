"""Three-address code: the parsed program as a list of simple instructions per function.

Each instruction does one thing to at most two operands and names its result with a fresh
temporary (`%3 = add %1, %2`); control flow is labels and jumps. This is what `--dump-ir` prints,
a step between the AST and the assembly: the same lowering codegen.py does, with the stack
machine's pushes and pops taken out. Optimisation and register allocation over this IR, in a
control-flow graph, are for later: codegen.py does not read it yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appendix_ctoriscv.defs import Node, NodeKind, Obj, Type, TypeKind

# *** 1. the instructions ***


@dataclass
class Instr:
    op: str  # add, load, store, call, br, jmp, ret, label, ...
    dst: str | None = None  # the temporary it defines, e.g. "%4"
    args: list[str] = field(default_factory=list)  # temporaries, constants, names or labels

    def __str__(self) -> str:
        if self.op == "label":
            return f"{self.args[0]}:"
        rhs = f"{self.op} {', '.join(self.args)}".rstrip()
        return f"  {self.dst} = {rhs}" if self.dst else f"  {rhs}"


@dataclass
class IRFunction:
    name: str
    params: list[str]
    body: list[Instr]


BINARY_OPS = {
    NodeKind.ADD: "add", NodeKind.SUB: "sub", NodeKind.MUL: "mul", NodeKind.BITAND: "and",
    NodeKind.BITOR: "or", NodeKind.BITXOR: "xor", NodeKind.SHL: "shl", NodeKind.EQ: "eq",
    NodeKind.NE: "ne",
}  # fmt: skip
# these depend on the signedness of the operands: (signed, unsigned)
SIGNED_OPS = {
    NodeKind.DIV: ("div", "divu"), NodeKind.MOD: ("rem", "remu"), NodeKind.SHR: ("sra", "srl"),
    NodeKind.LT: ("lt", "ltu"), NodeKind.LE: ("le", "leu"),
}  # fmt: skip
UNARY_OPS = {NodeKind.NEG: "neg", NodeKind.NOT: "not", NodeKind.BITNOT: "bitnot"}


def width(ty: Type) -> str:
    """The suffix of a load, store or conversion: i8, u8, i16, u16 or i32."""
    if ty.kind in (TypeKind.CHAR, TypeKind.SHORT):
        return f"{'u' if ty.is_unsigned else 'i'}{8 * ty.size}"
    return "i32"


# *** 2. lowering the AST ***


class Lowering:
    def __init__(self, fn: Obj):
        self.body: list[Instr] = []
        self.temps = 0
        self.labels = 0
        # each local gets a unique name: `$x`, then `$x.1` for a second `x` in an inner block
        self.local_names: dict[Obj, str] = {}
        taken: set[str] = set()
        for var in fn.locals:
            base = var.name or "tmp"
            name, n = f"${base}", 0
            while name in taken:
                n += 1
                name = f"${base}.{n}"
            taken.add(name)
            self.local_names[var] = name

    def emit(self, op: str, *args: str, dst: bool = True) -> str | None:
        name = None
        if dst:
            self.temps += 1
            name = f"%{self.temps}"
        self.body.append(Instr(op, name, list(args)))
        return name

    def label(self, name: str) -> None:
        self.body.append(Instr("label", None, [name]))

    def new_label(self, what: str) -> str:
        self.labels += 1
        return f"{what}{self.labels}"

    def var_name(self, var: Obj) -> str:
        return self.local_names[var] if var.is_local else f"@{var.asm_name}"

    def addr(self, node: Node) -> str:
        if node.kind == NodeKind.VAR:
            return self.emit("addr", self.var_name(node.var))
        if node.kind == NodeKind.DEREF:
            return self.expr(node.lhs)
        if node.kind == NodeKind.COMMA:
            self.expr(node.lhs)
            return self.addr(node.rhs)
        raise AssertionError(f"not an lvalue: {node.kind}")

    def expr(self, node: Node) -> str:
        """Lower an expression; the operand that holds its value."""
        k = node.kind
        if k == NodeKind.NUM:
            return str(node.val)
        if k in (NodeKind.VAR, NodeKind.DEREF):
            address = self.addr(node)
            if node.ty.kind in (TypeKind.ARRAY, TypeKind.FUNC):
                return address
            return self.emit(f"load.{width(node.ty)}", address)
        if k == NodeKind.ADDR:
            return self.addr(node.lhs)
        if k == NodeKind.ASSIGN:
            address = self.addr(node.lhs)
            value = self.expr(node.rhs)
            self.emit(f"store.{width(node.ty)}", address, value, dst=False)
            return value
        if k == NodeKind.COMMA:
            self.expr(node.lhs)
            return self.expr(node.rhs)
        if k == NodeKind.CAST:
            value = self.expr(node.lhs)
            if node.ty.kind in (TypeKind.CHAR, TypeKind.SHORT):
                return self.emit(f"conv.{width(node.ty)}", value)
            return value
        if k == NodeKind.MEMZERO:
            self.emit("memzero", self.var_name(node.var), str(node.var.ty.size), dst=False)
            return "0"
        if k in UNARY_OPS:
            return self.emit(UNARY_OPS[k], self.expr(node.lhs))
        if k == NodeKind.FUNCALL:
            args = [self.expr(arg) for arg in node.args]
            return self.emit("call", node.func_name, *args)
        if k in (NodeKind.COND, NodeKind.LOGAND, NodeKind.LOGOR):
            return self.control_expr(node)
        lhs, rhs = self.expr(node.lhs), self.expr(node.rhs)
        if k in BINARY_OPS:
            return self.emit(BINARY_OPS[k], lhs, rhs)
        unsigned = node.lhs.ty.is_unsigned or node.lhs.ty.kind == TypeKind.ARRAY
        return self.emit(SIGNED_OPS[k][unsigned], lhs, rhs)

    def control_expr(self, node: Node) -> str:
        """?:, && and ||: branches that join in one result, written through a temporary."""
        result = self.emit("local")
        then, els, end = self.new_label("then"), self.new_label("else"), self.new_label("end")
        cond = self.expr(node.cond if node.kind == NodeKind.COND else node.lhs)
        self.emit("br", cond, then, els, dst=False)
        self.label(then)
        if node.kind == NodeKind.LOGAND:
            value = self.emit("ne", self.expr(node.rhs), "0")
        elif node.kind == NodeKind.LOGOR:
            value = "1"
        else:
            value = self.expr(node.then)
        self.emit("set", result, value, dst=False)
        self.emit("jmp", end, dst=False)
        self.label(els)
        if node.kind == NodeKind.LOGAND:
            value = "0"
        elif node.kind == NodeKind.LOGOR:
            value = self.emit("ne", self.expr(node.rhs), "0")
        else:
            value = self.expr(node.els)
        self.emit("set", result, value, dst=False)
        self.label(end)
        return result

    def stmt(self, node: Node) -> None:
        k = node.kind
        if k == NodeKind.IF:
            then, els, end = self.new_label("then"), self.new_label("else"), self.new_label("end")
            self.emit("br", self.expr(node.cond), then, els, dst=False)
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
            value = self.expr(node.cond)
            for case in node.cases:
                nxt = self.new_label("next")
                self.emit("br", self.emit("eq", value, str(case.val)), case.unique_label, nxt,
                          dst=False)
                self.label(nxt)
            default = node.default_case.unique_label if node.default_case else node.brk_label
            self.emit("jmp", default, dst=False)
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
            args = [self.expr(node.lhs)] if node.lhs is not None else []
            self.emit("ret", *args, dst=False)
        elif k == NodeKind.EXPR_STMT:
            self.expr(node.lhs)

    def loop(self, node: Node) -> None:
        begin, body = self.new_label("loop"), self.new_label("body")
        if node.init is not None:
            self.stmt(node.init)
        if node.kind == NodeKind.DO:
            self.label(begin)
            self.stmt(node.then)
            self.label(node.cont_label)
            self.emit("br", self.expr(node.cond), begin, node.brk_label, dst=False)
        else:
            self.label(begin)
            if node.cond is not None:
                self.emit("br", self.expr(node.cond), body, node.brk_label, dst=False)
            self.label(body)
            self.stmt(node.then)
            self.label(node.cont_label)
            if node.inc is not None:
                self.expr(node.inc)
            self.emit("jmp", begin, dst=False)
        self.label(node.brk_label)


# *** 3. entry points ***


def lower_function(fn: Obj) -> IRFunction:
    lowering = Lowering(fn)
    lowering.stmt(fn.body)
    if fn.name == "main":
        lowering.emit("ret", "0", dst=False)
    params = [lowering.var_name(p) for p in fn.params]
    return IRFunction(fn.asm_name, params, lowering.body)


def lower_program(program: list[Obj]) -> list[IRFunction]:
    return [lower_function(o) for o in program if o.ty.kind == TypeKind.FUNC and o.body]


def format_ir(functions: list[IRFunction]) -> str:
    parts = []
    for fn in functions:
        lines = [f"function {fn.name}({', '.join(fn.params)}):"]
        lines += [str(i) for i in fn.body]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)
