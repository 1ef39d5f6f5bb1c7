"""The parser and the type pass (book sections A.3 and A.4).

Tree shapes follow C89's grammar (3.3), written out by hand. Values of random constant
expressions are checked against the host's gcc, which evaluates the same text.
"""

import pytest

from appendix_ctoriscv.defs import NodeKind, SourceFile, TypeKind
from appendix_ctoriscv.errors import Diagnostics
from appendix_ctoriscv.lex import tokenize
from appendix_ctoriscv.parse import Parser, parse
from appendix_ctoriscv.preprocess import preprocess
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
    array_of,
    common_type,
    pointer_to,
    type_name,
)

SYMBOL = {
    NodeKind.ADD: "+", NodeKind.SUB: "-", NodeKind.MUL: "*", NodeKind.DIV: "/",
    NodeKind.MOD: "%", NodeKind.SHL: "<<", NodeKind.SHR: ">>", NodeKind.BITAND: "&",
    NodeKind.BITOR: "|", NodeKind.BITXOR: "^", NodeKind.EQ: "==", NodeKind.NE: "!=",
    NodeKind.LT: "<", NodeKind.LE: "<=", NodeKind.LOGAND: "&&", NodeKind.LOGOR: "||",
    NodeKind.ASSIGN: "=", NodeKind.COMMA: ",", NodeKind.NEG: "neg", NodeKind.NOT: "!",
    NodeKind.BITNOT: "~", NodeKind.DEREF: "*", NodeKind.ADDR: "&",
}  # fmt: skip


def tokens_of(src, diag):
    return preprocess(tokenize(SourceFile("t.c", src), diag), diag)


def program(src, std="c99"):
    diag = Diagnostics()
    objs = parse(tokens_of(src, diag), diag, std)
    assert not diag.errors, "\n".join(d.render() for d in diag.errors)
    return {o.name: o for o in objs}


def sexp(node):
    """The tree as an s-expression; implicit conversions are left out."""
    k = node.kind
    explicit = k == NodeKind.CAST and node.tok.text == "(" and node.lhs.tok is not node.tok
    if k == NodeKind.CAST and not explicit:
        return sexp(node.lhs)
    if k == NodeKind.NUM:
        return str(node.val)
    if k == NodeKind.VAR:
        return node.var.name
    if k == NodeKind.COND:
        return f"(? {sexp(node.cond)} {sexp(node.then)} {sexp(node.els)})"
    if k == NodeKind.FUNCALL:
        return f"({node.func_name} {' '.join(sexp(a) for a in node.args)})".replace(" )", ")")
    if k == NodeKind.CAST:
        return f"(cast {type_name(node.ty)} {sexp(node.lhs)})"
    parts = [sexp(n) for n in (node.lhs, node.rhs) if n is not None]
    return f"({SYMBOL[k]} {' '.join(parts)})"


def expr_tree(expr, decls="int a, b, c, d, e, *p, arr[4], f(int, int);"):
    fn = program(f"{decls} void t(void) {{ {expr}; }}")["t"]
    return sexp(fn.body.body[0].lhs)


@pytest.mark.sec_a_3
@pytest.mark.parametrize(
    "expr, tree",
    [
        ("a - b - c", "(- (- a b) c)"),
        ("a + b * c", "(+ a (* b c))"),
        ("(a + b) * c", "(* (+ a b) c)"),
        ("a * b % c / d", "(/ (% (* a b) c) d)"),
        ("a << b + c", "(<< a (+ b c))"),
        ("a < b == c < d", "(== (< a b) (< c d))"),
        ("a > b", "(< b a)"),
        ("a >= b", "(<= b a)"),
        ("a & b ^ c | d", "(| (^ (& a b) c) d)"),
        ("a == b & c", "(& (== a b) c)"),
        ("a || b && c", "(|| a (&& b c))"),
        ("a ? b : c ? d : e", "(? a b (? c d e))"),
        ("a = b = c", "(= a (= b c))"),
        ("a, b, c", "(, a (, b c))"),
        ("-a * b", "(* (neg a) b)"),
        ("!a + ~b", "(+ (! a) (~ b))"),
        ("-(-a)", "(neg (neg a))"),
        ("*p + 1", "(+ (* p) 1)"),
        ("&a", "(& a)"),
        ("f(a + 1, b)", "(f (+ a 1) b)"),
        ("(char)a + b", "(+ (cast char a) b)"),
        ("a = b ? c : d", "(= a (? b c d))"),
        ("a || b ? c : d", "(? (|| a b) c d)"),
        ("p + 1", "(+ p (* 1 4))"),  # pointer arithmetic is scaled by the element size
        ("p - p", "(/ (- p p) 4)"),
        ("arr[a]", "(* (+ arr (* a 4)))"),
        ("a += b", "(= a (+ a b))"),
    ],
)
def test_precedence_and_associativity(expr, tree):
    assert expr_tree(expr) == tree


@pytest.mark.sec_a_3
def test_statements_and_scopes():
    fns = program(
        """
        int g;
        int f(int n) {
            int x = 1;
            { int x = 2; g = x; }
            while (n) { if (n == 3) break; n--; }
            for (int i = 0; i < 3; i++) x += i;
            switch (n) { case 1: x = 5; default: x++; }
            do x--; while (x > 100);
            goto out;
        out:
            return x;
        }
        """
    )
    f = fns["f"]
    kinds = [s.kind for s in f.body.body]
    assert kinds == [NodeKind.BLOCK, NodeKind.BLOCK, NodeKind.FOR, NodeKind.FOR, NodeKind.SWITCH,
                     NodeKind.DO, NodeKind.GOTO, NodeKind.LABEL]
    inner_x = f.body.body[1].body[0].body[0]
    assert inner_x.kind == NodeKind.EXPR_STMT  # `int x = 2;` is an initialising assignment
    names = [v.name for v in f.locals if v.name]
    assert names == ["n", "x", "x", "i"]  # the inner x is a distinct object
    switch = f.body.body[4]
    assert [c.val for c in switch.cases] == [1] and switch.default_case is not None


@pytest.mark.sec_a_3
def test_declarators():
    objs = program("int *a[3]; int (*b)[3]; char **c; int d[2][5]; unsigned long e; "
                   "static short f; extern int g; int h(char, int *);")
    assert type_name(objs["a"].ty) == "int *[3]"
    assert objs["b"].ty.kind == TypeKind.PTR and objs["b"].ty.base.array_len == 3
    assert type_name(objs["c"].ty) == "char **"
    assert (objs["d"].ty.size, objs["d"].ty.base.size) == (40, 20)
    assert objs["e"].ty is ULONG
    assert objs["f"].is_static and objs["f"].ty is SHORT
    assert not objs["g"].is_definition
    assert [type_name(t) for t in objs["h"].ty.params] == ["char", "int *"]


@pytest.mark.sec_a_3
def test_global_initialisers():
    objs = program('int a = 3 * 4; char s[] = "hi"; int v[4] = {1, 2}; char *p = s + 1; '
                   "int m[2][2] = {1, 2, 3}; short h = -2; int *q = &v[2];")
    assert objs["a"].init_data == (12).to_bytes(4, "little")
    assert objs["s"].init_data == b"hi\0" and objs["s"].ty.array_len == 3
    assert objs["v"].init_data == bytes([1, 0, 0, 0, 2, 0, 0, 0]) + bytes(8)
    assert objs["p"].relocations == [(0, "s", 1)]
    assert objs["q"].relocations == [(0, "v", 8)]
    assert objs["m"].init_data == b"".join(i.to_bytes(4, "little") for i in (1, 2, 3, 0))
    assert objs["h"].init_data == b"\xfe\xff"


# *** types (A.4) ***


@pytest.mark.sec_a_4
@pytest.mark.parametrize(
    "a, b, result",
    [
        (CHAR, CHAR, INT),  # integer promotion first
        (SHORT, USHORT, INT),
        (UCHAR, SCHAR, INT),
        (INT, UINT, UINT),
        (INT, LONG, LONG),
        (UINT, LONG, ULONG),  # a 32-bit long cannot hold every unsigned int
        (LONG, ULONG, ULONG),
        (USHORT, UINT, UINT),
        (CHAR, LONG, LONG),
    ],
)
def test_usual_arithmetic_conversions(a, b, result):
    assert common_type(a, b) is result
    assert common_type(b, a) is result


@pytest.mark.sec_a_4
def test_type_names():
    assert type_name(pointer_to(pointer_to(CHAR))) == "char **"
    assert type_name(array_of(INT, 3)) == "int[3]"
    assert type_name(pointer_to(array_of(INT, 3))) == "int (*)[3]"  # gcc's spellings
    assert type_name(array_of(array_of(INT, 5), 3)) == "int[3][5]"
    assert type_name(UINT) == "unsigned int"
    assert type_name(SCHAR) == "signed char"


@pytest.mark.sec_a_4
@pytest.mark.parametrize(
    "expr, value",
    [
        ("sizeof(char)", 1), ("sizeof(short)", 2), ("sizeof(int)", 4), ("sizeof(long)", 4),
        ("sizeof(char *)", 4), ("sizeof(int[3][5])", 60), ("sizeof(unsigned long)", 4),
        ("sizeof 1u", 4), ("sizeof 'a'", 4), ("sizeof(short) + sizeof(char)", 3),
        ("-1 < 0u", 0), ("-1 < 0", 1), ("-1L < 0u", 0), ("(unsigned char)-1", 255),
        ("(signed char)200", -56), ("(short)70000", 4464), ("-7 / 2", -3), ("-7 % 2", -1),
        ("-1 >> 1", -1), ("-1u >> 1 == 0x7fffffff", 1), ("0x7fffffff + 1 < 0", 1),
    ],
)  # fmt: skip
def test_constant_expression_values(expr, value):
    diag = Diagnostics()
    assert Parser(tokens_of(expr, diag), diag).const_expr_value() == value
    assert not diag.errors


@pytest.mark.sec_a_4
def test_random_constant_expressions_agree_with_gcc(native_run, make_expressions):
    exprs = make_expressions(seed=1, count=300)
    body = "\n".join(f'    printf("%d\\n", (int)({e}));' for e in exprs)
    _, out = native_run(f"int printf(const char *, ...);\nint main() {{\n{body}\n}}\n")
    expected = [int(line) for line in out.decode().split()]
    for expr, want in zip(exprs, expected):
        diag = Diagnostics()
        got = Parser(tokens_of(f"(int)({expr})", diag), diag).const_expr_value()
        assert not diag.errors, expr
        assert got == want, expr
