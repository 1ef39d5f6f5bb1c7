"""The figure scripts of book/figures still run against the code they draw (make figures)."""

import importlib
import importlib.util
import shutil
import sys
import xml.etree.ElementTree as ET

import pytest

from singsys.chapters import REPO_ROOT

FIGURES_DIR = REPO_ROOT / "book" / "figures"
sys.path.insert(0, str(FIGURES_DIR))  # the figure modules import each other by plain name
_spec = importlib.util.spec_from_file_location("book_figures_build", FIGURES_DIR / "build.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

GRAPHVIZ = {"ch1_neuron_graph", "appendix_pipeline", "ch2_backward_by_hand"}


@pytest.mark.parametrize("name", build.FIGURES)
def test_each_figure_draws(name, tmp_path):
    if name in GRAPHVIZ and shutil.which("dot") is None:
        pytest.skip("needs graphviz's dot (make system-deps)")
    module = importlib.import_module(name)
    paths = module.draw(tmp_path)
    assert paths and all(p.exists() and p.stat().st_size > 1000 for p in paths)
    for path in paths:
        if path.suffix == ".svg":
            ET.parse(path)  # well-formed, so a browser will show it
        # the committed copy is the one the book shows: it must exist under the same name,
        # and a page must show it (a figure no page uses is one the reader never sees)
        asset = path.relative_to(tmp_path)
        assert (REPO_ROOT / "book" / "assets" / asset).exists()
        assert any(f"assets/{asset}" in page.read_text()
                   for page in (REPO_ROOT / "book").rglob("*.md")), f"no page shows {asset}"


def test_the_frame_figure_reads_the_offsets_the_code_uses():
    # The picture takes each variable's offset from the compiler's data structures; the
    # assembly must store the register arguments at exactly those offsets from s0.
    from appendix_ctoriscv.main import compile_c, compile_source

    appendix_frame = importlib.import_module("appendix_frame")

    fn = next(o for o in compile_source(appendix_frame.SOURCE, "f.c").program if o.name == "f")
    words = appendix_frame.word_contents(fn)
    asm = compile_c(appendix_frame.SOURCE, "f.c")
    for i, param in enumerate(fn.params[:8]):
        assert f"sw a{i}, {param.offset}(s0)" in asm
        assert words[param.offset][0].startswith(f"{param.name}: parameter")
    assert words[-4][0] == "saved ra" and "sw ra, 12(sp)" in asm  # 12(sp) = s0-4 after -16


def test_the_experiment_plots_on_the_page_are_the_notebooks_own():
    # Section 2.17 shows PNGs copied out of the executed ch2 notebook; a re-run notebook with
    # stale copies (or copies with no notebook behind them) fails here.
    notebook_figures = importlib.import_module("ch2_notebook_figures")
    pngs = notebook_figures.tagged_pngs()
    assert set(pngs) == {"init_activations", "init_spread", "update_ratio"}
    for name, png in pngs.items():
        assert png.startswith(b"\x89PNG")
        committed = REPO_ROOT / "book" / "assets" / "ch2_lego" / f"{name}.png"
        assert committed.read_bytes() == png, f"{committed.name} differs: run make figures"
