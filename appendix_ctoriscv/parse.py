"""The parser: preprocessed tokens -> the program's global Objs, each function with its AST.

A recursive-descent `Parser` with one method per grammar production, the EBNF above each, in
C's precedence order. It types each expression as it builds it (type.py: `p + 1` depends on the
type of `p`), lowers `a += b`, `a++` and `a > b` to simpler nodes, and resolves scopes, `break`,
`continue` and `goto`. After a syntax error it skips to the end of the statement and goes on.
Left out: struct, union, enum, typedef, floating point, function pointers, variadic functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appendix_ctoriscv.const_expr import NotConstant, eval_int, eval_reloc, wrap
from appendix_ctoriscv.defs import Node, NodeKind, Obj, Token, TokenKind, Type, TypeKind
from appendix_ctoriscv.errors import Diagnostics
from appendix_ctoriscv.type import (
    CHAR,
    INT,
    LONG,
    SCHAR,
    SHORT,
    UCHAR,
    UINT,
    ULONG,
    USHORT,
    VOID,
    add_type,
    array_of,
    check_conversion,
    const_of,
    func_type,
    integer_promote,
    is_compatible,
    is_integer,
    is_pointer,
    is_scalar,
    new_cast,
    pointer_to,
    type_name,
)

# *** 1. declaration specifiers as a table ***

# The words of a type specifier, sorted, -> the type. `int` is optional after short/long/signed/
# unsigned, so "unsigned" and "int unsigned" name the same type.
TYPE_SPECIFIERS = {
    ("void",): VOID,
    ("char",): CHAR,
    ("char", "signed"): SCHAR,
    ("char", "unsigned"): UCHAR,
    ("short",): SHORT,
    ("short", "signed"): SHORT,
    ("short", "unsigned"): USHORT,
    ("int",): INT,
    ("signed",): INT,
    ("unsigned",): UINT,
    ("long",): LONG,
    ("long", "signed"): LONG,
    ("long", "unsigned"): ULONG,
}
TYPE_WORDS = {"void", "char", "short", "int", "long", "signed", "unsigned"}
DATA_TYPE_WORDS = {"void", "char", "int"}  # at most one of these: `char int` is no type
STORAGE_WORDS = {"static", "extern", "auto", "register"}
QUALIFIER_WORDS = {"const", "volatile"}
UNSUPPORTED_WORDS = {"struct", "union", "enum", "typedef", "float", "double"}

ASSIGN_OPS = {"+=": NodeKind.ADD, "-=": NodeKind.SUB, "*=": NodeKind.MUL, "/=": NodeKind.DIV}
ASSIGN_OPS |= {"%=": NodeKind.MOD, "&=": NodeKind.BITAND, "|=": NodeKind.BITOR}
ASSIGN_OPS |= {"^=": NodeKind.BITXOR, "<<=": NodeKind.SHL, ">>=": NodeKind.SHR}


MAX_OBJECT_SIZE = 2**31 - 1  # gcc's limit on ILP32: a pointer difference must fit an int
MAX_STATIC_SIZE = 1 << 26  # emu.py's address space: a larger global could never be loaded


class ParseError(Exception):
    """A syntax error, already reported; caught where the parser can resynchronise."""


@dataclass
class Initializer:
    """An initialiser's shape: an expression for a scalar, one child per element for an array."""

    ty: Type
    expr: Node | None = None
    children: list[Initializer] = field(default_factory=list)


def new_initializer(ty: Type) -> Initializer:
    init = Initializer(ty)
    if ty.kind == TypeKind.ARRAY and ty.array_len > 0:
        init.children = [new_initializer(ty.base) for _ in range(ty.array_len)]
    return init


# *** 2. the parser ***


# --8<-- [start:parser_init]
class Parser:
    """Recursive descent over a token list; `self.pos` is the cursor (chibicc's `Token **rest`)."""

    def __init__(self, tokens: list[Token], diag: Diagnostics, std: str = "c99"):
        self.tokens, self.pos, self.diag, self.std = tokens, 0, diag, std
        self.scopes: list[dict[str, Obj]] = [{}]
        self.globals: list[Obj] = []
        self.fn: Obj | None = None  # the function being parsed
        self.brk_labels: list[str] = []  # innermost last
        self.cont_labels: list[str] = []
        self.switch: Node | None = None
        self.gotos: list[Node] = []
        self.labels: dict[str, Node] = {}
        self.used: set[Obj] = set()  # variables read or written somewhere, for -Wunused
        self.unique = 0
        self.paren_ends: list[int] | None = None  # see skip_parens
# --8<-- [end:parser_init]

    # -- the token cursor: chibicc's vocabulary --

    # --8<-- [start:parser_cursor]
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != TokenKind.EOF:
            self.pos += 1
        return tok

    def equal(self, text: str, offset: int = 0) -> bool:
        tok = self.tokens[min(self.pos + offset, len(self.tokens) - 1)]
        return tok.text == text and tok.kind in (TokenKind.PUNCT, TokenKind.KEYWORD)

    def consume(self, text: str) -> bool:
        if self.equal(text):
            self.pos += 1
            return True
        return False

    def skip(self, text: str) -> Token:
        """Step over `text`, or report "expected" and abandon the construct."""
        if not self.equal(text):
            where = self.missing_at() if text == ";" else self.tok
            self.fail(where, f"expected '{text}'" + self.before())
        return self.advance()
    # --8<-- [end:parser_cursor]

    # --8<-- [start:missing_at]
    def missing_at(self) -> Token:
        """Where a missing `;` goes: just after the previous token if the next one starts a new
        line (as gcc points), so the caret is on the line that lacks it."""
        prev = self.tokens[self.pos - 1] if self.pos > 0 else self.tok
        if prev is self.tok or (prev.file is self.tok.file and prev.line == self.tok.line):
            return self.tok
        return Token(TokenKind.EOF, "", prev.file, prev.line, prev.col + len(prev.text))
    # --8<-- [end:missing_at]

    def before(self) -> str:
        if self.tok.kind == TokenKind.EOF:
            return " at end of input"
        return f" before '{self.tok.text}'"

    def fail(self, tok: Token, message: str):
        self.diag.error(tok, message)
        raise ParseError

    def new_label(self, name: str) -> str:
        self.unique += 1
        return f".L.{name}.{self.unique}"

    # -- node constructors --

    def new_binary(self, kind: NodeKind, lhs: Node, rhs: Node, tok: Token) -> Node:
        node = Node(kind, tok, lhs=lhs, rhs=rhs)
        add_type(node, self.diag)
        return node

    def new_unary(self, kind: NodeKind, expr: Node, tok: Token) -> Node:
        node = Node(kind, tok, lhs=expr)
        add_type(node, self.diag)
        return node

    def new_num(self, val: int, tok: Token, ty: Type = INT) -> Node:
        return Node(NodeKind.NUM, tok, ty=ty, val=val)

    def new_var_node(self, var: Obj, tok: Token) -> Node:
        return Node(NodeKind.VAR, tok, ty=var.ty, var=var)

    # -- scopes and objects --

    def find_var(self, name: str) -> Obj | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def new_lvar(self, name: str, ty: Type, tok: Token | None) -> Obj:
        var = Obj(name, ty, tok, is_local=True)
        if self.fn is not None:  # else an error is on its way: code outside a function
            self.fn.locals.append(var)
        if tok is not None:
            self.bind(tok, var)
        return var

    # --8<-- [start:bind]
    def bind(self, name: Token, obj: Obj) -> None:
        """Enter `obj` into the innermost block scope. A name may be declared twice in one block
        only if both declarations have linkage (`extern int x; extern int x;`)."""
        old = self.scopes[-1].get(name.text)
        if old is not None and not (has_linkage(old) and has_linkage(obj)):
            note = f"previous declaration of '{name.text}' with type '{type_name(old.ty)}'"
            self.diag.error(name, f"redeclaration of '{name.text}' with no linkage",
                            [(old.tok, note)] if old.tok is not None else [])
        self.scopes[-1][name.text] = obj
    # --8<-- [end:bind]

    def new_gvar(self, name: str, ty: Type, tok: Token | None, is_static: bool,
                 storage: str | None = None) -> Obj:
        """A global object, merged with an earlier declaration of the same name."""
        old = self.scopes[0].get(name)
        if old is not None and not old.is_local:
            notes = [(old.tok, self.previous(old))] if old.tok is not None else []
            if not is_compatible(old.ty, ty):
                self.diag.error(tok, f"conflicting types for '{name}'; have '{type_name(ty)}'",
                                notes)
            elif is_static and not old.is_static:  # the first declaration gave it linkage
                self.diag.error(tok, f"static declaration of '{name}' follows non-static "
                                "declaration", notes)
            elif old.is_static and storage is None and ty.kind != TypeKind.FUNC:
                self.diag.error(tok, f"non-static declaration of '{name}' follows static "
                                "declaration", notes)
            elif old.ty.kind == TypeKind.ARRAY and old.ty.array_len < 0:
                old.ty = ty  # `extern int a[];` completed by `int a[3];`
            return old
        var = Obj(name, ty, tok, is_local=False, asm_name=name, is_static=is_static)
        self.globals.append(var)
        self.scopes[0][name] = var
        return var

    def previous(self, old: Obj) -> str:
        """gcc's note on an earlier declaration: "previous definition of 'f' with type ..."."""
        defined = old.body is not None or old.init_data is not None
        what = "definition" if defined else "declaration"
        return f"previous {what} of '{old.name}' with type '{type_name(old.ty)}'"

    def new_string_literal(self, tok: Token) -> Obj:
        self.unique += 1
        var = Obj(f".L..{self.unique}", tok.ty, tok, is_local=False, is_static=True)
        var.asm_name, var.is_definition, var.init_data = var.name, True, tok.str_val
        self.globals.append(var)
        return var

    def new_temp(self, ty: Type) -> Obj:
        return self.new_lvar("", ty, None)

    # *** 3. declarations ***

    def is_typename(self) -> bool:
        words = TYPE_WORDS | STORAGE_WORDS | QUALIFIER_WORDS | UNSUPPORTED_WORDS
        return self.tok.kind == TokenKind.KEYWORD and self.tok.text in words

    # declspec = ("void" | "char" | "short" | "int" | "long" | "signed" | "unsigned"
    #             | "static" | "extern" | "auto" | "register" | "const" | "volatile")+
    def declspec(self, expected: str = "identifier or '('") -> tuple[Type, str | None]:
        """The type and the storage class (static, extern or None) that start a declaration;
        `expected` is what gcc says was expected where there is none (at file scope, a name)."""
        start = self.tok
        words, storage, const = [], None, False
        while self.is_typename():
            tok = self.advance()
            if tok.text in UNSUPPORTED_WORDS:  # then stay silent: no cascade of guesses
                self.diag.error(tok, f"'{tok.text}' is not supported by this compiler")
                self.diag.mute()
                raise ParseError
            if tok.text == "const":
                const = True
            if tok.text in STORAGE_WORDS:
                if storage is not None:
                    self.diag.error(tok, "multiple storage classes in declaration specifiers")
                storage = tok.text
            elif tok.text in TYPE_WORDS:
                if tok.text in DATA_TYPE_WORDS and DATA_TYPE_WORDS.intersection(words):
                    self.fail(tok, "two or more data types in declaration specifiers")
                words.append(tok.text)
        if not words:
            if storage is None:
                if start.kind == TokenKind.IDENT:
                    self.fail(start, f"unknown type name '{start.text}'")
                self.fail(start, f"expected {expected}" + self.before())
            self.diag.warning(start, "type defaults to 'int' in declaration")
            return (const_of(INT) if const else INT), storage
        if "int" in words and len(words) > 1:
            words.remove("int")
        ty = TYPE_SPECIFIERS.get(tuple(sorted(words)))
        if ty is None:
            self.fail(start, f"invalid combination of type specifiers '{' '.join(words)}'")
        return (const_of(ty) if const else ty), storage

    # --8<-- [start:declarator]
    # declarator = "*"* ("(" declarator ")" | ident?) type-suffix
    def declarator(self, ty: Type) -> tuple[Type, Token | None]:
        """The type and name declared by `*p[3]`-style syntax around a base type."""
        while self.consume("*"):
            ty = pointer_to(ty)
            while self.tok.text in QUALIFIER_WORDS and self.tok.kind == TokenKind.KEYWORD:
                if self.advance().text == "const":  # `int *const p`: p itself is read-only
                    ty = const_of(ty)
        if self.equal("(") and not self.is_param_list_start():
            # `(*p)[3]`: the suffix after the parentheses binds first, so parse it, then come
            # back and parse the parenthesised part with the resulting type
            start = self.pos
            self.skip_parens()  # not parsed twice: that would double the work at every level
            ty = self.type_suffix(ty)
            end = self.pos
            self.pos = start + 1
            ty, name = self.declarator(ty)
            self.skip(")")
            self.pos = end
            if points_to_function(ty):  # `int (*f)(int)`
                self.fail(self.tokens[start], "function pointers are not supported by this "
                          "compiler")
            return ty, name
        name = None
        if self.tok.kind == TokenKind.IDENT:
            name = self.advance()
        suffix = self.tok
        ty = self.type_suffix(ty)
        self.check_declared_type(ty, name or suffix, name is not None)
        return ty, name
    # --8<-- [end:declarator]

    def check_declared_type(self, ty: Type, where: Token, named: bool) -> None:
        """What C forbids in a declarator's type, in gcc's words: arrays of void, and arrays
        (even behind a pointer, even in a type name) over 2^31-1 bytes, the largest object
        whose pointer difference an int holds. Arrays are checked inner first, as gcc builds
        them: `int a[X][Y]` makes int[Y] before int[X][Y]."""
        parts = []
        while ty.kind in (TypeKind.PTR, TypeKind.ARRAY, TypeKind.FUNC):
            parts.append(ty)
            ty = ty.return_ty if ty.kind == TypeKind.FUNC else ty.base
        name = f"'{where.text}'" if named else ""
        for part in reversed(parts):
            if part.kind != TypeKind.ARRAY:
                continue
            if part.base.kind == TypeKind.VOID:
                self.diag.error(where, f"declaration of {name or 'type name'} as array of voids")
            elif part.array_len > MAX_OBJECT_SIZE:  # the element count itself is too large
                array = f"array {name}" if named else "unnamed array"
                self.diag.error(where, f"size of {array} is too large")
            elif part.size > MAX_OBJECT_SIZE:  # gcc gives the size when it fits in 32 bits
                size = f" '{part.size}'" if part.size < 2**32 else ""
                size = f"size{size} of array {name}".rstrip()
                self.diag.error(where, f"{size} exceeds maximum object size '{MAX_OBJECT_SIZE}'")
            else:
                continue
            return

    def skip_parens(self) -> None:
        """Step over `( ... )` with what it nests; fail at `;`, `{` or the end of the input.

        In one step: scanning to the `)` at every level of `int ((((x))));` would take time
        quadratic in the depth, so the first call pairs every `(` of the input with its `)`.
        """
        if self.paren_ends is None:
            self.paren_ends = match_parens(self.tokens)
        end = self.paren_ends[self.pos]
        if self.tokens[end].text != ")":
            self.pos = end
            self.fail(self.tok, "expected ')'" + self.before())
        self.pos = end + 1

    def is_param_list_start(self) -> bool:
        """After a missing name, `(` opens a parameter list, as in the abstract `int (int)`."""
        nxt = self.tokens[self.pos + 1]
        return nxt.text == ")" or (nxt.kind == TokenKind.KEYWORD and nxt.text in TYPE_WORDS)

    # type-suffix = "(" func-params | "[" const-expr? "]" type-suffix | ε
    def type_suffix(self, ty: Type) -> Type:
        if self.consume("("):
            return self.func_params(ty)
        if self.equal("["):
            tok = self.advance()
            length = -1
            if not self.equal("]"):
                length = self.const_expr_value()
                if length < 0:
                    self.diag.error(tok, "size of array is negative")
                    length = 1
            self.skip("]")
            base = self.type_suffix(ty)
            if base.size < 0:
                self.diag.error(tok, "array type has incomplete element type")
            if base.kind == TypeKind.FUNC:
                self.diag.error(tok, "declaration of array of functions")
            return array_of(base, length)
        return ty

    # func-params = ("void" | param ("," param)* ("," "...")? | ident ("," ident)*)? ")"
    # param       = declspec declarator
    def func_params(self, return_ty: Type) -> Type:
        ty = func_type(return_ty)
        if return_ty.kind in (TypeKind.ARRAY, TypeKind.FUNC):
            self.diag.error(self.tok, "function cannot return an array or a function")
        if self.consume(")"):
            ty.has_prototype = False  # C89's `int f()`: the parameters are not given
            return ty
        if self.tok.kind == TokenKind.IDENT:  # C89's old style, `int f(a, b) int a; {`
            ty.has_prototype = False
            while True:
                ty.param_names.append(self.advance())
                ty.params.append(INT)  # unless a declaration before the body says otherwise
                if not self.consume(","):
                    break
                if self.tok.kind != TokenKind.IDENT:
                    self.fail(self.tok, "expected identifier" + self.before())
            self.skip(")")
            return ty
        if self.equal("void") and self.equal(")", 1):
            self.pos += 2
            return ty
        while True:
            if self.consume("..."):
                self.diag.error(self.tokens[self.pos - 1], "variadic functions are not supported")
                break
            param_ty, _ = self.declspec("declaration specifiers or '...'")
            param_ty, name = self.declarator(param_ty)
            if param_ty.kind == TypeKind.ARRAY:  # `int a[]` as a parameter means `int *a`
                param_ty = pointer_to(param_ty.base)
            elif param_ty.kind == TypeKind.VOID:
                self.diag.error(name or self.tok, "parameter has void type")
            elif param_ty.kind == TypeKind.FUNC:  # `int g(int)` as a parameter is a pointer
                self.diag.error(name or self.tok, "function pointers are not supported by this "
                                "compiler")
            ty.params.append(param_ty)
            ty.param_names.append(name)
            if not self.consume(","):
                break
        self.skip(")")
        return ty

    # abstract-declarator = "*"* ("(" abstract-declarator ")")? type-suffix
    # type-name           = declspec abstract-declarator
    def typename(self) -> Type:
        ty, storage = self.declspec()
        if storage is not None:
            self.diag.error(self.tok, f"storage class '{storage}' in a type name")
        ty, name = self.declarator(ty)
        if name is not None:
            self.diag.error(name, "unexpected name in a type name")
        return ty

    # declaration = declspec (declarator ("=" initializer)? ("," declarator ("=" init)?)*)? ";"
    def declaration(self, in_for: bool = False) -> Node:
        """A block-scope declaration, as a BLOCK of its initialising assignments."""
        base, storage = self.declspec()
        block = Node(NodeKind.BLOCK, self.tok)
        first = True
        while not self.equal(";"):
            if not first and not self.consume(","):
                self.fail(self.missing_at(), "expected ',' or ';'" + self.before())
            first = False
            ty, name = self.declarator(base)
            if name is None:
                self.fail(self.tok, "expected identifier" + self.before())
            if ty.kind == TypeKind.VOID:
                self.diag.error(name, f"variable '{name.text}' declared void")
            if in_for and (ty.kind == TypeKind.FUNC or storage in ("static", "extern")):
                what = "non-variable" if ty.kind == TypeKind.FUNC else f"{storage} variable"
                self.diag.error(name, f"declaration of {what} '{name.text}' in 'for' loop "
                                "initial declaration")
            if ty.kind == TypeKind.FUNC and storage not in (None, "extern"):
                self.diag.error(name, f"invalid storage class for function '{name.text}'")
            if ty.kind == TypeKind.FUNC or storage == "extern":
                self.bind(name, self.new_gvar(name.text, ty, name, False, storage))
                continue
            if storage == "static":
                self.bind(name, self.static_local(ty, name))
                continue
            if self.equal("="):
                eq = self.advance()
                var = self.new_lvar(name.text, ty, name)
                block.body.append(self.lvar_initializer(var, eq))
            else:
                if ty.size < 0:
                    self.diag.error(name, f"array size missing in '{name.text}'")
                var = self.new_lvar(name.text, ty, name)
            var.is_register = storage == "register"
        self.advance()
        return block

    def static_local(self, ty: Type, name: Token) -> Obj:
        """`static int n;` in a function: a global with a unique label, visible in this block."""
        self.unique += 1
        var = Obj(name.text, ty, name, is_local=False, is_static=True, is_definition=True)
        var.asm_name = f"{name.text}.{self.unique}"
        self.globals.append(var)
        if self.consume("="):
            self.gvar_initializer(var)
        return var

    # *** 4. initialisers ***

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
            elif self.equal("{"):
                self.array_initializer(init, braced=True)
            else:
                self.array_initializer(init, braced=False)
        elif self.consume("{"):  # a scalar may be braced: int x = {3};
            init.expr = self.assign()
            self.consume(",")
            self.skip("}")
        else:
            init.expr = self.assign()

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
        if var.ty.kind == TypeKind.ARRAY:  # elements without an initialiser are zero
            node = Node(NodeKind.MEMZERO, eq, ty=VOID, var=var)
        for lhs, expr in self.init_assignments(init, self.new_var_node(var, eq)):
            assign = self.assignment(lhs, expr, eq, what=None)  # may set a const
            node = assign if node is None else self.new_binary(NodeKind.COMMA, node, assign, eq)
        return Node(NodeKind.EXPR_STMT, eq, lhs=node)

    def init_assignments(self, init: Initializer, lhs: Node):
        if init.ty.kind == TypeKind.ARRAY:
            for i, child in enumerate(init.children):
                elem = self.new_unary(NodeKind.DEREF, self.new_add(lhs, self.new_num(i, lhs.tok),
                                                                   lhs.tok), lhs.tok)
                yield from self.init_assignments(child, elem)
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
        if init.expr is None:
            return
        expr = init.expr
        action = f"initialization of '{type_name(init.ty)}' from '{type_name(expr.ty)}'"
        check_conversion(init.ty, expr, self.diag, expr.tok, action)
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

    # *** 5. statements ***

    # compound-stmt = (declaration | stmt)* "}"
    def compound_stmt(self, open_tok: Token, new_scope: bool = True) -> Node:
        """A block; a function's body opens no scope of its own, as its parameters are in it."""
        node = Node(NodeKind.BLOCK, open_tok)
        if new_scope:
            self.scopes.append({})
        seen_stmt = False
        while not self.equal("}") and self.tok.kind != TokenKind.EOF:
            start = self.pos
            try:
                if self.is_typename():
                    if seen_stmt and self.std == "c89":
                        self.diag.error(self.tok, "ISO C90 forbids mixed declarations and code")
                    node.body.append(self.declaration())
                else:
                    node.body.append(self.stmt())
                    seen_stmt = True
            except ParseError:
                self.synchronize(start)
        if new_scope:
            self.scopes.pop()
        self.skip("}")
        return node

    # --8<-- [start:synchronize]
    def synchronize(self, start: int) -> None:
        """After a syntax error, skip to just past the next `;` or to the `}` that closes the
        block (at the same nesting depth), so parsing resumes at the next statement."""
        depth = 0
        if self.pos == start:
            self.advance()
            if self.tokens[self.pos - 1].text in (";", "}"):
                return
        while self.tok.kind != TokenKind.EOF:
            if self.equal("{"):
                depth += 1
            elif self.equal("}"):
                if depth == 0:
                    return
                depth -= 1
                if depth == 0:
                    self.advance()
                    return
            elif self.equal(";") and depth == 0:
                self.advance()
                return
            self.advance()
    # --8<-- [end:synchronize]

    # --8<-- [start:stmt_loops]
    # stmt = "return" expr? ";"
    #      | "if" "(" expr ")" stmt ("else" stmt)?
    #      | "switch" "(" expr ")" stmt
    #      | "case" const-expr ":" stmt
    #      | "default" ":" stmt
    #      | "for" "(" (declaration | expr? ";") expr? ";" expr? ")" stmt
    #      | "while" "(" expr ")" stmt
    #      | "do" stmt "while" "(" expr ")" ";"
    #      | "goto" ident ";"
    #      | "break" ";"
    #      | "continue" ";"
    #      | ident ":" stmt
    #      | "{" compound-stmt
    #      | expr? ";"
    def stmt(self) -> Node:
        tok = self.tok
        if self.consume("return"):
            return self.return_stmt(tok)
        if self.consume("if"):
            node = Node(NodeKind.IF, tok, cond=self.condition())
            node.then = self.stmt()
            if self.consume("else"):
                node.els = self.stmt()
            return node
        if self.consume("switch"):
            return self.switch_stmt(tok)
        if self.consume("case") or self.consume("default"):
            return self.case_stmt(tok)
        if self.consume("for"):
            return self.for_stmt(tok)
        if self.consume("while"):
            node = Node(NodeKind.FOR, tok, cond=self.condition())
            node.then = self.loop_body(node)
            return node
        if self.consume("do"):
            node = Node(NodeKind.DO, tok)
            node.then = self.loop_body(node)
            self.skip("while")
            node.cond = self.condition()
            self.skip(";")
            return node
        # --8<-- [end:stmt_loops]
        # --8<-- [start:stmt_jumps]
        if self.consume("goto"):
            if self.tok.kind != TokenKind.IDENT:
                self.fail(self.tok, "expected identifier" + self.before())
            node = Node(NodeKind.GOTO, tok, label=self.advance().text)
            self.gotos.append(node)
            self.skip(";")
            return node
        if self.consume("break"):  # a jump to the innermost loop's or switch's end
            if not self.brk_labels:
                self.diag.error(tok, "break statement not within loop or switch")
            self.skip(";")
            label = self.brk_labels[-1] if self.brk_labels else ""  # "": reported just above
            return Node(NodeKind.GOTO, tok, unique_label=label)
        if self.consume("continue"):  # a jump to the innermost loop's next round
            if not self.cont_labels:
                self.diag.error(tok, "continue statement not within a loop")
            self.skip(";")
            label = self.cont_labels[-1] if self.cont_labels else ""
            return Node(NodeKind.GOTO, tok, unique_label=label)
        if tok.kind == TokenKind.IDENT and self.equal(":", 1):
            self.pos += 2
            if tok.text in self.labels:
                first = (self.labels[tok.text].tok, f"previous definition of '{tok.text}' was here")
                self.diag.error(tok, f"duplicate label '{tok.text}'", [first])
            node = Node(NodeKind.LABEL, tok, label=tok.text, unique_label=self.new_label("label"))
            self.labels[tok.text] = node
            node.lhs = self.stmt()
            return node
        if self.consume("{"):
            return self.compound_stmt(tok)
        if self.consume(";"):
            return Node(NodeKind.NULL_STMT, tok)
        node = Node(NodeKind.EXPR_STMT, tok, lhs=self.expr())
        self.skip(";")
        return node
    # --8<-- [end:stmt_jumps]

    def condition(self, truth_value: bool = True) -> Node:
        """`( expr )` of if, while and do, or (not a truth value, but an integer) of switch."""
        self.skip("(")
        start = self.tok
        cond = self.expr()
        if truth_value and cond.kind == NodeKind.ASSIGN and start.text != "(":
            self.diag.warning(cond.tok, "suggest parentheses around assignment used as truth value")
        if truth_value and not is_scalar(cond.ty):
            self.diag.error(cond.tok, "used a value where a scalar is required")
        self.skip(")")
        return cond

    def loop_body(self, node: Node) -> Node:
        """The body of a loop, with `break` and `continue` bound to the loop `node`."""
        node.brk_label, node.cont_label = self.new_label("break"), self.new_label("continue")
        self.brk_labels.append(node.brk_label)
        self.cont_labels.append(node.cont_label)
        try:
            return self.stmt()
        finally:
            self.brk_labels.pop()
            self.cont_labels.pop()

    def return_stmt(self, tok: Token) -> Node:
        node = Node(NodeKind.RETURN, tok)
        ret_ty = self.fn.ty.return_ty
        if self.consume(";"):
            if ret_ty.kind != TypeKind.VOID:
                self.diag.warning(tok, "'return' with no value, in function returning non-void")
            return node
        expr = self.expr()
        self.skip(";")
        if ret_ty.kind == TypeKind.VOID:
            if expr.ty.kind != TypeKind.VOID:
                self.diag.error(tok, "'return' with a value, in function returning void")
            node.lhs = expr
            return node
        frm = pointer_to(expr.ty) if expr.ty.kind == TypeKind.FUNC else expr.ty  # decays
        action = f"returning '{type_name(frm)}' from a function with return type "
        action += f"'{type_name(ret_ty)}'"
        check_conversion(ret_ty, expr, self.diag, expr.tok, action)
        node.lhs = new_cast(expr, ret_ty)
        return node

    def switch_stmt(self, tok: Token) -> Node:
        node = Node(NodeKind.SWITCH, tok, cond=self.condition(truth_value=False))
        if not is_integer(node.cond.ty):
            self.diag.error(node.cond.tok, "switch quantity not an integer")
        else:
            node.cond = new_cast(node.cond, integer_promote(node.cond.ty))
        outer, self.switch = self.switch, node
        node.brk_label = self.new_label("break")
        self.brk_labels.append(node.brk_label)
        try:
            node.then = self.stmt()
        finally:
            self.brk_labels.pop()
            self.switch = outer
        return node

    def case_stmt(self, tok: Token) -> Node:
        node = Node(NodeKind.CASE, tok, unique_label=self.new_label("case"))
        if tok.text == "case":
            node.val = self.const_expr_value()
        self.skip(":")
        if self.switch is None:
            where = "case label" if tok.text == "case" else "'default' label"
            self.diag.error(tok, f"{where} not within a switch statement")
        elif tok.text == "default":
            if self.switch.default_case is not None:
                first = (self.switch.default_case.tok, "this is the first default label")
                self.diag.error(tok, "multiple default labels in one switch", [first])
            self.switch.default_case = node
        else:
            ty = self.switch.cond.ty  # not an integer (already reported): say int
            node.val = wrap(node.val, ty if ty is not None and is_integer(ty) else INT)
            earlier = [c for c in self.switch.cases if c.val == node.val]
            if earlier:
                first = (earlier[0].tok, "previously used here")
                self.diag.error(tok, "duplicate case value", [first])
            self.switch.cases.append(node)
        node.lhs = self.stmt()
        return node

    def for_stmt(self, tok: Token) -> Node:
        node = Node(NodeKind.FOR, tok)
        self.skip("(")
        self.scopes.append({})
        try:
            if self.is_typename():
                if self.std == "c89":
                    self.diag.error(self.tok, "'for' loop initial declarations are only allowed "
                                    "in C99 mode")
                node.init = self.declaration(in_for=True)
            else:
                if not self.equal(";"):
                    node.init = Node(NodeKind.EXPR_STMT, self.tok, lhs=self.expr())
                self.skip(";")
            if not self.equal(";"):
                node.cond = self.expr()
            self.skip(";")
            if not self.equal(")"):
                node.inc = self.expr()
            self.skip(")")
            node.then = self.loop_body(node)
        finally:
            self.scopes.pop()
        return node

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
        if not lhs.ty.is_const:
            return
        if lhs.kind == NodeKind.VAR:
            self.diag.error(tok, f"{what} of read-only variable '{lhs.var.name}'")
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
            elif ty.kind != TypeKind.VOID and not (is_scalar(ty) and is_scalar(expr.ty)):
                self.diag.error(tok, f"cannot cast '{type_name(expr.ty)}' to '{type_name(ty)}'")
            node = Node(NodeKind.CAST, tok, ty=ty, lhs=expr)
            return node
        return self.unary()

    def is_typename_at(self, offset: int) -> bool:
        saved = self.pos
        self.pos += offset
        try:
            return self.is_typename()
        finally:
            self.pos = saved

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
            if not is_integer(node.ty):
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
                ty = self.typename()
                self.skip(")")
            else:
                expr = self.unary()
                add_type(expr, self.diag)
                ty = expr.ty
            if ty.kind in (TypeKind.FUNC, TypeKind.VOID) or ty.size < 0:
                self.diag.error(tok, f"invalid application of 'sizeof' to '{type_name(ty)}'")
            return self.new_num(ty.size, tok, UINT)  # size_t is unsigned int on ILP32
        return self.postfix()

    # postfix = primary ("[" expr "]" | "++" | "--")*
    def postfix(self) -> Node:
        node = self.primary()
        while True:
            tok = self.tok
            if self.consume("["):
                index = self.expr()
                self.skip("]")
                add_type(node, self.diag)
                add_type(index, self.diag)
                if not (is_pointer(node.ty) or is_pointer(index.ty)):
                    self.diag.error(tok, "subscripted value is neither array nor pointer")
                    node = self.new_num(0, tok)
                    continue
                node = self.new_unary(NodeKind.DEREF, self.new_add(node, index, tok), tok)
            elif self.consume("++") or self.consume("--"):
                node = self.post_incdec(node, tok)
            else:
                return node

    def post_incdec(self, node: Node, tok: Token) -> Node:
        """`a++` is `(a += 1) - 1`, cast back to the type of `a`."""
        add_type(node, self.diag)
        ty = node.ty
        op, back = (NodeKind.ADD, -1) if tok.text == "++" else (NodeKind.SUB, 1)
        what = "increment" if tok.text == "++" else "decrement"
        updated = self.compound_assign(op, node, self.new_num(1, tok), tok, what)
        if is_pointer(ty):
            return self.new_add(updated, self.new_num(back, tok), tok)
        result = self.new_add(updated, self.new_num(back, tok), tok)
        return new_cast(result, ty)

    # primary = "(" expr ")" | ident ("(" func-args ")")? | str | num
    def primary(self) -> Node:
        tok = self.tok
        if self.consume("("):
            node = self.expr()
            self.skip(")")
            return node
        if tok.kind == TokenKind.IDENT:
            self.advance()
            if self.equal("("):
                return self.funcall(tok)
            var = self.find_var(tok.text)
            if var is None:
                self.diag.error(tok, f"'{tok.text}' undeclared")
                # declare it as an int, so that each later use is not one more error
                if self.fn is not None:
                    var = self.new_lvar(tok.text, INT, tok)
                else:
                    var = Obj(tok.text, INT, tok, is_local=True)
            self.used.add(var)
            return self.new_var_node(var, tok)
        if tok.kind == TokenKind.STR:
            self.advance()
            return self.new_var_node(self.new_string_literal(tok), tok)
        if tok.kind == TokenKind.NUM:
            self.advance()
            return self.new_num(wrap(tok.val, tok.ty), tok, tok.ty)
        self.fail(tok, "expected expression" + self.before())

    # func-args = (assign ("," assign)*)?
    def funcall(self, name: Token) -> Node:
        """A call; arguments convert to the parameter types as by assignment."""
        self.skip("(")
        args = []
        while not self.equal(")"):
            if args:
                self.skip(",")
            arg = self.assign()
            add_type(arg, self.diag)
            args.append(arg)
        self.skip(")")
        fn = self.find_var(name.text)
        if fn is None:
            msg = f"implicit declaration of function '{name.text}'"
            if self.std == "c89":  # C89 declares it as `int name();`
                self.diag.warning(name, msg)
            else:
                self.diag.error(name, msg)
            fn = self.new_gvar(name.text, func_type(INT), name, False)
            fn.ty.has_prototype = False
        if fn.ty.kind != TypeKind.FUNC:
            self.diag.error(name, f"called object '{name.text}' is not a function")
            return self.new_num(0, name)
        ty = fn.ty
        node = Node(NodeKind.FUNCALL, name, func_name=fn.asm_name or fn.name, func_ty=ty,
                    ty=ty.return_ty)
        if ty.has_prototype and len(args) != len(ty.params):
            few = "few" if len(args) < len(ty.params) else "many"
            self.diag.error(name, f"too {few} arguments to function '{name.text}'")
        for i, arg in enumerate(args):
            if ty.has_prototype and i < len(ty.params):
                action = f"passing argument {i + 1} of '{name.text}'"
                check_conversion(ty.params[i], arg, self.diag, arg.tok, action)
                arg = new_cast(arg, ty.params[i])
            elif arg.ty.kind == TypeKind.VOID:
                self.diag.error(arg.tok, "void value not ignored as it ought to be")
            elif is_pointer(arg.ty):
                arg = new_cast(arg, pointer_to(arg.ty.base))
            else:  # the default argument promotions
                arg = new_cast(arg, integer_promote(arg.ty))
            node.args.append(arg)
        return node

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

    # *** 8. functions and the program ***

    # old-style-params = (declspec declarator ("," declarator)* ";")*
    def old_style_params(self, ty: Type) -> None:
        """The declarations between `f(a, b)` and `{` that give the parameters their types."""
        names = [t.text for t in ty.param_names]
        while self.is_typename():
            base, _ = self.declspec()
            while True:
                param_ty, name = self.declarator(base)
                if name is None or name.text not in names:
                    where = name or self.tok
                    self.diag.error(where, f"declaration for parameter '{where.text}' but no "
                                    "such parameter")
                else:
                    if param_ty.kind == TypeKind.ARRAY:
                        param_ty = pointer_to(param_ty.base)
                    ty.params[names.index(name.text)] = param_ty
                if not self.consume(","):
                    break
            self.skip(";")

    # function-definition = declspec declarator "{" compound-stmt
    def function(self, ty: Type, name: Token, storage: str | None) -> None:
        """A function definition: parameters become the first locals, then the body."""
        fn = self.new_gvar(name.text, ty, name, storage == "static", storage)
        if fn.is_definition:
            self.diag.error(name, f"redefinition of '{name.text}'",
                            [(fn.tok, self.previous(fn))])
        fn.is_definition, fn.tok = True, name  # later notes point at the definition
        fn.ty = ty
        fn.locals, fn.params = [], []
        self.fn, self.gotos, self.labels = fn, [], {}
        self.scopes.append({})
        for param_ty, param_name in zip(ty.params, ty.param_names):
            if param_name is None:
                self.diag.error(name, "parameter name omitted")
                continue
            fn.params.append(self.new_lvar(param_name.text, param_ty, param_name))
        open_tok = self.skip("{")
        fn.body = self.compound_stmt(open_tok, new_scope=False)  # `int f(int a) { int a; }` clash
        self.scopes.pop()
        for node in self.gotos:
            if node.label not in self.labels:
                self.diag.error(node.tok, f"label '{node.label}' used but not defined")
            else:
                node.unique_label = self.labels[node.label].unique_label
        for var in fn.locals:
            if var.tok is not None and var not in fn.params and var not in self.used:
                self.diag.warning(var.tok, f"unused variable '{var.name}'")
        close = self.tokens[self.pos - 1]
        if ty.return_ty.kind != TypeKind.VOID and falls_through(fn.body):
            if name.text != "main":
                self.diag.warning(close, "control reaches end of non-void function")
            elif self.std == "c89":
                self.diag.warning(close, "control reaches end of 'main': C99 returns 0, C89 "
                                  "returns no value")
        self.fn = None

    # global-declaration = declspec (declarator ("=" initializer)? ("," ...)*)? ";"
    def global_declaration(self, base: Type, storage: str | None, ty: Type, name: Token | None):
        """The rest of a file-scope declaration whose first declarator gave `ty` and `name`."""
        while True:
            if name is None:
                self.fail(self.tok, "expected identifier" + self.before())
            if ty.kind == TypeKind.VOID:
                self.diag.error(name, f"variable '{name.text}' declared void")
            var = self.new_gvar(name.text, ty, name, storage == "static", storage)
            if ty.kind != TypeKind.FUNC and self.consume("="):
                if var.init_data is not None:
                    self.diag.error(name, f"redefinition of '{name.text}'",
                                    [(var.tok, self.previous(var))])
                var.is_definition = True
                self.gvar_initializer(var)
            elif ty.kind != TypeKind.FUNC and storage != "extern":
                var.is_definition = True  # a tentative definition: zero unless defined later
            if self.consume(";"):
                return
            if not self.consume(","):
                self.fail(self.missing_at(), "expected ',' or ';'" + self.before())
            ty, name = self.declarator(base)

    # program = (function-definition | global-declaration)*
    def program(self) -> list[Obj]:
        while self.tok.kind != TokenKind.EOF:
            start = self.pos
            if self.equal(";"):  # `int f(void) { ... };` is common, and harmless
                tok = self.advance()
                self.diag.warning(tok, "ISO C does not allow extra ';' outside of a function")
                continue
            try:
                if self.tok.kind == TokenKind.IDENT and self.equal("(", 1):  # C89: `main() {`
                    self.diag.warning(self.tok, "return type defaults to 'int'")
                    base, storage = INT, None
                else:
                    base, storage = self.declspec()
                if self.consume(";"):
                    continue
                ty, name = self.declarator(base)
                if ty.kind == TypeKind.FUNC and ty.param_names and not ty.has_prototype:
                    self.old_style_params(ty)
                if ty.kind == TypeKind.FUNC and self.equal("{") and name is not None:
                    self.function(ty, name, storage)
                else:
                    self.global_declaration(base, storage, ty, name)
            except ParseError:
                self.fn = None
                self.scopes = self.scopes[:1]
                self.brk_labels, self.cont_labels, self.switch = [], [], None
                self.synchronize(start)
                if self.equal("}"):
                    self.advance()
        for var in self.globals:
            if var.ty.kind == TypeKind.ARRAY and var.ty.size < 0 and var.is_definition:
                var.ty = array_of(var.ty.base, 1)  # `int a[];` alone has one element
            if var.is_definition and MAX_STATIC_SIZE < var.ty.size <= MAX_OBJECT_SIZE:
                self.diag.error(var.tok, f"'{var.name}' takes {var.ty.size} bytes, more than "
                                f"the emulated machine's {MAX_STATIC_SIZE >> 20} MiB of memory")
        return self.globals


def match_parens(tokens: list[Token]) -> list[int]:
    """For the index of each `(`: the index of its `)`, or of the `;`, `{` or end of input
    that comes first (an unclosed parenthesis). One pass, with a stack of open parentheses."""
    ends, open_ = [0] * len(tokens), []
    for i, tok in enumerate(tokens):
        if tok.kind != TokenKind.PUNCT and tok.kind != TokenKind.EOF:
            continue
        if tok.text == "(":
            open_.append(i)
        elif tok.text == ")" and open_:
            ends[open_.pop()] = i
        elif tok.text in (";", "{") or tok.kind == TokenKind.EOF:
            for j in open_:
                ends[j] = i
            open_.clear()
    return ends


def has_linkage(obj: Obj) -> bool:
    """Whether a name in a block refers to a global, through `extern` or a function declaration
    (a static local is global too, but under a label of its own: it has no linkage)."""
    return not obj.is_local and obj.asm_name == obj.name


def points_to_function(ty: Type) -> bool:
    """Whether `ty` is, or is built from, a pointer to a function: `int (*f)(int)`."""
    while ty.kind in (TypeKind.PTR, TypeKind.ARRAY, TypeKind.FUNC):
        if ty.kind == TypeKind.PTR and ty.base.kind == TypeKind.FUNC:
            return True
        ty = ty.return_ty if ty.kind == TypeKind.FUNC else ty.base
    return False


def jumps_to(node: Node | None, label: str) -> bool:
    """Whether a `goto`, `break` or `continue` inside `node` jumps to `label`."""
    if node is None:
        return False
    if node.kind == NodeKind.GOTO:
        return node.unique_label == label
    children = (node.then, node.els, node.lhs, *node.body)
    return any(jumps_to(child, label) for child in children if child is not None)


def falls_through(node: Node) -> bool:
    """Whether control may run off the end of statement `node` (a cautious approximation)."""
    k = node.kind
    if k in (NodeKind.RETURN, NodeKind.GOTO):
        return False
    if k == NodeKind.BLOCK:
        return not node.body or falls_through(node.body[-1])
    if k == NodeKind.IF:
        return node.els is None or falls_through(node.then) or falls_through(node.els)
    if k in (NodeKind.LABEL, NodeKind.CASE):
        return falls_through(node.lhs)
    if k == NodeKind.FOR:  # `for (;;)` and `while (1)` end only by `break`
        endless = node.cond is None or (node.cond.kind == NodeKind.NUM and node.cond.val)
        return not endless or jumps_to(node.then, node.brk_label)
    if k == NodeKind.SWITCH:
        if node.default_case is None or jumps_to(node.then, node.brk_label):
            return True
        return falls_through(node.then)
    if k == NodeKind.EXPR_STMT and node.lhs.kind == NodeKind.FUNCALL:
        return node.lhs.func_name not in ("exit", "abort", "_exit")
    return True


def parse(tokens: list[Token], diag: Diagnostics, std: str = "c99") -> list[Obj]:
    """Parse a preprocessed translation unit into its global objects."""
    return Parser(tokens, diag, std).program()
