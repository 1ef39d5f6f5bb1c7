"""Chapter 2: the layers of ch2_lego, read bottom-up, and the two seams later chapters use.

Each layer imports only the layers below it (tests/foundation/test_layering.py checks the
package for import cycles). Chapter 3 plugs in at the dispatcher, chapter 4 at the Buffer.
"""

import matplotlib.pyplot as plt
from figure_style import ASSETS, COLORS, COLUMN_WIDTH, save
from matplotlib.patches import FancyBboxPatch

LAYERS = [  # bottom first: (name, modules, what it holds)
    ("Storage and View", "storage.py  dtype.py",
     "flat memory with a version counter; shape, strides, offset"),
    ("dispatcher and device contract", "backend.py  ops_cpu.py",
     "the primitive ops; one kernel table per device"),
    ("Buffer", "buffer.py  decompositions.py",
     "storage + view + dtype + device; ALU, reduce, movement ops; non-core ops decomposed"),
    ("autograd", "autograd.py  grad_mode.py", "Function, the graph, the backward pass"),
    ("Functions", "function*.py",
     "forward over Buffers, backward in Tensor ops"),
    ("Tensor", "tensor*.py", "autograd state around a Buffer; the PyTorch front end"),
    ("creation, random, functional", "creation.py  random.py  functional.py",
     "zeros, randn, softmax, cross_entropy, ..."),
    ("nn, optim, data, models", "nn/  optim/  data/  models/",
     "Modules, optimizers, the MLP LM and the GPT"),
]
SEAMS = {1: "chapter 3 registers its devices and kernels here (C, CUDA, WGSL)",
         2: "chapter 4 supplies a lazy Buffer with the same methods here"}


def draw(assets=ASSETS):
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 6.0))
    gap, width, line = 0.14, 10.0, 0.36
    y = 0.0
    for i, (name, modules, what) in enumerate(LAYERS):
        lines = 3 if i in SEAMS else 2
        height = lines * line + 0.1
        seam = i in SEAMS
        ax.add_patch(FancyBboxPatch((0, y), width, height,
                                    boxstyle="round,pad=0.02,rounding_size=0.08",
                                    facecolor="#FBE7D9" if seam else COLORS["light"],
                                    edgecolor=COLORS["grad"] if seam else COLORS["muted"]))
        top = y + height - 0.05 - line / 2
        ax.text(0.15, top, name, fontweight="bold", va="center")
        ax.text(5.1, top, modules, family="monospace", fontsize=9, va="center")
        ax.text(0.15, top - line, what, fontsize=9, color="#444444", va="center")
        if seam:
            ax.text(0.15, top - 2 * line, "\u2190 " + SEAMS[i], fontsize=9, va="center",
                    color=COLORS["grad"], style="italic")
        y += height + gap
    ax.annotate("", xy=(-0.25, y - gap), xytext=(-0.25, 0),
                arrowprops={"arrowstyle": "->", "color": COLORS["muted"]})
    ax.text(-0.45, y / 2, "each layer imports only the layers below it", rotation=90,
            ha="center", va="center", fontsize=9, color=COLORS["muted"])
    ax.set_xlim(-0.7, width + 0.05), ax.set_ylim(-0.05, y)
    ax.axis("off")
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)  # the whole column
    return [save(fig, assets / "ch2_lego" / "layers.svg")]


if __name__ == "__main__":
    print(draw())
