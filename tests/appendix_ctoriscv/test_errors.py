"""Diagnostics (book sections A.1-A.5): invalid programs are rejected at the right line and
column, with several errors per run, warnings for suspicious code, no output file and no
Python traceback. Each expected message and position is read off the program by hand; the
wording follows gcc's where gcc has one.
"""

import pytest

from appendix_ctoriscv.errors import CompileError
from appendix_ctoriscv.main import compile_source, main

# (source, "line:col", message fragment) of the first error
INVALID = [
    pytest.param("int main() { return x; }", "1:21", "'x' undeclared", marks=pytest.mark.sec_a_3),
    pytest.param("int main() {\n  int a = 1\n  return a;\n}", "2:12",  # the end of the line
                 "expected ',' or ';' before 'return'",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int main() { return (1 + 2; }", "1:27", "expected ')' before ';'",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int main() { x = ; }", "1:14", "'x' undeclared", marks=pytest.mark.sec_a_3),
    pytest.param("int main() { int a; a = ; }", "1:25", "expected expression before ';'",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int main() { return 0;", "1:23", "expected '}' at end of input",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int main() { break; }", "1:14", "break statement not within loop or switch",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int main() { continue; }", "1:14", "continue statement not within a loop",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int main() { case 1: return 0; }", "1:14", "case label not within a switch",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int main() { switch (1) { case 1: case 1: ; } }", "1:35", "duplicate case value",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int main(int n) { switch (n) { case n: ; } }", "1:37",
                 "expression is not an integer constant", marks=pytest.mark.sec_a_3),
    pytest.param("int main() { goto out; }", "1:14", "label 'out' used but not defined",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int main() { int a; int a; }", "1:25", "redeclaration of 'a' with no linkage",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int f() { return 1; }\nint f() { return 2; }", "2:5", "redefinition of 'f'",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int x;\nchar *x;", "2:7", "conflicting types for 'x'", marks=pytest.mark.sec_a_3),
    pytest.param("int f(void);\nint f(int a) { return a; }", "2:5", "conflicting types for 'f'",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int f(int a) {\n  int a;\n  return a;\n}", "2:7",
                 "redeclaration of 'a' with no linkage",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int (*fp)(int);\nint main() { return fp(1, 2); }", "2:21",
                 "too many arguments to function 'fp'",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int f(int g(int));\nint main() { return f(3); }", "2:23",
                 "passing argument 1 of 'f' makes pointer from integer",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int main() { int x; return (int[3])x; }", "1:28", "cast specifies array type",
                 marks=pytest.mark.sec_a_4),
    pytest.param("int main() { return main; }", "1:21", "returning 'int (*)()' from a function "
                 "with return type 'int' makes integer from pointer", marks=pytest.mark.sec_a_4),
    pytest.param("struct s { int a; };\nint main() { struct s v; return v.b; }", "2:35",
                 "'struct s' has no member named 'b'",
                 marks=pytest.mark.sec_a_3),
    pytest.param("int main() { return 1.5e; }", "1:21", "exponent has no digits",
                 marks=pytest.mark.sec_a_1),
    pytest.param("int main() { int a[2]; a = 0; }", "1:26", "assignment to expression with array",
                 marks=pytest.mark.sec_a_4),
    pytest.param("int main() { 1 = 2; }", "1:16", "lvalue required as left operand of assignment",
                 marks=pytest.mark.sec_a_4),
    pytest.param("int main() { int a; &1; }", "1:21", "lvalue required as unary '&' operand",
                 marks=pytest.mark.sec_a_4),
    pytest.param("int main() { int *p; p = 5; }", "1:24", "makes pointer from integer without",
                 marks=pytest.mark.sec_a_4),
    pytest.param("int main() { int *p; int a; a = p; }", "1:31",
                 "assignment to 'int' from 'int *' makes integer from pointer without a cast",
                 marks=pytest.mark.sec_a_4),
    pytest.param("int main() { int a; return *a; }", "1:28",
                 "invalid type argument of unary '*' (have 'int')", marks=pytest.mark.sec_a_4),
    pytest.param("int main() { int a; return a[0]; }", "1:29",
                 "subscripted value is neither array nor pointer", marks=pytest.mark.sec_a_4),
    pytest.param("int main() { int *p, *q; return p + q; }", "1:35",
                 "invalid operands to binary + (have 'int *' and 'int *')",
                 marks=pytest.mark.sec_a_4),
    pytest.param("int main() { int *p; return p * 2; }", "1:31",
                 "invalid operands to binary *", marks=pytest.mark.sec_a_4),
    pytest.param("void f(void) {}\nint main() { return f(); }", "2:21", "void value not ignored",
                 marks=pytest.mark.sec_a_4),
    pytest.param("int main() { void *p; return *p; }", "1:30", "dereferencing 'void *' pointer",
                 marks=pytest.mark.sec_a_4),
    pytest.param("int f(int a, int b);\nint main() { return f(1); }", "2:21",
                 "too few arguments to function 'f'", marks=pytest.mark.sec_a_6),
    pytest.param("int f(int a);\nint main() { return f(1, 2); }", "2:21",
                 "too many arguments to function 'f'", marks=pytest.mark.sec_a_6),
    pytest.param("int f(int *a);\nint main() { return f(3); }", "2:23",
                 "passing argument 1 of 'f' makes pointer from integer", marks=pytest.mark.sec_a_6),
    pytest.param("int main() { return g(1); }", "1:21", "implicit declaration of function 'g'",
                 marks=pytest.mark.sec_a_6),
    pytest.param("void f() { return 1; }", "1:12", "'return' with a value, in function returning",
                 marks=pytest.mark.sec_a_6),
    pytest.param("int *f() { return 1; }", "1:19", "returning 'int' from a function with return "
                 "type 'int *' makes pointer from integer", marks=pytest.mark.sec_a_6),
    pytest.param("int main() { int a; a(); }", "1:21", "called object 'a' is not a function",
                 marks=pytest.mark.sec_a_6),
    pytest.param("int f(a) int z; { return a; }", "1:14",
                 "declaration for parameter 'z' but no such parameter", marks=pytest.mark.sec_a_6),
    pytest.param('#include "nope.h"\nint main() {}', "1:10", "nope.h: No such file or directory",
                 marks=pytest.mark.sec_a_2),
]


def first_error(src, std="c99"):
    with pytest.raises(CompileError) as info:
        compile_source(src, "bad.c", std=std)
    err = info.value.errors[0]
    return f"{err.line}:{err.col}", err.message


@pytest.mark.parametrize("src, where, fragment", INVALID)
def test_invalid_programs(src, where, fragment):
    at, message = first_error(src)
    assert at == where
    assert fragment in message


@pytest.mark.sec_a_3
def test_error_format_has_the_source_line_and_a_caret():
    with pytest.raises(CompileError) as info:
        compile_source("int main() {\n    return y;\n}\n", "prog.c")
    assert str(info.value) == "prog.c:2:12: error: 'y' undeclared\n    return y;\n           ^"


@pytest.mark.sec_a_3
def test_several_errors_in_one_run():
    src = "int main() {\n  a = 1;\n  int b = ;\n  return c\n}\nint f() { break; }\n"
    with pytest.raises(CompileError) as info:
        compile_source(src, "bad.c")
    where = [(e.line, e.col) for e in info.value.errors]
    assert where == [(2, 3), (3, 11), (4, 10), (4, 11), (6, 11)]  # gcc's, with -m32


@pytest.mark.sec_a_2
def test_an_error_inside_a_macro_notes_each_expansion():
    src = "#define BAD(x) (x +)\n#define WRAP(y) BAD(y)\nint main() { return WRAP(2); }\n"
    with pytest.raises(CompileError) as info:
        compile_source(src, "m.c")
    # gcc's positions: the `)` in BAD's body, BAD in WRAP's body, then WRAP's use in main
    assert str(info.value) == (
        "m.c:1:20: error: expected expression before ')'\n#define BAD(x) (x +)\n"
        + " " * 19 + "^\n"
        "m.c:2:17: note: in expansion of macro 'BAD'\n#define WRAP(y) BAD(y)\n"
        + " " * 16 + "^\n"
        "m.c:3:21: note: in expansion of macro 'WRAP'\nint main() { return WRAP(2); }\n"
        + " " * 20 + "^"
    )


@pytest.mark.sec_a_3
def test_lexer_errors_do_not_hide_the_parser_errors():
    src = "int main() {\n  int a = 1.5e;\n  return a @ 2;\n}\n"
    with pytest.raises(CompileError) as info:
        compile_source(src, "bad.c")
    errors = [(e.line, e.col, e.message) for e in info.value.errors]
    assert errors == [(2, 11, "exponent has no digits"),
                      (3, 12, "stray '@' in program"),
                      (3, 14, "expected ';' before '2'")]  # the `@` is dropped: `return a 2;`


@pytest.mark.sec_a_3
@pytest.mark.parametrize(
    "src, fragment",
    [
        ("int main() { int a; if (a = 1) return 1; return 0; }", "suggest parentheses"),
        ("int main() { return 1 / 0; }", "division by zero"),
        ("int main() { return 1 << 32; }", "shift count is negative or >= width of type"),
        ("int main() { int *p; char *q; p = q; return 0; }", "incompatible pointer type"),
        ("int main() { int *p; return p == 1; }", "comparison between pointer and integer"),
        ("int f() { return; }", "'return' with no value"),
        ("int main() { return '\\q'; }", "unknown escape sequence"),
        ("int main() { int unused; return 0; }", "unused variable 'unused'"),
        ("int f(int x) { if (x) return 1; }", "control reaches end of non-void function"),
        ("int f(int x) { while (1) { if (x) break; } }", "control reaches end of non-void"),
        ("f() { return 0; }", "return type defaults to 'int'"),
    ],
)
def test_warnings_do_not_stop_compilation(src, fragment):
    """Each is legal C that is likely a mistake; gcc -Wall warns about the same."""
    result = compile_source(src, "w.c")
    assert any(fragment in w.message for w in result.warnings)
    assert result.asm


@pytest.mark.sec_a_2
@pytest.mark.parametrize(
    "src, fragment",
    [
        ("int main() { return 0; } // c99", "C++ style comments are not allowed in ISO C90"),
        ("int main() { int a; a = 1; int b; return 0; }", "ISO C90 forbids mixed declarations"),
        ("int main() { for (int i = 0; ; ) ; }", "'for' loop initial declarations"),
    ],
)
def test_c99_features_are_errors_with_std_c89(src, fragment):
    compile_source(src, "ok.c")  # accepted by default
    _, message = first_error(src, std="c89")
    assert fragment in message


@pytest.mark.sec_a_3
def test_driver_reports_and_writes_nothing(tmp_path, capsys):
    src = tmp_path / "bad.c"
    src.write_text("int main() {\n  return nope;\n}\n")
    out = tmp_path / "bad.s"
    exe = tmp_path / "a.out"
    assert main([str(src), "-S", "-o", str(out)]) == 1
    assert main([str(src), "-o", str(exe)]) == 1
    err = capsys.readouterr().err
    assert f"{src}:2:10: error: 'nope' undeclared" in err
    assert "1 error generated." in err
    assert "Traceback" not in err
    assert not out.exists() and not exe.exists()


@pytest.mark.sec_a_3
def test_garbage_input_never_raises_a_python_exception():
    """Whatever the bytes, the compiler answers with CompileError or assembly, nothing else."""
    import random

    rng = random.Random(6)
    pieces = ["int", "x", "(", ")", "{", "}", ";", "=", "1", "+", "*", "[", "]", ",", "if",
              "while", "return", "char", "'a'", '"s"', "#define", "\n", "?", ":", "&", "case",
              "switch", "goto", "for", "do", "else", "sizeof", "static", "extern", "void"]
    for _ in range(300):
        src = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        try:
            compile_source(src, "fuzz.c")
        except CompileError:
            pass


@pytest.mark.sec_a_3
def test_absurd_nesting_is_a_diagnostic_not_a_crash():
    src = "int main() { return " + "(" * 20000 + "1" + ")" * 20000 + "; }"
    with pytest.raises(CompileError, match="nested too deeply"):
        compile_source(src, "deep.c")


@pytest.mark.sec_a_3
@pytest.mark.parametrize(
    "src",
    [
        "int f(int x) { if (x) return 1; else return 2; }",
        "int f(int x) { for (;;) { if (x) return 1; } }",
        "int f(int x) { switch (x) { case 1: return 1; default: return 2; } }",
        "void exit(int); int f(void) { exit(1); }",
        "int main() { }",  # C99 main returns 0
    ],
)
def test_no_false_alarm_for_functions_that_always_return(src):
    assert not compile_source(src, "ok.c").warnings
