"""Constant expressions: evaluate a typed AST at compile time, as C's rules require.

Array sizes, `case` labels, `#if` lines and the initialisers of globals must be constants. An
integer constant is computed in its C type (32-bit, wrapping, signed or unsigned); an address
constant is a label plus an offset (`&a[2]` is `a+8`), which the assembler turns into a
relocation; the difference of two addresses in one object (`&a[2] - &a[0]`) is an integer.
Anything else raises NotConstant, with the reason.
"""

from __future__ import annotations

import math

from appendix_ctoriscv.defs import Node, NodeKind, Type, TypeKind
from appendix_ctoriscv.type import f32, is_float, is_integer, is_pointer, type_name


class NotConstant(Exception):
    """An expression that had to be constant is not; str() says why."""


# *** 1. C arithmetic on Python integers ***


def wrap(value: int, ty: Type) -> int:
    """`value` as an object of integer type `ty` holds it: truncated, then sign-extended."""
    bits = 8 * ty.size
    value &= (1 << bits) - 1
    if not ty.is_unsigned and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def c_div(a: int, b: int) -> int:
    """C's division truncates toward zero; Python's // rounds toward minus infinity."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


# Operands arrive converted to one type (unsigned ones as non-negative numbers, so >> is logical
# for them); the result is wrapped to the node's type afterwards.
BINARY_EVAL = {
    NodeKind.ADD: lambda a, b: a + b,
    NodeKind.SUB: lambda a, b: a - b,
    NodeKind.MUL: lambda a, b: a * b,
    NodeKind.DIV: c_div,
    NodeKind.MOD: lambda a, b: a - c_div(a, b) * b,
    NodeKind.BITAND: lambda a, b: a & b,
    NodeKind.BITOR: lambda a, b: a | b,
    NodeKind.BITXOR: lambda a, b: a ^ b,
    NodeKind.SHL: lambda a, b: a << (b & 31),
    NodeKind.SHR: lambda a, b: a >> (b & 31),
    NodeKind.EQ: lambda a, b: int(a == b),
    NodeKind.NE: lambda a, b: int(a != b),
    NodeKind.LT: lambda a, b: int(a < b),
    NodeKind.LE: lambda a, b: int(a <= b),
}
UNARY_EVAL = {
    NodeKind.NEG: lambda a: -a,
    NodeKind.BITNOT: lambda a: ~a,
    NodeKind.NOT: lambda a: int(not a),
}


# *** 2. the evaluator ***


def eval_int(node: Node) -> int:
    """The value of an integer constant expression, computed in its C type."""
    k = node.kind
    if node.ty is not None and is_float(node.ty):
        raise NotConstant(f"it has the floating type '{type_name(node.ty)}'")
    if k in (NodeKind.NUM, NodeKind.CAST, NodeKind.COND):
        value, label = eval_reloc(node)
        if label is not None:
            raise NotConstant("an address is not an integer constant")
        return value
    if k == NodeKind.LOGAND:  # the right operand only matters if the left one is true
        return int(bool(eval_int(node.lhs)) and bool(eval_int(node.rhs)))
    if k == NodeKind.LOGOR:
        return int(bool(eval_int(node.lhs)) or bool(eval_int(node.rhs)))
    if k == NodeKind.VAR:
        raise NotConstant(f"'{node.var.name}' is a variable")
    if k in (NodeKind.EQ, NodeKind.NE, NodeKind.LT, NodeKind.LE) and is_float(node.lhs.ty):
        return BINARY_EVAL[k](eval_float(node.lhs), eval_float(node.rhs))  # NaN: all false
    if k == NodeKind.NOT and is_float(node.lhs.ty):
        return int(eval_float(node.lhs) == 0)
    if node.ty is None or not is_integer(node.ty):
        raise NotConstant("not an integer")
    if k == NodeKind.SUB and is_pointer(node.lhs.ty) and is_pointer(node.rhs.ty):
        return wrap(address_difference(node.lhs, node.rhs), node.ty)
    if k in UNARY_EVAL:
        return wrap(UNARY_EVAL[k](eval_int(node.lhs)), node.ty)
    if k not in BINARY_EVAL:
        what = {NodeKind.FUNCALL: "a function call", NodeKind.ASSIGN: "an assignment"}
        raise NotConstant(f"{what.get(k, k.name.lower())} is not allowed here")
    a, b = eval_int(node.lhs), eval_int(node.rhs)
    if k in (NodeKind.DIV, NodeKind.MOD) and b == 0:
        raise NotConstant("division by zero in a constant expression")
    return wrap(BINARY_EVAL[k](a, b), node.ty)


def address_difference(lhs: Node, rhs: Node) -> int:
    """The bytes between two address constants in one object (`&a[3] - &a[1]`): the labels
    cancel, so the difference is an integer constant even though neither address is."""
    (a, label_a), (b, label_b) = eval_reloc(lhs), eval_reloc(rhs)
    if label_a != label_b:  # two objects: only the linker knows how far apart they are
        raise NotConstant("the difference of addresses in two objects is not a constant")
    return a - b


def eval_reloc(node: Node) -> tuple[int, str | None]:
    """Evaluate a constant expression: (value, label); an address constant is label + value."""
    k = node.kind
    if k == NodeKind.NUM:
        return node.val, None
    if k == NodeKind.CAST and is_float(node.lhs.ty):
        if not is_integer(node.ty):
            raise NotConstant("not an integer")
        value = eval_float(node.lhs)
        if value != value or abs(value) >= 2**32:  # NaN or out of range: undefined in C
            raise NotConstant("a floating value out of the integer's range")
        return wrap(int(value), node.ty), None  # int() truncates toward zero, as C does
    if k == NodeKind.CAST:
        value, label = eval_reloc(node.lhs)
        if label is not None:
            if node.ty.size != 4:
                raise NotConstant("an address does not fit in a narrow integer")
            return value, label
        return (wrap(value, node.ty) if is_integer(node.ty) else value), None
    if k == NodeKind.ADDR:
        return eval_addr(node.lhs)
    if k in (NodeKind.VAR, NodeKind.MEMBER) and node.ty.kind in (TypeKind.ARRAY, TypeKind.FUNC):
        return eval_addr(node)  # an array or a function stands for its address
    if k in (NodeKind.ADD, NodeKind.SUB) and is_pointer(node.ty):
        value, label = eval_reloc(node.lhs)
        offset = eval_int(node.rhs)
        return value + (offset if k == NodeKind.ADD else -offset), label
    if k == NodeKind.COND:
        return eval_reloc(node.then if eval_int(node.cond) else node.els)
    return eval_int(node), None


FLOAT_EVAL = {NodeKind.ADD: lambda a, b: a + b, NodeKind.SUB: lambda a, b: a - b,
              NodeKind.MUL: lambda a, b: a * b}


def eval_float(node: Node) -> float:
    """The value of an arithmetic constant expression of floating type (a global's
    initialiser), rounded to float after each operation on floats, as the machine would."""
    k = node.kind
    if not is_float(node.ty):
        return float(eval_int(node))
    if k == NodeKind.NUM:
        return node.fval
    if k == NodeKind.CAST:
        value = eval_float(node.lhs) if is_float(node.lhs.ty) else float(eval_int(node.lhs))
    elif k == NodeKind.NEG:
        value = -eval_float(node.lhs)
    elif k == NodeKind.COND:
        return eval_float(node.then if eval_int(node.cond) else node.els)
    elif k in FLOAT_EVAL or k == NodeKind.DIV:
        a, b = eval_float(node.lhs), eval_float(node.rhs)
        if k == NodeKind.DIV and b == 0:  # IEEE, as gcc folds it: an infinity, or NaN for 0/0
            sign = math.copysign(1.0, a) * math.copysign(1.0, b)
            value = a if a != a else math.copysign(math.nan if a == 0 else math.inf, sign)
        elif k == NodeKind.DIV:
            value = a / b
        else:
            value = FLOAT_EVAL[k](a, b)
    else:
        raise NotConstant(f"{k.name.lower()} is not allowed here")
    return f32(value) if node.ty.kind == TypeKind.FLOAT else value


def eval_addr(node: Node) -> tuple[int, str | None]:
    """The address of an lvalue, when it is a global (plus a constant offset)."""
    if node.kind == NodeKind.VAR and not node.var.is_local:
        return 0, node.var.asm_name
    if node.kind == NodeKind.DEREF:
        return eval_reloc(node.lhs)
    if node.kind == NodeKind.MEMBER:  # &s.x, and offsetof's &((struct s *)0)->x
        value, label = eval_addr(node.lhs)
        return value + node.member.offset, label
    raise NotConstant("the address of a local variable is not a constant")
