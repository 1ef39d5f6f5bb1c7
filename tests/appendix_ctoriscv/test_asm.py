"""The assembler: encodings against words written out by hand from the spec's field tables, and
against GNU as where it is installed; directives, labels, relocations and error messages."""

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appendix_ctoriscv import elf, isa
from appendix_ctoriscv.asm import AssemblerError, assemble
from appendix_ctoriscv.link import LinkError, link

pytestmark = pytest.mark.sec_a_7


def text_words(source: str) -> list[int]:
    obj = assemble(source)
    data = obj.sections[".text"].data
    return [int.from_bytes(data[i : i + 4], "little") for i in range(0, len(data), 4)]


# Field packers written from the spec's figure 2.2/2.3, independent of isa.py's tables.
def r(f7, rs2, rs1, f3, rd, op):
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op


def i(imm, rs1, f3, rd, op):
    return (imm & 0xFFF) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op


def s(imm, rs2, rs1, f3, op):
    return (imm >> 5 & 0x7F) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 0x1F) << 7 | op


# x10 = a0, x11 = a1, x12 = a2, x2 = sp, x1 = ra
ENCODINGS = [
    ("add a0, a1, a2", r(0, 12, 11, 0, 10, 0x33)),
    ("sub a0, a1, a2", r(0x20, 12, 11, 0, 10, 0x33)),
    ("sll a0, a1, a2", r(0, 12, 11, 1, 10, 0x33)),
    ("slt a0, a1, a2", r(0, 12, 11, 2, 10, 0x33)),
    ("sltu a0, a1, a2", r(0, 12, 11, 3, 10, 0x33)),
    ("xor a0, a1, a2", r(0, 12, 11, 4, 10, 0x33)),
    ("srl a0, a1, a2", r(0, 12, 11, 5, 10, 0x33)),
    ("sra a0, a1, a2", r(0x20, 12, 11, 5, 10, 0x33)),
    ("or a0, a1, a2", r(0, 12, 11, 6, 10, 0x33)),
    ("and a0, a1, a2", r(0, 12, 11, 7, 10, 0x33)),
    ("addi sp, sp, -16", 0xFF010113),  # the first instruction of most functions
    ("slti a0, a1, -1", i(-1, 11, 2, 10, 0x13)),
    ("sltiu a0, a1, 2047", i(2047, 11, 3, 10, 0x13)),
    ("xori a0, a1, -2048", i(-2048, 11, 4, 10, 0x13)),
    ("ori a0, a1, 0x55", i(0x55, 11, 6, 10, 0x13)),
    ("andi a0, a1, 255", i(255, 11, 7, 10, 0x13)),
    ("slli a0, a1, 31", r(0, 31, 11, 1, 10, 0x13)),
    ("srli a0, a1, 1", r(0, 1, 11, 5, 10, 0x13)),
    ("srai a0, a1, 7", r(0x20, 7, 11, 5, 10, 0x13)),
    ("lb a0, -1(a1)", i(-1, 11, 0, 10, 0x03)),
    ("lh a0, 2(a1)", i(2, 11, 1, 10, 0x03)),
    ("lw ra, 12(sp)", 0x00C12083),
    ("lbu a0, 0(a1)", i(0, 11, 4, 10, 0x03)),
    ("lhu a0, (a1)", i(0, 11, 5, 10, 0x03)),
    ("sb a0, -2048(a1)", s(-2048, 10, 11, 0, 0x23)),
    ("sh a0, 6(a1)", s(6, 10, 11, 1, 0x23)),
    ("sw ra, 12(sp)", 0x00112623),
    ("jalr ra, 4(a0)", i(4, 10, 0, 1, 0x67)),
    ("lui a0, 0x12345", 0x12345 << 12 | 10 << 7 | 0x37),
    ("auipc ra, 0xfffff", 0xFFFFF << 12 | 1 << 7 | 0x17),
    ("ecall", 0x00000073),
    ("ebreak", 0x00100073),
    ("fence", 0x0FF0000F),  # fence iorw, iorw
    ("fence rw, w", i(0b0011 << 4 | 0b0001, 0, 0, 0, 0x0F)),
    # pseudo-instructions, spelled out in the manual's table 25.2
    ("nop", i(0, 0, 0, 0, 0x13)),
    ("mv a2, a0", i(0, 10, 0, 12, 0x13)),
    ("not a0, a1", i(-1, 11, 4, 10, 0x13)),
    ("neg a0, a1", r(0x20, 11, 0, 0, 10, 0x33)),
    ("seqz a0, a1", i(1, 11, 3, 10, 0x13)),
    ("snez a0, a1", r(0, 11, 0, 3, 10, 0x33)),
    ("sltz a0, a1", r(0, 0, 11, 2, 10, 0x33)),
    ("sgtz a0, a1", r(0, 11, 0, 2, 10, 0x33)),
    ("ret", 0x00008067),
    ("jr a0", i(0, 10, 0, 0, 0x67)),
    ("jalr a0", i(0, 10, 0, 1, 0x67)),
    ("jalr ra, a0, 8", i(8, 10, 0, 1, 0x67)),
    ("li a0, 7", 0x00700513),
    ("li a0, -2048", i(-2048, 0, 0, 10, 0x13)),
]


@pytest.mark.parametrize("source,word", ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_encoding_matches_the_spec(source, word):
    assert text_words(source) == [word]


def test_li_splits_large_constants_into_lui_and_addi():
    # 0x12345678: lo12 = 0x678, hi20 = 0x12345. 0x800: lo12 = -2048, so hi20 rounds up to 1.
    assert text_words("li a0, 0x12345678") == [0x12345 << 12 | 10 << 7 | 0x37,
                                              i(0x678, 10, 0, 10, 0x13)]  # fmt: skip
    assert text_words("li a0, 0x800") == [1 << 12 | 10 << 7 | 0x37, i(-2048, 10, 0, 10, 0x13)]
    assert text_words("li a0, 0x7ffff000") == [0x7FFFF << 12 | 10 << 7 | 0x37]  # lo12 = 0: no addi
    assert text_words("li t0, -1") == [i(-1, 0, 0, 5, 0x13)]


def test_b_and_j_immediates_are_scrambled_as_the_spec_draws_them():
    # beq with offset -4: imm = 0x1ffc (13 bits). imm[12]=1 -> bit 31, imm[10:5]=0x3f -> 30:25,
    # imm[4:1]=0xe -> 11:8, imm[11]=1 -> bit 7.
    assert isa.encode("beq", rs1=10, rs2=11, imm=-4) == (
        1 << 31 | 0x3F << 25 | 11 << 20 | 10 << 15 | 0 << 12 | 0xE << 8 | 1 << 7 | 0x63
    )
    # jal ra, +2048: imm[11]=1 -> bit 20, everything else 0.
    assert isa.encode("jal", rd=1, imm=2048) == 1 << 20 | 1 << 7 | 0x6F
    # jal zero, -2: imm = 0x1ffffe: imm[20] -> 31, imm[10:1] all ones -> 30:21, imm[11] -> 20,
    # imm[19:12] all ones -> 19:12
    assert isa.encode("jal", rd=0, imm=-2) == 0xFFFFF06F


@pytest.mark.parametrize("name,fmt", [(n, op.fmt) for n, op in isa.INSTRUCTIONS.items()])
def test_decode_inverts_encode(name, fmt):
    imm = {"I": -5, "S": 100, "SH": 3, "B": -2048, "U": 0xABCDE000 - (1 << 32), "J": 4094}
    word = isa.encode(name, rd=5, rs1=6, rs2=7, imm=imm.get(fmt, 0))
    d = isa.decode(word)
    assert d.name == name
    fields = isa.FIELDS[fmt]
    if name not in ("ecall", "ebreak", "fence"):
        assert (d.rd, d.rs1, d.rs2) == tuple(v if f in fields else 0 for f, v in
                                             (("rd", 5), ("rs1", 6), ("rs2", 7)))  # fmt: skip
        assert d.imm == imm.get(fmt, 0)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(isa.INSTRUCTIONS)), regs=st.tuples(*[st.integers(0, 31)] * 3),
       data=st.data())  # fmt: skip
def test_any_encodable_instruction_decodes_back(name, regs, data):
    fmt = isa.INSTRUCTIONS[name].fmt
    lo, hi, step = isa.IMM_RANGE.get(fmt, (0, 0, 1))
    imm = data.draw(st.integers(lo // step, hi // step)) * step
    if fmt == "U":
        imm = ((imm & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000  # decode sign-extends bit 31
    d = isa.decode(isa.encode(name, *regs, imm=imm))
    assert d.name == name
    if name not in ("ecall", "ebreak", "fence"):
        used = isa.FIELDS[fmt]
        assert (d.rd, d.rs1, d.rs2) == tuple(r if f in used else 0 for f, r in
                                             zip(("rd", "rs1", "rs2"), regs))  # fmt: skip
        assert d.imm == (imm if fmt != "R" else 0)


def test_disassemble_writes_what_the_assembler_reads():
    assert isa.disassemble(0x00C12083) == "lw ra, 12(sp)"
    assert isa.disassemble(0xFF010113) == "addi sp, sp, -16"
    assert isa.disassemble(0x12345537) == "lui a0, 0x12345"
    assert isa.disassemble(0x00100073) == "ebreak"
    assert isa.disassemble(isa.encode("beq", rs1=10, rs2=11, imm=-8), pc=0x10010) == (
        "beq a0, a1, 0x10008")
    assert isa.disassemble(0) == ".word 0x00000000"
    for source, word in ENCODINGS[:30]:  # base instructions: the text assembles to the word
        assert text_words(isa.disassemble(word)) == [word], source


def test_decode_rejects_non_instructions():
    assert isa.decode(0) is None  # all zeros is illegal by design (spec section 2.2)
    assert isa.decode(0xFFFFFFFF) is None
    assert isa.decode(r(0x01, 1, 1, 0, 1, 0x33)) is None  # mul: the M extension
    assert isa.decode(r(0x10, 1, 1, 1, 1, 0x13)) is None  # slli with a bad funct7


def test_branches_and_calls_are_relocated_by_the_linker():
    src = """
        .globl _start
    _start:
        beq a0, a1, 1f
        j _start
    1:  call far
        tail far
        .globl far
    far: ret
    """
    obj = assemble(src)
    kinds = [(r.type, r.offset) for r in obj.relocations]
    assert kinds == [("R_RISCV_BRANCH", 0), ("R_RISCV_JAL", 4), ("R_RISCV_CALL", 8),
                     ("R_RISCV_CALL", 16)]  # fmt: skip
    exe = elf.read_executable(link([obj]))
    text = exe.segments[0].data[exe.entry - elf.TEXT_BASE :]
    words = [int.from_bytes(text[k : k + 4], "little") for k in range(0, 28, 4)]
    assert isa.decode(words[0]) == isa.Decoded("beq", 0, 10, 11, 8)
    assert isa.decode(words[1]) == isa.Decoded("jal", 0, 0, 0, -4)
    assert isa.decode(words[2]) == isa.Decoded("auipc", 1, 0, 0, 0)  # far is 16 bytes on
    assert isa.decode(words[3]) == isa.Decoded("jalr", 1, 1, 0, 16)
    assert isa.decode(words[4]) == isa.Decoded("auipc", 6, 0, 0, 0)  # tail: t1, no link
    assert isa.decode(words[5]) == isa.Decoded("jalr", 0, 6, 0, 8)


def test_hi_lo_relocations_rebuild_the_address():
    src = """
        .globl _start
    _start:
        lui a0, %hi(x)
        addi a0, a0, %lo(x)
        sw a1, %lo(x+4)(a0)
        .data
        .zero 0x7f0
    x:  .word 0, 0
    """
    exe = elf.read_executable(link([assemble(src)]))
    x_addr = exe.symbols["x"]
    assert x_addr & 0xFFF >= 0x800  # so that %hi must round up
    text = exe.segments[0].data[exe.entry - elf.TEXT_BASE :]
    lui, addi, sw = (isa.decode(int.from_bytes(text[k : k + 4], "little")) for k in (0, 4, 8))
    assert (lui.imm + addi.imm) & 0xFFFFFFFF == x_addr
    assert (lui.imm + sw.imm) & 0xFFFFFFFF == x_addr + 4


def test_data_directives_lay_out_bytes():
    obj = assemble(r"""
        .data
        .byte 1, -1, 'A'
        .half 0x1234
        .align 2
        .word 0xdeadbeef, -2
        .ascii "ab"
        .asciz "c\n\x41\101"
        .string ""
        .equ SIZE, 3 * 2
        .zero SIZE - 4
        .balign 8
        .bss
        .space 12
        .comm counter, 4, 4
    """)
    data = bytes(obj.sections[".data"].data)
    # .byte, .half, .align pad, .word, .ascii, .asciz, .string, .zero, .balign pad
    assert data == (b"\x01\xff\x41" b"\x34\x12" b"\x00\x00\x00" b"\xef\xbe\xad\xde\xfe\xff\xff\xff"
                    b"ab" b"c\nAA\x00" b"\x00" b"\x00\x00" + bytes(6))
    assert obj.sections[".bss"].size == 16
    assert obj.symbols["counter"].is_global and obj.symbols["counter"].value == 12


def test_constant_expressions_use_c_arithmetic():
    obj = assemble(".data\n.word -7 / 2, -7 % 2, (1 << 4) | 3, ~0 & 0xff, 2 + 3 * 4, 'a' - 1")
    words = [int.from_bytes(obj.sections[".data"].data[k : k + 4], "little", signed=True)
             for k in range(0, 24, 4)]  # fmt: skip
    assert words == [-3, -1, 19, 255, 14, ord("a") - 1]


def test_tabs_and_several_statements_per_line():
    assert text_words("add\ta0,a1,a2 ; ret # a comment; not a statement") == [
        r(0, 12, 11, 0, 10, 0x33), 0x00008067]


def test_dot_is_the_address_of_the_current_statement():
    source = """
        .globl _start
    _start:
        nop
        j .             # jump to itself: offset 0
        beq a0, a1, .+8 # over the next instruction
        nop
        .word .-4       # the address of the word itself, minus 4
    """
    exe = elf.read_executable(link([assemble(source)]))
    text = exe.segments[0].data[exe.entry - elf.TEXT_BASE :]
    words = [int.from_bytes(text[k : k + 4], "little") for k in range(0, 20, 4)]
    assert words[1] == 0x0000006F  # jal zero, 0: only the opcode is set
    assert words[2] == 0x00B50463  # beq a0, a1, 8: a1 (11) << 20 | a0 (10) << 15 | 8 in bits 11:8
    assert words[4] == exe.entry + 16 - 4


def test_numeric_labels_find_the_nearest_definition():
    source = """
        .globl _start
    _start:
    1:  nop
        j 1b            # back to the first 1:, 4 bytes up
    1:  j 1f            # on to the third 1:, 8 bytes down
        j 1b            # back to the second 1:, 4 bytes up
    1:  nop
    """
    exe = elf.read_executable(link([assemble(source)]))
    text = exe.segments[0].data[exe.entry - elf.TEXT_BASE :]
    jumps = [isa.decode(int.from_bytes(text[k : k + 4], "little")).imm for k in (4, 8, 12)]
    assert jumps == [-4, 8, -4]


def test_errors_name_file_and_line_and_keep_going():
    with pytest.raises(AssemblerError) as e:
        assemble("nop\naddi a0, a1, 4096\nfrob a0\nlw a0, a1\n.word 1 +\nbeq a0, a1, .Lnowhere\n",
                 "prog.s")  # fmt: skip
    errors = e.value.errors
    assert errors[0] == "prog.s:2: error: immediate 4096 out of range for `addi` (-2048..2047)"
    assert errors[1] == "prog.s:3: error: unknown instruction `frob`"
    assert errors[2].startswith("prog.s:4: error: expected `offset(register)`")
    assert errors[3].startswith("prog.s:5: error:")
    assert errors[4] == "prog.s:6: error: label `.Lnowhere` is used but never defined"
    assert isinstance(e.value, ValueError)


@pytest.mark.parametrize("line,message", [
    ("add a0, a1", "takes 3 operands"),
    ("add a0, a1, q9", "`q9` is not a register"),
    ("slli a0, a0, 32", "out of range"),
    ("lui a0, 0x100000", "out of range"),
    ("li a0, 0x100000000", "does not fit"),
    ("li a0, foo", "must be a constant"),
    ("beq a0, a1, 12", "needs a label"),
    (".byte 256", "does not fit"),
    (".align 3, 5, 7\n.balign 3", "power of 2"),
    (".bss\n.word 1", "non-zero data in .bss"),
    (".frobnicate", "unknown directive"),
    ('.ascii "\\q"', "unknown escape"),
    ("x:\nx:", "already defined"),
    (".comm buf", "missing operand in `.comm buf`"),
    (".data\n.byte 1\n.text\n.byte 1\nnop", "not a multiple of 4"),
    (".equ N, 1 / 0", "division by zero"),
    (".zero 99999999999", "the size must be"),  # an error, not an attempt to allocate it
    (".equ N, 1 << 99999", "shift by 99999"),
    (".p2align 40", "power of 2 up to"),
])  # fmt: skip
def test_bad_lines_are_reported(line, message):
    with pytest.raises(AssemblerError, match=message):
        assemble(line)


def test_link_errors():
    with pytest.raises(LinkError, match="undefined reference to `missing'"):
        link([assemble(".globl _start\n_start: call missing")])
    twice = assemble(".globl _start, f\n_start: f: ret")
    with pytest.raises(LinkError, match="multiple definition of `f'"):
        link([twice, assemble(".globl f\nf: ret")])
    far = ".globl _start\n_start: beq a0, a1, far\n.zero 8192\nfar: ret"
    with pytest.raises(LinkError, match=r"<asm>:2: .*out of reach"):
        link([assemble(far)])


def test_library_objects_are_linked_only_when_needed():
    main = assemble(".globl _start\n_start: call f")
    lib_f, lib_g = assemble(".globl f\nf: ret"), assemble(".globl g\ng: ret")
    exe = elf.read_executable(link([main], library=[lib_g, lib_f]))
    assert "f" in exe.symbols and "g" not in exe.symbols


# *** cross-check with GNU as ***

GNU_AS = shutil.which("riscv64-unknown-elf-as") or shutil.which("riscv64-linux-gnu-as")


@pytest.mark.skipif(GNU_AS is None, reason="GNU as for RISC-V not installed "
                    "(apt-get install binutils-riscv64-unknown-elf)")  # fmt: skip
def test_same_words_as_gnu_as(tmp_path):
    """Every instruction of the table, and pc-relative branches, encode exactly as GNU as does."""
    lines = [src for src, _ in ENCODINGS] + [
        "1: beq a0, a1, 1b", "bne a0, zero, 2f", "blt a0, a1, 1b", "bge a0, a1, 2f",
        "bltu a0, a1, 1b", "bgeu a0, a1, 2f", "bgt a0, a1, 1b", "ble a0, a1, 2f",
        "bgtu a0, a1, 1b", "bleu a0, a1, 2f", "beqz a0, 1b", "bnez a0, 2f", "blez a0, 1b",
        "bgez a0, 2f", "bltz a0, 1b", "bgtz a0, 2f", "j 1b", "jal 2f", "jal t0, 1b",
        "2: li a0, 0x12345678", "li a0, 0x800", "li a0, -4096", "li a0, 0xfffff800",
    ]  # fmt: skip
    source = "\n".join(lines) + "\n"
    (tmp_path / "t.s").write_text(source)
    subprocess.run([GNU_AS, "-march=rv32i", "-mabi=ilp32", "-mno-relax", "-o",
                    str(tmp_path / "t.o"), str(tmp_path / "t.s")], check=True)  # fmt: skip
    gnu_text = _elf_section(( tmp_path / "t.o").read_bytes(), ".text")
    ours = link([assemble(".globl _start\n_start:\n" + source)])
    exe = elf.read_executable(ours)
    our_text = exe.segments[0].data[exe.entry - elf.TEXT_BASE :][: len(gnu_text)]
    gnu_words = [int.from_bytes(gnu_text[k : k + 4], "little") for k in range(0, len(gnu_text), 4)]
    our_words = [int.from_bytes(our_text[k : k + 4], "little") for k in range(0, len(our_text), 4)]
    mismatches = [(isa.disassemble(g), isa.disassemble(o)) for g, o in zip(gnu_words, our_words)
                  if g != o]  # fmt: skip
    assert mismatches == [] and len(gnu_words) == len(our_words)


def _elf_section(data: bytes, name: str) -> bytes:
    """The bytes of section `name` of any ELF32 file (here: GNU's relocatable object)."""
    _, _, _, _, _, _, shoff, _, _, _, _, shentsize, shnum, shstrndx = elf.EHDR.unpack_from(data)
    headers = [elf.SHDR.unpack_from(data, shoff + k * shentsize) for k in range(shnum)]
    names_at = headers[shstrndx][4]
    for h in headers:
        end = data.index(b"\0", names_at + h[0])
        if data[names_at + h[0] : end].decode() == name:
            return data[h[4] : h[4] + h[5]]
    raise KeyError(name)
