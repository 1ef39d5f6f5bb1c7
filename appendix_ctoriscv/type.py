"""C types on ILP32, the usual arithmetic conversions, and the add_type pass over the AST.

ILP32, RISC-V's 32-bit ABI: char 1 byte (unsigned when plain), short 2, int, long and pointers 4.
`add_type(node, diag)` types every expression, makes the implicit conversions explicit as CAST
nodes, and reports what C makes an error: wrong operand types, non-lvalues, pointer/integer
mixes. The parser calls it as it builds each expression, as chibicc's type.c is called.
"""

from __future__ import annotations

import math
import struct
from dataclasses import replace

from appendix_ctoriscv.defs import Member, Node, NodeKind, Token, Type, TypeKind
from appendix_ctoriscv.errors import Diagnostics

# *** 1. the types ***

VOID = Type(TypeKind.VOID, 1, 1)
CHAR = Type(TypeKind.CHAR, 1, 1, is_unsigned=True)  # the RISC-V ABI makes plain char unsigned
SCHAR = Type(TypeKind.CHAR, 1, 1)
UCHAR = Type(TypeKind.CHAR, 1, 1, is_unsigned=True)
SHORT = Type(TypeKind.SHORT, 2, 2)
USHORT = Type(TypeKind.SHORT, 2, 2, is_unsigned=True)
INT = Type(TypeKind.INT, 4, 4)
UINT = Type(TypeKind.INT, 4, 4, is_unsigned=True)
LONG = Type(TypeKind.LONG, 4, 4)
ULONG = Type(TypeKind.LONG, 4, 4, is_unsigned=True)
FLOAT = Type(TypeKind.FLOAT, 4, 4)
DOUBLE = Type(TypeKind.DOUBLE, 8, 8)

INTEGER_KINDS = (TypeKind.CHAR, TypeKind.SHORT, TypeKind.INT, TypeKind.LONG)


def pointer_to(base: Type) -> Type:
    return Type(TypeKind.PTR, 4, 4, is_unsigned=True, base=base)


def array_of(base: Type, length: int) -> Type:
    """`base[length]`; a length of -1 means not yet known, as in `int a[] = {1, 2}`."""
    size = base.size * length if length >= 0 else -1
    return Type(TypeKind.ARRAY, size, base.align, base=base, array_len=length)


def const_of(ty: Type) -> Type:
    """`const ty`: the same type, marked read-only (a copy: INT and the others stay shared)."""
    return replace(ty, is_const=True)


def func_type(return_ty: Type) -> Type:
    return Type(TypeKind.FUNC, 1, 1, return_ty=return_ty)


def struct_type(kind: TypeKind, tag: str) -> Type:
    """A new struct or union type, incomplete (size -1) until complete_struct gives members."""
    return Type(kind, -1, 1, tag=tag)


# --8<-- [start:complete_struct]
def complete_struct(ty: Type, members: list[Member]) -> None:
    """Lay out the members as the ILP32 ABI does: each at the next multiple of its alignment
    (a struct's members in order, a union's all at 0); the whole aligned as its most aligned
    member, its size rounded up to that alignment so that arrays of it stay aligned."""
    offset, align = 0, 1
    for m in members:
        if ty.kind == TypeKind.STRUCT:
            offset = (offset + m.ty.align - 1) // m.ty.align * m.ty.align
            m.offset = offset
            offset += m.ty.size
        else:
            m.offset = 0
            offset = max(offset, m.ty.size)
        align = max(align, m.ty.align)
    ty.members[:] = members  # in place: pointers made while it was incomplete see them
    ty.align = align
    ty.size = (offset + align - 1) // align * align
# --8<-- [end:complete_struct]


def is_struct(ty: Type) -> bool:
    """A struct or a union: its value is a block of memory, copied as a whole."""
    return ty.kind in (TypeKind.STRUCT, TypeKind.UNION)


def find_member(ty: Type, name: str) -> Member | None:
    return next((m for m in ty.members if m.name.text == name), None)


def is_float(ty: Type) -> bool:
    return ty.kind in (TypeKind.FLOAT, TypeKind.DOUBLE)


def is_arith(ty: Type) -> bool:
    """What arithmetic applies to: an integer or a floating type."""
    return is_integer(ty) or is_float(ty)


def f32(value: float) -> float:
    """`value` rounded to the nearest float (IEEE single), as a Python float."""
    try:
        return struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:  # beyond the largest float: infinity, as the hardware rounds
        return math.copysign(math.inf, value)


def is_integer(ty: Type) -> bool:
    return ty.kind in INTEGER_KINDS


def is_pointer(ty: Type) -> bool:
    """Pointers and arrays, which decay to pointers in expressions."""
    return ty.kind in (TypeKind.PTR, TypeKind.ARRAY)


def is_scalar(ty: Type) -> bool:
    """What a condition may test: a number or a pointer."""
    return is_arith(ty) or is_pointer(ty)


def is_compatible(a: Type, b: Type) -> bool:
    """The same type, in C's sense (plain, signed and unsigned char are told apart only by sign).

    Two function types agree in their return types and, when both have prototypes, in their
    parameters; C89's `int f()` says nothing about the parameters, so it agrees with any list.
    """
    if a is b:
        return True
    if a.kind != b.kind:
        return False
    if a.kind in (TypeKind.PTR, TypeKind.ARRAY):
        return is_compatible(a.base, b.base)
    if is_struct(a):  # one declaration is one type (const_of copies share the members)
        return a.members is b.members and a.tag == b.tag
    if a.kind == TypeKind.FUNC:
        if a.is_variadic != b.is_variadic and a.has_prototype and b.has_prototype:
            return False
        if not is_compatible(a.return_ty, b.return_ty):
            return False
        if not (a.has_prototype and b.has_prototype):
            return True
        return len(a.params) == len(b.params) and all(map(is_compatible, a.params, b.params))
    return a.is_unsigned == b.is_unsigned


def type_name(ty: Type, inner: str = "") -> str:
    """The type as gcc spells it in a diagnostic: 'unsigned int', 'long int', 'char *', 'int[3]',
    'int (*)[3]'.

    C writes a type inside out, around the name it declares: `inner` is the part already
    spelled (the declarator), to which each step from the outside in adds `*`, `[n]` or `()`.
    """
    names = {TypeKind.VOID: "void", TypeKind.CHAR: "char", TypeKind.SHORT: "short"}
    names |= {TypeKind.INT: "int", TypeKind.LONG: "long", TypeKind.FLOAT: "float"}
    names |= {TypeKind.DOUBLE: "double"}
    if is_struct(ty) or ty.tag:  # 'struct point', 'enum color'
        space = "" if not inner or inner[0] == "[" else " "
        return ("const " if ty.is_const else "") + ty.tag + space + inner
    if ty.kind in names:
        sign = "unsigned " if ty.is_unsigned and ty.kind != TypeKind.CHAR else ""
        if ty.kind == TypeKind.CHAR and not ty.is_unsigned:
            sign = "signed "
        # gcc writes 'int[3]' and 'int(void)', but 'int (*)(void)'
        tight = not inner or inner[0] == "[" or (inner[0] == "(" and inner[:2] != "(*")
        space = "" if tight else " "
        name = sign + names[ty.kind]
        if ty.kind in (TypeKind.SHORT, TypeKind.LONG):  # gcc's 'long unsigned int'
            name = names[ty.kind] + (" unsigned" if ty.is_unsigned else "") + " int"
        return ("const " if ty.is_const else "") + name + space + inner
    if ty.kind == TypeKind.PTR:
        if ty.base.kind in (TypeKind.ARRAY, TypeKind.FUNC):  # `*` binds looser than [] and ()
            return type_name(ty.base, f"(*{inner})")
        return type_name(ty.base, ("* const " if ty.is_const else "*") + inner)
    if ty.kind == TypeKind.ARRAY:
        return type_name(ty.base, f"{inner}[{ty.array_len if ty.array_len >= 0 else ''}]")
    params = ", ".join(type_name(p) for p in ty.params) or "void"
    if ty.is_variadic:
        params += ", ..."
    return type_name(ty.return_ty, f"{inner}({params if ty.has_prototype else ''})")


# *** 2. conversions ***


def integer_promote(ty: Type) -> Type:
    """char and short (signed or not) become int: an int holds all their values."""
    return INT if ty.kind in (TypeKind.CHAR, TypeKind.SHORT) else ty


# --8<-- [start:common_type]
def common_type(a: Type, b: Type) -> Type:
    """The type that the usual arithmetic conversions bring two arithmetic operands to.

    A floating operand wins: double, else float. Two integers are promoted first, so both are
    int or long, signed or unsigned. The result has the higher rank, and is unsigned if either
    side is: with int and long both 32 bits wide, a long cannot hold every unsigned int, so
    long + unsigned int is unsigned long.
    """
    if TypeKind.DOUBLE in (a.kind, b.kind):
        return DOUBLE
    if TypeKind.FLOAT in (a.kind, b.kind):
        return FLOAT
    # EXERCISE A.4: the usual arithmetic conversions on ILP32 (see the docstring)
    a, b = integer_promote(a), integer_promote(b)
    is_long = TypeKind.LONG in (a.kind, b.kind)
    is_unsigned = a.is_unsigned or b.is_unsigned
    if is_long:
        return ULONG if is_unsigned else LONG
    return UINT if is_unsigned else INT
    # END EXERCISE
# --8<-- [end:common_type]


def new_cast(expr: Node, ty: Type) -> Node:
    """`(ty) expr`; conversions the language makes implicitly are CASTs too (none is needed
    between two integer types of the same kind and sign)."""
    if is_struct(ty):  # a struct converts to nothing else; check_conversion said if it differs
        return expr
    if expr.ty is not None and is_float(ty) and expr.ty.kind == ty.kind:
        return expr
    same = expr.ty is not None and is_integer(ty) and expr.ty.kind == ty.kind
    if same and expr.ty.is_unsigned == ty.is_unsigned:
        return expr
    return Node(NodeKind.CAST, expr.tok, ty=ty, lhs=expr)


def usual_arith_conv(node: Node) -> None:
    """Convert both operands of a binary node to their common type."""
    ty = common_type(node.lhs.ty, node.rhs.ty)
    node.lhs, node.rhs = new_cast(node.lhs, ty), new_cast(node.rhs, ty)


def is_null_pointer_constant(node: Node) -> bool:
    while node.kind == NodeKind.CAST and is_integer(node.ty):
        node = node.lhs
    return node.kind == NodeKind.NUM and node.val == 0


# --8<-- [start:check_conversion]
def check_conversion(to: Type, expr: Node, diag: Diagnostics, tok: Token, action: str) -> None:
    """Check that `expr` may be assigned to an object of type `to`, as `=`, a call or `return`.

    `action` begins the message, in gcc's words: "assignment to 'int *' from 'int'".
    """
    frm = expr.ty
    if frm.kind == TypeKind.FUNC:  # a function's name stands for its address
        frm = pointer_to(frm)
    if frm.kind == TypeKind.VOID:
        diag.error(tok, "void value not ignored as it ought to be")
    elif is_struct(to) or is_struct(frm):
        if not is_compatible(to, frm):
            diag.error(tok, incompatible(to, frm, action))
    elif (is_pointer(to) and is_float(frm)) or (is_float(to) and is_pointer(frm)):
        diag.error(tok, incompatible(to, frm, action))
    elif is_pointer(to) and is_integer(frm) and not is_null_pointer_constant(expr):
        diag.error(tok, f"{action} makes pointer from integer without a cast")
    elif is_integer(to) and is_pointer(frm):
        diag.error(tok, f"{action} makes integer from pointer without a cast")
    elif is_pointer(to) and is_pointer(frm):
        void = TypeKind.VOID in (to.base.kind, frm.base.kind)
        if not void and not is_compatible(to.base, frm.base):
            diag.warning(tok, incompatible_pointers(to, frm, action))
# --8<-- [end:check_conversion]


def incompatible_pointers(to: Type, frm: Type, action: str) -> str:
    """gcc's words for a pointer to another type where one was due, by what `action` does."""
    frm = decayed(frm)
    if action.startswith(("assignment", "initialization")):  # "assignment to 'T *' from ..."
        return f"{action.split(' from ')[0]} from incompatible pointer type '{type_name(frm)}'"
    if action.startswith("returning"):
        return (f"returning '{type_name(frm)}' from a function with incompatible return type "
                f"'{type_name(to)}'")
    return f"{action} from incompatible pointer type"  # passing argument 1 of 'f'


def decayed(ty: Type) -> Type:
    """The type an expression of type `ty` has as a value: an array is a pointer to its
    first element, a function a pointer to it."""
    if ty.kind == TypeKind.ARRAY:
        return pointer_to(ty.base)
    return pointer_to(ty) if ty.kind == TypeKind.FUNC else ty


def incompatible(to: Type, frm: Type, action: str) -> str:
    """gcc's words for a struct where another type was due, by what `action` does."""
    t, f = type_name(to), type_name(frm)
    if action.startswith("assignment"):
        return f"incompatible types when assigning to type '{t}' from type '{f}'"
    if action.startswith("initialization"):
        return f"incompatible types when initializing type '{t}' using type '{f}'"
    if action.startswith("returning"):
        return f"incompatible types when returning type '{f}' but '{t}' was expected"
    return f"incompatible type for argument {action.removeprefix('passing argument ')}"


def is_lvalue(node: Node) -> bool:
    if node.kind == NodeKind.MEMBER:  # s.x is an lvalue if s is; f().x is not
        return is_lvalue(node.lhs)
    return (node.kind == NodeKind.VAR and node.ty.kind != TypeKind.FUNC) or (
        node.kind == NodeKind.DEREF
    )


# *** 3. the add_type pass ***

ARITH_BINARY = {NodeKind.ADD: "+", NodeKind.SUB: "-", NodeKind.MUL: "*", NodeKind.DIV: "/"}
ARITH_BINARY |= {NodeKind.MOD: "%", NodeKind.BITAND: "&", NodeKind.BITOR: "|"}
ARITH_BINARY |= {NodeKind.BITXOR: "^", NodeKind.SHL: "<<", NodeKind.SHR: ">>"}
COMPARISONS = (NodeKind.EQ, NodeKind.NE, NodeKind.LT, NodeKind.LE)


def add_type(node: Node | None, diag: Diagnostics) -> None:
    """Give `node` and the expressions under it their types, converting and checking operands."""
    if node is None or node.ty is not None:
        return
    for child in (node.lhs, node.rhs, node.cond, node.then, node.els, node.init, node.inc):
        add_type(child, diag)
    for child in node.body + node.args:
        add_type(child, diag)
    k = node.kind
    if k == NodeKind.NUM:
        node.ty = INT
    elif k == NodeKind.VAR:
        node.ty = node.var.ty
    elif k in ARITH_BINARY:
        add_type_arith(node, diag)
    elif k in COMPARISONS:
        add_type_compare(node, diag)
    elif k == NodeKind.NEG and is_float(node.lhs.ty):
        node.ty = node.lhs.ty
    elif k in (NodeKind.NEG, NodeKind.BITNOT):
        if not is_integer(node.lhs.ty):
            op = "-" if k == NodeKind.NEG else "~"
            diag.error(node.tok, f"wrong type argument to unary {op} ('{type_name(node.lhs.ty)}')")
            node.ty = INT
            return
        node.lhs = new_cast(node.lhs, integer_promote(node.lhs.ty))
        node.ty = node.lhs.ty
    elif k in (NodeKind.NOT, NodeKind.LOGAND, NodeKind.LOGOR):
        for operand in (node.lhs, node.rhs):
            if operand is not None and not is_scalar(operand.ty):
                diag.error(operand.tok, "used a value where a scalar is required")
        node.ty = INT
    elif k == NodeKind.ASSIGN:
        add_type_assign(node, diag)
    elif k == NodeKind.COND:
        add_type_cond(node, diag)
    elif k == NodeKind.COMMA:
        node.ty = node.rhs.ty
    elif k == NodeKind.MEMBER:  # a member of a const struct is const
        ty = node.member.ty
        node.ty = const_of(ty) if node.lhs.ty.is_const and not ty.is_const else ty
    elif k == NodeKind.VA_START:
        node.ty = pointer_to(CHAR)
    elif k == NodeKind.ADDR:
        if not is_lvalue(node.lhs) and node.lhs.ty.kind != TypeKind.FUNC:
            diag.error(node.tok, "lvalue required as unary '&' operand")
        elif node.lhs.kind == NodeKind.VAR and node.lhs.var.is_register:
            diag.error(node.tok, f"address of register variable '{node.lhs.var.name}' requested")
        node.ty = pointer_to(node.lhs.ty)  # &a of an int[3] is an int (*)[3]
    elif k == NodeKind.DEREF:
        ty = node.lhs.ty
        if not is_pointer(ty):
            diag.error(node.tok, f"invalid type argument of unary '*' (have '{type_name(ty)}')")
            node.ty = INT
        elif ty.base.kind == TypeKind.VOID:
            diag.error(node.tok, "dereferencing 'void *' pointer")
            node.ty = INT
        else:
            node.ty = ty.base


# --8<-- [start:add_type_arith]
def add_type_arith(node: Node, diag: Diagnostics) -> None:
    """+ - * / % & | ^ << >> on integers, + - * / on floating types too (parse.py has already
    handled pointer + and -)."""
    lhs, rhs = node.lhs.ty, node.rhs.ty
    on_floats = node.kind in (NodeKind.ADD, NodeKind.SUB, NodeKind.MUL, NodeKind.DIV)
    if on_floats and is_arith(lhs) and is_arith(rhs) and (is_float(lhs) or is_float(rhs)):
        usual_arith_conv(node)
        node.ty = node.lhs.ty
        return
    if not (is_integer(lhs) and is_integer(rhs)):
        op = ARITH_BINARY[node.kind]
        have = f"'{type_name(lhs)}' and '{type_name(rhs)}'"
        diag.error(node.tok, f"invalid operands to binary {op} (have {have})")
        node.ty = INT
        return
    if node.kind in (NodeKind.DIV, NodeKind.MOD) and node.rhs.kind == NodeKind.NUM:
        if node.rhs.val == 0:
            diag.warning(node.tok, "division by zero")
    if node.kind in (NodeKind.SHL, NodeKind.SHR):
        if node.rhs.kind == NodeKind.NUM and not 0 <= node.rhs.val < 32:
            diag.warning(node.tok, "shift count is negative or >= width of type")
        # a shift has the promoted type of its left operand; the right one is only a count
        node.lhs = new_cast(node.lhs, integer_promote(lhs))
        node.rhs = new_cast(node.rhs, INT)
        node.ty = node.lhs.ty
        return
    usual_arith_conv(node)
    node.ty = node.lhs.ty
# --8<-- [end:add_type_arith]


def add_type_compare(node: Node, diag: Diagnostics) -> None:
    for side in ("lhs", "rhs"):  # a function stands for its address
        operand = getattr(node, side)
        if operand.ty.kind == TypeKind.FUNC:
            setattr(node, side, Node(NodeKind.CAST, operand.tok, pointer_to(operand.ty), operand))
    lhs, rhs = node.lhs.ty, node.rhs.ty
    if is_arith(lhs) and is_arith(rhs):
        usual_arith_conv(node)
    elif is_pointer(lhs) and is_pointer(rhs):
        void = TypeKind.VOID in (lhs.base.kind, rhs.base.kind)
        if not void and not is_compatible(lhs.base, rhs.base):
            diag.warning(node.tok, "comparison of distinct pointer types lacks a cast")
    elif is_pointer(lhs) or is_pointer(rhs):
        other = node.rhs if is_pointer(lhs) else node.lhs
        if not (is_integer(other.ty) and is_null_pointer_constant(other)):
            diag.warning(node.tok, "comparison between pointer and integer")
    else:
        diag.error(node.tok, "invalid operands to comparison")
    node.ty = INT


def add_type_assign(node: Node, diag: Diagnostics) -> None:
    lhs = node.lhs
    node.ty = lhs.ty
    if lhs.ty.kind == TypeKind.ARRAY:
        diag.error(node.tok, "assignment to expression with array type")
        return
    if not is_lvalue(lhs):
        diag.error(node.tok, "lvalue required as left operand of assignment")
        return
    action = f"assignment to '{type_name(lhs.ty)}' from '{type_name(decayed(node.rhs.ty))}'"
    check_conversion(lhs.ty, node.rhs, diag, node.tok, action)
    if is_struct(lhs.ty) and lhs.ty.size < 0:
        diag.error(node.tok, f"invalid use of incomplete type '{type_name(lhs.ty)}'")
    if is_arith(lhs.ty) and is_arith(node.rhs.ty):
        node.rhs = new_cast(node.rhs, lhs.ty)


def add_type_cond(node: Node, diag: Diagnostics) -> None:
    then, els = node.then.ty, node.els.ty
    if not is_scalar(node.cond.ty):
        diag.error(node.cond.tok, "used a value where a scalar is required")
    if is_arith(then) and is_arith(els):
        ty = common_type(then, els)
        node.then, node.els = new_cast(node.then, ty), new_cast(node.els, ty)
        node.ty = ty
    elif is_struct(then) and is_compatible(then, els):
        node.ty = then
    elif is_pointer(then):
        node.ty = pointer_to(then.base)
    elif is_pointer(els):
        node.ty = pointer_to(els.base)
    else:
        node.ty = then if then.kind == els.kind else VOID
