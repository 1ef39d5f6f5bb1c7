"""The ELF writer and reader: header fields parsed back with struct by hand, the loader's rules
for segments, readelf's opinion where installed, and reading an executable GNU ld made."""

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from appendix_ctoriscv import elf
from appendix_ctoriscv.asm import assemble
from appendix_ctoriscv.link import link

pytestmark = pytest.mark.sec_a_8

SOURCE = """
    .globl _start
    .type _start, @function
_start:
    la a0, counter
    lw a1, 0(a0)
    la a2, message
    li a7, 93
    ecall
    .section .rodata
message: .asciz "hi"
    .data
counter: .word 7
    .bss
buffer: .zero 100
"""


@pytest.fixture(scope="module")
def exe() -> bytes:
    return link([assemble(SOURCE)])


def test_elf_header_fields(exe):
    # gABI figure 4-3: e_ident[16], then 2-byte and 4-byte fields, little-endian for ELFDATA2LSB
    ident = exe[:16]
    assert ident[:4] == b"\x7fELF"
    assert (ident[4], ident[5], ident[6]) == (1, 1, 1)  # ELFCLASS32, ELFDATA2LSB, EV_CURRENT
    e_type, e_machine, e_version, e_entry, e_phoff, e_shoff = struct.unpack_from("<HHIIII", exe, 16)
    e_flags, e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx = struct.unpack_from(
        "<IHHHHHH", exe, 36)
    assert (e_type, e_machine, e_version) == (2, 243, 1)  # ET_EXEC, EM_RISCV
    assert (e_phoff, e_ehsize, e_phentsize, e_shentsize) == (52, 52, 32, 40)
    assert e_flags == 0  # soft-float ABI, no compressed instructions
    assert e_phnum == 2 and e_shoff % 4 == 0 and e_shoff + e_shnum * 40 == len(exe)
    assert e_entry == elf.read_executable(exe).symbols["_start"]
    assert 0 < e_shstrndx < e_shnum


def test_program_headers_follow_the_loader_rules(exe):
    rows = [struct.unpack_from("<IIIIIIII", exe, 52 + 32 * k) for k in range(2)]
    (t_type, t_off, t_vaddr, _, t_filesz, t_memsz, t_flags, t_align) = rows[0]
    (d_type, d_off, d_vaddr, _, d_filesz, d_memsz, d_flags, d_align) = rows[1]
    assert t_type == d_type == 1  # PT_LOAD
    assert (t_off, t_vaddr, t_flags) == (0, 0x10000, 4 | 1)  # maps the headers too; R+X
    assert t_filesz == t_memsz
    assert d_flags == 4 | 2  # R+W, not executable
    assert d_memsz == d_filesz + 4 + 100 or d_memsz > d_filesz + 100  # .bss after .data
    for off, vaddr, align in ((t_off, t_vaddr, t_align), (d_off, d_vaddr, d_align)):
        assert vaddr % align == off % align  # what mmap needs
    assert d_vaddr // 0x1000 > (t_vaddr + t_memsz - 1) // 0x1000  # separate pages
    assert d_off + d_filesz <= len(exe)


def test_reader_round_trip(exe):
    parsed = elf.read_executable(exe)
    assert [s.flags for s in parsed.segments] == [elf.PF_R | elf.PF_X, elf.PF_R | elf.PF_W]
    data = parsed.segments[1]
    counter = parsed.symbols["counter"]
    assert data.data[counter - data.vaddr : counter - data.vaddr + 4] == (7).to_bytes(4, "little")
    assert parsed.symbols["buffer"] + 100 <= data.end
    text = parsed.segments[0]
    message = parsed.symbols["message"] - text.vaddr
    assert text.data[message : message + 3] == b"hi\0"


@pytest.mark.parametrize("patch,message", [
    ((0, b"\x7fELG"), "bad magic"),
    ((4, b"\x02"), "32-bit"),
    ((18, b"\x3e\x00"), "not a RISC-V executable"),  # EM_X86_64
    ((16, b"\x01\x00"), "not a RISC-V executable"),  # ET_REL
])  # fmt: skip
def test_reader_rejects_other_files(exe, patch, message):
    at, data = patch
    bad = exe[:at] + data + exe[at + len(data) :]
    with pytest.raises(elf.ElfError, match=message):
        elf.read_executable(bad)


def test_reader_rejects_a_truncated_file(exe):
    with pytest.raises(elf.ElfError, match="malformed|past the end"):
        elf.read_executable(exe[:100])


READELF = shutil.which("riscv64-unknown-elf-readelf") or shutil.which("readelf")
GNU_AS = shutil.which("riscv64-unknown-elf-as")
GNU_LD = shutil.which("riscv64-unknown-elf-ld")


@pytest.mark.skipif(READELF is None, reason="readelf not installed (apt-get install binutils)")
def test_readelf_accepts_it(exe, tmp_path):
    path = tmp_path / "prog"
    path.write_bytes(exe)
    done = subprocess.run([READELF, "-a", "-W", str(path)], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stderr == ""  # no warnings about the file's structure
    out = done.stdout
    assert "RISC-V" in out and "EXEC (Executable file)" in out
    for name in (".text", ".rodata", ".data", ".bss", ".symtab", ".strtab", ".shstrtab"):
        assert f" {name} " in out
    assert "FUNC    GLOBAL DEFAULT    1 _start" in out


@pytest.mark.skipif(READELF is None, reason="readelf not installed (apt-get install binutils)")
def test_book_shows_what_readelf_prints(tmp_path):
    """book/appendix_ctoriscv/machine.md shows `readelf -l` of hello.c: the listing is a golden
    file, regenerated here from the compiler's output, so a change in the layout fails."""
    from appendix_ctoriscv.main import compile_executable

    assets = Path(__file__).parents[2] / "book" / "assets" / "appendix_ctoriscv"
    _, exe = compile_executable((assets / "hello.c").read_text(), "hello.c")
    (tmp_path / "hello").write_bytes(exe)
    done = subprocess.run([READELF, "-l", str(tmp_path / "hello")], capture_output=True,
                          text=True, check=True)  # fmt: skip
    shown = [line.rstrip() for line in done.stdout.strip("\n").splitlines()]
    assert shown == (assets / "hello.readelf.txt").read_text().splitlines()


@pytest.mark.skipif(GNU_AS is None or GNU_LD is None,
                    reason="GNU as/ld for RISC-V not installed")  # fmt: skip
def test_reads_an_executable_gnu_ld_made(tmp_path):
    (tmp_path / "t.s").write_text(SOURCE)
    subprocess.run([GNU_AS, "-march=rv32i", "-mabi=ilp32", "-o", str(tmp_path / "t.o"),
                    str(tmp_path / "t.s")], check=True)  # fmt: skip
    subprocess.run([GNU_LD, "-m", "elf32lriscv", "-o", str(tmp_path / "t"), str(tmp_path / "t.o")],
                   check=True)  # fmt: skip
    parsed = elf.read_executable((tmp_path / "t").read_bytes())
    assert parsed.entry == parsed.symbols["_start"]
    assert any(s.flags & elf.PF_X for s in parsed.segments)
    counter = parsed.symbols["counter"]
    seg = next(s for s in parsed.segments if s.vaddr <= counter < s.vaddr + len(s.data))
    assert seg.data[counter - seg.vaddr] == 7
