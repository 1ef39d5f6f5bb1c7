"""Object files and the linker: ObjectFiles in, an ELF32 executable out.

An ObjectFile (what asm.py makes) holds section bytes, symbols and relocations. link() lays out
the sections (.text, .rodata, .data, .bss), gives each symbol an address, patches each
relocation (RISC-V psABI names) and hands the result to elf.py. Objects in `library` go in only
when they define a missing symbol, as from an archive. No dynamic linking, no relaxation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appendix_ctoriscv import elf, isa

# *** 1. the object file ***


@dataclass
class Symbol:
    name: str
    section: str | None  # where it is defined; None while undefined, or "*ABS*" for `.equ`
    value: int  # offset within its section (or the constant, for *ABS*)
    is_global: bool = False
    kind: int = elf.STT_NOTYPE  # set by `.type name, @function` or `@object`
    size: int = 0  # set by `.size`


@dataclass
class Relocation:
    """Put `symbol + addend` into the instruction or word at `section`:`offset`, the `type` way."""

    section: str
    offset: int
    type: str  # a key of RELOCATIONS
    symbol: str
    addend: int
    where: str  # `file:line`, for error messages


@dataclass
class Section:
    name: str
    data: bytearray = field(default_factory=bytearray)  # for .bss: stays empty, see size
    size: int = 0  # bytes; equals len(data) except in .bss
    align: int = 4


@dataclass
class ObjectFile:
    name: str
    sections: dict[str, Section] = field(default_factory=dict)
    symbols: dict[str, Symbol] = field(default_factory=dict)
    relocations: list[Relocation] = field(default_factory=list)

    def defined(self) -> set[str]:
        """Names of the global symbols this object defines."""
        return {s.name for s in self.symbols.values() if s.is_global and s.section}

    def undefined(self) -> set[str]:
        return {s.name for s in self.symbols.values() if s.section is None}


class LinkError(RuntimeError):
    """An undefined or doubly defined symbol, or an address out of an instruction's reach."""


# *** 2. relocations: how each kind patches its place (psABI, "Relocations") ***
# Each takes the word at the place, the symbol's value S + A and the place's address P,
# and returns the new word. `hi20`/`lo12` split a value so that (hi20 << 12) + sext(lo12) == it.


def hi20(value: int) -> int:
    """The upper 20 bits for lui/auipc, rounded so that adding the signed low 12 bits lands."""
    return ((value + 0x800) >> 12) & 0xFFFFF


def lo12(value: int) -> int:
    """The low 12 bits as a signed number, -2048..2047."""
    return ((value & 0xFFF) ^ 0x800) - 0x800


def _patch(fmt: str, word: int, imm: int) -> int:
    """Clear the immediate bits of `word` (format `fmt`) and store `imm` there."""
    ones = isa.scatter_imm(fmt, -1)
    return (word & ~ones & 0xFFFFFFFF) | isa.scatter_imm(fmt, imm)


def _reach(fmt: str, offset: int) -> int:
    if not isa.imm_fits(fmt, offset):
        lo, hi, _ = isa.IMM_RANGE[fmt]
        raise ValueError(f"target is {offset:+d} bytes away, out of reach ({lo}..{hi})")
    return offset


# --8<-- [start:relocations]
RELOCATIONS = {
    # .word sym: the absolute address
    "R_RISCV_32": lambda word, s, p: s & 0xFFFFFFFF,
    # beq/bne/...: a pc-relative offset of +-4 KiB
    "R_RISCV_BRANCH": lambda word, s, p: _patch("B", word, _reach("B", s - p)),
    # jal: a pc-relative offset of +-1 MiB
    "R_RISCV_JAL": lambda word, s, p: _patch("J", word, _reach("J", s - p)),
    # lui rd, %hi(sym) / addi rd, rd, %lo(sym) / sw rs, %lo(sym)(rd)
    "R_RISCV_HI20": lambda word, s, p: _patch("U", word, hi20(s) << 12),
    "R_RISCV_LO12_I": lambda word, s, p: _patch("I", word, lo12(s)),
    "R_RISCV_LO12_S": lambda word, s, p: _patch("S", word, lo12(s)),
}
# --8<-- [end:relocations]
# R_RISCV_CALL covers a pair, `auipc ra, hi` then `jalr ra, lo(ra)`, so that a call reaches any
# address: it patches two words and is applied in link() below.

# *** 3. layout: where each section goes ***

OUTPUT_SECTIONS = [(".text", "ax"), (".rodata", "a"), (".data", "aw"), (".bss", "aw")]


def output_section(name: str) -> str:
    """The output section an input section joins: `.text.main` -> .text, `.sdata` -> .data.

    GCC's small-data sections (.sdata, .sbss, .srodata) join their ordinary counterparts;
    any other name is placed as read-only data.
    """
    for out, _ in OUTPUT_SECTIONS:
        for prefix in (out, ".s" + out[1:]):  # .data and .sdata
            if name == prefix or name.startswith(prefix + "."):
                return out
    return ".rodata"


def align_up(n: int, a: int) -> int:
    return (n + a - 1) // a * a


# --8<-- [start:layout]
def _layout(objects: list[ObjectFile]) -> tuple[list[elf.OutputSection], dict]:
    """Place every input section; returns the output sections and (object index, name) -> addr."""
    placed: dict[tuple[int, str], int] = {}
    sections = []
    offset = elf.HEADERS_SIZE
    addr = elf.TEXT_BASE + offset
    for out_name, flags in OUTPUT_SECTIONS:
        if out_name == ".data":
            addr += elf.PAGE  # a new page for the writable segment; addr == offset mod PAGE still
        data = bytearray()
        start_addr = addr = align_up(addr, 16)
        start_offset = offset = align_up(offset, 16)
        for i, obj in enumerate(objects):
            for name, sec in obj.sections.items():
                if output_section(name) != out_name:
                    continue
                pad = align_up(addr, sec.align) - addr
                placed[(i, name)] = addr + pad
                data += bytes(pad) + (sec.data if out_name != ".bss" else b"")
                addr += pad + sec.size
        if out_name != ".bss":
            offset += len(data)
        if addr > start_addr:
            sections.append(elf.OutputSection(out_name, start_addr, start_offset,
                                              bytes(data) if out_name != ".bss" else b"",
                                              addr - start_addr, flags))  # fmt: skip
    return sections, placed
# --8<-- [end:layout]


# *** 4. the linker ***


def _select(objects: list[ObjectFile], library: list[ObjectFile], entry: str) -> list[ObjectFile]:
    """The objects, plus each library object that defines a symbol still undefined."""
    chosen = list(objects)
    pending = list(library)
    while True:
        defined = set().union(*(o.defined() for o in chosen))
        missing = set().union({entry}, *(o.undefined() for o in chosen)) - defined
        pick = next((o for o in pending if o.defined() & missing), None)
        if pick is None:
            return chosen
        chosen.append(pick)
        pending.remove(pick)


# --8<-- [start:link]
def link(objects: list[ObjectFile], entry: str = "_start",
         library: list[ObjectFile] = ()) -> bytes:  # fmt: skip
    """Link `objects` (and what they need from `library`) into an ELF32 executable.

    Raises LinkError for an undefined or multiply defined symbol, or a branch out of reach.
    """
    objects = _select(objects, list(library), entry)
    sections, placed = _layout(objects)
    section_of = {s.name: s for s in sections}

    # Symbols: globals are shared by all objects, locals are seen only in their own object.
    globals_: dict[str, tuple[int, Symbol]] = {}
    for i, obj in enumerate(objects):
        for sym in obj.symbols.values():
            if sym.is_global and sym.section:
                if sym.name in globals_:
                    raise LinkError(f"{obj.name}: multiple definition of `{sym.name}'")
                globals_[sym.name] = (i, sym)

    if entry not in globals_:
        raise LinkError(f"undefined reference to `{entry}' (the entry point)")

    def address(i: int, sym: Symbol) -> int:
        return sym.value if sym.section == "*ABS*" else placed[(i, sym.section)] + sym.value

    def resolve(i: int, name: str, where: str) -> int:
        sym = objects[i].symbols.get(name)
        if sym is not None and sym.section:
            return address(i, sym)
        if name in globals_:
            return address(*globals_[name])
        raise LinkError(f"{where}: undefined reference to `{name}'")

    # Patch every relocation in place.
    images = {s.name: bytearray(s.data) for s in sections}
    for i, obj in enumerate(objects):
        for r in obj.relocations:
            place = placed[(i, r.section)] + r.offset
            out = images[output_section(r.section)]
            at = place - section_of[output_section(r.section)].addr
            value = resolve(i, r.symbol, r.where) + r.addend
            try:
                if r.type == "R_RISCV_CALL":  # auipc + jalr
                    offset = value - place
                    auipc, jalr = (int.from_bytes(out[k : k + 4], "little") for k in (at, at + 4))
                    words = [_patch("U", auipc, hi20(offset) << 12),
                             _patch("I", jalr, lo12(offset))]  # fmt: skip
                else:
                    word = int.from_bytes(out[at : at + 4], "little")
                    words = [RELOCATIONS[r.type](word, value, place)]
            except ValueError as e:
                what = f"relocation {r.type} against `{r.symbol}'"
                raise LinkError(f"{r.where}: {e} ({what})") from None
            out[at : at + 4 * len(words)] = b"".join(w.to_bytes(4, "little") for w in words)
    for s in sections:
        s.data = bytes(images[s.name]) if s.data else s.data

    symbols = []
    for i, obj in enumerate(objects):
        for sym in obj.symbols.values():
            if sym.section and not sym.name.startswith(".L") and "\x02" not in sym.name:
                out_name = None if sym.section == "*ABS*" else output_section(sym.section)
                symbols.append(elf.ElfSymbol(sym.name, address(i, sym), out_name, sym.is_global,
                                             sym.kind, sym.size))  # fmt: skip
    return elf.write_executable(elf.Image(address(*globals_[entry]), sections, symbols))
# --8<-- [end:link]
