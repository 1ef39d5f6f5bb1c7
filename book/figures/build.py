"""Draw the book's figures: `python book/figures/build.py [name ...]` (or `make figures`).

Each module here draws one figure from the chapter's own code and writes it under book/assets/;
the outputs are committed, so the book builds without running this. Run it after changing the
code a figure shows. The graphviz figures need `dot` (make system-deps).
"""

import importlib
import sys
from pathlib import Path

FIGURES = [  # module names, in book order
    "ch1_neuron_graph",
    "ch2_layers",
    "ch2_strides",
    "ch2_conv_windows",
    "ch2_attention",
    "ch2_backward_by_hand",
    "ch2_notebook_figures",
    "appendix_pipeline",
    "appendix_frame",
    "appendix_immediates",
]


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).parent))  # the figure modules import figure_style
    unknown = sorted(set(argv) - set(FIGURES))
    if unknown:
        print(f"unknown figure(s) {unknown}; known: {', '.join(FIGURES)}", file=sys.stderr)
        return 2
    for name in argv or FIGURES:
        for path in importlib.import_module(name).draw():
            print(path.relative_to(Path(__file__).resolve().parents[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
