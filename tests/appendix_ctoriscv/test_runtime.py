"""The runtime: libgcc's arithmetic against Python with C's truncating division, RISC-V's
answers for division by zero and overflow; the C library calls through system calls."""

import os
import random
import shutil
import subprocess

import pytest

from appendix_ctoriscv import emu
from appendix_ctoriscv.asm import assemble
from appendix_ctoriscv.link import link
from appendix_ctoriscv.runtime import RUNTIME_DIR, RUNTIME_FILES, runtime_objects

pytestmark = pytest.mark.sec_a_10
MASK = 0xFFFFFFFF
EDGES = [0, 1, 2, 3, 7, 10, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFF9, 0x10000,
         0xFFFF, 0x80000001, 12345678]  # fmt: skip


def build(main: str, data: str = "") -> bytes:
    source = f"    .globl main\nmain:\n{main}\n    .data\n{data}\n"
    return link([assemble(source, "main.s")], library=runtime_objects())


def signed(v: int) -> int:
    return (v & MASK) - ((v & 0x80000000) << 1)


def c_div(a: int, b: int) -> int:
    """C's a / b on 32-bit ints (truncating), with RISC-V's div results where C has none."""
    a, b = signed(a), signed(b)
    if b == 0:
        return MASK  # -1
    q = abs(a) // abs(b)
    return (q if (a < 0) == (b < 0) else -q) & MASK  # INT_MIN / -1 wraps to INT_MIN


def c_rem(a: int, b: int) -> int:
    a, b = signed(a), signed(b)
    if b == 0:
        return a & MASK
    r = abs(a) % abs(b)
    return (r if a >= 0 else -r) & MASK  # the remainder takes the dividend's sign


REFERENCE = {
    "__mulsi3": lambda a, b: a * b & MASK,
    "__divsi3": c_div,
    "__modsi3": c_rem,
    "__udivsi3": lambda a, b: a // b if b else MASK,
    "__umodsi3": lambda a, b: a % b if b else a,
}


def pairs(seed: int, count: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    out = [(a, b) for a in EDGES for b in EDGES]
    for _ in range(count):  # divisors of every size: small ones make long quotients
        out.append((rng.getrandbits(32), rng.getrandbits(rng.choice([3, 8, 16, 32]))))
    return out


def run_table(function: str, table: list[tuple[int, int]]) -> list[int]:
    """Call `function` on each pair in one emulator run; the results come back on stdout."""
    words = ", ".join(f"{a}, {b}" for a, b in table)
    main = f"""
        addi sp, sp, -16
        sw ra, 12(sp)
        sw s0, 8(sp)
        sw s1, 4(sp)
        la s0, pairs
        li s1, {len(table)}
    1:  lw a0, 0(s0)
        lw a1, 4(s0)
        call {function}
        sw a0, 0(s0)            # the result replaces the pair's first word
        addi s0, s0, 8
        addi s1, s1, -1
        bnez s1, 1b
        li a0, 1
        la a1, pairs
        li a2, {8 * len(table)}
        call write
        li a0, 0
        lw ra, 12(sp)
        lw s0, 8(sp)
        lw s1, 4(sp)
        addi sp, sp, 16
        ret
    """
    result = emu.run(build(main, f"pairs: .word {words}"))
    assert result.exit_code == 0
    out = result.stdout
    return [int.from_bytes(out[k : k + 4], "little") for k in range(0, len(out), 8)]


@pytest.mark.parametrize("function", list(REFERENCE))
def test_arithmetic_matches_c_and_riscv_semantics(function):
    table = pairs(seed=sum(function.encode()), count=1500)
    expected = [REFERENCE[function](a, b) for a, b in table]
    got = run_table(function, table)
    wrong = [(hex(a), hex(b), hex(g), hex(e)) for (a, b), g, e in zip(table, got, expected)
             if g != e]  # fmt: skip
    assert wrong == []
    assert len(got) == len(table)


def test_division_edge_cases_spelled_out():
    int_min = 0x80000000
    assert run_table("__divsi3", [(7, 0), (int_min, MASK), (-7 & MASK, 2)]) == [
        MASK, int_min, -3 & MASK]  # x/0 = -1, INT_MIN/-1 = INT_MIN, -7/2 = -3 (truncates)
    assert run_table("__modsi3", [(7, 0), (int_min, MASK), (-7 & MASK, 2)]) == [7, 0, -1 & MASK]
    assert run_table("__udivsi3", [(7, 0), (MASK, 2)]) == [MASK, 0x7FFFFFFF]


def test_main_return_value_is_the_exit_code():
    assert emu.run(build("li a0, 42\nret")).exit_code == 42


# main returns argc * 10 + (argv[argc] == NULL): C guarantees the NULL after the last argument
ARGS_MAIN = """
    slli t0, a0, 2
    add t0, a1, t0
    lw t0, 0(t0)
    seqz t0, t0
    slli t1, a0, 3
    slli a0, a0, 1
    add a0, a0, t1
    add a0, a0, t0
    ret
"""


def test_main_gets_argc_and_argv():
    # the emulator starts a program as execve with an empty argv would: argc 0, argv[0] NULL
    assert emu.run(build(ARGS_MAIN)).exit_code == 1


def test_putchar_puts_and_exit():
    main = """
        addi sp, sp, -16
        sw ra, 12(sp)
        li a0, 'h'
        call putchar
        mv s0, a0               # putchar returns the character
        la a0, msg
        call puts               # "ello" and a newline; returns 5
        add a0, a0, s0
        call exit               # exit does not return
        li a0, 1
        ret
    """
    result = emu.run(build(main, 'msg: .asciz "ello"'))
    assert result.stdout == b"hello\n"
    assert result.exit_code == (ord("h") + 5) & 0xFF


def test_getchar_echo_until_eof():
    main = """
        addi sp, sp, -16
        sw ra, 12(sp)
        sw s0, 8(sp)
        li s0, 0
    1:  call getchar
        bltz a0, 2f             # EOF is -1
        addi s0, s0, 1
        call putchar
        j 1b
    2:  mv a0, s0
        lw ra, 12(sp)
        lw s0, 8(sp)
        addi sp, sp, 16
        ret
    """
    data = bytes(range(256))  # bytes >= 0x80 must not look like EOF
    result = emu.run(build(main), stdin=data)
    assert (result.stdout, result.exit_code) == (data, 0)  # 256 characters: exit code 0


def test_sbrk_hands_out_fresh_memory():
    main = """
        addi sp, sp, -16
        sw ra, 12(sp)
        li a0, 100
        call sbrk
        mv s0, a0               # the first block
        li a0, 100
        call sbrk
        mv s1, a0               # the second, 100 bytes on
        li t0, 0x55
        sb t0, 99(s1)           # both are writable
        sw t0, 0(s0)
        sub a0, s1, s0
        li t0, 0x10000000
        mv s2, a0
        mv a0, t0
        call sbrk               # far too much: (void *)-1
        addi a0, a0, 1          # -1 + 1 = 0
        add a0, a0, s2
        lw ra, 12(sp)
        addi sp, sp, 16
        ret
    """
    assert emu.run(build(main)).exit_code == 100


def test_string_functions():
    main = """
        addi sp, sp, -16
        sw ra, 12(sp)
        la a0, dst
        li a1, '*'
        li a2, 3
        call memset
        la a0, dst+3
        la a1, src
        li a2, 4
        call memcpy
        la a0, dst
        call strlen
        mv s0, a0
        li a0, 1
        la a1, dst
        mv a2, s0
        call write
        mv a0, s0
        lw ra, 12(sp)
        addi sp, sp, 16
        ret
    """
    result = emu.run(build(main, 'src: .asciz "abc"\ndst: .zero 16'))
    assert (result.stdout, result.exit_code) == (b"***abc", 6)


def test_only_the_needed_runtime_files_are_linked():
    from appendix_ctoriscv import elf

    exe = elf.read_executable(build("li a0, 0\nret"))
    assert "exit" in exe.symbols and "__divsi3" not in exe.symbols and "puts" not in exe.symbols


# *** cross-checks with GNU as and qemu ***

GNU_AS = shutil.which("riscv64-unknown-elf-as") or shutil.which("riscv64-linux-gnu-as")
QEMU = shutil.which("qemu-riscv32")


@pytest.mark.skipif(GNU_AS is None, reason="GNU as for RISC-V not installed "
                    "(apt-get install binutils-riscv64-unknown-elf)")  # fmt: skip
@pytest.mark.parametrize("name", RUNTIME_FILES)
def test_runtime_sources_are_gnu_assembly(name, tmp_path):
    subprocess.run([GNU_AS, "-march=rv32i", "-mabi=ilp32", "-o", str(tmp_path / "r.o"),
                    str(RUNTIME_DIR / name)], check=True, capture_output=True)  # fmt: skip


@pytest.mark.skipif(QEMU is None, reason="qemu-riscv32 not installed (apt-get install qemu-user)")
def test_runtime_under_qemu(tmp_path):
    main = """
        addi sp, sp, -16
        sw ra, 12(sp)
        li a0, -7000
        li a1, 13
        call __divsi3           # -538
        li a1, 100
        call __modsi3           # -38
        li a1, -3
        call __mulsi3           # 114
        mv s0, a0
    1:  call getchar
        bltz a0, 2f
        call putchar
        j 1b
    2:  la a0, msg
        call puts
        mv a0, s0
        lw ra, 12(sp)
        addi sp, sp, 16
        ret
    """
    exe = build(main, 'msg: .asciz "done"')
    path = tmp_path / "prog"
    path.write_bytes(exe)
    os.chmod(path, 0o755)
    native = subprocess.run([QEMU, str(path)], input=b"echo\n", capture_output=True, timeout=30)
    ours = emu.run(exe, stdin=b"echo\n")
    assert (ours.exit_code, ours.stdout) == (native.returncode, native.stdout) == (114,
                                                                                  b"echo\ndone\n")


@pytest.mark.skipif(QEMU is None, reason="qemu-riscv32 not installed (apt-get install qemu-user)")
def test_qemu_passes_argc_and_argv_to_main(tmp_path):
    path = tmp_path / "args"
    path.write_bytes(build(ARGS_MAIN))
    os.chmod(path, 0o755)
    done = subprocess.run([QEMU, str(path), "a", "b"], capture_output=True, timeout=30)
    assert done.returncode == 31  # argc 3: the program's name, "a" and "b"; then NULL


def test_library_cache_falls_back_to_the_temporary_directory(tmp_path, monkeypatch):
    """Where $XDG_CACHE_HOME (or HOME) cannot hold a directory, as on a CI runner with a
    read-only or missing home, the compiled C library goes under the temporary directory."""
    import tempfile

    from appendix_ctoriscv import runtime

    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))  # under a file: mkdir fails
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    out = runtime._cache_dir()
    assert out.is_dir() and out.is_relative_to(tmp_path / "tmp" / "singsys" / "appendix-libc")
