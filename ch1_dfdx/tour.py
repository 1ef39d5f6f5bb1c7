"""Chapter 1's part of `singsys demo`: train the scalar MLP on two moons, on the CPU.

`tour(out_dir)` trains MLP(2 -> 8 -> 8 -> 1) with full-batch SGD to at least 95% training
accuracy (a tqdm bar shows the steps), saves the decision boundary and the loss curve as PNGs
and an expression graph as DOT into out_dir, and returns summary rows for the demo's table.
"""

import pathlib

from matplotlib.figure import Figure

from ch1_dfdx.data import make_moons
from ch1_dfdx.engine import Value
from ch1_dfdx.nn import MLP
from ch1_dfdx.train import accuracy, train
from ch1_dfdx.viz import to_dot

# *** 1. plots ***

# A bare matplotlib Figure, not pyplot: no global backend to switch (a notebook keeps its own),
# no window to open, nothing to close; savefig picks the PNG renderer by itself.


def plot_decision_boundary(model: MLP, xs: list, ys: list, path: pathlib.Path,
                           resolution: int = 60) -> None:
    """The sign of the model's score over the plane, with the training points on top."""
    lo1, hi1 = min(x[0] for x in xs) - 0.5, max(x[0] for x in xs) + 0.5
    lo2, hi2 = min(x[1] for x in xs) - 0.5, max(x[1] for x in xs) + 0.5
    g1 = [lo1 + (hi1 - lo1) * i / (resolution - 1) for i in range(resolution)]
    g2 = [lo2 + (hi2 - lo2) * j / (resolution - 1) for j in range(resolution)]
    scores = [[model([a, b])[0].data for a in g1] for b in g2]
    fig = Figure(figsize=(5, 4))
    ax = fig.subplots()
    ax.contourf(g1, g2, scores, levels=[-1e9, 0.0, 1e9], colors=["#9ecae1", "#fdae6b"],
                alpha=0.6)
    ax.contour(g1, g2, scores, levels=[0.0], colors="k", linewidths=1)
    for label, color in ((-1.0, "#08519c"), (1.0, "#a63603")):
        pts = [x for x, y in zip(xs, ys) if y == label]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=14, c=color,
                   label=f"class {label:+.0f}")
    ax.set(title="ch1 MLP: decision boundary on two moons", xlabel="$x_1$", ylabel="$x_2$")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def plot_history(history: dict, path: pathlib.Path) -> None:
    """Loss (log scale) and training accuracy against the step."""
    fig = Figure(figsize=(5, 3.2))
    ax = fig.subplots()
    ax.plot(history["loss"], color="#08519c")
    ax.set(yscale="log", xlabel="step", ylabel="loss (hinge + L2)", title="ch1 MLP training")
    acc = ax.twinx()
    acc.plot([100 * a for a in history["accuracy"]], color="#a63603")
    acc.set_ylabel("training accuracy (%)", color="#a63603")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


# *** 2. the tour ***


def tour(out_dir: pathlib.Path, n: int = 200, steps: int = 100, progress: bool = True) -> dict:
    """Train on two moons, save the plots, return {"what": "value"} rows for the summary."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    xs, ys = make_moons(n, noise=0.1, seed=0)
    model = MLP(2, [8, 8, 1], seed=0)
    history = train(model, xs, ys, steps=steps, lr=0.3, progress=progress)
    plot_decision_boundary(model, xs, ys, out_dir / "decision_boundary.png")
    plot_history(history, out_dir / "loss_curve.png")

    # One neuron's graph, to open with any graphviz viewer: tanh(w . x + b) and its grads.
    x1, x2, w1, w2, b = (Value(v) for v in (2.0, 0.0, -3.0, 1.0, 6.88))
    neuron = (x1 * w1 + x2 * w2 + b).tanh()
    neuron.backward()
    (out_dir / "neuron_graph.dot").write_text(to_dot(neuron))

    final = accuracy([model(x)[0] for x in xs], ys)  # after the last update
    return {
        "MLP": f"{model!r} on {n} moons points",
        "MLP train accuracy": f"{100 * final:.1f}%",
        "final loss": f"{history['loss'][-1]:.4f}",
        "training time": f"{history['seconds']:.1f} s ({steps} steps)",
    }
