"""Chapter 2: the plots of the leaky-abstraction experiment, taken from the ch2 notebook.

The experiment lives in book/notebooks/ch2_lego.ipynb, where a reader can rerun and change it.
Its plot cells carry a tag `book-figure:NAME`; this copies each one's saved PNG output to
book/assets/ch2_lego/NAME.png for section 2.17 of the book, so the page shows exactly what the
notebook computed. Re-execute the notebook first when the experiment changes.
"""

import base64
import json

from figure_style import ASSETS, REPO_ROOT

NOTEBOOK = REPO_ROOT / "book" / "notebooks" / "ch2_lego.ipynb"
TAG = "book-figure:"


def tagged_pngs(notebook=NOTEBOOK) -> dict[str, bytes]:
    """NAME -> the PNG bytes of the cell tagged book-figure:NAME."""
    found = {}
    for cell in json.loads(notebook.read_text())["cells"]:
        for tag in cell.get("metadata", {}).get("tags", []):
            if not tag.startswith(TAG):
                continue
            pngs = [out["data"]["image/png"] for out in cell.get("outputs", [])
                    if "image/png" in out.get("data", {})]
            if len(pngs) != 1:
                raise ValueError(f"cell tagged {tag} has {len(pngs)} PNG outputs, not 1: "
                                 "execute the notebook first")
            found[tag[len(TAG):]] = base64.b64decode(pngs[0])
    return found


def draw(assets=ASSETS):
    paths = []
    for name, png in tagged_pngs().items():
        path = assets / "ch2_lego" / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        paths.append(path)
    return paths


if __name__ == "__main__":
    print(draw())
