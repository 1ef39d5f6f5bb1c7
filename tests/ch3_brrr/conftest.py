"""Shared set-up for the ch3_brrr suite: a tolerance from error bounds, the same on every CPU.

`bounds.at_scale(ours, ref, rel)` compares two runs of one float64 computation on different
devices (different summation orders): every element within rel * max|ref| of its tensor, since
a value that cancels toward 0 keeps the rounding error of the magnitudes it was computed from.
"""

from types import SimpleNamespace

import numpy as np
import pytest


def assert_at_scale(ours, ref, rel: float) -> None:
    """|ours - ref| <= rel * max|ref| elementwise (shapes equal, values finite)."""
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    assert ours.shape == ref.shape, f"shape {ours.shape} != {ref.shape}"
    bound = rel * float(np.abs(ref).max(initial=0.0))
    excess = float((np.abs(ours - ref) - bound).max(initial=0.0))
    assert excess <= 0, f"exceeds {rel:g} of the tensor's scale by {excess:.3g}"


@pytest.fixture
def bounds():
    """`bounds.at_scale(ours, ref, rel)`: see the module docstring."""
    return SimpleNamespace(at_scale=assert_at_scale)


@pytest.fixture
def fused_runs(monkeypatch):
    """`fused_runs(device)` -> counts of chapter 2's FUSED ops on device, filled as they run:
    counts["kernel"][op] (calls of the device's registered kernel, declining ones included) and
    counts["decomposition"][op], so that a test proves which one ran."""
    from ch2_lego.backend import DECOMPOSITIONS, DEVICES, FUSED

    def start(device: str) -> dict:
        counts: dict = {"kernel": {}, "decomposition": {}}

        def counting(kind, op, fn):
            def run(*args, **kwargs):
                counts[kind][op] = counts[kind].get(op, 0) + 1
                return fn(*args, **kwargs)
            return run

        kernels = DEVICES[device].kernels
        for op in FUSED:
            if op in kernels:
                kernel, dtypes = kernels[op]
                monkeypatch.setitem(kernels, op, (counting("kernel", op, kernel), dtypes))
            monkeypatch.setitem(DECOMPOSITIONS, op,
                                counting("decomposition", op, DECOMPOSITIONS[op]))
        return counts
    return start


def cross_entropy_with_option(device: str, dtype, reduction: str, option: str):
    """F.cross_entropy of (9, 11) logits with one ignored target and class weights
    (option "weight") or label smoothing 0.2 (option "label_smoothing"), ours on device and
    torch's in float64 on the same inputs: (loss, grad, torch's loss, torch's grad), numpy."""
    import torch

    import ch2_lego as lego
    import ch2_lego.nn.functional as F

    rng = np.random.default_rng(5)
    logits = (rng.standard_normal((9, 11)) * 3).astype(dtype)
    target = rng.integers(0, 11, 9)
    target[2] = -100  # ignored: no loss, no gradient, not counted in the mean
    ours, theirs = {"label_smoothing": 0.2}, {"label_smoothing": 0.2}
    if option == "weight":
        w = (rng.random(11) + 0.5).astype(dtype)
        ours, theirs = {"weight": lego.tensor(w, device=device)}, {"weight": torch.tensor(w)}
        theirs["weight"] = theirs["weight"].double()
    x = lego.tensor(logits, device=device, requires_grad=True)
    xt = torch.tensor(logits.astype(np.float64), requires_grad=True)
    loss = F.cross_entropy(x, lego.tensor(target, device=device), reduction=reduction, **ours)
    (loss.sum() if reduction == "none" else loss).backward()
    lt = torch.nn.functional.cross_entropy(xt, torch.tensor(target), reduction=reduction,
                                           **theirs)
    (lt.sum() if reduction == "none" else lt).backward()
    assert str(loss.device).startswith(device) and str(x.grad.device).startswith(device)
    return (loss.detach().to("cpu").numpy(), x.grad.to("cpu").numpy(), lt.detach().numpy(),
            xt.grad.numpy())


@pytest.fixture
def cross_entropy_case():
    """`cross_entropy_case(device, dtype, reduction, option)`: cross_entropy_with_option."""
    return cross_entropy_with_option
