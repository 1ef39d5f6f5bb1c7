"""Regression tests for the defects that fuzzing found (issue 15), one or more per defect.

The references: gcc itself where it can say (`gcc -m32 -fsyntax-only`, whose int, long and
pointers are 32 bits as on RV32I, for the diagnostics; the host gcc with -funsigned-char for the
values of character constants), else the C standard's rule or a value worked out by hand.
"""

import os
import shutil
import subprocess

import pytest

from appendix_ctoriscv import emu, main, pipeline
from appendix_ctoriscv.errors import CompileError
from appendix_ctoriscv.main import compile_executable, compile_source
from appendix_ctoriscv.runtime import runtime_objects

pytestmark = pytest.mark.sec_a_5


def gcc_diagnostics(tmp_path, source: bytes, kinds=("error",)) -> list[tuple[str, str]]:
    """gcc's ("line:col", message) of each diagnostic of `kinds`, in the C locale's quotes."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: no reference for its diagnostics")
    src = tmp_path / "gcc.c"
    src.write_bytes(source)
    done = subprocess.run(["gcc", "-m32", "-std=gnu99", "-fsyntax-only", "-funsigned-char",
                           str(src)], capture_output=True, text=True, errors="replace",
                          env=dict(os.environ, LC_ALL="C"))  # fmt: skip
    found = []
    for line in done.stderr.splitlines():
        for kind in kinds:
            head, sep, message = line.partition(f": {kind}: ")
            if sep and head.startswith(str(src)):
                found.append((head[len(str(src)) + 1 :], message.split(" [-W")[0]))
    return found


def our_diagnostics(source: bytes) -> list:
    with pytest.raises(CompileError) as info:
        compile_source(source.decode("utf-8", "surrogateescape"), "t.c")
    return info.value.errors


# (source, our first error's "line:col", its message, does gcc point at the same place)
# Each message is gcc's, word for word: the test checks that gcc says it too.
GCC_ERRORS = [
    (b"int main(){const int x=1; x=2; return x;}", "1:28",
     "assignment of read-only variable 'x'", True),
    (b"int main(){const int x=1; x++; return x;}", "1:28",
     "increment of read-only variable 'x'", True),
    (b"int main(){const int x=1; --x; return x;}", "1:27",
     "decrement of read-only variable 'x'", True),
    (b"int main(){const int x=1; x+=2; return x;}", "1:28",
     "assignment of read-only variable 'x'", True),
    (b"int main(){int a=1; const int *p=&a; *p=2; return a;}", "1:40",
     "assignment of read-only location '*p'", True),
    (b"void a[3]; int main(){return 0;}", "1:6", "declaration of 'a' as array of voids", True),
    (b"int main(){register int x; int *p=&x; return 0;}", "1:35",
     "address of register variable 'x' requested", False),  # gcc says 1:1
    (b"#define A(x) x ##\nint main(){return 0;}", "1:16",
     "'##' cannot appear at either end of a macro expansion", False),  # gcc: after the name
    (b"#define B(x) ## x\nint main(){return 0;}", "1:14",
     "'##' cannot appear at either end of a macro expansion", False),
    (b'int main(){char *s = "\\x"; return 0;}', "1:22",
     "\\x used with no following hex digits", False),  # gcc: after the x
    (b"int main(){for(int f(void);;) break; return 0;}", "1:20",
     "declaration of non-variable 'f' in 'for' loop initial declaration", False),
    (b"int main(){for(static int i = 0;;) break; return 0;}", "1:27",
     "declaration of static variable 'i' in 'for' loop initial declaration", True),
    (b"int main(){static int f(void); return 0;}", "1:23",
     "invalid storage class for function 'f'", True),
    (b"int main(){int x = 1; static int x; return x;}", "1:34",
     "redeclaration of 'x' with no linkage", True),
    (b"int f(void);\nstatic int f(void){return 0;}\nint main(){return f();}", "2:12",
     "static declaration of 'f' follows non-static declaration", True),
    (b"int x; static int x; int main(){return 0;}", "1:19",
     "static declaration of 'x' follows non-static declaration", True),
    (b"static int x; int x; int main(){return 0;}", "1:19",
     "non-static declaration of 'x' follows static declaration", True),
    (b"int a[2000000000]; int main(){return 0;}", "1:5",
     "size of array 'a' exceeds maximum object size '2147483647'", True),
    (b"int main(){ char c[4000000000u]; return 0;}", "1:18", "size of array 'c' is too large",
     True),
    # too large behind a pointer or in a type name: gcc checks every array type it builds
    (b"int main(){int (*p)[1000000000]; return 0;}", "1:18",
     "size '4000000000' of array 'p' exceeds maximum object size '2147483647'", True),
    (b"int (*p)[1000000000][1000];", "1:7",
     "size of array 'p' exceeds maximum object size '2147483647'", True),
    (b"int main(){return sizeof(int[1000000000][1000000000]);}", "1:29",
     "size '4000000000' of array exceeds maximum object size '2147483647'", True),
    (b"int main(){return sizeof(char[4000000000u]);}", "1:30",
     "size of unnamed array is too large", True),
    (b"int main(){return sizeof((int(*)[1000000000][1000])0);}", "1:32",
     "size of array exceeds maximum object size '2147483647'", False),  # gcc says 1:1
    (b"int main(){return sizeof(void[3]);}", "1:30",
     "declaration of type name as array of voids", True),
    (b"int int x;", "1:5", "two or more data types in declaration specifiers", True),
    (b"int main(void){char int c = 1; return c;}", "1:21",
     "two or more data types in declaration specifiers", True),
    (b"int main(){return " + b"1" * 5000 + b";}", "1:19",
     "integer constant is too large for its type", True),  # gcc: a warning (long long)
    (b"int main(){return 0;} \xe9", "1:23", "stray '\\351' in program", True),
    (b'#if "a"\n#endif\nint main(){return 0;}', "1:5",
     'token ""a"" is not valid in preprocessor expressions', True),
    (b"#define defined 1\nint main(){return 0;}", "1:9",
     '"defined" cannot be used as a macro name', True),
    (b"int main(){int a; a = 1\nreturn a;}", "1:24", "expected ';' before 'return'", True),
    (b"int main(void){ return 0; }}", "1:28", "expected identifier or '(' before '}'", True),
    (b"int f(int a, +);", "1:14", "expected declaration specifiers or '...' before '+'", True),
    (b"int main(){int x=0; switch(x){case 1: case 1: ;} return 0;}", "1:39",
     "duplicate case value", True),
    (b"int main(void){int x = 0; switch ((void)x) { case 1: ; } return 0;}", "1:35",
     "switch quantity not an integer", True),  # and its case labels were an exception
]


@pytest.mark.parametrize("source, where, message, same_place", GCC_ERRORS)
def test_errors_gcc_reports_are_reported(tmp_path, source, where, message, same_place):
    first = our_diagnostics(source)[0]
    assert (f"{first.line}:{first.col}", first.message) == (where, message)
    theirs = gcc_diagnostics(tmp_path, source, ("error", "warning"))
    assert message in [m.replace(" token", "") for _, m in theirs]
    if same_place:
        assert (where, message) in [(w, m.replace(" token", "")) for w, m in theirs]


NOTES = [  # an error with a note that points back at the earlier declaration or case, as gcc
    b"int main(){int x=0; switch(x){case 1: case 1: ;} return 0;}",
    b"int main(){ int x = 1; switch (x) { default: ; default: ; } return 0; }",
    b"int x;\nchar x;\nint main(){return 0;}",
    b"int f(int a) { return a; }\nint f(int a) { return a; }\nint main(){return 0;}",
    b"int main(){int a; int a; return 0;}",
    b"int f(void);\nstatic int f(void){return 0;}\nint main(){return f();}",
]


@pytest.mark.parametrize("source", NOTES)
def test_notes_point_at_the_earlier_declaration(tmp_path, source):
    error = our_diagnostics(source)[0]
    ours = [(f"{n.line}:{n.col}", n.message) for n in error.notes]
    assert ours and ours == gcc_diagnostics(tmp_path, source, ("note",))[: len(ours)]


def test_a_unicode_digit_is_an_error_not_an_exception(tmp_path):
    """str.isdigit() is true of '²': the lexer took it for the start of a number, and failed."""
    source = "int main(){return ²;}".encode()
    assert [e.message for e in our_diagnostics(source)] == ["stray '\\302' in program"]
    assert gcc_diagnostics(tmp_path, source)  # gcc rejects it too (as an undeclared name)


def test_escapes_gcc_warns_about(tmp_path):
    source = b'int main(){char *s = "\\q\\777\\x100"; return s[0];}'
    ours = [w.message for w in compile_source(source.decode(), "t.c").warnings]
    assert ours == [m for _, m in gcc_diagnostics(tmp_path, source, ("warning",))]


CHAR_VALUES = [  # printed by the program; a raw byte 0xE9 (not UTF-8) and a UTF-8 'é'
    b"'\xe9'", "'é'".encode(), b"'ab'", b"'\\xff'", b"'\\377'", b"'abcd'", b"'\\q'",
    "'\\λ'".encode(), b"'\\\xe9'", b'"\xe9\\xe9"[0] + "\xe9\\xe9"[1]',
]


@pytest.mark.parametrize("constant", CHAR_VALUES)
def test_character_constants_have_gccs_values(tmp_path, constant):
    """Source bytes stay bytes: a raw 0xE9 in a char constant is 233 (plain char is unsigned
    on RISC-V), not the 0xFD of a decoding error's replacement character."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: no native reference")
    source = (b'#include <stdio.h>\nint main(void) { printf("%d\\n", (int)(' + constant
              + b")); return 0; }\n")
    (tmp_path / "n.c").write_bytes(source)
    subprocess.run(["gcc", "-w", "-funsigned-char", "-o", str(tmp_path / "n"),
                    str(tmp_path / "n.c")], check=True)  # fmt: skip
    native = subprocess.run([str(tmp_path / "n")], capture_output=True).stdout
    ours_src = (b"int putchar(int c);\nvoid print_int(int x) { if (x < 0) { putchar('-'); x = -x; }"
                b" if (x > 9) print_int(x / 10); putchar('0' + x % 10); }\n"
                b"int main(void) { print_int(" + constant
                + b"); putchar(10); return 0; }\n")
    _, exe = compile_executable(ours_src.decode("utf-8", "surrogateescape"), "t.c")
    assert emu.run(exe).stdout == native


def test_nested_declarator_parentheses_take_linear_time():
    """`int ((((x))));` used to parse each level twice, doubling the work per level; then
    scanning to the `)` at each level made it quadratic (2000 levels took 12 s). Count the
    parser's token reads: doubling the depth must about double them, not quadruple them."""
    from appendix_ctoriscv.defs import SourceFile
    from appendix_ctoriscv.errors import Diagnostics
    from appendix_ctoriscv.lex import tokenize
    from appendix_ctoriscv.parse import Parser
    from appendix_ctoriscv.preprocess import preprocess

    class CountingTokens(list):
        reads = 0

        def __getitem__(self, i):
            CountingTokens.reads += 1
            return super().__getitem__(i)

    def reads(depth: int) -> int:
        src = "int " + "(" * depth + "x" + ")" * depth + " = 3;\nint main(void) { return x; }"
        diag = Diagnostics()
        tokens = CountingTokens(preprocess(tokenize(SourceFile("t.c", src), diag), diag))
        CountingTokens.reads = 0
        program = Parser(tokens, diag).program()
        assert not diag.errors and [obj.name for obj in program] == ["x", "main"]
        return CountingTokens.reads

    small, large = reads(200), reads(400)
    assert large < 2.2 * small  # quadratic work would make it close to 4x

    _, exe = compile_executable("int ((((x)))) = 3; int main(void) { return x; }", "t.c")
    assert emu.run(exe).exit_code == 3


def test_global_too_large_for_the_machine_is_a_diagnostic():
    # 20M ints are 80 MB: fine for gcc, but more than the emulator's 64 MiB address space
    errors = our_diagnostics(b"int a[20000000];\nint main(void) { return a[0]; }")
    assert (errors[0].line, errors[0].col) == (1, 5)
    assert "80000000 bytes" in errors[0].message


def test_a_far_branch_recompiles_only_its_function(monkeypatch):
    """A 1500-case switch needs branches beyond +-4 KiB: only that function gets far ones,
    in one compilation (the driver used to compile the whole program twice)."""
    cases = "".join(f"case {i}: c += {3 * i}; break; " for i in range(1500))
    src = ("int big(int c) { switch (c) { " + cases + "} return c; }\n"
           "int small(int c) { if (c) return 1; return 2; }\n"
           "int main(void) { return (big(1499) + small(0)) % 256; }\n")
    runtime_objects()  # the C library compiles once per process: before we count
    calls = 0
    original = pipeline.codegen

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "codegen", counting)
    result, exe = compile_executable(src, "t.c")
    assert calls == 1
    small = result.asm[result.asm.index("small:") :]
    assert ".L.skip" not in small and ".L.skip" in result.asm  # far branches jump over a `j`
    assert emu.run(exe).exit_code == (1499 + 3 * 1499 + 2) % 256


@pytest.mark.parametrize("dump", ["--dump-ast", "--dump-ir", "-S"])
def test_deep_nesting_is_compiled_or_rejected_never_a_traceback(tmp_path, capsys, dump):
    nested = tmp_path / "nested.c"
    nested.write_text("int main(void) { int x = 1; " + "if (x) " * 1500 + "x = 2; return x; }")
    assert main.main([str(nested), dump, "-o", str(tmp_path / "out.s")]) == 0
    deeper = tmp_path / "deeper.c"
    deeper.write_text("int main(void) { return " + "(" * 50000 + "1" + ")" * 50000 + "; }")
    assert main.main([str(deeper), dump, "-o", str(tmp_path / "out.s")]) == 1
    assert "nested too deeply" in capsys.readouterr().err


def test_exponential_macro_expansion_is_bounded(monkeypatch):
    from appendix_ctoriscv import preprocess

    monkeypatch.setattr(preprocess, "MAX_EXPANDED_TOKENS", 20_000)  # the same check, sooner
    fine = "#define P(x) x+x\n#define Q(x) P(P(P(P(P(x)))))\nint main(void) { return Q(1); }\n"
    assert emu.run(compile_executable(fine, "t.c")[1]).exit_code == 32  # under the bound
    src = ("#define A(x) x x\n#define B(x) A(A(A(A(A(x)))))\n#define C(x) B(B(x))\n"
           "#define D(x) C(C(x))\n#define E(x) D(D(x))\nint main(void) { return E(1); }\n")
    errors = our_diagnostics(src.encode())
    assert "macro expansion produced over" in errors[0].message


UNSUPPORTED = [  # C89 that this compiler rejects: one clear error, then nothing it guessed
    (b"int main(void) { long double d; int a = 1; d = a; a = d; v.a = 2; return a + v.a; }",
     "1:18", "'long double' is not supported by this compiler"),
    (b"struct S { int a : 3; int b; };\nint main(void) { struct S s; s.a = 1; return s.a; }",
     "1:18", "bit-fields are not supported by this compiler"),
    (b"struct S { unsigned a : 3, b : 5; };\nint f(struct S *p) { return p->a + p->b; }",
     "1:23", "bit-fields are not supported by this compiler"),
    (b"int main(void) { _Bool b = 1; int x = b; return x + y; }",  # C99's, not C89
     "1:18", "'_Bool' is not supported by this compiler"),
    (b"int main(void) { return (_Bool)3 + sizeof(_Complex double) + q; }",
     "1:26", "'_Bool' is not supported by this compiler"),
]


@pytest.mark.parametrize("src, where, message", UNSUPPORTED)
def test_no_cascade_after_an_unsupported_keyword(src, where, message):
    errors = our_diagnostics(src)
    assert [(f"{e.line}:{e.col}", e.message) for e in errors] == [(where, message)]


def test_guest_stderr_reaches_ours_under_run(tmp_path, capfd):
    prog = tmp_path / "err.c"
    prog.write_text('int write(int fd, char *buf, int n);\n'
                    'int main(void) { write(2, "oops\\n", 5); write(1, "ok\\n", 3); return 3; }\n')
    assert main.main([str(prog), "--run"]) == 3
    out, err = capfd.readouterr()
    assert (out, err) == ("ok\n", "oops\n")


@pytest.mark.parametrize("opt_level", [0, 1])
@pytest.mark.parametrize("size", [9_000_000, 20_000_000])
def test_a_frame_larger_than_the_stack_faults_as_a_stack_overflow(size, opt_level):
    """Linux's limit is 8 MiB; a 9 MB local array must fault in the 1 MiB guard gap below the
    stack, not land silently in the heap (which the program first grows up to the gap). A
    20 MB one would jump over the gap into the heap: only probing the new frame catches it."""
    src = ("void *sbrk(int n);\nint use(char *p) { p[0] = 1; return p[0]; }\n"
           f"int deep(void) {{ char a[{size}]; return use(a); }}\n"
           "int main(void) { while (sbrk(1 << 20) != (void *)-1) ; return deep(); }\n")
    _, exe = compile_executable(src, "t.c", opt_level=opt_level)
    with pytest.raises(emu.EmulatorFault, match="stack overflow"):
        emu.run(exe)


def test_the_heap_stops_short_of_the_stack():
    """The 64 MiB address space ends in the 8 MiB stack, with Linux's 1 MiB stack_guard_gap
    below it: the heap may grow up to 64 - 8 - 1 = 55 MiB (0x3700000), and its pages work."""
    src = ("void *sbrk(int n);\nint main(void) { char *top = 0, *p;\n"
           "  while ((p = sbrk(4096)) != (void *)-1) top = p;\n"
           "  top[4095] = 7;\n"
           "  return top[4095] + (top + 4096 == (char *)0x3700000) + (sbrk(0) == top + 4096); }\n")
    _, exe = compile_executable(src, "t.c")
    assert emu.run(exe).exit_code == 7 + 1 + 1  # the last page it got is usable; then no more


def test_step_limit_is_an_option_with_a_generous_default(tmp_path, capsys):
    assert main.MAX_STEPS >= 10**9  # the programs run a few hundred million and more
    prog = tmp_path / "loop.c"
    prog.write_text("int main(void) { for (;;) ; }\n")
    assert main.main([str(prog), "--run", "--max-steps", "5000"]) == 139
    assert "stopped after" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:  # argparse's way: usage, the error, status 2
        main.main([str(prog), "--run", "--max-steps=-5"])
    assert exited.value.code == 2
    assert "--max-steps: expected a number of instructions, got '-5'" in capsys.readouterr().err


def test_dump_tokens_writes_the_source_bytes_back(tmp_path):
    """A token holding a byte that is not UTF-8 is written as that byte, even where standard
    output is strict UTF-8 (printing the string failed with UnicodeEncodeError)."""
    import sys

    prog = tmp_path / "e9.c"
    prog.write_bytes(b'int main(void) { return "\xe9"[0]; }\n')
    done = subprocess.run([sys.executable, "-m", "appendix_ctoriscv", str(prog), "--dump-tokens"],
                          capture_output=True, env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert done.returncode == 0, done.stderr
    assert b'STR\t"\xe9"\n' in done.stdout


PRINT_LINES = ('int write(int fd, char *buf, int n);\nint main(void) { int i;\n'
               '  for (i = 0; i < 100000; i++) write(1, "line\\n", 5);\n'
               '  write(2, "done\\n", 5); return 3; }\n')


def test_a_closed_pipe_ends_the_program_as_sigpipe(tmp_path):
    """`--run | head -1`: once the reader is gone, a write ends the program as Linux's SIGPIPE
    would (exit status 128 + 13, as a shell reports `yes | head -1`), with no traceback."""
    import sys

    prog = tmp_path / "lines.c"
    prog.write_text(PRINT_LINES)
    with subprocess.Popen([sys.executable, "-m", "appendix_ctoriscv", str(prog), "--run"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as done:  # fmt: skip
        assert done.stdout.readline() == b"line\n"
        done.stdout.close()
        stderr = done.stderr.read()
    assert (done.returncode, stderr) == (141, b"")


def test_run_writes_to_text_streams_without_bytes_underneath(tmp_path, monkeypatch):
    """A notebook's sys.stdout has no .buffer: the output still arrives, and a fault's report
    comes after what the program wrote."""
    import io

    prog = tmp_path / "fault.c"
    prog.write_text('int write(int fd, char *buf, int n);\nint main(void) { write(1, "out\\n", 4);'
                    ' write(2, "err\\n", 4); return *(int *)0; }\n')  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    assert main.main([str(prog), "--run"]) == 139
    assert out.getvalue() == "out\n"
    assert err.getvalue().startswith("err\nemulator: load of 4 bytes at 0x00000000 (unmapped)")


def test_an_include_name_that_is_not_utf8(tmp_path, monkeypatch):
    """`#include "é.h"` written in Latin-1 (byte 0xE9) names the file with that byte, as for
    gcc; it was a UnicodeDecodeError. A name that matches no file is the usual diagnostic."""
    monkeypatch.chdir(tmp_path)  # bytes paths: a file name may hold any byte but / and NUL
    with open(b"\xe9.h", "wb") as f:
        f.write(b"int v = 42;\n")
    with open(b"m.c", "wb") as f:
        f.write(b'#include "\xe9.h"\nint main(void) { return v; }\n')
    assert main.main(["m.c", "--run"]) == 42
    errors = our_diagnostics(b'#include "\\xff.h"\nint main(void) { return 0; }\n')
    assert errors[0].render().startswith("t.c:1:10: error: ?.h: No such file or directory")


def test_a_semicolon_after_a_function_body_is_only_a_warning(tmp_path):
    """`int f(void) { ... };` was an error ("unknown type name ';'"); gcc accepts it, and with
    -pedantic warns, in these words and at this place."""
    source = b"int f(void) { return 7; };\nint main(void) { return f(); }\n"
    result, exe = compile_executable(source.decode(), "t.c")
    ours = [(f"{w.line}:{w.col}", w.message) for w in result.warnings]
    assert emu.run(exe).exit_code == 7
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: no reference for its warning")
    (tmp_path / "t.c").write_bytes(source)
    done = subprocess.run(["gcc", "-std=c89", "-pedantic", "-fsyntax-only", "t.c"], cwd=tmp_path,
                          capture_output=True, text=True, env=dict(os.environ, LC_ALL="C"))
    assert ours == [("1:26", "ISO C does not allow extra ';' outside of a function")]
    assert "t.c:1:26: warning: ISO C does not allow extra ';' outside of a function" in done.stderr


POINTER_WARNINGS = (  # each kind of mismatch of pointers, by gcc's wording for its action
    b"int f(int *p);\nint g(void);\nint h(char *c);\nint *r(char *c) { return c; }\n"
    b"int main(void) {\n"
    b"    char *q = 0; char arr[4]; int *p = q; int *a = arr; int (*fp)(int *) = g;\n"
    b"    void *v = q; char *c = v; short *s; unsigned long *ul = p; long *l = p;\n"
    b"    s = p; p = arr; fp = h; f(q); f(arr);\n"
    b"    return *p + *a + *s + *c + fp(0) + *ul + *l;\n}\n"
)


def test_incompatible_pointers_in_gccs_words_and_places(tmp_path):
    """An initialiser is an 'initialization of', at its value (it said 'assignment to', at
    the '=', and named an array's type where the value is a pointer); a return and a call
    have their own words; types are spelled as gcc does ('long unsigned int'). Each warning
    once, as gcc's."""
    ours = compile_source(POINTER_WARNINGS.decode(), "t.c").warnings
    ours = [(f"{w.line}:{w.col}", w.message) for w in ours if "unused" not in w.message]
    assert ours == gcc_diagnostics(tmp_path, POINTER_WARNINGS, ("warning",))


def test_a_subscript_that_is_no_integer_is_one_error(tmp_path):
    """`a[1.5]` said 'invalid operands to binary +' and then 'invalid type argument of unary
    *': now gcc's one error for each, in either order of array and index."""
    source = (b"int main(void) { int arr[3]; int *p = arr; double d = 1;\n"
              b"  arr[1.5] = 2; p[d] = 3; 2.0[arr] = 1; arr[p] = 0; return arr[0]; }\n")
    ours = [(f"{e.line}:{e.col}", e.message) for e in our_diagnostics(source)]
    assert ours == gcc_diagnostics(tmp_path, source) and len(ours) == 4


def test_warnings_come_before_a_link_error(tmp_path, capsys):
    """The driver printed nothing but the link error when a program with warnings named a
    function defined nowhere; gcc prints its warnings, then the linker its error."""
    prog = tmp_path / "w.c"
    prog.write_text("int missing(void);\nint main(void) { int unused; return missing(); }\n")
    assert main.main([str(prog), "-o", str(tmp_path / "w")]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if ": warning: " in line
           or ": error: " in line]  # fmt: skip
    assert len(err) == 2
    assert err[0].endswith("w.c:2:22: warning: unused variable 'unused'")
    assert ": error: " in err[1] and err[1].endswith("undefined reference to `missing'")


def test_sizeof_of_what_has_no_size_in_gccs_words(tmp_path):
    """At the operand, naming what kind of type it is, as gcc (which only warns about void and
    functions, a GNU extension that C89 does not have: we keep those errors)."""
    source = (b"struct B; void v(void);\nint main(void) { struct B *p = 0; int n = sizeof("
              b"struct B) + sizeof *p + sizeof(void) + sizeof v + sizeof(int[]); return n; }\n")
    ours = [(f"{e.line}:{e.col}", e.message) for e in our_diagnostics(source)]
    theirs = gcc_diagnostics(tmp_path, source)  # gcc -pedantic adds the void and function ones:
    pedantic = [("2:81", "invalid application of 'sizeof' to a void type"),
                ("2:96", "invalid application of 'sizeof' to a function type")]
    assert ours == sorted(theirs + pedantic, key=lambda d: int(d[0].split(":")[1]))
