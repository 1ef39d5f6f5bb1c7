"""The parser: preprocessed tokens -> the program's global Objs, each function with its AST.

A recursive-descent `Parser` with one method per grammar production, the EBNF above each, in
C's precedence order. It types each expression as it builds it (type.py: `p + 1` depends on the
type of `p`), lowers `a += b`, `a++` and `a > b` to simpler nodes, and resolves scopes, `break`,
`continue` and `goto`. After a syntax error it skips to the end of the statement and goes on.
Its parts, one concept each: parse_decl.py (declarations), parse_init.py (initialisers),
parse_stmt.py (statements), parse_expr.py (expressions).
"""

from __future__ import annotations

from appendix_ctoriscv.defs import Node, NodeKind, Obj, Token, TokenKind, Type, TypeKind
from appendix_ctoriscv.errors import (
    Diagnostics,
    ParseError,  # noqa: F401 (raised by the parts)
)
from appendix_ctoriscv.parse_decl import MAX_OBJECT_SIZE, MAX_STATIC_SIZE, DeclarationParser
from appendix_ctoriscv.parse_expr import ExpressionParser
from appendix_ctoriscv.parse_init import InitializerParser
from appendix_ctoriscv.parse_stmt import StatementParser, falls_through
from appendix_ctoriscv.type import (
    INT,
    add_type,
    array_of,
    is_compatible,
    pointer_to,
    type_name,
)

# *** 2. the parser ***


# --8<-- [start:parser_init]
class Parser(DeclarationParser, InitializerParser, StatementParser, ExpressionParser):
    """Recursive descent over a token list; `self.pos` is the cursor (chibicc's `Token **rest`)."""

    def __init__(self, tokens: list[Token], diag: Diagnostics, std: str = "c99"):
        self.tokens, self.pos, self.diag, self.std = tokens, 0, diag, std
        self.scopes: list[dict[str, Obj]] = [{}]
        self.globals: list[Obj] = []
        self.fn: Obj | None = None  # the function being parsed
        self.brk_labels: list[str] = []  # innermost last
        self.cont_labels: list[str] = []
        self.switch: Node | None = None
        self.case_values: dict[int, Node] = {}  # the innermost switch's cases by value
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
        at_file_scope = len(self.scopes) == 1 and tok is not None
        if old is not None and old.is_local and at_file_scope:  # a typedef or enum constant
            self.diag.error(tok, f"'{name}' redeclared as different kind of symbol",
                            [(old.tok, self.previous(old))] if old.tok is not None else [])
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
            if storage == "typedef":
                self.typedef(name, ty)
                if self.consume(";"):
                    return
                self.skip(",")
                ty, name = self.declarator(base)
                continue
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
                if self.tok.kind == TokenKind.IDENT and self.equal("(", 1) \
                        and not self.is_typename():  # C89: `main() {`
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
                self.case_values = {}
                self.synchronize(start)
                if self.equal("}"):
                    self.advance()
        for var in self.globals:
            if var.ty.kind == TypeKind.ARRAY and var.ty.size < 0 and var.is_definition:
                var.ty = array_of(var.ty.base, 1)  # `int a[];` alone has one element
            if var.is_definition and var.ty.size < 0 and var.ty.kind != TypeKind.FUNC:
                self.diag.error(var.tok, f"storage size of '{var.name}' isn't known")  # a struct
            if var.is_definition and MAX_STATIC_SIZE < var.ty.size <= MAX_OBJECT_SIZE:
                self.diag.error(var.tok, f"'{var.name}' takes {var.ty.size} bytes, more than "
                                f"the emulated machine's {MAX_STATIC_SIZE >> 20} MiB of memory")
        return self.globals


def has_linkage(obj: Obj) -> bool:
    """Whether a name in a block refers to a global, through `extern` or a function declaration
    (a static local is global too, but under a label of its own: it has no linkage)."""
    return not obj.is_local and obj.asm_name == obj.name


def parse(tokens: list[Token], diag: Diagnostics, std: str = "c99") -> list[Obj]:
    """Parse a preprocessed translation unit into its global objects."""
    return Parser(tokens, diag, std).program()
