"""Chapter 1: the graph of one neuron, tanh(x1*w1 + x2*w2 + b), after backward().

Every value is a box with its name, data and grad; every operation a small circle. The numbers
are computed by ch1_dfdx itself, so the picture cannot disagree with the code.
"""

from figure_style import ASSETS, render_dot

from ch1_dfdx import Value
from ch1_dfdx.engine import reverse_topological_order

OP_SYMBOL = {"*": "×", "+": "+", "tanh": "tanh"}


def neuron() -> tuple[Value, dict[Value, str]]:
    """Build the neuron, run backward, and name every value for the picture."""
    x1, x2, w1, w2, b = (Value(v) for v in (2.0, 0.0, -3.0, 1.0, 6.88))
    x1w1, x2w2 = x1 * w1, x2 * w2
    s = x1w1 + x2w2
    n = s + b
    o = n.tanh()
    o.backward()
    names = {x1: "x1", x2: "x2", w1: "w1", w2: "w2", b: "b", x1w1: "x1·w1", x2w2: "x2·w2",
             s: "x1·w1 + x2·w2", n: "n", o: "o = tanh(n)"}
    return o, names


def to_dot(root: Value, names: dict[Value, str]) -> str:
    lines = ["digraph neuron {", "  rankdir=TB; nodesep=0.25; ranksep=0.3;",
             '  node [fontname="Helvetica", fontsize=13];', "  edge [arrowsize=0.7];"]
    order = reverse_topological_order(root)[::-1]
    ids = {v: f"v{i}" for i, v in enumerate(order)}
    for v in order:
        label = (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
                 f'<TR><TD BGCOLOR="#E8E8F0"><B>{names[v]}</B></TD></TR>'
                 f'<TR><TD>data {v.data:.4f}</TD></TR>'
                 f'<TR><TD><FONT COLOR="#B5562A">grad {v.grad:.4f}</FONT></TD></TR></TABLE>>')
        lines.append(f"  {ids[v]} [shape=plain, label={label}];")
        if v._prev:
            lines.append(f'  {ids[v]}_op [shape=circle, width=0.45, fixedsize=true, fontsize=12, '
                         f'label="{OP_SYMBOL[v._op]}"];')
            lines.append(f"  {ids[v]}_op -> {ids[v]};")
            for inp in v._prev:
                lines.append(f"  {ids[inp]} -> {ids[v]}_op;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(assets=ASSETS):
    root, names = neuron()
    return [render_dot(to_dot(root, names), assets / "ch1_dfdx" / "neuron_graph.svg")]


if __name__ == "__main__":
    print(draw())
