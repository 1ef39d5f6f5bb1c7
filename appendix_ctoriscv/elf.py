"""ELF32: write a static RISC-V executable, and read one back for the emulator.

write_executable(Image) adds the headers to sections the linker placed: the ELF header, one
PT_LOAD program header per segment (for the loader) and section headers with a symbol table
(for readelf and debuggers). read_executable(bytes) gives the entry, segments and symbols.
References: the System V gABI, chapters 4 (object files) and 5 (program loading).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

# *** 1. the field layouts (gABI chapter 4, ELFCLASS32, little-endian) ***

# e_ident: magic, class (1: 32-bit), data (1: little-endian), version 1, OS ABI 0 (System V)
ELF_IDENT = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)
# ELF header after e_ident: e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags,
# e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
EHDR = struct.Struct("<16sHHIIIIIHHHHHH")  # 52 bytes
PHDR = struct.Struct("<IIIIIIII")  # p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz,
#                                    p_flags, p_align (32 bytes)
SHDR = struct.Struct("<IIIIIIIIII")  # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size,
#                                      sh_link, sh_info, sh_addralign, sh_entsize (40 bytes)
SYM = struct.Struct("<IIIBBH")  # st_name, st_value, st_size, st_info, st_other, st_shndx (16)

ET_EXEC, EM_RISCV = 2, 243
PT_NULL, PT_LOAD = 0, 1
PF_X, PF_W, PF_R = 1, 2, 4
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOBITS = 1, 2, 3, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
STB_LOCAL, STB_GLOBAL = 0, 1
STT_NOTYPE, STT_OBJECT, STT_FUNC = 0, 1, 2
SHN_UNDEF, SHN_ABS = 0, 0xFFF1

PAGE = 0x1000  # the loader maps whole pages: p_vaddr and p_offset must agree modulo PAGE
TEXT_BASE = 0x10000  # where the first segment (headers, code, constants) is mapped, as GNU ld
MAX_SEGMENTS = 2  # code (r-x) and data (rw-); the linker lays sections out after this many phdrs
HEADERS_SIZE = EHDR.size + MAX_SEGMENTS * PHDR.size


class ElfError(ValueError):
    """The bytes are not an ELF32 RISC-V executable we can load."""


# *** 2. what the linker hands over ***


@dataclass
class OutputSection:
    """One section of the executable, placed in memory (addr) and in the file (offset)."""

    name: str  # .text, .rodata, .data or .bss
    addr: int
    offset: int
    data: bytes  # empty for .bss, which takes no room in the file
    size: int  # bytes in memory
    flags: str  # "ax" code, "a" constants, "aw" data

    @property
    def nobits(self) -> bool:
        return self.name == ".bss"


@dataclass
class ElfSymbol:
    name: str
    value: int  # its address
    section: str | None  # output section name; None for an absolute symbol
    is_global: bool
    kind: int = STT_NOTYPE  # STT_FUNC for functions, STT_OBJECT for data, from `.type`
    size: int = 0


@dataclass
class Image:
    """A linked program: sections at their addresses, the symbols, the entry point."""

    entry: int
    sections: list[OutputSection]
    symbols: list[ElfSymbol] = field(default_factory=list)


# *** 3. the writer ***


def _strtab(names: list[str]) -> tuple[bytes, dict[str, int]]:
    """A string table (NUL-separated, starting with an empty string) and each name's offset."""
    table, where = bytearray(b"\0"), {"": 0}
    for name in names:
        if name not in where:
            where[name] = len(table)
            table += name.encode() + b"\0"
    return bytes(table), where


def _segments(sections: list[OutputSection]) -> list[tuple[int, int, int, int, int, int]]:
    """(offset, vaddr, filesz, memsz, flags, align) per PT_LOAD: read-only sections, then writable.

    The first segment starts at file offset 0 so that it maps the ELF header too, as GNU ld does.
    """
    segments = []
    for writable in (False, True):
        group = [s for s in sections if ("w" in s.flags) == writable and s.size]
        if not group:
            continue
        start = 0 if not writable else group[0].offset
        vaddr = TEXT_BASE if not writable else group[0].addr
        file_end = max((s.offset + len(s.data) for s in group if not s.nobits), default=start)
        filesz = file_end - start
        memsz = max(s.addr + s.size for s in group) - vaddr
        flags = PF_R | (PF_W if writable else 0)
        flags |= PF_X if any("x" in s.flags for s in group) else 0
        segments.append((start, vaddr, filesz, memsz, flags, PAGE))
    return segments


# --8<-- [start:elf_symbols]
def write_executable(image: Image) -> bytes:
    """The ELF file for `image`: headers, section contents, the symbol table, section headers."""
    out = bytearray(HEADERS_SIZE)
    for s in image.sections:  # contents at the offsets the linker chose
        assert s.offset >= len(out) or not s.data, f"{s.name} overlaps what precedes it"
        out += bytes(s.offset - len(out)) if s.data else b""
        out += s.data

    # Symbol table: the null symbol, then locals, then globals (gABI: sh_info = first global).
    shnames = [s.name for s in image.sections] + [".symtab", ".strtab", ".shstrtab"]
    shndx = {name: i + 1 for i, name in enumerate(shnames)}
    symbols = sorted(image.symbols, key=lambda s: s.is_global)
    strtab, name_at = _strtab([s.name for s in symbols])
    symtab = bytearray(SYM.size)  # entry 0 is the null symbol
    for s in symbols:
        bind = STB_GLOBAL if s.is_global else STB_LOCAL
        index = shndx[s.section] if s.section else SHN_ABS
        value = s.value & 0xFFFFFFFF  # an .equ may be negative
        symtab += SYM.pack(name_at[s.name], value, s.size, bind << 4 | s.kind, 0, index)
    first_global = 1 + sum(not s.is_global for s in symbols)
    shstrtab, shname_at = _strtab(shnames)
    # --8<-- [end:elf_symbols]

    # --8<-- [start:elf_section_headers]
    headers = [bytes(SHDR.size)]  # section 0 is the null section
    for s in image.sections:
        flags = SHF_ALLOC | (SHF_WRITE if "w" in s.flags else 0)
        flags |= SHF_EXECINSTR if "x" in s.flags else 0
        kind = SHT_NOBITS if s.nobits else SHT_PROGBITS
        headers.append(SHDR.pack(shname_at[s.name], kind, flags, s.addr, s.offset, s.size,
                                 0, 0, 4, 0))  # fmt: skip
    tables = [(".symtab", SHT_SYMTAB, bytes(symtab), shndx[".strtab"], first_global, SYM.size),
              (".strtab", SHT_STRTAB, strtab, 0, 0, 0),
              (".shstrtab", SHT_STRTAB, shstrtab, 0, 0, 0)]  # fmt: skip
    for name, kind, data, link, info, entsize in tables:
        headers.append(SHDR.pack(shname_at[name], kind, 0, 0, len(out), len(data),
                                 link, info, 4 if kind == SHT_SYMTAB else 1, entsize))  # fmt: skip
        out += data
    out += bytes(-len(out) % 4)
    shoff = len(out)
    out += b"".join(headers)
    # --8<-- [end:elf_section_headers]

    # --8<-- [start:elf_headers]
    segments = _segments(image.sections)
    out[: EHDR.size] = EHDR.pack(ELF_IDENT, ET_EXEC, EM_RISCV, 1, image.entry, EHDR.size, shoff,
                                 0, EHDR.size, PHDR.size, len(segments), SHDR.size,
                                 len(headers), shndx[".shstrtab"])  # fmt: skip
    for i, (offset, vaddr, filesz, memsz, flags, align) in enumerate(segments):
        at = EHDR.size + i * PHDR.size
        out[at : at + PHDR.size] = PHDR.pack(PT_LOAD, offset, vaddr, vaddr, filesz, memsz,
                                             flags, align)  # fmt: skip
    return bytes(out)
# --8<-- [end:elf_headers]


# *** 4. the reader ***


@dataclass
class Segment:
    """One PT_LOAD: `data` goes at `vaddr`; memory from vaddr+len(data) to vaddr+memsz is zero."""

    vaddr: int
    data: bytes
    memsz: int
    flags: int  # PF_R | PF_W | PF_X

    @property
    def end(self) -> int:
        return self.vaddr + self.memsz


@dataclass
class Executable:
    entry: int
    segments: list[Segment]
    symbols: dict[str, int]  # function and data names -> addresses, if the file has a symtab


def read_executable(data: bytes) -> Executable:
    """Parse an ELF32 RISC-V executable: entry, loadable segments and symbols."""
    try:
        return _read_executable(data)
    except (struct.error, ValueError, IndexError) as e:
        if isinstance(e, ElfError):
            raise
        raise ElfError(f"malformed ELF file ({e})") from None


def _read_executable(data: bytes) -> Executable:
    if len(data) < EHDR.size or data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file (bad magic number)")
    ident, e_type, machine, _, entry, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum, _ = (
        EHDR.unpack_from(data)
    )
    if ident[4] != 1 or ident[5] != 1:
        raise ElfError("not a 32-bit little-endian ELF file")
    if machine != EM_RISCV or e_type != ET_EXEC:
        raise ElfError(f"not a RISC-V executable (e_machine {machine}, e_type {e_type})")
    segments = []
    for i in range(phnum):
        p_type, offset, vaddr, _, filesz, memsz, flags, _ = PHDR.unpack_from(
            data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            if offset + filesz > len(data) or filesz > memsz:
                raise ElfError(f"program header {i} reaches past the end of the file")
            segments.append(Segment(vaddr, data[offset : offset + filesz], memsz, flags))
    symbols = {}
    for i in range(shnum if shoff else 0):
        _, kind, _, _, offset, size, link, _, _, _ = SHDR.unpack_from(data, shoff + i * shentsize)
        if kind != SHT_SYMTAB:
            continue
        str_offset = SHDR.unpack_from(data, shoff + link * shentsize)[4]
        for at in range(offset + SYM.size, offset + size, SYM.size):
            name, value, _, _, _, index = SYM.unpack_from(data, at)
            end = data.index(b"\0", str_offset + name)
            if index != SHN_UNDEF:
                symbols[data[str_offset + name : end].decode()] = value
    return Executable(entry, segments, symbols)
