"""The parser's initialisers: `= 3`, `= {1, 2}`, `= "abc"`, for locals as code and for
globals as bytes. `InitializerParser` is a part of parse.py's `Parser`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from appendix_ctoriscv.const_expr import NotConstant, eval_float, eval_int, eval_reloc, wrap
from appendix_ctoriscv.defs import Node, NodeKind, Obj, Token, TokenKind, Type, TypeKind
from appendix_ctoriscv.type import (
    INT,
    VOID,
    add_type,
    array_of,
    check_conversion,
    decayed,
    is_compatible,
    is_float,
    is_scalar,
    is_struct,
    new_cast,
    type_name,
)


@dataclass
class Initializer:
    """An initialiser's shape: an expression for a scalar (or a whole struct), one child per
    element of an array or member of a struct."""

    ty: Type
    expr: Node | None = None
    children: list[Initializer] = field(default_factory=list)


def new_initializer(ty: Type) -> Initializer:
    init = Initializer(ty)
    if ty.kind == TypeKind.ARRAY and ty.array_len > 0:
        init.children = [new_initializer(ty.base) for _ in range(ty.array_len)]
    if is_struct(ty):
        init.children = [new_initializer(m.ty) for m in ty.members]
    return init


class InitializerParser:
    """Initialisers (a part of parse.py's Parser)."""

    # *** 4. initialisers ***

    # --8<-- [start:initializer]
    # initializer = string-literal | "{" initializer ("," initializer)* ","? "}" | assign
    def initializer(self, ty: Type) -> tuple[Initializer, Type]:
        """Parse an initialiser for `ty`; returns it and `ty` with an unknown length filled in."""
        init = new_initializer(ty)
        self.initializer2(init)
        if ty.kind == TypeKind.ARRAY and ty.array_len < 0:
            ty = array_of(ty.base, len(init.children))
            init.ty = ty
        return init, ty

    def initializer2(self, init: Initializer) -> None:
        ty = init.ty
        if ty.kind == TypeKind.ARRAY:
            if self.tok.kind == TokenKind.STR and ty.base.kind == TypeKind.CHAR:
                self.string_initializer(init)
            elif ty.base.kind == TypeKind.CHAR and self.braced_string():
                self.advance()  # `char s[] = {"ab"}`: a string may be braced
                self.string_initializer(init)
                self.consume(",")
                self.skip("}")
            elif self.equal("{"):
                self.array_initializer(init, braced=True)
            else:
                self.array_initializer(init, braced=False)
        elif is_struct(ty):
            self.struct_initializer(init)
        elif self.consume("{"):  # a scalar may be braced: int x = {3};
            init.expr = self.assign()
            self.consume(",")
            self.skip("}")
        else:
            init.expr = self.assign()

    def braced_string(self) -> bool:
        """Whether `{"ab"}` or `{"ab",}` comes next (and not `{"ab"[0], 'c'}`)."""
        after = self.tokens[min(self.pos + 1, len(self.tokens) - 1)]
        return (self.equal("{") and after.kind == TokenKind.STR
                and (self.equal("}", 2) or (self.equal(",", 2) and self.equal("}", 3))))

    def struct_initializer(self, init: Initializer) -> None:
        """`{1, {2, 3}}` for a struct: the members in order (a union: its first member only);
        without braces, an expression of the struct's type copies a whole struct, anything
        else starts the members (brace elision, as in `struct point ps[2] = {1, 2, 3, 4}`)."""
        braced = self.equal("{")
        if not braced:
            start = self.pos
            expr = self.assign()  # parsed, and if it is no struct parsed again as a member
            add_type(expr, self.diag)
            if is_struct(expr.ty):
                if not is_compatible(expr.ty, init.ty):
                    self.diag.error(expr.tok, "invalid initializer")
                    return
                init.expr = expr
                return
            self.pos = start
        else:
            self.advance()
        count = len(init.children)  # 0 for an incomplete type: every element is excess
        if init.ty.kind == TypeKind.UNION:
            count = min(count, 1)
        i = 0
        while not self.equal("}"):
            if not braced and i == count:
                break
            if i > 0:
                if not braced and self.equal(",") and self.equal("}", 1):
                    break
                self.skip(",")
                if self.equal("}"):
                    break
            if i < count:
                self.initializer2(init.children[i])
            else:
                self.diag.warning(self.tok, f"excess elements in {init.ty.tag.split()[0]} "
                                  "initializer")
                self.initializer2(new_initializer(INT))
            i += 1
        if braced:
            self.skip("}")
    # --8<-- [end:initializer]

    def string_initializer(self, init: Initializer) -> None:
        tok = self.advance()
        data = tok.str_val
        if init.ty.array_len < 0:
            init.children = [new_initializer(init.ty.base) for _ in data]
        if len(data) - 1 > len(init.children):
            self.diag.warning(tok, "initializer-string for array of chars is too long")
        for child, byte in zip(init.children, data):
            child.expr = self.new_num(byte, tok)

    def array_initializer(self, init: Initializer, braced: bool) -> None:
        """Elements of an array; without braces, only as many as the array holds (C's brace
        elision: `int a[2][2] = {1, 2, 3, 4}`)."""
        flexible = init.ty.array_len < 0
        if braced:
            self.skip("{")
        i = 0
        while not self.equal("}"):
            if not braced and i == len(init.children) and not flexible:
                break
            if i > 0:
                if not braced and self.equal(",") and self.equal("}", 1):
                    break
                self.skip(",")
                if self.equal("}"):
                    break
            if flexible and i == len(init.children):
                init.children.append(new_initializer(init.ty.base))
            if i < len(init.children):
                self.initializer2(init.children[i])
            else:
                self.diag.warning(self.tok, "excess elements in array initializer")
                self.initializer2(new_initializer(init.ty.base))
            i += 1
            if not braced and flexible and self.equal("}", 0):
                break
        if braced:
            self.skip("}")

    def lvar_initializer(self, var: Obj, eq: Token) -> Node:
        """`T x = init;` as code: zero the whole object, then assign each given element."""
        init, var.ty = self.initializer(var.ty)
        node = None
        whole = is_struct(var.ty) and init.expr is not None  # `struct point q = p;`
        if var.ty.kind == TypeKind.ARRAY or (is_struct(var.ty) and not whole):  # the rest is 0
            node = Node(NodeKind.MEMZERO, eq, ty=VOID, var=var)
        for lhs, expr in self.init_assignments(init, self.new_var_node(var, eq)):
            expr = self.checked_initial_value(lhs.ty, expr)
            assign = self.assignment(lhs, expr, eq, what=None)  # may set a const
            node = assign if node is None else self.new_binary(NodeKind.COMMA, node, assign, eq)
        return Node(NodeKind.EXPR_STMT, eq, lhs=node)

    def checked_initial_value(self, ty: Type, expr: Node) -> Node:
        """Check `expr` as the initial value of a `ty`, in gcc's words for an initialisation
        and at the value, as for a global; what it reports, the assignment that stores the
        value will not report again (it gets the value converted already)."""
        reported = len(self.diag.items)
        action = f"initialization of '{type_name(ty)}' from '{type_name(decayed(expr.ty))}'"
        check_conversion(ty, expr, self.diag, expr.tok, action)
        value = is_scalar(expr.ty) or expr.ty.kind == TypeKind.FUNC  # a function's address
        if len(self.diag.items) > reported and is_scalar(ty) and value:
            return new_cast(expr, ty)
        return expr

    def init_assignments(self, init: Initializer, lhs: Node):
        if init.ty.kind == TypeKind.ARRAY:
            for i, child in enumerate(init.children):
                elem = self.new_unary(NodeKind.DEREF, self.new_add(lhs, self.new_num(i, lhs.tok),
                                                                   lhs.tok), lhs.tok)
                yield from self.init_assignments(child, elem)
        elif is_struct(init.ty) and init.expr is None:
            for member, child in zip(init.ty.members, init.children):
                node = Node(NodeKind.MEMBER, lhs.tok, lhs=lhs, member=member)
                add_type(node, self.diag)
                yield from self.init_assignments(child, node)
        elif init.expr is not None:
            yield lhs, init.expr

    def gvar_initializer(self, var: Obj) -> None:
        """A global's initial bytes; addresses of other globals become relocations."""
        init, var.ty = self.initializer(var.ty)
        buf = bytearray(max(var.ty.size, 0))
        self.write_gvar_data(var, init, buf, 0)
        var.init_data = bytes(buf)

    def write_gvar_data(self, var: Obj, init: Initializer, buf: bytearray, offset: int) -> None:
        if init.ty.kind == TypeKind.ARRAY:
            for i, child in enumerate(init.children):
                self.write_gvar_data(var, child, buf, offset + i * init.ty.base.size)
            return
        if is_struct(init.ty) and init.expr is None:
            for member, child in zip(init.ty.members, init.children):
                self.write_gvar_data(var, child, buf, offset + member.offset)
            return
        if init.expr is None:
            return
        expr = init.expr
        action = f"initialization of '{type_name(init.ty)}' from '{type_name(expr.ty)}'"
        check_conversion(init.ty, expr, self.diag, expr.tok, action)
        if is_float(init.ty) or is_float(expr.ty):
            self.write_float_data(init.ty, expr, buf, offset)
            return
        try:
            value, label = eval_reloc(expr)
        except NotConstant as e:
            self.diag.error(expr.tok, f"initializer element is not constant: {e}")
            return
        if label is not None:
            if init.ty.size != 4:
                self.diag.error(expr.tok, "initializer element is not computable at load time")
                return
            var.relocations.append((offset, label, value))
            return
        size = init.ty.size
        buf[offset : offset + size] = (value & ((1 << 8 * size) - 1)).to_bytes(size, "little")

    def write_float_data(self, ty: Type, expr: Node, buf: bytearray, offset: int) -> None:
        """A floating value (or an integer from one) as the bytes of `ty`: IEEE bits."""
        try:
            if is_float(ty):
                value = eval_float(new_cast(expr, ty))
                data = struct.pack("<f" if ty.kind == TypeKind.FLOAT else "<d", value)
            else:
                value = wrap(eval_int(new_cast(expr, ty)), ty)
                data = (value & ((1 << 8 * ty.size) - 1)).to_bytes(ty.size, "little")
        except NotConstant as e:
            self.diag.error(expr.tok, f"initializer element is not constant: {e}")
            return
        except OverflowError:  # beyond the largest float: infinity, as at run time
            data = struct.pack("<f", float("inf") if value > 0 else float("-inf"))
        buf[offset : offset + len(data)] = data
