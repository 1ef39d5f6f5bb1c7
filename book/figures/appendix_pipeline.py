"""Appendix: the compiler's pipeline, from C source to a run on the emulator.

One box per stage with the module that implements it and what passes to the next stage; the
dashed branch is the three-address IR (ir.py), which `--dump-ir` prints and codegen does not
use yet. The same order is main.py's.
"""

from figure_style import ASSETS, render_dot

STAGES = [  # (module, what it does, what it hands on)
    ("lex.py", "lexer", "tokens"),
    ("preprocess.py", "preprocessor", "tokens, macros expanded"),
    ("parse.py", "parser", "syntax tree"),
    ("type.py", "types", "typed tree, casts explicit"),
    ("codegen.py", "code generator", "RV32I assembly text"),
    ("asm.py", "assembler", "object file + relocations"),
    ("link.py + elf.py", "linker, with runtime/*.s", "ELF32 executable"),
    ("emu.py", "RV32I emulator", "output and exit code"),
]


def to_dot() -> str:
    lines = ["digraph pipeline {", "  rankdir=TB; nodesep=0.3; ranksep=0.22;",
             '  node [shape=box, style="rounded,filled", fillcolor="#E8E8F0", color="#8C8C8C",'
             ' fontname="Helvetica", fontsize=13, width=2.6];',
             '  edge [fontname="Helvetica", fontsize=11, fontcolor="#555555", arrowsize=0.7];',
             '  source [label="prog.c", shape=note, fillcolor="#FFFFFF", width=1.2];']
    previous = "source"
    for i, (module, role, output) in enumerate(STAGES):
        lines.append(f'  s{i} [label=<<B>{role}</B><BR/><FONT FACE="Courier" POINT-SIZE="11">'
                     f'{module}</FONT>>];')
        lines.append(f'  {previous} -> s{i};')
        previous = f"s{i}"
        lines.append(f'  s{i}_out [shape=plaintext, style="", label="{output}", fontsize=11,'
                     ' fontcolor="#555555", width=0];')
        lines.append(f"  {{rank=same; s{i}; s{i}_out;}}")
        lines.append(f'  s{i} -> s{i}_out [style=invis];')
    lines.append('  ir [label=<<B>three-address IR</B><BR/><FONT FACE="Courier" POINT-SIZE="11">'
                 'ir.py  (--dump-ir)</FONT>>, style="rounded,dashed", fillcolor="#FFFFFF"];')
    lines.append("  s3 -> ir [style=dashed];")
    lines.append("  {rank=same; s4; ir;}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(assets=ASSETS):
    return [render_dot(to_dot(), assets / "appendix_ctoriscv" / "pipeline.svg")]


if __name__ == "__main__":
    print(draw())
