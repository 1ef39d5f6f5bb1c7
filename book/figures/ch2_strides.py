"""Chapter 2: one storage of 12 numbers and four tensors that read it.

Each view's cells show which storage position they read, computed by ch2_lego: the view is
applied to a tensor holding 0..11, so each element's value is its own storage index.
"""

import matplotlib.pyplot as plt
from figure_style import ASSETS, COLUMN_WIDTH, save
from matplotlib.patches import Rectangle

import ch2_lego as lego

CMAP = plt.get_cmap("tab20")
VIEWS = [  # (how it is written, how it is made from x)
    ("x = arange(12).view(3, 4)", lambda x: x),
    ("x.T", lambda x: x.T),
    ("x[:, 1::2]", lambda x: x[:, 1::2]),
    ("x[1].expand(2, 4)", lambda x: x[1].expand(2, 4)),
]


def cell(ax, col, row, index, size=1.0):
    ax.add_patch(Rectangle((col, -row), size * 0.94, size * 0.94, color=CMAP(index), alpha=0.8))
    ax.text(col + 0.47 * size, -row + 0.47 * size, str(index), ha="center", va="center",
            fontsize=11)


def draw(assets=ASSETS):
    x = lego.arange(12).view(3, 4)
    fig = plt.figure(figsize=(COLUMN_WIDTH, 7.0))
    grid = fig.add_gridspec(3, 2, height_ratios=[0.5, 1, 1], hspace=0.4, wspace=0.15)
    storage = fig.add_subplot(grid[0, :])
    for i in range(12):
        cell(storage, i, 0, i)
    storage.set_title("the storage: 12 int64 values, one after another (position = value)")
    storage.set_xlim(-0.1, 12), storage.set_ylim(-0.1, 1)
    for k, (text, make) in enumerate(VIEWS):
        ax = fig.add_subplot(grid[1 + k // 2, k % 2])
        view = make(x)
        rows, cols = view.shape
        for r in range(rows):
            for c in range(cols):
                cell(ax, c, r, int(view[r, c].item()))
        ax.set_title(f"{text}\nshape {tuple(view.shape)}, strides {view.stride()}, "
                     f"offset {view.storage_offset()}")
        ax.set_xlim(-0.1, 4.1), ax.set_ylim(-3.1, 1)  # room for 4 x 4 in every panel
    for ax in fig.axes:
        ax.set_aspect("equal"), ax.axis("off")
    return [save(fig, assets / "ch2_lego" / "strides.png")]


if __name__ == "__main__":
    print(draw())
