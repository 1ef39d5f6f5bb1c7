"""Appendix: the stack frame our code generator lays out, for one example function.

The offsets are the compiler's own: the function is compiled with compile_source and the
picture reads each variable's `offset` and the frame's `stack_size` from the result, so it
shows what codegen.py really does (ILP32: the ninth argument arrives on the stack).
"""

import matplotlib.pyplot as plt
from figure_style import ASSETS, COLORS, COLUMN_WIDTH, save
from matplotlib.patches import Rectangle

from appendix_ctoriscv.codegen import SAVED_AREA
from appendix_ctoriscv.main import compile_source
from appendix_ctoriscv.type import type_name

SOURCE = """\
int f(int a, int b, int c, int d, int e, int g, int h, int k, int i) {
    int x;
    char s[6];
    x = i;
    return x + s[0];
}
"""
PROLOGUE = 16  # `addi sp, sp, -16` saves ra at s0-4 and the caller's s0 at s0-8


def word_contents(fn) -> dict[int, tuple[str, str]]:
    """For every word address relative to s0: (what it holds, its color)."""
    words = {-4: ("saved ra", COLORS["accent"]), -8: ("saved s0 (caller's frame pointer)",
                                                     COLORS["accent"])}
    registers = {p.name: f"a{i}" for i, p in enumerate(fn.params[:8])}
    for var in fn.locals:
        for byte in range(var.offset, var.offset + var.ty.size):
            word = byte - byte % 4
            if var.offset >= 0:
                what, color = f"{var.name}: 9th argument, put here by the caller", COLORS["grad"]
            elif var.name in registers:
                what = f"{var.name}: parameter, stored from {registers[var.name]}"
                color = COLORS["data"]
            else:
                what, color = f"{var.name}: local {type_name(var.ty)}", COLORS["ok"]
            words[word] = (what, color)
    return words


def draw(assets=ASSETS):
    fn = next(obj for obj in compile_source(SOURCE, "f.c").program if obj.name == "f")
    assert SAVED_AREA == 8  # the two saved registers pictured below
    bottom = -(PROLOGUE + fn.stack_size)  # where sp points once the prologue is done
    words = word_contents(fn)
    fig, (code, ax) = plt.subplots(2, 1, figsize=(COLUMN_WIDTH, 7.4),
                                   gridspec_kw={"height_ratios": [1, 6.5], "hspace": 0.0})
    code.text(0.02, 1, SOURCE, family="monospace", fontsize=9, va="top", transform=code.transAxes)
    code.axis("off")
    top = 4
    for address in range(top, bottom - 1, -4):
        what, color = words.get(address, ("", None))
        if address >= 0 and not what:
            what, color = "caller's frame", COLORS["muted"]
        y = address / 4
        ax.add_patch(Rectangle((0, y), 5, 0.95, facecolor=color or "#FFFFFF",
                               alpha=0.35 if color else 1, edgecolor="#999999"))
        ax.text(-0.15, y + 0.47, f"s0{address:+d}", ha="right", va="center", fontsize=9,
                family="monospace")
        ax.text(0.12, y + 0.47, what or "(padding to 16 bytes)", va="center", fontsize=9,
                color="black" if what else COLORS["muted"])
    ax.annotate("s0 = sp at entry", xy=(5, 0), xytext=(5.3, 0), va="center", fontsize=9,
                arrowprops={"arrowstyle": "->"})
    ax.annotate("sp after the prologue\n(16-byte aligned)", xy=(5, bottom / 4),
                xytext=(5.3, bottom / 4), va="center", fontsize=9,
                arrowprops={"arrowstyle": "->"})
    ax.text(2.5, bottom / 4 - 0.7, "the stack machine pushes below sp", ha="center", fontsize=9,
            color=COLORS["muted"])
    ax.set_xlim(-1.2, 7.6), ax.set_ylim(bottom / 4 - 1.1, top / 4 + 1.1)
    ax.axis("off")
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)  # the whole column
    return [save(fig, assets / "appendix_ctoriscv" / "stack_frame.svg")]


if __name__ == "__main__":
    print(draw())
