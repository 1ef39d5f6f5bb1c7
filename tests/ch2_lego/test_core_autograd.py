"""backward(inputs=...) and numpy's copy protocol, each checked against torch doing the same."""

import importlib
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))


def _grads_with_inputs(lib, pick):
    a = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([3.0, -4.0], dtype=lib.float64, requires_grad=True)
    h = a * b
    named = {"a": a, "b": b, "h": h}
    (h * h + a).sum().backward(inputs=[named[n] for n in pick])
    return {n: (None if t.grad is None else t.grad.tolist()) for n, t in named.items()
            if n in pick or t.is_leaf}


@pytest.mark.sec_2_5
@pytest.mark.parametrize("pick", [("a",), ("b",), ("b", "h"), ("a", "b")])
def test_backward_accumulates_only_into_inputs(pick):
    """torch fills .grad of the listed tensors (leaf or not) and leaves every other leaf alone."""
    assert _grads_with_inputs(lego, pick) == _grads_with_inputs(torch, pick)


@pytest.mark.sec_2_5
def test_backward_inputs_accumulates_across_calls():
    results = []
    for lib in (torch, lego):
        w = lib.tensor([2.0], dtype=lib.float64, requires_grad=True)
        for _ in range(2):
            (w * w).sum().backward(inputs=[w])
        results.append(w.grad.tolist())
    assert results[0] == results[1] == [8.0]


@pytest.mark.sec_2_1
# torch's own __array__ predates numpy 2's copy keyword, and numpy warns about it
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_np_array_copies_and_np_asarray_shares():
    for lib in (torch, lego):
        t = lib.zeros(3)
        copied, shared = np.array(t), np.asarray(t)
        t.add_(1)
        assert copied.tolist() == [0.0, 0.0, 0.0] and shared.tolist() == [1.0, 1.0, 1.0]
