"""Appendix: the six RV32I instruction formats and where each immediate's bits go.

Drawn from appendix_ctoriscv/isa.py's tables (FIELDS, FIELD_SHIFT, IMM_LAYOUT), the same tables
the assembler encodes with and the emulator decodes with. The register fields and the sign bit
(bit 31) never move; the immediates are cut into pieces around them.
"""

import matplotlib.pyplot as plt
from figure_style import ASSETS, COLORS, COLUMN_WIDTH, save
from matplotlib.patches import Rectangle

from appendix_ctoriscv import isa

FORMATS = ["R", "I", "S", "B", "U", "J"]
HAS_FUNCT3 = {"R", "I", "S", "B"}
WIDTH = {"rd": 5, "rs1": 5, "rs2": 5}


def fields(fmt: str) -> list[tuple[int, int, str, bool]]:
    """(high bit, low bit, label, is_immediate) for every field of one format."""
    out = [(6, 0, "opcode", False)]
    for name in isa.FIELDS[fmt]:
        low = isa.FIELD_SHIFT[name]
        out.append((low + WIDTH[name] - 1, low, name, False))
    if fmt in HAS_FUNCT3:
        out.append((14, 12, "funct3", False))
    if fmt == "R":
        out.append((31, 25, "funct7", False))
    for hi, lo, at in isa.IMM_LAYOUT[fmt]:
        piece = f"imm[{hi}]" if hi == lo else f"imm[{hi}:{lo}]"
        out.append((at + hi - lo, at, piece, True))
    covered = sorted(b for h, lo, _, _ in out for b in range(lo, h + 1))
    assert covered == list(range(32)), f"{fmt}: fields do not tile the word"
    return out


def draw(assets=ASSETS):
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 4.6))
    cell = 1.0  # one bit
    for row, fmt in enumerate(FORMATS):
        y = -row * 1.9
        for hi, lo, label, imm in fields(fmt):
            x = (31 - hi) * cell
            w = (hi - lo + 1) * cell
            ax.add_patch(Rectangle((x, y), w, 1.6, edgecolor="#666666",
                                   facecolor=COLORS["grad"] if imm else COLORS["light"],
                                   alpha=0.85 if imm else 1))
            small = w <= 1
            ax.text(x + w / 2, y + 0.8, label, ha="center", va="center",
                    fontsize=7.5 if small else (8 if w < 5 else 9), rotation=90 if small else 0,
                    color="white" if imm else "black")
        ax.text(-0.6, y + 0.8, fmt, ha="right", va="center", fontweight="bold")
    for bit in (31, 25, 24, 20, 19, 15, 14, 12, 11, 7, 6, 0):
        ax.text((31 - bit) * cell + 0.5, 1.8, str(bit), ha="center", fontsize=8,
                color=COLORS["muted"])
    ax.set_xlim(-1.6, 32.1), ax.set_ylim(-len(FORMATS) * 1.9 + 1.8, 2.4)
    ax.axis("off")
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)  # the whole column
    return [save(fig, assets / "appendix_ctoriscv" / "immediates.svg")]


if __name__ == "__main__":
    print(draw())
