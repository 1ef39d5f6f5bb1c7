"""Lowering floating point: RV32I has no floating-point unit, so every operation on a float or
a double is a call to the soft-float runtime, under libgcc's names (__addsf3 adds two floats,
__adddf3 two doubles, ...), as gcc does for -march=rv32i -mabi=ilp32.

The ILP32 soft-float ABI passes a float as its 32 bits in one integer register and a double in
two (the low word first); a double result comes back in a0 and a1. In the IR a float is one
temporary holding its bits. A double, like a struct, lives in memory and its value is its
address: an operation loads the two words of each operand, calls the routine, and stores the
two words of the result (`callhi` reads a1) into a frame slot of its own.
`FloatLowering` is a part of lower.py's `Lowering`.
"""

from __future__ import annotations

import struct

from appendix_ctoriscv.defs import Node, NodeKind, Type, TypeKind
from appendix_ctoriscv.ir import signed32

# --8<-- [start:soft_float_names]
# the runtime routine of each operation, by operand type: "sf" single (float), "df" double
ARITH = {NodeKind.ADD: "add", NodeKind.SUB: "sub", NodeKind.MUL: "mul", NodeKind.DIV: "div"}
# a comparison routine returns an int that compares with 0 as the operands do: __ltsf2(a, b)
# is negative if a < b; for a NaN each returns the value that makes its own test false
COMPARE = {NodeKind.EQ: ("eq", "eq"), NodeKind.NE: ("ne", "ne"), NodeKind.LT: ("lt", "lt"),
           NodeKind.LE: ("le", "le")}  # fmt: skip
# --8<-- [end:soft_float_names]


def suffix(ty: Type) -> str:
    return "df" if ty.kind == TypeKind.DOUBLE else "sf"


def is_float(ty: Type) -> bool:
    return ty.kind in (TypeKind.FLOAT, TypeKind.DOUBLE)


class FloatLowering:
    """Floating-point expressions as calls (a part of lower.py's Lowering)."""

    # --8<-- [start:soft_float_call]
    def soft_float(self, routine: str, operands: list[Node | tuple], result: Type):
        """Call `routine` on operands (nodes, or already lowered ("value", ty) pairs); a
        double operand goes as its two words, a double result is stored in a new slot."""
        args = []
        for operand in operands:
            value, ty = operand if isinstance(operand, tuple) else (self.expr(operand),
                                                                     operand.ty)  # fmt: skip
            args += self.double_words(value) if ty.kind == TypeKind.DOUBLE else [value]
        low = self.emit("call", routine, *args)
        if result.kind != TypeKind.DOUBLE:
            return low
        high = self.emit("callhi", low)  # at once: a1 is not kept past the next instruction
        return self.store_double(low, high)
    # --8<-- [end:soft_float_call]

    def double_words(self, address) -> list:
        """The low and high words of the double at `address`."""
        return [self.load_word(address, 0), self.load_word(address, 4)]

    def store_double(self, low, high) -> str:
        address = self.emit("addr", self.temp_slot(self.double_ty))
        self.emit("store.i32", address, low, dst=False)
        self.emit("store.i32", self.emit("add", address, 4), high, dst=False)
        return address

    def float_constant(self, node: Node):
        """A float is its bits, an operand like any integer; a double is stored in a slot."""
        if node.ty.kind == TypeKind.FLOAT:
            return signed32(int.from_bytes(struct.pack("<f", node.fval), "little"))
        bits = int.from_bytes(struct.pack("<d", node.fval), "little")
        return self.store_double(signed32(bits), signed32(bits >> 32))

    # --8<-- [start:float_ops]
    def float_expr(self, node: Node):
        """+ - * /, comparisons, negation and `!` on floats and doubles."""
        k = node.kind
        if k in ARITH:
            routine = f"__{ARITH[k]}{suffix(node.ty)}3"  # __addsf3, __divdf3, ...
            return self.soft_float(routine, [node.lhs, node.rhs], node.ty)
        if k == NodeKind.NEG:
            return self.soft_float(f"__neg{suffix(node.ty)}2", [node.lhs], node.ty)
        if k == NodeKind.NOT:  # !x is x == 0
            return self.emit("eq", self.truth_call(node.lhs, "eq"), 0)
        name, test = COMPARE[k]  # both operands have one type after the conversions
        result = self.soft_float(f"__{name}{suffix(node.lhs.ty)}2", [node.lhs, node.rhs],
                                 node.ty)  # fmt: skip
        return self.emit(test, result, 0)
    # --8<-- [end:float_ops]

    def truth_call(self, node: Node, name: str):
        """__eqsf2(x, 0.0) or __nesf2(x, 0.0) (the df versions for a double): x against zero."""
        zero = (0, node.ty) if node.ty.kind == TypeKind.FLOAT else (self.store_double(0, 0),
                                                                    node.ty)  # fmt: skip
        return self.soft_float(f"__{name}{suffix(node.ty)}2", [node, zero], self.int_ty)

    def truth(self, node: Node):
        """The value of a condition (if, while, ?:, && and ||): nonzero if it holds."""
        if is_float(node.ty):
            return self.emit("ne", self.truth_call(node, "ne"), 0)
        return self.expr(node)

    # --8<-- [start:float_cast]
    def float_cast(self, node: Node):
        """A conversion to or from a floating type: int <-> float/double, float <-> double."""
        to, frm = node.ty, node.lhs.ty
        if to.kind == frm.kind:
            return self.expr(node.lhs)
        if is_float(to) and is_float(frm):  # __extendsfdf2, __truncdfsf2
            routine = "__extendsfdf2" if to.kind == TypeKind.DOUBLE else "__truncdfsf2"
            return self.soft_float(routine, [node.lhs], to)
        if is_float(to):  # from an integer, extended to 32 bits already
            unsigned = frm.is_unsigned and frm.size == 4 and frm.kind != TypeKind.PTR
            return self.soft_float(f"__float{'un' if unsigned else ''}si{suffix(to)}",
                                   [node.lhs], to)  # fmt: skip
        unsigned = to.is_unsigned and to.size == 4  # to an integer: truncate toward zero
        value = self.soft_float(f"__fix{'uns' if unsigned else ''}{suffix(frm)}si", [node.lhs],
                                self.int_ty)  # fmt: skip
        return self.narrow(value, to)
    # --8<-- [end:float_cast]
