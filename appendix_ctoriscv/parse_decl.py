"""The parser's declarations: specifiers, declarators and the types they build.

`int *const p[3]` is read in two parts: the declaration specifiers (`int`, storage class,
qualifiers) give a base type, and the declarator wraps it, inside out, in pointers, arrays and
functions around the name. `DeclarationParser` is a part of parse.py's `Parser`.
"""

from __future__ import annotations

from dataclasses import replace

from appendix_ctoriscv.const_expr import wrap
from appendix_ctoriscv.defs import Member, Node, NodeKind, Obj, Token, TokenKind, Type, TypeKind
from appendix_ctoriscv.errors import ParseError
from appendix_ctoriscv.type import (
    CHAR,
    DOUBLE,
    FLOAT,
    INT,
    LONG,
    SCHAR,
    SHORT,
    UCHAR,
    UINT,
    ULONG,
    USHORT,
    VOID,
    array_of,
    complete_struct,
    const_of,
    func_type,
    is_compatible,
    is_struct,
    pointer_to,
    struct_type,
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
    ("float",): FLOAT,
    ("double",): DOUBLE,
}
TYPE_WORDS = {"void", "char", "short", "int", "long", "signed", "unsigned", "float", "double"}
DATA_TYPE_WORDS = {"void", "char", "int", "float", "double"}  # at most one: `char int` is none
STORAGE_WORDS = {"static", "extern", "auto", "register"}
QUALIFIER_WORDS = {"const", "volatile", "restrict", "__restrict", "__restrict__"}  # C99's hint
FUNCTION_SPECIFIER_WORDS = {"inline", "__inline", "__inline__"}  # a hint: nothing to do
STORAGE_WORDS |= {"typedef"}  # a storage class in the grammar, though it declares no object
TAG_WORDS = {"struct", "union", "enum"}
UNSUPPORTED_WORDS = {"_Bool", "_Complex", "_Imaginary"}  # C99 types this compiler lacks
SPECIFIER_WORDS = (TYPE_WORDS | STORAGE_WORDS | QUALIFIER_WORDS | TAG_WORDS | UNSUPPORTED_WORDS
                   | FUNCTION_SPECIFIER_WORDS)  # fmt: skip


MAX_OBJECT_SIZE = 2**31 - 1  # gcc's limit on ILP32: a pointer difference must fit an int
MAX_STATIC_SIZE = 1 << 26  # emu.py's address space: a larger global could never be loaded



class DeclarationParser:
    """Declarations: specifiers and declarators (a part of parse.py's Parser)."""

    # *** 3. declarations ***

    def is_typename(self, offset: int = 0) -> bool:
        """Does a type start here: a keyword of one, or a name declared by typedef?"""
        tok = self.tokens[min(self.pos + offset, len(self.tokens) - 1)]
        if tok.kind == TokenKind.IDENT:
            obj = self.find_var(tok.text)
            return obj is not None and obj.is_typedef
        return tok.kind == TokenKind.KEYWORD and tok.text in SPECIFIER_WORDS

    # --8<-- [start:declspec]
    # declspec = ("void" | "char" | "short" | "int" | "long" | "signed" | "unsigned"
    #             | struct-union-spec | enum-spec | typedef-name
    #             | "typedef" | "static" | "extern" | "auto" | "register" | "const" | "volatile")+
    def declspec(self, expected: str = "identifier or '('") -> tuple[Type, str | None]:
        """The type and the storage class (typedef, static, extern or None) that start a
        declaration; `expected` is what gcc says was expected where there is none."""
        start = self.tok
        words, storage, const, named = [], None, False, None  # named: a struct, enum or typedef
        while self.is_typename():
            if self.tok.kind == TokenKind.IDENT and (words or named is not None):
                break  # `typedef int T; { unsigned T; }`: here T is the declared name
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
            elif tok.text in TYPE_WORDS or tok.text in TAG_WORDS or tok.kind == TokenKind.IDENT:
                if named is not None or (words and tok.text not in TYPE_WORDS) or (
                        tok.text in DATA_TYPE_WORDS and DATA_TYPE_WORDS.intersection(words)):
                    self.fail(tok, "two or more data types in declaration specifiers")
                if tok.text in TYPE_WORDS:
                    words.append(tok.text)
                elif tok.kind == TokenKind.IDENT:
                    named = self.find_var(tok.text).ty
                elif tok.text == "enum":
                    named = self.enum_specifier()
                else:
                    named = self.struct_specifier(tok)
        if named is not None:
            return (const_of(named) if const else named), storage
        if not words:
            if storage is None:
                if start.kind == TokenKind.IDENT:
                    self.fail(start, f"unknown type name '{start.text}'")
                self.fail(start, f"expected {expected}" + self.before())
            self.diag.warning(start, "type defaults to 'int' in declaration")
            return (const_of(INT) if const else INT), storage
        if sorted(words) == ["double", "long"]:  # 16 bytes on RV32: stop, with no cascade
            self.diag.error(start, "'long double' is not supported by this compiler")
            self.diag.mute()
            raise ParseError
        if "int" in words and len(words) > 1:
            words.remove("int")
        ty = TYPE_SPECIFIERS.get(tuple(sorted(words)))
        if ty is None:
            self.fail(start, f"invalid combination of type specifiers '{' '.join(words)}'")
        return (const_of(ty) if const else ty), storage
    # --8<-- [end:declspec]

    # -- struct, union and enum: tags live in the scopes as "struct x", beside the names --

    def find_tag(self, key: str, innermost: bool = False) -> Type | None:
        for scope in reversed(self.scopes[-1:] if innermost else self.scopes):
            if key in scope:
                return scope[key]
        return None

    # --8<-- [start:struct_specifier]
    # struct-union-spec = ("struct" | "union") ident? ("{" struct-member* "}")?
    # struct-member     = declspec declarator ("," declarator)* ";"
    def struct_specifier(self, keyword: Token) -> Type:
        """`struct point { int x, y; }`, or `struct point` naming a tag declared before (or
        declaring it, incomplete, until its members come: `struct node *next;` inside)."""
        kind = TypeKind.STRUCT if keyword.text == "struct" else TypeKind.UNION
        tag = self.advance() if self.tok.kind == TokenKind.IDENT else None
        if tag is None and not self.equal("{"):
            self.fail(self.tok, "expected '{'" + self.before())
        key = f"{keyword.text} {tag.text}" if tag is not None else ""
        if tag is not None and not self.equal("{"):
            ty = self.find_tag(f"tag {tag.text}", innermost=self.equal(";"))
            if ty is None:  # a new incomplete type, in the innermost scope
                ty = self.scopes[-1][f"tag {tag.text}"] = struct_type(kind, key)
            elif ty.tag != key:
                self.diag.error(tag, f"'{tag.text}' defined as wrong kind of tag")
            return ty
        ty = self.find_tag(f"tag {tag.text}", innermost=True) if tag is not None else None
        if ty is not None and (ty.tag != key or ty.size >= 0):
            what = "redefinition of" if ty.tag == key else "wrong kind of tag"
            self.diag.error(tag, f"{what} '{key}'")
            ty = None
        if ty is None:
            ty = struct_type(kind, key or f"{keyword.text} <anonymous>")
            if tag is not None:
                self.scopes[-1][f"tag {tag.text}"] = ty
        self.skip("{")
        members: list[Member] = []
        while not self.consume("}"):
            base, storage = self.declspec("specifier-qualifier-list")
            if storage is not None:
                self.diag.error(self.tokens[self.pos - 1], "expected specifier-qualifier-list "
                                f"before '{storage}'")
            while True:
                mty, name = self.declarator(base)
                if self.equal(":"):  # then stay silent, as for 'long double': no cascade
                    self.diag.error(self.tok, "bit-fields are not supported by this compiler")
                    self.diag.mute()
                    raise ParseError
                if name is None:
                    self.fail(self.tok, "expected identifier" + self.before())
                if mty.size < 0 or mty.kind in (TypeKind.VOID, TypeKind.FUNC):
                    self.diag.error(name, f"field '{name.text}' has incomplete type")
                    mty = INT
                if any(m.name.text == name.text for m in members):
                    self.diag.error(name, f"duplicate member '{name.text}'")
                members.append(Member(name, mty))
                if not self.consume(","):
                    break
            self.skip(";")
        complete_struct(ty, members)
        return ty
    # --8<-- [end:struct_specifier]

    # enum-spec = "enum" ident? ("{" ident ("=" const-expr)? ("," ident ("=" const-expr)?)* ","?
    #             "}")?
    def enum_specifier(self) -> Type:
        """`enum color { RED, GREEN = 5, BLUE }`: the names become int constants (0, 5, 6).
        Like gcc, the type itself is unsigned int if no value is negative, else int."""
        tag = self.advance() if self.tok.kind == TokenKind.IDENT else None
        if tag is not None and not self.equal("{"):
            ty = self.find_tag(f"tag {tag.text}")
            if ty is None or ty.tag != f"enum {tag.text}":
                self.fail(tag, f"use of undefined enum 'enum {tag.text}'"
                          if ty is None else f"'{tag.text}' defined as wrong kind of tag")
            return ty
        self.skip("{")
        value, values = 0, []
        while not self.consume("}"):
            if values:
                self.skip(",")
                if self.consume("}"):
                    break
            if self.tok.kind != TokenKind.IDENT:
                self.fail(self.tok, "expected identifier" + self.before())
            name = self.advance()
            if self.consume("="):
                value = self.const_expr_value()
            if not -(2**31) <= value < 2**31:
                self.diag.error(name, "overflow in enumeration values")
            const = Obj(name.text, INT, name, is_local=True, enum_value=wrap(value, INT))
            self.bind(name, const)
            values.append(value)
            value += 1
        base = INT if any(v < 0 for v in values) else UINT
        ty = replace(base, tag=f"enum {tag.text}" if tag is not None else "enum <anonymous>")
        if tag is not None:
            if self.find_tag(f"tag {tag.text}", innermost=True) is not None:
                self.diag.error(tag, f"redeclaration of 'enum {tag.text}'")
            self.scopes[-1][f"tag {tag.text}"] = ty
        return ty

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
        return nxt.text == ")" or self.is_typename(1)

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
        if self.tok.kind == TokenKind.IDENT and not self.is_typename():  # `int f(a, b) int a; {`
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
                if not ty.params:
                    self.diag.error(self.tokens[self.pos - 1], "ISO C requires a named argument "
                                    "before '...'")
                ty.is_variadic = True
                break
            param_ty, storage = self.declspec("declaration specifiers or '...'")
            param_ty, name = self.declarator(param_ty)
            if param_ty.kind == TypeKind.ARRAY:  # `int a[]` as a parameter means `int *a`
                param_ty = pointer_to(param_ty.base)
            elif param_ty.kind == TypeKind.VOID:
                self.diag.error(name or self.tok, "parameter has void type")
            elif param_ty.kind == TypeKind.FUNC:  # `int g(int)` as a parameter is a pointer
                param_ty = pointer_to(param_ty)
            elif param_ty.size < 0 and is_struct(param_ty) and name is not None:
                self.diag.error(name, f"parameter '{name.text}' has incomplete type")
            if storage == "typedef":
                self.diag.error(name or self.tok, "storage class specified for parameter")
            ty.params.append(param_ty)
            ty.param_names.append(name)
            if not self.consume(","):
                break
        self.skip(")")
        return ty

    # abstract-declarator = "*"* ("(" abstract-declarator ")")? type-suffix
    # type-name           = declspec abstract-declarator
    def typename(self) -> Type:
        ty, storage = self.declspec("specifier-qualifier-list")
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
            if storage == "typedef":
                self.typedef(name, ty)
                continue
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
                if ty.size < 0 and is_struct(ty):
                    self.diag.error(name, f"variable '{name.text}' has initializer but "
                                    "incomplete type")
                eq = self.advance()
                var = self.new_lvar(name.text, ty, name)
                block.body.append(self.lvar_initializer(var, eq))
            else:
                if ty.size < 0 and is_struct(ty):
                    self.diag.error(name, f"storage size of '{name.text}' isn't known")
                elif ty.size < 0:
                    self.diag.error(name, f"array size missing in '{name.text}'")
                var = self.new_lvar(name.text, ty, name)
            var.is_register = storage == "register"
        self.advance()
        return block

    def typedef(self, name: Token, ty: Type) -> None:
        """`typedef ty name;`: the name stands for the type from here to the end of the scope."""
        old = self.scopes[-1].get(name.text)
        if old is not None and old.is_typedef and is_compatible(old.ty, ty):
            return  # the same typedef again, as C11 allows and gcc accepts
        if old is not None and old.is_typedef:
            self.diag.error(name, f"conflicting types for '{name.text}'; have '{type_name(ty)}'",
                            [(old.tok, f"previous declaration of '{name.text}' with type "
                              f"'{type_name(old.ty)}'")])
            return
        if self.equal("="):
            self.diag.error(self.tok, f"typedef '{name.text}' is initialized")
        self.bind(name, Obj(name.text, ty, name, is_local=True, is_typedef=True))

    def static_local(self, ty: Type, name: Token) -> Obj:
        """`static int n;` in a function: a global with a unique label, visible in this block."""
        self.unique += 1
        var = Obj(name.text, ty, name, is_local=False, is_static=True, is_definition=True)
        var.asm_name = f"{name.text}.{self.unique}"
        self.globals.append(var)
        if self.consume("="):
            self.gvar_initializer(var)
        return var


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
