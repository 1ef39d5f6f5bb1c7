"""The parser's expressions, loosest binding first, and constant expressions.

One method per precedence level, as C's grammar lists them. Each builds typed nodes (type.py),
so that `p + 1` scales by the size of `*p`; `a += b`, `a++` and `a > b` become simpler nodes
here. `ExpressionParser` is a part of parse.py's `Parser`.
"""

from __future__ import annotations

from appendix_ctoriscv.const_expr import NotConstant, eval_int, wrap
from appendix_ctoriscv.defs import Node, NodeKind, Obj, Token, TokenKind, Type, TypeKind
from appendix_ctoriscv.errors import ParseError
from appendix_ctoriscv.type import (
    DOUBLE,
    INT,
    UINT,
    add_type,
    check_conversion,
    find_member,
    func_type,
    integer_promote,
    is_arith,
    is_compatible,
    is_float,
    is_integer,
    is_pointer,
    is_scalar,
    is_struct,
    new_cast,
    pointer_to,
    type_name,
)

ASSIGN_OPS = {"+=": NodeKind.ADD, "-=": NodeKind.SUB, "*=": NodeKind.MUL, "/=": NodeKind.DIV}
ASSIGN_OPS |= {"%=": NodeKind.MOD, "&=": NodeKind.BITAND, "|=": NodeKind.BITOR}
ASSIGN_OPS |= {"^=": NodeKind.BITXOR, "<<=": NodeKind.SHL, ">>=": NodeKind.SHR}


class ExpressionParser:
    """Expressions (a part of parse.py's Parser)."""

    # *** 6. expressions, loosest binding first ***

    # expr = assign ("," expr)?
    def expr(self) -> Node:
        node = self.assign()
        if self.equal(","):
            tok = self.advance()
            return self.new_binary(NodeKind.COMMA, node, self.expr(), tok)
        return node

    def assignment(self, lhs: Node, rhs: Node, tok: Token, what: str | None = "assignment"):
        """`lhs = rhs`; `what` names the operation in the error if lhs is const (None: an
        initialiser, which may set a const object)."""
        if what is not None:
            self.check_writable(lhs, tok, what)
        return self.new_binary(NodeKind.ASSIGN, lhs, rhs, tok)

    # assign    = conditional (assign-op assign)?
    # assign-op = "=" | "+=" | "-=" | "*=" | "/=" | "%=" | "&=" | "|=" | "^=" | "<<=" | ">>="
    def assign(self) -> Node:
        node = self.conditional()
        if self.equal("="):
            tok = self.advance()
            return self.assignment(node, self.assign(), tok)
        if self.tok.text in ASSIGN_OPS and self.tok.kind == TokenKind.PUNCT:
            tok = self.advance()
            return self.compound_assign(ASSIGN_OPS[tok.text], node, self.assign(), tok)
        return node

    # --8<-- [start:compound_assign]
    def compound_assign(self, op: NodeKind, lhs: Node, rhs: Node, tok: Token,
                        what: str = "assignment") -> Node:
        """`a op= b` evaluates `a` once: `tmp = &a, *tmp = *tmp op b`."""
        if lhs.kind == NodeKind.VAR and lhs.ty.kind != TypeKind.ARRAY:
            return self.assignment(lhs, self.binary_op(op, lhs, rhs, tok), tok, what)
        addr = self.new_unary(NodeKind.ADDR, lhs, tok)
        tmp = self.new_temp(addr.ty)
        save = self.assignment(self.new_var_node(tmp, tok), addr, tok)
        target = self.new_unary(NodeKind.DEREF, self.new_var_node(tmp, tok), tok)
        self.check_writable(lhs, tok, what)
        update = self.assignment(target, self.binary_op(op, target, rhs, tok), tok, None)
        return self.new_binary(NodeKind.COMMA, save, update, tok)
    # --8<-- [end:compound_assign]

    def check_writable(self, lhs: Node, tok: Token, what: str) -> None:
        """gcc's error for changing a const object: "assignment of read-only variable 'x'"."""
        add_type(lhs, self.diag)
        const_inside = has_const_member(lhs.ty)  # a struct with a const member is read-only
        if not lhs.ty.is_const and not const_inside:
            return
        if lhs.kind == NodeKind.VAR:
            self.diag.error(tok, f"{what} of read-only variable '{lhs.var.name}'")
        elif lhs.kind == NodeKind.MEMBER and not lhs.member.ty.is_const and not const_inside:
            self.diag.error(tok, f"{what} of member '{lhs.member.name.text}' in read-only object")
        elif lhs.kind == NodeKind.MEMBER:
            self.diag.error(tok, f"{what} of read-only member '{lhs.member.name.text}'")
        elif lhs.kind == NodeKind.DEREF and lhs.lhs.kind == NodeKind.VAR:
            self.diag.error(tok, f"{what} of read-only location '*{lhs.lhs.var.name}'")
        else:
            self.diag.error(tok, f"{what} of read-only location")

    def binary_op(self, op: NodeKind, lhs: Node, rhs: Node, tok: Token) -> Node:
        if op == NodeKind.ADD:
            return self.new_add(lhs, rhs, tok)
        if op == NodeKind.SUB:
            return self.new_sub(lhs, rhs, tok)
        return self.new_binary(op, lhs, rhs, tok)

    # conditional = logor ("?" expr ":" conditional)?
    def conditional(self) -> Node:
        cond = self.logor()
        if not self.equal("?"):
            return cond
        tok = self.advance()
        node = Node(NodeKind.COND, tok, cond=cond, then=self.expr())
        self.skip(":")
        node.els = self.conditional()
        add_type(node, self.diag)
        return node

    # logor = logand ("||" logand)*
    def logor(self) -> Node:
        node = self.logand()
        while self.equal("||"):
            tok = self.advance()
            node = self.new_binary(NodeKind.LOGOR, node, self.logand(), tok)
        return node

    # logand = bitor ("&&" bitor)*
    def logand(self) -> Node:
        node = self.bitor()
        while self.equal("&&"):
            tok = self.advance()
            node = self.new_binary(NodeKind.LOGAND, node, self.bitor(), tok)
        return node

    # bitor = bitxor ("|" bitxor)*
    def bitor(self) -> Node:
        node = self.bitxor()
        while self.equal("|"):
            tok = self.advance()
            node = self.new_binary(NodeKind.BITOR, node, self.bitxor(), tok)
        return node

    # bitxor = bitand ("^" bitand)*
    def bitxor(self) -> Node:
        node = self.bitand()
        while self.equal("^"):
            tok = self.advance()
            node = self.new_binary(NodeKind.BITXOR, node, self.bitand(), tok)
        return node

    # bitand = equality ("&" equality)*
    def bitand(self) -> Node:
        node = self.equality()
        while self.equal("&"):
            tok = self.advance()
            node = self.new_binary(NodeKind.BITAND, node, self.equality(), tok)
        return node

    # equality = relational ("==" relational | "!=" relational)*
    def equality(self) -> Node:
        node = self.relational()
        while self.equal("==") or self.equal("!="):
            tok = self.advance()
            kind = NodeKind.EQ if tok.text == "==" else NodeKind.NE
            node = self.new_binary(kind, node, self.relational(), tok)
        return node

    # --8<-- [start:relational]
    # relational = shift ("<" shift | "<=" shift | ">" shift | ">=" shift)*
    def relational(self) -> Node:
        # EXERCISE A.3: parse a chain of < <= > >=, left-associative; a > b is b < a
        node = self.shift()
        while self.tok.text in ("<", "<=", ">", ">=") and self.tok.kind == TokenKind.PUNCT:
            tok = self.advance()
            rhs = self.shift()
            if tok.text == "<":
                node = self.new_binary(NodeKind.LT, node, rhs, tok)
            elif tok.text == "<=":
                node = self.new_binary(NodeKind.LE, node, rhs, tok)
            elif tok.text == ">":
                node = self.new_binary(NodeKind.LT, rhs, node, tok)
            else:
                node = self.new_binary(NodeKind.LE, rhs, node, tok)
        return node
        # END EXERCISE
    # --8<-- [end:relational]

    # shift = add ("<<" add | ">>" add)*
    def shift(self) -> Node:
        node = self.add()
        while self.equal("<<") or self.equal(">>"):
            tok = self.advance()
            kind = NodeKind.SHL if tok.text == "<<" else NodeKind.SHR
            node = self.new_binary(kind, node, self.add(), tok)
        return node

    # --8<-- [start:new_add]
    def new_add(self, lhs: Node, rhs: Node, tok: Token) -> Node:
        """`+` on numbers, or pointer + integer scaled by the size of the pointee."""
        add_type(lhs, self.diag)
        add_type(rhs, self.diag)
        if is_integer(lhs.ty) and is_pointer(rhs.ty):  # num + ptr -> ptr + num
            lhs, rhs = rhs, lhs
        if not (is_pointer(lhs.ty) and is_integer(rhs.ty)):
            return self.new_binary(NodeKind.ADD, lhs, rhs, tok)  # numbers, or an error
        offset = self.scaled(rhs, lhs.ty.base, tok)
        return Node(NodeKind.ADD, tok, lhs=lhs, rhs=offset, ty=pointer_to(lhs.ty.base))
    # --8<-- [end:new_add]

    def new_sub(self, lhs: Node, rhs: Node, tok: Token) -> Node:
        """`-` on numbers, pointer - integer, or pointer - pointer (a count of elements)."""
        add_type(lhs, self.diag)
        add_type(rhs, self.diag)
        if is_pointer(lhs.ty) and is_integer(rhs.ty):
            offset = self.scaled(rhs, lhs.ty.base, tok)
            return Node(NodeKind.SUB, tok, lhs=lhs, rhs=offset, ty=pointer_to(lhs.ty.base))
        if is_pointer(lhs.ty) and is_pointer(rhs.ty):
            if not is_compatible(lhs.ty.base, rhs.ty.base):
                have = f"'{type_name(lhs.ty)}' and '{type_name(rhs.ty)}'"
                self.diag.error(tok, f"invalid operands to binary - (have {have})")
            bytes_apart = Node(NodeKind.SUB, tok, lhs=lhs, rhs=rhs, ty=INT)
            size = self.new_num(max(lhs.ty.base.size, 1), tok)
            return self.new_binary(NodeKind.DIV, bytes_apart, size, tok)
        return self.new_binary(NodeKind.SUB, lhs, rhs, tok)

    def scaled(self, index: Node, elem: Type, tok: Token) -> Node:
        """index * sizeof(elem), the byte offset of element `index`."""
        if elem.kind == TypeKind.VOID or elem.size < 0:
            self.diag.error(tok, f"pointer arithmetic on '{type_name(elem)} *'")
        index = new_cast(index, INT)
        add_type(index, self.diag)
        return self.new_binary(NodeKind.MUL, index, self.new_num(max(elem.size, 1), tok), tok)

    # add = mul ("+" mul | "-" mul)*
    def add(self) -> Node:
        node = self.mul()
        while self.equal("+") or self.equal("-"):
            tok = self.advance()
            if tok.text == "+":
                node = self.new_add(node, self.mul(), tok)
            else:
                node = self.new_sub(node, self.mul(), tok)
        return node

    # mul = cast ("*" cast | "/" cast | "%" cast)*
    def mul(self) -> Node:
        node = self.cast()
        kinds = {"*": NodeKind.MUL, "/": NodeKind.DIV, "%": NodeKind.MOD}
        while self.tok.text in kinds and self.tok.kind == TokenKind.PUNCT:
            tok = self.advance()
            node = self.new_binary(kinds[tok.text], node, self.cast(), tok)
        return node

    # cast = "(" type-name ")" cast | unary
    def cast(self) -> Node:
        if self.equal("(") and self.is_typename_at(1):
            tok = self.advance()
            ty = self.typename()
            self.skip(")")
            expr = self.cast()
            add_type(expr, self.diag)
            if ty.kind in (TypeKind.ARRAY, TypeKind.FUNC):
                what = "array" if ty.kind == TypeKind.ARRAY else "function"
                self.diag.error(tok, f"cast specifies {what} type")
            elif (is_float(ty) and is_pointer(expr.ty)) or (is_pointer(ty) and is_float(expr.ty)):
                self.diag.error(tok, f"cannot cast '{type_name(expr.ty)}' to '{type_name(ty)}'")
            elif ty.kind != TypeKind.VOID and not (is_scalar(ty) and is_scalar(expr.ty)):
                self.diag.error(tok, f"cannot cast '{type_name(expr.ty)}' to '{type_name(ty)}'")
            node = Node(NodeKind.CAST, tok, ty=ty, lhs=expr)
            return node
        return self.unary()

    def is_typename_at(self, offset: int) -> bool:
        return self.is_typename(offset)

    # unary = ("+" | "-" | "*" | "&" | "!" | "~") cast
    #       | ("++" | "--") unary
    #       | "sizeof" "(" type-name ")"
    #       | "sizeof" unary
    #       | postfix
    def unary(self) -> Node:
        tok = self.tok
        kinds = {"-": NodeKind.NEG, "*": NodeKind.DEREF, "&": NodeKind.ADDR, "!": NodeKind.NOT}
        kinds["~"] = NodeKind.BITNOT
        if tok.kind != TokenKind.PUNCT and tok.text != "sizeof":
            return self.postfix()
        if self.consume("+"):
            node = self.cast()
            add_type(node, self.diag)
            if not is_arith(node.ty):
                self.diag.error(tok, f"wrong type argument to unary + ('{type_name(node.ty)}')")
                return node
            return new_cast(node, integer_promote(node.ty))
        if tok.text in kinds:
            self.advance()
            return self.new_unary(kinds[tok.text], self.cast(), tok)
        if self.consume("++") or self.consume("--"):
            op = NodeKind.ADD if tok.text == "++" else NodeKind.SUB
            what = "increment" if tok.text == "++" else "decrement"
            return self.compound_assign(op, self.unary(), self.new_num(1, tok), tok, what)
        if self.consume("sizeof"):
            if self.equal("(") and self.is_typename_at(1):
                self.advance()
                operand = self.tok
                ty = self.typename()
                self.skip(")")
            else:
                expr = self.unary()
                add_type(expr, self.diag)
                operand, ty = expr.tok, expr.ty
            kind = {TypeKind.FUNC: "a function type", TypeKind.VOID: "a void type"}.get(ty.kind)
            if kind is not None or ty.size < 0:  # in gcc's words, at the operand
                kind = kind or f"incomplete type '{type_name(ty)}'"
                self.diag.error(operand, f"invalid application of 'sizeof' to {kind}")
            return self.new_num(ty.size, tok, UINT)  # size_t is unsigned int on ILP32
        return self.postfix()

    # postfix = primary ("[" expr "]" | "(" func-args ")" | "." ident | "->" ident | "++" | "--")*
    def postfix(self) -> Node:
        node = self.primary()
        while True:
            tok = self.tok
            if self.consume(".") or self.consume("->"):
                node = self.member_access(node, tok)
                continue
            if self.consume("("):
                node = self.call(node, tok, self.func_args())
                continue
            if self.consume("["):
                index = self.expr()
                self.skip("]")
                add_type(node, self.diag)
                add_type(index, self.diag)
                if not (is_pointer(node.ty) or is_pointer(index.ty)):
                    self.diag.error(tok, "subscripted value is neither array nor pointer")
                    node = self.new_num(0, tok)
                    continue
                if not is_integer(index.ty if is_pointer(node.ty) else node.ty):
                    self.diag.error(tok, "array subscript is not an integer")
                    # element 0 of the array or pointer: its type, and no cascade
                    node, index = node if is_pointer(node.ty) else index, self.new_num(0, tok)
                node = self.new_unary(NodeKind.DEREF, self.new_add(node, index, tok), tok)
            elif self.consume("++") or self.consume("--"):
                node = self.post_incdec(node, tok)
            else:
                return node

    # --8<-- [start:member_access]
    def member_access(self, node: Node, op: Token) -> Node:
        """`s.x`, and `p->x` as `(*p).x`: a MEMBER node at the member's offset."""
        add_type(node, self.diag)
        if op.text == "->":
            if not (is_pointer(node.ty) and is_struct(node.ty.base)):
                self.fail(op, f"invalid type argument of '->' (have '{type_name(node.ty)}')")
            node = self.new_unary(NodeKind.DEREF, node, op)
        if self.tok.kind != TokenKind.IDENT:
            self.fail(self.tok, "expected identifier" + self.before())
        name = self.advance()
        if not is_struct(node.ty):
            self.fail(op, f"request for member '{name.text}' in something not a structure "
                      "or union")
        if node.ty.size < 0:
            self.fail(name, f"invalid use of undefined type '{type_name(node.ty)}'")
        member = find_member(node.ty, name.text)
        if member is None:
            self.fail(name, f"'{type_name(node.ty)}' has no member named '{name.text}'")
        result = Node(NodeKind.MEMBER, name, lhs=node, member=member)
        add_type(result, self.diag)
        return result
    # --8<-- [end:member_access]

    def post_incdec(self, node: Node, tok: Token) -> Node:
        """`a++` is `(a += 1) - 1`, cast back to the type of `a`."""
        add_type(node, self.diag)
        ty = node.ty
        op, back = (NodeKind.ADD, -1) if tok.text == "++" else (NodeKind.SUB, 1)
        what = "increment" if tok.text == "++" else "decrement"
        if is_float(ty):  # (x + 1) - 1 need not be x in floating point: keep the old value
            return self.float_post_incdec(node, op, tok, what)
        updated = self.compound_assign(op, node, self.new_num(1, tok), tok, what)
        if is_pointer(ty):
            return self.new_add(updated, self.new_num(back, tok), tok)
        result = self.new_add(updated, self.new_num(back, tok), tok)
        return new_cast(result, ty)

    def float_post_incdec(self, node: Node, op: NodeKind, tok: Token, what: str) -> Node:
        """`x++` on a float: `(p = &x, old = *p, *p = old + 1, old)`."""
        self.check_writable(node, tok, what)
        ptr = self.new_temp(pointer_to(node.ty))
        old = self.new_temp(node.ty)
        save = self.assignment(self.new_var_node(ptr, tok), self.new_unary(NodeKind.ADDR, node,
                                                                           tok), tok)  # fmt: skip
        target = self.new_unary(NodeKind.DEREF, self.new_var_node(ptr, tok), tok)
        keep = self.assignment(self.new_var_node(old, tok), target, tok)
        step = self.binary_op(op, self.new_var_node(old, tok), self.new_num(1, tok), tok)
        update = self.assignment(target, step, tok, None)
        chain = self.new_binary(NodeKind.COMMA, save, keep, tok)
        chain = self.new_binary(NodeKind.COMMA, chain, update, tok)
        return self.new_binary(NodeKind.COMMA, chain, self.new_var_node(old, tok), tok)

    # primary = "(" expr ")" | ident | str | num
    #         | "__builtin_va_start" "(" ")" | "__builtin_va_arg" "(" assign "," type-name ")"
    def primary(self) -> Node:
        tok = self.tok
        if self.consume("("):
            node = self.expr()
            self.skip(")")
            return node
        if tok.kind == TokenKind.IDENT:
            self.advance()
            if tok.text in ("__builtin_va_start", "__builtin_va_arg"):
                return self.va_builtin(tok)
            var = self.find_var(tok.text)
            if var is None and self.equal("("):
                return self.implicit_function(tok)
            if var is None:
                self.diag.error(tok, f"'{tok.text}' undeclared")
                # declare it as an int, so that each later use is not one more error
                if self.fn is not None:
                    var = self.new_lvar(tok.text, INT, tok)
                else:
                    var = Obj(tok.text, INT, tok, is_local=True)
            if var.is_typedef:
                self.fail(tok, f"expected expression before '{tok.text}'")
            if var.enum_value is not None:
                return self.new_num(var.enum_value, tok)
            self.used.add(var)
            return self.new_var_node(var, tok)
        if tok.kind == TokenKind.STR:
            self.advance()
            return self.new_var_node(self.new_string_literal(tok), tok)
        if tok.kind == TokenKind.NUM:
            self.advance()
            if is_float(tok.ty):
                return Node(NodeKind.NUM, tok, ty=tok.ty, fval=tok.fval)
            return self.new_num(wrap(tok.val, tok.ty), tok, tok.ty)
        self.fail(tok, "expected expression" + self.before())

    def implicit_function(self, name: Token) -> Node:
        """A call of an undeclared name: C89 declares it `int name();`, C99 forbids it."""
        msg = f"implicit declaration of function '{name.text}'"
        if self.std == "c89":
            self.diag.warning(name, msg)
        else:
            self.diag.error(name, msg)
        fn = self.new_gvar(name.text, func_type(INT), name, False)
        fn.ty.has_prototype = False
        return self.new_var_node(fn, name)

    # func-args = (assign ("," assign)*)? ")"
    def func_args(self) -> list[Node]:
        args = []
        while not self.equal(")"):
            if args:
                self.skip(",")
            arg = self.assign()
            add_type(arg, self.diag)
            args.append(arg)
        self.skip(")")
        return args

    # --8<-- [start:call]
    def call(self, fn: Node, tok: Token, args: list[Node]) -> Node:
        """A call of a function by name, or through a pointer (`fp(x)`, `(*fp)(x)`); the
        arguments convert to the parameter types as by assignment, those without a parameter
        (C89's `int f()`, or after `...`) by the default argument promotions."""
        add_type(fn, self.diag)
        ty = fn.ty.base if fn.ty.kind == TypeKind.PTR else fn.ty
        named = fn.kind == NodeKind.VAR and fn.ty.kind == TypeKind.FUNC
        what = f" '{fn.var.name}'" if fn.kind == NodeKind.VAR else ""  # gcc names a variable
        if ty is None or ty.kind != TypeKind.FUNC:
            self.diag.error(fn.tok, f"called object{what} is not a function or function pointer")
            return self.new_num(0, tok)
        node = Node(NodeKind.FUNCALL, fn.tok, func_ty=ty, ty=ty.return_ty)
        if named:
            node.func_name = fn.var.asm_name or fn.var.name
        else:
            node.lhs = fn
        if is_struct(ty.return_ty) and ty.return_ty.size < 0:
            self.diag.error(tok, f"invalid use of incomplete type '{type_name(ty.return_ty)}'")
        if ty.has_prototype and (len(args) < len(ty.params) or (
                len(args) > len(ty.params) and not ty.is_variadic)):
            few = "few" if len(args) < len(ty.params) else "many"
            self.diag.error(node.tok, f"too {few} arguments to function{what}")
        for i, arg in enumerate(args):
            if ty.has_prototype and i < len(ty.params):
                action = f"passing argument {i + 1} of{what or ' function'}"
                check_conversion(ty.params[i], arg, self.diag, arg.tok, action)
                arg = new_cast(arg, ty.params[i])
            elif arg.ty.kind == TypeKind.VOID:
                self.diag.error(arg.tok, "void value not ignored as it ought to be")
            elif is_pointer(arg.ty) or arg.ty.kind == TypeKind.FUNC:
                base = arg.ty if arg.ty.kind == TypeKind.FUNC else arg.ty.base
                arg = new_cast(arg, pointer_to(base))
            elif is_integer(arg.ty):  # the default argument promotions
                arg = new_cast(arg, integer_promote(arg.ty))
            elif arg.ty.kind == TypeKind.FLOAT:  # ... which make a float a double
                arg = new_cast(arg, DOUBLE)
            node.args.append(arg)
        return node
    # --8<-- [end:call]

    def va_builtin(self, tok: Token) -> Node:
        """<stdarg.h>'s va_start(ap, last) is `ap = __builtin_va_start()`, and va_arg(ap, T)
        `__builtin_va_arg(ap, T)`: the unnamed arguments lie in memory one after another, in
        4-byte words (see codegen.py's frame of a variadic function), so va_arg aligns ap to
        8 for an 8-byte-aligned type, reads the value there and steps ap over it."""
        self.skip("(")
        if tok.text == "__builtin_va_start":
            if self.fn is None or not self.fn.ty.is_variadic:
                self.diag.error(tok, "'va_start' used in function with fixed arguments")
            self.skip(")")
            node = Node(NodeKind.VA_START, tok)
            add_type(node, self.diag)
            return node
        ap = self.assign()
        self.skip(",")
        ty = self.typename()
        self.skip(")")
        add_type(ap, self.diag)
        if not (is_pointer(ap.ty) and ap.ty.base.size == 1):
            self.fail(ap.tok, "first argument to 'va_arg' not of type 'va_list'")
        by_reference = is_struct(ty) and ty.size > 8  # passed as a pointer to a copy
        slot = 4 if by_reference else (ty.size + 3) // 4 * 4
        align = 8 if ty.align >= 8 and not by_reference else 4
        # p = (char *)(((unsigned)ap + align - 1) & -align); ap = p + slot; *(T *)p
        start = new_cast(ap, UINT)
        start = self.new_binary(NodeKind.ADD, start, self.new_num(align - 1, tok, UINT), tok)
        start = self.new_binary(NodeKind.BITAND, start, self.new_num(-align, tok, UINT), tok)
        start = Node(NodeKind.CAST, tok, ty=ap.ty, lhs=start)
        tmp = self.new_temp(ap.ty)
        save = self.assignment(self.new_var_node(tmp, tok), start, tok)
        step = self.new_add(self.new_var_node(tmp, tok), self.new_num(slot, tok), tok)
        update = self.assignment(ap, step, tok)
        where = Node(NodeKind.CAST, tok, ty=pointer_to(ty), lhs=self.new_var_node(tmp, tok))
        if by_reference:
            where = Node(NodeKind.CAST, tok, ty=pointer_to(pointer_to(ty)), lhs=where.lhs)
            where = self.new_unary(NodeKind.DEREF, where, tok)
        value = self.new_unary(NodeKind.DEREF, where, tok)
        return self.new_binary(NodeKind.COMMA, self.new_binary(NodeKind.COMMA, save, update, tok),
                               value, tok)

    # *** 7. constant expressions (evaluated by const_expr.py) ***

    def const_expr_value(self) -> int:
        """Parse a conditional-expression that must be an integer constant; its value."""
        node = self.conditional()
        add_type(node, self.diag)
        try:
            return eval_int(node)
        except NotConstant as e:
            self.diag.error(node.tok, f"expression is not an integer constant: {e}")
            return 0

    def preprocessor_value(self) -> int:
        """The value of an #if line (the preprocessor has replaced every name by a number)."""
        try:
            value = self.const_expr_value()
        except ParseError:
            return 0
        if self.tok.kind != TokenKind.EOF:
            self.diag.error(self.tok, f"missing binary operator before token '{self.tok.text}'")
        return value


def has_const_member(ty: Type) -> bool:
    """Whether a struct or union has a const member, at any depth (in arrays and nested
    structs too): C forbids assigning such an object as a whole."""
    if not is_struct(ty):
        return False
    for member in ty.members:
        inner = member.ty
        while inner.kind == TypeKind.ARRAY:
            inner = inner.base
        if inner.is_const or has_const_member(inner):
            return True
    return False
