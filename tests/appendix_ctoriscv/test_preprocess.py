"""The preprocessor (book section A.2): #include, #define, #if and friends, macro expansion.

Each case states its expected token sequence by hand, as the C standard's rules give it (the
examples follow C89 3.8.3's); where gcc is installed, `gcc -E` must agree on the same input.
"""

import os
import shutil
import subprocess

import pytest

from appendix_ctoriscv.defs import SourceFile, TokenKind
from appendix_ctoriscv.errors import CompileError, Diagnostics
from appendix_ctoriscv.lex import tokenize
from appendix_ctoriscv.preprocess import preprocess

pytestmark = pytest.mark.sec_a_2


def pp(text, name="t.c", include_paths=()):
    diag = Diagnostics()
    tokens = preprocess(tokenize(SourceFile(name, text), diag), diag, include_paths)
    return tokens, diag


def expand(text, **kw):
    tokens, diag = pp(text, **kw)
    assert not diag.errors, "\n".join(d.render() for d in diag.errors)
    return " ".join(t.text for t in tokens[:-1])


CASES = [
    ("#define N 10\nN + N", "10 + 10"),
    ("#define A B\n#define B 3\nA", "3"),
    ("#define F(x) x * 2\nF(3 + 1)", "3 + 1 * 2"),
    ("#define F(x) (x) * 2\nF(3 + 1)", "( 3 + 1 ) * 2"),
    ("#define MAX(a, b) ((a) > (b) ? (a) : (b))\nMAX(1, f(2, 3))",
     "( ( 1 ) > ( f ( 2 , 3 ) ) ? ( 1 ) : ( f ( 2 , 3 ) ) )"),
    ("#define F(x) x\nF", "F"),  # a function-like macro's name alone is left alone
    ("#define F() 7\nF()", "7"),
    ("#define SELF SELF + 1\nSELF", "SELF + 1"),  # no recursion
    ("#define A B\n#define B A\nA B", "A B"),
    ("#define F(x) G(x)\n#define G(x) x + 1\nF(F(1))", "1 + 1 + 1"),
    ("#define CAT(a, b) a ## b\nCAT(x, y) CAT(1, 2)", "xy 12"),
    ("#define CAT(a, b) a ## b\n#define xy 5\nCAT(x, y)", "5"),
    ("#define EMPTY\nEMPTY x EMPTY", "x"),
    ("#define N 1\n#undef N\nN", "N"),
    ("#define OBJ (1)\n#define FN(x) x\nFN(OBJ)", "( 1 )"),
    ("#define L(x) __LINE__\n\nL(1)", "3"),
    ("#define S(x) #x\nS(a  +   b)", '"a + b"'),
    ('#define S(x) #x\nS("q\\n")', '"\\"q\\\\n\\""'),
    ("#if 1\na\n#else\nb\n#endif", "a"),
    ("#if 0\na\n#else\nb\n#endif", "b"),
    ("#if 0\na\n#elif 2 > 1\nb\n#elif 1\nc\n#else\nd\n#endif", "b"),
    ("#if 0\n#if 1\na\n#endif\nb\n#endif\nc", "c"),
    ("#if 1\n#if 0\na\n#else\nb\n#endif\n#endif", "b"),
    ("#define X\n#ifdef X\na\n#endif\n#ifndef X\nb\n#endif", "a"),
    ("#if defined(X) || defined Y\na\n#else\nb\n#endif", "b"),
    ("#define Y 0\n#if defined Y && !Y\na\n#endif", "a"),
    ("#if UNDEFINED_NAME == 0\na\n#endif", "a"),
    ("#if (2 + 3) * 4 == 20 && 7 % 3 == 1 && (1 ? 5 : 6) == 5 && -1 < 0\na\n#endif", "a"),
    ("#if 0\n#error not an error when skipped\n#garbage\n#endif\nx", "x"),
    ('"ab" "cd"', '"ab"'),  # joined into one literal, whose spelling is the first part
    ("#\n# /* null directives */\nx", "x"),
    ("#pragma once\nx", "x"),
]


@pytest.mark.parametrize("src, expected", CASES)
def test_expansion(src, expected):
    assert expand(src) == expected


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed: no cross-check")
@pytest.mark.parametrize("src, expected", [c for c in CASES if "__LINE__" not in c[0]])
def test_expansion_agrees_with_gcc(src, expected):
    out = subprocess.run(
        ["gcc", "-E", "-P", "-x", "c", "-"], input=src, capture_output=True, text=True
    ).stdout
    gcc_tokens, _ = pp(out)
    assert expand(src) == " ".join(t.text for t in gcc_tokens[:-1])


def test_adjacent_strings_join():
    tokens, _ = pp('"ab" "cd" "" "e"')
    assert tokens[0].str_val == b"abcde\0"
    assert tokens[0].ty.array_len == 6


def test_keywords_are_marked_after_expansion():
    tokens, _ = pp("#define T int\nT x; while")
    assert [t.kind for t in tokens[:-1]] == [TokenKind.KEYWORD, TokenKind.IDENT,
                                             TokenKind.PUNCT, TokenKind.KEYWORD]


def test_include_next_to_the_file_and_on_the_search_path(tmp_path):
    (tmp_path / "local.h").write_text("#ifndef LOCAL_H\n#define LOCAL_H\nint local;\n#endif\n")
    other = tmp_path / "inc"
    other.mkdir()
    (other / "lib.h").write_text("#define LIB 42\n")
    main = tmp_path / "main.c"
    src = '#include "local.h"\n#include "local.h"\n#include "lib.h"\nLIB'
    assert expand(src, name=str(main), include_paths=[str(other)]) == "int local ; 42"


def test_tokens_from_an_include_keep_their_file_and_line(tmp_path):
    (tmp_path / "h.h").write_text("\n\nint z;\n")
    tokens, _ = pp('#include "h.h"\nx', name=str(tmp_path / "m.c"))
    assert (tokens[0].file.name.endswith("h.h"), tokens[0].line) == (True, 3)
    assert (tokens[-2].text, tokens[-2].line) == ("x", 2)


@pytest.mark.parametrize(
    "src, line, message",
    [
        ("#if 1\nx\n", 1, "unterminated conditional directive"),
        ("#endif\n", 1, "#endif without #if"),
        ("#else\n", 1, "#else without #if"),
        ("#error stop here\n", 1, "#error stop here"),
        ("#frobnicate\n", 1, "invalid preprocessing directive #frobnicate"),
        ("#define F(a, b) a\nF(1)\n", 2, "macro 'F' passed 1 arguments, but takes 2"),
        ("#define F(a) a\nF(1\n", 2, "unterminated argument list invoking macro 'F'"),
        ("#define 3 x\n", 1, "macro names must be identifiers"),
        ("#if 1 +\n#endif\n", 1, "expected expression at end of input"),
        ("#if 1\n#else\n#else\n#endif\n", 3, "#else after #else"),
        ("#define F(a b) a\n", 1, "expected ',' or ')' in macro parameter list"),
        ("#define F(a, a) a\n", 1, "duplicate macro parameter 'a'"),
        ("#define F(a) #b\n", 1, "'#' is not followed by a macro parameter"),
    ],
)
def test_preprocessor_errors(src, line, message):
    _, diag = pp(src)
    assert diag.errors, "expected an error"
    assert (diag.errors[0].line, diag.errors[0].message) == (line, message)


@pytest.mark.parametrize(
    "src, message",
    [
        ('#include "missing.h"\nint x = ;\n', "missing.h: No such file or directory"),
        ("#include <stdio.h>\nint x = ;\n", "stdio.h: No such file or directory"),
    ],
)
def test_a_missing_header_stops_the_compilation(src, message):
    with pytest.raises(CompileError) as info:
        pp(src)
    assert [(e.line, e.message) for e in info.value.errors] == [(1, message)]  # nothing after


def test_a_file_including_itself_is_stopped(tmp_path):
    (tmp_path / "self.h").write_text('#include "self.h"\nint x;\n')
    with pytest.raises(CompileError, match="a recursive #include"):
        pp('#include "self.h"\n', name=str(tmp_path / "m.c"))


def gcc_expand(src, directory, include_paths=()):
    """`gcc -E` of `src` saved as main.c in `directory`, as our tokens (None without gcc)."""
    if shutil.which("gcc") is None:
        return None
    (directory / "main.c").write_text(src)
    flags = [f"-I{p}" for p in include_paths]
    out = subprocess.run(["gcc", "-E", "-P", *flags, str(directory / "main.c")],
                         capture_output=True, text=True, check=True).stdout
    tokens, _ = pp(out)
    return " ".join(t.text for t in tokens[:-1])


@pytest.mark.parametrize(
    "src, expected",
    [
        ('#define HDR "h.h"\n#include HDR\nH', "int h ; 1"),
        ("#define SYS <sys.h>\n#include SYS\nS", "int s ; 2"),
        ("#define S(x) #x\n#define NAME h.h\n#define X(x) S(x)\n#include X(NAME)\nH",
         "int h ; 1"),
        ("#define F(a) <a.h>\n#include F(sys)\nS", "int s ; 2"),
    ],
)
def test_include_of_a_macro(tmp_path, src, expected):
    # C89 3.8.2: the line is macro-expanded and must then be one of the two header-name forms
    (tmp_path / "h.h").write_text("int h;\n#define H 1\n")
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "sys.h").write_text("int s;\n#define S 2\n")
    assert expand(src, name=str(tmp_path / "main.c"), include_paths=[str(inc)]) == expected
    assert gcc_expand(src, tmp_path, [inc]) in (None, expected)


@pytest.mark.parametrize(
    "src, message",
    [
        ("#define N 3\n#include N\n", '#include N expands to 3, not "FILENAME" or <FILENAME>'),
        ("#define E\n#include E\n", '#include E expands to nothing, not "FILENAME" or <FILENAME>'),
        ("#include UNDEFINED\n",
         '#include UNDEFINED expands to UNDEFINED, not "FILENAME" or <FILENAME>'),
    ],
)
def test_include_of_a_macro_that_is_no_header_name(tmp_path, src, message):
    _, diag = pp(src)
    assert [(e.line, e.message) for e in diag.errors] == [(2 - src.startswith("#include"),
                                                           message)]
    if shutil.which("gcc") is not None:  # gcc rejects each of them too
        (tmp_path / "main.c").write_text(src)
        assert subprocess.run(["gcc", "-E", str(tmp_path / "main.c")],
                              capture_output=True).returncode != 0


@pytest.mark.parametrize("epoch", [0, 1_700_000_000, 1_709_251_199, 4_102_444_799])
def test_date_and_time_are_gccs_for_the_same_source_date_epoch(native_run, monkeypatch, epoch):
    """C89's __DATE__ ("Mmm dd yyyy", the day padded with a space) and __TIME__; with
    $SOURCE_DATE_EPOCH set, gcc uses that moment in UTC, and so do we."""
    from appendix_ctoriscv import emu
    from appendix_ctoriscv.main import compile_executable

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    src = ('#include <stdio.h>\nint main(void) { printf("%s|%s|%d|%d\\n", __DATE__, __TIME__,'
           " (int)sizeof __DATE__, (int)sizeof __TIME__); return 0; }\n")
    _, exe = compile_executable(src, "t.c")
    assert emu.run(exe).stdout == native_run(src)[1]


LINE_PROGRAM = """#include <stdio.h>
int first = __LINE__;
#line 100
int second = __LINE__;
#define WHERE printf("%s:%d\\n", __FILE__, __LINE__)
#line 7 "other.c"
int main(void) {
    printf("%d %d\\n", first, second);
    WHERE;
#define N 41
#line N
    WHERE;
#if 0
#line 1 "skipped.c"
#endif
    WHERE;
    return 0;
}
"""


def test_line_directive_sets_what_line_and_file_say(native_run):
    """#line N ["name"] (C89 3.8.4), also through a macro and not in a skipped group: the
    program prints what gcc's build of it prints."""
    from appendix_ctoriscv import emu
    from appendix_ctoriscv.main import compile_executable

    _, exe = compile_executable(LINE_PROGRAM, "t.c")
    assert emu.run(exe).stdout == native_run(LINE_PROGRAM)[1]


@pytest.mark.parametrize("directive, col, message", [
    ("#line x", 7, '"x" after #line is not a positive integer'),
    ("#line 0x10", 7, '"0x10" after #line is not a positive integer'),
    ("#line 5 foo", 9, '"foo" is not a valid filename'),
    ("#line 5 \"a.c\" 3", 15, "extra tokens at end of #line directive"),
    ("#line 0", 7, "line number out of range"),
])  # fmt: skip
def test_bad_line_directives_are_gccs_diagnostics(tmp_path, directive, col, message):
    src = directive + "\nint x;\n"
    _, diag = pp(src)
    assert [(d.line, d.col, d.message) for d in diag.items] == [(1, col, message)]
    if shutil.which("gcc") is not None:
        (tmp_path / "l.c").write_text(src)
        done = subprocess.run(["gcc", "-E", "-pedantic", "l.c"], capture_output=True, text=True,
                              cwd=tmp_path, env=dict(os.environ, LC_ALL="C"))
        assert f"l.c:1:{col}: " in done.stderr and message in done.stderr
