"""Code generation for global variables: their initial bytes as assembler data directives.

A global with no initialiser goes to .bss as `.zero N`; one with initial bytes to .data (a
string literal to .rodata), as `.word`, `.half` or `.byte` lines, by the size of its elements;
an address inside it (a pointer initialised to `&x` or to a function) becomes `.word x`, which
the assembler turns into a relocation. `DataGen` is a part of codegen.py's `CodeGen`.
"""

from __future__ import annotations

from appendix_ctoriscv.defs import Obj, TypeKind
from appendix_ctoriscv.ir import signed32

DATA_DIRECTIVE = {1: ".byte", 2: ".half", 4: ".word"}


class DataGen:
    """Data directives for globals (a part of codegen.py's CodeGen)."""

    def gen_data(self, var: Obj) -> None:
        self.lines.append("")
        if var.init_data is None:
            self.emit(".bss")
        elif var.name.startswith(".L.."):  # string literals are read-only
            self.emit(".section .rodata")
        else:
            self.emit(".data")
        if not var.is_static:
            self.emit(f".globl {var.asm_name}")
        self.emit(f".align {max(var.ty.align, 1).bit_length() - 1}")
        self.label(var.asm_name)
        if var.init_data is None:
            self.emit(f".zero {max(var.ty.size, 1)}")
            return
        elem = var.ty
        while elem.kind == TypeKind.ARRAY:
            elem = elem.base
        # words for an array of ints, bytes for chars and for structs (whose members differ)
        size = elem.size if elem.size in DATA_DIRECTIVE and elem.kind not in (
            TypeKind.STRUCT, TypeKind.UNION) else 4 if elem.kind == TypeKind.DOUBLE else 1
        relocations = {offset: (label, addend) for offset, label, addend in var.relocations}
        data, pending, pos = var.init_data, [], 0
        while pos < len(data):
            if pos in relocations:  # an address: a word the linker fills in
                label, addend = relocations[pos]
                self.flush_data(pending, size)
                self.emit(f".word {label}{addend:+d}" if addend else f".word {label}")
                pos += 4
            else:
                pending.append(signed32(int.from_bytes(data[pos : pos + size], "little")))
                pos += size
        self.flush_data(pending, size)

    def flush_data(self, values: list[int], size: int) -> None:
        """Emit values of `size` bytes each, 12 to a line; empties `values`."""
        shown = [v & 0xFF for v in values] if size == 1 else values
        for i in range(0, len(shown), 12):
            self.emit(f"{DATA_DIRECTIVE[size]} " + ", ".join(str(v) for v in shown[i : i + 12]))
        values.clear()
