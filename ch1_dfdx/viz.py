"""Drawing an expression graph: every Value with its data and grad, every operation as a node.

`to_dot(root)` writes the graph in graphviz's DOT language and needs nothing installed.
`draw(root)` also renders it to SVG with graphviz's `dot` program; where `dot` is missing it
says so and keeps the DOT source, which any graphviz viewer (or an online one) can render.
"""

import shutil
import subprocess
from dataclasses import dataclass

from ch1_dfdx.engine import Value, reverse_topological_order


def _fmt(x) -> str:
    return f"{float(x):.4g}"


def to_dot(root: Value, rankdir: str = "LR") -> str:
    """The DOT source of root's graph: a record per Value, an oval per operation."""
    lines = [f"digraph {{\n  rankdir={rankdir};", "  node [fontname=Helvetica, fontsize=11];"]
    order = reverse_topological_order(root)[::-1]  # inputs first, so the text reads forwards
    names = {v: f"v{i}" for i, v in enumerate(order)}
    for v in order:
        name = names[v]
        lines.append(f'  {name} [shape=record, label="{{ data {_fmt(v.data)} | '
                     f'grad {_fmt(v.grad)} }}"];')
        if v._prev:
            # The operation gets its own node, so that a Value used by two operations has one
            # box and two arrows out: the picture of why gradients accumulate.
            lines.append(f'  {name}_op [label="{v._op}", shape=ellipse];')
            lines.append(f"  {name}_op -> {name};")
            for inp in v._prev:
                lines.append(f"  {names[inp]} -> {name}_op;")
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass
class Drawing:
    """A graph's DOT source and, where graphviz's `dot` is installed, its SVG.

    In Jupyter it shows as the picture, or as the DOT source with a note where there is none.
    """

    source: str
    svg: str | None

    def _repr_svg_(self):
        return self.svg

    def __repr__(self):
        if self.svg is not None:
            return f"Drawing(svg of {len(self.svg)} characters)"
        return ("graphviz's `dot` program is not installed (e.g. `apt-get install graphviz`), "
                "so here is the graph's DOT source instead of a picture:\n" + self.source)


def draw(root: Value, rankdir: str = "LR") -> Drawing:
    """root's graph as DOT, rendered to SVG by `dot` where that program is installed."""
    source = to_dot(root, rankdir)
    dot = shutil.which("dot")
    if dot is None:
        return Drawing(source, None)
    svg = subprocess.run([dot, "-Tsvg"], input=source, capture_output=True, text=True,
                         check=True).stdout
    return Drawing(source, svg)
