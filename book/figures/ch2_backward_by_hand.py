"""Chapter 2: the small network of section 2.17's backward pass by hand, as a labelled graph.

Every tensor is a box with its name, shape, value and gradient; every operation a circle. The
values and gradients are ch2_lego's own (forward, then loss.backward()), so the picture checks
the hand computation on the page, and the page's numbers check the autograd engine.
"""

from figure_style import ASSETS, render_dot

import ch2_lego as lego

OPS = {"Z": ("@", ["X", "W1"]), "H": ("relu", ["Z"]), "yhat": ("@", ["H", "w2"]),
       "L": ("mean (ŷ−y)²", ["yhat", "y"])}
SHOWN = {"yhat": "ŷ"}


def network() -> dict[str, lego.Tensor]:
    """The worked example: two examples, two inputs, two ReLU units, one output, MSE loss."""
    t = {"X": lego.tensor([[1.0, 2.0], [-1.0, 0.0]], requires_grad=True),
         "W1": lego.tensor([[1.0, -1.0], [0.5, 1.0]], requires_grad=True),
         "w2": lego.tensor([[1.0], [-2.0]], requires_grad=True),
         "y": lego.tensor([[1.0], [0.0]])}
    t["Z"] = t["X"] @ t["W1"]
    t["H"] = t["Z"].relu()
    t["yhat"] = t["H"] @ t["w2"]
    t["L"] = ((t["yhat"] - t["y"]) ** 2).mean()
    for name in ("Z", "H", "yhat"):
        t[name].retain_grad()
    t["L"].backward()
    return t


def matrix(values) -> str:
    rows = values if isinstance(values, list) else [[values]]
    return "<BR/>".join("[" + ", ".join(f"{v:g}" for v in row) + "]" for row in rows)


def to_dot(t: dict[str, lego.Tensor]) -> str:
    lines = ["digraph backward {", "  rankdir=LR; nodesep=0.2; ranksep=0.25;",
             '  node [fontname="Helvetica", fontsize=12];', "  edge [arrowsize=0.6];"]
    for name, tensor in t.items():
        grad = tensor.grad
        grad_row = (f'<TR><TD><FONT COLOR="#B5562A">grad<BR/>{matrix(grad.tolist())}</FONT>'
                    f"</TD></TR>") if grad is not None else ""
        shape = "×".join(map(str, tensor.shape)) or "scalar"
        label = (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
                 f'<TR><TD BGCOLOR="#E8E8F0"><B>{SHOWN.get(name, name)}</B> ({shape})</TD></TR>'
                 f"<TR><TD>{matrix(tensor.tolist())}</TD></TR>{grad_row}</TABLE>>")
        lines.append(f"  {name} [shape=plain, label={label}];")
    for out, (op, inputs) in OPS.items():
        lines.append(f'  {out}_op [shape=circle, fixedsize=true, width=0.5, fontsize=10, '
                     f'label="{op}"];' if len(op) < 6 else
                     f'  {out}_op [shape=box, style=rounded, fontsize=10, label="{op}"];')
        lines += [f"  {name} -> {out}_op;" for name in inputs] + [f"  {out}_op -> {out};"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(assets=ASSETS):
    return [render_dot(to_dot(network()), assets / "ch2_lego" / "backward_by_hand.svg")]


if __name__ == "__main__":
    print(draw())
