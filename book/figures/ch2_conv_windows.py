"""Chapter 2: convolution windows as a strided view of the input.

A 5x5 image (one channel) and its 3x3 windows at stride 1: window (i, j) is the 3x3 block whose
top-left corner is pixel (i, j). The shapes and strides are those ch2_lego's `windows` returns.
"""

import matplotlib.pyplot as plt
from figure_style import ASSETS, COLORS, COLUMN_WIDTH, save
from matplotlib.patches import Rectangle

import ch2_lego as lego
from ch2_lego.nn.conv_ops import windows

H = W = 5
K = 3
CORNER = (1, 2)  # the window drawn: top-left corner at row 1, column 2


def grid(ax, rows, cols, label, highlight=(), color=COLORS["data"]):
    for r in range(rows):
        for c in range(cols):
            on = (r, c) in highlight
            ax.add_patch(Rectangle((c, -r), 0.94, 0.94, facecolor=color if on else "#F2F2F2",
                                   alpha=0.85 if on else 1, edgecolor="#BBBBBB"))
            ax.text(c + 0.47, -r + 0.47, label(r, c), ha="center", va="center", fontsize=10,
                    color="white" if on else "black")
    ax.set_xlim(-0.1, cols + 0.1), ax.set_ylim(-rows + 0.8, 1.1)
    ax.set_aspect("equal"), ax.axis("off")


def draw(assets=ASSETS):
    img = lego.arange(H * W, dtype=lego.float32).reshape(1, 1, H, W)
    cols = windows(img, kernel=K)  # (B, C, OH, OW, KH, KW), a view of img
    i, j = CORNER
    window = cols[0, 0, i, j]
    picked = {(int(v) // W, int(v) % W) for v in window.reshape(-1).tolist()}
    first, last = min(r * W + c for r, c in picked), max(r * W + c for r, c in picked)
    fig, (left, right) = plt.subplots(1, 2, figsize=(COLUMN_WIDTH, 3.6),
                                      gridspec_kw={"width_ratios": [5, 3.2], "wspace": 0.35})
    grid(left, H, W, lambda r, c: str(r * W + c), picked)
    left.set_title(f"input (1, 1, {H}, {W}), strides {img.stride()}\n"
                   f"the window at ({i}, {j}) reads storage {first}..{last}")
    oh, ow = cols.shape[2:4]
    grid(right, oh, ow, lambda r, c: f"({r},{c})", {CORNER}, COLORS["grad"])
    right.set_title(f"windows: shape {tuple(cols.shape)}\nstrides {cols.stride()}")
    fig.text(0.5, -0.02, f"window ({i}, {j}) = input[{i}:{i + K}, {j}:{j + K}]: one step along "
             f"OH or KH moves {cols.stride()[2]} elements in storage, one along OW or KW moves "
             f"{cols.stride()[3]};\nthe windows share the input's storage: nothing is copied",
             ha="center")
    return [save(fig, assets / "ch2_lego" / "conv_windows.svg")]


if __name__ == "__main__":
    print(draw())
