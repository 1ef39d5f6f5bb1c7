"""The rest of C89 (issue 15): struct, union, enum, typedef, initialiser lists, function pointers
and variadic functions. Each program in c89/ is compiled by us at -O0 and -O1, run on the
emulator, and compared with the same program built by the host's gcc (output and exit code).
Struct layout is compared with GNU's RISC-V gcc for rv32i/ilp32, and the by-value ABI by
linking our code with functions compiled by that gcc, both ways round.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from appendix_ctoriscv import emu
from appendix_ctoriscv.asm import assemble
from appendix_ctoriscv.errors import CompileError
from appendix_ctoriscv.link import link
from appendix_ctoriscv.main import compile_c, compile_executable, compile_source
from appendix_ctoriscv.runtime import INCLUDE_DIR, runtime_objects

HERE = Path(__file__).parent
C89_DIR = HERE / "c89"
TEST_H_DIR = HERE / "c"
PROGRAMS = [pytest.param(p, id=p.stem) for p in sorted(C89_DIR.glob("*.c"))]
LEVELS = pytest.mark.parametrize("opt_level", [0, 1], ids=["O0", "O1"])
RISCV_GCC = shutil.which("riscv64-unknown-elf-gcc")
NEEDS_RISCV_GCC = pytest.mark.skipif(RISCV_GCC is None, reason="GNU RISC-V gcc not installed "
                                     "(gcc-riscv64-unknown-elf)")
RISCV_FLAGS = ["-march=rv32i", "-mabi=ilp32"]


def run_ours(source: str, filename: str, opt_level: int):
    _, elf = compile_executable(source, filename, [str(TEST_H_DIR)], opt_level=opt_level)
    result = emu.run(elf, max_steps=20_000_000)
    return result.exit_code, result.stdout


@pytest.mark.sec_a_4
@LEVELS
@pytest.mark.parametrize("path", PROGRAMS)
def test_program_matches_gcc(path, native_run, opt_level):
    expected = native_run(path.read_text(), b"", [f"-I{C89_DIR}", f"-I{TEST_H_DIR}"])
    assert expected[0] == 0, expected[1].decode()[-300:]  # the program's own checks hold
    assert run_ours(path.read_text(), str(path), opt_level) == expected


# *** struct layout: the same sizes and offsets as GNU's gcc for rv32i/ilp32 ***

LAYOUT = """
#define OFF(T, m) ((unsigned)&((T *)0)->m)
struct a { char c; int i; char d; };
struct b { char c; short s; char d[3]; };
struct c { struct b b; char e; struct a a[2]; };
union d { char c[5]; short s; };
struct e { union d u; char z; };
struct f { char c; };
struct g { int *p; char c; void (*fp)(void); };
struct h { struct f f[3]; short s; };
struct i { short s; union { char c; int i; } u; char t[2]; };
typedef struct { char a; long b; unsigned char c; } j;
struct k { char c; enum { X, Y } e; struct k *next; };
unsigned layout[] = {
    sizeof(struct a), OFF(struct a, i), OFF(struct a, d),
    sizeof(struct b), OFF(struct b, s), OFF(struct b, d),
    sizeof(struct c), OFF(struct c, e), OFF(struct c, a), OFF(struct c, a[1].d),
    sizeof(union d), sizeof(struct e), OFF(struct e, z),
    sizeof(struct f), sizeof(struct g), OFF(struct g, c), OFF(struct g, fp),
    sizeof(struct h), OFF(struct h, s), sizeof(struct h[3]),
    sizeof(struct i), OFF(struct i, u), OFF(struct i, t[1]),
    sizeof(j), OFF(j, b), OFF(j, c), sizeof(struct k), OFF(struct k, e), OFF(struct k, next),
};
"""


def data_words(asm: str, label: str) -> list[int]:
    """The `.word` values after `label:` in an assembly listing."""
    lines = asm[asm.index(f"\n{label}:") :].splitlines()[2:]
    values = []
    for line in lines:
        if not line.strip().startswith(".word"):
            break
        values += [int(v) for v in line.split(None, 1)[1].split(",")]
    return values


@pytest.mark.sec_a_4
@NEEDS_RISCV_GCC
def test_struct_layout_matches_riscv_gcc(tmp_path):
    (tmp_path / "layout.c").write_text(LAYOUT)
    gnu = subprocess.run([RISCV_GCC, *RISCV_FLAGS, "-S", "-o", "-", str(tmp_path / "layout.c")],
                         capture_output=True, text=True, check=True).stdout
    ours = compile_c(LAYOUT, "layout.c")
    assert data_words(ours, "layout") == data_words(gnu, "layout")
    assert len(data_words(ours, "layout")) == 29


# *** the by-value ABI against GNU's gcc: our caller with its callee, and the other way ***

CALLEE = """
struct s3 { char a, b, c; };
struct s8 { int x; short y; };
struct s12 { int a, b, c; };
struct s3 make3(int k) { struct s3 r; r.a = k; r.b = k + 1; r.c = k + 2; return r; }
struct s8 make8(int x, int y) { struct s8 r; r.x = x; r.y = y; return r; }
struct s12 make12(int k) { struct s12 r; r.a = k; r.b = 2 * k; r.c = 3 * k; return r; }
int take(struct s3 a, struct s8 b, struct s12 c, int d, int e, int f, int g, struct s8 h) {
    int before = c.a;
    c.a = 99;  /* the callee's copy: the caller's struct stays */
    return a.a + a.b * 2 + a.c * 3 + b.x * 5 + b.y * 7 + c.b * 11 + c.c * 13 + d + e + f
           + g * 2 + h.x * 17 + h.y * 19 + before * 23 + c.a;
}
int vsum(int n, ...) {
    __builtin_va_list ap;
    int s = 0;
    __builtin_va_start(ap, n);
    while (n--)
        s = s * 7 + __builtin_va_arg(ap, int);
    __builtin_va_end(ap);
    return s;
}
int apply(int (*f)(int, int), int a, int b) { return f(a, b); }
"""

CALLER = """
struct s3 { char a, b, c; };
struct s8 { int x; short y; };
struct s12 { int a, b, c; };
struct s3 make3(int k);
struct s8 make8(int x, int y);
struct s12 make12(int k);
int take(struct s3 a, struct s8 b, struct s12 c, int d, int e, int f, int g, struct s8 h);
int vsum(int n, ...);
int apply(int (*f)(int, int), int a, int b);
static int sub(int a, int b) { return a - b; }
int write(int fd, const void *buf, int n);
unsigned results[8];
int main(void) {
    struct s3 a = make3(5);
    struct s8 b = make8(100000, -3);
    struct s12 c = make12(7);
    results[0] = a.a + 10 * a.b + 100 * a.c;
    results[1] = b.x + b.y;
    results[2] = c.a + c.b * 10 + c.c * 100;
    results[3] = take(a, b, c, 1, 2, 3, 4, make8(9, 8));
    results[4] = c.a;
    results[5] = vsum(3, 1, 2, 3) + vsum(10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    results[6] = apply(sub, 10, 3);
    write(1, results, sizeof results);
    return 0;
}
"""

# worked out by hand from CALLER and CALLEE
EXPECTED = [5 + 60 + 700, 100000 - 3, 7 + 140 + 2100,
            5 + 12 + 21 + 500000 - 21 + 154 + 273 + 1 + 2 + 3 + 8 + 153 + 152 + 161 + 99,
            7, 66 + sum(k * 7 ** (10 - k) for k in range(1, 11)), 7, 0]


def results_of(elf: bytes) -> list[int]:
    """The 8 words the program writes to stdout."""
    run = emu.run(elf, max_steps=5_000_000)
    assert run.exit_code == 0 and len(run.stdout) == 32
    return [int.from_bytes(run.stdout[4 * k : 4 * k + 4], "little") for k in range(8)]


def gnu_object(source: str, tmp_path: Path):
    (tmp_path / "gnu.c").write_text(source)
    asm = subprocess.run([RISCV_GCC, *RISCV_FLAGS, "-O1", "-fno-section-anchors", "-S", "-o", "-",
                          str(tmp_path / "gnu.c")], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    return assemble(asm, "gnu.s")


@pytest.mark.sec_a_6
@NEEDS_RISCV_GCC
@LEVELS
@pytest.mark.parametrize("ours", ["caller", "callee"])
def test_by_value_abi_matches_riscv_gcc(tmp_path, opt_level, ours):
    mine, theirs = (CALLER, CALLEE) if ours == "caller" else (CALLEE, CALLER)
    if ours == "callee":
        mine = mine.replace("__builtin_va_list", "char *")
        mine = mine.replace("__builtin_va_start(ap, n)", "ap = __builtin_va_start()")
        mine = mine.replace("__builtin_va_end(ap)", "(void)ap")
    asm = compile_c(mine, "ours.c", opt_level=opt_level)
    elf = link([assemble(asm, "ours.s"), gnu_object(theirs, tmp_path)],
               library=runtime_objects())
    assert results_of(elf) == EXPECTED


# *** diagnostics, in gcc's words ***

S = "struct s { int a; char b; };\nstruct u { int a; };\n"
ERRORS = [
    (S + "int main(void) { const struct s v = {1}; v.a = 2; return 0; }", "3:46",
     "assignment of member 'a' in read-only object"),
    (S + "int main(void) { int x; return x.a; }", "3:33",
     "request for member 'a' in something not a structure or union"),
    (S + "int main(void) { int x; return x->a; }", "3:33",
     "invalid type argument of '->' (have 'int')"),
    (S + "int main(void) { struct s v; return v.c; }", "3:39",
     "'struct s' has no member named 'c'"),
    ("int main(void) { struct t v; return 0; }", "1:27", "storage size of 'v' isn't known"),
    ("struct t;\nstruct t g;", "2:10", "storage size of 'g' isn't known"),
    ("struct t;\nint f(struct t *p) { return p->x; }", "2:32",
     "invalid use of undefined type 'struct t'"),
    (S + "struct s { int z; };", "3:8", "redefinition of 'struct s'"),
    (S + "int main(void) { struct s v; struct u w; v = w; return 0; }", "3:44",
     "incompatible types when assigning to type 'struct s' from type 'struct u'"),
    (S + "int main(void) { struct u w; struct s v = w; return 0; }", "3:43",
     "invalid initializer"),
    (S + "struct s f(struct u w) { return w; }", "3:33",
     "incompatible types when returning type 'struct u' but 'struct s' was expected"),
    (S + "int g(struct s);\nint main(void) { struct u w; return g(w); }", "4:39",
     "incompatible type for argument 1 of 'g'"),
    ("struct s { int a; char a; };", "1:24", "duplicate member 'a'"),
    ("struct s { int a : 3; };", "1:18", "bit-fields are not supported by this compiler"),
    ("typedef int T;\nint main(void) { return T; }", "2:25", "expected expression before 'T'"),
    ("typedef int T;\ntypedef char T;", "2:14", "conflicting types for 'T'; have 'char'"),
    ("int f(int n) { char *ap = __builtin_va_start(); return n; }", "1:27",
     "'va_start' used in function with fixed arguments"),
    ("int f(...);", "1:7", "ISO C requires a named argument before '...'"),
    ("int main(void) { int x = 1; x(); return 0; }", "1:29",
     "called object 'x' is not a function or function pointer"),
    ("int (*fp)(int);\nint main(void) { return fp(); }", "2:25",
     "too few arguments to function 'fp'"),
    ("enum e { A, B };\nint main(void) { union e x; return 0; }", "2:24",
     "'e' defined as wrong kind of tag"),
]


@pytest.mark.sec_a_4
@pytest.mark.parametrize("source, where, message", ERRORS)
def test_errors_in_gccs_words(source, where, message):
    with pytest.raises(CompileError) as info:
        compile_source(source, "t.c")
    first = info.value.errors[0]
    assert (f"{first.line}:{first.col}", first.message) == (where, message)


def test_angle_includes_search_the_include_path_only(tmp_path):
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "mine.h").write_text("#define FROM_INC 7\n")
    (tmp_path / "here.h").write_text("#define FROM_HERE 5\n")
    main_c = tmp_path / "m.c"
    src = '#include <mine.h>\n#include "here.h"\nint main(void) { return FROM_INC + FROM_HERE; }\n'
    _, elf = compile_executable(src, str(main_c), [str(tmp_path / "inc")])
    assert emu.run(elf).exit_code == 12
    with pytest.raises(CompileError, match="here.h: No such file or directory"):
        compile_source("#include <here.h>\n", str(main_c))  # not beside the including file


def test_stdarg_h_is_the_runtimes(tmp_path):
    """<stdarg.h> comes from the runtime's include directory with no -I."""
    assert (INCLUDE_DIR / "stdarg.h").is_file()
    src = ("#include <stdarg.h>\nint last(int n, ...) { va_list ap; int x = 0; va_start(ap, n);"
           " while (n--) x = va_arg(ap, int); va_end(ap); return x; }\n"
           "int main(void) { return last(4, 9, 8, 7, 6); }\n")
    assert emu.run(compile_executable(src, "v.c")[1]).exit_code == 6


def test_file_in_a_header_macro_names_the_using_file(tmp_path):
    """`__FILE__` in a macro defined in a header (assert.h's assert) is the file where the
    macro is used, as gcc expands it: it was the header's name."""
    (tmp_path / "h.h").write_text("#define WHERE __FILE__\n")
    src = '#include "h.h"\nint puts(const char *s);\nint main(void) { puts(WHERE); return 0; }\n'
    _, elf = compile_executable(src, str(tmp_path / "m.c"))
    assert emu.run(elf).stdout == f"{tmp_path / 'm.c'}\n".encode()


# *** found by the audit: errors gcc reports, and a braced string initialiser ***

AUDIT_ERRORS = [
    ("union u;\nint main(void) { union u g = {1}; return 0; }", "2:26",
     "variable 'g' has initializer but incomplete type"),
    ("union u;\nunion u g = {1};", "2:9", "storage size of 'g' isn't known"),  # an IndexError
    ("typedef int T;\nint T;", "2:5", "'T' redeclared as different kind of symbol"),
    ("enum { A };\nint A(void);", "2:5", "'A' redeclared as different kind of symbol"),
    ("struct s { int b; const int a[2]; };\nint main(void) { struct s v, w; v = w; return 0; }",
     "2:35", "assignment of read-only variable 'v'"),
    ("struct s { const int a; };\nstruct t { struct s in; };\n"
     "int main(void) { struct s v; struct t x; x.in = v; return 0; }", "3:47",
     "assignment of read-only member 'in'"),
    ("int a[1.5];", "1:7", "expression is not an integer constant: it has the floating type "
     "'double'"),
    ("int main(void) { switch (1) { case 1.5: ; } return 0; }", "1:36",
     "expression is not an integer constant: it has the floating type 'double'"),
]


@pytest.mark.sec_a_4
@pytest.mark.parametrize("source, where, message", AUDIT_ERRORS)
def test_audit_errors(source, where, message):
    with pytest.raises(CompileError) as info:
        compile_source(source, "t.c")
    assert info.value.errors  # and the message is among the diagnostics
    assert (where, message) in [(f"{d.line}:{d.col}", d.message) for d in info.value.diagnostics]


def test_block_scope_extern_may_hide_a_typedef():
    """C allows `extern int T;` in a block under a file-scope typedef T (gcc accepts it)."""
    compile_source("typedef int T;\nint main(void) { extern int T; return T; }\nint T;", "t.c")


BRACED_STRINGS = r"""
#include "test.h"
char g[] = {"abc"};
char h[2][4] = {{"xy"}, "z"};
int main(void) {
    char s[] = {"hello"};
    char t[6] = {"ab",};
    char u[3] = {"yz"[1], 'q'};  /* braces, a string, but no string initialiser */
    ASSERT(4, sizeof g);
    ASSERT(6, sizeof s);
    ASSERT('c', g[2]);
    ASSERT('y', h[0][1]);
    ASSERT('z', h[1][0]);
    ASSERT('o', s[4]);
    ASSERT(0, t[2] + t[5]);
    ASSERT('b', t[1]);
    ASSERT('z' + 'q', u[0] + u[1] + u[2]);
    return 0;
}
"""


@pytest.mark.sec_a_4
@LEVELS
def test_braced_string_initialisers_match_gcc(native_run, opt_level):
    """`char s[] = {"hello"}`: C allows the braces around a string initialiser."""
    expected = native_run(BRACED_STRINGS, b"", [f"-I{TEST_H_DIR}"])
    assert expected[0] == 0
    _, elf = compile_executable(BRACED_STRINGS, "braced.c", [str(TEST_H_DIR)], opt_level=opt_level)
    result = emu.run(elf, max_steps=5_000_000)
    assert (result.exit_code, result.stdout) == expected


# *** 8-aligned pairs: on the stack at an 8-byte boundary, as a variadic at an even register ***

PAIRS_DECL = """
union U { double d; int i; };
struct D { double d; };
struct FI { float f; int i; };
union U mku(int k);
struct D mkd(int k);
double dtake(int a, double b, int c, double d, double e, double f, float g, double h);
int stake(int a, int b, int c, int d, int e, int f, int g, int h, int i, struct D x, int j,
          union U u, struct FI fi);
int vtake(int n, ...);
"""
PAIRS_CALLEE = PAIRS_DECL + """
union U mku(int k) { union U u; u.i = k; return u; }
struct D mkd(int k) { struct D d; d.d = k * 0.5; return d; }
double dtake(int a, double b, int c, double d, double e, double f, float g, double h) {
    return a + b * 2 + c * 3 + d * 4 + e * 5 + f * 6 + g * 7 + h * 8;
}
int stake(int a, int b, int c, int d, int e, int f, int g, int h, int i, struct D x, int j,
          union U u, struct FI fi) {
    return a + b + c + d + e + f + g + h + i * 2 + (int)(x.d * 4) + j * 3 + u.i * 5
           + (int)(fi.f * 8) + fi.i * 7;
}
int vtake(int n, ...) {
    __builtin_va_list ap;
    struct D d;
    int s;
    __builtin_va_start(ap, n);
    d = __builtin_va_arg(ap, struct D);
    s = (int)(d.d * 2) + __builtin_va_arg(ap, int) * 3;
    s += (int)(__builtin_va_arg(ap, double) * 4);
    __builtin_va_end(ap);
    return s;
}
"""
PAIRS_CALLER = PAIRS_DECL + """
int write(int fd, const void *buf, int n);
int results[8];
int main(void) {
    struct FI fi;
    fi.f = 2.5f;
    fi.i = -4;
    results[0] = (int)dtake(1, 2.5, 3, 4.5, 5.5, 6.5, 7.5f, 8.5);
    results[1] = stake(1, 2, 3, 4, 5, 6, 7, 8, 9, mkd(7), 10, mku(11), fi);
    results[2] = vtake(1, mkd(9), 5, 2.25);
    results[3] = (int)mkd(6).d + mku(4).i;
    write(1, results, sizeof results);
    return 0;
}
"""
# by hand: 1 + 5 + 9 + 18 + 27.5 + 39 + 52.5 + 68; 36 + 18 + 14 + 30 + 55 + 20 - 28;
# 9 + 15 + 9; 3 + 4
PAIRS_EXPECTED = [220, 145, 33, 7, 0, 0, 0, 0]


@pytest.mark.sec_a_6
@NEEDS_RISCV_GCC
@LEVELS
@pytest.mark.parametrize("ours", ["caller", "callee"])
def test_aligned_pairs_match_riscv_gcc(tmp_path, opt_level, ours):
    """A double (or a struct holding one) wholly on the stack starts at an 8-byte boundary,
    and an unnamed one at an even register: our calls used the next word (audit)."""
    mine, theirs = (PAIRS_CALLER, PAIRS_CALLEE) if ours == "caller" else (PAIRS_CALLEE,
                                                                           PAIRS_CALLER)
    if ours == "callee":
        mine = mine.replace("__builtin_va_list", "char *")
        mine = mine.replace("__builtin_va_start(ap, n)", "ap = __builtin_va_start()")
        mine = mine.replace("__builtin_va_end(ap)", "(void)ap")
    asm = compile_c(mine, "ours.c", opt_level=opt_level)
    elf = link([assemble(asm, "ours.s"), gnu_object(theirs, tmp_path)],
               library=runtime_objects())
    assert results_of(elf) == PAIRS_EXPECTED


HINTS = r"""#include <stdio.h>
static inline int sq(int x) { return x * x; }
inline static int cube(int x) { return x * sq(x); }
static __inline__ int four(void) { return 4; }
void add(int *restrict a, const int *__restrict b, int n) {
    int i;
    for (i = 0; i < n; i++) a[i] += b[i];
}
int main(void) {
    int a[3] = {1, 2, 3}, b[3] = {10, 20, 30}; int *restrict p = a;
    add(p, b, 3);
    printf("%d %d %d %d %d\n", sq(5), cube(3), four(), a[0], a[2]);
    return 0;
}
"""


@pytest.mark.parametrize("opt_level", [0, 1])
def test_c99_inline_and_restrict_are_hints_we_may_ignore(native_run, opt_level):
    """`static inline` and `restrict` (C99, the default mode, as gcc's gnu99) compile and run as
    gcc's build; their GNU spellings too. In C89 mode `inline` is only a name, as for gcc
    -std=c89, so the same file is rejected."""
    _, exe = compile_executable(HINTS, "t.c", opt_level=opt_level)
    assert emu.run(exe).stdout == native_run(HINTS)[1]
    with pytest.raises(CompileError, match="expected ',' or ';' before 'int'"):
        compile_source(HINTS, "t.c", std="c89")
