"""Graph drawings: the DOT source shows every Value's data and grad and every operation; the
SVG is rendered where graphviz's `dot` is installed, and its absence is reported, not raised."""

import math
import re
import shutil

import pytest

from ch1_dfdx import Value
from ch1_dfdx.viz import draw, to_dot

pytestmark = pytest.mark.sec_1_2


def small_graph():
    x, y = Value(2.0), Value(-3.0)
    out = (x * y + x).tanh()
    out.backward()
    return x, y, out


def test_dot_source_lists_values_operations_and_edges():
    source = to_dot(small_graph()[2])
    assert source.startswith("digraph {") and source.rstrip().endswith("}")
    labels = re.findall(r'label="\{ data (\S+) \| grad (\S+) \}"', source)
    # Five Values: x, y, x*y, x*y + x, tanh; x appears once although it is used twice.
    assert len(labels) == 5
    # out = tanh(xy + x) at (2, -3): tanh' = 1 - tanh(-4)^2, dx = (y + 1) tanh', dy = x tanh'.
    slope = 1 - math.tanh(-4.0) ** 2
    assert ("2", f"{-2 * slope:.4g}") in labels and ("-3", f"{2 * slope:.4g}") in labels
    assert sorted(re.findall(r'_op \[label="(\S+)"', source)) == ["*", "+", "tanh"]
    # One arrow per operand use and one to the result: (2 + 1) for *, (2 + 1) for +, (1 + 1).
    assert source.count("->") == (2 + 1) + (2 + 1) + (1 + 1)


def test_missing_dot_returns_the_source_and_says_so(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    drawing = draw(small_graph()[2])
    assert drawing.svg is None and drawing._repr_svg_() is None
    assert "not installed" in repr(drawing) and drawing.source in repr(drawing)


def test_dot_renders_svg_where_installed():
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot program is not installed: apt-get install graphviz")
    drawing = draw(small_graph()[2])
    assert "<svg" in drawing.svg and "tanh" in drawing.svg
