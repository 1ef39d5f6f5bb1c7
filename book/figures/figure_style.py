"""What every figure script shares: where figures go, one look, and reproducible files.

Figures are drawn for the book's text column, about 7 inches (700 px) wide, so a 10 pt label
stays a readable 13 px on the page. They are written as SVG (sharp at any zoom) with fixed
ids and no date (or as 200 dpi PNG where a page already names a .png), so that regenerating an
unchanged figure leaves the file unchanged.
"""

import shutil
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSETS = REPO_ROOT / "book" / "assets"
COLUMN_WIDTH = 7.0  # inches: the text column of the book

plt.rcParams.update({
    "font.size": 10,
    "axes.titlesize": 10,
    "svg.hashsalt": "singularity-systems",  # fixed element ids: reproducible files
    "svg.fonttype": "path",  # text as outlines: the same letters in every browser
})

# One palette for the whole book (matplotlib's tab10, named by role).
COLORS = {"data": "#4C72B0", "grad": "#DD8452", "ok": "#55A868", "bad": "#C44E52",
          "muted": "#8C8C8C", "accent": "#8172B3", "light": "#E8E8F0"}


def save(fig, path: Path) -> Path:
    """Write a matplotlib figure as SVG, or as PNG at twice the screen's resolution where the
    page already names a .png; without the creation date that would change each run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"Date": None} if path.suffix == ".svg" else {"Software": None}
    fig.savefig(path, bbox_inches="tight", dpi=200, metadata=meta)
    plt.close(fig)
    return path


def render_dot(source: str, path: Path) -> Path:
    """Render graphviz DOT source to SVG with the `dot` program (`make system-deps`)."""
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError("graphviz's `dot` program is needed to draw this figure "
                           "(apt-get install graphviz, or make system-deps)")
    svg = subprocess.run([dot, "-Tsvg"], input=source, capture_output=True, text=True,
                         check=True).stdout
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg)
    return path
