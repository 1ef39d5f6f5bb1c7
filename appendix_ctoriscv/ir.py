"""The intermediate representation: three-address code in a control-flow graph of basic blocks.

An IRFunction is a list of Blocks; a Block is a list of Instrs that ends in one terminator (`br`,
`jmp` or `ret`). An Instr does one thing to at most a few operands and names its result with a
temporary: `%3 = add %1, 4`. An operand is a temporary (`"%3"`), a constant (a Python int, the
32-bit value) or, for `addr`, a frame slot (`"$x"`) or a global (`"@x"`). lower.py writes it from
the AST; the passes of the -O1 pipeline (ssa.py ...) rewrite it; codegen.py prints assembly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# *** 1. the operations ***

# --8<-- [start:ir_ops]
# pure two-operand arithmetic; div/rem/shr/lt/le come in a signed and an unsigned (u) form
BINARY = ("add", "sub", "mul", "div", "divu", "rem", "remu", "and", "or", "xor", "shl", "shr",
          "shru", "eq", "ne", "lt", "ltu", "le", "leu")  # fmt: skip
UNARY = ("neg", "not", "bitnot", "mov")  # -x, !x, ~x and a plain copy
CONVERSIONS = ("conv.i8", "conv.u8", "conv.i16", "conv.u16")  # truncate, then extend
WIDTHS = ("i8", "u8", "i16", "u16", "i32")  # of a load or a store: the bytes and the extension
TERMINATORS = ("br", "jmp", "ret")  # br cond, then, else | jmp target | ret [value]
# everything else: addr slot | load.W address | store.W address, value | call name, args... |
# memzero slot, size | memcpy to, from, size, align | callhi call (a call's result in a1) |
# phi value, value, ... (one per predecessor, in ssa.py's form only)
SIDE_EFFECTS = ("store", "call", "memzero", "memcpy", "br", "jmp", "ret")  # kept even unused
# --8<-- [end:ir_ops]


def is_temp(operand) -> bool:
    return isinstance(operand, str) and operand.startswith("%")


def signed32(value: int) -> int:
    """The 32-bit pattern of `value`, read as a signed number: constants are kept this way."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


# *** 2. instructions, blocks, functions ***


@dataclass(eq=False)
class Instr:
    op: str  # add, load.i32, store.u8, call, br, ...
    dst: str | None = None  # the temporary it defines, e.g. "%4"; None for stores and jumps
    args: list = field(default_factory=list)  # operands, then (for br/jmp) block names
    incoming: list[str] = field(default_factory=list)  # phi: the block each operand comes from

    @property
    def kind(self) -> str:
        """The op without its width: `load.u8` -> `load`."""
        return self.op.split(".")[0]

    def uses(self) -> list[str]:
        """The temporaries it reads."""
        return [a for a in self.args if is_temp(a)]

    def targets(self) -> list[str]:
        """The blocks a terminator may jump to."""
        if self.op == "br":
            return list(self.args[1:])
        return list(self.args) if self.op == "jmp" else []

    def __str__(self) -> str:
        args = [str(a) for a in self.args]
        if self.op == "phi":
            args = [f"{a} [{b}]" for a, b in zip(args, self.incoming)]
        rhs = f"{self.op} {', '.join(args)}".rstrip()
        return f"  {self.dst} = {rhs}" if self.dst else f"  {rhs}"


@dataclass(eq=False)
class Block:
    name: str
    instrs: list[Instr] = field(default_factory=list)

    @property
    def terminator(self) -> Instr:
        return self.instrs[-1]

    def successors(self) -> list[str]:
        return self.instrs[-1].targets() if self.instrs else []


@dataclass(eq=False)
class IRFunction:
    name: str  # its label in the assembly
    params: list[str]  # where the arguments arrive: frame slots, or temporaries after ssa.py
    blocks: list[Block]  # blocks[0] is the entry; the list order is the layout in the assembly
    slots: dict[str, tuple[int, int]]  # frame objects: name -> (size, align)
    is_static: bool = False
    frame_objects: dict = field(default_factory=dict)  # slot name -> the C variable (an Obj)
    temps: int = 0  # temporaries numbered so far: new_temp() makes the next
    inlined: int = 0  # calls inlined so far: each copy's blocks get a tag of their own
    varargs_at: int | None = None  # variadic: the offset of the unnamed arguments in the
    # register save area (4 * the words of the named parameters)

    def new_temp(self) -> str:
        self.temps += 1
        return f"%{self.temps}"

    def block(self, name: str) -> Block:
        return next(b for b in self.blocks if b.name == name)

    def predecessors(self) -> dict[str, list[str]]:
        """Block name -> the names of the blocks that jump to it, once per edge, in layout order."""
        preds: dict[str, list[str]] = {b.name: [] for b in self.blocks}
        for b in self.blocks:
            for succ in b.successors():
                preds[succ].append(b.name)
        return preds

    def instructions(self):
        for b in self.blocks:
            yield from b.instrs


def format_function(fn: IRFunction) -> str:
    slots = ", ".join(f"{name}[{size}]" for name, (size, _) in fn.slots.items())
    lines = [f"function {fn.name}({', '.join(fn.params)}):"]
    lines += [f"  slots {slots}"] if slots else []
    for b in fn.blocks:
        lines.append(f"{b.name}:")
        lines += [str(i) for i in b.instrs]
    return "\n".join(lines)


def format_ir(functions: list[IRFunction]) -> str:
    return "\n\n".join(format_function(fn) for fn in functions)


def parse_operand(text: str):
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else text


def parse_function(text: str) -> IRFunction:
    """The inverse of format_function, for tests and exercises that write IR by hand."""
    lines = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    name, params = lines[0].removeprefix("function ").rstrip("):").split("(")
    fn = IRFunction(name, [p.strip() for p in params.split(",") if p.strip()], [], {})
    for line in lines[1:]:
        if line.startswith("  slots "):
            for slot in line.removeprefix("  slots ").split(", "):
                slot_name, size = slot.rstrip("]").split("[")
                fn.slots[slot_name] = (int(size), min(int(size), 4))
        elif not line.startswith(" "):
            fn.blocks.append(Block(line.rstrip(":")))
        else:
            dst, _, rhs = line.strip().rpartition(" = ")
            op, _, rest = rhs.partition(" ")
            parts = [p.strip() for p in rest.split(",")] if rest else []
            ins = Instr(op, dst or None)
            if op == "phi":  # `%5 = phi %3 [entry], %4 [body]`
                ins.args = [parse_operand(p.split(" [")[0]) for p in parts]
                ins.incoming = [p.split(" [")[1].rstrip("]") for p in parts]
            else:
                ins.args = [parse_operand(p) for p in parts]
            fn.blocks[-1].instrs.append(ins)
    temps = [int(t[1:]) for i in fn.instructions() for t in [i.dst, *i.uses()] if t]
    fn.temps = max(temps + [int(p[1:]) for p in fn.params if p.startswith("%")], default=0)
    return fn
