"""The demo's chapter-1 tour, on a small problem: it saves its plots and reports its rows."""

import pytest

from ch1_dfdx.tour import tour


@pytest.mark.sec_1_8
def test_tour_saves_plots_and_returns_rows(tmp_path):
    rows = tour(tmp_path / "ch1", n=30, steps=5, progress=False)
    for name in ("decision_boundary.png", "loss_curve.png", "neuron_graph.dot"):
        assert (tmp_path / "ch1" / name).stat().st_size > 0
    assert rows["MLP train accuracy"].endswith("%")
    assert rows["training time"].endswith("(5 steps)")
