"""Whole programs (book sections A.2-A.6): compiled by us, run on the emulator, and compared with
the same program compiled by the host's gcc and run natively: exit code and standard output.

The C programs live in tests/appendix_ctoriscv/c/, one per language feature, chibicc-style with
ASSERT(expected, expr); `name.stdin` beside a program is fed to both runs. The early sections
also have a table of one-line programs whose exit codes are worked out by hand (chibicc's
test.sh), for what differs between ILP32 and the x86-64 host (sizeof(long), sizeof(int *)).
Random expressions and random programs are compared with gcc the same way. Where the GNU RISC-V
assembler and qemu-riscv32 are installed, our assembly must assemble with GNU `as`, our
executables must run alike under qemu, and so must the programs built by GNU `as` and `ld`.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from appendix_ctoriscv import emu
from appendix_ctoriscv.main import compile_c, compile_executable, main

C_DIR = Path(__file__).parent / "c"
SECTION = {
    "preprocess": "sec_a_2",
    "c89": "sec_a_2",
    "variable": "sec_a_3",
    "control": "sec_a_3",
    "misc": "sec_a_3",
    "types": "sec_a_4",
    "pointer": "sec_a_4",
    "arith": "sec_a_5",
    "logic": "sec_a_5",
    "sieve": "sec_a_5",
    "string": "sec_a_4",
    "function": "sec_a_6",
    "frame": "sec_a_6",
    "io": "sec_a_6",
}
PROGRAMS = [
    pytest.param(p, id=p.stem, marks=getattr(pytest.mark, SECTION[p.stem]))
    for p in sorted(C_DIR.glob("*.c"))
]


LEVELS = pytest.mark.parametrize("opt_level", [0, 1], ids=["O0", "O1"])


def run_ours(source: str, filename="prog.c", stdin=b"", std="c99", opt_level=0):
    _, elf = compile_executable(source, filename, std=std, opt_level=opt_level)
    result = emu.run(elf, stdin=stdin, max_steps=5_000_000)
    return result.exit_code, result.stdout


@pytest.mark.sec_a_5
def test_every_program_has_a_section():
    assert {p.stem for p in C_DIR.glob("*.c")} == set(SECTION)


@LEVELS
@pytest.mark.parametrize("path", PROGRAMS)
def test_program_matches_gcc(path, native_run, opt_level):
    stdin_path = path.with_suffix(".stdin")
    stdin = stdin_path.read_bytes() if stdin_path.exists() else b""
    std = "c89" if path.stem == "c89" else "c99"
    flags = ["-std=c89", "-pedantic-errors", f"-I{C_DIR}"] if std == "c89" else [f"-I{C_DIR}"]
    expected = native_run(path.read_text(), stdin, flags)
    assert run_ours(path.read_text(), str(path), stdin, std, opt_level) == expected


# (exit code worked out by hand, program); ILP32 facts that the host's gcc would not share
EXIT_CODES = [
    (0, "int main() { return 0; }"),
    (42, "int main() { return 42; }"),
    (0, "int main() { }"),  # C99: falling off main returns 0
    (21, "int main() { return 5+20-4; }"),
    (4, "int main() { return sizeof(long); }"),
    (4, "int main() { return sizeof(int *); }"),
    (4, "int main() { return sizeof(char **); }"),
    (12, "int main() { char *p[3]; return sizeof p; }"),
    (1, "int main() { return (char)-1 > 0; }"),  # plain char is unsigned on RISC-V
    (1, "int main() { long a = 2147483647; return a + 1 < 0; }"),  # long is 32 bits
    (1, "int main() { return -1L < 1u == 0; }"),  # long + unsigned int -> unsigned long
    (255, "int main() { return -1; }"),  # an exit status is 8 bits
    (3, "int f(int a, int b, int c, int d, int e, int f, int g, int h, int i, int j) "
        "{ return j - i; } int main() { return f(0, 0, 0, 0, 0, 0, 0, 0, 4, 7); }"),
    (7, "int main() { int x = 3; int *p = &x; *p = 7; return x; }"),
    (5, "int main() { int a[3][4]; return &a[1][1] - &a[0][0]; }"),
    (16, "int main() { int a[2][2]; return (char *)(&a + 1) - (char *)a; }"),
]


@pytest.mark.sec_a_5
@LEVELS
@pytest.mark.parametrize("expected, source", EXIT_CODES)
def test_exit_codes(expected, source, opt_level):
    assert run_ours(source, opt_level=opt_level)[0] == expected


@pytest.mark.sec_a_5
@LEVELS
def test_random_expressions_match_gcc(native_run, make_expressions, opt_level):
    """Random expressions over variables of every integer type: codegen, the conversions and
    the runtime's multiply and divide, against gcc."""
    leaves = ["c", "sc", "s", "us", "i", "u", "n", "big", "3", "-1", "255", "0x80000000"]
    exprs = make_expressions(seed=2, count=120, leaves=leaves)
    decls = ("char c = 200; signed char sc = -100; short s = -3000; unsigned short us = 60000; "
             "int i = -7; unsigned u = 3000000000u; int n = 123456; int big = 2147483647;")
    body = "\n".join(f"    print_int({e}); putchar(10);" for e in exprs)
    source = f'#include "test.h"\nint main() {{\n    {decls}\n{body}\n    return 0;\n}}\n'
    expected = native_run(source, flags=[f"-I{C_DIR}"])
    assert run_ours(source, str(C_DIR / "random.c"), opt_level=opt_level) == expected


@pytest.mark.sec_a_5
@LEVELS
@pytest.mark.parametrize("seed", range(4))
def test_random_programs_match_gcc(seed, native_run, make_program, opt_level):
    """Random statements over variables of every integer type: lvalues, compound assignment,
    ++ and --, if and for, against gcc."""
    source = make_program(seed)
    expected = native_run(source, flags=[f"-I{C_DIR}"])
    assert run_ours(source, str(C_DIR / f"random{seed}.c"), opt_level=opt_level) == expected


@pytest.mark.sec_a_5
def test_long_function_gets_far_branches(native_run):
    """A loop body longer than a conditional branch reaches (4 KiB) still compiles and runs."""
    body = "\n".join(f"        x = x * 3 + {k}; x = x ^ (x >> 7);" for k in range(150))
    source = (f"int main() {{\n    int x = 1, i;\n    for (i = 0; i < 3; i++) {{\n{body}\n    }}\n"
              "    return x & 127;\n}\n")
    result, _ = compile_executable(source, "long.c")
    assert "j .L.main.body" in result.asm  # the loop's branch back is a jump over a jump
    assert run_ours(source)[0] == native_run(source)[0]


@pytest.mark.sec_a_5
def test_driver_run_passes_the_exit_code_through(tmp_path, capfd):
    src = tmp_path / "hello.c"
    src.write_text('int puts(const char *s);\nint main() { puts("hello"); return 3; }\n')
    assert main([str(src), "--run"]) == 3
    assert capfd.readouterr().out == "hello\n"


@pytest.mark.sec_a_5
def test_driver_writes_assembly_and_executables(tmp_path):
    src = tmp_path / "p.c"
    src.write_text("int main() { return 7; }\n")
    asm, exe = tmp_path / "p.s", tmp_path / "p.elf"
    assert main([str(src), "-S", "-o", str(asm)]) == 0
    assert "main:" in asm.read_text()
    assert main([str(src), "-o", str(exe)]) == 0
    assert exe.read_bytes()[:4] == b"\x7fELF"
    assert emu.run(exe.read_bytes()).exit_code == 7


@pytest.mark.sec_a_5
@pytest.mark.parametrize("flags", [["-S"], []])
def test_driver_reports_an_unwritable_output_file(tmp_path, capsys, flags):
    src = tmp_path / "p.c"
    src.write_text("int main() { return 7; }\n")
    out = tmp_path / "no such dir" / "out"
    assert main([str(src), *flags, "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"error: cannot write {out}: No such file or directory" in err
    assert "Traceback" not in err


@pytest.mark.sec_a_6
def test_driver_reports_a_function_defined_nowhere(tmp_path, capsys):
    src = tmp_path / "undef.c"
    src.write_text("int foo(int);\nint main() { return foo(1); }\n")
    exe = tmp_path / "a.out"
    assert main([str(src), "-o", str(exe)]) == 1
    err = capsys.readouterr().err
    assert "undefined reference to `foo'" in err and "Traceback" not in err
    assert not exe.exists()


@pytest.mark.sec_a_3
def test_driver_dumps(tmp_path, capsys):
    src = tmp_path / "d.c"
    src.write_text("int main() { return 1 + 2; }\n")
    assert main([str(src), "--dump-tokens"]) == 0
    assert "1:14\tKEYWORD\treturn" in capsys.readouterr().out
    assert main([str(src), "--dump-ast"]) == 0
    assert "ADD : int" in capsys.readouterr().out
    assert main([str(src), "--dump-ir"]) == 0
    assert "%1 = add 1, 2\n  ret %1" in capsys.readouterr().out


BOOK_ASSETS = Path(__file__).parents[2] / "book" / "assets" / "appendix_ctoriscv"


@pytest.mark.sec_a_5
@pytest.mark.parametrize("name", ["sum", "call"])
def test_book_listings_are_what_the_compiler_prints(name):
    """Golden files: the assembly the book shows is regenerated by `-S`; a change fails here."""
    c_file = BOOK_ASSETS / f"{name}.c"
    assert compile_c(c_file.read_text(), str(c_file)) == (BOOK_ASSETS / f"{name}.s").read_text()


GNU_AS = shutil.which("riscv64-unknown-elf-as") or shutil.which("riscv64-linux-gnu-as")


@pytest.mark.sec_a_5
@pytest.mark.skipif(GNU_AS is None, reason="GNU RISC-V assembler not installed "
                    "(binutils-riscv64-unknown-elf or binutils-riscv64-linux-gnu)")
@pytest.mark.parametrize("path", PROGRAMS)
def test_gnu_as_accepts_our_assembly(path, tmp_path):
    std = "c89" if path.stem == "c89" else "c99"
    asm = tmp_path / "prog.s"
    asm.write_text(compile_c(path.read_text(), str(path), std=std))
    done = subprocess.run([GNU_AS, "-march=rv32i", "-mabi=ilp32", "-o", str(tmp_path / "p.o"),
                           str(asm)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


QEMU = shutil.which("qemu-riscv32")


@pytest.mark.sec_a_6
@pytest.mark.skipif(QEMU is None, reason="qemu-riscv32 not installed (Debian package qemu-user)")
@pytest.mark.parametrize("path", PROGRAMS)
def test_qemu_runs_our_executables_alike(path, tmp_path):
    """The same executable under qemu's RISC-V Linux user mode: same output, same exit code."""
    stdin_path = path.with_suffix(".stdin")
    stdin = stdin_path.read_bytes() if stdin_path.exists() else b""
    std = "c89" if path.stem == "c89" else "c99"
    _, elf = compile_executable(path.read_text(), str(path), std=std)
    exe = tmp_path / "prog"
    exe.write_bytes(elf)
    exe.chmod(0o755)
    done = subprocess.run([QEMU, str(exe)], input=stdin, capture_output=True, timeout=60)
    ours = emu.run(elf, stdin=stdin, max_steps=5_000_000)
    assert (done.returncode, done.stdout) == (ours.exit_code, ours.stdout)


GNU_LD = shutil.which("riscv64-unknown-elf-ld") or shutil.which("riscv64-linux-gnu-ld")


@pytest.mark.sec_a_6
@pytest.mark.skipif(None in (GNU_AS, GNU_LD, QEMU), reason="GNU RISC-V as and ld, and "
                    "qemu-riscv32, are needed to build and run with GNU's tools")
@pytest.mark.parametrize("path", PROGRAMS)
def test_gnu_as_and_ld_build_the_same_program(path, tmp_path):
    """Our assembly and the runtime's, assembled by GNU as and linked by GNU ld instead of ours,
    then run under qemu and on our emulator: the same output and exit code as our own
    executable. This checks our relocations and our loader against GNU's tools."""
    from appendix_ctoriscv.runtime import RUNTIME_DIR, RUNTIME_FILES

    stdin_path = path.with_suffix(".stdin")
    stdin = stdin_path.read_bytes() if stdin_path.exists() else b""
    std = "c89" if path.stem == "c89" else "c99"
    (tmp_path / "prog.s").write_text(compile_c(path.read_text(), str(path), std=std))
    sources = [tmp_path / "prog.s"] + [RUNTIME_DIR / name for name in RUNTIME_FILES]
    objects = []
    for k, source in enumerate(sources):
        objects.append(tmp_path / f"{k}.o")
        subprocess.run([GNU_AS, "-march=rv32i", "-mabi=ilp32", "-o", str(objects[-1]),
                        str(source)], check=True)  # fmt: skip
    # --no-relax: GNU ld would turn lui+addi pairs into gp-relative addi, and our crt0 does not
    # set up gp (the global pointer register) as the C library's crt0 does
    subprocess.run([GNU_LD, "-m", "elf32lriscv", "--no-relax", "-o", str(tmp_path / "prog"),
                    *map(str, objects)], check=True)  # fmt: skip
    done = subprocess.run([QEMU, str(tmp_path / "prog")], input=stdin, capture_output=True,
                          timeout=60)  # fmt: skip
    _, elf = compile_executable(path.read_text(), str(path), std=std)
    ours = emu.run(elf, stdin=stdin, max_steps=5_000_000)
    assert (done.returncode, done.stdout) == (ours.exit_code, ours.stdout)
    # and GNU ld's executable, with its own layout, runs alike on our emulator
    gnu = emu.run((tmp_path / "prog").read_bytes(), stdin=stdin, max_steps=5_000_000)
    assert (gnu.exit_code, gnu.stdout) == (ours.exit_code, ours.stdout)


@pytest.mark.sec_a_5
def test_tour_runs_and_reports(tmp_path):
    from appendix_ctoriscv.tour import tour

    rows = tour(tmp_path)
    assert rows["primes below 100 (exit code)"] == "25"  # 2, 3, 5, ..., 97
    assert rows["program output"].startswith("2 3 5 7 11 13")
    count = lambda key: int(rows[key].split()[0].replace(",", ""))  # noqa: E731
    assert count("fib(22) instructions at -O1") < count("fib(22) instructions")
    assert (tmp_path / "appendix_fib_steps.png").stat().st_size > 0
