"""The compiler's header: the data that every stage shares, in pipeline order.

lex.py makes Tokens, preprocess.py rewrites them, parse.py turns them into Nodes, Types and
Objs, type.py fills in each Node's type, codegen.py reads them all. Nothing here does any work: it
is the vocabulary of the other files, as chibicc.h is for chibicc.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, auto
from functools import cached_property

# *** 1. source files and tokens (lex.py, preprocess.py) ***


@dataclass(eq=False)
class SourceFile:
    """One file of C source; diagnostics quote its lines."""

    name: str
    text: str

    def line_text(self, line: int) -> str:
        """The text of 1-based line `line`, without its newline."""
        lines = self.lines
        return lines[line - 1] if 0 < line <= len(lines) else ""

    @cached_property
    def lines(self) -> list[str]:  # split once: a file with many warnings quotes many lines
        return self.text.split("\n")


class TokenKind(Enum):
    IDENT = auto()  # identifier, such as `main` or `x`
    PUNCT = auto()  # punctuator, such as `+`, `<<=` or `{`
    KEYWORD = auto()  # identifier reserved by C, such as `int` or `while` (set after preprocessing)
    STR = auto()  # string literal, "hello\n"
    NUM = auto()  # integer or character constant, 42, 0x2aU, 'a'
    EOF = auto()  # end of the input


@dataclass(eq=False)
class Token:
    kind: TokenKind
    text: str  # the spelling in the source, e.g. `0x2a` or `"a\n"`
    file: SourceFile
    line: int  # 1-based
    col: int  # 1-based, counted in characters
    val: int = 0  # NUM: the value
    fval: float = 0.0  # NUM of a floating type: the value
    ty: Type | None = None  # NUM: int, long or unsigned by C's rules for constants; STR: char[N]
    str_val: bytes = b""  # STR: the bytes after escapes, with the terminating NUL
    at_bol: bool = False  # first token on its line: `#` there starts a directive
    has_space: bool = False  # whitespace before it, for the preprocessor's `#` stringizing
    hideset: frozenset[str] = frozenset()  # macros that may not expand this token again
    origin: Token | None = None  # the macro use this token came from, for diagnostics

    def __repr__(self) -> str:
        return f"Token({self.kind.name}, {self.text!r}, {self.line}:{self.col})"


# *** 2. types (type.py) ***


class TypeKind(Enum):
    VOID = auto()
    CHAR = auto()  # 1 byte
    SHORT = auto()  # 2 bytes
    INT = auto()  # 4 bytes
    LONG = auto()  # 4 bytes on ILP32, but a higher rank than int
    PTR = auto()  # 4 bytes
    ARRAY = auto()
    FUNC = auto()
    FLOAT = auto()  # IEEE single, 4 bytes; arithmetic by the soft-float runtime
    DOUBLE = auto()  # IEEE double, 8 bytes, 8-aligned
    STRUCT = auto()  # members one after another, each at its alignment
    UNION = auto()  # members all at offset 0


@dataclass(eq=False)
class Type:
    kind: TypeKind
    size: int  # sizeof; -1 for an array of unknown length (`int a[]`)
    align: int
    is_unsigned: bool = False
    is_const: bool = False  # `const int`: an object of this type may not be assigned
    base: Type | None = None  # PTR: the pointee; ARRAY: the element
    array_len: int = 0  # ARRAY
    # FUNC
    return_ty: Type | None = None
    params: list[Type] = field(default_factory=list)
    param_names: list[Token | None] = field(default_factory=list)
    has_prototype: bool = True  # False for C89's `int f();`, whose calls are unchecked
    is_variadic: bool = False  # `int printf(const char *fmt, ...)`
    # STRUCT, UNION: size -1 until the member list is seen (an incomplete type); the tag is in
    # type_name's words, e.g. "struct node"; enumerated types are INTs with a tag "enum color"
    members: list[Member] = field(default_factory=list)
    tag: str = ""


@dataclass(eq=False)
class Member:
    """A member of a struct or union, at `offset` bytes from the start."""

    name: Token
    ty: Type
    offset: int = 0


# *** 3. objects: variables and functions (parse.py) ***


@dataclass(eq=False)
class Obj:
    name: str
    ty: Type
    tok: Token | None  # where it was declared
    is_local: bool
    offset: int = 0  # local: address is s0 + offset (negative: the frame grows down)
    asm_name: str = ""  # global: its label in the assembly (a static local gets a unique one)
    is_static: bool = False  # global: internal linkage, no .globl
    is_register: bool = False  # local: declared `register`, so `&x` is an error
    is_typedef: bool = False  # `typedef int T;`: a name for the type `ty`, not an object
    enum_value: int | None = None  # an enumeration constant: its value
    is_definition: bool = False  # global: defined here (a body, an initialiser, or tentative)
    init_data: bytes | None = None  # global: the initial bytes (None: zero, into .bss)
    relocations: list[tuple[int, str, int]] = field(default_factory=list)  # (offset, label, add)
    # function
    params: list[Obj] = field(default_factory=list)
    body: Node | None = None
    locals: list[Obj] = field(default_factory=list)
    stack_size: int = 0


# *** 4. the abstract syntax tree (parse.py, type.py, codegen.py) ***


# --8<-- [start:node_kind]
class NodeKind(Enum):
    # binary operators: lhs op rhs
    ADD = auto()  # +
    SUB = auto()  # -
    MUL = auto()  # *
    DIV = auto()  # /
    MOD = auto()  # %
    BITAND = auto()  # &
    BITOR = auto()  # |
    BITXOR = auto()  # ^
    SHL = auto()  # <<
    SHR = auto()  # >> (arithmetic for signed, logical for unsigned)
    EQ = auto()  # ==
    NE = auto()  # !=
    LT = auto()  # <  (a > b is parsed as b < a)
    LE = auto()  # <= (a >= b is parsed as b <= a)
    LOGAND = auto()  # &&
    LOGOR = auto()  # ||
    ASSIGN = auto()  # =  (a += b becomes tmp = &a, *tmp = *tmp + b)
    COMMA = auto()  # ,
    # unary operators: op lhs
    NEG = auto()  # unary -
    NOT = auto()  # !
    BITNOT = auto()  # ~
    ADDR = auto()  # unary &
    DEREF = auto()  # unary *
    CAST = auto()  # (type) lhs, also the implicit conversions
    MEMBER = auto()  # lhs.member (p->member is (*p).member)
    # other expressions
    COND = auto()  # cond ? then : els
    FUNCALL = auto()  # func_name(args), or through a pointer: (*lhs)(args)
    VA_START = auto()  # the address of a variadic function's first unnamed argument
    VAR = auto()  # a variable
    NUM = auto()  # an integer constant
    MEMZERO = auto()  # zero a local variable before its initialiser runs
    # statements
    RETURN = auto()  # return lhs;
    IF = auto()  # if (cond) then else els
    FOR = auto()  # for (init; cond; inc) then, also `while`
    DO = auto()  # do then while (cond);
    SWITCH = auto()  # switch (cond) then
    CASE = auto()  # case val: lhs, also `default:`
    BLOCK = auto()  # { body }
    GOTO = auto()  # goto label;
    LABEL = auto()  # label: lhs
    EXPR_STMT = auto()  # lhs;
    NULL_STMT = auto()  # ;
# --8<-- [end:node_kind]


@dataclass(eq=False)
# --8<-- [start:node]
class Node:
    kind: NodeKind
    tok: Token  # the token it came from, for diagnostics
    ty: Type | None = None  # set by type.add_type on expressions
    lhs: Node | None = None
    rhs: Node | None = None
    # IF, FOR, DO, COND, SWITCH
    cond: Node | None = None
    then: Node | None = None
    els: Node | None = None
    init: Node | None = None  # FOR
    inc: Node | None = None  # FOR
    brk_label: str = ""  # FOR, DO, SWITCH: where `break` jumps
    cont_label: str = ""  # FOR, DO: where `continue` jumps
    # BLOCK
    body: list[Node] = field(default_factory=list)
    # MEMBER
    member: Member | None = None
    # FUNCALL (a call through a pointer has no func_name: lhs is the pointer)
    func_name: str = ""
    func_ty: Type | None = None
    args: list[Node] = field(default_factory=list)
    # GOTO, LABEL
    label: str = ""  # the name in the source
    unique_label: str = ""  # its label in the assembly
    # SWITCH, CASE
    cases: list[Node] = field(default_factory=list)  # SWITCH: its CASE nodes
    default_case: Node | None = None  # SWITCH
    # VAR, MEMZERO
    var: Obj | None = None
    # NUM, CASE
    val: int = 0
    fval: float = 0.0  # NUM of type float or double
# --8<-- [end:node]
