"""The lexer (book section A.1): tokens, constants and their C89 types, escapes, positions.

Expected values come from the C89 standard (3.1.3: the type of an integer constant is the first
of a list that can hold it) and from ASCII, worked out by hand.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appendix_ctoriscv.defs import SourceFile, TokenKind
from appendix_ctoriscv.errors import Diagnostics
from appendix_ctoriscv.lex import tokenize
from appendix_ctoriscv.type import INT, LONG, UINT, ULONG

pytestmark = pytest.mark.sec_a_1


def lex(text, std="c99"):
    diag = Diagnostics()
    tokens = tokenize(SourceFile("t.c", text), diag, std)
    return tokens, diag


def texts(text):
    tokens, diag = lex(text)
    assert not diag.errors, [d.render() for d in diag.errors]
    return [t.text for t in tokens[:-1]]


def test_punctuators_take_the_longest_match():
    assert texts("a<<=b>>=c") == ["a", "<<=", "b", ">>=", "c"]
    assert texts("x+++y") == ["x", "++", "+", "y"]
    assert texts("p->q...") == ["p", "->", "q", "..."]
    assert texts("a&&b||!c") == ["a", "&&", "b", "||", "!", "c"]
    assert texts("#define A(x) #x##y") == ["#", "define", "A", "(", "x", ")", "#", "x", "##", "y"]


def test_every_c89_punctuator_is_one_token():
    puncts = (
        "[ ] ( ) { } . -> ++ -- & * + - ~ ! / % << >> < > <= >= == != ^ | && || ? : ; ... "
        "= *= /= %= += -= <<= >>= &= ^= |= , # ##"
    ).split()
    tokens, diag = lex(" ".join(puncts))
    assert not diag.errors
    assert [t.text for t in tokens[:-1]] == puncts
    assert all(t.kind == TokenKind.PUNCT for t in tokens[:-1])


@pytest.mark.parametrize(
    "text, value, ty",
    [
        ("0", 0, INT),
        ("42", 42, INT),
        ("0x2a", 42, INT),
        ("0X2A", 42, INT),
        ("052", 42, INT),
        ("2147483647", 2147483647, INT),
        ("2147483648", 2147483648, ULONG),  # decimal: int, long, unsigned long
        ("4294967295", 4294967295, ULONG),
        ("0x7fffffff", 2147483647, INT),
        ("0x80000000", 2147483648, UINT),  # hex: int, unsigned int, long, unsigned long
        ("037777777777", 4294967295, UINT),
        ("10u", 10, UINT),
        ("10U", 10, UINT),
        ("10l", 10, LONG),
        ("10L", 10, LONG),
        ("10ul", 10, ULONG),
        ("10LU", 10, ULONG),
        ("3000000000l", 3000000000, ULONG),
    ],
)
def test_integer_constant_values_and_types(text, value, ty):
    tokens, diag = lex(text)
    assert not diag.errors
    assert tokens[0].kind == TokenKind.NUM
    assert tokens[0].val == value
    assert tokens[0].ty is ty


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["{:d}", "0x{:x}", "0{:o}", "0X{:X}"]))
def test_integer_constants_in_every_base(value, fmt):
    tokens, diag = lex(fmt.format(value))
    assert not diag.errors
    assert tokens[0].val == value


@pytest.mark.parametrize(
    "text, value",
    [
        ("'a'", 97),
        ("'0'", 48),
        ("' '", 32),
        (r"'\n'", 10),
        (r"'\t'", 9),
        (r"'\0'", 0),
        (r"'\\'", 92),
        (r"'\''", 39),
        (r"'\"'", 34),
        (r"'\?'", 63),
        (r"'\a'", 7),
        (r"'\x41'", 65),
        (r"'\101'", 65),
        (r"'\377'", 255),
        (r"'\xff'", 255),  # plain char is unsigned on RISC-V
    ],
)
def test_character_constants(text, value):
    tokens, diag = lex(text)
    assert not diag.errors
    assert (tokens[0].kind, tokens[0].val, tokens[0].ty) == (TokenKind.NUM, value, INT)


def test_string_literal_bytes_and_type():
    tokens, diag = lex(r'"a\tb\\c\"d\x41\101\n"')
    assert not diag.errors
    tok = tokens[0]
    assert tok.kind == TokenKind.STR
    assert tok.str_val == b'a\tb\\c"dAA\n\0'
    assert tok.ty.array_len == 11


def test_comments_are_skipped_and_positions_kept():
    src = "int /* a\n comment */ x; // rest\n  y"
    tokens, diag = lex(src)
    assert not diag.errors
    assert [(t.text, t.line, t.col) for t in tokens[:-1]] == [
        ("int", 1, 1),
        ("x", 2, 13),
        (";", 2, 14),
        ("y", 3, 3),
    ]
    assert tokens[0].at_bol and not tokens[1].at_bol and tokens[3].at_bol
    assert tokens[1].has_space and not tokens[2].has_space


def test_keywords_stay_identifiers_until_preprocessed():
    tokens, _ = lex("int while x")
    assert [t.kind for t in tokens[:-1]] == [TokenKind.IDENT] * 3


def test_line_comments_are_an_error_in_c89():
    _, diag = lex("int x; // c99\n", std="c89")
    assert [d.message for d in diag.errors] == ["C++ style comments are not allowed in ISO C90"]
    assert (diag.errors[0].line, diag.errors[0].col) == (1, 8)


@pytest.mark.parametrize(
    "text, col, message",
    [
        ("int x = 1 @ 2;", 11, "stray '@' in program"),
        ("x = 1.5e;", 5, "exponent has no digits"),
        ("x = 1.5x;", 5, 'invalid suffix "x" on floating constant'),
        ("x = 99999999999;", 5, "integer constant is too large for its type"),
        ("x = 09;", 5, "invalid integer constant '09'"),
        ("c = '';", 5, "empty character constant"),
        ('s = "abc\n";', 5, 'missing terminating " character'),
        ("a /* never closed", 3, "unterminated comment"),
        ("w = L'a';", 5, "wide character and string literals are not supported"),
        ('w = L"ab";', 5, "wide character and string literals are not supported"),
    ],
)
def test_lexical_errors(text, col, message):
    _, diag = lex(text)
    assert diag.errors, "expected an error"
    assert (diag.errors[0].col, diag.errors[0].message) == (col, message)


def test_several_errors_in_one_run():
    _, diag = lex("a @ b $ c\n`")
    assert [(d.line, d.col) for d in diag.errors] == [(1, 3), (1, 7), (2, 1)]


def test_no_module_shadows_the_standard_library():
    """A script run inside the package folder puts that folder first on sys.path: a module
    named like a standard one (the lexer was tokenize.py) then hides it from every import,
    and Python itself fails (linecache imports tokenize)."""
    import pathlib
    import sys

    folder = pathlib.Path(__file__).parents[2] / "appendix_ctoriscv"
    names = {p.stem for p in folder.glob("*.py")}
    assert names and not names & set(sys.stdlib_module_names)


SPLICED = (  # a backslash-newline anywhere, even inside a token (C89 2.1.1.2, phase 2)
    '#include <stdio.h>\n'
    '#define TWICE(x) \\\n  ((x) + \\\n   (x))\n'
    'int ma\\\nin(void) {\n'
    '    char *s = "ab\\\ncd";\n'
    '    int n = 12\\\n34, m = 1;\n'
    '    m +\\\n= 2; /* a comment \\\n */\n'
    '    printf("%s %d %d %d\\n", s, n, m, TWICE(n));\n'
    '    return s[2];\n'
    '}\n'
)
TRIGRAPH = ('??=include <stdio.h>\n'
            'int main(void) { int a??(2??) = ??< 5, 6 ??>; printf("%d %d??/n", a??(1??) ??! 8,'
            ' ??-a[0] ??\' 3); return 0; }\n')


@pytest.mark.parametrize("source, std", [(SPLICED, "c99"), (SPLICED, "c89"),
                                         (TRIGRAPH, "c89"), (SPLICED.replace("\n", "\r\n"), "c99")])
def test_joined_lines_and_trigraphs_run_as_gccs(native_run, source, std):
    """Lines joined inside a string, a name, a number and a punctuator; trigraphs in ISO C89
    mode, as gcc -std=c89: the program prints what gcc's build prints."""
    from appendix_ctoriscv import emu
    from appendix_ctoriscv.main import compile_executable

    _, exe = compile_executable(source, "t.c", std=std)
    flags = ["-std=c89"] if std == "c89" else []
    run, (code, out) = emu.run(exe), native_run(source, flags=flags)
    assert (run.stdout, run.exit_code) == (out, code)


def test_trigraphs_are_left_alone_outside_c89():
    """gcc's default (gnu) modes ignore trigraphs, and so does our default."""
    assert texts('"??="') == ['"??="']
    tokens, diag = lex('"??="', std="c89")
    assert [t.str_val for t in tokens[:-1]] == [b"#\0"]


def test_tokens_after_joined_lines_keep_their_place_in_the_file():
    """Each token's line and column are where it starts in the file, as gcc reports them."""
    tokens, diag = lex("int a\\\nb = 1 +\\\n  2; x\n  ??= y", std="c89")
    assert not diag.errors
    where = [(t.text, t.line, t.col) for t in tokens[:-1]]
    assert where == [("int", 1, 1), ("ab", 1, 5), ("=", 2, 3), ("1", 2, 5), ("+", 2, 7),
                     ("2", 3, 3), (";", 3, 4), ("x", 3, 6), ("#", 4, 3), ("y", 4, 7)]
